// Trino's format(fmt, args...), which follows java.util.Formatter (dialect_functions.cpp rewrites the call to
// __cenote_java_format(fmt, [tagged args])). Each argument arrives as text with a one-letter tag for its SQL
// type, since Java's conversions depend on it: i integer, f double/real (Java's Double.toString text), v
// decimal or any other value, s varchar, b boolean, d date, t timestamp, z timestamp with time zone (the wall
// time, '|', the zone, '|', its offset), n NULL.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/trino_function_rows.hpp"
#include "query/trino_functions.hpp"

namespace cenote::query::internal {
namespace {

struct Spec {
  int index = -1;         // explicit argument index (1-based), -1 for the next one
  bool relative = false;  // '<': the previous argument
  std::string flags;
  int width = -1;
  int precision = -1;
  bool upper = false;
  char conversion = 0;
  char time = 0;  // the suffix of a %t / %T conversion
};

bool Has(const Spec& s, char flag) { return s.flags.find(flag) != std::string::npos; }

// Concatenation by append (GCC 12 reports a false -Wrestrict on chains of operator+).
std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

std::string Pad(std::string text, const Spec& s) {
  if (s.width < 0 || static_cast<int>(text.size()) >= s.width) return text;
  const std::size_t fill = static_cast<std::size_t>(s.width) - text.size();
  if (Has(s, '-')) return text.append(fill, ' ');
  if (Has(s, '0')) {
    // Zeros go after the sign (and a 0x prefix).
    std::size_t at = 0;
    if (!text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ' || text[0] == '(')) at = 1;
    if (text.compare(at, 2, "0x") == 0 || text.compare(at, 2, "0X") == 0) at += 2;
    return text.insert(at, fill, '0');
  }
  std::string out(fill, ' ');
  return out.append(text);
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Inserts ',' every three digits of the integer part of a plain decimal number text.
std::string Group(const std::string& digits) {
  std::size_t start = digits[0] == '-' ? 1 : 0;
  std::size_t end = digits.find('.');
  if (end == std::string::npos) end = digits.size();
  // Built left to right with append: GCC 12 reports a false -Wrestrict on string insert/concatenation.
  std::string out(digits, 0, start);
  for (std::size_t i = start; i < end; ++i) {
    if (i > start && (end - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  out.append(digits, end, std::string::npos);
  return out;
}

// Sign flags of a numeric conversion applied to the text of a non-negative or '-'-prefixed number.
std::string Signed(std::string text, const Spec& s) {
  const bool negative = !text.empty() && text[0] == '-';
  std::string out;
  if (negative && Has(s, '(')) {
    out.push_back('(');
    out.append(text, 1, std::string::npos);
    out.push_back(')');
    return out;
  }
  if (!negative && Has(s, '+')) out.push_back('+');
  if (!negative && Has(s, ' ') && !Has(s, '+')) out.push_back(' ');
  out.append(text);
  return out;
}

std::optional<long long> ParseInteger(const std::string& v) {
  if (v.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (*end != '\0' || errno != 0) return std::nullopt;
  return n;
}

std::optional<double> ParseNumber(const std::string& v) {
  if (v.empty()) return std::nullopt;
  if (v == "NaN") return std::nan("");
  if (v == "Infinity") return HUGE_VAL;
  if (v == "-Infinity") return -HUGE_VAL;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (*end != '\0') return std::nullopt;
  return d;
}

constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

// %t conversions over "YYYY-MM-DD[ HH:MM:SS[.fff]]".
std::optional<std::string> TimeConversion(const std::string& v, char c) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
  if (std::sscanf(v.c_str(), "%d-%d-%d %d:%d:%d.%3d", &y, &mo, &d, &h, &mi, &sec, &ms) < 3)
    return std::nullopt;
  if (mo < 1 || mo > 12) return std::nullopt;
  // Day of the week (Sakamoto's method) and of the year.
  static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  const int yy = mo < 3 ? y - 1 : y;
  const int dow = (yy + yy / 4 - yy / 100 + yy / 400 + t[mo - 1] + d) % 7;
  static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int doy = before[mo - 1] + d + (leap && mo > 2 ? 1 : 0);
  char buf[64];
  switch (c) {
    case 'A':
      return std::string(kDays[dow]);
    case 'a':
      return std::string(kDays[dow]).substr(0, 3);
    case 'B':
      return std::string(kMonths[mo - 1]);
    case 'b':
    case 'h':
      return std::string(kMonths[mo - 1]).substr(0, 3);
    case 'd':
      std::snprintf(buf, sizeof(buf), "%02d", d);
      break;
    case 'e':
      std::snprintf(buf, sizeof(buf), "%d", d);
      break;
    case 'm':
      std::snprintf(buf, sizeof(buf), "%02d", mo);
      break;
    case 'Y':
      std::snprintf(buf, sizeof(buf), "%04d", y);
      break;
    case 'y':
      std::snprintf(buf, sizeof(buf), "%02d", y % 100);
      break;
    case 'C':
      std::snprintf(buf, sizeof(buf), "%02d", y / 100);
      break;
    case 'j':
      std::snprintf(buf, sizeof(buf), "%03d", doy);
      break;
    case 'H':
      std::snprintf(buf, sizeof(buf), "%02d", h);
      break;
    case 'k':
      std::snprintf(buf, sizeof(buf), "%d", h);
      break;
    case 'I':
      std::snprintf(buf, sizeof(buf), "%02d", h % 12 == 0 ? 12 : h % 12);
      break;
    case 'l':
      std::snprintf(buf, sizeof(buf), "%d", h % 12 == 0 ? 12 : h % 12);
      break;
    case 'M':
      std::snprintf(buf, sizeof(buf), "%02d", mi);
      break;
    case 'S':
      std::snprintf(buf, sizeof(buf), "%02d", sec);
      break;
    case 'L':
      std::snprintf(buf, sizeof(buf), "%03d", ms);
      break;
    case 'p':
      return std::string(h < 12 ? "am" : "pm");
    case 'F':
      std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, mo, d);
      break;
    case 'D':
      std::snprintf(buf, sizeof(buf), "%02d/%02d/%02d", mo, d, y % 100);
      break;
    case 'T':
      std::snprintf(buf, sizeof(buf), "%02d:%02d:%02d", h, mi, sec);
      break;
    case 'R':
      std::snprintf(buf, sizeof(buf), "%02d:%02d", h, mi);
      break;
    default:
      return std::nullopt;
  }
  return std::string(buf);
}

// Java's LocalDateTime.toString of "YYYY-MM-DD HH:MM:SS.mmm": "2024-05-01T10:00", seconds only when they or
// the fraction are not zero, the fraction in groups of three digits.
std::string JavaLocalDateTime(const std::string& v) {
  if (v.size() < 19) return v;
  std::string out = v.substr(0, 10) + "T" + v.substr(11, 5);
  const std::string seconds = v.substr(17, 2);
  const std::string fraction = v.size() > 20 ? v.substr(20) : "";
  const bool has_fraction = fraction.find_first_not_of('0') != std::string::npos;
  if (seconds != "00" || has_fraction) out.append(":").append(seconds);
  if (has_fraction) out.append(".").append(fraction);
  return out;
}

// Java's ZonedDateTime.toString of "YYYY-MM-DD HH:MM:SS.mmm|zone": the local date-time, the offset ("Z" for
// UTC, "+02:00"), and a named zone in brackets ("2024-05-01T10:00Z[UTC]",
// "2024-05-01T12:00+02:00[Europe/Paris]").
std::string JavaZonedDateTime(const std::string& v) {
  const std::size_t bar = v.find('|');
  if (bar == std::string::npos) return v;
  const std::string local = v.substr(0, bar);
  const std::size_t bar2 = v.find('|', bar + 1);
  const std::string zone = v.substr(bar + 1, bar2 == std::string::npos ? std::string::npos : bar2 - bar - 1);
  const std::string offset = bar2 == std::string::npos ? "" : v.substr(bar2 + 1);
  std::string out = JavaLocalDateTime(local);
  out.append(offset == "+00:00" || offset.empty() ? "Z" : offset);
  if (zone.empty() || (zone[0] != '+' && zone[0] != '-')) out.append("[").append(zone).append("]");
  return out;
}

// One conversion of `arg` (tag + text); nullopt with `error` set when Java would throw.
std::optional<std::string> Convert(const Spec& s, const std::string& arg, std::string& error) {
  const char tag = arg.empty() ? 'n' : arg[0];
  const std::string v = arg.size() > 1 ? arg.substr(1) : "";
  const char c = s.conversion;
  auto mismatch = [&] {
    const char* java = tag == 'i'   ? "java.lang.Long"
                       : tag == 'f' ? "java.lang.Double"
                       : tag == 's' ? "java.lang.String"
                       : tag == 'b' ? "java.lang.Boolean"
                       : tag == 'd' ? "java.time.LocalDate"
                       : tag == 't' ? "java.time.LocalDateTime"
                       : tag == 'z' ? "java.time.ZonedDateTime"
                                    : "java.math.BigDecimal";
    error = Join({"INVALID_FUNCTION_ARGUMENT: ", std::string_view(&c, 1), " != ", java});
    return std::nullopt;
  };
  std::string out;
  if (tag == 'n' && c != 'b') {
    out = "null";
    if (c == 'S' || s.upper) out = "NULL";
    return Pad(out, s);
  }
  switch (c) {
    case 's':
      out = tag == 't' ? JavaLocalDateTime(v) : tag == 'z' ? JavaZonedDateTime(v) : v;
      if (s.precision >= 0 && static_cast<int>(out.size()) > s.precision)
        out.resize(static_cast<std::size_t>(s.precision));
      break;
    case 'b':
      out = tag == 'n' ? "false" : tag == 'b' ? v : "true";
      break;
    case 'h':
      return mismatch();  // Java's hashCode of the boxed value is not reproduced
    case 'c': {
      if (tag != 'i' && !(tag == 's' && v.size() == 1)) return mismatch();
      out = tag == 's' ? v : std::string(1, static_cast<char>(std::atoll(v.c_str())));
      break;
    }
    case 'd': {
      if (tag != 'i' && tag != 'v') return mismatch();
      auto n = ParseInteger(v);
      if (!n) return mismatch();
      out = std::to_string(*n);
      if (Has(s, ',')) out = Group(out);
      out = Signed(out, s);
      break;
    }
    case 'x':
    case 'o': {
      if (tag != 'i') return mismatch();
      auto n = ParseInteger(v);
      if (!n) return mismatch();
      char buf[32];
      std::snprintf(buf, sizeof(buf), c == 'x' ? "%llx" : "%llo", static_cast<unsigned long long>(*n));
      out = buf;
      if (Has(s, '#')) out = (c == 'x' ? "0x" : "0") + out;
      break;
    }
    case 'f':
    case 'e':
    case 'g':
    case 'a': {
      if (tag != 'f' && tag != 'v') return mismatch();
      auto d = ParseNumber(v);
      if (!d) return mismatch();
      if (std::isnan(*d) || std::isinf(*d)) {
        out = std::isnan(*d) ? "NaN" : (*d > 0 ? (Has(s, '+') ? "+Infinity" : "Infinity") : "-Infinity");
        break;
      }
      const int p = s.precision >= 0 ? s.precision : 6;
      char buf[512];
      if (c == 'f') {
        std::snprintf(buf, sizeof(buf), "%.*f", p, *d);
      } else if (c == 'e') {
        std::snprintf(buf, sizeof(buf), "%.*e", p, *d);
      } else if (c == 'g') {
        // Java: scientific below 10^-4 or at 10^precision and above, otherwise fixed, precision significant
        // digits.
        const int sig = p == 0 ? 1 : p;
        const double a = std::fabs(*d);
        if (a != 0 && (a < 1e-4 || a >= std::pow(10.0, sig))) {
          std::snprintf(buf, sizeof(buf), "%.*e", sig - 1, *d);
        } else {
          const int digits = a == 0 ? 0 : static_cast<int>(std::floor(std::log10(a))) + 1;
          std::snprintf(buf, sizeof(buf), "%.*f", std::max(sig - digits, 0), *d);
        }
      } else {
        std::snprintf(buf, sizeof(buf), "%a", *d);
      }
      out = buf;
      if (Has(s, ',') && c != 'e') out = Group(out);
      out = Signed(out, s);
      break;
    }
    case 't': {
      if (tag != 'd' && tag != 't' && tag != 'z' && tag != 'i') return mismatch();
      auto text = TimeConversion(tag == 'z' ? v.substr(0, v.find('|')) : v, s.time);
      if (!text) {
        error = Join(
            {"INVALID_FUNCTION_ARGUMENT: Unsupported format conversion: t", std::string_view(&s.time, 1)});
        return std::nullopt;
      }
      out = *text;
      break;
    }
    default:
      error = Join({"INVALID_FUNCTION_ARGUMENT: Conversion = '", std::string_view(&c, 1), "'"});
      return std::nullopt;
  }
  if (s.upper) out = Upper(out);
  return Pad(out, s);
}

// java.util.Formatter over the tagged arguments; nullopt with `error` set on a malformed format or a
// missing / mismatched argument.
std::optional<std::string> JavaFormat(std::string_view fmt, const std::vector<std::string>& args,
                                      std::string& error) {
  std::string out;
  int next = 0, last = -1;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    Spec s;
    std::size_t j = i + 1;
    // argument_index$ (digits followed by '$') or '<'
    std::size_t k = j;
    while (k < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[k]))) ++k;
    if (k < fmt.size() && k > j && fmt[k] == '$') {
      s.index = std::atoi(std::string(fmt.substr(j, k - j)).c_str());
      j = k + 1;
    } else if (j < fmt.size() && fmt[j] == '<') {
      s.relative = true;
      ++j;
    }
    while (j < fmt.size() && std::string_view("-#+ 0,(").find(fmt[j]) != std::string_view::npos)
      s.flags += fmt[j++];
    k = j;
    while (k < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[k]))) ++k;
    if (k > j) s.width = std::atoi(std::string(fmt.substr(j, k - j)).c_str());
    j = k;
    if (j < fmt.size() && fmt[j] == '.') {
      k = ++j;
      while (k < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[k]))) ++k;
      if (k == j) {
        error = Join({"INVALID_FUNCTION_ARGUMENT: Unknown format conversion in '", fmt, "'"});
        return std::nullopt;
      }
      s.precision = std::atoi(std::string(fmt.substr(j, k - j)).c_str());
      j = k;
    }
    if (j >= fmt.size()) {
      error = Join({"INVALID_FUNCTION_ARGUMENT: Format specifier '", fmt.substr(i), "' is incomplete"});
      return std::nullopt;
    }
    char c = fmt[j];
    if (c == '%') {
      out += Pad("%", s);
      i = j;
      continue;
    }
    if (c == 'n') {
      out += '\n';
      i = j;
      continue;
    }
    if (std::isupper(static_cast<unsigned char>(c)) && c != 'T') {
      s.upper = true;
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (c == 'T') {
      s.upper = true;
      c = 't';
    }
    if (c == 't') {
      if (j + 1 >= fmt.size()) {
        error = Join({"INVALID_FUNCTION_ARGUMENT: Format specifier '", fmt.substr(i), "' is incomplete"});
        return std::nullopt;
      }
      s.time = fmt[++j];
    }
    if (std::string_view("bhscdoxefgat").find(c) == std::string_view::npos) {
      error = Join({"INVALID_FUNCTION_ARGUMENT: Conversion = '", fmt.substr(j, 1), "'"});
      return std::nullopt;
    }
    s.conversion = c;
    int at = s.relative ? last : s.index > 0 ? s.index - 1 : next++;
    if (at < 0 || at >= static_cast<int>(args.size())) {
      error = Join({"INVALID_FUNCTION_ARGUMENT: Format specifier '", fmt.substr(i, j - i + 1), "'"});
      return std::nullopt;
    }
    last = at;
    auto text = Convert(s, args[static_cast<std::size_t>(at)], error);
    if (!text) return std::nullopt;
    out += *text;
    i = j;
  }
  return out;
}

void JavaFormatRows(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output,
                    bool with_args) {
  duckdb_vector list = with_args ? duckdb_data_chunk_get_vector(input, 1) : nullptr;
  auto* entries = list != nullptr ? static_cast<duckdb_list_entry*>(duckdb_vector_get_data(list)) : nullptr;
  duckdb_vector child = list != nullptr ? duckdb_list_vector_get_child(list) : nullptr;
  auto* texts = child != nullptr ? static_cast<duckdb_string_t*>(duckdb_vector_get_data(child)) : nullptr;
  std::uint64_t* child_valid = child != nullptr ? duckdb_vector_get_validity(child) : nullptr;
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    std::vector<std::string> args;
    if (entries != nullptr) {
      for (idx_t k = entries[row].offset; k < entries[row].offset + entries[row].length; ++k) {
        if (child_valid != nullptr && !duckdb_validity_row_is_valid(child_valid, k)) {
          args.emplace_back("n");
        } else {
          args.emplace_back(duckdb_string_t_data(&texts[k]), duckdb_string_t_length(texts[k]));
        }
      }
    }
    std::string error;
    auto text = JavaFormat(a.Text(0, row), args, error);
    if (!text) {
      duckdb_scalar_function_set_error(info, error.c_str());
      return;
    }
    SetText(output, row, *text);
  });
}

void JavaFormatFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  JavaFormatRows(info, input, output, true);
}

void JavaFormatNoArgsFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  JavaFormatRows(info, input, output, false);
}

}  // namespace

bool RegisterTrinoFormatFunctions(duckdb_connection con) {
  duckdb_scalar_function_set set = duckdb_create_scalar_function_set("__cenote_java_format");
  bool ok = true;
  for (int with_args = 0; with_args < 2; ++with_args) {
    duckdb_scalar_function f = duckdb_create_scalar_function();
    duckdb_scalar_function_set_name(f, "__cenote_java_format");
    duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_scalar_function_add_parameter(f, varchar);
    if (with_args == 1) {
      duckdb_logical_type list = duckdb_create_list_type(varchar);
      duckdb_scalar_function_add_parameter(f, list);
      duckdb_destroy_logical_type(&list);
    }
    duckdb_scalar_function_set_return_type(f, varchar);
    duckdb_destroy_logical_type(&varchar);
    duckdb_scalar_function_set_function(f, with_args == 1 ? JavaFormatFunction : JavaFormatNoArgsFunction);
    ok = ok && duckdb_add_scalar_function_to_set(set, f) == DuckDBSuccess;
    duckdb_destroy_scalar_function(&f);
  }
  ok = ok && duckdb_register_scalar_function_set(con, set) == DuckDBSuccess;
  duckdb_destroy_scalar_function_set(&set);
  return ok;
}

}  // namespace cenote::query::internal
