// Catalog binding and partition pruning (statement.hpp BindTables, CompileUserQuery).
//
// Each catalog table in the statement becomes a subquery over exactly the files the resolver returns
// for the partitions that survive pruning; the subquery is generated SQL (trusted), parsed by DuckDB
// and spliced into the user's tree, so no user text is ever concatenated into SQL.
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "query/dialect_functions.hpp"
#include "query/dialect_overloads.hpp"
#include "query/dialect_type_checks.hpp"
#include "query/engine_errors.hpp"
#include "query/statement.hpp"
#include "query/type_tree.hpp"

namespace cenote::query::internal {
namespace {

namespace json = boost::json;

constexpr int kMaxViewDepth = 16;

// Splits a WHERE clause into its top-level AND conjuncts.
void SplitConjuncts(json::value* expr, std::vector<json::value*>& out) {
  if (expr == nullptr || !expr->is_object()) return;
  json::object& o = expr->get_object();
  if (StringField(o, "class") == "CONJUNCTION" && StringField(o, "type") == "CONJUNCTION_AND") {
    if (json::value* children = o.if_contains("children"); children != nullptr && children->is_array()) {
      for (json::value& c : children->get_array()) SplitConjuncts(&c, out);
      return;
    }
  }
  out.push_back(expr);
}

// True if the expression's value depends only on its text: column references, constants, comparisons,
// AND/OR/NOT, IN, IS NULL, BETWEEN and casts. Functions are left out (current_date, random()), so a
// partition filter that calls one is evaluated afresh every time.
bool IsPureExpression(const json::value& v) {
  if (v.is_array()) {
    for (const json::value& item : v.get_array())
      if (!IsPureExpression(item)) return false;
    return true;
  }
  if (!v.is_object()) return true;
  const json::object& o = v.get_object();
  if (const json::value* cls = o.if_contains("class"); cls != nullptr && cls->is_string()) {
    std::string_view c = cls->get_string();
    if (c != "COLUMN_REF" && c != "CONSTANT" && c != "COMPARISON" && c != "CONJUNCTION" && c != "OPERATOR" &&
        c != "BETWEEN" && c != "CAST")
      return false;
  }
  for (const auto& [key, child] : o) {
    if (!IsPureExpression(child)) return false;
  }
  return true;
}

// True if every column the conjunct names is one of `keys`, qualified by `alias` or not, and the
// conjunct has no subqueries, windows, lambdas or parameters. Counts the column references.
bool OnlyPartitionKeys(const json::value& v, const std::string& alias,
                       const std::unordered_set<std::string>& keys, int& refs) {
  if (v.is_array()) {
    for (const json::value& item : v.get_array())
      if (!OnlyPartitionKeys(item, alias, keys, refs)) return false;
    return true;
  }
  if (!v.is_object()) return true;
  const json::object& o = v.get_object();
  std::string cls = StringField(o, "class");
  if (cls == "SUBQUERY" || cls == "WINDOW" || cls == "LAMBDA" || cls == "PARAMETER" || cls == "STAR" ||
      cls == "LAMBDA_REF" || cls == "POSITIONAL_REFERENCE")
    return false;
  if (cls == "COLUMN_REF") {
    const json::value* names = o.if_contains("column_names");
    if (names == nullptr || !names->is_array()) return false;
    const json::array& n = names->get_array();
    if (n.size() == 1 && n[0].is_string()) {
      ++refs;
      return keys.count(Lower(n[0].get_string())) > 0;
    }
    if (n.size() == 2 && n[0].is_string() && n[1].is_string()) {
      ++refs;
      return Lower(n[0].get_string()) == alias && keys.count(Lower(n[1].get_string())) > 0;
    }
    return false;
  }
  for (const auto& [key, child] : o) {
    if (key == "cast_type") continue;
    if (!OnlyPartitionKeys(child, alias, keys, refs)) return false;
  }
  return true;
}

// Drops the table qualifier of column references (t.year -> year) for evaluation over the partitions.
void Unqualify(json::value& v) {
  if (v.is_array()) {
    for (json::value& item : v.get_array()) Unqualify(item);
    return;
  }
  if (!v.is_object()) return;
  json::object& o = v.get_object();
  if (StringField(o, "class") == "COLUMN_REF") {
    json::array& n = o["column_names"].as_array();
    if (n.size() == 2) n.erase(n.begin());
    return;
  }
  for (auto& [key, child] : o) Unqualify(child);
}

// Absolute, so DuckDB's allowed_directories prefix check sees the same form the engine allowed.
std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec).lexically_normal();
  return ec ? path : absolute.string();
}

// "gzip", "zstd" or "none", from a file's first bytes.
std::string DetectCompression(const std::string& path) {
  unsigned char magic[4] = {0, 0, 0, 0};
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(magic), sizeof(magic));
  if (in.gcount() >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return "gzip";
  if (in.gcount() == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return "zstd";
  return "none";
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The text codec: from the object's key extension when known (as Athena does), else sniffed.
std::string DetectCompression(const TableFile& file) {
  if (file.key.empty()) return DetectCompression(file.path);
  std::string key = Lower(file.key);
  if (EndsWith(key, ".gz") || EndsWith(key, ".gzip")) return "gzip";
  if (EndsWith(key, ".zst") || EndsWith(key, ".zstd")) return "zstd";
  return "none";
}

bool IsGlobSafe(const std::string& path) { return path.find_first_of("*?[{") == std::string::npos; }

// ['a', 'b'] for read_parquet and friends.
std::string SqlList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += QuoteLiteral(items[i]);
  }
  return out + "]";
}

std::string FileList(const std::vector<TableFile>& files) {
  std::vector<std::string> paths;
  for (const TableFile& f : files) paths.push_back(AbsolutePath(f.path));
  return SqlList(paths);
}

struct Column {
  std::string name;
  std::string duck_type;
};

// A partition key or value DuckDB's Hive-path parser reads back exactly as written: it URL-decodes
// values and reads NULL as NULL, so only plain words qualify; anything else binds the slow way.
bool HiveSafe(const std::string& s) {
  if (s.empty() || s.size() > 200 || s.find_first_not_of('.') == std::string::npos) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
  }
  return Lower(s) != "null" && s != "__HIVE_DEFAULT_PARTITION__";
}

// True if CAST(value AS duck_type) succeeds exactly when TRY_CAST does not give NULL, for the types a
// Hive folder can carry without surprises; other types bind the slow way (TRY_CAST per partition).
bool CastsCleanly(const std::string& value, const std::string& duck_type) {
  if (duck_type == "VARCHAR") return true;
  auto integer = [&](std::int64_t lo, std::int64_t hi) {
    std::int64_t v = 0;
    const char* end = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), end, v);
    return ec == std::errc() && ptr == end && v >= lo && v <= hi;
  };
  if (duck_type == "TINYINT") return integer(-128, 127);
  if (duck_type == "SMALLINT") return integer(-32768, 32767);
  if (duck_type == "INTEGER") return integer(INT32_MIN, INT32_MAX);
  if (duck_type == "BIGINT") return integer(INT64_MIN, INT64_MAX);
  if (duck_type == "DATE") {
    if (value.size() != 10 || value[4] != '-' || value[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
      if (!std::isdigit(static_cast<unsigned char>(value[i]))) return false;
    int y = std::stoi(value.substr(0, 4));
    int m = std::stoi(value.substr(5, 2));
    int d = std::stoi(value.substr(8, 2));
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  }
  return false;
}

// 16 hex digits of FNV-1a over `s`: link names that differ for different targets.
std::string HashName(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static const char* kHex = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 15];
  return out;
}

// `link` -> `target`, created if missing; true if it exists and points there.
bool EnsureLink(const std::filesystem::path& link, const std::string& target) {
  std::error_code ec;
  std::filesystem::create_directories(link.parent_path(), ec);
  if (ec) return false;
  std::filesystem::create_symlink(target, link, ec);
  if (!ec) return true;
  std::error_code read_ec;
  std::filesystem::path existing = std::filesystem::read_symlink(link, read_ec);
  return !read_ec && existing.string() == target;
}

class Binder {
 public:
  Binder(const QueryContext& ctx, TableResolver& resolver, SqlHost& host, const SandboxPolicy& policy,
         BindStats& stats, std::vector<std::string>& view_stack)
      : ctx_(ctx),
        resolver_(resolver),
        host_(host),
        policy_(policy),
        stats_(stats),
        view_stack_(view_stack) {}

