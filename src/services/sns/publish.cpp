// Publish and PublishBatch: validation in AWS's words (message size, subject, MessageStructure=json,
// message attributes, the FIFO rules), then the fan-out: one outbox row per confirmed subscription whose
// filter policy matches, all in one transaction committed before the call is answered (sns_provider.hpp).
// FIFO topics deduplicate (by MessageDeduplicationId, or the body's SHA-256 with ContentBasedDeduplication)
// over 5 minutes and number their messages; their publishes are serialized so that sequence numbers are
// outbox (delivery) order.
#include <algorithm>
#include <charconv>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/common/number_value.hpp"
#include "services/sns/internal.hpp"

namespace cenote::sns {

namespace {

// A validated message, ready for the fan-out.
struct Prepared {
  std::string message;                       // the Message parameter as given
  std::optional<json::object> per_protocol;  // MessageStructure=json: protocol -> message ("default")
  std::string subject;
  MessageAttributes attributes;
  std::string group_id;
  std::string dedup_id;
  std::size_t size = 0;
};

bool ValidAttributeName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos) return false;
  if (StartsWithIgnoreAsciiCase(name, "aws.") || StartsWithIgnoreAsciiCase(name, "amazon.")) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsAsciiAlnum(c) || c == '_' || c == '-' || c == '.'; });
}

Result<Prepared> Prepare(const json::object& p, bool fifo, bool content_dedup) {
  Prepared m;
  auto message = GetString(p, "Message");
  if (!message || message->empty()) return MakeError(errors::kInvalidParameter, {"Empty message"});
  m.message = std::move(*message);
  if (auto subject = GetString(p, "Subject")) {
    // Up to 100 printable ASCII characters, no line breaks, not only spaces.
    bool ok = !subject->empty() && subject->size() <= 100 &&
              std::all_of(subject->begin(), subject->end(), [](char c) { return c >= 0x20 && c < 0x7F; }) &&
              !TrimAsciiSpace(*subject).empty();
    if (!ok) return MakeError(errors::kInvalidParameter, {"Subject"});
    m.subject = std::move(*subject);
  }
  if (auto structure = GetString(p, "MessageStructure")) {
    if (*structure != "json") return MakeError(errors::kInvalidParameter, {"MessageStructure"});
    boost::system::error_code ec;
    json::value v = json::parse(m.message, ec);
    if (ec || !v.is_object()) {
      return MakeError(errors::kInvalidParameter, {"Message Structure - JSON message body failed to parse"});
    }
    if (!v.as_object().contains("default")) {
      return MakeError(errors::kInvalidParameter,
                       {"Message Structure - No default entry in JSON message body"});
    }
    for (const auto& [k, val] : v.as_object()) {
      if (!val.is_string()) {
        return MakeError(errors::kInvalidParameter,
                         {"Message Structure - JSON message body failed to parse"});
      }
    }
    m.per_protocol = std::move(v.as_object());
  }
  CENOTE_ASSIGN_OR_RETURN(m.attributes, ParseMessageAttributes(GetObject(p, "MessageAttributes")));
  m.size = m.message.size();
  for (const auto& [name, a] : m.attributes) m.size += name.size() + a.type.size() + a.value.size();
  if (m.size > kMaxMessageBytes) return MakeError(errors::kInvalidParameter, {"Message too long"});

  auto group = GetString(p, "MessageGroupId");
  auto dedup = GetString(p, "MessageDeduplicationId");
  auto valid_id = [](const std::string& id) {
    return !id.empty() && id.size() <= 128 &&
           std::all_of(id.begin(), id.end(), [](char c) { return c >= 0x21 && c <= 0x7E; });
  };
  if (fifo) {
    if (!group) {
      return MakeError(errors::kInvalidParameter,
                       {"The MessageGroupId parameter is required for FIFO topics"});
    }
    if (!valid_id(*group)) return MakeError(errors::kInvalidParameter, {"MessageGroupId"});
    if (dedup) {
      if (!valid_id(*dedup)) return MakeError(errors::kInvalidParameter, {"MessageDeduplicationId"});
      m.dedup_id = *dedup;
    } else if (content_dedup) {
      m.dedup_id = Sha256Hex(m.message);
    } else {
      return MakeError(
          errors::kInvalidParameter,
          {"The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
           "provided explicitly"});
    }
    m.group_id = *group;
  } else {
    if (dedup) {
      return MakeError(
          errors::kInvalidParameterReason,
          {"MessageDeduplicationId",
           "The request includes MessageDeduplicationId parameter that is not valid for this topic type"});
    }
    // Standard topics take an optional MessageGroupId (same rules) and forward it to SQS standard queues
    // only, where it selects fair queueing.
    if (group) {
      if (!valid_id(*group)) return MakeError(errors::kInvalidParameter, {"MessageGroupId"});
      m.group_id = *group;
    }
  }
  return m;
}

