// S3Provider driven through Invoke with documents, over a real SQLite MetadataStore and LocalBlobStore.
#include "services/s3/s3_provider.hpp"

// GCC 12 reports a false -Wrestrict on `"\"" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <concepts>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "../fresh_schema_check.hpp"
#include "../provider_harness.hpp"
#include "common/checksum.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "iam/evaluate.hpp"
#include "services/s3/access_logs.hpp"
#include "services/s3/errors.hpp"
#include "services/s3/internal.hpp"
#include "services/s3/replication.hpp"
#include "store/free_space.hpp"

// Test-only: compare a JSON string member with a std::string in EXPECT_EQ (found by ADL).
namespace boost::json {
template <typename S>
requires std::same_as<S, std::string>
bool operator==(const value& v, const S& s) { return v.is_string() && v.as_string() == s; }
}  // namespace boost::json

namespace cenote::s3 {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

class StringReader final : public http::BodyReader {
 public:
  explicit StringReader(std::string data, std::size_t chunk = 7) : data_(std::move(data)), chunk_(chunk) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    std::size_t k = std::min({n, chunk_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, k, buf);
    pos_ += k;
    return k;
  }
  std::optional<std::uint64_t> Length() const override {
    return known_length ? std::optional<std::uint64_t>(data_.size()) : std::nullopt;
  }
  const http::Headers* Trailers() const override { return pos_ == data_.size() ? &trailers_ : nullptr; }
  http::Headers trailers_;
  bool known_length = true;  // false: like an aws-chunked body, whose length is known only at the end

 private:
  std::string data_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

std::string ReadBody(http::BodySource& body) {
  std::string out;
  char buf[5];
  for (int i = 0; i < 1000000; ++i) {
    auto n = body.Read(buf, sizeof(buf));
    EXPECT_TRUE(n.ok());
    if (!n || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

std::int64_t NowPlus(std::int64_t ms) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         ms;
}

// One object of a LakeAccess::PutObjects batch: given bytes, or the bytes of a local file.
LakePut BytesPut(std::string key, std::string bytes) {
  LakePut put;
  put.key = std::move(key);
  put.bytes = std::move(bytes);
  return put;
}
LakePut FilePut(std::string key, std::string path) {
  LakePut put;
  put.key = std::move(key);
  put.path = std::move(path);
  return put;
}

std::string Md5Hex(std::string_view s) { return HexEncode(ComputeChecksum(ChecksumAlgorithm::kMD5, s)); }

// The account's root user as a test client: every call goes through a real pipeline (ProviderHarness), as
// calls from the network and from other services do.
aws::Caller RootCaller(std::string region = "us-east-1") {
  aws::Caller caller;
  caller.principal.account_id = "000000000000";
  caller.principal.arn = "arn:aws:iam::000000000000:root";
  caller.principal.user_id = "000000000000";
  caller.principal.canonical_id = std::string(64, 'a');
  caller.principal.display_name = "root";
  caller.principal.is_root = true;
  caller.principal.type = iam::PrincipalType::kRoot;
  caller.region = std::move(region);
  caller.invoked_by = "test";
  return caller;
}

class S3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("cenote_s3_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
    OpenAll();
  }
  void TearDown() override {
    lakes_.clear();
    lake_.reset();
    harness_.reset();
    blobs_.reset();
    metadata_.reset();
    fs::remove_all(dir_);
  }
  // Opens (or reopens, as a restart does) the stores and the provider, registered in a fresh pipeline.
  void OpenAll() {
    lakes_.clear();
    lake_.reset();
    harness_.reset();
    provider_ = nullptr;
    blobs_.reset();
    metadata_.reset();
    auto m = store::MetadataStore::OpenSqlite((dir_ / "meta.db").string());
    ASSERT_TRUE(m.ok()) << m.error().message;
    metadata_ = std::move(*m);
    store::BlobStoreOptions blob_options;
    blob_options.reserve = reserve_.get();
    auto b = store::BlobStore::OpenLocal((dir_ / "blobs").string(), blob_options);
    ASSERT_TRUE(b.ok()) << b.error().message;
    blobs_ = std::move(*b);
    S3Options options;
    options.account_id = "000000000000";
    options.min_part_size = 16;
    options.inline_max_bytes = inline_max_;
    if (max_object_size_) options.max_object_size = max_object_size_;
    options.legacy_bucket_defaults = legacy_bucket_defaults_;
    options.lifecycle_day_ms = lifecycle_day_ms_;
    auto p = S3Provider::Open(*metadata_, *blobs_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    provider_ = p->get();
    harness_ = std::make_unique<testing::ProviderHarness>();
    harness_->Register(std::move(*p));
    lake_ = provider_->MakeLake(harness_->invoker());
  }

  Result<aws::OperationOutput> Call(std::string_view op, json::object params,
                                    http::BodyReader* body = nullptr) {
    aws::OperationInput in;
    in.params = std::move(params);
    in.body = body;
    return harness_->invoker().Call(caller_, "s3", op, in);
  }
  // Raw request headers exist only on calls from the network (an in-process call has none): the few tests
  // of a header the model lacks (x-amz-trailer) call the provider as the network stages would.
  // `raw_body`: the XML document as the protocol layer read it (OperationInput::raw_body).
  Result<aws::OperationOutput> CallWithHeaders(std::string_view op, json::object params,
                                               const http::Headers& headers, http::BodyReader* body,
                                               std::optional<std::string> raw_body = std::nullopt) {
    aws::RequestContext ctx;
    ctx.request_id = "test";
    ctx.region = caller_.region;
    ctx.service = "s3";
    ctx.operation = std::string(op);
    ctx.principal = caller_.principal;
    ctx.headers = &headers;
    aws::OperationInput in;
    in.params = std::move(params);
    in.body = body;
    in.raw_body = std::move(raw_body);
    return provider_->Invoke(ctx, op, in);
  }
  json::object Ok(std::string_view op, json::object params, http::BodyReader* body = nullptr) {
    auto r = Call(op, std::move(params), body);
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().code + " " + r.error().message);
    if (!r.ok()) return {};
    return r->result.as_object();
  }
  Error Err(std::string_view op, json::object params, http::BodyReader* body = nullptr) {
    auto r = Call(op, std::move(params), body);
    EXPECT_FALSE(r.ok()) << op << " unexpectedly succeeded";
    if (r.ok()) return Error{};
    return r.error();
  }
  json::object Put(const std::string& bucket, const std::string& key, const std::string& data,
                   json::object extra = {}) {
    StringReader body(data);
    extra["Bucket"] = bucket;
    extra["Key"] = key;
    return Ok("PutObject", extra, &body);
  }
  std::string Get(const std::string& bucket, const std::string& key, json::object extra = {}) {
    extra["Bucket"] = bucket;
    extra["Key"] = key;
    auto r = Call("GetObject", extra);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code);
    if (!r.ok() || !r->body) return "<error>";
    return ReadBody(*r->body);
  }
  void MakeBucket(const std::string& name) { Ok("CreateBucket", {{"Bucket", name}}); }
  std::size_t BlobCount() {
    auto l = blobs_->List();
    EXPECT_TRUE(l.ok());
    return l.ok() ? l->size() : 0;
  }
  // The lake as another service gets it, for `caller` (by default the root caller, from Athena).
  LakeAccess& Lake(aws::Caller caller = AthenaCaller()) {
    lakes_.push_back(lake_->For(std::move(caller)));
    return *lakes_.back();
  }
  static aws::Caller AthenaCaller() {
    aws::Caller caller = RootCaller("eu-west-1");
    caller.invoked_by = "athena.amazonaws.com";
    return caller;
  }

  // Most tests exercise the blob path with small bodies: inline storage is off unless a test turns it on
  // (then OpenAll again).
  std::uint64_t inline_max_ = 0;
  bool legacy_bucket_defaults_ = false;
  std::int64_t lifecycle_day_ms_ = 86'400'000;
  std::uint64_t max_object_size_ = 0;  // 0: S3Options' default
  // A free-space reserve over a pretend disk, when a test sets one (then OpenAll again).
  std::atomic<std::uint64_t> disk_free_{1ull << 40};
  std::unique_ptr<store::FreeSpaceReserve> reserve_;
  fs::path dir_;
  std::unique_ptr<store::MetadataStore> metadata_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<testing::ProviderHarness> harness_;  // owns the provider
  S3Provider* provider_ = nullptr;
  std::unique_ptr<s3::Lake> lake_;
  std::vector<std::unique_ptr<LakeAccess>> lakes_;
  aws::Caller caller_ = RootCaller();
};

// ---------------------------------------------------------------- a full disk

TEST_F(S3Test, AFullDiskRefusesBodiesButNotDeletes) {
  // 100 MiB above the reserve: close enough that every admission reads the pretend disk afresh (far from
  // the reserve a reading is reused for up to a second).
  disk_free_ = (16 + 100) << 20;
  reserve_ = store::FreeSpaceReserve::OpenWithProbe(
                 [this]() -> Result<store::FilesystemSpace> {
                   return store::FilesystemSpace{1ull << 40, disk_free_.load()};
                 },
                 store::ParseMinFreeSpace("16MiB").value())
                 .value();
  inline_max_ = 4096;
  OpenAll();
  MakeBucket("full");
  Put("full", "kept", std::string(10000, 'k'));
  Put("full", "small", "s");
  disk_free_ = (16 << 20) + 5000;  // room for 5000 bytes
  Put("full", "fits", std::string(4000, 'f'));
  auto refused = [&](const std::string& key, std::size_t size) {
    StringReader body(std::string(size, 'x'));
    return Err("PutObject", {{"Bucket", "full"}, {"Key", key}}, &body);
  };
  for (std::size_t size : {std::size_t{6000}, std::size_t{100000}}) {
    Error e = refused("big", size);
    EXPECT_EQ(e.code, "InsufficientStorage") << size;
    EXPECT_EQ(e.http_status, 507);
    EXPECT_EQ(e.message.find(dir_.string()), std::string::npos) << "no path for clients";
  }
  disk_free_ = 16 << 20;  // at the reserve: even a small object stored inline is refused
  EXPECT_EQ(refused("tiny", 10).code, "InsufficientStorage");
  auto upload = Ok("CreateMultipartUpload", {{"Bucket", "full"}, {"Key", "mp"}});  // metadata only
  StringReader part(std::string(100, 'p'));
  EXPECT_EQ(
      Err("UploadPart",
          {{"Bucket", "full"}, {"Key", "mp"}, {"UploadId", upload["UploadId"]}, {"PartNumber", 1}}, &part)
          .code,
      "InsufficientStorage");
  // Deletes run inside the reserve.
  EXPECT_TRUE(Call("DeleteObject", {{"Bucket", "full"}, {"Key", "kept"}}).ok());
  EXPECT_TRUE(Call("DeleteObject", {{"Bucket", "full"}, {"Key", "small"}}).ok());
  Ok("AbortMultipartUpload", {{"Bucket", "full"}, {"Key", "mp"}, {"UploadId", upload["UploadId"]}});
  EXPECT_EQ(Err("GetObject", {{"Bucket", "full"}, {"Key", "kept"}}).code, "NoSuchKey");
  disk_free_ = 1ull << 30;  // the space came back
  Put("full", "again", std::string(100000, 'a'));
  EXPECT_EQ(Get("full", "again"), std::string(100000, 'a'));
  EXPECT_EQ(Get("full", "fits"), std::string(4000, 'f'));
}

// ---------------------------------------------------------------- buckets

TEST_F(S3Test, CreateHeadListDeleteBucket) {
  MakeBucket("my-bucket");
  auto head = Ok("HeadBucket", {{"Bucket", "my-bucket"}});
  EXPECT_EQ(head["BucketRegion"], "us-east-1");
  // us-east-1 answers 200 to re-creating your own bucket.
  Ok("CreateBucket", {{"Bucket", "my-bucket"}});
  MakeBucket("another-bucket");
  auto list = Ok("ListBuckets", {});
  ASSERT_EQ(list["Buckets"].as_array().size(), 2u);
  EXPECT_EQ(list["Buckets"].as_array()[0].as_object().at("Name"), "another-bucket");
  EXPECT_EQ(list["Owner"].as_object().at("ID"), std::string(64, 'a'));
  auto page = Ok("ListBuckets", {{"MaxBuckets", 1}});
  ASSERT_EQ(page["Buckets"].as_array().size(), 1u);
  ASSERT_TRUE(page.contains("ContinuationToken"));
  auto page2 = Ok("ListBuckets", {{"MaxBuckets", 1}, {"ContinuationToken", page["ContinuationToken"]}});
  EXPECT_EQ(page2["Buckets"].as_array()[0].as_object().at("Name"), "my-bucket");
  EXPECT_FALSE(page2.contains("ContinuationToken"));
  auto loc = Ok("GetBucketLocation", {{"Bucket", "my-bucket"}});
  EXPECT_FALSE(loc.contains("LocationConstraint"));
  auto del = Call("DeleteBucket", {{"Bucket", "my-bucket"}});
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->http_status, 204);
  EXPECT_EQ(Err("HeadBucket", {{"Bucket", "my-bucket"}}).code, "NoSuchBucket");
}

TEST_F(S3Test, BucketNameRulesAndRegions) {
  for (const char* bad : {"ab", "UPPER", "has_underscore", "-start", "end-", "a..b", "192.168.1.1", "xn--abc",
                          "bucket-s3alias"}) {
    auto e = Err("CreateBucket", {{"Bucket", bad}});
    EXPECT_EQ(e.code, "InvalidBucketName") << bad;
    EXPECT_EQ(e.http_status, 400);
  }
  caller_.region = "eu-west-1";
  EXPECT_EQ(Err("CreateBucket", {{"Bucket", "eu-bucket"}}).code, "IllegalLocationConstraintException");
  json::object cfg{{"LocationConstraint", "eu-west-1"}};
  Ok("CreateBucket", {{"Bucket", "eu-bucket"}, {"CreateBucketConfiguration", cfg}});
  auto again = Err("CreateBucket", {{"Bucket", "eu-bucket"}, {"CreateBucketConfiguration", cfg}});
  EXPECT_EQ(again.code, "BucketAlreadyOwnedByYou");
  EXPECT_EQ(again.http_status, 409);
  EXPECT_EQ(Ok("GetBucketLocation", {{"Bucket", "eu-bucket"}})["LocationConstraint"], "eu-west-1");
  caller_.principal.account_id = "111111111111";
  caller_.principal.arn = "arn:aws:iam::111111111111:root";
  caller_.principal.canonical_id = std::string(64, 'b');
  EXPECT_EQ(Err("CreateBucket", {{"Bucket", "eu-bucket"}, {"CreateBucketConfiguration", cfg}}).code,
            "BucketAlreadyExists");
}

// Regions as AWS has them for S3: bucket names are global, a bucket lives in one region (its
// LocationConstraint, us-east-1 when none), and one server serves every region.
TEST_F(S3Test, BucketsAreGlobalAndLiveInOneRegion) {
  const json::object in_eu{{"LocationConstraint", "eu-west-1"}};
  // Signed for us-east-1 (the global endpoint): no constraint is us-east-1, any other region may be named,
  // us-east-1 itself may not.
  Ok("CreateBucket", {{"Bucket", "east"}});
  Ok("CreateBucket", {{"Bucket", "far"},
                      {"CreateBucketConfiguration", json::object{{"LocationConstraint", "ap-southeast-2"}}}});
  auto named_us_east =
      Err("CreateBucket", {{"Bucket", "named-us-east"},
                           {"CreateBucketConfiguration", json::object{{"LocationConstraint", "us-east-1"}}}});
  EXPECT_EQ(named_us_east.code, "InvalidLocationConstraint");
  // Signed for eu-west-1: only eu-west-1 ("EU" is its old name).
  caller_.region = "eu-west-1";
  Ok("CreateBucket",
     {{"Bucket", "in-eu"}, {"CreateBucketConfiguration", json::object{{"LocationConstraint", "EU"}}}});
  auto elsewhere = Err("CreateBucket",
                       {{"Bucket", "elsewhere"},
                        {"CreateBucketConfiguration", json::object{{"LocationConstraint", "eu-central-1"}}}});
  EXPECT_EQ(elsewhere.code, "IllegalLocationConstraintException");
  EXPECT_EQ(
      elsewhere.message,
      "The eu-central-1 location constraint is incompatible for the region specific endpoint this request "
      "was sent to.");
  auto unspecified = Err("CreateBucket", {{"Bucket", "elsewhere"}});
  EXPECT_EQ(unspecified.code, "IllegalLocationConstraintException");
  EXPECT_EQ(
      unspecified.message,
      "The unspecified location constraint is incompatible for the region specific endpoint this request "
      "was sent to.");
  // Names are global: the same name in another region is the same bucket.
  EXPECT_EQ(Err("CreateBucket", {{"Bucket", "east"}, {"CreateBucketConfiguration", in_eu}}).code,
            "BucketAlreadyOwnedByYou");
  caller_.principal.account_id = "111111111111";
  caller_.principal.arn = "arn:aws:iam::111111111111:root";
  caller_.principal.canonical_id = std::string(64, 'b');
  EXPECT_EQ(Err("CreateBucket", {{"Bucket", "east"}, {"CreateBucketConfiguration", in_eu}}).code,
            "BucketAlreadyExists");
  EXPECT_TRUE(Ok("ListBuckets", {}).at("Buckets").as_array().empty());  // another account's list

  // Every region's client sees every bucket, with its region; requests signed for any region are served.
  auto regions_seen = [&]() {
    std::map<std::string, std::string> regions;
    const json::object listed = Ok("ListBuckets", {});
    for (const auto& b : listed.at("Buckets").as_array())
      regions[std::string(b.at("Name").as_string())] = std::string(b.at("BucketRegion").as_string());
    return regions;
  };
  const std::map<std::string, std::string> expected = {
      {"east", "us-east-1"}, {"in-eu", "eu-west-1"}, {"far", "ap-southeast-2"}};
  for (const char* region : {"us-east-1", "eu-west-1", "sa-east-1"}) {
    caller_ = RootCaller(region);
    EXPECT_EQ(regions_seen(), expected) << region;
    auto only_eu = Ok("ListBuckets", {{"BucketRegion", "eu-west-1"}})["Buckets"].as_array();
    ASSERT_EQ(only_eu.size(), 1u);
    EXPECT_EQ(only_eu[0].at("Name"), "in-eu");
    for (const auto& [bucket, bucket_region] : expected) {
      EXPECT_EQ(Ok("HeadBucket", {{"Bucket", bucket}})["BucketRegion"], bucket_region) << bucket << region;
      auto location = Ok("GetBucketLocation", {{"Bucket", bucket}});
      // us-east-1 is an empty LocationConstraint (null to SDKs).
      if (bucket_region == "us-east-1")
        EXPECT_FALSE(location.contains("LocationConstraint"));
      else
        EXPECT_EQ(location["LocationConstraint"], bucket_region);
      Put(bucket, std::string("from-") + region, region);
      EXPECT_EQ(Get(bucket, std::string("from-") + region), region);
    }
  }

  // A restart keeps each bucket's region.
  OpenAll();
  caller_ = RootCaller("eu-west-1");
  EXPECT_EQ(regions_seen(), expected);
  EXPECT_EQ(Ok("HeadBucket", {{"Bucket", "far"}})["BucketRegion"], "ap-southeast-2");
}

// Buckets created before their owning account was recorded (schema version 9) belong to the data
// directory's account after the next start.
TEST_F(S3Test, BucketsFromBeforeOwnerAccountBelongToTheRootAccount) {
  MakeBucket("old");
  {
    auto txn = metadata_->Begin(store::MetadataStore::Mode::kWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Exec("UPDATE s3_buckets SET owner_account = '' WHERE name = 'old'").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  OpenAll();
  auto listed = Ok("ListBuckets", {})["Buckets"].as_array();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("Name"), "old");
  Ok("HeadBucket", {{"Bucket", "old"}, {"ExpectedBucketOwner", "000000000000"}});
}

TEST_F(S3Test, DeleteBucketNotEmptyCountsVersionsNotUploads) {
  MakeBucket("bk1");
  Put("bk1", "k", "x");
  auto e = Err("DeleteBucket", {{"Bucket", "bk1"}});
  EXPECT_EQ(e.code, "BucketNotEmpty");
  EXPECT_EQ(e.http_status, 409);
  Ok("DeleteObject", {{"Bucket", "bk1"}, {"Key", "k"}});
  Ok("PutBucketVersioning",
     {{"Bucket", "bk1"}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  Put("bk1", "v", "x");
  Ok("DeleteObject", {{"Bucket", "bk1"}, {"Key", "v"}});  // leaves a version and a delete marker
  EXPECT_EQ(Err("DeleteBucket", {{"Bucket", "bk1"}}).code, "BucketNotEmpty");

  // An in-progress multipart upload does not keep a bucket alive (as on S3): it goes with the bucket, and
  // its parts' blobs are freed.
  MakeBucket("bk2");
  const std::size_t blobs_before = BlobCount();
  auto up = Ok("CreateMultipartUpload", {{"Bucket", "bk2"}, {"Key", "m"}});
  StringReader part(std::string(5 << 20, 'p'));
  Ok("UploadPart", {{"Bucket", "bk2"}, {"Key", "m"}, {"UploadId", up["UploadId"]}, {"PartNumber", 1}}, &part);
  EXPECT_EQ(BlobCount(), blobs_before + 1);
  Ok("DeleteBucket", {{"Bucket", "bk2"}});
  EXPECT_EQ(BlobCount(), blobs_before);
  EXPECT_EQ(Err("ListMultipartUploads", {{"Bucket", "bk2"}}).code, "NoSuchBucket");
  // A bucket of the same name starts with no uploads.
  MakeBucket("bk2");
  EXPECT_FALSE(Ok("ListMultipartUploads", {{"Bucket", "bk2"}}).contains("Uploads"));
}

TEST_F(S3Test, BucketTaggingPolicyVersioning) {
  MakeBucket("bk1");
  EXPECT_EQ(Err("GetBucketTagging", {{"Bucket", "bk1"}}).code, "NoSuchTagSet");
  json::array tags{json::object{{"Key", "env"}, {"Value", "dev"}}};
  Ok("PutBucketTagging", {{"Bucket", "bk1"}, {"Tagging", json::object{{"TagSet", tags}}}});
  EXPECT_EQ(Ok("GetBucketTagging", {{"Bucket", "bk1"}})["TagSet"], tags);
  Ok("DeleteBucketTagging", {{"Bucket", "bk1"}});
  EXPECT_EQ(Err("GetBucketTagging", {{"Bucket", "bk1"}}).http_status, 404);

  EXPECT_EQ(Err("GetBucketPolicy", {{"Bucket", "bk1"}}).code, "NoSuchBucketPolicy");
  EXPECT_EQ(Err("PutBucketPolicy", {{"Bucket", "bk1"}, {"Policy", "not json"}}).code, "MalformedPolicy");
  const std::string policy = R"({"Version":"2012-10-17","Statement":[]})";
  Ok("PutBucketPolicy", {{"Bucket", "bk1"}, {"Policy", policy}});
  EXPECT_EQ(Ok("GetBucketPolicy", {{"Bucket", "bk1"}})["Policy"], policy);
  Ok("DeleteBucketPolicy", {{"Bucket", "bk1"}});
  EXPECT_EQ(Err("GetBucketPolicy", {{"Bucket", "bk1"}}).code, "NoSuchBucketPolicy");

  EXPECT_FALSE(Ok("GetBucketVersioning", {{"Bucket", "bk1"}}).contains("Status"));
  EXPECT_EQ(Err("PutBucketVersioning",
                {{"Bucket", "bk1"}, {"VersioningConfiguration", json::object{{"Status", "On"}}}})
                .code,
            "MalformedXML");
  Ok("PutBucketVersioning",
     {{"Bucket", "bk1"}, {"VersioningConfiguration", json::object{{"Status", "Suspended"}}}});
  EXPECT_EQ(Ok("GetBucketVersioning", {{"Bucket", "bk1"}})["Status"], "Suspended");
}

TEST_F(S3Test, ExpectedBucketOwner) {
  MakeBucket("bk1");
  Ok("HeadBucket", {{"Bucket", "bk1"}, {"ExpectedBucketOwner", "000000000000"}});
  auto e = Err("HeadBucket", {{"Bucket", "bk1"}, {"ExpectedBucketOwner", "111111111111"}});
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(Err("GetObject", {{"Bucket", "bk1"}, {"Key", "k"}, {"ExpectedBucketOwner", "111111111111"}}).code,
            "AccessDenied");
}

// The provider is its table: an operation outside it is the pipeline's to answer (NotImplemented, 501).
TEST_F(S3Test, UnsupportedOperationsAreLeftToThePipeline) {
  EXPECT_FALSE(provider_->Implements("GetObjectTorrent"));
  EXPECT_TRUE(provider_->Implements("GetObject"));
  auto e = Err("GetObjectTorrent", {{"Bucket", "b"}, {"Key", "k"}});
  EXPECT_EQ(e.code, "NotImplemented");
  EXPECT_EQ(e.http_status, 501);
}

// ---------------------------------------------------------------- bucket configurations and ACLs

TEST(S3PolicyStatus, PublicIsAWildcardPrincipalNotTiedDown) {
  auto policy = [](const std::string& principal, const std::string& condition) {
    return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":)" + principal +
           R"(,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*")" +
           (condition.empty() ? "" : ",\"Condition\":" + condition) + "}]}";
  };
  EXPECT_TRUE(s3::PolicyIsPublic(policy(R"("*")", "")));
  EXPECT_TRUE(s3::PolicyIsPublic(policy(R"({"AWS":["arn:aws:iam::123456789012:root","*"]})", "")));
  EXPECT_FALSE(s3::PolicyIsPublic(policy(R"({"AWS":"arn:aws:iam::123456789012:root"})", "")));
  EXPECT_FALSE(
      s3::PolicyIsPublic(policy(R"("*")", R"({"StringEquals":{"aws:SourceAccount":"123456789012"}})")));
  // A wildcard value ties nothing down; a condition on another key does not either.
  EXPECT_TRUE(s3::PolicyIsPublic(policy(R"("*")", R"({"StringLike":{"aws:SourceArn":"*"}})")));
  EXPECT_TRUE(s3::PolicyIsPublic(policy(R"("*")", R"({"Bool":{"aws:SecureTransport":"true"}})")));
  EXPECT_FALSE(s3::PolicyIsPublic(R"({"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]})"));
  EXPECT_FALSE(s3::PolicyIsPublic("not json"));
}

TEST_F(S3Test, NewBucketsDisableAclsAndBlockPublicAccess) {
  MakeBucket("cfg");
  auto own = Ok("GetBucketOwnershipControls", {{"Bucket", "cfg"}});
  EXPECT_EQ(json::serialize(own["OwnershipControls"]),
            R"({"Rules":[{"ObjectOwnership":"BucketOwnerEnforced"}]})");
  auto pab = Ok("GetPublicAccessBlock", {{"Bucket", "cfg"}})["PublicAccessBlockConfiguration"].as_object();
  for (const char* name :
       {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}) {
    EXPECT_EQ(pab[name], true) << name;
  }
  EXPECT_EQ(Err("PutBucketAcl", {{"Bucket", "cfg"}, {"ACL", "public-read"}}).code,
            "AccessControlListNotSupported");
  EXPECT_EQ(Err("PutBucketAcl", {{"Bucket", "cfg"}}).code, "MissingSecurityHeader");
  // Setting an ACL fails while ACLs are disabled, a "private" one too (as Terraform users of AWS see it).
  EXPECT_EQ(Err("PutBucketAcl", {{"Bucket", "cfg"}, {"ACL", "private"}}).code,
            "AccessControlListNotSupported");
  EXPECT_EQ(Err("CreateBucket", {{"Bucket", "cfg2"}, {"ObjectOwnership", "Everyone"}}).code,
            "InvalidArgument");
}

TEST_F(S3Test, LegacyBucketDefaultsKeepAclsInForce) {
  legacy_bucket_defaults_ = true;
  OpenAll();
  Ok("CreateBucket", {{"Bucket", "old"}, {"ACL", "public-read"}});
  EXPECT_EQ(Err("GetBucketOwnershipControls", {{"Bucket", "old"}}).code, "OwnershipControlsNotFoundError");
  EXPECT_EQ(Err("GetPublicAccessBlock", {{"Bucket", "old"}}).code, "NoSuchPublicAccessBlockConfiguration");
  EXPECT_EQ(Ok("GetBucketAcl", {{"Bucket", "old"}})["Grants"].as_array().size(), 2u);
  // Asked for, ownership controls are kept as on AWS.
  Ok("CreateBucket", {{"Bucket", "asked"}, {"ObjectOwnership", "BucketOwnerEnforced"}});
  EXPECT_EQ(Err("PutBucketAcl", {{"Bucket", "asked"}, {"ACL", "public-read"}}).code,
            "AccessControlListNotSupported");
}

TEST_F(S3Test, ObjectAclsFollowOwnershipAndPublicAccessBlock) {
  Ok("CreateBucket", {{"Bucket", "acl"}, {"ObjectOwnership", "ObjectWriter"}});
  {
    // BlockPublicAcls is on: the write is refused at its commit, and nothing is stored.
    StringReader body("data");
    EXPECT_EQ(Err("PutObject", {{"Bucket", "acl"}, {"Key", "k"}, {"ACL", "public-read"}}, &body).code,
              "AccessDenied");
  }
  EXPECT_EQ(Err("GetObject", {{"Bucket", "acl"}, {"Key", "k"}}).code, "NoSuchKey");
  EXPECT_EQ(BlobCount(), 0u);
  Ok("DeletePublicAccessBlock", {{"Bucket", "acl"}});
  Put("acl", "k", "data", {{"ACL", "public-read"}});
  auto acl = Ok("GetObjectAcl", {{"Bucket", "acl"}, {"Key", "k"}});
  ASSERT_EQ(acl["Grants"].as_array().size(), 2u);
  EXPECT_EQ(acl["Grants"].as_array()[1].as_object().at("Grantee").as_object().at("URI"),
            "http://acs.amazonaws.com/groups/global/AllUsers");
  // A new version of the key starts with its owner's full control again.
  Put("acl", "k", "data2");
  EXPECT_EQ(Ok("GetObjectAcl", {{"Bucket", "acl"}, {"Key", "k"}})["Grants"].as_array().size(), 1u);
  EXPECT_EQ(Err("PutObjectAcl", {{"Bucket", "acl"}, {"Key", "k"}, {"ACL", "log-delivery-write"}}).code,
            "MalformedACLError");
}

// Object Ownership decides who owns what another account writes (S3 User Guide, "Controlling ownership of
// objects"): ObjectWriter, the writer; BucketOwnerPreferred, the bucket owner when the write gives
// bucket-owner-full-control; BucketOwnerEnforced, always the bucket owner, and only that ACL may be given.
TEST_F(S3Test, ObjectOwnershipDecidesWhoOwnsAnotherAccountsWrites) {
  const std::string owner(64, 'a');
  const std::string writer(64, 'b');
  Ok("CreateBucket", {{"Bucket", "own"}, {"ObjectOwnership", "ObjectWriter"}});
  auto object_owner = [&](const std::string& key) {
    return std::string(
        Ok("GetObjectAcl", {{"Bucket", "own"}, {"Key", key}})["Owner"].as_object().at("ID").as_string());
  };
  const iam::Principal root = caller_.principal;
  auto as_writer = [&] {
    caller_.principal.account_id = "111111111111";
    caller_.principal.arn = "arn:aws:iam::111111111111:root";
    caller_.principal.canonical_id = writer;
  };
  as_writer();
  Put("own", "plain", "x");
  Put("own", "full", "x", {{"ACL", "bucket-owner-full-control"}});
  EXPECT_EQ(object_owner("plain"), writer);
  EXPECT_EQ(object_owner("full"), writer);
  EXPECT_EQ(Ok("GetObjectAcl", {{"Bucket", "own"}, {"Key", "full"}})["Grants"].as_array().size(), 2u);
  caller_.principal = root;
  Ok("PutBucketOwnershipControls",
     {{"Bucket", "own"},
      {"OwnershipControls",
       json::object{{"Rules", json::array{json::object{{"ObjectOwnership", "BucketOwnerPreferred"}}}}}}});
  as_writer();
  Put("own", "plain", "x");
  Put("own", "full", "x", {{"ACL", "bucket-owner-full-control"}});
  EXPECT_EQ(object_owner("plain"), writer);
  EXPECT_EQ(object_owner("full"), owner);
  caller_.principal = root;
  Ok("PutBucketOwnershipControls",
     {{"Bucket", "own"},
      {"OwnershipControls",
       json::object{{"Rules", json::array{json::object{{"ObjectOwnership", "BucketOwnerEnforced"}}}}}}});
  as_writer();
  Put("own", "plain", "x");
  Put("own", "full", "x", {{"ACL", "bucket-owner-full-control"}});
  EXPECT_EQ(object_owner("plain"), owner);
  EXPECT_EQ(object_owner("full"), owner);
  {
    StringReader body("x");
    EXPECT_EQ(Err("PutObject", {{"Bucket", "own"}, {"Key", "private"}, {"ACL", "private"}}, &body).code,
              "AccessControlListNotSupported");
  }
  EXPECT_EQ(Err("CreateMultipartUpload", {{"Bucket", "own"}, {"Key", "mp"}, {"ACL", "private"}}).code,
            "AccessControlListNotSupported");
  auto upload = Ok("CreateMultipartUpload", {{"Bucket", "own"}, {"Key", "mp"}});
  auto parts = Ok("ListParts", {{"Bucket", "own"}, {"Key", "mp"}, {"UploadId", upload["UploadId"]}});
  EXPECT_EQ(parts["Owner"].as_object().at("ID"), owner);
  EXPECT_EQ(Err("PutObjectAcl", {{"Bucket", "own"}, {"Key", "plain"}, {"ACL", "private"}}).code,
            "AccessControlListNotSupported");
  caller_.principal = root;
}

// A request denied on a resource that does not exist (access.hpp, S3Authority::Missing): NoSuchBucket to
// everyone; NoSuchKey only to callers that may list the bucket with the key as prefix.
TEST_F(S3Test, AuthorityAnswersMissingResources) {
  auto authority = provider_->MakeAuthority();
  auto gone = authority->Missing("s3:GetObject", "arn:aws:s3:::nowhere/k");
  ASSERT_TRUE(gone.ok());
  ASSERT_TRUE(gone->has_value());
  EXPECT_EQ((*gone)->error.code, "NoSuchBucket");
  EXPECT_TRUE((*gone)->reveal_action.empty());
  // Creating a bucket that does not exist: a denial stays AccessDenied.
  auto create = authority->Missing("s3:CreateBucket", "arn:aws:s3:::nowhere");
  ASSERT_TRUE(create.ok());
  EXPECT_FALSE(create->has_value());
  MakeBucket("here");
  Put("here", "present", "x");
  auto missing = authority->Missing("s3:GetObject", "arn:aws:s3:::here/absent");
  ASSERT_TRUE(missing.ok());
  ASSERT_TRUE(missing->has_value());
  EXPECT_EQ((*missing)->error.code, "NoSuchKey");
  EXPECT_EQ((*missing)->reveal_action, "s3:ListBucket");
  EXPECT_EQ((*missing)->reveal_resource, "arn:aws:s3:::here");
  auto present = authority->Missing("s3:GetObject", "arn:aws:s3:::here/present");
  ASSERT_TRUE(present.ok());
  EXPECT_FALSE(present->has_value());
  auto put = authority->Missing("s3:PutObject", "arn:aws:s3:::here/absent");
  ASSERT_TRUE(put.ok());
  EXPECT_FALSE(put->has_value());
}

// The authorizer's view of S3 (access.hpp): the bucket policy and the ACL grants as one resource policy,
// the public access block applied, the bucket's owner, and fresh after every configuration change.
TEST_F(S3Test, AuthorityMergesPolicyAndAclsAndFollowsChanges) {
  auto authority = provider_->MakeAuthority();
  iam::RequestPrincipal anonymous;  // kAnonymous
  auto decide = [&](std::string_view action, std::string_view arn) {
    auto facts = authority->Facts(anonymous, action, arn);
    EXPECT_TRUE(facts.ok());
    iam::Request r;
    r.action = std::string(action);
    r.resource = std::string(arn);
    r.resource_account = facts->owner_account;
    r.principal = anonymous;
    iam::PolicySet set;
    if (facts->policy) set.resource = iam::PolicyRef{facts->policy->name, facts->policy->policy.get()};
    return iam::Evaluate(r, set).allowed();
  };
  Ok("CreateBucket", {{"Bucket", "pub"}, {"ObjectOwnership", "ObjectWriter"}});
  auto facts = authority->Facts(anonymous, "s3:GetObject", "arn:aws:s3:::pub/k");
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->owner_account, "000000000000");
  EXPECT_FALSE(facts->policy.has_value());  // owner-only ACL, no policy
  EXPECT_FALSE(decide("s3:ListBucket", "arn:aws:s3:::pub"));
  Ok("DeletePublicAccessBlock", {{"Bucket", "pub"}});
  Ok("PutBucketAcl", {{"Bucket", "pub"}, {"ACL", "public-read"}});
  EXPECT_TRUE(decide("s3:ListBucket", "arn:aws:s3:::pub"));  // seen at once: the cache was invalidated
  EXPECT_FALSE(decide("s3:PutObject", "arn:aws:s3:::pub/k"));
  // Object ACLs: the latest version's.
  Put("pub", "open", "o", {{"ACL", "public-read"}});
  Put("pub", "closed", "c");
  EXPECT_TRUE(decide("s3:GetObject", "arn:aws:s3:::pub/open"));
  EXPECT_FALSE(decide("s3:GetObject", "arn:aws:s3:::pub/closed"));
  EXPECT_FALSE(decide("s3:GetObjectAcl", "arn:aws:s3:::pub/open"));
  // A bucket policy joins the grants; RestrictPublicBuckets leaves outsiders only its Deny statements.
  Ok("PutBucketPolicy",
     {{"Bucket", "pub"}, {"Policy", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
                            "Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/closed"}]})"}});
  EXPECT_TRUE(decide("s3:GetObject", "arn:aws:s3:::pub/closed"));
  EXPECT_TRUE(decide("s3:ListBucket", "arn:aws:s3:::pub"));
  Ok("PutPublicAccessBlock",
     {{"Bucket", "pub"},
      {"PublicAccessBlockConfiguration", {{"RestrictPublicBuckets", true}, {"IgnorePublicAcls", true}}}});
  EXPECT_FALSE(decide("s3:GetObject", "arn:aws:s3:::pub/closed"));
  EXPECT_FALSE(decide("s3:GetObject", "arn:aws:s3:::pub/open"));
  EXPECT_FALSE(decide("s3:ListBucket", "arn:aws:s3:::pub"));
  // The owner's root user is never locked out of the bucket policy itself; everyone else is bound by it.
  iam::RequestPrincipal root;
  root.type = iam::PrincipalType::kRoot;
  root.account_id = "000000000000";
  root.arn = "arn:aws:iam::000000000000:root";
  EXPECT_FALSE(authority->Facts(root, "s3:GetBucketPolicy", "arn:aws:s3:::pub")->policy.has_value());
  EXPECT_FALSE(authority->Facts(root, "s3:DeleteBucketPolicy", "arn:aws:s3:::pub")->policy.has_value());
  EXPECT_TRUE(authority->Facts(root, "s3:GetObject", "arn:aws:s3:::pub/closed")->policy.has_value());
  iam::RequestPrincipal user = root;
  user.type = iam::PrincipalType::kUser;
  user.arn = "arn:aws:iam::000000000000:user/u";
  EXPECT_TRUE(authority->Facts(user, "s3:GetBucketPolicy", "arn:aws:s3:::pub")->policy.has_value());
  // ConfirmRemoveSelfBucketAccess gives that up, until a policy is put without it.
  const std::string lockout = R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",
      "Action":"s3:GetBucketPolicy","Resource":"arn:aws:s3:::pub"}]})";
  Ok("PutBucketPolicy", {{"Bucket", "pub"}, {"Policy", lockout}, {"ConfirmRemoveSelfBucketAccess", true}});
  EXPECT_TRUE(authority->Facts(root, "s3:GetBucketPolicy", "arn:aws:s3:::pub")->policy.has_value());
  Ok("PutBucketPolicy", {{"Bucket", "pub"}, {"Policy", lockout}});
  EXPECT_FALSE(authority->Facts(root, "s3:GetBucketPolicy", "arn:aws:s3:::pub")->policy.has_value());
  // A bucket that does not exist has no owner or policy: the operation answers NoSuchBucket itself.
  auto missing = authority->Facts(anonymous, "s3:GetObject", "arn:aws:s3:::nope/k");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->owner_account.empty());
}

