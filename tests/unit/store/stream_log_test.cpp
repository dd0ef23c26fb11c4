// StreamLog on local files: ordering, reads by sequence and timestamp, segment rolling, retention,
// group commit under concurrency, torn-tail recovery and kill -9 during concurrent appends.
#include "store/stream_log.hpp"

// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store/free_space.hpp"
#include "temp_dir.hpp"

namespace cenote::store {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

StreamRecordInput Rec(std::string key, std::string data, std::int64_t arrival = 1000) {
  StreamRecordInput r;
  r.arrival_ms = arrival;
  r.partition_key = std::move(key);
  r.data = std::move(data);
  return r;
}

std::unique_ptr<StreamLog> Open(const std::string& root, StreamLogOptions options = {}) {
  auto log = StreamLog::OpenLocal(root, options);
  EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().message);
  return log.ok() ? std::move(log).value() : nullptr;
}

TEST(StreamLogTest, AppendAssignsIncreasingSequencesAndReadsBack) {
  TempDir dir;
  auto log = Open(dir.path());
  ASSERT_TRUE(log->CreateLog("s1/shardId-000000000000", 500));
  auto seqs = log->Append("s1/shardId-000000000000", {Rec("a", "one"), Rec("b", "two")});
  ASSERT_TRUE(seqs.ok());
  ASSERT_EQ(seqs->size(), 2u);
  EXPECT_EQ((*seqs)[0], 500u);
  EXPECT_EQ((*seqs)[1], 501u);
  auto more = log->Append("s1/shardId-000000000000", {Rec("c", "three")});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ((*more)[0], 502u);

  auto read = log->Read("s1/shardId-000000000000", 0, 100, 1 << 20);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->records.size(), 3u);
  EXPECT_EQ(read->records[0].partition_key, "a");
  EXPECT_EQ(read->records[0].data, "one");
  EXPECT_EQ(read->records[2].data, "three");
  EXPECT_EQ(read->next_sequence, 503u);
  EXPECT_EQ(read->bounds.first_sequence, 500u);
  EXPECT_EQ(read->bounds.next_sequence, 503u);

  auto from = log->Read("s1/shardId-000000000000", 502, 100, 1 << 20);
  ASSERT_TRUE(from.ok());
  ASSERT_EQ(from->records.size(), 1u);
  EXPECT_EQ(from->records[0].sequence, 502u);

  auto tail = log->Read("s1/shardId-000000000000", 503, 100, 1 << 20);
  ASSERT_TRUE(tail.ok());
  EXPECT_TRUE(tail->records.empty());
  EXPECT_EQ(tail->next_sequence, 503u);
}

TEST(StreamLogTest, FlagsSurviveAReopen) {
  TempDir dir;
  {
    auto log = Open(dir.path());
    ASSERT_TRUE(log->CreateLog("s1/shardId-000000000000", 1));
    StreamRecordInput sealed = Rec("k", "sealed");
    sealed.encrypted = true;
    StreamRecordInput both = Rec("k", "both");
    both.encrypted = true;
    both.explicit_hash_key = true;
    ASSERT_TRUE(log->Append("s1/shardId-000000000000", {Rec("k", "plain"), sealed, both}).ok());
  }
  auto log = Open(dir.path());
  auto read = log->Read("s1/shardId-000000000000", 0, 100, 1 << 20);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->records.size(), 3u);
  EXPECT_FALSE(read->records[0].encrypted);
  EXPECT_FALSE(read->records[0].explicit_hash_key);
  EXPECT_TRUE(read->records[1].encrypted);
  EXPECT_FALSE(read->records[1].explicit_hash_key);
  EXPECT_TRUE(read->records[2].encrypted);
  EXPECT_TRUE(read->records[2].explicit_hash_key);
}

TEST(StreamLogTest, AppendsStopAtTheFreeSpaceReserve) {
  TempDir dir;
  std::atomic<std::uint64_t> available{(4 << 20) + 100};  // 100 bytes above a 4 MiB reserve
  auto reserve = FreeSpaceReserve::OpenWithProbe(
                     [&]() -> Result<FilesystemSpace> {
                       return FilesystemSpace{1ull << 40, available.load()};
                     },
                     ParseMinFreeSpace("4MiB").value())
                     .value();
  StreamLogOptions options;
  options.reserve = reserve.get();
  auto log = Open(dir.path(), options);
  const std::string name = "s1/shardId-000000000000";
  ASSERT_TRUE(log->CreateLog(name, 0)) << "creating a log adds no records";

  auto refused = log->Append(name, {Rec("a", std::string(40, 'x')), Rec("b", std::string(40, 'y'))});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "InsufficientStorage");
  EXPECT_EQ(refused.error().http_status, 507);
  auto bounds = log->Bounds(name);
  ASSERT_TRUE(bounds.ok());
  EXPECT_EQ(bounds->record_count, 0u) << "a refused append writes none of its records";
  EXPECT_EQ(bounds->bytes, 0u);

  auto one = log->Append(name, {Rec("a", std::string(40, 'x'))});  // 27 + 1 + 40 bytes fit
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)[0], 0u);
  available = 4 << 20;  // at the reserve: retention and deletion still work
  EXPECT_TRUE(log->Trim(name, 0).ok());
  EXPECT_TRUE(log->DeleteLog(name).ok());
}

