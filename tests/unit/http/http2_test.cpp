// HTTP/2 front of http::Server, driven by an in-process nghttp2 client (h2c prior knowledge and
// TLS with ALPN h2), on 127.0.0.1 only, every wait bounded.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http/server.hpp"

namespace cenote::http {
namespace {

using namespace std::chrono_literals;

char PatternByte(std::uint64_t i) { return static_cast<char>((i * 131 + (i >> 11) * 7) & 0xff); }

std::string Pattern(std::size_t n, std::uint64_t offset = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = PatternByte(offset + i);
  return s;
}

int ConnectLoopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A minimal HTTP/2 client: one connection, any number of streams, driven by RunUntil().
class H2Client {
 public:
  struct Response {
    int status = 0;
    std::vector<int> interim;  // 1xx statuses seen
    std::map<std::string, std::string> headers;
    std::string body;
    std::uint32_t reset_code = 0;
    bool closed = false;
  };
  struct Upload {
    std::string data;
    std::size_t pos = 0;
    std::size_t defer_at = std::string::npos;  // stop offering data here (to reset mid-upload)
  };

  // `ctx` set: TLS with ALPN offering h2 (and http/1.1). `preface` false: the caller sends raw bytes.
  explicit H2Client(std::uint16_t port, SSL_CTX* ctx = nullptr, bool start = true) {
    fd_ = ConnectLoopback(port);
    if (fd_ < 0) return;
    if (ctx) {
      ssl_ = SSL_new(ctx);
      SSL_set_fd(ssl_, fd_);
      static const unsigned char kAlpn[] = "\x02h2\x08http/1.1";
      SSL_set_alpn_protos(ssl_, kAlpn, sizeof(kAlpn) - 1);
      if (SSL_connect(ssl_) != 1) return;
      const unsigned char* p = nullptr;
      unsigned int len = 0;
      SSL_get0_alpn_selected(ssl_, &p, &len);
      alpn_.assign(reinterpret_cast<const char*>(p), len);
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL, 0) | O_NONBLOCK);
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &OnData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &OnClose);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &OnFrame);
    nghttp2_session_client_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    if (start) {
      nghttp2_settings_entry s[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 8 << 20}};
      nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, s, 1);
      nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 32 << 20);
    }
  }
  ~H2Client() {
    if (session_) nghttp2_session_del(session_);
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }

  bool ok() const { return fd_ >= 0 && session_ != nullptr; }
  const std::string& alpn() const { return alpn_; }
  nghttp2_session* session() { return session_; }
  bool goaway() const { return goaway_; }
  bool eof() const { return eof_; }

  std::int32_t Submit(const std::string& method, const std::string& path,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      std::unique_ptr<Upload> upload = nullptr) {
    std::vector<std::pair<std::string, std::string>> fields = {{":method", method},
                                                               {":scheme", ssl_ ? "https" : "http"},
                                                               {":path", path},
                                                               {":authority", "h2.test:4566"}};
    for (auto& h : headers) fields.push_back(h);
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : fields) {
      nva.push_back({reinterpret_cast<uint8_t*>(n.data()), reinterpret_cast<uint8_t*>(v.data()), n.size(),
                     v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider prd{};
    Upload* raw = upload.get();
    prd.source.ptr = raw;
    prd.read_callback = &ReadUpload;
    std::int32_t id =
        nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), raw ? &prd : nullptr, nullptr);
    if (id > 0) {
      responses_[id];
      if (upload) uploads_[id] = std::move(upload);
    }
    return id;
  }

  void Resume(std::int32_t id) { nghttp2_session_resume_data(session_, id); }
  Upload* upload(std::int32_t id) { return uploads_[id].get(); }
  Response& response(std::int32_t id) { return responses_[id]; }

  // Sends raw bytes before/instead of the nghttp2 session's output.
  bool SendRaw(std::string_view s) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!s.empty() && std::chrono::steady_clock::now() < deadline) {
      ssize_t w = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (w > 0) {
        s.remove_prefix(static_cast<std::size_t>(w));
      } else {
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, 100);
      }
    }
    return s.empty();
  }

  // Pumps I/O until done() or the deadline (false), or until the server closed the connection.
  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 30s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline || eof_) return done();
      while (pending_.size() < (1 << 20)) {
        const uint8_t* p;
        ssize_t n = nghttp2_session_mem_send(session_, &p);
        if (n <= 0) break;
        pending_.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
      }
      while (!pending_.empty()) {
        ssize_t w = Write(pending_.data(), pending_.size());
        if (w <= 0) break;
        pending_.erase(0, static_cast<std::size_t>(w));
      }
      bool readable = ssl_ && SSL_pending(ssl_) > 0;
      if (!readable) {
        pollfd p{fd_, static_cast<short>(POLLIN | (pending_.empty() ? 0 : POLLOUT)), 0};
        ::poll(&p, 1, 20);
        readable = p.revents & (POLLIN | POLLHUP | POLLERR);
      }
      if (!readable) continue;
      char buf[65536];
      ssize_t r = Read(buf, sizeof(buf));
      if (r == 0) {
        eof_ = true;
        continue;
      }
      if (r < 0) continue;
      if (nghttp2_session_mem_recv(session_, reinterpret_cast<uint8_t*>(buf), static_cast<std::size_t>(r)) <
          0) {
        eof_ = true;
      }
    }
    return true;
  }

  bool RunStreams(std::chrono::milliseconds limit = 30s) {
    return RunUntil(
        [this] {
          for (auto& [id, r] : responses_)
            if (!r.closed) return false;
          return true;
        },
        limit);
  }

 private:
  ssize_t Write(const char* p, std::size_t n) {
    if (ssl_) {
      int r = SSL_write(ssl_, p, static_cast<int>(n));
      return r > 0 ? r : -1;
    }
    return ::send(fd_, p, n, MSG_NOSIGNAL);
  }
  ssize_t Read(char* p, std::size_t n) {
    if (ssl_) {
      int r = SSL_read(ssl_, p, static_cast<int>(n));
      if (r > 0) return r;
      int e = SSL_get_error(ssl_, r);
      return (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) ? -1 : 0;
    }
    ssize_t r = ::recv(fd_, p, n, 0);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
    return r < 0 ? 0 : r;
  }

  static ssize_t ReadUpload(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                            nghttp2_data_source* source, void*) {
    auto* u = static_cast<Upload*>(source->ptr);
    if (u->pos >= u->defer_at) return NGHTTP2_ERR_DEFERRED;
    std::size_t end = std::min(u->data.size(), u->defer_at);
    std::size_t n = std::min(length, end - u->pos);
    std::memcpy(buf, u->data.data() + u->pos, n);
    u->pos += n;
    if (u->pos == u->data.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  static int OnHeader(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto* self = static_cast<H2Client*>(user);
    auto it = self->responses_.find(f->hd.stream_id);
    if (it == self->responses_.end()) return 0;
    std::string n(reinterpret_cast<const char*>(name), namelen),
        v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      int status = std::atoi(v.c_str());
      if (status < 200) {
        it->second.interim.push_back(status);
      } else {
        it->second.status = status;
      }
    } else {
      it->second.headers[n] = v;
    }
    return 0;
  }
  static int OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len, void* user) {
    auto* self = static_cast<H2Client*>(user);
    self->responses_[id].body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int OnClose(nghttp2_session*, int32_t id, uint32_t code, void* user) {
    auto* self = static_cast<H2Client*>(user);
    self->responses_[id].closed = true;
    self->responses_[id].reset_code = code;
    return 0;
  }
  static int OnFrame(nghttp2_session*, const nghttp2_frame* f, void* user) {
    if (f->hd.type == NGHTTP2_GOAWAY) static_cast<H2Client*>(user)->goaway_ = true;
    return 0;
  }

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string alpn_;
  nghttp2_session* session_ = nullptr;
  std::string pending_;
  bool eof_ = false;
  bool goaway_ = false;
  std::map<std::int32_t, Response> responses_;
  std::map<std::int32_t, std::unique_ptr<Upload>> uploads_;
};

