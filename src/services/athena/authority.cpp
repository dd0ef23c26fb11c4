// Athena's side of authorization: the action map's lookups (src/services/athena/iam_actions.json). Query
// executions and named queries are named by id alone, but are authorized on their workgroup's ARN.
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

class AthenaAuthority final : public iam::ResourceAuthority {
 public:
  explicit AthenaAuthority(AthenaImpl& athena) : athena_(athena) {}
  std::string_view service() const override { return "athena"; }
  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal&, std::string_view,
                                   std::string_view) const override {
    return iam::ResourceFacts{};  // Athena resources have no resource-based policies
  }
  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override {
    if (name == "QueryExecutionWorkGroup" && args.size() == 1) return athena_.WorkGroupOf(false, args[0]);
    if (name == "NamedQueryWorkGroup" && args.size() == 1) return athena_.WorkGroupOf(true, args[0]);
    return iam::ResourceAuthority::Lookup(name, args);
  }

 private:
  AthenaImpl& athena_;
};

}  // namespace

std::unique_ptr<iam::ResourceAuthority> AthenaImpl::MakeAuthority() {
  return std::make_unique<AthenaAuthority>(*this);
}

Result<std::string> AthenaImpl::WorkGroupOf(bool named_query, const std::string& id) {
  if (!named_query) {
    // Executions in flight and just finished (what polls ask for) are in memory.
    MutexLock lock(mu_);
    if (auto it = active_.find(id); it != active_.end()) {
      return GetString(it->second->doc, "WorkGroup").value_or(kPrimaryWorkGroup);
    }
    if (auto it = finals_.find(id); it != finals_.end()) {
      return GetString(it->second.second, "WorkGroup").value_or(kPrimaryWorkGroup);
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn->QueryOne(named_query ? "SELECT workgroup FROM athena_named_queries WHERE id = ?"
                                          : "SELECT workgroup FROM athena_executions WHERE id = ?",
                              {id}));
  if (!row) return std::string(kPrimaryWorkGroup);
  return store::AsText((*row)[0]);
}

}  // namespace cenote::athena