// What a topic's fan-out needs, copied under the lock so that the transaction runs without it.
struct Target {
  std::string arn;
  std::string protocol;
  std::shared_ptr<const FilterPolicy> filter;
};
struct TopicView {
  std::string arn;
  bool fifo = false;
  bool content_dedup = false;
  int signature_version = 1;
  std::vector<Target> targets;
};

Result<TopicView> View(Env& env, const std::string& arn) {
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, env.FindTopic(arn));
  TopicView v;
  v.arn = t->arn;
  v.fifo = t->fifo;
  auto cbd = t->attributes.find("ContentBasedDeduplication");
  v.content_dedup = cbd != t->attributes.end() && cbd->second == "true";
  v.signature_version = TopicSignatureVersion(*t);
  for (const auto& sub : t->subscriptions) {
    auto s = env.subscriptions.find(sub);
    if (s == env.subscriptions.end() || !s->second.confirmed) continue;
    v.targets.push_back(
        Target{.arn = s->second.arn, .protocol = s->second.protocol, .filter = s->second.filter});
  }
  return v;
}

// The outbox documents of one published message, one per matching subscription.
void FanOut(const TopicView& topic, const Prepared& m, const std::string& message_id,
            const std::string& sequence, std::int64_t now_ms, std::vector<json::object>& docs,
            std::vector<std::string>& order_keys) {
  json::object attributes = AttributesToEnvelope(m.attributes);
  for (const Target& target : topic.targets) {
    std::string chosen;
    const std::string* text = &m.message;
    if (m.per_protocol) {
      // MessageStructure=json: the protocol's own message, else the "default" one.
      const json::value* v = m.per_protocol->if_contains(target.protocol);
      if (v == nullptr) v = m.per_protocol->if_contains("default");
      chosen = std::string(v->get_string());
      text = &chosen;
    }
    if (target.filter && !target.filter->Matches(m.attributes, *text)) continue;
    json::object doc{{"Type", "Notification"},
                     {"MessageId", message_id},
                     {"TopicArn", topic.arn},
                     {"Message", *text},
                     {"Timestamp", now_ms},
                     {"SubscriptionArn", target.arn},
                     {"SignatureVersion", topic.signature_version},
                     {"Protocol", target.protocol}};
    if (!m.subject.empty()) doc["Subject"] = m.subject;
    if (!attributes.empty()) doc["MessageAttributes"] = attributes;
    if (topic.fifo) {
      doc["SequenceNumber"] = sequence;
      doc["MessageDeduplicationId"] = m.dedup_id;
    }
    if (!m.group_id.empty()) doc["MessageGroupId"] = m.group_id;
    docs.push_back(std::move(doc));
    order_keys.push_back(topic.fifo ? target.arn + "|" + m.group_id : std::string());
  }
}

struct Published {
  std::string message_id;
  std::string sequence;
};

