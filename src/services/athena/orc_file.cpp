// ORC files (Apache ORC specification v1: "ORC Specification v1") read into JSON lines for the binder
// (serde_files.hpp ConvertOrcToJsonLines). The file tail (postscript, footer), each stripe's footer and its
// streams are decoded here: protobuf messages by field number, compression chunks (none, zlib, snappy, zstd,
// LZ4), byte and boolean RLE, integer RLE v1 and v2 (short repeat, direct, patched base, delta), direct and
// dictionary strings, present streams. A stripe is decoded column by column, then written row by row.
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "common/time_zone.hpp"
#include "services/athena/serde_files.hpp"
#include "services/athena/serde_internal.hpp"

namespace cenote::athena {

using namespace serde_internal;

namespace {

// ---- protobuf (wire format: varints, length-delimited fields)

struct ProtoField {
  std::uint32_t number = 0;
  int wire = 0;
  std::uint64_t varint = 0;
  std::string_view bytes;
};

class ProtoReader {
 public:
  explicit ProtoReader(std::string_view data) : data_(data) {}
  // The next field; false at the end. A malformed message sets failed().
  bool Next(ProtoField& f) {
    if (pos_ >= data_.size() || failed_) return false;
    std::uint64_t key = 0;
    if (!Varint(key)) return false;
    f.number = static_cast<std::uint32_t>(key >> 3);
    f.wire = static_cast<int>(key & 7);
    f.bytes = {};
    f.varint = 0;
    switch (f.wire) {
      case 0:
        return Varint(f.varint);
      case 1:
        return Skip(8, f);
      case 2: {
        std::uint64_t len = 0;
        if (!Varint(len)) return false;
        return Skip(len, f);
      }
      case 5:
        return Skip(4, f);
      default:
        failed_ = true;
        return false;
    }
  }
  bool failed() const { return failed_; }

