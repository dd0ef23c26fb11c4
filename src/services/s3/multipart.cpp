// Multipart uploads. Parts are durable blobs of their own (s3_parts); CompleteMultipartUpload is one
// metadata transaction that turns the listed parts into the object's manifest without copying bytes.
#include <algorithm>
#include <cstdio>

#include "common/checksum.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/s3/checksums.hpp"
#include "services/s3/env.hpp"
#include "services/s3/listing.hpp"
#include "services/s3/object_io.hpp"

namespace cenote::s3 {

namespace {

const json::object& P(OperationInput& in) { return in.params.as_object(); }

struct UploadRow {
  std::string upload_id, bucket, key;
  std::int64_t initiated_ms = 0;
  std::string owner_id, owner_name;
  json::object attrs;  // AttrsFromRequest + ChecksumAlgorithm + ChecksumType
  json::array tags;
  std::string storage_class;
};

const char* const kUploadColumns =
    "upload_id, bucket, key, initiated_ms, owner_id, owner_name, attrs, tags, storage_class";

UploadRow UploadFromRow(const store::Row& r) {
  UploadRow u;
  u.upload_id = store::AsText(r[0]);
  u.bucket = store::AsText(r[1]);
  u.key = store::AsText(r[2]);
  u.initiated_ms = store::AsInt(r[3]);
  u.owner_id = store::AsText(r[4]);
  u.owner_name = store::AsText(r[5]);
  boost::system::error_code ec;
  auto a = json::parse(store::AsText(r[6]), ec);
  if (!ec && a.is_object()) u.attrs = a.as_object();
  auto t = json::parse(store::AsText(r[7]), ec);
  if (!ec && t.is_array()) u.tags = t.as_array();
  u.storage_class = store::AsText(r[8]);
  return u;
}

// The upload, which must belong to bucket/key (NoSuchBucket / NoSuchUpload otherwise).
Result<UploadRow> RequireUpload(Transaction& txn, const std::string& bucket, const std::string& key,
                                const std::string& upload_id) {
  CENOTE_RETURN_IF_ERROR(RequireBucket(txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn.QueryOne(std::string("SELECT ") + kUploadColumns + " FROM s3_uploads WHERE upload_id = ?",
                             {upload_id}));
  if (!row) return NoSuchUploadError(upload_id);
  UploadRow u = UploadFromRow(*row);
  if (u.bucket != bucket || u.key != key) return NoSuchUploadError(upload_id);
  return u;
}

Result<std::int64_t> PartNumberParam(const json::object& p) {
  auto n = GetInt(p, "PartNumber");
  if (!n || *n < 1 || *n > 10000) {
    return InvalidArgumentError(errors::kPartNumberOutOfRange, "partNumber", n ? std::to_string(*n) : "");
  }
  return *n;
}

std::string UploadAlgorithm(const UploadRow& u) {
  return GetString(u.attrs, "ChecksumAlgorithm").value_or("");
}

// Records a committed part blob, replacing an earlier upload of the same part number. Returns the
// replaced blob id ("" if none). Fails with NoSuchUpload if the upload was completed or aborted meanwhile.
Result<std::string> RecordPart(Env& env, const std::string& bucket, const std::string& key,
                               const std::string& upload_id, std::int64_t part_number,
                               const StoredBlob& stored, const std::string& etag, std::int64_t now) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireUpload(*txn, bucket, key, upload_id));
  CENOTE_ASSIGN_OR_RETURN(
      auto old, txn->QueryOne("SELECT blob_id FROM s3_parts WHERE upload_id = ? AND part_number = ?",
                              {upload_id, part_number}));
  json::object sums;
  for (const auto& [name, value] : stored.checksums) sums[name] = value;
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO s3_parts (upload_id, part_number, blob_id, size, etag, last_modified_ms, checksums) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upload_id, part_number) DO UPDATE SET blob_id = "
      "excluded.blob_id, "
      "size = excluded.size, etag = excluded.etag, last_modified_ms = excluded.last_modified_ms, "
      "checksums = excluded.checksums",
      {upload_id, part_number, stored.id, static_cast<std::int64_t>(stored.size), etag, now,
       json::serialize(sums)}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return old ? store::AsText((*old)[0]) : std::string();
}

}  // namespace

