// IamAuthorizer (iam_authorizer.hpp).
#include "aws/pipeline/iam_authorizer.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "aws/model/model.hpp"
#include "common/clock.hpp"
#include "common/strings.hpp"
#include "iam/action_map.hpp"
#include "iam/directory.hpp"
#include "iam/evaluate.hpp"

namespace cenote::aws::pipeline {

Result<IamMode> ParseIamMode(std::string_view text) {
  if (text == "enforce") return IamMode::kEnforce;
  if (text == "audit") return IamMode::kAudit;
  if (text == "off") return IamMode::kOff;
  return MakeError("InvalidArgument",
                   "--iam-mode must be enforce, audit or off, not '" + std::string(text) + "'");
}

std::string_view IamModeName(IamMode mode) {
  switch (mode) {
    case IamMode::kEnforce:
      return "enforce";
    case IamMode::kAudit:
      return "audit";
    case IamMode::kOff:
      return "off";
  }
  return "enforce";
}

void IamAuthorizer::Bind(Sources sources) {
  sources_ = std::move(sources);
  by_service_.clear();
  for (const iam::ResourceAuthority* authority : sources_.authorities) {
    if (authority != nullptr) by_service_.emplace(std::string(authority->service()), authority);
  }
}

namespace {

// The account field of an ARN ("arn:aws:glue:us-east-1:123456789012:table/..."), or "" (S3's ARNs, "*").
// The services whose resources resource control policies guard (AWS Organizations' list as of RCPs' launch:
// S3, STS, KMS, SQS, Secrets Manager; Cenote's other services are not covered by RCPs).
bool RcpsCover(std::string_view service) {
  return service == "s3" || service == "sts" || service == "kms" || service == "sqs" ||
         service == "secretsmanager";
}

std::string_view ArnAccount(std::string_view arn) {
  if (arn.substr(0, 4) != "arn:") return {};
  std::size_t at = 0;
  for (int field = 0; field < 4; ++field) {
    at = arn.find(':', at);
    if (at == std::string_view::npos) return {};
    ++at;
  }
  std::size_t end = arn.find(':', at);
  if (end == std::string_view::npos) return {};
  return arn.substr(at, end - at);
}

std::string IsoTime(std::int64_t ms) {
  const std::int64_t secs = ms / 1000;
  const CivilDate d = CivilFromDays(secs / 86400);
  const int rem = static_cast<int>(secs % 86400);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<long long>(d.year), d.month, d.day,
                     rem / 3600, rem / 60 % 60, rem % 60);
}

bool IsEntityPrincipal(iam::PrincipalType type) {
  return type == iam::PrincipalType::kUser || type == iam::PrincipalType::kAssumedRole ||
         type == iam::PrincipalType::kFederatedUser;
}

// The service's words for a denial. S3 names the principal only to callers of the bucket owner's own
// account (as AWS's S3 has since 2024); every other protocol carries the whole message.
Error Denial(const model::ServiceModel& service, const iam::Request& request,
             const iam::EvaluationResult& result) {
  std::string message = iam::AccessDeniedMessage(request, result);
  if (service.protocol() == "rest-xml") {
    const bool same_account =
        request.principal.type != iam::PrincipalType::kAnonymous &&
        (request.resource_account.empty() || request.resource_account == request.principal.account_id);
    return MakeError("AccessDenied", same_account ? std::move(message) : std::string("Access Denied"), 403);
  }
  if (service.protocol() == "query") {
    const std::string& code = service.access_denied_code();  // SNS: AuthorizationError
    return MakeError(code.empty() ? "AccessDenied" : code, std::move(message), 403);
  }
  return MakeError("AccessDeniedException", std::move(message), 400);
}

}  // namespace

