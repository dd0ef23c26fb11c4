#include "services/glue/crawler/text_format.hpp"
#include "common/strings.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

namespace cenote::glue::crawler {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

Result<File> OpenFile(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return InternalError("cannot open " + path + ": " + std::strerror(errno));
  return f;
}

Result<TextHead> ReadPlain(std::FILE* f, std::size_t max_bytes) {
  TextHead head;
  head.text.resize(max_bytes + 1);
  std::size_t n = std::fread(head.text.data(), 1, head.text.size(), f);
  head.complete = n <= max_bytes;
  head.text.resize(std::min(n, max_bytes));
  return head;
}

Result<TextHead> ReadGzip(std::FILE* f, std::size_t max_bytes) {
  z_stream zs{};
  // 16 + MAX_WBITS: gzip framing; concatenated members are handled by resetting below.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return InternalError("inflateInit2 failed");
  std::unique_ptr<z_stream, void (*)(z_stream*)> guard(&zs, [](z_stream* z) { inflateEnd(z); });
  std::string in(kReadChunk, '\0');
  TextHead head;
  std::array<char, kReadChunk> out{};
  bool eof = false;
  bool broken = false;
  while (head.text.size() <= max_bytes && !broken) {
    if (zs.avail_in == 0) {
      std::size_t n = std::fread(in.data(), 1, in.size(), f);
      if (n == 0) {
        eof = true;
        break;
      }
      zs.next_in = reinterpret_cast<Bytef*>(in.data());
      zs.avail_in = static_cast<uInt>(n);
    }
    while (zs.avail_in > 0 && head.text.size() <= max_bytes) {
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      int rc = inflate(&zs, Z_NO_FLUSH);
      head.text.append(out.data(), out.size() - zs.avail_out);
      if (rc == Z_STREAM_END) {
        if (inflateReset(&zs) != Z_OK) broken = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        broken = true;
        break;
      } else if (rc == Z_BUF_ERROR && zs.avail_out != 0) {
        break;  // needs more input
      }
    }
  }
  if (broken && head.text.empty()) return InternalError("corrupt gzip data");
  head.complete = (eof || broken) && head.text.size() <= max_bytes;
  if (head.text.size() > max_bytes) head.text.resize(max_bytes);
  return head;
}

Result<TextHead> ReadZstd(std::FILE* f, std::size_t max_bytes) {
  std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return InternalError("ZSTD_createDCtx failed");
  std::string in(ZSTD_DStreamInSize(), '\0');
  std::string out(ZSTD_DStreamOutSize(), '\0');
  TextHead head;
  bool eof = false;
  bool broken = false;
  while (head.text.size() <= max_bytes && !broken) {
    std::size_t n = std::fread(in.data(), 1, in.size(), f);
    if (n == 0) {
      eof = true;
      break;
    }
    ZSTD_inBuffer input{in.data(), n, 0};
    while (input.pos < input.size && head.text.size() <= max_bytes) {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      std::size_t rc = ZSTD_decompressStream(ctx.get(), &output, &input);
      if (ZSTD_isError(rc)) {
        broken = true;
        break;
      }
      head.text.append(out.data(), output.pos);
    }
  }
  if (broken && head.text.empty()) return InternalError("corrupt zstd data");
  head.complete = (eof || broken) && head.text.size() <= max_bytes;
  if (head.text.size() > max_bytes) head.text.resize(max_bytes);
  return head;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A Glue column name: a single-line string (the model's pattern excludes control characters).
bool IsValidColumnName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 && c != '\t';
  });
}

}  // namespace

std::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      break;
  }
  return "none";
}

Compression DetectCompression(std::string_view head) {
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
      static_cast<unsigned char>(head[1]) == 0x8b) {
    return Compression::kGzip;
  }
  if (head.size() >= 4 && head.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4)) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

bool IsParquetMagic(std::string_view head) { return head.size() >= 4 && head.substr(0, 4) == "PAR1"; }

Result<TextHead> ReadTextHead(const std::string& path, Compression compression, std::size_t max_bytes) {
  CENOTE_ASSIGN_OR_RETURN(auto f, OpenFile(path));
  switch (compression) {
    case Compression::kGzip:
      return ReadGzip(f.get(), max_bytes);
    case Compression::kZstd:
      return ReadZstd(f.get(), max_bytes);
    case Compression::kNone:
      break;
  }
  return ReadPlain(f.get(), max_bytes);
}

std::vector<std::string> SplitRecords(std::string_view text, bool complete, std::size_t max_records) {
  std::vector<std::string> records;
  std::size_t start = 0;
  bool in_quotes = false;
  for (std::size_t i = 0; i < text.size() && records.size() < max_records; ++i) {
    char c = text[i];
    if (c == '"') {
      in_quotes = !in_quotes;
    } else if (c == '\n' && !in_quotes) {
      std::string_view rec = text.substr(start, i - start);
      if (!rec.empty() && rec.back() == '\r') rec.remove_suffix(1);
      if (!Trim(rec).empty()) records.emplace_back(rec);
      start = i + 1;
    }
  }
  if (complete && start < text.size() && records.size() < max_records) {
    std::string_view rec = text.substr(start);
    if (!rec.empty() && rec.back() == '\r') rec.remove_suffix(1);
    if (!Trim(rec).empty()) records.emplace_back(rec);
  }
  return records;
}

