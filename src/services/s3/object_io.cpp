#include "services/s3/object_io.hpp"

#include <algorithm>
#include <memory>

#include "services/s3/checksums.hpp"
#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {
constexpr std::size_t kBufferSize = 1 << 20;
}  // namespace

std::vector<std::string> RequestedChecksums(const RequestContext& ctx, const json::object& params,
                                            const std::string& upload_algorithm) {
  std::vector<std::string> algs;
  auto add = [&](const std::string& name) {
    for (const auto& known : ChecksumNames()) {
      if (known == name && std::find(algs.begin(), algs.end(), name) == algs.end()) algs.push_back(name);
    }
  };
  if (!upload_algorithm.empty()) add(upload_algorithm);
  if (auto a = GetString(params, "ChecksumAlgorithm")) add(AsciiUpper(*a));
  for (const auto& name : ChecksumNames()) {
    if (params.contains("Checksum" + name)) add(name);
  }
  // x-amz-trailer: a comma-separated list of the trailing headers an aws-chunked body ends with.
  if (auto trailer = RawHeader(ctx, "x-amz-trailer")) {
    for (std::string_view announced : SplitString(*trailer, ',')) {
      for (const auto& name : ChecksumNames()) {
        if (EqualsIgnoreAsciiCase(TrimAsciiSpace(announced), ChecksumHeader(name))) add(name);
      }
    }
  }
  return algs;
}

namespace {

// Makes the streamed bytes durable (BlobWriter::Commit: fsync, rename, fsync dir) and records their digests.
Result<StoredBlob> CommitDigested(store::BlobWriter& writer, UploadDigest& digest) {
  digest.Finish();
  StoredBlob stored;
  stored.size = writer.size();
  CENOTE_ASSIGN_OR_RETURN(stored.id, writer.Commit());
  stored.md5 = digest.md5();
  stored.checksums = digest.checksums();
  return stored;
}

}  // namespace

