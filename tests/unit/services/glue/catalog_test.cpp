// glue::Catalog on a temp-dir SQLite MetadataStore.
#include "services/glue/catalog.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/temp_dir.hpp"

namespace cenote::glue {
namespace {

namespace json = boost::json;

object Obj(const char* text) { return json::parse(text).as_object(); }

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto md = store::MetadataStore::OpenSqlite(dir_ / "meta.db");
    ASSERT_TRUE(md.ok()) << md.error().message;
    metadata_ = std::move(md).value();
    auto c = Catalog::Open(*metadata_, "123456789012", "us-east-1");
    ASSERT_TRUE(c.ok()) << c.error().message;
    all_ = std::move(c).value();
    catalog_ = all_->ForRegion("123456789012", "us-east-1");
  }

  void MakeDb(const std::string& name) { ASSERT_TRUE(catalog_->CreateDatabase(object{{"Name", name}}).ok()); }
  object SalesTable(const std::string& name = "sales") {
    object t = Obj(R"({
      "Description": "daily sales",
      "TableType": "EXTERNAL_TABLE",
      "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
      "StorageDescriptor": {
        "Columns": [{"Name": "id", "Type": "bigint", "Comment": "the id"}, {"Name": "Amount", "Type": "double"}],
        "Location": "s3://lake/sales/",
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "Compressed": false,
        "NumberOfBuckets": -1,
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                      "Parameters": {"field.delim": ","}},
        "BucketColumns": [], "SortColumns": [], "StoredAsSubDirectories": false
      },
      "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "region", "Type": "string"}]
    })");
    t["Name"] = name;
    return t;
  }
  object Part(const std::string& year, const std::string& region) {
    return object{
        {"Values", json::array{json::value(year), json::value(region)}},
        {"StorageDescriptor", {{"Location", "s3://lake/sales/year=" + year + "/region=" + region + "/"}}}};
  }
  std::vector<std::string> Names(const Page& p, const char* member = "Name") {
    std::vector<std::string> out;
    for (const auto& o : p.items) out.emplace_back(o.at(member).as_string());
    return out;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<Catalog> all_;
  std::unique_ptr<RegionalCatalog> catalog_;
};

TEST_F(CatalogTest, DatabaseLifecycle) {
  object in = Obj(R"({"Name": "Analytics", "Description": "desc", "LocationUri": "s3://lake/",
                      "Parameters": {"k": "v"}})");
  ASSERT_TRUE(catalog_->CreateDatabase(in).ok());
  auto db = catalog_->GetDatabase("ANALYTICS");
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ(db->at("Name").as_string(), "analytics");
  EXPECT_EQ(db->at("Description").as_string(), "desc");
  EXPECT_EQ(db->at("LocationUri").as_string(), "s3://lake/");
  EXPECT_EQ(db->at("Parameters").at("k").as_string(), "v");
  EXPECT_EQ(db->at("CatalogId").as_string(), "123456789012");
  EXPECT_GT(db->at("CreateTime").as_int64(), 1600000000000);
  EXPECT_EQ(db->at("CreateTableDefaultPermissions").as_array().size(), 1u);
  EXPECT_EQ(catalog_->catalog_id(), "123456789012");

  auto dup = catalog_->CreateDatabase(object{{"Name", "analytics"}});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "AlreadyExistsException");
  EXPECT_EQ(dup.error().message, "Database already exists.");
  EXPECT_EQ(dup.error().http_status, 400);

  const std::int64_t created = db->at("CreateTime").as_int64();
  ASSERT_TRUE(
      catalog_->UpdateDatabase("analytics", Obj(R"({"Name": "analytics", "Description": "new"})")).ok());
  db = catalog_->GetDatabase("analytics");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->at("Description").as_string(), "new");
  EXPECT_FALSE(db->contains("LocationUri"));
  EXPECT_EQ(db->at("CreateTime").as_int64(), created);

  ASSERT_TRUE(catalog_->DeleteDatabase("Analytics").ok());
  auto gone = catalog_->GetDatabase("analytics");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "EntityNotFoundException");
  EXPECT_EQ(gone.error().message, "Database analytics not found.");
  auto del = catalog_->DeleteDatabase("analytics");
  ASSERT_FALSE(del.ok());
  EXPECT_EQ(del.error().code, "EntityNotFoundException");
  auto upd = catalog_->UpdateDatabase("nope", object{{"Name", "nope"}});
  ASSERT_FALSE(upd.ok());
  EXPECT_EQ(upd.error().code, "EntityNotFoundException");
}

TEST_F(CatalogTest, ErrorsCarryTheModeledMessageMember) {
  auto e = catalog_->GetDatabase("missing");
  ASSERT_FALSE(e.ok());
  ASSERT_EQ(e.error().fields.size(), 1u);
  EXPECT_EQ(e.error().fields[0].first, "Message");
  EXPECT_EQ(e.error().fields[0].second, "Database missing not found.");
}

