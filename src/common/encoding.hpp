// Byte encodings and the small crypto primitives SigV4 needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote {

// Base64 (RFC 4648): the one codec. Characters 62 and 63 are '+' '/' in the standard alphabet (section 4)
// and '-' '_' in the URL-safe one (section 5).
enum class Base64Alphabet { kStandard, kUrlSafe };

// With '=' padding unless `pad` is false.
std::string Base64Encode(std::string_view data, Base64Alphabet alphabet = Base64Alphabet::kStandard,
                         bool pad = true);

struct Base64DecodeOptions {
  bool standard = true;            // accept '+' and '/'
  bool url_safe = false;           // accept '-' and '_'
  bool require_padding = false;    // the length must be a multiple of 4 with '=' padding
  bool ignore_whitespace = false;  // skip ' ', '\t', '\r', '\n' anywhere
  bool canonical = true;           // the unused bits of the last character must be zero
};
// Strict by default: the standard alphabet, padding optional, no whitespace, canonical. nullopt on any
// invalid character, bad padding, a length that cannot be valid or (canonical) non-zero leftover bits, so
// every byte string has exactly one accepted encoding per alphabet.
std::optional<std::string> Base64Decode(std::string_view text, const Base64DecodeOptions& options = {});
// What AWS's wire parsers accept for blob members (JSON, XML, query, headers): either alphabet, padding
// optional, whitespace ignored, leftover bits ignored.
inline constexpr Base64DecodeOptions kWireBase64{.standard = true,
                                                 .url_safe = true,
                                                 .require_padding = false,
                                                 .ignore_whitespace = true,
                                                 .canonical = false};

// Lower-case hex.
std::string HexEncode(std::string_view data);
// Either case; nullopt on odd length or a non-hex character.
std::optional<std::string> HexDecode(std::string_view text);

// Percent-encoding by AWS SigV4 rules: every byte except the unreserved A-Z a-z 0-9 - _ . ~ becomes %XX
// with upper-case hex; '/' is kept when !encode_slash (object keys in S3 paths); ' ' is %20, never '+'.
std::string UriEncode(std::string_view data, bool encode_slash);
// Percent-decoding. '+' is left as is (query strings that mean space by '+' must map it first). A '%' not
// followed by two hex digits is kept literally.
std::string UriDecode(std::string_view text);

// True when `text` is well-formed UTF-8 (RFC 3629 section 4): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing past U+10FFFF, no truncated sequence.
bool IsValidUtf8(std::string_view text);

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);
// Raw 20-byte HMAC-SHA1 (SigV2).
std::string HmacSha1(std::string_view key, std::string_view data);
// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Constant-time comparison (for signatures).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// zlib's deflate of `data` (window_bits 15 + 16: a gzip member; 15: zlib; -15: raw deflate) at `level` (1-9,
// or -1 for zlib's default).
Result<std::string> Deflate(std::string_view data, int window_bits, int level = -1);
// One gzip member of `data` (CloudTrail log files, Firehose's GZIP, CloudWatch Logs subscription payloads).
inline Result<std::string> Gzip(std::string_view data, int level = -1) {
  return Deflate(data, 15 + 16, level);
}
// One gzip member of `data` made by ISA-L's igzip at its level 1: on JSON about ten times zlib level 1's
// speed with a similar ratio (0.6 against 7 us per 1 KiB CloudTrail record). For paths that compress every
// event (CloudTrail log files); any gzip reader reads it.
Result<std::string> GzipFast(std::string_view data);
// The bytes of a gzip stream; InvalidFormat (400) when it is not one or is cut short.
Result<std::string> Gunzip(std::string_view data);

}  // namespace cenote