// Publishes `messages` (validated) to the topic in one transaction. FIFO: a message whose deduplication id
// was seen in the last 5 minutes gets the first one's id and sequence number and is not delivered again.
Result<std::vector<Published>> PublishAll(Env& env, const TopicView& topic,
                                          const std::vector<Prepared>& messages) {
  std::vector<Published> out(messages.size());
  std::vector<json::object> docs;
  std::vector<std::string> order_keys;
  const std::int64_t now = env.Now();
  if (!topic.fifo) {
    // Standard topics: nothing but the outbox rows to write, group-committed with concurrent publishes (a
    // message no subscription takes writes nothing).
    for (std::size_t i = 0; i < messages.size(); ++i) {
      out[i].message_id = NewUuidV4();
      FanOut(topic, messages[i], out[i].message_id, "", now, docs, order_keys);
    }
    if (docs.empty()) return out;
    CENOTE_ASSIGN_OR_RETURN(auto staged, env.StageCommitted(std::move(docs), std::move(order_keys)));
    env.Enqueue(std::move(staged));
    return out;
  }
  // FIFO topics: deduplication and sequence numbers in the same transaction as the outbox rows, one publish
  // at a time so that sequence numbers are outbox (delivery) order. Nothing is written for a duplicate.
  std::shared_ptr<Mutex> topic_mu = env.PublishMutex(topic.arn);
  MutexLock fifo_lock(*topic_mu);
  std::uint64_t sequence = 0;
  bool expired = false;  // deduplication ids past their window, to remove from the store too
  std::vector<std::pair<std::string, Env::Dedup>> new_dedup;
  {
    MutexLock lock(env.mu);
    CENOTE_ASSIGN_OR_RETURN(Topic * t, env.FindTopic(topic.arn));
    sequence = t->sequence;
    auto& seen = env.dedup[topic.arn];
    expired = std::erase_if(seen, [&](const auto& e) { return e.second.expires_ms <= now; }) > 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const Prepared& m = messages[i];
      if (auto it = seen.find(m.dedup_id); it != seen.end()) {
        out[i] = Published{it->second.message_id, it->second.sequence};
        continue;
      }
      auto dup = std::find_if(new_dedup.begin(), new_dedup.end(),
                              [&](const auto& e) { return e.first == m.dedup_id; });
      if (dup != new_dedup.end()) {
        out[i] = Published{dup->second.message_id, dup->second.sequence};
        continue;
      }
      ++sequence;
      out[i] = Published{NewUuidV4(), std::to_string(10'000'000'000'000'000'000ULL + sequence)};
      new_dedup.emplace_back(m.dedup_id,
                             Env::Dedup{out[i].message_id, out[i].sequence, now + kDedupWindowMs});
      FanOut(topic, m, out[i].message_id, out[i].sequence, now, docs, order_keys);
    }
  }
  if (new_dedup.empty()) return out;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  if (expired) {
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("DELETE FROM sns_dedup WHERE topic_arn = ? AND expires <= ?", {topic.arn, now}));
  }
  CENOTE_RETURN_IF_ERROR(txn->Exec("UPDATE sns_topics SET sequence = ? WHERE arn = ?",
                                   {static_cast<std::int64_t>(sequence), topic.arn}));
  for (const auto& [id, d] : new_dedup) {
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("INSERT INTO sns_dedup (topic_arn, dedup_id, message_id, sequence, expires) "
                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic_arn, dedup_id) DO UPDATE SET "
                  "message_id = excluded.message_id, sequence = excluded.sequence, "
                  "expires = excluded.expires",
                  {topic.arn, id, d.message_id, d.sequence, d.expires_ms}));
  }
  CENOTE_ASSIGN_OR_RETURN(auto staged, env.Stage(*txn, std::move(docs), order_keys));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  {
    MutexLock lock(env.mu);
    if (auto it = env.topics.find(topic.arn); it != env.topics.end()) {
      it->second.sequence = std::max<std::uint64_t>(it->second.sequence, sequence);
    }
    auto& seen = env.dedup[topic.arn];
    for (auto& [id, d] : new_dedup) seen[id] = std::move(d);
  }
  env.Enqueue(std::move(staged));
  return out;
}

