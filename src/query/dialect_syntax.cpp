// Trino syntax DuckDB's parser rejects, rewritten as text (dialect_functions.hpp RewriteTrinoSyntax):
// listagg(...) WITHIN GROUP (ORDER BY ...), json_object's members and clauses, U&'...' literals.
#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.hpp"
#include "query/dialect_functions.hpp"
#include "query/dialect_nodes.hpp"
#include "query/statement.hpp"

namespace cenote::query::internal {
namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The end of the quoted string, quoted identifier or comment that starts at i, or i when none does.
std::size_t SkipQuotedOrComment(const std::string& s, std::size_t i) {
  if (s[i] == '\'' || s[i] == '"') {
    const char q = s[i];
    std::size_t j = i + 1;
    while (j < s.size()) {
      if (s[j] == q) {
        if (j + 1 < s.size() && s[j + 1] == q) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      ++j;
    }
    return s.size();
  }
  if (s.compare(i, 2, "--") == 0) {
    const std::size_t end = s.find('\n', i);
    return end == std::string::npos ? s.size() : end;
  }
  if (s.compare(i, 2, "/*") == 0) {
    const std::size_t end = s.find("*/", i + 2);
    return end == std::string::npos ? s.size() : end + 2;
  }
  return i;
}

// Whether the keyword `word` (case-insensitive, whole word) starts at i.
bool KeywordAt(const std::string& s, std::size_t i, std::string_view word) {
  if (i + word.size() > s.size() || (i > 0 && IsWordChar(s[i - 1]))) return false;
  for (std::size_t k = 0; k < word.size(); ++k)
    if (std::toupper(static_cast<unsigned char>(s[i + k])) !=
        std::toupper(static_cast<unsigned char>(word[k])))
      return false;
  return i + word.size() >= s.size() || !IsWordChar(s[i + word.size()]);
}

std::size_t SkipSpace(const std::string& s, std::size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

std::string Trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// The index of the ')' closing the '(' at open, or npos.
std::size_t Closing(const std::string& s, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < s.size(); ++i) {
    if (std::size_t end = SkipQuotedOrComment(s, i); end != i) {
      i = end - 1;
      continue;
    }
    if (s[i] == '(' || s[i] == '[') ++depth;
    if (s[i] == ')' || s[i] == ']') {
      if (--depth == 0) return i;
    }
  }
  return std::string::npos;
}

// Top-level positions in s (outside quotes and brackets) where `match(s, i)` holds.
template <typename Match>
std::vector<std::size_t> TopLevel(const std::string& s, Match match) {
  std::vector<std::size_t> out;
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (std::size_t end = SkipQuotedOrComment(s, i); end != i) {
      i = end - 1;
      continue;
    }
    if (s[i] == '(' || s[i] == '[' || s[i] == '{') ++depth;
    if (s[i] == ')' || s[i] == ']' || s[i] == '}') --depth;
    if (depth == 0 && match(s, i)) out.push_back(i);
  }
  return out;
}

std::vector<std::string> SplitArguments(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t comma : TopLevel(s, [](const std::string&t, std::size_t i) { return t[i] == ','; })) {
    out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  out.push_back(s.substr(start));
  return out;
}

// Rewrites every call of `name(` in sql with `rewrite(arguments text, index after ')')`, which returns
// the replacement and the index the replaced text ends at, or nullopt to keep the call.
template <typename Rewrite>
std::string RewriteCalls(const std::string& sql, std::string_view name, Rewrite rewrite) {
  std::string out;
  std::size_t i = 0;
  while (i < sql.size()) {
    if (std::size_t end = SkipQuotedOrComment(sql, i); end != i) {
      out.append(sql, i, end - i);
      i = end;
      continue;
    }
    if (KeywordAt(sql, i, name)) {
      const std::size_t open = SkipSpace(sql, i + name.size());
      const std::size_t close =
          open < sql.size() && sql[open] == '(' ? Closing(sql, open) : std::string::npos;
      if (close != std::string::npos) {
        if (auto replaced = rewrite(sql.substr(open + 1, close - open - 1), close + 1)) {
          out += replaced->first;
          i = replaced->second;
          continue;
        }
      }
    }
    out += sql[i];
    ++i;
  }
  return out;
}

// listagg(x[, sep] [ON OVERFLOW ...]) WITHIN GROUP (ORDER BY ...) -> string_agg(x, sep ORDER BY ...).
// The result of at most 1 MB that ON OVERFLOW is about is not enforced.
std::string RewriteListagg(const std::string& sql) {
  return RewriteCalls(
      sql, "listagg",
      [&](const std::string& args, std::size_t after) -> std::optional<std::pair<std::string, std::size_t>> {
        std::size_t w = SkipSpace(sql, after);
        if (!KeywordAt(sql, w, "WITHIN")) return std::nullopt;
        std::size_t g = SkipSpace(sql, w + 6);
        if (!KeywordAt(sql, g, "GROUP")) return std::nullopt;
        std::size_t open = SkipSpace(sql, g + 5);
        if (open >= sql.size() || sql[open] != '(') return std::nullopt;
        std::size_t close = Closing(sql, open);
        if (close == std::string::npos) return std::nullopt;
        std::string order = Trim(std::string_view(sql).substr(open + 1, close - open - 1));
        std::string a = args;
        auto overflow = TopLevel(a, [](const std::string& t, std::size_t i) {
          return KeywordAt(t, i, "ON") && KeywordAt(t, SkipSpace(t, i + 2), "OVERFLOW");
        });
        if (!overflow.empty()) a.erase(overflow.front());
        a = Trim(a);
        if (SplitArguments(a).size() == 1) a += ", ''";
        return std::make_pair("string_agg(" + a + " " + order + ")", close + 1);
      });
}

// json_object(KEY k VALUE v, k VALUE v, k : v ... [NULL | ABSENT ON NULL] [WITH[OUT] UNIQUE [KEYS]]
// [RETURNING varchar [FORMAT JSON]]) -> DuckDB's json_object(k, v, ...); with ABSENT ON NULL, an object
// built from the members whose value is not NULL.
std::string RewriteJsonObject(const std::string& sql) {
  return RewriteCalls(
      sql, "json_object",
      [&](const std::string& args, std::size_t after) -> std::optional<std::pair<std::string, std::size_t>> {
        std::vector<std::string> members = SplitArguments(args);
        bool absent = false;
        std::string& last = members.back();
        // The clauses follow the last member.
        auto clause = TopLevel(last, [](const std::string& t, std::size_t i) {
          if ((KeywordAt(t, i, "NULL") || KeywordAt(t, i, "ABSENT"))) {
            std::size_t on = SkipSpace(t, i + (KeywordAt(t, i, "NULL") ? 4 : 6));
            return KeywordAt(t, on, "ON") && KeywordAt(t, SkipSpace(t, on + 2), "NULL");
          }
          return KeywordAt(t, i, "WITH") || KeywordAt(t, i, "WITHOUT") || KeywordAt(t, i, "RETURNING");
        });
        if (!clause.empty()) {
          absent = KeywordAt(last, clause.front(), "ABSENT") ||
                   (clause.size() > 1 && KeywordAt(last, clause[1], "ABSENT"));
          last.erase(clause.front());
        }
        std::vector<std::pair<std::string, std::string>> pairs;
        bool trino_form = !clause.empty();
        for (std::string m : members) {
          m = Trim(m);
          if (m.empty() && members.size() == 1) break;  // json_object()
          if (KeywordAt(m, 0, "KEY")) m = m.substr(3);
          auto value =
              TopLevel(m, [](const std::string& t, std::size_t i) { return KeywordAt(t, i, "VALUE"); });
          std::size_t cut = std::string::npos, skip = 0;
          if (!value.empty()) {
            cut = value.front();
            skip = 5;
          } else {
            auto colon = TopLevel(m, [](const std::string& t, std::size_t i) {
              return t[i] == ':' && (i + 1 >= t.size() || t[i + 1] != ':') && (i == 0 || t[i - 1] != ':');
            });
            if (colon.empty()) return std::nullopt;  // DuckDB's own json_object(k, v, ...)
            cut = colon.front();
            skip = 1;
          }
          trino_form = true;
          pairs.emplace_back(Trim(m.substr(0, cut)), Trim(m.substr(cut + skip)));
        }
        if (!trino_form) return std::nullopt;
        std::string out;
        if (absent) {
          for (const auto& [k, v] : pairs)
            out += (out.empty() ? "" : ", ") + std::string("{'k': ") + k + ", 'v': to_json(" + v + ")}";
          out = "to_json(map_from_entries(list_filter([" + out +
                "], lambda json_object_member: json_object_member.v IS NOT NULL)))";
        } else {
          for (const auto& [k, v] : pairs) out += (out.empty() ? "" : ", ") + k + ", " + v;
          out = "json_object(" + out + ")";
        }
        return std::make_pair(out, after);
      });
}

// U&'caf\00E9' [UESCAPE '!'] -> 'café': \XXXX and \+XXXXXX code points, \\ a backslash. A malformed escape
// leaves the literal to the parser, which rejects it.
std::string RewriteUnicodeLiterals(const std::string& sql) {
  std::string out;
  std::size_t i = 0;
  while (i < sql.size()) {
    const bool unicode = (sql[i] == 'U' || sql[i] == 'u') && (i == 0 || !IsWordChar(sql[i - 1])) &&
                         sql.compare(i + 1, 2, "&'") == 0;
    if (!unicode) {
      if (std::size_t end = SkipQuotedOrComment(sql, i); end != i) {
        out.append(sql, i, end - i);
        i = end;
        continue;
      }
      out += sql[i++];
      continue;
    }
    const std::size_t end = SkipQuotedOrComment(sql, i + 2);
    const std::string body = sql.substr(i + 3, end - i - 4);
    std::size_t next = end;
    char escape = '\\';
    std::size_t u = SkipSpace(sql, end);
    if (KeywordAt(sql, u, "UESCAPE")) {
      std::size_t q = SkipSpace(sql, u + 7);
      if (q + 2 < sql.size() && sql[q] == '\'' && sql[q + 2] == '\'') {
        escape = sql[q + 1];
        next = q + 3;
      }
    }
    std::string text;
    bool ok = true;
    for (std::size_t k = 0; k < body.size() && ok; ++k) {
      if (body[k] != escape) {
        text += body[k];
        continue;
      }
      if (k + 1 < body.size() && body[k + 1] == escape) {
        text += escape;
        ++k;
        continue;
      }
      const bool wide = k + 1 < body.size() && body[k + 1] == '+';
      const std::size_t digits = wide ? 6 : 4, from = k + (wide ? 2 : 1);
      if (from + digits > body.size()) {
        ok = false;
        break;
      }
      std::uint32_t cp = 0;
      for (std::size_t d = from; d < from + digits && ok; ++d) {
        const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(body[d])));
        ok = std::isxdigit(static_cast<unsigned char>(c)) != 0;
        cp = cp * 16 + static_cast<std::uint32_t>(c <= '9' ? c - '0' : c - 'a' + 10);
      }
      if (!ok || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) {
        ok = false;
        break;
      }
      AppendUtf8(text, cp);
      k = from + digits - 1;
    }
    if (!ok) {
      out.append(sql, i, end - i);
      i = end;
      continue;
    }
    out += "'" + text + "'";
    i = next;
  }
  return out;
}

