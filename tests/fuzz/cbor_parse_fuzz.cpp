// libFuzzer target: CBOR request bodies of the json protocol (Kinesis, as the Java SDK / KCL send them).
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using cenote::fuzz::ParseAndSerialize;
  const std::pair<std::string, std::string> cbor{"Content-Type", "application/x-amz-cbor-1.1"};
  ParseAndSerialize("kinesis", "POST", "/", {{"X-Amz-Target", "Kinesis_20131202.PutRecords"}, cbor}, data,
                    size);
  ParseAndSerialize("kinesis", "POST", "/", {{"X-Amz-Target", "Kinesis_20131202.GetShardIterator"}, cbor},
                    data, size);
  ParseAndSerialize("kinesis", "POST", "/", {{"X-Amz-Target", "Kinesis_20131202.ListShards"}, cbor}, data,
                    size);
  return 0;
}
