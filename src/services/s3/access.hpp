// S3's side of authorization (issue #15): what the authorizer asks S3 about a bucket or object ARN
// (iam::ResourceAuthority, iam/directory.hpp), as AWS evaluates S3 requests.
//
// The resource-based policy of a bucket is its bucket policy together with its ACL grants, expressed as
// Allow statements (AWS's "Mapping of ACL permissions and access policy permissions"):
//   bucket READ        s3:ListBucket, s3:ListBucketVersions, s3:ListBucketMultipartUploads on the bucket
//   bucket WRITE       s3:PutObject, s3:DeleteObject, s3:DeleteObjectVersion on its objects
//   bucket READ_ACP    s3:GetBucketAcl;   bucket WRITE_ACP s3:PutBucketAcl
//   object READ        s3:GetObject, s3:GetObjectVersion, s3:GetObjectAttributes,
//   s3:GetObjectVersionAttributes object READ_ACP    s3:GetObjectAcl, s3:GetObjectVersionAcl object WRITE_ACP
//   s3:PutObjectAcl, s3:PutObjectVersionAcl FULL_CONTROL       all of the above
// Grantees: a canonical user (other than the bucket owner's account, whose access is its own IAM's) is
// {"CanonicalUser": id}; AllUsers is "*" (anonymous callers included); AuthenticatedUsers is any signed
// caller ({"AWS": "*"} with aws:PrincipalArn present); LogDelivery is the logging.s3.amazonaws.com service.
// ACLs count only while the bucket's ownership controls are not BucketOwnerEnforced (the default for new
// buckets, as on AWS). An object's ACL is its latest version's (a versionId in the request is not looked at:
// a documented difference).
//
// Public access block, acted on here: IgnorePublicAcls drops AllUsers and AuthenticatedUsers grants;
// RestrictPublicBuckets, while the bucket policy is public, leaves callers outside the bucket owner's account
// only the policy's Deny statements (and the ACL's grants). BlockPublicAcls/BlockPublicPolicy act when ACLs
// and policies are written (acls.cpp, buckets.cpp).
//
// The owner of a bucket and of its objects is the bucket owner's account (an object written by another
// account under ObjectWriter ownership is still evaluated as the bucket owner's, with its writer's grant).
//
// Thread safety: Facts is called concurrently; the per-bucket snapshot cache has its own mutex and the
// PolicyCache its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/mutex.hpp"
#include "iam/directory.hpp"
#include "iam/policy_cache.hpp"

namespace cenote::s3 {

struct Env;

// What authorization needs of one bucket, as of one moment.
struct BucketAccess {
  bool exists = false;
  std::string owner_account;
  std::string owner_id;  // canonical id
  bool acls_enabled = false;
  // The bucket policy merged with the bucket ACL's statements, as seen by callers of the owner's account
  // and by everyone else (public access block applied); JSON texts ("" when there is nothing).
  std::string own_text;
  std::string others_text;
  std::shared_ptr<const iam::Policy> own;
  std::shared_ptr<const iam::Policy> others;
  bool ignore_public_acls = false;
  // The policy was put with ConfirmRemoveSelfBucketAccess: the owner's root user is bound by it too.
  bool owner_root_bound = false;
};

// Bucket snapshots for authorization, invalidated as the ReadCache is (read_cache.hpp), but only by write
// transactions that touch a bucket's row or configurations (support.cpp's transaction wrapper calls
// BeginWrite on the first such statement and EndWrite when the transaction ends).
class BucketAccessCache {
 public:
  std::shared_ptr<const BucketAccess> Find(std::string_view bucket) const LOCKS_EXCLUDED(mu_);
  std::optional<std::uint64_t> Token() const LOCKS_EXCLUDED(mu_);
  void Insert(std::uint64_t token, std::string bucket, std::shared_ptr<const BucketAccess> access)
      LOCKS_EXCLUDED(mu_);
  void BeginWrite() LOCKS_EXCLUDED(mu_);
  void EndWrite() LOCKS_EXCLUDED(mu_);

 private:
  static constexpr std::size_t kMaxEntries = 4096;
  mutable Mutex mu_;
  std::uint64_t generation_ GUARDED_BY(mu_) = 0;
  int writers_ GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, std::shared_ptr<const BucketAccess>> entries_ GUARDED_BY(mu_);
};

class S3Authority final : public iam::ResourceAuthority {
 public:
  explicit S3Authority(Env& env) : env_(env) {}
  std::string_view service() const override { return "s3"; }
  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal& principal, std::string_view action,
                                   std::string_view resource_arn) const override;
  // A bucket that does not exist is NoSuchBucket to every caller (AWS answers 404 whoever asks); an object
  // that does not exist (no current version) is NoSuchKey to a caller denied s3:GetObject but allowed
  // s3:ListBucket on its bucket with s3:prefix the key, as S3 documents for GetObject and HeadObject.
  Result<std::optional<iam::MissingResource>> Missing(std::string_view action,
                                                      std::string_view resource_arn) const override;

  // The snapshot of `bucket` (from the cache, or read now).
  Result<std::shared_ptr<const BucketAccess>> Access(std::string_view bucket) const;

 private:
  Env& env_;
  mutable iam::PolicyCache policies_;
};

}  // namespace cenote::s3
