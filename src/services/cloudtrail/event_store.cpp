#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"  // GCC bug 105329
#endif

#include "services/cloudtrail/event_store.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/checksum.hpp"
#include "store/durable_file.hpp"

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

namespace {

// Journal files are preallocated (kJournalBytes) and mapped: an append is a memcpy into the page cache, with no
// system call, and the kernel writes the pages back even if the process is killed. Frames:
// u32 length | u32 CRC32C(body) | body (little-endian); the zero-filled rest of the file ends them. The first frame of a journal is its
// header, {"journal": N, "log_next": <the log's next sequence when the journal began>}; every other frame
// is one event as the queue got it: one byte "M"/"D", then the JSON.
std::string Frame(std::string_view body) {
  std::string out(8, '\0');
  const std::uint32_t n = static_cast<std::uint32_t>(body.size());
  const std::uint32_t crc = Crc32c(0, body.data(), body.size());
  std::memcpy(out.data(), &n, 4);
  std::memcpy(out.data() + 4, &crc, 4);
  out.append(body);
  return out;
}

// The frames of a journal file up to its first torn or corrupt one.
std::vector<std::string> ReadFrames(const std::string& path) {
  std::vector<std::string> frames;
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t pos = 0;
  while (pos + 8 <= data.size()) {
    std::uint32_t n = 0, crc = 0;
    std::memcpy(&n, data.data() + pos, 4);
    std::memcpy(&crc, data.data() + pos + 4, 4);
    // A zero length is the journal's unwritten (zero-filled) tail.
    if (n == 0 || pos + 8 + n > data.size() || Crc32c(0, data.data() + pos + 8, n) != crc) break;
    frames.emplace_back(data.substr(pos + 8, n));
    pos += 8 + n;
  }
  return frames;
}

constexpr std::size_t kJournalBytes = 16 << 20;

std::string JournalPath(const std::string& dir, std::uint64_t number) {
  char name[40];
  std::snprintf(name, sizeof name, "journal-%020llu.log", static_cast<unsigned long long>(number));
  return dir + "/" + name;
}

}  // namespace

Result<std::unique_ptr<EventStore>> EventStore::Open(store::StreamLog& log, const std::string& journal_dir,
                                                     std::function<std::int64_t()> clock, SyncMode mode) {
  CENOTE_RETURN_IF_ERROR(log.CreateLog(kLogName, 1));
  std::error_code ec;
  std::filesystem::create_directories(journal_dir, ec);
  if (ec) return InternalError("cannot create " + journal_dir + ": " + ec.message());
  std::unique_ptr<EventStore> store(new EventStore(log, journal_dir, std::move(clock), mode));
  CENOTE_RETURN_IF_ERROR(store->Recover());
  const std::int64_t cutoff = store->clock_() - kRetentionMs;
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t from, log.SeekTimestamp(kLogName, cutoff));
  std::size_t indexed = 0;
  for (;;) {
    CENOTE_ASSIGN_OR_RETURN(auto read, log.Read(kLogName, from, 4096, 16 << 20));
    if (read.records.empty()) break;
    for (const auto& record : read.records) {
      if (record.partition_key != "M") continue;
      store->IndexRecord(record.sequence, record.data, record.arrival_ms);
      ++indexed;
    }
    from = read.next_sequence;
  }
  if (indexed > 0) spdlog::info("cloudtrail: {} management events in the event history", indexed);
  store->mover_ = std::thread([s = store.get()] { s->Move(); });
  return store;
}

EventStore::~EventStore() {
  {
    MutexLock lock(queue_mu_);
    stop_ = true;
    queue_cv_.SignalAll();
  }
  if (mover_.joinable()) mover_.join();
  MutexLock lock(queue_mu_);
  if (journal_map_ != nullptr) ::munmap(journal_map_, kJournalBytes);
  if (journal_fd_ >= 0) ::close(journal_fd_);
}

