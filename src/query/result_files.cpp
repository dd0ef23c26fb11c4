#include "query/result_files.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>

#include "common/encoding.hpp"

namespace cenote::query {

namespace json = boost::json;

std::string SerializeResultMetadata(const ResultMetadata& meta) {
  json::object o;
  o["version"] = 1;
  o["format"] = meta.format;
  o["header"] = meta.header;
  o["update_count"] = meta.update_count;
  json::array cols;
  for (const auto& c : meta.columns) {
    cols.push_back(
        json::object{{"name", c.name}, {"type", c.type}, {"precision", c.precision}, {"scale", c.scale}});
  }
  o["columns"] = std::move(cols);
  return json::serialize(o);
}

Result<ResultMetadata> ParseResultMetadata(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return InternalError("query result metadata is not valid JSON");
  const auto& o = v.as_object();
  ResultMetadata meta;
  if (auto* f = o.if_contains("format"); f && f->is_string()) meta.format = std::string(f->as_string());
  if (auto* h = o.if_contains("header"); h && h->is_bool()) meta.header = h->as_bool();
  if (auto* u = o.if_contains("update_count"); u && u->is_int64()) meta.update_count = u->as_int64();
  if (auto* cols = o.if_contains("columns"); cols && cols->is_array()) {
    for (const auto& c : cols->as_array()) {
      if (!c.is_object()) return InternalError("query result metadata has a malformed column");
      const auto& co = c.as_object();
      ResultColumn rc;
      if (auto* n = co.if_contains("name"); n && n->is_string()) rc.name = std::string(n->as_string());
      if (auto* t = co.if_contains("type"); t && t->is_string()) rc.type = std::string(t->as_string());
      if (auto* p = co.if_contains("precision"); p && p->is_int64())
        rc.precision = static_cast<int>(p->as_int64());
      if (auto* s = co.if_contains("scale"); s && s->is_int64()) rc.scale = static_cast<int>(s->as_int64());
      meta.columns.push_back(std::move(rc));
    }
  }
  if (meta.format != "csv" && meta.format != "txt")
    return InternalError("query result metadata has a bad format");
  return meta;
}

namespace {

// Buffered byte reader with position tracking.
class ByteReader {
 public:
  explicit ByteReader(std::FILE* f, std::uint64_t offset) : f_(f), pos_(offset) {}
  int Get() {
    if (i_ == n_) {
      n_ = std::fread(buf_, 1, sizeof(buf_), f_);
      i_ = 0;
      if (n_ == 0) return EOF;
    }
    ++pos_;
    return static_cast<unsigned char>(buf_[i_++]);
  }
  int Peek() {
    if (i_ == n_) {
      n_ = std::fread(buf_, 1, sizeof(buf_), f_);
      i_ = 0;
      if (n_ == 0) return EOF;
    }
    return static_cast<unsigned char>(buf_[i_]);
  }
  std::uint64_t pos() const { return pos_; }

 private:
  std::FILE* f_;
  char buf_[65536];
  std::size_t n_ = 0;
  std::size_t i_ = 0;
  std::uint64_t pos_;
};

// One CSV record; false at end of file (no record).
bool ReadCsvRecord(ByteReader& in, ResultRow& row) {
  row.clear();
  if (in.Peek() == EOF) return false;
  while (true) {
    int c = in.Peek();
    if (c == '"') {
      in.Get();
      std::string value;
      while (true) {
        int d = in.Get();
        if (d == EOF) break;
        if (d == '"') {
          if (in.Peek() == '"') {
            in.Get();
            value += '"';
            continue;
          }
          break;
        }
        value += static_cast<char>(d);
      }
      // Anything between the closing quote and the separator is kept (lenient, like most readers).
      while (in.Peek() != ',' && in.Peek() != '\n' && in.Peek() != EOF) {
        int d = in.Get();
        if (d == '\r' && in.Peek() == '\n') continue;
        value += static_cast<char>(d);
      }
      row.emplace_back(std::move(value));
    } else {
      std::string value;
      while (in.Peek() != ',' && in.Peek() != '\n' && in.Peek() != EOF) value += static_cast<char>(in.Get());
      if (!value.empty() && value.back() == '\r') value.pop_back();
      if (value.empty()) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::move(value));
      }
    }
    int sep = in.Get();
    if (sep == ',') continue;
    return true;  // '\n' or EOF
  }
}

