// The one list of services Cenote serves, in registration order (a service may use what an earlier one
// offers: Glue and Athena need S3's lake, Athena and Firehose Glue's catalog). Adding a service is a
// directory under src/services plus one line in service_list.cpp (docs/adding-a-service.md).
#pragma once

#include <span>

#include "services/common/service_deps.hpp"

namespace cenote::platform {

std::span<const services::ServiceEntry> ServiceList();

}  // namespace cenote::platform
