// GlueProvider: user-defined functions (Hive UDF definitions kept in the catalog, per database) and the
// helpers shared by the catalog-object handlers.
#include <regex>

#include "common/clock.hpp"
#include "common/strings.hpp"
#include "services/common/params.hpp"
#include "services/glue/catalog_internal.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/provider_objects.hpp"

namespace cenote::glue::internal {

ObjectKey KeyOf(const RegionalCatalog& catalog, const char* kind, const std::vector<std::string>& scope,
                const std::string& name) {
  return ObjectKey{.account = catalog.catalog_id(),
                   .region = catalog.region(),
                   .kind = kind,
                   .scope = ScopeOf(scope),
                   .name = name};
}

Result<std::optional<std::regex>> CompileNamePattern(const std::string& pattern) {
  if (pattern.empty()) return std::optional<std::regex>();
  std::string re;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    re += (c == '*' && (i == 0 || pattern[i - 1] != '.')) ? std::string(".*") : std::string(1, c);
    // Quantified groups backtrack exponentially in std::regex.
    if (c == ')' && i + 1 < pattern.size() &&
        (pattern[i + 1] == '*' || pattern[i + 1] == '+' || pattern[i + 1] == '{')) {
      return InvalidInput("Unsupported pattern: quantified groups are not allowed: " + pattern);
    }
  }
  try {
    return std::optional<std::regex>(std::regex(re, std::regex::ECMAScript | std::regex::icase));
  } catch (const std::regex_error&) {
    return InvalidInput("Invalid pattern: " + pattern);
  }
}

namespace {

constexpr const char* kUdf = "udf";
// Glue's quota: user-defined functions per account (AWS Glue endpoints and quotas: 10,000 per database is
// not documented; the per-catalog function quota is), enforced per database here.
constexpr std::int64_t kMaxFunctionsPerDatabase = 10000;

Status ValidateFunctionInput(const object& in) {
  CENOTE_RETURN_IF_ERROR(ValidateName(in.if_contains("FunctionName"), "functionInput.functionName"));
  if (in.contains("ClassName"))
    CENOTE_RETURN_IF_ERROR(ValidateName(in.if_contains("ClassName"), "functionInput.className"));
  if (in.contains("OwnerName"))
    CENOTE_RETURN_IF_ERROR(ValidateName(in.if_contains("OwnerName"), "functionInput.ownerName"));
  if (const auto* uris = in.if_contains("ResourceUris"); uris && !uris->is_null()) {
    if (!uris->is_array()) return InvalidInput("Value at 'functionInput.resourceUris' must be a list.");
    if (uris->get_array().size() > 1000) {
      return InvalidInput(
          "1 validation error detected: Value at 'functionInput.resourceUris' failed to satisfy constraint: "
          "Member must have length less than or equal to 1000");
    }
  }
  return Status::Ok();
}

// The stored UserDefinedFunction: the input as sent, with the catalog's members. Hive folds function names
// to lower case, as Glue does for databases and tables.
object BuildFunction(const object& in, const std::string& db, const std::string& catalog_id,
                     std::int64_t create_time) {
  object doc = in;
  doc["FunctionName"] = AsciiLower(in.at("FunctionName").get_string());
  doc["DatabaseName"] = db;
  doc["CatalogId"] = catalog_id;
  doc["CreateTime"] = create_time;
  return doc;
}

Error FunctionNotFound(const std::string& db, const std::string& name) {
  return EntityNotFound("Function " + name + " not found in database " + db + ".");
}

}  // namespace

Result<aws::OperationOutput> CreateUserDefinedFunction(GlueEnv& env, const aws::RequestContext& ctx,
                                                       aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db_name, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto fn, RequiredObject(in, "FunctionInput"));
  CENOTE_RETURN_IF_ERROR(ValidateFunctionInput(*fn));
  CENOTE_RETURN_IF_ERROR(c->GetDatabase(db_name));
  const std::string db = AsciiLower(db_name);
  object doc = BuildFunction(*fn, db, c->catalog_id(), UnixNowMs());
  const std::string name(doc.at("FunctionName").get_string());
  CENOTE_RETURN_IF_ERROR(env.catalog.objects().Modify(
      KeyOf(*c, kUdf, {db}, name),
      [&](std::optional<object> current) -> Result<std::optional<object>> {
        if (current) return AlreadyExists("Function already exists.");
        return std::optional<object>(doc);
      },
      kMaxFunctionsPerDatabase,
      [] {
        return ResourceNumberLimitExceeded(
            "The number of functions in the database has reached its quota of " +
            std::to_string(kMaxFunctionsPerDatabase) + ".");
      }));
  return object();
}

Result<aws::OperationOutput> GetUserDefinedFunction(GlueEnv& env, const aws::RequestContext& ctx,
                                                    aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db_name, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "FunctionName"));
  CENOTE_RETURN_IF_ERROR(c->GetDatabase(db_name));
  CENOTE_ASSIGN_OR_RETURN(
      auto doc, env.catalog.objects().Get(KeyOf(*c, kUdf, {AsciiLower(db_name)}, AsciiLower(name))));
  if (!doc) return FunctionNotFound(db_name, name);
  return object{{"UserDefinedFunction", std::move(*doc)}};
}

