// Type mapping between Glue/Hive types, DuckDB types and Athena result types (engine.hpp).
#include <cctype>
#include <string>

#include "query/dialect_datetime.hpp"
#include "query/engine.hpp"
#include "query/type_tree.hpp"

namespace cenote::query {
namespace internal {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Error BadType(const std::string& text, const std::string& why) {
  return MakeError("InvalidInputException", "Invalid type '" + text + "': " + why);
}

// Recursive-descent reader over a type string; both grammars share the scanning helpers.
class TypeReader {
 public:
  explicit TypeReader(const std::string& text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char Peek() {
    SkipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  // A bare word: letters, digits, underscore (and spaces inside DuckDB's multi-word names are handled
  // by the caller).
  std::string Word() {
    SkipSpace();
    std::size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '_' || text_[pos_] == '$'))
      ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // A field name: "quoted ""name""" or a bare word (Glue also allows other characters up to ':').
  Result<std::string> FieldName(char terminator) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      std::string out;
      while (pos_ < text_.size()) {
        if (text_[pos_] == '"') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
            out += '"';
            pos_ += 2;
            continue;
          }
          ++pos_;
          return out;
        }
        out += text_[pos_++];
      }
      return BadType(text_, "unterminated quoted name");
    }
    std::size_t start = pos_;
    if (terminator == ':') {
      while (pos_ < text_.size() && text_[pos_] != ':' && text_[pos_] != ',' && text_[pos_] != '>') ++pos_;
      std::string name = text_.substr(start, pos_ - start);
      while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
      if (name.empty()) return BadType(text_, "empty field name");
      return name;
    }
    std::string w = Word();
    if (w.empty()) return BadType(text_, "expected a field name");
    return w;
  }
  Result<std::int64_t> Number() {
    SkipSpace();
    std::size_t start = pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (start == pos_ || pos_ - start > 12) return BadType(text_, "expected a number");
    return std::stoll(text_.substr(start, pos_ - start));
  }
  const std::string& text() const { return text_; }

 private:
  const std::string& text_;
  std::size_t pos_ = 0;
};

constexpr int kMaxDepth = 64;

Result<TypeNode> ReadGlue(TypeReader& r, int depth) {
  if (depth > kMaxDepth) return BadType(r.text(), "nested too deeply");
  std::string word = Lower(r.Word());
  TypeNode node;
  if (word == "array") {
    if (!r.Consume('<')) return BadType(r.text(), "expected '<' after array");
    CENOTE_ASSIGN_OR_RETURN(TypeNode elem, ReadGlue(r, depth + 1));
    if (!r.Consume('>')) return BadType(r.text(), "expected '>'");
    node.base = "LIST";
    node.children.emplace_back("", std::move(elem));
    return node;
  }
  if (word == "map") {
    if (!r.Consume('<')) return BadType(r.text(), "expected '<' after map");
    CENOTE_ASSIGN_OR_RETURN(TypeNode key, ReadGlue(r, depth + 1));
    if (!r.Consume(',')) return BadType(r.text(), "expected ',' in map");
    CENOTE_ASSIGN_OR_RETURN(TypeNode value, ReadGlue(r, depth + 1));
    if (!r.Consume('>')) return BadType(r.text(), "expected '>'");
    node.base = "MAP";
    node.children.emplace_back("key", std::move(key));
    node.children.emplace_back("value", std::move(value));
    return node;
  }
  if (word == "struct") {
    if (!r.Consume('<')) return BadType(r.text(), "expected '<' after struct");
    node.base = "STRUCT";
    if (r.Consume('>')) return BadType(r.text(), "empty struct");
    do {
      CENOTE_ASSIGN_OR_RETURN(std::string name, r.FieldName(':'));
      if (!r.Consume(':')) return BadType(r.text(), "expected ':' in struct");
      CENOTE_ASSIGN_OR_RETURN(TypeNode field, ReadGlue(r, depth + 1));
      node.children.emplace_back(Lower(name), std::move(field));
    } while (r.Consume(','));
    if (!r.Consume('>')) return BadType(r.text(), "expected '>'");
    return node;
  }
  if (word == "decimal" || word == "numeric") {
    node.base = "DECIMAL";
    node.precision = 10;  // Hive's default for a bare decimal
    node.scale = 0;
    if (r.Consume('(')) {
      CENOTE_ASSIGN_OR_RETURN(std::int64_t precision, r.Number());
      node.precision = static_cast<int>(precision);
      if (r.Consume(',')) {
        CENOTE_ASSIGN_OR_RETURN(std::int64_t scale, r.Number());
        node.scale = static_cast<int>(scale);
      }
      if (!r.Consume(')')) return BadType(r.text(), "expected ')'");
    }
    if (node.precision < 1 || node.precision > 38 || node.scale > node.precision)
      return BadType(r.text(), "decimal precision must be 1..38 and scale <= precision");
    return node;
  }
  if (word == "string" || word == "varchar" || word == "char") {
    if (r.Consume('(')) {
      CENOTE_RETURN_IF_ERROR(r.Number());  // varchar(n): the length does not matter
      if (!r.Consume(')')) return BadType(r.text(), "expected ')'");
    }
    node.base = "VARCHAR";
    return node;
  }
  static const std::pair<const char*, const char*> kSimple[] = {
      {"int", "INTEGER"},     {"integer", "INTEGER"}, {"bigint", "BIGINT"},       {"smallint", "SMALLINT"},
      {"tinyint", "TINYINT"}, {"double", "DOUBLE"},   {"float", "FLOAT"},         {"real", "FLOAT"},
      {"boolean", "BOOLEAN"}, {"date", "DATE"},       {"timestamp", "TIMESTAMP"}, {"binary", "BLOB"},
      {"varbinary", "BLOB"},  {"json", "VARCHAR"},
  };
  for (const auto& [glue, duck] : kSimple) {
    if (word == glue) {
      node.base = duck;
      return node;
    }
  }
  if (word.empty()) return BadType(r.text(), "expected a type name");
  return BadType(r.text(), "unsupported type '" + word + "'");
}

