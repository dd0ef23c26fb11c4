#include "common/background_tasks.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cenote {
namespace {

using namespace std::chrono_literals;

// Polls `done` for up to 10 s (bounded; tests never hang).
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

TEST(BackgroundTasks, EveryRunsRepeatedlyUntilStopped) {
  BackgroundTasks tasks;
  std::atomic<int> rounds{0};
  auto task = tasks.Every("tick", 1ms, [&] { ++rounds; });
  EXPECT_TRUE(Eventually([&] { return rounds.load() >= 3; }));
  task->Stop();
  int after = rounds.load();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rounds.load(), after);
  task->Stop();  // idempotent
}

TEST(BackgroundTasks, UntilWokenRunsOncePerWake) {
  BackgroundTasks tasks;
  std::atomic<int> rounds{0};
  auto task = tasks.Start(
      "woken",
      [&] {
        ++rounds;
        return BackgroundTask::kUntilWoken;
      },
      BackgroundTask::kUntilWoken);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rounds.load(), 0);
  task->Wake();
  EXPECT_TRUE(Eventually([&] { return rounds.load() == 1; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rounds.load(), 1);
  task->Wake();
  EXPECT_TRUE(Eventually([&] { return rounds.load() == 2; }));
}

TEST(BackgroundTasks, HeldTasksRunOnlyAfterRelease) {
  BackgroundTasks tasks;
  tasks.Hold();
  std::atomic<int> rounds{0};
  auto held = tasks.Start(
      "held",
      [&] {
        ++rounds;
        return BackgroundTask::kUntilWoken;
      },
      0ms);
  held->Wake();  // a wake while held counts once the task runs
  auto stopped = tasks.Start(
      "stopped-while-held",
      [&] {
        rounds += 100;
        return BackgroundTask::kStop;
      },
      0ms);
  stopped->Stop();  // never started: stopping it neither blocks nor runs it
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(rounds.load(), 0);
  tasks.Release();
  EXPECT_TRUE(Eventually([&] { return rounds.load() == 1; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rounds.load(), 1);
  // Started after the release: runs at once.
  auto later = tasks.Start(
      "later",
      [&] {
        rounds += 10;
        return BackgroundTask::kStop;
      },
      0ms);
  EXPECT_TRUE(Eventually([&] { return rounds.load() == 11; }));
}

TEST(BackgroundTasks, StopAllEndsTasksStillHeld) {
  BackgroundTasks tasks;
  tasks.Hold();
  std::atomic<int> rounds{0};
  auto task = tasks.Start(
      "held",
      [&] {
        ++rounds;
        return BackgroundTask::kStop;
      },
      0ms);
  tasks.StopAll();
  tasks.Release();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rounds.load(), 0);
}

TEST(BackgroundTasks, WakeShortensALongDelay) {
  BackgroundTasks tasks;
  std::atomic<int> rounds{0};
  auto task = tasks.Start(
      "slow",
      [&] {
        ++rounds;
        return std::chrono::duration_cast<BackgroundTask::Clock::duration>(1h);
      },
      std::chrono::duration_cast<BackgroundTask::Clock::duration>(1h));
  task->Wake();
  EXPECT_TRUE(Eventually([&] { return rounds.load() == 1; }));
  auto started = std::chrono::steady_clock::now();
  task.reset();  // stops without waiting for the hour
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(BackgroundTasks, StopAllStopsNewestFirstAndRefusesNewTasks) {
  BackgroundTasks tasks;
  auto first = tasks.Every("first", 1ms, [] {});
  auto second = tasks.Every("second", 1ms, [] {});
  EXPECT_EQ(tasks.Running(), (std::vector<std::string>{"first", "second"}));
  tasks.StopAll();
  EXPECT_TRUE(tasks.Running().empty());
  std::atomic<int> late{0};
  auto refused = tasks.Every("late", 1ms, [&] { ++late; });
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(late.load(), 0);
}

TEST(BackgroundTasks, OwnerAndRunnerMayStopConcurrently) {
  for (int i = 0; i < 50; ++i) {
    BackgroundTasks tasks;
    auto task = tasks.Every("race", 1ms, [] {});
    std::thread owner([&] { task.reset(); });
    tasks.StopAll();
    owner.join();
  }
}

TEST(BackgroundTasks, ABodyMayEndItsTask) {
  BackgroundTasks tasks;
  std::atomic<int> rounds{0};
  auto task = tasks.Start(
      "once",
      [&] {
        ++rounds;
        return BackgroundTask::kStop;
      },
      BackgroundTask::Clock::duration::zero());
  EXPECT_TRUE(Eventually([&] { return rounds.load() == 1; }));
  task->Wake();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(rounds.load(), 1);
}

}  // namespace
}  // namespace cenote
