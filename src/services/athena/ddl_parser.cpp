#include "services/athena/ddl_parser.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>

#include "common/strings.hpp"
#include "common/utf8.hpp"

namespace cenote::athena {

namespace {

struct Token {
  enum Kind { kEnd, kWord, kBackquoted, kDoubleQuoted, kString, kNumber, kSymbol };
  Kind kind = kEnd;
  std::string text;  // decoded: string literal contents, identifier without quotes, the symbol
  std::size_t begin = 0;
  std::size_t end = 0;
};

Error ParseError(const std::string& sql, std::size_t offset, const std::string& what) {
  int line = 1;
  int col = 0;
  for (std::size_t i = 0; i < offset && i < sql.size(); ++i) {
    if (sql[i] == '\n') {
      ++line;
      col = 0;
    } else {
      ++col;
    }
  }
  return MakeError("PARSE", "line " + std::to_string(line) + ":" + std::to_string(col) + " " + what);
}

// Hive string literal escapes: \t \n \r \0 \\ \' \" , octal \001 and \uXXXX (as UTF-8).
Result<std::vector<Token>> Tokenize(const std::string& sql) {
  std::vector<Token> out;
  std::size_t i = 0;
  const std::size_t n = sql.size();
  while (i < n) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t;
    t.begin = i;
    if (c == '\'' || (c == '"')) {
      // Single-quoted: a string. Double-quoted: an identifier in Trino, a string in Hive; the parser
      // decides by position.
      char q = c;
      t.kind = q == '\'' ? Token::kString : Token::kDoubleQuoted;
      ++i;
      bool closed = false;
      while (i < n) {
        char d = sql[i];
        if (d == q) {
          if (i + 1 < n && sql[i + 1] == q) {
            t.text += q;
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (d == '\\' && q == '\'' && i + 1 < n) {
          char e = sql[i + 1];
          if (e >= '0' && e <= '7') {
            // Octal: up to three digits (\001).
            std::uint32_t v = 0;
            std::size_t j = i + 1;
            int digits = 0;
            while (j < n && digits < 3 && sql[j] >= '0' && sql[j] <= '7') {
              v = v * 8 + static_cast<std::uint32_t>(sql[j] - '0');
              ++j;
              ++digits;
            }
            AppendUtf8(t.text, v);
            i = j;
            continue;
          }
          if (e == 'u' && i + 6 <= n) {
            std::uint32_t v = 0;
            bool ok = true;
            for (std::size_t j = i + 2; ok && j < i + 6; ++j) {
              char h = sql[j];
              if (!std::isxdigit(static_cast<unsigned char>(h))) {
                ok = false;
                break;
              }
              v = v * 16 +
                  static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(h))
                                                 ? h - '0'
                                                 : (std::tolower(static_cast<unsigned char>(h)) - 'a' + 10));
            }
            if (ok) {
              AppendUtf8(t.text, v);
              i += 6;
              continue;
            }
          }
          switch (e) {
            case 't':
              t.text += '\t';
              break;
            case 'n':
              t.text += '\n';
              break;
            case 'r':
              t.text += '\r';
              break;
            default:
              t.text += e;
          }
          i += 2;
          continue;
        }
        t.text += d;
        ++i;
      }
      if (!closed)
        return ParseError(sql, t.begin, "character '" + std::string(1, q) + "' not supported here");
    } else if (c == '`') {
      t.kind = Token::kBackquoted;
      ++i;
      bool closed = false;
      while (i < n) {
        if (sql[i] == '`') {
          if (i + 1 < n && sql[i + 1] == '`') {
            t.text += '`';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        t.text += sql[i++];
      }
      if (!closed) return ParseError(sql, t.begin, "character '`' not supported here");
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
               static_cast<unsigned char>(c) >= 0x80) {
      t.kind = Token::kWord;
      while (i < n && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_' || sql[i] == '$' ||
                       static_cast<unsigned char>(sql[i]) >= 0x80)) {
        t.text += sql[i++];
      }
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      t.kind = Token::kNumber;
      while (i < n && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '.' || sql[i] == '_')) {
        t.text += sql[i++];
      }
    } else {
      t.kind = Token::kSymbol;
      t.text = std::string(1, c);
      ++i;
    }
    t.end = i;
    out.push_back(std::move(t));
  }
  Token end;
  end.kind = Token::kEnd;
  end.begin = end.end = n;
  out.push_back(end);
  return out;
}

class Parser {
 public:
  Parser(const std::string& sql, std::vector<Token> tokens) : sql_(sql), tokens_(std::move(tokens)) {}

  const Token& Peek(std::size_t ahead = 0) const {
    std::size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  bool AtEnd() const { return Peek().kind == Token::kEnd; }
  static bool IsWord(const Token& t, std::string_view kw) {
    if (t.kind != Token::kWord || t.text.size() != kw.size()) return false;
    for (std::size_t i = 0; i < kw.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(t.text[i])) != kw[i]) return false;
    }
    return true;
  }
  bool PeekWord(std::string_view kw, std::size_t ahead = 0) const { return IsWord(Peek(ahead), kw); }
  bool PeekSymbol(char c, std::size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == Token::kSymbol && t.text.size() == 1 && t.text[0] == c;
  }
  bool Accept(std::string_view kw) {
    if (!PeekWord(kw)) return false;
    ++pos_;
    return true;
  }
  bool AcceptSymbol(char c) {
    if (!PeekSymbol(c)) return false;
    ++pos_;
    return true;
  }

  std::string Describe(const Token& t) const {
    if (t.kind == Token::kEnd) return "'<EOF>'";
    return "'" + sql_.substr(t.begin, t.end - t.begin) + "'";
  }
  Error Mismatch(const std::string& expecting) const {
    const Token& t = Peek();
    return ParseError(sql_, t.begin, "mismatched input " + Describe(t) + " expecting " + expecting);
  }
  Error ErrorAt(const std::string& what) const { return ParseError(sql_, Peek().begin, what); }

