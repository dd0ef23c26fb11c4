#include "aws/protocol/validate.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>

#include "aws/protocol/wire.hpp"
#include "common/java_regex.hpp"

namespace cenote::aws::protocol {

using model::Member;
using model::Shape;
using model::ShapeType;

namespace {

// AWS documents no limit on the values its validation messages echo (a 129-character Kinesis stream name
// comes back whole). Cenote caps each echoed value at this many characters and marks the cut, so that a
// 1 MB name costs a 1 MB request, not a 1 MB error message as well.
constexpr std::size_t kMaxEchoedChars = 512;
constexpr std::string_view kTruncatedMarker = "...(truncated)";
constexpr int kMaxDepth = 64;

// ---- paths ---------------------------------------------------------------------------------------------

// The path of the value being checked, as a chain of stack frames: built into a string only for the few
// values that fail.
struct PathNode {
  enum class Kind { kMember, kElement, kMapValue };
  const PathNode* parent = nullptr;
  Kind kind = Kind::kMember;
  std::string_view name;  // kMember: model member name; kMapValue: the key
  std::size_t index = 0;  // kElement: 1-based
};

void AppendPath(const PathNode* node, std::string& out) {
  if (node == nullptr) return;
  AppendPath(node->parent, out);
  if (!out.empty()) out += '.';
  switch (node->kind) {
    case PathNode::Kind::kMember:
      // AWS lower-cases the first letter only: "SAMLOptions" -> "sAMLOptions".
      if (!node->name.empty()) {
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(node->name.front())));
        out.append(node->name.substr(1));
      }
      break;
    case PathNode::Kind::kElement:
      out += std::to_string(node->index);
      out += ".member";
      break;
    case PathNode::Kind::kMapValue:
      out.append(node->name);
      out += ".member";
      break;
  }
}

std::string PathText(const PathNode* node) {
  std::string out;
  AppendPath(node, out);
  return out;
}

// ---- values as AWS prints them (Java's toString) -----------------------------------------------------

// Appends text up to kMaxEchoedChars code points (plus the opening quote); then only remembers that it
// was cut.
class BoundedText {
 public:
  void Append(std::string_view s) {
    for (std::size_t i = 0; i < s.size() && !cut_; ++i) {
      auto b = static_cast<unsigned char>(s[i]);
      if ((b & 0xC0) != 0x80) {  // a code point starts here
        if (chars_ == kMaxEchoedChars + 1) {
          cut_ = true;
          break;
        }
        ++chars_;
      }
      text_ += s[i];
    }
  }
  bool full() const { return cut_; }
  std::string Finish() && {
    if (cut_) text_.append(kTruncatedMarker);
    return std::move(text_);
  }

 private:
  std::string text_;
  std::size_t chars_ = 0;
  bool cut_ = false;
};

// Java's Double.toString: "1.0", "0.5", "1.0E10", "1.0E-5".
std::string JavaDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  double a = std::fabs(d);
  if (a >= 1e-3 && a < 1e7) {
    auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed);
    std::string s(buf, r.ptr);
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string s(buf, r.ptr);  // "1.5e+10"
  auto e = s.find('e');
  std::string mantissa = s.substr(0, e);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  std::string exponent = s.substr(e + 1);
  if (!exponent.empty() && exponent.front() == '+') exponent.erase(0, 1);
  return mantissa + "E" + exponent;
}

std::string IntegerText(const Document& v) {
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  if (v.is_double()) return std::to_string(static_cast<std::int64_t>(v.as_double()));
  return "";
}

// Java's Date.toString: "Thu Jan 01 00:00:00 UTC 1970".
std::string JavaDate(std::int64_t ms) {
  std::string rfc = wire::FormatRfc822(ms);  // "Thu, 01 Jan 1970 00:00:00 GMT"
  if (rfc.size() < 29) return rfc;
  return rfc.substr(0, 3) + " " + rfc.substr(8, 3) + " " + rfc.substr(5, 2) + " " + rfc.substr(17, 8) +
         " UTC " + rfc.substr(12, 4);
}

bool IsNumber(ShapeType t) {
  return t == ShapeType::kInteger || t == ShapeType::kLong || t == ShapeType::kFloat ||
         t == ShapeType::kDouble;
}