std::string RewriteCaseFragments(const std::string& sql);

// Whether a simple CASE's WHEN operand is a predicate fragment (`> 100`, `BETWEEN 1 AND 10`, `IS NULL`, ...).
bool IsFragment(const std::string& cond) {
  if (cond.empty()) return false;
  if (cond[0] == '<' || cond[0] == '>' || cond[0] == '=' || cond[0] == '!') return true;
  for (std::string_view k : {"IS", "BETWEEN", "IN", "LIKE"})
    if (KeywordAt(cond, 0, k)) return true;
  if (KeywordAt(cond, 0, "NOT")) {
    const std::size_t n = SkipSpace(cond, 3);
    return KeywordAt(cond, n, "IN") || KeywordAt(cond, n, "BETWEEN") || KeywordAt(cond, n, "LIKE");
  }
  return false;
}

// The simple CASE at `at` with predicate fragments among its WHEN operands, as a searched CASE (the
// operand repeated in each condition), and the index after its END; nullopt when it has none.
std::optional<std::pair<std::string, std::size_t>> RewriteOneCase(const std::string& sql, std::size_t at) {
  std::vector<std::pair<std::size_t, std::string_view>> marks;  // WHEN / THEN / ELSE / END of this CASE
  int paren = 0, nested = 0;
  for (std::size_t j = at + 4; j < sql.size(); ++j) {
    if (std::size_t end = SkipQuotedOrComment(sql, j); end != j) {
      j = end - 1;
      continue;
    }
    if (sql[j] == '(') ++paren;
    if (sql[j] == ')' && --paren < 0) return std::nullopt;
    if (paren != 0) continue;
    if (KeywordAt(sql, j, "CASE")) {
      ++nested;
      j += 3;
    } else if (KeywordAt(sql, j, "END")) {
      if (nested-- == 0) {
        marks.emplace_back(j, "END");
        break;
      }
      j += 2;
    } else if (nested == 0) {
      for (std::string_view k : {"WHEN", "THEN", "ELSE"}) {
        if (KeywordAt(sql, j, k)) {
          marks.emplace_back(j, k);
          j += k.size() - 1;
          break;
        }
      }
    }
  }
  if (marks.size() < 3 || marks.front().second != "WHEN" || marks.back().second != "END") return std::nullopt;
  const std::string operand = Trim(std::string_view(sql).substr(at + 4, marks.front().first - at - 4));
  if (operand.empty()) return std::nullopt;  // a searched CASE
  auto text = [&](std::size_t k) {
    const std::size_t from = marks[k].first + marks[k].second.size();
    return Trim(std::string_view(sql).substr(from, marks[k + 1].first - from));
  };
  bool fragments = false;
  for (std::size_t k = 0; k + 1 < marks.size(); ++k)
    if (marks[k].second == "WHEN") fragments = fragments || IsFragment(text(k));
  if (!fragments) return std::nullopt;
  std::string out = "CASE";
  for (std::size_t k = 0; k + 1 < marks.size(); ++k) {
    const std::string part = text(k);
    if (marks[k].second == "WHEN") {
      out.append(" WHEN (").append(operand).append(") ");
      if (IsFragment(part)) {
        out.append(part);
      } else {
        out.append("= (").append(part).append(")");
      }
    } else {
      out.append(" ").append(marks[k].second).append(" ").append(RewriteCaseFragments(part));
    }
  }
  out += " END";
  return std::make_pair(out, marks.back().first + 3);
}

