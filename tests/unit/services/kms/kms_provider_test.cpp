// KmsProvider called through a real request pipeline (ProviderHarness: in-process calls, authorize,
// after-hooks) with documents, over a real SQLite MetadataStore and a root key file in a temp dir, with an
// injectable clock. The authorization tests evaluate the authority's facts with iam::Evaluate and the action
// map, as the IAM authorizer does.
#include "services/kms/kms_provider.hpp"
#include "services/common/secret_sealer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "common/encoding.hpp"
#include "iam/action_map.hpp"
#include "iam/evaluate.hpp"
#include "services/kms/crypto.hpp"
#include "services/kms/errors.hpp"

namespace cenote::kms {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

constexpr std::int64_t kDay = 86'400'000;
constexpr char kAccount[] = "000000000000";

class KmsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(std::string root_key_file = "") {
    harness_.reset();
    provider_ = nullptr;
    metadata_.reset();
    auto md = store::MetadataStore::OpenSqlite(dir_.path() + "/metadata.db");
    ASSERT_TRUE(md.ok());
    metadata_ = std::move(md).value();
    KmsOptions options;
    options.root_key_file = root_key_file.empty() ? dir_.path() + "/kms/root.key" : root_key_file;
    options.maintenance_interval_ms = 0;
    options.clock = [this] { return now_.load(); };
    auto p = KmsProvider::Open(*metadata_, tasks_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    authority_ = provider_->MakeAuthority();
    harness_ = std::make_unique<testing::ProviderHarness>();
    harness_->Register(std::move(p).value());
  }

  Result<aws::OperationOutput> Call(std::string_view op, json::object params,
                                    const std::string& region = "us-east-1") {
    return harness_->Call("kms", op, std::move(params), region);
  }
  json::object Ok(std::string_view op, json::object params, const std::string& region = "us-east-1") {
    auto r = Call(op, std::move(params), region);
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }
  std::string Fails(std::string_view op, json::object params, const std::string& region = "us-east-1") {
    auto r = Call(op, std::move(params), region);
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
    return r.ok() ? "" : r.error().code;
  }
  std::string NewKey(json::object params = {}, const std::string& region = "us-east-1") {
    return std::string(
        Ok("CreateKey", std::move(params), region)["KeyMetadata"].as_object()["KeyId"].as_string());
  }
  static std::string Str(const json::object& o, std::string_view name) {
    return std::string(o.at(name).as_string());
  }

  TempDir dir_;
  std::atomic<std::int64_t> now_{1'800'000'000'000};
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_;
  KmsProvider* provider_ = nullptr;
  std::unique_ptr<iam::ResourceAuthority> authority_;
  std::unique_ptr<testing::ProviderHarness> harness_;
};

TEST_F(KmsTest, CreateKeyDescribesAsAws) {
  auto md = Ok("CreateKey",
               {{"Description", "d"},
                {"Tags", json::array{json::object{{"TagKey", "team"}, {"TagValue", "x"}}}}})["KeyMetadata"]
                .as_object();
  EXPECT_EQ(Str(md, "KeyState"), "Enabled");
  EXPECT_EQ(Str(md, "KeySpec"), "SYMMETRIC_DEFAULT");
  EXPECT_EQ(Str(md, "KeyUsage"), "ENCRYPT_DECRYPT");
  EXPECT_EQ(Str(md, "Origin"), "AWS_KMS");
  EXPECT_EQ(Str(md, "KeyManager"), "CUSTOMER");
  EXPECT_EQ(Str(md, "Arn"), "arn:aws:kms:us-east-1:000000000000:key/" + Str(md, "KeyId"));
  EXPECT_EQ(md["EncryptionAlgorithms"].as_array().size(), 1u);
  auto policy = Ok("GetKeyPolicy", {{"KeyId", md["KeyId"]}, {"PolicyName", "default"}});
  EXPECT_NE(Str(policy, "Policy").find("\"Id\" : \"key-default-1\""), std::string::npos);
  EXPECT_NE(Str(policy, "Policy").find("arn:aws:iam::000000000000:root"), std::string::npos);
  auto tags = Ok("ListResourceTags", {{"KeyId", md["KeyId"]}});
  EXPECT_EQ(tags["Tags"].as_array().size(), 1u);
  EXPECT_EQ(Fails("CreateKey", {{"KeySpec", "RSA_2048"}}),
            "ValidationException");  // asymmetric needs KeyUsage
  EXPECT_EQ(Fails("CreateKey", {{"KeySpec", "ECC_NIST_P256"}, {"KeyUsage", "ENCRYPT_DECRYPT"}}),
            "ValidationException");
  EXPECT_EQ(Fails("CreateKey", {{"CustomKeyStoreId", "cks-1234567890abcdef0"}}),
            "CustomKeyStoreNotFoundException");
}

TEST_F(KmsTest, EncryptDecryptWithEveryKeyNameAndContext) {
  const std::string id = NewKey();
  Ok("CreateAlias", {{"AliasName", "alias/app"}, {"TargetKeyId", id}});
  const std::string arn = "arn:aws:kms:us-east-1:000000000000:key/" + id;
  json::object ctx{{"dept", "it"}, {"app", "x"}};
  for (std::string name :
       {id, arn, std::string("alias/app"), std::string("arn:aws:kms:us-east-1:000000000000:alias/app")}) {
    auto enc = Ok("Encrypt", {{"KeyId", name}, {"Plaintext", "hello"}, {"EncryptionContext", ctx}});
    EXPECT_EQ(Str(enc, "KeyId"), arn);
    EXPECT_EQ(Str(enc, "EncryptionAlgorithm"), "SYMMETRIC_DEFAULT");
    const std::string blob = Str(enc, "CiphertextBlob");
    EXPECT_EQ(blob.find("hello"), std::string::npos);
    // Without KeyId: the blob names the key.
    auto dec = Ok("Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", ctx}});
    EXPECT_EQ(Str(dec, "Plaintext"), "hello");
    EXPECT_EQ(Str(dec, "KeyId"), arn);
    Ok("Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", ctx}, {"KeyId", name}});
  }
  const std::string blob = Str(
      Ok("Encrypt", {{"KeyId", id}, {"Plaintext", "hello"}, {"EncryptionContext", ctx}}), "CiphertextBlob");
  // Missing, partial or changed context: InvalidCiphertextException.
  EXPECT_EQ(Fails("Decrypt", {{"CiphertextBlob", blob}}), "InvalidCiphertextException");
  EXPECT_EQ(Fails("Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", json::object{{"dept", "it"}}}}),
            "InvalidCiphertextException");
  EXPECT_EQ(Fails("Decrypt", {{"CiphertextBlob", blob},
                              {"EncryptionContext", json::object{{"dept", "it"}, {"app", "y"}}}}),
            "InvalidCiphertextException");
  std::string tampered = blob;
  tampered[tampered.size() - 20] ^= 1;
  EXPECT_EQ(Fails("Decrypt", {{"CiphertextBlob", tampered}, {"EncryptionContext", ctx}}),
            "InvalidCiphertextException");
  EXPECT_EQ(Fails("Decrypt", {{"CiphertextBlob", "garbage-bytes-not-a-blob"}}), "InvalidCiphertextException");
  // A KeyId that is not the blob's key.
  const std::string other = NewKey();
  EXPECT_EQ(Fails("Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", ctx}, {"KeyId", other}}),
            "IncorrectKeyException");
  // ReEncrypt moves it to the other key, with a new context.
  auto re = Ok("ReEncrypt",
               {{"CiphertextBlob", blob}, {"SourceEncryptionContext", ctx}, {"DestinationKeyId", other}});
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", re["CiphertextBlob"]}}), "Plaintext"), "hello");
  // Limits.
  EXPECT_EQ(Fails("Encrypt", {{"KeyId", id}, {"Plaintext", std::string(4097, 'x')}}), "ValidationException");
  EXPECT_EQ(Fails("Encrypt", {{"KeyId", "alias/none"}, {"Plaintext", "x"}}), "NotFoundException");
  EXPECT_EQ(Fails("Encrypt", {{"KeyId", "0b7cc0ea-0000-4000-8000-000000000000"}, {"Plaintext", "x"}}),
            "NotFoundException");
  EXPECT_EQ(Fails("Encrypt", {{"KeyId", id}, {"Plaintext", "x"}, {"DryRun", true}}),
            "DryRunOperationException");
}

