// GlueProvider: partition indexes and column statistics of tables and partitions.
//
// Partition indexes (CreatePartitionIndex, CreateTable's PartitionIndexes): at most 3 per table, keys that
// are partition keys of type string, date, tinyint, smallint, int or bigint (Glue's "Working with partition
// indexes"). The index is backfilled over the table's partitions when it is created, in the same request:
// a partition whose value does not read as its key's type makes the index FAILED with an
// INVALID_PARTITION_TYPE_DATA_ERROR naming the partitions; otherwise it is ACTIVE when the call returns.
//
// Column statistics: Update*/Get*/Delete*ColumnStatisticsFor{Table,Partition}. Each ColumnStatistics names a
// column of the table; its StatisticsData.Type must be the one Glue maps the column's type to (boolean ->
// BOOLEAN, date -> DATE, decimal -> DECIMAL, float/double -> DOUBLE, tinyint/smallint/int/bigint -> LONG,
// string/char/varchar -> STRING, binary -> BINARY) and carry that type's member. A bad entry is reported in
// Errors and the others are stored, as Glue does.
#include <algorithm>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/common/params.hpp"
#include "services/glue/catalog_internal.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/provider_objects.hpp"

namespace cenote::glue::internal {
namespace {

constexpr const char* kIndex = "pindex";
constexpr const char* kStats = "colstat";
constexpr std::size_t kMaxIndexesPerTable = 3;

// ---- partition indexes ------------------------------------------------------------------------------

bool IndexableType(const std::string& type) {
  const std::string t = AsciiLower(type);
  return t == "string" || t == "date" || t == "tinyint" || t == "smallint" || t == "int" || t == "bigint" ||
         t == "long";
}

bool IsInteger(std::string_view v) {
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) v.remove_prefix(1);
  if (v.empty() || v.size() > 19) return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsDate(std::string_view v) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (v[i] < '0' || v[i] > '9') return false;
  }
  const int month = (v[5] - '0') * 10 + (v[6] - '0');
  const int day = (v[8] - '0') * 10 + (v[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

bool ValueFitsType(const std::string& value, const std::string& type) {
  const std::string t = AsciiLower(type);
  if (t == "date") return IsDate(value);
  if (t == "string") return true;
  return IsInteger(value);
}

struct KeyColumn {
  std::string name;
  std::string type;
  std::size_t position = 0;  // in the table's partition keys
};

// The index's keys as columns of `partition_keys` (Name/Type objects); InvalidInputException for a key that
// is not a partition key or has a type indexes do not support.
Result<std::vector<KeyColumn>> IndexKeys(const array& partition_keys, const object& index) {
  const auto* keys = index.if_contains("Keys");
  if (keys == nullptr || !keys->is_array() || keys->get_array().empty()) {
    return MissingMember("partitionIndex.keys");
  }
  std::vector<KeyColumn> out;
  for (const auto& k : keys->get_array()) {
    if (!k.is_string()) return InvalidInput("Value at 'partitionIndex.keys' must be a list of strings.");
    const std::string name = AsciiLower(k.get_string());
    bool found = false;
    for (std::size_t i = 0; i < partition_keys.size() && !found; ++i) {
      const auto* pk = partition_keys[i].if_object();
      if (pk == nullptr || AsciiLower(services::GetString(*pk, "Name").value_or("")) != name) continue;
      found = true;
      const std::string type(services::GetString(*pk, "Type").value_or("string"));
      if (!IndexableType(type)) {
        return InvalidInput("Partition key " + name + " has type " + type +
                            ", which partition indexes do not support (string, date, tinyint, smallint, int, "
                            "bigint).");
      }
      for (const auto& seen : out) {
        if (seen.name == name) return InvalidInput("Duplicate key " + name + " in partition index.");
      }
      out.push_back(KeyColumn{.name = name, .type = type, .position = i});
    }
    if (!found)
      return InvalidInput("Key " + std::string(k.get_string()) + " is not a partition key of the table.");
  }
  return out;
}

const array& PartitionKeysOfTable(const object& table) {
  static const array kNone;
  const auto* pk = table.if_contains("PartitionKeys");
  return pk != nullptr && pk->is_array() ? pk->get_array() : kNone;
}

// Validates a PartitionIndex structure's name and keys against the table's partition keys.
Result<std::pair<std::string, std::vector<KeyColumn>>> CheckIndex(const array& partition_keys,
                                                                  const value& index_v) {
  if (!index_v.is_object()) return InvalidInput("Value at 'partitionIndex' must be a structure.");
  const object& index = index_v.get_object();
  CENOTE_RETURN_IF_ERROR(ValidateName(index.if_contains("IndexName"), "partitionIndex.indexName"));
  CENOTE_ASSIGN_OR_RETURN(auto keys, IndexKeys(partition_keys, index));
  return std::make_pair(std::string(index.at("IndexName").get_string()), std::move(keys));
}

// Backfills an index over the table's partitions: the descriptor, ACTIVE or FAILED with its errors.
Result<object> BuildIndex(RegionalCatalog& c, const std::string& db, const std::string& table,
                          const std::string& name, const std::vector<KeyColumn>& keys) {
  array key_schema;
  for (const auto& k : keys) key_schema.emplace_back(object{{"Name", k.name}, {"Type", k.type}});
  array bad;
  std::string token;
  for (int pages = 0; pages < 100000; ++pages) {
    CENOTE_ASSIGN_OR_RETURN(auto page, c.GetPartitions(db, table, "", token, 1000));
    for (const auto& p : page.items) {
      const auto* values = p.if_contains("Values");
      if (values == nullptr || !values->is_array()) continue;
      const array& v = values->get_array();
      for (const auto& k : keys) {
        if (k.position >= v.size() || !v[k.position].is_string() ||
            !ValueFitsType(std::string(v[k.position].get_string()), k.type)) {
          bad.emplace_back(object{{"Values", v}});
          break;
        }
      }
    }
    if (page.next_token.empty()) break;
    token = page.next_token;
  }
  object doc{{"IndexName", name}, {"Keys", std::move(key_schema)}, {"CreateTime", UnixNowMs()}};
  if (bad.empty()) {
    doc["IndexStatus"] = "ACTIVE";
  } else {
    doc["IndexStatus"] = "FAILED";
    doc["BackfillErrors"] =
        array{object{{"Code", "INVALID_PARTITION_TYPE_DATA_ERROR"}, {"Partitions", std::move(bad)}}};
  }
  return doc;
}

Status StoreIndex(GlueEnv& env, RegionalCatalog& c, const std::string& db, const std::string& table,
                  const std::string& name, object doc) {
  return env.catalog.objects().Modify(
      KeyOf(c, kIndex, {db, table}, name),
      [&](std::optional<object> current) -> Result<std::optional<object>> {
        if (current) return AlreadyExists("Partition index " + name + " already exists.");
        return std::optional<object>(std::move(doc));
      },
      kMaxIndexesPerTable,
      [] {
        return ResourceNumberLimitExceeded("A table can have at most " + std::to_string(kMaxIndexesPerTable) +
                                           " partition indexes.");
      });
}

object IndexDescriptor(const object& doc) {
  object out;
  for (const char* m : {"IndexName", "Keys", "IndexStatus", "BackfillErrors"}) {
    if (const auto* v = doc.if_contains(m)) out[m] = *v;
  }
  return out;
}

}  // namespace

Status ValidatePartitionIndexes(const object& table_input, const array& indexes) {
  if (indexes.size() > kMaxIndexesPerTable) {
    return ResourceNumberLimitExceeded("A table can have at most " + std::to_string(kMaxIndexesPerTable) +
                                       " partition indexes.");
  }
  const array& partition_keys = PartitionKeysOfTable(table_input);
  std::vector<std::string> names;
  for (const auto& index : indexes) {
    CENOTE_ASSIGN_OR_RETURN(auto checked, CheckIndex(partition_keys, index));
    if (std::find(names.begin(), names.end(), checked.first) != names.end()) {
      return InvalidInput("Duplicate partition index name: " + checked.first);
    }
    names.push_back(checked.first);
  }
  return Status::Ok();
}

Status CreatePartitionIndexes(GlueEnv& env, const aws::RequestContext&, RegionalCatalog& catalog,
                              const std::string& database, const std::string& table, const array& indexes) {
  CENOTE_ASSIGN_OR_RETURN(auto t, catalog.GetTable(database, table));
  const std::string db = AsciiLower(database);
  const std::string tbl(t.at("Name").get_string());
  for (const auto& index : indexes) {
    CENOTE_ASSIGN_OR_RETURN(auto checked, CheckIndex(PartitionKeysOfTable(t), index));
    CENOTE_ASSIGN_OR_RETURN(auto doc, BuildIndex(catalog, db, tbl, checked.first, checked.second));
    CENOTE_RETURN_IF_ERROR(StoreIndex(env, catalog, db, tbl, checked.first, std::move(doc)));
  }
  return Status::Ok();
}

Result<aws::OperationOutput> CreatePartitionIndex(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  const auto* index = in.if_contains("PartitionIndex");
  if (index == nullptr || index->is_null()) return MissingMember("partitionIndex");
  CENOTE_RETURN_IF_ERROR(CreatePartitionIndexes(env, ctx, *c, t.database, t.table, array{*index}));
  return object();
}

Result<aws::OperationOutput> DeletePartitionIndex(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "IndexName"));
  CENOTE_RETURN_IF_ERROR(c->GetTable(t.database, t.table));
  CENOTE_RETURN_IF_ERROR(
      env.catalog.objects().Modify(KeyOf(*c, kIndex, {AsciiLower(t.database), AsciiLower(t.table)}, name),
                                   [&](std::optional<object> current) -> Result<std::optional<object>> {
                                     if (!current)
                                       return EntityNotFound("Partition index " + name + " not found.");
                                     return std::optional<object>();
                                   }));
  return object();
}

