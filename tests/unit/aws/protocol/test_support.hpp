// Helpers for protocol tests: build HttpRequests the way real clients send them.
#pragma once

#include <boost/json.hpp>
#include <cstring>
#include <string>

#include "aws/model/model.hpp"
#include "aws/protocol/protocol.hpp"
#include "aws/protocol/validate.hpp"
#include "http/message.hpp"

namespace cenote::aws::protocol::testing {

using http::StringReader;

// Parses "METHOD target\r\nName: value\r\n...\r\n\r\nbody" (the raw request a client wrote).
inline http::HttpRequest RawRequest(std::string_view raw) {
  http::HttpRequest r;
  auto line_end = raw.find("\r\n");
  std::string_view line = raw.substr(0, line_end);
  auto sp = line.find(' ');
  r.method = std::string(line.substr(0, sp));
  std::string_view rest = line.substr(sp + 1);
  r.target = std::string(rest.substr(0, rest.find(' ')));
  std::size_t pos = line_end + 2;
  while (pos < raw.size()) {
    auto e = raw.find("\r\n", pos);
    std::string_view h = raw.substr(pos, e - pos);
    pos = e + 2;
    if (h.empty()) break;
    auto colon = h.find(':');
    std::string_view v = h.substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    r.headers.Add(std::string(h.substr(0, colon)), std::string(v));
  }
  r.body = std::make_unique<StringReader>(pos < raw.size() ? std::string(raw.substr(pos)) : std::string());
  return r;
}

inline const model::ServiceModel& Service(std::string_view endpoint_prefix) {
  const auto* s = model::ModelRegistry::Embedded().ByEndpointPrefix(endpoint_prefix);
  if (!s) throw std::runtime_error("no model " + std::string(endpoint_prefix));
  return *s;
}

inline boost::json::value Json(std::string_view text) { return boost::json::parse(text); }

// The parse stage as the router runs it: ParseRequest, then ValidateRequest.
inline Result<ParsedRequest> ParseAndValidate(const model::ServiceModel& service,
                                              http::HttpRequest& request) {
  auto parsed = ParseRequest(service, request, 1 << 20);
  if (!parsed) return parsed;
  Status valid = ValidateRequest(service, *parsed, request.headers);
  if (!valid) return std::move(valid).error();
  return parsed;
}

}  // namespace cenote::aws::protocol::testing
