// GlueProvider: connections (the Data Catalog's connection definitions: JDBC, Kafka, MongoDB, network, ...).
// With the catalog's ConnectionPasswordEncryption on (ReturnConnectionPasswordEncrypted and AwsKmsKeyId), a
// connection's PASSWORD is encrypted with KMS Encrypt under that key as the caller (kms:Encrypt, via
// glue.amazonaws.com) before it is stored, and kept only as ENCRYPTED_PASSWORD (base64 of the ciphertext
// blob, which a client decrypts with kms:Decrypt), as Glue does.
#include <algorithm>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/common/params.hpp"
#include "services/glue/catalog_internal.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/provider_objects.hpp"

namespace cenote::glue::internal {
namespace {

constexpr const char* kConnection = "connection";
// AWS Glue endpoints and quotas: connections per account.
constexpr std::int64_t kMaxConnections = 1000;

Error ConnectionNotFound(const std::string& name) {
  return EntityNotFound("Connection " + name + " not found.");
}

Status ValidateConnectionInput(const object& in) {
  CENOTE_RETURN_IF_ERROR(ValidateName(in.if_contains("Name"), "connectionInput.name"));
  CENOTE_RETURN_IF_ERROR(ValidateOptionalString(in, "Description", "connectionInput.description", 2048,
                                                TextPattern::kMultiLine));
  const auto* type = in.if_contains("ConnectionType");
  if (type == nullptr || !type->is_string()) return MissingMember("connectionInput.connectionType");
  const auto* props = in.if_contains("ConnectionProperties");
  if (props == nullptr || !props->is_object()) return MissingMember("connectionInput.connectionProperties");
  if (props->get_object().size() > 100) {
    return InvalidInput(
        "1 validation error detected: Value at 'connectionInput.connectionProperties' failed to satisfy "
        "constraint: Member must have length less than or equal to 100");
  }
  for (const auto& [k, v] : props->get_object()) {
    if (!v.is_string())
      return InvalidInput("Value at 'connectionInput.connectionProperties' must be a map of strings.");
  }
  // A JDBC connection names its database by URL (Glue refuses one without it).
  if (type->get_string() == "JDBC" && !props->get_object().contains("JDBC_CONNECTION_URL")) {
    return InvalidInput("Validation for connection properties failed: JDBC_CONNECTION_URL is required.");
  }
  if (const auto* m = in.if_contains("MatchCriteria"); m && !m->is_null()) {
    if (!m->is_array()) return InvalidInput("Value at 'connectionInput.matchCriteria' must be a list.");
    if (m->get_array().size() > 10) {
      return InvalidInput(
          "1 validation error detected: Value at 'connectionInput.matchCriteria' failed to satisfy "
          "constraint: "
          "Member must have length less than or equal to 10");
    }
  }
  return Status::Ok();
}

// The connection password settings of the catalog: the KMS key to encrypt passwords with, or "".
Result<std::string> PasswordKey(RegionalCatalog& c) {
  CENOTE_ASSIGN_OR_RETURN(auto settings, c.GetEncryptionSettings());
  const object* password = services::GetObject(settings, "ConnectionPasswordEncryption");
  if (password == nullptr ||
      !services::GetBool(*password, "ReturnConnectionPasswordEncrypted").value_or(false))
    return std::string();
  return std::string(services::GetString(*password, "AwsKmsKeyId").value_or(""));
}

// The stored Connection document for `in`: its members, times, and the password encrypted when the catalog
// says so.
Result<object> BuildConnection(GlueEnv& env, const aws::RequestContext& ctx, RegionalCatalog& c,
                               const object& in, std::int64_t created) {
  object doc;
  for (const char* member : {"Name", "Description", "ConnectionType", "MatchCriteria", "ConnectionProperties",
                             "PhysicalConnectionRequirements", "AuthenticationConfiguration"}) {
    if (const auto* v = in.if_contains(member); v && !v->is_null()) doc[member] = *v;
  }
  const std::int64_t now = UnixNowMs();
  doc["CreationTime"] = created;
  doc["LastUpdatedTime"] = now;
  if (!ctx.principal.arn.empty()) doc["LastUpdatedBy"] = ctx.principal.arn;
  doc["Status"] = "READY";
  object& props = doc["ConnectionProperties"].as_object();
  if (const auto* pw = props.if_contains("PASSWORD"); pw && pw->is_string()) {
    CENOTE_ASSIGN_OR_RETURN(auto key, PasswordKey(c));
    if (!key.empty()) {
      CatalogKms* kms = env.catalog.kms();
      if (kms == nullptr) return GlueError(errors::kGlueEncryption, {"KMS is not available."});
      auto blob = kms->Encrypt(AccessorOf(ctx), key, std::string(pw->get_string()));
      if (!blob) return EncryptionError(blob.error());
      props.erase("PASSWORD");
      props["ENCRYPTED_PASSWORD"] = Base64Encode(*blob);
    }
  }
  return doc;
}

// A Connection as Get* returns it: HidePassword leaves both password members out.
object Present(object doc, bool hide_password) {
  if (hide_password) {
    if (auto* props = doc.if_contains("ConnectionProperties"); props && props->is_object()) {
      props->as_object().erase("PASSWORD");
      props->as_object().erase("ENCRYPTED_PASSWORD");
    }
  }
  return doc;
}

bool MatchesFilter(const object& doc, const object* filter) {
  if (filter == nullptr) return true;
  if (auto type = services::GetString(*filter, "ConnectionType")) {
    if (services::GetString(doc, "ConnectionType").value_or("") != *type) return false;
  }
  if (const auto* want = services::GetArray(*filter, "MatchCriteria")) {
    const auto* have = services::GetArray(doc, "MatchCriteria");
    for (const auto& w : *want) {
      if (have == nullptr || std::find(have->begin(), have->end(), w) == have->end()) return false;
    }
  }
  return true;
}

}  // namespace

Result<aws::OperationOutput> CreateConnection(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto conn, RequiredObject(in, "ConnectionInput"));
  CENOTE_RETURN_IF_ERROR(ValidateConnectionInput(*conn));
  const object* tags = services::GetObject(in, "Tags");
  CENOTE_ASSIGN_OR_RETURN(auto doc, BuildConnection(env, ctx, *c, *conn, UnixNowMs()));
  const std::string name(doc.at("Name").get_string());
  CENOTE_RETURN_IF_ERROR(env.catalog.objects().Modify(
      KeyOf(*c, kConnection, {}, name),
      [&](std::optional<object> current) -> Result<std::optional<object>> {
        if (current) return AlreadyExists("Connection already exists.");
        return std::optional<object>(doc);
      },
      kMaxConnections,
      [] {
        return ResourceNumberLimitExceeded("The number of connections has reached its quota of " +
                                           std::to_string(kMaxConnections) + ".");
      }));
  // A new connection starts untagged even where a deleted one of its name left tags (a crash between).
  const std::string arn = ResourceArn(ctx, "connection/" + name);
  Status s = c->DropTags(arn);
  if (s && tags != nullptr && !tags->empty()) s = c->TagResource(arn, *tags);
  if (!s) {
    // A bad tag leaves no connection behind, as Glue validates tags with the request.
    (void)env.catalog.objects().Modify(KeyOf(*c, kConnection, {}, name), [](std::optional<object>) {
      return Result<std::optional<object>>(std::optional<object>());
    });
    return std::move(s).error();
  }
  return object{{"CreateConnectionStatus", "READY"}};
}

