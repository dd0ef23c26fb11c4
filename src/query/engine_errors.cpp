// DuckDB's messages as Athena's errors, and the cleaning of every message a client sees (engine_errors.hpp).
#include "query/engine_errors.hpp"

#include <cctype>
#include <optional>
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

// A token of the user's SQL outside string literals and comments: identifiers lowercased (quotes removed),
// numbers, and single punctuation characters.
struct Token {
  std::size_t at = 0;
  char kind = 'p';  // 'i' identifier, 'n' number, 'p' punctuation
  std::string text;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<Token> Tokenize(const std::string& sql) {
  std::vector<Token> out;
  const std::size_t n = sql.size();
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (std::size_t i = 0; i < n;) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const std::size_t end = sql.find("*/", i + 2);
      i = end == std::string::npos ? n : end + 2;
    } else if (c == '\'') {
      for (++i; i < n; ++i) {
        if (sql[i] == '\'' && i + 1 < n && sql[i + 1] == '\'') {
          ++i;
        } else if (sql[i] == '\'') {
          ++i;
          break;
        }
      }
    } else if (c == '"') {
      Token t{i, 'i', ""};
      for (++i; i < n; ++i) {
        if (sql[i] == '"' && i + 1 < n && sql[i + 1] == '"') {
          t.text += '"';
          ++i;
        } else if (sql[i] == '"') {
          ++i;
          break;
        } else {
          t.text += sql[i];
        }
      }
      t.text = Lower(t.text);
      out.push_back(std::move(t));
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      Token t{i, 'n', ""};
      while (i < n && (ident_char(sql[i]) || sql[i] == '.')) t.text += sql[i++];
      out.push_back(std::move(t));
    } else if (ident_char(c)) {
      Token t{i, 'i', ""};
      while (i < n && ident_char(sql[i])) t.text += sql[i++];
      t.text = Lower(t.text);
      out.push_back(std::move(t));
    } else {
      out.push_back(Token{i, 'p', std::string(1, c)});
      ++i;
    }
  }
  return out;
}

// The offset of the first use of the dotted name `name` in `sql` (a whole name: not the tail of a longer
// dotted one, nor its head unless `head`); with `call`, only where it is called ("name("). npos when it is
// not there.
std::size_t FindName(const std::string& sql, const std::string& name, bool call, bool head = false) {
  std::vector<std::string> parts;
  for (std::size_t at = 0; at <= name.size();) {
    std::size_t dot = name.find('.', at);
    if (dot == std::string::npos) dot = name.size();
    parts.push_back(Lower(name.substr(at, dot - at)));
    at = dot + 1;
  }
  const std::vector<Token> tokens = Tokenize(sql);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0 && tokens[i - 1].text == ".") continue;
    std::size_t k = i;
    bool match = true;
    for (std::size_t p = 0; p < parts.size() && match; ++p) {
      if (p > 0) {
        match = k < tokens.size() && tokens[k].text == ".";
        ++k;
      }
      match = match && k < tokens.size() && tokens[k].kind == 'i' && tokens[k].text == parts[p];
      ++k;
    }
    if (!match) continue;
    if (!head && k < tokens.size() && tokens[k].text == ".") continue;  // a longer dotted name
    if (call != (k < tokens.size() && tokens[k].text == "(")) continue;
    return tokens[i].at;
  }
  return std::string::npos;
}

// "line L:C: " for `name` in `sql`, or nothing when it is not found.
std::string PositionOf(const std::string& sql, const std::string& name, bool call, bool head = false) {
  const std::size_t at = FindName(sql, name, call, head);
  return at == std::string::npos ? std::string() : LinePrefix(sql, at);
}

// The text between the first pair of double quotes after `from` in `s`.
std::optional<std::string> Quoted(const std::string& s, std::size_t from = 0) {
  const std::size_t a = s.find('"', from);
  if (a == std::string::npos) return std::nullopt;
  const std::size_t b = s.find('"', a + 1);
  if (b == std::string::npos) return std::nullopt;
  return s.substr(a + 1, b - a - 1);
}