// The model's constraints, answered as Glue's API answers them (ValidationException in the parse stage's
// words) for the catalog's callers that are not requests: Athena's DDL, crawlers.
TEST_F(CatalogTest, DatabaseNameValidation) {
  auto missing = catalog_->CreateDatabase(object{{"Description", "x"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ValidationException");
  EXPECT_EQ(missing.error().message,
            "1 validation error detected: Value null at 'databaseInput.name' failed to satisfy constraint: "
            "Member must not be null");
  auto empty = catalog_->CreateDatabase(object{{"Name", ""}});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "ValidationException");
  EXPECT_EQ(empty.error().message,
            "1 validation error detected: Value '' at 'databaseInput.name' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1");
  auto longname = catalog_->CreateDatabase(object{{"Name", std::string(256, 'a')}});
  ASSERT_FALSE(longname.ok());
  EXPECT_EQ(longname.error().code, "ValidationException");
  EXPECT_EQ(longname.error().message, "1 validation error detected: Value '" + std::string(256, 'a') +
                                          "' at 'databaseInput.name' failed to satisfy constraint: Member "
                                          "must have length less than or equal to 255");
  EXPECT_EQ(longname.error().fields.at(0).second, longname.error().message);
  EXPECT_TRUE(catalog_->CreateDatabase(object{{"Name", std::string(255, 'a')}}).ok());
  // 255 characters, not bytes: "é" is two bytes in UTF-8.
  std::string accents;
  for (int i = 0; i < 255; ++i) accents += "\xc3\xa9";
  EXPECT_TRUE(catalog_->CreateDatabase(object{{"Name", accents}}).ok());
  auto newline = catalog_->CreateDatabase(object{{"Name", "a\nb"}});
  ASSERT_FALSE(newline.ok());
  EXPECT_EQ(newline.error().code, "ValidationException");
  EXPECT_EQ(newline.error().message,
            "1 validation error detected: Value 'a\nb' at 'databaseInput.name' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: "
            "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*");
  // Slashes, hyphens and spaces are within Glue's single-line pattern.
  EXPECT_TRUE(catalog_->CreateDatabase(object{{"Name", "a/b-c d"}}).ok());
  auto not_string = catalog_->CreateDatabase(object{{"Name", 5}});
  ASSERT_FALSE(not_string.ok());
  EXPECT_EQ(not_string.error().code, "InvalidInputException");
  auto description = catalog_->CreateDatabase(object{{"Name", "d"}, {"Description", std::string(2049, 'x')}});
  ASSERT_FALSE(description.ok());
  EXPECT_EQ(description.error().code, "ValidationException");
  EXPECT_NE(description.error().message.find("...(truncated)' at 'databaseInput.description' failed to "
                                             "satisfy constraint: Member must have length less than or "
                                             "equal to 2048"),
            std::string::npos)
      << description.error().message;
  // Glue answers a rename through UpdateDatabase in these words.
  auto rename = catalog_->UpdateDatabase(std::string(255, 'a'), object{{"Name", "other"}});
  ASSERT_FALSE(rename.ok());
  EXPECT_EQ(rename.error().code, "InvalidInputException");
  EXPECT_EQ(rename.error().message, "Database cannot be renamed");
}

TEST_F(CatalogTest, GetDatabasesPaginates) {
  for (int i = 0; i < 7; ++i) MakeDb("db" + std::to_string(i));
  std::vector<std::string> all;
  std::string token;
  int pages = 0;
  do {
    auto p = catalog_->GetDatabases(token, 3);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_LE(p->items.size(), 3u);
    for (auto& n : Names(*p)) all.push_back(n);
    token = p->next_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(all, (std::vector<std::string>{"db0", "db1", "db2", "db3", "db4", "db5", "db6"}));
  auto exact = catalog_->GetDatabases("", 7);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->items.size(), 7u);
  EXPECT_TRUE(exact->next_token.empty());
  auto bad = catalog_->GetDatabases("garbage!!", 3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidInputException");
}

TEST_F(CatalogTest, TableRoundTripsExactly) {
  MakeDb("lake");
  object in = SalesTable("Sales");
  // TableTypeString and ViewTextString have no pattern in Glue's model: control characters are kept.
  in["ViewOriginalText"] = "/* Presto View: \x01 */";
  in["ViewExpandedText"] = "/* Presto View */";
  in["TableType"] = "EXTERNAL\x02TABLE";
  in["Owner"] = "hadoop";
  ASSERT_TRUE(catalog_->CreateTable("LAKE", in).ok());
  auto t = catalog_->GetTable("lake", "SALES");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->at("Name").as_string(), "sales");
  EXPECT_EQ(t->at("DatabaseName").as_string(), "lake");
  EXPECT_EQ(t->at("VersionId").as_string(), "0");
  EXPECT_EQ(t->at("CatalogId").as_string(), "123456789012");
  EXPECT_EQ(t->at("Retention").as_int64(), 0);
  EXPECT_FALSE(t->at("IsRegisteredWithLakeFormation").as_bool());
  EXPECT_EQ(t->at("CreateTime").as_int64(), t->at("UpdateTime").as_int64());
  // Every member the client sent comes back unchanged, except that Glue folds top-level column names.
  EXPECT_EQ(t->at("StorageDescriptor").at("Columns").at(1).at("Name").as_string(), "amount");
  in["StorageDescriptor"].as_object()["Columns"].as_array()[1].as_object()["Name"] = "amount";
  for (const auto& [k, v] : in) {
    if (k == "Name") continue;
    EXPECT_EQ(t->at(k), v) << k;
  }

  auto dup = catalog_->CreateTable("lake", SalesTable());
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "AlreadyExistsException");
  EXPECT_EQ(dup.error().message, "Table already exists.");
  auto nodb = catalog_->CreateTable("nodb", SalesTable());
  ASSERT_FALSE(nodb.ok());
  EXPECT_EQ(nodb.error().code, "EntityNotFoundException");
  EXPECT_EQ(nodb.error().message, "Database nodb not found.");
  auto missing = catalog_->GetTable("lake", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "EntityNotFoundException");
  EXPECT_EQ(missing.error().message, "Table nope not found.");
}

TEST_F(CatalogTest, TableInputValidation) {
  MakeDb("lake");
  auto noname = catalog_->CreateTable("lake", object{{"TableType", "EXTERNAL_TABLE"}});
  ASSERT_FALSE(noname.ok());
  EXPECT_EQ(noname.error().code, "ValidationException");
  object badcol = SalesTable();
  badcol["StorageDescriptor"].as_object()["Columns"] = json::array{object{{"Type", "int"}}};
  auto bc = catalog_->CreateTable("lake", badcol);
  ASSERT_FALSE(bc.ok());
  EXPECT_EQ(bc.error().code, "ValidationException");
  EXPECT_EQ(bc.error().message,
            "1 validation error detected: Value null at 'tableInput.storageDescriptor.columns.1.member.name' "
            "failed to satisfy constraint: Member must not be null");
  object longcol = SalesTable();
  longcol["StorageDescriptor"].as_object()["Columns"] =
      json::array{object{{"Name", "a"}, {"Type", "int"}}, object{{"Name", std::string(256, 'c')}}};
  auto lc = catalog_->CreateTable("lake", longcol);
  ASSERT_FALSE(lc.ok());
  EXPECT_EQ(lc.error().code, "ValidationException");
  EXPECT_EQ(lc.error().message, "1 validation error detected: Value '" + std::string(256, 'c') +
                                    "' at 'tableInput.storageDescriptor.columns.2.member.name' failed to "
                                    "satisfy constraint: Member must have length less than or equal to 255");
  object duppk = SalesTable();
  duppk["PartitionKeys"] = json::array{object{{"Name", "a"}}, object{{"Name", "A"}}};
  auto dp = catalog_->CreateTable("lake", duppk);
  ASSERT_FALSE(dp.ok());
  EXPECT_EQ(dp.error().code, "InvalidInputException");
  object neg = SalesTable();
  neg["Retention"] = -1;
  EXPECT_FALSE(catalog_->CreateTable("lake", neg).ok());
  auto none = catalog_->GetTables("lake", "", "", 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->items.empty());
}

TEST_F(CatalogTest, GetTablesFiltersAndPaginates) {
  MakeDb("lake");
  for (const char* n : {"sales_2023", "sales_2024", "orders", "Sales_eu", "customers"}) {
    ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable(n)).ok());
  }
  auto all = catalog_->GetTables("lake", "", "", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Names(*all),
            (std::vector<std::string>{"customers", "orders", "sales_2023", "sales_2024", "sales_eu"}));
  auto sales = catalog_->GetTables("lake", "sales*", "", 0);
  ASSERT_TRUE(sales.ok());
  EXPECT_EQ(Names(*sales), (std::vector<std::string>{"sales_2023", "sales_2024", "sales_eu"}));
  auto regex = catalog_->GetTables("lake", "sales_20.*", "", 0);
  ASSERT_TRUE(regex.ok());
  EXPECT_EQ(Names(*regex), (std::vector<std::string>{"sales_2023", "sales_2024"}));
  auto alt = catalog_->GetTables("lake", "orders|CUSTOMERS", "", 0);
  ASSERT_TRUE(alt.ok());
  EXPECT_EQ(Names(*alt), (std::vector<std::string>{"customers", "orders"}));
  auto exact = catalog_->GetTables("lake", "sales", "", 0);
  ASSERT_TRUE(exact.ok());
  EXPECT_TRUE(exact->items.empty());

  auto p1 = catalog_->GetTables("lake", "sales*", "", 2);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(Names(*p1), (std::vector<std::string>{"sales_2023", "sales_2024"}));
  ASSERT_FALSE(p1->next_token.empty());
  auto p2 = catalog_->GetTables("lake", "sales*", p1->next_token, 2);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(Names(*p2), (std::vector<std::string>{"sales_eu"}));
  EXPECT_TRUE(p2->next_token.empty());

  auto bad = catalog_->GetTables("lake", "sales[", "", 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidInputException");
  auto evil = catalog_->GetTables("lake", "(a*)*b", "", 0);
  ASSERT_FALSE(evil.ok());
  EXPECT_EQ(evil.error().code, "InvalidInputException");
  auto nodb = catalog_->GetTables("nodb", "", "", 0);
  ASSERT_FALSE(nodb.ok());
  EXPECT_EQ(nodb.error().code, "EntityNotFoundException");
}

