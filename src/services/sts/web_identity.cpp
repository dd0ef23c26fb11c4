// AssumeRoleWithWebIdentity: an OpenID Connect ID token for a role session. The request is unsigned, so the
// handler decides what the authorizer decides for signed calls: the role's trust policy must allow
// sts:AssumeRoleWithWebIdentity for the token's provider (Principal {"Federated": <provider ARN>}), with the
// token's claims as the provider's condition keys (<provider>:sub, :aud, :amr, ...).
#include "services/sts/web_identity.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstring>

#include "aws/protocol/wire.hpp"
#include "common/strings.hpp"
#include "iam/evaluate.hpp"
#include "services/sts/internal.hpp"
#include "services/sts/jwt.hpp"
#include "store/durable_file.hpp"

namespace cenote::sts {

using services::GetString;
using services::MakeError;

namespace {

constexpr std::size_t kMaxJwksBytes = 1024 * 1024;
constexpr int kIdpTimeoutSeconds = 5;
// Where a token carries session tags and a source identity (id_session-tags.md, "Passing session tags using
// AssumeRoleWithWebIdentity").
constexpr std::string_view kTagsClaim = "https://aws.amazon.com/tags";
constexpr std::string_view kSourceIdentityClaim = "https://aws.amazon.com/source_identity";

Error IdpError(std::string message) { return MakeError(errors::kIdpCommunication, {message}); }

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string path = "/";
};

// An http:// URL whose host is the loopback (127.0.0.1, [::1], localhost), or nullopt.
std::optional<HttpUrl> LoopbackHttpUrl(std::string_view url) {
  if (!url.starts_with("http://")) return std::nullopt;
  std::string_view rest = url.substr(7);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string_view::npos) out.path = std::string(rest.substr(slash));
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      out.port = std::string(authority.substr(close + 2));
    }
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host != "127.0.0.1" && out.host != "::1" && AsciiLower(out.host) != "localhost")
    return std::nullopt;
  if (out.port.empty() || out.port.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return out;
}

// One HTTP/1.0 GET on the loopback: the body of a 200 answer, at most kMaxJwksBytes.
Result<std::string> HttpGet(const HttpUrl& url) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string host = AsciiLower(url.host) == "localhost" ? "127.0.0.1" : url.host;
  if (getaddrinfo(host.c_str(), url.port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return IdpError("Couldn't resolve the identity provider's address.");
  }
  int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd < 0) {
    freeaddrinfo(found);
    return IdpError("Couldn't connect to the identity provider.");
  }
  timeval timeout{kIdpTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  const bool connected = connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!connected) {
    close(fd);
    return IdpError("Couldn't connect to the identity provider.");
  }
  const std::string request = "GET " + url.path + " HTTP/1.0\r\nHost: " + url.host + ":" + url.port +
                              "\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      return IdpError("Couldn't send the request to the identity provider.");
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buffer[8192];
  while (response.size() <= kMaxJwksBytes + 8192) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0) {
      close(fd);
      return IdpError("The identity provider did not answer in time.");
    }
    if (n == 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  auto header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos || !response.starts_with("HTTP/1.")) {
    return IdpError("The identity provider's answer is not HTTP.");
  }
  auto space = response.find(' ');
  if (space == std::string::npos || response.compare(space + 1, 3, "200") != 0) {
    return IdpError("The identity provider answered with an error.");
  }
  std::string body = response.substr(header_end + 4);
  if (body.size() > kMaxJwksBytes) return IdpError("The identity provider's key set is too large.");
  return body;
}

Result<std::string> ReadJwksFile(const std::string& path) {
  auto text = store::ReadFile(path);
  if (!text.ok()) return IdpError("Couldn't read the identity provider's key set.");
  if (text->size() > kMaxJwksBytes) return IdpError("The identity provider's key set is too large.");
  return std::move(*text);
}

void AddClaimKeys(const std::string& prefix, const json::object& claims, std::string_view claim,
                  iam::ContextKeys& keys, std::string_view key_name) {
  std::vector<std::string> values = ClaimStrings(claims, claim);
  if (!values.empty()) keys.Set(prefix + std::string(key_name), std::move(values));
}

}  // namespace

std::string IssuerHostPath(std::string_view issuer) {
  if (issuer.starts_with("https://"))
    issuer.remove_prefix(8);
  else if (issuer.starts_with("http://"))
    issuer.remove_prefix(7);
  while (issuer.ends_with("/")) issuer.remove_suffix(1);
  return std::string(issuer);
}

