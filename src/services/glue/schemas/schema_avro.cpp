// Avro schemas (the Avro 1.11 specification): parsing with name resolution and default validation, and
// schema resolution (can a reader schema read what a writer schema wrote).
#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.hpp"
#include "services/glue/schemas/schema_formats.hpp"

namespace cenote::glue::schemas {
namespace {

namespace json = boost::json;

enum class Kind {
  kNull,
  kBoolean,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kBytes,
  kString,
  kRecord,
  kEnum,
  kArray,
  kMap,
  kUnion,
  kFixed
};

struct Node;
using NodePtr = const Node*;

struct Field {
  std::string name;
  std::vector<std::string> aliases;
  NodePtr type = nullptr;
  const json::value* default_value = nullptr;  // into the schema's document
};

// One type of a parsed schema. Named types are owned by the schema and referenced by pointer, so recursive
// records are graphs.
struct Node {
  Kind kind = Kind::kNull;
  std::string full_name;             // named types
  std::vector<std::string> aliases;  // named types, full names
  std::vector<Field> fields;         // record
  std::vector<std::string> symbols;  // enum
  std::optional<std::string> enum_default;
  NodePtr items = nullptr;        // array items, map values
  std::vector<NodePtr> branches;  // union
  std::int64_t size = 0;          // fixed
};

const std::map<std::string, Kind, std::less<>>& Primitives() {
  static const std::map<std::string, Kind, std::less<>> k = {
      {"null", Kind::kNull},   {"boolean", Kind::kBoolean}, {"int", Kind::kInt},
      {"long", Kind::kLong},   {"float", Kind::kFloat},     {"double", Kind::kDouble},
      {"bytes", Kind::kBytes}, {"string", Kind::kString}};
  return k;
}

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "null";
    case Kind::kBoolean:
      return "boolean";
    case Kind::kInt:
      return "int";
    case Kind::kLong:
      return "long";
    case Kind::kFloat:
      return "float";
    case Kind::kDouble:
      return "double";
    case Kind::kBytes:
      return "bytes";
    case Kind::kString:
      return "string";
    case Kind::kRecord:
      return "record";
    case Kind::kEnum:
      return "enum";
    case Kind::kArray:
      return "array";
    case Kind::kMap:
      return "map";
    case Kind::kUnion:
      return "union";
    case Kind::kFixed:
      return "fixed";
  }
  return "?";
}

std::string Describe(NodePtr n) {
  if (!n->full_name.empty()) return std::string(n->full_name);
  return std::string(KindName(n->kind));
}

bool IsName(std::string_view s) {
  if (s.empty() || !(IsAsciiAlpha(s[0]) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(IsAsciiAlnum(c) || c == '_')) return false;
  }
  return true;
}

class AvroSchema;

class Parser {
 public:
  explicit Parser(std::vector<std::unique_ptr<Node>>& nodes) : nodes_(nodes) {}

  Result<NodePtr> Parse(const json::value& v, const std::string& ns) {
    if (v.is_string()) return Reference(std::string(v.get_string()), ns);
    if (v.is_array()) return Union(v.get_array(), ns);
    if (!v.is_object()) return Fail("No type: " + json::serialize(v));
    const json::object& o = v.get_object();
    const json::value* type = o.if_contains("type");
    if (type == nullptr) return Fail("No type: " + json::serialize(v));
    if (type->is_array() || type->is_object()) return Parse(*type, ns);  // {"type": {...}} / {"type": [...]}
    if (!type->is_string()) return Fail("No type: " + json::serialize(v));
    const std::string t(type->get_string());
    if (auto p = Primitives().find(t); p != Primitives().end()) return Primitive(p->second);
    if (t == "record" || t == "error") return Record(o, ns);
    if (t == "enum") return Enum(o, ns);
    if (t == "fixed") return Fixed(o, ns);
    if (t == "array") {
      const json::value* items = o.if_contains("items");
      if (items == nullptr) return Fail("Array has no items type: " + json::serialize(v));
      CENOTE_ASSIGN_OR_RETURN(NodePtr item, Parse(*items, ns));
      Node* n = New(Kind::kArray);
      n->items = item;
      return NodePtr(n);
    }
    if (t == "map") {
      const json::value* values = o.if_contains("values");
      if (values == nullptr) return Fail("Map has no values type: " + json::serialize(v));
      CENOTE_ASSIGN_OR_RETURN(NodePtr value, Parse(*values, ns));
      Node* n = New(Kind::kMap);
      n->items = value;
      return NodePtr(n);
    }
    // {"type": "SomeName"}: a reference to a named type.
    return Reference(t, ns);
  }

