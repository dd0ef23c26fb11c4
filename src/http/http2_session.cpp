// HTTP/2 server session on nghttp2. See http2_session.hpp for the threading contract.
//
// Ownership: the session is shared by its strand callbacks (async waits, posted tasks) and by the
// workers running its streams' handlers. Each Stream is shared by the session's stream table (until
// nghttp2 closes it) and by the worker serving it. Stream fields marked "strand" are touched only on
// the strand; fields marked "mu" only under Stream::mu (the worker and the strand both use them).
#include "http/http2_session.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/mutex.hpp"
#include "http/server.hpp"

namespace cenote::http {

namespace asio = boost::asio;

namespace {

constexpr std::uint32_t kMaxConcurrentStreams = 100;
// Per-stream and connection receive windows. Window is returned only as handlers read, so these
// bound the request bytes buffered per stream and per connection; 4 MiB keeps a loopback upload
// from stalling on WINDOW_UPDATE round trips.
constexpr std::int32_t kStreamWindow = 4 << 20;
constexpr std::int32_t kConnectionWindow = 16 << 20;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kMaxReadsPerTurn = 16;  // then yield the strand to the connection's other work
// Stop reading the socket while this much output waits for the peer (it is not reading).
constexpr std::size_t kOutHighWater = 512 * 1024;
// Response bytes queued per stream between the worker pumping its BodySource and nghttp2.
constexpr std::size_t kStreamOutLimit = 256 * 1024;
constexpr std::size_t kPumpChunk = 64 * 1024;
// Window is returned in batches of this size (or when the reader is about to wait).
constexpr std::size_t kConsumeBatch = 256 * 1024;
// Handlers of one connection that may be queued or running at once. Streams a client resets stay
// with their handler until it returns, so without this bound a client opening and resetting streams
// (CVE-2023-44487, "rapid reset") could queue unbounded work on the shared pool.
constexpr int kMaxHandlersPerConnection = 2 * kMaxConcurrentStreams;

Error TimeoutError() {
  return MakeError("RequestTimeout",
                   "Your socket connection to the server was not read from or written to within the "
                   "timeout period.",
                   400);
}
Error IncompleteBodyError() {
  return MakeError("IncompleteBody",
                   "You did not provide the number of bytes specified by the Content-Length HTTP header.",
                   400);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 9113 8.2.2: connection-specific fields must not appear in HTTP/2 messages.
bool IsConnectionSpecific(std::string_view lower_name) {
  return lower_name == "connection" || lower_name == "keep-alive" || lower_name == "proxy-connection" ||
         lower_name == "transfer-encoding" || lower_name == "upgrade";
}

bool ParseDecimal(std::string_view s, std::uint64_t& out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty() || s.size() > 18) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

struct Stream {
  explicit Stream(std::int32_t stream_id) : id(stream_id) {}
  const std::int32_t id;

  // strand: the request head, until dispatched.
  std::string method, path, authority;
  Headers headers;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
  bool request_complete = false;  // END_STREAM received
  bool handler_done = false;      // the handler no longer reads: DATA is discarded at once

  Mutex mu;
  CondVar cv{mu};
  // Request body, filled by the strand, drained by the handler.
  std::deque<std::string> in GUARDED_BY(mu);
  std::size_t in_off GUARDED_BY(mu) = 0;  // consumed bytes of in.front()
  std::size_t in_bytes GUARDED_BY(mu) = 0;
  bool in_eof GUARDED_BY(mu) = false;
  Headers trailers GUARDED_BY(mu);
  std::size_t trailer_bytes GUARDED_BY(mu) = 0;
  bool closed GUARDED_BY(mu) =
      false;  // nghttp2 closed the stream (reset, or done) or the connection went away
  // Response body, filled by the worker, drained by the data provider.
  std::deque<std::string> out GUARDED_BY(mu);
  std::size_t out_off GUARDED_BY(mu) = 0;
  std::size_t out_bytes GUARDED_BY(mu) = 0;
  bool out_eof GUARDED_BY(mu) = false;
  bool out_failed GUARDED_BY(mu) = false;
  bool deferred GUARDED_BY(mu) =
      false;  // the data provider returned NGHTTP2_ERR_DEFERRED and awaits a resume
};

struct ResponseHead {
  std::vector<std::pair<std::string, std::string>> fields;  // ":status" first
  bool has_body = false;
  std::optional<std::uint64_t> length;  // body bytes promised by content-length
};

class Http2SessionImpl final : public Http2Session, public std::enable_shared_from_this<Http2SessionImpl> {
 public:
  Http2SessionImpl(std::shared_ptr<Http2Transport> transport, asio::any_io_executor executor,
                   const Handler& handler, const ServerOptions& options)
      : transport_(std::move(transport)),
        executor_(executor),
        timer_(executor),
        handler_(handler),
        options_(options),
        timeout_ms_(options.idle_timeout_seconds > 0 ? options.idle_timeout_seconds * 1000 : -1) {}

  ~Http2SessionImpl() override {
    if (session_) nghttp2_session_del(session_);
  }

  void Start(std::string initial) override;
  void Shutdown() override;

  // ---- Called from workers (any thread) ----
  void RunHandler(const std::shared_ptr<Stream>& stream, bool tls, const std::string& remote);
  void Post(std::function<void()> task) { asio::post(executor_, std::move(task)); }
  int timeout_ms() const { return timeout_ms_; }

 private:
  friend class Http2BodyReader;

  // ---- nghttp2 callbacks (strand, inside mem_recv/mem_send) ----
  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t flags, void* user);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id, const uint8_t* data, size_t len,
                         void* user);
  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user);
  static ssize_t ReadResponseData(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                                  uint32_t* data_flags, nghttp2_data_source* source, void* user);

