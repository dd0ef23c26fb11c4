// ErrorSpec: one entry of a service's error table (services/<service>/errors.hpp): AWS's code, message
// template and status, kept in one table per service so that the provider, the tests and the coverage docs
// use the same words. Templates take their arguments in order at each `{}`.
//
//   namespace errors {
//   inline constexpr ErrorSpec kStreamNotFound{"ResourceNotFoundException", "Stream {} under account {} not
//   found.", 400};
//   }
//   return MakeError(errors::kStreamNotFound, {name, account});
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::services {

struct ErrorSpec {
  const char* code;
  const char* message;  // template: each `{}` takes the next argument
  int http_status;
};

// The entry's code and status with its template filled in from `args`, in order. Missing arguments leave
// their `{}` empty; extra arguments are ignored.
inline Error MakeError(const ErrorSpec& spec, std::initializer_list<std::string_view> args = {}) {
  std::string message;
  std::string_view text = spec.message;
  auto arg = args.begin();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{' && i + 1 < text.size() && text[i + 1] == '}') {
      if (arg != args.end()) message.append(*arg++);
      ++i;
    } else {
      message.push_back(text[i]);
    }
  }
  return cenote::MakeError(spec.code, std::move(message), spec.http_status);
}

}  // namespace cenote::services
