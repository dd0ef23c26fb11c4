#include "services/athena/iceberg/parquet_footer.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string_view>

namespace cenote::athena::iceberg {

namespace {

Error Bad(const std::string& what) {
  return MakeError("ICEBERG_BAD_DATA", "ICEBERG_BAD_DATA: Parquet footer: " + what);
}

class Compact {
 public:
  explicit Compact(std::string_view d) : d_(d) {}
  Result<std::uint64_t> Varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= d_.size()) return Bad("truncated");
      auto b = static_cast<unsigned char>(d_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Bad("varint too long");
  }
  Result<std::int64_t> ZigZag() {
    CENOTE_ASSIGN_OR_RETURN(auto v, Varint());
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  Result<unsigned char> Byte() {
    if (pos_ >= d_.size()) return Bad("truncated");
    return static_cast<unsigned char>(d_[pos_++]);
  }
  Status Skip(int type, int depth) {
    if (depth > 32) return Bad("nested too deeply");
    switch (type) {
      case 1:  // true
      case 2:  // false
        return Status::Ok();
      case 3:
        CENOTE_RETURN_IF_ERROR(Byte());
        return Status::Ok();
      case 4:
      case 5:
      case 6:
        CENOTE_RETURN_IF_ERROR(Varint());
        return Status::Ok();
      case 7:
        if (d_.size() - pos_ < 8) return Bad("truncated");
        pos_ += 8;
        return Status::Ok();
      case 8: {
        CENOTE_ASSIGN_OR_RETURN(auto n, Varint());
        if (n > d_.size() - pos_) return Bad("truncated");
        pos_ += n;
        return Status::Ok();
      }
      case 9:
      case 10: {
        CENOTE_ASSIGN_OR_RETURN(auto h, Byte());
        std::uint64_t n = h >> 4;
        if (n == 15) {
          CENOTE_ASSIGN_OR_RETURN(n, Varint());
        }
        if (n > d_.size()) return Bad("list too long");
        for (std::uint64_t i = 0; i < n; ++i) CENOTE_RETURN_IF_ERROR(Skip(h & 0x0f, depth + 1));
        return Status::Ok();
      }
      case 11: {
        CENOTE_ASSIGN_OR_RETURN(auto n, Varint());
        if (n == 0) return Status::Ok();
        if (n > d_.size()) return Bad("map too long");
        CENOTE_ASSIGN_OR_RETURN(auto kv, Byte());
        for (std::uint64_t i = 0; i < n; ++i) {
          CENOTE_RETURN_IF_ERROR(Skip(kv >> 4, depth + 1));
          CENOTE_RETURN_IF_ERROR(Skip(kv & 0x0f, depth + 1));
        }
        return Status::Ok();
      }
      case 12:
        while (true) {
          CENOTE_ASSIGN_OR_RETURN(auto h, Byte());
          if (h == 0) return Status::Ok();
          if ((h >> 4) == 0) CENOTE_RETURN_IF_ERROR(ZigZag());  // long-form field id
          CENOTE_RETURN_IF_ERROR(Skip(h & 0x0f, depth + 1));
        }
      default:
        return Bad("unknown field type");
    }
  }
  // A struct's next field header: (field id, type); type 0 at the struct's end.
  Result<std::pair<int, int>> Field(int& last) {
    CENOTE_ASSIGN_OR_RETURN(auto h, Byte());
    if (h == 0) return std::make_pair(0, 0);
    int delta = h >> 4;
    int id = 0;
    if (delta == 0) {
      CENOTE_ASSIGN_OR_RETURN(auto z, ZigZag());
      id = static_cast<int>(z);
    } else {
      id = last + delta;
    }
    last = id;
    return std::make_pair(id, h & 0x0f);
  }
  Result<std::string> Binary() {
    CENOTE_ASSIGN_OR_RETURN(auto n, Varint());
    if (n > d_.size() - pos_) return Bad("truncated");
    std::string out(d_.substr(pos_, n));
    pos_ += n;
    return out;
  }
  // A struct's fields: `take(id, type)` reads the value of a field it knows and answers true; the others
  // are skipped. A bool field's value is its type (1 true, 2 false).
  template <typename F>
  Status Struct(F&& take, int depth) {
    if (depth > 32) return Bad("nested too deeply");
    int last = 0;
    while (true) {
      CENOTE_ASSIGN_OR_RETURN(auto f, Field(last));
      if (f.second == 0) return Status::Ok();
      CENOTE_ASSIGN_OR_RETURN(bool taken, take(f.first, f.second));
      if (!taken) CENOTE_RETURN_IF_ERROR(Skip(f.second, depth + 1));
    }
  }
  // A list's header: (element type, size).
  Result<std::pair<int, std::uint64_t>> List() {
    CENOTE_ASSIGN_OR_RETURN(auto h, Byte());
    std::uint64_t n = h >> 4;
    if (n == 15) {
      CENOTE_ASSIGN_OR_RETURN(n, Varint());
    }
    if (n > d_.size()) return Bad("list too long");
    return std::make_pair(h & 0x0f, n);
  }
  // FileMetaData: field 2 (schema, list<SchemaElement>): name (4), num_children (5), field_id (9).
  Result<std::vector<ParquetSchemaElement>> Schema() {
    int last = 0;
    while (true) {
      CENOTE_ASSIGN_OR_RETURN(auto field, Field(last));
      if (field.second == 0) return Bad("no schema");
      if (field.first != 2 || field.second != 9) {
        CENOTE_RETURN_IF_ERROR(Skip(field.second, 0));
        continue;
      }
      CENOTE_ASSIGN_OR_RETURN(auto h, Byte());
      std::uint64_t n = h >> 4;
      if (n == 15) {
        CENOTE_ASSIGN_OR_RETURN(n, Varint());
      }
      if ((h & 0x0f) != 12 || n > d_.size()) return Bad("bad schema list");
      std::vector<ParquetSchemaElement> out;
      for (std::uint64_t i = 0; i < n; ++i) {
        ParquetSchemaElement e;
        int elast = 0;
        while (true) {
          CENOTE_ASSIGN_OR_RETURN(auto f, Field(elast));
          if (f.second == 0) break;
          if (f.first == 4 && f.second == 8) {
            CENOTE_ASSIGN_OR_RETURN(e.name, Binary());
          } else if (f.first == 5 && f.second == 5) {
            CENOTE_ASSIGN_OR_RETURN(auto v, ZigZag());
            e.num_children = static_cast<int>(v);
          } else if (f.first == 9 && f.second == 5) {
            CENOTE_ASSIGN_OR_RETURN(auto v, ZigZag());
            e.field_id = static_cast<int>(v);
          } else {
            CENOTE_RETURN_IF_ERROR(Skip(f.second, 0));
          }
        }
        out.push_back(std::move(e));
      }
      return out;
    }
  }
  // FileMetaData: field 3 (num_rows, i64).
  Result<std::int64_t> NumRows() {
    int last = 0;
    while (true) {
      CENOTE_ASSIGN_OR_RETURN(auto h, Byte());
      if (h == 0) return Bad("no num_rows");
      int delta = h >> 4;
      int type = h & 0x0f;
      int id = 0;
      if (delta == 0) {
        CENOTE_ASSIGN_OR_RETURN(auto z, ZigZag());
        id = static_cast<int>(z);
      } else {
        id = last + delta;
      }
      last = id;
      if (id == 3 && type == 6) return ZigZag();
      CENOTE_RETURN_IF_ERROR(Skip(type, 0));
    }
  }

 private:
  std::string_view d_;
  std::size_t pos_ = 0;
};

}  // namespace

namespace {

Result<std::string> ReadFooter(const std::string& local_path) {
  std::ifstream in(local_path, std::ios::binary | std::ios::ate);
  if (!in) return Bad("cannot open the data file");
  auto size = static_cast<std::int64_t>(in.tellg());
  if (size < 12) return Bad("file too small");
  char tail[8];
  in.seekg(size - 8);
  in.read(tail, 8);
  if (std::memcmp(tail + 4, "PAR1", 4) != 0) return Bad("not a Parquet file");
  std::uint32_t len = 0;
  std::memcpy(&len, tail, 4);
  if (len == 0 || static_cast<std::int64_t>(len) > size - 12) return Bad("bad footer length");
  std::string meta(len, '\0');
  in.seekg(size - 8 - static_cast<std::int64_t>(len));
  in.read(meta.data(), len);
  if (!in) return Bad("cannot read the footer");
  return meta;
}

}  // namespace

Result<std::int64_t> ParquetRowCount(const std::string& local_path) {
  CENOTE_ASSIGN_OR_RETURN(auto meta, ReadFooter(local_path));
  Compact c(meta);
  return c.NumRows();
}

Result<std::vector<ParquetSchemaElement>> ParquetTopLevelColumns(const std::string& local_path) {
  CENOTE_ASSIGN_OR_RETURN(auto meta, ReadFooter(local_path));
  Compact c(meta);
  CENOTE_ASSIGN_OR_RETURN(auto all, c.Schema());
  if (all.empty()) return Bad("empty schema");
  // Depth-first: the root, then each top-level column followed by its subtree.
  std::vector<ParquetSchemaElement> out;
  std::size_t i = 1;
  for (int k = 0; k < all[0].num_children && i < all.size(); ++k) {
    out.push_back(all[i]);
    std::uint64_t pending = static_cast<std::uint64_t>(std::max(all[i].num_children, 0));
    ++i;
    while (pending > 0 && i < all.size()) {
      pending += static_cast<std::uint64_t>(std::max(all[i].num_children, 0));
      --pending;
      ++i;
    }
  }
  return out;
}

namespace {

// Whether a < b in the type-defined order of Parquet's physical type `type` (plain-encoded values of a
// valid length; ParquetColumnStats checks it).
bool PhysicalLess(int type, bool decimal, const std::string& a, const std::string& b) {
  switch (type) {
    case 0:
      return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]);
    case 1: {
      std::int32_t x = 0, y = 0;
      std::memcpy(&x, a.data(), 4);
      std::memcpy(&y, b.data(), 4);
      return x < y;
    }
    case 2: {
      std::int64_t x = 0, y = 0;
      std::memcpy(&x, a.data(), 8);
      std::memcpy(&y, b.data(), 8);
      return x < y;
    }
    case 4: {
      float x = 0, y = 0;
      std::memcpy(&x, a.data(), 4);
      std::memcpy(&y, b.data(), 4);
      return x < y;
    }
    case 5: {
      double x = 0, y = 0;
      std::memcpy(&x, a.data(), 8);
      std::memcpy(&y, b.data(), 8);
      return x < y;
    }
    case 7:
      if (decimal && !a.empty() && !b.empty()) {  // big-endian two's complement: signed
        auto sa = static_cast<unsigned char>(a[0]) ^ 0x80, sb = static_cast<unsigned char>(b[0]) ^ 0x80;
        if (sa != sb) return sa < sb;
        return a.compare(1, std::string::npos, b, 1, std::string::npos) < 0;
      }
      return a < b;  // unsigned bytes
    default:
      return a < b;  // BYTE_ARRAY: unsigned lexicographic (std::string compares as unsigned char)
  }
}

