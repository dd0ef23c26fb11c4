#include "services/glue/crawler/crawler_store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace cenote::glue::crawler {

namespace json = boost::json;

// Schema of component "glue_crawler": one entry per schema version; append, never edit. v4 made crawlers
// regional (per account and region, as on AWS): every table gains (account, region) at the head of its key;
// the rows of v1-v3 belong to the default account in the default region (both checked by Open before they
// are spliced in).
std::vector<std::string> Migrations(const std::string& default_account, const std::string& default_region) {
  const std::string defaults =
      store::SqlStringLiteral(default_account) + ", " + store::SqlStringLiteral(default_region);
  return {
      "CREATE TABLE glue_crawlers ("
      " name TEXT PRIMARY KEY, definition TEXT NOT NULL, tags TEXT NOT NULL, state TEXT NOT NULL,"
      " version INTEGER NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
      " last_crawl TEXT, crawl_started_ms INTEGER NOT NULL, crawl_id TEXT NOT NULL, metrics TEXT NOT NULL)",
      "CREATE TABLE glue_crawler_runs ("
      " crawler TEXT NOT NULL, crawl_id TEXT NOT NULL, state TEXT NOT NULL, start_ms INTEGER NOT NULL,"
      " end_ms INTEGER NOT NULL, summary TEXT NOT NULL, error TEXT NOT NULL, PRIMARY KEY (crawler, "
      "crawl_id))",
      "CREATE TABLE glue_crawler_folders ("
      " crawler TEXT NOT NULL, folder TEXT NOT NULL, PRIMARY KEY (crawler, folder))",
      "CREATE TABLE glue_crawlers_v2 ("
      " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, definition TEXT NOT NULL,"
      " tags TEXT NOT NULL, state TEXT NOT NULL, version INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
      " updated_ms INTEGER NOT NULL, last_crawl TEXT, crawl_started_ms INTEGER NOT NULL,"
      " crawl_id TEXT NOT NULL, metrics TEXT NOT NULL, PRIMARY KEY (account, region, name));"
      "INSERT INTO glue_crawlers_v2 SELECT " +
          defaults +
          ", name, definition, tags, state, version,"
          " created_ms, updated_ms, last_crawl, crawl_started_ms, crawl_id, metrics FROM glue_crawlers;"
          "DROP TABLE glue_crawlers; ALTER TABLE glue_crawlers_v2 RENAME TO glue_crawlers;"
          "CREATE TABLE glue_crawler_runs_v2 ("
          " account TEXT NOT NULL, region TEXT NOT NULL, crawler TEXT NOT NULL, crawl_id TEXT NOT NULL,"
          " state TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, summary TEXT NOT NULL,"
          " error TEXT NOT NULL, PRIMARY KEY (account, region, crawler, crawl_id));"
          "INSERT INTO glue_crawler_runs_v2 SELECT " +
          defaults +
          ", crawler, crawl_id, state, start_ms, end_ms,"
          " summary, error FROM glue_crawler_runs;"
          "DROP TABLE glue_crawler_runs; ALTER TABLE glue_crawler_runs_v2 RENAME TO glue_crawler_runs;"
          "CREATE TABLE glue_crawler_folders_v2 ("
          " account TEXT NOT NULL, region TEXT NOT NULL, crawler TEXT NOT NULL, folder TEXT NOT NULL,"
          " PRIMARY KEY (account, region, crawler, folder));"
          "INSERT INTO glue_crawler_folders_v2 SELECT " +
          defaults +
          ", crawler, folder FROM glue_crawler_folders;"
          "DROP TABLE glue_crawler_folders; ALTER TABLE glue_crawler_folders_v2 RENAME TO "
          "glue_crawler_folders;",
  };
}

store::FreshSchema FreshSchema() {
  return store::FreshSchema
#include "services/glue/crawler/fresh_schema.inc"
      ;
}

