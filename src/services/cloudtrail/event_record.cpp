#include "services/cloudtrail/event_record.hpp"

#include <ctime>
#include <set>

#include "common/strings.hpp"
#include "iam/action_map.hpp"
#include "iam/directory.hpp"
#include "services/cloudtrail/event_rules.hpp"

namespace cenote::cloudtrail {

namespace json = boost::json;

namespace {

const ServiceRules* RulesOf(std::string_view service) {
  const auto& rules = Rules();
  auto it = rules.find(service);
  return it == rules.end() ? nullptr : &it->second;
}

// CloudTrail's readOnly: operations that only read, by AWS's naming (Get/List/Describe/Head/...), with the
// per-service overrides of event_rules.cpp.
bool ReadOnlyByName(std::string_view operation) {
  for (std::string_view prefix : {"Get", "List", "Describe", "Head", "Lookup", "Search", "BatchGet", "Query",
                                  "Scan", "Select", "Check", "Preview", "Estimate"}) {
    if (operation.starts_with(prefix) && operation.size() > prefix.size() &&
        !(operation[prefix.size()] >= 'a' && operation[prefix.size()] <= 'z')) {
      return true;
    }
  }
  return false;
}

std::string LowerCamel(std::string_view name) {
  std::string out(name);
  // "SSECustomerKey" -> "sSECustomerKey" would be wrong; AWS lowers the leading acronym run except its last
  // letter when a word follows ("KMSKeyId" -> "kMSKeyId" is what CloudTrail does for some services, but
  // most JSON services record the model member with a lowercased first letter). Keep the common rule.
  if (!out.empty()) out[0] = AsciiToLower(out[0]);
  return out;
}

json::value Redact(const json::value& doc, const std::set<std::string, std::less<>>* drop, bool camel) {
  if (doc.is_object()) {
    json::object out;
    for (const auto& [k, v] : doc.as_object()) {
      if (drop != nullptr && drop->contains(std::string_view(k))) continue;
      out[camel ? LowerCamel(k) : std::string(k)] = Redact(v, drop, camel);
    }
    return out;
  }
  if (doc.is_array()) {
    json::array out;
    for (const auto& v : doc.as_array()) out.push_back(Redact(v, drop, camel));
    return out;
  }
  return doc;
}

std::string LastSegment(std::string_view arn) {
  auto slash = arn.rfind('/');
  return std::string(slash == std::string_view::npos ? arn : arn.substr(slash + 1));
}

std::string Account(std::string_view arn) {
  auto parts = SplitString(arn, ':');
  return parts.size() > 4 ? std::string(parts[4]) : std::string();
}

// The userIdentity element (AWS's "CloudTrail userIdentity element").
json::object UserIdentity(const aws::RequestContext& ctx) {
  const iam::Principal& p = ctx.principal;
  json::object id;
  auto common = [&](std::string_view type) {
    id["type"] = type;
    id["principalId"] = p.user_id;
    id["arn"] = p.arn;
    id["accountId"] = p.account_id;
    if (!p.access_key_id.empty()) id["accessKeyId"] = p.access_key_id;
  };
  auto attributes = [&] {
    json::object attrs;
    const iam::Session* s = p.session.get();
    attrs["creationDate"] = EventTime(s != nullptr && s->issued_ms > 0 ? s->issued_ms : 0);
    attrs["mfaAuthenticated"] = s != nullptr && s->mfa ? "true" : "false";
    return attrs;
  };
  switch (p.type) {
    case iam::PrincipalType::kRoot:
      common("Root");
      break;
    case iam::PrincipalType::kUser:
      common("IAMUser");
      id["userName"] = LastSegment(p.arn);
      break;
    case iam::PrincipalType::kAssumedRole: {
      common("AssumedRole");
      std::string role_id = p.user_id.substr(0, p.user_id.find(':'));
      json::object context{{"sessionIssuer", json::object{{"type", "Role"},
                                                          {"principalId", role_id},
                                                          {"arn", p.entity_arn},
                                                          {"accountId", Account(p.entity_arn)},
                                                          {"userName", LastSegment(p.entity_arn)}}}};
      if (p.session != nullptr && !p.session->federated_provider.empty()) {
        context["webIdFederationData"] = json::object{{"federatedProvider", p.session->federated_provider}};
      } else {
        context["webIdFederationData"] = json::object();
      }
      context["attributes"] = attributes();
      if (p.session != nullptr && !p.session->source_identity.empty()) {
        context["sourceIdentity"] = p.session->source_identity;
      }
      id["sessionContext"] = std::move(context);
      break;
    }
    case iam::PrincipalType::kFederatedUser:
      common("FederatedUser");
      id["sessionContext"] = json::object{
          {"sessionIssuer", json::object{{"type", "IAMUser"},
                                         {"principalId", p.user_id.substr(0, p.user_id.find(':'))},
                                         {"arn", p.entity_arn},
                                         {"accountId", Account(p.entity_arn)},
                                         {"userName", LastSegment(p.entity_arn)}}},
          {"attributes", attributes()}};
      break;
    case iam::PrincipalType::kService:
      // A service acting on its own: AWS records only its name.
      id["type"] = "AWSService";
      id["invokedBy"] = ctx.invoked_by.empty() ? p.arn : ctx.invoked_by;
      return id;
    case iam::PrincipalType::kAnonymous:
      // S3's unsigned requests: AWS records the anonymous principal as an AWSAccount.
      id["type"] = "AWSAccount";
      id["principalId"] = "";
      id["accountId"] = "ANONYMOUS_PRINCIPAL";
      return id;
  }
  // A service calling with the caller's own credentials (forward access sessions) or as a role it was
  // given: the identity is the principal's, marked with the service that made the call.
  if (ctx.in_process() && ctx.invoked_by.find('.') != std::string::npos) id["invokedBy"] = ctx.invoked_by;
  return id;
}

}  // namespace

std::string TrailArnOf(std::string_view name_or_arn, std::string_view region, std::string_view account) {
  if (name_or_arn.starts_with("arn:")) return std::string(name_or_arn);
  return "arn:aws:cloudtrail:" + std::string(region) + ":" + std::string(account) + ":trail/" +
         std::string(name_or_arn);
}

EventClass Classify(std::string_view service, std::string_view operation) {
  EventClass cls;
  cls.read_only = ReadOnlyByName(operation);
  if (const ServiceRules* r = RulesOf(service)) {
    cls.data = r->data.contains(operation);
    if (r->read_only.contains(operation)) cls.read_only = true;
    if (r->not_read_only.contains(operation)) cls.read_only = false;
    cls.recorded = !r->not_recorded.contains(operation);
  }
  return cls;
}

std::string ResourceTypeOf(std::string_view arn) {
  auto parts = SplitString(arn, ':');
  if (parts.size() < 6) return {};
  std::string_view service = parts[2];
  std::size_t pos = 0;
  for (int i = 0; i < 5; ++i) pos = arn.find(':', pos) + 1;
  std::string_view rest = arn.substr(pos);
  std::string_view kind = rest.substr(0, rest.find_first_of("/:"));
  if (service == "s3")
    return rest.find('/') == std::string_view::npos ? "AWS::S3::Bucket" : "AWS::S3::Object";
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {"kinesis:stream", "AWS::Kinesis::Stream"},
      {"firehose:deliverystream", "AWS::KinesisFirehose::DeliveryStream"},
      {"iam:user", "AWS::IAM::User"},
      {"iam:role", "AWS::IAM::Role"},
      {"iam:group", "AWS::IAM::Group"},
      {"iam:policy", "AWS::IAM::Policy"},
      {"iam:instance-profile", "AWS::IAM::InstanceProfile"},
      {"iam:oidc-provider", "AWS::IAM::OIDCProvider"},
      {"iam:saml-provider", "AWS::IAM::SAMLProvider"},
      {"sts:assumed-role", "AWS::STS::AssumedRole"},
      {"glue:catalog", "AWS::Glue::Catalog"},
      {"glue:database", "AWS::Glue::Database"},
      {"glue:table", "AWS::Glue::Table"},
      {"glue:crawler", "AWS::Glue::Crawler"},
      {"glue:job", "AWS::Glue::Job"},
      {"athena:workgroup", "AWS::Athena::WorkGroup"},
      {"athena:datacatalog", "AWS::Athena::DataCatalog"},
      {"cloudtrail:trail", "AWS::CloudTrail::Trail"},
      {"cloudtrail:eventdatastore", "AWS::CloudTrail::EventDataStore"},
      {"kms:key", "AWS::KMS::Key"},
      {"kms:alias", "AWS::KMS::Alias"},
      {"organizations:account", "AWS::Organizations::Account"},
      {"organizations:organization", "AWS::Organizations::Organization"},
      {"organizations:ou", "AWS::Organizations::OrganizationalUnit"},
      {"organizations:policy", "AWS::Organizations::Policy"},
      {"organizations:root", "AWS::Organizations::Root"},
  };
  if (service == "sqs") return "AWS::SQS::Queue";
  if (service == "kinesis" && rest.find("/consumer/") != std::string_view::npos) {
    return "AWS::Kinesis::StreamConsumer";
  }
  std::string key = std::string(service) + ":" + std::string(kind);
  if (auto it = kTypes.find(key); it != kTypes.end()) return it->second;
  // AWS::<Service>::<Type> with the names capitalised: a reasonable reading for the rest.
  std::string out = "AWS::";
  out += AsciiUpper(service.substr(0, 1)) + std::string(service.substr(1)) + "::";
  bool upper = true;
  for (char c : kind) {
    if (c == '-' || c == '_') {
      upper = true;
      continue;
    }
    out += upper ? AsciiToUpper(c) : c;
    upper = false;
  }
  return out;
}

