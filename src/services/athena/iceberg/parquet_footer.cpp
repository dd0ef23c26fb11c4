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

}  // namespace cenote::athena::iceberg
