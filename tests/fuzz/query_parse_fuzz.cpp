// libFuzzer target: query-protocol form bodies and request targets (IAM, SNS, CloudWatch) and REST
// request targets (S3 URI templates, query strings).
#include <string>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using cenote::fuzz::ParseAndSerialize;
  ParseAndSerialize("iam", "POST", "/", {{"Content-Type", "application/x-www-form-urlencoded"}}, data, size);
  ParseAndSerialize("sns", "POST", "/", {{"Content-Type", "application/x-www-form-urlencoded"}}, data, size);
  ParseAndSerialize("monitoring", "POST", "/", {{"Content-Type", "application/x-www-form-urlencoded"}}, data,
                    size);
  std::string target(reinterpret_cast<const char*>(data), size);
  if (target.find('\0') == std::string::npos) {
    ParseAndSerialize("iam", "GET", "/?" + target, {}, nullptr, 0);
    ParseAndSerialize("s3", "GET", "/" + target, {}, nullptr, 0);
    ParseAndSerialize("s3", "PUT", "/" + target, {{"x-amz-copy-source", target}}, nullptr, 0);
  }
  return 0;
}
