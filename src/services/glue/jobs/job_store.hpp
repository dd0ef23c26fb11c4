// Durable state of Glue jobs, job runs, bookmarks, triggers and workflows in the MetadataStore (component
// "glue_jobs"). Each resource is its JSON document as Glue answers it (plus Cenote's own members whose names
// start with "_"), keyed by kind, account, region and name; runs (job runs, workflow runs) are keyed by their
// parent's name and their id and carry their state in a column so that a restart finds the runs in flight.
//
// Thread safety: each function is one transaction on the shared store; Jobs serializes check-then-write.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/metadata_store.hpp"

namespace cenote::glue::jobs {

// Kinds of named resources ("job", "trigger", "workflow", "bookmark") and of runs ("jobrun", "wfrun").
struct Key {
  std::string account;
  std::string region;
  std::string name;
};

struct RunRow {
  std::string account;
  std::string region;
  std::string parent;  // the job's or workflow's name
  std::string id;
  std::string state;
  std::int64_t started_ms = 0;
  boost::json::object doc;
};

// A resource written in the same transaction as a run: the outbox entry of a consequence to deliver after the
// commit (an ended run's event and trigger evaluation; kind "outbox", named `id`, deleted once delivered), or
// the bookmark a successful run advances.
struct OutboxEntry {
  std::string id;
  boost::json::object doc;
  std::string kind = "outbox";
};

class JobStore {
 public:
  static Result<JobStore> Open(store::MetadataStore& metadata);

  Result<std::optional<boost::json::object>> Get(const std::string& kind, const Key& key);
  // Names > `after` in name order, at most `limit` (0: all).
  Result<std::vector<boost::json::object>> List(const std::string& kind, const std::string& account,
                                                const std::string& region, const std::string& after,
                                                std::size_t limit);
  // Every resource of `kind` in every namespace, each with its namespace.
  Result<std::vector<std::pair<Key, boost::json::object>>> ListAll(const std::string& kind);
  Result<std::int64_t> Count(const std::string& kind, const std::string& account, const std::string& region);
  // Inserts (false when the name is taken) or replaces.
  Result<bool> Insert(const std::string& kind, const Key& key, const boost::json::object& doc);
  Status Put(const std::string& kind, const Key& key, const boost::json::object& doc);
  Status Delete(const std::string& kind, const Key& key);

  // Inserts or replaces the run, with the entries (of its namespace) in the same transaction.
  Status PutRun(const std::string& kind, const RunRow& run, const std::vector<OutboxEntry>& outbox = {});
  Result<std::optional<RunRow>> GetRun(const std::string& kind, const std::string& account,
                                       const std::string& region, const std::string& parent,
                                       const std::string& id);
  // Newest first; at most `limit` (0: all).
  Result<std::vector<RunRow>> ListRuns(const std::string& kind, const std::string& account,
                                       const std::string& region, const std::string& parent,
                                       std::size_t limit);
  // Runs of `kind` whose state is one of `states`, in every namespace.
  Result<std::vector<RunRow>> RunsInStates(const std::string& kind, const std::vector<std::string>& states);
  Status DeleteRuns(const std::string& kind, const std::string& account, const std::string& region,
                    const std::string& parent);

 private:
  explicit JobStore(store::MetadataStore& metadata) : metadata_(&metadata) {}
  store::MetadataStore* metadata_;
};

std::vector<std::string> Migrations();
store::FreshSchema FreshSchema();

}  // namespace cenote::glue::jobs