TEST_F(CatalogTest, GetTablesPaginatesAcrossScanChunks) {
  MakeDb("lake");
  for (int i = 0; i < 1203; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "t%05d", i);
    object t{{"Name", name}};
    ASSERT_TRUE(catalog_->CreateTable("lake", t).ok());
  }
  // Only every 100th name matches: the scan crosses several chunks for each page.
  std::vector<std::string> got;
  std::string token;
  int pages = 0;
  do {
    auto p = catalog_->GetTables("lake", "t...00", token, 5);
    ASSERT_TRUE(p.ok()) << p.error().message;
    for (auto& n : Names(*p)) got.push_back(n);
    token = p->next_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  ASSERT_EQ(got.size(), 13u);
  EXPECT_EQ(got.front(), "t00000");
  EXPECT_EQ(got.back(), "t01200");
  EXPECT_EQ(pages, 3);
}

TEST_F(CatalogTest, UpdateTableArchivesVersions) {
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  auto v0 = catalog_->GetTable("lake", "sales");
  ASSERT_TRUE(v0.ok());
  object in = SalesTable();
  in["Description"] = "v1";
  in["PartitionKeys"] = json::array{object{{"Name", "Year"}, {"Type", "int"}}, object{{"Name", "region"}}};
  ASSERT_TRUE(catalog_->UpdateTable("lake", in, false).ok());
  in["Description"] = "v2";
  ASSERT_TRUE(catalog_->UpdateTable("lake", in, false).ok());
  in["Description"] = "v3";
  ASSERT_TRUE(catalog_->UpdateTable("lake", in, true).ok());  // v2 is not archived

  auto cur = catalog_->GetTable("lake", "sales");
  ASSERT_TRUE(cur.ok());
  EXPECT_EQ(cur->at("Description").as_string(), "v3");
  EXPECT_EQ(cur->at("VersionId").as_string(), "3");
  EXPECT_EQ(cur->at("CreateTime"), v0->at("CreateTime"));
  EXPECT_EQ(cur->at("PartitionKeys").at(0).at("Name").as_string(), "year");

  auto versions = catalog_->GetTableVersions("lake", "sales", "", 0);
  ASSERT_TRUE(versions.ok());
  std::vector<std::string> ids;
  for (const auto& v : versions->items) ids.emplace_back(v.at("VersionId").as_string());
  EXPECT_EQ(ids, (std::vector<std::string>{"3", "1", "0"}));
  EXPECT_EQ(versions->items[1].at("Table").at("Description").as_string(), "v1");
  EXPECT_EQ(versions->items[2].at("Table").at("Description").as_string(), "daily sales");

  auto p1 = catalog_->GetTableVersions("lake", "sales", "", 2);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->items.size(), 2u);
  ASSERT_FALSE(p1->next_token.empty());
  auto p2 = catalog_->GetTableVersions("lake", "sales", p1->next_token, 2);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->items.size(), 1u);
  EXPECT_EQ(p2->items[0].at("VersionId").as_string(), "0");
  EXPECT_TRUE(p2->next_token.empty());

  auto one = catalog_->GetTableVersion("lake", "sales", "1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->at("Table").at("Description").as_string(), "v1");
  auto current = catalog_->GetTableVersion("lake", "sales", "");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->at("VersionId").as_string(), "3");
  auto missing = catalog_->GetTableVersion("lake", "sales", "2");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "EntityNotFoundException");
  auto junk = catalog_->GetTableVersion("lake", "sales", "x");
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().code, "EntityNotFoundException");

  auto del_current = catalog_->DeleteTableVersion("lake", "sales", "3");
  ASSERT_FALSE(del_current.ok());
  EXPECT_EQ(del_current.error().code, "InvalidInputException");
  ASSERT_TRUE(catalog_->DeleteTableVersion("lake", "sales", "1").ok());
  auto again = catalog_->DeleteTableVersion("lake", "sales", "1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "EntityNotFoundException");
  versions = catalog_->GetTableVersions("lake", "sales", "", 0);
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->items.size(), 2u);

  auto nope = catalog_->UpdateTable("lake", SalesTable("nope"), false);
  ASSERT_FALSE(nope.ok());
  EXPECT_EQ(nope.error().code, "EntityNotFoundException");
}

