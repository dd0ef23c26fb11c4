#include "iam/policy_cache.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace cenote::iam {
namespace {

std::string Doc(int n) {
  // Appends, not `+` chains: g++ 12 reports a false -Wrestrict on those.
  std::string doc = R"({"Version":"2012-10-17","Statement":{"Sid":"S)";
  doc.append(std::to_string(n)).append(R"(","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}})");
  return doc;
}

TEST(PolicyCacheTest, SharesParsedPoliciesByContentAndKind) {
  PolicyCache cache(8);
  auto a = cache.Get(Doc(1), PolicyKind::kIdentity);
  auto b = cache.Get(Doc(1), PolicyKind::kIdentity);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(cache.hits(), 1u);
  auto c = cache.Get(Doc(1), PolicyKind::kBoundary);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->get(), c->get());
  EXPECT_EQ((*c)->kind(), PolicyKind::kBoundary);
  auto bad = cache.Get("{", PolicyKind::kIdentity);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "Syntax errors in policy.");
  EXPECT_EQ(cache.size(), 2u);
}

TEST(PolicyCacheTest, EvictsLeastRecentlyUsed) {
  PolicyCache cache(2);
  auto first = cache.Get(Doc(1), PolicyKind::kIdentity);
  ASSERT_TRUE(cache.Get(Doc(2), PolicyKind::kIdentity).ok());
  ASSERT_TRUE(cache.Get(Doc(1), PolicyKind::kIdentity).ok());  // 1 is now the most recent
  ASSERT_TRUE(cache.Get(Doc(3), PolicyKind::kIdentity).ok());  // evicts 2
  EXPECT_EQ(cache.size(), 2u);
  std::size_t misses = cache.misses();
  ASSERT_TRUE(cache.Get(Doc(1), PolicyKind::kIdentity).ok());
  EXPECT_EQ(cache.misses(), misses);
  ASSERT_TRUE(cache.Get(Doc(2), PolicyKind::kIdentity).ok());
  EXPECT_EQ(cache.misses(), misses + 1);
  // An evicted policy stays valid for whoever holds it.
  EXPECT_EQ((*first)->statements()[0].sid, "S1");
}

TEST(PolicyCacheTest, ConcurrentGets) {
  PolicyCache cache(16);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 200; ++i) {
        auto p = cache.Get(Doc((i + t) % 24), PolicyKind::kIdentity);
        ASSERT_TRUE(p.ok());
        std::string sid = "S";
        sid.append(std::to_string((i + t) % 24));
        EXPECT_EQ((*p)->statements()[0].sid, sid);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(cache.size(), 16u);
}

}  // namespace
}  // namespace cenote::iam
