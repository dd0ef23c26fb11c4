// StreamLog: durable, append-only record logs, one per stream shard (Kinesis Data Streams).
//
// A log is named by the caller ("<stream-uid>/<shard-id>": letters, digits, '-', '_' and at most one '/')
// and lives in <root>/<name>/ as a series of segment files (<first sequence, 20 digits>.log, rolled at
// StreamLogOptions::segment_bytes or segment_max_age_ms). Every record is one frame:
//     u32 body length | u32 CRC32C(body) | body = u64 sequence | i64 arrival ms | u8 flags (1: explicit hash
//                                                 key, 2: encrypted) |
//                                                 u16 partition-key length | partition key | data
// (little-endian). An in-memory sparse index (sequence, arrival -> segment, offset), one entry per
// StreamLogOptions::index_interval_bytes, lets reads seek without scanning; it is rebuilt from the
// segments when a log is first used after Open.
//
// Durability: Append returns only after its records are written and the segment is fsynced (fdatasync),
// and a new segment's directory entry is fsynced before records go into it. Concurrent appends to one log
// are group-committed: the first waiting caller writes everybody's records with one write and one fsync.
// After a crash, the first use of a log scans its last segment and truncates it at the first frame that
// is incomplete or fails its CRC (a torn tail), so every acknowledged record survives and nothing partial
// is ever returned.
//
// Sequences are unsigned 64-bit values, strictly increasing within a log (also across restarts: they are
// recovered from the log tail and the last segment's name), starting at CreateLog's `first_sequence`.
// Arrival timestamps are made non-decreasing within a log (an arrival earlier than the previous record's
// is raised to it), so reads by timestamp can binary-search.
//
// Thread safety: all methods may be called concurrently from any thread. Reads never block appends
// for longer than it takes to copy a few segment handles; they see only fsynced records.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace cenote::store {

class FreeSpaceReserve;

struct StreamLogOptions {
  std::uint64_t segment_bytes = 64ull * 1024 * 1024;   // roll to a new segment file past this size
  std::int64_t segment_max_age_ms = 3'600'000;         // ... or once its first record is this old (0: never)
  std::uint64_t index_interval_bytes = 64 * 1024;      // sparse index granularity
  std::uint64_t max_group_bytes = 8ull * 1024 * 1024;  // a group commit writes at most this much
  // Appends that would leave less free space than this reserve fail with InsufficientStorage (nothing of
  // them is written); null: no reserve. Must outlive the log. Trim and DeleteLog are never refused.
  FreeSpaceReserve* reserve = nullptr;
};

// One record to append.
struct StreamRecordInput {
  std::int64_t arrival_ms = 0;
  std::string partition_key;  // at most 65535 bytes
  bool explicit_hash_key = false;
  std::string data;
  bool encrypted = false;  // the owner's mark: `data` is sealed (Kinesis stream encryption); kept as a flag
};

// One stored record.
struct StreamRecord {
  std::uint64_t sequence = 0;
  std::int64_t arrival_ms = 0;
  std::string partition_key;
  bool explicit_hash_key = false;
  std::string data;
  bool encrypted = false;
};

// Where a log stands, counting durable records only (an append in flight may already hold sequences at or
// above next_sequence; they become visible, in order, when its fsync completes).
struct StreamLogBounds {
  std::uint64_t first_sequence = 0;  // oldest retained record (== next_sequence when the log is empty)
  std::uint64_t next_sequence = 0;   // one past the newest durable record
  std::int64_t last_arrival_ms = 0;  // of the newest retained record; 0 when there is none
  std::uint64_t record_count = 0;    // records retained
  std::uint64_t bytes = 0;           // retained bytes on disk
};

struct StreamReadResult {
  std::vector<StreamRecord> records;
  // Where the next read continues (one past the last returned record, or the position read from when
  // nothing was returned; never below the first retained record).
  std::uint64_t next_sequence = 0;
  StreamLogBounds bounds;  // at the time of the read
};

class StreamLog {
 public:
  virtual ~StreamLog() = default;

  // Opens the logs under `root` (created durably if missing). Cheap: logs are recovered on first use.
  static Result<std::unique_ptr<StreamLog>> OpenLocal(const std::string& root, StreamLogOptions options = {});

  // Creates an empty log whose first record gets `first_sequence`. Idempotent for an existing log (the
  // argument is then ignored). The log's directory is durable when this returns.
  virtual Status CreateLog(const std::string& name, std::uint64_t first_sequence) = 0;

  // Removes a log and all its records. Missing logs are fine. Appends racing with it fail.
  virtual Status DeleteLog(const std::string& name) = 0;

  // Appends `records` in order and returns their sequences, after the records are durable. Either all
  // records are appended or none (on an I/O error the segment is cut back and the error returned).
  // NoSuchLog (404) for an unknown log; InsufficientStorage (507) when the records would cross the reserve.
  virtual Result<std::vector<std::uint64_t>> Append(const std::string& name,
                                                    const std::vector<StreamRecordInput>& records) = 0;

  // Reads records with sequence >= `from_sequence` (clamped up to the first retained record), at most
  // `max_records` and about `max_bytes` of data (at least one record is returned when one exists, even if
  // it alone exceeds max_bytes).
  virtual Result<StreamReadResult> Read(const std::string& name, std::uint64_t from_sequence,
                                        std::size_t max_records, std::size_t max_bytes) = 0;

  // The sequence of the first retained record whose arrival is >= `timestamp_ms`, or next_sequence when
  // there is none.
  virtual Result<std::uint64_t> SeekTimestamp(const std::string& name, std::int64_t timestamp_ms) = 0;

  virtual Result<StreamLogBounds> Bounds(const std::string& name) = 0;

  // Retention: deletes whole segments whose newest record arrived before `cutoff_ms`. The segment being
  // appended to is kept. Returns the number of records removed.
  virtual Result<std::uint64_t> Trim(const std::string& name, std::int64_t cutoff_ms) = 0;

  // The log names present on disk (for recovery and orphan cleanup by the owner).
  virtual Result<std::vector<std::string>> ListLogs() = 0;
};

}  // namespace cenote::store