TEST_F(KmsTest, KeysAreRegional) {
  const std::string id = NewKey();
  EXPECT_EQ(Fails("DescribeKey", {{"KeyId", id}}, "eu-west-1"), "NotFoundException");
  EXPECT_EQ(Fails("DescribeKey", {{"KeyId", "arn:aws:kms:us-east-1:000000000000:key/" + id}}, "eu-west-1"),
            "NotFoundException");
  EXPECT_EQ(Ok("ListKeys", {}, "eu-west-1")["Keys"].as_array().size(), 0u);
}

TEST_F(KmsTest, DataKeysAndRandom) {
  const std::string id = NewKey();
  auto dk = Ok("GenerateDataKey",
               {{"KeyId", id}, {"KeySpec", "AES_256"}, {"EncryptionContext", json::object{{"a", "b"}}}});
  EXPECT_EQ(Str(dk, "Plaintext").size(), 32u);
  auto dec = Ok("Decrypt",
                {{"CiphertextBlob", dk["CiphertextBlob"]}, {"EncryptionContext", json::object{{"a", "b"}}}});
  EXPECT_EQ(Str(dec, "Plaintext"), Str(dk, "Plaintext"));
  auto nb = Ok("GenerateDataKeyWithoutPlaintext", {{"KeyId", id}, {"NumberOfBytes", 64}});
  EXPECT_FALSE(nb.contains("Plaintext"));
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", nb["CiphertextBlob"]}}), "Plaintext").size(), 64u);
  EXPECT_EQ(Fails("GenerateDataKey", {{"KeyId", id}}), "ValidationException");
  EXPECT_EQ(Fails("GenerateDataKey", {{"KeyId", id}, {"KeySpec", "AES_256"}, {"NumberOfBytes", 32}}),
            "ValidationException");
  EXPECT_EQ(Str(Ok("GenerateRandom", {{"NumberOfBytes", 1024}}), "Plaintext").size(), 1024u);
  EXPECT_EQ(Fails("GenerateRandom", {{"NumberOfBytes", 1025}}), "ValidationException");
}

