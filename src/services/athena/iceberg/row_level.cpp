// Parsing of DELETE / UPDATE / MERGE INTO (row_level.hpp): the statement is split at its keywords outside
// parentheses and CASE ... END; the pieces between are kept as written.
#include "services/athena/iceberg/row_level.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <optional>

#include "common/strings.hpp"

namespace cenote::athena::iceberg {

namespace {

struct Token {
  std::size_t begin = 0;
  std::size_t end = 0;
  char kind = 'p';  // w word, q "quoted", s 'string', n number, p punctuation
};

class Parser {
 public:
  explicit Parser(const std::string& sql) : sql_(sql) { Tokenize(); }

  bool AtEnd() const { return pos_ >= toks_.size(); }
  std::size_t pos() const { return pos_; }
  bool IsWord(std::size_t k, const char* w) const {
    return k < toks_.size() && toks_[k].kind == 'w' && AsciiUpper(Text(k)) == w;
  }
  bool PeekWord(const char* w) const { return IsWord(pos_, w); }
  bool PeekSymbol(char c) const {
    return pos_ < toks_.size() && toks_[pos_].kind == 'p' && sql_[toks_[pos_].begin] == c;
  }
  bool Accept(const char* w) {
    if (!PeekWord(w)) return false;
    ++pos_;
    return true;
  }
  bool AcceptSymbol(char c) {
    if (!PeekSymbol(c)) return false;
    ++pos_;
    return true;
  }
  Status Expect(const char* w) { return Accept(w) ? Status::Ok() : Mismatch(w); }
  Status ExpectSymbol(char c) {
    if (AcceptSymbol(c)) return Status::Ok();
    std::string expecting(1, '\'');
    expecting += c;
    expecting += '\'';
    return Mismatch(expecting);
  }

  // An identifier (word or "quoted"), lower-case for a word, unquoted for a quoted one.
  Result<std::string> Identifier(const char* what) {
    if (pos_ >= toks_.size() || (toks_[pos_].kind != 'w' && toks_[pos_].kind != 'q')) return Mismatch(what);
    std::string t = Text(pos_++);
    if (t.front() != '"') return AsciiLower(t);
    std::string out;
    for (std::size_t i = 1; i + 1 < t.size(); ++i) {
      out += t[i];
      if (t[i] == '"') ++i;
    }
    return out;
  }
  // name or qualifier.name (the last part returned).
  Result<std::string> QualifiedName(const char* what) {
    CENOTE_ASSIGN_OR_RETURN(std::string name, Identifier(what));
    while (AcceptSymbol('.')) {
      CENOTE_ASSIGN_OR_RETURN(name, Identifier(what));
    }
    return name;
  }

  // The text from the current token up to (not including) the first token at the top level (outside
  // parentheses and CASE ... END) for which `stop` is true, or to the end; the position moves there.
  template <typename Stop>
  std::string Until(Stop stop) {
    std::size_t first = pos_;
    int parens = 0, cases = 0;
    for (; pos_ < toks_.size(); ++pos_) {
      const Token& t = toks_[pos_];
      if (parens == 0 && cases == 0 && stop(pos_)) break;
      if (t.kind == 'p' && sql_[t.begin] == '(') ++parens;
      if (t.kind == 'p' && sql_[t.begin] == ')') --parens;
      if (IsWord(pos_, "CASE")) ++cases;
      if (IsWord(pos_, "END") && cases > 0) --cases;
    }
    if (pos_ == first) return "";
    return sql_.substr(toks_[first].begin, toks_[pos_ - 1].end - toks_[first].begin);
  }
  // The text of the tokens from `from` up to the current one.
  std::string Span(std::size_t from) const {
    if (pos_ <= from) return "";
    return sql_.substr(toks_[from].begin, toks_[pos_ - 1].end - toks_[from].begin);
  }
  bool IsSymbol(std::size_t k, char c) const {
    return k < toks_.size() && toks_[k].kind == 'p' && sql_[toks_[k].begin] == c;
  }