// Writes `v` (of shape `s`) as Java's toString writes the service's input object: strings bare, lists
// "[a, b]", maps "{k=v}", blobs as the ByteBuffer AWS echoes. Structures print as their members, "{Name=x}"
// (AWS prints its own generated classes, "com.amazonaws.firehose.v20150804.Record@a0693bc6", which
// Cenote cannot reproduce).
void WriteJava(const Shape& s, const Document& v, BoundedText& out, int depth) {
  if (out.full() || depth > kMaxDepth) return;
  if (v.is_null()) {
    out.Append("null");
    return;
  }
  switch (s.type) {
    case ShapeType::kString:
      if (v.is_string()) out.Append(v.as_string());
      return;
    case ShapeType::kBlob:
      if (v.is_string()) {
        std::string n = std::to_string(v.as_string().size());
        out.Append("java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]");
      }
      return;
    case ShapeType::kBoolean:
      out.Append(v.is_bool() && v.as_bool() ? "true" : "false");
      return;
    case ShapeType::kTimestamp:
      if (v.is_int64()) out.Append(JavaDate(v.as_int64()));
      return;
    case ShapeType::kFloat:
    case ShapeType::kDouble:
      if (v.is_number()) out.Append(JavaDouble(v.to_number<double>()));
      return;
    case ShapeType::kInteger:
    case ShapeType::kLong:
      out.Append(IntegerText(v));
      return;
    case ShapeType::kList: {
      if (!v.is_array()) return;
      out.Append("[");
      bool first = true;
      for (const auto& item : v.as_array()) {
        if (out.full()) return;
        if (!first) out.Append(", ");
        first = false;
        WriteJava(*s.member.shape, item, out, depth + 1);
      }
      out.Append("]");
      return;
    }
    case ShapeType::kMap:
    case ShapeType::kStructure: {
      if (!v.is_object()) return;
      out.Append("{");
      bool first = true;
      for (const auto& [key, item] : v.as_object()) {
        if (out.full()) return;
        const Shape* item_shape = s.value.shape;
        if (s.type == ShapeType::kStructure) {
          const Member* m = s.FindMember(key);
          if (m == nullptr) continue;
          item_shape = m->shape;
        }
        if (!first) out.Append(", ");
        first = false;
        out.Append(key);
        out.Append("=");
        WriteJava(*item_shape, item, out, depth + 1);
      }
      out.Append("}");
      return;
    }
  }
}

// AWS does not echo sensitive values ("Value at 'value' failed to satisfy constraint" for SSM's secure
// parameter); a list, map or structure holding one is not echoed either.
bool HoldsSensitive(const Shape& s, int depth = 0) {
  if (s.sensitive) return true;
  if (depth > 8) return false;
  switch (s.type) {
    case ShapeType::kList:
      return HoldsSensitive(*s.member.shape, depth + 1);
    case ShapeType::kMap:
      return HoldsSensitive(*s.key.shape, depth + 1) || HoldsSensitive(*s.value.shape, depth + 1);
    case ShapeType::kStructure:
      for (const Member& m : s.members) {
        if (HoldsSensitive(*m.shape, depth + 1)) return true;
      }
      return false;
    default:
      return false;
  }
}

std::string EchoedValue(const Shape& s, const Document& v) {
  if (v.is_null()) return "null";
  if (HoldsSensitive(s)) return "";
  BoundedText out;
  out.Append("'");
  WriteJava(s, v, out, 0);
  std::string text = std::move(out).Finish();
  text += '\'';
  return text;
}

// ---- constraints ---------------------------------------------------------------------------------------

// Length as Java's String.length(): UTF-16 code units (a supplementary character counts two).
std::size_t Utf16Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char b : s) {
    if ((b & 0xC0) != 0x80) n += b >= 0xF0 ? 2 : 1;
  }
  return n;
}

std::string BoundText(const Shape& s, double bound) {
  if (s.type == ShapeType::kFloat || s.type == ShapeType::kDouble) return JavaDouble(bound);
  return std::to_string(static_cast<std::int64_t>(bound));
}

std::string MinLength(const Shape& s) {
  return "Member must have length greater than or equal to " + BoundText(s, *s.min);
}
std::string MaxLength(const Shape& s) {
  return "Member must have length less than or equal to " + BoundText(s, *s.max);
}
std::string MinValue(const Shape& s) {
  return "Member must have value greater than or equal to " + BoundText(s, *s.min);
}
std::string MaxValue(const Shape& s) {
  return "Member must have value less than or equal to " + BoundText(s, *s.max);
}
std::string Pattern(const Shape& s) { return "Member must satisfy regular expression pattern: " + s.pattern; }
std::string Enum(const Shape& s) {
  std::string out = "Member must satisfy enum value set: [";
  for (std::size_t i = 0; i < s.enum_values.size(); ++i) {
    if (i > 0) out += ", ";
    out += s.enum_values[i];
  }
  return out + "]";
}

