// CompressionFormat of delivered objects. GZIP through zlib (one gzip member per object, as AWS writes).
#include <snappy.h>
#include <zlib.h>

#include <string>

#include "common/checksum.hpp"
#include "common/encoding.hpp"
#include "services/firehose/internal.hpp"

namespace cenote::firehose {

namespace {

void Le16(std::string& out, std::uint32_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
}
void Le32(std::string& out, std::uint32_t v) {
  Le16(out, v & 0xffff);
  Le16(out, v >> 16);
}

}  // namespace

// windowBits 15 + 16: a gzip header and trailer instead of zlib's.

Result<std::string> Zip(std::string_view data, std::string_view entry_name) {
  CENOTE_ASSIGN_OR_RETURN(std::string deflated, Deflate(data, -15));  // raw deflate inside the ZIP container
  const std::uint32_t crc = static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
  const auto csize = static_cast<std::uint32_t>(deflated.size());
  const auto usize = static_cast<std::uint32_t>(data.size());
  const auto nlen = static_cast<std::uint32_t>(entry_name.size());
  constexpr std::uint32_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01
  std::string out;
  // Local file header.
  Le32(out, 0x04034b50);
  Le16(out, 20);
  Le16(out, 0);
  Le16(out, 8);
  Le16(out, 0);
  Le16(out, kDosDate);
  Le32(out, crc);
  Le32(out, csize);
  Le32(out, usize);
  Le16(out, nlen);
  Le16(out, 0);
  out += entry_name;
  out += deflated;
  const auto cd_offset = static_cast<std::uint32_t>(out.size());
  // Central directory.
  Le32(out, 0x02014b50);
  Le16(out, 20);
  Le16(out, 20);
  Le16(out, 0);
  Le16(out, 8);
  Le16(out, 0);
  Le16(out, kDosDate);
  Le32(out, crc);
  Le32(out, csize);
  Le32(out, usize);
  Le16(out, nlen);
  Le16(out, 0);
  Le16(out, 0);
  Le16(out, 0);
  Le16(out, 0);
  Le32(out, 0);
  Le32(out, 0);
  out += entry_name;
  const auto cd_size = static_cast<std::uint32_t>(out.size()) - cd_offset;
  // End of central directory.
  Le32(out, 0x06054b50);
  Le16(out, 0);
  Le16(out, 0);
  Le16(out, 1);
  Le16(out, 1);
  Le32(out, cd_size);
  Le32(out, cd_offset);
  Le16(out, 0);
  return out;
}

std::string SnappyFramed(std::string_view data) {
  // https://github.com/google/snappy/blob/main/framing_format.txt: stream identifier, then chunks of at most
  // 64 KiB of input, each with the masked CRC-32C of its uncompressed bytes.
  constexpr std::size_t kChunk = 65536;
  std::string out("\xff\x06\x00\x00sNaPpY", 10);
  std::string compressed;
  for (std::size_t at = 0; at < data.size(); at += kChunk) {
    std::string_view chunk = data.substr(at, kChunk);
    snappy::Compress(chunk.data(), chunk.size(), &compressed);
    std::uint32_t crc = Crc32c(0, chunk.data(), chunk.size());
    std::uint32_t masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    bool raw = compressed.size() >= chunk.size();  // incompressible: an uncompressed chunk (type 0x01)
    std::size_t len = 4 + (raw ? chunk.size() : compressed.size());
    out += static_cast<char>(raw ? 0x01 : 0x00);
    out += static_cast<char>(len & 0xff);
    out += static_cast<char>((len >> 8) & 0xff);
    out += static_cast<char>((len >> 16) & 0xff);
    Le32(out, masked);
    out.append(raw ? chunk : std::string_view(compressed));
  }
  return out;
}

std::string HadoopSnappy(std::string_view data) {
  // Hadoop's BlockCompressorStream: per block, big-endian uncompressed length, then big-endian compressed
  // length and the raw Snappy bytes (one compressed chunk per block; 256 KiB blocks as Hadoop's default).
  constexpr std::size_t kBlock = 256 * 1024;
  auto be32 = [](std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
  };
  std::string out;
  std::string compressed;
  for (std::size_t at = 0; at < data.size(); at += kBlock) {
    std::string_view block = data.substr(at, kBlock);
    snappy::Compress(block.data(), block.size(), &compressed);
    be32(out, static_cast<std::uint32_t>(block.size()));
    be32(out, static_cast<std::uint32_t>(compressed.size()));
    out += compressed;
  }
  return out;
}

std::string_view CompressionExtension(std::string_view format) {
  if (format == "GZIP") return ".gz";
  if (format == "ZIP") return ".zip";
  if (format == "Snappy" || format == "HADOOP_SNAPPY") return ".snappy";
  return "";
}

}  // namespace cenote::firehose