TEST_F(CatalogTest, PartitionsCrud) {
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  ASSERT_TRUE(catalog_->CreatePartition("lake", "sales", Part("2024", "eu")).ok());
  auto p = catalog_->GetPartition("lake", "sales", {"2024", "eu"});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->at("Values"), (json::array{"2024", "eu"}));
  EXPECT_EQ(p->at("DatabaseName").as_string(), "lake");
  EXPECT_EQ(p->at("TableName").as_string(), "sales");
  EXPECT_EQ(p->at("CatalogId").as_string(), "123456789012");
  EXPECT_GT(p->at("CreationTime").as_int64(), 0);
  EXPECT_EQ(p->at("StorageDescriptor").at("Location").as_string(), "s3://lake/sales/year=2024/region=eu/");

  auto dup = catalog_->CreatePartition("lake", "sales", Part("2024", "eu"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "AlreadyExistsException");
  EXPECT_EQ(dup.error().message, "Partition already exists.");
  auto wrong_count = catalog_->CreatePartition("lake", "sales", object{{"Values", json::array{"2024"}}});
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_EQ(wrong_count.error().code, "InvalidInputException");
  // A value over 1024 characters: the list, as the parse stage reports a list of strings.
  auto too_long = catalog_->CreatePartition("lake", "sales",
                                            object{{"Values", json::array{"2024", std::string(1025, 'v')}}});
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, "ValidationException");
  EXPECT_EQ(too_long.error().message.substr(0, 44), "1 validation error detected: Value '[2024, v");
  EXPECT_NE(
      too_long.error().message.find(
          "...(truncated)' at 'partitionInput.values' failed to satisfy constraint: Member must satisfy "
          "constraint: [Member must have length less than or equal to 1024, Member must have length "
          "greater than or equal to 1]"),
      std::string::npos)
      << too_long.error().message;
  auto missing = catalog_->GetPartition("lake", "sales", {"2023", "eu"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "EntityNotFoundException");
  auto notable = catalog_->GetPartition("lake", "nope", {"2023", "eu"});
  ASSERT_FALSE(notable.ok());
  EXPECT_EQ(notable.error().message, "Table nope not found.");

  // Update keeps CreationTime and may move the partition to new values.
  object upd = Part("2024", "eu");
  upd["Parameters"] = object{{"k", "v"}};
  ASSERT_TRUE(catalog_->UpdatePartition("lake", "sales", {"2024", "eu"}, upd).ok());
  auto p2 = catalog_->GetPartition("lake", "sales", {"2024", "eu"});
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->at("Parameters").at("k").as_string(), "v");
  EXPECT_EQ(p2->at("CreationTime"), p->at("CreationTime"));
  ASSERT_TRUE(catalog_->UpdatePartition("lake", "sales", {"2024", "eu"}, Part("2025", "eu")).ok());
  EXPECT_FALSE(catalog_->GetPartition("lake", "sales", {"2024", "eu"}).ok());
  EXPECT_TRUE(catalog_->GetPartition("lake", "sales", {"2025", "eu"}).ok());
  auto upd_missing = catalog_->UpdatePartition("lake", "sales", {"1999", "eu"}, Part("1999", "eu"));
  ASSERT_FALSE(upd_missing.ok());
  EXPECT_EQ(upd_missing.error().code, "EntityNotFoundException");

  ASSERT_TRUE(catalog_->DeletePartition("lake", "sales", {"2025", "eu"}).ok());
  auto del_again = catalog_->DeletePartition("lake", "sales", {"2025", "eu"});
  ASSERT_FALSE(del_again.ok());
  EXPECT_EQ(del_again.error().code, "EntityNotFoundException");
}

TEST_F(CatalogTest, BatchPartitions) {
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  ASSERT_TRUE(catalog_->CreatePartition("lake", "sales", Part("2020", "us")).ok());
  auto errs = catalog_->BatchCreatePartition(
      "lake", "sales",
      {Part("2021", "us"), Part("2020", "us"), object{{"Values", json::array{"x"}}}, Part("2022", "us")});
  ASSERT_TRUE(errs.ok());
  ASSERT_EQ(errs->size(), 2u);
  EXPECT_EQ((*errs)[0].partition_values, (std::vector<std::string>{"2020", "us"}));
  EXPECT_EQ((*errs)[0].error.code, "AlreadyExistsException");
  EXPECT_EQ((*errs)[1].error.code, "InvalidInputException");
  auto all = catalog_->GetPartitions("lake", "sales", "", "", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 3u);

  auto del = catalog_->BatchDeletePartition("lake", "sales", {{"2021", "us"}, {"1900", "us"}});
  ASSERT_TRUE(del.ok());
  ASSERT_EQ(del->size(), 1u);
  EXPECT_EQ((*del)[0].partition_values, (std::vector<std::string>{"1900", "us"}));
  EXPECT_EQ((*del)[0].error.code, "EntityNotFoundException");
  all = catalog_->GetPartitions("lake", "sales", "", "", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 2u);

  auto notable = catalog_->BatchCreatePartition("lake", "nope", {Part("1", "a")});
  ASSERT_FALSE(notable.ok());
  EXPECT_EQ(notable.error().code, "EntityNotFoundException");
}

TEST_F(CatalogTest, GetPartitionsExpressionAndPaging) {
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  std::vector<object> inputs;
  for (int y = 2015; y <= 2024; ++y) {
    for (const char* r : {"eu", "us"}) inputs.push_back(Part(std::to_string(y), r));
  }
  auto errs = catalog_->BatchCreatePartition("lake", "sales", inputs);
  ASSERT_TRUE(errs.ok());
  ASSERT_TRUE(errs->empty());

  auto recent = catalog_->GetPartitions("lake", "sales", "year >= 2023 AND region = 'eu'", "", 0);
  ASSERT_TRUE(recent.ok()) << recent.error().message;
  ASSERT_EQ(recent->items.size(), 2u);
  EXPECT_EQ(recent->items[0].at("Values"), (json::array{"2023", "eu"}));
  EXPECT_EQ(recent->items[1].at("Values"), (json::array{"2024", "eu"}));

  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto p = catalog_->GetPartitions("lake", "sales", "region = 'us'", token, 3);
    ASSERT_TRUE(p.ok());
    EXPECT_LE(p->items.size(), 3u);
    for (const auto& it : p->items) seen.insert(std::string(it.at("Values").at(0).as_string()));
    token = p->next_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(pages, 4);

  auto bad = catalog_->GetPartitions("lake", "sales", "year >", "", 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidInputException");
  auto unknown = catalog_->GetPartitions("lake", "sales", "month = 1", "", 0);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "InvalidInputException");
  auto badtoken = catalog_->GetPartitions("lake", "sales", "", "Zm9v", 0);
  ASSERT_FALSE(badtoken.ok());
  EXPECT_EQ(badtoken.error().code, "InvalidInputException");
}

TEST_F(CatalogTest, DeletesCascade) {
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  ASSERT_TRUE(catalog_->CreatePartition("lake", "sales", Part("2024", "eu")).ok());
  ASSERT_TRUE(catalog_->UpdateTable("lake", SalesTable(), false).ok());
  ASSERT_TRUE(
      catalog_->TagResource("arn:aws:glue:us-east-1:123456789012:table/lake/sales", object{{"a", "b"}}).ok());
  ASSERT_TRUE(catalog_->DeleteTable("lake", "sales").ok());
  // Recreated, the table starts from nothing: no partitions, no versions, no tags.
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  auto parts = catalog_->GetPartitions("lake", "sales", "", "", 0);
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE(parts->items.empty());
  auto versions = catalog_->GetTableVersions("lake", "sales", "", 0);
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->items.size(), 1u);
  auto tags = catalog_->GetTags("arn:aws:glue:us-east-1:123456789012:table/lake/sales");
  ASSERT_TRUE(tags.ok());
  EXPECT_TRUE(tags->empty());

  ASSERT_TRUE(catalog_->CreatePartition("lake", "sales", Part("2024", "eu")).ok());
  ASSERT_TRUE(catalog_->DeleteDatabase("lake").ok());
  MakeDb("lake");
  auto t = catalog_->GetTable("lake", "sales");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "EntityNotFoundException");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  parts = catalog_->GetPartitions("lake", "sales", "", "", 0);
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE(parts->items.empty());
}

