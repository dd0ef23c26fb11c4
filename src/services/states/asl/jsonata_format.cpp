#if defined(__GNUC__) && !defined(__clang__)
// g++ 12's -Wrestrict false positive on std::string concatenation (as services' internal.hpp files note).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "services/states/asl/jsonata_format.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <vector>

#include "common/strings.hpp"
#include "common/utf8.hpp"

namespace cenote::states::asl {

namespace json = boost::json;

namespace {

Error Fail(std::string_view code, std::string message) {
  return MakeError("States.QueryEvaluationError", std::string(code) + ": " + message);
}

// ---- UTF-8 <-> code points (pictures may use any Unicode digit family and separators)

std::u32string Decode(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size() + (extra == 0 ? 1 : 0)) {
      out.push_back(c);
      ++i;
      continue;
    }
    char32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

std::string Encode(std::u32string_view s) {
  std::string out;
  for (char32_t cp : s) AppendUtf8(out, cp);
  return out;
}

// The zero of the decimal digit family `c` belongs to (Unicode Nd blocks of ten), or 0.
char32_t ZeroOf(char32_t c) {
  static constexpr std::array<char32_t, 21> kZeros = {0x30,  0x660, 0x6F0,  0x7C0,  0x966,  0x9E6,  0xA66,
                                                      0xAE6, 0xB66, 0xBE6,  0xC66,  0xCE6,  0xD66,  0xE50,
                                                      0xED0, 0xF20, 0x1040, 0x17E0, 0x1810, 0x1946, 0xFF10};
  for (char32_t z : kZeros) {
    if (c >= z && c <= z + 9) return z;
  }
  return 0;
}

// ---- words (British English, as JSONata writes them)

constexpr std::array<std::string_view, 20> kFew = {"Zero",    "One",     "Two",       "Three",    "Four",
                                                   "Five",    "Six",     "Seven",     "Eight",    "Nine",
                                                   "Ten",     "Eleven",  "Twelve",    "Thirteen", "Fourteen",
                                                   "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"};
constexpr std::array<std::string_view, 20> kOrdinals = {
    "Zeroth",     "First",     "Second",    "Third",       "Fourth",     "Fifth",     "Sixth",
    "Seventh",    "Eighth",    "Ninth",     "Tenth",       "Eleventh",   "Twelfth",   "Thirteenth",
    "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"};
constexpr std::array<std::string_view, 8> kDecades = {"Twenty", "Thirty",  "Forty",  "Fifty",
                                                      "Sixty",  "Seventy", "Eighty", "Ninety"};
constexpr std::array<std::string_view, 4> kMagnitudes = {"Thousand", "Million", "Billion", "Trillion"};

std::string Words(double num, bool prev, bool ordinal) {
  std::string words;
  if (num <= 19) {
    words.append(prev ? " and " : "")
        .append(ordinal ? kOrdinals[static_cast<int>(num)] : kFew[static_cast<int>(num)]);
  } else if (num < 100) {
    const int tens = static_cast<int>(num / 10);
    const double rest = std::fmod(num, 10);
    words.append(prev ? " and " : "").append(kDecades[static_cast<std::size_t>(tens - 2)]);
    if (rest > 0) {
      words.append("-").append(Words(rest, false, ordinal));
    } else if (ordinal) {
      words.pop_back();
      words += "ieth";
    }
  } else if (num < 1000) {
    const int hundreds = static_cast<int>(num / 100);
    const double rest = std::fmod(num, 100);
    words.append(prev ? ", " : "").append(kFew[static_cast<std::size_t>(hundreds)]).append(" Hundred");
    if (rest > 0) {
      words += Words(rest, true, ordinal);
    } else if (ordinal) {
      words += "th";
    }
  } else {
    int mag = static_cast<int>(std::floor(std::log10(num) / 3));
    if (mag > static_cast<int>(kMagnitudes.size())) mag = static_cast<int>(kMagnitudes.size());
    const double factor = std::pow(10.0, mag * 3);
    const double mant = std::floor(num / factor);
    const double rest = num - mant * factor;
    words.append(prev ? ", " : "").append(Words(mant, false, false)).append(" ");
    words.append(kMagnitudes[static_cast<std::size_t>(mag - 1)]);
    if (rest > 0) {
      words += Words(rest, true, ordinal);
    } else if (ordinal) {
      words += "th";
    }
  }
  return words;
}

// English number words (cardinal or ordinal, any case) -> value; nullopt if a word is not one.
std::optional<double> WordsValue(std::string_view text) {
  static const std::map<std::string, double> kValues = [] {
    std::map<std::string, double> m;
    for (std::size_t i = 0; i < kFew.size(); ++i) {
      m[AsciiLower(kFew[i])] = static_cast<double>(i);
      m[AsciiLower(kOrdinals[i])] = static_cast<double>(i);
    }
    for (std::size_t i = 0; i < kDecades.size(); ++i) {
      std::string d = AsciiLower(kDecades[i]);
      m[d] = static_cast<double>((i + 2) * 10);
      m[d.substr(0, d.size() - 1) + "ieth"] = static_cast<double>((i + 2) * 10);
    }
    m["hundred"] = m["hundredth"] = 100;
    for (std::size_t i = 0; i < kMagnitudes.size(); ++i) {
      const std::string w = AsciiLower(kMagnitudes[i]);
      m[w] = m[w + "th"] = std::pow(10.0, static_cast<double>((i + 1) * 3));
    }
    return m;
  }();
  std::vector<double> values;
  std::string word;
  auto flush = [&]() -> bool {
    if (word.empty()) return true;
    if (word == "and") {
      word.clear();
      return true;
    }
    auto it = kValues.find(word);
    word.clear();
    if (it == kValues.end()) return false;
    values.push_back(it->second);
    return true;
  };
  for (char c : AsciiLower(text)) {
    if (c == ' ' || c == ',' || c == '-') {
      if (!flush()) return std::nullopt;
    } else {
      word += c;
    }
  }
  if (!flush() || values.empty()) return std::nullopt;
  // Below a hundred adds to the current group; hundred and the magnitudes multiply it; a new group starts
  // after a thousand or more.
  std::vector<double> groups{0};
  for (double v : values) {
    if (v < 100) {
      double top = groups.back();
      groups.pop_back();
      if (top >= 1000) {
        groups.push_back(top);
        top = 0;
      }
      groups.push_back(top + v);
    } else {
      groups.back() *= v;
    }
  }
  return std::accumulate(groups.begin(), groups.end(), 0.0);
}

std::string Roman(double value) {
  static constexpr std::array<std::pair<int, std::string_view>, 13> kNumerals = {{{1000, "m"},
                                                                                  {900, "cm"},
                                                                                  {500, "d"},
                                                                                  {400, "cd"},
                                                                                  {100, "c"},
                                                                                  {90, "xc"},
                                                                                  {50, "l"},
                                                                                  {40, "xl"},
                                                                                  {10, "x"},
                                                                                  {9, "ix"},
                                                                                  {5, "v"},
                                                                                  {4, "iv"},
                                                                                  {1, "i"}}};
  std::string out;
  std::int64_t n = static_cast<std::int64_t>(value);
  for (const auto& [v, s] : kNumerals) {
    while (n >= v) {
      out += s;
      n -= v;
    }
  }
  return out;
}

std::optional<double> RomanValue(std::string_view text) {
  static const std::map<char, int> kValue = {{'i', 1},   {'v', 5},   {'x', 10},  {'l', 50},
                                             {'c', 100}, {'d', 500}, {'m', 1000}};
  double total = 0;
  const std::string s = AsciiLower(text);
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto it = kValue.find(s[i]);
    if (it == kValue.end()) return std::nullopt;
    const int v = it->second;
    const int next = i + 1 < s.size() && kValue.contains(s[i + 1]) ? kValue.at(s[i + 1]) : 0;
    total += v < next ? -v : v;
  }
  return total;
}

std::string Letters(double value) {  // 1 a, 26 z, 27 aa
  std::string out;
  std::int64_t n = static_cast<std::int64_t>(value);
  while (n > 0) {
    --n;
    out.insert(out.begin(), static_cast<char>('a' + n % 26));
    n /= 26;
  }
  return out;
}

std::optional<double> LettersValue(std::string_view text) {
  double n = 0;
  for (char c : AsciiLower(text)) {
    if (c < 'a' || c > 'z') return std::nullopt;
    n = n * 26 + (c - 'a' + 1);
  }
  return n;
}

std::string_view OrdinalSuffix(std::int64_t n) {
  const std::int64_t last2 = n % 100, last = n % 10;
  if (last2 >= 11 && last2 <= 13) return "th";
  return last == 1 ? "st" : last == 2 ? "nd" : last == 3 ? "rd" : "th";
}

// ---- format-integer pictures

struct IntegerPicture {
  enum class Kind { kDecimal, kRoman, kWords, kLetters } kind = Kind::kDecimal;
  enum class Case { kLower, kUpper, kTitle } letter_case = Case::kLower;
  bool ordinal = false;
  char32_t zero = U'0';
  int mandatory = 0;
  int optional = 0;
  std::vector<std::pair<int, char32_t>> separators;  // (digits to the right, separator)
  int regular = 0;                                   // grouping every `regular` digits (0: fixed places)
};

Result<IntegerPicture> AnalyseIntegerPicture(std::u32string picture) {
  IntegerPicture p;
  // "primary;modifier": the modifier is o (ordinal) or c (cardinal), maybe with a (...) suffix.
  if (auto semi = picture.rfind(U';'); semi != std::u32string::npos) {
    const std::u32string modifier = picture.substr(semi + 1);
    if (!modifier.empty() && modifier[0] == U'o') p.ordinal = true;
    picture.resize(semi);
  }
  if (picture == U"I" || picture == U"i") {
    p.kind = IntegerPicture::Kind::kRoman;
    p.letter_case = picture == U"I" ? IntegerPicture::Case::kUpper : IntegerPicture::Case::kLower;
    return p;
  }
  if (picture == U"W" || picture == U"w" || picture == U"Ww") {
    p.kind = IntegerPicture::Kind::kWords;
    p.letter_case = picture == U"W"    ? IntegerPicture::Case::kUpper
                    : picture == U"Ww" ? IntegerPicture::Case::kTitle
                                       : IntegerPicture::Case::kLower;
    return p;
  }
  if (picture == U"A" || picture == U"a") {
    p.kind = IntegerPicture::Kind::kLetters;
    p.letter_case = picture == U"A" ? IntegerPicture::Case::kUpper : IntegerPicture::Case::kLower;
    return p;
  }
  // A decimal digit pattern: digits of one family, optional digits (#), grouping separators.
  char32_t zero = 0;
  int digits_seen = 0;
  std::vector<std::pair<int, char32_t>> seps_from_left;  // (digit positions before, separator)
  for (char32_t c : picture) {
    if (c == U'#') {
      ++p.optional;
      ++digits_seen;
      continue;
    }
    const char32_t z = ZeroOf(c);
    if (z != 0) {
      if (zero != 0 && z != zero)
        return Fail("D3131", "The picture mixes digits from different digit families");
      zero = z;
      ++p.mandatory;
      ++digits_seen;
      continue;
    }
    if (c < 0x80 && IsAsciiAlpha(static_cast<char>(c)))  // a numbering sequence other than those above
      return Fail("D3130", "The picture '" + Encode(picture) + "' is not a supported integer format");
    seps_from_left.emplace_back(digits_seen, c);
  }
  if (p.mandatory == 0 && p.optional == 0)
    return Fail("D3130", "The picture '" + Encode(picture) + "' is not a supported integer format");
  if (p.mandatory == 0) return Fail("D3130", "The picture must contain at least one decimal digit");
  p.zero = zero;
  for (const auto& [before, sep] : seps_from_left) p.separators.emplace_back(digits_seen - before, sep);
  // Regular grouping: one separator character at every multiple of the positions' greatest divisor.
  if (!p.separators.empty()) {
    int g = 0;
    bool same = true;
    for (const auto& [pos, sep] : p.separators) {
      g = std::gcd(g, pos);
      same = same && sep == p.separators[0].second;
    }
    bool all = same && g > 0;
    for (std::size_t i = 1; all && i <= p.separators.size(); ++i) {
      all = std::any_of(p.separators.begin(), p.separators.end(),
                        [&](const auto& s) { return s.first == static_cast<int>(i) * g; });
    }
    if (all) p.regular = g;
  }
  return p;
}

std::string ApplyCase(std::string s, IntegerPicture::Case c) {
  if (c == IntegerPicture::Case::kUpper) return AsciiUpper(s);
  if (c == IntegerPicture::Case::kLower) return AsciiLower(s);
  return s;
}

// Inserts grouping separators into `digits` (counted from the right).
std::u32string Group(const std::u32string& digits, const std::vector<std::pair<int, char32_t>>& separators,
                     int regular) {
  std::u32string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    const int from_right = n - i;
    if (i > 0) {
      if (regular > 0 && from_right % regular == 0) {
        out += separators[0].second;
      } else if (regular == 0) {
        for (const auto& [pos, sep] : separators) {
          if (pos == from_right) out += sep;
        }
      }
    }
    out += digits[static_cast<std::size_t>(i)];
  }
  return out;
}

