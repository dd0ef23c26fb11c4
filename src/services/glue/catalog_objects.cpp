// CatalogObjects on the MetadataStore: one table of documents keyed by (account, region, kind, scope, name).
#include "services/glue/catalog_objects.hpp"

#include <boost/json.hpp>

#include "services/glue/errors.hpp"

namespace cenote::glue {
namespace {

// Schema of component "glue_catalog_objects": one entry per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE glue_catalog_objects (account TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL,"
      " scope TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,"
      " PRIMARY KEY (account, region, kind, scope, name));",
  };
}

Result<boost::json::object> ParseDoc(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return InternalError("Corrupt catalog object in the metadata store.");
  return std::move(v.as_object());
}

// The object at `key` inside `txn` (nullopt: absent).
Result<std::optional<boost::json::object>> ReadObject(store::Transaction& txn, const ObjectKey& key) {
  CENOTE_ASSIGN_OR_RETURN(auto row, txn.QueryOne("SELECT doc FROM glue_catalog_objects WHERE account = ? AND "
                                                 "region = ? AND kind = ? AND scope = ? AND name = ?",
                                                 {key.account, key.region, key.kind, key.scope, key.name}));
  if (!row.has_value()) return std::optional<boost::json::object>();
  CENOTE_ASSIGN_OR_RETURN(auto doc, ParseDoc(store::AsText((*row)[0])));
  return std::optional<boost::json::object>(std::move(doc));
}

}  // namespace

std::string ScopeOf(const std::vector<std::string>& names) {
  boost::json::array a;
  for (const auto& n : names) a.emplace_back(n);
  return boost::json::serialize(a);
}

Result<std::unique_ptr<CatalogObjects>> CatalogObjects::Open(store::MetadataStore& metadata) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("glue_catalog_objects", Migrations()));
  return std::unique_ptr<CatalogObjects>(new CatalogObjects(metadata));
}

Result<std::optional<boost::json::object>> CatalogObjects::Get(const ObjectKey& key) const {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  return ReadObject(*txn, key);
}

Status CatalogObjects::Modify(const ObjectKey& key, const Change& change, std::int64_t limit,
                              const std::function<Error()>& over_limit) const {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto current, ReadObject(*txn, key));
  const bool existed = current.has_value();
  CENOTE_ASSIGN_OR_RETURN(auto next, change(std::move(current)));
  if (!next.has_value()) {
    if (!existed) return Status::Ok();
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("DELETE FROM glue_catalog_objects WHERE account = ? AND region = ? AND "
                  "kind = ? AND scope = ? AND name = ?",
                  {key.account, key.region, key.kind, key.scope, key.name}));
    return txn->Commit();
  }
  if (!existed && limit > 0) {
    CENOTE_ASSIGN_OR_RETURN(auto count, txn->QueryOne("SELECT COUNT(*) FROM glue_catalog_objects WHERE "
                                                      "account = ? AND region = ? AND kind = ? AND scope = ?",
                                                      {key.account, key.region, key.kind, key.scope}));
    if (count.has_value() && store::AsInt((*count)[0]) >= limit) return over_limit();
  }
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO glue_catalog_objects (account, region, kind, scope, name, doc) VALUES "
                "(?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, kind, scope, name) DO UPDATE SET doc = "
                "excluded.doc",
                {key.account, key.region, key.kind, key.scope, key.name, boost::json::serialize(*next)}));
  return txn->Commit();
}

Status CatalogObjects::Rename(const ObjectKey& from, const std::string& new_name, const Change& change,
                              const std::function<Error()>& taken) const {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto current, ReadObject(*txn, from));
  CENOTE_ASSIGN_OR_RETURN(auto next, change(std::move(current)));
  if (!next.has_value()) return InternalError("a rename's change returned no object");
  ObjectKey to = from;
  to.name = new_name;
  CENOTE_ASSIGN_OR_RETURN(auto existing, ReadObject(*txn, to));
  if (existing.has_value()) return taken();
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM glue_catalog_objects WHERE account = ? AND region = ? AND kind = ? AND scope = "
                "? AND name = ?",
                {from.account, from.region, from.kind, from.scope, from.name}));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO glue_catalog_objects (account, region, kind, scope, name, doc) VALUES "
                "(?, ?, ?, ?, ?, ?)",
                {from.account, from.region, from.kind, from.scope, new_name, boost::json::serialize(*next)}));
  return txn->Commit();
}

Result<std::vector<std::pair<std::string, boost::json::object>>> CatalogObjects::List(
    const ObjectKey& scope_key, const std::string& after, std::int64_t limit) const {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query("SELECT name, doc FROM glue_catalog_objects WHERE account = ? AND region = ? AND "
                 "kind = ? AND scope = ? AND name > ? ORDER BY name LIMIT ?",
                 {scope_key.account, scope_key.region, scope_key.kind, scope_key.scope, after, limit}));
  std::vector<std::pair<std::string, boost::json::object>> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    CENOTE_ASSIGN_OR_RETURN(auto doc, ParseDoc(store::AsText(r[1])));
    out.emplace_back(store::AsText(r[0]), std::move(doc));
  }
  return out;
}

Result<std::vector<std::pair<ObjectKey, boost::json::object>>> CatalogObjects::ListAll(
    const std::string& kind, std::int64_t limit) const {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT account, region, scope, name, doc FROM glue_catalog_objects "
                                     "WHERE kind = ? LIMIT ?",
                                     {kind, limit}));
  std::vector<std::pair<ObjectKey, boost::json::object>> out;
  for (const auto& r : rows) {
    CENOTE_ASSIGN_OR_RETURN(auto doc, ParseDoc(store::AsText(r[4])));
    out.emplace_back(ObjectKey{.account = store::AsText(r[0]),
                               .region = store::AsText(r[1]),
                               .kind = kind,
                               .scope = store::AsText(r[2]),
                               .name = store::AsText(r[3])},
                     std::move(doc));
  }
  return out;
}

Status CatalogObjects::DeleteScope(store::Transaction& txn, const std::string& account,
                                   const std::string& region, const std::vector<std::string>& scope) {
  const std::string exact = ScopeOf(scope);
  // ["db","tbl"] -> ["db","tbl", : the scopes nested inside it.
  const std::string nested = exact.substr(0, exact.size() - 1) + ",";
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("DELETE FROM glue_catalog_objects WHERE account = ? AND region = ? AND (scope = ? OR "
               "substr(scope, 1, ?) "
               "= ?)",
               {account, region, exact, static_cast<std::int64_t>(nested.size()), nested}));
  return Status::Ok();
}

}  // namespace cenote::glue