TEST_F(S3Test, CorsRulesAnswerCrossOriginRequests) {
  MakeBucket("web");
  aws::CorsRequest pre;
  pre.resource = "web";
  pre.origin = "https://shop.example.com";
  pre.method = "PUT";
  pre.headers = {"content-type", "x-amz-meta-user"};
  pre.preflight = true;
  auto none = provider_->Cors(pre);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "AccessForbidden");  // CORS is not enabled for this bucket
  json::array rules;
  rules.push_back(json::object{{"AllowedMethods", json::array{"GET"}}, {"AllowedOrigins", json::array{"*"}}});
  rules.push_back(json::object{{"AllowedMethods", json::array{"GET", "PUT"}},
                               {"AllowedOrigins", json::array{"https://*.example.com"}},
                               {"AllowedHeaders", json::array{"Content-Type", "x-amz-meta-*"}},
                               {"ExposeHeaders", json::array{"ETag"}},
                               {"MaxAgeSeconds", 300}});
  Ok("PutBucketCors", {{"Bucket", "web"}, {"CORSConfiguration", json::object{{"CORSRules", rules}}}});
  auto put = provider_->Cors(pre);
  ASSERT_TRUE(put.ok() && put->has_value());
  EXPECT_EQ((*put)->Get("Access-Control-Allow-Origin").value_or(""), "https://shop.example.com");
  EXPECT_EQ((*put)->Get("Access-Control-Allow-Methods").value_or(""), "GET, PUT");
  EXPECT_EQ((*put)->Get("Access-Control-Allow-Headers").value_or(""), "content-type, x-amz-meta-user");
  EXPECT_EQ((*put)->Get("Access-Control-Max-Age").value_or(""), "300");
  EXPECT_EQ((*put)->Get("Access-Control-Allow-Credentials").value_or(""), "true");
  // The first matching rule answers: any origin may GET, without credentials.
  aws::CorsRequest get = pre;
  get.method = "GET";
  get.headers.clear();
  auto any = provider_->Cors(get);
  ASSERT_TRUE(any.ok() && any->has_value());
  EXPECT_EQ((*any)->Get("Access-Control-Allow-Origin").value_or(""), "*");
  EXPECT_FALSE((*any)->Has("Access-Control-Allow-Credentials"));
  // A header no rule allows, or another origin for PUT: not allowed.
  aws::CorsRequest bad_header = pre;
  bad_header.headers = {"x-secret"};
  EXPECT_FALSE(provider_->Cors(bad_header)->has_value());
  aws::CorsRequest other = pre;
  other.origin = "https://example.org";
  EXPECT_FALSE(provider_->Cors(other)->has_value());
  // An actual request to a missing bucket just gets no headers.
  aws::CorsRequest missing = get;
  missing.resource = "nope";
  missing.preflight = false;
  EXPECT_FALSE(provider_->Cors(missing)->has_value());
}

