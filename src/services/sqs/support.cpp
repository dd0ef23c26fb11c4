// Queue URLs and ARNs, message MD5s, the journal's record format and replay, receipt handles, and the
// per-queue indexes (internal.hpp).
#include <spdlog/spdlog.h>

#include <cstring>

#include "common/checksum.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/sqs/internal.hpp"

namespace cenote::sqs {

// ---- where a queue lives ----

std::string QueueArn(const QueueKey& key) {
  return "arn:aws:sqs:" + key.region + ":" + key.account + ":" + key.name;
}

std::optional<QueueKey> ParseQueueArn(std::string_view arn) {
  std::vector<std::string_view> parts = SplitString(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || !parts[1].starts_with("aws") || parts[2] != "sqs" ||
      parts[3].empty() || parts[4].empty() || parts[5].empty()) {
    return std::nullopt;
  }
  return QueueKey{std::string(parts[4]), std::string(parts[3]), std::string(parts[5])};
}

std::optional<UrlParts> ParseQueueUrl(std::string_view url) {
  // Scheme and host are the client's business (any endpoint that reached us); the path names the queue.
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
    auto slash = url.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    url.remove_prefix(slash);
  }
  if (auto q = url.find_first_of("?#"); q != std::string_view::npos) url = url.substr(0, q);
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  auto last = url.rfind('/');
  if (last == std::string_view::npos || last == 0) return std::nullopt;
  std::string_view name = url.substr(last + 1);
  std::string_view rest = url.substr(0, last);
  auto prev = rest.rfind('/');
  std::string_view account = prev == std::string_view::npos ? rest : rest.substr(prev + 1);
  if (name.empty() || account.size() != 12) return std::nullopt;
  for (char c : account) {
    if (!IsAsciiDigit(c)) return std::nullopt;
  }
  return UrlParts{std::string(account), std::string(name)};
}

std::string QueueUrl(const RequestContext& ctx, const QueueKey& key, std::string_view default_host) {
  std::string host;
  if (ctx.headers != nullptr) {
    if (auto h = ctx.headers->Get("host")) host = std::string(*h);
  }
  if (host.empty()) host = default_host;
  return std::string(ctx.tls ? "https://" : "http://") + host + "/" + key.account + "/" + key.name;
}

// ---- MD5s ----

std::string Md5Hex(std::string_view data) {
  return HexEncode(ComputeChecksum(ChecksumAlgorithm::kMD5, data));
}