  Status Walk(json::value& v, const std::vector<json::value*>* prune, int depth) {
    if (depth > 400) return MakeError(kNotSupported, "NOT_SUPPORTED: The query is nested too deeply");
    if (v.is_array()) {
      for (json::value& item : v.get_array()) CENOTE_RETURN_IF_ERROR(Walk(item, nullptr, depth + 1));
      return Status::Ok();
    }
    if (!v.is_object()) return Status::Ok();
    json::object& o = v.get_object();
    if (o.contains("class")) return WalkChildren(o, depth);  // expressions: subqueries inside start fresh
    std::string type = StringField(o, "type");
    if (type == "SELECT_NODE" || type == "SET_OPERATION_NODE" || type == "RECURSIVE_CTE_NODE" ||
        type == "CTE_NODE") {
      std::unordered_set<std::string> names;
      if (json::value* ctes = o.if_contains("cte_map"); ctes != nullptr && ctes->is_object()) {
        if (json::value* map = ctes->get_object().if_contains("map"); map != nullptr && map->is_array()) {
          for (const json::value& entry : map->get_array()) {
            if (entry.is_object()) names.insert(Lower(StringField(entry.get_object(), "key")));
          }
        }
      }
      std::string self = StringField(o, "ctename");
      if (!self.empty()) names.insert(Lower(self));
      scopes_.push_back(std::move(names));
      Status s = WalkQueryNode(o, type, depth);
      scopes_.pop_back();
      return s;
    }
    if (type == "JOIN") {
      std::string join = StringField(o, "join_type");
      std::string ref = StringField(o, "ref_type");
      bool plain = ref == "REGULAR" || ref == "CROSS" || ref == "NATURAL";
      const std::vector<json::value*>* left =
          plain && (join == "INNER" || join == "LEFT" || join == "SEMI" || join == "ANTI") ? prune : nullptr;
      const std::vector<json::value*>* right =
          plain && (join == "INNER" || join == "RIGHT") ? prune : nullptr;
      for (auto& [key, child] : o) {
        if (key == "left") {
          CENOTE_RETURN_IF_ERROR(Walk(child, left, depth + 1));
        } else if (key == "right") {
          CENOTE_RETURN_IF_ERROR(Walk(child, right, depth + 1));
        } else {
          CENOTE_RETURN_IF_ERROR(Walk(child, nullptr, depth + 1));
        }
      }
      return Status::Ok();
    }
    if (type == "BASE_TABLE") return BindBaseTable(v, prune);
    return WalkChildren(o, depth);
  }

 private:
  Status WalkChildren(json::object& o, int depth) {
    for (auto& [key, child] : o) {
      if (key == "cast_type") continue;
      CENOTE_RETURN_IF_ERROR(Walk(child, nullptr, depth + 1));
    }
    return Status::Ok();
  }

  Status WalkQueryNode(json::object& o, const std::string& type, int depth) {
    if (type != "SELECT_NODE") return WalkChildren(o, depth);
    std::vector<json::value*> conjuncts;
    SplitConjuncts(o.if_contains("where_clause"), conjuncts);
    for (auto& [key, child] : o) {
      if (key == "from_table") {
        CENOTE_RETURN_IF_ERROR(Walk(child, &conjuncts, depth + 1));
      } else if (key != "cast_type") {
        CENOTE_RETURN_IF_ERROR(Walk(child, nullptr, depth + 1));
      }
    }
    return Status::Ok();
  }

  bool IsCte(const std::string& name) const {
    for (const auto& scope : scopes_)
      if (scope.count(name) > 0) return true;
    return false;
  }

  Status BindBaseTable(json::value& v, const std::vector<json::value*>* prune) {
    json::object& o = v.get_object();
    std::string schema = Lower(StringField(o, "schema_name"));
    std::string table = Lower(StringField(o, "table_name"));
    if (schema.empty() && IsCte(table)) return Status::Ok();
    std::string database = schema.empty() ? Lower(ctx_.database) : schema;
    CENOTE_ASSIGN_OR_RETURN(TableBinding binding, resolver_.Describe(database, table));
    std::string alias = StringField(o, "alias");
    std::string visible = Lower(alias.empty() ? table : alias);

    json::value subquery;
    if (binding.is_view) {
      CENOTE_ASSIGN_OR_RETURN(subquery, BindView(binding));
    } else {
      CENOTE_ASSIGN_OR_RETURN(subquery, BindFiles(binding, visible, prune));
    }
    json::object ref;
    ref["type"] = "SUBQUERY";
    ref["alias"] = alias.empty() ? std::string(StringField(o, "table_name")) : alias;
    ref["sample"] = o.contains("sample") ? o["sample"] : json::value(nullptr);
    ref["query_location"] = o.contains("query_location") ? o["query_location"] : json::value(0);
    ref["subquery"] = std::move(subquery);
    ref["column_name_alias"] = o.contains("column_name_alias") ? o["column_name_alias"] : json::array();
    v = std::move(ref);
    return Status::Ok();
  }

  Result<json::value> BindView(const TableBinding& view) {
    std::string key = view.database + "." + view.name;
    if (std::find(view_stack_.begin(), view_stack_.end(), key) != view_stack_.end())
      return MakeError(kSyntaxError, "SYNTAX_ERROR: View '" + key + "' refers to itself");
    if (view_stack_.size() >= static_cast<std::size_t>(kMaxViewDepth))
      return MakeError(kNotSupported, "NOT_SUPPORTED: Views are nested too deeply");
    CENOTE_ASSIGN_OR_RETURN(json::value doc, host_.Parse(view.view_sql));
    CENOTE_ASSIGN_OR_RETURN(auto* stmt, SingleStatement(doc));
    json::value& statement = *stmt;
    CENOTE_RETURN_IF_ERROR(CheckStatement(statement, policy_));
    CENOTE_RETURN_IF_ERROR(RewriteDialect(statement));
    view_stack_.push_back(key);
    QueryContext view_ctx = ctx_;
    view_ctx.database = view.database;
    Binder inner(view_ctx, resolver_, host_, policy_, stats_, view_stack_);
    Status bound = inner.Walk(statement, nullptr, 0);
    view_stack_.pop_back();
    if (!bound) {
      // A table or schema the view names that is gone (dropped, renamed): Trino's analyzer reports the
      // view, with the inner error positioned in the view's text (InAthenaWords then positions the view's
      // name in the statement).
      Error inner_error = std::move(bound).error();
      if (inner_error.code != "TABLE_NOT_FOUND" && inner_error.code != "SCHEMA_NOT_FOUND") return inner_error;
      Error worded = InAthenaWords(std::move(inner_error), view.view_sql);
      const std::string prefix = worded.code + ": ";
      std::string body =
          worded.message.starts_with(prefix) ? worded.message.substr(prefix.size()) : worded.message;
      return MakeError("INVALID_VIEW", "Failed analyzing stored view 'awsdatacatalog." + key + "': " + body);
    }
    return std::move(statement);
  }

  Result<std::vector<Column>> Columns(const std::vector<ColumnDef>& defs) {
    std::vector<Column> out;
    for (const ColumnDef& def : defs) {
      auto t = GlueTypeToDuckDb(def.type);
      if (!t)
        return MakeError("HIVE_INVALID_METADATA", "HIVE_INVALID_METADATA: Column '" + def.name +
                                                      "' has an invalid type '" + def.type + "'");
      out.push_back({Lower(def.name), *t});
    }
    return out;
  }

