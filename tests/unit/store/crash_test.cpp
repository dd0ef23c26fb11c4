// Crash test for the write path (DESIGN.md "Storage and durability contract"): a child process
// commits blob -> metadata row -> acknowledges (prints the id on a pipe) in a loop and is killed with
// SIGKILL at a random moment, so the kill lands anywhere in the sequence (mid-Append, between fsync
// and rename, between blob commit and metadata commit, mid-COMMIT). After reopening, everything
// acknowledged must be intact and no temp file may survive OpenLocal. SIGKILL tests process-crash
// atomicity; power-loss durability rests on the fsync order, which this test cannot observe.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "store/blob_store.hpp"
#include "store/metadata_store.hpp"
#include "temp_dir.hpp"

namespace cenote::store {
namespace {

using testing::TempDir;

const std::vector<std::string> kSchema = {
    "CREATE TABLE objects (seq INTEGER PRIMARY KEY, blob_id TEXT NOT NULL, size INTEGER NOT NULL)"};

std::string Content(std::int64_t seq) {
  std::mt19937 rng(static_cast<unsigned>(seq));
  // 0 .. ~3 MiB: some blobs span several 1 MiB write-buffer flushes.
  std::size_t size = seq % 7 == 0 ? 0 : rng() % (3u << 20);
  std::string s(size, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Where RunChild kills itself on its last iteration (kNone: only the parent's random SIGKILL).
enum class CrashPoint { kNone, kMidAppend, kAfterBlobCommit, kBeforeMetadataCommit, kAfterMetadataCommit };

void CrashIf(CrashPoint point, CrashPoint here) {
  if (point == here) ::raise(SIGKILL);
}

[[noreturn]] void RunChild(const std::string& dir, int ack_fd, std::int64_t first_seq,
                           std::int64_t count = 500, CrashPoint crash = CrashPoint::kNone,
                           BlobStoreOptions options = {}) {
  auto blobs = BlobStore::OpenLocal(dir + "/blobs", options);
  auto meta = MetadataStore::OpenSqlite(dir + "/meta.db");
  if (!blobs.ok() || !meta.ok() || !(*meta)->Migrate("crash", kSchema).ok()) ::_exit(2);
  for (std::int64_t seq = first_seq; seq < first_seq + count; ++seq) {
    const CrashPoint point = seq == first_seq + count - 1 ? crash : CrashPoint::kNone;
    std::string bytes = Content(seq);
    auto writer = (*blobs)->Create();
    if (!writer.ok()) ::_exit(3);
    for (std::size_t off = 0; off < bytes.size(); off += 65536) {
      if (!(*writer)->Append(bytes.data() + off, std::min<std::size_t>(65536, bytes.size() - off)).ok()) {
        ::_exit(4);
      }
      if (off >= bytes.size() / 2) CrashIf(point, CrashPoint::kMidAppend);
    }
    CrashIf(point, CrashPoint::kMidAppend);  // empty blobs have no Append
    auto id = (*writer)->Commit();
    if (!id.ok()) ::_exit(5);
    CrashIf(point, CrashPoint::kAfterBlobCommit);
    auto txn = (*meta)->Begin(MetadataStore::Mode::kWrite);
    if (!txn.ok()) ::_exit(6);
    if (!(*txn)
             ->Exec("INSERT INTO objects (seq, blob_id, size) VALUES (?, ?, ?)",
                    {seq, *id, static_cast<std::int64_t>(bytes.size())})
             .ok()) {
      ::_exit(7);
    }
    CrashIf(point, CrashPoint::kBeforeMetadataCommit);
    if (!(*txn)->Commit().ok()) ::_exit(7);
    CrashIf(point, CrashPoint::kAfterMetadataCommit);
    // Acknowledge: one line, shorter than PIPE_BUF, so it arrives whole or not at all.
    std::string line = std::to_string(seq) + " " + *id + "\n";
    if (::write(ack_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(8);
  }
  ::_exit(0);
}

std::set<std::string> TempFiles(const TempDir& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "blobs/tmp")) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

// Reopens both stores the way a restarted server does and checks the durability contract.
void VerifyRecovery(const TempDir& dir, const std::map<std::int64_t, BlobId>& acked,
                    BlobStoreOptions options = {}) {
  std::set<std::string> before = TempFiles(dir);
  auto blobs = BlobStore::OpenLocal(dir / "blobs", options);
  ASSERT_TRUE(blobs.ok());
  // Spare files are made afresh after the sweep: none of the crashed process's may remain.
  std::set<std::string> after = TempFiles(dir);
  for (const std::string& name : after)
    EXPECT_EQ(before.count(name), 0u) << "temp file " << name << " survived";
  if (options.spare_files == 0) {
    EXPECT_TRUE(after.empty()) << "temp files survived OpenLocal";
  }
  EXPECT_LE(after.size(), options.spare_files);
  auto meta = MetadataStore::OpenSqlite(dir / "meta.db");
  ASSERT_TRUE(meta.ok());
  ASSERT_TRUE((*meta)->Migrate("crash", kSchema).ok());
  auto txn = (*meta)->Begin(MetadataStore::Mode::kRead);
  ASSERT_TRUE(txn.ok());
  for (const auto& [s, blob_id] : acked) {
    auto row = (*txn)->QueryOne("SELECT blob_id, size FROM objects WHERE seq = ?", {s});
    ASSERT_TRUE(row.ok());
    ASSERT_TRUE(row->has_value()) << "acknowledged row " << s << " lost";
    EXPECT_EQ(AsText((**row)[0]), blob_id);
  }
  // Every committed row (acknowledged or not) names a complete blob: blob commit precedes the row.
  auto rows = (*txn)->Query("SELECT seq, blob_id, size FROM objects");
  ASSERT_TRUE(rows.ok());
  EXPECT_GE(rows->size(), acked.size());
  for (const Row& row : *rows) {
    std::int64_t s = AsInt(row[0]);
    auto reader = (*blobs)->Open(AsText(row[1]));
    ASSERT_TRUE(reader.ok()) << "row " << s << " names a missing blob";
    std::string expected = Content(s);
    ASSERT_EQ((*reader)->size(), expected.size());
    std::string actual(expected.size(), '\0');
    std::size_t off = 0;
    while (off < actual.size()) {
      auto n = (*reader)->ReadAt(off, actual.data() + off, actual.size() - off);
      ASSERT_TRUE(n.ok());
      ASSERT_GT(*n, 0u);
      off += *n;
    }
    EXPECT_TRUE(actual == expected) << "blob of row " << s << " is torn";
  }
}

void KillAtRandomMoments(BlobStoreOptions options) {
  TempDir dir;
  std::mt19937 rng(std::random_device{}());
  std::map<std::int64_t, BlobId> acked;
  for (int iteration = 0; iteration < 4; ++iteration) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::int64_t first_seq = iteration * 1000;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(dir.path(), fds[1], first_seq, 500, CrashPoint::kNone, options);
    }
    ::close(fds[1]);
    // Let the child acknowledge a few writes, then kill it a random number of microseconds later
    // (0-30 ms, on the order of one write cycle) so the kill lands at a random step.
    int wait_for_acks = 1 + static_cast<int>(rng() % 8);
    std::string received;
    char buf[4096];
    int acks = 0;
    while (acks < wait_for_acks) {
      ssize_t n = ::read(fds[0], buf, sizeof(buf));
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) acks += buf[i] == '\n';
      received.append(buf, static_cast<std::size_t>(n));
    }
    ::usleep(rng() % 30000);
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    // Either killed, or it finished its bounded loop cleanly: anything else is a child-side failure.
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "child exit status " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    for (;;) {
      ssize_t n = ::read(fds[0], buf, sizeof(buf));
      if (n <= 0) break;
      received.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    std::istringstream lines(received);
    std::int64_t seq;
    std::string id;
    int new_acks = 0;
    while (lines >> seq >> id) {
      acked[seq] = id;
      ++new_acks;
    }
    EXPECT_GE(new_acks, std::min(wait_for_acks, 1));

    VerifyRecovery(dir, acked, options);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GE(acked.size(), 4u);
}

TEST(StoreCrashTest, AcknowledgedWritesSurviveSigkill) { KillAtRandomMoments({}); }

// The server's configuration: a background thread keeps empty temp files ready for Create.
TEST(StoreCrashTest, AcknowledgedWritesSurviveSigkillWithSpareFiles) {
  KillAtRandomMoments({.spare_files = 4});
}

// Deterministic kills at each step boundary of the write path, complementing the random kills above.
TEST(StoreCrashTest, KillAtEachStepOfTheWritePath) {
  TempDir dir;
  std::map<std::int64_t, BlobId> acked;
  std::int64_t first_seq = 0;
  for (CrashPoint point : {CrashPoint::kMidAppend, CrashPoint::kAfterBlobCommit,
                           CrashPoint::kBeforeMetadataCommit, CrashPoint::kAfterMetadataCommit}) {
    SCOPED_TRACE(static_cast<int>(point));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    // The child writes seq first_seq+1 .. first_seq+3 and kills itself at `point` in the third.
    first_seq += 1000;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunChild(dir.path(), fds[1], first_seq + 1, 3, point);
    }
    ::close(fds[1]);
    std::string received;
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fds[0], buf, sizeof(buf));
      if (n <= 0) break;
      received.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child did not reach its crash point";
    std::istringstream lines(received);
    std::int64_t seq;
    std::string id;
    int new_acks = 0;
    while (lines >> seq >> id) {
      acked[seq] = id;
      ++new_acks;
    }
    EXPECT_EQ(new_acks, 2);  // the third write never acknowledged
    bool temp_expected = point == CrashPoint::kMidAppend;
    EXPECT_EQ(std::filesystem::is_empty(dir / "blobs/tmp"), !temp_expected);
    VerifyRecovery(dir, acked);
    if (::testing::Test::HasFatalFailure()) return;
    // The unacknowledged third write: its row exists exactly when the metadata commit completed.
    auto meta = MetadataStore::OpenSqlite(dir / "meta.db");
    ASSERT_TRUE(meta.ok());
    auto txn = (*meta)->Begin(MetadataStore::Mode::kRead);
    ASSERT_TRUE(txn.ok());
    auto row = (*txn)->QueryOne("SELECT blob_id FROM objects WHERE seq = ?", {first_seq + 3});
    ASSERT_TRUE(row.ok());
    EXPECT_EQ(row->has_value(), point == CrashPoint::kAfterMetadataCommit);
  }
}

}  // namespace
}  // namespace cenote::store