std::string DecimalDigits(double value) {  // the integer part of |value| in ASCII digits
  char buf[400];
  std::snprintf(buf, sizeof(buf), "%.0f", std::floor(std::fabs(value)));
  return buf;
}

std::string FormatWith(double value, const IntegerPicture& p) {
  const bool negative = value < 0;
  const double abs = std::floor(std::fabs(value));
  std::string out;
  switch (p.kind) {
    case IntegerPicture::Kind::kRoman:
      out = ApplyCase(Roman(abs), p.letter_case);
      break;
    case IntegerPicture::Kind::kWords:
      out = ApplyCase(Words(abs, false, p.ordinal), p.letter_case);
      break;
    case IntegerPicture::Kind::kLetters:
      out = ApplyCase(Letters(abs), p.letter_case);
      break;
    case IntegerPicture::Kind::kDecimal: {
      std::string ascii = DecimalDigits(abs);
      if (static_cast<int>(ascii.size()) < p.mandatory)
        ascii.insert(0, static_cast<std::size_t>(p.mandatory) - ascii.size(), '0');
      std::u32string digits;
      for (char c : ascii) digits += static_cast<char32_t>(p.zero + static_cast<char32_t>(c - '0'));
      out = Encode(Group(digits, p.separators, p.regular));
      if (p.ordinal) out += OrdinalSuffix(static_cast<std::int64_t>(std::fmod(abs, 100)));
      break;
    }
  }
  return negative ? "-" + out : out;
}

