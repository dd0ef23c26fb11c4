#if defined(__GNUC__) && !defined(__clang__)
// g++ 12's -Wrestrict false positive on std::string concatenation (as services' internal.hpp files note).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "services/states/asl/json_path.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"

namespace cenote::states::asl {

namespace {

Error Runtime(std::string cause) { return MakeError("States.Runtime", std::move(cause)); }
Error IntrinsicFailure(std::string cause) { return MakeError("States.IntrinsicFailure", std::move(cause)); }

}  // namespace

std::string ToJsonText(const json::value& v) { return json::serialize(v); }

// ---- paths

struct Filter {
  std::vector<std::string> field;  // @.a.b
  std::string op;                  // "" (exists), ==, !=, <, <=, >, >=
  json::value literal;
};

struct Step {
  enum class Kind { kName, kIndex, kWildcard, kSlice, kNames, kIndices, kDeepName, kDeepWildcard, kFilter };
  Kind kind = Kind::kName;
  std::string name;
  std::int64_t index = 0;
  std::optional<std::int64_t> start, end;
  std::vector<std::string> names;
  std::vector<std::int64_t> indices;
  Filter filter;
};

struct Path {
  std::vector<Step> steps;
  bool definite = true;
};

namespace {

bool IsNameChar(char c) {
  return IsAsciiAlnum(c) || c == '_' || c == '-' || c == '$' || static_cast<unsigned char>(c) >= 0x80 ||
         c == ':' || c == '@' || c == '#' || c == '+' || c == '%' || c == '/' || c == '!' || c == '&' ||
         c == '^' || c == '~' || c == '`' || c == '|' || c == ';' || c == '<' || c == '>' || c == '=' ||
         c == '\\';
}

class PathParser {
 public:
  explicit PathParser(std::string_view t) : t_(t) {}

  Result<std::shared_ptr<const Path>> Run() {
    auto path = std::make_shared<Path>();
    if (t_.empty() || t_[0] != '$') return Bad();
    i_ = 1;
    while (i_ < t_.size()) {
      Step s;
      if (t_[i_] == '.') {
        ++i_;
        bool deep = false;
        if (i_ < t_.size() && t_[i_] == '.') {
          deep = true;
          ++i_;
        }
        if (i_ < t_.size() && t_[i_] == '*') {
          ++i_;
          s.kind = deep ? Step::Kind::kDeepWildcard : Step::Kind::kWildcard;
        } else if (i_ < t_.size() && t_[i_] == '[' && deep) {
          CENOTE_ASSIGN_OR_RETURN(s, Bracket());
          if (s.kind != Step::Kind::kName) return Bad();
          s.kind = Step::Kind::kDeepName;
        } else {
          const std::size_t from = i_;
          while (i_ < t_.size() && IsNameChar(t_[i_])) ++i_;
          if (i_ == from) return Bad();
          s.kind = deep ? Step::Kind::kDeepName : Step::Kind::kName;
          s.name = std::string(t_.substr(from, i_ - from));
        }
      } else if (t_[i_] == '[') {
        CENOTE_ASSIGN_OR_RETURN(s, Bracket());
      } else {
        return Bad();
      }
      if (s.kind != Step::Kind::kName && s.kind != Step::Kind::kIndex) path->definite = false;
      path->steps.push_back(std::move(s));
    }
    return std::shared_ptr<const Path>(std::move(path));
  }

 private:
  Error Bad() const { return MakeError("InvalidPath", "Invalid path '" + std::string(t_) + "'"); }

  void Spaces() {
    while (i_ < t_.size() && t_[i_] == ' ') ++i_;
  }

  Result<std::string> Quoted() {
    const char q = t_[i_++];
    std::string out;
    while (i_ < t_.size() && t_[i_] != q) {
      if (t_[i_] == '\\' && i_ + 1 < t_.size()) ++i_;
      out += t_[i_++];
    }
    if (i_ >= t_.size()) return Bad();
    ++i_;
    return out;
  }