  // ---- Strand ----
  Stream* FindStream(std::int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_, id));
  }
  void Feed(const char* data, std::size_t n);
  void DoRead();
  void StartRead();
  void Flush();
  void ArmTimer();
  void OnTimer();
  void Close();
  void Dispatch(const std::shared_ptr<Stream>& stream);
  void EndRequestBody(Stream& stream);
  void SubmitResponse(const std::shared_ptr<Stream>& stream, const ResponseHead& head);
  void SubmitSimpleResponse(const std::shared_ptr<Stream>& stream, int status);
  void ResumeData(std::int32_t id);
  void Consume(std::int32_t id, std::size_t n);
  void SubmitContinue(const std::shared_ptr<Stream>& stream);

  // ---- Worker ----
  ResponseHead BuildResponseHead(const std::string& method, HttpResponse& response);
  void PumpBody(const std::shared_ptr<Stream>& stream, HttpResponse& response, const ResponseHead& head);
  // Queues response bytes (blocking while the stream's queue is full). False when the stream is gone.
  bool PushOut(const std::shared_ptr<Stream>& stream, std::string data, bool eof, bool failed);

  std::shared_ptr<Http2Transport> transport_;
  asio::any_io_executor executor_;
  asio::steady_timer timer_;
  const Handler& handler_;
  const ServerOptions& options_;
  const int timeout_ms_;

  // strand
  nghttp2_session* session_ = nullptr;
  std::unordered_map<std::int32_t, std::shared_ptr<Stream>> streams_;
  std::string out_;
  std::size_t out_pos_ = 0;
  bool read_armed_ = false;  // a read wait or a posted DoRead is pending
  bool read_paused_ = false;
  bool write_waiting_ = false;
  bool closed_ = false;
  bool shutting_down_ = false;
  int handlers_running_ = 0;
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_write_progress_ = std::chrono::steady_clock::now();
};

// The request body of one stream, read by the handler on its worker.
class Http2BodyReader final : public BodyReader {
 public:
  Http2BodyReader(std::shared_ptr<Http2SessionImpl> session, std::shared_ptr<Stream> stream,
                  std::optional<std::uint64_t> length, bool expect_continue)
      : session_(std::move(session)),
        stream_(std::move(stream)),
        length_(length),
        expect_continue_(expect_continue) {}

  ~Http2BodyReader() override {
    // The handler is done with the body: give back the window for what it read and, on the strand
    // (the only writer of the queue), discard and give back what is queued; later DATA is discarded as
    // it arrives. The connection's window never leaks.
    session_->Post([session = session_, stream = stream_, read = pending_consume_] {
      stream->handler_done = true;
      std::size_t unread = 0;
      {
        MutexLock lock(stream->mu);
        unread = stream->in_bytes;
        stream->in.clear();
        stream->in_off = 0;
        stream->in_bytes = 0;
      }
      session->Consume(stream->id, read + unread);
    });
  }