TEST(StreamLogTest, UnknownAndInvalidLogs) {
  TempDir dir;
  auto log = Open(dir.path());
  auto r = log->Append("nope/x", {Rec("a", "b")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "NoSuchLog");
  EXPECT_FALSE(log->CreateLog("../escape", 0).ok());
  EXPECT_FALSE(log->CreateLog("a/b/c", 0).ok());
  EXPECT_FALSE(log->Read("../etc", 0, 1, 1).ok());
}

TEST(StreamLogTest, LimitsByCountAndBytes) {
  TempDir dir;
  auto log = Open(dir.path());
  ASSERT_TRUE(log->CreateLog("s/a", 0));
  std::vector<StreamRecordInput> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(Rec("k", std::string(100, static_cast<char>('a' + i))));
  ASSERT_TRUE(log->Append("s/a", batch).ok());
  auto by_count = log->Read("s/a", 0, 4, 1 << 20);
  ASSERT_TRUE(by_count.ok());
  EXPECT_EQ(by_count->records.size(), 4u);
  EXPECT_EQ(by_count->next_sequence, 4u);
  auto by_bytes = log->Read("s/a", 0, 100, 250);  // 101 bytes per record counted
  ASSERT_TRUE(by_bytes.ok());
  EXPECT_EQ(by_bytes->records.size(), 2u);
  auto at_least_one = log->Read("s/a", 3, 100, 1);
  ASSERT_TRUE(at_least_one.ok());
  ASSERT_EQ(at_least_one->records.size(), 1u);
  EXPECT_EQ(at_least_one->records[0].sequence, 3u);
}

TEST(StreamLogTest, RollsSegmentsAndSeeksAcrossThemAfterReopen) {
  TempDir dir;
  StreamLogOptions options;
  options.segment_bytes = 4096;
  options.index_interval_bytes = 512;
  {
    auto log = Open(dir.path(), options);
    ASSERT_TRUE(log->CreateLog("s/a", 0));
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(log->Append("s/a", {Rec("k" + std::to_string(i), std::string(100, 'x'), 1000 + i)}).ok());
    }
  }
  std::size_t segments = 0;
  for (const auto& e : fs::directory_iterator(dir.path() + "/s/a"))
    segments += e.path().extension() == ".log";
  EXPECT_GT(segments, 4u);

  auto log = Open(dir.path(), options);
  for (std::uint64_t from : {0ull, 1ull, 57ull, 120ull, 199ull}) {
    auto r = log->Read("s/a", from, 3, 1 << 20);
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->records.empty());
    EXPECT_EQ(r->records[0].sequence, from);
    EXPECT_EQ(r->records[0].partition_key, "k" + std::to_string(from));
  }
  auto seek = log->SeekTimestamp("s/a", 1150);
  ASSERT_TRUE(seek.ok());
  EXPECT_EQ(*seek, 150u);
  auto before = log->SeekTimestamp("s/a", 0);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, 0u);
  auto after = log->SeekTimestamp("s/a", 99999);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, 200u);
  auto next = log->Append("s/a", {Rec("z", "z")});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)[0], 200u);
  // Whole-log read crosses every segment in order.
  auto all = log->Read("s/a", 0, 10000, 1 << 30);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->records.size(), 201u);
  for (std::size_t i = 0; i < all->records.size(); ++i) EXPECT_EQ(all->records[i].sequence, i);
}

TEST(StreamLogTest, ArrivalTimestampsNeverGoBackwards) {
  TempDir dir;
  auto log = Open(dir.path());
  ASSERT_TRUE(log->CreateLog("s/a", 0));
  ASSERT_TRUE(log->Append("s/a", {Rec("a", "1", 5000), Rec("a", "2", 4000)}).ok());
  auto r = log->Read("s/a", 0, 10, 1 << 20);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[1].arrival_ms, 5000);
}

