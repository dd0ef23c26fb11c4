// Function URLs: the FunctionUrlConfig operations, and the requests to a URL (an unsigned raw route, see
// aws/provider.hpp), answered by invoking the function with the payload format 2.0 event and mapping its
// result to the HTTP response as AWS does (Lambda Developer Guide, "Invoking Lambda function URLs" and
// "Security and auth model for Lambda function URLs").
//
// A URL is https://<url-id>.lambda-url.<region>.on.aws/ (url-id: 32 lowercase alphanumerics). Locally the
// same request reaches Cenote with that Host header on Cenote's own address, or at
// http://<url-id>.lambda-url.<region>.localhost:<port>/ (curl and browsers resolve *.localhost to loopback).
#include <algorithm>
#include <cstring>
#include <ctime>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "iam/directory.hpp"
#include "iam/evaluate.hpp"
#include "services/lambda/internal.hpp"

namespace cenote::lambda {

namespace {

constexpr std::size_t kUrlPayloadLimit = 6 * 1024 * 1024;
// The Content-Type of a stream that awslambda.HttpResponseStream.from opened: a prelude before the body.
constexpr std::string_view kHttpIntegrationResponse = "application/vnd.awslambda.http-integration-response";

Error Invalid(const std::string& message) {
  return services::MakeError(errors::kInvalidParameter, {message});
}

Result<ParsedName> UrlName(const RequestContext& ctx, const json::object& params) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName p, ParseFunctionName(GetString(params, "FunctionName").value_or(""),
                                                          ctx.account_id(), ctx.region));
  if (auto q = GetString(params, "Qualifier"); q && !q->empty()) p.qualifier = *q;
  return p;
}

// The qualifier a URL config is kept under: "" for the unqualified function and $LATEST, else an alias
// (AWS: a function URL belongs to the unpublished function or to an alias, never to a version).
Result<std::string> UrlQualifier(const Function& f, const std::string& qualifier) {
  if (qualifier.empty() || qualifier == "$LATEST") return std::string();
  if (f.aliases.contains(qualifier)) return qualifier;
  if (!qualifier.empty() && std::all_of(qualifier.begin(), qualifier.end(), ::isdigit)) {
    return Invalid("Function URLs are not supported for a function version (" + qualifier +
                   "): use $LATEST or an alias.");
  }
  return services::MakeError(errors::kFunctionNotFound, {f.arn + ":" + qualifier});
}

Status SaveOne(Env& env, const Function& f) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(env.SaveFunction(*txn, f));
  return txn->Commit();
}

Status CheckUrlParams(const json::object& params) {
  if (const json::object* cors = GetObject(params, "Cors")) {
    if (auto age = GetInt(*cors, "MaxAge"); age && (*age < 0 || *age > 86400)) {
      return Invalid("MaxAge must be between 0 and 86400.");
    }
  }
  return Status::Ok();
}

// The answer's document: the stored config without Cenote's own fields, with `members` only.
json::object Answer(const json::object& config, std::initializer_list<const char*> members) {
  json::object out;
  for (const char* m : members) {
    if (const auto* v = config.if_contains(m)) out[m] = *v;
  }
  return out;
}

constexpr std::initializer_list<const char*> kFullMembers = {
    "FunctionUrl", "FunctionArn", "AuthType", "Cors", "CreationTime", "LastModifiedTime", "InvokeMode"};

}  // namespace

// ---- the FunctionUrlConfig operations

