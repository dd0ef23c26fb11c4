// The serialize stage: output document or error -> HTTP response, through the protocol layer.
#include "aws/model/model.hpp"
#include "aws/pipeline/stages.hpp"
#include "aws/protocol/protocol.hpp"

namespace cenote::aws::pipeline::stages {

http::HttpResponse Serialize(const StageEnv& /*env*/, Exchange& exchange) {
  if (exchange.service == nullptr) {
    // Not even the service is known: no protocol to answer in.
    http::HttpResponse response;
    response.status = exchange.error ? exchange.error->http_status : 400;
    response.body = exchange.error ? exchange.error->message : "Unknown service.";
    response.headers.Set("x-amz-request-id", exchange.ctx.request_id);
    return response;
  }
  if (exchange.error) {
    return protocol::SerializeError(*exchange.service, exchange.operation, *exchange.error, exchange.ctx);
  }
  return protocol::SerializeResponse(*exchange.service, *exchange.operation, std::move(exchange.output),
                                     exchange.ctx);
}

}  // namespace cenote::aws::pipeline::stages