std::vector<EventResource> ResourcesOf(std::string_view service, std::string_view operation,
                                       const json::value& params, std::string_view region,
                                       std::string_view account) {
  std::vector<EventResource> out;
  const iam::ActionMap* map = iam::ActionMap::Find(service);
  if (map == nullptr || !params.is_object()) return out;
  // The lookups only the owning service can answer (a Kinesis shard iterator's stream) fail here, and the
  // event then names no resources; CloudTrail's own TrailARN needs no state.
  iam::ActionLookup lookup = [](std::string_view name,
                                std::span<const std::string> args) -> Result<std::string> {
    if (name == "TrailARN" && args.size() == 3) return TrailArnOf(args[0], args[1], args[2]);
    if (auto lake = LakeLookup(name, args)) return std::move(*lake);
    return MakeError("NoLookup", "no lookup " + std::string(name), 400);
  };
  auto resolved = map->Resolve(operation, params, region, account, lookup);
  if (!resolved) return out;  // needs state the input does not carry: no resources, as the brief's rule
  std::set<std::string> seen;
  for (const auto& auth : *resolved) {
    if (auth.resource == "*" || auth.resource.empty() || !seen.insert(auth.resource).second) continue;
    std::string owner = Account(auth.resource);
    out.push_back(EventResource{.arn = auth.resource,
                                .account_id = owner.empty() ? std::string(account) : owner,
                                .type = ResourceTypeOf(auth.resource)});
  }
  return out;
}