// Whether `v` is a plain-encoded value of the column's physical type (and not a NaN).
bool ValidStat(const ParquetColumnStats& c, const std::string& v) {
  switch (c.physical_type) {
    case 0:
      return v.size() == 1;
    case 1:
      return v.size() == 4;
    case 2:
      return v.size() == 8;
    case 4: {
      if (v.size() != 4) return false;
      float f = 0;
      std::memcpy(&f, v.data(), 4);
      return f == f;
    }
    case 5: {
      if (v.size() != 8) return false;
      double d = 0;
      std::memcpy(&d, v.data(), 8);
      return d == d;
    }
    case 6:
      return true;
    case 7:
      return static_cast<int>(v.size()) == c.type_length;
    default:
      return false;  // INT96: no defined order
  }
}

}  // namespace

Result<std::vector<ParquetColumnStats>> ParquetColumnStatistics(const std::string& local_path) {
  CENOTE_ASSIGN_OR_RETURN(auto meta, ReadFooter(local_path));
  Compact c(meta);
  struct Element {
    ParquetColumnStats stats;
    int num_children = 0;
  };
  struct Chunk {
    std::int64_t num_values = 0;
    std::optional<std::int64_t> null_count;
    std::optional<std::string> min, max;
  };
  std::vector<Element> schema;
  std::vector<std::vector<Chunk>> groups;
  auto element = [&](Element& e) {
    return c.Struct(
        [&](int id, int type) -> Result<bool> {
          if (type == 5 && (id == 1 || id == 2 || id == 5 || id == 6 || id == 7 || id == 9)) {
            CENOTE_ASSIGN_OR_RETURN(auto v, c.ZigZag());
            int n = static_cast<int>(v);
            (id == 1   ? e.stats.physical_type
             : id == 2 ? e.stats.type_length
             : id == 5 ? e.num_children
             : id == 6 ? e.stats.converted_type
             : id == 7 ? e.stats.scale
                       : e.stats.field_id) = n;
            return true;
          }
          if (id == 4 && type == 8) {
            CENOTE_ASSIGN_OR_RETURN(e.stats.name, c.Binary());
            return true;
          }
          if (id == 10 && type == 12) {  // LogicalType (a union)
            CENOTE_RETURN_IF_ERROR(c.Struct(
                [&](int lid, int ltype) -> Result<bool> {
                  if (lid == 5 && ltype == 12 && e.stats.converted_type < 0) e.stats.converted_type = 5;
                  if (lid != 8 || ltype != 12) return false;  // TIMESTAMP: TimestampType
                  CENOTE_RETURN_IF_ERROR(c.Struct(
                      [&](int tid, int ttype) -> Result<bool> {
                        if (tid != 2 || ttype != 12) return false;  // unit: TimeUnit (a union)
                        CENOTE_RETURN_IF_ERROR(c.Struct(
                            [&](int uid, int) -> Result<bool> {
                              e.stats.time_unit = uid;
                              return false;
                            },
                            3));
                        return true;
                      },
                      2));
                  return true;
                },
                1));
            return true;
          }
          return false;
        },
        1);
  };
  auto statistics = [&](Chunk& k) {
    return c.Struct(
        [&](int id, int type) -> Result<bool> {
          if (id == 3 && type == 6) {
            CENOTE_ASSIGN_OR_RETURN(auto v, c.ZigZag());
            k.null_count = v;
            return true;
          }
          if ((id == 5 || id == 6) && type == 8) {
            CENOTE_ASSIGN_OR_RETURN(auto v, c.Binary());
            (id == 5 ? k.max : k.min) = std::move(v);
            return true;
          }
          return false;
        },
        4);
  };
  auto column_chunk = [&](Chunk& k) {
    return c.Struct(
        [&](int id, int type) -> Result<bool> {
          if (id != 3 || type != 12) return false;  // meta_data: ColumnMetaData
          CENOTE_RETURN_IF_ERROR(c.Struct(
              [&](int mid, int mtype) -> Result<bool> {
                if (mid == 5 && mtype == 6) {
                  CENOTE_ASSIGN_OR_RETURN(k.num_values, c.ZigZag());
                  return true;
                }
                if (mid == 12 && mtype == 12) {
                  CENOTE_RETURN_IF_ERROR(statistics(k));
                  return true;
                }
                return false;
              },
              2));
          return true;
        },
        1);
  };
  CENOTE_RETURN_IF_ERROR(c.Struct(
      [&](int id, int type) -> Result<bool> {
        if (id == 2 && type == 9) {
          CENOTE_ASSIGN_OR_RETURN(auto list, c.List());
          if (list.first != 12) return Bad("bad schema list");
          for (std::uint64_t i = 0; i < list.second; ++i) {
            schema.emplace_back();
            CENOTE_RETURN_IF_ERROR(element(schema.back()));
          }
          return true;
        }
        if (id == 4 && type == 9) {
          CENOTE_ASSIGN_OR_RETURN(auto list, c.List());
          if (list.first != 12) return Bad("bad row group list");
          for (std::uint64_t i = 0; i < list.second; ++i) {
            groups.emplace_back();
            CENOTE_RETURN_IF_ERROR(c.Struct(
                [&](int gid, int gtype) -> Result<bool> {
                  if (gid != 1 || gtype != 9) return false;  // columns: list<ColumnChunk>
                  CENOTE_ASSIGN_OR_RETURN(auto chunks, c.List());
                  if (chunks.first != 12) return Bad("bad column chunk list");
                  for (std::uint64_t j = 0; j < chunks.second; ++j) {
                    groups.back().emplace_back();
                    CENOTE_RETURN_IF_ERROR(column_chunk(groups.back().back()));
                  }
                  return true;
                },
                1));
          }
          return true;
        }
        return false;
      },
      0));
  if (schema.empty()) return Bad("empty schema");
  // Depth-first: the root, then each top-level column and its subtree; leaves are the column chunks.
  std::vector<ParquetColumnStats> out;
  std::size_t i = 1, leaf = 0;
  for (int k = 0; k < schema[0].num_children && i < schema.size(); ++k) {
    if (schema[i].num_children <= 0) {
      ParquetColumnStats s = schema[i].stats;
      bool have_counts = true, have_bounds = true;
      std::int64_t nulls = 0;
      for (const auto& group : groups) {
        if (leaf >= group.size()) return Bad("a row group lacks a column chunk");
        const Chunk& chunk = group[leaf];
        s.num_values += chunk.num_values;
        if (chunk.null_count) {
          nulls += *chunk.null_count;
        } else {
          have_counts = false;
        }
        if (chunk.null_count && *chunk.null_count >= chunk.num_values) continue;  // NULLs only
        if (!chunk.min || !chunk.max || !ValidStat(s, *chunk.min) || !ValidStat(s, *chunk.max)) {
          have_bounds = false;
          continue;
        }
        const bool decimal = s.converted_type == 5;
        if (!s.min || PhysicalLess(s.physical_type, decimal, *chunk.min, *s.min)) s.min = chunk.min;
        if (!s.max || PhysicalLess(s.physical_type, decimal, *s.max, *chunk.max)) s.max = chunk.max;
      }
      if (have_counts) s.null_count = nulls;
      if (!have_bounds) {
        s.min.reset();
        s.max.reset();
      }
      out.push_back(std::move(s));
      ++i;
      ++leaf;
      continue;
    }
    std::uint64_t pending = static_cast<std::uint64_t>(schema[i].num_children);
    ++i;
    while (pending > 0 && i < schema.size()) {
      if (schema[i].num_children <= 0) ++leaf;
      pending += static_cast<std::uint64_t>(std::max(schema[i].num_children, 0));
      --pending;
      ++i;
    }
  }
  return out;
}

}  // namespace cenote::athena::iceberg
