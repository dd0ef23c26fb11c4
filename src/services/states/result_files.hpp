// The bodies of a Distributed Map's ResultWriter files. Step Functions writes each status's entries
// (SUCCEEDED, FAILED, PENDING) to <status>_0.json and, when they exceed the size of one file (5 GB), goes on
// with <status>_1.json, <status>_2.json ... (.jsonl with OutputType JSONL); manifest.json lists every file.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace cenote::states {

// The most one result file holds (5 GB, S3's largest single PUT).
inline constexpr std::uint64_t kResultFileBytes = 5ULL * 1024 * 1024 * 1024;

// `entries` as the bodies of consecutive files of at most `limit` bytes each (an entry larger than that
// alone in its file): a JSON array per file, or with `jsonl` one entry per line. No entries: no files.
std::vector<std::string> ResultFileBodies(const boost::json::array& entries, bool jsonl, std::uint64_t limit);

}  // namespace cenote::states