// Trino's simple CASE with predicate fragments (CASE a WHEN > 100 THEN ...) as a searched CASE.
std::string RewriteCaseFragments(const std::string& sql) {
  std::string out;
  std::size_t i = 0;
  while (i < sql.size()) {
    if (std::size_t end = SkipQuotedOrComment(sql, i); end != i) {
      out.append(sql, i, end - i);
      i = end;
      continue;
    }
    if (KeywordAt(sql, i, "CASE")) {
      if (auto rewritten = RewriteOneCase(sql, i)) {
        out += rewritten->first;
        i = rewritten->second;
        continue;
      }
    }
    out += sql[i++];
  }
  return out;
}

// Whether a ROW type's field is a bare type (integer, decimal(10,2), double precision, array(integer),
// timestamp(3) with time zone) rather than `name type`.
bool BareType(const std::string& field) {
  std::size_t end = 0;
  while (end < field.size() && IsWordChar(field[end])) ++end;
  if (end == 0) return false;
  const std::size_t next = SkipSpace(field, end);
  if (next >= field.size() || field[next] == '(') return true;
  return KeywordAt(field, 0, "DOUBLE") || KeywordAt(field, 0, "TIMESTAMP") || KeywordAt(field, 0, "TIME");
}

// A Trino ROW type without field names, ROW(integer, varchar) (after AS), as DuckDB's STRUCT with the names
// Athena shows for them: STRUCT(field0 integer, field1 varchar). Nested ROW types are rewritten too.
std::string RewriteAnonymousRowTypes(const std::string& sql) {
  std::string out;
  std::size_t i = 0;
  while (i < sql.size()) {
    if (std::size_t end = SkipQuotedOrComment(sql, i); end != i) {
      out.append(sql, i, end - i);
      i = end;
      continue;
    }
    if (KeywordAt(sql, i, "ROW")) {
      const std::size_t open = SkipSpace(sql, i + 3);
      const std::size_t before = out.find_last_not_of(" \t\r\n");
      const bool after_as = before != std::string::npos && before >= 1 && KeywordAt(out, before - 1, "AS");
      const std::size_t close =
          open < sql.size() && sql[open] == '(' ? Closing(sql, open) : std::string::npos;
      if (after_as && close != std::string::npos) {
        std::vector<std::string> fields = SplitArguments(sql.substr(open + 1, close - open - 1));
        bool bare = true;
        for (std::string& f : fields) {
          f = Trim(f);
          bare = bare && BareType(f);
        }
        if (bare) {
          out.append("STRUCT(");
          for (std::size_t k = 0; k < fields.size(); ++k) {
            if (k > 0) out.append(", ");
            // A nested ROW type is in a type position too.
            std::string as_type = "AS ";
            as_type.append(fields[k]);
            out.append("field").append(std::to_string(k)).append(" ");
            out.append(RewriteAnonymousRowTypes(as_type).substr(3));
          }
          out.append(")");
          i = close + 1;
          continue;
        }
      }
    }
    out += sql[i++];
  }
  return out;
}