// Replays the journals a crash left: their events the log lacks are appended, in journal order; then the
// journals go and a new one begins.
Status EventStore::Recover() {
  std::vector<std::pair<std::uint64_t, std::string>> journals;
  for (const auto& entry : std::filesystem::directory_iterator(journal_dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("journal-") && name.ends_with(".log")) {
      journals.emplace_back(std::strtoull(name.c_str() + 8, nullptr, 10), entry.path().string());
    }
  }
  std::sort(journals.begin(), journals.end());
  std::uint64_t last_number = 0;
  std::size_t replayed = 0;
  for (const auto& [number, path] : journals) {
    last_number = std::max(last_number, number);
    std::vector<std::string> frames = ReadFrames(path);
    if (frames.empty()) continue;
    boost::system::error_code ec;
    json::value header = json::parse(frames.front(), ec);
    std::uint64_t log_next = 1;
    if (!ec && header.is_object()) {
      log_next = static_cast<std::uint64_t>(services::GetInt(header.as_object(), "log_next").value_or(1));
    }
    // The event ids the log already holds from where this journal began.
    std::set<std::string> present;
    for (std::uint64_t from = log_next;;) {
      CENOTE_ASSIGN_OR_RETURN(auto read, log_.Read(kLogName, from, 4096, 16 << 20));
      if (read.records.empty()) break;
      for (const auto& r : read.records) {
        json::value v = json::parse(r.data, ec);
        if (!ec && v.is_object()) present.insert(Str(v.as_object(), "eventID"));
      }
      from = read.next_sequence;
    }
    std::vector<store::StreamRecordInput> missing;
    for (std::size_t i = 1; i < frames.size(); ++i) {
      const std::string& f = frames[i];
      if (f.size() < 2) continue;
      json::value v = json::parse(std::string_view(f).substr(1), ec);
      if (ec || !v.is_object() || present.contains(Str(v.as_object(), "eventID"))) continue;
      store::StreamRecordInput in;
      in.arrival_ms = clock_();
      in.partition_key = f.substr(0, 1);
      in.data = f.substr(1);
      missing.push_back(std::move(in));
    }
    if (!missing.empty()) {
      CENOTE_RETURN_IF_ERROR(log_.Append(kLogName, missing));
      replayed += missing.size();
    }
  }
  if (replayed > 0) spdlog::info("cloudtrail: {} events recovered from the journal", replayed);
  MutexLock lock(queue_mu_);
  CENOTE_RETURN_IF_ERROR(OpenJournal(last_number + 1));
  // The replayed events are in the (fsynced) log now: the old journals can go.
  for (const auto& [number, path] : journals) std::filesystem::remove(path);
  return Status::Ok();
}

// Starts journal `number`: a preallocated file whose header is durable before any event goes in, mapped
// (pages populated, so appends take no faults). The previous journal goes once its events are in the log.
Status EventStore::OpenJournal(std::uint64_t number) {
  CENOTE_ASSIGN_OR_RETURN(auto bounds, log_.Bounds(kLogName));
  const std::string path = JournalPath(journal_dir_, number);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return InternalError("cannot create " + path + ": " + std::strerror(errno));
  const std::string header =
      Frame(json::serialize(json::object{{"journal", number}, {"log_next", bounds.next_sequence}}));
  void* map = MAP_FAILED;
  if (::posix_fallocate(fd, 0, kJournalBytes) == 0 &&
      ::pwrite(fd, header.data(), header.size(), 0) == static_cast<ssize_t>(header.size()) && ::fdatasync(fd) == 0) {
    map = ::mmap(nullptr, kJournalBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
#ifdef MADV_POPULATE_WRITE
    // Take the write faults now, not one per page on the requests' path (Linux 5.14+; harmless if refused).
    if (map != MAP_FAILED) (void)::madvise(map, kJournalBytes, MADV_POPULATE_WRITE);
#endif
  }
  if (map == MAP_FAILED) {
    Error e = InternalError("cannot prepare " + path + ": " + std::strerror(errno));
    ::close(fd);
    ::unlink(path.c_str());
    return e;
  }
  CENOTE_RETURN_IF_ERROR(store::FsyncDirectory(journal_dir_));
  if (journal_map_ != nullptr) {
    ::munmap(journal_map_, kJournalBytes);
    ::close(journal_fd_);
    old_journals_.emplace_back(enqueued_, JournalPath(journal_dir_, journal_number_));
  }
  journal_fd_ = fd;
  journal_map_ = static_cast<char*>(map);
  journal_number_ = number;
  journal_bytes_ = header.size();
  return Status::Ok();
}

void EventStore::IndexRecord(std::uint64_t sequence, const std::string& data, std::int64_t arrival_ms) {
  boost::system::error_code ec;
  json::value v = json::parse(data, ec);
  if (ec || !v.is_object()) return;
  IndexedEvent e = IndexOf(sequence, v.as_object());
  e.time_ms = arrival_ms;
  MutexLock lock(mu_);
  index_.emplace(sequence, std::move(e));
}

Status EventStore::Append(const json::object& event, bool management) {
  Pending p;
  p.management = management;
  p.record.arrival_ms = clock_();
  p.record.partition_key = management ? "M" : "D";
  p.record.data = json::serialize(event);
  const std::string frame = Frame(p.record.partition_key + p.record.data);
  if (frame.size() > kJournalBytes / 2) return InternalError("a CloudTrail event of " + std::to_string(frame.size()) + " bytes");
  MutexLock lock(queue_mu_);
  if (journal_map_ == nullptr || journal_bytes_ + frame.size() > kJournalBytes) {
    CENOTE_RETURN_IF_ERROR(OpenJournal(journal_number_ + 1));
  }
  // In the page cache once copied: a kill -9 from now on cannot lose the event.
  std::memcpy(journal_map_ + journal_bytes_, frame.data(), frame.size());
  journal_bytes_ += frame.size();
  queue_.push_back(std::move(p));
  const std::uint64_t ticket = ++enqueued_;
  // Only an idle mover needs waking; one collecting a batch takes this event when its interval ends (a wake-up
  // per event would cost a context switch per call).
  if (mover_idle_) queue_cv_.Signal();
  if (mode_ == SyncMode::kAlways) {
    moved_cv_.Wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return moved_ >= ticket; });
  }
  return Status::Ok();
}

