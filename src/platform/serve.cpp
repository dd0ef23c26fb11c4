#include "platform/serve.hpp"

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "aws/model/model.hpp"
#include "aws/router.hpp"
#include "http/server.hpp"
#include "platform/credentials.hpp"
#include "platform/data_dir.hpp"
#include "query/engine.hpp"
#include "services/athena/athena_provider.hpp"
#include "services/firehose/firehose_provider.hpp"
#include "services/glue/catalog.hpp"
#include "services/glue/crawler/crawlers.hpp"
#include "services/glue/glue_provider.hpp"
#include "services/kinesis/kinesis_provider.hpp"
#include "services/s3/s3_provider.hpp"
#include "store/blob_store.hpp"
#include "store/metadata_store.hpp"
#include "store/stream_log.hpp"

namespace cenote::platform {

namespace {

int Fail(const std::string& what, const Error& error) {
  spdlog::critical("{}: {} ({})", what, error.message, error.code);
  return 1;
}

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
  // S3's own blob directory: its crash recovery removes every blob its tables do not reference.
  store::BlobStoreOptions blob_options;
  blob_options.spare_files = 4;
  blob_options.reserve = &reserve;
  auto blobs = store::BlobStore::OpenLocal(config.data_dir + "/s3/blobs", blob_options);
  if (!blobs) return Fail("blob store", blobs.error());

  s3::S3Options s3_options;
  s3_options.default_region = config.region;
  auto s3 = s3::S3Provider::Open(**metadata, **blobs, s3_options);
  if (!s3) return Fail("S3", s3.error());
  s3::S3Provider& lake = **s3;

  // Catalog and query: the Glue catalog and crawlers, the DuckDB engine and Athena. The engine reads only
  // S3's files and its own scratch directory (wiped here: it holds nothing that outlives a query).
  const std::string scratch = config.data_dir + "/query/scratch";
  std::filesystem::remove_all(scratch, ec);
  std::filesystem::create_directories(scratch + "/athena", ec);
  std::filesystem::create_directories(scratch + "/firehose", ec);
  if (ec) {
    spdlog::critical("cannot create {}: {}", scratch, ec.message());
    return 1;
  }
  auto catalog = glue::Catalog::Open(**metadata, AccountId(), config.region);
  if (!catalog) return Fail("Glue catalog", catalog.error());
  query::EngineOptions engine_options;
  engine_options.scratch_dir = scratch;
  engine_options.readable_dirs = lake.LocalDirectories();
  auto engine = query::QueryEngine::OpenLazily(engine_options);
  if (!engine) return Fail("query engine", engine.error());
  glue::CrawlerOptions crawler_options;
  crawler_options.account_id = AccountId();
  crawler_options.region = config.region;
  auto crawlers = glue::Crawlers::Open(**metadata, **catalog, lake, **engine, crawler_options);
  if (!crawlers) return Fail("Glue crawlers", crawlers.error());
  athena::AthenaOptions athena_options;
  athena_options.account_id = AccountId();
  athena_options.region = config.region;
  athena_options.scratch_dir = scratch + "/athena";
  auto athena = athena::AthenaProvider::Open(**metadata, **catalog, lake, **engine, athena_options);
  if (!athena) return Fail("Athena", athena.error());
  athena::AthenaProvider& athena_ref = **athena;
  glue::Crawlers& crawlers_ref = **crawlers;

  // Kinesis records live in their own append-only logs (group-committed), stream metadata in SQLite.
  store::StreamLogOptions log_options;
  log_options.reserve = &reserve;
  auto stream_log = store::StreamLog::OpenLocal(config.data_dir + "/kinesis", log_options);
  if (!stream_log) return Fail("Kinesis stream log", stream_log.error());
  kinesis::KinesisOptions kinesis_options;
  kinesis_options.account_id = AccountId();
  kinesis_options.region = config.region;
  auto kinesis = kinesis::KinesisProvider::Open(**metadata, **stream_log, kinesis_options);
  if (!kinesis) return Fail("Kinesis", kinesis.error());

  // Firehose buffers accepted records in its own logs until they are delivered to S3; JSON -> Parquet
  // conversion runs on the query engine in its scratch directory.
  auto firehose_log = store::StreamLog::OpenLocal(config.data_dir + "/firehose", log_options);
  if (!firehose_log) return Fail("Firehose stream log", firehose_log.error());
  firehose::FirehoseOptions firehose_options;
  firehose_options.account_id = AccountId();
  firehose_options.region = config.region;
  firehose_options.catalog = catalog->get();
  firehose_options.engine = engine->get();
  firehose_options.conversion_dir = scratch + "/firehose";
  auto firehose =
      firehose::FirehoseProvider::Open(**metadata, **firehose_log, lake, kinesis->get(), firehose_options);
  if (!firehose) return Fail("Firehose", firehose.error());
  if (std::string migrated = (*metadata)->TakeMigrationSummary(); !migrated.empty())
    spdlog::info("metadata store: migrated {}", migrated);

  RootCredentialProvider credentials(*root, AccountId());
  aws::RouterOptions router_options;
  router_options.region = config.region;
  // Declared after the stores, catalog and engine: the providers it owns are destroyed first.
  aws::Router router(models, credentials, router_options);
  router.Register(std::move(s3).value());
  router.Register(std::make_unique<glue::GlueProvider>(**catalog, **crawlers));
  router.Register(std::move(athena).value());
  router.Register(std::move(kinesis).value());
  // Last: the router destroys providers in reverse order, and Firehose's delivery thread calls Kinesis and
  // S3.
  router.Register(std::move(firehose).value());

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
      http::Server::Create(server_options, [&router](http::HttpRequest& r) { return router.Handle(r); });
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
  // Running queries and crawls are cancelled; their state says so after a restart.
  athena_ref.Shutdown();
  crawlers_ref.Shutdown();
  spdlog::info("stopped");
  return 0;
}

}  // namespace cenote::platform