Result<OperationOutput> CreateMultipartUpload(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = P(in);
  auto bucket = GetString(p, "Bucket").value_or("");
  auto key = GetString(p, "Key").value_or("");
  if (key.empty() || key.size() > 1024) return MakeError(errors::kKeyTooLongError);
  auto storage_class = GetString(p, "StorageClass").value_or("STANDARD");
  if (!ValidStorageClass(storage_class)) return MakeError(errors::kInvalidStorageClass);
  CENOTE_RETURN_IF_ERROR(CheckUserMetadataSize(p));
  json::object attrs = AttrsFromRequest(p);
  std::string algorithm;
  if (auto a = GetString(p, "ChecksumAlgorithm")) {
    *a = AsciiUpper(*a);
    auto known = ChecksumNames();
    if (std::find(known.begin(), known.end(), *a) == known.end()) {
      return InvalidArgumentError(errors::kUnsupportedChecksumAlgorithm, "x-amz-checksum-algorithm", *a);
    }
    algorithm = *a;
  }
  std::string checksum_type = GetString(p, "ChecksumType").value_or("");
  if (!algorithm.empty()) {
    // CRC64NVME only exists as a full-object checksum; the others default to composite.
    if (checksum_type.empty()) checksum_type = algorithm == "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE";
    if (checksum_type != "COMPOSITE" && checksum_type != "FULL_OBJECT") {
      return InvalidArgumentError(errors::kInvalidChecksumType, "x-amz-checksum-type", checksum_type);
    }
    if (checksum_type == "FULL_OBJECT" && (algorithm == "SHA1" || algorithm == "SHA256")) {
      return MakeError(errors::kFullObjectChecksumUnsupported, {algorithm});
    }
    attrs["ChecksumAlgorithm"] = algorithm;
    attrs["ChecksumType"] = checksum_type;
  }
  // Object Lock settings wait with the upload for the version CompleteMultipartUpload makes.
  json::object lock_params;
  for (const char* member : {"ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus"}) {
    if (const auto* v = p.if_contains(member)) lock_params[member] = *v;
  }
  if (!lock_params.empty()) attrs["ObjectLock"] = std::move(lock_params);
  json::array tags;
  if (auto t = GetString(p, "Tagging")) {
    CENOTE_ASSIGN_OR_RETURN(tags, ParseTaggingHeader(*t));
  }
  // Sortable by initiation (seq in hex) so ListMultipartUploads orders a key's uploads by time.
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(env.NextSeq()));
  const std::string upload_id = std::string(buf) + RandomHex(12);
  {
    // The upload's data key waits with it (wrapped) for its parts and the version it becomes. Made before the
    // write transaction: SSE-KMS asks KMS for it, which must not wait on S3's writer.
    CENOTE_ASSIGN_OR_RETURN(auto read, env.Read());
    CENOTE_RETURN_IF_ERROR(RequireBucket(*read, bucket));
    CENOTE_ASSIGN_OR_RETURN(auto encryption, EncryptionForWrite(env, ctx, *read, bucket, p));
    if (encryption) attrs["SSE"] = std::move(encryption->doc);
  }
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
    CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
    // The upload's owner is the object's to be (Object Ownership); the ACL waits with it for the version.
    CENOTE_ASSIGN_OR_RETURN(auto acl, ObjectAclForWrite(*txn, p, ctx, b, env.options.accounts));
    if (acl.grants) attrs["ACL"] = std::move(*acl.grants);
    CENOTE_RETURN_IF_ERROR(txn->Exec(
        std::string("INSERT INTO s3_uploads (") + kUploadColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {upload_id, bucket, key, UnixNowMs(), acl.owner.id, acl.owner.name, json::serialize(attrs),
         json::serialize(tags), storage_class}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  OperationOutput out;
  auto& r = out.result.as_object();
  r["Bucket"] = bucket;
  r["Key"] = key;
  r["UploadId"] = upload_id;
  PutEncryptionMembers(r, attrs);
  if (!algorithm.empty()) {
    r["ChecksumAlgorithm"] = algorithm;
    r["ChecksumType"] = checksum_type;
  }
  return out;
}

Result<OperationOutput> UploadPart(Env& env, const RequestContext& ctx, OperationInput& in) {
  // Write path: stream body -> part blob (MD5 + checksums) -> Commit (fsync, rename, fsync dir) -> one
  // metadata transaction (upsert the part row) -> delete the replaced part's blob -> acknowledge.
  const auto& p = P(in);
  auto bucket = GetString(p, "Bucket").value_or("");
  auto key = GetString(p, "Key").value_or("");
  auto upload_id = GetString(p, "UploadId").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto part_number, PartNumberParam(p));
  UploadRow upload;
  std::optional<json::array> acl;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_ASSIGN_OR_RETURN(upload, RequireUpload(*txn, bucket, key, upload_id));
  }
  CENOTE_ASSIGN_OR_RETURN(auto data_key, KeyForUpload(env, ctx, p, upload.attrs));
  auto algorithms = RequestedChecksums(ctx, p, UploadAlgorithm(upload));
  CENOTE_ASSIGN_OR_RETURN(auto stored, StoreBody(env, in.body, algorithms, env.options.max_object_size, 0,
                                                 data_key ? &*data_key : nullptr));
  if (Status s = VerifyDigests(p, in.body, stored); !s) {
    env.DeleteBlobs({stored.id});
    return std::move(s).error();
  }
  const std::string etag = HexEncode(stored.md5);
  auto replaced = RecordPart(env, bucket, key, upload_id, part_number, stored, etag, UnixNowMs());
  if (!replaced) {
    env.DeleteBlobs({stored.id});
    return std::move(replaced).error();
  }
  if (!replaced->empty()) env.DeleteBlobs({*replaced});
  OperationOutput out;
  auto& r = out.result.as_object();
  r["ETag"] = Quote(etag);
  for (const auto& [name, value] : stored.checksums) r["Checksum" + name] = value;
  PutEncryptionMembers(r, upload.attrs);
  return out;
}

