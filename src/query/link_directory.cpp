// The directory of links to data files and its sweep (link_directory.hpp).
#include "query/link_directory.hpp"

#include <filesystem>
#include <vector>

namespace cenote::query::internal {

namespace fs = std::filesystem;

namespace {

std::string PrepareRoot(const std::string& scratch_dir) {
  std::error_code ec;
  std::string root = (fs::absolute(scratch_dir, ec).lexically_normal() / "hive").string();
  fs::remove_all(root, ec);
  fs::create_directories(root, ec);
  if (ec || root.find('=') != std::string::npos) return "";
  return root;
}

}  // namespace

LinkDirectory::LinkDirectory(const std::string& scratch_dir, int sweep_interval_s, BackgroundTasks& tasks)
    : root_(PrepareRoot(scratch_dir)), sweep_interval_(sweep_interval_s), tasks_(tasks) {}

void LinkDirectory::MaybeSweep() {
  if (root_.empty()) return;
  MutexLock lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (now < next_sweep_ || sweeping_) return;
  next_sweep_ = now + sweep_interval_;
  if (sweep_interval_.count() <= 0) {
    SweepDanglingLinks(root_);
    return;
  }
  sweeping_ = true;
  if (task_ != nullptr) {
    task_->Wake();
    return;
  }
  // The task's first round runs at once; later rounds wait for a Wake() from here.
  task_ = tasks_.Start(
      "query link sweep",
      [this] {
        SweepDanglingLinks(root_);
        MutexLock done(mu_);
        sweeping_ = false;
        return BackgroundTask::kUntilWoken;
      },
      BackgroundTask::Clock::duration::zero());
}

void SweepDanglingLinks(const std::string& root) {
  std::error_code ec;
  std::vector<fs::path> dangling;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;
    if (it->is_symlink(entry_ec) && !fs::exists(it->path(), entry_ec)) dangling.push_back(it->path());
  }
  for (const fs::path& link : dangling) {
    fs::remove(link, ec);
    fs::remove(link.parent_path(), ec);  // a link's own directory (binder.cpp LinkFiles), once empty
  }
}

}  // namespace cenote::query::internal
