// Dynamic partitioning: the JQ subset people use in MetadataExtractionQuery to compute partition keys,
// evaluated in C++ over each record parsed as JSON.
//
// Supported: an object construction `{k1: <path> [| fn]..., k2, ...}` (`{k}` is `{k: .k}`) where <path> is
// `.`, `.a.b`, `."a b"`, `.["a"]`, `.a[0]` and fn is tostring, ascii_downcase, ascii_upcase,
// strftime("<format>") / todate on epoch seconds, tonumber, ltrimstr("x"), rtrimstr("x"), split("x") and
// `.[n]` / `.[from:to]` on arrays and strings. Anything else is refused at CreateDeliveryStream.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>

#include "common/strings.hpp"
#include "services/firehose/internal.hpp"

namespace cenote::firehose {

namespace {

Error Unsupported(std::string_view query, std::string_view why) {
  return services::MakeError(errors::kInvalidArgument, {"MetadataExtractionQuery '" + std::string(query) +
                                                        "' is not supported: " + std::string(why)});
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<PartitionQuery> ParseQuery() {
    PartitionQuery q;
    q.text = std::string(text_);
    Skip();
    if (!Eat('{')) return Unsupported(text_, "expected an object construction {key: .path, ...}");
    Skip();
    if (Eat('}')) return Unsupported(text_, "no partition keys");
    while (true) {
      Skip();
      std::string key;
      if (Peek() == '"') {
        CENOTE_ASSIGN_OR_RETURN(key, ParseString());
      } else {
        key = ParseIdent();
      }
      if (key.empty()) return Unsupported(text_, "expected a key name");
      Skip();
      PartitionQuery::Key k;
      k.name = key;
      if (Eat(':')) {
        CENOTE_ASSIGN_OR_RETURN(k.steps, ParseChain());
      } else {
        k.steps.push_back({.kind = Step::kField, .name = key});
      }
      q.keys.push_back(std::move(k));
      Skip();
      if (Eat(',')) continue;
      if (Eat('}')) break;
      return Unsupported(text_, "expected ',' or '}'");
    }
    Skip();
    if (pos_ != text_.size()) return Unsupported(text_, "unexpected text after the object");
    return q;
  }

 private:
  using Step = PartitionQuery::Step;

  Result<std::vector<Step>> ParseChain() {
    std::vector<Step> steps;
    Skip();
    if (!Eat('.')) return Unsupported(text_, "values must start with a path like .field");
    CENOTE_RETURN_IF_ERROR(ParsePathRest(steps));
    while (true) {
      Skip();
      if (!Eat('|')) break;
      Skip();
      if (Peek() == '.') {
        ++pos_;
        CENOTE_RETURN_IF_ERROR(ParsePathRest(steps));
        continue;
      }
      std::string fn = ParseIdent();
      Step st{.kind = Step::kFunction, .name = fn};
      Skip();
      if (Eat('(')) {
        Skip();
        CENOTE_ASSIGN_OR_RETURN(st.arg, ParseString());
        Skip();
        if (!Eat(')')) return Unsupported(text_, "expected ')'");
      }
      static const std::vector<std::string> kWithArg = {"strftime", "ltrimstr", "rtrimstr", "split"};
      static const std::vector<std::string> kNoArg = {"tostring", "ascii_downcase", "ascii_upcase", "todate",
                                                      "tonumber"};
      bool with = std::find(kWithArg.begin(), kWithArg.end(), fn) != kWithArg.end();
      bool without = std::find(kNoArg.begin(), kNoArg.end(), fn) != kNoArg.end();
      if (!(with && !st.arg.empty()) && !(without && st.arg.empty()))
        return Unsupported(text_, "function '" + fn + "'");
      st.name = fn;
      steps.push_back(std::move(st));
    }
    return steps;
  }

  // After a '.': [ident | "str" | [..]] then (.ident | [..])*
  Status ParsePathRest(std::vector<Step>& steps) {
    bool first = true;
    while (true) {
      if (Peek() == '[') {
        ++pos_;
        Skip();
        if (Peek() == '"') {
          CENOTE_ASSIGN_OR_RETURN(std::string field, ParseString());
          steps.push_back({.kind = Step::kField, .name = std::move(field)});
        } else {
          auto from = ParseInt();
          Skip();
          if (Eat(':')) {
            Skip();
            auto to = ParseInt();
            if (!from || !to) return Unsupported(text_, "slices need both bounds");
            steps.push_back({.kind = Step::kSlice, .from = *from, .to = *to});
          } else {
            if (!from) return Unsupported(text_, "expected an index");
            steps.push_back({.kind = Step::kIndex, .from = *from});
          }
        }
        Skip();
        if (!Eat(']')) return Unsupported(text_, "expected ']'");
      } else if (first && Peek() == '"') {
        CENOTE_ASSIGN_OR_RETURN(std::string field, ParseString());
        steps.push_back({.kind = Step::kField, .name = std::move(field)});
      } else if (first && IsIdentStart(Peek())) {
        steps.push_back({.kind = Step::kField, .name = ParseIdent()});
      } else if (!first && Peek() == '.') {
        ++pos_;
        if (Peek() == '"') {
          CENOTE_ASSIGN_OR_RETURN(std::string field, ParseString());
          steps.push_back({.kind = Step::kField, .name = std::move(field)});
        } else {
          std::string id = ParseIdent();
          if (id.empty()) return Unsupported(text_, "expected a field name after '.'");
          steps.push_back({.kind = Step::kField, .name = std::move(id)});
        }
      } else {
        return Status::Ok();
      }
      first = false;
    }
  }

  std::optional<std::int64_t> ParseInt() {
    std::size_t start = pos_;
    if (Peek() == '-') ++pos_;
    while (pos_ < text_.size() && IsAsciiDigit(text_[pos_])) ++pos_;
    if (pos_ == start || (pos_ == start + 1 && text_[start] == '-')) return std::nullopt;
    return std::stoll(std::string(text_.substr(start, pos_ - start)));
  }

  Result<std::string> ParseString() {
    if (!Eat('"')) return Unsupported(text_, "expected a string");
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out += text_[pos_++];
    }
    if (!Eat('"')) return Unsupported(text_, "unterminated string");
    return out;
  }

