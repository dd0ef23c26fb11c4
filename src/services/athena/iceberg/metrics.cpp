#include "services/athena/iceberg/metrics.hpp"

#include <cstring>
#include <limits>

#include "common/strings.hpp"
#include "common/utf8.hpp"

namespace cenote::athena::iceberg {

namespace {

constexpr std::size_t kTruncateWidth = 16;  // write.metadata.metrics.default truncate(16)

std::string LittleEndian(std::uint64_t v, int bytes) {
  std::string out(static_cast<std::size_t>(bytes), '\0');
  for (int i = 0; i < bytes; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

std::int64_t ReadLittle(const std::string& v) {
  std::uint64_t u = 0;
  for (std::size_t i = v.size(); i-- > 0;) u = (u << 8) | static_cast<unsigned char>(v[i]);
  if (v.size() < 8 && !v.empty() && (static_cast<unsigned char>(v.back()) & 0x80))
    u |= ~std::uint64_t{0} << (8 * v.size());  // sign-extend
  return static_cast<std::int64_t>(u);
}

// Big-endian two's complement in the fewest bytes (Java's BigInteger.toByteArray), from big-endian
// two's complement bytes.
std::string MinimalBigEndian(std::string bytes) {
  std::size_t drop = 0;
  while (drop + 1 < bytes.size()) {
    auto b = static_cast<unsigned char>(bytes[drop]);
    auto next = static_cast<unsigned char>(bytes[drop + 1]);
    if ((b == 0x00 && !(next & 0x80)) || (b == 0xff && (next & 0x80))) {
      ++drop;
    } else {
      break;
    }
  }
  return bytes.substr(drop);
}

std::string BigEndianOf(std::int64_t v) {
  std::string out(8, '\0');
  auto u = static_cast<std::uint64_t>(v);
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return MinimalBigEndian(out);
}

// Code points of UTF-8 text; nullopt when it is not well-formed.
std::optional<std::vector<char32_t>> CodePoints(const std::string& s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    int n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + static_cast<std::size_t>(n) > s.size()) return std::nullopt;
    char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1f) : n == 3 ? (b & 0x0f) : (b & 0x07);
    for (int k = 1; k < n; ++k) {
      auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((c & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
    out.push_back(cp);
    i += static_cast<std::size_t>(n);
  }
  return out;
}

std::string Utf8Of(const std::vector<char32_t>& cps, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && i < cps.size(); ++i) AppendUtf8(out, cps[i]);
  return out;
}

std::optional<std::string> TruncateBinary(const std::string& b, bool upper) {
  if (b.size() <= kTruncateWidth) return b;
  std::string prefix = b.substr(0, kTruncateWidth);
  if (!upper) return prefix;
  while (!prefix.empty()) {
    auto last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

// The result type of a partition field (spec "Partition Transforms").
std::string ResultTypeOf(const PartitionField& f, const std::vector<Column>& columns) {
  if (f.transform == "identity" || f.transform.rfind("truncate[", 0) == 0) {
    for (const auto& c : columns) {
      if (c.id == f.source_id) return c.type;
    }
    return "";
  }
  if (f.transform == "day") return "date";
  if (f.transform == "void") return "";
  return "int";  // year, month, hour, bucket
}

}  // namespace

std::optional<std::string> TruncateStringLower(const std::string& s, std::size_t width) {
  auto cps = CodePoints(s);
  if (!cps) return std::nullopt;
  if (cps->size() <= width) return s;
  return Utf8Of(*cps, width);
}

std::optional<std::string> TruncateStringUpper(const std::string& s, std::size_t width) {
  auto cps = CodePoints(s);
  if (!cps) return std::nullopt;
  if (cps->size() <= width) return s;
  for (std::size_t n = width; n > 0; --n) {
    char32_t next = (*cps)[n - 1] + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next > 0x10ffff) continue;
    std::string out = Utf8Of(*cps, n - 1);
    AppendUtf8(out, next);
    return out;
  }
  return std::nullopt;
}

std::optional<std::string> IcebergBound(const Column& column, const ParquetColumnStats& stats,
                                        const std::string& value, bool upper) {
  const std::string& t = column.type;
  const int physical = stats.physical_type;
  if (t == "boolean") {
    if (physical != 0 || value.size() != 1) return std::nullopt;
    return std::string(1, value[0] != 0 ? '\x01' : '\x00');
  }
  if (t == "int" || t == "date") {
    if (physical != 1 || value.size() != 4) return std::nullopt;
    return value;
  }
  if (t == "long") {
    if ((physical != 1 || value.size() != 4) && (physical != 2 || value.size() != 8)) return std::nullopt;
    return LittleEndian(static_cast<std::uint64_t>(ReadLittle(value)), 8);
  }
  if (t == "float") {
    if (physical != 4 || value.size() != 4) return std::nullopt;
    return value;
  }
  if (t == "double") {
    if (physical == 5 && value.size() == 8) return value;
    if (physical != 4 || value.size() != 4) return std::nullopt;
    float f = 0;
    std::memcpy(&f, value.data(), 4);
    double d = f;
    std::string out(8, '\0');
    std::memcpy(out.data(), &d, 8);
    return out;
  }
  if (t == "timestamp" || t == "timestamptz") {
    if (physical != 2 || value.size() != 8) return std::nullopt;
    std::int64_t v = ReadLittle(value);
    int unit = stats.time_unit;
    if (unit == 0) unit = stats.converted_type == 9 ? 1 : stats.converted_type == 10 ? 2 : 0;
    if (unit == 1) {
      if (v > std::numeric_limits<std::int64_t>::max() / 1000 ||
          v < std::numeric_limits<std::int64_t>::min() / 1000)
        return std::nullopt;
      v *= 1000;
    } else if (unit == 3) {
      std::int64_t q = v / 1000, r = v % 1000;
      if (r != 0 && (r < 0) != upper) q += upper ? 1 : -1;  // round outwards (floor / ceil)
      v = q;
    } else if (unit != 2) {
      return std::nullopt;
    }
    return LittleEndian(static_cast<std::uint64_t>(v), 8);
  }
  if (t == "string") {
    if (physical != 6) return std::nullopt;
    return upper ? TruncateStringUpper(value, kTruncateWidth) : TruncateStringLower(value, kTruncateWidth);
  }
  if (t == "binary") {
    if (physical != 6 && physical != 7) return std::nullopt;
    return TruncateBinary(value, upper);
  }
  if (t.rfind("decimal(", 0) == 0) {
    auto comma = t.find(',');
    if (comma == std::string::npos || stats.converted_type != 5) return std::nullopt;
    if (stats.scale >= 0 && stats.scale != std::atoi(t.c_str() + comma + 1)) return std::nullopt;
    if (physical == 1 && value.size() == 4) return BigEndianOf(ReadLittle(value));
    if (physical == 2 && value.size() == 8) return BigEndianOf(ReadLittle(value));
    if (physical == 7 && !value.empty() && static_cast<int>(value.size()) == stats.type_length)
      return MinimalBigEndian(value);
    return std::nullopt;
  }
  return std::nullopt;  // uuid, fixed, time, nested: not written by Cenote
}

Status AddParquetMetrics(const std::vector<Column>& columns, const std::string& local_path, DataFile* file) {
  CENOTE_ASSIGN_OR_RETURN(auto stats, ParquetColumnStatistics(local_path));
  bool has_ids = false;
  for (const auto& s : stats) has_ids = has_ids || s.field_id >= 0;
  for (const auto& s : stats) {
    const Column* column = nullptr;
    for (const auto& c : columns) {
      if (has_ids ? c.id == s.field_id : AsciiLower(c.name) == AsciiLower(s.name)) column = &c;
    }
    if (column == nullptr) continue;
    const int id = column->id;
    file->value_counts[id] = s.num_values;
    if (s.null_count) file->null_value_counts[id] = *s.null_count;
    if (!s.min || !s.max) continue;
    auto lower = IcebergBound(*column, s, *s.min, false);
    auto upper = IcebergBound(*column, s, *s.max, true);
    if (lower) file->lower_bounds[id] = std::move(*lower);
    if (upper) file->upper_bounds[id] = std::move(*upper);
  }
  return Status::Ok();
}

namespace {

template <typename FileOf, typename Item>
std::vector<ManifestFile::FieldSummary> Summaries(const json::object& md, const std::vector<Item>& items,
                                                  std::int64_t spec_id, FileOf file_of) {
  auto columns = CurrentSchema(md);
  auto spec = SpecOf(md, spec_id < 0 ? DefaultSpecId(md) : spec_id);
  if (!columns || !spec) return {};
  std::vector<ManifestFile::FieldSummary> out;
  for (const auto& f : *spec) {
    const std::string type = ResultTypeOf(f, *columns);
    const bool integer = type == "int" || type == "date" || type == "long";
    if (!integer && type != "string" && type != "boolean") return {};
    ManifestFile::FieldSummary s;
    s.contains_null = false;
    s.contains_nan = false;
    std::optional<std::int64_t> low, high;
    std::optional<std::string> low_text, high_text;
    for (const auto& item : items) {
      const DataFile& d = file_of(item);
      const avro::Value* v = nullptr;
      for (const auto& [name, value] : d.partition) {
        if (name == f.name) v = &value;
      }
      if (v == nullptr || v->is_null()) {
        s.contains_null = true;
        continue;
      }
      if (integer || type == "boolean") {
        const bool ok = type == "boolean" ? v->type == avro::Type::kBoolean
                                          : v->type == avro::Type::kInt || v->type == avro::Type::kLong;
        if (!ok) return {};
        std::int64_t n = type == "boolean" ? (v->boolean ? 1 : 0) : v->integer;
        if (!low || n < *low) low = n;
        if (!high || n > *high) high = n;
      } else {
        if (v->type != avro::Type::kString) return {};
        if (!low_text || v->bytes < *low_text) low_text = v->bytes;
        if (!high_text || v->bytes > *high_text) high_text = v->bytes;
      }
    }
    if (low) {
      const int width = type == "long" ? 8 : type == "boolean" ? 1 : 4;
      s.lower = LittleEndian(static_cast<std::uint64_t>(*low), width);
      s.upper = LittleEndian(static_cast<std::uint64_t>(*high), width);
    } else if (low_text) {
      s.lower = std::move(low_text);
      s.upper = std::move(high_text);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::vector<ManifestFile::FieldSummary> PartitionSummaries(const json::object& md,
                                                           const std::vector<DataFile>& files,
                                                           std::int64_t spec_id) {
  return Summaries(md, files, spec_id, [](const DataFile& d) -> const DataFile& { return d; });
}

std::vector<ManifestFile::FieldSummary> PartitionSummaries(const json::object& md,
                                                           const std::vector<ManifestEntry>& entries,
                                                           std::int64_t spec_id) {
  return Summaries(md, entries, spec_id, [](const ManifestEntry& e) -> const DataFile& { return e.file; });
}

}  // namespace cenote::athena::iceberg