  std::optional<std::int64_t> Integer() {
    const std::size_t from = i_;
    if (i_ < t_.size() && t_[i_] == '-') ++i_;
    while (i_ < t_.size() && IsAsciiDigit(t_[i_])) ++i_;
    if (i_ == from || (i_ == from + 1 && t_[from] == '-')) {
      i_ = from;
      return std::nullopt;
    }
    return std::stoll(std::string(t_.substr(from, i_ - from)));
  }

  Result<json::value> Literal() {
    Spaces();
    if (i_ < t_.size() && (t_[i_] == '\'' || t_[i_] == '"')) {
      CENOTE_ASSIGN_OR_RETURN(std::string s, Quoted());
      return json::value(s);
    }
    const std::size_t from = i_;
    while (i_ < t_.size() && t_[i_] != ')' && t_[i_] != ' ') ++i_;
    boost::system::error_code ec;
    json::value v = json::parse(t_.substr(from, i_ - from), ec);
    if (ec) return Bad();
    return v;
  }

  Result<Step> Bracket() {
    ++i_;  // [
    Spaces();
    Step s;
    if (i_ >= t_.size()) return Bad();
    if (t_[i_] == '*') {
      ++i_;
      s.kind = Step::Kind::kWildcard;
    } else if (t_[i_] == '\'' || t_[i_] == '"') {
      CENOTE_ASSIGN_OR_RETURN(std::string name, Quoted());
      s.names.push_back(std::move(name));
      Spaces();
      while (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        Spaces();
        if (i_ >= t_.size() || (t_[i_] != '\'' && t_[i_] != '"')) return Bad();
        CENOTE_ASSIGN_OR_RETURN(std::string more, Quoted());
        s.names.push_back(std::move(more));
        Spaces();
      }
      if (s.names.size() == 1) {
        s.kind = Step::Kind::kName;
        s.name = s.names[0];
      } else {
        s.kind = Step::Kind::kNames;
      }
    } else if (t_[i_] == '?') {
      ++i_;
      if (i_ + 1 >= t_.size() || t_[i_] != '(' || t_[i_ + 1] != '@') return Bad();
      i_ += 2;
      s.kind = Step::Kind::kFilter;
      while (i_ < t_.size() && t_[i_] == '.') {
        ++i_;
        const std::size_t from = i_;
        while (i_ < t_.size() && IsNameChar(t_[i_]) && t_[i_] != '=' && t_[i_] != '<' && t_[i_] != '>' &&
               t_[i_] != '!')
          ++i_;
        if (i_ == from) return Bad();
        s.filter.field.emplace_back(t_.substr(from, i_ - from));
      }
      Spaces();
      for (std::string_view op : {"==", "!=", "<=", ">=", "<", ">"}) {
        if (t_.substr(i_).starts_with(op)) {
          s.filter.op = std::string(op);
          i_ += op.size();
          CENOTE_ASSIGN_OR_RETURN(s.filter.literal, Literal());
          break;
        }
      }
      Spaces();
      if (i_ >= t_.size() || t_[i_] != ')') return Bad();
      ++i_;
    } else {
      auto first = Integer();
      Spaces();
      if (i_ < t_.size() && t_[i_] == ':') {
        ++i_;
        s.kind = Step::Kind::kSlice;
        s.start = first;
        Spaces();
        s.end = Integer();
      } else if (first && i_ < t_.size() && t_[i_] == ',') {
        s.kind = Step::Kind::kIndices;
        s.indices.push_back(*first);
        while (i_ < t_.size() && t_[i_] == ',') {
          ++i_;
          Spaces();
          auto more = Integer();
          if (!more) return Bad();
          s.indices.push_back(*more);
          Spaces();
        }
      } else if (first) {
        s.kind = Step::Kind::kIndex;
        s.index = *first;
      } else {
        return Bad();
      }
    }
    Spaces();
    if (i_ >= t_.size() || t_[i_] != ']') return Bad();
    ++i_;
    return s;
  }

