#include "iam/condition.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "iam/policy_errors.hpp"

namespace cenote::iam {

namespace {

struct OperatorEntry {
  std::string_view name;
  ConditionOperator op;
};

// The operator names IAM accepts (reference_policies_elements_condition_operators.md), without the
// IfExists suffix and the set-operator prefix.
constexpr OperatorEntry kOperators[] = {
    {"StringEquals", ConditionOperator::kStringEquals},
    {"StringNotEquals", ConditionOperator::kStringNotEquals},
    {"StringEqualsIgnoreCase", ConditionOperator::kStringEqualsIgnoreCase},
    {"StringNotEqualsIgnoreCase", ConditionOperator::kStringNotEqualsIgnoreCase},
    {"StringLike", ConditionOperator::kStringLike},
    {"StringNotLike", ConditionOperator::kStringNotLike},
    {"NumericEquals", ConditionOperator::kNumericEquals},
    {"NumericNotEquals", ConditionOperator::kNumericNotEquals},
    {"NumericLessThan", ConditionOperator::kNumericLessThan},
    {"NumericLessThanEquals", ConditionOperator::kNumericLessThanEquals},
    {"NumericGreaterThan", ConditionOperator::kNumericGreaterThan},
    {"NumericGreaterThanEquals", ConditionOperator::kNumericGreaterThanEquals},
    {"DateEquals", ConditionOperator::kDateEquals},
    {"DateNotEquals", ConditionOperator::kDateNotEquals},
    {"DateLessThan", ConditionOperator::kDateLessThan},
    {"DateLessThanEquals", ConditionOperator::kDateLessThanEquals},
    {"DateGreaterThan", ConditionOperator::kDateGreaterThan},
    {"DateGreaterThanEquals", ConditionOperator::kDateGreaterThanEquals},
    {"Bool", ConditionOperator::kBool},
    {"BinaryEquals", ConditionOperator::kBinaryEquals},
    {"IpAddress", ConditionOperator::kIpAddress},
    {"NotIpAddress", ConditionOperator::kNotIpAddress},
    {"ArnEquals", ConditionOperator::kArnEquals},
    {"ArnLike", ConditionOperator::kArnLike},
    {"ArnNotEquals", ConditionOperator::kArnNotEquals},
    {"ArnNotLike", ConditionOperator::kArnNotLike},
    {"Null", ConditionOperator::kNull},
};

enum class Family { kString, kNumeric, kDate, kBool, kBinary, kIp, kArn, kNull };

Family FamilyOf(ConditionOperator op) {
  switch (op) {
    case ConditionOperator::kStringEquals:
    case ConditionOperator::kStringNotEquals:
    case ConditionOperator::kStringEqualsIgnoreCase:
    case ConditionOperator::kStringNotEqualsIgnoreCase:
    case ConditionOperator::kStringLike:
    case ConditionOperator::kStringNotLike:
      return Family::kString;
    case ConditionOperator::kNumericEquals:
    case ConditionOperator::kNumericNotEquals:
    case ConditionOperator::kNumericLessThan:
    case ConditionOperator::kNumericLessThanEquals:
    case ConditionOperator::kNumericGreaterThan:
    case ConditionOperator::kNumericGreaterThanEquals:
      return Family::kNumeric;
    case ConditionOperator::kDateEquals:
    case ConditionOperator::kDateNotEquals:
    case ConditionOperator::kDateLessThan:
    case ConditionOperator::kDateLessThanEquals:
    case ConditionOperator::kDateGreaterThan:
    case ConditionOperator::kDateGreaterThanEquals:
      return Family::kDate;
    case ConditionOperator::kBool:
      return Family::kBool;
    case ConditionOperator::kBinaryEquals:
      return Family::kBinary;
    case ConditionOperator::kIpAddress:
    case ConditionOperator::kNotIpAddress:
      return Family::kIp;
    case ConditionOperator::kArnEquals:
    case ConditionOperator::kArnLike:
    case ConditionOperator::kArnNotEquals:
    case ConditionOperator::kArnNotLike:
      return Family::kArn;
    case ConditionOperator::kNull:
      return Family::kNull;
  }
  return Family::kString;
}

// The comparison of a numeric or date operator, with its sense un-negated (NotEquals compares as Equals;
// Evaluate applies the negation over the whole value set).
template <typename T>
bool Compare(ConditionOperator op, T request, T policy) {
  switch (op) {
    case ConditionOperator::kNumericEquals:
    case ConditionOperator::kNumericNotEquals:
    case ConditionOperator::kDateEquals:
    case ConditionOperator::kDateNotEquals:
      return request == policy;
    case ConditionOperator::kNumericLessThan:
    case ConditionOperator::kDateLessThan:
      return request < policy;
    case ConditionOperator::kNumericLessThanEquals:
    case ConditionOperator::kDateLessThanEquals:
      return request <= policy;
    case ConditionOperator::kNumericGreaterThan:
    case ConditionOperator::kDateGreaterThan:
      return request > policy;
    case ConditionOperator::kNumericGreaterThanEquals:
    case ConditionOperator::kDateGreaterThanEquals:
      return request >= policy;
    default:
      return false;
  }
}

bool ParseDigits(std::string_view text, std::size_t pos, std::size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!IsAsciiDigit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

}  // namespace

std::optional<OperatorName> ParseOperatorName(std::string_view name) {
  OperatorName result;
  if (name.starts_with("ForAllValues:")) {
    result.set = SetOperator::kForAllValues;
    name.remove_prefix(13);
  } else if (name.starts_with("ForAnyValue:")) {
    result.set = SetOperator::kForAnyValue;
    name.remove_prefix(12);
  }
  if (name.ends_with("IfExists")) {
    result.if_exists = true;
    name.remove_suffix(8);
  }
  for (const OperatorEntry& entry : kOperators) {
    if (entry.name == name) {
      if (entry.op == ConditionOperator::kNull && result.if_exists) return std::nullopt;
      result.op = entry.op;
      return result;
    }
  }
  return std::nullopt;
}

bool IsNegated(ConditionOperator op) {
  switch (op) {
    case ConditionOperator::kStringNotEquals:
    case ConditionOperator::kStringNotEqualsIgnoreCase:
    case ConditionOperator::kStringNotLike:
    case ConditionOperator::kNumericNotEquals:
    case ConditionOperator::kDateNotEquals:
    case ConditionOperator::kNotIpAddress:
    case ConditionOperator::kArnNotEquals:
    case ConditionOperator::kArnNotLike:
      return true;
    default:
      return false;
  }
}

std::optional<IpRange> ParseIpRange(std::string_view text) {
  text = TrimAsciiSpace(text);
  std::string_view address = text;
  std::optional<int> prefix;
  if (std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    int value = 0;
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    prefix = value;
  }
  if (address.empty() || address.size() > 45) return std::nullopt;
  char buffer[46];
  address.copy(buffer, address.size());
  buffer[address.size()] = '\0';
  IpRange range;
  if (address.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buffer, range.bytes.data()) != 1) return std::nullopt;
    range.length = 4;
    range.prefix = 32;
  } else {
    if (inet_pton(AF_INET6, buffer, range.bytes.data()) != 1) return std::nullopt;
    range.length = 16;
    range.prefix = 128;
  }
  if (prefix) {
    if (*prefix < 0 || *prefix > range.prefix) return std::nullopt;
    range.prefix = static_cast<std::uint8_t>(*prefix);
  }
  return range;
}

