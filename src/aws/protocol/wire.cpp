#include "aws/protocol/wire.hpp"

#include "common/clock.hpp"
#include "common/encoding.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

namespace cenote::aws::protocol::wire {

using model::Member;
using model::Shape;
using model::ShapeType;
using model::TimestampFormat;

namespace {

constexpr int kMaxDepth = 64;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Civil {
  std::int64_t year;
  unsigned month, day, hour, minute, second, millis, weekday;
};

Civil ToCivil(std::int64_t ms) {
  std::int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  Civil c{};
  c.millis = static_cast<unsigned>(ms - secs * 1000);
  std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  std::int64_t rem = secs - days * 86400;
  const CivilDate date = CivilFromDays(days);
  c.year = date.year;
  c.month = date.month;
  c.day = date.day;
  c.hour = static_cast<unsigned>(rem / 3600);
  c.minute = static_cast<unsigned>(rem % 3600 / 60);
  c.second = static_cast<unsigned>(rem % 60);
  c.weekday = static_cast<unsigned>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  return c;
}

bool ParseUInt(std::string_view s, unsigned& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::optional<std::int64_t> ParseIso8601(std::string_view s) {
  // YYYY-MM-DD[Tt ]hh:mm:ss[.fff...][Z|±hh:mm|±hhmm]; also the basic form YYYYMMDDThhmmssZ (SigV4 dates).
  unsigned y, mo, d, h, mi, sec;
  std::size_t pos;
  if (s.size() >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') &&
      s[13] == ':' && s[16] == ':') {
    if (!ParseUInt(s.substr(0, 4), y) || !ParseUInt(s.substr(5, 2), mo) || !ParseUInt(s.substr(8, 2), d) ||
        !ParseUInt(s.substr(11, 2), h) || !ParseUInt(s.substr(14, 2), mi) ||
        !ParseUInt(s.substr(17, 2), sec)) {
      return std::nullopt;
    }
    pos = 19;
  } else if (s.size() >= 15 && s[8] == 'T') {
    if (!ParseUInt(s.substr(0, 4), y) || !ParseUInt(s.substr(4, 2), mo) || !ParseUInt(s.substr(6, 2), d) ||
        !ParseUInt(s.substr(9, 2), h) || !ParseUInt(s.substr(11, 2), mi) ||
        !ParseUInt(s.substr(13, 2), sec)) {
      return std::nullopt;
    }
    pos = 15;
  } else {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::int64_t millis = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  std::int64_t offset_secs = 0;
  if (pos < s.size()) {
    char c = s[pos];
    if (c == 'Z' || c == 'z') {
      ++pos;
    } else if (c == '+' || c == '-') {
      std::string_view tz = s.substr(pos + 1);
      unsigned oh, om;
      if (tz.size() == 5 && tz[2] == ':' && ParseUInt(tz.substr(0, 2), oh) &&
          ParseUInt(tz.substr(3, 2), om)) {
      } else if (tz.size() == 4 && ParseUInt(tz.substr(0, 2), oh) && ParseUInt(tz.substr(2, 2), om)) {
      } else {
        return std::nullopt;
      }
      offset_secs = (oh * 3600 + om * 60) * (c == '+' ? 1 : -1);
      pos = s.size();
    }
  }
  if (pos != s.size()) return std::nullopt;
  std::int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_secs;
  return secs * 1000 + millis;
}

std::optional<std::int64_t> ParseRfc822(std::string_view s) {
  // [Wkd, ]DD Mon YYYY hh:mm:ss GMT (also "UTC", "+0000"; RFC 850 "Wednesday, 21-Oct-15" is not used by
  // SDKs).
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (auto comma = s.find(','); comma != std::string_view::npos) s.remove_prefix(comma + 1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  std::vector<std::string_view> parts;
  while (!s.empty()) {
    auto sp = s.find(' ');
    if (sp != 0) parts.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  if (parts.size() < 4) return std::nullopt;
  unsigned d, y, h, mi, sec;
  if (!ParseUInt(parts[0], d) || !ParseUInt(parts[2], y)) return std::nullopt;
  unsigned mo = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (parts[1].size() == 3 &&
        std::equal(parts[1].begin(), parts[1].end(), kMonths[i].begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      mo = i + 1;
    }
  }
  std::string_view t = parts[3];
  if (mo == 0 || t.size() != 8 || t[2] != ':' || t[5] != ':' || !ParseUInt(t.substr(0, 2), h) ||
      !ParseUInt(t.substr(3, 2), mi) || !ParseUInt(t.substr(6, 2), sec)) {
    return std::nullopt;
  }
  if (parts.size() > 4 && parts[4] != "GMT" && parts[4] != "UTC" && parts[4] != "+0000" && parts[4] != "Z") {
    return std::nullopt;
  }
  if (d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return (DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000;
}

std::optional<std::int64_t> EpochSecondsToMs(double seconds) {
  if (!std::isfinite(seconds) || std::fabs(seconds) > 1e13) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(seconds * 1000.0));
}

std::optional<std::int64_t> DocInt(const Document& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.as_uint64());
  }
  if (v.is_double() && std::isfinite(v.as_double()) && std::trunc(v.as_double()) == v.as_double() &&
      std::fabs(v.as_double()) < 9.2e18) {
    return static_cast<std::int64_t>(v.as_double());
  }
  return std::nullopt;
}

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, p);
}

std::string FormatEpochSeconds(std::int64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000);
  return FormatDouble(static_cast<double>(ms) / 1000.0);
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    if (!part.empty()) {
      auto eq = part.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(PercentDecode(part, true), std::string());
      } else {
        out.emplace_back(PercentDecode(part.substr(0, eq), true), PercentDecode(part.substr(eq + 1), true));
      }
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string XmlEscape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      // S3 escapes CR and LF in keys so they survive XML attribute/whitespace normalization.
      case '\r':
        out += "&#13;";
        break;
      case '\n':
        out += "&#10;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatIso8601(std::int64_t ms) {
  Civil c = ToCivil(ms);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second, c.millis);
  return buf;
}

std::string FormatRfc822(std::int64_t ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  Civil c = ToCivil(ms);
  if (c.year >= 0 && c.year <= 9999) {
    // Every S3 GET/HEAD formats Last-Modified: by hand, snprintf showed up in profiles.
    auto two = [](char* p, unsigned v) {
      p[0] = static_cast<char>('0' + v / 10 % 10);
      p[1] = static_cast<char>('0' + v % 10);
    };
    std::string out = "Ddd, 00 Mmm 0000 00:00:00 GMT";
    out.replace(0, 3, kDays[c.weekday]);
    two(&out[5], c.day);
    out.replace(8, 3, kMonths[c.month - 1]);
    const auto year = static_cast<unsigned>(c.year);
    two(&out[12], year / 100);
    two(&out[14], year % 100);
    two(&out[17], c.hour);
    two(&out[20], c.minute);
    two(&out[23], c.second);
    return out;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02u %s %04lld %02u:%02u:%02u GMT", kDays[c.weekday], c.day,
                kMonths[c.month - 1], static_cast<long long>(c.year), c.hour, c.minute, c.second);
  return buf;
}

std::optional<std::int64_t> ParseTimestamp(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  if (auto v = ParseIso8601(text)) return v;
  if (auto v = ParseRfc822(text)) return v;
  double seconds;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && p == text.data() + text.size()) return EpochSecondsToMs(seconds);
  return std::nullopt;
}

