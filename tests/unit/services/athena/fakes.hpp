// Test doubles for the Athena provider: a temp dir, an in-memory LakeAccess whose objects are files under
// the temp dir, and a scripted QueryEngine. The Glue Catalog used with them is the real one.
#pragma once

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../../store/temp_dir.hpp"
#include "../lake_put_each.hpp"
#include "query/engine.hpp"
#include "query/result_files.hpp"
#include "services/s3/lake_access.hpp"
#include "store/metadata_store.hpp"

namespace cenote::athena::testing {

using query::CsvLine;
using query::ResultRow;

using cenote::store::testing::TempDir;

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// Objects as files named by a counter under `dir`; keys and buckets in memory. PutObjects stores the
// objects, then runs its `also` step in a write transaction of `metadata` (when given): as with the real
// store, whatever `also` records (Athena: SUCCEEDED) is never visible before the objects.
class FakeLake : public s3::LakeAccess {
 public:
  explicit FakeLake(std::string dir, store::MetadataStore* metadata = nullptr)
      : dir_(std::move(dir)), metadata_(metadata) {
    std::filesystem::create_directories(dir_);
  }

  void CreateBucket(const std::string& bucket) {
    std::lock_guard<std::mutex> lock(mu_);
    buckets_[bucket];
  }

  Status HeadBucket(const std::string& bucket) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!buckets_.count(bucket)) return MakeError("NoSuchBucket", "The specified bucket does not exist", 404);
    return Status::Ok();
  }

  Result<std::vector<s3::LakeObject>> ListObjects(const std::string& bucket, const std::string& prefix,
                                                  std::size_t max_objects) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto b = buckets_.find(bucket);
    if (b == buckets_.end()) return MakeError("NoSuchBucket", "The specified bucket does not exist", 404);
    std::vector<s3::LakeObject> out;
    for (auto it = b->second.lower_bound(prefix); it != b->second.end() && out.size() < max_objects; ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      out.push_back({it->first, it->second.size, "\"etag\"", 0});
    }
    return out;
  }

  Result<std::string> LocalPath(const std::string& bucket, const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto e = Find(bucket, key);
    if (!e) return MakeError("NoSuchKey", "The specified key does not exist.", 404);
    return e->path;
  }

  Result<std::string> GetObject(const std::string& bucket, const std::string& key,
                                std::uint64_t max_bytes) override {
    std::string path;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto e = Find(bucket, key);
      if (!e) return MakeError("NoSuchKey", "The specified key does not exist.", 404);
      if (e->size > max_bytes) return MakeError("EntityTooLarge", "too large");
      path = e->path;
    }
    return ReadFile(path);
  }

  Result<s3::LakeObject> PutObject(const std::string& bucket, const std::string& key,
                                   const std::string& bytes, const std::string& /*content_type*/) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!buckets_.count(bucket)) return MakeError("NoSuchBucket", "The specified bucket does not exist", 404);
    std::string path = dir_ + "/obj-" + std::to_string(++counter_);
    WriteFile(path, bytes);
    buckets_[bucket][key] = Entry{path, bytes.size()};
    ++puts_;
    return s3::LakeObject{key, bytes.size(), "\"etag\"", 0};
  }

  Result<s3::LakeObject> PutObjectFromFile(const std::string& bucket, const std::string& key,
                                           const std::string& path,
                                           const std::string& content_type) override {
    if (!std::filesystem::exists(path)) return InternalError("no such file " + path);
    return PutObject(bucket, key, ReadFile(path), content_type);
  }

  Result<std::vector<s3::LakeObject>> PutObjects(
      const std::string& bucket, const std::vector<s3::LakePut>& puts,
      const std::function<Status(store::Transaction&)>& also) override {
    if (also && metadata_ == nullptr)
      return InternalError("FakeLake: PutObjects' `also` needs a metadata store");
    auto stored = s3::testing::PutEach(*this, bucket, puts, nullptr);
    if (!stored || !also) return stored;
    auto txn = metadata_->Begin(store::MetadataStore::Mode::kWrite);
    if (!txn) return std::move(txn).error();
    CENOTE_RETURN_IF_ERROR(also(**txn));
    CENOTE_RETURN_IF_ERROR((*txn)->Commit());
    return stored;
  }

  Status DeleteObject(const std::string& bucket, const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto b = buckets_.find(bucket);
    if (b != buckets_.end()) b->second.erase(key);
    return Status::Ok();
  }

  // Test helpers.
  void Put(const std::string& bucket, const std::string& key, const std::string& bytes) {
    CreateBucket(bucket);
    (void)PutObject(bucket, key, bytes, "");
  }
  std::optional<std::string> Get(const std::string& bucket, const std::string& key) {
    auto r = GetObject(bucket, key, 1 << 30);
    if (!r) return std::nullopt;
    return *r;
  }
  std::vector<std::string> Keys(const std::string& bucket) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [k, e] : buckets_[bucket]) out.push_back(k);
    return out;
  }

 private:
  struct Entry {
    std::string path;
    std::uint64_t size = 0;
  };
  const Entry* Find(const std::string& bucket, const std::string& key) {
    auto b = buckets_.find(bucket);
    if (b == buckets_.end()) return nullptr;
    auto e = b->second.find(key);
    return e == b->second.end() ? nullptr : &e->second;
  }

  std::string dir_;
  store::MetadataStore* metadata_ = nullptr;
  std::mutex mu_;
  std::map<std::string, std::map<std::string, Entry>> buckets_;
  int counter_ = 0;
  int puts_ = 0;
};

