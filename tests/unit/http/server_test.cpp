#include "http/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>

namespace cenote::http {
namespace {

using namespace std::chrono_literals;

// A blocking loopback client with a receive buffer (so pipelined responses can be split) and a
// 10 s bound on every wait.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  }
  ~RawClient() { ::close(fd_); }

  bool Send(std::string_view s) {
    while (!s.empty()) {
      ssize_t w = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (w <= 0) return false;
      s.remove_prefix(static_cast<std::size_t>(w));
    }
    return true;
  }

  // Reads more bytes into the buffer; false on EOF/error/timeout.
  bool Fill(int timeout_ms = 10000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char tmp[65536];
    ssize_t r = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (r <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<std::size_t>(r));
    return true;
  }

  // True if the peer closed (EOF or reset) within the timeout and nothing else arrived.
  bool ClosedWithin(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char tmp[4096];
      ssize_t r = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (r <= 0) return true;
      buf_.append(tmp, static_cast<std::size_t>(r));
    }
    return false;
  }

  struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    bool ok = false;
  };

  // Reads exactly the given text, e.g. an interim "100 Continue" line block.
  std::string ReadHead() {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return {};
    }
    std::string head = buf_.substr(0, end + 4);
    buf_.erase(0, end + 4);
    return head;
  }

  Response ReadResponse(bool head_request = false) {
    Response r;
    std::string head = ReadHead();
    if (head.empty()) return r;
    r.status = std::atoi(head.c_str() + 9);
    std::size_t pos = head.find("\r\n") + 2;
    while (pos < head.size() - 2) {
      std::size_t eol = head.find("\r\n", pos);
      std::string line = head.substr(pos, eol - pos);
      std::size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(c));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
      pos = eol + 2;
    }
    bool no_body = head_request || r.status == 204 || r.status == 304 || r.status / 100 == 1;
    if (no_body) {
      r.ok = true;
    } else if (r.headers.count("content-length")) {
      std::size_t n = std::stoull(r.headers["content-length"]);
      while (buf_.size() < n) {
        if (!Fill()) return r;
      }
      r.body = buf_.substr(0, n);
      buf_.erase(0, n);
      r.ok = true;
    } else if (r.headers["transfer-encoding"] == "chunked") {
      while (true) {
        std::size_t eol;
        while ((eol = buf_.find("\r\n")) == std::string::npos) {
          if (!Fill()) return r;
        }
        std::size_t size = std::stoull(buf_.substr(0, eol), nullptr, 16);
        while (buf_.size() < eol + 2 + size + 2) {
          if (!Fill()) return r;
        }
        r.body += buf_.substr(eol + 2, size);
        buf_.erase(0, eol + 2 + size + 2);
        if (size == 0) break;
      }
      r.ok = true;
    } else {
      while (Fill()) {
      }
      r.body = buf_;
      buf_.clear();
      r.ok = eof_;
    }
    return r;
  }

  int fd() const { return fd_; }
  std::string& buffer() { return buf_; }

 private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

class TestServer {
 public:
  TestServer(Handler handler, ServerOptions options = {}) {
    options.port = 0;
    options.io_threads = options.io_threads ? options.io_threads : 2;
    options.worker_threads = options.worker_threads ? options.worker_threads : 4;
    auto s = Server::Create(options, std::move(handler));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    server_ = std::move(s).value();
    auto p = server_->Start();
    EXPECT_TRUE(p.ok());
    port_ = *p;
  }
  ~TestServer() { server_->Stop(); }
  std::uint16_t port() const { return port_; }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

HttpResponse Echo(HttpRequest& req) {
  HttpResponse r;
  auto body = ReadAll(*req.body, 1 << 20);
  r.body = req.method + " " + req.target + " " + (body.ok() ? *body : "ERR:" + body.error().code);
  r.headers.Add("X-Version", std::to_string(req.version));
  return r;
}

TEST(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestServer s(Echo);
  RawClient c(s.port());
  for (int i = 0; i < 3; ++i) {
    std::string target = "/k" + std::to_string(i) + "?q=1";
    ASSERT_TRUE(c.Send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.ReadResponse();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "GET " + target + " ");
    EXPECT_EQ(r.headers["server"], "Cenote");
    EXPECT_FALSE(r.headers["date"].empty());
    EXPECT_EQ(r.headers.count("connection"), 0u);
  }
}

TEST(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  TestServer s([](HttpRequest& req) {
    // The first request is the slowest: an out-of-order server would answer it last.
    if (req.target == "/1") std::this_thread::sleep_for(100ms);
    return Echo(req);
  });
  RawClient c(s.port());
  std::string batch;
  for (int i = 1; i <= 5; ++i) {
    batch += "POST /" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nab" +
             std::to_string(i);
  }
  ASSERT_TRUE(c.Send(batch));
  for (int i = 1; i <= 5; ++i) {
    auto r = c.ReadResponse();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.body, "POST /" + std::to_string(i) + " ab" + std::to_string(i));
  }
}