// Produces `size` pattern bytes in small reads; unknown size when !sized; optional pause per read.
class PatternBody final : public BodySource {
 public:
  PatternBody(std::uint64_t size, bool sized, std::chrono::milliseconds pause = 0ms)
      : size_(size), sized_(sized), pause_(pause) {}
  std::optional<std::uint64_t> Size() const override {
    return sized_ ? std::optional<std::uint64_t>(size_) : std::nullopt;
  }
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    if (pos_ >= size_) return std::size_t{0};
    if (pause_.count() > 0) std::this_thread::sleep_for(pause_);
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>({n, size_ - pos_, 100000}));
    for (std::size_t i = 0; i < take; ++i) buf[i] = PatternByte(pos_ + i);
    pos_ += take;
    return take;
  }

 private:
  std::uint64_t size_;
  bool sized_;
  std::chrono::milliseconds pause_;
  std::uint64_t pos_ = 0;
};

// Shared state the test handler reports through.
struct Probe {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  int upload_results = 0;
  std::string upload_error;
  std::uint64_t upload_bytes = 0;
};

HttpResponse TestHandler(Probe& probe, HttpRequest& req) {
  HttpResponse r;
  std::string path(req.Path());
  r.headers.Add("X-Method", req.method);
  r.headers.Add("X-Target", req.target);
  r.headers.Add("X-Host", std::string(req.headers.Get("host").value_or("")));
  r.headers.Add("X-Authority", std::string(req.headers.Get(":authority").value_or("-")));
  r.headers.Add("X-Version", std::to_string(req.version));
  r.headers.Add("X-Length", req.body->Length() ? std::to_string(*req.body->Length()) : "none");
  r.headers.Add("Connection", "keep-alive");  // must be dropped on HTTP/2
  if (path == "/echo") {
    auto body = ReadAll(*req.body, 64 << 20);
    r.body = body.ok() ? *body : "error:" + body.error().code;
    if (const Headers* t = req.body->Trailers()) {
      if (auto c = t->Get("x-checksum")) r.headers.Add("X-Trailer", std::string(*c));
    }
  } else if (path == "/sink") {
    // Streams the upload: verifies the pattern while reading in 64 KiB pieces.
    char buf[65536];
    std::uint64_t total = 0;
    bool match = true;
    while (true) {
      auto n = req.body->Read(buf, sizeof(buf));
      if (!n.ok()) {
        std::lock_guard<std::mutex> lock(probe.mu);
        probe.upload_error = n.error().code;
        probe.upload_bytes = total;
        ++probe.upload_results;
        probe.cv.notify_all();
        r.status = 400;
        return r;
      }
      if (*n == 0) break;
      for (std::size_t i = 0; i < *n; ++i) match = match && buf[i] == PatternByte(total + i);
      total += *n;
    }
    {
      std::lock_guard<std::mutex> lock(probe.mu);
      probe.upload_bytes = total;
      ++probe.upload_results;
      probe.cv.notify_all();
    }
    r.body = std::to_string(total) + (match ? ":match" : ":mismatch");
  } else if (path == "/download") {
    std::uint64_t n = std::strtoull(std::string(req.Query()).c_str() + 2, nullptr, 10);  // "n=..."
    r.stream = std::make_unique<PatternBody>(n, true);
    r.headers.Add("Content-Type", "application/octet-stream");
  } else if (path == "/events") {
    r.stream = std::make_unique<PatternBody>(5 * 1000, false, 150ms);
  } else if (path == "/block") {
    std::unique_lock<std::mutex> lock(probe.mu);
    bool ok = probe.cv.wait_for(lock, 10s, [&] { return probe.released; });
    r.body = ok ? "released" : "timeout";
  } else if (path == "/release") {
    std::lock_guard<std::mutex> lock(probe.mu);
    probe.released = true;
    probe.cv.notify_all();
    r.body = "ok";
  } else if (path == "/head") {
    r.head_content_length = 1234;
  } else if (path == "/reject") {
    r.status = 403;
    r.body = "denied";
  } else {
    r.status = 404;
    r.body = "not found";
  }
  return r;
}

