// ResultFileBodies: a Map Run's ResultWriter entries split into files of at most the limit's size, each a
// JSON array (or JSON lines), in order, every entry in exactly one file.
#include "services/states/result_files.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cenote::states {
namespace {

namespace json = boost::json;

json::array Entries(int n) {
  json::array a;
  for (int i = 0; i < n; ++i) a.push_back(json::object{{"i", i}, {"pad", std::string(10, 'x')}});
  return a;  // each entry serializes to 26 or 27 bytes
}

TEST(ResultFiles, OneFileUnderTheLimit) {
  const auto files = ResultFileBodies(Entries(3), false, kResultFileBytes);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(json::parse(files[0]), json::value(Entries(3)));
  const auto lines = ResultFileBodies(Entries(2), true, kResultFileBytes);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], R"({"i":0,"pad":"xxxxxxxxxx"})"
                      "\n"
                      R"({"i":1,"pad":"xxxxxxxxxx"})"
                      "\n");
  EXPECT_TRUE(ResultFileBodies(json::array{}, false, kResultFileBytes).empty());
  EXPECT_EQ(kResultFileBytes, 5368709120ULL);
}

TEST(ResultFiles, SplitsAtTheLimitKeepingOrder) {
  for (const bool jsonl : {false, true}) {
    for (const std::uint64_t limit : {1ULL, 26ULL, 27ULL, 60ULL, 80ULL, 100ULL, 1000ULL}) {
      const json::array all = Entries(25);
      const auto files = ResultFileBodies(all, jsonl, limit);
      json::array joined;
      for (const auto& f : files) {
        ASSERT_FALSE(f.empty());
        json::array in_file;
        if (jsonl) {
          ASSERT_EQ(f.back(), '\n');
          std::size_t from = 0;
          for (std::size_t at = f.find('\n'); at != std::string::npos; from = at + 1, at = f.find('\n', from))
            in_file.push_back(json::parse(f.substr(from, at - from)));
        } else {
          in_file = json::parse(f).as_array();
        }
        ASSERT_FALSE(in_file.empty());
        // Within the limit, unless one entry alone exceeds it.
        if (in_file.size() > 1) {
          EXPECT_LE(f.size(), limit) << jsonl << " " << limit;
        }
        for (auto& e : in_file) joined.push_back(std::move(e));
      }
      EXPECT_EQ(joined, all) << jsonl << " " << limit;
      if (limit == 1) {
        EXPECT_EQ(files.size(), 25u);
      } else if (limit == 1000) {
        EXPECT_EQ(files.size(), 1u);
      } else {
        EXPECT_GT(files.size(), 1u);
      }
    }
  }
  // Exactly at the limit: three 28-byte lines fill 84 bytes; the fourth starts a new file.
  json::array same;
  for (int i = 10; i < 14; ++i) same.push_back(json::object{{"i", i}, {"pad", std::string(10, 'x')}});
  const auto files = ResultFileBodies(same, true, 3 * 28);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].size(), 84u);
  EXPECT_EQ(files[1].size(), 28u);
}

}  // namespace
}  // namespace cenote::states
