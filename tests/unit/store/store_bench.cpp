// Throughput probe for the storage layer (not a test; built only on request:
//   cmake --build <dir> --target cenote_store_bench && <dir>/tests/unit/store/cenote_store_bench [dir] [MiB]
// Prints MB/s for one large blob written through Append (the S3 PUT path) including Commit's fsyncs,
// and commits/s for small metadata write transactions (which bound the S3 PUT rate).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store/blob_store.hpp"
#include "store/metadata_store.hpp"

using namespace cenote::store;
using Clock = std::chrono::steady_clock;

static double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp/cenote-store-bench";
  std::size_t mib = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1024;
  std::filesystem::remove_all(dir);
  auto blobs = BlobStore::OpenLocal(dir + "/blobs");
  if (!blobs.ok()) return 1;
  for (std::size_t piece : {std::size_t{64 << 10}, std::size_t{1 << 20}}) {
    std::string buf(piece, 'x');
    for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<char>(i * 131);
    auto start = Clock::now();
    auto writer = (*blobs)->Create();
    if (!writer.ok()) return 1;
    std::uint64_t total = static_cast<std::uint64_t>(mib) << 20;
    for (std::uint64_t off = 0; off < total; off += piece) {
      if (!(*writer)->Append(buf.data(), piece).ok()) return 1;
    }
    auto id = (*writer)->Commit();
    if (!id.ok()) return 1;
    double s = Seconds(start);
    std::printf("blob write %zu MiB in %zu KiB pieces incl. fsync: %.2f s, %.0f MB/s\n", mib, piece >> 10, s,
                static_cast<double>(total) / 1e6 / s);
    if (!(*blobs)->Delete(*id).ok()) return 1;
  }

  auto meta = MetadataStore::OpenSqlite(dir + "/meta.db");
  if (!meta.ok()) return 1;
  if (!(*meta)->Migrate("bench", {"CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)"}).ok()) return 1;
  for (int threads : {1, 4}) {
    int per_thread = 500 / threads;
    auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          auto txn = (*meta)->Begin(MetadataStore::Mode::kWrite);
          if (!txn.ok()) std::abort();
          std::string key = std::to_string(threads) + "/" + std::to_string(t) + "/" + std::to_string(i);
          if (!(*txn)->Exec("INSERT INTO t (k, v) VALUES (?, ?)", {key, Blob{std::string(300, 'm')}}).ok() ||
              !(*txn)->Commit().ok()) {
            std::abort();
          }
        }
      });
    }
    for (auto& w : workers) w.join();
    double s = Seconds(start);
    std::printf("metadata write txns (1 insert, %d thread(s)): %.0f commits/s\n", threads,
                threads * per_thread / s);
  }

  // The S3 PUT shape for small objects: blob Create/Append/Commit, then one metadata transaction.
  std::string small(4096, 's');
  for (bool with_metadata : {false, true}) {
    for (int threads : {1, 4}) {
      int per_thread = 200 / threads;
      auto start = Clock::now();
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          for (int i = 0; i < per_thread; ++i) {
            auto writer = (*blobs)->Create();
            if (!writer.ok() || !(*writer)->Append(small.data(), small.size()).ok()) std::abort();
            auto id = (*writer)->Commit();
            if (!id.ok()) std::abort();
            if (!with_metadata) continue;
            auto txn = (*meta)->Begin(MetadataStore::Mode::kWrite);
            if (!txn.ok()) std::abort();
            std::string key =
                "put/" + std::to_string(threads) + "/" + std::to_string(t) + "/" + std::to_string(i);
            if (!(*txn)->Exec("INSERT INTO t (k, v) VALUES (?, ?)", {key, Blob{*id}}).ok() ||
                !(*txn)->Commit().ok()) {
              std::abort();
            }
          }
        });
      }
      for (auto& w : workers) w.join();
      double s = Seconds(start);
      std::printf("%s (4 KiB, %d thread(s)): %.0f /s\n",
                  with_metadata ? "small PUT = blob commit + metadata txn" : "small blob commits", threads,
                  threads * per_thread / s);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