// ALTER TABLE RENAME TO of an Iceberg table: the definition moves in one transaction; the new name is a
// creation (version 0) and what belonged to the old name goes with it, as DeleteTable takes it.
TEST_F(CatalogTest, RenameTableMovesTheDefinition) {
  MakeDb("lake");
  MakeDb("other");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  ASSERT_TRUE(catalog_->CreatePartition("lake", "sales", Part("2024", "eu")).ok());
  object updated = SalesTable();
  updated["Parameters"].as_object()["metadata_location"] = "s3://lake/sales/metadata/00001.metadata.json";
  ASSERT_TRUE(catalog_->UpdateTable("lake", updated, false).ok());
  const std::string old_arn = "arn:aws:glue:us-east-1:123456789012:table/lake/sales";
  ASSERT_TRUE(catalog_->TagResource(old_arn, object{{"a", "b"}}).ok());
  const ObjectKey stat{"123456789012", "us-east-1", "colstat", ScopeOf({"lake", "sales"}), "id"};
  ASSERT_TRUE(
      all_->objects().Modify(stat, [](auto) -> Result<std::optional<object>> { return object{}; }).ok());
  auto before = catalog_->GetTable("lake", "sales");
  ASSERT_TRUE(before.ok());

  ASSERT_TRUE(
      catalog_->RenameTable("LAKE", "Sales", "other", "Sales2", "arn:aws:iam::123456789012:user/u").ok());
  auto gone = catalog_->GetTable("lake", "sales");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "EntityNotFoundException");
  auto t = catalog_->GetTable("other", "sales2");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->at("Name").as_string(), "sales2");
  EXPECT_EQ(t->at("DatabaseName").as_string(), "other");
  EXPECT_EQ(t->at("VersionId").as_string(), "0");
  EXPECT_EQ(t->at("CreatedBy").as_string(), "arn:aws:iam::123456789012:user/u");
  for (const char* member :
       {"Description", "TableType", "Parameters", "StorageDescriptor", "PartitionKeys", "Retention"}) {
    EXPECT_EQ(t->at(member), before->at(member)) << member;
  }
  auto versions = catalog_->GetTableVersions("other", "sales2", "", 0);
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->items.size(), 1u);
  // Partitions, tags and column statistics of the old name are gone, under either name.
  auto parts = catalog_->GetPartitions("other", "sales2", "", "", 0);
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE(parts->items.empty());
  auto tags = catalog_->GetTags("arn:aws:glue:us-east-1:123456789012:table/other/sales2");
  ASSERT_TRUE(tags.ok());
  EXPECT_TRUE(tags->empty());
  auto stats = all_->objects().Get(stat);
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->has_value());
  // A table of the old name can be created again; it starts from nothing.
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  parts = catalog_->GetPartitions("lake", "sales", "", "", 0);
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE(parts->items.empty());
}

TEST_F(CatalogTest, RenameTableErrorsChangeNothing) {
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable("a")).ok());
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable("b")).ok());
  auto exists = catalog_->RenameTable("lake", "a", "lake", "b", "");
  ASSERT_FALSE(exists.ok());
  EXPECT_EQ(exists.error().code, "AlreadyExistsException");
  auto itself = catalog_->RenameTable("lake", "a", "lake", "A", "");
  ASSERT_FALSE(itself.ok());
  EXPECT_EQ(itself.error().code, "AlreadyExistsException");
  auto missing = catalog_->RenameTable("lake", "nope", "lake", "c", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "EntityNotFoundException");
  auto no_target_db = catalog_->RenameTable("lake", "a", "nodb", "c", "");
  ASSERT_FALSE(no_target_db.ok());
  EXPECT_EQ(no_target_db.error().code, "EntityNotFoundException");
  auto bad_name = catalog_->RenameTable("lake", "a", "lake", std::string(256, 'x'), "");
  ASSERT_FALSE(bad_name.ok());
  auto tables = catalog_->GetTables("lake", "", "", 0);
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(Names(*tables), (std::vector<std::string>{"a", "b"}));
  auto a = catalog_->GetTable("lake", "a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->at("VersionId").as_string(), "0");
}

TEST_F(CatalogTest, Tags) {
  MakeDb("lake");
  const std::string arn = "arn:aws:glue:us-east-1:123456789012:database/lake";
  ASSERT_TRUE(catalog_->TagResource(arn, object{{"team", "data"}, {"env", "dev"}}).ok());
  ASSERT_TRUE(catalog_->TagResource(arn, object{{"env", "prod"}}).ok());
  auto tags = catalog_->GetTags(arn);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, (object{{"env", "prod"}, {"team", "data"}}));
  ASSERT_TRUE(catalog_->UntagResource(arn, {"team", "absent"}).ok());
  tags = catalog_->GetTags(arn);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, (object{{"env", "prod"}}));

  auto nodb = catalog_->GetTags("arn:aws:glue:us-east-1:123456789012:database/nope");
  ASSERT_FALSE(nodb.ok());
  EXPECT_EQ(nodb.error().code, "EntityNotFoundException");
  auto other = catalog_->GetTags("arn:aws:glue:us-east-1:999999999999:database/lake");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "AccessDeniedException");
  auto bad = catalog_->GetTags("not-an-arn");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidInputException");
  auto reserved = catalog_->TagResource(arn, object{{"aws:x", "y"}});
  ASSERT_FALSE(reserved.ok());
  EXPECT_EQ(reserved.error().code, "InvalidInputException");
  object many;
  for (int i = 0; i < 50; ++i) {
    char key[8];
    std::snprintf(key, sizeof(key), "k%d", i);  // not "k" + to_string: g++ 12's -Wrestrict false positive
    many[key] = "v";
  }
  auto too_many = catalog_->TagResource(arn, many);  // 50 + the existing "env"
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, "InvalidInputException");
  tags = catalog_->GetTags(arn);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags->size(), 1u);
  ASSERT_TRUE(
      catalog_->TagResource("arn:aws:glue:us-east-1:123456789012:crawler/c1", object{{"a", "1"}}).ok());
  auto crawler = catalog_->GetTags("arn:aws:glue:us-east-1:123456789012:crawler/c1");
  ASSERT_TRUE(crawler.ok());
  EXPECT_EQ(crawler->size(), 1u);
}

TEST_F(CatalogTest, HostilePartitionValuesAreExactKeys) {
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  const std::vector<std::vector<std::string>> values = {
      {"2024", "a\"b"}, {"2024", "a\\\"b"}, {"2024", "x','y"}, {"2024", ""}, {"2024", "\xc3\xa9t\xc3\xa9"}};
  for (const auto& v : values) {
    ASSERT_TRUE(catalog_->CreatePartition("lake", "sales", Part(v[0], v[1])).ok()) << v[1];
  }
  for (const auto& v : values) {
    auto p = catalog_->GetPartition("lake", "sales", v);
    ASSERT_TRUE(p.ok()) << v[1];
    EXPECT_EQ(p->at("Values").at(1).as_string(), v[1]);
  }
  auto quoted = catalog_->GetPartitions("lake", "sales", "region = 'x'',''y'", "", 0);
  ASSERT_TRUE(quoted.ok());
  ASSERT_EQ(quoted->items.size(), 1u);
  EXPECT_EQ(quoted->items[0].at("Values").at(1).as_string(), "x','y");
}

