// Fuzzes the HTTP/1.1 request framing (src/http/http1_codec): a stream of pipelined requests is walked as
// the server walks a connection (skip empty lines, find the head, parse it, decode its body, repeat), once
// with every byte available at once and once delivered in pieces, with reads of another size. Beyond "no
// crash, no UB", the framing must not depend on how the network split the stream: both walks must serve
// the same requests with the same bodies, trailers and errors, and stop at the same byte.
//
// Input: two control bytes, then the stream. control[0]: piece sizes of the second walk and read size;
// control[1]: the head and line limits (small, so that the limit paths are reached).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/http1_codec.hpp"

namespace {

using namespace cenote;
using namespace cenote::http;

struct Limits {
  std::size_t max_head;
  std::size_t max_line;
};

// Everything a walk observed, as text, for comparison between the two walks.
std::string Walk(const std::string& wire, std::vector<std::size_t> pieces, std::size_t read_size,
                 const Limits& limits) {
  std::string log;
  MemoryInput in(wire, std::move(pieces));
  std::vector<char> buf(read_size);
  for (int request = 0; request < 64; ++request) {
    // Find the next head, resuming the terminator search where the last piece ended.
    std::size_t end = 0;
    std::size_t resume = 0;
    while (true) {
      std::size_t skip = LeadingEmptyLines(in.Buffered());
      in.Consume(skip);
      resume = resume > skip ? resume - skip : 0;
      std::string_view buffered = in.Buffered();
      HeadSearch found = FindHeadEnd(buffered, resume);
      // The resumed search finds exactly what a search from the start finds.
      HeadSearch whole = FindHeadEnd(buffered, 0);
      if (found.end != whole.end) std::abort();
      if (found.end != 0) {
        if (found.end > buffered.size() || buffered[found.end - 1] != '\n') std::abort();
        end = found.end;
        break;
      }
      if (found.resume > buffered.size()) std::abort();
      resume = found.resume;
      // As the server: a head longer than the limit is answered 431 whether or not its end has arrived.
      if (buffered.size() > limits.max_head) return log + "431\n";
      Result<std::size_t> got = in.Fill();
      if (!got || *got == 0) return log + "end (" + std::to_string(in.Buffered().size()) + " bytes left)\n";
    }
    if (end > limits.max_head) return log + "431\n";
    Result<RequestHead> head = ParseRequestHead(in.Buffered().substr(0, end));
    in.Consume(end);
    if (!head) {
      int status = head.error().http_status;
      if (status != 400 && status != 501 && status != 505) std::abort();
      return log + std::to_string(status) + "\n";
    }
    log += head->method + " " + head->target + " v" + std::to_string(head->version) + " " +
           std::to_string(head->headers.size()) + " fields, body " +
           std::to_string(static_cast<int>(head->body_kind)) + ":" + std::to_string(head->content_length) +
           (head->keep_alive ? " keep-alive" : " close") + (head->expect_continue ? " 100" : "") + "\n";
    if (head->body_kind == BodyKind::kLength && head->content_length == 0) std::abort();
    RequestBodyDecoder decoder(head->body_kind, head->content_length, limits.max_line);
    std::string body;
    std::optional<Error> error;
    for (int reads = 0; reads < 100000; ++reads) {
      Result<std::size_t> r = decoder.Read(in, buf.data(), buf.size());
      if (!r) {
        error = r.error();
        break;
      }
      if (*r > buf.size()) std::abort();
      if (*r == 0) break;
      body.append(buf.data(), *r);
    }
    if (error) {
      // The bytes delivered before a failure depend on the split; the verdict must not.
      if (!decoder.failed()) std::abort();
      return log + "body error " + error->code + "\n";
    }
    if (!decoder.done()) return log + "body read limit\n";
    if (head->body_kind == BodyKind::kLength && body.size() != head->content_length) std::abort();
    log += "body " + std::to_string(body.size()) + " bytes: " + body + "\n";
    if (const Headers* trailers = decoder.Trailers()) {
      for (const auto& t : *trailers) log += "trailer " + t.name + ": " + t.value + "\n";
    }
    if (!head->keep_alive) return log + "close\n";
  }
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const unsigned split = data[0];
  const unsigned limit = data[1];
  std::string wire(reinterpret_cast<const char*>(data) + 2, size - 2);
  Limits limits{64 + (limit & 0x0f) * 64, 8 + (limit >> 4) * 16};

  // The head parser on its own, on the whole input (no terminator search, no limit).
  (void)ParseRequestHead(wire);
  (void)ParseContentLength(wire);

  std::vector<std::size_t> pieces = {1 + (split & 0x07), 1 + ((split >> 3) & 0x03) * 5, 1};
  std::size_t read_size = 1 + (split >> 5) * 3;
  std::string at_once = Walk(wire, {}, 4096, limits);
  std::string in_pieces = Walk(wire, pieces, read_size, limits);
  if (at_once != in_pieces) {
    std::fprintf(stderr, "walks differ:\n--- at once\n%s--- in pieces\n%s", at_once.c_str(),
                 in_pieces.c_str());
    std::abort();
  }
  return 0;
}
