// DataKeyCache: KMS data keys a service keeps for a bounded time so that it calls KMS rarely, as AWS's
// services do (S3 Bucket Keys, Kinesis stream encryption's key reuse period): a GenerateDataKey answer
// reused for new data, and Decrypt answers reused for reading what was written under them.
//
// The caller composes the entry names; what a name covers decides who shares an entry. A name must carry
// everything KMS's answer depended on: the caller (principal ARN and access key: a caller KMS would refuse
// never reads another's entry), the region, the key id asked for and the encryption context (or, for a
// Decrypt answer, the ciphertext blob itself). An entry lives `ttl_ms` from when it was put, then the next
// use asks KMS again (so a key disabled or a permission removed takes effect within that period, as on
// AWS); at most `max_entries` live at once (the soonest to expire leaves first). Plaintext keys are wiped
// when they leave.
//
// Thread safety: every method may be called from any thread (one mutex).
#pragma once

#include <string.h>  // explicit_bzero

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include <boost/json.hpp>

#include "aws/invoker.hpp"
#include "common/clock.hpp"
#include "common/mutex.hpp"

namespace cenote::services {

class DataKeyCache {
 public:
  struct Entry {
    std::string plaintext;  // the data key's bytes
    std::string blob;       // KMS's CiphertextBlob of it (empty for a Decrypt answer)
    std::string key_arn;    // the KMS key that made it
  };

  // `clock`: milliseconds (UnixNowMs when empty). A ttl of 0 or less keeps nothing.
  explicit DataKeyCache(std::int64_t ttl_ms, std::size_t max_entries = 4096,
                        std::function<std::int64_t()> clock = {})
      : ttl_ms_(ttl_ms), max_entries_(max_entries), clock_(std::move(clock)) {}
  ~DataKeyCache() { Clear(); }
  DataKeyCache(const DataKeyCache&) = delete;
  DataKeyCache& operator=(const DataKeyCache&) = delete;

  // The live entry `name`, if any.
  std::optional<Entry> Get(const std::string& name) {
    const std::int64_t now = Now();
    MutexLock lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.expires_ms <= now) {
      Erase(it);
      return std::nullopt;
    }
    return it->second.entry;
  }

  // Keeps `entry` as `name` for the ttl (replacing an older one).
  void Put(const std::string& name, Entry entry) { Put(name, std::move(entry), ttl_ms_); }
  // As Put, for `ttl_ms` instead of the cache's (a per-resource period: an SQS queue's
  // KmsDataKeyReusePeriodSeconds).
  void Put(const std::string& name, Entry entry, std::int64_t ttl_ms) {
    if (ttl_ms <= 0 || max_entries_ == 0) {
      Wipe(entry.plaintext);
      return;
    }
    const std::int64_t now = Now();
    MutexLock lock(mu_);
    if (auto it = entries_.find(name); it != entries_.end()) Erase(it);
    if (entries_.size() >= max_entries_) {
      for (auto it = entries_.begin(); it != entries_.end();) {
        auto next = std::next(it);
        if (it->second.expires_ms <= now) Erase(it);
        it = next;
      }
    }
    while (entries_.size() >= max_entries_) {
      auto soonest = entries_.begin();
      for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->second.expires_ms < soonest->second.expires_ms) soonest = it;
      }
      Erase(soonest);
    }
    entries_.emplace(name, Timed{std::move(entry), now + ttl_ms});
  }

  // Forgets every entry.
  void Clear() {
    MutexLock lock(mu_);
    while (!entries_.empty()) Erase(entries_.begin());
  }

  std::size_t size() const {
    MutexLock lock(mu_);
    return entries_.size();
  }
  std::int64_t ttl_ms() const { return ttl_ms_; }

 private:
  struct Timed {
    Entry entry;
    std::int64_t expires_ms = 0;
  };
  using Map = std::map<std::string, Timed>;

  static void Wipe(std::string& s) {
    if (!s.empty()) explicit_bzero(s.data(), s.size());
  }
  void Erase(Map::iterator it) EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Wipe(it->second.entry.plaintext);
    entries_.erase(it);
  }
  std::int64_t Now() const { return clock_ ? clock_() : UnixNowMs(); }

  const std::int64_t ttl_ms_;
  const std::size_t max_entries_;
  const std::function<std::int64_t()> clock_;
  mutable Mutex mu_;
  Map entries_ GUARDED_BY(mu_);
};

// The caller part of an entry name: `kind` (what the entry holds: 'w' a GenerateDataKey answer, 'r' a Decrypt
// answer), then what KMS's answer depended on besides the key, context or blob: the region, the principal
// and its access key, the service the request came through and its source ARN.
inline std::string DataKeyCacheScope(const aws::RequestContext& ctx, char kind) {
  std::string name(1, kind);
  for (const std::string* part :
       {&ctx.region, &ctx.principal.arn, &ctx.principal.access_key_id, &ctx.invoked_by, &ctx.source_arn}) {
    name.push_back('\n');
    name.append(*part);
  }
  name.push_back('\n');
  return name;
}

// What a KMS error says about the key, for a service that words KMS's refusals its own way (SQS's
// KMS.AccessDeniedException, Kinesis's KMSAccessDeniedException).
enum class KmsRefusal { kAccessDenied, kDisabled, kNotFound, kThrottling, kInvalidKeyUsage, kInvalidState };
inline KmsRefusal ClassifyKmsError(const Error& e) {
  const std::string& code = e.code;
  if (code == "AccessDeniedException" || code == "AccessDenied") return KmsRefusal::kAccessDenied;
  if (code == "DisabledException") return KmsRefusal::kDisabled;
  if (code == "NotFoundException") return KmsRefusal::kNotFound;
  if (code == "ThrottlingException") return KmsRefusal::kThrottling;
  if (code == "InvalidKeyUsageException") return KmsRefusal::kInvalidKeyUsage;
  // Any other refusal (a key of the wrong kind, a malformed key id, KMSInvalidStateException) is the key's
  // state as far as the calling service is concerned.
  return KmsRefusal::kInvalidState;
}

// KMS's answer to `operation`, asked in-process as `caller` (a service's own call, or a forwarded one).
inline Result<boost::json::object> CallKms(aws::Invoker& invoker, const aws::Caller& caller,
                                           std::string_view operation, boost::json::object params) {
  aws::OperationInput in;
  in.params = std::move(params);
  Result<aws::OperationOutput> out = invoker.Call(caller, "kms", operation, in);
  if (!out) return out.error();
  if (!out->result.is_object()) return InternalError("kms answered no document");
  return std::move(out->result.as_object());
}

// KMS's answer to `operation`, asked in-process as the request's own caller through `service_principal`
// ("kinesis.amazonaws.com"): a forward access session, so the authorizer sets aws:CalledVia and
// kms:ViaService and the key's policy decides on the caller. Errors are KMS's (or the authorizer's) as they
// are: the calling service words them its own way.
inline Result<boost::json::object> CallKmsAsCaller(aws::Invoker& invoker, const aws::RequestContext& ctx,
                                                   std::string_view service_principal,
                                                   std::string_view operation, boost::json::object params) {
  aws::Caller caller{.principal = ctx.principal,
                     .region = ctx.region,
                     .invoked_by = std::string(service_principal),
                     .parent_request_id = ctx.request_id,
                     .source_arn = "",
                     .source_account = "",
                     .forwarded = true};
  return CallKms(invoker, caller, operation, std::move(params));
}

}  // namespace cenote::services
