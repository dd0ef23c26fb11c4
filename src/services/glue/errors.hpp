// The Glue errors Cenote answers. Glue is a json-1.1 service whose error shapes carry a "Message"
// member (capital M): the protocol layer writes "__type" and "message"; every Glue error also carries
// "Message" as a field so that SDKs that read the modeled member (the JS SDK v3's `err.Message`) see it.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace cenote::glue {

inline Error GlueError(std::string code, std::string message, int http_status = 400) {
  Error e = MakeError(std::move(code), message, http_status);
  e.With("Message", std::move(message));
  return e;
}

inline Error InvalidInput(std::string message) {
  return GlueError("InvalidInputException", std::move(message));
}
inline Error EntityNotFound(std::string message) {
  return GlueError("EntityNotFoundException", std::move(message));
}
inline Error AlreadyExists(std::string message) {
  return GlueError("AlreadyExistsException", std::move(message));
}

inline Error ResourceNumberLimitExceeded(std::string message) {
  return GlueError("ResourceNumberLimitExceededException", std::move(message));
}

// Glue's service quotas (AWS Glue endpoints and quotas) that the catalog enforces.
inline constexpr std::int64_t kMaxDatabasesPerCatalog = 10000;
inline constexpr std::int64_t kMaxTablesPerDatabase = 200000;
inline constexpr std::int64_t kMaxTableVersionsPerTable = 100000;

// Glue's own wording, as the service returns it.
inline Error DatabaseNotFound(const std::string& name) {
  return EntityNotFound("Database " + name + " not found.");
}
inline Error TableNotFound(const std::string& name) {
  return EntityNotFound("Table " + name + " not found.");
}
inline Error PartitionNotFound() { return EntityNotFound("Cannot find partition."); }
inline Error VersionNotFound() { return EntityNotFound("Version not found."); }

// The json-1.1 validation wording Glue uses for model constraints, e.g.
// "1 validation error detected: Value null at 'databaseInput' failed to satisfy constraint: Member must
// not be null". `path` is the member path in lowerCamel form ("tableInput.name").
inline Error MissingMember(const std::string& path) {
  return InvalidInput("1 validation error detected: Value null at '" + path +
                      "' failed to satisfy constraint: Member must not be null");
}

}  // namespace cenote::glue