 private:
  static Error Fail(std::string message) { return MakeError("InvalidInputException", std::move(message)); }

  Node* New(Kind kind) {
    nodes_.push_back(std::make_unique<Node>());
    nodes_.back()->kind = kind;
    return nodes_.back().get();
  }

  NodePtr Primitive(Kind kind) {
    auto& slot = primitives_[kind];
    if (slot == nullptr) slot = New(kind);
    return slot;
  }

  Result<NodePtr> Reference(const std::string& name, const std::string& ns) {
    if (auto p = Primitives().find(name); p != Primitives().end()) return Primitive(p->second);
    if (name.find('.') == std::string::npos && !ns.empty()) {
      if (auto it = named_.find(ns + "." + name); it != named_.end()) return NodePtr(it->second);
    }
    if (auto it = named_.find(name); it != named_.end()) return NodePtr(it->second);
    return Fail("\"" + name + "\" is not a defined name. The type of the \"" + name +
                "\" field must be a defined name or a {\"type\": ...} expression.");
  }

  // The full name of a named type and the namespace its contents resolve in.
  Result<std::pair<std::string, std::string>> FullName(const json::object& o, const std::string& ns,
                                                       std::string_view what) {
    const json::value* name_v = o.if_contains("name");
    if (name_v == nullptr || !name_v->is_string()) {
      return Fail("No name in schema: " + json::serialize(o));
    }
    std::string name(name_v->get_string());
    std::string space = ns;
    if (const json::value* n = o.if_contains("namespace"); n != nullptr && !n->is_null()) {
      if (!n->is_string()) return Fail("Namespace must be a string: " + json::serialize(*n));
      space = std::string(n->get_string());
    }
    std::string full;
    if (name.find('.') != std::string::npos) {
      full = name;
      space = name.substr(0, name.rfind('.'));
    } else {
      full = space.empty() ? name : space + "." + name;
    }
    for (std::string_view part : SplitString(full, '.')) {
      if (!IsName(part)) {
        if (part.empty()) return Fail("Empty name in " + std::string(what) + " name: " + full);
        return Fail("Illegal character in: " + std::string(part));
      }
    }
    if (Primitives().count(name) != 0) return Fail("Can't redefine: " + name);
    if (named_.count(full) != 0) return Fail("Can't redefine: " + full);
    return std::make_pair(full, space);
  }

  Result<std::vector<std::string>> Aliases(const json::object& o, const std::string& space) {
    std::vector<std::string> out;
    const json::value* a = o.if_contains("aliases");
    if (a == nullptr || a->is_null()) return out;
    if (!a->is_array()) return Fail("aliases not an array: " + json::serialize(*a));
    for (const auto& e : a->get_array()) {
      if (!e.is_string()) return Fail("alias not a string: " + json::serialize(e));
      std::string alias(e.get_string());
      if (alias.find('.') == std::string::npos && !space.empty()) alias = space + "." + alias;
      out.push_back(std::move(alias));
    }
    return out;
  }

