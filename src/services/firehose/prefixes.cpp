// S3 key prefixes: the !{namespace:value} expressions of custom prefixes
// (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html) and the default UTC time prefix.
#include <ctime>

#include "common/strings.hpp"
#include "services/firehose/internal.hpp"

namespace cenote::firehose {

namespace {

std::tm UtcOf(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

std::string Pad(int v, int width) {
  std::string s = std::to_string(v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
  return s;
}

Error BadExpression(std::string_view expression, std::string_view why) {
  return services::MakeError(errors::kInvalidArgument, {"Invalid expression " + std::string(expression) +
                                                        " in prefix: " + std::string(why)});
}

}  // namespace

Result<std::string> FormatJavaTimestamp(std::string_view pattern, std::int64_t ms) {
  std::tm tm = UtcOf(ms);
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    if (c == '\'') {  // quoted literal; '' is a single quote
      std::size_t end = i + 1;
      std::string literal;
      for (; end < pattern.size(); ++end) {
        if (pattern[end] == '\'') {
          if (end + 1 < pattern.size() && pattern[end + 1] == '\'') {
            literal += '\'';
            ++end;
            continue;
          }
          break;
        }
        literal += pattern[end];
      }
      if (end >= pattern.size()) return BadExpression(pattern, "unterminated quote");
      out += (end == i + 1) ? "'" : literal;
      i = end + 1;
      continue;
    }
    if (!IsAsciiAlpha(c)) {
      out += c;
      ++i;
      continue;
    }
    std::size_t n = 1;
    while (i + n < pattern.size() && pattern[i + n] == c) ++n;
    switch (c) {
      case 'y':
      case 'u':
        out += n == 2 ? Pad((tm.tm_year + 1900) % 100, 2) : Pad(tm.tm_year + 1900, static_cast<int>(n));
        break;
      case 'M':
        if (n > 2) return BadExpression(pattern, "month names are not supported");
        out += Pad(tm.tm_mon + 1, static_cast<int>(n));
        break;
      case 'd':
        out += Pad(tm.tm_mday, static_cast<int>(n));
        break;
      case 'D':
        out += Pad(tm.tm_yday + 1, static_cast<int>(n));
        break;
      case 'H':
        out += Pad(tm.tm_hour, static_cast<int>(n));
        break;
      case 'm':
        out += Pad(tm.tm_min, static_cast<int>(n));
        break;
      case 's':
        out += Pad(tm.tm_sec, static_cast<int>(n));
        break;
      case 'S':
        out += Pad(static_cast<int>(((ms % 1000) + 1000) % 1000), 3).substr(0, n);
        break;
      default:
        return BadExpression(pattern, std::string("unsupported pattern letter '") + c + "'");
    }
    i += n;
  }
  return out;
}

std::vector<std::string> PartitionKeysIn(std::string_view prefix) {
  std::vector<std::string> keys;
  constexpr std::string_view kNs = "!{partitionKeyFromQuery:";
  for (std::size_t at = prefix.find(kNs); at != std::string_view::npos; at = prefix.find(kNs, at + 1)) {
    std::size_t end = prefix.find('}', at);
    if (end == std::string_view::npos) break;
    keys.emplace_back(prefix.substr(at + kNs.size(), end - at - kNs.size()));
  }
  return keys;
}

bool HasExpressions(std::string_view prefix) { return prefix.find("!{") != std::string_view::npos; }

Result<std::string> ExpandPrefix(std::string_view prefix, const PrefixContext& ctx) {
  std::string out;
  std::size_t i = 0;
  while (i < prefix.size()) {
    std::size_t start = prefix.find("!{", i);
    if (start == std::string_view::npos) {
      out.append(prefix.substr(i));
      break;
    }
    out.append(prefix.substr(i, start - i));
    std::size_t end = prefix.find('}', start);
    if (end == std::string_view::npos) return BadExpression(prefix.substr(start), "missing '}'");
    std::string_view expr = prefix.substr(start + 2, end - start - 2);
    std::size_t colon = expr.find(':');
    std::string_view ns = expr.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : expr.substr(colon + 1);
    if (ns == "timestamp") {
      if (value.empty())
        return BadExpression(prefix.substr(start, end - start + 1), "empty timestamp pattern");
      CENOTE_ASSIGN_OR_RETURN(std::string formatted, FormatJavaTimestamp(value, ctx.timestamp_ms));
      out += formatted;
    } else if (ns == "firehose" && value == "random-string") {
      out += ctx.random_string;
    } else if (ns == "firehose" && value == "error-output-type") {
      out += ctx.error_output_type;
    } else if (ns == "partitionKeyFromQuery" && ctx.partition_keys != nullptr) {
      auto it = ctx.partition_keys->find(std::string(value));
      if (it == ctx.partition_keys->end())
        return BadExpression(prefix.substr(start, end - start + 1),
                             "the MetadataExtractionQuery does not produce key '" + std::string(value) + "'");
      out += it->second;
    } else if (ns == "partitionKeyFromQuery") {
      return services::MakeError(
          errors::kInvalidArgument,
          {"Dynamic partitioning namespaces (!{partitionKeyFromQuery:...}) require an enabled "
           "DynamicPartitioningConfiguration and a MetadataExtraction processor."});
    } else if (ns == "partitionKeyFromLambda") {
      return services::MakeError(
          errors::kInvalidArgument,
          {"!{partitionKeyFromLambda:...} needs a Lambda processor, which this server does "
           "not support yet."});
    } else {
      return BadExpression(prefix.substr(start, end - start + 1), "unknown namespace");
    }
    i = end + 1;
  }
  return out;
}

std::string DefaultPrefix(std::int64_t ms) {
  std::tm tm = UtcOf(ms);
  return Pad(tm.tm_year + 1900, 4) + "/" + Pad(tm.tm_mon + 1, 2) + "/" + Pad(tm.tm_mday, 2) + "/" +
         Pad(tm.tm_hour, 2) + "/";
}

std::string ObjectTimestamp(std::int64_t ms) {
  std::tm tm = UtcOf(ms);
  return Pad(tm.tm_year + 1900, 4) + "-" + Pad(tm.tm_mon + 1, 2) + "-" + Pad(tm.tm_mday, 2) + "-" +
         Pad(tm.tm_hour, 2) + "-" + Pad(tm.tm_min, 2) + "-" + Pad(tm.tm_sec, 2);
}

}  // namespace cenote::firehose
