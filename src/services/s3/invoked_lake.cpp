// The Lake of the other services (lake_access.hpp): every LakeAccess call is an in-process S3 call through
// Invoker::CallWith (authorize -> the work -> after-hooks), named after the S3 operation it performs, and
// the work (lake.cpp) runs only inside it, as the caller the LakeAccess was made for.
#include <boost/json/object.hpp>

#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {

// The context the lake's work runs with: the caller's principal, region and calling service, as the
// pipeline gives them to the authorize stage and the after-hooks of the same call.
RequestContext CallerContext(const aws::Caller& caller) {
  RequestContext ctx;
  ctx.region = caller.region;
  ctx.service = "s3";
  ctx.principal = caller.principal;
  ctx.invoked_by = caller.invoked_by;
  ctx.source_ip = caller.invoked_by;
  return ctx;
}

class InvokedLakeAccess final : public LakeAccess {
 public:
  InvokedLakeAccess(aws::Invoker& invoker, Env& env, aws::Caller caller)
      : invoker_(invoker), env_(env), caller_(std::move(caller)), ctx_(CallerContext(caller_)) {}

  Status HeadBucket(const std::string& bucket) override {
    return Call("HeadBucket", {{"Bucket", bucket}}, [&] { return lake::HeadBucket(env_, bucket); });
  }

  Result<std::vector<LakeObject>> ListObjects(const std::string& bucket, const std::string& prefix,
                                              std::size_t max_objects) override {
    Result<std::vector<LakeObject>> out = std::vector<LakeObject>{};
    CENOTE_RETURN_IF_ERROR(Call("ListObjectsV2", {{"Bucket", bucket}, {"Prefix", prefix}}, [&] {
      out = lake::ListObjects(env_, bucket, prefix, max_objects);
      return Status::FromResult(out);
    }));
    return out;
  }

  Result<std::string> LocalPath(const std::string& bucket, const std::string& key) override {
    Result<std::string> out = std::string();
    CENOTE_RETURN_IF_ERROR(Call("GetObject", {{"Bucket", bucket}, {"Key", key}}, [&] {
      out = lake::LocalPath(env_, ctx_, bucket, key);
      return Status::FromResult(out);
    }));
    return out;
  }

  Result<std::string> GetObject(const std::string& bucket, const std::string& key,
                                std::uint64_t max_bytes) override {
    Result<std::string> out = std::string();
    CENOTE_RETURN_IF_ERROR(Call("GetObject", {{"Bucket", bucket}, {"Key", key}}, [&] {
      out = lake::GetObject(env_, ctx_, bucket, key, max_bytes);
      return Status::FromResult(out);
    }));
    return out;
  }

  Result<LakeObject> PutObject(const std::string& bucket, const std::string& key, const std::string& bytes,
                               const std::string& content_type) override {
    Result<LakeObject> out = LakeObject{};
    CENOTE_RETURN_IF_ERROR(Call("PutObject", WriteParams(bucket, key), [&] {
      out = lake::PutObject(env_, ctx_, bucket, key, bytes, content_type, sse_);
      return Status::FromResult(out);
    }));
    return out;
  }

  Result<LakeObject> PutObjectFromFile(const std::string& bucket, const std::string& key,
                                       const std::string& path, const std::string& content_type) override {
    Result<LakeObject> out = LakeObject{};
    CENOTE_RETURN_IF_ERROR(Call("PutObject", WriteParams(bucket, key), [&] {
      out = lake::PutObjectFromFile(env_, ctx_, bucket, key, path, content_type, sse_);
      return Status::FromResult(out);
    }));
    return out;
  }

  Result<std::vector<LakeObject>> PutObjects(
      const std::string& bucket, const std::vector<LakePut>& puts,
      const std::function<Status(store::Transaction&)>& also) override {
    // One transaction publishes them all, and each object is a PutObject call of its own. The calls nest,
    // the batch running inside the innermost: every object is authorized before anything is written (one
    // denied, none written) and every call's after-hooks see the batch's outcome. An empty batch (only
    // `also` to run) is one PutObject call on the bucket.
    Result<std::vector<LakeObject>> out = std::vector<LakeObject>{};
    auto publish = [&] {
      out = lake::PutObjects(env_, ctx_, bucket, puts, also, sse_);
      return Status::FromResult(out);
    };
    if (puts.empty()) {
      CENOTE_RETURN_IF_ERROR(Call("PutObject", {{"Bucket", bucket}}, publish));
      return out;
    }
    std::function<Status(std::size_t)> nest = [&](std::size_t i) -> Status {
      if (i == puts.size()) return publish();
      return Call("PutObject", WriteParams(bucket, puts[i].key), [&] { return nest(i + 1); });
    };
    CENOTE_RETURN_IF_ERROR(nest(0));
    return out;
  }

  Result<std::map<std::string, std::string>> ObjectMetadata(const std::string& bucket,
                                                            const std::string& key) override {
    Result<std::map<std::string, std::string>> out = std::map<std::string, std::string>{};
    CENOTE_RETURN_IF_ERROR(Call("HeadObject", {{"Bucket", bucket}, {"Key", key}}, [&] {
      out = lake::ObjectMetadata(env_, bucket, key);
      return Status::FromResult(out);
    }));
    return out;
  }

  Status DeleteObject(const std::string& bucket, const std::string& key) override {
    return Call("DeleteObject", {{"Bucket", bucket}, {"Key", key}},
                [&] { return lake::DeleteObject(env_, ctx_, bucket, key); });
  }

  void SetWriteEncryption(const LakeWriteEncryption& encryption) override {
    sse_ = lake::EncryptionParams(encryption);
  }

 private:
  // A write's PutObject members, with the encryption asked for (the authorizer sees them as condition keys
  // s3:x-amz-server-side-encryption*, as a bucket policy requiring encryption expects).
  json::object WriteParams(const std::string& bucket, const std::string& key) const {
    json::object params = sse_;
    params["Bucket"] = bucket;
    params["Key"] = key;
    return params;
  }

  template <typename Perform>
  Status Call(std::string_view operation, json::object params, Perform perform) {
    std::function<Status()> fn = perform;
    return invoker_.CallWith(caller_, "s3", operation, json::value(std::move(params)), fn);
  }

  aws::Invoker& invoker_;
  Env& env_;
  const aws::Caller caller_;
  const RequestContext ctx_;
  json::object sse_;  // ServerSideEncryption / SSEKMSKeyId of writes (SetWriteEncryption)
};

class InvokedLake final : public Lake {
 public:
  InvokedLake(aws::Invoker& invoker, Env& env) : invoker_(invoker), env_(env) {}
  std::unique_ptr<LakeAccess> For(aws::Caller caller) override {
    return std::make_unique<InvokedLakeAccess>(invoker_, env_, std::move(caller));
  }

 private:
  aws::Invoker& invoker_;
  Env& env_;
};

}  // namespace

std::unique_ptr<Lake> S3Provider::MakeLake(aws::Invoker& invoker) {
  return std::make_unique<InvokedLake>(invoker, *env_);
}

}  // namespace cenote::s3
