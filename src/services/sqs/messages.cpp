// Messages: send (single and batch), receive with long polling, delete, visibility changes, and the
// redrive of messages past their maxReceiveCount into the dead-letter queue.
//
// Every handler here changes state in the same order: validate -> append the journal record and wait for
// it to be durable (Env::Append, group-committed) -> apply the change in memory -> answer. A message
// becomes receivable only after its send record is durable; a delete is durable before it is answered.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/common/number_value.hpp"
#include "services/sqs/internal.hpp"

namespace cenote::sqs {

namespace {

// ---- validation ----

// SQS's allowed characters: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
bool ValidMessageText(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp;
    std::size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    i += n;
    bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
              (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!ok) return false;
  }
  return true;
}

Error Invalid(std::string message) {
  Error e = MakeError(errors::kInvalidParameter, {});
  e.message = std::move(message);
  return e;
}

// Reads and checks MessageAttributes (user) or MessageSystemAttributes (system).
Result<MessageAttributes> ReadAttributes(const json::object* in, bool system) {
  MessageAttributes out;
  if (in == nullptr) return out;
  const char* kind = system ? "system" : "user";
  if (!system && in->size() > kMaxMessageAttributes) {
    return Invalid("Number of message attributes [" + std::to_string(in->size()) +
                   "] exceeds the allowed maximum [10].");
  }
  for (const auto& [name_sv, v] : *in) {
    std::string name(name_sv);
    if (system) {
      if (name != "AWSTraceHeader")
        return Invalid("Message system attribute name '" + name + "' is invalid.");
    } else {
      bool ok = !name.empty() && name.size() <= 256 && name.front() != '.' && name.back() != '.' &&
                name.find("..") == std::string::npos;
      for (char c : name) ok = ok && (IsAsciiAlnum(c) || c == '-' || c == '_' || c == '.');
      std::string lower = AsciiLower(name);
      if (lower.starts_with("aws.") || lower.starts_with("amazon.")) {
        return Invalid(
            "Message (user) attribute name '" + name +
            "' is invalid. Reason: The message attribute name can't start with 'AWS.' or 'Amazon.'.");
      }
      if (!ok) {
        return Invalid(
            "Message (user) attribute name '" + name +
            "' is invalid. Reason: The message attribute name can only contain alphanumeric "
            "characters, hyphens, underscores and periods, and can't start or end with a period or "
            "contain consecutive periods.");
      }
    }
    if (!v.is_object())
      return Invalid("The message " + std::string(kind) + " attribute '" + name + "' is invalid.");
    const json::object& a = v.as_object();
    std::string type = GetString(a, "DataType").value_or("");
    if (type.empty()) {
      return Invalid("The message attribute '" + name + "' must contain non-empty message attribute type.");
    }
    if (type.size() > 256)
      return Invalid("The message attribute '" + name + "' has a data type that is too long.");
    std::string_view base = std::string_view(type).substr(0, type.find('.'));
    if (base != "String" && base != "Number" && base != "Binary") {
      return Invalid("The type of message (" + std::string(kind) + ") attribute '" + name +
                     "' is invalid. You must use only the following supported type prefixes: Binary, Number, "
                     "String.");
    }
    if (system && type != "String") {
      return Invalid("The message system attribute '" + name + "' must be of type String.");
    }
    MessageAttribute attr;
    attr.data_type = type;
    attr.binary = base == "Binary";
    std::optional<std::string> value = GetString(a, attr.binary ? "BinaryValue" : "StringValue");
    if (!value || value->empty()) {
      return Invalid("The message attribute '" + name +
                     "' must contain non-empty message attribute value for message attribute type '" +
                     std::string(base) + "'.");
    }
    if (!attr.binary && !ValidMessageText(*value)) return MakeError(errors::kInvalidMessageContents);
    if (base == "Number" && !services::ValidNumberValue(*value)) {
      return Invalid("Can't cast the value of message (" + std::string(kind) + ") attribute '" + name +
                     "' to a number.");
    }
    attr.value = std::move(*value);
    out.emplace(std::move(name), std::move(attr));
  }
  return out;
}

// What a send needs to know of its queue, read once under the queue's lock.
struct QueueSnapshot {
  std::string arn;
  std::optional<QueueKms> kms;  // SSE-KMS
  bool fifo = false;
  bool content_dedup = false;
  std::int64_t max_size = kMaxMessageSizeLimit;
  std::int64_t delay = 0;
};

QueueSnapshot Snapshot(Queue& q) {
  MutexLock lock(q.mu);
  return QueueSnapshot{.arn = q.arn,
                       .kms = KmsOf(q),
                       .fifo = q.fifo,
                       .content_dedup = q.BoolAttribute("ContentBasedDeduplication"),
                       .max_size = q.IntAttribute("MaximumMessageSize"),
                       .delay = q.IntAttribute("DelaySeconds")};
}

std::string SenderId(const RequestContext& ctx) {
  const iam::Principal& p = ctx.principal;
  if (p.is_root || p.user_id.empty()) return p.account_id;
  return p.user_id;
}

// Builds the message an entry (SendMessage's input, or one SendMessageBatch entry) describes.
Result<Message> Prepare(Env& env, const RequestContext& ctx, const QueueSnapshot& qs, const json::object& e) {
  Message m;
  std::optional<std::string> body = GetString(e, "MessageBody");
  if (!body || body->empty()) return MakeError(errors::kMissingParameter, {"MessageBody"});
  if (!ValidMessageText(*body)) return MakeError(errors::kInvalidMessageContents);
  m.body = std::move(*body);
  CENOTE_ASSIGN_OR_RETURN(m.attributes, ReadAttributes(GetObject(e, "MessageAttributes"), false));
  CENOTE_ASSIGN_OR_RETURN(MessageAttributes sys,
                          ReadAttributes(GetObject(e, "MessageSystemAttributes"), true));
  if (auto it = sys.find("AWSTraceHeader"); it != sys.end()) m.trace_header = it->second.value;
  std::size_t size = m.body.size();
  for (const auto& [name, a] : m.attributes) size += name.size() + a.data_type.size() + a.value.size();
  if (static_cast<std::int64_t>(size) > qs.max_size) {
    return MakeError(errors::kMessageTooLong, {std::to_string(qs.max_size)});
  }
  std::optional<std::int64_t> delay = GetInt(e, "DelaySeconds");
  if (delay && (*delay < 0 || *delay > 900)) {
    return MakeError(errors::kInvalidParameterValue,
                     {std::to_string(*delay), "DelaySeconds", "DelaySeconds must be >= 0 and <= 900."});
  }
  std::optional<std::string> group = GetString(e, "MessageGroupId");
  std::optional<std::string> dedup = GetString(e, "MessageDeduplicationId");
  auto check_id = [](const std::string& v, const char* param) -> Status {
    bool ok = !v.empty() && v.size() <= 128;
    for (char c : v) ok = ok && c >= 0x21 && c <= 0x7E;  // alphanumerics and punctuation
    if (!ok) {
      return MakeError(errors::kInvalidParameterValue,
                       {v, param,
                        std::string(param) + " can only include alphanumeric and punctuation characters. "
                                             "1 to 128 in length."});
    }
    return Status::Ok();
  };
  if (qs.fifo) {
    // FIFO queues take no per-message delay (the queue's applies).
    if (delay && *delay != 0) {
      return MakeError(errors::kNotForQueueType, {std::to_string(*delay), "DelaySeconds"});
    }
    if (!group) return MakeError(errors::kMissingParameter, {"MessageGroupId"});
    CENOTE_RETURN_IF_ERROR(check_id(*group, "MessageGroupId"));
    if (dedup) {
      CENOTE_RETURN_IF_ERROR(check_id(*dedup, "MessageDeduplicationId"));
    } else if (qs.content_dedup) {
      dedup = Sha256Hex(m.body);
    } else {
      return MakeError(errors::kNoDeduplicationId);
    }
    m.group_id = std::move(*group);
    m.dedup_id = std::move(*dedup);
  } else {
    if (dedup) return MakeError(errors::kNotForQueueType, {*dedup, "MessageDeduplicationId"});
    // Standard queues accept a MessageGroupId (fair queues) and report it back.
    if (group) {
      CENOTE_RETURN_IF_ERROR(check_id(*group, "MessageGroupId"));
      m.group_id = std::move(*group);
    }
  }
  m.message_id = NewUuidV4();
  m.sender_id = SenderId(ctx);
  m.sent_ms = env.Now();
  m.visible_at_ms = m.sent_ms + 1000 * (delay ? *delay : qs.delay);
  m.md5_body = Md5Hex(m.body);
  m.md5_attributes = AttributesMd5(m.attributes);
  if (!m.trace_header.empty()) {
    MessageAttributes s;
    s["AWSTraceHeader"] = MessageAttribute{.data_type = "String", .binary = false, .value = m.trace_header};
    m.md5_system = AttributesMd5(s);
  }
  return m;
}

// SSE-KMS: seals the prepared messages' bodies under the sender's data key for the queue.
Status Seal(Env& env, const RequestContext& ctx, const QueueSnapshot& qs, std::vector<Message>& messages) {
  if (!qs.kms || messages.empty()) return Status::Ok();
  CENOTE_ASSIGN_OR_RETURN(BodySealer sealer, SealerFor(env, ctx, qs.arn, *qs.kms));
  for (Message& m : messages) {
    CENOTE_ASSIGN_OR_RETURN(std::string sealed, SealBody(sealer, qs.arn, m.body));
    m.body = std::move(sealed);
    m.sealed = true;
  }
  return Status::Ok();
}

struct Sent {
  std::string message_id;
  std::uint64_t seq = 0;
};

Error StoreError(Error e) {
  // The journal vanished under the send: the queue was deleted meanwhile.
  if (e.code == "NoSuchLog") return MakeError(errors::kQueueDoesNotExist);
  return e;
}

// Sends prepared messages (validated) to `q`: FIFO deduplication, one journal append for all of them,
// then they become receivable. The result per message is its id and sequence (a duplicate's are the
// first send's, as AWS answers).
Result<std::vector<Sent>> Deliver(Env& env, Queue& q, std::vector<Message> messages) {
  std::vector<Sent> out(messages.size());
  std::unique_ptr<MutexLock> send_lock;
  if (q.fifo) send_lock = std::make_unique<MutexLock>(q.send_mu);
  std::vector<std::size_t> fresh;  // indexes of messages to append
  {
    MutexLock lock(q.mu);
    if (q.deleted) return MakeError(errors::kQueueDoesNotExist);
    std::map<std::string, std::size_t> in_batch;
    std::int64_t now = env.Now();
    if (q.fifo) q.ExpireDedup(now);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (q.fifo) {
        std::string key = q.DedupKey(messages[i].group_id, messages[i].dedup_id);
        if (auto d = q.dedup.find(key); d != q.dedup.end()) {
          out[i] = Sent{d->second.message_id, d->second.seq};
          continue;
        }
        if (auto b = in_batch.find(key); b != in_batch.end()) {
          out[i].seq = ~0ull - b->second;  // resolved below to the first entry's
          continue;
        }
        in_batch.emplace(key, i);
      }
      fresh.push_back(i);
    }
  }
  if (!fresh.empty()) {
    std::vector<std::string> records;
    records.reserve(fresh.size());
    for (std::size_t i : fresh) records.push_back(EncodeSend(messages[i]));
    std::int64_t appended_at = env.Now();  // the records' arrival is at least this
    Result<std::vector<std::uint64_t>> seqs = env.Append(q, std::move(records));
    if (!seqs) return StoreError(std::move(seqs).error());
    MutexLock lock(q.mu);
    std::int64_t now = env.Now();
    for (std::size_t k = 0; k < fresh.size(); ++k) {
      Message& m = messages[fresh[k]];
      m.seq = (*seqs)[k];
      m.journal_ms = appended_at;
      out[fresh[k]] = Sent{m.message_id, m.seq};
      if (q.fifo) {
        std::string key = q.DedupKey(m.group_id, m.dedup_id);
        q.dedup[key] = DedupEntry{m.message_id, m.seq, m.sent_ms + kDedupWindowMs};
        q.dedup_expiry.emplace_back(m.sent_ms + kDedupWindowMs, key);
      }
      if (q.deleted) continue;
      if (m.sealed) q.sealed_head = SealedHead(m.body);
      auto [it, inserted] = q.messages.emplace(m.seq, std::move(m));
      if (inserted) q.Place(it->second, now);
    }
  }
  for (Sent& s : out) {
    if (s.message_id.empty() && s.seq > ~0ull - messages.size()) s = out[~0ull - s.seq];
  }
  q.arrived.SignalAll();
  return out;
}

