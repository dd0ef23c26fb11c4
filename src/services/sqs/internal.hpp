// Shared internals of the SQS provider: queue and message state, the journal's record format, queue URLs
// and ARNs, and the handlers each .cpp of this directory implements. Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <atomic>
#include <boost/json.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aws/provider.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "iam/policy.hpp"
#include "services/common/data_key_cache.hpp"
#include "services/common/params.hpp"
#include "services/sqs/errors.hpp"
#include "services/sqs/sqs_provider.hpp"
#include "store/metadata_store.hpp"
#include "store/stream_log.hpp"

namespace cenote {
class BackgroundTask;
}

namespace cenote::sqs {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

inline constexpr std::int64_t kMaxMessageSizeLimit = 1024 * 1024;  // MaximumMessageSize's upper bound
inline constexpr std::int64_t kMaxBatchBytes = 1024 * 1024;        // a whole SendMessageBatch
inline constexpr std::size_t kMaxBatchEntries = 10;
inline constexpr std::size_t kMaxMessageAttributes = 10;
inline constexpr std::int64_t kMaxVisibilityTimeout = 43'200;  // seconds (12 hours)
inline constexpr std::int64_t kDedupWindowMs = 300'000;        // FIFO deduplication interval (5 minutes)
inline constexpr std::int64_t kPurgeIntervalMs = 60'000;
inline constexpr std::int64_t kDeletedRecentlyMs = 60'000;
inline constexpr std::size_t kMaxInflightStandard = 120'000;
inline constexpr std::size_t kMaxInflightFifo = 120'000;
inline constexpr std::size_t kMaxTags = 50;

// ---- where a queue lives ----
struct QueueKey {
  std::string account;
  std::string region;
  std::string name;
  auto operator<=>(const QueueKey&) const = default;
};
std::string QueueArn(const QueueKey& key);  // arn:aws:sqs:<region>:<account>:<name>
std::optional<QueueKey> ParseQueueArn(std::string_view arn);
// The (account, name) a queue URL names: its last two path segments ("http://host/<account>/<name>").
struct UrlParts {
  std::string account;
  std::string name;
};
std::optional<UrlParts> ParseQueueUrl(std::string_view url);
// The URL of a queue as the client that called sees it: the request's Host (so that SDKs that send the next
// call to the QueueUrl's host come back here), http or https as the request came.
// In-process calls (no Host) get `default_host`.
std::string QueueUrl(const RequestContext& ctx, const QueueKey& key, std::string_view default_host);

// ---- messages ----
struct MessageAttribute {
  std::string data_type;
  bool binary = false;
  std::string value;  // string value, or raw bytes when binary
};
using MessageAttributes = std::map<std::string, MessageAttribute>;  // by name, sorted (MD5 order)

// MD5 (lowercase hex) of a body, and of message (or system) attributes as AWS computes and SDKs verify it:
// per attribute in name order, 4-byte big-endian length + bytes of the name, of the data type, one byte
// transport type (1 string, 2 binary), length + bytes of the value.
std::string Md5Hex(std::string_view data);
std::string AttributesMd5(const MessageAttributes& attributes);

enum class MessageState : std::uint8_t { kDelayed, kReady, kInflight };

struct Message {
  std::uint64_t seq = 0;  // the journal sequence of its send record: the message's id inside the queue
  std::string message_id;
  std::string body;
  MessageAttributes attributes;
  std::string trace_header;  // system attribute AWSTraceHeader ("" when none)
  std::string sender_id;
  std::string group_id;
  std::string dedup_id;
  std::string dead_letter_source_arn;  // set on messages a redrive policy moved here
  std::int64_t sent_ms = 0;
  std::int64_t journal_ms = 0;     // when its send record was appended here (at most the record's arrival)
  std::int64_t visible_at_ms = 0;  // delayed / in flight until then
  std::int64_t first_receive_ms = 0;
  std::int64_t receive_count = 0;
  std::uint64_t receipt_nonce = 0;  // changes with every receive; receipt handles carry it
  MessageState state = MessageState::kReady;
  // SSE-KMS: `body` is the sealed envelope of the queue's encryption (encryption.cpp), opened for each
  // receiver with its own kms:Decrypt; md5_body is of the plaintext.
  bool sealed = false;
  std::string md5_body;
  std::string md5_attributes;  // "" when no attributes
  std::string md5_system;      // "" when no system attributes
};

// ---- the journal: one StreamLog per queue ----
// Every state change of a message is one record, appended (group-committed, fsynced) before the change is
// acknowledged; on start each queue's log is replayed to rebuild its messages. Record body: one type byte
// then the fields below (u64/i64 little-endian, strings as u32 length + bytes).
//   'S' send:       message id, body, attributes (u32 count; name, type, u8 binary, value), trace header,
//                   sender id, group id, dedup id, dead-letter source ARN, sent ms, visible-at ms,
//                   receive count, first receive ms
//   'E' sealed send: as 'S' with the body sealed (SSE-KMS), then the MD5 of the plaintext body
//   'R' receive:    u32 count; per message: seq, nonce, visible-at ms, receive count, first receive ms
//   'V' visibility: u32 count; per message: seq, visible-at ms
//   'D' delete:     u32 count; per message: seq (also a move to a dead-letter queue, a redrive)
//   'P' purge:      every message sent before this record is gone
std::string EncodeSend(const Message& m);
struct ReceiveEntry {
  std::uint64_t seq = 0;
  std::uint64_t nonce = 0;
  std::int64_t visible_at_ms = 0;
  std::int64_t receive_count = 0;
  std::int64_t first_receive_ms = 0;
};
std::string EncodeReceive(const std::vector<ReceiveEntry>& entries);
std::string EncodeVisibility(const std::vector<std::pair<std::uint64_t, std::int64_t>>& entries);
std::string EncodeDelete(const std::vector<std::uint64_t>& seqs);
std::string EncodePurge();

// ---- receipt handles ----
// Opaque to clients: base64 of (queue uid, message seq, receive nonce, check bytes).
std::string MakeReceiptHandle(const std::string& queue_uid, std::uint64_t seq, std::uint64_t nonce);
struct ReceiptParts {
  std::string queue_uid;
  std::uint64_t seq = 0;
  std::uint64_t nonce = 0;
};
std::optional<ReceiptParts> ParseReceiptHandle(std::string_view handle);

// ---- queues ----
// A FIFO receive's ReceiveRequestAttemptId: what it returned, so that a retry within 5 minutes gets the same
// messages and receipt handles while they are still in flight under that receive.
struct ReceiveAttempt {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> messages;  // (seq, receipt nonce)
  std::int64_t expires_ms = 0;
};

struct DedupEntry {
  std::string message_id;
  std::uint64_t seq = 0;
  std::int64_t expires_ms = 0;
};

struct Queue {
  // Immutable after creation.
  QueueKey key;
  std::string uid;  // the queue's identity inside the server (journal, receipt handles)
  std::string arn;
  bool fifo = false;
  std::int64_t created_ms = 0;
  // The queue's journal in the StreamLog ("<uid>/journal": the store's two-level log names).
  std::string LogName() const { return uid + "/journal"; }

