// Amazon SNS's entry in the platform's list of services (src/platform/service_list.cpp).
#include <cstdlib>

#include "services/common/secret_sealer.hpp"
#include "services/common/service_deps.hpp"
#include "services/sns/sns_provider.hpp"

namespace cenote::sns {

Status Register(services::ServiceDeps& deps) {
  SnsOptions options;
  options.clock = deps.clock;
  options.secrets = deps.Find<services::SecretSealer>();
  // email/email-json subscriptions write to a file sink (docs/sns-coverage.md): CENOTE_SNS_EMAIL_DIR, by
  // default <data dir>/sns/email.
  const char* email_dir = std::getenv("CENOTE_SNS_EMAIL_DIR");
  options.email_dir = email_dir != nullptr && *email_dir != '\0' ? email_dir : deps.data_dir + "/sns/email";
  const char* insecure = std::getenv("CENOTE_SNS_HTTPS_INSECURE");
  options.verify_tls = !(insecure != nullptr && std::string_view(insecure) == "1");
  // Retry delays in tests: CENOTE_SNS_RETRY_MS_PER_SECOND (default 1000).
  if (const char* unit = std::getenv("CENOTE_SNS_RETRY_MS_PER_SECOND"); unit != nullptr && *unit != '\0') {
    options.retry_ms_per_second = std::max(1L, std::atol(unit));
  }
  CENOTE_ASSIGN_OR_RETURN(auto provider, SnsProvider::Open(deps.metadata, deps.invoker, deps.tasks, options));
  iam::ResourceAuthority& authority = deps.Keep(provider->MakeAuthority());
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::sns