 private:
  bool Varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) break;
      unsigned char b = static_cast<unsigned char>(data_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    failed_ = true;
    return false;
  }
  bool Skip(std::uint64_t n, ProtoField& f) {
    if (n > data_.size() - pos_) {
      failed_ = true;
      return false;
    }
    f.bytes = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  std::string_view data_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

// Values of a repeated uint field, packed (wire type 2) or not.
void AppendUints(const ProtoField& f, std::vector<std::uint64_t>& out) {
  if (f.wire == 0) {
    out.push_back(f.varint);
    return;
  }
  std::size_t pos = 0;
  while (pos < f.bytes.size()) {
    std::uint64_t v = 0;
    int shift = 0;
    while (pos < f.bytes.size()) {
      unsigned char b = static_cast<unsigned char>(f.bytes[pos++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0 || shift >= 64) break;
    }
    out.push_back(v);
  }
}

// ---- the file's metadata

enum Kind {
  kBoolean = 0,
  kByte = 1,
  kShort = 2,
  kInt = 3,
  kLong = 4,
  kFloat = 5,
  kDouble = 6,
  kString = 7,
  kBinary = 8,
  kTimestamp = 9,
  kList = 10,
  kMap = 11,
  kStruct = 12,
  kUnion = 13,
  kDecimal = 14,
  kDate = 15,
  kVarchar = 16,
  kChar = 17,
  kTimestampInstant = 18,
};

struct OrcType {
  int kind = 0;
  std::vector<std::uint32_t> subtypes;
  std::vector<std::string> names;
  int precision = 0;
  int scale = 0;
};

struct Stripe {
  std::uint64_t offset = 0, index_length = 0, data_length = 0, footer_length = 0, rows = 0;
};

enum Compression { kNone = 0, kZlib = 1, kSnappy = 2, kLzo = 3, kLz4 = 4, kZstd = 5 };

enum StreamKind { kPresent = 0, kData = 1, kLength = 2, kDictionaryData = 3, kSecondary = 5 };

enum Encoding { kDirect = 0, kDictionary = 1, kDirectV2 = 2, kDictionaryV2 = 3 };

class OrcDecoder {
 public:
  OrcDecoder(std::string_view file, std::string name, std::vector<std::string> names)
      : file_(file), name_(std::move(name)), names_(std::move(names)) {}

  Status ReadTail() {
    if (file_.size() < 4) return Bad("not an ORC file");
    std::size_t ps_len = static_cast<unsigned char>(file_.back());
    if (ps_len + 1 > file_.size()) return Bad("not an ORC file (postscript)");
    std::string_view ps = file_.substr(file_.size() - 1 - ps_len, ps_len);
    ProtoReader r(ps);
    ProtoField f;
    std::uint64_t footer_len = 0, metadata_len = 0;
    std::string magic;
    std::vector<std::uint64_t> version;
    while (r.Next(f)) {
      if (f.number == 1) footer_len = f.varint;
      if (f.number == 2) compression_ = static_cast<int>(f.varint);
      if (f.number == 3) block_size_ = f.varint;
      if (f.number == 4) AppendUints(f, version);
      if (f.number == 5) metadata_len = f.varint;
      if (f.number == 8000) magic = std::string(f.bytes);
    }
    // Files written by Hive 0.11 carry the magic only at the head of the file.
    if (r.failed() || (magic != "ORC" && (!magic.empty() || file_.substr(0, 3) != "ORC")))
      return Bad("not an ORC file (no ORC postscript)");
    // Files of version 1.9999 (the Java writer's "UNSTABLE-PRE-2.0") and later store decimals of precision
    // up to 18 as "decimal64": the unscaled values as signed integer RLE, the scale the type's.
    file_major_version_ = version.empty() ? 0 : version[0];
    if (compression_ == kLzo)
      return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: LZO-compressed ORC file " + name_);
    if (compression_ > kZstd) return Bad("unknown compression kind " + std::to_string(compression_));
    std::size_t tail = 1 + ps_len;
    if (footer_len + metadata_len + tail > file_.size()) return Bad("truncated file tail");
    std::string_view footer_raw = file_.substr(file_.size() - tail - footer_len, footer_len);
    CENOTE_ASSIGN_OR_RETURN(std::string footer, Decompress(footer_raw));
    ProtoReader fr(footer);
    while (fr.Next(f)) {
      if (f.number == 3) {
        Stripe s;
        ProtoReader sr(f.bytes);
        ProtoField g;
        while (sr.Next(g)) {
          if (g.number == 1) s.offset = g.varint;
          if (g.number == 2) s.index_length = g.varint;
          if (g.number == 3) s.data_length = g.varint;
          if (g.number == 4) s.footer_length = g.varint;
          if (g.number == 5) s.rows = g.varint;
        }
        if (sr.failed()) return Bad("malformed stripe information");
        stripes_.push_back(s);
      } else if (f.number == 4) {
        OrcType t;
        ProtoReader tr(f.bytes);
        ProtoField g;
        std::vector<std::uint64_t> subs;
        while (tr.Next(g)) {
          if (g.number == 1) t.kind = static_cast<int>(g.varint);
          if (g.number == 2) AppendUints(g, subs);
          if (g.number == 3) t.names.emplace_back(g.bytes);
          if (g.number == 5) t.precision = static_cast<int>(g.varint);
          if (g.number == 6) t.scale = static_cast<int>(g.varint);
        }
        if (tr.failed()) return Bad("malformed type");
        for (std::uint64_t s : subs) t.subtypes.push_back(static_cast<std::uint32_t>(s));
        types_.push_back(std::move(t));
      }
    }
    if (fr.failed()) return Bad("malformed footer");
    if (types_.empty()) return Bad("the file has no schema");
    for (std::size_t i = 0; i < types_.size(); ++i) {
      for (std::uint32_t s : types_[i].subtypes)
        if (s <= i || s >= types_.size()) return Bad("malformed type tree");
      if (types_[i].kind == kUnion)
        return MakeError("NOT_SUPPORTED",
                         "NOT_SUPPORTED: ORC union types are not supported (file " + name_ + ")");
      if (types_[i].kind > kTimestampInstant)
        return Bad("unknown type kind " + std::to_string(types_[i].kind));
      if ((types_[i].kind == kList && types_[i].subtypes.size() != 1) ||
          (types_[i].kind == kMap && types_[i].subtypes.size() != 2))
        return Bad("malformed type tree");
    }
    return Status::Ok();
  }

  const std::vector<Stripe>& stripes() const { return stripes_; }

  // Writes the stripe's rows as JSON lines to `out`.
  Status ReadStripe(const Stripe& s, const std::function<Status(std::string&)>& write) {
    if (s.offset > file_.size() || s.index_length + s.data_length + s.footer_length > file_.size() - s.offset)
      return Bad("stripe beyond the end of the file");
    CENOTE_ASSIGN_OR_RETURN(
        std::string footer,
        Decompress(file_.substr(s.offset + s.index_length + s.data_length, s.footer_length)));
    streams_.clear();
    writer_zone_name_.clear();
    encodings_.assign(types_.size(), kDirect);
    dictionary_sizes_.assign(types_.size(), 0);
    ProtoReader r(footer);
    ProtoField f;
    std::uint64_t at = s.offset;
    std::size_t column_index = 0;
    while (r.Next(f)) {
      if (f.number == 1) {
        ProtoReader sr(f.bytes);
        ProtoField g;
        std::uint64_t kind = 0, column = 0, length = 0;
        while (sr.Next(g)) {
          if (g.number == 1) kind = g.varint;
          if (g.number == 2) column = g.varint;
          if (g.number == 3) length = g.varint;
        }
        if (sr.failed() || length > file_.size() - std::min<std::uint64_t>(at, file_.size()))
          return Bad("malformed stream");
        streams_[{static_cast<std::uint32_t>(column), static_cast<int>(kind)}] = file_.substr(at, length);
        at += length;
      } else if (f.number == 2) {
        ProtoReader er(f.bytes);
        ProtoField g;
        while (er.Next(g)) {
          if (column_index < types_.size()) {
            if (g.number == 1) encodings_[column_index] = static_cast<int>(g.varint);
            if (g.number == 2) dictionary_sizes_[column_index] = g.varint;
          }
        }
        ++column_index;
      } else if (f.number == 3) {
        writer_zone_name_ = std::string(f.bytes);
      }
    }
    if (r.failed()) return Bad("malformed stripe footer");
    CENOTE_RETURN_IF_ERROR(FindWriterZone());
    if (s.rows > (std::uint64_t{1} << 31)) return Bad("too many rows in a stripe");
    Column root;
    CENOTE_RETURN_IF_ERROR(ReadColumn(0, static_cast<std::size_t>(s.rows), root, 0));
    std::string buf;
    // A file whose schema is a single type (not a struct) has one column, named as Hive names it.
    const bool bare = types_[0].kind != kStruct;
    for (std::size_t row = 0; row < s.rows; ++row) {
      if (!names_.empty() && !bare) {
        CENOTE_RETURN_IF_ERROR(EmitByPosition(root, row, buf));
      } else {
        if (bare) {
          buf += '{';
          AppendJsonString(names_.empty() ? std::string("_col0") : names_[0], buf);
          buf += ':';
        }
        CENOTE_RETURN_IF_ERROR(Emit(root, row, buf));
        if (bare) buf += '}';
      }
      buf += '\n';
      if (buf.size() >= (1 << 20)) CENOTE_RETURN_IF_ERROR(write(buf));
    }
    return write(buf);
  }

 private:
  // One column of a stripe, decoded: `present` per slot, and the values of the present slots.
  struct Column {
    std::uint32_t id = 0;
    std::vector<std::uint8_t> present;   // empty: every slot present
    std::vector<std::int64_t> value_of;  // slot -> value index (-1: null); empty when every slot is present
    std::vector<std::int64_t> ints;      // integers, booleans, bytes, dates, seconds, list/map lengths
    std::vector<std::int64_t> nanos;     // timestamps
    std::vector<double> reals;
    std::vector<std::string> texts;      // strings, binary, decimal text
    std::vector<std::uint64_t> offsets;  // list/map: first child slot of each value
    std::vector<Column> children;
  };

  Error Bad(const std::string& why) const { return BadData(name_, why); }

  // The decompressed bytes of a stream (chunks of [3-byte header: length << 1 | original][bytes]).
  Result<std::string> Decompress(std::string_view raw) const {
    if (compression_ == kNone) return std::string(raw);
    std::string out;
    std::size_t pos = 0;
    while (pos < raw.size()) {
      if (raw.size() - pos < 3) return Bad("truncated compression chunk header");
      std::uint32_t h = static_cast<unsigned char>(raw[pos]) |
                        (static_cast<unsigned char>(raw[pos + 1]) << 8) |
                        (static_cast<std::uint32_t>(static_cast<unsigned char>(raw[pos + 2])) << 16);
      pos += 3;
      std::size_t len = h >> 1;
      if (len > raw.size() - pos) return Bad("truncated compression chunk");
      std::string_view chunk = raw.substr(pos, len);
      pos += len;
      if (out.size() + std::max<std::uint64_t>(block_size_, len) > kMaxBlock) return Bad("stream too large");
      if (h & 1) {
        out.append(chunk);
        continue;
      }
      switch (compression_) {
        case kZlib: {
          CENOTE_RETURN_IF_ERROR(Inflate(chunk, false, name_, [&](std::string& piece) {
            out += piece;
            return Status::Ok();
          }));
          break;
        }
        case kSnappy: {
          CENOTE_ASSIGN_OR_RETURN(std::string piece, SnappyBlock(chunk, name_));
          out += piece;
          break;
        }
        case kLz4: {
          CENOTE_ASSIGN_OR_RETURN(std::string piece,
                                  Lz4Block(chunk, block_size_ > 0 ? block_size_ : kMaxBlock, name_));
          out += piece;
          break;
        }
        case kZstd: {
          std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> ds(ZSTD_createDStream(),
                                                                        ZSTD_freeDStream);
          ZSTD_initDStream(ds.get());
          ZSTD_inBuffer in{chunk.data(), chunk.size(), 0};
          std::string piece(std::max<std::size_t>(block_size_, 1 << 16), '\0');
          while (true) {
            ZSTD_outBuffer o{piece.data(), piece.size(), 0};
            std::size_t rc = ZSTD_decompressStream(ds.get(), &o, &in);
            if (ZSTD_isError(rc)) return Bad("corrupt zstd chunk");
            out.append(piece.data(), o.pos);
            if (rc == 0 || (in.pos == in.size && o.pos < o.size)) break;
            if (out.size() > kMaxBlock) return Bad("stream too large");
          }
          break;
        }
        default:
          return Bad("unknown compression");
      }
    }
    return out;
  }

  Result<std::string> Stream(std::uint32_t column, int kind) const {
    auto it = streams_.find({column, kind});
    if (it == streams_.end()) return std::string();
    return Decompress(it->second);
  }

  bool HasStream(std::uint32_t column, int kind) const { return streams_.count({column, kind}) > 0; }

  // Byte RLE: [0..127] a run of n+3 copies of the next byte; [-128..-1] -n literal bytes.
  Status ByteRle(std::string_view in, std::size_t count, std::vector<std::int64_t>& out) const {
    std::size_t pos = 0;
    while (out.size() < count) {
      if (pos >= in.size()) return Bad("byte RLE stream too short");
      int control = static_cast<signed char>(in[pos++]);
      if (control >= 0) {
        if (pos >= in.size()) return Bad("byte RLE stream too short");
        std::int64_t v = static_cast<signed char>(in[pos++]);
        for (int i = 0; i < control + 3 && out.size() < count; ++i) out.push_back(v);
      } else {
        for (int i = 0; i < -control && out.size() < count; ++i) {
          if (pos >= in.size()) return Bad("byte RLE stream too short");
          out.push_back(static_cast<signed char>(in[pos++]));
        }
      }
    }
    return Status::Ok();
  }

  Status Booleans(std::string_view in, std::size_t count, std::vector<std::uint8_t>& out) const {
    std::vector<std::int64_t> bytes;
    CENOTE_RETURN_IF_ERROR(ByteRle(in, (count + 7) / 8, bytes));
    out.resize(count);
    for (std::size_t i = 0; i < count; ++i)
      out[i] = (static_cast<std::uint8_t>(bytes[i / 8]) >> (7 - i % 8)) & 1;
    return Status::Ok();
  }

  static std::int64_t Unzigzag(std::uint64_t v) {
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
  }

  static bool ReadVarint(std::string_view in, std::size_t& pos, std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= in.size()) return false;
      unsigned char b = static_cast<unsigned char>(in[pos++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }

  // RLE v2's 5-bit width codes.
  static int DecodeWidth(int code) {
    if (code <= 23) return code + 1;
    static const int kWide[] = {26, 28, 30, 32, 40, 48, 56, 64};
    return kWide[code - 24];
  }
  static int ClosestFixedBits(int n) {
    if (n <= 24) return std::max(n, 1);
    for (int w : {26, 28, 30, 32, 40, 48, 56, 64})
      if (n <= w) return w;
    return 64;
  }

  // `count` big-endian bit-packed values of `width` bits, starting at a byte boundary.
  bool Unpack(std::string_view in, std::size_t& pos, int width, std::size_t count,
              std::vector<std::uint64_t>& out) const {
    out.clear();
    std::uint64_t bits_left = 0;
    std::uint64_t current = 0;
    for (std::size_t i = 0; i < count; ++i) {
      std::uint64_t v = 0;
      int need = width;
      while (need > 0) {
        if (bits_left == 0) {
          if (pos >= in.size()) return false;
          current = static_cast<unsigned char>(in[pos++]);
          bits_left = 8;
        }
        int take = std::min<int>(need, static_cast<int>(bits_left));
        std::uint64_t chunk = (current >> (bits_left - take)) & ((1u << take) - 1);
        v = take == 64 ? chunk : (v << take) | chunk;
        bits_left -= take;
        need -= take;
      }
      out.push_back(v);
    }
    return true;
  }

  Status IntRle(std::string_view in, std::size_t count, bool is_signed, bool v2,
                std::vector<std::int64_t>& out) const {
    out.reserve(out.size() + count);
    std::size_t pos = 0;
    const std::size_t target = out.size() + count;
    std::vector<std::uint64_t> unpacked, patches;
    auto bad = [&] { return Bad("integer RLE stream too short or malformed"); };
    while (out.size() < target) {
      if (pos >= in.size()) return bad();
      unsigned char h = static_cast<unsigned char>(in[pos++]);
      if (!v2) {
        int control = static_cast<signed char>(h);
        if (control >= 0) {
          if (pos >= in.size()) return bad();
          std::int64_t delta = static_cast<signed char>(in[pos++]);
          std::uint64_t raw = 0;
          if (!ReadVarint(in, pos, raw)) return bad();
          std::int64_t base = is_signed ? Unzigzag(raw) : static_cast<std::int64_t>(raw);
          for (int i = 0; i < control + 3; ++i) out.push_back(base + delta * i);
        } else {
          for (int i = 0; i < -control; ++i) {
            std::uint64_t raw = 0;
            if (!ReadVarint(in, pos, raw)) return bad();
            out.push_back(is_signed ? Unzigzag(raw) : static_cast<std::int64_t>(raw));
          }
        }
        continue;
      }
      int kind = h >> 6;
      if (kind == 0) {  // short repeat
        int width = ((h >> 3) & 7) + 1;
        int repeat = (h & 7) + 3;
        if (in.size() - pos < static_cast<std::size_t>(width)) return bad();
        std::uint64_t raw = 0;
        for (int i = 0; i < width; ++i) raw = (raw << 8) | static_cast<unsigned char>(in[pos++]);
        std::int64_t v = is_signed ? Unzigzag(raw) : static_cast<std::int64_t>(raw);
        for (int i = 0; i < repeat; ++i) out.push_back(v);
        continue;
      }
      if (pos >= in.size()) return bad();
      int width_code = (h >> 1) & 31;
      std::size_t length =
          ((static_cast<std::size_t>(h & 1) << 8) | static_cast<unsigned char>(in[pos++])) + 1;
      if (kind == 1) {  // direct
        if (!Unpack(in, pos, DecodeWidth(width_code), length, unpacked)) return bad();
        for (std::uint64_t raw : unpacked)
          out.push_back(is_signed ? Unzigzag(raw) : static_cast<std::int64_t>(raw));
      } else if (kind == 2) {  // patched base
        int width = DecodeWidth(width_code);
        if (in.size() - pos < 2) return bad();
        unsigned char b2 = static_cast<unsigned char>(in[pos++]);
        unsigned char b3 = static_cast<unsigned char>(in[pos++]);
        int base_bytes = (b2 >> 5) + 1;
        int patch_width = DecodeWidth(b2 & 31);
        int gap_width = (b3 >> 5) + 1;
        std::size_t patch_count = b3 & 31;
        if (in.size() - pos < static_cast<std::size_t>(base_bytes)) return bad();
        std::uint64_t raw_base = 0;
        for (int i = 0; i < base_bytes; ++i)
          raw_base = (raw_base << 8) | static_cast<unsigned char>(in[pos++]);
        // Sign and magnitude: the top bit of the base's bytes is its sign.
        std::uint64_t sign_bit = std::uint64_t{1} << (base_bytes * 8 - 1);
        std::int64_t base = (raw_base & sign_bit) ? -static_cast<std::int64_t>(raw_base & ~sign_bit)
                                                  : static_cast<std::int64_t>(raw_base);
        if (!Unpack(in, pos, width, length, unpacked)) return bad();
        if (!Unpack(in, pos, ClosestFixedBits(gap_width + patch_width), patch_count, patches)) return bad();
        if (patch_width + width > 64) return bad();
        std::size_t p = 0;
        std::uint64_t patch_mask =
            patch_width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << patch_width) - 1;
        std::size_t next = 0;
        std::uint64_t patch = 0;
        auto advance = [&]() {
          // The gap to the next patched value; gaps of 255 with an empty patch only carry distance.
          std::size_t gap = 0;
          while (p < patches.size()) {
            std::uint64_t g = patches[p] >> patch_width;
            patch = patches[p] & patch_mask;
            if (g == 255 && patch == 0) {
              gap += 255;
              ++p;
              continue;
            }
            gap += static_cast<std::size_t>(g);
            return std::optional<std::size_t>(gap);
          }
          return std::optional<std::size_t>();
        };
        std::optional<std::size_t> gap = advance();
        if (gap) next = *gap;
        for (std::size_t i = 0; i < length; ++i) {
          std::uint64_t v = unpacked[i];
          if (gap && i == next) {
            v |= patch << width;
            ++p;
            gap = advance();
            if (gap) next = i + *gap;
          }
          out.push_back(base + static_cast<std::int64_t>(v));
        }
      } else {  // delta
        int width = width_code == 0 ? 0 : DecodeWidth(width_code);
        std::uint64_t raw = 0, raw_delta = 0;
        if (!ReadVarint(in, pos, raw) || !ReadVarint(in, pos, raw_delta)) return bad();
        std::int64_t value = is_signed ? Unzigzag(raw) : static_cast<std::int64_t>(raw);
        std::int64_t delta = Unzigzag(raw_delta);
        out.push_back(value);
        if (length >= 2) {
          value += delta;
          out.push_back(value);
        }
        if (length > 2) {
          if (width == 0) {
            for (std::size_t i = 2; i < length; ++i) out.push_back(value += delta);
          } else {
            if (!Unpack(in, pos, width, length - 2, unpacked)) return bad();
            for (std::uint64_t d : unpacked)
              out.push_back(value = delta < 0 ? value - static_cast<std::int64_t>(d)
                                              : value + static_cast<std::int64_t>(d));
          }
        }
      }
    }
    out.resize(target);
    return Status::Ok();
  }

  bool V2(std::uint32_t column) const {
    return encodings_[column] == kDirectV2 || encodings_[column] == kDictionaryV2;
  }

  Status Ints(std::uint32_t column, int kind, std::size_t count, bool is_signed,
              std::vector<std::int64_t>& out) const {
    CENOTE_ASSIGN_OR_RETURN(std::string data, Stream(column, kind));
    return IntRle(data, count, is_signed, V2(column), out);
  }

  // Decodes `slots` slots of column `id` (the parent's present values) into `c`.
  Status ReadColumn(std::uint32_t id, std::size_t slots, Column& c, int depth) {
    if (depth > 64) return Bad("types nested too deeply");
    const OrcType& t = types_[id];
    c.id = id;
    std::size_t n = slots;
    if (HasStream(id, kPresent)) {
      CENOTE_ASSIGN_OR_RETURN(std::string bits, Stream(id, kPresent));
      CENOTE_RETURN_IF_ERROR(Booleans(bits, slots, c.present));
      c.value_of.resize(slots);
      n = 0;
      for (std::size_t i = 0; i < slots; ++i)
        c.value_of[i] = c.present[i] ? static_cast<std::int64_t>(n++) : -1;
    }
    switch (t.kind) {
      case kBoolean: {
        CENOTE_ASSIGN_OR_RETURN(std::string data, Stream(id, kData));
        std::vector<std::uint8_t> bits;
        CENOTE_RETURN_IF_ERROR(Booleans(data, n, bits));
        c.ints.assign(bits.begin(), bits.end());
        return Status::Ok();
      }
      case kByte: {
        CENOTE_ASSIGN_OR_RETURN(std::string data, Stream(id, kData));
        return ByteRle(data, n, c.ints);
      }
      case kShort:
      case kInt:
      case kLong:
      case kDate:
        return Ints(id, kData, n, true, c.ints);
      case kFloat:
      case kDouble: {
        CENOTE_ASSIGN_OR_RETURN(std::string data, Stream(id, kData));
        std::size_t width = t.kind == kFloat ? 4 : 8;
        if (data.size() < n * width) return Bad("floating-point stream too short");
        c.reals.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
          if (width == 4) {
            float f;
            std::memcpy(&f, data.data() + i * 4, 4);
            c.reals[i] = f;
          } else {
            std::memcpy(&c.reals[i], data.data() + i * 8, 8);
          }
        }
        return Status::Ok();
      }
      case kString:
      case kVarchar:
      case kChar:
      case kBinary: {
        bool dictionary = encodings_[id] == kDictionary || encodings_[id] == kDictionaryV2;
        CENOTE_ASSIGN_OR_RETURN(std::string data, Stream(id, dictionary ? kDictionaryData : kData));
        std::vector<std::int64_t> lengths;
        std::size_t entries = dictionary ? static_cast<std::size_t>(dictionary_sizes_[id]) : n;
        if (dictionary && entries > data.size() + 1) return Bad("dictionary larger than its data");
        CENOTE_RETURN_IF_ERROR(Ints(id, kLength, entries, false, lengths));
        std::vector<std::string> values;
        values.reserve(entries);
        std::size_t at = 0;
        for (std::int64_t len : lengths) {
          if (len < 0 || static_cast<std::size_t>(len) > data.size() - at)
            return Bad("string lengths beyond the data");
          values.emplace_back(data.substr(at, static_cast<std::size_t>(len)));
          at += static_cast<std::size_t>(len);
        }
        if (!dictionary) {
          c.texts = std::move(values);
          return Status::Ok();
        }
        std::vector<std::int64_t> index;
        CENOTE_RETURN_IF_ERROR(Ints(id, kData, n, false, index));
        c.texts.reserve(n);
        for (std::int64_t i : index) {
          if (i < 0 || static_cast<std::size_t>(i) >= values.size())
            return Bad("dictionary index out of range");
          c.texts.push_back(values[static_cast<std::size_t>(i)]);
        }
        return Status::Ok();
      }
      case kTimestamp:
      case kTimestampInstant: {
        CENOTE_RETURN_IF_ERROR(Ints(id, kData, n, true, c.ints));
        std::vector<std::int64_t> raw;
        CENOTE_RETURN_IF_ERROR(Ints(id, kSecondary, n, false, raw));
        c.nanos.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
          std::uint64_t v = static_cast<std::uint64_t>(raw[i]);
          int zeros = static_cast<int>(v & 7);
          std::uint64_t nanos = v >> 3;
          if (zeros != 0)
            for (int k = 0; k <= zeros; ++k) nanos *= 10;
          c.nanos[i] = static_cast<std::int64_t>(nanos % 1000000000);
        }
        return Status::Ok();
      }
      case kDecimal: {
        if ((file_major_version_ >= 1 && t.precision > 0 && t.precision <= 18) ||
            (n > 0 && !HasStream(id, kSecondary)))
          return Decimal64(id, t, n, c);
        CENOTE_ASSIGN_OR_RETURN(std::string data, Stream(id, kData));
        std::vector<std::int64_t> scales;
        CENOTE_RETURN_IF_ERROR(Ints(id, kSecondary, n, true, scales));
        std::size_t pos = 0;
        c.texts.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
          // An unbounded zig-zag varint: up to 128 bits for precision 38.
          unsigned __int128 raw = 0;
          int shift = 0;
          while (true) {
            if (pos >= data.size() || shift > 126) return Bad("decimal stream malformed");
            unsigned char b = static_cast<unsigned char>(data[pos++]);
            raw |= static_cast<unsigned __int128>(b & 0x7f) << shift;
            shift += 7;
            if ((b & 0x80) == 0) break;
          }
          bool negative = (raw & 1) != 0;
          unsigned __int128 magnitude = negative ? (raw >> 1) + 1 : raw >> 1;
          std::int64_t scale = scales[i];
          if (scale < 0 || scale > 38) return Bad("decimal scale out of range");
          c.texts.push_back(DecimalText(negative, magnitude, static_cast<int>(scale)));
        }
        return Status::Ok();
      }
      case kList:
      case kMap: {
        CENOTE_RETURN_IF_ERROR(Ints(id, kLength, n, false, c.ints));
        std::uint64_t total = 0;
        c.offsets.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
          if (c.ints[i] < 0) return Bad("negative length");
          c.offsets[i] = total;
          total += static_cast<std::uint64_t>(c.ints[i]);
        }
        if (total > (std::uint64_t{1} << 31)) return Bad("collection too large");
        c.children.resize(t.subtypes.size());
        for (std::size_t k = 0; k < t.subtypes.size(); ++k)
          CENOTE_RETURN_IF_ERROR(
              ReadColumn(t.subtypes[k], static_cast<std::size_t>(total), c.children[k], depth + 1));
        return Status::Ok();
      }
      case kStruct: {
        c.children.resize(t.subtypes.size());
        for (std::size_t k = 0; k < t.subtypes.size(); ++k)
          CENOTE_RETURN_IF_ERROR(ReadColumn(t.subtypes[k], n, c.children[k], depth + 1));
        return Status::Ok();
      }
      default:
        return MakeError("NOT_SUPPORTED",
                         "NOT_SUPPORTED: ORC type kind " + std::to_string(t.kind) + " (file " + name_ + ")");
    }
  }

