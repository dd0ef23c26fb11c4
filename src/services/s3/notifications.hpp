// S3 event notifications (AWS "Amazon S3 Event Notifications" and "Using EventBridge"): a bucket's
// notification configuration (PutBucketNotificationConfiguration) names SQS queues, SNS topics and Lambda
// functions with the events and key filters they want, and may turn on EventBridge, which gets every event.
//
// Delivery is at least once and survives a crash: the write path records each event for each matching
// destination in the outbox table s3_event_outbox *inside the transaction that makes the change*, so an
// acknowledged write always has its events stored; a background task delivers them through the Invoker
// (SQS SendMessage, SNS Publish, Lambda Invoke (Event), EventBridge PutEvents on the default bus) as the S3
// service principal (s3.amazonaws.com, aws:SourceArn = the bucket, aws:SourceAccount = its owner), so the
// destination's resource policy decides as on AWS. A delivery that fails is retried with backoff (1 s
// doubling to 5 min) for 24 hours, then dropped with a warning, as S3 drops what it cannot deliver.
//
// PutBucketNotificationConfiguration sends s3:TestEvent to every destination first (TestDestinations) and
// refuses the configuration when one cannot be reached, unless x-amz-skip-destination-validation.
//
// Thread safety: Record runs on request threads inside their write transactions; the configuration map is
// guarded by mu_; one background task delivers.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/background_tasks.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "store/metadata_store.hpp"

namespace cenote::s3 {

using aws::RequestContext;

struct Env;
struct BucketRow;
struct VersionRow;

// What happened to one object, as a write path tells Record.
struct ObjectEvent {
  std::string name;  // the event type without "s3:": "ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated"
  std::string key;
  std::optional<std::uint64_t> size;  // object created, tagged, ACL changed; absent for removals
  std::string etag;                   // unquoted; "" for removals
  std::string version_id;             // "" when the bucket was never versioned ("null" version)
  std::int64_t seq = 0;               // orders the events of a key: the sequencer
};

// Who caused an event: the request (null when S3 itself did, as lifecycle does).
struct EventCause {
  const RequestContext* ctx = nullptr;
  bool lifecycle = false;  // removals are LifecycleExpiration:*, not ObjectRemoved:*
};

// An event a write path asks CommitVersion to record with the version it commits.
struct EventRequest {
  std::string_view name;  // "ObjectCreated:Put"
  EventCause cause;
};
// The event of a version just written or a delete marker just made (its key, size, ETag, version, seq).
ObjectEvent EventOf(std::string_view name, const VersionRow& row);

class Notifications {
 public:
  explicit Notifications(Env& env) : env_(env) {}
  ~Notifications();
  Notifications(const Notifications&) = delete;
  Notifications& operator=(const Notifications&) = delete;

  // Reads every bucket's stored configuration (S3Provider::Open).
  Status Load(store::Transaction& txn);
  // A bucket's configuration changed (nullptr: none, also when the bucket goes). `cfg` as stored.
  void SetConfig(const std::string& bucket, const boost::json::object* cfg);

  // Inside the write transaction that makes the change: stores the event for every destination of the
  // bucket's configuration that wants it (event type and key filter), and for EventBridge when enabled.
  // Costs one atomic load when no bucket has notifications.
  Status Record(store::Transaction& txn, const BucketRow& bucket, const ObjectEvent& event,
                const EventCause& cause);
  // The write transaction that recorded events committed: wake the delivery.
  void Committed();

  // Sends s3:TestEvent to each destination of `cfg` (as stored) now; returns the ARNs that could not be
  // reached (missing, or their policy does not let S3 send), as PutBucketNotificationConfiguration names
  // them in its error.
  std::vector<std::string> TestDestinations(const boost::json::object& cfg, const BucketRow& bucket,
                                            const RequestContext& ctx);

  // Delivers through `invoker` on a task of `tasks` (the platform's, after SetInvoker).
  void Start(BackgroundTasks& tasks, aws::Invoker& invoker);
  // One delivery round: every due event; returns when the next retry is due (nullopt: none waiting).
  // Exposed for tests.
  Result<std::optional<std::int64_t>> DeliverDue(std::int64_t now_ms);
  // Events stored and not yet delivered or dropped (tests).
  Result<std::int64_t> Pending();

  // Retries: first after kFirstRetryMs, doubling to kMaxRetryMs, dropped kGiveUpMs after the event.
  static constexpr std::int64_t kFirstRetryMs = 1'000;
  static constexpr std::int64_t kMaxRetryMs = 300'000;
  static constexpr std::int64_t kGiveUpMs = 24 * 3'600'000;

 private:
  struct Destination {
    std::string kind;  // "queue", "topic", "lambda"
    std::string arn;
    std::string id;                   // the configuration's Id
    std::vector<std::string> events;  // as configured: "s3:ObjectCreated:*"
    std::string prefix;
    std::string suffix;
  };
  struct Config {
    std::vector<Destination> destinations;
    bool eventbridge = false;
  };
  static Config Parse(const boost::json::object& cfg);
  Status Deliver(const std::string& kind, const std::string& arn, const std::string& account,
                 const std::string& region, const std::string& bucket, const std::string& body);

  Env& env_;
  aws::Invoker* invoker_ = nullptr;
  Mutex mu_;
  std::map<std::string, Config> configs_ GUARDED_BY(mu_);
  std::atomic<std::size_t> config_count_{0};
  std::unique_ptr<BackgroundTask> task_;  // last: stopped before the state it uses goes
};

// The S3 event record of `event` (AWS's "Event message structure", eventVersion 2.1) inside {"Records":[..]},
// and the EventBridge detail-type and event of it; exposed for tests.
boost::json::object EventRecord(const BucketRow& bucket, const ObjectEvent& event, const EventCause& cause,
                                std::string_view configuration_id, std::int64_t now_ms);
std::string EventBridgeDetailType(std::string_view event_name);

}  // namespace cenote::s3
