// The seams between the identity services (IAM, STS, Organizations), the services that own resources, and
// the authorize stage and SigV4 (which consult them on every request).
//
//   CredentialSource   resolves an access key id to its secret and principal (IAM users' AKIA keys, STS
//                      sessions' ASIA keys); the platform asks the root key first, then every source.
//   Directory          what IAM knows of a principal's own side: the policies of a user or role (inline,
//                      attached managed, the groups'), its permissions boundary and tags; roles for STS.
//   Organizations      the service control policies on an account's path, and its organization.
//   ResourceAuthority  what a service knows of its resources: the resource-based policy and owner of a
//                      resource ARN (a bucket policy, a role's trust policy), and the action map's lookups.
//
// A service that implements one offers it at registration (services/common/service_deps.hpp:
// add_credential_source, deps.Offer<iam::Directory>, deps.Offer<iam::Organizations>,
// add_resource_authority); the platform hands them to SigV4 and the authorizer once every service is
// registered, before the server accepts a request.
//
// Every method is called on request threads, concurrently, and must be fast: answer from an in-memory
// snapshot (immutable shared_ptrs swapped on change), never a metadata-store read per call where it can be
// avoided. Returned policies are compiled (policy.hpp), never re-parsed per request.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "iam/context_keys.hpp"
#include "iam/policy.hpp"
#include "iam/principal.hpp"

