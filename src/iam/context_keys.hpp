// ContextKeys: the request context's condition keys (aws:SourceIp, aws:PrincipalTag/team, s3:prefix, ...),
// each with zero or more string values, as the IAM policy language sees them.
//
// Key names are case-insensitive (IAM: "condition key names are not case-sensitive"), so they are stored
// lower-cased; values are kept as given (case-sensitive unless an operator says otherwise). A key with an
// empty value list is treated as absent by every operator, as AWS treats a key that "resolves to a null
// data set". Typed keys (dates, numbers, IP addresses, booleans) are strings too, in the formats the
// condition operators parse (condition.hpp).
//
// Plain value type; lookups are a binary search over a small sorted vector (a request carries tens of keys).
// Not synchronized: build it on one thread, then share it read-only (Evaluate takes it by const reference).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cenote::iam {

class ContextKeys {
 public:
  // Replaces any values the key had.
  void Set(std::string_view key, std::vector<std::string> values);
  void Set(std::string_view key, std::string value);
  // Appends one value (a multivalued key such as aws:TagKeys or aws:CalledVia).
  void Add(std::string_view key, std::string value);
  void Erase(std::string_view key);
  // Sets every key of `other` (replacing the values of keys both have).
  void Merge(const ContextKeys& other);

  // The key's values (any case), or nullptr when the key is absent.
  const std::vector<std::string>* Find(std::string_view key) const;
  // As Find, for a key already lower-cased (compiled policies store them so): no allocation.
  const std::vector<std::string>* FindLower(std::string_view lowered_key) const;
  // The value of a single-valued key, for policy variables: nullopt when the key is absent or has other
  // than exactly one value ("you cannot use a multivalued condition key as a policy variable").
  std::optional<std::string_view> SingleLower(std::string_view lowered_key) const;

  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>>::iterator LowerBound(
      std::string_view lowered);
  std::vector<std::pair<std::string, std::vector<std::string>>>::const_iterator LowerBound(
      std::string_view lowered) const;

  std::vector<std::pair<std::string, std::vector<std::string>>> entries_;  // sorted by lower-cased key
};

}  // namespace cenote::iam
