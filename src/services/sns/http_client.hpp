// The HTTP/1.1 client SNS delivers to http/https subscriptions with: one POST per call on a connection of its
// own (AWS's SNS does not pipeline either), blocking, with a deadline over connect, send and receive.
// https verifies the endpoint's certificate against the system's trust store (as SNS does), unless
// `verify_tls` is false (CENOTE_SNS_HTTPS_INSECURE=1, for self-signed test endpoints).
//
// Thread safety: stateless; call from any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace cenote::sns {

struct HttpPostResult {
  int status = 0;  // the endpoint's status code
  std::string body;
};

// POSTs `body` to `url` ("http://host[:port]/path?query" or "https://..."). Errors: the URL does not parse,
// the connection or the TLS handshake fails, the deadline passes, the answer is not HTTP.
Result<HttpPostResult> HttpPost(const std::string& url,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                const std::string& body, int timeout_ms, bool verify_tls);

}  // namespace cenote::sns
