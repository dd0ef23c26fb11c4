#include "services/s3/sse.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "store/durable_file.hpp"

namespace cenote::s3 {

namespace {

constexpr char kMagic[4] = {'C', 'S', 'E', '1'};
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kPrefixSize = 8;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

CipherCtx NewCtx(const DataKey& key, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return ctx;
  const int ok = encrypt ? EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr)
                         : EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr);
  if (ok != 1) ctx.reset();
  return ctx;
}

// One AES-256-GCM seal with a context already holding the key: ciphertext then tag appended to `out`.
bool SealWith(EVP_CIPHER_CTX* ctx, const unsigned char* nonce, const unsigned char* in, std::size_t n,
              std::string& out) {
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) != 1) return false;
  const std::size_t start = out.size();
  out.resize(start + n + kSseTagSize);
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + start);
  int len = 0;
  if (n > 0 && EVP_EncryptUpdate(ctx, dst, &len, in, static_cast<int>(n)) != 1) return false;
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx, dst + len, &tail) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kSseTagSize, dst + n) == 1;
}

// One AES-256-GCM open: `n` ciphertext bytes followed by their tag, into `out` (n bytes).
bool OpenWith(EVP_CIPHER_CTX* ctx, const unsigned char* nonce, const unsigned char* in, std::size_t n,
              unsigned char* out) {
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) != 1) return false;
  int len = 0;
  if (n > 0 && EVP_DecryptUpdate(ctx, out, &len, in, static_cast<int>(n)) != 1) return false;
  unsigned char tag[kSseTagSize];
  std::memcpy(tag, in + n, kSseTagSize);
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kSseTagSize, tag) != 1) return false;
  int tail = 0;
  return EVP_DecryptFinal_ex(ctx, out + len, &tail) == 1;
}

void PutIndex(unsigned char* nonce, std::uint32_t index) {
  nonce[8] = static_cast<unsigned char>(index >> 24);
  nonce[9] = static_cast<unsigned char>(index >> 16);
  nonce[10] = static_cast<unsigned char>(index >> 8);
  nonce[11] = static_cast<unsigned char>(index);
}

}  // namespace

std::uint64_t SseCiphertextSize(std::uint64_t plaintext) {
  const std::uint64_t segments = (plaintext + kSseSegmentSize - 1) / kSseSegmentSize;
  return kSseHeaderSize + plaintext + segments * kSseTagSize;
}

DataKey DataKey::Random() {
  DataKey k;
  FillRandom(k.bytes_.data(), k.bytes_.size());
  return k;
}

std::optional<DataKey> DataKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != 32) return std::nullopt;
  DataKey k;
  std::memcpy(k.bytes_.data(), bytes.data(), 32);
  return k;
}

DataKey::~DataKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

Result<std::string> WrapKey(const DataKey& kek, const DataKey& key) {
  unsigned char nonce[kNonceSize];
  FillRandom(nonce, sizeof(nonce));
  std::string out(reinterpret_cast<const char*>(nonce), sizeof(nonce));
  CipherCtx ctx = NewCtx(kek, true);
  if (!ctx || !SealWith(ctx.get(), nonce, key.data(), 32, out))
    return InternalError("wrapping a data key failed");
  return Base64Encode(out);
}

std::optional<DataKey> UnwrapKey(const DataKey& kek, std::string_view wrapped) {
  auto raw = Base64Decode(wrapped);
  if (!raw || raw->size() != kNonceSize + 32 + kSseTagSize) return std::nullopt;
  CipherCtx ctx = NewCtx(kek, false);
  if (!ctx) return std::nullopt;
  unsigned char plain[32];
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw->data());
  std::optional<DataKey> key;
  if (OpenWith(ctx.get(), bytes, bytes + kNonceSize, 32, plain)) {
    key = DataKey::FromBytes(std::string_view(reinterpret_cast<const char*>(plain), 32));
  }
  OPENSSL_cleanse(plain, sizeof(plain));
  OPENSSL_cleanse(raw->data(), raw->size());
  return key;
}

Result<RootKey> RootKey::Load(const std::string& path) {
  RootKey root;
  std::string bytes;
  if (path.empty()) {
    bytes = RandomBytes(32);
  } else {
    std::error_code ec;
    if (std::filesystem::exists(path, ec) || ec) {
      // Never replaced when it cannot be read: a new key would orphan every object encrypted under the old.
      CENOTE_ASSIGN_OR_RETURN(bytes, store::ReadFile(path));
    } else {
      // A new data directory (or one from before encryption at rest): make the key, durably, readable by
      // the server's user alone. A crash before the rename leaves no key and nothing encrypted under it.
      bytes = RandomBytes(32);
      CENOTE_RETURN_IF_ERROR(store::WriteFileDurably(path, bytes, 0600));
    }
  }
  auto key = DataKey::FromBytes(bytes);
  if (!key) return InternalError("the root key file " + path + " is not 32 bytes long");
  root.key_ = *key;
  root.id_ = Sha256Hex(bytes).substr(0, 16);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return root;
}

struct EncryptingSink::Ctx {
  CipherCtx cipher;
};

EncryptingSink::EncryptingSink(const DataKey& key) : key_(key), ctx_(std::make_unique<Ctx>()) {
  FillRandom(nonce_.data(), kPrefixSize);
  ctx_->cipher = NewCtx(key_, true);
  pending_.reserve(kSseSegmentSize);
}

EncryptingSink::~EncryptingSink() {
  if (!pending_.empty()) OPENSSL_cleanse(pending_.data(), pending_.size());
}

