#include "services/athena/serde_files.hpp"

#include <bzlib.h>
#include <fcntl.h>
#include <snappy-c.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/athena/iceberg/avro.hpp"
#include "services/athena/serde_internal.hpp"

namespace cenote::athena {

namespace serde_internal {

Error BadData(const std::string& name, const std::string& why) {
  return MakeError("HIVE_BAD_DATA", "HIVE_BAD_DATA: Error reading file " + name + ": " + why);
}

std::uint32_t BigEndian32(std::string_view s, std::size_t pos) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[pos])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[pos + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[pos + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[pos + 3]));
}

// ---- codecs

// zlib/gzip (with_header) or raw deflate streams, possibly several concatenated.
Status Inflate(std::string_view in, bool with_header, const std::string& name,
               const std::function<Status(std::string&)>& sink) {
  std::size_t pos = 0;
  std::string out(1 << 20, '\0');
  while (pos < in.size()) {
    z_stream zs{};
    if (inflateInit2(&zs, with_header ? 15 + 32 : -15) != Z_OK)
      return MakeError("HIVE_UNKNOWN_ERROR", "HIVE_UNKNOWN_ERROR: inflate init failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
    zs.avail_in = static_cast<uInt>(std::min<std::size_t>(in.size() - pos, UINT32_MAX));
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&zs);
        return BadData(name, "corrupt deflate data");
      }
      std::string chunk = out.substr(0, out.size() - zs.avail_out);
      if (Status s = sink(chunk); !s) {
        inflateEnd(&zs);
        return s;
      }
      if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
        inflateEnd(&zs);
        return BadData(name, "truncated deflate data");
      }
    }
    pos += zs.total_in;
    inflateEnd(&zs);
    if (!with_header) break;
    while (pos < in.size() && in[pos] == '\0') ++pos;  // padding between gzip members
  }
  return Status::Ok();
}

Status Bunzip2(std::string_view in, const std::string& name,
               const std::function<Status(std::string&)>& sink) {
  std::size_t pos = 0;
  std::string out(1 << 20, '\0');
  // pbzip2 and Hadoop's splittable writers produce several concatenated streams.
  while (pos < in.size()) {
    bz_stream bz{};
    if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK)
      return MakeError("HIVE_UNKNOWN_ERROR", "HIVE_UNKNOWN_ERROR: bzip2 init failed");
    bz.next_in = const_cast<char*>(in.data() + pos);
    std::size_t avail = std::min<std::size_t>(in.size() - pos, UINT32_MAX);
    bz.avail_in = static_cast<unsigned>(avail);
    int rc = BZ_OK;
    while (rc != BZ_STREAM_END) {
      bz.next_out = out.data();
      bz.avail_out = static_cast<unsigned>(out.size());
      rc = BZ2_bzDecompress(&bz);
      if (rc != BZ_OK && rc != BZ_STREAM_END) {
        BZ2_bzDecompressEnd(&bz);
        return BadData(name, "corrupt bzip2 data");
      }
      std::string chunk = out.substr(0, out.size() - bz.avail_out);
      if (Status s = sink(chunk); !s) {
        BZ2_bzDecompressEnd(&bz);
        return s;
      }
      if (rc == BZ_OK && bz.avail_in == 0 && bz.avail_out != 0) {
        BZ2_bzDecompressEnd(&bz);
        return BadData(name, "truncated bzip2 data");
      }
    }
    pos += avail - bz.avail_in;
    BZ2_bzDecompressEnd(&bz);
  }
  return Status::Ok();
}

Result<std::string> SnappyBlock(std::string_view in, const std::string& name) {
  std::size_t n = 0;
  if (snappy_uncompressed_length(in.data(), in.size(), &n) != SNAPPY_OK || n > kMaxBlock)
    return BadData(name, "corrupt snappy block");
  std::string out(n, '\0');
  if (snappy_uncompress(in.data(), in.size(), out.data(), &n) != SNAPPY_OK)
    return BadData(name, "corrupt snappy block");
  out.resize(n);
  return out;
}