namespace cenote::iam {

struct RequestPrincipal;

// A compiled policy with the name explanations use: a managed policy's ARN, "<entity>/<inline name>",
// "bucket policy", "trust policy".
struct NamedPolicy {
  std::string name;
  std::shared_ptr<const Policy> policy;
};

using Tags = std::vector<std::pair<std::string, std::string>>;

// A session's own state (STS temporary credentials), carried by its Principal.
struct Session {
  std::vector<NamedPolicy> policies;  // session policies (Policy + PolicyArns); empty: none passed
  Tags tags;                          // session tags (aws:PrincipalTag/ for the session, override the role's)
  std::vector<std::string> transitive_tag_keys;
  std::string source_identity;     // sts:SourceIdentity / aws:SourceIdentity
  std::string federated_provider;  // AssumeRoleWithWebIdentity/SAML: the provider (aws:FederatedProvider)
  std::int64_t expires_ms = 0;     // milliseconds since the epoch
  std::int64_t issued_ms = 0;      // aws:TokenIssueTime
  bool mfa = false;                // aws:MultiFactorAuthPresent
};

// ---- credentials

struct AccessKeyRecord {
  std::string secret_access_key;
  std::string session_token;  // non-empty for temporary credentials: the request must carry it
  Principal principal;        // type, arn, entity_arn, user_id, account_id, canonical_id, session
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The key's record, or nullopt when this source does not know it, or it is inactive or expired (SigV4
  // then answers InvalidAccessKeyId / ExpiredToken / InvalidClientTokenId in the service's words).
  virtual std::optional<AccessKeyRecord> Lookup(std::string_view access_key_id) const = 0;
  // After Lookup found nothing: true when `access_key_id` names temporary credentials issued with exactly
  // `session_token` whose session has expired, so that SigV4 answers ExpiredToken ("The security token
  // included in the request is expired") rather than InvalidClientTokenId, as AWS does. A source keeps an
  // expired session this way for a while (STS: a day), then forgets it. Never makes a key usable.
  virtual bool IsExpired(std::string_view /*access_key_id*/, std::string_view /*session_token*/) const {
    return false;
  }
  // A request signed with `access_key_id` passed authentication (IAM's GetAccessKeyLastUsed). Must not
  // block on I/O: record in memory, persist in the background.
  virtual void RecordUse(std::string_view /*access_key_id*/, std::string_view /*service*/,
                         std::string_view /*region*/, std::int64_t /*now_ms*/) const {}
};

// ---- IAM's side of the principal

// One user's or role's policies as of one moment (immutable; a change to the entity, its groups or any
// policy it uses publishes a new snapshot).
struct EntityPolicies {
  PrincipalType type = PrincipalType::kUser;  // kUser or kAssumedRole (a role)
  std::string account_id;
  std::string arn;                    // arn:aws:iam::<account>:user/<path><name> or role/<path><name>
  std::string id;                     // AIDA... / AROA...
  std::string name;                   // user or role name (aws:username for users)
  std::vector<NamedPolicy> identity;  // inline and attached managed policies, and (users) their groups'
  std::optional<NamedPolicy> boundary;
  Tags tags;  // aws:PrincipalTag/
};

struct RoleInfo {
  std::string account_id;
  std::string arn;  // with its path
  std::string id;   // AROA...
  std::string name;
  std::string path;
  NamedPolicy trust_policy;  // AssumeRolePolicyDocument (PolicyKind::kTrust), named "trust policy"
  std::int64_t max_session_duration_s = 3600;
  Tags tags;
};

class Directory {
 public:
  virtual ~Directory() = default;
  // The policies of the user or role `entity_arn` names (a Principal's entity_arn; role ARNs may be given
  // with or without their path), or nullptr when no such entity exists (a deleted user's key, a role that
  // was never created): its callers are then denied.
  virtual std::shared_ptr<const EntityPolicies> PoliciesOf(std::string_view entity_arn) const = 0;
  // A role by ARN (with or without its path), for AssumeRole*; nullopt when there is none.
  virtual std::optional<RoleInfo> FindRole(std::string_view role_arn) const = 0;
  // The compiled document of a managed policy (customer or AWS-managed, its default version) by ARN, for
  // session policies passed as PolicyArns; nullptr when there is none.
  virtual std::shared_ptr<const Policy> ManagedPolicy(std::string_view policy_arn) const = 0;
};

// ---- Organizations

class Organizations {
 public:
  virtual ~Organizations() = default;
  // The SCPs on `account`'s path, organization root first, then each OU, then the account: one layer each,
  // holding the policies attached there. Empty when the account is in no organization, or is its
  // management account (SCPs do not bind it), or SCPs are not enabled.
  virtual std::vector<std::vector<NamedPolicy>> ScpLayers(std::string_view account_id) const = 0;
  // The RCPs on the path of `account`, the owner of a resource, as ScpLayers orders them. Empty when the
  // account is in no organization, or is its management account (RCPs do not bind its resources), or RCPs are
  // not enabled.
  virtual std::vector<std::vector<NamedPolicy>> RcpLayers(std::string_view account_id) const {
    (void)account_id;
    return {};
  }
  // aws:PrincipalOrgID / aws:ResourceOrgID: the organization id (o-...) of the account, or "".
  virtual std::string OrganizationId(std::string_view account_id) const = 0;
  // aws:PrincipalOrgPaths: "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/" for the account, or "".
  virtual std::string OrganizationPath(std::string_view account_id) const = 0;
};

// ---- resources

// What the owning service knows of one resource, for one request.
struct ResourceFacts {
  // The account that owns the resource ("" when it is the account the ARN names, or the caller's for ARNs
  // without one, such as S3's).
  std::string owner_account;
  // The resource-based policy (a bucket policy, a trust policy), if any.
  std::optional<NamedPolicy> policy;
  // The resource policy must allow on its own (role trust policies, KMS key policies).
  bool policy_required = false;
  // Condition keys only the resource's owner knows: aws:ResourceTag/..., s3:ExistingObjectTag/...,
  // s3:ResourceAccount.
  ContextKeys keys;
};

// What a service answers, instead of AccessDenied, to a denied request whose resource does not exist
// (ResourceAuthority::Missing).
struct MissingResource {
  Error error;  // the service's answer (S3: NoSuchBucket, NoSuchKey)
  // When set, the answer is given only to a caller allowed `reveal_action` on `reveal_resource` (evaluated as
  // the request itself, with `reveal_keys` added): to the others the denial stands, so that whether the
  // resource exists is not told to them (S3: NoSuchKey to callers with s3:ListBucket on the bucket).
  std::string reveal_action;
  std::string reveal_resource;
  ContextKeys reveal_keys;
};

class ResourceAuthority {
 public:
  virtual ~ResourceAuthority() = default;
  // The endpoint prefix of the service whose resources these are ("s3", "iam", "sts").
  virtual std::string_view service() const = 0;
  // The facts of `resource_arn` as `action` by `principal` would touch it. A resource that does not exist
  // is not an error here (the operation itself answers NoSuchBucket and its like): answer no policy.
  virtual Result<ResourceFacts> Facts(const RequestPrincipal& principal, std::string_view action,
                                      std::string_view resource_arn) const = 0;
  // Asked when `action` on `resource_arn` is denied: the service's answer if the resource does not exist and
  // the service says so to the caller (see MissingResource), or nullopt (the denial stands).
  virtual Result<std::optional<MissingResource>> Missing(std::string_view action,
                                                         std::string_view resource_arn) const {
    (void)action;
    (void)resource_arn;
    return std::optional<MissingResource>();
  }
  // The action map's named lookups of this service (action_map.hpp: QueryExecutionWorkGroup, ...), or an
  // error for a name it does not know.
  virtual Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const;
};

// ---- helpers shared by every builder of principals

// S3's canonical user id of an account (64 hex digits): the same for its root user and every IAM identity
// in it, as on AWS.
std::string CanonicalUserId(std::string_view account_id);
// The root user of `account_id`.
Principal RootPrincipal(std::string_view account_id);
// The session of a role a service assumes in-process (a crawler's role, a delivery stream's role):
// `role` is a role ARN ("arn:aws:iam::<account>:role/<path/>name"), or a bare name or "path/name" in
// `default_account`. The principal's arn is ".../assumed-role/<name>/<session>", entity_arn the role ARN.
Principal RoleSessionPrincipal(std::string_view role, std::string_view session_name,
                               std::string_view default_account);
// The RequestPrincipal the evaluator sees for `principal` (web identity provider from the session).
RequestPrincipal ToRequestPrincipal(const Principal& principal);

}  // namespace cenote::iam
