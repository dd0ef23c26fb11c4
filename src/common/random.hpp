#pragma once

#include <cstddef>
#include <string>

namespace cenote {

// Bytes from the kernel's random number generator (getrandom(2)), for secrets, ids and tokens alike.
// Blocks only until the kernel's pool is first seeded at boot; if the kernel cannot give randomness at all,
// the process aborts rather than make a guessable secret or a colliding id.
void FillRandom(void* out, std::size_t n);
std::string RandomBytes(std::size_t n);
std::string RandomHex(std::size_t n);  // n random bytes as 2n lowercase hex digits
std::string NewUuidV4();               // RFC 9562 version 4, lowercase: 8-4-4-4-12 hex digits

}  // namespace cenote
