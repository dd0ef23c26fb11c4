#include "common/random.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace cenote {
namespace {

TEST(Random, BytesAndHexHaveTheirLengthsAndDiffer) {
  EXPECT_EQ(RandomBytes(0), "");
  EXPECT_EQ(RandomBytes(33).size(), 33u);
  const std::string hex = RandomHex(12);
  ASSERT_EQ(hex.size(), 24u);
  EXPECT_TRUE(std::regex_match(hex, std::regex("[0-9a-f]{24}"))) << hex;
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(RandomHex(16));
  EXPECT_EQ(seen.size(), 100u);  // 128-bit values: a repeat means the generator is broken
}

TEST(Random, LargeFillsCompleteAndAreNotZero) {
  // getrandom(2) may return fewer bytes than asked above 256; FillRandom loops until all are filled.
  std::string big(1 << 20, '\0');
  FillRandom(big.data(), big.size());
  std::size_t zeros = 0;
  for (char c : big.substr(big.size() - 4096)) zeros += c == '\0' ? 1 : 0;
  EXPECT_LT(zeros, 64u);  // about 16 expected in the last 4 KiB of random bytes
}

TEST(Random, UuidsAreVersion4Variant10) {
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string id = NewUuidV4();
    EXPECT_TRUE(std::regex_match(id, v4)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 200u);
}

}  // namespace
}  // namespace cenote
