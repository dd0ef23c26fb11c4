// LocalBlobStore: BlobStore on a local filesystem.
//
// Layout under the root directory:
//   <root>/tmp/<id>        blobs being written (removed by OpenLocal: they were never committed)
//   <root>/ab/cd/<id>      committed blobs, fanned out by the first two bytes of the id so no
//                          directory grows past a few thousand entries at a billion blobs
// One LocalBlobStore per root directory: OpenLocal removes every temp file it finds, including
// those of another live store on the same root.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <set>
#include <unordered_set>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/background_tasks.hpp"
#include "common/mutex.hpp"
#include "store/blob_store.hpp"
#include "store/durable_file.hpp"
#include "store/free_space.hpp"

namespace cenote::store {

namespace {

constexpr std::size_t kWriteBufferSize = 1 << 20;
// Start writeback every 8 MiB (like RocksDB's bytes_per_sync) so that Commit's fsync finds little
// dirty data left and a 64 MiB PUT does not park 64 MiB of dirty pages in the page cache.
constexpr std::uint64_t kWritebackInterval = 8 << 20;
constexpr char kTempDirName[] = "tmp";

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool IsValidBlobId(std::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), IsHex);
}

bool IsFanOutName(const char* name) { return std::strlen(name) == 2 && IsHex(name[0]) && IsHex(name[1]); }

Result<BlobId> NewBlobId() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof(bytes)) {
    // getrandom draws from the kernel CSPRNG; it blocks only before the pool is seeded at boot.
    ssize_t r = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("getrandom", "", errno);
    }
    got += static_cast<std::size_t>(r);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  BlobId id;
  id.reserve(32);
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

Error NoSuchBlob(const BlobId& id) {
  // A blob id comes from our own metadata, so a missing blob is a server-side inconsistency: clients
  // see a 500. The distinct code lets callers (orphan recovery, tests) tell it from I/O errors.
  return MakeError("NoSuchBlob", "No such blob: " + id, 500);
}

// Renames without replacing: with 128-bit random ids a collision is practically impossible, but if
// one ever happened, replacing would silently change another object's bytes.
int RenameNoReplace(const char* from, const char* to) {
  if (::renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // Filesystems without RENAME_NOREPLACE support: link(2) also refuses to replace.
  if (::link(from, to) != 0) return -1;
  ::unlink(from);
  return 0;
}

class LocalBlobStore;

class LocalBlobWriter final : public BlobWriter {
 public:
  LocalBlobWriter(LocalBlobStore& store, BlobId id, std::string temp_path, int fd)
      : store_(store), id_(std::move(id)), temp_path_(std::move(temp_path)), fd_(fd) {}
  ~LocalBlobWriter() override { Abort(); }

  Status Append(const char* data, std::size_t n) override;
  std::uint64_t size() const override { return size_; }
  Result<BlobId> Commit() override;

  // Commit's two halves, for LocalBlobStore::CommitAll. Seal: flush, fsync and close the temp file.
  // Publish: rename it into its leaf directory, whose fsync is left to the caller.
  Status Seal();
  Status Publish();
  const BlobId& id() const { return id_; }
  bool BelongsTo(const LocalBlobStore& store) const { return &store_ == &store; }

 private:
  Status Flush();
  Status WriteThrough(const char* data, std::size_t n);
  void Abort();

  LocalBlobStore& store_;
  BlobId id_;
  std::string temp_path_;
  int fd_;
  std::unique_ptr<char[]> buffer_;
  std::size_t buffered_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t written_ = 0;          // bytes handed to write(2)
  std::uint64_t writeback_start_ = 0;  // first byte not yet passed to sync_file_range
  bool failed_ = false;
  bool committed_ = false;
};

class LocalBlobReader final : public BlobReader {
 public:
  LocalBlobReader(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~LocalBlobReader() override { ::close(fd_); }
  std::uint64_t size() const override { return size_; }
  Result<std::size_t> ReadAt(std::uint64_t offset, char* buf, std::size_t n) override {
    if (offset >= size_ || n == 0) return std::size_t{0};
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - offset));
    for (;;) {
      ssize_t r = ::pread(fd_, buf, n, static_cast<off_t>(offset));
      if (r >= 0) return static_cast<std::size_t>(r);
      if (errno != EINTR) return IoError("pread", "fd " + std::to_string(fd_), errno);
    }
  }
  int fd() const override { return fd_; }

 private:
  int fd_;
  std::uint64_t size_;
};

