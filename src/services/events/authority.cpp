// EventBridge's side of authorization: a bus's policy (PutPermission) is the resource policy of PutEvents
// (cross-account senders); AWS services put their events on the default bus of their own account without
// one; tags are aws:ResourceTag/...; the action map's lookups turn an EventBusName (a name or an ARN) into
// the bus's ARN and a rule's name into its ARN.
#include "iam/evaluate.hpp"
#include "services/events/internal.hpp"

namespace cenote::events {

namespace {

class EventsAuthority final : public iam::ResourceAuthority {
 public:
  explicit EventsAuthority(Env& env) : env_(env) {}
  std::string_view service() const override { return "events"; }

  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal& principal, std::string_view action,
                                   std::string_view resource_arn) const override {
    iam::ResourceFacts facts;
    auto bus = ParseBusArn(resource_arn);
    if (!bus) return facts;
    MutexLock lock(env_.mu);
    facts.owner_account = bus->first.account;
    auto it = env_.buses.find(*bus);
    if (it != env_.buses.end()) {
      if (it->second.policy) facts.policy = iam::NamedPolicy{"event bus policy", it->second.policy};
      for (const auto& [k, v] : it->second.tags) facts.keys.Set("aws:ResourceTag/" + k, v);
    }
    // AWS services deliver their events to the default bus of the resource's account.
    if (principal.type == iam::PrincipalType::kService && action == "events:PutEvents" &&
        bus->second == kDefaultBus && principal.service.ends_with(".amazonaws.com")) {
      facts.policy =
          iam::NamedPolicy{"AWS service events", ServicePolicy(std::string(resource_arn), principal.service)};
    }
    return facts;
  }

  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override {
    // EventBusArn(EventBusName, Region, Account): a bus named by name or ARN.
    if (name == "EventBusArn" && args.size() == 3) {
      if (ParseBusArn(args[0])) return args[0];
      return BusArn(Where{args[2], args[1]}, args[0]);
    }
    // RuleArn(EventBusName, Rule, Region, Account): the rule's ARN on its bus (in the bus's account).
    if (name == "RuleArn" && args.size() == 4) {
      if (auto bus = ParseBusArn(args[0])) return RuleArn(bus->first, bus->second, args[1]);
      return RuleArn(Where{args[3], args[2]}, args[0], args[1]);
    }
    return iam::ResourceAuthority::Lookup(name, args);
  }

 private:
  std::shared_ptr<const iam::Policy> ServicePolicy(const std::string& bus_arn,
                                                   const std::string& service) const {
    json::object statement{{"Effect", "Allow"},
                           {"Principal", json::object{{"Service", service}}},
                           {"Action", "events:PutEvents"},
                           {"Resource", bus_arn}};
    json::object doc{{"Version", "2012-10-17"}, {"Statement", json::array{statement}}};
    auto parsed = iam::ParsePolicy(json::serialize(doc), iam::PolicyKind::kResource);
    if (!parsed) return nullptr;
    return std::make_shared<const iam::Policy>(std::move(parsed).value());
  }

  Env& env_;
};

}  // namespace

std::unique_ptr<iam::ResourceAuthority> EventsProvider::MakeAuthority() {
  return std::make_unique<EventsAuthority>(*env_);
}

}  // namespace cenote::events
