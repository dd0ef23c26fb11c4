// EventStore: the durable record of every CloudTrail event, and the index LookupEvents reads.
//
// Storage: one append-only StreamLog ("events"; one frame per event: partition key "M" (management) or "D"
// (data), data = the event's JSON), fed by a journal that makes each event safe before its call is answered:
//
//   Append (the recorder, before the response leaves): frame -> copy into the mapped journal file -> queue ->
//     return (SyncMode::kBatched), or wait until the mover has the event fsynced in the log (kAlways).
//   Mover (one thread): takes every queued event -> one StreamLog append (one write + one fdatasync for the
//     whole batch: group commit across every concurrent caller) -> indexes it -> wakes kAlways waiters; once
//     the queue is empty and the journal is large, starts a new journal file and removes the old one.
//   Open (after a crash): every journal file's events that the log does not hold (by eventID, from the log
//     position the journal's header names) are appended to the log, then the journals are removed.
//
// So an answered call's event survives kill -9 in both modes (the journal's pages are the kernel's page cache,
// written back whatever becomes of the process), and power loss too in kAlways; in kBatched a power cut can lose the events of the last
// group commit (a few milliseconds). kBatched keeps recording off the request's critical path: fdatasync
// costs 1-4 ms on a busy disk, which no small GET can wait for. Segments older than the retention (90 days,
// AWS's event history) are trimmed whole.
//
// Index: management events by sequence (account, region, time and the LookupEvents attributes), kept in
// memory and rebuilt from the log at Open; the event JSON itself is read back from the log. Lookup and
// ReadFrom first wait for the mover, so they see every event appended before they were called.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
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

enum class SyncMode {
  kBatched,  // Append returns once the event is written to the journal (survives kill -9)
  kAlways,   // Append returns once the event is fsynced in the log (survives power loss)
};

class EventStore {
 public:
  static constexpr std::int64_t kRetentionMs = 90LL * 24 * 3600 * 1000;

  // Opens (creating) the log "events" in `log`, replays the journals under `journal_dir` (created if
  // missing) into it, indexes the management events of the last 90 days and starts the mover.
  static Result<std::unique_ptr<EventStore>> Open(store::StreamLog& log, const std::string& journal_dir,
                                                  std::function<std::int64_t()> clock, SyncMode mode);
  ~EventStore();  // drains the queue into the log, stops the mover

  // Records one event (its JSON); see the header comment for when it returns. An error (the journal cannot
  // be written) means the event is not recorded.
  Status Append(const boost::json::object& event, bool management);
  // Waits until every event appended before the call is in the log and the index.
  void Flush();

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
  struct Pending {
    store::StreamRecordInput record;
    bool management = false;
  };
  EventStore(store::StreamLog& log, std::string journal_dir, std::function<std::int64_t()> clock,
             SyncMode mode)
      : log_(log), journal_dir_(std::move(journal_dir)), clock_(std::move(clock)), mode_(mode) {}
  Status Recover();
  Status OpenJournal(std::uint64_t number) EXCLUSIVE_LOCKS_REQUIRED(queue_mu_);
  void Move();
  void IndexRecord(std::uint64_t sequence, const std::string& json, std::int64_t arrival_ms);

  store::StreamLog& log_;
  const std::string journal_dir_;
  std::function<std::int64_t()> clock_;
  const SyncMode mode_;

  Mutex mu_;  // the index; a leaf
  std::map<std::uint64_t, IndexedEvent> index_ GUARDED_BY(mu_);

  Mutex queue_mu_;               // the journal and the queue
  CondVar queue_cv_{queue_mu_};  // the mover waits for events or stop
  CondVar moved_cv_{queue_mu_};  // Append (kAlways) and Flush wait for `moved_`
  std::vector<Pending> queue_ GUARDED_BY(queue_mu_);
  std::uint64_t enqueued_ GUARDED_BY(queue_mu_) = 0;  // events ever queued
  std::uint64_t moved_ GUARDED_BY(queue_mu_) = 0;     // events ever appended to the log
  int journal_fd_ GUARDED_BY(queue_mu_) = -1;
  char* journal_map_ GUARDED_BY(queue_mu_) = nullptr;  // the current journal, mapped
  // Earlier journals and the count of events queued when each ended: removed once `moved_` reaches it.
  std::vector<std::pair<std::uint64_t, std::string>> old_journals_ GUARDED_BY(queue_mu_);
  std::uint64_t journal_number_ GUARDED_BY(queue_mu_) = 0;
  std::uint64_t journal_bytes_ GUARDED_BY(queue_mu_) = 0;
  bool stop_ GUARDED_BY(queue_mu_) = false;
  bool mover_idle_ GUARDED_BY(queue_mu_) = false;    // waiting for events (not for its interval)
  bool flush_wanted_ GUARDED_BY(queue_mu_) = false;  // a Flush() waits: commit without waiting out the interval
  std::thread mover_;
};

// The LookupEvents attributes of an event record (exposed for tests).
IndexedEvent IndexOf(std::uint64_t sequence, const boost::json::object& event);

}  // namespace cenote::cloudtrail
