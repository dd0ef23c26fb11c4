// GlueProvider: dispatch, input helpers, databases and tags.
#include "services/glue/glue_provider.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "services/common/operation_table.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/provider_internal.hpp"

namespace cenote::glue {
namespace internal {
namespace {

std::string LowerCamel(std::string_view member) {
  std::string s(member);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

Error WrongType(const char* member, const char* type) {
  return InvalidInput("Value at '" + LowerCamel(member) + "' must be " + type + ".");
}

}  // namespace

Result<std::string> RequiredString(const object& in, const char* member) {
  const auto* v = in.if_contains(member);
  if (v == nullptr || v->is_null()) return MissingMember(LowerCamel(member));
  if (!v->is_string()) return WrongType(member, "a string");
  if (v->get_string().empty()) {
    return InvalidInput("1 validation error detected: Value '' at '" + LowerCamel(member) +
                        "' failed to satisfy constraint: Member must have length greater than or equal to 1");
  }
  return std::string(v->get_string());
}

Result<std::string> OptionalString(const object& in, const char* member) {
  const auto* v = in.if_contains(member);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return WrongType(member, "a string");
  return std::string(v->get_string());
}

Result<const object*> RequiredObject(const object& in, const char* member) {
  const auto* v = in.if_contains(member);
  if (v == nullptr || v->is_null()) return MissingMember(LowerCamel(member));
  if (!v->is_object()) return WrongType(member, "a structure");
  return &v->get_object();
}

Result<const array*> RequiredArray(const object& in, const char* member, std::size_t max_items) {
  const auto* v = in.if_contains(member);
  if (v == nullptr || v->is_null()) return MissingMember(LowerCamel(member));
  if (!v->is_array()) return WrongType(member, "a list");
  if (v->get_array().size() > max_items) {
    return InvalidInput("1 validation error detected: Value at '" + LowerCamel(member) +
                        "' failed to satisfy constraint: Member must have length less than or equal to " +
                        std::to_string(max_items));
  }
  return &v->get_array();
}

Result<int> PageSize(const object& in, const char* member, int max) {
  const auto* v = in.if_contains(member);
  if (v == nullptr || v->is_null()) return 0;
  if (!v->is_int64()) return WrongType(member, "an integer");
  const std::int64_t n = v->get_int64();
  if (n < 1 || n > max) {
    return InvalidInput(
        "1 validation error detected: Value '" + std::to_string(n) + "' at '" + LowerCamel(member) +
        "' failed to satisfy constraint: Member must have value " +
        (n < 1 ? "greater than or equal to 1" : "less than or equal to " + std::to_string(max)));
  }
  return static_cast<int>(n);
}

Result<std::vector<std::string>> StringList(const value& v, const std::string& path) {
  if (!v.is_array()) return InvalidInput("Value at '" + path + "' must be a list.");
  std::vector<std::string> out;
  for (const auto& e : v.get_array()) {
    if (!e.is_string()) return InvalidInput("Value at '" + path + "' must be a list of strings.");
    out.emplace_back(e.get_string());
  }
  return out;
}

bool OptionalBool(const object& in, const char* member) {
  const auto* v = in.if_contains(member);
  return v != nullptr && v->is_bool() && v->get_bool();
}

Result<TableRef> TableOf(const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto db, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto table, RequiredString(in, "TableName"));
  return TableRef{std::move(db), std::move(table)};
}

object ErrorDetail(const Error& e) { return object{{"ErrorCode", e.code}, {"ErrorMessage", e.message}}; }

object PageOutput(Page page, const char* list_member) {
  object out;
  array items;
  items.reserve(page.items.size());
  for (auto& o : page.items) items.emplace_back(std::move(o));
  out[list_member] = std::move(items);
  if (!page.next_token.empty()) out["NextToken"] = std::move(page.next_token);
  return out;
}

std::string ResourceArn(const Catalog& catalog, const aws::RequestContext& ctx, const std::string& resource) {
  return "arn:aws:glue:" + ctx.region + ":" + catalog.catalog_id() + ":" + resource;
}

// ---- databases ------------------------------------------------------------------------------------

Result<object> CreateDatabase(Catalog& c, const aws::RequestContext& ctx, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto input, RequiredObject(in, "DatabaseInput"));
  const object* tags = nullptr;
  if (const auto* t = in.if_contains("Tags"); t && !t->is_null()) {
    if (!t->is_object()) return WrongType("Tags", "a map");
    tags = &t->get_object();
  }
  if (const auto* fed = input->if_contains("FederatedDatabase"); fed && !fed->is_null()) {
    return InvalidInput("Federated databases are not supported by Cenote.");
  }
  if (const auto* target = input->if_contains("TargetDatabase"); target && !target->is_null()) {
    return InvalidInput("Resource links (TargetDatabase) are not supported by Cenote.");
  }
  CENOTE_RETURN_IF_ERROR(c.CreateDatabase(*input));
  if (tags != nullptr && !tags->empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto db, c.GetDatabase(std::string(input->at("Name").get_string())));
    Status s =
        c.TagResource(ResourceArn(c, ctx, "database/" + std::string(db.at("Name").get_string())), *tags);
    if (!s) {
      // Glue validates the tags with the request: a bad tag leaves no database behind.
      (void)c.DeleteDatabase(std::string(db.at("Name").get_string()));
      return std::move(s).error();
    }
  }
  return object();
}

Result<object> GetDatabase(Catalog& c, const aws::RequestContext&, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto db, c.GetDatabase(name));
  return object{{"Database", std::move(db)}};
}

