// Event selectors (AWS's "Logging data events" and "Filtering data events by using advanced event
// selectors"): which events a trail logs. Basic selectors: ReadWriteType, IncludeManagementEvents,
// ExcludeManagementEventSources and DataResources (AWS::S3::Object by bucket/prefix ARN, "arn:aws:s3" for
// every bucket; Lambda functions and DynamoDB tables by ARN). Advanced selectors: a selector logs an event
// when each of its field selectors holds; a field selector holds when every operator it carries holds
// (Equals / StartsWith / EndsWith: one of the values; NotEquals / NotStartsWith / NotEndsWith: none).
#include <set>

#include "services/cloudtrail/event_record.hpp"
#include "services/cloudtrail/internal.hpp"

namespace cenote::cloudtrail {

namespace {

const std::set<std::string, std::less<>> kBasicDataTypes = {"AWS::S3::Object", "AWS::Lambda::Function",
                                                            "AWS::DynamoDB::Table"};
const std::set<std::string, std::less<>> kAdvancedFields = {
    "eventCategory",  "eventSource",   "eventName",        "eventType", "readOnly",
    "resources.type", "resources.ARN", "userIdentity.arn", "errorCode", "sessionCredentialFromConsole",
    "eventTypeName"};
const std::vector<std::string_view> kOperators = {"Equals",    "StartsWith",    "EndsWith",
                                                  "NotEquals", "NotStartsWith", "NotEndsWith"};

std::string Str(const json::object& o, std::string_view name) { return GetString(o, name).value_or(""); }

bool FieldHolds(const json::object& field, std::string_view value) {
  for (std::string_view op : kOperators) {
    const json::array* values = GetArray(field, op);
    if (values == nullptr) continue;
    bool any = false;
    for (const auto& v : *values) {
      if (!v.is_string()) continue;
      std::string_view s = v.as_string();
      if (op.ends_with("Equals")       ? value == s
          : op.ends_with("StartsWith") ? value.starts_with(s)
                                       : value.ends_with(s)) {
        any = true;
        break;
      }
    }
    if (op.starts_with("Not") ? any : !any) return false;
  }
  return true;
}

bool AdvancedMatch(const json::object& selector, const EventSummary& event) {
  const json::array* fields = GetArray(selector, "FieldSelectors");
  if (fields == nullptr) return false;
  for (const auto& f : *fields) {
    const json::object& field = f.as_object();
    const json::value* named = field.if_contains("Field");
    const std::string_view name =
        named != nullptr && named->is_string() ? std::string_view(named->as_string()) : std::string_view();
    if (name == "resources.type" || name == "resources.ARN") {
      const bool type = name == "resources.type";
      bool any = false;
      for (std::size_t i = 0; i < event.resources.size() && !any; ++i) {
        any = FieldHolds(field, type ? event.resources[i].type : event.resources[i].arn);
      }
      if (!any) return false;
      continue;
    }
    std::string_view value;
    if (name == "readOnly") {
      value = event.read_only ? "true" : "false";
    } else if (name == "userIdentity.arn") {
      value = event.identity_arn;
    } else if (name == "sessionCredentialFromConsole") {
      value = "false";
    } else if (name == "eventCategory") {
      value = event.data ? "Data" : "Management";
    } else if (name == "eventSource") {
      value = event.event_source;
    } else if (name == "eventName") {
      value = event.event_name;
    } else if (name == "eventType") {
      value = "AwsApiCall";
    } else if (name == "errorCode") {
      value = event.error_code;
    }
    if (!FieldHolds(field, value)) return false;
  }
  return true;
}

bool BasicMatch(const json::object& selector, const EventSummary& event) {
  const std::string rw = GetString(selector, "ReadWriteType").value_or("All");
  if ((rw == "ReadOnly" && !event.read_only) || (rw == "WriteOnly" && event.read_only)) return false;
  if (!event.data) {
    if (!GetBool(selector, "IncludeManagementEvents").value_or(true)) return false;
    if (const json::array* excluded = GetArray(selector, "ExcludeManagementEventSources")) {
      for (const auto& s : *excluded) {
        if (s.is_string() && s.as_string() == event.event_source) return false;
      }
    }
    return true;
  }
  const json::array* data = GetArray(selector, "DataResources");
  if (data == nullptr || event.resources.empty()) return false;
  for (const auto& d : *data) {
    const std::string type = Str(d.as_object(), "Type");
    const json::array* values = GetArray(d.as_object(), "Values");
    if (values == nullptr) continue;
    for (const auto& r : event.resources) {
      const std::string& arn = r.arn;
      const std::string& rtype = r.type;
      // An S3 object selector also covers its bucket's object-level calls that name no key (ListObjects).
      if (type != rtype && !(type == "AWS::S3::Object" && rtype == "AWS::S3::Bucket")) continue;
      for (const auto& v : *values) {
        if (!v.is_string()) continue;
        std::string_view value = v.as_string();
        if (value == "arn:aws:s3" || value == "arn:aws:s3:::" || value == "arn:aws:lambda" ||
            value == "arn:aws:dynamodb") {
          if (arn.starts_with(value)) return true;
          continue;
        }
        if (rtype == "AWS::S3::Bucket") {
          // "arn:aws:s3:::bucket/" or "arn:aws:s3:::bucket/prefix" selects the bucket's listings.
          if (value.size() > arn.size() && value.starts_with(arn) && value[arn.size()] == '/') return true;
          continue;
        }
        if (type == "AWS::S3::Object" ? std::string_view(arn).starts_with(value) : arn == value) return true;
      }
    }
  }
  return false;
}

}  // namespace

Selectors Selectors::Default() {
  Selectors s;
  s.basic.push_back(json::object{{"ReadWriteType", "All"},
                                 {"IncludeManagementEvents", true},
                                 {"DataResources", json::array()},
                                 {"ExcludeManagementEventSources", json::array()}});
  return s;
}

bool Selectors::SelectsData() const {
  if (advanced) {
    for (const auto& s : advanced_selectors) {
      bool management_only = false;
      if (const json::array* fields = GetArray(s.as_object(), "FieldSelectors")) {
        for (const auto& f : *fields) {
          const json::object& field = f.as_object();
          if (Str(field, "Field") == "eventCategory" && FieldHolds(field, "Management") &&
              !FieldHolds(field, "Data")) {
            management_only = true;
          }
        }
      }
      if (!management_only) return true;
    }
    return false;
  }
  for (const auto& s : basic) {
    const json::array* data = GetArray(s.as_object(), "DataResources");
    if (data != nullptr && !data->empty()) return true;
  }
  return false;
}

Result<Selectors> ParseSelectors(const json::object& params) {
  const json::array* basic = GetArray(params, "EventSelectors");
  const json::array* advanced = GetArray(params, "AdvancedEventSelectors");
  if (basic != nullptr && advanced != nullptr) {
    return services::MakeError(errors::kInvalidCombination,
                               {"You cannot specify both EventSelectors and AdvancedEventSelectors."});
  }
  if (basic == nullptr && advanced == nullptr) {
    return services::MakeError(errors::kInvalidEventSelectors,
                               {"You must specify either EventSelectors or AdvancedEventSelectors."});
  }
  Selectors out;
  if (basic != nullptr) {
    if (basic->empty() || basic->size() > 5) {
      return services::MakeError(errors::kInvalidEventSelectors,
                                 {"You can specify from 1 to 5 event selectors for a trail."});
    }
    std::size_t values = 0;
    for (const auto& s : *basic) {
      const json::object& in = s.as_object();
      json::object sel;
      sel["ReadWriteType"] = GetString(in, "ReadWriteType").value_or("All");
      sel["IncludeManagementEvents"] = GetBool(in, "IncludeManagementEvents").value_or(true);
      json::array data;
      if (const json::array* resources = GetArray(in, "DataResources")) {
        for (const auto& r : *resources) {
          const std::string type = Str(r.as_object(), "Type");
          if (!kBasicDataTypes.contains(type)) {
            return services::MakeError(errors::kInvalidEventSelectors,
                                       {"Value " + type + " for parameter DataResources.Type is invalid."});
          }
          json::array vals;
          if (const json::array* v = GetArray(r.as_object(), "Values")) {
            for (const auto& x : *v) {
              std::string value(x.as_string());
              const bool s3 = type == "AWS::S3::Object";
              if (s3 && value != "arn:aws:s3" && value != "arn:aws:s3:::" &&
                  (!value.starts_with("arn:aws:s3:::") || value.find('/') == std::string::npos)) {
                return services::MakeError(
                    errors::kInvalidEventSelectors,
                    {"Value " + value + " for parameter DataResources.Values is invalid."});
              }
              vals.push_back(json::string(value));
              ++values;
            }
          }
          data.push_back(json::object{{"Type", type}, {"Values", std::move(vals)}});
        }
      }
      if (values > 250) {
        return services::MakeError(errors::kInvalidEventSelectors,
                                   {"You can specify up to 250 data resources for a trail."});
      }
      sel["DataResources"] = std::move(data);
      json::array excluded;
      if (const json::array* ex = GetArray(in, "ExcludeManagementEventSources")) excluded = *ex;
      sel["ExcludeManagementEventSources"] = std::move(excluded);
      out.basic.push_back(std::move(sel));
    }
    return out;
  }
  out.advanced = true;
  if (advanced->empty() || advanced->size() > 500) {
    return services::MakeError(errors::kInvalidEventSelectors,
                               {"You can specify from 1 to 500 advanced event selectors for a trail."});
  }
  for (const auto& s : *advanced) {
    const json::object& in = s.as_object();
    const json::array* fields = GetArray(in, "FieldSelectors");
    bool category = false;
    for (std::size_t i = 0; fields != nullptr && i < fields->size(); ++i) {
      const json::object& f = (*fields)[i].as_object();
      const std::string name = Str(f, "Field");
      if (!kAdvancedFields.contains(name)) {
        return services::MakeError(
            errors::kInvalidEventSelectors,
            {"Field " + name + " is not a valid field for an advanced event selector."});
      }
      bool any_operator = false;
      for (std::string_view op : kOperators) any_operator = any_operator || GetArray(f, op) != nullptr;
      if (!any_operator) {
        return services::MakeError(errors::kInvalidEventSelectors,
                                   {"Field selector " + name + " must have at least one operator."});
      }
      if (name == "eventCategory") category = true;
    }
    if (!category) {
      return services::MakeError(
          errors::kInvalidEventSelectors,
          {"Each advanced event selector must include a field selector for eventCategory."});
    }
    out.advanced_selectors.push_back(in);
  }
  return out;
}

bool SelectorsMatch(const Selectors& selectors, const json::object& event) {
  return SelectorsMatch(selectors, SummaryOf(event));
}

bool SelectorsMatch(const Selectors& selectors, const EventSummary& event) {
  if (selectors.advanced) {
    for (const auto& s : selectors.advanced_selectors) {
      if (AdvancedMatch(s.as_object(), event)) return true;
    }
    return false;
  }
  for (const auto& s : selectors.basic) {
    if (BasicMatch(s.as_object(), event)) return true;
  }
  return false;
}

}  // namespace cenote::cloudtrail