TEST(ServerTest, ChunkedUploadWithTrailers) {
  TestServer s([](HttpRequest& req) {
    HttpResponse r;
    if (req.method == "PUT") {
      EXPECT_FALSE(req.body->Length().has_value());
    }
    auto body = ReadAll(*req.body, 1 << 20);
    const Headers* t = req.body->Trailers();
    r.body = (body.ok() ? *body : "ERR") + "|" +
             (t && t->Get("x-amz-checksum-crc32") ? std::string(*t->Get("x-amz-checksum-crc32")) : "none");
    return r;
  });
  RawClient c(s.port());
  ASSERT_TRUE(
      c.Send("PUT /o HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nx-amz-checksum-crc32: abcd==\r\n\r\n"
             "GET /after HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "hello, world|abcd==");
  auto next = c.ReadResponse();
  ASSERT_TRUE(next.ok);
  EXPECT_EQ(next.status, 200);
}

TEST(ServerTest, MalformedChunkedBodyFailsTheRead) {
  TestServer s([](HttpRequest& req) {
    HttpResponse r;
    auto body = ReadAll(*req.body, 1 << 20);
    r.status = body.ok() ? 200 : 400;
    r.body = body.ok() ? "ok" : body.error().code;
    return r;
  });
  RawClient c(s.port());
  ASSERT_TRUE(
      c.Send("PUT /o HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "InvalidRequest");
  EXPECT_EQ(r.headers["connection"], "close");
}

TEST(ServerTest, ExpectContinueSentOnFirstReadOnly) {
  std::atomic<bool> handler_started{false};
  TestServer s([&](HttpRequest& req) {
    handler_started = true;
    std::this_thread::sleep_for(200ms);  // the 100 must not be sent before the handler reads
    return Echo(req);
  });
  RawClient c(s.port());
  ASSERT_TRUE(c.Send("PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  ASSERT_FALSE(c.Fill(100));  // nothing yet
  std::string interim = c.ReadHead();
  EXPECT_TRUE(handler_started);
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.Send("12345"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "PUT /up 12345");
}

HttpResponse DenyOrEcho(HttpRequest& req) {
  if (req.target.rfind("/deny", 0) == 0) {
    HttpResponse r;
    r.status = 403;
    r.body = "denied";
    return r;
  }
  return Echo(req);
}

// botocore sends Expect: 100-continue on every upload, empty ones included, and mishandles a pooled
// connection whose Expect request was answered by a final status alone: the 100 comes first, always.
TEST(ServerTest, ExpectContinueAnsweredForEmptyBodies) {
  TestServer s(Echo);
  RawClient c(s.port());
  for (const char* framing : {"Content-Length: 0\r\n", ""}) {
    ASSERT_TRUE(
        c.Send(std::string("PUT /empty HTTP/1.1\r\nHost: x\r\n") + framing + "Expect: 100-continue\r\n\r\n"));
    EXPECT_EQ(c.ReadHead(), "HTTP/1.1 100 Continue\r\n\r\n");
    auto r = c.ReadResponse();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "PUT /empty ");
    EXPECT_EQ(r.headers.count("connection"), 0u);
  }
  // The same connection then carries an upload that is read, with its own 100.
  ASSERT_TRUE(c.Send("PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(c.ReadHead(), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.Send("abc"));
  auto up = c.ReadResponse();
  ASSERT_TRUE(up.ok);
  EXPECT_EQ(up.body, "PUT /up abc");
  EXPECT_EQ(c.buffer(), "");
}

TEST(ServerTest, ExpectContinueIgnoredForHttp10) {
  TestServer s(Echo);
  RawClient c(s.port());
  ASSERT_TRUE(c.Send("PUT /old HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);  // no interim response: HTTP/1.0 has none
}

TEST(ServerTest, ExpectContinueRejectedEarlyLargeBodyClosesWithout100) {
  TestServer s(DenyOrEcho);
  RawClient c(s.port());
  ASSERT_TRUE(
      c.Send("PUT /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\nExpect: 100-continue\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 403);                     // no "100 Continue": the client is spared the upload...
  EXPECT_EQ(r.headers["connection"], "close");  // ...and the connection ends with it
  EXPECT_TRUE(c.ClosedWithin(5000));
  EXPECT_EQ(c.buffer(), "");
}

TEST(ServerTest, ExpectContinueRejectedEarlyChunkedBodyClosesWithout100) {
  TestServer s(DenyOrEcho);
  RawClient c(s.port());
  ASSERT_TRUE(
      c.Send("PUT /deny HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(c.ClosedWithin(5000));
}

// S3's contract for Expect: 100-continue: a request rejected on its headers gets its final status and
// no 100, so the body is never sent (the s3-tests' test_100_continue reads the first status line).
TEST(ServerTest, ExpectContinueRejectedEarlySmallBodyClosesWithout100) {
  TestServer s(DenyOrEcho);
  RawClient c(s.port());
  ASSERT_TRUE(c.Send("PUT /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 403);  // the first status line is the final one
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(c.ClosedWithin(5000));
  EXPECT_EQ(c.buffer(), "");
}

TEST(ServerTest, ExpectContinueClientThatSentBodyAnywayIsDrained) {
  TestServer s([](HttpRequest& req) {
    if (req.target == "/deny") {
      std::this_thread::sleep_for(100ms);  // the body arrives while the handler decides
      HttpResponse r;
      r.status = 403;
      return r;
    }
    return Echo(req);
  });
  RawClient c(s.port());
  ASSERT_TRUE(c.Send(
      "PUT /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n0123456789"));
  EXPECT_EQ(c.ReadResponse().status, 403);
  ASSERT_TRUE(c.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto next = c.ReadResponse();
  ASSERT_TRUE(next.ok);
  EXPECT_EQ(next.body, "GET /next ");
}

TEST(ServerTest, UnreadSmallBodyIsDrainedLargeBodyClosesConnection) {
  TestServer s([](HttpRequest&) { return HttpResponse{}; });
  RawClient c(s.port());
  ASSERT_TRUE(
      c.Send("PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789GET /b HTTP/1.1\r\nHost: "
             "x\r\n\r\n"));
  auto a = c.ReadResponse();
  auto b = c.ReadResponse();
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_EQ(b.status, 200);
  ASSERT_TRUE(c.Send("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\nxyz"));
  auto big = c.ReadResponse();
  ASSERT_TRUE(big.ok);
  EXPECT_EQ(big.headers["connection"], "close");
  EXPECT_TRUE(c.ClosedWithin(5000));
}

long PeakRssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

TEST(ServerTest, LargeUploadIsStreamedNotBuffered) {
  constexpr std::uint64_t kSize = 200ull << 20;
  std::atomic<std::uint64_t> counted{0};
  TestServer s([&](HttpRequest& req) {
    HttpResponse r;
    EXPECT_EQ(req.body->Length().value_or(0), kSize);
    std::vector<char> buf(256 * 1024);
    std::uint64_t total = 0;
    while (true) {
      auto n = req.body->Read(buf.data(), buf.size());
      if (!n.ok() || *n == 0) break;
      total += *n;
    }
    counted = total;
    r.body = std::to_string(total);
    return r;
  });
  long rss_before = PeakRssKiB();
  RawClient c(s.port());
  ASSERT_TRUE(
      c.Send("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kSize) + "\r\n\r\n"));
  std::string block(1 << 20, 'z');
  for (std::uint64_t sent = 0; sent < kSize; sent += block.size()) ASSERT_TRUE(c.Send(block));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, std::to_string(kSize));
  EXPECT_EQ(counted.load(), kSize);
  // 200 MiB went through; the process' peak memory must not have grown by anything close.
  EXPECT_LT(PeakRssKiB() - rss_before, 32 * 1024);
}

// A file-backed body whose Read() must never be used on plain TCP: it fails, so a correct answer
// proves sendfile(2) carried the bytes.
class FileOnlyBody : public BodySource {
 public:
  FileOnlyBody(int fd, std::uint64_t off, std::uint64_t len) : fd_(fd), off_(off), len_(len) {}
  std::optional<std::uint64_t> Size() const override { return len_; }
  Result<std::size_t> Read(char*, std::size_t) override {
    return InternalError("Read used instead of sendfile");
  }
  std::optional<FileRange> AsFile() const override { return FileRange{fd_, off_, len_}; }

 private:
  int fd_;
  std::uint64_t off_, len_;
};

TEST(ServerTest, FileBodyUsesSendfile) {
  auto path = std::filesystem::temp_directory_path() / ("cenote_http_sendfile_" + std::to_string(::getpid()));
  std::string content(8 << 20, '\0');
  std::mt19937 rng(7);
  for (char& ch : content) ch = static_cast<char>(rng());
  {
    std::ofstream(path, std::ios::binary).write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  TestServer s([&](HttpRequest&) {
    HttpResponse r;
    r.stream = std::make_unique<FileOnlyBody>(fd, 1000, content.size() - 2000);
    return r;
  });
  RawClient c(s.port());
  ASSERT_TRUE(c.Send("GET /f HTTP/1.1\r\nHost: x\r\n\r\nGET /f HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 2; ++i) {
    auto r = c.ReadResponse();
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.body.size(), content.size() - 2000);
    EXPECT_TRUE(r.body == content.substr(1000, content.size() - 2000));
  }
  ::close(fd);
  std::filesystem::remove(path);
}

// Produces `total` bytes in small reads; Size() unknown (chunked) or known; optionally fails.
class CountingBody : public BodySource {
 public:
  CountingBody(std::uint64_t total, bool known, std::uint64_t fail_at = UINT64_MAX)
      : total_(total), known_(known), fail_at_(fail_at) {}
  std::optional<std::uint64_t> Size() const override {
    return known_ ? std::optional<std::uint64_t>(total_) : std::nullopt;
  }
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    if (pos_ >= fail_at_) return InternalError("disk on fire");
    std::size_t c = static_cast<std::size_t>(std::min<std::uint64_t>({n, 10000, total_ - pos_}));
    for (std::size_t i = 0; i < c; ++i) buf[i] = static_cast<char>('a' + (pos_ + i) % 26);
    pos_ += c;
    return c;
  }

 private:
  std::uint64_t total_, pos_ = 0;
  bool known_;
  std::uint64_t fail_at_;
};

TEST(ServerTest, StreamedResponsesChunkedAndSized) {
  TestServer s([](HttpRequest& req) {
    HttpResponse r;
    r.stream = std::make_unique<CountingBody>(123457, req.target == "/sized");
    return r;
  });
  RawClient c(s.port());
  ASSERT_TRUE(c.Send("GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto a = c.ReadResponse();
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.headers["transfer-encoding"], "chunked");
  EXPECT_EQ(a.body.size(), 123457u);
  EXPECT_EQ(a.body.substr(0, 3), "abc");
  ASSERT_TRUE(c.Send("GET /sized HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto b = c.ReadResponse();
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.headers["content-length"], "123457");
  EXPECT_EQ(b.body, a.body);
  // HTTP/1.0 cannot take chunked: the close delimits the body.
  ASSERT_TRUE(c.Send("GET /chunked HTTP/1.0\r\n\r\n"));
  auto old = c.ReadResponse();
  ASSERT_TRUE(old.ok);
  EXPECT_EQ(old.headers["connection"], "close");
  EXPECT_EQ(old.body, a.body);
}

TEST(ServerTest, BodySourceFailureMidBodyClosesConnection) {
  TestServer s([](HttpRequest&) {
    HttpResponse r;
    r.stream = std::make_unique<CountingBody>(1000000, true, 50000);
    return r;
  });
  RawClient c(s.port());
  ASSERT_TRUE(c.Send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.ReadResponse();
  EXPECT_FALSE(r.ok);  // short body, then EOF
  EXPECT_EQ(r.status, 200);
}

TEST(ServerTest, HeadCarriesLengthButNoBodyAnd204HasNoBody) {
  TestServer s([](HttpRequest& req) {
    HttpResponse r;
    if (req.target == "/204") {
      r.status = 204;
      r.body = "must not be sent";
      return r;
    }
    r.head_content_length = 5368709120ull;
    r.body = "ignored for HEAD";
    return r;
  });
  RawClient c(s.port());
  ASSERT_TRUE(
      c.Send("HEAD /obj HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /obj "
             "HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto h = c.ReadResponse(true);
  ASSERT_TRUE(h.ok);
  EXPECT_EQ(h.headers["content-length"], "5368709120");
  auto n = c.ReadResponse();
  ASSERT_TRUE(n.ok);
  EXPECT_EQ(n.status, 204);
  EXPECT_EQ(n.headers.count("content-length"), 0u);
  auto h2 = c.ReadResponse(true);
  ASSERT_TRUE(h2.ok);
  EXPECT_EQ(h2.status, 200);
  EXPECT_FALSE(c.Fill(200));  // no stray body bytes
}

TEST(ServerTest, OversizedHeaderGets431AndClose) {
  ServerOptions o;
  o.max_header_bytes = 4096;
  TestServer s(Echo, o);
  RawClient c(s.port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(c.ClosedWithin(5000));
}

TEST(ServerTest, MalformedRequestsGet400AndServerSurvivesGarbage) {
  TestServer s(Echo);
  for (std::string bad :
       {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "GET / HTTP/1.1\r\n folded\r\n\r\n"}) {
    RawClient c(s.port());
    ASSERT_TRUE(c.Send(bad));
    auto r = c.ReadResponse();
    ASSERT_TRUE(r.ok) << bad;
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.headers["connection"], "close");
    EXPECT_TRUE(c.ClosedWithin(5000));
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    RawClient c(s.port());
    std::string junk(1 + rng() % 2000, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    if (i % 2) junk = "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + junk;
    c.Send(junk + "\r\n\r\n");
    c.ClosedWithin(i % 20 == 0 ? 2000 : 0);
  }
  RawClient ok(s.port());
  ASSERT_TRUE(ok.Send("GET /alive HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(ok.ReadResponse().body, "GET /alive ");
}

TEST(ServerTest, IdleConnectionTimesOut) {
  ServerOptions o;
  o.idle_timeout_seconds = 1;
  TestServer s(Echo, o);
  RawClient idle(s.port());
  RawClient partial(s.port());
  ASSERT_TRUE(partial.Send("GET / HTTP/1.1\r\nHo"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.ClosedWithin(4000));
  EXPECT_TRUE(partial.ClosedWithin(4000));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 800ms);
}

TEST(ServerTest, StalledBodyReadTimesOut) {
  ServerOptions o;
  o.idle_timeout_seconds = 1;
  std::atomic<bool> got_timeout{false};
  TestServer s(
      [&](HttpRequest& req) {
        auto body = ReadAll(*req.body, 1 << 20);
        got_timeout = !body.ok() && body.error().code == "RequestTimeout";
        HttpResponse r;
        r.status = 400;
        return r;
      },
      o);
  RawClient c(s.port());
  ASSERT_TRUE(c.Send("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-a-bit"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(got_timeout);
  EXPECT_EQ(r.headers["connection"], "close");
}

TEST(ServerTest, HandlerExceptionBecomes500) {
  TestServer s([](HttpRequest& req) -> HttpResponse {
    if (req.target == "/throw") throw std::runtime_error("boom");
    return Echo(req);
  });
  RawClient c(s.port());
  ASSERT_TRUE(c.Send("GET /throw HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c.ReadResponse().status, 500);
  EXPECT_EQ(c.ReadResponse().body, "GET /ok ");
}

TEST(ServerTest, Http10ClosesUnlessKeepAlive) {
  TestServer s(Echo);
  RawClient c(s.port());
  ASSERT_TRUE(c.Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto a = c.ReadResponse();
  EXPECT_EQ(a.headers["connection"], "keep-alive");
  EXPECT_EQ(a.headers["x-version"], "10");
  ASSERT_TRUE(c.Send("GET /b HTTP/1.0\r\n\r\n"));
  auto b = c.ReadResponse();
  EXPECT_EQ(b.body, "GET /b ");
  EXPECT_EQ(b.headers["connection"], "close");
  EXPECT_TRUE(c.ClosedWithin(5000));
}

ServerOptions SmallOptions() {
  ServerOptions o;
  o.port = 0;
  o.io_threads = 1;
  o.worker_threads = 2;
  return o;
}

TEST(ServerTest, StopClosesIdleConnectionsAndWaitReturns) {
  auto s = Server::Create(SmallOptions(), Echo);
  ASSERT_TRUE(s.ok());
  auto server = std::move(s).value();
  auto port = server->Start();
  ASSERT_TRUE(port.ok());
  RawClient c(*port);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.ReadResponse().ok);
  RawClient never_spoke(*port);
  std::thread waiter([&] { server->Wait(); });
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] { server->Stop(); });
  stopper.join();
  waiter.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(c.ClosedWithin(1000));
  EXPECT_TRUE(never_spoke.ClosedWithin(1000));
  server->Stop();  // idempotent
}

TEST(ServerTest, StopLetsInFlightRequestFinish) {
  auto s = Server::Create(SmallOptions(), [](HttpRequest& req) {
    std::this_thread::sleep_for(300ms);
    return Echo(req);
  });
  ASSERT_TRUE(s.ok());
  auto server = std::move(s).value();
  auto port = server->Start();
  ASSERT_TRUE(port.ok());
  RawClient c(*port);
  ASSERT_TRUE(c.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(100ms);
  server->Stop();
  auto r = c.ReadResponse();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "GET /slow ");
  EXPECT_EQ(r.headers["connection"], "close");
}

TEST(TlsTest, GeneratedCertificateRoundTrip) {
  auto dir = std::filesystem::temp_directory_path() / ("cenote_http_tls_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  Status st =
      GenerateSelfSignedCertificate(cert, key, {"localhost", "127.0.0.1", "*.localhost", "::1", "127.0.0.1"});
  ASSERT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  struct stat sb {};
  ASSERT_EQ(::stat(key.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);

  ServerOptions o;
  o.tls_cert_file = cert;
  o.tls_key_file = key;
  TestServer s(
      [](HttpRequest& req) {
        HttpResponse r;
        auto body = ReadAll(*req.body, 1 << 24);
        r.body = std::string(req.tls ? "tls:" : "plain:") + std::to_string(body.ok() ? body->size() : 0);
        if (req.target == "/stream") r.stream = std::make_unique<CountingBody>(300000, false);
        return r;
      },
      o);

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(SSL_CTX_load_verify_locations(ctx, cert.c_str(), nullptr), 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);  // also prove 1.2 is accepted
  RawClient tcp(s.port());
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, tcp.fd());
  SSL_set1_host(ssl, "127.0.0.1");
  ASSERT_EQ(SSL_connect(ssl), 1) << ERR_error_string(ERR_get_error(), nullptr);
  EXPECT_EQ(SSL_get_verify_result(ssl), X509_V_OK);

  auto roundtrip = [&](const std::string& req) {
    EXPECT_EQ(SSL_write(ssl, req.data(), static_cast<int>(req.size())), static_cast<int>(req.size()));
    std::string got;
    char buf[65536];
    // Read until the chunked terminator or a full Content-Length body.
    while (true) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
      std::size_t he = got.find("\r\n\r\n");
      if (he == std::string::npos) continue;
      auto cl = got.find("Content-Length: ");
      if (cl != std::string::npos && cl < he) {
        if (got.size() >= he + 4 + std::stoull(got.substr(cl + 16))) break;
      } else if (got.size() >= 5 && got.compare(got.size() - 5, 5, "0\r\n\r\n") == 0) {
        break;
      }
    }
    return got;
  };
  std::string upload(1 << 20, 'u');
  std::string a = roundtrip("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(upload.size()) +
                            "\r\n\r\n" + upload);
  EXPECT_NE(a.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(a.find("tls:1048576"), std::string::npos);
  std::string b = roundtrip("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(b.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_GT(b.size(), 300000u);
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  std::filesystem::remove_all(dir);
}

TEST(ServerTest, CreateRejectsMissingTlsKey) {
  ServerOptions o;
  o.tls_cert_file = "/nonexistent/cert.pem";
  auto s = Server::Create(o, Echo);
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace cenote::http
