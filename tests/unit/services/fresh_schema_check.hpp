// A component's FreshSchema against its migrations: both run on new stores and must leave the same tables
// and indexes. With CENOTE_UPDATE_FRESH_SCHEMAS=1 in the environment the check rewrites the component's
// fresh_schema.inc from its migrations instead (after a migration is added), and the next run checks it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "../store/temp_dir.hpp"
#include "store/metadata_store.hpp"

namespace cenote::testing {

// `inc_path` is relative to the source tree (CENOTE_SOURCE_DIR), e.g. "src/services/s3/fresh_schema.inc".
inline void CheckFreshSchema(std::string_view component, const std::vector<std::string>& migrations,
                             store::FreshSchema fresh, const std::string& source_dir,
                             const std::string& inc_path) {
  store::testing::TempDir dir;
  auto stepped = store::MetadataStore::OpenSqlite(dir / "stepped.db");
  ASSERT_TRUE(stepped.ok());
  ASSERT_TRUE((*stepped)->Migrate(component, migrations).ok());
  auto expected = (*stepped)->SchemaStatements();
  ASSERT_TRUE(expected.ok());
  ASSERT_FALSE(expected->empty());

  const char* update = std::getenv("CENOTE_UPDATE_FRESH_SCHEMAS");
  if (update != nullptr && std::string_view(update) == "1") {
    std::string text =
        "// Generated from the migrations of component \"" + std::string(component) +
        "\" by its FreshSchema unit test\n// (CENOTE_UPDATE_FRESH_SCHEMAS=1 ctest -R FreshSchema). "
        "Do not edit: add a migration, then regenerate.\n// clang-format off\n{" +
        std::to_string(migrations.size()) + ", R\"sql(\n";
    for (const auto& statement : *expected) text += statement + ";\n";
    text += ")sql\"}\n// clang-format on\n";
    std::ofstream out(source_dir + "/" + inc_path, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good()) << "could not write " << inc_path;
    return;
  }

  EXPECT_EQ(fresh.version, static_cast<std::int64_t>(migrations.size()))
      << inc_path << " is for another schema version: regenerate it (CENOTE_UPDATE_FRESH_SCHEMAS=1)";
  auto created = store::MetadataStore::OpenSqlite(dir / "fresh.db");
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE((*created)->Migrate(component, migrations, fresh).ok());
  auto actual = (*created)->SchemaStatements();
  ASSERT_TRUE(actual.ok());
  EXPECT_EQ(*actual, *expected) << inc_path << " does not match the migrations: regenerate it "
                                << "(CENOTE_UPDATE_FRESH_SCHEMAS=1)";
  // The fresh store records the same version, so a later migration applies to both alike.
  EXPECT_TRUE((*created)->Migrate(component, migrations).ok());
  EXPECT_EQ((*created)->TakeMigrationSummary(), std::string(component) + " v" +
                                                    std::to_string(migrations.size()) + " (" +
                                                    std::to_string(migrations.size()) + " migrations)");
}

}  // namespace cenote::testing