void AddSendResult(json::object& o, const Queue& q, const Message& m, const Sent& s) {
  o["MessageId"] = s.message_id;
  o["MD5OfMessageBody"] = m.md5_body;
  if (!m.md5_attributes.empty()) o["MD5OfMessageAttributes"] = m.md5_attributes;
  if (!m.md5_system.empty()) o["MD5OfMessageSystemAttributes"] = m.md5_system;
  if (q.fifo) o["SequenceNumber"] = std::to_string(s.seq);
}

bool ValidBatchId(std::string_view id) {
  if (id.empty() || id.size() > 80) return false;
  for (char c : id) {
    if (!IsAsciiAlnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

// The common checks of every batch: at least one and at most ten entries, valid and distinct ids.
Result<const json::array*> BatchEntries(const json::object& p, const char* entry_name) {
  const json::array* entries = GetArray(p, "Entries");
  if (entries == nullptr || entries->empty()) return MakeError(errors::kEmptyBatchRequest, {entry_name});
  if (entries->size() > kMaxBatchEntries) {
    return MakeError(errors::kTooManyEntriesInBatchRequest, {std::to_string(entries->size())});
  }
  std::set<std::string> ids;
  for (const auto& e : *entries) {
    std::string id = e.is_object() ? GetString(e.as_object(), "Id").value_or("") : "";
    if (!ValidBatchId(id)) return MakeError(errors::kInvalidBatchEntryId);
    if (!ids.insert(id).second) return MakeError(errors::kBatchEntryIdsNotDistinct, {id});
  }
  return entries;
}

json::object Failure(const std::string& id, const Error& e) {
  json::object f{{"Id", id}, {"SenderFault", e.sender_fault()}, {"Code", e.code}};
  if (!e.message.empty()) f["Message"] = e.message;
  return f;
}

// The answer of a delete or visibility batch: entries without an error succeeded.
json::object BatchAnswer(const std::vector<std::string>& ids,
                         const std::vector<std::optional<Error>>& results) {
  json::array successful, failed;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (results[i]) {
      failed.push_back(Failure(ids[i], *results[i]));
    } else {
      successful.push_back(json::object{{"Id", ids[i]}});
    }
  }
  return json::object{{"Successful", std::move(successful)}, {"Failed", std::move(failed)}};
}

}  // namespace

Result<OperationOutput> SendMessage(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  QueueSnapshot qs = Snapshot(*q);
  CENOTE_ASSIGN_OR_RETURN(Message m, Prepare(env, ctx, qs, p));
  Message copy_for_answer;
  copy_for_answer.md5_body = m.md5_body;
  copy_for_answer.md5_attributes = m.md5_attributes;
  copy_for_answer.md5_system = m.md5_system;
  std::vector<Message> batch;
  batch.push_back(std::move(m));
  CENOTE_RETURN_IF_ERROR(Seal(env, ctx, qs, batch));
  CENOTE_ASSIGN_OR_RETURN(auto sent, Deliver(env, *q, std::move(batch)));
  json::object out;
  AddSendResult(out, *q, copy_for_answer, sent[0]);
  return out;
}

Result<OperationOutput> SendMessageBatch(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  CENOTE_ASSIGN_OR_RETURN(const json::array* entries, BatchEntries(p, "SendMessageBatchRequestEntry"));
  QueueSnapshot qs = Snapshot(*q);
  // The whole batch counts against one message's limit (body and attributes of every entry).
  std::int64_t total = 0;
  for (const auto& e : *entries) {
    const json::object& o = e.as_object();
    total += static_cast<std::int64_t>(GetString(o, "MessageBody").value_or("").size());
    if (const json::object* attrs = GetObject(o, "MessageAttributes")) {
      for (const auto& [name, v] : *attrs) {
        total += static_cast<std::int64_t>(name.size());
        if (!v.is_object()) continue;
        total += static_cast<std::int64_t>(GetString(v.as_object(), "DataType").value_or("").size());
        total += static_cast<std::int64_t>(GetString(v.as_object(), "StringValue").value_or("").size());
        total += static_cast<std::int64_t>(GetString(v.as_object(), "BinaryValue").value_or("").size());
      }
    }
  }
  if (total > kMaxBatchBytes) {
    return MakeError(errors::kBatchRequestTooLong, {std::to_string(kMaxBatchBytes), std::to_string(total)});
  }
  json::array successful, failed;
  std::vector<Message> ok;
  std::vector<std::string> ok_ids;
  for (const auto& e : *entries) {
    const json::object& o = e.as_object();
    std::string id = GetString(o, "Id").value_or("");
    Result<Message> m = Prepare(env, ctx, qs, o);
    if (!m) {
      failed.push_back(Failure(id, m.error()));
      continue;
    }
    ok.push_back(std::move(m).value());
    ok_ids.push_back(std::move(id));
  }
  std::vector<Message> answers;
  for (const Message& m : ok) {
    Message a;
    a.md5_body = m.md5_body;
    a.md5_attributes = m.md5_attributes;
    a.md5_system = m.md5_system;
    answers.push_back(std::move(a));
  }
  if (!ok.empty()) {
    CENOTE_RETURN_IF_ERROR(Seal(env, ctx, qs, ok));
    CENOTE_ASSIGN_OR_RETURN(auto sent, Deliver(env, *q, std::move(ok)));
    for (std::size_t i = 0; i < sent.size(); ++i) {
      json::object s{{"Id", ok_ids[i]}};
      AddSendResult(s, *q, answers[i], sent[i]);
      successful.push_back(std::move(s));
    }
  }
  return json::object{{"Successful", std::move(successful)}, {"Failed", std::move(failed)}};
}

// ---- receive ----

namespace {

struct ReceiveOptions {
  std::size_t max = 1;
  std::int64_t visibility_s = 0;
  std::set<std::string> system_names;  // "All" included as is
  std::vector<std::string> attribute_names;
};

bool WantsAttribute(const std::vector<std::string>& names, const std::string& name) {
  for (const std::string& n : names) {
    if (n == "All" || n == ".*") return true;
    if (n.size() > 2 && n.ends_with(".*")) {
      if (name.starts_with(std::string_view(n).substr(0, n.size() - 1))) return true;
    } else if (n == name) {
      return true;
    }
  }
  return false;
}

json::object Render(const Queue& q, const Message& m, const ReceiveOptions& o) {
  json::object r{{"MessageId", m.message_id},
                 {"ReceiptHandle", MakeReceiptHandle(q.uid, m.seq, m.receipt_nonce)},
                 {"MD5OfBody", m.md5_body},
                 {"Body", m.body}};
  auto want = [&](const char* n) { return o.system_names.contains("All") || o.system_names.contains(n); };
  json::object attrs;
  if (want("SenderId")) attrs["SenderId"] = m.sender_id;
  if (want("SentTimestamp")) attrs["SentTimestamp"] = std::to_string(m.sent_ms);
  if (want("ApproximateReceiveCount")) attrs["ApproximateReceiveCount"] = std::to_string(m.receive_count);
  if (want("ApproximateFirstReceiveTimestamp"))
    attrs["ApproximateFirstReceiveTimestamp"] = std::to_string(m.first_receive_ms);
  if (q.fifo && want("SequenceNumber")) attrs["SequenceNumber"] = std::to_string(m.seq);
  if (q.fifo && want("MessageDeduplicationId")) attrs["MessageDeduplicationId"] = m.dedup_id;
  if (!m.group_id.empty() && want("MessageGroupId")) attrs["MessageGroupId"] = m.group_id;
  if (!m.trace_header.empty() && want("AWSTraceHeader")) attrs["AWSTraceHeader"] = m.trace_header;
  if (!m.dead_letter_source_arn.empty() && want("DeadLetterQueueSourceArn"))
    attrs["DeadLetterQueueSourceArn"] = m.dead_letter_source_arn;
  if (!attrs.empty()) r["Attributes"] = std::move(attrs);
  // The MD5 covers the attributes returned, which the SDKs recompute from the answer.
  MessageAttributes returned;
  for (const auto& [name, a] : m.attributes) {
    if (WantsAttribute(o.attribute_names, name)) returned.emplace(name, a);
  }
  if (!returned.empty()) {
    json::object ma;
    for (const auto& [name, a] : returned) {
      json::object v{{"DataType", a.data_type}};
      v[a.binary ? "BinaryValue" : "StringValue"] = a.value;
      ma[name] = std::move(v);
    }
    r["MessageAttributes"] = std::move(ma);
    r["MD5OfMessageAttributes"] = AttributesMd5(returned);
  }
  return r;
}

struct Redrive {
  std::shared_ptr<Queue> dlq;
  std::int64_t max_receive_count = 0;
};

Redrive ReadRedrive(Env& env, Queue& q) {
  std::pair<std::string, std::int64_t> target;
  {
    MutexLock lock(q.mu);
    target = q.RedriveTarget();
  }
  if (target.first.empty()) return {};
  Redrive r;
  r.max_receive_count = target.second;
  r.dlq = env.FindByArn(target.first);
  if (r.dlq.get() == &q) r.dlq.reset();
  return r;
}

}  // namespace

Result<OperationOutput> ReceiveMessage(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  ReceiveOptions o;
  std::optional<std::int64_t> max = GetInt(p, "MaxNumberOfMessages");
  if (max && (*max < 1 || *max > 10)) {
    return MakeError(errors::kInvalidParameterValue,
                     {std::to_string(*max), "MaxNumberOfMessages", "Must be between 1 and 10, if provided."});
  }
  o.max = static_cast<std::size_t>(max.value_or(1));
  std::optional<std::int64_t> vis = GetInt(p, "VisibilityTimeout");
  if (vis && (*vis < 0 || *vis > kMaxVisibilityTimeout)) {
    return MakeError(errors::kInvalidParameterValue,
                     {std::to_string(*vis), "VisibilityTimeout", "Must be >= 0 and <= 43200, if provided."});
  }
  std::optional<std::int64_t> wait = GetInt(p, "WaitTimeSeconds");
  if (wait && (*wait < 0 || *wait > 20)) {
    return MakeError(errors::kInvalidParameterValue,
                     {std::to_string(*wait), "WaitTimeSeconds", "Must be >= 0 and <= 20, if provided."});
  }
  for (const char* member : {"AttributeNames", "MessageSystemAttributeNames"}) {
    if (const json::array* names = GetArray(p, member)) {
      for (const auto& n : *names) {
        if (n.is_string()) o.system_names.emplace(n.as_string());
      }
    }
  }
  if (const json::array* names = GetArray(p, "MessageAttributeNames")) {
    for (const auto& n : *names) {
      if (n.is_string()) o.attribute_names.emplace_back(n.as_string());
    }
  }
  {
    MutexLock lock(q->mu);
    o.visibility_s = vis.value_or(q->IntAttribute("VisibilityTimeout"));
    if (!wait) wait = q->IntAttribute("ReceiveMessageWaitTimeSeconds");
  }
  std::string attempt_id = GetString(p, "ReceiveRequestAttemptId").value_or("");
  if (!q->fifo) attempt_id.clear();  // standard queues ignore it (AWS)
  Redrive redrive = ReadRedrive(env, *q);
  // SSE-KMS: a receiver that may not Decrypt the queue's data keys is refused before any message goes in
  // flight for it; each sealed body is then opened with its Decrypt (cached per data key).
  std::string sealed_head;
  {
    MutexLock lock(q->mu);
    sealed_head = q->sealed_head;
  }
  if (!sealed_head.empty()) CENOTE_RETURN_IF_ERROR(CheckDecrypt(env, ctx, sealed_head));
  auto open_bodies = [&](json::array& rendered, const std::vector<bool>& sealed) -> Status {
    for (std::size_t i = 0; i < rendered.size() && i < sealed.size(); ++i) {
      if (!sealed[i]) continue;
      json::value& body = rendered[i].as_object()["Body"];
      CENOTE_ASSIGN_OR_RETURN(std::string plain, OpenBody(env, ctx, body.as_string()));
      body = plain;
    }
    return Status::Ok();
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(*wait);
  bool waiting = false;  // counted in env.waiting_receives
  struct WaitCount {
    Env& env;
    bool& waiting;
    ~WaitCount() {
      if (waiting) env.waiting_receives.fetch_sub(1);
    }
  } wait_count{env, waiting};

  for (;;) {
    std::vector<ReceiveEntry> entries;
    json::array rendered;
    std::vector<bool> rendered_sealed;
    std::vector<Message> to_dlq;
    {
      MutexLock lock(q->mu);
      if (q->deleted) return MakeError(errors::kQueueDoesNotExist);
      std::int64_t now = env.Now();
      q->Promote(now);
      if (!attempt_id.empty()) {
        // A retried FIFO receive gets what the first attempt got, while all of it is still in flight under
        // it.
        for (auto it = q->attempts.begin(); it != q->attempts.end();) {
          it = it->second.expires_ms <= now ? q->attempts.erase(it) : std::next(it);
        }
        if (auto a = q->attempts.find(attempt_id); a != q->attempts.end()) {
          json::array again;
          std::vector<bool> again_sealed;
          for (const auto& [seq, nonce] : a->second.messages) {
            auto m = q->messages.find(seq);
            if (m == q->messages.end() || m->second.receipt_nonce != nonce ||
                m->second.state != MessageState::kInflight) {
              again.clear();
              break;
            }
            again.push_back(Render(*q, m->second, o));
            again_sealed.push_back(m->second.sealed);
          }
          if (!again.empty()) {
            lock.Unlock();
            CENOTE_RETURN_IF_ERROR(open_bodies(again, again_sealed));
            return json::object{{"Messages", std::move(again)}};
          }
          q->attempts.erase(a);
        }
      }
      if (q->inflight >= (q->fifo ? kMaxInflightFifo : kMaxInflightStandard) && !q->ready.empty()) {
        return MakeError(errors::kOverLimit, {"Too many messages in flight."});
      }
      // Pick first, then change: a message made visible again (VisibilityTimeout 0) must not be picked twice.
      std::vector<std::uint64_t> picked;
      std::set<std::string> taking_groups;
      std::int64_t retention_ms = q->IntAttribute("MessageRetentionPeriod") * 1000;
      std::vector<std::uint64_t> expired;
      for (std::uint64_t seq : q->ready) {
        if (picked.size() >= o.max) break;
        Message& m = q->messages.at(seq);
        if (m.sent_ms + retention_ms <= now) {
          expired.push_back(seq);
          continue;
        }
        if (q->fifo && q->group_inflight.contains(m.group_id) && !taking_groups.contains(m.group_id))
          continue;
        if (redrive.dlq && redrive.max_receive_count > 0 && m.receive_count >= redrive.max_receive_count) {
          to_dlq.push_back(m);
          continue;
        }
        if (q->fifo) taking_groups.insert(m.group_id);
        picked.push_back(seq);
      }
      for (std::uint64_t seq : expired) q->Erase(seq);
      for (Message& m : to_dlq) m = q->Detach(m.seq);
      for (std::uint64_t seq : picked) {
        Message& m = q->messages.at(seq);
        q->Unplace(m);
        ++m.receive_count;
        if (m.first_receive_ms == 0) m.first_receive_ms = now;
        FillRandom(&m.receipt_nonce, sizeof(m.receipt_nonce));
        m.visible_at_ms = now + o.visibility_s * 1000;
        q->Place(m, now);
        entries.push_back(
            ReceiveEntry{seq, m.receipt_nonce, m.visible_at_ms, m.receive_count, m.first_receive_ms});
        rendered.push_back(Render(*q, m, o));
        rendered_sealed.push_back(m.sealed);
      }
      if (!attempt_id.empty() && !entries.empty()) {
        ReceiveAttempt& a = q->attempts[attempt_id];
        a.expires_ms = now + kDedupWindowMs;
        a.messages.clear();
        for (const ReceiveEntry& e : entries) a.messages.emplace_back(e.seq, e.nonce);
      }
      if (entries.empty() && to_dlq.empty()) {
        auto now_steady = std::chrono::steady_clock::now();
        if (now_steady >= deadline) return json::object{};
        if (!waiting) {
          if (env.waiting_receives.fetch_add(1) >= env.options.max_waiting_receives) {
            env.waiting_receives.fetch_sub(1);
            return json::object{};
          }
          waiting = true;
        }
        // Sleep until a send signals, the wait ends, or the next delayed / in-flight message comes due.
        auto until = deadline;
        if (!q->timed.empty()) {
          auto due = now_steady +
                     std::chrono::milliseconds(std::max<std::int64_t>(1, q->timed.begin()->first - now));
          until = std::min(until, due);
        }
        q->arrived.WaitFor(lock, until - now_steady);
        continue;
      }
    }
    if (!to_dlq.empty()) {
      if (Status st = env.Transfer(*q, *redrive.dlq, std::move(to_dlq), true); !st) {
        spdlog::warn("sqs: queue {}: moving messages to the dead-letter queue failed: {}", q->arn,
                     st.error().message);
      }
    }
    if (entries.empty()) continue;  // everything picked went to the dead-letter queue: look again
    // The receive (new receipt, receive count, visibility) is durable before anyone holds the receipt.
    Result<std::vector<std::uint64_t>> appended = env.Append(*q, {EncodeReceive(entries)});
    if (!appended) return StoreError(std::move(appended).error());
    CENOTE_RETURN_IF_ERROR(open_bodies(rendered, rendered_sealed));
    return json::object{{"Messages", std::move(rendered)}};
  }
}

// ---- delete ----

namespace {

struct HandleTarget {
  std::uint64_t seq = 0;
  std::uint64_t nonce = 0;
};

Result<HandleTarget> ReadHandle(const Queue& q, const std::string& handle) {
  std::optional<ReceiptParts> parts = ParseReceiptHandle(handle);
  if (!parts || parts->queue_uid != q.uid) return MakeError(errors::kReceiptHandleIsInvalid, {handle});
  return HandleTarget{parts->seq, parts->nonce};
}

// Deletes the messages the handles name. A handle whose message is gone (deleted, expired, purged) or was
// received again since (a newer receipt exists) deletes nothing and succeeds, as AWS answers. Returns per
// handle an error or nothing.
Result<std::vector<std::optional<Error>>> DeleteHandles(Env& env, Queue& q,
                                                        const std::vector<std::string>& handles) {
  std::vector<std::optional<Error>> out(handles.size());
  std::vector<Message> taken;
  {
    MutexLock lock(q.mu);
    if (q.deleted) return MakeError(errors::kQueueDoesNotExist);
    for (std::size_t i = 0; i < handles.size(); ++i) {
      Result<HandleTarget> t = ReadHandle(q, handles[i]);
      if (!t) {
        out[i] = t.error();
        continue;
      }
      auto it = q.messages.find(t->seq);
      if (it == q.messages.end() || it->second.receipt_nonce != t->nonce) continue;
      taken.push_back(q.Detach(t->seq));
    }
  }
  if (taken.empty()) return out;
  std::vector<std::uint64_t> seqs;
  for (const Message& m : taken) seqs.push_back(m.seq);
  Result<std::vector<std::uint64_t>> appended = env.Append(q, {EncodeDelete(seqs)});
  if (!appended) {
    // Not durable: the messages stay.
    MutexLock lock(q.mu);
    q.Restore(taken, env.Now());
    return StoreError(std::move(appended).error());
  }
  MutexLock lock(q.mu);
  q.Settle(taken.size());
  return out;
}

}  // namespace

Result<OperationOutput> DeleteMessage(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  std::string handle = GetString(p, "ReceiptHandle").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto results, DeleteHandles(env, *q, {handle}));
  if (results[0]) return *results[0];
  return json::object{};
}

Result<OperationOutput> DeleteMessageBatch(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  CENOTE_ASSIGN_OR_RETURN(const json::array* entries, BatchEntries(p, "DeleteMessageBatchRequestEntry"));
  std::vector<std::string> ids, handles;
  for (const auto& e : *entries) {
    ids.push_back(GetString(e.as_object(), "Id").value_or(""));
    handles.push_back(GetString(e.as_object(), "ReceiptHandle").value_or(""));
  }
  CENOTE_ASSIGN_OR_RETURN(auto results, DeleteHandles(env, *q, handles));
  return BatchAnswer(ids, results);
}

// ---- visibility ----

namespace {

// Changes the visibility of the messages the handles name; per handle an error or nothing.
Result<std::vector<std::optional<Error>>> ChangeVisibility(Env& env, Queue& q,
                                                           const std::vector<std::string>& handles,
                                                           const std::vector<std::int64_t>& timeouts) {
  std::vector<std::optional<Error>> out(handles.size());
  std::vector<std::pair<std::uint64_t, std::int64_t>> changes;
  std::vector<std::pair<std::size_t, HandleTarget>> targets;
  std::int64_t now = env.Now();
  {
    MutexLock lock(q.mu);
    if (q.deleted) return MakeError(errors::kQueueDoesNotExist);
    q.Promote(now);
    for (std::size_t i = 0; i < handles.size(); ++i) {
      if (timeouts[i] < 0 || timeouts[i] > kMaxVisibilityTimeout) {
        out[i] = MakeError(errors::kInvalidParameterValue, {std::to_string(timeouts[i]), "VisibilityTimeout",
                                                            "Must be between 0 and 43200, if provided."});
        continue;
      }
      Result<HandleTarget> t = ReadHandle(q, handles[i]);
      if (!t) {
        out[i] = t.error();
        continue;
      }
      auto it = q.messages.find(t->seq);
      if (it == q.messages.end()) {
        out[i] = MakeError(errors::kReceiptHandleIsInvalid, {handles[i]});
        continue;
      }
      if (it->second.receipt_nonce != t->nonce) {
        out[i] = MakeError(errors::kReceiptHandleExpired, {handles[i]});
        continue;
      }
      if (it->second.state != MessageState::kInflight) {
        out[i] = MakeError(errors::kMessageNotInflight);
        continue;
      }
      changes.emplace_back(t->seq, now + timeouts[i] * 1000);
      targets.emplace_back(i, *t);
    }
  }
  if (changes.empty()) return out;
  CENOTE_ASSIGN_OR_RETURN(auto appended, env.Append(q, {EncodeVisibility(changes)}));
  (void)appended;
  MutexLock lock(q.mu);
  std::int64_t at_apply = env.Now();
  for (std::size_t k = 0; k < changes.size(); ++k) {
    auto it = q.messages.find(changes[k].first);
    // Received again or deleted meanwhile: the newer state wins.
    if (it == q.messages.end() || it->second.receipt_nonce != targets[k].second.nonce) continue;
    q.Unplace(it->second);
    it->second.visible_at_ms = changes[k].second;
    q.Place(it->second, at_apply);
  }
  q.arrived.SignalAll();
  return out;
}

}  // namespace

Result<OperationOutput> ChangeMessageVisibility(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  std::string handle = GetString(p, "ReceiptHandle").value_or("");
  std::int64_t timeout = GetInt(p, "VisibilityTimeout").value_or(0);
  CENOTE_ASSIGN_OR_RETURN(auto results, ChangeVisibility(env, *q, {handle}, {timeout}));
  if (results[0]) return *results[0];
  return json::object{};
}

Result<OperationOutput> ChangeMessageVisibilityBatch(Env& env, const RequestContext& ctx,
                                                     OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  CENOTE_ASSIGN_OR_RETURN(const json::array* entries,
                          BatchEntries(p, "ChangeMessageVisibilityBatchRequestEntry"));
  std::vector<std::string> ids, handles;
  std::vector<std::int64_t> timeouts;
  for (const auto& e : *entries) {
    ids.push_back(GetString(e.as_object(), "Id").value_or(""));
    handles.push_back(GetString(e.as_object(), "ReceiptHandle").value_or(""));
    timeouts.push_back(GetInt(e.as_object(), "VisibilityTimeout").value_or(0));
  }
  CENOTE_ASSIGN_OR_RETURN(auto results, ChangeVisibility(env, *q, handles, timeouts));
  return BatchAnswer(ids, results);
}

}  // namespace cenote::sqs
