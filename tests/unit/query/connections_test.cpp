// The connection pool and the caches shared across queries (src/query/connections.cpp).
#include "query/connections.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "query/instance.hpp"

namespace cenote::query::internal {
namespace {

TEST(BoundedCache, FindsWhatWasPut) {
  BoundedCache<std::string> cache;
  EXPECT_FALSE(cache.Find("k").has_value());
  cache.Put("k", "v", 10);
  EXPECT_EQ(cache.Find("k"), "v");
  // The first answer stays: answers cached here cannot change.
  cache.Put("k", "other", 10);
  EXPECT_EQ(cache.Find("k"), "v");
}

TEST(BoundedCache, ClearedWhenFullAndKeepsNoHugeEntry) {
  constexpr std::size_t kBound = 32u << 20;
  BoundedCache<int> cache;
  cache.Put("huge", 1, kBound / 16 + 1);
  EXPECT_FALSE(cache.Find("huge").has_value());
  for (int i = 0; i < 16; ++i) cache.Put(std::to_string(i), i, kBound / 16);
  EXPECT_EQ(cache.Find("0"), 0);
  EXPECT_EQ(cache.Find("15"), 15);
  // The next entry would pass the bound: everything before it goes.
  cache.Put("next", 16, 1);
  EXPECT_FALSE(cache.Find("0").has_value());
  EXPECT_FALSE(cache.Find("15").has_value());
  EXPECT_EQ(cache.Find("next"), 16);
}

class ConnectionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open();
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::make_unique<Database>(std::move(db).value());
    pool_ = std::make_unique<ConnectionPool>(db_->get());
  }
  void TearDown() override { pool_.reset(); }  // before the database

  std::unique_ptr<Database> db_;
  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(ConnectionPoolTest, ReturnedConnectionsAreReused) {
  duckdb_connection first = nullptr;
  {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(lease.ok());
    first = lease->get();
    auto rows = QueryRows(first, "SELECT 40 + 2, NULL");
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    EXPECT_EQ((*rows)[0][0], "42");
    EXPECT_FALSE((*rows)[0][1].has_value());
    // Held: the next caller gets a connection of its own.
    auto other = pool_->Acquire();
    ASSERT_TRUE(other.ok());
    EXPECT_NE(other->get(), first);
  }
  auto again = pool_->Acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first);  // the last returned comes back first
  // A moved Lease gives its connection back once.
  Lease moved = std::move(again).value();
  EXPECT_NE(moved.get(), nullptr);
}

TEST_F(ConnectionPoolTest, KeepsAtMostSixteenIdle) {
  std::set<duckdb_connection> seen;
  {
    std::vector<Lease> leases;
    for (int i = 0; i < 20; ++i) {
      auto lease = pool_->Acquire();
      ASSERT_TRUE(lease.ok());
      seen.insert(lease->get());
      leases.push_back(std::move(lease).value());
    }
  }
  EXPECT_EQ(seen.size(), 20u);
  std::vector<Lease> leases;
  int reused = 0;
  for (int i = 0; i < 20; ++i) {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(lease.ok());
    reused += seen.count(lease->get()) > 0 ? 1 : 0;
    leases.push_back(std::move(lease).value());
  }
  // Handles of closed connections may be reused by new ones: at least the 16 idle come back.
  EXPECT_GE(reused, 16);
}

TEST_F(ConnectionPoolTest, HostParsesAndCachesAnswers) {
  auto lease = pool_->Acquire();
  ASSERT_TRUE(lease.ok());
  QueryCaches caches;
  ConnectionHost host(lease->pooled(), caches, "/links");
  EXPECT_EQ(host.LinkRoot(), "/links");
  auto doc = host.Parse("SELECT 1 AS a");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_TRUE(caches.texts.Find("PSELECT 1 AS a").has_value());
  auto sql = host.Deparse(*doc);
  ASSERT_TRUE(sql.ok()) << sql.error().message;
  EXPECT_NE(sql->find("SELECT"), std::string::npos);
  // Parse errors carry Athena's position; other statements than SELECT are refused.
  auto bad = host.Parse("SELECT 1 FROM");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "SYNTAX_ERROR");
  EXPECT_EQ(bad.error().message.rfind("SYNTAX_ERROR: line 1:", 0), 0u) << bad.error().message;
  auto copy = host.Parse("COPY (SELECT 1) TO 'x.csv'");
  ASSERT_FALSE(copy.ok());
  EXPECT_EQ(copy.error().code, kSecurityError);
  // QueryImmutable answers from the cache the second time.
  auto first = host.QueryImmutable("SELECT 7");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(caches.immutable.Find("SELECT 7"), *first);
  caches.immutable.Put("SELECT 8", {{std::optional<std::string>("cached")}}, 16);
  auto cached = host.QueryImmutable("SELECT 8");
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ((*cached)[0][0], "cached");
  auto live = host.Query("SELECT 8");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ((*live)[0][0], "8");
}

}  // namespace
}  // namespace cenote::query::internal