  Result<NodePtr> Record(const json::object& o, const std::string& ns) {
    CENOTE_ASSIGN_OR_RETURN(auto names, FullName(o, ns, "record"));
    Node* n = New(Kind::kRecord);
    n->full_name = names.first;
    CENOTE_ASSIGN_OR_RETURN(n->aliases, Aliases(o, names.second));
    named_[names.first] = n;  // before the fields: a record may refer to itself
    const json::value* fields = o.if_contains("fields");
    if (fields == nullptr || !fields->is_array()) return Fail("Record has no fields: " + json::serialize(o));
    std::set<std::string> seen;
    for (const auto& f : fields->get_array()) {
      if (!f.is_object()) return Fail("Field not an object: " + json::serialize(f));
      const json::object& fo = f.get_object();
      const json::value* fname = fo.if_contains("name");
      if (fname == nullptr || !fname->is_string()) return Fail("No field name: " + json::serialize(f));
      Field field;
      field.name = std::string(fname->get_string());
      if (!IsName(field.name)) {
        return Fail(field.name.empty() ? std::string("Empty name") : "Illegal character in: " + field.name);
      }
      if (!seen.insert(field.name).second) {
        return Fail("Duplicate field " + field.name + " in record " + names.first + ": " +
                    json::serialize(f));
      }
      const json::value* ftype = fo.if_contains("type");
      if (ftype == nullptr) return Fail("No field type: " + json::serialize(f));
      CENOTE_ASSIGN_OR_RETURN(field.type, Parse(*ftype, names.second));
      if (const json::value* order = fo.if_contains("order"); order != nullptr) {
        if (!order->is_string() || (order->get_string() != "ascending" &&
                                    order->get_string() != "descending" && order->get_string() != "ignore")) {
          return Fail("Invalid order: " + json::serialize(*order));
        }
      }
      if (const json::value* a = fo.if_contains("aliases"); a != nullptr && !a->is_null()) {
        if (!a->is_array()) return Fail("aliases not an array: " + json::serialize(*a));
        for (const auto& e : a->get_array()) {
          if (!e.is_string()) return Fail("alias not a string: " + json::serialize(e));
          field.aliases.emplace_back(e.get_string());
        }
      }
      if (const json::value* d = fo.if_contains("default"); d != nullptr) {
        field.default_value = d;
        defaults_.push_back({names.first + "." + field.name, field.type, d});
      }
      n->fields.push_back(std::move(field));
    }
    return NodePtr(n);
  }

  Result<NodePtr> Enum(const json::object& o, const std::string& ns) {
    CENOTE_ASSIGN_OR_RETURN(auto names, FullName(o, ns, "enum"));
    Node* n = New(Kind::kEnum);
    n->full_name = names.first;
    CENOTE_ASSIGN_OR_RETURN(n->aliases, Aliases(o, names.second));
    const json::value* symbols = o.if_contains("symbols");
    if (symbols == nullptr || !symbols->is_array()) return Fail("Enum has no symbols: " + json::serialize(o));
    std::set<std::string> seen;
    for (const auto& s : symbols->get_array()) {
      if (!s.is_string()) return Fail("Enum symbol not a string: " + json::serialize(s));
      std::string sym(s.get_string());
      if (!IsName(sym)) return Fail("Illegal character in: " + sym);
      if (!seen.insert(sym).second) return Fail("Duplicate enum symbol: " + sym);
      n->symbols.push_back(std::move(sym));
    }
    if (const json::value* d = o.if_contains("default"); d != nullptr && !d->is_null()) {
      if (!d->is_string() || seen.count(std::string(d->get_string())) == 0) {
        return Fail(
            "The Enum Default: " + (d->is_string() ? std::string(d->get_string()) : json::serialize(*d)) +
            " is not in the enum symbol set: " + json::serialize(*symbols));
      }
      n->enum_default = std::string(d->get_string());
    }
    named_[names.first] = n;
    return NodePtr(n);
  }

  Result<NodePtr> Fixed(const json::object& o, const std::string& ns) {
    CENOTE_ASSIGN_OR_RETURN(auto names, FullName(o, ns, "fixed"));
    const json::value* size = o.if_contains("size");
    if (size == nullptr || !size->is_int64() || size->get_int64() < 0 ||
        size->get_int64() > std::numeric_limits<std::int32_t>::max()) {
      return Fail("Invalid or no size: " + json::serialize(o));
    }
    Node* n = New(Kind::kFixed);
    n->full_name = names.first;
    CENOTE_ASSIGN_OR_RETURN(n->aliases, Aliases(o, names.second));
    n->size = size->get_int64();
    named_[names.first] = n;
    return NodePtr(n);
  }

