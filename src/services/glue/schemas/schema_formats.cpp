// The format dispatch, the compatibility modes and SYNTAX_DIFF (RFC 6902 JSON Patch).
#include "services/glue/schemas/schema_formats.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "common/strings.hpp"

namespace cenote::glue::schemas {

namespace json = boost::json;

std::optional<DataFormat> ParseDataFormat(std::string_view name) {
  if (name == "AVRO") return DataFormat::kAvro;
  if (name == "JSON") return DataFormat::kJson;
  if (name == "PROTOBUF") return DataFormat::kProtobuf;
  return std::nullopt;
}

std::string_view FormatName(DataFormat format) {
  switch (format) {
    case DataFormat::kAvro:
      return "AVRO";
    case DataFormat::kJson:
      return "JSON";
    case DataFormat::kProtobuf:
      return "PROTOBUF";
  }
  return "";
}

Result<std::shared_ptr<const Schema>> ParseSchema(DataFormat format, std::string_view definition) {
  switch (format) {
    case DataFormat::kAvro:
      return ParseAvro(definition);
    case DataFormat::kJson:
      return ParseJsonSchema(definition);
    case DataFormat::kProtobuf:
      return ParseProtobuf(definition);
  }
  return MakeError("InvalidInputException", "Data format is not valid.");
}

bool IsCompatibilityMode(std::string_view mode) {
  for (std::string_view m :
       {"NONE", "DISABLED", "BACKWARD", "BACKWARD_ALL", "FORWARD", "FORWARD_ALL", "FULL", "FULL_ALL"}) {
    if (m == mode) return true;
  }
  return false;
}

std::string CheckCompatibility(std::string_view mode, const Schema& candidate,
                               const std::vector<const Schema*>& previous) {
  if (previous.empty() || mode == "NONE" || mode == "DISABLED") return "";
  const bool all = mode.size() > 4 && mode.substr(mode.size() - 4) == "_ALL";
  const std::string_view base = all ? mode.substr(0, mode.size() - 4) : mode;
  const bool backward = base == "BACKWARD" || base == "FULL";
  const bool forward = base == "FORWARD" || base == "FULL";
  std::vector<const Schema*> against;
  if (all) {
    against = previous;
  } else {
    against.push_back(previous.back());
  }
  for (const Schema* old : against) {
    if (backward) {
      std::string why = candidate.ReadsFrom(*old);
      if (!why.empty()) return "not backward compatible: " + why;
    }
    if (forward) {
      std::string why = old->ReadsFrom(candidate);
      if (!why.empty()) return "not forward compatible: " + why;
    }
  }
  return "";
}

namespace {

std::string EscapeToken(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

void Diff(const json::value& a, const json::value& b, const std::string& path, json::array& ops) {
  if (a == b) return;
  if (a.is_object() && b.is_object()) {
    const json::object& ao = a.get_object();
    const json::object& bo = b.get_object();
    for (const auto& [k, v] : ao) {
      const std::string p = path + "/" + EscapeToken(k);
      if (const json::value* bv = bo.if_contains(k)) {
        Diff(v, *bv, p, ops);
      } else {
        ops.push_back(json::object{{"op", "remove"}, {"path", p}});
      }
    }
    for (const auto& [k, v] : bo) {
      if (ao.if_contains(k) == nullptr) {
        ops.push_back(json::object{{"op", "add"}, {"path", path + "/" + EscapeToken(k)}, {"value", v}});
      }
    }
    return;
  }
  if (a.is_array() && b.is_array()) {
    const json::array& aa = a.get_array();
    const json::array& ba = b.get_array();
    const std::size_t common = std::min(aa.size(), ba.size());
    for (std::size_t i = 0; i < common; ++i) Diff(aa[i], ba[i], path + "/" + std::to_string(i), ops);
    // Removals from the end first, so each index is valid when its operation applies.
    for (std::size_t i = aa.size(); i > common; --i) {
      ops.push_back(json::object{{"op", "remove"}, {"path", path + "/" + std::to_string(i - 1)}});
    }
    for (std::size_t i = common; i < ba.size(); ++i) {
      ops.push_back(json::object{{"op", "add"}, {"path", path + "/" + std::to_string(i)}, {"value", ba[i]}});
    }
    return;
  }
  ops.push_back(json::object{{"op", "replace"}, {"path", path}, {"value", b}});
}

json::value Document(const Schema& s) {
  if (s.format() == DataFormat::kProtobuf) {
    json::array lines;
    for (std::string_view line : SplitString(s.canonical(), '\n')) {
      if (!line.empty()) lines.emplace_back(line);
    }
    return lines;
  }
  return json::parse(s.canonical());
}

}  // namespace

std::string SyntaxDiff(const Schema& first, const Schema& second) {
  json::array ops;
  Diff(Document(first), Document(second), "", ops);
  return json::serialize(ops);
}

}  // namespace cenote::glue::schemas
