// HTTP request/response types seen by everything above the server.
//
// These types know nothing of Boost.Beast or of HTTP/1.1 framing, so an HTTP/2 front (nghttp2)
// can produce the same HttpRequest and consume the same HttpResponse. They know nothing of AWS.
//
// Threading: a Handler runs on a worker thread and may block (disk, SQLite, reading the body).
// A BodyReader is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/strings.hpp"

namespace cenote::http {

// Case-insensitive, order-preserving header list. Duplicate names are kept as separate entries.
class Headers {
 public:
  struct Entry {
    std::string name;
    std::string value;
  };

  // First value of `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  void Add(std::string name, std::string value);
  // Replaces every entry of `name` by one.
  void Set(std::string name, std::string value);
  void Remove(std::string_view name);

  const std::vector<Entry>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
};

// A request body, pulled by the handler. Bodies are never buffered whole by the server.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Reads up to `n` bytes into `buf`. Returns the count read; 0 means end of body. Blocks until
  // at least one byte, the end, or a failure (peer closed, idle timeout -> RequestTimeout,
  // malformed chunked framing -> IncompleteBody/InvalidRequest, or an error raised by a
  // decoding layer such as a failed chunk signature). After an error, further reads fail too.
  virtual Result<std::size_t> Read(char* buf, std::size_t n) = 0;
  // The declared length, when the framing gives one (Content-Length or
  // x-amz-decoded-content-length); nullopt for chunked bodies of unknown length.
  virtual std::optional<std::uint64_t> Length() const = 0;
  // Trailing headers (HTTP chunked trailers or aws-chunked trailers), valid once Read returned 0.
  virtual const Headers* Trailers() const { return nullptr; }
};

// A request body held in memory (a body already read and verified, test fixtures, fuzzers).
class StringReader final : public BodyReader {
 public:
  explicit StringReader(std::string data) : data_(std::move(data)) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override;
  std::optional<std::uint64_t> Length() const override { return data_.size(); }
  std::size_t consumed() const { return pos_; }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

// Reads the whole body into a string, failing with `too_large_code` (status 400) past `limit` bytes.
Result<std::string> ReadAll(BodyReader& body, std::size_t limit,
                            const char* too_large_code = "MaxMessageLengthExceeded");

// A response body produced by the handler and pulled by the server.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Exact size in bytes (responses always carry Content-Length when it is known), or nullopt to
  // send HTTP/1.1 chunked.
  virtual std::optional<std::uint64_t> Size() const = 0;
  // Reads up to `n` bytes; 0 means the end. An error aborts the response (the connection is closed,
  // since headers are already out).
  virtual Result<std::size_t> Read(char* buf, std::size_t n) = 0;
  // If the body is a range of an open file, the server may send it with sendfile(2).
  struct FileRange {
    int fd;
    std::uint64_t offset;
    std::uint64_t length;
  };
  virtual std::optional<FileRange> AsFile() const { return std::nullopt; }
};

// A body held in memory.
class StringBody final : public BodySource {
 public:
  explicit StringBody(std::string data) : data_(std::move(data)) {}
  std::optional<std::uint64_t> Size() const override { return data_.size(); }
  Result<std::size_t> Read(char* buf, std::size_t n) override;

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

struct HttpRequest {
  std::string method;  // "GET", "PUT", ... (upper case, as sent)
  std::string target;  // raw request-target: path plus "?query", still percent-encoded
  Headers headers;     // for HTTP/2, ":authority" is exposed as "host"
  int version = 11;    // 10, 11 or 20
  bool tls = false;
  std::string remote_address;  // "127.0.0.1:53211"
  // Never null; an empty body reads 0 at once. The reader sends "100 Continue" on its first Read()
  // when the client asked for it, so a handler that rejects a request before reading spares the
  // client a large upload. (HTTP/1.1 answers every Expect: 100-continue with a 100 or a closed
  // connection, empty bodies included: see Connection::ServeOne.)
  std::unique_ptr<BodyReader> body;

  std::string_view Path() const;   // target up to '?', still encoded
  std::string_view Query() const;  // after '?', still encoded ("" if none)
};

struct HttpResponse {
  int status = 200;
  Headers headers;  // the server adds Date, Server, Content-Length/Transfer-Encoding, Connection
  // Either an in-memory body or a stream; `stream` wins when set.
  std::string body;
  std::unique_ptr<BodySource> stream;
  // Set for a HEAD response whose Content-Length must describe the entity that a GET would return.
  std::optional<std::uint64_t> head_content_length;
  bool close_connection = false;
};

// Serves one request. Runs on a worker thread; may block; must not throw (the server turns an
// escaped exception into a 500 and logs it).
using Handler = std::function<HttpResponse(HttpRequest&)>;

// The RFC 9110 Date header value for now ("Tue, 01 Dec 2026 10:00:00 GMT"), recomputed at most once a
// second per thread.
const std::string& HttpDate();

}  // namespace cenote::http
