// Partition projection (partition_projection.hpp).
#include "services/athena/partition_projection.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <map>
#include <set>

#include "common/strings.hpp"
#include "services/common/params.hpp"

namespace cenote::athena {

namespace json = boost::json;

namespace {

Error Invalid(const std::string& message) { return MakeError("HIVE_INVALID_METADATA", message, 400); }

const json::object* ParametersOf(const json::object& table) {
  return services::GetObject(table, "Parameters");
}

std::optional<std::string> Property(const json::object* params, const std::string& key) {
  if (params == nullptr) return std::nullopt;
  // Property names are matched without regard to case, as Hive stores them lowercased.
  for (const auto& kv : *params) {
    if (kv.value().is_string() && AsciiLower(std::string(kv.key())) == AsciiLower(key))
      return std::string(kv.value().as_string());
  }
  return std::nullopt;
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (true) {
    std::size_t comma = s.find(',', at);
    out.push_back(Trim(s.substr(at, comma == std::string::npos ? std::string::npos : comma - at)));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

std::optional<std::int64_t> ToInt(const std::string& s) {
  if (s.empty()) return std::nullopt;
  std::size_t i = s[0] == '-' || s[0] == '+' ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (std::size_t k = i; k < s.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
  }
  if (s.size() > 18) return std::nullopt;
  return std::stoll(s);
}

// ---- dates

struct Civil {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
};

Civil ToCivil(std::int64_t epoch_s) {
  using namespace std::chrono;
  const sys_seconds t{seconds{epoch_s}};
  const sys_days d = floor<days>(t);
  const year_month_day ymd{d};
  std::int64_t rest = (t - d).count();
  return Civil{static_cast<int>(ymd.year()),
               static_cast<int>(static_cast<unsigned>(ymd.month())),
               static_cast<int>(static_cast<unsigned>(ymd.day())),
               static_cast<int>(rest / 3600),
               static_cast<int>(rest / 60 % 60),
               static_cast<int>(rest % 60)};
}

std::int64_t FromCivil(const Civil& c) {
  using namespace std::chrono;
  const sys_days d = year{c.year} / month{static_cast<unsigned>(c.month)} / day{static_cast<unsigned>(c.day)};
  return d.time_since_epoch().count() * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
}

int DaysIn(int y, int m) {
  using namespace std::chrono;
  return static_cast<int>(static_cast<unsigned>((year{y} / month{static_cast<unsigned>(m)} / last).day()));
}

enum class Unit { kYears, kMonths, kWeeks, kDays, kHours, kMinutes, kSeconds };

std::optional<Unit> ParseUnit(std::string u) {
  u = AsciiLower(Trim(u));
  if (u.size() > 1 && u.back() == 's') u.pop_back();
  static const std::map<std::string, Unit> kUnits = {
      {"year", Unit::kYears}, {"month", Unit::kMonths},   {"week", Unit::kWeeks},    {"day", Unit::kDays},
      {"hour", Unit::kHours}, {"minute", Unit::kMinutes}, {"second", Unit::kSeconds}};
  auto it = kUnits.find(u);
  if (it == kUnits.end()) return std::nullopt;
  return it->second;
}

std::int64_t Add(std::int64_t epoch_s, std::int64_t n, Unit unit) {
  switch (unit) {
    case Unit::kSeconds:
      return epoch_s + n;
    case Unit::kMinutes:
      return epoch_s + n * 60;
    case Unit::kHours:
      return epoch_s + n * 3600;
    case Unit::kDays:
      return epoch_s + n * 86400;
    case Unit::kWeeks:
      return epoch_s + n * 7 * 86400;
    case Unit::kMonths:
    case Unit::kYears: {
      Civil c = ToCivil(epoch_s);
      std::int64_t months =
          static_cast<std::int64_t>(c.year) * 12 + (c.month - 1) + (unit == Unit::kYears ? n * 12 : n);
      c.year = static_cast<int>(months / 12);
      c.month = static_cast<int>(months % 12) + 1;
      c.day = std::min(c.day, DaysIn(c.year, c.month));
      return FromCivil(c);
    }
  }
  return epoch_s;
}

// A Java date pattern as its fields: letters (repeated) and literal text.
struct PatternPart {
  char letter = 0;  // 0: literal
  std::size_t width = 0;
  std::string literal;
};

Result<std::vector<PatternPart>> ParsePattern(const std::string& pattern) {
  std::vector<PatternPart> parts;
  for (std::size_t i = 0; i < pattern.size();) {
    const char c = pattern[i];
    if (c == '\'') {
      std::string lit;
      std::size_t k = i + 1;
      if (k < pattern.size() && pattern[k] == '\'') {
        lit = "'";
        k += 1;
      } else {
        for (; k < pattern.size(); ++k) {
          if (pattern[k] == '\'' && k + 1 < pattern.size() && pattern[k + 1] == '\'') {
            lit += '\'';
            ++k;
          } else if (pattern[k] == '\'') {
            ++k;
            break;
          } else {
            lit += pattern[k];
          }
        }
      }
      parts.push_back(PatternPart{0, 0, lit});
      i = k;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      std::size_t k = i;
      while (k < pattern.size() && pattern[k] == c) ++k;
      if (std::string_view("yMdHms").find(c) == std::string_view::npos) {
        return Invalid("Unsupported date format letter '" + std::string(1, c) + "' in pattern '" + pattern +
                       "' (Cenote supports y, M, d, H, m, s)");
      }
      parts.push_back(PatternPart{c, k - i, ""});
      i = k;
    } else {
      parts.push_back(PatternPart{0, 0, std::string(1, c)});
      ++i;
    }
  }
  return parts;
}

std::string Pad(std::int64_t v, std::size_t width) {
  std::string s = std::to_string(v);
  if (s.size() < width) s.insert(0, width - s.size(), '0');
  return s;
}

}  // namespace

std::string FormatJavaDate(const std::string& pattern, std::int64_t epoch_s) {
  auto parts = ParsePattern(pattern);
  if (!parts) return "";
  const Civil c = ToCivil(epoch_s);
  std::string out;
  for (const PatternPart& p : *parts) {
    switch (p.letter) {
      case 0:
        out += p.literal;
        break;
      case 'y':
        out += p.width == 2 ? Pad(c.year % 100, 2) : Pad(c.year, p.width);
        break;
      case 'M':
        out += Pad(c.month, p.width);
        break;
      case 'd':
        out += Pad(c.day, p.width);
        break;
      case 'H':
        out += Pad(c.hour, p.width);
        break;
      case 'm':
        out += Pad(c.minute, p.width);
        break;
      case 's':
        out += Pad(c.second, p.width);
        break;
      default:
        break;
    }
  }
  return out;
}

std::optional<std::int64_t> ParseJavaDate(const std::string& pattern, const std::string& text) {
  auto parts = ParsePattern(pattern);
  if (!parts) return std::nullopt;
  Civil c;
  std::size_t at = 0;
  for (std::size_t i = 0; i < parts->size(); ++i) {
    const PatternPart& p = (*parts)[i];
    if (p.letter == 0) {
      if (text.compare(at, p.literal.size(), p.literal) != 0) return std::nullopt;
      at += p.literal.size();
      continue;
    }
    // A field as wide as its letters; a single letter (or a year) takes the digits there are.
    const bool adjacent = i + 1 < parts->size() && (*parts)[i + 1].letter != 0;
    std::size_t max = (p.width == 1 || (p.letter == 'y' && p.width != 2)) && !adjacent ? 9 : p.width;
    if (p.letter == 'y' && p.width != 2 && adjacent) max = 4;
    std::size_t n = 0;
    while (at + n < text.size() && n < max && std::isdigit(static_cast<unsigned char>(text[at + n]))) ++n;
    if (n == 0 || (p.width > 1 && n < p.width && p.letter != 'y')) return std::nullopt;
    const int v = std::stoi(text.substr(at, n));
    at += n;
    switch (p.letter) {
      case 'y':
        c.year = p.width == 2 ? 2000 + v : v;
        break;
      case 'M':
        c.month = v;
        break;
      case 'd':
        c.day = v;
        break;
      case 'H':
        c.hour = v;
        break;
      case 'm':
        c.minute = v;
        break;
      case 's':
        c.second = v;
        break;
      default:
        break;
    }
  }
  if (at != text.size()) return std::nullopt;
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > DaysIn(c.year, c.month) || c.hour > 23 ||
      c.minute > 59 || c.second > 59) {
    return std::nullopt;
  }
  return FromCivil(c);
}

namespace {

// A date range bound: a date in the column's format, or NOW with an optional offset (NOW-3YEARS).
Result<std::int64_t> DateBound(const std::string& column, const std::string& bound, const std::string& format,
                               std::int64_t now_s) {
  const std::string b = AsciiLower(Trim(bound));
  if (b.starts_with("now")) {
    std::string rest = b.substr(3);
    if (rest.empty()) return now_s;
    const int sign = rest[0] == '-' ? -1 : rest[0] == '+' ? 1 : 0;
    std::size_t k = 1;
    while (k < rest.size() && std::isdigit(static_cast<unsigned char>(rest[k]))) ++k;
    auto unit = sign != 0 && k > 1 ? ParseUnit(rest.substr(k)) : std::nullopt;
    if (!unit) {
      return Invalid("Invalid value '" + bound + "' in projection." + column +
                     ".range: expected a date in the format or NOW[+-N<unit>]");
    }
    return Add(now_s, sign * std::stoll(rest.substr(1, k - 1)), *unit);
  }
  auto t = ParseJavaDate(format, Trim(bound));
  if (!t) {
    return Invalid("Invalid value '" + bound + "' in projection." + column + ".range for the format '" +
                   format + "'");
  }
  return *t;
}

// The values of one projected column (not injected).
Result<std::vector<std::string>> ColumnValues(const std::string& column, const std::string& type,
                                              const json::object* params, std::int64_t now_s) {
  const std::string p = "projection." + column + ".";
  if (type == "enum") {
    auto values = Property(params, p + "values");
    if (!values || Trim(*values).empty()) return Invalid("Table property " + p + "values is missing");
    return SplitComma(*values);
  }
  if (type == "integer") {
    auto range = Property(params, p + "range");
    if (!range) return Invalid("Table property " + p + "range is missing");
    auto bounds = SplitComma(*range);
    auto lo = bounds.size() == 2 ? ToInt(bounds[0]) : std::nullopt;
    auto hi = bounds.size() == 2 ? ToInt(bounds[1]) : std::nullopt;
    if (!lo || !hi) return Invalid("Invalid value '" + *range + "' in " + p + "range: expected 'min,max'");
    std::int64_t interval = 1;
    if (auto i = Property(params, p + "interval")) {
      auto v = ToInt(Trim(*i));
      if (!v || *v <= 0) return Invalid("Invalid value '" + *i + "' in " + p + "interval");
      interval = *v;
    }
    std::size_t digits = 0;
    if (auto d = Property(params, p + "digits")) {
      auto v = ToInt(Trim(*d));
      if (!v || *v < 1 || *v > 18) return Invalid("Invalid value '" + *d + "' in " + p + "digits");
      digits = static_cast<std::size_t>(*v);
    }
    std::vector<std::string> out;
    for (std::int64_t v = *lo; v <= *hi; v += interval) {
      if (out.size() > kMaxProjectedPartitions) break;
      std::string s = std::to_string(v < 0 ? -v : v);
      if (s.size() < digits) s.insert(0, digits - s.size(), '0');
      out.push_back((v < 0 ? "-" : "") + s);
    }
    return out;
  }
  if (type == "date") {
    auto range = Property(params, p + "range");
    auto format = Property(params, p + "format");
    if (!range) return Invalid("Table property " + p + "range is missing");
    if (!format) return Invalid("Table property " + p + "format is missing");
    CENOTE_ASSIGN_OR_RETURN(auto pattern, ParsePattern(*format));
    auto bounds = SplitComma(*range);
    if (bounds.size() != 2)
      return Invalid("Invalid value '" + *range + "' in " + p + "range: expected 'start,end'");
    CENOTE_ASSIGN_OR_RETURN(std::int64_t start, DateBound(column, bounds[0], *format, now_s));
    CENOTE_ASSIGN_OR_RETURN(std::int64_t end, DateBound(column, bounds[1], *format, now_s));
    // The default unit: the finest field of the format, but not coarser than a day unless the format is.
    std::set<char> letters;
    for (const PatternPart& part : pattern) letters.insert(part.letter);
    Unit unit = letters.contains('s')   ? Unit::kSeconds
                : letters.contains('m') ? Unit::kMinutes
                : letters.contains('H') ? Unit::kHours
                : letters.contains('d') ? Unit::kDays
                : letters.contains('M') ? Unit::kMonths
                                        : Unit::kYears;
    if (auto u = Property(params, p + "interval.unit")) {
      auto parsed = ParseUnit(*u);
      if (!parsed) return Invalid("Invalid value '" + *u + "' in " + p + "interval.unit");
      unit = *parsed;
    }
    std::int64_t interval = 1;
    if (auto i = Property(params, p + "interval")) {
      auto v = ToInt(Trim(*i));
      if (!v || *v <= 0) return Invalid("Invalid value '" + *i + "' in " + p + "interval");
      interval = *v;
    }
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (std::int64_t k = 0;; ++k) {
      const std::int64_t t = Add(start, k * interval, unit);
      if (t > end || out.size() > kMaxProjectedPartitions) break;
      std::string v = FormatJavaDate(*format, t);
      if (seen.insert(v).second) out.push_back(std::move(v));
    }
    return out;
  }
  return Invalid("Invalid value '" + type + "' in " + p + "type: expected integer, enum, date or injected");
}

// A location template as literal text and ${column} references.
struct TemplatePart {
  bool variable = false;
  std::string text;  // the literal, or the column's name (lowercased)
};

std::vector<TemplatePart> ParseTemplate(const std::string& t) {
  std::vector<TemplatePart> out;
  std::size_t at = 0;
  while (at < t.size()) {
    const std::size_t open = t.find("${", at);
    const std::size_t close = open == std::string::npos ? std::string::npos : t.find('}', open);
    if (close == std::string::npos) {
      out.push_back({false, t.substr(at)});
      break;
    }
    if (open > at) out.push_back({false, t.substr(at, open - at)});
    out.push_back({true, AsciiLower(t.substr(open + 2, close - open - 2))});
    at = close + 1;
  }
  return out;
}

// The values of the template's variables in `key` ("s3://bucket/" + object key), if it lies under the
// template.
std::optional<std::map<std::string, std::string>> MatchTemplate(const std::vector<TemplatePart>& parts,
                                                                const std::string& key) {
  std::map<std::string, std::string> values;
  std::size_t at = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].variable) {
      if (key.compare(at, parts[i].text.size(), parts[i].text) != 0) return std::nullopt;
      at += parts[i].text.size();
      continue;
    }
    std::size_t end = key.find('/', at);
    if (i + 1 < parts.size() && !parts[i + 1].variable && !parts[i + 1].text.empty()) {
      end = key.find(parts[i + 1].text.substr(0, 1), at);
    }
    if (end == std::string::npos || end == at) return std::nullopt;
    const std::string value = key.substr(at, end - at);
    if (value.find('/') != std::string::npos) return std::nullopt;
    values[parts[i].text] = value;
    at = end;
  }
  return values;
}

}  // namespace

