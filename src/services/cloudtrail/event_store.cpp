#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"  // GCC bug 105329
#endif

#include "services/cloudtrail/event_store.hpp"

#include <spdlog/spdlog.h>

#include "services/common/params.hpp"

namespace cenote::cloudtrail {

namespace json = boost::json;

namespace {

constexpr const char* kLogName = "events";

std::string Str(const json::object& o, std::string_view name) {
  return services::GetString(o, name).value_or("");
}

// The name event history shows for a resource: S3's bucket (or bucket/key), else the ARN.
std::string ResourceNameOf(std::string_view arn) {
  if (arn.starts_with("arn:aws:s3:::")) return std::string(arn.substr(13));
  return std::string(arn);
}

}  // namespace

IndexedEvent IndexOf(std::uint64_t sequence, const json::object& event) {
  IndexedEvent e;
  e.sequence = sequence;
  e.account = Str(event, "recipientAccountId");
  e.region = Str(event, "awsRegion");
  e.event_id = Str(event, "eventID");
  e.event_name = Str(event, "eventName");
  e.event_source = Str(event, "eventSource");
  e.read_only = services::GetBool(event, "readOnly").value_or(false);
  if (const auto* id = services::GetObject(event, "userIdentity")) {
    e.access_key_id = Str(*id, "accessKeyId");
    const std::string type = Str(*id, "type");
    if (type == "Root") {
      e.username = "root";
    } else if (type == "IAMUser") {
      e.username = Str(*id, "userName");
    } else if (type == "AssumedRole" || type == "FederatedUser") {
      std::string arn = Str(*id, "arn");
      e.username = arn.substr(arn.rfind('/') + 1);
    } else if (type == "AWSService") {
      e.username = Str(*id, "invokedBy");
    }
  }
  if (const auto* resources = services::GetArray(event, "resources")) {
    for (const auto& r : *resources) {
      if (!r.is_object()) continue;
      e.resources.emplace_back(Str(r.as_object(), "type"), ResourceNameOf(Str(r.as_object(), "ARN")));
    }
  }
  return e;
}

Result<std::unique_ptr<EventStore>> EventStore::Open(store::StreamLog& log,
                                                     std::function<std::int64_t()> clock) {
  CENOTE_RETURN_IF_ERROR(log.CreateLog(kLogName, 1));
  std::unique_ptr<EventStore> store(new EventStore(log, std::move(clock)));
  const std::int64_t cutoff = store->clock_() - kRetentionMs;
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t from, log.SeekTimestamp(kLogName, cutoff));
  std::size_t indexed = 0;
  for (;;) {
    CENOTE_ASSIGN_OR_RETURN(auto read, log.Read(kLogName, from, 4096, 16 << 20));
    if (read.records.empty()) break;
    for (const auto& record : read.records) {
      if (record.partition_key != "M") continue;
      boost::system::error_code ec;
      json::value v = json::parse(record.data, ec);
      if (ec || !v.is_object()) continue;
      MutexLock lock(store->mu_);
      IndexedEvent e = IndexOf(record.sequence, v.as_object());
      e.time_ms = record.arrival_ms;
      store->index_.emplace(record.sequence, std::move(e));
      ++indexed;
    }
    from = read.next_sequence;
  }
  if (indexed > 0) spdlog::info("cloudtrail: {} management events in the event history", indexed);
  return store;
}

Status EventStore::Append(const json::object& event, bool management) {
  store::StreamRecordInput in;
  in.arrival_ms = clock_();
  in.partition_key = management ? "M" : "D";
  in.data = json::serialize(event);
  // Blocks until the record is durable: concurrent callers are group-committed by the log.
  CENOTE_ASSIGN_OR_RETURN(auto sequences, log_.Append(kLogName, {in}));
  if (management && !sequences.empty()) {
    IndexedEvent e = IndexOf(sequences.front(), event);
    e.time_ms = in.arrival_ms;
    MutexLock lock(mu_);
    index_.emplace(sequences.front(), std::move(e));
  }
  return Status::Ok();
}

Result<LookupAnswer> EventStore::Lookup(const LookupQuery& q) {
  auto matches = [&q](const IndexedEvent& e) {
    if (e.account != q.account || e.region != q.region) return false;
    if (e.time_ms < q.start_ms || e.time_ms > q.end_ms) return false;
    const std::string& v = q.attribute_value;
    if (q.attribute_key.empty()) return true;
    if (q.attribute_key == "EventId") return e.event_id == v;
    if (q.attribute_key == "EventName") return e.event_name == v;
    if (q.attribute_key == "ReadOnly") return (e.read_only ? "true" : "false") == v;
    if (q.attribute_key == "Username") return e.username == v;
    if (q.attribute_key == "EventSource") return e.event_source == v;
    if (q.attribute_key == "AccessKeyId") return e.access_key_id == v;
    for (const auto& [type, name] : e.resources) {
      if (q.attribute_key == "ResourceType" && type == v) return true;
      if (q.attribute_key == "ResourceName" &&
          (name == v || "arn:aws:s3:::" + name == v || name.substr(name.rfind('/') + 1) == v)) {
        return true;
      }
    }
    return false;
  };
  std::vector<IndexedEvent> found;
  std::optional<std::uint64_t> next;
  {
    MutexLock lock(mu_);
    auto it = q.below_sequence ? index_.lower_bound(*q.below_sequence) : index_.end();
    while (it != index_.begin()) {
      --it;
      if (!matches(it->second)) continue;
      if (found.size() == q.max_results) {
        next = found.back().sequence;
        break;
      }
      found.push_back(it->second);
    }
  }
  LookupAnswer answer;
  answer.next_below = next;
  for (auto& e : found) {
    CENOTE_ASSIGN_OR_RETURN(auto read, log_.Read(kLogName, e.sequence, 1, 1));
    // Trimmed meanwhile (past the retention): the event is gone.
    if (read.records.empty() || read.records.front().sequence != e.sequence) continue;
    answer.events.emplace_back(std::move(e), std::move(read.records.front().data));
  }
  return answer;
}

Result<std::vector<StoredEvent>> EventStore::ReadFrom(std::uint64_t from, std::size_t max_records,
                                                      std::size_t max_bytes) {
  CENOTE_ASSIGN_OR_RETURN(auto read, log_.Read(kLogName, from, max_records, max_bytes));
  std::vector<StoredEvent> out;
  out.reserve(read.records.size());
  for (auto& r : read.records) {
    out.push_back(
        StoredEvent{.sequence = r.sequence, .management = r.partition_key == "M", .json = std::move(r.data)});
  }
  return out;
}

Result<std::uint64_t> EventStore::NextSequence() {
  CENOTE_ASSIGN_OR_RETURN(auto bounds, log_.Bounds(kLogName));
  return bounds.next_sequence;
}

Status EventStore::Trim() {
  const std::int64_t cutoff = clock_() - kRetentionMs;
  {
    MutexLock lock(mu_);
    while (!index_.empty() && index_.begin()->second.time_ms < cutoff) index_.erase(index_.begin());
  }
  return Status::FromResult(log_.Trim(kLogName, cutoff));
}

}  // namespace cenote::cloudtrail
