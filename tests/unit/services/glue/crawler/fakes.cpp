#include "fakes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

namespace cenote::glue::crawler::testing {

namespace fs = std::filesystem;

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

// ---- the real catalog and engine

std::unique_ptr<store::MetadataStore> OpenSqliteMetadata(const std::string& path) {
  auto md = store::MetadataStore::OpenSqlite(path);
  if (!md) {
    ADD_FAILURE() << "OpenSqlite: " << md.error().message;
    std::abort();
  }
  return std::move(*md);
}

TestCatalog OpenCatalog(store::MetadataStore& metadata) {
  auto catalog = Catalog::Open(metadata, kAccount, kRegion);
  if (!catalog) {
    ADD_FAILURE() << "Catalog::Open: " << catalog.error().message;
    std::abort();
  }
  TestCatalog out{.all = std::move(*catalog), .regional = nullptr};
  out.regional = out.all->ForRegion(kAccount, kRegion);
  return out;
}

aws::RequestContext RequestIn(const std::string& region) {
  aws::RequestContext ctx;
  ctx.region = region;
  ctx.service = "glue";
  ctx.principal.account_id = kAccount;
  ctx.principal.arn = std::string("arn:aws:iam::") + kAccount + ":root";
  ctx.principal.is_root = true;
  ctx.principal.type = iam::PrincipalType::kRoot;
  return ctx;
}

Result<aws::OperationOutput> CallCrawlers(Crawlers& c, const aws::RequestContext& ctx, std::string_view op,
                                          const boost::json::object& in) {
  if (op == "CreateCrawler") return c.CreateCrawler(ctx, in);
  if (op == "GetCrawler") return c.GetCrawler(ctx, in);
  if (op == "GetCrawlers") return c.GetCrawlers(ctx, in);
  if (op == "ListCrawlers") return c.ListCrawlers(ctx, in);
  if (op == "BatchGetCrawlers") return c.BatchGetCrawlers(ctx, in);
  if (op == "UpdateCrawler") return c.UpdateCrawler(ctx, in);
  if (op == "DeleteCrawler") return c.DeleteCrawler(ctx, in);
  if (op == "StartCrawler") return c.StartCrawler(ctx, in);
  if (op == "StopCrawler") return c.StopCrawler(ctx, in);
  if (op == "GetCrawlerMetrics") return c.GetCrawlerMetrics(ctx, in);
  if (op == "ListCrawls") return c.ListCrawls(ctx, in);
  if (op == "StartCrawlerSchedule") return c.SetScheduleState(ctx, in, true);
  if (op == "StopCrawlerSchedule") return c.SetScheduleState(ctx, in, false);
  if (op == "UpdateCrawlerSchedule") return c.UpdateCrawlerSchedule(ctx, in);
  ADD_FAILURE() << "not a crawler operation: " << op;
  return MakeError("UnknownOperationException", std::string(op), 400);
}

int TableVersionCount(RegionalCatalog& catalog, const std::string& database, const std::string& table) {
  int count = 0;
  std::string token;
  do {
    auto page = catalog.GetTableVersions(database, table, token, 100);
    if (!page) {
      ADD_FAILURE() << "GetTableVersions " << table << ": " << page.error().message;
      return 0;
    }
    count += static_cast<int>(page->items.size());
    token = page->next_token;
  } while (!token.empty());
  return count;
}

std::vector<object> AllPartitions(RegionalCatalog& catalog, const std::string& database,
                                  const std::string& table) {
  std::vector<object> out;
  std::string token;
  do {
    auto page = catalog.GetPartitions(database, table, "", token, 1000);
    if (!page) {
      ADD_FAILURE() << "GetPartitions " << table << ": " << page.error().message;
      return {};
    }
    out.insert(out.end(), page->items.begin(), page->items.end());
    token = page->next_token;
  } while (!token.empty());
  return out;
}

std::unique_ptr<query::QueryEngine> OpenEngine(const std::string& lake_root, const std::string& scratch_dir) {
  query::EngineOptions options;
  options.scratch_dir = scratch_dir;
  options.readable_dirs = {lake_root};
  options.memory_limit_bytes = 256 << 20;
  options.threads = 1;
  auto engine = query::QueryEngine::Open(options);
  if (!engine) {
    ADD_FAILURE() << "QueryEngine::Open: " << engine.error().message;
    std::abort();
  }
  return std::move(*engine);
}

}  // namespace cenote::glue::crawler::testing
