// KinesisStreamAsSource: the delivery stream reads its source Kinesis stream in-process (through the request
// pipeline, as a client would: ListShards, GetShardIterator, GetRecords) as the source configuration's role,
// in the source stream ARN's region, and copies the records into its own log, from which they are buffered
// and delivered like DirectPut records.
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

Result<json::object> CallKinesis(Env& env, const aws::Caller& caller, std::string_view op,
                                 json::object params) {
  OperationInput in;
  in.params = std::move(params);
  CENOTE_ASSIGN_OR_RETURN(OperationOutput out, env.invoker->Call(caller, "kinesis", op, in));
  if (!out.result.is_object()) return json::object{};
  return std::move(out.result.as_object());
}

}  // namespace

Result<int> Env::PullFromKinesis(DeliveryStreamState& s) {
  if (invoker == nullptr) return InternalError("firehose: KinesisStreamAsSource without a Kinesis invoker");
  const json::object* src = GetObject(s.source, "KinesisStreamSourceDescription");
  std::string stream_arn = src ? GetString(*src, "KinesisStreamARN").value_or("") : "";
  const aws::Caller caller = KinesisSourceCaller(s);

  if (!s.kinesis_loaded) {
    std::uint64_t scan_from = UINT64_MAX;
    {
      CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kRead));
      CENOTE_ASSIGN_OR_RETURN(
          auto rows,
          txn->Query(
              "SELECT shard_id, after_sequence, log_next FROM firehose_kinesis_positions WHERE uid = ?",
              {s.uid}));
      for (const auto& row : rows) {
        s.kinesis_positions[store::AsText(row[0])] = store::AsText(row[1]);
        scan_from = std::min(scan_from, static_cast<std::uint64_t>(store::AsInt(row[2])));
      }
    }
    if (scan_from == UINT64_MAX) scan_from = 0;
    // Records appended after the last stored position (a crash before the position commit).
    for (int guard = 0; guard < 100'000; ++guard) {
      CENOTE_ASSIGN_OR_RETURN(auto read, log.Read(s.uid, scan_from, 10'000, 64ull << 20));
      if (read.records.empty()) break;
      for (const auto& r : read.records) {
        auto bar = r.partition_key.find('|');
        if (bar == std::string::npos) continue;
        std::string shard = r.partition_key.substr(0, bar);
        std::string seq = r.partition_key.substr(bar + 1);
        auto& pos = s.kinesis_positions[shard];
        if (pos.empty() || SequenceLess(pos, seq)) pos = seq;
      }
      scan_from = read.next_sequence;
    }
    s.kinesis_loaded = true;
  }

  CENOTE_ASSIGN_OR_RETURN(json::object shards,
                          CallKinesis(*this, caller, "ListShards", json::object{{"StreamARN", stream_arn}}));
  int copied = 0;
  const json::array* list = services::GetArray(shards, "Shards");
  if (list == nullptr) return 0;
  for (const auto& shard_value : *list) {
    if (!shard_value.is_object()) continue;
    std::string shard_id = GetString(shard_value.as_object(), "ShardId").value_or("");
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
    CENOTE_ASSIGN_OR_RETURN(json::object iterator,
                            CallKinesis(*this, caller, "GetShardIterator", std::move(it_params)));
    std::optional<std::string> next = GetString(iterator, "ShardIterator");
    for (int call = 0; call < kMaxGetRecordsCallsPerShard && next; ++call) {
      CENOTE_ASSIGN_OR_RETURN(
          json::object got,
          CallKinesis(*this, caller, "GetRecords", json::object{{"ShardIterator", *next}, {"Limit", 10000}}));
      next = GetString(got, "NextShardIterator");
      const json::array* records = services::GetArray(got, "Records");
      if (records == nullptr || records->empty()) break;
      std::vector<store::StreamRecordInput> inputs;
      std::string last;
      for (const auto& rv : *records) {
        if (!rv.is_object()) continue;
        const auto& r = rv.as_object();
        store::StreamRecordInput in;
        in.arrival_ms = GetInt(r, "ApproximateArrivalTimestamp").value_or(Now());
        last = GetString(r, "SequenceNumber").value_or("");
        in.partition_key = shard_id + "|" + last;
        in.data = GetString(r, "Data").value_or("");
        inputs.push_back(std::move(in));
      }
      CENOTE_ASSIGN_OR_RETURN(std::vector<std::uint64_t> seqs, log.Append(s.uid, inputs));
      {
        MutexLock lock(s.metrics_mu);
        for (const auto& in : inputs) {
          s.metrics.incoming_records += 1;
          s.metrics.incoming_bytes += static_cast<std::int64_t>(in.data.size());
        }
      }
      s.kinesis_positions[shard_id] = last;
      copied += static_cast<int>(inputs.size());
      CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
      CENOTE_RETURN_IF_ERROR(txn->Exec(
          "INSERT INTO firehose_kinesis_positions (uid, shard_id, after_sequence, log_next) VALUES (?, ?, ?, "
          "?) "
          "ON CONFLICT (uid, shard_id) DO UPDATE SET after_sequence = excluded.after_sequence, log_next = "
          "excluded.log_next",
          {s.uid, shard_id, last, static_cast<std::int64_t>(seqs.back() + 1)}));
      CENOTE_RETURN_IF_ERROR(txn->Commit());
    }
  }
  return copied;
}

}  // namespace cenote::firehose