  Result<NodePtr> Union(const json::array& a, const std::string& ns) {
    Node* n = New(Kind::kUnion);
    std::set<std::string> seen;
    for (const auto& b : a) {
      CENOTE_ASSIGN_OR_RETURN(NodePtr branch, Parse(b, ns));
      if (branch->kind == Kind::kUnion) return Fail("Nested union: " + json::serialize(a));
      const std::string key = Describe(branch);
      if (!seen.insert(key).second) return Fail("Duplicate in union:" + key);
      n->branches.push_back(branch);
    }
    return NodePtr(n);
  }

 public:
  struct PendingDefault {
    std::string field;
    NodePtr type;
    const json::value* value;
  };
  const std::vector<PendingDefault>& defaults() const { return defaults_; }

 private:
  std::vector<std::unique_ptr<Node>>& nodes_;
  std::map<Kind, Node*> primitives_;
  std::map<std::string, Node*, std::less<>> named_;
  std::vector<PendingDefault> defaults_;
};

// Avro's Schema.isValidDefault: the JSON value of a default against its type (a union's is its first
// branch's).
bool ValidDefault(NodePtr t, const json::value& v, int depth = 0) {
  if (depth > 64) return true;
  switch (t->kind) {
    case Kind::kNull:
      return v.is_null();
    case Kind::kBoolean:
      return v.is_bool();
    case Kind::kInt:
      return (v.is_int64() && v.get_int64() >= std::numeric_limits<std::int32_t>::min() &&
              v.get_int64() <= std::numeric_limits<std::int32_t>::max()) ||
             (v.is_uint64() && v.get_uint64() <= std::numeric_limits<std::int32_t>::max());
    case Kind::kLong:
      return v.is_int64() || (v.is_uint64() && v.get_uint64() <= INT64_MAX);
    case Kind::kFloat:
    case Kind::kDouble:
      return v.is_number();
    case Kind::kBytes:
    case Kind::kString:
    case Kind::kFixed:
      return v.is_string();
    case Kind::kEnum:
      if (!v.is_string()) return false;
      for (const auto& s : t->symbols) {
        if (s == v.get_string()) return true;
      }
      return false;
    case Kind::kArray:
      if (!v.is_array()) return false;
      for (const auto& e : v.get_array()) {
        if (!ValidDefault(t->items, e, depth + 1)) return false;
      }
      return true;
    case Kind::kMap:
      if (!v.is_object()) return false;
      for (const auto& [k, e] : v.get_object()) {
        if (!ValidDefault(t->items, e, depth + 1)) return false;
      }
      return true;
    case Kind::kRecord:
      if (!v.is_object()) return false;
      for (const auto& f : t->fields) {
        const json::value* fv = v.get_object().if_contains(f.name);
        if (fv != nullptr) {
          if (!ValidDefault(f.type, *fv, depth + 1)) return false;
        } else if (f.default_value == nullptr) {
          return false;
        }
      }
      return true;
    case Kind::kUnion:
      return !t->branches.empty() && ValidDefault(t->branches.front(), v, depth + 1);
  }
  return false;
}

bool NamesMatch(NodePtr reader, NodePtr writer) {
  if (reader->full_name == writer->full_name) return true;
  for (const auto& a : reader->aliases) {
    if (a == writer->full_name) return true;
  }
  return false;
}

