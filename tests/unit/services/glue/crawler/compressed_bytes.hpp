// gzip and zstd frames of some bytes, as compressed objects in a lake hold them.
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <string>

namespace cenote::glue::crawler::testing {

// A gzip member (with the gzip header, as `gzip` writes it).
inline std::string Gzip(const std::string& data) {
  std::string out(compressBound(data.size()) + 64, '\0');
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// One zstd frame at level 3.
inline std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

}  // namespace cenote::glue::crawler::testing
