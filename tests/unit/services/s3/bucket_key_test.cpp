// S3 Bucket Keys: S3 and KMS registered in one request pipeline (ProviderHarness), S3 asking KMS for data
// keys in-process; the harness's recorder counts the KMS calls. A bucket key is asked for once per period
// and caller, objects written under it read back after the period and after a restart.
// GCC 12 reports a false -Wrestrict on `"literal" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>

#include "../../store/temp_dir.hpp"
#include "../provider_harness.hpp"
#include "common/background_tasks.hpp"
#include "services/kms/kms_provider.hpp"
#include "services/s3/s3_provider.hpp"

namespace cenote::s3 {
namespace {

namespace json = boost::json;
using store::testing::TempDir;

constexpr std::int64_t kTtl = 60'000;

class StringReader final : public http::BodyReader {
 public:
  explicit StringReader(std::string data) : data_(std::move(data)) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    std::size_t k = std::min(n, data_.size() - pos_);
    std::copy_n(data_.data() + pos_, k, buf);
    pos_ += k;
    return k;
  }
  std::optional<std::uint64_t> Length() const override { return data_.size(); }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

std::string ReadBody(http::BodySource& body) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = body.Read(buf, sizeof(buf));
    EXPECT_TRUE(n.ok());
    if (!n || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

class BucketKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Open();
    key_arn_ = std::string(Ok("kms", "CreateKey", {})["KeyMetadata"].as_object().at("Arn").as_string());
    Ok("s3", "CreateBucket", {{"Bucket", "bkt"}});
    DefaultKms("bkt", true);
  }
  void TearDown() override {
    harness_.reset();
    metadata_.reset();
    blobs_.reset();
  }

  // Opens (or reopens, as a restart does) the stores, KMS and S3 in a fresh pipeline.
  void Open() {
    harness_.reset();
    blobs_.reset();
    metadata_.reset();
    auto m = store::MetadataStore::OpenSqlite(dir_.path() + "/meta.db");
    ASSERT_TRUE(m.ok()) << m.error().message;
    metadata_ = std::move(*m);
    auto b = store::BlobStore::OpenLocal(dir_.path() + "/blobs", {});
    ASSERT_TRUE(b.ok()) << b.error().message;
    blobs_ = std::move(*b);
    kms::KmsOptions kms_options;
    kms_options.root_key_file = dir_.path() + "/kms.key";
    kms_options.maintenance_interval_ms = 0;
    auto k = kms::KmsProvider::Open(*metadata_, tasks_, kms_options);
    ASSERT_TRUE(k.ok()) << k.error().message;
    S3Options options;
    options.account_id = "000000000000";
    options.min_part_size = 16;
    options.bucket_key_ttl_ms = kTtl;
    options.clock = [this] { return now_.load(); };
    auto p = S3Provider::Open(*metadata_, *blobs_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    harness_ = std::make_unique<testing::ProviderHarness>();
    (*p)->SetInvoker(&harness_->invoker());
    harness_->Register(std::move(*k));
    harness_->Register(std::move(*p));
  }

  Result<aws::OperationOutput> Call(const aws::Caller& caller, std::string_view service, std::string_view op,
                                    json::object params, http::BodyReader* body = nullptr) {
    aws::OperationInput in;
    in.params = std::move(params);
    in.body = body;
    return harness_->invoker().Call(caller, service, op, in);
  }
  json::object Ok(std::string_view service, std::string_view op, json::object params,
                  http::BodyReader* body = nullptr) {
    auto r = Call(harness_->Root(), service, op, std::move(params), body);
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }
  json::object Put(const std::string& bucket, const std::string& key, const std::string& data,
                   json::object extra = {}) {
    StringReader body(data);
    extra["Bucket"] = bucket;
    extra["Key"] = key;
    return Ok("s3", "PutObject", std::move(extra), &body);
  }
  Result<aws::OperationOutput> TryGet(const std::string& bucket, const std::string& key,
                                      const aws::Caller& caller) {
    return Call(caller, "s3", "GetObject", {{"Bucket", bucket}, {"Key", key}});
  }
  std::string Get(const std::string& bucket, const std::string& key) {
    return Get(bucket, key, harness_->Root());
  }
  std::string Get(const std::string& bucket, const std::string& key, const aws::Caller& caller) {
    auto r = TryGet(bucket, key, caller);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok() || !r->body) return "<error>";
    return ReadBody(*r->body);
  }
  void DefaultKms(const std::string& bucket, bool bucket_key, const std::string& algorithm = "aws:kms") {
    json::object by_default{{"SSEAlgorithm", algorithm}, {"KMSMasterKeyID", key_arn_}};
    json::object rule{{"ApplyServerSideEncryptionByDefault", by_default}, {"BucketKeyEnabled", bucket_key}};
    Ok("s3", "PutBucketEncryption",
       {{"Bucket", bucket},
        {"ServerSideEncryptionConfiguration", json::object{{"Rules", json::array{rule}}}}});
  }
  // How many successful calls of `operation` KMS answered.
  std::size_t KmsCalls(std::string_view operation) const {
    std::size_t n = 0;
    for (const auto& c : harness_->recorder().calls()) {
      if (c.service == "kms" && c.operation == operation && c.error_code.empty()) ++n;
    }
    return n;
  }

