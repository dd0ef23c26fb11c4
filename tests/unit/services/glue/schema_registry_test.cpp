// glue::SchemaRegistry on a temp-dir SQLite MetadataStore (the catalog opened first, as Register does).
#include "services/glue/schema_registry.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "services/glue/catalog.hpp"
#include "store/temp_dir.hpp"

namespace cenote::glue {
namespace {

namespace json = boost::json;
using object = json::object;

object Obj(const std::string& text) { return json::parse(text).as_object(); }

const char* kAvroV1 = R"({"type":"record","name":"User","fields":[{"name":"id","type":"long"}]})";
const char* kAvroV2 =
    R"({"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":["null","string"],"default":null}]})";
const char* kAvroBreaking =
    R"({"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"age","type":"int"}]})";

class SchemaRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    registry_.reset();
    catalog_.reset();
    metadata_.reset();
    auto md = store::MetadataStore::OpenSqlite(dir_ / "meta.db");
    ASSERT_TRUE(md.ok()) << md.error().message;
    metadata_ = std::move(md).value();
    auto c = Catalog::Open(*metadata_, "123456789012", "us-east-1");
    ASSERT_TRUE(c.ok()) << c.error().message;
    catalog_ = std::move(c).value();
    auto r = SchemaRegistry::Open(*metadata_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    registry_ = std::move(r).value();
  }

  object Ok(Result<object> r) {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + ": " + r.error().message);
    return r.ok() ? *r : object();
  }
  Error Err(Result<object> r) {
    EXPECT_FALSE(r.ok());
    return r.ok() ? Error{} : r.error();
  }

  object CreateAvroSchema(const std::string& compatibility = "BACKWARD") {
    Ok(registry_->CreateRegistry(s_, Obj(R"({"RegistryName":"reg"})")));
    object in{{"RegistryId", object{{"RegistryName", "reg"}}},
              {"SchemaName", "users"},
              {"DataFormat", "AVRO"},
              {"Compatibility", compatibility},
              {"SchemaDefinition", kAvroV1}};
    return Ok(registry_->CreateSchema(s_, in));
  }
  object Register(const std::string& definition) {
    return Ok(registry_->RegisterSchemaVersion(
        s_, object{{"SchemaId", object{{"RegistryName", "reg"}, {"SchemaName", "users"}}},
                   {"SchemaDefinition", definition}}));
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<SchemaRegistry> registry_;
  SchemaRegistry::Scope s_{.account = "123456789012", .region = "us-east-1"};
};

