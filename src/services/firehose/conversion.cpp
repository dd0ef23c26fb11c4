// Record format conversion: JSON records -> one Parquet file per batch, typed by a Glue table's columns
// (SchemaConfiguration), written by the query engine (DuckDB's read_json + COPY ... FORMAT PARQUET).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "query/engine.hpp"
#include "services/firehose/internal.hpp"
#include "services/glue/catalog.hpp"

namespace cenote::firehose {

namespace {

constexpr const char* kMalformed = "DataFormatConversion.MalformedData";
constexpr const char* kInvalidSchema = "DataFormatConversion.InvalidSchema";

std::string SqlString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string ErrorRecord(const store::StreamRecord& r, std::string_view code, std::string_view message,
                        std::int64_t now) {
  json::object o{
      {"attemptsMade", 1},       {"arrivalTimestamp", r.arrival_ms}, {"errorCode", code},
      {"errorMessage", message}, {"attemptEndingTimestamp", now},    {"rawData", Base64Encode(r.data)}};
  return json::serialize(o) + "\n";
}

bool ConversionEnabled(const json::object& dest) {
  const auto* conv = GetObject(dest, "DataFormatConversionConfiguration");
  return conv != nullptr && GetBool(*conv, "Enabled").value_or(true);
}

Status CheckConversion(const FirehoseOptions& options, json::object& dest) {
  if (!ConversionEnabled(dest)) return Status::Ok();
  auto invalid = [](std::string m) { return services::MakeError(errors::kInvalidArgument, {m}); };
  if (options.catalog == nullptr || options.engine == nullptr || options.conversion_dir.empty())
    return invalid(
        "DataFormatConversionConfiguration is not available: this server runs without a query engine.");
  const auto& conv = *GetObject(dest, "DataFormatConversionConfiguration");
  const auto* schema = GetObject(conv, "SchemaConfiguration");
  if (schema == nullptr || !GetString(*schema, "DatabaseName") || !GetString(*schema, "TableName"))
    return invalid(
        "SchemaConfiguration with DatabaseName and TableName is required when data format conversion is "
        "enabled.");
  const auto* output = GetObject(conv, "OutputFormatConfiguration");
  const auto* serializer = output ? GetObject(*output, "Serializer") : nullptr;
  if (serializer == nullptr || GetObject(*serializer, "ParquetSerDe") == nullptr)
    return invalid("Only the ParquetSerDe serializer is supported by this server (OrcSerDe is not yet).");
  if (GetString(dest, "CompressionFormat").value_or("UNCOMPRESSED") != "UNCOMPRESSED")
    return invalid("CompressionFormat must be UNCOMPRESSED when data format conversion is enabled.");
  return Status::Ok();
}

Result<ConversionResult> ConvertToParquet(const FirehoseOptions& options, const std::string& account,
                                          const std::string& region, const json::object& dest,
                                          const std::vector<const store::StreamRecord*>& records,
                                          const std::string& out_path, std::int64_t now) {
  ConversionResult result;
  const auto& conv = *GetObject(dest, "DataFormatConversionConfiguration");
  const auto& schema = *GetObject(conv, "SchemaConfiguration");
  std::string database = GetString(schema, "DatabaseName").value_or("");
  std::string table_name = GetString(schema, "TableName").value_or("");
  auto fail_all = [&](std::string_view code, const std::string& message) {
    for (const auto* r : records) result.error_lines += ErrorRecord(*r, code, message, now);
    result.converted = 0;
    return result;
  };
  // The schema table: SchemaConfiguration names its catalog (CatalogId, default the stream's account) and
  // region (default the stream's), as AWS reads it.
  const std::string catalog_id = GetString(schema, "CatalogId").value_or(account);
  const std::string catalog_region = GetString(schema, "Region").value_or(region);
  // Firehose reads the schema table as SchemaConfiguration's RoleARN (whose KMS permissions open an
  // encrypted catalog).
  aws::Caller reader;
  reader.principal =
      AssumedRolePrincipal(GetString(schema, "RoleARN").value_or(""), kS3DeliverySession, account);
  reader.region = catalog_region;
  reader.invoked_by = kFirehoseServicePrincipal;
  auto table = options.catalog->ForRegion(catalog_id, catalog_region, glue::AccessorOf(reader))
                   ->GetTable(database, table_name);
  if (!table) return fail_all(kInvalidSchema, "The schema is invalid. " + table.error().message);
  const json::object* sd = GetObject(*table, "StorageDescriptor");
  const json::value* cols = sd ? sd->if_contains("Columns") : nullptr;
  if (cols == nullptr || !cols->is_array() || cols->as_array().empty())
    return fail_all(kInvalidSchema, "The schema is invalid. The table has no columns.");
  std::string columns;
  std::vector<std::string> names;
  for (const auto& c : cols->as_array()) {
    if (!c.is_object()) continue;
    std::string name = AsciiLower(GetString(c.as_object(), "Name").value_or(""));
    auto type = query::GlueTypeToDuckDb(GetString(c.as_object(), "Type").value_or("string"));
    if (!type) return fail_all(kInvalidSchema, "The schema is invalid. " + type.error().message);
    if (!columns.empty()) columns += ", ";
    columns += SqlString(name) + ": " + SqlString(*type);
    names.push_back(name);
  }

  // The records as JSON lines (keys lower-cased: the OpenX JSON SerDe matches columns case-insensitively).
  std::vector<std::pair<const store::StreamRecord*, std::string>> lines;
  for (const auto* r : records) {
    boost::system::error_code ec;
    json::value v = json::parse(r->data, ec);
    if (ec || !v.is_object()) {
      result.error_lines += ErrorRecord(*r, kMalformed, "The record is not a valid JSON object.", now);
      continue;
    }
    json::object lowered;
    for (const auto& [k, val] : v.as_object()) lowered[AsciiLower(std::string(k))] = val;
    lines.emplace_back(r, json::serialize(lowered));
  }
  if (lines.empty()) return result;

  std::string compression = "SNAPPY";
  if (const auto* output = GetObject(conv, "OutputFormatConfiguration"))
    if (const auto* ser = GetObject(*output, "Serializer"))
      if (const auto* parquet = GetObject(*ser, "ParquetSerDe"))
        if (auto c = GetString(*parquet, "Compression"))
          compression = *c == "UNCOMPRESSED" ? "UNCOMPRESSED" : *c;
  if (compression != "SNAPPY" && compression != "GZIP" && compression != "UNCOMPRESSED")
    compression = "SNAPPY";
  std::string select;
  for (const auto& n : names) select += (select.empty() ? "" : ", ") + std::string("\"") + n + "\"";
  const std::string jsonl = out_path + ".jsonl";
  auto write_lines = [&](std::size_t begin, std::size_t end) -> Status {
    std::ofstream out(jsonl, std::ios::binary | std::ios::trunc);
    for (std::size_t i = begin; i < end; ++i) out << lines[i].second << '\n';
    if (!out.flush()) return InternalError("firehose: cannot write " + jsonl);
    return Status::Ok();
  };
  auto scan = [&] {
    return "SELECT " + select + " FROM read_json(" + SqlString(jsonl) +
           ", format='newline_delimited', columns={" + columns + "})";
  };
  // Whether lines [begin, end) all convert: every value is read and typed (hashing all columns keeps
  // DuckDB from skipping any). The error message of the first failure, if not.
  auto check = [&](std::size_t begin, std::size_t end) -> Result<std::optional<std::string>> {
    CENOTE_RETURN_IF_ERROR(write_lines(begin, end));
    auto ran = options.engine->ExecuteTrusted("SELECT count(*) FROM (" + scan() + ") WHERE hash(" + select +
                                              ") IS NOT NULL");
    if (ran) return std::optional<std::string>();
    return std::optional<std::string>(ran.error().message);
  };

  auto copy = [&]() -> Result<query::QueryEngine::Rows> {
    CENOTE_RETURN_IF_ERROR(write_lines(0, lines.size()));
    return options.engine->ExecuteTrusted("COPY (" + scan() + ") TO " + SqlString(out_path) +
                                          " (FORMAT PARQUET, COMPRESSION " + compression + ")");
  };
  // The batch at once: the common case, one pass.
  if (auto ran = copy(); ran) {
    ::unlink(jsonl.c_str());
    result.converted = lines.size();
    return result;
  }
  ::unlink(out_path.c_str());

  // Some records do not fit the schema: bisect to them (AWS fails only those records). Bounded: after
  // kMaxChecks conversions the ranges still unresolved fail as a whole.
  constexpr int kMaxChecks = 256;
  int checks = 0;
  std::vector<bool> bad(lines.size(), false);
  std::vector<std::string> reasons(lines.size());
  std::vector<std::pair<std::size_t, std::size_t>> pending{{0, lines.size()}};
  while (!pending.empty()) {
    auto [begin, end] = pending.back();
    pending.pop_back();
    auto failure = check(begin, end);
    if (!failure) {
      ::unlink(jsonl.c_str());
      return failure.error();
    }
    ++checks;
    if (!*failure) continue;
    if (end - begin == 1 || checks >= kMaxChecks) {
      for (std::size_t i = begin; i < end; ++i) {
        bad[i] = true;
        reasons[i] = **failure;
      }
      continue;
    }
    std::size_t mid = begin + (end - begin) / 2;
    pending.emplace_back(mid, end);
    pending.emplace_back(begin, mid);
  }
  std::vector<std::pair<const store::StreamRecord*, std::string>> good;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (bad[i]) {
      result.error_lines +=
          ErrorRecord(*lines[i].first, kMalformed, "The data does not match the schema: " + reasons[i], now);
    } else {
      good.push_back(std::move(lines[i]));
    }
  }
  lines = std::move(good);
  if (lines.empty()) {
    ::unlink(jsonl.c_str());
    return result;
  }
  auto ran = copy();
  ::unlink(jsonl.c_str());
  if (!ran) {
    ::unlink(out_path.c_str());
    for (const auto& [r, line] : lines)
      result.error_lines +=
          ErrorRecord(*r, kMalformed, "The data does not match the schema: " + ran.error().message, now);
    return result;
  }
  result.converted = lines.size();
  return result;
}

}  // namespace cenote::firehose
