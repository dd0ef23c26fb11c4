// HTTP/1.1 request framing; see http1_codec.hpp for what is accepted and what is answered otherwise.
#include "http/http1_codec.hpp"

#include <algorithm>
#include <cstring>

namespace cenote::http {

namespace {

// 15 hex digits keep a chunk size below 2^60: no overflow, and far beyond any real chunk.
constexpr std::size_t kMaxChunkSizeDigits = 15;
// 18 decimal digits keep a Content-Length below 10^18 < 2^63.
constexpr std::size_t kMaxContentLengthDigits = 18;

Error BadRequest(std::string message) { return MakeError("BadRequest", std::move(message), 400); }
Error IncompleteBodyError() {
  return MakeError("IncompleteBody",
                   "You did not provide the number of bytes specified by the Content-Length HTTP header.",
                   400);
}
Error BadChunkError() { return MakeError("InvalidRequest", "Malformed chunked transfer encoding.", 400); }

// RFC 9110 5.6.2 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each comma-separated, trimmed, non-empty token.
template <typename F>
void ForEachToken(std::string_view list, F&& f) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view tok = TrimOws(list.substr(0, comma));
    if (!tok.empty()) f(tok);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// Splits the next line (ending in LF, optional CR before it) off `rest`.
std::string_view NextLine(std::string_view& rest) {
  std::size_t lf = rest.find('\n');
  std::string_view line = rest.substr(0, lf);
  rest.remove_prefix(lf == std::string_view::npos ? rest.size() : lf + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Parses one field line into `headers`. False on a malformed line.
bool ParseFieldLine(std::string_view line, Headers& headers) {
  if (line.empty() || line.front() == ' ' || line.front() == '\t') return false;  // obs-fold
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  std::string_view value = TrimOws(line.substr(colon + 1));
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  headers.Add(std::string(name), std::string(value));
  return true;
}

}  // namespace

std::size_t LeadingEmptyLines(std::string_view buffered) {
  std::size_t i = 0;
  while (i < buffered.size() && (buffered[i] == '\r' || buffered[i] == '\n')) ++i;
  return i;
}

HeadSearch FindHeadEnd(std::string_view buffered, std::size_t scan_from) {
  const std::size_t size = buffered.size();
  for (std::size_t i = scan_from; i < size; ++i) {
    if (buffered[i] != '\n') continue;
    if (i + 1 < size && buffered[i + 1] == '\n') return {i + 2, 0};
    if (i + 2 < size && buffered[i + 1] == '\r' && buffered[i + 2] == '\n') return {i + 3, 0};
  }
  // Resume two bytes early: "\n\r" may be the start of a terminator whose last byte has not arrived.
  return {0, size >= 2 ? size - 2 : 0};
}

std::optional<std::uint64_t> ParseContentLength(std::string_view value) {
  value = TrimOws(value);
  if (value.empty() || value.size() > kMaxContentLengthDigits) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

Result<RequestHead> ParseRequestHead(std::string_view head) {
  RequestHead out;
  std::string_view rest = head;
  std::string_view line = NextLine(rest);
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return BadRequest("malformed request line");
  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return BadRequest("malformed request line");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  for (char c : method) {
    if (!IsTokenChar(c)) return BadRequest("malformed method");
  }
  for (char c : target) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return BadRequest("malformed request target");
  }
  if (version == "HTTP/1.1") {
    out.version = 11;
  } else if (version == "HTTP/1.0") {
    out.version = 10;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/") {
    return MakeError("HttpVersionNotSupported", "only HTTP/1.0 and HTTP/1.1 are served", 505);
  } else {
    return BadRequest("malformed HTTP version");
  }
  out.method.assign(method);
  out.target.assign(target);
  while (!rest.empty()) {
    line = NextLine(rest);
    if (line.empty()) break;
    if (!ParseFieldLine(line, out.headers)) return BadRequest("malformed header field");
  }

  bool have_length = false;
  bool chunked = false;
  bool have_te = false;
  bool have_host = false;
  bool conn_close = false;
  bool conn_keep_alive = false;
  for (const Headers::Entry& e : out.headers) {
    if (EqualsIgnoreAsciiCase(e.name, "content-length")) {
      bool bad = false;
      ForEachToken(e.value, [&](std::string_view tok) {
        std::optional<std::uint64_t> v = ParseContentLength(tok);
        if (!v || (have_length && *v != out.content_length)) bad = true;
        out.content_length = v.value_or(0);
        have_length = true;
      });
      if (bad || !have_length) return BadRequest("malformed Content-Length");
    } else if (EqualsIgnoreAsciiCase(e.name, "transfer-encoding")) {
      have_te = true;
      bool bad = false;
      ForEachToken(e.value, [&](std::string_view tok) {
        // Only "chunked" is supported, exactly once and last; anything else would need decoding we
        // do not do, and guessing the framing is how request smuggling starts.
        if (!EqualsIgnoreAsciiCase(tok, "chunked") || chunked) bad = true;
        chunked = true;
      });
      if (bad) return MakeError("NotImplemented", "only the chunked transfer coding is supported", 501);
    } else if (EqualsIgnoreAsciiCase(e.name, "host")) {
      // RFC 9112 3.2: more than one Host is refused. The router reads the first and SigV4 signs them
      // joined; a request must not be routed by one and authenticated by another.
      if (have_host) return BadRequest("more than one Host header");
      have_host = true;
    } else if (EqualsIgnoreAsciiCase(e.name, "connection")) {
      ForEachToken(e.value, [&](std::string_view tok) {
        if (EqualsIgnoreAsciiCase(tok, "close")) conn_close = true;
        if (EqualsIgnoreAsciiCase(tok, "keep-alive")) conn_keep_alive = true;
      });
    } else if (EqualsIgnoreAsciiCase(e.name, "expect")) {
      if (EqualsIgnoreAsciiCase(TrimOws(e.value), "100-continue")) out.expect_continue = true;
    }
  }
  // RFC 9112 6.3: a message with both is a smuggling vector; refuse it outright.
  if (have_te && have_length) return BadRequest("both Transfer-Encoding and Content-Length");
  if (have_te && !chunked) return BadRequest("Transfer-Encoding without chunked");
  if (chunked) {
    out.body_kind = BodyKind::kChunked;
  } else if (have_length && out.content_length > 0) {
    out.body_kind = BodyKind::kLength;
  }
  out.keep_alive = out.version == 11 ? !conn_close : (conn_keep_alive && !conn_close);
  // RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing somewhere on the way;
  // serve the request, then close the connection rather than trust where the next one starts.
  if (out.version == 10 && have_te) out.keep_alive = false;
  if (out.version == 10) out.expect_continue = false;
  return out;
}

Result<std::size_t> ConnectionInput::Read(char* dst, std::size_t n) {
  if (Buffered().empty()) {
    CENOTE_ASSIGN_OR_RETURN(std::size_t got, Fill());
    if (got == 0) return std::size_t{0};
  }
  std::string_view buffered = Buffered();
  std::size_t take = std::min(n, buffered.size());
  std::memcpy(dst, buffered.data(), take);
  Consume(take);
  return take;
}

std::string_view MemoryInput::Buffered() const {
  return std::string_view(data_).substr(consumed_, delivered_ - consumed_);
}

void MemoryInput::Consume(std::size_t n) { consumed_ += std::min(n, delivered_ - consumed_); }

Result<std::size_t> MemoryInput::Fill() {
  std::size_t piece = piece_sizes_.empty() ? data_.size() : piece_sizes_[fills_++ % piece_sizes_.size()];
  std::size_t n = std::min(std::max<std::size_t>(piece, 1), data_.size() - delivered_);
  delivered_ += n;
  return n;
}

Result<std::string> ReadLine(ConnectionInput& in, std::size_t max) {
  while (true) {
    std::string_view buffered = in.Buffered();
    std::size_t lf = buffered.find('\n');
    // The bound applies whether or not the LF has arrived yet, so that the verdict on a stream never
    // depends on how the network split it.
    if (lf != std::string_view::npos && lf >= max) return BadChunkError();
    if (lf != std::string_view::npos) {
      std::string line(buffered.substr(0, lf));
      in.Consume(lf + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buffered.size() >= max) return BadChunkError();
    CENOTE_ASSIGN_OR_RETURN(std::size_t got, in.Fill());
    if (got == 0) return IncompleteBodyError();
  }
}

RequestBodyDecoder::RequestBodyDecoder(BodyKind kind, std::uint64_t content_length, std::size_t max_line)
    : kind_(kind),
      declared_(kind == BodyKind::kLength ? content_length : 0),
      remaining_(declared_),
      max_line_(max_line),
      done_(kind == BodyKind::kNone || (kind == BodyKind::kLength && content_length == 0)) {}

std::optional<std::uint64_t> RequestBodyDecoder::Length() const {
  if (kind_ == BodyKind::kChunked) return std::nullopt;
  return declared_;
}

void RequestBodyDecoder::Fail(Error error) { (void)Failed(std::move(error)); }

Error RequestBodyDecoder::Failed(Error error) {
  error_ = error;
  return error;
}

Result<std::size_t> RequestBodyDecoder::Read(ConnectionInput& in, char* buf, std::size_t n) {
  if (error_) return *error_;
  if (done_ || n == 0) return std::size_t{0};
  if (kind_ == BodyKind::kChunked) return ReadChunked(in, buf, n);
  Result<std::size_t> r = in.Read(buf, static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining_)));
  if (!r) return Failed(r.error());
  if (*r == 0) return Failed(IncompleteBodyError());
  remaining_ -= *r;
  if (remaining_ == 0) done_ = true;
  return r;
}

// RFC 9112 7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk and the trailer
// section end the body.
Result<std::size_t> RequestBodyDecoder::ReadChunked(ConnectionInput& in, char* buf, std::size_t n) {
  if (size_line_next_) {
    Result<std::string> line = ReadLine(in, max_line_);
    if (!line) return Failed(line.error());
    std::uint64_t size = 0;
    std::size_t digits = 0;
    for (char c : *line) {
      int v;
      if (c >= '0' && c <= '9') {
        v = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v = c - 'A' + 10;
      } else {
        break;
      }
      if (++digits > kMaxChunkSizeDigits) return Failed(BadChunkError());
      size = size * 16 + static_cast<std::uint64_t>(v);
    }
    if (digits == 0) return Failed(BadChunkError());
    // Extensions carry nothing we use (no client we know of sends any): skipped, not interpreted.
    std::string_view ext = TrimOws(std::string_view(*line).substr(digits));
    if (!ext.empty() && ext.front() != ';') return Failed(BadChunkError());
    size_line_next_ = false;
    remaining_ = size;
    if (size == 0) {
      CENOTE_RETURN_IF_ERROR(ReadTrailers(in));
      done_ = true;
      return std::size_t{0};
    }
  }
  Result<std::size_t> r = in.Read(buf, static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining_)));
  if (!r) return Failed(r.error());
  if (*r == 0) return Failed(IncompleteBodyError());
  remaining_ -= *r;
  if (remaining_ == 0) {
    Result<std::string> crlf = ReadLine(in, 2);
    if (!crlf) return Failed(crlf.error());
    if (!crlf->empty()) return Failed(BadChunkError());
    size_line_next_ = true;
  }
  return r;
}

Status RequestBodyDecoder::ReadTrailers(ConnectionInput& in) {
  std::size_t total = 0;
  while (true) {
    Result<std::string> line = ReadLine(in, max_line_);
    if (!line) return Failed(line.error());
    if (line->empty()) return Status::Ok();
    total += line->size();
    if (total > max_line_ || !ParseFieldLine(*line, trailers_)) return Failed(BadChunkError());
  }
}

}  // namespace cenote::http