Result<aws::OperationOutput> GetPartitionIndexes(GlueEnv& env, const aws::RequestContext& ctx,
                                                 aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_RETURN_IF_ERROR(c->GetTable(t.database, t.table));
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(in, "NextToken"));
  std::string after;
  if (!token.empty()) {
    CENOTE_ASSIGN_OR_RETURN(after, DecodeToken("pindex", token));
  }
  CENOTE_ASSIGN_OR_RETURN(auto rows, env.catalog.objects().List(
                                         KeyOf(*c, kIndex, {AsciiLower(t.database), AsciiLower(t.table)}, ""),
                                         after, kMaxIndexesPerTable + 1));
  array list;
  for (const auto& [name, doc] : rows) list.emplace_back(IndexDescriptor(doc));
  return object{{"PartitionIndexDescriptorList", std::move(list)}};
}

// ---- column statistics ------------------------------------------------------------------------------

// The statistics type Glue maps a column type to ("" when it keeps none for it).
std::string StatisticsTypeOf(const std::string& column_type) {
  std::string t = AsciiLower(column_type);
  if (const auto paren = t.find('('); paren != std::string::npos) t.resize(paren);
  if (t == "boolean") return "BOOLEAN";
  if (t == "date") return "DATE";
  if (t == "decimal") return "DECIMAL";
  if (t == "double" || t == "float") return "DOUBLE";
  if (t == "tinyint" || t == "smallint" || t == "int" || t == "integer" || t == "bigint") return "LONG";
  if (t == "string" || t == "char" || t == "varchar") return "STRING";
  if (t == "binary") return "BINARY";
  return "";
}

