// ServiceDeps: everything a service needs from the platform, handed to its Register function, and the one
// way it hands back what it built (DESIGN.md "Adding a service", docs/adding-a-service.md).
//
//   namespace cenote::sqs {
//   Status Register(services::ServiceDeps& deps) {
//     CENOTE_ASSIGN_OR_RETURN(auto provider, SqsProvider::Open(deps.metadata, deps.invoker, ...));
//     deps.AddProvider(std::move(provider));
//     return Status::Ok();
//   }
//   }
//
// and one line in src/platform/service_list.cpp. Services register in that list's order, so a service
// may Find() what an earlier one Offer()ed (Athena finds the Glue catalog and the S3 lake).
//
// Lifetime: the platform stops every background task, then runs the OnShutdown actions (newest first),
// then destroys the providers (newest first), then the kept objects (newest first), then the engine and
// the stores. So a provider may use anything kept or offered by its own or an earlier service.
//
// Thread safety: Register runs on the start-up thread only; the members below it (metadata, invoker,
// tasks, engine, clock) are thread-safe and may be used from any thread afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <vector>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/background_tasks.hpp"
#include "common/result.hpp"

namespace cenote::store {
class MetadataStore;
class FreeSpaceReserve;
class StreamLog;
}  // namespace cenote::store
namespace cenote::aws::pipeline {
class AfterHook;
}  // namespace cenote::aws::pipeline
namespace cenote::iam {
class CredentialSource;
class ResourceAuthority;
}  // namespace cenote::iam
namespace cenote::query {
class QueryEngine;
struct EngineOptions;
}  // namespace cenote::query

namespace cenote::services {

class ServiceDeps {
 public:
  // Where providers go (the pipeline's registry).
  using ProviderSink = std::function<void(std::unique_ptr<aws::Provider>)>;
  // Opens the shared query engine with the directories it may read; called once, on first Engine().
  using EngineFactory = std::function<Result<std::unique_ptr<query::QueryEngine>>(std::vector<std::string>)>;

  ServiceDeps(std::string account_id, std::string default_region, std::string data_dir,
              std::string scratch_dir, store::MetadataStore& metadata, store::FreeSpaceReserve* reserve,
              aws::Invoker& invoker, BackgroundTasks& tasks, ProviderSink sink, EngineFactory engine_factory);
  ~ServiceDeps();  // destroys the kept objects newest first, then the engine
  ServiceDeps(const ServiceDeps&) = delete;
  ServiceDeps& operator=(const ServiceDeps&) = delete;

  // ---- what the platform gives

  const std::string account_id;      // the data directory's root account (12 digits)
  const std::string default_region;  // `--region`: where a request names none. A request's own region
                                     // (RequestContext::region) decides where its resources live.
  const std::string data_dir;        // a service keeps its files under data_dir + "/<service>"
  const std::string scratch_dir;     // emptied at every start; temporary files (readable by the engine)
  store::MetadataStore& metadata;    // the one metadata store; a service migrates its own component
  // The data directory's free-space reserve (`--min-free-space`): every store that adds bytes on a client's
  // behalf (blobs, stream logs) is opened with it, so writes stop before deletes lose their room. May be
  // null (tests).
  store::FreeSpaceReserve* reserve;
  aws::Invoker& invoker;                // calls into other services, through authorize and the after-hooks
  BackgroundTasks& tasks;               // the one runner of background loops
  std::function<std::int64_t()> clock;  // milliseconds since the epoch (tests inject their own)
  // Adds an after-hook to the request pipeline (aws/pipeline/after_hooks.hpp): it then sees every call,
  // network and in-process. Register-time only; the hook must outlive serving (keep it).
  std::function<void(aws::pipeline::AfterHook*)> add_after_hook;
  // Adds a source of access keys to SigV4's lookup (IAM users' keys, STS sessions'; iam/directory.hpp), and
  // a service's knowledge of its resources to the authorizer (resource policies, owners, the action map's
  // lookups). Register-time only; the object must outlive serving (keep it, or make it part of a provider).
  // A service offering IAM's Directory or Organizations does so with Offer<iam::Directory>() /
  // Offer<iam::Organizations>(): the platform finds them once every service is registered.
  std::function<void(iam::CredentialSource*)> add_credential_source;
  std::function<void(iam::ResourceAuthority*)> add_resource_authority;
  // Accounts other than account_id whose root users may sign requests (`--account-root-keys`): they exist
  // outside any organization (organizations::Accounts lists them).
  std::vector<std::string> other_root_accounts;
  // The length of a day in day-based rules (S3 lifecycle): 86,400,000, or `--lifecycle-day-seconds` x 1000.
  std::int64_t day_ms = 86'400'000;
  // `--kms-root-key-file`: where KMS keeps the root key that seals its key material ("": its default, a file
  // in the data directory).
  std::string kms_root_key_file;
  // Where clients reach this server ("http://127.0.0.1:4566"; "" when the port is chosen at start): what
  // code Cenote runs for users (Lambda functions) is given as AWS_ENDPOINT_URL.
  std::string endpoint_url;

  // The shared query engine, opened (lazily: DuckDB starts on the first query) on the first call, with the
  // directories AllowEngineReads named by then. Services that use it register after those that name
  // directories (S3).
  Result<query::QueryEngine*> Engine();
  void AllowEngineReads(std::string directory);

  // An append-only record log under data_dir/<subdir> (Kinesis shards, Firehose buffers), held to the
  // reserve and kept until shutdown.
  Result<store::StreamLog*> OpenStreamLog(const std::string& subdir);

  // ---- what a service hands back

  void AddProvider(std::unique_ptr<aws::Provider> provider);
  // Keeps an object alive until shutdown (a catalog, a stream log), destroyed after every provider.
  template <typename T>
  T& Keep(std::unique_ptr<T> object) {
    T& ref = *object;
    kept_.push_back(std::shared_ptr<void>(std::move(object)));
    return ref;
  }
  // Runs at shutdown, after background tasks stop and before providers are destroyed (cancel running
  // queries, stop crawls).
  void OnShutdown(std::function<void()> action) { shutdown_.push_back(std::move(action)); }

  // Typed interfaces one service offers to the services registered after it (s3::Lake, glue::Catalog).
  // `object` must live until shutdown (kept, or part of a provider).
  template <typename T>
  void Offer(T& object) {
    offered_[std::type_index(typeid(T))] = &object;
  }
  template <typename T>
  T* Find() const {
    auto it = offered_.find(std::type_index(typeid(T)));
    return it == offered_.end() ? nullptr : static_cast<T*>(it->second);
  }

  // ---- for the platform

  // Runs the OnShutdown actions, newest first (once).
  void RunShutdownActions();

 private:
  ProviderSink sink_;
  EngineFactory engine_factory_;
  std::vector<std::string> engine_reads_;
  std::unique_ptr<query::QueryEngine> engine_;
  std::optional<Error> engine_error_;
  std::vector<std::shared_ptr<void>> kept_;
  std::vector<std::function<void()>> shutdown_;
  std::map<std::type_index, void*> offered_;
};

// A service's entry in the platform's list (src/platform/service_list.cpp).
struct ServiceEntry {
  const char* name;  // the endpoint prefix of the service it registers
  Status (*Register)(ServiceDeps& deps);
};

}  // namespace cenote::services
