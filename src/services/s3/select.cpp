// SelectObjectContent (S3 Select): an SQL expression over one object, answered as an event stream.
//
// The request is checked (ExpressionType, serializations, ScanRange), the expression parsed and translated
// (select_sql.hpp) against the object's columns as the query engine reads them, and the query started; the
// first batch of rows is read before answering, so a request whose query cannot run gets an ordinary error
// response. The body then pulls batches from the engine as the client reads (memory bounded by one batch and
// one message) and frames them as AWS does (aws/protocol/event_stream.hpp): Records events of up to
// kRecordsMessageBytes, a Progress event after each when RequestProgress is enabled, then Stats and End.
// A failure after the first batch becomes an error event (AWS's way; the status line is long gone).
//
// The object is read as a local file (lake::LocalPath: the blob, or the multipart cache), through the query
// engine's sandbox (query/engine.hpp OpenObjectSelect): no user text is pasted into SQL.
#include <boost/json.hpp>
#include <cstring>

#include "aws/protocol/event_stream.hpp"
#include "common/clock.hpp"
#include "query/engine.hpp"
#include "services/s3/env.hpp"
#include "services/s3/select_sql.hpp"

namespace cenote::s3 {

namespace {

using aws::protocol::EventStreamMessage;

// Records events carry at most about this many bytes of records (a batch is never split).
constexpr std::size_t kRecordsMessageBytes = 256 * 1024;

const json::object* Member(const json::object& o, std::string_view name) {
  return services::GetObject(o, name);
}

// How the output is written (OutputSerialization).
struct OutputSpec {
  select::OutputFormat format = select::OutputFormat::kCsv;
  bool quote_always = false;
  std::string quote = "\"";
  std::string escape = "\"";
  std::string field_delimiter = ",";
  std::string record_delimiter = "\n";
};

// One delimiter or quote parameter: S3 takes a single character (the record delimiter may be "\r\n").
Result<std::string> CharParam(const json::object& o, std::string_view name, std::string fallback,
                              bool allow_crlf = false) {
  auto v = GetString(o, name);
  if (!v) return fallback;
  if (v->size() == 1 || (allow_crlf && *v == "\r\n")) return *v;
  return MakeError(errors::kInvalidRequestParameter, {std::string(name) + " must be one character"});
}

Result<OutputSpec> ParseOutput(const json::object& params) {
  const json::object* out = Member(params, "OutputSerialization");
  if (out == nullptr) return MakeError(errors::kSelectMissingParameter, {"OutputSerialization"});
  const json::object* csv = Member(*out, "CSV");
  const json::object* js = Member(*out, "JSON");
  if ((csv != nullptr) == (js != nullptr))
    return MakeError(errors::kObjectSerializationConflict, {"OutputSerialization"});
  OutputSpec spec;
  if (js != nullptr) {
    spec.format = select::OutputFormat::kJson;
    CENOTE_ASSIGN_OR_RETURN(spec.record_delimiter, CharParam(*js, "RecordDelimiter", "\n", true));
    return spec;
  }
  auto quote_fields = GetString(*csv, "QuoteFields").value_or("ASNEEDED");
  if (quote_fields != "ASNEEDED" && quote_fields != "ALWAYS") return MakeError(errors::kInvalidQuoteFields);
  spec.quote_always = quote_fields == "ALWAYS";
  CENOTE_ASSIGN_OR_RETURN(spec.quote, CharParam(*csv, "QuoteCharacter", "\""));
  CENOTE_ASSIGN_OR_RETURN(spec.escape, CharParam(*csv, "QuoteEscapeCharacter", spec.quote));
  CENOTE_ASSIGN_OR_RETURN(spec.field_delimiter, CharParam(*csv, "FieldDelimiter", ","));
  CENOTE_ASSIGN_OR_RETURN(spec.record_delimiter, CharParam(*csv, "RecordDelimiter", "\n", true));
  return spec;
}

// InputSerialization as the engine's ObjectSource (path and name filled in later).
Result<query::ObjectSource> ParseInput(const json::object& params, select::InputFormat& format) {
  const json::object* in = Member(params, "InputSerialization");
  if (in == nullptr) return MakeError(errors::kSelectMissingParameter, {"InputSerialization"});
  const json::object* csv = Member(*in, "CSV");
  const json::object* js = Member(*in, "JSON");
  const json::object* parquet = Member(*in, "Parquet");
  if ((csv != nullptr) + (js != nullptr) + (parquet != nullptr) != 1)
    return MakeError(errors::kObjectSerializationConflict, {"InputSerialization"});
  query::ObjectSource source;
  const std::string compression = GetString(*in, "CompressionType").value_or("NONE");
  if (compression != "NONE" && compression != "GZIP" && compression != "BZIP2")
    return MakeError(errors::kInvalidCompressionFormat, {"GZIP and BZIP2 are supported."});
  if (parquet != nullptr) {
    // AWS: Parquet objects carry their own (column) compression.
    if (compression != "NONE")
      return MakeError(errors::kInvalidCompressionFormat, {"Parquet objects take CompressionType NONE."});
    format = select::InputFormat::kParquet;
    source.format = query::ObjectSource::Format::kParquet;
    return source;
  }
  // The engine (DuckDB) reads gzip but not bzip2.
  if (compression == "BZIP2")
    return MakeError(errors::kInvalidCompressionFormat, {"Cenote reads GZIP; BZIP2 is not supported."});
  source.gzip = compression == "GZIP";
  if (js != nullptr) {
    format = select::InputFormat::kJson;
    auto type = GetString(*js, "Type");
    if (!type) return MakeError(errors::kSelectMissingParameter, {"JSON Type"});
    if (*type == "LINES") {
      source.format = query::ObjectSource::Format::kJsonLines;
    } else if (*type == "DOCUMENT") {
      source.format = query::ObjectSource::Format::kJsonDocument;
    } else {
      return MakeError(errors::kInvalidJsonType);
    }
    return source;
  }
  format = select::InputFormat::kCsv;
  source.format = query::ObjectSource::Format::kCsv;
  const std::string header = GetString(*csv, "FileHeaderInfo").value_or("NONE");
  if (header != "NONE" && header != "USE" && header != "IGNORE")
    return MakeError(errors::kInvalidFileHeaderInfo);
  source.header = header != "NONE";
  source.header_names = header == "USE";
  CENOTE_ASSIGN_OR_RETURN(source.delimiter, CharParam(*csv, "FieldDelimiter", ","));
  CENOTE_ASSIGN_OR_RETURN(source.quote, CharParam(*csv, "QuoteCharacter", "\""));
  CENOTE_ASSIGN_OR_RETURN(source.escape, CharParam(*csv, "QuoteEscapeCharacter", source.quote));
  CENOTE_ASSIGN_OR_RETURN(source.comment, CharParam(*csv, "Comments", ""));
  CENOTE_ASSIGN_OR_RETURN(std::string record, CharParam(*csv, "RecordDelimiter", "\n", true));
  if (record != "\n" && record != "\r\n" && record != "\r")
    return MakeError(errors::kInvalidRequestParameter, {"RecordDelimiter must be \\n, \\r\\n or \\r"});
  // "\n" (the default) also reads "\r\n" files, as S3 does.
  source.new_line = record == "\n" ? "" : record;
  return source;
}

// An engine failure in S3 Select's words. A file the engine cannot read as `format` is that format's parsing
// error (the engine names the object, never a local path).
Error SelectError(const Error& e, select::InputFormat format) {
  std::string m = e.message;
  if (m.rfind(e.code + ": ", 0) == 0) m = m.substr(e.code.size() + 2);  // the engine's Athena-style prefix
  auto mentions = [&](const char* word) { return m.find(word) != std::string::npos; };
  if (e.code == "INVALID_CAST_ARGUMENT") return MakeError(errors::kCastFailed);
  if (e.code == "HIVE_BAD_DATA" || mentions("Invalid Input Error") || mentions("CSV Error") ||
      mentions("Malformed JSON") || mentions("magic bytes")) {
    switch (format) {
      case select::InputFormat::kCsv:
        return MakeError(errors::kCsvParsingError, {m});
      case select::InputFormat::kJson:
        return MakeError(errors::kJsonParsingError, {m});
      case select::InputFormat::kParquet:
        return MakeError(errors::kParquetParsingError, {m});
    }
  }
  if (e.code == "SECURITY" || e.code == "SYNTAX_ERROR" || e.code == "COLUMN_NOT_FOUND" ||
      e.code == "NOT_SUPPORTED" || mentions("Binder Error"))
    return MakeError(errors::kUnsupportedSqlStructure, {m});
  if (e.code == "DIVISION_BY_ZERO")
    return cenote::MakeError("EvaluatorInvalidArguments", "Division by zero.", 400);
  return InternalError("S3 Select query failed: " + e.code + ": " + m);
}

std::string StatsXml(const char* root, std::uint64_t scanned, std::uint64_t processed,
                     std::uint64_t returned) {
  return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><") + root + " xmlns=\"\"><BytesScanned>" +
         std::to_string(scanned) + "</BytesScanned><BytesProcessed>" + std::to_string(processed) +
         "</BytesProcessed><BytesReturned>" + std::to_string(returned) + "</BytesReturned></" + root + ">";
}

std::string Event(const char* type, const char* content_type, std::string_view payload) {
  std::vector<std::pair<std::string, std::string>> headers = {{":event-type", type},
                                                              {":message-type", "event"}};
  if (content_type != nullptr) headers.emplace_back(":content-type", content_type);
  return EventStreamMessage(headers, payload);
}

// Writes result rows in the OutputSerialization's format.
class RecordWriter {
 public:
  RecordWriter(OutputSpec spec, std::vector<select::OutputColumn> columns)
      : spec_(std::move(spec)), columns_(std::move(columns)) {
    for (const auto& c : columns_) keys_.push_back(json::serialize(json::string(c.name)) + ":");
    specials_ = spec_.field_delimiter + spec_.quote + spec_.record_delimiter + "\r\n";
  }