bool ProjectionEnabled(const json::object& table) {
  auto v = Property(ParametersOf(table), "projection.enabled");
  return v && AsciiLower(Trim(*v)) == "true";
}

Result<std::vector<query::PartitionBinding>> ProjectPartitions(const json::object& table, std::int64_t now_ms,
                                                               const ListKeys& list) {
  const json::object* params = ParametersOf(table);
  std::vector<std::string> keys;
  if (const json::array* pk = services::GetArray(table, "PartitionKeys")) {
    for (const auto& k : *pk) {
      if (k.is_object()) keys.push_back(AsciiLower(services::GetString(k.as_object(), "Name").value_or("")));
    }
  }
  std::string location;
  if (const json::object* sd = services::GetObject(table, "StorageDescriptor")) {
    location = services::GetString(*sd, "Location").value_or("");
  }
  std::string templ;
  if (auto t = Property(params, "storage.location.template")) {
    templ = Trim(*t);
  } else {
    if (!location.empty() && location.back() != '/') location += '/';
    templ = location;
    for (const std::string& k : keys) templ += k + "=${" + k + "}/";
  }
  const std::vector<TemplatePart> parts = ParseTemplate(templ);

  // Each column's values; the injected ones come from the objects under the template's fixed prefix.
  std::vector<std::vector<std::string>> values(keys.size());
  std::vector<std::size_t> injected;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto type = Property(params, "projection." + keys[i] + ".type");
    if (!type) {
      return Invalid("Column '" + keys[i] + "' has no projection.  Table property projection." + keys[i] +
                     ".type is missing");
    }
    const std::string t = AsciiLower(Trim(*type));
    if (t == "injected") {
      injected.push_back(i);
      continue;
    }
    CENOTE_ASSIGN_OR_RETURN(values[i], ColumnValues(keys[i], t, params, now_ms / 1000));
  }
  std::vector<std::vector<std::string>> injected_tuples;
  if (!injected.empty()) {
    std::string prefix = parts.empty() || parts[0].variable ? std::string() : parts[0].text;
    if (const std::size_t slash = prefix.rfind('/'); slash != std::string::npos) prefix.erase(slash + 1);
    CENOTE_ASSIGN_OR_RETURN(std::vector<std::string> listed, list(prefix));
    std::set<std::vector<std::string>> seen;
    for (const std::string& key : listed) {
      auto m = MatchTemplate(parts, key);
      if (!m) continue;
      std::vector<std::string> tuple;
      for (std::size_t i : injected) {
        auto it = m->find(keys[i]);
        if (it == m->end()) break;
        tuple.push_back(it->second);
      }
      if (tuple.size() == injected.size() && seen.insert(tuple).second) injected_tuples.push_back(tuple);
    }
  }

  // The product, in partition-key order (the injected tuples as one more dimension).
  std::size_t total = injected.empty() ? 1 : injected_tuples.size();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (std::find(injected.begin(), injected.end(), i) != injected.end()) continue;
    if (values[i].empty()) return std::vector<query::PartitionBinding>();
    if (total > kMaxProjectedPartitions / values[i].size())
      total = kMaxProjectedPartitions + 1;
    else
      total *= values[i].size();
  }
  if (total > kMaxProjectedPartitions) {
    return MakeError("HIVE_EXCEEDED_PARTITION_LIMIT",
                     "Partition projection of this table yields more than " +
                         std::to_string(kMaxProjectedPartitions) +
                         " partitions (Cenote's limit); narrow the projection ranges",
                     400);
  }
  std::vector<query::PartitionBinding> out;
  out.reserve(total);
  std::vector<std::size_t> index(keys.size(), 0);
  std::size_t tuple = 0;
  for (std::size_t n = 0; n < total; ++n) {
    query::PartitionBinding pb;
    std::map<std::string, std::string> by_name;
    std::size_t inj = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const bool is_injected = inj < injected.size() && injected[inj] == i;
      std::string v = is_injected ? injected_tuples[tuple][inj++] : values[i][index[i]];
      by_name[keys[i]] = v;
      pb.values.push_back(std::move(v));
    }
    for (const TemplatePart& p : parts) {
      if (!p.variable) {
        pb.location += p.text;
      } else if (auto it = by_name.find(p.text); it != by_name.end()) {
        pb.location += it->second;
      } else {
        return Invalid("storage.location.template names ${" + p.text + "}, which is not a partition column");
      }
    }
    if (!pb.location.empty() && pb.location.back() != '/') pb.location += '/';
    out.push_back(std::move(pb));
    // Next: the last column varies fastest; the injected tuples are the slowest dimension.
    bool carried = true;
    for (std::size_t i = keys.size(); carried && i-- > 0;) {
      if (std::find(injected.begin(), injected.end(), i) != injected.end()) continue;
      if (++index[i] < values[i].size()) {
        carried = false;
      } else {
        index[i] = 0;
      }
    }
    if (carried) ++tuple;
  }
  return out;
}

}  // namespace cenote::athena
