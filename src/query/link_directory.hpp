// LinkDirectory: the directory of symbolic links to data files through which the binder reads tables
// (binder.cpp LinkFiles and HiveScan, SqlHost::LinkRoot), and its sweep.
//
// Links are reused by later queries and nothing removes one when its object is deleted or overwritten, so
// without a sweep the directory would grow with every file ever read. The sweep removes the links whose
// target is gone (and a link's own directory once empty). It is started by queries (MaybeSweep), at most
// once per `sweep_interval_s`, and runs on a background task so no query waits for it; with an interval
// of 0 it runs in the calling thread before every query instead (tests).
//
// The directory is emptied when the LinkDirectory is made: links are a cache, and a previous process's may
// dangle.
//
// Thread safety: MaybeSweep may be called from any thread; root() is immutable. Ownership: the
// LinkDirectory owns its sweep task; destroying it waits for a sweep in progress. The runner it starts on
// must outlive it or be stopped first (a stopped runner refuses the task: links are then no longer swept).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/background_tasks.hpp"
#include "common/mutex.hpp"

namespace cenote::query::internal {

class LinkDirectory {
 public:
  // Empties and creates <scratch_dir>/hive. root() is "" when it cannot be used: when it cannot be created,
  // or when its path contains '=' (DuckDB reads key=value folders anywhere in a path as partitions).
  LinkDirectory(const std::string& scratch_dir, int sweep_interval_s, BackgroundTasks& tasks);
  LinkDirectory(const LinkDirectory&) = delete;
  LinkDirectory& operator=(const LinkDirectory&) = delete;

  // Absolute path of the directory (no trailing slash), or "" (see the constructor).
  const std::string& root() const { return root_; }

  // Sweeps dangling links if the last sweep started at least `sweep_interval_s` ago and none is running:
  // in the background, or (interval 0) here before returning.
  void MaybeSweep() LOCKS_EXCLUDED(mu_);

 private:
  const std::string root_;
  const std::chrono::seconds sweep_interval_;
  BackgroundTasks& tasks_;
  Mutex mu_;
  std::chrono::steady_clock::time_point next_sweep_ GUARDED_BY(mu_){};
  bool sweeping_ GUARDED_BY(mu_) = false;
  // Started by the first background sweep, woken for the later ones; last: stopped before the rest goes.
  std::unique_ptr<BackgroundTask> task_ GUARDED_BY(mu_);
};

// Removes every symbolic link under `root` whose target does not exist, and its directory once empty.
void SweepDanglingLinks(const std::string& root);

}  // namespace cenote::query::internal
