// CatalogObjects: the Data Catalog's objects that are not databases, tables or partitions — user-defined
// functions, connections, resource policies, partition indexes and column statistics — kept durably in the
// MetadataStore (component "glue_catalog_objects") as Glue-shaped documents. Every object lives in the
// catalog of one account and region, under a kind ("udf", "connection", ...), a scope (the JSON array of
// the names that hold it: ["db"] for a function, ["db","tbl"] for an index or a table's statistics,
// ["db","tbl",<partition values>] for a partition's statistics, [] for a connection or a policy) and a name.
// Deleting a database or a table deletes what its scope holds (Catalog calls DeleteScope in the same
// transaction as the deletion).
//
// Thread safety: all methods may be called concurrently; each is one MetadataStore transaction, so a
// read-modify-write (Modify) is atomic against every other writer.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/metadata_store.hpp"

namespace cenote::glue {

struct ObjectKey {
  std::string account;
  std::string region;
  std::string kind;   // "udf", "connection", "policy", "pindex", "colstat"
  std::string scope;  // ScopeOf(...)
  std::string name;
};

// The catalog's resource policy: kind "policy", scope [], this name (provider_policies.cpp, authority.cpp).
inline constexpr const char* kPolicyKind = "policy";
inline constexpr const char* kCatalogPolicyName = "catalog";

// The scope text of `names` (a JSON array of strings).
std::string ScopeOf(const std::vector<std::string>& names);

class CatalogObjects {
 public:
  // Runs the component's migrations.
  static Result<std::unique_ptr<CatalogObjects>> Open(store::MetadataStore& metadata);

  Result<std::optional<boost::json::object>> Get(const ObjectKey& key) const;

  // Atomically replaces the object with what `change` returns for the current one (nullopt: absent):
  // an object to write, nullopt to delete it, or an error that leaves everything unchanged. `limit`, when
  // positive, bounds the objects of the key's kind and scope after the change (the caller's error is
  // returned when it would be exceeded: `over_limit`).
  using Change =
      std::function<Result<std::optional<boost::json::object>>(std::optional<boost::json::object> current)>;
  Status Modify(const ObjectKey& key, const Change& change, std::int64_t limit = 0,
                const std::function<Error()>& over_limit = {}) const;

  // Atomically moves the object at `from` to `new_name` (same account, region, kind and scope) as `change`
  // rewrites it: `change` gets the current object (nullopt: absent) and returns the document to store under
  // the new name, or an error that leaves everything unchanged (returning nullopt is the caller's error:
  // InternalError). When `new_name` is taken, `taken()` is returned and nothing changes. One transaction: a
  // crash leaves the object under exactly one of the names.
  Status Rename(const ObjectKey& from, const std::string& new_name, const Change& change,
                const std::function<Error()>& taken) const;

  // The objects of one kind and scope in name order, after `after` (exclusive), at most `limit` (+1 to
  // tell whether more follow: the caller trims). Pairs of name and document.
  Result<std::vector<std::pair<std::string, boost::json::object>>> List(const ObjectKey& scope_key,
                                                                        const std::string& after,
                                                                        std::int64_t limit) const;

  // Every object of `kind` in every catalog (start-up recovery of task runs), at most `limit`.
  Result<std::vector<std::pair<ObjectKey, boost::json::object>>> ListAll(const std::string& kind,
                                                                         std::int64_t limit) const;

  // Deletes, inside `txn`, every object whose scope is `scope` or starts inside it (["db"] also takes
  // ["db","tbl"] and ["db","tbl",...]).
  static Status DeleteScope(store::Transaction& txn, const std::string& account, const std::string& region,
                            const std::vector<std::string>& scope);

 private:
  explicit CatalogObjects(store::MetadataStore& metadata) : metadata_(metadata) {}
  store::MetadataStore& metadata_;
};

}  // namespace cenote::glue
