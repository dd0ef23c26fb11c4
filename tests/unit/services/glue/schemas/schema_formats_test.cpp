// The schema registry's formats: Avro, JSON Schema and Protobuf parsing, compatibility and SYNTAX_DIFF.
#include "services/glue/schemas/schema_formats.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cenote::glue::schemas {
namespace {

std::shared_ptr<const Schema> Must(DataFormat f, const std::string& text) {
  auto s = ParseSchema(f, text);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message) << "\n" << text;
  return s.ok() ? *s : nullptr;
}

std::string Invalid(DataFormat f, const std::string& text) {
  auto s = ParseSchema(f, text);
  EXPECT_FALSE(s.ok()) << text;
  return s.ok() ? "" : s.error().message;
}

// ---- Avro

const char* kUserV1 = R"({"type":"record","name":"User","namespace":"com.example","fields":[
  {"name":"id","type":"long"},{"name":"name","type":"string"}]})";

TEST(AvroSchema, ParsesPrimitivesRecordsEnumsArraysMapsUnionsFixedAndRecursion) {
  Must(DataFormat::kAvro, R"("string")");
  Must(DataFormat::kAvro, R"({"type":"int"})");
  Must(DataFormat::kAvro, kUserV1);
  Must(DataFormat::kAvro, R"({"type":"record","name":"Node","fields":[
      {"name":"value","type":"int"},
      {"name":"next","type":["null","Node"],"default":null},
      {"name":"tags","type":{"type":"array","items":"string"},"default":[]},
      {"name":"attrs","type":{"type":"map","values":"long"},"default":{}},
      {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["A","B"],"default":"A"}},
      {"name":"again","type":"Kind","default":"B"},
      {"name":"hash","type":{"type":"fixed","name":"MD5","size":16}},
      {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}}]})");
}

TEST(AvroSchema, RefusesWhatTheSpecificationRefuses) {
  EXPECT_NE(Invalid(DataFormat::kAvro, "{not json").find("Invalid JSON"), std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kAvro, R"("strin")").find("is not a defined name"), std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kAvro, R"({"type":"record","name":"R"})").find("Record has no fields"),
            std::string::npos);
  EXPECT_NE(
      Invalid(DataFormat::kAvro, R"({"type":"record","name":"1R","fields":[]})").find("Illegal character"),
      std::string::npos);
  EXPECT_NE(
      Invalid(
          DataFormat::kAvro,
          R"({"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]})")
          .find("Duplicate field a"),
      std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kAvro, R"(["int","int"])").find("Duplicate in union"), std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kAvro, R"(["int",["string"]])").find("Nested union"), std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kAvro, R"({"type":"enum","name":"E","symbols":["A","A"]})")
                .find("Duplicate enum symbol"),
            std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kAvro, R"({"type":"fixed","name":"F"})").find("size"), std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kAvro,
                    R"({"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]})")
                .find("Invalid default for field a"),
            std::string::npos);
  // A union's default is its first branch's.
  EXPECT_NE(
      Invalid(
          DataFormat::kAvro,
          R"({"type":"record","name":"R","fields":[{"name":"a","type":["string","null"],"default":null}]})")
          .find("Invalid default"),
      std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kAvro, R"({"type":"record","name":"R","fields":[{"name":"a","type":"R2"}]})")
                .find("\"R2\" is not a defined name"),
            std::string::npos);
  EXPECT_NE(
      Invalid(
          DataFormat::kAvro,
          R"({"type":"record","name":"R","fields":[{"name":"a","type":{"type":"enum","name":"R","symbols":["X"]}}]})")
          .find("Can't redefine"),
      std::string::npos);
}

TEST(AvroSchema, CanonicalFormIgnoresWhitespace) {
  auto a = Must(DataFormat::kAvro, kUserV1);
  auto b = Must(
      DataFormat::kAvro,
      R"({ "type" : "record", "name":"User","namespace":"com.example","fields":[{"name":"id","type":"long"},
                    {"name":"name","type":"string"}] })");
  EXPECT_EQ(a->canonical(), b->canonical());
}

