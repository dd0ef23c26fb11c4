#include <cctype>
#include <chrono>
#include <cstdio>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

json::object ParseObject(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

std::string EncodeListToken(std::string_view scope, std::int64_t position) {
  std::string plain = "l1:" + std::string(scope) + ":" + std::to_string(position);
  return Base64Encode(plain);
}

std::optional<std::int64_t> DecodeListToken(std::string_view scope, const std::string& token) {
  auto plain = Base64Decode(token);
  std::string prefix = "l1:" + std::string(scope) + ":";
  if (!plain || plain->rfind(prefix, 0) != 0) return std::nullopt;
  std::string num = plain->substr(prefix.size());
  if (num.empty() || num.size() > 18) return std::nullopt;
  for (char c : num) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::stoll(num);
}

Result<int> MaxResults(const json::object& in, int min, int max, int default_value) {
  auto v = GetInt(in, "MaxResults");
  if (!v) return default_value;
  // The model bounds it (the parse stage answered a value outside); a direct caller's is clamped.
  return static_cast<int>(std::clamp<std::int64_t>(*v, min, max));
}

bool HivePatternMatch(const std::string& pattern, const std::string& name) {
  // Hive: '*' is any sequence, '|' separates alternatives, everything else literal; case-insensitive.
  std::string lname = AsciiLower(name);
  std::size_t start = 0;
  while (start <= pattern.size()) {
    std::size_t bar = pattern.find('|', start);
    std::string alt =
        AsciiLower(pattern.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    // Glob match with '*' (and '.*' as written by users who think in regex).
    std::string glob;
    for (std::size_t i = 0; i < alt.size(); ++i) {
      if (alt[i] == '.' && i + 1 < alt.size() && alt[i + 1] == '*') {
        glob += '*';
        ++i;
      } else {
        glob += alt[i];
      }
    }
    // Iterative wildcard matching.
    std::size_t p = 0, s = 0, star = std::string::npos, mark = 0;
    bool ok = true;
    while (s < lname.size()) {
      if (p < glob.size() && glob[p] == '*') {
        star = p++;
        mark = s;
      } else if (p < glob.size() && glob[p] == lname[s]) {
        ++p;
        ++s;
      } else if (star != std::string::npos) {
        p = star + 1;
        s = ++mark;
      } else {
        ok = false;
        break;
      }
    }
    while (ok && p < glob.size() && glob[p] == '*') ++p;
    if (ok && p == glob.size()) return true;
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return false;
}

}  // namespace cenote::athena
