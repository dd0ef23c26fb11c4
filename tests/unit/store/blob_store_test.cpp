#include "store/blob_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "common/background_tasks.hpp"
#include "store/free_space.hpp"
#include "temp_dir.hpp"

namespace cenote::store {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

std::string Pattern(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::unique_ptr<BlobStore> OpenStore(const std::string& dir) {
  auto store = BlobStore::OpenLocal(dir);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return std::move(store).value();
}

BlobId Write(BlobStore& store, const std::string& bytes, std::size_t piece = 65536) {
  auto writer = store.Create();
  EXPECT_TRUE(writer.ok());
  for (std::size_t off = 0; off < bytes.size(); off += piece) {
    std::size_t n = std::min(piece, bytes.size() - off);
    EXPECT_TRUE((*writer)->Append(bytes.data() + off, n).ok());
  }
  EXPECT_EQ((*writer)->size(), bytes.size());
  auto id = (*writer)->Commit();
  EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
  return *id;
}

std::string ReadAll(BlobStore& store, const BlobId& id) {
  auto reader = store.Open(id);
  EXPECT_TRUE(reader.ok()) << (reader.ok() ? "" : reader.error().message);
  if (!reader.ok()) return {};
  std::string out((*reader)->size(), '\0');
  std::uint64_t off = 0;
  while (off < out.size()) {
    // Odd-sized reads exercise offsets that are not buffer-aligned.
    auto n = (*reader)->ReadAt(off, out.data() + off, std::min<std::size_t>(77777, out.size() - off));
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) break;
    off += *n;
  }
  EXPECT_EQ(off, out.size());
  return out;
}

std::size_t CountFiles(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

bool IsHexId(const std::string& id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

TEST(LocalBlobStoreTest, WriteCommitReadRoundTrip) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  // Sizes around the 1 MiB write buffer boundary, empty, and pieces larger than the buffer.
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{(1 << 20) - 1}, std::size_t{1 << 20},
                           std::size_t{(1 << 20) + 1}, std::size_t{5 * (1 << 20) + 123}}) {
    std::string bytes = Pattern(size, static_cast<unsigned>(size));
    for (std::size_t piece : {std::size_t{1000}, std::size_t{65536}, std::size_t{3 << 20}}) {
      if (size > 2 << 20 && piece == 1000) continue;  // keep the test fast
      BlobId id = Write(*store, bytes, piece);
      EXPECT_TRUE(IsHexId(id)) << id;
      EXPECT_EQ(ReadAll(*store, id), bytes) << "size " << size << " piece " << piece;
      // Fanned out as <root>/ab/cd/<id>.
      EXPECT_TRUE(fs::exists(dir.path() + "/" + id.substr(0, 2) + "/" + id.substr(2, 2) + "/" + id));
    }
  }
  EXPECT_EQ(CountFiles(dir / "tmp"), 0u);
}

TEST(LocalBlobStoreTest, ReaderEdgesAndFd) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  BlobId id = Write(*store, "hello world");
  auto reader = store->Open(id);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->size(), 11u);
  char buf[32];
  auto n = (*reader)->ReadAt(6, buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "world");
  n = (*reader)->ReadAt(11, buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  n = (*reader)->ReadAt(1000, buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  struct stat st;
  ASSERT_EQ(::fstat((*reader)->fd(), &st), 0);
  EXPECT_EQ(st.st_size, 11);
}

TEST(LocalBlobStoreTest, IdsAreUniqueAndRandom) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::set<BlobId> ids;
  std::set<std::string> after_leaf;
  std::set<std::string> leaves;
  for (int i = 0; i < 200; ++i) {
    BlobId id = Write(*store, "x");
    ids.insert(id);
    leaves.insert(id.substr(0, 4));
    after_leaf.insert(id.substr(4, 2));
  }
  EXPECT_EQ(ids.size(), 200u);
  // Consecutive blobs share a fan-out leaf (ab/cd) so a young store does not create a directory per
  // write; the rest of the id is random: 200 draws over 256 two-hex values give ~140 distinct ones, a
  // counter or a timestamp-based id would give a handful.
  EXPECT_EQ(leaves.size(), 1u);
  EXPECT_GT(after_leaf.size(), 80u);
  for (const BlobId& id : ids) {
    struct stat st {};
    EXPECT_EQ(::stat((dir.path() + "/" + id.substr(0, 2) + "/" + id.substr(2, 2) + "/" + id).c_str(), &st),
              0);
  }
}