TEST_F(KmsTest, DisabledAndPendingDeletionKeys) {
  const std::string id = NewKey();
  const std::string blob = Str(Ok("Encrypt", {{"KeyId", id}, {"Plaintext", "p"}}), "CiphertextBlob");
  Ok("DisableKey", {{"KeyId", id}});
  EXPECT_EQ(Fails("Encrypt", {{"KeyId", id}, {"Plaintext", "p"}}), "DisabledException");
  EXPECT_EQ(Fails("Decrypt", {{"CiphertextBlob", blob}}), "DisabledException");
  Ok("EnableKey", {{"KeyId", id}});
  Ok("Decrypt", {{"CiphertextBlob", blob}});
  EXPECT_EQ(Fails("ScheduleKeyDeletion", {{"KeyId", id}, {"PendingWindowInDays", 6}}), "ValidationException");
  EXPECT_EQ(Fails("ScheduleKeyDeletion", {{"KeyId", id}, {"PendingWindowInDays", 31}}),
            "ValidationException");
  auto s = Ok("ScheduleKeyDeletion", {{"KeyId", id}, {"PendingWindowInDays", 7}});
  EXPECT_EQ(Str(s, "KeyState"), "PendingDeletion");
  EXPECT_EQ(s["DeletionDate"].as_int64(), now_ + 7 * kDay);
  EXPECT_EQ(Fails("Decrypt", {{"CiphertextBlob", blob}}), "KMSInvalidStateException");
  EXPECT_EQ(Fails("ScheduleKeyDeletion", {{"KeyId", id}}), "KMSInvalidStateException");
  EXPECT_EQ(Fails("EnableKey", {{"KeyId", id}}), "KMSInvalidStateException");
  // Cancelled: the key comes back disabled, as on AWS.
  Ok("CancelKeyDeletion", {{"KeyId", id}});
  EXPECT_EQ(Str(Ok("DescribeKey", {{"KeyId", id}})["KeyMetadata"].as_object(), "KeyState"), "Disabled");
  EXPECT_EQ(Fails("CancelKeyDeletion", {{"KeyId", id}}), "KMSInvalidStateException");
}

TEST_F(KmsTest, ScheduledDeletionHappensWhenDue) {
  const std::string id = NewKey();
  Ok("CreateAlias", {{"AliasName", "alias/doomed"}, {"TargetKeyId", id}});
  Ok("ScheduleKeyDeletion", {{"KeyId", id}, {"PendingWindowInDays", 7}});
  now_ += 7 * kDay - 1;
  ASSERT_TRUE(provider_->Maintain().ok());
  Ok("DescribeKey", {{"KeyId", id}});
  now_ += 1;
  ASSERT_TRUE(provider_->Maintain().ok());
  EXPECT_EQ(Fails("DescribeKey", {{"KeyId", id}}), "NotFoundException");
  EXPECT_EQ(Ok("ListAliases", {})["Aliases"].as_array().size(), 0u);
  Open();  // gone for good
  EXPECT_EQ(Fails("DescribeKey", {{"KeyId", id}}), "NotFoundException");
}

TEST_F(KmsTest, RotationKeepsOldCiphertextsReadable) {
  const std::string id = NewKey();
  const std::string before = Str(Ok("Encrypt", {{"KeyId", id}, {"Plaintext", "v1"}}), "CiphertextBlob");
  Ok("RotateKeyOnDemand", {{"KeyId", id}});
  const std::string after = Str(Ok("Encrypt", {{"KeyId", id}, {"Plaintext", "v2"}}), "CiphertextBlob");
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", before}}), "Plaintext"), "v1");
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", after}}), "Plaintext"), "v2");
  // Automatic rotation: due after the period, run by maintenance.
  EXPECT_EQ(Fails("EnableKeyRotation", {{"KeyId", id}, {"RotationPeriodInDays", 89}}), "ValidationException");
  Ok("EnableKeyRotation", {{"KeyId", id}, {"RotationPeriodInDays", 90}});
  auto status = Ok("GetKeyRotationStatus", {{"KeyId", id}});
  EXPECT_TRUE(status["KeyRotationEnabled"].as_bool());
  EXPECT_EQ(status["NextRotationDate"].as_int64(), now_ + 90 * kDay);
  now_ += 90 * kDay;
  ASSERT_TRUE(provider_->Maintain().ok());
  auto rotations = Ok("ListKeyRotations", {{"KeyId", id}})["Rotations"].as_array();
  ASSERT_EQ(rotations.size(), 2u);
  EXPECT_EQ(rotations[0].as_object().at("RotationType").as_string(), "ON_DEMAND");
  EXPECT_EQ(rotations[1].as_object().at("RotationType").as_string(), "AUTOMATIC");
  Open();  // materials survive a restart
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", before}}), "Plaintext"), "v1");
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", after}}), "Plaintext"), "v2");
  const std::string rsa = NewKey({{"KeySpec", "RSA_2048"}, {"KeyUsage", "SIGN_VERIFY"}});
  EXPECT_EQ(Fails("EnableKeyRotation", {{"KeyId", rsa}}), "UnsupportedOperationException");
}

