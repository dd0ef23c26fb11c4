// A test's LakeAccess (a fake lake in memory) reached the way services reach S3's: every call an
// in-process S3 call through the pipeline (Invoker::CallWith), named after the S3 operation it performs, so
// a test sees the calls with their principal, region and calling service (ProviderHarness's recorder).
// src/services/s3/invoked_lake.cpp does the same over S3's real lake.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <vector>

#include "aws/invoker.hpp"
#include "services/s3/lake_access.hpp"

namespace cenote::testing {

class LakeThroughPipeline final : public s3::Lake {
 public:
  LakeThroughPipeline(aws::Invoker& invoker, s3::LakeAccess& fake) : invoker_(invoker), fake_(fake) {}

  std::unique_ptr<s3::LakeAccess> For(aws::Caller caller) override {
    return std::make_unique<Access>(invoker_, fake_, std::move(caller));
  }

 private:
  class Access final : public s3::LakeAccess {
   public:
    Access(aws::Invoker& invoker, s3::LakeAccess& fake, aws::Caller caller)
        : invoker_(invoker), fake_(fake), caller_(std::move(caller)) {}

    Status HeadBucket(const std::string& bucket) override {
      return Call("HeadBucket", {{"Bucket", bucket}}, [&] { return fake_.HeadBucket(bucket); });
    }
    Result<std::vector<s3::LakeObject>> ListObjects(const std::string& bucket, const std::string& prefix,
                                                    std::size_t max_objects) override {
      return Through("ListObjectsV2", {{"Bucket", bucket}, {"Prefix", prefix}},
                     [&] { return fake_.ListObjects(bucket, prefix, max_objects); });
    }
    Result<std::string> LocalPath(const std::string& bucket, const std::string& key) override {
      return Through("GetObject", {{"Bucket", bucket}, {"Key", key}},
                     [&] { return fake_.LocalPath(bucket, key); });
    }
    Result<std::string> GetObject(const std::string& bucket, const std::string& key,
                                  std::uint64_t max_bytes) override {
      return Through("GetObject", {{"Bucket", bucket}, {"Key", key}},
                     [&] { return fake_.GetObject(bucket, key, max_bytes); });
    }
    Result<s3::LakeObject> PutObject(const std::string& bucket, const std::string& key,
                                     const std::string& bytes, const std::string& content_type) override {
      return Through("PutObject", {{"Bucket", bucket}, {"Key", key}},
                     [&] { return fake_.PutObject(bucket, key, bytes, content_type); });
    }
    Result<s3::LakeObject> PutObjectFromFile(const std::string& bucket, const std::string& key,
                                             const std::string& path,
                                             const std::string& content_type) override {
      return Through("PutObject", {{"Bucket", bucket}, {"Key", key}},
                     [&] { return fake_.PutObjectFromFile(bucket, key, path, content_type); });
    }
    Result<std::vector<s3::LakeObject>> PutObjects(
        const std::string& bucket, const std::vector<s3::LakePut>& puts,
        const std::function<Status(store::Transaction&)>& also) override {
      return Through("PutObject", {{"Bucket", bucket}, {"Key", puts.empty() ? "" : puts.front().key}},
                     [&] { return fake_.PutObjects(bucket, puts, also); });
    }
    Status DeleteObject(const std::string& bucket, const std::string& key) override {
      return Call("DeleteObject", {{"Bucket", bucket}, {"Key", key}},
                  [&] { return fake_.DeleteObject(bucket, key); });
    }
    void SetWriteEncryption(const s3::LakeWriteEncryption& encryption) override {
      fake_.SetWriteEncryption(encryption);
    }

   private:
    template <typename F>
    Status Call(std::string_view operation, boost::json::object params, F work) {
      std::function<Status()> fn = work;
      return invoker_.CallWith(caller_, "s3", operation, boost::json::value(std::move(params)), fn);
    }
    template <typename F>
    auto Through(std::string_view operation, boost::json::object params, F work) -> decltype(work()) {
      decltype(work()) out = Error{};
      CENOTE_RETURN_IF_ERROR(Call(operation, std::move(params), [&] {
        out = work();
        return Status::FromResult(out);
      }));
      return out;
    }

    aws::Invoker& invoker_;
    s3::LakeAccess& fake_;
    const aws::Caller caller_;
  };

  aws::Invoker& invoker_;
  s3::LakeAccess& fake_;
};

}  // namespace cenote::testing
