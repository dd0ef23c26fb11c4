// EventStore: the durable record of every CloudTrail event, and the index LookupEvents reads.
//
// Storage: an append-only log of segment files under one directory (events-<first sequence, 20 digits>.log,
// each zero-filled to kSegmentBytes when made, so appends overwrite allocated blocks in place). Recording an
// event is a write into the page cache, grouped with the concurrent ones (group write):
//
//   Append (the recorder, before the response leaves): frame (outside the lock) -> under the lock: sequence,
//     offset and CRC reserved, frame queued -> if no write is in progress the caller becomes the writer: it
//     takes every queued frame, writes them with one pwritev (lock released), publishes them (index, readers'
//     view, the contiguous watermark `published_`), wakes their callers and hands the writer's role to the
//     oldest caller queued meanwhile -> return (SyncMode::kBatched), or wait for the syncer to have it on
//     disk (kAlways). A caller whose frame another writer takes sleeps on its own futex word until it is
//     written (no shared condition variable: one wake per caller, none for the others).
//   Syncer (one thread): every 20 ms while there is something new (kAlways: at once), fdatasync of the
//     segments written (and of the directory after a rollover): one flush for every event recorded meanwhile
//     (group commit), then wakes kAlways waiters. It also prepares the next segment (zero-filled, flushed)
//     while the active one fills, so a rollover is a rename, not 4 MiB written under the lock.
//
// Frames are written in sequence order by one writer at a time, and a caller returns only once every frame
// up to its own is written (the writer publishes a whole batch, batches are taken in order): so the log is
// always a prefix of complete frames plus at most one torn batch that no caller was answered for, which is
// what recovery expects (it cuts at the first torn or zero frame).
//
// (The segments are not mapped: the writeback of a mapped file write-protects its dirty pages, one TLB
// shootdown across every thread of the process per flush, which cost more than the pwrite per event. They
// are zero-filled with 4 KiB writes: a 1 MiB write makes the page cache hold the file in large folios, and
// every small append into a large folio then walks all of its buffer heads (ext4_block_write_begin and
// block_commit_write: 2x the CPU per append, measured), and writeback writes the whole folio.)
//
// So an answered call's event survives kill -9 in both modes (the written pages are the kernel's page cache,
// written back whatever becomes of the process), and power loss too in kAlways; in kBatched a power
// cut can lose the last 20 ms of events. kBatched keeps recording off the request's critical path: an
// fdatasync costs 1-4 ms on a busy disk, which no small GET can wait for. A failed write (EIO: the blocks
// are allocated, so no ENOSPC) stops recording until a restart: every Append then returns the error.
//
// Frames: u32 length | u32 CRC32C(body) | body = u64 sequence | i64 arrival ms | u8 'M' (management) or 'D'
// (data) | u16 routing length | routing | the event's JSON (little-endian). A segment's frames end at a zero
// length (the preallocated, zero-filled rest). At Open every segment is scanned; the last one is cut at its
// first torn or corrupt frame (an Append that a kill interrupted was never answered) and becomes the active
// one. Segments whose newest event is older than the retention (90 days, AWS's event history) are removed
// whole.
//
// Index: management events by sequence (account, region, time and the LookupEvents attributes), in memory,
// rebuilt at Open; event JSON is read back from the segment files.
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
  std::uint32_t offset = 0;                                    // of its frame in its segment
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
  std::string routing;  // what Append was given
  std::string json;
};

// A stored event seen in place (EventStore::ForEachFrom): the views last only for the callback.
struct StoredEventView {
  std::uint64_t sequence = 0;
  bool management = false;
  std::string_view routing;
  std::string_view json;
};

enum class SyncMode {
  kBatched,  // Append returns once the event is written into the page cache (survives kill -9)
  kAlways,   // Append returns once the event is flushed to disk (survives power loss)
};

class EventStore {
 public:
  static constexpr std::int64_t kRetentionMs = 90LL * 24 * 3600 * 1000;
  // Each segment is preallocated whole: 4 MiB keeps a small data directory small (a server records its own
  // calls from the first request) while rolling over rarely (thousands of events per segment).
  static constexpr std::size_t kSegmentBytes = 4 << 20;

  // Opens (creating) the log under `dir`, recovers and indexes it and starts the syncer.
  static Result<std::unique_ptr<EventStore>> Open(const std::string& dir, std::function<std::int64_t()> clock,
                                                  SyncMode mode);
  ~EventStore();  // flushes what is written, stops the syncer

  // Records one event (its JSON) with `routing` (what delivery needs without reading the record: the
  // provider's "account \t region \t eventTime \t trail ARNs"); see the header comment for when it returns.
  // An error (a new segment cannot be made, an event larger than a segment) means the event is not recorded.
  Status Append(const boost::json::object& event, bool management, std::string_view routing = {});
  // The same for an event already serialized (`json`: one JSON object); `indexed` carries a management
  // event's LookupEvents attributes (IndexOf), nullptr for a data event.
  Status AppendSerialized(std::string_view json, const IndexedEvent* indexed, std::string_view routing = {});
  // Waits until every event whose Append returned before the call is on disk.
  void Flush();

