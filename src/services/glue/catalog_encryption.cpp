// The Data Catalog's encryption at rest: the settings (Get/PutDataCatalogEncryptionSettings) and the sealing
// of catalog documents under KMS data keys.
//
// A stored document is either the object's JSON in clear (what every row held before encryption existed, and
// what DISABLED writes) or, under SSE-KMS,
//   "kms1:" base64( u32 big-endian blob length | KMS CiphertextBlob of the data key | SealBytes(data key,
//                   "glue-catalog:<account>:<region>", JSON) )
// so the data key travels with the object: an object stays readable after the settings change (another key,
// or DISABLED), as AWS keeps existing encrypted objects encrypted. Reading one asks KMS to Decrypt its data
// key as the accessor, which needs kms:Decrypt on the key that made it; writing asks GenerateDataKey
// (kms:GenerateDataKey) on the current key. Data keys are reused for a short period per accessor and key
// (Catalog::UseKms), so a burst of writes asks KMS once.
#include <utility>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "iam/directory.hpp"
#include "services/common/params.hpp"
#include "services/common/sealed_bytes.hpp"
#include "services/glue/catalog_internal.hpp"
#include "services/glue/errors.hpp"

namespace cenote::glue {

namespace internal {

// KMS's refusal as Glue reports it: GlueEncryptionException carrying KMS's error, in the Java SDK's wording
// of a nested service error (what Glue's clients see on AWS).
Error EncryptionError(const Error& kms) {
  return GlueError(errors::kGlueEncryption,
                   {kms.message + " (Service: AWSKMS; Status Code: " + std::to_string(kms.http_status) +
                    "; Error Code: " + kms.code + "; Proxy: null)"});
}

}  // namespace internal

namespace {

constexpr std::string_view kSealedPrefix = "kms1:";
constexpr std::string_view kAwsManagedGlueKey = "alias/aws/glue";
// The session name Glue uses when it assumes CatalogEncryptionServiceRole.
constexpr std::string_view kServiceRoleSession = "GlueDataCatalogEncryption";

// The part of a cache entry name that says who asked KMS (DataKeyCacheScope's fields for a Caller).
std::string CacheScope(const aws::Caller& as, char kind) {
  std::string name(1, kind);
  for (const std::string* part :
       {&as.region, &as.principal.arn, &as.principal.access_key_id, &as.invoked_by, &as.source_arn}) {
    name.push_back('\n');
    name.append(*part);
  }
  name.push_back(as.forwarded ? 'f' : 's');
  name.push_back('\n');
  return name;
}

void AppendU32(std::string& out, std::uint32_t n) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
}

class KmsThroughInvoker final : public CatalogKms {
 public:
  explicit KmsThroughInvoker(aws::Invoker& invoker) : invoker_(invoker) {}

  Result<DataKey> GenerateDataKey(const aws::Caller& as, const std::string& key_id) override {
    aws::OperationInput in;
    in.params = object{{"KeyId", key_id}, {"KeySpec", "AES_256"}};
    Result<aws::OperationOutput> out = invoker_.Call(as, "kms", "GenerateDataKey", in);
    if (!out) return out.error();
    if (!out->result.is_object()) return InternalError("kms answered no document");
    const object& o = out->result.as_object();
    auto plaintext = services::GetString(o, "Plaintext");
    auto blob = services::GetString(o, "CiphertextBlob");
    if (!plaintext || !blob) return InternalError("kms answered no data key");
    return DataKey{.plaintext = std::string(*plaintext),
                   .blob = std::string(*blob),
                   .key_arn = std::string(services::GetString(o, "KeyId").value_or(key_id))};
  }

  Result<std::string> Decrypt(const aws::Caller& as, const std::string& blob) override {
    aws::OperationInput in;
    in.params = object{{"CiphertextBlob", blob}};
    Result<aws::OperationOutput> out = invoker_.Call(as, "kms", "Decrypt", in);
    if (!out) return out.error();
    if (!out->result.is_object()) return InternalError("kms answered no document");
    auto plaintext = services::GetString(out->result.as_object(), "Plaintext");
    if (!plaintext) return InternalError("kms answered no plaintext");
    return std::string(*plaintext);
  }