bool IpRangeContains(const IpRange& range, const IpRange& address) {
  if (range.length != address.length) return false;
  int bits = range.prefix;
  for (int i = 0; i < range.length && bits > 0; ++i, bits -= 8) {
    std::uint8_t mask = bits >= 8 ? 0xFF : static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((range.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<std::int64_t> ParseConditionDate(std::string_view text) {
  text = TrimAsciiSpace(text);
  if (text.empty()) return std::nullopt;
  // Epoch seconds (aws:EpochTime), possibly with a fraction.
  bool numeric = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!(IsAsciiDigit(c) || c == '.' || (i == 0 && c == '-'))) numeric = false;
  }
  if (numeric) {
    std::optional<double> seconds = ParseConditionNumber(text);
    if (!seconds || !std::isfinite(*seconds) || std::fabs(*seconds) > 1e14) return std::nullopt;
    return static_cast<std::int64_t>(std::llround(*seconds * 1000.0));
  }
  // W3C profile of ISO 8601 (http://www.w3.org/TR/NOTE-datetime): YYYY-MM-DD, then optionally
  // Thh:mm[:ss[.s+]] and a zone designator (Z or +hh:mm / -hh:mm; none means UTC, as AWS treats it).
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  if (!ParseDigits(text, 0, 4, &year)) return std::nullopt;
  std::size_t pos = 4;
  if (pos < text.size()) {
    if (text[pos] != '-' || !ParseDigits(text, pos + 1, 2, &month)) return std::nullopt;
    pos += 3;
    if (pos < text.size()) {
      if (text[pos] != '-' || !ParseDigits(text, pos + 1, 2, &day)) return std::nullopt;
      pos += 3;
    }
  }
  std::int64_t millis = 0;
  std::int64_t offset_minutes = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't') return std::nullopt;
    if (!ParseDigits(text, pos + 1, 2, &hour) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !ParseDigits(text, pos + 4, 2, &minute)) {
      return std::nullopt;
    }
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (!ParseDigits(text, pos + 1, 2, &second)) return std::nullopt;
      pos += 3;
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::size_t digits = 0;
        std::int64_t scale = 100;
        while (pos < text.size() && IsAsciiDigit(text[pos])) {
          millis += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
          ++digits;
        }
        if (digits == 0) return std::nullopt;
      }
    }
    if (pos < text.size()) {
      char zone = text[pos];
      if (zone == 'Z' || zone == 'z') {
        ++pos;
      } else if (zone == '+' || zone == '-') {
        int zh = 0, zm = 0;
        if (!ParseDigits(text, pos + 1, 2, &zh)) return std::nullopt;
        pos += 3;
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (!ParseDigits(text, pos, 2, &zm)) return std::nullopt;
        pos += 2;
        offset_minutes = (zh * 60 + zm) * (zone == '+' ? 1 : -1);
      } else {
        return std::nullopt;
      }
    }
  }
  if (pos != text.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

std::optional<double> ParseConditionNumber(std::string_view text) {
  text = TrimAsciiSpace(text);
  if (text.empty() || text.size() > 64) return std::nullopt;
  double value = 0;
  const char* begin = text.data();
  if (*begin == '+') ++begin;
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

Result<Condition> Condition::Compile(std::string_view operator_name, std::string_view key,
                                     const std::vector<std::string>& values, bool variables) {
  std::optional<OperatorName> parsed = ParseOperatorName(operator_name);
  if (!parsed) return policy_errors::InvalidConditionType(operator_name);
  Condition c;
  c.op_ = *parsed;
  c.key_ = AsciiLower(key);
  const ConditionOperator op = parsed->op;
  for (const std::string& value : values) {
    switch (FamilyOf(op)) {
      case Family::kString: {
        bool like = op == ConditionOperator::kStringLike || op == ConditionOperator::kStringNotLike;
        bool ignore_case = op == ConditionOperator::kStringEqualsIgnoreCase ||
                           op == ConditionOperator::kStringNotEqualsIgnoreCase;
        c.strings_.push_back(Pattern::Compile(
            value, PatternOptions{.wildcards = like, .variables = variables, .ignore_case = ignore_case}));
        break;
      }
      case Family::kBool: {
        Pattern pattern = Pattern::Compile(
            value, PatternOptions{.wildcards = false, .variables = variables, .ignore_case = true});
        if (!pattern.has_variables() && !EqualsIgnoreAsciiCase(value, "true") &&
            !EqualsIgnoreAsciiCase(value, "false")) {
          return policy_errors::InvalidConditionValue(operator_name, value);
        }
        c.strings_.push_back(std::move(pattern));
        break;
      }
      case Family::kArn: {
        // ArnEquals and ArnLike "behave identically": both take wildcards.
        c.arns_.push_back(
            ArnPattern::Compile(value, PatternOptions{.wildcards = true, .variables = variables}));
        break;
      }
      case Family::kNumeric: {
        std::optional<double> number = ParseConditionNumber(value);
        if (!number) return policy_errors::InvalidConditionValue(operator_name, value);
        c.numbers_.push_back(*number);
        break;
      }
      case Family::kDate: {
        std::optional<std::int64_t> date = ParseConditionDate(value);
        if (!date) return policy_errors::InvalidConditionValue(operator_name, value);
        c.dates_.push_back(*date);
        break;
      }
      case Family::kIp: {
        std::optional<IpRange> range = ParseIpRange(value);
        if (!range) return policy_errors::InvalidConditionValue(operator_name, value);
        c.ranges_.push_back(*range);
        break;
      }
      case Family::kBinary: {
        std::optional<std::string> bytes = Base64Decode(value, kWireBase64);
        if (!bytes) return policy_errors::InvalidConditionValue(operator_name, value);
        c.binaries_.push_back(std::move(*bytes));
        break;
      }
      case Family::kNull: {
        if (EqualsIgnoreAsciiCase(value, "true")) {
          c.nulls_.push_back(true);
        } else if (EqualsIgnoreAsciiCase(value, "false")) {
          c.nulls_.push_back(false);
        } else {
          return policy_errors::InvalidConditionValue(operator_name, value);
        }
        break;
      }
    }
  }
  return c;
}

bool Condition::has_variables() const {
  for (const Pattern& p : strings_) {
    if (p.has_variables()) return true;
  }
  for (const ArnPattern& p : arns_) {
    if (p.has_variables()) return true;
  }
  return false;
}

// Whether the request value matches at least one policy value, in the operator's positive sense.
bool Condition::MatchOne(std::string_view request_value, const ContextKeys& keys) const {
  const ConditionOperator op = op_.op;
  switch (FamilyOf(op)) {
    case Family::kString:
    case Family::kBool:
      for (const Pattern& p : strings_) {
        if (p.Match(request_value, &keys)) return true;
      }
      return false;
    case Family::kArn:
      for (const ArnPattern& p : arns_) {
        if (p.Match(request_value, &keys)) return true;
      }
      return false;
    case Family::kNumeric: {
      std::optional<double> number = ParseConditionNumber(request_value);
      if (!number) return false;
      for (double policy : numbers_) {
        if (Compare(op, *number, policy)) return true;
      }
      return false;
    }
    case Family::kDate: {
      std::optional<std::int64_t> date = ParseConditionDate(request_value);
      if (!date) return false;
      for (std::int64_t policy : dates_) {
        if (Compare(op, *date, policy)) return true;
      }
      return false;
    }
    case Family::kIp: {
      std::optional<IpRange> address = ParseIpRange(request_value);
      if (!address) return false;
      for (const IpRange& range : ranges_) {
        if (IpRangeContains(range, *address)) return true;
      }
      return false;
    }
    case Family::kBinary:
      for (const std::string& bytes : binaries_) {
        if (bytes == request_value) return true;
      }
      return false;
    case Family::kNull:
      return false;
  }
  return false;
}

bool Condition::Evaluate(const ContextKeys& keys) const {
  const std::vector<std::string>* values = keys.FindLower(key_);
  const bool present = values != nullptr && !values->empty();
  if (op_.op == ConditionOperator::kNull) {
    for (bool expect_absent : nulls_) {
      if (expect_absent != present) return true;
    }
    return false;
  }
  const bool negated = IsNegated(op_.op);
  if (!present) {
    if (op_.if_exists) return true;
    if (op_.set == SetOperator::kForAllValues) return true;
    if (op_.set == SetOperator::kForAnyValue) return false;
    return negated;
  }
  switch (op_.set) {
    case SetOperator::kNone:
      if (negated) {
        for (const std::string& v : *values) {
          if (MatchOne(v, keys)) return false;
        }
        return true;
      }
      for (const std::string& v : *values) {
        if (MatchOne(v, keys)) return true;
      }
      return false;
    case SetOperator::kForAnyValue:
      for (const std::string& v : *values) {
        if (MatchOne(v, keys) != negated) return true;
      }
      return false;
    case SetOperator::kForAllValues:
      for (const std::string& v : *values) {
        if (MatchOne(v, keys) == negated) return false;
      }
      return true;
  }
  return false;
}

}  // namespace cenote::iam
