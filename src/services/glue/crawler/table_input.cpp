#include "services/glue/crawler/table_input.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

namespace cenote::glue::crawler {

namespace json = boost::json;

namespace {

constexpr const char* kTextInputFormat = "org.apache.hadoop.mapred.TextInputFormat";
constexpr const char* kTextOutputFormat = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
constexpr const char* kLazySimpleSerDe = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
constexpr const char* kOpenCsvSerde = "org.apache.hadoop.hive.serde2.OpenCSVSerde";
constexpr const char* kJsonSerDe = "org.openx.data.jsonserde.JsonSerDe";
constexpr const char* kParquetInputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
constexpr const char* kParquetOutputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
constexpr const char* kParquetSerDe = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";

json::array ColumnsArray(const std::vector<Column>& columns) {
  json::array out;
  for (const auto& c : columns) out.push_back(json::object{{"Name", c.name}, {"Type", c.type}});
  return out;
}

json::object Parameters(const TableSpec& spec) {
  const FileSchema& s = spec.schema;
  json::object p;
  p["classification"] = s.classification;
  p["compressionType"] = s.compression;
  p["typeOfData"] = "file";
  p["recordCount"] = std::to_string(spec.record_count);
  p["averageRecordSize"] = std::to_string(spec.average_record_size);
  p["objectCount"] = std::to_string(spec.object_count);
  p["sizeKey"] = std::to_string(spec.size_bytes);
  p["UPDATED_BY_CRAWLER"] = spec.crawler_name;
  p["CrawlerSchemaDeserializerVersion"] = "1.0";
  p["CrawlerSchemaSerializerVersion"] = "1.0";
  if (s.classification == "csv") {
    p["delimiter"] = std::string(1, s.delimiter);
    p["areColumnsQuoted"] = s.quoted ? "true" : "false";
    p["columnsOrdered"] = "true";
    if (s.header) p["skip.header.line.count"] = "1";
  }
  return p;
}

const json::object* ObjectAt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

std::string StringAt(const json::object* o, std::string_view key) {
  if (o == nullptr) return "";
  auto it = o->find(key);
  return it != o->end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

// (name, type) pairs of a Columns / PartitionKeys array, names lower-cased as the catalog stores them.
std::vector<std::pair<std::string, std::string>> ColumnPairs(const json::object* o, std::string_view key) {
  std::vector<std::pair<std::string, std::string>> out;
  if (o == nullptr) return out;
  auto it = o->find(key);
  if (it == o->end() || !it->value().is_array()) return out;
  for (const auto& c : it->value().get_array()) {
    if (!c.is_object()) continue;
    std::string name = StringAt(&c.get_object(), "Name");
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
    out.emplace_back(name, StringAt(&c.get_object(), "Type"));
  }
  return out;
}

}  // namespace

json::object BuildStorageDescriptor(const TableSpec& spec, const std::string& location) {
  const FileSchema& s = spec.schema;
  json::object serde;
  json::object serde_params;
  std::string input_format = kTextInputFormat;
  std::string output_format = kTextOutputFormat;
  if (s.classification == "parquet") {
    input_format = kParquetInputFormat;
    output_format = kParquetOutputFormat;
    serde["SerializationLibrary"] = kParquetSerDe;
    serde_params["serialization.format"] = "1";
  } else if (s.classification == "json") {
    serde["SerializationLibrary"] = kJsonSerDe;
    std::vector<std::string> names;
    for (const auto& c : s.columns) names.push_back(c.name);
    std::sort(names.begin(), names.end());
    std::string paths;
    for (const auto& n : names) paths += (paths.empty() ? "" : ",") + n;
    serde_params["paths"] = paths;
  } else if (s.quoted) {
    serde["SerializationLibrary"] = kOpenCsvSerde;
    serde_params["separatorChar"] = std::string(1, s.delimiter);
    serde_params["quoteChar"] = "\"";
  } else {
    serde["SerializationLibrary"] = kLazySimpleSerDe;
    serde_params["field.delim"] = std::string(1, s.delimiter);
  }
  serde["Parameters"] = std::move(serde_params);
  json::object sd;
  sd["Columns"] = ColumnsArray(s.columns);
  sd["Location"] = location;
  sd["InputFormat"] = input_format;
  sd["OutputFormat"] = output_format;
  sd["Compressed"] = s.compression != "none";
  sd["NumberOfBuckets"] = -1;
  sd["SerdeInfo"] = std::move(serde);
  sd["BucketColumns"] = json::array();
  sd["SortColumns"] = json::array();
  sd["Parameters"] = Parameters(spec);
  sd["StoredAsSubDirectories"] = false;
  return sd;
}

json::object BuildTableInput(const TableSpec& spec) {
  json::object t;
  t["Name"] = spec.name;
  t["Owner"] = "owner";
  t["Retention"] = 0;
  t["TableType"] = "EXTERNAL_TABLE";
  t["Parameters"] = Parameters(spec);
  std::vector<Column> keys;
  for (const auto& k : spec.partition_keys) keys.push_back({k, "string"});
  t["PartitionKeys"] = ColumnsArray(keys);
  t["StorageDescriptor"] = BuildStorageDescriptor(spec, spec.location);
  return t;
}

json::object BuildPartitionInput(const TableSpec& spec, const std::vector<std::string>& values,
                                 const std::string& location) {
  json::object p;
  json::array vals;
  for (const auto& v : values) vals.push_back(json::string(v));
  p["Values"] = std::move(vals);
  p["StorageDescriptor"] = BuildStorageDescriptor(spec, location);
  p["Parameters"] = Parameters(spec);
  return p;
}

bool SameSchema(const json::object& existing, const json::object& input) {
  const json::object* esd = ObjectAt(existing, "StorageDescriptor");
  const json::object* isd = ObjectAt(input, "StorageDescriptor");
  if (ColumnPairs(esd, "Columns") != ColumnPairs(isd, "Columns")) return false;
  if (ColumnPairs(&existing, "PartitionKeys") != ColumnPairs(&input, "PartitionKeys")) return false;
  if (StringAt(esd, "InputFormat") != StringAt(isd, "InputFormat")) return false;
  const json::object* eserde = esd ? ObjectAt(*esd, "SerdeInfo") : nullptr;
  const json::object* iserde = isd ? ObjectAt(*isd, "SerdeInfo") : nullptr;
  if (StringAt(eserde, "SerializationLibrary") != StringAt(iserde, "SerializationLibrary")) return false;
  const json::object* eparams = eserde ? ObjectAt(*eserde, "Parameters") : nullptr;
  const json::object* iparams = iserde ? ObjectAt(*iserde, "Parameters") : nullptr;
  if ((eparams ? *eparams : json::object()) != (iparams ? *iparams : json::object())) return false;
  const json::object* etp = ObjectAt(existing, "Parameters");
  const json::object* itp = ObjectAt(input, "Parameters");
  for (const char* key : {"classification", "compressionType", "skip.header.line.count", "delimiter"}) {
    if (StringAt(etp, key) != StringAt(itp, key)) return false;
  }
  return true;
}

void MergeExistingColumns(const json::object& existing, json::object& input) {
  auto old_cols = ColumnPairs(ObjectAt(existing, "StorageDescriptor"), "Columns");
  auto& sd = input["StorageDescriptor"].as_object();
  auto new_cols = ColumnPairs(&sd, "Columns");
  std::vector<Column> merged;
  for (const auto& [n, t] : old_cols) merged.push_back(Column{.name = n, .type = t});
  for (const auto& column : new_cols) {
    const std::string& n = column.first;
    const std::string& t = column.second;
    auto it = std::find_if(merged.begin(), merged.end(), [&](const Column& c) { return c.name == n; });
    if (it == merged.end()) {
      merged.push_back(Column{.name = n, .type = t});
    } else {
      it->type = WidenType(it->type, t);
    }
  }
  sd["Columns"] = ColumnsArray(merged);
}

json::object TableInputFromTable(const json::object& table) {
  // TableInput's members (the Glue model); the rest of a Table document is output-only.
  static const char* kMembers[] = {
      "Name",      "Description",       "Owner",         "LastAccessTime",   "LastAnalyzedTime",
      "Retention", "StorageDescriptor", "PartitionKeys", "ViewOriginalText", "ViewExpandedText",
      "TableType", "Parameters",        "TargetTable"};
  json::object out;
  for (const char* m : kMembers) {
    auto it = table.find(m);
    if (it != table.end()) out[m] = it->value();
  }
  return out;
}

}  // namespace cenote::glue::crawler