TEST(StreamLogTest, TrimDeletesWholeOldSegmentsOnly) {
  TempDir dir;
  StreamLogOptions options;
  options.segment_bytes = 1000;
  auto log = Open(dir.path(), options);
  ASSERT_TRUE(log->CreateLog("s/a", 0));
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(log->Append("s/a", {Rec("k", std::string(200, 'x'), i * 10)}).ok());
  auto removed = log->Trim("s/a", 150);  // records 0..14 are older
  ASSERT_TRUE(removed.ok());
  EXPECT_GT(*removed, 0u);
  EXPECT_LE(*removed, 15u);
  auto b = log->Bounds("s/a");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first_sequence, *removed);
  EXPECT_EQ(b->record_count, 30u - *removed);
  // Reading from the start lands on the trim horizon.
  auto r = log->Read("s/a", 0, 1, 1 << 20);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].sequence, *removed);
  // The active segment survives even when everything is old.
  auto all = log->Trim("s/a", 1'000'000);
  ASSERT_TRUE(all.ok());
  auto b2 = log->Bounds("s/a");
  ASSERT_TRUE(b2.ok());
  EXPECT_GT(b2->record_count, 0u);
  EXPECT_EQ(b2->next_sequence, 30u);
}

TEST(StreamLogTest, QuietLogsRollByAgeSoRetentionReclaimsSpace) {
  TempDir dir;
  StreamLogOptions options;
  options.segment_max_age_ms = 1000;
  auto log = Open(dir.path(), options);
  ASSERT_TRUE(log->CreateLog("s/a", 0));
  ASSERT_TRUE(log->Append("s/a", {Rec("k", "old", 10'000)}).ok());
  ASSERT_TRUE(log->Append("s/a", {Rec("k", "old2", 10'500)}).ok());
  ASSERT_TRUE(log->Append("s/a", {Rec("k", "new", 12'000)}).ok());  // rolls: the segment is 2 s old
  auto removed = log->Trim("s/a", 11'000);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2u);
  auto r = log->Read("s/a", 0, 10, 1 << 20);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].data, "new");
}

TEST(StreamLogTest, DeleteLogRemovesFiles) {
  TempDir dir;
  auto log = Open(dir.path());
  ASSERT_TRUE(log->CreateLog("s/a", 0));
  ASSERT_TRUE(log->Append("s/a", {Rec("k", "v")}).ok());
  auto names = log->ListLogs();
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 1u);
  EXPECT_EQ((*names)[0], "s/a");
  ASSERT_TRUE(log->DeleteLog("s/a"));
  EXPECT_FALSE(fs::exists(dir.path() + "/s/a"));
  EXPECT_FALSE(log->Read("s/a", 0, 1, 1).ok());
}

TEST(StreamLogTest, ConcurrentAppendsAreGroupCommittedInOrder) {
  TempDir dir;
  auto log = Open(dir.path());
  ASSERT_TRUE(log->CreateLog("s/a", 0));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::vector<std::uint64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = log->Append("s/a", {Rec("t" + std::to_string(t), std::to_string(i))});
        if (r.ok()) seqs[t].push_back((*r)[0]);
      }
    });
  }
  for (auto& th : threads) th.join();
  auto all = log->Read("s/a", 0, 100000, 1 << 30);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->records.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::map<std::string, int> next;
  for (std::size_t i = 0; i < all->records.size(); ++i) {
    const auto& rec = all->records[i];
    EXPECT_EQ(rec.sequence, i);
    // Each thread's records appear in the order it appended them.
    EXPECT_EQ(rec.data, std::to_string(next[rec.partition_key]++));
  }
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seqs[t].size(), static_cast<std::size_t>(kPerThread));
    EXPECT_TRUE(std::is_sorted(seqs[t].begin(), seqs[t].end()));
  }
}

// A reader tailing the log while writers append sees every sequence exactly once, in order, with no gaps:
// records become visible only once durable, and never out of order.
TEST(StreamLogTest, TailingReaderSeesEveryRecordInOrder) {
  TempDir dir;
  StreamLogOptions options;
  options.segment_bytes = 16 * 1024;
  options.index_interval_bytes = 1024;
  auto log = Open(dir.path(), options);
  ASSERT_TRUE(log->CreateLog("s/a", 1000));
  constexpr int kWriters = 4;
  constexpr int kBatches = 150;
  std::size_t total = 0;
  for (int i = 0; i < kBatches; ++i) total += kWriters * (1 + i % 7);
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kBatches; ++i) {
        std::vector<StreamRecordInput> batch;
        for (int k = 0; k < 1 + (i % 7); ++k)
          batch.push_back(Rec("t" + std::to_string(t), std::string(50, 'x')));
        EXPECT_TRUE(log->Append("s/a", batch).ok());
      }
    });
  }
  std::uint64_t next = 0;
  std::uint64_t expected = 1000;
  std::size_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (seen < total && std::chrono::steady_clock::now() < deadline) {
    auto r = log->Read("s/a", next, 37, 1 << 20);
    ASSERT_TRUE(r.ok());
    for (const auto& rec : r->records) {
      ASSERT_EQ(rec.sequence, expected) << "gap or reorder after " << seen << " records";
      ++expected;
      ++seen;
    }
    next = r->next_sequence;
    if (r->records.empty()) std::this_thread::yield();
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(seen, total);
}

TEST(StreamLogTest, TornTailIsCutAtRecovery) {
  TempDir dir;
  std::string seg;
  {
    auto log = Open(dir.path());
    ASSERT_TRUE(log->CreateLog("s/a", 0));
    ASSERT_TRUE(log->Append("s/a", {Rec("a", "first"), Rec("b", "second")}).ok());
    seg = dir.path() + "/s/a/" + std::string(20, '0') + ".log";
  }
  auto good_size = fs::file_size(seg);
  {
    // A half-written frame: a header promising 100 bytes and only 10 of them.
    std::ofstream out(seg, std::ios::binary | std::ios::app);
    const char header[8] = {100, 0, 0, 0, 1, 2, 3, 4};
    out.write(header, 8);
    out.write("0123456789", 10);
  }
  ASSERT_EQ(fs::file_size(seg), good_size + 18);
  auto log = Open(dir.path());
  auto r = log->Read("s/a", 0, 10, 1 << 20);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(fs::file_size(seg), good_size);
  auto next = log->Append("s/a", {Rec("c", "third")});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)[0], 2u);
  // A flipped byte in the last record's data fails its CRC: that record is cut.
  auto log2 = Open(dir.path());
  {
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(fs::file_size(seg) - 1));
    f.put('X');
  }
  auto r2 = log2->Read("s/a", 0, 10, 1 << 20);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->records.size(), 2u);
}