class TestServer {
 public:
  explicit TestServer(ServerOptions o = {}) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.io_threads = 2;
    o.worker_threads = 8;
    auto s = Server::Create(o, [this](HttpRequest& req) { return TestHandler(probe, req); });
    EXPECT_TRUE(s.ok());
    server_ = std::move(*s);
    auto port = server_->Start();
    EXPECT_TRUE(port.ok());
    port_ = *port;
  }
  ~TestServer() { server_->Stop(); }
  std::uint16_t port() const { return port_; }
  Server& server() { return *server_; }
  Probe probe;

 private:
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

TEST(Http2Test, PriorKnowledgeGetMapsPseudoHeaders) {
  TestServer s;
  H2Client c(s.port());
  ASSERT_TRUE(c.ok());
  auto id = c.Submit("GET", "/echo?list-type=2&prefix=a%2Fb");
  ASSERT_GT(id, 0);
  ASSERT_TRUE(c.RunStreams());
  auto& r = c.response(id);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["x-method"], "GET");
  EXPECT_EQ(r.headers["x-target"], "/echo?list-type=2&prefix=a%2Fb");
  EXPECT_EQ(r.headers["x-host"], "h2.test:4566");       // synthesized from :authority
  EXPECT_EQ(r.headers["x-authority"], "h2.test:4566");  // what the JS SDK v3 signs over HTTP/2
  EXPECT_EQ(r.headers["x-version"], "20");
  EXPECT_EQ(r.headers["x-length"], "0");
  EXPECT_EQ(r.headers["content-length"], "0");
  EXPECT_EQ(r.headers["server"], "Cenote");
  EXPECT_FALSE(r.headers["date"].empty());
  EXPECT_EQ(r.headers.count("connection"), 0u);
  EXPECT_EQ(r.body, "");
}