// "line L:C: " for an offset into `text` (Trino counts lines and columns from 1).
std::string LineColumn(const std::string& text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

Status RewriteBinaryLiteralsIn(boost::json::value& v, const std::string& text, int depth) {
  namespace json = boost::json;
  if (depth > 400) return Status::Ok();
  if (v.is_array()) {
    for (json::value& item : v.get_array())
      CENOTE_RETURN_IF_ERROR(RewriteBinaryLiteralsIn(item, text, depth + 1));
    return Status::Ok();
  }
  if (!v.is_object()) return Status::Ok();
  json::object& o = v.get_object();
  for (auto& [key, child] : o)
    if (key != "cast_type") CENOTE_RETURN_IF_ERROR(RewriteBinaryLiteralsIn(child, text, depth + 1));
  if (StringField(o, "class") != "CONSTANT") return Status::Ok();
  const json::value* at = o.if_contains("query_location");
  const json::value* value = o.if_contains("value");
  if (at == nullptr || value == nullptr || !value->is_object()) return Status::Ok();
  const json::value* type = value->get_object().if_contains("type");
  const json::value* literal = value->get_object().if_contains("value");
  if (type == nullptr || !type->is_object() || StringField(type->get_object(), "id") != "VARCHAR" ||
      literal == nullptr || !literal->is_string())
    return Status::Ok();
  std::size_t offset = std::string::npos;
  if (at->is_int64() && at->get_int64() >= 0) offset = static_cast<std::size_t>(at->get_int64());
  if (at->is_uint64() && at->get_uint64() < text.size()) offset = static_cast<std::size_t>(at->get_uint64());
  // DuckDB's parser reads X'...' as the text "x..."; the statement's text tells it from a string literal.
  const std::string_view s = literal->get_string();
  if (offset >= text.size() || offset + 1 >= text.size() || (text[offset] != 'x' && text[offset] != 'X') ||
      text[offset + 1] != '\'' || s.empty() || (s[0] != 'x' && s[0] != 'X'))
    return Status::Ok();
  std::string hex;
  for (char c : s.substr(1)) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;  // Trino allows X'00 01 02'
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return MakeError(kSyntaxError, "SYNTAX_ERROR: " + LineColumn(text, offset) +
                                         "Binary literal can only contain hexadecimal digits");
    hex.push_back(c);
  }
  if (hex.size() % 2 != 0)
    return MakeError(kSyntaxError, "SYNTAX_ERROR: " + LineColumn(text, offset) +
                                       "Binary literal must contain an even number of digits");
  json::value alias = o["alias"];
  json::object call = NewFunction("from_hex", json::array{NewConstant("VARCHAR", json::string(hex))});
  call["alias"] = std::move(alias);
  call["query_location"] = *at;
  v = std::move(call);
  return Status::Ok();
}

}  // namespace