Result<OperationOutput> CreateFunctionUrlConfig(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, UrlName(ctx, params));
  CENOTE_RETURN_IF_ERROR(CheckUrlParams(params));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  CENOTE_ASSIGN_OR_RETURN(std::string qualifier, UrlQualifier(*f, name.qualifier));
  const std::string arn = f->arn + (qualifier.empty() ? "" : ":" + qualifier);
  if (f->urls.contains(qualifier)) {
    return services::MakeError(errors::kConflict,
                               {"Failed to create function url config for [functionArn = " + arn +
                                "]. Error message:  FunctionUrlConfig exists for this "
                                "Lambda function"});
  }
  const std::string id = RandomHex(16);
  const std::string now = IsoTimeZ(env.Now());
  json::object config{{"UrlId", id},
                      {"FunctionUrl", "https://" + id + ".lambda-url." + f->key.region + ".on.aws/"},
                      {"FunctionArn", arn},
                      {"AuthType", GetString(params, "AuthType").value_or("")},
                      {"CreationTime", now},
                      {"LastModifiedTime", now},
                      {"InvokeMode", GetString(params, "InvokeMode").value_or("BUFFERED")}};
  if (const json::object* cors = GetObject(params, "Cors")) config["Cors"] = *cors;
  f->urls[qualifier] = config;
  if (Status st = SaveOne(env, *f); !st) {
    f->urls.erase(qualifier);
    return std::move(st).error();
  }
  return OperationOutput(
      Answer(config, {"FunctionUrl", "FunctionArn", "AuthType", "Cors", "CreationTime", "InvokeMode"}));
}

Result<OperationOutput> GetFunctionUrlConfig(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, UrlName(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  CENOTE_ASSIGN_OR_RETURN(std::string qualifier, UrlQualifier(*f, name.qualifier));
  auto it = f->urls.find(qualifier);
  if (it == f->urls.end()) return services::MakeError(errors::kNoPolicy);
  return OperationOutput(Answer(it->second, kFullMembers));
}

Result<OperationOutput> UpdateFunctionUrlConfig(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, UrlName(ctx, params));
  CENOTE_RETURN_IF_ERROR(CheckUrlParams(params));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  CENOTE_ASSIGN_OR_RETURN(std::string qualifier, UrlQualifier(*f, name.qualifier));
  auto it = f->urls.find(qualifier);
  if (it == f->urls.end()) return services::MakeError(errors::kNoPolicy);
  const json::object before = it->second;
  if (auto auth = GetString(params, "AuthType")) it->second["AuthType"] = *auth;
  if (auto mode = GetString(params, "InvokeMode")) it->second["InvokeMode"] = *mode;
  if (const json::object* cors = GetObject(params, "Cors")) it->second["Cors"] = *cors;
  it->second["LastModifiedTime"] = IsoTimeZ(env.Now());
  if (Status st = SaveOne(env, *f); !st) {
    it->second = before;
    return std::move(st).error();
  }
  return OperationOutput(Answer(it->second, kFullMembers));
}

Result<OperationOutput> DeleteFunctionUrlConfig(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, UrlName(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  CENOTE_ASSIGN_OR_RETURN(std::string qualifier, UrlQualifier(*f, name.qualifier));
  auto it = f->urls.find(qualifier);
  if (it == f->urls.end()) return services::MakeError(errors::kNoPolicy);
  const json::object before = it->second;
  f->urls.erase(it);
  if (Status st = SaveOne(env, *f); !st) {
    f->urls[qualifier] = before;
    return std::move(st).error();
  }
  return OperationOutput{};
}

Result<OperationOutput> ListFunctionUrlConfigs(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, UrlName(ctx, params));
  const std::int64_t max = std::clamp<std::int64_t>(GetInt(params, "MaxItems").value_or(50), 1, 50);
  const std::string marker = GetString(params, "Marker").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  // The marker is "q" + the qualifier of the last config answered ("" for the unqualified function's).
  const std::string after = marker.empty() ? std::string() : marker.substr(1);
  json::array configs;
  json::object out;
  for (const auto& [qualifier, config] : f->urls) {
    if (!marker.empty() && qualifier <= after) continue;
    if (static_cast<std::int64_t>(configs.size()) == max) {
      std::string last(GetString(configs.back().as_object(), "FunctionArn").value_or(""));
      out["NextMarker"] =
          "q" + (last.size() > f->arn.size() ? last.substr(f->arn.size() + 1) : std::string());
      break;
    }
    configs.push_back(Answer(config, kFullMembers));
  }
  out["FunctionUrlConfigs"] = std::move(configs);
  return OperationOutput(std::move(out));
}