  // Indices of the partitions whose values satisfy the conjuncts that name only partition keys.
  Result<std::vector<std::size_t>> Prune(const std::vector<PartitionBinding>& partitions,
                                         const std::vector<Column>& keys, const std::string& alias,
                                         const std::vector<json::value*>* prune) {
    std::vector<std::size_t> all(partitions.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    if (prune == nullptr || keys.empty() || partitions.empty()) return all;
    std::unordered_set<std::string> key_names;
    for (const Column& k : keys) key_names.insert(k.name);
    std::vector<json::value> usable;
    bool pure = true;
    for (json::value* c : *prune) {
      // The dialect's operand type checks (dialect_type_checks.hpp) decide nothing about partitions.
      if (c->is_object() && StringField(c->get_object(), "function_name") == "__cenote_check_types") continue;
      int refs = 0;
      if (OnlyPartitionKeys(*c, alias, key_names, refs) && refs > 0) {
        json::value copy = *c;
        Unqualify(copy);
        pure = pure && IsPureExpression(copy);
        usable.push_back(std::move(copy));
      }
    }
    if (usable.empty()) return all;

    std::string sql = "SELECT __cenote_idx FROM (VALUES ";
    for (std::size_t i = 0; i < partitions.size(); ++i) {
      if (i > 0) sql += ", ";
      sql += '(';
      sql += std::to_string(i);
      for (std::size_t k = 0; k < keys.size(); ++k) {
        const std::vector<std::string>& values = partitions[i].values;
        std::string value = k < values.size() ? values[k] : std::string();
        if (k >= values.size() || value == "__HIVE_DEFAULT_PARTITION__") {
          sql += ", CAST(NULL AS " + keys[k].duck_type + ")";
        } else {
          sql += ", TRY_CAST(" + QuoteLiteral(value) + " AS " + keys[k].duck_type + ")";
        }
      }
      sql += ")";
    }
    sql += ") AS __cenote_p(__cenote_idx";
    for (const Column& k : keys) sql += ", " + QuoteIdentifier(k.name);
    sql += ") WHERE true";
    auto doc = host_.Parse(sql);
    if (!doc) return all;
    auto stmt = SingleStatement(*doc);
    if (!stmt) return all;
    json::object& node = (**stmt).get_object()["node"].as_object();
    if (usable.size() == 1) {
      node["where_clause"] = std::move(usable[0]);
    } else {
      json::object conj;
      conj["class"] = "CONJUNCTION";
      conj["type"] = "CONJUNCTION_AND";
      conj["alias"] = "";
      conj["query_location"] = 0;
      json::array children;
      for (json::value& u : usable) children.push_back(std::move(u));
      conj["children"] = std::move(children);
      node["where_clause"] = std::move(conj);
    }
    auto text = host_.Deparse(*doc);
    if (!text) return all;
    // The query names the partition values and the filter as literals: when the filter is pure, its
    // answer is a function of the text and is cached with the other immutable answers.
    auto rows = pure ? host_.QueryImmutable(*text) : host_.Query(*text);
    // A filter DuckDB cannot evaluate over the partition values alone (a type error, say) prunes
    // nothing; the full filter still runs over the rows.
    if (!rows) return all;
    std::vector<std::size_t> out;
    for (const auto& row : *rows) {
      if (!row.empty() && row[0]) out.push_back(static_cast<std::size_t>(std::stoull(*row[0])));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Indices of the partitions that Iceberg hidden partition values and column bounds do not rule out
  // (TableBinding::hidden_partitions): for each conjunct `source = constant`, `source IN (constants)` and, on
  // an ordered field, `source < | <= | > | >= constant` or `source BETWEEN constant AND constant`, a
  // partition is kept when it has no such field, or its value (range) may hold a row that satisfies it.
  Result<std::vector<std::size_t>> HiddenPrune(const TableBinding& t, const std::vector<Column>& columns,
                                               const std::vector<PartitionBinding>& partitions,
                                               const std::string& alias,
                                               const std::vector<json::value*>* prune) {
    std::vector<std::size_t> all(partitions.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    const auto& hidden = t.hidden_partitions;
    if (prune == nullptr || hidden.empty() || partitions.size() < 2) return all;
    auto source_of = [&](const json::value& v) -> std::optional<std::string> {
      if (!v.is_object() || StringField(v.get_object(), "class") != "COLUMN_REF") return std::nullopt;
      const json::value* names = v.get_object().if_contains("column_names");
      if (names == nullptr || !names->is_array()) return std::nullopt;
      const json::array& n = names->get_array();
      std::string name;
      if (n.size() == 1 && n[0].is_string()) {
        name = Lower(n[0].get_string());
      } else if (n.size() == 2 && n[0].is_string() && n[1].is_string() && Lower(n[0].get_string()) == alias) {
        name = Lower(n[1].get_string());
      } else {
        return std::nullopt;
      }
      for (const auto& h : hidden)
        if (h.source == name) return name;
      return std::nullopt;
    };
    auto constant = [&](const json::value& v) {
      int refs = 0;
      return OnlyPartitionKeys(v, alias, {}, refs) && refs == 0 && IsPureExpression(v);
    };
    // What a usable conjunct says of its source column: kIn, one of the values; kLess / kLessEqual /
    // kGreater / kGreaterEqual the first constant; kBetween, between the two constants.
    enum class Op { kIn, kLess, kLessEqual, kGreater, kGreaterEqual, kBetween };
    struct Term {
      std::string source;
      Op op;
      std::vector<const json::value*> values;
    };
    std::vector<Term> terms;
    for (json::value* c : *prune) {
      if (!c->is_object()) continue;
      const json::object& o = c->get_object();
      std::string cls = StringField(o, "class"), type = StringField(o, "type");
      if (cls == "COMPARISON" && o.contains("left") && o.contains("right")) {
        // col OP k, or k OP col read as col OP' k.
        static const std::pair<const char*, std::pair<Op, Op>> kOps[] = {
            {"COMPARE_EQUAL", {Op::kIn, Op::kIn}},
            {"COMPARE_LESSTHAN", {Op::kLess, Op::kGreater}},
            {"COMPARE_LESSTHANOREQUALTO", {Op::kLessEqual, Op::kGreaterEqual}},
            {"COMPARE_GREATERTHAN", {Op::kGreater, Op::kLess}},
            {"COMPARE_GREATERTHANOREQUALTO", {Op::kGreaterEqual, Op::kLessEqual}}};
        const json::value& l = o.at("left");
        const json::value& r = o.at("right");
        for (const auto& [name, ops] : kOps) {
          if (type != name) continue;
          if (auto s = source_of(l); s && constant(r))
            terms.push_back({*s, ops.first, {&r}});
          else if (auto s2 = source_of(r); s2 && constant(l))
            terms.push_back({*s2, ops.second, {&l}});
        }
      } else if (cls == "BETWEEN" && o.contains("input") && o.contains("lower") && o.contains("upper")) {
        if (auto s = source_of(o.at("input")); s && constant(o.at("lower")) && constant(o.at("upper")))
          terms.push_back({*s, Op::kBetween, {&o.at("lower"), &o.at("upper")}});
      } else if (cls == "OPERATOR" && type == "COMPARE_IN") {
        const json::value* children = o.if_contains("children");
        if (children == nullptr || !children->is_array() || children->get_array().size() < 2) continue;
        const json::array& ch = children->get_array();
        auto s = source_of(ch[0]);
        if (!s) continue;
        std::vector<const json::value*> values;
        bool ok = true;
        for (std::size_t i = 1; i < ch.size() && ok; ++i) {
          ok = constant(ch[i]);
          values.push_back(&ch[i]);
        }
        if (ok && values.size() <= 1000) terms.push_back({*s, Op::kIn, std::move(values)});
      }
    }
    if (terms.empty()) return all;

    // The condition, with the constants as placeholder columns __cenote_kN spliced in after parsing. Per
    // field j of a partition: __cenote_hj (the partition has the field), __cenote_lj / __cenote_uj the
    // lowest and highest value (one value: both; NULL when every row is NULL), __cenote_aj / __cenote_bj
    // whether each side is known. A field whose transform is the identity compares the column's values with
    // the constants as the query does; another compares transformed values, so a strict comparison becomes
    // an inclusive one (a < k only says T(a) <= T(k)).
    std::vector<const json::value*> constants;
    // Fields no partition has a value or range of prune nothing (columns of files without metrics).
    std::vector<bool> informative(hidden.size(), false);
    for (const PartitionBinding& p : partitions) {
      for (std::size_t j = 0; j < hidden.size(); ++j) {
        informative[j] = informative[j] || (j < p.hidden_values.size() && p.hidden_values[j].has_value()) ||
                         (j < p.hidden_ranges.size() && p.hidden_ranges[j].has_value());
      }
    }
    std::vector<bool> used(hidden.size(), false);
    std::vector<std::string> types(hidden.size());
    std::string where;
    for (const Term& term : terms) {
      std::string duck_type;
      for (const Column& c : columns)
        if (c.name == term.source) duck_type = c.duck_type;
      if (duck_type.empty()) continue;
      for (std::size_t j = 0; j < hidden.size(); ++j) {
        const TableBinding::HiddenPartition& h = hidden[j];
        if (h.source != term.source || !informative[j] || (term.op != Op::kIn && !h.ordered)) continue;
        const bool identity = h.transform == "{}";
        types[j] = h.type.empty() ? duck_type : h.type;
        used[j] = true;
        // A strict bound on a transform: a < k says a <= k - (the type's step) when k is a value of the
        // column's type (casts to it exactly), so T(a) <= T(k - step): `ts < midnight` does not read the
        // day that starts at midnight. `step` is -1 / +1 step, "" none (no predecessor: strings).
        std::string step_unit = duck_type == "TIMESTAMP" ? "INTERVAL 1 MICROSECOND"
                                : duck_type == "DATE" || duck_type == "INTEGER" || duck_type == "BIGINT" ? "1"
                                                                                                         : "";
        auto value_of = [&](const json::value* v, int step = 0) {
          std::string placeholder = "__cenote_k" + std::to_string(constants.size());
          constants.push_back(v);
          if (identity) return placeholder;
          const std::string k = placeholder;
          placeholder = "CAST(" + k + " AS " + duck_type + ")";
          if (step != 0 && !step_unit.empty()) {
            placeholder = "(CASE WHEN " + placeholder + " = " + k + " THEN " + placeholder +
                          (step < 0 ? " - " : " + ") + step_unit + " ELSE " + placeholder + " END)";
          }
          std::string expr = h.transform;
          for (std::size_t at = expr.find("{}"); at != std::string::npos;
               at = expr.find("{}", at + placeholder.size()))
            expr.replace(at, 2, placeholder);
          return "(" + expr + ")";
        };
        const std::string n = std::to_string(j);
        const std::string l = "__cenote_l" + n, u = "__cenote_u" + n;
        auto low = [&](const char* op, const std::string& x) {
          return "(NOT __cenote_a" + n + " OR " + l + " " + op + " " + x + ")";
        };
        auto high = [&](const char* op, const std::string& x) {
          return "(NOT __cenote_b" + n + " OR " + u + " " + op + " " + x + ")";
        };
        std::string any = "NOT __cenote_h" + n;
        switch (term.op) {
          case Op::kIn:
            for (const json::value* v : term.values) {
              std::string x = value_of(v);
              if (h.ordered) {
                any.append(" OR (").append(low("<=", x)).append(" AND ").append(high(">=", x)).append(")");
              } else {
                any.append(" OR ").append(l).append(" = ").append(x);
              }
            }
            break;
          case Op::kLess:
            any.append(" OR ").append(low(identity ? "<" : "<=", value_of(term.values[0], -1)));
            break;
          case Op::kLessEqual:
            any.append(" OR ").append(low("<=", value_of(term.values[0])));
            break;
          case Op::kGreater:
            any.append(" OR ").append(high(identity ? ">" : ">=", value_of(term.values[0], 1)));
            break;
          case Op::kGreaterEqual:
            any.append(" OR ").append(high(">=", value_of(term.values[0])));
            break;
          case Op::kBetween: {
            std::string from = value_of(term.values[0]);
            std::string to = value_of(term.values[1]);
            any.append(" OR (").append(low("<=", to)).append(" AND ").append(high(">=", from)).append(")");
            break;
          }
        }
        where.append(where.empty() ? "" : " AND ").append("(").append(any).append(")");
      }
    }
    if (where.empty()) return all;
    // A bound that does not cast to the type is not known (never a NULL that would prune the partition).
    std::string sql = "SELECT __cenote_idx FROM (VALUES ";
    for (std::size_t i = 0; i < partitions.size(); ++i) {
      sql.append(i > 0 ? ", (" : "(").append(std::to_string(i));
      for (std::size_t j = 0; j < hidden.size(); ++j) {
        if (!used[j]) continue;
        const auto& values = partitions[i].hidden_values;
        const auto& ranges = partitions[i].hidden_ranges;
        auto cast = [&](const std::string& text) {
          return "TRY_CAST(" + QuoteLiteral(text) + " AS " + types[j] + ")";
        };
        if (j < values.size() && values[j].has_value()) {
          std::string v = *values[j] == "__HIVE_DEFAULT_PARTITION__" ? "CAST(NULL AS " + types[j] + ")"
                                                                     : cast(*values[j]);
          sql.append(", true, true, ").append(v).append(", true, ").append(v);
        } else if (j < ranges.size() && ranges[j].has_value()) {
          sql.append(", true");
          for (const auto& side : {ranges[j]->lower, ranges[j]->upper}) {
            if (side) {
              std::string v = cast(*side);
              sql.append(", ").append(v).append(" IS NOT NULL, ").append(v);
            } else {
              sql.append(", false, CAST(NULL AS ").append(types[j]).append(")");
            }
          }
        } else {
          sql.append(", false, false, CAST(NULL AS ").append(types[j]).append("), false, CAST(NULL AS ");
          sql.append(types[j]).append(")");
        }
      }
      sql.append(")");
    }
    sql.append(") AS __cenote_p(__cenote_idx");
    for (std::size_t j = 0; j < hidden.size(); ++j) {
      if (!used[j]) continue;
      const std::string n = std::to_string(j);
      sql.append(", __cenote_h").append(n).append(", __cenote_a").append(n).append(", __cenote_l").append(n);
      sql.append(", __cenote_b").append(n).append(", __cenote_u").append(n);
    }
    sql.append(") WHERE ").append(where);
    auto doc = host_.Parse(sql);
    if (!doc) return all;
    auto stmt = SingleStatement(*doc);
    if (!stmt) return all;
    // Splice the constants in for their placeholders.
    std::function<void(json::value&)> splice = [&](json::value& v) {
      if (v.is_array()) {
        for (json::value& item : v.get_array()) splice(item);
        return;
      }
      if (!v.is_object()) return;
      json::object& o = v.get_object();
      if (StringField(o, "class") == "COLUMN_REF") {
        const json::value* names = o.if_contains("column_names");
        if (names && names->is_array() && names->get_array().size() == 1 &&
            names->get_array()[0].is_string()) {
          std::string n(names->get_array()[0].get_string());
          if (n.rfind("__cenote_k", 0) == 0) {
            std::size_t k = std::stoul(n.substr(10));
            if (k < constants.size()) {
              json::value copy = *constants[k];
              Unqualify(copy);
              v = std::move(copy);
            }
          }
        }
        return;
      }
      for (auto& [key, child] : o) splice(child);
    };
    splice((**stmt).get_object()["node"].as_object()["where_clause"]);
    auto text = host_.Deparse(*doc);
    if (!text) return all;
    auto rows = host_.QueryImmutable(*text);
    if (!rows) return all;
    std::vector<std::size_t> out;
    for (const auto& row : *rows) {
      if (!row.empty() && row[0]) out.push_back(static_cast<std::size_t>(std::stoull(*row[0])));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // lower-case name -> (name as the files spell it, DuckDB type) of what `select_sql` returns.
  Result<std::unordered_map<std::string, std::pair<std::string, std::string>>> FileSchema(
      const std::string& select_sql) {
    CENOTE_ASSIGN_OR_RETURN(QueryEngine::Rows rows, host_.QueryImmutable("DESCRIBE " + select_sql));
    std::unordered_map<std::string, std::pair<std::string, std::string>> out;
    for (const auto& row : rows) {
      if (row.size() >= 2 && row[0] && row[1]) out.emplace(Lower(*row[0]), std::make_pair(*row[0], *row[1]));
    }
    return out;
  }

  // Whether all the Parquet files have the same columns (names and types, in order). Each file's answer
  // is cached (files are immutable), so this costs one DESCRIBE per file once. read_parquet needs
  // union_by_name only when they differ, and union_by_name opens every file while binding: about
  // 0.5 ms a file per bind, paid twice per query (prepare and run).
  Result<bool> UniformParquetSchema(const std::vector<TableFile>& files) {
    if (files.size() < 2) return true;
    std::optional<QueryEngine::Rows> first;
    for (const TableFile& f : files) {
      CENOTE_ASSIGN_OR_RETURN(QueryEngine::Rows rows,
                              host_.QueryImmutable("DESCRIBE SELECT * FROM read_parquet(" +
                                                   QuoteLiteral(AbsolutePath(f.path)) + ")"));
      if (!first) {
        first = std::move(rows);
      } else if (rows != *first) {
        return false;
      }
    }
    return true;
  }

  static bool SameType(const std::string& a, const std::string& b) {
    auto ta = ParseDuckDbType(a);
    auto tb = ParseDuckDbType(b);
    return ta && tb && DuckDbTypeName(*ta) == DuckDbTypeName(*tb);
  }

  // The select list of the table's data columns over `from` (a read_parquet call); "*" for a table
  // without columns. Columns the files lack read as NULL (columns added to the table later); columns
  // whose file type differs from the table's are cast. Matching columns stay bare so DuckDB pushes
  // filters and projections into the Parquet reader.
  // `mapping` (TableFile::columns): the file's column each reads, by position.
  Result<std::string> ParquetProjection(const std::vector<Column>& columns, const std::string& from,
                                        const std::vector<std::string>& mapping = {}) {
    if (columns.empty()) return std::string("*");
    CENOTE_ASSIGN_OR_RETURN(auto schema, FileSchema("SELECT * FROM " + from));
    std::string select;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const Column& c = columns[i];
      if (!select.empty()) select += ", ";
      auto it = mapping.empty()                             ? schema.find(c.name)
                : i < mapping.size() && !mapping[i].empty() ? schema.find(Lower(mapping[i]))
                                                            : schema.end();
      if (it == schema.end()) {
        select += "CAST(NULL AS " + c.duck_type + ") AS " + QuoteIdentifier(c.name);
      } else if (SameType(it->second.second, c.duck_type)) {
        select += QuoteIdentifier(it->second.first) + " AS " + QuoteIdentifier(c.name);
      } else {
        select += "TRY_CAST(" + QuoteIdentifier(it->second.first) + " AS " + c.duck_type + ") AS " +
                  QuoteIdentifier(c.name);
      }
    }
    return select;
  }

  // For each column of a JSON table, the keys of the files' objects it reads (first match wins): Hive's
  // JsonSerDe and the OpenX one by default match keys case-insensitively, OpenX's dots.in.keys reads "a.b"
  // as a_b, mapping.<column> names another key. DuckDB's read_json matches keys exactly, so the files'
  // top-level key spellings are listed first (an immutable answer, cached per file list). Converted Avro and
  // ORC files have lower-case keys: no listing.
  Result<std::vector<std::vector<std::string>>> JsonKeyColumns(const TableBinding& t,
                                                               const std::vector<Column>& columns,
                                                               const std::string& list,
                                                               const std::string& codec) {
    auto normal = [&](std::string key) {
      if (t.json_case_insensitive) key = Lower(key);
      if (t.json_dots_in_keys) std::replace(key.begin(), key.end(), '.', '_');
      return key;
    };
    std::vector<std::string> targets;
    for (const Column& c : columns) {
      std::string target = c.name;
      for (const auto& [column, key] : t.json_mapping)
        if (column == c.name) target = key;
      targets.push_back(target);
    }
    std::vector<std::vector<std::string>> out(columns.size());
    bool exact = t.format != FileFormat::kJson || (!t.json_case_insensitive && !t.json_dots_in_keys);
    if (!exact && !columns.empty()) {
      CENOTE_ASSIGN_OR_RETURN(
          QueryEngine::Rows keys,
          host_.QueryImmutable("SELECT DISTINCT unnest(json_keys(json)) AS k FROM read_ndjson_objects(" +
                               list + ", compression = " + codec +
                               ", ignore_errors = true) WHERE json_type(json) = 'OBJECT' ORDER BY k"));
      for (std::size_t i = 0; i < columns.size(); ++i) {
        std::string want = normal(targets[i]);
        for (const auto& row : keys) {
          if (!row.empty() && row[0] && normal(*row[0]) == want) out[i].push_back(*row[0]);
        }
      }
    }
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (out[i].empty()) out[i].push_back(targets[i]);
    }
    return out;
  }

  // LazySimpleSerDe's collections (Hive's separators by nesting level: 1 collection.delim, 2 mapkey.delim,
  // then the bytes \004, \005, ...): an array's items and a struct's fields split by this level's separator,
  // a map's entries by it and each entry's key from its value by the next level's. Values that do not parse
  // read as NULL, as do the null format's.
  std::string DelimitedValue(const std::string& ref, const TypeNode& type, const TableBinding& t, int level) {
    auto separator = [&](int n) {
      if (n <= 1) return t.collection_delimiter;
      if (n == 2) return t.map_key_delimiter;
      return std::string(1, static_cast<char>(std::min(n + 1, 127)));
    };
    std::string var = "__cenote_d" + std::to_string(level);
    auto element = [&](const std::string& r, const TypeNode& child, int next) -> std::string {
      if (child.base == "LIST" || child.base == "MAP" || child.base == "STRUCT")
        return DelimitedValue(r, child, t, next);
      std::string typed =
          child.base == "VARCHAR" ? r : "TRY_CAST(" + r + " AS " + DuckDbTypeName(child) + ")";
      return "CASE WHEN " + r + " = " + QuoteLiteral(t.null_string) + " THEN NULL ELSE " + typed + " END";
    };
    const std::string sep = QuoteLiteral(separator(level));
    if (type.base == "LIST") {
      return "CASE WHEN " + ref + " IS NULL THEN NULL WHEN " + ref +
             " = '' THEN [] ELSE list_transform(string_split(" + ref + ", " + sep + "), lambda " + var +
             ": " + element(var, type.children[0].second, level + 1) + ") END";
    }
    if (type.base == "MAP") {
      std::string kv = QuoteLiteral(separator(level + 1));
      std::string key = "split_part(" + var + ", " + kv + ", 1)";
      std::string value = "CASE WHEN strpos(" + var + ", " + kv + ") = 0 THEN NULL ELSE substr(" + var +
                          ", strpos(" + var + ", " + kv + ") + " +
                          std::to_string(separator(level + 1).size()) + ") END";
      return "CASE WHEN " + ref + " IS NULL THEN NULL WHEN " + ref +
             " = '' THEN MAP {} ELSE map_from_entries(list_transform(string_split(" + ref + ", " + sep +
             "), lambda " + var + ": {'key': " + element(key, type.children[0].second, level + 2) +
             ", 'value': " + element(value, type.children[1].second, level + 2) + "})) END";
    }
    // STRUCT: fields in order.
    std::string parts = "string_split(" + ref + ", " + sep + ")";
    std::string out = "CASE WHEN " + ref + " IS NULL THEN NULL ELSE struct_pack(";
    for (std::size_t i = 0; i < type.children.size(); ++i) {
      if (i > 0) out += ", ";
      out += QuoteIdentifier(type.children[i].first) +
             " := " + element(parts + "[" + std::to_string(i + 1) + "]", type.children[i].second, level + 1);
    }
    return out + ") END";
  }

  // SELECT over one partition's files: data columns as declared, partition keys as constants.
  Result<std::string> ScanSql(const TableBinding& t, const std::vector<Column>& columns,
                              const std::vector<Column>& keys, const PartitionBinding& partition,
                              const std::vector<TableFile>& files, const std::string& compression) {
    std::string select;
    auto add = [&select](const std::string& expr) {
      if (!select.empty()) select += ", ";
      select += expr;
    };
    std::string from;
    const std::string list = FileList(files);
    switch (t.format) {
      case FileFormat::kParquet: {
        CENOTE_ASSIGN_OR_RETURN(bool uniform, UniformParquetSchema(files));
        std::string sources = list;
        if (files.size() > 1 && !host_.LinkRoot().empty()) {
          // Several files: through links named by globs, so count(*) comes from their footers (LinkFiles).
          // No '=' on the way, so DuckDB finds no partition levels in these paths.
          if (auto linked = LinkFiles(host_.LinkRoot(), files, partition.location))
            sources = SqlList(*linked);
        }
        from = "read_parquet(" + sources + (uniform ? "" : ", union_by_name = true") + ")";
        CENOTE_ASSIGN_OR_RETURN(std::string projection, ParquetProjection(columns, from));
        add(projection);
        break;
      }
      case FileFormat::kJson:
      case FileFormat::kAvro:
      case FileFormat::kOrc: {
        const std::string codec = QuoteLiteral(compression == "none" ? "uncompressed" : compression);
        CENOTE_ASSIGN_OR_RETURN(auto keys_of, JsonKeyColumns(t, columns, list, codec));
        // Keys that differ only in case ("Id", "id") cannot both be read_json columns (DuckDB's names are
        // case-insensitive): such files are read as objects and each key extracted.
        std::unordered_set<std::string> lower_keys;
        bool as_objects = false;
        for (const auto& keys : keys_of) {
          for (const std::string& key : keys) {
            if (!lower_keys.insert(Lower(key)).second && keys.size() > 1) as_objects = true;
          }
        }
        std::string spec;
        std::unordered_set<std::string> specified;
        for (std::size_t i = 0; i < columns.size(); ++i) {
          const Column& c = columns[i];
          // Converted Avro and ORC carry binary values as base64 text (serde_files.hpp).
          const bool base64 = t.format != FileFormat::kJson && c.duck_type == "BLOB";
          std::string read_type = base64 ? std::string("VARCHAR") : c.duck_type;
          std::string value;
          for (const std::string& key : keys_of[i]) {
            std::string one;
            if (as_objects) {
              std::string path = QuoteLiteral("$.\"" + key + "\"");
              one = read_type == "VARCHAR"
                        ? "json_extract_string(json, " + path + ")"
                        : "TRY_CAST(json_extract(json, " + path + ") AS " + read_type + ")";
            } else {
              if (specified.insert(key).second) {
                if (!spec.empty()) spec += ", ";
                spec += QuoteLiteral(key) + ": " + QuoteLiteral(read_type);
              }
              one = QuoteIdentifier(key);
            }
            value += (value.empty() ? "" : ", ") + one;
          }
          if (keys_of[i].size() > 1) value = "coalesce(" + value + ")";
          if (base64) value = "from_base64(" + value + ")";
          add(value + " AS " + QuoteIdentifier(c.name));
        }
        if (as_objects) {
          from = "read_ndjson_objects(" + list + ", compression = " + codec +
                 (t.json_ignore_malformed ? ", ignore_errors = true" : "") + ")";
        } else {
          from = "read_json(" + list + ", format = 'newline_delimited', compression = " + codec +
                 (t.json_ignore_malformed ? ", ignore_errors = true" : "") +
                 (spec.empty() ? std::string() : ", columns = {" + spec + "}") + ")";
        }
        break;
      }
      case FileFormat::kCsv: {
        if (columns.empty())
          return MakeError("HIVE_INVALID_METADATA",
                           "HIVE_INVALID_METADATA: Table " + t.database + "." + t.name + " has no columns");
        // Hive semantics: a value that does not parse as the column's type reads as NULL.
        std::string spec;
        const bool open_csv = !t.quote.empty();
        for (const Column& c : columns) {
          if (!spec.empty()) spec += ", ";
          spec += QuoteLiteral(c.name) + ": 'VARCHAR'";
          std::string ref = QuoteIdentifier(c.name);
          // OpenCSVSerde (opencsv) reads a doubled quote character as one, in quoted and plain fields.
          if (open_csv)
            ref = "replace(" + ref + ", " + QuoteLiteral(t.quote + t.quote) + ", " + QuoteLiteral(t.quote) +
                  ")";
          if (c.duck_type == "VARCHAR") {
            add(ref + " AS " + QuoteIdentifier(c.name));
          } else if (auto tree = ParseDuckDbType(c.duck_type);
                     !open_csv && tree &&
                     (tree->base == "LIST" || tree->base == "MAP" || tree->base == "STRUCT")) {
            add(DelimitedValue(ref, *tree, t, 1) + " AS " + QuoteIdentifier(c.name));
          } else {
            add("TRY_CAST(" + ref + " AS " + c.duck_type + ") AS " + QuoteIdentifier(c.name));
          }
        }
        std::string delimiter = t.delimiter.empty() ? std::string(",") : t.delimiter;
        from = "read_csv(" + list + ", delim = " + QuoteLiteral(delimiter) +
               ", quote = " + QuoteLiteral(t.quote) + ", escape = " + QuoteLiteral(t.escape) +
               ", header = false, skip = " + std::to_string(std::max(0, t.skip_header_lines)) +
               ", nullstr = " + QuoteLiteral(t.null_string) + ", columns = {" + spec +
               "}, auto_detect = false, null_padding = true, strict_mode = false, compression = " +
               QuoteLiteral(compression) + ")";
        break;
      }
      case FileFormat::kRegex: {
        // Each line is one value (a delimiter text lines do not hold, no quoting); Hive's Matcher.matches():
        // a line the pattern does not match whole has every column NULL, and a group's text that does not
        // parse as its column's type reads as NULL.
        const std::string line = QuoteIdentifier("__cenote_line");
        const std::string re = QuoteLiteral(t.input_regex);
        int group = 0;
        for (const Column& c : columns) {
          std::string value = "regexp_extract(" + line + ", " + re + ", " + std::to_string(++group) + ")";
          if (c.duck_type != "VARCHAR") value = "TRY_CAST(" + value + " AS " + c.duck_type + ")";
          add("CASE WHEN regexp_full_match(" + line + ", " + re + ") THEN " + value + " END AS " +
              QuoteIdentifier(c.name));
        }
        from = "read_csv(" + list + ", delim = " + QuoteLiteral(std::string("\x1f\x1e\x1d\x1c")) +
               ", quote = '', escape = '', header = false, skip = " +
               std::to_string(std::max(0, t.skip_header_lines)) + ", columns = {" +
               QuoteLiteral("__cenote_line") +
               ": 'VARCHAR'}, auto_detect = false, null_padding = true, strict_mode = false, compression = " +
               QuoteLiteral(compression) + ")";
        break;
      }
    }
    for (std::size_t k = 0; k < keys.size(); ++k) {
      std::string value = k < partition.values.size() ? partition.values[k] : std::string();
      if (k >= partition.values.size() || value == "__HIVE_DEFAULT_PARTITION__") {
        add("CAST(NULL AS " + keys[k].duck_type + ") AS " + QuoteIdentifier(keys[k].name));
      } else {
        add("TRY_CAST(" + QuoteLiteral(value) + " AS " + keys[k].duck_type + ") AS " +
            QuoteIdentifier(keys[k].name));
      }
    }
    return "SELECT " + select + " FROM " + from;
  }

  // One Parquet file of a table without partition keys, its columns as TableFile::columns maps them (when
  // it does), its deleted rows left out: positions named by its position delete files, rows equal to a
  // row of an equality delete file on that file's columns. With t.row_ids, "$path" and "$pos" follow the
  // data columns.
  Result<std::string> RowLevelScanSql(const TableBinding& t, const std::vector<Column>& columns,
                                      const TableFile& f) {
    if (!t.partition_keys.empty())
      return MakeError(kNotSupported, "NOT_SUPPORTED: row-level deletes on a Hive-partitioned table");
    const std::string from =
        "read_parquet(" + QuoteLiteral(AbsolutePath(f.path)) + ", file_row_number = true) AS __cenote_data";
    CENOTE_ASSIGN_OR_RETURN(auto schema, FileSchema("SELECT * FROM " + from));
    CENOTE_ASSIGN_OR_RETURN(std::string select, ParquetProjection(columns, from, f.columns));
    const std::string key = f.key.empty() ? AbsolutePath(f.path) : f.key;
    if (t.row_ids) select += ", " + QuoteLiteral(key) + " AS \"$path\", \"file_row_number\" AS \"$pos\"";
    std::string where;
    auto add = [&where](const std::string& condition) {
      where += where.empty() ? " WHERE " : " AND ";
      where += condition;
    };
    if (!f.position_deletes.empty()) {
      std::vector<std::string> paths;
      for (const std::string& d : f.position_deletes) {
        paths.push_back(AbsolutePath(d));
        stats_.file_names.emplace_back(paths.back(), f.key);
      }
      add("\"file_row_number\" NOT IN (SELECT \"pos\" FROM read_parquet(" + SqlList(paths) +
          ", union_by_name = true) WHERE \"file_path\" = " + QuoteLiteral(key) + ")");
    }
    for (const TableFile::EqualityDelete& d : f.equality_deletes) {
      stats_.file_names.emplace_back(AbsolutePath(d.path), f.key);
      std::string match;
      for (std::size_t k = 0; k < d.columns.size(); ++k) {
        const std::string& c = d.columns[k];
        const std::string& deleted =
            k < d.file_columns.size() && !d.file_columns[k].empty() ? d.file_columns[k] : c;
        std::string file_column = Lower(c);
        for (std::size_t i = 0; i < columns.size() && i < f.columns.size(); ++i) {
          if (columns[i].name == Lower(c)) {
            file_column = Lower(f.columns[i]);
            break;
          }
        }
        auto it = schema.find(file_column);
        // A column the data file lacks reads as NULL in it.
        std::string mine =
            it == schema.end() ? std::string("NULL") : "__cenote_data." + QuoteIdentifier(it->second.first);
        if (!match.empty()) match += " AND ";
        match += "__cenote_del." + QuoteIdentifier(deleted) + " IS NOT DISTINCT FROM " + mine;
      }
      if (match.empty()) continue;
      add("NOT EXISTS (SELECT 1 FROM read_parquet(" + QuoteLiteral(AbsolutePath(d.path)) +
          ") AS __cenote_del WHERE " + match + ")");
    }
    return "SELECT " + select + " FROM " + from + where;
  }

  // Links each of `files` under `dir` in a directory of its own (<dir>/<hash>/data.parquet; no '=' in the
  // hash, so not a partition level) and returns how read_parquet should name them: a glob that matches
  // exactly the link (".../data.parque[t]", a listing of one entry). DuckDB learns a globbed file's
  // modification time from the listing and only then trusts its cached footer for statistics, so count(*)
  // is answered from metadata (7 lineitem files: 5 ms -> 0.6 ms); a list of several plain paths is counted
  // by reading every row group. Plain link paths when the root holds glob characters. Records the names
  // for error messages; std::nullopt when a link cannot be made.
  std::optional<std::vector<std::string>> LinkFiles(const std::filesystem::path& dir,
                                                    const std::vector<TableFile>& files,
                                                    const std::string& location) {
    const bool globs = IsGlobSafe(host_.LinkRoot());
    std::vector<std::string> out;
    std::vector<std::pair<std::string, std::string>> names;
    for (const TableFile& f : files) {
      std::string target = AbsolutePath(f.path);
      std::string link = (dir / HashName(target) / "data.parquet").string();
      if (!EnsureLink(link, target)) return std::nullopt;
      const std::string& name = f.key.empty() ? location : f.key;
      if (globs) {
        out.push_back(link.substr(0, link.size() - 1) + "[" + link.back() + "]");
        names.emplace_back(out.back(), name);
      } else {
        out.push_back(link);
      }
      names.emplace_back(link, name);
    }
    stats_.file_names.insert(stats_.file_names.end(), names.begin(), names.end());
    return out;
  }

  // The selected partitions of a Parquet table as ONE read_parquet with hive_partitioning, over
  // symlinks laid out as <LinkRoot>/<key>=<value>/.../<file>: DuckDB then prunes files on partition
  // filters itself, answers count(*) from metadata and runs one scan instead of a UNION ALL branch per
  // partition. std::nullopt when the table does not qualify (non-Parquet, no keys, values that are not
  // plain words or do not cast cleanly, no link root): the caller binds per partition instead.
  Result<std::optional<std::string>> HiveScan(
      const TableBinding& t, const std::vector<Column>& columns, const std::vector<Column>& keys,
      const std::vector<std::pair<const PartitionBinding*, std::vector<TableFile>>>& parts) {
    std::string root = host_.LinkRoot();
    if (t.format != FileFormat::kParquet || keys.empty() || root.empty() || parts.empty())
      return std::optional<std::string>();
    for (const Column& k : keys)
      if (!HiveSafe(k.name)) return std::optional<std::string>();
    std::vector<TableFile> all;
    for (const auto& [p, files] : parts) all.insert(all.end(), files.begin(), files.end());
    CENOTE_ASSIGN_OR_RETURN(bool uniform, UniformParquetSchema(all));
    std::vector<std::string> sources;
    for (const auto& [p, files] : parts) {
      if (p->values.size() != keys.size()) return std::optional<std::string>();
      std::filesystem::path dir(root);
      for (std::size_t k = 0; k < keys.size(); ++k) {
        if (!HiveSafe(p->values[k]) || !CastsCleanly(p->values[k], keys[k].duck_type))
          return std::optional<std::string>();
        dir /= keys[k].name + "=" + p->values[k];
      }
      auto linked = LinkFiles(dir, files, p->location);
      if (!linked) return std::optional<std::string>();
      sources.insert(sources.end(), linked->begin(), linked->end());
    }
    std::string list = SqlList(sources);
    std::string types;
    for (const Column& k : keys) {
      if (!types.empty()) types += ", ";
      types += QuoteLiteral(k.name) + ": " + QuoteLiteral(k.duck_type);
    }
    std::string from = "read_parquet(" + list + ", hive_partitioning = true, hive_types = {" + types + "}" +
                       (uniform ? "" : ", union_by_name = true") + ")";
    CENOTE_ASSIGN_OR_RETURN(std::string select, ParquetProjection(columns, from));
    if (!columns.empty()) {
      for (const Column& k : keys) select += ", " + QuoteIdentifier(k.name);
    }
    return std::optional<std::string>("SELECT " + select + " FROM " + from);
  }

  Result<json::value> BindFiles(const TableBinding& t, const std::string& alias,
                                const std::vector<json::value*>* prune) {
    CENOTE_ASSIGN_OR_RETURN(std::vector<Column> columns, Columns(t.columns));
    CENOTE_ASSIGN_OR_RETURN(std::vector<Column> keys, Columns(t.partition_keys));
    std::vector<PartitionBinding> partitions;
    if (keys.empty() && !t.hidden_partitions.empty() && prune != nullptr) {
      // Groups of partitions (Iceberg manifests) pruned first, with the same conjuncts.
      auto keep = [&](const std::vector<PartitionBinding>& groups) {
        auto kept = HiddenPrune(t, columns, groups, alias, prune);
        if (kept) return std::move(kept).value();
        std::vector<std::size_t> all(groups.size());
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
        return all;
      };
      CENOTE_ASSIGN_OR_RETURN(partitions, resolver_.PlannedPartitions(t, keep));
    } else {
      CENOTE_ASSIGN_OR_RETURN(partitions, resolver_.Partitions(t));
    }
    CENOTE_ASSIGN_OR_RETURN(std::vector<std::size_t> selected, Prune(partitions, keys, alias, prune));
    if (keys.empty() && !t.hidden_partitions.empty()) {
      CENOTE_ASSIGN_OR_RETURN(selected, HiddenPrune(t, columns, partitions, alias, prune));
    }

    std::vector<std::pair<const PartitionBinding*, std::vector<TableFile>>> parts;
    for (std::size_t index : selected) {
      const PartitionBinding& p = partitions[index];
      CENOTE_ASSIGN_OR_RETURN(std::vector<TableFile> files, resolver_.Files(t, p));
      if (files.empty()) continue;
      for (const TableFile& f : files) {
        if (!IsGlobSafe(f.path))
          return MakeError("InternalError", "unexpected characters in a data file path", 500);
        stats_.bytes_scanned += static_cast<std::int64_t>(f.size);
        ++stats_.files;
        stats_.file_names.emplace_back(AbsolutePath(f.path), f.key.empty() ? p.location : f.key);
      }
      parts.emplace_back(&p, std::move(files));
    }
    // Iceberg row identities and merge-on-read deletes: each file that needs them is its own scan (its
    // "$path" is a constant, its deletes name it); the other files are bound as usual.
    std::string sql;
    if (t.format == FileFormat::kParquet) {
      for (auto& [p, files] : parts) {
        std::vector<TableFile> plain;
        for (const TableFile& f : files) {
          if (!t.row_ids && !f.has_deletes() && f.columns.empty()) {
            plain.push_back(f);
            continue;
          }
          CENOTE_ASSIGN_OR_RETURN(std::string scan, RowLevelScanSql(t, columns, f));
          if (!sql.empty()) sql += " UNION ALL ";
          sql += scan;
        }
        files = std::move(plain);
      }
      std::erase_if(parts, [](const auto& part) { return part.second.empty(); });
      // Iceberg's partitions (no keys) are read as one scan over all their files.
      if (keys.empty() && parts.size() > 1) {
        for (std::size_t i = 1; i < parts.size(); ++i) {
          auto& files = parts[0].second;
          files.insert(files.end(), parts[i].second.begin(), parts[i].second.end());
        }
        parts.resize(1);
      }
    }
    CENOTE_ASSIGN_OR_RETURN(std::optional<std::string> hive, HiveScan(t, columns, keys, parts));
    if (hive) sql += (sql.empty() ? "" : " UNION ALL ") + *hive;
    for (const auto& [p, files] : parts) {
      if (hive) break;
      // Blob files have no extension, so DuckDB cannot tell compressed text from the name: sniff
      // the magic bytes and read each compression group with an explicit codec.
      std::map<std::string, std::vector<TableFile>> groups;
      if (t.format == FileFormat::kParquet) {
        groups["none"] = files;
      } else {
        for (const TableFile& f : files) groups[DetectCompression(f)].push_back(f);
      }
      for (const auto& [compression, group] : groups) {
        CENOTE_ASSIGN_OR_RETURN(std::string scan, ScanSql(t, columns, keys, *p, group, compression));
        if (!sql.empty()) sql += " UNION ALL ";
        sql += scan;
      }
    }
    if (sql.empty()) {
      // No files: an empty relation with the table's columns.
      std::string select;
      for (const auto* list : {&columns, &keys}) {
        for (const Column& c : *list) {
          if (!select.empty()) select += ", ";
          select += "CAST(NULL AS " + c.duck_type + ") AS " + QuoteIdentifier(c.name);
        }
      }
      if (t.row_ids) select += ", CAST(NULL AS VARCHAR) AS \"$path\", CAST(NULL AS BIGINT) AS \"$pos\"";
      sql = "SELECT " + (select.empty() ? std::string("NULL AS \"_col0\"") : select) + " WHERE false";
    }
    auto doc = host_.Parse(sql);
    if (!doc)
      return MakeError("InternalError",
                       "cannot bind table " + t.database + "." + t.name + ": " + doc.error().message, 500);
    CENOTE_ASSIGN_OR_RETURN(auto* stmt, SingleStatement(*doc));
    return std::move(*stmt);
  }

  const QueryContext& ctx_;
  TableResolver& resolver_;
  SqlHost& host_;
  const SandboxPolicy& policy_;
  BindStats& stats_;
  std::vector<std::string>& view_stack_;
  std::vector<std::unordered_set<std::string>> scopes_;
};

// Athena names result columns that are not plain column references _col0, _col1, ... by position.
void NameUnnamedColumns(json::value& statement) {
  json::value* node = statement.is_object() ? statement.get_object().if_contains("node") : nullptr;
  while (node != nullptr && node->is_object() &&
         StringField(node->get_object(), "type") == "SET_OPERATION_NODE")
    node = node->get_object().if_contains("left");
  if (node == nullptr || !node->is_object() || StringField(node->get_object(), "type") != "SELECT_NODE")
    return;
  json::value* list = node->get_object().if_contains("select_list");
  if (list == nullptr || !list->is_array()) return;
  std::size_t index = 0;
  for (json::value& item : list->get_array()) {
    if (!item.is_object()) continue;
    json::object& expr = item.get_object();
    std::string cls = StringField(expr, "class");
    if (cls == "STAR") return;  // positions after a * are not known before binding
    if (StringField(expr, "alias").empty() && cls != "COLUMN_REF") {
      std::string name = "_col" + std::to_string(index);
      expr["alias"] = json::string(name);
    }
    ++index;
  }
}

// Text-level helpers of the two rewrites below (quotes and keywords as SQL sees them).
bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Whether the upper-case keyword `word` stands at sql[i] as a whole word (case-insensitively).
bool KeywordAt(const std::string& sql, std::size_t i, std::string_view word) {
  if (i + word.size() > sql.size() || (i > 0 && IsWordChar(sql[i - 1]))) return false;
  for (std::size_t k = 0; k < word.size(); ++k)
    if (std::toupper(static_cast<unsigned char>(sql[i + k])) != word[k]) return false;
  return i + word.size() == sql.size() || !IsWordChar(sql[i + word.size()]);
}

// The index just past the quoted run ('...' or "...", doubled quotes inside) that starts at sql[i].
std::size_t QuotedRunEnd(const std::string& sql, std::size_t i) {
  char q = sql[i];
  std::size_t end = i + 1;
  while (end < sql.size() && !(sql[end] == q && (end + 1 >= sql.size() || sql[end + 1] != q))) {
    end += (sql[end] == q) ? 2 : 1;
  }
  return std::min(end + 1, sql.size());
}

// `VALUES a, b` -> `VALUES (a), (b)` for every VALUES whose rows are not parenthesized. Text-level,
// but aware of string literals, quoted identifiers and nesting; the result is parsed and checked like
// any user text.
std::string ParenthesizeValuesRows(const std::string& sql) {
  auto keyword_at = [&](std::size_t i, std::string_view word) { return KeywordAt(sql, i, word); };
  static const std::string_view kEnd[] = {"ORDER",     "LIMIT",  "UNION", "EXCEPT",
                                          "INTERSECT", "OFFSET", "FETCH"};
  std::string out;
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {  // copy a quoted run verbatim
      std::size_t end = QuotedRunEnd(sql, i);
      out.append(sql, i, end - i);
      i = end;
      continue;
    }
    if (!keyword_at(i, "VALUES")) {
      out += c;
      ++i;
      continue;
    }
    out.append(sql, i, 6);
    i += 6;
    std::size_t j = i;
    while (j < sql.size() && std::isspace(static_cast<unsigned char>(sql[j]))) ++j;
    if (j >= sql.size() || sql[j] == '(') continue;
    out.append(sql, i, j - i);
    i = j;
    // Rows up to a ')' closing an enclosing group, a clause keyword or ';' at depth 0.
    std::string row;
    int depth = 0;
    bool first = true;
    auto flush = [&] {
      out += first ? "(" : ", (";
      while (!row.empty() && std::isspace(static_cast<unsigned char>(row.back()))) row.pop_back();
      std::size_t lead = row.find_first_not_of(" \t\n\r");
      out += lead == std::string::npos ? row : row.substr(lead);
      out += ")";
      first = false;
      row.clear();
    };
    while (i < sql.size()) {
      char d = sql[i];
      if (d == '\'' || d == '"') {
        std::size_t end = QuotedRunEnd(sql, i);
        row.append(sql, i, end - i);
        i = end;
        continue;
      }
      if (depth == 0 && (d == ')' || d == ';')) break;
      bool stop = false;
      if (depth == 0)
        for (std::string_view k : kEnd) stop = stop || keyword_at(i, k);
      if (stop) break;
      if (d == '(' || d == '[') ++depth;  // ARRAY[1, 2] is one value
      if (d == ')' || d == ']') --depth;
      if (d == ',' && depth == 0) {
        flush();
        ++i;
        continue;
      }
      row += d;
      ++i;
    }
    flush();
    out += ' ';
  }
  return out;
}

// Trino's `ARRAY(T)` type in casts (`CAST(x AS ARRAY(VARCHAR))`) -> DuckDB's `T[]`, nested as needed
// (`ARRAY(ARRAY(INTEGER))` -> `INTEGER[][]`). Only after the keyword AS, where a type stands; text-level
// but aware of quotes, and the result is parsed and checked like any user text.
std::string RewriteArrayTypes(const std::string& sql) {
  auto upper_at = [&](std::size_t i, std::string_view word) { return KeywordAt(sql, i, word); };
  auto skip_space = [&](std::size_t i) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    return i;
  };
  // If an ARRAY(...) type starts at i: its DuckDB spelling and the index after it.
  std::function<std::optional<std::pair<std::string, std::size_t>>(std::size_t)> array_type =
      [&](std::size_t i) -> std::optional<std::pair<std::string, std::size_t>> {
    if (!upper_at(i, "ARRAY")) return std::nullopt;
    std::size_t open = skip_space(i + 5);
    if (open >= sql.size() || sql[open] != '(') return std::nullopt;
    std::size_t start = skip_space(open + 1);
    std::string inner;
    std::size_t j = start;
    if (auto nested = array_type(start)) {
      inner = nested->first;
      j = nested->second;
    } else {
      int depth = 0;
      while (j < sql.size() && !(depth == 0 && sql[j] == ')')) {
        if (sql[j] == '\'' || sql[j] == '"') return std::nullopt;  // not a plain type
        if (sql[j] == '(') ++depth;
        if (sql[j] == ')') --depth;
        ++j;
      }
      inner = sql.substr(start, j - start);
      while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.back()))) inner.pop_back();
    }
    j = skip_space(j);
    if (j >= sql.size() || sql[j] != ')' || inner.empty()) return std::nullopt;
    return std::make_pair(inner + "[]", j + 1);
  };
  std::string out;
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {  // copy a quoted run verbatim
      std::size_t end = QuotedRunEnd(sql, i);
      out.append(sql, i, end - i);
      i = end;
      continue;
    }
    if (upper_at(i, "AS")) {
      std::size_t t = skip_space(i + 2);
      if (auto type = array_type(t)) {
        out += sql.substr(i, t - i) + type->first;
        i = type->second;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

// Trino's null treatment follows the call, `lag(x) IGNORE NULLS OVER (...)`; DuckDB's goes inside it,
// `lag(x IGNORE NULLS) OVER (...)`. Text-level, aware of quotes; the result is parsed and checked like any
// user text.
std::string RewriteNullTreatment(const std::string& sql) {
  std::string out;
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      std::size_t end = QuotedRunEnd(sql, i);
      out.append(sql, i, end - i);
      i = end;
      continue;
    }
    bool moved = false;
    for (std::string_view word : {std::string_view("IGNORE"), std::string_view("RESPECT")}) {
      if (!KeywordAt(sql, i, word)) continue;
      std::size_t j = i + word.size();
      while (j < sql.size() && std::isspace(static_cast<unsigned char>(sql[j]))) ++j;
      std::size_t paren = out.find_last_not_of(" \t\r\n");
      if (!KeywordAt(sql, j, "NULLS") || paren == std::string::npos || out[paren] != ')') continue;
      out.insert(paren, " " + std::string(word) + " NULLS");
      i = j + 5;
      moved = true;
      break;
    }
    if (moved) continue;
    out += c;
    ++i;
  }
  return out;
}

