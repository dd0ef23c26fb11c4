// Reading an operation's input document (aws/provider.hpp conventions), with one set of rules for every
// service. The protocol layer builds documents from the service model, so a member arrives with its
// model type; these readers take it as that type only:
//   string, blob        -> GetString     (a JSON string; never a number or a bool turned into text)
//   integer, long       -> GetInt        (int64, or uint64 up to INT64_MAX; never a double or a string)
//   float, double       -> GetDouble     (a double, or an integer)
//   boolean             -> GetBool
//   timestamp           -> GetInt        (milliseconds since the epoch)
//   structure, map      -> GetObject;    list -> GetArray
// A member that is absent, null or of another type reads as absent (nullopt / nullptr): the parse stage
// has already refused what the model forbids, so a wrong type here is a caller's bug, not a client's.
// The Require* forms answer a missing member with the given error instead.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::services {

inline const boost::json::value* Member(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = o.if_contains(name);
  return v == nullptr || v->is_null() ? nullptr : v;
}

inline std::optional<std::string> GetString(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = Member(o, name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

inline std::optional<std::int64_t> GetInt(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = Member(o, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() &&
      v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return std::nullopt;
}

inline std::optional<double> GetDouble(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = Member(o, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return std::nullopt;
}

inline std::optional<bool> GetBool(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = Member(o, name);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

inline const boost::json::object* GetObject(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = Member(o, name);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

inline const boost::json::array* GetArray(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = Member(o, name);
  return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

// The member, or `missing` when it is absent (or of another type).
inline Result<std::string> RequireString(const boost::json::object& o, std::string_view name, Error missing) {
  if (auto v = GetString(o, name)) return std::move(*v);
  return missing;
}
inline Result<std::int64_t> RequireInt(const boost::json::object& o, std::string_view name, Error missing) {
  if (auto v = GetInt(o, name)) return *v;
  return missing;
}

}  // namespace cenote::services
