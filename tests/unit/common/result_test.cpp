#include "common/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace cenote {
namespace {

Result<int> Parse(const std::string& s) {
  if (s.empty()) return MakeError("Empty", "empty input");
  return static_cast<int>(s.size());
}

Result<std::unique_ptr<int>> Boxed(int v) {
  if (v < 0) return MakeError("Negative", "negative");
  return std::make_unique<int>(v);
}

Result<int> SumOfLengths(const std::string& a, const std::string& b) {
  CENOTE_ASSIGN_OR_RETURN(int x, Parse(a));
  CENOTE_ASSIGN_OR_RETURN(auto y, Parse(b));  // two in one scope: distinct temporaries
  return x + y;
}

Status CheckBoxed(int v, int& out) {
  CENOTE_ASSIGN_OR_RETURN(auto box, Boxed(v));  // move-only values
  out = *box;
  CENOTE_ASSIGN_OR_RETURN(out, Parse(std::string(static_cast<std::size_t>(v), 'x')));  // existing variable
  return Status::Ok();
}

TEST(Result, AssignOrReturnDeclaresAndPropagates) {
  auto ok = SumOfLengths("ab", "cde");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 5);
  auto bad = SumOfLengths("ab", "");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "Empty");
}

TEST(Result, AssignOrReturnMovesOnlyValuesAndAssignsExistingVariables) {
  int out = 0;
  EXPECT_TRUE(CheckBoxed(3, out));
  EXPECT_EQ(out, 3);
  Status s = CheckBoxed(-1, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "Negative");
  s = CheckBoxed(0, out);  // Parse("") fails after the box succeeded
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "Empty");
}

}  // namespace
}  // namespace cenote
