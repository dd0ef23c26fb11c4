// GlueProvider over a real Catalog (temp-dir SQLite) and a fake Crawlers.
#include "services/glue/glue_provider.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "../fresh_schema_check.hpp"
#include "services/glue/catalog_internal.hpp"
#include "services/glue/crawler/crawler_store.hpp"
#include "services/provider_harness.hpp"
#include "store/temp_dir.hpp"

namespace cenote::glue {

namespace {

namespace json = boost::json;

// Records the crawler operations the provider hands over, with the request's namespace.
class FakeCrawlers final : public Crawlers {
 public:
#define CENOTE_FAKE_OP(Op)                                              \
  Output Op(const aws::RequestContext& ctx, const Input& in) override { \
    calls.emplace_back(#Op);                                            \
    regions.push_back(ctx.region);                                      \
    return json::object{{"Forwarded", #Op}, {"Input", in}};             \
  }
  CENOTE_FAKE_OP(CreateCrawler)
  CENOTE_FAKE_OP(GetCrawler)
  CENOTE_FAKE_OP(GetCrawlers)
  CENOTE_FAKE_OP(ListCrawlers)
  CENOTE_FAKE_OP(BatchGetCrawlers)
  CENOTE_FAKE_OP(UpdateCrawler)
  CENOTE_FAKE_OP(DeleteCrawler)
  CENOTE_FAKE_OP(StartCrawler)
  CENOTE_FAKE_OP(StopCrawler)
  CENOTE_FAKE_OP(GetCrawlerMetrics)
  CENOTE_FAKE_OP(ListCrawls)
  CENOTE_FAKE_OP(UpdateCrawlerSchedule)
#undef CENOTE_FAKE_OP
  Output SetScheduleState(const aws::RequestContext& ctx, const Input& in, bool scheduled) override {
    calls.emplace_back(scheduled ? "StartCrawlerSchedule" : "StopCrawlerSchedule");
    regions.push_back(ctx.region);
    return json::object{{"Forwarded", calls.back()}, {"Input", in}};
  }
  void RunDueSchedules(std::int64_t) override {}
  void Shutdown() override {}
  std::vector<std::string> calls;
  std::vector<std::string> regions;
};

class GlueProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto md = store::MetadataStore::OpenSqlite(dir_ / "meta.db");
    ASSERT_TRUE(md.ok()) << md.error().message;
    metadata_ = std::move(md).value();
    auto c = Catalog::Open(*metadata_, "123456789012", "us-east-1");
    ASSERT_TRUE(c.ok()) << c.error().message;
    catalog_ = std::move(c).value();
    auto provider = std::make_unique<GlueProvider>(*catalog_, crawlers_);
    provider_ = provider.get();
    harness_.Register(std::move(provider));
  }

  // Through the real pipeline (parse stage, authorize, invoke), as the account's root user in region_.
  Result<aws::OperationOutput> Call(std::string_view op, const std::string& params) {
    return harness_.Call("glue", op, json::parse(params).as_object(), region_);
  }
  json::object Ok(std::string_view op, const std::string& params) {
    auto r = Call(op, params);
    EXPECT_TRUE(r.ok()) << op << " " << params << ": "
                        << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    EXPECT_EQ(r->http_status, 0);
    return r->result.as_object();
  }
  Error Err(std::string_view op, const std::string& params) {
    auto r = Call(op, params);
    EXPECT_FALSE(r.ok()) << op << " " << params;
    if (r.ok()) return Error{};
    return r.error();
  }
  void SetUpSales() {
    Ok("CreateDatabase", R"({"DatabaseInput": {"Name": "Lake", "Description": "the lake"}})");
    Ok("CreateTable", R"({"DatabaseName": "lake", "TableInput": {
        "Name": "Sales", "TableType": "EXTERNAL_TABLE", "Description": "sales by day",
        "Parameters": {"classification": "csv"},
        "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "amount", "Type": "double",
                                           "Comment": "gross revenue"}],
                              "Location": "s3://lake/sales/"},
        "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "string"}]}})");
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<Catalog> catalog_;
  FakeCrawlers crawlers_;
  cenote::testing::ProviderHarness harness_{"123456789012"};
  GlueProvider* provider_ = nullptr;  // owned by harness_
  std::string region_ = "us-east-1";  // the region of Call's requests
};

TEST_F(GlueProviderTest, Databases) {
  Ok("CreateDatabase",
     R"({"DatabaseInput": {"Name": "Lake", "LocationUri": "s3://lake/"}, "Tags": {"team": "data"}})");
  auto db = Ok("GetDatabase", R"({"Name": "LAKE"})");
  EXPECT_EQ(db["Database"].at("Name").as_string(), "lake");
  EXPECT_EQ(db["Database"].at("LocationUri").as_string(), "s3://lake/");
  auto tags = Ok("GetTags", R"({"ResourceArn": "arn:aws:glue:us-east-1:123456789012:database/lake"})");
  EXPECT_EQ(tags["Tags"], (json::object{{"team", "data"}}));

  auto dup = Err("CreateDatabase", R"({"DatabaseInput": {"Name": "lake"}})");
  EXPECT_EQ(dup.code, "AlreadyExistsException");
  EXPECT_EQ(dup.message, "Database already exists.");
  ASSERT_EQ(dup.fields.size(), 1u);
  EXPECT_EQ(dup.fields[0], (std::pair<std::string, std::string>{"Message", "Database already exists."}));

  // A bad tag leaves no database behind.
  auto badtag = Err("CreateDatabase", R"({"DatabaseInput": {"Name": "other"}, "Tags": {"aws:x": "y"}})");
  EXPECT_EQ(badtag.code, "InvalidInputException");
  EXPECT_EQ(Err("GetDatabase", R"({"Name": "other"})").code, "EntityNotFoundException");

  for (int i = 0; i < 4; ++i)
    Ok("CreateDatabase", R"({"DatabaseInput": {"Name": "db)" + std::to_string(i) + R"("}})");
  auto p1 = Ok("GetDatabases", R"({"MaxResults": 3})");
  EXPECT_EQ(p1["DatabaseList"].as_array().size(), 3u);
  ASSERT_TRUE(p1.contains("NextToken"));
  auto p2 = Ok("GetDatabases",
               R"({"MaxResults": 3, "NextToken": ")" + std::string(p1["NextToken"].as_string()) + "\"}");
  EXPECT_EQ(p2["DatabaseList"].as_array().size(), 2u);
  EXPECT_FALSE(p2.contains("NextToken"));
  auto names = Ok("GetDatabases", R"({"AttributesToGet": ["NAME"]})");
  EXPECT_EQ(names["DatabaseList"].at(0), (json::object{{"Name", "db0"}}));

  Ok("UpdateDatabase", R"({"Name": "lake", "DatabaseInput": {"Name": "lake", "Description": "d"}})");
  EXPECT_EQ(Ok("GetDatabase", R"({"Name": "lake"})")["Database"].at("Description").as_string(), "d");
  Ok("DeleteDatabase", R"({"Name": "lake"})");
  auto gone = Err("GetDatabase", R"({"Name": "lake"})");
  EXPECT_EQ(gone.code, "EntityNotFoundException");
  EXPECT_EQ(gone.message, "Database lake not found.");
  EXPECT_EQ(gone.http_status, 400);
}

// Required members, lengths, ranges and types are the model's constraints, checked by the pipeline before the
// provider runs (for network requests and, as here, in-process calls alike: ValidationException "Member must
// not be null"); the provider checks what the model cannot say (InvalidInputException).
TEST_F(GlueProviderTest, InputValidation) {
  auto missing = Err("CreateDatabase", "{}");
  EXPECT_EQ(missing.code, "ValidationException");
  EXPECT_NE(missing.message.find(
                "Value null at 'databaseInput' failed to satisfy constraint: Member must not be null"),
            std::string::npos)
      << missing.message;
  EXPECT_EQ(Err("GetDatabase", "{}").code, "ValidationException");
  EXPECT_EQ(Err("GetDatabases", R"({"NextToken": "not-a-token"})").code, "InvalidInputException");
  EXPECT_EQ(Err("CreateTable", R"({"DatabaseName": "x"})").code, "ValidationException");
  EXPECT_EQ(
      Err("CreateDatabase", R"({"DatabaseInput": {"Name": "x", "TargetDatabase": {"DatabaseName": "y"}}})")
          .code,
      "InvalidInputException");
}

TEST_F(GlueProviderTest, CatalogIdOfAnotherAccountIsDenied) {
  Ok("CreateDatabase", R"({"CatalogId": "123456789012", "DatabaseInput": {"Name": "lake"}})");
  auto e = Err("GetDatabase", R"({"CatalogId": "999999999999", "Name": "lake"})");
  EXPECT_EQ(e.code, "AccessDeniedException");
  EXPECT_EQ(e.http_status, 400);
  EXPECT_NE(e.message.find("glue:GetDatabase"), std::string::npos);
  EXPECT_NE(e.message.find("arn:aws:glue:us-east-1:999999999999:catalog"), std::string::npos);
}

TEST_F(GlueProviderTest, TablesAndVersions) {
  SetUpSales();
  auto t = Ok("GetTable", R"({"DatabaseName": "LAKE", "Name": "SALES"})")["Table"].as_object();
  EXPECT_EQ(t["Name"].as_string(), "sales");
  EXPECT_EQ(t["DatabaseName"].as_string(), "lake");
  EXPECT_EQ(t["VersionId"].as_string(), "0");
  EXPECT_EQ(t["StorageDescriptor"].at("Location").as_string(), "s3://lake/sales/");
  EXPECT_EQ(t["PartitionKeys"].as_array().size(), 2u);
  EXPECT_EQ(t["CreatedBy"].as_string(), "arn:aws:iam::123456789012:root");

  Ok("CreateTable", R"({"DatabaseName": "lake", "TableInput": {"Name": "orders"}})");
  auto list = Ok("GetTables", R"({"DatabaseName": "lake", "Expression": "sal*"})");
  ASSERT_EQ(list["TableList"].as_array().size(), 1u);
  EXPECT_EQ(list["TableList"].at(0).at("Name").as_string(), "sales");
  auto slim = Ok("GetTables", R"({"DatabaseName": "lake", "AttributesToGet": ["NAME", "TABLE_TYPE"]})");
  EXPECT_EQ(slim["TableList"].at(1), (json::object{{"Name", "sales"}, {"TableType", "EXTERNAL_TABLE"}}));

  Ok("UpdateTable", R"({"DatabaseName": "lake", "TableInput": {"Name": "sales", "Description": "v1",
                        "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "string"}]}})");
  auto stale =
      Err("UpdateTable", R"({"DatabaseName": "lake", "VersionId": "0", "TableInput": {"Name": "sales"}})");
  EXPECT_EQ(stale.code, "ConcurrentModificationException");
  EXPECT_EQ(stale.message, "Update table failed due to concurrent modifications.");
  // TableInput.Name names the table to update: Glue has no rename, another name is another table.
  auto renamed = Err("UpdateTable", R"({"DatabaseName": "lake", "TableInput": {"Name": "sales_2024"}})");
  EXPECT_EQ(renamed.code, "EntityNotFoundException");
  EXPECT_EQ(renamed.message, "Table sales_2024 not found.");
  Ok("UpdateTable",
     R"({"DatabaseName": "lake", "VersionId": "1", "TableInput": {"Name": "sales", "Description": "v2",
                        "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "month", "Type": "string"}]}})");
  EXPECT_EQ(
      Ok("GetTable", R"({"DatabaseName": "lake", "Name": "sales"})")["Table"].at("CreatedBy").as_string(),
      "arn:aws:iam::123456789012:root");
  auto versions = Ok("GetTableVersions", R"({"DatabaseName": "lake", "TableName": "sales"})");
  ASSERT_EQ(versions["TableVersions"].as_array().size(), 3u);
  EXPECT_EQ(versions["TableVersions"].at(0).at("VersionId").as_string(), "2");
  EXPECT_EQ(versions["TableVersions"].at(2).at("Table").at("Description").as_string(), "sales by day");
  auto v1 = Ok("GetTableVersion", R"({"DatabaseName": "lake", "TableName": "sales", "VersionId": "1"})");
  EXPECT_EQ(v1["TableVersion"].at("Table").at("Description").as_string(), "v1");
  auto errs = Ok("BatchDeleteTableVersion",
                 R"({"DatabaseName": "lake", "TableName": "sales", "VersionIds": ["0", "7", "2"]})");
  ASSERT_EQ(errs["Errors"].as_array().size(), 2u);
  EXPECT_EQ(errs["Errors"].at(0).at("VersionId").as_string(), "7");
  EXPECT_EQ(errs["Errors"].at(0).at("ErrorDetail").at("ErrorCode").as_string(), "EntityNotFoundException");
  EXPECT_EQ(errs["Errors"].at(1).at("ErrorDetail").at("ErrorCode").as_string(), "InvalidInputException");
  Ok("DeleteTableVersion", R"({"DatabaseName": "lake", "TableName": "sales", "VersionId": "1"})");
  versions = Ok("GetTableVersions", R"({"DatabaseName": "lake", "TableName": "sales"})");
  EXPECT_EQ(versions["TableVersions"].as_array().size(), 1u);

  auto batch = Ok("BatchDeleteTable", R"({"DatabaseName": "lake", "TablesToDelete": ["orders", "ghost"]})");
  ASSERT_EQ(batch["Errors"].as_array().size(), 1u);
  EXPECT_EQ(batch["Errors"].at(0).at("TableName").as_string(), "ghost");
  EXPECT_EQ(batch["Errors"].at(0).at("ErrorDetail").at("ErrorMessage").as_string(), "Table ghost not found.");
  EXPECT_EQ(Err("GetTable", R"({"DatabaseName": "lake", "Name": "orders"})").code, "EntityNotFoundException");
  EXPECT_EQ(Err("BatchDeleteTable", R"({"DatabaseName": "nodb", "TablesToDelete": ["a"]})").code,
            "EntityNotFoundException");
  Ok("DeleteTable", R"({"DatabaseName": "lake", "Name": "sales"})");
  EXPECT_EQ(Err("DeleteTable", R"({"DatabaseName": "lake", "Name": "sales"})").code,
            "EntityNotFoundException");
}

TEST_F(GlueProviderTest, Partitions) {
  SetUpSales();
  std::string inputs;
  for (int y = 2020; y <= 2024; ++y) {
    for (const char* m : {"01", "02"}) {
      if (!inputs.empty()) inputs += ",";
      inputs += R"({"Values": [")" + std::to_string(y) + R"(", ")" + m +
                R"("], "StorageDescriptor": {"Location": "s3://lake/sales/)" + std::to_string(y) + "/" + m +
                R"(/", "Columns": [{"Name": "id", "Type": "bigint"}]}})";
    }
  }
  auto created =
      Ok("BatchCreatePartition", R"({"DatabaseName": "lake", "TableName": "sales", "PartitionInputList": [)" +
                                     inputs + R"(, {"Values": ["2020", "01"]}]})");
  ASSERT_EQ(created["Errors"].as_array().size(), 1u);
  EXPECT_EQ(created["Errors"].at(0).at("PartitionValues"), (json::array{"2020", "01"}));
  EXPECT_EQ(created["Errors"].at(0).at("ErrorDetail").at("ErrorCode").as_string(), "AlreadyExistsException");

  auto p = Ok("GetPartition",
              R"({"DatabaseName": "lake", "TableName": "sales", "PartitionValues": ["2022", "02"]})");
  EXPECT_EQ(p["Partition"].at("StorageDescriptor").at("Location").as_string(), "s3://lake/sales/2022/02/");
  EXPECT_EQ(p["Partition"].at("TableName").as_string(), "sales");

  auto filtered = Ok("GetPartitions", R"({"DatabaseName": "lake", "TableName": "sales",
                                          "Expression": "year BETWEEN 2021 AND 2022 AND month = '02'",
                                          "ExcludeColumnSchema": true})");
  ASSERT_EQ(filtered["Partitions"].as_array().size(), 2u);
  EXPECT_EQ(filtered["Partitions"].at(0).at("Values"), (json::array{"2021", "02"}));
  EXPECT_FALSE(filtered["Partitions"].at(0).at("StorageDescriptor").as_object().contains("Columns"));
  EXPECT_EQ(
      Err("GetPartitions", R"({"DatabaseName": "lake", "TableName": "sales", "Expression": "year >>"})").code,
      "InvalidInputException");

  // Paging with MaxResults and the segments together cover every partition exactly once.
  std::multiset<std::string> seen;
  for (int segment = 0; segment < 3; ++segment) {
    std::string token;
    int pages = 0;
    do {
      std::string req =
          R"({"DatabaseName": "lake", "TableName": "sales", "MaxResults": 2, "Segment": {"SegmentNumber": )" +
          std::to_string(segment) + R"(, "TotalSegments": 3})";
      if (!token.empty()) req += R"(, "NextToken": ")" + token + "\"";
      auto page = Ok("GetPartitions", req + "}");
      for (const auto& part : page["Partitions"].as_array()) {
        seen.insert(std::string(part.at("Values").at(0).as_string()) + "/" +
                    std::string(part.at("Values").at(1).as_string()));
      }
      token = page.contains("NextToken") ? std::string(page["NextToken"].as_string()) : "";
      ASSERT_LT(++pages, 20);
    } while (!token.empty());
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 10u);
  EXPECT_EQ(Err("GetPartitions", R"({"DatabaseName": "lake", "TableName": "sales",
                                     "Segment": {"SegmentNumber": 3, "TotalSegments": 3}})")
                .code,
            "InvalidInputException");

  EXPECT_EQ(Ok("GetPartitionIndexes",
               R"({"DatabaseName": "lake", "TableName": "sales"})")["PartitionIndexDescriptorList"],
            json::array());
  EXPECT_EQ(Err("GetPartitionIndexes", R"({"DatabaseName": "lake", "TableName": "none"})").code,
            "EntityNotFoundException");

  auto got = Ok("BatchGetPartition", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionsToGet": [{"Values": ["2020", "01"]}, {"Values": ["1999", "01"]}, {"Values": ["2024", "02"]}]})");
  ASSERT_EQ(got["Partitions"].as_array().size(), 2u);
  EXPECT_EQ(got["UnprocessedKeys"].as_array().size(), 0u);

  Ok("UpdatePartition",
     R"({"DatabaseName": "lake", "TableName": "sales", "PartitionValueList": ["2020", "01"],
                            "PartitionInput": {"Values": ["2020", "01"], "Parameters": {"rows": "10"}}})");
  auto updated = Ok("BatchUpdatePartition", R"({"DatabaseName": "lake", "TableName": "sales", "Entries": [
      {"PartitionValueList": ["2020", "02"], "PartitionInput": {"Values": ["2020", "02"], "Parameters": {"rows": "3"}}},
      {"PartitionValueList": ["1999", "02"], "PartitionInput": {"Values": ["1999", "02"]}}]})");
  ASSERT_EQ(updated["Errors"].as_array().size(), 1u);
  EXPECT_EQ(updated["Errors"].at(0).at("PartitionValueList"), (json::array{"1999", "02"}));
  EXPECT_EQ(
      Ok("GetPartition",
         R"({"DatabaseName": "lake", "TableName": "sales", "PartitionValues": ["2020", "02"]})")["Partition"]
          .at("Parameters")
          .at("rows")
          .as_string(),
      "3");

  auto deleted = Ok("BatchDeletePartition", R"({"DatabaseName": "lake", "TableName": "sales",
      "PartitionsToDelete": [{"Values": ["2020", "01"]}, {"Values": ["1999", "01"]}]})");
  ASSERT_EQ(deleted["Errors"].as_array().size(), 1u);
  EXPECT_EQ(deleted["Errors"].at(0).at("ErrorDetail").at("ErrorMessage").as_string(),
            "Cannot find partition.");
  Ok("DeletePartition",
     R"({"DatabaseName": "lake", "TableName": "sales", "PartitionValues": ["2020", "02"]})");
  auto rest = Ok("GetPartitions", R"({"DatabaseName": "lake", "TableName": "sales"})");
  EXPECT_EQ(rest["Partitions"].as_array().size(), 8u);
}

