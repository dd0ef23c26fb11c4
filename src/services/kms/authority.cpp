// KMS's side of authorization (iam::ResourceAuthority "kms").
//
// Facts: a key's resource policy is its key policy plus one statement per grant (AuthorizationDocument,
// compiled once per change), and it must allow on its own (policy_required), as AWS evaluates key policies:
// a statement allowing the account's root delegates to IAM policies (iam::Evaluate does that). Keys the
// owner knows: aws:ResourceTag/<key>, kms:CallerAccount, kms:KeySpec, kms:KeyUsage, kms:KeyOrigin,
// kms:MultiRegion, kms:MultiRegionKeyType, kms:ResourceAliases.
//
// Lookups (iam_actions.json):
//   KeyArn(KeyId, Region, Account)             the key a key id, key ARN, alias name or alias ARN names
//   CiphertextKeyArn(CiphertextBlob, Region)   the key a symmetric ciphertext names (Decrypt without KeyId)
//   AliasKeyArn(AliasName, Region, Account)    the key an alias names (DeleteAlias, UpdateAlias)
// A key or alias that does not exist answers NotFoundException before any policy is evaluated.
#include "iam/evaluate.hpp"
#include "services/kms/internal.hpp"

namespace cenote::kms {

namespace {

class KmsAuthority final : public iam::ResourceAuthority {
 public:
  explicit KmsAuthority(Env& env) : env_(env) {}
  std::string_view service() const override { return "kms"; }

  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal& principal, std::string_view,
                                   std::string_view resource_arn) const override {
    iam::ResourceFacts facts;
    // arn:aws:kms:<region>:<account>:key/<id>
    std::vector<std::string_view> parts;
    std::size_t at = 0;
    for (int i = 0; i < 5; ++i) {
      std::size_t colon = resource_arn.find(':', at);
      if (colon == std::string_view::npos) return facts;
      parts.push_back(resource_arn.substr(at, colon - at));
      at = colon + 1;
    }
    std::string_view rest = resource_arn.substr(at);
    if (parts[2] != "kms" || !rest.starts_with("key/")) return facts;
    KeyRef ref{std::string(parts[4]), std::string(parts[3]), std::string(rest.substr(4))};
    facts.owner_account = ref.account;
    facts.keys.Set("kms:CallerAccount", principal.account_id);
    ReaderLock lock(env_.mu);
    auto it = env_.keys.find(ref);
    if (it == env_.keys.end()) return facts;
    const KeyState& key = it->second;
    facts.policy_required = true;
    if (key.authorization != nullptr) facts.policy = iam::NamedPolicy{"key policy", key.authorization};
    for (const auto& [k, v] : key.tags) facts.keys.Set("aws:ResourceTag/" + k, v);
    facts.keys.Set("kms:KeySpec", key.key_spec);
    facts.keys.Set("kms:KeyUsage", key.key_usage);
    facts.keys.Set("kms:KeyOrigin", key.origin);
    facts.keys.Set("kms:MultiRegion", key.multi_region ? "true" : "false");
    if (key.multi_region) {
      facts.keys.Set("kms:MultiRegionKeyType", key.primary_region == key.region ? "PRIMARY" : "REPLICA");
    }
    std::vector<std::string> aliases;
    for (const auto& [alias, state] : env_.aliases) {
      if (alias.account == ref.account && alias.region == ref.region && state.key_id == ref.id) {
        aliases.push_back(alias.name);
      }
    }
    if (!aliases.empty()) facts.keys.Set("kms:ResourceAliases", std::move(aliases));
    return facts;
  }

  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override {
    if ((name == "KeyArn" || name == "AliasKeyArn") && args.size() == 3) {
      RequestContext ctx;
      ctx.region = args[1];
      ctx.principal.account_id = args[2];
      // A predefined AWS alias names its AWS managed key, created on first use.
      CENOTE_RETURN_IF_ERROR(env_.EnsureManagedKey(ctx, args[0]));
      ReaderLock lock(env_.mu);
      std::string id = args[0];
      if (name == "AliasKeyArn" && !id.starts_with("alias/")) {
        return services::MakeError(errors::kInvalidAliasName,
                                   {"Alias must start with the prefix \"alias/\"."});
      }
      CENOTE_ASSIGN_OR_RETURN(KeyState * key, env_.Find(ctx, id, Env::Names::kAliasToo));
      return key->arn;
    }
    if (name == "CiphertextKeyArn" && args.size() == 2) {
      std::optional<CiphertextHeader> header = ParseCiphertext(args[0]);
      if (!header) return services::MakeError(errors::kInvalidCiphertext);
      ReaderLock lock(env_.mu);
      CENOTE_ASSIGN_OR_RETURN(KeyState * key, env_.Find(KeyRef{header->account, args[1], header->key_id}));
      return key->arn;
    }
    return iam::ResourceAuthority::Lookup(name, args);
  }

 private:
  Env& env_;
};

}  // namespace

std::unique_ptr<iam::ResourceAuthority> KmsProvider::MakeAuthority() {
  return std::make_unique<KmsAuthority>(*env_);
}

}  // namespace cenote::kms