// An LZ4 block (the raw block format, as Hadoop's Lz4Codec writes it) that decodes to at most `max_size`.
Result<std::string> Lz4Block(std::string_view in, std::size_t max_size, const std::string& name) {
  std::string out;
  std::size_t i = 0;
  auto length = [&](std::size_t base) -> std::optional<std::size_t> {
    std::size_t n = base;
    if (base != 15) return n;
    while (true) {
      if (i >= in.size()) return std::nullopt;
      unsigned char b = static_cast<unsigned char>(in[i++]);
      n += b;
      if (b != 255) return n;
    }
  };
  while (i < in.size()) {
    unsigned char token = static_cast<unsigned char>(in[i++]);
    auto literals = length(token >> 4);
    if (!literals || *literals > in.size() - i || out.size() + *literals > max_size)
      return BadData(name, "corrupt LZ4 block");
    out.append(in.data() + i, *literals);
    i += *literals;
    if (i == in.size()) break;  // the last sequence has literals only
    if (i + 2 > in.size()) return BadData(name, "corrupt LZ4 block");
    std::size_t offset = static_cast<unsigned char>(in[i]) |
                         (static_cast<std::size_t>(static_cast<unsigned char>(in[i + 1])) << 8);
    i += 2;
    auto match = length(token & 15);
    if (!match || offset == 0 || offset > out.size()) return BadData(name, "corrupt LZ4 block");
    std::size_t len = *match + 4;
    if (out.size() + len > max_size) return BadData(name, "corrupt LZ4 block");
    std::size_t from = out.size() - offset;
    out.reserve(out.size() + len);
    for (std::size_t k = 0; k < len; ++k) out.push_back(out[from + k]);  // may overlap itself
  }
  return out;
}

void AppendJsonString(std::string_view s, std::string& out) {
  out += '"';
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

// Howard Hinnant's civil_from_days.
void AppendDate(std::int64_t days, std::string& out) {
  days += 719468;
  std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  std::int64_t doe = days - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  out += buf;
}

// `units` per second: 1000 (millis) or 1000000 (micros).
void AppendTimestamp(std::int64_t value, std::int64_t units, std::string& out) {
  std::int64_t seconds = value / units;
  std::int64_t frac = value % units;
  if (frac < 0) {
    frac += units;
    --seconds;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t sod = seconds % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  out += '"';
  AppendDate(days, out);
  char buf[96];
  std::snprintf(buf, sizeof(buf), " %02lld:%02lld:%02lld.%0*lld\"", static_cast<long long>(sod / 3600),
                static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60),
                units == 1000 ? 3 : 6, static_cast<long long>(frac));
  out += buf;
}

Status AppendDouble(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "\"NaN\"";
  } else if (std::isinf(d)) {
    out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else {
    char buf[40];
    auto res = std::to_chars(buf, buf + sizeof(buf), d);
    out.append(buf, res.ptr);
  }
  return Status::Ok();
}

}  // namespace serde_internal

