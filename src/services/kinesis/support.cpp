// Kinesis helpers: the error table, 128-bit hash keys, sequence numbers, parameter checks, pagination
// tokens and the shape builders several operations share.
#include <algorithm>
#include <cstdio>

#include "common/checksum.hpp"
#include "common/encoding.hpp"
#include "services/kinesis/internal.hpp"

namespace cenote::kinesis {

const std::vector<ErrorSpec>& ErrorTable() {
  using namespace errors;
  static const std::vector<ErrorSpec> kTable = {
      kStreamNotFound,  kStreamExists,     kStreamNotActive,   kShardNotFound,     kConsumerNotFound,
      kConsumerExists,  kPolicyNotFound,   kValidation,        kInvalidArgument,   kInvalidIterator,
      kExpiredIterator, kExpiredNextToken, kInvalidNextToken,  kLimitExceeded,     kThroughputExceeded,
      kInternalFailure, kUnknownOperation, kConsumerNotActive, kSubscriptionInUse,
  };
  return kTable;
}

Error MakeKinesisError(const ErrorSpec& spec, std::initializer_list<std::string_view> args) {
  std::string message;
  std::string_view tmpl = spec.message;
  auto arg = args.begin();
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '}' && arg != args.end()) {
      message += *arg++;
      ++i;
    } else {
      message += tmpl[i];
    }
  }
  return MakeError(spec.code, std::move(message), spec.http_status);
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

// ---- parameters ----

std::optional<std::string> Str(const json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

std::optional<std::int64_t> Int(const json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().as_int64();
  if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().as_uint64());
  if (it->value().is_double()) return static_cast<std::int64_t>(it->value().as_double());
  return std::nullopt;
}

Error Validation(std::string_view value, std::string_view wire_name, std::string_view constraint) {
  Error e = MakeKinesisError(errors::kValidation, {value, wire_name, constraint});
  // Blob values are not echoed: "Value at 'data' failed ...".
  if (value.empty()) e.message.replace(e.message.find("Value  at"), 9, "Value at");
  return e;
}

Status CheckLength(const json::object& o, std::string_view name, std::string_view wire_name, std::size_t min,
                   std::size_t max, bool required) {
  auto v = Str(o, name);
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
  auto v = Int(o, name);
  if (!v) return Status::Ok();
  if (*v < min)
    return Validation("'" + std::to_string(*v) + "'", wire_name,
                      "have value greater than or equal to " + std::to_string(min));
  if (*v > max)
    return Validation("'" + std::to_string(*v) + "'", wire_name,
                      "have value less than or equal to " + std::to_string(max));
  return Status::Ok();
}

Error InvalidArgument(std::string message) { return MakeKinesisError(errors::kInvalidArgument, {message}); }

Error StreamNotFound(const Env& env, const std::string& name) {
  return MakeKinesisError(errors::kStreamNotFound, {name, env.Account()});
}

Error ShardNotFound(const Env& env, const std::string& stream, const std::string& shard) {
  return MakeKinesisError(errors::kShardNotFound, {shard, stream, env.Account()});
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
  if (dot == std::string_view::npos) return MakeKinesisError(errors::kInvalidNextToken);
  std::string body(token.substr(0, dot));
  std::string tag = HexEncode(HmacSha256(env.iterator_secret, "token:" + body).substr(0, 12));
  if (!ConstantTimeEquals(tag, token.substr(dot + 1))) return MakeKinesisError(errors::kInvalidNextToken);
  auto raw = Base64Decode(body);
  if (!raw) return MakeKinesisError(errors::kInvalidNextToken);
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return MakeKinesisError(errors::kInvalidNextToken);
  auto issued = Int(v.as_object(), "t");
  if (!issued || env.Now() - *issued > kIteratorLifetimeMs)
    return MakeKinesisError(errors::kExpiredNextToken);
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
