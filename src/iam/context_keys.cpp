#include "iam/context_keys.hpp"

#include <algorithm>

#include "common/strings.hpp"

namespace cenote::iam {

namespace {

// Compares a stored (lower-cased) key with a lower-cased probe.
struct KeyLess {
  bool operator()(const std::pair<std::string, std::vector<std::string>>& entry, std::string_view key) const {
    return std::string_view(entry.first) < key;
  }
};

}  // namespace

std::vector<std::pair<std::string, std::vector<std::string>>>::iterator ContextKeys::LowerBound(
    std::string_view lowered) {
  return std::lower_bound(entries_.begin(), entries_.end(), lowered, KeyLess{});
}

std::vector<std::pair<std::string, std::vector<std::string>>>::const_iterator ContextKeys::LowerBound(
    std::string_view lowered) const {
  return std::lower_bound(entries_.begin(), entries_.end(), lowered, KeyLess{});
}

void ContextKeys::Set(std::string_view key, std::vector<std::string> values) {
  std::string lowered = AsciiLower(key);
  auto it = LowerBound(lowered);
  if (it != entries_.end() && it->first == lowered) {
    it->second = std::move(values);
  } else {
    entries_.emplace(it, std::move(lowered), std::move(values));
  }
}

void ContextKeys::Merge(const ContextKeys& other) {
  for (const auto& [key, values] : other.entries_) {
    auto it = LowerBound(key);
    if (it != entries_.end() && it->first == key) {
      it->second = values;
    } else {
      entries_.emplace(it, key, values);
    }
  }
}

void ContextKeys::Set(std::string_view key, std::string value) {
  std::vector<std::string> values;
  values.push_back(std::move(value));
  Set(key, std::move(values));
}

void ContextKeys::Add(std::string_view key, std::string value) {
  std::string lowered = AsciiLower(key);
  auto it = LowerBound(lowered);
  if (it != entries_.end() && it->first == lowered) {
    it->second.push_back(std::move(value));
  } else {
    std::vector<std::string> values;
    values.push_back(std::move(value));
    entries_.emplace(it, std::move(lowered), std::move(values));
  }
}

void ContextKeys::Erase(std::string_view key) {
  std::string lowered = AsciiLower(key);
  auto it = LowerBound(lowered);
  if (it != entries_.end() && it->first == lowered) entries_.erase(it);
}

const std::vector<std::string>* ContextKeys::Find(std::string_view key) const {
  return FindLower(AsciiLower(key));
}

const std::vector<std::string>* ContextKeys::FindLower(std::string_view lowered_key) const {
  auto it = LowerBound(lowered_key);
  if (it == entries_.end() || it->first != lowered_key) return nullptr;
  return &it->second;
}

std::optional<std::string_view> ContextKeys::SingleLower(std::string_view lowered_key) const {
  const std::vector<std::string>* values = FindLower(lowered_key);
  if (values == nullptr || values->size() != 1) return std::nullopt;
  return std::string_view(values->front());
}

}  // namespace cenote::iam
