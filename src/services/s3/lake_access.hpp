// LakeAccess: in-process access to S3 objects for the services that read and write the lake as files
// (Glue crawlers, Athena, Firehose). Implemented over S3Provider's stores and rules, the same as the wire
// API's: objects written here are ordinary S3 objects (ETag, checksums, versioning), owned by the bucket's
// owner as every S3 object is, visible to clients at once, and durable before the call returns.
//
// Bucket and key errors are S3's own (NoSuchBucket 404, NoSuchKey 404, ...), so a caller can put
// their message into its own error ("Unable to verify/create output bucket ..."); a denied call is
// AccessDenied (403), an internal failure S3's canned InternalError (500, the cause logged).
//
// Thread safety: every method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aws/invoker.hpp"
#include "common/result.hpp"

namespace cenote::store {
class Transaction;
}

namespace cenote::s3 {

// One object of a PutObjects batch: its bytes, or (when `path` is set) the local file that holds them.
struct LakePut {
  std::string key;
  std::string bytes;
  std::string path;  // copied, not moved: the caller removes it
  std::string content_type;
  // User metadata (x-amz-meta-<name>: value), as PutObject's Metadata member: names without the prefix.
  std::map<std::string, std::string> metadata;
};

// Server-side encryption a writer asks for, as x-amz-server-side-encryption and
// x-amz-server-side-encryption-aws-kms-key-id would: algorithm "" (the bucket's default encryption),
// "AES256" or "aws:kms" (with `kms_key_id`, or the AWS managed key aws/s3 when empty). SSE-KMS asks KMS as
// the LakeAccess's caller, via S3.
struct LakeWriteEncryption {
  std::string algorithm;
  std::string kms_key_id;
};

// The latest (non-delete-marker) version of an object.
struct LakeObject {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;  // quoted, as S3 returns it
  std::int64_t last_modified_ms = 0;
};

class LakeAccess {
 public:
  virtual ~LakeAccess() = default;

  virtual Status HeadBucket(const std::string& bucket) = 0;

  // Every object whose key starts with `prefix`, in S3 key order, at most `max_objects` (the caller
  // treats hitting the limit as an error of its own). No delimiter: the whole subtree.
  virtual Result<std::vector<LakeObject>> ListObjects(const std::string& bucket, const std::string& prefix,
                                                      std::size_t max_objects) = 0;

  // A local file holding exactly the current bytes of the object, for engines that read files
  // (DuckDB). Single-part objects answer their blob file; multipart objects are concatenated once
  // into a cache file under the S3 data directory keyed by the blob ids (so the cache can never be
  // stale). The path stays readable until the object is overwritten or deleted; a reader that holds
  // it open keeps reading the old bytes (blobs are immutable, unlink keeps open files alive).
  virtual Result<std::string> LocalPath(const std::string& bucket, const std::string& key) = 0;

  // Reads the whole object (small objects only: results, metadata, manifests). EntityTooLarge past
  // `max_bytes`.
  virtual Result<std::string> GetObject(const std::string& bucket, const std::string& key,
                                        std::uint64_t max_bytes) = 0;

  // Stores `bytes` / the contents of the local file `path` as the object, like PutObject without
  // conditions. The file is copied, not moved; the caller removes it.
  virtual Result<LakeObject> PutObject(const std::string& bucket, const std::string& key,
                                       const std::string& bytes, const std::string& content_type) = 0;
  virtual Result<LakeObject> PutObjectFromFile(const std::string& bucket, const std::string& key,
                                               const std::string& path, const std::string& content_type) = 0;

  // Stores every object of `puts` (distinct keys) in `bucket` and publishes them in ONE metadata
  // transaction, in which `also` runs too (when given): the objects and whatever `also` writes to the
  // metadata store become durable and visible together, or not at all. Their blob fsyncs overlap. For a
  // writer that publishes several objects with a state change (Athena: result file, .metadata and the
  // query's final state). Results come back in the order of `puts`. Each object is its own PutObject call
  // (authorized and recorded); one denied, none is written.
  virtual Result<std::vector<LakeObject>> PutObjects(
      const std::string& bucket, const std::vector<LakePut>& puts,
      const std::function<Status(store::Transaction&)>& also) = 0;

  // The user metadata of the object's latest version (HeadObject's Metadata: x-amz-meta-* names without
  // the prefix). Test doubles that keep no metadata answer none.
  virtual Result<std::map<std::string, std::string>> ObjectMetadata(const std::string& bucket,
                                                                    const std::string& key) {
    (void)bucket;
    (void)key;
    return std::map<std::string, std::string>{};
  }

  // Like DeleteObject: succeeds when the key does not exist.
  virtual Status DeleteObject(const std::string& bucket, const std::string& key) = 0;

  // The encryption every later write of this access asks for (Athena's result configuration, a delivery
  // stream's KMSEncryptionConfig). Set before the writes, from the thread that makes them. Test doubles
  // that keep no encryption may ignore it.
  virtual void SetWriteEncryption(const LakeWriteEncryption& encryption) { (void)encryption; }
};

// The lake as other services get it (offered by S3's Register, made by S3Provider::MakeLake): a
// LakeAccess per caller, whose every call goes through the request pipeline as an in-process call
// (aws/invoker.hpp) named after the S3 operation it performs (HeadBucket, ListObjectsV2, GetObject,
// PutObject, DeleteObject), so authorize decides on it and the after-hooks record it, without HTTP and
// without copying bytes into documents (LocalPath hands the engine a file; PutObjects publishes in one
// transaction). The work runs only inside that call and as its caller: there is no other way in.
//
// Thread safety: For() and the LakeAccess objects it returns may be used from any thread.
class Lake {
 public:
  virtual ~Lake() = default;
  // `caller`: the principal the calls are made as (the user running a query, the role a delivery stream
  // or crawler is configured with) and the calling service ("athena.amazonaws.com").
  virtual std::unique_ptr<LakeAccess> For(aws::Caller caller) = 0;
};

}  // namespace cenote::s3