namespace {

using namespace serde_internal;

// Hadoop's BlockCompressorStream framing (SnappyCodec, Lz4Codec): blocks of [decoded length, 4 bytes
// big-endian] then chunks of [compressed length][compressed bytes] until the block's bytes are decoded.
Status HadoopBlocks(std::string_view in, bool lz4, const std::string& name,
                    const std::function<Status(std::string&)>& sink) {
  std::size_t pos = 0;
  while (pos < in.size()) {
    if (pos + 4 > in.size()) return BadData(name, "truncated block header");
    std::size_t block = BigEndian32(in, pos);
    pos += 4;
    std::size_t done = 0;
    while (done < block) {
      if (pos + 4 > in.size()) return BadData(name, "truncated chunk header");
      std::size_t clen = BigEndian32(in, pos);
      pos += 4;
      if (clen > in.size() - pos) return BadData(name, "truncated chunk");
      std::string_view chunk = in.substr(pos, clen);
      pos += clen;
      std::string decoded;
      if (lz4) {
        // The chunk's decoded size is not stored; it is at most what the block has left.
        CENOTE_ASSIGN_OR_RETURN(decoded, Lz4Block(chunk, block - done, name));
      } else {
        CENOTE_ASSIGN_OR_RETURN(decoded, SnappyBlock(chunk, name));
      }
      if (decoded.empty()) return BadData(name, "empty chunk");
      done += decoded.size();
      if (done > block) return BadData(name, "chunk longer than its block");
      CENOTE_RETURN_IF_ERROR(sink(decoded));  // consumes `decoded`
    }
  }
  return Status::Ok();
}

// The snappy framing format (stream identifier "\xff\x06\x00\x00sNaPpY"), as python-snappy and Kafka write.
Status SnappyFrames(std::string_view in, const std::string& name,
                    const std::function<Status(std::string&)>& sink) {
  std::size_t pos = 0;
  while (pos < in.size()) {
    if (pos + 4 > in.size()) return BadData(name, "truncated snappy frame");
    unsigned char type = static_cast<unsigned char>(in[pos]);
    std::size_t len = static_cast<unsigned char>(in[pos + 1]) |
                      (static_cast<std::size_t>(static_cast<unsigned char>(in[pos + 2])) << 8) |
                      (static_cast<std::size_t>(static_cast<unsigned char>(in[pos + 3])) << 16);
    pos += 4;
    if (len > in.size() - pos) return BadData(name, "truncated snappy frame");
    std::string_view body = in.substr(pos, len);
    pos += len;
    if (type == 0x00 || type == 0x01) {
      if (body.size() < 4) return BadData(name, "snappy frame without a checksum");
      std::string decoded;
      if (type == 0x00) {
        CENOTE_ASSIGN_OR_RETURN(decoded, SnappyBlock(body.substr(4), name));
      } else {
        decoded.assign(body.substr(4));
      }
      CENOTE_RETURN_IF_ERROR(sink(decoded));
    } else if (type <= 0x7f) {
      return BadData(name, "unknown snappy frame type");
    }  // 0x80-0xfe: padding and skippable frames; 0xff: the stream identifier
  }
  return Status::Ok();
}

Status Decompress(std::string_view in, std::string_view codec, const std::string& name,
                  const std::function<Status(std::string&)>& sink) {
  if (codec == "bzip2") return Bunzip2(in, name, sink);
  if (codec == "deflate") return Inflate(in, true, name, sink);
  if (codec == "lz4") return HadoopBlocks(in, true, name, sink);
  if (codec == "snappy") {
    static constexpr std::string_view kFramed("\xff\x06\x00\x00sNaPpY", 10);
    if (in.substr(0, kFramed.size()) == kFramed) return SnappyFrames(in, name, sink);
    return HadoopBlocks(in, false, name, sink);
  }
  return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: compression codec " + std::string(codec));
}

// ---- Avro -> JSON lines

// A big-endian two's-complement unscaled value with `scale` digits after the point, as decimal text.
std::string DecimalText(std::string_view bytes, int scale) {
  if (bytes.empty()) return "0";
  bool negative = (static_cast<unsigned char>(bytes[0]) & 0x80) != 0;
  std::vector<unsigned char> mag(bytes.begin(), bytes.end());
  if (negative) {  // two's complement -> magnitude
    for (auto& b : mag) b = static_cast<unsigned char>(~b);
    for (std::size_t i = mag.size(); i-- > 0;) {
      if (++mag[i] != 0) break;
    }
  }
  // Repeated division by 10 of the big-endian magnitude.
  std::string digits;
  bool zero = false;
  while (!zero) {
    unsigned rem = 0;
    zero = true;
    for (auto& b : mag) {
      unsigned cur = (rem << 8) | b;
      b = static_cast<unsigned char>(cur / 10);
      rem = cur % 10;
      if (b != 0) zero = false;
    }
    digits += static_cast<char>('0' + rem);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string text(digits.rbegin(), digits.rend());
  if (scale > 0) {
    if (text.size() <= static_cast<std::size_t>(scale))
      text.insert(0, static_cast<std::size_t>(scale) + 1 - text.size(), '0');
    text.insert(text.size() - static_cast<std::size_t>(scale), 1, '.');
  }
  return negative && text.find_first_not_of("0.") != std::string::npos ? "-" + text : text;
}

std::string LogicalType(const avro::Schema& s) {
  if (auto* l = s.attributes.if_contains("logicalType"); l != nullptr && l->is_string())
    return std::string(l->as_string());
  return "";
}

int IntAttribute(const avro::Schema& s, std::string_view key) {
  if (auto* v = s.attributes.if_contains(key); v != nullptr && v->is_int64())
    return static_cast<int>(v->as_int64());
  return 0;
}

Status AppendJson(const avro::Schema& s, const avro::Value& v, std::string& out, int depth);

Status AppendJson(const avro::Schema& s, const avro::Value& v, std::string& out, int depth) {
  if (depth > 64) return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Avro value nested too deeply");
  std::string logical = LogicalType(s);
  switch (s.type) {
    case avro::Type::kNull:
      out += "null";
      return Status::Ok();
    case avro::Type::kBoolean:
      out += v.boolean ? "true" : "false";
      return Status::Ok();
    case avro::Type::kInt:
    case avro::Type::kLong:
      if (logical == "date") {
        out += '"';
        AppendDate(v.integer, out);
        out += '"';
      } else if (logical == "timestamp-millis" || logical == "local-timestamp-millis") {
        AppendTimestamp(v.integer, 1000, out);
      } else if (logical == "timestamp-micros" || logical == "local-timestamp-micros") {
        AppendTimestamp(v.integer, 1000000, out);
      } else {
        out += std::to_string(v.integer);
      }
      return Status::Ok();
    case avro::Type::kFloat:
      // The float's own shortest digits, not those of the double it widens to.
      if (std::isfinite(v.real)) {
        char buf[40];
        auto res = std::to_chars(buf, buf + sizeof(buf), static_cast<float>(v.real));
        out.append(buf, res.ptr);
        return Status::Ok();
      }
      return AppendDouble(v.real, out);
    case avro::Type::kDouble:
      return AppendDouble(v.real, out);
    case avro::Type::kString:
    case avro::Type::kEnum:
      AppendJsonString(v.bytes, out);
      return Status::Ok();
    case avro::Type::kBytes:
    case avro::Type::kFixed:
      if (logical == "decimal") {
        AppendJsonString(DecimalText(v.bytes, IntAttribute(s, "scale")), out);
      } else {
        AppendJsonString(Base64Encode(v.bytes), out);
      }
      return Status::Ok();
    case avro::Type::kRecord: {
      out += '{';
      for (std::size_t i = 0; i < s.fields.size() && i < v.fields.size(); ++i) {
        if (i > 0) out += ',';
        AppendJsonString(AsciiLower(s.fields[i].name), out);
        out += ':';
        CENOTE_RETURN_IF_ERROR(AppendJson(*s.fields[i].schema, v.fields[i].second, out, depth + 1));
      }
      out += '}';
      return Status::Ok();
    }
    case avro::Type::kArray: {
      out += '[';
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) out += ',';
        CENOTE_RETURN_IF_ERROR(AppendJson(*s.items, v.items[i], out, depth + 1));
      }
      out += ']';
      return Status::Ok();
    }
    case avro::Type::kMap: {
      out += '{';
      for (std::size_t i = 0; i < v.fields.size(); ++i) {
        if (i > 0) out += ',';
        AppendJsonString(v.fields[i].first, out);
        out += ':';
        CENOTE_RETURN_IF_ERROR(AppendJson(*s.items, v.fields[i].second, out, depth + 1));
      }
      out += '}';
      return Status::Ok();
    }
    case avro::Type::kUnion: {
      if (v.branch < 0 || static_cast<std::size_t>(v.branch) >= s.branches.size())
        return MakeError("HIVE_BAD_DATA", "HIVE_BAD_DATA: Avro union value without a branch");
      return AppendJson(*s.branches[static_cast<std::size_t>(v.branch)], v, out, depth + 1);
    }
  }
  return Status::Ok();
}