TEST_F(S3Test, LifecycleRoundsActOnlyOnceTheDaysHavePassed) {
  // Rounds run at chosen times (RunLifecycleAt), so a slow machine cannot make days pass early.
  constexpr std::int64_t kDay = 86'400'000;
  MakeBucket("lcy");
  Put("lcy", "logs/old", "x");
  Put("lcy", "data/keep", "y");
  json::array rules;
  rules.push_back(json::object{{"ID", "logs"},
                               {"Status", "Enabled"},
                               {"Filter", json::object{{"Prefix", "logs/"}}},
                               {"Expiration", json::object{{"Days", 2}}}});
  Ok("PutBucketLifecycleConfiguration",
     {{"Bucket", "lcy"}, {"LifecycleConfiguration", json::object{{"Rules", rules}}}});
  const std::int64_t written = UnixNowMs();
  auto early = provider_->RunLifecycleAt(written + kDay + kDay / 2);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->expired, 0);  // not two days old yet
  auto due = provider_->RunLifecycleAt(UnixNowMs() + 2 * kDay + 1);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->expired, 1);
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "lcy"}, {"Key", "logs/old"}}).code, "NoSuchKey");
  Ok("HeadObject", {{"Bucket", "lcy"}, {"Key", "data/keep"}});
  EXPECT_EQ(BlobCount(), 1u) << "the expired object's blob is freed";
  // A rule's days are counted from the object's last write: a new version starts over.
  Put("lcy", "logs/new", "z");
  EXPECT_EQ(provider_->RunLifecycleAt(UnixNowMs() + kDay)->expired, 0);
}

TEST(S3AccessLogs, RecordsFollowAwsFormat) {
  aws::RequestContext ctx;
  ctx.request_id = "3E57427F3EXAMPLE";
  ctx.operation = "GetBucketVersioning";
  ctx.source_ip = "192.0.2.3:51234";
  ctx.principal.arn = "arn:aws:iam::123456789012:user/alice";
  http::Headers headers;
  headers.Add("authorization", "AWS4-HMAC-SHA256 Credential=...");
  headers.Add("user-agent", "aws-cli/2.15");
  headers.Add("host", "localhost:4566");
  ctx.headers = &headers;
  aws::Document params = json::object{{"Bucket", "logs-src"}};
  aws::pipeline::CallRecord record{.ctx = ctx,
                                   .params = &params,
                                   .target = "/logs-src?versioning",
                                   .http_status = 200,
                                   .method = "GET",
                                   .bytes_sent = 113,
                                   .error = nullptr,
                                   .duration = std::chrono::microseconds(7000)};
  const std::string line = s3::FormatAccessLogRecord(record, "logs-src", "79a59df9", 1549411238000);
  EXPECT_EQ(
      line,
      "79a59df9 logs-src [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::123456789012:user/alice "
      "3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /logs-src?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" "
      "\"aws-cli/2.15\" - Y2Vub3RlLzNFNTc0MjdGM0VYQU1QTEU= SigV4 - AuthHeader localhost:4566 - - -");
}

TEST_F(S3Test, ConfigurationsByIdAreListedInPages) {
  MakeBucket("ids");
  for (int i = 0; i < 105; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "m%03d", i);
    Ok("PutBucketMetricsConfiguration",
       {{"Bucket", "ids"}, {"Id", id}, {"MetricsConfiguration", json::object{{"Id", id}}}});
  }
  auto first = Ok("ListBucketMetricsConfigurations", {{"Bucket", "ids"}});
  EXPECT_EQ(first["IsTruncated"], true);
  EXPECT_EQ(first["MetricsConfigurationList"].as_array().size(), 100u);
  auto second = Ok("ListBucketMetricsConfigurations",
                   {{"Bucket", "ids"}, {"ContinuationToken", first["NextContinuationToken"]}});
  EXPECT_EQ(second["IsTruncated"], false);
  ASSERT_EQ(second["MetricsConfigurationList"].as_array().size(), 5u);
  EXPECT_EQ(second["MetricsConfigurationList"].as_array()[4].as_object().at("Id"), "m104");
  EXPECT_EQ(Err("PutBucketMetricsConfiguration",
                {{"Bucket", "ids"}, {"Id", "x"}, {"MetricsConfiguration", json::object{{"Id", "y"}}}})
                .code,
            "InvalidArgument");
  EXPECT_EQ(Err("DeleteBucketMetricsConfiguration", {{"Bucket", "ids"}, {"Id", "nope"}}).code,
            "NoSuchConfiguration");
}

// ---------------------------------------------------------------- objects

// S3 returns user metadata with non US-ASCII characters RFC 2047 encoded; ASCII values come back as they are.
TEST_F(S3Test, NonAsciiMetadataComesBackRfc2047Encoded) {
  MakeBucket("bk2047");
  Put("bk2047", "k", "x", {{"Metadata", json::object{{"plain", "a b"}, {"utf8", "Hello World\xc3\xa9"}}}});
  for (const char* op : {"GetObject", "HeadObject"}) {
    auto got = Call(op, {{"Bucket", "bk2047"}, {"Key", "k"}});
    ASSERT_TRUE(got.ok()) << op;
    const auto& m = got->result.as_object().at("Metadata").as_object();
    EXPECT_EQ(m.at("plain"), "a b") << op;
    EXPECT_EQ(m.at("utf8"), "=?UTF-8?B?SGVsbG8gV29ybGTDqQ==?=") << op;
  }
}

TEST_F(S3Test, PutGetHeadRoundTrip) {
  MakeBucket("bk1");
  const std::string data = "hello, cenote! this is an object";
  auto put = Put("bk1", "dir/obj.txt", data,
                 {{"Metadata", json::object{{"color", "blue"}}},
                  {"CacheControl", "no-cache"},
                  {"Tagging", "a=1&b=two%20words"}});
  EXPECT_EQ(put["ETag"], "\"" + Md5Hex(data) + "\"");
  EXPECT_FALSE(put.contains("VersionId"));
  auto get = Call("GetObject", {{"Bucket", "bk1"}, {"Key", "dir/obj.txt"}});
  ASSERT_TRUE(get.ok());
  auto& r = get->result.as_object();
  EXPECT_EQ(r["ContentType"], "binary/octet-stream");
  EXPECT_EQ(r["ContentLength"], static_cast<std::int64_t>(data.size()));
  EXPECT_EQ(r["Metadata"].as_object().at("color"), "blue");
  EXPECT_EQ(r["CacheControl"], "no-cache");
  EXPECT_EQ(r["TagCount"], 2);
  EXPECT_EQ(r["ETag"], put["ETag"]);
  ASSERT_TRUE(get->body);
  EXPECT_EQ(get->body->Size(), data.size());
  auto file = get->body->AsFile();
  ASSERT_TRUE(file.has_value());  // single blob: sendfile-able
  EXPECT_EQ(file->offset, 0u);
  EXPECT_EQ(file->length, data.size());
  EXPECT_EQ(ReadBody(*get->body), data);
  auto head = Call("HeadObject", {{"Bucket", "bk1"}, {"Key", "dir/obj.txt"}});
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->body);
  EXPECT_EQ(head->result.as_object()["ContentLength"], static_cast<std::int64_t>(data.size()));
  auto tags = Ok("GetObjectTagging", {{"Bucket", "bk1"}, {"Key", "dir/obj.txt"}});
  EXPECT_EQ(tags["TagSet"].as_array()[1].as_object().at("Value"), "two words");

  // Overwrite replaces the blob: the old one is deleted.
  Put("bk1", "dir/obj.txt", "second");
  EXPECT_EQ(Get("bk1", "dir/obj.txt"), "second");
  EXPECT_EQ(BlobCount(), 1u);
  auto missing = Err("GetObject", {{"Bucket", "bk1"}, {"Key", "nope"}});
  EXPECT_EQ(missing.code, "NoSuchKey");
  EXPECT_EQ(missing.http_status, 404);
  EXPECT_EQ(Err("GetObject", {{"Bucket", "nob"}, {"Key", "k"}}).code, "NoSuchBucket");
  EXPECT_EQ(Err("PutObject", {{"Bucket", "nob"}, {"Key", "k"}}).code, "NoSuchBucket");
  // An empty object.
  Put("bk1", "empty", "");
  EXPECT_EQ(Get("bk1", "empty"), "");
}

TEST_F(S3Test, ContentMd5AndChecksums) {
  MakeBucket("bk1");
  const std::string data = "checksummed body";
  std::string md5 = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kMD5, data));
  Put("bk1", "ok", data, {{"ContentMD5", md5}});
  auto bad =
      Err("PutObject", {{"Bucket", "bk1"}, {"Key", "k"}, {"ContentMD5", Base64Encode(std::string(16, 'x'))}},
          std::make_unique<StringReader>(data).get());
  EXPECT_EQ(bad.code, "BadDigest");
  StringReader body1(data);
  EXPECT_EQ(Err("PutObject", {{"Bucket", "bk1"}, {"Key", "k"}, {"ContentMD5", "zz"}}, &body1).code,
            "InvalidDigest");

  const std::string crc = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32, data));
  auto put = Put("bk1", "crc", data, {{"ChecksumCRC32", crc}});
  EXPECT_EQ(put["ChecksumCRC32"], crc);
  StringReader body2(data);
  auto mismatch = Err("PutObject",
                      {{"Bucket", "bk1"},
                       {"Key", "k"},
                       {"ChecksumCRC32", Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32, "other"))}},
                      &body2);
  EXPECT_EQ(mismatch.code, "BadDigest");
  EXPECT_EQ(mismatch.message, "The CRC32 you specified did not match the calculated checksum.");
  StringReader body3(data);
  EXPECT_EQ(Err("PutObject", {{"Bucket", "bk1"}, {"Key", "k"}, {"ChecksumSHA256", "AAAA"}}, &body3).code,
            "InvalidRequest");
  // Trailer checksum (aws-chunked upload announced with x-amz-trailer).
  http::Headers trailer_announced;
  trailer_announced.Add("x-amz-trailer", "x-amz-checksum-crc32c");
  const std::string crc32c = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32C, data));
  StringReader body4(data);
  body4.trailers_.Add("x-amz-checksum-crc32c", crc32c);
  auto with_trailer =
      CallWithHeaders("PutObject", {{"Bucket", "bk1"}, {"Key", "trailer"}}, trailer_announced, &body4);
  ASSERT_TRUE(with_trailer.ok()) << with_trailer.error().code;
  StringReader body5(data);
  body5.trailers_.Add("x-amz-checksum-crc32c", Base64Encode(std::string(4, '\0')));
  auto bad_trailer =
      CallWithHeaders("PutObject", {{"Bucket", "bk1"}, {"Key", "trailer2"}}, trailer_announced, &body5);
  ASSERT_FALSE(bad_trailer.ok());
  EXPECT_EQ(bad_trailer.error().code, "BadDigest");
  auto head = Ok("HeadObject", {{"Bucket", "bk1"}, {"Key", "trailer"}, {"ChecksumMode", "ENABLED"}});
  EXPECT_EQ(head["ChecksumCRC32C"], crc32c);
  EXPECT_EQ(head["ChecksumType"], "FULL_OBJECT");
  EXPECT_FALSE(Ok("HeadObject", {{"Bucket", "bk1"}, {"Key", "trailer"}}).contains("ChecksumCRC32C"));
  // Failed uploads leave no blobs behind.
  EXPECT_EQ(BlobCount(), 3u);
}

TEST_F(S3Test, SmallPutObjectBodiesAreStoredInline) {
  inline_max_ = S3Options().inline_max_bytes;
  OpenAll();
  MakeBucket("bk1");
  const std::string small = "small body";
  const std::string crc = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32, small));
  auto put = Put("bk1", "s", small, {{"ChecksumCRC32", crc}, {"ContentType", "text/plain"}});
  EXPECT_EQ(put["ETag"], "\"" + Md5Hex(small) + "\"");
  EXPECT_EQ(put["ChecksumCRC32"], crc);
  Put("bk1", "empty", "");
  EXPECT_EQ(BlobCount(), 0u);

  auto get = Call("GetObject", {{"Bucket", "bk1"}, {"Key", "s"}, {"ChecksumMode", "ENABLED"}});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->result.as_object()["ContentType"], "text/plain");
  EXPECT_EQ(get->result.as_object()["ChecksumCRC32"], crc);
  ASSERT_TRUE(get->body);
  EXPECT_FALSE(get->body->AsFile().has_value());  // no file behind it: streamed from memory
  EXPECT_EQ(ReadBody(*get->body), small);
  EXPECT_EQ(Get("bk1", "s", {{"Range", "bytes=6-"}}), "body");
  EXPECT_EQ(Get("bk1", "empty"), "");

  // A bad digest stores nothing.
  StringReader bad_body(small);
  EXPECT_EQ(
      Err("PutObject",
          {{"Bucket", "bk1"}, {"Key", "bad"}, {"ContentMD5", Base64Encode(std::string(16, 'x'))}}, &bad_body)
          .code,
      "BadDigest");
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "bk1"}, {"Key", "bad"}}).code, "NoSuchKey");

  // Bodies of unknown length: inline up to the limit, a blob past it.
  const std::uint64_t limit = S3Options().inline_max_bytes;
  StringReader at_limit(std::string(limit, 'a'));
  at_limit.known_length = false;
  Ok("PutObject", {{"Bucket", "bk1"}, {"Key", "at-limit"}}, &at_limit);
  EXPECT_EQ(BlobCount(), 0u);
  const std::string past(limit + 1, 'b');
  StringReader past_limit(past, 1000);
  past_limit.known_length = false;
  Ok("PutObject", {{"Bucket", "bk1"}, {"Key", "past-limit"}}, &past_limit);
  EXPECT_EQ(BlobCount(), 1u);
  EXPECT_EQ(Get("bk1", "past-limit"), past);
  EXPECT_EQ(Get("bk1", "at-limit"), std::string(limit, 'a'));

  // Overwriting a blob object with a small body removes the blob; versions keep their own bytes.
  Put("bk1", "past-limit", "now small");
  EXPECT_EQ(BlobCount(), 0u);
  Ok("PutBucketVersioning",
     {{"Bucket", "bk1"}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  auto v1 = Put("bk1", "v", "first");
  Put("bk1", "v", "second");
  EXPECT_EQ(Get("bk1", "v"), "second");
  EXPECT_EQ(Get("bk1", "v", {{"VersionId", v1["VersionId"]}}), "first");
  OpenAll();
  EXPECT_EQ(Get("bk1", "v", {{"VersionId", v1["VersionId"]}}), "first");
  EXPECT_EQ(Get("bk1", "s"), small);
  EXPECT_EQ(BlobCount(), 0u);
}

TEST_F(S3Test, EntityTooLarge) {
  max_object_size_ = 10;
  OpenAll();
  MakeBucket("bk1");
  StringReader body(std::string(11, 'x'));
  auto e = Err("PutObject", {{"Bucket", "bk1"}, {"Key", "big"}}, &body);
  EXPECT_EQ(e.code, "EntityTooLarge");
  EXPECT_EQ(BlobCount(), 0u);
}

TEST_F(S3Test, Ranges) {
  MakeBucket("bk1");
  const std::string data = "0123456789";
  Put("bk1", "r", data);
  auto r = Call("GetObject", {{"Bucket", "bk1"}, {"Key", "r"}, {"Range", "bytes=2-5"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->http_status, 206);
  EXPECT_EQ(r->result.as_object()["ContentRange"], "bytes 2-5/10");
  EXPECT_EQ(r->result.as_object()["ContentLength"], 4);
  auto file = r->body->AsFile();
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->offset, 2u);
  EXPECT_EQ(ReadBody(*r->body), "2345");
  EXPECT_EQ(Get("bk1", "r", {{"Range", "bytes=-3"}}), "789");
  EXPECT_EQ(Get("bk1", "r", {{"Range", "bytes=7-"}}), "789");
  EXPECT_EQ(Get("bk1", "r", {{"Range", "bytes=8-100"}}), "89");
  EXPECT_EQ(Get("bk1", "r", {{"Range", "bytes=-100"}}), data);
  EXPECT_EQ(Get("bk1", "r", {{"Range", "garbage"}}), data);  // ignored, like S3
  auto e = Err("GetObject", {{"Bucket", "bk1"}, {"Key", "r"}, {"Range", "bytes=10-"}});
  EXPECT_EQ(e.code, "InvalidRange");
  EXPECT_EQ(e.http_status, 416);
  bool has_size = false;
  for (const auto& [k, v] : e.fields) has_size = has_size || (k == "ActualObjectSize" && v == "10");
  EXPECT_TRUE(has_size);
  EXPECT_EQ(
      Err("GetObject", {{"Bucket", "bk1"}, {"Key", "r"}, {"Range", "bytes=0-1"}, {"PartNumber", 1}}).code,
      "InvalidRequest");
}

TEST_F(S3Test, ConditionalRequests) {
  MakeBucket("bk1");
  auto put = Put("bk1", "c", "data");
  const std::string etag = std::string(put["ETag"].as_string());
  const std::int64_t past = 1000;             // 1970
  const std::int64_t future = 4102444800000;  // 2100
  auto e = Err("GetObject", {{"Bucket", "bk1"}, {"Key", "c"}, {"IfNoneMatch", etag}});
  EXPECT_EQ(e.http_status, 304);
  EXPECT_EQ(Err("GetObject", {{"Bucket", "bk1"}, {"Key", "c"}, {"IfMatch", "\"nope\""}}).http_status, 412);
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "bk1"}, {"Key", "c"}, {"IfUnmodifiedSince", past}}).code,
            "PreconditionFailed");
  // If-Match true wins over a failing If-Unmodified-Since.
  EXPECT_EQ(Get("bk1", "c", {{"IfMatch", etag}, {"IfUnmodifiedSince", past}}), "data");
  // If-None-Match false + If-Modified-Since false (would be 304 alone): If-None-Match decides -> 200.
  EXPECT_EQ(Get("bk1", "c", {{"IfNoneMatch", "\"other\""}, {"IfModifiedSince", NowPlus(0)}}), "data");
  EXPECT_EQ(Err("GetObject", {{"Bucket", "bk1"}, {"Key", "c"}, {"IfModifiedSince", NowPlus(0)}}).http_status,
            304);
  // A date in the future is ignored.
  EXPECT_EQ(Get("bk1", "c", {{"IfModifiedSince", future}}), "data");
  EXPECT_EQ(Get("bk1", "c", {{"IfModifiedSince", past}}), "data");
  // Conditional PUTs.
  StringReader body("x");
  auto pe = Err("PutObject", {{"Bucket", "bk1"}, {"Key", "c"}, {"IfNoneMatch", "*"}}, &body);
  EXPECT_EQ(pe.code, "PreconditionFailed");
  EXPECT_EQ(pe.http_status, 412);
  Put("bk1", "new", "x", {{"IfNoneMatch", "*"}});
  StringReader body2("x");
  EXPECT_EQ(Err("PutObject", {{"Bucket", "bk1"}, {"Key", "c"}, {"IfMatch", "\"wrong\""}}, &body2).code,
            "PreconditionFailed");
  Put("bk1", "c", "replaced", {{"IfMatch", etag}});
  EXPECT_EQ(Get("bk1", "c"), "replaced");
}

TEST_F(S3Test, ResponseOverridesAndAttributes) {
  MakeBucket("bk1");
  Put("bk1", "o", "abc", {{"ContentType", "text/plain"}});
  auto r = Ok("GetObject", {{"Bucket", "bk1"},
                            {"Key", "o"},
                            {"ResponseContentType", "application/json"},
                            {"ResponseContentDisposition", "attachment"}});
  EXPECT_EQ(r["ContentType"], "application/json");
  EXPECT_EQ(r["ContentDisposition"], "attachment");
  auto a =
      Ok("GetObjectAttributes", {{"Bucket", "bk1"},
                                 {"Key", "o"},
                                 {"ObjectAttributes", json::array{"ETag", "ObjectSize", "StorageClass"}}});
  EXPECT_EQ(a["ETag"], Md5Hex("abc"));
  EXPECT_EQ(a["ObjectSize"], 3);
  EXPECT_EQ(a["StorageClass"], "STANDARD");
}

TEST_F(S3Test, DeleteObjectsBatch) {
  MakeBucket("bk1");
  Put("bk1", "a", "1");
  Put("bk1", "b", "2");
  json::array objects{json::object{{"Key", "a"}}, json::object{{"Key", "b"}},
                      json::object{{"Key", "missing"}}, json::object{{"Key", "a"}, {"VersionId", "bogus"}}};
  auto r = Ok("DeleteObjects", {{"Bucket", "bk1"}, {"Delete", json::object{{"Objects", objects}}}});
  EXPECT_EQ(r["Deleted"].as_array().size(), 3u);
  ASSERT_EQ(r["Errors"].as_array().size(), 1u);
  EXPECT_EQ(r["Errors"].as_array()[0].as_object().at("Code"), "InvalidArgument");
  EXPECT_EQ(Err("GetObject", {{"Bucket", "bk1"}, {"Key", "a"}}).code, "NoSuchKey");
  auto quiet =
      Ok("DeleteObjects",
         {{"Bucket", "bk1"},
          {"Delete", json::object{{"Objects", json::array{json::object{{"Key", "b"}}}}, {"Quiet", true}}}});
  EXPECT_FALSE(quiet.contains("Deleted"));
  json::array many;
  for (int i = 0; i < 1001; ++i) many.push_back(json::object{{"Key", "k" + std::to_string(i)}});
  EXPECT_EQ(Err("DeleteObjects", {{"Bucket", "bk1"}, {"Delete", json::object{{"Objects", many}}}}).code,
            "MalformedXML");
  EXPECT_EQ(
      Err("DeleteObjects", {{"Bucket", "bk1"}, {"Delete", json::object{{"Objects", json::array{}}}}}).code,
      "MalformedXML");
  EXPECT_EQ(BlobCount(), 0u);
}