class LocalBlobStore final : public BlobStore {
 public:
  LocalBlobStore(std::string root, const BlobStoreOptions& options)
      : root_(std::move(root)),
        temp_dir_(root_ + "/" + kTempDirName),
        reserve_(options.reserve),
        spare_files_(options.spare_files),
        tasks_(options.tasks) {}

  ~LocalBlobStore() override {
    // The refiller first (Stop waits for a round that may be creating a spare), then its files.
    refiller_.reset();
    MutexLock lock(spare_mu_);
    for (const Spare& s : spares_) {
      ::close(s.fd);
      ::unlink(s.path.c_str());
    }
  }

  Status Init() {
    CENOTE_RETURN_IF_ERROR(CreateDirectoriesDurably(temp_dir_, 0700));
    CENOTE_RETURN_IF_ERROR(RemoveTempFiles());
    if (spare_files_ > 0) {
      if (tasks_ == nullptr) {
        own_tasks_ = std::make_unique<BackgroundTasks>();
        tasks_ = own_tasks_.get();
      }
      refiller_ = tasks_->Start(
          "blob-store spare files", [this] { return RefillSpares(); },
          BackgroundTask::Clock::duration::zero());
    }
    return Status::Ok();
  }

  Result<std::unique_ptr<BlobWriter>> Create() override {
    {
      MutexLock lock(spare_mu_);
      if (!spares_.empty()) {
        Spare s = std::move(spares_.back());
        spares_.pop_back();
        lock.Unlock();
        refiller_->Wake();
        return std::unique_ptr<BlobWriter>(std::make_unique<LocalBlobWriter>(*this, s.id, s.path, s.fd));
      }
    }
    CENOTE_ASSIGN_OR_RETURN(Spare spare, CreateTempFile());
    bool wake = false;
    {
      MutexLock lock(spare_mu_);
      wake = std::exchange(refill_failed_, false);  // creating works again: so may the refiller
    }
    if (wake && refiller_) refiller_->Wake();
    return std::unique_ptr<BlobWriter>(
        std::make_unique<LocalBlobWriter>(*this, spare.id, spare.path, spare.fd));
  }

  Status Admit(std::uint64_t bytes) override {
    return reserve_ != nullptr ? reserve_->Admit(bytes) : Status::Ok();
  }

  Result<std::vector<BlobId>> CommitAll(const std::vector<BlobWriter*>& writers) override;