  Result<std::size_t> Read(char* buf, std::size_t n) override {
    if (failed_) return *failed_;
    if (done_ || n == 0) return std::size_t{0};
    if (expect_continue_) {
      expect_continue_ = false;
      session_->Post([session = session_, stream = stream_] { session->SubmitContinue(stream); });
    }
    Stream& s = *stream_;
    MutexLock lock(s.mu);
    if (s.in_bytes == 0 && !s.in_eof && !s.closed && pending_consume_ > 0) {
      // About to wait: the peer may be blocked on exactly the window we have not returned yet.
      FlushConsume();
    }
    auto ready = [&s]() EXCLUSIVE_LOCKS_REQUIRED(s.mu) { return s.in_bytes > 0 || s.in_eof || s.closed; };
    if (session_->timeout_ms() < 0) {
      while (!ready()) s.cv.Wait(lock);
    } else if (!s.cv.WaitUntil(
                   lock, std::chrono::steady_clock::now() + std::chrono::milliseconds(session_->timeout_ms()),
                   ready)) {
      failed_ = TimeoutError();
      return *failed_;
    }
    if (s.in_bytes > 0) {
      std::size_t copied = 0;
      while (copied < n && !s.in.empty()) {
        std::string& front = s.in.front();
        std::size_t take = std::min(n - copied, front.size() - s.in_off);
        std::memcpy(buf + copied, front.data() + s.in_off, take);
        copied += take;
        s.in_off += take;
        if (s.in_off == front.size()) {
          s.in.pop_front();
          s.in_off = 0;
        }
      }
      s.in_bytes -= copied;
      pending_consume_ += copied;
      if (pending_consume_ >= kConsumeBatch) FlushConsume();
      return copied;
    }
    if (s.in_eof) {
      done_ = true;
      return std::size_t{0};
    }
    failed_ = IncompleteBodyError();  // reset by the peer, or the connection closed
    return *failed_;
  }

  std::optional<std::uint64_t> Length() const override { return length_; }
  const Headers* Trailers() const override { return done_ ? &stream_->trailers : nullptr; }

 private:
  void FlushConsume() {
    std::size_t n = pending_consume_;
    pending_consume_ = 0;
    session_->Post([session = session_, id = stream_->id, n] { session->Consume(id, n); });
  }

  std::shared_ptr<Http2SessionImpl> session_;
  std::shared_ptr<Stream> stream_;
  std::optional<std::uint64_t> length_;
  bool expect_continue_;
  bool done_ = false;
  std::optional<Error> failed_;
  std::size_t pending_consume_ = 0;
};

// ---- Setup ----

void Http2SessionImpl::Start(std::string initial) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &OnFrameRecv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &OnFrameSend);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &OnStreamClose);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  int rv = nghttp2_session_server_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) {
    spdlog::error("http2: cannot create a session: {}", nghttp2_strerror(rv));
    session_ = nullptr;
    Close();
    return;
  }
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(options_.max_header_bytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  if (!initial.empty()) Feed(initial.data(), initial.size());
  if (closed_) return;
  Flush();
  if (closed_) return;
  ArmTimer();
  StartRead();
}

void Http2SessionImpl::Shutdown() {
  if (closed_ || shutting_down_) return;
  shutting_down_ = true;
  // Graceful: streams up to the last one processed complete; newer ones are refused by the GOAWAY.
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                        NGHTTP2_NO_ERROR, nullptr, 0);
  Flush();
}

// ---- Socket I/O (strand) ----

void Http2SessionImpl::Feed(const char* data, std::size_t n) {
  last_activity_ = std::chrono::steady_clock::now();
  ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), n);
  if (rv < 0) {
    // Fatal (bad preface, flooding, ...). nghttp2 already answered protocol errors it can with
    // GOAWAY; try to send what is queued once, then drop the connection.
    spdlog::debug("http2: closing {}: {}", transport_->RemoteAddress(),
                  nghttp2_strerror(static_cast<int>(rv)));
    const uint8_t* p = nullptr;
    ssize_t m;
    while ((m = nghttp2_session_mem_send(session_, &p)) > 0) out_.append(reinterpret_cast<const char*>(p), m);
    if (out_.size() > out_pos_)
      (void)transport_->WriteNonBlocking(out_.data() + out_pos_, out_.size() - out_pos_);
    Close();
  }
}

