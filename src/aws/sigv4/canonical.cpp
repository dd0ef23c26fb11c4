#include "aws/sigv4/canonical.hpp"

#include <algorithm>
#include <ctime>
#include <unordered_map>

#include "common/encoding.hpp"

namespace cenote::aws::sigv4 {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// S3's SigV2 sub-resources: query parameters that are part of the CanonicalizedResource (botocore's list,
// which is AWS's documented list plus the later additions).
constexpr std::string_view kSigV2SubResources[] = {"accelerate",
                                                   "acl",
                                                   "analytics",
                                                   "cors",
                                                   "defaultObjectAcl",
                                                   "delete",
                                                   "inventory",
                                                   "lifecycle",
                                                   "location",
                                                   "logging",
                                                   "metrics",
                                                   "notification",
                                                   "object-lock",
                                                   "partNumber",
                                                   "policy",
                                                   "replication",
                                                   "requestPayment",
                                                   "response-cache-control",
                                                   "response-content-disposition",
                                                   "response-content-encoding",
                                                   "response-content-language",
                                                   "response-content-type",
                                                   "response-expires",
                                                   "restore",
                                                   "select",
                                                   "select-type",
                                                   "storageClass",
                                                   "tagging",
                                                   "torrent",
                                                   "uploadId",
                                                   "uploads",
                                                   "versionId",
                                                   "versioning",
                                                   "versions",
                                                   "website"};

}  // namespace

namespace {

// Calls fn(raw_key, raw_value) for each key[=value] pair of a raw query string: empty pairs are skipped,
// a pair without '=' has an empty value.
template <typename Fn>
void ForEachQueryPair(std::string_view raw_query, Fn fn) {
  while (!raw_query.empty()) {
    std::size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    fn(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
}

}  // namespace

std::vector<QueryParam> ParseQuery(std::string_view raw_query) {
  std::vector<QueryParam> out;
  ForEachQueryPair(raw_query, [&](std::string_view key, std::string_view value) {
    out.push_back({UriDecode(key), UriDecode(value)});
  });
  return out;
}

namespace {

bool AllUnreserved(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.' || c == '~'))
      return false;
  }
  return true;
}

// UriEncode(UriDecode(raw), true): the identity for the common all-unreserved component.
std::string Recode(std::string_view raw) {
  if (AllUnreserved(raw)) return std::string(raw);
  return UriEncode(UriDecode(raw), true);
}

}  // namespace

std::string CanonicalQueryString(std::string_view raw_query, std::string_view exclude) {
  // Same parameters as ParseQuery yields (empty pairs skipped, a missing '=' is an empty value), each
  // decoded and re-encoded.
  std::vector<std::pair<std::string, std::string>> encoded;
  ForEachQueryPair(raw_query, [&](std::string_view raw_key, std::string_view raw_value) {
    if (!exclude.empty()) {
      bool excluded = AllUnreserved(raw_key) ? raw_key == exclude : UriDecode(raw_key) == exclude;
      if (excluded) return;
    }
    encoded.emplace_back(Recode(raw_key), Recode(raw_value));
  });
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(k).append("=").append(v);
  }
  return out;
}

std::string CanonicalUri(std::string_view raw_path, bool s3) {
  if (raw_path.empty()) return "/";
  if (s3) return UriEncode(UriDecode(raw_path), false);
  // RFC 3986 remove_dot_segments, with empty segments dropped too (AWS collapses "//").
  std::vector<std::string_view> segments;
  std::string_view rest = raw_path;
  while (true) {
    std::size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (!seg.empty() && seg != ".") {
      if (seg == "..") {
        if (!segments.empty()) segments.pop_back();
      } else {
        segments.push_back(seg);
      }
    }
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  std::string normalized;
  if (raw_path.front() == '/') normalized.push_back('/');
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i) normalized.push_back('/');
    normalized.append(segments[i]);
  }
  if (raw_path.back() == '/' && !segments.empty()) normalized.push_back('/');
  if (normalized.empty()) normalized.push_back('/');
  return UriEncode(normalized, false);
}

std::string TrimAll(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.push_back(c);
    }
  }
  return out;
}

std::string CanonicalHeaders(const http::Headers& headers, const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const auto& name : signed_headers) {
    out.append(name).push_back(':');
    bool first = true;
    for (auto v : headers.GetAll(name)) {
      if (!first) out.push_back(',');
      first = false;
      out.append(TrimAll(v));
    }
    out.push_back('\n');
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() + canonical_headers.size() +
              signed_headers.size() + payload_hash.size() + 8);
  out.append(method).append("\n").append(canonical_uri).append("\n").append(canonical_query).append("\n");
  out.append(canonical_headers).append("\n").append(signed_headers).append("\n").append(payload_hash);
  return out;
}

