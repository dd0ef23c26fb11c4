#include "fakes.hpp"

#include <duckdb.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

namespace cenote::glue::crawler::testing {

namespace fs = std::filesystem;
namespace json = boost::json;

// ---- DirectoryLake

void DirectoryLake::Put(const std::string& bucket, const std::string& key, const std::string& bytes) {
  fs::path p = PathOf(bucket, key);
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

void DirectoryLake::Remove(const std::string& bucket, const std::string& key) {
  fs::remove(PathOf(bucket, key));
}

Status DirectoryLake::HeadBucket(const std::string& bucket) {
  if (!fs::is_directory(root_ + "/" + bucket))
    return MakeError("NoSuchBucket", "The specified bucket does not exist", 404);
  return Status::Ok();
}

Result<std::vector<s3::LakeObject>> DirectoryLake::ListObjects(const std::string& bucket,
                                                               const std::string& prefix,
                                                               std::size_t max_objects) {
  if (on_list) on_list();
  CENOTE_RETURN_IF_ERROR(HeadBucket(bucket));
  std::vector<s3::LakeObject> out;
  fs::path base = root_ + "/" + bucket;
  for (const auto& e : fs::recursive_directory_iterator(base)) {
    if (!e.is_regular_file()) continue;
    std::string key = fs::relative(e.path(), base).string();
    if (!key.starts_with(prefix)) continue;
    out.push_back(s3::LakeObject{key, static_cast<std::uint64_t>(e.file_size()), "\"etag\"", 0});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  if (out.size() > max_objects) out.resize(max_objects);
  return out;
}

Result<std::string> DirectoryLake::LocalPath(const std::string& bucket, const std::string& key) {
  std::string p = PathOf(bucket, key);
  if (!fs::is_regular_file(p)) return MakeError("NoSuchKey", "The specified key does not exist.", 404);
  return p;
}

Result<std::string> DirectoryLake::GetObject(const std::string& bucket, const std::string& key,
                                             std::uint64_t) {
  auto p = LocalPath(bucket, key);
  if (!p) return std::move(p).error();
  std::ifstream in(*p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Result<s3::LakeObject> DirectoryLake::PutObject(const std::string& bucket, const std::string& key,
                                                const std::string& bytes, const std::string&) {
  Put(bucket, key, bytes);
  return s3::LakeObject{key, bytes.size(), "\"etag\"", 0};
}

Result<s3::LakeObject> DirectoryLake::PutObjectFromFile(const std::string& bucket, const std::string& key,
                                                        const std::string& path, const std::string& ct) {
  std::ifstream in(path, std::ios::binary);
  return PutObject(bucket, key, std::string(std::istreambuf_iterator<char>(in), {}), ct);
}

Status DirectoryLake::DeleteObject(const std::string& bucket, const std::string& key) {
  Remove(bucket, key);
  return Status::Ok();
}

// ---- Gate

void Gate::Open() {
  std::lock_guard<std::mutex> lock(mu_);
  open_ = true;
  cv_.notify_all();
}

bool Gate::Wait(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  ++waiting_;
  cv_.notify_all();
  bool opened = cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return open_; });
  --waiting_;
  return opened;
}

bool Gate::WaitForArrival(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return waiting_ > 0; });
}

// ---- MemoryCatalog

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string NameOf(const object& o) {
  auto it = o.find("Name");
  return it != o.end() && it->value().is_string() ? Lower(std::string(it->value().get_string())) : "";
}

std::vector<std::string> ValuesOf(const object& o) {
  std::vector<std::string> out;
  auto it = o.find("Values");
  if (it != o.end() && it->value().is_array()) {
    for (const auto& v : it->value().get_array()) out.emplace_back(v.get_string());
  }
  return out;
}

Error NotInFake() { return InternalError("not implemented by the fake catalog"); }

}  // namespace

Status MemoryCatalog::CreateDatabase(const object& input) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string name = NameOf(input);
  if (databases_.count(name)) return MakeError("AlreadyExistsException", "Database already exists.");
  object db = input;
  db["Name"] = name;
  db["CatalogId"] = id_;
  databases_[name] = db;
  return Status::Ok();
}

Result<object> MemoryCatalog::GetDatabase(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = databases_.find(Lower(name));
  if (it == databases_.end()) return MakeError("EntityNotFoundException", "Database " + name + " not found.");
  return it->second;
}

