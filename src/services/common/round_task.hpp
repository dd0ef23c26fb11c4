// StartRounds: the background task of a service whose work comes due at times it knows (EventBridge's
// deliveries, Scheduler's timers, Step Functions' executions): `round` does what is due and answers in how
// many milliseconds it next has something to do (negative: nothing known); the task runs it again then, and
// at least every `max_interval_ms` (work another thread added meanwhile), or at once when woken. A round that
// throws is logged and retried after `max_interval_ms`.
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "common/background_tasks.hpp"

namespace cenote::services {

inline std::unique_ptr<BackgroundTask> StartRounds(BackgroundTasks& tasks, std::string name,
                                                   std::int64_t max_interval_ms,
                                                   std::function<std::int64_t()> round) {
  return tasks.Start(
      name,
      [name, max_interval_ms, round = std::move(round)]() -> BackgroundTask::Clock::duration {
        std::int64_t next = max_interval_ms;
        try {
          const std::int64_t due = round();
          if (due >= 0) next = std::min(next, due);
        } catch (const std::exception& e) {
          spdlog::error("{}: round failed: {}", name, e.what());
        }
        return std::chrono::milliseconds(next);
      },
      std::chrono::milliseconds(0));
}

}  // namespace cenote::services