  Status Expect(std::string_view kw) {
    if (Accept(kw)) return Status::Ok();
    return Mismatch(std::string(kw));
  }
  Status ExpectSymbol(char c) {
    if (AcceptSymbol(c)) return Status::Ok();
    return Mismatch(std::string(1, c));
  }

  // An identifier: a word, `backquoted` or "double-quoted". Lower-cased, as Glue stores names.
  Result<std::string> Identifier(const std::string& what) {
    const Token& t = Peek();
    if (t.kind == Token::kWord || t.kind == Token::kBackquoted || t.kind == Token::kDoubleQuoted) {
      if (t.text.empty()) return ErrorAt("zero-length delimited identifier in " + what);
      ++pos_;
      return AsciiLower(t.text);
    }
    return ParseError(sql_, t.begin, "cannot recognize input near " + Describe(t) + " in " + what);
  }

  // [db.]name
  Status QualifiedName(const std::string& what, std::string& database, std::string& name) {
    CENOTE_ASSIGN_OR_RETURN(auto first, Identifier(what));
    if (AcceptSymbol('.')) {
      CENOTE_ASSIGN_OR_RETURN(auto second, Identifier(what));
      database = first;
      name = second;
    } else {
      database.clear();
      name = first;
    }
    return Status::Ok();
  }

  Result<std::string> StringLiteral(const std::string& what) {
    const Token& t = Peek();
    if (t.kind == Token::kString || t.kind == Token::kDoubleQuoted) {
      ++pos_;
      return t.text;
    }
    return ParseError(sql_, t.begin,
                      "mismatched input " + Describe(t) + " expecting StringLiteral near " + what);
  }

  // ( 'k' = 'v', ... ). Keys may also be words (CTAS WITH (format = 'PARQUET')); values may be strings,
  // numbers, words (true/false) or ARRAY['a', 'b'] (kept comma-joined).
  Status PropertyList(Properties& out, bool lower_keys) {
    CENOTE_RETURN_IF_ERROR(ExpectSymbol('('));
    if (AcceptSymbol(')')) return Status::Ok();
    while (true) {
      std::string key;
      const Token& k = Peek();
      if (k.kind == Token::kString || k.kind == Token::kDoubleQuoted || k.kind == Token::kWord ||
          k.kind == Token::kBackquoted) {
        key = lower_keys ? AsciiLower(k.text) : k.text;
        ++pos_;
      } else {
        return Mismatch("StringLiteral");
      }
      CENOTE_RETURN_IF_ERROR(ExpectSymbol('='));
      CENOTE_ASSIGN_OR_RETURN(auto value, PropertyValue());
      out.emplace_back(std::move(key), std::move(value));
      if (AcceptSymbol(',')) continue;
      return ExpectSymbol(')');
    }
  }

  Result<std::string> PropertyValue() {
    const Token& v = Peek();
    if (v.kind == Token::kString || v.kind == Token::kNumber || v.kind == Token::kDoubleQuoted) {
      ++pos_;
      return v.text;
    }
    if (IsWord(v, "ARRAY")) {
      ++pos_;
      CENOTE_RETURN_IF_ERROR(ExpectSymbol('['));
      std::string joined;
      if (!AcceptSymbol(']')) {
        while (true) {
          CENOTE_ASSIGN_OR_RETURN(auto item, StringLiteral("ARRAY"));
          if (!joined.empty()) joined += ',';
          joined += item;
          if (AcceptSymbol(',')) continue;
          CENOTE_RETURN_IF_ERROR(ExpectSymbol(']'));
          break;
        }
      }
      return joined;
    }
    if (v.kind == Token::kWord) {
      ++pos_;
      return AsciiLower(v.text);
    }
    return Mismatch("StringLiteral");
  }

  // A Hive type, normalized.
  Result<std::string> Type(int depth = 0) {
    if (depth > 32) return ErrorAt("type nested too deeply");
    const Token& t = Peek();
    if (t.kind != Token::kWord)
      return ParseError(sql_, t.begin, "cannot recognize input near " + Describe(t) + " in column type");
    std::string word = AsciiLower(t.text);
    ++pos_;
    if (word == "array") {
      CENOTE_RETURN_IF_ERROR(ExpectSymbol('<'));
      auto inner = Type(depth + 1);
      if (!inner) return inner;
      CENOTE_RETURN_IF_ERROR(ExpectSymbol('>'));
      return "array<" + *inner + ">";
    }
    if (word == "map") {
      CENOTE_RETURN_IF_ERROR(ExpectSymbol('<'));
      auto key = Type(depth + 1);
      if (!key) return key;
      CENOTE_RETURN_IF_ERROR(ExpectSymbol(','));
      auto value = Type(depth + 1);
      if (!value) return value;
      CENOTE_RETURN_IF_ERROR(ExpectSymbol('>'));
      return "map<" + *key + "," + *value + ">";
    }
    if (word == "struct") {
      CENOTE_RETURN_IF_ERROR(ExpectSymbol('<'));
      std::string out = "struct<";
      bool first = true;
      while (true) {
        auto field = Identifier("struct field");
        if (!field) return field;
        CENOTE_RETURN_IF_ERROR(ExpectSymbol(':'));
        auto ft = Type(depth + 1);
        if (!ft) return ft;
        if (Accept("COMMENT")) {
          auto c = StringLiteral("COMMENT");
          if (!c) return c;
        }
        if (!first) out += ",";
        first = false;
        out += *field + ":" + *ft;
        if (AcceptSymbol(',')) continue;
        CENOTE_RETURN_IF_ERROR(ExpectSymbol('>'));
        break;
      }
      return out + ">";
    }
    if (word == "integer") word = "int";
    if (word == "double" && PeekWord("PRECISION")) ++pos_;
    if (word == "decimal" || word == "char" || word == "varchar") {
      if (AcceptSymbol('(')) {
        std::string args;
        while (true) {
          const Token& num = Peek();
          if (num.kind != Token::kNumber) return Mismatch("Number");
          ++pos_;
          if (!args.empty()) args += ",";
          args += num.text;
          if (AcceptSymbol(',')) continue;
          CENOTE_RETURN_IF_ERROR(ExpectSymbol(')'));
          break;
        }
        return word + "(" + args + ")";
      }
      if (word != "decimal") return Mismatch("(");
      return word;
    }
    static const char* kPrimitive[] = {"boolean", "tinyint", "smallint", "int",       "bigint", "float",
                                       "double",  "string",  "binary",   "timestamp", "date"};
    for (const char* p : kPrimitive) {
      if (word == p) return word;
    }
    return ParseError(sql_, t.begin, "cannot recognize input near " + Describe(t) + " in column type");
  }