Result<Page> MemoryCatalog::GetDatabases(const std::string&, int) { return NotInFake(); }
Status MemoryCatalog::UpdateDatabase(const std::string&, const object&) { return NotInFake(); }
Status MemoryCatalog::DeleteDatabase(const std::string&) { return NotInFake(); }

Status MemoryCatalog::CreateTable(const std::string& database, const object& input) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!databases_.count(Lower(database)))
    return MakeError("EntityNotFoundException", "Database " + database + " not found.");
  auto key = std::make_pair(Lower(database), NameOf(input));
  if (tables_.count(key)) return MakeError("AlreadyExistsException", "Table already exists.");
  object t = input;
  t["Name"] = key.second;
  t["DatabaseName"] = key.first;
  t["VersionId"] = "0";
  tables_[key] = t;
  versions_[key] = 1;
  return Status::Ok();
}

Result<object> MemoryCatalog::GetTable(const std::string& database, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tables_.find({Lower(database), Lower(name)});
  if (it == tables_.end()) return MakeError("EntityNotFoundException", "Table " + name + " not found.");
  return it->second;
}

Result<Page> MemoryCatalog::GetTables(const std::string& database, const std::string&,
                                      const std::string& next_token, int max_results) {
  std::lock_guard<std::mutex> lock(mu_);
  Page page;
  for (const auto& [key, t] : tables_) {
    if (key.first != Lower(database) || key.second <= next_token) continue;
    if (static_cast<int>(page.items.size()) == max_results) {
      page.next_token = NameOf(page.items.back());
      break;
    }
    page.items.push_back(t);
  }
  return page;
}

Status MemoryCatalog::UpdateTable(const std::string& database, const object& input, bool) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_pair(Lower(database), NameOf(input));
  auto it = tables_.find(key);
  if (it == tables_.end()) return MakeError("EntityNotFoundException", "Table " + key.second + " not found.");
  object t = input;
  t["Name"] = key.second;
  t["DatabaseName"] = key.first;
  t["VersionId"] = std::to_string(versions_[key]);
  versions_[key] += 1;
  it->second = t;
  return Status::Ok();
}

Status MemoryCatalog::DeleteTable(const std::string& database, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_pair(Lower(database), Lower(name));
  if (!tables_.erase(key)) return MakeError("EntityNotFoundException", "Table " + name + " not found.");
  partitions_.erase(key);
  return Status::Ok();
}

Result<Page> MemoryCatalog::GetTableVersions(const std::string&, const std::string&, const std::string&,
                                             int) {
  return NotInFake();
}

Status MemoryCatalog::CreatePartition(const std::string& database, const std::string& table,
                                      const object& input) {
  auto errors = BatchCreatePartition(database, table, {input});
  if (!errors) return std::move(errors).error();
  if (!errors->empty()) return (*errors)[0].error;
  return Status::Ok();
}

Result<std::vector<EntryError>> MemoryCatalog::BatchCreatePartition(const std::string& database,
                                                                    const std::string& table,
                                                                    const std::vector<object>& inputs) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_pair(Lower(database), Lower(table));
  if (!tables_.count(key)) return MakeError("EntityNotFoundException", "Table " + table + " not found.");
  std::vector<EntryError> errors;
  auto& parts = partitions_[key];
  for (const auto& in : inputs) {
    auto values = ValuesOf(in);
    if (parts.count(values)) {
      errors.push_back({values, MakeError("AlreadyExistsException", "Partition already exists.")});
      continue;
    }
    object p = in;
    p["DatabaseName"] = key.first;
    p["TableName"] = key.second;
    parts[values] = p;
  }
  return errors;
}

Result<object> MemoryCatalog::GetPartition(const std::string& database, const std::string& table,
                                           const std::vector<std::string>& values) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& parts = partitions_[{Lower(database), Lower(table)}];
  auto it = parts.find(values);
  if (it == parts.end()) return MakeError("EntityNotFoundException", "Cannot find partition.");
  return it->second;
}

Result<Page> MemoryCatalog::GetPartitions(const std::string& database, const std::string& table,
                                          const std::string&, const std::string& next_token,
                                          int max_results) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_pair(Lower(database), Lower(table));
  if (!tables_.count(key)) return MakeError("EntityNotFoundException", "Table " + table + " not found.");
  // Token: the index to start at.
  std::size_t start = next_token.empty() ? 0 : std::stoul(next_token);
  Page page;
  std::size_t i = 0;
  for (const auto& [values, p] : partitions_[key]) {
    if (i++ < start) continue;
    if (static_cast<int>(page.items.size()) == max_results) {
      page.next_token = std::to_string(i - 1);
      break;
    }
    page.items.push_back(p);
  }
  return page;
}