  mutable Mutex mu;
  bool deleted GUARDED_BY(mu) = false;
  // The settable attributes, as AWS returns them (strings), defaults included.
  std::map<std::string, std::string> attributes GUARDED_BY(mu);
  std::map<std::string, std::string> tags GUARDED_BY(mu);
  std::shared_ptr<const iam::Policy> policy GUARDED_BY(mu);  // compiled "Policy", null when none
  std::int64_t modified_ms GUARDED_BY(mu) = 0;
  std::int64_t last_purge_ms GUARDED_BY(mu) = 0;

  std::map<std::uint64_t, Message> messages GUARDED_BY(mu);
  std::set<std::uint64_t> ready GUARDED_BY(mu);  // visible, by send order
  std::set<std::pair<std::int64_t, std::uint64_t>> timed
      GUARDED_BY(mu);  // (visible-at, seq): delayed/in flight
  std::size_t inflight GUARDED_BY(mu) = 0;
  std::size_t delayed GUARDED_BY(mu) = 0;
  std::map<std::string, int> group_inflight GUARDED_BY(mu);  // FIFO: in-flight messages per group
  std::map<std::string, DedupEntry> dedup GUARDED_BY(mu);    // FIFO: deduplication key -> first send
  std::deque<std::pair<std::int64_t, std::string>> dedup_expiry GUARDED_BY(mu);
  std::map<std::string, ReceiveAttempt> attempts GUARDED_BY(mu);  // FIFO: by ReceiveRequestAttemptId
  // Messages taken out of `messages` while their delete or move is being journaled (they come back if it
  // fails): while any are, the journal is not trimmed, since their send records may be older than every
  // message left.
  std::size_t detached GUARDED_BY(mu) = 0;
  // The head of the newest sealed message (SSE-KMS), "" when none was: a receiver must be able to Decrypt it.
  std::string sealed_head GUARDED_BY(mu);
  CondVar arrived{mu};  // signalled when a message may have become receivable, or the queue was deleted