TEST_F(S3Test, CopyObject) {
  MakeBucket("src");
  MakeBucket("dst");
  auto put = Put("src", "a b/ü.txt", "copy me",
                 {{"ContentType", "text/plain"}, {"Metadata", json::object{{"m", "1"}}}});
  auto c = Ok("CopyObject", {{"Bucket", "dst"}, {"Key", "copy"}, {"CopySource", "src/a%20b/%C3%BC.txt"}});
  EXPECT_EQ(c["CopyObjectResult"].as_object().at("ETag"), put["ETag"]);
  auto head = Ok("HeadObject", {{"Bucket", "dst"}, {"Key", "copy"}});
  EXPECT_EQ(head["ContentType"], "text/plain");
  EXPECT_EQ(head["Metadata"].as_object().at("m"), "1");
  EXPECT_EQ(Get("dst", "copy"), "copy me");
  Ok("CopyObject", {{"Bucket", "dst"},
                    {"Key", "replaced"},
                    {"CopySource", "/src/a%20b/%C3%BC.txt"},
                    {"MetadataDirective", "REPLACE"},
                    {"ContentType", "image/png"}});
  auto h2 = Ok("HeadObject", {{"Bucket", "dst"}, {"Key", "replaced"}});
  EXPECT_EQ(h2["ContentType"], "image/png");
  EXPECT_FALSE(h2.contains("Metadata"));
  auto self =
      Err("CopyObject", {{"Bucket", "src"}, {"Key", "a b/ü.txt"}, {"CopySource", "src/a%20b/%C3%BC.txt"}});
  EXPECT_EQ(self.code, "InvalidRequest");
  EXPECT_EQ(
      self.message,
      "This copy request is illegal because it is trying to copy an object to itself without changing the "
      "object's metadata, storage class, website redirect location or encryption attributes.");
  Ok("CopyObject", {{"Bucket", "src"},
                    {"Key", "a b/ü.txt"},
                    {"CopySource", "src/a%20b/%C3%BC.txt"},
                    {"MetadataDirective", "REPLACE"}});
  auto cond = Err("CopyObject", {{"Bucket", "dst"},
                                 {"Key", "x"},
                                 {"CopySource", "src/a%20b/%C3%BC.txt"},
                                 {"CopySourceIfMatch", "\"nope\""}});
  EXPECT_EQ(cond.http_status, 412);
  EXPECT_EQ(Err("CopyObject", {{"Bucket", "dst"}, {"Key", "x"}, {"CopySource", "src/none"}}).code,
            "NoSuchKey");
  // Source overwritten: the copy keeps its own bytes (clone, not shared mutable state).
  Put("src", "a b/ü.txt", "changed");
  EXPECT_EQ(Get("dst", "copy"), "copy me");
}

// ---------------------------------------------------------------- listing

TEST_F(S3Test, ListObjectsV2DelimiterAcrossPages) {
  MakeBucket("bk1");
  for (const char* k : {"a/1", "a/2", "b", "c/x/1", "c/y", "d", "e/1"}) Put("bk1", k, "x");
  // Pages of 2: [a/, b], [c/, d], [e/]
  std::vector<std::string> seen;
  std::optional<std::string> token;
  for (int i = 0; i < 10; ++i) {
    json::object params{{"Bucket", "bk1"}, {"Delimiter", "/"}, {"MaxKeys", 2}};
    if (token) params["ContinuationToken"] = *token;
    auto r = Ok("ListObjectsV2", params);
    if (r.contains("Contents")) {
      for (const auto& c : r["Contents"].as_array()) seen.emplace_back(c.as_object().at("Key").as_string());
    }
    if (r.contains("CommonPrefixes")) {
      for (const auto& c : r["CommonPrefixes"].as_array())
        seen.emplace_back(c.as_object().at("Prefix").as_string());
    }
    EXPECT_LE(r["KeyCount"].as_int64(), 2);
    if (!r["IsTruncated"].as_bool()) break;
    token = std::string(r["NextContinuationToken"].as_string());
  }
  std::vector<std::string> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"a/", "b", "c/", "d", "e/"}));
  // With a prefix.
  auto r = Ok("ListObjectsV2", {{"Bucket", "bk1"}, {"Prefix", "c/"}, {"Delimiter", "/"}});
  EXPECT_EQ(r["Contents"].as_array().size(), 1u);
  EXPECT_EQ(r["CommonPrefixes"].as_array()[0].as_object().at("Prefix"), "c/x/");
  // MaxKeys 0, StartAfter.
  auto zero = Ok("ListObjectsV2", {{"Bucket", "bk1"}, {"MaxKeys", 0}});
  EXPECT_EQ(zero["KeyCount"], 0);
  EXPECT_FALSE(zero.contains("Contents"));
  auto after = Ok("ListObjectsV2", {{"Bucket", "bk1"}, {"StartAfter", "c/y"}});
  EXPECT_EQ(after["Contents"].as_array().size(), 2u);
  EXPECT_EQ(after["StartAfter"], "c/y");
  EXPECT_EQ(Err("ListObjectsV2", {{"Bucket", "bk1"}, {"ContinuationToken", "!!"}}).code, "InvalidArgument");
}

TEST_F(S3Test, ListingHostileKeysAndEncoding) {
  MakeBucket("bk1");
  std::vector<std::string> keys = {"../etc/passwd", "a//b",      "dir/",        "dir/file",
                                   "sp ace",        "z\xC3\xBC", "\xE4\xB8\xAD"};
  for (const auto& k : keys) Put("bk1", k, k);
  for (const auto& k : keys) EXPECT_EQ(Get("bk1", k), k);
  auto r = Ok("ListObjectsV2", {{"Bucket", "bk1"}});
  std::vector<std::string> listed;
  for (const auto& c : r["Contents"].as_array()) listed.emplace_back(c.as_object().at("Key").as_string());
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());  // byte order == UTF-8 code point order
  EXPECT_EQ(listed, expected);
  auto enc = Ok("ListObjectsV2", {{"Bucket", "bk1"}, {"EncodingType", "url"}, {"Prefix", "sp "}});
  EXPECT_EQ(enc["Contents"].as_array()[0].as_object().at("Key"), "sp+ace");
  EXPECT_EQ(enc["Prefix"], "sp+");
  EXPECT_EQ(enc["EncodingType"], "url");
  auto u = Ok("ListObjectsV2", {{"Bucket", "bk1"}, {"EncodingType", "url"}, {"Prefix", "z"}});
  EXPECT_EQ(u["Contents"].as_array()[0].as_object().at("Key"), "z%C3%BC");
  auto slash = Ok("ListObjectsV2", {{"Bucket", "bk1"}, {"Delimiter", "/"}, {"Prefix", "a/"}});
  EXPECT_EQ(slash["CommonPrefixes"].as_array()[0].as_object().at("Prefix"), "a//");
  EXPECT_EQ(Err("ListObjectsV2", {{"Bucket", "bk1"}, {"EncodingType", "base64"}}).code, "InvalidArgument");
}

TEST_F(S3Test, ListObjectsV1Markers) {
  MakeBucket("bk1");
  for (const char* k : {"a/1", "a/2", "b", "c"}) Put("bk1", k, "x");
  auto r = Ok("ListObjects", {{"Bucket", "bk1"}, {"Delimiter", "/"}, {"MaxKeys", 2}});
  EXPECT_TRUE(r["IsTruncated"].as_bool());
  EXPECT_EQ(r["NextMarker"], "b");
  EXPECT_TRUE(r["Contents"].as_array()[0].as_object().contains("Owner"));
  auto r2 = Ok("ListObjects", {{"Bucket", "bk1"}, {"Delimiter", "/"}, {"Marker", "b"}});
  EXPECT_FALSE(r2["IsTruncated"].as_bool());
  ASSERT_EQ(r2["Contents"].as_array().size(), 1u);
  EXPECT_EQ(r2["Contents"].as_array()[0].as_object().at("Key"), "c");
  auto nodelim = Ok("ListObjects", {{"Bucket", "bk1"}, {"MaxKeys", 1}});
  EXPECT_TRUE(nodelim["IsTruncated"].as_bool());
  EXPECT_FALSE(nodelim.contains("NextMarker"));
  // A marker naming a common prefix skips the whole prefix.
  auto r3 = Ok("ListObjects", {{"Bucket", "bk1"}, {"Delimiter", "/"}, {"Marker", "a/"}});
  EXPECT_FALSE(r3.contains("CommonPrefixes"));
  EXPECT_EQ(r3["Contents"].as_array().size(), 2u);
}

// ---------------------------------------------------------------- multipart

TEST_F(S3Test, MultipartUploadEtagAndManifest) {
  MakeBucket("bk1");
  auto up = Ok("CreateMultipartUpload", {{"Bucket", "bk1"}, {"Key", "big"}, {"ContentType", "text/csv"}});
  const std::string id = std::string(up["UploadId"].as_string());
  const std::string p1(20, 'a'), p2(20, 'b'), p3 = "tail";
  std::vector<std::string> etags;
  int n = 1;
  for (const auto* part : {&p1, &p2, &p3}) {
    StringReader body(*part);
    auto r =
        Ok("UploadPart", {{"Bucket", "bk1"}, {"Key", "big"}, {"UploadId", id}, {"PartNumber", n++}}, &body);
    etags.emplace_back(r["ETag"].as_string());
  }
  // Re-upload of part 2 replaces it (the old blob is deleted).
  StringReader again(p2);
  Ok("UploadPart", {{"Bucket", "bk1"}, {"Key", "big"}, {"UploadId", id}, {"PartNumber", 2}}, &again);
  StringReader bad_part("x");
  EXPECT_EQ(Err("UploadPart", {{"Bucket", "bk1"}, {"Key", "big"}, {"UploadId", id}, {"PartNumber", 10001}},
                &bad_part)
                .code,
            "InvalidArgument");
  auto lp = Ok("ListParts", {{"Bucket", "bk1"}, {"Key", "big"}, {"UploadId", id}, {"MaxParts", 2}});
  EXPECT_EQ(lp["Parts"].as_array().size(), 2u);
  EXPECT_TRUE(lp["IsTruncated"].as_bool());
  EXPECT_EQ(lp["NextPartNumberMarker"], 2);
  auto lp2 = Ok("ListParts", {{"Bucket", "bk1"}, {"Key", "big"}, {"UploadId", id}, {"PartNumberMarker", 2}});
  EXPECT_EQ(lp2["Parts"].as_array().size(), 1u);
  auto uploads = Ok("ListMultipartUploads", {{"Bucket", "bk1"}});
  ASSERT_EQ(uploads["Uploads"].as_array().size(), 1u);
  EXPECT_EQ(uploads["Uploads"].as_array()[0].as_object().at("UploadId"), id);

  auto parts = [&](std::vector<std::pair<int, std::string>> list) {
    json::array a;
    for (auto& [num, etag] : list) a.push_back(json::object{{"PartNumber", num}, {"ETag", etag}});
    return json::object{{"Parts", a}};
  };
  auto complete = [&](json::object mpu) {
    return json::object{{"Bucket", "bk1"}, {"Key", "big"}, {"UploadId", id}, {"MultipartUpload", mpu}};
  };
  EXPECT_EQ(Err("CompleteMultipartUpload", complete(json::object{{"Parts", json::array{}}})).code,
            "MalformedXML");
  EXPECT_EQ(Err("CompleteMultipartUpload", complete(parts({{2, etags[1]}, {1, etags[0]}}))).code,
            "InvalidPartOrder");
  EXPECT_EQ(Err("CompleteMultipartUpload", complete(parts({{1, etags[0]}, {2, "\"deadbeef\""}}))).code,
            "InvalidPart");
  EXPECT_EQ(Err("CompleteMultipartUpload", complete(parts({{3, etags[2]}, {1, etags[0]}}))).code,
            "InvalidPartOrder");
  EXPECT_EQ(Err("CompleteMultipartUpload", complete(parts({{3, etags[2]}, {4, etags[2]}}))).code,
            "EntityTooSmall");
  auto done = Ok("CompleteMultipartUpload", complete(parts({{1, etags[0]}, {2, etags[1]}, {3, etags[2]}})));
  // Independent ETag: md5 of the concatenated binary part md5s, "-3".
  std::string concat = ComputeChecksum(ChecksumAlgorithm::kMD5, p1) +
                       ComputeChecksum(ChecksumAlgorithm::kMD5, p2) +
                       ComputeChecksum(ChecksumAlgorithm::kMD5, p3);
  EXPECT_EQ(done["ETag"], "\"" + Md5Hex(concat) + "-3\"");
  EXPECT_EQ(Get("bk1", "big"), p1 + p2 + p3);
  auto ranged = Get("bk1", "big", {{"Range", "bytes=15-44"}});
  EXPECT_EQ(ranged, (p1 + p2 + p3).substr(15, 30));
  auto part2 = Call("GetObject", {{"Bucket", "bk1"}, {"Key", "big"}, {"PartNumber", 2}});
  ASSERT_TRUE(part2.ok());
  EXPECT_EQ(part2->http_status, 206);
  EXPECT_EQ(part2->result.as_object()["PartsCount"], 3);
  EXPECT_EQ(part2->result.as_object()["ContentRange"], "bytes 20-39/44");
  EXPECT_EQ(ReadBody(*part2->body), p2);
  EXPECT_EQ(Err("GetObject", {{"Bucket", "bk1"}, {"Key", "big"}, {"PartNumber", 4}}).code,
            "InvalidPartNumber");
  EXPECT_EQ(Ok("HeadObject", {{"Bucket", "bk1"}, {"Key", "big"}})["ContentType"], "text/csv");
  // No bytes were copied: exactly the three part blobs remain.
  EXPECT_EQ(BlobCount(), 3u);
  // A retry of the completed upload answers the same.
  auto retry = Ok("CompleteMultipartUpload", complete(parts({{1, etags[0]}, {2, etags[1]}, {3, etags[2]}})));
  EXPECT_EQ(retry["ETag"], done["ETag"]);
  EXPECT_EQ(Err("AbortMultipartUpload", {{"Bucket", "bk1"}, {"Key", "big"}, {"UploadId", id}}).code,
            "NoSuchUpload");
  EXPECT_EQ(Err("ListParts", {{"Bucket", "bk1"}, {"Key", "big"}, {"UploadId", id}}).http_status, 404);
}

TEST_F(S3Test, MultipartCompositeChecksumAndUnusedParts) {
  MakeBucket("bk1");
  auto up = Ok("CreateMultipartUpload", {{"Bucket", "bk1"}, {"Key", "k"}, {"ChecksumAlgorithm", "CRC32"}});
  EXPECT_EQ(up["ChecksumType"], "COMPOSITE");
  const std::string id = std::string(up["UploadId"].as_string());
  const std::string p1(16, 'q'), p2 = "end", p3 = "unused";
  std::vector<std::string> etags;
  int n = 1;
  for (const auto* part : {&p1, &p2, &p3}) {
    StringReader body(*part);
    auto r =
        Ok("UploadPart", {{"Bucket", "bk1"}, {"Key", "k"}, {"UploadId", id}, {"PartNumber", n++}}, &body);
    EXPECT_EQ(r["ChecksumCRC32"], Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32, *part)));
    etags.emplace_back(r["ETag"].as_string());
  }
  json::array list{json::object{{"PartNumber", 1}, {"ETag", etags[0]}},
                   json::object{{"PartNumber", 2}, {"ETag", etags[1]}}};
  auto done = Ok("CompleteMultipartUpload", {{"Bucket", "bk1"},
                                             {"Key", "k"},
                                             {"UploadId", id},
                                             {"MultipartUpload", json::object{{"Parts", list}}}});
  std::string expected = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32,
                                                      ComputeChecksum(ChecksumAlgorithm::kCRC32, p1) +
                                                          ComputeChecksum(ChecksumAlgorithm::kCRC32, p2))) +
                         "-2";
  EXPECT_EQ(done["ChecksumCRC32"], expected);
  EXPECT_EQ(BlobCount(), 2u);  // the unlisted part's blob is gone
  EXPECT_EQ(Get("bk1", "k"), p1 + p2);
}

TEST_F(S3Test, MultipartFullObjectCrc64) {
  MakeBucket("bk1");
  auto up =
      Ok("CreateMultipartUpload", {{"Bucket", "bk1"}, {"Key", "k"}, {"ChecksumAlgorithm", "CRC64NVME"}});
  EXPECT_EQ(up["ChecksumType"], "FULL_OBJECT");
  const std::string id = std::string(up["UploadId"].as_string());
  const std::string p1(17, 'x'), p2 = "yz";
  std::vector<std::string> etags;
  int n = 1;
  for (const auto* part : {&p1, &p2}) {
    StringReader body(*part);
    auto r =
        Ok("UploadPart", {{"Bucket", "bk1"}, {"Key", "k"}, {"UploadId", id}, {"PartNumber", n++}}, &body);
    etags.emplace_back(r["ETag"].as_string());
  }
  json::array list{json::object{{"PartNumber", 1}, {"ETag", etags[0]}},
                   json::object{{"PartNumber", 2}, {"ETag", etags[1]}}};
  auto done = Ok("CompleteMultipartUpload", {{"Bucket", "bk1"},
                                             {"Key", "k"},
                                             {"UploadId", id},
                                             {"MultipartUpload", json::object{{"Parts", list}}}});
  EXPECT_EQ(done["ChecksumCRC64NVME"], Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC64NVME, p1 + p2)));
}

TEST_F(S3Test, UploadPartCopyWithRange) {
  MakeBucket("bk1");
  Put("bk1", "src", "0123456789abcdefghij");
  auto up = Ok("CreateMultipartUpload", {{"Bucket", "bk1"}, {"Key", "dst"}});
  const std::string id = std::string(up["UploadId"].as_string());
  auto c1 =
      Ok("UploadPartCopy",
         {{"Bucket", "bk1"}, {"Key", "dst"}, {"UploadId", id}, {"PartNumber", 1}, {"CopySource", "bk1/src"}});
  auto c2 = Ok("UploadPartCopy", {{"Bucket", "bk1"},
                                  {"Key", "dst"},
                                  {"UploadId", id},
                                  {"PartNumber", 2},
                                  {"CopySource", "bk1/src"},
                                  {"CopySourceRange", "bytes=2-4"}});
  EXPECT_EQ(c2["CopyPartResult"].as_object().at("ETag"), "\"" + Md5Hex("234") + "\"");
  EXPECT_EQ(Err("UploadPartCopy", {{"Bucket", "bk1"},
                                   {"Key", "dst"},
                                   {"UploadId", id},
                                   {"PartNumber", 3},
                                   {"CopySource", "bk1/src"},
                                   {"CopySourceRange", "bytes=5-100"}})
                .code,
            "InvalidArgument");
  json::array list{json::object{{"PartNumber", 1}, {"ETag", c1["CopyPartResult"].as_object().at("ETag")}},
                   json::object{{"PartNumber", 2}, {"ETag", c2["CopyPartResult"].as_object().at("ETag")}}};
  Ok("CompleteMultipartUpload", {{"Bucket", "bk1"},
                                 {"Key", "dst"},
                                 {"UploadId", id},
                                 {"MultipartUpload", json::object{{"Parts", list}}}});
  EXPECT_EQ(Get("bk1", "dst"), "0123456789abcdefghij234");
}

TEST_F(S3Test, ListMultipartUploadsPagination) {
  MakeBucket("bk1");
  std::vector<std::string> ids;
  for (const char* k : {"a", "a", "b/1", "b/2", "c"}) {
    ids.emplace_back(Ok("CreateMultipartUpload", {{"Bucket", "bk1"}, {"Key", k}})["UploadId"].as_string());
  }
  auto r = Ok("ListMultipartUploads", {{"Bucket", "bk1"}, {"MaxUploads", 1}});
  EXPECT_TRUE(r["IsTruncated"].as_bool());
  EXPECT_EQ(r["NextKeyMarker"], "a");
  EXPECT_EQ(r["NextUploadIdMarker"], ids[0]);
  auto r2 = Ok("ListMultipartUploads",
               {{"Bucket", "bk1"}, {"KeyMarker", "a"}, {"UploadIdMarker", ids[0]}, {"Delimiter", "/"}});
  ASSERT_EQ(r2["Uploads"].as_array().size(), 2u);
  EXPECT_EQ(r2["Uploads"].as_array()[0].as_object().at("UploadId"), ids[1]);
  EXPECT_EQ(r2["CommonPrefixes"].as_array().size(), 1u);
}

// ---------------------------------------------------------------- versioning

