// MetadataStore: transactional, durable metadata (SQLite in WAL mode embedded; PostgreSQL later).
//
// Services own their schemas and speak portable SQL through this interface: `?` positional
// placeholders, INTEGER/TEXT/BLOB/REAL columns, no SQLite-only syntax beyond what PostgreSQL also
// accepts (ON CONFLICT ... DO UPDATE is fine). A committed write transaction is durable
// (synchronous=FULL) before Commit returns.
//
// Thread safety: the store is shared by all threads. Write transactions are serialized (one at a
// time; Begin(kWrite) waits for the current one). Read transactions run concurrently on their own
// connections and see a consistent snapshot. A Transaction is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.hpp"

namespace cenote::store {

struct Blob {
  std::string bytes;
};
// NULL, INTEGER, REAL, TEXT, BLOB
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Blob>;
using Row = std::vector<Value>;

// Accessors that tolerate NULL (-> default value).
std::int64_t AsInt(const Value& v);
std::string AsText(const Value& v);  // TEXT or BLOB bytes
double AsReal(const Value& v);
bool IsNull(const Value& v);

// `text` as an SQL string literal, quotes doubled: for the few values spliced into migration statements,
// which take no parameters (a migration moving rows into the data directory's default account and region).
inline std::string SqlStringLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

class Transaction {
 public:
  virtual ~Transaction() = default;  // rolls back if neither Commit nor Rollback was called
  // Runs one statement. Returns the number of rows changed.
  virtual Result<std::int64_t> Exec(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  virtual Result<std::vector<Row>> Query(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Convenience: the first row, or nullopt.
  virtual Result<std::optional<Row>> QueryOne(std::string_view sql,
                                              const std::vector<Value>& params = {}) = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
};

// The schema a component's migrations end at, as one script of CREATE statements. A database where the
// component has no version yet runs this instead of every step, so a first start skips the table rebuilds
// of older versions. Generated from the migrations by the component's FreshSchema unit test
// (CENOTE_UPDATE_FRESH_SCHEMAS=1 regenerates it); `version` is the number of steps it stands for, and a
// script for another version than the migrations' newest is ignored (the steps run, and the test fails).
struct FreshSchema {
  std::int64_t version = 0;
  std::string_view script;
};

class MetadataStore {
 public:
  enum class Mode { kRead, kWrite };
  virtual ~MetadataStore() = default;

  // Opens (creating if needed) the SQLite database at `path` in WAL mode, synchronous=FULL.
  static Result<std::unique_ptr<MetadataStore>> OpenSqlite(const std::string& path);

  virtual Result<std::unique_ptr<Transaction>> Begin(Mode mode) = 0;

  // Applies `statements[i]` for every schema version i+1 above the recorded version of `component`
  // ("s3", "iam", ...), each version in its own transaction. Idempotent. Each step is logged at debug.
  // A component with no recorded version and a `fresh` schema for the newest version runs that instead.
  virtual Status Migrate(std::string_view component, const std::vector<std::string>& statements,
                         FreshSchema fresh = {}) = 0;

  // The CREATE statement of every table and index in the database but the store's own `schema_versions`:
  // tables by name, then indexes by name, each as SQLite keeps it. What a FreshSchema script is made of.
  virtual Result<std::vector<std::string>> SchemaStatements() = 0;

  // Start-up only, before the server accepts requests: from DeferDurability() until RestoreDurability(),
  // commits are not fsynced one by one (SQLite's synchronous=NORMAL); RestoreDurability() makes everything
  // committed meanwhile durable with a few fsyncs and restores synchronous=FULL. A crash in between loses
  // at most those start-up writes (migrations, defaults such as a secret or a primary workgroup), which the
  // next start writes again; the database stays consistent (WAL). Cuts the ~30 fsyncs of a first start.
  virtual Status DeferDurability() { return Status::Ok(); }
  virtual Status RestoreDurability() { return Status::Ok(); }

  // One line for the start-up log saying which schemas Migrate changed since the last call ("s3 v7, glue
  // v2 -> v5 (10 migrations)"), or "" when none did. Lets the platform log one line instead of one per step.
  virtual std::string TakeMigrationSummary() { return {}; }
};

}  // namespace cenote::store