// Athena reads unions only as a nullable value: [null, T] (in either order). Checked once per file.
Status CheckUnions(const avro::Schema& s, const std::string& where, int depth) {
  if (depth > 64) return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Avro schema nested too deeply");
  switch (s.type) {
    case avro::Type::kUnion: {
      int non_null = 0;
      for (const auto& b : s.branches) {
        if (b->type != avro::Type::kNull) {
          ++non_null;
          CENOTE_RETURN_IF_ERROR(CheckUnions(*b, where, depth + 1));
        }
      }
      if (non_null > 1)
        return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Avro union of several non-null types (field '" +
                                              where + "') is not supported");
      return Status::Ok();
    }
    case avro::Type::kRecord:
      for (const auto& f : s.fields) CENOTE_RETURN_IF_ERROR(CheckUnions(*f.schema, f.name, depth + 1));
      return Status::Ok();
    case avro::Type::kArray:
    case avro::Type::kMap:
      return CheckUnions(*s.items, where, depth + 1);
    default:
      return Status::Ok();
  }
}

// Reads a zig-zag long from the file header, as BadData.
Result<std::int64_t> HeaderLong(std::string_view bytes, std::size_t& pos, const std::string& name) {
  auto v = avro::ReadLong(bytes, pos);
  if (!v) return BadData(name, "not a valid Avro file (" + v.error().message + ")");
  return *v;
}