Result<aws::OperationOutput> GetUserDefinedFunctions(GlueEnv& env, const aws::RequestContext& ctx,
                                                     aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db_name, OptionalString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto pattern, RequiredString(in, "Pattern"));
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(in, "NextToken"));
  CENOTE_ASSIGN_OR_RETURN(auto size, PageSize(in, "MaxResults", 100));
  CENOTE_ASSIGN_OR_RETURN(auto filter, CompileNamePattern(pattern));
  const std::size_t limit = static_cast<std::size_t>(ClampPageSize(size, 100, 100));
  // Without a DatabaseName the functions of every database of the catalog, database by database. The token
  // is the last (database, function) sent.
  std::vector<std::string> databases;
  if (!db_name.empty()) {
    CENOTE_RETURN_IF_ERROR(c->GetDatabase(db_name));
    databases.push_back(AsciiLower(db_name));
  } else {
    std::string db_token;
    for (int pages = 0; pages < 1000; ++pages) {
      CENOTE_ASSIGN_OR_RETURN(auto page, c->GetDatabases(db_token, 1000));
      for (const auto& d : page.items) databases.emplace_back(d.at("Name").get_string());
      if (page.next_token.empty()) break;
      db_token = page.next_token;
    }
  }
  std::string after_db;
  std::string after_fn;
  if (!token.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto cursor, DecodeToken("udf", token));
    boost::system::error_code ec;
    auto parsed = boost::json::parse(cursor, ec);
    if (ec || !parsed.is_array() || parsed.as_array().size() != 2 || !parsed.as_array()[0].is_string() ||
        !parsed.as_array()[1].is_string()) {
      return InvalidInput("Invalid pagination token: " + token.substr(0, 64));
    }
    after_db = parsed.as_array()[0].get_string();
    after_fn = parsed.as_array()[1].get_string();
  }
  array out;
  std::string last_db;
  std::string last_fn;
  bool more = false;
  for (const auto& db : databases) {
    if (!after_db.empty() && db < after_db) continue;
    std::string cursor = db == after_db ? after_fn : "";
    for (bool done = false; !done && !more;) {
      CENOTE_ASSIGN_OR_RETURN(auto rows, env.catalog.objects().List(KeyOf(*c, kUdf, {db}, ""), cursor, 500));
      done = rows.size() < 500;
      for (auto& [name, doc] : rows) {
        cursor = name;
        if (filter && !std::regex_match(name, *filter)) continue;
        if (out.size() == limit) {
          more = true;
          break;
        }
        out.emplace_back(std::move(doc));
        last_db = db;
        last_fn = name;
      }
    }
    if (more) break;
  }
  object result{{"UserDefinedFunctions", std::move(out)}};
  if (more) result["NextToken"] = EncodeToken("udf", ScopeOf({last_db, last_fn}));
  return result;
}

Result<aws::OperationOutput> UpdateUserDefinedFunction(GlueEnv& env, const aws::RequestContext& ctx,
                                                       aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db_name, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto name_given, RequiredString(in, "FunctionName"));
  CENOTE_ASSIGN_OR_RETURN(auto fn, RequiredObject(in, "FunctionInput"));
  CENOTE_RETURN_IF_ERROR(ValidateFunctionInput(*fn));
  CENOTE_RETURN_IF_ERROR(c->GetDatabase(db_name));
  const std::string db = AsciiLower(db_name);
  const std::string name = AsciiLower(name_given);
  const std::string new_name = AsciiLower(fn->at("FunctionName").get_string());
  auto& objects = env.catalog.objects();
  if (new_name == name) {
    CENOTE_RETURN_IF_ERROR(objects.Modify(
        KeyOf(*c, kUdf, {db}, name), [&](std::optional<object> current) -> Result<std::optional<object>> {
          if (!current) return FunctionNotFound(db_name, name_given);
          std::int64_t created = UnixNowMs();
          if (const auto* t = current->if_contains("CreateTime"); t && t->is_int64()) created = t->as_int64();
          return std::optional<object>(BuildFunction(*fn, db, c->catalog_id(), created));
        }));
    return object();
  }
  // A new FunctionName renames the function (FunctionInput redefines it, its name included): the new name
  // must be free. One transaction, so a crash leaves the function under exactly one of its names.
  CENOTE_RETURN_IF_ERROR(objects.Rename(
      KeyOf(*c, kUdf, {db}, name), new_name,
      [&](std::optional<object> current) -> Result<std::optional<object>> {
        if (!current) return FunctionNotFound(db_name, name_given);
        std::int64_t created = UnixNowMs();
        if (const auto* t = current->if_contains("CreateTime"); t && t->is_int64()) created = t->as_int64();
        return std::optional<object>(BuildFunction(*fn, db, c->catalog_id(), created));
      },
      [] { return AlreadyExists("Function already exists."); }));
  return object();
}

Result<aws::OperationOutput> DeleteUserDefinedFunction(GlueEnv& env, const aws::RequestContext& ctx,
                                                       aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db_name, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "FunctionName"));
  CENOTE_RETURN_IF_ERROR(c->GetDatabase(db_name));
  CENOTE_RETURN_IF_ERROR(
      env.catalog.objects().Modify(KeyOf(*c, kUdf, {AsciiLower(db_name)}, AsciiLower(name)),
                                   [&](std::optional<object> current) -> Result<std::optional<object>> {
                                     if (!current) return FunctionNotFound(db_name, name);
                                     return std::optional<object>();
                                   }));
  return object();
}

}  // namespace cenote::glue::internal
