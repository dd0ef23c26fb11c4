#include "services/athena/ddl_parser.hpp"

#include <gtest/gtest.h>

#include <map>

namespace cenote::athena {
namespace {

Statement Parse(const std::string& sql) {
  auto r = ParseStatement(sql);
  EXPECT_TRUE(r.ok()) << sql << " -> " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Statement{};
}

std::string ParseErrorOf(const std::string& sql) {
  auto r = ParseStatement(sql);
  EXPECT_FALSE(r.ok()) << sql;
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code, "PARSE");
  return r.error().message;
}

TEST(DdlParserTest, ClassifiesQueriesAfterComments) {
  for (const char* sql :
       {"SELECT 1", "  -- hi\nselect * from t", "/* c */ WITH x AS (SELECT 1) SELECT * FROM x",
        "VALUES (1, 2)", "(SELECT 1) UNION (SELECT 2)", "select 1;"}) {
    Statement s = Parse(sql);
    EXPECT_EQ(s.kind, StatementKind::kSelect) << sql;
    EXPECT_EQ(s.statement_type, "DML");
    EXPECT_EQ(s.substatement_type, "SELECT");
  }
  EXPECT_EQ(Parse("select 1;").query, "select 1");
  EXPECT_EQ(Parse("EXPLAIN SELECT 1").statement_type, "UTILITY");
}

TEST(DdlParserTest, StripCommentsKeepsStrings) {
  EXPECT_EQ(StripSqlComments("SELECT '--x' -- y\n, 2 /* z */;"), "SELECT '--x' \n, 2");
  EXPECT_EQ(StripSqlComments("SELECT 'it''s /* no */'"), "SELECT 'it''s /* no */'");
}

TEST(DdlParserTest, CreateDatabase) {
  Statement s = Parse(
      "CREATE DATABASE IF NOT EXISTS Sales COMMENT 'the sales' LOCATION 's3://b/sales/' "
      "WITH DBPROPERTIES ('creator'='me', 'dept'='x')");
  EXPECT_EQ(s.kind, StatementKind::kCreateDatabase);
  EXPECT_EQ(s.statement_type, "DDL");
  EXPECT_TRUE(s.if_not_exists);
  EXPECT_EQ(s.name, "sales");
  EXPECT_EQ(s.comment, "the sales");
  EXPECT_EQ(s.location, "s3://b/sales/");
  ASSERT_EQ(s.properties.size(), 2u);
  EXPECT_EQ(s.properties[1].first, "dept");
  EXPECT_EQ(s.properties[1].second, "x");
  EXPECT_EQ(Parse("create schema `my-db`").name, "my-db");
}

TEST(DdlParserTest, DropDatabase) {
  Statement s = Parse("DROP SCHEMA IF EXISTS db CASCADE");
  EXPECT_EQ(s.kind, StatementKind::kDropDatabase);
  EXPECT_TRUE(s.if_exists);
  EXPECT_TRUE(s.cascade);
  EXPECT_FALSE(Parse("DROP DATABASE db RESTRICT").cascade);
}

TEST(DdlParserTest, EveryDelimitedClause) {
  Statement s = Parse(R"(CREATE EXTERNAL TABLE t (a map<string,array<int>>)
    ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' ESCAPED BY '\\' COLLECTION ITEMS TERMINATED BY ','
    MAP KEYS TERMINATED BY ':' LINES TERMINATED BY '\n' NULL DEFINED AS 'NA'
    LOCATION 's3://b/t/')");
  EXPECT_TRUE(s.row_format_delimited);
  std::map<std::string, std::string> got(s.delimited.begin(), s.delimited.end());
  EXPECT_EQ(got, (std::map<std::string, std::string>{{"field.delim", "|"},
                                                     {"escape.delim", "\\"},
                                                     {"collection.delim", ","},
                                                     {"mapkey.delim", ":"},
                                                     {"line.delim", "\n"},
                                                     {"serialization.null.format", "NA"}}));
  auto bad = ParseStatement(
      "CREATE EXTERNAL TABLE t (a int) ROW FORMAT DELIMITED MAP KEYS BY ':' LOCATION 's3://b/'");
  EXPECT_FALSE(bad.ok());
}

TEST(DdlParserTest, CreateExternalTableDelimited) {
  Statement s = Parse(R"(
    CREATE EXTERNAL TABLE IF NOT EXISTS analytics.`Events` (
      `id` INT COMMENT 'the id',
      name string,
      price DECIMAL(10, 2),
      tags array<string>,
      attrs MAP<string, int>,
      info struct<a:int, b:array<struct<c:string>>>
    )
    COMMENT 'events table'
    PARTITIONED BY (year string, month int)
    ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' ESCAPED BY '\\' LINES TERMINATED BY '\n'
    STORED AS TEXTFILE
    LOCATION 's3://bucket/events/'
    TBLPROPERTIES ('skip.header.line.count'='1', 'classification'='csv');
  )");
  EXPECT_EQ(s.kind, StatementKind::kCreateTable);
  EXPECT_TRUE(s.external);
  EXPECT_TRUE(s.if_not_exists);
  EXPECT_EQ(s.database, "analytics");
  EXPECT_EQ(s.name, "events");
  ASSERT_EQ(s.columns.size(), 6u);
  EXPECT_EQ(s.columns[0].name, "id");
  EXPECT_EQ(s.columns[0].type, "int");
  EXPECT_EQ(s.columns[0].comment, "the id");
  EXPECT_EQ(s.columns[2].type, "decimal(10,2)");
  EXPECT_EQ(s.columns[3].type, "array<string>");
  EXPECT_EQ(s.columns[4].type, "map<string,int>");
  EXPECT_EQ(s.columns[5].type, "struct<a:int,b:array<struct<c:string>>>");
  ASSERT_EQ(s.partition_keys.size(), 2u);
  EXPECT_EQ(s.partition_keys[1].name, "month");
  EXPECT_EQ(s.partition_keys[1].type, "int");
  EXPECT_TRUE(s.row_format_delimited);
  ASSERT_EQ(s.delimited.size(), 3u);
  EXPECT_EQ(s.delimited[0], (std::pair<std::string, std::string>{"field.delim", ","}));
  EXPECT_EQ(s.delimited[1], (std::pair<std::string, std::string>{"escape.delim", "\\"}));
  EXPECT_EQ(s.delimited[2], (std::pair<std::string, std::string>{"line.delim", "\n"}));
  EXPECT_EQ(s.stored_as, "TEXTFILE");
  EXPECT_EQ(s.location, "s3://bucket/events/");
  EXPECT_EQ(s.comment, "events table");
  ASSERT_EQ(s.properties.size(), 2u);
  EXPECT_EQ(s.properties[0].first, "skip.header.line.count");
}

TEST(DdlParserTest, CreateExternalTableSerdeAndFormats) {
  Statement s = Parse(
      "CREATE EXTERNAL TABLE t (a string) ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
      "WITH SERDEPROPERTIES ('separatorChar' = '\\t', 'quoteChar' = '\"') LOCATION 's3://b/t'");
  EXPECT_EQ(s.serde, "org.apache.hadoop.hive.serde2.OpenCSVSerde");
  ASSERT_EQ(s.serde_properties.size(), 2u);
  EXPECT_EQ(s.serde_properties[0].second, "\t");
  EXPECT_EQ(s.serde_properties[1].second, "\"");

  Statement p =
      Parse("CREATE EXTERNAL TABLE t (a bigint, b timestamp) STORED AS PARQUET LOCATION 's3://b/p/'");
  EXPECT_EQ(p.stored_as, "PARQUET");
  EXPECT_EQ(p.columns[1].type, "timestamp");

  Statement io = Parse(
      "CREATE EXTERNAL TABLE t (a int) STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat' "
      "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat' LOCATION 's3://b/x'");
  EXPECT_EQ(io.input_format, "org.apache.hadoop.mapred.TextInputFormat");
  EXPECT_EQ(io.output_format, "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat");

  Statement d = Parse(
      "CREATE EXTERNAL TABLE t (a int) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\001' LOCATION "
      "'s3://b/x'");
  EXPECT_EQ(d.delimited[0].second, std::string(1, '\001'));
  Statement ints = Parse(
      "CREATE EXTERNAL TABLE t (a INTEGER, b double precision, c varchar(10), d char(2)) LOCATION "
      "'s3://b/x'");
  EXPECT_EQ(ints.columns[0].type, "int");
  EXPECT_EQ(ints.columns[1].type, "double");
  EXPECT_EQ(ints.columns[2].type, "varchar(10)");
  EXPECT_EQ(ints.columns[3].type, "char(2)");
}

TEST(DdlParserTest, MalformedDdl) {
  EXPECT_NE(ParseErrorOf("CREATE EXTERNAL TABLE t (a unknowntype) LOCATION 's3://b/'").find("line 1:27"),
            std::string::npos);
  EXPECT_NE(ParseErrorOf("CREATE EXTERNAL TABLE t (a int").find("<EOF>"), std::string::npos);
  EXPECT_NE(ParseErrorOf("CREATE EXTERNAL TABLE t a int)").find("mismatched input 'a'"), std::string::npos);
  EXPECT_NE(
      ParseErrorOf("CREATE EXTERNAL TABLE t (a int, a string) LOCATION 's3://b/'").find("Duplicate column"),
      std::string::npos);
  EXPECT_NE(ParseErrorOf("CREATE EXTERNAL TABLE t (a array<int) LOCATION 's3://b/'").find("expecting >"),
            std::string::npos);
  EXPECT_NE(ParseErrorOf("CREATE EXTERNAL TABLE t (a int) STORED AS FOO").find("file format"),
            std::string::npos);
  EXPECT_NE(ParseErrorOf("CREATE DATABASE 'x").find("line 1:16"), std::string::npos);
  EXPECT_NE(ParseErrorOf("FOO BAR").find("mismatched input 'FOO'"), std::string::npos);
  EXPECT_NE(ParseErrorOf("DROP TABLE t extra").find("extraneous input 'extra'"), std::string::npos);
  EXPECT_NE(ParseErrorOf("CREATE EXTERNAL TABLE t (a int) PARTITIONED BY (a string) LOCATION 's3://b/'")
                .find("Column repeated"),
            std::string::npos);
  EXPECT_NE(ParseErrorOf("SHOW NOTHING").find("mismatched input 'NOTHING'"), std::string::npos);
}

TEST(DdlParserTest, MultiLineErrorPosition) {
  std::string msg = ParseErrorOf("CREATE EXTERNAL TABLE t (\n  a int,\n  b badtype\n) LOCATION 's3://b/'");
  EXPECT_EQ(msg.rfind("line 3:4 ", 0), 0u) << msg;
}

TEST(DdlParserTest, DropTableAndView) {
  Statement t = Parse("DROP TABLE IF EXISTS db.t");
  EXPECT_EQ(t.kind, StatementKind::kDropTable);
  EXPECT_TRUE(t.if_exists);
  EXPECT_EQ(t.database, "db");
  EXPECT_EQ(t.name, "t");
  Statement v = Parse("drop view v");
  EXPECT_EQ(v.kind, StatementKind::kDropView);
  EXPECT_FALSE(v.if_exists);
}

TEST(DdlParserTest, ShowStatements) {
  Statement dbs = Parse("SHOW DATABASES LIKE 'sal*'");
  EXPECT_EQ(dbs.kind, StatementKind::kShowDatabases);
  EXPECT_EQ(dbs.pattern, "sal*");
  EXPECT_EQ(dbs.statement_type, "UTILITY");
  Statement tables = Parse("SHOW TABLES IN sales 'ev*|or*'");
  EXPECT_EQ(tables.kind, StatementKind::kShowTables);
  EXPECT_EQ(tables.database, "sales");
  EXPECT_EQ(tables.pattern, "ev*|or*");
  EXPECT_EQ(Parse("show views in db").kind, StatementKind::kShowViews);
  Statement parts = Parse("SHOW PARTITIONS db.t");
  EXPECT_EQ(parts.kind, StatementKind::kShowPartitions);
  EXPECT_EQ(parts.database, "db");
  Statement cols = Parse("SHOW COLUMNS FROM t IN db");
  EXPECT_EQ(cols.kind, StatementKind::kShowColumns);
  EXPECT_EQ(cols.database, "db");
  EXPECT_EQ(Parse("SHOW CREATE TABLE t").kind, StatementKind::kShowCreateTable);
  EXPECT_EQ(Parse("SHOW TBLPROPERTIES t('k')").pattern, "k");
  Statement desc = Parse("DESCRIBE FORMATTED db.t");
  EXPECT_EQ(desc.kind, StatementKind::kDescribe);
  EXPECT_TRUE(desc.formatted);
  EXPECT_EQ(Parse("DESC t col1").pattern, "col1");
}

TEST(DdlParserTest, MsckAndAlterPartitions) {
  Statement m = Parse("MSCK REPAIR TABLE db.events");
  EXPECT_EQ(m.kind, StatementKind::kMsckRepair);
  EXPECT_EQ(m.name, "events");
  Statement add = Parse(
      "ALTER TABLE t ADD IF NOT EXISTS PARTITION (year='2024', month=5) LOCATION 's3://b/t/2024/05/' "
      "PARTITION (year = '2025', month = 1)");
  EXPECT_EQ(add.kind, StatementKind::kAlterAddPartitions);
  EXPECT_TRUE(add.if_not_exists);
  ASSERT_EQ(add.partitions.size(), 2u);
  EXPECT_EQ(add.partitions[0].values[1], (std::pair<std::string, std::string>{"month", "5"}));
  EXPECT_EQ(add.partitions[0].location, "s3://b/t/2024/05/");
  EXPECT_EQ(add.partitions[1].location, "");
  Statement drop = Parse("ALTER TABLE t DROP IF EXISTS PARTITION (year='2024'), PARTITION (year='2025')");
  EXPECT_EQ(drop.kind, StatementKind::kAlterDropPartitions);
  EXPECT_TRUE(drop.if_exists);
  EXPECT_EQ(drop.partitions.size(), 2u);
  Statement rename = Parse("ALTER TABLE db.t RENAME TO `Db2`.U");
  EXPECT_EQ(rename.kind, StatementKind::kAlterRenameTable);
  EXPECT_EQ(rename.substatement_type, "ALTER_TABLE_RENAME");
  EXPECT_EQ((std::vector<std::string>{rename.database, rename.name, rename.new_database, rename.new_name}),
            (std::vector<std::string>{"db", "t", "db2", "u"}));
  Statement unqualified = Parse("alter table t rename to u;");
  EXPECT_EQ((std::vector<std::string>{unqualified.database, unqualified.new_database, unqualified.new_name}),
            (std::vector<std::string>{"", "", "u"}));
  EXPECT_FALSE(ParseStatement("ALTER TABLE t RENAME u").ok());
  EXPECT_FALSE(ParseStatement("ALTER TABLE t RENAME TO u v").ok());
}

TEST(DdlParserTest, CreateViewKeepsQueryText) {
  Statement v = Parse("CREATE OR REPLACE VIEW db.v AS SELECT a, 'x--y' FROM t WHERE b > 1");
  EXPECT_EQ(v.kind, StatementKind::kCreateView);
  EXPECT_TRUE(v.or_replace);
  EXPECT_EQ(v.database, "db");
  EXPECT_EQ(v.query, "SELECT a, 'x--y' FROM t WHERE b > 1");
  EXPECT_FALSE(ParseStatement("CREATE VIEW v AS").ok());
}

TEST(DdlParserTest, CreateTableAsSelect) {
  Statement c = Parse(
      "CREATE TABLE db.t WITH (format = 'PARQUET', external_location = 's3://b/t/', "
      "partitioned_by = ARRAY['year', 'month'], write_compression = 'ZSTD') AS SELECT * FROM src WITH NO "
      "DATA");
  EXPECT_EQ(c.kind, StatementKind::kCreateTableAs);
  EXPECT_EQ(c.statement_type, "DML");
  EXPECT_EQ(c.substatement_type, "CREATE_TABLE_AS_SELECT");
  EXPECT_TRUE(c.with_no_data);
  EXPECT_EQ(c.query, "SELECT * FROM src");
  ASSERT_EQ(c.properties.size(), 4u);
  EXPECT_EQ(c.properties[0], (std::pair<std::string, std::string>{"format", "PARQUET"}));
  EXPECT_EQ(c.properties[2], (std::pair<std::string, std::string>{"partitioned_by", "year,month"}));
  Statement plain = Parse("CREATE TABLE t AS SELECT 1 AS x");
  EXPECT_EQ(plain.kind, StatementKind::kCreateTableAs);
  EXPECT_FALSE(plain.with_no_data);
  EXPECT_EQ(plain.query, "SELECT 1 AS x");
  EXPECT_EQ(Parse("CREATE TABLE t AS SELECT 1 WITH DATA").query, "SELECT 1");
}

TEST(DdlParserTest, InsertInto) {
  Statement i = Parse("INSERT INTO db.t (a, b) SELECT x, y FROM s");
  EXPECT_EQ(i.kind, StatementKind::kInsertInto);
  EXPECT_EQ(i.statement_type, "DML");
  EXPECT_EQ(i.insert_columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(i.query, "SELECT x, y FROM s");
  Statement v = Parse("insert into t values (1, 'a')");
  EXPECT_TRUE(v.insert_columns.empty());
  EXPECT_EQ(v.query, "values (1, 'a')");
  Statement p = Parse("INSERT INTO t (SELECT 1)");
  EXPECT_TRUE(p.insert_columns.empty());
  EXPECT_EQ(p.query, "(SELECT 1)");
}

TEST(DdlParserTest, UnsupportedStatements) {
  // Row-level DML parses with the reason a Hive table answers (Iceberg tables run it).
  Statement u = Parse("UPDATE t SET a = 1");
  EXPECT_EQ(u.kind, StatementKind::kUpdate);
  EXPECT_EQ(u.unsupported_reason.rfind("NOT_SUPPORTED: ", 0), 0u);
  EXPECT_EQ(Parse("DELETE FROM t").kind, StatementKind::kDelete);
  EXPECT_EQ(Parse("MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE").kind, StatementKind::kMerge);
  EXPECT_EQ(Parse("GRANT SELECT ON t TO u").kind, StatementKind::kUnsupported);
  // Schema evolution (Iceberg tables).
  Statement add = Parse("ALTER TABLE t ADD COLUMNS (a int, b string COMMENT 'x')");
  EXPECT_EQ(add.kind, StatementKind::kAlterAddColumns);
  ASSERT_EQ(add.columns.size(), 2u);
  EXPECT_EQ(add.columns[1].comment, "x");
  Statement drop = Parse("ALTER TABLE db.t DROP COLUMN a");
  EXPECT_EQ(drop.kind, StatementKind::kAlterDropColumn);
  EXPECT_EQ(drop.pattern, "a");
  EXPECT_EQ(drop.database, "db");
  Statement change = Parse("ALTER TABLE t CHANGE COLUMN a b bigint COMMENT 'c'");
  EXPECT_EQ(change.kind, StatementKind::kAlterChangeColumn);
  EXPECT_EQ(change.pattern, "a");
  ASSERT_EQ(change.columns.size(), 1u);
  EXPECT_EQ(change.columns[0].name, "b");
  EXPECT_EQ(change.columns[0].type, "bigint");
  EXPECT_FALSE(change.column_first);
  EXPECT_EQ(change.column_after, "");
  Statement first = Parse("ALTER TABLE t CHANGE a a int FIRST");
  EXPECT_TRUE(first.column_first);
  Statement after = Parse("ALTER TABLE t CHANGE COLUMN a b string COMMENT 'c' AFTER Id");
  EXPECT_FALSE(after.column_first);
  EXPECT_EQ(after.column_after, "id");
  EXPECT_EQ(after.columns.at(0).comment, "c");
  EXPECT_FALSE(ParseStatement("ALTER TABLE t CHANGE a a int AFTER").ok());
  EXPECT_EQ(Parse("OPTIMIZE t REWRITE DATA USING BIN_PACK").kind, StatementKind::kOptimize);
  EXPECT_EQ(Parse("VACUUM db.t").kind, StatementKind::kVacuum);
  Statement managed = Parse("CREATE TABLE t (a int) LOCATION 's3://b/'");
  EXPECT_EQ(managed.kind, StatementKind::kCreateTable);
  EXPECT_FALSE(managed.external);
}

TEST(DdlParserTest, NormalizeHiveType) {
  EXPECT_EQ(*NormalizeHiveType("Array < String >"), "array<string>");
  EXPECT_EQ(*NormalizeHiveType("STRUCT<`A b`:INT>"), "struct<a b:int>");
  EXPECT_FALSE(NormalizeHiveType("array<>").ok());
  EXPECT_FALSE(NormalizeHiveType("int extra").ok());
}

TEST(DdlParserTest, NeverCrashesOnGarbage) {
  for (const char* sql :
       {"", ";", "'", "`", "\"", "CREATE", "CREATE EXTERNAL TABLE", "ALTER TABLE t ADD PARTITION (",
        "CREATE EXTERNAL TABLE t (a struct<", "SHOW", "DESCRIBE", "MSCK REPAIR",
        "CREATE TABLE t WITH (format=", "INSERT INTO", "\x01\x02\xff"}) {
    auto r = ParseStatement(sql);
    if (r.ok()) {
      EXPECT_NE(r->kind, StatementKind::kSelect) << sql;
    }
  }
  std::string deep = "CREATE EXTERNAL TABLE t (a ";
  for (int i = 0; i < 100; ++i) deep += "array<";
  deep += "int";
  for (int i = 0; i < 100; ++i) deep += ">";
  deep += ") LOCATION 's3://b/'";
  EXPECT_FALSE(ParseStatement(deep).ok());
}

}  // namespace
}  // namespace cenote::athena

namespace cenote::athena {
namespace {

TEST(SubstituteParametersTest, ReplacesPlaceholdersOutsideStrings) {
  auto r = SubstituteParameters("SELECT * FROM t WHERE a = ? AND b = '?' -- ?\nAND c = ?", {"'x'", "42"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "SELECT * FROM t WHERE a = 'x' AND b = '?' -- ?\nAND c = 42");
  auto few = SubstituteParameters("SELECT ?, ?", {"1"});
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.error().code, "INVALID_PARAMETER_USAGE");
  EXPECT_EQ(few.error().message, "Incorrect number of parameters: expected 2 but found 1");
  EXPECT_FALSE(SubstituteParameters("SELECT 1", {"1"}).ok());
}

}  // namespace
}  // namespace cenote::athena
