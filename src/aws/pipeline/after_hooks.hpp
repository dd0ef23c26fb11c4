// After-hooks: what runs once a call has been answered, for every call (network and in-process, allowed
// and denied): the access log and request metrics now, the CloudTrail audit event and CloudWatch
// metrics when those services land. A hook sees a CallRecord and must not fail the call: the pipeline
// catches and logs anything a hook throws.
//
// Thread safety: AfterCall is called concurrently from any thread; hooks synchronize themselves.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "aws/provider.hpp"
#include "common/mutex.hpp"

namespace cenote::aws::pipeline {

// What a hook learns about one answered call.
struct CallRecord {
  const RequestContext& ctx;  // request id, service, operation ("" if never parsed), principal, region,
                              // source, invoked_by
  const Document* params = nullptr;  // the parsed input, when the call got that far
  std::string_view target = {};      // network calls: the request target as received; "" in-process
  int http_status = 200;             // network: the response's; in-process: 200 or the error's
  std::string_view method = {};      // network calls: the HTTP method; "" in-process
  std::int64_t bytes_sent = -1;      // network calls: the response body's size, when known; -1 otherwise
  const Error* error = nullptr;      // null when the call succeeded
  const Document* result = nullptr;  // the output document, when the call succeeded (not its stream)
  std::chrono::microseconds duration{0};
};

class AfterHook {
 public:
  virtual ~AfterHook() = default;
  virtual void AfterCall(const CallRecord& record) = 0;
};

// One line per call at debug level: source, service, operation, target, status, duration, request id.
class AccessLog final : public AfterHook {
 public:
  void AfterCall(const CallRecord& record) override;
};

// Counters per (service, operation) since start: calls, client errors (4xx), server errors (5xx) and
// total latency. Read by Snapshot() (tests, later CloudWatch's AWS/<service> request metrics).
class RequestMetrics final : public AfterHook {
 public:
  struct Counters {
    std::int64_t calls = 0;
    std::int64_t client_errors = 0;
    std::int64_t server_errors = 0;
    std::int64_t in_process_calls = 0;
    std::int64_t total_micros = 0;
  };

  void AfterCall(const CallRecord& record) override;
  // "<service>:<operation>" -> counters.
  std::map<std::string, Counters> Snapshot() const;

 private:
  mutable Mutex mu_;
  std::map<std::string, Counters, std::less<>> counters_ GUARDED_BY(mu_);
};

}  // namespace cenote::aws::pipeline
