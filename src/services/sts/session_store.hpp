// SessionStore: STS's temporary credentials, from issue until they expire, and the iam::CredentialSource that
// SigV4 asks about ASIA... access key ids.
//
// A session is issued by AssumeRole*, GetSessionToken or GetFederationToken as a SessionSpec (who the session
// is, and its session policies, tags, source identity and expiry). Issue compiles it into an iam::Principal
// with its iam::Session (inline policy parsed as PolicyKind::kSession, PolicyArns resolved through
// iam::Directory::ManagedPolicy), makes the credentials and stores the session in the MetadataStore
// (component "sts", table sts_sessions: one JSON document per access key id) in one committed transaction
// before it returns: an issued credential survives a restart and kill -9. Then it enters the in-memory index
// Lookup answers from (no store read per request).
//
// Expiry: Lookup does not find a session at or past its expiry; IsExpired says it was one, for
// `expired_retention_ms` after expiry (SigV4 answers ExpiredToken); Prune (run by the provider's background
// task) then removes it from memory and from the store. Open loads the sessions not yet pruned.
//
// A session's managed session policies are resolved again when it is loaded; one that no longer exists (or
// a directory that is gone) becomes a policy that denies everything, never a session without a limit.
//
// Thread safety: every method may be called concurrently. One shared mutex guards the index (Lookup takes it
// shared); Issue writes the store outside it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/mutex.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "store/metadata_store.hpp"

namespace cenote::sts {

// What a session is, as issued and as stored.
struct SessionSpec {
  iam::PrincipalType type = iam::PrincipalType::kAssumedRole;
  std::string account_id;
  std::string arn;         // GetCallerIdentity's Arn
  std::string entity_arn;  // the role, or the IAM user (GetSessionToken, GetFederationToken)
  std::string user_id;     // GetCallerIdentity's UserId
  std::string display_name;
  std::string policy;  // the inline session policy as passed ("" when none)
  std::vector<std::string> policy_arns;
  iam::Tags tags;  // session tags (passed and inherited transitive ones)
  std::vector<std::string> transitive_tag_keys;
  std::string source_identity;
  std::string federated_provider;
  std::int64_t issued_ms = 0;
  std::int64_t expires_ms = 0;
  bool mfa = false;
};

struct IssuedCredentials {
  std::string access_key_id;      // ASIA + 16 characters
  std::string secret_access_key;  // 40 characters
  std::string session_token;      // opaque
  std::int64_t expires_ms = 0;
};

// The compiled session policies of a spec: MalformedPolicyDocument for an inline policy IAM would refuse or
// a PolicyArn that names no managed policy (`directory` null: none does).
Result<std::vector<iam::NamedPolicy>> CompileSessionPolicies(const SessionSpec& spec,
                                                             const iam::Directory* directory);

class SessionStore final : public iam::CredentialSource {
 public:
  // Runs the "sts" migrations and loads the sessions not yet pruned. `directory` (IAM's; may be null) and
  // `metadata` must outlive the store.
  static Result<std::unique_ptr<SessionStore>> Open(store::MetadataStore& metadata,
                                                    const iam::Directory* directory,
                                                    std::function<std::int64_t()> clock,
                                                    std::int64_t expired_retention_ms);
  // The migrations of component "sts" (for the FreshSchema check).
  static const std::vector<std::string>& Migrations();

  // Compiles `spec` (CompileSessionPolicies' errors), makes credentials, stores them durably, indexes them.
  Result<IssuedCredentials> Issue(const SessionSpec& spec);

  std::optional<iam::AccessKeyRecord> Lookup(std::string_view access_key_id) const override;
  bool IsExpired(std::string_view access_key_id, std::string_view session_token) const override;

  // Forgets the sessions expired longer than the retention, in memory and in the store.
  Status Prune();
  // Sessions held in memory (live and recently expired).
  std::size_t size() const;

 private:
  struct Entry {
    iam::AccessKeyRecord record;  // principal.session holds the compiled session
    std::int64_t expires_ms = 0;
  };
  SessionStore(store::MetadataStore& metadata, const iam::Directory* directory,
               std::function<std::int64_t()> clock, std::int64_t expired_retention_ms);
  std::shared_ptr<const Entry> Compile(const SessionSpec& spec, std::vector<iam::NamedPolicy> policies,
                                       const IssuedCredentials& credentials) const;
  Status Load();

  store::MetadataStore& metadata_;
  const iam::Directory* directory_;
  const std::function<std::int64_t()> clock_;
  const std::int64_t expired_retention_ms_;
  mutable SharedMutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> sessions_ GUARDED_BY(mu_);
};

}  // namespace cenote::sts
