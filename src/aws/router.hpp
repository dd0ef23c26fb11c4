// Router: the request pipeline from an HTTP request to a provider and back.
//
//   detect service -> (S3) virtual-host rewrite -> SigV4 authenticate -> protocol parse
//   -> provider Invoke -> protocol serialize (output or error)
//
// The router names no service: providers are registered at start-up by the platform wiring, and
// the service is found from the request (X-Amz-Target, the SigV4 credential scope, SigV2 query
// parameters, the Host header) and the embedded service models.
//
// Thread safety: Register before the server starts; Handle is then called concurrently.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aws/provider.hpp"
#include "http/message.hpp"

namespace cenote::aws {

namespace model {
class ModelRegistry;
class ServiceModel;
}  // namespace model
namespace sigv4 {
class CredentialProvider;
}

struct RouterOptions {
  std::string region = "us-east-1";
  // Largest non-streaming request body (JSON/XML/query documents).
  std::size_t max_document_body = 16 * 1024 * 1024;
};

class Router {
 public:
  Router(const model::ModelRegistry& models, const sigv4::CredentialProvider& credentials,
         RouterOptions options);
  // Destroys the providers in the reverse order of registration, so a provider may call the providers
  // registered before it (Firehose -> Kinesis, S3) until it is gone.
  ~Router();

  void Register(std::unique_ptr<Provider> provider);

  // Serves one request end to end. Never throws.
  http::HttpResponse Handle(http::HttpRequest& request);

 private:
  struct Detected;
  Detected DetectService(const http::HttpRequest& request) const;
  http::HttpResponse HandleUnsafe(http::HttpRequest& request, RequestContext& ctx);

  const model::ModelRegistry& models_;
  const sigv4::CredentialProvider& credentials_;
  RouterOptions options_;
  std::map<std::string, Provider*, std::less<>> providers_;  // by endpoint prefix
  std::vector<std::unique_ptr<Provider>> owned_;             // in registration order
};

// Splits a virtual-hosted-style S3 Host ("bucket.localhost:4566", "bucket.s3.localhost",
// "bucket.s3.us-east-1.amazonaws.com") into the bucket name; nullopt for path-style hosts
// (IP addresses, "localhost", "s3.localhost", ...).
std::optional<std::string> VirtualHostedBucket(std::string_view host);

}  // namespace cenote::aws