bool HasConstraints(const Shape& s) { return s.min || s.max || !s.pattern.empty() || !s.enum_values.empty(); }

// The constraints of a scalar shape, as AWS lists them inside "Member must satisfy constraint: [...]"
// (Kinesis and CodePipeline answers: the maximum first, then the minimum).
std::string AllConstraints(const Shape& s) {
  std::vector<std::string> parts;
  bool length = s.type == ShapeType::kString || s.type == ShapeType::kBlob;
  if (s.max) parts.push_back(length ? MaxLength(s) : MaxValue(s));
  if (s.min) parts.push_back(length ? MinLength(s) : MinValue(s));
  if (!s.pattern.empty() && JavaRegex::Cached(s.pattern) != nullptr) parts.push_back(Pattern(s));
  if (!s.enum_values.empty()) parts.push_back(Enum(s));
  std::string out = "[";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ", ";
    out += parts[i];
  }
  return out + "]";
}

// Checks a scalar against its shape's constraints. Returns true when it satisfies them all; when
// `failures` is given, appends the description of each one it fails, in AWS's order.
bool CheckScalar(const Shape& s, const Document& v, std::vector<std::string>* failures) {
  bool ok = true;
  auto fail = [&](std::string (*describe)(const Shape&)) {
    ok = false;
    if (failures != nullptr) failures->push_back(describe(s));
  };
  if (s.type == ShapeType::kString && v.is_string()) {
    std::string_view text = v.as_string();
    if (!s.pattern.empty()) {
      // A pattern this matcher cannot compile never rejects input.
      const JavaRegex* re = JavaRegex::Cached(s.pattern);
      if (re != nullptr && !re->Matches(text)) fail(Pattern);
    }
    if (!ok && failures == nullptr) return false;
    if (s.min || s.max) {
      double n = static_cast<double>(Utf16Length(text));
      if (s.min && n < *s.min) fail(MinLength);
      if (s.max && n > *s.max) fail(MaxLength);
    }
    if (!s.enum_values.empty() &&
        std::find(s.enum_values.begin(), s.enum_values.end(), text) == s.enum_values.end()) {
      fail(Enum);
    }
  } else if (s.type == ShapeType::kBlob && v.is_string()) {
    double n = static_cast<double>(v.as_string().size());
    if (s.min && n < *s.min) fail(MinLength);
    if (s.max && n > *s.max) fail(MaxLength);
  } else if (IsNumber(s.type) && v.is_number()) {
    double n = v.to_number<double>();
    if (s.min && n < *s.min) fail(MinValue);
    if (s.max && n > *s.max) fail(MaxValue);
  }
  return ok;
}

class Validator {
 public:
  std::vector<Violation> Take() && { return std::move(violations_); }

  void CheckStructure(const Shape& s, const Document& v, const PathNode* path, int depth) {
    if (s.document || !v.is_object() || depth > kMaxDepth) return;
    const auto& obj = v.as_object();
    for (const Member& m : s.members) {
      if (Full()) return;
      PathNode node{path, PathNode::Kind::kMember, m.name, 0};
      const Document* value = obj.if_contains(m.name);
      if (value == nullptr || value->is_null()) {
        // A streaming payload (and a status code) is not part of the document.
        bool outside = m.streaming || m.shape->streaming || m.location == model::Location::kStatusCode;
        if (m.required && !outside) Add(&node, "null", "Member must not be null");
        continue;
      }
      Check(*m.shape, *value, &node, depth + 1);
    }
  }

 private:
  bool Full() const { return violations_.size() >= kMaxViolations; }

  void Add(const PathNode* path, std::string value, std::string constraint) {
    if (Full()) return;
    violations_.push_back(Violation{PathText(path), std::move(value), std::move(constraint)});
  }

  void Check(const Shape& s, const Document& v, const PathNode* path, int depth) {
    if (Full() || depth > kMaxDepth) return;
    switch (s.type) {
      case ShapeType::kStructure:
        CheckStructure(s, v, path, depth);
        return;
      case ShapeType::kList:
        CheckList(s, v, path, depth);
        return;
      case ShapeType::kMap:
        CheckMap(s, v, path, depth);
        return;
      default: {
        if (!HasConstraints(s)) return;
        std::vector<std::string> failures;
        if (CheckScalar(s, v, &failures)) return;
        std::string value = EchoedValue(s, v);
        for (auto& f : failures) Add(path, value, std::move(f));
        return;
      }
    }
  }