TEST(AvroSchema, ResolutionRules) {
  auto v1 = Must(DataFormat::kAvro, kUserV1);
  // A field with a default added: the new schema reads old data (backward), the old reads new (forward).
  auto with_default =
      Must(DataFormat::kAvro, R"({"type":"record","name":"User","namespace":"com.example","fields":[
      {"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]})");
  EXPECT_EQ(with_default->ReadsFrom(*v1), "");
  EXPECT_EQ(v1->ReadsFrom(*with_default), "");
  // A field without a default added: not backward compatible.
  auto without_default =
      Must(DataFormat::kAvro, R"({"type":"record","name":"User","namespace":"com.example","fields":[
      {"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"age","type":"int"}]})");
  EXPECT_NE(without_default->ReadsFrom(*v1).find("age"), std::string::npos);
  EXPECT_EQ(v1->ReadsFrom(*without_default), "");
  // Promotion int -> long is readable, long -> int is not.
  auto int_id = Must(DataFormat::kAvro, R"({"type":"record","name":"User","namespace":"com.example","fields":[
      {"name":"id","type":"int"},{"name":"name","type":"string"}]})");
  EXPECT_EQ(v1->ReadsFrom(*int_id), "");
  EXPECT_NE(int_id->ReadsFrom(*v1), "");
  // A renamed record does not resolve, unless the reader names the old name as an alias.
  auto renamed =
      Must(DataFormat::kAvro, R"({"type":"record","name":"Person","namespace":"com.example","fields":[
      {"name":"id","type":"long"},{"name":"name","type":"string"}]})");
  EXPECT_NE(renamed->ReadsFrom(*v1), "");
  auto aliased = Must(DataFormat::kAvro, R"({"type":"record","name":"Person","namespace":"com.example",
      "aliases":["User"],"fields":[{"name":"id","type":"long"},{"name":"full","aliases":["name"],"type":"string"}]})");
  EXPECT_EQ(aliased->ReadsFrom(*v1), "");
  // Enums: a reader lacking a writer's symbol fails unless it has a default.
  auto e2 = Must(DataFormat::kAvro, R"({"type":"enum","name":"E","symbols":["A","B"]})");
  auto e1 = Must(DataFormat::kAvro, R"({"type":"enum","name":"E","symbols":["A"]})");
  auto e1d = Must(DataFormat::kAvro, R"({"type":"enum","name":"E","symbols":["A"],"default":"A"})");
  EXPECT_NE(e1->ReadsFrom(*e2), "");
  EXPECT_EQ(e1d->ReadsFrom(*e2), "");
  EXPECT_EQ(e2->ReadsFrom(*e1), "");
  // Unions: every writer branch must be readable.
  auto u = Must(DataFormat::kAvro, R"(["null","string"])");
  auto s = Must(DataFormat::kAvro, R"("string")");
  EXPECT_EQ(u->ReadsFrom(*s), "");
  EXPECT_NE(s->ReadsFrom(*u), "");
}

TEST(Compatibility, ModesApplyTheRulesInTheirDirectionsAndScopes) {
  auto v1 = Must(DataFormat::kAvro, kUserV1);
  auto added_required =
      Must(DataFormat::kAvro, R"({"type":"record","name":"User","namespace":"com.example","fields":[
      {"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"age","type":"int"}]})");
  EXPECT_NE(CheckCompatibility("BACKWARD", *added_required, {v1.get()}), "");
  EXPECT_EQ(CheckCompatibility("FORWARD", *added_required, {v1.get()}), "");
  EXPECT_NE(CheckCompatibility("FULL", *added_required, {v1.get()}), "");
  EXPECT_EQ(CheckCompatibility("NONE", *added_required, {v1.get()}), "");
  // Dropping `name` (no default) is backward compatible with the latest but not with all previous versions
  // when an earlier version ... the _ALL modes check every one.
  auto v2 = Must(DataFormat::kAvro, R"({"type":"record","name":"User","namespace":"com.example","fields":[
      {"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]})");
  auto v3 = Must(DataFormat::kAvro, R"({"type":"record","name":"User","namespace":"com.example","fields":[
      {"name":"id","type":"long"},{"name":"age","type":"int"}]})");
  EXPECT_EQ(CheckCompatibility("BACKWARD", *v3, {v2.get()}), "");
  EXPECT_NE(CheckCompatibility("BACKWARD_ALL", *v3, {v1.get(), v2.get()}), "");
  EXPECT_TRUE(IsCompatibilityMode("FULL_ALL"));
  EXPECT_FALSE(IsCompatibilityMode("TRANSITIVE"));
}

