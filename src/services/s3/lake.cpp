// The lake's in-process operations (internal.hpp, namespace lake): what a LakeAccess call does once the
// invoker has authorized it (invoked_lake.cpp). Same stores, write path and rules as the wire operations.
//
// Failures of the server's own files (a blob shorter than its manifest, a cache file that cannot be
// written, a caller's file that cannot be read) are 500s whose message is the cause: the pipeline's invoke
// stage logs it with the request id and answers the canned InternalError, so no path reaches a caller.
#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/s3/env.hpp"
#include "services/s3/object_io.hpp"
#include "store/durable_file.hpp"

namespace cenote::s3 {

namespace {

// A request body read from a local file (PutObjectFromFile).
class FileReader final : public http::BodyReader {
 public:
  FileReader(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~FileReader() override { ::close(fd_); }
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<std::size_t>(r);
      if (errno != EINTR) return InternalError("read failed: " + std::string(std::strerror(errno)));
    }
  }
  std::optional<std::uint64_t> Length() const override { return size_; }

 private:
  int fd_;
  std::uint64_t size_;
};

LakeObject ToLakeObject(const VersionRow& v) {
  return LakeObject{
      .key = v.key, .size = v.size, .etag = Quote(v.etag), .last_modified_ms = v.last_modified_ms};
}

// A body reading the local file at `path` (PutObjectFromFile, PutObjects).
Result<std::unique_ptr<http::BodyReader>> OpenFileBody(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return InternalError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return InternalError("cannot stat " + path);
  }
  return std::unique_ptr<http::BodyReader>(
      std::make_unique<FileReader>(fd, static_cast<std::uint64_t>(st.st_size)));
}

// The platform's services read and write objects as themselves: they present no SSE-C key, and the bucket's
// default encryption applies to what they write.
const RequestContext& LakeContext() {
  static const RequestContext ctx = [] {
    RequestContext c;
    c.invoked_by = "lake";
    return c;
  }();
  return ctx;
}

// The caller's context for reading and writing keys: its principal and region (SSE-KMS asks KMS as it), and
// LakeContext's marks otherwise (no SSE-C key, the bucket's default encryption).
RequestContext ReadContext(const RequestContext& caller) {
  RequestContext c = LakeContext();
  c.principal = caller.principal;
  c.region = caller.region;
  c.request_id = caller.request_id;
  return c;
}

// The latest version's manifest and size (NoSuchBucket, NoSuchKey for a missing key or a delete marker).
Result<VersionRow> ReadLatest(Env& env, const std::string& bucket, const std::string& key) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto latest, LoadLatest(*txn, bucket, key));
  if (!latest || latest->delete_marker) return NoSuchKeyError(key);
  return std::move(*latest);
}

// The wire PutObject with `body`, as `ctx`.
Result<LakeObject> PutFromReader(Env& env, const RequestContext& ctx, const std::string& bucket,
                                 const std::string& key, http::BodyReader& body,
                                 const std::string& content_type, const json::object& sse) {
  aws::OperationInput input;
  json::object params = sse;
  params["Bucket"] = bucket;
  params["Key"] = key;
  if (!content_type.empty()) params["ContentType"] = content_type;
  input.params = std::move(params);
  input.body = &body;
  CENOTE_ASSIGN_OR_RETURN(auto out, s3::PutObject(env, ctx, input));
  const auto& r = out.result.as_object();
  return LakeObject{.key = key,
                    .size = static_cast<std::uint64_t>(r.at("Size").as_int64()),
                    .etag = std::string(r.at("ETag").as_string()),
                    .last_modified_ms = UnixNowMs()};
}

// The name of a cache file holding `manifest`'s bytes: its blob ids (and inline bytes), after `salt`.
std::string CacheName(const std::vector<BlobRef>& manifest, const std::string& salt) {
  std::string ids = salt;
  for (const auto& blob : manifest)
    ids += (blob.is_inline() ? "inline:" + Sha256Hex(blob.data.value_or("")) : blob.id) + ",";
  return Sha256Hex(ids);
}