  void CheckSize(const Shape& s, std::size_t size, const Document& v, const PathNode* path) {
    if (s.min && static_cast<double>(size) < *s.min) Add(path, EchoedValue(s, v), MinLength(s));
    if (s.max && static_cast<double>(size) > *s.max) Add(path, EchoedValue(s, v), MaxLength(s));
  }

  void CheckList(const Shape& s, const Document& v, const PathNode* path, int depth) {
    if (!v.is_array()) return;
    const auto& items = v.as_array();
    CheckSize(s, items.size(), v, path);
    const Shape& element = *s.member.shape;
    if (element.IsScalar()) {
      // AWS reports scalar elements at the list: Value '[a, b]' at 'names' failed to satisfy constraint:
      // Member must satisfy constraint: [Member must have length less than or equal to 255, ...].
      if (!HasConstraints(element)) return;
      for (const auto& item : items) {
        if (!item.is_null() && !CheckScalar(element, item, nullptr)) {
          Add(path, EchoedValue(s, v), "Member must satisfy constraint: " + AllConstraints(element));
          return;
        }
      }
      return;
    }
    std::size_t index = 0;
    for (const auto& item : items) {
      if (Full()) return;
      PathNode node{path, PathNode::Kind::kElement, {}, ++index};
      Check(element, item, &node, depth + 1);
    }
  }

  void CheckMap(const Shape& s, const Document& v, const PathNode* path, int depth) {
    if (!v.is_object()) return;
    const auto& entries = v.as_object();
    CheckSize(s, entries.size(), v, path);
    const Shape& key = *s.key.shape;
    if (HasConstraints(key)) {
      for (const auto& entry : entries) {
        if (!CheckScalar(key, boost::json::string(entry.key()), nullptr)) {
          Add(path, EchoedValue(s, v), "Map keys must satisfy constraint: " + AllConstraints(key));
          break;
        }
      }
    }
    const Shape& value = *s.value.shape;
    if (value.IsScalar()) {
      if (!HasConstraints(value)) return;
      for (const auto& entry : entries) {
        if (!entry.value().is_null() && !CheckScalar(value, entry.value(), nullptr)) {
          Add(path, EchoedValue(s, v), "Map value must satisfy constraint: " + AllConstraints(value));
          return;
        }
      }
      return;
    }
    for (const auto& entry : entries) {
      if (Full()) return;
      PathNode node{path, PathNode::Kind::kMapValue, entry.key(), 0};
      Check(value, entry.value(), &node, depth + 1);
    }
  }

  std::vector<Violation> violations_;
};

}  // namespace

std::vector<Violation> FindViolations(const Shape& shape, const Document& input) {
  Validator validator;
  validator.CheckStructure(shape, input, nullptr, 0);
  return std::move(validator).Take();
}

Error MakeValidationError(const model::ServiceModel& service, const std::vector<Violation>& violations,
                          const http::Headers* headers) {
  std::string message =
      std::to_string(violations.size()) +
      (violations.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (std::size_t i = 0; i < violations.size(); ++i) {
    const Violation& v = violations[i];
    if (i > 0) message += "; ";
    message += "Value ";
    if (!v.value.empty()) message += v.value + " ";
    message += "at '" + v.path + "' failed to satisfy constraint: " + v.constraint;
  }
  bool query = wire::RequestProtocol(service, headers) == wire::WireProtocol::kQuery;
  return MakeError(query ? "ValidationError" : service.validation_error_code(), std::move(message), 400);
}

Status ValidateRequest(const model::ServiceModel& service, const ParsedRequest& request,
                       const http::Headers& headers) {
  if (service.protocol() == "rest-xml" || request.operation == nullptr ||
      request.operation->input == nullptr) {
    return Status::Ok();
  }
  if (!service.required_member_error_code().empty() &&
      wire::RequestProtocol(service, &headers) == wire::WireProtocol::kQuery) {
    // SQS's query answer: the first missing parameter alone, "MissingParameter: The request must contain
    // the parameter MessageGroupId.".
    std::string missing = wire::FindMissingRequired(*request.operation->input, request.input);
    if (!missing.empty()) {
      return MakeError(service.required_member_error_code(),
                       "The request must contain the parameter " + missing + ".");
    }
  }
  // A constraint overlay that fails to load leaves the shapes unconstrained (logged once by the model);
  // required members are still checked.
  (void)service.LoadConstraints();
  std::vector<Violation> violations = FindViolations(*request.operation->input, request.input);
  if (violations.empty()) return Status::Ok();
  return MakeValidationError(service, violations, &headers);
}

}  // namespace cenote::aws::protocol
