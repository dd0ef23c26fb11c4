// The Avro container format and the Iceberg v2 metadata Cenote writes and reads
// (src/services/athena/iceberg), Iceberg time travel's rewrite and the DDL parser's hidden-partitioning
// terms.
#include <gtest/gtest.h>

#include "common/murmur3.hpp"
#include "services/athena/ddl_parser.hpp"
#include "services/athena/iceberg/avro.hpp"
#include "services/athena/iceberg/iceberg.hpp"
#include "services/athena/iceberg/parquet_footer.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {
namespace {

namespace json = boost::json;

std::string Bytes(std::initializer_list<int> b) {
  std::string out;
  for (int x : b) out += static_cast<char>(x);
  return out;
}

TEST(AvroTest, ZigZagVarintsAsTheSpecificationLists) {
  // Avro 1.11 "Binary Encoding": 0 -> 00, -1 -> 01, 1 -> 02, -2 -> 03, 2 -> 04, -64 -> 7f, 64 -> 80 01.
  const std::vector<std::pair<std::int64_t, std::string>> cases = {
      {0, Bytes({0x00})}, {-1, Bytes({0x01})},  {1, Bytes({0x02})},       {-2, Bytes({0x03})},
      {2, Bytes({0x04})}, {-64, Bytes({0x7f})}, {64, Bytes({0x80, 0x01})}};
  for (const auto& [v, enc] : cases) {
    std::string out;
    avro::WriteLong(v, out);
    EXPECT_EQ(out, enc) << v;
    std::size_t pos = 0;
    auto back = avro::ReadLong(enc, pos);
    ASSERT_TRUE(back) << v;
    EXPECT_EQ(*back, v);
  }
  std::string out;
  avro::WriteLong(INT64_MIN, out);
  std::size_t pos = 0;
  EXPECT_EQ(*avro::ReadLong(out, pos), INT64_MIN);
}

// A container file built byte by byte from the specification (another writer than ours): null codec,
// one block of two records {a: long, s: union{null, string}}.
TEST(AvroTest, ReadsAHandBuiltContainerFile) {
  const std::string schema =
      R"({"type":"record","name":"r","fields":[{"name":"a","type":"long"},{"name":"s","type":["null","string"]}]})";
  std::string f = "Obj";
  f += '\x01';
  f += Bytes({0x02});  // one metadata entry (count 1, zig-zag 2)
  f += Bytes({0x16});  // key length 11
  f += "avro.schema";
  std::string len;
  avro::WriteLong(static_cast<std::int64_t>(schema.size()), len);
  f += len + schema;
  f += Bytes({0x00});  // end of map
  std::string sync = "0123456789abcdef";
  f += sync;
  std::string block;
  block += Bytes({0x54});                // a = 42
  block += Bytes({0x00});                // s: branch 0 (null)
  block += Bytes({0x01});                // a = -1
  block += Bytes({0x02, 0x06}) + "xyz";  // s: branch 1, "xyz"
  f += Bytes({0x04});                    // 2 records
  std::string size;
  avro::WriteLong(static_cast<std::int64_t>(block.size()), size);
  f += size + block + sync;

  auto file = avro::ReadContainer(f);
  ASSERT_TRUE(file) << file.error().message;
  ASSERT_EQ(file->records.size(), 2u);
  EXPECT_EQ(file->records[0].Get("a")->integer, 42);
  EXPECT_TRUE(file->records[0].Get("s")->is_null());
  EXPECT_EQ(file->records[1].Get("a")->integer, -1);
  EXPECT_EQ(file->records[1].Get("s")->bytes, "xyz");
  EXPECT_EQ(file->records[1].Get("s")->branch, 1);

  // A wrong sync marker after the block, and the file cut anywhere, are errors, never crashes.
  std::string bad = f;
  bad[bad.size() - 1] ^= 1;
  EXPECT_FALSE(avro::ReadContainer(bad));
  for (std::size_t n = 0; n < f.size(); ++n) {
    auto cut = avro::ReadContainer(std::string_view(f).substr(0, n));
    if (cut) {
      EXPECT_LE(cut->records.size(), 2u);
    }
  }
}

TEST(AvroTest, RoundTripsEveryTypeThroughDeflateBlocks) {
  const std::string schema = R"({"type":"record","name":"x.rec","fields":[
    {"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"d","type":"double"},{"name":"f","type":"float"},
    {"name":"by","type":"bytes"},{"name":"fx","type":{"type":"fixed","name":"f4","size":4}},
    {"name":"e","type":{"type":"enum","name":"color","symbols":["RED","GREEN"]}},
    {"name":"arr","type":{"type":"array","items":"long"}},{"name":"m","type":{"type":"map","values":"string"}},
    {"name":"again","type":["null","f4"]}]})";
  std::vector<avro::Value> records;
  for (int i = 0; i < 1000; ++i) {
    avro::Value fx;
    fx.type = avro::Type::kFixed;
    fx.bytes = "abcd";
    avro::Value e;
    e.type = avro::Type::kEnum;
    e.bytes = i % 2 ? "GREEN" : "RED";
    avro::Value m;
    m.type = avro::Type::kMap;
    m.fields = {{"k" + std::to_string(i), avro::Value::String("v")}};
    avro::Value f;
    f.type = avro::Type::kFloat;
    f.real = 1.5;
    records.push_back(
        avro::Value::Record({{"b", avro::Value::Bool(i % 3 == 0)},
                             {"i", avro::Value::Int(i - 500)},
                             {"d", avro::Value::Double(i / 4.0)},
                             {"f", f},
                             {"by", avro::Value::Bytes(std::string(i % 7, '\0'))},
                             {"fx", fx},
                             {"e", e},
                             {"arr", avro::Value::Array({avro::Value::Long(i), avro::Value::Long(-i)})},
                             {"m", m},
                             {"again", i % 2 ? fx : avro::Value::Null()}}));
  }
  for (const char* codec : {"null", "deflate"}) {
    auto bytes = avro::WriteContainer(schema, records, {{"user", "meta"}}, codec, 300);
    ASSERT_TRUE(bytes) << bytes.error().message;
    auto file = avro::ReadContainer(*bytes);
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->metadata["user"], "meta");
    EXPECT_EQ(file->metadata["avro.codec"], codec);
    ASSERT_EQ(file->records.size(), records.size());
    for (int i : {0, 1, 299, 300, 999}) {
      const auto& r = file->records[i];
      EXPECT_EQ(r.Get("b")->boolean, i % 3 == 0);
      EXPECT_EQ(r.Get("i")->integer, i - 500);
      EXPECT_DOUBLE_EQ(r.Get("d")->real, i / 4.0);
      EXPECT_FLOAT_EQ(static_cast<float>(r.Get("f")->real), 1.5f);
      EXPECT_EQ(r.Get("by")->bytes.size(), static_cast<std::size_t>(i % 7));
      EXPECT_EQ(r.Get("fx")->bytes, "abcd");
      EXPECT_EQ(r.Get("e")->bytes, i % 2 ? "GREEN" : "RED");
      ASSERT_EQ(r.Get("arr")->items.size(), 2u);
      EXPECT_EQ(r.Get("arr")->items[1].integer, -i);
      EXPECT_EQ(r.Get("m")->fields[0].first, "k" + std::to_string(i));
      EXPECT_EQ(r.Get("again")->is_null(), i % 2 == 0);
    }
  }
  EXPECT_FALSE(avro::WriteContainer(schema, records, {}, "snappy"));
  EXPECT_FALSE(avro::ParseSchema(R"({"type":"record","name":"r","fields":[{"name":"a","type":"nope"}]})"));
}