  // ( term, ... ) where a term is `col` or `name(args...)`, kept as its text.
  Status TransformList(std::vector<std::string>& out) {
    CENOTE_RETURN_IF_ERROR(ExpectSymbol('('));
    while (true) {
      std::size_t begin = Peek().begin;
      CENOTE_RETURN_IF_ERROR(Identifier("partition transform"));
      if (AcceptSymbol('(')) {
        int depth = 1;
        while (depth > 0) {
          if (AtEnd()) return Mismatch(")");
          if (PeekSymbol('(')) ++depth;
          if (PeekSymbol(')')) --depth;
          ++pos_;
        }
      }
      out.push_back(sql_.substr(begin, Peek(0).begin - begin));
      // Trim what follows the term (whitespace before ',' or ')').
      while (!out.back().empty() && std::isspace(static_cast<unsigned char>(out.back().back())))
        out.back().pop_back();
      if (AcceptSymbol(',')) continue;
      return ExpectSymbol(')');
    }
  }

  // ( name type [COMMENT 'c'], ... )
  Status ColumnList(std::vector<ColumnSpec>& out) {
    CENOTE_RETURN_IF_ERROR(ExpectSymbol('('));
    while (true) {
      ColumnSpec col;
      CENOTE_ASSIGN_OR_RETURN(auto name, Identifier("column specification"));
      col.name = name;
      CENOTE_ASSIGN_OR_RETURN(auto type, Type());
      col.type = type;
      if (Accept("COMMENT")) {
        CENOTE_ASSIGN_OR_RETURN(auto c, StringLiteral("COMMENT"));
        col.comment = c;
      }
      for (const auto& existing : out) {
        if (existing.name == col.name) {
          return ErrorAt("Duplicate column name: " + col.name);
        }
      }
      out.push_back(std::move(col));
      if (AcceptSymbol(',')) continue;
      return ExpectSymbol(')');
    }
  }

  // PARTITION ( k = 'v', ... )
  Status PartitionValues(PartitionSpec& out) {
    CENOTE_RETURN_IF_ERROR(Expect("PARTITION"));
    CENOTE_RETURN_IF_ERROR(ExpectSymbol('('));
    while (true) {
      CENOTE_ASSIGN_OR_RETURN(auto key, Identifier("partition specification"));
      CENOTE_RETURN_IF_ERROR(ExpectSymbol('='));
      const Token& v = Peek();
      std::string value;
      if (v.kind == Token::kString || v.kind == Token::kNumber || v.kind == Token::kDoubleQuoted) {
        value = v.text;
        ++pos_;
      } else if (v.kind == Token::kSymbol && v.text == "-" && Peek(1).kind == Token::kNumber) {
        value = "-" + Peek(1).text;
        pos_ += 2;
      } else {
        return Mismatch("constant");
      }
      out.values.emplace_back(key, std::move(value));
      if (AcceptSymbol(',')) continue;
      return ExpectSymbol(')');
    }
  }

  // The rest of the text from the current token (the embedded SELECT).
  std::string Rest() const { return sql_.substr(Peek().begin); }
  std::size_t pos() const { return pos_; }
  void set_pos(std::size_t p) { pos_ = p; }
  const std::vector<Token>& tokens() const { return tokens_; }
  const std::string& sql() const { return sql_; }

  Status ExpectEnd() {
    if (AtEnd()) return Status::Ok();
    return ParseError(sql_, Peek().begin, "extraneous input " + Describe(Peek()) + " expecting <EOF>");
  }