Result<OperationOutput> UploadPartCopy(Env& env, const RequestContext& ctx, OperationInput& in) {
  // Write path: clone (whole single-blob source) or copy the range with 1 MiB buffers into a new part
  // blob -> Commit -> one metadata transaction (upsert the part row) -> delete the replaced blob.
  const auto& p = P(in);
  auto bucket = GetString(p, "Bucket").value_or("");
  auto key = GetString(p, "Key").value_or("");
  auto upload_id = GetString(p, "UploadId").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto part_number, PartNumberParam(p));
  CENOTE_ASSIGN_OR_RETURN(auto source, ParseCopySource(GetString(p, "CopySource").value_or("")));
  VersionRow src;
  UploadRow upload;
  std::optional<json::array> acl;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_ASSIGN_OR_RETURN(upload, RequireUpload(*txn, bucket, key, upload_id));
    CENOTE_ASSIGN_OR_RETURN(src, LoadCopySource(*txn, source, p));
  }
  CENOTE_ASSIGN_OR_RETURN(auto source_key, KeyForRead(env, ctx, p, src.attrs, "CopySource"));
  CENOTE_ASSIGN_OR_RETURN(auto dest_key, KeyForUpload(env, ctx, p, upload.attrs));
  std::uint64_t first = 0, length = src.size;
  bool ranged = false;
  if (auto range = GetString(p, "CopySourceRange")) {
    std::string_view r = *range;
    unsigned long long a = 0, b = 0;
    char tail = 0;
    if (!r.starts_with("bytes=") ||
        std::sscanf(std::string(r.substr(6)).c_str(), "%llu-%llu%c", &a, &b, &tail) != 2 || b < a) {
      return InvalidArgumentError(errors::kMalformedCopySourceRange, "x-amz-copy-source-range", *range);
    }
    if (b >= src.size) {
      return InvalidArgumentError(errors::kCopySourceRangeOutOfBounds, "x-amz-copy-source-range", *range,
                                  {std::to_string(src.size)});
    }
    first = a;
    length = b - a + 1;
    ranged = true;
  }
  if (length > env.options.max_object_size) return MakeError(errors::kEntityTooLarge);
  StoredBlob stored;
  const bool plain_md5_etag = src.etag.find('-') == std::string::npos;
  if (!ranged && src.manifest.size() == 1 && !src.manifest[0].is_inline() && plain_md5_etag && !source_key &&
      !dest_key) {
    CENOTE_ASSIGN_OR_RETURN(auto id, env.blobs.Clone(src.manifest[0].id));
    stored.id = id;
    stored.size = src.size;
    stored.md5 = HexDecode(src.etag).value_or("");
  } else if (src.manifest.empty()) {
    CENOTE_ASSIGN_OR_RETURN(stored, StoreBody(env, nullptr, {}, 0, 0, dest_key ? &*dest_key : nullptr));
  } else {
    CENOTE_ASSIGN_OR_RETURN(
        stored, CopyRangeToBlob(env, src.manifest, first, length, source_key ? &*source_key : nullptr,
                                dest_key ? &*dest_key : nullptr));
  }
  const std::string etag = HexEncode(stored.md5);
  const std::int64_t now = UnixNowMs();
  auto replaced = RecordPart(env, bucket, key, upload_id, part_number, stored, etag, now);
  if (!replaced) {
    env.DeleteBlobs({stored.id});
    return std::move(replaced).error();
  }
  if (!replaced->empty()) env.DeleteBlobs({*replaced});
  OperationOutput out;
  auto& r = out.result.as_object();
  json::object result;
  result["ETag"] = Quote(etag);
  result["LastModified"] = now;
  r["CopyPartResult"] = std::move(result);
  PutEncryptionMembers(r, upload.attrs);
  if (src.version_id != "null" || source.version_id) r["CopySourceVersionId"] = src.version_id;
  return out;
}