TEST(IcebergTest, TransformTermsAndDates) {
  auto t = iceberg::ParseTransformTerm("bucket(16, id)");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->transform, "bucket");
  EXPECT_EQ(t->column, "id");
  EXPECT_EQ(t->param, 16);
  t = iceberg::ParseTransformTerm("days(ts)");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->transform, "day");
  t = iceberg::ParseTransformTerm("Category");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->transform, "identity");
  EXPECT_EQ(t->column, "category");
  EXPECT_FALSE(iceberg::ParseTransformTerm("frobnicate(x)"));
  EXPECT_EQ(*iceberg::ParseDate("1970-01-01"), 0);
  EXPECT_EQ(*iceberg::ParseDate("2024-05-01"), 19844);
  EXPECT_EQ(*iceberg::ParseDate("1969-12-31"), -1);
  EXPECT_EQ(iceberg::FormatDate(19844), "2024-05-01");
  EXPECT_EQ(iceberg::FormatDate(-1), "1969-12-31");
}

TEST(IcebergTest, MetadataManifestAndListRoundTrip) {
  auto md =
      iceberg::NewMetadata("s3://b/t", "uuid-1", {{"id", "bigint"}, {"name", "string"}, {"ts", "timestamp"}},
                           {{"identity", "name", 0}, {"day", "ts", 0}}, {{"k", "v"}}, 1000);
  ASSERT_TRUE(md) << md.error().message;
  EXPECT_EQ((*md)["format-version"].as_int64(), 2);
  EXPECT_EQ((*md)["last-column-id"].as_int64(), 3);
  EXPECT_EQ((*md)["last-partition-id"].as_int64(), 1001);
  EXPECT_FALSE(iceberg::CurrentSnapshotId(*md));
  auto spec = iceberg::DefaultSpec(*md);
  ASSERT_TRUE(spec);
  ASSERT_EQ(spec->size(), 2u);
  EXPECT_EQ((*spec)[1].transform, "day");
  EXPECT_EQ((*spec)[1].name, "ts_day");
  EXPECT_EQ((*spec)[1].source_id, 3);

  iceberg::DataFile f;
  f.path = "s3://b/t/data/name=a/ts_day=2024-05-01/x.parquet";
  f.partition = {{"name", avro::Value::String("a")}, {"ts_day", avro::Value::Int(19844)}};
  f.record_count = 7;
  f.size = 1234;
  auto manifest = iceberg::WriteManifest(*md, 99, {f});
  ASSERT_TRUE(manifest) << manifest.error().message;
  iceberg::ManifestFile listed;
  listed.path = "s3://b/t/metadata/m0.avro";
  listed.sequence_number = 5;
  listed.added_snapshot_id = 99;
  auto entries = iceberg::ReadManifest(*manifest, listed);
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].status, 1);
  EXPECT_EQ((*entries)[0].snapshot_id, 99);
  EXPECT_EQ((*entries)[0].sequence_number, 5);  // inherited from the manifest list
  EXPECT_EQ((*entries)[0].file.path, f.path);
  EXPECT_EQ((*entries)[0].file.record_count, 7);
  EXPECT_EQ((*entries)[0].file.partition[1].second.integer, 19844);
  auto file = avro::ReadContainer(*manifest);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->metadata["format-version"], "2");
  EXPECT_EQ(file->metadata["content"], "data");

  listed.length = static_cast<std::int64_t>(manifest->size());
  listed.added_files = 1;
  listed.added_rows = 7;
  auto list = iceberg::WriteManifestList(99, std::nullopt, 1, {listed});
  ASSERT_TRUE(list);
  auto back = iceberg::ReadManifestList(*list);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].path, listed.path);
  EXPECT_EQ((*back)[0].added_rows, 7);

  auto next = iceberg::WithAppend(*md, 99, "s3://b/t/metadata/snap.avro", {f}, 2000,
                                  "s3://b/t/metadata/00000-a.metadata.json");
  EXPECT_EQ(*iceberg::CurrentSnapshotId(next), 99);
  EXPECT_EQ(next["last-sequence-number"].as_int64(), 1);
  EXPECT_EQ(*iceberg::SnapshotAsOf(next, 2000), 99);
  EXPECT_FALSE(iceberg::SnapshotAsOf(next, 1999));
  EXPECT_EQ(
      next["snapshots"].as_array()[0].as_object().at("summary").as_object().at("total-records").as_string(),
      "7");
  auto reparsed = iceberg::ParseMetadata(iceberg::Serialize(next));
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(*iceberg::CurrentSnapshotId(*reparsed), 99);

  // bucket[N] of a type the spec does not hash is refused at creation, not written wrong.
  auto bucketed = iceberg::NewMetadata("s3://b/t", "u", {{"id", "bigint"}}, {{"bucket", "id", 4}}, {}, 0);
  ASSERT_TRUE(bucketed) << bucketed.error().message;
  auto bucket_spec = iceberg::DefaultSpec(*bucketed);
  ASSERT_TRUE(bucket_spec);
  ASSERT_EQ(bucket_spec->size(), 1u);
  EXPECT_EQ((*bucket_spec)[0].transform, "bucket[4]");
  EXPECT_EQ((*bucket_spec)[0].name, "id_bucket");
  auto bad = iceberg::NewMetadata("s3://b/t", "u", {{"x", "double"}}, {{"bucket", "x", 4}}, {}, 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "INVALID_TABLE_PROPERTY");
  EXPECT_FALSE(iceberg::NewMetadata("s3://b/t", "u", {{"id", "tinyint"}}, {}, {}, 0));
}