Result<StagedBody> StageBody(Env& env, http::BodyReader* body, const std::vector<std::string>& algorithms,
                             std::uint64_t max_size, std::uint64_t inline_max, const DataKey* key) {
  auto too_large = [&](std::uint64_t proposed) {
    return MakeError(errors::kEntityTooLarge)
        .With("ProposedSize", std::to_string(proposed))
        .With("MaxSizeAllowed", std::to_string(max_size));
  };
  std::optional<std::uint64_t> length = body != nullptr ? body->Length() : std::optional<std::uint64_t>(0);
  if (length && *length > max_size) return too_large(*length);
  // A declared length that would cross the free-space reserve is refused before the body is read (a client
  // that sent Expect: 100-continue never sends it); the blob writer admits the bytes again as they land,
  // which is what stops a body of unknown length.
  if (length) CENOTE_RETURN_IF_ERROR(env.blobs.Admit(key ? SseCiphertextSize(*length) : *length));
  UploadDigest digest(algorithms);
  // A body that may fit the inline limit is read into memory first (a chunked one has no length yet).
  std::string head;
  if (inline_max > 0 && (!length || *length <= inline_max)) {
    head.resize(static_cast<std::size_t>(inline_max) + 1);
    std::size_t got = 0;
    while (body != nullptr && got < head.size()) {
      CENOTE_ASSIGN_OR_RETURN(auto n, body->Read(head.data() + got, head.size() - got));
      if (n == 0) break;
      got += n;
    }
    head.resize(got);
    if (got > max_size) return too_large(got);
    digest.Update(head.data(), head.size());
    if (got <= inline_max) {
      std::string stored;
      if (key) {
        CENOTE_ASSIGN_OR_RETURN(stored, EncryptPiece(*key, head));
      } else {
        stored = std::move(head);
      }
      // Inline bytes go into the metadata store, on the same disk: held to the reserve like a blob's.
      if (!length) CENOTE_RETURN_IF_ERROR(env.blobs.Admit(stored.size()));
      digest.Finish();
      StagedBody staged;
      staged.size = got;
      staged.inline_bytes = std::move(stored);
      staged.md5 = digest.md5();
      staged.checksums = digest.checksums();
      return staged;
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto writer, env.blobs.Create());
  // Plaintext in, the blob's bytes out: as they are, or sealed segment by segment.
  std::optional<EncryptingSink> sink;
  std::string sealed;
  if (key) sink.emplace(*key);
  auto append = [&](const char* data, std::size_t n) -> Status {
    if (!sink) return writer->Append(data, n);
    sealed.clear();
    CENOTE_RETURN_IF_ERROR(sink->Update(data, n, sealed));
    return sealed.empty() ? Status::Ok() : writer->Append(sealed.data(), sealed.size());
  };
  std::uint64_t total = head.size();
  if (!head.empty()) CENOTE_RETURN_IF_ERROR(append(head.data(), head.size()));
  if (body != nullptr) {
    // Not zero-filled: a 1 MiB buffer is a fresh mapping whose pages fault in only where a small body
    // lands (zeroing all of it cost about 0.5 ms per small PUT).
    auto buf = std::make_unique_for_overwrite<char[]>(kBufferSize);
    for (;;) {
      CENOTE_ASSIGN_OR_RETURN(auto n, body->Read(buf.get(), kBufferSize));
      if (n == 0) break;
      total += n;
      if (total > max_size) return too_large(total);
      digest.Update(buf.get(), n);
      CENOTE_RETURN_IF_ERROR(append(buf.get(), n));
    }
  }
  if (sink) {
    sealed.clear();
    CENOTE_RETURN_IF_ERROR(sink->Finish(sealed));
    CENOTE_RETURN_IF_ERROR(writer->Append(sealed.data(), sealed.size()));
  }
  digest.Finish();
  StagedBody staged;
  staged.size = total;
  staged.writer = std::move(writer);
  staged.md5 = digest.md5();
  staged.checksums = digest.checksums();
  return staged;
}

Result<StoredBlob> StoreBody(Env& env, http::BodyReader* body, const std::vector<std::string>& algorithms,
                             std::uint64_t max_size, std::uint64_t inline_max, const DataKey* key) {
  CENOTE_ASSIGN_OR_RETURN(auto staged, StageBody(env, body, algorithms, max_size, inline_max, key));
  StoredBlob stored;
  if (staged.inline_bytes) {
    stored.inline_bytes = std::move(staged.inline_bytes);
  } else {
    CENOTE_ASSIGN_OR_RETURN(stored.id, staged.writer->Commit());
  }
  stored.size = staged.size;
  stored.md5 = std::move(staged.md5);
  stored.checksums = std::move(staged.checksums);
  return stored;
}

namespace {

// A Content-MD5 value against the raw MD5 of what was received.
Status CheckContentMd5(const std::string& given, std::string_view md5) {
  auto raw = Base64Decode(given);
  if (!raw || raw->size() != 16) return MakeError(errors::kInvalidDigest).With("Content-MD5", given);
  if (*raw != md5) {
    return MakeError(errors::kBadDigest)
        .With("ExpectedDigest", HexEncode(*raw))
        .With("CalculatedDigest", Base64Encode(md5));
  }
  return Status::Ok();
}

// An x-amz-checksum-<name> value: well-formed, and equal to `computed` (base64) when that is known.
Status CheckChecksumValue(const std::string& name, const std::string& given, const std::string* computed) {
  auto raw = Base64Decode(given);
  if (!raw || raw->size() != ChecksumRawSize(name)) {
    return MakeError(errors::kInvalidChecksumValue, {ChecksumHeader(name)});
  }
  if (computed && *computed != Base64Encode(*raw)) return MakeError(errors::kChecksumMismatch, {name});
  return Status::Ok();
}

}  // namespace

Status CheckObjectChecksum(const std::string& name, const std::string& given, const std::string& computed,
                           std::size_t part_count) {
  // A composite checksum may be given as S3 reports it, "<base64>-<part count>".
  std::string value = given;
  const std::string count = std::to_string(part_count);
  const std::size_t dash = value.rfind('-');
  if (part_count > 0 && dash != std::string::npos && value.compare(dash + 1, std::string::npos, count) == 0) {
    value.resize(dash);
  }
  std::string expected = computed;
  if (const std::size_t cut = expected.find('-'); cut != std::string::npos) expected.resize(cut);
  return CheckChecksumValue(name, value, &expected);
}

Status VerifyDigests(const json::object& params, const http::BodyReader* body, const StoredBlob& stored) {
  if (auto md5 = GetString(params, "ContentMD5")) CENOTE_RETURN_IF_ERROR(CheckContentMd5(*md5, stored.md5));
  const http::Headers* trailers = body ? body->Trailers() : nullptr;
  for (const auto& name : ChecksumNames()) {
    std::optional<std::string> given = GetString(params, "Checksum" + name);
    if (!given && trailers) {
      if (auto t = trailers->Get(ChecksumHeader(name))) given = std::string(*t);
    }
    if (!given) continue;
    // Not computed when announced nowhere we could see before reading the body.
    auto it = stored.checksums.find(name);
    CENOTE_RETURN_IF_ERROR(
        CheckChecksumValue(name, *given, it == stored.checksums.end() ? nullptr : &it->second));
  }
  return Status::Ok();
}

Status VerifyDocumentDigests(const RequestContext& ctx, std::string_view body, bool required,
                             bool object_checksums) {
  bool has_checksum = false;
  if (auto md5 = RawHeader(ctx, "Content-MD5")) {
    has_checksum = true;
    CENOTE_RETURN_IF_ERROR(CheckContentMd5(*md5, DigestOf("MD5", body)));
  }
  if (object_checksums) return Status::Ok();
  for (const auto& name : ChecksumNames()) {
    auto given = RawHeader(ctx, ChecksumHeader(name));
    if (!given) continue;
    has_checksum = true;
    const std::string computed = Base64Encode(DigestOf(name, body));
    CENOTE_RETURN_IF_ERROR(CheckChecksumValue(name, *given, &computed));
  }
  // An aws-chunked body's checksum trailer was checked by the SigV4 layer as the body was read.
  if (!has_checksum && RawHeader(ctx, "x-amz-trailer")) has_checksum = true;
  if (!has_checksum && RawHeader(ctx, "x-amz-sdk-checksum-algorithm")) {
    return MakeError(errors::kChecksumAlgorithmWithoutValue);
  }
  if (required && !has_checksum) return MakeError(errors::kMissingChecksumHeader);
  return Status::Ok();
}

namespace {

// Bytes kept in a version row, read like a blob (no descriptor: never sent with sendfile).
class InlineReader final : public store::BlobReader {
 public:
  explicit InlineReader(std::string data) : data_(std::move(data)) {}
  std::uint64_t size() const override { return data_.size(); }
  Result<std::size_t> ReadAt(std::uint64_t offset, char* buf, std::size_t n) override {
    if (offset >= data_.size()) return std::size_t{0};
    n = std::min<std::size_t>(n, data_.size() - static_cast<std::size_t>(offset));
    std::copy_n(data_.data() + offset, n, buf);
    return n;
  }
  int fd() const override { return -1; }

 private:
  std::string data_;
};

}  // namespace

Result<std::unique_ptr<store::BlobReader>> OpenPiece(store::BlobStore& blobs, const BlobRef& ref,
                                                     const DataKey* key) {
  std::unique_ptr<store::BlobReader> reader;
  if (ref.is_inline()) {
    if (!ref.data) return InternalError("the bytes of an inline object were not loaded");
    reader = std::make_unique<InlineReader>(*ref.data);
  } else {
    CENOTE_ASSIGN_OR_RETURN(reader, blobs.Open(ref.id));
  }
  if (key) return MakeDecryptingReader(std::move(reader), ref.size, *key);
  return reader;
}

namespace {

class ManifestBody final : public http::BodySource {
 public:
  ManifestBody(store::BlobStore& blobs, std::vector<BlobRef> manifest, std::uint64_t offset,
               std::uint64_t length, const DataKey* key)
      : blobs_(blobs), manifest_(std::move(manifest)), remaining_(length) {
    if (key) key_ = *key;
    // Locate the first blob of the range.
    while (index_ < manifest_.size() && offset >= manifest_[index_].size && manifest_[index_].size > 0) {
      offset -= manifest_[index_].size;
      ++index_;
    }
    while (index_ < manifest_.size() && manifest_[index_].size == 0) ++index_;
    blob_offset_ = offset;
    length_ = length;
  }

  // Opens the first kEagerOpen blobs of the range now; later ones open when reached, so a GET of a
  // 10,000-part object does not hold 10,000 descriptors. (Only a concurrent overwrite of such a large
  // object can then cut the response short; the client sees a truncated body and retries.)
  Status OpenAll(std::shared_ptr<store::BlobReader> first_blob) {
    constexpr std::size_t kEagerOpen = 32;
    readers_.resize(manifest_.size());
    if (first_blob && !readers_.empty()) {
      readers_[0] = key_ ? MakeDecryptingReader(std::move(first_blob), manifest_[0].size, *key_)
                         : std::move(first_blob);
    }
    std::uint64_t left = remaining_;
    for (std::size_t i = index_; i < manifest_.size() && left > 0 && i < index_ + kEagerOpen; ++i) {
      if (!readers_[i]) {
        CENOTE_ASSIGN_OR_RETURN(readers_[i], OpenPiece(blobs_, manifest_[i], Key()));
      }
      std::uint64_t avail = manifest_[i].size - (i == index_ ? blob_offset_ : 0);
      left -= std::min(left, avail);
    }
    return Status::Ok();
  }

  std::optional<std::uint64_t> Size() const override { return length_; }

  Result<std::size_t> Read(char* buf, std::size_t n) override {
    while (remaining_ > 0 && index_ < manifest_.size()) {
      auto& reader = readers_[index_];
      if (!reader && blob_offset_ < manifest_[index_].size) {
        CENOTE_ASSIGN_OR_RETURN(reader, OpenPiece(blobs_, manifest_[index_], Key()));
      }
      if (blob_offset_ >= manifest_[index_].size) {
        ++index_;
        blob_offset_ = 0;
        continue;
      }
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining_));
      CENOTE_ASSIGN_OR_RETURN(auto got, reader->ReadAt(blob_offset_, buf, want));
      if (got == 0) return InternalError("Object data is shorter than its metadata.");
      blob_offset_ += got;
      remaining_ -= got;
      return got;
    }
    return std::size_t{0};
  }

  std::optional<FileRange> AsFile() const override {
    if (remaining_ != length_ || index_ >= manifest_.size() || !readers_[index_]) return std::nullopt;
    if (blob_offset_ + length_ > manifest_[index_].size || readers_[index_]->fd() < 0) return std::nullopt;
    return FileRange{.fd = readers_[index_]->fd(), .offset = blob_offset_, .length = length_};
  }

 private:
  const DataKey* Key() const { return key_ ? &*key_ : nullptr; }

  store::BlobStore& blobs_;
  std::optional<DataKey> key_;
  std::vector<BlobRef> manifest_;
  std::vector<std::shared_ptr<store::BlobReader>> readers_;
  std::size_t index_ = 0;
  std::uint64_t blob_offset_ = 0;
  std::uint64_t remaining_ = 0;
  std::uint64_t length_ = 0;
};

}  // namespace

