#include "services/sns/http_client.hpp"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/url/parse.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/strings.hpp"

namespace cenote::sns {

namespace {

using SteadyClock = std::chrono::steady_clock;

int RemainingMs(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

bool WaitFd(int fd, short events, SteadyClock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int left = RemainingMs(deadline);
    if (left == 0) return false;
    int r = ::poll(&p, 1, left);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

// A connected socket (non-blocking) to host:port before the deadline, or -1.
int Connect(const std::string& host, const std::string& port, SteadyClock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    if (errno == EINPROGRESS && WaitFd(fd, POLLOUT, deadline)) {
      int err = 0;
      socklen_t len = sizeof(err);
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) break;
    }
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  return fd;
}

// One connection, plain or TLS.
class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status StartTls(const std::string& host, bool verify, SteadyClock::time_point deadline) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) return MakeError("TlsError", "TLS is unavailable");
    if (verify) {
      SSL_CTX_set_default_verify_paths(ctx_);
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, host.c_str());
    if (verify) SSL_set1_host(ssl_, host.c_str());
    for (;;) {
      int r = SSL_connect(ssl_);
      if (r == 1) return Status::Ok();
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ && WaitFd(fd_, POLLIN, deadline)) continue;
      if (e == SSL_ERROR_WANT_WRITE && WaitFd(fd_, POLLOUT, deadline)) continue;
      return MakeError("TlsError", "TLS handshake with " + host + " failed");
    }
  }

  bool WriteAll(std::string_view data, SteadyClock::time_point deadline) {
    while (!data.empty()) {
      ssize_t n;
      if (ssl_ != nullptr) {
        int r = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        if (r <= 0) {
          int e = SSL_get_error(ssl_, r);
          if ((e == SSL_ERROR_WANT_WRITE && WaitFd(fd_, POLLOUT, deadline)) ||
              (e == SSL_ERROR_WANT_READ && WaitFd(fd_, POLLIN, deadline)))
            continue;
          return false;
        }
        n = r;
      } else {
        n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
          if ((errno == EAGAIN || errno == EINTR) && WaitFd(fd_, POLLOUT, deadline)) continue;
          return false;
        }
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Up to `n` bytes; 0 at the end of the stream; -1 on error or when the deadline passes.
  ssize_t Read(char* buf, std::size_t n, SteadyClock::time_point deadline) {
    for (;;) {
      if (ssl_ != nullptr) {
        int r = SSL_read(ssl_, buf, static_cast<int>(n));
        if (r > 0) return r;
        int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_ZERO_RETURN) return 0;
        if ((e == SSL_ERROR_WANT_READ && WaitFd(fd_, POLLIN, deadline)) ||
            (e == SSL_ERROR_WANT_WRITE && WaitFd(fd_, POLLOUT, deadline)))
          continue;
        return e == SSL_ERROR_SYSCALL ? 0 : -1;
      }
      ssize_t r = ::recv(fd_, buf, n, 0);
      if (r >= 0) return r;
      if ((errno == EAGAIN || errno == EINTR) && WaitFd(fd_, POLLIN, deadline)) continue;
      return -1;
    }
  }

 private:
  int fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace

Result<HttpPostResult> HttpPost(const std::string& url,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                const std::string& body, int timeout_ms, bool verify_tls) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return MakeError("InvalidEndpoint", "the endpoint URL does not parse");
  const std::string scheme = AsciiLower(parsed->scheme());
  const bool tls = scheme == "https";
  if (!tls && scheme != "http") return MakeError("InvalidEndpoint", "the endpoint is not http or https");
  std::string host(parsed->encoded_host());
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::string port = parsed->has_port() ? std::string(parsed->port()) : (tls ? "443" : "80");
  std::string target(parsed->encoded_path());
  if (target.empty()) target = "/";
  if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());

  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
  int fd = Connect(host, port, deadline);
  if (fd < 0) return MakeError("ConnectionFailed", "could not connect to " + host + ":" + port);
  Connection conn(fd);
  if (tls) CENOTE_RETURN_IF_ERROR(conn.StartTls(host, verify_tls, deadline));

  std::string request = "POST " + target + " HTTP/1.1\r\nHost: " + std::string(parsed->encoded_authority());
  request += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) request += k + ": " + v + "\r\n";
  request += "\r\n";
  request += body;
  if (!conn.WriteAll(request, deadline))
    return MakeError("ConnectionFailed", "sending to the endpoint failed");

  // Read the whole answer (Connection: close); the status line and, when the body is delimited, the body.
  std::string raw;
  char buf[16 * 1024];
  std::size_t header_end = std::string::npos;
  std::int64_t content_length = -1;
  for (;;) {
    ssize_t n = conn.Read(buf, sizeof(buf), deadline);
    if (n < 0) {
      if (header_end != std::string::npos) break;  // a status arrived; a cut-off body does not matter
      return MakeError("ConnectionFailed", "no answer from the endpoint");
    }
    if (n == 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = raw.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string lower = AsciiLower(std::string_view(raw).substr(0, header_end));
        if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos)
          content_length = std::atoll(lower.c_str() + at + 17);
      }
    }
    if (header_end != std::string::npos && content_length >= 0 &&
        raw.size() >= header_end + 4 + static_cast<std::size_t>(content_length))
      break;
    if (raw.size() > 1024 * 1024) break;  // SNS reads no more of an answer than it needs
  }
  if (!raw.starts_with("HTTP/1.") || raw.size() < 12)
    return MakeError("InvalidResponse", "not an HTTP answer");
  HttpPostResult result;
  result.status = std::atoi(raw.c_str() + 9);
  if (header_end != std::string::npos) result.body = raw.substr(header_end + 4);
  return result;
}

}  // namespace cenote::sns