TEST(LocalBlobStoreTest, LeafDirectoriesRotate) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  BlobId first = Write(*store, "a");
  for (int i = 0; i < 4095; ++i) {  // ids drawn and given back: the leaf's remaining 4095 uses
    auto writer = store->Create();
    ASSERT_TRUE(writer.ok());
  }
  BlobId second = Write(*store, "b");
  BlobId third = Write(*store, "c");
  EXPECT_NE(first.substr(0, 4), second.substr(0, 4));
  EXPECT_EQ(second.substr(0, 4), third.substr(0, 4));
  EXPECT_EQ(ReadAll(*store, first), "a");
  EXPECT_EQ(ReadAll(*store, third), "c");
}

TEST(LocalBlobStoreTest, OpenUnknownOrMalformedIdIsNoSuchBlob) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  for (const std::string id : {"0123456789abcdef0123456789abcdef", "../../etc/passwd", "", "ABCDEF",
                               "0123456789ABCDEF0123456789ABCDEF"}) {
    auto reader = store->Open(id);
    ASSERT_FALSE(reader.ok()) << id;
    EXPECT_EQ(reader.error().code, "NoSuchBlob");
    EXPECT_EQ(reader.error().http_status, 500);
  }
}

TEST(LocalBlobStoreTest, AbortOnDestructionLeavesNothing) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  {
    auto writer = store->Create();
    ASSERT_TRUE(writer.ok());
    std::string bytes = Pattern(3 << 20, 1);
    ASSERT_TRUE((*writer)->Append(bytes.data(), bytes.size()).ok());
    EXPECT_EQ(CountFiles(dir / "tmp"), 1u);
  }
  EXPECT_EQ(CountFiles(dir / "tmp"), 0u);
  auto ids = store->List();
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());
}

TEST(LocalBlobStoreTest, CommitTwiceAndAppendAfterCommitFail) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  auto writer = store->Create();
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("abc", 3).ok());
  auto id = (*writer)->Commit();
  ASSERT_TRUE(id.ok());
  EXPECT_FALSE((*writer)->Commit().ok());
  EXPECT_FALSE((*writer)->Append("d", 1).ok());
  writer->reset();  // destroying a committed writer must not remove the blob
  EXPECT_EQ(ReadAll(*store, *id), "abc");
}

TEST(LocalBlobStoreTest, CloneDeleteList) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  BlobId a = Write(*store, "alpha");
  BlobId b = Write(*store, "bravo");
  auto c = store->Clone(a);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(*c, a);
  EXPECT_EQ(ReadAll(*store, *c), "alpha");

  auto ids = store->List();
  ASSERT_TRUE(ids.ok());
  std::set<BlobId> listed(ids->begin(), ids->end());
  EXPECT_EQ(listed, (std::set<BlobId>{a, b, *c}));

  ASSERT_TRUE(store->Delete(a).ok());
  EXPECT_EQ(store->Open(a).error().code, "NoSuchBlob");
  EXPECT_EQ(ReadAll(*store, *c), "alpha");  // the clone outlives its source
  EXPECT_TRUE(store->Delete(a).ok());       // idempotent
  EXPECT_TRUE(store->Delete("0123456789abcdef0123456789abcdef").ok());
  EXPECT_TRUE(store->Delete("not-an-id").ok());

  auto missing = store->Clone(a);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "NoSuchBlob");

  ids = store->List();
  ASSERT_TRUE(ids.ok());
  listed = std::set<BlobId>(ids->begin(), ids->end());
  EXPECT_EQ(listed, (std::set<BlobId>{b, *c}));
}

TEST(LocalBlobStoreTest, ListIgnoresForeignFiles) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  BlobId a = Write(*store, "alpha");
  std::string leaf = dir.path() + "/" + a.substr(0, 2) + "/" + a.substr(2, 2);
  std::ofstream(leaf + "/README") << "x";
  std::ofstream(dir / "zz") << "x";
  auto ids = store->List();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<BlobId>{a});
}

TEST(LocalBlobStoreTest, ReopenRemovesTempFilesAndKeepsBlobs) {
  TempDir dir;
  BlobId kept;
  {
    auto store = OpenStore(dir.path());
    kept = Write(*store, "committed");
    // Simulate a crash mid-write: a temp file whose writer never ran its destructor.
    std::ofstream(dir / "tmp/0123456789abcdef0123456789abcdef") << "partial";
    std::ofstream(dir / "tmp/junk") << "partial";
    EXPECT_EQ(CountFiles(dir / "tmp"), 2u);
  }
  auto store = OpenStore(dir.path());
  EXPECT_EQ(CountFiles(dir / "tmp"), 0u);
  EXPECT_EQ(ReadAll(*store, kept), "committed");
  auto ids = store->List();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<BlobId>{kept});
}

