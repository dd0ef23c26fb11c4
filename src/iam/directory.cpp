#include "iam/directory.hpp"

#include "common/encoding.hpp"
#include "iam/evaluate.hpp"

namespace cenote::iam {

Result<std::string> ResourceAuthority::Lookup(std::string_view name, std::span<const std::string>) const {
  return InternalError("no lookup " + std::string(name) + " in the " + std::string(service()) +
                       " resource authority");
}

std::string CanonicalUserId(std::string_view account_id) {
  return Sha256Hex("cenote-canonical-user:" + std::string(account_id));
}

Principal RootPrincipal(std::string_view account_id) {
  Principal p;
  p.account_id = std::string(account_id);
  p.arn = "arn:aws:iam::" + p.account_id + ":root";
  p.user_id = p.account_id;
  p.display_name = "cenote";
  p.canonical_id = CanonicalUserId(account_id);
  p.is_root = true;
  p.type = PrincipalType::kRoot;
  return p;
}

Principal RoleSessionPrincipal(std::string_view role, std::string_view session_name,
                               std::string_view default_account) {
  std::string account(default_account);
  std::string_view path_and_name = role;  // "<path/>name"
  constexpr std::string_view kIam = ":iam::";
  if (role.substr(0, 4) == "arn:") {
    if (auto at = role.find(kIam); at != std::string_view::npos) {
      std::string_view rest = role.substr(at + kIam.size());  // <account>:role/<path/><name>
      auto colon = rest.find(':');
      if (colon != std::string_view::npos) {
        if (colon > 0) account = std::string(rest.substr(0, colon));
        path_and_name = rest.substr(colon + 1);
        if (path_and_name.substr(0, 5) == "role/") path_and_name.remove_prefix(5);
      }
    }
  }
  std::string_view name = path_and_name;
  if (auto slash = name.rfind('/'); slash != std::string_view::npos) name = name.substr(slash + 1);
  Principal p;
  p.account_id = account;
  p.arn = "arn:aws:sts::" + account + ":assumed-role/" + std::string(name) + "/" + std::string(session_name);
  p.entity_arn = "arn:aws:iam::" + account + ":role/" + std::string(path_and_name);
  p.user_id = std::string(name) + ":" + std::string(session_name);  // the role id replaces the name in IAM
  p.display_name = std::string(name);
  p.canonical_id = CanonicalUserId(account);
  p.type = PrincipalType::kAssumedRole;
  return p;
}

RequestPrincipal ToRequestPrincipal(const Principal& principal) {
  RequestPrincipal r;
  r.type = principal.anonymous ? PrincipalType::kAnonymous : principal.type;
  if (r.type == PrincipalType::kAnonymous) return r;
  r.account_id = principal.account_id;
  r.arn = principal.arn;
  r.entity_arn = principal.entity_arn;
  r.canonical_user = principal.canonical_id;
  if (r.type == PrincipalType::kService) r.service = principal.arn;
  if (principal.session) r.federated_provider = principal.session->federated_provider;
  return r;
}

}  // namespace cenote::iam
