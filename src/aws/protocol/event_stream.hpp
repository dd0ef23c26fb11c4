// The binary event-stream framing (application/vnd.amazon.eventstream) that AWS uses for streamed
// responses: Kinesis SubscribeToShard, S3 SelectObjectContent. A response body is a sequence of messages;
// each is a prelude (total length, headers length, CRC32 of both), the headers, the payload and a CRC32
// of everything before it (all integers big-endian). Every header value here is a string (type 7), which
// is all these services send.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cenote::aws::protocol {

// One encoded message. Header names must be at most 255 bytes and values at most 65535 bytes.
std::string EventStreamMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view payload);

}  // namespace cenote::aws::protocol