// Trino's IF(condition, value) (NULL otherwise) -> IF(condition, value, NULL): DuckDB's parser wants
// three arguments. Text-level, aware of quotes and nesting.
std::string RewriteTwoArgumentIf(const std::string& sql) {
  std::string out = sql;
  // From the last IF backwards, so positions before it stay valid as NULLs are inserted.
  for (std::size_t i = sql.size(); i-- > 0;) {
    if (!KeywordAt(sql, i, "IF")) continue;
    std::size_t open = i + 2;
    while (open < sql.size() && std::isspace(static_cast<unsigned char>(sql[open]))) ++open;
    if (open >= sql.size() || sql[open] != '(') continue;
    int depth = 0, commas = 0;
    std::size_t j = open;
    for (; j < sql.size(); ++j) {
      char c = sql[j];
      if (c == '\'' || c == '"') {
        j = QuotedRunEnd(sql, j) - 1;
      } else if (c == '(' || c == '[') {
        ++depth;
      } else if (c == ')' || c == ']') {
        if (--depth == 0) break;
      } else if (c == ',' && depth == 1) {
        ++commas;
      }
    }
    if (j < sql.size() && commas == 1) out.insert(j, ", NULL");
  }
  return out;
}

}  // namespace

Status BindTables(json::value& statement, const QueryContext& ctx, TableResolver& resolver, SqlHost& host,
                  const SandboxPolicy& policy, BindStats& stats) {
  std::vector<std::string> view_stack;
  Binder binder(ctx, resolver, host, policy, stats, view_stack);
  return binder.Walk(statement, nullptr, 0);
}

