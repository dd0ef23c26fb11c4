// The Schema Registry's operations of GlueProvider (provider_schema_registry.cpp), each handed to the
// SchemaRegistry in the request's account and region.
#pragma once

#include "aws/provider.hpp"
#include "services/glue/glue_provider.hpp"

namespace cenote::glue::internal {

// The Schema Registry operations, one X(Name) each: declared here, defined in the .cpp from the same list.
// clang-format off
#define CENOTE_GLUE_SCHEMA_REGISTRY_OPERATIONS(X) \
  X(CreateRegistry)                               \
  X(GetRegistry)                                  \
  X(ListRegistries)                               \
  X(UpdateRegistry)                               \
  X(DeleteRegistry)                               \
  X(CreateSchema)                                 \
  X(GetSchema)                                    \
  X(ListSchemas)                                  \
  X(UpdateSchema)                                 \
  X(DeleteSchema)                                 \
  X(RegisterSchemaVersion)                        \
  X(GetSchemaVersion)                             \
  X(ListSchemaVersions)                           \
  X(DeleteSchemaVersions)                         \
  X(GetSchemaByDefinition)                        \
  X(CheckSchemaVersionValidity)                   \
  X(GetSchemaVersionsDiff)                        \
  X(PutSchemaVersionMetadata)                     \
  X(QuerySchemaVersionMetadata)                   \
  X(RemoveSchemaVersionMetadata)
// clang-format on

#define CENOTE_GLUE_SCHEMA_REGISTRY_DECLARE(Name) \
  Result<aws::OperationOutput> Name(GlueEnv& env, const aws::RequestContext& ctx, aws::OperationInput& input);
CENOTE_GLUE_SCHEMA_REGISTRY_OPERATIONS(CENOTE_GLUE_SCHEMA_REGISTRY_DECLARE)
#undef CENOTE_GLUE_SCHEMA_REGISTRY_DECLARE

}  // namespace cenote::glue::internal
