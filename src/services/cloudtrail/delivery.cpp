// Delivery: log files and digest files to each trail's bucket (AWS's "Finding your CloudTrail log files" and
// "CloudTrail digest file structure"), written through the pipeline as cloudtrail.amazonaws.com with the
// trail as aws:SourceArn, so the bucket policy AWS documents for CloudTrail decides.
//
// Order per trail and round: read the events after the trail's cursor -> keep the ones it selects ->
// PutObject each log file (durable in S3 before it returns) -> one metadata transaction moves the cursor and
// adds the files to the pending digest list. A crash between the PutObject and the commit delivers those
// events again in a new file on the next round: at least once, as AWS promises. Digests: write the file
// (signature in the object's x-amz-meta-signature) -> commit the chain head. A crash between them leaves an
// unchained digest that the next one does not point to; the chain stays valid.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "http/message.hpp"
#include "services/cloudtrail/event_record.hpp"
#include "services/cloudtrail/internal.hpp"

namespace cenote::cloudtrail {

namespace {

constexpr std::size_t kMaxRecordsPerFile = 2000;
constexpr std::size_t kReadBatchBytes = 8 << 20;

std::string Format(std::int64_t ms, const char* pattern) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, pattern, &tm);
  return buf;
}

std::string RandomAlnum(std::size_t n) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string bytes = RandomBytes(n);
  std::string out;
  for (unsigned char c : bytes) out += kChars[c % 62];
  return out;
}

std::string Root(const Trail& t) { return t.prefix.empty() ? "AWSLogs/" : t.prefix + "/AWSLogs/"; }

// [prefix/]AWSLogs/[<org id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
//   <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 random chars>.json.gz
std::string LogKey(const Trail& t, const std::string& account, const std::string& region, std::int64_t now) {
  std::string org = t.organization && !t.organization_id.empty() ? t.organization_id + "/" : "";
  return Root(t) + org + account + "/CloudTrail/" + region + "/" + Format(now, "%Y/%m/%d/") + account +
         "_CloudTrail_" + region + "_" + Format(now, "%Y%m%dT%H%MZ") + "_" + RandomAlnum(16) + ".json.gz";
}

// [prefix/]AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
//   <account>_CloudTrail-Digest_<region>_<trail name>_<home region>_<YYYYMMDDTHHmmssZ>.json.gz
std::string DigestKey(const Trail& t, const std::string& region, std::int64_t end) {
  return Root(t) + t.account + "/CloudTrail-Digest/" + region + "/" + Format(end, "%Y/%m/%d/") + t.account +
         "_CloudTrail-Digest_" + region + "_" + t.name + "_" + t.home_region + "_" +
         Format(end, "%Y%m%dT%H%M%SZ") + ".json.gz";
}

Status Put(Env& env, const Trail& t, const std::string& key, std::string bytes, json::object metadata) {
  aws::Caller caller = ServiceCaller(t.account, t.home_region, t.arn);
  http::StringReader body(std::move(bytes));
  OperationInput in;
  json::object params{{"Bucket", t.bucket},
                      {"Key", key},
                      {"ACL", "bucket-owner-full-control"},
                      {"ContentType", "application/json"}};
  if (!metadata.empty()) params["Metadata"] = std::move(metadata);
  if (!t.kms_key_id.empty()) {
    // SSE-KMS with the trail's key: S3 asks KMS as CloudTrail, the trail's ARN in the encryption context
    // (next to S3's aws:s3:arn), as the key policies AWS documents for CloudTrail expect.
    params["ServerSideEncryption"] = "aws:kms";
    params["SSEKMSKeyId"] = t.kms_key_id;
    params["SSEKMSEncryptionContext"] =
        Base64Encode(json::serialize(json::object{{"aws:cloudtrail:arn", t.arn}}));
  }
  in.params = std::move(params);
  in.body = &body;
  return Status::FromResult(env.invoker.Call(caller, "s3", "PutObject", in));
}

// One log file being filled: records of one (account, region), at most kMaxRecordsPerFile of them.
struct LogFile {
  std::string account, region;
  std::string content;  // {"Records":[ and the records so far
  std::size_t records = 0;
  std::string oldest, newest;  // eventTime
};

// Ends `f`'s content, writes it to the trail's bucket and starts `f` again (its buffer kept).
Status WriteLogFile(Env& env, const Trail& t, LogFile& f, std::map<std::string, json::array>& written) {
  f.content += "]}";
  const std::string key = LogKey(t, f.account, f.region, env.Now());
  const std::string hash = Sha256Hex(f.content);
  // igzip level 1: delivery competes with requests for the same cores; JSON still shrinks about 9x.
  CENOTE_ASSIGN_OR_RETURN(std::string gz, GzipFast(f.content));
  CENOTE_RETURN_IF_ERROR(Put(env, t, key, std::move(gz), {}));
  written[f.region].push_back(json::object{{"s3Bucket", t.bucket},
                                           {"s3Object", key},
                                           {"hashValue", hash},
                                           {"hashAlgorithm", "SHA-256"},
                                           {"newestEventTime", f.newest},
                                           {"oldestEventTime", f.oldest}});
  f.content.clear();
  f.records = 0;
  return Status::Ok();
}

