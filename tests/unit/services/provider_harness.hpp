// ProviderHarness: a real request pipeline for provider unit tests, so a test calls a provider exactly as
// the server and other services do (in-process, through authorize, invoke and the after-hooks), with the
// embedded service models, the baseline authorizer and a recording after-hook.
//
//   ProviderHarness h;
//   h.Register(std::move(kinesis_provider));
//   auto out = h.Call("kinesis", "CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
//   ASSERT_TRUE(out.ok());
//
// h.invoker() is the aws::Invoker to hand a provider under test that calls other services.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/model/model.hpp"
#include "aws/pipeline/after_hooks.hpp"
#include "aws/pipeline/authorizer.hpp"
#include "aws/pipeline/pipeline.hpp"
#include "aws/sigv4/sigv4.hpp"
#include "common/mutex.hpp"

namespace cenote::testing {

// Network calls are not used by provider tests: no access key is known.
class NoCredentials final : public aws::sigv4::CredentialProvider {
 public:
  std::optional<aws::sigv4::SecretRecord> Lookup(std::string_view) const override { return std::nullopt; }
};

// Remembers every call the pipeline answered (service, operation, error code, in-process or not).
class RecordingHook final : public aws::pipeline::AfterHook {
 public:
  struct Call {
    std::string service, operation, error_code, invoked_by, principal_arn, region;
    int http_status = 0;
  };
  void AfterCall(const aws::pipeline::CallRecord& r) override {
    MutexLock lock(mu_);
    calls_.push_back(Call{r.ctx.service, r.ctx.operation, r.error ? r.error->code : "", r.ctx.invoked_by,
                          r.ctx.principal.arn, r.ctx.region, r.http_status});
  }
  std::vector<Call> calls() const {
    MutexLock lock(mu_);
    return calls_;
  }

 private:
  mutable Mutex mu_;
  std::vector<Call> calls_ GUARDED_BY(mu_);
};

class ProviderHarness {
 public:
  explicit ProviderHarness(std::string account_id = "000000000000")
      : account_id_(std::move(account_id)),
        pipeline_(aws::model::ModelRegistry::Embedded(), credentials_, authorizer_, {}) {
    pipeline_.AddHook(&recorder_);
  }

  void Register(std::unique_ptr<aws::Provider> provider) { pipeline_.Register(std::move(provider)); }
  aws::Invoker& invoker() { return pipeline_; }
  aws::pipeline::Pipeline& pipeline() { return pipeline_; }
  const RecordingHook& recorder() const { return recorder_; }

  // The account's root user calling from `region`, as a test client (invoked_by "test").
  aws::Caller Root(std::string region = "us-east-1") const {
    aws::Caller caller;
    caller.principal.account_id = account_id_;
    caller.principal.arn = "arn:aws:iam::" + account_id_ + ":root";
    caller.principal.user_id = account_id_;
    caller.principal.is_root = true;
    caller.principal.type = iam::PrincipalType::kRoot;
    caller.region = std::move(region);
    caller.invoked_by = "test";
    return caller;
  }

  Result<aws::OperationOutput> Call(std::string_view service, std::string_view operation,
                                    boost::json::object params, const std::string& region = "us-east-1") {
    aws::OperationInput input;
    input.params = std::move(params);
    return pipeline_.Call(Root(region), service, operation, input);
  }

 private:
  std::string account_id_;
  NoCredentials credentials_;
  aws::pipeline::BaselineAuthorizer authorizer_;
  RecordingHook recorder_;
  aws::pipeline::Pipeline pipeline_;
};

}  // namespace cenote::testing
