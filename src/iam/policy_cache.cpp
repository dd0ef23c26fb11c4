#include "iam/policy_cache.hpp"

namespace cenote::iam {

Result<std::shared_ptr<const Policy>> PolicyCache::Get(std::string_view text, PolicyKind kind) {
  std::string key;
  key.reserve(text.size() + 1);
  key.push_back(static_cast<char>(kind));
  key.append(text);
  {
    MutexLock lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      ++hits_;
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->policy;
    }
    ++misses_;
  }
  CENOTE_ASSIGN_OR_RETURN(Policy parsed, ParsePolicy(text, kind));
  auto policy = std::make_shared<const Policy>(std::move(parsed));
  MutexLock lock(mu_);
  auto it = index_.find(key);
  if (it != index_.end()) return it->second->policy;  // another thread parsed it meanwhile
  lru_.push_front(Entry{std::move(key), policy});
  index_.emplace(std::string_view(lru_.front().key), lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(std::string_view(lru_.back().key));
    lru_.pop_back();
  }
  return policy;
}

std::size_t PolicyCache::size() const {
  MutexLock lock(mu_);
  return lru_.size();
}

std::size_t PolicyCache::hits() const {
  MutexLock lock(mu_);
  return hits_;
}

std::size_t PolicyCache::misses() const {
  MutexLock lock(mu_);
  return misses_;
}

}  // namespace cenote::iam
