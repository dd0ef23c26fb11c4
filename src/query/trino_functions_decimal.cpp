// Trino's decimal division (dialect.cpp's __cenote_divide picks it when both operands are decimals, or a
// decimal and an integer): __cenote_decimal_divide(a, b, scale) is the exact quotient of the decimal texts
// a and b rounded half up (away from zero) to `scale` digits, as text the macro casts to the result's
// decimal(p, s). Trino rescales the dividend and divides the unscaled integers the same way
// (DecimalOperators.divide); DuckDB's own division of decimals gives a double. A zero divisor gives NULL
// (the macro fails it first with DIVISION_BY_ZERO; the NULL is what constant folding sees).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query/trino_function_rows.hpp"
#include "query/trino_functions.hpp"

namespace cenote::query::internal {
namespace {

// A non-negative integer in base 10^9 limbs, least significant first.
using Limbs = std::vector<std::uint32_t>;
constexpr std::uint32_t kBase = 1000000000;

void Trim(Limbs& n) {
  while (!n.empty() && n.back() == 0) n.pop_back();
}

// n = n * 10 + digit
void PushDigit(Limbs& n, std::uint32_t digit) {
  std::uint64_t carry = digit;
  for (std::uint32_t& limb : n) {
    const std::uint64_t v = std::uint64_t{limb} * 10 + carry;
    limb = static_cast<std::uint32_t>(v % kBase);
    carry = v / kBase;
  }
  if (carry != 0) n.push_back(static_cast<std::uint32_t>(carry));
}

int Compare(const Limbs& a, const Limbs& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (std::size_t i = a.size(); i-- > 0;)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

// a -= b (a >= b)
void Subtract(Limbs& a, const Limbs& b) {
  std::int64_t borrow = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::int64_t v = std::int64_t{a[i]} - borrow - (i < b.size() ? std::int64_t{b[i]} : 0);
    borrow = v < 0 ? 1 : 0;
    if (v < 0) v += kBase;
    a[i] = static_cast<std::uint32_t>(v);
  }
  Trim(a);
}

struct DecimalText {
  bool negative = false;
  std::string digits;  // unscaled, without sign or point
  int scale = 0;
};

bool Parse(std::string_view s, DecimalText& out) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) out.negative = s[i++] == '-';
  bool point = false;
  for (; i < s.size(); ++i) {
    if (s[i] == '.' && !point) {
      point = true;
    } else if (s[i] >= '0' && s[i] <= '9') {
      out.digits.push_back(s[i]);
      if (point) ++out.scale;
    } else {
      return false;
    }
  }
  return !out.digits.empty();
}

// floor(numerator / denominator) over decimal digit strings (the denominator not zero), without leading
// zeros ("0" for zero).
std::string DivideDigits(const std::string& numerator, const std::string& denominator) {
  std::string quotient;
  if (numerator.size() <= 37 && denominator.size() <= 37) {  // both below 2^127
    unsigned __int128 n = 0, d = 0;
    for (char c : numerator) n = n * 10 + static_cast<unsigned>(c - '0');
    for (char c : denominator) d = d * 10 + static_cast<unsigned>(c - '0');
    unsigned __int128 q = n / d;
    do {
      quotient.insert(quotient.begin(), static_cast<char>('0' + static_cast<int>(q % 10)));
      q /= 10;
    } while (q != 0);
    return quotient;
  }
  Limbs divisor, remainder;
  for (char c : denominator) PushDigit(divisor, static_cast<std::uint32_t>(c - '0'));
  Trim(divisor);
  for (char c : numerator) {
    PushDigit(remainder, static_cast<std::uint32_t>(c - '0'));
    Trim(remainder);
    char digit = '0';
    while (Compare(remainder, divisor) >= 0) {
      Subtract(remainder, divisor);
      ++digit;
    }
    if (digit != '0' || !quotient.empty()) quotient.push_back(digit);
  }
  return quotient.empty() ? "0" : quotient;
}

// a / b rounded half up to `scale` digits, as decimal text ("-3.33"); "" when an argument is not a decimal.
std::string DivideDecimalText(std::string_view a_text, std::string_view b_text, int scale) {
  DecimalText a, b;
  if (!Parse(a_text, a) || !Parse(b_text, b) || scale < 0 || scale > 38) return "";
  // a / b = (A / 10^sa) / (B / 10^sb); scaled by 10^(scale + 1) for the rounding digit:
  // A * 10^(sb + scale + 1) / (B * 10^sa).
  std::string numerator = a.digits + std::string(static_cast<std::size_t>(b.scale + scale + 1), '0');
  std::string denominator = b.digits + std::string(static_cast<std::size_t>(a.scale), '0');
  std::string q = DivideDigits(numerator, denominator);
  // floor(10x) ends in the digit that decides the rounding: x's fraction is at least 1/2 when it is 5 or
  // more.
  const bool up = q.back() >= '5';
  q.pop_back();
  if (q.empty()) q.push_back('0');
  if (up) {
    std::size_t i = q.size();
    while (i > 0 && q[i - 1] == '9') q[--i] = '0';
    if (i == 0) {
      std::string carried(1, '1');
      carried.append(q);
      q.swap(carried);
    } else {
      ++q[i - 1];
    }
  }
  const std::size_t k = static_cast<std::size_t>(scale);
  std::string padded;
  if (q.size() <= k) padded.assign(k + 1 - q.size(), '0');
  padded.append(q);
  std::string out;
  if (a.negative != b.negative && padded.find_first_not_of('0') != std::string::npos) out.assign("-");
  out.append(padded, 0, padded.size() - k);
  if (k > 0) {
    out.push_back('.');
    out.append(padded, padded.size() - k, k);
  }
  return out;
}

void DecimalDivideFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  EachRow(input, output, [&](const ArgRows& args, idx_t row) {
    const std::int32_t scale =
        static_cast<std::int32_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(input, 2)))[row];
    const std::string_view divisor = args.Text(1, row);
    if (divisor.find_first_of("123456789") == std::string_view::npos) {  // zero: the macro fails it
      SetNullRow(output, row);
      return;
    }
    const std::string q = DivideDecimalText(args.Text(0, row), divisor, scale);
    if (q.empty()) {
      duckdb_scalar_function_set_error(info, "INVALID_FUNCTION_ARGUMENT: not a decimal");
      return;
    }
    SetText(output, row, q);
  });
}

}  // namespace

bool RegisterTrinoDecimalFunctions(duckdb_connection con) {
  return RegisterOverloads(con, "__cenote_decimal_divide",
                           {{{DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_INTEGER},
                             DUCKDB_TYPE_VARCHAR,
                             DecimalDivideFunction}});
}

}  // namespace cenote::query::internal