// Whether the struct field at r is a bare type (no name before it): a word followed by ',', ')', '(' or
// '[', or a multi-word type name.
bool UnnamedField(const TypeReader& r) {
  TypeReader probe = r;
  if (probe.Peek() == '"') return false;
  std::string word = Upper(probe.Word());
  if (word.empty()) return false;
  char next = probe.Peek();
  if (next == ',' || next == ')' || next == '(' || next == '[') return true;
  std::string second = Upper(probe.Word());
  return (word == "TIMESTAMP" || word == "TIME") ? second == "WITH"
                                                 : word == "DOUBLE" && second == "PRECISION";
}

Result<TypeNode> ReadDuck(TypeReader& r, int depth) {
  if (depth > kMaxDepth) return BadType(r.text(), "nested too deeply");
  std::string word = Upper(r.Word());
  if (word.empty()) {
    // DESCRIBE prints the NULL literal's type as "NULL"; anything else without a name is malformed.
    return BadType(r.text(), "expected a type name");
  }
  TypeNode node;
  if (word == "STRUCT" || word == "UNION") {
    node.base = word;
    if (!r.Consume('(')) return BadType(r.text(), "expected '('");
    do {
      // DuckDB's anonymous rows (ROW(1, 'a'), list_zip) list bare types: STRUCT(INTEGER, VARCHAR).
      std::string name;
      if (!UnnamedField(r)) {
        CENOTE_ASSIGN_OR_RETURN(name, r.FieldName(' '));
      }
      CENOTE_ASSIGN_OR_RETURN(TypeNode field, ReadDuck(r, depth + 1));
      node.children.emplace_back(std::move(name), std::move(field));
    } while (r.Consume(','));
    if (!r.Consume(')')) return BadType(r.text(), "expected ')'");
  } else if (word == "MAP") {
    node.base = "MAP";
    if (!r.Consume('(')) return BadType(r.text(), "expected '('");
    CENOTE_ASSIGN_OR_RETURN(TypeNode key, ReadDuck(r, depth + 1));
    if (!r.Consume(',')) return BadType(r.text(), "expected ','");
    CENOTE_ASSIGN_OR_RETURN(TypeNode value, ReadDuck(r, depth + 1));
    if (!r.Consume(')')) return BadType(r.text(), "expected ')'");
    node.children.emplace_back("key", std::move(key));
    node.children.emplace_back("value", std::move(value));
  } else if (word == "DECIMAL" || word == "NUMERIC") {
    node.base = "DECIMAL";
    node.precision = 18;
    node.scale = 3;
    if (r.Consume('(')) {
      CENOTE_ASSIGN_OR_RETURN(std::int64_t precision, r.Number());
      node.precision = static_cast<int>(precision);
      node.scale = 0;
      if (r.Consume(',')) {
        CENOTE_ASSIGN_OR_RETURN(std::int64_t scale, r.Number());
        node.scale = static_cast<int>(scale);
      }
      if (!r.Consume(')')) return BadType(r.text(), "expected ')'");
    }
  } else if (word == "ENUM") {
    // ENUM('a', 'b'): the values do not matter for the mapping.
    node.base = "ENUM";
    int level = 0;
    do {
      char c = r.Peek();
      if (c == '\0') break;
      r.Consume(c);
      if (c == '(') ++level;
      if (c == ')') --level;
      if (c == '\'') {
        while (r.Peek() != '\0' && !r.Consume('\'')) r.Consume(r.Peek());
      }
    } while (level > 0);
  } else {
    node.base = word;
    // Multi-word names: TIMESTAMP WITH TIME ZONE, TIME WITH TIME ZONE, DOUBLE PRECISION.
    if (word == "TIMESTAMP" || word == "TIME" || word == "DOUBLE") {
      TypeReader probe = r;
      std::string next = Upper(probe.Word());
      if (next == "WITH") {
        r.Word();
        r.Word();  // TIME
        r.Word();  // ZONE
        node.base += " WITH TIME ZONE";
      } else if (next == "PRECISION") {
        r.Word();
      }
    }
    if (node.base == "VARCHAR" && r.Consume('(')) {
      CENOTE_RETURN_IF_ERROR(r.Number());  // varchar(n): the length does not matter
      if (!r.Consume(')')) return BadType(r.text(), "expected ')'");
    }
  }
  // Postfix list / fixed-size array markers: INTEGER[], INTEGER[3][].
  while (r.Consume('[')) {
    TypeNode outer;
    if (r.Consume(']')) {
      outer.base = "LIST";
    } else {
      CENOTE_ASSIGN_OR_RETURN(outer.array_size, r.Number());
      if (!r.Consume(']')) return BadType(r.text(), "expected ']'");
      outer.base = "ARRAY";
    }
    outer.children.emplace_back("", std::move(node));
    node = std::move(outer);
  }
  return node;
}

