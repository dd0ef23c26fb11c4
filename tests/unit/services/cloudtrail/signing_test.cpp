// Digest signing (src/services/cloudtrail/signing.cpp): keys, AWS's string to sign, a chain of digests
// verified as `aws cloudtrail validate-logs` verifies them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"  // GCC bug 105329
#endif

#include "services/cloudtrail/signing.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/encoding.hpp"

namespace cenote::cloudtrail {
namespace {

TEST(CloudTrailSigning, KeysRoundTripAndFingerprint) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  const std::string pub = key->PublicDer();
  // PKCS#1 RSAPublicKey of a 2048-bit key: SEQUENCE (0x30 0x82 0x01 0x0a) { INTEGER (0x02 0x82 0x01 0x01) ...
  ASSERT_GE(pub.size(), 270u);
  EXPECT_EQ(HexEncode(pub.substr(0, 8)), "3082010a02820101");
  EXPECT_EQ(key->Fingerprint().size(), 32u);
  auto again = SigningKey::FromPrivateDer(key->PrivateDer());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->PublicDer(), pub);
  EXPECT_EQ(again->Fingerprint(), key->Fingerprint());
}

TEST(CloudTrailSigning, StringToSignIsAwsDocumentedOne) {
  EXPECT_EQ(
      DigestStringToSign("2015-08-17T15:01:31Z", "bucket", "AWSLogs/1/CloudTrail-Digest/x.json.gz", "{}", ""),
      "2015-08-17T15:01:31Z\nbucket/AWSLogs/1/CloudTrail-Digest/x.json.gz\n" + Sha256Hex("{}") + "\nnull");
  EXPECT_TRUE(DigestStringToSign("t", "b", "k", "{}", "abcd").ends_with("\nabcd"));
}

TEST(CloudTrailSigning, ChainVerifiesAndTamperingFails) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  // Three digests, each signed over the previous one's signature, as delivery writes them.
  std::string previous;
  std::vector<std::tuple<std::string, std::string, std::string>> chain;  // (content, signature, previous)
  for (int i = 0; i < 3; ++i) {
    boost::json::object d{{"digestEndTime", "2026-01-01T0" + std::to_string(i) + ":00:00Z"},
                          {"previousDigestSignature",
                           previous.empty() ? boost::json::value(nullptr) : boost::json::value(previous)}};
    std::string content = boost::json::serialize(d);
    std::string to_sign =
        DigestStringToSign(d["digestEndTime"].as_string(), "b", "k" + std::to_string(i), content, previous);
    auto sig = key->SignHex(to_sign);
    ASSERT_TRUE(sig.ok());
    chain.emplace_back(content, *sig, previous);
    previous = *sig;
  }
  for (int i = 0; i < 3; ++i) {
    const auto& [content, sig, prev] = chain[i];
    auto d = boost::json::parse(content).as_object();
    std::string to_sign =
        DigestStringToSign(d["digestEndTime"].as_string(), "b", "k" + std::to_string(i), content, prev);
    EXPECT_TRUE(VerifySignatureHex(key->PublicDer(), to_sign, sig)) << i;
    // An edited digest, a moved digest or a broken chain link no longer verifies.
    EXPECT_FALSE(VerifySignatureHex(key->PublicDer(), to_sign + " ", sig));
    EXPECT_FALSE(VerifySignatureHex(
        key->PublicDer(), DigestStringToSign(d["digestEndTime"].as_string(), "b", "moved", content, prev),
        sig));
    if (i > 0) {
      EXPECT_FALSE(
          VerifySignatureHex(key->PublicDer(),
                             DigestStringToSign(d["digestEndTime"].as_string(), "b", "k" + std::to_string(i),
                                                content, std::get<1>(chain[0]) + "00"),
                             sig));
    }
  }
  auto other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(VerifySignatureHex(other->PublicDer(), "x", *key->SignHex("x")));
}

}  // namespace
}  // namespace cenote::cloudtrail
