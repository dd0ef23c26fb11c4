// Service detection helpers of the detect stage (stages.hpp), exposed for tests.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace cenote::aws::pipeline {

// Splits a virtual-hosted-style S3 Host ("bucket.localhost:4566", "bucket.s3.localhost",
// "bucket.s3.us-east-1.amazonaws.com") into the bucket name; nullopt for path-style hosts
// (IP addresses, "localhost", "s3.localhost", ...).
std::optional<std::string> VirtualHostedBucket(std::string_view host);

// A request that carries no credentials at all (no SigV4 scope, no Authorization header) and does not name
// an S3 bucket in its Host: what a provider's any-host unsigned routes (provider.hpp) may claim.
bool UnsignedOutsideS3(const http::HttpRequest& request);

}  // namespace cenote::aws::pipeline