 private:
  const std::string& sql_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

void SetTypes(Statement& s, const char* statement_type, const char* substatement_type) {
  s.statement_type = statement_type;
  s.substatement_type = substatement_type;
}

bool IsQueryStart(const Parser& p, std::size_t ahead) {
  return p.PeekWord("SELECT", ahead) || p.PeekWord("WITH", ahead) || p.PeekWord("VALUES", ahead) ||
         p.PeekWord("TABLE", ahead) || p.PeekSymbol('(', ahead);
}

Status ParseCreateDatabase(Parser& p, Statement& s) {
  s.kind = StatementKind::kCreateDatabase;
  SetTypes(s, "DDL", "CREATE_DATABASE");
  if (p.Accept("IF")) {
    CENOTE_RETURN_IF_ERROR(p.Expect("NOT"));
    CENOTE_RETURN_IF_ERROR(p.Expect("EXISTS"));
    s.if_not_exists = true;
  }
  CENOTE_ASSIGN_OR_RETURN(auto name, p.Identifier("database name"));
  s.name = name;
  while (!p.AtEnd()) {
    if (p.Accept("COMMENT")) {
      CENOTE_ASSIGN_OR_RETURN(auto c, p.StringLiteral("COMMENT"));
      s.comment = c;
    } else if (p.Accept("LOCATION")) {
      CENOTE_ASSIGN_OR_RETURN(auto l, p.StringLiteral("LOCATION"));
      s.location = l;
    } else if (p.Accept("WITH")) {
      CENOTE_RETURN_IF_ERROR(p.Expect("DBPROPERTIES"));
      CENOTE_RETURN_IF_ERROR(p.PropertyList(s.properties, false));
    } else {
      return p.ErrorAt("extraneous input " + p.Describe(p.Peek()) + " expecting <EOF>");
    }
  }
  return Status::Ok();
}

Status ParseIfExists(Parser& p, Statement& s) {
  if (p.Accept("IF")) {
    CENOTE_RETURN_IF_ERROR(p.Expect("EXISTS"));
    s.if_exists = true;
  }
  return Status::Ok();
}

Status ParseIfNotExists(Parser& p, Statement& s) {
  if (p.Accept("IF")) {
    CENOTE_RETURN_IF_ERROR(p.Expect("NOT"));
    CENOTE_RETURN_IF_ERROR(p.Expect("EXISTS"));
    s.if_not_exists = true;
  }
  return Status::Ok();
}

// The body of CREATE [EXTERNAL] TABLE name ( columns ) ... after the name.
Status ParseTableClauses(Parser& p, Statement& s) {
  CENOTE_RETURN_IF_ERROR(p.ColumnList(s.columns));
  while (!p.AtEnd()) {
    if (p.Accept("COMMENT")) {
      CENOTE_ASSIGN_OR_RETURN(auto c, p.StringLiteral("COMMENT"));
      s.comment = c;
    } else if (p.Accept("PARTITIONED")) {
      CENOTE_RETURN_IF_ERROR(p.Expect("BY"));
      // Iceberg's hidden partitioning: names and transforms without types.
      if (p.PeekSymbol('(') && (p.PeekSymbol(',', 2) || p.PeekSymbol(')', 2) || p.PeekSymbol('(', 2))) {
        CENOTE_RETURN_IF_ERROR(p.TransformList(s.partition_transforms));
        continue;
      }
      CENOTE_RETURN_IF_ERROR(p.ColumnList(s.partition_keys));
      for (const auto& k : s.partition_keys) {
        for (const auto& c : s.columns) {
          if (c.name == k.name) return p.ErrorAt("Column repeated in partitioning columns: " + k.name);
        }
      }
    } else if (p.Accept("CLUSTERED")) {
      CENOTE_RETURN_IF_ERROR(p.Expect("BY"));
      std::vector<std::string> ignored;
      CENOTE_RETURN_IF_ERROR(p.ExpectSymbol('('));
      while (true) {
        CENOTE_RETURN_IF_ERROR(p.Identifier("CLUSTERED BY"));
        if (p.AcceptSymbol(',')) continue;
        CENOTE_RETURN_IF_ERROR(p.ExpectSymbol(')'));
        break;
      }
      CENOTE_RETURN_IF_ERROR(p.Expect("INTO"));
      if (p.Peek().kind != Token::kNumber) return p.Mismatch("Number");
      p.set_pos(p.pos() + 1);
      CENOTE_RETURN_IF_ERROR(p.Expect("BUCKETS"));
    } else if (p.Accept("ROW")) {
      CENOTE_RETURN_IF_ERROR(p.Expect("FORMAT"));
      if (p.Accept("DELIMITED")) {
        s.row_format_delimited = true;
        while (true) {
          if (p.Accept("FIELDS")) {
            CENOTE_RETURN_IF_ERROR(p.Expect("TERMINATED"));
            CENOTE_RETURN_IF_ERROR(p.Expect("BY"));
            CENOTE_ASSIGN_OR_RETURN(auto d, p.StringLiteral("FIELDS TERMINATED BY"));
            s.delimited.emplace_back("field.delim", d);
            if (p.Accept("ESCAPED")) {
              CENOTE_RETURN_IF_ERROR(p.Expect("BY"));
              CENOTE_ASSIGN_OR_RETURN(auto e, p.StringLiteral("ESCAPED BY"));
              s.delimited.emplace_back("escape.delim", e);
            }
          } else {
            // The other clauses: <first word> <words...> 'value' -> SerDe parameter.
            struct Clause {
              const char* first;
              std::vector<const char*> rest;
              const char* label;
              const char* parameter;
            };
            static const Clause kClauses[] = {
                {"COLLECTION",
                 {"ITEMS", "TERMINATED", "BY"},
                 "COLLECTION ITEMS TERMINATED BY",
                 "collection.delim"},
                {"MAP", {"KEYS", "TERMINATED", "BY"}, "MAP KEYS TERMINATED BY", "mapkey.delim"},
                {"LINES", {"TERMINATED", "BY"}, "LINES TERMINATED BY", "line.delim"},
                {"NULL", {"DEFINED", "AS"}, "NULL DEFINED AS", "serialization.null.format"},
            };
            const Clause* clause = nullptr;
            for (const Clause& c : kClauses) {
              if (p.Accept(c.first)) {
                clause = &c;
                break;
              }
            }
            if (clause == nullptr) break;
            for (const char* word : clause->rest) CENOTE_RETURN_IF_ERROR(p.Expect(word));
            CENOTE_ASSIGN_OR_RETURN(auto d, p.StringLiteral(clause->label));
            s.delimited.emplace_back(clause->parameter, d);
          }
        }
      } else if (p.Accept("SERDE")) {
        CENOTE_ASSIGN_OR_RETURN(auto serde, p.StringLiteral("SERDE"));
        s.serde = serde;
        if (p.PeekWord("WITH") && p.PeekWord("SERDEPROPERTIES", 1)) {
          p.set_pos(p.pos() + 2);
          CENOTE_RETURN_IF_ERROR(p.PropertyList(s.serde_properties, false));
        }
      } else {
        return p.Mismatch("DELIMITED or SERDE");
      }
    } else if (p.PeekWord("WITH") && p.PeekWord("SERDEPROPERTIES", 1)) {
      p.set_pos(p.pos() + 2);
      CENOTE_RETURN_IF_ERROR(p.PropertyList(s.serde_properties, false));
    } else if (p.Accept("STORED")) {
      CENOTE_RETURN_IF_ERROR(p.Expect("AS"));
      if (p.Accept("INPUTFORMAT")) {
        CENOTE_ASSIGN_OR_RETURN(auto in, p.StringLiteral("INPUTFORMAT"));
        s.input_format = in;
        CENOTE_RETURN_IF_ERROR(p.Expect("OUTPUTFORMAT"));
        CENOTE_ASSIGN_OR_RETURN(auto out, p.StringLiteral("OUTPUTFORMAT"));
        s.output_format = out;
      } else {
        CENOTE_ASSIGN_OR_RETURN(auto fmt, p.Identifier("file format"));
        s.stored_as = AsciiUpper(fmt);
        static const char* kFormats[] = {"PARQUET", "TEXTFILE",     "ORC",    "JSON", "JSONFILE",
                                         "AVRO",    "SEQUENCEFILE", "RCFILE", "ION"};
        bool known = false;
        for (const char* f : kFormats) known = known || s.stored_as == f;
        if (!known) {
          return ParseError(p.sql(), p.tokens()[p.pos() - 1].begin,
                            "cannot recognize input near '" + fmt + "' in file format specification");
        }
      }
    } else if (p.Accept("LOCATION")) {
      CENOTE_ASSIGN_OR_RETURN(auto l, p.StringLiteral("LOCATION"));
      s.location = l;
    } else if (p.Accept("TBLPROPERTIES")) {
      CENOTE_RETURN_IF_ERROR(p.PropertyList(s.properties, false));
    } else {
      return p.ErrorAt("extraneous input " + p.Describe(p.Peek()) + " expecting <EOF>");
    }
  }
  return Status::Ok();
}

// The embedded query of CTAS: strips a trailing WITH [NO] DATA.
void TakeCtasQuery(Parser& p, Statement& s) {
  const auto& toks = p.tokens();
  std::size_t last = toks.size() - 1;  // kEnd
  std::size_t end_offset = p.sql().size();
  if (last >= 3 && Parser::IsWord(toks[last - 1], "DATA")) {
    if (Parser::IsWord(toks[last - 2], "NO") && last >= 4 && Parser::IsWord(toks[last - 3], "WITH")) {
      s.with_no_data = true;
      end_offset = toks[last - 3].begin;
    } else if (Parser::IsWord(toks[last - 2], "WITH")) {
      end_offset = toks[last - 2].begin;
    }
  }
  std::size_t begin = p.Peek().begin;
  std::string q = p.sql().substr(begin, end_offset > begin ? end_offset - begin : 0);
  while (!q.empty() && std::isspace(static_cast<unsigned char>(q.back()))) q.pop_back();
  s.query = q;
}

Status ParseCreate(Parser& p, Statement& s) {
  if (p.Accept("OR")) {
    CENOTE_RETURN_IF_ERROR(p.Expect("REPLACE"));
    s.or_replace = true;
    if (!p.PeekWord("VIEW")) return p.Mismatch("VIEW");
  }
  if (p.Accept("DATABASE") || p.Accept("SCHEMA")) return ParseCreateDatabase(p, s);
  if (p.Accept("VIEW")) {
    s.kind = StatementKind::kCreateView;
    SetTypes(s, "DDL", "CREATE_VIEW");
    CENOTE_RETURN_IF_ERROR(p.QualifiedName("view name", s.database, s.name));
    if (p.Accept("COMMENT")) {
      CENOTE_ASSIGN_OR_RETURN(auto c, p.StringLiteral("COMMENT"));
      s.comment = c;
    }
    if (p.Accept("SECURITY")) {
      if (!p.Accept("DEFINER") && !p.Accept("INVOKER")) return p.Mismatch("DEFINER or INVOKER");
    }
    CENOTE_RETURN_IF_ERROR(p.Expect("AS"));
    if (p.AtEnd() || !IsQueryStart(p, 0)) return p.Mismatch("SELECT");
    s.query = p.Rest();
    return Status::Ok();
  }
  bool external = p.Accept("EXTERNAL");
  if (!p.Accept("TABLE")) return p.Mismatch(external ? "TABLE" : "TABLE, EXTERNAL, DATABASE, SCHEMA or VIEW");
  s.external = external;
  CENOTE_RETURN_IF_ERROR(ParseIfNotExists(p, s));
  CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name", s.database, s.name));
  if (!external && (p.PeekWord("WITH") || p.PeekWord("AS"))) {
    s.kind = StatementKind::kCreateTableAs;
    SetTypes(s, "DML", "CREATE_TABLE_AS_SELECT");
    if (p.Accept("WITH")) CENOTE_RETURN_IF_ERROR(p.PropertyList(s.properties, true));
    CENOTE_RETURN_IF_ERROR(p.Expect("AS"));
    if (p.AtEnd() || !IsQueryStart(p, 0)) return p.Mismatch("SELECT");
    TakeCtasQuery(p, s);
    if (s.query.empty()) return p.Mismatch("SELECT");
    return Status::Ok();
  }
  s.kind = StatementKind::kCreateTable;
  SetTypes(s, "DDL", "CREATE_TABLE");
  return ParseTableClauses(p, s);
}

Status ParseDrop(Parser& p, Statement& s) {
  if (p.Accept("DATABASE") || p.Accept("SCHEMA")) {
    s.kind = StatementKind::kDropDatabase;
    SetTypes(s, "DDL", "DROP_DATABASE");
    CENOTE_RETURN_IF_ERROR(ParseIfExists(p, s));
    CENOTE_ASSIGN_OR_RETURN(auto name, p.Identifier("database name"));
    s.name = name;
    if (p.Accept("CASCADE")) {
      s.cascade = true;
    } else {
      (void)p.Accept("RESTRICT");
    }
    return p.ExpectEnd();
  }
  if (p.Accept("TABLE")) {
    s.kind = StatementKind::kDropTable;
    SetTypes(s, "DDL", "DROP_TABLE");
  } else if (p.Accept("VIEW")) {
    s.kind = StatementKind::kDropView;
    SetTypes(s, "DDL", "DROP_VIEW");
  } else {
    return p.Mismatch("DATABASE, SCHEMA, TABLE or VIEW");
  }
  CENOTE_RETURN_IF_ERROR(ParseIfExists(p, s));
  CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name", s.database, s.name));
  (void)p.Accept("PURGE");
  return p.ExpectEnd();
}

Status ParseShow(Parser& p, Statement& s) {
  SetTypes(s, "UTILITY", "SHOW");
  if (p.Accept("DATABASES") || p.Accept("SCHEMAS")) {
    s.kind = StatementKind::kShowDatabases;
    s.substatement_type = "SHOW_DATABASES";
    if (p.Accept("LIKE") || p.Peek().kind == Token::kString) {
      CENOTE_ASSIGN_OR_RETURN(auto pat, p.StringLiteral("LIKE"));
      s.pattern = pat;
    }
    return p.ExpectEnd();
  }
  if (p.Accept("TABLES") || p.Accept("VIEWS")) {
    bool views = Parser::IsWord(p.tokens()[p.pos() - 1], "VIEWS");
    s.kind = views ? StatementKind::kShowViews : StatementKind::kShowTables;
    s.substatement_type = views ? "SHOW_VIEWS" : "SHOW_TABLES";
    if (p.Accept("IN") || p.Accept("FROM")) {
      CENOTE_ASSIGN_OR_RETURN(auto db, p.Identifier("database name"));
      s.database = db;
    }
    if (p.Accept("LIKE") || p.Peek().kind == Token::kString) {
      CENOTE_ASSIGN_OR_RETURN(auto pat, p.StringLiteral("LIKE"));
      s.pattern = pat;
    }
    return p.ExpectEnd();
  }
  if (p.Accept("PARTITIONS")) {
    s.kind = StatementKind::kShowPartitions;
    s.substatement_type = "SHOW_PARTITIONS";
    CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name", s.database, s.name));
    return p.ExpectEnd();
  }
  if (p.Accept("COLUMNS")) {
    s.kind = StatementKind::kShowColumns;
    s.substatement_type = "SHOW_COLUMNS";
    if (!p.Accept("IN") && !p.Accept("FROM")) return p.Mismatch("IN or FROM");
    CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name", s.database, s.name));
    if (p.Accept("IN") || p.Accept("FROM")) {
      CENOTE_ASSIGN_OR_RETURN(auto db, p.Identifier("database name"));
      s.database = db;
    }
    return p.ExpectEnd();
  }
  if (p.Accept("CREATE")) {
    if (!p.Accept("TABLE") && !p.Accept("VIEW")) return p.Mismatch("TABLE or VIEW");
    s.kind = StatementKind::kShowCreateTable;
    s.substatement_type = "SHOW_CREATE_TABLE";
    CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name", s.database, s.name));
    return p.ExpectEnd();
  }
  if (p.Accept("TBLPROPERTIES")) {
    s.kind = StatementKind::kShowTblProperties;
    s.substatement_type = "SHOW_TBLPROPERTIES";
    CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name", s.database, s.name));
    if (p.AcceptSymbol('(')) {
      CENOTE_ASSIGN_OR_RETURN(auto key, p.StringLiteral("TBLPROPERTIES"));
      s.pattern = key;
      CENOTE_RETURN_IF_ERROR(p.ExpectSymbol(')'));
    }
    return p.ExpectEnd();
  }
  return p.Mismatch("DATABASES, SCHEMAS, TABLES, VIEWS, PARTITIONS, COLUMNS, CREATE or TBLPROPERTIES");
}

Status ParseDescribe(Parser& p, Statement& s) {
  s.kind = StatementKind::kDescribe;
  SetTypes(s, "UTILITY", "DESCRIBE");
  if (p.Accept("FORMATTED") || p.Accept("EXTENDED")) s.formatted = true;
  CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name", s.database, s.name));
  if (!p.AtEnd()) {
    CENOTE_ASSIGN_OR_RETURN(auto col, p.Identifier("column name"));
    s.pattern = col;
  }
  return p.ExpectEnd();
}

Status ParseAlter(Parser& p, Statement& s) {
  CENOTE_RETURN_IF_ERROR(p.Expect("TABLE"));
  CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name", s.database, s.name));
  if (p.Accept("ADD")) {
    if (p.Accept("COLUMNS")) {
      // Iceberg tables only (the runner answers unsupported_reason for Hive tables).
      s.kind = StatementKind::kAlterAddColumns;
      SetTypes(s, "DDL", "ALTER_TABLE_ADD_COLUMNS");
      s.unsupported_reason = "NOT_SUPPORTED: ALTER TABLE ADD COLUMNS is not supported yet";
      CENOTE_RETURN_IF_ERROR(p.ColumnList(s.columns));
      return p.ExpectEnd();
    }
    if (!p.PeekWord("IF") && !p.PeekWord("PARTITION")) {
      s.kind = StatementKind::kUnsupported;
      SetTypes(s, "DDL", "ALTER_TABLE");
      s.unsupported_reason = "NOT_SUPPORTED: this ALTER TABLE ADD statement is not supported";
      return Status::Ok();
    }
    s.kind = StatementKind::kAlterAddPartitions;
    SetTypes(s, "DDL", "ALTER_TABLE_ADD_PARTITION");
    CENOTE_RETURN_IF_ERROR(ParseIfNotExists(p, s));
    do {
      PartitionSpec spec;
      CENOTE_RETURN_IF_ERROR(p.PartitionValues(spec));
      if (p.Accept("LOCATION")) {
        CENOTE_ASSIGN_OR_RETURN(auto l, p.StringLiteral("LOCATION"));
        spec.location = l;
      }
      s.partitions.push_back(std::move(spec));
      (void)p.AcceptSymbol(',');
    } while (p.PeekWord("PARTITION"));
    return p.ExpectEnd();
  }
  if (p.Accept("DROP")) {
    if (p.Accept("COLUMN")) {
      s.kind = StatementKind::kAlterDropColumn;
      SetTypes(s, "DDL", "ALTER_TABLE_DROP_COLUMN");
      s.unsupported_reason = "NOT_SUPPORTED: ALTER TABLE DROP COLUMN is not supported for Hive tables";
      CENOTE_ASSIGN_OR_RETURN(auto column, p.Identifier("column name"));
      s.pattern = column;
      return p.ExpectEnd();
    }
    s.kind = StatementKind::kAlterDropPartitions;
    SetTypes(s, "DDL", "ALTER_TABLE_DROP_PARTITION");
    CENOTE_RETURN_IF_ERROR(ParseIfExists(p, s));
    do {
      PartitionSpec spec;
      CENOTE_RETURN_IF_ERROR(p.PartitionValues(spec));
      s.partitions.push_back(std::move(spec));
    } while (p.AcceptSymbol(','));
    return p.ExpectEnd();
  }
  if (p.Accept("CHANGE")) {
    (void)p.Accept("COLUMN");
    s.kind = StatementKind::kAlterChangeColumn;
    SetTypes(s, "DDL", "ALTER_TABLE_CHANGE_COLUMN");
    s.unsupported_reason = "NOT_SUPPORTED: ALTER TABLE CHANGE COLUMN is not supported for Hive tables";
    CENOTE_ASSIGN_OR_RETURN(auto old_name, p.Identifier("column name"));
    s.pattern = old_name;
    ColumnSpec col;
    CENOTE_ASSIGN_OR_RETURN(col.name, p.Identifier("column name"));
    CENOTE_ASSIGN_OR_RETURN(col.type, p.Type());
    if (p.Accept("COMMENT")) {
      CENOTE_ASSIGN_OR_RETURN(col.comment, p.StringLiteral("COMMENT"));
    }
    if (p.Accept("FIRST")) {
      s.column_first = true;
    } else if (p.Accept("AFTER")) {
      CENOTE_ASSIGN_OR_RETURN(s.column_after, p.Identifier("column name"));
    }
    s.columns.push_back(std::move(col));
    return p.ExpectEnd();
  }
  if (p.Accept("RENAME")) {
    CENOTE_RETURN_IF_ERROR(p.Expect("TO"));
    s.kind = StatementKind::kAlterRenameTable;
    SetTypes(s, "DDL", "ALTER_TABLE_RENAME");
    CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name", s.new_database, s.new_name));
    return p.ExpectEnd();
  }
  s.kind = StatementKind::kUnsupported;
  SetTypes(s, "DDL", "ALTER_TABLE");
  s.unsupported_reason = "NOT_SUPPORTED: this ALTER TABLE statement is not supported";
  return Status::Ok();
}

Status ParseInsert(Parser& p, Statement& s) {
  s.kind = StatementKind::kInsertInto;
  SetTypes(s, "DML", "INSERT");
  if (p.Accept("OVERWRITE")) {
    s.kind = StatementKind::kUnsupported;
    s.unsupported_reason = "NOT_SUPPORTED: INSERT OVERWRITE is not supported";
    return Status::Ok();
  }
  CENOTE_RETURN_IF_ERROR(p.Expect("INTO"));
  (void)p.Accept("TABLE");
  CENOTE_RETURN_IF_ERROR(p.QualifiedName("table name", s.database, s.name));
  if (p.PeekSymbol('(') && !IsQueryStart(p, 1)) {
    p.AcceptSymbol('(');
    while (true) {
      CENOTE_ASSIGN_OR_RETURN(auto col, p.Identifier("column list"));
      s.insert_columns.push_back(col);
      if (p.AcceptSymbol(',')) continue;
      CENOTE_RETURN_IF_ERROR(p.ExpectSymbol(')'));
      break;
    }
  }
  if (p.AtEnd() || !IsQueryStart(p, 0)) return p.Mismatch("SELECT, WITH or VALUES");
  s.query = p.Rest();
  return Status::Ok();
}

// The end (one past the closing quote, or the end of `sql`) of the quoted span that opens at `open`: a
// string literal or a quoted identifier, whose quote character doubles to escape itself; with
// `backslash_escapes`, a backslash also escapes the next character inside a '...' literal.
std::size_t QuotedSpanEnd(const std::string& sql, std::size_t open, bool backslash_escapes) {
  const char q = sql[open];
  const std::size_t n = sql.size();
  std::size_t j = open + 1;
  while (j < n) {
    if (backslash_escapes && q == '\'' && sql[j] == '\\' && j + 1 < n) {
      j += 2;
      continue;
    }
    if (sql[j] == q) {
      if (j + 1 < n && sql[j + 1] == q) {
        j += 2;
        continue;
      }
      break;
    }
    ++j;
  }
  return std::min(n, j + 1);
}

}  // namespace

