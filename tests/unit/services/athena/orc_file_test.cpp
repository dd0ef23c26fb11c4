// Cenote's ORC reader against files written by the Apache ORC writers (testdata/orc/README.md): every row of
// each file compared with the ORC tools' own JSON of it.
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>

#include "common/encoding.hpp"
#include "fakes.hpp"
#include "services/athena/serde_files.hpp"

namespace cenote::athena {
namespace {

namespace json = boost::json;
using testing::TempDir;

const std::string kDir = std::string(CENOTE_SOURCE_DIR) + "/tests/unit/services/athena/testdata/orc/";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string Gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::string out;
  if (f == nullptr) return out;
  char buf[65536];
  int n = 0;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

// "YYYY-MM-DD HH:MM:SS[.f...]" with the fraction cut or padded to microseconds.
std::string Micros(std::string_view ts) {
  std::string head(ts.substr(0, 19));
  std::string frac = ts.size() > 20 ? std::string(ts.substr(20)) : "";
  frac.resize(6, '0');
  return head + "." + frac;
}

double Number(const json::value& v) {
  if (v.is_double()) return v.as_double();
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_string()) return std::stod(std::string(v.as_string()));
  return NAN;
}

// Whether Cenote's value `got` is the ORC tools' `want`, allowing for the forms that differ on purpose:
// binary as base64 (theirs: a list of byte values), maps as objects (theirs: a list of key/value objects),
// timestamps to microseconds, decimals as exact text (theirs: a JSON number), floats printed shortest.
bool Same(const json::value& got, const json::value& want, std::string& why) {
  if (want.is_null() || got.is_null()) {
    if (want.is_null() && got.is_null()) return true;
    why = "null vs " + json::serialize(want.is_null() ? got : want);
    return false;
  }
  if (want.is_array() && got.is_string()) {  // binary
    auto bytes = Base64Decode(std::string(got.as_string()));
    std::string expect;
    for (const auto& b : want.as_array()) expect += static_cast<char>(b.to_number<int>());
    if (bytes && *bytes == expect) return true;
    why = "binary " + json::serialize(got) + " vs " + json::serialize(want);
    return false;
  }
  if (want.is_array() && got.is_object()) {  // map
    const auto& entries = want.as_array();
    if (entries.size() != got.as_object().size()) {
      why = "map size";
      return false;
    }
    for (const auto& e : entries) {
      const auto& key = e.as_object().at("key");
      std::string k = key.is_string() ? std::string(key.as_string()) : json::serialize(key);
      const json::value* v = got.as_object().if_contains(k);
      if (v == nullptr || !Same(*v, e.as_object().at("value"), why)) {
        why = "map key " + k + ": " + why;
        return false;
      }
    }
    return true;
  }
  if (want.is_array() && got.is_array()) {
    if (want.as_array().size() != got.as_array().size()) {
      why = "array size";
      return false;
    }
    for (std::size_t i = 0; i < want.as_array().size(); ++i)
      if (!Same(got.as_array()[i], want.as_array()[i], why)) return false;
    return true;
  }
  if (want.is_object() && got.is_object()) {
    for (const auto& [k, v] : want.as_object()) {
      const json::value* g = got.as_object().if_contains(k);
      if (g == nullptr) {
        why = "missing field " + std::string(k);
        return false;
      }
      if (!Same(*g, v, why)) {
        why = std::string(k) + ": " + why;
        return false;
      }
    }
    return true;
  }
  if (want.is_string() && got.is_string()) {
    std::string w(want.as_string()), g(got.as_string());
    bool timestamp = w.size() >= 19 && w[4] == '-' && w[10] == ' ' && w[13] == ':';
    if (timestamp ? Micros(w) == Micros(g) : w == g) return true;
    why = g + " vs " + w;
    return false;
  }
  if (want.is_bool() && got.is_bool() && want.as_bool() == got.as_bool()) return true;
  if ((want.is_int64() || want.is_uint64()) && (got.is_int64() || got.is_uint64())) {
    if (want == got) return true;
  } else if (want.is_number() || want.is_string()) {
    double w = Number(want), g = Number(got);
    if (w == g || std::fabs(w - g) <= 1e-6 * std::max(std::fabs(w), 1.0)) return true;
  }
  why = json::serialize(got) + " vs " + json::serialize(want);
  return false;
}

std::vector<std::string> Convert(const std::string& file, TempDir& dir) {
  std::string out = dir.path() + "/" + file + ".json";
  Status s = ConvertOrcToJsonLines(kDir + file, out, "s3://b/" + file);
  EXPECT_TRUE(s.ok()) << file << ": " << (s.ok() ? "" : s.error().message);
  std::ifstream in(out, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return Lines(ss.str());
}

class OrcFileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OrcFileTest, RowsMatchTheOrcToolsOutput) {
  TempDir dir;
  std::vector<std::string> got = Convert(GetParam() + ".orc", dir);
  std::vector<std::string> want = Lines(Gunzip(kDir + GetParam() + ".jsn.gz"));
  ASSERT_FALSE(want.empty());
  ASSERT_GE(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    json::value w = json::parse(want[i]);
    json::value g = json::parse(got[i]);
    // Files whose schema is a bare type (not a struct) have one column; the ORC tools print the bare value.
    if (!w.is_object() && g.is_object() && g.as_object().size() == 1) g = g.as_object().begin()->value();
    std::string why;
    ASSERT_TRUE(Same(g, w, why)) << GetParam() << " row " << i << ": " << why << "\n got:  " << got[i]
                                 << "\n want: " << want[i];
  }
}

INSTANTIATE_TEST_SUITE_P(ApacheOrcExamples, OrcFileTest,
                         ::testing::Values("TestOrcFile.test1", "decimal", "TestOrcFile.testSnappy",
                                           "TestVectorOrcFile.testLz4", "over1k_bloom",
                                           "TestOrcFile.testDate1900", "TestStringDictionary.testRowIndex"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

// A file of bare timestamps written in a zone with daylight saving time (America/Los_Angeles): the stripe
// footer's writerTimezone places 2015-01-01 00:00:00 and each value, so summer times read as written too.
TEST(OrcFileTimestampTest, WallClockInTheWritersZone) {
  TempDir dir;
  std::vector<std::string> got = Convert("TestOrcFile.testTimestamp.orc", dir);
  std::vector<std::string> want = Lines(Gunzip(kDir + "TestOrcFile.testTimestamp.jsn.gz"));
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    std::string w(json::parse(want[i]).as_string());
    std::string g(json::parse(got[i]).as_object().at("_col0").as_string());
    EXPECT_EQ(Micros(g), Micros(w)) << i;
  }
}

// ---- files written here from the ORC specification: uncompressed, one stripe, integer RLE v2 (direct)

std::string Varint(std::uint64_t v) {
  std::string out;
  do {
    unsigned char b = v & 0x7f;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out += static_cast<char>(b);
  } while (v != 0);
  return out;
}
std::string Field(int number, std::uint64_t v) {
  return Varint(static_cast<std::uint64_t>(number) << 3) + Varint(v);
}
std::string Field(int number, const std::string& bytes) {
  return Varint((static_cast<std::uint64_t>(number) << 3) | 2) + Varint(bytes.size()) + bytes;
}

// Integer RLE v2, DIRECT sub-encoding with 64-bit values (zig-zag when signed).
std::string RleV2(const std::vector<std::int64_t>& values, bool is_signed) {
  std::string out;
  const std::size_t len = values.size() - 1;
  out += static_cast<char>(0x40 | (31 << 1) | ((len >> 8) & 1));
  out += static_cast<char>(len & 0xff);
  for (std::int64_t v : values) {
    std::uint64_t u = is_signed ? (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)
                                : static_cast<std::uint64_t>(v);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((u >> shift) & 0xff);
  }
  return out;
}

struct OrcStream {
  int kind;  // 1 DATA, 5 SECONDARY
  int column;
  std::string bytes;
};

// struct<d:decimal(precision,2),ts:timestamp>: the file's version (major, minor), the stripe's streams and
// writerTimezone ("" leaves it out).
std::string OrcFile(std::uint64_t major, std::uint64_t minor, int precision, std::uint64_t rows,
                    const std::vector<OrcStream>& streams, const std::string& zone) {
  std::string file = "ORC";
  const std::uint64_t offset = file.size();
  std::string stripe_footer;
  for (const OrcStream& st : streams) {
    file += st.bytes;
    stripe_footer += Field(1, Field(1, st.kind) + Field(2, st.column) + Field(3, st.bytes.size()));
  }
  const std::uint64_t data_length = file.size() - offset;
  for (int column = 0; column < 3; ++column) stripe_footer += Field(2, Field(1, 2));  // DIRECT_V2
  if (!zone.empty()) stripe_footer += Field(3, zone);
  file += stripe_footer;
  std::string footer = Field(1, 3) + Field(2, file.size() - 3);
  footer += Field(3, Field(1, offset) + Field(2, 0) + Field(3, data_length) + Field(4, stripe_footer.size()) +
                         Field(5, rows));
  footer += Field(4, Field(1, 12) + Field(2, Varint(1) + Varint(2)) + Field(3, "d") + Field(3, "ts"));
  footer += Field(4, Field(1, 14) + Field(5, precision) + Field(6, 2));
  footer += Field(4, Field(1, 9));
  footer += Field(6, rows);
  file += footer;
  std::string postscript = Field(1, footer.size()) + Field(2, 0) + Field(3, 262144) +
                           Field(4, Varint(major) + Varint(minor)) + Field(5, 0) + Field(8000, "ORC");
  file += postscript;
  file += static_cast<char>(postscript.size());
  return file;
}

std::vector<std::string> ConvertBytes(const std::string& bytes, TempDir& dir) {
  std::string in = dir.path() + "/written.orc", out = dir.path() + "/written.json";
  {
    std::ofstream f(in, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  Status s = ConvertOrcToJsonLines(in, out, "s3://b/written.orc");
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  std::ifstream f(out, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return Lines(ss.str());
}

// 2020-07-01 12:00:00 PDT and 2021-01-15 08:30:00.123 PST, as seconds from 2015-01-01 00:00:00 PST.
const std::vector<std::int64_t> kLosAngelesSeconds = {1593630000 - 1420099200, 1610728200 - 1420099200};
const std::vector<std::int64_t> kNanos = {0, (123 << 3) | 5};  // 123 * 10^6: six zeros, code 5

TEST(OrcFileDecimal64Test, UnscaledIntegersWithTheTypesScale) {
  TempDir dir;
  // Version 1.9999 (the Java writer's UNSTABLE-PRE-2.0), decimal(10,2): DATA is signed RLE v2, no SECONDARY.
  std::string bytes = OrcFile(1, 9999, 10, 2,
                              {{1, 1, RleV2({12345, -5}, true)},
                               {1, 2, RleV2(kLosAngelesSeconds, true)},
                               {5, 2, RleV2(kNanos, false)}},
                              "America/Los_Angeles");
  EXPECT_EQ(ConvertBytes(bytes, dir),
            (std::vector<std::string>{R"({"d":"123.45","ts":"2020-07-01 12:00:00.000000"})",
                                      R"({"d":"-0.05","ts":"2021-01-15 08:30:00.123000"})"}));
}

TEST(OrcFileDecimal64Test, VersionZeroTwelveKeepsVarintDecimals) {
  TempDir dir;
  // Version 0.12: DATA is base-128 zig-zag varints and SECONDARY the scales, even for precision 10.
  std::string data = Varint(12345 << 1) + Varint((5 << 1) - 1);
  std::string bytes = OrcFile(
      0, 12, 10, 2,
      {{1, 1, data}, {5, 1, RleV2({2, 2}, true)}, {1, 2, RleV2({0, 0}, true)}, {5, 2, RleV2({0, 0}, false)}},
      "UTC");
  std::vector<std::string> got = ConvertBytes(bytes, dir);
  EXPECT_EQ(got, (std::vector<std::string>{R"({"d":"123.45","ts":"2015-01-01 00:00:00.000000"})",
                                           R"({"d":"-0.05","ts":"2015-01-01 00:00:00.000000"})"}));
}

TEST(OrcFileTimestampTest, NoWriterZoneReadsAsUtcAndAnUnknownZoneFails) {
  TempDir dir;
  std::vector<OrcStream> streams = {
      {1, 1, RleV2({1, 2}, true)}, {1, 2, RleV2({3600, 86400 * 181}, true)}, {5, 2, RleV2({0, 0}, false)}};
  EXPECT_EQ(ConvertBytes(OrcFile(1, 9999, 10, 2, streams, ""), dir),
            (std::vector<std::string>{R"({"d":"0.01","ts":"2015-01-01 01:00:00.000000"})",
                                      R"({"d":"0.02","ts":"2015-07-01 00:00:00.000000"})"}));
  // Europe/Paris: 2015-01-01 00:00:00 CET is 2014-12-31 23:00Z; 181 days later is summer time (CEST).
  EXPECT_EQ(ConvertBytes(OrcFile(1, 9999, 10, 2, streams, "Europe/Paris"), dir),
            (std::vector<std::string>{R"({"d":"0.01","ts":"2015-01-01 01:00:00.000000"})",
                                      R"({"d":"0.02","ts":"2015-07-01 01:00:00.000000"})"}));
  std::string path = dir.path() + "/zone.orc";
  {
    std::string bytes = OrcFile(1, 9999, 10, 2, streams, "Mars/Olympus_Mons");
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  Status s = ConvertOrcToJsonLines(path, dir.path() + "/zone.json", "s3://b/zone.orc");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "HIVE_BAD_DATA");
  EXPECT_NE(s.error().message.find("Mars/Olympus_Mons"), std::string::npos) << s.error().message;
}

TEST(OrcFileColumnsTest, ByPositionWithTheTablesNames) {
  TempDir dir;
  std::string out = dir.path() + "/by_position.json";
  ASSERT_TRUE(
      ConvertOrcToJsonLines(kDir + "TestOrcFile.test1.orc", out, "s3://b/t.orc", {"a", "b", "c"}).ok());
  std::ifstream in(out);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, R"({"a":false,"b":1,"c":1024})");
}

TEST(OrcFileZstdTest, ZstdFileDecodesEveryRow) {
  TempDir dir;
  std::vector<std::string> got = Convert("TestVectorOrcFile.testZstd.0.12.orc", dir);
  ASSERT_FALSE(got.empty());
  for (const std::string& line : got) ASSERT_TRUE(json::parse(line).is_object()) << line;
}

TEST(OrcFileErrorsTest, NotOrcAndTruncatedFiles) {
  TempDir dir;
  std::string path = dir.path() + "/bad.orc";
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,name\n1,a\n";
  }
  Status s = ConvertOrcToJsonLines(path, dir.path() + "/bad.json", "s3://b/bad.orc");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "HIVE_BAD_DATA");
  EXPECT_NE(s.error().message.find("s3://b/bad.orc"), std::string::npos);
  // A real file cut in the middle: its tail is gone.
  std::ifstream in(kDir + "TestOrcFile.test1.orc", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  for (std::size_t keep : {bytes.size() / 2, bytes.size() - 5}) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(keep));
    out.close();
    EXPECT_FALSE(ConvertOrcToJsonLines(path, dir.path() + "/cut.json", "s3://b/cut.orc").ok()) << keep;
  }
}

}  // namespace
}  // namespace cenote::athena