// Writes the (plaintext, with `key`) bytes of `manifest` into a temp file renamed to `path`, so concurrent
// builders and readers never see a partial file. No fsync: these files are caches. The temp file is
// removed on any failure.
Status WriteCacheFile(Env& env, const std::vector<BlobRef>& manifest, const DataKey* key,
                      const std::string& path) {
  std::string temp = path + ".tmp." + RandomHex(8);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return InternalError("cannot create " + temp + ": " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  Status status = [&]() -> Status {
    for (const auto& blob : manifest) {
      CENOTE_ASSIGN_OR_RETURN(auto reader, OpenPiece(env.blobs, blob, key));
      for (std::uint64_t offset = 0; offset < reader->size();) {
        CENOTE_ASSIGN_OR_RETURN(std::size_t n, reader->ReadAt(offset, buffer.data(), buffer.size()));
        if (n == 0) return InternalError("blob " + blob.id + " is shorter than its manifest says");
        if (!store::WriteAll(fd, buffer.data(), n)) {
          return InternalError("cannot write " + temp + ": " + std::strerror(errno));
        }
        offset += n;
      }
    }
    return Status::Ok();
  }();
  (void)store::BackdateModificationTime(fd);  // named by its blobs: never changes
  ::close(fd);
  if (status && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = InternalError("cannot rename " + temp + ": " + std::strerror(errno));
  }
  if (!status) ::unlink(temp.c_str());
  return status;
}

// Removes the oldest files of the plaintext cache until `incoming` more bytes fit its budget (an object
// larger than the whole budget leaves it empty and is written anyway).
void MakeRoomInPlaintextCache(Env& env, std::uint64_t incoming) {
  struct Entry {
    std::string path;
    std::uint64_t size;
    std::int64_t changed;
  };
  std::vector<Entry> entries;
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(env.plain_cache_dir, ec)) {
    struct stat st {};
    if (::stat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    entries.push_back({e.path().string(), static_cast<std::uint64_t>(st.st_size),
                       static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec});
    total += static_cast<std::uint64_t>(st.st_size);
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.changed < b.changed; });
  for (const Entry& e : entries) {
    if (total + incoming <= env.options.plaintext_cache_bytes) break;
    // A query that has the file open keeps reading it; later ones make it again.
    if (::unlink(e.path.c_str()) == 0) total -= std::min(total, e.size);
  }
}

}  // namespace

namespace lake {

// An encrypted object as a file the engine can read: its plaintext under env.plain_cache_dir, a
// memory-backed directory (tmpfs), so that the plaintext never reaches the data disk. Named by the
// version's blobs and wrapped key, so it can never be stale; made on first use, oldest evicted first past
// S3Options::plaintext_cache_bytes.
Result<std::string> PlaintextPath(Env& env, const VersionRow& v, const DataKey& key) {
  if (env.plain_cache_dir.empty()) {
    return InternalError("no memory-backed directory (/dev/shm) to give the query engine encrypted objects");
  }
  const std::string path =
      env.plain_cache_dir + "/" +
      CacheName(v.manifest, GetString(*services::GetObject(v.attrs, "SSE"), "Key").value_or("") + ";");
  if (::access(path.c_str(), R_OK) == 0) return path;
  MutexLock lock(env.plain_cache_mu);  // one writer at a time: the budget holds
  if (::access(path.c_str(), R_OK) == 0) return path;
  MakeRoomInPlaintextCache(env, v.size);
  CENOTE_RETURN_IF_ERROR(WriteCacheFile(env, v.manifest, &key, path));
  return path;
}

Status HeadBucket(Env& env, const std::string& bucket) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  return Status::Ok();
}

Result<std::vector<LakeObject>> ListObjects(Env& env, const std::string& bucket, const std::string& prefix,
                                            std::size_t max_objects) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  std::string upper = PrefixSuccessor(prefix);
  std::string sql =
      std::string("SELECT ") + kVersionColumns +
      " FROM s3_versions WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 AND key >= ?" +
      (upper.empty() ? "" : " AND key < ?") + " ORDER BY key LIMIT ?";
  std::vector<store::Value> params{bucket, prefix};
  if (!upper.empty()) params.emplace_back(upper);
  params.emplace_back(static_cast<std::int64_t>(max_objects));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query(sql, params));
  std::vector<LakeObject> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(ToLakeObject(VersionFromRow(row)));
  return out;
}