// Delete manifests and rewrites: position / equality delete files, EXISTING and DELETED entries with their
// own sequence numbers, and the delete counts of a row-level commit's summary.
TEST(IcebergTest, DeleteManifestsAndRowLevelSummary) {
  auto md = iceberg::NewMetadata("s3://b/t", "u", {{"id", "bigint"}, {"name", "string"}}, {}, {}, 1000);
  ASSERT_TRUE(md) << md.error().message;
  iceberg::DataFile data;
  data.path = "s3://b/t/data/a.parquet";
  data.record_count = 10;
  data.size = 100;
  auto appended = iceberg::WithAppend(*md, 1, "s3://b/t/metadata/snap-1.avro", {data}, 2000, "");

  iceberg::DataFile positions;
  positions.content = 1;
  positions.path = "s3://b/t/data/a-deletes.parquet";
  positions.record_count = 3;
  positions.size = 50;
  iceberg::DataFile equality;
  equality.content = 2;
  equality.path = "s3://b/t/data/eq.parquet";
  equality.record_count = 2;
  equality.size = 40;
  equality.equality_ids = {1, 2};
  auto manifest = iceberg::WriteManifest(appended, 2, {positions, equality}, 1);
  ASSERT_TRUE(manifest) << manifest.error().message;
  auto file = avro::ReadContainer(*manifest);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->metadata["content"], "deletes");
  iceberg::ManifestFile listed;
  listed.content = 1;
  listed.sequence_number = 2;
  listed.added_snapshot_id = 2;
  auto entries = iceberg::ReadManifest(*manifest, listed);
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].file.content, 1);
  EXPECT_TRUE((*entries)[0].file.equality_ids.empty());
  EXPECT_EQ((*entries)[1].file.content, 2);
  EXPECT_EQ((*entries)[1].file.equality_ids, (std::vector<int>{1, 2}));
  EXPECT_EQ((*entries)[1].sequence_number, 2);

  auto next = iceberg::WithCommit(appended, 2, "s3://b/t/metadata/snap-2.avro", {}, {positions, equality},
                                  "delete", 3000, "s3://b/t/metadata/00001-x.metadata.json");
  const auto& summary = next["snapshots"].as_array()[1].as_object().at("summary").as_object();
  EXPECT_EQ(summary.at("operation").as_string(), "delete");
  EXPECT_EQ(summary.at("added-delete-files").as_string(), "2");
  EXPECT_EQ(summary.at("added-position-deletes").as_string(), "3");
  EXPECT_EQ(summary.at("added-equality-deletes").as_string(), "2");
  EXPECT_EQ(summary.at("total-records").as_string(), "10");
  EXPECT_EQ(summary.at("total-data-files").as_string(), "1");
  EXPECT_EQ(summary.at("total-delete-files").as_string(), "2");
  EXPECT_EQ(summary.at("total-position-deletes").as_string(), "3");
  EXPECT_FALSE(summary.contains("added-data-files"));
  EXPECT_EQ(next["last-sequence-number"].as_int64(), 2);

  // A rewrite keeps an EXISTING entry's own sequence number and marks a removed one DELETED.
  iceberg::ManifestEntry kept;
  kept.status = 0;
  kept.snapshot_id = 1;
  kept.sequence_number = 1;
  kept.file_sequence_number = 1;
  kept.file = data;
  iceberg::ManifestEntry removed = kept;
  removed.status = 2;
  removed.snapshot_id = 3;
  removed.file.path = "s3://b/t/data/b.parquet";
  auto rewritten = iceberg::WriteManifestEntries(next, {kept, removed}, 0);
  ASSERT_TRUE(rewritten) << rewritten.error().message;
  listed.content = 0;
  listed.sequence_number = 3;
  listed.added_snapshot_id = 3;
  auto back = iceberg::ReadManifest(*rewritten, listed);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].status, 0);
  EXPECT_EQ((*back)[0].sequence_number, 1);  // its own, not the manifest's 3
  EXPECT_EQ((*back)[0].snapshot_id, 1);
  EXPECT_EQ((*back)[1].status, 2);
  EXPECT_EQ((*back)[1].snapshot_id, 3);
}

