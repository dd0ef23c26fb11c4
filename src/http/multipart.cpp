#include "http/multipart.hpp"

#include <algorithm>
#include <cstring>

#include "common/strings.hpp"

namespace cenote::http {

namespace {

// RFC 2046 allows 70 characters; some clients make longer ones, so a little slack, still bounded.
constexpr std::size_t kMaxBoundary = 200;

// Splits `text` on `separator` outside double quotes.
std::vector<std::string_view> SplitOutsideQuotes(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted && c == '\\' && i + 1 < text.size()) {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == separator && !quoted) {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(text.substr(start));
  return out;
}

// A parameter value: a token, or a quoted string whose \" and \\ are escapes. Other backslashes stay as
// they are: browsers send Windows paths in filenames unescaped.
std::string ParamValue(std::string_view raw) {
  raw = TrimAsciiSpace(raw);
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return std::string(raw);
  raw = raw.substr(1, raw.size() - 2);
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '"' || raw[i + 1] == '\\')) ++i;
    out.push_back(raw[i]);
  }
  return out;
}

// The parameters after the first ';' of a header value, names lower-cased.
std::vector<std::pair<std::string, std::string>> HeaderParams(std::string_view value) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string_view> items = SplitOutsideQuotes(value, ';');
  for (std::size_t i = 1; i < items.size(); ++i) {
    std::string_view item = TrimAsciiSpace(items[i]);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(AsciiLower(TrimAsciiSpace(item.substr(0, eq))), ParamValue(item.substr(eq + 1)));
  }
  return out;
}

}  // namespace

