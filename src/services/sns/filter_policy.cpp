#include "services/sns/filter_policy.hpp"

#include <vector>

#include "services/sns/internal.hpp"

namespace cenote::sns {

inline constexpr std::size_t kMaxFilterPolicyBytes = 256 * 1024;

Result<std::shared_ptr<const FilterPolicy>> FilterPolicy::Parse(std::string_view policy,
                                                                std::string_view scope) {
  if (policy.size() > kMaxFilterPolicyBytes) {
    return MakeError(errors::kInvalidParameter, {"FilterPolicy: Filter policy is too long"});
  }
  const bool body = scope == "MessageBody";
  CENOTE_ASSIGN_OR_RETURN(
      services::EventPattern pattern,
      services::EventPattern::Parse(policy, body ? services::PatternDialect::kSnsMessageBody
                                                 : services::PatternDialect::kSnsMessageAttributes));
  return std::make_shared<const FilterPolicy>(std::move(pattern), body);
}

bool FilterPolicy::Matches(const std::map<std::string, MessageAttribute>& attributes,
                           std::string_view message) const {
  if (body_) {
    boost::system::error_code ec;
    json::value v = json::parse(message, ec);
    if (ec || !v.is_object()) return false;
    return pattern_.Matches(v);
  }
  std::vector<services::TypedAttribute> typed;
  typed.reserve(attributes.size());
  for (const auto& [name, a] : attributes) {
    typed.push_back(services::TypedAttribute{.name = name, .data_type = a.type, .string_value = a.value});
  }
  return pattern_.Matches(json::value(services::MessageAttributesAsEvent(typed)));
}

}  // namespace cenote::sns