  // "-123.45": the unscaled magnitude with `scale` digits after the point.
  static std::string DecimalText(bool negative, unsigned __int128 magnitude, int scale) {
    std::string digits;
    do {
      digits += static_cast<char>('0' + static_cast<int>(magnitude % 10));
      magnitude /= 10;
    } while (magnitude != 0);
    std::string text(digits.rbegin(), digits.rend());
    if (scale > 0) {
      if (text.size() <= static_cast<std::size_t>(scale))
        text.insert(0, static_cast<std::size_t>(scale) + 1 - text.size(), '0');
      text.insert(text.size() - static_cast<std::size_t>(scale), 1, '.');
    }
    if (negative) text.insert(0, 1, '-');
    return text;
  }

  // Decimal64 (ORC's Decimal64TreeWriter): the DATA stream holds the unscaled values as signed integer RLE,
  // there is no SECONDARY stream, and every value has the type's scale.
  Status Decimal64(std::uint32_t id, const OrcType& t, std::size_t n, Column& c) const {
    if (t.scale < 0 || t.scale > 18) return Bad("decimal scale out of range");
    std::vector<std::int64_t> unscaled;
    CENOTE_RETURN_IF_ERROR(Ints(id, kData, n, true, unscaled));
    c.texts.reserve(n);
    for (std::int64_t v : unscaled) {
      const bool negative = v < 0;
      // The magnitude of INT64_MIN does not fit an int64; computed in 128 bits.
      unsigned __int128 magnitude = negative ? static_cast<unsigned __int128>(-(static_cast<__int128>(v)))
                                             : static_cast<unsigned __int128>(v);
      c.texts.push_back(DecimalText(negative, magnitude, t.scale));
    }
    return Status::Ok();
  }

