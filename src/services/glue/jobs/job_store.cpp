#include "services/glue/jobs/job_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace cenote::glue::jobs {

namespace json = boost::json;

// Schema of component "glue_jobs": one entry per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE glue_job_objects ("
      " kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
      " doc TEXT NOT NULL, PRIMARY KEY (kind, account, region, name));"
      "CREATE TABLE glue_job_runs ("
      " kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL, parent TEXT NOT NULL,"
      " id TEXT NOT NULL, state TEXT NOT NULL, started_ms INTEGER NOT NULL, doc TEXT NOT NULL,"
      " PRIMARY KEY (kind, account, region, parent, id));",
      "CREATE INDEX glue_job_runs_state ON glue_job_runs (kind, state);",
  };
}

store::FreshSchema FreshSchema() {
  return store::FreshSchema
#include "services/glue/jobs/fresh_schema.inc"
      ;
}

namespace {

json::object ParseObject(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return !ec && v.is_object() ? v.get_object() : json::object();
}

RunRow RunFromRow(const store::Row& row) {
  RunRow r;
  r.account = store::AsText(row[0]);
  r.region = store::AsText(row[1]);
  r.parent = store::AsText(row[2]);
  r.id = store::AsText(row[3]);
  r.state = store::AsText(row[4]);
  r.started_ms = store::AsInt(row[5]);
  r.doc = ParseObject(store::AsText(row[6]));
  return r;
}

constexpr const char* kRunColumns = "account, region, parent, id, state, started_ms, doc";

}  // namespace

Result<JobStore> JobStore::Open(store::MetadataStore& metadata) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("glue_jobs", Migrations(), FreshSchema()));
  return JobStore(metadata);
}

Result<std::optional<json::object>> JobStore::Get(const std::string& kind, const Key& key) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT doc FROM glue_job_objects WHERE kind = ? AND account = ?"
                                        " AND region = ? AND name = ?",
                                        {kind, key.account, key.region, key.name}));
  if (!row) return std::optional<json::object>();
  return std::optional<json::object>(ParseObject(store::AsText((*row)[0])));
}

Result<std::vector<json::object>> JobStore::List(const std::string& kind, const std::string& account,
                                                 const std::string& region, const std::string& after,
                                                 std::size_t limit) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  const std::int64_t n = limit == 0 ? -1 : static_cast<std::int64_t>(limit);
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT doc FROM glue_job_objects WHERE kind = ? AND account = ?"
                                     " AND region = ? AND name > ? ORDER BY name LIMIT ?",
                                     {kind, account, region, after, n}));
  std::vector<json::object> out;
  for (const auto& row : rows) out.push_back(ParseObject(store::AsText(row[0])));
  return out;
}

Result<std::vector<std::pair<Key, json::object>>> JobStore::ListAll(const std::string& kind) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT account, region, name, doc FROM glue_job_objects"
                                                " WHERE kind = ? ORDER BY account, region, name",
                                                {kind}));
  std::vector<std::pair<Key, json::object>> out;
  for (const auto& row : rows) {
    out.emplace_back(Key{store::AsText(row[0]), store::AsText(row[1]), store::AsText(row[2])},
                     ParseObject(store::AsText(row[3])));
  }
  return out;
}

Result<std::int64_t> JobStore::Count(const std::string& kind, const std::string& account,
                                     const std::string& region) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT COUNT(*) FROM glue_job_objects WHERE kind = ? AND"
                                                  " account = ? AND region = ?",
                                                  {kind, account, region}));
  return row ? store::AsInt((*row)[0]) : 0;
}

Result<bool> JobStore::Insert(const std::string& kind, const Key& key, const json::object& doc) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto n, txn->Exec("INSERT OR IGNORE INTO glue_job_objects VALUES (?, ?, ?, ?, ?)",
                                            {kind, key.account, key.region, key.name, json::serialize(doc)}));
  if (n == 0) return false;
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return true;
}

Status JobStore::Put(const std::string& kind, const Key& key, const json::object& doc) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("INSERT OR REPLACE INTO glue_job_objects VALUES (?, ?, ?, ?, ?)",
                                   {kind, key.account, key.region, key.name, json::serialize(doc)}));
  return txn->Commit();
}

Status JobStore::Delete(const std::string& kind, const Key& key) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM glue_job_objects WHERE kind = ? AND account = ? AND region = ? AND name = ?",
                {kind, key.account, key.region, key.name}));
  return txn->Commit();
}

Status JobStore::PutRun(const std::string& kind, const RunRow& run, const std::vector<OutboxEntry>& outbox) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("INSERT OR REPLACE INTO glue_job_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                   {kind, run.account, run.region, run.parent, run.id, run.state,
                                    run.started_ms, json::serialize(run.doc)}));
  for (const OutboxEntry& e : outbox) {
    CENOTE_RETURN_IF_ERROR(txn->Exec("INSERT OR REPLACE INTO glue_job_objects VALUES (?, ?, ?, ?, ?)",
                                     {e.kind, run.account, run.region, e.id, json::serialize(e.doc)}));
  }
  return txn->Commit();
}

Result<std::optional<RunRow>> JobStore::GetRun(const std::string& kind, const std::string& account,
                                               const std::string& region, const std::string& parent,
                                               const std::string& id) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne(std::string("SELECT ") + kRunColumns +
                                                      " FROM glue_job_runs WHERE kind = ? AND account = ? AND"
                                                      " region = ? AND parent = ? AND id = ?",
                                                  {kind, account, region, parent, id}));
  if (!row) return std::optional<RunRow>();
  return std::optional<RunRow>(RunFromRow(*row));
}

Result<std::vector<RunRow>> JobStore::ListRuns(const std::string& kind, const std::string& account,
                                               const std::string& region, const std::string& parent,
                                               std::size_t limit) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  const std::int64_t n = limit == 0 ? -1 : static_cast<std::int64_t>(limit);
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query(std::string("SELECT ") + kRunColumns +
                                                    " FROM glue_job_runs WHERE kind = ? AND account = ? AND"
                                                    " region = ? AND parent = ?"
                                                    " ORDER BY started_ms DESC, id DESC LIMIT ?",
                                                {kind, account, region, parent, n}));
  std::vector<RunRow> out;
  for (const auto& row : rows) out.push_back(RunFromRow(row));
  return out;
}

Result<std::vector<RunRow>> JobStore::RunsInStates(const std::string& kind,
                                                   const std::vector<std::string>& states) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  std::vector<RunRow> out;
  for (const std::string& state : states) {
    CENOTE_ASSIGN_OR_RETURN(
        auto rows, txn->Query(std::string("SELECT ") + kRunColumns +
                                  " FROM glue_job_runs WHERE kind = ? AND state = ? ORDER BY started_ms",
                              {kind, state}));
    for (const auto& row : rows) out.push_back(RunFromRow(row));
  }
  return out;
}

Status JobStore::DeleteRuns(const std::string& kind, const std::string& account, const std::string& region,
                            const std::string& parent) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM glue_job_runs WHERE kind = ? AND account = ? AND region = ? AND parent = ?",
                {kind, account, region, parent}));
  return txn->Commit();
}

}  // namespace cenote::glue::jobs
