// Shared internals of the Lambda provider. Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <atomic>
#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/mutex.hpp"
#include "iam/policy.hpp"
#include "services/common/params.hpp"
#include "services/lambda/errors.hpp"
#include "services/lambda/lambda_provider.hpp"
#include "services/lambda/runtime.hpp"
#include "store/metadata_store.hpp"

namespace cenote::lambda {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

inline constexpr std::string_view kServicePrincipal = "lambda.amazonaws.com";
inline constexpr std::int64_t kAccountConcurrency = 1000;
inline constexpr std::int64_t kMinimumUnreserved = 100;
inline constexpr std::size_t kSyncPayloadLimit = 6 * 1024 * 1024;
inline constexpr std::size_t kAsyncPayloadLimit = 256 * 1024;

struct FunctionKey {
  std::string account, region, name;
  auto operator<=>(const FunctionKey&) const = default;
};

// One published version (or $LATEST): its FunctionConfiguration document and its code.
struct Version {
  json::object config;  // FunctionConfiguration, model member names
  std::string code;     // the code store's key: the zip's SHA-256, hex
};

struct Function {
  FunctionKey key;
  std::string arn;  // unqualified
  Version latest;
  std::map<std::int64_t, Version> versions;
  std::int64_t last_version = 0;
  std::map<std::string, json::object> aliases;  // AliasConfiguration
  std::map<std::string, std::string> tags;
  json::array statements;  // the resource policy's statements
  std::optional<std::int64_t> reserved;
  std::map<std::string, json::object> invoke_configs;  // qualifier -> FunctionEventInvokeConfig
  std::shared_ptr<const iam::Policy> policy;           // compiled `statements`
  // Function URL configs (urls.cpp) by qualifier ("" for the unqualified function, else an alias): the
  // FunctionUrlConfig document plus "UrlId".
  std::map<std::string, json::object> urls;
  // Provisioned concurrency configs (provisioned.cpp) by qualifier (a version or an alias):
  // {"Requested": n, "LastModified": "..."}.
  std::map<std::string, json::object> provisioned;
};

struct LayerKey {
  std::string account, region, name;
  auto operator<=>(const LayerKey&) const = default;
};
struct LayerVersion {
  json::object doc;  // GetLayerVersion's answer
  std::string code;
  // The layer version's resource policy (AddLayerVersionPermission's statements), its RevisionId, and the
  // compiled policy the authorizer evaluates for lambda:GetLayerVersion from other accounts.
  json::array statements;
  std::string revision;
  std::shared_ptr<const iam::Policy> policy;
};
Status RecompileLayerPolicy(LayerVersion& v);

// What an invocation targets: a function at a version ("$LATEST" or "N"), through an alias or not.
struct Target {
  FunctionKey key;
  std::string version;      // "$LATEST" or a number
  std::string invoked_arn;  // as given: unqualified, or qualified with the version or alias
  std::string alias;
};

// An event source mapping (esm.cpp): SQS or Kinesis polled as the function's execution role.
struct Mapping {
  json::object config;  // EventSourceMappingConfiguration
  std::string account, region, function, qualifier;
  std::map<std::string, std::string> checkpoints;  // Kinesis: shard -> last processed sequence number
  std::map<std::string, std::string> iterators;    // Kinesis: shard -> next iterator (not durable)
  std::int64_t created_ms = 0;
};

struct Env {
  store::MetadataStore& metadata;
  aws::Invoker* invoker;
  LambdaOptions options;
  std::unique_ptr<Runtimes> runtimes;
  std::int64_t Now() const { return options.clock(); }

  mutable Mutex mu;
  std::map<FunctionKey, Function> functions GUARDED_BY(mu);
  std::map<LayerKey, std::map<std::int64_t, LayerVersion>> layers GUARDED_BY(mu);
  std::set<std::int64_t> queued_running GUARDED_BY(mu);    // async events being invoked
  std::map<std::string, Mapping> mappings GUARDED_BY(mu);  // by UUID
  std::set<std::string> polling GUARDED_BY(mu);            // mappings whose batch is being processed
  std::string endpoint GUARDED_BY(mu);                     // Cenote's own URL, for AWS_ENDPOINT_URL
  // Provisioned concurrency: what Runtimes::Provision last reported, by "<function arn>:<qualifier>".
  std::map<std::string, Runtimes::ProvisionState> provision_states GUARDED_BY(mu);
  std::function<void()> wake;
  std::atomic<std::int64_t> log_failures{0};
  std::atomic<bool> stopping{false};  // shutdown: pollers and retries give up

