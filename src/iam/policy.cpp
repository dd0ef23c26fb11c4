#include "iam/policy.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <set>

#include "common/strings.hpp"
#include "iam/policy_errors.hpp"

namespace cenote::iam {

namespace {

namespace json = boost::json;

constexpr std::string_view kVersion2012 = "2012-10-17";
constexpr std::string_view kVersion2008 = "2008-10-17";

// IAM-owned policy kinds, whose Sids IAM restricts to [0-9A-Za-z]*; resource-based policies (S3, SQS, SNS,
// KMS, ...) accept any Sid text.
bool IamOwned(PolicyKind kind) {
  return kind == PolicyKind::kIdentity || kind == PolicyKind::kBoundary || kind == PolicyKind::kTrust ||
         kind == PolicyKind::kSession;
}

bool MayNamePrincipal(PolicyKind kind) {
  return kind == PolicyKind::kResource || kind == PolicyKind::kTrust || kind == PolicyKind::kRcp;
}

// A JSON scalar as the policy language sees it: strings as they are, numbers and booleans as their text
// (IAM accepts `"s3:max-keys": 10` and `"aws:SecureTransport": false`).
std::optional<std::string> ScalarText(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return std::string(v.get_string());
    case json::kind::bool_:
      return std::string(v.get_bool() ? "true" : "false");
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_: {
      char buffer[64];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), v.get_double());
      if (ec != std::errc()) return std::nullopt;
      return std::string(buffer, end);
    }
    default:
      return std::nullopt;
  }
}

// A string or an array of strings (Action, Resource, principal lists). nullopt for any other shape.
std::optional<std::vector<std::string>> StringList(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.emplace_back(v.get_string());
    return out;
  }
  if (!v.is_array()) return std::nullopt;
  for (const json::value& item : v.get_array()) {
    if (!item.is_string()) return std::nullopt;
    out.emplace_back(item.get_string());
  }
  return out;
}

// `"AWS":"value"`, as IAM quotes a principal it rejects. (Built with append: g++ 12 reports a false
// -Wrestrict on `"literal" + std::string(...)` chains.)
std::string PrincipalText(std::string_view type, std::string_view value) {
  std::string out = "\"";
  out.append(type).append("\":\"").append(value).append("\"");
  return out;
}

bool HasWildcard(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

bool IsAccountId(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s) {
    if (!IsAsciiDigit(c)) return false;
  }
  return true;
}

Result<std::vector<Pattern>> CompileActions(const json::value& v) {
  std::optional<std::vector<std::string>> list = StringList(v);
  if (!list) return policy_errors::SyntaxError();
  if (list->empty()) return policy_errors::NoActions();
  std::vector<Pattern> actions;
  actions.reserve(list->size());
  for (const std::string& action : *list) {
    if (action != "*") {
      std::size_t colon = action.find(':');
      if (colon == std::string::npos) return policy_errors::ActionNeedsVendor();
      if (action.find(':', colon + 1) != std::string::npos) return policy_errors::ActionOneColon();
      if (colon == 0) return policy_errors::ActionNeedsVendor();
      if (HasWildcard(std::string_view(action).substr(0, colon)))
        return policy_errors::ActionVendorWildcard();
    }
    actions.push_back(Pattern::Compile(action, PatternOptions{.wildcards = true, .ignore_case = true}));
  }
  return actions;
}

Result<std::vector<ArnPattern>> CompileResources(const json::value& v, bool variables) {
  std::optional<std::vector<std::string>> list = StringList(v);
  if (!list) return policy_errors::SyntaxError();
  if (list->empty()) return policy_errors::NoResources();
  std::vector<ArnPattern> resources;
  resources.reserve(list->size());
  for (const std::string& resource : *list) {
    if (resource != "*") {
      std::string_view fields[6];
      std::size_t count = SplitArnFields(resource, fields, 6);
      if (count < 6 || fields[0] != "arn") return policy_errors::ResourceNotArn(resource);
      if (fields[2].empty() || HasWildcard(fields[2])) return policy_errors::ResourceVendorWildcard();
    }
    resources.push_back(
        ArnPattern::Compile(resource, PatternOptions{.wildcards = true, .variables = variables}));
  }
  return resources;
}

