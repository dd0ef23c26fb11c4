// JSON Schema (draft-04, draft-06, draft-07) definitions: structural validation of every keyword Cenote knows
// (the draft's meta-schema rules for each), local $ref resolution, and the reader/writer check (does the
// reader admit every document the writer admits).
#include <boost/json.hpp>

#include <cctype>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "services/glue/schemas/schema_formats.hpp"

namespace cenote::glue::schemas {
namespace {

namespace json = boost::json;

enum class Draft { k4 = 4, k6 = 6, k7 = 7 };

Error Fail(std::string message) { return MakeError("InvalidInputException", std::move(message)); }

std::string Pointer(const std::string& path) { return path.empty() ? "#" : "#" + path; }

std::string Escape(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

const std::set<std::string, std::less<>>& TypeNames() {
  static const std::set<std::string, std::less<>> k = {"array",  "boolean", "integer", "null",
                                                       "number", "object",  "string"};
  return k;
}

bool IsNonNegativeInteger(const json::value& v) {
  if (v.is_int64()) return v.get_int64() >= 0;
  if (v.is_uint64()) return true;
  if (v.is_double()) return v.get_double() >= 0 && std::floor(v.get_double()) == v.get_double();
  return false;
}

double Number(const json::value& v) { return v.to_number<double>(); }

// Structural validation against the draft's meta-schema.
class Validator {
 public:
  Validator(Draft draft, const json::value& root) : draft_(draft), root_(root) {}

  Status Check(const json::value& s, const std::string& path, int depth = 0) {
    if (depth > 100) return Fail("Schema nesting too deep at " + Pointer(path));
    if (s.is_bool()) {
      if (draft_ == Draft::k4) return Fail("boolean schemas are not allowed in draft-04 at " + Pointer(path));
      return Status::Ok();
    }
    if (!s.is_object())
      return Fail("Schema must be an object at " + Pointer(path) + ": " + json::serialize(s));
    const json::object& o = s.get_object();
    for (const auto& kv : o) {
      const std::string key(kv.key());
      const json::value& v = kv.value();
      const std::string at = path + "/" + Escape(key);
      auto bad = [&](std::string_view want) {
        return Fail("Invalid value of keyword '" + key + "' at " + Pointer(path) + ": expected " +
                    std::string(want) + ", found " + json::serialize(v));
      };
      if (key == "$ref") {
        if (!v.is_string()) return bad("a string");
        CENOTE_RETURN_IF_ERROR(CheckRef(std::string(v.get_string())));
      } else if (key == "$schema" || key == "$id" || key == "id" || key == "title" || key == "description" ||
                 key == "$comment" || key == "format" || key == "contentMediaType" ||
                 key == "contentEncoding") {
        if (!v.is_string()) return bad("a string");
      } else if (key == "type") {
        if (v.is_string()) {
          if (TypeNames().count(std::string_view(v.get_string())) == 0) return bad("a JSON Schema type name");
        } else if (v.is_array()) {
          if (v.get_array().empty()) return bad("a non-empty array of type names");
          std::set<std::string> seen;
          for (const auto& t : v.get_array()) {
            if (!t.is_string() || TypeNames().count(std::string_view(t.get_string())) == 0)
              return bad("type names");
            if (!seen.insert(std::string(t.get_string())).second) return bad("unique type names");
          }
        } else {
          return bad("a type name or an array of type names");
        }
      } else if (key == "properties" || key == "patternProperties" || key == "definitions") {
        if (!v.is_object()) return bad("an object");
        for (const auto& [pk, pv] : v.get_object()) {
          CENOTE_RETURN_IF_ERROR(Check(pv, at + "/" + Escape(pk), depth + 1));
        }
      } else if (key == "additionalProperties" || key == "additionalItems") {
        if (v.is_bool()) continue;
        CENOTE_RETURN_IF_ERROR(Check(v, at, depth + 1));
      } else if (key == "items") {
        if (v.is_array()) {
          for (std::size_t i = 0; i < v.get_array().size(); ++i) {
            CENOTE_RETURN_IF_ERROR(Check(v.get_array()[i], at + "/" + std::to_string(i), depth + 1));
          }
        } else {
          CENOTE_RETURN_IF_ERROR(Check(v, at, depth + 1));
        }
      } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
        if (!v.is_array() || v.get_array().empty()) return bad("a non-empty array of schemas");
        for (std::size_t i = 0; i < v.get_array().size(); ++i) {
          CENOTE_RETURN_IF_ERROR(Check(v.get_array()[i], at + "/" + std::to_string(i), depth + 1));
        }
      } else if (key == "not") {
        CENOTE_RETURN_IF_ERROR(Check(v, at, depth + 1));
      } else if (key == "contains" || key == "propertyNames") {
        if (draft_ == Draft::k4) continue;  // not keywords in draft-04: ignored, as unknown keywords are
        CENOTE_RETURN_IF_ERROR(Check(v, at, depth + 1));
      } else if (key == "if" || key == "then" || key == "else") {
        if (draft_ != Draft::k7) continue;
        CENOTE_RETURN_IF_ERROR(Check(v, at, depth + 1));
      } else if (key == "dependencies") {
        if (!v.is_object()) return bad("an object");
        for (const auto& [dk, dv] : v.get_object()) {
          if (dv.is_array()) {
            for (const auto& e : dv.get_array()) {
              if (!e.is_string()) return bad("property names or schemas");
            }
          } else {
            CENOTE_RETURN_IF_ERROR(Check(dv, at + "/" + Escape(dk), depth + 1));
          }
        }
      } else if (key == "required") {
        if (!v.is_array()) return bad("an array of strings");
        if (draft_ == Draft::k4 && v.get_array().empty()) return bad("a non-empty array of strings");
        std::set<std::string> seen;
        for (const auto& e : v.get_array()) {
          if (!e.is_string()) return bad("an array of strings");
          if (!seen.insert(std::string(e.get_string())).second) return bad("unique strings");
        }
      } else if (key == "enum") {
        if (!v.is_array()) return bad("an array");
        if (draft_ == Draft::k4 && v.get_array().empty()) return bad("a non-empty array");
      } else if (key == "maxLength" || key == "minLength" || key == "maxItems" || key == "minItems" ||
                 key == "maxProperties" || key == "minProperties") {
        if (!IsNonNegativeInteger(v)) return bad("a non-negative integer");
      } else if (key == "multipleOf") {
        if (!v.is_number() || Number(v) <= 0) return bad("a number greater than 0");
      } else if (key == "maximum" || key == "minimum") {
        if (!v.is_number()) return bad("a number");
      } else if (key == "exclusiveMaximum" || key == "exclusiveMinimum") {
        if (draft_ == Draft::k4) {
          if (!v.is_bool()) return bad("a boolean (draft-04)");
          const char* base = key == "exclusiveMaximum" ? "maximum" : "minimum";
          if (o.if_contains(base) == nullptr) {
            return Fail("'" + key + "' requires '" + base + "' at " + Pointer(path) + " (draft-04)");
          }
        } else if (!v.is_number()) {
          return bad("a number");
        }
      } else if (key == "pattern") {
        if (!v.is_string()) return bad("a string");
      } else if (key == "uniqueItems" || key == "readOnly" || key == "writeOnly") {
        if (!v.is_bool()) return bad("a boolean");
      }
      // const, default, examples and unknown keywords take any value.
    }
    return Status::Ok();
  }

  // "#..." references must resolve in the document; the registry fetches nothing from elsewhere.
  Status CheckRef(const std::string& ref) {
    if (ref.empty() || ref[0] != '#') {
      return Fail("$ref " + ref +
                  " cannot be resolved: only references within the schema (#...) are supported");
    }
    if (ref == "#") return Status::Ok();
    if (ref.size() > 1 && ref[1] != '/') return Status::Ok();  // a "#name" anchor ($id), resolved by name
    if (Resolve(root_, ref) == nullptr) return Fail("$ref " + ref + " cannot be resolved");
    return Status::Ok();
  }

  static const json::value* Resolve(const json::value& root, const std::string& ref) {
    if (ref == "#") return &root;
    if (ref.size() < 2 || ref[0] != '#' || ref[1] != '/') return nullptr;
    const json::value* cur = &root;
    std::size_t pos = 2;
    while (true) {
      std::size_t slash = ref.find('/', pos);
      std::string raw = ref.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      std::string token;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
          token += raw[i + 1] == '0' ? '~' : '/';
          ++i;
        } else if (raw[i] == '%' && i + 2 < raw.size() &&
                   std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
          token += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          token += raw[i];
        }
      }
      if (cur->is_object()) {
        cur = cur->get_object().if_contains(token);
      } else if (cur->is_array()) {
        std::size_t idx = 0;
        for (char c : token) {
          if (c < '0' || c > '9') return nullptr;
          idx = idx * 10 + static_cast<std::size_t>(c - '0');
          if (idx > 1000000) return nullptr;
        }
        if (token.empty() || idx >= cur->get_array().size()) return nullptr;
        cur = &cur->get_array()[idx];
      } else {
        return nullptr;
      }
      if (cur == nullptr) return nullptr;
      if (slash == std::string::npos) return cur;
      pos = slash + 1;
    }
  }