json::value RedactedElements(std::string_view service, std::string_view direction, const json::value& doc) {
  const ServiceRules* r = RulesOf(service);
  const std::set<std::string, std::less<>>* drop = nullptr;
  if (r != nullptr) drop = direction == "request" ? &r->redact_request : &r->redact_response;
  return Redact(doc, drop, true);
}

std::string EventTime(std::int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string RecipientAccount(const aws::pipeline::CallRecord& record,
                             const std::vector<EventResource>& resources, const std::string& fallback) {
  if (!record.ctx.principal.account_id.empty()) return record.ctx.principal.account_id;
  for (const auto& r : resources) {
    if (!r.account_id.empty()) return r.account_id;
  }
  return fallback;
}

json::object BuildEventRecord(const aws::pipeline::CallRecord& record, const EventClass& cls,
                              std::int64_t now_ms, const std::string& event_id,
                              const std::string& fallback_account) {
  const aws::RequestContext& ctx = record.ctx;
  const ServiceRules* rules = RulesOf(ctx.service);
  json::object e;
  e["eventVersion"] = "1.11";
  e["userIdentity"] = UserIdentity(ctx);
  e["eventTime"] = EventTime(now_ms);
  e["eventSource"] = ctx.service + ".amazonaws.com";
  e["eventName"] = ctx.operation;
  e["awsRegion"] = ctx.region;
  e["sourceIPAddress"] = ctx.in_process() ? ctx.source_ip : AddressWithoutPort(ctx.source_ip);
  std::string agent = ctx.in_process() ? ctx.invoked_by : std::string();
  if (!ctx.in_process() && ctx.headers != nullptr) {
    if (auto ua = ctx.headers->Get("user-agent")) agent = std::string(*ua);
  }
  e["userAgent"] = agent;
  if (record.error != nullptr) {
    e["errorCode"] = record.error->code;
    e["errorMessage"] = record.error->message;
  }
  // requestParameters: the input as recorded (secrets left out); S3 names its members as its REST API does.
  json::value request = nullptr;
  if (record.params != nullptr && record.params->is_object()) {
    json::value red = RedactedElements(ctx.service, "request", *record.params);
    if (ctx.service == "s3" && red.is_object()) {
      json::object& o = red.as_object();
      if (auto* b = o.if_contains("bucket")) {
        o["bucketName"] = *b;
        o.erase("bucket");
      }
      if (ctx.headers != nullptr) {
        if (auto host = ctx.headers->Get("host")) o["Host"] = *host;
      }
    }
    if (!red.as_object().empty()) request = std::move(red);
  }
  e["requestParameters"] = std::move(request);
  // responseElements: null for failed and read-only calls (as AWS records them), else the output.
  json::value response = nullptr;
  if (record.error == nullptr && !cls.read_only && record.result != nullptr && record.result->is_object() &&
      !(rules != nullptr && rules->response_null)) {
    json::value red = RedactedElements(ctx.service, "response", *record.result);
    if (!red.as_object().empty()) response = std::move(red);
  }
  e["responseElements"] = std::move(response);
  e["requestID"] = ctx.request_id;
  e["eventID"] = event_id;
  e["readOnly"] = cls.read_only;
  const std::string caller_account =
      ctx.principal.account_id.empty() ? std::string() : ctx.principal.account_id;
  std::vector<EventResource> resources =
      record.params != nullptr
          ? ResourcesOf(ctx.service, ctx.operation, *record.params, ctx.region, caller_account)
          : std::vector<EventResource>{};
  if (!resources.empty()) {
    json::array list;
    for (const auto& r : resources) {
      json::object entry{{"accountId", r.account_id}, {"type", r.type}, {"ARN", r.arn}};
      if (r.account_id.empty()) entry.erase("accountId");
      list.push_back(std::move(entry));
    }
    e["resources"] = std::move(list);
  }
  e["eventType"] = "AwsApiCall";
  e["managementEvent"] = !cls.data;
  e["recipientAccountId"] = RecipientAccount(record, resources, fallback_account);
  e["eventCategory"] = cls.data ? "Data" : "Management";
  if (ctx.tls && ctx.headers != nullptr) {
    json::object tls;
    if (auto host = ctx.headers->Get("host")) tls["clientProvidedHostHeader"] = *host;
    e["tlsDetails"] = std::move(tls);
  }
  return e;
}

}  // namespace cenote::cloudtrail