Result<std::string_view> HeaderBytes(std::string_view bytes, std::size_t& pos, const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto n, HeaderLong(bytes, pos, name));
  if (n < 0 || static_cast<std::uint64_t>(n) > bytes.size() - pos)
    return BadData(name, "not a valid Avro file (truncated header)");
  std::string_view out = bytes.substr(pos, static_cast<std::size_t>(n));
  pos += static_cast<std::size_t>(n);
  return out;
}

}  // namespace

std::string TextCodecOfKey(std::string_view key) {
  std::string k = AsciiLower(key);
  auto ends = [&](std::string_view suffix) {
    return k.size() >= suffix.size() && k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends(".gz") || ends(".gzip")) return "gzip";
  if (ends(".zst") || ends(".zstd")) return "zstd";
  if (ends(".bz2") || ends(".bzip2")) return "bzip2";
  if (ends(".snappy")) return "snappy";
  if (ends(".lz4")) return "lz4";
  if (ends(".deflate")) return "deflate";
  if (ends(".lzo") || ends(".lzo_deflate")) return "lzo";
  return "none";
}

bool NeedsDecompression(std::string_view codec) {
  return codec == "bzip2" || codec == "snappy" || codec == "lz4" || codec == "deflate";
}

Status DecompressText(const std::string& in_path, std::string_view codec, const std::string& out_path,
                      const std::string& name) {
  MappedFile in;
  CENOTE_RETURN_IF_ERROR(in.Open(in_path));
  Output out;
  CENOTE_RETURN_IF_ERROR(out.Open(out_path));
  CENOTE_RETURN_IF_ERROR(
      Decompress(in.bytes(), codec, name, [&](std::string& chunk) { return out.Write(chunk); }));
  return out.Close();
}

