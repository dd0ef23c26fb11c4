#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"  // GCC bug 105329
// GCC 12 also misreads a std::string moved out of a Result (CENOTE_ASSIGN_OR_RETURN) as maybe uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "services/cloudtrail/event_store.hpp"

#include "services/cloudtrail/event_record.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "common/checksum.hpp"
#include "common/thread_name.hpp"
#include "store/durable_file.hpp"

#include "services/common/params.hpp"

namespace cenote::cloudtrail {

namespace json = boost::json;

namespace {

// The name event history shows for a resource: S3's bucket (or bucket/key), else the ARN.
std::string ResourceNameOf(std::string_view arn) {
  if (arn.starts_with("arn:aws:s3:::")) return std::string(arn.substr(13));
  return std::string(arn);
}

}  // namespace

IndexedEvent IndexOf(std::uint64_t sequence, const EventSummary& event) {
  IndexedEvent e;
  e.sequence = sequence;
  e.account = event.recipient_account;
  e.region = event.region;
  e.event_id = event.event_id;
  e.event_name = event.event_name;
  e.event_source = event.event_source;
  e.read_only = event.read_only;
  e.access_key_id = event.access_key_id;
  e.username = event.user_name;
  for (const auto& r : event.resources) e.resources.emplace_back(r.type, ResourceNameOf(r.arn));
  return e;
}

IndexedEvent IndexOf(std::uint64_t sequence, const json::object& event) {
  return IndexOf(sequence, SummaryOf(event));
}

namespace {

constexpr std::size_t kBodyHeader = 8 + 8 + 1 + 2;  // sequence, arrival, kind, routing length

std::string SegmentPath(const std::string& dir, std::uint64_t first) {
  char name[48];
  std::snprintf(name, sizeof name, "events-%020llu.log", static_cast<unsigned long long>(first));
  return dir + "/" + name;
}

struct FrameHeader {
  std::uint64_t sequence = 0;
  std::int64_t arrival_ms = 0;
  char kind = 'D';
  std::string_view routing;
  std::string_view json;
};

// The parts of a frame's body (views into it); an empty json when the body is malformed.
FrameHeader HeaderOf(std::string_view body) {
  FrameHeader h;
  if (body.size() < kBodyHeader) return h;
  std::memcpy(&h.sequence, body.data(), 8);
  std::memcpy(&h.arrival_ms, body.data() + 8, 8);
  h.kind = body[16];
  std::uint16_t routing = 0;
  std::memcpy(&routing, body.data() + 17, 2);
  if (kBodyHeader + routing > body.size()) return h;
  h.routing = body.substr(kBodyHeader, routing);
  h.json = body.substr(kBodyHeader + routing);
  return h;
}

}  // namespace

// One segment file. Immutable identity; `open` while it is (or was just) the active segment and has bytes the
// syncer has not flushed; `frames` and the counters are guarded by the store's mutex.
struct EventStore::Segment {
  std::uint64_t first = 0;
  std::string path;
  int fd = -1;
  bool open = false;
  std::size_t reserved = 0;  // bytes of the frames given an offset (written or queued)
  std::size_t used = 0;      // bytes of complete, published frames
  std::size_t synced = 0;    // bytes flushed to disk
  std::uint64_t last_sequence = 0;
  std::int64_t last_arrival_ms = 0;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> frames;  // (sequence, offset), in order
  ~Segment() {
    if (fd >= 0) ::close(fd);
  }
};

// A caller waiting for its frame: it spins a little (a batch's pwritev takes a few microseconds), then
// marks itself asleep and sleeps on its futex word. The writer sets `state` and wakes it with one futex call
// only if it was asleep: a sleep and a wake-up are two context switches, which cost more than the whole
// recording of a GET. The word lives on the caller's stack; the writer touches nothing of it after the
// exchange but the futex wake (a wake on a word that is gone is harmless: a futex waiter there would be woken
// spuriously, which every waiter tolerates).
struct EventStore::Waiter {
  static constexpr std::uint32_t kWaiting = 0, kWritten = 1, kWriter = 2, kAsleep = 3;
  std::atomic<std::uint32_t> state{kWaiting};
  Status status;  // set before `state` becomes kWritten

