#include "services/cloudtrail/event_record.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <optional>
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

// ---- JSON text written directly (the record is built once per recorded call: no document, no copies).

// True when one of the 8 bytes of `x` is a control character, '"' or '\\' (the bytes JSON escapes): the
// "has zero byte" and "has byte less than n" tricks of Hacker's Delight (section 6-1), exact for the
// any-test.
constexpr bool NeedsEscape8(std::uint64_t x) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  auto has_zero = [](std::uint64_t v) { return ((v - kOnes) & ~v & kHighs) != 0; };
  const bool control = ((x - kOnes * 0x20) & ~x & kHighs) != 0;
  return control || has_zero(x ^ (kOnes * '"')) || has_zero(x ^ (kOnes * '\\'));
}

void AppendEscaped(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t start = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    // Eight bytes at a time while none needs escaping (record values rarely do).
    while (i + 8 <= v.size()) {
      std::uint64_t x;
      std::memcpy(&x, v.data() + i, 8);
      if (NeedsEscape8(x)) break;
      i += 8;
    }
    if (i >= v.size()) break;
    const unsigned char c = static_cast<unsigned char>(v[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(v.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(v.data() + start, v.size() - start);
}

void AppendQuoted(std::string& out, std::string_view v) {
  out += '"';
  AppendEscaped(out, v);
  out += '"';
}

// Members of one JSON object, commas placed.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  // The member's name; its value follows (written by the caller).
  std::string& Key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    AppendQuoted(out_, name);
    out_ += ':';
    return out_;
  }
  void String(std::string_view name, std::string_view value) { AppendQuoted(Key(name), value); }
  void Bool(std::string_view name, bool value) { Key(name) += value ? "true" : "false"; }
  void Null(std::string_view name) { Key(name) += "null"; }
  bool empty() const { return first_; }
  void End() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

// `doc` with the members in `drop` left out at any depth and member names in lowerCamelCase (as
// RedactedElements); `s3_request`: the top level of an S3 request, whose Bucket CloudTrail names bucketName.
// Returns false (and writes nothing) for an object left empty.
bool AppendRedacted(std::string& out, const json::value& doc, const std::set<std::string, std::less<>>* drop,
                    bool s3_request) {
  switch (doc.kind()) {
    case json::kind::object: {
      const std::size_t mark = out.size();
      ObjectWriter o(out);
      for (const auto& [k, v] : doc.as_object()) {
        if (drop != nullptr && drop->contains(std::string_view(k))) continue;
        std::string name = LowerCamel(k);
        if (s3_request && name == "bucket") name = "bucketName";
        AppendRedacted(o.Key(name), v, drop, false);
      }
      if (o.empty()) {
        out.resize(mark);
        return false;
      }
      o.End();
      return true;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& v : doc.as_array()) {
        if (!first) out += ',';
        first = false;
        if (!AppendRedacted(out, v, drop, false)) out += "{}";
      }
      out += ']';
      return true;
    }
    case json::kind::string:
      AppendQuoted(out, doc.as_string());
      return true;
    case json::kind::bool_:
      out += doc.as_bool() ? "true" : "false";
      return true;
    case json::kind::null:
      out += "null";
      return true;
    case json::kind::int64: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, doc.as_int64());
      out.append(buf, r.ptr);
      return true;
    }
    case json::kind::uint64: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, doc.as_uint64());
      out.append(buf, r.ptr);
      return true;
    }
    case json::kind::double_:
      out += json::serialize(doc);
      return true;
  }
  return true;
}