  Env(store::MetadataStore& m, aws::Invoker* i, LambdaOptions o)
      : metadata(m), invoker(i), options(std::move(o)) {}

  Status SaveFunction(store::Transaction& txn, const Function& f);
  Status SaveLayer(store::Transaction& txn, const LayerKey& key, std::int64_t version, const LayerVersion& v);
  // Writes the zip into the code store (fsynced) and returns its key.
  Result<std::string> StoreCode(const std::string& zip);
  Result<std::string> LoadCode(const std::string& key) const;
  // The directory the code `key` is extracted in (extracted on first use).
  Result<std::string> CodeDir(const std::string& key);
  std::string Endpoint() const;
};

// ARNs and names.
std::string FunctionArn(const FunctionKey& key);
std::string LayerArn(const LayerKey& key);
struct ParsedName {
  std::string account, region, name, qualifier;
};
// FunctionName in any form AWS accepts (name, name:qualifier, 123456789012:function:name[:q], full ARN);
// missing account and region are the request's.
Result<ParsedName> ParseFunctionName(std::string_view text, const std::string& account,
                                     const std::string& region);
// The execution role's session name: the function's name (STS wants 2 to 64 characters).
inline std::string SessionName(const std::string& function) {
  return function.size() < 2 ? "awslambda_" + function : function.substr(0, 64);
}
std::string IsoTime(std::int64_t ms);   // 2024-01-02T03:04:05.678+0000 (Lambda's LastModified)
std::string IsoTimeZ(std::int64_t ms);  // 2024-01-02T03:04:05.678Z

// Looks up a function, answering AWS's ResourceNotFoundException when there is none.
Result<Function*> FindFunction(Env& env, const FunctionKey& key) EXCLUSIVE_LOCKS_REQUIRED(env.mu);
// The version a qualifier names (a version, "$LATEST", an alias: resolved with its routing weights when
// `route`), or ResourceNotFoundException.
Result<Target> Resolve(Env& env, const ParsedName& name, bool route) EXCLUSIVE_LOCKS_REQUIRED(env.mu);
const Version* VersionOf(const Function& f, const std::string& version);
Status RecompilePolicy(Function& f);

// Invocation (invoke.cpp).
// What running a target needs: its environment spec (code and layers extracted), execution role and the
// concurrency it is allowed.
struct PreparedSpec {
  EnvironmentSpec spec;
  std::string role, function_arn;
  std::optional<std::int64_t> reserved;
  std::int64_t reserved_elsewhere = 0;
};
Result<PreparedSpec> PrepareSpec(Env& env, const Target& target);
struct InvokeOutcome {
  int status = 200;
  std::string payload;
  std::string function_error;  // "Unhandled" or ""
  std::string log_tail;        // base64 of the last 4 KB, when asked
  std::string executed_version;
  bool streamed = false;     // the handler streamed its response (to the sink, when one was given)
  std::string content_type;  // of a streamed response
};
// `sink` (optional): where a streaming handler's bytes go as it writes them (Runtimes::Invoke).
Result<InvokeOutcome> InvokeTarget(Env& env, const Target& target, const std::string& payload,
                                   const std::string& client_context, bool tail,
                                   const std::string& request_id, const ResponseSink* sink = nullptr);

// A streamed invocation seen from the response side: what the runtime has streamed so far, and the outcome
// once the invocation is over. Filled by the thread running the invocation (StartStreamedInvocation), read by
// the response body; thread-safe.
class InvocationStream {
 public:
  // Waits until the invocation streams its first bytes (or opens its stream), or ends.
  void WaitStarted();
  // Waits for streamed bytes or the end: the bytes since the last call (possibly empty), and whether the
  // invocation is over (then `outcome` is final).
  std::string Take(bool& over);
  bool Over() const;
  const Result<InvokeOutcome>& outcome() const { return outcome_; }  // valid once over
  // The stream's Content-Type, once started ("" for a handler that did not stream).
  std::string content_type() const;