  std::string_view t_;
  std::size_t i_ = 0;
};

double AsNumber(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.is_double() ? v.get_double() : 0;
}

bool FilterMatches(const Filter& f, const json::value& item) {
  const json::value* v = &item;
  for (const auto& name : f.field) {
    if (!v->is_object()) return false;
    auto it = v->as_object().find(name);
    if (it == v->as_object().end()) return false;
    v = &it->value();
  }
  if (f.op.empty()) return true;
  if (v->is_number() && f.literal.is_number()) {
    const double a = AsNumber(*v), b = AsNumber(f.literal);
    if (f.op == "==") return a == b;
    if (f.op == "!=") return a != b;
    if (f.op == "<") return a < b;
    if (f.op == "<=") return a <= b;
    if (f.op == ">") return a > b;
    return a >= b;
  }
  if (v->is_string() && f.literal.is_string()) {
    const int c = v->get_string().compare(f.literal.get_string());
    if (f.op == "==") return c == 0;
    if (f.op == "!=") return c != 0;
    if (f.op == "<") return c < 0;
    if (f.op == "<=") return c <= 0;
    if (f.op == ">") return c > 0;
    return c >= 0;
  }
  if (f.op == "==") return *v == f.literal;
  if (f.op == "!=") return *v != f.literal;
  return false;
}

void DeepCollect(const json::value& v, const Step& s, std::vector<const json::value*>& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      if (s.kind == Step::Kind::kDeepWildcard || k == s.name) out.push_back(&child);
    }
    for (const auto& [k, child] : v.as_object()) DeepCollect(child, s, out);
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) {
      if (s.kind == Step::Kind::kDeepWildcard) out.push_back(&child);
    }
    for (const auto& child : v.as_array()) DeepCollect(child, s, out);
  }
}

std::vector<const json::value*> Apply(const Step& s, const std::vector<const json::value*>& in) {
  std::vector<const json::value*> out;
  for (const json::value* v : in) {
    switch (s.kind) {
      case Step::Kind::kName:
        if (v->is_object()) {
          if (auto it = v->as_object().find(s.name); it != v->as_object().end()) out.push_back(&it->value());
        }
        break;
      case Step::Kind::kNames:
        if (v->is_object()) {
          for (const auto& n : s.names) {
            if (auto it = v->as_object().find(n); it != v->as_object().end()) out.push_back(&it->value());
          }
        }
        break;
      case Step::Kind::kIndex:
      case Step::Kind::kIndices: {
        if (!v->is_array()) break;
        const auto& a = v->as_array();
        const std::int64_t n = static_cast<std::int64_t>(a.size());
        std::vector<std::int64_t> idx =
            s.kind == Step::Kind::kIndex ? std::vector<std::int64_t>{s.index} : s.indices;
        for (std::int64_t i : idx) {
          if (i < 0) i += n;
          if (i >= 0 && i < n) out.push_back(&a[static_cast<std::size_t>(i)]);
        }
        break;
      }
      case Step::Kind::kWildcard:
        if (v->is_object()) {
          for (const auto& [k, child] : v->as_object()) out.push_back(&child);
        } else if (v->is_array()) {
          for (const auto& child : v->as_array()) out.push_back(&child);
        }
        break;
      case Step::Kind::kSlice: {
        if (!v->is_array()) break;
        const auto& a = v->as_array();
        const std::int64_t n = static_cast<std::int64_t>(a.size());
        std::int64_t from = s.start.value_or(0), to = s.end.value_or(n);
        if (from < 0) from = std::max<std::int64_t>(0, from + n);
        if (to < 0) to = std::max<std::int64_t>(0, to + n);
        to = std::min(to, n);
        for (std::int64_t i = from; i < to; ++i) out.push_back(&a[static_cast<std::size_t>(i)]);
        break;
      }
      case Step::Kind::kDeepName:
      case Step::Kind::kDeepWildcard:
        DeepCollect(*v, s, out);
        break;
      case Step::Kind::kFilter:
        if (v->is_array()) {
          for (const auto& child : v->as_array()) {
            if (FilterMatches(s.filter, child)) out.push_back(&child);
          }
        } else if (v->is_object()) {
          for (const auto& [k, child] : v->as_object()) {
            if (FilterMatches(s.filter, child)) out.push_back(&child);
          }
        }
        break;
    }
  }
  return out;
}

