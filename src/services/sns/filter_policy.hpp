// A subscription's FilterPolicy, compiled once (the shared event-pattern matcher,
// services/common/event_pattern.hpp, in its SNS dialects): over the message attributes (FilterPolicyScope
// MessageAttributes, the default) or over the JSON message body (MessageBody). The dialects carry SNS's
// validation and its limits (5 keys, 150 combinations); the policy's size limit (256 KiB) is checked here.
//
// Thread safety: immutable after Parse; Matches may run on many threads at once.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "services/common/event_pattern.hpp"

namespace cenote::sns {

struct MessageAttribute;

class FilterPolicy {
 public:
  // `scope` is "MessageAttributes" or "MessageBody". Errors: InvalidParameter in SNS's words.
  static Result<std::shared_ptr<const FilterPolicy>> Parse(std::string_view policy, std::string_view scope);

  // Attribute scope: the message's attributes; body scope: the message body (a body that is not a JSON
  // object matches nothing).
  bool Matches(const std::map<std::string, MessageAttribute>& attributes, std::string_view message) const;

  explicit FilterPolicy(services::EventPattern pattern, bool body)
      : pattern_(std::move(pattern)), body_(body) {}

 private:
  services::EventPattern pattern_;
  bool body_;
};

}  // namespace cenote::sns