TEST_F(GlueProviderTest, SearchTables) {
  SetUpSales();
  Ok("CreateDatabase", R"({"DatabaseInput": {"Name": "crm"}})");
  Ok("CreateTable",
     R"({"DatabaseName": "crm", "TableInput": {"Name": "customer-link", "TableType": "VIRTUAL_VIEW"}})");
  Ok("CreateTable",
     R"({"DatabaseName": "crm", "TableInput": {"Name": "accounts", "Parameters": {"classification": "csv"}}})");

  auto by_column_comment = Ok("SearchTables", R"({"SearchText": "revenue"})");
  ASSERT_EQ(by_column_comment["TableList"].as_array().size(), 1u);
  EXPECT_EQ(by_column_comment["TableList"].at(0).at("Name").as_string(), "sales");

  auto by_db = Ok("SearchTables", R"({"Filters": [{"Key": "DatabaseName", "Value": "crm"}]})");
  EXPECT_EQ(by_db["TableList"].as_array().size(), 2u);
  auto token = Ok("SearchTables", R"({"Filters": [{"Key": "Name", "Value": "link"}]})");
  ASSERT_EQ(token["TableList"].as_array().size(), 1u);
  EXPECT_EQ(token["TableList"].at(0).at("Name").as_string(), "customer-link");
  auto param = Ok("SearchTables", R"({"Filters": [{"Key": "classification", "Value": "csv"}]})");
  EXPECT_EQ(param["TableList"].as_array().size(), 2u);

  auto sorted =
      Ok("SearchTables", R"({"SortCriteria": [{"FieldName": "Name", "Sort": "DESC"}], "MaxResults": 2})");
  ASSERT_EQ(sorted["TableList"].as_array().size(), 2u);
  EXPECT_EQ(sorted["TableList"].at(0).at("Name").as_string(), "sales");
  EXPECT_EQ(sorted["TableList"].at(1).at("Name").as_string(), "customer-link");
  ASSERT_TRUE(sorted.contains("NextToken"));
  auto next = Ok("SearchTables", R"({"SortCriteria": [{"FieldName": "Name", "Sort": "DESC"}], "MaxResults": 2,
                                     "NextToken": ")" +
                                     std::string(sorted["NextToken"].as_string()) + "\"}");
  ASSERT_EQ(next["TableList"].as_array().size(), 1u);
  EXPECT_EQ(next["TableList"].at(0).at("Name").as_string(), "accounts");
  EXPECT_FALSE(next.contains("NextToken"));
  auto exact = Ok("SearchTables", R"({"SearchText": "\"sales\""})");
  EXPECT_EQ(exact["TableList"].as_array().size(), 1u);
  EXPECT_EQ(Err("SearchTables", R"({"NextToken": "abc"})").code, "InvalidInputException");
}