  Result<std::string> Encrypt(const aws::Caller& as, const std::string& key_id,
                              const std::string& plaintext) override {
    aws::OperationInput in;
    in.params = object{{"KeyId", key_id}, {"Plaintext", plaintext}};
    Result<aws::OperationOutput> out = invoker_.Call(as, "kms", "Encrypt", in);
    if (!out) return out.error();
    if (!out->result.is_object()) return InternalError("kms answered no document");
    auto blob = services::GetString(out->result.as_object(), "CiphertextBlob");
    if (!blob) return InternalError("kms answered no ciphertext");
    return std::string(*blob);
  }

 private:
  aws::Invoker& invoker_;
};

// The EncryptionAtRest mode of stored settings ("DISABLED" when none were put).
std::string ModeOf(const object& settings) {
  const object* at_rest = services::GetObject(settings, "EncryptionAtRest");
  if (at_rest == nullptr) return "DISABLED";
  return std::string(services::GetString(*at_rest, "CatalogEncryptionMode").value_or("DISABLED"));
}

object DefaultSettings() {
  return object{{"EncryptionAtRest", object{{"CatalogEncryptionMode", "DISABLED"}}},
                {"ConnectionPasswordEncryption", object{{"ReturnConnectionPasswordEncrypted", false}}}};
}

bool IsRoleArn(std::string_view arn) {
  // ^arn:aws(-(cn|us-gov|iso(-[bef])?))?:iam::[0-9]{12}:role/.+
  const std::vector<std::string_view> parts = SplitString(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[3].empty()) return false;
  static constexpr std::string_view kPartitions[] = {"aws",       "aws-cn",    "aws-us-gov", "aws-iso",
                                                     "aws-iso-b", "aws-iso-e", "aws-iso-f"};
  bool partition_ok = false;
  for (std::string_view p : kPartitions) partition_ok = partition_ok || parts[1] == p;
  if (!partition_ok || parts[4].size() != 12) return false;
  for (char c : parts[4]) {
    if (c < '0' || c > '9') return false;
  }
  const std::size_t resource = arn.find(":role/");
  return resource != std::string_view::npos && resource + 6 < arn.size();
}

Status ValidateKeyId(const object& o, const char* member, const std::string& path) {
  const auto* v = o.if_contains(member);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return InvalidInput("Value at '" + path + "' must be a string.");
  const std::size_t n = v->get_string().size();
  if (n < 1 || n > 255) {
    return InvalidInput("1 validation error detected: Value at '" + path +
                        "' failed to satisfy constraint: Member must have length " +
                        (n < 1 ? "greater than or equal to 1" : "less than or equal to 255"));
  }
  return Status::Ok();
}

// PutDataCatalogEncryptionSettings' DataCatalogEncryptionSettings as Glue checks it; the stored document
// keeps only the members the model has.
Result<object> ValidateSettings(const object& in) {
  object out;
  const auto* at_rest_v = in.if_contains("EncryptionAtRest");
  if (at_rest_v != nullptr && !at_rest_v->is_null()) {
    if (!at_rest_v->is_object())
      return InvalidInput("Value at 'dataCatalogEncryptionSettings.encryptionAtRest' must be a structure.");
    const object& at_rest = at_rest_v->get_object();
    const auto* mode_v = at_rest.if_contains("CatalogEncryptionMode");
    if (mode_v == nullptr || mode_v->is_null())
      return MissingMember("dataCatalogEncryptionSettings.encryptionAtRest.catalogEncryptionMode");
    const std::string mode = mode_v->is_string() ? std::string(mode_v->get_string()) : "";
    if (mode != "DISABLED" && mode != "SSE-KMS" && mode != "SSE-KMS-WITH-SERVICE-ROLE") {
      return InvalidInput(
          "1 validation error detected: Value '" + mode +
          "' at 'dataCatalogEncryptionSettings.encryptionAtRest.catalogEncryptionMode' failed "
          "to satisfy constraint: Member must satisfy enum value set: [SSE-KMS-WITH-SERVICE-"
          "ROLE, DISABLED, SSE-KMS]");
    }
    CENOTE_RETURN_IF_ERROR(ValidateKeyId(at_rest, "SseAwsKmsKeyId",
                                         "dataCatalogEncryptionSettings.encryptionAtRest.sseAwsKmsKeyId"));
    object stored{{"CatalogEncryptionMode", mode}};
    const auto key = services::GetString(at_rest, "SseAwsKmsKeyId");
    const auto role = services::GetString(at_rest, "CatalogEncryptionServiceRole");
    if (role && !IsRoleArn(*role)) {
      return InvalidInput(
          "1 validation error detected: Value '" + std::string(*role) +
          "' at 'dataCatalogEncryptionSettings.encryptionAtRest.catalogEncryptionServiceRole' "
          "failed to satisfy constraint: Member must satisfy regular expression pattern: "
          "^arn:aws(-(cn|us-gov|iso(-[bef])?))?:iam::[0-9]{12}:role/.+");
    }
    if (mode == "SSE-KMS-WITH-SERVICE-ROLE" && !role) {
      return InvalidInput(
          "CatalogEncryptionServiceRole is required when CatalogEncryptionMode is "
          "SSE-KMS-WITH-SERVICE-ROLE.");
    }
    if (mode != "SSE-KMS-WITH-SERVICE-ROLE" && role) {
      return InvalidInput(
          "CatalogEncryptionServiceRole can only be set when CatalogEncryptionMode is "
          "SSE-KMS-WITH-SERVICE-ROLE.");
    }
    if (mode == "DISABLED" && key) {
      return InvalidInput("SseAwsKmsKeyId cannot be set when CatalogEncryptionMode is DISABLED.");
    }
    if (key) stored["SseAwsKmsKeyId"] = *key;
    if (role) stored["CatalogEncryptionServiceRole"] = *role;
    out["EncryptionAtRest"] = std::move(stored);
  } else {
    out["EncryptionAtRest"] = object{{"CatalogEncryptionMode", "DISABLED"}};
  }
  const auto* password_v = in.if_contains("ConnectionPasswordEncryption");
  if (password_v != nullptr && !password_v->is_null()) {
    if (!password_v->is_object()) {
      return InvalidInput(
          "Value at 'dataCatalogEncryptionSettings.connectionPasswordEncryption' must be a structure.");
    }
    const object& password = password_v->get_object();
    const auto* flag = password.if_contains("ReturnConnectionPasswordEncrypted");
    if (flag == nullptr || flag->is_null()) {
      return MissingMember(
          "dataCatalogEncryptionSettings.connectionPasswordEncryption.returnConnectionPasswordEncrypted");
    }
    if (!flag->is_bool()) {
      return InvalidInput(
          "Value at 'dataCatalogEncryptionSettings.connectionPasswordEncryption."
          "returnConnectionPasswordEncrypted' must be a boolean.");
    }
    CENOTE_RETURN_IF_ERROR(ValidateKeyId(
        password, "AwsKmsKeyId", "dataCatalogEncryptionSettings.connectionPasswordEncryption.awsKmsKeyId"));
    object stored{{"ReturnConnectionPasswordEncrypted", flag->get_bool()}};
    if (auto key = services::GetString(password, "AwsKmsKeyId")) stored["AwsKmsKeyId"] = *key;
    out["ConnectionPasswordEncryption"] = std::move(stored);
  } else {
    out["ConnectionPasswordEncryption"] = object{{"ReturnConnectionPasswordEncrypted", false}};
  }
  return out;
}

}  // namespace

