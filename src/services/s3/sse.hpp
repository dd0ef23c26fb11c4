// Server-side encryption at rest (SSE-S3 and SSE-C): the piece format, the root key and the data keys.
//
// Every encrypted object version (or multipart upload) has its own random 256-bit data key. The key is
// stored only wrapped (AES-256-GCM): under the server's root key for SSE-S3, under the customer's key for
// SSE-C (which Cenote never stores: the customer presents it again on every read). The wrapped key and
// the kind live in the version's attrs (member "SSE"); the root key lives in a file of its own beside the
// blob directory, never in an object file or the metadata store.
//
// An encrypted piece (a blob, or the inline bytes of a small object) is:
//   header:   "CSE1" | 8-byte random nonce prefix | 4 zero bytes                       (16 bytes)
//   segments: for each 64 KiB of plaintext (the last one shorter): ciphertext | GCM tag  (n + 16 bytes)
// Segment i is AES-256-GCM under the data key with the 12-byte nonce prefix | big-endian u32 i. A random
// prefix per piece keeps nonces unique under one key however often a part is uploaded again; the index
// in the nonce keeps segments from being reordered; the plaintext size in the manifest catches truncation.
// Any byte range is read by decrypting only the segments it touches, so a ranged GET streams.
//
// Thread safety: RootKey is immutable after Load. A DataKey is a value. EncryptingSink and
// DecryptingReader are used by one thread at a time (as BlobWriter and BlobReader are).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "store/blob_store.hpp"

namespace cenote::s3 {

inline constexpr std::size_t kSseSegmentSize = 64 * 1024;
inline constexpr std::size_t kSseHeaderSize = 16;
inline constexpr std::size_t kSseTagSize = 16;

// Stored size of an encrypted piece of `plaintext` bytes.
std::uint64_t SseCiphertextSize(std::uint64_t plaintext);

// A 256-bit AES key, wiped when destroyed.
class DataKey {
 public:
  DataKey() = default;
  static DataKey Random();
  // nullopt unless `bytes` is 32 bytes long.
  static std::optional<DataKey> FromBytes(std::string_view bytes);
  DataKey(const DataKey&) = default;
  DataKey& operator=(const DataKey&) = default;
  ~DataKey();
  const unsigned char* data() const { return bytes_.data(); }

 private:
  std::array<unsigned char, 32> bytes_{};
};

// AES-256-GCM of a data key under a key-encryption key: nonce (12) | ciphertext (32) | tag (16), base64.
Result<std::string> WrapKey(const DataKey& kek, const DataKey& key);
// nullopt when `wrapped` was not made by WrapKey under `kek` (a wrong key, or altered bytes).
std::optional<DataKey> UnwrapKey(const DataKey& kek, std::string_view wrapped);

// The server's root key for SSE-S3: 32 random bytes in a file of its own (mode 0600), made durably on
// first use. `id` names it (a hash prefix), so data wrapped under another root key says so.
class RootKey {
 public:
  // Loads `path`, creating it when missing; an empty path: a key that lives only in this process (stores
  // without local files, tests).
  static Result<RootKey> Load(const std::string& path);
  const DataKey& key() const { return key_; }
  const std::string& id() const { return id_; }

 private:
  DataKey key_;
  std::string id_;
};

// Encrypts a piece as it streams: Update with plaintext, then Finish; each call returns the bytes to
// append to the piece (the header comes with the first).
class EncryptingSink {
 public:
  explicit EncryptingSink(const DataKey& key);
  ~EncryptingSink();
  EncryptingSink(const EncryptingSink&) = delete;
  EncryptingSink& operator=(const EncryptingSink&) = delete;

  // Appends to `out` the ciphertext of every segment [data, data + n) completes. An error (a failing
  // cipher library) spends the sink: the piece must be discarded.
  Status Update(const char* data, std::size_t n, std::string& out);
  // Appends the last (partial) segment; the sink is spent.
  Status Finish(std::string& out);

 private:
  Status Seal(std::string& out);

  DataKey key_;
  std::array<unsigned char, 12> nonce_{};
  std::uint32_t index_ = 0;
  bool header_written_ = false;
  std::string pending_;  // plaintext of the current segment
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// The whole encrypted piece of `plaintext`, at once (inline bytes).
Result<std::string> EncryptPiece(const DataKey& key, std::string_view plaintext);

// A reader of an encrypted piece that yields its plaintext: size() is the plaintext size and ReadAt
// decrypts the segments a read touches (the last one is kept for the next read). fd() is -1: encrypted
// bytes are never sent with sendfile(2). A segment that fails authentication is an InternalError.
std::unique_ptr<store::BlobReader> MakeDecryptingReader(std::shared_ptr<store::BlobReader> ciphertext,
                                                        std::uint64_t plaintext_size, const DataKey& key);

}  // namespace cenote::s3