Result<OperationOutput> CompleteMultipartUpload(Env& env, const RequestContext& ctx, OperationInput& in) {
  json::object lock_params;  // the upload's Object Lock settings (CreateMultipartUpload)
  // One metadata transaction: check the listed parts, insert the object version whose manifest is the
  // parts' blobs (no byte copy), delete the upload and its part rows, remember the completion for retries.
  // After the commit: delete superseded blobs and the blobs of uploaded-but-unlisted parts.
  const auto& p = P(in);
  auto bucket = GetString(p, "Bucket").value_or("");
  auto key = GetString(p, "Key").value_or("");
  auto upload_id = GetString(p, "UploadId").value_or("");
  const auto* mpu = services::GetObject(p, "MultipartUpload");
  const json::array* listed = mpu ? GetArray(*mpu, "Parts") : nullptr;
  if (!listed || listed->empty()) return MakeError(errors::kMalformedXML);
  std::vector<std::pair<std::int64_t, std::string>> wanted;
  for (const auto& e : *listed) {
    if (!e.is_object()) return MakeError(errors::kMalformedXML);
    auto n = GetInt(e.as_object(), "PartNumber");
    auto etag = GetString(e.as_object(), "ETag");
    if (!n || !etag) return MakeError(errors::kMalformedXML);
    if (!wanted.empty() && *n <= wanted.back().first)
      return MakeError(errors::kInvalidPartOrder).With("UploadId", upload_id);
    wanted.emplace_back(*n, Unquote(*etag));
  }

  // A retry of a completed upload (the client lost our answer) gets the same answer.
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
    CENOTE_ASSIGN_OR_RETURN(
        auto done,
        txn->QueryOne(
            "SELECT version_id, etag FROM s3_completed WHERE upload_id = ? AND bucket = ? AND key = ?",
            {upload_id, bucket, key}));
    if (done) {
      OperationOutput out;
      auto& r = out.result.as_object();
      r["Location"] = "/" + bucket + "/" + key;
      r["Bucket"] = bucket;
      r["Key"] = key;
      r["ETag"] = Quote(store::AsText((*done)[1]));
      if (store::AsText((*done)[0]) != "null") r["VersionId"] = store::AsText((*done)[0]);
      CENOTE_ASSIGN_OR_RETURN(auto version, LoadVersion(*txn, bucket, key, store::AsText((*done)[0])));
      if (version) PutChecksumMembers(r, version->attrs);
      return out;
    }
  }

  VersionRow row;
  row.bucket = bucket;
  row.key = key;
  row.last_modified_ms = UnixNowMs();
  auto check = [&](const std::optional<VersionRow>& latest) -> Status {
    return CheckWriteConditions(p, ctx, latest);
  };
  // Everything but the version row is computed inside the transaction (parts may be re-uploaded up to
  // the moment it starts).
  auto extra = [&](Transaction& txn) -> Result<std::vector<std::string>> {
    std::vector<std::string> garbage;
    CENOTE_RETURN_IF_ERROR(txn.Exec("DELETE FROM s3_uploads WHERE upload_id = ?", {upload_id}));
    CENOTE_ASSIGN_OR_RETURN(
        auto parts, txn.Query("SELECT part_number, blob_id FROM s3_parts WHERE upload_id = ?", {upload_id}));
    for (const auto& part : parts) {
      const std::int64_t n = store::AsInt(part[0]);
      bool used = std::any_of(wanted.begin(), wanted.end(), [&](const auto& w) { return w.first == n; });
      if (!used) garbage.push_back(store::AsText(part[1]));
    }
    CENOTE_RETURN_IF_ERROR(txn.Exec("DELETE FROM s3_parts WHERE upload_id = ?", {upload_id}));
    return garbage;
  };
  // Validate the listed parts and build the manifest and checksums from a snapshot; the write
  // transaction below re-checks that the snapshot still holds.
  UploadRow upload;
  std::optional<json::array> acl;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_ASSIGN_OR_RETURN(upload, RequireUpload(*txn, bucket, key, upload_id));
    // SSE-C members on a completion must be the upload's key. S3 requires them "only when the object was
    // created using a checksum algorithm" (CompleteMultipartUpload, SSECustomerAlgorithm); without one it
    // completes without them (AWS's SDK transfer managers send none there).
    if (p.contains("SSECustomerAlgorithm") || p.contains("SSECustomerKey") ||
        !UploadAlgorithm(upload).empty()) {
      CENOTE_RETURN_IF_ERROR(KeyForUpload(env, ctx, p, upload.attrs));
    }
    const std::string algorithm = UploadAlgorithm(upload);
    const std::string checksum_type = GetString(upload.attrs, "ChecksumType").value_or("");
    std::string md5s;
    std::string composite;
    std::optional<std::string> full_crc;
    bool have_checksums = !algorithm.empty();
    json::array sizes;
    json::array part_checksums;  // each listed part's checksum (base64), for GetObject partNumber=N
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      const auto& [n, etag] = wanted[i];
      CENOTE_ASSIGN_OR_RETURN(
          auto part,
          txn->QueryOne(
              "SELECT blob_id, size, etag, checksums FROM s3_parts WHERE upload_id = ? AND part_number = ?",
              {upload_id, n}));
      if (!part || store::AsText((*part)[2]) != etag) {
        return MakeError(errors::kInvalidPart)
            .With("UploadId", upload_id)
            .With("PartNumber", std::to_string(n))
            .With("ETag", etag);
      }
      const auto size = static_cast<std::uint64_t>(store::AsInt((*part)[1]));
      if (i + 1 < wanted.size() && size < env.options.min_part_size) {
        return MakeError(errors::kEntityTooSmall)
            .With("ProposedSize", std::to_string(size))
            .With("MinSizeAllowed", std::to_string(env.options.min_part_size))
            .With("PartNumber", std::to_string(n))
            .With("ETag", etag);
      }
      row.manifest.push_back({store::AsText((*part)[0]), size});
      row.size += size;
      sizes.push_back(static_cast<std::int64_t>(size));
      md5s += HexDecode(etag).value_or("");
      if (have_checksums) {
        boost::system::error_code ec;
        auto sums = json::parse(store::AsText((*part)[3]), ec);
        std::optional<std::string> b64 =
            !ec && sums.is_object() ? GetString(sums.as_object(), algorithm) : std::optional<std::string>();
        auto raw = b64 ? Base64Decode(*b64) : std::nullopt;
        if (!raw) {
          have_checksums = false;
          continue;
        }
        composite += *raw;
        part_checksums.emplace_back(*b64);
        if (checksum_type == "FULL_OBJECT") {
          auto alg = ParseChecksumAlgorithm(algorithm);
          full_crc = !full_crc ? std::optional<std::string>(*raw) : CombineCrc(*alg, *full_crc, *raw, size);
          if (!full_crc) have_checksums = false;
        }
      }
    }
    row.etag = HexEncode(DigestOf("MD5", md5s)) + "-" + std::to_string(wanted.size());
    row.attrs = upload.attrs;
    if (const auto* lock = services::GetObject(upload.attrs, "ObjectLock")) lock_params = *lock;
    if (const auto* grants = GetArray(upload.attrs, "ACL")) acl = *grants;
    row.attrs.erase("ObjectLock");
    row.attrs.erase("ACL");
    row.attrs.erase("ChecksumAlgorithm");
    row.attrs.erase("ChecksumType");
    row.attrs["PartSizes"] = std::move(sizes);
    if (have_checksums) {
      json::object out_sums;
      if (checksum_type == "FULL_OBJECT") {
        out_sums[algorithm] = Base64Encode(*full_crc);
      } else {
        // Composite: the checksum of the concatenated part checksums, suffixed with the part count.
        out_sums[algorithm] =
            Base64Encode(DigestOf(algorithm, composite)) + "-" + std::to_string(wanted.size());
      }
      // A checksum the client gives for the whole object must be the one S3 computed.
      if (auto given = GetString(p, "Checksum" + algorithm)) {
        CENOTE_RETURN_IF_ERROR(CheckObjectChecksum(algorithm, *given,
                                                   GetString(out_sums, algorithm).value_or(""),
                                                   checksum_type == "FULL_OBJECT" ? 0 : wanted.size()));
      }
      row.attrs["Checksums"] = std::move(out_sums);
      row.attrs["ChecksumType"] = checksum_type;
      row.attrs["PartChecksums"] = std::move(part_checksums);
    }
    row.tags = upload.tags;
    row.storage_class = upload.storage_class;
  }
  // Re-validate inside the write transaction that the upload and the exact part blobs are unchanged (a
  // concurrent UploadPart of the same number or an abort would otherwise race with us).
  auto guarded_extra = [&](Transaction& txn) -> Result<std::vector<std::string>> {
    CENOTE_ASSIGN_OR_RETURN(auto u,
                            txn.QueryOne("SELECT 1 FROM s3_uploads WHERE upload_id = ?", {upload_id}));
    if (!u) return NoSuchUploadError(upload_id);
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      CENOTE_ASSIGN_OR_RETURN(
          auto part, txn.QueryOne("SELECT blob_id FROM s3_parts WHERE upload_id = ? AND part_number = ?",
                                  {upload_id, wanted[i].first}));
      if (!part || store::AsText((*part)[0]) != row.manifest[i].id) {
        return MakeError(errors::kInvalidPart).With("UploadId", upload_id);
      }
    }
    auto garbage = extra(txn);
    if (!garbage) return garbage;
    // The version is its upload's owner's (unless ACLs were disabled since), with the upload's ACL.
    CENOTE_ASSIGN_OR_RETURN(auto ownership, BucketOwnership(txn, bucket));
    if (ownership != "BucketOwnerEnforced") {
      if (!upload.owner_id.empty()) {
        CENOTE_RETURN_IF_ERROR(SetLatestOwner(txn, bucket, key, Owner{upload.owner_id, upload.owner_name}));
      }
      if (acl) CENOTE_RETURN_IF_ERROR(SetLatestAcl(txn, bucket, key, *acl));
    }
    // The version row PutVersion just inserted is the key's latest: remember it for idempotent retries.
    CENOTE_ASSIGN_OR_RETURN(
        auto latest,
        txn.QueryOne("SELECT version_id FROM s3_versions WHERE bucket = ? AND key = ? AND is_latest = 1",
                     {bucket, key}));
    const std::string version_id = latest ? store::AsText((*latest)[0]) : std::string("null");
    CENOTE_RETURN_IF_ERROR(txn.Exec(
        "INSERT INTO s3_completed (upload_id, bucket, key, version_id, etag, completed_ms) VALUES (?, ?, ?, "
        "?, ?, ?)",
        {upload_id, bucket, key, version_id, row.etag, UnixNowMs()}));
    return garbage;
  };
  BucketRow b;
  const EventRequest event{"ObjectCreated:CompleteMultipartUpload", EventCause{.ctx = &ctx}};
  // The manifest's blobs belong to the parts until the commit: never delete them on failure.
  CENOTE_ASSIGN_OR_RETURN(auto committed,
                          CommitVersion(env, row, {}, check, guarded_extra, &b, &lock_params, &event));
  OperationOutput out;
  auto& r = out.result.as_object();
  r["Location"] = "/" + bucket + "/" + key;
  r["Bucket"] = bucket;
  r["Key"] = key;
  r["ETag"] = Quote(committed.etag);
  if (committed.version_id != "null") r["VersionId"] = committed.version_id;
  PutChecksumMembers(r, committed.attrs);
  PutEncryptionMembers(r, committed.attrs);
  return out;
}

