// KinesisStreamAsSource: the delivery stream reads its source Kinesis stream in-process (through the Kinesis
// provider's Invoke, as a client would: ListShards, GetShardIterator, GetRecords) and copies the records into
// its own log, from which they are buffered and delivered like DirectPut records.
//
// Order: append the copied records to the log (fsynced), then record the shard's position in the
// MetadataStore. Each copied record carries "<shard id>|<sequence number>" as its log partition key, so a
// crash between the two steps is repaired at the next start by scanning the log above the stored position:
// a record is never copied twice.
#include <spdlog/spdlog.h>

#include "services/firehose/internal.hpp"

namespace cenote::firehose {

namespace {

constexpr int kMaxGetRecordsCallsPerShard = 10;

// Kinesis sequence numbers are decimal strings; longer is larger.
bool SequenceLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

Result<json::object> CallKinesis(FirehoseProvider::Env& env, std::string_view op, json::object params) {
  OperationInput in;
  in.params = std::move(params);
  CENOTE_ASSIGN_OR_RETURN(OperationOutput out, env.invoker->Call(env.KinesisCaller(), "kinesis", op, in));
  if (!out.result.is_object()) return json::object{};
  return std::move(out.result.as_object());
}

}  // namespace

Result<int> FirehoseProvider::Env::PullFromKinesis(DeliveryStreamState& s) {
  if (invoker == nullptr) return MakeFirehoseError(errors::kInternalFailure);
  const json::object* src = Obj(s.source, "KinesisStreamSourceDescription");
  std::string stream_arn = src ? Str(*src, "KinesisStreamARN").value_or("") : "";

  if (!s.kinesis_loaded) {
    std::uint64_t scan_from = UINT64_MAX;
    {
      auto tx = metadata.Begin(store::MetadataStore::Mode::kRead);
      if (!tx) return tx.error();
      auto rows = (*tx)->Query(
          "SELECT shard_id, after_sequence, log_next FROM firehose_kinesis_positions WHERE uid = ?", {s.uid});
      if (!rows) return rows.error();
      for (const auto& row : *rows) {
        s.kinesis_positions[store::AsText(row[0])] = store::AsText(row[1]);
        scan_from = std::min(scan_from, static_cast<std::uint64_t>(store::AsInt(row[2])));
      }
    }
    if (scan_from == UINT64_MAX) scan_from = 0;
    // Records appended after the last stored position (a crash before the position commit).
    for (int guard = 0; guard < 100'000; ++guard) {
      auto read = log.Read(s.uid, scan_from, 10'000, 64ull << 20);
      if (!read) return read.error();
      if (read->records.empty()) break;
      for (const auto& r : read->records) {
        auto bar = r.partition_key.find('|');
        if (bar == std::string::npos) continue;
        std::string shard = r.partition_key.substr(0, bar);
        std::string seq = r.partition_key.substr(bar + 1);
        auto& pos = s.kinesis_positions[shard];
        if (pos.empty() || SequenceLess(pos, seq)) pos = seq;
      }
      scan_from = read->next_sequence;
    }
    s.kinesis_loaded = true;
  }

  auto shards = CallKinesis(*this, "ListShards", json::object{{"StreamARN", stream_arn}});
  if (!shards) return shards.error();
  int copied = 0;
  const json::value* list = shards->if_contains("Shards");
  if (list == nullptr || !list->is_array()) return 0;
  for (const auto& shard_value : list->as_array()) {
    if (!shard_value.is_object()) continue;
    std::string shard_id = Str(shard_value.as_object(), "ShardId").value_or("");
    json::object it_params{{"StreamARN", stream_arn}, {"ShardId", shard_id}};
    auto pos = s.kinesis_positions.find(shard_id);
    if (pos != s.kinesis_positions.end() && !pos->second.empty()) {
      it_params["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER";
      it_params["StartingSequenceNumber"] = pos->second;
    } else {
      // AWS starts reading at the delivery stream's creation (DeliveryStartTimestamp).
      it_params["ShardIteratorType"] = "AT_TIMESTAMP";
      it_params["Timestamp"] = s.created_ms;
    }
    auto iterator = CallKinesis(*this, "GetShardIterator", std::move(it_params));
    if (!iterator) return iterator.error();
    std::optional<std::string> next = Str(*iterator, "ShardIterator");
    for (int call = 0; call < kMaxGetRecordsCallsPerShard && next; ++call) {
      auto got = CallKinesis(*this, "GetRecords", json::object{{"ShardIterator", *next}, {"Limit", 10000}});
      if (!got) return got.error();
      next = Str(*got, "NextShardIterator");
      const json::value* records = got->if_contains("Records");
      if (records == nullptr || !records->is_array() || records->as_array().empty()) break;
      std::vector<store::StreamRecordInput> inputs;
      std::string last;
      for (const auto& rv : records->as_array()) {
        if (!rv.is_object()) continue;
        const auto& r = rv.as_object();
        store::StreamRecordInput in;
        in.arrival_ms = Int(r, "ApproximateArrivalTimestamp").value_or(Now());
        last = Str(r, "SequenceNumber").value_or("");
        in.partition_key = shard_id + "|" + last;
        in.data = Str(r, "Data").value_or("");
        inputs.push_back(std::move(in));
      }
      auto seqs = log.Append(s.uid, inputs);
      if (!seqs) return seqs.error();
      {
        std::lock_guard<std::mutex> m(s.metrics_mu);
        for (const auto& in : inputs) {
          s.metrics.incoming_records += 1;
          s.metrics.incoming_bytes += static_cast<std::int64_t>(in.data.size());
        }
      }
      s.kinesis_positions[shard_id] = last;
      copied += static_cast<int>(inputs.size());
      auto tx = metadata.Begin(store::MetadataStore::Mode::kWrite);
      if (!tx) return tx.error();
      auto r = (*tx)->Exec(
          "INSERT INTO firehose_kinesis_positions (uid, shard_id, after_sequence, log_next) VALUES (?, ?, ?, "
          "?) "
          "ON CONFLICT (uid, shard_id) DO UPDATE SET after_sequence = excluded.after_sequence, log_next = "
          "excluded.log_next",
          {s.uid, shard_id, last, static_cast<std::int64_t>(seqs->back() + 1)});
      if (!r) return r.error();
      if (auto st = (*tx)->Commit(); !st.ok()) return st.error();
    }
  }
  return copied;
}

}  // namespace cenote::firehose