  Result<std::unique_ptr<BlobReader>> Open(const BlobId& id) override {
    if (!IsValidBlobId(id)) return NoSuchBlob(id);
    std::string path = PathOf(id);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return NoSuchBlob(id);
      return IoError("open blob", path, errno);
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return IoError("fstat blob", path, err);
    }
    return std::unique_ptr<BlobReader>(
        std::make_unique<LocalBlobReader>(fd, static_cast<std::uint64_t>(st.st_size)));
  }

  Status Delete(const BlobId& id) override {
    // unlink -> fsync(dir): once Delete returns, a crash cannot resurrect the blob.
    if (!IsValidBlobId(id)) return Status::Ok();
    std::string path = PathOf(id);
    if (::unlink(path.c_str()) != 0) {
      if (errno != ENOENT) return IoError("unlink blob", path, errno);
      // Already gone, possibly by an earlier Delete that crashed before its fsync: sync anyway so
      // the retry makes the removal durable. A missing fan-out directory means nothing to sync.
      struct stat st;
      if (::stat(LeafDirOf(id).c_str(), &st) != 0) return Status::Ok();
    }
    return FsyncDirectory(LeafDirOf(id));
  }

  Result<BlobId> Clone(const BlobId& id) override {
    // link(src, new) -> fsync(new's dir). Blobs are immutable, so sharing the inode is safe and
    // costs no copy; deleting either name leaves the other intact.
    if (!IsValidBlobId(id)) return NoSuchBlob(id);
    CENOTE_ASSIGN_OR_RETURN(BlobId new_id, NextBlobId());
    CENOTE_RETURN_IF_ERROR(EnsureLeafDir(new_id));
    std::string from = PathOf(id);
    std::string to = PathOf(new_id);
    if (::link(from.c_str(), to.c_str()) != 0) {
      if (errno == ENOENT) return NoSuchBlob(id);
      return IoError("link blob", to, errno);
    }
    CENOTE_RETURN_IF_ERROR(FsyncDirectory(LeafDirOf(new_id)));
    return new_id;
  }

  Result<std::vector<BlobId>> List() override {
    std::vector<BlobId> ids;
    CENOTE_ASSIGN_OR_RETURN(auto top, ListDir(root_));
    for (const auto& a : top) {
      if (!IsFanOutName(a.c_str())) continue;
      CENOTE_ASSIGN_OR_RETURN(auto mid, ListDir(root_ + "/" + a));
      for (const auto& b : mid) {
        if (!IsFanOutName(b.c_str())) continue;
        CENOTE_ASSIGN_OR_RETURN(auto leaf, ListDir(root_ + "/" + a + "/" + b));
        for (auto& name : leaf) {
          if (IsValidBlobId(name) && name.compare(0, 2, a) == 0 && name.compare(2, 2, b) == 0) {
            ids.push_back(std::move(name));
          }
        }
      }
    }
    return ids;
  }

  std::string LeafDirOf(const BlobId& id) const {
    return root_ + "/" + id.substr(0, 2) + "/" + id.substr(2, 2);
  }
  std::string PathOf(const BlobId& id) const { return LeafDirOf(id) + "/" + id; }
  std::string LocalPath(const BlobId& id) const override { return IsValidBlobId(id) ? PathOf(id) : ""; }
  std::string root() const override { return root_; }

  // A fresh random id whose fan-out prefix (ab/cd) is shared by up to kBlobsPerLeaf consecutive blobs:
  // a new leaf directory costs two directory fsyncs (EnsureLeafDir), so spreading every blob over the
  // 65,536 leaves would pay them on nearly every write of a young store. 112 bits stay random.
  Result<BlobId> NextBlobId() {
    CENOTE_ASSIGN_OR_RETURN(BlobId id, NewBlobId());
    MutexLock lock(mu_);
    if (leaf_prefix_.empty() || leaf_uses_ >= kBlobsPerLeaf) {
      leaf_prefix_ = id.substr(0, 4);
      leaf_uses_ = 0;
    }
    ++leaf_uses_;
    id.replace(0, 4, leaf_prefix_);
    return id;
  }

  // Creates <root>/ab and <root>/ab/cd if needed, each fsynced into its parent. A directory found
  // already present is fsynced into its parent once per process too: a previous process may have
  // been killed between its mkdir and its fsync, leaving an entry that a power loss would drop.
  Status EnsureLeafDir(const BlobId& id) {
    std::string first = root_ + "/" + id.substr(0, 2);
    std::string leaf = first + "/" + id.substr(2, 2);
    {
      MutexLock lock(mu_);
      if (durable_dirs_.count(leaf) != 0) return Status::Ok();
    }
    for (const std::string* dir : {&first, &leaf}) {
      {
        MutexLock lock(mu_);
        if (durable_dirs_.count(*dir) != 0) continue;
      }
      if (::mkdir(dir->c_str(), 0700) != 0 && errno != EEXIST) return IoError("mkdir", *dir, errno);
      CENOTE_RETURN_IF_ERROR(FsyncDirectory(ParentDirectory(*dir)));
      MutexLock lock(mu_);
      durable_dirs_.insert(*dir);
    }
    return Status::Ok();
  }

 private:
  // An empty temp file, created ahead of need: creating an inode can wait on a disk read (the inode
  // bitmap), so Create hands out files made by a background task and makes its own only when none
  // is left. A spare left behind by a crash is an ordinary temp file that Init removes.
  struct Spare {
    BlobId id;
    std::string path;
    int fd = -1;
  };

  Result<Spare> CreateTempFile() {
    CENOTE_ASSIGN_OR_RETURN(BlobId id, NextBlobId());
    Spare s;
    s.path = temp_dir_ + "/" + id;
    s.fd = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (s.fd < 0) return IoError("create temp blob", s.path, errno);
    s.id = std::move(id);
    return s;
  }

  // One round of the refiller task: tops the spares up to spare_files_, then sleeps until Create takes one
  // (or, after a failure, until Create has made a file of its own again).
  BackgroundTask::Clock::duration RefillSpares() {
    for (;;) {
      {
        MutexLock lock(spare_mu_);
        if (spares_.size() >= spare_files_ || refill_failed_) return BackgroundTask::kUntilWoken;
      }
      auto spare = CreateTempFile();
      MutexLock lock(spare_mu_);
      if (!spare) {
        // Create reports the error itself when it makes its own file; stop refilling until then.
        refill_failed_ = true;
        return BackgroundTask::kUntilWoken;
      }
      spares_.push_back(std::move(*spare));
    }
  }

  static Result<std::vector<std::string>> ListDir(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return IoError("opendir", dir, errno);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
        names.emplace_back(e->d_name);
      errno = 0;
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return IoError("readdir", dir, err);
    return names;
  }

  Status RemoveTempFiles() {
    CENOTE_ASSIGN_OR_RETURN(auto names, ListDir(temp_dir_));
    if (names.empty()) return Status::Ok();
    for (const auto& name : names) {
      std::string path = temp_dir_ + "/" + name;
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("unlink temp blob", path, errno);
    }
    spdlog::info("store: removed {} uncommitted temp blob(s) from {}", names.size(), temp_dir_);
    return FsyncDirectory(temp_dir_);
  }

  const std::string root_;
  const std::string temp_dir_;
  FreeSpaceReserve* const reserve_;  // null: no reserve
  Mutex mu_;
  std::unordered_set<std::string> durable_dirs_ GUARDED_BY(mu_);
  static constexpr int kBlobsPerLeaf = 4096;
  std::string leaf_prefix_ GUARDED_BY(mu_);  // NextBlobId's current fan-out prefix
  int leaf_uses_ GUARDED_BY(mu_) = 0;

  const std::size_t spare_files_;
  Mutex spare_mu_;
  std::vector<Spare> spares_ GUARDED_BY(spare_mu_);
  bool refill_failed_ GUARDED_BY(spare_mu_) = false;
  BackgroundTasks* tasks_;                      // the options' runner, or own_tasks_
  std::unique_ptr<BackgroundTasks> own_tasks_;  // when the options gave none
  std::unique_ptr<BackgroundTask> refiller_;    // null when spare_files_ == 0; stopped first
};