std::string StripSqlComments(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  std::size_t i = 0;
  const std::size_t n = sql.size();
  while (i < n) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      const std::size_t stop = QuotedSpanEnd(sql, i, /*backslash_escapes=*/true);
      out.append(sql, i, stop - i);
      i = stop;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      std::size_t end = sql.find("*/", i + 2);
      i = end == std::string::npos ? n : end + 2;
      out += ' ';
    } else {
      out += c;
      ++i;
    }
  }
  std::size_t b = 0;
  while (b < out.size() && std::isspace(static_cast<unsigned char>(out[b]))) ++b;
  std::size_t e = out.size();
  while (e > b && std::isspace(static_cast<unsigned char>(out[e - 1]))) --e;
  if (e > b && out[e - 1] == ';') {
    --e;
    while (e > b && std::isspace(static_cast<unsigned char>(out[e - 1]))) --e;
  }
  return out.substr(b, e - b);
}

Result<std::string> SubstituteParameters(const std::string& sql, const std::vector<std::string>& parameters) {
  std::string out;
  std::size_t used = 0;
  std::size_t placeholders = 0;
  std::size_t i = 0;
  const std::size_t n = sql.size();
  while (i < n) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      const std::size_t stop = QuotedSpanEnd(sql, i, /*backslash_escapes=*/false);
      out.append(sql, i, stop - i);
      i = stop;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      std::size_t end = sql.find('\n', i);
      if (end == std::string::npos) end = n;
      out.append(sql, i, end - i);
      i = end;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      std::size_t end = sql.find("*/", i + 2);
      end = end == std::string::npos ? n : end + 2;
      out.append(sql, i, end - i);
      i = end;
    } else if (c == '?') {
      ++placeholders;
      if (used < parameters.size()) out += parameters[used++];
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  if (placeholders != parameters.size()) {
    return MakeError("INVALID_PARAMETER_USAGE", "Incorrect number of parameters: expected " +
                                                    std::to_string(placeholders) + " but found " +
                                                    std::to_string(parameters.size()));
  }
  return out;
}