TimestampFormat EffectiveFormat(const Member& member, Wire wire) {
  if (member.timestamp_format != TimestampFormat::kDefault) return member.timestamp_format;
  if (member.shape && member.shape->timestamp_format != TimestampFormat::kDefault)
    return member.shape->timestamp_format;
  switch (wire) {
    case Wire::kHeader:
      return TimestampFormat::kRfc822;
    case Wire::kJsonBody:
      return TimestampFormat::kUnixTimestamp;
    default:
      return TimestampFormat::kIso8601;
  }
}

std::optional<Document> ScalarFromText(const Member& member, std::string_view text, Wire wire) {
  const Shape& shape = *member.shape;
  switch (shape.type) {
    case ShapeType::kString:
      if (member.json_value && wire == Wire::kHeader) {
        auto decoded = cenote::Base64Decode(text, kWireBase64);
        if (!decoded) return std::nullopt;
        return Document(boost::json::string(*decoded));
      }
      return Document(boost::json::string(text));
    case ShapeType::kInteger:
    case ShapeType::kLong: {
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
      std::int64_t v;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size() || text.empty()) return std::nullopt;
      if (shape.type == ShapeType::kInteger && (v > INT32_MAX || v < INT32_MIN)) return std::nullopt;
      return Document(v);
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble: {
      if (text == "NaN") return Document(std::nan(""));
      if (text == "Infinity") return Document(HUGE_VAL);
      if (text == "-Infinity") return Document(-HUGE_VAL);
      double v;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size() || text.empty()) return std::nullopt;
      return Document(v);
    }
    case ShapeType::kBoolean:
      if (text == "true" || text == "True" || text == "TRUE") return Document(true);
      if (text == "false" || text == "False" || text == "FALSE") return Document(false);
      return std::nullopt;
    case ShapeType::kTimestamp: {
      auto ms = ParseTimestamp(text);
      if (!ms) return std::nullopt;
      return Document(*ms);
    }
    case ShapeType::kBlob: {
      if (wire == Wire::kUri) return Document(boost::json::string(text));
      auto decoded = cenote::Base64Decode(text, kWireBase64);
      if (!decoded) return std::nullopt;
      return Document(boost::json::string(*decoded));
    }
    default:
      return std::nullopt;
  }
}