// ---- JSON Schema

TEST(JsonSchema, ValidatesKeywordsPerDraft) {
  Must(DataFormat::kJson, R"({"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
      "properties":{"id":{"type":"integer","minimum":0},"tags":{"type":"array","items":{"type":"string"}}},
      "required":["id"],"additionalProperties":false,"definitions":{"a":{"type":"string"}},
      "if":{"properties":{"id":{"const":1}}},"then":{"required":["tags"]}})");
  Must(
      DataFormat::kJson,
      R"({"type":"object","properties":{"a":{"$ref":"#/definitions/x"}},"definitions":{"x":{"type":"string"}}})");
  EXPECT_NE(Invalid(DataFormat::kJson, R"({"type":"strin"})").find("'type'"), std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kJson, R"({"required":"id"})").find("'required'"), std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kJson, R"({"minLength":-1})").find("'minLength'"), std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kJson, R"({"$schema":"http://json-schema.org/draft-2020-12/schema"})")
                .find("Unsupported"),
            std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kJson, R"({"properties":{"a":{"$ref":"#/definitions/missing"}}})")
                .find("cannot be resolved"),
            std::string::npos);
  EXPECT_NE(
      Invalid(DataFormat::kJson, R"({"$ref":"http://example.com/other.json"})").find("cannot be resolved"),
      std::string::npos);
  // draft-04's exclusiveMaximum is a boolean; draft-06's a number.
  Must(DataFormat::kJson, R"({"maximum":5,"exclusiveMaximum":true})");
  Invalid(DataFormat::kJson,
          R"({"$schema":"http://json-schema.org/draft-06/schema#","exclusiveMaximum":true})");
  Invalid(DataFormat::kJson, R"([1,2])");
}

TEST(JsonSchema, ReaderAdmitsEverythingTheWriterAdmits) {
  auto v1 = Must(
      DataFormat::kJson,
      R"({"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"}},"required":["id"]})");
  auto optional_added = Must(
      DataFormat::kJson,
      R"({"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"},"email":{"type":"string"}},"required":["id"]})");
  auto required_added = Must(
      DataFormat::kJson,
      R"({"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"},"email":{"type":"string"}},"required":["id","email"]})");
  auto widened = Must(
      DataFormat::kJson,
      R"({"type":"object","properties":{"id":{"type":"number"},"name":{"type":"string"}},"required":["id"]})");
  auto narrowed = Must(
      DataFormat::kJson,
      R"({"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string","maxLength":10}},"required":["id"]})");
  auto closed = Must(
      DataFormat::kJson,
      R"({"type":"object","properties":{"id":{"type":"integer"}},"required":["id"],"additionalProperties":false})");
  EXPECT_EQ(optional_added->ReadsFrom(*v1), "");
  EXPECT_NE(required_added->ReadsFrom(*v1).find("email"), std::string::npos);
  EXPECT_EQ(v1->ReadsFrom(*required_added), "");
  EXPECT_EQ(widened->ReadsFrom(*v1), "");
  EXPECT_NE(v1->ReadsFrom(*widened), "");
  EXPECT_NE(narrowed->ReadsFrom(*v1).find("maxLength"), std::string::npos);
  EXPECT_NE(closed->ReadsFrom(*v1), "");
  auto e2 = Must(DataFormat::kJson, R"({"enum":["a","b"]})");
  auto e1 = Must(DataFormat::kJson, R"({"enum":["a"]})");
  EXPECT_EQ(e2->ReadsFrom(*e1), "");
  EXPECT_NE(e1->ReadsFrom(*e2), "");
}

// ---- Protobuf

const char* kProtoV1 = R"(syntax = "proto3";
package com.example;
import "google/protobuf/timestamp.proto";
// a user
message User {
  int64 id = 1;
  string name = 2;
  repeated string tags = 3;
  map<string, int32> scores = 4;
  Address address = 5;
  google.protobuf.Timestamp created = 6;
  oneof contact { string email = 7; string phone = 8; }
  message Address { string city = 1; }
  enum Kind { KIND_UNKNOWN = 0; KIND_A = 1; }
  Kind kind = 9;
  reserved 10, 20 to 30;
  reserved "old";
}
service Users { rpc Get (User) returns (User); }
)";

