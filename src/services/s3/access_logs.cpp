#include "services/s3/access_logs.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <ctime>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/common/params.hpp"
#include "services/s3/internal.hpp"

namespace cenote::s3 {

namespace {

constexpr std::string_view kLogDeliveryPrincipal = "logging.s3.amazonaws.com";

// "REST.<METHOD>.<RESOURCE>", as S3 names operations in its logs.
std::string LogOperation(std::string_view operation, std::string_view method) {
  static const std::map<std::string_view, std::string_view> kNames = {
      {"ListObjects", "REST.GET.BUCKET"},
      {"ListObjectsV2", "REST.GET.BUCKET"},
      {"ListObjectVersions", "REST.GET.BUCKETVERSIONS"},
      {"HeadBucket", "REST.HEAD.BUCKET"},
      {"CreateBucket", "REST.PUT.BUCKET"},
      {"DeleteBucket", "REST.DELETE.BUCKET"},
      {"GetObject", "REST.GET.OBJECT"},
      {"HeadObject", "REST.HEAD.OBJECT"},
      {"PutObject", "REST.PUT.OBJECT"},
      {"PostObject", "REST.POST.OBJECT"},
      {"DeleteObject", "REST.DELETE.OBJECT"},
      {"CopyObject", "REST.COPY.OBJECT"},
      {"DeleteObjects", "REST.POST.MULTI_OBJECT_DELETE"},
      {"CreateMultipartUpload", "REST.POST.UPLOADS"},
      {"UploadPart", "REST.PUT.PART"},
      {"UploadPartCopy", "REST.COPY.PART"},
      {"CompleteMultipartUpload", "REST.POST.UPLOAD"},
      {"AbortMultipartUpload", "REST.DELETE.UPLOAD"},
      {"ListParts", "REST.GET.UPLOAD"},
      {"ListMultipartUploads", "REST.GET.UPLOADS"},
      {"GetBucketLogging", "REST.GET.LOGGING_STATUS"},
      {"PutBucketLogging", "REST.PUT.LOGGING_STATUS"},
      {"GetObjectTagging", "REST.GET.OBJECT_TAGGING"},
      {"PutObjectTagging", "REST.PUT.OBJECT_TAGGING"},
      {"DeleteObjectTagging", "REST.DELETE.OBJECT_TAGGING"},
      {"GetBucketTagging", "REST.GET.TAGGING"},
      {"PutBucketTagging", "REST.PUT.TAGGING"},
      {"DeleteBucketTagging", "REST.DELETE.TAGGING"},
  };
  if (auto it = kNames.find(operation); it != kNames.end()) return std::string(it->second);
  // Bucket sub-resources: GetBucketVersioning -> REST.GET.VERSIONING, PutBucketCors -> REST.PUT.CORS, ...
  std::string resource(operation);
  for (std::string_view verb : {"Get", "Put", "Delete", "List", "Head"}) {
    if (resource.starts_with(verb)) {
      resource = resource.substr(verb.size());
      break;
    }
  }
  if (resource.starts_with("Bucket")) resource = resource.substr(6);
  if (resource.ends_with("Configuration")) resource.resize(resource.size() - 13);
  std::string upper;
  for (std::size_t i = 0; i < resource.size(); ++i) {
    const char c = resource[i];
    if (i > 0 && c >= 'A' && c <= 'Z' && resource[i - 1] >= 'a' && resource[i - 1] <= 'z') upper += '_';
    upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  return "REST." + AsciiUpper(method) + "." + (upper.empty() ? "UNKNOWN" : upper);
}

std::string Quoted(std::optional<std::string_view> v) {
  if (!v || v->empty()) return "\"-\"";
  std::string out = "\"";
  for (char c : *v) out += c == '"' ? '\'' : c;
  return out + "\"";
}

std::string Dash(std::string_view v) { return v.empty() ? std::string("-") : std::string(v); }

}  // namespace

std::string FormatAccessLogRecord(const aws::pipeline::CallRecord& record, const std::string& bucket,
                                  const std::string& owner_id, std::int64_t now_ms) {
  const aws::RequestContext& ctx = record.ctx;
  const boost::json::object* params =
      record.params != nullptr && record.params->is_object() ? &record.params->as_object() : nullptr;
  auto header = [&](std::string_view name) -> std::optional<std::string_view> {
    if (ctx.headers == nullptr) return std::nullopt;
    return ctx.headers->Get(name);
  };
  std::time_t seconds = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char time_buf[40];
  std::strftime(time_buf, sizeof time_buf, "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
  std::string key = params ? services::GetString(*params, "Key").value_or("") : "";
  std::string version = params ? services::GetString(*params, "VersionId").value_or("") : "";
  const std::string ip = AddressWithoutPort(ctx.source_ip);
  std::string signature = "-";
  std::string auth_type = "-";
  if (auto auth = header("authorization")) {
    auth_type = "AuthHeader";
    signature = auth->starts_with("AWS4-") ? "SigV4" : "SigV2";
  } else if (record.target.find("X-Amz-Signature=") != std::string_view::npos) {
    auth_type = "QueryString";
    signature = "SigV4";
  } else if (record.target.find("Signature=") != std::string_view::npos) {
    auth_type = "QueryString";
    signature = "SigV2";
  }
  std::string line;
  line.reserve(512);
  line += Dash(owner_id) + " " + bucket + " " + time_buf + " " + Dash(ip) + " ";
  line += (ctx.principal.anonymous ? std::string("-") : Dash(ctx.principal.arn)) + " ";
  line += ctx.request_id + " " + LogOperation(ctx.operation, record.method) + " ";
  line += (key.empty() ? std::string("-") : UriEncode(key, false)) + " ";
  line += Quoted(std::string(record.method) + " " + std::string(record.target) + " HTTP/1.1") + " ";
  line += std::to_string(record.http_status) + " ";
  line += (record.error != nullptr ? Dash(record.error->code) : std::string("-")) + " ";
  line += (record.bytes_sent > 0 ? std::to_string(record.bytes_sent) : std::string("-")) + " ";
  line += "- ";  // object size
  line += std::to_string(record.duration.count() / 1000) + " - ";
  line += Quoted(header("referer")) + " " + Quoted(header("user-agent")) + " ";
  // Host Id: the x-amz-id-2 the response carried. Cipher suite and TLS version: not known here, so "-".
  line += Dash(version) + " " + Base64Encode("cenote/" + ctx.request_id) + " " + signature + " - ";
  line += auth_type + " " + Dash(header("host").value_or("")) + " - - -";
  return line;
}

ServerAccessLogs::~ServerAccessLogs() { task_.reset(); }

void ServerAccessLogs::AfterCall(const aws::pipeline::CallRecord& record) {
  const aws::RequestContext& ctx = record.ctx;
  // Only network calls to S3 are logged, never the log delivery's own writes.
  if (target_count_.load(std::memory_order_relaxed) == 0) return;
  if (ctx.service != "s3" || record.target.empty() || ctx.invoked_by == kLogDeliveryPrincipal) return;
  if (record.params == nullptr || !record.params->is_object()) return;
  auto bucket = services::GetString(record.params->as_object(), "Bucket");
  if (!bucket) return;
  MutexLock lock(mu_);
  auto it = targets_.find(*bucket);
  if (it == targets_.end()) return;
  std::string line = FormatAccessLogRecord(record, *bucket, it->second.owner_id, UnixNowMs());
  auto& slot = pending_[{it->second.bucket, it->second.prefix, *bucket}];
  slot.first = it->second;
  slot.second += line;
  slot.second += '\n';
  ++pending_records_;
}

void ServerAccessLogs::SetTarget(const std::string& bucket, std::optional<Target> target) {
  MutexLock lock(mu_);
  if (target) {
    targets_[bucket] = std::move(*target);
  } else {
    targets_.erase(bucket);
  }
  target_count_.store(targets_.size(), std::memory_order_relaxed);
}

Status ServerAccessLogs::Flush() {
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<Target, std::string>> batch;
  {
    MutexLock lock(mu_);
    batch.swap(pending_);
    pending_records_ = 0;
  }
  Status result = Status::Ok();
  for (auto& [where, slot] : batch) {
    const Target& target = slot.first;
    // TargetPrefix + YYYY-mm-DD-HH-MM-SS-UniqueString (AWS's simple key format).
    std::time_t seconds = static_cast<std::time_t>(UnixNowMs() / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d-%H-%M-%S-", &tm);
    const std::string key = target.prefix + stamp + AsciiUpper(RandomHex(8));
    // The logging service principal writes, as on AWS: the target bucket's policy must grant it s3:PutObject
    // (AWS's documented policy conditions on aws:SourceArn, the logged bucket, and aws:SourceAccount).
    const aws::Caller caller = aws::ServiceCaller(kLogDeliveryPrincipal, target.owner_account, target.region,
                                                  "arn:aws:s3:::" + std::get<2>(where));
    auto put = lake_.For(caller)->PutObject(target.bucket, key, slot.second, "text/plain");
    if (!put) {
      // Best effort, as on AWS: a target that went away loses its records.
      spdlog::warn("s3 access logs: could not deliver to {}/{}: {}", target.bucket, key, put.error().message);
      result = std::move(put).error();
    }
  }
  return result;
}

void ServerAccessLogs::Start(BackgroundTasks& tasks, std::chrono::milliseconds interval) {
  task_ = tasks.Every("s3.access-logs", interval, [this] { (void)Flush(); });
}

std::size_t ServerAccessLogs::pending() const {
  MutexLock lock(mu_);
  return pending_records_;
}

}  // namespace cenote::s3
