// Test doubles for the crawler's dependencies: a LakeAccess over a directory (bucket = subdirectory,
// key = relative path), an in-memory Catalog with Glue's errors for what the crawler uses, and a
// QueryEngine whose ExecuteTrusted runs on an in-memory DuckDB (the C API directly).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "query/engine.hpp"
#include "services/glue/catalog.hpp"
#include "services/s3/lake_access.hpp"

namespace cenote::glue::crawler::testing {

class DirectoryLake : public s3::LakeAccess {
 public:
  explicit DirectoryLake(std::string root) : root_(std::move(root)) {}

  // Writes an object (creating folders).
  void Put(const std::string& bucket, const std::string& key, const std::string& bytes);
  void Remove(const std::string& bucket, const std::string& key);
  std::string PathOf(const std::string& bucket, const std::string& key) const {
    return root_ + "/" + bucket + "/" + key;
  }
  // Called at the start of every ListObjects (tests use it to hold a crawl RUNNING).
  std::function<void()> on_list;

  Status HeadBucket(const std::string& bucket) override;
  Result<std::vector<s3::LakeObject>> ListObjects(const std::string& bucket, const std::string& prefix,
                                                  std::size_t max_objects) override;
  Result<std::string> LocalPath(const std::string& bucket, const std::string& key) override;
  Result<std::string> GetObject(const std::string& bucket, const std::string& key,
                                std::uint64_t max_bytes) override;
  Result<s3::LakeObject> PutObject(const std::string& bucket, const std::string& key,
                                   const std::string& bytes, const std::string& content_type) override;
  Result<s3::LakeObject> PutObjectFromFile(const std::string& bucket, const std::string& key,
                                           const std::string& path, const std::string& content_type) override;
  Status DeleteObject(const std::string& bucket, const std::string& key) override;

 private:
  std::string root_;
};

// A gate a test opens to let a blocked thread go on (bounded waits).
class Gate {
 public:
  void Open();
  // Waits until opened, at most `ms`; returns whether it was opened.
  bool Wait(int ms);
  // Whether some thread is waiting at the gate now (waits up to `ms` for one to arrive).
  bool WaitForArrival(int ms);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

class MemoryCatalog : public Catalog {
 public:
  const std::string& catalog_id() const override { return id_; }
  Status CreateDatabase(const object& database_input) override;
  Result<object> GetDatabase(const std::string& name) override;
  Result<Page> GetDatabases(const std::string& next_token, int max_results) override;
  Status UpdateDatabase(const std::string& name, const object& database_input) override;
  Status DeleteDatabase(const std::string& name) override;
  Status CreateTable(const std::string& database, const object& table_input) override;
  Result<object> GetTable(const std::string& database, const std::string& name) override;
  Result<Page> GetTables(const std::string& database, const std::string& expression,
                         const std::string& next_token, int max_results) override;
  Status UpdateTable(const std::string& database, const object& table_input, bool skip_archive) override;
  Status DeleteTable(const std::string& database, const std::string& name) override;
  Result<Page> GetTableVersions(const std::string& database, const std::string& table,
                                const std::string& next_token, int max_results) override;
  Status CreatePartition(const std::string& database, const std::string& table,
                         const object& partition_input) override;
  Result<std::vector<EntryError>> BatchCreatePartition(const std::string& database, const std::string& table,
                                                       const std::vector<object>& partition_inputs) override;
  Result<object> GetPartition(const std::string& database, const std::string& table,
                              const std::vector<std::string>& values) override;
  Result<Page> GetPartitions(const std::string& database, const std::string& table,
                             const std::string& expression, const std::string& next_token,
                             int max_results) override;
  Status UpdatePartition(const std::string& database, const std::string& table,
                         const std::vector<std::string>& values, const object& partition_input) override;
  Status DeletePartition(const std::string& database, const std::string& table,
                         const std::vector<std::string>& values) override;
  Result<std::vector<EntryError>> BatchDeletePartition(
      const std::string& database, const std::string& table,
      const std::vector<std::vector<std::string>>& values_list) override;

  // Test access.
  int versions(const std::string& database, const std::string& table);
  std::vector<object> partitions(const std::string& database, const std::string& table);

 private:
  std::mutex mu_;
  std::string id_ = "000000000000";
  std::map<std::string, object> databases_;
  std::map<std::pair<std::string, std::string>, object> tables_;
  std::map<std::pair<std::string, std::string>, int> versions_;
  std::map<std::pair<std::string, std::string>, std::map<std::vector<std::string>, object>> partitions_;
};

class DuckDbEngine : public query::QueryEngine {
 public:
  DuckDbEngine();
  ~DuckDbEngine() override;
  Result<query::SelectOutcome> RunSelect(const std::string&, const query::QueryContext&,
                                         query::TableResolver&, const std::string&,
                                         query::Cancellation&) override;
  Result<query::WriteOutcome> RunSelectIntoFiles(const std::string&, const query::QueryContext&,
                                                 query::TableResolver&, const query::WriteSpec&,
                                                 query::Cancellation&) override;
  Result<std::vector<query::ResultColumn>> DescribeSelect(const std::string&, const query::QueryContext&,
                                                          query::TableResolver&) override;
  Result<Rows> ExecuteTrusted(const std::string& sql) override;

 private:
  struct State;
  State* state_;
};

}  // namespace cenote::glue::crawler::testing