// A DuckDB type name as Trino prints it.
std::string TrinoType(std::string t) {
  while (!t.empty() && t.back() == ' ') t.pop_back();
  while (!t.empty() && t.front() == ' ') t.erase(0, 1);
  if (t.size() > 2 && t.ends_with("[]")) return "array(" + TrinoType(t.substr(0, t.size() - 2)) + ")";
  static const std::pair<const char*, const char*> kNames[] = {
      {"VARCHAR", "varchar"},
      {"STRING_LITERAL", "varchar"},
      {"INTEGER", "integer"},
      {"INTEGER_LITERAL", "integer"},
      {"INT32", "integer"},
      {"BIGINT", "bigint"},
      {"INT64", "bigint"},
      {"SMALLINT", "smallint"},
      {"INT16", "smallint"},
      {"TINYINT", "tinyint"},
      {"INT8", "tinyint"},
      {"DOUBLE", "double"},
      {"FLOAT", "real"},
      {"BOOLEAN", "boolean"},
      {"BOOL", "boolean"},
      {"DATE", "date"},
      {"TIMESTAMP", "timestamp(3)"},
      {"TIMESTAMP WITH TIME ZONE", "timestamp(3) with time zone"},
      {"STRUCT(__cenote_instant TIMESTAMP WITH TIME ZONE, __cenote_zone VARCHAR)",
       "timestamp(3) with time zone"},
      {"STRUCT(__cenote_instant_ns TIMESTAMP_NS, __cenote_zone VARCHAR)", "timestamp(9) with time zone"},
      {"TIME", "time(3)"},
      {"BLOB", "varbinary"},
      {"INTERVAL", "interval day to second"},
      {"JSON", "json"},
      {"UUID", "uuid"},
      {"HUGEINT", "decimal(38,0)"},
      {"\"NULL\"", "unknown"},
      {"NULL", "unknown"},
  };
  for (const auto& [from, to] : kNames) {
    if (t == from) return to;
  }
  return Lower(t);
}