// ---- requests to a function URL

namespace {

struct UrlTarget {
  FunctionKey key;
  std::string qualifier;  // "" or an alias
  std::string arn;        // the function's ARN, qualified with the alias when there is one
  json::object config;
};

std::optional<UrlTarget> FindUrl(Env& env, const std::string& id, const std::string& region) {
  MutexLock lock(env.mu);
  for (const auto& [key, f] : env.functions) {
    if (key.region != region) continue;
    for (const auto& [qualifier, config] : f.urls) {
      if (GetString(config, "UrlId").value_or("") == id) {
        return UrlTarget{key, qualifier, f.arn + (qualifier.empty() ? "" : ":" + qualifier), config};
      }
    }
  }
  return std::nullopt;
}

http::HttpResponse Message(int status, std::string_view message) {
  http::HttpResponse r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.body = json::serialize(json::object{{"Message", message}});
  return r;
}

std::string HostOnly(std::string_view host) {
  std::string h = AsciiLower(host);
  if (auto colon = h.rfind(':'); colon != std::string::npos && h.find(']') == std::string::npos)
    h.resize(colon);
  return h;
}

std::string IpOnly(std::string_view address) {
  std::string a(address);
  if (!a.empty() && a.front() == '[') {
    auto end = a.find(']');
    return end == std::string::npos ? a : a.substr(1, end - 1);
  }
  if (std::count(a.begin(), a.end(), ':') == 1) a.resize(a.find(':'));
  return a;
}

std::vector<std::string> ListOf(const json::object& cors, const char* member) {
  std::vector<std::string> out;
  if (const json::array* a = GetArray(cors, member)) {
    for (const auto& v : *a) {
      if (v.is_string()) out.emplace_back(v.get_string());
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ',';
    out += i;
  }
  return out;
}

bool ListHas(const std::vector<std::string>& list, std::string_view value) {
  for (const auto& i : list) {
    if (i == "*" || AsciiLower(i) == AsciiLower(value)) return true;
  }
  return false;
}

}  // namespace

std::optional<http::Headers> FunctionUrlCors(const json::object& config, std::string_view origin,
                                             bool preflight, std::string_view method,
                                             std::string_view request_headers) {
  const json::object* cors = GetObject(config, "Cors");
  if (cors == nullptr) return std::nullopt;
  const std::vector<std::string> origins = ListOf(*cors, "AllowOrigins");
  if (!ListHas(origins, origin)) return std::nullopt;
  http::Headers h;
  const bool credentials = GetBool(*cors, "AllowCredentials").value_or(false);
  const bool any = std::find(origins.begin(), origins.end(), "*") != origins.end();
  h.Set("Access-Control-Allow-Origin", any && !credentials ? "*" : std::string(origin));
  if (credentials) h.Set("Access-Control-Allow-Credentials", "true");
  if (!any || credentials) h.Set("Vary", "Origin");
  if (preflight) {
    const std::vector<std::string> methods = ListOf(*cors, "AllowMethods");
    if (!ListHas(methods, method)) return std::nullopt;
    h.Set("Access-Control-Allow-Methods", Join(methods));
    const std::vector<std::string> allowed = ListOf(*cors, "AllowHeaders");
    for (std::string_view asked : SplitString(request_headers, ',')) {
      asked = TrimAsciiSpace(asked);
      if (!asked.empty() && !ListHas(allowed, asked)) return std::nullopt;
    }
    if (!allowed.empty()) h.Set("Access-Control-Allow-Headers", Join(allowed));
    if (auto age = GetInt(*cors, "MaxAge")) h.Set("Access-Control-Max-Age", std::to_string(*age));
  } else {
    const std::vector<std::string> expose = ListOf(*cors, "ExposeHeaders");
    if (!expose.empty()) h.Set("Access-Control-Expose-Headers", Join(expose));
  }
  return h;
}

namespace {

// A body Lambda passes as text: a textual content type and valid UTF-8. Everything else is base64.
bool IsTextBody(std::string_view content_type, std::string_view body) {
  std::string type = AsciiLower(content_type.substr(0, content_type.find(';')));
  type = std::string(TrimAsciiSpace(type));
  const bool text = type.starts_with("text/") || type == "application/json" || type.ends_with("+json") ||
                    type == "application/xml" || type.ends_with("+xml") || type == "application/javascript" ||
                    type == "application/ecmascript" || type == "application/graphql";
  return text && IsValidUtf8(body);
}

std::string RequestTime(std::int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%d/%b/%Y:%H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace

json::object FunctionUrlEvent(const aws::RawRequest& raw, const std::string& owner_account, std::int64_t now,
                              const std::string& body, bool iam) {
  const http::HttpRequest& request = raw.http;
  json::object headers;
  json::array cookies;
  for (const auto& [name, value] : request.headers) {
    std::string key = AsciiLower(name);
    if (key == "cookie") {
      for (std::string_view c : SplitString(value, ';')) {
        c = TrimAsciiSpace(c);
        if (!c.empty()) cookies.emplace_back(c);
      }
      continue;
    }
    if (auto* existing = headers.if_contains(key)) {
      *existing = std::string(existing->as_string()) + "," + value;
    } else {
      headers[key] = value;
    }
  }
  const std::string source_ip = IpOnly(raw.ctx.source_ip);
  if (!headers.contains("x-forwarded-for")) headers["x-forwarded-for"] = source_ip;
  headers["x-forwarded-proto"] = raw.ctx.tls ? "https" : "http";
  headers["x-amzn-trace-id"] = "Root=1-" + RandomHex(4) + "-" + RandomHex(12);

  const std::string host = HostOnly(request.headers.Get("host").value_or(""));
  const std::string id = raw.captures.empty() ? "" : raw.captures[0];
  json::object http{{"method", request.method},
                    {"path", std::string(request.Path())},
                    {"protocol", request.version == 20   ? "HTTP/2.0"
                                 : request.version == 10 ? "HTTP/1.0"
                                                         : "HTTP/1.1"},
                    {"sourceIp", source_ip},
                    {"userAgent", std::string(request.headers.Get("user-agent").value_or(""))}};
  json::object context{{"accountId", owner_account},
                       {"apiId", id},
                       {"domainName", host},
                       {"domainPrefix", id},
                       {"http", http},
                       {"requestId", raw.ctx.request_id},
                       {"routeKey", "$default"},
                       {"stage", "$default"},
                       {"time", RequestTime(now)},
                       {"timeEpoch", now}};
  if (iam) {
    const iam::Principal& p = raw.ctx.principal;
    context["authorizer"] = json::object{{"iam", json::object{{"accessKey", p.access_key_id},
                                                              {"accountId", p.account_id},
                                                              {"callerId", p.user_id},
                                                              {"cognitoIdentity", nullptr},
                                                              {"principalOrgId", nullptr},
                                                              {"userArn", p.arn},
                                                              {"userId", p.user_id}}}};
  }
  json::object event{{"version", "2.0"},
                     {"routeKey", "$default"},
                     {"rawPath", std::string(request.Path())},
                     {"rawQueryString", std::string(request.Query())},
                     {"headers", headers}};
  if (!cookies.empty()) event["cookies"] = cookies;
  if (!request.Query().empty()) {
    json::object params;
    for (std::string_view pair : SplitString(request.Query(), '&')) {
      if (pair.empty()) continue;
      const std::size_t eq = pair.find('=');
      std::string k = UriDecode(pair.substr(0, eq));
      std::string v = eq == std::string_view::npos ? std::string() : UriDecode(pair.substr(eq + 1));
      if (auto* existing = params.if_contains(k)) {
        *existing = std::string(existing->as_string()) + "," + v;
      } else {
        params[k] = v;
      }
    }
    event["queryStringParameters"] = params;
  }
  event["requestContext"] = context;
  bool base64 = false;
  if (!body.empty()) {
    if (IsTextBody(request.headers.Get("content-type").value_or(""), body)) {
      event["body"] = body;
    } else {
      event["body"] = Base64Encode(body);
      base64 = true;
    }
  }
  event["isBase64Encoded"] = base64;
  return event;
}

namespace {

std::string ScalarText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_null()) return "";
  return json::serialize(v);
}

}  // namespace

http::HttpResponse FunctionUrlResponse(const std::string& payload) {
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec) return Message(502, "Internal Server Error");
  http::HttpResponse r;
  if (!v.is_object() || !v.as_object().contains("statusCode")) {
    r.status = 200;
    r.headers.Set("Content-Type", "application/json");
    r.body = payload;
    return r;
  }
  const json::object& o = v.as_object();
  const json::value& code = o.at("statusCode");
  std::int64_t status = code.is_int64()    ? code.as_int64()
                        : code.is_uint64() ? static_cast<std::int64_t>(code.as_uint64())
                        : code.is_string() ? std::atoll(std::string(code.get_string()).c_str())
                                           : 0;
  if (status < 100 || status > 599) return Message(502, "Internal Server Error");
  r.status = static_cast<int>(status);
  if (const json::object* h = GetObject(o, "headers")) {
    for (const auto& [name, value] : *h) r.headers.Set(std::string(name), ScalarText(value));
  }
  if (const json::object* mh = GetObject(o, "multiValueHeaders")) {
    for (const auto& [name, values] : *mh) {
      if (!values.is_array()) continue;
      for (const auto& value : values.as_array()) r.headers.Add(std::string(name), ScalarText(value));
    }
  }
  if (!r.headers.Has("content-type")) r.headers.Set("Content-Type", "application/json");
  if (const json::array* cookies = GetArray(o, "cookies")) {
    for (const auto& c : *cookies) {
      if (c.is_string()) r.headers.Add("Set-Cookie", std::string(c.get_string()));
    }
  }
  if (const auto* body = o.if_contains("body"); body != nullptr && !body->is_null()) {
    std::string text = body->is_string() ? std::string(body->get_string()) : json::serialize(*body);
    if (GetBool(o, "isBase64Encoded").value_or(false)) {
      auto decoded = Base64Decode(text);
      if (!decoded) return Message(502, "Internal Server Error");
      text = std::move(*decoded);
    }
    r.body = std::move(text);
  }
  return r;
}

