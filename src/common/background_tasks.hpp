// BackgroundTasks: the one way Cenote runs work in the background (Kinesis retention, Firehose delivery,
// crawler schedules, the query watchdog, link sweeps, spare blob files, ...).
//
// A task is a body run on a thread of its own: the body does one round of work and returns how long to
// sleep before the next round (kUntilWoken: until Wake()). Wake() makes the task run again as soon as its
// current round (if any) ends. Stop() waits for a running round to end, then joins; it is idempotent and
// also run by the destructor, so an owner that keeps its task as a member (declared after the state the
// body uses) stops it before that state goes.
//
// The runner keeps the tasks it started in order; StopAll() stops them newest first, so a task started
// later (which may use what an earlier one maintains) ends first. The platform calls it before it destroys
// the services, so no body runs while the providers are being torn down.
//
// Thread safety: every method may be called from any thread; Stop()/StopAll() must not be called from a
// task's own body (a body that wants to end returns kStop).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.hpp"

namespace cenote {

class BackgroundTasks;

class BackgroundTask {
 public:
  using Clock = std::chrono::steady_clock;
  using Body = std::function<Clock::duration()>;
  // Returned by a body: sleep until Wake() (or Stop()).
  static constexpr Clock::duration kUntilWoken = Clock::duration::max();
  // Returned by a body: the task is finished; the thread ends (Stop() still joins it).
  static constexpr Clock::duration kStop = Clock::duration::min();

  ~BackgroundTask();  // Stop()
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;

  // Runs the body again as soon as the current round (if any) ends.
  void Wake();
  // Waits for a running round, ends the thread and joins it. Idempotent; any thread but the task's own.
  void Stop();
  const std::string& name() const;

  // Shared by the handle, the runner's list and the thread itself, so that StopAll() and the owner's
  // destructor may race without either touching freed memory.
  struct State;

 private:
  friend class BackgroundTasks;
  explicit BackgroundTask(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

class BackgroundTasks {
 public:
  BackgroundTasks() = default;
  ~BackgroundTasks();  // StopAll()
  BackgroundTasks(const BackgroundTasks&) = delete;
  BackgroundTasks& operator=(const BackgroundTasks&) = delete;

  // Starts a task whose first round runs after `first_delay` (0: at once; kUntilWoken: at the first
  // Wake()). The caller owns the task; destroying it stops it.
  std::unique_ptr<BackgroundTask> Start(std::string name, BackgroundTask::Body body,
                                        BackgroundTask::Clock::duration first_delay);
  // Convenience: runs `round` every `interval`, the first time after one interval.
  std::unique_ptr<BackgroundTask> Every(std::string name, std::chrono::milliseconds interval,
                                        std::function<void()> round);

  // Holds the tasks started from now on: their threads start (and their first delays begin) at Release().
  // The platform holds the tasks while the services register, so that no task's first round (work a
  // previous run left, say) runs before every service is registered and the authorizer is bound: a call it
  // makes then would fail for want of a service or a policy source, not on its merits.
  void Hold();
  void Release();

  // Stops every task still running, newest first. Later Start()s are refused (they return a task that
  // never runs), so nothing starts during shutdown.
  void StopAll();

  // The names of the running tasks, oldest first (for logs and tests).
  std::vector<std::string> Running() const;

 private:
  mutable Mutex mu_;
  std::vector<std::shared_ptr<BackgroundTask::State>> tasks_ GUARDED_BY(mu_);
  bool stopped_ GUARDED_BY(mu_) = false;
  bool held_ GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<BackgroundTask::State>> held_tasks_ GUARDED_BY(mu_);  // to start at Release()
};

}  // namespace cenote
