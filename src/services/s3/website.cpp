// The S3 website endpoint (S3 User Guide, "Hosting a static website using Amazon S3"): a bucket's website
// configuration (PutBucketWebsite) served at http://<bucket>.s3-website-<region>.amazonaws.com/ and
// http://<bucket>.s3-website.<region>.amazonaws.com/, an unsigned raw route (aws/provider.hpp) of this
// provider. Locally the same requests reach Cenote with that Host header on its own address, or at
// http://<bucket>.s3-website.<region>.localhost:<port>/ and http://<bucket>.s3-website.localhost:<port>/
// (*.localhost resolves to the loopback address).
//
// What it does, as the website endpoint does:
//   - GET and HEAD only (405 MethodNotAllowed otherwise), anonymous: every object it serves must be readable
//     by the anonymous principal (bucket policy, ACLs and Block Public Access, decided by the authorizer as
//     for any anonymous GetObject); otherwise 403 AccessDenied. A missing key is 404 NoSuchKey when anonymous
//     callers may list the bucket, else 403 (as the REST endpoint answers them);
//   - the index document for "/" and "dir/"; "dir" without its slash, when no object "dir" exists but
//     "dir/<index>" does, is a 302 to "dir/";
//   - RedirectAllRequestsTo (301 to the host, with the request's path), RoutingRules (conditions
//     KeyPrefixEquals and HttpErrorCodeReturnedEquals; redirects with Protocol, HostName,
//     ReplaceKeyPrefixWith, ReplaceKeyWith, HttpRedirectCode), an object's x-amz-website-redirect-location
//     (301);
//   - the error document for 4xx errors (with the error's status), and S3's HTML error pages otherwise
//     (Code, Message, the key or bucket, RequestId, HostId; and the error document's own failure);
//   - Range, If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since on objects.
#include <ctime>
#include <string>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/s3/internal.hpp"
#include "services/s3/s3_provider.hpp"

