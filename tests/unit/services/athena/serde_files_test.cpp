#include "services/athena/serde_files.hpp"

#include <bzlib.h>
#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "fakes.hpp"
#include "services/athena/iceberg/avro.hpp"

namespace cenote::athena {
namespace {

using testing::TempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

constexpr const char* kSchema = R"({
  "type": "record", "name": "Row", "fields": [
    {"name": "Id", "type": "long"},
    {"name": "name", "type": ["null", "string"]},
    {"name": "score", "type": "double"},
    {"name": "ratio", "type": "float"},
    {"name": "ok", "type": "boolean"},
    {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
    {"name": "raw", "type": "bytes"},
    {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "attrs", "type": {"type": "map", "values": "int"}},
    {"name": "inner", "type": {"type": "record", "name": "Inner", "fields": [{"name": "X", "type": "int"}]}}
  ]})";

avro::Value Row(std::int64_t id, bool null_name, std::string price_bytes) {
  avro::Value name = null_name ? avro::Value::Null() : avro::Value::String("a \"quoted\" name");
  name.branch = null_name ? 0 : 1;
  avro::Value color;
  color.type = avro::Type::kEnum;
  color.integer = 1;
  avro::Value ratio;
  ratio.type = avro::Type::kFloat;
  ratio.real = 0.1f;
  avro::Value price = avro::Value::Bytes(std::move(price_bytes));
  avro::Value attrs;
  attrs.type = avro::Type::kMap;
  attrs.fields = {{"k", avro::Value::Int(7)}};
  return avro::Value::Record(
      {{"Id", avro::Value::Long(id)},
       {"name", name},
       {"score", avro::Value::Double(1.5)},
       {"ratio", ratio},
       {"ok", avro::Value::Bool(true)},
       {"color", color},
       {"raw", avro::Value::Bytes(std::string("\x00\xff", 2))},
       {"price", price},
       {"day", avro::Value::Int(19000)},
       {"at", avro::Value::Long(1700000000123)},
       {"at_us", avro::Value::Long(-1)},
       {"tags", avro::Value::Array({avro::Value::String("x"), avro::Value::String("y")})},
       {"attrs", attrs},
       {"inner", avro::Value::Record({{"X", avro::Value::Int(3)}})}});
}

constexpr const char* kFirstLine =
    R"({"id":1,"name":"a \"quoted\" name","score":1.5,"ratio":0.1,"ok":true,"color":"GREEN","raw":"AP8=",)"
    R"("price":"12.34","day":"2022-01-08","at":"2023-11-14 22:13:20.123","at_us":"1969-12-31 23:59:59.999999",)"
    R"("tags":["x","y"],"attrs":{"k":7},"inner":{"x":3}})";

// 1234 and -5 as big-endian two's complement.
const std::string kPrice1234("\x04\xd2", 2);
const std::string kPriceMinus5("\xfb", 1);

TEST(SerdeFilesTest, AvroRecordsBecomeJsonLinesAsAthenaMapsTheTypes) {
  TempDir dir;
  auto schema = avro::ParseSchema(kSchema);
  ASSERT_TRUE(schema.ok());
  for (const char* codec : {"null", "deflate"}) {
    auto bytes =
        avro::WriteContainer(kSchema, {Row(1, false, kPrice1234), Row(2, true, kPriceMinus5)}, {}, codec);
    ASSERT_TRUE(bytes.ok());
    std::string in = dir.path() + "/in.avro", out = dir.path() + "/out.json";
    WriteAll(in, *bytes);
    ASSERT_TRUE(ConvertAvroToJsonLines(in, out, "s3://b/k.avro").ok()) << codec;
    std::string text = ReadAll(out);
    std::string first = text.substr(0, text.find('\n'));
    EXPECT_EQ(first, kFirstLine) << codec;
    EXPECT_NE(text.find(R"("id":2,"name":null,)"), std::string::npos);
    EXPECT_NE(text.find(R"("price":"-0.05")"), std::string::npos);
  }
}

// A container file written by hand with `codec` and `compress` (the spec's layout, one block).
std::string Container(const std::string& codec,
                      const std::function<std::string(const std::string&)>& compress) {
  auto schema = avro::ParseSchema(kSchema);
  std::string block;
  EXPECT_TRUE(avro::Encode(**schema, Row(1, false, kPrice1234), block).ok());
  std::string out("Obj\x01", 4);
  avro::WriteLong(2, out);
  auto put = [&](const std::string& s) {
    avro::WriteLong(static_cast<std::int64_t>(s.size()), out);
    out += s;
  };
  put("avro.schema");
  put(kSchema);
  put("avro.codec");
  put(codec);
  avro::WriteLong(0, out);
  std::string sync(16, 'S');
  out += sync;
  std::string compressed = compress(block);
  avro::WriteLong(1, out);
  avro::WriteLong(static_cast<std::int64_t>(compressed.size()), out);
  out += compressed;
  out += sync;
  return out;
}