Status MemoryCatalog::UpdatePartition(const std::string& database, const std::string& table,
                                      const std::vector<std::string>& values, const object& input) {
  std::lock_guard<std::mutex> lock(mu_);
  auto key = std::make_pair(Lower(database), Lower(table));
  auto& parts = partitions_[key];
  auto it = parts.find(values);
  if (it == parts.end()) return MakeError("EntityNotFoundException", "Cannot find partition.");
  object p = input;
  p["DatabaseName"] = key.first;
  p["TableName"] = key.second;
  parts.erase(it);
  parts[ValuesOf(p)] = p;
  return Status::Ok();
}

Status MemoryCatalog::DeletePartition(const std::string& database, const std::string& table,
                                      const std::vector<std::string>& values) {
  auto errors = BatchDeletePartition(database, table, {values});
  if (!errors) return std::move(errors).error();
  if (!errors->empty()) return (*errors)[0].error;
  return Status::Ok();
}

Result<std::vector<EntryError>> MemoryCatalog::BatchDeletePartition(
    const std::string& database, const std::string& table,
    const std::vector<std::vector<std::string>>& list) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<EntryError> errors;
  auto& parts = partitions_[{Lower(database), Lower(table)}];
  for (const auto& values : list) {
    if (!parts.erase(values))
      errors.push_back({values, MakeError("EntityNotFoundException", "Cannot find partition.")});
  }
  return errors;
}

int MemoryCatalog::versions(const std::string& database, const std::string& table) {
  std::lock_guard<std::mutex> lock(mu_);
  return versions_[{Lower(database), Lower(table)}];
}

std::vector<object> MemoryCatalog::partitions(const std::string& database, const std::string& table) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<object> out;
  for (const auto& [values, p] : partitions_[{Lower(database), Lower(table)}]) out.push_back(p);
  return out;
}

// ---- DuckDbEngine

struct DuckDbEngine::State {
  duckdb_database db = nullptr;
  std::mutex mu;
};

DuckDbEngine::DuckDbEngine() : state_(new State) {
  if (duckdb_open(nullptr, &state_->db) != DuckDBSuccess) std::abort();
}

DuckDbEngine::~DuckDbEngine() {
  duckdb_close(&state_->db);
  delete state_;
}

Result<query::SelectOutcome> DuckDbEngine::RunSelect(const std::string&, const query::QueryContext&,
                                                     query::TableResolver&, const std::string&,
                                                     query::Cancellation&) {
  return InternalError("not in the fake engine");
}
Result<query::WriteOutcome> DuckDbEngine::RunSelectIntoFiles(const std::string&, const query::QueryContext&,
                                                             query::TableResolver&, const query::WriteSpec&,
                                                             query::Cancellation&) {
  return InternalError("not in the fake engine");
}
Result<std::vector<query::ResultColumn>> DuckDbEngine::DescribeSelect(const std::string&,
                                                                      const query::QueryContext&,
                                                                      query::TableResolver&) {
  return InternalError("not in the fake engine");
}

Result<query::QueryEngine::Rows> DuckDbEngine::ExecuteTrusted(const std::string& sql) {
  std::lock_guard<std::mutex> lock(state_->mu);
  duckdb_connection con = nullptr;
  if (duckdb_connect(state_->db, &con) != DuckDBSuccess) return InternalError("duckdb_connect failed");
  duckdb_result res;
  Rows rows;
  std::optional<Error> error;
  if (duckdb_query(con, sql.c_str(), &res) != DuckDBSuccess) {
    const char* msg = duckdb_result_error(&res);
    error = InternalError(msg ? msg : "query failed");
  } else {
    idx_t ncols = duckdb_column_count(&res);
    idx_t nrows = duckdb_row_count(&res);
    for (idx_t r = 0; r < nrows; ++r) {
      std::vector<std::optional<std::string>> row;
      for (idx_t c = 0; c < ncols; ++c) {
        if (duckdb_value_is_null(&res, c, r)) {
          row.emplace_back();
        } else {
          char* v = duckdb_value_varchar(&res, c, r);
          row.emplace_back(v ? v : "");
          duckdb_free(v);
        }
      }
      rows.push_back(std::move(row));
    }
  }
  duckdb_destroy_result(&res);
  duckdb_disconnect(&con);
  if (error) return *error;
  return rows;
}

}  // namespace cenote::glue::crawler::testing
