// Shared by the protocol fuzz targets: a request whose body is the fuzzer's input.
#pragma once

#include <cstring>
#include <memory>
#include <string>

#include "aws/model/model.hpp"
#include "aws/protocol/protocol.hpp"
#include "aws/protocol/validate.hpp"
#include "http/message.hpp"

namespace cenote::fuzz {

class BytesReader final : public http::BodyReader {
 public:
  BytesReader(const std::uint8_t* data, std::size_t size)
      : data_(reinterpret_cast<const char*>(data)), size_(size) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    std::size_t k = std::min(n, size_ - pos_);
    if (k > 0) std::memcpy(buf, data_ + pos_, k);
    pos_ += k;
    return k;
  }
  std::optional<std::uint64_t> Length() const override { return size_; }

 private:
  const char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Parses and validates one request (the parse stage) and, when it parses, serializes an echo of the input as
// the operation's output and an error, so that the validator, the pattern matcher and the serializers see
// hostile documents too.
inline void ParseAndSerialize(std::string_view service, std::string method, std::string target,
                              std::vector<std::pair<std::string, std::string>> headers,
                              const std::uint8_t* data, std::size_t size) {
  const auto* model = aws::model::ModelRegistry::Embedded().ByEndpointPrefix(service);
  http::HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  for (auto& [k, v] : headers) request.headers.Add(k, v);
  request.body = std::make_unique<BytesReader>(data, size);
  auto parsed = aws::protocol::ParseRequest(*model, request, 1 << 20);
  aws::RequestContext ctx;
  ctx.request_id = "FUZZ";
  ctx.headers = &request.headers;
  if (!parsed) {
    (void)aws::protocol::SerializeError(*model, nullptr, parsed.error(), ctx);
    return;
  }
  if (Status valid = aws::protocol::ValidateRequest(*model, *parsed, request.headers); !valid) {
    (void)aws::protocol::SerializeError(*model, parsed->operation, valid.error(), ctx);
  }
  aws::OperationOutput out;
  out.result = parsed->input;
  (void)aws::protocol::SerializeResponse(*model, *parsed->operation, std::move(out), ctx);
}

}  // namespace cenote::fuzz
