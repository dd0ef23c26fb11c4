// ServiceRegistry: the providers the pipeline dispatches to, by endpoint prefix ("s3", "glue", ...).
//
// Filled at start-up (Register), read-only while serving. Destroys its providers newest first, so a
// provider may call (through the invoker) the providers registered before it until it is gone.
//
// Thread safety: Register before serving; Find from any thread afterwards.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/provider.hpp"

namespace cenote::aws::pipeline {

class ServiceRegistry {
 public:
  ServiceRegistry() = default;
  ~ServiceRegistry();
  ServiceRegistry(const ServiceRegistry&) = delete;
  ServiceRegistry& operator=(const ServiceRegistry&) = delete;

  // Replaces nothing: registering a second provider for the same service is a programming error.
  void Register(std::unique_ptr<Provider> provider);
  // The provider of `service`, or null when Cenote has none.
  Provider* Find(std::string_view service) const;
  // Destroys every provider, newest first (the platform's shutdown, before what they use goes).
  void Clear();
  // Endpoint prefixes, in registration order.
  std::vector<std::string> Services() const;

 private:
  std::map<std::string, Provider*, std::less<>> by_service_;
  std::vector<std::unique_ptr<Provider>> owned_;  // registration order
};

}  // namespace cenote::aws::pipeline
