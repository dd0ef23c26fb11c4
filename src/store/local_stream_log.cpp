// StreamLog on local segment files (contract and file format in stream_log.hpp).
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>

#include "common/checksum.hpp"
#include "common/mutex.hpp"
#include "store/durable_file.hpp"
#include "store/free_space.hpp"
#include "store/stream_log.hpp"

namespace cenote::store {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kFrameHeader = 8;            // u32 length, u32 crc32c
constexpr std::size_t kBodyFixed = 8 + 8 + 1 + 2;  // sequence, arrival, flags, key length
constexpr std::uint32_t kMaxBody =
    16u * 1024 * 1024;  // far above any Kinesis record; a bigger length is torn
constexpr std::uint8_t kFlagExplicitHashKey = 1;
constexpr std::uint8_t kFlagEncrypted = 2;

void PutU16(std::string& out, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t GetLE(const char* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string SegmentName(std::uint64_t first_sequence) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu.log", static_cast<unsigned long long>(first_sequence));
  return buf;
}

bool ValidLogName(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  int slashes = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '/') {
      if (++slashes > 1 || i == 0 || i + 1 == name.size()) return false;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  }
  return true;
}

Error NoSuchLog(const std::string& name) {
  return MakeError("NoSuchLog", "no such stream log: " + name, 404);
}

struct IndexEntry {
  std::uint64_t sequence;
  std::int64_t arrival_ms;
  std::uint64_t offset;
};

// One segment file. Mutable fields are guarded by the owning Log's mutex; fd and path are immutable.
struct Segment {
  std::string path;
  std::uint64_t name_sequence = 0;
  int fd = -1;
  std::uint64_t durable_end = 0;  // bytes readers may see (all fsynced)
  std::uint64_t count = 0;
  std::uint64_t first_sequence = 0;  // of its first record (valid when count > 0)
  std::uint64_t last_sequence = 0;
  std::int64_t first_arrival_ms = 0;
  std::int64_t last_arrival_ms = 0;
  std::uint64_t last_index_offset = 0;
  std::vector<IndexEntry> index;

