// GlueProvider: tables, table versions and SearchTables.
#include <algorithm>
#include <cctype>

#include "common/strings.hpp"
#include "services/common/params.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/provider_internal.hpp"
#include "services/glue/provider_objects.hpp"

namespace cenote::glue::internal {
namespace {

Result<object> TableInputOf(const object& in) {
  if (const auto* otf = in.if_contains("OpenTableFormatInput"); otf && !otf->is_null()) {
    return InvalidInput("Open table formats (Iceberg) are not supported by Cenote.");
  }
  CENOTE_ASSIGN_OR_RETURN(auto member_input, RequiredObject(in, "TableInput"));
  if (const auto* target = member_input->if_contains("TargetTable"); target && !target->is_null()) {
    return InvalidInput("Resource links (TargetTable) are not supported by Cenote.");
  }
  return *member_input;
}

// AttributesToGet of GetTables: NAME and TABLE_TYPE ask for those members only.
void ApplyAttributes(const object& in, std::vector<object>& tables) {
  const auto* attrs = in.if_contains("AttributesToGet");
  if (attrs == nullptr || !attrs->is_array() || attrs->get_array().empty()) return;
  bool type = false;
  for (const auto& a : attrs->get_array()) type = type || (a.is_string() && a.get_string() == "TABLE_TYPE");
  for (auto& t : tables) {
    object slim{{"Name", t.at("Name")}};
    if (type && t.contains("TableType")) slim["TableType"] = t.at("TableType");
    t = std::move(slim);
  }
}

}  // namespace

Result<aws::OperationOutput> CreateTable(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto member_input, TableInputOf(in));
  // Glue records the caller as the table's creator (TableInput has no such member).
  if (!ctx.principal.arn.empty()) member_input["CreatedBy"] = ctx.principal.arn;
  const array* indexes = services::GetArray(in, "PartitionIndexes");
  if (indexes != nullptr) CENOTE_RETURN_IF_ERROR(ValidatePartitionIndexes(member_input, *indexes));
  CENOTE_RETURN_IF_ERROR(c->CreateTable(db, member_input));
  if (indexes != nullptr && !indexes->empty()) {
    CENOTE_RETURN_IF_ERROR(CreatePartitionIndexes(
        env, ctx, *c, db, std::string(member_input.at("Name").get_string()), *indexes));
  }
  return object();
}

Result<aws::OperationOutput> GetTable(GlueEnv& env, const aws::RequestContext& ctx,
                                      aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto t, c->GetTable(db, name));
  return object{{"Table", std::move(t)}};
}

Result<aws::OperationOutput> GetTables(GlueEnv& env, const aws::RequestContext& ctx,
                                       aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto expression, OptionalString(in, "Expression"));
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(in, "NextToken"));
  CENOTE_ASSIGN_OR_RETURN(auto size, PageSize(in, "MaxResults", 100));
  CENOTE_ASSIGN_OR_RETURN(auto page, c->GetTables(db, expression, token, size));
  ApplyAttributes(in, page.items);
  return PageOutput(std::move(page), "TableList");
}

Result<aws::OperationOutput> UpdateTable(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto member_input, TableInputOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto version, OptionalString(in, "VersionId"));
  if (!version.empty()) {
    // Optimistic concurrency: the update applies only to the version the caller read (checked in the
    // update's transaction).
    const auto* name = member_input.if_contains("Name");
    if (name == nullptr || !name->is_string()) return MissingMember("tableInput.name");
  }
  CENOTE_RETURN_IF_ERROR(c->UpdateTableIfVersion(db, member_input, OptionalBool(in, "SkipArchive"), version));
  return object();
}

Result<aws::OperationOutput> DeleteTable(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_RETURN_IF_ERROR(c->DeleteTable(db, name));
  return object();
}

Result<aws::OperationOutput> BatchDeleteTable(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto list, RequiredArray(in, "TablesToDelete"));
  CENOTE_ASSIGN_OR_RETURN(auto names, StringList(*list, "tablesToDelete"));
  CENOTE_RETURN_IF_ERROR(c->GetDatabase(db));
  array errors;
  for (const auto& name : names) {
    Status s = c->DeleteTable(db, name);
    if (s) continue;
    if (s.error().http_status >= 500) return std::move(s).error();
    errors.push_back(object{{"TableName", name}, {"ErrorDetail", ErrorDetail(s.error())}});
  }
  return object{{"Errors", std::move(errors)}};
}

Result<aws::OperationOutput> GetTableVersions(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(in, "NextToken"));
  CENOTE_ASSIGN_OR_RETURN(auto size, PageSize(in, "MaxResults", 100));
  CENOTE_ASSIGN_OR_RETURN(auto page, c->GetTableVersions(t.database, t.table, token, size));
  return PageOutput(std::move(page), "TableVersions");
}

