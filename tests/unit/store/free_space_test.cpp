#include "store/free_space.hpp"

#include <errno.h>

#include <atomic>
#include <filesystem>

#include <gtest/gtest.h>

#include "store/durable_file.hpp"
#include "temp_dir.hpp"

namespace cenote::store {
namespace {

constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kGiB = 1ull << 30;

TEST(MinFreeSpaceTest, ParsesSizesPercentagesAndAuto) {
  struct Case {
    const char* text;
    std::uint64_t bytes;
    double percent;
  };
  for (const Case& c :
       {Case{"0", 0, 0}, Case{"4096", 4096, 0}, Case{"512B", 512, 0}, Case{"64K", 64 << 10, 0},
        Case{"64KiB", 64 << 10, 0}, Case{"64KB", 64'000, 0}, Case{"512MiB", 512 * kMiB, 0},
        Case{"512m", 512 * kMiB, 0}, Case{"2G", 2 * kGiB, 0}, Case{"1.5GB", 1'500'000'000, 0},
        Case{" 1 TiB ", 1ull << 40, 0}, Case{"2%", 0, 2}, Case{"0.5%", 0, 0.5}}) {
    auto parsed = ParseMinFreeSpace(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed->bytes, c.bytes) << c.text;
    EXPECT_EQ(parsed->percent, c.percent) << c.text;
    if (c.percent > 0) {
      EXPECT_EQ(parsed->max_bytes, UINT64_MAX) << c.text << ": an explicit share has no cap";
    }
  }
  for (const char* text : {"auto", "AUTO", ""}) {
    auto parsed = ParseMinFreeSpace(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(parsed->percent, 1);
    EXPECT_EQ(parsed->min_bytes, 16 * kMiB);
    EXPECT_EQ(parsed->max_bytes, 256 * kMiB);
  }
  for (const char* text : {"abc", "-1", "5XB", "0%", "100%", "1e3", "%", "MiB", "99999999999T", "1 2"}) {
    auto parsed = ParseMinFreeSpace(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().code, "InvalidArgument");
    EXPECT_NE(parsed.error().message.find("--min-free-space"), std::string::npos);
  }
}

TEST(MinFreeSpaceTest, DefaultIsOnePercentBetween16And256MiB) {
  const MinFreeSpace d = MinFreeSpace::Default();
  EXPECT_EQ(d.Resolve(64 * kMiB), 16 * kMiB) << "room for SQLite's WAL on a small filesystem";
  EXPECT_EQ(d.Resolve(10 * kGiB), 10 * kGiB / 100);
  EXPECT_EQ(d.Resolve(1ull << 40), 256 * kMiB);
  EXPECT_EQ(d.ToString(), "1% of the filesystem, at least 16 MiB, at most 256 MiB");
  EXPECT_EQ(ParseMinFreeSpace("0")->ToString(), "none");
  EXPECT_EQ(ParseMinFreeSpace("64MiB")->Resolve(1ull << 40), 64 * kMiB);
  EXPECT_EQ(ParseMinFreeSpace("64MiB")->ToString(), "64 MiB");
  EXPECT_EQ(ParseMinFreeSpace("2%")->Resolve(100 * kMiB), 2 * kMiB) << "an explicit share has no floor";
  EXPECT_EQ(ParseMinFreeSpace("2%")->ToString(), "2% of the filesystem");
}

TEST(MinFreeSpaceTest, FormatBytes) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1 KiB");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(256 * kMiB), "256 MiB");
  EXPECT_EQ(FormatBytes(3 * kGiB / 2), "1.5 GiB");
}

// A filesystem whose free space the test sets; counts the readings.
struct FakeFilesystem {
  std::atomic<std::uint64_t> size{100 * kGiB};
  std::atomic<std::uint64_t> available{50 * kGiB};
  std::atomic<bool> fail{false};
  std::atomic<int> readings{0};

  FreeSpaceReserve::Probe Probe() {
    return [this]() -> Result<FilesystemSpace> {
      ++readings;
      if (fail) return IoError("statvfs", "/fake", EIO);
      return FilesystemSpace{size, available};
    };
  }
};

std::unique_ptr<FreeSpaceReserve> OpenReserve(FakeFilesystem& fs, const char* min_free) {
  auto reserve = FreeSpaceReserve::OpenWithProbe(fs.Probe(), ParseMinFreeSpace(min_free).value());
  EXPECT_TRUE(reserve.ok());
  return std::move(reserve).value();
}

TEST(FreeSpaceReserveTest, RefusesWritesThatWouldCrossTheReserve) {
  FakeFilesystem fs;
  fs.available = 100 * kMiB;
  auto reserve = OpenReserve(fs, "64MiB");
  EXPECT_EQ(reserve->reserve_bytes(), 64 * kMiB);
  EXPECT_TRUE(reserve->Admit(36 * kMiB).ok());
  fs.available = 64 * kMiB;  // those bytes landed
  Status refused = reserve->Admit(1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "InsufficientStorage");
  EXPECT_EQ(refused.error().http_status, 507);
  EXPECT_EQ(refused.error().message.find('/'), std::string::npos) << "no path in what clients see";
  EXPECT_TRUE(IsInsufficientStorage(refused.error()));
  EXPECT_TRUE(reserve->Admit(0).ok()) << "an empty body adds nothing";
  fs.available = 70 * kMiB;  // a delete freed 6 MiB: seen at once
  EXPECT_TRUE(reserve->Admit(6 * kMiB).ok());
}

TEST(FreeSpaceReserveTest, PercentageResolvesAgainstTheFilesystemSize) {
  FakeFilesystem fs;
  fs.size = 100 * kMiB;
  fs.available = 3 * kMiB;
  auto reserve = OpenReserve(fs, "2%");
  EXPECT_EQ(reserve->reserve_bytes(), 2'097'152u);
  EXPECT_TRUE(reserve->Admit(kMiB).ok());
  EXPECT_FALSE(reserve->Admit(kMiB + 1).ok());
}

TEST(FreeSpaceReserveTest, ReusesAReadingFarFromTheReserveAndRereadsNearIt) {
  FakeFilesystem fs;
  fs.available = 10 * kGiB;
  auto reserve = OpenReserve(fs, "64MiB");
  const int after_open = fs.readings;
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(reserve->Admit(kMiB).ok());
  EXPECT_EQ(fs.readings, after_open) << "10 GiB free: a second's worth of 1 MiB admissions reuse one reading";
  // Admitted bytes count against the reading: 9 GiB fit the reading alone, not with the 1000 MiB admitted
  // since, so it is read again (and then they fit the fresh reading).
  const int before = fs.readings;
  ASSERT_TRUE(reserve->Admit(9 * kGiB).ok());
  EXPECT_EQ(fs.readings, before + 1);
}

TEST(FreeSpaceReserveTest, RereadsForEveryAdmissionNearTheReserve) {
  FakeFilesystem fs;
  fs.available = 64 * kMiB + 10 * kMiB;
  auto reserve = OpenReserve(fs, "64MiB");
  const int after_open = fs.readings;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reserve->Admit(kMiB).ok());
  EXPECT_EQ(fs.readings, after_open + 3) << "within the margin every admission reads the filesystem";
}

TEST(FreeSpaceReserveTest, AdmitsWhenTheFilesystemCannotBeRead) {
  FakeFilesystem fs;
  fs.available = 65 * kMiB;
  auto reserve = OpenReserve(fs, "64MiB");
  fs.fail = true;
  EXPECT_TRUE(reserve->Admit(10 * kMiB).ok()) << "the write's own ENOSPC is the judge then";
}

TEST(FreeSpaceReserveTest, OpenReadsTheRealFilesystem) {
  testing::TempDir dir;
  auto reserve = FreeSpaceReserve::Open(dir.path(), ParseMinFreeSpace("1MiB").value());
  ASSERT_TRUE(reserve.ok()) << reserve.error().message;
  EXPECT_GT((*reserve)->last_reading().size, 0u);
  EXPECT_EQ((*reserve)->reserve_bytes(), kMiB);
  EXPECT_TRUE((*reserve)->Admit(1).ok());
  EXPECT_FALSE(FreeSpaceReserve::Open(dir / "missing", MinFreeSpace::Default()).ok());
}

TEST(FreeSpaceReserveTest, FullDiskErrorsFromTheKernelCarryNoPath) {
  for (int err : {ENOSPC, EDQUOT}) {
    Error e = IoError("write temp blob", "/data/s3/blobs/tmp/0123", err);
    EXPECT_EQ(e.code, "InsufficientStorage");
    EXPECT_EQ(e.http_status, 507);
    EXPECT_EQ(e.message.find("/data"), std::string::npos);
  }
  Error other = IoError("write temp blob", "/data/x", EIO);
  EXPECT_EQ(other.code, "InternalError");
}

}  // namespace
}  // namespace cenote::store
