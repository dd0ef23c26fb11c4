// SQS's side of authorization: a queue's Policy attribute is the resource policy the authorizer evaluates
// (cross-account principals, service principals such as sns.amazonaws.com with aws:SourceArn), its tags
// are aws:ResourceTag/..., and the action map's lookups name the queue of a QueueUrl (its account and
// name: the region is the request's) and the source queue of a move task handle.
#include "common/encoding.hpp"
#include "services/sqs/internal.hpp"

namespace cenote::sqs {

namespace {

class SqsAuthority final : public iam::ResourceAuthority {
 public:
  explicit SqsAuthority(Env& env) : env_(env) {}
  std::string_view service() const override { return "sqs"; }

  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal&, std::string_view,
                                   std::string_view resource_arn) const override {
    iam::ResourceFacts facts;
    std::shared_ptr<Queue> q = env_.FindByArn(resource_arn);
    if (!q) return facts;  // CreateQueue, or a missing queue the operation answers
    MutexLock lock(q->mu);
    facts.owner_account = q->key.account;
    if (q->policy) facts.policy = iam::NamedPolicy{"queue policy", q->policy};
    for (const auto& [k, v] : q->tags) facts.keys.Set("aws:ResourceTag/" + k, v);
    return facts;
  }

  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override {
    if ((name == "QueueUrlAccount" || name == "QueueUrlName") && args.size() == 1) {
      std::optional<UrlParts> parts = ParseQueueUrl(args[0]);
      if (!parts) return MakeError(errors::kQueueDoesNotExist);
      return name == "QueueUrlAccount" ? parts->account : parts->name;
    }
    if (name == "MoveTaskSourceArn" && args.size() == 1) {
      auto raw = Base64Decode(args[0]);
      if (raw) {
        boost::system::error_code ec;
        json::value v = json::parse(*raw, ec);
        if (!ec && v.is_object()) {
          if (auto arn = GetString(v.as_object(), "sourceArn")) return *arn;
        }
      }
      return MakeError(errors::kResourceNotFound, {"Task does not exist."});
    }
    return iam::ResourceAuthority::Lookup(name, args);
  }

 private:
  Env& env_;
};

}  // namespace

std::unique_ptr<iam::ResourceAuthority> SqsProvider::MakeAuthority() {
  return std::make_unique<SqsAuthority>(*env_);
}

}  // namespace cenote::sqs
