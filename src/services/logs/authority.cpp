// CloudWatch Logs' side of authorization: the action map's LogGroupArn lookup (src/services/logs/
// iam_actions.json), which makes a logGroupIdentifier (a name, or an ARN with or without ":*") a group ARN.
// Log groups have no resource-based policies (PutResourcePolicy stores account-level policies for service
// deliveries, not enforced yet), so Facts reports none.
#include "iam/directory.hpp"
#include "services/logs/internal.hpp"

namespace cenote::logs {

namespace {

class LogsAuthority final : public iam::ResourceAuthority {
 public:
  std::string_view service() const override { return "logs"; }

  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal&, std::string_view,
                                   std::string_view) const override {
    return iam::ResourceFacts{};
  }

  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override {
    if (name == "LogGroupArn" && args.size() == 3) {
      if (args[2].starts_with("arn:")) {
        auto key = ParseGroupArn(args[2]);
        if (!key)
          return services::MakeError(errors::kInvalidParameter, {"Invalid log group ARN: " + args[2]});
        return GroupArn(key->region, key->account, key->name);
      }
      return GroupArn(args[0], args[1], args[2]);
    }
    return iam::ResourceAuthority::Lookup(name, args);
  }
};

}  // namespace

std::unique_ptr<iam::ResourceAuthority> LogsProvider::MakeAuthority() {
  return std::make_unique<LogsAuthority>();
}

}  // namespace cenote::logs
