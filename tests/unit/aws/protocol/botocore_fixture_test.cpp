// Requests serialized by botocore itself (fixtures/gen_botocore_requests.py): each must match the same
// operation and parse to the Document botocore was given.
#include <gtest/gtest.h>

#include <fstream>

#include "aws/protocol/wire.hpp"
#include "common/encoding.hpp"
#include "test_support.hpp"

namespace cenote::aws::protocol {
namespace {

std::vector<boost::json::value> LoadFixtures() {
  std::ifstream in(std::string(CENOTE_PROTOCOL_FIXTURES) + "/botocore_requests.jsonl");
  std::vector<boost::json::value> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(boost::json::parse(line));
  }
  return out;
}

TEST(BotocoreFixtures, EveryRequestParsesToTheParamsBotocoreSerialized) {
  auto fixtures = LoadFixtures();
  ASSERT_GE(fixtures.size(), 40u);
  for (const auto& f : fixtures) {
    std::string service(f.at("service").as_string());
    std::string op(f.at("operation").as_string());
    SCOPED_TRACE(service + " " + op);
    http::HttpRequest r;
    r.method = std::string(f.at("method").as_string());
    r.target = std::string(f.at("target").as_string());
    for (const auto& h : f.at("headers").as_array()) {
      r.headers.Add(std::string(h.at(0).as_string()), std::string(h.at(1).as_string()));
    }
    auto body = cenote::Base64Decode(f.at("body_base64").as_string(), kWireBase64);
    ASSERT_TRUE(body);
    r.body = std::make_unique<testing::StringReader>(*body);
    auto parsed = ParseRequest(testing::Service(service), r, 1 << 20);
    ASSERT_TRUE(parsed.ok()) << parsed.error().code << ": " << parsed.error().message
                             << " target=" << r.target;
    EXPECT_EQ(parsed->operation->name, op);
    const auto& input = parsed->input.as_object();
    for (const auto& [key, expected] : f.at("expected").as_object()) {
      const auto* actual = input.if_contains(key);
      ASSERT_NE(actual, nullptr) << "missing member " << key;
      EXPECT_EQ(*actual, expected) << "member " << key;
    }
  }
}

}  // namespace
}  // namespace cenote::aws::protocol