 private:
  Draft draft_;
  const json::value& root_;
};

class JsonSchema;

// Does `reader` admit every document `writer` admits? Keyword by keyword, conservatively: a constraint of the
// reader that the writer does not guarantee is a reason.
class Subsumption {
 public:
  Subsumption(const json::value& reader_root, const json::value& writer_root)
      : reader_root_(reader_root), writer_root_(writer_root) {}

  std::string Check(const json::value& r0, const json::value& w0, const std::string& path, int depth = 0) {
    if (depth > 64) return "";
    const json::value& r = Deref(reader_root_, r0);
    const json::value& w = Deref(writer_root_, w0);
    if (!in_progress_.insert({&r, &w}).second) return "";
    std::string why = CheckResolved(r, w, path, depth);
    in_progress_.erase({&r, &w});
    return why;
  }

 private:
  static const json::value& Deref(const json::value& root, const json::value& s) {
    const json::value* cur = &s;
    for (int i = 0; i < 32 && cur->is_object(); ++i) {
      const json::value* ref = cur->get_object().if_contains("$ref");
      if (ref == nullptr || !ref->is_string()) break;
      const json::value* next = Validator::Resolve(root, std::string(ref->get_string()));
      if (next == nullptr) break;
      cur = next;
    }
    return *cur;
  }

