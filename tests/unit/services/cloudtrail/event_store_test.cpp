// The event log's group write (src/services/cloudtrail/event_store.cpp): many threads appending at once,
// every acknowledged append readable (while appending and after reopening) and stored in the order of its
// sequence, rollovers included; and the same after a kill -9 of a process appending from many threads.
#include "services/cloudtrail/event_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "common/clock.hpp"

#include "../../store/temp_dir.hpp"

namespace cenote::cloudtrail {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

// An event naming its writer and its number; `pad` makes it large enough for rollovers.
json::object Event(int thread, int n, std::size_t pad) {
  return json::object{{"eventName", "GetObject"},
                      {"eventSource", "s3.amazonaws.com"},
                      {"recipientAccountId", "123456789012"},
                      {"awsRegion", "us-east-1"},
                      {"t", thread},
                      {"n", n},
                      {"pad", std::string(pad, 'x')}};
}

struct Seen {
  std::uint64_t sequence;
  int thread, n;
};

// Every stored event, oldest first, read in batches as delivery reads them.
std::vector<Seen> ReadAll(EventStore& store) {
  std::vector<Seen> out;
  for (std::uint64_t from = 1;;) {
    auto batch = store.ReadFrom(from, 4096, 8 << 20);
    EXPECT_TRUE(batch.ok()) << batch.error().message;
    if (!batch.ok() || batch->empty()) return out;
    for (const auto& e : *batch) {
      json::object o = json::parse(e.json).as_object();
      out.push_back(
          Seen{e.sequence, static_cast<int>(o.at("t").as_int64()), static_cast<int>(o.at("n").as_int64())});
      from = e.sequence + 1;
    }
  }
}

// Sequences 1..size() without a gap, and each thread's events in the order it appended them.
void ExpectOrdered(const std::vector<Seen>& events) {
  std::map<int, int> last;
  for (std::size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].sequence, i + 1);
    auto it = last.find(events[i].thread);
    if (it != last.end()) {
      ASSERT_LT(it->second, events[i].n) << "thread " << events[i].thread;
    }
    last[events[i].thread] = events[i].n;
  }
}

TEST(CloudTrailEventStore, GroupWriteKeepsEveryAcknowledgedAppendInOrder) {
  TempDir dir;
  constexpr int kThreads = 8, kEach = 2500;
  constexpr std::size_t kPad = 1500;  // ~1.7 KiB frames: 20,000 of them roll over about 8 segments
  {
    auto store = EventStore::Open(
        dir / "events", [] { return UnixNowMs(); }, SyncMode::kBatched);
    ASSERT_TRUE(store.ok());
    std::atomic<bool> done{false};
    std::atomic<int> reader_failures{0};
    // A reader meanwhile: whatever NextSequence announces is readable, in order (published means written).
    std::thread reader([&] {
      std::uint64_t from = 1;
      while (!done.load()) {
        const std::uint64_t next = (*store)->NextSequence().value();
        while (from < next) {
          auto batch = (*store)->ReadFrom(from, 512, 1 << 20);
          if (!batch.ok() || batch->empty() || batch->front().sequence != from) {
            ADD_FAILURE() << "from " << from << " next " << next << " ok " << batch.ok() << " "
                          << (batch.ok() ? std::to_string(batch->size()) : batch.error().message) << " "
                          << (batch.ok() && !batch->empty() ? batch->front().sequence : 0);
            ++reader_failures;
            return;
          }
          for (const auto& e : *batch) {
            if (e.sequence != from) {
              ++reader_failures;
              return;
            }
            ++from;
          }
        }
      }
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int n = 0; n < kEach; ++n) {
          // Every fifth a management event (indexed for LookupEvents), the rest data events.
          ASSERT_TRUE(
              (*store)->Append(Event(t, n, kPad), n % 5 == 0, "123456789012\tus-east-1\tt\tarn").ok());
        }
      });
    }
    for (auto& t : threads) t.join();
    done = true;
    reader.join();
    EXPECT_EQ(reader_failures.load(), 0);
    EXPECT_EQ((*store)->NextSequence().value(), std::uint64_t{kThreads * kEach + 1});
    auto events = ReadAll(**store);
    ASSERT_EQ(events.size(), std::size_t{kThreads * kEach});
    ExpectOrdered(events);
  }
  std::size_t segments = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "events")) {
    segments += e.path().extension() == ".log" ? 1 : 0;
  }
  EXPECT_GE(segments, 5u);
  // Reopened: the same events, the same order, the management ones in the history.
  auto store = EventStore::Open(
      dir / "events", [] { return UnixNowMs(); }, SyncMode::kBatched);
  ASSERT_TRUE(store.ok());
  auto events = ReadAll(**store);
  ASSERT_EQ(events.size(), std::size_t{kThreads * kEach});
  ExpectOrdered(events);
  LookupQuery q;
  q.account = "123456789012";
  q.region = "us-east-1";
  q.end_ms = UnixNowMs() + 1000;
  q.max_results = 1 << 20;
  EXPECT_EQ((*store)->Lookup(q)->events.size(), std::size_t{kThreads * kEach / 5});
  // And appends go on after the last one.
  ASSERT_TRUE((*store)->Append(Event(99, 0, 10), false).ok());
  EXPECT_EQ((*store)->NextSequence().value(), std::uint64_t{kThreads * kEach + 2});
}

