// Shared helpers of the KMS handlers: validation, key metadata documents, algorithms per key spec, policies,
// tags and pagination (internal.hpp).
#include <algorithm>

#include "iam/directory.hpp"
#include "iam/evaluate.hpp"
#include "iam/policy.hpp"
#include "services/kms/internal.hpp"

namespace cenote::kms {

std::string KeyArn(const KeyRef& ref) {
  return "arn:aws:kms:" + ref.region + ":" + ref.account + ":key/" + ref.id;
}
std::string AliasArn(const AliasRef& ref) {
  return "arn:aws:kms:" + ref.region + ":" + ref.account + ":" + ref.name;
}
std::string RootArn(std::string_view account) { return "arn:aws:iam::" + std::string(account) + ":root"; }

const Material* KeyState::FindMaterial(int version) const {
  for (const Material& m : materials) {
    if (m.version == version) return &m;
  }
  return nullptr;
}

Error Validation(std::string message) { return services::MakeError(errors::kValidation, {message}); }
Error DryRun() { return services::MakeError(errors::kDryRun); }

Status CheckLength(const json::object& params, std::string_view member, std::size_t min, std::size_t max) {
  std::optional<std::string> v = GetString(params, member);
  if (!v) return Status::Ok();
  if (v->size() < min || v->size() > max) {
    return Validation("1 validation error detected: Value at '" + std::string(1, std::tolower(member[0])) +
                      std::string(member.substr(1)) +
                      "' failed to satisfy constraint: Member must have length " +
                      (min > 0 ? "greater than or equal to " + std::to_string(min) + " and " : "") +
                      "less than or equal to " + std::to_string(max));
  }
  return Status::Ok();
}

std::vector<std::string> EncryptionAlgorithms(const KeyState& key) {
  if (key.key_usage != "ENCRYPT_DECRYPT") return {};
  if (key.symmetric()) return {"SYMMETRIC_DEFAULT"};
  return {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"};
}

std::vector<std::string> SigningAlgorithms(const KeyState& key) {
  if (key.key_usage != "SIGN_VERIFY") return {};
  if (key.key_spec.starts_with("RSA_")) {
    return {"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
            "RSASSA_PSS_SHA_256",        "RSASSA_PSS_SHA_384",        "RSASSA_PSS_SHA_512"};
  }
  if (key.key_spec == "ECC_NIST_P384") return {"ECDSA_SHA_384"};
  if (key.key_spec == "ECC_NIST_P521") return {"ECDSA_SHA_512"};
  return {"ECDSA_SHA_256"};
}

std::vector<std::string> MacAlgorithms(const KeyState& key) {
  if (!key.hmac()) return {};
  return {"HMAC_SHA_" + key.key_spec.substr(5)};
}

namespace {
json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}
}  // namespace

json::object KeyMetadata(const Env& env, const KeyState& key) {
  json::object m;
  m["AWSAccountId"] = key.account;
  m["KeyId"] = key.id;
  m["Arn"] = key.arn;
  m["CreationDate"] = key.created_ms;
  m["Enabled"] = key.state == "Enabled";
  m["Description"] = key.description;
  m["KeyUsage"] = key.key_usage;
  m["KeyState"] = key.state;
  if (key.deletion_ms) {
    m["DeletionDate"] = *key.deletion_ms;
    m["PendingDeletionWindowInDays"] = key.pending_window_days;
  }
  m["Origin"] = key.origin;
  if (key.origin == "EXTERNAL") {
    m["ExpirationModel"] =
        key.expiration_model.empty() ? "KEY_MATERIAL_DOES_NOT_EXPIRE" : key.expiration_model;
    if (key.valid_to_ms) m["ValidTo"] = *key.valid_to_ms;
  }
  m["KeyManager"] = key.aws_managed ? "AWS" : "CUSTOMER";
  m["CustomerMasterKeySpec"] = key.key_spec;
  m["KeySpec"] = key.key_spec;
  if (auto a = EncryptionAlgorithms(key); !a.empty()) m["EncryptionAlgorithms"] = Strings(a);
  if (auto a = SigningAlgorithms(key); !a.empty()) m["SigningAlgorithms"] = Strings(a);
  if (auto a = MacAlgorithms(key); !a.empty()) m["MacAlgorithms"] = Strings(a);
  m["MultiRegion"] = key.multi_region;
  if (key.multi_region) {
    const KeyRef primary{key.account, key.primary_region, key.id};
    json::object config;
    config["MultiRegionKeyType"] = key.primary_region == key.region ? "PRIMARY" : "REPLICA";
    config["PrimaryKey"] = json::object{{"Arn", KeyArn(primary)}, {"Region", key.primary_region}};
    json::array replicas;
    auto it = env.keys.find(primary);
    if (it != env.keys.end()) {
      for (const std::string& r : it->second.replica_regions) {
        replicas.emplace_back(json::object{{"Arn", KeyArn({key.account, r, key.id})}, {"Region", r}});
      }
    }
    config["ReplicaKeys"] = std::move(replicas);
    m["MultiRegionConfiguration"] = std::move(config);
  }
  return m;
}

// AWS's default key policy for keys created through the API (pretty-printed as GetKeyPolicy returns it).
std::string DefaultKeyPolicy(std::string_view account) {
  return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {\n"
         "    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n"
         "    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::" +
         std::string(account) +
         ":root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}";
}

std::string ManagedKeyService(std::string_view alias_name) {
  // The services whose AWS managed keys exist in AWS (and that a client of Cenote may name).
  static constexpr std::string_view kServices[] = {
      "acm",  "backup",  "cloudtrail", "dynamodb", "ebs", "elasticfilesystem", "es", "firehose",
      "glue", "kinesis", "lambda",     "logs",     "rds", "redshift",          "s3", "secretsmanager",
      "sns",  "sqs",     "ssm",        "athena"};
  if (!alias_name.starts_with("alias/aws/")) return {};
  std::string_view service = alias_name.substr(10);
  for (std::string_view s : kServices) {
    if (s == service) return std::string(service);
  }
  return {};
}

// As AWS writes them: any principal of the account may use the key through the service; the account may read
// its metadata.
std::string ManagedKeyPolicy(std::string_view service, std::string_view account, std::string_view region) {
  const std::string svc(service), acct(account), rgn(region);
  return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"auto-" + svc +
         "-2\",\n  \"Statement\" : [ {\n    \"Sid\" : \"Allow access through " + svc +
         " for all principals in the account that are authorized to use " + svc +
         "\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"*\"\n    },\n"
         "    \"Action\" : [ \"kms:Encrypt\", \"kms:Decrypt\", \"kms:ReEncrypt*\", \"kms:GenerateDataKey*\", "
         "\"kms:DescribeKey\" ],\n    \"Resource\" : \"*\",\n    \"Condition\" : {\n      \"StringEquals\" : "
         "{\n"
         "        \"kms:CallerAccount\" : \"" +
         acct + "\",\n        \"kms:ViaService\" : \"" + svc + "." + rgn +
         ".amazonaws.com\"\n      }\n    }\n  }, {\n    \"Sid\" : \"Allow direct access to key metadata to "
         "the "
         "account\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::" +
         acct +
         ":root\"\n    },\n    \"Action\" : [ \"kms:Describe*\", \"kms:Get*\", \"kms:List*\" ],\n"
         "    \"Resource\" : \"*\"\n  } ]\n}";
}

Status CheckKeyPolicy(Env& env, std::string_view text, const RequestContext& ctx, std::string_view key_arn,
                      bool bypass_lockout_check) {
  if (text.size() > kMaxPolicyBytes) {
    return Validation(
        "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have "
        "length "
        "less than or equal to 32768");
  }
  auto parsed = env.policies.Get(text, iam::PolicyKind::kResource);
  if (!parsed) return services::MakeError(errors::kMalformedPolicy, {parsed.error().message});
  if (bypass_lockout_check) return Status::Ok();
  // AWS's policy lockout safety check: the caller must still be able to PutKeyPolicy under the new policy.
  // The caller's IAM policies are the authorizer's, not ours: they count as allowing, so the check refuses
  // only a policy that neither names the caller nor delegates to its account.
  static const iam::Policy kIamAllows =
      iam::ParsePolicy(
          R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})",
          iam::PolicyKind::kIdentity)
          .value();
  iam::Request request;
  request.action = "kms:PutKeyPolicy";
  request.resource = std::string(key_arn);
  request.principal = iam::ToRequestPrincipal(ctx.principal);
  iam::AddPrincipalContextKeys(request.principal, ctx.principal.user_id, request.context);
  request.context.Set("kms:CallerAccount", ctx.account_id());
  iam::PolicySet policies;
  if (request.principal.type != iam::PrincipalType::kRoot) policies.identity.push_back({"IAM", &kIamAllows});
  policies.resource = iam::PolicyRef{"key policy", parsed->get()};
  policies.resource_policy_required = true;
  if (!iam::Evaluate(request, policies).allowed()) {
    return services::MakeError(
        errors::kMalformedPolicy,
        {"The new key policy will not allow you to update the key policy in the future."});
  }
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> ReadTags(const json::array* tags) {
  std::vector<std::pair<std::string, std::string>> out;
  if (tags == nullptr) return out;
  for (const json::value& t : *tags) {
    if (!t.is_object()) return services::MakeError(errors::kTag, {"Tags must be TagKey/TagValue pairs"});
    auto key = GetString(t.as_object(), "TagKey");
    auto value = GetString(t.as_object(), "TagValue");
    if (!key || !value) return services::MakeError(errors::kTag, {"TagKey and TagValue are required"});
    if (key->empty() || key->size() > 128)
      return services::MakeError(errors::kTag, {"Tag key must be 1 to 128 characters"});
    if (value->size() > 256)
      return services::MakeError(errors::kTag, {"Tag value must be 0 to 256 characters"});
    if (key->starts_with("aws:")) {
      return services::MakeError(errors::kTag, {"Tags beginning with aws: are reserved"});
    }
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

json::array TagsDocument(const std::vector<std::pair<std::string, std::string>>& tags) {
  json::array a;
  for (const auto& [k, v] : tags) a.emplace_back(json::object{{"TagKey", k}, {"TagValue", v}});
  return a;
}

Result<std::size_t> LimitOf(const json::object& params, std::size_t default_limit) {
  std::optional<std::int64_t> limit = GetInt(params, "Limit");
  if (!limit) return default_limit;
  if (*limit < 1 || *limit > 1000) {
    return Validation(
        "1 validation error detected: Value '" + std::to_string(*limit) +
        "' at 'limit' failed to satisfy constraint: Member must have value less than or equal to "
        "1000 and greater than or equal to 1");
  }
  return static_cast<std::size_t>(*limit);
}

Result<std::size_t> MarkerStart(const json::object& params, const std::vector<std::string>& ids) {
  std::optional<std::string> marker = GetString(params, "Marker");
  if (!marker) return std::size_t{0};
  auto it = std::find(ids.begin(), ids.end(), *marker);
  if (it == ids.end()) return services::MakeError(errors::kInvalidMarker);
  return static_cast<std::size_t>(it - ids.begin());
}

bool PrincipalIs(const iam::Principal& principal, std::string_view arn) {
  if (arn.empty()) return false;
  if (arn == principal.arn || (!principal.entity_arn.empty() && arn == principal.entity_arn)) return true;
  return principal.is_root && arn == RootArn(principal.account_id);
}

}  // namespace cenote::kms
