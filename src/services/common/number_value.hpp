// The Number data type of SQS and SNS message attributes (AWS: up to 38 digits of precision, between 10^-128
// and 10^+126): a decimal with an optional sign, fraction and exponent. One definition for both services.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/strings.hpp"

namespace cenote::services {

inline bool ValidNumberValue(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && IsAsciiDigit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsAsciiDigit(s[i])) ++i, ++digits;
  }
  if (digits == 0 || digits > 38) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t e = 0;
    while (i < s.size() && IsAsciiDigit(s[i])) ++i, ++e;
    if (e == 0) return false;
  }
  return i == s.size();
}

}  // namespace cenote::services
