// ServiceRegistry: the providers the pipeline dispatches to, by endpoint prefix ("s3", "glue", ...).
//
// Filled at start-up (Register), read-only while serving. Destroys its providers newest first, so a
// provider may call (through the invoker) the providers registered before it until it is gone.
//
// Thread safety: Register before serving; Find from any thread afterwards.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/provider.hpp"
#include "http/message.hpp"

namespace cenote::aws::pipeline {

// Matches a Host header (any case, with or without its port) against a host pattern (provider.hpp
// UnsignedRoute); on a match, `captures` holds each wildcard's text (lower case), in order.
bool MatchHostPattern(std::string_view pattern, std::string_view host, std::vector<std::string>* captures);

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

  // The unsigned routes providers declared (provider.hpp UnsignedRoute), in registration order.
  struct RouteMatch {
    const UnsignedRoute* route = nullptr;
    Provider* provider = nullptr;
    std::vector<std::string> captures;
  };
  // The first route that `request` matches: host routes whatever the request carries (a signed function URL
  // call is still the function URL's), any-host routes only when `is_unsigned`. nullopt when none does.
  std::optional<RouteMatch> MatchRoute(const http::HttpRequest& request, bool is_unsigned) const;

 private:
  std::map<std::string, Provider*, std::less<>> by_service_;
  std::vector<std::unique_ptr<Provider>> owned_;  // registration order
  std::vector<std::pair<Provider*, UnsignedRoute>> routes_;
};

}  // namespace cenote::aws::pipeline