Result<std::string> LocalPath(Env& env, const RequestContext& ctx, const std::string& bucket,
                              const std::string& key) {
  CENOTE_ASSIGN_OR_RETURN(VersionRow latest, ReadLatest(env, bucket, key));
  const std::vector<BlobRef>& manifest = latest.manifest;
  CENOTE_ASSIGN_OR_RETURN(auto data_key, KeyForRead(env, ReadContext(ctx), json::object(), latest.attrs));
  if (data_key) return PlaintextPath(env, latest, *data_key);
  if (manifest.size() == 1 && !manifest[0].is_inline()) {
    std::string path = env.blobs.LocalPath(manifest[0].id);
    if (path.empty()) return InternalError("the blob store has no local files");
    return path;
  }
  // Empty, inline and multipart objects: a cache file named by the blob ids (and inline bytes), so it can
  // never be stale, wiped by Open.
  std::string path = env.cache_dir + "/" + CacheName(manifest, "");
  if (::access(path.c_str(), R_OK) == 0) return path;
  CENOTE_RETURN_IF_ERROR(WriteCacheFile(env, manifest, nullptr, path));
  return path;
}

Result<std::string> GetObject(Env& env, const RequestContext& ctx, const std::string& bucket,
                              const std::string& key, std::uint64_t max_bytes) {
  CENOTE_ASSIGN_OR_RETURN(VersionRow latest, ReadLatest(env, bucket, key));
  if (latest.size > max_bytes) return MakeError(errors::kEntityTooLarge);
  CENOTE_ASSIGN_OR_RETURN(auto data_key, KeyForRead(env, ReadContext(ctx), json::object(), latest.attrs));
  std::string out;
  out.reserve(latest.size);
  for (const auto& blob : latest.manifest) {
    CENOTE_ASSIGN_OR_RETURN(auto reader, OpenPiece(env.blobs, blob, data_key ? &*data_key : nullptr));
    std::size_t start = out.size();
    out.resize(start + blob.size);
    std::uint64_t offset = 0;
    while (offset < blob.size) {
      CENOTE_ASSIGN_OR_RETURN(auto n,
                              reader->ReadAt(offset, out.data() + start + offset, blob.size - offset));
      if (n == 0) return InternalError("blob " + blob.id + " is shorter than its manifest says");
      offset += n;
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> ObjectMetadata(Env& env, const std::string& bucket,
                                                          const std::string& key) {
  CENOTE_ASSIGN_OR_RETURN(VersionRow latest, ReadLatest(env, bucket, key));
  std::map<std::string, std::string> out;
  if (const auto* m = services::GetObject(latest.attrs, "Metadata")) {
    for (const auto& [name, value] : *m) {
      if (value.is_string()) out.emplace(std::string(name), std::string(value.get_string()));
    }
  }
  return out;
}

Result<LakeObject> PutObject(Env& env, const RequestContext& ctx, const std::string& bucket,
                             const std::string& key, const std::string& bytes,
                             const std::string& content_type, const json::object& sse) {
  http::StringReader body(bytes);
  return PutFromReader(env, ctx, bucket, key, body, content_type, sse);
}

Result<LakeObject> PutObjectFromFile(Env& env, const RequestContext& ctx, const std::string& bucket,
                                     const std::string& key, const std::string& path,
                                     const std::string& content_type, const json::object& sse) {
  CENOTE_ASSIGN_OR_RETURN(auto body, OpenFileBody(path));
  return PutFromReader(env, ctx, bucket, key, *body, content_type, sse);
}

json::object EncryptionParams(const LakeWriteEncryption& encryption) {
  json::object params;
  if (encryption.algorithm.empty()) return params;
  params["ServerSideEncryption"] = encryption.algorithm;
  if (!encryption.kms_key_id.empty()) params["SSEKMSKeyId"] = encryption.kms_key_id;
  return params;
}

Result<std::vector<LakeObject>> PutObjects(Env& env, const RequestContext& ctx, const std::string& bucket,
                                           const std::vector<LakePut>& puts,
                                           const std::function<Status(store::Transaction&)>& also,
                                           const json::object& sse) {
  // PutObject's write path for several objects: every body staged (small ones inline, the others into
  // uncommitted blobs), the blobs committed together (overlapping fsyncs), then one metadata transaction
  // that finds the bucket, writes every version row (owned by the bucket's owner, PutVersion) and runs
  // `also`.
  std::vector<StagedBody> staged;
  std::vector<std::size_t> staged_rows;  // the row of each staged body
  std::vector<VersionRow> rows;
  // The writer's encryption, else the bucket's default: a data key of its own for each object.
  std::vector<std::optional<ObjectEncryption>> encryptions;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
    for (std::size_t i = 0; i < puts.size(); ++i) {
      json::object params = sse;
      params["Key"] = puts[i].key;
      CENOTE_ASSIGN_OR_RETURN(auto e, EncryptionForWrite(env, ReadContext(ctx), *txn, bucket, params));
      encryptions.push_back(std::move(e));
    }
  }
  for (std::size_t i = 0; i < puts.size(); ++i) {
    const LakePut& put = puts[i];
    std::optional<ObjectEncryption>& encryption = encryptions[i];
    CENOTE_RETURN_IF_ERROR(CheckObjectKey(put.key));
    VersionRow row;
    row.bucket = bucket;
    row.key = put.key;
    row.last_modified_ms = UnixNowMs();
    json::object params;
    if (!put.content_type.empty()) params["ContentType"] = put.content_type;
    if (!put.metadata.empty()) {
      json::object metadata;
      for (const auto& [name, value] : put.metadata) metadata[name] = value;
      params["Metadata"] = std::move(metadata);
    }
    row.attrs = AttrsFromRequest(params);
    std::unique_ptr<http::BodyReader> body;
    if (put.path.empty()) {
      body = std::make_unique<http::StringReader>(put.bytes);
    } else {
      CENOTE_ASSIGN_OR_RETURN(body, OpenFileBody(put.path));
    }
    CENOTE_ASSIGN_OR_RETURN(
        auto one, StageBody(env, body.get(), {}, env.options.max_object_size, env.options.inline_max_bytes,
                            encryption ? &encryption->key : nullptr));
    row.size = one.size;
    row.etag = HexEncode(one.md5);
    if (encryption) row.attrs["SSE"] = std::move(encryption->doc);
    if (one.inline_bytes) {
      row.manifest = {BlobRef::Inline(std::move(*one.inline_bytes))};
      row.manifest[0].size = one.size;
    } else {
      row.manifest = {BlobRef("", one.size)};
      staged_rows.push_back(rows.size());
      staged.push_back(std::move(one));
    }
    rows.push_back(std::move(row));
  }
  std::vector<store::BlobWriter*> writers;
  for (auto& s : staged) writers.push_back(s.writer.get());
  CENOTE_ASSIGN_OR_RETURN(auto ids, env.blobs.CommitAll(writers));
  for (std::size_t i = 0; i < staged_rows.size(); ++i) rows[staged_rows[i]].manifest[0].id = ids[i];

  std::vector<std::string> superseded;
  Status committed = [&]() -> Status {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
    CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
    for (VersionRow& row : rows) {
      CENOTE_ASSIGN_OR_RETURN(auto gone, PutVersion(env, *txn, b, row));
      superseded.insert(superseded.end(), gone.begin(), gone.end());
      CENOTE_RETURN_IF_ERROR(
          env.notifications->Record(*txn, b, EventOf("ObjectCreated:Put", row), EventCause{.ctx = &ctx}));
    }
    if (also) CENOTE_RETURN_IF_ERROR(also(*txn));
    return txn->Commit();
  }();
  if (!committed) {
    env.DeleteBlobs(ids);
    return std::move(committed).error();
  }
  env.DeleteBlobs(superseded);
  std::vector<LakeObject> out;
  for (const VersionRow& row : rows) out.push_back(ToLakeObject(row));
  return out;
}

Status DeleteObject(Env& env, const RequestContext& ctx, const std::string& bucket, const std::string& key) {
  aws::OperationInput input;
  input.params = json::object{{"Bucket", bucket}, {"Key", key}};
  return Status::FromResult(s3::DeleteObject(env, ctx, input));
}

}  // namespace lake

}  // namespace cenote::s3
