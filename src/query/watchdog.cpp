// Query deadlines on one background task (watchdog.hpp).
#include "query/watchdog.hpp"

#include <algorithm>
#include <utility>

namespace cenote::query::internal {

Watchdog::Watchdog(BackgroundTasks& tasks)
    : task_(tasks.Start(
          "query watchdog", [this] { return InterruptExpired(); }, BackgroundTask::kUntilWoken)) {}

Watchdog::~Watchdog() { task_->Stop(); }

std::uint64_t Watchdog::Arm(std::function<void()> interrupt, Clock::time_point deadline) {
  std::uint64_t ticket = 0;
  bool wake = false;
  {
    MutexLock lock(mu_);
    ticket = ++last_ticket_;
    armed_.emplace(ticket, Entry{std::move(interrupt), deadline});
    // Most statements end long before their deadline (30 minutes by default): the task is woken only when
    // this deadline comes before the round it is sleeping until, not for every statement.
    if (deadline < next_round_) {
      next_round_ = deadline;
      wake = true;
    }
  }
  // A Wake() that comes while a round runs is kept: the task runs another round right after it.
  if (wake) task_->Wake();
  return ticket;
}

bool Watchdog::Disarm(std::uint64_t ticket) {
  MutexLock lock(mu_);
  armed_.erase(ticket);
  return expired_.erase(ticket) > 0;
}

Watchdog::Clock::duration Watchdog::InterruptExpired() {
  MutexLock lock(mu_);
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  for (auto it = armed_.begin(); it != armed_.end();) {
    if (it->second.deadline <= now) {
      // Under the lock: Disarm cannot return (and the connection go back to the pool) meanwhile.
      it->second.interrupt();
      expired_.insert(it->first);
      it = armed_.erase(it);
    } else {
      next = std::min(next, it->second.deadline);
      ++it;
    }
  }
  next_round_ = next;
  if (next == Clock::time_point::max()) return BackgroundTask::kUntilWoken;
  return next - now;
}

Deadline::Deadline(Watchdog& watchdog, std::function<void()> interrupt, std::chrono::milliseconds timeout)
    : watchdog_(watchdog), ticket_(watchdog.Arm(std::move(interrupt), Watchdog::Clock::now() + timeout)) {}

}  // namespace cenote::query::internal
