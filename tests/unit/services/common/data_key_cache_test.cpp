// DataKeyCache: entries live their ttl on the injected clock, at most max_entries at once.
#include "services/common/data_key_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace cenote::services {
namespace {

class DataKeyCacheTest : public ::testing::Test {
 protected:
  DataKeyCache::Entry Key(std::string bytes) {
    return DataKeyCache::Entry{.plaintext = std::move(bytes), .blob = "blob", .key_arn = "arn"};
  }
  std::function<std::int64_t()> Clock() {
    return [this] { return now_.load(); };
  }
  std::atomic<std::int64_t> now_{1'000'000};
};

TEST_F(DataKeyCacheTest, EntriesLiveTheirTtl) {
  DataKeyCache cache(1000, 16, Clock());
  EXPECT_FALSE(cache.Get("a"));
  cache.Put("a", Key("k1"));
  ASSERT_TRUE(cache.Get("a"));
  EXPECT_EQ(cache.Get("a")->plaintext, "k1");
  EXPECT_EQ(cache.Get("a")->blob, "blob");
  now_ += 999;
  EXPECT_TRUE(cache.Get("a"));
  now_ += 1;
  EXPECT_FALSE(cache.Get("a"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(DataKeyCacheTest, PutReplacesAndRestartsThePeriod) {
  DataKeyCache cache(1000, 16, Clock());
  cache.Put("a", Key("k1"));
  now_ += 600;
  cache.Put("a", Key("k2"));
  now_ += 600;
  ASSERT_TRUE(cache.Get("a"));
  EXPECT_EQ(cache.Get("a")->plaintext, "k2");
}

TEST_F(DataKeyCacheTest, ZeroTtlKeepsNothing) {
  DataKeyCache cache(0, 16, Clock());
  cache.Put("a", Key("k1"));
  EXPECT_FALSE(cache.Get("a"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(DataKeyCacheTest, BoundedSizeDropsExpiredThenSoonestToExpire) {
  DataKeyCache cache(1000, 3, Clock());
  cache.Put("a", Key("1"));
  now_ += 10;
  cache.Put("b", Key("2"));
  now_ += 10;
  cache.Put("c", Key("3"));
  now_ += 10;
  cache.Put("d", Key("4"));  // full: "a" expires first and leaves
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Get("a"));
  EXPECT_TRUE(cache.Get("b") && cache.Get("c") && cache.Get("d"));
  now_ += 985;  // "b" (put at +10) has expired
  cache.Put("e", Key("5"));
  EXPECT_FALSE(cache.Get("b"));
  EXPECT_TRUE(cache.Get("e"));
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace cenote::services