const char* DataMemberOf(const std::string& type) {
  if (type == "BOOLEAN") return "BooleanColumnStatisticsData";
  if (type == "DATE") return "DateColumnStatisticsData";
  if (type == "DECIMAL") return "DecimalColumnStatisticsData";
  if (type == "DOUBLE") return "DoubleColumnStatisticsData";
  if (type == "LONG") return "LongColumnStatisticsData";
  if (type == "STRING") return "StringColumnStatisticsData";
  if (type == "BINARY") return "BinaryColumnStatisticsData";
  return nullptr;
}

// The table's data columns (name -> type), lower-case names.
std::vector<std::pair<std::string, std::string>> DataColumns(const object& table) {
  std::vector<std::pair<std::string, std::string>> out;
  const object* sd = services::GetObject(table, "StorageDescriptor");
  const array* cols = sd != nullptr ? services::GetArray(*sd, "Columns") : nullptr;
  if (cols == nullptr) return out;
  for (const auto& c : *cols) {
    if (const auto* o = c.if_object()) {
      out.emplace_back(AsciiLower(services::GetString(*o, "Name").value_or("")),
                       std::string(services::GetString(*o, "Type").value_or("")));
    }
  }
  return out;
}

namespace {

// DecimalNumber.UnscaledValue is a blob (raw bytes in documents): stored base64, so that the stored JSON is
// UTF-8 whatever the bytes are.
void MapDecimalBlobs(object& stats, bool encode) {
  object* data = services::GetObject(stats, "StatisticsData") != nullptr
                     ? &stats["StatisticsData"].as_object()
                     : nullptr;
  if (data == nullptr || !data->contains("DecimalColumnStatisticsData")) return;
  auto& dec = (*data)["DecimalColumnStatisticsData"];
  if (!dec.is_object()) return;
  for (const char* m : {"MinimumValue", "MaximumValue"}) {
    auto* num = dec.as_object().if_contains(m);
    if (num == nullptr || !num->is_object()) continue;
    auto* unscaled = num->as_object().if_contains("UnscaledValue");
    if (unscaled == nullptr || !unscaled->is_string()) continue;
    if (encode) {
      *unscaled = Base64Encode(unscaled->get_string());
    } else if (auto raw = Base64Decode(unscaled->get_string())) {
      *unscaled = *raw;
    }
  }
}

object ColumnErrorEntry(const value& stats, const Error& e) {
  return object{{"ColumnStatistics", stats}, {"Error", ErrorDetail(e)}};
}

// The scope of a table's or a partition's statistics; checks that the table (and partition) exist.
Result<std::pair<std::vector<std::string>, object>> StatisticsScope(RegionalCatalog& c, const object& in,
                                                                    bool partition) {
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_ASSIGN_OR_RETURN(auto table, c.GetTable(t.database, t.table));
  std::vector<std::string> scope{AsciiLower(t.database), std::string(table.at("Name").get_string())};
  if (partition) {
    CENOTE_ASSIGN_OR_RETURN(auto values_v, RequiredArray(in, "PartitionValues"));
    CENOTE_ASSIGN_OR_RETURN(auto values, StringList(*values_v, "partitionValues"));
    CENOTE_RETURN_IF_ERROR(c.GetPartition(t.database, t.table, values));
    scope.push_back(PartitionKeyText(values));
  }
  return std::make_pair(std::move(scope), std::move(table));
}

Result<aws::OperationOutput> UpdateStatistics(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input, bool partition) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto list, RequiredArray(in, "ColumnStatisticsList"));
  if (list->size() > 25) {
    return InvalidInput(
        "1 validation error detected: Value at 'columnStatisticsList' failed to satisfy constraint: Member "
        "must "
        "have length less than or equal to 25");
  }
  CENOTE_ASSIGN_OR_RETURN(auto scoped, StatisticsScope(*c, in, partition));
  const auto columns = DataColumns(scoped.second);
  array errors;
  for (const auto& entry : *list) {
    const object* stats = entry.if_object();
    if (stats == nullptr)
      return InvalidInput("Value at 'columnStatisticsList' must be a list of structures.");
    const std::string column = AsciiLower(services::GetString(*stats, "ColumnName").value_or(""));
    auto col = std::find_if(columns.begin(), columns.end(), [&](const auto& p) { return p.first == column; });
    if (col == columns.end()) {
      errors.emplace_back(ColumnErrorEntry(
          entry, EntityNotFound("Column " + column + " not found in table " + scoped.first[1] + ".")));
      continue;
    }
    const std::string expected = StatisticsTypeOf(col->second);
    const object* data = services::GetObject(*stats, "StatisticsData");
    const std::string given(data != nullptr ? services::GetString(*data, "Type").value_or("") : "");
    if (expected.empty() || given != expected) {
      errors.emplace_back(
          ColumnErrorEntry(entry, InvalidInput("Statistics of type " + given + " do not match column " +
                                               column + " of type " + col->second + ".")));
      continue;
    }
    if (services::GetObject(*data, DataMemberOf(given)) == nullptr) {
      errors.emplace_back(
          ColumnErrorEntry(entry, InvalidInput(std::string(DataMemberOf(given)) +
                                               " is required for statistics of type " + given + ".")));
      continue;
    }
    object doc{
        {"ColumnName", column},
        {"ColumnType", col->second},
        {"AnalyzedTime", stats->contains("AnalyzedTime") ? stats->at("AnalyzedTime") : value(UnixNowMs())},
        {"StatisticsData", object{{"Type", given}, {DataMemberOf(given), data->at(DataMemberOf(given))}}}};
    CENOTE_RETURN_IF_ERROR(PutColumnStatistics(env.catalog.objects(), *c, scoped.first, std::move(doc)));
  }
  return object{{"Errors", std::move(errors)}};
}

