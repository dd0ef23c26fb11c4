// Delivery of buffered records to S3: one object per flushed batch, exactly once across crashes.
//
// Order of a flush (Env::Deliver):
//   1. read the undelivered records from the stream's log, starting at the committed position P;
//   2. build the object (records concatenated, compressed) and its key, which depends only on the stream
//      (name, version), P and the first record's arrival time;
//   3. PutObject through the lake, as the destination's role in the stream's region (durable when it
//      returns);
//   4. commit the new position (one past the batch's last sequence) in the MetadataStore;
//   5. trim log segments that hold only delivered records.
// A crash after 3 and before 4 replays the batch from P on restart: same key, so the object is overwritten
// with the same records (or a superset when more records arrived meanwhile), never duplicated. A crash
// before 3 loses nothing: the records are still in the log above P.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/encoding.hpp"
#include "services/firehose/internal.hpp"

namespace cenote::firehose {

namespace {

constexpr std::size_t kMaxBatchRecordsRead = 500'000;
constexpr int kMaxFlushesPerCall = 64;

// A UUID-formatted string derived from the batch identity (uid, first sequence), so a replay names the
// same object.
std::string BatchUuid(const std::string& uid, std::uint64_t first_sequence, const std::string& group) {
  std::string h = Sha256Hex(uid + ":" + std::to_string(first_sequence) + ":" + group);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20, 12);
}

std::string BatchRandomString(const std::string& uid, std::uint64_t first_sequence) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string h = Sha256Hex("random-string:" + uid + ":" + std::to_string(first_sequence));
  std::string out;
  for (std::size_t i = 0; i < 11; ++i) {
    unsigned v = static_cast<unsigned>(std::stoul(h.substr(i * 2, 2), nullptr, 16));
    out += kAlphabet[v % 62];
  }
  return out;
}

constexpr const char* kPartitioningFailed = "partitioning-failed";
constexpr const char* kFormatConversionFailed = "format-conversion-failed";

bool AppendsDelimiter(const json::object& dest) {
  const auto* proc = GetObject(dest, "ProcessingConfiguration");
  if (proc == nullptr || !GetBool(*proc, "Enabled").value_or(true)) return false;
  const json::array* list = services::GetArray(*proc, "Processors");
  if (list == nullptr) return false;
  for (const auto& p : *list)
    if (p.is_object() && GetString(p.as_object(), "Type").value_or("") == "AppendDelimiterToRecord")
      return true;
  return false;
}

}  // namespace