Status IamAuthorizer::Authorize(const AuthorizationRequest& request) const {
  if (mode_ == IamMode::kOff) return Status::Ok();
  const RequestContext& ctx = request.ctx;
  const iam::Principal& principal = ctx.principal;
  const std::string& service = request.service.endpoint_prefix();

  // Operations the map says are decided otherwise: GetCallerIdentity (never denied to a signed caller),
  // AssumeRoleWithWebIdentity (unsigned; its handler evaluates the role's trust policy for the token).
  const iam::ActionMap* map = iam::ActionMap::Find(service);
  const iam::AuthorizerMode decided =
      map != nullptr ? map->Mode(request.operation) : iam::AuthorizerMode::kEvaluate;
  if (decided == iam::AuthorizerMode::kHandler) return Status::Ok();
  if (decided == iam::AuthorizerMode::kEvaluateSigned && principal.anonymous) return Status::Ok();
  // Unsigned requests reach here for services whose map accepts them; where only handler-decided operations
  // do (STS), any other is refused as unauthenticated.
  if (principal.anonymous && (map == nullptr || map->Unsigned() != iam::UnsignedRequests::kAnonymous)) {
    return MakeError(request.service.protocol() == "query" ? "MissingAuthenticationToken"
                                                           : "MissingAuthenticationTokenException",
                     "Request is missing Authentication Token",
                     request.service.protocol() == "query" ? 403 : 400);
  }
  if (decided == iam::AuthorizerMode::kAllowSigned) return Status::Ok();

  const iam::ResourceAuthority* authority = nullptr;
  if (auto it = by_service_.find(service); it != by_service_.end()) authority = it->second;
  iam::ActionLookup lookup;
  if (authority != nullptr) {
    lookup = [authority](std::string_view name, std::span<const std::string> args) {
      return authority->Lookup(name, args);
    };
  }
  auto required =
      iam::Resolve(service, request.operation, request.params, ctx.region, principal.account_id, lookup,
                   principal.anonymous ? std::string_view() : std::string_view(principal.arn));
  if (!required) {
    if (mode_ == IamMode::kAudit && required.error().http_status == 403) {
      spdlog::warn("iam audit: {} {}: {} (allowed: audit mode)", ctx.request_id, request.operation,
                   required.error().message);
      return Status::Ok();
    }
    return std::move(required).error();
  }

  iam::RequestPrincipal who = iam::ToRequestPrincipal(principal);
  iam::PolicySet base;
  iam::ContextKeys keys;
  std::shared_ptr<const iam::EntityPolicies> entity;
  std::vector<std::vector<iam::NamedPolicy>> scps;

  std::string user_id = principal.user_id;
  if (IsEntityPrincipal(who.type)) {
    if (sources_.directory != nullptr) entity = sources_.directory->PoliciesOf(principal.entity_arn);
    if (entity != nullptr) {
      for (const iam::NamedPolicy& p : entity->identity) base.identity.push_back({p.name, p.policy.get()});
      if (entity->boundary)
        base.boundary = iam::PolicyRef{entity->boundary->name, entity->boundary->policy.get()};
      if (who.type == iam::PrincipalType::kAssumedRole && who.entity_arn != entity->arn)
        who.entity_arn = entity->arn;
      for (const auto& [k, v] : entity->tags) keys.Set("aws:PrincipalTag/" + k, v);
    }
    // An entity IAM does not know (deleted, or a role never created) has no identity policies: denied below
    // with AWS's "no identity-based policy allows" reason.
    //
    // A role a service assumes for its own work (a delivery stream's, a crawler's: in-process, no STS
    // session) must trust that service, as AWS's AssumeRole by the service requires. A forwarded call (S3
    // asking KMS for the data key of the role's write) carries that session on: the trust was checked where
    // it began.
    if (ctx.in_process() && !ctx.forwarded && who.type == iam::PrincipalType::kAssumedRole &&
        principal.session == nullptr && sources_.directory != nullptr && mode_ != IamMode::kOff) {
      std::optional<iam::RoleInfo> role = sources_.directory->FindRole(principal.entity_arn);
      iam::Request assume;
      assume.action = "sts:AssumeRole";
      assume.resource = role ? role->arn : principal.entity_arn;
      assume.principal.type = iam::PrincipalType::kService;
      assume.principal.service = ctx.invoked_by;
      iam::AddPrincipalContextKeys(assume.principal, "", assume.context);
      iam::PolicySet trust;
      if (role && role->trust_policy.policy != nullptr) {
        trust.resource = iam::PolicyRef{role->trust_policy.name, role->trust_policy.policy.get()};
      }
      trust.resource_policy_required = true;
      const iam::EvaluationResult trusted = iam::Evaluate(assume, trust);
      if (!trusted.allowed()) {
        std::string message =
            ctx.invoked_by + " is not authorized to perform: sts:AssumeRole on resource: " + assume.resource +
            (role ? " (the role's trust policy does not allow it)" : " (no such role)");
        if (mode_ == IamMode::kAudit) {
          spdlog::warn("iam audit: {} would deny: {}", ctx.request_id, message);
        } else {
          return MakeError(request.service.protocol() == "rest-xml" || request.service.protocol() == "query"
                               ? "AccessDenied"
                               : "AccessDeniedException",
                           std::move(message), request.service.protocol() == "rest-xml" ? 403 : 400);
        }
      }
    }
  }
  if (principal.session != nullptr) {
    const iam::Session& s = *principal.session;
    for (const iam::NamedPolicy& p : s.policies) base.session.push_back({p.name, p.policy.get()});
    for (const auto& [k, v] : s.tags) keys.Set("aws:PrincipalTag/" + k, v);
    if (!s.source_identity.empty()) keys.Set("aws:SourceIdentity", s.source_identity);
    if (!s.federated_provider.empty()) keys.Set("aws:FederatedProvider", s.federated_provider);
    if (s.issued_ms > 0) keys.Set("aws:TokenIssueTime", IsoTime(s.issued_ms));
    keys.Set("aws:MultiFactorAuthPresent", s.mfa ? "true" : "false");
  }
  iam::AddPrincipalContextKeys(who, user_id, keys);
  if (sources_.organizations != nullptr && !principal.account_id.empty() &&
      who.type != iam::PrincipalType::kAnonymous && who.type != iam::PrincipalType::kService) {
    scps = sources_.organizations->ScpLayers(principal.account_id);
    for (const auto& layer : scps) {
      std::vector<iam::PolicyRef>& refs = base.scp_layers.emplace_back();
      for (const iam::NamedPolicy& p : layer) refs.push_back({p.name, p.policy.get()});
    }
    if (std::string org = sources_.organizations->OrganizationId(principal.account_id); !org.empty()) {
      keys.Set("aws:PrincipalOrgID", std::move(org));
      keys.Set("aws:PrincipalOrgPaths", sources_.organizations->OrganizationPath(principal.account_id));
    }
  }

  const std::int64_t now_ms = UnixNowMs();
  keys.Set("aws:CurrentTime", IsoTime(now_ms));
  keys.Set("aws:EpochTime", std::to_string(now_ms / 1000));
  keys.Set("aws:RequestedRegion", ctx.region);
  keys.Set("aws:SecureTransport", ctx.tls ? "true" : "false");
  if (!ctx.source_arn.empty()) keys.Set("aws:SourceArn", ctx.source_arn);
  if (!ctx.source_account.empty()) keys.Set("aws:SourceAccount", ctx.source_account);
  if (ctx.in_process()) {
    // A service acting with the caller's own credentials (Athena reading the lake as its caller, S3 asking
    // KMS for a data key) is a call via that service; a service acting as itself or as a role it assumed (a
    // delivery stream's role) is not.
    if (ctx.forwarded) {
      keys.Set("aws:CalledVia", ctx.invoked_by);
      keys.Set("aws:ViaAWSService", "true");
      if (ctx.service == "kms") {
        // kms:ViaService names the calling service's regional endpoint: "s3.us-east-1.amazonaws.com".
        std::string_view via = ctx.invoked_by;
        if (via.ends_with(".amazonaws.com")) via.remove_suffix(std::string_view(".amazonaws.com").size());
        keys.Set("kms:ViaService", std::string(via) + "." + ctx.region + ".amazonaws.com");
      }
    } else {
      keys.Set("aws:ViaAWSService", "false");
    }
  } else {
    if (!ctx.source_ip.empty()) keys.Set("aws:SourceIp", AddressWithoutPort(ctx.source_ip));
    keys.Set("aws:ViaAWSService", "false");
  }

  for (std::size_t i = 0; i < required->size(); ++i) {
    iam::RequiredAuthorization& auth = (*required)[i];
    const bool last = i + 1 == required->size();
    iam::Request r;
    r.action = std::move(auth.action);
    r.resource = std::move(auth.resource);
    r.principal = last ? std::move(who) : who;
    r.context = last ? std::move(keys) : keys;  // most calls need one authorization: no copies
    r.context.Merge(auth.context);
    iam::PolicySet& policies = base;  // the resource's fields are set per authorization below
    policies.resource.reset();
    policies.resource_policy_required = false;
    // The service's own resources answer through its authority; iam:PassRole (the one action of another
    // service a map names) is on a role, which has no resource policy for it.
    const bool own_action =
        r.action.size() > service.size() && r.action.starts_with(service) && r.action[service.size()] == ':';
    iam::ResourceFacts facts;
    if (authority != nullptr && r.resource != "*" && own_action) {
      CENOTE_ASSIGN_OR_RETURN(facts, authority->Facts(r.principal, r.action, r.resource));
      r.context.Merge(facts.keys);
      if (facts.policy && facts.policy->policy != nullptr) {
        policies.resource = iam::PolicyRef{facts.policy->name, facts.policy->policy.get()};
      }
      policies.resource_policy_required = facts.policy_required;
    }
    r.resource_account =
        !facts.owner_account.empty() ? facts.owner_account : std::string(ArnAccount(r.resource));
    // Resource control policies of the resource owner's organization path, for the services RCPs cover.
    std::vector<std::vector<iam::NamedPolicy>> rcps;
    policies.rcp_layers.clear();
    if (sources_.organizations != nullptr && own_action && RcpsCover(service)) {
      const std::string& owner = r.resource_account.empty() ? principal.account_id : r.resource_account;
      if (!owner.empty()) rcps = sources_.organizations->RcpLayers(owner);
      for (const auto& layer : rcps) {
        std::vector<iam::PolicyRef>& refs = policies.rcp_layers.emplace_back();
        for (const iam::NamedPolicy& p : layer) refs.push_back({p.name, p.policy.get()});
      }
    }
    if (r.resource_account == principal.account_id) r.resource_account.clear();
    const iam::EvaluationResult result = iam::Evaluate(r, policies);
    if (result.allowed()) continue;
    if (mode_ == IamMode::kAudit) {
      spdlog::warn(
          "iam audit: {} would deny {} {} on {}: {}", ctx.request_id,
          r.principal.type == iam::PrincipalType::kAnonymous ? std::string("anonymous") : r.principal.arn,
          r.action, r.resource, iam::DescribeEvaluation(result));
      continue;
    }
    // A resource that does not exist: the service's own answer where it gives one (S3's NoSuchBucket to
    // everyone, NoSuchKey to callers that may list the bucket), evaluated as this request.
    if (authority != nullptr && own_action) {
      CENOTE_ASSIGN_OR_RETURN(auto missing, authority->Missing(r.action, r.resource));
      if (missing) {
        if (missing->reveal_action.empty()) return std::move(missing->error);
        iam::Request reveal = r;
        reveal.action = missing->reveal_action;
        reveal.resource = missing->reveal_resource;
        reveal.context.Merge(missing->reveal_keys);
        CENOTE_ASSIGN_OR_RETURN(auto reveal_facts,
                                authority->Facts(reveal.principal, reveal.action, reveal.resource));
        reveal.context.Merge(reveal_facts.keys);
        iam::PolicySet reveal_policies = policies;
        reveal_policies.resource.reset();
        if (reveal_facts.policy && reveal_facts.policy->policy != nullptr) {
          reveal_policies.resource =
              iam::PolicyRef{reveal_facts.policy->name, reveal_facts.policy->policy.get()};
        }
        reveal_policies.resource_policy_required = reveal_facts.policy_required;
        if (iam::Evaluate(reveal, reveal_policies).allowed()) return std::move(missing->error);
      }
    }
    return Denial(request.service, r, result);
  }
  return Status::Ok();
}

}  // namespace cenote::aws::pipeline
