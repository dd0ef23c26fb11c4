// AWS Step Functions' entry in the platform's list of services (src/platform/service_list.cpp).
#include <cstdlib>

#include "iam/directory.hpp"
#include "services/common/service_deps.hpp"
#include "services/states/states_provider.hpp"

namespace cenote::states {

Status Register(services::ServiceDeps& deps) {
  StatesOptions options;
  options.clock = deps.clock;
  options.directory = deps.Find<iam::Directory>();
  // A test hook: the size at which ResultWriter files split (AWS's 5 GB cannot be shown in a test).
  if (const char* b = std::getenv("CENOTE_STATES_RESULT_FILE_BYTES"); b != nullptr && *b != '\0') {
    const std::uint64_t bytes = std::strtoull(b, nullptr, 10);
    if (bytes > 0) options.result_file_bytes = bytes;
  }
  CENOTE_ASSIGN_OR_RETURN(auto provider,
                          StatesProvider::Open(deps.metadata, &deps.invoker, deps.tasks, options));
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::states