TEST(ProtobufSchema, ParsesProto3AndProto2) {
  Must(DataFormat::kProtobuf, kProtoV1);
  Must(DataFormat::kProtobuf, R"(syntax = "proto2";
    message M { required int32 a = 1 [default = 5]; optional string b = 2; repeated bytes c = 3 [packed = false];
      enum E { option allow_alias = true; X = 1; Y = 1; } optional E e = 4; })");
  Must(DataFormat::kProtobuf, "message M { optional int32 a = 1; }");  // proto2 by default
}

TEST(ProtobufSchema, RefusesWhatProtocRefuses) {
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { required int32 a = 1; })")
                .find("Required fields are not allowed in proto3"),
            std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { int32 a = 1; int32 b = 1; })")
                .find("Field number 1 has already been used"),
            std::string::npos);
  EXPECT_NE(
      Invalid(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { int32 a = 0; })").find("positive"),
      std::string::npos);
  EXPECT_NE(
      Invalid(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { int32 a = 19000; })").find("reserved"),
      std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { reserved 2; int32 a = 2; })")
                .find("reserved number"),
            std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto3"; enum E { A = 1; })")
                .find("first enum value must be zero"),
            std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { Missing a = 1; })")
                .find("is not defined"),
            std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { map<float, int32> a = 1; })")
                .find("Key in map"),
            std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto2"; message M { extensions 100 to 200; })")
                .find("Extensions"),
            std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto2"; message M { optional group G = 1 { } })")
                .find("Groups"),
            std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto2"; message M { int32 a = 1; })")
                .find("Expected \"required\""),
            std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto4";)").find("Unrecognized syntax"),
            std::string::npos);
  EXPECT_NE(
      Invalid(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { int32 a = 1 })").find("Expected"),
      std::string::npos);
  EXPECT_NE(Invalid(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { int32 a = 1; } message M { })")
                .find("already defined"),
            std::string::npos);
}

TEST(ProtobufSchema, NestingIsBounded) {
  std::string deep = "syntax = \"proto3\";";
  for (int i = 0; i < 100; ++i) deep.append("message M").append(std::to_string(i)).append(" {");
  deep.append(std::string(100, '}'));
  EXPECT_NE(Invalid(DataFormat::kProtobuf, deep).find("maximum recursion limit"), std::string::npos);
  // Avro and JSON Schema documents are bounded by the JSON parser's depth.
  EXPECT_NE(Invalid(DataFormat::kAvro, std::string(5000, '[') + std::string(5000, ']')).find("Invalid JSON"),
            std::string::npos);
}

TEST(ProtobufSchema, CanonicalFormDropsCommentsAndLayout) {
  auto a = Must(DataFormat::kProtobuf, "syntax = \"proto3\";\nmessage M {\n  int32 a = 1; // the a\n}\n");
  auto b = Must(DataFormat::kProtobuf, "syntax=\"proto3\"; /* c */ message M { int32 a=1; }");
  EXPECT_EQ(a->canonical(), b->canonical());
}

