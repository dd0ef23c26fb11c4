// Byte encodings and the small crypto primitives SigV4 needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cenote {

// Standard alphabet (RFC 4648 section 4), with '=' padding.
std::string Base64Encode(std::string_view data);
// Accepts the standard alphabet with or without padding; ignores no whitespace. nullopt on any invalid
// character, bad padding or a length that cannot be valid.
std::optional<std::string> Base64Decode(std::string_view text);

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

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);
// Raw 20-byte HMAC-SHA1 (SigV2).
std::string HmacSha1(std::string_view key, std::string_view data);
// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Constant-time comparison (for signatures).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace cenote