// Delivers `t`'s events in [t.cursor, end): returns the log files written (by region, logFiles entries).
// The events are read in place from the event log and copied once, into their log file.
Result<std::map<std::string, json::array>> DeliverLogs(Env& env, const Trail& t, std::uint64_t end) {
  // The file buffers (megabytes each) are kept by the delivery thread from one round to the next.
  thread_local std::vector<LogFile> files;
  for (LogFile& f : files) f.content.clear(), f.records = 0;
  std::map<std::string, json::array> written;
  // The recorder wrote which trails selected each event into its routing (account, region, eventTime,
  // trail ARNs, tab-separated): no record is parsed here.
  auto add = [&](const StoredEventView& e) -> Status {
    std::string_view fields[4];
    std::string_view rest = e.routing;
    for (int i = 0; i < 3; ++i) {
      const std::size_t tab = rest.find('\t');
      if (tab == std::string_view::npos) return Status::Ok();
      fields[i] = rest.substr(0, tab);
      rest.remove_prefix(tab + 1);
    }
    if (rest.find('\t') != std::string_view::npos) return Status::Ok();
    fields[3] = rest;
    bool selected = false;
    for (std::string_view arns = fields[3]; !selected && !arns.empty();) {
      const std::size_t comma = arns.find(',');
      selected = arns.substr(0, comma) == t.arn;
      arns = comma == std::string_view::npos ? std::string_view() : arns.substr(comma + 1);
    }
    if (!selected) return Status::Ok();
    auto it = std::find_if(files.begin(), files.end(),
                           [&](const LogFile& f) { return f.account == fields[0] && f.region == fields[1]; });
    if (it == files.end()) {
      LogFile& f = files.emplace_back();
      f.account = fields[0];
      f.region = fields[1];
      it = files.end() - 1;
    }
    LogFile& f = *it;
    if (f.records == 0) {
      if (f.content.capacity() == 0) f.content.reserve(kMaxRecordsPerFile * (e.json.size() + 64));
      f.content += "{\"Records\":[";
      f.oldest = f.newest = fields[2];
    } else {
      f.content += ',';
      if (fields[2] < f.oldest) f.oldest = fields[2];
      if (fields[2] > f.newest) f.newest = fields[2];
    }
    f.content += e.json;
    if (++f.records == kMaxRecordsPerFile) return WriteLogFile(env, t, f, written);
    return Status::Ok();
  };
  for (std::uint64_t from = t.cursor; from < end;) {
    std::uint64_t next = from;
    CENOTE_RETURN_IF_ERROR(
        env.events->ForEachFrom(from, 4096, kReadBatchBytes, [&](const StoredEventView& e) -> Status {
          next = std::max(next, e.sequence + 1);
          return e.sequence < end ? add(e) : Status::Ok();
        }));
    if (next == from) break;  // nothing more in the log
    from = next;
  }
  for (LogFile& f : files) {
    if (f.records > 0) CENOTE_RETURN_IF_ERROR(WriteLogFile(env, t, f, written));
  }
  if (files.size() > 4) files.resize(4);  // a multi-region trail's buffers are not all kept
  return written;
}