// "$['a']['b'][0]": how AWS prints a path in its causes.
std::string Bracketed(const Path& p) {
  std::string out = "$";
  for (const auto& s : p.steps) {
    if (s.kind == Step::Kind::kName) {
      out += "['" + s.name + "']";
    } else if (s.kind == Step::Kind::kIndex) {
      out += "[" + std::to_string(s.index) + "]";
    } else {
      out += "[*]";
    }
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const Path>> ParsePath(std::string_view text) { return PathParser(text).Run(); }

bool IsDefinite(const Path& path) { return path.definite; }

std::optional<json::value> Select(const Path& path, const json::value& root) {
  std::vector<const json::value*> nodes{&root};
  for (const auto& s : path.steps) nodes = Apply(s, nodes);
  if (path.definite) {
    if (nodes.empty()) return std::nullopt;
    return *nodes.front();
  }
  json::array out;
  for (const json::value* v : nodes) out.push_back(*v);
  return json::value(std::move(out));
}

Result<json::value> EvaluatePath(std::string_view text, const json::value& input,
                                 const json::value& context) {
  const bool ctx = text.starts_with("$$");
  std::string_view rest = ctx ? text.substr(1) : text;
  auto path = ParsePath(rest);
  if (!path) return Runtime("Invalid path '" + std::string(text) + "'");
  auto v = Select(**path, ctx ? context : input);
  if (!v) {
    return Runtime("Invalid path '" + std::string(text) + "' : No results for path: " + Bracketed(**path));
  }
  return std::move(*v);
}

Result<json::value> ApplyResultPath(std::string_view path_text, const json::value& input, json::value value) {
  auto path = ParsePath(path_text);
  if (!path || !(*path)->definite) return Runtime("Invalid ResultPath '" + std::string(path_text) + "'");
  const Path& p = **path;
  if (p.steps.empty()) return value;
  json::value out = input;
  json::value* at = &out;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const Step& s = p.steps[i];
    const bool last = i + 1 == p.steps.size();
    if (s.kind == Step::Kind::kName) {
      if (at->is_null() && at != &out) *at = json::object{};
      if (!at->is_object()) {
        return Runtime("Unable to apply step \"" + s.name + "\" to input " + ToJsonText(input));
      }
      json::value& child = at->as_object()[s.name];
      if (last) {
        child = std::move(value);
        return out;
      }
      at = &child;
    } else {
      if (!at->is_array() || s.index < 0 || static_cast<std::size_t>(s.index) >= at->as_array().size()) {
        return Runtime("Unable to apply ReferencePath " + std::string(path_text) + " to input " +
                       ToJsonText(input));
      }
      json::value& child = at->as_array()[static_cast<std::size_t>(s.index)];
      if (last) {
        child = std::move(value);
        return out;
      }
      at = &child;
    }
  }
  return out;
}

// ---- intrinsic functions

namespace {

// One argument of an intrinsic: a literal, a path (evaluated), or a nested call (evaluated).
class IntrinsicParser {
 public:
  IntrinsicParser(std::string_view t, const json::value& input, const json::value& context)
      : t_(t), input_(input), context_(context) {}

  Result<json::value> Run() {
    CENOTE_ASSIGN_OR_RETURN(json::value v, Call());
    Spaces();
    if (i_ != t_.size()) return Bad();
    return v;
  }

  static bool Check(std::string_view t) {
    json::value empty;
    IntrinsicParser p(t, empty, empty);
    p.dry_ = true;
    return p.Run().ok();
  }

 private:
  Error Bad() const {
    return IntrinsicFailure("The value of the field '" + std::string(t_) +
                            "' is not a valid intrinsic function");
  }
  void Spaces() {
    while (i_ < t_.size() && t_[i_] == ' ') ++i_;
  }

  Result<json::value> Call() {
    Spaces();
    const std::size_t from = i_;
    while (i_ < t_.size() && (IsAsciiAlnum(t_[i_]) || t_[i_] == '.')) ++i_;
    const std::string name(t_.substr(from, i_ - from));
    if (!name.starts_with("States.") || i_ >= t_.size() || t_[i_] != '(') return Bad();
    ++i_;
    json::array args;
    Spaces();
    if (i_ < t_.size() && t_[i_] == ')') {
      ++i_;
    } else {
      while (true) {
        CENOTE_ASSIGN_OR_RETURN(json::value a, Arg());
        args.push_back(std::move(a));
        Spaces();
        if (i_ < t_.size() && t_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < t_.size() && t_[i_] == ')') {
          ++i_;
          break;
        }
        return Bad();
      }
    }
    if (dry_) return KnownFunction(name) ? Result<json::value>(json::value()) : Result<json::value>(Bad());
    return Invoke(name, args);
  }

  static bool KnownFunction(const std::string& name) {
    static const std::set<std::string> kNames = {
        "States.Format",         "States.StringToJson",  "States.JsonToString", "States.Array",
        "States.ArrayPartition", "States.ArrayContains", "States.ArrayRange",   "States.ArrayGetItem",
        "States.ArrayLength",    "States.ArrayUnique",   "States.Base64Encode", "States.Base64Decode",
        "States.Hash",           "States.JsonMerge",     "States.MathRandom",   "States.MathAdd",
        "States.StringSplit",    "States.UUID"};
    return kNames.contains(name);
  }

  Result<json::value> Arg() {
    Spaces();
    if (i_ >= t_.size()) return Bad();
    const char c = t_[i_];
    if (c == '\'') {
      ++i_;
      std::string out;
      while (i_ < t_.size() && t_[i_] != '\'') {
        if (t_[i_] == '\\' && i_ + 1 < t_.size()) {
          // \' \{ \} \\ : the escapes the ASL specification defines; \{ and \} stay escaped for Format.
          const char n = t_[i_ + 1];
          if (n == '{' || n == '}') out += '\\';
          out += n;
          i_ += 2;
          continue;
        }
        out += t_[i_++];
      }
      if (i_ >= t_.size()) return Bad();
      ++i_;
      return json::value(out);
    }
    if (c == '$') {
      const std::size_t from = i_;
      int depth = 0;
      while (i_ < t_.size()) {
        const char d = t_[i_];
        if (d == '[') ++depth;
        if (d == ']') --depth;
        if (depth == 0 && (d == ',' || d == ')')) break;
        if (d == '\'' || d == '"') {
          const char q = d;
          ++i_;
          while (i_ < t_.size() && t_[i_] != q) ++i_;
        }
        ++i_;
      }
      std::string_view path = t_.substr(from, i_ - from);
      while (!path.empty() && path.back() == ' ') path.remove_suffix(1);
      if (dry_) {
        return ValidPath(path.starts_with("$$") ? path.substr(1) : path) ? Result<json::value>(json::value())
                                                                         : Result<json::value>(Bad());
      }
      return EvaluatePath(path, input_, context_);
    }
    if (t_.substr(i_).starts_with("States.")) return Call();
    const std::size_t from = i_;
    while (i_ < t_.size() && t_[i_] != ',' && t_[i_] != ')' && t_[i_] != ' ') ++i_;
    boost::system::error_code ec;
    json::value v = json::parse(t_.substr(from, i_ - from), ec);
    if (ec || v.is_object() || v.is_array() || v.is_string()) return Bad();
    return v;
  }

  Error ArgError(const std::string& name, const std::string& what) const {
    return IntrinsicFailure("Invalid arguments in " + name + ": " + what);
  }

  Result<json::value> Invoke(const std::string& name, json::array& a) {
    auto count = [&](std::size_t lo, std::size_t hi) -> Status {
      if (a.size() < lo || a.size() > hi) {
        return IntrinsicFailure("The intrinsic function " + name + " has an invalid number of arguments (" +
                                std::to_string(a.size()) + ")");
      }
      return Status::Ok();
    };
    auto is_int = [](const json::value& v) {
      return v.is_int64() || v.is_uint64() || (v.is_double() && std::floor(v.get_double()) == v.get_double());
    };
    auto to_int = [](const json::value& v) -> std::int64_t {
      if (v.is_int64()) return v.get_int64();
      if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64());
      return static_cast<std::int64_t>(v.get_double());
    };
    if (name == "States.Format") {
      if (a.empty() || !a[0].is_string()) return ArgError(name, "the first argument must be a string");
      const std::string tmpl(a[0].get_string());
      std::string out;
      std::size_t next = 1;
      for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] == '\\' && i + 1 < tmpl.size()) {
          out += tmpl[++i];
        } else if (tmpl[i] == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
          if (next >= a.size()) {
            return IntrinsicFailure("Number of arguments in States.Format do not match the number of " +
                                    std::string("placeholders in the template"));
          }
          const json::value& v = a[next++];
          if (v.is_object() || v.is_array()) {
            return ArgError(name, "the placeholder values must be strings, numbers, booleans or null");
          }
          out += v.is_string() ? std::string(v.get_string()) : ToJsonText(v);
          ++i;
        } else {
          out += tmpl[i];
        }
      }
      if (next != a.size()) {
        return IntrinsicFailure(
            "Number of arguments in States.Format do not match the number of placeholders in the template");
      }
      return json::value(out);
    }
    if (name == "States.StringToJson") {
      CENOTE_RETURN_IF_ERROR(count(1, 1));
      if (!a[0].is_string()) return ArgError(name, "the argument must be a string");
      boost::system::error_code ec;
      json::value v = json::parse(a[0].get_string(), ec);
      if (ec) return ArgError(name, "the argument is not valid JSON");
      return v;
    }
    if (name == "States.JsonToString") {
      CENOTE_RETURN_IF_ERROR(count(1, 1));
      return json::value(ToJsonText(a[0]));
    }
    if (name == "States.Array") return json::value(std::move(a));
    if (name == "States.ArrayPartition") {
      CENOTE_RETURN_IF_ERROR(count(2, 2));
      if (!a[0].is_array() || !is_int(a[1]) || to_int(a[1]) <= 0) {
        return ArgError(name, "expected an array and a positive integer chunk size");
      }
      const std::size_t size = static_cast<std::size_t>(to_int(a[1]));
      json::array out;
      const auto& in = a[0].as_array();
      for (std::size_t i = 0; i < in.size(); i += size) {
        json::array chunk;
        for (std::size_t j = i; j < std::min(in.size(), i + size); ++j) chunk.push_back(in[j]);
        out.push_back(std::move(chunk));
      }
      return json::value(std::move(out));
    }
    if (name == "States.ArrayContains") {
      CENOTE_RETURN_IF_ERROR(count(2, 2));
      if (!a[0].is_array()) return ArgError(name, "the first argument must be an array");
      for (const auto& v : a[0].as_array()) {
        if (v == a[1]) return json::value(true);
      }
      return json::value(false);
    }
    if (name == "States.ArrayRange") {
      CENOTE_RETURN_IF_ERROR(count(3, 3));
      if (!is_int(a[0]) || !is_int(a[1]) || !is_int(a[2]) || to_int(a[2]) == 0) {
        return ArgError(name, "expected integers start, end and a non-zero step");
      }
      const std::int64_t start = to_int(a[0]), end = to_int(a[1]), step = to_int(a[2]);
      json::array out;
      for (std::int64_t v = start; step > 0 ? v <= end : v >= end; v += step) {
        out.push_back(v);
        if (out.size() > 1000) {
          return IntrinsicFailure("The array returned by States.ArrayRange exceeds 1000 elements");
        }
      }
      return json::value(std::move(out));
    }
    if (name == "States.ArrayGetItem") {
      CENOTE_RETURN_IF_ERROR(count(2, 2));
      if (!a[0].is_array() || !is_int(a[1])) return ArgError(name, "expected an array and an index");
      const std::int64_t i = to_int(a[1]);
      if (i < 0 || static_cast<std::size_t>(i) >= a[0].as_array().size()) {
        return ArgError(name, "the index is out of bounds");
      }
      return a[0].as_array()[static_cast<std::size_t>(i)];
    }
    if (name == "States.ArrayLength") {
      CENOTE_RETURN_IF_ERROR(count(1, 1));
      if (!a[0].is_array()) return ArgError(name, "the argument must be an array");
      return json::value(static_cast<std::int64_t>(a[0].as_array().size()));
    }
    if (name == "States.ArrayUnique") {
      CENOTE_RETURN_IF_ERROR(count(1, 1));
      if (!a[0].is_array()) return ArgError(name, "the argument must be an array");
      json::array out;
      for (const auto& v : a[0].as_array()) {
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
      }
      return json::value(std::move(out));
    }
    if (name == "States.Base64Encode" || name == "States.Base64Decode") {
      CENOTE_RETURN_IF_ERROR(count(1, 1));
      if (!a[0].is_string()) return ArgError(name, "the argument must be a string");
      std::string_view s = a[0].get_string();
      if (s.size() > 10000) return ArgError(name, "the input exceeds 10000 characters");
      if (name == "States.Base64Encode") return json::value(Base64Encode(s));
      auto d = Base64Decode(s);
      if (!d) return ArgError(name, "the argument is not valid Base64");
      return json::value(*d);
    }
    if (name == "States.Hash") {
      CENOTE_RETURN_IF_ERROR(count(2, 2));
      if (!a[1].is_string()) return ArgError(name, "the algorithm must be a string");
      const std::string data = a[0].is_string() ? std::string(a[0].get_string()) : ToJsonText(a[0]);
      if (data.size() > 10000) return ArgError(name, "the input exceeds 10000 characters");
      const std::string algo(a[1].get_string());
      const EVP_MD* md = algo == "MD5"       ? EVP_md5()
                         : algo == "SHA-1"   ? EVP_sha1()
                         : algo == "SHA-256" ? EVP_sha256()
                         : algo == "SHA-384" ? EVP_sha384()
                         : algo == "SHA-512" ? EVP_sha512()
                                             : nullptr;
      if (md == nullptr) {
        return ArgError(name, "the hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512");
      }
      unsigned char digest[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      EVP_Digest(data.data(), data.size(), digest, &n, md, nullptr);
      return json::value(HexEncode(std::string_view(reinterpret_cast<const char*>(digest), n)));
    }
    if (name == "States.JsonMerge") {
      CENOTE_RETURN_IF_ERROR(count(3, 3));
      if (!a[0].is_object() || !a[1].is_object() || !a[2].is_bool()) {
        return ArgError(name, "expected two objects and a boolean");
      }
      if (a[2].get_bool())
        return ArgError(name, "deep merging is not supported; the third argument must be false");
      json::object out = a[0].as_object();
      for (const auto& [k, v] : a[1].as_object()) out[k] = v;
      return json::value(std::move(out));
    }
    if (name == "States.MathRandom") {
      CENOTE_RETURN_IF_ERROR(count(2, 3));
      if (!is_int(a[0]) || !is_int(a[1]) || to_int(a[1]) <= to_int(a[0])) {
        return ArgError(name, "expected integers start < end");
      }
      std::uint64_t r = 0;
      if (a.size() == 3 && is_int(a[2])) {
        r = static_cast<std::uint64_t>(to_int(a[2])) * 6364136223846793005ULL + 1442695040888963407ULL;
      } else {
        FillRandom(&r, sizeof(r));
      }
      const std::int64_t lo = to_int(a[0]), span = to_int(a[1]) - lo;
      return json::value(lo + static_cast<std::int64_t>(r % static_cast<std::uint64_t>(span)));
    }
    if (name == "States.MathAdd") {
      CENOTE_RETURN_IF_ERROR(count(2, 2));
      if (!is_int(a[0]) || !is_int(a[1])) return ArgError(name, "expected two integers");
      return json::value(to_int(a[0]) + to_int(a[1]));
    }
    if (name == "States.StringSplit") {
      CENOTE_RETURN_IF_ERROR(count(2, 2));
      if (!a[0].is_string() || !a[1].is_string()) return ArgError(name, "expected two strings");
      std::string_view s = a[0].get_string(), delims = a[1].get_string();
      json::array out;
      std::string cur;
      for (char c : s) {
        if (delims.find(c) != std::string_view::npos) {
          if (!cur.empty()) out.push_back(json::value(cur));
          cur.clear();
        } else {
          cur += c;
        }
      }
      if (!cur.empty()) out.push_back(json::value(cur));
      return json::value(std::move(out));
    }
    if (name == "States.UUID") {
      CENOTE_RETURN_IF_ERROR(count(0, 0));
      return json::value(NewUuidV4());
    }
    return IntrinsicFailure("The intrinsic function " + name + " is not supported");
  }

  std::string_view t_;
  const json::value& input_;
  const json::value& context_;
  std::size_t i_ = 0;
  bool dry_ = false;
};

}  // namespace