  void Append(const query::TextBatch& batch, std::string& out) {
    const std::size_t rows = batch.rows();
    for (std::size_t r = 0; r < rows; ++r) {
      const auto* row = &batch.values[r * batch.columns];
      if (spec_.format == select::OutputFormat::kCsv) {
        AppendCsv(row, out);
      } else {
        AppendJson(row, out);
      }
      out += spec_.record_delimiter;
    }
  }

 private:
  void AppendCsvField(std::string_view v, bool& first, std::string& out) const {
    if (!first) out += spec_.field_delimiter;
    first = false;
    if (!spec_.quote_always && v.find_first_of(specials_) == std::string_view::npos) {
      out += v;
      return;
    }
    out += spec_.quote;
    for (char c : v) {
      if (std::string_view(spec_.quote) == std::string_view(&c, 1)) out += spec_.escape;
      out += c;
    }
    out += spec_.quote;
  }

  void AppendCsv(const std::optional<std::string_view>* row, std::string& out) const {
    bool first = true;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (columns_[c].kind == select::ValueKind::kRecord && row[c]) {
        // A whole JSON record: one field per member (strings as their text, the rest as JSON).
        boost::system::error_code ec;
        json::value v = json::parse(*row[c], ec);
        if (!ec && v.is_object()) {
          for (const auto& [key, member] : v.as_object()) {
            if (member.is_string()) {
              AppendCsvField(member.as_string(), first, out);
            } else if (member.is_null()) {
              AppendCsvField("", first, out);
            } else {
              AppendCsvField(json::serialize(member), first, out);
            }
          }
          continue;
        }
        if (!ec && v.is_string()) {
          AppendCsvField(v.as_string(), first, out);
          continue;
        }
      }
      AppendCsvField(row[c].value_or(""), first, out);
    }
  }

