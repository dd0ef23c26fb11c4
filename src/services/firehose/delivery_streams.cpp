// Control plane: CreateDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, DeleteDeliveryStream,
// UpdateDestination and the tag operations. Every delivery stream is looked up in the namespace of the
// request (its caller's account and region).

#include <algorithm>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/firehose/internal.hpp"

namespace cenote::firehose {

namespace {

Error Validation(std::string_view value, std::string_view member, std::string_view constraint) {
  return services::MakeError(errors::kValidation, {value, member, constraint});
}

Error InvalidArgument(std::string_view message) {
  return services::MakeError(errors::kInvalidArgument, {message});
}

Status ValidateStreamName(const std::optional<std::string>& name, std::string_view member) {
  if (!name) return Validation("null", member, "not be null");
  if (name->empty() || name->size() > 64)
    return Validation("'" + *name + "'", member,
                      "have length less than or equal to 64, have length greater than or equal to 1");
  for (char c : *name)
    if (!(IsAsciiAlnum(c) || c == '_' || c == '.' || c == '-'))
      return Validation("'" + *name + "'", member, "satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  return Status::Ok();
}

bool ProcessorEnabled(const json::object& processing) {
  return GetBool(processing, "Enabled").value_or(true);
}

// Applies an Extended/S3 destination configuration or update `cfg` over `dest` (the stored
// ExtendedS3DestinationDescription), filling in AWS's defaults, and checks what Cenote supports.
Status ApplyDestination(const FirehoseOptions& options, const json::object& cfg, json::object& dest) {
  for (const char* member : {"RoleARN", "BucketARN", "Prefix", "ErrorOutputPrefix", "S3BackupMode",
                             "FileExtension", "CustomTimeZone"})
    if (auto v = GetString(cfg, member)) dest[member] = *v;
  for (const char* member : {"EncryptionConfiguration", "CloudWatchLoggingOptions", "ProcessingConfiguration",
                             "DataFormatConversionConfiguration", "DynamicPartitioningConfiguration"})
    if (const auto* o = GetObject(cfg, member)) dest[member] = *o;
  if (auto v = GetString(cfg, "CompressionFormat")) dest["CompressionFormat"] = *v;
  if (const auto* hints = GetObject(cfg, "BufferingHints")) {
    json::object merged =
        dest.contains("BufferingHints") ? dest["BufferingHints"].as_object() : json::object{};
    if (auto size = GetInt(*hints, "SizeInMBs")) merged["SizeInMBs"] = *size;
    if (auto interval = GetInt(*hints, "IntervalInSeconds")) merged["IntervalInSeconds"] = *interval;
    dest["BufferingHints"] = std::move(merged);
  }
  // AWS's defaults (DescribeDeliveryStream shows them).
  json::object& hints = dest["BufferingHints"].is_object() ? dest["BufferingHints"].as_object()
                                                           : dest["BufferingHints"].emplace_object();
  // With format conversion AWS defaults the buffer to 128 MiB and requires at least 64 MiB.
  if (!hints.contains("SizeInMBs")) hints["SizeInMBs"] = ConversionEnabled(dest) ? 128 : 5;
  if (!hints.contains("IntervalInSeconds")) hints["IntervalInSeconds"] = 300;
  if (!dest.contains("CompressionFormat")) dest["CompressionFormat"] = "UNCOMPRESSED";
  if (!dest.contains("EncryptionConfiguration"))
    dest["EncryptionConfiguration"] = json::object{{"NoEncryptionConfig", "NoEncryption"}};
  if (!dest.contains("S3BackupMode")) dest["S3BackupMode"] = "Disabled";

  // Checks.
  std::string bucket_arn = GetString(dest, "BucketARN").value_or("");
  if (bucket_arn.rfind("arn:aws:s3:::", 0) != 0 || bucket_arn.size() <= 13 ||
      bucket_arn.find('/', 13) != std::string::npos)
    return Validation("'" + bucket_arn + "'", "bucketARN",
                      "satisfy regular expression pattern: arn:.*:s3:::[\\w\\.\\-]{1,255}");
  std::int64_t size = GetInt(hints, "SizeInMBs").value_or(5);
  if (size < 1 || size > 128)
    return Validation(std::to_string(size), "bufferingHints.sizeInMBs",
                      "have value less than or equal to 128, have value greater than or equal to 1");
  std::int64_t interval = GetInt(hints, "IntervalInSeconds").value_or(300);
  if (interval < 0 || interval > 900)
    return Validation(std::to_string(interval), "bufferingHints.intervalInSeconds",
                      "have value less than or equal to 900, have value greater than or equal to 0");
  std::string compression = GetString(dest, "CompressionFormat").value_or("");
  if (compression != "UNCOMPRESSED" && compression != "GZIP" && compression != "ZIP" &&
      compression != "Snappy" && compression != "HADOOP_SNAPPY")
    return Validation("'" + compression + "'", "compressionFormat",
                      "satisfy enum value set: [UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY]");
  // Objects are written SSE-KMS with KMSEncryptionConfig's key (S3 asking KMS as the destination's role), or
  // as the bucket's default encryption says with NoEncryptionConfig; never both.
  if (const auto* encryption = GetObject(dest, "EncryptionConfiguration")) {
    const auto* kms = GetObject(*encryption, "KMSEncryptionConfig");
    if (kms && encryption->contains("NoEncryptionConfig"))
      return InvalidArgument(
          "EncryptionConfiguration must have either NoEncryptionConfig or KMSEncryptionConfig, not both.");
    if (kms && GetString(*kms, "AWSKMSKeyARN").value_or("").empty())
      return Validation("null", "encryptionConfiguration.kMSEncryptionConfig.aWSKMSKeyARN", "not be null");
    if (!kms && !encryption->contains("NoEncryptionConfig"))
      dest["EncryptionConfiguration"] = json::object{{"NoEncryptionConfig", "NoEncryption"}};
  }
  CENOTE_RETURN_IF_ERROR(CheckConversion(options, dest));
  if (ConversionEnabled(dest) && size < 64)
    return InvalidArgument(
        "BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled.");
  const auto* dp = GetObject(dest, "DynamicPartitioningConfiguration");
  const bool partitioning = dp && GetBool(*dp, "Enabled").value_or(false);
  if (const auto* proc = GetObject(dest, "ProcessingConfiguration"); proc && ProcessorEnabled(*proc)) {
    if (const json::array* processors = services::GetArray(*proc, "Processors"))
      for (const auto& p : *processors) {
        std::string type = p.is_object() ? GetString(p.as_object(), "Type").value_or("") : "";
        if (type != "AppendDelimiterToRecord" && type != "MetadataExtraction")
          return InvalidArgument("Processor type " + type + " is not supported by this server yet.");
      }
  }
  std::string prefix = GetString(dest, "Prefix").value_or("");
  std::string error_prefix = GetString(dest, "ErrorOutputPrefix").value_or("");
  std::map<std::string, std::string> probe_keys;
  if (partitioning) {
    auto query_text = MetadataExtractionQuery(dest);
    if (!query_text)
      return InvalidArgument(
          "Dynamic partitioning requires a MetadataExtraction processor with a MetadataExtractionQuery "
          "(partitionKeyFromLambda is not supported by this server yet).");
    CENOTE_ASSIGN_OR_RETURN(PartitionQuery query, ParsePartitionQuery(*query_text));
    for (const auto& k : query.keys) probe_keys[k.name] = "x";
    if (PartitionKeysIn(prefix).empty())
      return InvalidArgument(
          "When dynamic partitioning is enabled, the Prefix must contain at least one "
          "!{partitionKeyFromQuery:...} expression.");
    if (error_prefix.empty())
      return InvalidArgument(
          "ErrorOutputPrefix cannot be null or empty when dynamic partitioning is enabled.");
  } else if (MetadataExtractionQuery(dest)) {
    return InvalidArgument(
        "The MetadataExtraction processor requires an enabled DynamicPartitioningConfiguration.");
  }
  PrefixContext probe{.timestamp_ms = 0,
                      .random_string = "aaaaaaaaaaa",
                      .error_output_type = "processing-failed",
                      .partition_keys = partitioning ? &probe_keys : nullptr};
  CENOTE_RETURN_IF_ERROR(ExpandPrefix(prefix, probe));
  CENOTE_RETURN_IF_ERROR(ExpandPrefix(error_prefix, probe));
  if (HasExpressions(prefix) && error_prefix.empty())
    return InvalidArgument("ErrorOutputPrefix cannot be null or empty when Prefix contains expressions.");
  return Status::Ok();
}

Status ApplyTags(DeliveryStreamState& s, const json::value* tags) EXCLUSIVE_LOCKS_REQUIRED(s.mu) {
  if (tags == nullptr || !tags->is_array()) return Status::Ok();
  std::map<std::string, std::string> merged = s.tags;
  for (const auto& t : tags->as_array()) {
    if (!t.is_object()) continue;
    auto key = GetString(t.as_object(), "Key");
    if (!key || key->empty() || key->size() > 128)
      return Validation("'" + key.value_or("") + "'", "tags.member.key",
                        "have length less than or equal to 128, have length greater than or equal to 1");
    merged[*key] = GetString(t.as_object(), "Value").value_or("");
  }
  if (merged.size() > kMaxTags)
    return services::MakeError(errors::kLimitExceeded,
                               {"Firehose " + s.name + " cannot have more than 50 tags."});
  s.tags = std::move(merged);
  return Status::Ok();
}

json::object S3Description(const json::object& dest) {
  json::object out;
  for (const char* member : {"RoleARN", "BucketARN", "Prefix", "ErrorOutputPrefix", "BufferingHints",
                             "CompressionFormat", "EncryptionConfiguration", "CloudWatchLoggingOptions"})
    if (auto it = dest.find(member); it != dest.end()) out[member] = it->value();
  return out;
}

}  // namespace

// The stream lives in the caller's account, in the request's region. A KinesisStreamAsSource stream's
// source is checked as Firehose reads it: as the source configuration's role, in the source stream ARN's
// region.
Result<OperationOutput> CreateDeliveryStream(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = in.params.as_object();
  auto name = GetString(p, "DeliveryStreamName");
  CENOTE_RETURN_IF_ERROR(ValidateStreamName(name, "deliveryStreamName"));
  std::string type = GetString(p, "DeliveryStreamType").value_or("DirectPut");
  if (type != "DirectPut" && type != "KinesisStreamAsSource") {
    if (type == "MSKAsSource" || type == "DatabaseAsSource")
      return InvalidArgument("DeliveryStreamType " + type + " is not supported by this server yet.");
    return Validation("'" + type + "'", "deliveryStreamType",
                      "satisfy enum value set: [DirectPut, KinesisStreamAsSource, MSKAsSource, "
                      "DatabaseAsSource]");
  }
  const auto* kinesis_source = GetObject(p, "KinesisStreamSourceConfiguration");
  if (type == "KinesisStreamAsSource" && kinesis_source == nullptr)
    return InvalidArgument(
        "KinesisStreamSourceConfiguration is required when DeliveryStreamType is KinesisStreamAsSource.");
  if (type == "DirectPut" && kinesis_source != nullptr)
    return InvalidArgument(
        "KinesisStreamSourceConfiguration is only allowed when DeliveryStreamType is KinesisStreamAsSource.");

  auto stream = std::make_shared<DeliveryStreamState>();
  DeliveryStreamState& s = *stream;
  s.account = ctx.account_id();
  s.region = ctx.region;
  s.name = *name;
  s.uid = RandomHex(12);
  s.arn = DeliveryStreamArn(s.key());
  s.type = type;
  s.status = "CREATING";
  s.status_ms = env.Now();
  s.created_ms = s.status_ms;
  if (type == "KinesisStreamAsSource") {
    auto stream_arn = GetString(*kinesis_source, "KinesisStreamARN");
    auto role_arn = GetString(*kinesis_source, "RoleARN");
    if (!stream_arn || stream_arn->rfind("arn:aws:kinesis:", 0) != 0)
      return Validation(
          "'" + stream_arn.value_or("") + "'", "kinesisStreamSourceConfiguration.kinesisStreamARN",
          "satisfy regular expression pattern: arn:.*:kinesis:[a-zA-Z0-9\\-]+:\\d{12}:stream/.+");
    if (env.invoker == nullptr)
      return InvalidArgument("KinesisStreamAsSource is not available: this server runs without Kinesis.");
    s.source = json::object{{"KinesisStreamSourceDescription",
                             {{"KinesisStreamARN", *stream_arn},
                              {"RoleARN", role_arn.value_or("")},
                              {"DeliveryStartTimestamp", env.Now()}}}};
    // The source must exist (AWS checks it with the role at creation).
    OperationInput kin;
    kin.params = json::object{{"StreamARN", *stream_arn}};
    auto summary = env.invoker->Call(env.KinesisSourceCaller(s), "kinesis", "DescribeStreamSummary", kin);
    if (!summary)
      return InvalidArgument("Unable to access the source Kinesis stream " + *stream_arn + ": " +
                             summary.error().message);
  }

  const auto* extended = GetObject(p, "ExtendedS3DestinationConfiguration");
  const auto* legacy = GetObject(p, "S3DestinationConfiguration");
  int destinations = (extended ? 1 : 0) + (legacy ? 1 : 0);
  for (const auto& [k, v] : p) {
    std::string_view key = k;
    if (key.size() > 24 && key.substr(key.size() - 24) == "DestinationConfiguration" &&
        key != "ExtendedS3DestinationConfiguration" && key != "S3DestinationConfiguration")
      return InvalidArgument(std::string(key) +
                             " is not supported by this server yet; use an S3 destination.");
  }
  if (destinations != 1) return InvalidArgument("Exactly one destination configuration must be specified.");

  s.legacy_s3 = legacy != nullptr;
  json::object encryption;
  if (const auto* sse = GetObject(p, "DeliveryStreamEncryptionConfigurationInput")) {
    json::object given = *sse;
    if (!given.contains("KeyType")) given["KeyType"] = "AWS_OWNED_CMK";
    CENOTE_ASSIGN_OR_RETURN(encryption, EncryptionFor(env, ctx, s, given));
  }
  MutexLock stream_lock(s.mu);  // not shared yet; the lock is for the analysis
  s.encryption = std::move(encryption);
  CENOTE_RETURN_IF_ERROR(ApplyDestination(env.options, extended ? *extended : *legacy, s.destination));
  CENOTE_RETURN_IF_ERROR(ApplyTags(s, p.if_contains("Tags")));

  MutexLock lock(env.mu);
  const StreamKey key = s.key();
  if (auto it = env.streams.find(key); it != env.streams.end()) {
    if (!env.EffectiveStatus(*it->second).empty())
      return services::MakeError(errors::kStreamExists, {key.name, key.account});
    env.streams.erase(it);
  }
  // The account's quota, in the stream's region.
  int in_region = 0;
  for (auto it = env.streams.lower_bound(StreamKey{key.account, key.region, ""});
       it != env.streams.end() && it->first.account == key.account && it->first.region == key.region; ++it)
    ++in_region;
  if (in_region >= env.options.delivery_stream_limit)
    return services::MakeError(errors::kLimitExceeded, {"You have already consumed your firehose quota of " +
                                                        std::to_string(env.options.delivery_stream_limit) +
                                                        " hoses. Firehose names: ..."});
  // The log's directory is durable before the stream document names it.
  CENOTE_RETURN_IF_ERROR(env.log.CreateLog(s.uid, 1));
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  env.streams[key] = stream;
  return json::object{{"DeliveryStreamARN", s.arn}};
}

Result<OperationOutput> DescribeDeliveryStream(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(ValidateStreamName(GetString(p, "DeliveryStreamName"), "deliveryStreamName"));
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  const DeliveryStreamState& s = *stream;
  MutexLock lock(s.mu);
  json::object destination{{"DestinationId", kDestinationId},
                           {"S3DestinationDescription", S3Description(s.destination)},
                           {"ExtendedS3DestinationDescription", s.destination}};
  json::object d{{"DeliveryStreamName", s.name},
                 {"DeliveryStreamARN", s.arn},
                 {"DeliveryStreamStatus", env.EffectiveStatus(s)},
                 {"DeliveryStreamEncryptionConfiguration", EncryptionDescription(s.encryption)},
                 {"DeliveryStreamType", s.type},
                 {"VersionId", std::to_string(s.version)},
                 {"CreateTimestamp", s.created_ms},
                 {"Destinations", json::array{destination}},
                 {"HasMoreDestinations", false}};
  if (s.updated_ms != 0) d["LastUpdateTimestamp"] = s.updated_ms;
  if (!s.source.empty()) d["Source"] = s.source;
  return json::object{{"DeliveryStreamDescription", std::move(d)}};
}

// The delivery streams of the caller's account in the request's region only.
Result<OperationOutput> ListDeliveryStreams(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = in.params.as_object();
  std::int64_t limit = GetInt(p, "Limit").value_or(10);
  if (limit < 1 || limit > 10000)
    return Validation(std::to_string(limit), "limit",
                      "have value less than or equal to 10000, have value greater than or equal to 1");
  auto type = GetString(p, "DeliveryStreamType");
  const StreamKey first = Env::KeyOf(ctx, GetString(p, "ExclusiveStartDeliveryStreamName").value_or(""));
  json::array names;
  bool more = false;
  MutexLock lock(env.mu);
  // std::map: by namespace, then sorted by name, as AWS lists them.
  for (auto it = env.streams.upper_bound(first);
       it != env.streams.end() && it->first.account == first.account && it->first.region == first.region;
       ++it) {
    const DeliveryStreamState& s = *it->second;
    if (env.EffectiveStatus(s).empty()) continue;
    if (type && s.type != *type) continue;
    if (static_cast<std::int64_t>(names.size()) == limit) {
      more = true;
      break;
    }
    names.push_back(json::string(s.name));
  }
  return json::object{{"DeliveryStreamNames", std::move(names)}, {"HasMoreDeliveryStreams", more}};
}

Result<OperationOutput> DeleteDeliveryStream(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(ValidateStreamName(GetString(p, "DeliveryStreamName"), "deliveryStreamName"));
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  DeliveryStreamState& s = *stream;
  // Wait for an in-flight delivery of this stream, then remove it: document first (so a crash leaves at
  // worst an orphan log, never a stream without its records), then the undelivered records, as AWS
  // drops a deleted stream's buffer.
  MutexLock delivery_lock(s.delivery_mu);
  {
    MutexLock lock(env.mu);
    CENOTE_RETURN_IF_ERROR(env.Erase(s));
    env.streams.erase(s.key());
  }
  (void)env.log.DeleteLog(s.uid);
  return OperationOutput{};
}

Result<OperationOutput> UpdateDestination(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(ValidateStreamName(GetString(p, "DeliveryStreamName"), "deliveryStreamName"));
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  DeliveryStreamState& s = *stream;
  std::string version = GetString(p, "CurrentDeliveryStreamVersionId").value_or("");
  std::string destination_id = GetString(p, "DestinationId").value_or("");
  // Not during a delivery: a batch is written with one version of the destination.
  MutexLock delivery_lock(s.delivery_mu);
  MutexLock lock(s.mu);
  if (env.EffectiveStatus(s) != "ACTIVE")
    return services::MakeError(errors::kStreamNotActive, {s.name, s.account, env.EffectiveStatus(s)});
  if (version != std::to_string(s.version))
    return services::MakeError(errors::kVersionMismatch,
                               {s.name, s.account, version, std::to_string(s.version)});
  if (destination_id != kDestinationId)
    return services::MakeError(errors::kDestinationNotFound, {destination_id, s.name});
  const auto* extended = GetObject(p, "ExtendedS3DestinationUpdate");
  const auto* legacy = GetObject(p, "S3DestinationUpdate");
  if ((extended ? 1 : 0) + (legacy ? 1 : 0) != 1) {
    for (const auto& [k, v] : p)
      if (std::string_view(k).find("DestinationUpdate") != std::string_view::npos)
        return InvalidArgument("Changing the destination type to " + std::string(k) +
                               " is not supported by this server.");
    return InvalidArgument("Exactly one destination update must be specified.");
  }
  json::object updated = s.destination;
  CENOTE_RETURN_IF_ERROR(ApplyDestination(env.options, extended ? *extended : *legacy, updated));
  s.destination = std::move(updated);
  s.version += 1;
  s.updated_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

Result<OperationOutput> TagDeliveryStream(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  DeliveryStreamState& s = *stream;
  MutexLock lock(s.mu);
  auto saved = s.tags;
  CENOTE_RETURN_IF_ERROR(ApplyTags(s, p.if_contains("Tags")));
  if (Status st = env.Save(s); !st.ok()) {
    s.tags = std::move(saved);
    return std::move(st).error();
  }
  return OperationOutput{};
}

Result<OperationOutput> UntagDeliveryStream(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  DeliveryStreamState& s = *stream;
  MutexLock lock(s.mu);
  auto saved = s.tags;
  if (const json::array* keys = services::GetArray(p, "TagKeys"))
    for (const auto& k : *keys)
      if (k.is_string()) s.tags.erase(std::string(k.as_string()));
  if (Status st = env.Save(s); !st.ok()) {
    s.tags = std::move(saved);
    return std::move(st).error();
  }
  return OperationOutput{};
}

Result<OperationOutput> ListTagsForDeliveryStream(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  const DeliveryStreamState& s = *stream;
  std::int64_t limit = GetInt(p, "Limit").value_or(50);
  if (limit < 1 || limit > 50)
    return Validation(std::to_string(limit), "limit",
                      "have value less than or equal to 50, have value greater than or equal to 1");
  std::string start = GetString(p, "ExclusiveStartTagKey").value_or("");
  json::array tags;
  bool more = false;
  MutexLock lock(s.mu);
  for (const auto& [k, v] : s.tags) {
    if (!start.empty() && k <= start) continue;
    if (static_cast<std::int64_t>(tags.size()) == limit) {
      more = true;
      break;
    }
    tags.push_back(json::object{{"Key", k}, {"Value", v}});
  }
  return json::object{{"Tags", std::move(tags)}, {"HasMoreTags", more}};
}

}  // namespace cenote::firehose
