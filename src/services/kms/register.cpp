// KMS's entry in the platform's list of services (src/platform/service_list.cpp).
#include "services/common/secret_sealer.hpp"
#include "services/common/service_deps.hpp"
#include "services/kms/kms_provider.hpp"

namespace cenote::kms {

Status Register(services::ServiceDeps& deps) {
  KmsOptions options;
  // `--kms-root-key-file`, else a file in the data directory (created on first start).
  options.root_key_file =
      deps.kms_root_key_file.empty() ? deps.data_dir + "/kms/root.key" : deps.kms_root_key_file;
  options.clock = deps.clock;
  CENOTE_ASSIGN_OR_RETURN(auto provider, KmsProvider::Open(deps.metadata, deps.tasks, options));
  // Other services' own secrets (signing keys) are sealed under the root key too.
  deps.Offer<services::SecretSealer>(deps.Keep(provider->MakeSecretSealer()));
  iam::ResourceAuthority& authority = deps.Keep(provider->MakeAuthority());
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::kms