  TempDir dir_;
  BackgroundTasks tasks_;
  std::atomic<std::int64_t> now_{1'800'000'000'000};
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<testing::ProviderHarness> harness_;
  std::string key_arn_;
};

TEST_F(BucketKeyTest, OneDataKeyPerPeriodForManyObjects) {
  for (int i = 0; i < 20; ++i) {
    auto put = Put("bkt", "o" + std::to_string(i), "object " + std::to_string(i));
    EXPECT_EQ(put["ServerSideEncryption"].as_string(), "aws:kms");
    EXPECT_EQ(put["SSEKMSKeyId"].as_string(), key_arn_);
    EXPECT_TRUE(put["BucketKeyEnabled"].as_bool());
  }
  EXPECT_EQ(KmsCalls("GenerateDataKey"), 1u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Get("bkt", "o" + std::to_string(i)), "object " + std::to_string(i));
  EXPECT_EQ(KmsCalls("Decrypt"), 1u);
  auto head = Ok("s3", "HeadObject", {{"Bucket", "bkt"}, {"Key", "o3"}});
  EXPECT_TRUE(head["BucketKeyEnabled"].as_bool());
}

TEST_F(BucketKeyTest, WithoutBucketKeyEveryObjectAsksKms) {
  Ok("s3", "CreateBucket", {{"Bucket", "plain"}});
  DefaultKms("plain", false);
  for (int i = 0; i < 5; ++i) {
    auto put = Put("plain", "o" + std::to_string(i), "x");
    EXPECT_FALSE(put.contains("BucketKeyEnabled"));
  }
  EXPECT_EQ(KmsCalls("GenerateDataKey"), 5u);
  // The request's header turns a bucket key on (or off) for one object only.
  Put("plain", "bk-on", "y", {{"BucketKeyEnabled", true}});
  Put("plain", "bk-on2", "y", {{"BucketKeyEnabled", true}});
  EXPECT_EQ(KmsCalls("GenerateDataKey"), 6u);
  auto off = Put("bkt", "bk-off", "z", {{"BucketKeyEnabled", false}});
  EXPECT_FALSE(off.contains("BucketKeyEnabled"));
  EXPECT_EQ(KmsCalls("GenerateDataKey"), 7u);
  EXPECT_EQ(Get("bkt", "bk-off"), "z");
  EXPECT_EQ(Get("plain", "bk-on2"), "y");
}

TEST_F(BucketKeyTest, ObjectsReadBackAfterThePeriodAndARestart) {
  Put("bkt", "first", "one");
  now_ += kTtl;  // the bucket key's period is over: the next write asks KMS for a new one
  Put("bkt", "second", "two");
  EXPECT_EQ(KmsCalls("GenerateDataKey"), 2u);
  EXPECT_EQ(Get("bkt", "first"), "one");
  EXPECT_EQ(Get("bkt", "second"), "two");
  EXPECT_EQ(KmsCalls("Decrypt"), 2u);  // two bucket keys, one Decrypt each
  now_ += kTtl;
  EXPECT_EQ(Get("bkt", "first"), "one");
  EXPECT_EQ(KmsCalls("Decrypt"), 3u);  // the Decrypt answer's period is over too
  Open();
  EXPECT_EQ(Get("bkt", "first"), "one");
  EXPECT_EQ(Get("bkt", "second"), "two");
}

TEST_F(BucketKeyTest, EachCallerAsksKmsItself) {
  Put("bkt", "k", "shared");
  EXPECT_EQ(Get("bkt", "k"), "shared");
  EXPECT_EQ(KmsCalls("Decrypt"), 1u);
  aws::Caller via_athena = harness_->Root();
  via_athena.invoked_by = "athena.amazonaws.com";
  EXPECT_EQ(Get("bkt", "k", via_athena), "shared");
  EXPECT_EQ(KmsCalls("Decrypt"), 2u);
  EXPECT_EQ(Get("bkt", "k", via_athena), "shared");
  EXPECT_EQ(KmsCalls("Decrypt"), 2u);
}

TEST_F(BucketKeyTest, ADisabledKeyStopsWritesAndReadsWhenThePeriodEnds) {
  Put("bkt", "k", "v");
  EXPECT_EQ(Get("bkt", "k"), "v");
  Ok("kms", "DisableKey", {{"KeyId", key_arn_}});
  // Within the period S3 keeps using the bucket key it has (as AWS's bucket keys do).
  Put("bkt", "k2", "v2");
  EXPECT_EQ(Get("bkt", "k"), "v");
  now_ += kTtl;
  StringReader body("v3");
  auto put = Call(harness_->Root(), "s3", "PutObject", {{"Bucket", "bkt"}, {"Key", "k3"}}, &body);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, "KMS.DisabledException");
  auto get = TryGet("bkt", "k", harness_->Root());
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.error().code, "KMS.DisabledException");
  Ok("kms", "EnableKey", {{"KeyId", key_arn_}});
  EXPECT_EQ(Get("bkt", "k2"), "v2");
}