TEST(SerdeFilesTest, AvroCodecs) {
  TempDir dir;
  auto snappy_block = [](const std::string& raw) {
    std::string out;
    snappy::Compress(raw.data(), raw.size(), &out);
    std::uint32_t crc =
        static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(raw.data()), raw.size()));
    for (int i = 3; i >= 0; --i) out += static_cast<char>(crc >> (8 * i));
    return out;
  };
  auto zstd_block = [](const std::string& raw) {
    std::string out(ZSTD_compressBound(raw.size()), '\0');
    out.resize(ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3));
    return out;
  };
  auto bzip2_block = [](const std::string& raw) {
    std::string out(raw.size() * 2 + 600, '\0');
    unsigned n = static_cast<unsigned>(out.size());
    EXPECT_EQ(BZ2_bzBuffToBuffCompress(out.data(), &n, const_cast<char*>(raw.data()),
                                       static_cast<unsigned>(raw.size()), 9, 0, 0),
              BZ_OK);
    out.resize(n);
    return out;
  };
  for (const auto& [codec, fn] :
       std::vector<std::pair<std::string, std::function<std::string(const std::string&)>>>{
           {"snappy", snappy_block}, {"zstandard", zstd_block}, {"bzip2", bzip2_block}}) {
    std::string in = dir.path() + "/" + codec + ".avro", out = dir.path() + "/" + codec + ".json";
    WriteAll(in, Container(codec, fn));
    Status s = ConvertAvroToJsonLines(in, out, "s3://b/k.avro");
    ASSERT_TRUE(s.ok()) << codec << ": " << s.error().message;
    EXPECT_EQ(ReadAll(out), std::string(kFirstLine) + "\n") << codec;
  }
  // A corrupted snappy block fails its checksum; an unknown codec is named.
  std::string bad = Container("snappy", snappy_block);
  bad[bad.size() - 17] ^= 0x55;  // the block's CRC
  WriteAll(dir.path() + "/bad.avro", bad);
  Status s = ConvertAvroToJsonLines(dir.path() + "/bad.avro", dir.path() + "/bad.json", "s3://b/bad.avro");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "HIVE_BAD_DATA");
  EXPECT_NE(s.error().message.find("s3://b/bad.avro"), std::string::npos);
  WriteAll(dir.path() + "/xz.avro", Container("xz", [](const std::string& raw) { return raw; }));
  s = ConvertAvroToJsonLines(dir.path() + "/xz.avro", dir.path() + "/xz.json", "s3://b/xz.avro");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "NOT_SUPPORTED");
  // Not Avro at all.
  WriteAll(dir.path() + "/text.avro", "id,name\n");
  s = ConvertAvroToJsonLines(dir.path() + "/text.avro", dir.path() + "/text.json", "s3://b/text.avro");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "HIVE_BAD_DATA");
}

TEST(SerdeFilesTest, AvroReaderSchemaDefaults) {
  TempDir dir;
  const char* writer = R"({"type":"record","name":"R","fields":[{"name":"id","type":"long"}]})";
  const char* reader = R"({"type":"record","name":"R","fields":[{"name":"id","type":"long"},
      {"name":"Region","type":"string","default":"eu"},{"name":"n","type":["int","null"],"default":7},
      {"name":"d","type":{"type":"int","logicalType":"date"},"default":1},
      {"name":"note","type":["null","string"],"default":null}]})";
  auto bytes =
      avro::WriteContainer(writer, {avro::Value::Record({{"id", avro::Value::Long(1)}})}, {}, "null");
  ASSERT_TRUE(bytes.ok());
  WriteAll(dir.path() + "/r.avro", *bytes);
  ASSERT_TRUE(
      ConvertAvroToJsonLines(dir.path() + "/r.avro", dir.path() + "/r.json", "s3://b/r.avro", reader).ok());
  // Plain defaults fill the missing fields; logical types and null defaults read as NULL (absent).
  EXPECT_EQ(ReadAll(dir.path() + "/r.json"), "{\"id\":1,\"region\":\"eu\",\"n\":7}\n");
  ASSERT_TRUE(
      ConvertAvroToJsonLines(dir.path() + "/r.avro", dir.path() + "/w.json", "s3://b/r.avro", "").ok());
  EXPECT_EQ(ReadAll(dir.path() + "/w.json"), "{\"id\":1}\n");
}

TEST(SerdeFilesTest, AvroUnionOfSeveralTypesIsNotSupported) {
  TempDir dir;
  const char* schema =
      R"({"type":"record","name":"R","fields":[{"name":"v","type":["null","int","string"]}]})";
  avro::Value v = avro::Value::Int(1);
  v.branch = 1;
  auto bytes = avro::WriteContainer(schema, {avro::Value::Record({{"v", v}})}, {}, "null");
  ASSERT_TRUE(bytes.ok());
  WriteAll(dir.path() + "/u.avro", *bytes);
  Status s = ConvertAvroToJsonLines(dir.path() + "/u.avro", dir.path() + "/u.json", "s3://b/u.avro");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "NOT_SUPPORTED");
}