TEST(IcebergTest, TimeTravelRewrite) {
  auto r = RewriteTimeTravel("SELECT * FROM db.t FOR VERSION AS OF 123 WHERE x = 'FOR VERSION AS OF 1'", 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "SELECT * FROM db.\"t$cenote_version_123\" AS \"t\" WHERE x = 'FOR VERSION AS OF 1'");
  r = RewriteTimeTravel("SELECT * FROM \"T\" FOR TIMESTAMP AS OF TIMESTAMP '1970-01-01 00:00:01 UTC' o", 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "SELECT * FROM \"T$cenote_timestamp_1000\" o");
  r = RewriteTimeTravel("select * from t for timestamp as of current_timestamp - interval '1' day", 86400000);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "select * from \"t$cenote_timestamp_0\" AS \"t\"");
  EXPECT_EQ(*RewriteTimeTravel("SELECT 1 -- FOR VERSION AS OF 1", 0), "SELECT 1 -- FOR VERSION AS OF 1");
  EXPECT_FALSE(RewriteTimeTravel("SELECT * FROM t FOR VERSION AS OF (SELECT 1)", 0));
}

// Spec "Appendix B: 32-bit Hash Requirements": every test value the table lists.
TEST(IcebergTest, BucketHashSpecVectors) {
  EXPECT_EQ(IcebergHashLong(34), 2017239379);                                     // int 34
  EXPECT_EQ(IcebergHashLong(34LL), 2017239379);                                   // long 34L
  EXPECT_EQ(IcebergHashUnscaled(1420), -500754589);                               // decimal(9,2) 14.20
  EXPECT_EQ(IcebergHashLong(*iceberg::ParseDate("2017-11-16")), -653330422);      // date 2017-11-16
  EXPECT_EQ(IcebergHashLong((22 * 3600 + 31 * 60 + 8) * 1000000LL), -662762989);  // time 22:31:08
  const std::int64_t ts = (*iceberg::ParseDate("2017-11-16") * 86400 + 22 * 3600 + 31 * 60 + 8) * 1000000LL;
  EXPECT_EQ(IcebergHashLong(ts), -2047944441);  // timestamp 2017-11-16T22:31:08
  // timestamptz 2017-11-16T14:31:08-08:00 is the same instant.
  EXPECT_EQ(IcebergHashLong(ts), -2047944441);
  EXPECT_EQ(IcebergHashLong(ts + 1), -1207196810);     // timestamp 2017-11-16T22:31:08.000001
  EXPECT_EQ(IcebergHashBytes("iceberg"), 1210000089);  // string
  const char uuid[] = "\xf7\x9c\x3e\x09\x67\x7c\x4b\xbd\xa4\x79\x3f\x34\x9c\xb7\x85\xe7";
  EXPECT_EQ(IcebergHashBytes(std::string_view(uuid, 16)), 1488055340);  // uuid f79c3e09-677c-4bbd-...
  EXPECT_EQ(IcebergHashBytes(std::string_view("\x00\x01\x02\x03", 4)), -188683207);  // fixed / binary
  // The bucket of a hash: (hash & Integer.MAX_VALUE) % N; negative hashes lose the sign bit.
  EXPECT_EQ(IcebergBucket(IcebergHashLong(34), 16), 3);
  EXPECT_EQ(IcebergBucket(-188683207, 16), static_cast<std::int32_t>((-188683207 & 0x7fffffff) % 16));
  // Unscaled decimals use the minimal two's-complement bytes: 0, -1, 127, 128, -128, -129.
  EXPECT_EQ(IcebergHashUnscaled(0), Murmur3_32(std::string_view("\x00", 1)));
  EXPECT_EQ(IcebergHashUnscaled(-1), Murmur3_32("\xff"));
  EXPECT_EQ(IcebergHashUnscaled(127), Murmur3_32("\x7f"));
  EXPECT_EQ(IcebergHashUnscaled(128), Murmur3_32(std::string_view("\x00\x80", 2)));
  EXPECT_EQ(IcebergHashUnscaled(-128), Murmur3_32("\x80"));
  EXPECT_EQ(IcebergHashUnscaled(-129), Murmur3_32("\xff\x7f"));
  // MurmurHash3_x86_32's own reference values (seed 0).
  EXPECT_EQ(Murmur3_32(""), 0);
  EXPECT_EQ(static_cast<std::uint32_t>(Murmur3_32(std::string_view("\xff\xff\xff\xff", 4))), 0x76293B50u);
  EXPECT_EQ(static_cast<std::uint32_t>(Murmur3_32(std::string_view("\x21\x43\x65\x87", 4))), 0xF55B516Bu);
}

