#include "aws/protocol/event_stream.hpp"

#include <algorithm>
#include <cstring>

#include <cstdint>

#include "common/checksum.hpp"

namespace cenote::aws::protocol {

namespace {

void PutBE32(std::string& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::string EventStreamMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view payload) {
  std::string encoded_headers;
  for (const auto& [name, value] : headers) {
    encoded_headers.push_back(static_cast<char>(name.size()));
    encoded_headers += name;
    encoded_headers.push_back(7);  // string
    encoded_headers.push_back(static_cast<char>((value.size() >> 8) & 0xff));
    encoded_headers.push_back(static_cast<char>(value.size() & 0xff));
    encoded_headers += value;
  }
  const auto total = static_cast<std::uint32_t>(12 + encoded_headers.size() + payload.size() + 4);
  std::string out;
  out.reserve(total);
  PutBE32(out, total);
  PutBE32(out, static_cast<std::uint32_t>(encoded_headers.size()));
  PutBE32(out, Crc32(0, out.data(), 8));
  out += encoded_headers;
  out += payload;
  PutBE32(out, Crc32(0, out.data(), out.size()));
  return out;
}

Result<std::size_t> EventStreamBody::Read(char* buf, std::size_t n) {
  while (pos_ >= pending_.size()) {
    if (done_) return std::size_t{0};
    pending_.clear();
    pos_ = 0;
    Refill();
  }
  std::size_t k = std::min(n, pending_.size() - pos_);
  std::memcpy(buf, pending_.data() + pos_, k);
  pos_ += k;
  return k;
}

}  // namespace cenote::aws::protocol