TEST_F(BucketKeyTest, CopiesAndMultipartUploadsUseTheBucketKey) {
  Ok("s3", "CreateBucket", {{"Bucket", "source"}});
  Put("source", "plain", "copied bytes");
  auto copy = Ok("s3", "CopyObject", {{"Bucket", "bkt"}, {"Key", "copy"}, {"CopySource", "source/plain"}});
  EXPECT_TRUE(copy["BucketKeyEnabled"].as_bool());
  auto upload = Ok("s3", "CreateMultipartUpload", {{"Bucket", "bkt"}, {"Key", "mp"}});
  EXPECT_TRUE(upload["BucketKeyEnabled"].as_bool());
  const std::string id(upload["UploadId"].as_string());
  json::array parts;
  std::string whole;
  for (int n = 1; n <= 2; ++n) {
    std::string data(100, static_cast<char>('a' + n));
    whole += data;
    StringReader body(data);
    auto part = Ok("s3", "UploadPart",
                   {{"Bucket", "bkt"}, {"Key", "mp"}, {"UploadId", id}, {"PartNumber", n}}, &body);
    EXPECT_TRUE(part["BucketKeyEnabled"].as_bool());
    parts.push_back(json::object{{"PartNumber", n}, {"ETag", part["ETag"]}});
  }
  auto done = Ok("s3", "CompleteMultipartUpload",
                 {{"Bucket", "bkt"},
                  {"Key", "mp"},
                  {"UploadId", id},
                  {"MultipartUpload", json::object{{"Parts", parts}}}});
  EXPECT_TRUE(done["BucketKeyEnabled"].as_bool());
  EXPECT_EQ(KmsCalls("GenerateDataKey"), 1u);
  EXPECT_EQ(Get("bkt", "copy"), "copied bytes");
  EXPECT_EQ(Get("bkt", "mp"), whole);
  EXPECT_EQ(KmsCalls("Decrypt"), 1u);
}

TEST_F(BucketKeyTest, DualLayerEncryptionHasNoBucketKey) {
  Ok("s3", "CreateBucket", {{"Bucket", "dsse"}});
  DefaultKms("dsse", true, "aws:kms:dsse");
  auto a = Put("dsse", "a", "1");
  Put("dsse", "b", "2");
  EXPECT_EQ(a["ServerSideEncryption"].as_string(), "aws:kms:dsse");
  EXPECT_FALSE(a.contains("BucketKeyEnabled"));
  EXPECT_EQ(KmsCalls("GenerateDataKey"), 2u);
  EXPECT_EQ(Get("dsse", "b"), "2");
}

TEST_F(BucketKeyTest, ZeroPeriodAsksKmsEveryTime) {
  harness_.reset();
  // A provider whose bucket keys last no time at all still writes objects that read back.
  auto m = store::MetadataStore::OpenSqlite(dir_.path() + "/meta0.db");
  ASSERT_TRUE(m.ok());
  metadata_ = std::move(*m);
  kms::KmsOptions kms_options;
  kms_options.root_key_file = dir_.path() + "/kms0.key";
  kms_options.maintenance_interval_ms = 0;
  auto k = kms::KmsProvider::Open(*metadata_, tasks_, kms_options);
  ASSERT_TRUE(k.ok());
  S3Options options;
  options.account_id = "000000000000";
  options.bucket_key_ttl_ms = 0;
  auto p = S3Provider::Open(*metadata_, *blobs_, options);
  ASSERT_TRUE(p.ok()) << p.error().message;
  harness_ = std::make_unique<testing::ProviderHarness>();
  (*p)->SetInvoker(&harness_->invoker());
  harness_->Register(std::move(*k));
  harness_->Register(std::move(*p));
  key_arn_ = std::string(Ok("kms", "CreateKey", {})["KeyMetadata"].as_object().at("Arn").as_string());
  Ok("s3", "CreateBucket", {{"Bucket", "zero"}});
  DefaultKms("zero", true);
  Put("zero", "a", "1");
  Put("zero", "b", "2");
  EXPECT_EQ(KmsCalls("GenerateDataKey"), 2u);
  EXPECT_EQ(Get("zero", "a"), "1");
  EXPECT_EQ(Get("zero", "a"), "1");
  EXPECT_EQ(KmsCalls("Decrypt"), 2u);
}

}  // namespace
}  // namespace cenote::s3
