#include "common/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "common/encoding.hpp"

namespace cenote {

void FillRandom(void* out, std::size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    const ssize_t got = ::getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::perror("getrandom");
      std::abort();
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
}

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  FillRandom(out.data(), n);
  return out;
}

std::string RandomHex(std::size_t n) { return HexEncode(RandomBytes(n)); }

std::string NewUuidV4() {
  std::string bytes = RandomBytes(16);
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);  // variant 10
  const std::string hex = HexEncode(bytes);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

}  // namespace cenote
