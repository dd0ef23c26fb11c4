// The HTTP/2 front (RFC 9113) of the server: one nghttp2 server session per connection.
//
// Internal to src/http: only server.cpp and http2_session.cpp include this header.
//
// A connection becomes HTTP/2 when it starts with the client connection preface (h2c with prior
// knowledge) or when TLS negotiated ALPN "h2". From then on an Http2Session drives it:
//   - The nghttp2 session is owned by the connection's strand: every nghttp2 call, socket read and
//     socket write happens there. Workers never touch nghttp2; they post to the strand.
//   - Each request (complete HEADERS) is handed to the worker pool as an HttpRequest, exactly like an
//     HTTP/1.1 request: method from :method, target from :path, version 20, and the :authority both
//     as `host` (unless the request has one) and as a ":authority" header, because the JS SDK v3
//     signs ":authority" under that name in SigV4's SignedHeaders.
//   - Request DATA is queued per stream and pulled by the handler through a BodyReader. Automatic
//     WINDOW_UPDATE is off: window is given back only as the handler reads, so an upload never
//     buffers more than the flow-control window.
//   - The handler's response is submitted on the strand; its BodySource is pumped by the worker that
//     ran the handler into a bounded per-stream queue that the nghttp2 data provider drains
//     (deferred while empty), so a slow stream (event streams) never blocks the others.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "http/message.hpp"

namespace cenote::http {

struct ServerOptions;

// The connection as the HTTP/2 session sees it. Implemented by server.cpp's Connection. Every
// method is called on the connection's strand only.
class Http2Transport {
 public:
  static constexpr ssize_t kWouldBlock = -1;
  static constexpr ssize_t kIoError = -2;

  virtual ~Http2Transport() = default;
  // Non-blocking reads/writes: bytes moved, 0 on orderly close (Recv only), kWouldBlock or kIoError.
  virtual ssize_t ReadNonBlocking(char* dst, std::size_t n) = 0;
  virtual ssize_t WriteNonBlocking(const char* src, std::size_t n) = 0;
  // Calls `done(ok)` on the strand when the socket is readable (write=false) or writable; ok=false on
  // error or cancellation. At most one read wait and one write wait are outstanding at a time.
  virtual void AsyncWait(bool write, std::function<void(bool)> done) = 0;
  // Runs `task` on a worker thread (may block).
  virtual void PostWork(std::function<void()> task) = 0;
  // Closes the socket and unregisters the connection from the server. Idempotent.
  virtual void Close() = 0;
  virtual bool Stopping() const = 0;
  virtual bool Tls() const = 0;
  virtual const std::string& RemoteAddress() const = 0;
};

class Http2Session {
 public:
  // `initial` holds bytes already read from the socket (the preface, maybe more). `executor` is the
  // connection's strand. `handler` and `options` outlive the session (they belong to the server).
  static std::shared_ptr<Http2Session> Create(std::shared_ptr<Http2Transport> transport,
                                              boost::asio::any_io_executor executor, const Handler& handler,
                                              const ServerOptions& options);
  virtual ~Http2Session() = default;

  // On the strand: sends the server SETTINGS, feeds `initial` and starts reading.
  virtual void Start(std::string initial) = 0;
  // On the strand: graceful shutdown (Server::Stop): GOAWAY, let in-flight streams finish, then close.
  virtual void Shutdown() = 0;
};

}  // namespace cenote::http