TEST(Http2Test, SmallPutEchoWithContentLengthAndTrailers) {
  TestServer s;
  H2Client c(s.port());
  auto up = std::make_unique<H2Client::Upload>();
  up->data = "hello over h2";
  auto id = c.Submit("PUT", "/echo", {{"content-length", "13"}}, std::move(up));
  ASSERT_TRUE(c.RunStreams());
  EXPECT_EQ(c.response(id).status, 200);
  EXPECT_EQ(c.response(id).body, "hello over h2");
  EXPECT_EQ(c.response(id).headers["x-length"], "13");
  EXPECT_EQ(c.response(id).headers["content-length"], "13");
}

TEST(Http2Test, LargeUploadAndDownloadAreByteExact) {
  constexpr std::size_t kSize = 20 << 20;
  TestServer s;
  H2Client c(s.port());
  auto up = std::make_unique<H2Client::Upload>();
  up->data = Pattern(kSize);
  auto put = c.Submit("PUT", "/sink", {}, std::move(up));
  auto get = c.Submit("GET", "/download?n=" + std::to_string(kSize));
  ASSERT_TRUE(c.RunStreams(60s));
  EXPECT_EQ(c.response(put).status, 200);
  EXPECT_EQ(c.response(put).body, std::to_string(kSize) + ":match");
  EXPECT_EQ(c.response(put).headers["x-length"], "none");  // no content-length sent
  auto& g = c.response(get);
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.headers["content-length"], std::to_string(kSize));
  EXPECT_EQ(g.headers["content-type"], "application/octet-stream");
  ASSERT_EQ(g.body.size(), kSize);
  EXPECT_TRUE(g.body == Pattern(kSize));
}