// Writes the digest of `region` for `t` ending now, and advances the chain (under env.mu).
Status WriteDigest(Env& env, const Trail& t, const std::string& region, const DigestChain& chain) {
  const std::int64_t end = env.Now();
  // One digest per second at most: the key names the second.
  if (end / 1000 <= chain.last_end_ms / 1000) return Status::Ok();
  CENOTE_ASSIGN_OR_RETURN(KeyRecord key, env.CurrentKey(region));
  const std::string object = DigestKey(t, region, end);
  const std::size_t included = chain.pending_logs.size();
  std::string newest, oldest;
  for (const auto& f : chain.pending_logs) {
    std::string n = GetString(f.as_object(), "newestEventTime").value_or("");
    std::string o = GetString(f.as_object(), "oldestEventTime").value_or("");
    if (newest.empty() || n > newest) newest = n;
    if (oldest.empty() || (!o.empty() && o < oldest)) oldest = o;
  }
  auto nullable = [](const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); };
  json::object d;
  d["awsAccountId"] = t.account;
  d["digestStartTime"] = EventTime(chain.last_end_ms);
  d["digestEndTime"] = EventTime(end);
  d["digestS3Bucket"] = t.bucket;
  d["digestS3Object"] = object;
  d["digestPublicKeyFingerprint"] = key.fingerprint;
  d["digestSignatureAlgorithm"] = "SHA256withRSA";
  d["newestEventTime"] = nullable(newest);
  d["oldestEventTime"] = nullable(oldest);
  d["previousDigestS3Bucket"] = nullable(chain.previous_bucket);
  d["previousDigestS3Object"] = nullable(chain.previous_key);
  d["previousDigestHashValue"] = nullable(chain.previous_hash);
  d["previousDigestHashAlgorithm"] =
      chain.previous_hash.empty() ? json::value(nullptr) : json::value("SHA-256");
  d["previousDigestSignature"] = nullable(chain.previous_signature);
  d["logFiles"] = chain.pending_logs;
  const std::string content = json::serialize(d);
  const std::string to_sign =
      DigestStringToSign(EventTime(end), t.bucket, object, content, chain.previous_signature);
  CENOTE_ASSIGN_OR_RETURN(std::string signature, key.key->SignHex(to_sign));
  CENOTE_ASSIGN_OR_RETURN(std::string gz, GzipFast(content));
  CENOTE_RETURN_IF_ERROR(Put(
      env, t, object, gz, json::object{{"signature", signature}, {"signature-algorithm", "SHA256withRSA"}}));
  MutexLock lock(env.mu);
  auto it = env.trails.find(TrailKey{t.account, t.home_region, t.name});
  if (it == env.trails.end()) return Status::Ok();
  Trail updated = it->second;
  DigestChain& c = updated.chains[region];
  c.last_end_ms = end;
  c.previous_bucket = t.bucket;
  c.previous_key = object;
  c.previous_hash = Sha256Hex(content);
  c.previous_signature = signature;
  json::array rest;
  for (std::size_t i = included; i < c.pending_logs.size(); ++i) rest.push_back(c.pending_logs[i]);
  c.pending_logs = std::move(rest);
  updated.latest_digest_ms = end;
  updated.latest_digest_error.clear();
  return env.Save(updated);
}

}  // namespace

Status DeliverAll(Env& env, bool force_digest) {
  MutexLock round(env.delivery_mu);
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t end, env.events->NextSequence());
  std::vector<Trail> trails;
  {
    MutexLock lock(env.mu);
    for (const auto& [key, t] : env.trails) trails.push_back(t);
  }
  Status result = Status::Ok();
  for (const Trail& t : trails) {
    if (t.logging && t.cursor < end) {
      auto written = DeliverLogs(env, t, end);
      MutexLock lock(env.mu);
      auto it = env.trails.find(TrailKey{t.account, t.home_region, t.name});
      if (it == env.trails.end()) continue;
      Trail updated = it->second;
      const std::int64_t now = env.Now();
      updated.latest_delivery_attempt_ms = now;
      if (!written) {
        updated.latest_delivery_ok = false;
        updated.latest_delivery_error = written.error().code;
        spdlog::warn("cloudtrail: delivery of trail {} to bucket {} failed: {}", t.arn, t.bucket,
                     written.error().message);
        result = written.error();
      } else {
        updated.cursor = end;
        updated.latest_delivery_ok = true;
        updated.latest_delivery_error.clear();
        if (!written->empty()) updated.latest_delivery_ms = now;
        if (updated.validation) {
          for (auto& [region, files] : *written) {
            DigestChain& c = updated.chains[region];
            if (c.last_end_ms == 0) c.last_end_ms = updated.start_logging_ms;
            for (auto& f : files) c.pending_logs.push_back(std::move(f));
          }
        }
      }
      CENOTE_RETURN_IF_ERROR(env.Save(updated));
    }
  }
  // Digests: each validating trail's chains that are due (hourly on AWS), while it logs or has files left.
  {
    MutexLock lock(env.mu);
    trails.clear();
    for (const auto& [key, t] : env.trails) trails.push_back(t);
  }
  const std::int64_t now = env.Now();
  for (const Trail& t : trails) {
    if (!t.validation) continue;
    for (const auto& [region, chain] : t.chains) {
      if (!t.logging && chain.pending_logs.empty()) continue;
      if (!force_digest && now - chain.last_end_ms < env.options.digest_interval_ms) continue;
      Status st = WriteDigest(env, t, region, chain);
      if (!st) {
        spdlog::warn("cloudtrail: digest of trail {} ({}) failed: {}", t.arn, region, st.error().message);
        MutexLock lock(env.mu);
        auto it = env.trails.find(TrailKey{t.account, t.home_region, t.name});
        if (it != env.trails.end()) {
          Trail updated = it->second;
          updated.latest_digest_error = st.error().code;
          (void)env.Save(updated);
        }
        result = st;
      }
    }
  }
  return result;
}

}  // namespace cenote::cloudtrail
