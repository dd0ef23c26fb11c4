// libFuzzer target: json 1.1 / 1.0 and rest-json request bodies.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using cenote::fuzz::ParseAndSerialize;
  ParseAndSerialize("glue", "POST", "/", {{"X-Amz-Target", "AWSGlue.CreateTable"}}, data, size);
  ParseAndSerialize("sqs", "POST", "/", {{"X-Amz-Target", "AmazonSQS.SendMessageBatch"}}, data, size);
  ParseAndSerialize("states", "POST", "/", {{"X-Amz-Target", "AWSStepFunctions.StartExecution"}}, data, size);
  ParseAndSerialize("lambda", "POST", "/2015-03-31/functions", {{"Content-Type", "application/json"}}, data,
                    size);
  return 0;
}