// The topic a Publish names: TopicArn, or a TargetArn that is a topic. Phone numbers and platform
// endpoints (SMS, mobile push) are not delivered by Cenote.
Result<std::string> PublishTarget(const json::object& p) {
  auto topic = GetString(p, "TopicArn");
  auto target = GetString(p, "TargetArn");
  auto phone = GetString(p, "PhoneNumber");
  if (phone && !phone->empty()) {
    return MakeError(errors::kInvalidParameterReason,
                     {"PhoneNumber", "Cenote does not deliver SMS messages"});
  }
  if (topic && !topic->empty()) return *topic;
  if (target && !target->empty()) {
    auto parts = ParseArn(*target);
    if (parts && parts->resource.starts_with("endpoint/")) {
      return MakeError(errors::kInvalidParameterReason,
                       {"TargetArn", "Cenote does not deliver to mobile push endpoints"});
    }
    return *target;
  }
  return MakeError(errors::kInvalidParameterReason,
                   {"TopicArn or TargetArn", "no value for required parameter"});
}

}  // namespace

Result<MessageAttributes> ParseMessageAttributes(const json::object* attributes) {
  MessageAttributes out;
  if (attributes == nullptr) return out;
  if (attributes->size() > kMaxMessageAttributes) {
    return MakeError(errors::kParameterValueInvalid,
                     {"Number of message attributes [" + std::to_string(attributes->size()) +
                      "] exceeds the allowed maximum [" + std::to_string(kMaxMessageAttributes) + "]."});
  }
  for (const auto& [key, v] : *attributes) {
    const std::string name(key);
    if (!ValidAttributeName(name)) {
      return MakeError(
          errors::kParameterValueInvalid,
          {"The message attribute name '" + name +
           "' is invalid. Message attribute name can only "
           "contain alphanumeric characters, hyphens, underscores and dots, and must not start or end "
           "with a dot."});
    }
    if (!v.is_object()) return MakeError(errors::kParameterValueInvalid, {"MessageAttributes"});
    const json::object& a = v.as_object();
    const std::string type = GetString(a, "DataType").value_or("");
    auto string_value = GetString(a, "StringValue");
    auto binary_value = GetString(a, "BinaryValue");
    const std::string base = type.substr(0, type.find('.'));
    const bool array = type == "String.Array";
    if (base != "String" && base != "Number" && base != "Binary") {
      return MakeError(errors::kParameterValueInvalid,
                       {"The message attribute '" + name +
                        "' has an invalid message attribute type, the set of "
                        "supported type prefixes is Binary, Number, and String."});
    }
    MessageAttribute out_attr{.type = type, .value = ""};
    if (base == "Binary") {
      if (!binary_value || binary_value->empty()) {
        return MakeError(errors::kParameterValueInvalid, {"The message attribute '" + name +
                                                          "' with type 'Binary' must use field 'Binary'."});
      }
      out_attr.value = std::move(*binary_value);
    } else {
      if (!string_value || string_value->empty()) {
        return MakeError(errors::kParameterValueInvalid,
                         {"The message attribute '" + name +
                          "' must contain non-empty message attribute value for "
                          "message attribute type '" +
                          base + "'."});
      }
      if (base == "Number" && !services::ValidNumberValue(*string_value)) {
        return MakeError(errors::kParameterValueInvalid,
                         {"Could not cast message attribute '" + name + "' value to number."});
      }
      if (array) {
        boost::system::error_code ec;
        json::value parsed = json::parse(*string_value, ec);
        bool ok = !ec && parsed.is_array();
        if (ok) {
          for (const auto& e : parsed.as_array()) ok = ok && !e.is_object() && !e.is_array();
        }
        if (!ok) {
          return MakeError(errors::kParameterValueInvalid,
                           {"The message attribute '" + name +
                            "' with type 'String.Array' has invalid value: '" + *string_value + "'."});
        }
      }
      out_attr.value = std::move(*string_value);
    }
    out.emplace(name, std::move(out_attr));
  }
  return out;
}

