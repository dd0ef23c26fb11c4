#include "services/s3/post_policy.hpp"

#include <boost/json.hpp>
#include <chrono>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/s3/errors.hpp"

namespace cenote::s3 {

namespace {

namespace json = boost::json;
using services::MakeError;

Error Invalid(std::string_view what) { return MakeError(errors::kInvalidPolicyDocument, {what}); }
Error Denied(std::string_view what) { return MakeError(errors::kPostPolicyDenied, {what}); }

std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!IsAsciiDigit(text[i])) return std::nullopt;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

// "2007-12-01T12:00:00Z" or "2007-12-01T12:00:00.000Z" (any number of fraction digits), UTC: the forms AWS
// documents for `expiration` and SDKs write.
std::optional<std::int64_t> ParseExpiration(std::string_view t) {
  auto year = Digits(t, 0, 4), month = Digits(t, 5, 2), day = Digits(t, 8, 2);
  auto hour = Digits(t, 11, 2), minute = Digits(t, 14, 2), second = Digits(t, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || t[4] != '-' || t[7] != '-' || t[10] != 'T' ||
      t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < t.size() && t[pos] == '.') {
    std::size_t digits = 0;
    for (++pos; pos < t.size() && IsAsciiDigit(t[pos]); ++pos, ++digits) {
      if (digits < 3) millis = millis * 10 + (t[pos] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  if (pos + 1 != t.size() || t[pos] != 'Z') return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(*month),
                                         std::chrono::day(*day)};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  const auto days = std::chrono::sys_days(date).time_since_epoch().count();
  return ((static_cast<std::int64_t>(days) * 24 + *hour) * 60 + *minute) * 60'000 +
         static_cast<std::int64_t>(*second) * 1000 + millis;
}

// Built by appending: GCC 12 reports a false -Wrestrict on `"literal" + std::string(...)` (GCC bug 105329).
std::string Concat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

std::string Quoted(std::string_view s) { return Concat({"\"", s, "\""}); }

std::optional<std::uint64_t> SizeBound(const json::value& v) {
  if (v.is_uint64()) return v.as_uint64();
  if (v.is_int64() && v.as_int64() >= 0) return static_cast<std::uint64_t>(v.as_int64());
  return std::nullopt;
}

Result<PostPolicy::Condition> ParseCondition(const json::value& v) {
  using Kind = PostPolicy::Condition::Kind;
  PostPolicy::Condition c;
  if (v.is_object()) {
    const json::object& o = v.as_object();
    if (o.size() != 1) {
      return Invalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.");
    }
    const auto& [name, value] = *o.begin();
    if (!value.is_string()) {
      return Invalid("Invalid Simple-Condition: value must be a string.");
    }
    c.kind = Kind::kEq;
    c.field = AsciiLower(std::string_view(name));
    c.value = std::string(value.as_string());
    c.text = Concat({"[\"eq\", \"$", std::string_view(name), "\", ", Quoted(c.value), "]"});
    return c;
  }
  if (!v.is_array() || v.as_array().empty() || !v.as_array()[0].is_string()) {
    return Invalid("Invalid Condition: a condition must be an object or a list starting with an operator.");
  }
  const json::array& a = v.as_array();
  const std::string op(a[0].as_string());
  if (EqualsIgnoreAsciiCase(op, "content-length-range")) {
    std::optional<std::uint64_t> min = a.size() == 3 ? SizeBound(a[1]) : std::nullopt;
    std::optional<std::uint64_t> max = a.size() == 3 ? SizeBound(a[2]) : std::nullopt;
    if (!min || !max) {
      return Invalid(
          "Invalid content-length-range Condition: it takes a minimum and a maximum size, non-negative "
          "integers.");
    }
    c.kind = Kind::kContentLengthRange;
    c.min = *min;
    c.max = *max;
    c.text = Concat({"[", Quoted(op), ", ", std::to_string(*min), ", ", std::to_string(*max), "]"});
    return c;
  }
  const bool eq = EqualsIgnoreAsciiCase(op, "eq");
  if (!eq && !EqualsIgnoreAsciiCase(op, "starts-with")) {
    return Invalid(Concat({"Invalid Condition: unknown operation ", Quoted(op), "."}));
  }
  if (a.size() != 3 || !a[1].is_string() || !a[2].is_string()) {
    return Invalid(Concat({"Invalid ", op, " Condition: it takes a field name and a value, both strings."}));
  }
  std::string_view field = a[1].as_string();
  if (!field.starts_with('$') || field.size() < 2) {
    return Invalid(Concat({"Invalid ", op, " Condition: the field name must start with '$'."}));
  }
  c.kind = eq ? Kind::kEq : Kind::kStartsWith;
  c.field = AsciiLower(field.substr(1));
  c.value = std::string(a[2].as_string());
  c.text = Concat({"[", Quoted(op), ", ", Quoted(field), ", ", Quoted(c.value), "]"});
  return c;
}

// Fields a policy need not name ("Each form field that you specify in a form (except x-amz-signature, file,
// policy, and field names that have an x-ignore- prefix) must appear in the list of conditions"; SigV2 forms
// add AWSAccessKeyId and signature). The x-amz-checksum-* fields check the file's integrity and grant
// nothing; s3-tests' test_post_object_upload_checksum sends one its policy does not name.
bool Exempt(std::string_view field) {
  return field == "x-amz-signature" || field == "signature" || field == "awsaccesskeyid" ||
         field == "policy" || field == "file" || field.starts_with("x-ignore-") ||
         field.starts_with("x-amz-checksum-");
}

}  // namespace

Result<PostPolicy> ParsePostPolicy(std::string_view base64_policy) {
  static constexpr Base64DecodeOptions kLenient{.standard = true,
                                                .url_safe = false,
                                                .require_padding = false,
                                                .ignore_whitespace = true,
                                                .canonical = false};
  std::optional<std::string> text = Base64Decode(base64_policy, kLenient);
  if (!text) return Invalid("Invalid JSON.");
  boost::system::error_code ec;
  json::value doc = json::parse(*text, ec);
  if (ec || !doc.is_object()) return Invalid("Invalid JSON.");
  const json::object& o = doc.as_object();
  // The document's own keys are case-sensitive: "EXPIRATION" is not an expiration.
  const json::value* expiration = o.if_contains("expiration");
  if (expiration == nullptr) return Invalid("Policy missing expiration.");
  const json::value* conditions = o.if_contains("conditions");
  if (conditions == nullptr) return Invalid("Policy missing conditions.");
  PostPolicy policy;
  std::optional<std::int64_t> expires =
      expiration->is_string() ? ParseExpiration(expiration->as_string()) : std::nullopt;
  if (!expires) {
    return Invalid(
        Concat({"Invalid 'expiration' value: ",
                Quoted(expiration->is_string() ? std::string_view(expiration->as_string()) : "")}));
  }
  policy.expiration_ms = *expires;
  if (!conditions->is_array()) return Invalid("Invalid 'conditions' value: must be a list.");
  for (const json::value& c : conditions->as_array()) {
    CENOTE_ASSIGN_OR_RETURN(auto condition, ParseCondition(c));
    policy.conditions.push_back(std::move(condition));
  }
  return policy;
}

Status CheckPostPolicy(const PostPolicy& policy, const PostFormFields& fields, std::int64_t now_ms) {
  using Kind = PostPolicy::Condition::Kind;
  if (now_ms > policy.expiration_ms) return Denied("Policy expired.");
  for (const auto& c : policy.conditions) {
    if (c.kind == Kind::kContentLengthRange) continue;  // the file's size is known only once it is read
    auto it = fields.find(c.field);
    const std::string_view value = it == fields.end() ? std::string_view() : std::string_view(it->second);
    const bool ok = c.kind == Kind::kEq ? value == c.value : value.starts_with(c.value);
    if (!ok) return Denied(Concat({"Policy Condition failed: ", c.text}));
  }
  for (const auto& [name, value] : fields) {
    if (Exempt(name)) continue;
    bool named = false;
    for (const auto& c : policy.conditions)
      named = named || (c.kind != Kind::kContentLengthRange && c.field == name);
    if (!named) return Denied(Concat({"Extra input fields: ", name}));
  }
  return Status::Ok();
}

PostSizeRange PolicySizeRange(const PostPolicy& policy) {
  PostSizeRange range;
  for (const auto& c : policy.conditions) {
    if (c.kind != PostPolicy::Condition::Kind::kContentLengthRange) continue;
    range.min = std::max(range.min, c.min);
    range.max = std::min(range.max, c.max);
  }
  return range;
}

}  // namespace cenote::s3
