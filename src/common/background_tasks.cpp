#include "common/background_tasks.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#include "common/thread_name.hpp"
namespace cenote {

struct BackgroundTask::State {
  State(std::string n, Body b, Clock::duration first)
      : name(std::move(n)), body(std::move(b)), first_delay(first) {}

  // The thread's loop: sleep (delay, Wake() or Stop()), run one round, repeat.
  void Run() {
    Clock::duration delay = first_delay;
    MutexLock lock(mu);
    while (!stopping) {
      if (delay == kStop) return;
      // A Wake() that came during the last round counts: no sleep then.
      if (!woken) {
        if (delay == kUntilWoken) {
          while (!stopping && !woken) cv.Wait(lock);
        } else if (delay > Clock::duration::zero()) {
          const auto deadline = Clock::now() + delay;
          while (!stopping && !woken && Clock::now() < deadline) cv.WaitFor(lock, deadline - Clock::now());
        }
      }
      if (stopping) return;
      woken = false;
      lock.Unlock();
      delay = body();
      lock.Lock();
    }
  }

  void Stop() {
    {
      MutexLock lock(mu);
      stopping = true;
      cv.SignalAll();
    }
    // Two stoppers (the owner and StopAll) may race: one joins, the other waits for it here.
    std::lock_guard<std::mutex> join_lock(join_mu);
    if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
  }

  const std::string name;
  const Body body;
  const Clock::duration first_delay;
  Mutex mu;
  CondVar cv{mu};
  bool stopping GUARDED_BY(mu) = false;
  bool woken GUARDED_BY(mu) = false;
  std::mutex join_mu;  // serializes joins of `thread`
  std::thread thread;
};

BackgroundTask::~BackgroundTask() { Stop(); }

void BackgroundTask::Wake() {
  MutexLock lock(state_->mu);
  state_->woken = true;
  state_->cv.SignalAll();
}

void BackgroundTask::Stop() { state_->Stop(); }

const std::string& BackgroundTask::name() const { return state_->name; }

namespace {

// Starts the thread of `state` (a task stopped meanwhile returns at once). The thread holds the state too: it
// outlives every handle until the thread ends. Assigned under `join_mu`: a Stop() may be joining.
void Launch(const std::shared_ptr<BackgroundTask::State>& state) {
  std::lock_guard<std::mutex> join_lock(state->join_mu);
  state->thread = std::thread([state] {
    SetThreadName(state->name);
    state->Run();
  });
}

}  // namespace

BackgroundTasks::~BackgroundTasks() { StopAll(); }

std::unique_ptr<BackgroundTask> BackgroundTasks::Start(std::string name, BackgroundTask::Body body,
                                                       BackgroundTask::Clock::duration first_delay) {
  auto state = std::make_shared<BackgroundTask::State>(std::move(name), std::move(body), first_delay);
  MutexLock lock(mu_);
  // Forget tasks stopped by their owners (their handles joined them).
  std::erase_if(tasks_, [](const std::shared_ptr<BackgroundTask::State>& t) {
    MutexLock state_lock(t->mu);
    return t->stopping;
  });
  if (stopped_) {
    MutexLock state_lock(state->mu);
    state->stopping = true;  // never runs
  } else {
    if (held_) {
      held_tasks_.push_back(state);
    } else {
      Launch(state);
    }
    tasks_.push_back(state);
  }
  return std::unique_ptr<BackgroundTask>(new BackgroundTask(std::move(state)));
}

void BackgroundTasks::Hold() {
  MutexLock lock(mu_);
  held_ = true;
}

void BackgroundTasks::Release() {
  MutexLock lock(mu_);
  held_ = false;
  for (const auto& state : held_tasks_) Launch(state);
  held_tasks_.clear();
}

std::unique_ptr<BackgroundTask> BackgroundTasks::Every(std::string name, std::chrono::milliseconds interval,
                                                       std::function<void()> round) {
  auto period = std::chrono::duration_cast<BackgroundTask::Clock::duration>(interval);
  return Start(
      std::move(name),
      [round = std::move(round), period] {
        round();
        return period;
      },
      period);
}

void BackgroundTasks::StopAll() {
  std::vector<std::shared_ptr<BackgroundTask::State>> tasks;
  {
    MutexLock lock(mu_);
    stopped_ = true;
    tasks.swap(tasks_);
    held_tasks_.clear();  // never started: Stop() only marks them stopping
  }
  for (auto it = tasks.rbegin(); it != tasks.rend(); ++it) (*it)->Stop();
}

std::vector<std::string> BackgroundTasks::Running() const {
  MutexLock lock(mu_);
  std::vector<std::string> names;
  for (const auto& t : tasks_) {
    MutexLock state_lock(t->mu);
    if (!t->stopping) names.push_back(t->name);
  }
  return names;
}

}  // namespace cenote
