// Streaming object bytes in and out of the BlobStore.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "services/s3/internal.hpp"

namespace cenote::s3 {

struct StoredBlob {
  std::string id;                           // empty when the bytes are inline
  std::optional<std::string> inline_bytes;  // the whole body, when it fit the inline limit
  std::uint64_t size = 0;
  std::string md5;                               // raw
  std::map<std::string, std::string> checksums;  // algorithm name -> base64, for the requested algorithms
};

// The checksum algorithms a PutObject/UploadPart asks for: ChecksumAlgorithm, any Checksum<ALG> member,
// and the x-amz-trailer announcement of an aws-chunked body.
std::vector<std::string> RequestedChecksums(const RequestContext& ctx, const json::object& params,
                                            const std::string& upload_algorithm);

// Write path, step 1 alone: `body` streamed into a new, uncommitted blob writer (discarded with the
// writer), its digests final. BlobStore::CommitAll then commits several such bodies at once.
struct StagedBody {
  std::unique_ptr<store::BlobWriter> writer;  // null when the body is inline
  std::optional<std::string> inline_bytes;    // the whole body, when it fit `inline_max` bytes
  std::uint64_t size = 0;
  std::string md5;                               // raw
  std::map<std::string, std::string> checksums;  // algorithm name -> base64
};
// A body of at most `inline_max` bytes (0: none) is kept in memory instead (no blob). A body that would cross
// the blob store's free-space reserve (inline ones included) fails with InsufficientStorage (507), a declared
// length before any of it is read.
// With `key`, the bytes are encrypted as they land (sse.hpp; inline bytes too); sizes and digests are the
// plaintext's.
Result<StagedBody> StageBody(Env& env, http::BodyReader* body, const std::vector<std::string>& algorithms,
                             std::uint64_t max_size, std::uint64_t inline_max = 0,
                             const DataKey* key = nullptr);

// Write path, step 1 and 2: streams `body` into a new blob (1 MiB reads) hashing MD5 + `algorithms`,
// then commits it (fsync, rename, fsync dir). Fails with EntityTooLarge past `max_size` (the temp blob is
// discarded). A null body is an empty object.
// With `inline_max` > 0, a body that small is returned inline and no blob is made.
Result<StoredBlob> StoreBody(Env& env, http::BodyReader* body, const std::vector<std::string>& algorithms,
                             std::uint64_t max_size, std::uint64_t inline_max = 0,
                             const DataKey* key = nullptr);

// Checks Content-MD5 (InvalidDigest/BadDigest) and every x-amz-checksum-* value given as a member or as
// a trailer (InvalidRequest for a malformed value, BadDigest on mismatch) against what was computed.
Status VerifyDigests(const json::object& params, const http::BodyReader* body, const StoredBlob& stored);

// An x-amz-checksum-<name> value a client gave for a whole object (CompleteMultipartUpload) against the
// checksum S3 computed (`computed`, base64, a composite one with its "-<part count>" suffix): InvalidRequest
// when malformed, BadDigest when different. A composite value may carry the suffix or not.
Status CheckObjectChecksum(const std::string& name, const std::string& given, const std::string& computed,
                           std::size_t part_count);

// Checks the Content-MD5 and x-amz-checksum-* headers of a request against its document body (the XML an
// operation such as DeleteObjects or PutBucketTagging received: OperationInput::raw_body), with the errors
// of VerifyDigests; InvalidRequest for x-amz-sdk-checksum-algorithm without a checksum to go with it.
// `required` (DeleteObjects): InvalidRequest when the request carries no checksum at all.
// `object_checksums` (CompleteMultipartUpload): the x-amz-checksum-* headers describe the object being
// completed, not the document, and are left to the operation (Content-MD5 is still the document's).
Status VerifyDocumentDigests(const RequestContext& ctx, std::string_view body, bool required,
                             bool object_checksums = false);

// A reader of one manifest piece: its blob, or its inline bytes; with `key`, their plaintext.
Result<std::unique_ptr<store::BlobReader>> OpenPiece(store::BlobStore& blobs, const BlobRef& ref,
                                                     const DataKey* key = nullptr);

// A response body streaming bytes [offset, offset + length) of an object manifest. The first blobs are
// opened before returning, so a concurrent overwrite (which deletes the old blobs after its commit) cannot
// pull the bytes away mid-response: an unlinked file stays readable through an open descriptor. Fails
// (NoSuchBlob) if a blob is already gone; GetObject then re-reads the metadata and retries.
// `first_blob`, when given, is an already open reader of manifest[0] (from the ReadCache). With `key`, the
// pieces are encrypted (sse.hpp) and the body is their plaintext (decrypted segment by segment, never sent
// with sendfile).
Result<std::unique_ptr<http::BodySource>> OpenManifestBody(
    store::BlobStore& blobs, const std::vector<BlobRef>& manifest, std::uint64_t offset, std::uint64_t length,
    std::shared_ptr<store::BlobReader> first_blob = nullptr, const DataKey* key = nullptr);

// Copies bytes [offset, offset + length) of a manifest into a new committed blob with 1 MiB buffers,
// hashing MD5 (of the plaintext). Used by UploadPartCopy with a range (whole single-blob sources are cloned
// instead) and by copies that change the encryption: `source_key` decrypts the manifest's pieces,
// `dest_key` encrypts the new blob.
Result<StoredBlob> CopyRangeToBlob(Env& env, const std::vector<BlobRef>& manifest, std::uint64_t offset,
                                   std::uint64_t length, const DataKey* source_key = nullptr,
                                   const DataKey* dest_key = nullptr);

}  // namespace cenote::s3
