#include "common/encoding.hpp"

#include <isa-l/igzip_lib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace cenote {

namespace {

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64UrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

// OpenSSL 3 looks an algorithm up by name on every call that passes EVP_sha256() & co. (an "implicit
// fetch", several microseconds) and HMAC() also fetches the MAC. SigV4 runs a few of these per request,
// so we fetch each digest once and compute HMAC (RFC 2104) over it directly.
const EVP_MD* FetchedDigest(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) std::abort();  // SHA-256/SHA-1 are always in the default provider
  return md;
}

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = FetchedDigest("SHA256");
  return md;
}

const EVP_MD* Sha1Md() {
  static const EVP_MD* md = FetchedDigest("SHA1");
  return md;
}

std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  constexpr std::size_t kBlock = 64;  // SHA-1 and SHA-256 block size
  unsigned char k0[kBlock] = {};
  unsigned int len = 0;
  if (key.size() > kBlock) {
    EVP_Digest(key.data(), key.size(), k0, &len, md, nullptr);
  } else {
    std::memcpy(k0, key.data(), key.size());
  }
  unsigned char pad[kBlock];
  unsigned char inner[EVP_MAX_MD_SIZE];
  unsigned char out[EVP_MAX_MD_SIZE];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = k0[i] ^ 0x36;
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, pad, kBlock);
  EVP_DigestUpdate(ctx, data.data(), data.size());
  EVP_DigestFinal_ex(ctx, inner, &len);
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = k0[i] ^ 0x5c;
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, pad, kBlock);
  EVP_DigestUpdate(ctx, inner, len);
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_MD_CTX_free(ctx);
  OPENSSL_cleanse(k0, sizeof(k0));
  OPENSSL_cleanse(pad, sizeof(pad));
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

std::string Base64Encode(std::string_view data, Base64Alphabet alphabet, bool pad) {
  const char* digits = alphabet == Base64Alphabet::kUrlSafe ? kBase64UrlAlphabet : kBase64Alphabet;
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(data[i]) << 16) |
                      (static_cast<unsigned char>(data[i + 1]) << 8) |
                      static_cast<unsigned char>(data[i + 2]);
    out.push_back(digits[(v >> 18) & 63]);
    out.push_back(digits[(v >> 12) & 63]);
    out.push_back(digits[(v >> 6) & 63]);
    out.push_back(digits[v & 63]);
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = static_cast<unsigned char>(data[i]) << 16;
    out.push_back(digits[(v >> 18) & 63]);
    out.push_back(digits[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    std::uint32_t v =
        (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8);
    out.push_back(digits[(v >> 18) & 63]);
    out.push_back(digits[(v >> 12) & 63]);
    out.push_back(digits[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view input, const Base64DecodeOptions& options) {
  std::string compact;
  std::string_view text = input;
  if (options.ignore_whitespace && text.find_first_of(" \t\r\n") != std::string_view::npos) {
    compact.reserve(text.size());
    for (char c : text) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
    }
    text = compact;
  }
  if (options.require_padding && text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && !text.empty() && text.back() == '=') {
    text.remove_suffix(1);
    ++pad;
  }
  if (pad > 0 && (text.size() + pad) % 4 != 0) return std::nullopt;
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = Base64Value(c);
    if (v < 0) {
      if (options.url_safe && c == '-') {
        v = 62;
      } else if (options.url_safe && c == '_') {
        v = 63;
      } else {
        return std::nullopt;
      }
    } else if (!options.standard && (c == '+' || c == '/')) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, or two encodings would decode to the same bytes.
  if (options.canonical && bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string HexEncode(std::string_view data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out.push_back(kHexLower[c >> 4]);
    out.push_back(kHexLower[c & 15]);
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = HexValue(text[i]);
    int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

std::string UriEncode(std::string_view data, bool encode_slash) {
  std::string out;
  out.reserve(data.size() + data.size() / 2);
  for (unsigned char c : data) {
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexUpper[c >> 4]);
      out.push_back(kHexUpper[c & 15]);
    }
  }
  return out;
}

std::string UriDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>((HexValue(text[i + 1]) << 4) | HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // RFC 3629's UTF8-2/3/4 productions: the lead byte fixes the length and the range of the second byte
    // (which is what rules out overlong forms, surrogates and code points past U+10FFFF).
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    if (byte(i + 1) < low || byte(i + 1) > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

std::string HmacSha256(std::string_view key, std::string_view data) { return Hmac(Sha256Md(), key, data); }

std::string HmacSha1(std::string_view key, std::string_view data) { return Hmac(Sha1Md(), key, data); }

std::string Sha256Hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, Sha256Md(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<char*>(out), len));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> Deflate(std::string_view data, int window_bits, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return InternalError("zlib: deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return InternalError("zlib: deflate did not finish (" + std::to_string(rc) + ")");
  return out;
}

Result<std::string> GzipFast(std::string_view data) {
  // igzip's level 1 needs a work buffer; one per thread, reused (delivery runs on one thread).
  thread_local std::vector<std::uint8_t> level_buf(ISAL_DEF_LVL1_DEFAULT);
  // The output is built in a buffer the thread keeps (filled once when it grows, not zeroed every call), then
  // copied out at its compressed size. Stored blocks bound it: 5 bytes per 64 KiB block beyond the input,
  // plus the gzip header and trailer.
  thread_local std::string out;
  const std::size_t bound = data.size() + data.size() / 4096 + 1024;
  if (out.size() < bound) out.resize(bound);
  isal_zstream zs;
  isal_deflate_stateless_init(&zs);
  zs.gzip_flag = IGZIP_GZIP;
  zs.level = 1;
  zs.level_buf = level_buf.data();
  zs.level_buf_size = static_cast<std::uint32_t>(level_buf.size());
  zs.end_of_stream = 1;
  zs.flush = NO_FLUSH;
  zs.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<std::uint32_t>(data.size());
  zs.next_out = reinterpret_cast<std::uint8_t*>(out.data());
  zs.avail_out = static_cast<std::uint32_t>(out.size());
  if (data.size() > UINT32_MAX / 2 || isal_deflate_stateless(&zs) != COMP_OK) return Gzip(data, 1);
  std::string compressed(out.data(), zs.total_out);
  if (out.size() > (64u << 20)) std::string().swap(out);  // a rare huge input does not stay resident
  return compressed;
}

Result<std::string> Gunzip(std::string_view data) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return InternalError("zlib: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return MakeError("InvalidFormat", "not a gzip stream", 400);
  return out;
}

}  // namespace cenote
