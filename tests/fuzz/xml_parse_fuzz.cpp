// libFuzzer target: rest-xml request bodies (S3 DeleteObjects, CompleteMultipartUpload, lifecycle, ACL).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using cenote::fuzz::ParseAndSerialize;
  ParseAndSerialize("s3", "POST", "/b?delete", {}, data, size);
  ParseAndSerialize("s3", "POST", "/b/k?uploadId=u", {}, data, size);
  ParseAndSerialize("s3", "PUT", "/b?lifecycle", {}, data, size);
  ParseAndSerialize("s3", "PUT", "/b/k?acl", {}, data, size);
  return 0;
}