TEST_F(S3Test, VersioningFlow) {
  MakeBucket("ver");
  Put("ver", "k", "null-version");  // before versioning: the "null" version
  Ok("PutBucketVersioning",
     {{"Bucket", "ver"}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  auto v1 = Put("ver", "k", "one");
  auto v2 = Put("ver", "k", "two");
  const std::string id1 = std::string(v1["VersionId"].as_string());
  const std::string id2 = std::string(v2["VersionId"].as_string());
  EXPECT_NE(id1, id2);
  EXPECT_LT(id1, id2);  // sortable by creation
  EXPECT_EQ(Get("ver", "k"), "two");
  EXPECT_EQ(Get("ver", "k", {{"VersionId", id1}}), "one");
  EXPECT_EQ(Get("ver", "k", {{"VersionId", "null"}}), "null-version");
  auto del = Ok("DeleteObject", {{"Bucket", "ver"}, {"Key", "k"}});
  EXPECT_EQ(del["DeleteMarker"], true);
  const std::string marker = std::string(del["VersionId"].as_string());
  auto gone = Err("GetObject", {{"Bucket", "ver"}, {"Key", "k"}});
  EXPECT_EQ(gone.code, "NoSuchKey");
  bool marker_header = false;
  for (const auto& [k, val] : gone.headers)
    marker_header = marker_header || (k == "x-amz-delete-marker" && val == "true");
  EXPECT_TRUE(marker_header);
  auto on_marker = Err("GetObject", {{"Bucket", "ver"}, {"Key", "k"}, {"VersionId", marker}});
  EXPECT_EQ(on_marker.code, "MethodNotAllowed");
  EXPECT_EQ(on_marker.http_status, 405);
  EXPECT_EQ(Err("GetObject", {{"Bucket", "ver"}, {"Key", "k"}, {"VersionId", std::string(32, '0')}}).code,
            "NoSuchVersion");
  EXPECT_EQ(Err("GetObject", {{"Bucket", "ver"}, {"Key", "k"}, {"VersionId", "bad"}}).code,
            "InvalidArgument");

  auto versions = Ok("ListObjectVersions", {{"Bucket", "ver"}});
  ASSERT_EQ(versions["Versions"].as_array().size(), 3u);
  ASSERT_EQ(versions["DeleteMarkers"].as_array().size(), 1u);
  EXPECT_EQ(versions["DeleteMarkers"].as_array()[0].as_object().at("IsLatest"), true);
  EXPECT_EQ(versions["Versions"].as_array()[0].as_object().at("VersionId"), id2);  // newest first
  EXPECT_EQ(versions["Versions"].as_array()[2].as_object().at("VersionId"), "null");
  // Pagination by KeyMarker/VersionIdMarker visits every entry once.
  std::vector<std::string> seen;
  json::object params{{"Bucket", "ver"}, {"MaxKeys", 1}};
  for (int i = 0; i < 10; ++i) {
    auto page = Ok("ListObjectVersions", params);
    for (const char* list : {"Versions", "DeleteMarkers"}) {
      if (page.contains(list)) {
        for (const auto& e : page[list].as_array())
          seen.emplace_back(e.as_object().at("VersionId").as_string());
      }
    }
    if (!page["IsTruncated"].as_bool()) break;
    params["KeyMarker"] = page["NextKeyMarker"];
    params["VersionIdMarker"] = page["NextVersionIdMarker"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{marker, id2, id1, "null"}));
  // ListObjectsV2 hides keys whose latest version is a delete marker.
  EXPECT_FALSE(Ok("ListObjectsV2", {{"Bucket", "ver"}}).contains("Contents"));
  // Deleting the marker by version id restores the object.
  auto undelete = Ok("DeleteObject", {{"Bucket", "ver"}, {"Key", "k"}, {"VersionId", marker}});
  EXPECT_EQ(undelete["DeleteMarker"], true);
  EXPECT_EQ(Get("ver", "k"), "two");
  // Deleting a specific version is permanent.
  Ok("DeleteObject", {{"Bucket", "ver"}, {"Key", "k"}, {"VersionId", id2}});
  EXPECT_EQ(Get("ver", "k"), "one");
  EXPECT_EQ(BlobCount(), 2u);
}

// A listing that deletes each page before asking for the next (the suite's and most tools' bucket cleanup):
// the version-id marker then names a version that is gone, and the listing still goes on from it, for
// "null" versions and for versioned ones alike.
TEST_F(S3Test, VersionListingGoesOnPastDeletedMarkers) {
  for (const bool versioned : {false, true}) {
    const std::string bucket = versioned ? "drain-ver" : "drain-null";
    MakeBucket(bucket);
    if (versioned) {
      Ok("PutBucketVersioning",
         {{"Bucket", bucket}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
    }
    for (const char* key : {"a", "b", "c", "d", "e"}) {
      Put(bucket, key, "1");
      if (versioned) Put(bucket, key, "2");
    }
    const std::size_t total = versioned ? 10 : 5;
    std::size_t deleted = 0;
    json::object params{{"Bucket", bucket}, {"MaxKeys", 2}};
    for (int page_no = 0; page_no < 20; ++page_no) {
      auto page = Ok("ListObjectVersions", params);
      json::array objects;
      if (page.contains("Versions")) {
        for (const auto& v : page["Versions"].as_array()) {
          objects.push_back(
              json::object{{"Key", v.as_object().at("Key")}, {"VersionId", v.as_object().at("VersionId")}});
        }
      }
      deleted += objects.size();
      if (!objects.empty()) {
        Ok("DeleteObjects",
           {{"Bucket", bucket}, {"Delete", json::object{{"Objects", objects}, {"Quiet", true}}}});
      }
      if (!page["IsTruncated"].as_bool()) break;
      params["KeyMarker"] = page["NextKeyMarker"];
      params["VersionIdMarker"] = page["NextVersionIdMarker"];
    }
    EXPECT_EQ(deleted, total) << bucket;
    EXPECT_FALSE(Ok("ListObjectVersions", {{"Bucket", bucket}}).contains("Versions")) << bucket;
    Ok("DeleteBucket", {{"Bucket", bucket}});
  }
  // A marker that is neither a version Cenote made nor "null" is still refused.
  MakeBucket("drain-bad");
  EXPECT_EQ(
      Err("ListObjectVersions", {{"Bucket", "drain-bad"}, {"KeyMarker", "a"}, {"VersionIdMarker", "bad"}})
          .code,
      "InvalidArgument");
}

TEST_F(S3Test, SuspendedVersioningReplacesNullVersion) {
  MakeBucket("ver");
  Ok("PutBucketVersioning",
     {{"Bucket", "ver"}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  auto v1 = Put("ver", "k", "kept");
  Ok("PutBucketVersioning",
     {{"Bucket", "ver"}, {"VersioningConfiguration", json::object{{"Status", "Suspended"}}}});
  // The null version a suspended bucket writes answers no x-amz-version-id (s3-tests
  // test_versioning_bucket_atomic_upload_return_version_id).
  auto n1 = Put("ver", "k", "null-1");
  EXPECT_FALSE(n1.contains("VersionId"));
  Put("ver", "k", "null-2");
  auto versions = Ok("ListObjectVersions", {{"Bucket", "ver"}});
  EXPECT_EQ(versions["Versions"].as_array().size(), 2u);
  EXPECT_EQ(Get("ver", "k"), "null-2");
  auto del = Ok("DeleteObject", {{"Bucket", "ver"}, {"Key", "k"}});
  EXPECT_EQ(del["VersionId"], "null");
  EXPECT_EQ(del["DeleteMarker"], true);
  EXPECT_EQ(Get("ver", "k", {{"VersionId", v1["VersionId"]}}), "kept");
  EXPECT_EQ(BlobCount(), 1u);
}

// ---------------------------------------------------------------- tagging

TEST_F(S3Test, ObjectTagging) {
  MakeBucket("bk1");
  Put("bk1", "k", "x");
  json::array tags{json::object{{"Key", "a"}, {"Value", "1"}}};
  Ok("PutObjectTagging", {{"Bucket", "bk1"}, {"Key", "k"}, {"Tagging", json::object{{"TagSet", tags}}}});
  EXPECT_EQ(Ok("GetObjectTagging", {{"Bucket", "bk1"}, {"Key", "k"}})["TagSet"], tags);
  json::array dup{json::object{{"Key", "a"}, {"Value", "1"}}, json::object{{"Key", "a"}, {"Value", "2"}}};
  EXPECT_EQ(
      Err("PutObjectTagging", {{"Bucket", "bk1"}, {"Key", "k"}, {"Tagging", json::object{{"TagSet", dup}}}})
          .code,
      "InvalidTag");
  json::array eleven;
  for (int i = 0; i < 11; ++i)
    eleven.push_back(json::object{{"Key", "k" + std::to_string(i)}, {"Value", "v"}});
  EXPECT_EQ(Err("PutObjectTagging",
                {{"Bucket", "bk1"}, {"Key", "k"}, {"Tagging", json::object{{"TagSet", eleven}}}})
                .code,
            "BadRequest");
  Ok("DeleteObjectTagging", {{"Bucket", "bk1"}, {"Key", "k"}});
  EXPECT_TRUE(Ok("GetObjectTagging", {{"Bucket", "bk1"}, {"Key", "k"}})["TagSet"].as_array().empty());
  EXPECT_EQ(Err("GetObjectTagging", {{"Bucket", "bk1"}, {"Key", "none"}}).code, "NoSuchKey");
}

// x-amz-tagging is a query string of distinct keys: anything else is AWS's InvalidArgument naming the
// header, not a TagSet error (an empty key used to be "The TagKey you have provided is too long").
TEST_F(S3Test, MalformedTaggingHeaderIsInvalidArgument) {
  MakeBucket("bk1");
  Put("bk1", "src", "x");
  const std::string message =
      "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag "
      "name duplicates.";
  auto put = [&](const std::string& tagging) {
    StringReader body("x");
    return Call("PutObject", {{"Bucket", "bk1"}, {"Key", "k"}, {"Tagging", tagging}}, &body);
  };
  auto create = [&](const std::string& tagging) {
    return Call("CreateMultipartUpload", {{"Bucket", "bk1"}, {"Key", "k"}, {"Tagging", tagging}});
  };
  auto copy = [&](const std::string& tagging) {
    return Call("CopyObject", {{"Bucket", "bk1"},
                               {"Key", "k"},
                               {"CopySource", "bk1/src"},
                               {"TaggingDirective", "REPLACE"},
                               {"Tagging", tagging}});
  };
  for (const char* bad : {"a=1&a=2", "a&a=", "=v", "a=1&=2", "a=%ZZ", "a=%4", "a%=1", "%FF=1", "a=%C3",
                          "a=%ED%A0%80", "k=%e9t%e9"}) {
    for (const auto& call :
         std::vector<std::function<Result<aws::OperationOutput>(const std::string&)>>{put, create, copy}) {
      auto r = call(bad);
      ASSERT_FALSE(r.ok()) << bad;
      EXPECT_EQ(r.error().code, "InvalidArgument") << bad;
      EXPECT_EQ(r.error().message, message) << bad;
      EXPECT_EQ(r.error().http_status, 400);
      const auto fields = std::vector<std::pair<std::string, std::string>>{{"ArgumentName", "x-amz-tagging"},
                                                                           {"ArgumentValue", bad}};
      EXPECT_EQ(r.error().fields, fields) << bad;
    }
  }
  // Well-formed headers keep the TagSet limits and their errors.
  EXPECT_EQ(put("k" + std::string(128, 'x') + "=v").error().code, "InvalidTag");
  EXPECT_EQ(put("k=" + std::string(257, 'v')).error().code, "InvalidTag");
  std::string eleven;
  for (int i = 0; i < 11; ++i) eleven += "k" + std::to_string(i) + "=v&";
  EXPECT_EQ(put(eleven).error().code, "BadRequest");
  // A key without '=' has an empty value; empty pairs are nothing; '+' and escapes decode, UTF-8 included.
  ASSERT_TRUE(put("foo=bar&bar&&caf%C3%A9=a+b%2Bc").ok());
  EXPECT_EQ(Ok("GetObjectTagging", {{"Bucket", "bk1"}, {"Key", "k"}})["TagSet"],
            (json::array{json::object{{"Key", "foo"}, {"Value", "bar"}},
                         json::object{{"Key", "bar"}, {"Value", ""}},
                         json::object{{"Key", "caf\xc3\xa9"}, {"Value", "a b+c"}}}));
  EXPECT_FALSE(Ok("ListMultipartUploads", {{"Bucket", "bk1"}}).contains("Uploads"));
}

// S3 cannot parse a request URI whose key is not UTF-8 (InvalidURI, 400): no operation that names a key
// stores, reads or deletes one. Stored, such a key could not be listed and deleted again by clients that
// decode listings as UTF-8 (`aws s3 rm --recursive` reported success and left the objects).
TEST_F(S3Test, KeysThatAreNotUtf8AreRefusedByEveryOperation) {
  MakeBucket("bk1");
  Put("bk1", "src", "x");
  auto upload = Ok("CreateMultipartUpload", {{"Bucket", "bk1"}, {"Key", "up"}});
  const std::string upload_id = std::string(upload["UploadId"].as_string());
  for (const std::string bad :
       {"caf\xe9", "a\xff", "\xc3", "\xed\xa0\x80/x", "\xc0\xaf", "ok/\xf4\x90\x80\x80"}) {
    std::vector<std::pair<std::string, json::object>> calls = {
        {"PutObject", {}},
        {"CopyObject", {{"CopySource", "bk1/src"}}},
        {"CreateMultipartUpload", {}},
        {"UploadPart", {{"UploadId", upload_id}, {"PartNumber", 1}}},
        {"UploadPartCopy", {{"UploadId", upload_id}, {"PartNumber", 1}, {"CopySource", "bk1/src"}}},
        {"CompleteMultipartUpload", {{"UploadId", upload_id}}},
        {"AbortMultipartUpload", {{"UploadId", upload_id}}},
        {"ListParts", {{"UploadId", upload_id}}},
        {"GetObject", {}},
        {"HeadObject", {}},
        {"DeleteObject", {}},
        {"GetObjectAttributes", {{"ObjectAttributes", json::array{"ETag"}}}},
        {"PutObjectTagging", {{"Tagging", json::object{{"TagSet", json::array{}}}}}},
        {"GetObjectTagging", {}},
        {"DeleteObjectTagging", {}},
    };
    for (auto& [op, params] : calls) {
      params["Bucket"] = "bk1";
      params["Key"] = bad;
      StringReader body("x");
      auto r = Call(op, params, op == "PutObject" || op == "UploadPart" ? &body : nullptr);
      ASSERT_FALSE(r.ok()) << op << " " << HexEncode(bad);
      EXPECT_EQ(r.error().code, "InvalidURI") << op;
      EXPECT_EQ(r.error().message, "Couldn't parse the specified URI.") << op;
      EXPECT_EQ(r.error().http_status, 400) << op;
    }
    // The lake's writers check their keys the same way.
    auto lake_put = Lake().PutObject("bk1", bad, "x", "text/plain");
    ASSERT_FALSE(lake_put.ok());
    EXPECT_EQ(lake_put.error().code, "InvalidURI");
  }
  // Nothing was stored: the listing has the source only, the upload is still there without parts.
  auto listed = Ok("ListObjectsV2", {{"Bucket", "bk1"}});
  ASSERT_EQ(listed["Contents"].as_array().size(), 1u);
  EXPECT_EQ(listed["Contents"].as_array()[0].as_object().at("Key"), "src");
  auto parts = Ok("ListParts", {{"Bucket", "bk1"}, {"Key", "up"}, {"UploadId", upload_id}});
  EXPECT_TRUE(!parts.contains("Parts") || parts["Parts"].as_array().empty());
  EXPECT_EQ(BlobCount(), 1u);
  // Keys that are UTF-8 are keys, control characters and U+FFFD included.
  for (const std::string good : {"caf\xc3\xa9", "\xc2\x80\xc2\x9f", "\xef\xbf\xbd", "\xf0\x9f\x98\x80"}) {
    Put("bk1", good, "ok");
    EXPECT_EQ(Get("bk1", good), "ok");
  }
}

// AWS: "the user-defined metadata is limited to 2 KB in size", measured as the UTF-8 bytes of each key and
// value. Past that, MetadataTooLarge (400) with the size and the limit, before any byte of a body is stored.
TEST_F(S3Test, UserMetadataOver2KBIsMetadataTooLarge) {
  MakeBucket("bk1");
  // "k" + 2047 bytes: exactly 2 KB.
  const json::object at_limit{{"k", std::string(2047, 'v')}};
  // Two keys and a value of two-byte characters: 2 + 1 + 2 + 2 * 1022 = 2049 bytes.
  const json::object over{{"ab", "c"}, {"de", [] {
                                          std::string s;
                                          for (int i = 0; i < 1022; ++i) s += "\xc3\xa9";
                                          return s;
                                        }()}};
  auto expect_too_large = [](const Result<aws::OperationOutput>& r, const std::string& what) {
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, "MetadataTooLarge") << what;
    EXPECT_EQ(r.error().message, "Your metadata headers exceed the maximum allowed metadata size") << what;
    EXPECT_EQ(r.error().http_status, 400) << what;
    const auto fields =
        std::vector<std::pair<std::string, std::string>>{{"Size", "2049"}, {"MaxSizeAllowed", "2048"}};
    EXPECT_EQ(r.error().fields, fields) << what;
  };
  Put("bk1", "at-limit", "x", {{"Metadata", at_limit}});
  EXPECT_EQ(Ok("HeadObject", {{"Bucket", "bk1"}, {"Key", "at-limit"}})["Metadata"], at_limit);
  StringReader body("x");
  expect_too_large(Call("PutObject", {{"Bucket", "bk1"}, {"Key", "big"}, {"Metadata", over}}, &body),
                   "PutObject");
  expect_too_large(Call("CreateMultipartUpload", {{"Bucket", "bk1"}, {"Key", "big"}, {"Metadata", over}}),
                   "CreateMultipartUpload");
  expect_too_large(Call("CopyObject", {{"Bucket", "bk1"},
                                       {"Key", "big"},
                                       {"CopySource", "bk1/at-limit"},
                                       {"MetadataDirective", "REPLACE"},
                                       {"Metadata", over}}),
                   "CopyObject REPLACE");
  // COPY keeps the source's metadata whatever the request carries.
  Ok("CopyObject", {{"Bucket", "bk1"}, {"Key", "copy"}, {"CopySource", "bk1/at-limit"}, {"Metadata", over}});
  EXPECT_EQ(Ok("HeadObject", {{"Bucket", "bk1"}, {"Key", "copy"}})["Metadata"], at_limit);
  Ok("CreateMultipartUpload", {{"Bucket", "bk1"}, {"Key", "mpu"}, {"Metadata", at_limit}});
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "bk1"}, {"Key", "big"}}).code, "NoSuchKey");
  EXPECT_EQ(Ok("ListMultipartUploads", {{"Bucket", "bk1"}})["Uploads"].as_array().size(), 1u);
  EXPECT_EQ(BlobCount(), 2u);
}

// "The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for all Multi-Object Delete
// requests" (DeleteObjects, S3 API Reference); any document's Content-MD5 / x-amz-checksum-* is checked.
TEST_F(S3Test, DocumentChecksums) {
  MakeBucket("bk1");
  const std::string xml = "<Delete><Object><Key>a</Key></Object></Delete>";
  const json::object params{{"Bucket", "bk1"},
                            {"Delete", json::object{{"Objects", json::array{json::object{{"Key", "a"}}}}}}};
  auto delete_with = [&](std::vector<std::pair<std::string, std::string>> header_list,
                         const std::string& body) {
    Put("bk1", "a", "x");
    http::Headers headers;
    for (const auto& [name, value] : header_list) headers.Add(name, value);
    return CallWithHeaders("DeleteObjects", params, headers, nullptr, body);
  };
  auto expect_error = [](const Result<aws::OperationOutput>& r, const std::string& code,
                         const std::string& message, const std::string& what) {
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.error().code, code) << what;
    EXPECT_EQ(r.error().message, message) << what;
    EXPECT_EQ(r.error().http_status, 400) << what;
  };
  const std::string md5 = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kMD5, xml));
  const std::string crc32 = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32, xml));
  const std::string sha256 = Base64Encode(ComputeChecksum(ChecksumAlgorithm::kSHA256, xml));
  // Accepted: Content-MD5, an x-amz-checksum-* (with or without its algorithm named), a checksum trailer
  // (checked by the SigV4 layer as the aws-chunked body was read).
  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"Content-MD5", md5}},
           {{"x-amz-checksum-crc32", crc32}, {"x-amz-sdk-checksum-algorithm", "CRC32"}},
           {{"x-amz-checksum-sha256", sha256}},
           {{"Content-MD5", md5}, {"x-amz-checksum-crc32", crc32}},
           {{"x-amz-trailer", "x-amz-checksum-crc32"}, {"x-amz-sdk-checksum-algorithm", "CRC32"}}}) {
    auto r = delete_with(headers, xml);
    ASSERT_TRUE(r.ok()) << headers[0].first << ": " << r.error().code << " " << r.error().message;
    EXPECT_EQ(r->result.as_object().at("Deleted").as_array().size(), 1u);
    EXPECT_EQ(Err("HeadObject", {{"Bucket", "bk1"}, {"Key", "a"}}).code, "NoSuchKey");
  }
  expect_error(delete_with({}, xml), "InvalidRequest",
               "Missing required header for this request: Content-MD5 OR x-amz-checksum-*", "no checksum");
  expect_error(
      delete_with({{"x-amz-sdk-checksum-algorithm", "CRC32"}}, xml), "InvalidRequest",
      "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer "
      "headers were found.",
      "an algorithm alone");
  expect_error(delete_with({{"Content-MD5", md5}}, xml + " "), "BadDigest",
               "The Content-MD5 you specified did not match what we received.", "wrong MD5");
  expect_error(delete_with({{"Content-MD5", "not base64!"}}, xml), "InvalidDigest",
               "The Content-MD5 you specified was invalid.", "bad MD5");
  expect_error(delete_with({{"Content-MD5", Base64Encode("short")}}, xml), "InvalidDigest",
               "The Content-MD5 you specified was invalid.", "short MD5");
  expect_error(delete_with({{"x-amz-checksum-crc32", crc32}}, xml + " "), "BadDigest",
               "The CRC32 you specified did not match the calculated checksum.", "wrong CRC32");
  expect_error(delete_with({{"x-amz-checksum-crc32", "AAAAAAAA"}}, xml), "InvalidRequest",
               "Value for x-amz-checksum-crc32 header is invalid.", "bad CRC32");
  expect_error(delete_with({{"Content-MD5", md5}, {"x-amz-checksum-sha256", crc32}}, xml), "InvalidRequest",
               "Value for x-amz-checksum-sha256 header is invalid.", "a good MD5 and a bad SHA256");
  // Nothing was deleted by a refused request.
  EXPECT_EQ(Ok("HeadObject", {{"Bucket", "bk1"}, {"Key", "a"}})["ContentLength"], 1);
  // In-process calls have no body bytes to check (nor headers).
  Ok("DeleteObjects", params);

  // Other documents need no checksum, but one that is sent must match.
  const std::string tagging = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>";
  const json::object tag_params{
      {"Bucket", "bk1"},
      {"Tagging", json::object{{"TagSet", json::array{json::object{{"Key", "a"}, {"Value", "1"}}}}}}};
  http::Headers none;
  ASSERT_TRUE(CallWithHeaders("PutBucketTagging", tag_params, none, nullptr, tagging).ok());
  http::Headers wrong;
  wrong.Add("Content-MD5", md5);
  expect_error(CallWithHeaders("PutBucketTagging", tag_params, wrong, nullptr, tagging), "BadDigest",
               "The Content-MD5 you specified did not match what we received.", "PutBucketTagging");
  http::Headers right;
  right.Add("Content-MD5", Base64Encode(ComputeChecksum(ChecksumAlgorithm::kMD5, tagging)));
  ASSERT_TRUE(CallWithHeaders("PutBucketTagging", tag_params, right, nullptr, tagging).ok());
}