  // The stripe footer's writerTimezone (Hive and the ORC writers record the zone the writer ran in); absent
  // in files from before Hive 1.2, read as UTC.
  Status FindWriterZone() {
    writer_zone_.reset();
    if (writer_zone_name_.empty() || writer_zone_name_ == "UTC" || writer_zone_name_ == "GMT" ||
        writer_zone_name_ == "Etc/UTC")
      return Status::Ok();
    writer_zone_ = TimeZone::Find(writer_zone_name_);
    if (writer_zone_ == nullptr) return Bad("unknown writer time zone '" + writer_zone_name_ + "'");
    return Status::Ok();
  }

  // A row of the top-level struct with its columns named by position (names_).
  Status EmitByPosition(const Column& root, std::size_t row, std::string& out) const {
    std::size_t i = row;
    if (!root.value_of.empty()) {
      if (root.value_of[row] < 0) {
        out += "{}";
        return Status::Ok();
      }
      i = static_cast<std::size_t>(root.value_of[row]);
    }
    out += '{';
    for (std::size_t k = 0; k < root.children.size() && k < names_.size(); ++k) {
      if (k > 0) out += ',';
      AppendJsonString(names_[k], out);
      out += ':';
      CENOTE_RETURN_IF_ERROR(Emit(root.children[k], i, out));
    }
    out += '}';
    return Status::Ok();
  }

