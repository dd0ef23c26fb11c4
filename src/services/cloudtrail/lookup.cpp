// LookupEvents (event history: the management events of the last 90 days of the caller's account in the
// request's region) and ListPublicKeys (the region's digest-signing keys), with the key store behind both.
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/cloudtrail/internal.hpp"
#include "services/common/secret_sealer.hpp"

namespace cenote::cloudtrail {

using services::MakeError;

Result<OperationOutput> LookupEvents(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::int64_t now = env.Now();
  LookupQuery q;
  q.account = ctx.account_id();
  q.region = ctx.region;
  q.start_ms = GetInt(p, "StartTime").value_or(now - EventStore::kRetentionMs);
  q.end_ms = GetInt(p, "EndTime").value_or(now);
  if (q.start_ms > q.end_ms) {
    return MakeError(errors::kInvalidTimeRange, {"Start time must be earlier than end time."});
  }
  if (auto max = GetInt(p, "MaxResults")) {
    if (*max < 1 || *max > 50) {
      return MakeError(errors::kInvalidMaxResults, {"MaxResults must be between 1 and 50."});
    }
    q.max_results = static_cast<std::size_t>(*max);
  }
  if (const json::array* attrs = GetArray(p, "LookupAttributes"); attrs != nullptr && !attrs->empty()) {
    // AWS: "Currently the list can contain only one item."
    if (attrs->size() > 1) {
      return MakeError(errors::kInvalidLookupAttributes, {"You can only specify one lookup attribute."});
    }
    const json::object& a = (*attrs)[0].as_object();
    q.attribute_key = GetString(a, "AttributeKey").value_or("");
    q.attribute_value = GetString(a, "AttributeValue").value_or("");
  }
  if (auto category = GetString(p, "EventCategory"); category && *category != "insight") {
    return MakeError(errors::kInvalidEventCategory, {"The event category " + *category + " is not valid."});
  }
  if (auto token = GetString(p, "NextToken")) {
    auto decoded = Base64Decode(*token);
    std::uint64_t below = 0;
    bool ok = decoded && decoded->starts_with("v1:") && decoded->size() > 3;
    for (std::size_t i = 3; ok && i < decoded->size(); ++i) {
      ok = IsAsciiDigit((*decoded)[i]);
      below = below * 10 + static_cast<std::uint64_t>((*decoded)[i] - '0');
    }
    if (!ok) return MakeError(errors::kInvalidNextToken, {*token});
    q.below_sequence = below;
  }
  json::array events;
  std::optional<std::uint64_t> next;
  // EventCategory "insight": Insights events, which Cenote does not generate.
  if (!GetString(p, "EventCategory")) {
    CENOTE_ASSIGN_OR_RETURN(LookupAnswer answer, env.events->Lookup(q));
    for (auto& [e, record] : answer.events) {
      json::object out{{"EventId", e.event_id},
                       {"EventName", e.event_name},
                       {"ReadOnly", e.read_only ? "true" : "false"},
                       {"EventTime", e.time_ms},
                       {"EventSource", e.event_source},
                       {"CloudTrailEvent", record}};
      if (!e.access_key_id.empty()) out["AccessKeyId"] = e.access_key_id;
      if (!e.username.empty()) out["Username"] = e.username;
      json::array resources;
      for (const auto& [type, name] : e.resources) {
        resources.push_back(json::object{{"ResourceType", type}, {"ResourceName", name}});
      }
      out["Resources"] = std::move(resources);
      events.push_back(std::move(out));
    }
    next = answer.next_below;
  }
  json::object result{{"Events", std::move(events)}};
  if (next) result["NextToken"] = Base64Encode("v1:" + std::to_string(*next));
  return OperationOutput(std::move(result));
}

Result<OperationOutput> ListPublicKeys(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::int64_t now = env.Now();
  const std::int64_t start = GetInt(p, "StartTime").value_or(now);
  const std::int64_t end = GetInt(p, "EndTime").value_or(now);
  if (start > end) return MakeError(errors::kInvalidTimeRange, {"Start time must be earlier than end time."});
  json::array list;
  MutexLock lock(env.keys_mu);
  if (auto it = env.keys.find(ctx.region); it != env.keys.end()) {
    for (const KeyRecord& k : it->second) {
      if (k.valid_from > end || k.valid_to < start) continue;
      list.push_back(json::object{{"Value", k.public_der},
                                  {"ValidityStartTime", k.valid_from},
                                  {"ValidityEndTime", k.valid_to},
                                  {"Fingerprint", k.fingerprint}});
    }
  }
  return OperationOutput(json::object{{"PublicKeyList", std::move(list)}});
}

Result<KeyRecord> Env::CurrentKey(const std::string& region) {
  const std::int64_t now = Now();
  {
    MutexLock lock(keys_mu);
    auto it = keys.find(region);
    if (it != keys.end() && !it->second.empty() && it->second.back().valid_to > now) return it->second.back();
  }
  // A new key: valid from now (or from the end of the last one) for 30 days. Key generation takes a few
  // milliseconds; two racing makers both store theirs and the later one is current, which is harmless.
  CENOTE_ASSIGN_OR_RETURN(SigningKey made, SigningKey::Generate());
  KeyRecord record;
  record.fingerprint = made.Fingerprint();
  record.public_der = made.PublicDer();
  record.valid_from = now;
  record.valid_to = now + kKeyValidityMs;
  // The private half is sealed under the KMS root key (services/common/secret_sealer.hpp) when KMS runs.
  CENOTE_ASSIGN_OR_RETURN(
      const std::string private_der,
      services::SealSecret(options.secrets, KeyPurpose(region, record.fingerprint), made.PrivateDer()));
  record.key = std::make_shared<const SigningKey>(std::move(made));
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO cloudtrail_keys (region, fingerprint, public_der, private_der, valid_from, valid_to) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {region, record.fingerprint, store::Blob{record.public_der}, store::Blob{private_der},
       record.valid_from, record.valid_to}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  MutexLock lock(keys_mu);
  keys[region].push_back(record);
  return record;
}

}  // namespace cenote::cloudtrail
