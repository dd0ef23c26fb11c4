// Shared internals of the CloudTrail provider: trails, event selectors, signing keys, the provider's state
// and the handlers each .cpp of this directory implements. Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"  // GCC bug 105329 on `"x" + std::string + ...`
#endif

#include <atomic>
#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "aws/provider.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "query/engine.hpp"
#include "services/cloudtrail/cloudtrail_provider.hpp"
#include "services/cloudtrail/errors.hpp"
#include "services/cloudtrail/event_record.hpp"
#include "services/cloudtrail/event_store.hpp"
#include "services/cloudtrail/signing.hpp"
#include "services/common/params.hpp"

namespace cenote::cloudtrail {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

inline constexpr std::string_view kServicePrincipal = "cloudtrail.amazonaws.com";
inline constexpr std::size_t kMaxTrailsPerRegion = 5;
inline constexpr std::size_t kMaxTags = 50;
inline constexpr std::int64_t kKeyValidityMs = 30LL * 24 * 3600 * 1000;

// ---- event selectors (selectors.cpp)

// A trail's selectors: basic (EventSelectors) or advanced (AdvancedEventSelectors), as the client gave them
// with AWS's defaults filled in.
struct Selectors {
  bool advanced = false;
  json::array basic;               // EventSelectors
  json::array advanced_selectors;  // AdvancedEventSelectors
  // The default: all management events, no data events.
  static Selectors Default();
  // True when some selector can select a data event.
  bool SelectsData() const;
};
// Validates PutEventSelectors' input into Selectors (InvalidEventSelectorsException and its like).
Result<Selectors> ParseSelectors(const json::object& params);
// Whether the selectors log `event` (a record of event_record.hpp, or its summary).
bool SelectorsMatch(const Selectors& selectors, const json::object& event);
bool SelectorsMatch(const Selectors& selectors, const EventSummary& event);

// ---- trails

struct DigestChain {
  std::int64_t last_end_ms = 0;  // the previous digest's end (the next one's start)
  std::string previous_bucket, previous_key, previous_hash, previous_signature;  // "" before the first
  json::array pending_logs;  // logFiles entries delivered since the last digest
};

// A chain whose first digest starts at `start_ms`.
inline DigestChain ChainFrom(std::int64_t start_ms) {
  DigestChain c;
  c.last_end_ms = start_ms;
  return c;
}

struct Trail {
  std::string account;
  std::string home_region;
  std::string name;
  std::string arn;
  std::string bucket;
  std::string prefix;
  bool include_global = true;
  bool multi_region = false;
  bool validation = false;
  bool organization = false;
  std::string organization_id;
  Selectors selectors = Selectors::Default();
  bool custom_selectors = false;
  std::vector<std::pair<std::string, std::string>> tags;
  // SSE-KMS of the log and digest files: the key's ARN ("" : the bucket's default encryption).
  std::string kms_key_id;
  std::int64_t created_ms = 0;
  // Status.
  bool logging = false;
  std::int64_t start_logging_ms = 0;
  std::int64_t stop_logging_ms = 0;
  // Delivery state.
  std::uint64_t cursor = 0;  // the next event sequence to consider
  std::int64_t latest_delivery_ms = 0;
  std::int64_t latest_delivery_attempt_ms = 0;
  bool latest_delivery_ok = true;
  std::string latest_delivery_error;
  std::int64_t latest_digest_ms = 0;
  std::string latest_digest_error;
  std::map<std::string, DigestChain> chains;  // by region