namespace {

// Whether `expr` calls a function named in `names` (lower case) outside subqueries and window functions
// (which do not work on the query's own rows).
bool CallsAny(const json::value& expr, const std::unordered_set<std::string>& names) {
  if (expr.is_array()) {
    for (const json::value& e : expr.get_array()) {
      if (CallsAny(e, names)) return true;
    }
    return false;
  }
  if (!expr.is_object()) return false;
  const json::object& o = expr.get_object();
  std::string cls = StringField(o, "class");
  if (cls == "SUBQUERY" || cls == "WINDOW") return false;
  if (cls == "FUNCTION" && names.count(Lower(StringField(o, "function_name"))) > 0) return true;
  for (const auto& [key, value] : o) {
    if (CallsAny(value, names)) return true;
  }
  return false;
}

}  // namespace

bool BoundedResult(const json::value& statement, const SandboxPolicy& policy) {
  const json::value* node = statement.is_object() ? statement.get_object().if_contains("node") : nullptr;
  if (node == nullptr || !node->is_object() || StringField(node->get_object(), "type") != "SELECT_NODE")
    return false;
  const json::object& n = node->get_object();
  if (const json::value* mods = n.if_contains("modifiers"); mods != nullptr && mods->is_array()) {
    for (const json::value& m : mods->get_array()) {
      if (!m.is_object() || StringField(m.get_object(), "type") != "LIMIT_MODIFIER") continue;
      // A constant limit: {"limit": {"class": "CONSTANT", "value": {"value": N, ...}}}.
      const json::value* limit = m.get_object().if_contains("limit");
      const json::value* value =
          limit != nullptr && limit->is_object() ? limit->get_object().if_contains("value") : nullptr;
      const json::value* v =
          value != nullptr && value->is_object() ? value->get_object().if_contains("value") : nullptr;
      if (v != nullptr && v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= kBoundedResultRows)
        return true;
      if (v != nullptr && v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(kBoundedResultRows))
        return true;
    }
  }
  const json::value* select = n.if_contains("select_list");
  // unnest() in the select list makes rows of its own, whatever groups or FROM there are.
  static const std::unordered_set<std::string> kRowMaking = {"unnest"};
  if (select == nullptr || CallsAny(*select, kRowMaking)) return false;
  if (const json::value* groups = n.if_contains("group_expressions");
      groups != nullptr && groups->is_array() && !groups->get_array().empty())
    return true;
  const json::value* from = n.if_contains("from_table");
  if (from != nullptr && from->is_object() && StringField(from->get_object(), "type") == "EMPTY") return true;
  return CallsAny(*select, policy.aggregate_functions);
}