  static bool IsIdentStart(char c) { return IsAsciiAlpha(c) || c == '_'; }
  std::string ParseIdent() {
    std::size_t start = pos_;
    if (pos_ < text_.size() && IsIdentStart(text_[pos_])) ++pos_;
    while (pos_ < text_.size() && (IsAsciiAlnum(text_[pos_]) || text_[pos_] == '_')) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  void Skip() {
    while (pos_ < text_.size() && IsAsciiSpace(text_[pos_])) ++pos_;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// jq's text of a value: strings raw, numbers in their shortest form (1.5, not Boost's 1.5E0).
std::string JsonText(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_double()) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), v.as_double());
    return std::string(buf, r.ptr);
  }
  return json::serialize(v);
}

Result<json::value> Apply(const PartitionQuery::Step& st, const json::value& v, std::string_view key) {
  using Step = PartitionQuery::Step;
  auto fail = [&](std::string why) -> Error {
    return MakeError("DynamicPartitioning.MetadataExtractionFailed",
                     "Partition key '" + std::string(key) + "': " + why, 400);
  };
  switch (st.kind) {
    case Step::kField: {
      if (v.is_null()) return json::value(nullptr);
      if (!v.is_object()) return fail("cannot index " + JsonText(v) + " with \"" + st.name + "\"");
      const json::value* f = v.as_object().if_contains(st.name);
      return f ? *f : json::value(nullptr);
    }
    case Step::kIndex: {
      if (v.is_null()) return json::value(nullptr);
      if (!v.is_array()) return fail("cannot index a non-array with a number");
      const auto& a = v.as_array();
      std::int64_t i = st.from < 0 ? static_cast<std::int64_t>(a.size()) + st.from : st.from;
      if (i < 0 || i >= static_cast<std::int64_t>(a.size())) return json::value(nullptr);
      return a[static_cast<std::size_t>(i)];
    }
    case Step::kSlice: {
      auto clamp = [](std::int64_t i, std::int64_t n) {
        if (i < 0) i += n;
        return std::max<std::int64_t>(0, std::min(i, n));
      };
      if (v.is_string()) {
        std::string s(v.as_string());
        std::int64_t n = static_cast<std::int64_t>(s.size());
        std::int64_t a = clamp(st.from, n), b = clamp(st.to, n);
        return json::value(b > a ? s.substr(static_cast<std::size_t>(a), static_cast<std::size_t>(b - a))
                                 : "");
      }
      if (v.is_array()) {
        const auto& arr = v.as_array();
        std::int64_t n = static_cast<std::int64_t>(arr.size());
        json::array out;
        for (std::int64_t i = clamp(st.from, n); i < clamp(st.to, n); ++i)
          out.push_back(arr[static_cast<std::size_t>(i)]);
        return json::value(std::move(out));
      }
      return fail("cannot slice " + JsonText(v));
    }
    case Step::kFunction:
      break;
  }
  const std::string& fn = st.name;
  if (fn == "tostring") return json::value(JsonText(v));
  if (fn == "ascii_downcase" || fn == "ascii_upcase") {
    if (!v.is_string()) return fail(fn + " input must be a string");
    std::string_view s = v.as_string();
    return json::value(fn == "ascii_downcase" ? AsciiLower(s) : AsciiUpper(s));
  }
  if (fn == "tonumber") {
    if (v.is_number()) return v;
    if (!v.is_string()) return fail("cannot parse " + JsonText(v) + " as a number");
    boost::system::error_code ec;
    auto n = json::parse(v.as_string(), ec);
    if (ec || !n.is_number()) return fail("cannot parse '" + std::string(v.as_string()) + "' as a number");
    return n;
  }
  if (fn == "strftime" || fn == "todate") {
    if (!v.is_number()) return fail(fn + "/1 requires parsed datetime inputs");
    double secs = v.to_number<double>();
    std::time_t t = static_cast<std::time_t>(std::floor(secs));
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::string fmt = fn == "todate" ? "%Y-%m-%dT%H:%M:%SZ" : st.arg;
    char buf[256];
    std::size_t n = std::strftime(buf, sizeof(buf), fmt.c_str(), &tm);
    return json::value(std::string(buf, n));
  }
  if (fn == "ltrimstr" || fn == "rtrimstr") {
    if (!v.is_string()) return v;
    std::string s(v.as_string());
    if (fn == "ltrimstr" && s.rfind(st.arg, 0) == 0) s = s.substr(st.arg.size());
    if (fn == "rtrimstr" && s.size() >= st.arg.size() &&
        s.compare(s.size() - st.arg.size(), st.arg.size(), st.arg) == 0)
      s.resize(s.size() - st.arg.size());
    return json::value(s);
  }
  if (fn == "split") {
    if (!v.is_string()) return fail("split input must be a string");
    std::string s(v.as_string());
    json::array out;
    std::size_t start = 0;
    while (true) {
      std::size_t at = st.arg.empty() ? std::string::npos : s.find(st.arg, start);
      out.push_back(json::string(s.substr(start, at == std::string::npos ? std::string::npos : at - start)));
      if (at == std::string::npos) break;
      start = at + st.arg.size();
    }
    return json::value(std::move(out));
  }
  return fail("unsupported function " + fn);
}

}  // namespace

