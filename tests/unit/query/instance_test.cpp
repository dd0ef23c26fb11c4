// The DuckDB instance's lockdown (src/query/instance.cpp): what trusted SQL may read and write, the locked
// configuration, the allocator setting, and what LockDown hands the engine.
#include "query/instance.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/types.h>

#include <algorithm>
#include <filesystem>

#include "query/connections.hpp"
#include "query_test_util.hpp"

namespace cenote::query {
namespace {

using testing::EngineFixture;

class InstanceTest : public EngineFixture {};

TEST_F(InstanceTest, TrustedSqlReadsAllowedDirectories) {
  Trusted("COPY (SELECT 1 AS a, 'x' AS b) TO '" + Data("t.csv") + "' (HEADER true)");
  auto rows = engine_->ExecuteTrusted("SELECT * FROM read_csv('" + Data("t.csv") + "')");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][0], "1");
  EXPECT_EQ((*rows)[0][1], "x");
  auto nulls = engine_->ExecuteTrusted("SELECT NULL, 2");
  ASSERT_TRUE(nulls.ok());
  EXPECT_FALSE((*nulls)[0][0].has_value());
  auto described = engine_->ExecuteTrusted("DESCRIBE SELECT * FROM read_csv('" + Data("t.csv") + "')");
  ASSERT_TRUE(described.ok()) << described.error().message;
  EXPECT_EQ(DuckDbTypeToGlue(*(*described)[0][1]), "bigint");
}

TEST_F(InstanceTest, TrustedSqlCannotLeaveTheSandboxDirectories) {
  EXPECT_FALSE(engine_->ExecuteTrusted("SELECT * FROM read_csv('/etc/passwd')").ok());
  EXPECT_FALSE(engine_->ExecuteTrusted("SELECT * FROM read_text('/etc/hostname')").ok());
  EXPECT_FALSE(engine_->ExecuteTrusted("SELECT * FROM glob('/etc/*')").ok());
  EXPECT_FALSE(engine_->ExecuteTrusted("COPY (SELECT 1) TO '" + dir_ / "outside/x.csv" + "'").ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "outside/x.csv"));
  EXPECT_FALSE(engine_->ExecuteTrusted("SELECT * FROM read_csv('" + Data("../outside/x.csv") + "')").ok());
}

TEST_F(InstanceTest, ConfigurationIsLocked) {
  EXPECT_FALSE(engine_->ExecuteTrusted("SET enable_external_access = true").ok());
  EXPECT_FALSE(engine_->ExecuteTrusted("SET allowed_directories = ['/']").ok());
  EXPECT_FALSE(engine_->ExecuteTrusted("SET lock_configuration = false").ok());
  EXPECT_FALSE(engine_->ExecuteTrusted("RESET lock_configuration").ok());
  EXPECT_FALSE(engine_->ExecuteTrusted("SET memory_limit = '100GB'").ok());
  EXPECT_FALSE(engine_->ExecuteTrusted("INSTALL httpfs").ok());
  EXPECT_FALSE(engine_->ExecuteTrusted("LOAD httpfs").ok());
  auto limit = engine_->ExecuteTrusted("SELECT current_setting('memory_limit')");
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ((*limit)[0][0], "512.0 MiB");
  auto threads = engine_->ExecuteTrusted("SELECT current_setting('threads')");
  ASSERT_TRUE(threads.ok());
  EXPECT_EQ((*threads)[0][0], "2");
}

// The engine sets how long DuckDB's allocator (its bundled jemalloc) keeps freed memory. Skipped where
// libduckdb does not export jemalloc's control call (the engine then keeps DuckDB's default).
TEST_F(InstanceTest, AllocatorDecayIsSet) {
  using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
  auto* mallctl = reinterpret_cast<Mallctl>(::dlsym(RTLD_DEFAULT, "duckdb_je_mallctl"));
  if (mallctl == nullptr) GTEST_SKIP() << "libduckdb does not export duckdb_je_mallctl";
  EngineOptions options;
  options.scratch_dir = dir_ / "scratch2";
  options.allocator_decay_ms = 12345;
  auto engine = QueryEngine::Open(options);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  for (const char* name : {"arenas.dirty_decay_ms", "arenas.muzzy_decay_ms", "arena.0.dirty_decay_ms"}) {
    ssize_t decay = 0;
    std::size_t size = sizeof(decay);
    ASSERT_EQ(mallctl(name, &decay, &size, nullptr, 0), 0) << name;
    EXPECT_EQ(decay, 12345) << name;
  }
}

// LockDown directly: the prefixes DuckDB may read (as given and with symlinks resolved) and the sandbox
// policy read back from the locked instance.
TEST_F(InstanceTest, LockDownReportsPrefixesAndPolicy) {
  std::filesystem::create_directories(dir_ / "real");
  std::filesystem::create_directory_symlink(dir_ / "real", dir_ / "alias");
  auto db = internal::Database::Open();
  ASSERT_TRUE(db.ok()) << db.error().message;
  {
    internal::ConnectionPool pool(db->get());
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    EngineOptions options;
    options.scratch_dir = dir_ / "scratch3";
    options.readable_dirs = {dir_ / "alias"};
    options.threads = 1;
    auto locked = internal::LockDown(lease->get(), options);
    ASSERT_TRUE(locked.ok()) << locked.error().message;
    const auto& prefixes = locked->private_prefixes;
    auto has = [&](const std::string& p) {
      return std::find(prefixes.begin(), prefixes.end(), p) != prefixes.end();
    };
    EXPECT_TRUE(has(dir_ / "alias/")) << ::testing::PrintToString(prefixes);
    EXPECT_TRUE(has(std::filesystem::canonical(dir_ / "real").string() + "/"))
        << ::testing::PrintToString(prefixes);
    EXPECT_TRUE(has(dir_ / "scratch3/")) << ::testing::PrintToString(prefixes);
    EXPECT_TRUE(std::filesystem::is_directory(dir_ / "scratch3/duckdb_tmp"));
    EXPECT_TRUE(locked->policy.aggregate_functions.count("sum"));
    EXPECT_TRUE(locked->policy.aggregate_functions.count("count_star"));
    EXPECT_FALSE(locked->policy.aggregate_functions.count("lower"));
    EXPECT_TRUE(locked->policy.builtin_relations.count("duckdb_tables"));
    EXPECT_TRUE(locked->policy.builtin_relations.count("information_schema"));
    // Locked: no statement can change a setting any more.
    auto rows = internal::QueryRows(lease->get(), "SELECT current_setting('lock_configuration')");
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    EXPECT_EQ((*rows)[0][0], "true");
  }
}

TEST_F(InstanceTest, LockDownFailureNamesTheStep) {
  auto db = internal::Database::Open();
  ASSERT_TRUE(db.ok()) << db.error().message;
  internal::ConnectionPool pool(db->get());
  auto lease = pool.Acquire();
  ASSERT_TRUE(lease.ok());
  std::ofstream(dir_ / "blocker") << "a file, not a directory";
  EngineOptions options;
  options.scratch_dir = dir_ / "blocker/scratch";
  auto locked = internal::LockDown(lease->get(), options);
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().code, "INTERNAL_ERROR_QUERY_ENGINE");
  EXPECT_NE(locked.error().message.find("cannot create the scratch directory"), std::string::npos);
}

}  // namespace
}  // namespace cenote::query
