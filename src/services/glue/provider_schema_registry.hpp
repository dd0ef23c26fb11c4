// The Schema Registry's operations of GlueProvider (provider_schema_registry.cpp), each handed to the
// SchemaRegistry in the request's account and region.
#pragma once

#include "aws/provider.hpp"
#include "services/glue/glue_provider.hpp"

namespace cenote::glue::internal {

#define CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(Name) \
  Result<aws::OperationOutput> Name(GlueEnv& env, const aws::RequestContext& ctx, aws::OperationInput& input);
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(CreateRegistry)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(GetRegistry)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(ListRegistries)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(UpdateRegistry)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(DeleteRegistry)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(CreateSchema)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(GetSchema)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(ListSchemas)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(UpdateSchema)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(DeleteSchema)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(RegisterSchemaVersion)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(GetSchemaVersion)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(ListSchemaVersions)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(DeleteSchemaVersions)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(GetSchemaByDefinition)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(CheckSchemaVersionValidity)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(GetSchemaVersionsDiff)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(PutSchemaVersionMetadata)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(QuerySchemaVersionMetadata)
CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(RemoveSchemaVersionMetadata)
#undef CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER

}  // namespace cenote::glue::internal