TEST_F(KmsTest, StateSurvivesRestartAndIsBoundToItsRootKey) {
  const std::string id = NewKey();
  Ok("CreateAlias", {{"AliasName", "alias/keep"}, {"TargetKeyId", id}});
  const std::string blob =
      Str(Ok("Encrypt", {{"KeyId", "alias/keep"}, {"Plaintext", "durable"}}), "CiphertextBlob");
  Open();
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", blob}}), "Plaintext"), "durable");
  EXPECT_EQ(Ok("ListAliases", {})["Aliases"].as_array().size(), 1u);
  // The metadata holds no key material in the clear, and another root key is refused.
  std::ifstream in(dir_.path() + "/metadata.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find("durable"), std::string::npos);
  harness_.reset();
  metadata_.reset();
  auto md = store::MetadataStore::OpenSqlite(dir_.path() + "/metadata.db");
  ASSERT_TRUE(md.ok());
  KmsOptions options;
  options.root_key_file = dir_.path() + "/other.key";
  options.maintenance_interval_ms = 0;
  auto refused = KmsProvider::Open(**md, tasks_, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("not the one"), std::string::npos);
}

TEST_F(KmsTest, SealsOtherServicesSecretsUnderTheRootKey) {
  auto sealer = provider_->MakeSecretSealer();
  auto sealed = sealer->Seal("sns message signing key", "-----private-----");
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(services::SecretSealer::IsSealed(*sealed));
  EXPECT_EQ(sealed->find("private"), std::string::npos);
  EXPECT_EQ(*sealer->Unseal("sns message signing key", *sealed), "-----private-----");
  EXPECT_FALSE(sealer->Unseal("cloudtrail digest key us-east-1/x", *sealed).ok());  // another purpose
  // The same root key after a restart opens it; legacy plaintext reads as it is.
  Open();
  auto again = provider_->MakeSecretSealer();
  EXPECT_EQ(*services::OpenSecret(again.get(), "sns message signing key", *sealed), "-----private-----");
  EXPECT_EQ(*services::OpenSecret(again.get(), "x", "legacy"), "legacy");
  EXPECT_FALSE(services::OpenSecret(nullptr, "sns message signing key", *sealed).ok());
}

TEST_F(KmsTest, SignVerifyAndPublicKey) {
  struct Case {
    std::string spec, algorithm;
  };
  for (const Case& c : {Case{"RSA_2048", "RSASSA_PSS_SHA_256"}, Case{"RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384"},
                        Case{"ECC_NIST_P256", "ECDSA_SHA_256"}, Case{"ECC_NIST_P384", "ECDSA_SHA_384"},
                        Case{"ECC_NIST_P521", "ECDSA_SHA_512"}, Case{"ECC_SECG_P256K1", "ECDSA_SHA_256"}}) {
    const std::string id = NewKey({{"KeySpec", c.spec}, {"KeyUsage", "SIGN_VERIFY"}});
    auto sig = Ok("Sign", {{"KeyId", id}, {"Message", "msg"}, {"SigningAlgorithm", c.algorithm}});
    const std::string signature = Str(sig, "Signature");
    auto v =
        Ok("Verify",
           {{"KeyId", id}, {"Message", "msg"}, {"Signature", signature}, {"SigningAlgorithm", c.algorithm}});
    EXPECT_TRUE(v["SignatureValid"].as_bool());
    EXPECT_EQ(Fails("Verify", {{"KeyId", id},
                               {"Message", "other"},
                               {"Signature", signature},
                               {"SigningAlgorithm", c.algorithm}}),
              "KMSInvalidSignatureException");
    // DIGEST: the caller's hash, checked against the algorithm's length.
    const std::string digest = crypto::Digest(c.algorithm, "msg");
    Ok("Verify", {{"KeyId", id},
                  {"Message", digest},
                  {"MessageType", "DIGEST"},
                  {"Signature", signature},
                  {"SigningAlgorithm", c.algorithm}});
    EXPECT_EQ(Fails("Sign", {{"KeyId", id},
                             {"Message", "short"},
                             {"MessageType", "DIGEST"},
                             {"SigningAlgorithm", c.algorithm}}),
              "ValidationException");
    // The public key verifies it outside KMS.
    auto pk = Ok("GetPublicKey", {{"KeyId", id}});
    EXPECT_EQ(Str(pk, "KeySpec"), c.spec);
    EXPECT_TRUE(crypto::VerifyDigest(Str(pk, "PublicKey"), c.algorithm, digest, signature)) << c.spec;
    EXPECT_EQ(Fails("Encrypt", {{"KeyId", id}, {"Plaintext", "x"}}), "InvalidKeyUsageException");
  }
  const std::string ec = NewKey({{"KeySpec", "ECC_NIST_P256"}, {"KeyUsage", "SIGN_VERIFY"}});
  EXPECT_EQ(Fails("Sign", {{"KeyId", ec}, {"Message", "m"}, {"SigningAlgorithm", "ECDSA_SHA_384"}}),
            "InvalidKeyUsageException");
  EXPECT_EQ(Fails("GetPublicKey", {{"KeyId", NewKey()}}), "UnsupportedOperationException");
}

TEST_F(KmsTest, RsaEncryption) {
  const std::string id = NewKey({{"KeySpec", "RSA_2048"}, {"KeyUsage", "ENCRYPT_DECRYPT"}});
  for (std::string alg : {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}) {
    auto enc = Ok("Encrypt", {{"KeyId", id}, {"Plaintext", "secret"}, {"EncryptionAlgorithm", alg}});
    EXPECT_EQ(Str(enc, "CiphertextBlob").size(), 256u);
    auto dec = Ok("Decrypt",
                  {{"KeyId", id}, {"CiphertextBlob", enc["CiphertextBlob"]}, {"EncryptionAlgorithm", alg}});
    EXPECT_EQ(Str(dec, "Plaintext"), "secret");
    // Without KeyId an RSA ciphertext names no key.
    EXPECT_EQ(Fails("Decrypt", {{"CiphertextBlob", enc["CiphertextBlob"]}, {"EncryptionAlgorithm", alg}}),
              "InvalidCiphertextException");
  }
  EXPECT_EQ(Fails("Encrypt", {{"KeyId", id}, {"Plaintext", "x"}}),
            "InvalidKeyUsageException");  // SYMMETRIC_DEFAULT
}

TEST_F(KmsTest, HmacKeys) {
  for (int bits : {224, 256, 384, 512}) {
    const std::string spec = "HMAC_" + std::to_string(bits);
    const std::string alg = "HMAC_SHA_" + std::to_string(bits);
    const std::string id = NewKey({{"KeySpec", spec}, {"KeyUsage", "GENERATE_VERIFY_MAC"}});
    auto mac = Ok("GenerateMac", {{"KeyId", id}, {"Message", "m"}, {"MacAlgorithm", alg}});
    EXPECT_EQ(Str(mac, "Mac").size(), static_cast<std::size_t>(bits / 8));
    EXPECT_TRUE(Ok("VerifyMac",
                   {{"KeyId", id}, {"Message", "m"}, {"Mac", mac["Mac"]}, {"MacAlgorithm", alg}})["MacValid"]
                    .as_bool());
    EXPECT_EQ(
        Fails("VerifyMac", {{"KeyId", id}, {"Message", "n"}, {"Mac", mac["Mac"]}, {"MacAlgorithm", alg}}),
        "KMSInvalidMacException");
  }
}

TEST_F(KmsTest, DataKeyPairs) {
  const std::string id = NewKey();
  auto pair = Ok("GenerateDataKeyPair", {{"KeyId", id}, {"KeyPairSpec", "ECC_NIST_P256"}});
  const std::string priv = Str(pair, "PrivateKeyPlaintext");
  EXPECT_EQ(crypto::PublicKeyOf(priv).value(), Str(pair, "PublicKey"));
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", pair["PrivateKeyCiphertextBlob"]}}), "Plaintext"), priv);
  auto without = Ok("GenerateDataKeyPairWithoutPlaintext", {{"KeyId", id}, {"KeyPairSpec", "RSA_2048"}});
  EXPECT_FALSE(without.contains("PrivateKeyPlaintext"));
}

TEST_F(KmsTest, ImportedKeyMaterial) {
  const std::string id = NewKey({{"Origin", "EXTERNAL"}});
  EXPECT_EQ(Str(Ok("DescribeKey", {{"KeyId", id}})["KeyMetadata"].as_object(), "KeyState"), "PendingImport");
  EXPECT_EQ(Fails("Encrypt", {{"KeyId", id}, {"Plaintext", "x"}}), "KMSInvalidStateException");
  auto params =
      Ok("GetParametersForImport",
         {{"KeyId", id}, {"WrappingAlgorithm", "RSAES_OAEP_SHA_256"}, {"WrappingKeySpec", "RSA_2048"}});
  const std::string material(32, '\x42');
  auto wrapped = crypto::RsaOaepEncrypt(Str(params, "PublicKey"), 256, material);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(
      Fails("ImportKeyMaterial", {{"KeyId", id}, {"ImportToken", "bad"}, {"EncryptedKeyMaterial", *wrapped}}),
      "InvalidImportTokenException");
  Ok("ImportKeyMaterial", {{"KeyId", id},
                           {"ImportToken", params["ImportToken"]},
                           {"EncryptedKeyMaterial", *wrapped},
                           {"ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE"}});
  const std::string blob = Str(Ok("Encrypt", {{"KeyId", id}, {"Plaintext", "x"}}), "CiphertextBlob");
  Ok("DeleteImportedKeyMaterial", {{"KeyId", id}});
  EXPECT_EQ(Fails("Decrypt", {{"CiphertextBlob", blob}}), "KMSInvalidStateException");
  // Other material is refused; the same material brings the ciphertexts back.
  params = Ok("GetParametersForImport",
              {{"KeyId", id}, {"WrappingAlgorithm", "RSAES_OAEP_SHA_1"}, {"WrappingKeySpec", "RSA_3072"}});
  auto other = crypto::RsaOaepEncrypt(Str(params, "PublicKey"), 1, std::string(32, '\x43'));
  EXPECT_EQ(Fails("ImportKeyMaterial",
                  {{"KeyId", id}, {"ImportToken", params["ImportToken"]}, {"EncryptedKeyMaterial", *other}}),
            "IncorrectKeyMaterialException");
  auto same = crypto::RsaOaepEncrypt(Str(params, "PublicKey"), 1, material);
  Ok("ImportKeyMaterial", {{"KeyId", id},
                           {"ImportToken", params["ImportToken"]},
                           {"EncryptedKeyMaterial", *same},
                           {"ValidTo", now_ + kDay}});
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", blob}}), "Plaintext"), "x");
  // Material past its ValidTo is deleted by maintenance.
  now_ += kDay;
  ASSERT_TRUE(provider_->Maintain().ok());
  EXPECT_EQ(Str(Ok("DescribeKey", {{"KeyId", id}})["KeyMetadata"].as_object(), "KeyState"), "PendingImport");
  EXPECT_EQ(Fails("GetParametersForImport", {{"KeyId", NewKey()},
                                             {"WrappingAlgorithm", "RSAES_OAEP_SHA_256"},
                                             {"WrappingKeySpec", "RSA_2048"}}),
            "UnsupportedOperationException");
}

TEST_F(KmsTest, MultiRegionKeysDecryptInEveryRegion) {
  const std::string id = NewKey({{"MultiRegion", true}});
  EXPECT_TRUE(id.starts_with("mrk-"));
  auto replica = Ok("ReplicateKey", {{"KeyId", id}, {"ReplicaRegion", "eu-west-1"}});
  auto md = replica["ReplicaKeyMetadata"].as_object();
  EXPECT_EQ(Str(md, "Arn"), "arn:aws:kms:eu-west-1:000000000000:key/" + id);
  EXPECT_EQ(md["MultiRegionConfiguration"].as_object()["MultiRegionKeyType"].as_string(), "REPLICA");
  const std::string blob = Str(Ok("Encrypt", {{"KeyId", id}, {"Plaintext", "everywhere"}}), "CiphertextBlob");
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", blob}}, "eu-west-1"), "Plaintext"), "everywhere");
  const std::string back =
      Str(Ok("Encrypt", {{"KeyId", id}, {"Plaintext", "back"}}, "eu-west-1"), "CiphertextBlob");
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", back}}), "Plaintext"), "back");
  // A rotation of the primary reaches the replica.
  Ok("RotateKeyOnDemand", {{"KeyId", id}});
  const std::string rotated = Str(Ok("Encrypt", {{"KeyId", id}, {"Plaintext", "r"}}), "CiphertextBlob");
  EXPECT_EQ(Str(Ok("Decrypt", {{"CiphertextBlob", rotated}}, "eu-west-1"), "Plaintext"), "r");
  auto primary = Ok("DescribeKey", {{"KeyId", id}})["KeyMetadata"].as_object();
  EXPECT_EQ(primary["MultiRegionConfiguration"].as_object()["ReplicaKeys"].as_array().size(), 1u);
  EXPECT_EQ(Fails("ReplicateKey", {{"KeyId", id}, {"ReplicaRegion", "eu-west-1"}}), "AlreadyExistsException");
  EXPECT_EQ(Fails("ReplicateKey", {{"KeyId", NewKey()}, {"ReplicaRegion", "eu-west-1"}}),
            "UnsupportedOperationException");
}

TEST_F(KmsTest, AliasesAndPagination) {
  const std::string a = NewKey(), b = NewKey();
  EXPECT_EQ(Fails("CreateAlias", {{"AliasName", "alias/aws/s3"}, {"TargetKeyId", a}}),
            "InvalidAliasNameException");
  EXPECT_EQ(Fails("CreateAlias", {{"AliasName", "noprefix"}, {"TargetKeyId", a}}),
            "InvalidAliasNameException");
  Ok("CreateAlias", {{"AliasName", "alias/x"}, {"TargetKeyId", a}});
  EXPECT_EQ(Fails("CreateAlias", {{"AliasName", "alias/x"}, {"TargetKeyId", b}}), "AlreadyExistsException");
  Ok("UpdateAlias", {{"AliasName", "alias/x"}, {"TargetKeyId", b}});
  EXPECT_EQ(Str(Ok("DescribeKey", {{"KeyId", "alias/x"}})["KeyMetadata"].as_object(), "KeyId"), b);
  EXPECT_EQ(Ok("ListAliases", {{"KeyId", a}})["Aliases"].as_array().size(), 0u);
  EXPECT_EQ(Fails("EnableKey", {{"KeyId", "alias/x"}}), "NotFoundException");  // key id or ARN only
  Ok("DeleteAlias", {{"AliasName", "alias/x"}});
  EXPECT_EQ(Fails("DeleteAlias", {{"AliasName", "alias/x"}}), "NotFoundException");
  for (int i = 0; i < 3; ++i) NewKey();
  std::set<std::string> seen;
  json::object page = Ok("ListKeys", {{"Limit", 2}});
  for (;;) {
    for (const auto& k : page["Keys"].as_array())
      seen.insert(std::string(k.as_object().at("KeyId").as_string()));
    if (!page["Truncated"].as_bool()) break;
    page = Ok("ListKeys", {{"Limit", 2}, {"Marker", page["NextMarker"]}});
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(Fails("ListKeys", {{"Marker", "nope"}}), "InvalidMarkerException");
}

TEST_F(KmsTest, PoliciesAndTags) {
  const std::string id = NewKey();
  EXPECT_EQ(Fails("PutKeyPolicy", {{"KeyId", id}, {"PolicyName", "default"}, {"Policy", "{not json"}}),
            "MalformedPolicyDocumentException");
  Ok("PutKeyPolicy",
     {{"KeyId", id},
      {"PolicyName", "default"},
      {"Policy",
       R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"}]})"}});
  EXPECT_EQ(Ok("ListKeyPolicies", {{"KeyId", id}})["PolicyNames"].as_array().size(), 1u);
  Ok("TagResource", {{"KeyId", id}, {"Tags", json::array{json::object{{"TagKey", "a"}, {"TagValue", "1"}}}}});
  Ok("TagResource", {{"KeyId", id}, {"Tags", json::array{json::object{{"TagKey", "a"}, {"TagValue", "2"}}}}});
  auto tags = Ok("ListResourceTags", {{"KeyId", id}})["Tags"].as_array();
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].as_object().at("TagValue").as_string(), "2");
  EXPECT_EQ(
      Fails("TagResource",
            {{"KeyId", id}, {"Tags", json::array{json::object{{"TagKey", "aws:x"}, {"TagValue", "1"}}}}}),
      "TagException");
  Ok("UntagResource", {{"KeyId", id}, {"TagKeys", json::array{"a"}}});
  EXPECT_EQ(Ok("ListResourceTags", {{"KeyId", id}})["Tags"].as_array().size(), 0u);
  Ok("UpdateKeyDescription", {{"KeyId", id}, {"Description", "new"}});
  EXPECT_EQ(Str(Ok("DescribeKey", {{"KeyId", id}})["KeyMetadata"].as_object(), "Description"), "new");
}

