// Data plane: PutRecord and PutRecordBatch. Accepted records are appended to the stream's StreamLog, which
// returns only after they are fsynced, before the call answers.
#include <cstdio>

#include "services/firehose/internal.hpp"
#include "store/free_space.hpp"

namespace cenote::firehose {

namespace {

// A record id that names the record's place in the stream: 32 hex digits of the stream uid's hash space
// plus the 20-digit log sequence (AWS's ids are opaque strings; clients only echo them).
std::string RecordIdOf(const DeliveryStreamState& s, std::uint64_t sequence) {
  char seq[24];
  std::snprintf(seq, sizeof(seq), "%020llu", static_cast<unsigned long long>(sequence));
  return s.uid + seq;
}

Result<std::shared_ptr<DeliveryStreamState>> FindWritable(FirehoseProvider::Env& env, const json::object& p) {
  auto found = env.FindStream(p);
  if (!found) return found.error();
  const auto& s = **found;
  if (s.type == "KinesisStreamAsSource") return MakeFirehoseError(errors::kKinesisSourcePut);
  std::string status = env.EffectiveStatus(s);
  if (status != "ACTIVE")
    return MakeFirehoseError(errors::kStreamNotActive, {s.name, env.options.account_id, status});
  return *found;
}

Result<std::string> RecordData(const json::value& record, std::string_view member) {
  const json::object* o = record.if_object();
  auto data = o ? Str(*o, "Data") : std::nullopt;
  if (!data)
    return MakeFirehoseError(errors::kValidation, {"null", std::string(member) + ".data", "not be null"});
  if (data->size() > kMaxRecordBytes)
    return MakeFirehoseError(errors::kValidation,
                             {"'java.nio.HeapByteBuffer[pos=0 lim=" + std::to_string(data->size()) + "]'",
                              std::string(member) + ".data", "have length less than or equal to 1024000"});
  return *data;
}

void CountIncoming(DeliveryStreamState& s, const std::vector<store::StreamRecordInput>& records) {
  std::lock_guard<std::mutex> g(s.metrics_mu);
  for (const auto& r : records) {
    s.metrics.incoming_records += 1;
    s.metrics.incoming_bytes += static_cast<std::int64_t>(r.data.size());
  }
}

}  // namespace

Result<OperationOutput> PutRecord(FirehoseProvider::Env& env, const RequestContext&, OperationInput& in) {
  const auto& p = in.params.as_object();
  auto s = FindWritable(env, p);
  if (!s) return s.error();
  const json::value* record = p.if_contains("Record");
  if (record == nullptr) return MakeFirehoseError(errors::kValidation, {"null", "record", "not be null"});
  auto data = RecordData(*record, "record");
  if (!data) return data.error();
  std::vector<store::StreamRecordInput> records(1);
  records[0].arrival_ms = env.Now();
  records[0].data = std::move(*data);
  auto seqs = env.log.Append((*s)->uid, records);
  // A full disk is no reason to slow down and retry: it fails the call (507, not retried).
  if (!seqs && store::IsInsufficientStorage(seqs.error())) return std::move(seqs).error();
  if (!seqs) return MakeError("ServiceUnavailableException", "Slow down.", 503);
  CountIncoming(**s, records);
  OperationOutput out;
  out.result = json::object{{"RecordId", RecordIdOf(**s, seqs->at(0))}, {"Encrypted", false}};
  return out;
}

Result<OperationOutput> PutRecordBatch(FirehoseProvider::Env& env, const RequestContext&,
                                       OperationInput& in) {
  const auto& p = in.params.as_object();
  const json::value* list = p.if_contains("Records");
  if (list == nullptr || !list->is_array())
    return MakeFirehoseError(errors::kValidation, {"null", "records", "not be null"});
  const auto& arr = list->as_array();
  if (arr.empty() || arr.size() > kMaxBatchRecords)
    return MakeFirehoseError(
        errors::kValidation,
        {"'[...]'", "records",
         "have length less than or equal to 500, have length greater than or equal to 1"});
  auto s = FindWritable(env, p);
  if (!s) return s.error();
  std::vector<store::StreamRecordInput> records(arr.size());
  std::size_t total = 0;
  std::int64_t now = env.Now();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    auto data = RecordData(arr[i], "records." + std::to_string(i + 1) + ".member");
    if (!data) return data.error();
    total += data->size();
    records[i].arrival_ms = now;
    records[i].data = std::move(*data);
  }
  if (total > kMaxBatchBytes)
    return MakeFirehoseError(errors::kInvalidArgument, {"Records size exceeds 4 MB limit"});
  auto seqs = env.log.Append((*s)->uid, records);
  if (!seqs && store::IsInsufficientStorage(seqs.error())) return std::move(seqs).error();
  json::array responses;
  int failed = 0;
  if (!seqs) {
    // All or nothing (StreamLog::Append): every record failed; the client retries them.
    for (std::size_t i = 0; i < records.size(); ++i)
      responses.push_back(
          json::object{{"ErrorCode", "ServiceUnavailableException"}, {"ErrorMessage", "Slow down."}});
    failed = static_cast<int>(records.size());
  } else {
    CountIncoming(**s, records);
    for (auto seq : *seqs) responses.push_back(json::object{{"RecordId", RecordIdOf(**s, seq)}});
  }
  OperationOutput out;
  out.result = json::object{
      {"FailedPutCount", failed}, {"Encrypted", false}, {"RequestResponses", std::move(responses)}};
  return out;
}

}  // namespace cenote::firehose