// The userIdentity element (AWS's "CloudTrail userIdentity element"), and what the event history and the
// advanced selectors read of it.
void AppendUserIdentity(std::string& out, const aws::RequestContext& ctx, EventSummary& summary) {
  const iam::Principal& p = ctx.principal;
  ObjectWriter id(out);
  auto common = [&](std::string_view type) {
    summary.identity_type = type;
    summary.identity_arn = p.arn;
    summary.access_key_id = p.access_key_id;
    id.String("type", type);
    id.String("principalId", p.user_id);
    id.String("arn", p.arn);
    id.String("accountId", p.account_id);
    if (!p.access_key_id.empty()) id.String("accessKeyId", p.access_key_id);
  };
  auto attributes = [&](std::string& at) {
    const iam::Session* s = p.session.get();
    ObjectWriter attrs(at);
    attrs.String("creationDate", EventTime(s != nullptr && s->issued_ms > 0 ? s->issued_ms : 0));
    attrs.String("mfaAuthenticated", s != nullptr && s->mfa ? "true" : "false");
    attrs.End();
  };
  auto issuer = [&](std::string& at, std::string_view type) {
    ObjectWriter i(at);
    i.String("type", type);
    i.String("principalId", std::string_view(p.user_id).substr(0, p.user_id.find(':')));
    i.String("arn", p.entity_arn);
    i.String("accountId", Account(p.entity_arn));
    i.String("userName", LastSegment(p.entity_arn));
    i.End();
  };
  switch (p.type) {
    case iam::PrincipalType::kRoot:
      common("Root");
      summary.user_name = "root";
      break;
    case iam::PrincipalType::kUser:
      common("IAMUser");
      summary.user_name = LastSegment(p.arn);
      id.String("userName", summary.user_name);
      break;
    case iam::PrincipalType::kAssumedRole: {
      common("AssumedRole");
      summary.user_name = LastSegment(p.arn);
      ObjectWriter context(id.Key("sessionContext"));
      issuer(context.Key("sessionIssuer"), "Role");
      ObjectWriter web(context.Key("webIdFederationData"));
      if (p.session != nullptr && !p.session->federated_provider.empty()) {
        web.String("federatedProvider", p.session->federated_provider);
      }
      web.End();
      attributes(context.Key("attributes"));
      if (p.session != nullptr && !p.session->source_identity.empty()) {
        context.String("sourceIdentity", p.session->source_identity);
      }
      context.End();
      break;
    }
    case iam::PrincipalType::kFederatedUser: {
      common("FederatedUser");
      summary.user_name = LastSegment(p.arn);
      ObjectWriter context(id.Key("sessionContext"));
      issuer(context.Key("sessionIssuer"), "IAMUser");
      attributes(context.Key("attributes"));
      context.End();
      break;
    }
    case iam::PrincipalType::kService:
      // A service acting on its own: AWS records only its name.
      summary.identity_type = "AWSService";
      summary.user_name = ctx.invoked_by.empty() ? p.arn : ctx.invoked_by;
      id.String("type", "AWSService");
      id.String("invokedBy", summary.user_name);
      id.End();
      return;
    case iam::PrincipalType::kAnonymous:
      // S3's unsigned requests: AWS records the anonymous principal as an AWSAccount.
      summary.identity_type = "AWSAccount";
      id.String("type", "AWSAccount");
      id.String("principalId", "");
      id.String("accountId", "ANONYMOUS_PRINCIPAL");
      id.End();
      return;
  }
  // A service calling with the caller's own credentials (forward access sessions) or as a role it was
  // given: the identity is the principal's, marked with the service that made the call.
  if (ctx.in_process() && ctx.invoked_by.find('.') != std::string::npos)
    id.String("invokedBy", ctx.invoked_by);
  id.End();
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
  // One formatting per second and thread: records of the same second share it.
  thread_local std::int64_t cached_second = -1;
  thread_local std::string cached;
  const std::int64_t second = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  if (second == cached_second) return cached;
  std::time_t seconds = static_cast<std::time_t>(second);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  cached_second = second;
  cached = buf;
  return cached;
}

std::string RecipientAccount(const aws::pipeline::CallRecord& record,
                             const std::vector<EventResource>& resources, const std::string& fallback) {
  if (!record.ctx.principal.account_id.empty()) return record.ctx.principal.account_id;
  for (const auto& r : resources) {
    if (!r.account_id.empty()) return r.account_id;
  }
  return fallback;
}

