// PutObjects for LakeAccess test doubles: each object through the double's own PutObject /
// PutObjectFromFile, in order. The doubles keep no metadata store, so a caller's `also` step is refused.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "services/s3/lake_access.hpp"

namespace cenote::s3::testing {

inline Result<std::vector<LakeObject>> PutEach(LakeAccess& lake, const std::string& bucket,
                                               const std::vector<LakePut>& puts,
                                               const std::function<Status(store::Transaction&)>& also) {
  if (also) return InternalError("this LakeAccess double has no metadata store for PutObjects' `also`");
  std::vector<LakeObject> out;
  for (const LakePut& put : puts) {
    auto one = put.path.empty() ? lake.PutObject(bucket, put.key, put.bytes, put.content_type)
                                : lake.PutObjectFromFile(bucket, put.key, put.path, put.content_type);
    if (!one) return std::move(one).error();
    out.push_back(std::move(*one));
  }
  return out;
}

}  // namespace cenote::s3::testing
