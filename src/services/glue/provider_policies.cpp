// GlueProvider: the Data Catalog's resource policy (PutResourcePolicy and friends). One policy per catalog
// (account and region), on the catalog's ARN; Glue's documentation says ResourceArn is for internal use, so a
// database or table ARN of this catalog names the same catalog policy, as Glue keeps catalog policies only.
// PolicyHash is the base64 SHA-256 of the document as put; PolicyHashCondition and PolicyExistsCondition are
// checked in the same transaction as the write (ConditionCheckFailureException otherwise).
#include "common/checksum.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "iam/policy.hpp"
#include "services/common/params.hpp"
#include "services/glue/catalog_internal.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/provider_objects.hpp"

namespace cenote::glue::internal {
namespace {

constexpr const char* kPolicy = kPolicyKind;

Error ConditionCheckFailure(std::string_view message) {
  return GlueError(errors::kConditionCheckFailure, {message});
}

// The catalog whose policy `arn` (or, absent, the request's catalog) names; InvalidInputException for an ARN
// of another service or region, EntityNotFoundException for another account's.
Result<std::string> PolicyCatalogArn(const aws::RequestContext& ctx, const std::string& arn) {
  const std::string catalog = ResourceArn(ctx, "catalog");
  if (arn.empty()) return catalog;
  const std::vector<std::string_view> parts = SplitString(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn" || parts[2] != "glue") {
    return InvalidInput("Resource ARN is not valid: " + arn);
  }
  if (parts[3] != ctx.region || parts[4] != ctx.account_id()) {
    return EntityNotFound("Resource " + arn + " not found in catalog " + ctx.account_id() + ".");
  }
  return catalog;
}

std::string PolicyHash(std::string_view policy) {
  return Base64Encode(ComputeChecksum(ChecksumAlgorithm::kSHA256, policy));
}

object GluePolicy(const object& doc) {
  object out;
  for (const char* m : {"PolicyInJson", "PolicyHash", "CreateTime", "UpdateTime"}) {
    if (const auto* v = doc.if_contains(m)) out[m] = *v;
  }
  return out;
}

}  // namespace

Result<aws::OperationOutput> PutResourcePolicy(GlueEnv& env, const aws::RequestContext& ctx,
                                               aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto text, RequiredString(in, "PolicyInJson"));
  CENOTE_ASSIGN_OR_RETURN(auto arn, OptionalString(in, "ResourceArn"));
  CENOTE_ASSIGN_OR_RETURN(auto hash_condition, OptionalString(in, "PolicyHashCondition"));
  CENOTE_ASSIGN_OR_RETURN(auto exists_condition, OptionalString(in, "PolicyExistsCondition"));
  CENOTE_ASSIGN_OR_RETURN(auto catalog_arn, PolicyCatalogArn(ctx, arn));
  // The document is an IAM resource-based policy: it names principals (MalformedPolicyDocument's reason in
  // Glue's InvalidInputException).
  if (auto parsed = iam::ParsePolicy(text, iam::PolicyKind::kResource); !parsed) {
    return InvalidInput("Policy document is not valid: " + parsed.error().message);
  }
  const std::string hash = PolicyHash(text);
  const std::int64_t now = UnixNowMs();
  CENOTE_RETURN_IF_ERROR(env.catalog.objects().Modify(
      KeyOf(*c, kPolicy, {}, kCatalogPolicyName),
      [&](std::optional<object> current) -> Result<std::optional<object>> {
        if (exists_condition == "MUST_EXIST" && !current) {
          return ConditionCheckFailure("A policy does not exist and PolicyExistsCondition is MUST_EXIST.");
        }
        if (exists_condition == "NOT_EXIST" && current) {
          return ConditionCheckFailure("A policy already exists and PolicyExistsCondition is NOT_EXIST.");
        }
        if (!hash_condition.empty()) {
          const std::string have =
              current ? std::string(services::GetString(*current, "PolicyHash").value_or("")) : "";
          if (have != hash_condition) {
            return ConditionCheckFailure("The PolicyHashCondition does not match the current policy's hash.");
          }
        }
        std::int64_t created = now;
        if (current) {
          if (const auto* t = current->if_contains("CreateTime"); t && t->is_int64()) created = t->as_int64();
        }
        return std::optional<object>(object{{"PolicyInJson", text},
                                            {"PolicyHash", hash},
                                            {"CreateTime", created},
                                            {"UpdateTime", now},
                                            {"ResourceArn", catalog_arn}});
      }));
  return object{{"PolicyHash", hash}};
}

Result<aws::OperationOutput> GetResourcePolicy(GlueEnv& env, const aws::RequestContext& ctx,
                                               aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  CENOTE_ASSIGN_OR_RETURN(auto arn, OptionalString(input.params.as_object(), "ResourceArn"));
  CENOTE_RETURN_IF_ERROR(PolicyCatalogArn(ctx, arn));
  CENOTE_ASSIGN_OR_RETURN(auto doc, env.catalog.objects().Get(KeyOf(*c, kPolicy, {}, kCatalogPolicyName)));
  if (!doc) return EntityNotFound("Policy not found.");
  return GluePolicy(*doc);
}

Result<aws::OperationOutput> GetResourcePolicies(GlueEnv& env, const aws::RequestContext& ctx,
                                                 aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(input.params.as_object(), "NextToken"));
  std::string after;
  if (!token.empty()) {
    CENOTE_ASSIGN_OR_RETURN(after, DecodeToken("policy", token));
  }
  CENOTE_ASSIGN_OR_RETURN(auto rows, env.catalog.objects().List(KeyOf(*c, kPolicy, {}, ""), after, 1000));
  array list;
  for (const auto& [name, doc] : rows) list.emplace_back(GluePolicy(doc));
  return object{{"GetResourcePoliciesResponseList", std::move(list)}};
}

Result<aws::OperationOutput> DeleteResourcePolicy(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto arn, OptionalString(in, "ResourceArn"));
  CENOTE_ASSIGN_OR_RETURN(auto hash_condition, OptionalString(in, "PolicyHashCondition"));
  CENOTE_RETURN_IF_ERROR(PolicyCatalogArn(ctx, arn));
  CENOTE_RETURN_IF_ERROR(env.catalog.objects().Modify(
      KeyOf(*c, kPolicy, {}, kCatalogPolicyName),
      [&](std::optional<object> current) -> Result<std::optional<object>> {
        if (!current) return EntityNotFound("Policy not found.");
        if (!hash_condition.empty() &&
            services::GetString(*current, "PolicyHash").value_or("") != hash_condition) {
          return ConditionCheckFailure("The PolicyHashCondition does not match the current policy's hash.");
        }
        return std::optional<object>();
      }));
  return object();
}

}  // namespace cenote::glue::internal
