// The Logs Insights language over a fixed set of events.
#include "services/logs/insights.hpp"

#include <gtest/gtest.h>

#include "common/encoding.hpp"
#include "test_engine.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace cenote::logs {
namespace {

const std::int64_t kT0 = 1'700'000'000'000;  // 2023-11-14 22:13:20 UTC

std::vector<InsightsEvent> Events() {
  std::vector<InsightsEvent> out;
  auto add = [&](std::int64_t offset_ms, std::string message, std::string stream = "s1") {
    InsightsEvent e;
    e.timestamp = kT0 + offset_ms;
    e.ingestion = e.timestamp + 5;
    e.message = std::move(message);
    e.log_stream = std::move(stream);
    e.log = "123456789012:/app";
    e.ptr = "p" + std::to_string(out.size());
    out.push_back(std::move(e));
  };
  add(0, R"({"level":"INFO","latency":10,"user":{"id":"u1"},"path":"/a"})");
  add(1'000, R"({"level":"ERROR","latency":250,"user":{"id":"u2"},"path":"/b"})");
  add(61'000, R"({"level":"INFO","latency":30,"user":{"id":"u1"},"path":"/a"})");
  add(62'000, "plain text line user=bob status=500", "s2");
  add(125'000, R"({"level":"WARN","latency":90,"user":{"id":"u3"},"path":"/c"})");
  return out;
}

InsightsQuery::Outcome RunEvents(const InsightsQuery& q, const std::vector<InsightsEvent>& events,
                                 std::int64_t max_rows) {
  std::atomic<bool> cancelled{false};
  auto& t = TestEngine::Get();
  if (!t.engine) return {};
  auto out = q.Run(
      [&](const std::function<bool(const InsightsEvent&)>& sink) {
        for (const auto& e : events) {
          if (!sink(e)) return;
        }
      },
      max_rows, cancelled, *t.engine, t.scratch() + "/events.csv");
  EXPECT_TRUE(out.ok()) << q.ToSql(max_rows) << ": " << (out.ok() ? "" : out.error().message);
  return out.ok() ? std::move(out).value() : InsightsQuery::Outcome{};
}

InsightsQuery::Outcome RunQuery(std::string_view text, std::int64_t max_rows = 10'000) {
  auto q = InsightsQuery::Parse(text);
  EXPECT_TRUE(q.ok()) << text << ": " << (q.ok() ? "" : q.error().message);
  if (!q.ok()) return {};
  return RunEvents(*q, Events(), max_rows);
}

std::string Get(const InsightsRow& row, const std::string& field) {
  for (const auto& [f, v] : row) {
    if (f == field) return v;
  }
  return "<absent>";
}

TEST(Insights, FieldsAndDefaultColumns) {
  auto out = RunQuery("fields @timestamp, @message | limit 2");
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(Get(out.rows[0], "@timestamp"), "2023-11-14 22:13:20.000");
  EXPECT_EQ(Get(out.rows[0], "@ptr"), "p0");
  // A limit without sort stops reading early.
  EXPECT_EQ(out.statistics.records_scanned, 2);
  auto all = RunQuery("filter level = \"INFO\"");
  ASSERT_EQ(all.rows.size(), 2u);
  EXPECT_NE(Get(all.rows[0], "@message"), "<absent>");
  EXPECT_EQ(all.statistics.records_matched, 2);
  EXPECT_EQ(all.statistics.records_scanned, 5);
}

TEST(Insights, FilterOperators) {
  EXPECT_EQ(RunQuery("filter latency > 50").rows.size(), 2u);
  EXPECT_EQ(RunQuery("filter latency >= 30 and level != 'ERROR'").rows.size(), 2u);
  EXPECT_EQ(RunQuery("filter level in ['WARN', 'ERROR']").rows.size(), 2u);
  EXPECT_EQ(RunQuery("filter level not in ['WARN', 'ERROR']").rows.size(),
            2u);  // the plain line has no level
  EXPECT_EQ(RunQuery("filter @message like 'user=bob'").rows.size(), 1u);
  EXPECT_EQ(RunQuery("filter @message like /status=5\\d\\d/").rows.size(), 1u);
  EXPECT_EQ(RunQuery("filter @message =~ /(?i)PLAIN/").rows.size(), 1u);
  EXPECT_EQ(RunQuery("filter not ispresent(level)").rows.size(), 1u);
  EXPECT_EQ(RunQuery("filter user.id = 'u1' or path = '/c'").rows.size(), 3u);
  EXPECT_EQ(RunQuery("filter @logStream = 's2'").rows.size(), 1u);
}

TEST(Insights, StatsByBin) {
  auto out = RunQuery("stats count() by bin(1m)");
  ASSERT_EQ(out.rows.size(), 3u);
  EXPECT_EQ(Get(out.rows[0], "bin(1m)"), "2023-11-14 22:13:00.000");
  EXPECT_EQ(Get(out.rows[0], "count()"), "2");
  EXPECT_EQ(Get(out.rows[1], "count()"), "2");
  EXPECT_EQ(Get(out.rows[2], "count()"), "1");
  EXPECT_EQ(Get(out.rows[0], "@ptr"), "<absent>");
}

TEST(Insights, Aggregates) {
  auto out = RunQuery(
      "filter ispresent(latency) | stats count(*) as n, sum(latency) as total, avg(latency), min(latency), "
      "max(latency), pct(latency, 50) as p50, count_distinct(user.id) as users, earliest(path) as first, "
      "latest(path) as last, stddev(latency) as sd");
  ASSERT_EQ(out.rows.size(), 1u);
  const auto& r = out.rows[0];
  EXPECT_EQ(Get(r, "n"), "4");
  EXPECT_EQ(Get(r, "total"), "380");
  EXPECT_EQ(Get(r, "avg(latency)"), "95");
  EXPECT_EQ(Get(r, "min(latency)"), "10");
  EXPECT_EQ(Get(r, "max(latency)"), "250");
  EXPECT_EQ(Get(r, "p50"), "30");
  EXPECT_EQ(Get(r, "users"), "3");
  EXPECT_EQ(Get(r, "first"), "/a");
  EXPECT_EQ(Get(r, "last"), "/c");
  EXPECT_NE(Get(r, "sd"), "<absent>");
  auto by = RunQuery("stats avg(latency) as a by level | sort a desc");
  ASSERT_EQ(by.rows.size(), 4u);  // ERROR, WARN, INFO and the line without a level
  EXPECT_EQ(Get(by.rows[0], "level"), "ERROR");
  EXPECT_EQ(Get(by.rows[0], "a"), "250");
}

TEST(Insights, SortLimitDedupDisplay) {
  auto out = RunQuery("fields latency | filter ispresent(latency) | sort latency desc | limit 2");
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(Get(out.rows[0], "latency"), "250");
  EXPECT_EQ(Get(out.rows[1], "latency"), "90");
  auto dedup = RunQuery("filter ispresent(path) | dedup path | display path");
  ASSERT_EQ(dedup.rows.size(), 3u);
  EXPECT_EQ(Get(dedup.rows[0], "path"), "/a");
  EXPECT_EQ(Get(dedup.rows[0], "@message"), "<absent>");
}

TEST(Insights, SortIsNatural) {
  // Non-numbers before numbers; digit runs by length then value.
  auto out = RunQuery("fields coalesce(user.id, 'x10') as k | sort k asc | display k");
  std::vector<std::string> keys;
  for (const auto& row : out.rows) keys.push_back(Get(row, "k"));
  EXPECT_EQ(keys, (std::vector<std::string>{"u1", "u1", "u2", "u3", "x10"}));
  auto mixed = RunQuery("fields coalesce(latency, 'text') as k | sort k desc | display k");
  std::vector<std::string> values;
  for (const auto& row : mixed.rows) values.push_back(Get(row, "k"));
  EXPECT_EQ(values, (std::vector<std::string>{"250", "90", "30", "10", "text"}));
}

TEST(Insights, ParseAndFunctions) {
  auto glob = RunQuery(
      "parse @message 'user=* status=*' as who, status | filter ispresent(who) | fields who, status");
  ASSERT_EQ(glob.rows.size(), 1u);
  EXPECT_EQ(Get(glob.rows[0], "who"), "bob");
  EXPECT_EQ(Get(glob.rows[0], "status"), "500");
  auto re = RunQuery("parse @message /user=(?<who>\\w+)/ | filter ispresent(who) | display who");
  ASSERT_EQ(re.rows.size(), 1u);
  EXPECT_EQ(Get(re.rows[0], "who"), "bob");
  auto fns = RunQuery(
      "filter path = '/b' | fields toupper(level) as up, strlen(path) as len, concat(path, '!') as c, "
      "substr(level, 1, 2) as sub, replace(path, '/', '_') as rep, abs(0 - latency) as ab, "
      "floor(latency / 100) as fl, ceil(latency / 100) as ce, datefloor(@timestamp, 1h) as hour, "
      "toMillis(@timestamp) as ms, latency * 2 + 1 as calc, isempty(missing) as e");
  ASSERT_EQ(fns.rows.size(), 1u);
  const auto& r = fns.rows[0];
  EXPECT_EQ(Get(r, "up"), "ERROR");
  EXPECT_EQ(Get(r, "len"), "2");
  EXPECT_EQ(Get(r, "c"), "/b!");
  EXPECT_EQ(Get(r, "sub"), "RR");
  EXPECT_EQ(Get(r, "rep"), "_b");
  EXPECT_EQ(Get(r, "ab"), "250");
  EXPECT_EQ(Get(r, "fl"), "2");
  EXPECT_EQ(Get(r, "ce"), "3");
  EXPECT_EQ(Get(r, "hour"), "2023-11-14 22:00:00.000");
  EXPECT_EQ(Get(r, "ms"), std::to_string(kT0 + 1000));
  EXPECT_EQ(Get(r, "calc"), "501");
  EXPECT_EQ(Get(r, "e"), "1");
}

// Fields Insights discovers in Lambda's log lines; messages with quotes, commas and newlines survive the
// export to the engine.
TEST(Insights, LambdaFieldsAndAwkwardMessages) {
  std::vector<InsightsEvent> events;
  auto add = [&](std::int64_t offset_ms, std::string message) {
    InsightsEvent e;
    e.timestamp = kT0 + offset_ms;
    e.ingestion = e.timestamp;
    e.message = std::move(message);
    e.log_stream = "2024/01/01/[$LATEST]abc";
    e.log = "123456789012:/aws/lambda/f";
    e.ptr_prefix = "acct:region:7:";
    e.id = static_cast<std::int64_t>(events.size()) + 100;
    events.push_back(std::move(e));
  };
  add(0, "START RequestId: 11111111-aaaa Version: $LATEST");
  add(1, "line with \"quotes\", commas,\nand a newline");
  add(2, "END RequestId: 11111111-aaaa");
  add(3,
      "REPORT RequestId: 11111111-aaaa\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
      "Max Memory Used: 40 MB\tInit Duration: 150.25 ms\t");
  add(61'000,
      "REPORT RequestId: 22222222-bbbb\tDuration: 7.50 ms\tBilled Duration: 8 ms\tMemory Size: 128 MB\t"
      "Max Memory Used: 42 MB\t");
  auto q = InsightsQuery::Parse(
      "filter @type = 'REPORT' | stats count() as n, avg(@duration) as d, max(@maxMemoryUsed / 1000 / 1000) "
      "as mem, "
      "max(@initDuration) as init, sum(@billedDuration) as billed by bin(1m)");
  ASSERT_TRUE(q.ok()) << q.error().message;
  auto out = RunEvents(*q, events, 100);
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(Get(out.rows[0], "n"), "1");
  EXPECT_EQ(Get(out.rows[0], "d"), "12.5");
  EXPECT_EQ(Get(out.rows[0], "mem"), "40");
  EXPECT_EQ(Get(out.rows[0], "init"), "150.25");
  EXPECT_EQ(Get(out.rows[0], "billed"), "13");
  EXPECT_EQ(Get(out.rows[1], "d"), "7.5");
  EXPECT_EQ(Get(out.rows[1], "init"), "<absent>");
  EXPECT_EQ(out.statistics.records_matched, 2);
  EXPECT_EQ(out.statistics.records_scanned, 5);
  auto ids =
      InsightsQuery::Parse("fields @requestId, @type, @message | filter ispresent(@requestId) | limit 1");
  ASSERT_TRUE(ids.ok());
  auto first = RunEvents(*ids, events, 100);
  ASSERT_EQ(first.rows.size(), 1u);
  EXPECT_EQ(Get(first.rows[0], "@requestId"), "11111111-aaaa");
  EXPECT_EQ(Get(first.rows[0], "@type"), "START");
  // The @ptr of an event: its group's prefix and id, Base64URL.
  EXPECT_EQ(Get(first.rows[0], "@ptr"), Base64Encode("acct:region:7:100", Base64Alphabet::kUrlSafe, false));
  auto awkward = InsightsQuery::Parse("filter @message like 'commas' | fields @message");
  ASSERT_TRUE(awkward.ok());
  auto line = RunEvents(*awkward, events, 100);
  ASSERT_EQ(line.rows.size(), 1u);
  EXPECT_EQ(Get(line.rows[0], "@message"), events[1].message);
  // RE2 runs the regular expressions: what it lacks is refused when the query is parsed.
  for (const char* bad : {"filter @message like /a(?=b)/", "filter @message =~ /(a)\\1/"}) {
    auto p = InsightsQuery::Parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().code, "MalformedQueryException");
  }
}

TEST(Insights, MalformedQueries) {
  for (const char* q :
       {"", "fields", "filter", "stats latency", "sort", "limit x", "bogus x", "fields a |",
        "filter a = 'unterminated", "parse @message 'a*b*' as x", "stats nosuch(x)", "filter a ==== b"}) {
    auto p = InsightsQuery::Parse(q);
    ASSERT_FALSE(p.ok()) << q;
    EXPECT_EQ(p.error().code, "MalformedQueryException") << q;
  }
  auto p = InsightsQuery::Parse("fields @message | bogus");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "unexpected symbol found bogus at line 1 and position 19");
}

TEST(Insights, LogRecordFields) {
  InsightsEvent e = Events()[1];
  auto f = LogRecordFields(e);
  EXPECT_EQ(f["@message"], e.message);
  EXPECT_EQ(f["user.id"], "u2");
  EXPECT_EQ(f["latency"], "250");
  EXPECT_EQ(f["@log"], "123456789012:/app");
}

// Bad input is an error, never a crash: random queries built from the language's own symbols parse or fail
// with MalformedQueryException, and whatever parses runs.
TEST(Insights, RandomQueriesNeverCrash) {
  const std::vector<std::string> pieces = {"fields",
                                           "filter",
                                           "stats",
                                           "sort",
                                           "limit",
                                           "parse",
                                           "dedup",
                                           "display",
                                           "by",
                                           "as",
                                           "and",
                                           "or",
                                           "not",
                                           "in",
                                           "like",
                                           "desc",
                                           "asc",
                                           "|",
                                           ",",
                                           "(",
                                           ")",
                                           "[",
                                           "]",
                                           "=",
                                           "!=",
                                           "<",
                                           ">=",
                                           "=~",
                                           "+",
                                           "-",
                                           "*",
                                           "/",
                                           "%",
                                           "'x'",
                                           "\"y*z\"",
                                           "/a.b/",
                                           "/(?<n>\\w+)/",
                                           "1",
                                           "2.5",
                                           "5m",
                                           "@timestamp",
                                           "@message",
                                           "level",
                                           "user.id",
                                           "count(*)",
                                           "count()",
                                           "bin(1m)",
                                           "avg(",
                                           "pct(latency, 90)",
                                           "strlen(",
                                           "`odd name`",
                                           "0",
                                           "-1",
                                           "'unterminated",
                                           "/unterminated",
                                           "latency"};
  std::uint64_t seed = 42;
  auto next = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::size_t>(seed >> 33);
  };
  const auto events = Events();
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string q;
    const std::size_t n = 1 + next() % 10;
    for (std::size_t k = 0; k < n; ++k) q += pieces[next() % pieces.size()] + " ";
    auto query = InsightsQuery::Parse(q);
    if (!query.ok()) {
      EXPECT_EQ(query.error().code, "MalformedQueryException") << q;
      continue;
    }
    ++parsed;
    RunEvents(*query, events, 100);
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace cenote::logs
