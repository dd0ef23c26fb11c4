// KmsProvider: AWS Key Management Service (json 1.1, target prefix TrentService) with real cryptography.
//
// Keys are regional: a key lives in the namespace of (account, region) of the request that created it and
// its ARN says so (arn:aws:kms:<region>:<account>:key/<id>); aliases likewise. A key is named by its id, its
// ARN, an alias name ("alias/x") or an alias ARN wherever AWS accepts each form.
//
// Cryptography (crypto.hpp): symmetric keys encrypt with AES-256-GCM under the key's current material
// version; the ciphertext blob is Cenote's own authenticated format (ciphertext.hpp) naming the key's
// account, id and material version, with the encryption context as GCM additional data, so a blob decrypts
// without a KeyId, after rotations, and in every region of a multi-Region key. Asymmetric keys (RSA, NIST and
// SECG curves) and HMAC keys use OpenSSL's RSA-OAEP, RSA-PSS, PKCS#1 v1.5, ECDSA and HMAC.
//
// Storage: one JSON document per key in the MetadataStore (component "kms": metadata, policy, tags, grants,
// rotations, and every material version sealed with AES-256-GCM under the root key), and one row per alias,
// each change committed before it is answered. The root key is 32 random bytes in a file: by default
// <data-dir>/kms/root.key, created on first start; KmsOptions::root_key_file (`--kms-root-key-file`) puts it
// elsewhere, so the data directory alone decrypts nothing. A data directory is bound to its root key: Open
// refuses another one.
//
// Authorization: a key's policy and its grants are the key's resource policy for the authorizer
// (MakeAuthority; policy_required, as AWS's key policies are).
//
// Thread safety: handlers run concurrently. One shared mutex guards the keys and aliases: cryptographic
// operations take it shared (and copy the material they need), changes take it exclusively and write the
// metadata store while they hold it. Key deletion when due and automatic rotation run as a BackgroundTask.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "services/common/operation_table.hpp"
#include "store/metadata_store.hpp"

namespace cenote::services {
class SecretSealer;
}  // namespace cenote::services

namespace cenote::kms {

struct KmsOptions {
  // The 32-byte root key's file; created on first start when it does not exist.
  std::string root_key_file;
  // Scheduled deletions and automatic rotations are checked every this many ms (0: never; tests call
  // Maintain()).
  std::int64_t maintenance_interval_ms = 60'000;
  // Milliseconds since the epoch (tests inject their own to make deletion windows and rotations pass).
  std::function<std::int64_t()> clock;
};

struct Env;

class KmsProvider final : public services::TableProvider<Env> {
 public:
  // Runs the "kms" migrations, loads the root key (creating it on first start) and every key, unsealing
  // their material. Fails when the root key is not the one the data directory's keys were sealed with.
  static Result<std::unique_ptr<KmsProvider>> Open(store::MetadataStore& metadata, BackgroundTasks& tasks,
                                                   KmsOptions options);
  ~KmsProvider() override;

  std::string_view service() const override { return "kms"; }
  // KMS's own word for an internal failure (the model's KMSInternalException, HTTP 500).
  std::string_view internal_error_code() const override { return "KMSInternalException"; }
  static const std::vector<std::string_view>& SupportedOperations();

  // Deletes keys whose deletion date has passed (and their aliases), rotates keys whose automatic rotation
  // is due, and expires imported material past its ValidTo.
  Status Maintain();

  // The authorizer's view of keys: "kms" ResourceAuthority. The provider must outlive it.
  std::unique_ptr<iam::ResourceAuthority> MakeAuthority();
  // Seals other services' secrets under a key derived from the root key (services/common/secret_sealer.hpp).
  std::unique_ptr<services::SecretSealer> MakeSecretSealer() const;

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit KmsProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> maintenance_;  // after env_: stops before the state it uses goes
};

}  // namespace cenote::kms
