// RecordingLake: an s3::Lake over one LakeAccess (a test's fake) that remembers the Caller of every For(), so
// a test can check the principal, region and calling service that Glue's crawlers and Athena's queries use
// for their lake calls. Each LakeAccess it hands out forwards to the fake.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/mutex.hpp"
#include "services/s3/lake_access.hpp"

namespace cenote::testing {

class RecordingLake final : public s3::Lake {
 public:
  explicit RecordingLake(s3::LakeAccess& direct) : direct_(direct) {}

  std::unique_ptr<s3::LakeAccess> For(aws::Caller caller) override {
    MutexLock lock(mu_);
    callers_.push_back(std::move(caller));
    return std::make_unique<Forward>(*this, direct_);
  }
  std::vector<aws::Caller> callers() const {
    MutexLock lock(mu_);
    return callers_;
  }
  // Every LakeAccess::SetWriteEncryption the accesses were given, in order.
  std::vector<s3::LakeWriteEncryption> write_encryptions() const {
    MutexLock lock(mu_);
    return encryptions_;
  }

 private:
  class Forward final : public s3::LakeAccess {
   public:
    Forward(RecordingLake& owner, s3::LakeAccess& d) : owner_(owner), d_(d) {}
    Status HeadBucket(const std::string& b) override { return d_.HeadBucket(b); }
    Result<std::vector<s3::LakeObject>> ListObjects(const std::string& b, const std::string& p,
                                                    std::size_t m) override {
      return d_.ListObjects(b, p, m);
    }
    Result<std::string> LocalPath(const std::string& b, const std::string& k) override {
      return d_.LocalPath(b, k);
    }
    Result<std::string> GetObject(const std::string& b, const std::string& k, std::uint64_t m) override {
      return d_.GetObject(b, k, m);
    }
    Result<s3::LakeObject> PutObject(const std::string& b, const std::string& k, const std::string& bytes,
                                     const std::string& t) override {
      return d_.PutObject(b, k, bytes, t);
    }
    Result<s3::LakeObject> PutObjectFromFile(const std::string& b, const std::string& k, const std::string& p,
                                             const std::string& t) override {
      return d_.PutObjectFromFile(b, k, p, t);
    }
    Result<std::vector<s3::LakeObject>> PutObjects(
        const std::string& b, const std::vector<s3::LakePut>& puts,
        const std::function<Status(store::Transaction&)>& also) override {
      return d_.PutObjects(b, puts, also);
    }
    Status DeleteObject(const std::string& b, const std::string& k) override { return d_.DeleteObject(b, k); }
    void SetWriteEncryption(const s3::LakeWriteEncryption& e) override {
      MutexLock lock(owner_.mu_);
      owner_.encryptions_.push_back(e);
    }

   private:
    RecordingLake& owner_;
    s3::LakeAccess& d_;
  };

  s3::LakeAccess& direct_;
  mutable Mutex mu_;
  std::vector<aws::Caller> callers_ GUARDED_BY(mu_);
  std::vector<s3::LakeWriteEncryption> encryptions_ GUARDED_BY(mu_);
};

}  // namespace cenote::testing