void Http2SessionImpl::StartRead() {
  if (read_armed_ || closed_) return;
  read_armed_ = true;
  Post([self = shared_from_this()] {
    self->read_armed_ = false;
    self->DoRead();
  });
}

void Http2SessionImpl::DoRead() {
  if (closed_ || read_armed_) return;
  char buf[kReadChunk];
  for (int i = 0; i < kMaxReadsPerTurn; ++i) {
    if (out_.size() - out_pos_ >= kOutHighWater) {
      read_paused_ = true;  // Flush resumes reading once the peer takes our output
      return;
    }
    if (!nghttp2_session_want_read(session_)) return;
    ssize_t n = transport_->ReadNonBlocking(buf, sizeof(buf));
    if (n > 0) {
      Feed(buf, static_cast<std::size_t>(n));
      if (closed_) return;
      Flush();
      if (closed_) return;
      continue;
    }
    if (n == 0 || n == Http2Transport::kIoError) return Close();
    read_armed_ = true;
    transport_->AsyncWait(false, [self = shared_from_this()](bool ok) {
      self->read_armed_ = false;
      if (!ok) return self->Close();
      self->DoRead();
    });
    return;
  }
  StartRead();  // more may be buffered: continue after other work queued on the strand
}

void Http2SessionImpl::Flush() {
  if (closed_ || write_waiting_) return;
  while (true) {
    while (out_.size() - out_pos_ < kOutHighWater) {
      const uint8_t* p = nullptr;
      ssize_t n = nghttp2_session_mem_send(session_, &p);
      if (n < 0) {
        spdlog::debug("http2: send failed: {}", nghttp2_strerror(static_cast<int>(n)));
        return Close();
      }
      if (n == 0) break;
      if (out_pos_ == out_.size()) {
        out_.clear();
        out_pos_ = 0;
      } else if (out_pos_ > kOutHighWater) {
        out_.erase(0, out_pos_);
        out_pos_ = 0;
      }
      out_.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
    }
    if (out_pos_ == out_.size()) break;
    ssize_t w = transport_->WriteNonBlocking(out_.data() + out_pos_, out_.size() - out_pos_);
    if (w > 0) {
      out_pos_ += static_cast<std::size_t>(w);
      last_write_progress_ = last_activity_ = std::chrono::steady_clock::now();
      continue;
    }
    if (w == Http2Transport::kWouldBlock) {
      write_waiting_ = true;
      transport_->AsyncWait(true, [self = shared_from_this()](bool ok) {
        self->write_waiting_ = false;
        if (!ok) return self->Close();
        self->last_write_progress_ = std::chrono::steady_clock::now();
        self->Flush();
      });
      return;
    }
    return Close();
  }
  out_.clear();
  out_pos_ = 0;
  if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) return Close();
  if (read_paused_) {
    read_paused_ = false;
    StartRead();
  }
}

void Http2SessionImpl::ArmTimer() {
  if (timeout_ms_ < 0 || closed_) return;
  timer_.expires_after(std::chrono::milliseconds(std::min(timeout_ms_, 1000)));
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    self->OnTimer();
  });
}

void Http2SessionImpl::OnTimer() {
  if (closed_) return;
  auto now = std::chrono::steady_clock::now();
  auto limit = std::chrono::milliseconds(timeout_ms_);
  if (out_pos_ < out_.size() && now - last_write_progress_ >= limit) {
    spdlog::debug("http2: {} stopped reading; closing", transport_->RemoteAddress());
    return Close();
  }
  if (streams_.empty() && now - last_activity_ >= limit) {
    // Idle: tell the client (so it does not reuse the connection) and close.
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
    Flush();  // closes once the GOAWAY is out
    if (closed_) return;
  }
  ArmTimer();
}

void Http2SessionImpl::Close() {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  for (auto& [id, stream] : streams_) {
    MutexLock lock(stream->mu);
    stream->closed = true;
    stream->cv.SignalAll();
  }
  streams_.clear();
  if (session_) {
    nghttp2_session_del(session_);
    session_ = nullptr;
  }
  transport_->Close();
}

