// GetShardIterator and the iterator format: base64(JSON position) "." base64(HMAC-SHA256 tag, 16 bytes).
// The tag binds every field, so a client cannot move an iterator to another stream, shard or region, or
// extend its life.
#include <ctime>

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
  json::object o{{"a", position.stream.account}, {"r", position.stream.region},
                 {"s", position.stream.name},    {"c", position.stream_created_ms},
                 {"h", position.shard_id},       {"n", position.next_sequence},
                 {"t", position.issued_ms}};
  std::string body = Base64Encode(json::serialize(o));
  return body + "." + Tag(env, body);
}

Result<IteratorPosition> DecodeIterator(const Env& env, std::string_view iterator,
                                        const std::string* region) {
  const Error invalid = services::MakeError(errors::kInvalidIterator);
  auto dot = iterator.rfind('.');
  if (dot == std::string_view::npos) return invalid;
  std::string_view body = iterator.substr(0, dot);
  if (!ConstantTimeEquals(Tag(env, body), iterator.substr(dot + 1))) return invalid;
  auto raw = Base64Decode(body);
  if (!raw) return invalid;
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return invalid;
  const auto& o = v.as_object();
  IteratorPosition pos;
  // Iterators issued before streams were regional carry no account and region: the default namespace's.
  pos.stream.account = GetString(o, "a").value_or(env.options.default_account);
  pos.stream.region = GetString(o, "r").value_or(env.options.default_region);
  pos.stream.name = GetString(o, "s").value_or("");
  // An iterator is an endpoint's own: another region's names no stream here.
  if (region != nullptr && pos.stream.region != *region) return invalid;
  pos.stream_created_ms = GetInt(o, "c").value_or(0);
  pos.shard_id = GetString(o, "h").value_or("");
  auto n = o.find("n");
  if (n == o.end() || !(n->value().is_uint64() || n->value().is_int64())) return invalid;
  pos.next_sequence =
      n->value().is_uint64() ? n->value().as_uint64() : static_cast<std::uint64_t>(n->value().as_int64());
  pos.issued_ms = GetInt(o, "t").value_or(0);
  const std::int64_t now = env.Now();
  if (now - pos.issued_ms > kIteratorLifetimeMs)
    return services::MakeError(errors::kExpiredIterator, {FormatTime(pos.issued_ms), FormatTime(now)});
  return pos;
}

Result<OperationOutput> GetShardIterator(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ShardId", "shardId", 1, 128, true));
  auto type = GetString(p, "ShardIteratorType");
  static const std::vector<std::string> kTypes = {"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
                                                  "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"};
  if (!type) return Validation("null", "shardIteratorType", "not be null");
  if (std::find(kTypes.begin(), kTypes.end(), *type) == kTypes.end())
    return Validation(
        "'" + *type + "'", "shardIteratorType",
        "satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, AT_TIMESTAMP, TRIM_HORIZON, "
        "LATEST]");
  std::string shard_id = *GetString(p, "ShardId");
  auto starting = GetString(p, "StartingSequenceNumber");
  auto timestamp = GetInt(p, "Timestamp");
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

  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
  ShardState* shard = s.FindShard(shard_id);
  if (!shard) return ShardNotFound(s, shard_id);
  const std::int64_t now = env.Now();
  CENOTE_ASSIGN_OR_RETURN(auto bounds, env.log.Bounds(s.LogName(*shard)));

  IteratorPosition pos;
  pos.stream = s.key();
  pos.stream_created_ms = s.created_ms;
  pos.shard_id = shard->shard_id;
  pos.issued_ms = now;
  if (*type == "TRIM_HORIZON") {
    pos.next_sequence = bounds.first_sequence;
  } else if (*type == "LATEST") {
    pos.next_sequence = bounds.next_sequence;
  } else if (*type == "AT_TIMESTAMP") {
    if (*timestamp > now)
      return InvalidArgument(
          "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
          "timestampInMillis: " +
          std::to_string(*timestamp) + ", currentTimestampInMillis: " + std::to_string(now));
    CENOTE_ASSIGN_OR_RETURN(pos.next_sequence, env.log.SeekTimestamp(s.LogName(*shard), *timestamp));
  } else {
    auto decoded = DecodeSequenceNumber(*starting);
    if (!decoded)
      return InvalidArgument("StartingSequenceNumber " + *starting + " used in GetShardIterator on shard " +
                             shard_id + " in stream " + s.name + " under account " + s.account +
                             " is invalid.");
    if (decoded->shard_index != shard->index)
      return InvalidArgument("Invalid StartingSequenceNumber. It encodes " + ShardIdOf(decoded->shard_index) +
                             ", while it was used in a call to a shard with " + shard->shard_id);
    if (decoded->log_sequence < shard->starting_sequence ||
        (shard->ending_sequence && decoded->log_sequence > *shard->ending_sequence))
      return InvalidArgument("StartingSequenceNumber " + *starting + " used in GetShardIterator on shard " +
                             shard_id + " in stream " + s.name + " under account " + s.account +
                             " is invalid because it did not come from this stream.");
    pos.next_sequence = decoded->log_sequence + (*type == "AFTER_SEQUENCE_NUMBER" ? 1 : 0);
  }
  return json::object{{"ShardIterator", EncodeIterator(env, pos)}};
}

}  // namespace cenote::kinesis