namespace cenote::s3 {

namespace {

std::string Html(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HttpDate(std::int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<std::int64_t> ParseHttpDate(std::string_view text) {
  std::tm tm{};
  std::string s(text);
  if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

const char* Reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 412:
      return "Precondition Failed";
    case 416:
      return "Requested Range Not Satisfiable";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}

// An error as the website endpoint words it: its code, message and the details it lists (Key, BucketName,
// Method, ...), in order.
struct PageError {
  int status = 500;
  std::string code;
  std::string message;
  std::vector<std::pair<std::string, std::string>> details;
};

PageError FromError(const Error& e, const std::string& bucket, const std::string& key) {
  PageError p{e.http_status, e.code, e.message, {}};
  if (e.code == "NoSuchKey") {
    p.details.emplace_back("Key", key);
  } else if (e.code == "NoSuchBucket" || e.code == "NoSuchWebsiteConfiguration") {
    p.details.emplace_back("BucketName", bucket);
  } else if (e.http_status >= 500) {
    p.code = "InternalError";
    p.message = "We encountered an internal error. Please try again.";
  }
  return p;
}

PageError Denied() { return PageError{403, "AccessDenied", "Access Denied", {}}; }

http::HttpResponse ErrorPage(const aws::RawRequest& raw, const PageError& e,
                             const PageError* document_error) {
  const std::string title = std::to_string(e.status) + " " + Reason(e.status);
  std::string body =
      "<html>\n<head><title>" + title + "</title></head>\n<body>\n<h1>" + title + "</h1>\n<ul>\n";
  body += "<li>Code: " + Html(e.code) + "</li>\n<li>Message: " + Html(e.message) + "</li>\n";
  for (const auto& [name, value] : e.details) body += "<li>" + name + ": " + Html(value) + "</li>\n";
  body +=
      "<li>RequestId: " + raw.ctx.request_id + "</li>\n<li>HostId: " + raw.ctx.request_id + "</li>\n</ul>\n";
  if (document_error != nullptr) {
    body += "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n";
    body += "<li>Code: " + Html(document_error->code) +
            "</li>\n<li>Message: " + Html(document_error->message) + "</li>\n";
    for (const auto& [name, value] : document_error->details)
      body += "<li>" + name + ": " + Html(value) + "</li>\n";
    body += "</ul>\n";
  }
  body += "<hr/>\n</body>\n</html>\n";
  http::HttpResponse r;
  r.status = e.status;
  r.headers.Set("Content-Type", "text/html; charset=utf-8");
  if (e.code == "NoSuchKey" || e.code == "NoSuchBucket" || e.code == "NoSuchWebsiteConfiguration") {
    r.headers.Set("x-amz-error-code", e.code);
    r.headers.Set("x-amz-error-message", e.message);
  }
  if (raw.http.method == "HEAD") {
    r.head_content_length = body.size();
  } else {
    r.body = std::move(body);
  }
  return r;
}

http::HttpResponse Redirect(int status, std::string location) {
  http::HttpResponse r;
  r.status = status;
  r.headers.Set("Location", std::move(location));
  return r;
}

struct Site {
  aws::RawRequest& raw;
  Env& env;
  std::string bucket;
  json::object config;
  bool head = false;

  // The request's host, for redirects that name none (Host without the port is what a browser sent).
  std::string Host() const { return std::string(raw.http.headers.Get("host").value_or("")); }
  std::string Protocol() const { return raw.ctx.tls ? "https" : "http"; }

  Status MayRead(const std::string& key) const {
    return raw.authorize("GetObject", json::object{{"Bucket", bucket}, {"Key", key}});
  }
  bool MayList() const { return raw.authorize("ListObjectsV2", json::object{{"Bucket", bucket}}).ok(); }

  // GET or HEAD of `key` as the anonymous reader (the request's conditions and range applied).
  Result<OperationOutput> Read(const std::string& key, bool conditions) {
    json::object p{{"Bucket", bucket}, {"Key", key}};
    if (conditions) {
      const http::Headers& h = raw.http.headers;
      if (auto v = h.Get("range"); v && !head) p["Range"] = std::string(*v);
      if (auto v = h.Get("if-match")) p["IfMatch"] = std::string(*v);
      if (auto v = h.Get("if-none-match")) p["IfNoneMatch"] = std::string(*v);
      if (auto v = h.Get("if-modified-since")) {
        if (auto ms = ParseHttpDate(*v)) p["IfModifiedSince"] = *ms;
      }
      if (auto v = h.Get("if-unmodified-since")) {
        if (auto ms = ParseHttpDate(*v)) p["IfUnmodifiedSince"] = *ms;
      }
    }
    OperationInput in;
    in.params = std::move(p);
    return head ? HeadObject(env, raw.ctx, in) : GetObject(env, raw.ctx, in);
  }

  // A key's object, or the error the website answers for it (403 when anonymous readers may not have it).
  Result<OperationOutput> Fetch(const std::string& key, bool conditions, PageError* error) {
    if (!MayRead(key)) {
      *error = Denied();
      return MakeError(errors::kAccessDenied);
    }
    auto out = Read(key, conditions);
    if (!out) {
      *error = FromError(out.error(), bucket, key);
      if (out.error().code == "NoSuchKey" && !MayList()) *error = Denied();
    }
    return out;
  }

  http::HttpResponse Serve(OperationOutput& out, int status) const {
    http::HttpResponse r;
    const json::object& m = out.result.as_object();
    if (auto loc = GetString(m, "WebsiteRedirectLocation"); loc && !loc->empty()) {
      return Redirect(301, *loc);
    }
    r.status = out.http_status != 0 ? out.http_status : status;
    if (auto v = GetString(m, "ContentType")) r.headers.Set("Content-Type", *v);
    if (auto v = GetString(m, "ETag")) r.headers.Set("ETag", *v);
    if (auto v = GetInt(m, "LastModified")) r.headers.Set("Last-Modified", HttpDate(*v));
    for (const auto& [member, header] : std::initializer_list<std::pair<const char*, const char*>>{
             {"CacheControl", "Cache-Control"},
             {"ContentEncoding", "Content-Encoding"},
             {"ContentDisposition", "Content-Disposition"},
             {"ContentLanguage", "Content-Language"},
             {"ContentRange", "Content-Range"},
             {"AcceptRanges", "Accept-Ranges"}}) {
      if (auto v = GetString(m, member)) r.headers.Set(header, *v);
    }
    if (auto v = GetInt(m, "Expires")) r.headers.Set("Expires", HttpDate(*v));
    if (const json::object* meta = services::GetObject(m, "Metadata")) {
      for (const auto& [k, v] : *meta) {
        if (v.is_string()) r.headers.Set("x-amz-meta-" + std::string(k), std::string(v.get_string()));
      }
    }
    if (head) {
      if (auto len = GetInt(m, "ContentLength")) r.head_content_length = static_cast<std::uint64_t>(*len);
    } else {
      r.stream = std::move(out.body);
    }
    return r;
  }

  // The first routing rule whose condition holds for `key` (and, when given, the error status), if any.
  const json::object* Rule(const std::string& key, std::optional<int> error_status) const {
    const json::array* rules = GetArray(config, "RoutingRules");
    if (rules == nullptr) return nullptr;
    for (const auto& r : *rules) {
      if (!r.is_object()) continue;
      const json::object* condition = services::GetObject(r.as_object(), "Condition");
      const std::string prefix = condition ? GetString(*condition, "KeyPrefixEquals").value_or("") : "";
      const auto code = condition ? GetString(*condition, "HttpErrorCodeReturnedEquals") : std::nullopt;
      if (!key.starts_with(prefix)) continue;
      if (code && (!error_status || *code != std::to_string(*error_status))) continue;
      if (!code && error_status) continue;  // rules without an error condition were applied before reading
      return &r.as_object();
    }
    return nullptr;
  }

  http::HttpResponse ApplyRule(const json::object& rule, const std::string& key) const {
    const json::object* redirect = services::GetObject(rule, "Redirect");
    const json::object* condition = services::GetObject(rule, "Condition");
    std::string target = key;
    if (redirect != nullptr) {
      if (auto with = GetString(*redirect, "ReplaceKeyWith")) {
        target = *with;
      } else if (auto prefix_with = GetString(*redirect, "ReplaceKeyPrefixWith")) {
        const std::string prefix = condition ? GetString(*condition, "KeyPrefixEquals").value_or("") : "";
        target = *prefix_with + key.substr(prefix.size());
      }
    }
    const std::string protocol =
        redirect ? GetString(*redirect, "Protocol").value_or(Protocol()) : Protocol();
    const std::string host = redirect ? GetString(*redirect, "HostName").value_or(Host()) : Host();
    const std::string code = redirect ? GetString(*redirect, "HttpRedirectCode").value_or("301") : "301";
    return Redirect(std::atoi(code.c_str()), protocol + "://" + host + "/" + UriEncode(target, false));
  }

  // A 4xx or 5xx: a routing rule on its status, else the error document (4xx), else S3's page.
  http::HttpResponse Fail(const std::string& key, const PageError& error) {
    if (const json::object* rule = Rule(key, error.status)) return ApplyRule(*rule, key);
    const json::object* doc = services::GetObject(config, "ErrorDocument");
    if (doc == nullptr || error.status < 400 || error.status >= 500) return ErrorPage(raw, error, nullptr);
    const std::string doc_key = GetString(*doc, "Key").value_or("");
    PageError doc_error;
    auto out = Fetch(doc_key, false, &doc_error);
    if (!out) return ErrorPage(raw, error, &doc_error);
    // The error document is served with the error's status (a redirect on it is not followed).
    http::HttpResponse r = Serve(*out, error.status);
    if (r.status >= 300 && r.status < 400) return ErrorPage(raw, error, nullptr);
    return r;
  }
};

http::HttpResponse ServeWebsite(Env& env, aws::RawRequest& raw) {
  raw.ctx.principal = iam::Principal{};
  raw.ctx.principal.anonymous = true;
  raw.ctx.principal.type = iam::PrincipalType::kAnonymous;
  if (raw.captures.size() >= 2) raw.ctx.region = raw.captures[1];
  const std::string bucket = raw.captures.empty() ? "" : raw.captures[0];
  const http::HttpRequest& request = raw.http;
  const std::string path(request.Path());
  const std::string key = UriDecode(path.empty() ? std::string_view() : std::string_view(path).substr(1));
  Site site{.raw = raw, .env = env, .bucket = bucket, .config = {}, .head = request.method == "HEAD"};

  if (request.method != "GET" && request.method != "HEAD") {
    return ErrorPage(raw,
                     PageError{405,
                               "MethodNotAllowed",
                               "The specified method is not allowed against this resource.",
                               {{"Method", request.method}, {"ResourceType", "OBJECT"}}},
                     nullptr);
  }
  {
    OperationInput in;
    in.params = json::object{{"Bucket", bucket}};
    auto config = GetBucketWebsite(env, raw.ctx, in);
    if (!config) return ErrorPage(raw, FromError(config.error(), bucket, key), nullptr);
    if (config->result.is_object()) site.config = config->result.as_object();
  }
  if (const json::object* all = services::GetObject(site.config, "RedirectAllRequestsTo")) {
    const std::string protocol = GetString(*all, "Protocol").value_or(site.Protocol());
    return Redirect(
        301, protocol + "://" + GetString(*all, "HostName").value_or("") + std::string(request.target));
  }
  if (const json::object* rule = site.Rule(key, std::nullopt)) return site.ApplyRule(*rule, key);

  const std::string suffix = [&] {
    const json::object* index = services::GetObject(site.config, "IndexDocument");
    return index ? GetString(*index, "Suffix").value_or("") : std::string();
  }();
  const bool folder = key.empty() || key.ends_with('/');
  const std::string object_key = folder ? key + suffix : key;
  PageError error;
  auto out = site.Fetch(object_key, true, &error);
  if (out) return site.Serve(*out, 200);
  if (out.error().http_status == 304) {
    http::HttpResponse r;
    r.status = 304;
    return r;
  }
  // "dir" that is a folder: a 302 to "dir/" when "dir/<index>" can be read.
  if (!folder && (error.code == "NoSuchKey" || error.code == "AccessDenied")) {
    if (site.MayRead(key + "/" + suffix)) {
      PageError ignored;
      const bool was_head = site.head;
      site.head = true;
      auto index = site.Fetch(key + "/" + suffix, false, &ignored);
      site.head = was_head;
      if (index) {
        std::string location = path + "/";
        if (!request.Query().empty()) location += "?" + std::string(request.Query());
        return Redirect(302, location);
      }
    }
  }
  return site.Fail(key, error);
}

}  // namespace

std::vector<aws::UnsignedRoute> S3Provider::UnsignedRoutes() {
  std::vector<aws::UnsignedRoute> routes;
  // AWS's two forms (dash and dot before the region) and the local ones.
  for (const char* host : {"**.s3-website-*.amazonaws.com", "**.s3-website.*.amazonaws.com",
                           "**.s3-website.*.localhost", "**.s3-website.localhost"}) {
    aws::UnsignedRoute site;
    site.host = host;
    Env* env = env_.get();
    site.handler = [env](aws::RawRequest& raw) {
      http::HttpResponse r = ServeWebsite(*env, raw);
      r.headers.Set("x-amz-request-id", raw.ctx.request_id);
      r.headers.Set("x-amz-id-2", raw.ctx.request_id);
      return r;
    };
    routes.push_back(std::move(site));
  }
  return routes;
}

}  // namespace cenote::s3
