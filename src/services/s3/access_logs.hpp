// S3 server access logging: an after-hook of the request pipeline turns each call on a bucket whose logging
// is enabled (PutBucketLogging) into a log record in AWS's format, and a background task delivers the
// buffered records as log objects into the target bucket under the target prefix, written through the
// lake as the S3 log delivery service (logging.s3.amazonaws.com). Delivery is best effort, as on AWS:
// records still buffered when the process is killed are lost; a clean shutdown delivers them.
//
// Thread safety: AfterCall runs on any request thread; SetTarget, Flush and the task synchronize on mu_.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "aws/pipeline/after_hooks.hpp"
#include "common/background_tasks.hpp"
#include "common/mutex.hpp"
#include "services/s3/lake_access.hpp"

namespace cenote::s3 {

class ServerAccessLogs final : public aws::pipeline::AfterHook {
 public:
  struct Target {
    std::string bucket;    // where the logs go
    std::string prefix;    // TargetPrefix
    std::string owner_id;  // the logged bucket's owner (the first field of each record)
    std::string owner_account;
    std::string region;
  };

  explicit ServerAccessLogs(Lake& lake) : lake_(lake) {}
  ~ServerAccessLogs() override;

  void AfterCall(const aws::pipeline::CallRecord& record) override;
  // Logging of `bucket` on (a target) or off (nullopt, also when the bucket goes).
  void SetTarget(const std::string& bucket, std::optional<Target> target);
  // Writes every buffered record: one object per target bucket and prefix.
  Status Flush();
  // Delivers every `interval` on `tasks`.
  void Start(BackgroundTasks& tasks, std::chrono::milliseconds interval);
  // Records buffered and not yet delivered (tests).
  std::size_t pending() const;

 private:
  Lake& lake_;
  mutable Mutex mu_;
  std::map<std::string, Target> targets_ GUARDED_BY(mu_);  // logged bucket -> target
  // targets_.size(), read without the lock: calls on a server where no bucket logs cost one atomic load.
  std::atomic<std::size_t> target_count_{0};
  // (target bucket, prefix) -> (account and region of the writer, buffered records)
  // By (target bucket, prefix, logged bucket): each delivered object holds one logged bucket's records, as
  // on AWS, so the delivery can name its source (aws:SourceArn) to the target's bucket policy.
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<Target, std::string>> pending_
      GUARDED_BY(mu_);
  std::size_t pending_records_ GUARDED_BY(mu_) = 0;
  std::unique_ptr<BackgroundTask> task_;
};

// One record in AWS's server access log format (the fields of "Amazon S3 server access log format", space
// separated, "-" for none), without the trailing newline. Exposed for tests.
std::string FormatAccessLogRecord(const aws::pipeline::CallRecord& record, const std::string& bucket,
                                  const std::string& owner_id, std::int64_t now_ms);

}  // namespace cenote::s3