std::unique_ptr<CatalogKms> InvokerKms(aws::Invoker& invoker) {
  return std::make_unique<KmsThroughInvoker>(invoker);
}

aws::Caller AccessorOf(const aws::RequestContext& ctx) {
  return aws::Caller{.principal = ctx.principal,
                     .region = ctx.region,
                     .invoked_by = "glue.amazonaws.com",
                     .parent_request_id = ctx.request_id,
                     .source_arn = "",
                     .source_account = "",
                     .forwarded = true};
}

aws::Caller AccessorOf(const aws::Caller& caller) {
  aws::Caller out = caller;
  out.invoked_by = "glue.amazonaws.com";
  out.forwarded = true;
  return out;
}

void Catalog::UseKms(std::unique_ptr<CatalogKms> kms, std::int64_t key_cache_ttl_ms) {
  encryption_.kms = std::move(kms);
  encryption_.keys = std::make_unique<services::DataKeyCache>(key_cache_ttl_ms);
}

namespace internal {

Result<std::string> Sealer::Seal(const object& doc) const {
  std::string text = Serialize(doc);
  if (key.empty()) return text;
  CENOTE_ASSIGN_OR_RETURN(std::string sealed, services::SealBytes(key, aad, text));
  std::string raw;
  raw.reserve(4 + blob.size() + sealed.size());
  AppendU32(raw, static_cast<std::uint32_t>(blob.size()));
  raw += blob;
  raw += sealed;
  return std::string(kSealedPrefix) + Base64Encode(raw);
}

Result<object> SqlCatalog::LoadSettings() {
  {
    MutexLock lock(mu_);
    if (settings_) return *settings_;
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn->QueryOne("SELECT doc FROM glue_catalog_settings WHERE account = ? AND region = ?",
                              {account_, region_}));
  object settings = DefaultSettings();
  if (row.has_value()) {
    CENOTE_ASSIGN_OR_RETURN(settings, ParseStored(store::AsText((*row)[0])));
  }
  MutexLock lock(mu_);
  settings_ = settings;
  return settings;
}

Result<object> SqlCatalog::GetEncryptionSettings() {
  {
    MutexLock lock(mu_);
    settings_.reset();  // the stored settings, as of now
  }
  return LoadSettings();
}

Status SqlCatalog::PutEncryptionSettings(const object& settings) {
  CENOTE_ASSIGN_OR_RETURN(object stored, ValidateSettings(settings));
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO glue_catalog_settings (account, region, doc) VALUES (?, ?, ?) "
                "ON CONFLICT (account, region) DO UPDATE SET doc = excluded.doc",
                {account_, region_, Serialize(stored)}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  MutexLock lock(mu_);
  settings_ = std::move(stored);
  return Status::Ok();
}

Result<aws::Caller> SqlCatalog::KmsCaller() {
  CENOTE_ASSIGN_OR_RETURN(object settings, LoadSettings());
  if (ModeOf(settings) == "SSE-KMS-WITH-SERVICE-ROLE") {
    // Glue assumes the role and asks KMS as it: the role's permissions decide, not the caller's.
    const object& at_rest = *services::GetObject(settings, "EncryptionAtRest");
    const std::string role(services::GetString(at_rest, "CatalogEncryptionServiceRole").value_or(""));
    return aws::Caller{.principal = iam::RoleSessionPrincipal(role, kServiceRoleSession, account_),
                       .region = region_,
                       .invoked_by = "glue.amazonaws.com",
                       .parent_request_id = accessor_ ? accessor_->parent_request_id : "",
                       .source_arn = "",
                       .source_account = "",
                       .forwarded = false};
  }
  if (!accessor_) {
    return GlueError(errors::kGlueEncryption,
                     {"The Data Catalog is encrypted and this caller has no KMS identity to read it with."});
  }
  return *accessor_;
}

Result<Sealer> SqlCatalog::WriteSealer() {
  Sealer sealer;
  sealer.aad = "glue-catalog:" + account_ + ":" + region_;
  CENOTE_ASSIGN_OR_RETURN(object settings, LoadSettings());
  if (ModeOf(settings) == "DISABLED") return sealer;
  if (encryption_ == nullptr || encryption_->kms == nullptr) {
    return GlueError(errors::kGlueEncryption, {"KMS is not available to encrypt the Data Catalog."});
  }
  const object& at_rest = *services::GetObject(settings, "EncryptionAtRest");
  const std::string key_id(
      services::GetString(at_rest, "SseAwsKmsKeyId").value_or(std::string(kAwsManagedGlueKey)));
  CENOTE_ASSIGN_OR_RETURN(aws::Caller as, KmsCaller());
  const std::string name = CacheScope(as, 'w') + key_id;
  if (auto cached = encryption_->keys->Get(name)) {
    sealer.key = std::move(cached->plaintext);
    sealer.blob = std::move(cached->blob);
    return sealer;
  }
  Result<CatalogKms::DataKey> made = encryption_->kms->GenerateDataKey(as, key_id);
  if (!made) return EncryptionError(made.error());
  if (made->plaintext.size() != 32) return InternalError("kms answered a data key that is not 256 bits");
  sealer.key = made->plaintext;
  sealer.blob = made->blob;
  encryption_->keys->Put(
      name, services::DataKeyCache::Entry{
                .plaintext = std::move(made->plaintext), .blob = made->blob, .key_arn = made->key_arn});
  // What this writer sealed it may read back without asking again.
  encryption_->keys->Put(
      CacheScope(as, 'r') + made->blob,
      services::DataKeyCache::Entry{.plaintext = sealer.key, .blob = "", .key_arn = made->key_arn});
  return sealer;
}

Result<object> SqlCatalog::Open(const std::string& stored) {
  if (std::string_view(stored).substr(0, kSealedPrefix.size()) != kSealedPrefix) return ParseStored(stored);
  auto raw = Base64Decode(std::string_view(stored).substr(kSealedPrefix.size()));
  if (!raw || raw->size() < 4) return InternalError("Corrupt catalog document in the metadata store.");
  std::uint32_t blob_size = 0;
  for (int i = 0; i < 4; ++i) blob_size = (blob_size << 8) | static_cast<unsigned char>((*raw)[i]);
  if (raw->size() < 4 + static_cast<std::size_t>(blob_size))
    return InternalError("Corrupt catalog document in the metadata store.");
  const std::string blob = raw->substr(4, blob_size);
  const std::string_view sealed = std::string_view(*raw).substr(4 + blob_size);
  std::string key;
  {
    MutexLock lock(mu_);
    if (auto it = opened_keys_.find(blob); it != opened_keys_.end()) key = it->second;
  }
  if (key.empty()) {
    if (encryption_ == nullptr || encryption_->kms == nullptr) {
      return GlueError(errors::kGlueEncryption, {"KMS is not available to decrypt the Data Catalog."});
    }
    CENOTE_ASSIGN_OR_RETURN(aws::Caller as, KmsCaller());
    const std::string name = CacheScope(as, 'r') + blob;
    if (auto cached = encryption_->keys->Get(name)) {
      key = std::move(cached->plaintext);
    } else {
      Result<std::string> plain = encryption_->kms->Decrypt(as, blob);
      if (!plain) return EncryptionError(plain.error());
      key = std::move(*plain);
      encryption_->keys->Put(name,
                             services::DataKeyCache::Entry{.plaintext = key, .blob = "", .key_arn = ""});
    }
    MutexLock lock(mu_);
    opened_keys_[blob] = key;
  }
  auto text = services::OpenBytes(key, "glue-catalog:" + account_ + ":" + region_, sealed);
  if (!text) return InternalError("A catalog document failed authentication.");
  return ParseStored(*text);
}

}  // namespace internal
}  // namespace cenote::glue
