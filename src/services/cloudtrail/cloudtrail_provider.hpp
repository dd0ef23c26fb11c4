// CloudTrailProvider: AWS CloudTrail (json 1.1, "cloudtrail"): the record of every call, event history
// (LookupEvents), trails that deliver log files to S3 with signed digest chains (validate-logs), tags.
//
// Recording: MakeRecorder() is an after-hook of the request pipeline (aws/pipeline/after_hooks.hpp): every
// answered call, network or in-process, allowed or denied, becomes an event record (event_record.hpp).
// Management events are always recorded (90 days of event history, as AWS keeps them); data events (S3
// object-level operations, the Kinesis data plane, ...) only while a logging trail's event selectors ask for
// them. The event is safe from kill -9 before the hook returns, so before the call is answered, and fsynced
// by group commit (EventStore). Calls CloudTrail itself makes (its deliveries, its bucket checks, as
// cloudtrail.amazonaws.com) are never recorded, so delivery cannot feed itself.
//
// Trails: per account, in their home region (arn:aws:cloudtrail:<region>:<account>:trail/<name>); one JSON
// document per trail in the MetadataStore (component "cloudtrail"), with its delivery state: the next event
// sequence to deliver, the log files delivered since the last digest, and each region's digest chain. A
// background task delivers every CloudTrailOptions::delivery_interval_ms: it reads the events after the
// trail's cursor, keeps those its event selectors select, writes them as gzip JSON log files to the trail's
// bucket as cloudtrail.amazonaws.com (aws:SourceArn the trail) and then moves the cursor in one transaction:
// at least once across a crash. With log file validation on, a digest file per region is written every
// digest_interval_ms, signed with the region's RSA key (signing.hpp), chained to the previous one.
//
// Thread safety: handlers, the recorder and the delivery task run concurrently; internal.hpp says which
// mutex guards what.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "aws/pipeline/after_hooks.hpp"
#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "services/common/operation_table.hpp"
#include "store/metadata_store.hpp"

namespace cenote::iam {
class Organizations;
class ResourceAuthority;
}  // namespace cenote::iam

namespace cenote::query {
class QueryEngine;
}  // namespace cenote::query

namespace cenote::services {
class SecretSealer;
}  // namespace cenote::services

namespace cenote::cloudtrail {

struct CloudTrailOptions {
  // The data directory's root account: the recipient of anonymous calls that name no account.
  std::string default_account = "000000000000";
  // Log file delivery cadence (AWS: about every 5 minutes). Env CENOTE_CLOUDTRAIL_DELIVERY_SECONDS.
  std::int64_t delivery_interval_ms = 300'000;
  // Digest cadence (AWS: hourly). Env CENOTE_CLOUDTRAIL_DIGEST_SECONDS.
  std::int64_t digest_interval_ms = 3'600'000;
  // Whether calls become events at all (CENOTE_CLOUDTRAIL_RECORDING=off turns recording off, for
  // benchmarks and suites that do not want it).
  bool recording = true;
  // Where the event log lives (event_store.hpp); required.
  std::string event_dir;
  // Whether a call waits for its event's fdatasync (CENOTE_CLOUDTRAIL_SYNC=always: survives power loss) or
  // only for its journal write (the default: survives kill -9; fsynced within milliseconds by group commit).
  bool sync_always = false;
  // false: no background task (tests call Deliver()).
  bool start_delivery_task = true;
  std::function<std::int64_t()> clock;
  // CloudTrail Lake (lake.cpp): where event data stores' exports and query results live ("" : no Lake), and
  // the query engine its queries run on.
  std::string lake_dir;
  // Seals the digest-signing keys' private halves at rest (KMS's, when it runs); null: stored as they are.
  const services::SecretSealer* secrets = nullptr;
  std::function<Result<query::QueryEngine*>()> engine;
};

struct Env;

class CloudTrailProvider final : public services::TableProvider<Env> {
 public:
  // Runs the migrations, opens the event store (options.event_dir) and loads trails and signing keys. `orgs`
  // may be null (no Organizations service).
  static Result<std::unique_ptr<CloudTrailProvider>> Open(store::MetadataStore& metadata,
                                                          aws::Invoker& invoker, BackgroundTasks& tasks,
                                                          const iam::Organizations* orgs,
                                                          CloudTrailOptions options);
  ~CloudTrailProvider() override;

  std::string_view service() const override { return "cloudtrail"; }
  static const std::vector<std::string_view>& SupportedOperations();

  // The after-hook that records events. Lives as long as the provider.
  aws::pipeline::AfterHook& recorder();

  // The action map's TrailARN lookup for the authorizer (iam::ResourceAuthority "cloudtrail"; trails have no
  // resource policies). Lives as long as the provider.
  std::unique_ptr<iam::ResourceAuthority> MakeAuthority();

  // One delivery round (what the task runs): log files for every logging trail, then the digests that are
  // due. `force_digest`: write a digest for every validating trail now, due or not (shutdown, tests).
  Status Deliver(bool force_digest = false);

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit CloudTrailProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<aws::pipeline::AfterHook> recorder_;
  std::unique_ptr<BackgroundTask> delivery_;  // last: stops before the state it uses goes
};

}  // namespace cenote::cloudtrail