// S3's SSE-KMS calls KMS in-process with the caller's credentials (forwarded): blob members are raw bytes in
// the documents, both ways.
TEST_F(KmsTest, ForwardedInProcessDataKeys) {
  const std::string id = NewKey();
  aws::Caller s3 = harness_->Root();
  s3.invoked_by = "s3.amazonaws.com";
  s3.forwarded = true;
  const json::object context{{"aws:s3:arn", "arn:aws:s3:::bucket/key"}};
  aws::OperationInput in;
  in.params = json::object{{"KeyId", id}, {"KeySpec", "AES_256"}, {"EncryptionContext", context}};
  auto dk = harness_->invoker().Call(s3, "kms", "GenerateDataKey", in);
  ASSERT_TRUE(dk.ok()) << dk.error().message;
  const json::object& out = dk->result.as_object();
  ASSERT_EQ(out.at("Plaintext").as_string().size(), 32u);  // raw bytes, not base64
  aws::OperationInput dec;
  dec.params = json::object{{"CiphertextBlob", out.at("CiphertextBlob")}, {"EncryptionContext", context}};
  auto plain = harness_->invoker().Call(s3, "kms", "Decrypt", dec);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->result.as_object().at("Plaintext"), out.at("Plaintext"));
  const auto calls = harness_->recorder().calls();
  EXPECT_EQ(calls.back().invoked_by, "s3.amazonaws.com");
}