TEST_F(GlueProviderTest, Tags) {
  SetUpSales();
  const std::string arn = "arn:aws:glue:us-east-1:123456789012:table/lake/sales";
  Ok("TagResource", R"({"ResourceArn": ")" + arn + R"(", "TagsToAdd": {"a": "1", "b": "2"}})");
  Ok("UntagResource", R"({"ResourceArn": ")" + arn + R"(", "TagsToRemove": ["a"]})");
  EXPECT_EQ(Ok("GetTags", R"({"ResourceArn": ")" + arn + "\"}")["Tags"], (json::object{{"b", "2"}}));
  EXPECT_EQ(Err("GetTags", R"({"ResourceArn": "arn:aws:glue:us-east-1:123456789012:table/lake/none"})").code,
            "EntityNotFoundException");
}

TEST_F(GlueProviderTest, CrawlerOperationsAreForwardedInTheRequestsRegion) {
  auto out = Ok("StartCrawler", R"({"Name": "c1"})");
  EXPECT_EQ(out["Forwarded"].as_string(), "StartCrawler");
  EXPECT_EQ(out["Input"].at("Name").as_string(), "c1");
  region_ = "eu-west-1";
  Ok("StopCrawlerSchedule", R"({"CrawlerName": "c1"})");
  EXPECT_EQ(crawlers_.calls, (std::vector<std::string>{"StartCrawler", "StopCrawlerSchedule"}));
  EXPECT_EQ(crawlers_.regions, (std::vector<std::string>{"us-east-1", "eu-west-1"}));
}

