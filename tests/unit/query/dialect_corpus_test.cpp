// The Trino dialect conformance corpus (tests/dialect/*.test, README.md there): every record's SQL runs
// through QueryEngine::RunSelect and its rows, as Athena prints them, are compared with the expected text.
// Records listed in expected_pass.txt must pass; records in exclusions.txt are not run. Prints per file and
// in total "N of M pass (P %)". CENOTE_DIALECT_WRITE_PASS=1 adds newly passing records to expected_pass.txt;
// CENOTE_DIALECT_FILE=array.test runs one file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "query_test_util.hpp"

#ifndef CENOTE_DIALECT_DIR
#error "CENOTE_DIALECT_DIR must name tests/dialect"
#endif

namespace cenote::query {
namespace {

namespace fs = std::filesystem;

struct Record {
  std::string id;  // "array.test:12": the file and the line of its "query" line
  std::string sql;
  std::vector<std::string> expected;
  bool rowsort = false;
};

std::string Trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Records: "query [rowsort]" line, SQL lines, "----", expected lines up to a blank line or end of file.
// Lines starting with '#' outside SQL and expected rows are comments.
std::vector<Record> ParseFile(const fs::path& path, std::vector<std::string>& problems) {
  std::vector<Record> out;
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  std::string name = path.filename().string();
  std::size_t i = 0;
  while (i < lines.size()) {
    std::string t = Trim(lines[i]);
    if (t.empty() || t[0] == '#') {
      ++i;
      continue;
    }
    if (t.rfind("query", 0) != 0) {
      problems.push_back(name + ":" + std::to_string(i + 1) + ": expected a query line, found: " + t);
      ++i;
      continue;
    }
    Record r;
    r.id = name + ":" + std::to_string(i + 1);
    std::istringstream opts(t.substr(5));
    for (std::string o; opts >> o;) {
      if (o == "rowsort")
        r.rowsort = true;
      else
        problems.push_back(r.id + ": unknown option " + o);
    }
    ++i;
    while (i < lines.size() && Trim(lines[i]) != "----" && !Trim(lines[i]).empty()) {
      r.sql += (r.sql.empty() ? "" : "\n") + lines[i];
      ++i;
    }
    if (i >= lines.size() || Trim(lines[i]) != "----") {
      problems.push_back(r.id + ": no ---- line");
      continue;
    }
    ++i;
    while (i < lines.size() && !lines[i].empty()) r.expected.push_back(lines[i++]);
    // A trailing ';' is accepted as Athena's console does.
    std::string sql = Trim(r.sql);
    while (!sql.empty() && (sql.back() == ';' || sql.back() == ' ' || sql.back() == '\n')) sql.pop_back();
    r.sql = sql;
    out.push_back(std::move(r));
  }
  return out;
}

// Athena's CSV result (header line first) as rows of tab-separated values; NULL (an empty unquoted field)
// prints as NULL, an empty string as nothing.
std::vector<std::string> CsvRows(const std::string& csv) {
  std::vector<std::string> rows;
  std::string row, field;
  bool quoted = false, was_quoted = false, any = false;
  std::size_t fields = 0;
  auto end_field = [&] {
    if (fields++ > 0) row += '\t';
    row += (!was_quoted && field.empty()) ? "NULL" : field;
    field.clear();
    was_quoted = false;
  };
  for (std::size_t i = 0; i < csv.size(); ++i) {
    char c = csv[i];
    any = true;
    if (quoted) {
      if (c == '"') {
        if (i + 1 < csv.size() && csv[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
      was_quoted = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n') {
      end_field();
      rows.push_back(row);
      row.clear();
      fields = 0;
      any = false;
    } else {
      field += c;
    }
  }
  if (any) {
    end_field();
    rows.push_back(row);
  }
  if (!rows.empty()) rows.erase(rows.begin());  // the header
  return rows;
}

std::set<std::string> ReadIdList(const fs::path& path, std::map<std::string, std::string>* reasons) {
  std::set<std::string> ids;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    auto sp = t.find_first_of(" \t");
    std::string id = t.substr(0, sp);
    ids.insert(id);
    if (reasons) (*reasons)[id] = sp == std::string::npos ? "" : Trim(t.substr(sp));
  }
  return ids;
}

std::string Clip(const std::string& s) { return s.size() > 200 ? s.substr(0, 200) + "..." : s; }

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "\\n") + s;
  return out;
}

class DialectCorpus : public testing::EngineFixture {};

TEST_F(DialectCorpus, Runs) {
  fs::path dir = CENOTE_DIALECT_DIR;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".test") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no .test files in " << dir;
  const char* only = std::getenv("CENOTE_DIALECT_FILE");