  void AppendJson(const std::optional<std::string_view>* row, std::string& out) const {
    out += '{';
    bool first = true;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (!row[c]) continue;  // MISSING (and SQL NULL): no member, as S3 Select writes it
      std::string_view v = *row[c];
      if (columns_[c].kind == select::ValueKind::kRecord && v.size() >= 2 && v.front() == '{') {
        std::string_view inner = v.substr(1, v.size() - 2);
        if (inner.empty()) continue;
        if (!first) out += ',';
        out += inner;
        first = false;
        continue;
      }
      if (!first) out += ',';
      out += keys_[c];
      out += v;
      first = false;
    }
    out += '}';
  }

  const OutputSpec spec_;
  const std::vector<select::OutputColumn> columns_;
  std::vector<std::string> keys_;  // "name": per column, JSON-escaped
  std::string specials_;           // characters that make a CSV field quoted
};

class SelectBody final : public aws::protocol::EventStreamBody {
 public:
  SelectBody(std::unique_ptr<query::TextCursor> cursor, query::TextBatch first, RecordWriter writer,
             std::uint64_t bytes_scanned, bool progress, select::InputFormat format)
      : cursor_(std::move(cursor)),
        batch_(std::move(first)),
        writer_(std::move(writer)),
        bytes_scanned_(bytes_scanned),
        progress_(progress),
        format_(format) {}

 private:
  // Queues the next Records event (and Progress), or the closing Stats and End.
  void Refill() override {
    std::string records;
    bool exhausted = false;
    while (records.size() < kRecordsMessageBytes) {
      if (have_batch_) {
        writer_.Append(batch_, records);
        have_batch_ = false;
      }
      auto more = cursor_->Next(batch_);
      if (!more) {
        Error e = SelectError(more.error(), format_);
        if (e.http_status >= 500) e = MakeError(errors::kSelectBusy);  // no internal text in the stream
        if (!records.empty()) AppendRecords(records);
        Queue(EventStreamMessage(
            {{":error-code", e.code}, {":error-message", e.message}, {":message-type", "error"}}, ""));
        End();
        return;
      }
      if (!*more) {
        exhausted = true;
        break;
      }
      have_batch_ = true;
    }
    if (!records.empty()) AppendRecords(records);
    if (exhausted) {
      cursor_.reset();  // the connection goes back to the pool before the client reads the end
      Queue(Event("Stats", "text/xml", StatsXml("Stats", bytes_scanned_, bytes_scanned_, returned_)));
      Queue(Event("End", nullptr, ""));
      End();
    }
  }