TEST_F(GlueProviderTest, EachRegionHasItsOwnCatalog) {
  Ok("CreateDatabase", R"({"DatabaseInput": {"Name": "lake", "Description": "us"}})");
  region_ = "eu-west-1";
  EXPECT_EQ(Err("GetDatabase", R"({"Name": "lake"})").code, "EntityNotFoundException");
  Ok("CreateDatabase", R"({"DatabaseInput": {"Name": "lake", "Description": "eu"}})");
  EXPECT_EQ(Ok("GetDatabase", R"({"Name": "lake"})")["Database"].at("Description"), "eu");
  EXPECT_EQ(Ok("GetDatabases", "{}")["DatabaseList"].as_array().size(), 1u);
  region_ = "us-east-1";
  EXPECT_EQ(Ok("GetDatabase", R"({"Name": "lake"})")["Database"].at("Description"), "us");
  // The caller's own CatalogId is its catalog; another account's is refused in Glue's words.
  Ok("GetDatabase", R"({"Name": "lake", "CatalogId": "123456789012"})");
  const Error denied = Err("GetDatabase", R"({"Name": "lake", "CatalogId": "999999999999"})");
  EXPECT_EQ(denied.code, "AccessDeniedException");
  EXPECT_NE(denied.message.find("arn:aws:glue:us-east-1:999999999999:catalog"), std::string::npos);
}

