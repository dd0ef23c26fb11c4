#pragma once

#include <chrono>
#include <cstdint>

namespace cenote {

// Wall-clock milliseconds since the Unix epoch. Services that take a clock from ServiceDeps (for a test
// clock) use that one; this is the system's.
inline std::int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cenote
