// Service detection helpers of the detect stage (stages.hpp), exposed for tests.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cenote::aws::pipeline {

// Splits a virtual-hosted-style S3 Host ("bucket.localhost:4566", "bucket.s3.localhost",
// "bucket.s3.us-east-1.amazonaws.com") into the bucket name; nullopt for path-style hosts
// (IP addresses, "localhost", "s3.localhost", ...).
std::optional<std::string> VirtualHostedBucket(std::string_view host);

}  // namespace cenote::aws::pipeline
