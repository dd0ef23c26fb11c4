// The DELETE / UPDATE / MERGE INTO parsers (src/services/athena/iceberg/row_level.cpp).
#include "services/athena/iceberg/row_level.hpp"

#include <gtest/gtest.h>

#include "services/athena/ddl_parser.hpp"

namespace cenote::athena::iceberg {
namespace {

TEST(RowLevelTest, Delete) {
  auto all = ParseDeleteStatement("DELETE FROM db.t");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->where, "");
  auto some = ParseDeleteStatement("delete from \"t\" where id in (1, 2) and name = 'where'; ");
  ASSERT_TRUE(some.ok()) << some.error().message;
  EXPECT_EQ(some->where, "id in (1, 2) and name = 'where'");
  auto bad = ParseDeleteStatement("DELETE FROM t id = 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "SYNTAX_ERROR");
  EXPECT_NE(bad.error().message.find("line 1:15: mismatched input 'id'"), std::string::npos)
      << bad.error().message;
}

TEST(RowLevelTest, Update) {
  auto u = ParseUpdateStatement(
      "UPDATE t SET a = CASE WHEN b = 1 THEN 'x, y' ELSE f(c, d) END, \"B\" = 2 WHERE a IS NULL");
  ASSERT_TRUE(u.ok()) << u.error().message;
  ASSERT_EQ(u->set.size(), 2u);
  EXPECT_EQ(u->set[0].column, "a");
  EXPECT_EQ(u->set[0].expr, "CASE WHEN b = 1 THEN 'x, y' ELSE f(c, d) END");
  EXPECT_EQ(u->set[1].column, "B");
  EXPECT_EQ(u->set[1].expr, "2");
  EXPECT_EQ(u->where, "a IS NULL");
  EXPECT_FALSE(ParseUpdateStatement("UPDATE t SET a =").ok());
  EXPECT_FALSE(ParseUpdateStatement("UPDATE t a = 1").ok());
}

TEST(RowLevelTest, Merge) {
  auto m = ParseMergeStatement(
      "MERGE INTO sales.orders o USING (SELECT * FROM staged WHERE ok) AS s ON o.id = s.id "
      "WHEN MATCHED AND s.op = 'D' THEN DELETE "
      "WHEN MATCHED THEN UPDATE SET amount = CASE WHEN s.amount > 0 THEN s.amount END, note = 'u' "
      "WHEN NOT MATCHED AND s.op <> 'D' THEN INSERT (id, amount) VALUES (s.id, coalesce(s.amount, 0))");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->target_alias, "o");
  EXPECT_EQ(m->source, "(SELECT * FROM staged WHERE ok)");
  EXPECT_EQ(m->source_alias, "s");
  EXPECT_EQ(m->on, "o.id = s.id");
  ASSERT_EQ(m->clauses.size(), 3u);
  EXPECT_TRUE(m->clauses[0].matched);
  EXPECT_EQ(m->clauses[0].action, MergeClause::Action::kDelete);
  EXPECT_EQ(m->clauses[0].condition, "s.op = 'D'");
  EXPECT_EQ(m->clauses[1].action, MergeClause::Action::kUpdate);
  EXPECT_EQ(m->clauses[1].condition, "");
  ASSERT_EQ(m->clauses[1].set.size(), 2u);
  EXPECT_EQ(m->clauses[1].set[0].expr, "CASE WHEN s.amount > 0 THEN s.amount END");
  EXPECT_EQ(m->clauses[1].set[1].column, "note");
  EXPECT_FALSE(m->clauses[2].matched);
  EXPECT_EQ(m->clauses[2].action, MergeClause::Action::kInsert);
  EXPECT_EQ(m->clauses[2].insert_columns, (std::vector<std::string>{"id", "amount"}));
  EXPECT_EQ(m->clauses[2].insert_values, (std::vector<std::string>{"s.id", "coalesce(s.amount, 0)"}));

  auto plain = ParseMergeStatement(
      "MERGE INTO t USING db.src ON t.k = src.k WHEN NOT MATCHED THEN INSERT VALUES (1, 2)");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->target_alias, "t");
  EXPECT_EQ(plain->source, "db.src");
  EXPECT_EQ(plain->source_alias, "");
  EXPECT_EQ(plain->clauses[0].insert_values.size(), 2u);

  auto values = ParseMergeStatement(
      "MERGE INTO t USING (VALUES (1, 'a')) AS v(k, x) ON t.k = v.k WHEN MATCHED THEN DELETE");
  ASSERT_TRUE(values.ok()) << values.error().message;
  EXPECT_EQ(values->source, "(VALUES (1, 'a'))");
  EXPECT_EQ(values->source_alias, "v");
  EXPECT_EQ(values->source_columns, "(k, x)");

  EXPECT_FALSE(ParseMergeStatement("MERGE INTO t USING s ON t.k = s.k").ok());  // no WHEN
  EXPECT_FALSE(ParseMergeStatement("MERGE INTO t USING s ON t.k = s.k WHEN NOT MATCHED THEN DELETE").ok());
  EXPECT_FALSE(
      ParseMergeStatement("MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN INSERT VALUES (1)").ok());
  EXPECT_FALSE(
      ParseMergeStatement("MERGE INTO t USING s ON t.k = s.k WHEN NOT MATCHED THEN INSERT (a, b) VALUES (1)")
          .ok());
}

TEST(RowLevelTest, ColumnEqualitiesOfAJoinCondition) {
  auto e = ColumnEqualities("t.id = s.id AND (t.a > 1) AND \"T\".\"Region\"=S.region AND t.b = s.b + 1");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].first.qualifier, "t");
  EXPECT_EQ(e[0].first.column, "id");
  EXPECT_EQ(e[0].second.qualifier, "s");
  EXPECT_EQ(e[1].first.qualifier, "T");
  EXPECT_EQ(e[1].first.column, "Region");
  EXPECT_EQ(e[1].second.qualifier, "s");
  EXPECT_EQ(e[1].second.column, "region");
  EXPECT_TRUE(ColumnEqualities("t.id = s.id OR t.id = s.other").empty());
  EXPECT_TRUE(ColumnEqualities("id = s.id").empty());
  EXPECT_EQ(ColumnEqualities("(t.x = s.x OR t.y = s.y) AND t.id = s.id").size(), 1u);
}

TEST(RowLevelTest, StatementsRouteWithTheirTarget) {
  auto d = ParseStatement("DELETE FROM db.t WHERE x = 1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, StatementKind::kDelete);
  EXPECT_EQ(d->database, "db");
  EXPECT_EQ(d->name, "t");
  EXPECT_EQ(d->statement_type, "DML");
  auto u = ParseStatement("UPDATE t SET x = 1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->kind, StatementKind::kUpdate);
  EXPECT_EQ(u->name, "t");
  auto m = ParseStatement("MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, StatementKind::kMerge);
  EXPECT_EQ(m->name, "t");
  EXPECT_FALSE(ParseStatement("DELETE t").ok());
}

}  // namespace
}  // namespace cenote::athena::iceberg
