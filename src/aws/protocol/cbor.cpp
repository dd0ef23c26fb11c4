#include "aws/protocol/cbor.hpp"

#include <bit>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>

#include "aws/protocol/wire.hpp"
#include "common/encoding.hpp"

namespace cenote::aws::protocol::cbor {

using model::Member;
using model::Shape;
using model::ShapeType;

namespace {

constexpr int kMaxDepth = 64;
constexpr std::uint8_t kBreak = 0xff;

enum Major : std::uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimple = 7,
};

// ---- decoding -----------------------------------------------------------------------------------------

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  Result<Document> DecodeAll() {
    Result<Document> v = Item(0);
    if (!v) return v;
    if (pos_ != in_.size()) return Fail("unexpected bytes after the CBOR data item");
    return v;
  }

 private:
  static Error Fail(const std::string& why) {
    return MakeError("SerializationException", "Malformed CBOR: " + why);
  }

  bool AtBreak() const { return pos_ < in_.size() && static_cast<std::uint8_t>(in_[pos_]) == kBreak; }

  // Reads the argument of a head whose additional information is `info` (< 28).
  std::optional<std::uint64_t> Argument(std::uint8_t info) {
    if (info < 24) return info;
    std::size_t n = info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : info == 27 ? 8 : 0;
    if (n == 0 || in_.size() - pos_ < n) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(in_[pos_ + i]);
    pos_ += n;
    return v;
  }

  // Byte or text string of major type `major`; `info` 31 means indefinite length (definite chunks of the
  // same major type up to a break).
  Result<std::string> String(std::uint8_t major, std::uint8_t info) {
    std::string out;
    if (info == 31) {
      for (;;) {
        if (pos_ >= in_.size()) return Fail("truncated indefinite-length string");
        if (AtBreak()) {
          ++pos_;
          return out;
        }
        auto head = static_cast<std::uint8_t>(in_[pos_++]);
        if (head >> 5 != major || (head & 0x1f) == 31) return Fail("bad chunk in indefinite-length string");
        Result<std::string> chunk = String(major, head & 0x1f);
        if (!chunk) return chunk;
        out += *chunk;
      }
    }
    auto len = Argument(info);
    if (!len) return Fail("reserved or truncated length");
    if (*len > in_.size() - pos_) return Fail("string longer than the input");
    out.assign(in_.substr(pos_, static_cast<std::size_t>(*len)));
    pos_ += static_cast<std::size_t>(*len);
    return out;
  }

  static double HalfToDouble(std::uint16_t h) {
    int exp = (h >> 10) & 0x1f;
    int mant = h & 0x3ff;
    double v;
    if (exp == 0)
      v = std::ldexp(mant, -24);
    else if (exp != 31)
      v = std::ldexp(mant + 1024, exp - 25);
    else
      v = mant == 0 ? INFINITY : NAN;
    return (h & 0x8000) ? -v : v;
  }

