#include "services/athena/iceberg/parquet_footer.hpp"

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

Result<std::int64_t> ParquetRowCount(const std::string& local_path) {
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
  Compact c(meta);
  return c.NumRows();
}

}  // namespace cenote::athena::iceberg