Result<aws::OperationOutput> GetConnection(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto doc, env.catalog.objects().Get(KeyOf(*c, kConnection, {}, name)));
  if (!doc) return ConnectionNotFound(name);
  return object{{"Connection", Present(std::move(*doc), OptionalBool(in, "HidePassword"))}};
}

Result<aws::OperationOutput> GetConnections(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(in, "NextToken"));
  CENOTE_ASSIGN_OR_RETURN(auto size, PageSize(in, "MaxResults", 1000));
  const std::size_t limit = static_cast<std::size_t>(ClampPageSize(size, 100, 1000));
  const bool hide = OptionalBool(in, "HidePassword");
  const object* filter = services::GetObject(in, "Filter");
  std::string cursor;
  if (!token.empty()) {
    CENOTE_ASSIGN_OR_RETURN(cursor, DecodeToken("conn", token));
  }
  array out;
  std::string last;
  bool more = false;
  for (bool done = false; !done && !more;) {
    CENOTE_ASSIGN_OR_RETURN(auto rows,
                            env.catalog.objects().List(KeyOf(*c, kConnection, {}, ""), cursor, 500));
    done = rows.size() < 500;
    for (auto& [name, doc] : rows) {
      cursor = name;
      if (!MatchesFilter(doc, filter)) continue;
      if (out.size() == limit) {
        more = true;
        break;
      }
      out.emplace_back(Present(std::move(doc), hide));
      last = name;
    }
  }
  object result{{"ConnectionList", std::move(out)}};
  if (more) result["NextToken"] = EncodeToken("conn", last);
  return result;
}