Result<CompiledQuery> CompileUserQuery(const std::string& sql, const QueryContext& ctx,
                                       TableResolver& resolver, SqlHost& host, const SandboxPolicy& policy,
                                       BindStats& stats) {
  auto doc = host.Parse(sql);
  std::string parsed_text = sql;
  if (!doc && doc.error().code == kSyntaxError) {
    // Trino accepts VALUES rows without parentheses (VALUES 1, 2, 3), ARRAY(T) types, IGNORE NULLS after
    // a window function's call and IF with two arguments; DuckDB does not.
    std::string rewritten = RewriteTwoArgumentIf(
        RewriteNullTreatment(RewriteArrayTypes(ParenthesizeValuesRows(RewriteTrinoSyntax(sql)))));
    if (rewritten != sql) {
      auto retry = host.Parse(rewritten);
      if (retry) {
        doc = std::move(retry);
        parsed_text = rewritten;
      }
    }
  }
  if (!doc) return std::move(doc).error();
  CENOTE_ASSIGN_OR_RETURN(auto* stmt, SingleStatement(*doc));
  json::value& statement = *stmt;
  CENOTE_RETURN_IF_ERROR(CheckStatement(statement, policy));
  NameUnnamedColumns(statement);
  CENOTE_RETURN_IF_ERROR(RewriteBinaryLiterals(statement, parsed_text));
  RewriteUnnestTables(statement);
  CENOTE_RETURN_IF_ERROR(RewriteDialect(statement));
  if (ctx.check_operand_types) AddOperatorTypeChecks(statement);
  CompiledQuery out;
  CENOTE_RETURN_IF_ERROR(BindTables(statement, ctx, resolver, host, policy, stats));
  out.stats = stats;
  out.bounded_result = BoundedResult(statement, policy);
  CENOTE_ASSIGN_OR_RETURN(out.sql, host.Deparse(*doc));
  return out;
}

}  // namespace cenote::query::internal