Result<OperationOutput> AbortMultipartUpload(Env& env, const RequestContext&, OperationInput& in) {
  const auto& p = P(in);
  auto bucket = GetString(p, "Bucket").value_or("");
  auto key = GetString(p, "Key").value_or("");
  auto upload_id = GetString(p, "UploadId").value_or("");
  std::vector<std::string> garbage;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
    CENOTE_RETURN_IF_ERROR(RequireUpload(*txn, bucket, key, upload_id));
    CENOTE_ASSIGN_OR_RETURN(auto parts,
                            txn->Query("SELECT blob_id FROM s3_parts WHERE upload_id = ?", {upload_id}));
    for (const auto& part : parts) garbage.push_back(store::AsText(part[0]));
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM s3_parts WHERE upload_id = ?", {upload_id}));
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM s3_uploads WHERE upload_id = ?", {upload_id}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  env.DeleteBlobs(garbage);
  OperationOutput out;
  out.http_status = 204;
  return out;
}

Result<OperationOutput> ListParts(Env& env, const RequestContext&, OperationInput& in) {
  const auto& p = P(in);
  auto bucket = GetString(p, "Bucket").value_or("");
  auto key = GetString(p, "Key").value_or("");
  auto upload_id = GetString(p, "UploadId").value_or("");
  std::int64_t max = std::min<std::int64_t>(GetInt(p, "MaxParts").value_or(1000), 1000);
  if (max < 0)
    return InvalidArgumentError(errors::kMaxArgumentOutOfRange, "max-parts", std::to_string(max),
                                {"max-parts"});
  std::int64_t marker = GetInt(p, "PartNumberMarker").value_or(0);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_ASSIGN_OR_RETURN(auto u, RequireUpload(*txn, bucket, key, upload_id));
  CENOTE_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query(
          "SELECT part_number, size, etag, last_modified_ms, checksums FROM s3_parts WHERE upload_id = ? AND "
          "part_number > ? ORDER BY part_number LIMIT ?",
          {upload_id, marker, max + 1}));
  OperationOutput out;
  auto& r = out.result.as_object();
  r["Bucket"] = bucket;
  r["Key"] = key;
  r["UploadId"] = upload_id;
  r["PartNumberMarker"] = marker;
  r["MaxParts"] = max;
  json::array parts;
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(max); ++i) {
    const auto& row = rows[i];
    json::object part;
    part["PartNumber"] = store::AsInt(row[0]);
    part["Size"] = store::AsInt(row[1]);
    part["ETag"] = Quote(store::AsText(row[2]));
    part["LastModified"] = store::AsInt(row[3]);
    boost::system::error_code ec;
    auto sums = json::parse(store::AsText(row[4]), ec);
    if (!ec && sums.is_object()) {
      for (const auto& [name, value] : sums.as_object()) part["Checksum" + std::string(name)] = value;
    }
    parts.push_back(std::move(part));
  }
  const bool truncated = rows.size() > static_cast<std::size_t>(max);
  if (!parts.empty()) r["NextPartNumberMarker"] = parts.back().as_object().at("PartNumber");
  r["Parts"] = std::move(parts);
  r["IsTruncated"] = truncated;
  r["Initiator"] = OwnerDoc(u.owner_id, u.owner_name);
  r["Owner"] = OwnerDoc(u.owner_id, u.owner_name);
  r["StorageClass"] = u.storage_class;
  if (auto a = GetString(u.attrs, "ChecksumAlgorithm")) r["ChecksumAlgorithm"] = *a;
  if (auto t = GetString(u.attrs, "ChecksumType")) r["ChecksumType"] = *t;
  return out;
}

