// The directory of links to data files and its sweep (src/query/link_directory.cpp). binder_test.cpp checks
// the same sweep through queries (LinksToDeletedFilesAreSwept).
#include "query/link_directory.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../store/temp_dir.hpp"

namespace cenote::query::internal {
namespace {

namespace fs = std::filesystem;
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

class LinkDirectoryTest : public ::testing::Test {
 protected:
  // A link in a directory of its own (as binder.cpp LinkFiles lays them out) to a new file data/<name>.
  fs::path Link(const std::string& root, const std::string& name) {
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / ("data/" + name)) << "x";
    fs::path link = fs::path(root) / name / "data.csv";
    fs::create_directories(link.parent_path());
    fs::create_symlink(dir_ / ("data/" + name), link);
    return link;
  }
  void RemoveTarget(const std::string& name) { fs::remove(dir_ / ("data/" + name)); }

  store::testing::TempDir dir_;
  BackgroundTasks tasks_;
};

TEST_F(LinkDirectoryTest, StartsEmpty) {
  fs::create_directories(dir_ / "scratch/hive/old");
  LinkDirectory links(dir_ / "scratch", 0, tasks_);
  EXPECT_EQ(links.root(), dir_ / "scratch/hive");
  EXPECT_TRUE(fs::is_directory(links.root()));
  EXPECT_TRUE(fs::is_empty(links.root()));
}

TEST_F(LinkDirectoryTest, UnusableRootIsEmpty) {
  // DuckDB would read "k=v" in the path as a partition.
  LinkDirectory partition_like(dir_ / "k=v/scratch", 0, tasks_);
  EXPECT_EQ(partition_like.root(), "");
  std::ofstream(dir_ / "file") << "not a directory";
  LinkDirectory blocked(dir_ / "file/scratch", 0, tasks_);
  EXPECT_EQ(blocked.root(), "");
  blocked.MaybeSweep();  // nothing to sweep
}

TEST_F(LinkDirectoryTest, IntervalZeroSweepsBeforeEveryQuery) {
  LinkDirectory links(dir_ / "scratch", 0, tasks_);
  fs::path kept = Link(links.root(), "a");
  fs::path gone = Link(links.root(), "b");
  RemoveTarget("b");
  links.MaybeSweep();
  EXPECT_TRUE(fs::is_symlink(kept));
  EXPECT_FALSE(fs::is_symlink(gone));
  EXPECT_FALSE(fs::exists(gone.parent_path()));  // its own directory goes with it
  fs::path next = Link(links.root(), "c");
  RemoveTarget("c");
  links.MaybeSweep();
  EXPECT_FALSE(fs::is_symlink(next));
  EXPECT_TRUE(tasks_.Running().empty());  // no background task for interval 0
}

TEST_F(LinkDirectoryTest, SweepsInTheBackgroundAtMostOncePerInterval) {
  LinkDirectory links(dir_ / "scratch", 3600, tasks_);
  fs::path gone = Link(links.root(), "a");
  RemoveTarget("a");
  links.MaybeSweep();
  EXPECT_TRUE(Eventually([&] { return !fs::is_symlink(gone); }));
  EXPECT_EQ(tasks_.Running(), std::vector<std::string>{"query link sweep"});
  // Within the interval, no other sweep.
  fs::path later = Link(links.root(), "b");
  RemoveTarget("b");
  links.MaybeSweep();
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(fs::is_symlink(later));
}

TEST_F(LinkDirectoryTest, LaterSweepsWakeTheSameTask) {
  LinkDirectory links(dir_ / "scratch", 1, tasks_);
  fs::path first = Link(links.root(), "a");
  RemoveTarget("a");
  auto start = std::chrono::steady_clock::now();
  links.MaybeSweep();
  EXPECT_TRUE(Eventually([&] { return !fs::is_symlink(first); }));
  fs::path second = Link(links.root(), "b");
  RemoveTarget("b");
  std::this_thread::sleep_until(start + 1100ms);
  links.MaybeSweep();
  EXPECT_TRUE(Eventually([&] { return !fs::is_symlink(second); }));
  EXPECT_EQ(tasks_.Running(), std::vector<std::string>{"query link sweep"});
}

TEST_F(LinkDirectoryTest, StoppedRunnerRefusesTheSweep) {
  LinkDirectory links(dir_ / "scratch", 3600, tasks_);
  fs::path gone = Link(links.root(), "a");
  RemoveTarget("a");
  tasks_.StopAll();
  links.MaybeSweep();  // at shutdown: nothing runs, nothing hangs
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(fs::is_symlink(gone));
}

}  // namespace
}  // namespace cenote::query::internal