  ~Segment() {
    if (fd >= 0) ::close(fd);
  }
  void Add(std::uint64_t sequence, std::int64_t arrival, std::uint64_t offset, std::uint64_t interval) {
    if (count == 0) {
      first_sequence = sequence;
      first_arrival_ms = arrival;
    }
    if (index.empty() || offset - last_index_offset >= interval) {
      index.push_back({sequence, arrival, offset});
      last_index_offset = offset;
    }
    last_sequence = sequence;
    last_arrival_ms = arrival;
    ++count;
  }
};

struct Writer {
  const std::vector<StreamRecordInput>* records = nullptr;
  std::vector<std::uint64_t> sequences;
  Error error;
  bool failed = false;
  bool done = false;
};

// One log. `mu` guards its fields; the group-commit leader (the writer at the front of `writers`) also
// writes and fsyncs the active segment's file with `mu` released, which no one else touches meanwhile.
struct Log {
  Mutex mu;
  CondVar cv{mu};
  std::string dir;
  bool loaded GUARDED_BY(mu) = false;
  bool deleted GUARDED_BY(mu) = false;
  std::vector<std::shared_ptr<Segment>> segments
      GUARDED_BY(mu);                                 // by first sequence; the last is appended to
  std::uint64_t next_sequence GUARDED_BY(mu) = 0;     // next to assign (a group being written is below it)
  std::uint64_t durable_sequence GUARDED_BY(mu) = 0;  // one past the last durable record: what readers see
  std::int64_t last_arrival_ms GUARDED_BY(mu) = 0;
  std::deque<Writer*> writers GUARDED_BY(mu);  // waiting appends; the front one is the group-commit leader
};

// Decodes the frame at buf[pos..). Returns the frame size, 0 when the frame is incomplete within `n`
// bytes (need more data), or -1 when it is corrupt (bad length or CRC).
long DecodeFrame(const char* buf, std::size_t n, StreamRecord* out, bool want_payload) {
  if (n < kFrameHeader) return 0;
  auto len = static_cast<std::uint32_t>(GetLE(buf, 4));
  auto crc = static_cast<std::uint32_t>(GetLE(buf + 4, 4));
  if (len < kBodyFixed || len > kMaxBody) return -1;
  if (n < kFrameHeader + len) return 0;
  const char* body = buf + kFrameHeader;
  if (Crc32c(0, body, len) != crc) return -1;
  std::uint16_t key_len = static_cast<std::uint16_t>(GetLE(body + 17, 2));
  if (kBodyFixed + key_len > len) return -1;
  out->sequence = GetLE(body, 8);
  out->arrival_ms = static_cast<std::int64_t>(GetLE(body + 8, 8));
  out->explicit_hash_key = (static_cast<unsigned char>(body[16]) & kFlagExplicitHashKey) != 0;
  out->encrypted = (static_cast<unsigned char>(body[16]) & kFlagEncrypted) != 0;
  if (want_payload) {
    out->partition_key.assign(body + kBodyFixed, key_len);
    out->data.assign(body + kBodyFixed + key_len, len - kBodyFixed - key_len);
  }
  return static_cast<long>(kFrameHeader + len);
}

void EncodeFrame(std::string& out, std::uint64_t sequence, std::int64_t arrival, const StreamRecordInput& r) {
  std::string body;
  body.reserve(kBodyFixed + r.partition_key.size() + r.data.size());
  PutU64(body, sequence);
  PutU64(body, static_cast<std::uint64_t>(arrival));
  body.push_back(static_cast<char>((r.explicit_hash_key ? kFlagExplicitHashKey : 0) |
                                   (r.encrypted ? kFlagEncrypted : 0)));
  PutU16(body, static_cast<std::uint16_t>(r.partition_key.size()));
  body += r.partition_key;
  body += r.data;
  PutU32(out, static_cast<std::uint32_t>(body.size()));
  PutU32(out, Crc32c(0, body.data(), body.size()));
  out += body;
}

// Sequential frame reader over [offset, end) of a segment file, with a growing buffer.
class FrameScanner {
 public:
  FrameScanner(int fd, std::uint64_t offset, std::uint64_t end) : fd_(fd), pos_(offset), end_(end) {}

  // 1: a record (in *out, at *frame_offset); 0: end reached; -1: corrupt frame at *frame_offset;
  // -2: read error (errno).
  int Next(StreamRecord* out, bool want_payload, std::uint64_t* frame_offset) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::size_t avail = buf_.size() - buf_pos_;
      long r = DecodeFrame(buf_.data() + buf_pos_, avail, out, want_payload);
      if (r > 0) {
        *frame_offset = pos_;
        pos_ += static_cast<std::uint64_t>(r);
        buf_pos_ += static_cast<std::size_t>(r);
        return 1;
      }
      *frame_offset = pos_;
      if (r < 0) return -1;
      if (pos_ >= end_) return 0;
      // Need more bytes: refill starting at pos_, with room for the whole frame when its length is known.
      std::size_t want = 1 << 20;
      if (avail >= 4) want = std::max<std::size_t>(want, kFrameHeader + GetLE(buf_.data() + buf_pos_, 4));
      want = static_cast<std::size_t>(std::min<std::uint64_t>(want, end_ - pos_));
      buf_.resize(want);
      buf_pos_ = 0;
      std::size_t got = 0;
      while (got < want) {
        ssize_t n = ::pread(fd_, buf_.data() + got, want - got, static_cast<off_t>(pos_ + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -2;
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
      }
      buf_.resize(got);
      if (got < want) {
        // The file is shorter than `end`: treat what is missing as a torn tail.
        end_ = pos_ + got;
      }
    }
    return pos_ >= end_ ? 0 : -1;
  }

