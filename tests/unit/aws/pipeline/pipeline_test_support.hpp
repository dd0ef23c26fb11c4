// Shared by the pipeline's stage tests: a configurable fake provider, a known root key, signed requests.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "aws/model/model.hpp"
#include "aws/pipeline/after_hooks.hpp"
#include "aws/pipeline/authorizer.hpp"
#include "aws/pipeline/pipeline.hpp"
#include "aws/pipeline/service_registry.hpp"
#include "aws/pipeline/stages.hpp"
#include "aws/sigv4/sigv4.hpp"
#include "common/encoding.hpp"
#include "http/message.hpp"

namespace cenote::aws::pipeline::testing {

inline constexpr char kAccessKey[] = "AKIDPIPELINETEST";
inline constexpr char kSecret[] = "pipeline-test-secret";
inline constexpr char kAccount[] = "123456789012";

class RootKey final : public sigv4::CredentialProvider {
 public:
  std::optional<sigv4::SecretRecord> Lookup(std::string_view access_key_id) const override {
    if (access_key_id != kAccessKey) return std::nullopt;
    sigv4::SecretRecord record;
    record.secret_access_key = kSecret;
    record.principal.account_id = kAccount;
    record.principal.arn = std::string("arn:aws:iam::") + kAccount + ":root";
    record.principal.user_id = kAccount;
    record.principal.access_key_id = kAccessKey;
    record.principal.is_root = true;
    record.principal.type = iam::PrincipalType::kRoot;
    return record;
  }
};

// A provider whose operations are lambdas; every other operation is not implemented.
class FakeProvider final : public Provider {
 public:
  using Fn = std::function<Result<OperationOutput>(const RequestContext&, OperationInput&)>;
  explicit FakeProvider(std::string service, std::string internal_code = "")
      : service_(std::move(service)), internal_code_(std::move(internal_code)) {}
  FakeProvider& On(std::string operation, Fn fn) {
    ops_[std::move(operation)] = std::move(fn);
    return *this;
  }
  std::string_view service() const override { return service_; }
  std::string_view internal_error_code() const override { return internal_code_; }
  bool Implements(std::string_view operation) const override {
    return ops_.count(std::string(operation)) > 0;
  }
  Result<OperationOutput> Invoke(const RequestContext& ctx, std::string_view operation,
                                 OperationInput& input) override {
    last_ctx = ctx;
    return ops_.at(std::string(operation))(ctx, input);
  }
  Result<std::optional<http::Headers>> Cors(const CorsRequest& request) override {
    cors_requests.push_back(request);
    if (!cors) return std::optional<http::Headers>();
    return cors(request);
  }
  std::vector<UnsignedRoute> UnsignedRoutes() override { return routes; }
  RequestContext last_ctx;
  // The unsigned routes it declares (set before it is registered).
  std::vector<UnsignedRoute> routes;
  // The CORS answer (nullopt: not allowed, the default) and the requests it was asked about.
  std::function<Result<std::optional<http::Headers>>(const CorsRequest&)> cors;
  std::vector<CorsRequest> cors_requests;

