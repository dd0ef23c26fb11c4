#include "aws/router.hpp"

#include <gtest/gtest.h>

namespace cenote::aws {
namespace {

TEST(VirtualHostedBucket, PathStyleHostsHaveNoBucket) {
  EXPECT_EQ(VirtualHostedBucket("localhost:4566"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket("localhost"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket("127.0.0.1:4566"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket("[::1]:4566"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket("s3.localhost:4566"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket("s3.amazonaws.com"), std::nullopt);
  EXPECT_EQ(VirtualHostedBucket(""), std::nullopt);
}

TEST(VirtualHostedBucket, VirtualHostsNameTheBucket) {
  EXPECT_EQ(VirtualHostedBucket("lake.localhost:4566"), "lake");
  EXPECT_EQ(VirtualHostedBucket("lake.s3.localhost:4566"), "lake");
  EXPECT_EQ(VirtualHostedBucket("my.dotted.bucket.s3.localhost"), "my.dotted.bucket");
  EXPECT_EQ(VirtualHostedBucket("Lake.LOCALHOST"), "lake");
  EXPECT_EQ(VirtualHostedBucket("lake.s3.amazonaws.com"), "lake");
  EXPECT_EQ(VirtualHostedBucket("lake.s3.eu-west-1.amazonaws.com"), "lake");
}

}  // namespace
}  // namespace cenote::aws