  Result<Document> Item(int depth) {
    if (depth > kMaxDepth) return Fail("nesting too deep");
    if (pos_ >= in_.size()) return Fail("truncated input");
    auto head = static_cast<std::uint8_t>(in_[pos_++]);
    std::uint8_t major = head >> 5;
    std::uint8_t info = head & 0x1f;
    if (info >= 28 && !(info == 31 && major >= kBytes && major <= kMap)) {
      return Fail(head == kBreak ? "unexpected break" : "reserved additional information");
    }
    switch (major) {
      case kUnsigned: {
        auto v = Argument(info);
        if (!v) return Fail("truncated integer");
        if (*v <= static_cast<std::uint64_t>(INT64_MAX)) return Document(static_cast<std::int64_t>(*v));
        return Document(*v);
      }
      case kNegative: {
        auto v = Argument(info);
        if (!v) return Fail("truncated integer");
        if (*v > static_cast<std::uint64_t>(INT64_MAX)) return Fail("negative integer out of range");
        return Document(-1 - static_cast<std::int64_t>(*v));
      }
      case kBytes: {
        Result<std::string> s = String(major, info);
        if (!s) return std::move(s).error();
        return Document(boost::json::string(cenote::Base64Encode(*s)));
      }
      case kText: {
        Result<std::string> s = String(major, info);
        if (!s) return std::move(s).error();
        return Document(boost::json::string(*s));
      }
      case kArray: {
        boost::json::array out;
        if (info == 31) {
          for (;;) {
            if (pos_ >= in_.size()) return Fail("truncated array");
            if (AtBreak()) {
              ++pos_;
              return Document(std::move(out));
            }
            Result<Document> v = Item(depth + 1);
            if (!v) return v;
            out.push_back(std::move(*v));
          }
        }
        auto n = Argument(info);
        // Every item takes at least one byte: bounds the loop by the input size.
        if (!n || *n > in_.size() - pos_) return Fail("array longer than the input");
        for (std::uint64_t i = 0; i < *n; ++i) {
          Result<Document> v = Item(depth + 1);
          if (!v) return v;
          out.push_back(std::move(*v));
        }
        return Document(std::move(out));
      }
      case kMap: {
        boost::json::object out;
        bool indefinite = info == 31;
        std::uint64_t n = 0;
        if (!indefinite) {
          auto len = Argument(info);
          if (!len || *len > (in_.size() - pos_) / 2) return Fail("map longer than the input");
          n = *len;
        }
        for (std::uint64_t i = 0; indefinite || i < n; ++i) {
          if (pos_ >= in_.size()) return Fail("truncated map");
          if (indefinite && AtBreak()) {
            ++pos_;
            break;
          }
          auto key_head = static_cast<std::uint8_t>(in_[pos_]);
          if (key_head >> 5 != kText) return Fail("map keys must be text strings");
          ++pos_;
          Result<std::string> key = String(kText, key_head & 0x1f);
          if (!key) return std::move(key).error();
          Result<Document> v = Item(depth + 1);
          if (!v) return v;
          out[*key] = std::move(*v);
        }
        return Document(std::move(out));
      }
      case kTag: {
        auto tag = Argument(info);
        if (!tag) return Fail("truncated tag");
        Result<Document> v = Item(depth + 1);
        if (!v || *tag != 1) return v;
        if (v->is_int64() || v->is_uint64()) {
          double n = v->is_int64() ? static_cast<double>(v->as_int64()) : static_cast<double>(v->as_uint64());
          if (std::fabs(n) >= 1e11) n /= 1000.0;
          return Document(n);
        }
        if (!v->is_double()) return Fail("tag 1 must wrap a number");
        return v;
      }
      default: {  // kSimple
        if (info == 20) return Document(false);
        if (info == 21) return Document(true);
        if (info == 22 || info == 23) return Document(nullptr);
        if (info == 25 || info == 26 || info == 27) {
          auto bits = Argument(info);
          if (!bits) return Fail("truncated float");
          if (info == 25) return Document(HalfToDouble(static_cast<std::uint16_t>(*bits)));
          if (info == 26)
            return Document(static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(*bits))));
          return Document(std::bit_cast<double>(*bits));
        }
        return Fail("unsupported simple value");
      }
    }
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

// ---- encoding -----------------------------------------------------------------------------------------

void WriteHead(std::string& out, std::uint8_t major, std::uint64_t v) {
  auto m = static_cast<std::uint8_t>(major << 5);
  int n;
  if (v < 24) {
    out.push_back(static_cast<char>(m | v));
    return;
  } else if (v <= 0xff) {
    out.push_back(static_cast<char>(m | 24));
    n = 1;
  } else if (v <= 0xffff) {
    out.push_back(static_cast<char>(m | 25));
    n = 2;
  } else if (v <= 0xffffffffULL) {
    out.push_back(static_cast<char>(m | 26));
    n = 4;
  } else {
    out.push_back(static_cast<char>(m | 27));
    n = 8;
  }
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void WriteInt(std::string& out, std::int64_t v) {
  if (v >= 0)
    WriteHead(out, kUnsigned, static_cast<std::uint64_t>(v));
  else
    WriteHead(out, kNegative, static_cast<std::uint64_t>(-1 - v));
}

void WriteDouble(std::string& out, double v) {
  out.push_back(static_cast<char>(0xfb));
  auto bits = std::bit_cast<std::uint64_t>(v);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void WriteString(std::string& out, std::uint8_t major, std::string_view s) {
  WriteHead(out, major, s.size());
  out.append(s);
}

std::optional<std::int64_t> AsInt(const Document& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.as_uint64());
  if (v.is_double() && std::isfinite(v.as_double())) return static_cast<std::int64_t>(v.as_double());
  return std::nullopt;
}

}  // namespace