namespace {

void PutLength(std::string& out, std::size_t n) {
  auto v = static_cast<std::uint32_t>(n);
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

}  // namespace

std::string AttributesMd5(const MessageAttributes& attributes) {
  if (attributes.empty()) return "";
  std::string buf;
  for (const auto& [name, a] : attributes) {  // std::map: sorted by name, byte order, as AWS sorts
    PutLength(buf, name.size());
    buf += name;
    PutLength(buf, a.data_type.size());
    buf += a.data_type;
    buf.push_back(a.binary ? 2 : 1);
    PutLength(buf, a.value.size());
    buf += a.value;
  }
  return Md5Hex(buf);
}

// ---- the journal ----

namespace {

class Writer {
 public:
  explicit Writer(char type) { out_.push_back(type); }
  void U8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(std::uint32_t v) {
    char b[4];
    std::memcpy(b, &v, 4);
    out_.append(b, 4);
  }
  void U64(std::uint64_t v) {
    char b[8];
    std::memcpy(b, &v, 8);
    out_.append(b, 8);
  }
  void I64(std::int64_t v) { U64(static_cast<std::uint64_t>(v)); }
  void Str(std::string_view s) {
    U32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  std::uint8_t U8() {
    if (in_.size() < 1) return Fail();
    auto v = static_cast<std::uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  std::uint32_t U32() {
    if (in_.size() < 4) return Fail();
    std::uint32_t v;
    std::memcpy(&v, in_.data(), 4);
    in_.remove_prefix(4);
    return v;
  }
  std::uint64_t U64() {
    if (in_.size() < 8) return Fail();
    std::uint64_t v;
    std::memcpy(&v, in_.data(), 8);
    in_.remove_prefix(8);
    return v;
  }
  std::int64_t I64() { return static_cast<std::int64_t>(U64()); }
  std::string Str() {
    std::uint32_t n = U32();
    if (!ok_ || in_.size() < n) {
      Fail();
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }

 private:
  std::uint8_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string EncodeSend(const Message& m) {
  Writer w(m.sealed ? 'E' : 'S');
  w.Str(m.message_id);
  w.Str(m.body);
  w.U32(static_cast<std::uint32_t>(m.attributes.size()));
  for (const auto& [name, a] : m.attributes) {
    w.Str(name);
    w.Str(a.data_type);
    w.U8(a.binary ? 1 : 0);
    w.Str(a.value);
  }
  w.Str(m.trace_header);
  w.Str(m.sender_id);
  w.Str(m.group_id);
  w.Str(m.dedup_id);
  w.Str(m.dead_letter_source_arn);
  w.I64(m.sent_ms);
  w.I64(m.visible_at_ms);
  w.I64(m.receive_count);
  w.I64(m.first_receive_ms);
  if (m.sealed) w.Str(m.md5_body);
  return w.Take();
}

std::string EncodeReceive(const std::vector<ReceiveEntry>& entries) {
  Writer w('R');
  w.U32(static_cast<std::uint32_t>(entries.size()));
  for (const ReceiveEntry& e : entries) {
    w.U64(e.seq);
    w.U64(e.nonce);
    w.I64(e.visible_at_ms);
    w.I64(e.receive_count);
    w.I64(e.first_receive_ms);
  }
  return w.Take();
}

std::string EncodeVisibility(const std::vector<std::pair<std::uint64_t, std::int64_t>>& entries) {
  Writer w('V');
  w.U32(static_cast<std::uint32_t>(entries.size()));
  for (const auto& [seq, at] : entries) {
    w.U64(seq);
    w.I64(at);
  }
  return w.Take();
}

std::string EncodeDelete(const std::vector<std::uint64_t>& seqs) {
  Writer w('D');
  w.U32(static_cast<std::uint32_t>(seqs.size()));
  for (std::uint64_t s : seqs) w.U64(s);
  return w.Take();
}

std::string EncodePurge() { return Writer('P').Take(); }

namespace {

std::string MessageMd5System(const Message& m) {
  if (m.trace_header.empty()) return "";
  MessageAttributes sys;
  sys["AWSTraceHeader"] = MessageAttribute{.data_type = "String", .binary = false, .value = m.trace_header};
  return AttributesMd5(sys);
}

bool DecodeSend(std::string_view data, Message& m) {
  Reader r(data.substr(1));
  m.message_id = r.Str();
  m.body = r.Str();
  std::uint32_t n = r.U32();
  for (std::uint32_t i = 0; r.ok() && i < n; ++i) {
    std::string name = r.Str();
    MessageAttribute a;
    a.data_type = r.Str();
    a.binary = r.U8() != 0;
    a.value = r.Str();
    m.attributes.emplace(std::move(name), std::move(a));
  }
  m.trace_header = r.Str();
  m.sender_id = r.Str();
  m.group_id = r.Str();
  m.dedup_id = r.Str();
  m.dead_letter_source_arn = r.Str();
  m.sent_ms = r.I64();
  m.visible_at_ms = r.I64();
  m.receive_count = r.I64();
  m.first_receive_ms = r.I64();
  m.sealed = data[0] == 'E';
  m.md5_body = m.sealed ? r.Str() : Md5Hex(m.body);
  if (!r.ok()) return false;
  m.md5_attributes = AttributesMd5(m.attributes);
  m.md5_system = MessageMd5System(m);
  return true;
}

}  // namespace

Status Replay(Env& env, Queue& q) {
  std::int64_t now = env.Now();
  MutexLock lock(q.mu);
  CENOTE_ASSIGN_OR_RETURN(store::StreamLogBounds bounds, env.log.Bounds(q.LogName()));
  std::uint64_t from = bounds.first_sequence;
  std::size_t bad = 0;
  while (from < bounds.next_sequence) {
    CENOTE_ASSIGN_OR_RETURN(store::StreamReadResult read, env.log.Read(q.LogName(), from, 4096, 32u << 20));
    if (read.records.empty()) break;
    for (store::StreamRecord& rec : read.records) {
      std::string_view d = rec.data;
      if (d.empty()) continue;
      switch (d[0]) {
        case 'S':
        case 'E': {
          Message m;
          if (!DecodeSend(d, m)) {
            ++bad;
            break;
          }
          m.seq = rec.sequence;
          m.journal_ms = rec.arrival_ms;
          if (q.fifo && !m.dedup_id.empty() && m.sent_ms + kDedupWindowMs > now) {
            std::string key = q.DedupKey(m.group_id, m.dedup_id);
            q.dedup[key] = DedupEntry{m.message_id, m.seq, m.sent_ms + kDedupWindowMs};
            q.dedup_expiry.emplace_back(m.sent_ms + kDedupWindowMs, key);
          }
          if (m.sealed) q.sealed_head = SealedHead(m.body);
          q.messages.emplace(m.seq, std::move(m));
          break;
        }
        case 'R': {
          Reader r(d.substr(1));
          std::uint32_t n = r.U32();
          for (std::uint32_t i = 0; r.ok() && i < n; ++i) {
            ReceiveEntry e{r.U64(), r.U64(), r.I64(), r.I64(), r.I64()};
            if (!r.ok()) break;
            auto it = q.messages.find(e.seq);
            if (it == q.messages.end()) continue;
            it->second.receipt_nonce = e.nonce;
            it->second.visible_at_ms = e.visible_at_ms;
            it->second.receive_count = e.receive_count;
            it->second.first_receive_ms = e.first_receive_ms;
          }
          if (!r.ok()) ++bad;
          break;
        }
        case 'V': {
          Reader r(d.substr(1));
          std::uint32_t n = r.U32();
          for (std::uint32_t i = 0; r.ok() && i < n; ++i) {
            std::uint64_t seq = r.U64();
            std::int64_t at = r.I64();
            if (!r.ok()) break;
            if (auto it = q.messages.find(seq); it != q.messages.end()) it->second.visible_at_ms = at;
          }
          if (!r.ok()) ++bad;
          break;
        }
        case 'D': {
          Reader r(d.substr(1));
          std::uint32_t n = r.U32();
          for (std::uint32_t i = 0; r.ok() && i < n; ++i) {
            std::uint64_t seq = r.U64();
            if (r.ok()) q.messages.erase(seq);
          }
          if (!r.ok()) ++bad;
          break;
        }
        case 'P':
          q.messages.erase(q.messages.begin(), q.messages.lower_bound(rec.sequence));
          q.last_purge_ms = rec.arrival_ms;
          break;
        default:
          ++bad;
      }
    }
    from = read.next_sequence;
  }
  if (bad > 0) spdlog::warn("sqs: queue {}: {} unreadable journal records skipped", q.arn, bad);
  // Index what survived; retention is the queue's current period.
  std::int64_t retention_ms = q.IntAttribute("MessageRetentionPeriod") * 1000;
  for (auto it = q.messages.begin(); it != q.messages.end();) {
    if (it->second.sent_ms + retention_ms <= now) {
      it = q.messages.erase(it);
      continue;
    }
    q.Place(it->second, now);
    ++it;
  }
  return Status::Ok();
}

// ---- receipt handles ----

std::string MakeReceiptHandle(const std::string& queue_uid, std::uint64_t seq, std::uint64_t nonce) {
  Writer w('Q');
  w.Str(queue_uid);
  w.U64(seq);
  w.U64(nonce);
  std::string raw = w.Take();
  std::uint32_t crc = Crc32c(0, raw.data(), raw.size());
  raw.append(reinterpret_cast<const char*>(&crc), 4);
  return Base64Encode(raw);
}

std::optional<ReceiptParts> ParseReceiptHandle(std::string_view handle) {
  auto raw = Base64Decode(handle);
  if (!raw || raw->size() < 5 || (*raw)[0] != 'Q') return std::nullopt;
  std::uint32_t crc;
  std::memcpy(&crc, raw->data() + raw->size() - 4, 4);
  if (Crc32c(0, raw->data(), raw->size() - 4) != crc) return std::nullopt;
  Reader r(std::string_view(*raw).substr(1, raw->size() - 5));
  ReceiptParts p;
  p.queue_uid = r.Str();
  p.seq = r.U64();
  p.nonce = r.U64();
  if (!r.ok()) return std::nullopt;
  return p;
}

// ---- queue indexes ----

std::int64_t Queue::IntAttribute(const std::string& name) const {
  auto it = attributes.find(name);
  if (it == attributes.end()) return 0;
  try {
    return std::stoll(it->second);
  } catch (...) {
    return 0;
  }
}

bool Queue::BoolAttribute(const std::string& name) const {
  auto it = attributes.find(name);
  return it != attributes.end() && it->second == "true";
}

void Queue::Place(Message& m, std::int64_t now_ms) {
  if (m.visible_at_ms > now_ms) {
    timed.emplace(m.visible_at_ms, m.seq);
    if (m.receive_count > 0) {
      m.state = MessageState::kInflight;
      ++inflight;
      if (fifo) ++group_inflight[m.group_id];
    } else {
      m.state = MessageState::kDelayed;
      ++delayed;
    }
  } else {
    m.state = MessageState::kReady;
    ready.insert(m.seq);
  }
}

void Queue::Unplace(Message& m) {
  switch (m.state) {
    case MessageState::kReady:
      ready.erase(m.seq);
      break;
    case MessageState::kDelayed:
      timed.erase({m.visible_at_ms, m.seq});
      --delayed;
      break;
    case MessageState::kInflight: {
      timed.erase({m.visible_at_ms, m.seq});
      --inflight;
      if (fifo) {
        auto g = group_inflight.find(m.group_id);
        if (g != group_inflight.end() && --g->second <= 0) group_inflight.erase(g);
      }
      break;
    }
  }
}

void Queue::Promote(std::int64_t now_ms) {
  while (!timed.empty() && timed.begin()->first <= now_ms) {
    std::uint64_t seq = timed.begin()->second;
    auto it = messages.find(seq);
    if (it == messages.end()) {
      timed.erase(timed.begin());
      continue;
    }
    Unplace(it->second);
    Place(it->second, now_ms);
  }
  std::int64_t retention_ms = IntAttribute("MessageRetentionPeriod") * 1000;
  while (!messages.empty() && messages.begin()->second.sent_ms + retention_ms <= now_ms) {
    Erase(messages.begin()->first);
  }
}

void Queue::Erase(std::uint64_t seq) {
  auto it = messages.find(seq);
  if (it == messages.end()) return;
  Unplace(it->second);
  messages.erase(it);
}

Message Queue::Detach(std::uint64_t seq) {
  auto it = messages.find(seq);
  Unplace(it->second);
  Message m = std::move(it->second);
  messages.erase(it);
  ++detached;
  return m;
}

void Queue::Restore(std::vector<Message>& taken, std::int64_t now_ms) {
  Settle(taken.size());
  for (Message& m : taken) {
    std::uint64_t seq = m.seq;
    auto [it, inserted] = messages.emplace(seq, std::move(m));
    if (inserted) Place(it->second, now_ms);
  }
  arrived.SignalAll();
}

void Queue::ExpireDedup(std::int64_t now_ms) {
  while (!dedup_expiry.empty() && dedup_expiry.front().first <= now_ms) {
    auto it = dedup.find(dedup_expiry.front().second);
    if (it != dedup.end() && it->second.expires_ms <= now_ms) dedup.erase(it);
    dedup_expiry.pop_front();
  }
}

std::pair<std::string, std::int64_t> Queue::RedriveTarget() const {
  auto it = attributes.find("RedrivePolicy");
  if (it == attributes.end()) return {};
  boost::system::error_code ec;
  json::value v = json::parse(it->second, ec);
  if (ec || !v.is_object()) return {};
  return {GetString(v.as_object(), "deadLetterTargetArn").value_or(""),
          GetInt(v.as_object(), "maxReceiveCount").value_or(0)};
}

std::string Queue::DedupKey(const std::string& group, const std::string& dedup_id) const {
  auto it = attributes.find("DeduplicationScope");
  if (it != attributes.end() && it->second == "messageGroup") return group + '\n' + dedup_id;
  return dedup_id;
}

// ---- Env ----

std::shared_ptr<Queue> Env::Find(const QueueKey& key) {
  MutexLock lock(mu);
  auto it = queues.find(key);
  return it == queues.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Queue>> Env::SourcesOf(const Queue& dlq) {
  std::vector<std::shared_ptr<Queue>> all;
  {
    MutexLock lock(mu);
    for (const auto& [k, q] : queues) {
      if (k.account == dlq.key.account && k.region == dlq.key.region) all.push_back(q);
    }
  }
  std::vector<std::shared_ptr<Queue>> out;
  for (auto& q : all) {
    MutexLock lock(q->mu);
    if (q->RedriveTarget().first == dlq.arn) out.push_back(q);
  }
  return out;
}

std::shared_ptr<Queue> Env::FindByArn(std::string_view arn) {
  MutexLock lock(mu);
  auto it = by_arn.find(std::string(arn));
  return it == by_arn.end() ? nullptr : it->second;
}

Result<std::shared_ptr<Queue>> Env::FindByUrl(const RequestContext& ctx, std::string_view url) {
  std::optional<UrlParts> parts = ParseQueueUrl(url);
  if (!parts) return MakeError(errors::kQueueDoesNotExist);
  auto q = Find(QueueKey{parts->account, ctx.region, parts->name});
  if (!q) return MakeError(errors::kQueueDoesNotExist);
  return q;
}

Result<std::shared_ptr<Queue>> Env::FindByUrl(const RequestContext& ctx, const json::object& params) {
  std::optional<std::string> url = GetString(params, "QueueUrl");
  if (!url) return MakeError(errors::kMissingParameter, {"QueueUrl"});
  return FindByUrl(ctx, *url);
}

Status Env::SaveQueue(const Queue& q) {
  json::object attrs;
  for (const auto& [k, v] : q.attributes) attrs[k] = v;
  json::object tags;
  for (const auto& [k, v] : q.tags) tags[k] = v;
  json::object doc{
      {"uid", q.uid},        {"fifo", q.fifo}, {"created", q.created_ms}, {"modified", q.modified_ms},
      {"attributes", attrs}, {"tags", tags}};
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO sqs_queues (account, region, name, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (account, region, name) DO UPDATE SET doc = excluded.doc",
                {q.key.account, q.key.region, q.key.name, json::serialize(doc)}));
  return txn->Commit();
}

Result<std::vector<std::uint64_t>> Env::Append(const Queue& q, std::vector<std::string> bodies) {
  std::vector<store::StreamRecordInput> records;
  records.reserve(bodies.size());
  std::int64_t now = Now();
  for (std::string& b : bodies) {
    records.push_back(store::StreamRecordInput{
        .arrival_ms = now, .partition_key = {}, .explicit_hash_key = false, .data = std::move(b)});
  }
  return log.Append(q.LogName(), records);
}

Status Env::Transfer(Queue& from, Queue& to, std::vector<Message> moved, bool to_dead_letter) {
  if (moved.empty()) return Status::Ok();
  std::int64_t now = Now();
  std::vector<std::string> sends;
  std::vector<std::uint64_t> source_seqs;
  std::vector<Message> copies;
  for (const Message& m : moved) {
    Message c;
    c.message_id = m.message_id;
    c.body = m.body;
    c.attributes = m.attributes;
    c.trace_header = m.trace_header;
    c.sender_id = m.sender_id;
    c.group_id = m.group_id;
    c.dedup_id = m.dedup_id;
    c.dead_letter_source_arn = to_dead_letter ? from.arn : "";
    c.sent_ms = m.sent_ms;  // retention counts from the original enqueue time, as AWS does
    c.visible_at_ms = now;
    c.journal_ms = now;
    c.sealed = m.sealed;  // a moved message stays sealed under the key and context it was sent with
    c.md5_body = m.md5_body;
    c.md5_attributes = m.md5_attributes;
    c.md5_system = m.md5_system;
    sends.push_back(EncodeSend(c));
    source_seqs.push_back(m.seq);
    copies.push_back(std::move(c));
  }
  // FIFO targets keep journal order = delivery order (send_mu), as SendMessage does.
  std::unique_ptr<MutexLock> send_lock;
  if (to.fifo) send_lock = std::make_unique<MutexLock>(to.send_mu);
  Result<std::vector<std::uint64_t>> seqs = Append(to, std::move(sends));
  if (!seqs) {
    // Nothing moved: the messages go back where they were.
    MutexLock lock(from.mu);
    from.Restore(moved, now);
    return std::move(seqs).error();
  }
  {
    MutexLock lock(to.mu);
    for (std::size_t i = 0; i < copies.size(); ++i) {
      copies[i].seq = (*seqs)[i];
      auto [it, inserted] = to.messages.emplace(copies[i].seq, std::move(copies[i]));
      if (inserted) to.Place(it->second, now);
    }
    to.arrived.SignalAll();
  }
  send_lock.reset();
  // The copy is durable; now the source forgets them. A crash before this leaves both copies
  // (at-least-once).
  Result<std::vector<std::uint64_t>> del = Append(from, {EncodeDelete(source_seqs)});
  if (!del) {
    // The copies are durable in `to`; the originals would come back in `from` after a restart (a duplicate,
    // which at-least-once allows). Trimming stays off for `from` until then: its send records must stay.
    spdlog::warn("sqs: queue {}: moved messages not journaled as deleted: {}", from.arn, del.error().message);
    return Status::Ok();
  }
  MutexLock lock(from.mu);
  from.Settle(source_seqs.size());
  return Status::Ok();
}

}  // namespace cenote::sqs