TEST_F(CatalogTest, ConcurrentCreatesOfOnePartitionHaveOneWinner) {
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  std::atomic<int> created{0}, exists{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        // Every thread creates the shared partition i and one of its own.
        char own[8];
        std::snprintf(own, sizeof(own), "t%d", t);  // not "t" + to_string: g++ 12's -Wrestrict false positive
        for (const std::string& region : {std::string("shared"), std::string(own)}) {
          Status s = catalog_->CreatePartition("lake", "sales", Part(std::to_string(i), region));
          if (s.ok()) {
            ++created;
          } else if (s.error().code == "AlreadyExistsException") {
            ++exists;
          } else {
            ++other;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(created.load(), 10 + 40);
  EXPECT_EQ(exists.load(), 30);
  auto all = catalog_->GetPartitions("lake", "sales", "", "", 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 50u);
}

// The quotas, reached by filling the store directly (white-box: the glue_* schema of catalog.cpp).
TEST_F(CatalogTest, QuotasAnswerResourceNumberLimitExceeded) {
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  {
    auto txn = metadata_->Begin(store::MetadataStore::Mode::kWrite);
    ASSERT_TRUE(txn.ok());
    for (int i = 1; i < 10000; ++i) {
      char name[16];
      std::snprintf(name, sizeof(name), "filler%05d", i);
      ASSERT_TRUE((*txn)
                      ->Exec("INSERT INTO glue_databases (account, region, name, doc) VALUES "
                             "('123456789012', 'us-east-1', ?, '{}')",
                             {std::string(name)})
                      .ok());
    }
    for (int v = 100; v < 100099; ++v) {
      ASSERT_TRUE((*txn)
                      ->Exec("INSERT INTO glue_table_versions (account, region, db, name, version, doc) "
                             "VALUES ('123456789012', 'us-east-1', 'lake', "
                             "'sales', ?, '{}')",
                             {static_cast<std::int64_t>(v)})
                      .ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto db = catalog_->CreateDatabase(object{{"Name", "one_too_many"}});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, "ResourceNumberLimitExceededException");
  EXPECT_EQ(db.error().http_status, 400);
  auto archive = catalog_->UpdateTable("lake", SalesTable(), false);
  ASSERT_FALSE(archive.ok());
  EXPECT_EQ(archive.error().code, "ResourceNumberLimitExceededException");
  EXPECT_TRUE(catalog_->UpdateTable("lake", SalesTable(), true).ok());  // SkipArchive adds no version
  EXPECT_TRUE(catalog_->DeleteDatabase("filler00001").ok());
  EXPECT_TRUE(catalog_->CreateDatabase(object{{"Name", "one_too_many"}}).ok());
}

TEST_F(CatalogTest, StateSurvivesReopen) {
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  ASSERT_TRUE(catalog_->CreatePartition("lake", "sales", Part("2024", "eu")).ok());
  ASSERT_TRUE(all_->ForRegion("123456789012", "eu-west-1")->CreateDatabase(object{{"Name", "eu_only"}}).ok());
  catalog_.reset();
  all_.reset();
  metadata_.reset();
  auto md = store::MetadataStore::OpenSqlite(dir_ / "meta.db");
  ASSERT_TRUE(md.ok());
  metadata_ = std::move(md).value();
  auto c = Catalog::Open(*metadata_, "123456789012", "us-east-1");
  ASSERT_TRUE(c.ok());
  all_ = std::move(c).value();
  catalog_ = all_->ForRegion("123456789012", "us-east-1");
  EXPECT_TRUE(catalog_->GetTable("lake", "sales").ok());
  EXPECT_TRUE(catalog_->GetPartition("lake", "sales", {"2024", "eu"}).ok());
  // Regions survive a restart: the eu-west-1 database is still there, and only there.
  EXPECT_TRUE(all_->ForRegion("123456789012", "eu-west-1")->GetDatabase("eu_only").ok());
  EXPECT_FALSE(catalog_->GetDatabase("eu_only").ok());
}

TEST_F(CatalogTest, EachRegionAndAccountHasItsOwnCatalog) {
  auto eu = all_->ForRegion("123456789012", "eu-west-1");
  auto other = all_->ForRegion("210987654321", "us-east-1");
  EXPECT_EQ(eu->region(), "eu-west-1");
  EXPECT_EQ(other->catalog_id(), "210987654321");
  // The same name in two regions is two databases, with tables of their own.
  MakeDb("lake");
  ASSERT_TRUE(eu->CreateDatabase(object{{"Name", "lake"}, {"Description", "eu"}}).ok());
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  EXPECT_EQ(catalog_->GetTables("lake", "", "", 0)->items.size(), 1u);
  EXPECT_TRUE(eu->GetTables("lake", "", "", 0)->items.empty());
  EXPECT_EQ(eu->GetDatabase("lake")->at("Description"), "eu");
  EXPECT_EQ(eu->GetTable("lake", "sales").error().code, "EntityNotFoundException");
  // A region's listing shows its own databases only; another account sees none of them.
  ASSERT_TRUE(eu->CreateDatabase(object{{"Name", "eu_only"}}).ok());
  EXPECT_EQ(catalog_->GetDatabases("", 0)->items.size(), 1u);
  EXPECT_EQ(eu->GetDatabases("", 0)->items.size(), 2u);
  EXPECT_TRUE(other->GetDatabases("", 0)->items.empty());
  // Deleting one region's database leaves the other's.
  ASSERT_TRUE(eu->DeleteDatabase("lake").ok());
  EXPECT_TRUE(catalog_->GetTable("lake", "sales").ok());
  // Tags follow the ARN's region.
  ASSERT_TRUE(
      catalog_->TagResource("arn:aws:glue:eu-west-1:123456789012:database/eu_only", object{{"k", "v"}}).ok());
  EXPECT_EQ(eu->GetTags("arn:aws:glue:eu-west-1:123456789012:database/eu_only")->size(), 1u);
  EXPECT_EQ(catalog_->TagResource("arn:aws:glue:us-east-1:123456789012:database/eu_only", object{{"k", "v"}})
                .error()
                .code,
            "EntityNotFoundException");
}

TEST_F(CatalogTest, RowsFromBeforeRegionsBelongToTheDefaultRegion) {
  // A data directory at glue schema v1 (one catalog): its rows move to the root account's catalog in the
  // default region.
  auto md = store::MetadataStore::OpenSqlite(dir_ / "v1.db");
  ASSERT_TRUE(md.ok());
  ASSERT_TRUE(
      (*md)
          ->Migrate(
              "glue",
              {"CREATE TABLE glue_databases (name TEXT NOT NULL PRIMARY KEY, doc TEXT NOT NULL);"
               "CREATE TABLE glue_tables (db TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,"
               " doc TEXT NOT NULL, PRIMARY KEY (db, name));"
               "CREATE TABLE glue_table_versions (db TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT "
               "NULL,"
               " doc TEXT NOT NULL, PRIMARY KEY (db, name, version));"
               "CREATE TABLE glue_partitions (db TEXT NOT NULL, tbl TEXT NOT NULL, pkey TEXT NOT NULL,"
               " doc TEXT NOT NULL, PRIMARY KEY (db, tbl, pkey));"
               "CREATE TABLE glue_tags (scope TEXT NOT NULL, tag_key TEXT NOT NULL, tag_value TEXT NOT NULL,"
               " PRIMARY KEY (scope, tag_key));"})
          .ok());
  {
    auto txn = (*md)->Begin(store::MetadataStore::Mode::kWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)
                    ->Exec("INSERT INTO glue_databases (name, doc) VALUES ('old', "
                           "'{\"Name\":\"old\",\"CatalogId\":\"123456789012\"}')")
                    .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto c = Catalog::Open(**md, "123456789012", "eu-central-1");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE((*c)->ForRegion("123456789012", "eu-central-1")->GetDatabase("old").ok());
  EXPECT_FALSE((*c)->ForRegion("123456789012", "us-east-1")->GetDatabase("old").ok());
}

// ---- encryption at rest -------------------------------------------------------------------------------

// A KMS whose "blob" is "<key id>|<n>" and whose data keys are 32 bytes derived from n; callers named in
// `denied` are refused as KMS refuses them, keys in `disabled` are disabled.
Error KmsError(std::string code, std::string message) {
  Error e;
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}

class FakeKms final : public CatalogKms {
 public:
  Result<DataKey> GenerateDataKey(const aws::Caller& as, const std::string& key_id) override {
    if (denied.count(as.principal.arn) != 0) {
      return KmsError("AccessDeniedException",
                      "User: " + as.principal.arn + " is not authorized to perform: kms:GenerateDataKey");
    }
    if (disabled.count(key_id) != 0) return KmsError("DisabledException", key_id + " is disabled.");
    ++generated;
    last_caller = as;
    const std::string n = std::to_string(generated);
    return DataKey{.plaintext = KeyOf(n), .blob = key_id + "|" + n, .key_arn = key_id};
  }
  Result<std::string> Decrypt(const aws::Caller& as, const std::string& blob) override {
    ++decrypted;
    last_caller = as;
    if (denied.count(as.principal.arn) != 0) {
      return KmsError("AccessDeniedException",
                      "User: " + as.principal.arn + " is not authorized to perform: kms:Decrypt");
    }
    const std::string key_id = blob.substr(0, blob.find('|'));
    if (disabled.count(key_id) != 0) return KmsError("DisabledException", key_id + " is disabled.");
    return KeyOf(blob.substr(blob.find('|') + 1));
  }
  static std::string KeyOf(const std::string& n) {
    std::string k(32, 'k');
    k.replace(0, n.size(), n);
    return k;
  }
  std::set<std::string> denied;
  std::set<std::string> disabled;
  int generated = 0;
  int decrypted = 0;
  aws::Caller last_caller;
};

aws::Caller UserCaller(const std::string& name) {
  aws::Caller c;
  c.principal.arn = "arn:aws:iam::123456789012:user/" + name;
  c.principal.account_id = "123456789012";
  c.region = "us-east-1";
  c.invoked_by = "glue.amazonaws.com";
  c.forwarded = true;
  return c;
}

class EncryptedCatalogTest : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    auto kms = std::make_unique<FakeKms>();
    kms_ = kms.get();
    all_->UseKms(std::move(kms), 0);  // no reuse across requests: every new RegionalCatalog asks KMS
    catalog_ = all_->ForRegion("123456789012", "us-east-1", UserCaller("alice"));
  }
  std::unique_ptr<RegionalCatalog> As(const std::string& user) {
    return all_->ForRegion("123456789012", "us-east-1", UserCaller(user));
  }
  void Encrypt(const std::string& key = "arn:aws:kms:us-east-1:123456789012:key/k1") {
    ASSERT_TRUE(catalog_
                    ->PutEncryptionSettings(Obj(
                        (R"({"EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": ")" +
                         key + R"("}})")
                            .c_str()))
                    .ok());
  }
  // Every stored doc of the catalog's tables, as the store holds them.
  std::string RawStore() {
    auto txn = metadata_->Begin(store::MetadataStore::Mode::kRead);
    std::string all;
    for (const char* t : {"glue_databases", "glue_tables", "glue_table_versions", "glue_partitions"}) {
      auto rows = (*txn)->Query(std::string("SELECT doc FROM ") + t);
      for (const auto& r : *rows) all += store::AsText(r[0]) + "\n";
    }
    return all;
  }
  FakeKms* kms_ = nullptr;
};

TEST_F(EncryptedCatalogTest, SettingsDefaultValidateAndRoundTrip) {
  auto def = catalog_->GetEncryptionSettings();
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(json::serialize(*def),
            R"({"EncryptionAtRest":{"CatalogEncryptionMode":"DISABLED"},)"
            R"("ConnectionPasswordEncryption":{"ReturnConnectionPasswordEncrypted":false}})");
  EXPECT_EQ(catalog_->PutEncryptionSettings(Obj(R"({"EncryptionAtRest": {"CatalogEncryptionMode": "ON"}})"))
                .error()
                .code,
            "InvalidInputException");
  EXPECT_EQ(catalog_->PutEncryptionSettings(Obj(R"({"EncryptionAtRest": {}})")).error().code,
            "InvalidInputException");
  EXPECT_EQ(catalog_
                ->PutEncryptionSettings(
                    Obj(R"({"EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS-WITH-SERVICE-ROLE"}})"))
                .error()
                .code,
            "InvalidInputException");
  EXPECT_EQ(catalog_
                ->PutEncryptionSettings(Obj(R"({"EncryptionAtRest": {"CatalogEncryptionMode":
                    "SSE-KMS-WITH-SERVICE-ROLE", "CatalogEncryptionServiceRole": "not-an-arn"}})"))
                .error()
                .code,
            "InvalidInputException");
  EXPECT_EQ(
      catalog_->PutEncryptionSettings(Obj(R"({"ConnectionPasswordEncryption": {"AwsKmsKeyId": "alias/x"}})"))
          .error()
          .code,
      "InvalidInputException");
  const object put =
      Obj(R"({"EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": "alias/k"},
      "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": true, "AwsKmsKeyId": "alias/p"}})");
  ASSERT_TRUE(catalog_->PutEncryptionSettings(put).ok());
  EXPECT_EQ(*As("bob")->GetEncryptionSettings(), put);
  // Settings are per region.
  EXPECT_EQ(all_->ForRegion("123456789012", "eu-west-1")->GetEncryptionSettings()->at("EncryptionAtRest"),
            Obj(R"({"CatalogEncryptionMode": "DISABLED"})"));
}

