// What every user of the QueryEngine interface links, with or without DuckDB: Cancellation and the lazily
// opened engine. (QueryEngine::Open and OpenLazily are engine_open_direct.cpp or engine_open_module.cpp.)
#include "query/duckdb_engine.hpp"

namespace cenote::query {

void Cancellation::Cancel() {
  // The interrupt runs under the lock: once ClearInterrupt() returns, the connection can go back to
  // the pool without a late interrupt hitting the next query on it. duckdb_interrupt only sets a flag.
  MutexLock lock(mu_);
  cancelled_ = true;
  if (interrupt_) interrupt_();
}

bool Cancellation::cancelled() const {
  MutexLock lock(mu_);
  return cancelled_;
}

void Cancellation::SetInterrupt(std::function<void()> interrupt) {
  MutexLock lock(mu_);
  interrupt_ = std::move(interrupt);
}

void Cancellation::ClearInterrupt() {
  MutexLock lock(mu_);
  interrupt_ = nullptr;
}

namespace {

// The engine behind QueryEngine::OpenLazily: opens the DuckQueryEngine on the first call.
class LazyQueryEngine final : public QueryEngine {
 public:
  LazyQueryEngine(EngineOptions options, internal::EngineOpener open)
      : options_(std::move(options)), open_(open) {}

  Result<SelectOutcome> RunSelect(const std::string& sql, const QueryContext& ctx, TableResolver& resolver,
                                  const std::string& csv_path, Cancellation& cancel) override {
    CENOTE_ASSIGN_OR_RETURN(QueryEngine * engine, Get());
    return engine->RunSelect(sql, ctx, resolver, csv_path, cancel);
  }
  Result<WriteOutcome> RunSelectIntoFiles(const std::string& sql, const QueryContext& ctx,
                                          TableResolver& resolver, const WriteSpec& spec,
                                          Cancellation& cancel) override {
    CENOTE_ASSIGN_OR_RETURN(QueryEngine * engine, Get());
    return engine->RunSelectIntoFiles(sql, ctx, resolver, spec, cancel);
  }
  Result<std::vector<ResultColumn>> DescribeSelect(const std::string& sql, const QueryContext& ctx,
                                                   TableResolver& resolver) override {
    CENOTE_ASSIGN_OR_RETURN(QueryEngine * engine, Get());
    return engine->DescribeSelect(sql, ctx, resolver);
  }
  Result<std::vector<SourceColumn>> DescribeObject(const ObjectSource& source) override {
    CENOTE_ASSIGN_OR_RETURN(QueryEngine * engine, Get());
    return engine->DescribeObject(source);
  }
  Result<std::unique_ptr<TextCursor>> OpenObjectSelect(const std::string& sql, const ObjectSource& source,
                                                       const QueryContext& ctx) override {
    CENOTE_ASSIGN_OR_RETURN(QueryEngine * engine, Get());
    return engine->OpenObjectSelect(sql, source, ctx);
  }
  Result<Rows> ExecuteTrusted(const std::string& sql) override {
    CENOTE_ASSIGN_OR_RETURN(QueryEngine * engine, Get());
    return engine->ExecuteTrusted(sql);
  }

 private:
  // The engine, opened now if it is not yet. The pointer stays valid for the LazyQueryEngine's lifetime.
  Result<QueryEngine*> Get() LOCKS_EXCLUDED(mu_) {
    MutexLock lock(mu_);
    if (!engine_) {
      CENOTE_ASSIGN_OR_RETURN(engine_, open_(options_));
    }
    return engine_.get();
  }

  const EngineOptions options_;
  const internal::EngineOpener open_;
  Mutex mu_;
  std::unique_ptr<QueryEngine> engine_ GUARDED_BY(mu_);  // set once, then immutable
};

}  // namespace

namespace internal {

Result<std::unique_ptr<QueryEngine>> OpenLazilyWith(const EngineOptions& options, EngineOpener open) {
  if (options.scratch_dir.empty()) return MakeError("InvalidInput", "EngineOptions::scratch_dir is required");
  return std::unique_ptr<QueryEngine>(std::make_unique<LazyQueryEngine>(options, open));
}

}  // namespace internal

}  // namespace cenote::query