std::optional<std::string> ScalarToText(const Member& member, const Document& value, Wire wire) {
  const Shape& shape = *member.shape;
  switch (shape.type) {
    case ShapeType::kString:
      if (!value.is_string()) return std::nullopt;
      if (member.json_value && wire == Wire::kHeader) return cenote::Base64Encode(value.as_string());
      return std::string(value.as_string());
    case ShapeType::kInteger:
    case ShapeType::kLong: {
      if (auto v = DocInt(value)) return std::to_string(*v);
      if (value.is_uint64()) return std::to_string(value.as_uint64());
      return std::nullopt;
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (value.is_double()) return FormatDouble(value.as_double());
      if (value.is_int64()) return std::to_string(value.as_int64());
      if (value.is_uint64()) return std::to_string(value.as_uint64());
      return std::nullopt;
    case ShapeType::kBoolean:
      if (!value.is_bool()) return std::nullopt;
      return std::string(value.as_bool() ? "true" : "false");
    case ShapeType::kTimestamp: {
      std::optional<std::int64_t> ms = DocInt(value);
      if (!ms && value.is_double()) ms = static_cast<std::int64_t>(std::llround(value.as_double()));
      if (!ms) return std::nullopt;
      switch (EffectiveFormat(member, wire)) {
        case TimestampFormat::kRfc822:
          return FormatRfc822(*ms);
        case TimestampFormat::kUnixTimestamp:
          return FormatEpochSeconds(*ms);
        default:
          return FormatIso8601(*ms);
      }
    }
    case ShapeType::kBlob:
      if (!value.is_string()) return std::nullopt;
      if (wire == Wire::kUri) return std::string(value.as_string());
      return cenote::Base64Encode(value.as_string());
    default:
      return std::nullopt;
  }
}

Member RootMember(const Shape* shape) {
  Member m;
  m.shape = shape;
  return m;
}

// ---- JSON -----------------------------------------------------------------------------------------

std::optional<Document> JsonToDocument(const Member& member, const Document& json, DecodeError& why,
                                       int depth) {
  const Shape& shape = *member.shape;
  auto fail = [&](std::string reason) -> std::optional<Document> {
    if (why.reason.empty()) why.reason = std::move(reason);
    return std::nullopt;
  };
  if (depth > kMaxDepth) return fail("nesting too deep");
  if (shape.document) return json;
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (!json.is_object()) return fail("expected an object");
      boost::json::object out;
      const auto& in = json.as_object();
      for (const Member& m : shape.members) {
        if (m.location != model::Location::kBody) continue;
        const auto* v = in.if_contains(m.location_name);
        if (!v || v->is_null()) continue;
        auto converted = JsonToDocument(m, *v, why, depth + 1);
        if (!converted) {
          why.path = m.name + (why.path.empty() ? "" : "." + why.path);
          return std::nullopt;
        }
        out.emplace(m.name, std::move(*converted));
      }
      return Document(std::move(out));
    }
    case ShapeType::kList: {
      if (!json.is_array()) return fail("expected an array");
      boost::json::array out;
      for (const auto& item : json.as_array()) {
        if (item.is_null()) continue;
        auto converted = JsonToDocument(shape.member, item, why, depth + 1);
        if (!converted) return std::nullopt;
        out.push_back(std::move(*converted));
      }
      return Document(std::move(out));
    }
    case ShapeType::kMap: {
      if (!json.is_object()) return fail("expected an object");
      boost::json::object out;
      for (const auto& [k, v] : json.as_object()) {
        if (v.is_null()) continue;
        auto converted = JsonToDocument(shape.value, v, why, depth + 1);
        if (!converted) {
          why.path = std::string(k) + (why.path.empty() ? "" : "." + why.path);
          return std::nullopt;
        }
        out.emplace(k, std::move(*converted));
      }
      return Document(std::move(out));
    }
    case ShapeType::kString:
      if (!json.is_string()) return fail("expected a string");
      return json;
    case ShapeType::kInteger:
    case ShapeType::kLong: {
      auto v = DocInt(json);
      if (!v) return fail("expected an integer");
      if (shape.type == ShapeType::kInteger && (*v > INT32_MAX || *v < INT32_MIN))
        return fail("integer out of range");
      return Document(*v);
    }
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (json.is_double()) return json;
      if (json.is_int64()) return Document(static_cast<double>(json.as_int64()));
      if (json.is_uint64()) return Document(static_cast<double>(json.as_uint64()));
      if (json.is_string()) {
        if (auto v = ScalarFromText(member, json.as_string(), Wire::kJsonBody)) return v;
      }
      return fail("expected a number");
    case ShapeType::kBoolean:
      if (!json.is_bool()) return fail("expected a boolean");
      return json;
    case ShapeType::kTimestamp: {
      std::optional<std::int64_t> ms;
      if (json.is_double())
        ms = EpochSecondsToMs(json.as_double());
      else if (json.is_int64())
        ms = EpochSecondsToMs(static_cast<double>(json.as_int64()));
      else if (json.is_uint64())
        ms = EpochSecondsToMs(static_cast<double>(json.as_uint64()));
      else if (json.is_string())
        ms = ParseTimestamp(json.as_string());
      if (!ms) return fail("expected a timestamp");
      return Document(*ms);
    }
    case ShapeType::kBlob: {
      if (!json.is_string()) return fail("expected a base64 string");
      auto decoded = cenote::Base64Decode(json.as_string(), kWireBase64);
      if (!decoded) return fail("invalid base64");
      return Document(boost::json::string(*decoded));
    }
  }
  return fail("unsupported type");
}