namespace {

http::HttpResponse BufferedUrlResponse(const Result<InvokeOutcome>& outcome) {
  if (!outcome) {
    return outcome.error().code == errors::kThrottled.code ? Message(429, "Rate Exceeded.")
                                                           : Message(502, "Internal Server Error");
  }
  if (!outcome->function_error.empty()) return Message(502, "Internal Server Error");
  if (outcome->streamed) {
    // A streaming handler behind a BUFFERED URL: its bytes (prelude and body) as one response.
    auto stream = std::make_shared<InvocationStream>();
    stream->Begin(outcome->content_type);
    stream->Write(outcome->payload);
    stream->Finish(*outcome);
    http::HttpResponse r = FunctionUrlStreamedResponse(std::move(stream));
    if (r.stream) {
      char buf[16384];
      while (true) {
        auto n = r.stream->Read(buf, sizeof(buf));
        if (!n) return Message(502, "Internal Server Error");
        if (*n == 0) break;
        r.body.append(buf, *n);
      }
      r.stream.reset();
    }
    return r;
  }
  return FunctionUrlResponse(outcome->payload);
}

// The rest of a streamed response's body, chunked to the client as the function writes it. A function
// error after the first bytes ends the body (the status is already out, as on AWS).
class UrlStreamBody final : public http::BodySource {
 public:
  UrlStreamBody(std::shared_ptr<InvocationStream> stream, std::string first)
      : stream_(std::move(stream)), pending_(std::move(first)) {}
  std::optional<std::uint64_t> Size() const override { return std::nullopt; }
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    while (pos_ == pending_.size()) {
      if (over_) return std::size_t{0};
      pending_ = stream_->Take(over_);
      pos_ = 0;
    }
    const std::size_t take = std::min(n, pending_.size() - pos_);
    std::memcpy(buf, pending_.data() + pos_, take);
    pos_ += take;
    return take;
  }