namespace {

constexpr const char* kColumns =
    "account, region, name, definition, tags, state, version, created_ms, updated_ms, last_crawl, "
    "crawl_started_ms, crawl_id, "
    "metrics";

json::object ParseObject(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return !ec && v.is_object() ? v.get_object() : json::object();
}

std::int64_t IntMember(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_int64() ? it->value().get_int64() : 0;
}

CrawlerRecord FromRow(const store::Row& row) {
  CrawlerRecord r;
  r.account = store::AsText(row[0]);
  r.region = store::AsText(row[1]);
  r.name = store::AsText(row[2]);
  r.definition = ParseObject(store::AsText(row[3]));
  r.tags = ParseObject(store::AsText(row[4]));
  r.state = store::AsText(row[5]);
  r.version = store::AsInt(row[6]);
  r.created_ms = store::AsInt(row[7]);
  r.updated_ms = store::AsInt(row[8]);
  if (!store::IsNull(row[9])) r.last_crawl = ParseObject(store::AsText(row[9]));
  r.crawl_started_ms = store::AsInt(row[10]);
  r.crawl_id = store::AsText(row[11]);
  json::object m = ParseObject(store::AsText(row[12]));
  r.tables_created = IntMember(m, "TablesCreated");
  r.tables_updated = IntMember(m, "TablesUpdated");
  r.tables_deleted = IntMember(m, "TablesDeleted");
  auto it = m.find("Runtimes");
  if (it != m.end() && it->value().is_array()) {
    for (const auto& v : it->value().get_array()) {
      if (v.is_double()) r.runtimes.push_back(v.get_double());
      if (v.is_int64()) r.runtimes.push_back(static_cast<double>(v.get_int64()));
    }
  }
  return r;
}

std::vector<store::Value> ToParams(const CrawlerRecord& r) {
  json::object m;
  m["TablesCreated"] = r.tables_created;
  m["TablesUpdated"] = r.tables_updated;
  m["TablesDeleted"] = r.tables_deleted;
  json::array runtimes;
  for (double d : r.runtimes) runtimes.push_back(d);
  m["Runtimes"] = std::move(runtimes);
  store::Value last = nullptr;
  if (r.last_crawl) last = json::serialize(*r.last_crawl);
  return {r.account,
          r.region,
          r.name,
          json::serialize(r.definition),
          json::serialize(r.tags),
          r.state,
          r.version,
          r.created_ms,
          r.updated_ms,
          last,
          r.crawl_started_ms,
          r.crawl_id,
          json::serialize(m)};
}

}  // namespace

Result<CrawlerStore> CrawlerStore::Open(store::MetadataStore& metadata, std::int64_t now_ms,
                                        const std::string& default_account,
                                        const std::string& default_region) {
  CENOTE_RETURN_IF_ERROR(
      metadata.Migrate("glue_crawler", Migrations(default_account, default_region), FreshSchema()));
  CrawlerStore s(metadata, "", "");
  CENOTE_RETURN_IF_ERROR(s.RecoverInterrupted(now_ms));
  return s;
}

Status CrawlerStore::RecoverInterrupted(std::int64_t now_ms) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query(std::string("SELECT ") + kColumns +
                                                " FROM glue_crawlers WHERE state <> 'READY'"));
  constexpr const char* kMessage =
      "Internal Service Exception: the crawl was interrupted by a server restart";
  for (const auto& row : rows) {
    CrawlerRecord r = FromRow(row);
    json::object last;
    last["Status"] = "FAILED";
    last["ErrorMessage"] = kMessage;
    last["LogGroup"] = "/aws-glue/crawlers";
    last["LogStream"] = r.name;
    last["MessagePrefix"] = r.crawl_id;
    last["StartTime"] = r.crawl_started_ms;
    r.last_crawl = std::move(last);
    r.state = "READY";
    r.crawl_started_ms = 0;
    auto p = ToParams(r);
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("UPDATE glue_crawlers SET state = ?, last_crawl = ?, crawl_started_ms = 0"
                  " WHERE account = ? AND region = ? AND name = ?",
                  {r.state, p[9], r.account, r.region, r.name}));
  }
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "UPDATE glue_crawler_runs SET state = 'FAILED', end_ms = ?, error = ? WHERE state = 'RUNNING'",
      {now_ms, std::string(kMessage)}));
  return txn->Commit();
}

Result<std::optional<CrawlerRecord>> CrawlerStore::Get(const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn->QueryOne(std::string("SELECT ") + kColumns +
                                  " FROM glue_crawlers WHERE account = ? AND region = ? AND name = ?",
                              {account_, region_, name}));
  if (!row) return std::optional<CrawlerRecord>();
  return std::optional<CrawlerRecord>(FromRow(*row));
}

Result<std::vector<CrawlerRecord>> CrawlerStore::List(const std::string& after, std::size_t limit) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query(
          std::string("SELECT ") + kColumns +
              " FROM glue_crawlers WHERE account = ? AND region = ? AND name > ? ORDER BY name LIMIT ?",
          {account_, region_, after, static_cast<std::int64_t>(limit)}));
  std::vector<CrawlerRecord> out;
  for (const auto& row : rows) out.push_back(FromRow(row));
  return out;
}

Result<std::int64_t> CrawlerStore::Count() {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT COUNT(*) FROM glue_crawlers WHERE account = ? AND region = ?",
                                        {account_, region_}));
  return row ? store::AsInt((*row)[0]) : 0;
}

