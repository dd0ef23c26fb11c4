// The binary event-stream framing (application/vnd.amazon.eventstream) that AWS uses for streamed
// responses: Kinesis SubscribeToShard, S3 SelectObjectContent. A response body is a sequence of messages;
// each is a prelude (total length, headers length, CRC32 of both), the headers, the payload and a CRC32
// of everything before it (all integers big-endian). Every header value here is a string (type 7), which
// is all these services send.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "http/message.hpp"

namespace cenote::aws::protocol {

// One encoded message. Header names must be at most 255 bytes and values at most 65535 bytes.
std::string EventStreamMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view payload);

// A streamed response body of messages made as the client reads: Refill runs whenever every queued byte has
// been read and the stream has not ended, and must Queue messages, End the stream, or both (it may block,
// waiting for what to send next). Used by one thread at a time, as every BodySource.
class EventStreamBody : public http::BodySource {
 public:
  std::optional<std::uint64_t> Size() const override { return std::nullopt; }
  Result<std::size_t> Read(char* buf, std::size_t n) final;

 protected:
  virtual void Refill() = 0;
  void Queue(std::string_view message) { pending_ += message; }
  void End() { done_ = true; }

 private:
  std::string pending_;
  std::size_t pos_ = 0;
  bool done_ = false;
};

}  // namespace cenote::aws::protocol