TEST_F(EncryptedCatalogTest, ObjectsAreSealedAndReadBackThroughKms) {
  Encrypt();
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  ASSERT_TRUE(catalog_->CreatePartition("lake", "sales", Part("2024", "eu")).ok());
  object updated = SalesTable();
  updated["Description"] = "second";
  ASSERT_TRUE(catalog_->UpdateTable("lake", updated, false).ok());
  // Nothing of the objects is in clear in the store: not a column name, a location or a description.
  const std::string raw = RawStore();
  EXPECT_EQ(raw.find("amount"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("s3://lake"), std::string::npos);
  EXPECT_EQ(raw.find("daily sales"), std::string::npos);
  EXPECT_NE(raw.find("kms1:"), std::string::npos);
  // Another caller with kms:Decrypt reads everything.
  auto bob = As("bob");
  const int before = kms_->decrypted;
  auto t = bob->GetTable("lake", "sales");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->at("Description"), "second");
  EXPECT_GT(kms_->decrypted, before);
  EXPECT_EQ(kms_->last_caller.principal.arn, "arn:aws:iam::123456789012:user/bob");
  EXPECT_EQ(bob->GetTableVersions("lake", "sales", "", 0)->items.size(), 2u);
  EXPECT_EQ(bob->GetPartitions("lake", "sales", "year = 2024", "", 0)->items.size(), 1u);
  EXPECT_EQ(bob->GetDatabase("lake")->at("Name"), "lake");
}