  // The producer's side.
  void Begin(const std::string& content_type);
  void Write(std::string_view bytes);
  void Finish(Result<InvokeOutcome> outcome);

 private:
  mutable Mutex mu_;
  CondVar cv_{mu_};
  bool started_ GUARDED_BY(mu_) = false;
  bool over_ GUARDED_BY(mu_) = false;
  std::string pending_ GUARDED_BY(mu_);
  std::string content_type_ GUARDED_BY(mu_);
  Result<InvokeOutcome> outcome_ = InvokeOutcome{};  // written once, before over_ is set
};
// Runs InvokeTarget on a thread of its own, its streamed bytes going to the returned stream.
std::shared_ptr<InvocationStream> StartStreamedInvocation(Env& env, const Target& target, std::string payload,
                                                          std::string client_context, bool tail,
                                                          std::string request_id);
// Sends a destination record (asynchronous invocations, event source mappings' OnFailure) to an SQS queue,
// SNS topic, Lambda function or EventBridge bus as the function's execution role; `doc` names the function
// ("account", "region", "name"). Failures are logged.
void SendToDestination(Env& env, const json::object& doc, const std::string& destination,
                       const std::string& role, const json::object& record, bool success);
std::int64_t RunAsyncRound(Env& env);

// Function URLs (urls.cpp): the requests to https://<url-id>.lambda-url.<region>.on.aws/ (and the local
// forms), answered by invoking the function with the payload format 2.0 event.
http::HttpResponse ServeFunctionUrl(Env& env, aws::RawRequest& request);
// The payload format 2.0 event of a request to a URL of a function in `owner_account` (`iam`: the URL's
// AuthType is AWS_IAM, and request.ctx.principal the authenticated caller).
json::object FunctionUrlEvent(const aws::RawRequest& request, const std::string& owner_account,
                              std::int64_t now_ms, const std::string& body, bool iam);
// The HTTP response a function's result maps to: a result with a statusCode is a response object; any other
// valid JSON is a 200 application/json body holding the result as returned; anything else a 502.
http::HttpResponse FunctionUrlResponse(const std::string& payload);
// The response of a RESPONSE_STREAM URL: once the invocation starts streaming, its status and headers (from
// awslambda.HttpResponseStream.from's prelude when the stream's Content-Type is
// application/vnd.awslambda.http-integration-response: JSON, 8 NUL bytes, then the body; else 200 and the
// stream's Content-Type) and the body as a chunked stream that follows the function's writes. A handler that
// did not stream maps as FunctionUrlResponse; an invocation that failed before streaming is a 502 (429 when
// throttled).
http::HttpResponse FunctionUrlStreamedResponse(std::shared_ptr<InvocationStream> stream);
// The CORS headers a URL's config (its "Cors" member) gives a request from `origin` (a preflight asking for
// `method` and the comma-separated `request_headers`), or nullopt when it does not allow it.
std::optional<http::Headers> FunctionUrlCors(const json::object& config, std::string_view origin,
                                             bool preflight, std::string_view method,
                                             std::string_view request_headers);

// Provisioned concurrency (provisioned.cpp): keeps each config's environments started (a background round).
void RunProvisionRound(Env& env);

// Event source mappings (esm.cpp).
Status LoadMappings(Env& env);
Status SaveMapping(Env& env, const Mapping& m);
void RunMappingsRound(Env& env);

#define CENOTE_LAMBDA_HANDLER(name) \
  Result<OperationOutput> name(Env& env, const RequestContext& ctx, OperationInput& in)
CENOTE_LAMBDA_HANDLER(CreateFunction);
CENOTE_LAMBDA_HANDLER(GetFunction);
CENOTE_LAMBDA_HANDLER(GetFunctionConfiguration);
CENOTE_LAMBDA_HANDLER(UpdateFunctionCode);
CENOTE_LAMBDA_HANDLER(UpdateFunctionConfiguration);
CENOTE_LAMBDA_HANDLER(DeleteFunction);
CENOTE_LAMBDA_HANDLER(ListFunctions);
CENOTE_LAMBDA_HANDLER(PublishVersion);
CENOTE_LAMBDA_HANDLER(ListVersionsByFunction);
CENOTE_LAMBDA_HANDLER(CreateAlias);
CENOTE_LAMBDA_HANDLER(GetAlias);
CENOTE_LAMBDA_HANDLER(UpdateAlias);
CENOTE_LAMBDA_HANDLER(DeleteAlias);
CENOTE_LAMBDA_HANDLER(ListAliases);
CENOTE_LAMBDA_HANDLER(PutFunctionConcurrency);
CENOTE_LAMBDA_HANDLER(GetFunctionConcurrency);
CENOTE_LAMBDA_HANDLER(DeleteFunctionConcurrency);
CENOTE_LAMBDA_HANDLER(GetAccountSettings);
CENOTE_LAMBDA_HANDLER(AddPermission);
CENOTE_LAMBDA_HANDLER(RemovePermission);
CENOTE_LAMBDA_HANDLER(GetPolicy);
CENOTE_LAMBDA_HANDLER(TagResource);
CENOTE_LAMBDA_HANDLER(UntagResource);
CENOTE_LAMBDA_HANDLER(ListTags);
CENOTE_LAMBDA_HANDLER(PublishLayerVersion);
CENOTE_LAMBDA_HANDLER(GetLayerVersion);
CENOTE_LAMBDA_HANDLER(GetLayerVersionByArn);
CENOTE_LAMBDA_HANDLER(ListLayerVersions);
CENOTE_LAMBDA_HANDLER(ListLayers);
CENOTE_LAMBDA_HANDLER(DeleteLayerVersion);
CENOTE_LAMBDA_HANDLER(AddLayerVersionPermission);
CENOTE_LAMBDA_HANDLER(GetLayerVersionPolicy);
CENOTE_LAMBDA_HANDLER(RemoveLayerVersionPermission);
CENOTE_LAMBDA_HANDLER(Invoke);
CENOTE_LAMBDA_HANDLER(InvokeWithResponseStream);
CENOTE_LAMBDA_HANDLER(PutFunctionEventInvokeConfig);
CENOTE_LAMBDA_HANDLER(GetFunctionEventInvokeConfig);
CENOTE_LAMBDA_HANDLER(UpdateFunctionEventInvokeConfig);
CENOTE_LAMBDA_HANDLER(ListFunctionEventInvokeConfigs);
CENOTE_LAMBDA_HANDLER(DeleteFunctionEventInvokeConfig);
CENOTE_LAMBDA_HANDLER(CreateEventSourceMapping);
CENOTE_LAMBDA_HANDLER(GetEventSourceMapping);
CENOTE_LAMBDA_HANDLER(UpdateEventSourceMapping);
CENOTE_LAMBDA_HANDLER(DeleteEventSourceMapping);
CENOTE_LAMBDA_HANDLER(ListEventSourceMappings);
CENOTE_LAMBDA_HANDLER(CreateFunctionUrlConfig);
CENOTE_LAMBDA_HANDLER(GetFunctionUrlConfig);
CENOTE_LAMBDA_HANDLER(UpdateFunctionUrlConfig);
CENOTE_LAMBDA_HANDLER(DeleteFunctionUrlConfig);
CENOTE_LAMBDA_HANDLER(ListFunctionUrlConfigs);
CENOTE_LAMBDA_HANDLER(PutProvisionedConcurrencyConfig);
CENOTE_LAMBDA_HANDLER(GetProvisionedConcurrencyConfig);
CENOTE_LAMBDA_HANDLER(DeleteProvisionedConcurrencyConfig);
CENOTE_LAMBDA_HANDLER(ListProvisionedConcurrencyConfigs);
#undef CENOTE_LAMBDA_HANDLER

}  // namespace cenote::lambda