 private:
  int fd_;
  std::uint64_t pos_;
  std::uint64_t end_;
  std::string buf_;
  std::size_t buf_pos_ = 0;
};

class LocalStreamLog final : public StreamLog {
 public:
  LocalStreamLog(std::string root, StreamLogOptions options) : root_(std::move(root)), options_(options) {}

  Status CreateLog(const std::string& name, std::uint64_t first_sequence) override {
    if (!ValidLogName(name)) return MakeError("InvalidArgument", "invalid stream log name: " + name);
    MutexLock g(mu_);
    if (auto it = logs_.find(name); it != logs_.end()) return Status::Ok();
    std::string dir = root_ + "/" + name;
    if (fs::exists(dir)) {
      logs_[name] = NewLog(dir);
      return Status::Ok();
    }
    // mkdir (durably) -> create the first, empty segment -> fsync it and the directory: after a crash the
    // log exists with its first sequence, or not at all... or exists empty, which recovery treats the same.
    CENOTE_RETURN_IF_ERROR(CreateDirectoriesDurably(dir));
    std::string path = dir + "/" + SegmentName(first_sequence);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return IoError("create segment", path, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return IoError("fsync segment", path, err);
    CENOTE_RETURN_IF_ERROR(FsyncDirectory(dir));
    logs_[name] = NewLog(dir);
    return Status::Ok();
  }

  Status DeleteLog(const std::string& name) override {
    if (!ValidLogName(name)) return Status::Ok();
    std::shared_ptr<Log> log;
    {
      MutexLock g(mu_);
      if (auto it = logs_.find(name); it != logs_.end()) {
        log = it->second;
        logs_.erase(it);
      }
    }
    if (log) {
      MutexLock g(log->mu);
      log->deleted = true;
      log->segments.clear();
    }
    std::error_code ec;
    std::string dir = root_ + "/" + name;
    fs::remove_all(dir, ec);
    if (ec) return IoError("remove log", dir, ec.value());
    return FsyncDirectory(ParentDirectory(dir));
  }

  Result<std::vector<std::uint64_t>> Append(const std::string& name,
                                            const std::vector<StreamRecordInput>& records) override {
    CENOTE_ASSIGN_OR_RETURN(std::shared_ptr<Log> found, Get(name));
    Log& log = *found;
    std::uint64_t bytes = 0;
    for (const auto& r : records) {
      if (r.partition_key.size() > 0xffff || kBodyFixed + r.partition_key.size() + r.data.size() > kMaxBody)
        return MakeError("InvalidArgument", "record too large for the stream log");
      bytes += kFrameHeader + kBodyFixed + r.partition_key.size() + r.data.size();
    }
    // Admitted before joining a group, so a refused append fails alone, never the group it would have joined.
    if (options_.reserve != nullptr) CENOTE_RETURN_IF_ERROR(options_.reserve->Admit(bytes));
    Writer w;
    w.records = &records;
    MutexLock lk(log.mu);
    if (log.deleted) return NoSuchLog(name);
    log.writers.push_back(&w);
    while (!w.done && log.writers.front() != &w) log.cv.Wait(lk);
    if (w.done) {
      if (w.failed) return std::move(w.error);
      return std::move(w.sequences);
    }
    CommitGroup(log);
    if (w.failed) return std::move(w.error);
    return std::move(w.sequences);
  }

  Result<StreamReadResult> Read(const std::string& name, std::uint64_t from_sequence, std::size_t max_records,
                                std::size_t max_bytes) override {
    CENOTE_ASSIGN_OR_RETURN(std::shared_ptr<Log> found, Get(name));
    Log& log = *found;
    StreamReadResult result;
    std::vector<std::pair<std::shared_ptr<Segment>, std::uint64_t>> plan;  // segment, durable end
    std::uint64_t start_offset = 0;
    {
      MutexLock g(log.mu);
      if (log.deleted) return NoSuchLog(name);
      result.bounds = BoundsLocked(log);
      from_sequence = std::max(from_sequence, result.bounds.first_sequence);
      result.next_sequence = std::min(from_sequence, result.bounds.next_sequence);
      bool started = false;
      for (const auto& seg : log.segments) {
        if (!started) {
          if (seg->count == 0 || seg->last_sequence < from_sequence) continue;
          auto it = std::upper_bound(seg->index.begin(), seg->index.end(), from_sequence,
                                     [](std::uint64_t s, const IndexEntry& e) { return s < e.sequence; });
          start_offset = it == seg->index.begin() ? 0 : std::prev(it)->offset;
          started = true;
        }
        plan.emplace_back(seg, seg->durable_end);
      }
    }
    std::size_t bytes = 0;
    bool first = true;
    for (auto& [seg, end] : plan) {
      FrameScanner scanner(seg->fd, first ? start_offset : 0, end);
      first = false;
      StreamRecord rec;
      std::uint64_t at = 0;
      while (result.records.size() < max_records) {
        int r = scanner.Next(&rec, true, &at);
        if (r == 0) break;
        if (r == -2) return IoError("read segment", seg->path, errno);
        if (r < 0)
          return InternalError("corrupt record in " + seg->path + " at offset " + std::to_string(at));
        if (rec.sequence < from_sequence) continue;
        if (!result.records.empty() && bytes + rec.data.size() + rec.partition_key.size() > max_bytes) {
          return result;
        }
        bytes += rec.data.size() + rec.partition_key.size();
        result.next_sequence = rec.sequence + 1;
        result.records.push_back(std::move(rec));
        rec = StreamRecord{};
      }
      if (result.records.size() >= max_records) break;
    }
    return result;
  }

  Result<std::uint64_t> SeekTimestamp(const std::string& name, std::int64_t timestamp_ms) override {
    CENOTE_ASSIGN_OR_RETURN(std::shared_ptr<Log> found, Get(name));
    Log& log = *found;
    std::shared_ptr<Segment> seg;
    std::uint64_t offset = 0;
    std::uint64_t end = 0;
    std::uint64_t fallback = 0;
    {
      MutexLock g(log.mu);
      if (log.deleted) return NoSuchLog(name);
      fallback = log.durable_sequence;
      for (const auto& s : log.segments) {
        if (s->count == 0 || s->last_arrival_ms < timestamp_ms) continue;
        if (s->first_arrival_ms >= timestamp_ms) return s->first_sequence;
        auto it = std::lower_bound(s->index.begin(), s->index.end(), timestamp_ms,
                                   [](const IndexEntry& e, std::int64_t t) { return e.arrival_ms < t; });
        offset = it == s->index.begin() ? 0 : std::prev(it)->offset;
        seg = s;
        end = s->durable_end;
        break;
      }
    }
    if (!seg) return fallback;
    FrameScanner scanner(seg->fd, offset, end);
    StreamRecord rec;
    std::uint64_t at = 0;
    for (;;) {
      int r = scanner.Next(&rec, false, &at);
      if (r == 0) return fallback;
      if (r < 0) return InternalError("cannot read " + seg->path);
      if (rec.arrival_ms >= timestamp_ms) return rec.sequence;
    }
  }

  Result<StreamLogBounds> Bounds(const std::string& name) override {
    CENOTE_ASSIGN_OR_RETURN(std::shared_ptr<Log> found, Get(name));
    MutexLock g(found->mu);
    if (found->deleted) return NoSuchLog(name);
    return BoundsLocked(*found);
  }

  Result<std::uint64_t> Trim(const std::string& name, std::int64_t cutoff_ms) override {
    CENOTE_ASSIGN_OR_RETURN(std::shared_ptr<Log> found, Get(name));
    Log& log = *found;
    std::uint64_t removed = 0;
    MutexLock g(log.mu);
    if (log.deleted) return NoSuchLog(name);
    std::size_t drop = 0;
    while (drop + 1 < log.segments.size()) {
      const auto& seg = log.segments[drop];
      if (seg->count > 0 && seg->last_arrival_ms >= cutoff_ms) break;
      removed += seg->count;
      ++drop;
    }
    if (drop == 0) return removed;
    for (std::size_t i = 0; i < drop; ++i) {
      if (::unlink(log.segments[i]->path.c_str()) != 0 && errno != ENOENT)
        return IoError("remove segment", log.segments[i]->path, errno);
    }
    log.segments.erase(log.segments.begin(), log.segments.begin() + static_cast<long>(drop));
    CENOTE_RETURN_IF_ERROR(FsyncDirectory(log.dir));
    return removed;
  }

  Result<std::vector<std::string>> ListLogs() override {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator a(root_, ec), end; !ec && a != end; a.increment(ec)) {
      if (!a->is_directory()) continue;
      std::error_code ec2;
      for (fs::directory_iterator b(a->path(), ec2), end2; !ec2 && b != end2; b.increment(ec2)) {
        if (b->is_directory())
          out.push_back(a->path().filename().string() + "/" + b->path().filename().string());
      }
    }
    if (ec) return IoError("list logs", root_, ec.value());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::shared_ptr<Log> NewLog(const std::string& dir) {
    auto log = std::make_shared<Log>();
    log->dir = dir;
    return log;
  }

  // The log, recovered from disk on first use.
  Result<std::shared_ptr<Log>> Get(const std::string& name) {
    std::shared_ptr<Log> log;
    {
      MutexLock g(mu_);
      auto it = logs_.find(name);
      if (it == logs_.end()) {
        if (!ValidLogName(name)) return NoSuchLog(name);
        std::string dir = root_ + "/" + name;
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) return NoSuchLog(name);
        it = logs_.emplace(name, NewLog(dir)).first;
      }
      log = it->second;
    }
    MutexLock g(log->mu);
    if (!log->loaded) {
      CENOTE_RETURN_IF_ERROR(Recover(*log));
      log->loaded = true;
    }
    return log;
  }

