// The Lake of the other services: S3Provider's in-process operations (lake.cpp), each passed through the
// pipeline's authorize stage and after-hooks as the S3 operation it performs.
#include <boost/json/object.hpp>

#include "services/s3/lake_access.hpp"

namespace cenote::s3 {

namespace {

namespace json = boost::json;

class InvokedLakeAccess final : public LakeAccess {
 public:
  InvokedLakeAccess(aws::Invoker& invoker, LakeAccess& direct, aws::Caller caller)
      : invoker_(invoker), direct_(direct), caller_(std::move(caller)) {}

  Status HeadBucket(const std::string& bucket) override {
    return Call("HeadBucket", {{"Bucket", bucket}}, [&] { return direct_.HeadBucket(bucket); });
  }

  Result<std::vector<LakeObject>> ListObjects(const std::string& bucket, const std::string& prefix,
                                              std::size_t max_objects) override {
    Result<std::vector<LakeObject>> out = std::vector<LakeObject>{};
    CENOTE_RETURN_IF_ERROR(Call("ListObjectsV2", {{"Bucket", bucket}, {"Prefix", prefix}}, [&] {
      out = direct_.ListObjects(bucket, prefix, max_objects);
      return Status::FromResult(out);
    }));
    return out;
  }

  Result<std::string> LocalPath(const std::string& bucket, const std::string& key) override {
    Result<std::string> out = std::string();
    CENOTE_RETURN_IF_ERROR(Call("GetObject", {{"Bucket", bucket}, {"Key", key}}, [&] {
      out = direct_.LocalPath(bucket, key);
      return Status::FromResult(out);
    }));
    return out;
  }

  Result<std::string> GetObject(const std::string& bucket, const std::string& key,
                                std::uint64_t max_bytes) override {
    Result<std::string> out = std::string();
    CENOTE_RETURN_IF_ERROR(Call("GetObject", {{"Bucket", bucket}, {"Key", key}}, [&] {
      out = direct_.GetObject(bucket, key, max_bytes);
      return Status::FromResult(out);
    }));
    return out;
  }

  Result<LakeObject> PutObject(const std::string& bucket, const std::string& key, const std::string& bytes,
                               const std::string& content_type) override {
    Result<LakeObject> out = LakeObject{};
    CENOTE_RETURN_IF_ERROR(Call("PutObject", {{"Bucket", bucket}, {"Key", key}}, [&] {
      out = direct_.PutObject(bucket, key, bytes, content_type);
      return Status::FromResult(out);
    }));
    return out;
  }

  Result<LakeObject> PutObjectFromFile(const std::string& bucket, const std::string& key,
                                       const std::string& path, const std::string& content_type) override {
    Result<LakeObject> out = LakeObject{};
    CENOTE_RETURN_IF_ERROR(Call("PutObject", {{"Bucket", bucket}, {"Key", key}}, [&] {
      out = direct_.PutObjectFromFile(bucket, key, path, content_type);
      return Status::FromResult(out);
    }));
    return out;
  }

  Result<std::vector<LakeObject>> PutObjects(
      const std::string& bucket, const std::vector<LakePut>& puts,
      const std::function<Status(store::Transaction&)>& also) override {
    // One transaction publishes them all, so each object is authorized first (one denied: none written),
    // the batch runs as the call of the first object, and the others are recorded as their own calls.
    if (puts.empty()) return direct_.PutObjects(bucket, puts, also);
    for (std::size_t i = 1; i < puts.size(); ++i) {
      CENOTE_RETURN_IF_ERROR(
          Call("PutObject", {{"Bucket", bucket}, {"Key", puts[i].key}}, [] { return Status::Ok(); }));
    }
    Result<std::vector<LakeObject>> out = std::vector<LakeObject>{};
    CENOTE_RETURN_IF_ERROR(Call("PutObject", {{"Bucket", bucket}, {"Key", puts[0].key}}, [&] {
      out = direct_.PutObjects(bucket, puts, also);
      return Status::FromResult(out);
    }));
    return out;
  }

  Status DeleteObject(const std::string& bucket, const std::string& key) override {
    return Call("DeleteObject", {{"Bucket", bucket}, {"Key", key}},
                [&] { return direct_.DeleteObject(bucket, key); });
  }

 private:
  template <typename Perform>
  Status Call(std::string_view operation, json::object params, Perform perform) {
    std::function<Status()> fn = perform;
    return invoker_.CallWith(caller_, "s3", operation, json::value(std::move(params)), fn);
  }

  aws::Invoker& invoker_;
  LakeAccess& direct_;
  const aws::Caller caller_;
};

class InvokedLake final : public Lake {
 public:
  InvokedLake(aws::Invoker& invoker, LakeAccess& direct) : invoker_(invoker), direct_(direct) {}
  std::unique_ptr<LakeAccess> For(aws::Caller caller) override {
    return std::make_unique<InvokedLakeAccess>(invoker_, direct_, std::move(caller));
  }

 private:
  aws::Invoker& invoker_;
  LakeAccess& direct_;
};

}  // namespace

std::unique_ptr<Lake> MakeInvokedLake(aws::Invoker& invoker, LakeAccess& direct) {
  return std::make_unique<InvokedLake>(invoker, direct);
}

}  // namespace cenote::s3