 private:
  std::string service_;
  std::string internal_code_;
  std::map<std::string, Fn> ops_;
};

inline const model::ServiceModel& Model(std::string_view endpoint_prefix) {
  const model::ServiceModel* m = model::ModelRegistry::Embedded().ByEndpointPrefix(endpoint_prefix);
  if (m == nullptr) throw std::runtime_error("no model " + std::string(endpoint_prefix));
  return *m;
}

// A JSON-protocol request for `operation` of `service`, signed with the root key for `region`.
inline http::HttpRequest SignedJsonRequest(std::string_view service, std::string_view operation,
                                           std::string body, std::string_view region = "us-east-1",
                                           bool sign = true) {
  const model::ServiceModel& m = Model(service);
  http::HttpRequest request;
  request.method = "POST";
  request.target = std::string(1, '/');  // not = "/": g++ 12 -O3 warns falsely (PR 105651)
  request.remote_address = "127.0.0.1:40000";
  request.headers.Add("host", "localhost:4566");
  request.headers.Add("content-type", "application/x-amz-json-" +
                                          (m.json_version().empty() ? std::string("1.1") : m.json_version()));
  request.headers.Add("x-amz-target", m.target_prefix() + "." + std::string(operation));
  if (sign) {
    sigv4::SignRequest(request, kAccessKey, kSecret, region, m.signing_name(),
                       std::chrono::system_clock::now(), Sha256Hex(body));
  }
  request.body = std::make_unique<http::StringReader>(std::move(body));
  return request;
}

// An S3 (rest-xml) request, signed with the root key.
inline http::HttpRequest SignedS3Request(std::string method, std::string target,
                                         std::string host = "localhost:4566", std::string body = "",
                                         std::string_view region = "us-east-1") {
  http::HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.remote_address = "127.0.0.1:40000";
  request.headers.Add("host", host);
  sigv4::SignRequest(request, kAccessKey, kSecret, region, "s3", std::chrono::system_clock::now(),
                     Sha256Hex(body));
  request.body = std::make_unique<http::StringReader>(std::move(body));
  return request;
}

// A query-protocol request (IAM, STS, SNS), signed with the root key.
inline http::HttpRequest SignedQueryRequest(std::string_view service, std::string body,
                                            std::string_view region = "us-east-1") {
  const model::ServiceModel& m = Model(service);
  http::HttpRequest request;
  request.method = "POST";
  request.target = std::string(1, '/');  // not = "/": g++ 12 -O3 warns falsely (PR 105651)
  request.remote_address = "127.0.0.1:40000";
  request.headers.Add("host", "localhost:4566");
  request.headers.Add("content-type", "application/x-www-form-urlencoded; charset=utf-8");
  sigv4::SignRequest(request, kAccessKey, kSecret, region, m.signing_name(), std::chrono::system_clock::now(),
                     Sha256Hex(body));
  request.body = std::make_unique<http::StringReader>(std::move(body));
  return request;
}

// Remembers the after-hook records it sees.
class Recorder final : public AfterHook {
 public:
  struct Seen {
    std::string service, operation, error_code, invoked_by, region, target, principal;
    int status = 0;
    bool had_params = false;
  };
  void AfterCall(const CallRecord& r) override {
    seen.push_back(Seen{r.ctx.service, r.ctx.operation, r.error ? r.error->code : "", r.ctx.invoked_by,
                        r.ctx.region, std::string(r.target), r.ctx.principal.arn, r.http_status,
                        r.params != nullptr});
  }
  std::vector<Seen> seen;
};

// A pipeline over the embedded models with the root key, the baseline authorizer and a recorder.
class PipelineFixture : public ::testing::Test {
 protected:
  PipelineFixture() : pipeline_(model::ModelRegistry::Embedded(), key_, authorizer_, {}) {
    pipeline_.AddHook(&recorder_);
  }

  FakeProvider& Add(std::string service, std::string internal_code = "") {
    auto p = std::make_unique<FakeProvider>(std::move(service), std::move(internal_code));
    FakeProvider& ref = *p;
    pipeline_.Register(std::move(p));
    return ref;
  }

  static boost::json::value Body(const http::HttpResponse& r) {
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    return ec ? boost::json::value() : v;
  }

  Caller RootCaller(std::string region = "us-east-1") {
    Caller c;
    c.principal.account_id = kAccount;
    c.principal.arn = std::string("arn:aws:iam::") + kAccount + ":root";
    c.principal.is_root = true;
    c.principal.type = iam::PrincipalType::kRoot;
    c.region = std::move(region);
    c.invoked_by = "athena.amazonaws.com";
    return c;
  }

  RootKey key_;
  BaselineAuthorizer authorizer_;
  Recorder recorder_;
  Pipeline pipeline_;
};

// The stages' environment, for testing one stage alone.
struct StageHarness {
  RootKey key;
  BaselineAuthorizer authorizer;
  ServiceRegistry services;
  std::vector<AfterHook*> hooks;
  PipelineOptions options;
  StageEnv env{model::ModelRegistry::Embedded(), key, services, authorizer, hooks, options};
};

}  // namespace cenote::aws::pipeline::testing
