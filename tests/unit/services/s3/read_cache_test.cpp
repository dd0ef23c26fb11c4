// ReadCache: the invalidation protocol (read_cache.hpp) on its own, without the provider.
#include "services/s3/read_cache.hpp"

// GCC 12 reports a false -Wrestrict on inlined std::string construction (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include <gtest/gtest.h>

namespace cenote::s3 {
namespace {

std::shared_ptr<const ReadCache::Entry> MakeEntry(const std::string& etag) {
  ReadCache::Entry e;
  e.bucket.name = "b";
  VersionRow v;
  v.bucket = "b";
  v.key = "k";
  v.etag = etag;
  e.latest = std::move(v);
  return std::make_shared<const ReadCache::Entry>(std::move(e));
}

TEST(S3ReadCache, InsertThenFind) {
  ReadCache cache;
  EXPECT_EQ(cache.Find("b", "k"), nullptr);
  auto token = cache.Token();
  ASSERT_TRUE(token.has_value());
  cache.Insert(*token, "b", "k", MakeEntry("e1"));
  auto hit = cache.Find("b", "k");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->latest->etag, "e1");
  EXPECT_EQ(cache.Find("b", "other"), nullptr);
  EXPECT_EQ(cache.Find("b/k", ""), nullptr);  // "bucket/key" map keys do not collide across the slash
}

TEST(S3ReadCache, NothingIsServedWhileAWriteIsInFlight) {
  ReadCache cache;
  cache.Insert(*cache.Token(), "b", "k", MakeEntry("e1"));
  cache.BeginWrite();
  EXPECT_EQ(cache.Find("b", "k"), nullptr);
  EXPECT_FALSE(cache.Token().has_value());
  cache.EndWrite();
  // The write emptied the cache: the old row is gone for good.
  EXPECT_EQ(cache.Find("b", "k"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(S3ReadCache, ReadThatOverlapsAWriteIsNotCached) {
  ReadCache cache;
  // Token before the snapshot, then a whole write commits before the reader inserts.
  auto token = cache.Token();
  cache.BeginWrite();
  cache.EndWrite();
  cache.Insert(*token, "b", "k", MakeEntry("stale"));
  EXPECT_EQ(cache.Find("b", "k"), nullptr);

  // A write that begins during the read and is still running at insert time.
  token = cache.Token();
  cache.BeginWrite();
  cache.Insert(*token, "b", "k", MakeEntry("stale"));
  cache.EndWrite();
  EXPECT_EQ(cache.Find("b", "k"), nullptr);

  // Two overlapping writers: the cache stays off until the last one ends.
  cache.BeginWrite();
  cache.BeginWrite();
  cache.EndWrite();
  EXPECT_FALSE(cache.Token().has_value());
  cache.EndWrite();
  token = cache.Token();
  ASSERT_TRUE(token.has_value());
  cache.Insert(*token, "b", "k", MakeEntry("fresh"));
  ASSERT_NE(cache.Find("b", "k"), nullptr);
  EXPECT_EQ(cache.Find("b", "k")->latest->etag, "fresh");
}

TEST(S3ReadCache, FullCacheStartsOver) {
  ReadCache cache(2);
  auto token = *cache.Token();
  cache.Insert(token, "b", "k1", MakeEntry("1"));
  cache.Insert(token, "b", "k2", MakeEntry("2"));
  EXPECT_EQ(cache.size(), 2u);
  cache.Insert(token, "b", "k3", MakeEntry("3"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.Find("b", "k3"), nullptr);
  EXPECT_EQ(cache.Find("b", "k1"), nullptr);
}

class FakeBlob final : public store::BlobReader {
 public:
  std::uint64_t size() const override { return 0; }
  Result<std::size_t> ReadAt(std::uint64_t, char*, std::size_t) override { return std::size_t{0}; }
  int fd() const override { return -1; }
};

TEST(S3ReadCache, OpenBlobsAreCountedAndReleasedByWrites) {
  ReadCache cache(8, 1);
  EXPECT_TRUE(cache.MayHoldBlob());
  auto with_blob = [](const std::string& etag) {
    auto e = std::make_shared<ReadCache::Entry>(*MakeEntry(etag));
    e->blob = std::make_shared<FakeBlob>();
    return std::shared_ptr<const ReadCache::Entry>(std::move(e));
  };
  auto first = with_blob("1");
  std::weak_ptr<store::BlobReader> held = first->blob;
  cache.Insert(*cache.Token(), "b", "k1", std::move(first));
  EXPECT_FALSE(cache.MayHoldBlob());
  // Replacing the entry of the same key does not leak the count.
  cache.Insert(*cache.Token(), "b", "k1", MakeEntry("no blob"));
  EXPECT_TRUE(cache.MayHoldBlob());
  EXPECT_TRUE(held.expired());  // the descriptor is closed once nobody uses it
  cache.Insert(*cache.Token(), "b", "k2", with_blob("2"));
  EXPECT_FALSE(cache.MayHoldBlob());
  held = cache.Find("b", "k2")->blob;
  cache.BeginWrite();
  EXPECT_TRUE(held.expired());  // a write closes cached descriptors before it can delete their blobs
  cache.EndWrite();
  EXPECT_TRUE(cache.MayHoldBlob());
}

}  // namespace
}  // namespace cenote::s3
