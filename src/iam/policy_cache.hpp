// PolicyCache: parsed policies shared by content, so that a request evaluates compiled policies instead of
// re-parsing JSON (a policy is parsed once per distinct document text and kind, not once per request).
//
// Keyed by (kind, document text); the text is compared in full, so hash collisions cannot return another
// policy. Bounded: past `capacity` documents the least recently used one is dropped (policies held by callers
// stay alive through their shared_ptr). Parse failures are not cached.
//
// Thread safety: every method may be called concurrently; one mutex guards the table, and parsing happens
// outside it (two threads parsing the same new document both succeed; one result is kept).
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/mutex.hpp"
#include "common/result.hpp"
#include "iam/policy.hpp"

namespace cenote::iam {

class PolicyCache {
 public:
  explicit PolicyCache(std::size_t capacity = 4096) : capacity_(capacity == 0 ? 1 : capacity) {}
  PolicyCache(const PolicyCache&) = delete;
  PolicyCache& operator=(const PolicyCache&) = delete;

  // The parsed policy for `text`, from the cache or parsed now; ParsePolicy's error on failure.
  Result<std::shared_ptr<const Policy>> Get(std::string_view text, PolicyKind kind) LOCKS_EXCLUDED(mu_);

  std::size_t size() const LOCKS_EXCLUDED(mu_);
  std::size_t hits() const LOCKS_EXCLUDED(mu_);
  std::size_t misses() const LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    std::string key;  // kind byte + text
    std::shared_ptr<const Policy> policy;
  };
  using Lru = std::list<Entry>;

  const std::size_t capacity_;
  mutable Mutex mu_;
  Lru lru_ GUARDED_BY(mu_);                                                    // most recently used first
  std::unordered_map<std::string_view, Lru::iterator> index_ GUARDED_BY(mu_);  // views into Entry::key
  std::size_t hits_ GUARDED_BY(mu_) = 0;
  std::size_t misses_ GUARDED_BY(mu_) = 0;
};

}  // namespace cenote::iam