Result<json::value> EvaluateIntrinsic(std::string_view text, const json::value& input,
                                      const json::value& context) {
  return IntrinsicParser(text, input, context).Run();
}

Result<json::value> ApplyTemplate(const json::value& tmpl, const json::value& input,
                                  const json::value& context) {
  if (tmpl.is_array()) {
    json::array out;
    for (const auto& v : tmpl.as_array()) {
      CENOTE_ASSIGN_OR_RETURN(json::value r, ApplyTemplate(v, input, context));
      out.push_back(std::move(r));
    }
    return json::value(std::move(out));
  }
  if (!tmpl.is_object()) return tmpl;
  json::object out;
  for (const auto& [k, v] : tmpl.as_object()) {
    std::string_view key = k;
    if (key.size() > 2 && key.ends_with(".$")) {
      const std::string name(key.substr(0, key.size() - 2));
      if (!v.is_string()) {
        return Runtime("The value for the field '" + std::string(key) + "' must be a STRING");
      }
      std::string_view expr = v.get_string();
      if (expr.starts_with("States.")) {
        CENOTE_ASSIGN_OR_RETURN(json::value r, EvaluateIntrinsic(expr, input, context));
        out[name] = std::move(r);
        continue;
      }
      auto r = EvaluatePath(expr, input, context);
      if (!r) {
        if (r.error().code != "States.Runtime") return r.error();
        return Runtime("The JSONPath '" + std::string(expr) + "' specified for the field '" +
                       std::string(key) + "' could not be found in the input '" +
                       ToJsonText(expr.starts_with("$$") ? context : input) + "'");
      }
      out[name] = std::move(*r);
      continue;
    }
    CENOTE_ASSIGN_OR_RETURN(json::value r, ApplyTemplate(v, input, context));
    out[k] = std::move(r);
  }
  return json::value(std::move(out));
}

