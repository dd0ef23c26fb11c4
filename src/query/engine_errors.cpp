// DuckDB's messages as Athena's errors, and the cleaning of every message a client sees (engine_errors.hpp).
#include "query/engine_errors.hpp"

#include <string_view>

namespace cenote::query::internal {

namespace {

// "line L:C: " for a byte offset into `sql`.
std::string LinePrefix(const std::string& sql, std::size_t offset) {
  int line = 1;
  int col = 1;
  for (std::size_t i = 0; i < sql.size() && i < offset; ++i) {
    if (sql[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ":" + std::to_string(col) + ": ";
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// Keeps valid UTF-8 and replaces anything else (control characters, broken sequences) with '?', so
// a message about a binary file can still travel in a JSON error body.
std::string SanitizeUtf8(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool valid = len > 0 && i + len <= in.size();
    for (std::size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(in[i + k]) >> 6) == 0x2;
    if (!valid || (len == 1 && (c < 0x20 || c == 0x7f))) {
      out += (len == 1 && (c == '\n' || c == '\t')) ? ' ' : '?';
      ++i;
      continue;
    }
    out.append(in, i, len);
    i += len;
  }
  return out;
}

}  // namespace

Error EngineError(const std::string& message) {
  return MakeError("INTERNAL_ERROR_QUERY_ENGINE", message, 500);
}

Error ErrorFromDuckDb(const char* raw) {
  std::string message = raw != nullptr ? raw : "Query failed";
  if (auto line = message.find("\n\nLINE "); line != std::string::npos) message.erase(line);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  // DuckDB's error kinds, first match wins: a Binder Error about a column is COLUMN_NOT_FOUND, any other
  // Binder Error a TYPE_MISMATCH.
  struct Kind {
    const char* prefix;
    const char* contains;
    const char* code;
  };
  static const Kind kKinds[] = {
      {"Binder Error: ", "column", "COLUMN_NOT_FOUND"},
      {"Binder Error: ", "No function matches", "FUNCTION_NOT_FOUND"},
      {"Binder Error: ", "", "TYPE_MISMATCH"},
      {"Catalog Error: ", "Function with name", "FUNCTION_NOT_FOUND"},
      {"Catalog Error: ", "", "TABLE_NOT_FOUND"},
      {"Conversion Error: ", "", "INVALID_CAST_ARGUMENT"},
      {"Out of Range Error: ", "", "NUMERIC_VALUE_OUT_OF_RANGE"},
      {"Out of Memory Error: ", "", "EXCEEDED_LOCAL_MEMORY_LIMIT"},
      {"Invalid Input Error: ", "", "HIVE_BAD_DATA"},
      {"IO Error: ", "", "HIVE_CURSOR_ERROR"},
      {"Permission Error: ", "", "PERMISSION_DENIED"},
      {"Parser Error: ", "", "SYNTAX_ERROR"},
      {"Not implemented Error: ", "", "NOT_SUPPORTED"},
  };
  if (message.find("Division by zero") != std::string::npos)
    return MakeError("DIVISION_BY_ZERO", "DIVISION_BY_ZERO: Division by zero", 400);
  for (const Kind& k : kKinds) {
    std::string_view prefix(k.prefix);
    if (message.compare(0, prefix.size(), prefix) != 0) continue;
    if (*k.contains != '\0' && message.find(k.contains) == std::string::npos) continue;
    std::string body = message.substr(prefix.size());
    if (std::string_view(k.code) == "EXCEEDED_LOCAL_MEMORY_LIMIT")
      body = "Query exhausted resources at this scale factor (" + body + ")";
    return MakeError(k.code, std::string(k.code) + ": " + body, 400);
  }
  return MakeError("GENERIC_INTERNAL_ERROR", "GENERIC_INTERNAL_ERROR: " + message, 400);
}

Error CancelledError() { return MakeError("CANCELLED", "Query was cancelled"); }

Error TimeoutError(std::chrono::milliseconds timeout) {
  return MakeError("TIMEOUT", "Query timeout: the query ran longer than " + std::to_string(timeout.count()) +
                                  " ms and was stopped");
}

Error SyntaxErrorAt(const std::string& sql, std::size_t offset, const std::string& message) {
  return MakeError("SYNTAX_ERROR", "SYNTAX_ERROR: " + LinePrefix(sql, offset) + message);
}

std::string ScrubPaths(std::string m, const std::vector<std::pair<std::string, std::string>>& file_names,
                       const std::vector<std::string>& private_prefixes) {
  for (const auto& [path, name] : file_names) ReplaceAll(m, path, name);
  for (const std::string& prefix : private_prefixes) {
    for (std::size_t pos = m.find(prefix); pos != std::string::npos; pos = m.find(prefix, pos)) {
      std::size_t end = m.find_first_of(" '\"\n,;)]}", pos);
      m.replace(pos, end == std::string::npos ? std::string::npos : end - pos, "(data file)");
    }
  }
  return m;
}

Error CleanError(Error error, const std::vector<std::pair<std::string, std::string>>& file_names,
                 const std::vector<std::string>& private_prefixes) {
  std::string& m = error.message;
  // One line, as Athena's StateChangeReason: DuckDB's hints and reader settings follow a blank line.
  if (auto cut = m.find("\n\n"); cut != std::string::npos) m.erase(cut);
  std::string joined;
  std::size_t start = 0;
  while (start <= m.size()) {
    std::size_t end = m.find('\n', start);
    std::string line = m.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.rfind("Original Line:", 0) != 0 && !line.empty()) joined += (joined.empty() ? "" : " ") + line;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  m = SanitizeUtf8(ScrubPaths(std::move(joined), file_names, private_prefixes));
  return error;
}

}  // namespace cenote::query::internal