std::optional<double> ParseWith(std::string_view text, const IntegerPicture& p) {
  switch (p.kind) {
    case IntegerPicture::Kind::kRoman:
      return RomanValue(text);
    case IntegerPicture::Kind::kWords:
      return WordsValue(text);
    case IntegerPicture::Kind::kLetters:
      return LettersValue(text);
    case IntegerPicture::Kind::kDecimal:
      break;
  }
  double n = 0;
  bool any = false;
  const std::u32string s = Decode(text);
  std::size_t i = 0;
  const bool negative = !s.empty() && s[0] == U'-';
  if (negative) ++i;
  for (; i < s.size(); ++i) {
    const char32_t c = s[i];
    if (c >= p.zero && c <= p.zero + 9) {
      n = n * 10 + static_cast<double>(c - p.zero);
      any = true;
    } else if (std::any_of(p.separators.begin(), p.separators.end(),
                           [&](const auto& sep) { return sep.second == c; })) {
      continue;
    } else if (p.ordinal && c < 0x80 && IsAsciiAlpha(static_cast<char>(c))) {
      continue;  // "st", "nd", "rd", "th"
    } else {
      return std::nullopt;
    }
  }
  if (!any) return std::nullopt;
  return negative ? -n : n;
}

// ---- date arithmetic (proleptic Gregorian, UTC)

std::int64_t DaysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  std::int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

Civil CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Civil{yoe + era * 400 + (m <= 2), m, d};
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int IsoWeekday(std::int64_t days) {  // Monday 1 .. Sunday 7; day 0 (1970-01-01) was a Thursday
  const std::int64_t w = ((days % 7) + 7 + 3) % 7;
  return static_cast<int>(w) + 1;
}

// The first day of the first week of the period starting on `first` (the week holding its 4th day, as
// ISO 8601 defines week 1 of a year; JSONata extends it to months).
std::int64_t StartOfFirstWeek(std::int64_t first) {
  const std::int64_t fourth = first + 3;
  return fourth - (IsoWeekday(fourth) - 1);
}

constexpr std::array<std::string_view, 12> kMonths = {"January",   "February", "March",    "April",
                                                      "May",       "June",     "July",     "August",
                                                      "September", "October",  "November", "December"};
constexpr std::array<std::string_view, 8> kDays = {"",         "Monday", "Tuesday",  "Wednesday",
                                                   "Thursday", "Friday", "Saturday", "Sunday"};

// ---- date/time pictures

struct Marker {
  bool literal = false;
  std::string text;  // a literal's text
  char component = 0;
  std::string presentation1;
  std::string presentation2;
  std::optional<int> min_width;
  std::optional<int> max_width;
  enum class Names { kNone, kLower, kUpper, kTitle } names = Names::kNone;
  std::optional<IntegerPicture> integer;
  int year_digits = -1;  // [Y]: keep this many low digits
};

