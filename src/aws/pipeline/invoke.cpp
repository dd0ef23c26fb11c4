// The invoke stage: the one provider boundary. Every service answers an operation it lacks, an exception
// and a 500 the same way (service_errors.hpp), and no exception text or internal message (a data-dir
// path in a filesystem error) ever reaches a client: the cause is logged with the request id.
#include <spdlog/spdlog.h>

#include <exception>

#include "aws/model/model.hpp"
#include "aws/pipeline/service_errors.hpp"
#include "aws/pipeline/service_registry.hpp"
#include "aws/pipeline/stages.hpp"

namespace cenote::aws::pipeline::stages {

namespace {

Error Internal(const Exchange& exchange, std::string_view cause) {
  const RequestContext& ctx = exchange.ctx;
  spdlog::error("request {} {}.{} failed: {}", ctx.request_id, ctx.service, ctx.operation, cause);
  std::string_view code = exchange.provider != nullptr ? exchange.provider->internal_error_code() : "";
  return InternalFailure(*exchange.service, code);
}

}  // namespace

Status Invoke(const StageEnv& env, Exchange& exchange, const std::function<Status()>* perform) {
  const RequestContext& ctx = exchange.ctx;
  exchange.provider = env.services.Find(ctx.service);
  try {
    if (perform != nullptr) {
      Status st = (*perform)();
      if (!st && st.error().http_status == 500)
        return Internal(exchange, st.error().code + ": " + st.error().message);
      return st;
    }
    if (exchange.provider == nullptr || !exchange.provider->Implements(ctx.operation)) {
      return UnsupportedOperation(*exchange.service, ctx.operation);
    }
    Result<OperationOutput> output = exchange.provider->Invoke(ctx, ctx.operation, exchange.input);
    if (!output) {
      // A provider's 500 is an unexpected failure whatever its words: hide them. Other 5xx (503
      // SlowDown, 507 storage full) are answers a client acts on and pass through.
      if (output.error().http_status == 500) {
        return Internal(exchange, output.error().code + ": " + output.error().message);
      }
      return std::move(output).error();
    }
    exchange.output = std::move(output).value();
    return Status::Ok();
  } catch (const std::exception& e) {
    return Internal(exchange, std::string("exception: ") + e.what());
  } catch (...) {
    return Internal(exchange, "unknown exception");
  }
}

}  // namespace cenote::aws::pipeline::stages
