// Data plane: PutRecord and PutRecordBatch. Accepted records are appended to the stream's StreamLog, which
// returns only after they are fsynced, before the call answers.
#include <spdlog/spdlog.h>

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

Result<std::shared_ptr<DeliveryStreamState>> FindWritable(Env& env, const RequestContext& ctx,
                                                          const json::object& p) {
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  const DeliveryStreamState& s = *stream;
  if (s.type == "KinesisStreamAsSource") return services::MakeError(errors::kKinesisSourcePut);
  std::string status = env.EffectiveStatus(s);
  if (status != "ACTIVE") return services::MakeError(errors::kStreamNotActive, {s.name, s.account, status});
  return stream;
}

Result<std::string> RecordData(const json::value& record, std::string_view member) {
  const json::object* o = record.if_object();
  auto data = o ? GetString(*o, "Data") : std::nullopt;
  if (!data)
    return services::MakeError(errors::kValidation, {"null", std::string(member) + ".data", "not be null"});
  if (data->size() > kMaxRecordBytes)
    return services::MakeError(errors::kValidation,
                               {"'java.nio.HeapByteBuffer[pos=0 lim=" + std::to_string(data->size()) + "]'",
                                std::string(member) + ".data", "have length less than or equal to 1024000"});
  return *data;
}

void CountIncoming(DeliveryStreamState& s, const std::vector<store::StreamRecordInput>& records,
                   std::int64_t bytes) {
  MutexLock lock(s.metrics_mu);
  s.metrics.incoming_records += static_cast<std::int64_t>(records.size());
  s.metrics.incoming_bytes += bytes;
}

// Seals every record when the stream's buffer is encrypted (encryption.cpp); returns whether it is.
// InvalidKMSResourceException when KMS refuses the stream's customer managed key.
Result<bool> SealIfEncrypted(Env& env, DeliveryStreamState& s,
                             std::vector<store::StreamRecordInput>& records) {
  json::object encryption;
  {
    MutexLock lock(s.mu);
    encryption = s.encryption;
  }
  CENOTE_ASSIGN_OR_RETURN(auto sealer, SealerFor(env, s, encryption));
  if (!sealer) return false;
  for (auto& r : records) {
    CENOTE_ASSIGN_OR_RETURN(r.data, SealBuffered(s, *sealer, r.data));
    r.encrypted = true;
  }
  return true;
}

}  // namespace

Result<OperationOutput> PutRecord(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto stream, FindWritable(env, ctx, p));
  DeliveryStreamState& s = *stream;
  const json::value* record = p.if_contains("Record");
  if (record == nullptr) return services::MakeError(errors::kValidation, {"null", "record", "not be null"});
  CENOTE_ASSIGN_OR_RETURN(std::string data, RecordData(*record, "record"));
  std::vector<store::StreamRecordInput> records(1);
  records[0].arrival_ms = env.Now();
  const auto bytes = static_cast<std::int64_t>(data.size());
  records[0].data = std::move(data);
  CENOTE_ASSIGN_OR_RETURN(bool encrypted, SealIfEncrypted(env, s, records));
  auto seqs = env.log.Append(s.uid, records);
  // A full disk is no reason to slow down and retry: it fails the call (507, not retried).
  if (!seqs && store::IsInsufficientStorage(seqs.error())) return store::InsufficientStorage();
  if (!seqs) {
    spdlog::warn("firehose {}: append failed: {}", s.arn, seqs.error().message);
    return services::MakeError(errors::kServiceUnavailable);
  }
  CountIncoming(s, records, bytes);
  return json::object{{"RecordId", RecordIdOf(s, seqs->at(0))}, {"Encrypted", encrypted}};
}

Result<OperationOutput> PutRecordBatch(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = in.params.as_object();
  const json::array* list = services::GetArray(p, "Records");
  if (list == nullptr) return services::MakeError(errors::kValidation, {"null", "records", "not be null"});
  const auto& arr = *list;
  if (arr.empty() || arr.size() > kMaxBatchRecords)
    return services::MakeError(
        errors::kValidation,
        {"'[...]'", "records",
         "have length less than or equal to 500, have length greater than or equal to 1"});
  CENOTE_ASSIGN_OR_RETURN(auto stream, FindWritable(env, ctx, p));
  DeliveryStreamState& s = *stream;
  std::vector<store::StreamRecordInput> records(arr.size());
  std::size_t total = 0;
  std::int64_t now = env.Now();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    CENOTE_ASSIGN_OR_RETURN(std::string data,
                            RecordData(arr[i], "records." + std::to_string(i + 1) + ".member"));
    total += data.size();
    records[i].arrival_ms = now;
    records[i].data = std::move(data);
  }
  if (total > kMaxBatchBytes)
    return services::MakeError(errors::kInvalidArgument, {"Records size exceeds 4 MB limit"});
  CENOTE_ASSIGN_OR_RETURN(bool encrypted, SealIfEncrypted(env, s, records));
  auto seqs = env.log.Append(s.uid, records);
  if (!seqs && store::IsInsufficientStorage(seqs.error())) return store::InsufficientStorage();
  json::array responses;
  int failed = 0;
  if (!seqs) {
    // All or nothing (StreamLog::Append): every record failed; the client retries them.
    spdlog::warn("firehose {}: append failed: {}", s.arn, seqs.error().message);
    for (std::size_t i = 0; i < records.size(); ++i)
      responses.push_back(json::object{{"ErrorCode", errors::kServiceUnavailable.code},
                                       {"ErrorMessage", errors::kServiceUnavailable.message}});
    failed = static_cast<int>(records.size());
  } else {
    CountIncoming(s, records, static_cast<std::int64_t>(total));
    for (auto seq : *seqs) responses.push_back(json::object{{"RecordId", RecordIdOf(s, seq)}});
  }
  return json::object{
      {"FailedPutCount", failed}, {"Encrypted", encrypted}, {"RequestResponses", std::move(responses)}};
}

}  // namespace cenote::firehose
