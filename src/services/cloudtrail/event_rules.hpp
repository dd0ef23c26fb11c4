// The per-service rules of CloudTrail recording, kept as data (event_rules.cpp): data-event operations,
// read-only overrides, unrecorded operations and the members left out of recorded documents.
#pragma once

#include <map>
#include <set>
#include <string>

namespace cenote::cloudtrail {

struct ServiceRules {
  std::set<std::string, std::less<>> data;           // eventCategory "Data"
  std::set<std::string, std::less<>> read_only;      // readOnly true whatever the name says
  std::set<std::string, std::less<>> not_read_only;  // readOnly false whatever the name says
  std::set<std::string, std::less<>> not_recorded;   // CloudTrail records no event
  std::set<std::string, std::less<>> redact_request;
  std::set<std::string, std::less<>> redact_response;
  bool response_null = false;  // responseElements is null for every event of the service
};

// By endpoint prefix. Parsed once; immutable.
const std::map<std::string, ServiceRules, std::less<>>& Rules();

}  // namespace cenote::cloudtrail
