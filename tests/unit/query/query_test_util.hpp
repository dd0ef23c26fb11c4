// Test helpers for src/query: a temp directory layout, an engine over it, and a TableResolver fake
// whose tables are files the test writes with ExecuteTrusted.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../store/temp_dir.hpp"
#include "query/engine.hpp"

namespace cenote::query::testing {

class FakeResolver : public TableResolver {
 public:
  struct Table {
    TableBinding binding;
    std::vector<std::pair<PartitionBinding, std::vector<std::string>>> partitions;  // files per partition
  };

  void Add(Table table) {
    std::string key = table.binding.database + "." + table.binding.name;
    tables_[key] = std::move(table);
  }

  Result<TableBinding> Describe(const std::string& database, const std::string& table) override {
    ++describe_calls;
    auto it = tables_.find(database + "." + table);
    if (it == tables_.end())
      return MakeError("EntityNotFoundException", "Table " + database + "." + table + " not found");
    return it->second.binding;
  }
  Result<std::vector<PartitionBinding>> Partitions(const TableBinding& table) override {
    std::vector<PartitionBinding> out;
    for (const auto& p : tables_.at(table.database + "." + table.name).partitions) out.push_back(p.first);
    return out;
  }
  Result<std::vector<TableFile>> Files(const TableBinding& table,
                                       const PartitionBinding& partition) override {
    files_requested.push_back(partition.location);
    std::vector<TableFile> out;
    for (const auto& p : tables_.at(table.database + "." + table.name).partitions) {
      if (p.first.location != partition.location) continue;
      for (const auto& f : p.second) {
        auto key = keys.find(f);
        out.push_back({f, std::filesystem::file_size(f), key == keys.end() ? std::string() : key->second});
      }
    }
    return out;
  }

  std::map<std::string, std::string> keys;  // local path -> TableFile::key
  int describe_calls = 0;
  std::vector<std::string> files_requested;

 private:
  std::map<std::string, Table> tables_;
};

// scratch/ for the engine, data/ for table files (readable), outside/ that must stay unreadable.
class EngineFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "scratch");
    std::filesystem::create_directories(dir_ / "data");
    std::filesystem::create_directories(dir_ / "outside");
    EngineOptions options;
    options.scratch_dir = dir_ / "scratch";
    options.readable_dirs = {dir_ / "data"};
    options.memory_limit_bytes = 512ULL << 20;
    options.threads = 2;
    options.link_sweep_interval_s = 0;  // dangling Hive links are removed before every query
    auto engine = QueryEngine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(engine).value();
  }

  std::string Data(const std::string& name) const { return dir_ / ("data/" + name); }

  void Trusted(const std::string& sql) {
    auto r = engine_->ExecuteTrusted(sql);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.error().message;
  }

  // Runs a user query and returns the CSV text (or the error message prefixed with "ERROR ").
  std::string Run(const std::string& sql, const std::string& database = "default") {
    QueryContext ctx;
    ctx.database = database;
    Cancellation cancel;
    std::string csv = dir_ / "scratch/result.csv";
    auto r = engine_->RunSelect(sql, ctx, resolver_, csv, cancel);
    if (!r.ok()) return "ERROR " + r.error().code + ": " + r.error().message;
    last_ = r.value();
    std::ifstream in(csv, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // The rows of a query's CSV without the header line.
  std::string Rows(const std::string& sql) {
    std::string out = Run(sql);
    if (out.rfind("ERROR", 0) == 0) return out;
    auto nl = out.find('\n');
    return nl == std::string::npos ? out : out.substr(nl + 1);
  }

  store::testing::TempDir dir_;
  std::unique_ptr<QueryEngine> engine_;
  FakeResolver resolver_;
  SelectOutcome last_;
};

}  // namespace cenote::query::testing
