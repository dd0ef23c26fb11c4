// Type mapping between Glue, DuckDB and Athena (src/query/types.cpp).
#include <gtest/gtest.h>

#include "query/engine.hpp"
#include "query/statement.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

namespace cenote::query {
namespace {

TEST(GlueTypeToDuckDb, Scalars) {
  EXPECT_EQ(*GlueTypeToDuckDb("string"), "VARCHAR");
  EXPECT_EQ(*GlueTypeToDuckDb("int"), "INTEGER");
  EXPECT_EQ(*GlueTypeToDuckDb("INTEGER"), "INTEGER");
  EXPECT_EQ(*GlueTypeToDuckDb("bigint"), "BIGINT");
  EXPECT_EQ(*GlueTypeToDuckDb("double"), "DOUBLE");
  EXPECT_EQ(*GlueTypeToDuckDb("float"), "FLOAT");
  EXPECT_EQ(*GlueTypeToDuckDb("boolean"), "BOOLEAN");
  EXPECT_EQ(*GlueTypeToDuckDb("date"), "DATE");
  EXPECT_EQ(*GlueTypeToDuckDb("timestamp"), "TIMESTAMP");
  EXPECT_EQ(*GlueTypeToDuckDb("binary"), "BLOB");
  EXPECT_EQ(*GlueTypeToDuckDb("varchar(10)"), "VARCHAR");
  EXPECT_EQ(*GlueTypeToDuckDb("char(3)"), "VARCHAR");
  EXPECT_EQ(*GlueTypeToDuckDb("decimal(10,2)"), "DECIMAL(10,2)");
  EXPECT_EQ(*GlueTypeToDuckDb("decimal"), "DECIMAL(10,0)");
  EXPECT_EQ(*GlueTypeToDuckDb("tinyint"), "TINYINT");
  EXPECT_EQ(*GlueTypeToDuckDb("smallint"), "SMALLINT");
}

TEST(GlueTypeToDuckDb, Nested) {
  EXPECT_EQ(*GlueTypeToDuckDb("array<string>"), "VARCHAR[]");
  EXPECT_EQ(*GlueTypeToDuckDb("array<struct<a:int,b:string>>"), "STRUCT(\"a\" INTEGER, \"b\" VARCHAR)[]");
  EXPECT_EQ(*GlueTypeToDuckDb("map<string,int>"), "MAP(VARCHAR, INTEGER)");
  EXPECT_EQ(*GlueTypeToDuckDb("struct<x:map<string,array<bigint>>>"), "STRUCT(\"x\" MAP(VARCHAR, BIGINT[]))");
}

TEST(GlueTypeToDuckDb, Invalid) {
  EXPECT_FALSE(GlueTypeToDuckDb("").ok());
  EXPECT_FALSE(GlueTypeToDuckDb("array<").ok());
  EXPECT_FALSE(GlueTypeToDuckDb("map<string>").ok());
  EXPECT_FALSE(GlueTypeToDuckDb("decimal(40,2)").ok());
  EXPECT_FALSE(GlueTypeToDuckDb("int garbage").ok());
  EXPECT_FALSE(GlueTypeToDuckDb("uniontype<int,string>").ok());
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "array<";
  EXPECT_FALSE(GlueTypeToDuckDb(deep + "int").ok());
}

TEST(DuckDbTypeToGlue, Mapping) {
  EXPECT_EQ(DuckDbTypeToGlue("VARCHAR"), "string");
  EXPECT_EQ(DuckDbTypeToGlue("BIGINT"), "bigint");
  EXPECT_EQ(DuckDbTypeToGlue("INTEGER"), "int");
  EXPECT_EQ(DuckDbTypeToGlue("DOUBLE"), "double");
  EXPECT_EQ(DuckDbTypeToGlue("BOOLEAN"), "boolean");
  EXPECT_EQ(DuckDbTypeToGlue("DATE"), "date");
  EXPECT_EQ(DuckDbTypeToGlue("TIMESTAMP"), "timestamp");
  EXPECT_EQ(DuckDbTypeToGlue("TIMESTAMP WITH TIME ZONE"), "timestamp");
  EXPECT_EQ(DuckDbTypeToGlue("TIMESTAMP_NS"), "timestamp");
  EXPECT_EQ(DuckDbTypeToGlue("DECIMAL(18,3)"), "decimal(18,3)");
  EXPECT_EQ(DuckDbTypeToGlue("BLOB"), "binary");
  EXPECT_EQ(DuckDbTypeToGlue("STRUCT(a INTEGER)[]"), "array<struct<a:int>>");
  EXPECT_EQ(DuckDbTypeToGlue("STRUCT(\"First Name\" VARCHAR, b BIGINT[])"),
            "struct<first name:string,b:array<bigint>>");
  EXPECT_EQ(DuckDbTypeToGlue("MAP(VARCHAR, DOUBLE)"), "map<string,double>");
  EXPECT_EQ(DuckDbTypeToGlue("INTEGER[3]"), "array<int>");
  EXPECT_EQ(DuckDbTypeToGlue("JSON"), "string");
  EXPECT_EQ(DuckDbTypeToGlue("UUID"), "string");
  EXPECT_EQ(DuckDbTypeToGlue("\"NULL\""), "string");
  EXPECT_EQ(DuckDbTypeToGlue("UBIGINT"), "decimal(20,0)");
}

TEST(DuckDbTypeToGlue, AnonymousRows) {
  // DuckDB's unnamed structs (ROW(1, 'a'), list_zip) have field0, field1, ... as Athena names them.
  EXPECT_EQ(DuckDbTypeToGlue("STRUCT(INTEGER, VARCHAR)[]"), "array<struct<field0:int,field1:string>>");
  EXPECT_EQ(DuckDbTypeToGlue("STRUCT(TIMESTAMP WITH TIME ZONE, DECIMAL(10,2), INTEGER[])"),
            "struct<field0:timestamp,field1:decimal(10,2),field2:array<int>>");
  EXPECT_EQ(DuckDbTypeToGlue("STRUCT(\"TIMESTAMP\" INTEGER)"), "struct<timestamp:int>");
}

TEST(DuckDbTypeToAthena, TypesAndPrecision) {
  ResultColumn c = DuckDbTypeToAthena("a", "VARCHAR");
  EXPECT_EQ(c.name, "a");
  EXPECT_EQ(c.type, "varchar");
  EXPECT_EQ(c.precision, 2147483647);
  EXPECT_EQ(DuckDbTypeToAthena("a", "INTEGER").type, "integer");
  EXPECT_EQ(DuckDbTypeToAthena("a", "INTEGER").precision, 10);
  EXPECT_EQ(DuckDbTypeToAthena("a", "BIGINT").type, "bigint");
  EXPECT_EQ(DuckDbTypeToAthena("a", "BIGINT").precision, 19);
  EXPECT_EQ(DuckDbTypeToAthena("a", "DOUBLE").type, "double");
  EXPECT_EQ(DuckDbTypeToAthena("a", "BOOLEAN").type, "boolean");
  EXPECT_EQ(DuckDbTypeToAthena("a", "FLOAT").type, "real");
  EXPECT_EQ(DuckDbTypeToAthena("a", "TIMESTAMP").type, "timestamp");
  EXPECT_EQ(DuckDbTypeToAthena("a", "DATE").type, "date");
  EXPECT_EQ(DuckDbTypeToAthena("a", "BLOB").type, "varbinary");
  EXPECT_EQ(DuckDbTypeToAthena("a", "INTEGER[]").type, "array");
  EXPECT_EQ(DuckDbTypeToAthena("a", "MAP(VARCHAR, INTEGER)").type, "map");
  EXPECT_EQ(DuckDbTypeToAthena("a", "STRUCT(a INTEGER)").type, "row");
  ResultColumn d = DuckDbTypeToAthena("d", "DECIMAL(12,4)");
  EXPECT_EQ(d.type, "decimal");
  EXPECT_EQ(d.precision, 12);
  EXPECT_EQ(d.scale, 4);
}

TEST(JavaNumberText, JavaLayoutAndShortestDigits) {
  using internal::JavaNumberText;
  EXPECT_EQ(JavaNumberText(1e20, false), "1.0E20");
  EXPECT_EQ(JavaNumberText(12345678.9, false), "1.23456789E7");
  EXPECT_EQ(JavaNumberText(1e7, false), "1.0E7");
  EXPECT_EQ(JavaNumberText(9999999.5, false), "9999999.5");
  EXPECT_EQ(JavaNumberText(100, false), "100.0");
  EXPECT_EQ(JavaNumberText(0.001, false), "0.001");
  EXPECT_EQ(JavaNumberText(0.000123, false), "1.23E-4");
  EXPECT_EQ(JavaNumberText(-2.5e-7, false), "-2.5E-7");
  EXPECT_EQ(JavaNumberText(0.1, false), "0.1");
  EXPECT_EQ(JavaNumberText(-0.0, false), "-0.0");
  EXPECT_EQ(JavaNumberText(3e10, true), "3.0E10");
  EXPECT_EQ(JavaNumberText(static_cast<float>(0.1), true), "0.1");
  EXPECT_EQ(JavaNumberText(1.7976931348623157e308, false), "1.7976931348623157E308");
  // Whatever the value, the text reads back to it (shortest round-trip digits).
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    if (!std::isfinite(v)) continue;
    std::string text = JavaNumberText(v, false);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
  }
}

}  // namespace
}  // namespace cenote::query