TEST(SerdeFilesTest, TextCodecsByExtension) {
  EXPECT_EQ(TextCodecOfKey("a/b.csv.GZ"), "gzip");
  EXPECT_EQ(TextCodecOfKey("a/b.zst"), "zstd");
  EXPECT_EQ(TextCodecOfKey("a/b.bz2"), "bzip2");
  EXPECT_EQ(TextCodecOfKey("a/b.snappy"), "snappy");
  EXPECT_EQ(TextCodecOfKey("a/b.lz4"), "lz4");
  EXPECT_EQ(TextCodecOfKey("a/b.deflate"), "deflate");
  EXPECT_EQ(TextCodecOfKey("a/b.lzo"), "lzo");
  EXPECT_EQ(TextCodecOfKey("a/b.csv"), "none");
  EXPECT_TRUE(NeedsDecompression("bzip2"));
  EXPECT_FALSE(NeedsDecompression("gzip"));
  EXPECT_FALSE(NeedsDecompression("lzo"));
}

std::string BigEndian(std::uint32_t v) {
  std::string out;
  for (int i = 3; i >= 0; --i) out += static_cast<char>(v >> (8 * i));
  return out;
}

TEST(SerdeFilesTest, DecompressesText) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + ",row " + std::to_string(i % 7) + "\n";
  auto check = [&](const std::string& codec, const std::string& compressed) {
    std::string in = dir.path() + "/in." + codec, out = dir.path() + "/out." + codec;
    WriteAll(in, compressed);
    Status s = DecompressText(in, codec, out, "s3://b/k");
    ASSERT_TRUE(s.ok()) << codec << ": " << s.error().message;
    EXPECT_EQ(ReadAll(out), text) << codec;
  };
  {  // bzip2, as two concatenated streams (pbzip2)
    std::string all;
    for (const std::string& half : {text.substr(0, 1000), text.substr(1000)}) {
      std::string out(half.size() * 2 + 600, '\0');
      unsigned n = static_cast<unsigned>(out.size());
      ASSERT_EQ(BZ2_bzBuffToBuffCompress(out.data(), &n, const_cast<char*>(half.data()),
                                         static_cast<unsigned>(half.size()), 9, 0, 0),
                BZ_OK);
      all.append(out.data(), n);
    }
    check("bzip2", all);
  }
  {  // Hadoop's snappy: blocks of [length][chunk length][chunk]
    std::string framed;
    for (const std::string& part : {text.substr(0, 4000), text.substr(4000)}) {
      std::string c;
      snappy::Compress(part.data(), part.size(), &c);
      framed += BigEndian(static_cast<std::uint32_t>(part.size())) +
                BigEndian(static_cast<std::uint32_t>(c.size())) + c;
    }
    check("snappy", framed);
  }
  {  // the snappy framing format
    std::string c;
    snappy::Compress(text.data(), text.size(), &c);
    std::string framed("\xff\x06\x00\x00sNaPpY", 10);
    std::size_t len = c.size() + 4;
    framed += '\x00';
    framed += static_cast<char>(len & 0xff);
    framed += static_cast<char>((len >> 8) & 0xff);
    framed += static_cast<char>((len >> 16) & 0xff);
    framed += std::string(4, '\0') + c;  // checksum (not verified)
    check("snappy", framed);
  }
  {  // zlib (Hadoop's DefaultCodec, .deflate)
    uLongf n = compressBound(text.size());
    std::string out(n, '\0');
    ASSERT_EQ(compress(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(text.data()),
                       text.size()),
              Z_OK);
    out.resize(n);
    check("deflate", out);
  }
  {  // Hadoop's LZ4: one block of two chunks, literals and a back reference that overlaps itself
    std::string want = "abcabcabcabcabcabc\nhello\n";
    // Chunk 1: literals "abc", then a match of length 15 at offset 3 -> 18 bytes, then literal "\n".
    std::string chunk1;
    chunk1 += static_cast<char>((3 << 4) | (15 - 4));
    chunk1 += "abc";
    chunk1 += '\x03';
    chunk1 += '\x00';
    chunk1 += static_cast<char>(1 << 4);
    chunk1 += "\n";
    std::string chunk2;
    chunk2 += static_cast<char>(6 << 4);
    chunk2 += "hello\n";
    std::string framed = BigEndian(static_cast<std::uint32_t>(want.size())) +
                         BigEndian(static_cast<std::uint32_t>(chunk1.size())) + chunk1 +
                         BigEndian(static_cast<std::uint32_t>(chunk2.size())) + chunk2;
    text = want;
    check("lz4", framed);
  }
  // Corrupt input is HIVE_BAD_DATA naming the object.
  WriteAll(dir.path() + "/bad.bz2", "BZh9 not really");
  Status s = DecompressText(dir.path() + "/bad.bz2", "bzip2", dir.path() + "/bad.out", "s3://b/bad.bz2");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "HIVE_BAD_DATA");
  EXPECT_NE(s.error().message.find("s3://b/bad.bz2"), std::string::npos);
}

}  // namespace
}  // namespace cenote::athena