TEST(ProtobufSchema, WireCompatibilityByFieldNumber) {
  auto v1 = Must(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { int32 a = 1; string b = 2; })");
  auto added = Must(DataFormat::kProtobuf,
                    R"(syntax = "proto3"; message M { int32 a = 1; string b = 2; bool c = 3; })");
  auto widened = Must(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { int64 a = 1; bytes b = 2; })");
  auto retyped =
      Must(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { string a = 1; string b = 2; })");
  auto repeated =
      Must(DataFormat::kProtobuf, R"(syntax = "proto3"; message M { repeated int32 a = 1; string b = 2; })");
  auto renamed_root = Must(DataFormat::kProtobuf, R"(syntax = "proto3"; message N { int32 a = 1; })");
  EXPECT_EQ(added->ReadsFrom(*v1), "");
  EXPECT_EQ(v1->ReadsFrom(*added), "");
  EXPECT_EQ(widened->ReadsFrom(*v1), "");
  EXPECT_NE(retyped->ReadsFrom(*v1).find("changes its type"), std::string::npos);
  EXPECT_NE(repeated->ReadsFrom(*v1).find("repeated"), std::string::npos);
  EXPECT_NE(renamed_root->ReadsFrom(*v1).find("removed"), std::string::npos);
  auto p1 = Must(DataFormat::kProtobuf, R"(syntax = "proto2"; message M { optional int32 a = 1; })");
  auto p2 = Must(DataFormat::kProtobuf,
                 R"(syntax = "proto2"; message M { optional int32 a = 1; required int32 b = 2; })");
  EXPECT_NE(p2->ReadsFrom(*p1).find("required"), std::string::npos);
  EXPECT_EQ(p1->ReadsFrom(*p2), "");
}

TEST(ProtobufSchema, NestedMessagesAndEnumsAreResolvedAndCompared) {
  auto v1 = Must(DataFormat::kProtobuf, R"(syntax = "proto3"; package p;
      message Order { Line line = 1; Status status = 2; }
      message Line { int32 qty = 1; }
      enum Status { UNKNOWN = 0; PAID = 1; })");
  auto changed = Must(DataFormat::kProtobuf, R"(syntax = "proto3"; package p;
      message Order { Line line = 1; Status status = 2; }
      message Line { string qty = 1; }
      enum Status { UNKNOWN = 0; PAID = 1; })");
  auto as_int = Must(DataFormat::kProtobuf, R"(syntax = "proto3"; package p;
      message Order { Line line = 1; int32 status = 2; }
      message Line { int64 qty = 1; })");
  EXPECT_NE(changed->ReadsFrom(*v1).find("p.Line.qty"), std::string::npos);
  // An enum reads as int32 on the wire; int32 -> int64 is compatible.
  EXPECT_EQ(as_int->ReadsFrom(*v1), "");
  // An enum used where a message is expected is refused.
  EXPECT_NE(Invalid(DataFormat::kProtobuf,
                    R"(syntax = "proto3"; enum E { A = 0; } service S { rpc M (E) returns (E); })")
                .find("is not a message type"),
            std::string::npos);
}

// ---- SYNTAX_DIFF

TEST(SyntaxDiff, JsonPatchBetweenDefinitions) {
  auto a = Must(DataFormat::kAvro, R"({"type":"record","name":"R","fields":[{"name":"a","type":"int"}]})");
  auto b = Must(
      DataFormat::kAvro,
      R"({"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"int","default":0}]})");
  EXPECT_EQ(SyntaxDiff(*a, *b),
            R"([{"op":"replace","path":"/fields/0/type","value":"long"},)"
            R"({"op":"add","path":"/fields/1","value":{"name":"b","type":"int","default":0}}])");
  EXPECT_EQ(SyntaxDiff(*a, *a), "[]");
  auto p1 = Must(DataFormat::kProtobuf, "syntax = \"proto3\"; message M { int32 a = 1; }");
  auto p2 = Must(DataFormat::kProtobuf, "syntax = \"proto3\"; message M { int64 a = 1; }");
  EXPECT_EQ(SyntaxDiff(*p1, *p2), R"([{"op":"replace","path":"/2","value":"int64 a = 1 ;"}])");
}

}  // namespace
}  // namespace cenote::glue::schemas