  std::map<std::string, std::string> exclusion_reasons;
  auto expected_pass = ReadIdList(dir / "expected_pass.txt", nullptr);
  auto excluded = ReadIdList(dir / "exclusions.txt", &exclusion_reasons);
  for (const auto& [id, reason] : exclusion_reasons)
    EXPECT_FALSE(reason.empty()) << id << ": exclusion has no reason";

  std::vector<std::string> problems, regressions, newly;
  std::set<std::string> all_ids;
  int total = 0, passed = 0, skipped = 0;
  for (const auto& f : files) {
    auto records = ParseFile(f, problems);
    for (const auto& r : records) all_ids.insert(r.id);
    if (only && f.filename() != only) continue;
    int n = 0, p = 0;
    std::ostringstream failures;
    for (const auto& r : records) {
      if (excluded.count(r.id)) {
        ++skipped;
        continue;
      }
      ++n;
      std::string out = Run(r.sql);
      std::vector<std::string> got;
      if (out.rfind("ERROR ", 0) == 0) {
        got = {out};
      } else {
        got = CsvRows(out);
      }
      std::vector<std::string> want = r.expected;
      if (r.rowsort) {
        std::sort(got.begin(), got.end());
        std::sort(want.begin(), want.end());
      }
      // An expected "ERROR <CODE>" matches an error whose code is CODE.
      bool ok = got == want;
      if (!ok && want.size() == 1 && want[0].rfind("ERROR ", 0) == 0 && got.size() == 1)
        ok = got[0].rfind(want[0] + ":", 0) == 0;
      if (ok) {
        ++p;
        if (!expected_pass.count(r.id)) newly.push_back(r.id);
      } else {
        failures << "  FAIL " << r.id << "\n    sql:  " << Clip(r.sql) << "\n    got:  " << Clip(Join(got))
                 << "\n    want: " << Clip(Join(want)) << "\n";
        if (expected_pass.count(r.id)) regressions.push_back(r.id);
      }
    }
    total += n;
    passed += p;
    std::cout << f.filename().string() << ": " << p << " of " << n << " pass ("
              << (n ? p * 1000 / n / 10.0 : 100.0) << " %)\n"
              << failures.str();
  }
  for (const auto& id : expected_pass)
    if (!all_ids.count(id)) problems.push_back("expected_pass.txt names a record that does not exist: " + id);
  for (const auto& id : excluded)
    if (!all_ids.count(id)) problems.push_back("exclusions.txt names a record that does not exist: " + id);
  for (const auto& id : newly) std::cout << "newly passing, add it to expected_pass.txt: " << id << "\n";
  if (!newly.empty() && std::getenv("CENOTE_DIALECT_WRITE_PASS")) {
    std::set<std::string> ids = expected_pass;
    ids.insert(newly.begin(), newly.end());
    std::vector<std::string> sorted(ids.begin(), ids.end());
    // Sorted by file, then by line number.
    std::sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
      auto ca = a.rfind(':'), cb = b.rfind(':');
      if (a.substr(0, ca) != b.substr(0, cb)) return a.substr(0, ca) < b.substr(0, cb);
      return std::stol(a.substr(ca + 1)) < std::stol(b.substr(cb + 1));
    });
    std::ofstream out(dir / "expected_pass.txt");
    out << "# Corpus records that pass today (tests/dialect/README.md); this list only grows.\n";
    for (const auto& id : sorted) out << id << "\n";
  }
  for (const auto& p : problems) ADD_FAILURE() << p;
  for (const auto& id : regressions) ADD_FAILURE() << id << " is in expected_pass.txt but fails";
  std::cout << "dialect corpus: " << passed << " of " << total << " pass ("
            << (total ? passed * 1000 / total / 10.0 : 100.0) << " %), " << skipped << " excluded\n";
}

}  // namespace
}  // namespace cenote::query