TEST(LocalBlobStoreTest, OpenLocalCreatesNestedRoot) {
  TempDir dir;
  auto store = BlobStore::OpenLocal(dir / "a/b/c");
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(fs::is_directory(dir / "a/b/c/tmp"));
  std::ofstream(dir / "file") << "x";
  EXPECT_FALSE(BlobStore::OpenLocal(dir / "file").ok());
}

TEST(LocalBlobStoreTest, CommitAllPublishesEveryWriterInOrder) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  std::vector<std::string> contents = {Pattern(3 << 20, 7), "", "small", Pattern(70000, 8)};
  std::vector<std::unique_ptr<BlobWriter>> writers;
  std::vector<BlobWriter*> raw;
  for (const std::string& bytes : contents) {
    auto writer = store->Create();
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(bytes.data(), bytes.size()).ok());
    raw.push_back(writer->get());
    writers.push_back(std::move(writer).value());
  }
  auto ids = store->CommitAll(raw);
  ASSERT_TRUE(ids.ok()) << ids.error().message;
  ASSERT_EQ(ids->size(), contents.size());
  for (std::size_t i = 0; i < contents.size(); ++i) EXPECT_EQ(ReadAll(*store, (*ids)[i]), contents[i]) << i;
  writers.clear();  // committed writers keep their blobs
  EXPECT_EQ(CountFiles(dir / "tmp"), 0u);
  auto listed = store->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(std::set<BlobId>(listed->begin(), listed->end()), std::set<BlobId>(ids->begin(), ids->end()));

  auto none = store->CommitAll({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(LocalBlobStoreTest, CommitAllFailsWholeWhenOneWriterCannotCommit) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  auto fresh = store->Create();
  auto done = store->Create();
  ASSERT_TRUE(fresh.ok() && done.ok());
  ASSERT_TRUE((*fresh)->Append("fresh", 5).ok());
  ASSERT_TRUE((*done)->Append("done", 4).ok());
  auto done_id = (*done)->Commit();
  ASSERT_TRUE(done_id.ok());
  EXPECT_FALSE(store->CommitAll({fresh->get(), done->get()}).ok());
  fresh->reset();
  auto listed = store->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<BlobId>{*done_id});  // the fresh writer's bytes went nowhere
  EXPECT_EQ(CountFiles(dir / "tmp"), 0u);

  // A writer of another store is refused before anything is written.
  TempDir other_dir;
  auto other = OpenStore(other_dir.path());
  auto foreign = other->Create();
  ASSERT_TRUE(foreign.ok());
  auto refused = store->CommitAll({foreign->get()});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "InternalError");
  EXPECT_TRUE((*foreign)->Commit().ok());
}

TEST(LocalBlobStoreTest, SpareFilesServeWritersAndLeaveNothingBehind) {
  TempDir dir;
  {
    auto opened = BlobStore::OpenLocal(dir.path(), {.spare_files = 4});
    ASSERT_TRUE(opened.ok());
    BlobStore& store = **opened;
    std::vector<std::thread> threads;
    std::vector<std::vector<std::pair<BlobId, std::string>>> written(4);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 20; ++i) {
          std::string bytes = Pattern(100 + static_cast<std::size_t>(i), static_cast<unsigned>(t * 100 + i));
          written[t].emplace_back(Write(store, bytes), bytes);
        }
      });
    }
    for (auto& th : threads) th.join();
    std::set<BlobId> all;
    for (auto& per_thread : written) {
      for (auto& [id, bytes] : per_thread) {
        all.insert(id);
        EXPECT_EQ(ReadAll(store, id), bytes);
      }
    }
    EXPECT_EQ(all.size(), 80u);
    EXPECT_LE(CountFiles(dir / "tmp"), 4u);  // only spares wait there
  }
  EXPECT_EQ(CountFiles(dir / "tmp"), 0u);  // closing the store removes its spares
}

TEST(LocalBlobStoreTest, SpareFilesRunOnTheGivenBackgroundTasks) {
  TempDir dir;
  BackgroundTasks tasks;
  {
    BlobStoreOptions options;
    options.spare_files = 2;
    options.tasks = &tasks;
    auto opened = BlobStore::OpenLocal(dir.path(), options);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(tasks.Running(), std::vector<std::string>{"blob-store spare files"});
    std::string bytes = Pattern(1000, 7);
    EXPECT_EQ(ReadAll(**opened, Write(**opened, bytes)), bytes);
    // The platform stops its tasks before it destroys the stores: writers then make their own files.
    tasks.StopAll();
    for (int i = 0; i < 5; ++i) EXPECT_EQ(ReadAll(**opened, Write(**opened, bytes)), bytes);
  }
  EXPECT_EQ(CountFiles(dir / "tmp"), 0u);
}