  void AppendRecords(const std::string& records) {
    returned_ += records.size();
    Queue(Event("Records", "application/octet-stream", records));
    if (progress_)
      Queue(Event("Progress", "text/xml", StatsXml("Progress", bytes_scanned_, bytes_scanned_, returned_)));
  }

  std::unique_ptr<query::TextCursor> cursor_;
  query::TextBatch batch_;
  bool have_batch_ = true;  // batch_ holds rows not yet written (the first batch, read before answering)
  RecordWriter writer_;
  const std::uint64_t bytes_scanned_;
  const bool progress_;
  const select::InputFormat format_;
  std::uint64_t returned_ = 0;
};

}  // namespace

Result<OperationOutput> SelectObjectContent(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string bucket, BucketParam(in));
  const std::string key = GetString(params, "Key").value_or("");
  CENOTE_RETURN_IF_ERROR(CheckObjectKey(key));
  if (env.engine == nullptr) return MakeError(errors::kNotImplemented);

  // The request itself first: a bad request is refused without reading the object.
  const auto expression = GetString(params, "Expression");
  if (!expression) return MakeError(errors::kSelectMissingParameter, {"Expression"});
  const auto expression_type = GetString(params, "ExpressionType");
  if (!expression_type) return MakeError(errors::kSelectMissingParameter, {"ExpressionType"});
  if (*expression_type != "SQL") return MakeError(errors::kInvalidExpressionType);
  select::InputFormat input_format = select::InputFormat::kCsv;
  CENOTE_ASSIGN_OR_RETURN(query::ObjectSource source, ParseInput(params, input_format));
  CENOTE_ASSIGN_OR_RETURN(OutputSpec output, ParseOutput(params));
  CENOTE_ASSIGN_OR_RETURN(select::Query parsed, select::Parse(*expression));
  bool progress = false;
  if (const json::object* p = Member(params, "RequestProgress"))
    progress = GetBool(*p, "Enabled").value_or(false);

  VersionRow latest;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
    CENOTE_ASSIGN_OR_RETURN(auto found, LoadLatest(*txn, bucket, key));
    if (!found || found->delete_marker) return NoSuchKeyError(key);
    latest = std::move(*found);
  }
  if (!IsReadable(latest, UnixNowMs()))
    return MakeError(errors::kInvalidObjectState).With("StorageClass", latest.storage_class);
  if (const json::object* range = Member(params, "ScanRange")) {
    // A range that covers the whole object is the object; S3 Select's record-aligned partial ranges are
    // not supported yet.
    const auto start = GetInt(*range, "Start");
    const auto end = GetInt(*range, "End");
    if ((start && *start < 0) || (end && *end < 0) || (start && end && *start > *end))
      return MakeError(errors::kInvalidScanRange);
    const bool whole =
        start.value_or(0) == 0 && (!end || static_cast<std::uint64_t>(*end) + 1 >= latest.size);
    if (!whole) return MakeError(errors::kUnsupportedScanRange);
  }

  // An encrypted object is read through its plaintext in memory; an SSE-C one needs its key here too.
  CENOTE_ASSIGN_OR_RETURN(auto data_key, KeyForRead(env, ctx, params, latest.attrs));
  if (data_key) {
    CENOTE_ASSIGN_OR_RETURN(source.path, lake::PlaintextPath(env, latest, *data_key));
  } else {
    CENOTE_ASSIGN_OR_RETURN(source.path, lake::LocalPath(env, ctx, bucket, key));
  }
  source.name = "s3://" + bucket + "/" + key;
  auto columns = env.engine->DescribeObject(source);
  if (!columns) return SelectError(columns.error(), input_format);
  CENOTE_ASSIGN_OR_RETURN(
      select::Translation translation,
      select::Translate(parsed, input_format, *columns, source.header_names, output.format));
  query::QueryContext query_ctx;
  auto cursor = env.engine->OpenObjectSelect(translation.sql, source, query_ctx);
  if (!cursor) return SelectError(cursor.error(), input_format);
  query::TextBatch first;
  auto started = (*cursor)->Next(first);
  if (!started) return SelectError(started.error(), input_format);

  OperationOutput out;
  out.body = std::make_unique<SelectBody>(std::move(*cursor), std::move(first),
                                          RecordWriter(std::move(output), std::move(translation.columns)),
                                          latest.size, progress, input_format);
  return out;
}

}  // namespace cenote::s3
