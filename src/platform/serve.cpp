#include "platform/serve.hpp"

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "aws/model/model.hpp"
#include "aws/pipeline/after_hooks.hpp"
#include "aws/pipeline/authorizer.hpp"
#include "aws/pipeline/iam_authorizer.hpp"
#include "aws/pipeline/pipeline.hpp"
#include "common/background_tasks.hpp"
#include "http/server.hpp"
#include "iam/directory.hpp"
#include "platform/credentials.hpp"
#include "platform/data_dir.hpp"
#include "platform/service_list.hpp"
#include "query/engine.hpp"
#include "services/common/service_deps.hpp"
#include "store/metadata_store.hpp"

namespace cenote::platform {

namespace {

int Fail(const std::string& what, const Error& error) {
  spdlog::critical("{}: {} ({})", what, error.message, error.code);
  return 1;
}

// The shutdown order of the services (service_deps.hpp "Lifetime"), also on an early return: background
// tasks stop, the services' shutdown actions run, the providers go, and only then (when ServiceDeps is
// destroyed right after this) what they used.
class ServicesTeardown {
 public:
  ServicesTeardown(BackgroundTasks& tasks, services::ServiceDeps& deps, aws::pipeline::Pipeline& pipeline)
      : tasks_(tasks), deps_(deps), pipeline_(pipeline) {}
  ~ServicesTeardown() {
    tasks_.StopAll();
    deps_.RunShutdownActions();
    pipeline_.DestroyProviders();
  }
  ServicesTeardown(const ServicesTeardown&) = delete;
  ServicesTeardown& operator=(const ServicesTeardown&) = delete;