Result<bool> CrawlerStore::Insert(const CrawlerRecord& record) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(
      auto existing,
      txn->QueryOne("SELECT name FROM glue_crawlers WHERE account = ? AND region = ? AND name = ?",
                    {account_, region_, record.name}));
  if (existing) return false;
  CENOTE_RETURN_IF_ERROR(txn->Exec(std::string("INSERT INTO glue_crawlers (") + kColumns +
                                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   ToParams(record)));
  // A new crawler of an old name starts without the old one's history.
  for (const char* sql :
       {"DELETE FROM glue_crawler_runs WHERE account = ? AND region = ? AND crawler = ?",
        "DELETE FROM glue_crawler_folders WHERE account = ? AND region = ? AND crawler = ?"}) {
    CENOTE_RETURN_IF_ERROR(txn->Exec(sql, {account_, region_, record.name}));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return true;
}

Status CrawlerStore::Update(const CrawlerRecord& record) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  auto p = ToParams(record);
  std::vector<store::Value> params(p.begin() + 3, p.end());
  params.insert(params.end(), {account_, region_, record.name});
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "UPDATE glue_crawlers SET definition = ?, tags = ?, state = ?, version = ?, created_ms = ?, updated_ms "
      "= ?,"
      " last_crawl = ?, crawl_started_ms = ?, crawl_id = ?, metrics = ? WHERE account = ? AND region = ? AND "
      "name = ?",
      params));
  return txn->Commit();
}

Status CrawlerStore::Delete(const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  for (const char* sql :
       {"DELETE FROM glue_crawlers WHERE account = ? AND region = ? AND name = ?",
        "DELETE FROM glue_crawler_runs WHERE account = ? AND region = ? AND crawler = ?",
        "DELETE FROM glue_crawler_folders WHERE account = ? AND region = ? AND crawler = ?"}) {
    CENOTE_RETURN_IF_ERROR(txn->Exec(sql, {account_, region_, name}));
  }
  return txn->Commit();
}

Status CrawlerStore::PutCrawl(const CrawlRecord& c) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO glue_crawler_runs (account, region, crawler, crawl_id, state, start_ms, end_ms, summary,"
      " error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, crawler, crawl_id) DO UPDATE "
      "SET state = excluded.state,"
      " end_ms = excluded.end_ms, summary = excluded.summary, error = excluded.error",
      {account_, region_, c.crawler, c.crawl_id, c.state, c.start_ms, c.end_ms, c.summary, c.error}));
  return txn->Commit();
}

Result<std::vector<CrawlRecord>> CrawlerStore::ListCrawls(const std::string& crawler) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query("SELECT crawler, crawl_id, state, start_ms, end_ms, summary, error FROM glue_crawler_runs"
                 " WHERE account = ? AND region = ? AND crawler = ? ORDER BY start_ms DESC, crawl_id",
                 {account_, region_, crawler}));
  std::vector<CrawlRecord> out;
  for (const auto& r : rows) {
    out.push_back(CrawlRecord{.crawler = store::AsText(r[0]),
                              .crawl_id = store::AsText(r[1]),
                              .state = store::AsText(r[2]),
                              .start_ms = store::AsInt(r[3]),
                              .end_ms = store::AsInt(r[4]),
                              .summary = store::AsText(r[5]),
                              .error = store::AsText(r[6])});
  }
  return out;
}

Result<std::set<std::string>> CrawlerStore::CrawledFolders(const std::string& crawler) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query("SELECT folder FROM glue_crawler_folders WHERE account = ? AND region = ? AND crawler = ?",
                 {account_, region_, crawler}));
  std::set<std::string> out;
  for (const auto& r : rows) out.insert(store::AsText(r[0]));
  return out;
}

Status CrawlerStore::AddCrawledFolders(const std::string& crawler, const std::set<std::string>& folders) {
  if (folders.empty()) return Status::Ok();
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kWrite));
  for (const auto& f : folders) {
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("INSERT INTO glue_crawler_folders (account, region, crawler, folder) VALUES (?, ?, ?, ?)"
                  " ON CONFLICT (account, region, crawler, folder) DO NOTHING",
                  {account_, region_, crawler, f}));
  }
  return txn->Commit();
}

Result<std::vector<CrawlerRecord>> CrawlerStore::ListScheduled() {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_->Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query(std::string("SELECT ") + kColumns +
                                                " FROM glue_crawlers ORDER BY account, region, name"));
  std::vector<CrawlerRecord> out;
  for (const auto& row : rows) {
    CrawlerRecord r = FromRow(row);
    if (r.definition.contains("Schedule")) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace cenote::glue::crawler