Result<int> Env::Deliver(DeliveryStreamState& s, bool force) {
  MutexLock delivery_lock(s.delivery_mu);
  if (s.type == "KinesisStreamAsSource") {
    auto pulled = PullFromKinesis(s);
    if (!pulled)
      spdlog::warn("firehose {}: reading the source Kinesis stream: {}", s.arn, pulled.error().message);
  }
  // The destination as it is now: UpdateDestination waits for this delivery (delivery_mu) to change it.
  json::object dest;
  std::int64_t version = 0;
  {
    MutexLock lock(s.mu);
    dest = s.destination;
    version = s.version;
  }
  const std::string& name = s.name;
  const std::string bucket = GetString(dest, "BucketARN").value_or("").substr(13);  // after "arn:aws:s3:::"
  const json::object& hints = dest["BufferingHints"].as_object();
  const std::uint64_t size_limit = static_cast<std::uint64_t>(GetInt(hints, "SizeInMBs").value_or(5)) << 20;
  const std::int64_t interval_ms = GetInt(hints, "IntervalInSeconds").value_or(300) * 1000;
  const std::string compression = GetString(dest, "CompressionFormat").value_or("UNCOMPRESSED");
  const std::string prefix = GetString(dest, "Prefix").value_or("");
  const bool delimiter = AppendsDelimiter(dest);
  const std::string error_prefix = GetString(dest, "ErrorOutputPrefix").value_or("");
  std::optional<PartitionQuery> query;
  if (const auto* dp = GetObject(dest, "DynamicPartitioningConfiguration");
      dp && GetBool(*dp, "Enabled").value_or(false)) {
    auto text = MetadataExtractionQuery(dest);
    if (!text)
      return InternalError("firehose " + s.arn + ": partitioning without a query");  // refused at create
    CENOTE_ASSIGN_OR_RETURN(query, ParsePartitionQuery(*text));
  }
  const bool convert = ConversionEnabled(dest);
  std::string extension =
      GetString(dest, "FileExtension").value_or(std::string(CompressionExtension(compression)));
  // Every object of this delivery is written as the destination's role, in the stream's region.
  const std::unique_ptr<s3::LakeAccess> lake_access = lake.For(S3DeliveryCaller(s, dest));
  // KMSEncryptionConfig: each object SSE-KMS under that key, its data key asked of KMS as the role via S3.
  if (const auto* encryption = GetObject(dest, "EncryptionConfiguration")) {
    if (const auto* kms = GetObject(*encryption, "KMSEncryptionConfig")) {
      lake_access->SetWriteEncryption(s3::LakeWriteEncryption{
          .algorithm = "aws:kms", .kms_key_id = GetString(*kms, "AWSKMSKeyARN").value_or("")});
    }
  }

  int written = 0;
  for (int flush = 0; flush < kMaxFlushesPerCall; ++flush) {
    CENOTE_ASSIGN_OR_RETURN(std::uint64_t position, DeliveredPosition(s));
    CENOTE_ASSIGN_OR_RETURN(auto batch, log.Read(s.uid, position, kMaxBatchRecordsRead, size_limit));
    const auto& records = batch.records;
    if (records.empty()) break;
    std::uint64_t bytes = 0;
    for (const auto& r : records) bytes += r.data.size();
    const std::int64_t now = Now();
    const std::int64_t first_arrival = records.front().arrival_ms;
    // A read cut short by the size limit (records remain after it) is a full buffer too: the next record
    // would take it past SizeInMBs.
    const bool more = batch.next_sequence < batch.bounds.next_sequence;
    bool due = force || bytes >= size_limit || (more && !records.empty()) ||
               records.size() == kMaxBatchRecordsRead || now - first_arrival >= interval_ms;
    if (!due) break;
    // Records sealed by buffer encryption open here, just before they are written (encryption.cpp); a key
    // KMS refuses leaves them in the buffer for the next attempt.
    for (auto& r : batch.records) {
      if (!r.encrypted) continue;
      CENOTE_ASSIGN_OR_RETURN(r.data, OpenBuffered(*this, s, r.data));
      r.encrypted = false;
    }

    const std::uint64_t first_sequence = records.front().sequence;
    // Group the batch: one object per distinct partition-key set (dynamic partitioning), else one object.
    // Records whose keys cannot be extracted go to one error object under ErrorOutputPrefix.
    std::map<std::string, std::pair<std::map<std::string, std::string>, std::vector<std::size_t>>> groups;
    std::string error_lines;
    if (query) {
      for (std::size_t i = 0; i < records.size(); ++i) {
        auto keys = EvaluatePartitionQuery(*query, records[i].data);
        if (!keys) {
          error_lines += ErrorRecord(records[i], keys.error().code, keys.error().message, now);
          continue;
        }
        std::string id = json::serialize(json::value_from(*keys));
        auto& g = groups[id];
        g.first = std::move(*keys);
        g.second.push_back(i);
      }
    } else {
      auto& g = groups[""];
      for (std::size_t i = 0; i < records.size(); ++i) g.second.push_back(i);
    }

    struct PendingObject {
      std::string key = {};
      std::string body = {};
      std::string file = {};  // a local file to upload instead of `body` (Parquet); removed afterwards
    };
    std::vector<PendingObject> objects;
    std::string conversion_errors;
    for (const auto& [id, group] : groups) {
      PrefixContext ctx{.timestamp_ms = first_arrival,
                        .random_string = BatchRandomString(s.uid, first_sequence),
                        .error_output_type = "",
                        .partition_keys = query ? &group.first : nullptr};
      // Without a timestamp expression (and without dynamic partitioning) AWS appends "YYYY/MM/DD/HH/".
      CENOTE_ASSIGN_OR_RETURN(std::string key, ExpandPrefix(prefix, ctx));
      if (!query && prefix.find("!{timestamp:") == std::string::npos) key += DefaultPrefix(first_arrival);
      const std::string uuid = BatchUuid(s.uid, first_sequence, id);
      key += name + "-" + std::to_string(version) + "-" + ObjectTimestamp(first_arrival) + "-" + uuid;
      if (convert) {
        std::vector<const store::StreamRecord*> members;
        for (std::size_t i : group.second) members.push_back(&records[i]);
        std::string file = options.conversion_dir + "/" + s.uid + "-" + uuid + ".parquet";
        CENOTE_ASSIGN_OR_RETURN(ConversionResult converted,
                                ConvertToParquet(options, s.account, s.region, dest, members, file, now));
        conversion_errors += converted.error_lines;
        if (converted.converted > 0)
          objects.push_back(
              {.key = key + GetString(dest, "FileExtension").value_or(".parquet"), .file = file});
        continue;
      }
      std::string body;
      for (std::size_t i : group.second) {
        body += records[i].data;
        if (delimiter) body += '\n';
      }
      if (compression == "GZIP") {
        CENOTE_ASSIGN_OR_RETURN(body, Gzip(body));
      }
      if (compression == "Snappy") body = SnappyFramed(body);
      if (compression == "HADOOP_SNAPPY") body = HadoopSnappy(body);
      if (compression == "ZIP") {
        CENOTE_ASSIGN_OR_RETURN(body, Zip(body, key.substr(key.rfind('/') + 1)));
      }
      objects.push_back({.key = key + extension, .body = std::move(body)});
    }
    for (const auto& [type, lines] : {std::pair<const char*, std::string*>{kPartitioningFailed, &error_lines},
                                      {kFormatConversionFailed, &conversion_errors}}) {
      if (lines->empty()) continue;
      PrefixContext ctx{.timestamp_ms = first_arrival,
                        .random_string = BatchRandomString(s.uid, first_sequence),
                        .error_output_type = type,
                        .partition_keys = nullptr};
      CENOTE_ASSIGN_OR_RETURN(std::string key, ExpandPrefix(error_prefix, ctx));
      if (error_prefix.find("!{timestamp:") == std::string::npos) key += DefaultPrefix(first_arrival);
      key += name + "-" + std::to_string(version) + "-" + ObjectTimestamp(first_arrival) + "-" +
             BatchUuid(s.uid, first_sequence, type);
      objects.push_back({.key = std::move(key), .body = std::move(*lines)});
    }

    Status put_status = Status::Ok();
    for (const auto& o : objects) {
      if (!put_status.ok()) {
        if (!o.file.empty()) ::unlink(o.file.c_str());
        continue;
      }
      auto put = o.file.empty()
                     ? lake_access->PutObject(bucket, o.key, o.body, "application/octet-stream")
                     : lake_access->PutObjectFromFile(bucket, o.key, o.file, "application/octet-stream");
      if (!o.file.empty()) ::unlink(o.file.c_str());
      if (!put) put_status = put.error();
    }
    if (!put_status.ok()) {
      MutexLock lock(s.metrics_mu);
      s.metrics.delivery_failures += 1;
      // AWS retries S3 delivery (for up to 24 hours); the batch stays in the log and is retried (with the
      // same keys) on the next poll.
      return std::move(put_status).error();
    }
    CENOTE_RETURN_IF_ERROR(CommitPosition(s, records.back().sequence + 1));
    if (auto trimmed = log.Trim(s.uid, records.back().arrival_ms); !trimmed)
      spdlog::warn("firehose {}: trimming delivered records: {}", name, trimmed.error().message);
    {
      MutexLock lock(s.metrics_mu);
      s.metrics.delivery_records += static_cast<std::int64_t>(records.size());
      s.metrics.delivery_bytes += static_cast<std::int64_t>(bytes);
      s.metrics.delivery_success += static_cast<std::int64_t>(objects.size());
      s.metrics.data_freshness_ms = now - first_arrival;
    }
    written += static_cast<int>(objects.size());
  }
  return written;
}

}  // namespace cenote::firehose
