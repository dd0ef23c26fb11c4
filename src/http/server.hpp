// The HTTP/1.1 and HTTP/2 server (plain TCP or TLS) every Cenote service runs behind.
//
// HTTP/2 shares the port: a plain connection that opens with the HTTP/2 preface (h2c with prior
// knowledge), or a TLS connection that negotiated ALPN "h2" (offered first), is served by an nghttp2
// session feeding the same Handler (see http2_session.hpp and docs/http2.md). The threading model
// below is the HTTP/1.1 one; HTTP/2 keeps its spirit: io threads own the socket and the protocol
// state, handlers (one per stream) run on the same worker pool.
//
// Threading model:
//   - `io_threads` run an Asio reactor: accept, TLS handshakes and waiting for / reading request
//     headers. An idle keep-alive connection costs a file descriptor and a few KiB, no thread.
//   - Once a request's headers are complete the connection is handed to a bounded pool of
//     `worker_threads`. The Handler runs there and may block; the request body is pulled from the
//     socket and the response pushed to it with blocking I/O bounded by poll() timeouts
//     (`idle_timeout_seconds`), so a stalled client cannot pin a worker forever. Pipelined requests
//     already buffered are served by the same worker in order; when no task waits for a worker it
//     also lingers up to 2 ms for the next keep-alive request; then the connection goes back to the
//     reactor. While a worker has it, the connection's descriptor is out of the reactor's epoll set,
//     so requests a worker serves wake no io thread.
//   - Handlers never run on io threads, so a blocking handler never delays accepts or other
//     connections' header reads.
// A Server is not copyable. Start/Stop/Wait may be called from any thread; Stop is idempotent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "http/message.hpp"

namespace cenote::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4566;  // 0 = ephemeral
  int io_threads = 0;         // 0 = hardware concurrency
  int worker_threads = 0;     // 0 = max(64, 8 * cores); handlers block here
  std::size_t max_header_bytes = 64 * 1024;
  int idle_timeout_seconds = 60;            // keep-alive idle, header-read and body-read/write stall limit
  std::string tls_cert_file, tls_key_file;  // both set = serve HTTPS (TLS 1.2+) instead of HTTP
};

class Server {
 public:
  // Validates the options and loads the TLS certificate/key when given (errors are reported here,
  // not at Start). Does not bind.
  static Result<std::unique_ptr<Server>> Create(ServerOptions options, Handler handler);

  // Binds, listens and starts the io and worker threads. Returns the bound port (useful with
  // port 0). Fails if the address cannot be bound. Call at most once.
  Result<std::uint16_t> Start();

  // Stops accepting, closes idle connections, lets in-flight requests finish (up to a bounded
  // grace period, after which their sockets are shut down), then joins every thread. Safe to call
  // from any thread except a worker running a Handler, more than once, and before Start.
  void Stop();

  // Blocks until Stop() has completed.
  void Wait();

  ~Server();  // Calls Stop().

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Writes a self-signed certificate and its private key (PEM; the key file gets mode 0600) valid for
// ten years, with a subjectAltName entry per name (IP addresses become IP entries, everything else
// DNS entries). The first name is also the subject CN ("localhost" when `names` is empty).
Status GenerateSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                     const std::vector<std::string>& names);

}  // namespace cenote::http