std::optional<std::string> FormDataBoundary(std::string_view content_type) {
  std::vector<std::string_view> items = SplitOutsideQuotes(content_type, ';');
  if (!EqualsIgnoreAsciiCase(TrimAsciiSpace(items[0]), "multipart/form-data")) return std::nullopt;
  for (auto& [name, value] : HeaderParams(content_type)) {
    if (name != "boundary") continue;
    if (value.empty() || value.size() > kMaxBoundary) return std::nullopt;
    if (value.find_first_of("\r\n") != std::string::npos) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

MultipartReader::MultipartReader(BodyReader& body, std::string boundary, Error malformed)
    : body_(body), delimiter_("\r\n--" + boundary), malformed_(std::move(malformed)) {
  // The first delimiter may open the body without a line break before it: one is assumed, so that the
  // opening delimiter and one after a preamble are found alike.
  buf_.assign("\r\n");
  end_ = buf_.size();
}

Result<bool> MultipartReader::Fill() {
  if (eof_) return false;
  // Grown (and zeroed) only when short of room, doubling from 4 KiB up to kBufferSize: a small form costs
  // no 256 KiB clear, a body that arrives in small pieces no clear per piece, and a large file is read in
  // large pieces once the buffer has grown.
  const std::size_t room = std::clamp<std::size_t>(2 * buf_.size(), 4096, kBufferSize);
  if (buf_.size() - end_ < room / 2) buf_.resize(end_ + room);
  CENOTE_ASSIGN_OR_RETURN(std::size_t n, body_.Read(buf_.data() + end_, buf_.size() - end_));
  end_ += n;
  if (n == 0) eof_ = true;
  return n > 0;
}

void MultipartReader::Compact() {
  if (pos_ == 0) return;
  std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
  end_ -= pos_;
  safe_end_ = safe_end_ > pos_ ? safe_end_ - pos_ : 0;
  pos_ = 0;
}

Result<std::size_t> MultipartReader::Available() {
  if (state_ != State::kContent) return std::size_t{0};
  for (;;) {
    if (pos_ < safe_end_) return safe_end_ - pos_;
    const std::size_t at = View().find(delimiter_, pos_);
    if (at == pos_) {
      pos_ += delimiter_.size();
      state_ = State::kBetween;
      return std::size_t{0};
    }
    if (at != std::string::npos) {
      safe_end_ = at;
    } else if (end_ - pos_ >= delimiter_.size()) {
      // No delimiter starts before the last delimiter_.size() - 1 bytes; they may begin one.
      safe_end_ = end_ - delimiter_.size() + 1;
    } else {
      Compact();
      CENOTE_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) return Malformed();  // the body ended inside a part
    }
  }
}

Result<std::size_t> MultipartReader::Read(char* buf, std::size_t n) {
  CENOTE_ASSIGN_OR_RETURN(std::size_t available, Available());
  const std::size_t k = std::min(n, available);
  if (k > 0) std::memcpy(buf, buf_.data() + pos_, k);
  pos_ += k;
  return k;
}

Result<std::optional<FormPart>> MultipartReader::NextPart() {
  if (state_ == State::kDone) return std::optional<FormPart>();
  if (state_ == State::kStart) {
    // Skip the preamble up to the opening delimiter.
    for (;;) {
      const std::size_t at = View().find(delimiter_, pos_);
      if (at != std::string_view::npos) {
        pos_ = at + delimiter_.size();
        state_ = State::kBetween;
        break;
      }
      if (end_ - pos_ >= delimiter_.size()) pos_ = end_ - delimiter_.size() + 1;
      Compact();
      CENOTE_ASSIGN_OR_RETURN(bool more, Fill());
      if (!more) return Malformed();
    }
  }
  while (state_ == State::kContent) {
    CENOTE_ASSIGN_OR_RETURN(std::size_t available, Available());
    pos_ += available;
  }
  // After a delimiter: "--" closes the body; otherwise optional transport padding, CRLF, the header lines,
  // an empty line.
  Compact();
  std::size_t headers_start = 0;
  std::size_t headers_end = 0;
  std::size_t content_start = 0;
  // Where the searches resume after more of the body arrived: a header block that trickles in byte by byte
  // is scanned once, not once per byte.
  std::size_t scanned = 0;
  std::size_t line_end = std::string_view::npos;  // of the delimiter line
  for (;;) {
    const std::string_view view = View();
    if (view.starts_with("--")) {
      state_ = State::kDone;
      return std::optional<FormPart>();
    }
    if (line_end == std::string_view::npos) line_end = view.find("\r\n", scanned > 0 ? scanned - 1 : 0);
    if (line_end != std::string_view::npos) {
      if (view.substr(0, line_end).find_first_not_of(" \t") != std::string_view::npos) return Malformed();
      headers_start = line_end + 2;
      if (view.substr(headers_start).starts_with("\r\n")) {
        headers_end = headers_start;
        content_start = headers_start + 2;
        break;
      }
      const std::size_t blank = view.find("\r\n\r\n", std::max(headers_start, scanned > 3 ? scanned - 3 : 0));
      if (blank != std::string_view::npos) {
        headers_end = blank;
        content_start = blank + 4;
        break;
      }
    }
    // The limit counts from the delimiter to the content, padding included, so that where the body happens
    // to be split does not decide whether a part is accepted.
    if (end_ >= kMaxPartHeaderBytes) return Malformed();
    scanned = end_;
    CENOTE_ASSIGN_OR_RETURN(bool more, Fill());
    if (!more) return Malformed();
  }
  if (content_start > kMaxPartHeaderBytes) return Malformed();
  FormPart part;
  const std::string_view block(buf_.data() + headers_start, headers_end - headers_start);
  std::size_t line_start = 0;
  while (line_start < block.size()) {
    std::size_t line_end = block.find("\r\n", line_start);
    if (line_end == std::string_view::npos) line_end = block.size();
    const std::string_view line = block.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) continue;  // obsolete folding
      return Malformed();
    }
    const std::string_view name = TrimAsciiSpace(line.substr(0, colon));
    const std::string_view value = TrimAsciiSpace(line.substr(colon + 1));
    if (EqualsIgnoreAsciiCase(name, "content-disposition")) {
      for (auto& [param, param_value] : HeaderParams(value)) {
        if (param == "name") {
          part.name = std::move(param_value);
        } else if (param == "filename") {
          part.filename = std::move(param_value);
        }
      }
    } else if (EqualsIgnoreAsciiCase(name, "content-type")) {
      part.content_type = std::string(value);
    }
  }
  pos_ = content_start;
  safe_end_ = 0;
  state_ = State::kContent;
  return std::optional<FormPart>(std::move(part));
}

Result<FormHead> ReadFormHead(MultipartReader& reader, std::string_view file_field, std::size_t max_bytes,
                              const Error& too_large) {
  FormHead head;
  std::size_t total = 0;
  for (;;) {
    CENOTE_ASSIGN_OR_RETURN(std::optional<FormPart> part, reader.NextPart());
    if (!part) return head;
    if (EqualsIgnoreAsciiCase(part->name, file_field)) {
      head.file = std::move(*part);
      return head;
    }
    total += part->name.size();
    if (total > max_bytes) return too_large;
    FormField field{std::move(part->name), {}};
    char buf[4096];
    for (;;) {
      CENOTE_ASSIGN_OR_RETURN(std::size_t n, reader.Read(buf, sizeof(buf)));
      if (n == 0) break;
      total += n;
      if (total > max_bytes) return too_large;
      field.value.append(buf, n);
    }
    head.fields.push_back(std::move(field));
  }
}

}  // namespace cenote::http