std::optional<std::string> MetadataExtractionQuery(const json::object& dest) {
  const auto* proc = GetObject(dest, "ProcessingConfiguration");
  if (proc == nullptr || !GetBool(*proc, "Enabled").value_or(true)) return std::nullopt;
  const json::value* list = proc->if_contains("Processors");
  if (list == nullptr || !list->is_array()) return std::nullopt;
  for (const auto& p : list->as_array()) {
    if (!p.is_object() || GetString(p.as_object(), "Type").value_or("") != "MetadataExtraction") continue;
    const json::value* params = p.as_object().if_contains("Parameters");
    if (params == nullptr || !params->is_array()) continue;
    for (const auto& param : params->as_array())
      if (param.is_object() &&
          GetString(param.as_object(), "ParameterName").value_or("") == "MetadataExtractionQuery")
        return GetString(param.as_object(), "ParameterValue");
  }
  return std::nullopt;
}

Result<PartitionQuery> ParsePartitionQuery(std::string_view query) { return Parser(query).ParseQuery(); }

Result<std::map<std::string, std::string>> EvaluatePartitionQuery(const PartitionQuery& query,
                                                                  std::string_view record) {
  boost::system::error_code ec;
  json::value doc = json::parse(record, ec);
  if (ec) return MakeError("DynamicPartitioning.MetadataExtractionFailed", "Non JSON record provided", 400);
  std::map<std::string, std::string> keys;
  for (const auto& k : query.keys) {
    json::value v = doc;
    for (const auto& st : k.steps) {
      CENOTE_ASSIGN_OR_RETURN(v, Apply(st, v, k.name));
    }
    if (v.is_null() || (v.is_string() && v.as_string().empty()))
      return MakeError("DynamicPartitioning.MetadataExtractionFailed",
                       "Partition key '" + k.name + "' is null or empty", 400);
    if (v.is_object() || v.is_array())
      return MakeError("DynamicPartitioning.MetadataExtractionFailed",
                       "Partition key '" + k.name + "' is not a scalar value", 400);
    keys[k.name] = JsonText(v);
  }
  return keys;
}

}  // namespace cenote::firehose