// Overwrites race with reads: every GET returns one complete version, never a mix or a torn body.
TEST_F(S3Test, ConcurrentOverwriteAndRead) {
  MakeBucket("bk1");
  const std::size_t size = 300 * 1024;
  Put("bk1", "hot", std::string(size, 'a'));
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 15; ++i) {
        StringReader body(std::string(size, static_cast<char>('b' + w)), 64 * 1024);
        if (!Call("PutObject", {{"Bucket", "bk1"}, {"Key", "hot"}}, &body).ok()) ++bad;
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      for (int i = 0; i < 30; ++i) {
        auto out = Call("GetObject", {{"Bucket", "bk1"}, {"Key", "hot"}});
        if (!out.ok() || !out->body) {
          ++bad;
          continue;
        }
        std::string data;
        std::string buf(100000, '\0');
        for (int guard = 0; guard < 1000; ++guard) {
          auto n = out->body->Read(buf.data(), buf.size());
          if (!n || *n == 0) break;
          data.append(buf.data(), *n);
        }
        if (data.size() != size || data.find_first_not_of(data[0]) != std::string::npos) ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(BlobCount(), 1u);
}

// Every write that changes what a GET of the latest version answers must be visible to the next GET,
// although GET/HEAD serve the bucket and latest-version rows from the ReadCache (read_cache.hpp).
TEST_F(S3Test, ReadCacheSeesEveryWrite) {
  MakeBucket("cache-b1");
  Put("cache-b1", "k", "one");
  EXPECT_EQ(Get("cache-b1", "k"), "one");
  EXPECT_EQ(Get("cache-b1", "k"), "one");  // served from the cache
  Put("cache-b1", "k", "two");
  EXPECT_EQ(Get("cache-b1", "k"), "two");
  auto head = Ok("HeadObject", {{"Bucket", "cache-b1"}, {"Key", "k"}});
  EXPECT_FALSE(head.contains("TagCount"));
  EXPECT_FALSE(head.contains("VersionId"));
  json::array tags{json::object{{"Key", "a"}, {"Value", "b"}}};
  Ok("PutObjectTagging", {{"Bucket", "cache-b1"}, {"Key", "k"}, {"Tagging", json::object{{"TagSet", tags}}}});
  EXPECT_EQ(Ok("HeadObject", {{"Bucket", "cache-b1"}, {"Key", "k"}})["TagCount"], json::value(1));
  Ok("DeleteObjectTagging", {{"Bucket", "cache-b1"}, {"Key", "k"}});
  EXPECT_FALSE(Ok("HeadObject", {{"Bucket", "cache-b1"}, {"Key", "k"}}).contains("TagCount"));

  // A missing key is cached as missing, and a PUT makes it appear.
  EXPECT_EQ(Err("GetObject", {{"Bucket", "cache-b1"}, {"Key", "new"}}).code, "NoSuchKey");
  EXPECT_EQ(Err("GetObject", {{"Bucket", "cache-b1"}, {"Key", "new"}}).code, "NoSuchKey");
  Put("cache-b1", "new", "appeared");
  EXPECT_EQ(Get("cache-b1", "new"), "appeared");

  // Copy onto the key, then delete it (plain and batch).
  Put("cache-b1", "src", "copied");
  Ok("CopyObject", {{"Bucket", "cache-b1"}, {"Key", "k"}, {"CopySource", "cache-b1/src"}});
  EXPECT_EQ(Get("cache-b1", "k"), "copied");
  Ok("DeleteObject", {{"Bucket", "cache-b1"}, {"Key", "k"}});
  EXPECT_EQ(Err("GetObject", {{"Bucket", "cache-b1"}, {"Key", "k"}}).code, "NoSuchKey");
  EXPECT_EQ(Get("cache-b1", "new"), "appeared");
  Ok("DeleteObjects", {{"Bucket", "cache-b1"},
                       {"Delete", json::object{{"Objects", json::array{json::object{{"Key", "new"}}}}}}});
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "cache-b1"}, {"Key", "new"}}).code, "NoSuchKey");

  // Multipart completion replaces the latest version.
  Put("cache-b1", "m", "before");
  EXPECT_EQ(Get("cache-b1", "m"), "before");
  auto up = Ok("CreateMultipartUpload", {{"Bucket", "cache-b1"}, {"Key", "m"}});
  const std::string upload_id(up["UploadId"].as_string());
  StringReader part(std::string(20, 'p'));
  auto p1 = Ok("UploadPart",
               {{"Bucket", "cache-b1"}, {"Key", "m"}, {"UploadId", upload_id}, {"PartNumber", 1}}, &part);
  json::array parts{json::object{{"PartNumber", 1}, {"ETag", p1["ETag"]}}};
  Ok("CompleteMultipartUpload", {{"Bucket", "cache-b1"},
                                 {"Key", "m"},
                                 {"UploadId", upload_id},
                                 {"MultipartUpload", json::object{{"Parts", parts}}}});
  EXPECT_EQ(Get("cache-b1", "m"), std::string(20, 'p'));

  // Versioning changes what GET answers (VersionId, delete markers) without touching the key.
  Ok("PutBucketVersioning",
     {{"Bucket", "cache-b1"}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  EXPECT_EQ(Ok("HeadObject", {{"Bucket", "cache-b1"}, {"Key", "m"}})["VersionId"], std::string("null"));
  auto del = Ok("DeleteObject", {{"Bucket", "cache-b1"}, {"Key", "m"}});
  auto gone = Err("GetObject", {{"Bucket", "cache-b1"}, {"Key", "m"}});
  EXPECT_EQ(gone.code, "NoSuchKey");
  bool marker_header = false;
  for (const auto& [name, value] : gone.headers)
    marker_header = marker_header || (name == "x-amz-delete-marker" && value == "true");
  EXPECT_TRUE(marker_header);
  // Deleting the delete marker promotes the previous version again.
  Ok("DeleteObject", {{"Bucket", "cache-b1"}, {"Key", "m"}, {"VersionId", del["VersionId"]}});
  EXPECT_EQ(Get("cache-b1", "m"), std::string(20, 'p'));

  // In-process writes (LakeAccess) go through the same path.
  LakeAccess& lake = Lake();
  ASSERT_TRUE(lake.PutObject("cache-b1", "m", "from lake", "text/plain").ok());
  EXPECT_EQ(Get("cache-b1", "m"), "from lake");
  ASSERT_TRUE(lake.DeleteObject("cache-b1", "m").ok());
  EXPECT_EQ(Err("GetObject", {{"Bucket", "cache-b1"}, {"Key", "m"}}).code, "NoSuchKey");

  // The bucket row is cached too: deleting and re-creating the bucket is seen.
  MakeBucket("cache-b2");
  EXPECT_EQ(Err("GetObject", {{"Bucket", "cache-b2"}, {"Key", "x"}}).code, "NoSuchKey");
  Ok("DeleteBucket", {{"Bucket", "cache-b2"}});
  EXPECT_EQ(Err("GetObject", {{"Bucket", "cache-b2"}, {"Key", "x"}}).code, "NoSuchBucket");
  MakeBucket("cache-b2");
  Put("cache-b2", "x", "back");
  EXPECT_EQ(Get("cache-b2", "x"), "back");

  // After a restart the cache starts empty and the stored state is served.
  OpenAll();
  EXPECT_EQ(Get("cache-b2", "x"), "back");
  EXPECT_EQ(Get("cache-b1", "src"), "copied");
}

// A reader racing a writer never sees a value older than one it has already seen, and sees the last
// write once the writer is done.
TEST_F(S3Test, ReadCacheNeverGoesBackInTime) {
  MakeBucket("cache-b1");
  Put("cache-b1", "k", "0000");
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread writer([&] {
    for (int i = 1; i <= 40; ++i) {
      char value[8];
      std::snprintf(value, sizeof(value), "%04d", i);
      StringReader body(value);
      if (!Call("PutObject", {{"Bucket", "cache-b1"}, {"Key", "k"}}, &body).ok()) ++bad;
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      std::string last = "0000";
      while (!done) {
        auto out = Call("GetObject", {{"Bucket", "cache-b1"}, {"Key", "k"}});
        if (!out.ok() || !out->body) {
          ++bad;
          continue;
        }
        char buf[16];
        auto n = out->body->Read(buf, sizeof(buf));
        if (!n || *n != 4) {
          ++bad;
          continue;
        }
        std::string seen(buf, 4);
        if (seen < last) ++bad;
        last = seen;
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(Get("cache-b1", "k"), "0040");
}

// ---------------------------------------------------------------- recovery

TEST_F(S3Test, CrashRecoveryRemovesOrphanBlobs) {
  MakeBucket("bk1");
  Put("bk1", "kept", "kept bytes");
  auto up = Ok("CreateMultipartUpload", {{"Bucket", "bk1"}, {"Key", "mp"}});
  StringReader part("part bytes");
  Ok("UploadPart", {{"Bucket", "bk1"}, {"Key", "mp"}, {"UploadId", up["UploadId"]}, {"PartNumber", 1}},
     &part);
  // A blob committed by a write that crashed before its metadata transaction.
  auto w = blobs_->Create();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("orphan", 6).ok());
  auto orphan = (*w)->Commit();
  ASSERT_TRUE(orphan.ok());
  EXPECT_EQ(BlobCount(), 3u);
  OpenAll();  // restart
  EXPECT_EQ(BlobCount(), 2u);
  EXPECT_FALSE(blobs_->Open(*orphan).ok());
  EXPECT_EQ(Get("bk1", "kept"), "kept bytes");
  auto lp = Ok("ListParts", {{"Bucket", "bk1"}, {"Key", "mp"}, {"UploadId", up["UploadId"]}});
  EXPECT_EQ(lp["Parts"].as_array().size(), 1u);
  // Version ids stay increasing after a restart.
  Ok("PutBucketVersioning",
     {{"Bucket", "bk1"}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  auto a = Put("bk1", "v", "1");
  OpenAll();
  auto b = Put("bk1", "v", "2");
  EXPECT_LT(a["VersionId"].as_string(), b["VersionId"].as_string());
}

// docs/s3-coverage.md (generated by src/services/s3/gen_coverage.py) must match what Invoke does: every
// supported operation marked supported, every other one answering NotImplemented.
TEST_F(S3Test, CoverageDocMatchesProvider) {
  std::ifstream in(std::string(CENOTE_SOURCE_DIR) + "/docs/s3-coverage.md");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (auto op : S3Provider::SupportedOperations()) {
    EXPECT_NE(doc.find("| " + std::string(op) + " | supported |"), std::string::npos) << op;
  }
  std::size_t unsupported = 0;
  std::size_t pos = 0;
  while ((pos = doc.find(" | not implemented |", pos)) != std::string::npos) {
    std::size_t start = doc.rfind("| ", pos - 1);
    std::string op = doc.substr(start + 2, pos - start - 2);
    auto e = Err(op, {{"Bucket", "bk1"}});
    EXPECT_EQ(e.code, "NotImplemented") << op;
    ++unsupported;
    pos += 1;
  }
  EXPECT_EQ(unsupported + S3Provider::SupportedOperations().size(), 100u);  // the model and PostObject
}

// A body whose trailers are read after the blob is committed and before the metadata transaction: the
// process dies there, as a kill -9 between the two steps would.
class CrashAfterBlobCommitReader final : public http::BodyReader {
 public:
  explicit CrashAfterBlobCommitReader(std::string data) : inner_(std::move(data)) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override { return inner_.Read(buf, n); }
  std::optional<std::uint64_t> Length() const override { return inner_.Length(); }
  const http::Headers* Trailers() const override { _exit(9); }

 private:
  StringReader inner_;
};

TEST_F(S3Test, CrashBetweenBlobCommitAndMetadataCommit) {
  MakeBucket("bk1");
  Put("bk1", "k", "old");
  lakes_.clear();
  lake_.reset();
  harness_.reset();
  provider_ = nullptr;
  blobs_.reset();
  metadata_.reset();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto m = store::MetadataStore::OpenSqlite((dir_ / "meta.db").string());
    auto b = store::BlobStore::OpenLocal((dir_ / "blobs").string());
    if (!m || !b) _exit(2);
    S3Options options;
    options.inline_max_bytes = 0;  // the blob path is under test
    auto p = S3Provider::Open(**m, **b, options);
    if (!p) _exit(3);
    testing::ProviderHarness harness;
    harness.Register(std::move(*p));
    CrashAfterBlobCommitReader body("new bytes");
    aws::OperationInput in;
    in.params = json::object{{"Bucket", "bk1"}, {"Key", "k"}};
    in.body = &body;
    (void)harness.invoker().Call(caller_, "s3", "PutObject", in);
    _exit(1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 9);
  {
    auto b = store::BlobStore::OpenLocal((dir_ / "blobs").string());
    ASSERT_TRUE(b.ok());
    auto l = (*b)->List();
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(l->size(), 2u);  // the committed-but-unreferenced blob is there before recovery
  }
  OpenAll();
  EXPECT_EQ(Get("bk1", "k"), "old");  // the unacknowledged write is invisible...
  EXPECT_EQ(BlobCount(), 1u);         // ...and its blob was removed
}

TEST(S3ErrorTable, WordingsAreUniqueAndEachCodeHasOneStatus) {
  std::set<std::pair<std::string, std::string>> wordings;
  std::map<std::string, int> status_of;
  for (const auto& e : ErrorTable()) {
    EXPECT_TRUE(wordings.emplace(e.code, e.message).second) << e.code << ": " << e.message;
    auto [it, fresh] = status_of.emplace(e.code, e.http_status);
    EXPECT_EQ(it->second, e.http_status) << e.code;
    EXPECT_GE(e.http_status, 300);
    EXPECT_LT(e.http_status, 600);
  }
  EXPECT_EQ(MakeError(errors::kNoSuchKey).message, "The specified key does not exist.");
  EXPECT_EQ(MakeError(errors::kIllegalLocationConstraint, {"eu-west-2"}).message,
            "The eu-west-2 location constraint is incompatible for the region specific endpoint this request "
            "was sent to.");
}

// ---------------------------------------------------------------- LakeAccess (in-process)

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(S3Test, LakeListPutGetDelete) {
  MakeBucket("lake");
  LakeAccess& lake = Lake();
  EXPECT_TRUE(lake.HeadBucket("lake").ok());
  EXPECT_EQ(lake.HeadBucket("nope").error().code, "NoSuchBucket");
  Put("lake", "t/year=2024/a.csv", "1,2\n");
  Put("lake", "t/year=2024/b.csv", "3,4\n");
  Put("lake", "t/year=2025/c.csv", "5,6\n");
  Put("lake", "u/x.csv", "7\n");
  Put("lake", "t", "not under t/");
  auto all = lake.ListObjects("lake", "t/", 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].key, "t/year=2024/a.csv");
  EXPECT_EQ((*all)[2].key, "t/year=2025/c.csv");
  EXPECT_EQ((*all)[0].size, 4u);
  EXPECT_EQ((*all)[0].etag, "\"" + Md5Hex("1,2\n") + "\"");
  EXPECT_EQ(lake.ListObjects("lake", "t/", 2)->size(), 2u);
  EXPECT_EQ(lake.ListObjects("lake", "", 100)->size(), 5u);
  EXPECT_EQ(lake.ListObjects("nope", "", 100).error().code, "NoSuchBucket");

  auto put = lake.PutObject("lake", "results/q1.csv", "\"a\"\n\"1\"\n", "text/csv");
  ASSERT_TRUE(put.ok()) << put.error().message;
  EXPECT_EQ(put->size, 8u);
  EXPECT_EQ(Get("lake", "results/q1.csv"), "\"a\"\n\"1\"\n");
  auto head = Ok("HeadObject", {{"Bucket", "lake"}, {"Key", "results/q1.csv"}});
  EXPECT_EQ(head["ContentType"], std::string("text/csv"));
  auto got = lake.GetObject("lake", "results/q1.csv", 1024);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "\"a\"\n\"1\"\n");
  EXPECT_EQ(lake.GetObject("lake", "results/q1.csv", 3).error().code, "EntityTooLarge");
  EXPECT_EQ(lake.GetObject("lake", "missing", 3).error().code, "NoSuchKey");

  std::string file = (dir_ / "upload.bin").string();
  std::string big(3 << 20, 'z');
  big[12345] = 'q';
  std::ofstream(file, std::ios::binary) << big;
  auto from_file = lake.PutObjectFromFile("lake", "data/big.bin", file, "");
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  EXPECT_EQ(from_file->size, big.size());
  EXPECT_EQ(Get("lake", "data/big.bin"), big);
  EXPECT_TRUE(fs::exists(file));  // copied, not moved

  auto path = lake.LocalPath("lake", "data/big.bin");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(ReadFileText(*path), big);
  EXPECT_EQ(lake.LocalPath("lake", "missing").error().code, "NoSuchKey");

  EXPECT_TRUE(lake.DeleteObject("lake", "data/big.bin").ok());
  EXPECT_TRUE(lake.DeleteObject("lake", "data/big.bin").ok());  // missing key: still success
  EXPECT_EQ(lake.LocalPath("lake", "data/big.bin").error().code, "NoSuchKey");
  EXPECT_EQ(lake.PutObject("nope", "k", "x", "").error().code, "NoSuchBucket");
}

// Every lake call is an in-process S3 call as the caller the LakeAccess was made for: the after-hooks see
// the S3 operation with that caller's principal, region and calling service.
TEST_F(S3Test, LakeCallsAreMadeAsTheirCaller) {
  MakeBucket("lake");
  const std::size_t before = harness_->recorder().calls().size();
  LakeAccess& lake = Lake();  // Athena's, in eu-west-1
  ASSERT_TRUE(lake.PutObject("lake", "a.csv", "1\n", "text/csv").ok());
  ASSERT_TRUE(lake.GetObject("lake", "a.csv", 100).ok());
  ASSERT_TRUE(lake.LocalPath("lake", "a.csv").ok());
  ASSERT_TRUE(lake.ListObjects("lake", "", 10).ok());
  ASSERT_TRUE(lake.HeadBucket("lake").ok());
  ASSERT_TRUE(lake.DeleteObject("lake", "a.csv").ok());
  EXPECT_EQ(lake.GetObject("lake", "a.csv", 100).error().code, "NoSuchKey");
  auto calls = harness_->recorder().calls();
  ASSERT_EQ(calls.size(), before + 7);
  const std::vector<std::string> expected = {"PutObject",  "GetObject",    "GetObject", "ListObjectsV2",
                                             "HeadBucket", "DeleteObject", "GetObject"};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& call = calls[before + i];
    EXPECT_EQ(call.service, "s3");
    EXPECT_EQ(call.operation, expected[i]);
    EXPECT_EQ(call.principal_arn, "arn:aws:iam::000000000000:root");
    EXPECT_EQ(call.region, "eu-west-1");
    EXPECT_EQ(call.invoked_by, "athena.amazonaws.com");
  }
  EXPECT_EQ(calls.back().error_code, "NoSuchKey");
  EXPECT_EQ(calls.back().http_status, 404);

  // A role's session, as a delivery stream's: its calls name the assumed role.
  aws::Caller role;
  role.principal.account_id = "000000000000";
  role.principal.arn = "arn:aws:sts::000000000000:assumed-role/delivery/Firehose";
  role.region = "us-east-1";
  role.invoked_by = "firehose.amazonaws.com";
  ASSERT_TRUE(Lake(role).PutObject("lake", "from-role", "x", "").ok());
  calls = harness_->recorder().calls();
  EXPECT_EQ(calls.back().principal_arn, role.principal.arn);
  EXPECT_EQ(calls.back().invoked_by, "firehose.amazonaws.com");
  EXPECT_EQ(calls.back().region, "us-east-1");

  // A caller the authorizer refuses gets AccessDenied and nothing runs.
  aws::Caller anonymous;
  anonymous.principal.anonymous = true;
  anonymous.invoked_by = "athena.amazonaws.com";
  LakeAccess& refused = Lake(anonymous);
  EXPECT_EQ(refused.PutObject("lake", "denied", "x", "").error().code, "AccessDenied");
  EXPECT_EQ(refused.DeleteObject("lake", "from-role").error().code, "AccessDenied");
  EXPECT_EQ(Get("lake", "from-role"), "x");
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "lake"}, {"Key", "denied"}}).code, "NoSuchKey");
}

// Objects belong to the bucket's owner, whoever writes them (S3's "bucket owner enforced" ownership):
// another account's principal over the wire, a role through the lake, a delete marker.
TEST_F(S3Test, ObjectsBelongToTheBucketOwner) {
  MakeBucket("owned");
  Ok("PutBucketVersioning",
     {{"Bucket", "owned"}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  aws::Caller other = RootCaller();
  other.principal.account_id = "111111111111";
  other.principal.arn = "arn:aws:iam::111111111111:root";
  other.principal.canonical_id = std::string(64, 'b');
  other.principal.display_name = "other";
  caller_ = other;
  Put("owned", "by-other", "x");
  caller_ = RootCaller();
  aws::Caller role;
  role.principal.account_id = "000000000000";
  role.principal.arn = "arn:aws:sts::000000000000:assumed-role/writer/session";
  role.invoked_by = "firehose.amazonaws.com";
  ASSERT_TRUE(Lake(role).PutObject("owned", "by-role", "y", "").ok());
  ASSERT_TRUE(Lake(role).PutObjects("owned", {BytesPut("by-batch", "z")}, nullptr).ok());
  Ok("DeleteObject", {{"Bucket", "owned"}, {"Key", "by-role"}});  // a delete marker
  auto listed = Ok("ListObjectsV2", {{"Bucket", "owned"}, {"FetchOwner", true}});
  ASSERT_EQ(listed["Contents"].as_array().size(), 2u);
  for (const auto& o : listed["Contents"].as_array())
    EXPECT_EQ(o.as_object().at("Owner").as_object().at("ID"), std::string(64, 'a')) << o;
  auto versions = Ok("ListObjectVersions", {{"Bucket", "owned"}});
  ASSERT_EQ(versions["DeleteMarkers"].as_array().size(), 1u);
  EXPECT_EQ(versions["DeleteMarkers"].as_array()[0].as_object().at("Owner").as_object().at("ID"),
            std::string(64, 'a'));
  for (const auto& v : versions["Versions"].as_array())
    EXPECT_EQ(v.as_object().at("Owner").as_object().at("ID"), std::string(64, 'a')) << v;
}

// PutObjects publishes in one transaction, and each object is its own authorized and recorded PutObject:
// every call records the batch's outcome, and a denied caller writes nothing (nor runs `also`).
TEST_F(S3Test, LakePutObjectsIsOnePutObjectCallPerObject) {
  MakeBucket("lake");
  std::vector<LakePut> puts = {BytesPut("a", "1"), BytesPut("b", "2"), BytesPut("c", "3")};
  std::size_t before = harness_->recorder().calls().size();
  ASSERT_TRUE(Lake().PutObjects("lake", puts, nullptr).ok());
  auto calls = harness_->recorder().calls();
  ASSERT_EQ(calls.size(), before + 3);
  for (std::size_t i = before; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].operation, "PutObject");
    EXPECT_EQ(calls[i].error_code, "");
    EXPECT_EQ(calls[i].invoked_by, "athena.amazonaws.com");
  }

  before = calls.size();
  auto refused_by_also = Lake().PutObjects("lake", puts, [](store::Transaction&) -> Status {
    return MakeError("InvalidRequestException", "refused by the caller");
  });
  ASSERT_FALSE(refused_by_also.ok());
  calls = harness_->recorder().calls();
  ASSERT_EQ(calls.size(), before + 3);
  for (std::size_t i = before; i < calls.size(); ++i)
    EXPECT_EQ(calls[i].error_code, "InvalidRequestException");

  aws::Caller anonymous;
  anonymous.principal.anonymous = true;
  anonymous.invoked_by = "athena.amazonaws.com";
  bool also_ran = false;
  auto denied =
      Lake(anonymous).PutObjects("lake", {BytesPut("never", "x")}, [&](store::Transaction&) -> Status {
        also_ran = true;
        return Status::Ok();
      });
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, "AccessDenied");
  EXPECT_FALSE(also_ran);
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "lake"}, {"Key", "never"}}).code, "NoSuchKey");

  // No objects: `also` still runs in S3's transaction, as one PutObject call on the bucket.
  before = harness_->recorder().calls().size();
  ASSERT_TRUE(Lake()
                  .PutObjects("lake", {},
                              [&](store::Transaction&) -> Status {
                                also_ran = true;
                                return Status::Ok();
                              })
                  .ok());
  EXPECT_TRUE(also_ran);
  EXPECT_EQ(harness_->recorder().calls().size(), before + 1);
}