TEST(Http2Test, ManyConcurrentStreamsOnOneConnection) {
  TestServer s;
  H2Client c(s.port());
  std::map<std::int32_t, std::string> expected;
  for (int i = 0; i < 64; ++i) {
    auto up = std::make_unique<H2Client::Upload>();
    up->data = Pattern(1000 + i * 977, static_cast<std::uint64_t>(i));
    std::string copy = up->data;
    auto id = c.Submit("POST", "/echo?i=" + std::to_string(i), {}, std::move(up));
    ASSERT_GT(id, 0);
    expected[id] = copy;
  }
  ASSERT_TRUE(c.RunStreams());
  for (auto& [id, body] : expected) {
    EXPECT_EQ(c.response(id).status, 200);
    EXPECT_TRUE(c.response(id).body == body) << "stream " << id;
  }
}

TEST(Http2Test, MoreStreamsThanTheConcurrencyLimitAllComplete) {
  TestServer s;
  H2Client c(s.port());
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(c.Submit("GET", "/download?n=" + std::to_string(1000 + i)));
  ASSERT_TRUE(c.RunStreams());
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(c.response(ids[i]).status, 200);
    EXPECT_EQ(c.response(ids[i]).body.size(), static_cast<std::size_t>(1000 + i));
  }
  EXPECT_EQ(nghttp2_session_get_remote_settings(c.session(), NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), 100u);
}

TEST(Http2Test, Http1AndHttp2ShareThePort) {
  TestServer s;
  int fd = ConnectLoopback(s.port());
  ASSERT_GE(fd, 0);
  std::string req = "GET /echo HTTP/1.1\r\nHost: one\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (got.find("\r\n\r\n") == std::string::npos && ::poll(&p, 1, 10000) > 0) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK", 0), 0u) << got;
  EXPECT_NE(got.find("X-Version: 11"), std::string::npos);
  EXPECT_NE(got.find("X-Authority: -"), std::string::npos);

  H2Client c(s.port());
  auto id = c.Submit("GET", "/echo");
  ASSERT_TRUE(c.RunStreams());
  EXPECT_EQ(c.response(id).headers["x-version"], "20");
}

TEST(Http2Test, TlsAlpnSelectsH2) {
  auto dir = std::filesystem::temp_directory_path() / ("cenote_http2_tls_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  ASSERT_TRUE(GenerateSelfSignedCertificate(cert, key, {"localhost", "127.0.0.1"}).ok());
  ServerOptions o;
  o.tls_cert_file = cert;
  o.tls_key_file = key;
  {
    TestServer s(o);
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    ASSERT_EQ(SSL_CTX_load_verify_locations(ctx, cert.c_str(), nullptr), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    {
      H2Client c(s.port(), ctx);
      ASSERT_TRUE(c.ok());
      EXPECT_EQ(c.alpn(), "h2");
      auto up = std::make_unique<H2Client::Upload>();
      up->data = Pattern(3 << 20);
      auto put = c.Submit("PUT", "/sink", {}, std::move(up));
      auto get = c.Submit("GET", "/download?n=3000000");
      ASSERT_TRUE(c.RunStreams());
      EXPECT_EQ(c.response(put).body, std::to_string(3 << 20) + ":match");
      EXPECT_TRUE(c.response(get).body == Pattern(3000000));
    }
    {
      // A client offering only http/1.1 gets HTTP/1.1.
      int fd = ConnectLoopback(s.port());
      SSL* ssl = SSL_new(ctx);
      SSL_set_fd(ssl, fd);
      static const unsigned char kAlpn[] = "\x08http/1.1";
      SSL_set_alpn_protos(ssl, kAlpn, sizeof(kAlpn) - 1);
      ASSERT_EQ(SSL_connect(ssl), 1);
      const unsigned char* p = nullptr;
      unsigned int len = 0;
      SSL_get0_alpn_selected(ssl, &p, &len);
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(p), len), "http/1.1");
      std::string req = "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
      SSL_write(ssl, req.data(), static_cast<int>(req.size()));
      char buf[4096];
      int n = SSL_read(ssl, buf, sizeof(buf));
      ASSERT_GT(n, 0);
      EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)).rfind("HTTP/1.1 200 OK", 0), 0u);
      SSL_free(ssl);
      ::close(fd);
    }
    SSL_CTX_free(ctx);
  }
  std::filesystem::remove_all(dir);
}