// ---- authorization: the facts the authorizer gets, evaluated as it evaluates them

class KmsAuthorizationTest : public KmsTest {
 protected:
  // Whether `principal` (no identity policies) may run `op` with `params`, per the action map and the key's
  // resource policy (key policy + grants).
  bool Allowed(const iam::Principal& principal, std::string_view op, json::object params,
               const iam::ContextKeys& extra = {}) {
    auto lookup = [this](std::string_view name, std::span<const std::string> args) {
      return authority_->Lookup(name, args);
    };
    auto required = iam::Resolve("kms", op, params, "us-east-1", principal.account_id, lookup);
    EXPECT_TRUE(required.ok()) << (required.ok() ? "" : required.error().message);
    if (!required.ok()) return false;
    for (auto& auth : *required) {
      iam::Request r;
      r.action = auth.action;
      r.resource = auth.resource;
      r.principal = iam::ToRequestPrincipal(principal);
      iam::AddPrincipalContextKeys(r.principal, principal.user_id, r.context);
      r.context.Merge(auth.context);
      r.context.Merge(extra);
      iam::PolicySet policies;
      auto facts = authority_->Facts(r.principal, r.action, r.resource);
      EXPECT_TRUE(facts.ok());
      r.context.Merge(facts->keys);
      if (facts->policy) policies.resource = iam::PolicyRef{facts->policy->name, facts->policy->policy.get()};
      policies.resource_policy_required = facts->policy_required;
      if (!iam::Evaluate(r, policies).allowed()) return false;
    }
    return true;
  }