namespace {

// `"name":default` pairs (with a leading comma) for the reader schema's top-level fields that `writer`
// lacks and whose defaults are plain JSON values of plain types.
std::string ReaderDefaults(const avro::Schema& writer, const std::string& reader_schema) {
  if (reader_schema.empty()) return "";
  auto reader = avro::ParseSchema(reader_schema);
  if (!reader || (*reader)->type != avro::Type::kRecord) return "";
  std::string out;
  for (const auto& f : (*reader)->fields) {
    bool present = false;
    for (const auto& w : writer.fields) present = present || EqualsIgnoreAsciiCase(w.name, f.name);
    const boost::json::value* def = f.attributes.if_contains("default");
    if (present || def == nullptr || def->is_null()) continue;
    const avro::Schema* t = f.schema.get();
    if (t->type == avro::Type::kUnion && !t->branches.empty())
      t = t->branches[0].get();  // defaults match branch 0
    if (!LogicalType(*t).empty()) continue;
    bool plain = (t->type == avro::Type::kBoolean && def->is_bool()) ||
                 ((t->type == avro::Type::kInt || t->type == avro::Type::kLong) && def->is_int64()) ||
                 ((t->type == avro::Type::kFloat || t->type == avro::Type::kDouble) && def->is_number()) ||
                 (t->type == avro::Type::kString && def->is_string());
    if (!plain) continue;
    out += ',';
    AppendJsonString(AsciiLower(f.name), out);
    out += ':';
    out += boost::json::serialize(*def);
  }
  return out;
}

}  // namespace

