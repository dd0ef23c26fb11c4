#include "services/s3/read_cache.hpp"

namespace cenote::s3 {

std::string ReadCache::MapKey(std::string_view bucket, std::string_view key) {
  // Bucket names never contain '/', so "bucket/key" is unambiguous.
  std::string k;
  k.reserve(bucket.size() + 1 + key.size());
  k.append(bucket).append(1, '/').append(key);
  return k;
}

std::shared_ptr<const ReadCache::Entry> ReadCache::Find(std::string_view bucket, std::string_view key) const {
  std::string k = MapKey(bucket, key);
  MutexLock lock(mu_);
  if (writers_ > 0) return nullptr;
  auto it = entries_.find(k);
  return it == entries_.end() ? nullptr : it->second;
}

std::optional<std::uint64_t> ReadCache::Token() const {
  MutexLock lock(mu_);
  if (writers_ > 0) return std::nullopt;
  return generation_;
}

void ReadCache::Insert(std::uint64_t token, std::string_view bucket, std::string_view key,
                       std::shared_ptr<const Entry> value) {
  std::string k = MapKey(bucket, key);
  std::unordered_map<std::string, std::shared_ptr<const Entry>> dropped;  // destroyed outside the lock
  MutexLock lock(mu_);
  if (writers_ > 0 || generation_ != token) return;
  if (entries_.size() >= max_entries_) ClearLocked(dropped);
  const bool holds_blob = value->blob != nullptr;
  auto [it, inserted] = entries_.try_emplace(std::move(k), value);
  if (!inserted) {
    if (it->second->blob) --open_blobs_;
    it->second = std::move(value);
  }
  if (holds_blob) ++open_blobs_;
}

bool ReadCache::MayHoldBlob() const {
  MutexLock lock(mu_);
  return open_blobs_ < max_open_blobs_;
}

void ReadCache::BeginWrite() {
  std::unordered_map<std::string, std::shared_ptr<const Entry>> dropped;
  MutexLock lock(mu_);
  ++writers_;
  ++generation_;
  ClearLocked(dropped);
}

void ReadCache::EndWrite() {
  std::unordered_map<std::string, std::shared_ptr<const Entry>> dropped;
  MutexLock lock(mu_);
  --writers_;
  ++generation_;
  ClearLocked(dropped);
}

std::size_t ReadCache::size() const {
  MutexLock lock(mu_);
  return entries_.size();
}

void ReadCache::ClearLocked(std::unordered_map<std::string, std::shared_ptr<const Entry>>& out) {
  out.swap(entries_);
  open_blobs_ = 0;
}

}  // namespace cenote::s3