TEST_F(SchemaRegistryTest, RegistriesCreateGetListUpdateDelete) {
  object created = Ok(registry_->CreateRegistry(
      s_, Obj(R"({"RegistryName":"reg","Description":"d","Tags":{"team":"data"}})")));
  EXPECT_EQ(created["RegistryArn"], "arn:aws:glue:us-east-1:123456789012:registry/reg");
  EXPECT_EQ(created["Tags"].as_object().at("team"), "data");
  EXPECT_EQ(Err(registry_->CreateRegistry(s_, Obj(R"({"RegistryName":"reg"})"))).code,
            "AlreadyExistsException");
  EXPECT_EQ(Err(registry_->CreateRegistry(s_, Obj(R"({"RegistryName":"bad name"})"))).code,
            "InvalidInputException");
  object got = Ok(registry_->GetRegistry(
      s_, Obj(R"({"RegistryId":{"RegistryArn":"arn:aws:glue:us-east-1:123456789012:registry/reg"}})")));
  EXPECT_EQ(got["Description"], "d");
  EXPECT_EQ(got["Status"], "AVAILABLE");
  EXPECT_EQ(got["CreatedTime"].as_string().size(), 24u);  // 2026-12-07T02:53:04.123Z
  Error both = Err(registry_->GetRegistry(
      s_,
      Obj(R"({"RegistryId":{"RegistryName":"reg","RegistryArn":"arn:aws:glue:us-east-1:123456789012:registry/reg"}})")));
  EXPECT_NE(both.message.find("both cannot be provided"), std::string::npos);
  EXPECT_EQ(Err(registry_->GetRegistry(s_, Obj(R"({"RegistryId":{"RegistryName":"nope"}})"))).message,
            "Registry is not found. RegistryName: nope");
  EXPECT_EQ(
      Err(registry_->GetRegistry(
              s_,
              Obj(R"({"RegistryId":{"RegistryArn":"arn:aws:glue:us-east-1:999999999999:registry/reg"}})")))
          .code,
      "AccessDeniedException");
  // Other regions are other namespaces.
  SchemaRegistry::Scope west{.account = "123456789012", .region = "us-west-2"};
  EXPECT_EQ(Err(registry_->GetRegistry(west, Obj(R"({"RegistryId":{"RegistryName":"reg"}})"))).code,
            "EntityNotFoundException");

  for (int i = 0; i < 5; ++i)
    Ok(registry_->CreateRegistry(s_, object{{"RegistryName", std::string("r").append(std::to_string(i))}}));
  object page = Ok(registry_->ListRegistries(s_, Obj(R"({"MaxResults":4})")));
  ASSERT_EQ(page["Registries"].as_array().size(), 4u);
  object page2 = Ok(registry_->ListRegistries(s_, object{{"NextToken", page["NextToken"]}}));
  ASSERT_EQ(page2["Registries"].as_array().size(), 2u);
  EXPECT_EQ(page2.if_contains("NextToken"), nullptr);
  EXPECT_EQ(page2["Registries"].as_array()[1].as_object().at("RegistryName"), "reg");

  Ok(registry_->UpdateRegistry(s_, Obj(R"({"RegistryId":{"RegistryName":"reg"},"Description":"new"})")));
  EXPECT_EQ(Ok(registry_->GetRegistry(s_, Obj(R"({"RegistryId":{"RegistryName":"reg"}})")))["Description"],
            "new");
  object deleted = Ok(registry_->DeleteRegistry(s_, Obj(R"({"RegistryId":{"RegistryName":"reg"}})")));
  EXPECT_EQ(deleted["Status"], "DELETING");
  EXPECT_EQ(Err(registry_->GetRegistry(s_, Obj(R"({"RegistryId":{"RegistryName":"reg"}})"))).code,
            "EntityNotFoundException");
  auto tags = catalog_->ForRegion("123456789012", "us-east-1")
                  ->GetTags("arn:aws:glue:us-east-1:123456789012:registry/reg");
  ASSERT_TRUE(tags.ok());
  EXPECT_TRUE(tags->empty());
}

