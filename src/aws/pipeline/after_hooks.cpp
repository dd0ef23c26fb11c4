#include "aws/pipeline/after_hooks.hpp"

#include <spdlog/spdlog.h>

#include "aws/pipeline/stages.hpp"

namespace cenote::aws::pipeline {

void AccessLog::AfterCall(const CallRecord& record) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  const RequestContext& ctx = record.ctx;
  spdlog::debug("{} {} {} {} -> {}{} ({} us) id={}", ctx.source_ip.empty() ? "-" : ctx.source_ip,
                ctx.service.empty() ? "-" : ctx.service, ctx.operation.empty() ? "-" : ctx.operation,
                record.target.empty() ? "(in-process)" : record.target, record.http_status,
                record.error != nullptr ? " " + record.error->code : std::string(), record.duration.count(),
                ctx.request_id);
}

void RequestMetrics::AfterCall(const CallRecord& record) {
  std::string key = record.ctx.service + ":" + record.ctx.operation;
  MutexLock lock(mu_);
  Counters& c = counters_[key];
  ++c.calls;
  if (record.http_status >= 500) {
    ++c.server_errors;
  } else if (record.http_status >= 400) {
    ++c.client_errors;
  }
  if (record.ctx.in_process()) ++c.in_process_calls;
  c.total_micros += record.duration.count();
}

std::map<std::string, RequestMetrics::Counters> RequestMetrics::Snapshot() const {
  MutexLock lock(mu_);
  return {counters_.begin(), counters_.end()};
}

namespace stages {

void AfterHooks(const StageEnv& env, const Exchange& exchange, int http_status, std::string_view target,
                const http::HttpResponse* response) {
  std::int64_t bytes_sent = -1;
  if (response != nullptr) {
    if (response->stream) {
      if (auto size = response->stream->Size()) bytes_sent = static_cast<std::int64_t>(*size);
    } else {
      bytes_sent = static_cast<std::int64_t>(response->body.size());
    }
  }
  CallRecord record{
      .ctx = exchange.ctx,
      .params = exchange.input.params.is_object() ? &exchange.input.params : nullptr,
      .target = target,
      .http_status = http_status,
      .method = exchange.request != nullptr ? std::string_view(exchange.request->method) : std::string_view(),
      .bytes_sent = bytes_sent,
      .error = exchange.error ? &*exchange.error : nullptr,
      .result = exchange.error ? nullptr : &exchange.output.result,
      .duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                        exchange.started),
  };
  for (AfterHook* hook : env.hooks) {
    try {
      hook->AfterCall(record);
    } catch (const std::exception& e) {
      spdlog::error("request {}: an after-hook failed: {}", exchange.ctx.request_id, e.what());
    } catch (...) {
      spdlog::error("request {}: an after-hook failed", exchange.ctx.request_id);
    }
  }
}

}  // namespace stages
}  // namespace cenote::aws::pipeline
