// What the crawler tests run against: a LakeAccess over a directory (bucket = subdirectory, key = relative
// path) that lets a test hold a crawl at ListObjects, a Gate for that, and the real Catalog and
// QueryEngine opened in the test's temp dir.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../../lake_put_each.hpp"
#include "query/engine.hpp"
#include "services/glue/catalog.hpp"
#include "services/glue/crawler/crawlers.hpp"
#include "services/s3/lake_access.hpp"
#include "store/metadata_store.hpp"

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
  Result<std::vector<s3::LakeObject>> PutObjects(
      const std::string& bucket, const std::vector<s3::LakePut>& puts,
      const std::function<Status(store::Transaction&)>& also) override {
    return s3::testing::PutEach(*this, bucket, puts, also);
  }
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

// The account and region the crawler tests work in.
inline constexpr const char* kAccount = "000000000000";
inline constexpr const char* kRegion = "us-east-1";

// The real Glue catalog over a SQLite MetadataStore, as the server runs it: every region's (`all`) and
// kAccount's catalog in kRegion, which `->` and `*` reach. Both openers abort the test binary on failure
// (a fixture cannot go on without them).
struct TestCatalog {
  std::unique_ptr<Catalog> all;
  std::unique_ptr<RegionalCatalog> regional;
  RegionalCatalog* operator->() const { return regional.get(); }
  RegionalCatalog& operator*() const { return *regional; }
};
std::unique_ptr<store::MetadataStore> OpenSqliteMetadata(const std::string& path);
TestCatalog OpenCatalog(store::MetadataStore& metadata);

// A request of kAccount's root user in `region`.
aws::RequestContext RequestIn(const std::string& region = kRegion);
// Calls the crawler operation `op` (its Glue name) as the provider does.
Result<aws::OperationOutput> CallCrawlers(Crawlers& crawlers, const aws::RequestContext& ctx,
                                          std::string_view op, const boost::json::object& in);

// What tests read back from the catalog: how many versions a table has (the current one included,
// so 1 after creation) and all its partitions in partition-value order. A missing table fails the
// test and reads as none.
int TableVersionCount(RegionalCatalog& catalog, const std::string& database, const std::string& table);
std::vector<object> AllPartitions(RegionalCatalog& catalog, const std::string& database,
                                  const std::string& table);

// The real QueryEngine, locked down to `lake_root` (readable) and `scratch_dir`, one thread, 256 MiB.
// The crawler runs its trusted SQL on it; tests also write Parquet fixtures into the lake with it.
std::unique_ptr<query::QueryEngine> OpenEngine(const std::string& lake_root, const std::string& scratch_dir);

}  // namespace cenote::glue::crawler::testing
