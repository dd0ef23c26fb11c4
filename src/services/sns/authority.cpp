// SNS's side of authorization: a topic's Policy attribute (AWS's default topic policy when none is set) is
// the resource policy the authorizer evaluates (cross-account publishers and subscribers, service
// principals such as events.amazonaws.com or s3.amazonaws.com with aws:SourceArn), its tags are
// aws:ResourceTag/...; a subscription ARN's topic is the subscription's resource.
#include "services/sns/internal.hpp"

namespace cenote::sns {

namespace {

class SnsAuthority final : public iam::ResourceAuthority {
 public:
  explicit SnsAuthority(Env& env) : env_(env) {}
  std::string_view service() const override { return "sns"; }

  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal&, std::string_view,
                                   std::string_view resource_arn) const override {
    iam::ResourceFacts facts;
    MutexLock lock(env_.mu);
    auto it = env_.topics.find(std::string(resource_arn));
    if (it == env_.topics.end()) {
      // A subscription ARN: its topic's owner (the account's own calls on it need no topic policy).
      auto s = env_.subscriptions.find(std::string(resource_arn));
      if (s == env_.subscriptions.end()) return facts;
      it = env_.topics.find(s->second.topic_arn);
      if (it == env_.topics.end()) return facts;
    }
    const Topic& t = it->second;
    facts.owner_account = t.account;
    if (t.policy) facts.policy = iam::NamedPolicy{"topic policy", t.policy};
    for (const auto& [k, v] : t.tags) facts.keys.Set("aws:ResourceTag/" + k, v);
    return facts;
  }

 private:
  Env& env_;
};

}  // namespace

std::unique_ptr<iam::ResourceAuthority> SnsProvider::MakeAuthority() {
  return std::make_unique<SnsAuthority>(*env_);
}

}  // namespace cenote::sns
