#include "aws/protocol/protocol.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "aws/protocol/cbor.hpp"
#include "aws/protocol/wire.hpp"
#include "common/encoding.hpp"

namespace cenote::aws::protocol {

using model::Location;
using model::Member;
using model::Operation;
using model::ServiceModel;
using model::Shape;
using model::ShapeType;
using wire::RequestProtocol;
using wire::Wire;
using wire::WireProtocol;

namespace {

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreAsciiCase(s.substr(0, prefix.size()), prefix);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsS3(const ServiceModel& service) { return service.endpoint_prefix() == "s3"; }

bool SpeaksQuery(const ServiceModel& service) {
  return service.aws_query_compatible() || std::find(service.protocols().begin(), service.protocols().end(),
                                                     "query") != service.protocols().end();
}

WireProtocol ModelProtocol(const ServiceModel& service) {
  const std::string& p = service.protocol();
  if (p == "rest-xml") return WireProtocol::kRestXml;
  if (p == "rest-json") return WireProtocol::kRestJson;
  if (p == "query" || p == "ec2") return WireProtocol::kQuery;
  return WireProtocol::kJson;
}

std::string JsonContentType(const ServiceModel& service) {
  return "application/x-amz-json-" +
         (service.json_version().empty() ? std::string("1.0") : service.json_version());
}

// json protocol requests may carry CBOR instead of JSON (Kinesis from the Java SDK / KCL); the response
// and errors then use CBOR too.
bool IsCbor(const http::Headers* headers) {
  if (!headers) return false;
  auto ct = headers->Get("content-type");
  return ct && StartsWithIgnoreCase(Trim(*ct), cbor::kContentType);
}

std::string QueryNamespace(const ServiceModel& service) {
  if (!service.xml_namespace().empty()) return service.xml_namespace();
  return "http://" + service.endpoint_prefix() + ".amazonaws.com/doc/" + service.api_version() + "/";
}

// ---- protocol-specific errors --------------------------------------------------------------------

// S3's answer to a missing required member (other protocols report them in ValidateRequest).
Error MissingMember(const std::string& path) {
  if (path.find('.') != std::string::npos) {
    return MakeError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema");
  }
  return MakeError("InvalidRequest", "Missing required parameter: " + path);
}

Error BadValue(WireProtocol wp, const std::string& path, const std::string& reason) {
  switch (wp) {
    case WireProtocol::kRestXml:
      return MakeError("InvalidArgument", "Invalid value for " + path + ": " + reason);
    case WireProtocol::kQuery:
      return MakeError("InvalidParameterValue", "Value for parameter " + path + " is invalid: " + reason);
    default:
      return MakeError("SerializationException", "Invalid value for " + path + ": " + reason);
  }
}

Error MalformedXml() {
  return MakeError(
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema");
}

Result<std::string> ReadBody(http::HttpRequest& request, std::size_t max_body, WireProtocol wp) {
  std::string body;
  if (!request.body) return body;
  if (auto len = request.body->Length(); len && *len > max_body) {
    return MakeError(wp == WireProtocol::kRestXml ? "MaxMessageLengthExceeded" : "RequestEntityTooLarge",
                     "Your request was too big.", wp == WireProtocol::kRestXml ? 400 : 413);
  }
  char buf[16384];
  for (;;) {
    Result<std::size_t> n = request.body->Read(buf, sizeof(buf));
    if (!n) return std::move(n).error();
    if (*n == 0) break;
    if (body.size() + *n > max_body) {
      return MakeError(wp == WireProtocol::kRestXml ? "MaxMessageLengthExceeded" : "RequestEntityTooLarge",
                       "Your request was too big.", wp == WireProtocol::kRestXml ? 400 : 413);
    }
    body.append(buf, *n);
  }
  return body;
}

// ---- REST operation matching ---------------------------------------------------------------------

using Token = model::PathToken;

using Labels = std::vector<std::pair<std::string, std::string>>;

bool MatchTokens(const std::vector<Token>& tokens, std::size_t ti, std::string_view path, std::size_t pi,
                 Labels& labels) {
  if (ti == tokens.size()) {
    // A trailing '/' after a complete match is tolerated ("/bucket/" for "/{Bucket}").
    return pi == path.size() || (pi + 1 == path.size() && path[pi] == '/' && pi > 0);
  }
  const Token& t = tokens[ti];
  if (!t.label) {
    if (path.substr(pi, t.text.size()) != t.text) {
      // Templates ending in '/' ("/2015-03-31/functions/") also match without it, as botocore sends them.
      return ti + 1 == tokens.size() && t.text.size() > 1 && t.text.back() == '/' &&
             path.substr(pi) == std::string_view(t.text).substr(0, t.text.size() - 1);
    }
    return MatchTokens(tokens, ti + 1, path, pi + t.text.size(), labels);
  }
  if (!t.greedy) {
    std::size_t end = path.find('/', pi);
    if (end == std::string_view::npos) end = path.size();
    if (end == pi) return false;
    labels.emplace_back(t.text, std::string(path.substr(pi, end - pi)));
    if (MatchTokens(tokens, ti + 1, path, end, labels)) return true;
    labels.pop_back();
    return false;
  }
  for (std::size_t end = path.size(); end > pi; --end) {
    labels.emplace_back(t.text, std::string(path.substr(pi, end - pi)));
    if (MatchTokens(tokens, ti + 1, path, end, labels)) return true;
    labels.pop_back();
    if (ti + 1 == tokens.size()) break;  // a final greedy label takes everything or nothing
  }
  return false;
}

using QueryParams = std::vector<std::pair<std::string, std::string>>;

const std::string* FindParam(const QueryParams& params, std::string_view key) {
  for (const auto& [k, v] : params) {
    if (k == key) return &v;
  }
  return nullptr;
}

struct Candidate {
  const Operation* op = nullptr;
  Labels labels;
  // Ranking, compared lexicographically (higher wins).
  int literal_queries = 0;
  int required_present = 0;
  int not_deprecated = 0;
  int literal_chars = 0;
  auto Key() const {
    return std::make_tuple(literal_queries, required_present, not_deprecated, literal_chars);
  }
};

// Finds the operation for a REST request. Among operations sharing method and path (S3 PutObject /
// CopyObject / UploadPart / UploadPartCopy, ...) the winner has every required header/querystring member
// present and the most of them, then the most literal query keys, and is not deprecated
// (GetBucketLifecycleConfiguration over GetBucketLifecycle).
Result<Candidate> MatchRestOperation(const ServiceModel& service, const http::HttpRequest& request,
                                     std::string_view path, const QueryParams& params) {
  std::optional<Candidate> best;
  bool path_matched_other_method = false;
  // Two passes: operations of the request's method first (the only ones that can match); the operations
  // of other methods only shape the error when none does, so they are looked at only then.
  for (int pass = 0; pass < 2 && !best; ++pass) {
    for (const Operation* op : service.operations()) {
      bool same_method = op->http_method == request.method;
      if (same_method != (pass == 0)) continue;
      if (!same_method && path_matched_other_method) continue;  // nothing more to learn from this operation
      bool literals_ok = true;
      for (const auto& lit : op->query_literals) {
        const std::string* v = FindParam(params, lit.key);
        if (!v || (lit.has_value && *v != lit.value)) literals_ok = false;
      }
      if (!literals_ok) continue;
      Labels labels;
      const std::vector<Token>& tokens = op->path_tokens;
      if (!MatchTokens(tokens, 0, path, 0, labels)) continue;
      if (!same_method) {
        path_matched_other_method = true;
        continue;
      }
      Candidate c;
      c.op = op;
      c.labels = std::move(labels);
      c.literal_queries = static_cast<int>(op->query_literals.size());
      c.not_deprecated = op->deprecated ? 0 : 1;
      for (const Token& t : tokens) {
        if (!t.label) c.literal_chars += static_cast<int>(t.text.size());
      }
      bool all_required = true;
      if (op->input) {
        for (const Member& m : op->input->members) {
          if (!m.required) continue;
          if (m.location == Location::kHeader) {
            if (request.headers.Has(m.location_name))
              ++c.required_present;
            else
              all_required = false;
          } else if (m.location == Location::kQueryString && m.shape->type != ShapeType::kMap) {
            if (FindParam(params, m.location_name))
              ++c.required_present;
            else
              all_required = false;
          }
        }
      }
      if (!all_required) continue;
      if (!best || c.Key() > best->Key()) best = std::move(c);
    }
  }
  if (best) return std::move(*best);
  if (IsS3(service)) {
    return MakeError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
        .With("Method", request.method)
        .With("ResourceType", path.find('/', 1) == std::string_view::npos ? "BUCKET" : "OBJECT");
  }
  if (path_matched_other_method) {
    return MakeError("MethodNotAllowedException", "The requested method is not allowed for this resource.",
                     405);
  }
  return MakeError("UnknownOperationException",
                   "No operation matches " + request.method + " " + std::string(path), 404);
}

Status BindRestInput(const Operation& op, const http::HttpRequest& request, const Labels& labels,
                     const QueryParams& params, boost::json::object& input, WireProtocol wp) {
  if (!op.input) return Status::Ok();
  std::set<std::string_view> bound_query_keys;
  for (const auto& lit : op.query_literals) bound_query_keys.insert(lit.key);
  for (const Member& m : op.input->members) {
    if (m.location == Location::kQueryString) bound_query_keys.insert(m.location_name);
  }
  for (const Member& m : op.input->members) {
    switch (m.location) {
      case Location::kUri: {
        for (const auto& [name, raw] : labels) {
          if (name != m.location_name) continue;
          std::string decoded = wire::PercentDecode(raw, false);
          auto v = wire::ScalarFromText(m, decoded, Wire::kUri);
          if (!v) return BadValue(wp, m.name, "'" + decoded + "' is not a valid " + m.location_name);
          input[m.name] = std::move(*v);
        }
        break;
      }
      case Location::kQueryString: {
        if (m.shape->type == ShapeType::kMap) {
          boost::json::object map;
          bool list_values = m.shape->value.shape->type == ShapeType::kList;
          for (const auto& [k, v] : params) {
            if (bound_query_keys.contains(k)) continue;
            if (list_values) {
              auto& slot = map[k];
              if (!slot.is_array()) slot = boost::json::array();
              slot.as_array().emplace_back(v);
            } else if (!map.contains(k)) {
              map[k] = boost::json::string(v);
            }
          }
          if (!map.empty()) input[m.name] = std::move(map);
        } else if (m.shape->type == ShapeType::kList) {
          boost::json::array items;
          for (const auto& [k, v] : params) {
            if (k != m.location_name) continue;
            auto item = wire::ScalarFromText(m.shape->member, v, Wire::kQueryString);
            if (!item) return BadValue(wp, m.location_name, "'" + v + "' is not valid");
            items.push_back(std::move(*item));
          }
          if (!items.empty()) input[m.name] = std::move(items);
        } else if (const std::string* v = FindParam(params, m.location_name)) {
          auto value = wire::ScalarFromText(m, *v, Wire::kQueryString);
          if (!value) {
            if (wp == WireProtocol::kRestXml &&
                (m.shape->type == ShapeType::kInteger || m.shape->type == ShapeType::kLong)) {
              return MakeError("InvalidArgument",
                               "Provided " + m.location_name + " not an integer or within integer range")
                  .With("ArgumentName", m.location_name)
                  .With("ArgumentValue", *v);
            }
            return BadValue(wp, m.location_name, "'" + *v + "' is not valid");
          }
          input[m.name] = std::move(*value);
        }
        break;
      }
      case Location::kHeader: {
        std::vector<std::string_view> values = request.headers.GetAll(m.location_name);
        if (values.empty()) break;
        if (m.shape->type == ShapeType::kList) {
          boost::json::array items;
          for (std::string_view hv : values) {
            while (!hv.empty()) {
              auto comma = hv.find(',');
              std::string_view part = Trim(hv.substr(0, comma));
              if (!part.empty()) {
                auto item = wire::ScalarFromText(m.shape->member, part, Wire::kHeader);
                if (!item) return BadValue(wp, m.location_name, "'" + std::string(part) + "' is not valid");
                items.push_back(std::move(*item));
              }
              if (comma == std::string_view::npos) break;
              hv.remove_prefix(comma + 1);
            }
          }
          input[m.name] = std::move(items);
        } else {
          std::string_view hv = Trim(values.front());
          auto value = wire::ScalarFromText(m, hv, Wire::kHeader);
          if (!value) {
            // An unparseable conditional date is ignored by S3 (RFC 9110: invalid If-Modified-Since is
            // ignored).
            if (m.shape->type == ShapeType::kTimestamp && StartsWithIgnoreCase(m.location_name, "if-")) break;
            return BadValue(wp, m.location_name, "'" + std::string(hv) + "' is not valid");
          }
          input[m.name] = std::move(*value);
        }
        break;
      }
      case Location::kHeaders: {
        boost::json::object map;
        for (const auto& h : request.headers) {
          if (h.name.size() > m.location_name.size() && StartsWithIgnoreCase(h.name, m.location_name)) {
            std::string key = Lower(std::string_view(h.name).substr(m.location_name.size()));
            // Repeated metadata headers are joined with ',' as S3 does.
            if (auto* existing = map.if_contains(key)) {
              existing->as_string().append(",");
              existing->as_string().append(std::string(Trim(h.value)));
            } else {
              map[key] = boost::json::string(Trim(h.value));
            }
          }
        }
        if (!map.empty()) input[m.name] = std::move(map);
        break;
      }
      default:
        break;
    }
  }
  // aws-chunked uploads (SigV4 streaming, SDK checksum trailers): Content-Length counts the chunk framing and
  // Content-Encoding carries "aws-chunked". S3 stores neither: the object's length is
  // x-amz-decoded-content-length and "aws-chunked" is dropped from the stored Content-Encoding.
  if (auto decoded = request.headers.Get("x-amz-decoded-content-length")) {
    for (const Member& m : op.input->members) {
      if (m.location != Location::kHeader || !EqualsIgnoreAsciiCase(m.location_name, "Content-Length"))
        continue;
      if (auto v = wire::ScalarFromText(m, Trim(*decoded), Wire::kHeader)) input[m.name] = std::move(*v);
    }
  }
  for (const Member& m : op.input->members) {
    if (m.location != Location::kHeader || !EqualsIgnoreAsciiCase(m.location_name, "Content-Encoding"))
      continue;
    auto* v = input.if_contains(m.name);
    if (!v || !v->is_string()) continue;
    std::string kept;
    bool dropped = false;
    std::string_view rest = v->as_string();
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view token = Trim(rest.substr(0, comma));
      if (EqualsIgnoreAsciiCase(token, "aws-chunked")) {
        dropped = true;
      } else if (!token.empty()) {
        if (!kept.empty()) kept += ",";
        kept += token;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!dropped) continue;  // stored as sent ("deflate, gzip" stays "deflate, gzip")
    if (kept.empty()) {
      input.erase(m.name);
    } else {
      *v = boost::json::string(kept);
    }
  }
  return Status::Ok();
}

Result<Document> ParseJsonText(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = 128;
  options.allow_invalid_utf8 = false;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec, {}, options);
  if (ec) return MakeError("SerializationException", "Malformed JSON: " + ec.message());
  return v;
}

Status ParseRestBody(const Operation& op, http::HttpRequest& request, std::size_t max_body,
                     boost::json::object& input, WireProtocol wp, std::optional<std::string>& raw_body) {
  if (!op.input) return Status::Ok();
  const Member* pm = op.input->payload_member;
  bool has_body_members = false;
  for (const Member& m : op.input->members) {
    if (m.location == Location::kBody) has_body_members = true;
  }
  if (pm && pm->shape->type == ShapeType::kBlob && (pm->streaming || pm->shape->streaming))
    return Status::Ok();
  if (!pm && !has_body_members) return Status::Ok();
  Result<std::string> body = ReadBody(request, max_body, wp);
  if (!body) return std::move(body).error();
  // S3 checks a document's Content-MD5 / x-amz-checksum-* against these bytes (OperationInput::raw_body);
  // the JSON protocols' documents have no such headers, so only rest-xml keeps them.
  auto keep_raw_body = [&] {
    if (wp == WireProtocol::kRestXml) raw_body = std::move(*body);
    return Status::Ok();
  };
  if (Trim(*body).empty()) return keep_raw_body();
  wire::DecodeError why;
  if (pm && pm->shape->type != ShapeType::kStructure) {
    if (pm->shape->type == ShapeType::kBlob || pm->shape->type == ShapeType::kString) {
      input[pm->name] = boost::json::string(*body);
    }
    return keep_raw_body();
  }
  const Shape& target = pm ? *pm->shape : *op.input;
  if (wp == WireProtocol::kRestXml) {
    bool malformed = false;
    Result<Document> parsed = wire::ParseXmlStructure(target, *body, why, malformed);
    if (!parsed) return MalformedXml();
    if (pm) {
      input[pm->name] = std::move(parsed).value();
    } else {
      for (auto& [k, v] : parsed->as_object()) input[k] = std::move(v);
    }
    return keep_raw_body();
  }
  Result<Document> json = ParseJsonText(*body);
  if (!json) return std::move(json).error();
  Member root = pm ? *pm : wire::RootMember(&target);
  auto converted = wire::JsonToDocument(root, *json, why);
  if (!converted) return BadValue(wp, why.path.empty() ? "body" : why.path, why.reason);
  if (pm) {
    input[pm->name] = std::move(*converted);
  } else {
    for (auto& [k, v] : converted->as_object()) input[k] = std::move(v);
  }
  return Status::Ok();
}

Result<ParsedRequest> ParseRest(const ServiceModel& service, http::HttpRequest& request, std::size_t max_body,
                                WireProtocol wp) {
  std::string_view path = request.Path();
  if (path.empty()) path = "/";
  QueryParams params = wire::ParseQueryString(request.Query());
  Result<Candidate> match = MatchRestOperation(service, request, path, params);
  if (!match) return std::move(match).error();
  const Operation& op = *match->op;
  boost::json::object input;
  CENOTE_RETURN_IF_ERROR(BindRestInput(op, request, match->labels, params, input, wp));
  std::optional<std::string> raw_body;
  CENOTE_RETURN_IF_ERROR(ParseRestBody(op, request, max_body, input, wp, raw_body));
  ParsedRequest parsed{&op, Document(std::move(input)), std::move(raw_body)};
  // rest-json members (required ones included) are checked by ValidateRequest, as AWS's validation does.
  if (op.input && wp == WireProtocol::kRestXml) {
    std::string missing = wire::FindMissingRequired(*op.input, parsed.input);
    if (!missing.empty()) {
      const Member* pm = op.input->payload_member;
      // S3 answers a missing or incomplete XML document (PutBucketTagging without a body) with MalformedXML.
      if (pm && pm->shape->type == ShapeType::kStructure &&
          missing.compare(0, pm->name.size(), pm->name) == 0) {
        return MalformedXml();
      }
      return MissingMember(missing);
    }
  }
  return parsed;
}

Result<ParsedRequest> ParseJson(const ServiceModel& service, http::HttpRequest& request,
                                std::size_t max_body) {
  auto target = request.headers.Get("x-amz-target");
  if (!target) return MakeError("UnknownOperationException", "Missing X-Amz-Target header.");
  std::string_view t = Trim(*target);
  auto dot = t.rfind('.');
  std::string_view name = dot == std::string_view::npos ? t : t.substr(dot + 1);
  const Operation* op = service.FindOperation(name);
  if (!op) return MakeError("UnknownOperationException", "Unknown operation " + std::string(t) + ".");
  Result<std::string> body = ReadBody(request, max_body, WireProtocol::kJson);
  if (!body) return std::move(body).error();
  bool is_cbor = IsCbor(&request.headers);
  if (is_cbor ? body->empty() : Trim(*body).empty()) {
    return MakeError("SerializationException", is_cbor ? "Empty request body; expected a CBOR map."
                                                       : "Empty request body; expected a JSON object.");
  }
  Result<Document> json = is_cbor ? cbor::DecodeToJson(*body) : ParseJsonText(*body);
  if (!json) return std::move(json).error();
  if (!json->is_object())
    return MakeError("SerializationException", "The request body must be a JSON object.");
  ParsedRequest parsed{op, boost::json::object(), std::nullopt};
  if (op->input) {
    wire::DecodeError why;
    auto converted = wire::JsonToDocument(wire::RootMember(op->input), *json, why);
    if (!converted) {
      return MakeError(
          "SerializationException",
          "Invalid value for " + (why.path.empty() ? std::string("body") : why.path) + ": " + why.reason);
    }
    parsed.input = std::move(*converted);
  }
  return parsed;
}

Result<ParsedRequest> ParseQuery(const ServiceModel& service, http::HttpRequest& request,
                                 std::size_t max_body) {
  QueryParams params = wire::ParseQueryString(request.Query());
  if (request.method == "POST") {
    Result<std::string> body = ReadBody(request, max_body, WireProtocol::kQuery);
    if (!body) return std::move(body).error();
    QueryParams form = wire::ParseQueryString(*body);
    params.insert(params.end(), std::make_move_iterator(form.begin()), std::make_move_iterator(form.end()));
  }
  const std::string* action = FindParam(params, "Action");
  if (!action || action->empty()) {
    return MakeError("MissingAction", "The request must contain the parameter Action.");
  }
  const Operation* op = service.FindOperation(*action);
  if (!op) {
    return MakeError("InvalidAction", "The action " + *action + " is not valid for this web service.");
  }
  ParsedRequest parsed{op, boost::json::object(), std::nullopt};
  if (op->input) {
    wire::DecodeError why;
    auto converted = wire::QueryToDocument(*op->input, params, why);
    if (!converted) return BadValue(WireProtocol::kQuery, why.path, why.reason);
    parsed.input = std::move(*converted);
  }
  return parsed;
}

// ---- responses -------------------------------------------------------------------------------------

void AddRequestIdHeaders(const ServiceModel& service, WireProtocol wp, const RequestContext& ctx,
                         http::HttpResponse& r) {
  if (wp == WireProtocol::kRestXml && IsS3(service)) {
    r.headers.Set("x-amz-request-id", ctx.request_id);
    // S3's extended request id; clients only log it.
    r.headers.Set("x-amz-id-2", cenote::Base64Encode("cenote/" + ctx.request_id));
  } else {
    r.headers.Set("x-amzn-RequestId", ctx.request_id);
  }
}

const char* kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

std::string JsonText(const Document& v) { return boost::json::serialize(v); }

void SerializeRestHeaders(const Operation& op, const Document& result, http::HttpResponse& r) {
  if (!op.output || !result.is_object()) return;
  const auto& obj = result.as_object();
  for (const Member& m : op.output->members) {
    const auto* v = obj.if_contains(m.name);
    if (!v || v->is_null()) continue;
    switch (m.location) {
      case Location::kHeader: {
        if (EqualsIgnoreAsciiCase(m.location_name, "Content-Length")) {
          // The server frames the body itself; a HEAD response describes the entity instead.
          if (op.http_method == "HEAD" && (v->is_int64() || v->is_uint64())) {
            r.head_content_length =
                v->is_int64() ? static_cast<std::uint64_t>(v->as_int64()) : v->as_uint64();
          }
          break;
        }
        if (m.shape->type == ShapeType::kList) {
          if (!v->is_array()) break;
          std::string joined;
          for (const auto& item : v->as_array()) {
            auto text = wire::ScalarToText(m.shape->member, item, Wire::kHeader);
            if (!text) continue;
            if (!joined.empty()) joined += ",";
            joined += *text;
          }
          if (!joined.empty()) r.headers.Set(m.location_name, joined);
        } else if (auto text = wire::ScalarToText(m, *v, Wire::kHeader)) {
          r.headers.Set(m.location_name, *text);
        }
        break;
      }
      case Location::kHeaders:
        if (v->is_object()) {
          for (const auto& [k, hv] : v->as_object()) {
            if (hv.is_string()) r.headers.Add(m.location_name + std::string(k), std::string(hv.as_string()));
          }
        }
        break;
      case Location::kStatusCode:
        if (v->is_int64()) r.status = static_cast<int>(v->as_int64());
        break;
      default:
        break;
    }
  }
}

void SerializeRestBody(const ServiceModel& service, const Operation& op, OperationOutput& out,
                       WireProtocol wp, http::HttpResponse& r) {
  if (!op.output) return;
  const Document& result = out.result;
  const Member* pm = op.output->payload_member;
  const char* content_type = wp == WireProtocol::kRestXml ? "application/xml" : "application/json";
  if (pm) {
    const auto* v = result.is_object() ? result.as_object().if_contains(pm->name) : nullptr;
    if (pm->shape->type == ShapeType::kBlob || pm->shape->type == ShapeType::kString) {
      if (out.body) {
        r.stream = std::move(out.body);
      } else if (v && v->is_string()) {
        r.body = std::string(v->as_string());
      }
      if (!r.headers.Has("content-type") && (r.stream || !r.body.empty())) {
        r.headers.Set("Content-Type",
                      pm->shape->type == ShapeType::kBlob ? "application/octet-stream" : "text/plain");
      }
      return;
    }
    if (pm->shape->event_stream && out.body) {
      // An event-stream payload (S3 SelectObjectContent): the provider frames the messages itself.
      r.stream = std::move(out.body);
      r.headers.Set("Content-Type", "application/vnd.amazon.eventstream");
      return;
    }
    if (!v) return;
    if (wp == WireProtocol::kRestXml) {
      r.body = kXmlDeclaration;
      std::string xmlns = pm->xml_namespace_uri.empty() ? service.xml_namespace() : pm->xml_namespace_uri;
      wire::WriteXmlStructure(r.body, *pm->shape, *v, pm->location_name, xmlns, false);
    } else {
      r.body = JsonText(wire::DocumentToJson(*pm, *v, false));
    }
    r.headers.Set("Content-Type", content_type);
    return;
  }
  const Member* only_body_member = nullptr;
  int body_members = 0;
  for (const Member& m : op.output->members) {
    if (m.location == Location::kBody) {
      ++body_members;
      only_body_member = &m;
    }
  }
  if (body_members == 0) return;
  if (wp == WireProtocol::kRestXml) {
    std::string root = !op.output_root_name.empty() ? op.output_root_name : op.name + "Result";
    std::string xmlns = !op.output_xml_namespace.empty() ? op.output_xml_namespace : service.xml_namespace();
    r.body = kXmlDeclaration;
    if (body_members == 1 && only_body_member->shape->IsScalar() && only_body_member->location_name == root) {
      // S3 GetBucketLocation: <LocationConstraint xmlns="...">region</LocationConstraint>, empty for
      // us-east-1.
      const auto* v = result.is_object() ? result.as_object().if_contains(only_body_member->name) : nullptr;
      std::string text;
      if (v) text = wire::ScalarToText(*only_body_member, *v, Wire::kXmlBody).value_or("");
      r.body += "<" + root + " xmlns=\"" + wire::XmlEscape(xmlns) + "\">" + wire::XmlEscape(text) + "</" +
                root + ">";
    } else {
      wire::WriteXmlStructure(r.body, *op.output, result, root, xmlns, true);
    }
  } else {
    r.body = JsonText(wire::DocumentToJson(wire::RootMember(op.output), result, true));
  }
  r.headers.Set("Content-Type", content_type);
}

}  // namespace

// json services that also speak query (SQS, CloudWatch) answer in the protocol the request used.
WireProtocol wire::RequestProtocol(const ServiceModel& service, const http::Headers* headers) {
  WireProtocol p = ModelProtocol(service);
  if (p == WireProtocol::kJson && SpeaksQuery(service) && headers && !headers->Has("x-amz-target")) {
    auto ct = headers->Get("content-type");
    if (!ct || !StartsWithIgnoreCase(Trim(*ct), "application/x-amz-json")) return WireProtocol::kQuery;
  }
  return p;
}

Result<ParsedRequest> ParseRequest(const ServiceModel& service, http::HttpRequest& request,
                                   std::size_t max_body) {
  try {
    WireProtocol wp = RequestProtocol(service, &request.headers);
    switch (wp) {
      case WireProtocol::kRestXml:
      case WireProtocol::kRestJson:
        return ParseRest(service, request, max_body, wp);
      case WireProtocol::kJson:
        return ParseJson(service, request, max_body);
      case WireProtocol::kQuery:
        return ParseQuery(service, request, max_body);
    }
  } catch (const std::exception& e) {
    return InternalError(std::string("request parsing failed: ") + e.what());
  }
  return InternalError();
}

http::HttpResponse SerializeResponse(const ServiceModel& service, const Operation& op, OperationOutput&& out,
                                     const RequestContext& ctx) {
  WireProtocol wp = RequestProtocol(service, ctx.headers);
  http::HttpResponse r;
  r.status = out.http_status != 0 ? out.http_status : op.response_code;
  AddRequestIdHeaders(service, wp, ctx, r);
  switch (wp) {
    case WireProtocol::kJson: {
      if (out.body) {
        // An event-stream output (Kinesis SubscribeToShard): the provider frames the messages itself.
        r.headers.Set("Content-Type", "application/vnd.amazon.eventstream");
        r.stream = std::move(out.body);
        break;
      }
      if (IsCbor(ctx.headers)) {
        r.headers.Set("Content-Type", std::string(cbor::kContentType));
        if (op.output) {
          cbor::EncodeMember(r.body, wire::RootMember(op.output), out.result, false);
        } else {
          cbor::EncodeJson(r.body, boost::json::object());
        }
        break;
      }
      r.headers.Set("Content-Type", JsonContentType(service));
      if (op.output) {
        r.body = JsonText(wire::DocumentToJson(wire::RootMember(op.output), out.result, false));
      } else {
        r.body = "{}";
      }
      break;
    }
    case WireProtocol::kQuery: {
      if (out.body) {
        // A document that is not an API answer (SNS's signing certificate at a message's SigningCertURL):
        // the provider's bytes as they are.
        r.headers.Set("Content-Type", "application/octet-stream");
        r.stream = std::move(out.body);
        break;
      }
      r.headers.Set("Content-Type", "text/xml");
      std::string& b = r.body;
      b = kXmlDeclaration;
      b += "<" + op.name + "Response xmlns=\"" + wire::XmlEscape(QueryNamespace(service)) + "\">";
      if (op.output) {
        std::string wrapper =
            !op.output_result_wrapper.empty() ? op.output_result_wrapper : op.name + "Result";
        b += "<" + wrapper + ">";
        wire::WriteXmlMembers(b, *op.output, out.result, false);
        b += "</" + wrapper + ">";
      }
      b += "<ResponseMetadata><RequestId>" + wire::XmlEscape(ctx.request_id) +
           "</RequestId></ResponseMetadata>";
      b += "</" + op.name + "Response>";
      break;
    }
    case WireProtocol::kRestXml:
    case WireProtocol::kRestJson:
      SerializeRestHeaders(op, out.result, r);
      SerializeRestBody(service, op, out, wp, r);
      break;
  }
  if (op.http_method == "HEAD" || r.status == 304 || r.status == 204) {
    r.body.clear();
    if (op.http_method == "HEAD" || r.status == 304) r.stream.reset();
  }
  return r;
}

http::HttpResponse SerializeError(const ServiceModel& service, const Operation* op, const Error& error,
                                  const RequestContext& ctx) {
  WireProtocol wp = RequestProtocol(service, ctx.headers);
  http::HttpResponse r;
  r.status = error.http_status;
  AddRequestIdHeaders(service, wp, ctx, r);
  for (const auto& [name, value] : error.headers) r.headers.Set(name, value);
  switch (wp) {
    case WireProtocol::kRestXml: {
      r.headers.Set("Content-Type", "application/xml");
      std::string& b = r.body;
      b = kXmlDeclaration;
      std::string fields;
      for (const auto& [name, value] : error.fields) {
        fields += "<" + name + ">" + wire::XmlEscape(value) + "</" + name + ">";
      }
      if (IsS3(service)) {
        // S3 errors have no <ErrorResponse> wrapper.
        b += "<Error><Code>" + wire::XmlEscape(error.code) + "</Code><Message>" +
             wire::XmlEscape(error.message) + "</Message>" + fields + "<RequestId>" +
             wire::XmlEscape(ctx.request_id) + "</RequestId><HostId>" +
             cenote::Base64Encode("cenote/" + ctx.request_id) + "</HostId></Error>";
      } else {
        b += "<ErrorResponse><Error><Type>" + std::string(error.sender_fault() ? "Sender" : "Receiver") +
             "</Type><Code>" + wire::XmlEscape(error.code) + "</Code><Message>" +
             wire::XmlEscape(error.message) + "</Message>" + fields + "</Error><RequestId>" +
             wire::XmlEscape(ctx.request_id) + "</RequestId></ErrorResponse>";
      }
      break;
    }
    case WireProtocol::kQuery: {
      r.headers.Set("Content-Type", "text/xml");
      std::string fields;
      for (const auto& [name, value] : error.fields) {
        fields += "<" + name + ">" + wire::XmlEscape(value) + "</" + name + ">";
      }
      r.body = std::string(kXmlDeclaration) + "<ErrorResponse xmlns=\"" +
               wire::XmlEscape(QueryNamespace(service)) + "\"><Error><Type>" +
               (error.sender_fault() ? "Sender" : "Receiver") + "</Type><Code>" +
               wire::XmlEscape(error.code) + "</Code><Message>" + wire::XmlEscape(error.message) +
               "</Message>" + fields + "</Error><RequestId>" + wire::XmlEscape(ctx.request_id) +
               "</RequestId></ErrorResponse>";
      break;
    }
    case WireProtocol::kJson:
    case WireProtocol::kRestJson: {
      bool is_cbor = wp == WireProtocol::kJson && IsCbor(ctx.headers);
      r.headers.Set("Content-Type", is_cbor                     ? std::string(cbor::kContentType)
                                    : wp == WireProtocol::kJson ? JsonContentType(service)
                                                                : std::string("application/json"));
      // The json error type is the code, unless the provider named it with an X-Amzn-ErrorType header:
      // query-compatible services (SQS) type errors by shape ("com.amazonaws.sqs#QueueDoesNotExist") and
      // keep the query code ("AWS.SimpleQueueService.NonExistentQueue") for x-amzn-query-error.
      std::string type = error.code;
      for (const auto& [name, value] : error.headers) {
        if (EqualsIgnoreAsciiCase(name, "X-Amzn-ErrorType")) type = value;
      }
      r.headers.Set("X-Amzn-ErrorType", type);
      if (service.aws_query_compatible()) {
        // Clients of query-compatible services map errors by this header's code (SQS:
        // AWS.SimpleQueueService.*).
        r.headers.Set("x-amzn-query-error", error.code + (error.sender_fault() ? ";Sender" : ";Receiver"));
      }
      boost::json::object body;
      if (wp == WireProtocol::kJson) body["__type"] = type;
      body["message"] = error.message;
      for (const auto& [name, value] : error.fields) body[name] = value;
      if (is_cbor) {
        cbor::EncodeJson(r.body, body);
      } else {
        r.body = JsonText(body);
      }
      break;
    }
  }
  if ((op && op->http_method == "HEAD") || r.status == 304) r.body.clear();
  return r;
}

}  // namespace cenote::aws::protocol
