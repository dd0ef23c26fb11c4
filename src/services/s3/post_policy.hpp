// POST policies: the document an HTML form upload carries (base64 JSON in its `policy` field) and what it
// allows ("Creating a POST policy", S3 API Reference). The form's signature over the policy is checked by
// the authenticate stage (aws/sigv4); this is the rest: the policy's expiry, its conditions on the form's
// fields, and the rule that every field must be covered by one. Pure functions, no state.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::s3 {

struct PostPolicy {
  struct Condition {
    enum class Kind { kEq, kStartsWith, kContentLengthRange };
    Kind kind = Kind::kEq;
    std::string field;               // lower-cased, without the '$' ("" for content-length-range)
    std::string value;               // eq: the value; starts-with: the prefix
    std::uint64_t min = 0, max = 0;  // content-length-range
    std::string text;                // as AWS quotes it in a denial: ["eq", "$key", "a.txt"]
  };
  std::int64_t expiration_ms = 0;
  std::vector<Condition> conditions;
};

// Decodes a policy field and checks its shape: a JSON object with an ISO 8601 `expiration` and a
// `conditions` list of {"field": "value"}, ["eq", "$field", "value"], ["starts-with", "$field", "prefix"]
// and ["content-length-range", min, max] (operators and field names in any case; keys of the document
// itself as written). InvalidPolicyDocument (400) in AWS's words otherwise.
Result<PostPolicy> ParsePostPolicy(std::string_view base64_policy);

// The form as a policy sees it: field names lower-cased, the first value of a repeated field, the request's
// bucket as "bucket" and the key with ${filename} already substituted.
using PostFormFields = std::map<std::string, std::string>;

// Checks, in AWS's order: the expiry against `now_ms` ("Policy expired."), every condition but
// content-length-range ("Policy Condition failed: ..."; a field the form lacks counts as empty), and that
// each field but the exempt ones is named by a condition ("Extra input fields: ..."). AccessDenied (403).
// Exempt: the signature fields, policy, file, x-ignore-* and the x-amz-checksum-* integrity fields.
Status CheckPostPolicy(const PostPolicy& policy, const PostFormFields& fields, std::int64_t now_ms);

// The object sizes the policy's content-length-range conditions allow (all of them apply).
struct PostSizeRange {
  std::uint64_t min = 0;
  std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
};
PostSizeRange PolicySizeRange(const PostPolicy& policy);

}  // namespace cenote::s3
