// CloudTrail event records: what one answered call becomes (AWS's "CloudTrail record contents" and
// "CloudTrail userIdentity element"), and the rules kept as data that shape it: which operations are data
// events (S3 object-level operations, the Kinesis data plane, ...), which are read-only, and which request
// and response members are secrets CloudTrail leaves out (secret access keys, passwords, KMS plaintexts,
// record payloads). The rules live in event_rules.cpp as one JSON document per service.
//
// Thread safety: pure functions over immutable tables (parsed once, on first use).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aws/pipeline/after_hooks.hpp"

namespace cenote::cloudtrail {

// How CloudTrail classifies an operation of a service.
struct EventClass {
  bool data = false;       // eventCategory "Data" (else "Management")
  bool read_only = false;  // readOnly
  bool recorded = true;    // false for operations CloudTrail does not record at all
};
EventClass Classify(std::string_view service, std::string_view operation);

// The record's resources entry.
struct EventResource {
  std::string arn;
  std::string account_id;
  std::string type;  // "AWS::S3::Bucket", "AWS::S3::Object", "AWS::Kinesis::Stream", ...
};
// The resources an operation touches, from the action map (iam::ActionMap) applied to its input; empty
// when the map cannot resolve them without state (a lookup) or names no resource.
std::vector<EventResource> ResourcesOf(std::string_view service, std::string_view operation,
                                       const boost::json::value& params, std::string_view region,
                                       std::string_view account);
// The action map's TrailARN(Name, Region, Account) lookup (iam_actions.json): a trail ARN as given, or the
// ARN of the trail of that name in the region and account.
std::string TrailArnOf(std::string_view name_or_arn, std::string_view region, std::string_view account);
// The action map's CloudTrail Lake lookups that need no state (lake.cpp): EventDataStoreARN(store, region,
// account) keeps an ARN and builds one from an id; QueryStoreARN(statement, region, account) is the first
// event data store a query statement names (InvalidQueryStatementException when it names none). nullopt for
// other names.
std::optional<Result<std::string>> LakeLookup(std::string_view name, std::span<const std::string> args);

// "AWS::<Service>::<Type>" of an ARN (CloudFormation's resource type names, as CloudTrail uses them).
std::string ResourceTypeOf(std::string_view arn);

// Copies `doc` with every member named in the service's redaction list for `direction` ("request" or
// "response") removed, at any depth, and member names turned to AWS's lowerCamelCase as CloudTrail
// records them.
boost::json::value RedactedElements(std::string_view service, std::string_view direction,
                                    const boost::json::value& doc);

// "2026-12-06T10:07:23Z"
std::string EventTime(std::int64_t ms);

// What event selection, delivery's routing and the event history read of a record, without parsing it.
struct EventSummary {
  bool data = false;  // eventCategory "Data"
  bool read_only = false;
  std::string event_source, event_name, region, event_time, event_id, error_code, recipient_account;
  std::string identity_type;  // userIdentity.type
  std::string identity_arn;   // userIdentity.arn
  std::string access_key_id;  // userIdentity.accessKeyId
  std::string user_name;      // the event history's Username: "root", the user or session name, the service
  std::vector<EventResource> resources;
};
// The summary of a stored record (LookupEvents' index at Open, CloudTrail Lake's selection).
EventSummary SummaryOf(const boost::json::object& event);

// One call as CloudTrail records it (eventVersion 1.11), as JSON text into `out` (appended), with its
// summary. Its recipientAccountId (whose trails and event history receive it) is the caller's account, or
// for anonymous calls the resource's, else `fallback_account`. Written directly (no JSON document): this runs
// on every recorded call before the response leaves.
void WriteEventRecord(const aws::pipeline::CallRecord& record, const EventClass& cls, std::int64_t now_ms,
                      std::string_view event_id, const std::string& fallback_account, std::string& out,
                      EventSummary& summary);
// The same record as a JSON object.
boost::json::object BuildEventRecord(const aws::pipeline::CallRecord& record, const EventClass& cls,
                                     std::int64_t now_ms, const std::string& event_id,
                                     const std::string& fallback_account);

// The account whose history an event belongs to: the caller's; for anonymous callers, the account of the
// first resource, else `fallback`.
std::string RecipientAccount(const aws::pipeline::CallRecord& record,
                             const std::vector<EventResource>& resources, const std::string& fallback);

}  // namespace cenote::cloudtrail