// A reserve over a pretend filesystem whose free space the test sets.
struct PretendDisk {
  std::atomic<std::uint64_t> available{0};
  std::unique_ptr<FreeSpaceReserve> reserve;

  PretendDisk(std::uint64_t free_bytes, const char* min_free) : available(free_bytes) {
    auto opened = FreeSpaceReserve::OpenWithProbe(
        [this]() -> Result<FilesystemSpace> {
          return FilesystemSpace{1ull << 40, available.load()};
        },
        ParseMinFreeSpace(min_free).value());
    reserve = std::move(opened).value();
  }
};

TEST(LocalBlobStoreTest, WritesStopAtTheFreeSpaceReserve) {
  TempDir dir;
  PretendDisk disk(8 << 20, "4MiB");  // 4 MiB above the reserve
  BlobStoreOptions options;
  options.reserve = disk.reserve.get();
  options.spare_files = 1;
  auto opened = BlobStore::OpenLocal(dir.path(), options);
  ASSERT_TRUE(opened.ok());
  BlobStore& store = **opened;

  EXPECT_TRUE(store.Admit(4 << 20).ok());
  Status declared = store.Admit((4 << 20) + 1);
  ASSERT_FALSE(declared.ok());
  EXPECT_EQ(declared.error().code, "InsufficientStorage");

  // A body of unknown length is admitted per buffered MiB as it is written: 6 MiB in 64 KiB pieces stops
  // with the write that would cross the reserve, before its bytes reach the disk.
  std::string piece = Pattern(64 << 10, 3);
  {
    auto writer = store.Create();
    ASSERT_TRUE(writer.ok());
    Status failed = Status::Ok();
    std::uint64_t appended = 0;
    for (int i = 0; i < 96 && failed.ok(); ++i) {
      failed = (*writer)->Append(piece.data(), piece.size());
      if (failed.ok()) {
        appended += piece.size();
        // What a real disk would show: written bytes are no longer free.
        disk.available = (8ull << 20) - std::min<std::uint64_t>(appended / (1 << 20) * (1 << 20), 8ull << 20);
      }
    }
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, "InsufficientStorage");
    EXPECT_EQ(failed.error().http_status, 507);
    EXPECT_LE(appended, 5ull << 20);
    EXPECT_FALSE((*writer)->Commit().ok()) << "a refused writer cannot be committed";
  }
  EXPECT_LE(CountFiles(dir / "tmp"), 1u) << "the refused body's temp file went with its writer";

  // Space comes back (a delete): writes work again, Delete and Clone never need room.
  disk.available = 8 << 20;
  std::string bytes = Pattern(2 << 20, 5);
  BlobId id = Write(store, bytes);
  disk.available = 4 << 20;  // at the reserve
  auto clone = store.Clone(id);
  ASSERT_TRUE(clone.ok());
  EXPECT_TRUE(store.Delete(*clone).ok());
  EXPECT_TRUE(store.Delete(id).ok());
  auto small = store.Create();
  ASSERT_TRUE(small.ok());
  ASSERT_TRUE((*small)->Append("x", 1).ok());  // buffered: nothing written yet
  EXPECT_FALSE((*small)->Commit().ok()) << "even a small body is refused at the reserve";
}

TEST(LocalBlobStoreTest, ConcurrentWriters) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::vector<std::pair<BlobId, std::string>>> written(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string bytes = Pattern(1000 + static_cast<std::size_t>(t * 7919 + i * 131), t * 1000 + i);
        auto writer = store->Create();
        if (!writer.ok()) {
          ++failures;
          continue;
        }
        // Interleave small appends so that writers really overlap.
        for (std::size_t off = 0; off < bytes.size(); off += 100) {
          if (!(*writer)->Append(bytes.data() + off, std::min<std::size_t>(100, bytes.size() - off)).ok()) {
            ++failures;
          }
        }
        auto id = (*writer)->Commit();
        if (!id.ok()) {
          ++failures;
          continue;
        }
        written[t].emplace_back(*id, bytes);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<BlobId> all;
  for (auto& per_thread : written) {
    for (auto& [id, bytes] : per_thread) {
      all.insert(id);
      EXPECT_EQ(ReadAll(*store, id), bytes);
    }
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
  auto ids = store->List();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(std::set<BlobId>(ids->begin(), ids->end()), all);
  EXPECT_EQ(CountFiles(dir / "tmp"), 0u);
}

}  // namespace
}  // namespace cenote::store