Document DocumentToJson(const Member& member, const Document& value, bool skip_non_body_members) {
  const Shape& shape = *member.shape;
  if (shape.document) return value;
  switch (shape.type) {
    case ShapeType::kStructure: {
      boost::json::object out;
      if (!value.is_object()) return out;
      for (const Member& m : shape.members) {
        if (skip_non_body_members && m.location != model::Location::kBody) continue;
        const auto* v = value.as_object().if_contains(m.name);
        if (!v || v->is_null()) continue;
        out.emplace(m.location_name, DocumentToJson(m, *v, false));
      }
      return out;
    }
    case ShapeType::kList: {
      boost::json::array out;
      if (!value.is_array()) return out;
      for (const auto& item : value.as_array()) out.push_back(DocumentToJson(shape.member, item, false));
      return out;
    }
    case ShapeType::kMap: {
      boost::json::object out;
      if (!value.is_object()) return out;
      for (const auto& [k, v] : value.as_object()) out.emplace(k, DocumentToJson(shape.value, v, false));
      return out;
    }
    case ShapeType::kTimestamp: {
      std::optional<std::int64_t> ms = DocInt(value);
      if (!ms) return value;
      if (EffectiveFormat(member, Wire::kJsonBody) == TimestampFormat::kUnixTimestamp) {
        if (*ms % 1000 == 0) return Document(*ms / 1000);
        return Document(static_cast<double>(*ms) / 1000.0);
      }
      return Document(boost::json::string(*ScalarToText(member, value, Wire::kJsonBody)));
    }
    case ShapeType::kBlob:
      if (value.is_string()) return Document(boost::json::string(cenote::Base64Encode(value.as_string())));
      return value;
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (value.is_double() && !std::isfinite(value.as_double())) {
        return Document(boost::json::string(FormatDouble(value.as_double())));
      }
      return value;
    default:
      return value;
  }
}