std::string GlueName(const TypeNode& t) {
  const std::string& b = t.base;
  if (b == "LIST" || b == "ARRAY") return "array<" + GlueName(t.children[0].second) + ">";
  if (b == "MAP") return "map<" + GlueName(t.children[0].second) + "," + GlueName(t.children[1].second) + ">";
  if (b == "STRUCT") {
    std::string out = "struct<";
    for (std::size_t i = 0; i < t.children.size(); ++i) {
      if (i > 0) out += ",";
      out += FieldLabel(t, i) + ":" + GlueName(t.children[i].second);
    }
    return out + ">";
  }
  if (b == "DECIMAL") return "decimal(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
  static const std::pair<const char*, const char*> kMap[] = {
      {"VARCHAR", "string"},
      {"INTEGER", "int"},
      {"BIGINT", "bigint"},
      {"SMALLINT", "smallint"},
      {"TINYINT", "tinyint"},
      {"UTINYINT", "smallint"},
      {"USMALLINT", "int"},
      {"UINTEGER", "bigint"},
      {"UBIGINT", "decimal(20,0)"},
      {"HUGEINT", "decimal(38,0)"},
      {"UHUGEINT", "decimal(38,0)"},
      {"DOUBLE", "double"},
      {"FLOAT", "float"},
      {"REAL", "float"},
      {"BOOLEAN", "boolean"},
      {"DATE", "date"},
      {"TIMESTAMP", "timestamp"},
      {"TIMESTAMP_NS", "timestamp"},
      {"TIMESTAMP_MS", "timestamp"},
      {"TIMESTAMP_S", "timestamp"},
      {"TIMESTAMP WITH TIME ZONE", "timestamp"},
      {"BLOB", "binary"},
  };
  for (const auto& [duck, glue] : kMap) {
    if (b == duck) return glue;
  }
  // TIME, INTERVAL, UUID, JSON, ENUM, UNION, BIT, NULL: Hive has no closer type than string.
  return "string";
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteLiteral(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

Result<TypeNode> ParseDuckDbType(const std::string& text) {
  TypeReader r(text);
  auto t = ReadDuck(r, 0);
  if (t && !r.AtEnd()) return BadType(text, "unexpected trailing text");
  return t;
}

Result<TypeNode> ParseGlueType(const std::string& text) {
  TypeReader r(text);
  auto t = ReadGlue(r, 0);
  if (t && !r.AtEnd()) return BadType(text, "unexpected trailing text");
  return t;
}

std::string DuckDbTypeName(const TypeNode& t) {
  const std::string& b = t.base;
  if (b == "LIST") return DuckDbTypeName(t.children[0].second) + "[]";
  if (b == "ARRAY") return DuckDbTypeName(t.children[0].second) + "[" + std::to_string(t.array_size) + "]";
  if (b == "MAP")
    return "MAP(" + DuckDbTypeName(t.children[0].second) + ", " + DuckDbTypeName(t.children[1].second) + ")";
  if (b == "STRUCT" || b == "UNION") {
    std::string out = b + "(";
    for (std::size_t i = 0; i < t.children.size(); ++i) {
      if (i > 0) out += ", ";
      if (!t.children[i].first.empty()) out += QuoteIdentifier(t.children[i].first) + " ";
      out += DuckDbTypeName(t.children[i].second);
    }
    return out + ")";
  }
  if (b == "DECIMAL") return "DECIMAL(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
  return b;
}

}  // namespace internal

Result<std::string> GlueTypeToDuckDb(const std::string& glue_type) {
  CENOTE_ASSIGN_OR_RETURN(internal::TypeNode t, internal::ParseGlueType(glue_type));
  return internal::DuckDbTypeName(t);
}

std::string DuckDbTypeToGlue(const std::string& duckdb_type) {
  auto t = internal::ParseDuckDbType(duckdb_type);
  if (!t) return "string";
  return internal::GlueName(*t);
}

ResultColumn DuckDbTypeToAthena(const std::string& name, const std::string& duckdb_type) {
  ResultColumn col;
  col.name = name;
  auto parsed = internal::ParseDuckDbType(duckdb_type);
  const std::string base = parsed ? parsed->base : std::string("VARCHAR");
  struct Entry {
    const char* duck;
    const char* athena;
    int precision;
    int scale;
  };
  // Precision/scale as Athena's ResultSetMetadata reports them for each type.
  static const Entry kMap[] = {
      {"VARCHAR", "varchar", 2147483647, 0},
      {"BOOLEAN", "boolean", 0, 0},
      {"TINYINT", "tinyint", 3, 0},
      {"SMALLINT", "smallint", 5, 0},
      {"INTEGER", "integer", 10, 0},
      {"BIGINT", "bigint", 19, 0},
      {"UTINYINT", "smallint", 5, 0},
      {"USMALLINT", "integer", 10, 0},
      {"UINTEGER", "bigint", 19, 0},
      {"UBIGINT", "decimal", 20, 0},
      {"HUGEINT", "decimal", 38, 0},
      {"UHUGEINT", "decimal", 38, 0},
      {"FLOAT", "real", 17, 0},
      {"DOUBLE", "double", 17, 0},
      {"DATE", "date", 0, 0},
      {"TIME", "time", 3, 0},
      {"TIMESTAMP", "timestamp", 3, 0},
      {"TIMESTAMP_S", "timestamp", 3, 0},
      {"TIMESTAMP_MS", "timestamp", 3, 0},
      {"TIMESTAMP_NS", "timestamp", 3, 0},
      {"TIMESTAMP WITH TIME ZONE", "timestamp with time zone", 3, 0},
      {"BLOB", "varbinary", 1073741824, 0},
      {"JSON", "json", 0, 0},
      {"LIST", "array", 0, 0},
      {"ARRAY", "array", 0, 0},
      {"MAP", "map", 0, 0},
      {"STRUCT", "row", 0, 0},
      {"INTERVAL", "varchar", 2147483647, 0},
      {"UUID", "varchar", 2147483647, 0},
      {"ENUM", "varchar", 2147483647, 0},
  };
  col.type = "varchar";
  col.precision = 2147483647;
  for (const auto& e : kMap) {
    if (base == e.duck) {
      col.type = e.athena;
      col.precision = e.precision;
      col.scale = e.scale;
      break;
    }
  }
  if (parsed && IsZonedTimestamp(*parsed)) {
    col.type = "timestamp with time zone";
    col.precision = 3;
    col.scale = 0;
  }
  if (parsed && base == "DECIMAL") {
    col.type = "decimal";
    col.precision = parsed->precision;
    col.scale = parsed->scale;
  }
  return col;
}

}  // namespace cenote::query