Result<std::vector<Marker>> AnalyseDateTimePicture(std::string_view picture) {
  static const std::map<char, std::string> kDefaults = {
      {'Y', "1"}, {'M', "1"},     {'D', "1"},     {'d', "1"}, {'F', "n"}, {'W', "1"},  {'w', "1"},
      {'X', "1"}, {'x', "1"},     {'H', "1"},     {'h', "1"}, {'P', "n"}, {'m', "01"}, {'s', "01"},
      {'f', "1"}, {'Z', "01:01"}, {'z', "01:01"}, {'C', "n"}, {'E', "n"}};
  std::vector<Marker> spec;
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    Marker m;
    m.literal = true;
    m.text = std::move(literal);
    literal.clear();
    spec.push_back(std::move(m));
  };
  for (std::size_t i = 0; i < picture.size();) {
    const char c = picture[i];
    if (c == '[' && i + 1 < picture.size() && picture[i + 1] == '[') {
      literal += '[';
      i += 2;
      continue;
    }
    if (c == ']' && i + 1 < picture.size() && picture[i + 1] == ']') {
      literal += ']';
      i += 2;
      continue;
    }
    if (c != '[') {
      literal += c;
      ++i;
      continue;
    }
    const std::size_t close = picture.find(']', i);
    if (close == std::string_view::npos)
      return Fail("D3135", "No matching closing bracket ']' in the picture");
    std::string body;
    for (char b : picture.substr(i + 1, close - i - 1)) {
      if (!IsAsciiSpace(b)) body += b;
    }
    i = close + 1;
    if (body.empty()) return Fail("D3132", "An empty [] marker in the picture");
    flush();
    Marker m;
    m.component = body[0];
    std::string modifiers;
    if (auto comma = body.rfind(','); comma != std::string::npos) {
      const std::string width = body.substr(comma + 1);
      const std::size_t dash = width.find('-');
      auto parse = [](const std::string& w) -> std::optional<int> {
        if (w.empty() || w == "*") return std::nullopt;
        try {
          return std::stoi(w);
        } catch (...) {
          return std::nullopt;
        }
      };
      m.min_width = parse(width.substr(0, dash));
      if (dash != std::string::npos) m.max_width = parse(width.substr(dash + 1));
      modifiers = body.substr(1, comma - 1);
    } else {
      modifiers = body.substr(1);
    }
    auto def = kDefaults.find(m.component);
    if (def == kDefaults.end())
      return Fail("D3132", std::string("Unknown component specifier '") + m.component + "' in the picture");
    if (modifiers.size() > 1 && std::string_view("atco").find(modifiers.back()) != std::string_view::npos) {
      m.presentation2 = modifiers.substr(modifiers.size() - 1);
      m.presentation1 = modifiers.substr(0, modifiers.size() - 1);
    } else {
      m.presentation1 = modifiers.empty() ? def->second : modifiers;
    }
    if (m.presentation1[0] == 'n') {
      m.names = Marker::Names::kLower;
    } else if (m.presentation1[0] == 'N') {
      m.names = m.presentation1.size() > 1 && m.presentation1[1] == 'n' ? Marker::Names::kTitle
                                                                        : Marker::Names::kUpper;
    } else if (std::string_view("YMDdFWwXxHhmsf").find(m.component) != std::string_view::npos) {
      std::string pattern = m.presentation1;
      if (!m.presentation2.empty()) pattern += ";" + m.presentation2;
      CENOTE_ASSIGN_OR_RETURN(IntegerPicture ip, AnalyseIntegerPicture(Decode(pattern)));
      if (m.min_width && ip.mandatory < *m.min_width) ip.mandatory = *m.min_width;
      if (m.component == 'Y') {
        if (m.max_width) {
          m.year_digits = *m.max_width;
          ip.mandatory = *m.max_width;
        } else if (ip.mandatory + ip.optional >= 2) {
          m.year_digits = ip.mandatory + ip.optional;
        }
      }
      m.integer = std::move(ip);
    }
    if (m.component == 'Z' || m.component == 'z') {
      CENOTE_ASSIGN_OR_RETURN(IntegerPicture ip, AnalyseIntegerPicture(Decode(m.presentation1)));
      m.integer = std::move(ip);
    }
    spec.push_back(std::move(m));
  }
  flush();
  return spec;
}

constexpr std::string_view kIsoPicture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]";

// "+hhmm" / "-hhmm" -> minutes east of UTC.
Result<int> TimezoneMinutes(std::string_view tz) {
  if (tz.empty()) return 0;
  int sign = 1;
  std::size_t i = 0;
  if (tz[0] == '+' || tz[0] == '-') {
    sign = tz[0] == '-' ? -1 : 1;
    i = 1;
  }
  const std::string_view digits = tz.substr(i);
  if (digits.empty() || digits.size() > 4 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return IsAsciiDigit(c); }))
    return Fail("D3134", "The timezone '" + std::string(tz) + "' is not of the form +hhmm or -hhmm");
  const int v = std::stoi(std::string(digits));
  return sign * ((v / 100) * 60 + v % 100);
}

}  // namespace

Result<std::string> FormatInteger(double value, std::string_view picture) {
  CENOTE_ASSIGN_OR_RETURN(IntegerPicture p, AnalyseIntegerPicture(Decode(picture)));
  // Bounds that keep every presentation finite (roman numerals repeat M; letters and words recurse).
  const double limit = p.kind == IntegerPicture::Kind::kRoman     ? 1e6
                       : p.kind == IntegerPicture::Kind::kLetters ? 1e15
                                                                  : 1e300;
  if (!std::isfinite(value) || std::fabs(value) >= limit)
    return Fail("D3130", "The number " + DecimalDigits(std::isfinite(value) ? value : 0) +
                             " cannot be formatted with the picture '" + std::string(picture) + "'");
  return FormatWith(value, p);
}

Result<double> ParseInteger(std::string_view text, std::string_view picture) {
  CENOTE_ASSIGN_OR_RETURN(IntegerPicture p, AnalyseIntegerPicture(Decode(picture)));
  if (text.empty() && p.kind == IntegerPicture::Kind::kRoman) return 0.0;
  auto v = ParseWith(text, p);
  if (!v)
    return Fail("D3137",
                "'" + std::string(text) + "' does not match the picture '" + std::string(picture) + "'");
  return *v;
}