Result<aws::OperationOutput> GetTableVersion(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto version, OptionalString(in, "VersionId"));
  CENOTE_ASSIGN_OR_RETURN(auto v, c->GetTableVersion(t.database, t.table, version));
  return object{{"TableVersion", std::move(v)}};
}

Result<aws::OperationOutput> DeleteTableVersion(GlueEnv& env, const aws::RequestContext& ctx,
                                                aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto version, RequiredString(in, "VersionId"));
  CENOTE_RETURN_IF_ERROR(c->DeleteTableVersion(t.database, t.table, version));
  return object();
}

Result<aws::OperationOutput> BatchDeleteTableVersion(GlueEnv& env, const aws::RequestContext& ctx,
                                                     aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto list, RequiredArray(in, "VersionIds"));
  CENOTE_ASSIGN_OR_RETURN(auto ids, StringList(*list, "versionIds"));
  CENOTE_RETURN_IF_ERROR(c->GetTable(t.database, t.table));
  array errors;
  for (const auto& id : ids) {
    Status s = c->DeleteTableVersion(t.database, t.table, id);
    if (s) continue;
    if (s.error().http_status >= 500) return std::move(s).error();
    errors.push_back(
        object{{"TableName", t.table}, {"VersionId", id}, {"ErrorDetail", ErrorDetail(s.error())}});
  }
  return object{{"Errors", std::move(errors)}};
}

// ---- SearchTables ---------------------------------------------------------------------------------

namespace {

std::string Member(const object& o, const char* name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The text SearchText looks into: names, description, owner, table type, columns (names, types and
// comments), partition keys and parameter values.
std::string SearchableText(const object& t) {
  std::string s = AsciiLower(Member(t, "DatabaseName")) + "\n" + AsciiLower(Member(t, "Name")) + "\n" +
                  AsciiLower(Member(t, "Description")) + "\n" + AsciiLower(Member(t, "Owner")) + "\n" +
                  AsciiLower(Member(t, "TableType")) + "\n";
  auto add_columns = [&s](const value* cols) {
    if (cols == nullptr || !cols->is_array()) return;
    for (const auto& c : cols->get_array()) {
      if (!c.is_object()) continue;
      s += AsciiLower(Member(c.get_object(), "Name")) + "\n" + AsciiLower(Member(c.get_object(), "Comment")) +
           "\n";
    }
  };
  if (const auto* sd = t.if_contains("StorageDescriptor"); sd && sd->is_object()) {
    add_columns(sd->get_object().if_contains("Columns"));
  }
  add_columns(t.if_contains("PartitionKeys"));
  if (const auto* p = t.if_contains("Parameters"); p && p->is_object()) {
    for (const auto& [k, v] : p->get_object()) {
      if (v.is_string()) s += AsciiLower(v.get_string()) + "\n";
    }
  }
  return s;
}

// Glue's fuzzy match for string predicates: the field is split into tokens on punctuation and each
// token is compared exactly (case-insensitively) with the value ("link" matches "customer-link").
bool TokenMatch(const std::string& field, const std::string& wanted) {
  const std::string f = AsciiLower(field);
  const std::string w = AsciiLower(wanted);
  if (f == w) return true;
  std::size_t i = 0;
  while (i < f.size()) {
    while (i < f.size() && !std::isalnum(static_cast<unsigned char>(f[i]))) ++i;
    std::size_t j = i;
    while (j < f.size() && std::isalnum(static_cast<unsigned char>(f[j]))) ++j;
    if (j > i && f.compare(i, j - i, w) == 0 && w.size() == j - i) return true;
    i = j;
  }
  return false;
}

struct Predicate {
  std::string key;
  std::string value;
  std::string comparator;
};

bool IsTimeField(const std::string& key) {
  return key == "CreateTime" || key == "UpdateTime" || key == "LastAccessTime" || key == "LastAnalyzedTime";
}

bool PredicateMatches(const object& t, const Predicate& p) {
  if (IsTimeField(p.key)) {
    // Time fields compare numerically with the value in epoch milliseconds.
    const auto* v = t.if_contains(p.key);
    if (v == nullptr || !v->is_int64()) return false;
    std::int64_t want = 0;
    try {
      want = std::stoll(p.value);
    } catch (const std::exception&) {
      return false;
    }
    const std::int64_t have = v->get_int64();
    if (p.comparator == "GREATER_THAN") return have > want;
    if (p.comparator == "LESS_THAN") return have < want;
    if (p.comparator == "GREATER_THAN_EQUALS") return have >= want;
    if (p.comparator == "LESS_THAN_EQUALS") return have <= want;
    return have == want;
  }
  if (const auto* v = t.if_contains(p.key); v && v->is_string())
    return TokenMatch(std::string(v->get_string()), p.value);
  // Any other key is a table parameter ("classification" = "csv").
  if (const auto* params = t.if_contains("Parameters"); params && params->is_object()) {
    if (const auto* v = params->get_object().if_contains(p.key); v && v->is_string()) {
      return TokenMatch(std::string(v->get_string()), p.value);
    }
  }
  return false;
}

constexpr std::size_t kMaxSearchScan = 1000000;

}  // namespace

Result<aws::OperationOutput> SearchTables(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto text, OptionalString(in, "SearchText"));
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(in, "NextToken"));
  CENOTE_ASSIGN_OR_RETURN(auto size, PageSize(in, "MaxResults", 1000));
  const std::size_t limit = size == 0 ? 100 : static_cast<std::size_t>(size);
  std::vector<Predicate> predicates;
  if (const auto* f = in.if_contains("Filters"); f && !f->is_null()) {
    if (!f->is_array()) return InvalidInput("Value at 'filters' must be a list.");
    for (const auto& e : f->get_array()) {
      if (!e.is_object()) return InvalidInput("Value at 'filters' must be a list of structures.");
      Predicate p{Member(e.get_object(), "Key"), Member(e.get_object(), "Value"),
                  Member(e.get_object(), "Comparator")};
      if (p.key.empty()) return InvalidInput("A search filter needs a Key.");
      predicates.push_back(std::move(p));
    }
  }
  std::string sort_field;
  bool descending = false;
  if (const auto* s = in.if_contains("SortCriteria"); s && s->is_array()) {
    if (s->get_array().size() > 1) {
      return InvalidInput(
          "1 validation error detected: Value at 'sortCriteria' failed to satisfy constraint: Member must "
          "have "
          "length less than or equal to 1");
    }
    if (!s->get_array().empty() && s->get_array()[0].is_object()) {
      sort_field = Member(s->get_array()[0].get_object(), "FieldName");
      descending = Member(s->get_array()[0].get_object(), "Sort") == "DESC";
    }
  }
  std::size_t offset = 0;
  if (!token.empty()) {
    try {
      std::size_t used = 0;
      offset = std::stoull(token, &used);
      if (used != token.size()) throw std::invalid_argument("token");
    } catch (const std::exception&) {
      return InvalidInput("Invalid pagination token: " + token.substr(0, 64));
    }
  }
  // Quoted SearchText ("\"sales\"") is an exact match on the name; otherwise a substring search.
  std::string needle = AsciiLower(text);
  bool exact = false;
  if (needle.size() >= 2 && needle.front() == '"' && needle.back() == '"') {
    needle = needle.substr(1, needle.size() - 2);
    exact = true;
  }