TEST_F(SchemaRegistryTest, CreateSchemaWithoutRegistryUsesTheDefaultRegistry) {
  object out = Ok(registry_->CreateSchema(
      s_, object{{"SchemaName", "s"}, {"DataFormat", "JSON"}, {"SchemaDefinition", R"({"type":"object"})"}}));
  EXPECT_EQ(out["RegistryName"], "default-registry");
  EXPECT_EQ(out["Compatibility"], "BACKWARD");
  EXPECT_EQ(out["SchemaCheckpoint"], 1);
  EXPECT_EQ(out["LatestSchemaVersion"], 1);
  EXPECT_EQ(out["NextSchemaVersion"], 2);
  EXPECT_EQ(out["SchemaVersionStatus"], "AVAILABLE");
  EXPECT_EQ(out["SchemaVersionId"].as_string().size(), 36u);
  Ok(registry_->GetRegistry(s_, Obj(R"({"RegistryId":{"RegistryName":"default-registry"}})")));
  // SchemaId with a SchemaName alone is in the default registry too.
  Ok(registry_->GetSchema(s_, Obj(R"({"SchemaId":{"SchemaName":"s"}})")));
  // An invalid definition creates nothing.
  Error bad = Err(registry_->CreateSchema(
      s_, object{{"SchemaName", "t"}, {"DataFormat", "AVRO"}, {"SchemaDefinition", R"({"type":"recrd"})"}}));
  EXPECT_EQ(bad.code, "InvalidInputException");
  EXPECT_NE(bad.message.find("Schema definition of AVRO data format is invalid"), std::string::npos);
  EXPECT_EQ(Err(registry_->GetSchema(s_, Obj(R"({"SchemaId":{"SchemaName":"t"}})"))).code,
            "EntityNotFoundException");
  // An explicit registry must exist.
  EXPECT_EQ(
      Err(registry_->CreateSchema(
              s_,
              Obj(R"({"RegistryId":{"RegistryName":"none"},"SchemaName":"x","DataFormat":"AVRO","SchemaDefinition":"\"int\""})")))
          .code,
      "EntityNotFoundException");
}

TEST_F(SchemaRegistryTest, VersionsCompatibilityFailureAndLatest) {
  CreateAvroSchema();
  object v2 = Register(kAvroV2);
  EXPECT_EQ(v2["VersionNumber"], 2);
  EXPECT_EQ(v2["Status"], "AVAILABLE");
  // The same definition again answers the existing version.
  object again = Register(std::string(kAvroV2) + "\n ");
  EXPECT_EQ(again["SchemaVersionId"], v2["SchemaVersionId"]);
  // A breaking version is kept with Status FAILURE and is not the latest.
  object broken = Register(kAvroBreaking);
  EXPECT_EQ(broken["Status"], "FAILURE");
  EXPECT_EQ(broken["VersionNumber"], 3);
  object schema =
      Ok(registry_->GetSchema(s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"}})")));
  EXPECT_EQ(schema["LatestSchemaVersion"], 2);
  EXPECT_EQ(schema["NextSchemaVersion"], 4);
  object latest = Ok(registry_->GetSchemaVersion(
      s_,
      Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"SchemaVersionNumber":{"LatestVersion":true}})")));
  EXPECT_EQ(latest["SchemaVersionId"], v2["SchemaVersionId"]);
  EXPECT_EQ(latest["SchemaDefinition"], kAvroV2);
  object by_id = Ok(registry_->GetSchemaVersion(s_, object{{"SchemaVersionId", broken["SchemaVersionId"]}}));
  EXPECT_EQ(by_id["Status"], "FAILURE");
  EXPECT_EQ(by_id["VersionNumber"], 3);
  EXPECT_NE(
      Err(registry_->GetSchemaVersion(s_, object{{"SchemaVersionId", broken["SchemaVersionId"]},
                                                 {"SchemaVersionNumber", object{{"VersionNumber", 1}}}}))
          .message.find("No other input parameters"),
      std::string::npos);
  EXPECT_EQ(
      Err(registry_->GetSchemaVersion(
              s_,
              Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"SchemaVersionNumber":{"VersionNumber":9}})")))
          .code,
      "EntityNotFoundException");
  object list = Ok(registry_->ListSchemaVersions(
      s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"MaxResults":2})")));
  ASSERT_EQ(list["Schemas"].as_array().size(), 2u);
  object rest = Ok(registry_->ListSchemaVersions(
      s_, object{{"SchemaId", Obj(R"({"RegistryName":"reg","SchemaName":"users"})")},
                 {"NextToken", list["NextToken"]}}));
  ASSERT_EQ(rest["Schemas"].as_array().size(), 1u);
  EXPECT_EQ(rest["Schemas"].as_array()[0].as_object().at("Status"), "FAILURE");

  // By definition; the diff between versions.
  object found = Ok(registry_->GetSchemaByDefinition(
      s_, object{{"SchemaId", Obj(R"({"RegistryName":"reg","SchemaName":"users"})")},
                 {"SchemaDefinition", kAvroV1}}));
  EXPECT_EQ(found["Status"], "AVAILABLE");
  EXPECT_EQ(Err(registry_->GetSchemaByDefinition(
                    s_, object{{"SchemaId", Obj(R"({"RegistryName":"reg","SchemaName":"users"})")},
                               {"SchemaDefinition", "\"int\""}}))
                .code,
            "EntityNotFoundException");
  object diff = Ok(registry_->GetSchemaVersionsDiff(
      s_,
      Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"FirstSchemaVersionNumber":{"VersionNumber":1},
                 "SecondSchemaVersionNumber":{"LatestVersion":true},"SchemaDiffType":"SYNTAX_DIFF"})")));
  EXPECT_EQ(json::parse(diff["Diff"].as_string()).as_array().size(), 1u);
}

