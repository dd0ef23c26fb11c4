#include "store/durable_file.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace cenote::store {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

TEST(DurableFileTest, WritesReplacesAndLeavesNoTempFiles) {
  TempDir dir;
  std::string path = dir / "config.json";
  ASSERT_TRUE(WriteFileDurably(path, "first\n").ok());
  auto read = ReadFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "first\n");
  std::string big(300000, 'z');
  ASSERT_TRUE(WriteFileDurably(path, big).ok());
  read = ReadFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, big);
  ASSERT_TRUE(WriteFileDurably(path, "").ok());
  read = ReadFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "");
  std::size_t entries = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(DurableFileTest, ConcurrentWritersNeverTearTheFile) {
  TempDir dir;
  std::string path = dir / "shared";
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string contents(100000 + t, static_cast<char>('a' + t));
      for (int i = 0; i < 25; ++i) EXPECT_TRUE(WriteFileDurably(path, contents).ok());
    });
  }
  for (auto& th : threads) th.join();
  auto read = ReadFile(path);
  ASSERT_TRUE(read.ok());
  ASSERT_GE(read->size(), 100000u);
  int t = (*read)[0] - 'a';
  EXPECT_EQ(*read, std::string(100000 + t, static_cast<char>('a' + t)));
  std::size_t entries = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u) << "temp files left behind";
}

TEST(DurableFileTest, ModeIsExactRegardlessOfUmask) {
  TempDir dir;
  mode_t old = ::umask(0);
  Status s = WriteFileDurably(dir / "secret", "s3cr3t", 0600);
  ::umask(old);
  ASSERT_TRUE(s.ok());
  struct stat st;
  ASSERT_EQ(::stat((dir / "secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_TRUE(WriteFileDurably(dir / "public", "x", 0644).ok());
  ASSERT_EQ(::stat((dir / "public").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST(DurableFileTest, ErrorsAreReported) {
  TempDir dir;
  auto missing = ReadFile(dir / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "NoSuchFile");
  auto s = WriteFileDurably(dir / "no/such/dir/file", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "InternalError");
  EXPECT_EQ(s.error().http_status, 500);
}

TEST(DurableFileTest, CreateDirectoriesDurably) {
  TempDir dir;
  ASSERT_TRUE(CreateDirectoriesDurably(dir / "a/b/c").ok());
  EXPECT_TRUE(fs::is_directory(dir / "a/b/c"));
  ASSERT_TRUE(CreateDirectoriesDurably(dir / "a/b/c").ok());  // idempotent
  std::ofstream(dir / "file") << "x";
  EXPECT_FALSE(CreateDirectoriesDurably(dir / "file").ok());
  EXPECT_FALSE(CreateDirectoriesDurably(dir / "file/sub").ok());
  EXPECT_TRUE(FsyncDirectory(dir.path()).ok());
  EXPECT_FALSE(FsyncDirectory(dir / "missing").ok());
}

TEST(DurableFileTest, ParentDirectory) {
  EXPECT_EQ(ParentDirectory("/a/b/c"), "/a/b");
  EXPECT_EQ(ParentDirectory("/a"), "/");
  EXPECT_EQ(ParentDirectory("a"), ".");
  EXPECT_EQ(ParentDirectory("a/b"), "a");
}

}  // namespace
}  // namespace cenote::store