Status LocalBlobWriter::Append(const char* data, std::size_t n) {
  if (committed_ || failed_) return InternalError("blob writer: Append after Commit or a failed write");
  if (n == 0) return Status::Ok();
  // Pieces are copied into a 1 MiB buffer so that a stream of small pieces (64 KiB HTTP body chunks)
  // costs one write(2) per MiB; a piece at least as large as the buffer goes straight to the file.
  if (buffered_ + n > kWriteBufferSize) {
    CENOTE_RETURN_IF_ERROR(Flush());
  }
  if (n >= kWriteBufferSize) {
    CENOTE_RETURN_IF_ERROR(WriteThrough(data, n));
  } else {
    // Not zero-filled: only the pages a body reaches are ever touched.
    if (!buffer_) buffer_ = std::make_unique_for_overwrite<char[]>(kWriteBufferSize);
    std::memcpy(buffer_.get() + buffered_, data, n);
    buffered_ += n;
  }
  size_ += n;
  return Status::Ok();
}

Status LocalBlobWriter::Flush() {
  if (buffered_ == 0) return Status::Ok();
  CENOTE_RETURN_IF_ERROR(WriteThrough(buffer_.get(), buffered_));
  buffered_ = 0;
  return Status::Ok();
}

Status LocalBlobWriter::WriteThrough(const char* data, std::size_t n) {
  // Admitted per write(2), so per buffered MiB: a body of unknown length stops at the reserve, not at the
  // last byte of the disk (free_space.hpp).
  if (Status admitted = store_.Admit(n); !admitted) {
    failed_ = true;
    return admitted;
  }
  if (!WriteAll(fd_, data, n)) {
    failed_ = true;
    return IoError("write temp blob", temp_path_, errno);
  }
  written_ += n;
  if (written_ - writeback_start_ >= kWritebackInterval) {
    // Only a hint (SYNC_FILE_RANGE_WRITE starts I/O, waits for nothing, promises nothing about
    // durability): Commit's fsync remains the durability point, so a failure here is ignored.
    (void)::sync_file_range(fd_, static_cast<off_t>(writeback_start_),
                            static_cast<off_t>(written_ - writeback_start_), SYNC_FILE_RANGE_WRITE);
    writeback_start_ = written_;
  }
  return Status::Ok();
}