TEST(CloudTrailEventStore, SyncAlwaysGroupWrite) {
  TempDir dir;
  constexpr int kThreads = 4, kEach = 150;
  {
    auto store = EventStore::Open(
        dir / "events", [] { return UnixNowMs(); }, SyncMode::kAlways);
    ASSERT_TRUE(store.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int n = 0; n < kEach; ++n) ASSERT_TRUE((*store)->Append(Event(t, n, 100), false).ok());
      });
    }
    for (auto& t : threads) t.join();
  }
  auto store = EventStore::Open(
      dir / "events", [] { return UnixNowMs(); }, SyncMode::kAlways);
  ASSERT_TRUE(store.ok());
  auto events = ReadAll(**store);
  ASSERT_EQ(events.size(), std::size_t{kThreads * kEach});
  ExpectOrdered(events);
}

// A child process appends from 8 threads and reports each acknowledged append on a pipe; it is killed with
// SIGKILL at a random moment. Reopened, the log holds every acknowledged event, in order, without a gap.
TEST(CloudTrailEventStore, AcknowledgedAppendsSurviveKill9) {
  std::mt19937 rnd(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    TempDir dir;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      auto store = EventStore::Open(
          dir / "events", [] { return UnixNowMs(); }, SyncMode::kBatched);
      if (!store.ok()) ::_exit(3);
      std::vector<std::thread> threads;
      for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
          for (int n = 0;; ++n) {
            if (!(*store)->Append(Event(t, n, 700), n % 3 == 0).ok()) ::_exit(4);
            const std::uint64_t ack = (std::uint64_t(t) << 32) | std::uint32_t(n);
            if (::write(fds[1], &ack, sizeof ack) != sizeof ack) ::_exit(5);
          }
        });
      }
      for (auto& t : threads) t.join();
      ::_exit(0);
    }
    ::close(fds[1]);
    std::set<std::uint64_t> acked;
    auto drain = [&](bool until_eof) {
      std::uint64_t buf[512];
      for (;;) {
        const ssize_t r = ::read(fds[0], buf, sizeof buf);
        if (r <= 0) return;
        for (ssize_t i = 0; i < r / 8; ++i) acked.insert(buf[i]);
        if (!until_eof) return;
      }
    };
    const auto kill_at = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(std::uniform_int_distribution(200, 700)(rnd));
    while (std::chrono::steady_clock::now() < kill_at) drain(false);
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    drain(true);
    ::close(fds[0]);
    ASSERT_GT(acked.size(), 0u);
    auto store = EventStore::Open(
        dir / "events", [] { return UnixNowMs(); }, SyncMode::kBatched);
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto events = ReadAll(**store);
    ExpectOrdered(events);
    std::set<std::uint64_t> stored;
    for (const auto& e : events) stored.insert((std::uint64_t(e.thread) << 32) | std::uint32_t(e.n));
    std::size_t missing = 0;
    for (std::uint64_t a : acked) missing += stored.contains(a) ? 0 : 1;
    EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged appends (round " << round << ")";
    // Appends go on after the cut.
    ASSERT_TRUE((*store)->Append(Event(99, 0, 10), false).ok());
    EXPECT_EQ((*store)->NextSequence().value(), events.size() + 2);
  }
}

}  // namespace
}  // namespace cenote::cloudtrail
