#include "aws/pipeline/service_registry.hpp"

#include <cstdlib>

#include "common/strings.hpp"

namespace cenote::aws::pipeline {

ServiceRegistry::~ServiceRegistry() { Clear(); }

void ServiceRegistry::Clear() {
  routes_.clear();
  by_service_.clear();
  while (!owned_.empty()) owned_.pop_back();
}

void ServiceRegistry::Register(std::unique_ptr<Provider> provider) {
  auto [it, inserted] = by_service_.emplace(std::string(provider->service()), provider.get());
  if (!inserted) std::abort();  // two providers for one service: a wiring bug caught at start
  for (UnsignedRoute& route : provider->UnsignedRoutes())
    routes_.emplace_back(provider.get(), std::move(route));
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

namespace {

// One label against one pattern label: literal, "*", or "prefix*suffix".
bool MatchLabel(std::string_view pattern, std::string_view label, std::vector<std::string>* captures) {
  const std::size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == label;
  const std::string_view prefix = pattern.substr(0, star);
  const std::string_view suffix = pattern.substr(star + 1);
  if (label.size() <= prefix.size() + suffix.size() || !label.starts_with(prefix) || !label.ends_with(suffix))
    return false;
  captures->emplace_back(label.substr(prefix.size(), label.size() - prefix.size() - suffix.size()));
  return true;
}

// The Host header's name, lower case, without its port or a trailing dot; nullopt for IPv6 literals and
// names with empty labels.
std::optional<std::string> NormalizeHost(std::string_view host_header) {
  std::string host = AsciiLower(host_header);
  if (host.empty() || host.front() == '[') return std::nullopt;  // IPv6 literals name no route
  if (auto colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  if (!host.empty() && host.back() == '.') host.pop_back();  // the absolute form "example.com."
  if (host.empty()) return std::nullopt;
  for (std::string_view label : SplitString(host, '.')) {
    if (label.empty()) return std::nullopt;
  }
  return host;
}

bool MatchNormalized(std::string_view pattern, std::string_view host, std::vector<std::string>* captures) {
  std::vector<std::string> found;
  std::vector<std::string_view> want = SplitString(pattern, '.');
  std::vector<std::string_view> have = SplitString(host, '.');
  std::size_t skip = 0;
  if (!want.empty() && want.front() == "**") {
    // One or more leading labels.
    if (have.size() < want.size()) return false;
    skip = have.size() - (want.size() - 1);
    std::string joined;
    for (std::size_t i = 0; i < skip; ++i) {
      if (i > 0) joined += '.';
      joined += have[i];
    }
    found.push_back(std::move(joined));
    want.erase(want.begin());
  } else if (have.size() != want.size()) {
    return false;
  }
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (!MatchLabel(want[i], have[skip + i], &found)) return false;
  }
  if (captures != nullptr) *captures = std::move(found);
  return true;
}

}  // namespace

bool MatchHostPattern(std::string_view pattern, std::string_view host_header,
                      std::vector<std::string>* captures) {
  std::optional<std::string> host = NormalizeHost(host_header);
  return host && MatchNormalized(pattern, *host, captures);
}

std::optional<ServiceRegistry::RouteMatch> ServiceRegistry::MatchRoute(const http::HttpRequest& request,
                                                                       bool is_unsigned) const {
  if (routes_.empty()) return std::nullopt;
  const std::optional<std::string> host = NormalizeHost(request.headers.Get("host").value_or(""));
  for (const auto& [provider, route] : routes_) {
    RouteMatch match;
    if (route.host.empty()) {
      if (!is_unsigned) continue;
    } else if (!host || !MatchNormalized(route.host, *host, &match.captures)) {
      continue;
    }
    if (!route.method.empty() && route.method != request.method) continue;
    if (route.accepts && !route.accepts(request)) continue;
    match.route = &route;
    match.provider = provider;
    return match;
  }
  return std::nullopt;
}

}  // namespace cenote::aws::pipeline
