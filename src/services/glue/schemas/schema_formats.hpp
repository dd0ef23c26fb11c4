// The three data formats of the Glue Schema Registry (AVRO, JSON Schema, PROTOBUF): parsing and validating a
// schema definition, its canonical form (what RegisterSchemaVersion and GetSchemaByDefinition compare), the
// reader/writer compatibility rules the compatibility modes are made of, and GetSchemaVersionsDiff's
// SYNTAX_DIFF.
//
//   Avro       the Avro 1.11 specification: named types with namespaces, defaults validated against their
//              types, no duplicate or nested unions; compatibility is Avro schema resolution (the reader's
//              view of data the writer wrote: promotions int->long->float->double, string<->bytes, record
//              fields matched by name or alias, a reader field the writer lacks needs a default, enum
//              symbols, unions branch by branch).
//   JSON       JSON Schema draft-04, draft-06 and draft-07 ($schema selects; draft-04 when absent): keyword
//              types and values checked, local $ref resolved; a reader reads a writer's data when every
//              document the writer's schema admits is admitted by the reader's, judged keyword by keyword
//              (types, enum/const, required, properties and closed content models, items, bounds, patterns,
//              combinators).
//   PROTOBUF   proto2 and proto3 files (no extensions and no groups, as AWS): messages, enums, oneofs, maps,
//              reserved ranges, options and services; names resolved as protoc resolves them (imports are
//              accepted, what they define is not checked); compatibility is wire compatibility by field
//              number (the type groups of the protobuf guide's "updating a message type", repeated vs
//              singular, proto2 required fields, the root message kept).
//
// Thread safety: a parsed Schema is immutable; everything here may be used from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::glue::schemas {

enum class DataFormat { kAvro, kJson, kProtobuf };

std::optional<DataFormat> ParseDataFormat(std::string_view name);  // "AVRO", "JSON", "PROTOBUF"
std::string_view FormatName(DataFormat format);

// A valid schema definition.
class Schema {
 public:
  virtual ~Schema() = default;
  virtual DataFormat format() const = 0;
  // Equal for two definitions that differ only in whitespace (and, for Protobuf, comments and layout).
  virtual const std::string& canonical() const = 0;
  // "" when data written with `writer` (a schema of the same format) can be read with this schema; otherwise
  // the first reason it cannot, in words for a person.
  virtual std::string ReadsFrom(const Schema& writer) const = 0;
};

// Parses and validates `definition`. On failure the error's message is the parser's reason (the caller
// words the API error around it).
Result<std::shared_ptr<const Schema>> ParseSchema(DataFormat format, std::string_view definition);
Result<std::shared_ptr<const Schema>> ParseAvro(std::string_view definition);
Result<std::shared_ptr<const Schema>> ParseJsonSchema(std::string_view definition);
Result<std::shared_ptr<const Schema>> ParseProtobuf(std::string_view definition);

// The compatibility modes (Glue's Compatibility enum).
bool IsCompatibilityMode(std::string_view mode);

// Whether `candidate` may follow `previous` (the schema's AVAILABLE versions from its checkpoint on, oldest
// first) under `mode`: "" if so, else the reason. BACKWARD: the candidate reads the latest previous version's
// data; FORWARD: the latest previous version reads the candidate's; FULL: both; the _ALL modes against every
// previous version; NONE (and DISABLED, which never gets here): always.
std::string CheckCompatibility(std::string_view mode, const Schema& candidate,
                               const std::vector<const Schema*>& previous);

// GetSchemaVersionsDiff SYNTAX_DIFF: the RFC 6902 JSON Patch that turns the first definition into the second
// (AVRO and JSON: over the parsed documents; PROTOBUF: over the canonical definition's lines, as an array).
std::string SyntaxDiff(const Schema& first, const Schema& second);

}  // namespace cenote::glue::schemas