// ---- query ----------------------------------------------------------------------------------------

namespace {

using ParamMap = std::map<std::string, std::string, std::less<>>;

bool HasPrefixKey(const ParamMap& params, const std::string& key) {
  auto it = params.lower_bound(key);
  if (it == params.end()) return false;
  if (it->first == key) return true;
  return StartsWith(it->first, key) && it->first.size() > key.size() && it->first[key.size()] == '.';
}

bool HasKeyOrChildren(const ParamMap& params, const std::string& key) {
  if (params.contains(key)) return true;
  auto it = params.lower_bound(key + ".");
  return it != params.end() && StartsWith(it->first, key + ".");
}

std::optional<Document> QueryValue(const Member& member, const ParamMap& params, const std::string& key,
                                   DecodeError& why, int depth);

std::optional<Document> QueryList(const Member& member, const ParamMap& params, const std::string& key,
                                  DecodeError& why, int depth) {
  const Shape& shape = *member.shape;
  boost::json::array out;
  // An empty list is sent as "Key=" (botocore) so the server can tell it from an absent one.
  if (auto it = params.find(key); it != params.end() && it->second.empty() &&
                                  !HasKeyOrChildren(params, key + ".1") &&
                                  !HasKeyOrChildren(params, key + "." + shape.member.XmlName() + ".1")) {
    return Document(std::move(out));
  }
  std::string base = member.flattened ? key : key + "." + shape.member.XmlName();
  for (std::size_t n = 1; n <= params.size(); ++n) {
    std::string item_key = base + "." + std::to_string(n);
    if (!HasKeyOrChildren(params, item_key)) break;
    auto item = QueryValue(shape.member, params, item_key, why, depth + 1);
    if (!item) return std::nullopt;
    out.push_back(std::move(*item));
  }
  return Document(std::move(out));
}

std::optional<Document> QueryMap(const Member& member, const ParamMap& params, const std::string& key,
                                 DecodeError& why, int depth) {
  const Shape& shape = *member.shape;
  boost::json::object out;
  std::string base = member.flattened ? key : key + ".entry";
  for (std::size_t n = 1; n <= params.size(); ++n) {
    std::string entry = base + "." + std::to_string(n);
    if (!HasKeyOrChildren(params, entry)) break;
    auto k = params.find(entry + "." + shape.key.XmlName());
    if (k == params.end()) {
      why.path = entry;
      why.reason = "map entry without " + shape.key.XmlName();
      return std::nullopt;
    }
    std::string value_key = entry + "." + shape.value.XmlName();
    if (!HasKeyOrChildren(params, value_key)) continue;
    auto v = QueryValue(shape.value, params, value_key, why, depth + 1);
    if (!v) return std::nullopt;
    out[k->second] = std::move(*v);
  }
  return Document(std::move(out));
}

std::optional<Document> QueryValue(const Member& member, const ParamMap& params, const std::string& key,
                                   DecodeError& why, int depth) {
  const Shape& shape = *member.shape;
  if (depth > kMaxDepth) {
    why.reason = "nesting too deep";
    return std::nullopt;
  }
  switch (shape.type) {
    case ShapeType::kStructure: {
      boost::json::object out;
      for (const Member& m : shape.members) {
        // botocore names a flattened list's items after the item's query name when it has one
        // ("AttributeName.1" for SQS's AttributeNames), else after the member.
        std::string name = m.XmlName();
        if (m.flattened && m.shape->type == ShapeType::kList && !m.shape->member.xml_name.empty()) {
          name = m.shape->member.xml_name;
        }
        std::string k = key.empty() ? name : key + "." + name;
        if (!HasPrefixKey(params, k)) continue;
        auto v = QueryValue(m, params, k, why, depth + 1);
        if (!v) return std::nullopt;
        out.emplace(m.name, std::move(*v));
      }
      return Document(std::move(out));
    }
    case ShapeType::kList:
      return QueryList(member, params, key, why, depth);
    case ShapeType::kMap:
      return QueryMap(member, params, key, why, depth);
    default: {
      auto it = params.find(key);
      if (it == params.end()) {
        why.path = key;
        why.reason = "expected a value";
        return std::nullopt;
      }
      auto v = ScalarFromText(member, it->second, Wire::kQueryForm);
      if (!v) {
        why.path = key;
        why.reason = "invalid value '" + it->second + "'";
      }
      return v;
    }
  }
}

}  // namespace