namespace {

// In-progress uploads in (key, upload id) order; upload ids sort by initiation time.
class UploadCursor final : public ListCursor<UploadRow> {
 public:
  UploadCursor(Transaction& txn, std::string bucket, std::string prefix)
      : txn_(txn), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {}
  void Start(const std::string& key_marker, const std::string& upload_marker) {
    if (key_marker < prefix_) {
      pos_ = prefix_;
      inclusive_ = true;
    } else {
      pos_ = key_marker;
      upload_ = upload_marker;
    }
  }
  void SkipTo(const std::string& key) override {
    pos_ = key;
    inclusive_ = true;
    upload_.clear();
  }
  const std::string& KeyOf(const UploadRow& row) const override { return row.key; }
  Result<std::vector<UploadRow>> Next(std::size_t limit) override {
    std::vector<UploadRow> out;
    if (!upload_.empty()) {
      CENOTE_ASSIGN_OR_RETURN(
          auto rows,
          txn_.Query(std::string("SELECT ") + kUploadColumns +
                         " FROM s3_uploads WHERE bucket = ? AND key = ? AND upload_id > ? ORDER BY upload_id "
                         "LIMIT ?",
                     {bucket_, pos_, upload_, static_cast<std::int64_t>(limit)}));
      for (const auto& r : rows) out.push_back(UploadFromRow(r));
    }
    if (out.size() < limit) {
      std::vector<store::Value> params = {bucket_, pos_};
      std::string sql = std::string("SELECT ") + kUploadColumns +
                        " FROM s3_uploads WHERE bucket = ? AND key " + (inclusive_ ? ">=" : ">") + " ?";
      if (!prefix_.empty() && !PrefixSuccessor(prefix_).empty()) {
        sql += " AND key < ?";
        params.emplace_back(PrefixSuccessor(prefix_));
      }
      sql += " ORDER BY key, upload_id LIMIT ?";
      params.emplace_back(static_cast<std::int64_t>(limit - out.size()));
      CENOTE_ASSIGN_OR_RETURN(auto rows, txn_.Query(sql, params));
      for (const auto& r : rows) out.push_back(UploadFromRow(r));
    }
    if (!out.empty()) {
      pos_ = out.back().key;
      upload_ = out.back().upload_id;
      inclusive_ = false;
    }
    return out;
  }

