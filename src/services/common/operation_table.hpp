// OperationTable: a provider's operations by AWS name, each with its handler. The one list a provider's
// Invoke dispatches on and its SupportedOperations() reports; the coverage docs are generated from it
// too (scripts/coverage_doc.py reads the `{"Name", Handler}` entries, so keep entries in that form).
//
// Immutable after construction: a provider keeps its table in a function-local static and reads it from
// any thread.
#pragma once

#include <initializer_list>
#include <string_view>
#include <vector>

namespace cenote::services {

template <typename Handler>
class OperationTable {
 public:
  struct Entry {
    std::string_view name;  // a string literal, so the views handed out never dangle
    Handler handler;
  };

  OperationTable(std::initializer_list<Entry> entries) : entries_(entries) {
    names_.reserve(entries_.size());
    for (const Entry& entry : entries_) names_.push_back(entry.name);
  }

  // The handler of `operation`, or nullptr when the provider does not implement it.
  const Handler* Find(std::string_view operation) const {
    for (const Entry& entry : entries_) {
      if (entry.name == operation) return &entry.handler;
    }
    return nullptr;
  }

  // The operation names, in table order.
  const std::vector<std::string_view>& names() const { return names_; }

 private:
  std::vector<Entry> entries_;
  std::vector<std::string_view> names_;
};

}  // namespace cenote::services