  // Recovery: open every segment in order, scan its frames (CRC-checked), rebuild the sparse index and
  // cut the file at the first torn or corrupt frame (then fsync it). Only the last segment can have a
  // torn tail after a crash: a segment is complete and fsynced before the next one is created.
  Status Recover(Log& log) EXCLUSIVE_LOCKS_REQUIRED(log.mu) {
    std::vector<std::pair<std::uint64_t, std::string>> files;
    std::error_code ec;
    for (fs::directory_iterator it(log.dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string fname = it->path().filename().string();
      if (fname.size() != 24 || fname.substr(20) != ".log" || fname.find_first_not_of("0123456789") != 20)
        continue;
      files.emplace_back(std::stoull(fname.substr(0, 20)), it->path().string());
    }
    if (ec) return IoError("list segments", log.dir, ec.value());
    std::sort(files.begin(), files.end());
    log.segments.clear();
    log.next_sequence = 0;
    log.last_arrival_ms = 0;
    for (auto& [first, path] : files) {
      auto seg = std::make_shared<Segment>();
      seg->path = path;
      seg->name_sequence = first;
      seg->fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      if (seg->fd < 0) return IoError("open segment", path, errno);
      struct stat st {};
      if (::fstat(seg->fd, &st) != 0) return IoError("stat segment", path, errno);
      auto size = static_cast<std::uint64_t>(st.st_size);
      FrameScanner scanner(seg->fd, 0, size);
      StreamRecord rec;
      std::uint64_t at = 0;
      std::uint64_t good_end = 0;
      for (;;) {
        int r = scanner.Next(&rec, false, &at);
        if (r == 1) {
          seg->Add(rec.sequence, rec.arrival_ms, at, options_.index_interval_bytes);
          continue;
        }
        if (r == -2) return IoError("read segment", path, errno);
        good_end = at;
        break;
      }
      if (good_end < size) {
        spdlog::warn("stream log {}: cutting a torn tail of {} bytes at offset {}", path, size - good_end,
                     good_end);
        if (::ftruncate(seg->fd, static_cast<off_t>(good_end)) != 0)
          return IoError("truncate segment", path, errno);
        if (::fsync(seg->fd) != 0) return IoError("fsync segment", path, errno);
      }
      seg->durable_end = good_end;
      log.next_sequence = std::max(log.next_sequence, first);
      if (seg->count > 0) {
        log.next_sequence = std::max(log.next_sequence, seg->last_sequence + 1);
        log.last_arrival_ms = std::max(log.last_arrival_ms, seg->last_arrival_ms);
      }
      log.segments.push_back(std::move(seg));
    }
    log.durable_sequence = log.next_sequence;
    if (log.segments.empty()) {
      // The directory exists but its first segment was never created (crash inside CreateLog).
      CENOTE_RETURN_IF_ERROR(OpenNewSegment(log, 0));
    }
    return Status::Ok();
  }

  // Creates segment <first>.log, fsyncs it and the directory, and makes it the active segment.
  Status OpenNewSegment(Log& log, std::uint64_t first) EXCLUSIVE_LOCKS_REQUIRED(log.mu) {
    auto seg = std::make_shared<Segment>();
    seg->path = log.dir + "/" + SegmentName(first);
    seg->name_sequence = first;
    seg->fd = ::open(seg->path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (seg->fd < 0) return IoError("create segment", seg->path, errno);
    if (::fsync(seg->fd) != 0) return IoError("fsync segment", seg->path, errno);
    CENOTE_RETURN_IF_ERROR(FsyncDirectory(log.dir));
    log.segments.push_back(std::move(seg));
    return Status::Ok();
  }

  StreamLogBounds BoundsLocked(const Log& log) const EXCLUSIVE_LOCKS_REQUIRED(log.mu) {
    // Only durable records count: a group being written has sequences assigned but is not visible yet.
    StreamLogBounds b;
    b.next_sequence = log.durable_sequence;
    b.first_sequence = log.durable_sequence;
    bool found_first = false;
    for (const auto& seg : log.segments) {
      if (seg->count > 0 && !found_first) {
        b.first_sequence = seg->first_sequence;
        found_first = true;
      }
      if (seg->count > 0) b.last_arrival_ms = std::max(b.last_arrival_ms, seg->last_arrival_ms);
      b.record_count += seg->count;
      b.bytes += seg->durable_end;
    }
    return b;
  }

  // Group commit, called by the writer at the front of the queue with the log's mutex held:
  // take the queued writers (up to max_group_bytes) -> assign sequences and encode under the lock ->
  // write + fdatasync without the lock (readers and new writers proceed; new writers queue up) ->
  // publish (durable end, index) and wake the group under the lock. On failure the segment is cut back
  // to its previous durable end and every writer of the group gets the error.
  void CommitGroup(Log& log) EXCLUSIVE_LOCKS_REQUIRED(log.mu) {
    std::vector<Writer*> group;
    std::uint64_t group_bytes = 0;
    for (Writer* w : log.writers) {
      std::uint64_t bytes = 0;
      for (const auto& r : *w->records)
        bytes += kFrameHeader + kBodyFixed + r.partition_key.size() + r.data.size();
      if (!group.empty() && group_bytes + bytes > options_.max_group_bytes) break;
      group.push_back(w);
      group_bytes += bytes;
    }
    auto finish = [&](const Error* error) EXCLUSIVE_LOCKS_REQUIRED(log.mu) {
      for (Writer* w : group) {
        if (error) {
          w->failed = true;
          w->error = *error;
          w->sequences.clear();
        }
        w->done = true;
        log.writers.pop_front();
      }
      log.cv.SignalAll();
    };

    if (log.deleted) {
      Error e = NoSuchLog(log.dir);
      finish(&e);
      return;
    }
    // Roll to a new segment once the active one is full (its directory entry is fsynced before use).
    // Also roll by age, so that retention (which deletes whole segments) reclaims space on quiet streams too.
    const std::int64_t group_arrival =
        std::max(group.front()->records->empty() ? 0 : group.front()->records->front().arrival_ms,
                 log.last_arrival_ms);
    const bool full = !log.segments.empty() && log.segments.back()->durable_end >= options_.segment_bytes;
    const bool old = !log.segments.empty() && log.segments.back()->count > 0 &&
                     options_.segment_max_age_ms > 0 &&
                     group_arrival - log.segments.back()->first_arrival_ms >= options_.segment_max_age_ms;
    if (log.segments.empty() || full || old) {
      Status st = OpenNewSegment(log, log.next_sequence);
      if (!st) {
        finish(&st.error());
        return;
      }
    }
    std::shared_ptr<Segment> seg = log.segments.back();
    const std::uint64_t start = seg->durable_end;
    const std::uint64_t saved_next = log.next_sequence;
    const std::int64_t saved_arrival = log.last_arrival_ms;
    std::string buf;
    buf.reserve(group_bytes);
    struct Placed {
      std::uint64_t sequence;
      std::int64_t arrival;
      std::uint64_t offset;
    };
    std::vector<Placed> placed;
    for (Writer* w : group) {
      w->sequences.reserve(w->records->size());
      for (const auto& r : *w->records) {
        std::uint64_t sequence = log.next_sequence++;
        std::int64_t arrival = std::max(r.arrival_ms, log.last_arrival_ms);
        log.last_arrival_ms = arrival;
        placed.push_back({sequence, arrival, start + buf.size()});
        EncodeFrame(buf, sequence, arrival, r);
        w->sequences.push_back(sequence);
      }
    }

    log.mu.Unlock();  // the caller's MutexLock still owns the mutex: it is re-locked below
    bool ok = true;
    int err = 0;
    std::size_t written = 0;
    while (written < buf.size()) {
      ssize_t n =
          ::pwrite(seg->fd, buf.data() + written, buf.size() - written, static_cast<off_t>(start + written));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok = false;
        err = n < 0 ? errno : EIO;
        break;
      }
      written += static_cast<std::size_t>(n);
    }
    if (ok && ::fdatasync(seg->fd) != 0) {
      ok = false;
      err = errno;
    }
    if (!ok) (void)::ftruncate(seg->fd, static_cast<off_t>(start));
    log.mu.Lock();

    if (!ok) {
      log.next_sequence = saved_next;
      log.last_arrival_ms = saved_arrival;
      Error e = IoError("append to segment", seg->path, err);
      finish(&e);
      return;
    }
    for (const auto& p : placed) seg->Add(p.sequence, p.arrival, p.offset, options_.index_interval_bytes);
    seg->durable_end = start + buf.size();
    log.durable_sequence = log.next_sequence;
    finish(nullptr);
  }

  std::string root_;
  StreamLogOptions options_;
  Mutex mu_;
  std::map<std::string, std::shared_ptr<Log>> logs_ GUARDED_BY(mu_);
};

}  // namespace

Result<std::unique_ptr<StreamLog>> StreamLog::OpenLocal(const std::string& root, StreamLogOptions options) {
  CENOTE_RETURN_IF_ERROR(CreateDirectoriesDurably(root));
  if (options.segment_bytes == 0) options.segment_bytes = 1;
  if (options.index_interval_bytes == 0) options.index_interval_bytes = 1;
  return std::unique_ptr<StreamLog>(new LocalStreamLog(root, options));
}

}  // namespace cenote::store