bool ValidPath(std::string_view text) {
  if (text.starts_with("$$")) text.remove_prefix(1);
  return ParsePath(text).ok();
}

bool ValidReferencePath(std::string_view text) {
  auto p = ParsePath(text);
  return p.ok() && (*p)->definite;
}

bool ValidIntrinsic(std::string_view text) { return IntrinsicParser::Check(text); }

std::optional<std::int64_t> ParseTimestamp(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]
  if (t.size() < 20) return std::nullopt;
  auto num = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (i >= t.size() || !IsAsciiDigit(t[i])) return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
      t[13] != ':' || t[16] != ':')
    return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  std::size_t i = 19;
  std::int64_t frac_ms = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int digits = 0;
    std::int64_t scale = 100;
    while (i < t.size() && IsAsciiDigit(t[i])) {
      if (digits < 3) frac_ms += (t[i] - '0') * scale;
      scale /= 10;
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
  }
  std::int64_t offset_s = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
    auto oh = num(i + 1, 2), om = num(i + 4, 2);
    if (!oh || !om) return std::nullopt;
    offset_s = (*oh * 3600 + *om * 60) * (t[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  const std::int64_t days = DaysFromCivil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d));
  return ((days * 86400 + *h * 3600 + *mi * 60 + *s) - offset_s) * 1000 + frac_ms;
}

std::string FormatTimestamp(std::int64_t ms) {
  std::int64_t secs = ms / 1000, rem = ms % 1000;
  if (rem < 0) {
    rem += 1000;
    --secs;
  }
  std::int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  const CivilDate c = CivilFromDays(days);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(sod / 3600),
                static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60),
                static_cast<long long>(rem));
  return buf;
}

}  // namespace cenote::states::asl