  json::object ToDoc() const;
  static Trail FromDoc(const json::object& doc);
  // The Trail structure of GetTrail / DescribeTrails / CreateTrail's answer.
  json::object Describe() const;
};

using TrailKey = std::tuple<std::string, std::string, std::string>;  // account, home region, name

struct KeyRecord {
  std::string fingerprint;
  std::string public_der;
  std::shared_ptr<const SigningKey> key;
  std::int64_t valid_from = 0;
  std::int64_t valid_to = 0;
};

// What the recorder checks on every event: the logging trails, and their selectors. Selection happens when
// the event is recorded (as on AWS, a selector change applies to the events after it); the event carries the
// ARNs of the trails that selected it to delivery (EventStore's routing), so delivery never re-reads the
// records.
struct LoggingTrail {
  std::string arn;
  std::string account;
  std::string home_region;
  bool multi_region = false;
  std::string organization_id;
  Selectors selectors;
};

// ---- CloudTrail Lake (lake.cpp)

inline constexpr char kLakeDatabase[] = "cloudtrail_lake";

struct EventDataStore {
  std::string id;  // the UUID queries name it by
  std::string arn, name, account, region;
  std::string status = "ENABLED";  // ENABLED, STOPPED_INGESTION, PENDING_DELETION
  Selectors selectors;             // advanced
  bool multi_region = true;
  std::int64_t retention_days = 366;
  bool termination_protection = true;
  std::string billing_mode = "EXTENDABLE_RETENTION_PRICING";
  std::string kms_key_id;
  std::int64_t created_ms = 0, updated_ms = 0, deleted_ms = 0;
  // The event sequences it ingested: [from, to) windows, the last open (to = max) while it ingests.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> windows;
  std::vector<std::pair<std::string, std::string>> tags;

  json::object ToDoc() const;
  static EventDataStore FromDoc(const json::object& doc);
};

// What of a store's events is exported for the engine (in memory: rebuilt after a restart).
struct LakeExport {
  std::uint64_t next = 0;               // the next event sequence to look at; 0 = not started
  std::vector<query::TableFile> files;  // the JSON lines files so far
};

struct LakeQuery {
  std::string id, account, region, statement, status, error, alias;
  std::string delivery_uri, delivery_status;
  std::int64_t created_ms = 0, execution_ms = 0, bytes_scanned = 0;
  std::int64_t events_matched = 0, events_scanned = 0, results_count = 0;
  std::string results_path;                      // the result CSV (header row first)
  std::vector<std::string> columns;              // result column names
  std::vector<std::string> stores;               // ARNs of the stores it reads
  std::shared_ptr<query::Cancellation> running;  // while it runs

  json::object ToDoc() const;
  static LakeQuery FromDoc(const json::object& doc);
};

struct Env {
  Env(store::MetadataStore& m, aws::Invoker& i) : metadata(m), invoker(i) {}
  store::MetadataStore& metadata;
  aws::Invoker& invoker;
  std::unique_ptr<EventStore> events;
  const iam::Organizations* orgs = nullptr;
  CloudTrailOptions options;

  Mutex mu;  // trails; taken before keys_mu, never while calling the invoker
  std::map<TrailKey, Trail> trails GUARDED_BY(mu);

  Mutex data_mu;  // a leaf
  std::shared_ptr<const std::vector<LoggingTrail>> logging_trails GUARDED_BY(data_mu);
  std::atomic<bool> any_data_trail{false};  // some logging trail selects data events

  Mutex keys_mu;                                                           // a leaf
  std::map<std::string, std::vector<KeyRecord>> keys GUARDED_BY(keys_mu);  // by region, oldest first

  Mutex delivery_mu;  // one delivery round at a time

  Mutex lake_mu;  // CloudTrail Lake's state; never held while calling the invoker
  std::map<std::string, EventDataStore> stores GUARDED_BY(lake_mu);  // by ARN
  std::map<std::string, LakeExport> exports GUARDED_BY(lake_mu);     // by store id
  std::map<std::string, LakeQuery> queries GUARDED_BY(lake_mu);      // by query id
  std::vector<std::thread> query_threads GUARDED_BY(lake_mu);
  Status SaveStore(const EventDataStore& s);
  Status EraseStore(const EventDataStore& s);
  Status SaveQuery(const LakeQuery& q);

