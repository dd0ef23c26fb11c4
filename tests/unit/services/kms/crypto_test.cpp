// The KMS primitives against published test vectors: AES-256-GCM (the GCM specification's test cases 14 and
// 16, as in NIST's CAVP gcmEncryptExtIV256) and HMAC-SHA-224/256/384/512 (RFC 4231 test case 2), plus
// round trips of the key-pair helpers.
#include "services/kms/crypto.hpp"

#include <gtest/gtest.h>

#include "common/encoding.hpp"

namespace cenote::kms::crypto {
namespace {

std::string Hex(std::string_view hex) { return HexDecode(hex).value(); }

TEST(KmsCrypto, AesGcm256TestCase14) {
  const std::string key(32, '\0'), iv(12, '\0'), pt(16, '\0');
  auto sealed = AesGcmSeal(key, iv, "", pt);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(HexEncode(*sealed), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  EXPECT_EQ(AesGcmOpen(key, iv, "", *sealed), pt);
}

TEST(KmsCrypto, AesGcm256TestCase16WithAad) {
  const std::string key = Hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const std::string iv = Hex("cafebabefacedbaddecaf888");
  const std::string pt =
      Hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b1"
          "6aedf5aa0de6"
          "57ba637b39");
  const std::string aad = Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  auto sealed = AesGcmSeal(key, iv, aad, pt);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(HexEncode(*sealed),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
            "c5f61e639"
            "3ba7a0abcc9f662"
            "76fc6ece0f4e1768cddf8853bb2d551b");
  EXPECT_EQ(AesGcmOpen(key, iv, aad, *sealed), pt);
  // A changed AAD, ciphertext bit or tag fails.
  EXPECT_FALSE(AesGcmOpen(key, iv, aad + "x", *sealed).has_value());
  std::string tampered = *sealed;
  tampered[3] ^= 1;
  EXPECT_FALSE(AesGcmOpen(key, iv, aad, tampered).has_value());
}

TEST(KmsCrypto, HmacRfc4231TestCase2) {
  const std::string key = "Jefe", data = "what do ya want for nothing?";
  EXPECT_EQ(HexEncode(Hmac(224, key, data)), "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44");
  EXPECT_EQ(HexEncode(Hmac(256, key, data)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(
      HexEncode(Hmac(384, key, data)),
      "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649");
  EXPECT_EQ(HexEncode(Hmac(512, key, data)),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
            "caeab1a34d4a"
            "6b4b636e070a38bce737");
}

TEST(KmsCrypto, SealNamesWhatItSeals) {
  const std::string root(32, 'r');
  auto sealed = Seal(root, "key-a#1", "material");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(Unseal(root, "key-a#1", *sealed), "material");
  EXPECT_FALSE(Unseal(root, "key-b#1", *sealed).has_value());
  EXPECT_FALSE(Unseal(std::string(32, 's'), "key-a#1", *sealed).has_value());
}

TEST(KmsCrypto, KeyPairsSignVerifyAndEncrypt) {
  for (std::string spec :
       {"RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1"}) {
    auto priv = GenerateKeyPair(spec);
    ASSERT_TRUE(priv.ok()) << spec;
    EXPECT_EQ(SpecOfPrivateKey(*priv), spec);
    auto pub = PublicKeyOf(*priv);
    ASSERT_TRUE(pub.ok());
    std::vector<std::string> algorithms;
    if (spec.starts_with("RSA")) {
      algorithms = {"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_384"};
    } else {
      algorithms = {spec == "ECC_NIST_P384"   ? "ECDSA_SHA_384"
                    : spec == "ECC_NIST_P521" ? "ECDSA_SHA_512"
                                              : "ECDSA_SHA_256"};
    }
    for (const auto& alg : algorithms) {
      const std::string digest = Digest(alg, "message");
      ASSERT_EQ(digest.size(), DigestBytes(alg));
      auto sig = SignDigest(*priv, alg, digest);
      ASSERT_TRUE(sig.ok()) << spec << " " << alg;
      EXPECT_TRUE(VerifyDigest(*pub, alg, digest, *sig)) << spec << " " << alg;
      EXPECT_FALSE(VerifyDigest(*pub, alg, Digest(alg, "other"), *sig));
    }
  }
  auto rsa = GenerateKeyPair("RSA_2048");
  ASSERT_TRUE(rsa.ok());
  auto pub = PublicKeyOf(*rsa);
  for (int sha : {1, 256}) {
    auto ct = RsaOaepEncrypt(*pub, sha, "secret");
    ASSERT_TRUE(ct.ok());
    EXPECT_EQ(RsaOaepDecrypt(*rsa, sha, *ct), "secret");
    EXPECT_FALSE(RsaOaepDecrypt(*rsa, sha == 1 ? 256 : 1, *ct).has_value());
  }
}

}  // namespace
}  // namespace cenote::kms::crypto