Result<aws::OperationOutput> UpdateConnection(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto conn, RequiredObject(in, "ConnectionInput"));
  CENOTE_RETURN_IF_ERROR(ValidateConnectionInput(*conn));
  auto& objects = env.catalog.objects();
  CENOTE_ASSIGN_OR_RETURN(auto old, objects.Get(KeyOf(*c, kConnection, {}, name)));
  if (!old) return ConnectionNotFound(name);
  std::int64_t created = UnixNowMs();
  if (const auto* t = old->if_contains("CreationTime"); t && t->is_int64()) created = t->as_int64();
  // KMS is asked before the write transaction begins.
  CENOTE_ASSIGN_OR_RETURN(auto doc, BuildConnection(env, ctx, *c, *conn, created));
  const std::string new_name(doc.at("Name").get_string());
  if (new_name == name) {
    CENOTE_RETURN_IF_ERROR(
        objects.Modify(KeyOf(*c, kConnection, {}, name),
                       [&](std::optional<object> current) -> Result<std::optional<object>> {
                         if (!current) return ConnectionNotFound(name);
                         return std::optional<object>(doc);
                       }));
    return object();
  }
  // ConnectionInput.Name renames the connection; the new name must be free. One transaction, so a crash
  // leaves the connection under exactly one of its names.
  CENOTE_RETURN_IF_ERROR(objects.Rename(
      KeyOf(*c, kConnection, {}, name), new_name,
      [&](std::optional<object> current) -> Result<std::optional<object>> {
        if (!current) return ConnectionNotFound(name);
        return std::optional<object>(doc);
      },
      [] { return AlreadyExists("Connection already exists."); }));
  // Its tags follow it to the new name.
  const std::string old_arn = ResourceArn(ctx, "connection/" + name);
  CENOTE_ASSIGN_OR_RETURN(auto tags, c->GetTags(old_arn));
  CENOTE_RETURN_IF_ERROR(c->DropTags(ResourceArn(ctx, "connection/" + new_name)));
  if (!tags.empty()) CENOTE_RETURN_IF_ERROR(c->TagResource(ResourceArn(ctx, "connection/" + new_name), tags));
  CENOTE_RETURN_IF_ERROR(c->DropTags(old_arn));
  return object();
}

namespace {

// The connection and then its tags.
Status DeleteOne(GlueEnv& env, const aws::RequestContext& ctx, RegionalCatalog& c, const std::string& name) {
  CENOTE_RETURN_IF_ERROR(env.catalog.objects().Modify(
      KeyOf(c, kConnection, {}, name), [&](std::optional<object> current) -> Result<std::optional<object>> {
        if (!current) return ConnectionNotFound(name);
        return std::optional<object>();
      }));
  return c.DropTags(ResourceArn(ctx, "connection/" + name));
}

}  // namespace

Result<aws::OperationOutput> DeleteConnection(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(input.params.as_object(), "ConnectionName"));
  CENOTE_RETURN_IF_ERROR(DeleteOne(env, ctx, *c, name));
  return object();
}

Result<aws::OperationOutput> BatchDeleteConnection(GlueEnv& env, const aws::RequestContext& ctx,
                                                   aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  CENOTE_ASSIGN_OR_RETURN(auto list_v, RequiredArray(input.params.as_object(), "ConnectionNameList"));
  CENOTE_ASSIGN_OR_RETURN(auto names, StringList(*list_v, "connectionNameList"));
  if (names.size() > 25) {
    return InvalidInput(
        "1 validation error detected: Value at 'connectionNameList' failed to satisfy constraint: Member "
        "must "
        "have length less than or equal to 25");
  }
  array succeeded;
  object errors;
  for (const auto& name : names) {
    Status s = DeleteOne(env, ctx, *c, name);
    if (s) {
      succeeded.emplace_back(name);
    } else {
      errors[name] = ErrorDetail(s.error());
    }
  }
  return object{{"Succeeded", std::move(succeeded)}, {"Errors", std::move(errors)}};
}

}  // namespace cenote::glue::internal