Result<BlobId> LocalBlobWriter::Commit() {
  // Durability order (DESIGN.md): write temp -> fsync(file) -> rename into <root>/ab/cd/<id> ->
  // fsync(ab/cd) -> return the id. The caller records the id in metadata only after this returns,
  // so after a crash a committed id always names complete bytes, and an uncommitted one is at worst
  // a temp file (removed by OpenLocal) or an orphan blob (found by List).
  CENOTE_RETURN_IF_ERROR(Seal());
  CENOTE_RETURN_IF_ERROR(Publish());
  CENOTE_RETURN_IF_ERROR(FsyncDirectory(store_.LeafDirOf(id_)));
  return id_;
}

Status LocalBlobWriter::Seal() {
  if (committed_ || failed_ || fd_ < 0)
    return InternalError("blob writer: Commit after Commit or a failed write");
  CENOTE_RETURN_IF_ERROR(Flush());
  (void)BackdateModificationTime(fd_);  // blobs never change (durable_file.hpp)
  if (::fsync(fd_) != 0) {
    failed_ = true;
    return IoError("fsync temp blob", temp_path_, errno);
  }
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) {
    failed_ = true;
    return IoError("close temp blob", temp_path_, errno);
  }
  return Status::Ok();
}

Status LocalBlobWriter::Publish() {
  if (committed_ || failed_ || fd_ >= 0) return InternalError("blob writer: Publish before Seal");
  auto dir = store_.EnsureLeafDir(id_);
  if (!dir) {
    failed_ = true;
    return std::move(dir).error();
  }
  std::string final_path = store_.PathOf(id_);
  if (RenameNoReplace(temp_path_.c_str(), final_path.c_str()) != 0) {
    failed_ = true;
    return IoError("rename blob", final_path, errno);
  }
  committed_ = true;
  return Status::Ok();
}

Result<std::vector<BlobId>> LocalBlobStore::CommitAll(const std::vector<BlobWriter*>& writers) {
  std::vector<LocalBlobWriter*> local;
  for (BlobWriter* w : writers) {
    auto* l = dynamic_cast<LocalBlobWriter*>(w);
    if (l == nullptr || !l->BelongsTo(*this)) return InternalError("CommitAll: a writer of another store");
    local.push_back(l);
  }
  // Same order as Commit, batched: every fsync(file) -> every rename -> fsync of each leaf directory
  // once. The data fsyncs overlap (the first in this thread).
  std::vector<std::future<Status>> sealing;
  for (std::size_t i = 1; i < local.size(); ++i)
    sealing.push_back(std::async(std::launch::async, [w = local[i]] { return w->Seal(); }));
  Status sealed = local.empty() ? Status::Ok() : local[0]->Seal();
  for (auto& f : sealing) {
    Status s = f.get();
    if (sealed && !s) sealed = std::move(s);
  }
  CENOTE_RETURN_IF_ERROR(sealed);
  std::set<std::string> dirs;
  std::vector<BlobId> ids;
  Status published;
  for (LocalBlobWriter* w : local) {
    published = w->Publish();
    if (!published) break;
    dirs.insert(LeafDirOf(w->id()));
    ids.push_back(w->id());
  }
  for (const std::string& dir : dirs) {
    if (!published) break;
    published = FsyncDirectory(dir);
  }
  if (!published) {
    // Nothing records these ids yet: remove them (one that a crash brings back is an orphan for List).
    for (const BlobId& id : ids) ::unlink(PathOf(id).c_str());
    return std::move(published).error();
  }
  return ids;
}

void LocalBlobWriter::Abort() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  // No fsync: a temp file that reappears after a crash is removed by the next OpenLocal.
  if (!committed_) ::unlink(temp_path_.c_str());
}

}  // namespace

Result<std::unique_ptr<BlobStore>> BlobStore::OpenLocal(const std::string& dir, BlobStoreOptions options) {
  if (dir.empty()) return InternalError("BlobStore::OpenLocal: empty directory");
  auto store = std::make_unique<LocalBlobStore>(dir, options);
  CENOTE_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace cenote::store