Status EncryptingSink::Seal(std::string& out) {
  if (!header_written_) {
    out.append(kMagic, sizeof(kMagic));
    out.append(reinterpret_cast<const char*>(nonce_.data()), kPrefixSize);
    out.append(4, '\0');
    header_written_ = true;
  }
  if (pending_.empty()) return Status::Ok();
  PutIndex(nonce_.data(), index_++);
  const bool sealed =
      ctx_->cipher && SealWith(ctx_->cipher.get(), nonce_.data(),
                               reinterpret_cast<const unsigned char*>(pending_.data()), pending_.size(), out);
  OPENSSL_cleanse(pending_.data(), pending_.size());
  pending_.clear();
  // OpenSSL's GCM does not fail on valid arguments: only a broken library gets here, and the write fails.
  if (!sealed) return InternalError("AES-256-GCM encryption failed");
  return Status::Ok();
}

Status EncryptingSink::Update(const char* data, std::size_t n, std::string& out) {
  if (!header_written_) CENOTE_RETURN_IF_ERROR(Seal(out));
  while (n > 0) {
    const std::size_t take = std::min(n, kSseSegmentSize - pending_.size());
    pending_.append(data, take);
    data += take;
    n -= take;
    if (pending_.size() == kSseSegmentSize) CENOTE_RETURN_IF_ERROR(Seal(out));
  }
  return Status::Ok();
}

Status EncryptingSink::Finish(std::string& out) { return Seal(out); }

Result<std::string> EncryptPiece(const DataKey& key, std::string_view plaintext) {
  EncryptingSink sink(key);
  std::string out;
  out.reserve(SseCiphertextSize(plaintext.size()));
  CENOTE_RETURN_IF_ERROR(sink.Update(plaintext.data(), plaintext.size(), out));
  CENOTE_RETURN_IF_ERROR(sink.Finish(out));
  return out;
}

namespace {

class DecryptingReader final : public store::BlobReader {
 public:
  DecryptingReader(std::shared_ptr<store::BlobReader> inner, std::uint64_t size, const DataKey& key)
      : inner_(std::move(inner)), size_(size), cipher_(NewCtx(key, false)) {}
  ~DecryptingReader() override {
    if (!plain_.empty()) OPENSSL_cleanse(plain_.data(), plain_.size());
  }

  std::uint64_t size() const override { return size_; }
  int fd() const override { return -1; }

  Result<std::size_t> ReadAt(std::uint64_t offset, char* buf, std::size_t n) override {
    std::size_t done = 0;
    while (done < n && offset < size_) {
      const std::uint64_t index = offset / kSseSegmentSize;
      CENOTE_RETURN_IF_ERROR(LoadSegment(index));
      const std::size_t within = static_cast<std::size_t>(offset - index * kSseSegmentSize);
      const std::size_t take = std::min(n - done, plain_len_ - within);
      std::memcpy(buf + done, plain_.data() + within, take);
      done += take;
      offset += take;
    }
    return done;
  }

 private:
  Status ReadHeader() {
    char header[kSseHeaderSize];
    CENOTE_RETURN_IF_ERROR(ReadFully(0, header, sizeof(header)));
    if (std::memcmp(header, kMagic, sizeof(kMagic)) != 0) {
      return InternalError("an encrypted object piece has no encryption header");
    }
    std::memcpy(nonce_.data(), header + sizeof(kMagic), kPrefixSize);
    header_read_ = true;
    return Status::Ok();
  }

  Status ReadFully(std::uint64_t at, char* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      CENOTE_ASSIGN_OR_RETURN(auto r, inner_->ReadAt(at + got, out + got, n - got));
      if (r == 0) return InternalError("an encrypted object piece is shorter than its metadata says");
      got += r;
    }
    return Status::Ok();
  }

  Status LoadSegment(std::uint64_t index) {
    if (loaded_ && index == index_) return Status::Ok();
    if (!header_read_) CENOTE_RETURN_IF_ERROR(ReadHeader());
    if (!cipher_) return InternalError("cannot make an AES-256-GCM context");
    const std::size_t len =
        static_cast<std::size_t>(std::min<std::uint64_t>(kSseSegmentSize, size_ - index * kSseSegmentSize));
    sealed_.resize(len + kSseTagSize);
    CENOTE_RETURN_IF_ERROR(
        ReadFully(kSseHeaderSize + index * (kSseSegmentSize + kSseTagSize), sealed_.data(), sealed_.size()));
    plain_.resize(kSseSegmentSize);
    PutIndex(nonce_.data(), static_cast<std::uint32_t>(index));
    loaded_ = false;
    if (!OpenWith(cipher_.get(), nonce_.data(), reinterpret_cast<const unsigned char*>(sealed_.data()), len,
                  reinterpret_cast<unsigned char*>(plain_.data()))) {
      return InternalError("an encrypted object piece failed authentication (altered or wrong key)");
    }
    index_ = index;
    plain_len_ = len;
    loaded_ = true;
    return Status::Ok();
  }

  std::shared_ptr<store::BlobReader> inner_;
  std::uint64_t size_;
  CipherCtx cipher_;
  std::array<unsigned char, kNonceSize> nonce_{};
  bool header_read_ = false;
  bool loaded_ = false;
  std::uint64_t index_ = 0;
  std::size_t plain_len_ = 0;
  std::vector<char> sealed_;
  std::vector<char> plain_;
};

}  // namespace

std::unique_ptr<store::BlobReader> MakeDecryptingReader(std::shared_ptr<store::BlobReader> ciphertext,
                                                        std::uint64_t plaintext_size, const DataKey& key) {
  return std::make_unique<DecryptingReader>(std::move(ciphertext), plaintext_size, key);
}

}  // namespace cenote::s3
