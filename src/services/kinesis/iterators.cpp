// GetShardIterator and the iterator format: base64(JSON position) "." base64(HMAC-SHA256 tag, 16 bytes).
// The tag binds every field, so a client cannot move an iterator to another shard or extend its life.
#include "common/encoding.hpp"
#include "services/kinesis/internal.hpp"

namespace cenote::kinesis {

namespace {

std::string Tag(const Env& env, std::string_view body) {
  return Base64Encode(HmacSha256(env.iterator_secret, "iterator:" + std::string(body)).substr(0, 16));
}

std::string FormatTime(std::int64_t ms) {
  // Like AWS's "Tue Nov 24 10:00:00 UTC 2026".
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S UTC %Y", &tm);
  return buf;
}

}  // namespace

std::string EncodeIterator(const Env& env, const IteratorPosition& position) {
  json::object o{{"s", position.stream},
                 {"c", position.stream_created_ms},
                 {"h", position.shard_id},
                 {"n", position.next_sequence},
                 {"t", position.issued_ms}};
  std::string body = Base64Encode(json::serialize(o));
  return body + "." + Tag(env, body);
}

Result<IteratorPosition> DecodeIterator(const Env& env, std::string_view iterator) {
  auto dot = iterator.rfind('.');
  if (dot == std::string_view::npos) return MakeKinesisError(errors::kInvalidIterator);
  std::string_view body = iterator.substr(0, dot);
  if (!ConstantTimeEquals(Tag(env, body), iterator.substr(dot + 1)))
    return MakeKinesisError(errors::kInvalidIterator);
  auto raw = Base64Decode(body);
  if (!raw) return MakeKinesisError(errors::kInvalidIterator);
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return MakeKinesisError(errors::kInvalidIterator);
  const auto& o = v.as_object();
  IteratorPosition pos;
  pos.stream = Str(o, "s").value_or("");
  pos.stream_created_ms = Int(o, "c").value_or(0);
  pos.shard_id = Str(o, "h").value_or("");
  auto n = o.find("n");
  if (n == o.end() || !(n->value().is_uint64() || n->value().is_int64()))
    return MakeKinesisError(errors::kInvalidIterator);
  pos.next_sequence =
      n->value().is_uint64() ? n->value().as_uint64() : static_cast<std::uint64_t>(n->value().as_int64());
  pos.issued_ms = Int(o, "t").value_or(0);
  const std::int64_t now = env.Now();
  if (now - pos.issued_ms > kIteratorLifetimeMs)
    return MakeKinesisError(errors::kExpiredIterator, {FormatTime(pos.issued_ms), FormatTime(now)});
  return pos;
}

Result<OperationOutput> GetShardIterator(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ShardId", "shardId", 1, 128, true));
  auto type = Str(p, "ShardIteratorType");
  static const std::vector<std::string> kTypes = {"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
                                                  "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"};
  if (!type) return Validation("null", "shardIteratorType", "not be null");
  if (std::find(kTypes.begin(), kTypes.end(), *type) == kTypes.end())
    return Validation(
        "'" + *type + "'", "shardIteratorType",
        "satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, AT_TIMESTAMP, TRIM_HORIZON, "
        "LATEST]");
  std::string shard_id = *Str(p, "ShardId");
  auto starting = Str(p, "StartingSequenceNumber");
  auto timestamp = Int(p, "Timestamp");
  const bool by_sequence = *type == "AT_SEQUENCE_NUMBER" || *type == "AFTER_SEQUENCE_NUMBER";
  if (by_sequence && !starting)
    return InvalidArgument("Must specify a StartingSequenceNumber for the " + *type + " ShardIteratorType.");
  if (!by_sequence && starting)
    return InvalidArgument("Request specified StartingSequenceNumber for the " + *type +
                           " ShardIteratorType, which does not accept it.");
  if (*type == "AT_TIMESTAMP" && !timestamp)
    return InvalidArgument(
        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no "
        "timestamp parameter.");
  if (*type != "AT_TIMESTAMP" && timestamp)
    return InvalidArgument("Request specified timestampInMillis for the " + *type +
                           " ShardIteratorType, which does not accept it.");

  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::shared_lock<std::shared_mutex> lk(s.mu);
  ShardState* shard = s.FindShard(shard_id);
  if (!shard) return ShardNotFound(env, s.name, shard_id);
  const std::int64_t now = env.Now();
  auto bounds = env.log.Bounds(s.LogName(*shard));
  if (!bounds) return std::move(bounds).error();

  IteratorPosition pos;
  pos.stream = s.name;
  pos.stream_created_ms = s.created_ms;
  pos.shard_id = shard->shard_id;
  pos.issued_ms = now;
  if (*type == "TRIM_HORIZON") {
    pos.next_sequence = bounds->first_sequence;
  } else if (*type == "LATEST") {
    pos.next_sequence = bounds->next_sequence;
  } else if (*type == "AT_TIMESTAMP") {
    if (*timestamp > now)
      return InvalidArgument(
          "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
          "timestampInMillis: " +
          std::to_string(*timestamp) + ", currentTimestampInMillis: " + std::to_string(now));
    auto seq = env.log.SeekTimestamp(s.LogName(*shard), *timestamp);
    if (!seq) return std::move(seq).error();
    pos.next_sequence = *seq;
  } else {
    auto decoded = DecodeSequenceNumber(*starting);
    if (!decoded)
      return InvalidArgument("StartingSequenceNumber " + *starting + " used in GetShardIterator on shard " +
                             shard_id + " in stream " + s.name + " under account " + env.Account() +
                             " is invalid.");
    if (decoded->shard_index != shard->index)
      return InvalidArgument("Invalid StartingSequenceNumber. It encodes " + ShardIdOf(decoded->shard_index) +
                             ", while it was used in a call to a shard with " + shard->shard_id);
    if (decoded->log_sequence < shard->starting_sequence ||
        (shard->ending_sequence && decoded->log_sequence > *shard->ending_sequence))
      return InvalidArgument("StartingSequenceNumber " + *starting + " used in GetShardIterator on shard " +
                             shard_id + " in stream " + s.name + " under account " + env.Account() +
                             " is invalid because it did not come from this stream.");
    pos.next_sequence = decoded->log_sequence + (*type == "AFTER_SEQUENCE_NUMBER" ? 1 : 0);
  }
  OperationOutput out;
  out.result = json::object{{"ShardIterator", EncodeIterator(env, pos)}};
  return out;
}

}  // namespace cenote::kinesis