std::vector<std::string> SplitFields(std::string_view record, char delimiter, bool* quoted) {
  std::vector<std::string> fields;
  std::string field;
  bool in_quotes = false;
  bool field_quoted = false;
  for (std::size_t i = 0; i < record.size(); ++i) {
    char c = record[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < record.size() && record[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        field.push_back(c);
      }
    } else if (c == delimiter) {
      fields.push_back(std::move(field));
      field.clear();
      field_quoted = false;
    } else if (c == '"' && std::string_view(Trim(field)).empty() && !field_quoted) {
      in_quotes = true;
      field_quoted = true;
      field.clear();
      if (quoted != nullptr) *quoted = true;
    } else {
      field.push_back(c);
    }
  }
  fields.push_back(std::move(field));
  return fields;
}

bool IsJsonLines(const std::vector<std::string>& records) {
  if (records.empty()) return false;
  for (const auto& r : records) {
    std::string_view t = Trim(r);
    if (t.empty() || t.front() != '{') return false;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(t, ec);
    if (ec || !v.is_object()) return false;
  }
  return true;
}

ValueType ClassifyValue(std::string_view raw) {
  std::string_view v = Trim(raw);
  if (v.empty()) return ValueType::kEmpty;
  std::string lower = AsciiLower(v);
  if (lower == "true" || lower == "false") return ValueType::kBoolean;
  std::size_t i = 0;
  if (v[0] == '-' || v[0] == '+') i = 1;
  if (i == v.size()) return ValueType::kString;
  bool digits = false, dot = false, exp = false;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !dot && !exp) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digits && !exp && i + 1 < v.size()) {
      exp = true;
      if (v[i + 1] == '-' || v[i + 1] == '+') ++i;
      if (i + 1 >= v.size()) return ValueType::kString;
    } else {
      return ValueType::kString;
    }
  }
  if (!digits) return ValueType::kString;
  if (!dot && !exp) {
    // Past 18 digits a value may not fit a bigint: the classifier calls it a string.
    std::size_t n = v.size() - ((v[0] == '-' || v[0] == '+') ? 1 : 0);
    return n <= 18 ? ValueType::kBigint : ValueType::kString;
  }
  return ValueType::kDouble;
}

bool HasHeader(const std::vector<std::vector<std::string>>& rows) {
  if (rows.size() < 2) return false;
  const auto& first = rows[0];
  for (std::size_t c = 0; c < first.size(); ++c) {
    std::string_view name = Trim(first[c]);
    bool last = c + 1 == first.size();
    if (name.empty()) {
      if (!last) return false;
      continue;
    }
    if (ClassifyValue(name) != ValueType::kString) return false;
    if (!last && name.size() >= 150) return false;
    if (!IsValidColumnName(name)) return false;
  }
  for (std::size_t r = 1; r < rows.size(); ++r) {
    for (const auto& value : rows[r]) {
      ValueType t = ClassifyValue(value);
      if (t != ValueType::kString && t != ValueType::kEmpty) return true;
    }
  }
  return false;
}

std::vector<std::string> NormalizeColumnNames(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string name = AsciiLower(Trim(names[i]));
    if (name.empty()) name = "col" + std::to_string(i);
    std::string unique = name;
    for (int n = 1; seen.count(unique) > 0; ++n) unique = name + "_" + std::to_string(n);
    seen.insert(unique);
    out.push_back(std::move(unique));
  }
  return out;
}

std::optional<CsvDialect> DetectCsv(const std::vector<std::string>& records) {
  if (records.size() < 2) return std::nullopt;
  // The built-in classifier's delimiters, in the order it tries them.
  static constexpr std::array<char, 5> kDelimiters = {',', '|', '\t', ';', '\x01'};
  std::optional<CsvDialect> best;
  std::size_t best_columns = 0;
  std::vector<std::vector<std::string>> best_rows;
  for (char delim : kDelimiters) {
    std::vector<std::vector<std::string>> rows;
    bool quoted = false;
    std::size_t columns = 0;
    bool consistent = true;
    for (const auto& r : records) {
      auto fields = SplitFields(r, delim, &quoted);
      if (rows.empty()) columns = fields.size();
      if (fields.size() != columns) {
        consistent = false;
        break;
      }
      rows.push_back(std::move(fields));
    }
    if (!consistent || columns < 2 || columns <= best_columns) continue;
    best_columns = columns;
    best = CsvDialect{delim, false, quoted, {}};
    best_rows = std::move(rows);
  }
  if (!best) return std::nullopt;
  best->header = HasHeader(best_rows);
  if (best->header) {
    best->column_names = NormalizeColumnNames(best_rows[0]);
  } else {
    for (std::size_t i = 0; i < best_columns; ++i) best->column_names.push_back("col" + std::to_string(i));
  }
  return best;
}

}  // namespace cenote::glue::crawler