void WriteEventRecord(const aws::pipeline::CallRecord& record, const EventClass& cls, std::int64_t now_ms,
                      std::string_view event_id, const std::string& fallback_account, std::string& out,
                      EventSummary& summary) {
  const aws::RequestContext& ctx = record.ctx;
  const ServiceRules* rules = RulesOf(ctx.service);
  summary = EventSummary{};
  summary.data = cls.data;
  summary.read_only = cls.read_only;
  summary.event_source = ctx.service + ".amazonaws.com";
  summary.event_name = ctx.operation;
  summary.region = ctx.region;
  summary.event_time = EventTime(now_ms);
  summary.event_id = event_id;
  ObjectWriter e(out);
  e.String("eventVersion", "1.11");
  AppendUserIdentity(e.Key("userIdentity"), ctx, summary);
  e.String("eventTime", summary.event_time);
  e.String("eventSource", summary.event_source);
  e.String("eventName", ctx.operation);
  e.String("awsRegion", ctx.region);
  e.String("sourceIPAddress", ctx.in_process() ? std::string_view(ctx.source_ip)
                                               : std::string_view(AddressWithoutPort(ctx.source_ip)));
  std::string_view agent = ctx.in_process() ? std::string_view(ctx.invoked_by) : std::string_view();
  std::optional<std::string_view> host;
  if (!ctx.in_process() && ctx.headers != nullptr) {
    if (auto ua = ctx.headers->Get("user-agent")) agent = *ua;
  }
  if (ctx.headers != nullptr) host = ctx.headers->Get("host");
  e.String("userAgent", agent);
  if (record.error != nullptr) {
    summary.error_code = record.error->code;
    e.String("errorCode", record.error->code);
    e.String("errorMessage", record.error->message);
  }
  // requestParameters: the input as recorded (secrets left out); S3 names its members as its REST API does.
  std::string& request = e.Key("requestParameters");
  bool written = false;
  if (record.params != nullptr && record.params->is_object()) {
    const auto* drop = rules != nullptr ? &rules->redact_request : nullptr;
    if (ctx.service == "s3" && host) {
      // The Host header joins the members (so the element is never empty).
      if (!AppendRedacted(request, *record.params, drop, true)) request += "{}";
      request.pop_back();
      if (request.back() != '{') request += ',';
      AppendQuoted(request, "Host");
      request += ':';
      AppendQuoted(request, *host);
      request += '}';
      written = true;
    } else {
      written = AppendRedacted(request, *record.params, drop, ctx.service == "s3");
    }
  }
  if (!written) request += "null";
  // responseElements: null for failed and read-only calls (as AWS records them), else the output.
  std::string& response = e.Key("responseElements");
  written = false;
  if (record.error == nullptr && !cls.read_only && record.result != nullptr && record.result->is_object() &&
      !(rules != nullptr && rules->response_null)) {
    written =
        AppendRedacted(response, *record.result, rules != nullptr ? &rules->redact_response : nullptr, false);
  }
  if (!written) response += "null";
  e.String("requestID", ctx.request_id);
  e.String("eventID", event_id);
  e.Bool("readOnly", cls.read_only);
  if (record.params != nullptr) {
    summary.resources =
        ResourcesOf(ctx.service, ctx.operation, *record.params, ctx.region, ctx.principal.account_id);
  }
  if (!summary.resources.empty()) {
    std::string& list = e.Key("resources");
    list += '[';
    for (std::size_t i = 0; i < summary.resources.size(); ++i) {
      const EventResource& r = summary.resources[i];
      if (i > 0) list += ',';
      ObjectWriter entry(list);
      if (!r.account_id.empty()) entry.String("accountId", r.account_id);
      entry.String("type", r.type);
      entry.String("ARN", r.arn);
      entry.End();
    }
    list += ']';
  }
  e.String("eventType", "AwsApiCall");
  e.Bool("managementEvent", !cls.data);
  summary.recipient_account = RecipientAccount(record, summary.resources, fallback_account);
  e.String("recipientAccountId", summary.recipient_account);
  e.String("eventCategory", cls.data ? "Data" : "Management");
  if (ctx.tls && ctx.headers != nullptr) {
    ObjectWriter tls(e.Key("tlsDetails"));
    if (host) tls.String("clientProvidedHostHeader", *host);
    tls.End();
  }
  e.End();
}

json::object BuildEventRecord(const aws::pipeline::CallRecord& record, const EventClass& cls,
                              std::int64_t now_ms, const std::string& event_id,
                              const std::string& fallback_account) {
  std::string text;
  EventSummary summary;
  WriteEventRecord(record, cls, now_ms, event_id, fallback_account, text, summary);
  return json::parse(text).as_object();
}

EventSummary SummaryOf(const json::object& event) {
  auto str = [](const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  EventSummary s;
  s.data = str(event, "eventCategory") == "Data";
  const json::value* ro = event.if_contains("readOnly");
  s.read_only = ro != nullptr && ro->is_bool() && ro->as_bool();
  s.event_source = str(event, "eventSource");
  s.event_name = str(event, "eventName");
  s.region = str(event, "awsRegion");
  s.event_time = str(event, "eventTime");
  s.event_id = str(event, "eventID");
  s.error_code = str(event, "errorCode");
  s.recipient_account = str(event, "recipientAccountId");
  if (const json::value* id = event.if_contains("userIdentity"); id != nullptr && id->is_object()) {
    const json::object& o = id->as_object();
    s.identity_type = str(o, "type");
    s.identity_arn = str(o, "arn");
    s.access_key_id = str(o, "accessKeyId");
    if (s.identity_type == "Root") {
      s.user_name = "root";
    } else if (s.identity_type == "IAMUser") {
      s.user_name = str(o, "userName");
    } else if (s.identity_type == "AssumedRole" || s.identity_type == "FederatedUser") {
      s.user_name = LastSegment(s.identity_arn);
    } else if (s.identity_type == "AWSService") {
      s.user_name = str(o, "invokedBy");
    }
  }
  if (const json::value* list = event.if_contains("resources"); list != nullptr && list->is_array()) {
    for (const auto& r : list->as_array()) {
      if (!r.is_object()) continue;
      s.resources.push_back(EventResource{.arn = str(r.as_object(), "ARN"),
                                          .account_id = str(r.as_object(), "accountId"),
                                          .type = str(r.as_object(), "type")});
    }
  }
  return s;
}

}  // namespace cenote::cloudtrail