TEST(IcebergTest, BucketAndTransformSql) {
  iceberg::PartitionField f{1, 1000, "id_bucket", "bucket[16]"};
  auto sql = iceberg::TransformSql(f, {1, "id", "long"}, "x");
  ASSERT_TRUE(sql);
  EXPECT_EQ(*sql, "__cenote_iceberg_bucket(CAST(x AS BIGINT), 16)");
  sql = iceberg::TransformSql(f, {1, "d", "date"}, "x");
  ASSERT_TRUE(sql);
  EXPECT_EQ(*sql, "__cenote_iceberg_bucket(date_diff('day', DATE '1970-01-01', x), 16)");
  sql = iceberg::TransformSql(f, {1, "a", "decimal(9,2)"}, "x");
  ASSERT_TRUE(sql);
  EXPECT_EQ(*sql, "__cenote_iceberg_bucket_unscaled(replace(CAST(x AS VARCHAR), '.', ''), 16)");
  auto refused = iceberg::TransformSql(f, {1, "b", "boolean"}, "x");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "INVALID_TABLE_PROPERTY");
}

// Field ids across schemas: a rename or a name dropped and added again means reading by field id; the
// name mapping property maps names of files without ids.
TEST(IcebergTest, RenamesAndNameMapping) {
  auto md = iceberg::NewMetadata("s3://b/t", "u", {{"id", "bigint"}, {"note", "string"}}, {}, {}, 0);
  ASSERT_TRUE(md);
  EXPECT_FALSE(iceberg::ColumnsRenamed(*md));
  auto columns = *iceberg::CurrentSchema(*md);
  auto added = iceberg::WithSchema(*md, {columns[0], columns[1], {3, "n", "int", false}});
  EXPECT_FALSE(iceberg::ColumnsRenamed(added));
  auto renamed = iceberg::WithSchema(added, {columns[0], {2, "memo", "string", false}});
  EXPECT_TRUE(iceberg::ColumnsRenamed(renamed));
  auto readded = iceberg::WithSchema(added, {columns[0], {4, "note", "string", false}});
  EXPECT_TRUE(iceberg::ColumnsRenamed(readded));
  EXPECT_TRUE(iceberg::NameMapping(*md).empty());
  if (!(*md)["properties"].is_object()) (*md)["properties"] = json::object{};
  (*md)["properties"].as_object()["schema.name-mapping.default"] =
      R"([{"field-id": 1, "names": ["id", "ID"]}, {"field-id": 2, "names": ["note"]}])";
  auto mapping = iceberg::NameMapping(*md);
  EXPECT_EQ(mapping, (std::map<std::string, int>{{"id", 1}, {"note", 2}}));
}

