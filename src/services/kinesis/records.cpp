// Data plane: PutRecord, PutRecords, GetRecords.
//
// PutRecords: validate everything first (AWS rejects the whole request for a bad record) -> map each
// record to its open shard by the MD5 hash of its partition key (or its ExplicitHashKey) -> take write
// tokens per shard (a throttled record gets ProvisionedThroughputExceededException in its slot) -> append
// each shard's records to its log in one group-committed, fsynced Append -> acknowledge. The stream's lock
// is held shared throughout, so resharding (exclusive) never closes a shard under an in-flight append.
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
  auto key = Str(r, "PartitionKey");
  if (!key) return Validation("null", where + "partitionKey", "not be null");
  if (key->empty())
    return Validation("'" + *key + "'", where + "partitionKey", "have length greater than or equal to 1");
  if (key->size() > 256)
    return Validation("'" + *key + "'", where + "partitionKey", "have length less than or equal to 256");
  auto data = Str(r, "Data");
  if (!data) return Validation("null", where + "data", "not be null");
  if (data->size() > kMaxRecordBytes)
    return Validation("", where + "data",
                      "have length less than or equal to " + std::to_string(kMaxRecordBytes));
  if (data->size() + key->size() > kMaxRecordBytes)
    return InvalidArgument("Record size exceeds the 1 MiB limit (data and partition key together).");
  rec.partition_key = std::move(*key);
  rec.data = std::move(*data);
  if (auto ehk = Str(r, "ExplicitHashKey")) {
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

// The stream, ready for writes (ACTIVE or UPDATING), locked shared by `lk`.
Result<std::shared_ptr<StreamState>> WritableStream(Env& env, const json::object& p,
                                                    std::shared_lock<std::shared_mutex>& lk) {
  auto found = env.FindStream(p);
  if (!found) return std::move(found).error();
  lk = std::shared_lock<std::shared_mutex>((*found)->mu);
  std::string status = env.EffectiveStatus(**found);
  if (status != "ACTIVE" && status != "UPDATING") return StreamNotFound(env, (*found)->name);
  return found;
}

struct Placement {
  const ShardState* shard = nullptr;
  std::string error_code;
  std::string error_message;
  std::string sequence_number;
};

// Routes, throttles and appends `records`; one Placement per record.
Result<std::vector<Placement>> Write(Env& env, StreamState& s, std::vector<PendingRecord>& records) {
  auto open = s.OpenShards();
  std::vector<Placement> placed(records.size());
  const std::int64_t now = env.Now();
  {
    std::lock_guard<std::mutex> g(s.limiter_mu);
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
            MakeKinesisError(errors::kThroughputExceeded, {shard->shard_id, s.name, env.Account()}).message;
        continue;
      }
      limiter.write_records = records_probe;
      limiter.write_bytes = bytes_probe;
    }
  }
  // One Append per shard, records in request order. The shards' appends (each a write + fsync) run in
  // parallel, so a batch spread over N shards costs about one fsync of latency, not N.
  struct ShardBatch {
    const ShardState* shard;
    std::vector<std::size_t> indexes;
    std::vector<store::StreamRecordInput> records;
    Result<std::vector<std::uint64_t>> sequences = std::vector<std::uint64_t>{};
  };
  std::map<const ShardState*, std::vector<std::size_t>> by_shard;
  for (std::size_t i = 0; i < records.size(); ++i)
    if (placed[i].error_code.empty()) by_shard[placed[i].shard].push_back(i);
  std::vector<ShardBatch> batches;
  for (auto& [shard, indexes] : by_shard) {
    ShardBatch b{shard, std::move(indexes), {}};
    b.records.reserve(b.indexes.size());
    for (std::size_t i : b.indexes) {
      store::StreamRecordInput in;
      in.arrival_ms = now;
      in.partition_key = std::move(records[i].partition_key);
      in.explicit_hash_key = records[i].explicit_hash_key;
      in.data = std::move(records[i].data);
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
        pl.error_code = b.sequences.error().code;
        pl.error_message = b.sequences.error().message;
      } else if (!b.sequences) {
        pl.error_code = errors::kInternalFailure.code;
        pl.error_message = errors::kInternalFailure.message;
      } else {
        pl.sequence_number = EncodeSequenceNumber((*b.sequences)[k], b.shard->index);
      }
    }
    if (b.sequences) {
      std::int64_t bytes = 0;
      for (const auto& r : b.records)
        bytes += static_cast<std::int64_t>(r.data.size() + r.partition_key.size());
      env.Count(s, [&](StreamMetrics& m) {
        m.incoming_records += static_cast<std::int64_t>(b.records.size());
        m.incoming_bytes += bytes;
      });
    } else {
      spdlog::error("kinesis: append to {} failed: {}", s.LogName(*b.shard), b.sequences.error().message);
    }
  }
  return placed;
}

}  // namespace

