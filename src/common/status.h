// common/status: typed errors that never cross a module boundary as exceptions.
//
// `Status` carries a canonical code (Abseil's set), a message that names the object, rule and bad
// value, and an optional location (a JSON pointer, or a byte offset into a pattern). `Result<T>`
// holds either a value or a non-OK Status and keeps the method shape of absl::StatusOr
// (`ok()`, `status()`, `value()`), so it can be swapped for std::expected once we move to C++23.
//
//   Result<Timestamp> ts = ParseTimestamp(text);
//   if (!ts.ok()) return ts.status();
//   CTI_ASSIGN_OR_RETURN(auto uuid, ParseUuid(text));
//   CTI_RETURN_IF_ERROR(WriteAll(out, bytes));
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ctihub {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,
  kUnavailable,
  kUnimplemented,
  kInternal,
  kDataLoss,
};

// Stable lower-case name of a code ("invalid-argument"), used in logs and JSON output.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message, std::string location = {})
      : code_(code), message_(std::move(message)), location_(std::move(location)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // JSON pointer or "offset N"; empty when the error has no position.
  const std::string& location() const { return location_; }

  // "invalid-argument: /pattern: unexpected end of input" — for logs and CLI output.
  std::string ToString() const;

  // Explicitly discards a status where ignoring it is the intended behaviour.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string location_;
};

inline Status InvalidArgument(std::string msg, std::string loc = {}) {
  return Status(StatusCode::kInvalidArgument, std::move(msg), std::move(loc));
}
inline Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
inline Status FailedPrecondition(std::string msg) {
  return Status(StatusCode::kFailedPrecondition, std::move(msg));
}
inline Status ResourceExhausted(std::string msg) {
  return Status(StatusCode::kResourceExhausted, std::move(msg));
}
inline Status Unavailable(std::string msg) {
  return Status(StatusCode::kUnavailable, std::move(msg));
}
inline Status PermissionDenied(std::string msg) {
  return Status(StatusCode::kPermissionDenied, std::move(msg));
}
inline Status Unauthenticated(std::string msg) {
  return Status(StatusCode::kUnauthenticated, std::move(msg));
}
inline Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }
inline Status DataLoss(std::string msg) { return Status(StatusCode::kDataLoss, std::move(msg)); }

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose: `return value;` and `return status;` both work in a Result function.
  Result(T value) : rep_(std::move(value)) {}  // NOLINT
  Result(Status status) : rep_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(rep_).ok() && "Result constructed from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(rep_); }
  // The error; an OK Status when the Result holds a value.
  Status status() const { return ok() ? Status() : std::get<Status>(rep_); }

  // Precondition: ok().
  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> rep_;
};

}  // namespace ctihub

#define CTI_STATUS_CONCAT_INNER(a, b) a##b
#define CTI_STATUS_CONCAT(a, b) CTI_STATUS_CONCAT_INNER(a, b)

#define CTI_RETURN_IF_ERROR(expr)                     \
  do {                                                \
    ::ctihub::Status cti_status_ = (expr);            \
    if (!cti_status_.ok()) return cti_status_;        \
  } while (false)

#define CTI_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

#define CTI_ASSIGN_OR_RETURN(lhs, expr) \
  CTI_ASSIGN_OR_RETURN_IMPL(CTI_STATUS_CONCAT(cti_result_, __LINE__), lhs, expr)
