// The AWS Glue Schema Registry: registries, schemas, schema versions and their metadata, stored durably in
// the MetadataStore (component "glue_schema_registry"; tags in the catalog's glue_tags table, in the same
// transactions). Every resource lives in the namespace of one account and region, as on AWS:
//   registry  arn:aws:glue:<region>:<account>:registry/<registry>
//   schema    arn:aws:glue:<region>:<account>:schema/<registry>/<schema>
//   version   a UUID (SchemaVersionId), numbered 1, 2, ... within its schema
//
// Each operation takes the operation's input document (the Glue model's member names) and returns its output
// document, with Glue's errors (InvalidInputException, EntityNotFoundException, AlreadyExistsException,
// ResourceNumberLimitExceededException, AccessDeniedException for another account's ARN). Definitions are
// parsed and validated by format (schemas/schema_formats.hpp); a version that breaks the schema's
// compatibility mode is stored with Status FAILURE, as AWS stores it, and is never the LatestVersion.
//
// Glue's quotas: 100 registries and 10,000 schemas per account and region, 1,000 versions per schema, 10
// metadata key-value pairs per version, 50 tags per resource.
//
// Thread safety: all methods may be called concurrently; each is one MetadataStore transaction.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "store/metadata_store.hpp"

namespace cenote::glue {

class SchemaRegistry {
 public:
  // Runs the registry's migrations. The catalog's ("glue") must have run first: tags share its glue_tags.
  static Result<std::unique_ptr<SchemaRegistry>> Open(store::MetadataStore& metadata);

  // Where a request's resources live.
  struct Scope {
    std::string account;
    std::string region;
  };
  using object = boost::json::object;

  Result<object> CreateRegistry(const Scope& s, const object& in);
  Result<object> GetRegistry(const Scope& s, const object& in);
  Result<object> ListRegistries(const Scope& s, const object& in);
  Result<object> UpdateRegistry(const Scope& s, const object& in);
  // Deletes the registry with its schemas, versions, metadata and tags at once; answers Status DELETING, as
  // AWS's asynchronous delete does.
  Result<object> DeleteRegistry(const Scope& s, const object& in);

  // Without RegistryId, the schema goes to "default-registry", which is created when missing.
  Result<object> CreateSchema(const Scope& s, const object& in);
  Result<object> GetSchema(const Scope& s, const object& in);
  Result<object> ListSchemas(const Scope& s, const object& in);
  Result<object> UpdateSchema(const Scope& s, const object& in);
  Result<object> DeleteSchema(const Scope& s, const object& in);

  Result<object> RegisterSchemaVersion(const Scope& s, const object& in);
  Result<object> GetSchemaVersion(const Scope& s, const object& in);
  Result<object> ListSchemaVersions(const Scope& s, const object& in);
  Result<object> DeleteSchemaVersions(const Scope& s, const object& in);
  Result<object> GetSchemaByDefinition(const Scope& s, const object& in);
  Result<object> CheckSchemaVersionValidity(const Scope& s, const object& in);
  Result<object> GetSchemaVersionsDiff(const Scope& s, const object& in);

  Result<object> PutSchemaVersionMetadata(const Scope& s, const object& in);
  Result<object> QuerySchemaVersionMetadata(const Scope& s, const object& in);
  Result<object> RemoveSchemaVersionMetadata(const Scope& s, const object& in);

 private:
  explicit SchemaRegistry(store::MetadataStore& metadata) : metadata_(metadata) {}
  store::MetadataStore& metadata_;
};

}  // namespace cenote::glue