  // The JSON of slot `slot` of `c` (struct field names lower-case, as Glue stores columns).
  Status Emit(const Column& c, std::size_t slot, std::string& out) const {
    std::size_t i = slot;
    if (!c.value_of.empty()) {
      if (slot >= c.value_of.size() || c.value_of[slot] < 0) {
        out += "null";
        return Status::Ok();
      }
      i = static_cast<std::size_t>(c.value_of[slot]);
    }
    const OrcType& t = types_[c.id];
    switch (t.kind) {
      case kBoolean:
        out += c.ints[i] ? "true" : "false";
        return Status::Ok();
      case kByte:
      case kShort:
      case kInt:
      case kLong:
        out += std::to_string(c.ints[i]);
        return Status::Ok();
      case kDate:
        out += '"';
        AppendDate(c.ints[i], out);
        out += '"';
        return Status::Ok();
      case kFloat:
        if (std::isfinite(c.reals[i])) {
          char buf[40];
          auto res = std::to_chars(buf, buf + sizeof(buf), static_cast<float>(c.reals[i]));
          out.append(buf, res.ptr);
          return Status::Ok();
        }
        return AppendDouble(c.reals[i], out);
      case kDouble:
        return AppendDouble(c.reals[i], out);
      case kString:
      case kVarchar:
      case kChar:
        AppendJsonString(c.texts[i], out);
        return Status::Ok();
      case kBinary:
        AppendJsonString(Base64Encode(c.texts[i]), out);
        return Status::Ok();
      case kDecimal:
        AppendJsonString(c.texts[i], out);
        return Status::Ok();
      case kTimestamp:
      case kTimestampInstant: {
        // TIMESTAMP: seconds from 2015-01-01 00:00:00 in the writer's zone (the stripe footer's
        // writerTimezone), an instant; the value is its wall-clock time in that zone, the time as written
        // (Hive's timestamps carry no zone; Trino's ORC reader does the same). TIMESTAMP_INSTANT counts from
        // 2015-01-01 00:00:00 UTC. Before 1970 with a fraction the seconds are one too high.
        const bool zoned = t.kind == kTimestamp && writer_zone_ != nullptr;
        std::int64_t seconds = c.ints[i] + (zoned ? writer_zone_->ToUtc(1420070400) : 1420070400);
        if (seconds < 0 && c.nanos[i] > 999999) seconds -= 1;
        if (zoned) seconds += writer_zone_->OffsetAt(seconds);
        AppendTimestamp(seconds * 1000000 + c.nanos[i] / 1000, 1000000, out);
        return Status::Ok();
      }
      case kList: {
        out += '[';
        for (std::int64_t k = 0; k < c.ints[i]; ++k) {
          if (k > 0) out += ',';
          CENOTE_RETURN_IF_ERROR(Emit(c.children[0], c.offsets[i] + static_cast<std::uint64_t>(k), out));
        }
        out += ']';
        return Status::Ok();
      }
      case kMap: {
        out += '{';
        for (std::int64_t k = 0; k < c.ints[i]; ++k) {
          if (k > 0) out += ',';
          std::string key;
          CENOTE_RETURN_IF_ERROR(Emit(c.children[0], c.offsets[i] + static_cast<std::uint64_t>(k), key));
          if (key.empty() || key[0] != '"') {
            std::string quoted;
            AppendJsonString(key, quoted);
            key = std::move(quoted);
          }
          out += key;
          out += ':';
          CENOTE_RETURN_IF_ERROR(Emit(c.children[1], c.offsets[i] + static_cast<std::uint64_t>(k), out));
        }
        out += '}';
        return Status::Ok();
      }
      case kStruct: {
        out += '{';
        for (std::size_t k = 0; k < c.children.size(); ++k) {
          if (k > 0) out += ',';
          AppendJsonString(k < t.names.size() ? AsciiLower(t.names[k]) : "_col" + std::to_string(k), out);
          out += ':';
          CENOTE_RETURN_IF_ERROR(Emit(c.children[k], i, out));
        }
        out += '}';
        return Status::Ok();
      }
      default:
        return Bad("unexpected type");
    }
  }