std::string StringToSign(std::string_view timestamp, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out.append(timestamp).append("\n").append(scope).append("\n").append(Sha256Hex(canonical_request));
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  // The derived key changes once a day per (secret, region, service): cache it per thread instead of
  // computing four HMACs on every request (measurable on small GETs). Bounded: cleared past 64 keys.
  thread_local std::unordered_map<std::string, std::string> cache;
  std::string cache_key;
  cache_key.reserve(secret.size() + date.size() + region.size() + service.size() + 3);
  cache_key.append(secret).append("\n").append(date).append("\n").append(region).append("\n").append(service);
  if (auto it = cache.find(cache_key); it != cache.end()) return it->second;
  if (cache.size() >= 64) cache.clear();
  std::string k = HmacSha256("AWS4" + std::string(secret), date);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  k = HmacSha256(k, "aws4_request");
  cache.emplace(std::move(cache_key), k);
  return k;
}

std::optional<std::chrono::system_clock::time_point> TimeFromUnixSeconds(long long seconds) {
  constexpr long long kFirst = -2208988800;  // 1900-01-01T00:00:00Z
  constexpr long long kEnd = 7258118400;     // 2200-01-01T00:00:00Z
  constexpr long long kClockEnd =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max()).count();
  constexpr long long kFiftyYears = 50LL * 365 * 86400;
  static_assert(kEnd < kClockEnd - kFiftyYears && -kFirst < kClockEnd - kFiftyYears);
  if (seconds < kFirst || seconds >= kEnd) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) -> int {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return TimeFromUnixSeconds(timegm(&tm));
}

std::string FormatAmzDate(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text) {
  std::string s(TrimAll(text));
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  const std::string zone = TrimAll(end);
  if (!zone.empty() && zone != "GMT" && zone != "UTC" && zone != "+0000" && zone != "Z") return std::nullopt;
  return TimeFromUnixSeconds(timegm(&tm));
}

std::string SigV2StringToSign(std::string_view method, const http::Headers& headers,
                              std::string_view date_line, std::string_view resource_path,
                              std::string_view raw_query) {
  std::string out(method);
  out.push_back('\n');
  out.append(TrimAll(headers.Get("content-md5").value_or(""))).push_back('\n');
  out.append(TrimAll(headers.Get("content-type").value_or(""))).push_back('\n');
  out.append(date_line).push_back('\n');
  // CanonicalizedAmzHeaders: x-amz-* lower-cased, sorted, repeated values joined by ','.
  std::vector<std::pair<std::string, std::string>> amz;
  for (const auto& e : headers) {
    std::string name = Lower(e.name);
    if (name.rfind("x-amz-", 0) != 0) continue;
    auto it = std::find_if(amz.begin(), amz.end(), [&](const auto& p) { return p.first == name; });
    std::string value = TrimAll(e.value);
    if (it == amz.end()) {
      amz.emplace_back(std::move(name), std::move(value));
    } else {
      it->second.append(",").append(value);
    }
  }
  std::sort(amz.begin(), amz.end());
  for (const auto& [k, v] : amz) out.append(k).append(":").append(v).append("\n");
  out.append(resource_path);
  std::vector<std::pair<std::string, std::string>> sub;
  bool has_value_flags[64] = {};
  for (std::string_view rest = raw_query; !rest.empty();) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    std::size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    bool known = std::find(std::begin(kSigV2SubResources), std::end(kSigV2SubResources), key) !=
                 std::end(kSigV2SubResources);
    if (!known || sub.size() >= 64) continue;
    has_value_flags[sub.size()] = eq != std::string_view::npos;
    sub.emplace_back(std::string(key), eq == std::string_view::npos ? "" : UriDecode(pair.substr(eq + 1)));
  }
  // Stable sort by key, keeping "key" (no '=') apart from "key=" as botocore does.
  std::vector<std::size_t> order(sub.size());
  for (std::size_t j = 0; j < order.size(); ++j) order[j] = j;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return sub[a].first < sub[b].first; });
  for (std::size_t j = 0; j < order.size(); ++j) {
    out.push_back(j == 0 ? '?' : '&');
    out.append(sub[order[j]].first);
    if (has_value_flags[order[j]]) out.append("=").append(sub[order[j]].second);
  }
  return out;
}

}  // namespace cenote::aws::sigv4