Result<std::string> FormatNumber(double value, std::string_view picture_text, const json::object* options) {
  // The decimal format: defaults, then the options given.
  std::map<std::string, std::u32string> props = {{"decimal-separator", U"."},
                                                 {"grouping-separator", U","},
                                                 {"exponent-separator", U"e"},
                                                 {"infinity", U"Infinity"},
                                                 {"minus-sign", U"-"},
                                                 {"NaN", U"NaN"},
                                                 {"percent", U"%"},
                                                 {"per-mille", U"\u2030"},
                                                 {"zero-digit", U"0"},
                                                 {"digit", U"#"},
                                                 {"pattern-separator", U";"}};
  if (options != nullptr) {
    for (const auto& [k, v] : *options) {
      if (!props.contains(std::string(k)) || !v.is_string()) continue;
      props[std::string(k)] = Decode(v.get_string());
    }
  }
  auto one = [&](const char* name) -> char32_t {
    const std::u32string& s = props[name];
    return s.empty() ? 0 : s[0];
  };
  const char32_t decimal_sep = one("decimal-separator"), grouping_sep = one("grouping-separator"),
                 exponent_sep = one("exponent-separator"), percent = one("percent"),
                 per_mille = one("per-mille"), zero = one("zero-digit"), digit = one("digit"),
                 pattern_sep = one("pattern-separator");
  auto is_digit = [&](char32_t c) { return c >= zero && c <= zero + 9; };
  auto is_active = [&](char32_t c) {
    return is_digit(c) || c == digit || c == decimal_sep || c == grouping_sep || c == pattern_sep ||
           c == exponent_sep;
  };
  if (std::isnan(value)) return Encode(props["NaN"]);

  const std::u32string picture = Decode(picture_text);
  std::vector<std::u32string> subs;
  {
    std::u32string cur;
    for (char32_t c : picture) {
      if (c == pattern_sep) {
        subs.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    subs.push_back(cur);
  }
  if (subs.size() > 2) return Fail("D3080", "The picture must not contain more than one pattern separator");

  struct Sub {
    std::u32string prefix, suffix;
    bool has_exponent = false;
    bool percent = false, per_mille = false;
    std::vector<int> int_groups;   // separator positions, counted from the right of the integer part
    std::vector<int> frac_groups;  // counted from the left of the fractional part
    int min_int = 0, scaling = 0, min_frac = 0, max_frac = 0, min_exp = 0;
    int regular = 0;
  };
  auto analyse = [&](const std::u32string& s) -> Result<Sub> {
    Sub sub;
    // Prefix and suffix: the passive characters before the first and after the last active one (the
    // exponent separator counts as passive there, so "PREFIXe" stays a prefix).
    std::size_t first = s.size(), last = s.size();
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (is_active(s[i]) && s[i] != exponent_sep) {
        first = i;
        break;
      }
    }
    for (std::size_t i = s.size(); i-- > 0;) {
      if (is_active(s[i]) && s[i] != exponent_sep) {
        last = i;
        break;
      }
    }
    if (first == s.size())
      return Fail("D3086", "The picture must contain at least one digit or optional digit");
    sub.prefix = s.substr(0, first);
    sub.suffix = s.substr(last + 1);
    const std::u32string active = s.substr(first, last - first + 1);
    auto count = [&](const std::u32string& x, char32_t c) { return std::count(x.begin(), x.end(), c); };
    if (count(s, decimal_sep) > 1)
      return Fail("D3081", "The picture must not contain more than one decimal separator");
    if (count(s, percent) > 1)
      return Fail("D3082", "The picture must not contain more than one percent character");
    if (count(s, per_mille) > 1)
      return Fail("D3083", "The picture must not contain more than one per-mille character");
    if (count(s, percent) > 0 && count(s, per_mille) > 0)
      return Fail("D3084", "The picture must not contain both a percent and a per-mille character");
    sub.percent = count(s, percent) > 0;
    sub.per_mille = count(s, per_mille) > 0;
    // Mantissa and exponent: an exponent separator followed by digits only.
    std::u32string mantissa = active, exponent;
    for (std::size_t i = 0; i < active.size(); ++i) {
      if (active[i] == exponent_sep) {
        mantissa = active.substr(0, i);
        exponent = active.substr(i + 1);
        sub.has_exponent = true;
        break;
      }
    }
    for (char32_t c : mantissa) {
      if (!is_active(c))
        return Fail("D3086", "A passive character must not appear between active characters");
    }
    if (std::none_of(mantissa.begin(), mantissa.end(), [&](char32_t c) { return is_digit(c) || c == digit; }))
      return Fail("D3085", "The mantissa must contain at least one digit or optional digit");
    if (sub.has_exponent) {
      if (sub.percent || sub.per_mille)
        return Fail("D3092", "A picture with an exponent must not contain a percent or per-mille character");
      if (exponent.empty() ||
          std::any_of(exponent.begin(), exponent.end(), [&](char32_t c) { return !is_digit(c); }))
        return Fail("D3093", "The exponent must contain only decimal digits");
    }
    const std::size_t dot = mantissa.find(decimal_sep);
    const std::u32string integer = dot == std::u32string::npos ? mantissa : mantissa.substr(0, dot);
    const std::u32string fraction = dot == std::u32string::npos ? std::u32string() : mantissa.substr(dot + 1);
    if (dot != std::u32string::npos && ((dot > 0 && mantissa[dot - 1] == grouping_sep) ||
                                        (dot + 1 < mantissa.size() && mantissa[dot + 1] == grouping_sep)))
      return Fail("D3087", "A grouping separator must not be next to the decimal separator");
    if (dot == std::u32string::npos && !integer.empty() && integer.back() == grouping_sep)
      return Fail("D3088", "The integer part must not end with a grouping separator");
    for (std::size_t i = 1; i < mantissa.size(); ++i) {
      if (mantissa[i] == grouping_sep && mantissa[i - 1] == grouping_sep)
        return Fail("D3089", "Two grouping separators must not be adjacent");
    }
    bool seen_digit = false;
    for (char32_t c : integer) {
      if (is_digit(c)) seen_digit = true;
      if (c == digit && seen_digit)
        return Fail("D3090", "An optional digit must not follow a decimal digit in the integer part");
    }
    bool seen_optional = false;
    for (char32_t c : fraction) {
      if (c == digit) seen_optional = true;
      if (is_digit(c) && seen_optional)
        return Fail("D3091", "A decimal digit must not follow an optional digit in the fractional part");
    }
    // Grouping positions.
    int digits_right = 0;
    for (std::size_t i = integer.size(); i-- > 0;) {
      if (integer[i] == grouping_sep) {
        sub.int_groups.push_back(digits_right);
      } else if (is_digit(integer[i]) || integer[i] == digit) {
        ++digits_right;
      }
    }
    int digits_left = 0;
    for (char32_t c : fraction) {
      if (c == grouping_sep) {
        sub.frac_groups.push_back(digits_left);
      } else {
        ++digits_left;
      }
    }
    if (!sub.int_groups.empty()) {
      int g = 0;
      for (int p : sub.int_groups) g = std::gcd(g, p);
      bool all = g > 0;
      for (std::size_t i = 1; all && i <= sub.int_groups.size(); ++i)
        all = std::find(sub.int_groups.begin(), sub.int_groups.end(), static_cast<int>(i) * g) !=
              sub.int_groups.end();
      if (all) sub.regular = g;
    }
    sub.min_int = static_cast<int>(std::count_if(integer.begin(), integer.end(), is_digit));
    sub.scaling = sub.min_int;
    sub.min_frac = static_cast<int>(std::count_if(fraction.begin(), fraction.end(), is_digit));
    sub.max_frac = static_cast<int>(std::count_if(fraction.begin(), fraction.end(),
                                                  [&](char32_t c) { return is_digit(c) || c == digit; }));
    if (sub.min_int == 0 && sub.max_frac == 0) {
      if (sub.has_exponent) {
        sub.min_frac = sub.max_frac = 1;
      } else {
        sub.min_int = 1;
      }
    }
    if (sub.has_exponent && sub.min_int == 0 && integer.find(digit) != std::u32string::npos) sub.min_int = 1;
    if (sub.min_int == 0 && sub.min_frac == 0) sub.min_frac = 1;
    sub.min_exp = static_cast<int>(std::count_if(exponent.begin(), exponent.end(), is_digit));
    return sub;
  };
  std::vector<Sub> parsed;
  for (const auto& s : subs) {
    CENOTE_ASSIGN_OR_RETURN(Sub sub, analyse(s));
    parsed.push_back(std::move(sub));
  }
  const bool negative = value < 0;
  Sub pic = parsed[0];
  if (negative && parsed.size() > 1) {
    pic = parsed[1];
  } else if (negative) {
    pic.prefix = props["minus-sign"] + pic.prefix;
  }
  if (std::isinf(value)) return Encode(pic.prefix + props["infinity"] + pic.suffix);
  double x = std::fabs(value);
  if (pic.percent) {
    x *= 100;
  } else if (pic.per_mille) {
    x *= 1000;
  }
  int exponent = 0;
  if (pic.has_exponent && x != 0) {
    // The mantissa holds `scaling` digits before the point (or is below 1 with none).
    const double lower = std::pow(10.0, pic.scaling - 1 < 0 ? -1 : pic.scaling - 1);
    const double upper = std::pow(10.0, pic.scaling);
    while (x < (pic.scaling == 0 ? 0.1 : lower)) {
      x *= 10;
      --exponent;
    }
    while (x >= (pic.scaling == 0 ? 1.0 : upper)) {
      x /= 10;
      ++exponent;
    }
  }
  // Round to the maximum fraction digits (half to even on the decimal digits, as XPath's round-half-to-even).
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f", pic.max_frac, x);
  std::string text = buf;
  std::string int_digits = text, frac_digits;
  if (auto p = text.find('.'); p != std::string::npos) {
    int_digits = text.substr(0, p);
    frac_digits = text.substr(p + 1);
  }
  while (static_cast<int>(frac_digits.size()) > pic.min_frac && !frac_digits.empty() &&
         frac_digits.back() == '0')
    frac_digits.pop_back();
  if (int_digits == "0" && pic.min_int == 0) int_digits.clear();
  if (static_cast<int>(int_digits.size()) < pic.min_int)
    int_digits.insert(0, static_cast<std::size_t>(pic.min_int) - int_digits.size(), '0');
  auto family = [&](const std::string& ascii) {
    std::u32string out;
    for (char c : ascii) out += static_cast<char32_t>(zero + static_cast<char32_t>(c - '0'));
    return out;
  };
  std::u32string int_part = family(int_digits);
  {  // integer grouping
    std::u32string grouped;
    const int n = static_cast<int>(int_part.size());
    for (int i = 0; i < n; ++i) {
      const int from_right = n - i;
      if (i > 0 && ((pic.regular > 0 && from_right % pic.regular == 0) ||
                    (pic.regular == 0 && std::find(pic.int_groups.begin(), pic.int_groups.end(),
                                                   from_right) != pic.int_groups.end())))
        grouped += grouping_sep;
      grouped += int_part[static_cast<std::size_t>(i)];
    }
    int_part = std::move(grouped);
  }
  std::u32string frac_part;
  {
    const std::u32string f = family(frac_digits);
    for (std::size_t i = 0; i < f.size(); ++i) {
      if (i > 0 && std::find(pic.frac_groups.begin(), pic.frac_groups.end(), static_cast<int>(i)) !=
                       pic.frac_groups.end())
        frac_part += grouping_sep;
      frac_part += f[i];
    }
  }
  std::u32string out = pic.prefix + int_part;
  if (!frac_part.empty()) out += decimal_sep + frac_part;
  if (pic.has_exponent) {
    std::string e = std::to_string(exponent < 0 ? -exponent : exponent);
    if (static_cast<int>(e.size()) < pic.min_exp)
      e.insert(0, static_cast<std::size_t>(pic.min_exp) - e.size(), '0');
    out += exponent_sep;
    if (exponent < 0) out += props["minus-sign"];
    out += family(e);
  }
  out += pic.suffix;
  return Encode(out);
}

Result<std::string> FormatDateTime(std::int64_t millis, std::string_view picture, std::string_view timezone) {
  if (millis > 8'640'000'000'000'000 || millis < -8'640'000'000'000'000)
    return Fail("D3110", "The timestamp " + std::to_string(millis) + " is out of range");
  CENOTE_ASSIGN_OR_RETURN(int offset, TimezoneMinutes(timezone));
  CENOTE_ASSIGN_OR_RETURN(std::vector<Marker> spec,
                          AnalyseDateTimePicture(picture.empty() ? kIsoPicture : picture));
  const std::int64_t local = millis + static_cast<std::int64_t>(offset) * 60000;
  const std::int64_t days = FloorDiv(local, 86400000);
  const std::int64_t ms_of_day = local - days * 86400000;
  const Civil date = CivilFromDays(days);
  const int hour = static_cast<int>(ms_of_day / 3600000);
  const int minute = static_cast<int>(ms_of_day / 60000 % 60);
  const int second = static_cast<int>(ms_of_day / 1000 % 60);
  const int milli = static_cast<int>(ms_of_day % 1000);
  std::string out;
  for (const Marker& m : spec) {
    if (m.literal) {
      out += m.text;
      continue;
    }
    double value = 0;
    switch (m.component) {
      case 'Y':
        value = static_cast<double>(date.year);
        break;
      case 'M':
        value = date.month;
        break;
      case 'D':
        value = date.day;
        break;
      case 'd':
        value = static_cast<double>(days - DaysFromCivil(date.year, 1, 1) + 1);
        break;
      case 'F':
        value = IsoWeekday(days);
        break;
      case 'W':
      case 'X': {
        // ISO 8601 week date: week 1 holds the year's first Thursday.
        std::int64_t year = date.year;
        std::int64_t start = StartOfFirstWeek(DaysFromCivil(year, 1, 1));
        if (days < start) {
          --year;
          start = StartOfFirstWeek(DaysFromCivil(year, 1, 1));
        } else if (days >= StartOfFirstWeek(DaysFromCivil(year + 1, 1, 1))) {
          ++year;
          start = StartOfFirstWeek(DaysFromCivil(year, 1, 1));
        }
        value = m.component == 'X' ? static_cast<double>(year) : static_cast<double>((days - start) / 7 + 1);
        break;
      }
      case 'w':
      case 'x': {
        // The same rule within months (JSONata's extension of XPath).
        std::int64_t y = date.year;
        int mo = date.month;
        std::int64_t start = StartOfFirstWeek(DaysFromCivil(y, mo, 1));
        auto shift = [&](int by) {
          mo += by;
          if (mo == 0) {
            mo = 12;
            --y;
          } else if (mo == 13) {
            mo = 1;
            ++y;
          }
          start = StartOfFirstWeek(DaysFromCivil(y, mo, 1));
        };
        if (days < start) {
          shift(-1);
        } else {
          const int next_mo = mo == 12 ? 1 : mo + 1;
          const std::int64_t next_y = mo == 12 ? y + 1 : y;
          if (days >= StartOfFirstWeek(DaysFromCivil(next_y, next_mo, 1))) shift(1);
        }
        value = m.component == 'x' ? mo : static_cast<double>((days - start) / 7 + 1);
        break;
      }
      case 'H':
        value = hour;
        break;
      case 'h':
        value = hour % 12 == 0 ? 12 : hour % 12;
        break;
      case 'm':
        value = minute;
        break;
      case 's':
        value = second;
        break;
      case 'f':
        value = milli;
        break;
      default:
        break;
    }
    std::string piece;
    if (std::string_view("YMDdFWwXxHhmsf").find(m.component) != std::string_view::npos) {
      if (m.component == 'Y' && m.year_digits >= 0) value = std::fmod(value, std::pow(10.0, m.year_digits));
      if (m.names != Marker::Names::kNone) {
        if (m.component == 'M' || m.component == 'x') {
          piece = kMonths[static_cast<std::size_t>(value) - 1];
        } else if (m.component == 'F') {
          piece = kDays[static_cast<std::size_t>(value)];
        } else {
          return Fail("D3133",
                      std::string("The component [") + m.component + "] cannot be presented as a name");
        }
        if (m.names == Marker::Names::kUpper) piece = AsciiUpper(piece);
        if (m.names == Marker::Names::kLower) piece = AsciiLower(piece);
        if (m.max_width && static_cast<int>(piece.size()) > *m.max_width)
          piece.resize(static_cast<std::size_t>(*m.max_width));
      } else {
        piece = FormatWith(value, *m.integer);
      }
    } else if (m.component == 'Z' || m.component == 'z') {
      const int hours = offset / 60, mins = std::abs(offset % 60);
      const int hhmm = hours * 100 + (offset < 0 ? -mins : mins);
      const IntegerPicture& p = *m.integer;
      if (p.regular > 0) {
        piece = FormatWith(hhmm, p);
      } else if (p.mandatory == 1 || p.mandatory == 2) {
        piece = FormatWith(std::abs(hours), p);
        if (offset < 0) piece = "-" + piece;
        if (mins != 0) piece += ":" + std::string(mins < 10 ? "0" : "") + std::to_string(mins);
      } else if (p.mandatory == 3 || p.mandatory == 4) {
        piece = FormatWith(hhmm, p);
      } else {
        return Fail("D3134", "The timezone picture must have at most four digits");
      }
      if (offset >= 0) piece = "+" + piece;
      if (m.component == 'z') piece = "GMT" + piece;
      if (offset == 0 && m.presentation2 == "t") piece = "Z";
    } else if (m.component == 'P') {
      piece = hour >= 12 ? "pm" : "am";
      if (m.names == Marker::Names::kUpper) piece = AsciiUpper(piece);
    } else if (m.component == 'C' || m.component == 'E') {
      piece = "ISO";
    }
    out += piece;
  }
  return out;
}

Result<std::optional<std::int64_t>> ParseDateTime(std::string_view text, std::string_view picture,
                                                  std::int64_t now_millis) {
  CENOTE_ASSIGN_OR_RETURN(std::vector<Marker> spec, AnalyseDateTimePicture(picture));
  std::map<char, double> got;
  std::optional<int> offset;
  bool pm = false, has_p = false;
  std::size_t i = 0;
  auto lower_rest = [&] { return AsciiLower(text.substr(i)); };
  for (std::size_t k = 0; k < spec.size(); ++k) {
    const Marker& m = spec[k];
    if (m.literal) {
      if (text.substr(i, m.text.size()) != m.text) return std::optional<std::int64_t>();
      i += m.text.size();
      continue;
    }
    if (m.component == 'P') {
      const std::string rest = lower_rest();
      if (rest.starts_with("am") || rest.starts_with("pm")) {
        pm = rest.starts_with("pm");
        has_p = true;
        i += 2;
        continue;
      }
      return std::optional<std::int64_t>();
    }
    if (m.component == 'C' || m.component == 'E') {
      if (text.substr(i, 3) != "ISO") return std::optional<std::int64_t>();
      i += 3;
      continue;
    }
    if (m.component == 'Z' || m.component == 'z') {
      if (m.component == 'z' && text.substr(i, 3) == "GMT") i += 3;
      if (i < text.size() && text[i] == 'Z') {
        offset = 0;
        ++i;
        continue;
      }
      if (i >= text.size() || (text[i] != '+' && text[i] != '-')) return std::optional<std::int64_t>();
      const int sign = text[i] == '-' ? -1 : 1;
      ++i;
      std::string digits;
      int hours = 0, mins = 0;
      while (i < text.size() && IsAsciiDigit(text[i])) digits += text[i++];
      if (i < text.size() && text[i] == ':') {
        ++i;
        std::string m2;
        while (i < text.size() && IsAsciiDigit(text[i])) m2 += text[i++];
        if (digits.empty() || m2.empty() || digits.size() > 2 || m2.size() > 2)
          return std::optional<std::int64_t>();
        hours = std::stoi(digits);
        mins = std::stoi(m2);
      } else if (digits.size() > 4) {
        return std::optional<std::int64_t>();
      } else if (digits.size() >= 3) {
        hours = std::stoi(digits) / 100;
        mins = std::stoi(digits) % 100;
      } else if (!digits.empty()) {
        hours = std::stoi(digits);
      } else {
        return std::optional<std::int64_t>();
      }
      offset = sign * (hours * 60 + mins);
      continue;
    }
    // Names: months (full or cut to the width), days of the week (checked, then ignored).
    if (m.names != Marker::Names::kNone) {
      const std::string rest = lower_rest();
      bool matched = false;
      auto try_names = [&](auto names, std::size_t from, auto on_match) {
        for (std::size_t n = from; n < names.size(); ++n) {
          std::string name = AsciiLower(names[n]);
          if (m.max_width && static_cast<int>(name.size()) > *m.max_width)
            name.resize(static_cast<std::size_t>(*m.max_width));
          if (!name.empty() && rest.starts_with(name)) {
            i += name.size();
            on_match(n);
            matched = true;
            return;
          }
        }
      };
      if (m.component == 'M') {
        try_names(kMonths, 0, [&](std::size_t n) { got['M'] = static_cast<double>(n + 1); });
      } else if (m.component == 'F') {
        try_names(kDays, 1, [](std::size_t) {});
      } else {
        return Fail("D3133",
                    std::string("The component [") + m.component + "] cannot be presented as a name");
      }
      if (!matched) return std::optional<std::int64_t>();
      continue;
    }
    const IntegerPicture& p = *m.integer;
    // The text of this component: a fixed width when another integer component follows directly,
    // otherwise as far as its presentation allows.
    const bool next_integer = k + 1 < spec.size() && !spec[k + 1].literal &&
                              spec[k + 1].integer.has_value() && spec[k + 1].names == Marker::Names::kNone;
    std::size_t end = i;
    if (p.kind == IntegerPicture::Kind::kDecimal) {
      const std::u32string rest = Decode(text.substr(i));
      std::size_t taken = 0, cps = 0;
      const std::size_t limit = next_integer ? static_cast<std::size_t>(std::max(1, p.mandatory)) : SIZE_MAX;
      while (cps < rest.size() && taken < limit && rest[cps] >= p.zero && rest[cps] <= p.zero + 9) {
        ++cps;
        ++taken;
      }
      end = i + Encode(rest.substr(0, cps)).size();
      if (p.ordinal) {
        while (end < text.size() && IsAsciiAlpha(text[end])) ++end;
      }
    } else if (p.kind == IntegerPicture::Kind::kWords) {
      // Number words: as long as each word is one (stopping before the literal that follows).
      std::size_t j = i, good = i;
      while (j < text.size()) {
        std::size_t w = j;
        while (w < text.size() && IsAsciiAlpha(text[w])) ++w;
        if (w == j) break;
        const std::string word = AsciiLower(text.substr(j, w - j));
        if (word != "and" && !WordsValue(word)) break;
        if (word != "and") good = w;
        j = w;
        while (j < text.size() && (text[j] == ' ' || text[j] == ',' || text[j] == '-')) ++j;
      }
      end = good;
    } else {
      while (end < text.size() && IsAsciiAlpha(text[end])) ++end;
    }
    if (end == i) return std::optional<std::int64_t>();
    const std::string_view piece = text.substr(i, end - i);
    i = end;
    double v = 0;
    if (piece.size() > 64) return std::optional<std::int64_t>();
    if (m.component == 'f' && p.kind == IntegerPicture::Kind::kDecimal) {
      std::string digits(piece);
      digits.resize(3, '0');
      v = std::stod(digits);
    } else {
      auto parsed = ParseWith(piece, p);
      if (!parsed) return std::optional<std::int64_t>();
      v = *parsed;
    }
    got[m.component] = v;
  }
  if (i != text.size()) return std::optional<std::int64_t>();
  if (has_p && got.contains('h')) {
    double h = got['h'];
    if (h == 12) h = 0;
    got['H'] = pm ? h + 12 : h;
  } else if (got.contains('h')) {
    got['H'] = got['h'];
  }
  if (got.empty() && !offset) return std::optional<std::int64_t>();
  // Week-based components, as JSONata's reference implementation reads them: a date given by ISO week
  // ({X, W} with [F]) or by week of month ({X, x, w} with [F]) cannot be computed (D3136); alongside a
  // year/month/day or year/day-of-year date they are parsed and ignored.
  {
    int mask = 0;
    for (char c : std::string_view("YXMxWwdD")) mask = (mask << 1) | (got.contains(c) ? 1 : 0);
    auto is_type = [&](int type) { return (~type & mask) == 0 && (type & mask) != 0; };
    if (is_type(0b01010100) || is_type(0b01001000))
      return Fail("D3136",
                  "A date given by week-based components ([X] [W] [x] [w]) cannot be parsed by $toMillis");
    bool weeks = false;
    for (char c : std::string_view("XWxw")) weeks = got.erase(c) > 0 || weeks;
    if (weeks && got.empty() && !offset) return std::optional<std::int64_t>(now_millis);
  }
  // The components must run without gaps from the first one given down to the last (missing leading ones
  // come from now; missing trailing ones are the start of their unit).
  const bool by_day = got.contains('d');
  const std::string order = by_day ? "YdHmsf" : "YMDHmsf";
  if (by_day && (got.contains('M') || got.contains('D')))
    return Fail("D3136", "The date/time picture mixes day-of-year with month and day");
  int first = -1, last = -1;
  for (std::size_t n = 0; n < order.size(); ++n) {
    if (got.contains(order[n])) {
      if (first < 0) first = static_cast<int>(n);
      if (last >= 0 && last != static_cast<int>(n) - 1)
        return Fail("D3136",
                    "The date/time components of the picture are underspecified (a component is missing)");
      last = static_cast<int>(n);
    }
  }
  const std::int64_t now_days = FloorDiv(now_millis, 86400000);
  const Civil today = CivilFromDays(now_days);
  const std::int64_t now_ms = now_millis - now_days * 86400000;
  std::map<char, double> now = {{'Y', static_cast<double>(today.year)},
                                {'M', today.month},
                                {'D', today.day},
                                {'d', static_cast<double>(now_days - DaysFromCivil(today.year, 1, 1) + 1)},
                                {'H', static_cast<double>(now_ms / 3600000)},
                                {'m', static_cast<double>(now_ms / 60000 % 60)},
                                {'s', static_cast<double>(now_ms / 1000 % 60)},
                                {'f', static_cast<double>(now_ms % 1000)}};
  auto part = [&](char c) -> double {
    if (auto it = got.find(c); it != got.end()) return it->second;
    const int at = static_cast<int>(order.find(c));
    if (first >= 0 && at < first) return now[c];
    return c == 'M' || c == 'D' || c == 'd' ? 1 : 0;
  };
  for (char c : order) {
    if (std::fabs(part(c)) > 1e7) return Fail("D3136", "A date/time component is out of range");
  }
  std::int64_t days = 0;
  const auto year = static_cast<std::int64_t>(part('Y'));
  if (by_day) {
    days = DaysFromCivil(year, 1, 1) + static_cast<std::int64_t>(part('d')) - 1;
  } else {
    days = DaysFromCivil(year, static_cast<int>(part('M')), static_cast<int>(part('D')));
  }
  const std::int64_t ms = days * 86400000 + static_cast<std::int64_t>(part('H')) * 3600000 +
                          static_cast<std::int64_t>(part('m')) * 60000 +
                          static_cast<std::int64_t>(part('s')) * 1000 + static_cast<std::int64_t>(part('f'));
  return std::optional<std::int64_t>(ms - static_cast<std::int64_t>(offset.value_or(0)) * 60000);
}

}  // namespace cenote::states::asl