 private:
  std::shared_ptr<InvocationStream> stream_;
  std::string pending_;
  std::size_t pos_ = 0;
  bool over_ = false;
};

}  // namespace

http::HttpResponse FunctionUrlStreamedResponse(std::shared_ptr<InvocationStream> stream) {
  stream->WaitStarted();
  const std::string type = stream->content_type();
  if (type.empty()) {
    // Over without streaming: a buffered handler's result (or an invocation that did not run) maps to the
    // response as for a BUFFERED URL.
    return BufferedUrlResponse(stream->outcome());
  }
  http::HttpResponse r;
  r.status = 200;
  std::string first;
  bool over = false;
  if (AsciiLower(type).starts_with(kHttpIntegrationResponse)) {
    // awslambda.HttpResponseStream.from: a JSON prelude (statusCode, headers, cookies), 8 NUL bytes, then
    // the body.
    static constexpr std::string_view kDelimiter("\0\0\0\0\0\0\0\0", 8);
    std::string head;
    std::size_t at = std::string::npos;
    while (!over && (at = head.find(kDelimiter)) == std::string::npos) {
      if (head.size() > 1024 * 1024) return Message(502, "Internal Server Error");
      head += stream->Take(over);
    }
    if (at == std::string::npos) at = head.find(kDelimiter);
    if (at == std::string::npos) return Message(502, "Internal Server Error");
    boost::system::error_code ec;
    json::value prelude = json::parse(std::string_view(head).substr(0, at), ec);
    if (ec || !prelude.is_object()) return Message(502, "Internal Server Error");
    const json::object& o = prelude.as_object();
    if (const json::value* code = o.if_contains("statusCode")) {
      const std::int64_t status = code->is_int64()    ? code->as_int64()
                                  : code->is_uint64() ? static_cast<std::int64_t>(code->as_uint64())
                                                      : 0;
      if (status < 100 || status > 599) return Message(502, "Internal Server Error");
      r.status = static_cast<int>(status);
    }
    if (const json::object* h = GetObject(o, "headers")) {
      for (const auto& [name, value] : *h) r.headers.Set(std::string(name), ScalarText(value));
    }
    if (const json::array* cookies = GetArray(o, "cookies")) {
      for (const auto& c : *cookies) {
        if (c.is_string()) r.headers.Add("Set-Cookie", std::string(c.get_string()));
      }
    }
    if (!r.headers.Has("content-type")) r.headers.Set("Content-Type", "application/octet-stream");
    first = head.substr(at + kDelimiter.size());
  } else {
    r.headers.Set("Content-Type", type);
    first = stream->Take(over);  // the status waits for the first bytes (or an error before any)
  }
  if (over && first.empty()) {
    const Result<InvokeOutcome>& outcome = stream->outcome();
    if (!outcome || !outcome->function_error.empty()) return Message(502, "Internal Server Error");
  }
  r.stream = std::make_unique<UrlStreamBody>(std::move(stream), std::move(first));
  return r;
}