 private:
  Transaction& txn_;
  std::string bucket_, prefix_, pos_, upload_;
  bool inclusive_ = false;
};

}  // namespace

Result<OperationOutput> ListMultipartUploads(Env& env, const RequestContext&, OperationInput& in) {
  const auto& p = P(in);
  auto bucket = GetString(p, "Bucket").value_or("");
  auto prefix = GetString(p, "Prefix").value_or("");
  auto delimiter = GetString(p, "Delimiter").value_or("");
  auto key_marker = GetString(p, "KeyMarker").value_or("");
  auto upload_marker = GetString(p, "UploadIdMarker").value_or("");
  bool url = false;
  if (auto enc = GetString(p, "EncodingType")) {
    if (*enc != "url") return InvalidArgumentError(errors::kInvalidEncodingType, "encoding-type", *enc);
    url = true;
  }
  std::int64_t max = std::min<std::int64_t>(GetInt(p, "MaxUploads").value_or(1000), 1000);
  if (max < 0)
    return InvalidArgumentError(errors::kMaxArgumentOutOfRange, "max-uploads", std::to_string(max),
                                {"max-uploads"});
  auto enc = [&](const std::string& s) { return url ? UrlEncodeKey(s) : s; };
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  UploadCursor cursor(*txn, bucket, prefix);
  cursor.Start(key_marker, key_marker.empty() ? std::string() : upload_marker);
  CENOTE_ASSIGN_OR_RETURN(auto page,
                          Paginate<UploadRow>(cursor, prefix, delimiter,
                                              upload_marker.empty() ? key_marker : std::string(), max));
  OperationOutput out;
  auto& r = out.result.as_object();
  r["Bucket"] = bucket;
  r["KeyMarker"] = enc(key_marker);
  r["UploadIdMarker"] = upload_marker;
  r["Prefix"] = enc(prefix);
  if (!delimiter.empty()) r["Delimiter"] = enc(delimiter);
  if (url) r["EncodingType"] = "url";
  r["MaxUploads"] = max;
  r["IsTruncated"] = page.truncated;
  json::array uploads;
  for (const auto& u : page.items) {
    json::object o;
    o["UploadId"] = u.upload_id;
    o["Key"] = enc(u.key);
    o["Initiated"] = u.initiated_ms;
    o["StorageClass"] = u.storage_class;
    o["Owner"] = OwnerDoc(u.owner_id, u.owner_name);
    o["Initiator"] = OwnerDoc(u.owner_id, u.owner_name);
    if (auto a = GetString(u.attrs, "ChecksumAlgorithm")) o["ChecksumAlgorithm"] = *a;
    if (auto t = GetString(u.attrs, "ChecksumType")) o["ChecksumType"] = *t;
    uploads.push_back(std::move(o));
  }
  if (page.truncated) {
    r["NextKeyMarker"] = enc(page.last);
    if (!page.last_is_prefix && !page.items.empty()) r["NextUploadIdMarker"] = page.items.back().upload_id;
  }
  if (!uploads.empty()) r["Uploads"] = std::move(uploads);
  if (!page.prefixes.empty()) {
    json::array cps;
    for (const auto& cp : page.prefixes) cps.push_back(json::object{{"Prefix", enc(cp)}});
    r["CommonPrefixes"] = std::move(cps);
  }
  return out;
}

}  // namespace cenote::s3
