// multipart/form-data bodies (RFC 7578 over RFC 2046's multipart framing), read as they stream: the
// fields of an HTML form and, without holding it in memory, the file it uploads.
//
// The reader knows nothing of what a form means (S3's POST uploads: services/s3/post_object.cpp; their
// signature: aws/sigv4). Malformed framing is answered with the Error the caller chose, so that each user
// words it as its protocol does; failures of the underlying body (a closed connection, a timeout) pass
// through unchanged.
//
// Bounded: part headers are limited in size (kMaxPartHeaderBytes), a part's content is streamed in pieces
// of at most kBufferSize, and every step consumes input or fails, so no input makes the reader loop or
// grow without bound. Not thread-safe: one request's thread uses it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "http/message.hpp"

namespace cenote::http {

// The boundary parameter of a `multipart/form-data; boundary=...` Content-Type (quoted or not; 1 to 70
// characters, RFC 2046); nullopt for any other type or a missing or unusable boundary.
std::optional<std::string> FormDataBoundary(std::string_view content_type);

// One part's headers, as a form upload uses them.
struct FormPart {
  std::string name;                     // Content-Disposition's name parameter ("" when absent)
  std::optional<std::string> filename;  // its filename parameter, when given (a file input)
  std::string content_type;             // the part's Content-Type, "" when absent
};

class MultipartReader {
 public:
  // Largest header block of one part.
  static constexpr std::size_t kMaxPartHeaderBytes = 16 * 1024;
  // Bytes read from the body at a time.
  static constexpr std::size_t kBufferSize = 256 * 1024;

  // `body` must outlive the reader. `malformed` is returned for framing errors (no opening delimiter, a
  // header block without its blank line or over the limit, a body that ends before the closing delimiter).
  MultipartReader(BodyReader& body, std::string boundary, Error malformed);

  // Moves to the next part, skipping what is left of the current one, and returns its headers; nullopt
  // after the closing delimiter (the epilogue is not read).
  Result<std::optional<FormPart>> NextPart();
  // Reads up to `n` bytes of the current part's content; 0 at its end (and before the first NextPart).
  Result<std::size_t> Read(char* buf, std::size_t n);

 private:
  enum class State { kStart, kContent, kBetween, kDone };

  // The number of content bytes at pos_ that are certainly not part of the next delimiter, reading more of
  // the body as needed; 0 when the current part ends there (the delimiter is then consumed).
  Result<std::size_t> Available();
  // Appends at least one more byte of the body to buf_; false at the end of the body.
  Result<bool> Fill();
  // Drops consumed bytes from the front of buf_ when that is worth a move.
  void Compact();
  Error Malformed() const { return malformed_; }
  std::string_view View() const { return std::string_view(buf_.data(), end_); }

  BodyReader& body_;
  std::string delimiter_;  // "\r\n--" + boundary
  Error malformed_;
  State state_ = State::kStart;
  // buf_[0, end_) holds bytes read from the body; buf_[end_, size) is room for the next read.
  std::string buf_;
  std::size_t end_ = 0;
  std::size_t pos_ = 0;  // first unconsumed byte
  // In kContent: buf_[pos_, safe_end_) is content known to hold no delimiter (found once, served by many
  // Reads).
  std::size_t safe_end_ = 0;
  bool eof_ = false;
};

// The current part of a MultipartReader as a request body (its length unknown), for code that streams a
// BodyReader, such as the S3 write path. The reader must outlive it.
class PartReader final : public BodyReader {
 public:
  explicit PartReader(MultipartReader& reader) : reader_(reader) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override { return reader_.Read(buf, n); }
  std::optional<std::uint64_t> Length() const override { return std::nullopt; }

 private:
  MultipartReader& reader_;
};

// An HTML form up to its file: each field before it, whole, and the file part's headers.
struct FormField {
  std::string name;  // as sent
  std::string value;
};
struct FormHead {
  std::vector<FormField> fields;  // in order
  // The first part whose name is `file_field` (ASCII case-insensitively); the reader is left at the start
  // of its content. nullopt when the form ended without one.
  std::optional<FormPart> file;
};
// Reads the parts before the file part. Fails with `too_large` once the fields' names and values add up to
// more than `max_bytes` (each value is read in bounded pieces, never whole past that limit).
Result<FormHead> ReadFormHead(MultipartReader& reader, std::string_view file_field, std::size_t max_bytes,
                              const Error& too_large);

}  // namespace cenote::http