TEST_F(GlueProviderTest, UnsupportedOperationsAreNotImplemented) {
  // The pipeline answers them (tests/unit/aws/pipeline/invoke_test.cpp): the provider only says which.
  EXPECT_FALSE(provider_->Implements("CreateBlueprint"));
  EXPECT_TRUE(provider_->Implements("GetDatabase"));
  EXPECT_TRUE(provider_->Implements("StartCrawler"));
}

TEST_F(GlueProviderTest, CoverageDocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/glue-coverage.md");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (auto op : GlueProvider::SupportedOperations()) {
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos) << op;
  }
  std::size_t rows = 0;
  std::size_t pos = 0;
  while ((pos = doc.find("\n| ", pos)) != std::string::npos) {
    const std::size_t start = pos + 3;
    const std::size_t end = doc.find(" | ", start);
    ASSERT_NE(end, std::string::npos);
    const std::string op = doc.substr(start, end - start);
    pos = end;
    if (op == "Operation" || op.empty() || op[0] == '-') continue;
    ++rows;
    if (doc.compare(end, 20, " | not implemented |") != 0) continue;
    EXPECT_FALSE(provider_->Implements(op)) << op;
  }
  // Every operation of the pinned model (glue-2017-03-31.min.json) has a row, and NotifyEvent (Cenote's
  // in-process operation for EventBridge, src/aws/model/overlay/glue-2017-03-31.notify-event.json).
  EXPECT_EQ(rows, 225u);
}

}  // namespace
}  // namespace cenote::glue

// A new data directory creates the schema from fresh_schema.inc; it must be what the migrations build.
TEST(FreshSchema, Glue) {
  cenote::testing::CheckFreshSchema("glue", cenote::glue::internal::Migrations("123456789012", "us-east-1"),
                                    cenote::glue::internal::FreshSchema(), CENOTE_SOURCE_DIR,
                                    "src/services/glue/fresh_schema.inc");
}

// A new data directory creates the schema from fresh_schema.inc; it must be what the migrations build.
TEST(FreshSchema, GlueCrawler) {
  cenote::testing::CheckFreshSchema(
      "glue_crawler", cenote::glue::crawler::Migrations("123456789012", "us-east-1"),
      cenote::glue::crawler::FreshSchema(), CENOTE_SOURCE_DIR, "src/services/glue/crawler/fresh_schema.inc");
}
