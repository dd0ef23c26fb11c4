// Kinesis helpers: the error table, 128-bit hash keys, sequence numbers, stream ARNs, parameter checks,
// pagination tokens and the shape builders several operations share.
#include <algorithm>
#include <cstdio>

#include "common/checksum.hpp"
#include "common/encoding.hpp"
#include "services/kinesis/internal.hpp"

namespace cenote::kinesis {

const std::vector<ErrorSpec>& ErrorTable() {
  using namespace errors;
  static const std::vector<ErrorSpec> kTable = {
      kStreamNotFound,   kStreamExists,    kStreamNotActive,    kStreamHasConsumers, kShardNotFound,
      kConsumerNotFound, kConsumerExists,  kConsumerNotActive,  kSubscriptionInUse,  kPolicyNotFound,
      kValidation,       kInvalidArgument, kInvalidIterator,    kExpiredIterator,    kExpiredNextToken,
      kInvalidNextToken, kLimitExceeded,   kThroughputExceeded, kKmsAccessDenied,    kKmsDisabled,
      kKmsInvalidState,  kKmsNotFound,     kKmsOptInRequired,   kKmsThrottling,      kInternalFailure,
  };
  return kTable;
}

// ---- 128-bit hash keys ----

std::string U128ToString(U128 v) {
  if (v == 0) return "0";
  std::string out;
  while (v > 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<U128> ParseU128(std::string_view text) {
  if (text.empty() || text.size() > 39) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  U128 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    U128 digit = static_cast<U128>(c - '0');
    if (v > (kMaxHashKey - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

U128 HashKeyOf(std::string_view partition_key) {
  std::string md5 = ComputeChecksum(ChecksumAlgorithm::kMD5, partition_key);
  U128 v = 0;
  for (unsigned char c : md5) v = (v << 8) | c;
  return v;
}

std::pair<U128, U128> UniformRange(int i, int n) {
  // floor(i * 2^128 / n) without overflow: 2^128 = q*n + r.
  auto start_of = [n](int k) -> U128 {
    if (k == 0) return 0;
    U128 q = kMaxHashKey / static_cast<U128>(n);
    U128 r = kMaxHashKey % static_cast<U128>(n) + 1;  // 2^128 mod n (or n when n divides 2^128)
    if (r == static_cast<U128>(n)) {
      q += 1;
      r = 0;
    }
    return static_cast<U128>(k) * q + (static_cast<U128>(k) * r) / static_cast<U128>(n);
  };
  U128 start = start_of(i);
  U128 end = i + 1 == n ? kMaxHashKey : start_of(i + 1) - 1;
  return {start, end};
}

// ---- sequence numbers ----

std::string EncodeSequenceNumber(std::uint64_t log_sequence, int shard_index) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "49%020llu%010d%024d", static_cast<unsigned long long>(log_sequence),
                shard_index, 0);
  return buf;
}

std::optional<DecodedSequence> DecodeSequenceNumber(std::string_view text) {
  if (text.size() != 56 || text.substr(0, 2) != "49") return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  DecodedSequence d;
  auto seq = ParseU128(text.substr(2, 20).find_first_not_of('0') == std::string_view::npos
                           ? std::string_view("0")
                           : text.substr(2 + text.substr(2, 20).find_first_not_of('0'),
                                         20 - text.substr(2, 20).find_first_not_of('0')));
  if (!seq || *seq > static_cast<U128>(UINT64_MAX)) return std::nullopt;
  d.log_sequence = static_cast<std::uint64_t>(*seq);
  int index = 0;
  for (char c : text.substr(22, 10)) index = index * 10 + (c - '0');
  d.shard_index = index;
  return d;
}

std::string ShardIdOf(int index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "shardId-%012d", index);
  return buf;
}

// ---- token buckets ----

bool TokenBucket::Take(double n, std::int64_t rate, std::int64_t now_ms) {
  if (rate <= 0) return true;
  if (tokens < 0) {
    tokens = static_cast<double>(rate);
    last_ms = now_ms;
  }
  if (now_ms > last_ms) {
    tokens =
        std::min(static_cast<double>(rate), tokens + static_cast<double>(rate) * (now_ms - last_ms) / 1000.0);
    last_ms = now_ms;
  }
  if (tokens < n) return false;
  tokens -= n;
  return true;
}

// ---- state ----

ShardState* StreamState::FindShard(std::string_view shard_id) {
  for (auto& s : shards)
    if (s.shard_id == shard_id) return &s;
  return nullptr;
}

std::vector<const ShardState*> StreamState::OpenShards() const {
  std::vector<const ShardState*> out;
  for (const auto& s : shards)
    if (s.open()) out.push_back(&s);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->start_hash < b->start_hash; });
  return out;
}

// ---- where a stream lives ----

std::string StreamArn(const StreamKey& key) {
  return "arn:aws:kinesis:" + key.region + ":" + key.account + ":stream/" + key.name;
}

std::optional<StreamKey> ParseStreamArn(std::string_view arn) {
  // arn:<partition>:kinesis:<region>:<account>:stream/<name>, the model's
  // arn:aws.*:kinesis:.*:\d{12}:stream/\S+
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  for (int i = 0; i < 5; ++i) {
    auto colon = arn.find(':', at);
    if (colon == std::string_view::npos) return std::nullopt;
    fields.push_back(arn.substr(at, colon - at));
    at = colon + 1;
  }
  std::string_view resource = arn.substr(at);
  constexpr std::string_view kStream = "stream/";
  if (fields[0] != "arn" || fields[1].substr(0, 3) != "aws" || fields[2] != "kinesis") return std::nullopt;
  if (fields[4].size() != 12 ||
      !std::all_of(fields[4].begin(), fields[4].end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  if (resource.substr(0, kStream.size()) != kStream || resource.size() == kStream.size()) return std::nullopt;
  return StreamKey{std::string(fields[4]), std::string(fields[3]),
                   std::string(resource.substr(kStream.size()))};
}

std::string ConsumerArn(const std::string& stream_arn, const std::string& name, std::int64_t created_ms) {
  return stream_arn + "/consumer/" + name + ":" + std::to_string(created_ms / 1000);
}

std::optional<std::pair<std::string, std::string>> SplitConsumerArn(const std::string& arn) {
  auto pos = arn.find("/consumer/");
  if (pos == std::string::npos) return std::nullopt;
  std::string stream_arn = arn.substr(0, pos);
  std::string rest = arn.substr(pos + 10);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(stream_arn, rest.substr(0, colon));
}

// ---- parameters and errors ----

Error Validation(std::string_view value, std::string_view wire_name, std::string_view constraint) {
  Error e = services::MakeError(errors::kValidation, {value, wire_name, constraint});
  // Blob values are not echoed: "Value at 'data' failed ...".
  if (value.empty()) e.message.replace(e.message.find("Value  at"), 9, "Value at");
  return e;
}

Status CheckLength(const json::object& o, std::string_view name, std::string_view wire_name, std::size_t min,
                   std::size_t max, bool required) {
  auto v = GetString(o, name);
  if (!v) {
    if (required) return Validation("null", wire_name, "not be null");
    return Status::Ok();
  }
  if (v->size() < min)
    return Validation("'" + *v + "'", wire_name,
                      "have length greater than or equal to " + std::to_string(min));
  if (v->size() > max)
    return Validation("'" + *v + "'", wire_name, "have length less than or equal to " + std::to_string(max));
  return Status::Ok();
}

Status CheckRange(const json::object& o, std::string_view name, std::string_view wire_name, std::int64_t min,
                  std::int64_t max) {
  auto v = GetInt(o, name);
  if (!v) return Status::Ok();
  if (*v < min)
    return Validation("'" + std::to_string(*v) + "'", wire_name,
                      "have value greater than or equal to " + std::to_string(min));
  if (*v > max)
    return Validation("'" + std::to_string(*v) + "'", wire_name,
                      "have value less than or equal to " + std::to_string(max));
  return Status::Ok();
}

Error InvalidArgument(std::string message) {
  return services::MakeError(errors::kInvalidArgument, {message});
}

Error StreamNotFound(const StreamKey& key) {
  return services::MakeError(errors::kStreamNotFound, {key.name, key.account});
}

Error ShardNotFound(const StreamState& s, const std::string& shard) {
  return services::MakeError(errors::kShardNotFound, {shard, s.name, s.account});
}

// A token is base64(JSON payload with "t": issue time) + "." + hex HMAC prefix. Tokens expire after 300 s,
// as ListShards' do (ExpiredNextTokenException).
std::string MakeToken(const Env& env, json::object payload) {
  payload["t"] = env.Now();
  std::string body = Base64Encode(json::serialize(payload));
  return body + "." + HexEncode(HmacSha256(env.iterator_secret, "token:" + body).substr(0, 12));
}

Result<json::object> ReadToken(const Env& env, std::string_view token) {
  auto dot = token.rfind('.');
  if (dot == std::string_view::npos) return services::MakeError(errors::kInvalidNextToken);
  std::string body(token.substr(0, dot));
  std::string tag = HexEncode(HmacSha256(env.iterator_secret, "token:" + body).substr(0, 12));
  if (!ConstantTimeEquals(tag, token.substr(dot + 1))) return services::MakeError(errors::kInvalidNextToken);
  auto raw = Base64Decode(body);
  if (!raw) return services::MakeError(errors::kInvalidNextToken);
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return services::MakeError(errors::kInvalidNextToken);
  auto issued = GetInt(v.as_object(), "t");
  if (!issued || env.Now() - *issued > kIteratorLifetimeMs)
    return services::MakeError(errors::kExpiredNextToken);
  return std::move(v.as_object());
}

// ---- shapes ----

json::object ShardDocument(const ShardState& shard) {
  json::object o;
  o["ShardId"] = shard.shard_id;
  if (!shard.parent.empty()) o["ParentShardId"] = shard.parent;
  if (!shard.adjacent_parent.empty()) o["AdjacentParentShardId"] = shard.adjacent_parent;
  o["HashKeyRange"] = json::object{{"StartingHashKey", U128ToString(shard.start_hash)},
                                   {"EndingHashKey", U128ToString(shard.end_hash)}};
  json::object range{{"StartingSequenceNumber", EncodeSequenceNumber(shard.starting_sequence, shard.index)}};
  if (shard.ending_sequence)
    range["EndingSequenceNumber"] = EncodeSequenceNumber(*shard.ending_sequence, shard.index);
  o["SequenceNumberRange"] = std::move(range);
  return o;
}

json::object StreamModeDocument(const StreamState& s) { return json::object{{"StreamMode", s.mode}}; }

json::array EnhancedMonitoringDocument(const StreamState& s) {
  json::array metrics;
  for (const auto& m : s.shard_level_metrics) metrics.push_back(json::string(m));
  return json::array{json::object{{"ShardLevelMetrics", std::move(metrics)}}};
}

}  // namespace cenote::kinesis
