// Control plane: CreateDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, DeleteDeliveryStream,
// UpdateDestination and the tag operations.
#include <openssl/rand.h>

#include <algorithm>

#include "common/encoding.hpp"
#include "services/firehose/internal.hpp"

namespace cenote::firehose {

namespace {

Error Validation(std::string_view value, std::string_view member, std::string_view constraint) {
  return MakeFirehoseError(errors::kValidation, {value, member, constraint});
}

Error InvalidArgument(std::string_view message) {
  return MakeFirehoseError(errors::kInvalidArgument, {message});
}

Status ValidateStreamName(const std::optional<std::string>& name, std::string_view member) {
  if (!name) return Validation("null", member, "not be null");
  if (name->empty() || name->size() > 64)
    return Validation("'" + *name + "'", member,
                      "have length less than or equal to 64, have length greater than or equal to 1");
  for (char c : *name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return Validation("'" + *name + "'", member, "satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  return Status::Ok();
}

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  return HexEncode(raw);
}

bool ProcessorEnabled(const json::object& processing) { return Bool(processing, "Enabled").value_or(true); }

// Applies an Extended/S3 destination configuration or update `cfg` over `dest` (the stored
// ExtendedS3DestinationDescription), filling in AWS's defaults, and checks what Cenote supports.
Status ApplyDestination(const FirehoseOptions& options, const json::object& cfg, json::object& dest) {
  for (const char* member : {"RoleARN", "BucketARN", "Prefix", "ErrorOutputPrefix", "S3BackupMode",
                             "FileExtension", "CustomTimeZone"})
    if (auto v = Str(cfg, member)) dest[member] = *v;
  for (const char* member : {"EncryptionConfiguration", "CloudWatchLoggingOptions", "ProcessingConfiguration",
                             "DataFormatConversionConfiguration", "DynamicPartitioningConfiguration"})
    if (const auto* o = Obj(cfg, member)) dest[member] = *o;
  if (auto v = Str(cfg, "CompressionFormat")) dest["CompressionFormat"] = *v;
  if (const auto* hints = Obj(cfg, "BufferingHints")) {
    json::object merged =
        dest.contains("BufferingHints") ? dest["BufferingHints"].as_object() : json::object{};
    if (auto size = Int(*hints, "SizeInMBs")) merged["SizeInMBs"] = *size;
    if (auto interval = Int(*hints, "IntervalInSeconds")) merged["IntervalInSeconds"] = *interval;
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
  std::string bucket_arn = Str(dest, "BucketARN").value_or("");
  if (bucket_arn.rfind("arn:aws:s3:::", 0) != 0 || bucket_arn.size() <= 13 ||
      bucket_arn.find('/', 13) != std::string::npos)
    return Validation("'" + bucket_arn + "'", "bucketARN",
                      "satisfy regular expression pattern: arn:.*:s3:::[\\w\\.\\-]{1,255}");
  std::int64_t size = Int(hints, "SizeInMBs").value_or(5);
  if (size < 1 || size > 128)
    return Validation(std::to_string(size), "bufferingHints.sizeInMBs",
                      "have value less than or equal to 128, have value greater than or equal to 1");
  std::int64_t interval = Int(hints, "IntervalInSeconds").value_or(300);
  if (interval < 0 || interval > 900)
    return Validation(std::to_string(interval), "bufferingHints.intervalInSeconds",
                      "have value less than or equal to 900, have value greater than or equal to 0");
  std::string compression = Str(dest, "CompressionFormat").value_or("");
  if (compression != "UNCOMPRESSED" && compression != "GZIP" && compression != "ZIP" &&
      compression != "Snappy" && compression != "HADOOP_SNAPPY")
    return Validation("'" + compression + "'", "compressionFormat",
                      "satisfy enum value set: [UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY]");
  if (auto st = CheckConversion(options, dest); !st.ok()) return st;
  if (ConversionEnabled(dest) && size < 64)
    return InvalidArgument(
        "BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled.");
  const auto* dp = Obj(dest, "DynamicPartitioningConfiguration");
  const bool partitioning = dp && Bool(*dp, "Enabled").value_or(false);
  if (const auto* proc = Obj(dest, "ProcessingConfiguration"); proc && ProcessorEnabled(*proc)) {
    auto it = proc->find("Processors");
    if (it != proc->end() && it->value().is_array())
      for (const auto& p : it->value().as_array()) {
        std::string type = p.is_object() ? Str(p.as_object(), "Type").value_or("") : "";
        if (type != "AppendDelimiterToRecord" && type != "MetadataExtraction")
          return InvalidArgument("Processor type " + type + " is not supported by this server yet.");
      }
  }
  std::string prefix = Str(dest, "Prefix").value_or("");
  std::string error_prefix = Str(dest, "ErrorOutputPrefix").value_or("");
  std::map<std::string, std::string> probe_keys;
  if (partitioning) {
    auto query_text = MetadataExtractionQuery(dest);
    if (!query_text)
      return InvalidArgument(
          "Dynamic partitioning requires a MetadataExtraction processor with a MetadataExtractionQuery "
          "(partitionKeyFromLambda is not supported by this server yet).");
    auto query = ParsePartitionQuery(*query_text);
    if (!query) return query.error();
    for (const auto& k : query->keys) probe_keys[k.name] = "x";
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
  PrefixContext probe{0, "aaaaaaaaaaa", "processing-failed", partitioning ? &probe_keys : nullptr};
  if (auto r = ExpandPrefix(prefix, probe); !r) return r.error();
  if (auto r = ExpandPrefix(error_prefix, probe); !r) return r.error();
  if (HasExpressions(prefix) && error_prefix.empty())
    return InvalidArgument("ErrorOutputPrefix cannot be null or empty when Prefix contains expressions.");
  return Status::Ok();
}

Status ApplyTags(DeliveryStreamState& s, const json::value* tags) {
  if (tags == nullptr || !tags->is_array()) return Status::Ok();
  std::map<std::string, std::string> merged = s.tags;
  for (const auto& t : tags->as_array()) {
    if (!t.is_object()) continue;
    auto key = Str(t.as_object(), "Key");
    if (!key || key->empty() || key->size() > 128)
      return Validation("'" + key.value_or("") + "'", "tags.member.key",
                        "have length less than or equal to 128, have length greater than or equal to 1");
    merged[*key] = Str(t.as_object(), "Value").value_or("");
  }
  if (merged.size() > kMaxTags)
    return MakeFirehoseError(errors::kLimitExceeded,
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

Result<OperationOutput> CreateDeliveryStream(FirehoseProvider::Env& env, const RequestContext&,
                                             OperationInput& in) {
  const auto& p = in.params.as_object();
  auto name = Str(p, "DeliveryStreamName");
  if (auto st = ValidateStreamName(name, "deliveryStreamName"); !st.ok()) return st.error();
  std::string type = Str(p, "DeliveryStreamType").value_or("DirectPut");
  if (type != "DirectPut" && type != "KinesisStreamAsSource") {
    if (type == "MSKAsSource" || type == "DatabaseAsSource")
      return InvalidArgument("DeliveryStreamType " + type + " is not supported by this server yet.");
    return Validation("'" + type + "'", "deliveryStreamType",
                      "satisfy enum value set: [DirectPut, KinesisStreamAsSource, MSKAsSource, "
                      "DatabaseAsSource]");
  }
  const auto* kinesis_source = Obj(p, "KinesisStreamSourceConfiguration");
  if (type == "KinesisStreamAsSource" && kinesis_source == nullptr)
    return InvalidArgument(
        "KinesisStreamSourceConfiguration is required when DeliveryStreamType is KinesisStreamAsSource.");
  if (type == "DirectPut" && kinesis_source != nullptr)
    return InvalidArgument(
        "KinesisStreamSourceConfiguration is only allowed when DeliveryStreamType is KinesisStreamAsSource.");
  json::object source;
  if (type == "KinesisStreamAsSource") {
    auto stream_arn = Str(*kinesis_source, "KinesisStreamARN");
    auto role_arn = Str(*kinesis_source, "RoleARN");
    if (!stream_arn || stream_arn->rfind("arn:aws:kinesis:", 0) != 0)
      return Validation(
          "'" + stream_arn.value_or("") + "'", "kinesisStreamSourceConfiguration.kinesisStreamARN",
          "satisfy regular expression pattern: arn:.*:kinesis:[a-zA-Z0-9\\-]+:\\d{12}:stream/.+");
    if (env.invoker == nullptr)
      return InvalidArgument("KinesisStreamAsSource is not available: this server runs without Kinesis.");
    // The source must exist (AWS checks it with the role at creation).
    OperationInput kin;
    kin.params = json::object{{"StreamARN", *stream_arn}};
    auto summary = env.invoker->Call(env.KinesisCaller(), "kinesis", "DescribeStreamSummary", kin);
    if (!summary)
      return InvalidArgument("Unable to access the source Kinesis stream " + *stream_arn + ": " +
                             summary.error().message);
    source = json::object{{"KinesisStreamSourceDescription",
                           {{"KinesisStreamARN", *stream_arn},
                            {"RoleARN", role_arn.value_or("")},
                            {"DeliveryStartTimestamp", env.Now()}}}};
  }

  const auto* extended = Obj(p, "ExtendedS3DestinationConfiguration");
  const auto* legacy = Obj(p, "S3DestinationConfiguration");
  int destinations = (extended ? 1 : 0) + (legacy ? 1 : 0);
  for (const auto& [k, v] : p) {
    std::string_view key = k;
    if (key.size() > 24 && key.substr(key.size() - 24) == "DestinationConfiguration" &&
        key != "ExtendedS3DestinationConfiguration" && key != "S3DestinationConfiguration")
      return InvalidArgument(std::string(key) +
                             " is not supported by this server yet; use an S3 destination.");
  }
  if (destinations != 1) return InvalidArgument("Exactly one destination configuration must be specified.");

  auto s = std::make_shared<DeliveryStreamState>();
  s->name = *name;
  s->uid = RandomHex(12);
  s->arn = env.StreamArn(*name);
  s->type = type;
  s->status = "CREATING";
  s->status_ms = env.Now();
  s->created_ms = s->status_ms;
  s->legacy_s3 = legacy != nullptr;
  s->source = std::move(source);
  if (auto st = ApplyDestination(env.options, extended ? *extended : *legacy, s->destination); !st.ok())
    return st.error();
  if (auto st = ApplyTags(*s, p.if_contains("Tags")); !st.ok()) return st.error();

  {
    std::lock_guard<std::mutex> g(env.mu);
    auto it = env.streams.find(*name);
    if (it != env.streams.end()) {
      if (!env.EffectiveStatus(*it->second).empty())
        return MakeFirehoseError(errors::kStreamExists, {*name, env.options.account_id});
      env.streams.erase(it);
    }
    if (static_cast<int>(env.streams.size()) >= env.options.delivery_stream_limit)
      return MakeFirehoseError(errors::kLimitExceeded, {"You have already consumed your firehose quota of " +
                                                        std::to_string(env.options.delivery_stream_limit) +
                                                        " hoses. Firehose names: ..."});
    // The log's directory is durable before the stream document names it.
    if (auto st = env.log.CreateLog(s->uid, 1); !st.ok()) return st.error();
    if (auto st = env.Save(*s); !st.ok()) return st.error();
    env.streams[s->name] = s;
  }
  OperationOutput out;
  out.result = json::object{{"DeliveryStreamARN", s->arn}};
  return out;
}

Result<OperationOutput> DescribeDeliveryStream(FirehoseProvider::Env& env, const RequestContext&,
                                               OperationInput& in) {
  const auto& p = in.params.as_object();
  if (auto st = ValidateStreamName(Str(p, "DeliveryStreamName"), "deliveryStreamName"); !st.ok())
    return st.error();
  auto found = env.FindStream(p);
  if (!found) return found.error();
  const auto& s = **found;
  std::lock_guard<std::mutex> g(env.mu);  // UpdateDestination and tagging change the state under it
  json::object destination{{"DestinationId", kDestinationId},
                           {"S3DestinationDescription", S3Description(s.destination)},
                           {"ExtendedS3DestinationDescription", s.destination}};
  json::object d{{"DeliveryStreamName", s.name},
                 {"DeliveryStreamARN", s.arn},
                 {"DeliveryStreamStatus", env.EffectiveStatus(s)},
                 {"DeliveryStreamEncryptionConfiguration", json::object{{"Status", "DISABLED"}}},
                 {"DeliveryStreamType", s.type},
                 {"VersionId", std::to_string(s.version)},
                 {"CreateTimestamp", s.created_ms},
                 {"Destinations", json::array{destination}},
                 {"HasMoreDestinations", false}};
  if (s.updated_ms != 0) d["LastUpdateTimestamp"] = s.updated_ms;
  if (!s.source.empty()) d["Source"] = s.source;
  OperationOutput out;
  out.result = json::object{{"DeliveryStreamDescription", std::move(d)}};
  return out;
}

Result<OperationOutput> ListDeliveryStreams(FirehoseProvider::Env& env, const RequestContext&,
                                            OperationInput& in) {
  const auto& p = in.params.as_object();
  std::int64_t limit = Int(p, "Limit").value_or(10);
  if (limit < 1 || limit > 10000)
    return Validation(std::to_string(limit), "limit",
                      "have value less than or equal to 10000, have value greater than or equal to 1");
  auto type = Str(p, "DeliveryStreamType");
  std::string start = Str(p, "ExclusiveStartDeliveryStreamName").value_or("");
  json::array names;
  bool more = false;
  std::lock_guard<std::mutex> g(env.mu);
  for (const auto& [name, s] : env.streams) {  // std::map: sorted by name, as AWS lists them
    if (!start.empty() && name <= start) continue;
    if (env.EffectiveStatus(*s).empty()) continue;
    if (type && s->type != *type) continue;
    if (static_cast<std::int64_t>(names.size()) == limit) {
      more = true;
      break;
    }
    names.push_back(json::string(name));
  }
  OperationOutput out;
  out.result = json::object{{"DeliveryStreamNames", std::move(names)}, {"HasMoreDeliveryStreams", more}};
  return out;
}

Result<OperationOutput> DeleteDeliveryStream(FirehoseProvider::Env& env, const RequestContext&,
                                             OperationInput& in) {
  const auto& p = in.params.as_object();
  if (auto st = ValidateStreamName(Str(p, "DeliveryStreamName"), "deliveryStreamName"); !st.ok())
    return st.error();
  auto found = env.FindStream(p);
  if (!found) return found.error();
  auto s = *found;
  // Wait for an in-flight delivery of this stream, then remove it: document first (so a crash leaves at
  // worst an orphan log, never a stream without its records), then the undelivered records, as AWS
  // drops a deleted stream's buffer.
  std::lock_guard<std::mutex> d(s->delivery_mu);
  {
    std::lock_guard<std::mutex> g(env.mu);
    if (auto st = env.Erase(*s); !st.ok()) return st.error();
    env.streams.erase(s->name);
  }
  (void)env.log.DeleteLog(s->uid);
  return OperationOutput{};
}

Result<OperationOutput> UpdateDestination(FirehoseProvider::Env& env, const RequestContext&,
                                          OperationInput& in) {
  const auto& p = in.params.as_object();
  if (auto st = ValidateStreamName(Str(p, "DeliveryStreamName"), "deliveryStreamName"); !st.ok())
    return st.error();
  auto found = env.FindStream(p);
  if (!found) return found.error();
  auto s = *found;
  std::string version = Str(p, "CurrentDeliveryStreamVersionId").value_or("");
  std::string destination_id = Str(p, "DestinationId").value_or("");
  std::lock_guard<std::mutex> d(s->delivery_mu);
  std::lock_guard<std::mutex> g(env.mu);
  if (env.EffectiveStatus(*s) != "ACTIVE")
    return MakeFirehoseError(errors::kStreamNotActive,
                             {s->name, env.options.account_id, env.EffectiveStatus(*s)});
  if (version != std::to_string(s->version))
    return MakeFirehoseError(errors::kVersionMismatch,
                             {s->name, env.options.account_id, version, std::to_string(s->version)});
  if (destination_id != kDestinationId)
    return MakeFirehoseError(errors::kDestinationNotFound, {destination_id, s->name});
  const auto* extended = Obj(p, "ExtendedS3DestinationUpdate");
  const auto* legacy = Obj(p, "S3DestinationUpdate");
  if ((extended ? 1 : 0) + (legacy ? 1 : 0) != 1) {
    for (const auto& [k, v] : p)
      if (std::string_view(k).find("DestinationUpdate") != std::string_view::npos)
        return InvalidArgument("Changing the destination type to " + std::string(k) +
                               " is not supported by this server.");
    return InvalidArgument("Exactly one destination update must be specified.");
  }
  json::object updated = s->destination;
  if (auto st = ApplyDestination(env.options, extended ? *extended : *legacy, updated); !st.ok())
    return st.error();
  s->destination = std::move(updated);
  s->version += 1;
  s->updated_ms = env.Now();
  if (auto st = env.Save(*s); !st.ok()) return st.error();
  return OperationOutput{};
}

Result<OperationOutput> TagDeliveryStream(FirehoseProvider::Env& env, const RequestContext&,
                                          OperationInput& in) {
  const auto& p = in.params.as_object();
  auto found = env.FindStream(p);
  if (!found) return found.error();
  auto s = *found;
  std::lock_guard<std::mutex> g(env.mu);
  auto saved = s->tags;
  if (auto st = ApplyTags(*s, p.if_contains("Tags")); !st.ok()) return st.error();
  if (auto st = env.Save(*s); !st.ok()) {
    s->tags = std::move(saved);
    return st.error();
  }
  return OperationOutput{};
}

Result<OperationOutput> UntagDeliveryStream(FirehoseProvider::Env& env, const RequestContext&,
                                            OperationInput& in) {
  const auto& p = in.params.as_object();
  auto found = env.FindStream(p);
  if (!found) return found.error();
  auto s = *found;
  std::lock_guard<std::mutex> g(env.mu);
  auto saved = s->tags;
  if (const auto* keys = p.if_contains("TagKeys"); keys && keys->is_array())
    for (const auto& k : keys->as_array())
      if (k.is_string()) s->tags.erase(std::string(k.as_string()));
  if (auto st = env.Save(*s); !st.ok()) {
    s->tags = std::move(saved);
    return st.error();
  }
  return OperationOutput{};
}

Result<OperationOutput> ListTagsForDeliveryStream(FirehoseProvider::Env& env, const RequestContext&,
                                                  OperationInput& in) {
  const auto& p = in.params.as_object();
  auto found = env.FindStream(p);
  if (!found) return found.error();
  auto s = *found;
  std::int64_t limit = Int(p, "Limit").value_or(50);
  if (limit < 1 || limit > 50)
    return Validation(std::to_string(limit), "limit",
                      "have value less than or equal to 50, have value greater than or equal to 1");
  std::string start = Str(p, "ExclusiveStartTagKey").value_or("");
  json::array tags;
  bool more = false;
  std::lock_guard<std::mutex> g(env.mu);
  for (const auto& [k, v] : s->tags) {
    if (!start.empty() && k <= start) continue;
    if (static_cast<std::int64_t>(tags.size()) == limit) {
      more = true;
      break;
    }
    tags.push_back(json::object{{"Key", k}, {"Value", v}});
  }
  OperationOutput out;
  out.result = json::object{{"Tags", std::move(tags)}, {"HasMoreTags", more}};
  return out;
}

}  // namespace cenote::firehose
