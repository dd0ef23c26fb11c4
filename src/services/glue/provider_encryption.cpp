// Get/PutDataCatalogEncryptionSettings: the catalog's encryption at rest (RegionalCatalog's settings).
#include "services/glue/errors.hpp"
#include "services/glue/provider_internal.hpp"

namespace cenote::glue::internal {

Result<aws::OperationOutput> GetDataCatalogEncryptionSettings(GlueEnv& env, const aws::RequestContext& ctx,
                                                              aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  CENOTE_ASSIGN_OR_RETURN(auto settings, c->GetEncryptionSettings());
  return object{{"DataCatalogEncryptionSettings", std::move(settings)}};
}

Result<aws::OperationOutput> PutDataCatalogEncryptionSettings(GlueEnv& env, const aws::RequestContext& ctx,
                                                              aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto settings, RequiredObject(in, "DataCatalogEncryptionSettings"));
  CENOTE_RETURN_IF_ERROR(c->PutEncryptionSettings(*settings));
  return object();
}

}  // namespace cenote::glue::internal