// One value of the "AWS" principal: "*", an account id, or an IAM/STS ARN without wildcards.
Status AddAwsPrincipal(std::string_view value, PrincipalSet& set) {
  auto invalid = [&] { return policy_errors::InvalidPrincipal(PrincipalText("AWS", value)); };
  if (value == "*") {
    set.everyone = true;
    return Status::Ok();
  }
  if (IsAccountId(value)) {
    set.accounts.emplace_back(value);
    return Status::Ok();
  }
  std::string_view fields[6];
  std::size_t count = SplitArnFields(value, fields, 6);
  if (count < 6 || fields[0] != "arn" || fields[1].empty() || !IsAccountId(fields[4]) || HasWildcard(value) ||
      fields[5].empty()) {
    return invalid();
  }
  if (fields[2] == "iam" && fields[5] == "root") {
    set.accounts.emplace_back(fields[4]);
    return Status::Ok();
  }
  bool iam_entity = fields[2] == "iam" && (fields[5].starts_with("user/") || fields[5].starts_with("role/"));
  bool sts_session = fields[2] == "sts" &&
                     (fields[5].starts_with("assumed-role/") || fields[5].starts_with("federated-user/"));
  if (!iam_entity && !sts_session) return invalid();
  set.arns.emplace_back(value);
  return Status::Ok();
}

Result<PrincipalSet> ParsePrincipal(const json::value& v) {
  PrincipalSet set;
  if (v.is_string()) {
    if (v.get_string() != "*") return policy_errors::InvalidPrincipal(std::string(v.get_string()));
    set.everyone = true;
    return set;
  }
  if (!v.is_object()) return policy_errors::SyntaxError();
  for (const auto& [name, value] : v.get_object()) {
    std::optional<std::vector<std::string>> list = StringList(value);
    if (!list) return policy_errors::SyntaxError();
    for (const std::string& item : *list) {
      if (name == "AWS") {
        CENOTE_RETURN_IF_ERROR(AddAwsPrincipal(item, set));
      } else if (name == "Service") {
        if (item.empty() || HasWildcard(item)) {
          return policy_errors::InvalidPrincipal(PrincipalText("Service", item));
        }
        set.services.push_back(AsciiLower(item));
      } else if (name == "Federated") {
        if (item.empty()) return policy_errors::InvalidPrincipal(PrincipalText("Federated", ""));
        set.federated.push_back(item);
      } else if (name == "CanonicalUser") {
        if (item.empty()) return policy_errors::InvalidPrincipal(PrincipalText("CanonicalUser", ""));
        set.canonical_users.push_back(item);
      } else {
        return policy_errors::InvalidPrincipal(PrincipalText(name, item));
      }
    }
  }
  return set;
}

Result<std::vector<Condition>> ParseConditions(const json::value& v, bool variables) {
  if (!v.is_object()) return policy_errors::SyntaxError();
  std::vector<Condition> conditions;
  for (const auto& [op, block] : v.get_object()) {
    if (!block.is_object()) return policy_errors::SyntaxError();
    // Validate the operator even when its block is empty.
    if (!ParseOperatorName(op)) return policy_errors::InvalidConditionType(op);
    for (const auto& [key, raw_values] : block.get_object()) {
      if (key.empty()) return policy_errors::SyntaxError();
      std::vector<std::string> values;
      if (raw_values.is_array()) {
        for (const json::value& item : raw_values.get_array()) {
          std::optional<std::string> text = ScalarText(item);
          if (!text) return policy_errors::SyntaxError();
          values.push_back(std::move(*text));
        }
      } else {
        std::optional<std::string> text = ScalarText(raw_values);
        if (!text) return policy_errors::SyntaxError();
        values.push_back(std::move(*text));
      }
      CENOTE_ASSIGN_OR_RETURN(Condition condition, Condition::Compile(op, key, values, variables));
      conditions.push_back(std::move(condition));
    }
  }
  return conditions;
}

