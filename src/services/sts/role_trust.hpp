// RoleTrustAuthority: STS's iam::ResourceAuthority (service() "sts"). The resources of sts:AssumeRole,
// sts:AssumeRoleWithWebIdentity, sts:TagSession and sts:SetSourceIdentity are IAM roles, and what decides
// who may act on them is the role's trust policy: Facts answers it as the resource policy, required to allow
// on its own (policy_required), owned by the role's account, with the role's tags as aws:ResourceTag/<key>
// (and iam:ResourceTag/<key>, the Service Authorization Reference's name for the same keys on AssumeRole).
// A role that does not exist (or no IAM directory) answers no policy: the authorizer then denies, as AWS
// denies AssumeRole on a role that does not exist.
//
// Thread safety: Facts may be called concurrently (it only reads the directory, which is thread-safe).
#pragma once

#include <string_view>

#include "iam/directory.hpp"

namespace cenote::sts {

class RoleTrustAuthority final : public iam::ResourceAuthority {
 public:
  // `directory` (may be null) must outlive this object.
  explicit RoleTrustAuthority(const iam::Directory* directory) : directory_(directory) {}

  std::string_view service() const override { return "sts"; }
  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal& principal, std::string_view action,
                                   std::string_view resource_arn) const override;

 private:
  const iam::Directory* directory_;
};

}  // namespace cenote::sts