Result<object> GetDatabases(Catalog& c, const aws::RequestContext&, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(in, "NextToken"));
  CENOTE_ASSIGN_OR_RETURN(auto size, PageSize(in, "MaxResults", 100));
  CENOTE_ASSIGN_OR_RETURN(auto page, c.GetDatabases(token, size));
  // AttributesToGet: ["NAME"] asks for names only.
  if (const auto* attrs = in.if_contains("AttributesToGet");
      attrs && attrs->is_array() && !attrs->get_array().empty()) {
    for (auto& db : page.items) {
      object slim{{"Name", db.at("Name")}};
      db = std::move(slim);
    }
  }
  return PageOutput(std::move(page), "DatabaseList");
}

Result<object> UpdateDatabase(Catalog& c, const aws::RequestContext&, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto input, RequiredObject(in, "DatabaseInput"));
  CENOTE_RETURN_IF_ERROR(c.UpdateDatabase(name, *input));
  return object();
}

Result<object> DeleteDatabase(Catalog& c, const aws::RequestContext&, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_RETURN_IF_ERROR(c.DeleteDatabase(name));
  return object();
}

// ---- tags -----------------------------------------------------------------------------------------

Result<object> TagResource(Catalog& c, const aws::RequestContext&, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto arn, RequiredString(in, "ResourceArn"));
  CENOTE_ASSIGN_OR_RETURN(auto tags, RequiredObject(in, "TagsToAdd"));
  CENOTE_RETURN_IF_ERROR(c.TagResource(arn, *tags));
  return object();
}

Result<object> UntagResource(Catalog& c, const aws::RequestContext&, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto arn, RequiredString(in, "ResourceArn"));
  CENOTE_ASSIGN_OR_RETURN(auto keys_value, RequiredArray(in, "TagsToRemove", 50));
  CENOTE_ASSIGN_OR_RETURN(auto keys, StringList(*keys_value, "tagsToRemove"));
  CENOTE_RETURN_IF_ERROR(c.UntagResource(arn, keys));
  return object();
}

Result<object> GetTags(Catalog& c, const aws::RequestContext&, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto arn, RequiredString(in, "ResourceArn"));
  CENOTE_ASSIGN_OR_RETURN(auto tags, c.GetTags(arn));
  return object{{"Tags", std::move(tags)}};
}

namespace {

// The catalog operations. docs/glue-coverage.md is generated from this table
// (src/services/glue/gen_coverage.py reads the {"Name", Handler} entries).
const services::OperationTable<Handler>& Operations() {
  static const services::OperationTable<Handler> kOperations = {
      {"BatchCreatePartition", BatchCreatePartition},
      {"BatchDeletePartition", BatchDeletePartition},
      {"BatchDeleteTable", BatchDeleteTable},
      {"BatchDeleteTableVersion", BatchDeleteTableVersion},
      {"BatchGetPartition", BatchGetPartition},
      {"BatchUpdatePartition", BatchUpdatePartition},
      {"CreateDatabase", CreateDatabase},
      {"CreatePartition", CreatePartition},
      {"CreateTable", CreateTable},
      {"DeleteDatabase", DeleteDatabase},
      {"DeletePartition", DeletePartition},
      {"DeleteTable", DeleteTable},
      {"DeleteTableVersion", DeleteTableVersion},
      {"GetDatabase", GetDatabase},
      {"GetDatabases", GetDatabases},
      {"GetPartition", GetPartition},
      {"GetPartitionIndexes", GetPartitionIndexes},
      {"GetPartitions", GetPartitions},
      {"GetTable", GetTable},
      {"GetTableVersion", GetTableVersion},
      {"GetTableVersions", GetTableVersions},
      {"GetTables", GetTables},
      {"GetTags", GetTags},
      {"SearchTables", SearchTables},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"UpdateDatabase", UpdateDatabase},
      {"UpdatePartition", UpdatePartition},
      {"UpdateTable", UpdateTable},
  };
  return kOperations;
}

}  // namespace
}  // namespace internal

const std::vector<std::string_view>& GlueProvider::SupportedOperations() {
  return internal::Operations().names();
}

bool GlueProvider::Implements(std::string_view operation) const {
  if (internal::Operations().Find(operation) != nullptr) return true;
  for (std::string_view op : Crawlers::Operations()) {
    if (op == operation) return true;
  }
  return false;
}

Result<aws::OperationOutput> GlueProvider::Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                                  aws::OperationInput& input) {
  if (const internal::Handler* handler = internal::Operations().Find(operation)) {
    if (!input.params.is_object()) return InvalidInput("The request body must be a JSON object.");
    const object& in = input.params.get_object();
    if (const auto* id = in.if_contains("CatalogId"); id && !id->is_null()) {
      if (!id->is_string()) return InvalidInput("Value at 'catalogId' must be a string.");
      if (id->get_string() != catalog_.catalog_id()) {
        // A catalog of another account: Cenote holds one account's catalog, and no resource policy
        // grants cross-account access to it, so this is IAM's denial, as Glue words it.
        return GlueError(
            "AccessDeniedException",
            "User: " + ctx.principal.arn + " is not authorized to perform: glue:" + std::string(operation) +
                " on resource: arn:aws:glue:" + ctx.region + ":" + std::string(id->get_string()) +
                ":catalog because no resource-based policy allows the glue:" + std::string(operation) +
                " action");
      }
    }
    CENOTE_ASSIGN_OR_RETURN(object out, (*handler)(catalog_, ctx, in));
    return aws::OperationOutput(std::move(out));
  }
  return crawlers_.Invoke(ctx, operation, input);
}

}  // namespace cenote::glue
