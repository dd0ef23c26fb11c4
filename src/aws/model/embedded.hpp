// The model files compiled into the binary (see CMakeLists.txt: a generated assembly file `.incbin`s
// every ${CENOTE_DEPS_DIR}/aws-models/*.min.json and src/aws/model/overlay/*.json).
#pragma once

#include <span>
#include <string_view>

namespace cenote::aws::model {

struct EmbeddedFile {
  std::string_view uid;   // "s3-2006-03-01": the file name up to its first '.'
  std::string_view name;  // the file name: "s3-2006-03-01.min.json", "glue-2017-03-31.constraints.json"
  std::string_view data;  // the file's bytes, valid for the life of the process
};

// Both tables are sorted by file name.

std::span<const EmbeddedFile> EmbeddedModels();
std::span<const EmbeddedFile> EmbeddedOverlays();

}  // namespace cenote::aws::model