// A failure of the server's own files reaches a lake caller as S3's canned InternalError: the cause (with
// its path) is logged, never returned.
TEST_F(S3Test, LakeInternalFailuresCarryNoPath) {
  MakeBucket("lake");
  const std::string missing = (dir_ / "absent.csv").string();
  auto one = Lake().PutObjectFromFile("lake", "k", missing, "");
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().code, "InternalError");
  EXPECT_EQ(one.error().http_status, 500);
  EXPECT_EQ(one.error().message.find(dir_.string()), std::string::npos) << one.error().message;
  auto batch = Lake().PutObjects("lake", {FilePut("k", missing)}, nullptr);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, "InternalError");
  EXPECT_EQ(batch.error().message.find(dir_.string()), std::string::npos) << batch.error().message;
}

TEST_F(S3Test, LakePutObjectsPublishesTogetherWithTheCallersWrite) {
  inline_max_ = S3Options().inline_max_bytes;
  OpenAll();
  MakeBucket("lake");
  LakeAccess& lake = Lake();
  const std::string old_bytes(5000, 's');  // past the inline limit: a blob, deleted when superseded
  Put("lake", "out/old.csv", old_bytes);
  std::string file = (dir_ / "result.bin").string();
  std::string big(2 << 20, 'r');
  std::ofstream(file, std::ios::binary) << big;
  const std::size_t blobs_before = BlobCount();
  auto side_rows = [&]() -> std::int64_t {
    auto txn = metadata_->Begin(store::MetadataStore::Mode::kRead);
    EXPECT_TRUE(txn.ok());
    auto row = (*txn)->QueryOne("SELECT count(*) FROM sqlite_master WHERE name = 'side'");
    if (!row.ok() || !row->has_value() || std::get<std::int64_t>((**row)[0]) == 0) return 0;
    auto n = (*txn)->QueryOne("SELECT count(*) FROM side");
    return n.ok() && n->has_value() ? std::get<std::int64_t>((**n)[0]) : -1;
  };

  // `also` fails after writing: no object, no side row, no blob left behind.
  auto put = [](std::string key, std::string bytes, std::string path = "", std::string type = "") {
    LakePut p;
    p.key = std::move(key);
    p.bytes = std::move(bytes);
    p.path = std::move(path);
    p.content_type = std::move(type);
    return p;
  };
  auto error = [](std::string code, std::string message) {
    Error e;
    e.code = std::move(code);
    e.message = std::move(message);
    return e;
  };
  std::vector<LakePut> puts = {put("out/old.csv", "new bytes", "", "text/csv"), put("out/big.bin", "", file),
                               put("out/empty", "")};
  auto failed = lake.PutObjects("lake", puts, [&](store::Transaction& txn) -> Status {
    auto made = txn.Exec("CREATE TABLE IF NOT EXISTS side (x INTEGER)");
    auto inserted = txn.Exec("INSERT INTO side VALUES (1)");
    EXPECT_TRUE(made.ok() && inserted.ok());
    return error("InvalidRequestException", "refused by the caller");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "InvalidRequestException");
  EXPECT_EQ(Get("lake", "out/old.csv"), old_bytes);
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "lake"}, {"Key", "out/big.bin"}}).code, "NoSuchKey");
  EXPECT_EQ(side_rows(), 0);
  EXPECT_EQ(BlobCount(), blobs_before);

  // Success: all three objects and the side row, the superseded blob gone.
  auto stored = lake.PutObjects("lake", puts, [&](store::Transaction& txn) -> Status {
    auto made = txn.Exec("CREATE TABLE IF NOT EXISTS side (x INTEGER)");
    auto inserted = txn.Exec("INSERT INTO side VALUES (1)");
    if (!made || !inserted) return error("InternalError", "side table");
    return Status::Ok();
  });
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  ASSERT_EQ(stored->size(), 3u);
  EXPECT_EQ((*stored)[0].key, "out/old.csv");
  EXPECT_EQ((*stored)[1].size, big.size());
  EXPECT_EQ((*stored)[2].size, 0u);
  EXPECT_EQ((*stored)[0].etag, "\"" + Md5Hex("new bytes") + "\"");
  EXPECT_EQ(Get("lake", "out/old.csv"), "new bytes");
  EXPECT_EQ(Get("lake", "out/big.bin"), big);
  EXPECT_EQ(Get("lake", "out/empty"), "");
  auto head = Ok("HeadObject", {{"Bucket", "lake"}, {"Key", "out/old.csv"}});
  EXPECT_EQ(head["ContentType"], std::string("text/csv"));
  EXPECT_EQ(side_rows(), 1);
  // The objects belong to the bucket's owner.
  auto listed = Ok("ListObjectsV2", {{"Bucket", "lake"}, {"FetchOwner", true}});
  for (const auto& o : listed["Contents"].as_array())
    EXPECT_EQ(o.as_object().at("Owner").as_object().at("ID"), std::string(64, 'a')) << o;
  // The superseded blob is gone; only the 2 MiB object took a blob (small ones are inline).
  EXPECT_EQ(BlobCount(), blobs_before - 1 + 1);
  EXPECT_TRUE(fs::exists(file));  // copied, not moved

  // Without `also`, and the errors a bad batch gets before anything is stored.
  auto plain = lake.PutObjects("lake", {put("solo", "x")}, nullptr);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(Get("lake", "solo"), "x");
  EXPECT_EQ(lake.PutObjects("nope", puts, nullptr).error().code, "NoSuchBucket");
  auto bad_key = lake.PutObjects("lake", {put("fine", "x"), put("", "y")}, nullptr);
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "lake"}, {"Key", "fine"}}).code, "NoSuchKey");
  auto missing_file = lake.PutObjects("lake", {put("f", "", (dir_ / "absent").string())}, nullptr);
  EXPECT_FALSE(missing_file.ok());
  EXPECT_EQ(BlobCount(), blobs_before - 1 + 1);
}

TEST_F(S3Test, InlineObjectsReadCopyAndSurviveLikeBlobObjects) {
  inline_max_ = S3Options().inline_max_bytes;
  OpenAll();
  MakeBucket("lake");
  LakeAccess& lake = Lake();
  const std::string small = "id,name\n1,\"ann\"\n2,bob\n";
  const std::string limit(S3Options().inline_max_bytes, 'L');
  const std::string over(S3Options().inline_max_bytes + 1, 'O');
  auto put = [](std::string key, std::string bytes) {
    LakePut p;
    p.key = std::move(key);
    p.bytes = std::move(bytes);
    p.content_type = "text/csv";
    return p;
  };
  const std::size_t blobs_before = BlobCount();
  auto stored = lake.PutObjects(
      "lake", {put("in/small.csv", small), put("in/limit", limit), put("in/over", over), put("in/empty", "")},
      nullptr);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(BlobCount(), blobs_before + 1);  // only the object past the limit
  // A small body given as a file is inline too.
  const std::string small_file = (dir_ / "small.csv").string();
  std::ofstream(small_file, std::ios::binary) << small;
  LakePut from_file = put("in/from-file.csv", "");
  from_file.path = small_file;
  ASSERT_TRUE(lake.PutObjects("lake", {from_file}, nullptr).ok());
  EXPECT_EQ(BlobCount(), blobs_before + 1);
  EXPECT_EQ(Get("lake", "in/from-file.csv"), small);
  ASSERT_TRUE(lake.DeleteObject("lake", "in/from-file.csv").ok());
  EXPECT_EQ((*stored)[0].etag, "\"" + Md5Hex(small) + "\"");

  // Listings do not load the inline bytes but report sizes and ETags like any object's.
  auto listed = Ok("ListObjectsV2", {{"Bucket", "lake"}, {"Prefix", "in/"}});
  ASSERT_EQ(listed["Contents"].as_array().size(), 4u);
  for (const auto& c : listed["Contents"].as_array()) {
    const auto& o = c.as_object();
    if (o.at("Key") == "in/small.csv") {
      EXPECT_EQ(o.at("Size").as_int64(), static_cast<std::int64_t>(small.size()));
      EXPECT_EQ(o.at("ETag"), "\"" + Md5Hex(small) + "\"");
    }
  }
  auto lake_listed = lake.ListObjects("lake", "in/", 10);
  ASSERT_TRUE(lake_listed.ok());
  EXPECT_EQ(lake_listed->size(), 4u);

  // Reads: whole, ranged, HEAD, the lake's GetObject and LocalPath (a file DuckDB can open).
  EXPECT_EQ(Get("lake", "in/small.csv"), small);
  EXPECT_EQ(Get("lake", "in/limit"), limit);
  EXPECT_EQ(Get("lake", "in/over"), over);
  EXPECT_EQ(Get("lake", "in/empty"), "");
  EXPECT_EQ(Get("lake", "in/small.csv", {{"Range", "bytes=3-6"}}), small.substr(3, 4));
  auto head = Ok("HeadObject", {{"Bucket", "lake"}, {"Key", "in/small.csv"}});
  EXPECT_EQ(head["ContentLength"].as_int64(), static_cast<std::int64_t>(small.size()));
  EXPECT_EQ(head["ETag"], "\"" + Md5Hex(small) + "\"");
  EXPECT_EQ(*lake.GetObject("lake", "in/small.csv", 1 << 20), small);
  auto path = lake.LocalPath("lake", "in/small.csv");
  ASSERT_TRUE(path.ok()) << path.error().message;
  EXPECT_EQ(ReadFileText(*path), small);
  auto limit_path = lake.LocalPath("lake", "in/limit");
  ASSERT_TRUE(limit_path.ok());
  EXPECT_NE(*limit_path, *path);  // cache files are named by the bytes
  EXPECT_EQ(ReadFileText(*limit_path), limit);

  // Copies: CopyObject keeps the bytes inline; UploadPartCopy (whole and ranged) makes part blobs.
  Ok("CopyObject", {{"Bucket", "lake"}, {"Key", "copy.csv"}, {"CopySource", "lake/in/small.csv"}});
  EXPECT_EQ(Get("lake", "copy.csv"), small);
  auto up = Ok("CreateMultipartUpload", {{"Bucket", "lake"}, {"Key", "mp"}});
  const std::string id = std::string(up["UploadId"].as_string());
  auto c1 = Ok("UploadPartCopy", {{"Bucket", "lake"},
                                  {"Key", "mp"},
                                  {"UploadId", id},
                                  {"PartNumber", 1},
                                  {"CopySource", "lake/in/small.csv"}});
  auto c2 = Ok("UploadPartCopy", {{"Bucket", "lake"},
                                  {"Key", "mp"},
                                  {"UploadId", id},
                                  {"PartNumber", 2},
                                  {"CopySource", "lake/in/small.csv"},
                                  {"CopySourceRange", "bytes=0-1"}});
  EXPECT_EQ(c1["CopyPartResult"].as_object().at("ETag"), "\"" + Md5Hex(small) + "\"");
  json::array list{json::object{{"PartNumber", 1}, {"ETag", c1["CopyPartResult"].as_object().at("ETag")}},
                   json::object{{"PartNumber", 2}, {"ETag", c2["CopyPartResult"].as_object().at("ETag")}}};
  Ok("CompleteMultipartUpload", {{"Bucket", "lake"},
                                 {"Key", "mp"},
                                 {"UploadId", id},
                                 {"MultipartUpload", json::object{{"Parts", list}}}});
  EXPECT_EQ(Get("lake", "mp"), small + "id");

  // Overwrite and delete: no blob is touched for inline versions; reopening (orphan sweep) keeps
  // everything readable.
  const std::size_t blobs_now = BlobCount();
  ASSERT_TRUE(lake.PutObjects("lake", {put("in/small.csv", "v2")}, nullptr).ok());
  EXPECT_TRUE(lake.DeleteObject("lake", "in/limit").ok());
  EXPECT_EQ(BlobCount(), blobs_now);
  OpenAll();
  EXPECT_EQ(Get("lake", "in/small.csv"), "v2");
  EXPECT_EQ(Get("lake", "copy.csv"), small);
  EXPECT_EQ(Get("lake", "in/over"), over);
  EXPECT_EQ(Get("lake", "mp"), small + "id");
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "lake"}, {"Key", "in/limit"}}).code, "NoSuchKey");
  EXPECT_EQ(BlobCount(), blobs_now);
}

TEST_F(S3Test, LakeLocalPathOfMultipartAndEmptyObjects) {
  MakeBucket("lake");
  LakeAccess& lake = Lake();
  auto up = Ok("CreateMultipartUpload", {{"Bucket", "lake"}, {"Key", "mp"}});
  const std::string id = std::string(up["UploadId"].as_string());
  const std::string p1(20, 'a'), p2 = "tail";
  json::array parts;
  int n = 1;
  for (const auto* part : {&p1, &p2}) {
    StringReader body(*part);
    auto r =
        Ok("UploadPart", {{"Bucket", "lake"}, {"Key", "mp"}, {"UploadId", id}, {"PartNumber", n}}, &body);
    parts.push_back(json::object{{"PartNumber", n++}, {"ETag", r["ETag"]}});
  }
  Ok("CompleteMultipartUpload", {{"Bucket", "lake"},
                                 {"Key", "mp"},
                                 {"UploadId", id},
                                 {"MultipartUpload", json::object{{"Parts", parts}}}});
  auto path = lake.LocalPath("lake", "mp");
  ASSERT_TRUE(path.ok()) << path.error().message;
  EXPECT_EQ(ReadFileText(*path), p1 + p2);
  auto again = lake.LocalPath("lake", "mp");  // cached
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *path);
  Put("lake", "empty", "");
  auto empty = lake.LocalPath("lake", "empty");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(ReadFileText(*empty), "");
  // The cache is derived data: reopening wipes it, and it is rebuilt on demand.
  OpenAll();
  EXPECT_FALSE(fs::exists(*path));
  auto rebuilt = Lake().LocalPath("lake", "mp");
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(ReadFileText(*rebuilt), p1 + p2);
}

}  // namespace
}  // namespace cenote::s3

namespace cenote::s3 {
namespace {

// ---------------------------------------------------------------- encryption at rest

// Whether any file under `root` (blobs, the metadata store and its WAL, caches) holds `needle`.
bool AnyFileHolds(const fs::path& root, const std::string& needle) {
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) return true;
  }
  return false;
}

// SSECustomerKey is a blob in the model: in a document it is the key's bytes (base64 only on the wire).
struct CustomerKeyMembers {
  std::string key;
  std::string md5_b64;
  void AddTo(json::object& p, const std::string& prefix = "") const {
    p[prefix + "SSECustomerAlgorithm"] = "AES256";
    p[prefix + "SSECustomerKey"] = key;
    p[prefix + "SSECustomerKeyMD5"] = md5_b64;
  }
  json::object Members(const std::string& prefix = "") const {
    json::object p;
    AddTo(p, prefix);
    return p;
  }
};
CustomerKeyMembers CustomerKey(char fill) {
  const std::string raw(32, fill);
  return {raw, Base64Encode(ComputeChecksum(ChecksumAlgorithm::kMD5, raw))};
}

// Bytes no random key or nonce would contain by chance, to look for on disk.
std::string Secret(std::size_t size) {
  std::string out;
  while (out.size() < size) out += "top-secret-ledger-line-" + std::to_string(out.size()) + ";";
  out.resize(size);
  return out;
}

TEST_F(S3Test, SseS3ObjectsAreCiphertextOnDiskAndPlaintextToReaders) {
  inline_max_ = 4096;
  OpenAll();
  MakeBucket("vault");
  const std::string big = Secret(300 * 1024);
  const std::string small = Secret(1000);
  auto put = Put("vault", "big", big, {{"ServerSideEncryption", "AES256"}});
  EXPECT_EQ(put["ServerSideEncryption"], std::string("AES256"));
  Put("vault", "small", small, {{"ServerSideEncryption", "AES256"}});  // inline, in the metadata store
  EXPECT_FALSE(AnyFileHolds(dir_, "top-secret-ledger-line"));
  EXPECT_EQ(Get("vault", "big"), big);
  EXPECT_EQ(Get("vault", "small"), small);
  EXPECT_EQ(Get("vault", "big", {{"Range", "bytes=65530-200000"}}), big.substr(65530, 200000 - 65530 + 1));
  EXPECT_EQ(Get("vault", "big", {{"Range", "bytes=-10"}}), big.substr(big.size() - 10));
  auto head = Ok("HeadObject", {{"Bucket", "vault"}, {"Key", "big"}});
  EXPECT_EQ(head["ServerSideEncryption"], std::string("AES256"));
  EXPECT_EQ(head["ETag"], "\"" + Md5Hex(big) + "\"");
  EXPECT_EQ(head["ContentLength"].as_int64(), static_cast<std::int64_t>(big.size()));
  // A restart reads them with the root key from its file.
  OpenAll();
  EXPECT_EQ(Get("vault", "big"), big);
  EXPECT_TRUE(fs::exists(dir_ / "sse-root.key"));
  // Plain objects stay plain (and say nothing of encryption).
  auto plain = Put("vault", "plain", "hello");
  EXPECT_FALSE(plain.contains("ServerSideEncryption"));
  EXPECT_EQ(Err("PutObject", {{"Bucket", "vault"}, {"Key", "k"}, {"ServerSideEncryption", "AES512"}}).code,
            "InvalidArgument");
  EXPECT_EQ(Err("PutObject", {{"Bucket", "vault"}, {"Key", "k"}, {"ServerSideEncryption", "aws:kms"}}).code,
            "NotImplemented");
}

TEST_F(S3Test, SseCustomerObjectsAnswerOnlyToTheirKey) {
  MakeBucket("vault");
  const auto a = CustomerKey('a');
  const auto b = CustomerKey('b');
  const std::string data = Secret(100 * 1024);
  auto put = Put("vault", "k", data, a.Members());
  EXPECT_EQ(put["SSECustomerAlgorithm"], std::string("AES256"));
  EXPECT_EQ(put["SSECustomerKeyMD5"], a.md5_b64);
  EXPECT_FALSE(AnyFileHolds(dir_, "top-secret-ledger-line"));
  EXPECT_EQ(Get("vault", "k", a.Members()), data);
  json::object ranged = a.Members();
  ranged["Range"] = "bytes=70000-70009";
  EXPECT_EQ(Get("vault", "k", ranged), data.substr(70000, 10));
  auto no_key = Err("GetObject", {{"Bucket", "vault"}, {"Key", "k"}});
  EXPECT_EQ(no_key.code, "InvalidRequest");
  EXPECT_EQ(no_key.http_status, 400);
  json::object wrong = b.Members();
  wrong["Bucket"] = "vault";
  wrong["Key"] = "k";
  EXPECT_EQ(Err("GetObject", wrong).http_status, 400);
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "vault"}, {"Key", "k"}}).http_status, 400);
  json::object head = a.Members();
  head["Bucket"] = "vault";
  head["Key"] = "k";
  EXPECT_EQ(Ok("HeadObject", head)["SSECustomerKeyMD5"], a.md5_b64);
  // SSE-C members on an object stored without them.
  Put("vault", "plain", "x");
  json::object on_plain = a.Members();
  on_plain["Bucket"] = "vault";
  on_plain["Key"] = "plain";
  EXPECT_EQ(Err("GetObject", on_plain).code, "InvalidRequest");
  // Malformed SSE-C members.
  json::object bad_md5 = a.Members();
  bad_md5["SSECustomerKeyMD5"] = b.md5_b64;
  bad_md5["Bucket"] = "vault";
  bad_md5["Key"] = "x";
  StringReader body0("y");
  EXPECT_EQ(Err("PutObject", bad_md5, &body0).code, "InvalidArgument");
  json::object only_algorithm{{"SSECustomerAlgorithm", "AES256"}, {"Bucket", "vault"}, {"Key", "x"}};
  StringReader body("y");
  EXPECT_EQ(Err("PutObject", only_algorithm, &body).code, "InvalidArgument");
  json::object short_key = a.Members();
  short_key["SSECustomerKey"] = "short";
  short_key["Bucket"] = "vault";
  short_key["Key"] = "x";
  StringReader body2("y");
  EXPECT_EQ(Err("PutObject", short_key, &body2).code, "InvalidArgument");
  json::object both = a.Members();
  both["ServerSideEncryption"] = "AES256";
  both["Bucket"] = "vault";
  both["Key"] = "x";
  StringReader body3("y");
  EXPECT_EQ(Err("PutObject", both, &body3).code, "InvalidArgument");
}