  static iam::Principal User(std::string name) {
    iam::Principal p;
    p.account_id = kAccount;
    p.arn = "arn:aws:iam::000000000000:user/" + name;
    p.entity_arn = p.arn;
    p.user_id = "AIDA" + name;
    p.type = iam::PrincipalType::kUser;
    return p;
  }
};

TEST_F(KmsAuthorizationTest, KeyPolicyDecidesAndGrantsAllow) {
  const std::string id = NewKey();
  const iam::Principal bob = User("bob");
  json::object encrypt{
      {"KeyId", id}, {"Plaintext", "x"}, {"EncryptionContext", json::object{{"dept", "it"}}}};
  // The default key policy delegates to IAM: bob has no IAM policy.
  EXPECT_FALSE(Allowed(bob, "Encrypt", encrypt));
  auto grant = Ok("CreateGrant",
                  {{"KeyId", id},
                   {"GranteePrincipal", bob.arn},
                   {"Operations", json::array{"Encrypt", "Decrypt"}},
                   {"RetiringPrincipal", bob.arn},
                   {"Constraints", json::object{{"EncryptionContextSubset", json::object{{"dept", "it"}}}}}});
  EXPECT_TRUE(Allowed(bob, "Encrypt", encrypt));
  // The constraint: the context must hold dept=it.
  json::object wrong{{"KeyId", id}, {"Plaintext", "x"}, {"EncryptionContext", json::object{{"dept", "hr"}}}};
  EXPECT_FALSE(Allowed(bob, "Encrypt", wrong));
  json::object none{{"KeyId", id}, {"Plaintext", "x"}};
  EXPECT_FALSE(Allowed(bob, "Encrypt", none));
  json::object more{
      {"KeyId", id}, {"Plaintext", "x"}, {"EncryptionContext", json::object{{"dept", "it"}, {"x", "y"}}}};
  EXPECT_TRUE(Allowed(bob, "Encrypt", more));
  // Not an operation of the grant.
  EXPECT_FALSE(Allowed(bob, "DescribeKey", {{"KeyId", id}}));
  EXPECT_FALSE(Allowed(User("eve"), "Encrypt", encrypt));
  // Listed, retired by its retiring principal (the handler checks who), then gone.
  EXPECT_EQ(Ok("ListGrants", {{"KeyId", id}})["Grants"].as_array().size(), 1u);
  EXPECT_EQ(Ok("ListRetirableGrants", {{"RetiringPrincipal", bob.arn}})["Grants"].as_array().size(), 1u);
  aws::Caller eve_caller = harness_->Root();
  eve_caller.principal = User("eve");
  aws::OperationInput retire;
  retire.params = json::object{{"GrantToken", grant["GrantToken"]}};
  auto denied = harness_->invoker().Call(eve_caller, "kms", "RetireGrant", retire);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "AccessDeniedException");
  aws::Caller bob_caller = harness_->Root();
  bob_caller.principal = bob;
  retire.params = json::object{{"GrantToken", grant["GrantToken"]}};
  ASSERT_TRUE(harness_->invoker().Call(bob_caller, "kms", "RetireGrant", retire).ok());
  EXPECT_FALSE(Allowed(bob, "Encrypt", encrypt));
  EXPECT_EQ(Ok("ListGrants", {{"KeyId", id}})["Grants"].as_array().size(), 0u);
}

TEST_F(KmsAuthorizationTest, EqualsConstraintAndRevoke) {
  const std::string id = NewKey();
  const iam::Principal bob = User("bob");
  auto grant = Ok("CreateGrant",
                  {{"KeyId", id},
                   {"GranteePrincipal", bob.arn},
                   {"Operations", json::array{"Decrypt"}},
                   {"Constraints", json::object{{"EncryptionContextEquals", json::object{{"a", "1"}}}}}});
  const std::string blob =
      Str(Ok("Encrypt", {{"KeyId", id}, {"Plaintext", "x"}, {"EncryptionContext", json::object{{"a", "1"}}}}),
          "CiphertextBlob");
  // Decrypt without KeyId: the resource is the key the blob names.
  EXPECT_TRUE(
      Allowed(bob, "Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", json::object{{"a", "1"}}}}));
  EXPECT_FALSE(
      Allowed(bob, "Decrypt",
              {{"CiphertextBlob", blob}, {"EncryptionContext", json::object{{"a", "1"}, {"b", "2"}}}}));
  Ok("RevokeGrant", {{"KeyId", id}, {"GrantId", grant["GrantId"]}});
  EXPECT_FALSE(
      Allowed(bob, "Decrypt", {{"CiphertextBlob", blob}, {"EncryptionContext", json::object{{"a", "1"}}}}));
  EXPECT_EQ(Fails("RevokeGrant", {{"KeyId", id}, {"GrantId", grant["GrantId"]}}), "InvalidGrantIdException");
}