// ---- nghttp2 callbacks ----

int Http2SessionImpl::OnBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Http2SessionImpl*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto stream = std::make_shared<Stream>(frame->hd.stream_id);
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream.get());
  self->streams_[frame->hd.stream_id] = std::move(stream);
  return 0;
}

int Http2SessionImpl::OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                               size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* user) {
  auto* self = static_cast<Http2SessionImpl*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  Stream* stream = self->FindStream(frame->hd.stream_id);
  if (!stream) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  const std::size_t limit = self->options_.max_header_bytes;
  if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    // Counted as SETTINGS_MAX_HEADER_LIST_SIZE is (RFC 9113 6.5.2): name + value + 32 per field.
    stream->header_bytes += namelen + valuelen + 32;
    if (stream->header_bytes > limit) stream->headers_too_large = true;
    if (stream->headers_too_large) return 0;
    if (n == ":method") {
      stream->method.assign(v);
    } else if (n == ":path") {
      stream->path.assign(v);
    } else if (n == ":authority") {
      stream->authority.assign(v);
    } else if (!n.empty() && n.front() != ':') {
      stream->headers.Add(std::string(n), std::string(v));
    }
    return 0;
  }
  // Trailers.
  MutexLock lock(stream->mu);
  stream->trailer_bytes += namelen + valuelen + 32;
  if (stream->trailer_bytes <= limit && (n.empty() || n.front() != ':')) {
    stream->trailers.Add(std::string(n), std::string(v));
  }
  return 0;
}

int Http2SessionImpl::OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Http2SessionImpl*>(user);
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      Stream* stream = self->FindStream(frame->hd.stream_id);
      if (!stream) break;
      if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        if (end_stream) {
          stream->request_complete = true;
          MutexLock lock(stream->mu);  // not shared yet (no worker has the stream): uncontended
          stream->in_eof = true;
        }
        auto it = self->streams_.find(frame->hd.stream_id);
        if (it != self->streams_.end()) self->Dispatch(it->second);
      } else if (end_stream) {
        self->EndRequestBody(*stream);
      }
      break;
    }
    case NGHTTP2_DATA: {
      Stream* stream = self->FindStream(frame->hd.stream_id);
      if (stream && end_stream) self->EndRequestBody(*stream);
      break;
    }
    default:
      break;
  }
  return 0;
}

int Http2SessionImpl::OnFrameSend(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<Http2SessionImpl*>(user);
  if ((frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) ||
      !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
    return 0;
  }
  Stream* stream = self->FindStream(frame->hd.stream_id);
  if (stream && !stream->request_complete) {
    // The response is complete but the client is still uploading a body nobody reads: stop it
    // (RFC 9113 8.1: a server may answer before the request is complete, then RST_STREAM NO_ERROR).
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
  }
  return 0;
}

int Http2SessionImpl::OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                                  size_t len, void* user) {
  auto* self = static_cast<Http2SessionImpl*>(user);
  Stream* stream = self->FindStream(stream_id);
  if (stream && !stream->handler_done) {
    MutexLock lock(stream->mu);
    if (!stream->closed) {
      stream->in.emplace_back(reinterpret_cast<const char*>(data), len);
      stream->in_bytes += len;
      stream->cv.SignalAll();
      return 0;
    }
  }
  nghttp2_session_consume(session, stream_id, len);  // nobody will read it
  return 0;
}

int Http2SessionImpl::OnStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t error_code,
                                    void* user) {
  auto* self = static_cast<Http2SessionImpl*>(user);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return 0;
  std::shared_ptr<Stream> stream = std::move(it->second);
  self->streams_.erase(it);
  std::size_t unread = 0;
  {
    MutexLock lock(stream->mu);
    stream->closed = true;
    unread = stream->in_bytes;
    stream->in.clear();
    stream->in_off = 0;
    stream->in_bytes = 0;
    stream->out.clear();
    stream->out_bytes = 0;
    stream->cv.SignalAll();
  }
  // The stream is gone, so its window no longer matters, but the connection's does.
  if (unread > 0) nghttp2_session_consume_connection(session, unread);
  if (error_code != NGHTTP2_NO_ERROR) {
    spdlog::debug("http2: stream {} of {} closed with error {}", stream_id, self->transport_->RemoteAddress(),
                  nghttp2_http2_strerror(error_code));
  }
  return 0;
}