 private:
  BackgroundTasks& tasks_;
  services::ServiceDeps& deps_;
  aws::pipeline::Pipeline& pipeline_;
};

}  // namespace

int Serve(const ServeConfig& config) {
  auto logger = spdlog::stderr_color_mt("cenote");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  const auto started = std::chrono::steady_clock::now();

  // Block the shutdown signals in every thread; one thread waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // First: nothing in the data directory is read or written before this process holds its lock.
  auto data_dir = DataDir::Open(config.data_dir, config.min_free_space);
  if (!data_dir) return Fail("cannot start", data_dir.error());
  store::FreeSpaceReserve& reserve = (*data_dir)->reserve();

  std::error_code ec;
  Result<RootCredentials> root = LoadOrCreateRootCredentials(config.data_dir);
  if (!root) return Fail("root credentials", root.error());

  const auto& models = aws::model::ModelRegistry::Embedded();

  auto metadata = store::MetadataStore::OpenSqlite(config.data_dir + "/metadata.db");
  if (!metadata) return Fail("metadata store", metadata.error());
  // Start-up writes (migrations, each service's defaults) are made durable together, once the services are
  // registered and before the server accepts a request: one fsync instead of one per commit.
  if (Status st = (*metadata)->DeferDurability(); !st) return Fail("metadata store", st.error());

  // Temporary files of queries and conversions: nothing in it outlives the process.
  const std::string scratch = config.data_dir + "/query/scratch";
  std::filesystem::remove_all(scratch, ec);
  std::filesystem::create_directories(scratch, ec);
  if (ec) {
    spdlog::critical("cannot create {}: {}", scratch, ec.message());
    return 1;
  }

  // The request pipeline: every call, from the network or between services, passes its stages.
  RootCredentialProvider credentials(*root, AccountId());
  std::vector<std::string> other_root_accounts;
  if (!config.account_root_keys.empty()) {
    Result<std::vector<AccountRootKey>> others = LoadAccountRootKeys(config.account_root_keys);
    if (!others) return Fail("--account-root-keys", others.error());
    for (AccountRootKey& key : *others) {
      if (key.account_id == AccountId()) {
        return Fail("--account-root-keys",
                    MakeError("InvalidArgument", "account " + key.account_id +
                                                     " is the data directory's own; its root key is set with "
                                                     "CENOTE_ROOT_ACCESS_KEY_ID / root-credentials.json"));
      }
      other_root_accounts.push_back(key.account_id);
      if (Status st = credentials.AddAccountRoot(std::move(key)); !st)
        return Fail("--account-root-keys", st.error());
    }
  }
  Result<aws::pipeline::IamMode> iam_mode = aws::pipeline::ParseIamMode(config.iam_mode);
  if (!iam_mode) return Fail("--iam-mode", iam_mode.error());
  aws::pipeline::IamAuthorizer authorizer(*iam_mode);
  aws::pipeline::IamAuthorizer::Sources authorization_sources;
  aws::pipeline::PipelineOptions pipeline_options;
  pipeline_options.default_region = config.region;
  aws::pipeline::Pipeline pipeline(models, credentials, authorizer, pipeline_options);
  aws::pipeline::AccessLog access_log;
  aws::pipeline::RequestMetrics request_metrics;
  pipeline.AddHook(&access_log);
  pipeline.AddHook(&request_metrics);

  // The services, from the one list, in its order.
  BackgroundTasks tasks;
  tasks.Hold();  // released once every service is registered and the authorizer bound (below)
  services::ServiceDeps deps(
      AccountId(), config.region, config.data_dir, scratch, **metadata, &reserve, pipeline, tasks,
      [&pipeline](std::unique_ptr<aws::Provider> provider) { pipeline.Register(std::move(provider)); },
      [&scratch, &tasks](std::vector<std::string> readable_dirs) {
        query::EngineOptions engine_options;
        engine_options.scratch_dir = scratch;
        engine_options.background_tasks = &tasks;
        engine_options.readable_dirs = std::move(readable_dirs);
        return query::QueryEngine::OpenLazily(engine_options);
      });
  deps.day_ms = config.lifecycle_day_seconds * 1000;
  deps.kms_root_key_file = config.kms_root_key_file;
  if (config.port != 0) {
    // A wildcard bind is reached on loopback from this host; an IPv6 literal needs brackets.
    std::string host = config.host == "0.0.0.0" ? "127.0.0.1" : config.host == "::" ? "::1" : config.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    const bool tls = !config.tls_cert.empty() || config.tls_self_signed;
    deps.endpoint_url = (tls ? "https://" : "http://") + host + ":" + std::to_string(config.port);
  }
  deps.other_root_accounts = other_root_accounts;
  deps.add_after_hook = [&pipeline](aws::pipeline::AfterHook* hook) { pipeline.AddHook(hook); };
  deps.add_credential_source = [&credentials](iam::CredentialSource* source) {
    credentials.AddSource(source);
  };
  deps.add_resource_authority = [&authorization_sources](iam::ResourceAuthority* authority) {
    authorization_sources.authorities.push_back(authority);
  };
  if (config.lifecycle_day_seconds != 86'400) {
    spdlog::warn("a lifecycle day lasts {} s (--lifecycle-day-seconds), not 86400: objects expire early",
                 config.lifecycle_day_seconds);
  }
  ServicesTeardown teardown(tasks, deps, pipeline);
  for (const services::ServiceEntry& service : ServiceList()) {
    Status st = service.Register(deps);
    if (!st) return Fail(std::string("service ") + service.name, st.error());
  }
  // The identity services' seams, once every service has offered them, before a request is accepted.
  authorization_sources.directory = deps.Find<iam::Directory>();
  authorization_sources.organizations = deps.Find<iam::Organizations>();
  authorizer.Bind(std::move(authorization_sources));
  if (*iam_mode != aws::pipeline::IamMode::kEnforce) {
    spdlog::warn("--iam-mode {}: {}", aws::pipeline::IamModeName(*iam_mode),
                 *iam_mode == aws::pipeline::IamMode::kAudit
                     ? "calls IAM would deny are allowed and logged"
                     : "IAM is not evaluated: every authenticated or anonymous call is allowed");
  }
  if (Status st = (*metadata)->RestoreDurability(); !st) return Fail("metadata store", st.error());
  if (std::string migrated = (*metadata)->TakeMigrationSummary(); !migrated.empty()) {
    spdlog::info("metadata store: migrated {}", migrated);
  }
  // What a previous run left (queued replications, executions waiting, deliveries) resumes now, with every
  // service and policy source in place.
  tasks.Release();

  http::ServerOptions server_options;
  server_options.host = config.host;
  server_options.port = config.port;
  server_options.io_threads = config.io_threads;
  server_options.worker_threads = config.worker_threads;
  server_options.tls_cert_file = config.tls_cert;
  server_options.tls_key_file = config.tls_key;
  if (config.tls_self_signed && config.tls_cert.empty()) {
    std::string dir = config.data_dir + "/tls";
    std::filesystem::create_directories(dir, ec);
    server_options.tls_cert_file = dir + "/cert.pem";
    server_options.tls_key_file = dir + "/key.pem";
    if (!std::filesystem::exists(server_options.tls_cert_file)) {
      Status st =
          http::GenerateSelfSignedCertificate(server_options.tls_cert_file, server_options.tls_key_file,
                                              {"localhost", "127.0.0.1", "*.localhost", config.host});
      if (!st) return Fail("self-signed certificate", st.error());
    }
  }
  const bool tls = !server_options.tls_cert_file.empty();

  auto server =
      http::Server::Create(server_options, [&pipeline](http::HttpRequest& r) { return pipeline.Handle(r); });
  if (!server) return Fail("server", server.error());
  Result<std::uint16_t> port = (*server)->Start();
  if (!port) return Fail("server", port.error());  // the message names the address

  if (root->generated) {
    std::printf(
        "Root credentials were created for this data directory (kept in %s/root-credentials.json, mode "
        "0600):\n"
        "  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s\n",
        config.data_dir.c_str(), root->access_key_id.c_str(), root->secret_access_key.c_str());
  } else if (!root->from_environment) {
    std::printf("Root credentials: AWS_ACCESS_KEY_ID=%s (secret in %s/root-credentials.json)\n",
                root->access_key_id.c_str(), config.data_dir.c_str());
  }
  std::string host = config.host.find(':') != std::string::npos ? "[" + config.host + "]" : config.host;
  std::printf("cenote ready on %s://%s:%u\n", tls ? "https" : "http", host.c_str(),
              static_cast<unsigned>(*port));
  std::fflush(stdout);
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
          .count();
  spdlog::info("ready in {} ms, region {}, data in {}", micros / 1000.0, config.region, config.data_dir);

  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {} received, shutting down", sig);
    (*server)->Stop();
  });
  (*server)->Wait();
  // If Wait returned for another reason, release the signal thread.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace cenote::platform