  static bool AcceptsAll(const json::value& s) {
    return (s.is_bool() && s.get_bool()) || (s.is_object() && s.get_object().empty());
  }
  static bool RejectsAll(const json::value& s) { return s.is_bool() && !s.get_bool(); }

  // The set of types a schema admits (all seven when it does not say).
  static std::set<std::string> Types(const json::object& o) {
    const json::value* t = o.if_contains("type");
    if (t == nullptr) return {TypeNames().begin(), TypeNames().end()};
    std::set<std::string> out;
    if (t->is_string()) out.insert(std::string(t->get_string()));
    if (t->is_array()) {
      for (const auto& e : t->get_array()) {
        if (e.is_string()) out.insert(std::string(e.get_string()));
      }
    }
    return out;
  }

  static std::string Where(const std::string& path) { return path.empty() ? "#" : "#" + path; }

  std::string CheckResolved(const json::value& r, const json::value& w, const std::string& path, int depth) {
    if (AcceptsAll(r) || RejectsAll(w)) return "";
    if (RejectsAll(r)) return "the reader admits nothing at " + Where(path);
    static const json::object kEmpty;
    const json::object& ro = r.is_object() ? r.get_object() : kEmpty;
    const json::object& wo = w.is_object() ? w.get_object() : kEmpty;

    // Combinators of the writer: its documents satisfy every allOf branch, and one of its anyOf/oneOf
    // branches.
    for (const char* comb : {"anyOf", "oneOf"}) {
      if (const json::value* wb = wo.if_contains(comb); wb != nullptr && wb->is_array()) {
        json::object rest = wo;
        rest.erase(comb);
        for (const auto& b : wb->get_array()) {
          json::object merged = rest;
          if (b.is_object()) {
            for (const auto& [k, v] : b.get_object()) {
              if (merged.if_contains(k) == nullptr) merged[k] = v;
            }
          }
          std::string why = Check(r, json::value(merged), path, depth + 1);
          if (!why.empty()) return why;
        }
        return "";
      }
    }
    // Combinators of the reader.
    if (const json::value* rb = ro.if_contains("allOf"); rb != nullptr && rb->is_array()) {
      for (const auto& b : rb->get_array()) {
        std::string why = Check(b, w, path, depth + 1);
        if (!why.empty()) return why;
      }
    }
    for (const char* comb : {"anyOf", "oneOf"}) {
      if (const json::value* rb = ro.if_contains(comb); rb != nullptr && rb->is_array()) {
        bool any = false;
        for (const auto& b : rb->get_array()) any = any || Check(b, w, path, depth + 1).empty();
        if (!any)
          return "no " + std::string(comb) + " branch of the reader admits the writer's documents at " +
                 Where(path);
      }
    }
    if (const json::value* rn = ro.if_contains("not"); rn != nullptr) {
      const json::value* wn = wo.if_contains("not");
      if (wn == nullptr || *wn != *rn) return "the reader's 'not' at " + Where(path) + " is new";
    }

    // Types: integer is a number.
    const std::set<std::string> rt = Types(ro);
    for (const auto& t : Types(wo)) {
      if (rt.count(t) != 0) continue;
      if (t == "integer" && rt.count("number") != 0) continue;
      return "the reader does not admit type '" + t + "' at " + Where(path);
    }

    // enum / const: the writer's values must be among the reader's.
    auto values_of = [](const json::object& o) -> std::optional<std::vector<json::value>> {
      if (const json::value* c = o.if_contains("const")) return std::vector<json::value>{*c};
      if (const json::value* e = o.if_contains("enum"); e != nullptr && e->is_array()) {
        return std::vector<json::value>(e->get_array().begin(), e->get_array().end());
      }
      return std::nullopt;
    };
    if (auto rv = values_of(ro)) {
      auto wv = values_of(wo);
      if (!wv)
        return "the reader restricts the values at " + Where(path) + " (enum/const) and the writer does not";
      for (const auto& v : *wv) {
        bool found = false;
        for (const auto& x : *rv) found = found || x == v;
        if (!found) return "the reader does not admit the value " + json::serialize(v) + " at " + Where(path);
      }
    }

    // Bounds: the reader's must be no tighter than the writer's.
    std::string why = Bounds(ro, wo, path);
    if (!why.empty()) return why;

    // Objects.
    if (rt.count("object") != 0) {
      std::set<std::string> w_required;
      if (const json::value* req = wo.if_contains("required"); req != nullptr && req->is_array()) {
        for (const auto& e : req->get_array()) {
          if (e.is_string()) w_required.insert(std::string(e.get_string()));
        }
      }
      if (const json::value* req = ro.if_contains("required"); req != nullptr && req->is_array()) {
        for (const auto& e : req->get_array()) {
          if (e.is_string() && w_required.count(std::string(e.get_string())) == 0) {
            return "property '" + std::string(e.get_string()) + "' is required by the reader at " +
                   Where(path) + " but not by the writer";
          }
        }
      }
      const json::object* rprops = nullptr;
      const json::object* wprops = nullptr;
      if (const json::value* p = ro.if_contains("properties"); p != nullptr && p->is_object())
        rprops = &p->get_object();
      if (const json::value* p = wo.if_contains("properties"); p != nullptr && p->is_object())
        wprops = &p->get_object();
      const json::value* rap = ro.if_contains("additionalProperties");
      const json::value* wap = wo.if_contains("additionalProperties");
      if (wprops != nullptr) {
        for (const auto& [name, ws] : *wprops) {
          const std::string ppath = path + "/properties/" + Escape(name);
          if (rprops != nullptr) {
            if (const json::value* rs = rprops->if_contains(name)) {
              why = Check(*rs, ws, ppath, depth + 1);
              if (!why.empty()) return why;
              continue;
            }
          }
          if (rap != nullptr) {
            if (RejectsAll(*rap) && !RejectsAll(ws)) {
              return "property '" + std::string(name) +
                     "' of the writer is not allowed by the reader's closed content model at " + Where(path);
            }
            why = Check(*rap, ws, ppath, depth + 1);
            if (!why.empty()) return why;
          }
        }
      }
      // Properties the writer leaves open: the reader must not close what the writer allowed.
      if (rap != nullptr && RejectsAll(*rap) && (wap == nullptr || !RejectsAll(*wap))) {
        return "the reader closes the content model at " + Where(path) +
               " (additionalProperties false) that the writer leaves open";
      }
      if (rap != nullptr && wap != nullptr && !RejectsAll(*wap) && !rap->is_bool()) {
        why = Check(*rap, *wap, path + "/additionalProperties", depth + 1);
        if (!why.empty()) return why;
      }
    }

    // Arrays.
    if (rt.count("array") != 0) {
      const json::value* ri = ro.if_contains("items");
      const json::value* wi = wo.if_contains("items");
      if (ri != nullptr && !ri->is_array()) {
        if (wi == nullptr) {
          if (!AcceptsAll(*ri))
            return "the reader constrains the items at " + Where(path) + " and the writer does not";
        } else if (wi->is_array()) {
          for (std::size_t i = 0; i < wi->get_array().size(); ++i) {
            why = Check(*ri, wi->get_array()[i], path + "/items/" + std::to_string(i), depth + 1);
            if (!why.empty()) return why;
          }
        } else {
          why = Check(*ri, *wi, path + "/items", depth + 1);
          if (!why.empty()) return why;
        }
      } else if (ri != nullptr && ri->is_array()) {
        if (wi == nullptr || !wi->is_array())
          return "the reader's tuple items at " + Where(path) + " are new";
        const auto& ra = ri->get_array();
        const auto& wa = wi->get_array();
        for (std::size_t i = 0; i < ra.size() && i < wa.size(); ++i) {
          why = Check(ra[i], wa[i], path + "/items/" + std::to_string(i), depth + 1);
          if (!why.empty()) return why;
        }
      }
      if (ro.if_contains("uniqueItems") != nullptr && ro.at("uniqueItems").is_bool() &&
          ro.at("uniqueItems").get_bool()) {
        const json::value* wu = wo.if_contains("uniqueItems");
        if (wu == nullptr || !wu->is_bool() || !wu->get_bool())
          return "the reader requires unique items at " + Where(path);
      }
    }

    // Strings.
    if (rt.count("string") != 0) {
      for (const char* k : {"pattern", "format"}) {
        const json::value* rv = ro.if_contains(k);
        if (rv == nullptr) continue;
        const json::value* wv = wo.if_contains(k);
        if (wv == nullptr || *wv != *rv)
          return "the reader's '" + std::string(k) + "' at " + Where(path) + " differs from the writer's";
      }
    }
    return "";
  }

