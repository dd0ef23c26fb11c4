// JSON Web Tokens as AssumeRoleWithWebIdentity receives them (OpenID Connect ID tokens, RFC 7519), verified
// against a JSON Web Key Set (RFC 7517) with OpenSSL: RS256/RS384/RS512 (RSA PKCS#1 v1.5) and
// ES256/ES384/ES512 (ECDSA over P-256/P-384/P-521, signatures as JWS's raw r||s). Other algorithms, "none"
// included, are refused.
//
// Pure functions of their inputs (no I/O, no globals); thread-safe. Errors are messages for STS's
// InvalidIdentityToken (the caller picks the code).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::sts {

struct Jwt {
  boost::json::object header;
  boost::json::object claims;
  std::string signing_input;  // "<header b64>.<payload b64>"
  std::string signature;      // raw bytes
};

// Splits and decodes a compact JWS; an error (message only) when it is not a three-part base64url token
// with JSON object header and claims.
Result<Jwt> ParseJwt(std::string_view token);

// Verifies `jwt`'s signature with the key of `jwks` (a JWKS document: {"keys": [...]}) whose "kid" matches
// the header's (any suitable key when the header names none). Errors: unsupported algorithm, no suitable
// key, bad signature.
Status VerifyJwtSignature(const Jwt& jwt, std::string_view jwks);

// A claim as a list of strings: "aud" may be a string or an array (RFC 7519 4.1.3); empty when absent.
std::vector<std::string> ClaimStrings(const boost::json::object& claims, std::string_view name);
// A NumericDate claim (seconds since the epoch), or nullopt when absent or not a number.
std::optional<std::int64_t> ClaimSeconds(const boost::json::object& claims, std::string_view name);

}  // namespace cenote::sts
