// SigV4/SigV2 building blocks, exposed for the unit tests and fuzzers. Not part of the layer's API.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace cenote::aws::sigv4 {

struct QueryParam {
  std::string key;    // percent-decoded
  std::string value;  // percent-decoded
};

// Splits a raw query on '&' and '=' and percent-decodes each part ('+' stays '+').
std::vector<QueryParam> ParseQuery(std::string_view raw_query);

// Canonical query string: every key and value re-encoded by AWS rules, sorted by encoded key then
// value, parameters named `exclude` (X-Amz-Signature for presigned requests) left out.
std::string CanonicalQueryString(std::string_view raw_query, std::string_view exclude = "");

// Canonical URI from the raw (still encoded) request path. S3: decoded then re-encoded once, no dot-segment
// or slash normalization. Other services: dot segments and empty segments removed (botocore's
// remove_dot_segments), then the wire form encoded again (so "%2F" becomes "%252F": AWS's "encode twice").
std::string CanonicalUri(std::string_view raw_path, bool s3);

// "Trimall": leading/trailing whitespace removed, inner runs collapsed to one space.
std::string TrimAll(std::string_view value);

// Canonical headers block ("name:value\n" per signed header, values of repeated headers joined by ',').
std::string CanonicalHeaders(const http::Headers& headers, const std::vector<std::string>& signed_headers);

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash);

std::string StringToSign(std::string_view timestamp, std::string_view scope,
                         std::string_view canonical_request);

// Raw 32-byte kSigning = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request".
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);

// Request times are accepted from 1900-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z.
// system_clock counts 64-bit nanoseconds, which end in April 2262: a later date (x-amz-date allows year
// 9999, SigV2 Expires any number) would overflow on conversion, and the skew and expiry checks would
// then compare wrapped times. The upper bound leaves decades of headroom for that arithmetic.
// Seconds since the epoch as a time point; nullopt outside that range.
std::optional<std::chrono::system_clock::time_point> TimeFromUnixSeconds(long long seconds);

// "20150830T123600Z" <-> time_point. nullopt on anything else, and outside the range above.
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text);
std::string FormatAmzDate(std::chrono::system_clock::time_point when);
// RFC 1123 ("Tue, 27 Mar 2007 19:36:42 GMT", also "+0000"); nullopt otherwise, and outside the range
// above.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

// SigV2 string-to-sign for S3. `date_line` is the Date header (header auth) or Expires (query auth);
// `resource_path` the path (with "/bucket" prefix for virtual-hosted requests).
std::string SigV2StringToSign(std::string_view method, const http::Headers& headers,
                              std::string_view date_line, std::string_view resource_path,
                              std::string_view raw_query);

}  // namespace cenote::aws::sigv4
