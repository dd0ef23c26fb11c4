// Watchdog: interrupts statements whose deadline (QueryContext::timeout) passes.
//
// One background task (common/background_tasks.hpp) serves every statement of an engine, so a query does
// not start and join a thread of its own. A statement arms a deadline with the action that interrupts it
// (duckdb_interrupt on its connection) and disarms it when it ends; Disarm says whether the deadline had
// passed, which tells a statement that failed because it was interrupted from one that failed on its own.
//
// Promises:
// - An armed deadline's interrupt runs at most once, shortly after the deadline: the task sleeps until the
//   earliest armed deadline and is woken only when an earlier one is armed.
// - An interrupt never runs after Disarm() of its ticket has returned: it runs under the watchdog's lock,
//   which Disarm takes. A connection can therefore go back to the pool without a late interrupt hitting
//   the next statement on it. Interrupts must be quick (duckdb_interrupt only sets a flag) and must not
//   call back into the Watchdog.
// - Once the task is stopped (the Watchdog destroyed, or BackgroundTasks::StopAll at shutdown) no deadline
//   fires any more; statements still running then end on their own or through their Cancellation.
//
// Thread safety: Arm and Disarm may be called from any thread. Ownership: the Watchdog owns its task and
// the armed interrupts; the runner it starts on must outlive it or be stopped first.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "common/background_tasks.hpp"
#include "common/mutex.hpp"

namespace cenote::query::internal {

class Watchdog {
 public:
  using Clock = BackgroundTask::Clock;

  // Starts the watchdog's task on `tasks` (it sleeps until the first deadline is armed).
  explicit Watchdog(BackgroundTasks& tasks);
  ~Watchdog();  // stops the task; deadlines still armed never fire
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Arms a deadline: at `deadline`, `interrupt` runs once on the watchdog's task unless the ticket is
  // disarmed first. Returns the ticket for Disarm.
  std::uint64_t Arm(std::function<void()> interrupt, Clock::time_point deadline) LOCKS_EXCLUDED(mu_);
  // Disarms a ticket; true if its deadline had passed (its interrupt has run). Each ticket once.
  bool Disarm(std::uint64_t ticket) LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::function<void()> interrupt;
    Clock::time_point deadline;
  };

  // The task's round: interrupts the expired entries; returns how long to sleep until the next deadline.
  Clock::duration InterruptExpired() LOCKS_EXCLUDED(mu_);

  Mutex mu_;
  std::uint64_t last_ticket_ GUARDED_BY(mu_) = 0;
  std::unordered_map<std::uint64_t, Entry> armed_ GUARDED_BY(mu_);
  std::unordered_set<std::uint64_t> expired_ GUARDED_BY(mu_);  // interrupted, not disarmed yet
  // When the task runs its next round at the latest (max: not before a Wake()).
  Clock::time_point next_round_ GUARDED_BY(mu_) = Clock::time_point::max();
  // Last: started after, and stopped before, the state its body uses.
  std::unique_ptr<BackgroundTask> task_;
};

// A deadline armed on a Watchdog for the duration of one statement (RAII: disarmed when it goes).
class Deadline {
 public:
  Deadline(Watchdog& watchdog, std::function<void()> interrupt, std::chrono::milliseconds timeout);
  ~Deadline() { Finish(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // Disarms the deadline (once); true if it had passed and the statement was interrupted.
  bool expired() {
    Finish();
    return expired_;
  }

 private:
  void Finish() {
    if (done_) return;
    done_ = true;
    expired_ = watchdog_.Disarm(ticket_);
  }

  Watchdog& watchdog_;
  std::uint64_t ticket_;
  bool done_ = false;
  bool expired_ = false;
};

}  // namespace cenote::query::internal