TEST_F(SchemaRegistryTest, CompatibilityModesCheckpointAndDisabled) {
  CreateAvroSchema("NONE");
  EXPECT_EQ(Register(kAvroBreaking)["Status"], "AVAILABLE");
  // UpdateSchema: Compatibility needs the checkpoint; the checkpoint must be an available version.
  EXPECT_EQ(
      Err(registry_->UpdateSchema(
              s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"Compatibility":"FULL"})")))
          .code,
      "InvalidInputException");
  EXPECT_EQ(Err(registry_->UpdateSchema(
                    s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"Compatibility":"FULL",
                                                   "SchemaVersionNumber":{"VersionNumber":7}})")))
                .code,
            "EntityNotFoundException");
  Ok(registry_->UpdateSchema(
      s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"Compatibility":"BACKWARD_ALL",
                                        "SchemaVersionNumber":{"LatestVersion":true},"Description":"now strict"})")));
  object schema = Ok(registry_->GetSchema(
      s_, Obj(R"({"SchemaId":{"SchemaArn":"arn:aws:glue:us-east-1:123456789012:schema/reg/users"}})")));
  EXPECT_EQ(schema["Compatibility"], "BACKWARD_ALL");
  EXPECT_EQ(schema["SchemaCheckpoint"], 2);
  EXPECT_EQ(schema["Description"], "now strict");
  // Against version 2 (the checkpoint) only: version 1 is before it.
  const char* v3 =
      R"({"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"age","type":"int"},{"name":"x","type":"int","default":1}]})";
  EXPECT_EQ(Register(v3)["Status"], "AVAILABLE");
  // DISABLED: no more versions.
  Ok(registry_->UpdateSchema(
      s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"Compatibility":"DISABLED",
                                        "SchemaVersionNumber":{"VersionNumber":3}})")));
  Error disabled = Err(registry_->RegisterSchemaVersion(
      s_, object{{"SchemaId", Obj(R"({"RegistryName":"reg","SchemaName":"users"})")},
                 {"SchemaDefinition", kAvroV2}}));
  EXPECT_NE(disabled.message.find("Compatibility DISABLED does not allow versioning"), std::string::npos);
}

TEST_F(SchemaRegistryTest, DeleteSchemaVersionsRanges) {
  CreateAvroSchema("NONE");
  Register(kAvroV2);
  Register(kAvroBreaking);
  Register(R"({"type":"record","name":"User","fields":[{"name":"id","type":"string"}]})");
  // The checkpoint (1) is in the range: refused whole.
  EXPECT_EQ(Err(registry_->DeleteSchemaVersions(
                    s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"Versions":"1-2"})")))
                .code,
            "ConcurrentModificationException");
  object out = Ok(registry_->DeleteSchemaVersions(
      s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"Versions":"3-6"})")));
  // 3 and 4 deleted; 5 and 6 were never given out.
  EXPECT_TRUE(out["SchemaVersionErrors"].as_array().empty());
  object list = Ok(
      registry_->ListSchemaVersions(s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"}})")));
  EXPECT_EQ(list["Schemas"].as_array().size(), 2u);
  object again = Ok(registry_->DeleteSchemaVersions(
      s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"Versions":"4"})")));
  ASSERT_EQ(again["SchemaVersionErrors"].as_array().size(), 1u);
  EXPECT_EQ(again["SchemaVersionErrors"].as_array()[0].at("ErrorDetails").at("ErrorCode"),
            "EntityNotFoundException");
  object schema =
      Ok(registry_->GetSchema(s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"}})")));
  EXPECT_EQ(schema["LatestSchemaVersion"], 2);
  EXPECT_EQ(schema["NextSchemaVersion"], 5);
}

