// S3Provider: Amazon S3 (rest-xml, "s3") over the MetadataStore and the BlobStore.
//
// Storage layout (DESIGN.md "Storage and durability contract"):
//   - object bytes live in BlobStore blobs named by internal ids; an object version is a manifest, an
//     ordered list of (blob id, size), so CompleteMultipartUpload and CopyObject never copy bytes;
//   - metadata lives in the MetadataStore tables s3_buckets, s3_versions, s3_uploads, s3_parts and
//     s3_completed (schema in s3_provider.cpp, component "s3"). Keys are compared as TEXT with binary
//     collation, which is S3's UTF-8 byte order (PostgreSQL: COLLATE "C").
//
// Every write follows: stream the body into a BlobWriter (hashing on the fly) -> Commit (fsync, rename,
// fsync dir) -> one metadata transaction -> delete superseded blobs -> acknowledge. A crash between the
// steps leaves at worst an unreferenced blob, which Open() removes.
//
// Thread safety: Invoke may be called concurrently from any number of threads; all shared state is in
// the stores (which serialize write transactions), an atomic sequence counter and the ReadCache (one
// mutex).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/provider.hpp"
#include "common/result.hpp"
#include "services/s3/lake_access.hpp"
#include "store/blob_store.hpp"
#include "store/metadata_store.hpp"

namespace cenote::s3 {

class ReadCache;

struct S3Options {
  std::string default_region = "us-east-1";
  // Largest object a single PutObject / CopyObject / UploadPart may carry (AWS: 5 GiB).
  std::uint64_t max_object_size = 5ull * 1024 * 1024 * 1024;
  // Smallest non-last part CompleteMultipartUpload accepts (AWS: 5 MiB). Tests may lower it.
  std::uint64_t min_part_size = 5ull * 1024 * 1024;
  // Objects up to this size (PutObject bodies, in-process writes) are stored inline in their metadata
  // row: no blob file, fsync or rename. 0: every object is a blob.
  std::uint64_t inline_max_bytes = 4096;
};

// Also the in-process LakeAccess of the other services (lake.cpp).
class S3Provider final : public aws::Provider, public LakeAccess {
 public:
  // Runs the "s3" schema migrations and crash recovery: removes blobs no metadata row references
  // (temp files are the BlobStore's own business). The BlobStore must be dedicated to S3. The stores
  // must outlive the provider.
  static Result<std::unique_ptr<S3Provider>> Open(store::MetadataStore& metadata, store::BlobStore& blobs,
                                                  S3Options options);
  ~S3Provider() override;

  std::string_view service() const override { return "s3"; }
  bool Implements(std::string_view operation) const override;
  Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                      aws::OperationInput& input) override;

  // The operations Invoke implements; every other operation of the S3 model answers NotImplemented.
  static const std::vector<std::string_view>& SupportedOperations();

  // Crash recovery (also run by Open): deletes blobs that no version, part or upload references.
  // Returns the number of blobs removed. Must not run concurrently with writes.
  Result<std::size_t> RemoveOrphanBlobs();

  // LakeAccess (lake.cpp). In-process writes act as the bucket's owner.
  Status HeadBucket(const std::string& bucket) override;
  Result<std::vector<LakeObject>> ListObjects(const std::string& bucket, const std::string& prefix,
                                              std::size_t max_objects) override;
  Result<std::string> LocalPath(const std::string& bucket, const std::string& key) override;
  Result<std::string> GetObject(const std::string& bucket, const std::string& key,
                                std::uint64_t max_bytes) override;
  Result<LakeObject> PutObject(const std::string& bucket, const std::string& key, const std::string& bytes,
                               const std::string& content_type) override;
  Result<LakeObject> PutObjectFromFile(const std::string& bucket, const std::string& key,
                                       const std::string& path, const std::string& content_type) override;
  Result<std::vector<LakeObject>> PutObjects(const std::string& bucket, const std::vector<LakePut>& puts,
                                             const std::function<Status(store::Transaction&)>& also) override;
  Status DeleteObject(const std::string& bucket, const std::string& key) override;

  // The directories holding the files LocalPath returns (blobs and the multipart cache).
  std::vector<std::string> LocalDirectories() const;

  // Implementation detail shared by the translation units of this directory.
  struct Env;

 private:
  S3Provider(store::MetadataStore& metadata, store::BlobStore& blobs, S3Options options);
  Result<aws::OperationOutput> Dispatch(const aws::RequestContext& ctx, std::string_view operation,
                                        aws::OperationInput& input);

  store::MetadataStore& metadata_;
  store::BlobStore& blobs_;
  Result<LakeObject> PutFromReader(const std::string& bucket, const std::string& key, http::BodyReader& body,
                                   const std::string& content_type);

  S3Options options_;
  std::atomic<std::int64_t> last_seq_{0};
  std::string cache_dir_;  // <blob root>/../cache: multipart objects concatenated for LocalPath
  std::unique_ptr<ReadCache> read_cache_;  // bucket and latest-version rows of GET/HEAD (read_cache.hpp)
};

}  // namespace cenote::s3