  static std::string Bounds(const json::object& ro, const json::object& wo, const std::string& path) {
    // {keyword, true when the reader's limit must be >= the writer's (an upper bound)}
    static const std::pair<const char*, bool> kLimits[] = {
        {"maxLength", true},     {"minLength", false},     {"maxItems", true}, {"minItems", false},
        {"maxProperties", true}, {"minProperties", false}, {"maximum", true},  {"minimum", false}};
    for (const auto& [k, upper] : kLimits) {
      const json::value* rv = ro.if_contains(k);
      if (rv == nullptr || !rv->is_number()) continue;
      const json::value* wv = wo.if_contains(k);
      if (wv == nullptr || !wv->is_number()) {
        return "the reader adds '" + std::string(k) + "' at " + Where(path);
      }
      const double rn = Number(*rv);
      const double wn = Number(*wv);
      if (upper ? rn < wn : rn > wn) {
        return "the reader's '" + std::string(k) + "' at " + Where(path) + " is tighter than the writer's";
      }
    }
    for (const char* k : {"exclusiveMaximum", "exclusiveMinimum"}) {
      const json::value* rv = ro.if_contains(k);
      if (rv == nullptr || (rv->is_bool() && !rv->get_bool())) continue;
      const json::value* wv = wo.if_contains(k);
      if (wv == nullptr || *wv != *rv) {
        if (rv->is_number() && wv != nullptr && wv->is_number()) {
          const bool upper = std::string_view(k) == "exclusiveMaximum";
          if (upper ? Number(*rv) >= Number(*wv) : Number(*rv) <= Number(*wv)) continue;
        }
        return "the reader's '" + std::string(k) + "' at " + Where(path) + " is tighter than the writer's";
      }
    }
    if (const json::value* rm = ro.if_contains("multipleOf"); rm != nullptr && rm->is_number()) {
      const json::value* wm = wo.if_contains("multipleOf");
      if (wm == nullptr || !wm->is_number()) return "the reader adds 'multipleOf' at " + Where(path);
      const double q = Number(*wm) / Number(*rm);
      if (std::fabs(q - std::round(q)) > 1e-9)
        return "the reader's 'multipleOf' at " + Where(path) + " does not divide the writer's";
    }
    return "";
  }