Result<Document> DecodeToJson(std::string_view bytes) {
  try {
    return Decoder(bytes).DecodeAll();
  } catch (const std::exception& e) {
    return MakeError("SerializationException", std::string("Malformed CBOR: ") + e.what());
  }
}

void EncodeJson(std::string& out, const Document& value) {
  switch (value.kind()) {
    case boost::json::kind::null:
      out.push_back(static_cast<char>(0xf6));
      break;
    case boost::json::kind::bool_:
      out.push_back(static_cast<char>(value.as_bool() ? 0xf5 : 0xf4));
      break;
    case boost::json::kind::int64:
      WriteInt(out, value.as_int64());
      break;
    case boost::json::kind::uint64:
      WriteHead(out, kUnsigned, value.as_uint64());
      break;
    case boost::json::kind::double_:
      WriteDouble(out, value.as_double());
      break;
    case boost::json::kind::string:
      WriteString(out, kText, value.as_string());
      break;
    case boost::json::kind::array:
      WriteHead(out, kArray, value.as_array().size());
      for (const auto& item : value.as_array()) EncodeJson(out, item);
      break;
    case boost::json::kind::object:
      WriteHead(out, kMap, value.as_object().size());
      for (const auto& [k, v] : value.as_object()) {
        WriteString(out, kText, k);
        EncodeJson(out, v);
      }
      break;
  }
}

void EncodeMember(std::string& out, const Member& member, const Document& value, bool skip_non_body_members) {
  const Shape& shape = *member.shape;
  if (shape.document) return EncodeJson(out, value);
  switch (shape.type) {
    case ShapeType::kStructure: {
      if (!value.is_object()) {
        WriteHead(out, kMap, 0);
        return;
      }
      const auto& obj = value.as_object();
      std::vector<std::pair<const Member*, const Document*>> present;
      for (const Member& m : shape.members) {
        if (skip_non_body_members && m.location != model::Location::kBody) continue;
        const auto* v = obj.if_contains(m.name);
        if (v && !v->is_null()) present.emplace_back(&m, v);
      }
      WriteHead(out, kMap, present.size());
      for (const auto& [m, v] : present) {
        WriteString(out, kText, m->location_name);
        EncodeMember(out, *m, *v, false);
      }
      return;
    }
    case ShapeType::kList:
      if (!value.is_array()) {
        WriteHead(out, kArray, 0);
        return;
      }
      WriteHead(out, kArray, value.as_array().size());
      for (const auto& item : value.as_array()) EncodeMember(out, shape.member, item, false);
      return;
    case ShapeType::kMap:
      if (!value.is_object()) {
        WriteHead(out, kMap, 0);
        return;
      }
      WriteHead(out, kMap, value.as_object().size());
      for (const auto& [k, v] : value.as_object()) {
        WriteString(out, kText, k);
        EncodeMember(out, shape.value, v, false);
      }
      return;
    case ShapeType::kTimestamp:
      if (auto ms = AsInt(value)) {
        WriteHead(out, kTag, 1);
        WriteInt(out, *ms);
        return;
      }
      return EncodeJson(out, value);
    case ShapeType::kBlob:
      if (value.is_string()) return WriteString(out, kBytes, value.as_string());
      return EncodeJson(out, value);
    default:
      return EncodeJson(out, value);
  }
}

}  // namespace cenote::aws::protocol::cbor
