#include "platform/data_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace cenote::platform {
namespace {

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cenote-datadir-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string root_;
};

TEST_F(DataDirTest, CreatesLocksAndRecordsThePid) {
  const std::string path = root_ + "/nested/data";
  auto dir = DataDir::Open(path, store::MinFreeSpace::Default());
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  EXPECT_EQ((*dir)->path(), path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(ReadFile(path + "/" + DataDir::kLockFileName), std::to_string(::getpid()) + "\n");
  EXPECT_GT((*dir)->reserve().reserve_bytes(), 0u);
}

TEST_F(DataDirTest, ASecondOpenIsRefusedUntilTheFirstCloses) {
  auto first = DataDir::Open(root_, store::MinFreeSpace::Default());
  ASSERT_TRUE(first.ok());
  // flock belongs to the open file, so even this process's second Open is refused.
  auto second = DataDir::Open(root_, store::MinFreeSpace::Default());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "DataDirectoryInUse");
  EXPECT_NE(second.error().message.find("PID " + std::to_string(::getpid())), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find(root_), std::string::npos);
  first->reset();
  auto third = DataDir::Open(root_, store::MinFreeSpace::Default());
  EXPECT_TRUE(third.ok()) << "the lock goes with its holder; the file it leaves is no obstacle";
}

TEST_F(DataDirTest, TheRefusalNamesTheHoldingProcess) {
  int ready[2];
  int release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto dir = DataDir::Open(root_, store::MinFreeSpace::Default());
    char c = dir.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    (void)!::read(release[0], &c, 1);
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto refused = DataDir::Open(root_, store::MinFreeSpace::Default());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("PID " + std::to_string(child)), std::string::npos)
      << refused.error().message;
  ASSERT_EQ(::write(release[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  // The holder is gone (as after a kill -9): the kernel released its lock.
  EXPECT_TRUE(DataDir::Open(root_, store::MinFreeSpace::Default()).ok());
  for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
}

TEST_F(DataDirTest, APathThatIsAFileIsAnError) {
  const std::string file = root_ + "/file";
  std::ofstream(file) << "x";
  auto dir = DataDir::Open(file, store::MinFreeSpace::Default());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().code, "InternalError");
  EXPECT_NE(dir.error().message.find(file), std::string::npos);
}

}  // namespace
}  // namespace cenote::platform
