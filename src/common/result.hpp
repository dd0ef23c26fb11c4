// Error values and Result<T>: how every Cenote layer reports an expected failure.
//
// An Error carries what an AWS client needs to see: the AWS error code ("NoSuchKey"), the
// message ("The specified key does not exist."), the HTTP status and, for the few errors that
// carry them, extra named fields (S3's <BucketName>, <Key>, <Condition>, ...). Layers below
// the services (http, store) use the same type with generic codes (InternalError, RequestTimeout)
// so that nothing has to translate between error types on the way up.
//
// g++ 12 lacks std::expected; Result<T> is the small subset of it we use.
#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace cenote {

struct Error {
  std::string code;     // AWS error code, e.g. "NoSuchBucket".
  std::string message;  // Human-readable message, AWS's wording where AWS has one.
  int http_status = 400;
  // Extra fields serialized next to Code/Message (rest-xml: child elements of <Error>;
  // json: members of the error object), in insertion order.
  std::vector<std::pair<std::string, std::string>> fields;
  // Extra response headers (e.g. x-amz-bucket-region on a wrong-region HEAD).
  std::vector<std::pair<std::string, std::string>> headers;
  // False for server faults (5xx); decides "Sender" vs "Receiver" in query-protocol errors.
  bool sender_fault() const { return http_status < 500; }

  Error& With(std::string name, std::string value) {
    fields.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

inline Error MakeError(std::string code, std::string message, int http_status = 400) {
  return Error{std::move(code), std::move(message), http_status, {}, {}};
}

inline Error InternalError(std::string message = "We encountered an internal error. Please try again.") {
  return MakeError("InternalError", std::move(message), 500);
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design, like std::expected.
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  // From anything that converts to T (`return json::object{...};` in a Result<OperationOutput>), as
  // std::expected's converting constructor.
  template <typename U, typename = std::enable_if_t<
                            !std::is_same_v<std::decay_t<U>, T> && !std::is_same_v<std::decay_t<U>, Error> &&
                            !std::is_same_v<std::decay_t<U>, Result> && std::is_convertible_v<U&&, T>>>
  Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status Ok() { return Status(); }
  // The outcome of a Result<T>, without its value.
  template <typename T>
  static Status FromResult(const Result<T>& result) {
    return result ? Status() : Status(result.error());
  }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace cenote

// Propagates an error in one line, as LevelDB's `if (!s.ok()) return s;`:
//   CENOTE_RETURN_IF_ERROR(txn->Commit());                  // a Status or a Result<T>
//   CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(...));  // declares `txn` (the value, moved out)
//   CENOTE_ASSIGN_OR_RETURN(existing, Load(name));           // assigns to an existing variable
// The enclosing function must return Status or Result<U> (both convert from Error).
#define CENOTE_RETURN_IF_ERROR(expr)                               \
  do {                                                             \
    auto _cenote_status = (expr);                                  \
    if (!_cenote_status) return std::move(_cenote_status).error(); \
  } while (0)

#define CENOTE_CONCAT_INNER_(a, b) a##b
#define CENOTE_CONCAT_(a, b) CENOTE_CONCAT_INNER_(a, b)
#define CENOTE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp) return std::move(tmp).error();            \
  lhs = std::move(tmp).value()
#define CENOTE_ASSIGN_OR_RETURN(lhs, expr) \
  CENOTE_ASSIGN_OR_RETURN_IMPL_(CENOTE_CONCAT_(_cenote_result_, __COUNTER__), lhs, expr)
