// HTTP/1.1 request framing (RFC 9112): where a request head ends, what it says, and how long its body
// is and how it is decoded. No sockets and no threads: the server feeds it bytes through ConnectionInput,
// the unit tests and tests/fuzz/http1_codec_fuzz.cpp feed it strings. Every function here parses
// untrusted bytes; none trusts a length it has not checked, and none reads past what it was given.
//
// What is accepted, and what is answered otherwise:
//  - Lines end in CRLF or a bare LF (RFC 9112 2.2 lets a server accept LF alone); a bare CR elsewhere is
//    a control character and refused. Empty lines before a request line are skipped.
//  - Request line: `method SP target SP HTTP/1.1` or `HTTP/1.0`, single spaces, method a token, target
//    free of controls and spaces. Another HTTP/x.y answers 505; anything else 400.
//  - Field lines: `token ":" OWS value OWS`, value free of controls except HTAB. Obsolete line folding,
//    whitespace before the colon and more than one Host field answer 400 (RFC 9112 3.2, 5.1, 5.2).
//    Duplicates of other fields are kept, in order, as separate entries.
//  - Body length (RFC 9112 6.3): Transfer-Encoding `chunked` (exactly once and last) or Content-Length
//    (1-18 digits; a list of equal values is one value). Both at once answers 400, as does a
//    Transfer-Encoding without chunked; any other transfer coding answers 501. An HTTP/1.0 request
//    with Transfer-Encoding is served, then the connection closes (RFC 9112 6.1).
//  - The head's size limit is the caller's (ServerOptions::max_header_bytes; the server answers 431).
//  - Chunked bodies: hex size of at most 15 digits (no overflow: below 2^60), extensions after ';'
//    skipped, CRLF or LF after each chunk's data, trailer fields parsed as field lines and kept. A
//    malformed size line, chunk end or trailer fails the read with InvalidRequest (400); a body that
//    stops early with IncompleteBody (400). Lines (size lines, trailers) are bounded by `max_line`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "http/message.hpp"

namespace cenote::http {

// How the request's body is delimited.
enum class BodyKind {
  kNone,     // no body (no framing headers, or Content-Length: 0)
  kLength,   // Content-Length > 0
  kChunked,  // Transfer-Encoding: chunked
};

struct RequestHead {
  std::string method;
  std::string target;
  int version = 11;  // 10 or 11
  Headers headers;   // every field line, in order
  BodyKind body_kind = BodyKind::kNone;
  std::uint64_t content_length = 0;  // kLength only
  bool expect_continue = false;      // "Expect: 100-continue" on an HTTP/1.1 request
  bool keep_alive = true;            // the connection may carry another request after this one
};

// How many bytes of empty lines (CR and LF bytes) open `buffered`; a client may send them between
// requests (RFC 9112 2.2) and they are skipped before a request line.
std::size_t LeadingEmptyLines(std::string_view buffered);

struct HeadSearch {
  // Offset just past the empty line that ends the head (LF LF or LF CR LF), or 0 when no complete head
  // is buffered yet.
  std::size_t end = 0;
  // When end == 0: where to resume once more bytes are appended (a terminator may straddle the
  // boundary), so that a head arriving a byte at a time costs O(n) overall.
  std::size_t resume = 0;
};

// Finds the end of the request head at the start of `buffered` (which begins with a request line, empty
// lines already skipped), looking for the terminator from `scan_from` on.
HeadSearch FindHeadEnd(std::string_view buffered, std::size_t scan_from = 0);

// Parses a complete request head: request line, field lines and the terminating empty line (which may
// be left off). On failure the Error's http_status is the status to answer before closing the
// connection: 400 (malformed), 501 (a transfer coding other than chunked) or 505 (HTTP version).
Result<RequestHead> ParseRequestHead(std::string_view head);

// A Content-Length value: 1 to 18 decimal digits, surrounding whitespace ignored; nullopt otherwise.
std::optional<std::uint64_t> ParseContentLength(std::string_view value);

// The receive side of a connection as the body decoder sees it: a buffer that may already hold the
// start of the body (and pipelined requests after it), refilled from the transport on demand. Used by
// one thread at a time.
class ConnectionInput {
 public:
  virtual ~ConnectionInput() = default;
  // Bytes received and not consumed yet; valid until the next Consume, Fill or Read.
  virtual std::string_view Buffered() const = 0;
  virtual void Consume(std::size_t n) = 0;
  // Appends newly received bytes to Buffered(), keeping the unconsumed ones. Returns how many (0: the
  // peer closed) or the transport's error (RequestTimeout, a failed read).
  virtual Result<std::size_t> Fill() = 0;
  // Moves up to n > 0 bytes of the stream into dst, buffered ones first (an implementation may read
  // large requests straight from the transport). 0: the peer closed. The default uses Buffered/Fill.
  virtual Result<std::size_t> Read(char* dst, std::size_t n);
};

// Bytes held in memory, delivered by Fill() in pieces of the given sizes in turn (all at once when
// none are given), so that tests and fuzzers can split the stream anywhere the network could.
class MemoryInput final : public ConnectionInput {
 public:
  explicit MemoryInput(std::string data, std::vector<std::size_t> piece_sizes = {})
      : data_(std::move(data)), piece_sizes_(std::move(piece_sizes)) {}
  std::string_view Buffered() const override;
  void Consume(std::size_t n) override;
  Result<std::size_t> Fill() override;
  // Bytes not delivered by Fill() yet.
  std::size_t Undelivered() const { return data_.size() - delivered_; }