ssize_t Http2SessionImpl::ReadResponseData(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                           uint32_t* data_flags, nghttp2_data_source* source, void*) {
  auto* stream = static_cast<Stream*>(source->ptr);
  MutexLock lock(stream->mu);
  if (stream->out_failed) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM INTERNAL_ERROR
  std::size_t copied = 0;
  while (copied < length && !stream->out.empty()) {
    std::string& front = stream->out.front();
    std::size_t take = std::min(length - copied, front.size() - stream->out_off);
    std::memcpy(buf + copied, front.data() + stream->out_off, take);
    copied += take;
    stream->out_off += take;
    if (stream->out_off == front.size()) {
      stream->out.pop_front();
      stream->out_off = 0;
    }
  }
  stream->out_bytes -= copied;
  if (copied > 0) stream->cv.SignalAll();  // room for the pumping worker
  if (stream->out_bytes == 0 && stream->out_eof) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(copied);
  }
  if (copied > 0) return static_cast<ssize_t>(copied);
  stream->deferred = true;
  return NGHTTP2_ERR_DEFERRED;
}

// ---- Streams (strand) ----

void Http2SessionImpl::Dispatch(const std::shared_ptr<Stream>& stream) {
  if (stream->headers_too_large) return SubmitSimpleResponse(stream, 431);
  // CONNECT (the only request nghttp2 lets through without :path) is not something we serve.
  if (stream->path.empty() || stream->path.front() != '/') return SubmitSimpleResponse(stream, 400);
  if (shutting_down_ || transport_->Stopping() || handlers_running_ >= kMaxHandlersPerConnection) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream->id, NGHTTP2_REFUSED_STREAM);
    return;
  }
  // SigV4 needs the authority under the name the client signed: most SDKs sign `host` (and HTTP/1.1
  // semantics make :authority the host, RFC 9113 8.3.1), while the JS SDK v3 over HTTP/2 lists
  // ":authority" itself in SignedHeaders. Expose both; a client cannot forge either (nghttp2 rejects
  // unknown pseudo-header names, HTTP/1.1 field names cannot contain ':').
  if (!stream->authority.empty()) {
    if (!stream->headers.Has("host")) stream->headers.Add("host", stream->authority);
    stream->headers.Add(":authority", stream->authority);
  }
  ++handlers_running_;
  transport_->PostWork([self = shared_from_this(), stream, tls = transport_->Tls(),
                        remote = transport_->RemoteAddress()] { self->RunHandler(stream, tls, remote); });
}

void Http2SessionImpl::EndRequestBody(Stream& stream) {
  stream.request_complete = true;
  MutexLock lock(stream.mu);
  stream.in_eof = true;
  stream.cv.SignalAll();
}

void Http2SessionImpl::SubmitSimpleResponse(const std::shared_ptr<Stream>& stream, int status) {
  std::string body =
      status == 431 ? "431 Request Header Fields Too Large\n" : std::to_string(status) + " Bad Request\n";
  ResponseHead head;
  head.fields = {{":status", std::to_string(status)},
                 {"content-type", "text/plain"},
                 {"content-length", std::to_string(body.size())},
                 {"date", HttpDate()},
                 {"server", "Cenote"}};
  head.has_body = true;
  {
    MutexLock lock(stream->mu);
    stream->out.push_back(std::move(body));
    stream->out_bytes = stream->out.back().size();
    stream->out_eof = true;
  }
  stream->handler_done = true;
  SubmitResponse(stream, head);
}

