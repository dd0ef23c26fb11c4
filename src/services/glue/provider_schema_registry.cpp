// GlueProvider's Schema Registry operations: each hands its input document to the SchemaRegistry of the
// request's account and region (schema_registry.hpp holds the rules).
#include "services/glue/provider_schema_registry.hpp"

#include "services/glue/errors.hpp"
#include "services/glue/schema_registry.hpp"

namespace cenote::glue::internal {
namespace {

using Operation = Result<boost::json::object> (SchemaRegistry::*)(const SchemaRegistry::Scope&,
                                                                  const boost::json::object&);

Result<aws::OperationOutput> Call(GlueEnv& env, const aws::RequestContext& ctx, aws::OperationInput& input,
                                  Operation op) {
  if (env.schemas == nullptr) return InternalError("glue: the schema registry is not open");
  const SchemaRegistry::Scope scope{.account = ctx.account_id(), .region = ctx.region};
  static const boost::json::object kEmpty;
  const boost::json::object& in = input.params.is_object() ? input.params.as_object() : kEmpty;
  CENOTE_ASSIGN_OR_RETURN(boost::json::object out, (env.schemas->*op)(scope, in));
  return out;
}

}  // namespace

#define CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER(Name)                                 \
  Result<aws::OperationOutput> Name(GlueEnv& env, const aws::RequestContext& ctx, \
                                    aws::OperationInput& input) {                 \
    return Call(env, ctx, input, &SchemaRegistry::Name);                          \
  }
CENOTE_GLUE_SCHEMA_REGISTRY_OPERATIONS(CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER)
#undef CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER

}  // namespace cenote::glue::internal
