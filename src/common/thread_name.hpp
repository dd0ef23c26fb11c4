#pragma once
// Names the calling thread as `top` and /proc/<pid>/task/<tid>/comm show it (at most 15 bytes kept): the
// server's threads are told apart in profiles and in per-thread CPU accounting (bench/cloudtrail).
#include <pthread.h>

#include <string>
#include <string_view>

namespace cenote {

inline void SetThreadName(std::string_view name) {
  std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace cenote