TEST(Http2Test, BlockedHandlerDoesNotBlockOtherStreams) {
  TestServer s;
  H2Client c(s.port());
  auto blocked = c.Submit("GET", "/block");
  auto events = c.Submit("GET", "/events");  // slow streaming response, unknown length
  ASSERT_TRUE(c.RunUntil([&] { return c.response(events).closed; }, 10s));
  EXPECT_FALSE(c.response(blocked).closed);  // still waiting, yet the other stream completed
  EXPECT_EQ(c.response(events).body.size(), 5000u);
  EXPECT_EQ(c.response(events).headers.count("content-length"), 0u);
  auto release = c.Submit("GET", "/release");
  ASSERT_TRUE(c.RunStreams(15s));
  EXPECT_EQ(c.response(release).body, "ok");
  EXPECT_EQ(c.response(blocked).body, "released");
}

TEST(Http2Test, BadPrefaceClosesWithoutAnswer) {
  TestServer s;
  H2Client c(s.port(), nullptr, false);
  ASSERT_TRUE(c.SendRaw("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\nthis is not http2 at all"));
  EXPECT_TRUE(c.RunUntil([&] { return c.eof(); }, 10s));
  // The server is unharmed.
  H2Client d(s.port());
  auto id = d.Submit("GET", "/echo");
  ASSERT_TRUE(d.RunStreams());
  EXPECT_EQ(d.response(id).status, 200);
}

TEST(Http2Test, GarbageFrameAfterPrefaceGetsGoawayAndClose) {
  TestServer s;
  H2Client c(s.port(), nullptr, false);
  // A valid preface, then a 9-byte frame header announcing a huge unknown-stream DATA frame.
  std::string bytes = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  bytes += std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);  // empty SETTINGS
  bytes += std::string("\xff\xff\xff\x00\x01\x00\x00\x00\x07", 9);  // DATA too large, idle stream
  bytes += std::string(512, 'z');
  ASSERT_TRUE(c.SendRaw(bytes));
  EXPECT_TRUE(c.RunUntil([&] { return c.eof(); }, 10s));
  EXPECT_TRUE(c.goaway());
}