// A renamed table stays sealed under its new name and reads back through KMS.
TEST_F(EncryptedCatalogTest, RenamedTableStaysSealed) {
  Encrypt();
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  ASSERT_TRUE(catalog_->RenameTable("lake", "sales", "lake", "sales_v2", "").ok());
  const std::string raw = RawStore();
  EXPECT_EQ(raw.find("s3://lake"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("daily sales"), std::string::npos);
  auto t = As("bob")->GetTable("lake", "sales_v2");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->at("Description"), "daily sales");
  EXPECT_EQ(t->at("Name"), "sales_v2");
}

TEST_F(EncryptedCatalogTest, CallersWithoutKeyAccessGetGlueEncryptionException) {
  Encrypt();
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  kms_->denied.insert("arn:aws:iam::123456789012:user/mallory");
  auto mallory = As("mallory");
  auto t = mallory->GetTable("lake", "sales");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "GlueEncryptionException");
  EXPECT_NE(t.error().message.find("kms:Decrypt"), std::string::npos);
  EXPECT_NE(t.error().message.find("Error Code: AccessDeniedException"), std::string::npos);
  EXPECT_EQ(mallory->CreateDatabase(object{{"Name", "other"}}).error().code, "GlueEncryptionException");
  EXPECT_EQ(catalog_->GetDatabase("other").error().code, "EntityNotFoundException");  // nothing written
  // No accessor at all (a caller Glue cannot ask KMS for).
  EXPECT_EQ(all_->ForRegion("123456789012", "us-east-1")->GetTable("lake", "sales").error().code,
            "GlueEncryptionException");
  // A disabled key is KMS's DisabledException inside GlueEncryptionException.
  kms_->disabled.insert("arn:aws:kms:us-east-1:123456789012:key/k1");
  auto disabled = As("alice")->GetTable("lake", "sales");
  ASSERT_FALSE(disabled.ok());
  EXPECT_EQ(disabled.error().code, "GlueEncryptionException");
  EXPECT_NE(disabled.error().message.find("DisabledException"), std::string::npos);
}

TEST_F(EncryptedCatalogTest, DisablingKeepsEncryptedObjectsReadableAndWritesInClear) {
  Encrypt();
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable("secret")).ok());
  ASSERT_TRUE(
      catalog_->PutEncryptionSettings(Obj(R"({"EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"}})"))
          .ok());
  auto alice = As("alice");
  ASSERT_TRUE(alice->CreateTable("lake", SalesTable("open")).ok());
  EXPECT_TRUE(alice->GetTable("lake", "secret").ok());
  EXPECT_TRUE(alice->GetTable("lake", "open").ok());
  const std::string raw = RawStore();
  EXPECT_NE(raw.find("\"open\""), std::string::npos);    // the new table is in clear
  EXPECT_EQ(raw.find("\"secret\""), std::string::npos);  // the old one stays sealed
  // A second key: objects sealed under the first still open (their blob names their key).
  Encrypt("arn:aws:kms:us-east-1:123456789012:key/k2");
  auto again = As("alice");
  ASSERT_TRUE(again->CreateTable("lake", SalesTable("third")).ok());
  EXPECT_TRUE(again->GetTable("lake", "secret").ok());
  EXPECT_TRUE(again->GetTable("lake", "third").ok());
  EXPECT_EQ(again->GetTables("lake", "", "", 0)->items.size(), 3u);
}

TEST_F(EncryptedCatalogTest, ServiceRoleModeAsksKmsAsTheRole) {
  ASSERT_TRUE(catalog_
                  ->PutEncryptionSettings(Obj(R"({"EncryptionAtRest": {"CatalogEncryptionMode":
                      "SSE-KMS-WITH-SERVICE-ROLE", "SseAwsKmsKeyId": "alias/k",
                      "CatalogEncryptionServiceRole": "arn:aws:iam::123456789012:role/catalog-kms"}})"))
                  .ok());
  // The caller's own key permissions do not matter: the role's do.
  kms_->denied.insert("arn:aws:iam::123456789012:user/alice");
  auto alice = As("alice");
  ASSERT_TRUE(alice->CreateDatabase(object{{"Name", "lake"}}).ok());
  EXPECT_NE(kms_->last_caller.principal.arn.find("assumed-role/catalog-kms/"), std::string::npos)
      << kms_->last_caller.principal.arn;
  EXPECT_FALSE(kms_->last_caller.forwarded);
  EXPECT_TRUE(As("alice")->GetDatabase("lake").ok());
}

TEST_F(EncryptedCatalogTest, BatchWritesAskKmsOnce) {
  Encrypt();
  MakeDb("lake");
  ASSERT_TRUE(catalog_->CreateTable("lake", SalesTable()).ok());
  const int before = kms_->generated;
  auto alice = As("alice");
  std::vector<object> parts;
  for (int y = 2000; y < 2020; ++y) parts.push_back(Part(std::to_string(y), "eu"));
  ASSERT_TRUE(alice->BatchCreatePartition("lake", "sales", parts)->empty());
  EXPECT_EQ(kms_->generated, before + 1);
  auto reader = As("bob");
  const int decrypts = kms_->decrypted;
  EXPECT_EQ(reader->GetPartitions("lake", "sales", "", "", 0)->items.size(), 20u);
  EXPECT_LE(kms_->decrypted - decrypts, 2);  // the table's key and the batch's
}

}  // namespace
}  // namespace cenote::glue
