// Protocol Buffers definitions (proto2 and proto3 .proto files, without extensions and groups as the Glue
// Schema Registry): a tokenizer and parser for the language, protoc's semantic checks (field numbers,
// names, reserved ranges, proto3 rules, enum aliases, map keys, type resolution), and wire compatibility by
// field number.
#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.hpp"
#include "services/glue/schemas/schema_formats.hpp"

namespace cenote::glue::schemas {
namespace {

Error Fail(std::string message) { return MakeError("InvalidInputException", std::move(message)); }

// ---- tokens

enum class Tok { kIdent, kInt, kFloat, kString, kSymbol, kEnd };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;   // as written (strings with their quotes)
  std::string value;  // strings: the unescaped contents
  int line = 0;
};

Result<std::vector<Token>> Tokenize(std::string_view src) {
  std::vector<Token> out;
  int line = 1;
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return k < src.size() ? src[k] : '\0'; };
  while (i < src.size()) {
    const char c = src[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (IsAsciiSpace(c)) {
      ++i;
      continue;
    }
    if (c == '/' && at(i + 1) == '/') {
      while (i < src.size() && src[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && at(i + 1) == '*') {
      const std::size_t end = src.find("*/", i + 2);
      if (end == std::string_view::npos)
        return Fail(std::to_string(line) + ": End-of-file inside block comment.");
      for (std::size_t k = i; k < end; ++k) line += src[k] == '\n' ? 1 : 0;
      i = end + 2;
      continue;
    }
    Token t;
    t.line = line;
    if (IsAsciiAlpha(c) || c == '_') {
      std::size_t j = i;
      while (j < src.size() && (IsAsciiAlnum(src[j]) || src[j] == '_')) ++j;
      t.kind = Tok::kIdent;
      t.text = std::string(src.substr(i, j - i));
      i = j;
    } else if (IsAsciiDigit(c) || (c == '.' && IsAsciiDigit(at(i + 1)))) {
      std::size_t j = i;
      bool is_float = false;
      if (c == '0' && (at(i + 1) == 'x' || at(i + 1) == 'X')) {
        j += 2;
        while (j < src.size() && std::isxdigit(static_cast<unsigned char>(src[j]))) ++j;
      } else {
        while (j < src.size() &&
               (IsAsciiAlnum(src[j]) || src[j] == '.' ||
                ((src[j] == '+' || src[j] == '-') && (src[j - 1] == 'e' || src[j - 1] == 'E')))) {
          if (src[j] == '.' || src[j] == 'e' || src[j] == 'E') is_float = true;
          ++j;
        }
      }
      t.kind = is_float ? Tok::kFloat : Tok::kInt;
      t.text = std::string(src.substr(i, j - i));
      i = j;
    } else if (c == '"' || c == '\'') {
      std::size_t j = i + 1;
      std::string value;
      while (j < src.size() && src[j] != c) {
        if (src[j] == '\n')
          return Fail(std::to_string(line) + ": String literals cannot cross line boundaries.");
        if (src[j] == '\\' && j + 1 < src.size()) {
          const char e = src[j + 1];
          switch (e) {
            case 'n':
              value += '\n';
              break;
            case 't':
              value += '\t';
              break;
            case 'r':
              value += '\r';
              break;
            case '\\':
              value += '\\';
              break;
            case '\'':
              value += '\'';
              break;
            case '"':
              value += '"';
              break;
            default:
              value += e;
              break;
          }
          j += 2;
          continue;
        }
        value += src[j++];
      }
      if (j >= src.size()) return Fail(std::to_string(line) + ": Unexpected end of string.");
      t.kind = Tok::kString;
      t.text = std::string(src.substr(i, j + 1 - i));
      t.value = std::move(value);
      i = j + 1;
    } else {
      static constexpr std::string_view kSymbols = "{}[]()<>;,=.-+:/";
      if (kSymbols.find(c) == std::string_view::npos) {
        return Fail(std::to_string(line) + ": Invalid character '" + std::string(1, c) + "'.");
      }
      t.kind = Tok::kSymbol;
      t.text = std::string(1, c);
      ++i;
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.line = line;
  out.push_back(std::move(end));
  return out;
}

// ---- the model

const std::set<std::string, std::less<>>& Scalars() {
  static const std::set<std::string, std::less<>> k = {"double",   "float",    "int32",  "int64",   "uint32",
                                                       "uint64",   "sint32",   "sint64", "fixed32", "fixed64",
                                                       "sfixed32", "sfixed64", "bool",   "string",  "bytes"};
  return k;
}

enum class TypeKind { kUnresolved, kScalar, kMessage, kEnum, kExternal };

struct TypeRef {
  std::string written;                    // as in the source
  std::string name;                       // scalar name, or the resolved full name (no leading dot)
  TypeKind kind = TypeKind::kUnresolved;  // until Resolve
  std::string scope;                      // the scope it is resolved in
  int line = 0;
};

struct FieldDef {
  std::string name;
  std::int64_t number = 0;
  std::string label;  // "", "optional", "required", "repeated"
  TypeRef type;
  bool is_map = false;
  TypeRef map_key;
  std::string oneof;
  bool has_default = false;
  int line = 0;
};

struct Range {
  std::int64_t from = 0;
  std::int64_t to = 0;
};

struct MessageDef {
  std::string full_name;
  std::vector<FieldDef> fields;
  std::vector<Range> reserved_numbers;
  std::set<std::string> reserved_names;
  int line = 0;
};

struct EnumDef {
  std::string full_name;
  std::string scope;
  std::vector<std::pair<std::string, std::int64_t>> values;
  bool allow_alias = false;
  std::vector<Range> reserved_numbers;
  std::set<std::string> reserved_names;
  int line = 0;
};

struct ProtoFile {
  std::string syntax = "proto2";
  std::string package;
  std::vector<std::string> imports;
  std::vector<std::string> top_messages;  // full names, in order
  std::map<std::string, MessageDef> messages;
  std::map<std::string, EnumDef> enums;
  std::vector<TypeRef> rpc_types;
};

constexpr std::int64_t kMaxFieldNumber = 536870911;
constexpr int kMaxNesting = 64;

// ---- the parser

class Parser {
 public:
  Parser(std::vector<Token> tokens, ProtoFile& file) : t_(std::move(tokens)), file_(file) {}

  Status ParseFile() {
    bool first = true;
    while (Peek().kind != Tok::kEnd) {
      const Token& tok = Peek();
      if (Is(";")) {
        Next();
        continue;
      }
      if (tok.kind != Tok::kIdent) return Unexpected("a top-level statement");
      const std::string word = tok.text;
      if (word == "syntax") {
        if (!first) return Error(tok, "syntax must be the first statement of the file.");
        Next();
        CENOTE_RETURN_IF_ERROR(Expect("="));
        if (Peek().kind != Tok::kString) return Unexpected("a string naming the syntax");
        const std::string syntax = Next().value;
        if (syntax != "proto2" && syntax != "proto3") {
          return Error(Peek(), "Unrecognized syntax identifier \"" + syntax +
                                   "\".  This parser only recognizes \"proto2\" and \"proto3\".");
        }
        file_.syntax = syntax;
        CENOTE_RETURN_IF_ERROR(Expect(";"));
      } else if (word == "edition") {
        return Error(tok, "Editions are not supported: the registry reads proto2 and proto3 files.");
      } else if (word == "package") {
        Next();
        if (!file_.package.empty()) return Error(tok, "Multiple package definitions.");
        CENOTE_ASSIGN_OR_RETURN(file_.package, FullIdent());
        CENOTE_RETURN_IF_ERROR(Expect(";"));
      } else if (word == "import") {
        Next();
        if (Peek().kind == Tok::kIdent && (Peek().text == "public" || Peek().text == "weak")) Next();
        if (Peek().kind != Tok::kString) return Unexpected("a string naming the file to import");
        file_.imports.push_back(Next().value);
        CENOTE_RETURN_IF_ERROR(Expect(";"));
      } else if (word == "option") {
        CENOTE_RETURN_IF_ERROR(SkipOption());
      } else if (word == "message") {
        CENOTE_ASSIGN_OR_RETURN(std::string name, Message(file_.package));
        file_.top_messages.push_back(name);
      } else if (word == "enum") {
        CENOTE_RETURN_IF_ERROR(Enum(file_.package));
      } else if (word == "service") {
        CENOTE_RETURN_IF_ERROR(Service());
      } else if (word == "extend") {
        return Error(tok, "Extensions are not supported by the schema registry.");
      } else {
        return Error(tok, "Expected top-level statement (e.g. \"message\").");
      }
      first = false;
    }
    return Status::Ok();
  }

 private:
  const Token& Peek(std::size_t ahead = 0) const { return t_[std::min(pos_ + ahead, t_.size() - 1)]; }
  const Token& Next() {
    const Token& tok = t_[pos_];
    if (pos_ + 1 < t_.size()) ++pos_;
    return tok;
  }
  bool Is(std::string_view symbol, std::size_t ahead = 0) const {
    const Token& tok = Peek(ahead);
    return (tok.kind == Tok::kSymbol || tok.kind == Tok::kIdent) && tok.text == symbol;
  }
  static cenote::Error Error(const Token& tok, const std::string& message) {
    return Fail(std::to_string(tok.line) + ": " + message);
  }
  cenote::Error Unexpected(const std::string& want) const {
    const Token& tok = Peek();
    return Error(tok, "Expected " + want + ", found " +
                          (tok.kind == Tok::kEnd ? "end of input" : "\"" + tok.text + "\"") + ".");
  }
  Status Expect(std::string_view symbol) {
    if (!Is(symbol)) return Unexpected("\"" + std::string(symbol) + "\"");
    Next();
    return Status::Ok();
  }
  Result<std::string> Ident(const char* what) {
    if (Peek().kind != Tok::kIdent) return Unexpected(what);
    return Next().text;
  }
  Result<std::string> FullIdent() {
    CENOTE_ASSIGN_OR_RETURN(std::string name, Ident("an identifier"));
    while (Is(".")) {
      Next();
      CENOTE_ASSIGN_OR_RETURN(std::string part, Ident("an identifier"));
      name += "." + part;
    }
    return name;
  }
  Result<std::int64_t> Integer(bool allow_negative) {
    bool negative = false;
    if (allow_negative && Is("-")) {
      Next();
      negative = true;
    }
    if (Peek().kind != Tok::kInt) return Unexpected("an integer");
    const Token& tok = Next();
    std::uint64_t v = 0;
    std::string_view s = tok.text;
    int base = 10;
    if (s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      base = 16;
      s.remove_prefix(2);
    } else if (s.size() > 1 && s[0] == '0') {
      base = 8;
      s.remove_prefix(1);
    }
    for (char c : s) {
      int d = IsAsciiDigit(c)
                  ? c - '0'
                  : (std::isxdigit(static_cast<unsigned char>(c)) ? AsciiToLower(c) - 'a' + 10 : 99);
      if (d >= base) return Error(tok, "Invalid integer \"" + tok.text + "\".");
      if (v > (UINT64_MAX - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(base)) {
        return Error(tok, "Integer out of range.");
      }
      v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    }
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return Error(tok, "Integer out of range.");
    return negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  }

  // option <name> = <constant>; (an aggregate constant {...} is skipped whole)
  Status SkipOption(std::string* name_out = nullptr, std::string* value_out = nullptr) {
    Next();  // option
    std::string name;
    while (!Is("=") && Peek().kind != Tok::kEnd && !Is(";")) name += Next().text;
    if (name.empty()) return Unexpected("an option name");
    CENOTE_RETURN_IF_ERROR(Expect("="));
    std::string value;
    int depth = 0;
    while (Peek().kind != Tok::kEnd && !(depth == 0 && Is(";"))) {
      if (Is("{")) ++depth;
      if (Is("}")) {
        if (depth == 0) return Unexpected("\";\"");
        --depth;
      }
      value += Next().text;
    }
    if (value.empty()) return Unexpected("an option value");
    CENOTE_RETURN_IF_ERROR(Expect(";"));
    if (name_out != nullptr) *name_out = name;
    if (value_out != nullptr) *value_out = value;
    return Status::Ok();
  }

  // [ name = value, ... ] after a field or an enum value. Notes "default".
  Status FieldOptions(bool* has_default) {
    if (!Is("[")) return Status::Ok();
    Next();
    while (true) {
      std::string name;
      while (!Is("=") && Peek().kind != Tok::kEnd && !Is("]")) name += Next().text;
      if (name.empty()) return Unexpected("an option name");
      CENOTE_RETURN_IF_ERROR(Expect("="));
      if (name == "default" && has_default != nullptr) *has_default = true;
      int depth = 0;
      std::size_t n = 0;
      while (Peek().kind != Tok::kEnd && !(depth == 0 && (Is(",") || Is("]")))) {
        if (Is("{")) ++depth;
        if (Is("}")) --depth;
        Next();
        ++n;
      }
      if (n == 0) return Unexpected("an option value");
      if (Is(",")) {
        Next();
        continue;
      }
      return Expect("]");
    }
  }

  Result<TypeRef> Type(const std::string& scope) {
    TypeRef ref;
    ref.line = Peek().line;
    ref.scope = scope;
    if (Is(".")) {
      Next();
      ref.written = ".";
    }
    CENOTE_ASSIGN_OR_RETURN(std::string name, FullIdent());
    ref.written += name;
    if (ref.written[0] != '.' && Scalars().count(ref.written) != 0) {
      ref.name = ref.written;
      ref.kind = TypeKind::kScalar;
    }
    return ref;
  }

  Status Reserved(std::vector<Range>& numbers, std::set<std::string>& names, std::int64_t max) {
    Next();  // reserved
    if (Peek().kind == Tok::kString || Peek().kind == Tok::kIdent) {
      while (true) {
        if (Peek().kind != Tok::kString && Peek().kind != Tok::kIdent) return Unexpected("a field name");
        names.insert(Peek().kind == Tok::kString ? Peek().value : Peek().text);
        Next();
        if (!Is(",")) break;
        Next();
      }
      return Expect(";");
    }
    while (true) {
      Range r;
      CENOTE_ASSIGN_OR_RETURN(r.from, Integer(true));
      r.to = r.from;
      if (Is("to")) {
        Next();
        if (Is("max")) {
          Next();
          r.to = max;
        } else {
          CENOTE_ASSIGN_OR_RETURN(r.to, Integer(true));
        }
      }
      if (r.to < r.from) return Error(Peek(), "Reserved range end number must be greater than start number.");
      numbers.push_back(r);
      if (!Is(",")) break;
      Next();
    }
    return Expect(";");
  }

  Result<FieldDef> Field(const std::string& scope, const std::string& oneof) {
    FieldDef f;
    f.line = Peek().line;
    f.oneof = oneof;
    if (Peek().kind == Tok::kIdent &&
        (Peek().text == "optional" || Peek().text == "required" || Peek().text == "repeated")) {
      if (!oneof.empty())
        return Error(Peek(), "Fields in oneofs must not have labels (required / optional / repeated).");
      f.label = Next().text;
    }
    if (Is("group")) return Error(Peek(), "Groups are not supported by the schema registry.");
    if (Is("map") && Is("<", 1)) {
      if (!f.label.empty())
        return Error(Peek(), "Field labels (required/optional/repeated) are not allowed on map fields.");
      if (!oneof.empty()) return Error(Peek(), "Map fields are not allowed in oneofs.");
      Next();
      Next();
      f.is_map = true;
      CENOTE_ASSIGN_OR_RETURN(f.map_key, Type(scope));
      CENOTE_RETURN_IF_ERROR(Expect(","));
      CENOTE_ASSIGN_OR_RETURN(f.type, Type(scope));
      CENOTE_RETURN_IF_ERROR(Expect(">"));
    } else {
      if (f.label.empty() && oneof.empty() && file_.syntax == "proto2") {
        return Error(Peek(), "Expected \"required\", \"optional\", or \"repeated\".");
      }
      if (f.label == "required" && file_.syntax == "proto3") {
        return Error(Peek(), "Required fields are not allowed in proto3.");
      }
      CENOTE_ASSIGN_OR_RETURN(f.type, Type(scope));
    }
    CENOTE_ASSIGN_OR_RETURN(f.name, Ident("a field name"));
    CENOTE_RETURN_IF_ERROR(Expect("="));
    const Token& num_tok = Peek();
    CENOTE_ASSIGN_OR_RETURN(f.number, Integer(true));
    if (f.number <= 0) return Error(num_tok, "Field numbers must be positive integers.");
    if (f.number > kMaxFieldNumber) {
      return Error(num_tok, "Field numbers cannot be greater than " + std::to_string(kMaxFieldNumber) + ".");
    }
    if (f.number >= 19000 && f.number <= 19999) {
      return Error(
          num_tok,
          "Field numbers 19000 through 19999 are reserved for the protocol buffer library implementation.");
    }
    CENOTE_RETURN_IF_ERROR(FieldOptions(&f.has_default));
    if (f.has_default && file_.syntax == "proto3")
      return Error(num_tok, "Explicit default values are not allowed in proto3.");
    CENOTE_RETURN_IF_ERROR(Expect(";"));
    return f;
  }

  Result<std::string> Message(const std::string& scope) {
    const Token& kw = Next();  // message
    // protoc's parser stops at a nesting depth too; a definition is untrusted input.
    if (++depth_ > kMaxNesting) return Error(kw, "Reached maximum recursion limit for nested messages.");
    CENOTE_ASSIGN_OR_RETURN(std::string name, Ident("a message name"));
    const std::string full = scope.empty() ? name : scope + "." + name;
    CENOTE_RETURN_IF_ERROR(Define(full, kw));
    MessageDef m;
    m.full_name = full;
    m.line = kw.line;
    CENOTE_RETURN_IF_ERROR(Expect("{"));
    std::set<std::string> oneofs;
    while (!Is("}")) {
      if (Peek().kind == Tok::kEnd) return Unexpected("\"}\"");
      if (Is(";")) {
        Next();
        continue;
      }
      if (Is("message") && Peek(1).kind == Tok::kIdent && Is("{", 2)) {
        CENOTE_RETURN_IF_ERROR(Message(full));
      } else if (Is("enum") && Peek(1).kind == Tok::kIdent && Is("{", 2)) {
        CENOTE_RETURN_IF_ERROR(Enum(full));
      } else if (Is("option")) {
        CENOTE_RETURN_IF_ERROR(SkipOption());
      } else if (Is("reserved")) {
        CENOTE_RETURN_IF_ERROR(Reserved(m.reserved_numbers, m.reserved_names, kMaxFieldNumber));
      } else if (Is("extensions") || Is("extend")) {
        return Error(Peek(), "Extensions are not supported by the schema registry.");
      } else if (Is("oneof") && Peek(1).kind == Tok::kIdent && Is("{", 2)) {
        const Token& okw = Next();
        const std::string oneof = Next().text;
        CENOTE_RETURN_IF_ERROR(Define(full + "." + oneof, okw));
        Next();  // {
        std::size_t count = 0;
        while (!Is("}")) {
          if (Peek().kind == Tok::kEnd) return Unexpected("\"}\"");
          if (Is(";")) {
            Next();
            continue;
          }
          if (Is("option")) {
            CENOTE_RETURN_IF_ERROR(SkipOption());
            continue;
          }
          CENOTE_ASSIGN_OR_RETURN(FieldDef f, Field(full, oneof));
          m.fields.push_back(std::move(f));
          ++count;
        }
        Next();  // }
        if (count == 0) return Error(okw, "Oneof must have at least one field.");
      } else {
        CENOTE_ASSIGN_OR_RETURN(FieldDef f, Field(full, ""));
        m.fields.push_back(std::move(f));
      }
    }
    Next();  // }
    --depth_;
    for (const auto& f : m.fields) {
      CENOTE_RETURN_IF_ERROR(Define(full + "." + f.name, Token{Tok::kIdent, f.name, "", f.line}));
    }
    file_.messages[full] = std::move(m);
    return full;
  }

  Status Enum(const std::string& scope) {
    const Token& kw = Next();  // enum
    CENOTE_ASSIGN_OR_RETURN(std::string name, Ident("an enum name"));
    const std::string full = scope.empty() ? name : scope + "." + name;
    CENOTE_RETURN_IF_ERROR(Define(full, kw));
    EnumDef e;
    e.full_name = full;
    e.scope = scope;
    e.line = kw.line;
    CENOTE_RETURN_IF_ERROR(Expect("{"));
    while (!Is("}")) {
      if (Peek().kind == Tok::kEnd) return Unexpected("\"}\"");
      if (Is(";")) {
        Next();
        continue;
      }
      if (Is("option")) {
        std::string oname;
        std::string ovalue;
        CENOTE_RETURN_IF_ERROR(SkipOption(&oname, &ovalue));
        if (oname == "allow_alias") e.allow_alias = ovalue == "true";
        continue;
      }
      if (Is("reserved")) {
        CENOTE_RETURN_IF_ERROR(Reserved(e.reserved_numbers, e.reserved_names, INT32_MAX));
        continue;
      }
      const Token& vtok = Peek();
      CENOTE_ASSIGN_OR_RETURN(std::string vname, Ident("an enum value name"));
      CENOTE_RETURN_IF_ERROR(Expect("="));
      CENOTE_ASSIGN_OR_RETURN(std::int64_t number, Integer(true));
      if (number < INT32_MIN || number > INT32_MAX) return Error(vtok, "Integer out of range.");
      CENOTE_RETURN_IF_ERROR(FieldOptions(nullptr));
      CENOTE_RETURN_IF_ERROR(Expect(";"));
      // Enum values are siblings of their enum (C++ scoping).
      CENOTE_RETURN_IF_ERROR(Define(scope.empty() ? vname : scope + "." + vname, vtok));
      e.values.emplace_back(vname, number);
    }
    Next();  // }
    if (e.values.empty()) return Error(kw, "Enums must contain at least one value.");
    if (file_.syntax == "proto3" && e.values.front().second != 0) {
      return Error(kw, "The first enum value must be zero in proto3.");
    }
    std::map<std::int64_t, std::string> by_number;
    for (const auto& [vname, number] : e.values) {
      auto [it, inserted] = by_number.emplace(number, vname);
      if (!inserted && !e.allow_alias) {
        return Error(kw,
                     "\"" + vname + "\" uses the same enum value as \"" + it->second +
                         "\". If this is intended, set 'option allow_alias = true;' to the enum definition.");
      }
      for (const auto& r : e.reserved_numbers) {
        if (number >= r.from && number <= r.to) {
          return Error(kw,
                       "Enum value \"" + vname + "\" uses reserved number " + std::to_string(number) + ".");
        }
      }
      if (e.reserved_names.count(vname) != 0) return Error(kw, "Enum value \"" + vname + "\" is reserved.");
    }
    file_.enums[full] = std::move(e);
    return Status::Ok();
  }

  Status Service() {
    const Token& kw = Next();  // service
    CENOTE_ASSIGN_OR_RETURN(std::string name, Ident("a service name"));
    const std::string full = file_.package.empty() ? name : file_.package + "." + name;
    CENOTE_RETURN_IF_ERROR(Define(full, kw));
    CENOTE_RETURN_IF_ERROR(Expect("{"));
    while (!Is("}")) {
      if (Peek().kind == Tok::kEnd) return Unexpected("\"}\"");
      if (Is(";")) {
        Next();
        continue;
      }
      if (Is("option")) {
        CENOTE_RETURN_IF_ERROR(SkipOption());
        continue;
      }
      if (!Is("rpc")) return Unexpected("\"rpc\"");
      Next();
      CENOTE_ASSIGN_OR_RETURN(std::string method, Ident("a method name"));
      for (int side = 0; side < 2; ++side) {
        if (side == 1) CENOTE_RETURN_IF_ERROR(Expect("returns"));
        CENOTE_RETURN_IF_ERROR(Expect("("));
        if (Is("stream") && !Is(")", 1) && !Is(".", 1)) Next();
        CENOTE_ASSIGN_OR_RETURN(TypeRef t, Type(file_.package));
        if (t.kind == TypeKind::kScalar) return Error(Peek(), "\"" + t.written + "\" is not a message type.");
        file_.rpc_types.push_back(std::move(t));
        CENOTE_RETURN_IF_ERROR(Expect(")"));
      }
      if (Is("{")) {
        Next();
        while (!Is("}")) {
          if (Peek().kind == Tok::kEnd) return Unexpected("\"}\"");
          if (Is(";")) {
            Next();
            continue;
          }
          CENOTE_RETURN_IF_ERROR(SkipOption());
        }
        Next();
      } else {
        CENOTE_RETURN_IF_ERROR(Expect(";"));
      }
    }
    Next();
    return Status::Ok();
  }

  Status Define(const std::string& full, const Token& tok) {
    if (!defined_.insert(full).second) {
      const std::size_t dot = full.rfind('.');
      const std::string name = dot == std::string::npos ? full : full.substr(dot + 1);
      const std::string scope = dot == std::string::npos ? "" : full.substr(0, dot);
      return Error(tok,
                   "\"" + name + "\" is already defined" + (scope.empty() ? "." : " in \"" + scope + "\"."));
    }
    return Status::Ok();
  }

  std::vector<Token> t_;
  std::size_t pos_ = 0;
  ProtoFile& file_;
  std::set<std::string> defined_;
  int depth_ = 0;
};

// Resolves a type name as protoc does: from the innermost scope outwards.
Status Resolve(const ProtoFile& file, TypeRef& ref) {
  if (ref.kind == TypeKind::kScalar) return Status::Ok();
  auto lookup = [&](const std::string& full) {
    if (file.messages.count(full) != 0) {
      ref.name = full;
      ref.kind = TypeKind::kMessage;
      return true;
    }
    if (file.enums.count(full) != 0) {
      ref.name = full;
      ref.kind = TypeKind::kEnum;
      return true;
    }
    return false;
  };
  if (ref.written[0] == '.') {
    if (lookup(ref.written.substr(1))) return Status::Ok();
  } else {
    std::string scope = ref.scope;
    while (true) {
      if (lookup(scope.empty() ? ref.written : scope + "." + ref.written)) return Status::Ok();
      if (scope.empty()) break;
      const std::size_t dot = scope.rfind('.');
      scope = dot == std::string::npos ? "" : scope.substr(0, dot);
    }
  }
  // Types from imported files are taken on trust: the registry holds one file per schema.
  if (!file.imports.empty()) {
    ref.kind = TypeKind::kExternal;
    ref.name = ref.written[0] == '.' ? ref.written.substr(1) : ref.written;
    return Status::Ok();
  }
  return Fail(std::to_string(ref.line) + ": \"" + ref.written + "\" is not defined.");
}

Status Check(ProtoFile& file) {
  for (auto& [name, m] : file.messages) {
    std::map<std::int64_t, std::string> numbers;
    for (auto& f : m.fields) {
      CENOTE_RETURN_IF_ERROR(Resolve(file, f.type));
      if (f.is_map) {
        CENOTE_RETURN_IF_ERROR(Resolve(file, f.map_key));
        const std::string& k = f.map_key.name;
        if (f.map_key.kind != TypeKind::kScalar || k == "float" || k == "double" || k == "bytes") {
          return Fail(std::to_string(f.line) +
                      ": Key in map fields cannot be float/double, bytes or message types.");
        }
      }
      auto [it, inserted] = numbers.emplace(f.number, f.name);
      if (!inserted) {
        return Fail(std::to_string(f.line) + ": Field number " + std::to_string(f.number) +
                    " has already been used in \"" + name + "\" by field \"" + it->second + "\".");
      }
      for (const auto& r : m.reserved_numbers) {
        if (f.number >= r.from && f.number <= r.to) {
          return Fail(std::to_string(f.line) + ": Field \"" + f.name + "\" uses reserved number " +
                      std::to_string(f.number) + ".");
        }
      }
      if (m.reserved_names.count(f.name) != 0) {
        return Fail(std::to_string(f.line) + ": Field name \"" + f.name + "\" is reserved.");
      }
      if (f.has_default && f.label == "repeated") {
        return Fail(std::to_string(f.line) + ": Repeated fields can't have default values.");
      }
    }
  }
  for (auto& t : file.rpc_types) {
    CENOTE_RETURN_IF_ERROR(Resolve(file, t));
    if (t.kind == TypeKind::kEnum)
      return Fail(std::to_string(t.line) + ": \"" + t.written + "\" is not a message type.");
  }
  return Status::Ok();
}

// The wire-compatible groups of the protobuf guide ("Updating a message type").
int WireGroup(const TypeRef& t) {
  if (t.kind == TypeKind::kEnum) return 1;
  if (t.kind != TypeKind::kScalar) return 100;  // messages: compared by structure
  static const std::map<std::string, int, std::less<>> k = {
      {"int32", 1},    {"uint32", 1},  {"int64", 1},    {"uint64", 1}, {"bool", 1},
      {"sint32", 2},   {"sint64", 2},  {"string", 3},   {"bytes", 3},  {"fixed32", 4},
      {"sfixed32", 4}, {"fixed64", 5}, {"sfixed64", 5}, {"float", 6},  {"double", 7}};
  return k.at(t.name);
}

class ProtobufSchema;

class Compat {
 public:
  Compat(const ProtoFile& reader, const ProtoFile& writer) : r_(reader), w_(writer) {}

  std::string Root() {
    if (w_.top_messages.empty()) return "";
    const std::string& root = w_.top_messages.front();
    if (r_.messages.count(root) == 0) return "message " + root + " was removed";
    return Messages(root, root);
  }

 private:
  std::string Messages(const std::string& rname, const std::string& wname) {
    if (!done_.insert({rname, wname}).second) return "";
    // Each pair once; a chain of references deeper than this is not compared (and not accepted).
    if (done_.size() > 10000) return "the schemas are too large to compare";
    struct Depth {
      int& d;
      explicit Depth(int& depth) : d(++depth) {}
      ~Depth() { --d; }
    } guard(depth_);
    if (depth_ > 256) return "message references nest too deeply to compare at " + rname;
    const MessageDef& rm = r_.messages.at(rname);
    const MessageDef& wm = w_.messages.at(wname);
    for (const auto& rf : rm.fields) {
      const FieldDef* wf = nullptr;
      for (const auto& f : wm.fields) {
        if (f.number == rf.number) wf = &f;
      }
      const std::string where = rname + "." + rf.name + " (" + std::to_string(rf.number) + ")";
      if (wf == nullptr) {
        if (rf.label == "required") return "required field " + where + " is not in the writer's schema";
        continue;
      }
      if (rf.label == "required" && wf->label != "required") {
        return "field " + where + " is required by the reader and optional for the writer";
      }
      if (rf.is_map != wf->is_map) return "field " + where + " changes between a map and a non-map field";
      if ((rf.label == "repeated") != (wf->label == "repeated")) {
        return "field " + where + " changes between repeated and singular";
      }
      if (!rf.oneof.empty() && wf->oneof.empty()) return "field " + where + " was moved into a oneof";
      if (rf.is_map && WireGroup(rf.map_key) != WireGroup(wf->map_key)) {
        return "field " + where + " changes its map key type from " + wf->map_key.name + " to " +
               rf.map_key.name;
      }
      std::string why = Types(rf.type, wf->type, where);
      if (!why.empty()) return why;
    }
    return "";
  }

  std::string Types(const TypeRef& rt, const TypeRef& wt, const std::string& where) {
    const bool r_msg = rt.kind == TypeKind::kMessage || rt.kind == TypeKind::kExternal;
    const bool w_msg = wt.kind == TypeKind::kMessage || wt.kind == TypeKind::kExternal;
    auto changed = [&] { return "field " + where + " changes its type from " + wt.name + " to " + rt.name; };
    if (r_msg && w_msg) {
      if (rt.kind == TypeKind::kMessage && wt.kind == TypeKind::kMessage) return Messages(rt.name, wt.name);
      return rt.name == wt.name ? "" : changed();
    }
    // An embedded message is length-delimited, as bytes are.
    if ((r_msg && wt.kind == TypeKind::kScalar && wt.name == "bytes") ||
        (w_msg && rt.kind == TypeKind::kScalar && rt.name == "bytes")) {
      return "";
    }
    if (r_msg || w_msg) return changed();
    return WireGroup(rt) == WireGroup(wt) ? "" : changed();
  }

  const ProtoFile& r_;
  const ProtoFile& w_;
  std::set<std::pair<std::string, std::string>> done_;
  int depth_ = 0;
};

// One statement per line, tokens separated by one space; comments and layout dropped.
std::string Canonical(const std::vector<Token>& tokens) {
  std::string out;
  bool line_start = true;
  for (const auto& t : tokens) {
    if (t.kind == Tok::kEnd) break;
    if (!line_start) out += ' ';
    out += t.text;
    line_start = t.kind == Tok::kSymbol && (t.text == ";" || t.text == "{" || t.text == "}");
    if (line_start) out += '\n';
  }
  return out;
}

class ProtobufSchema final : public Schema {
 public:
  DataFormat format() const override { return DataFormat::kProtobuf; }
  const std::string& canonical() const override { return canonical_; }
  std::string ReadsFrom(const Schema& writer) const override {
    const auto* w = dynamic_cast<const ProtobufSchema*>(&writer);
    if (w == nullptr) return "the schemas are not both PROTOBUF";
    Compat c(file_, w->file_);
    return c.Root();
  }

  ProtoFile file_;
  std::string canonical_;
};

}  // namespace

Result<std::shared_ptr<const Schema>> ParseProtobuf(std::string_view definition) {
  auto schema = std::make_shared<ProtobufSchema>();
  CENOTE_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(definition));
  schema->canonical_ = Canonical(tokens);
  Parser parser(std::move(tokens), schema->file_);
  CENOTE_RETURN_IF_ERROR(parser.ParseFile());
  CENOTE_RETURN_IF_ERROR(Check(schema->file_));
  if (schema->file_.messages.empty()) return Fail("The schema defines no message.");
  return std::shared_ptr<const Schema>(std::move(schema));
}

}  // namespace cenote::glue::schemas