Status ConvertAvroToJsonLines(const std::string& in_path, const std::string& out_path,
                              const std::string& name, const std::string& reader_schema) {
  MappedFile file;
  CENOTE_RETURN_IF_ERROR(file.Open(in_path));
  std::string_view bytes = file.bytes();
  if (bytes.size() < 4 || bytes.substr(0, 4) != std::string_view("Obj\x01", 4))
    return BadData(name, "not an Avro object container file");
  std::size_t pos = 4;
  std::map<std::string, std::string, std::less<>> metadata;
  while (true) {
    CENOTE_ASSIGN_OR_RETURN(auto n, HeaderLong(bytes, pos, name));
    if (n == 0) break;
    if (n < 0) {
      n = -n;
      CENOTE_RETURN_IF_ERROR(HeaderLong(bytes, pos, name));  // the block's size in bytes
    }
    if (n > 100000) return BadData(name, "not a valid Avro file (metadata too large)");
    for (std::int64_t i = 0; i < n; ++i) {
      CENOTE_ASSIGN_OR_RETURN(auto k, HeaderBytes(bytes, pos, name));
      CENOTE_ASSIGN_OR_RETURN(auto v, HeaderBytes(bytes, pos, name));
      metadata[std::string(k)] = std::string(v);
    }
  }
  if (bytes.size() - pos < 16) return BadData(name, "not a valid Avro file (no sync marker)");
  std::string_view sync = bytes.substr(pos, 16);
  pos += 16;
  auto schema_text = metadata.find("avro.schema");
  if (schema_text == metadata.end()) return BadData(name, "Avro file without avro.schema");
  auto schema = avro::ParseSchema(schema_text->second);
  if (!schema) return BadData(name, schema.error().message);
  CENOTE_RETURN_IF_ERROR(CheckUnions(**schema, "", 0));
  if ((*schema)->type != avro::Type::kRecord) return BadData(name, "the Avro file's schema is not a record");
  std::string codec = "null";
  if (auto c = metadata.find("avro.codec"); c != metadata.end() && !c->second.empty()) codec = c->second;
  if (codec != "null" && codec != "deflate" && codec != "snappy" && codec != "bzip2" && codec != "zstandard")
    return MakeError("NOT_SUPPORTED",
                     "NOT_SUPPORTED: Avro codec '" + codec + "' is not supported (file " + name + ")");

  const std::string defaults = ReaderDefaults(**schema, reader_schema);
  Output out;
  CENOTE_RETURN_IF_ERROR(out.Open(out_path));
  std::string buf;
  std::string decoded;
  while (pos < bytes.size()) {
    CENOTE_ASSIGN_OR_RETURN(auto count, HeaderLong(bytes, pos, name));
    CENOTE_ASSIGN_OR_RETURN(auto size, HeaderLong(bytes, pos, name));
    if (count < 0 || size < 0 || static_cast<std::uint64_t>(size) > bytes.size() - pos)
      return BadData(name, "truncated Avro block");
    std::string_view raw = bytes.substr(pos, static_cast<std::size_t>(size));
    pos += static_cast<std::size_t>(size);
    std::string_view block = raw;
    if (codec != "null") {
      decoded.clear();
      auto collect = [&](std::string& chunk) -> Status {
        if (decoded.size() + chunk.size() > kMaxBlock) return BadData(name, "Avro block too large");
        decoded += chunk;
        return Status::Ok();
      };
      if (codec == "deflate") {
        CENOTE_RETURN_IF_ERROR(Inflate(raw, false, name, collect));
      } else if (codec == "bzip2") {
        CENOTE_RETURN_IF_ERROR(Bunzip2(raw, name, collect));
      } else if (codec == "snappy") {
        // The compressed block, then the CRC-32 of the decoded bytes (big-endian).
        if (raw.size() < 4) return BadData(name, "truncated snappy block");
        CENOTE_ASSIGN_OR_RETURN(decoded, SnappyBlock(raw.substr(0, raw.size() - 4), name));
        std::uint32_t crc = static_cast<std::uint32_t>(
            crc32(0, reinterpret_cast<const Bytef*>(decoded.data()), static_cast<uInt>(decoded.size())));
        if (crc != BigEndian32(raw, raw.size() - 4)) return BadData(name, "snappy block checksum mismatch");
      } else {  // zstandard
        unsigned long long n = ZSTD_getFrameContentSize(raw.data(), raw.size());
        if (n != ZSTD_CONTENTSIZE_UNKNOWN && n != ZSTD_CONTENTSIZE_ERROR && n <= kMaxBlock) {
          decoded.resize(static_cast<std::size_t>(n));
          std::size_t got = ZSTD_decompress(decoded.data(), decoded.size(), raw.data(), raw.size());
          if (ZSTD_isError(got)) return BadData(name, "corrupt zstandard block");
          decoded.resize(got);
        } else {
          std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> ds(ZSTD_createDStream(),
                                                                        ZSTD_freeDStream);
          ZSTD_initDStream(ds.get());
          ZSTD_inBuffer zin{raw.data(), raw.size(), 0};
          std::string chunk(1 << 20, '\0');
          while (zin.pos < zin.size) {
            ZSTD_outBuffer zout{chunk.data(), chunk.size(), 0};
            std::size_t rc = ZSTD_decompressStream(ds.get(), &zout, &zin);
            if (ZSTD_isError(rc)) return BadData(name, "corrupt zstandard block");
            std::string piece = chunk.substr(0, zout.pos);
            CENOTE_RETURN_IF_ERROR(collect(piece));
            if (rc == 0 && zin.pos < zin.size) continue;
            if (zout.pos == 0 && rc != 0 && zin.pos == zin.size) break;
          }
        }
      }
      block = decoded;
    }
    std::size_t bpos = 0;
    for (std::int64_t i = 0; i < count; ++i) {
      auto v = avro::Decode(**schema, block, bpos);
      if (!v) return BadData(name, v.error().message);
      CENOTE_RETURN_IF_ERROR(AppendJson(**schema, *v, buf, 0));
      if (!defaults.empty()) {  // inside the record's closing brace
        buf.pop_back();
        buf.append(defaults, buf.back() == '{' ? 1 : 0);
        buf += '}';
      }
      buf += '\n';
      if (buf.size() >= (1 << 20)) CENOTE_RETURN_IF_ERROR(out.Write(buf));
    }
    if (bytes.size() - pos < 16 || bytes.substr(pos, 16) != sync)
      return BadData(name, "Avro sync marker mismatch");
    pos += 16;
  }
  CENOTE_RETURN_IF_ERROR(out.Write(buf));
  return out.Close();
}

}  // namespace cenote::athena