  // The caller's side: waits until the writer has written its frame (kWritten) or handed it the role
  // (kWriter), and answers which.
  std::uint32_t Await();
  // The writer's side: sets the state to `to` (kWritten or kWriter), waking the caller if it sleeps.
  void Hand(std::uint32_t to);
};

namespace {

void FutexWait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr,
            nullptr, 0);
}

void FutexWake(std::atomic<std::uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

std::uint32_t EventStore::Waiter::Await() {
  // About 2-5 us of spinning (the pause instruction's latency varies by CPU), then sleep.
  for (int i = 0; i < 256; ++i) {
    const std::uint32_t s = state.load(std::memory_order_acquire);
    if (s != kWaiting) return s;
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
  std::uint32_t expected = kWaiting;
  if (!state.compare_exchange_strong(expected, kAsleep, std::memory_order_acq_rel)) return expected;
  std::uint32_t s;
  while ((s = state.load(std::memory_order_acquire)) == kAsleep) FutexWait(state, kAsleep);
  return s;
}

void EventStore::Waiter::Hand(std::uint32_t to) {
  if (state.exchange(to, std::memory_order_acq_rel) == kAsleep) FutexWake(state);
}

namespace {

std::string SparePath(const std::string& dir) { return dir + "/spare-segment.tmp"; }

// Writes `n` bytes at `offset` of `fd` whole (pwrite may write less).
bool WriteAt(int fd, const char* data, std::size_t n, std::size_t offset) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
    offset += static_cast<std::size_t>(w);
  }
  return true;
}

// Writes the `iov` (count `n`, consumed) at `offset` of `fd` whole.
bool WriteVecAt(int fd, iovec* iov, int n, std::size_t offset) {
  while (n > 0) {
    const ssize_t w = ::pwritev(fd, iov, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    offset += static_cast<std::size_t>(w);
    std::size_t left = static_cast<std::size_t>(w);
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --n;
    }
    if (n > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

constexpr std::size_t kPage = 4096;

// Writes `fd` from `from` to kSegmentBytes with `head` (the bytes from `from` that must stay) then zeros: a
// segment's unused rest reads as the end of its frames, and its blocks are allocated and written now, so that
// appends later overwrite data blocks in place (no extent to convert, no metadata for fdatasync to journal).
// One page per write, so that the page cache holds the file in single pages (see the header comment).
bool ZeroFrom(int fd, std::size_t from, std::string_view head = {}) {
  char page[kPage];
  while (from < EventStore::kSegmentBytes) {
    const std::size_t n = std::min(kPage - from % kPage, EventStore::kSegmentBytes - from);
    const std::size_t keep = std::min(n, head.size());
    std::memcpy(page, head.data(), keep);
    std::memset(page + keep, 0, n - keep);
    head.remove_prefix(keep);
    if (!WriteAt(fd, page, n, from)) return false;
    from += n;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<EventStore>> EventStore::Open(const std::string& dir,
                                                     std::function<std::int64_t()> clock, SyncMode mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir + ": " + ec.message());
  std::unique_ptr<EventStore> store(new EventStore(dir, std::move(clock), mode));
  CENOTE_RETURN_IF_ERROR(store->Recover());
  store->syncer_ = std::thread([s = store.get()] {
    SetThreadName("ct-event-sync");
    s->Sync();
  });
  return store;
}

EventStore::~EventStore() {
  {
    MutexLock lock(mu_);
    stop_ = true;
    sync_cv_.SignalAll();
  }
  if (syncer_.joinable()) syncer_.join();
  if (spare_fd_ >= 0) ::close(spare_fd_);  // the file is removed at the next Open
}

// Scans every segment (frames, index), cuts the last one at its first bad frame and maps it for appends.
Status EventStore::Recover() {
  std::vector<std::pair<std::uint64_t, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("events-") && name.ends_with(".log")) {
      files.emplace_back(std::strtoull(name.c_str() + 7, nullptr, 10), entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::error_code ignored;
  std::filesystem::remove(SparePath(dir_), ignored);
  const std::int64_t cutoff = clock_() - kRetentionMs;
  MutexLock lock(mu_);
  std::size_t indexed = 0;
  std::string last_data;  // the last segment's bytes
  for (const auto& [first, path] : files) {
    auto seg = std::make_shared<Segment>();
    seg->first = first;
    seg->path = path;
    seg->fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (seg->fd < 0) return InternalError("cannot open " + path + ": " + std::strerror(errno));
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t pos = 0;
    while (pos + 8 <= data.size()) {
      std::uint32_t n = 0, crc = 0;
      std::memcpy(&n, data.data() + pos, 4);
      std::memcpy(&crc, data.data() + pos + 4, 4);
      if (n < kBodyHeader || pos + 8 + n > data.size() || Crc32c(0, data.data() + pos + 8, n) != crc) break;
      std::string_view body(data.data() + pos + 8, n);
      FrameHeader h = HeaderOf(body);
      seg->frames.emplace_back(h.sequence, static_cast<std::uint32_t>(pos));
      seg->last_sequence = h.sequence;
      seg->last_arrival_ms = h.arrival_ms;
      next_sequence_ = std::max(next_sequence_, h.sequence + 1);
      if (h.kind == 'M' && h.arrival_ms >= cutoff) {
        boost::system::error_code jec;
        json::value v = json::parse(h.json, jec);
        if (!jec && v.is_object()) {
          IndexedEvent e = IndexOf(h.sequence, v.as_object());
          e.time_ms = h.arrival_ms;
          e.offset = static_cast<std::uint32_t>(pos);
          index_.emplace(h.sequence, std::move(e));
          ++indexed;
        }
      }
      pos += 8 + n;
    }
    seg->reserved = seg->used = seg->synced = pos;
    segments_[first] = seg;
    if (first == files.back().first) last_data = std::move(data);
  }
  synced_ = published_ = next_sequence_;
  if (indexed > 0) spdlog::info("cloudtrail: {} management events in the event history", indexed);
  if (segments_.empty()) return StartSegment(next_sequence_);
  // The last segment goes on taking events, its torn tail (an unanswered append) zeroed.
  // The page cache may hold it in large folios (the previous process's writes, or this scan's readahead):
  // flush and drop them, then rewrite the pages from the one holding the end in single pages.
  std::shared_ptr<Segment> last = segments_.rbegin()->second;
  const std::size_t page_start = last->used / kPage * kPage;
  const bool prepared = ::fdatasync(last->fd) == 0 &&
                        ::posix_fadvise(last->fd, 0, 0, POSIX_FADV_DONTNEED) == 0 &&
                        ZeroFrom(last->fd, page_start,
                                 std::string_view(last_data).substr(page_start, last->used - page_start)) &&
                        ::fdatasync(last->fd) == 0;
  if (!prepared) return InternalError("cannot prepare " + last->path + ": " + std::strerror(errno));
  last->open = true;
  active_ = last;
  return Status::Ok();
}

Status EventStore::StartSegment(std::uint64_t first_sequence) {
  auto seg = std::make_shared<Segment>();
  seg->first = first_sequence;
  seg->path = SegmentPath(dir_, first_sequence);
  if (spare_fd_ >= 0 && ::rename(SparePath(dir_).c_str(), seg->path.c_str()) == 0) {
    // The spare is zero-filled and flushed; its new name reaches the disk with the syncer's next flush (the
    // directory's fsync comes before any event in it counts as synced). A kill needs nothing more.
    seg->fd = spare_fd_;
    spare_fd_ = -1;
    directory_dirty_ = true;
  } else {
    if (spare_fd_ >= 0) {
      spdlog::warn("cloudtrail: cannot rename the spare event segment: {}", std::strerror(errno));
      ::close(spare_fd_);
      spare_fd_ = -1;
    }
    seg->fd = ::open(seg->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (seg->fd < 0) return InternalError("cannot create " + seg->path + ": " + std::strerror(errno));
    if (!ZeroFrom(seg->fd, 0) || ::fdatasync(seg->fd) != 0) {
      Error e = InternalError("cannot prepare " + seg->path + ": " + std::strerror(errno));
      ::unlink(seg->path.c_str());
      return e;
    }
    // The file's name must survive a crash before any event in it is answered.
    CENOTE_RETURN_IF_ERROR(store::FsyncDirectory(dir_));
  }
  seg->open = true;
  if (active_ != nullptr) unsynced_.push_back(active_);
  active_ = seg;
  segments_[first_sequence] = seg;
  return Status::Ok();
}

void EventStore::PrepareSpare() {
  {
    MutexLock lock(mu_);
    if (spare_fd_ >= 0 || stop_ || active_ == nullptr || active_->reserved < kSegmentBytes / 2) return;
  }
  const std::string path = SparePath(dir_);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || !ZeroFrom(fd, 0) || ::fdatasync(fd) != 0) {
    spdlog::warn("cloudtrail: cannot prepare a spare event segment: {}", std::strerror(errno));
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
    return;
  }
  MutexLock lock(mu_);
  spare_fd_ = fd;
}

Status EventStore::Append(const json::object& event, bool management, std::string_view routing) {
  if (!management) return AppendSerialized(json::serialize(event), nullptr, routing);
  const IndexedEvent indexed = IndexOf(0, event);
  return AppendSerialized(json::serialize(event), &indexed, routing);
}

Status EventStore::AppendSerialized(std::string_view text, const IndexedEvent* indexed,
                                    std::string_view routing) {
  const std::int64_t arrival = clock_();
  if (routing.size() > 0xFFFF) routing = routing.substr(0, routing.rfind(',', 0xFFFF));
  const std::size_t body_size = kBodyHeader + routing.size() + text.size();
  if (8 + body_size > kSegmentBytes / 2) {
    return InternalError("a CloudTrail event of " + std::to_string(text.size()) + " bytes");
  }
  Pending p;
  p.arrival_ms = arrival;
  if (indexed != nullptr) {
    p.indexed = *indexed;
    p.indexed->time_ms = arrival;
  }
  // The frame is made outside the lock but for its sequence (and so its CRC).
  p.frame.resize(8 + body_size);
  char* out = p.frame.data();
  std::memcpy(out + 16, &arrival, 8);
  out[24] = indexed != nullptr ? 'M' : 'D';
  const std::uint16_t routing_size = static_cast<std::uint16_t>(routing.size());
  std::memcpy(out + 25, &routing_size, 2);
  std::memcpy(out + 8 + kBodyHeader, routing.data(), routing.size());
  std::memcpy(out + 8 + kBodyHeader + routing.size(), text.data(), text.size());
  const std::uint32_t n = static_cast<std::uint32_t>(body_size);
  std::memcpy(out, &n, 4);
  Waiter me;
  p.waiter = &me;
  MutexLock lock(mu_);
  if (!failed_.ok()) return failed_;
  if (active_->reserved + p.frame.size() > kSegmentBytes)
    CENOTE_RETURN_IF_ERROR(StartSegment(next_sequence_));
  p.sequence = next_sequence_++;
  p.segment = active_;
  p.offset = active_->reserved;
  active_->reserved += p.frame.size();
  std::memcpy(out + 8, &p.sequence, 8);
  const std::uint32_t crc = Crc32c(0, out + 8, body_size);
  std::memcpy(out + 4, &crc, 4);
  const std::uint64_t sequence = p.sequence;
  queue_.push_back(std::move(p));
  if (writing_) {
    // Another caller is writing: it (or one after it) writes this frame too, then wakes this caller, or
    // hands it the writer's role.
    lock.Unlock();
    if (me.Await() == Waiter::kWriter) {
      lock.Lock();
      WriteQueued(lock, &me);
    }
  } else {
    writing_ = true;
    WriteQueued(lock, &me);
  }
  if (!me.status.ok() || mode_ != SyncMode::kAlways) return me.status;
  lock.Lock();
  synced_cv_.Wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(mu_) { return synced_ > sequence || stop_; });
  return Status::Ok();
}

void EventStore::WriteQueued(MutexLock& lock, Waiter* self) {
  std::vector<Pending> batch;
  batch.swap(queue_);
  const bool failed = !failed_.ok();
  lock.Unlock();
  // Frames of one segment are contiguous (offsets are reserved in sequence order): one pwritev per run of
  // at most IOV_MAX frames. No frame is published before all of the batch is written.
  Status written = Status::Ok();
  std::vector<iovec> iov;
  iov.reserve(std::min<std::size_t>(batch.size(), IOV_MAX));
  for (std::size_t i = 0; i < batch.size() && !failed && written.ok();) {
    const Segment& seg = *batch[i].segment;
    const std::size_t offset = batch[i].offset;
    std::size_t end = offset;
    iov.clear();
    for (;
         i < batch.size() && batch[i].segment.get() == &seg && batch[i].offset == end && iov.size() < IOV_MAX;
         ++i) {
      iov.push_back(iovec{batch[i].frame.data(), batch[i].frame.size()});
      end += batch[i].frame.size();
    }
    // A frame a kill interrupts was never answered; one a power cut tears fails its CRC, and recovery cuts
    // it.
    if (!WriteVecAt(seg.fd, iov.data(), static_cast<int>(iov.size()), offset)) {
      written = InternalError("cannot write " + seg.path + ": " + std::strerror(errno));
    }
  }
  lock.Lock();
  if (!written.ok() && failed_.ok()) {
    spdlog::error("cloudtrail: the event log cannot be written; no more events are recorded: {}",
                  written.error().message);
    failed_ = written;
  }
  const Status outcome = failed ? failed_ : written;
  if (outcome.ok()) {
    for (Pending& p : batch) {
      Segment& seg = *p.segment;
      seg.frames.emplace_back(p.sequence, static_cast<std::uint32_t>(p.offset));
      seg.used = p.offset + p.frame.size();
      seg.last_sequence = p.sequence;
      seg.last_arrival_ms = p.arrival_ms;
      if (p.indexed) {
        p.indexed->sequence = p.sequence;
        p.indexed->offset = static_cast<std::uint32_t>(p.offset);
        index_.emplace(p.sequence, std::move(*p.indexed));
      }
    }
    if (!batch.empty()) published_ = batch.back().sequence + 1;
    // Only an idle syncer needs waking; a waiting one flushes these events when its interval ends (a
    // wake-up per batch would cost a context switch per call).
    if (syncer_idle_ || mode_ == SyncMode::kAlways || flush_wanted_) sync_cv_.Signal();
  }
  Waiter* next = nullptr;
  if (queue_.empty()) {
    writing_ = false;
  } else {
    next = queue_.front().waiter;
  }
  lock.Unlock();
  for (Pending& p : batch) {
    p.waiter->status = outcome;
    if (p.waiter == self) {
      self->state.store(Waiter::kWritten, std::memory_order_release);
    } else {
      p.waiter->Hand(Waiter::kWritten);
    }
  }
  if (next != nullptr) next->Hand(Waiter::kWriter);
}

void EventStore::Flush() {
  MutexLock lock(mu_);
  const std::uint64_t target = published_;
  if (synced_ >= target) return;
  flush_wanted_ = true;
  sync_cv_.Signal();
  synced_cv_.Wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(mu_) { return synced_ >= target || stop_; });
}

// The syncer: flushes what was written (group commit), at most every 20 ms in kBatched, until stopped with
// nothing left to flush; prepares the spare segment between flushes.
void EventStore::Sync() {
  const auto interval =
      mode_ == SyncMode::kBatched ? std::chrono::milliseconds(20) : std::chrono::milliseconds(0);
  auto last = std::chrono::steady_clock::now() - interval;
  MutexLock lock(mu_);
  for (;;) {
    auto pending = [&]() EXCLUSIVE_LOCKS_REQUIRED(mu_) { return synced_ < published_; };
    syncer_idle_ = true;
    sync_cv_.Wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || pending(); });
    syncer_idle_ = false;
    if (!pending()) return;  // stopped, and everything is on disk
    const auto due = last + interval;
    if (!stop_ && !flush_wanted_ && std::chrono::steady_clock::now() < due) {
      sync_cv_.WaitUntil(lock, due, [&]() EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || flush_wanted_; });
    }
    flush_wanted_ = false;
    last = std::chrono::steady_clock::now();
    // Everything below `target` is written, in the rolled segments and the active one (a rolled segment may
    // still have frames queued: it stays on the list until all of its bytes are flushed).
    const std::uint64_t target = published_;
    std::vector<std::pair<std::shared_ptr<Segment>, std::size_t>> flush;  // segment, bytes written
    for (const auto& seg : unsynced_) flush.emplace_back(seg, seg->used);
    std::shared_ptr<Segment> active = active_;
    if (active->used > active->synced) flush.emplace_back(active, active->used);
    const bool directory = directory_dirty_;
    directory_dirty_ = false;
    lock.Unlock();
    bool ok = true;
    for (const auto& [seg, to] : flush) ok = ::fdatasync(seg->fd) == 0 && ok;
    if (!ok) spdlog::error("cloudtrail: flushing the event log failed: {}", std::strerror(errno));
    // A segment renamed into place: its name must be on disk before its events count as synced.
    if (directory && !store::FsyncDirectory(dir_).ok()) {
      spdlog::error("cloudtrail: flushing the event log's directory failed");
    }
    lock.Lock();
    for (const auto& [seg, to] : flush) seg->synced = std::max(seg->synced, to);
    std::erase_if(unsynced_, [](const std::shared_ptr<Segment>& seg) {
      if (seg->synced < seg->reserved) return false;
      seg->open = false;
      return true;
    });
    synced_ = std::max(synced_, target);
    synced_cv_.SignalAll();
    lock.Unlock();
    PrepareSpare();
    lock.Lock();
  }
}

Result<std::string> EventStore::ReadFrame(const Segment& segment, std::uint32_t offset) {
  char head[8];
  if (::pread(segment.fd, head, 8, offset) != 8) return InternalError("cannot read " + segment.path);
  std::uint32_t n = 0;
  std::memcpy(&n, head, 4);
  if (n < kBodyHeader || n > kSegmentBytes) return InternalError("bad frame in " + segment.path);
  std::string body(n, '\0');
  if (::pread(segment.fd, body.data(), n, offset + 8) != static_cast<ssize_t>(n)) {
    return InternalError("cannot read " + segment.path);
  }
  return body;
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
  std::vector<std::pair<IndexedEvent, std::pair<std::shared_ptr<Segment>, std::uint32_t>>> found;
  std::optional<std::uint64_t> next;
  {
    MutexLock lock(mu_);
    auto it = q.below_sequence ? index_.lower_bound(*q.below_sequence) : index_.end();
    while (it != index_.begin()) {
      --it;
      if (!matches(it->second)) continue;
      if (found.size() == q.max_results) {
        next = found.back().first.sequence;
        break;
      }
      auto seg = segments_.upper_bound(it->first);
      if (seg == segments_.begin()) continue;  // trimmed
      --seg;
      found.emplace_back(it->second, std::make_pair(seg->second, it->second.offset));
    }
  }
  LookupAnswer answer;
  answer.next_below = next;
  for (auto& [e, where] : found) {
    CENOTE_ASSIGN_OR_RETURN(std::string body, ReadFrame(*where.first, where.second));
    answer.events.emplace_back(std::move(e), std::string(HeaderOf(body).json));
  }
  return answer;
}

Status EventStore::ForEachFrom(std::uint64_t from, std::size_t max_records, std::size_t max_bytes,
                               const std::function<Status(const StoredEventView&)>& fn) {
  // Which byte range of which segment holds the events, found under the lock; read with one pread per segment
  // outside it (a segment's frames are contiguous).
  struct Run {
    std::shared_ptr<Segment> segment;
    std::uint32_t begin = 0, end = 0;
    std::size_t count = 0;
  };
  std::vector<Run> runs;
  {
    MutexLock lock(mu_);
    auto it = segments_.upper_bound(from);
    if (it != segments_.begin()) --it;
    std::size_t records = 0, bytes = 0;
    for (; it != segments_.end() && records < max_records && bytes < max_bytes; ++it) {
      const Segment& seg = *it->second;
      auto f = std::lower_bound(seg.frames.begin(), seg.frames.end(), std::make_pair(from, std::uint32_t{0}));
      if (f == seg.frames.end()) continue;
      Run run{.segment = it->second, .begin = f->second, .end = f->second, .count = 0};
      for (; f != seg.frames.end() && records < max_records && bytes < max_bytes; ++f) {
        auto next = f + 1;
        run.end = next != seg.frames.end() ? next->second : static_cast<std::uint32_t>(seg.used);
        ++run.count;
        ++records;
        if (bytes + (run.end - run.begin) >= max_bytes) break;
      }
      bytes += run.end - run.begin;
      runs.push_back(std::move(run));
    }
  }
  // Grows to the largest batch read on this thread and stays: its pages are not faulted in again every round.
  thread_local std::vector<char> buffer;
  for (const Run& run : runs) {
    const std::size_t size = run.end - run.begin;
    if (buffer.size() < size) buffer.resize(size);
    if (::pread(run.segment->fd, buffer.data(), size, run.begin) != static_cast<ssize_t>(size)) {
      return InternalError("cannot read " + run.segment->path);
    }
    const std::string_view data(buffer.data(), size);
    std::size_t pos = 0;
    for (std::size_t i = 0; i < run.count; ++i) {
      std::uint32_t n = 0;
      std::memcpy(&n, data.data() + pos, 4);
      if (n < kBodyHeader || pos + 8 + n > data.size())
        return InternalError("bad frame in " + run.segment->path);
      FrameHeader h = HeaderOf(data.substr(pos + 8, n));
      CENOTE_RETURN_IF_ERROR(fn(StoredEventView{
          .sequence = h.sequence, .management = h.kind == 'M', .routing = h.routing, .json = h.json}));
      pos += 8 + n;
    }
  }
  return Status::Ok();
}

Result<std::vector<StoredEvent>> EventStore::ReadFrom(std::uint64_t from, std::size_t max_records,
                                                      std::size_t max_bytes) {
  std::vector<StoredEvent> out;
  CENOTE_RETURN_IF_ERROR(ForEachFrom(from, max_records, max_bytes, [&out](const StoredEventView& e) {
    out.push_back(StoredEvent{.sequence = e.sequence,
                              .management = e.management,
                              .routing = std::string(e.routing),
                              .json = std::string(e.json)});
    return Status::Ok();
  }));
  return out;
}

Result<std::uint64_t> EventStore::NextSequence() {
  MutexLock lock(mu_);
  return published_;
}

Status EventStore::Trim() {
  const std::int64_t cutoff = clock_() - kRetentionMs;
  std::vector<std::string> remove;
  {
    MutexLock lock(mu_);
    while (!index_.empty() && index_.begin()->second.time_ms < cutoff) index_.erase(index_.begin());
    for (auto it = segments_.begin(); it != segments_.end();) {
      if (it->second != active_ && it->second->last_arrival_ms < cutoff && !it->second->open) {
        remove.push_back(it->second->path);
        it = segments_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& path : remove) std::filesystem::remove(path);
  return Status::Ok();
}

}  // namespace cenote::cloudtrail