Result<Statement> ParseStatement(const std::string& raw) {
  const std::string sql = StripSqlComments(raw);
  CENOTE_ASSIGN_OR_RETURN(auto tokens, Tokenize(sql));
  Parser p(sql, std::move(tokens));
  Statement s;
  if (p.AtEnd()) return ParseError(sql, 0, "cannot recognize input near '<EOF>'");
  if (IsQueryStart(p, 0)) {
    s.kind = StatementKind::kSelect;
    SetTypes(s, "DML", "SELECT");
    s.query = sql;
    return s;
  }
  if (p.PeekWord("EXPLAIN")) {
    s.kind = StatementKind::kSelect;
    SetTypes(s, "UTILITY", "EXPLAIN");
    s.query = sql;
    return s;
  }
  Status st;
  if (p.Accept("CREATE")) {
    st = ParseCreate(p, s);
  } else if (p.Accept("DROP")) {
    st = ParseDrop(p, s);
  } else if (p.Accept("SHOW")) {
    st = ParseShow(p, s);
  } else if (p.Accept("DESCRIBE") || p.Accept("DESC")) {
    st = ParseDescribe(p, s);
  } else if (p.Accept("MSCK")) {
    s.kind = StatementKind::kMsckRepair;
    SetTypes(s, "DDL", "MSCK_REPAIR_TABLE");
    st = p.Expect("REPAIR");
    if (st) st = p.Expect("TABLE");
    if (st) st = p.QualifiedName("table name", s.database, s.name);
    if (st) st = p.ExpectEnd();
  } else if (p.Accept("ALTER")) {
    st = ParseAlter(p, s);
  } else if (p.Accept("INSERT")) {
    st = ParseInsert(p, s);
  } else if (p.PeekWord("UPDATE") || p.PeekWord("DELETE") || p.PeekWord("MERGE")) {
    // Athena only modifies rows of Iceberg tables; the runner answers Trino's Hive connector wording for
    // the others.
    std::string verb = AsciiUpper(p.Peek().text);
    SetTypes(s, "DML", verb.c_str());
    s.kind = verb == "DELETE"   ? StatementKind::kDelete
             : verb == "UPDATE" ? StatementKind::kUpdate
                                : StatementKind::kMerge;
    (void)p.Accept(verb.c_str());
    if (verb == "DELETE") st = p.Expect("FROM");
    if (verb == "MERGE") st = p.Expect("INTO");
    if (st) st = p.QualifiedName("table name", s.database, s.name);
    s.query = sql;
    s.unsupported_reason =
        "NOT_SUPPORTED: Modifying Hive table rows is only supported for transactional tables";
  } else if (p.Accept("OPTIMIZE")) {
    s.kind = StatementKind::kOptimize;
    SetTypes(s, "DML", "OPTIMIZE");
    st = p.QualifiedName("table name", s.database, s.name);
    s.query = sql;
    s.unsupported_reason = "NOT_SUPPORTED: OPTIMIZE is only supported for Iceberg tables";
  } else if (p.Accept("VACUUM")) {
    s.kind = StatementKind::kVacuum;
    SetTypes(s, "UTILITY", "VACUUM");
    st = p.QualifiedName("table name", s.database, s.name);
    if (st) st = p.ExpectEnd();
    s.unsupported_reason = "NOT_SUPPORTED: VACUUM is only supported for Iceberg tables";
  } else if (p.PeekWord("GRANT") || p.PeekWord("REVOKE") || p.PeekWord("UNLOAD") || p.PeekWord("PREPARE") ||
             p.PeekWord("EXECUTE") || p.PeekWord("DEALLOCATE") || p.PeekWord("ANALYZE") ||
             p.PeekWord("CALL") || p.PeekWord("USE") || p.PeekWord("SET") || p.PeekWord("RESET")) {
    s.kind = StatementKind::kUnsupported;
    SetTypes(s, "UTILITY", AsciiUpper(p.Peek().text).c_str());
    s.unsupported_reason = "NOT_SUPPORTED: " + AsciiUpper(p.Peek().text) + " is not supported";
  } else {
    const Token& t = p.Peek();
    return ParseError(sql, t.begin,
                      "mismatched input " + p.Describe(t) +
                          " expecting ALTER, CREATE, DESCRIBE, DROP, EXPLAIN, INSERT, MSCK, SELECT, SHOW, "
                          "VALUES or WITH");
  }
  if (!st) return std::move(st).error();
  return s;
}

Result<std::string> NormalizeHiveType(const std::string& type) {
  CENOTE_ASSIGN_OR_RETURN(auto tokens, Tokenize(type));
  Parser p(type, std::move(tokens));
  auto t = p.Type();
  if (!t) return t;
  CENOTE_RETURN_IF_ERROR(p.ExpectEnd());
  return t;
}

}  // namespace cenote::athena