Result<aws::OperationOutput> GetStatistics(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input, bool partition) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto names_v, RequiredArray(in, "ColumnNames"));
  CENOTE_ASSIGN_OR_RETURN(auto names, StringList(*names_v, "columnNames"));
  if (names.size() > 100) {
    return InvalidInput(
        "1 validation error detected: Value at 'columnNames' failed to satisfy constraint: Member must have "
        "length less than or equal to 100");
  }
  CENOTE_ASSIGN_OR_RETURN(auto scoped, StatisticsScope(*c, in, partition));
  array found;
  array errors;
  for (const auto& name : names) {
    CENOTE_ASSIGN_OR_RETURN(auto doc,
                            env.catalog.objects().Get(KeyOf(*c, kStats, scoped.first, AsciiLower(name))));
    if (!doc) {
      errors.emplace_back(object{
          {"ColumnName", name},
          {"Error", ErrorDetail(EntityNotFound("Column statistics for column " + name + " not found."))}});
      continue;
    }
    MapDecimalBlobs(*doc, false);
    found.emplace_back(std::move(*doc));
  }
  return object{{"ColumnStatisticsList", std::move(found)}, {"Errors", std::move(errors)}};
}

Result<aws::OperationOutput> DeleteStatistics(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input, bool partition) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "ColumnName"));
  CENOTE_ASSIGN_OR_RETURN(auto scoped, StatisticsScope(*c, in, partition));
  CENOTE_RETURN_IF_ERROR(env.catalog.objects().Modify(
      KeyOf(*c, kStats, scoped.first, AsciiLower(name)),
      [&](std::optional<object> current) -> Result<std::optional<object>> {
        if (!current) return EntityNotFound("Column statistics for column " + name + " not found.");
        return std::optional<object>();
      }));
  return object();
}

}  // namespace

