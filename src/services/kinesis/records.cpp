// Data plane: PutRecord, PutRecords, GetRecords.
//
// PutRecords: validate everything first (AWS rejects the whole request for a bad record) -> map each
// record to its open shard by the MD5 hash of its partition key (or its ExplicitHashKey) -> take write
// tokens per shard (a throttled record gets ProvisionedThroughputExceededException in its slot) -> append
// each shard's records to its log in one group-committed, fsynced Append -> acknowledge. On an encrypted
// stream each record's data is sealed under the caller's data key for the stream first (encryption.cpp). The
// stream's lock is held shared throughout, so resharding (exclusive) never closes a shard under an in-flight
// append.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>
#include <thread>

#include "services/kinesis/internal.hpp"
#include "store/free_space.hpp"

namespace cenote::kinesis {

namespace {

struct PendingRecord {
  std::string data;
  std::string partition_key;
  bool explicit_hash_key = false;
  U128 hash_key = 0;
};

// Validates one PutRecord(s) entry; `where` is the member path prefix for ValidationException
// ("" for PutRecord, "records.3.member." for PutRecords).
Result<PendingRecord> ParseRecord(const json::object& r, const std::string& where) {
  PendingRecord rec;
  auto key = GetString(r, "PartitionKey");
  if (!key) return Validation("null", where + "partitionKey", "not be null");
  if (key->empty())
    return Validation("'" + *key + "'", where + "partitionKey", "have length greater than or equal to 1");
  if (key->size() > 256)
    return Validation("'" + *key + "'", where + "partitionKey", "have length less than or equal to 256");
  auto data = GetString(r, "Data");
  if (!data) return Validation("null", where + "data", "not be null");
  if (data->size() > kMaxRecordBytes)
    return Validation("", where + "data",
                      "have length less than or equal to " + std::to_string(kMaxRecordBytes));
  if (data->size() + key->size() > kMaxRecordBytes)
    return InvalidArgument("Record size exceeds the 1 MiB limit (data and partition key together).");
  rec.partition_key = std::move(*key);
  rec.data = std::move(*data);
  if (auto ehk = GetString(r, "ExplicitHashKey")) {
    bool digits = !ehk->empty() && ehk->size() <= 39 &&
                  std::all_of(ehk->begin(), ehk->end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                  ((*ehk)[0] != '0' || ehk->size() == 1);
    if (!digits)
      return Validation("'" + *ehk + "'", where + "explicitHashKey",
                        "satisfy regular expression pattern: 0|([1-9]\\d{0,38})");
    auto v = ParseU128(*ehk);
    if (!v)
      return InvalidArgument(
          "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value "
          "was " +
          *ehk);
    rec.hash_key = *v;
    rec.explicit_hash_key = true;
  } else {
    rec.hash_key = HashKeyOf(rec.partition_key);
  }
  return rec;
}

const ShardState* Route(const std::vector<const ShardState*>& open, U128 hash_key) {
  auto it = std::upper_bound(open.begin(), open.end(), hash_key,
                             [](U128 k, const ShardState* s) { return k < s->start_hash; });
  if (it == open.begin()) return nullptr;
  const ShardState* s = *std::prev(it);
  return hash_key <= s->end_hash ? s : nullptr;
}

// Whether the stream takes writes (ACTIVE or UPDATING); a stream not there yet or going away is not found.
Status RequireWritable(const Env& env, const StreamState& s) SHARED_LOCKS_REQUIRED(s.mu) {
  std::string status = env.EffectiveStatus(s);
  if (status != "ACTIVE" && status != "UPDATING") return StreamNotFound(s.key());
  return Status::Ok();
}

struct Placement {
  const ShardState* shard = nullptr;
  std::string error_code;  // "": written
  std::string error_message;
  std::optional<Error> failure;  // the log's error, when it refused the record
  std::string sequence_number;
};

// The data key that seals this request's records, when the stream is encrypted (encryption.cpp).
Result<std::optional<RecordSealer>> SealerForWrite(Env& env, const RequestContext& ctx, const StreamState& s)
    SHARED_LOCKS_REQUIRED(s.mu) {
  if (s.encryption_type != "KMS") return std::optional<RecordSealer>();
  CENOTE_ASSIGN_OR_RETURN(RecordSealer sealer, SealerFor(env, ctx, s.arn, s.key_id));
  return std::optional<RecordSealer>(std::move(sealer));
}

// Routes, throttles and appends `records` (sealed with `sealer` when there is one); one Placement per record.
Result<std::vector<Placement>> Write(Env& env, StreamState& s, std::vector<PendingRecord>& records,
                                     const std::optional<RecordSealer>& sealer) SHARED_LOCKS_REQUIRED(s.mu) {
  auto open = s.OpenShards();
  std::vector<Placement> placed(records.size());
  const std::int64_t now = env.Now();
  {
    MutexLock lock(s.limiter_mu);
    for (std::size_t i = 0; i < records.size(); ++i) {
      const ShardState* shard = Route(open, records[i].hash_key);
      if (!shard) return InternalError("no open shard covers hash key " + U128ToString(records[i].hash_key));
      placed[i].shard = shard;
      auto& limiter = s.limiters[shard->shard_id];
      double bytes = static_cast<double>(records[i].data.size() + records[i].partition_key.size());
      // Check both buckets before taking from either, so a refused record costs nothing.
      TokenBucket records_probe = limiter.write_records;
      TokenBucket bytes_probe = limiter.write_bytes;
      if (!records_probe.Take(1, env.options.write_records_per_second, now) ||
          !bytes_probe.Take(bytes, env.options.write_bytes_per_second, now)) {
        placed[i].error_code = errors::kThroughputExceeded.code;
        placed[i].error_message =
            services::MakeError(errors::kThroughputExceeded, {shard->shard_id, s.name, s.account}).message;
        continue;
      }
      limiter.write_records = records_probe;
      limiter.write_bytes = bytes_probe;
    }
  }
  // One Append per shard, records in request order. The shards' appends (each a write + fsync) run in
  // parallel, so a batch spread over N shards costs about one fsync of latency, not N.
  struct ShardBatch {
    const ShardState* shard = nullptr;
    std::vector<std::size_t> indexes = {};
    std::vector<store::StreamRecordInput> records = {};
    Result<std::vector<std::uint64_t>> sequences = std::vector<std::uint64_t>{};
    std::int64_t bytes = 0;  // data and partition keys as the client sent them
  };
  std::map<const ShardState*, std::vector<std::size_t>> by_shard;
  for (std::size_t i = 0; i < records.size(); ++i)
    if (placed[i].error_code.empty()) by_shard[placed[i].shard].push_back(i);
  std::vector<ShardBatch> batches;
  for (auto& [shard, indexes] : by_shard) {
    ShardBatch b{.shard = shard, .indexes = std::move(indexes)};
    b.records.reserve(b.indexes.size());
    for (std::size_t i : b.indexes) {
      store::StreamRecordInput in;
      in.arrival_ms = now;
      in.partition_key = std::move(records[i].partition_key);
      in.explicit_hash_key = records[i].explicit_hash_key;
      b.bytes += static_cast<std::int64_t>(records[i].data.size() + in.partition_key.size());
      if (sealer) {
        CENOTE_ASSIGN_OR_RETURN(in.data, SealRecord(*sealer, in.partition_key, records[i].data));
        in.encrypted = true;
      } else {
        in.data = std::move(records[i].data);
      }
      b.records.push_back(std::move(in));
    }
    batches.push_back(std::move(b));
  }
  auto append = [&](ShardBatch& b) { b.sequences = env.log.Append(s.LogName(*b.shard), b.records); };
  {
    std::vector<std::thread> workers;
    for (std::size_t k = 1; k < batches.size(); ++k) {
      try {
        workers.emplace_back(append, std::ref(batches[k]));
      } catch (const std::system_error&) {
        append(batches[k]);  // no thread to spare: append inline
      }
    }
    if (!batches.empty()) append(batches[0]);
    for (auto& w : workers) w.join();
  }
  for (auto& b : batches) {
    for (std::size_t k = 0; k < b.indexes.size(); ++k) {
      Placement& pl = placed[b.indexes[k]];
      if (!b.sequences && store::IsInsufficientStorage(b.sequences.error())) {
        // A full disk is not a transient failure: the client must not retry into it (InternalFailure is
        // retried by the SDKs and the KPL).
        pl.failure = store::InsufficientStorage();  // the canonical words: no path
        pl.error_code = pl.failure->code;
        pl.error_message = pl.failure->message;
      } else if (!b.sequences) {
        pl.error_code = errors::kInternalFailure.code;
        pl.error_message = errors::kInternalFailure.message;
        pl.failure = b.sequences.error();
      } else {
        pl.sequence_number = EncodeSequenceNumber((*b.sequences)[k], b.shard->index);
      }
    }
    if (b.sequences) {
      env.Count(s, [&](StreamMetrics& m) {
        m.incoming_records += static_cast<std::int64_t>(b.records.size());
        m.incoming_bytes += b.bytes;
      });
    } else {
      spdlog::error("kinesis: append to {} failed: {}", s.LogName(*b.shard), b.sequences.error().message);
    }
  }
  return placed;
}

}  // namespace

Result<OperationOutput> PutRecord(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(PendingRecord rec, ParseRecord(p, ""));
  // Only the pattern is checked: sequences within a shard already increase in arrival order, so ordering by
  // SequenceNumberForOrdering holds without further work.
  auto valid_ordering = [](const std::string& v) {
    if (v == "0") return true;
    if (v.empty() || v.size() > 129 || v[0] == '0') return false;
    return std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (auto ordering = GetString(p, "SequenceNumberForOrdering"); ordering && !valid_ordering(*ordering))
    return Validation("'" + *ordering + "'", "sequenceNumberForOrdering",
                      "satisfy regular expression pattern: 0|([1-9]\\d{0,128})");
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
  CENOTE_RETURN_IF_ERROR(RequireWritable(env, s));
  CENOTE_ASSIGN_OR_RETURN(auto sealer, SealerForWrite(env, ctx, s));
  std::vector<PendingRecord> records;
  records.push_back(std::move(rec));
  CENOTE_ASSIGN_OR_RETURN(std::vector<Placement> placed, Write(env, s, records, sealer));
  const Placement& pl = placed[0];
  if (pl.error_code == errors::kThroughputExceeded.code) {
    env.Count(s, [](StreamMetrics& m) { ++m.write_provisioned_throughput_exceeded; });
    return services::MakeError(errors::kThroughputExceeded, {pl.shard->shard_id, s.name, s.account});
  }
  // The log's own error: a full disk answers 507; anything else is a 500 the pipeline logs and words.
  if (pl.failure) return *pl.failure;
  env.Count(s, [](StreamMetrics& m) { ++m.put_record_success; });
  return json::object{{"ShardId", pl.shard->shard_id},
                      {"SequenceNumber", pl.sequence_number},
                      {"EncryptionType", s.encryption_type}};
}

Result<OperationOutput> PutRecords(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  const json::array* entries = services::GetArray(p, "Records");
  if (entries == nullptr) return Validation("null", "records", "not be null");
  const json::array& list = *entries;
  if (list.empty()) return Validation("'[]'", "records", "have length greater than or equal to 1");
  if (list.size() > kMaxPutRecordsCount)
    return Validation("'[...]'", "records",
                      "have length less than or equal to " + std::to_string(kMaxPutRecordsCount));
  std::vector<PendingRecord> records;
  records.reserve(list.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object())
      return Validation("null", "records." + std::to_string(i + 1) + ".member", "not be null");
    CENOTE_ASSIGN_OR_RETURN(
        PendingRecord rec, ParseRecord(list[i].as_object(), "records." + std::to_string(i + 1) + ".member."));
    total += rec.data.size() + rec.partition_key.size();
    records.push_back(std::move(rec));
  }
  if (total > kMaxPutRecordsBytes) return InvalidArgument("Records size exceeds 5 MB limit");
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
  CENOTE_RETURN_IF_ERROR(RequireWritable(env, s));
  CENOTE_ASSIGN_OR_RETURN(auto sealer, SealerForWrite(env, ctx, s));
  CENOTE_ASSIGN_OR_RETURN(std::vector<Placement> placed, Write(env, s, records, sealer));
  // When the disk refused every record, the whole call fails with the storage error, as PutRecord does;
  // a partial refusal is reported per record.
  if (std::all_of(placed.begin(), placed.end(),
                  [](const Placement& pl) { return pl.error_code == store::InsufficientStorage().code; }))
    return store::InsufficientStorage();
  json::array results;
  std::int64_t failed = 0;
  std::int64_t throttled = 0;
  for (const auto& pl : placed) {
    if (pl.error_code.empty()) {
      results.push_back(
          json::object{{"SequenceNumber", pl.sequence_number}, {"ShardId", pl.shard->shard_id}});
    } else {
      ++failed;
      throttled += pl.error_code == errors::kThroughputExceeded.code ? 1 : 0;
      results.push_back(json::object{{"ErrorCode", pl.error_code}, {"ErrorMessage", pl.error_message}});
    }
  }
  env.Count(s, [&](StreamMetrics& m) {
    m.put_records_total_records += static_cast<std::int64_t>(placed.size());
    m.put_records_successful_records += static_cast<std::int64_t>(placed.size()) - failed;
    m.put_records_failed_records += failed;
    m.put_records_throttled_records += throttled;
    m.write_provisioned_throughput_exceeded += throttled;
  });
  return json::object{
      {"FailedRecordCount", failed}, {"Records", std::move(results)}, {"EncryptionType", s.encryption_type}};
}

// The iterator names its stream (account, region, name); it is refused in another region than the request's.
Result<OperationOutput> GetRecords(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto iterator = GetString(p, "ShardIterator");
  if (!iterator) return Validation("null", "shardIterator", "not be null");
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ShardIterator", "shardIterator", 1, 512, true));
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "Limit", "limit", 1, kMaxGetRecordsLimit));
  CENOTE_ASSIGN_OR_RETURN(IteratorPosition pos, DecodeIterator(env, *iterator, &ctx.region));
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(pos.stream));
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
  if (s.created_ms != pos.stream_created_ms) return StreamNotFound(pos.stream);
  if (auto arn = GetString(p, "StreamARN"); arn && *arn != s.arn)
    return InvalidArgument("StreamARN " + *arn + " does not match the stream of the ShardIterator.");
  ShardState* shard = s.FindShard(pos.shard_id);
  if (!shard) return ShardNotFound(s, pos.shard_id);
  const std::int64_t now = env.Now();
  {
    MutexLock limiter_lock(s.limiter_mu);
    if (!s.limiters[shard->shard_id].get_records.Take(1, env.options.get_records_per_second, now)) {
      env.Count(s, [](StreamMetrics& m) { ++m.read_provisioned_throughput_exceeded; });
      return services::MakeError(errors::kThroughputExceeded, {shard->shard_id, s.name, s.account});
    }
  }
  const std::size_t limit = static_cast<std::size_t>(GetInt(p, "Limit").value_or(kMaxGetRecordsLimit));
  CENOTE_ASSIGN_OR_RETURN(auto read,
                          env.log.Read(s.LogName(*shard), pos.next_sequence, limit, kMaxGetRecordsBytes));
  json::array records;
  std::int64_t bytes = 0;
  std::int64_t last_arrival = 0;
  // Records past the retention period are gone for readers even before maintenance deletes their segment
  // (segments are removed whole, so the newest segment can hold expired records for a while).
  const std::int64_t retention_cutoff = now - static_cast<std::int64_t>(s.retention_hours) * 3600 * 1000;
  std::int64_t returned = 0;
  for (auto& r : read.records) {
    if (r.arrival_ms < retention_cutoff) continue;
    ++returned;
    // A sealed record opens with its data key from KMS, asked as the reader (KMSAccessDeniedException for a
    // reader the key's policy refuses).
    if (r.encrypted) {
      CENOTE_ASSIGN_OR_RETURN(r.data, OpenRecord(env, ctx, s.arn, r.partition_key, r.data));
    }
    bytes += static_cast<std::int64_t>(r.data.size());
    last_arrival = r.arrival_ms;
    json::object o{{"SequenceNumber", EncodeSequenceNumber(r.sequence, shard->index)},
                   {"ApproximateArrivalTimestamp", r.arrival_ms},
                   {"Data", json::string(r.data)},
                   {"PartitionKey", r.partition_key}};
    if (r.encrypted) o["EncryptionType"] = "KMS";
    records.push_back(std::move(o));
  }
  const bool at_tip = read.next_sequence >= read.bounds.next_sequence;
  std::int64_t behind = 0;
  if (!at_tip && last_arrival > 0) behind = std::max<std::int64_t>(0, now - last_arrival);
  json::object out_doc{{"Records", std::move(records)}, {"MillisBehindLatest", behind}};
  if (!shard->open() && at_tip) {
    // The shard is closed and drained: no NextShardIterator; the children say where to go on.
    json::array children;
    for (const auto& c : s.shards) {
      if (c.parent != shard->shard_id && c.adjacent_parent != shard->shard_id) continue;
      json::array parents{json::string(c.parent)};
      if (!c.adjacent_parent.empty()) parents.push_back(json::string(c.adjacent_parent));
      children.push_back(json::object{{"ShardId", c.shard_id},
                                      {"ParentShards", std::move(parents)},
                                      {"HashKeyRange", ShardDocument(c).at("HashKeyRange")}});
    }
    out_doc["ChildShards"] = std::move(children);
  } else {
    IteratorPosition next = pos;
    next.next_sequence = read.next_sequence;
    next.issued_ms = now;
    out_doc["NextShardIterator"] = EncodeIterator(env, next);
  }
  const std::int64_t count = returned;
  env.Count(s, [&](StreamMetrics& m) {
    m.get_records_records += count;
    m.get_records_bytes += bytes;
    ++m.get_records_success;
    m.get_records_iterator_age_ms = behind;
  });
  return out_doc;
}

}  // namespace cenote::kinesis