json::object AttributesToEnvelope(const MessageAttributes& attributes) {
  json::object out;
  for (const auto& [name, a] : attributes) {
    out[name] = json::object{{"Type", a.type},
                             {"Value", a.type.starts_with("Binary") ? Base64Encode(a.value) : a.value}};
  }
  return out;
}

Result<OperationOutput> Publish(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string arn, PublishTarget(p));
  CENOTE_ASSIGN_OR_RETURN(TopicView topic, View(env, arn));
  std::vector<Prepared> one;
  CENOTE_ASSIGN_OR_RETURN(one.emplace_back(), Prepare(p, topic.fifo, topic.content_dedup));
  CENOTE_ASSIGN_OR_RETURN(auto published, PublishAll(env, topic, one));
  json::object out{{"MessageId", published[0].message_id}};
  if (topic.fifo) out["SequenceNumber"] = published[0].sequence;
  return out;
}

Result<OperationOutput> PublishBatch(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "TopicArn").value_or("");
  const json::array* entries = GetArray(p, "PublishBatchRequestEntries");
  if (entries == nullptr || entries->empty()) return MakeError(errors::kEmptyBatchRequest);
  if (entries->size() > kMaxBatchEntries) return MakeError(errors::kTooManyEntriesInBatchRequest);
  std::set<std::string> ids;
  std::size_t total = 0;
  for (const auto& e : *entries) {
    if (!e.is_object()) return MakeError(errors::kInvalidParameter, {"PublishBatchRequestEntries"});
    const std::string id = GetString(e.as_object(), "Id").value_or("");
    if (id.empty() || id.size() > 80 ||
        !std::all_of(id.begin(), id.end(), [](char c) { return IsAsciiAlnum(c) || c == '-' || c == '_'; })) {
      return MakeError(errors::kInvalidBatchEntryId);
    }
    if (!ids.insert(id).second) return MakeError(errors::kBatchEntryIdsNotDistinct);
    total += GetString(e.as_object(), "Message").value_or("").size();
    if (const json::object* attrs = GetObject(e.as_object(), "MessageAttributes")) {
      for (const auto& [k, v] : *attrs) {
        total += k.size();
        if (v.is_object()) {
          total += GetString(v.as_object(), "DataType").value_or("").size() +
                   GetString(v.as_object(), "StringValue").value_or("").size() +
                   GetString(v.as_object(), "BinaryValue").value_or("").size();
        }
      }
    }
  }
  if (total > kMaxMessageBytes) return MakeError(errors::kBatchRequestTooLong);
  CENOTE_ASSIGN_OR_RETURN(TopicView topic, View(env, arn));

  json::array successful, failed;
  std::vector<Prepared> good;
  std::vector<std::string> good_ids;
  for (const auto& e : *entries) {
    const std::string id = GetString(e.as_object(), "Id").value_or("");
    auto m = Prepare(e.as_object(), topic.fifo, topic.content_dedup);
    if (!m) {
      failed.push_back(json::object{
          {"Id", id}, {"Code", m.error().code}, {"Message", m.error().message}, {"SenderFault", true}});
      continue;
    }
    good.push_back(std::move(m).value());
    good_ids.push_back(id);
  }
  if (!good.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto published, PublishAll(env, topic, good));
    for (std::size_t i = 0; i < published.size(); ++i) {
      json::object entry{{"Id", good_ids[i]}, {"MessageId", published[i].message_id}};
      if (topic.fifo) entry["SequenceNumber"] = published[i].sequence;
      successful.push_back(std::move(entry));
    }
  }
  return json::object{{"Successful", std::move(successful)}, {"Failed", std::move(failed)}};
}

}  // namespace cenote::sns