TEST(Http2Test, ClientResetMidUploadFailsTheReadAndKeepsTheConnection) {
  TestServer s;
  H2Client c(s.port());
  auto up = std::make_unique<H2Client::Upload>();
  up->data = Pattern(8 << 20);
  up->defer_at = 3 << 20;
  auto id = c.Submit("PUT", "/sink", {}, std::move(up));
  ASSERT_TRUE(c.RunUntil([&] { return c.upload(id)->pos >= (3u << 20); }, 10s));
  nghttp2_submit_rst_stream(c.session(), NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  ASSERT_TRUE(c.RunUntil([&] { return c.response(id).closed; }, 10s));
  {
    std::unique_lock<std::mutex> lock(s.probe.mu);
    ASSERT_TRUE(s.probe.cv.wait_for(lock, 10s, [&] { return s.probe.upload_results == 1; }));
    EXPECT_EQ(s.probe.upload_error, "IncompleteBody");
  }
  // Unread bytes of the reset stream were returned to the connection window: a second upload larger
  // than the connection window still completes.
  auto up2 = std::make_unique<H2Client::Upload>();
  up2->data = Pattern(20 << 20);
  auto id2 = c.Submit("PUT", "/sink", {}, std::move(up2));
  ASSERT_TRUE(c.RunUntil([&] { return c.response(id2).closed; }, 60s));
  EXPECT_EQ(c.response(id2).body, std::to_string(20 << 20) + ":match");
}

TEST(Http2Test, EarlyResponseStopsTheUploadAndConnectionStaysUsable) {
  TestServer s;
  H2Client c(s.port());
  auto up = std::make_unique<H2Client::Upload>();
  up->data = Pattern(40 << 20);
  auto id = c.Submit("PUT", "/reject", {}, std::move(up));
  ASSERT_TRUE(c.RunUntil([&] { return c.response(id).closed; }, 20s));
  EXPECT_EQ(c.response(id).status, 403);
  EXPECT_EQ(c.response(id).body, "denied");
  auto id2 = c.Submit("GET", "/echo");
  ASSERT_TRUE(c.RunUntil([&] { return c.response(id2).closed; }, 10s));
  EXPECT_EQ(c.response(id2).status, 200);
}

TEST(Http2Test, ExpectContinueGets100OnFirstRead) {
  TestServer s;
  H2Client c(s.port());
  auto up = std::make_unique<H2Client::Upload>();
  up->data = "abc";
  up->defer_at = 0;  // like an SDK, hold the body until the 100 arrives
  auto id = c.Submit("PUT", "/echo", {{"expect", "100-continue"}}, std::move(up));
  ASSERT_TRUE(c.RunUntil([&] { return !c.response(id).interim.empty(); }, 10s));
  EXPECT_EQ(c.response(id).interim, std::vector<int>{100});
  c.upload(id)->defer_at = std::string::npos;
  c.Resume(id);
  ASSERT_TRUE(c.RunStreams());
  EXPECT_EQ(c.response(id).status, 200);
  EXPECT_EQ(c.response(id).body, "abc");
}

TEST(Http2Test, OversizedHeadersGet431AndConnectionSurvives) {
  ServerOptions o;
  o.max_header_bytes = 8 * 1024;
  TestServer s(o);
  H2Client c(s.port());
  auto big = c.Submit("GET", "/echo", {{"x-big", std::string(9000, 'a')}});
  auto small = c.Submit("GET", "/echo", {{"x-small", "b"}});
  ASSERT_TRUE(c.RunStreams());
  EXPECT_EQ(c.response(big).status, 431);
  EXPECT_EQ(c.response(small).status, 200);
}

TEST(Http2Test, HeadAndStatusWithoutBody) {
  TestServer s;
  H2Client c(s.port());
  auto head = c.Submit("HEAD", "/head");
  auto missing = c.Submit("GET", "/nope");
  ASSERT_TRUE(c.RunStreams());
  EXPECT_EQ(c.response(head).status, 200);
  EXPECT_EQ(c.response(head).headers["content-length"], "1234");
  EXPECT_EQ(c.response(head).body, "");
  EXPECT_EQ(c.response(missing).status, 404);
  EXPECT_EQ(c.response(missing).body, "not found");
}

TEST(Http2Test, StopSendsGoawayAfterInFlightStreamFinishes) {
  auto s = std::make_unique<TestServer>();
  H2Client c(s->port());
  auto blocked = c.Submit("GET", "/block");
  ASSERT_TRUE(c.RunUntil([] { return false; }, 300ms) == false);
  std::thread stopper([&] { s->server().Stop(); });
  ASSERT_TRUE(c.RunUntil([&] { return c.goaway(); }, 10s));
  {
    std::lock_guard<std::mutex> lock(s->probe.mu);
    s->probe.released = true;
    s->probe.cv.notify_all();
  }
  ASSERT_TRUE(c.RunUntil([&] { return c.response(blocked).closed; }, 10s));
  EXPECT_EQ(c.response(blocked).body, "released");
  EXPECT_TRUE(c.RunUntil([&] { return c.eof(); }, 10s));
  stopper.join();
}

TEST(Http2Test, IdleConnectionGetsGoawayAndClose) {
  ServerOptions o;
  o.idle_timeout_seconds = 1;
  TestServer s(o);
  H2Client c(s.port());
  auto id = c.Submit("GET", "/echo");
  ASSERT_TRUE(c.RunStreams());
  EXPECT_EQ(c.response(id).status, 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.RunUntil([&] { return c.eof(); }, 10s));
  EXPECT_TRUE(c.goaway());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace cenote::http