Result<OperationOutput> PutRecord(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto rec = ParseRecord(p, "");
  if (!rec) return std::move(rec).error();
  // Only the pattern is checked: sequences within a shard already increase in arrival order, so ordering by
  // SequenceNumberForOrdering holds without further work.
  auto valid_ordering = [](const std::string& v) {
    if (v == "0") return true;
    if (v.empty() || v.size() > 129 || v[0] == '0') return false;
    return std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (auto ordering = Str(p, "SequenceNumberForOrdering"); ordering && !valid_ordering(*ordering))
    return Validation("'" + *ordering + "'", "sequenceNumberForOrdering",
                      "satisfy regular expression pattern: 0|([1-9]\\d{0,128})");
  std::shared_lock<std::shared_mutex> lk;
  auto found = WritableStream(env, p, lk);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::vector<PendingRecord> records;
  records.push_back(std::move(rec).value());
  auto placed = Write(env, s, records);
  if (!placed) return std::move(placed).error();
  const Placement& pl = (*placed)[0];
  if (!pl.error_code.empty()) {
    if (pl.error_code == errors::kThroughputExceeded.code) {
      env.Count(s, [](StreamMetrics& m) { ++m.write_provisioned_throughput_exceeded; });
      return MakeKinesisError(errors::kThroughputExceeded, {pl.shard->shard_id, s.name, env.Account()});
    }
    if (pl.error_code == store::InsufficientStorage().code) return store::InsufficientStorage();
    return MakeKinesisError(errors::kInternalFailure);
  }
  env.Count(s, [](StreamMetrics& m) { ++m.put_record_success; });
  OperationOutput out;
  out.result = json::object{{"ShardId", pl.shard->shard_id},
                            {"SequenceNumber", pl.sequence_number},
                            {"EncryptionType", s.encryption_type}};
  return out;
}

Result<OperationOutput> PutRecords(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto it = p.find("Records");
  if (it == p.end() || !it->value().is_array()) return Validation("null", "records", "not be null");
  const auto& list = it->value().as_array();
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
    auto rec = ParseRecord(list[i].as_object(), "records." + std::to_string(i + 1) + ".member.");
    if (!rec) return std::move(rec).error();
    total += rec->data.size() + rec->partition_key.size();
    records.push_back(std::move(rec).value());
  }
  if (total > kMaxPutRecordsBytes) return InvalidArgument("Records size exceeds 5 MB limit");
  std::shared_lock<std::shared_mutex> lk;
  auto found = WritableStream(env, p, lk);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  auto placed = Write(env, s, records);
  if (!placed) return std::move(placed).error();
  // When the disk refused every record, the whole call fails with the storage error, as PutRecord does;
  // a partial refusal is reported per record.
  if (std::all_of(placed->begin(), placed->end(),
                  [](const Placement& pl) { return pl.error_code == store::InsufficientStorage().code; }))
    return store::InsufficientStorage();
  json::array results;
  std::int64_t failed = 0;
  std::int64_t throttled = 0;
  for (const auto& pl : *placed) {
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
    m.put_records_total_records += static_cast<std::int64_t>(placed->size());
    m.put_records_successful_records += static_cast<std::int64_t>(placed->size()) - failed;
    m.put_records_failed_records += failed;
    m.put_records_throttled_records += throttled;
    m.write_provisioned_throughput_exceeded += throttled;
  });
  OperationOutput out;
  out.result = json::object{
      {"FailedRecordCount", failed}, {"Records", std::move(results)}, {"EncryptionType", s.encryption_type}};
  return out;
}

Result<OperationOutput> GetRecords(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto iterator = Str(p, "ShardIterator");
  if (!iterator) return Validation("null", "shardIterator", "not be null");
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ShardIterator", "shardIterator", 1, 512, true));
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "Limit", "limit", 1, kMaxGetRecordsLimit));
  auto pos = DecodeIterator(env, *iterator);
  if (!pos) return std::move(pos).error();
  auto found = env.FindStreamByName(pos->stream);
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::shared_lock<std::shared_mutex> lk(s.mu);
  if (s.created_ms != pos->stream_created_ms) return StreamNotFound(env, pos->stream);
  if (auto arn = Str(p, "StreamARN"); arn && *arn != s.arn)
    return InvalidArgument("StreamARN " + *arn + " does not match the stream of the ShardIterator.");
  ShardState* shard = s.FindShard(pos->shard_id);
  if (!shard) return ShardNotFound(env, s.name, pos->shard_id);
  const std::int64_t now = env.Now();
  {
    std::lock_guard<std::mutex> g(s.limiter_mu);
    if (!s.limiters[shard->shard_id].get_records.Take(1, env.options.get_records_per_second, now)) {
      env.Count(s, [](StreamMetrics& m) { ++m.read_provisioned_throughput_exceeded; });
      return MakeKinesisError(errors::kThroughputExceeded, {shard->shard_id, s.name, env.Account()});
    }
  }
  const std::size_t limit = static_cast<std::size_t>(Int(p, "Limit").value_or(kMaxGetRecordsLimit));
  auto read = env.log.Read(s.LogName(*shard), pos->next_sequence, limit, kMaxGetRecordsBytes);
  if (!read) return std::move(read).error();
  json::array records;
  std::int64_t bytes = 0;
  std::int64_t last_arrival = 0;
  // Records past the retention period are gone for readers even before maintenance deletes their segment
  // (segments are removed whole, so the newest segment can hold expired records for a while).
  const std::int64_t retention_cutoff = now - static_cast<std::int64_t>(s.retention_hours) * 3600 * 1000;
  std::int64_t returned = 0;
  for (auto& r : read->records) {
    if (r.arrival_ms < retention_cutoff) continue;
    ++returned;
    bytes += static_cast<std::int64_t>(r.data.size());
    last_arrival = r.arrival_ms;
    json::object o{{"SequenceNumber", EncodeSequenceNumber(r.sequence, shard->index)},
                   {"ApproximateArrivalTimestamp", r.arrival_ms},
                   {"Data", json::string(r.data)},
                   {"PartitionKey", r.partition_key}};
    if (s.encryption_type == "KMS") o["EncryptionType"] = "KMS";
    records.push_back(std::move(o));
  }
  const bool at_tip = read->next_sequence >= read->bounds.next_sequence;
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
    IteratorPosition next = *pos;
    next.next_sequence = read->next_sequence;
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
  OperationOutput out;
  out.result = std::move(out_doc);
  return out;
}

}  // namespace cenote::kinesis
