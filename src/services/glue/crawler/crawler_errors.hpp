// The crawler errors Glue answers (their words are in the service's table, services/glue/errors.hpp).
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "services/glue/errors.hpp"

namespace cenote::glue::crawler {

inline Error CrawlerEntryNotFound(const std::string& name) {
  return GlueError(errors::kCrawlerEntryNotFound, {name});
}
inline Error CrawlerNotFound(const std::string& name) { return GlueError(errors::kCrawlerNotFound, {name}); }
inline Error CrawlerAlreadyExists(const std::string& name) {
  return GlueError(errors::kCrawlerAlreadyExists, {name});
}
inline Error CrawlerAlreadyStarted(const std::string& name) {
  return GlueError(errors::kCrawlerAlreadyStarted, {name});
}
inline Error CrawlerRunning(const std::string& name) { return GlueError(errors::kCrawlerRunning, {name}); }
inline Error CrawlerNotRunning(const std::string& name) {
  return GlueError(errors::kCrawlerNotRunning, {name});
}
inline Error CrawlerStopping(const std::string& name) { return GlueError(errors::kCrawlerStopping, {name}); }
inline Error CannotUpdateWhileRunning() { return GlueError(errors::kCannotUpdateWhileRunning); }

// json-1.1 model validation wording: "1 validation error detected: Value 'x' at 'name' failed to satisfy
// constraint: Member must have length less than or equal to 255".
inline Error ValidationError(const std::string& path, const std::string& constraint,
                             const std::string& value = "") {
  return InvalidInput("1 validation error detected: Value " +
                      (value.empty() ? std::string("") : "'" + value + "' ") + "at '" + path +
                      "' failed to satisfy constraint: " + constraint);
}

}  // namespace cenote::glue::crawler