TEST_F(S3Test, SseCustomerNeedsTlsExceptFromLoopback) {
  MakeBucket("vault");
  const auto a = CustomerKey('a');
  http::Headers headers;
  json::object p = a.Members();
  p["Bucket"] = "vault";
  p["Key"] = "k";
  aws::RequestContext ctx;
  ctx.request_id = "test";
  ctx.service = "s3";
  ctx.operation = "PutObject";
  ctx.principal = caller_.principal;
  ctx.headers = &headers;
  auto call = [&](const std::string& ip, bool tls) {
    ctx.source_ip = ip;
    ctx.tls = tls;
    StringReader body("data");
    aws::OperationInput in;
    in.params = p;
    in.body = &body;
    return provider_->Invoke(ctx, "PutObject", in);
  };
  auto remote = call("10.1.2.3", false);
  ASSERT_FALSE(remote.ok());
  EXPECT_EQ(remote.error().code, "InvalidRequest");
  EXPECT_TRUE(call("10.1.2.3", true).ok());
  EXPECT_TRUE(call("127.0.0.1", false).ok());
  EXPECT_TRUE(call("::1", false).ok());
}

TEST_F(S3Test, BucketDefaultEncryptionAppliesToEveryWrite) {
  MakeBucket("lake");
  EXPECT_EQ(Err("GetBucketEncryption", {{"Bucket", "lake"}}).code,
            "ServerSideEncryptionConfigurationNotFoundError");
  json::object by_default{{"SSEAlgorithm", "AES256"}};
  json::object rule{{"ApplyServerSideEncryptionByDefault", by_default}};
  Ok("PutBucketEncryption",
     {{"Bucket", "lake"}, {"ServerSideEncryptionConfiguration", json::object{{"Rules", json::array{rule}}}}});
  auto got = Ok("GetBucketEncryption", {{"Bucket", "lake"}});
  EXPECT_EQ(got["ServerSideEncryptionConfiguration"]
                .at("Rules")
                .at(0)
                .at("ApplyServerSideEncryptionByDefault")
                .at("SSEAlgorithm"),
            std::string("AES256"));
  const std::string data = Secret(10000);
  EXPECT_EQ(Put("lake", "a.csv", data)["ServerSideEncryption"], std::string("AES256"));
  // The platform's own writes (Firehose, Athena results) and reads (Athena, crawlers) go through the lake.
  auto& lake = Lake();
  ASSERT_TRUE(lake.PutObjects("lake", {BytesPut("b.csv", data)}, nullptr).ok());
  ASSERT_TRUE(lake.PutObject("lake", "c.csv", data, "text/csv").ok());
  EXPECT_FALSE(AnyFileHolds(dir_, "top-secret-ledger-line"));
  for (const char* key : {"a.csv", "b.csv", "c.csv"}) {
    auto head = Ok("HeadObject", {{"Bucket", "lake"}, {"Key", key}});
    EXPECT_EQ(head["ServerSideEncryption"], std::string("AES256")) << key;
    auto bytes = lake.GetObject("lake", key, 1 << 20);
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    EXPECT_EQ(*bytes, data);
    // The engine's file: the plaintext, in memory (tmpfs), never on the data disk.
    auto path = lake.LocalPath("lake", key);
    ASSERT_TRUE(path.ok()) << path.error().message;
    EXPECT_TRUE(path->starts_with("/dev/shm/")) << *path;
    std::ifstream in(*path, std::ios::binary);
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), data);
  }
  EXPECT_FALSE(AnyFileHolds(dir_, "top-secret-ledger-line"));
  // SSE-KMS waits for KMS; a default it could not honour is refused.
  json::object kms{{"SSEAlgorithm", "aws:kms"}, {"KMSMasterKeyID", "alias/x"}};
  json::object kms_rule{{"ApplyServerSideEncryptionByDefault", kms}};
  EXPECT_EQ(Err("PutBucketEncryption",
                {{"Bucket", "lake"},
                 {"ServerSideEncryptionConfiguration", json::object{{"Rules", json::array{kms_rule}}}}})
                .http_status,
            501);
  auto deleted = Call("DeleteBucketEncryption", {{"Bucket", "lake"}});
  ASSERT_TRUE(deleted.ok());
  EXPECT_FALSE(Put("lake", "d.csv", "plain").contains("ServerSideEncryption"));
  // A customer-key object cannot be read by a service that does not hold the key.
  Put("lake", "mine.csv", data, CustomerKey('c').Members());
  EXPECT_EQ(lake.GetObject("lake", "mine.csv", 1 << 20).error().code, "InvalidRequest");
  EXPECT_EQ(lake.LocalPath("lake", "mine.csv").error().code, "InvalidRequest");
}

TEST_F(S3Test, CopiesTakeTheEncryptionTheyAskFor) {
  MakeBucket("vault");
  const auto a = CustomerKey('a');
  const auto b = CustomerKey('b');
  const std::string data = Secret(150 * 1024);
  Put("vault", "c", data, a.Members());
  Put("vault", "s", data, {{"ServerSideEncryption", "AES256"}});
  auto copy = [&](const std::string& from, const std::string& to, json::object extra) {
    extra["Bucket"] = "vault";
    extra["Key"] = to;
    extra["CopySource"] = "vault/" + from;
    return Call("CopyObject", extra);
  };
  // Out of SSE-C into the clear: the source key is needed.
  EXPECT_FALSE(copy("c", "plain", {}).ok());
  ASSERT_TRUE(copy("c", "plain", a.Members("CopySource")).ok());
  EXPECT_EQ(Get("vault", "plain"), data);
  // From one customer key to another.
  json::object rekey = a.Members("CopySource");
  b.AddTo(rekey);
  auto rekeyed = copy("c", "c2", rekey);
  ASSERT_TRUE(rekeyed.ok()) << rekeyed.error().message;
  EXPECT_EQ(rekeyed->result.as_object()["SSECustomerKeyMD5"], b.md5_b64);
  EXPECT_EQ(Get("vault", "c2", b.Members()), data);
  // SSE-S3 to SSE-S3 shares the blobs; to the clear decrypts.
  auto managed = copy("s", "s2", {{"ServerSideEncryption", "AES256"}});
  ASSERT_TRUE(managed.ok());
  EXPECT_EQ(managed->result.as_object()["ServerSideEncryption"], std::string("AES256"));
  EXPECT_EQ(Get("vault", "s2"), data);
  ASSERT_TRUE(copy("s", "s3", {}).ok());
  EXPECT_FALSE(Ok("HeadObject", {{"Bucket", "vault"}, {"Key", "s3"}}).contains("ServerSideEncryption"));
  EXPECT_EQ(Get("vault", "s3"), data);
  // Encrypting an object in place is a copy onto itself that changes its encryption.
  Put("vault", "p", data);
  ASSERT_TRUE(copy("p", "p", {{"ServerSideEncryption", "AES256"}}).ok());
  EXPECT_EQ(Ok("HeadObject", {{"Bucket", "vault"}, {"Key", "p"}})["ServerSideEncryption"],
            std::string("AES256"));
  EXPECT_EQ(Get("vault", "p"), data);
}

TEST_F(S3Test, SseCustomerMultipartUploadsNeedTheKeyOnEveryPart) {
  MakeBucket("vault");
  const auto a = CustomerKey('a');
  const auto b = CustomerKey('b');
  json::object create = a.Members();
  create["Bucket"] = "vault";
  create["Key"] = "mp";
  auto created = Ok("CreateMultipartUpload", create);
  EXPECT_EQ(created["SSECustomerKeyMD5"], a.md5_b64);
  const std::string upload_id(created["UploadId"].as_string());
  const std::string part1 = Secret(70000), part2 = Secret(50000) + "END";
  auto part = [&](int n, const std::string& data, json::object extra) {
    extra["Bucket"] = "vault";
    extra["Key"] = "mp";
    extra["UploadId"] = upload_id;
    extra["PartNumber"] = n;
    StringReader body(data, 4096);
    return Call("UploadPart", extra, &body);
  };
  auto without = part(1, part1, {});
  ASSERT_FALSE(without.ok());
  EXPECT_EQ(without.error().code, "InvalidRequest");
  EXPECT_FALSE(part(1, part1, b.Members()).ok());
  auto p1 = part(1, part1, a.Members());
  ASSERT_TRUE(p1.ok()) << p1.error().message;
  auto p2 = part(2, part2, a.Members());
  ASSERT_TRUE(p2.ok());
  json::array parts{json::object{{"PartNumber", 1}, {"ETag", p1->result.as_object()["ETag"]}},
                    json::object{{"PartNumber", 2}, {"ETag", p2->result.as_object()["ETag"]}}};
  auto done = Ok("CompleteMultipartUpload", {{"Bucket", "vault"},
                                             {"Key", "mp"},
                                             {"UploadId", upload_id},
                                             {"MultipartUpload", json::object{{"Parts", parts}}}});
  EXPECT_EQ(done["SSECustomerKeyMD5"], a.md5_b64);
  EXPECT_FALSE(AnyFileHolds(dir_, "top-secret-ledger-line"));
  const std::string whole = part1 + part2;
  EXPECT_EQ(Get("vault", "mp", a.Members()), whole);
  json::object across = a.Members();
  across["Range"] = "bytes=69990-70020";
  EXPECT_EQ(Get("vault", "mp", across), whole.substr(69990, 31));
  json::object second = a.Members();
  second["PartNumber"] = 2;
  EXPECT_EQ(Get("vault", "mp", second), part2);
  EXPECT_EQ(Err("GetObject", {{"Bucket", "vault"}, {"Key", "mp"}}).code, "InvalidRequest");
}

TEST_F(S3Test, ConditionalWritesTakeEntityTagsInIfNoneMatch) {
  MakeBucket("cwb");
  // No current object: any If-None-Match holds.
  auto first = Put("cwb", "k", "one", {{"IfNoneMatch", "\"deadbeef\""}});
  const std::string etag(first["ETag"].as_string());
  StringReader body("two");
  EXPECT_EQ(Err("PutObject", {{"Bucket", "cwb"}, {"Key", "k"}, {"IfNoneMatch", etag}}, &body).http_status,
            412);
  Put("cwb", "k", "three", {{"IfNoneMatch", "\"deadbeef\""}});
  EXPECT_EQ(Get("cwb", "k"), "three");
}

TEST_F(S3Test, ListObjectsV2TakesAnEmptyContinuationTokenAsNone) {
  MakeBucket("ltb");
  Put("ltb", "a", "1");
  auto r = Ok("ListObjectsV2", {{"Bucket", "ltb"}, {"ContinuationToken", ""}});
  EXPECT_EQ(r["ContinuationToken"], std::string(""));
  EXPECT_EQ(r["Contents"].as_array().size(), 1u);
}

TEST_F(S3Test, GetObjectAttributesPagesTheParts) {
  MakeBucket("mpb");
  auto created = Ok("CreateMultipartUpload", {{"Bucket", "mpb"}, {"Key", "k"}});
  const std::string upload_id(created["UploadId"].as_string());
  json::array parts;
  for (int n = 1; n <= 3; ++n) {
    StringReader body(std::string(n == 3 ? 5 : 20, 'a' + n));
    auto part = Ok("UploadPart",
                   {{"Bucket", "mpb"}, {"Key", "k"}, {"UploadId", upload_id}, {"PartNumber", n}}, &body);
    parts.push_back(json::object{{"PartNumber", n}, {"ETag", part["ETag"]}});
  }
  Ok("CompleteMultipartUpload", {{"Bucket", "mpb"},
                                 {"Key", "k"},
                                 {"UploadId", upload_id},
                                 {"MultipartUpload", json::object{{"Parts", parts}}}});
  auto page = Ok(
      "GetObjectAttributes",
      {{"Bucket", "mpb"}, {"Key", "k"}, {"ObjectAttributes", json::array{"ObjectParts"}}, {"MaxParts", 2}});
  const auto& op = page["ObjectParts"].as_object();
  EXPECT_EQ(op.at("TotalPartsCount").as_int64(), 3);
  EXPECT_EQ(op.at("IsTruncated").as_bool(), true);
  EXPECT_EQ(op.at("NextPartNumberMarker").as_int64(), 2);
  ASSERT_EQ(op.at("Parts").as_array().size(), 2u);
  EXPECT_EQ(op.at("Parts").at(1).at("Size").as_int64(), 20);
  auto rest = Ok("GetObjectAttributes", {{"Bucket", "mpb"},
                                         {"Key", "k"},
                                         {"ObjectAttributes", json::array{"ObjectParts"}},
                                         {"PartNumberMarker", 2}});
  const auto& last = rest["ObjectParts"].as_object();
  EXPECT_EQ(last.at("IsTruncated").as_bool(), false);
  ASSERT_EQ(last.at("Parts").as_array().size(), 1u);
  EXPECT_EQ(last.at("Parts").at(0).at("PartNumber").as_int64(), 3);
  EXPECT_EQ(last.at("Parts").at(0).at("Size").as_int64(), 5);
}

TEST_F(S3Test, WebsiteConfigurationsAreValidatedStoredAndReturned) {
  MakeBucket("site");
  EXPECT_EQ(Err("GetBucketWebsite", {{"Bucket", "site"}}).code, "NoSuchWebsiteConfiguration");
  json::object rule{
      {"Condition", json::object{{"KeyPrefixEquals", "docs/"}}},
      {"Redirect", json::object{{"ReplaceKeyPrefixWith", "documents/"}, {"HttpRedirectCode", "301"}}}};
  json::object config{{"IndexDocument", json::object{{"Suffix", "index.html"}}},
                      {"ErrorDocument", json::object{{"Key", "error.html"}}},
                      {"RoutingRules", json::array{rule}}};
  Ok("PutBucketWebsite", {{"Bucket", "site"}, {"WebsiteConfiguration", config}});
  auto got = Ok("GetBucketWebsite", {{"Bucket", "site"}});
  EXPECT_EQ(got["IndexDocument"].at("Suffix"), std::string("index.html"));
  EXPECT_EQ(got["ErrorDocument"].at("Key"), std::string("error.html"));
  EXPECT_EQ(got["RoutingRules"].at(0).at("Redirect").at("ReplaceKeyPrefixWith"), std::string("documents/"));
  auto refused = [&](json::object c) {
    return Err("PutBucketWebsite", {{"Bucket", "site"}, {"WebsiteConfiguration", std::move(c)}}).code;
  };
  EXPECT_EQ(refused({{"ErrorDocument", json::object{{"Key", "e.html"}}}}), "InvalidArgument");
  EXPECT_EQ(refused({{"IndexDocument", json::object{{"Suffix", "a/index.html"}}}}), "InvalidArgument");
  EXPECT_EQ(refused({{"RedirectAllRequestsTo", json::object{{"HostName", "example.com"}}},
                     {"IndexDocument", json::object{{"Suffix", "index.html"}}}}),
            "InvalidArgument");
  json::object both{{"Redirect", json::object{{"ReplaceKeyPrefixWith", "a"}, {"ReplaceKeyWith", "b"}}}};
  EXPECT_EQ(refused({{"IndexDocument", json::object{{"Suffix", "index.html"}}},
                     {"RoutingRules", json::array{both}}}),
            "InvalidArgument");
  Ok("PutBucketWebsite", {{"Bucket", "site"},
                          {"WebsiteConfiguration",
                           json::object{{"RedirectAllRequestsTo", json::object{{"HostName", "example.com"},
                                                                               {"Protocol", "https"}}}}}});
  EXPECT_EQ(Ok("GetBucketWebsite", {{"Bucket", "site"}})["RedirectAllRequestsTo"].at("HostName"),
            std::string("example.com"));
  ASSERT_TRUE(Call("DeleteBucketWebsite", {{"Bucket", "site"}}).ok());
  EXPECT_EQ(Err("GetBucketWebsite", {{"Bucket", "site"}}).code, "NoSuchWebsiteConfiguration");
}

// ---------------------------------------------------------------- replication

json::object ReplicationRule(const std::string& dest, const std::string& prefix, const char* markers) {
  return json::object{
      {"ID", "r1"},
      {"Priority", 1},
      {"Status", "Enabled"},
      {"Filter", json::object{{"Prefix", prefix}}},
      {"DeleteMarkerReplication", json::object{{"Status", markers}}},
      {"Destination", json::object{{"Bucket", "arn:aws:s3:::" + dest}, {"StorageClass", "STANDARD_IA"}}}};
}

TEST_F(S3Test, ReplicationConfigurationIsValidatedAsS3Does) {
  MakeBucket("rsrc");
  MakeBucket("rdst");
  const json::object cfg{{"Role", "arn:aws:iam::000000000000:role/r"},
                         {"Rules", json::array{ReplicationRule("rdst", "", "Enabled")}}};
  Error e = Err("PutBucketReplication", {{"Bucket", "rsrc"}, {"ReplicationConfiguration", cfg}});
  EXPECT_EQ(e.code, "InvalidRequest");
  EXPECT_EQ(e.message, "Versioning must be 'Enabled' on the bucket to apply a replication configuration");
  Ok("PutBucketVersioning",
     {{"Bucket", "rsrc"}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  EXPECT_EQ(Err("PutBucketReplication", {{"Bucket", "rsrc"}, {"ReplicationConfiguration", cfg}}).message,
            "Destination bucket must have versioning enabled.");
  Ok("PutBucketVersioning",
     {{"Bucket", "rdst"}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  json::object no_priority = ReplicationRule("rdst", "", "Enabled");
  no_priority.erase("Priority");
  EXPECT_EQ(Err("PutBucketReplication",
                {{"Bucket", "rsrc"},
                 {"ReplicationConfiguration", json::object{{"Role", "arn:aws:iam::000000000000:role/r"},
                                                           {"Rules", json::array{no_priority}}}}})
                .code,
            "InvalidRequest");
  EXPECT_EQ(Err("GetBucketReplication", {{"Bucket", "rsrc"}}).code, "ReplicationConfigurationNotFoundError");
  Ok("PutBucketReplication", {{"Bucket", "rsrc"}, {"ReplicationConfiguration", cfg}});
  auto got = Ok("GetBucketReplication", {{"Bucket", "rsrc"}});
  EXPECT_EQ(got["ReplicationConfiguration"].at("Role"), json::value("arn:aws:iam::000000000000:role/r"));
  EXPECT_EQ(Err("PutBucketVersioning",
                {{"Bucket", "rsrc"}, {"VersioningConfiguration", json::object{{"Status", "Suspended"}}}})
                .code,
            "InvalidBucketState");
  ASSERT_TRUE(Call("DeleteBucketReplication", {{"Bucket", "rsrc"}}).ok());
  EXPECT_EQ(Err("GetBucketReplication", {{"Bucket", "rsrc"}}).code, "ReplicationConfigurationNotFoundError");
}

// A matching version is queued in its write transaction (PENDING), the queue survives a restart, and a round
// copies it with its version id (REPLICA) and marks the source COMPLETED; a delete marker follows.
TEST_F(S3Test, ReplicationQueuesDurablyAndCopiesVersionsAndDeleteMarkers) {
  for (const char* b : {"rsrc", "rdst"}) {
    MakeBucket(b);
    Ok("PutBucketVersioning",
       {{"Bucket", b}, {"VersioningConfiguration", json::object{{"Status", "Enabled"}}}});
  }
  Ok("PutBucketReplication",
     {{"Bucket", "rsrc"},
      {"ReplicationConfiguration",
       json::object{{"Role", "arn:aws:iam::000000000000:role/r"},
                    {"Rules", json::array{ReplicationRule("rdst", "logs/", "Enabled")}}}}});
  auto put = Put("rsrc", "logs/a", "replicate me", {{"Metadata", json::object{{"team", "data"}}}});
  Put("rsrc", "other/b", "stay");
  EXPECT_EQ(Ok("HeadObject", {{"Bucket", "rsrc"}, {"Key", "logs/a"}})["ReplicationStatus"],
            json::value("PENDING"));
  EXPECT_FALSE(Ok("HeadObject", {{"Bucket", "rsrc"}, {"Key", "other/b"}}).contains("ReplicationStatus"));
  ASSERT_EQ(*provider_->replication().Pending(), 1);
  OpenAll();  // a restart: the queue is in the metadata store
  ASSERT_EQ(*provider_->replication().Pending(), 1);
  ASSERT_TRUE(provider_->replication().ReplicateDue(UnixNowMs()).ok());
  EXPECT_EQ(*provider_->replication().Pending(), 0);
  auto replica = Ok("HeadObject", {{"Bucket", "rdst"}, {"Key", "logs/a"}});
  EXPECT_EQ(replica["ReplicationStatus"], json::value("REPLICA"));
  EXPECT_EQ(replica["VersionId"], put["VersionId"]);
  EXPECT_EQ(replica["StorageClass"], json::value("STANDARD_IA"));
  EXPECT_EQ(replica["Metadata"].at("team"), json::value("data"));
  EXPECT_EQ(Get("rdst", "logs/a"), "replicate me");
  EXPECT_EQ(Ok("HeadObject", {{"Bucket", "rsrc"}, {"Key", "logs/a"}})["ReplicationStatus"],
            json::value("COMPLETED"));
  EXPECT_EQ(Err("HeadObject", {{"Bucket", "rdst"}, {"Key", "other/b"}}).code, "NoSuchKey");
  // The source's version can go away without touching the replica (they share no state).
  auto marker = Ok("DeleteObject", {{"Bucket", "rsrc"}, {"Key", "logs/a"}});
  ASSERT_TRUE(provider_->replication().ReplicateDue(UnixNowMs()).ok());
  auto versions = Ok("ListObjectVersions", {{"Bucket", "rdst"}, {"Prefix", "logs/a"}});
  ASSERT_TRUE(versions.contains("DeleteMarkers"));
  EXPECT_EQ(versions["DeleteMarkers"].as_array()[0].at("VersionId"), marker["VersionId"]);
  EXPECT_EQ(Get("rdst", "logs/a", {{"VersionId", put["VersionId"]}}), "replicate me");
}

}  // namespace
}  // namespace cenote::s3

// A new data directory creates the schema from fresh_schema.inc; it must be what the migrations build.
TEST(FreshSchema, S3) {
  cenote::testing::CheckFreshSchema("s3", cenote::s3::Migrations(), cenote::s3::FreshSchema(),
                                    CENOTE_SOURCE_DIR, "src/services/s3/fresh_schema.inc");
}
