// Reading a deployment package: a zip archive (stored or deflated entries, as every zip tool writes),
// extracted into a directory with the Unix permissions its entries carry (an executable `bootstrap` stays
// executable). Entries that would land outside the directory (absolute paths, "..") are refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::lambda {

// Checks `zip` is a readable archive; returns the total uncompressed size of its entries.
Result<std::uint64_t> CheckZip(std::string_view zip);
// Extracts `zip` into `dir` (created). Files get mode 0644 (0755 when the entry is executable), directories
// 0755: readable by the sandbox's unprivileged user.
Status ExtractZip(std::string_view zip, const std::string& dir);

}  // namespace cenote::lambda