Result<Statement> ParseStatement(const json::value& v, PolicyKind kind, bool variables) {
  if (!v.is_object()) return policy_errors::SyntaxError();
  const json::object& object = v.get_object();
  Statement s;
  const json::value* effect = nullptr;
  const json::value* principal = nullptr;
  const json::value* not_principal = nullptr;
  const json::value* action = nullptr;
  const json::value* not_action = nullptr;
  const json::value* resource = nullptr;
  const json::value* not_resource = nullptr;
  const json::value* condition = nullptr;
  for (const auto& [name, value] : object) {
    if (name == "Sid") {
      if (!value.is_string()) return policy_errors::SyntaxError();
      s.sid = std::string(value.get_string());
    } else if (name == "Effect") {
      effect = &value;
    } else if (name == "Principal") {
      principal = &value;
    } else if (name == "NotPrincipal") {
      not_principal = &value;
    } else if (name == "Action") {
      action = &value;
    } else if (name == "NotAction") {
      not_action = &value;
    } else if (name == "Resource") {
      resource = &value;
    } else if (name == "NotResource") {
      not_resource = &value;
    } else if (name == "Condition") {
      condition = &value;
    } else {
      return policy_errors::UnknownField(name);
    }
  }

  if (effect == nullptr) return policy_errors::MissingField("Effect");
  if (!effect->is_string()) return policy_errors::SyntaxError();
  if (effect->get_string() == "Allow") {
    s.effect = Effect::kAllow;
  } else if (effect->get_string() == "Deny") {
    s.effect = Effect::kDeny;
  } else {
    return policy_errors::InvalidEffect(effect->get_string());
  }

  // Principal.
  if (principal != nullptr && not_principal != nullptr) return policy_errors::PrincipalAndNotPrincipal();
  if (principal != nullptr || not_principal != nullptr) {
    if (kind == PolicyKind::kScp) return policy_errors::ScpRequirements();
    if (!MayNamePrincipal(kind)) return policy_errors::PrincipalNotAllowed();
    if (not_principal != nullptr && (kind == PolicyKind::kTrust || kind == PolicyKind::kRcp)) {
      return policy_errors::ProhibitedField("NotPrincipal");
    }
    s.has_principal = true;
    s.not_principal = not_principal != nullptr;
    CENOTE_ASSIGN_OR_RETURN(s.principals, ParsePrincipal(principal != nullptr ? *principal : *not_principal));
    if (kind == PolicyKind::kRcp && !s.principals.everyone) {
      return policy_errors::InvalidPrincipal("RCPs must name Principal \"*\"");
    }
  } else if (MayNamePrincipal(kind)) {
    return policy_errors::MissingField("Principal");
  }

  // Action.
  if (action != nullptr && not_action != nullptr) return policy_errors::ActionAndNotAction();
  if (action == nullptr && not_action == nullptr) return policy_errors::NoActions();
  s.not_action = not_action != nullptr;
  CENOTE_ASSIGN_OR_RETURN(s.actions, CompileActions(action != nullptr ? *action : *not_action));

  // Resource.
  if (resource != nullptr && not_resource != nullptr) return policy_errors::ResourceAndNotResource();
  if (kind == PolicyKind::kTrust) {
    if (resource != nullptr) return policy_errors::ProhibitedField("Resource");
    if (not_resource != nullptr) return policy_errors::ProhibitedField("NotResource");
  } else {
    if (resource == nullptr && not_resource == nullptr) return policy_errors::NoResources();
    s.has_resource = true;
    s.not_resource = not_resource != nullptr;
    CENOTE_ASSIGN_OR_RETURN(s.resources,
                            CompileResources(resource != nullptr ? *resource : *not_resource, variables));
  }

  if (condition != nullptr) {
    CENOTE_ASSIGN_OR_RETURN(s.conditions, ParseConditions(*condition, variables));
  }

  // SCPs (Organizations' SCP syntax): an Allow statement takes Resource "*", no Condition, no NotAction.
  if (kind == PolicyKind::kScp && s.effect == Effect::kAllow) {
    bool all_resources = s.resources.size() == 1 && !s.not_resource && s.resources[0].source() == "*";
    if (!all_resources || s.not_action || condition != nullptr) return policy_errors::ScpRequirements();
  }
  return s;
}

}  // namespace

