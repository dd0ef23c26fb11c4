// LambdaProvider: AWS Lambda (rest-json, "lambda"): functions from zip packages (uploaded, or read from S3 as
// the caller), versions and weighted aliases, layers, reserved and account concurrency, resource policies,
// tags, Invoke (RequestResponse, Event with retries and destinations, DryRun) on sandboxed execution
// environments (runtime.hpp) speaking the Lambda Runtime API.
//
// Storage and durability: each function (with its versions, aliases, policy, concurrency and event invoke
// configs) is one JSON document in the MetadataStore (component "lambda"); code packages are
// content-addressed files <data>/lambda/code/<sha256>.zip, written and fsynced before the metadata commit
// that names them. An Event invocation is a row of lambda_events committed before Invoke answers 202, deleted
// once the event was processed (or its retries and age ran out and it went to its destination): queued events
// survive kill -9.
//
// Thread safety: handlers run concurrently; one mutex guards the in-memory state, never held across an
// invocation or an Invoker call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "services/common/operation_table.hpp"
#include "store/metadata_store.hpp"

namespace cenote::lambda {

struct LambdaOptions {
  std::function<std::int64_t()> clock;      // ms since the epoch
  std::string data_dir;                     // <data>/lambda: the code store
  std::string scratch_dir;                  // <scratch>/lambda: extracted code, runtime files
  std::vector<std::string> hide;            // paths execution environments must not see
  std::string endpoint;                     // Cenote's URL for AWS_ENDPOINT_URL ("" = learnt from requests)
  std::int64_t idle_ms = 300'000;           // warm environments are reaped after this long unused
  std::int64_t retry_ms_per_second = 1000;  // async retry delays (tests shorten them)
  bool background = true;                   // run the async queue and the reaper
};

struct Env;

class LambdaProvider final : public services::TableProvider<Env> {
 public:
  static Result<std::unique_ptr<LambdaProvider>> Open(store::MetadataStore& metadata, aws::Invoker* invoker,
                                                      BackgroundTasks& tasks, LambdaOptions options);
  ~LambdaProvider() override;

  std::string_view service() const override { return "lambda"; }
  static const std::vector<std::string_view>& SupportedOperations();
  std::unique_ptr<iam::ResourceAuthority> MakeAuthority();
  // Function URLs: https://<url-id>.lambda-url.<region>.on.aws/ and <url-id>.lambda-url.<region>.localhost.
  std::vector<aws::UnsignedRoute> UnsignedRoutes() override;

  // One round of the async queue; returns the ms until the next due event (-1: none).
  std::int64_t RunAsync();

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit LambdaProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> async_task_;  // declared after env_: stop before the state they use goes
  std::unique_ptr<BackgroundTask> pollers_;
  std::unique_ptr<BackgroundTask> reaper_;
  std::unique_ptr<BackgroundTask> provisioner_;
};

}  // namespace cenote::lambda