// fork + SIGKILL during concurrent appends: every acknowledged record reads back, in order, after
// recovery. The child reports acknowledged sequences through a pipe (written only after Append returns).
TEST(StreamLogTest, KillDuringConcurrentAppendsLosesNothingAcknowledged) {
  TempDir dir;
  StreamLogOptions options;
  options.segment_bytes = 64 * 1024;  // roll often, so kills land around segment creation too
  {
    auto log = Open(dir.path(), options);
    ASSERT_TRUE(log->CreateLog("s/a", 0));
  }
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      auto opened = StreamLog::OpenLocal(dir.path(), options);
      if (!opened.ok()) ::_exit(2);
      auto& log = *opened;
      std::mutex pipe_mu;
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < 100000; ++i) {
            std::string data =
                "r" + std::to_string(round) + "t" + std::to_string(t) + "i" + std::to_string(i);
            auto r = log->Append("s/a", {Rec("t" + std::to_string(t), data + std::string(300, '.'))});
            if (!r.ok()) ::_exit(3);
            std::lock_guard<std::mutex> g(pipe_mu);
            std::uint64_t s = (*r)[0];
            if (::write(fds[1], &s, sizeof(s)) != sizeof(s)) ::_exit(4);
          }
        });
      }
      for (auto& th : threads) th.join();
      ::_exit(0);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 100 * round));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    std::vector<std::uint64_t> acked;
    std::uint64_t s = 0;
    while (::read(fds[0], &s, sizeof(s)) == sizeof(s)) acked.push_back(s);
    ::close(fds[0]);
    ASSERT_FALSE(acked.empty()) << "round " << round;

    auto log = Open(dir.path(), options);
    auto all = log->Read("s/a", 0, 10'000'000, 1ull << 40);
    ASSERT_TRUE(all.ok());
    std::set<std::uint64_t> present;
    std::uint64_t prev = 0;
    for (std::size_t i = 0; i < all->records.size(); ++i) {
      if (i > 0) {
        EXPECT_GT(all->records[i].sequence, prev);
      }
      prev = all->records[i].sequence;
      present.insert(prev);
      ASSERT_TRUE(all->records[i].data.size() > 300 || all->records[i].partition_key == "after");
    }
    for (std::uint64_t a : acked) ASSERT_TRUE(present.count(a)) << "lost acknowledged sequence " << a;
    // Appending after recovery continues the sequence.
    auto more = log->Append("s/a", {Rec("after", "x")});
    ASSERT_TRUE(more.ok());
    EXPECT_GT((*more)[0], prev);
  }
}

}  // namespace
}  // namespace cenote::store