  std::int64_t Now() const { return options.clock(); }
  // Persists `trail` (one transaction) and refreshes the recorder's snapshot. Caller holds `mu`.
  Status Save(const Trail& trail) EXCLUSIVE_LOCKS_REQUIRED(mu);
  Status Erase(const Trail& trail) EXCLUSIVE_LOCKS_REQUIRED(mu);
  void RefreshLoggingTrails() EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The trail `name_or_arn` names for a call in ctx's account and region (shadow copies of multi-region
  // trails of other regions too), or TrailNotFoundException / CloudTrailARNInvalidException.
  Result<Trail*> Find(const RequestContext& ctx, const std::string& name_or_arn) EXCLUSIVE_LOCKS_REQUIRED(mu);
  // As Find, for changes: the trail must be called from its home region.
  Result<Trail*> FindHome(const RequestContext& ctx, const std::string& name_or_arn)
      EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The region's current signing key (made, and stored, on first use or when the last one expired).
  Result<KeyRecord> CurrentKey(const std::string& region);
};

std::string TrailArn(const std::string& region, const std::string& account, const std::string& name);
// What a digest-signing key's sealed private half is bound to (services/common/secret_sealer.hpp).
inline std::string KeyPurpose(const std::string& region, const std::string& fingerprint) {
  return "cloudtrail digest key " + region + "/" + fingerprint;
}
// The S3 checks CreateTrail/UpdateTrail make as cloudtrail.amazonaws.com: the bucket exists and its policy
// lets CloudTrail read its ACL and write under <prefix>/AWSLogs/<account>/.
// The caller's HeadBucket tells a missing bucket (S3BucketDoesNotExistException).
Status CheckBucket(Env& env, const RequestContext& ctx, const std::string& trail_arn,
                   const std::string& bucket, const std::string& prefix);

// The caller CloudTrail's own S3 calls are made as: the service principal acting for `trail_arn`.
aws::Caller ServiceCaller(const std::string& account, const std::string& region,
                          const std::string& trail_arn);

// The "cloudtrail" component's migrations and the schema they end at (cloudtrail_provider.cpp).
std::vector<std::string> Migrations();
store::FreshSchema FreshSchema();

// ---- delivery (delivery.cpp)
Status DeliverAll(Env& env, bool force_digest);

// ---- CloudTrail Lake (lake.cpp): loads stores and query records at Open; stops running queries.
Status LoadLake(Env& env);
void StopLakeQueries(Env& env);
// The first event data store ARN a query reads ("" for an unknown query): the action map's QueryStoreOf.
std::string QueryStoreOf(Env& env, const std::string& query_id);

// ---- handlers
#define CENOTE_CLOUDTRAIL_HANDLER(name) \
  Result<OperationOutput> name(Env& env, const RequestContext& ctx, OperationInput& in)
CENOTE_CLOUDTRAIL_HANDLER(CreateTrail);
CENOTE_CLOUDTRAIL_HANDLER(UpdateTrail);
CENOTE_CLOUDTRAIL_HANDLER(DeleteTrail);
CENOTE_CLOUDTRAIL_HANDLER(GetTrail);
CENOTE_CLOUDTRAIL_HANDLER(DescribeTrails);
CENOTE_CLOUDTRAIL_HANDLER(ListTrails);
CENOTE_CLOUDTRAIL_HANDLER(StartLogging);
CENOTE_CLOUDTRAIL_HANDLER(StopLogging);
CENOTE_CLOUDTRAIL_HANDLER(GetTrailStatus);
CENOTE_CLOUDTRAIL_HANDLER(PutEventSelectors);
CENOTE_CLOUDTRAIL_HANDLER(GetEventSelectors);
CENOTE_CLOUDTRAIL_HANDLER(AddTags);
CENOTE_CLOUDTRAIL_HANDLER(RemoveTags);
CENOTE_CLOUDTRAIL_HANDLER(ListTags);
CENOTE_CLOUDTRAIL_HANDLER(LookupEvents);
CENOTE_CLOUDTRAIL_HANDLER(ListPublicKeys);
CENOTE_CLOUDTRAIL_HANDLER(CreateEventDataStore);
CENOTE_CLOUDTRAIL_HANDLER(GetEventDataStore);
CENOTE_CLOUDTRAIL_HANDLER(ListEventDataStores);
CENOTE_CLOUDTRAIL_HANDLER(UpdateEventDataStore);
CENOTE_CLOUDTRAIL_HANDLER(DeleteEventDataStore);
CENOTE_CLOUDTRAIL_HANDLER(RestoreEventDataStore);
CENOTE_CLOUDTRAIL_HANDLER(StartEventDataStoreIngestion);
CENOTE_CLOUDTRAIL_HANDLER(StopEventDataStoreIngestion);
CENOTE_CLOUDTRAIL_HANDLER(StartQuery);
CENOTE_CLOUDTRAIL_HANDLER(DescribeQuery);
CENOTE_CLOUDTRAIL_HANDLER(CancelQuery);
CENOTE_CLOUDTRAIL_HANDLER(ListQueries);
CENOTE_CLOUDTRAIL_HANDLER(GetQueryResults);
#undef CENOTE_CLOUDTRAIL_HANDLER

}  // namespace cenote::cloudtrail