// Avro schema resolution. Pairs of named types under comparison are assumed compatible (recursive types).
class Resolver {
 public:
  std::string Check(NodePtr reader, NodePtr writer, const std::string& path) {
    if (writer->kind == Kind::kUnion) {
      // Each branch the writer may have written must be readable.
      for (NodePtr b : writer->branches) {
        std::string why = Check(reader, b, path);
        if (!why.empty()) return why;
      }
      return "";
    }
    if (reader->kind == Kind::kUnion) {
      for (NodePtr b : reader->branches) {
        if (Check(b, writer, path).empty()) return "";
      }
      return "reader union at " + path + " has no branch for the writer's " + Describe(writer);
    }
    if (reader->kind != writer->kind) {
      if (Promotes(writer->kind, reader->kind)) return "";
      return "type mismatch at " + path + ": the reader's " + Describe(reader) +
             " cannot read the writer's " + Describe(writer);
    }
    switch (reader->kind) {
      case Kind::kArray:
        return Check(reader->items, writer->items, path + "[]");
      case Kind::kMap:
        return Check(reader->items, writer->items, path + "{}");
      case Kind::kFixed:
        if (!NamesMatch(reader, writer)) return "fixed name mismatch at " + path;
        if (reader->size != writer->size) {
          return "fixed size mismatch at " + path + ": " + std::to_string(reader->size) + " vs " +
                 std::to_string(writer->size);
        }
        return "";
      case Kind::kEnum: {
        if (!NamesMatch(reader, writer)) {
          return "enum name mismatch at " + path + ": " + reader->full_name + " vs " + writer->full_name;
        }
        if (reader->enum_default) return "";
        for (const auto& s : writer->symbols) {
          bool found = false;
          for (const auto& r : reader->symbols) found = found || r == s;
          if (!found) return "the reader's enum " + reader->full_name + " lacks the writer's symbol " + s;
        }
        return "";
      }
      case Kind::kRecord: {
        if (!NamesMatch(reader, writer)) {
          return "record name mismatch at " + path + ": " + reader->full_name + " vs " + writer->full_name;
        }
        if (!in_progress_.insert({reader, writer}).second) return "";
        for (const auto& rf : reader->fields) {
          const Field* wf = nullptr;
          for (const auto& f : writer->fields) {
            if (f.name == rf.name) wf = &f;
          }
          for (std::size_t i = 0; wf == nullptr && i < rf.aliases.size(); ++i) {
            for (const auto& f : writer->fields) {
              if (f.name == rf.aliases[i]) wf = &f;
            }
          }
          const std::string fpath = path + "." + rf.name;
          if (wf == nullptr) {
            if (rf.default_value == nullptr) {
              return "the reader's field " + fpath + " is not in the writer's schema and has no default";
            }
            continue;
          }
          std::string why = Check(rf.type, wf->type, fpath);
          if (!why.empty()) return why;
        }
        return "";
      }
      default:
        return "";
    }
  }

 private:
  static bool Promotes(Kind from, Kind to) {
    switch (from) {
      case Kind::kInt:
        return to == Kind::kLong || to == Kind::kFloat || to == Kind::kDouble;
      case Kind::kLong:
        return to == Kind::kFloat || to == Kind::kDouble;
      case Kind::kFloat:
        return to == Kind::kDouble;
      case Kind::kString:
        return to == Kind::kBytes;
      case Kind::kBytes:
        return to == Kind::kString;
      default:
        return false;
    }
  }
  std::set<std::pair<NodePtr, NodePtr>> in_progress_;
};

class AvroSchema final : public Schema {
 public:
  DataFormat format() const override { return DataFormat::kAvro; }
  const std::string& canonical() const override { return canonical_; }
  std::string ReadsFrom(const Schema& writer) const override {
    const auto* w = dynamic_cast<const AvroSchema*>(&writer);
    if (w == nullptr) return "the schemas are not both AVRO";
    Resolver r;
    return r.Check(root_, w->root_, Describe(root_));
  }

  json::value document_;
  std::vector<std::unique_ptr<Node>> nodes_;
  NodePtr root_ = nullptr;
  std::string canonical_;
};

}  // namespace

Result<std::shared_ptr<const Schema>> ParseAvro(std::string_view definition) {
  auto schema = std::make_shared<AvroSchema>();
  boost::system::error_code ec;
  schema->document_ = json::parse(definition, ec);
  if (ec) return MakeError("InvalidInputException", "Invalid JSON: " + ec.message());
  Parser parser(schema->nodes_);
  CENOTE_ASSIGN_OR_RETURN(schema->root_, parser.Parse(schema->document_, ""));
  for (const auto& d : parser.defaults()) {
    if (!ValidDefault(d.type, *d.value)) {
      return MakeError("InvalidInputException", "Invalid default for field " +
                                                    d.field.substr(d.field.rfind('.') + 1) + ": " +
                                                    json::serialize(*d.value) + " not a " + Describe(d.type));
    }
  }
  schema->canonical_ = json::serialize(schema->document_);
  return std::shared_ptr<const Schema>(std::move(schema));
}

}  // namespace cenote::glue::schemas
