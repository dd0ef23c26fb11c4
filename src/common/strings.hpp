// ASCII string helpers: the one copy of each (before, `Lower()` alone was defined 17 times).
//
// All of them treat bytes >= 0x80 as opaque (never case-mapped, never whitespace), which is what AWS
// names, HTTP tokens, SQL keywords and Hive types need; none depends on the C locale. Header-only so the
// lowest layers (http) can use them without linking anything.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace cenote {

constexpr bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool IsAsciiAlnum(char c) { return IsAsciiDigit(c) || IsAsciiAlpha(c); }
// Space, tab, CR, LF, vertical tab, form feed.
constexpr bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
constexpr char AsciiToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char AsciiToUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiToLower(c);
  return out;
}

inline std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiToUpper(c);
  return out;
}

inline bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiToLower(a[i]) != AsciiToLower(b[i])) return false;
  }
  return true;
}

inline bool StartsWithIgnoreAsciiCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreAsciiCase(s.substr(0, prefix.size()), prefix);
}

// Without leading and trailing ASCII whitespace (IsAsciiSpace).
inline std::string_view TrimAsciiSpace(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Splits at every `separator`; "a,,b" -> {"a", "", "b"}; "" -> {""}. The views point into `s`.
inline std::vector<std::string_view> SplitString(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = s.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

template <typename Range>
std::string JoinStrings(const Range& parts, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const auto& part : parts) {
    if (!first) out.append(separator);
    out.append(std::string_view(part));
    first = false;
  }
  return out;
}

// At most `max_chars` bytes of `s`, cut back to a UTF-8 character boundary, with "..." appended when
// cut: for values echoed in error messages, which must not grow with the input (a 1 MB name).
inline std::string TruncateForEcho(std::string_view s, std::size_t max_chars = 256) {
  if (s.size() <= max_chars) return std::string(s);
  std::size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a sequence
  return std::string(s.substr(0, cut)) + "...";
}

// A client address without its port, as IAM's aws:SourceIp, CloudTrail's sourceIPAddress and S3's logs and
// event records give it: "127.0.0.1:53211" -> "127.0.0.1", "[::1]:53211" -> "::1"; anything else unchanged.
inline std::string AddressWithoutPort(std::string_view address) {
  if (address.starts_with('[')) {
    const std::size_t close = address.find(']');
    return std::string(
        address.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  if (std::count(address.begin(), address.end(), ':') == 1)
    return std::string(address.substr(0, address.find(':')));
  return std::string(address);
}

}  // namespace cenote