  const json::value& reader_root_;
  const json::value& writer_root_;
  std::set<std::pair<const json::value*, const json::value*>> in_progress_;
};

class JsonSchema final : public Schema {
 public:
  DataFormat format() const override { return DataFormat::kJson; }
  const std::string& canonical() const override { return canonical_; }
  std::string ReadsFrom(const Schema& writer) const override {
    const auto* w = dynamic_cast<const JsonSchema*>(&writer);
    if (w == nullptr) return "the schemas are not both JSON";
    Subsumption s(document_, w->document_);
    return s.Check(document_, w->document_, "");
  }

  json::value document_;
  std::string canonical_;
};

}  // namespace

Result<std::shared_ptr<const Schema>> ParseJsonSchema(std::string_view definition) {
  auto schema = std::make_shared<JsonSchema>();
  boost::system::error_code ec;
  schema->document_ = json::parse(definition, ec);
  if (ec) return Fail("Invalid JSON: " + ec.message());
  const json::value& doc = schema->document_;
  if (!doc.is_object() && !doc.is_bool()) return Fail("A JSON Schema must be a JSON object or a boolean");
  Draft draft = Draft::k4;  // the draft Everit assumes without $schema
  if (doc.is_object()) {
    if (const json::value* s = doc.get_object().if_contains("$schema")) {
      if (!s->is_string()) return Fail("$schema must be a string");
      std::string uri(s->get_string());
      if (!uri.empty() && uri.back() == '#') uri.pop_back();
      if (uri.rfind("https://", 0) == 0) uri = "http://" + uri.substr(8);
      if (uri == "http://json-schema.org/draft-04/schema" || uri == "http://json-schema.org/schema") {
        draft = Draft::k4;
      } else if (uri == "http://json-schema.org/draft-06/schema") {
        draft = Draft::k6;
      } else if (uri == "http://json-schema.org/draft-07/schema") {
        draft = Draft::k7;
      } else {
        return Fail("Unsupported $schema " + std::string(s->get_string()) +
                    ": the registry supports JSON Schema draft-04, draft-06 and draft-07");
      }
    }
  } else if (draft == Draft::k4) {
    return Fail("boolean schemas are not allowed in draft-04");
  }
  Validator v(draft, doc);
  CENOTE_RETURN_IF_ERROR(v.Check(doc, ""));
  schema->canonical_ = json::serialize(doc);
  return std::shared_ptr<const Schema>(std::move(schema));
}

}  // namespace cenote::glue::schemas