// `at` is a non-reserved word in Trino (a column may be named at); DuckDB's parser takes a bare `at` for
// the start of AT TIME ZONE. Every bare `at` that does not start AT TIME ZONE / AT LOCAL is quoted.
std::string QuoteAtIdentifiers(const std::string& sql) {
  std::string out;
  std::size_t copied = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (std::size_t end = SkipQuotedOrComment(sql, i); end != i) {
      i = end - 1;
      continue;
    }
    if (!KeywordAt(sql, i, "at")) continue;
    const std::size_t next = SkipSpace(sql, i + 2);
    if (KeywordAt(sql, next, "time") || KeywordAt(sql, next, "local")) continue;
    out.append(sql, copied, i - copied).append("\"at\"");
    copied = i + 2;
    ++i;
  }
  if (copied == 0) return sql;
  out.append(sql, copied, std::string::npos);
  return out;
}

std::string RewriteTrinoSyntax(const std::string& sql) {
  return QuoteAtIdentifiers(RewriteAnonymousRowTypes(
      RewriteCaseFragments(RewriteJsonObject(RewriteListagg(RewriteUnicodeLiterals(sql))))));
}

Status RewriteBinaryLiterals(boost::json::value& statement, const std::string& parsed_text) {
  return RewriteBinaryLiteralsIn(statement, parsed_text, 0);
}

}  // namespace cenote::query::internal