http::HttpResponse ServeFunctionUrl(Env& env, aws::RawRequest& raw) {
  if (raw.captures.size() < 2) return Message(404, "Not Found");
  const std::string& id = raw.captures[0];
  raw.ctx.region = raw.captures[1];
  std::optional<UrlTarget> url = FindUrl(env, id, raw.ctx.region);
  if (!url) return Message(403, "Forbidden");
  const http::HttpRequest& request = raw.http;
  const std::string origin(request.headers.Get("origin").value_or(""));

  // A CORS preflight is the URL's to answer when it has a Cors config (the function is not invoked).
  if (request.method == "OPTIONS" && !origin.empty() && url->config.contains("Cors") &&
      request.headers.Has("access-control-request-method")) {
    http::HttpResponse r;
    r.status = 200;
    if (auto h = FunctionUrlCors(url->config, origin, true,
                                 request.headers.Get("access-control-request-method").value_or(""),
                                 request.headers.Get("access-control-request-headers").value_or(""))) {
      for (const auto& [name, value] : *h) r.headers.Set(name, value);
    }
    return r;
  }

  const bool iam = GetString(url->config, "AuthType").value_or("") == "AWS_IAM";
  if (iam) {
    // Signed with SigV4 for "lambda", and allowed lambda:InvokeFunctionUrl by the caller's policies and the
    // function's (AWS_IAM in lambda:FunctionUrlAuthType).
    if (Status st = raw.authenticate("lambda"); !st) {
      if (st.error().code.starts_with("MissingAuthenticationToken")) return Message(403, "Forbidden");
      return Message(403, st.error().message);
    }
    json::object params{{"FunctionName", url->arn}, {"AuthType", "AWS_IAM"}};
    if (Status st = raw.authorize("InvokeFunctionUrl", params); !st) return Message(403, "Forbidden");
  } else {
    // NONE: no authentication, but the function's resource policy must still allow lambda:InvokeFunctionUrl
    // to everyone ("Principal": "*" with lambda:FunctionUrlAuthType NONE, as AddPermission writes it).
    std::shared_ptr<const iam::Policy> policy;
    {
      MutexLock lock(env.mu);
      auto it = env.functions.find(url->key);
      if (it != env.functions.end()) policy = it->second.policy;
    }
    iam::Request check;
    check.action = "lambda:InvokeFunctionUrl";
    check.resource = url->arn;
    check.resource_account = url->key.account;
    iam::Principal anonymous;
    anonymous.anonymous = true;
    anonymous.type = iam::PrincipalType::kAnonymous;
    check.principal = iam::ToRequestPrincipal(anonymous);
    check.context.Set("lambda:FunctionUrlAuthType", "NONE");
    check.context.Set("aws:SourceIp", IpOnly(raw.ctx.source_ip));
    check.context.Set("aws:SecureTransport", raw.ctx.tls ? "true" : "false");
    iam::PolicySet policies;
    if (policy) policies.resource = iam::PolicyRef{"function policy", policy.get()};
    policies.resource_policy_required = true;
    if (!policy || !iam::Evaluate(check, policies).allowed()) return Message(403, "Forbidden");
  }

  std::string body;
  if (request.body) {
    auto read = http::ReadAll(*request.body, kUrlPayloadLimit, "RequestTooLarge");
    if (!read) {
      return read.error().code == "RequestTooLarge"
                 ? Message(413, "Request must be smaller than 6291456 bytes")
                 : Message(400, read.error().message);
    }
    body = std::move(*read);
  }
  json::object event = FunctionUrlEvent(raw, url->key.account, env.Now(), body, iam);
  const std::string payload = json::serialize(event);
  if (payload.size() > kUrlPayloadLimit) return Message(413, "Request must be smaller than 6291456 bytes");

  Target target;
  {
    MutexLock lock(env.mu);
    ParsedName name{.account = url->key.account,
                    .region = url->key.region,
                    .name = url->key.name,
                    .qualifier = url->qualifier};
    auto resolved = Resolve(env, name, true);
    if (!resolved) return Message(403, "Forbidden");
    target = std::move(*resolved);
  }
  http::HttpResponse response;
  if (GetString(url->config, "InvokeMode").value_or("BUFFERED") == "RESPONSE_STREAM") {
    response = FunctionUrlStreamedResponse(
        StartStreamedInvocation(env, target, payload, "", false, raw.ctx.request_id));
  } else {
    response = BufferedUrlResponse(InvokeTarget(env, target, payload, "", false, raw.ctx.request_id));
  }
  // The URL's CORS config answers for the function (its headers win over the function's own).
  if (!origin.empty()) {
    if (auto h = FunctionUrlCors(url->config, origin, false, request.method, "")) {
      for (const auto& [name, value] : *h) response.headers.Set(name, value);
    }
  }
  response.headers.Set("x-amzn-RequestId", raw.ctx.request_id);
  return response;
}

}  // namespace cenote::lambda