void EventStore::Flush() {
  MutexLock lock(queue_mu_);
  const std::uint64_t target = enqueued_;
  if (moved_ >= target) return;
  flush_wanted_ = true;
  queue_cv_.Signal();
  moved_cv_.Wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return moved_ >= target; });
}

// The mover: queue -> log (one group commit per batch) -> index, until stopped with an empty queue.
void EventStore::Move() {
  constexpr std::uint64_t kJournalRotateBytes = 4 << 20;
  // kBatched: at most one group commit per interval, so a stream of small calls shares each fdatasync (a
  // virtualized disk's fdatasync also costs CPU the requests need). kAlways: commit at once, callers wait.
  const auto interval =
      mode_ == SyncMode::kBatched ? std::chrono::milliseconds(10) : std::chrono::milliseconds(0);
  auto last_commit = std::chrono::steady_clock::now() - interval;
  for (;;) {
    std::vector<Pending> batch;
    {
      MutexLock lock(queue_mu_);
      mover_idle_ = true;
      queue_cv_.Wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return stop_ || !queue_.empty(); });
      mover_idle_ = false;
      if (queue_.empty()) return;  // stopped, and everything is in the log
      const auto due = last_commit + interval;
      if (!stop_ && !flush_wanted_ && std::chrono::steady_clock::now() < due) {
        // Let more events join this commit (Flush() and the destructor cut the wait short).
        queue_cv_.WaitUntil(lock, due,
                            [&]() EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return stop_ || flush_wanted_; });
      }
      flush_wanted_ = false;
      batch.swap(queue_);
    }
    last_commit = std::chrono::steady_clock::now();
    std::vector<store::StreamRecordInput> records;
    records.reserve(batch.size());
    std::vector<bool> management;
    management.reserve(batch.size());
    for (auto& p : batch) {
      management.push_back(p.management);
      records.push_back(std::move(p.record));
    }
    auto sequences = log_.Append(kLogName, records);
    while (!sequences) {
      // The journal still holds the batch (a restart replays it); keep trying rather than drop events.
      spdlog::error("cloudtrail: cannot append {} events to the event log: {}", records.size(),
                    sequences.error().message);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      sequences = log_.Append(kLogName, records);
    }
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (management[i]) IndexRecord((*sequences)[i], records[i].data, records[i].arrival_ms);
    }
    MutexLock lock(queue_mu_);
    moved_ += records.size();
    moved_cv_.SignalAll();
    // Journals whose events are all in the log go; a filling journal starts over while the queue is empty, so
    // that appends rarely have to.
    while (!old_journals_.empty() && old_journals_.front().first <= moved_) {
      std::error_code ec;
      std::filesystem::remove(old_journals_.front().second, ec);
      old_journals_.erase(old_journals_.begin());
    }
    if (queue_.empty() && journal_bytes_ > kJournalRotateBytes) {
      Status st = OpenJournal(journal_number_ + 1);
      if (!st) spdlog::error("cloudtrail: cannot start a new journal: {}", st.error().message);
    }
  }
}

Result<LookupAnswer> EventStore::Lookup(const LookupQuery& q) {
  Flush();
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
  Flush();
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
  Flush();
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