std::optional<Document> QueryToDocument(const Shape& shape,
                                        const std::vector<std::pair<std::string, std::string>>& params,
                                        DecodeError& why) {
  ParamMap map;
  for (const auto& [k, v] : params) map.emplace(k, v);
  Member root = RootMember(&shape);
  return QueryValue(root, map, "", why, 0);
}

std::string FindMissingRequired(const Shape& shape, const Document& value, std::string_view prefix,
                                int depth) {
  if (depth > kMaxDepth) return {};
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (!value.is_object() || shape.document) return {};
      const auto& obj = value.as_object();
      for (const Member& m : shape.members) {
        std::string path = prefix.empty() ? m.name : std::string(prefix) + "." + m.name;
        const auto* v = obj.if_contains(m.name);
        if (!v) {
          if (m.required && !m.streaming && m.location != model::Location::kStatusCode &&
              !(m.shape->streaming)) {
            return path;
          }
          continue;
        }
        std::string missing = FindMissingRequired(*m.shape, *v, path, depth + 1);
        if (!missing.empty()) return missing;
      }
      return {};
    }
    case ShapeType::kList: {
      if (!value.is_array()) return {};
      std::size_t i = 0;
      for (const auto& item : value.as_array()) {
        std::string missing = FindMissingRequired(
            *shape.member.shape, item, std::string(prefix) + "[" + std::to_string(i++) + "]", depth + 1);
        if (!missing.empty()) return missing;
      }
      return {};
    }
    case ShapeType::kMap: {
      if (!value.is_object()) return {};
      for (const auto& [k, v] : value.as_object()) {
        std::string missing =
            FindMissingRequired(*shape.value.shape, v, std::string(prefix) + "." + std::string(k), depth + 1);
        if (!missing.empty()) return missing;
      }
      return {};
    }
    default:
      return {};
  }
}

}  // namespace cenote::aws::protocol::wire
