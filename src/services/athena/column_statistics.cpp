// Glue's column statistics task runs compute with the query engine through Athena's table binding: this is
// the glue::StatisticsQueries Athena hands the catalog at registration (register.cpp). A query runs as the
// run's role (the lake is read as it), in the role's account and region, and only its first row is kept.
#include <filesystem>

#include "common/random.hpp"
#include "query/engine.hpp"
#include "services/athena/table_resolver.hpp"
#include "services/glue/statistics_queries.hpp"

namespace cenote::athena {
namespace {

// The first data row of a result CSV as the engine writes it (a header row, then every value double-quoted
// with quotes doubled, NULL an empty unquoted field).
std::vector<std::optional<std::string>> FirstDataRow(std::string_view csv) {
  std::vector<std::optional<std::string>> row;
  // Skip the header line (quoted fields may hold newlines).
  std::size_t i = 0;
  bool quoted = false;
  for (; i < csv.size(); ++i) {
    if (csv[i] == '"') quoted = !quoted;
    if (csv[i] == '\n' && !quoted) break;
  }
  ++i;
  std::optional<std::string> field;
  bool in_quotes = false;
  for (; i <= csv.size(); ++i) {
    const char c = i < csv.size() ? csv[i] : '\n';
    if (in_quotes) {
      if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
        field->push_back('"');
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        field->push_back(c);
      }
    } else if (c == '"') {
      in_quotes = true;
      field = std::string();
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.reset();
    } else if (c == '\n' || c == '\r') {
      row.push_back(std::move(field));
      break;
    }
  }
  return row;
}

class AthenaStatisticsQueries final : public glue::StatisticsQueries {
 public:
  AthenaStatisticsQueries(const glue::Catalog& catalog, s3::Lake& lake, query::QueryEngine& engine,
                          std::string scratch_dir)
      : catalog_(catalog), lake_(lake), engine_(engine), scratch_dir_(std::move(scratch_dir)) {}

  Result<std::vector<std::optional<std::string>>> FirstRow(const aws::Caller& as, const std::string& account,
                                                           const std::string& database,
                                                           const std::string& sql,
                                                           query::Cancellation& cancel) override {
    std::unique_ptr<glue::RegionalCatalog> catalog = catalog_.ForRegion(account, as.region, as);
    std::unique_ptr<s3::LakeAccess> lake = lake_.For(as);
    CatalogTableResolver resolver(*catalog, *lake);
    query::QueryContext qctx;
    qctx.database = database;
    qctx.in_memory_result_bytes = 1 << 20;
    const std::string csv =
        (std::filesystem::path(scratch_dir_) / ("colstats-" + NewUuidV4() + ".csv")).string();
    auto out = engine_.RunSelect(sql, qctx, resolver, csv, cancel);
    std::error_code ec;
    if (!out) {
      std::filesystem::remove(csv, ec);
      Error e = std::move(out).error();
      e.message = resolver.ScrubPaths(std::move(e.message));
      return e;
    }
    if (!out->csv) {
      std::filesystem::remove(csv, ec);
      return InternalError("statistics result too large");  // one row of numbers: never
    }
    return FirstDataRow(*out->csv);
  }

 private:
  const glue::Catalog& catalog_;
  s3::Lake& lake_;
  query::QueryEngine& engine_;
  const std::string scratch_dir_;
};

}  // namespace

std::unique_ptr<glue::StatisticsQueries> MakeStatisticsQueries(const glue::Catalog& catalog, s3::Lake& lake,
                                                               query::QueryEngine& engine,
                                                               std::string scratch_dir) {
  return std::make_unique<AthenaStatisticsQueries>(catalog, lake, engine, std::move(scratch_dir));
}

}  // namespace cenote::athena