  // Management events of one account and region, newest first, within [start, end], filtered by at most one
  // attribute.
  Result<LookupAnswer> Lookup(const LookupQuery& query);

  // Events with sequence >= from, oldest first, at most `max_records` and about `max_bytes` of JSON.
  Result<std::vector<StoredEvent>> ReadFrom(std::uint64_t from, std::size_t max_records,
                                            std::size_t max_bytes);
  // The same events handed to `fn` in place, read into a buffer the calling thread keeps (delivery reads
  // megabytes every round: no fresh pages, no copy per event). Stops at `fn`'s first error.
  Status ForEachFrom(std::uint64_t from, std::size_t max_records, std::size_t max_bytes,
                     const std::function<Status(const StoredEventView&)>& fn);
  // One past the newest event whose Append returned (every event below it is readable).
  Result<std::uint64_t> NextSequence();

  // Drops segments older than the retention, and their events from the index.
  Status Trim();

 private:
  struct Segment;
  struct Waiter;
  // A frame with its place: reserved under the lock, written by the writer that takes it from the queue.
  struct Pending {
    std::string frame;
    std::uint64_t sequence = 0;
    std::int64_t arrival_ms = 0;
    std::shared_ptr<Segment> segment;
    std::size_t offset = 0;
    std::optional<IndexedEvent> indexed;
    Waiter* waiter = nullptr;
  };
  EventStore(std::string dir, std::function<std::int64_t()> clock, SyncMode mode)
      : dir_(std::move(dir)), clock_(std::move(clock)), mode_(mode) {}
  Status Recover();
  // Makes the segment whose first event will be `first_sequence` the active one: the prepared spare renamed
  // into place when there is one, else a new file made and zero-filled here.
  Status StartSegment(std::uint64_t first_sequence) EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The writer's round: writes every queued frame, publishes them, wakes their callers (`self`, the writer's
  // own, is not woken) and hands the writer's role on (or ends it). Called with `lock` held (the caller
  // holds the role); returns with it released. Unchecked by clang's analysis, which cannot follow a lock
  // released and taken again through a MutexLock passed by reference.
  void WriteQueued(MutexLock& lock, Waiter* self) NO_THREAD_SAFETY_ANALYSIS;
  void Sync();
  // The syncer's side job: a zero-filled, flushed spare segment file once the active one is half full.
  void PrepareSpare();
  // The frame at `offset` of `segment`, read with pread.
  static Result<std::string> ReadFrame(const Segment& segment, std::uint32_t offset);

  const std::string dir_;
  std::function<std::int64_t()> clock_;
  const SyncMode mode_;

  Mutex mu_;
  CondVar sync_cv_{mu_};    // the syncer waits for new events or stop
  CondVar synced_cv_{mu_};  // kAlways appends and Flush wait for `synced_`
  std::map<std::uint64_t, std::shared_ptr<Segment>> segments_ GUARDED_BY(mu_);  // by first sequence
  std::shared_ptr<Segment> active_ GUARDED_BY(mu_);
  // Segments rolled over with pages the syncer has not flushed yet.
  std::vector<std::shared_ptr<Segment>> unsynced_ GUARDED_BY(mu_);
  std::uint64_t next_sequence_ GUARDED_BY(mu_) = 1;  // the next sequence to reserve
  std::uint64_t published_ GUARDED_BY(mu_) = 1;      // every event below this sequence is written
  std::uint64_t synced_ GUARDED_BY(mu_) = 0;         // every event below this sequence is on disk
  std::vector<Pending> queue_ GUARDED_BY(mu_);    // reserved frames, by sequence, not yet taken by a writer
  bool writing_ GUARDED_BY(mu_) = false;          // a caller holds the writer's role
  Status failed_ GUARDED_BY(mu_);                 // a write failed: nothing more is recorded
  bool directory_dirty_ GUARDED_BY(mu_) = false;  // a segment was renamed into place since the last sync
  int spare_fd_ GUARDED_BY(mu_) = -1;             // the prepared next segment (its path: SparePath())
  bool syncer_idle_ GUARDED_BY(mu_) = false;
  bool flush_wanted_ GUARDED_BY(mu_) = false;
  bool stop_ GUARDED_BY(mu_) = false;
  std::map<std::uint64_t, IndexedEvent> index_ GUARDED_BY(mu_);
  std::thread syncer_;
};

// The LookupEvents attributes of an event record or of its summary (event_record.hpp).
struct EventSummary;
IndexedEvent IndexOf(std::uint64_t sequence, const boost::json::object& event);
IndexedEvent IndexOf(std::uint64_t sequence, const EventSummary& event);

}  // namespace cenote::cloudtrail
