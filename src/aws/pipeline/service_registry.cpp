#include "aws/pipeline/service_registry.hpp"

#include <cstdlib>

namespace cenote::aws::pipeline {

ServiceRegistry::~ServiceRegistry() { Clear(); }

void ServiceRegistry::Clear() {
  by_service_.clear();
  while (!owned_.empty()) owned_.pop_back();
}

void ServiceRegistry::Register(std::unique_ptr<Provider> provider) {
  auto [it, inserted] = by_service_.emplace(std::string(provider->service()), provider.get());
  if (!inserted) std::abort();  // two providers for one service: a wiring bug caught at start
  owned_.push_back(std::move(provider));
}

Provider* ServiceRegistry::Find(std::string_view service) const {
  auto it = by_service_.find(service);
  return it == by_service_.end() ? nullptr : it->second;
}

std::vector<std::string> ServiceRegistry::Services() const {
  std::vector<std::string> names;
  for (const auto& p : owned_) names.emplace_back(p->service());
  return names;
}

}  // namespace cenote::aws::pipeline
