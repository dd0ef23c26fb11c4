// S3 Replication ("Replicating objects within and across Regions"): a versioned bucket's replication
// configuration (PutBucketReplication) names an IAM role and rules, each with a filter (prefix, tags, And),
// a destination bucket (any versioned bucket on this server: one in another region is Cross-Region
// Replication, one in the same region Same-Region Replication), an optional storage class for the replicas,
// and whether delete markers replicate.
//
// What acts on it: every new object version written to a bucket with a configuration, that an enabled rule's
// filter matches, is queued for each destination (the highest-priority matching rule per destination) in the
// table s3_replication_queue *inside the write transaction that makes the version*, and its
// x-amz-replication-status is PENDING; delete markers are queued the same way for the rules with
// DeleteMarkerReplication Enabled (and the filter-less V1 rules, as S3 does). A background task then copies
// each queued version as S3 does, through the configured role: S3's service principal assumes the role (its
// trust policy must allow s3.amazonaws.com), the role must be allowed s3:GetObjectVersionForReplication on
// the source version and s3:ReplicateObject (s3:ReplicateDelete for a delete marker) on the destination
// object (its identity policies and the destination's bucket policy decide, through the authorizer). The
// replica keeps the version id, the last-modified time, the user metadata and content headers, the tags and
// the checksums, takes the rule's storage class when it names one, is owned by the destination bucket's
// owner, and reads x-amz-replication-status REPLICA; the source then reads COMPLETED (FAILED when a
// destination refused or is gone). Bytes are not copied: the replica's blobs are hard links of the source's
// (SSE-S3 and SSE-C objects stay encrypted under their data key; SSE-KMS objects replicate only when the rule
// selects SseKmsEncryptedObjects, and keep the source's KMS key). Failures other than a refusal are retried
// with backoff (1 s doubling to 5 min) for 24 hours, then the source reads FAILED.
//
// Not done (docs/s3-coverage.md): replica modification sync, replication of metadata changes (tags, ACLs,
// retention) after the first copy, existing-object replication and S3 Batch Replication, Replication Time
// Control and replication metrics, ReplicaKmsKeyID, destinations in other accounts
// (AccessControlTranslation).
//
// Durability: the queue is in the metadata store, written in the transaction of the change it replicates, so
// an acknowledged write is replicated even across kill -9; the copy is idempotent (a replica that exists is
// not written again), so a crash between the copy and the queue update only repeats a no-op.
//
// Thread safety: Enqueue runs on request threads inside their write transactions; one background task
// replicates.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "aws/invoker.hpp"
#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "store/metadata_store.hpp"

namespace cenote::s3 {

struct Env;
struct BucketRow;
struct VersionRow;

class Replication {
 public:
  explicit Replication(Env& env) : env_(env) {}
  ~Replication();
  Replication(const Replication&) = delete;
  Replication& operator=(const Replication&) = delete;

  // Whether any bucket has a configuration (Open reads it; PutBucketReplication sets it): writes to a server
  // without one cost a single atomic load.
  void SetConfigured(bool any) { configured_.store(any); }

  // One destination a version is queued for.
  struct Target {
    std::string rule_id;
    std::string destination;    // bucket name
    std::string storage_class;  // "" : the source's
    std::string role;
  };
  // Inside the write transaction of `row` (before it is stored): the destinations its bucket's rules send it
  // to. Empty for unversioned buckets, replicas and versions no enabled rule matches.
  Result<std::vector<Target>> Match(store::Transaction& txn, const BucketRow& bucket, const VersionRow& row);
  // Inside the same transaction, once `row` has its version id: queues it for `targets`.
  Status Enqueue(store::Transaction& txn, const VersionRow& row, const std::vector<Target>& targets);
  // The write transaction that queued committed: wake the task.
  void Committed();

  // Replicates through `invoker` on a task of `tasks`, starting with what a previous run left queued.
  void Start(BackgroundTasks& tasks, aws::Invoker& invoker);
  // One round: every due entry; returns when the next retry is due (nullopt: none queued). Tests call it.
  Result<std::optional<std::int64_t>> ReplicateDue(std::int64_t now_ms);
  // Entries queued and not yet done (tests).
  Result<std::int64_t> Pending();

  static constexpr std::int64_t kFirstRetryMs = 1'000;
  static constexpr std::int64_t kMaxRetryMs = 300'000;
  static constexpr std::int64_t kGiveUpMs = 24 * 3'600'000;

 private:
  struct Entry;
  // Copies one queued version. Ok: done (or nothing left to do). An error with `refused` set: a permanent
  // failure (the role or a bucket refused, the destination is gone or unversioned).
  Status Replicate(const Entry& entry, bool& refused);
  Status InsertReplica(const Entry& entry, const VersionRow& source);
  Status SetStatus(const Entry& entry, bool failed);

  Env& env_;
  aws::Invoker* invoker_ = nullptr;
  std::atomic<bool> configured_{false};
  std::unique_ptr<BackgroundTask> task_;  // last: stopped before the state it uses goes
};

// PutBucketReplication's configuration as S3 validates it (versioning on the source and every destination,
// rules, filters, priorities), with an ID for each rule that has none; the error S3 answers otherwise.
Result<boost::json::object> ValidateReplication(store::Transaction& txn, const BucketRow& bucket,
                                                const boost::json::object& config);

}  // namespace cenote::s3
