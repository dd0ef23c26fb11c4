#include "services/common/service_deps.hpp"

#include <chrono>

#include "common/clock.hpp"
#include "query/engine.hpp"
#include "store/stream_log.hpp"

namespace cenote::services {

namespace {}  // namespace

ServiceDeps::ServiceDeps(std::string account_id_in, std::string default_region_in, std::string data_dir_in,
                         std::string scratch_dir_in, store::MetadataStore& metadata_in,
                         store::FreeSpaceReserve* reserve_in, aws::Invoker& invoker_in,
                         BackgroundTasks& tasks_in, ProviderSink sink, EngineFactory engine_factory)
    : account_id(std::move(account_id_in)),
      default_region(std::move(default_region_in)),
      data_dir(std::move(data_dir_in)),
      scratch_dir(std::move(scratch_dir_in)),
      metadata(metadata_in),
      reserve(reserve_in),
      invoker(invoker_in),
      tasks(tasks_in),
      clock(UnixNowMs),
      sink_(std::move(sink)),
      engine_factory_(std::move(engine_factory)) {}

ServiceDeps::~ServiceDeps() {
  while (!kept_.empty()) kept_.pop_back();
  engine_.reset();
}

Result<query::QueryEngine*> ServiceDeps::Engine() {
  if (engine_) return engine_.get();
  if (engine_error_) return *engine_error_;
  if (!engine_factory_) {
    engine_error_ = InternalError("no query engine is configured");
    return *engine_error_;
  }
  auto engine = engine_factory_(engine_reads_);
  if (!engine) {
    engine_error_ = engine.error();
    return std::move(engine).error();
  }
  engine_ = std::move(engine).value();
  return engine_.get();
}

void ServiceDeps::AllowEngineReads(std::string directory) { engine_reads_.push_back(std::move(directory)); }

Result<store::StreamLog*> ServiceDeps::OpenStreamLog(const std::string& subdir) {
  store::StreamLogOptions options;
  options.reserve = reserve;
  CENOTE_ASSIGN_OR_RETURN(auto log, store::StreamLog::OpenLocal(data_dir + "/" + subdir, options));
  return &Keep(std::move(log));
}

void ServiceDeps::AddProvider(std::unique_ptr<aws::Provider> provider) { sink_(std::move(provider)); }

void ServiceDeps::RunShutdownActions() {
  auto actions = std::move(shutdown_);
  shutdown_.clear();
  for (auto it = actions.rbegin(); it != actions.rend(); ++it) (*it)();
}

}  // namespace cenote::services