TEST_F(KmsAuthorizationTest, KeyPolicyWithoutTheUserDeniesAndNamingTheUserAllows) {
  const std::string id = NewKey();
  const iam::Principal bob = User("bob");
  const std::string only_bob =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":["kms:Encrypt","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:dept":"it"}}}]})";
  // AWS's lockout safety check: the root caller could not put the policy again under this one.
  EXPECT_EQ(Fails("PutKeyPolicy", {{"KeyId", id}, {"PolicyName", "default"}, {"Policy", only_bob}}),
            "MalformedPolicyDocumentException");
  Ok("PutKeyPolicy", {{"KeyId", id},
                      {"PolicyName", "default"},
                      {"Policy", only_bob},
                      {"BypassPolicyLockoutSafetyCheck", true}});
  EXPECT_TRUE(
      Allowed(bob, "Encrypt",
              {{"KeyId", id}, {"Plaintext", "x"}, {"EncryptionContext", json::object{{"dept", "it"}}}}));
  EXPECT_FALSE(Allowed(bob, "Encrypt", {{"KeyId", id}, {"Plaintext", "x"}}));
  EXPECT_FALSE(Allowed(User("alice"), "DescribeKey", {{"KeyId", id}}));
  // The root user is not named: the key policy no longer delegates to the account.
  iam::Principal root;
  root.account_id = kAccount;
  root.arn = "arn:aws:iam::000000000000:root";
  root.is_root = true;
  root.type = iam::PrincipalType::kRoot;
  EXPECT_FALSE(Allowed(root, "DescribeKey", {{"KeyId", id}}));
}

TEST_F(KmsAuthorizationTest, AwsManagedKeysAreCreatedOnFirstUseAndUsedThroughTheirService) {
  // DescribeKey on the predefined alias creates the key, as AWS documents.
  auto md = Ok("DescribeKey", {{"KeyId", "alias/aws/s3"}})["KeyMetadata"].as_object();
  EXPECT_EQ(Str(md, "KeyManager"), "AWS");
  const std::string id = Str(md, "KeyId");
  EXPECT_EQ(Str(Ok("DescribeKey", {{"KeyId", "alias/aws/s3"}})["KeyMetadata"].as_object(), "KeyId"), id);
  EXPECT_TRUE(Ok("GetKeyRotationStatus", {{"KeyId", id}})["KeyRotationEnabled"].as_bool());
  EXPECT_EQ(Fails("ScheduleKeyDeletion", {{"KeyId", id}}), "UnsupportedOperationException");
  EXPECT_EQ(Fails("DisableKey", {{"KeyId", id}}), "UnsupportedOperationException");
  EXPECT_EQ(Fails("CreateAlias", {{"AliasName", "alias/mine"}, {"TargetKeyId", id}}),
            "UnsupportedOperationException");
  EXPECT_EQ(Fails("DescribeKey", {{"KeyId", "alias/aws/not-a-service"}}), "NotFoundException");
  // Its key policy: any principal of the account through S3 (kms:ViaService), not directly.
  const iam::Principal bob = User("bob");
  iam::ContextKeys via_s3;
  via_s3.Set("kms:ViaService", "s3.us-east-1.amazonaws.com");
  json::object gdk{{"KeyId", "alias/aws/s3"}, {"KeySpec", "AES_256"}};
  EXPECT_TRUE(Allowed(bob, "GenerateDataKey", gdk, via_s3));
  EXPECT_FALSE(Allowed(bob, "GenerateDataKey", gdk));
  iam::ContextKeys via_kinesis;
  via_kinesis.Set("kms:ViaService", "kinesis.us-east-1.amazonaws.com");
  EXPECT_FALSE(Allowed(bob, "GenerateDataKey", gdk, via_kinesis));
  // The first use of another service's alias through the authorizer's lookup creates that key too.
  EXPECT_TRUE(Allowed(bob, "Encrypt", {{"KeyId", "alias/aws/kinesis"}, {"Plaintext", "x"}}, via_kinesis));
  Open();  // persisted, alias included
  EXPECT_EQ(Str(Ok("DescribeKey", {{"KeyId", "alias/aws/s3"}})["KeyMetadata"].as_object(), "KeyId"), id);
  EXPECT_EQ(Ok("ListAliases", {})["Aliases"].as_array().size(), 2u);
}

TEST(KmsCoverage, DocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/kms-coverage.md");
  ASSERT_TRUE(in.good()) << "run: python3 src/services/kms/gen_coverage.py";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (auto op : KmsProvider::SupportedOperations())
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos)
        << op << " missing or stale in docs/kms-coverage.md; run python3 src/services/kms/gen_coverage.py";
  for (const char* code :
       {errors::kKeyNotFound.code, errors::kDisabled.code, errors::kInvalidCiphertext.code,
        errors::kIncorrectKey.code, errors::kInvalidState.code, errors::kInvalidGrantToken.code})
    EXPECT_NE(doc.find(code), std::string::npos) << code;
}

}  // namespace
}  // namespace cenote::kms