void Http2SessionImpl::SubmitResponse(const std::shared_ptr<Stream>& stream, const ResponseHead& head) {
  if (closed_ || streams_.find(stream->id) == streams_.end()) return;  // reset meanwhile
  std::vector<nghttp2_nv> nva;
  nva.reserve(head.fields.size());
  for (const auto& [name, value] : head.fields) {
    nva.push_back(nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                             reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                             value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = stream.get();
  provider.read_callback = &ReadResponseData;
  int rv = nghttp2_submit_response(session_, stream->id, nva.data(), nva.size(),
                                   head.has_body ? &provider : nullptr);
  if (rv != 0) {
    spdlog::warn("http2: cannot submit the response on stream {}: {}", stream->id, nghttp2_strerror(rv));
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream->id, NGHTTP2_INTERNAL_ERROR);
  }
  Flush();
}

void Http2SessionImpl::SubmitContinue(const std::shared_ptr<Stream>& stream) {
  if (closed_ || streams_.find(stream->id) == streams_.end() || stream->request_complete) return;
  static const char kStatus[] = ":status";
  static const char k100[] = "100";
  nghttp2_nv nv{reinterpret_cast<uint8_t*>(const_cast<char*>(kStatus)),
                reinterpret_cast<uint8_t*>(const_cast<char*>(k100)), sizeof(kStatus) - 1, sizeof(k100) - 1,
                NGHTTP2_NV_FLAG_NONE};
  nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, stream->id, nullptr, &nv, 1, nullptr);
  Flush();
}

void Http2SessionImpl::ResumeData(std::int32_t id) {
  if (closed_ || streams_.find(id) == streams_.end()) return;
  nghttp2_session_resume_data(session_, id);
  Flush();
}

void Http2SessionImpl::Consume(std::int32_t id, std::size_t n) {
  if (closed_ || n == 0) return;
  nghttp2_session_consume(session_, id, n);
  Flush();
}

// ---- Worker ----

void Http2SessionImpl::RunHandler(const std::shared_ptr<Stream>& stream, bool tls,
                                  const std::string& remote) {
  HttpRequest request;
  request.method = std::move(stream->method);
  request.target = std::move(stream->path);
  request.headers = std::move(stream->headers);
  request.version = 20;
  request.tls = tls;
  request.remote_address = remote;
  std::optional<std::uint64_t> length;
  bool empty_body;
  {
    MutexLock lock(stream->mu);
    empty_body = stream->in_eof && stream->in_bytes == 0;
  }
  if (auto cl = request.headers.Get("content-length")) {
    std::uint64_t v = 0;
    if (ParseDecimal(*cl, v)) length = v;
  }
  if (!length && empty_body) length = 0;
  bool expect_continue = false;
  if (auto e = request.headers.Get("expect")) {
    expect_continue = EqualsIgnoreAsciiCase(*e, "100-continue") && !empty_body;
  }
  request.body = std::make_unique<Http2BodyReader>(shared_from_this(), stream, length, expect_continue);

  HttpResponse response;
  try {
    response = handler_(request);
  } catch (const std::exception& e) {
    spdlog::error("http2: handler threw on {} {}: {}", request.method, request.target, e.what());
    response = HttpResponse{};
    response.status = 500;
    response.body = "Internal Server Error\n";
  } catch (...) {
    spdlog::error("http2: handler threw a non-exception on {} {}", request.method, request.target);
    response = HttpResponse{};
    response.status = 500;
    response.body = "Internal Server Error\n";
  }
  request.body.reset();

  ResponseHead head = BuildResponseHead(request.method, response);
  if (head.has_body && !response.stream) {
    // In-memory body: queue it before the HEADERS go out, so the first DATA frames follow at once.
    PushOut(stream, std::move(response.body), true, false);
  }
  Post([self = shared_from_this(), stream, head] {
    --self->handlers_running_;
    self->SubmitResponse(stream, head);
  });
  if (head.has_body && response.stream) PumpBody(stream, response, head);
}