  std::vector<object> matches;
  std::size_t scanned = 0;
  std::string db_token;
  do {
    CENOTE_ASSIGN_OR_RETURN(auto dbs, c->GetDatabases(db_token, 1000));
    for (const auto& db : dbs.items) {
      std::string t_token;
      do {
        auto tables = c->GetTables(std::string(db.at("Name").get_string()), "", t_token, 1000);
        if (!tables) {
          if (tables.error().code == "EntityNotFoundException") break;  // dropped meanwhile
          return std::move(tables).error();
        }
        for (auto& t : tables->items) {
          if (++scanned > kMaxSearchScan) return InvalidInput("SearchTables scans at most 1000000 tables.");
          if (!needle.empty()) {
            if (exact ? AsciiLower(Member(t, "Name")) != needle
                      : SearchableText(t).find(needle) == std::string::npos) {
              continue;
            }
          }
          bool ok = true;
          for (const auto& p : predicates) ok = ok && PredicateMatches(t, p);
          if (ok) matches.push_back(std::move(t));
        }
        t_token = tables->next_token;
      } while (!t_token.empty());
    }
    db_token = dbs.next_token;
  } while (!db_token.empty());

  if (!sort_field.empty()) {
    std::stable_sort(matches.begin(), matches.end(), [&](const object& a, const object& b) {
      const auto* x = a.if_contains(sort_field);
      const auto* y = b.if_contains(sort_field);
      bool less = false;
      if (x && y && x->is_int64() && y->is_int64()) {
        less = descending ? x->get_int64() > y->get_int64() : x->get_int64() < y->get_int64();
      } else {
        const std::string xs = x && x->is_string() ? std::string(x->get_string()) : "";
        const std::string ys = y && y->is_string() ? std::string(y->get_string()) : "";
        less = descending ? xs > ys : xs < ys;
      }
      return less;
    });
  }
  object out;
  array list;
  for (std::size_t i = offset; i < matches.size() && i < offset + limit; ++i)
    list.emplace_back(std::move(matches[i]));
  out["TableList"] = std::move(list);
  if (offset + limit < matches.size()) out["NextToken"] = std::to_string(offset + limit);
  return out;
}

}  // namespace cenote::glue::internal