  std::string_view file_;
  std::string name_;
  std::vector<std::string> names_;  // top-level columns by position; empty: by the file's names
  int compression_ = kNone;
  std::uint64_t block_size_ = 256 * 1024;
  std::vector<Stripe> stripes_;
  std::vector<OrcType> types_;
  std::map<std::pair<std::uint32_t, int>, std::string_view> streams_;
  std::vector<int> encodings_;
  std::vector<std::uint64_t> dictionary_sizes_;
  std::uint64_t file_major_version_ = 0;
  std::string writer_zone_name_;                 // the current stripe's
  std::shared_ptr<const TimeZone> writer_zone_;  // null: UTC
};

}  // namespace

Status ConvertOrcToJsonLines(const std::string& in_path, const std::string& out_path, const std::string& name,
                             const std::vector<std::string>& column_names) {
  MappedFile file;
  CENOTE_RETURN_IF_ERROR(file.Open(in_path));
  OrcDecoder decoder(file.bytes(), name, column_names);
  CENOTE_RETURN_IF_ERROR(decoder.ReadTail());
  Output out;
  CENOTE_RETURN_IF_ERROR(out.Open(out_path));
  for (const Stripe& s : decoder.stripes()) {
    CENOTE_RETURN_IF_ERROR(decoder.ReadStripe(s, [&](std::string& buf) { return out.Write(buf); }));
  }
  return out.Close();
}

}  // namespace cenote::athena