Status PutColumnStatistics(const CatalogObjects& objects, const RegionalCatalog& c,
                           const std::vector<std::string>& scope, object stats) {
  MapDecimalBlobs(stats, true);
  const std::string column(stats.at("ColumnName").get_string());
  return objects.Modify(KeyOf(c, kStats, scope, column),
                        [&](std::optional<object>) -> Result<std::optional<object>> {
                          return std::optional<object>(std::move(stats));
                        });
}

Result<aws::OperationOutput> UpdateColumnStatisticsForTable(GlueEnv& env, const aws::RequestContext& ctx,
                                                            aws::OperationInput& input) {
  return UpdateStatistics(env, ctx, input, false);
}
Result<aws::OperationOutput> UpdateColumnStatisticsForPartition(GlueEnv& env, const aws::RequestContext& ctx,
                                                                aws::OperationInput& input) {
  return UpdateStatistics(env, ctx, input, true);
}
Result<aws::OperationOutput> GetColumnStatisticsForTable(GlueEnv& env, const aws::RequestContext& ctx,
                                                         aws::OperationInput& input) {
  return GetStatistics(env, ctx, input, false);
}
Result<aws::OperationOutput> GetColumnStatisticsForPartition(GlueEnv& env, const aws::RequestContext& ctx,
                                                             aws::OperationInput& input) {
  return GetStatistics(env, ctx, input, true);
}
Result<aws::OperationOutput> DeleteColumnStatisticsForTable(GlueEnv& env, const aws::RequestContext& ctx,
                                                            aws::OperationInput& input) {
  return DeleteStatistics(env, ctx, input, false);
}
Result<aws::OperationOutput> DeleteColumnStatisticsForPartition(GlueEnv& env, const aws::RequestContext& ctx,
                                                                aws::OperationInput& input) {
  return DeleteStatistics(env, ctx, input, true);
}

// ---- column statistics task runs: handed to ColumnStatisticsRuns ----------------------------------

namespace {

Result<ColumnStatisticsRuns*> Runs(GlueEnv& env) {
  if (env.statistics_runs == nullptr) return GlueError(errors::kShuttingDown);
  return env.statistics_runs;
}

}  // namespace

Result<aws::OperationOutput> StartColumnStatisticsTaskRun(GlueEnv& env, const aws::RequestContext& ctx,
                                                          aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto runs, Runs(env));
  CENOTE_ASSIGN_OR_RETURN(auto out, runs->Start(ctx, input.params.as_object()));
  return out;
}
Result<aws::OperationOutput> GetColumnStatisticsTaskRun(GlueEnv& env, const aws::RequestContext& ctx,
                                                        aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto runs, Runs(env));
  CENOTE_ASSIGN_OR_RETURN(auto out, runs->Get(ctx, input.params.as_object()));
  return out;
}
Result<aws::OperationOutput> GetColumnStatisticsTaskRuns(GlueEnv& env, const aws::RequestContext& ctx,
                                                         aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto runs, Runs(env));
  CENOTE_ASSIGN_OR_RETURN(auto out, runs->GetRuns(ctx, input.params.as_object()));
  return out;
}
Result<aws::OperationOutput> ListColumnStatisticsTaskRuns(GlueEnv& env, const aws::RequestContext& ctx,
                                                          aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto runs, Runs(env));
  CENOTE_ASSIGN_OR_RETURN(auto out, runs->List(ctx, input.params.as_object()));
  return out;
}
Result<aws::OperationOutput> StopColumnStatisticsTaskRun(GlueEnv& env, const aws::RequestContext& ctx,
                                                         aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto runs, Runs(env));
  CENOTE_ASSIGN_OR_RETURN(auto out, runs->Stop(ctx, input.params.as_object()));
  return out;
}

}  // namespace cenote::glue::internal