Result<std::string> LoadJwks(const OidcProviderInfo& provider, std::string_view issuer) {
  const std::string& where = provider.jwks;
  if (where.starts_with("file://")) return ReadJwksFile(where.substr(7));
  if (where.starts_with("/")) return ReadJwksFile(where);
  if (!where.empty()) {
    auto url = LoopbackHttpUrl(where);
    if (!url) return IdpError("The identity provider's key set must be a local file or on the loopback.");
    return HttpGet(*url);
  }
  // No location configured: the issuer's OpenID configuration, if the issuer is on this machine.
  std::string base(issuer);
  while (base.ends_with("/")) base.pop_back();
  auto config_url = LoopbackHttpUrl(base + "/.well-known/openid-configuration");
  if (!config_url) {
    return IdpError(
        "Couldn't retrieve verification key from your identity provider, please reference "
        "AssumeRoleWithWebIdentity documentation for requirements");
  }
  CENOTE_ASSIGN_OR_RETURN(std::string config, HttpGet(*config_url));
  json::error_code ec;
  json::value doc = json::parse(config, ec);
  const json::value* jwks_uri = !ec && doc.is_object() ? doc.get_object().if_contains("jwks_uri") : nullptr;
  if (jwks_uri == nullptr || !jwks_uri->is_string()) {
    return IdpError("The identity provider's OpenID configuration names no jwks_uri.");
  }
  auto keys_url = LoopbackHttpUrl(jwks_uri->get_string());
  if (!keys_url) return IdpError("The identity provider's jwks_uri is not on the loopback.");
  return HttpGet(*keys_url);
}