Result<Policy> ParsePolicy(std::string_view text, PolicyKind kind) {
  boost::system::error_code ec;
  json::value document = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !document.is_object()) return policy_errors::SyntaxError();
  const json::object& object = document.get_object();

  Policy policy;
  policy.kind_ = kind;
  const json::value* statements = nullptr;
  const json::value* version = nullptr;
  for (const auto& [name, value] : object) {
    if (name == "Version") {
      version = &value;
    } else if (name == "Id") {
      if (!value.is_string()) return policy_errors::SyntaxError();
      policy.id_ = std::string(value.get_string());
    } else if (name == "Statement") {
      statements = &value;
    } else {
      return policy_errors::UnknownField(name);
    }
  }
  if (version == nullptr) {
    policy.version_ = std::string(kVersion2008);
  } else if (version->is_string() &&
             (version->get_string() == kVersion2012 || version->get_string() == kVersion2008)) {
    policy.version_ = std::string(version->get_string());
  } else {
    return policy_errors::LegacyParsing();
  }
  const bool variables = policy.version_ == kVersion2012;

  if (statements == nullptr) return policy_errors::MissingField("Statement");
  if (statements->is_object()) {
    CENOTE_ASSIGN_OR_RETURN(Statement s, ParseStatement(*statements, kind, variables));
    policy.statements_.push_back(std::move(s));
  } else if (statements->is_array()) {
    for (const json::value& item : statements->get_array()) {
      CENOTE_ASSIGN_OR_RETURN(Statement s, ParseStatement(item, kind, variables));
      policy.statements_.push_back(std::move(s));
    }
  } else {
    return policy_errors::SyntaxError();
  }

  std::set<std::string_view> sids;
  for (const Statement& s : policy.statements_) {
    if (s.sid.empty()) continue;
    if (IamOwned(kind)) {
      for (char c : s.sid) {
        if (!IsAsciiAlnum(c)) return policy_errors::SidNotAlphanumeric();
      }
    }
    if (!sids.insert(s.sid).second) return policy_errors::DuplicateSid();
  }
  return policy;
}

std::size_t PolicySizeWithoutWhitespace(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if (IsAsciiSpace(c)) continue;
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte
    ++count;
  }
  return count;
}

std::size_t PolicyQuotaLimit(PolicyQuota quota) {
  switch (quota) {
    case PolicyQuota::kManagedPolicy:
      return 6144;
    case PolicyQuota::kUserInline:
      return 2048;
    case PolicyQuota::kGroupInline:
      return 5120;
    case PolicyQuota::kRoleInline:
      return 10240;
    case PolicyQuota::kRoleTrust:
      return 2048;
    case PolicyQuota::kScp:
      return 5120;
  }
  return 0;
}

Status CheckPolicySize(std::size_t size, PolicyQuota quota, std::string_view entity_name) {
  std::size_t limit = PolicyQuotaLimit(quota);
  if (size <= limit) return Status::Ok();
  std::string n = std::to_string(limit);
  std::string message;
  switch (quota) {
    case PolicyQuota::kManagedPolicy:
      message = "Cannot exceed quota for PolicySize: " + n;
      break;
    case PolicyQuota::kUserInline:
      message = "Maximum policy size of " + n + " bytes exceeded for user " + std::string(entity_name);
      break;
    case PolicyQuota::kGroupInline:
      message = "Maximum policy size of " + n + " bytes exceeded for group " + std::string(entity_name);
      break;
    case PolicyQuota::kRoleInline:
      message = "Maximum policy size of " + n + " bytes exceeded for role " + std::string(entity_name);
      break;
    case PolicyQuota::kRoleTrust:
      message = "Cannot exceed quota for ACLSizePerRole: " + n;
      break;
    case PolicyQuota::kScp:
      message = "Cannot exceed quota for PolicySize: " + n;
      break;
  }
  return MakeError("LimitExceeded", std::move(message), 409);
}

}  // namespace cenote::iam
