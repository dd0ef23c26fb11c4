#include "services/glue/crawler/crawl.hpp"
#include "common/strings.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>

#include "common/encoding.hpp"
#include "services/glue/crawler/table_input.hpp"
#include "services/glue/crawler/text_format.hpp"

namespace cenote::glue::crawler {

namespace json = boost::json;

namespace {

constexpr std::size_t kTextHeadBytes = 1 << 20;  // what the classifiers read of a text file
constexpr std::size_t kSampleRecords = 1000;
constexpr std::size_t kJsonCheckRecords = 100;
constexpr int kCatalogPageSize = 100;
constexpr std::size_t kMaxCatalogPages = 100000;  // bounds catalog listings
constexpr std::size_t kPartitionBatch = 100;      // BatchCreatePartition's limit

// DESCRIBE's (column_name, column_type) rows.
Result<std::vector<std::pair<std::string, std::string>>> Describe(query::QueryEngine& engine,
                                                                  const std::string& select) {
  CENOTE_ASSIGN_OR_RETURN(auto rows, engine.ExecuteTrusted("DESCRIBE " + select));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : rows) {
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    out.emplace_back(*row[0], *row[1]);
  }
  return out;
}

// Column types from the sampled values when DuckDB cannot read the file with the detected dialect.
std::vector<std::string> CsvTypesFromSample(const std::vector<std::string>& records, const CsvDialect& d,
                                            std::size_t columns) {
  std::vector<std::optional<ValueType>> seen(columns);
  for (std::size_t r = d.header ? 1 : 0; r < records.size(); ++r) {
    auto fields = SplitFields(records[r], d.delimiter);
    for (std::size_t c = 0; c < columns && c < fields.size(); ++c) {
      ValueType t = ClassifyValue(fields[c]);
      if (t == ValueType::kEmpty) continue;
      if (!seen[c]) {
        seen[c] = t;
      } else if (*seen[c] != t) {
        bool numeric = (*seen[c] == ValueType::kBigint || *seen[c] == ValueType::kDouble) &&
                       (t == ValueType::kBigint || t == ValueType::kDouble);
        seen[c] = numeric ? ValueType::kDouble : ValueType::kString;
      }
    }
  }
  std::vector<std::string> out;
  for (const auto& t : seen) {
    if (!t) {
      out.push_back("string");
    } else if (*t == ValueType::kBigint) {
      out.push_back("bigint");
    } else if (*t == ValueType::kDouble) {
      out.push_back("double");
    } else if (*t == ValueType::kBoolean) {
      out.push_back("boolean");
    } else {
      out.push_back("string");
    }
  }
  return out;
}

std::string ParamString(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

const json::object& EmptyObject() {
  static const json::object kEmpty;
  return kEmpty;
}

const json::object& ObjectMember(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? it->value().get_object() : EmptyObject();
}

std::string TableLocation(const json::object& table) {
  return ParamString(ObjectMember(table, "StorageDescriptor"), "Location");
}

struct FileStats {
  std::uint64_t records = 0;
  std::uint64_t bytes_sampled = 0;  // sizes of the sampled files with stats
};

class Crawl {
 public:
  Crawl(const CrawlDefinition& def, CrawlDependencies& deps, const std::atomic<bool>& stop,
        const std::set<std::string>& crawled_before)
      : def_(def), deps_(deps), stop_(stop), crawled_before_(crawled_before) {}

  Result<CrawlResult> Run() {
    CENOTE_RETURN_IF_ERROR(EnsureDatabase());
    std::vector<std::string> target_roots;
    for (const auto& target : def_.targets) {
      if (stop_) return Cancelled();
      auto path = ParseS3Path(target.path);
      if (!path) return MakeError("InvalidInputException", "Invalid S3 path: " + target.path);
      target_roots.push_back("s3://" + path->bucket + "/" + path->prefix);
      CENOTE_RETURN_IF_ERROR(CrawlTarget(*path, target));
    }
    if (stop_) return Cancelled();
    if (def_.recrawl_behavior != "CRAWL_NEW_FOLDERS_ONLY")
      CENOTE_RETURN_IF_ERROR(RemoveVanishedTables(target_roots));
    return std::move(result_);
  }

 private:
  Result<CrawlResult> Cancelled() {
    result_.cancelled = true;
    return std::move(result_);
  }

  Status EnsureDatabase() {
    auto db = deps_.catalog.GetDatabase(def_.database);
    if (db) return Status::Ok();
    if (db.error().code != "EntityNotFoundException") return db.error();
    // The crawler creates its output database when it does not exist yet.
    auto created = deps_.catalog.CreateDatabase(json::object{{"Name", def_.database}});
    if (!created && created.error().code != "AlreadyExistsException") return created.error();
    result_.messages.push_back("Created database " + def_.database);
    return Status::Ok();
  }

  Status CrawlTarget(const S3Path& path, const S3TargetDefinition& target) {
    if (auto head = deps_.lake.HeadBucket(path.bucket); !head) {
      // The role may not read the bucket: the crawl fails with S3's denial, as AWS's crawler reports it.
      if (head.error().http_status == 403) {
        return MakeError("AccessDeniedException",
                         "Access Denied on " + target.path + ": " + head.error().message, 400);
      }
      return MakeError("EntityNotFoundException",
                       "The S3 bucket " + path.bucket + " of target " + target.path + " does not exist");
    }
    std::size_t limit = deps_.max_files == SIZE_MAX ? SIZE_MAX : deps_.max_files + 1;
    CENOTE_ASSIGN_OR_RETURN(auto listing, deps_.lake.ListObjects(path.bucket, path.prefix, limit));
    if (listing.size() > deps_.max_files) {
      return MakeError("ResourceNumberLimitExceededException", "Target " + target.path + " holds more than " +
                                                                   std::to_string(deps_.max_files) +
                                                                   " objects, the crawler's limit");
    }
    // An include path naming one object (s3://bucket/dir/file.csv) crawls that file alone.
    std::string single_key;
    if (listing.empty() && !path.prefix.empty() && !target.path.ends_with("/")) {
      single_key = path.prefix.substr(0, path.prefix.size() - 1);
      CENOTE_ASSIGN_OR_RETURN(auto exact, deps_.lake.ListObjects(path.bucket, single_key, 1));
      if (exact.empty() || exact.front().key != single_key) {
        single_key.clear();
      } else {
        listing = std::move(exact);
      }
    }
    std::vector<LayoutFile> files;
    std::map<std::string, std::vector<std::size_t>> by_folder;
    for (const auto& obj : listing) {
      std::string_view rel = std::string_view(obj.key).substr(single_key.empty() ? path.prefix.size() : 0);
      if (!single_key.empty()) rel = rel.substr(rel.rfind('/') + 1);
      if (IsIgnoredKey(rel, obj.size) || obj.size == 0) continue;
      if (std::any_of(target.exclusions.begin(), target.exclusions.end(),
                      [&](const std::string& g) { return GlobMatch(g, rel); })) {
        continue;
      }
      std::string folder = "s3://" + path.bucket + "/" + obj.key.substr(0, obj.key.rfind('/') + 1);
      if (def_.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY" && crawled_before_.count(folder) > 0) continue;
      LayoutFile f;
      f.key = obj.key;
      f.size = obj.size;
      for (auto slash = rel.find('/'); slash != std::string_view::npos; slash = rel.find('/')) {
        f.folders.emplace_back(rel.substr(0, slash));
        rel.remove_prefix(slash + 1);
      }
      by_folder[folder].push_back(files.size());
      files.push_back(std::move(f));
    }
    // Sample each folder: SampleSize files, or the default, spread over the folder.
    std::size_t per_folder =
        target.sample_size > 0 ? static_cast<std::size_t>(target.sample_size) : deps_.default_sample_files;
    std::map<std::size_t, FileStats> stats;
    for (const auto& [folder, indexes] : by_folder) {
      std::size_t n = std::min(per_folder, indexes.size());
      for (std::size_t k = 0; k < n; ++k) {
        if (stop_) return Status::Ok();
        std::size_t pick = n == 1 ? 0 : k * (indexes.size() - 1) / (n - 1);
        LayoutFile& f = files[indexes[pick]];
        if (f.sampled) continue;
        f.sampled = true;
        auto local = deps_.lake.LocalPath(path.bucket, f.key);
        if (!local) {
          result_.messages.push_back("Skipped s3://" + path.bucket + "/" + f.key + ": " +
                                     local.error().message);
          continue;
        }
        auto classified = ClassifyFile(deps_.engine, *local, f.size);
        if (!classified) {
          result_.messages.push_back("Could not classify s3://" + path.bucket + "/" + f.key + ": " +
                                     classified.error().message);
          continue;
        }
        if (!*classified) continue;
        f.schema = (*classified)->schema;
        stats[indexes[pick]] = FileStats{(*classified)->records, f.size};
      }
      result_.crawled_folders.insert(folder);
    }
    if (stop_) return Status::Ok();
    std::vector<TableLayout> tables;
    if (!single_key.empty()) {
      if (!files.empty() && files[0].schema) {
        TableLayout t;
        t.name = single_key.substr(single_key.rfind('/') + 1);
        t.prefix = single_key;
        t.single_file = true;
        t.files = {0};
        t.partitions.push_back(PartitionLayout{{}, single_key, {0}});
        t.schema = *files[0].schema;
        tables.push_back(std::move(t));
      }
    } else {
      tables = GroupTables(path, files, def_.grouping);
    }
    for (const auto& layout : tables) {
      if (stop_) return Status::Ok();
      CENOTE_RETURN_IF_ERROR(WriteTable(path, layout, files, stats));
    }
    return Status::Ok();
  }

  // Statistics over `indexes`: sampled record density scaled to all bytes.
  void FillStats(const std::vector<std::size_t>& indexes, const std::vector<LayoutFile>& files,
                 const std::map<std::size_t, FileStats>& stats, TableSpec* spec) {
    std::uint64_t records = 0, sampled_bytes = 0, total = 0;
    for (auto i : indexes) {
      total += files[i].size;
      auto it = stats.find(i);
      if (it != stats.end()) {
        records += it->second.records;
        sampled_bytes += it->second.bytes_sampled;
      }
    }
    spec->object_count = indexes.size();
    spec->size_bytes = total;
    spec->record_count = sampled_bytes > 0 ? static_cast<std::uint64_t>(static_cast<double>(records) *
                                                                        static_cast<double>(total) /
                                                                        static_cast<double>(sampled_bytes))
                                           : 0;
    spec->average_record_size = records > 0 ? sampled_bytes / records : 0;
  }

  Status WriteTable(const S3Path& path, const TableLayout& layout, const std::vector<LayoutFile>& files,
                    const std::map<std::size_t, FileStats>& stats) {
    TableSpec spec;
    spec.location = "s3://" + path.bucket + "/" + layout.prefix;
    spec.name = TableName(def_.table_prefix, layout.name);
    spec.schema = layout.schema;
    spec.partition_keys = layout.partition_keys;
    spec.crawler_name = def_.name;
    FillStats(layout.files, files, stats, &spec);

    auto existing = deps_.catalog.GetTable(def_.database, spec.name);
    if (!existing && existing.error().code != "EntityNotFoundException") return existing.error();
    // Another folder's table under the same name (from this run or not ours): AWS appends a hash.
    if (produced_.count(spec.name) > 0 || (existing && TableLocation(*existing) != spec.location)) {
      spec.name += "_" + Sha256Hex(spec.location).substr(0, 8);
      existing = deps_.catalog.GetTable(def_.database, spec.name);
      if (!existing && existing.error().code != "EntityNotFoundException") return existing.error();
    }
    produced_.insert(spec.name);
    json::object input = BuildTableInput(spec);

    std::set<std::vector<std::string>> known_partitions;
    bool table_updated = false;
    if (!existing) {
      CENOTE_RETURN_IF_ERROR(deps_.catalog.CreateTable(def_.database, input));
      ++result_.tables_created;
      result_.messages.push_back("Created table " + spec.name + " in database " + def_.database);
    } else {
      bool new_folders_only = def_.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY";
      if (def_.merge_new_columns) {
        MergeExistingColumns(*existing, input);
        spec.schema.columns.clear();
        for (const auto& c : input["StorageDescriptor"].as_object()["Columns"].as_array()) {
          spec.schema.columns.push_back({std::string(c.as_object().at("Name").as_string()),
                                         std::string(c.as_object().at("Type").as_string())});
        }
      }
      // A table marked deprecated whose data came back is current again.
      bool deprecated = ObjectMember(*existing, "Parameters").contains("DEPRECATED_BY_CRAWLER");
      if (!new_folders_only && (deprecated || !SameSchema(*existing, input))) {
        if (def_.update_behavior == "UPDATE_IN_DATABASE") {
          // Keep parameters others set on the table; the crawler's own are refreshed.
          json::object params = ObjectMember(*existing, "Parameters");
          params.erase("DEPRECATED_BY_CRAWLER");
          for (const auto& kv : input["Parameters"].as_object()) params[kv.key()] = kv.value();
          input["Parameters"] = std::move(params);
          for (const char* member : {"Description", "Owner"}) {
            auto it = existing->find(member);
            if (it != existing->end()) input[member] = it->value();
          }
          CENOTE_RETURN_IF_ERROR(deps_.catalog.UpdateTable(def_.database, input, false));
          table_updated = true;
          ++result_.tables_updated;
          result_.messages.push_back("Updated table " + spec.name + " in database " + def_.database);
        } else {
          result_.messages.push_back("Schema change of table " + spec.name +
                                     " not applied (UpdateBehavior LOG)");
        }
      }
      CENOTE_ASSIGN_OR_RETURN(auto listed, ListPartitions(spec.name));
      known_partitions = std::move(listed);
    }
    if (layout.partition_keys.empty()) return Status::Ok();

    std::vector<json::object> to_create;
    std::set<std::vector<std::string>> found;
    for (const auto& p : layout.partitions) {
      found.insert(p.values);
      TableSpec pspec = spec;
      FillStats(p.files, files, stats, &pspec);
      json::object partition = BuildPartitionInput(pspec, p.values, "s3://" + path.bucket + "/" + p.prefix);
      if (known_partitions.count(p.values) == 0) {
        to_create.push_back(std::move(partition));
      } else if (table_updated && def_.inherit_from_table) {
        // CrawlerOutput.Partitions.AddOrUpdateBehavior = InheritFromTable: partitions follow the table.
        CENOTE_RETURN_IF_ERROR(deps_.catalog.UpdatePartition(def_.database, spec.name, p.values, partition));
      }
    }
    for (std::size_t i = 0; i < to_create.size(); i += kPartitionBatch) {
      std::vector<json::object> batch(
          to_create.begin() + static_cast<std::ptrdiff_t>(i),
          to_create.begin() + static_cast<std::ptrdiff_t>(std::min(i + kPartitionBatch, to_create.size())));
      CENOTE_ASSIGN_OR_RETURN(auto errors,
                              deps_.catalog.BatchCreatePartition(def_.database, spec.name, batch));
      std::size_t failed = 0;
      for (const auto& e : errors) {
        if (e.error.code == "AlreadyExistsException") continue;
        ++failed;
        result_.messages.push_back("Partition of " + spec.name + " not created: " + e.error.message);
      }
      result_.partitions_created += static_cast<int>(batch.size() - std::min(failed, batch.size()));
    }
    // Partitions whose folders are gone.
    if (def_.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY") return Status::Ok();
    std::vector<std::vector<std::string>> vanished;
    for (const auto& values : known_partitions) {
      if (found.count(values) == 0) vanished.push_back(values);
    }
    if (vanished.empty()) return Status::Ok();
    if (def_.delete_behavior != "DELETE_FROM_DATABASE") {
      result_.messages.push_back(std::to_string(vanished.size()) + " partitions of " + spec.name +
                                 " have no data any more (DeleteBehavior " + def_.delete_behavior + ")");
      return Status::Ok();
    }
    for (std::size_t i = 0; i < vanished.size(); i += 25) {
      std::vector<std::vector<std::string>> batch(
          vanished.begin() + static_cast<std::ptrdiff_t>(i),
          vanished.begin() + static_cast<std::ptrdiff_t>(std::min(i + 25, vanished.size())));
      CENOTE_ASSIGN_OR_RETURN(auto errors,
                              deps_.catalog.BatchDeletePartition(def_.database, spec.name, batch));
      result_.partitions_deleted += static_cast<int>(batch.size() - std::min(errors.size(), batch.size()));
    }
    return Status::Ok();
  }

  Result<std::set<std::vector<std::string>>> ListPartitions(const std::string& table) {
    std::set<std::vector<std::string>> out;
    std::string token;
    for (std::size_t page = 0; page < kMaxCatalogPages; ++page) {
      CENOTE_ASSIGN_OR_RETURN(auto listed,
                              deps_.catalog.GetPartitions(def_.database, table, "", token, 1000));
      for (const auto& p : listed.items) {
        std::vector<std::string> values;
        auto it = p.find("Values");
        if (it != p.end() && it->value().is_array()) {
          for (const auto& v : it->value().get_array()) {
            if (v.is_string()) values.emplace_back(v.get_string());
          }
        }
        out.insert(std::move(values));
      }
      if (listed.next_token.empty()) break;
      token = listed.next_token;
    }
    return out;
  }

  // Tables this crawler wrote under its targets whose data is gone (DeleteBehavior).
  Status RemoveVanishedTables(const std::vector<std::string>& roots) {
    std::vector<json::object> vanished;
    std::string token;
    for (std::size_t page = 0; page < kMaxCatalogPages; ++page) {
      CENOTE_ASSIGN_OR_RETURN(auto listed,
                              deps_.catalog.GetTables(def_.database, "", token, kCatalogPageSize));
      for (auto& t : listed.items) {
        const auto& params = ObjectMember(t, "Parameters");
        if (ParamString(params, "UPDATED_BY_CRAWLER") != def_.name) continue;
        if (produced_.count(ParamString(t, "Name")) > 0) continue;
        std::string location = TableLocation(t);
        bool ours = std::any_of(roots.begin(), roots.end(),
                                [&](const std::string& r) { return location.starts_with(r); });
        if (ours) vanished.push_back(std::move(t));
      }
      if (listed.next_token.empty()) break;
      token = listed.next_token;
    }
    for (auto& t : vanished) {
      std::string name = ParamString(t, "Name");
      if (def_.delete_behavior == "DELETE_FROM_DATABASE") {
        CENOTE_RETURN_IF_ERROR(deps_.catalog.DeleteTable(def_.database, name));
        ++result_.tables_deleted;
        result_.messages.push_back("Deleted table " + name + " (its data is gone)");
      } else if (def_.delete_behavior == "DEPRECATE_IN_DATABASE") {
        const auto& params = ObjectMember(t, "Parameters");
        if (params.contains("DEPRECATED_BY_CRAWLER")) continue;
        json::object input = TableInputFromTable(t);
        json::object new_params = params;
        new_params["DEPRECATED_BY_CRAWLER"] = "1";
        input["Parameters"] = std::move(new_params);
        CENOTE_RETURN_IF_ERROR(deps_.catalog.UpdateTable(def_.database, input, false));
        ++result_.tables_deleted;
        result_.messages.push_back("Marked table " + name + " deprecated (its data is gone)");
      } else {
        result_.messages.push_back("Table " + name + " has no data any more (DeleteBehavior LOG)");
      }
    }
    return Status::Ok();
  }

  const CrawlDefinition& def_;
  CrawlDependencies& deps_;
  const std::atomic<bool>& stop_;
  const std::set<std::string>& crawled_before_;
  CrawlResult result_;
  std::set<std::string> produced_;
};

}  // namespace

std::string SqlQuote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

Result<std::optional<ClassifiedFile>> ClassifyFile(query::QueryEngine& engine, const std::string& local_path,
                                                   std::uint64_t size) {
  CENOTE_ASSIGN_OR_RETURN(auto magic, ReadTextHead(local_path, Compression::kNone, 4));
  ClassifiedFile out;
  if (IsParquetMagic(magic.text)) {
    CENOTE_ASSIGN_OR_RETURN(auto cols, Describe(engine, "SELECT * FROM read_parquet(" + SqlQuote(local_path) +
                                                            ", hive_partitioning=false)"));
    out.schema.classification = "parquet";
    out.schema.signature = "parquet";
    for (const auto& [name, type] : cols)
      out.schema.columns.push_back({AsciiLower(name), query::DuckDbTypeToGlue(type)});
    auto rows = engine.ExecuteTrusted("SELECT sum(num_rows) FROM parquet_file_metadata(" +
                                      SqlQuote(local_path) + ")");
    if (rows && !rows->empty() && !(*rows)[0].empty() && (*rows)[0][0]) {
      out.records = std::strtoull((*rows)[0][0]->c_str(), nullptr, 10);
    }
    out.average_record_size = out.records > 0 ? size / out.records : 0;
    return std::optional<ClassifiedFile>(std::move(out));
  }
  // LocalPath files have no extension, so DuckDB cannot guess the compression: it is passed explicitly
  // (and Hive partitioning is off: folder names are the crawler's business, not the file's columns).
  Compression compression = DetectCompression(magic.text);
  CENOTE_ASSIGN_OR_RETURN(auto head, ReadTextHead(local_path, compression, kTextHeadBytes));
  auto records = SplitRecords(head.text, head.complete, kSampleRecords);
  if (records.empty()) return std::optional<ClassifiedFile>();
  std::string compression_name(CompressionName(compression));
  out.schema.compression = compression_name;
  std::uint64_t sampled_bytes = 0;
  for (const auto& r : records) sampled_bytes += r.size() + 1;

  std::vector<std::string> json_check(
      records.begin(),
      records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), kJsonCheckRecords)));
  if (IsJsonLines(json_check)) {
    CENOTE_ASSIGN_OR_RETURN(
        auto cols,
        Describe(engine, "SELECT * FROM read_json(" + SqlQuote(local_path) +
                             ", format='newline_delimited', compression=" +
                             SqlQuote(compression == Compression::kNone ? "uncompressed" : compression_name) +
                             ", hive_partitioning=false)"));
    out.schema.classification = "json";
    out.schema.signature = "json";
    for (const auto& [name, type] : cols) {
      std::string glue = query::DuckDbTypeToGlue(type);
      // The JSON classifier keeps date-like strings as strings; DuckDB's detection would make them dates.
      if (glue == "date" || glue == "timestamp" || glue == "time" || glue == "uuid") glue = "string";
      out.schema.columns.push_back({AsciiLower(name), glue});
    }
  } else {
    auto dialect = DetectCsv(records);
    if (!dialect) return std::optional<ClassifiedFile>();
    out.schema.classification = "csv";
    out.schema.delimiter = dialect->delimiter;
    out.schema.header = dialect->header;
    out.schema.quoted = dialect->quoted;
    out.schema.signature = std::string("csv|") + dialect->delimiter +
                           (dialect->header ? "|header" : "|noheader") + (dialect->quoted ? "|quoted" : "");
    std::size_t n = dialect->column_names.size();
    // The built-in CSV classifier's types: boolean, bigint, double, string.
    auto cols = Describe(engine, "SELECT * FROM read_csv(" + SqlQuote(local_path) +
                                     ", delim=" + SqlQuote(std::string(1, dialect->delimiter)) +
                                     ", header=" + (dialect->header ? "true" : "false") +
                                     ", quote='\"', escape='\"', compression=" + SqlQuote(compression_name) +
                                     ", auto_type_candidates=['BOOLEAN','BIGINT','DOUBLE','VARCHAR']" +
                                     ", null_padding=true, ignore_errors=true, hive_partitioning=false)");
    std::vector<std::string> types;
    if (cols && cols->size() == n) {
      for (const auto& [name, type] : *cols) types.push_back(query::DuckDbTypeToGlue(type));
    } else {
      types = CsvTypesFromSample(records, *dialect, n);
    }
    for (std::size_t i = 0; i < n; ++i) out.schema.columns.push_back({dialect->column_names[i], types[i]});
    if (dialect->header && !records.empty()) {
      sampled_bytes -= records[0].size() + 1;
      records.erase(records.begin());
    }
  }
  out.average_record_size = records.empty() ? 0 : sampled_bytes / records.size();
  if (head.complete) {
    out.records = records.size();
  } else if (out.average_record_size > 0) {
    // Compressed text: assume the head's ratio of text to file bytes holds (a rough estimate, as AWS's).
    std::uint64_t text_bytes = compression == Compression::kNone ? size : size * 4;
    out.records = text_bytes / out.average_record_size;
  }
  return std::optional<ClassifiedFile>(std::move(out));
}

Result<CrawlResult> RunCrawl(const CrawlDefinition& definition, CrawlDependencies& deps,
                             const std::atomic<bool>& stop, const std::set<std::string>& crawled_before) {
  return Crawl(definition, deps, stop, crawled_before).Run();
}

}  // namespace cenote::glue::crawler