  // FIFO sends hold this across deduplication, the journal append and the insert, so that the order of
  // the journal (sequence numbers) is the order in which messages become visible.
  Mutex send_mu;

  // Number attributes, parsed.
  std::int64_t IntAttribute(const std::string& name) const EXCLUSIVE_LOCKS_REQUIRED(mu);
  bool BoolAttribute(const std::string& name) const EXCLUSIVE_LOCKS_REQUIRED(mu);

  // Index maintenance: where a message is, by state. Every change of a message's visibility goes through
  // these so that ready / timed / counters stay consistent.
  void Place(Message& m, std::int64_t now_ms) EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Unplace(Message& m) EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Moves delayed and in-flight messages whose time has come to ready; drops messages past retention.
  void Promote(std::int64_t now_ms) EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Erase(std::uint64_t seq) EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Takes a message out while its delete or move is journaled (counted in `detached`).
  Message Detach(std::uint64_t seq) EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Ends the detachment of `n` messages whose change is durable.
  void Settle(std::size_t n) EXCLUSIVE_LOCKS_REQUIRED(mu) { detached -= std::min(detached, n); }
  // Puts detached messages back (their change could not be journaled), ends their detachment and wakes
  // receivers.
  void Restore(std::vector<Message>& taken, std::int64_t now_ms) EXCLUSIVE_LOCKS_REQUIRED(mu);
  void ExpireDedup(std::int64_t now_ms) EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The deadLetterTargetArn of the queue's RedrivePolicy and its maxReceiveCount; ("", 0) when none.
  std::pair<std::string, std::int64_t> RedriveTarget() const EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The deduplication key of a FIFO message (group-scoped under DeduplicationScope=messageGroup).
  std::string DedupKey(const std::string& group, const std::string& dedup_id) const
      EXCLUSIVE_LOCKS_REQUIRED(mu);
};

struct MoveTask {
  std::string task_handle;
  std::string source_arn;
  std::string destination_arn;      // "" = each message's source queue
  std::int64_t max_per_second = 0;  // 0 = system optimized
  std::string status;               // RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED
  std::int64_t started_ms = 0;
  std::int64_t moved = 0;
  std::int64_t to_move = 0;
  std::string failure_reason;
};
json::object MoveTaskDoc(const MoveTask& t);
MoveTask MoveTaskFromDoc(const json::object& doc);

struct Env {
  store::MetadataStore& metadata;
  store::StreamLog& log;
  SqsOptions options;
  std::int64_t Now() const { return options.clock ? options.clock() : 0; }

  mutable Mutex mu;
  std::map<QueueKey, std::shared_ptr<Queue>> queues GUARDED_BY(mu);
  std::map<QueueKey, std::int64_t> deleted_at GUARDED_BY(mu);  // QueueDeletedRecently
  std::map<std::string, std::shared_ptr<Queue>> by_arn GUARDED_BY(mu);
  std::vector<MoveTask> move_tasks GUARDED_BY(mu);  // newest last
  // Long polls waiting right now, across queues: each holds a server worker thread while it waits, so past
  // SqsOptions::max_waiting_receives a receive answers at once instead of waiting.
  std::atomic<int> waiting_receives{0};

  Env(store::MetadataStore& m, store::StreamLog& l, SqsOptions o)
      : metadata(m), log(l), options(std::move(o)) {}

  // The queue a request's QueueUrl names (in the request's region), or QueueDoesNotExist.
  Result<std::shared_ptr<Queue>> FindByUrl(const RequestContext& ctx, const json::object& params);
  Result<std::shared_ptr<Queue>> FindByUrl(const RequestContext& ctx, std::string_view url);
  std::shared_ptr<Queue> FindByArn(std::string_view arn);
  std::shared_ptr<Queue> Find(const QueueKey& key);
  // The queues whose RedrivePolicy targets `dlq` (in its account and region), by name.
  std::vector<std::shared_ptr<Queue>> SourcesOf(const Queue& dlq);
  std::string Url(const RequestContext& ctx, const QueueKey& key) const {
    return QueueUrl(ctx, key, options.default_host);
  }

  // Persists a queue's definition (attributes, tags) in the metadata store.
  Status SaveQueue(const Queue& q) EXCLUSIVE_LOCKS_REQUIRED(q.mu);

