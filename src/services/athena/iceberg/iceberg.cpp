#include "services/athena/iceberg/iceberg.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <type_traits>

#include "common/strings.hpp"

namespace cenote::athena::iceberg {

namespace {

Error BadData(const std::string& message) {
  return MakeError("ICEBERG_BAD_DATA", "ICEBERG_BAD_DATA: " + message);
}
Error NotSupported(const std::string& message) {
  return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: " + message);
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && ((s.front() == '"' && s.back() == '"') || (s.front() == '`' && s.back() == '`')))
    return s.substr(1, s.size() - 2);
  return s;
}

std::int64_t Int(const json::object& o, std::string_view key, std::int64_t fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return fallback;
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

const json::array* Arr(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

// A field of an Iceberg Avro schema.
json::object AvroField(const std::string& name, json::value type, int field_id) {
  return json::object{{"name", name}, {"type", std::move(type)}, {"field-id", field_id}};
}
json::object OptionalAvroField(const std::string& name, json::value type, int field_id) {
  return json::object{{"name", name},
                      {"type", json::array{"null", std::move(type)}},
                      {"default", nullptr},
                      {"field-id", field_id}};
}

json::array SchemaFieldsJson(const std::vector<Column>& columns) {
  json::array out;
  for (const auto& c : columns) {
    out.push_back(json::object{{"id", c.id}, {"name", c.name}, {"required", c.required}, {"type", c.type}});
  }
  return out;
}

std::int64_t Get(const avro::Value* v, std::int64_t fallback = 0) {
  return v && !v->is_null() ? v->integer : fallback;
}

bool IsIntegral(const std::string& t) { return t == "int" || t == "long"; }
bool IsTemporal(const std::string& t) { return t == "date" || t == "timestamp" || t == "timestamptz"; }

}  // namespace

std::optional<std::int64_t> ParseDate(std::string_view text) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::sscanf(std::string(text).c_str(), "%d-%u-%u", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 ||
      d > 31)
    return std::nullopt;
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::string FormatDate(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

Result<TransformTerm> ParseTransformTerm(std::string_view raw) {
  std::string text = Trim(raw);
  TransformTerm t;
  auto open = text.find('(');
  if (open == std::string::npos) {
    t.transform = "identity";
    t.column = AsciiLower(Unquote(text));
    if (t.column.empty()) return MakeError("INVALID_TABLE_PROPERTY", "Invalid partition field: " + text);
    return t;
  }
  if (text.back() != ')') return MakeError("INVALID_TABLE_PROPERTY", "Invalid partition field: " + text);
  std::string fn = AsciiLower(Trim(text.substr(0, open)));
  std::string args = text.substr(open + 1, text.size() - open - 2);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto comma = args.find(',', start);
    parts.push_back(Trim(args.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (fn == "years" || fn == "year")
    fn = "year";
  else if (fn == "months" || fn == "month")
    fn = "month";
  else if (fn == "days" || fn == "day")
    fn = "day";
  else if (fn == "hours" || fn == "hour")
    fn = "hour";
  if (fn == "year" || fn == "month" || fn == "day" || fn == "hour") {
    if (parts.size() != 1) return MakeError("INVALID_TABLE_PROPERTY", "Invalid partition field: " + text);
    t.transform = fn;
    t.column = AsciiLower(Unquote(parts[0]));
    return t;
  }
  if (fn == "bucket" || fn == "truncate") {
    if (parts.size() != 2) return MakeError("INVALID_TABLE_PROPERTY", "Invalid partition field: " + text);
    // Athena writes bucket(N, col) / truncate(L, col); Trino's partitioning property writes bucket(col, N).
    std::string a = parts[0], b = parts[1];
    int n = 0;
    auto try_int = [&](const std::string& s) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      return ec == std::errc() && p == s.data() + s.size() && n > 0;
    };
    if (try_int(a)) {
      t.column = AsciiLower(Unquote(b));
    } else if (try_int(b)) {
      t.column = AsciiLower(Unquote(a));
    } else {
      return MakeError("INVALID_TABLE_PROPERTY", "Invalid partition field: " + text);
    }
    t.transform = fn;
    t.param = n;
    return t;
  }
  return MakeError("INVALID_TABLE_PROPERTY", "Invalid partition field: " + text);
}

Result<std::string> IcebergType(const std::string& hive_type) {
  std::string t = AsciiLower(Trim(hive_type));
  if (t == "int" || t == "integer") return std::string("int");
  if (t == "bigint") return std::string("long");
  if (t == "string" || t == "varchar") return std::string("string");
  if (t == "double") return std::string("double");
  if (t == "float" || t == "real") return std::string("float");
  if (t == "boolean") return std::string("boolean");
  if (t == "date") return std::string("date");
  if (t == "timestamp") return std::string("timestamp");
  if (t == "binary" || t == "varbinary") return std::string("binary");
  if (t.rfind("decimal", 0) == 0) {
    if (t == "decimal") return std::string("decimal(10,0)");
    std::string inner = t.substr(7);
    inner.erase(std::remove(inner.begin(), inner.end(), ' '), inner.end());
    return "decimal" + inner;
  }
  if (t == "tinyint" || t == "smallint") {
    return NotSupported("Type not supported for Iceberg: " + t);
  }
  return NotSupported("Iceberg column type '" + t + "' is not supported by Cenote");
}

std::string GlueType(const std::string& t) {
  if (t == "long") return "bigint";
  if (t == "timestamptz") return "timestamp";
  if (t == "uuid" || t == "time") return "string";
  if (t.rfind("fixed", 0) == 0) return "binary";
  return t;
}

Result<json::object> NewMetadata(const std::string& location, const std::string& table_uuid,
                                 const std::vector<std::pair<std::string, std::string>>& hive_columns,
                                 const std::vector<TransformTerm>& partitioning,
                                 const std::vector<std::pair<std::string, std::string>>& properties,
                                 std::int64_t now_ms) {
  std::vector<Column> columns;
  int id = 0;
  for (const auto& [name, type] : hive_columns) {
    CENOTE_ASSIGN_OR_RETURN(auto ice, IcebergType(type));
    columns.push_back({++id, name, ice, false});
  }
  json::array spec_fields;
  int field_id = 999;
  for (const auto& term : partitioning) {
    const Column* source = nullptr;
    for (const auto& c : columns) {
      if (c.name == term.column) source = &c;
    }
    if (source == nullptr) {
      return MakeError("COLUMN_NOT_FOUND",
                       "Column '" + term.column + "' specified in partitioning not found");
    }
    std::string transform = term.transform;
    std::string name = term.column;
    if (term.transform == "bucket") {
      transform = "bucket[" + std::to_string(term.param) + "]";
      name += "_bucket";
    } else if (term.transform == "truncate") {
      transform = "truncate[" + std::to_string(term.param) + "]";
      name += "_trunc";
    } else if (term.transform != "identity") {
      name += "_" + term.transform;
    }
    PartitionField pf{source->id, ++field_id, name, transform};
    CENOTE_RETURN_IF_ERROR(TransformSql(pf, *source, "x"));  // refuses what Cenote cannot compute
    spec_fields.push_back(json::object{
        {"name", name}, {"transform", transform}, {"source-id", source->id}, {"field-id", field_id}});
  }
  json::object props;
  for (const auto& [k, v] : properties) props[k] = v;
  json::object md{
      {"format-version", 2},
      {"table-uuid", table_uuid},
      {"location", location},
      {"last-sequence-number", 0},
      {"last-updated-ms", now_ms},
      {"last-column-id", id},
      {"current-schema-id", 0},
      {"schemas", json::array{json::object{
                      {"type", "struct"}, {"schema-id", 0}, {"fields", SchemaFieldsJson(columns)}}}},
      {"default-spec-id", 0},
      {"partition-specs", json::array{json::object{{"spec-id", 0}, {"fields", std::move(spec_fields)}}}},
      {"last-partition-id", field_id},
      {"default-sort-order-id", 0},
      {"sort-orders", json::array{json::object{{"order-id", 0}, {"fields", json::array{}}}}},
      {"properties", std::move(props)},
      {"current-snapshot-id", -1},
      {"refs", json::object{}},
      {"snapshots", json::array{}},
      {"statistics", json::array{}},
      {"partition-statistics", json::array{}},
      {"snapshot-log", json::array{}},
      {"metadata-log", json::array{}}};
  return md;
}

std::string Serialize(const json::object& metadata) { return json::serialize(metadata); }

Result<json::object> ParseMetadata(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return BadData("table metadata is not a JSON object");
  const json::object& o = v.as_object();
  std::int64_t version = Int(o, "format-version", 0);
  if (version != 1 && version != 2) {
    return NotSupported("Iceberg format version " + std::to_string(version) + " is not supported by Cenote");
  }
  return o;
}

Result<std::vector<Column>> CurrentSchema(const json::object& md) {
  const json::array* fields = nullptr;
  std::int64_t current = Int(md, "current-schema-id", 0);
  if (const json::array* schemas = Arr(md, "schemas")) {
    for (const auto& s : *schemas) {
      if (s.is_object() && Int(s.as_object(), "schema-id", 0) == current)
        fields = Arr(s.as_object(), "fields");
    }
  } else if (const json::value* schema = md.if_contains("schema"); schema && schema->is_object()) {
    fields = Arr(schema->as_object(), "fields");  // v1
  }
  if (fields == nullptr) return BadData("table metadata has no current schema");
  std::vector<Column> out;
  for (const auto& f : *fields) {
    if (!f.is_object()) continue;
    const auto& fo = f.as_object();
    Column c;
    c.id = static_cast<int>(Int(fo, "id", 0));
    c.name = Str(fo, "name");
    const json::value* type = fo.if_contains("type");
    if (type && type->is_string()) {
      c.type = std::string(type->as_string());
    } else {
      c.type = "nested";  // struct, list, map
    }
    if (auto* r = fo.if_contains("required"); r && r->is_bool()) c.required = r->as_bool();
    out.push_back(std::move(c));
  }
  return out;
}

json::object WithSchema(json::object md, const std::vector<Column>& columns) {
  std::int64_t schema_id = 0, last_column = Int(md, "last-column-id", 0);
  if (!md["schemas"].is_array()) md["schemas"] = json::array{};
  for (const auto& sv : md["schemas"].as_array()) {
    if (sv.is_object()) schema_id = std::max(schema_id, Int(sv.as_object(), "schema-id", 0) + 1);
  }
  for (const auto& c : columns) last_column = std::max<std::int64_t>(last_column, c.id);
  md["schemas"].as_array().push_back(
      json::object{{"type", "struct"}, {"schema-id", schema_id}, {"fields", SchemaFieldsJson(columns)}});
  md["current-schema-id"] = schema_id;
  md["last-column-id"] = last_column;
  return md;
}

bool CanPromote(const std::string& from, const std::string& to) {
  if (from == to) return true;
  if (from == "int" && to == "long") return true;
  if (from == "float" && to == "double") return true;
  int p1 = 0, s1 = 0, p2 = 0, s2 = 0;
  if (std::sscanf(from.c_str(), "decimal(%d,%d)", &p1, &s1) == 2 &&
      std::sscanf(to.c_str(), "decimal(%d,%d)", &p2, &s2) == 2)
    return s1 == s2 && p2 >= p1;
  return false;
}

bool ColumnsRenamed(const json::object& md) {
  std::map<std::int64_t, std::string> name_of;
  std::map<std::string, std::int64_t> id_of;
  auto visit = [&](const json::array* fields) {
    if (fields == nullptr) return false;
    for (const auto& f : *fields) {
      if (!f.is_object()) continue;
      std::int64_t id = Int(f.as_object(), "id", 0);
      std::string name = AsciiLower(Str(f.as_object(), "name"));
      if (name_of.emplace(id, name).first->second != name) return true;
      if (id_of.emplace(name, id).first->second != id) return true;
    }
    return false;
  };
  if (const json::array* schemas = Arr(md, "schemas")) {
    for (const auto& sc : *schemas) {
      if (sc.is_object() && visit(Arr(sc.as_object(), "fields"))) return true;
    }
  }
  return false;
}

std::map<std::string, int> NameMapping(const json::object& md) {
  std::map<std::string, int> out;
  const json::value* props = md.if_contains("properties");
  if (props == nullptr || !props->is_object()) return out;
  const json::value* text = props->as_object().if_contains("schema.name-mapping.default");
  if (text == nullptr || !text->is_string()) return out;
  boost::system::error_code ec;
  json::value mapping = json::parse(text->as_string(), ec);
  if (ec || !mapping.is_array()) return out;
  for (const auto& m : mapping.as_array()) {
    if (!m.is_object()) continue;
    const json::value* id = m.as_object().if_contains("field-id");
    const json::array* names = Arr(m.as_object(), "names");
    if (id == nullptr || !id->is_int64() || names == nullptr) continue;
    for (const auto& n : *names)
      if (n.is_string()) out.emplace(AsciiLower(n.as_string()), static_cast<int>(id->as_int64()));
  }
  return out;
}

std::int64_t DefaultSpecId(const json::object& md) { return Int(md, "default-spec-id", 0); }

namespace {

std::vector<PartitionField> SpecFields(const json::array* fields) {
  std::vector<PartitionField> out;
  if (fields == nullptr) return out;
  int next_id = 1000;
  for (const auto& f : *fields) {
    if (!f.is_object()) continue;
    const auto& fo = f.as_object();
    PartitionField p;
    p.source_id = static_cast<int>(Int(fo, "source-id", 0));
    p.field_id = static_cast<int>(Int(fo, "field-id", next_id));
    next_id = p.field_id + 1;
    p.name = Str(fo, "name");
    p.transform = Str(fo, "transform");
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<std::vector<PartitionField>> DefaultSpec(const json::object& md) {
  return SpecOf(md, DefaultSpecId(md));
}

Result<std::vector<PartitionField>> SpecOf(const json::object& md, std::int64_t spec_id) {
  if (const json::array* specs = Arr(md, "partition-specs")) {
    for (const auto& s : *specs) {
      if (s.is_object() && Int(s.as_object(), "spec-id", 0) == spec_id)
        return SpecFields(Arr(s.as_object(), "fields"));
    }
    if (spec_id == DefaultSpecId(md) && specs->empty()) return std::vector<PartitionField>{};
    return BadData("partition spec " + std::to_string(spec_id) + " is not in the table metadata");
  }
  return SpecFields(Arr(md, "partition-spec"));  // v1: the one spec
}

std::vector<std::pair<int, std::vector<PartitionField>>> PartitionSpecs(const json::object& md) {
  std::vector<std::pair<int, std::vector<PartitionField>>> out;
  if (const json::array* specs = Arr(md, "partition-specs")) {
    for (const auto& s : *specs) {
      if (s.is_object())
        out.emplace_back(static_cast<int>(Int(s.as_object(), "spec-id", 0)),
                         SpecFields(Arr(s.as_object(), "fields")));
    }
  } else {
    out.emplace_back(static_cast<int>(DefaultSpecId(md)), SpecFields(Arr(md, "partition-spec")));
  }
  return out;
}

std::optional<std::int64_t> CurrentSnapshotId(const json::object& md) {
  if (const json::value* refs = md.if_contains("refs"); refs && refs->is_object()) {
    if (const json::value* main = refs->as_object().if_contains("main"); main && main->is_object()) {
      std::int64_t id = Int(main->as_object(), "snapshot-id", -1);
      if (id != -1) return id;
    }
  }
  std::int64_t id = Int(md, "current-snapshot-id", -1);
  if (id == -1) return std::nullopt;
  return id;
}

const json::object* FindSnapshot(const json::object& md, std::int64_t snapshot_id) {
  if (const json::array* snaps = Arr(md, "snapshots")) {
    for (const auto& s : *snaps) {
      if (s.is_object() && Int(s.as_object(), "snapshot-id", -2) == snapshot_id) return &s.as_object();
    }
  }
  return nullptr;
}

std::optional<std::int64_t> SnapshotAsOf(const json::object& md, std::int64_t timestamp_ms) {
  std::optional<std::int64_t> out;
  if (const json::array* log = Arr(md, "snapshot-log")) {
    for (const auto& e : *log) {
      if (!e.is_object()) continue;
      if (Int(e.as_object(), "timestamp-ms", 0) <= timestamp_ms) out = Int(e.as_object(), "snapshot-id", -1);
    }
  }
  return out;
}

std::string TableLocation(const json::object& md) { return Str(md, "location"); }

// ---- transforms

Result<std::string> TransformSql(const PartitionField& f, const Column& source, const std::string& c) {
  const std::string& t = source.type;
  if (f.transform == "identity") {
    if (t == "timestamp" || t == "timestamptz" || t == "float" || t == "double" || t == "binary")
      return NotSupported("identity partitioning on " + t + " columns is not supported by Cenote");
    return c;
  }
  if (f.transform == "year" || f.transform == "month" || f.transform == "day" || f.transform == "hour") {
    if (!IsTemporal(t)) {
      return MakeError("INVALID_TABLE_PROPERTY", "Invalid partition field: " + f.transform + "(" +
                                                     source.name + ") requires a date or timestamp column");
    }
    if (f.transform == "year") return "(year(" + c + ") - 1970)";
    if (f.transform == "month") return "((year(" + c + ") - 1970) * 12 + month(" + c + ") - 1)";
    if (f.transform == "day") return "date_diff('day', DATE '1970-01-01', CAST(" + c + " AS DATE))";
    if (t == "date") {
      return MakeError("INVALID_TABLE_PROPERTY",
                       "Invalid partition field: hour(" + source.name + ") on a date");
    }
    return "CAST(floor(epoch_us(" + c + ") / 3600000000.0) AS BIGINT)";
  }
  if (f.transform.rfind("truncate[", 0) == 0) {
    std::string w = f.transform.substr(9, f.transform.size() - 10);
    if (IsIntegral(t)) return "(" + c + " - mod(mod(" + c + ", " + w + ") + " + w + ", " + w + "))";
    if (t == "string") return "substr(" + c + ", 1, " + w + ")";
    return NotSupported("truncate partitioning on " + t + " columns is not supported by Cenote");
  }
  if (f.transform.rfind("bucket[", 0) == 0) {
    // Spec "Appendix B": ints, dates and timestamps hash as longs (days, microseconds), strings and
    // binary as their bytes, decimals as their unscaled value.
    std::string n = f.transform.substr(7, f.transform.size() - 8);
    if (IsIntegral(t)) return "__cenote_iceberg_bucket(CAST(" + c + " AS BIGINT), " + n + ")";
    if (t == "date")
      return "__cenote_iceberg_bucket(date_diff('day', DATE '1970-01-01', " + c + "), " + n + ")";
    if (t == "timestamp" || t == "timestamptz")
      return "__cenote_iceberg_bucket(epoch_us(" + c + "), " + n + ")";
    if (t == "string") return "__cenote_iceberg_bucket(CAST(" + c + " AS VARCHAR), " + n + ")";
    if (t == "binary") return "__cenote_iceberg_bucket(CAST(" + c + " AS BLOB), " + n + ")";
    if (t.rfind("decimal", 0) == 0)
      return "__cenote_iceberg_bucket_unscaled(replace(CAST(" + c + " AS VARCHAR), '.', ''), " + n + ")";
    return MakeError("INVALID_TABLE_PROPERTY", "Invalid partition field: bucket(" + n + ", " + source.name +
                                                   ") is not supported for " + GlueType(t) + " columns");
  }
  return NotSupported("partition transform '" + f.transform + "' is not supported by Cenote");
}

namespace {

// The Iceberg type of a partition field's values.
std::string ResultType(const PartitionField& f, const Column& source) {
  if (f.transform == "identity" || f.transform.rfind("truncate[", 0) == 0) return source.type;
  if (f.transform == "day") return "date";
  return "int";  // year, month, hour, bucket
}

}  // namespace

json::value PartitionAvroType(const PartitionField& f, const Column& source) {
  std::string t = ResultType(f, source);
  json::value inner;
  if (t == "date") {
    inner = json::object{{"type", "int"}, {"logicalType", "date"}};
  } else if (t == "int" || t == "long" || t == "string" || t == "boolean" || t == "float" || t == "double") {
    inner = json::value(t);
  } else {
    inner = json::value("string");
  }
  return json::array{"null", std::move(inner)};
}

Result<avro::Value> PartitionValue(const PartitionField& f, const Column& source, const std::string& text) {
  if (text == "__HIVE_DEFAULT_PARTITION__") return avro::Value::Null();
  std::string t = ResultType(f, source);
  if (t == "int" || t == "long" || t == "date") {
    if (t == "date" && f.transform == "identity") {
      auto d = ParseDate(text);
      if (!d) return BadData("bad date partition value '" + text + "'");
      return avro::Value::Int(*d);
    }
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || p != text.data() + text.size()) {
      return BadData("bad partition value '" + text + "' for " + f.name);
    }
    return t == "long" ? avro::Value::Long(n) : avro::Value::Int(n);
  }
  if (t == "boolean") return avro::Value::Bool(AsciiLower(text) == "true");
  return avro::Value::String(text);
}

std::string PartitionText(const PartitionField& f, const avro::Value& v) {
  if (v.is_null()) return "null";
  if (f.transform == "day") return FormatDate(v.integer);
  switch (v.type) {
    case avro::Type::kBoolean:
      return v.boolean ? "true" : "false";
    case avro::Type::kInt:
    case avro::Type::kLong:
      return std::to_string(v.integer);
    case avro::Type::kFloat:
    case avro::Type::kDouble:
      return std::to_string(v.real);
    default:
      return v.bytes;
  }
}

// ---- manifests

std::optional<std::string> BoundText(const std::string& type, std::string_view bytes) {
  auto little = [&](std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    return v;
  };
  auto signed_of = [&]() -> std::optional<std::int64_t> {
    if (bytes.size() == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(little(4)));
    if (bytes.size() == 8) return static_cast<std::int64_t>(little(8));
    return std::nullopt;
  };
  auto micros_text = [](std::int64_t us, bool with_date) {
    std::int64_t days = us >= 0 ? us / 86400000000LL : -((-us + 86399999999LL) / 86400000000LL);
    std::int64_t rem = us - days * 86400000000LL;
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%06d", static_cast<int>(rem / 3600000000LL),
                  static_cast<int>(rem / 60000000 % 60), static_cast<int>(rem / 1000000 % 60),
                  static_cast<int>(rem % 1000000));
    return with_date ? FormatDate(days) + " " + buf : std::string(buf);
  };
  if (type == "boolean") {
    if (bytes.size() != 1) return std::nullopt;
    return std::string(bytes[0] != 0 ? "true" : "false");
  }
  if (type == "int" || type == "long") {
    if (type == "int" && bytes.size() != 4) return std::nullopt;
    auto v = signed_of();
    if (!v) return std::nullopt;
    return std::to_string(*v);
  }
  if (type == "date") {
    if (bytes.size() != 4) return std::nullopt;
    return FormatDate(*signed_of());
  }
  if (type == "time" || type == "timestamp" || type == "timestamptz") {
    if (bytes.size() != 8) return std::nullopt;
    return micros_text(*signed_of(), type != "time");
  }
  if (type == "float" || type == "double") {
    double d = 0;
    if (bytes.size() == 4) {
      std::uint32_t bits = static_cast<std::uint32_t>(little(4));
      float f = 0;
      std::memcpy(&f, &bits, sizeof(f));
      d = f;
    } else if (bytes.size() == 8 && type == "double") {
      std::uint64_t bits = little(8);
      std::memcpy(&d, &bits, sizeof(d));
    } else {
      return std::nullopt;
    }
    if (std::isnan(d)) return std::nullopt;
    if (std::isinf(d)) return std::string(d > 0 ? "Infinity" : "-Infinity");
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.17g", d);
    return std::string(buf);
  }
  if (type == "string") {
    if (bytes.find('\0') != std::string_view::npos) return std::nullopt;
    return std::string(bytes);
  }
  if (type.rfind("decimal(", 0) == 0) {
    // The unscaled value, big-endian two's complement in the fewest bytes; the scale is the type's.
    auto comma = type.find(',');
    if (comma == std::string::npos || bytes.empty() || bytes.size() > 16) return std::nullopt;
    int scale = std::atoi(type.c_str() + comma + 1);
    if (scale < 0 || scale > 38) return std::nullopt;
    unsigned __int128 u =
        static_cast<unsigned char>(bytes[0]) & 0x80 ? ~static_cast<unsigned __int128>(0) : 0;
    for (char c : bytes) u = (u << 8) | static_cast<unsigned char>(c);
    const bool negative = static_cast<__int128>(u) < 0;
    if (negative) u = ~u + 1;
    std::string digits;
    do {
      digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
      u /= 10;
    } while (u != 0);
    if (scale > 0) {
      if (digits.size() <= static_cast<std::size_t>(scale))
        digits.insert(0, static_cast<std::size_t>(scale) + 1 - digits.size(), '0');
      digits.insert(digits.size() - static_cast<std::size_t>(scale), ".");
    }
    return negative ? "-" + digits : digits;
  }
  return std::nullopt;
}

namespace {

// An int-keyed map of data_file (spec "Manifests": column metrics) as Iceberg writes it in Avro: an array
// of key / value records, with the key and value field ids.
json::object MetricsMapType(const char* value_type, int key_id, int value_id) {
  return json::object{
      {"type", "array"},
      {"logicalType", "map"},
      {"items", json::object{{"type", "record"},
                             {"name", "k" + std::to_string(key_id) + "_v" + std::to_string(value_id)},
                             {"fields", json::array{AvroField("key", "int", key_id),
                                                    AvroField("value", value_type, value_id)}}}}};
}

template <typename V>
avro::Value MetricsMap(const std::map<int, V>& m) {
  if (m.empty()) return avro::Value::Null();
  std::vector<avro::Value> items;
  for (const auto& [id, v] : m) {
    avro::Value value;
    if constexpr (std::is_same_v<V, std::string>) {
      value = avro::Value::Bytes(v);
    } else {
      value = avro::Value::Long(v);
    }
    items.push_back(avro::Value::Record({{"key", avro::Value::Int(id)}, {"value", std::move(value)}}));
  }
  return avro::Value::Array(std::move(items));
}

std::string ManifestSchema(const std::vector<PartitionField>& spec, const std::vector<Column>& columns) {
  json::array partition_fields;
  for (const auto& f : spec) {
    Column source;
    for (const auto& c : columns) {
      if (c.id == f.source_id) source = c;
    }
    json::object field{{"name", f.name},
                       {"type", PartitionAvroType(f, source)},
                       {"default", nullptr},
                       {"field-id", f.field_id}};
    partition_fields.push_back(std::move(field));
  }
  json::array data_file_fields{
      AvroField("content", "int", 134),
      AvroField("file_path", "string", 100),
      AvroField("file_format", "string", 101),
      AvroField("partition",
                json::object{{"type", "record"}, {"name", "r102"}, {"fields", std::move(partition_fields)}},
                102),
      AvroField("record_count", "long", 103),
      AvroField("file_size_in_bytes", "long", 104),
      OptionalAvroField("value_counts", MetricsMapType("long", 119, 120), 109),
      OptionalAvroField("null_value_counts", MetricsMapType("long", 121, 122), 110),
      OptionalAvroField("nan_value_counts", MetricsMapType("long", 138, 139), 137),
      OptionalAvroField("lower_bounds", MetricsMapType("bytes", 126, 127), 125),
      OptionalAvroField("upper_bounds", MetricsMapType("bytes", 129, 130), 128),
      OptionalAvroField("equality_ids",
                        json::object{{"type", "array"}, {"items", "int"}, {"element-id", 136}}, 135),
  };
  json::array entry_fields{
      AvroField("status", "int", 0),
      OptionalAvroField("snapshot_id", "long", 1),
      OptionalAvroField("sequence_number", "long", 3),
      OptionalAvroField("file_sequence_number", "long", 4),
      AvroField("data_file",
                json::object{{"type", "record"}, {"name", "r2"}, {"fields", std::move(data_file_fields)}}, 2),
  };
  return json::serialize(
      json::object{{"type", "record"}, {"name", "manifest_entry"}, {"fields", std::move(entry_fields)}});
}

std::string ManifestListSchema() {
  json::array summary_fields{
      AvroField("contains_null", "boolean", 509),
      OptionalAvroField("contains_nan", "boolean", 518),
      OptionalAvroField("lower_bound", "bytes", 510),
      OptionalAvroField("upper_bound", "bytes", 511),
  };
  json::array fields{
      AvroField("manifest_path", "string", 500),
      AvroField("manifest_length", "long", 501),
      AvroField("partition_spec_id", "int", 502),
      AvroField("content", "int", 517),
      AvroField("sequence_number", "long", 515),
      AvroField("min_sequence_number", "long", 516),
      AvroField("added_snapshot_id", "long", 503),
      AvroField("added_files_count", "int", 504),
      AvroField("existing_files_count", "int", 505),
      AvroField("deleted_files_count", "int", 506),
      AvroField("added_rows_count", "long", 512),
      AvroField("existing_rows_count", "long", 513),
      AvroField("deleted_rows_count", "long", 514),
      OptionalAvroField("partitions",
                        json::object{{"type", "array"},
                                     {"items", json::object{{"type", "record"},
                                                            {"name", "r508"},
                                                            {"fields", std::move(summary_fields)}}},
                                     {"element-id", 508}},
                        507),
      OptionalAvroField("key_metadata", "bytes", 519),
  };
  return json::serialize(
      json::object{{"type", "record"}, {"name", "manifest_file"}, {"fields", std::move(fields)}});
}

json::array SpecJson(const std::vector<PartitionField>& spec) {
  json::array out;
  for (const auto& f : spec) {
    out.push_back(json::object{
        {"name", f.name}, {"transform", f.transform}, {"source-id", f.source_id}, {"field-id", f.field_id}});
  }
  return out;
}

}  // namespace

Result<std::string> WriteManifest(const json::object& md, std::int64_t snapshot_id,
                                  const std::vector<DataFile>& files, int content, std::int64_t spec_id) {
  std::vector<ManifestEntry> entries;
  for (const auto& f : files) {
    ManifestEntry e;
    e.status = 1;
    e.snapshot_id = snapshot_id;
    e.file = f;
    entries.push_back(std::move(e));
  }
  return WriteManifestEntries(md, entries, content, spec_id);
}

Result<std::string> WriteManifestEntries(const json::object& md, const std::vector<ManifestEntry>& entries,
                                         int content, std::int64_t spec_id) {
  CENOTE_ASSIGN_OR_RETURN(auto columns, CurrentSchema(md));
  if (spec_id < 0) spec_id = DefaultSpecId(md);
  CENOTE_ASSIGN_OR_RETURN(auto spec, SpecOf(md, spec_id));
  std::vector<avro::Value> records;
  for (const auto& e : entries) {
    const DataFile& f = e.file;
    std::vector<std::pair<std::string, avro::Value>> partition;
    for (const auto& pf : spec) {
      avro::Value v;
      for (const auto& [name, value] : f.partition) {
        if (name == pf.name) v = value;
      }
      partition.emplace_back(pf.name, std::move(v));
    }
    avro::Value data_file = avro::Value::Record({
        {"content", avro::Value::Int(f.content)},
        {"file_path", avro::Value::String(f.path)},
        {"file_format", avro::Value::String(f.format)},
        {"partition", avro::Value::Record(std::move(partition))},
        {"record_count", avro::Value::Long(f.record_count)},
        {"file_size_in_bytes", avro::Value::Long(f.size)},
        {"value_counts", MetricsMap(f.value_counts)},
        {"null_value_counts", MetricsMap(f.null_value_counts)},
        {"nan_value_counts", MetricsMap(f.nan_value_counts)},
        {"lower_bounds", MetricsMap(f.lower_bounds)},
        {"upper_bounds", MetricsMap(f.upper_bounds)},
        {"equality_ids", avro::Value::Null()},
    });
    if (f.content == 2) {
      std::vector<avro::Value> ids;
      for (int id : f.equality_ids) ids.push_back(avro::Value::Int(id));
      data_file.fields.back().second = avro::Value::Array(std::move(ids));
    }
    // Spec "Sequence Number Inheritance": an ADDED entry's sequence numbers are null (the manifest's);
    // EXISTING and DELETED entries keep the ones the file was added with.
    const bool added = e.status == 1;
    records.push_back(avro::Value::Record({
        {"status", avro::Value::Int(e.status)},
        {"snapshot_id", avro::Value::Long(e.snapshot_id)},
        {"sequence_number", added ? avro::Value::Null() : avro::Value::Long(e.sequence_number)},
        {"file_sequence_number", added ? avro::Value::Null() : avro::Value::Long(e.file_sequence_number)},
        {"data_file", std::move(data_file)},
    }));
  }
  json::object schema_json{{"type", "struct"},
                           {"schema-id", Int(md, "current-schema-id", 0)},
                           {"fields", SchemaFieldsJson(columns)}};
  std::map<std::string, std::string> meta{
      {"schema", json::serialize(schema_json)},
      {"schema-id", std::to_string(Int(md, "current-schema-id", 0))},
      {"partition-spec", json::serialize(SpecJson(spec))},
      {"partition-spec-id", std::to_string(spec_id)},
      {"format-version", "2"},
      {"content", content == 0 ? "data" : "deletes"},
  };
  return avro::WriteContainer(ManifestSchema(spec, columns), records, meta);
}

Result<std::vector<ManifestEntry>> ReadManifest(std::string_view bytes, const ManifestFile& listed) {
  CENOTE_ASSIGN_OR_RETURN(auto file, avro::ReadContainer(bytes));
  std::vector<ManifestEntry> out;
  for (const auto& r : file.records) {
    ManifestEntry e;
    e.spec_id = listed.spec_id;
    e.status = static_cast<int>(Get(r.Get("status"), 1));
    const avro::Value* snap = r.Get("snapshot_id");
    e.snapshot_id = snap && !snap->is_null() ? snap->integer : listed.added_snapshot_id;
    const avro::Value* seq = r.Get("sequence_number");
    // Inheritance (spec "Sequence Number Inheritance"): null means the manifest's sequence number; v1
    // manifests have none (0).
    e.sequence_number = seq && !seq->is_null() ? seq->integer : listed.sequence_number;
    const avro::Value* fseq = r.Get("file_sequence_number");
    e.file_sequence_number = fseq && !fseq->is_null() ? fseq->integer : listed.sequence_number;
    const avro::Value* df = r.Get("data_file");
    if (df == nullptr || df->type != avro::Type::kRecord) return BadData("manifest entry without data_file");
    e.file.content = static_cast<int>(Get(df->Get("content"), 0));
    if (const avro::Value* p = df->Get("file_path")) e.file.path = p->bytes;
    if (const avro::Value* p = df->Get("file_format")) e.file.format = AsciiUpper(p->bytes);
    if (const avro::Value* p = df->Get("partition"); p && p->type == avro::Type::kRecord)
      e.file.partition = p->fields;
    e.file.record_count = Get(df->Get("record_count"), 0);
    e.file.size = Get(df->Get("file_size_in_bytes"), 0);
    if (const avro::Value* ids = df->Get("equality_ids"); ids && ids->type == avro::Type::kArray) {
      for (const auto& id : ids->items) e.file.equality_ids.push_back(static_cast<int>(id.integer));
    }
    // Metrics: Avro arrays of {key: field id, value} records (spec "Manifests", int-keyed maps).
    auto each_pair = [&](const char* name, auto&& take) {
      const avro::Value* list = df->Get(name);
      if (list == nullptr || list->type != avro::Type::kArray) return;
      for (const auto& kv : list->items) {
        const avro::Value* key = kv.Get("key");
        const avro::Value* value = kv.Get("value");
        if (key == nullptr || value == nullptr || value->is_null()) continue;
        take(static_cast<int>(key->integer), *value);
      }
    };
    each_pair("value_counts", [&](int id, const avro::Value& v) { e.file.value_counts[id] = v.integer; });
    each_pair("null_value_counts",
              [&](int id, const avro::Value& v) { e.file.null_value_counts[id] = v.integer; });
    each_pair("nan_value_counts",
              [&](int id, const avro::Value& v) { e.file.nan_value_counts[id] = v.integer; });
    each_pair("lower_bounds", [&](int id, const avro::Value& v) { e.file.lower_bounds[id] = v.bytes; });
    each_pair("upper_bounds", [&](int id, const avro::Value& v) { e.file.upper_bounds[id] = v.bytes; });
    if (e.file.path.empty()) return BadData("manifest entry without file_path");
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::string> WriteManifestList(std::int64_t snapshot_id, std::optional<std::int64_t> parent_id,
                                      std::int64_t sequence_number,
                                      const std::vector<ManifestFile>& manifests) {
  std::vector<avro::Value> records;
  for (const auto& m : manifests) {
    avro::Value partitions = avro::Value::Null();
    if (!m.partitions.empty()) {
      std::vector<avro::Value> summaries;
      for (const auto& fs : m.partitions) {
        summaries.push_back(avro::Value::Record({
            {"contains_null", avro::Value::Bool(fs.contains_null)},
            {"contains_nan", fs.contains_nan ? avro::Value::Bool(*fs.contains_nan) : avro::Value::Null()},
            {"lower_bound", fs.lower ? avro::Value::Bytes(*fs.lower) : avro::Value::Null()},
            {"upper_bound", fs.upper ? avro::Value::Bytes(*fs.upper) : avro::Value::Null()},
        }));
      }
      partitions = avro::Value::Array(std::move(summaries));
    }
    records.push_back(avro::Value::Record({
        {"manifest_path", avro::Value::String(m.path)},
        {"manifest_length", avro::Value::Long(m.length)},
        {"partition_spec_id", avro::Value::Int(m.spec_id)},
        {"content", avro::Value::Int(m.content)},
        {"sequence_number", avro::Value::Long(m.sequence_number)},
        {"min_sequence_number", avro::Value::Long(m.min_sequence_number)},
        {"added_snapshot_id", avro::Value::Long(m.added_snapshot_id)},
        {"added_files_count", avro::Value::Int(m.added_files)},
        {"existing_files_count", avro::Value::Int(m.existing_files)},
        {"deleted_files_count", avro::Value::Int(m.deleted_files)},
        {"added_rows_count", avro::Value::Long(m.added_rows)},
        {"existing_rows_count", avro::Value::Long(m.existing_rows)},
        {"deleted_rows_count", avro::Value::Long(m.deleted_rows)},
        {"partitions", std::move(partitions)},
        {"key_metadata", avro::Value::Null()},
    }));
  }
  std::map<std::string, std::string> meta{
      {"snapshot-id", std::to_string(snapshot_id)},
      {"parent-snapshot-id", parent_id ? std::to_string(*parent_id) : "null"},
      {"sequence-number", std::to_string(sequence_number)},
      {"format-version", "2"},
  };
  return avro::WriteContainer(ManifestListSchema(), records, meta);
}

Result<std::vector<ManifestFile>> ReadManifestList(std::string_view bytes) {
  CENOTE_ASSIGN_OR_RETURN(auto file, avro::ReadContainer(bytes));
  std::vector<ManifestFile> out;
  for (const auto& r : file.records) {
    ManifestFile m;
    if (const avro::Value* p = r.Get("manifest_path")) m.path = p->bytes;
    if (m.path.empty()) return BadData("manifest list entry without manifest_path");
    m.length = Get(r.Get("manifest_length"));
    m.spec_id = static_cast<int>(Get(r.Get("partition_spec_id")));
    m.content = static_cast<int>(Get(r.Get("content")));
    m.sequence_number = Get(r.Get("sequence_number"));
    m.min_sequence_number = Get(r.Get("min_sequence_number"));
    m.added_snapshot_id = Get(r.Get("added_snapshot_id"));
    m.added_files = static_cast<int>(Get(r.Get("added_files_count"), Get(r.Get("added_data_files_count"))));
    m.existing_files =
        static_cast<int>(Get(r.Get("existing_files_count"), Get(r.Get("existing_data_files_count"))));
    m.deleted_files =
        static_cast<int>(Get(r.Get("deleted_files_count"), Get(r.Get("deleted_data_files_count"))));
    m.added_rows = Get(r.Get("added_rows_count"));
    m.existing_rows = Get(r.Get("existing_rows_count"));
    m.deleted_rows = Get(r.Get("deleted_rows_count"));
    if (const avro::Value* parts = r.Get("partitions"); parts && parts->type == avro::Type::kArray) {
      for (const auto& summary : parts->items) {
        ManifestFile::FieldSummary fs;
        if (const avro::Value* n = summary.Get("contains_null"); n && n->type == avro::Type::kBoolean)
          fs.contains_null = n->boolean;
        if (const avro::Value* n = summary.Get("contains_nan"); n && n->type == avro::Type::kBoolean)
          fs.contains_nan = n->boolean;
        if (const avro::Value* b = summary.Get("lower_bound"); b && !b->is_null()) fs.lower = b->bytes;
        if (const avro::Value* b = summary.Get("upper_bound"); b && !b->is_null()) fs.upper = b->bytes;
        m.partitions.push_back(std::move(fs));
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

json::object WithAppend(json::object md, std::int64_t snapshot_id, const std::string& manifest_list,
                        const std::vector<DataFile>& added, std::int64_t now_ms,
                        const std::string& previous_metadata) {
  return WithCommit(std::move(md), snapshot_id, manifest_list, added, {}, "append", now_ms,
                    previous_metadata);
}

json::object WithCommit(json::object md, std::int64_t snapshot_id, const std::string& manifest_list,
                        const std::vector<DataFile>& added, const std::vector<DataFile>& added_deletes,
                        const std::string& operation, std::int64_t now_ms,
                        const std::string& previous_metadata) {
  std::optional<std::int64_t> parent = CurrentSnapshotId(md);
  std::int64_t seq = Int(md, "last-sequence-number", 0) + 1;
  std::int64_t total_records = 0, total_size = 0, total_files = 0;
  std::int64_t total_delete_files = 0, total_position_deletes = 0, total_equality_deletes = 0;
  if (parent) {
    if (const json::object* p = FindSnapshot(md, *parent)) {
      if (const json::value* s = p->if_contains("summary"); s && s->is_object()) {
        auto num = [&](const char* k) -> std::int64_t {
          std::string v = Str(s->as_object(), k);
          std::int64_t n = 0;
          std::from_chars(v.data(), v.data() + v.size(), n);
          return n;
        };
        total_records = num("total-records");
        total_size = num("total-files-size");
        total_files = num("total-data-files");
        total_delete_files = num("total-delete-files");
        total_position_deletes = num("total-position-deletes");
        total_equality_deletes = num("total-equality-deletes");
      }
    }
  }
  std::int64_t added_records = 0, added_size = 0, added_position_deletes = 0, added_equality_deletes = 0;
  std::set<std::string> partitions;
  auto count_partition = [&partitions](const DataFile& f) {
    std::string key;
    for (const auto& [name, v] : f.partition)
      key += name + "=" + (v.is_null() ? "null" : v.bytes + std::to_string(v.integer)) + "/";
    partitions.insert(key);
  };
  for (const auto& f : added) {
    added_records += f.record_count;
    added_size += f.size;
    count_partition(f);
  }
  for (const auto& f : added_deletes) {
    (f.content == 2 ? added_equality_deletes : added_position_deletes) += f.record_count;
    added_size += f.size;
    count_partition(f);
  }
  // Spec "Snapshot summary": the added-* members appear when something was added; totals always.
  json::object summary{{"operation", operation}};
  if (!added.empty()) {
    summary["added-data-files"] = std::to_string(added.size());
    summary["added-records"] = std::to_string(added_records);
  }
  if (!added_deletes.empty()) {
    summary["added-delete-files"] = std::to_string(added_deletes.size());
    if (added_position_deletes > 0)
      summary["added-position-deletes"] = std::to_string(added_position_deletes);
    if (added_equality_deletes > 0)
      summary["added-equality-deletes"] = std::to_string(added_equality_deletes);
  }
  summary["added-files-size"] = std::to_string(added_size);
  summary["changed-partition-count"] = std::to_string(partitions.size());
  summary["total-records"] = std::to_string(total_records + added_records);
  summary["total-files-size"] = std::to_string(total_size + added_size);
  summary["total-data-files"] = std::to_string(total_files + static_cast<std::int64_t>(added.size()));
  summary["total-delete-files"] =
      std::to_string(total_delete_files + static_cast<std::int64_t>(added_deletes.size()));
  summary["total-position-deletes"] = std::to_string(total_position_deletes + added_position_deletes);
  summary["total-equality-deletes"] = std::to_string(total_equality_deletes + added_equality_deletes);
  json::object snapshot{{"snapshot-id", snapshot_id}};
  if (parent) snapshot["parent-snapshot-id"] = *parent;
  snapshot["sequence-number"] = seq;
  snapshot["timestamp-ms"] = now_ms;
  snapshot["summary"] = std::move(summary);
  snapshot["manifest-list"] = manifest_list;
  snapshot["schema-id"] = Int(md, "current-schema-id", 0);
  if (!md["snapshots"].is_array()) md["snapshots"] = json::array{};
  md["snapshots"].as_array().push_back(std::move(snapshot));
  if (!md["snapshot-log"].is_array()) md["snapshot-log"] = json::array{};
  md["snapshot-log"].as_array().push_back(
      json::object{{"timestamp-ms", now_ms}, {"snapshot-id", snapshot_id}});
  if (!previous_metadata.empty()) {
    if (!md["metadata-log"].is_array()) md["metadata-log"] = json::array{};
    md["metadata-log"].as_array().push_back(json::object{{"timestamp-ms", Int(md, "last-updated-ms", now_ms)},
                                                         {"metadata-file", previous_metadata}});
  }
  md["current-snapshot-id"] = snapshot_id;
  md["refs"] = json::object{{"main", json::object{{"snapshot-id", snapshot_id}, {"type", "branch"}}}};
  md["last-sequence-number"] = seq;
  md["last-updated-ms"] = now_ms;
  return md;
}

}  // namespace cenote::athena::iceberg