// "A, B" of DuckDB type names as Trino's "a, b".
std::string TrinoTypes(const std::string& list) {
  std::string out;
  int depth = 0;
  std::string current;
  auto flush = [&]() {
    if (current.find_first_not_of(' ') == std::string::npos) return;
    out += (out.empty() ? "" : ", ") + TrinoType(current);
    current.clear();
  };
  for (char c : list) {
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (c == ',' && depth == 0) {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

// DuckDB's name for a function the dialect calls in the user's name's place.
std::string UserFunctionName(std::string name) {
  constexpr std::string_view kInternal = "__cenote_";
  if (name.starts_with(kInternal)) name.erase(0, kInternal.size());
  return name;
}

// "Could not convert string 'x' to INT32" as Trino's cast failure for the same target.
std::optional<std::string> TrinoCastMessage(const std::string& body) {
  constexpr std::string_view kPrefix = "Could not convert string '";
  if (!body.starts_with(kPrefix)) return std::nullopt;
  const std::size_t end = body.rfind("' to ");
  if (end == std::string::npos || end < kPrefix.size()) return std::nullopt;
  const std::string value = body.substr(kPrefix.size(), end - kPrefix.size());
  std::string target = body.substr(end + 5);
  if (const std::size_t cut = target.find(' '); cut != std::string::npos) target.erase(cut);
  static const std::pair<const char*, const char*> kTargets[] = {
      {"INT32", "INT"},     {"INT64", "BIGINT"}, {"INT16", "SMALLINT"}, {"INT8", "TINYINT"},
      {"DOUBLE", "DOUBLE"}, {"FLOAT", "REAL"},   {"BOOL", "BOOLEAN"},
  };
  for (const auto& [from, to] : kTargets) {
    if (target == from) return "Cannot cast '" + value + "' to " + to;
  }
  return std::nullopt;
}

// The ordinal of a `clause` ("group" / "order") that is out of 1..n in `sql`, and where it is.
std::optional<std::pair<std::string, std::size_t>> BadOrdinal(const std::string& sql,
                                                              const std::string& clause, long n) {
  const std::vector<Token> t = Tokenize(sql);
  for (std::size_t i = 0; i + 1 < t.size(); ++i) {
    if (t[i].kind != 'i' || t[i].text != clause || t[i + 1].text != "by") continue;
    for (std::size_t k = i + 2; k < t.size(); ++k) {
      if (t[k].kind == 'n') {
        const long v = std::strtol(t[k].text.c_str(), nullptr, 10);
        const bool alone = (k + 1 >= t.size() || t[k + 1].text == "," || t[k + 1].kind == 'i' ||
                            t[k + 1].text == ")" || t[k + 1].text == ";") &&
                           (t[k - 1].text == "," || t[k - 1].text == "by");
        if (alone && (v < 1 || v > n)) return std::make_pair(t[k].text, t[k].at);
      } else if (t[k].kind == 'i' && (t[k].text == "having" || t[k].text == "limit" || t[k].text == "order" ||
                                      t[k].text == "window" || t[k].text == "offset")) {
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Error InAthenaWords(Error error, const std::string& sql) {
  // The engine's messages start with their code; the table resolver's do not (Athena adds it).
  const std::string prefix = error.code + ": ";
  const bool coded = error.message.starts_with(prefix);
  const std::string body = coded ? error.message.substr(prefix.size()) : error.message;
  auto reworded = [&](std::string code, const std::string& position, const std::string& text) {
    error.code = std::move(code);
    error.message = (coded ? error.code + ": " : std::string()) + position + text;
    return error;
  };
  if (error.code == "COLUMN_NOT_FOUND") {
    std::optional<std::string> name;
    if (body.starts_with("Referenced column \"")) {
      name = Quoted(body);
    } else if (body.find("\" does not have a column named \"") != std::string::npos) {
      auto table = Quoted(body);
      auto column = Quoted(body, body.find("named"));
      if (table && column) name = *table + "." + *column;
    } else if (body.starts_with("column \"") &&
               body.find("must appear in the GROUP BY") != std::string::npos) {
      auto column = Quoted(body);
      if (column) {
        return reworded("EXPRESSION_NOT_AGGREGATE", PositionOf(sql, *column, false),
                        "'" + *column + "' must be an aggregate expression or appear in GROUP BY clause");
      }
    }
    if (name) {
      return reworded(
          "COLUMN_NOT_FOUND", PositionOf(sql, *name, false),
          "Column '" + *name +
              "' cannot be resolved or requester is not authorized to access requested resources");
    }
    return error;
  }
  if (error.code == "FUNCTION_NOT_FOUND") {
    for (std::string_view kind : {"Scalar Function with name ", "Aggregate Function with name ",
                                  "Table Function with name ", "Function with name "}) {
      if (!body.starts_with(kind)) continue;
      const std::size_t end = body.find(' ', kind.size());
      const std::string name = UserFunctionName(body.substr(kind.size(), end - kind.size()));
      return reworded("FUNCTION_NOT_FOUND", PositionOf(sql, name, true),
                      "Function '" + name + "' not registered");
    }
  }
  constexpr std::string_view kNoMatch = "No function matches the given name and argument types '";
  constexpr std::string_view kNoBest = "Could not choose a best candidate function for the function call \"";
  if ((error.code == "FUNCTION_NOT_FOUND" && body.starts_with(kNoMatch)) ||
      (error.code == "TYPE_MISMATCH" && body.starts_with(kNoBest))) {
    const std::size_t skip = body.starts_with(kNoMatch) ? kNoMatch.size() : kNoBest.size();
    const std::size_t open = body.find('(', skip);
    const std::size_t close =
        body.find(body.starts_with(kNoMatch) ? ")'" : ")\"", open == std::string::npos ? 0 : open);
    if (open == std::string::npos || close == std::string::npos) return error;
    const std::string name = UserFunctionName(body.substr(skip, open - skip));
    const std::string arguments = TrinoTypes(body.substr(open + 1, close - open - 1));
    // An arithmetic operator over types it does not take (varchar + integer): Trino's analyzer says
    // TYPE_MISMATCH "Cannot apply operator", at the operator when the statement has it only once.
    if ((name == "+" || name == "-" || name == "*" || name == "%") &&
        arguments.find(", ") != std::string::npos && arguments.find(", ") == arguments.rfind(", ")) {
      const std::size_t comma = arguments.find(", ");
      std::string position;
      std::size_t at = std::string::npos, count = 0;
      for (std::size_t i = 0; i < sql.size(); ++i) {
        if (sql[i] == '\'' || sql[i] == '"') {  // skip quoted text
          const char q = sql[i];
          for (++i; i < sql.size() && sql[i] != q; ++i) {
          }
          continue;
        }
        if (sql[i] == name[0]) {
          at = i;
          ++count;
        }
      }
      if (count == 1) position = LinePrefix(sql, at);
      return reworded("TYPE_MISMATCH", position,
                      "Cannot apply operator: " + arguments.substr(0, comma) + " " + name + " " +
                          arguments.substr(comma + 2));
    }
    std::string text = "Unexpected parameters (" + arguments + ") for function " + name + ".";
    // DuckDB lists the candidates one per line: "\tf(A, B) -> R".
    std::string expected;
    if (std::size_t at = body.find("Candidate functions:"); at != std::string::npos) {
      for (std::size_t line = body.find('\n', at); line != std::string::npos;
           line = body.find('\n', line + 1)) {
        std::size_t start = line + 1;
        while (start < body.size() && (body[start] == '\t' || body[start] == ' ')) ++start;
        const std::size_t stop = body.find('\n', start);
        std::string candidate =
            body.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
        const std::size_t p = candidate.find('(');
        const std::size_t q = candidate.rfind(')');
        if (p == std::string::npos || q == std::string::npos || q < p) continue;
        // Overloads on types Trino does not have (unsigned, HUGEINT, BIT, ...) are DuckDB's alone.
        const std::string args = candidate.substr(p + 1, q - p - 1);
        bool duckdb_only = false;
        for (std::string_view t : {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "HUGEINT",
                                   "BIT", "VARINT", "UNION", "ANY"}) {
          for (std::size_t f = args.find(t); f != std::string::npos; f = args.find(t, f + 1)) {
            const bool left = f == 0 || !std::isalnum(static_cast<unsigned char>(args[f - 1]));
            const std::size_t r = f + t.size();
            const bool right = r >= args.size() || !std::isalnum(static_cast<unsigned char>(args[r]));
            if (left && right) duckdb_only = true;
          }
        }
        if (duckdb_only) continue;
        expected += (expected.empty() ? "" : ", ") + name + "(" +
                    TrinoTypes(candidate.substr(p + 1, q - p - 1)) + ")";
      }
    }
    if (!expected.empty()) text += " Expected: " + expected;
    return reworded("FUNCTION_NOT_FOUND", PositionOf(sql, name, true), text);
  }
  if (error.code == "TYPE_MISMATCH" && body.starts_with("@")) {
    // __cenote_check_types's "@<offset>|<text>@ <message>" (trino_functions_types.cpp): the offset into the
    // parsed text (empty when the node had none) and what the text holds there (the operator, BETWEEN, a
    // literal or column name; empty when unknown). That is the user's text unless Trino-only syntax was
    // rewritten first; a position where the user's text does not have it (case aside) is left out.
    const std::size_t end = body.find("@ ", 1);
    const std::size_t bar = body.find('|', 1);
    if (end == std::string::npos || bar == std::string::npos || bar > end) return error;
    const std::string offset = body.substr(1, bar - 1);
    const std::string op = body.substr(bar + 1, end - bar - 1);
    std::string position;
    if (!offset.empty() && offset.size() < 10 &&
        offset.find_first_not_of("0123456789") == std::string::npos) {
      const std::size_t at = std::stoul(offset);
      bool same = !op.empty() && at + op.size() <= sql.size();
      for (std::size_t i = 0; same && i < op.size(); ++i)
        same = std::tolower(static_cast<unsigned char>(sql[at + i])) ==
               std::tolower(static_cast<unsigned char>(op[i]));
      if (same) position = LinePrefix(sql, at);
    }
    return reworded("TYPE_MISMATCH", position, body.substr(end + 2));
  }
  if (error.code == "TYPE_MISMATCH") {
    for (const auto& [duck, clause] :
         {std::pair<std::string, std::string>{"GROUP BY term out of range", "group"},
          std::pair<std::string, std::string>{"ORDER term out of range", "order"}}) {
      if (!body.starts_with(duck)) continue;
      const std::size_t and_at = body.rfind(" and ");
      const long n = and_at == std::string::npos ? 0 : std::strtol(body.c_str() + and_at + 5, nullptr, 10);
      auto bad = BadOrdinal(sql, clause, n);
      if (!bad) return error;
      return reworded("INVALID_COLUMN_REFERENCE", LinePrefix(sql, bad->second),
                      std::string(clause == "group" ? "GROUP BY" : "ORDER BY") + " position " + bad->first +
                          " is not in select list");
    }
    return error;
  }
  if (error.code == "INVALID_CAST_ARGUMENT") {
    if (auto text = TrinoCastMessage(body)) return reworded("INVALID_CAST_ARGUMENT", "", *text);
    return error;
  }
  if ((error.code == "TABLE_NOT_FOUND" || error.code == "SCHEMA_NOT_FOUND" || error.code == "INVALID_VIEW") &&
      !body.starts_with("line ")) {
    // "Table 'awsdatacatalog.db.t' does not exist" / "Schema 'db' does not exist" / "Failed analyzing stored
    // view 'awsdatacatalog.db.v': ...": where the statement names it.
    const std::size_t a = body.find('\'');
    const std::size_t b = a == std::string::npos ? std::string::npos : body.find('\'', a + 1);
    if (b == std::string::npos) return error;
    std::string name = body.substr(a + 1, b - a - 1);
    std::string position;
    // The most qualified form the statement may use first: catalog.db.t, db.t, t.
    const bool schema = error.code == "SCHEMA_NOT_FOUND";
    for (std::size_t dot = 0; position.empty() && dot != std::string::npos;) {
      position = PositionOf(sql, name, false, schema);
      dot = name.find('.');
      if (dot != std::string::npos) name.erase(0, dot + 1);
    }
    return reworded(error.code, position, body);
  }
  return error;
}

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
  // The dialect's error('CODE: ...') calls and its C functions' errors carry Trino's code.
  constexpr std::string_view kRaised = "Invalid Input Error: ";
  // Only the codes the dialect raises: any other "Invalid Input Error: X_Y: ..." is DuckDB's own text.
  for (std::string_view code : {"INVALID_FUNCTION_ARGUMENT", "INVALID_CAST_ARGUMENT", "NOT_SUPPORTED"}) {
    if (message.starts_with(kRaised) && message.compare(kRaised.size(), code.size(), code) == 0 &&
        message.compare(kRaised.size() + code.size(), 2, ": ") == 0)
      return MakeError(std::string(code), message.substr(kRaised.size()), 400);
  }
  // Trino's analyzer checks made while DuckDB binds (trino_functions_types.cpp).
  constexpr std::string_view kTypeCheck = "Binder Error: TYPE_MISMATCH: ";
  if (message.starts_with(kTypeCheck))
    return MakeError("TYPE_MISMATCH", message.substr(std::string_view("Binder Error: ").size()), 400);
  if (message.find("Division by zero") != std::string::npos)
    return MakeError("DIVISION_BY_ZERO", "DIVISION_BY_ZERO: Division by zero", 400);
  // A dialect macro with typed overloads over a column of an enclosing query: DuckDB binds such a column
  // without its type while it picks the overload (dialect.cpp's MarkOuterArithmetic covers /, *, avg and
  // casts to varchar; the others are refused here, naming the function, not the macro).
  if (constexpr std::string_view kMacro = "Macro __cenote_";
      message.find("has multiple overloads") != std::string::npos &&
      message.find(kMacro) != std::string::npos) {
    const std::size_t start = message.find(kMacro) + kMacro.size();
    std::string name = message.substr(start, message.find('(', start) - start);
    for (std::string_view suffix : {"_arg", "_of", "_kind"}) {
      if (name.size() > suffix.size() && name.ends_with(suffix)) name.erase(name.size() - suffix.size());
    }
    return MakeError("NOT_SUPPORTED",
                     "NOT_SUPPORTED: Cenote does not support " + name +
                         "() on a column of an enclosing query (a correlated subquery or a LATERAL table)",
                     400);
  }
  // DuckDB's ICU: "Unknown TimeZone 'Mars/Base'!"; Trino's TimeZoneNotSupportedException.
  if (auto at = message.find("Unknown TimeZone '"); at != std::string::npos) {
    std::size_t start = at + 18, end = message.find('\'', start);
    if (end != std::string::npos)
      return MakeError("NOT_SUPPORTED",
                       "NOT_SUPPORTED: Time zone not supported: " + message.substr(start, end - start), 400);
  }
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