TEST_F(SchemaRegistryTest, VersionMetadataPutQueryRemoveAndLimit) {
  object created = CreateAvroSchema();
  const std::string id(created["SchemaVersionId"].as_string());
  object put = Ok(registry_->PutSchemaVersionMetadata(
      s_, object{{"SchemaVersionId", id},
                 {"MetadataKeyValue", Obj(R"({"MetadataKey":"owner","MetadataValue":"alice"})")}}));
  EXPECT_EQ(put["LatestVersion"], true);
  EXPECT_EQ(put["VersionNumber"], 1);
  Ok(registry_->PutSchemaVersionMetadata(
      s_,
      Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"},"SchemaVersionNumber":{"VersionNumber":1},
                 "MetadataKeyValue":{"MetadataKey":"owner","MetadataValue":"bob"}})")));
  EXPECT_EQ(
      Err(registry_->PutSchemaVersionMetadata(
              s_, object{{"SchemaVersionId", id},
                         {"MetadataKeyValue", Obj(R"({"MetadataKey":"owner","MetadataValue":"bob"})")}}))
          .code,
      "AlreadyExistsException");
  object q = Ok(registry_->QuerySchemaVersionMetadata(s_, object{{"SchemaVersionId", id}}));
  const object& owner = q["MetadataInfoMap"].as_object().at("owner").as_object();
  EXPECT_EQ(owner.at("OtherMetadataValueList").as_array().size(), 1u);
  object filtered = Ok(registry_->QuerySchemaVersionMetadata(
      s_, object{{"SchemaVersionId", id},
                 {"MetadataList", json::array{Obj(R"({"MetadataKey":"owner","MetadataValue":"alice"})")}}}));
  EXPECT_EQ(filtered["MetadataInfoMap"].as_object().at("owner").at("MetadataValue"), "alice");
  for (int i = 0; i < 8; ++i) {
    Ok(registry_->PutSchemaVersionMetadata(
        s_, object{{"SchemaVersionId", id},
                   {"MetadataKeyValue", object{{"MetadataKey", std::string("k").append(std::to_string(i))},
                                               {"MetadataValue", "v"}}}}));
  }
  EXPECT_EQ(Err(registry_->PutSchemaVersionMetadata(
                    s_, object{{"SchemaVersionId", id},
                               {"MetadataKeyValue", Obj(R"({"MetadataKey":"z","MetadataValue":"v"})")}}))
                .code,
            "ResourceNumberLimitExceededException");
  Ok(registry_->RemoveSchemaVersionMetadata(
      s_, object{{"SchemaVersionId", id},
                 {"MetadataKeyValue", Obj(R"({"MetadataKey":"owner","MetadataValue":"bob"})")}}));
  EXPECT_EQ(
      Err(registry_->RemoveSchemaVersionMetadata(
              s_, object{{"SchemaVersionId", id},
                         {"MetadataKeyValue", Obj(R"({"MetadataKey":"owner","MetadataValue":"bob"})")}}))
          .code,
      "EntityNotFoundException");
}

TEST_F(SchemaRegistryTest, EverythingSurvivesReopening) {
  object created = CreateAvroSchema();
  Register(kAvroV2);
  Open();
  object v = Ok(registry_->GetSchemaVersion(s_, object{{"SchemaVersionId", created["SchemaVersionId"]}}));
  EXPECT_EQ(v["SchemaDefinition"], kAvroV1);
  object schema =
      Ok(registry_->GetSchema(s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"}})")));
  EXPECT_EQ(schema["LatestSchemaVersion"], 2);
  Ok(registry_->DeleteSchema(s_, Obj(R"({"SchemaId":{"RegistryName":"reg","SchemaName":"users"}})")));
  Open();
  EXPECT_EQ(
      Err(registry_->GetSchemaVersion(s_, object{{"SchemaVersionId", created["SchemaVersionId"]}})).code,
      "EntityNotFoundException");
}

TEST_F(SchemaRegistryTest, CheckSchemaVersionValidity) {
  EXPECT_EQ(
      Ok(registry_->CheckSchemaVersionValidity(
          s_,
          Obj(R"({"DataFormat":"PROTOBUF","SchemaDefinition":"syntax = \"proto3\"; message M { int32 a = 1; }"})")))
          ["Valid"],
      true);
  object bad = Ok(registry_->CheckSchemaVersionValidity(
      s_, Obj(R"({"DataFormat":"JSON","SchemaDefinition":"{\"type\":5}"})")));
  EXPECT_EQ(bad["Valid"], false);
  EXPECT_NE(bad["Error"].as_string().find("'type'"), std::string::npos);
}

}  // namespace
}  // namespace cenote::glue