Result<OperationOutput> AssumeRoleWithWebIdentity(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  const std::string role_arn = GetString(params, "RoleArn").value_or("");
  const std::string session_name = GetString(params, "RoleSessionName").value_or("");
  const std::string token = GetString(params, "WebIdentityToken").value_or("");

  CENOTE_ASSIGN_OR_RETURN(Jwt jwt, ParseJwt(token));
  const std::vector<std::string> issuers = ClaimStrings(jwt.claims, "iss");
  if (issuers.size() != 1)
    return MakeError(errors::kInvalidIdentityToken, {"The token has no issuer (iss)."});
  const std::string& issuer = issuers.front();
  const std::string host_path = IssuerHostPath(issuer);

  std::optional<iam::RoleInfo> role =
      env.directory != nullptr ? env.directory->FindRole(role_arn) : std::nullopt;
  if (!role) return MakeError(errors::kNotAuthorizedWebIdentity);
  std::optional<OidcProviderInfo> provider =
      env.oidc != nullptr ? env.oidc->FindOidcProvider(role->account_id, host_path) : std::nullopt;
  if (!provider) {
    return MakeError(errors::kInvalidIdentityToken,
                     {"No OpenIDConnect provider found in your account for " + TruncateForEcho(issuer, 256)});
  }
  CENOTE_ASSIGN_OR_RETURN(std::string jwks, LoadJwks(*provider, issuer));
  CENOTE_RETURN_IF_ERROR(VerifyJwtSignature(jwt, jwks));

  // The audience: one of the token's aud values the provider lists as a client id.
  std::string audience;
  for (const std::string& aud : ClaimStrings(jwt.claims, "aud")) {
    for (const std::string& client : provider->client_ids) {
      if (aud == client && audience.empty()) audience = aud;
    }
  }
  if (audience.empty()) return MakeError(errors::kInvalidIdentityToken, {"Incorrect token audience"});
  const std::int64_t now = env.clock();
  std::optional<std::int64_t> exp = ClaimSeconds(jwt.claims, "exp");
  if (!exp) return MakeError(errors::kInvalidIdentityToken, {"The token has no expiration time (exp)."});
  if (now >= *exp * 1000) {
    return MakeError(errors::kExpiredToken, {std::to_string(now / 1000), std::to_string(*exp)});
  }
  if (std::optional<std::int64_t> nbf = ClaimSeconds(jwt.claims, "nbf"); nbf && now < *nbf * 1000) {
    return MakeError(errors::kInvalidIdentityToken, {"The token is not valid yet (nbf)."});
  }

  CENOTE_ASSIGN_OR_RETURN(std::int64_t seconds, RoleSessionSeconds(params, *role, false));
  SessionSpec spec;
  CENOTE_RETURN_IF_ERROR(ReadSessionParameters(env, params, spec));
  // Session tags and the source identity come from the token's claims.
  if (const json::value* tags = jwt.claims.if_contains(kTagsClaim); tags != nullptr && tags->is_object()) {
    if (const json::value* principal_tags = tags->get_object().if_contains("principal_tags");
        principal_tags != nullptr && principal_tags->is_object()) {
      for (const auto& [key, value] : principal_tags->get_object()) {
        std::vector<std::string> values = ClaimStrings(principal_tags->get_object(), key);
        if (!values.empty()) spec.tags.emplace_back(std::string(key), values.front());
      }
    }
    spec.transitive_tag_keys = ClaimStrings(tags->get_object(), "transitive_tag_keys");
  }
  if (std::vector<std::string> source = ClaimStrings(jwt.claims, kSourceIdentityClaim); !source.empty()) {
    spec.source_identity = source.front();
  }

  // The trust policy, for the provider and the token's claims.
  iam::Request request;
  request.action = "sts:AssumeRoleWithWebIdentity";
  request.resource = role->arn;
  request.resource_account = role->account_id;
  request.principal.type = iam::PrincipalType::kAssumedRole;
  request.principal.account_id = role->account_id;
  request.principal.federated_provider = provider->arn;
  iam::ContextKeys& keys = request.context;
  const std::string prefix = host_path + ":";
  AddClaimKeys(prefix, jwt.claims, "sub", keys, "sub");
  keys.Set(prefix + "aud", audience);
  keys.Set(prefix + "oaud", ClaimStrings(jwt.claims, "aud"));
  AddClaimKeys(prefix, jwt.claims, "amr", keys, "amr");
  AddClaimKeys(prefix, jwt.claims, "azp", keys, "azp");
  AddClaimKeys(prefix, jwt.claims, "email", keys, "email");
  keys.Set("aws:FederatedProvider", provider->arn);
  keys.Set("sts:RoleSessionName", session_name);
  keys.Set("aws:RequestedRegion", ctx.region);
  keys.Set("aws:CurrentTime", aws::protocol::wire::FormatIso8601(now));
  keys.Set("aws:EpochTime", std::to_string(now / 1000));
  if (!spec.source_identity.empty()) keys.Set("sts:SourceIdentity", spec.source_identity);
  std::vector<std::string> tag_keys;
  for (const auto& [k, v] : spec.tags) {
    keys.Set("aws:RequestTag/" + k, v);
    tag_keys.push_back(k);
  }
  if (!tag_keys.empty()) keys.Set("aws:TagKeys", tag_keys);
  if (!spec.transitive_tag_keys.empty()) keys.Set("sts:TransitiveTagKeys", spec.transitive_tag_keys);

  iam::PolicySet policies;
  policies.resource = iam::PolicyRef{role->trust_policy.name, role->trust_policy.policy.get()};
  policies.resource_policy_required = true;
  std::vector<std::string> actions = {"sts:AssumeRoleWithWebIdentity"};
  if (!spec.tags.empty()) actions.push_back("sts:TagSession");
  if (!spec.source_identity.empty()) actions.push_back("sts:SetSourceIdentity");
  for (const std::string& action : actions) {
    request.action = action;
    request.principal.federated_provider = provider->arn;
    iam::EvaluationResult result = iam::Evaluate(request, policies);
    if (!result.allowed() && result.decision != iam::Decision::kExplicitDeny) {
      // Trust policies may name a well-known provider by its host ("accounts.google.com").
      request.principal.federated_provider = host_path;
      result = iam::Evaluate(request, policies);
    }
    if (!result.allowed()) return MakeError(errors::kNotAuthorizedWebIdentity);
  }
  if (policies.resource.has_value() && policies.resource->policy == nullptr) {
    return MakeError(errors::kNotAuthorizedWebIdentity);
  }

  const bool packed = !spec.policy.empty() || !spec.policy_arns.empty() || !spec.tags.empty();
  CENOTE_ASSIGN_OR_RETURN(int packed_size, PackedPolicySize(spec));
  const std::string subject =
      ClaimStrings(jwt.claims, "sub").empty() ? "" : ClaimStrings(jwt.claims, "sub").front();
  spec.type = iam::PrincipalType::kAssumedRole;
  spec.account_id = role->account_id;
  spec.arn = "arn:aws:sts::" + role->account_id + ":assumed-role/" + role->name + "/" + session_name;
  spec.entity_arn = role->arn;
  spec.user_id = role->id + ":" + session_name;
  spec.display_name = role->name;
  spec.federated_provider = provider->arn;
  spec.issued_ms = now;
  spec.expires_ms = now + seconds * 1000;
  CENOTE_ASSIGN_OR_RETURN(IssuedCredentials credentials, env.sessions->Issue(spec));

  json::object out{{"Credentials", CredentialsDocument(credentials)},
                   {"SubjectFromWebIdentityToken", subject},
                   {"AssumedRoleUser", json::object{{"AssumedRoleId", spec.user_id}, {"Arn", spec.arn}}},
                   {"Provider", host_path},
                   {"Audience", audience}};
  if (packed) out["PackedPolicySize"] = packed_size;
  if (!spec.source_identity.empty()) out["SourceIdentity"] = spec.source_identity;
  return out;
}

}  // namespace cenote::sts
