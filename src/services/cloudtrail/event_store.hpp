// EventStore: the durable record of every CloudTrail event, and the index LookupEvents reads.
//
// Storage: one append-only StreamLog ("events", group-committed: concurrent appends share one write and
// one fdatasync), one frame per event: partition key "M" (management) or "D" (data), data = the event's
// JSON. Append returns once the event is durable, so the recorder (an after-hook, which runs before the
// response leaves) never acknowledges a call whose event a kill -9 could lose. Segments older than the
// retention (90 days, AWS's event history) are trimmed whole.
//
// Index: management events by sequence (account, region, time and the LookupEvents attributes), kept in
// memory and rebuilt from the log at Open; the event JSON itself is read back from the log.
//
// Thread safety: every method may be called concurrently; the index has its own mutex.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/mutex.hpp"
#include "common/result.hpp"
#include "store/stream_log.hpp"

namespace cenote::cloudtrail {

// What LookupEvents filters and answers with, per management event.
struct IndexedEvent {
  std::uint64_t sequence = 0;
  std::int64_t time_ms = 0;
  std::string account;  // recipientAccountId
  std::string region;   // awsRegion
  std::string event_id;
  std::string event_name;
  std::string event_source;
  std::string username;
  std::string access_key_id;
  bool read_only = false;
  std::vector<std::pair<std::string, std::string>> resources;  // (type, name)
};

// One LookupEvents question.
struct LookupQuery {
  std::string account;
  std::string region;
  std::string attribute_key;  // "" for none; else EventId, EventName, ReadOnly, Username, ResourceType,
                              // ResourceName, EventSource, AccessKeyId
  std::string attribute_value;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::size_t max_results = 50;
  std::optional<std::uint64_t> below_sequence;  // pagination: only events older than this
};

struct LookupAnswer {
  std::vector<std::pair<IndexedEvent, std::string>> events;  // newest first, with the record's JSON
  std::optional<std::uint64_t> next_below;                   // more to read below this sequence
};

// One stored event as delivery reads it.
struct StoredEvent {
  std::uint64_t sequence = 0;
  bool management = false;
  std::string json;
};

class EventStore {
 public:
  static constexpr std::int64_t kRetentionMs = 90LL * 24 * 3600 * 1000;

  // Opens (creating) the log "events" in `log` and indexes the management events of the last 90 days.
  static Result<std::unique_ptr<EventStore>> Open(store::StreamLog& log, std::function<std::int64_t()> clock);

  // Appends one event (its JSON) durably, then indexes it when it is a management event.
  Status Append(const boost::json::object& event, bool management);

  // Management events of one account and region, newest first, within [start, end], filtered by at most one
  // attribute.
  Result<LookupAnswer> Lookup(const LookupQuery& query);

  // Events with sequence >= from, oldest first, at most about `max_bytes` of JSON.
  Result<std::vector<StoredEvent>> ReadFrom(std::uint64_t from, std::size_t max_records,
                                            std::size_t max_bytes);
  // One past the newest durable event.
  Result<std::uint64_t> NextSequence();

  // Drops events older than the retention from the index and the log's expired segments.
  Status Trim();

 private:
  EventStore(store::StreamLog& log, std::function<std::int64_t()> clock)
      : log_(log), clock_(std::move(clock)) {}

  store::StreamLog& log_;
  std::function<std::int64_t()> clock_;
  Mutex mu_;
  std::map<std::uint64_t, IndexedEvent> index_ GUARDED_BY(mu_);
};

// The LookupEvents attributes of an event record (exposed for tests).
IndexedEvent IndexOf(std::uint64_t sequence, const boost::json::object& event);

}  // namespace cenote::cloudtrail