// A scripted engine: results are set by the test. Records the SQL it was given.
class FakeEngine : public query::QueryEngine {
 public:
  std::vector<query::ResultColumn> columns{{"x", "integer", 10, 0}};
  std::vector<ResultRow> rows{{std::string("1")}};
  std::optional<Error> error;
  bool block_until_cancelled = false;           // RunSelect waits (bounded, 10 s) for Cancel
  std::vector<std::string> tables_to_describe;  // resolved through the resolver before "running"
  std::atomic<int> running{0};

  std::mutex mu;
  std::vector<std::string> seen_sql;

  Result<query::SelectOutcome> RunSelect(const std::string& sql, const query::QueryContext& ctx,
                                         query::TableResolver& resolver, const std::string& csv_path,
                                         query::Cancellation& cancel) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen_sql.push_back(sql);
    }
    for (const auto& t : tables_to_describe) {
      auto b = resolver.Describe(ctx.database, t);
      if (!b) return std::move(b).error();
    }
    if (block_until_cancelled) {
      ++running;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!cancel.cancelled() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      --running;
      if (cancel.cancelled()) return MakeError("USER_CANCELLED", "Query was cancelled");
    }
    if (error) return *error;
    std::string out;
    ResultRow header;
    for (const auto& c : columns) header.emplace_back(c.name);
    out += CsvLine(header);
    for (const auto& r : rows) out += CsvLine(r);
    WriteFile(csv_path, out);
    query::SelectOutcome o;
    o.columns = columns;
    o.stats.bytes_scanned = 1234;
    o.stats.rows = static_cast<std::int64_t>(rows.size());
    o.stats.planning_ms = 1;
    o.stats.engine_ms = 2;
    return o;
  }

  // Writes one file per distinct partition value tuple; rows must be laid out like `columns`, whose
  // partition columns are moved last.
  Result<query::WriteOutcome> RunSelectIntoFiles(const std::string& sql, const query::QueryContext& /*ctx*/,
                                                 query::TableResolver& /*resolver*/,
                                                 const query::WriteSpec& spec,
                                                 query::Cancellation& /*cancel*/) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen_sql.push_back(sql);
    }
    if (error) return *error;
    std::vector<std::size_t> order;
    std::vector<std::size_t> part_idx;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      bool is_part = false;
      for (const auto& p : spec.partitioned_by) is_part = is_part || p == columns[i].name;
      if (!is_part) order.push_back(i);
    }
    for (const auto& p : spec.partitioned_by) {
      for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].name == p) part_idx.push_back(i);
      }
    }
    query::WriteOutcome o;
    for (auto i : order) o.columns.push_back(columns[i]);
    for (auto i : part_idx) o.columns.push_back(columns[i]);
    std::map<std::vector<std::string>, std::string> groups;
    for (const auto& r : rows) {
      std::vector<std::string> values;
      for (auto i : part_idx) values.push_back(r[i].value_or("__HIVE_DEFAULT_PARTITION__"));
      ResultRow data;
      for (auto i : order) data.push_back(r[i]);
      groups[values] += CsvLine(data);
    }
    int n = 0;
    for (const auto& [values, body] : groups) {
      std::string rel;
      for (std::size_t k = 0; k < values.size(); ++k) rel += spec.partitioned_by[k] + "=" + values[k] + "/";
      rel += spec.file_prefix + "_" + std::to_string(n++) + ".parquet";
      query::WrittenFile f;
      f.local_path = spec.out_dir + "/" + rel;
      f.relative_path = rel;
      f.partition_values = values;
      WriteFile(f.local_path, body);
      f.size = body.size();
      o.files.push_back(f);
    }
    o.stats.rows = static_cast<std::int64_t>(rows.size());
    return o;
  }

  Result<std::vector<query::ResultColumn>> DescribeSelect(const std::string& sql,
                                                          const query::QueryContext& ctx,
                                                          query::TableResolver& resolver) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen_sql.push_back(sql);
    }
    for (const auto& t : tables_to_describe) {
      auto b = resolver.Describe(ctx.database, t);
      if (!b) return std::move(b).error();
    }
    if (error) return *error;
    return columns;
  }

  Result<Rows> ExecuteTrusted(const std::string& /*sql*/) override { return Rows{}; }
  Result<std::vector<query::SourceColumn>> DescribeObject(const query::ObjectSource& /*source*/) override {
    return MakeError("NOT_SUPPORTED", "FakeEngine reads no objects");
  }
  Result<std::unique_ptr<query::TextCursor>> OpenObjectSelect(const std::string& /*sql*/,
                                                              const query::ObjectSource& /*source*/,
                                                              const query::QueryContext& /*ctx*/) override {
    return MakeError("NOT_SUPPORTED", "FakeEngine reads no objects");
  }

  std::string LastSql() {
    std::lock_guard<std::mutex> lock(mu);
    return seen_sql.empty() ? "" : seen_sql.back();
  }
};

}  // namespace cenote::athena::testing
