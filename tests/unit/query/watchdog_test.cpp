// Query deadlines (src/query/watchdog.cpp): a passed deadline interrupts once, a disarmed one never does, and
// stopping the watchdog or its runner while deadlines are armed neither hangs nor fires them.
#include "query/watchdog.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace cenote::query::internal {
namespace {

using namespace std::chrono_literals;
using Clock = Watchdog::Clock;

// Polls `done` for up to 10 s (bounded; tests never hang).
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

TEST(Watchdog, PassedDeadlineInterruptsOnce) {
  BackgroundTasks tasks;
  Watchdog watchdog(tasks);
  std::atomic<int> interrupts{0};
  auto start = Clock::now();
  std::uint64_t ticket = watchdog.Arm([&] { ++interrupts; }, start + 50ms);
  ASSERT_TRUE(Eventually([&] { return interrupts.load() > 0; }));
  EXPECT_GE(Clock::now() - start, 50ms);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(interrupts.load(), 1);
  EXPECT_TRUE(watchdog.Disarm(ticket));
}

TEST(Watchdog, DisarmedInTimeNeverInterrupts) {
  BackgroundTasks tasks;
  Watchdog watchdog(tasks);
  std::atomic<int> interrupts{0};
  std::uint64_t ticket = watchdog.Arm([&] { ++interrupts; }, Clock::now() + 300ms);
  EXPECT_FALSE(watchdog.Disarm(ticket));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(interrupts.load(), 0);
}

// Deadlines are kept per ticket: each fires at its own time, and disarming one leaves the others armed.
TEST(Watchdog, EarlierDeadlineArmedLaterFiresFirst) {
  BackgroundTasks tasks;
  Watchdog watchdog(tasks);
  std::atomic<bool> late{false};
  std::atomic<bool> early{false};
  std::atomic<bool> disarmed{false};
  auto start = Clock::now();
  std::uint64_t late_ticket = watchdog.Arm([&] { late = true; }, start + 1h);
  std::uint64_t disarmed_ticket = watchdog.Arm([&] { disarmed = true; }, start + 10s);
  // The task sleeps until the hour-long deadline unless this earlier one wakes it.
  std::uint64_t early_ticket = watchdog.Arm([&] { early = true; }, start + 50ms);
  EXPECT_FALSE(watchdog.Disarm(disarmed_ticket));
  ASSERT_TRUE(Eventually([&] { return early.load(); }));
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_TRUE(watchdog.Disarm(early_ticket));
  EXPECT_FALSE(late.load());
  EXPECT_FALSE(disarmed.load());
  EXPECT_FALSE(watchdog.Disarm(late_ticket));
}

TEST(Watchdog, ManyStatementsAtOnce) {
  BackgroundTasks tasks;
  Watchdog watchdog(tasks);
  std::vector<std::thread> threads;
  std::atomic<int> interrupts{0};
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        // Every other statement of thread 0 runs past a 1 ms deadline; the others end in time.
        bool expires = t == 0 && i % 2 == 0;
        std::atomic<bool> fired{false};
        Deadline deadline(
            watchdog,
            [&] {
              fired = true;
              ++interrupts;
            },
            expires ? 1ms : 10min);
        if (expires && !Eventually([&] { return fired.load(); })) ++wrong;
        if (deadline.expired() != expires) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(interrupts.load(), 25);
}

TEST(Watchdog, DeadlineDisarmsWhenItGoes) {
  BackgroundTasks tasks;
  Watchdog watchdog(tasks);
  std::atomic<int> interrupts{0};
  {
    Deadline deadline(
        watchdog, [&] { ++interrupts; }, 300ms);
  }
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(interrupts.load(), 0);
}

TEST(Watchdog, DestroyedWhileArmedDoesNotWaitOrFire) {
  BackgroundTasks tasks;
  std::atomic<int> interrupts{0};
  auto start = Clock::now();
  {
    Watchdog watchdog(tasks);
    watchdog.Arm([&] { ++interrupts; }, Clock::now() + 1h);
    watchdog.Arm([&] { ++interrupts; }, Clock::now() + 300ms);
  }
  EXPECT_LT(Clock::now() - start, 5s);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(interrupts.load(), 0);
  EXPECT_TRUE(tasks.Running().empty());
}

// The platform stops every task before it tears the services down: an engine's watchdog stops with them,
// and what is still armed never fires.
TEST(Watchdog, RunnerStoppedWhileArmed) {
  BackgroundTasks tasks;
  Watchdog watchdog(tasks);
  EXPECT_EQ(tasks.Running(), std::vector<std::string>{"query watchdog"});
  std::atomic<int> interrupts{0};
  std::uint64_t ticket = watchdog.Arm([&] { ++interrupts; }, Clock::now() + 300ms);
  auto start = Clock::now();
  tasks.StopAll();
  EXPECT_LT(Clock::now() - start, 5s);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(interrupts.load(), 0);
  EXPECT_FALSE(watchdog.Disarm(ticket));
  // Arming after the stop is harmless.
  EXPECT_FALSE(watchdog.Disarm(watchdog.Arm([&] { ++interrupts; }, Clock::now())));
}

}  // namespace
}  // namespace cenote::query::internal