  Error Mismatch(const std::string& expecting) const {
    std::size_t offset = pos_ < toks_.size() ? toks_[pos_].begin : sql_.size();
    // assign/append, not operator+: GCC 12 reports a false -Wrestrict on the concatenation.
    std::string near = "'";
    near.append(pos_ < toks_.size() ? Text(pos_) : std::string("<EOF>")).append("'");
    int line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < sql_.size(); ++i) {
      if (sql_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string message = "line ";
    message.append(std::to_string(line)).append(":").append(std::to_string(column));
    message.append(": mismatched input ").append(near).append(". Expecting: ").append(expecting);
    return MakeError("SYNTAX_ERROR", std::move(message));
  }

 private:
  std::string Text(std::size_t k) const { return sql_.substr(toks_[k].begin, toks_[k].end - toks_[k].begin); }

  void Tokenize() {
    std::size_t i = 0, n = sql_.size();
    while (i < n) {
      char c = sql_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (c == '-' && i + 1 < n && sql_[i + 1] == '-') {
        while (i < n && sql_[i] != '\n') ++i;
      } else if (c == '/' && i + 1 < n && sql_[i + 1] == '*') {
        auto e = sql_.find("*/", i + 2);
        i = e == std::string::npos ? n : e + 2;
      } else if (c == '\'' || c == '"') {
        std::size_t b = i++;
        while (i < n) {
          if (sql_[i] == c) {
            if (i + 1 < n && sql_[i + 1] == c) {
              i += 2;
              continue;
            }
            break;
          }
          ++i;
        }
        i = std::min(n, i + 1);
        toks_.push_back({b, i, c == '\'' ? 's' : 'q'});
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        std::size_t b = i;
        while (i < n &&
               (std::isalnum(static_cast<unsigned char>(sql_[i])) || sql_[i] == '_' || sql_[i] == '$'))
          ++i;
        toks_.push_back({b, i, 'w'});
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        std::size_t b = i;
        while (i < n && (std::isalnum(static_cast<unsigned char>(sql_[i])) || sql_[i] == '.')) ++i;
        toks_.push_back({b, i, 'n'});
      } else {
        toks_.push_back({i, i + 1, 'p'});
        ++i;
      }
    }
    // A trailing ';' ends the statement.
    if (!toks_.empty() && toks_.back().kind == 'p' && sql_[toks_.back().begin] == ';') toks_.pop_back();
  }

  const std::string& sql_;
  std::vector<Token> toks_;
  std::size_t pos_ = 0;
};

// col = expr, ... up to a top-level word for which `stop` holds (or the end).
template <typename Stop>
Result<std::vector<Assignment>> Assignments(Parser& p, Stop stop) {
  std::vector<Assignment> out;
  while (true) {
    Assignment a;
    CENOTE_ASSIGN_OR_RETURN(a.column, p.QualifiedName("column name"));
    CENOTE_RETURN_IF_ERROR(p.ExpectSymbol('='));
    a.expr = p.Until([&](std::size_t k) { return p.IsSymbol(k, ',') || stop(k); });
    if (a.expr.empty()) return p.Mismatch("an expression");
    out.push_back(std::move(a));
    if (!p.AcceptSymbol(',')) break;
  }
  return out;
}

// An optional alias: [AS] name, where a bare name is not one of `keyword`.
Result<std::string> Alias(Parser& p, const char* keyword) {
  if (p.Accept("AS")) return p.Identifier("alias");
  if (!p.AtEnd() && !p.PeekWord(keyword) && !p.PeekSymbol('(') && !p.PeekSymbol(','))
    return p.Identifier("alias");
  return std::string();
}

}  // namespace

Result<DeleteStatement> ParseDeleteStatement(const std::string& sql) {
  Parser p(sql);
  CENOTE_RETURN_IF_ERROR(p.Expect("DELETE"));
  CENOTE_RETURN_IF_ERROR(p.Expect("FROM"));
  CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name"));
  DeleteStatement out;
  if (p.AtEnd()) return out;
  CENOTE_RETURN_IF_ERROR(p.Expect("WHERE"));
  out.where = p.Until([](std::size_t) { return false; });
  if (out.where.empty()) return p.Mismatch("an expression");
  return out;
}

Result<OptimizeStatement> ParseOptimizeStatement(const std::string& sql) {
  Parser p(sql);
  CENOTE_RETURN_IF_ERROR(p.Expect("OPTIMIZE"));
  CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name"));
  for (const char* word : {"REWRITE", "DATA", "USING", "BIN_PACK"}) CENOTE_RETURN_IF_ERROR(p.Expect(word));
  OptimizeStatement out;
  if (p.AtEnd()) return out;
  CENOTE_RETURN_IF_ERROR(p.Expect("WHERE"));
  out.where = p.Until([](std::size_t) { return false; });
  if (out.where.empty()) return p.Mismatch("an expression");
  return out;
}

Result<UpdateStatement> ParseUpdateStatement(const std::string& sql) {
  Parser p(sql);
  CENOTE_RETURN_IF_ERROR(p.Expect("UPDATE"));
  CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name"));
  CENOTE_RETURN_IF_ERROR(p.Expect("SET"));
  UpdateStatement out;
  CENOTE_ASSIGN_OR_RETURN(out.set, Assignments(p, [&](std::size_t k) { return p.IsWord(k, "WHERE"); }));
  if (p.AtEnd()) return out;
  CENOTE_RETURN_IF_ERROR(p.Expect("WHERE"));
  out.where = p.Until([](std::size_t) { return false; });
  if (out.where.empty()) return p.Mismatch("an expression");
  return out;
}

Result<MergeStatement> ParseMergeStatement(const std::string& sql) {
  Parser p(sql);
  CENOTE_RETURN_IF_ERROR(p.Expect("MERGE"));
  CENOTE_RETURN_IF_ERROR(p.Expect("INTO"));
  MergeStatement out;
  CENOTE_ASSIGN_OR_RETURN(std::string table, p.QualifiedName("table name"));
  CENOTE_ASSIGN_OR_RETURN(out.target_alias, Alias(p, "USING"));
  if (out.target_alias.empty()) out.target_alias = table;
  CENOTE_RETURN_IF_ERROR(p.Expect("USING"));
  const std::size_t source_start = p.pos();
  if (p.PeekSymbol('(')) {
    out.source = p.Until([&](std::size_t k) { return k > source_start; });  // the parenthesized query
    if (out.source.empty() || out.source.back() != ')') return p.Mismatch("')'");
  } else {
    CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name"));
    out.source = p.Span(source_start);
  }
  CENOTE_ASSIGN_OR_RETURN(out.source_alias, Alias(p, "ON"));
  if (!out.source_alias.empty() && p.PeekSymbol('(')) {
    const std::size_t columns_start = p.pos();
    out.source_columns = p.Until([&](std::size_t k) { return k > columns_start; });
  }
  CENOTE_RETURN_IF_ERROR(p.Expect("ON"));
  auto at_when = [&](std::size_t k) { return p.IsWord(k, "WHEN"); };
  out.on = p.Until(at_when);
  if (out.on.empty()) return p.Mismatch("an expression");
  while (p.Accept("WHEN")) {
    MergeClause c;
    c.matched = !p.Accept("NOT");
    CENOTE_RETURN_IF_ERROR(p.Expect("MATCHED"));
    if (p.Accept("AND")) {
      c.condition = p.Until([&](std::size_t k) { return p.IsWord(k, "THEN"); });
      if (c.condition.empty()) return p.Mismatch("an expression");
    }
    CENOTE_RETURN_IF_ERROR(p.Expect("THEN"));
    if (c.matched && p.Accept("UPDATE")) {
      c.action = MergeClause::Action::kUpdate;
      CENOTE_RETURN_IF_ERROR(p.Expect("SET"));
      CENOTE_ASSIGN_OR_RETURN(c.set, Assignments(p, at_when));
    } else if (c.matched && p.Accept("DELETE")) {
      c.action = MergeClause::Action::kDelete;
    } else if (!c.matched && p.Accept("INSERT")) {
      c.action = MergeClause::Action::kInsert;
      if (p.AcceptSymbol('(')) {
        while (true) {
          CENOTE_ASSIGN_OR_RETURN(auto column, p.Identifier("column name"));
          c.insert_columns.push_back(std::move(column));
          if (!p.AcceptSymbol(',')) break;
        }
        CENOTE_RETURN_IF_ERROR(p.ExpectSymbol(')'));
      }
      CENOTE_RETURN_IF_ERROR(p.Expect("VALUES"));
      CENOTE_RETURN_IF_ERROR(p.ExpectSymbol('('));
      while (true) {
        std::string value = p.Until([&](std::size_t k) { return p.IsSymbol(k, ',') || p.IsSymbol(k, ')'); });
        if (value.empty()) return p.Mismatch("an expression");
        c.insert_values.push_back(std::move(value));
        if (!p.AcceptSymbol(',')) break;
      }
      CENOTE_RETURN_IF_ERROR(p.ExpectSymbol(')'));
      if (!c.insert_columns.empty() && c.insert_columns.size() != c.insert_values.size()) {
        return MakeError("SYNTAX_ERROR", "line 1:1: Insert column name count does not match value count");
      }
    } else {
      return p.Mismatch(c.matched ? "'UPDATE', 'DELETE'" : "'INSERT'");
    }
    out.clauses.push_back(std::move(c));
  }
  if (!p.AtEnd()) return p.Mismatch("'WHEN'");
  if (out.clauses.empty()) return p.Mismatch("'WHEN'");
  return out;
}

std::vector<std::pair<QualifiedColumn, QualifiedColumn>> ColumnEqualities(const std::string& condition) {
  Parser p(condition);
  std::vector<std::pair<QualifiedColumn, QualifiedColumn>> out;
  while (!p.AtEnd()) {
    const std::string conjunct =
        p.Until([&](std::size_t k) { return p.IsWord(k, "AND") || p.IsWord(k, "OR"); });
    if (p.PeekWord("OR")) return {};
    // The conjunct alone: name.column = name.column and nothing more.
    Parser q(conjunct);
    auto read = [&q]() -> std::optional<QualifiedColumn> {
      auto qualifier = q.Identifier("name");
      if (!qualifier || !q.AcceptSymbol('.')) return std::nullopt;
      auto name = q.Identifier("name");
      if (!name) return std::nullopt;
      return QualifiedColumn{*qualifier, *name};
    };
    auto left = read();
    if (left && q.AcceptSymbol('=')) {
      auto right = read();
      if (right && q.AtEnd()) out.emplace_back(*left, *right);
    }
    if (!p.Accept("AND")) break;
  }
  return out;
}

}  // namespace cenote::athena::iceberg