ResponseHead Http2SessionImpl::BuildResponseHead(const std::string& method, HttpResponse& resp) {
  ResponseHead head;
  const int status = resp.status < 200 || resp.status > 999 ? 500 : resp.status;
  const bool is_head = method == "HEAD";
  const bool bodiless_status = status == 204 || status == 304;
  std::optional<std::uint64_t> length = resp.stream ? resp.stream->Size() : std::optional(resp.body.size());
  std::optional<std::uint64_t> declared;
  head.fields.emplace_back(":status", std::to_string(status));
  bool has_date = false, has_server = false;
  for (const Headers::Entry& e : resp.headers) {
    std::string name = Lower(e.name);
    if (name.empty() || name.front() == ':' || IsConnectionSpecific(name)) continue;
    if (name == "content-length") {
      std::uint64_t v = 0;
      if (ParseDecimal(e.value, v)) declared = v;
      continue;
    }
    if (name == "date") has_date = true;
    if (name == "server") has_server = true;
    std::string value = e.value;
    // CR, LF and NUL are invalid in field values (RFC 9113 8.2.1); a handler echoing client input
    // must not break the framing.
    for (char& c : value) {
      if (c == '\r' || c == '\n' || c == '\0') c = ' ';
    }
    head.fields.emplace_back(std::move(name), std::move(value));
  }
  if (!has_date) head.fields.emplace_back("date", HttpDate());
  if (!has_server) head.fields.emplace_back("server", "Cenote");
  if (is_head) {
    std::optional<std::uint64_t> cl = resp.head_content_length;
    if (!cl) cl = declared;
    if (!cl && (resp.stream ? length.has_value() : !resp.body.empty())) cl = length;
    if (cl && !bodiless_status) head.fields.emplace_back("content-length", std::to_string(*cl));
  } else if (!bodiless_status) {
    if (length) head.fields.emplace_back("content-length", std::to_string(*length));
    head.length = length;
    head.has_body = resp.stream ? true : !resp.body.empty();
    // A zero-length stream still needs END_STREAM: send it with the HEADERS.
    if (resp.stream && length && *length == 0) head.has_body = false;
  }
  return head;
}

void Http2SessionImpl::PumpBody(const std::shared_ptr<Stream>& stream, HttpResponse& response,
                                const ResponseHead& head) {
  BodySource& src = *response.stream;
  std::uint64_t sent = 0;
  while (true) {
    std::string chunk;
    chunk.resize(kPumpChunk);
    Result<std::size_t> n = src.Read(chunk.data(), chunk.size());
    if (!n) {
      spdlog::warn("http2: response body read failed on stream {}: {}", stream->id, n.error().message);
      PushOut(stream, {}, false, true);
      return;
    }
    if (*n == 0) {
      if (head.length && sent != *head.length) {
        spdlog::warn("http2: response body shorter than its declared size on stream {}", stream->id);
        PushOut(stream, {}, false, true);
        return;
      }
      PushOut(stream, {}, true, false);
      return;
    }
    sent += *n;
    if (head.length && sent > *head.length) {
      spdlog::warn("http2: response body longer than its declared size on stream {}", stream->id);
      PushOut(stream, {}, false, true);
      return;
    }
    chunk.resize(*n);
    // Event streams write small messages: do not keep a 64 KiB buffer queued for each.
    if (*n < kPumpChunk / 4) chunk.shrink_to_fit();
    if (!PushOut(stream, std::move(chunk), false, false)) return;
  }
}

bool Http2SessionImpl::PushOut(const std::shared_ptr<Stream>& stream, std::string data, bool eof,
                               bool failed) {
  bool resume = false;
  {
    Stream& s = *stream;
    MutexLock lock(s.mu);
    auto room = [&s]() EXCLUSIVE_LOCKS_REQUIRED(s.mu) { return s.closed || s.out_bytes < kStreamOutLimit; };
    if (timeout_ms_ < 0) {
      while (!room()) s.cv.Wait(lock);
    } else if (!s.cv.WaitUntil(
                   lock, std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_), room)) {
      // The client stopped reading this stream (window exhausted) for the idle timeout: reset it.
      failed = true;
      data.clear();
    }
    if (s.closed) return false;
    if (!data.empty()) {
      s.out_bytes += data.size();
      s.out.push_back(std::move(data));
    }
    if (eof) s.out_eof = true;
    if (failed) s.out_failed = true;
    resume = s.deferred;
    s.deferred = false;
  }
  if (resume) Post([self = shared_from_this(), id = stream->id] { self->ResumeData(id); });
  return !failed;
}

}  // namespace

std::shared_ptr<Http2Session> Http2Session::Create(std::shared_ptr<Http2Transport> transport,
                                                   boost::asio::any_io_executor executor,
                                                   const Handler& handler, const ServerOptions& options) {
  return std::make_shared<Http2SessionImpl>(std::move(transport), std::move(executor), handler, options);
}

}  // namespace cenote::http