Result<std::unique_ptr<http::BodySource>> OpenManifestBody(store::BlobStore& blobs,
                                                           const std::vector<BlobRef>& manifest,
                                                           std::uint64_t offset, std::uint64_t length,
                                                           std::shared_ptr<store::BlobReader> first_blob,
                                                           const DataKey* key) {
  auto body = std::make_unique<ManifestBody>(blobs, manifest, offset, length, key);
  CENOTE_RETURN_IF_ERROR(body->OpenAll(std::move(first_blob)));
  return std::unique_ptr<http::BodySource>(std::move(body));
}

Result<StoredBlob> CopyRangeToBlob(Env& env, const std::vector<BlobRef>& manifest, std::uint64_t offset,
                                   std::uint64_t length, const DataKey* source_key, const DataKey* dest_key) {
  CENOTE_ASSIGN_OR_RETURN(auto source,
                          OpenManifestBody(env.blobs, manifest, offset, length, nullptr, source_key));
  CENOTE_ASSIGN_OR_RETURN(auto writer, env.blobs.Create());
  UploadDigest digest({});
  std::optional<EncryptingSink> sink;
  if (dest_key) sink.emplace(*dest_key);
  std::string sealed;
  std::uint64_t total = 0;
  auto buf = std::make_unique_for_overwrite<char[]>(kBufferSize);
  for (;;) {
    CENOTE_ASSIGN_OR_RETURN(auto n, source->Read(buf.get(), kBufferSize));
    if (n == 0) break;
    digest.Update(buf.get(), n);
    total += n;
    if (!sink) {
      CENOTE_RETURN_IF_ERROR(writer->Append(buf.get(), n));
      continue;
    }
    sealed.clear();
    CENOTE_RETURN_IF_ERROR(sink->Update(buf.get(), n, sealed));
    if (!sealed.empty()) CENOTE_RETURN_IF_ERROR(writer->Append(sealed.data(), sealed.size()));
  }
  if (sink) {
    sealed.clear();
    CENOTE_RETURN_IF_ERROR(sink->Finish(sealed));
    CENOTE_RETURN_IF_ERROR(writer->Append(sealed.data(), sealed.size()));
  }
  CENOTE_ASSIGN_OR_RETURN(auto stored, CommitDigested(*writer, digest));
  stored.size = total;
  return stored;
}

}  // namespace cenote::s3
