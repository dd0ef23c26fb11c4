// OperationTable: a provider's operations by AWS name, each with its handler. The one list a provider
// dispatches on and reports (SupportedOperations(), Implements()); the coverage docs are generated from
// it too (scripts/coverage_doc.py reads the `{"Name", Handler}` entries, so keep entries in that form).
//
// Every handler has the one signature
//     Result<aws::OperationOutput> Handler(Env& env, const aws::RequestContext& ctx, aws::OperationInput& in)
// where Env is the provider's own state. TableProvider<Env> turns a table into a Provider.
//
// Immutable after construction: a provider keeps its table in a function-local static and reads it from
// any thread.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "aws/provider.hpp"

namespace cenote::services {

template <typename Env>
using Handler = Result<aws::OperationOutput> (*)(Env& env, const aws::RequestContext& ctx,
                                                 aws::OperationInput& input);

template <typename HandlerT>
class OperationTable {
 public:
  struct Entry {
    std::string_view name;  // a string literal, so the views handed out never dangle
    HandlerT handler;
  };

  OperationTable(std::initializer_list<Entry> entries) : entries_(entries) {
    names_.reserve(entries_.size());
    for (const Entry& entry : entries_) names_.push_back(entry.name);
  }

  // The handler of `operation`, or nullptr when the provider does not implement it.
  const HandlerT* Find(std::string_view operation) const {
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

// A provider whose operations are an OperationTable of Handler<Env>: Implements() and Invoke() come from
// the table. The pipeline answers unknown operations and catches exceptions (aws/provider.hpp), so a
// TableProvider does neither.
template <typename Env>
class TableProvider : public aws::Provider {
 public:
  using Table = OperationTable<Handler<Env>>;

  bool Implements(std::string_view operation) const override { return table().Find(operation) != nullptr; }
  Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                      aws::OperationInput& input) override {
    const Handler<Env>* handler = table().Find(operation);
    if (handler == nullptr) {  // the pipeline never gets here (it asks Implements first); direct callers may
      return cenote::MakeError("UnknownOperationException",
                               "Unknown operation " + std::string(operation) + ".", 400);
    }
    return (*handler)(env(), ctx, input);
  }

 protected:
  virtual const Table& table() const = 0;
  virtual Env& env() = 0;
};

}  // namespace cenote::services