// Appendix D's single-value serialization read back as text the engine casts, as the type may have been
// before a promotion; what cannot be written exactly is nullopt (never a wrong bound).
TEST(IcebergTest, BoundsFromTheSingleValueSerialization) {
  using iceberg::BoundText;
  EXPECT_EQ(BoundText("int", Bytes({0xfe, 0xff, 0xff, 0xff})), "-2");
  EXPECT_EQ(BoundText("long", Bytes({0x2a, 0, 0, 0, 0, 0, 0, 0})), "42");
  EXPECT_EQ(BoundText("long", Bytes({0x2a, 0, 0, 0})), "42");  // written when the column was an int
  EXPECT_EQ(BoundText("int", Bytes({0x2a, 0, 0, 0, 0, 0, 0, 0})), std::nullopt);
  EXPECT_EQ(BoundText("date", Bytes({0x0b, 0x4d, 0, 0})), "2024-01-01");  // 19723 days
  EXPECT_EQ(BoundText("date", Bytes({0xff, 0xff, 0xff, 0xff})), "1969-12-31");
  // 2024-01-01 00:00:00.000001 = 1704067200000001 us; -1 us is the last microsecond of 1969.
  std::string us(8, '\0');
  std::int64_t v = 1704067200000001;
  for (int i = 0; i < 8; ++i) us[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  EXPECT_EQ(BoundText("timestamp", us), "2024-01-01 00:00:00.000001");
  EXPECT_EQ(BoundText("timestamptz", std::string(8, '\xff')), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(BoundText("double", Bytes({0, 0, 0, 0, 0, 0, 0xf8, 0x3f})), "1.5");
  EXPECT_EQ(BoundText("double", Bytes({0, 0, 0xc0, 0x3f})), "1.5");  // a float promoted to double
  EXPECT_EQ(BoundText("double", Bytes({0, 0, 0, 0, 0, 0, 0xf8, 0x7f})), std::nullopt);  // NaN
  EXPECT_EQ(BoundText("float", Bytes({0, 0, 0x80, 0x7f})), "Infinity");
  EXPECT_EQ(BoundText("string", "abc"), "abc");
  EXPECT_EQ(BoundText("string", std::string("a\0b", 3)), std::nullopt);
  EXPECT_EQ(BoundText("decimal(9,2)", Bytes({0x05, 0x8c})), "14.20");  // unscaled 1420
  EXPECT_EQ(BoundText("decimal(9,2)", Bytes({0xff, 0x38})), "-2.00");  // unscaled -200
  EXPECT_EQ(BoundText("decimal(9,3)", Bytes({0x07})), "0.007");
  EXPECT_EQ(BoundText("decimal(5,0)", Bytes({0x80})), "-128");
  EXPECT_EQ(BoundText("boolean", Bytes({1})), "true");
  EXPECT_EQ(BoundText("binary", "ab"), std::nullopt);
  EXPECT_EQ(BoundText("uuid", std::string(16, 'x')), std::nullopt);
}

// A manifest's column metrics (int-keyed maps as arrays of key/value records) are read by field id.
TEST(IcebergTest, ManifestMetricsAreRead) {
  auto kv = [](const char* value_type, int key_id, int value_id) {
    return json::array{
        "null",
        json::object{
            {"type", "array"},
            {"items",
             json::object{
                 {"type", "record"},
                 {"name", "k" + std::to_string(key_id)},
                 {"fields", json::array{
                                json::object{{"name", "key"}, {"type", "int"}, {"field-id", key_id}},
                                json::object{{"name", "value"}, {"type", value_type}, {"field-id", value_id}},
                            }}}}}};
  };
  json::object data_file{
      {"type", "record"},
      {"name", "r2"},
      {"fields", json::array{json::object{{"name", "file_path"}, {"type", "string"}},
                             json::object{{"name", "record_count"}, {"type", "long"}},
                             json::object{{"name", "value_counts"}, {"type", kv("long", 119, 120)}},
                             json::object{{"name", "null_value_counts"}, {"type", kv("long", 121, 122)}},
                             json::object{{"name", "nan_value_counts"}, {"type", kv("long", 138, 139)}},
                             json::object{{"name", "lower_bounds"}, {"type", kv("bytes", 126, 127)}},
                             json::object{{"name", "upper_bounds"}, {"type", kv("bytes", 129, 130)}}}}};
  json::object schema{{"type", "record"},
                      {"name", "manifest_entry"},
                      {"fields", json::array{json::object{{"name", "status"}, {"type", "int"}},
                                             json::object{{"name", "data_file"}, {"type", data_file}}}}};
  auto pair = [](int k, avro::Value v) {
    return avro::Value::Record({{"key", avro::Value::Int(k)}, {"value", std::move(v)}});
  };
  avro::Value df = avro::Value::Record({
      {"file_path", avro::Value::String("s3://b/f.parquet")},
      {"record_count", avro::Value::Long(3)},
      {"value_counts", avro::Value::Array({pair(1, avro::Value::Long(3)), pair(2, avro::Value::Long(3))})},
      {"null_value_counts",
       avro::Value::Array({pair(1, avro::Value::Long(0)), pair(2, avro::Value::Long(3))})},
      {"nan_value_counts", avro::Value::Null()},
      {"lower_bounds", avro::Value::Array({pair(1, avro::Value::Bytes(Bytes({1, 0, 0, 0})))})},
      {"upper_bounds", avro::Value::Array({pair(1, avro::Value::Bytes(Bytes({9, 0, 0, 0})))})},
  });
  auto bytes =
      avro::WriteContainer(json::serialize(schema),
                           {avro::Value::Record({{"status", avro::Value::Int(1)}, {"data_file", df}})}, {});
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto entries = iceberg::ReadManifest(*bytes, iceberg::ManifestFile{});
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  const auto& f = (*entries)[0].file;
  EXPECT_EQ(f.value_counts, (std::map<int, std::int64_t>{{1, 3}, {2, 3}}));
  EXPECT_EQ(f.null_value_counts, (std::map<int, std::int64_t>{{1, 0}, {2, 3}}));
  EXPECT_TRUE(f.nan_value_counts.empty());
  EXPECT_EQ(iceberg::BoundText("int", f.lower_bounds.at(1)), "1");
  EXPECT_EQ(iceberg::BoundText("int", f.upper_bounds.at(1)), "9");
}

// Several partition specs (partition evolution): each by id, the default one, an unknown id refused.
TEST(IcebergTest, PartitionSpecsById) {
  auto md = iceberg::NewMetadata("s3://b/t", "u", {{"id", "bigint"}, {"c", "string"}}, {{"identity", "c", 0}},
                                 {}, 0);
  ASSERT_TRUE(md);
  auto& specs = (*md)["partition-specs"].as_array();
  specs.push_back(json::object{
      {"spec-id", 1},
      {"fields",
       json::array{json::object{
           {"name", "id_bucket"}, {"transform", "bucket[4]"}, {"source-id", 1}, {"field-id", 1001}}}}});
  (*md)["default-spec-id"] = 1;
  auto all = iceberg::PartitionSpecs(*md);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, 0);
  EXPECT_EQ(all[0].second.at(0).transform, "identity");
  EXPECT_EQ(all[1].first, 1);
  EXPECT_EQ(all[1].second.at(0).field_id, 1001);
  EXPECT_EQ(iceberg::DefaultSpec(*md)->at(0).name, "id_bucket");
  EXPECT_EQ(iceberg::SpecOf(*md, 0)->at(0).name, "c");
  EXPECT_FALSE(iceberg::SpecOf(*md, 7));
}

TEST(IcebergTest, DdlParserKeepsPartitionTransforms) {
  auto s = ParseStatement(
      "CREATE TABLE t (id bigint, ts timestamp) PARTITIONED BY (id, bucket(16, id), day(ts)) LOCATION "
      "'s3://b/t' "
      "TBLPROPERTIES ('table_type'='ICEBERG')");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->partition_transforms, (std::vector<std::string>{"id", "bucket(16, id)", "day(ts)"}));
  EXPECT_TRUE(s->partition_keys.empty());
  s = ParseStatement("CREATE EXTERNAL TABLE t (id bigint) PARTITIONED BY (p string) LOCATION 's3://b/t'");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->partition_keys.size(), 1u);
  EXPECT_TRUE(s->partition_transforms.empty());
}

}  // namespace
}  // namespace cenote::athena