bool ReadTxtRecord(ByteReader& in, int columns, ResultRow& row) {
  row.clear();
  if (in.Peek() == EOF) return false;
  std::string line;
  while (true) {
    int c = in.Get();
    if (c == EOF || c == '\n') break;
    line += static_cast<char>(c);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (columns <= 1) {
    row.emplace_back(std::move(line));
    return true;
  }
  std::size_t start = 0;
  for (int i = 0; i < columns - 1; ++i) {
    std::size_t tab = line.find('\t', start);
    if (tab == std::string::npos) break;
    row.emplace_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  row.emplace_back(line.substr(start));
  return true;
}

}  // namespace

namespace {

// Reads from `f` (closed here) positioned at its start.
Result<ResultPage> ReadRowsAndClose(std::FILE* f, const std::string& format, int columns,
                                    std::uint64_t offset, int max_rows) {
  if (offset > 0 && std::fseek(f, static_cast<long>(offset), SEEK_SET) != 0) {
    std::fclose(f);
    return InternalError("cannot seek in query result file");
  }
  auto reader = std::make_unique<ByteReader>(f, offset);
  ResultPage page;
  ResultRow row;
  bool csv = format == "csv";
  while (static_cast<int>(page.rows.size()) < max_rows) {
    bool got = csv ? ReadCsvRecord(*reader, row) : ReadTxtRecord(*reader, columns, row);
    if (!got) break;
    page.rows.push_back(std::move(row));
  }
  page.next_offset = reader->pos();
  page.at_end = reader->Peek() == EOF;
  std::fclose(f);
  return page;
}

}  // namespace

Result<ResultPage> ReadResultRows(const std::string& path, const std::string& format, int columns,
                                  std::uint64_t offset, int max_rows) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return InternalError("cannot open query result file");
  return ReadRowsAndClose(f, format, columns, offset, max_rows);
}

Result<ResultPage> ReadResultRowsFrom(std::string_view content, const std::string& format, int columns,
                                      std::uint64_t offset, int max_rows) {
  if (content.empty() || offset >= content.size()) return ResultPage{};  // no rows, at the end
  // fmemopen reads the buffer in place ("rb": never written).
  std::FILE* f = ::fmemopen(const_cast<char*>(content.data()), content.size(), "rb");
  if (f == nullptr) return InternalError("cannot read query result");
  return ReadRowsAndClose(f, format, columns, offset, max_rows);
}

std::string CsvLine(const ResultRow& row) {
  std::string out;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ',';
    if (!row[i]) continue;
    out += '"';
    for (char c : *row[i]) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += '\n';
  return out;
}

std::string EncodeResultToken(const std::string& query_execution_id, std::uint64_t offset) {
  std::string plain = "r1:" + std::to_string(offset) + ":" + Sha256Hex(query_execution_id).substr(0, 16);
  return Base64Encode(plain);
}

std::optional<std::uint64_t> DecodeResultToken(const std::string& query_execution_id,
                                               const std::string& token) {
  auto plain = Base64Decode(token);
  if (!plain || plain->rfind("r1:", 0) != 0) return std::nullopt;
  auto colon = plain->find(':', 3);
  if (colon == std::string::npos) return std::nullopt;
  std::string num = plain->substr(3, colon - 3);
  if (num.empty() || num.size() > 19) return std::nullopt;
  for (char c : num) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  if (plain->substr(colon + 1) != Sha256Hex(query_execution_id).substr(0, 16)) return std::nullopt;
  return std::stoull(num);
}

}  // namespace cenote::query