  // SSE-KMS data keys: GenerateDataKey answers reused per sender and queue for the queue's
  // KmsDataKeyReusePeriodSeconds, Decrypt answers per receiver and data key (encryption.cpp).
  services::DataKeyCache data_keys{300'000};

  // Appends journal records for `q` and waits until they are durable.
  Result<std::vector<std::uint64_t>> Append(const Queue& q, std::vector<std::string> bodies);

  // Moves messages of `from` (already taken out of it by the caller, still in its journal) into `to`
  // keeping their ids and send times (redrive policies, message move tasks): send records into `to`, then
  // delete records in `from`. At-least-once: a crash in between leaves a copy in both.
  Status Transfer(Queue& from, Queue& to, std::vector<Message> messages, bool to_dead_letter);

  // Persists a move task (move_tasks.cpp) and forgets all but the newest kKeptMoveTasks of its source queue.
  Status SaveMoveTask(const MoveTask& t) EXCLUSIVE_LOCKS_REQUIRED(mu);
};

// ---- SSE-KMS (encryption.cpp) ----
// While a queue has a KmsMasterKeyId, every message body sent to it is sealed (AES-256-GCM) under a data key
// KMS generates for the sender, asked in-process as the sender via SQS (kms:ViaService sqs.<region>...), with
// {"aws:sqs:arn": <queue ARN>} as encryption context, as AWS documents; so the key policy decides: a sender
// needs kms:GenerateDataKey, a receiver kms:Decrypt (SNS and S3 sending to an encrypted queue need the key
// policy to allow their service principals, as on AWS). The sealed body stays sealed in memory and in the
// journal and is opened for each receive with the receiver's own Decrypt.
struct BodySealer {
  std::string key;   // the data key (wiped on destruction)
  std::string blob;  // KMS's CiphertextBlob of it
  ~BodySealer();
};
// The queue's KMS key and reuse period, or nullopt when the queue is not SSE-KMS.
struct QueueKms {
  std::string key_id;
  std::int64_t reuse_ms = 300'000;
};
std::optional<QueueKms> KmsOf(const Queue& q) EXCLUSIVE_LOCKS_REQUIRED(q.mu);
Result<BodySealer> SealerFor(Env& env, const RequestContext& ctx, const std::string& queue_arn,
                             const QueueKms& kms);
// The envelope: "SQE1" | u16 blob length | blob | u16 queue ARN length | queue ARN | nonce, ciphertext, tag
// (the ARN is the encryption context and the additional authenticated data; a message moved to a dead-letter
// queue keeps it).
Result<std::string> SealBody(const BodySealer& sealer, const std::string& queue_arn, std::string_view body);
Result<std::string> OpenBody(Env& env, const RequestContext& ctx, std::string_view sealed);
// The head of a sealed body (magic, data key blob, ARN; "" when malformed), and the check that `ctx` may
// Decrypt the data key a head names (what ReceiveMessage asks before it takes any message in flight).
std::string SealedHead(std::string_view sealed);
Status CheckDecrypt(Env& env, const RequestContext& ctx, std::string_view head);

// Rebuilds a queue's messages from its journal.
Status Replay(Env& env, Queue& q);

// Deep-checks and normalizes queue attributes (CreateQueue, SetQueueAttributes). `fifo` is the queue's
// type; `creating` allows FifoQueue. Returns the attributes as stored (strings).
Result<std::map<std::string, std::string>> CheckAttributes(Env& env, const RequestContext& ctx, bool fifo,
                                                           const QueueKey& key,
                                                           const json::object& attributes, bool creating);
// The defaults of a new queue.
std::map<std::string, std::string> DefaultAttributes(bool fifo);

// ---- handlers ----
Result<OperationOutput> CreateQueue(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> GetQueueUrl(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListQueues(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DeleteQueue(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> GetQueueAttributes(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> SetQueueAttributes(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> PurgeQueue(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> TagQueue(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> UntagQueue(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListQueueTags(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> AddPermission(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> RemovePermission(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListDeadLetterSourceQueues(Env& env, const RequestContext& ctx, OperationInput& in);

Result<OperationOutput> SendMessage(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> SendMessageBatch(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ReceiveMessage(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DeleteMessage(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DeleteMessageBatch(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ChangeMessageVisibility(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ChangeMessageVisibilityBatch(Env& env, const RequestContext& ctx, OperationInput& in);

Result<OperationOutput> StartMessageMoveTask(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> CancelMessageMoveTask(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListMessageMoveTasks(Env& env, const RequestContext& ctx, OperationInput& in);
// Runs the move tasks that are RUNNING a step further (background task; tests call it).
void RunMoveTasks(Env& env);

}  // namespace cenote::sqs