 private:
  std::string data_;
  std::vector<std::size_t> piece_sizes_;
  std::size_t fills_ = 0;
  std::size_t consumed_ = 0;
  std::size_t delivered_ = 0;
};

// The next line from `in` without its LF (or CR LF), consumed. InvalidRequest when no LF comes within
// `max` bytes, IncompleteBody when the peer closes first.
Result<std::string> ReadLine(ConnectionInput& in, std::size_t max);

// Decodes one request's body (RFC 9112 6 and 7.1) from a ConnectionInput, leaving the bytes after it
// (the next pipelined request) unconsumed. A failure is sticky: later reads return the same error.
class RequestBodyDecoder {
 public:
  // `max_line` bounds a chunk-size line and the trailer section.
  RequestBodyDecoder(BodyKind kind, std::uint64_t content_length, std::size_t max_line);

  // Up to n decoded bytes into buf; 0 at the end of the body (and when n == 0). Errors: IncompleteBody
  // when the peer closes early, InvalidRequest on malformed chunked framing, the input's own errors.
  Result<std::size_t> Read(ConnectionInput& in, char* buf, std::size_t n);

  // Fails the body with an error from outside the decoder (the transport broke while answering).
  void Fail(Error error);

  BodyKind kind() const { return kind_; }
  bool done() const { return done_; }
  bool failed() const { return error_.has_value(); }
  // kLength: body bytes not read yet. kChunked: bytes left in the current chunk.
  std::uint64_t remaining() const { return remaining_; }
  // The declared length: 0, the Content-Length, or nullopt for a chunked body.
  std::optional<std::uint64_t> Length() const;
  // The chunked body's trailer fields once done(); nullptr before.
  const Headers* Trailers() const { return done_ ? &trailers_ : nullptr; }

 private:
  Result<std::size_t> ReadChunked(ConnectionInput& in, char* buf, std::size_t n);
  Status ReadTrailers(ConnectionInput& in);
  Error Failed(Error error);

  BodyKind kind_;
  std::uint64_t declared_;
  std::uint64_t remaining_;
  std::size_t max_line_;
  bool done_;
  bool size_line_next_ = true;  // kChunked: the next thing on the wire is a chunk-size line
  std::optional<Error> error_;
  Headers trailers_;
};

}  // namespace cenote::http
