// Task states' integrations: optimized integrations (arn:aws:states:::<service>:<action>[.sync|.sync:2|
// .waitForTaskToken]), Lambda function ARNs, and AWS SDK integrations (arn:aws:states:::aws-sdk:<service>:
// <action>), called through the Invoker as a session of the state machine's role (or the state's
// Credentials.RoleArn), invoked_by states.amazonaws.com.
//
// Errors: an SDK integration's error is "<Service>.<ErrorCode>" in PascalCase with an "Exception" suffix, as
// AWS documents ("S3.NoSuchBucketException", "Sqs.QueueDoesNotExistException"); optimized integrations name
// the service as AWS's integration docs do ("SQS.", "SNS.", "Lambda.", "Athena.", "Glue.", "EventBridge.");
// a Lambda function's own error is its errorType; a failed .sync job is States.TaskFailed with the job's
// description as the cause.
#include <spdlog/spdlog.h>

#include <map>

#include "common/random.hpp"
#include "common/strings.hpp"
#include "iam/directory.hpp"
#include "services/states/asl/json_path.hpp"
#include "services/states/internal.hpp"

namespace cenote::states {

namespace {

using asl::TaskOutcome;
using asl::TaskRequest;

// SDK service names (the Resource's) -> endpoint prefixes and the PascalCase names errors use.
struct SdkService {
  std::string_view prefix;
  std::string_view error_name;
};
const std::map<std::string, SdkService, std::less<>>& SdkServices() {
  static const std::map<std::string, SdkService, std::less<>> kServices = {
      {"s3", {"s3", "S3"}},
      {"sqs", {"sqs", "Sqs"}},
      {"sns", {"sns", "Sns"}},
      {"kms", {"kms", "Kms"}},
      {"iam", {"iam", "Iam"}},
      {"sts", {"sts", "Sts"}},
      {"glue", {"glue", "Glue"}},
      {"athena", {"athena", "Athena"}},
      {"kinesis", {"kinesis", "Kinesis"}},
      {"firehose", {"firehose", "Firehose"}},
      {"eventbridge", {"events", "EventBridge"}},
      {"sfn", {"states", "Sfn"}},
      {"cloudtrail", {"cloudtrail", "CloudTrail"}},
      {"organizations", {"organizations", "Organizations"}},
      {"scheduler", {"scheduler", "Scheduler"}},
      {"lambda", {"lambda", "Lambda"}},
      {"cloudwatchlogs", {"logs", "CloudWatchLogs"}},
      {"dynamodb", {"dynamodb", "DynamoDb"}},
  };
  return kServices;
}

std::string Upper1(std::string s) {
  if (!s.empty()) s[0] = AsciiToUpper(s[0]);
  return s;
}
std::string Lower1(std::string s) {
  if (!s.empty()) s[0] = AsciiToLower(s[0]);
  return s;
}

// Services whose model members are camelCase take PascalCase parameters in state machines (and answer them).
json::value RecaseKeys(const json::value& v, bool to_lower) {
  if (v.is_array()) {
    json::array out;
    for (const auto& e : v.as_array()) out.push_back(RecaseKeys(e, to_lower));
    return out;
  }
  if (!v.is_object()) return v;
  json::object out;
  for (const auto& [k, e] : v.as_object()) {
    out[to_lower ? Lower1(std::string(k)) : Upper1(std::string(k))] = RecaseKeys(e, to_lower);
  }
  return out;
}

std::string Text(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : asl::ToJsonText(v);
}

TaskOutcome Failed(std::string error, std::string cause) {
  TaskOutcome o;
  o.kind = TaskOutcome::Kind::kFailed;
  o.error = std::move(error);
  o.cause = std::move(cause);
  return o;
}
TaskOutcome Succeeded(json::value output) {
  TaskOutcome o;
  o.output = std::move(output);
  return o;
}

std::string ErrorName(std::string_view service, const Error& e) {
  // Query-compatible services (SQS) name the error's shape in X-Amzn-ErrorType ("com.amazonaws.sqs#
  // QueueDoesNotExist") and keep their query code ("AWS.SimpleQueueService.NonExistentQueue") as the code:
  // the SDKs' exception (and so Step Functions' error name) is the shape's.
  std::string code = e.code;
  for (const auto& [name, value] : e.headers) {
    if (EqualsIgnoreAsciiCase(name, "X-Amzn-ErrorType")) code = value.substr(value.find('#') + 1);
  }
  if (!code.ends_with("Exception")) code += "Exception";
  return std::string(service) + "." + code;
}

class Integrations final : public asl::TaskRunner {
 public:
  explicit Integrations(Env& env) : env_(env) {}

  TaskOutcome Start(const asl::ExecutionInfo& x, const TaskRequest& r) override {
    if (env_.invoker == nullptr) return Failed("States.Runtime", "No invoker");
    const std::string& res = r.resource;
    const json::value& params = r.parameters;
    if (res.starts_with("arn:aws:lambda:")) {
      // A function ARN as the Resource: the state's input is the payload; the output is the function's.
      aws::OperationInput in;
      in.params = json::object{{"FunctionName", res}, {"Payload", Text(params)}};
      return FromLambda(Call(x, r, "lambda", "Invoke", in, "Lambda"), false);
    }
    if (auto arn = ParseArn(res); arn && arn->type == "activity") {
      // An activity: the task waits in the activity's queue for a worker (GetActivityTask), then for its
      // SendTask* with the token.
      Status queued = EnqueueActivityTask(env_, res, r.token, Text(params), x.execution_arn);
      if (!queued.ok()) return Failed("States.Runtime", queued.error().message);
      TaskOutcome wait;
      wait.kind = TaskOutcome::Kind::kAwaitToken;
      return wait;
    }
    if (!res.starts_with("arn:aws:states:::")) {
      return Failed("States.Runtime", "The resource " + res + " is not supported");
    }
    std::string rest = res.substr(17);
    std::string pattern;
    for (std::string_view suffix : {".waitForTaskToken", ".sync:2", ".sync"}) {
      if (rest.ends_with(suffix)) {
        pattern = std::string(suffix);
        rest.resize(rest.size() - suffix.size());
        break;
      }
    }
    TaskOutcome o = rest.starts_with("aws-sdk:") ? Sdk(x, r, rest.substr(8)) : Optimized(x, r, rest, pattern);
    if (pattern == ".waitForTaskToken" && o.kind == TaskOutcome::Kind::kSucceeded) {
      TaskOutcome wait;
      wait.kind = TaskOutcome::Kind::kAwaitToken;
      return wait;
    }
    return o;
  }

  TaskOutcome Poll(const asl::ExecutionInfo& x, const TaskRequest& r) override {
    const std::string kind = r.handle.is_object() ? GetString(r.handle.as_object(), "kind").value_or("") : "";
    const std::string id = r.handle.is_object() ? GetString(r.handle.as_object(), "id").value_or("") : "";
    aws::OperationInput in;
    if (kind == "athena") {
      in.params = json::object{{"QueryExecutionId", id}};
      auto out = Call(x, r, "athena", "GetQueryExecution", in, "Athena");
      if (!out) return Failed(ErrorName("Athena", out.error()), out.error().message);
      const json::object* qe = GetObject(out->result.as_object(), "QueryExecution");
      const json::object* status = qe ? GetObject(*qe, "Status") : nullptr;
      const std::string state = status ? GetString(*status, "State").value_or("") : "";
      if (state == "SUCCEEDED") return Succeeded(out->result);
      if (state == "FAILED" || state == "CANCELLED")
        return Failed("States.TaskFailed", asl::ToJsonText(out->result));
      return Again(r.handle);
    }
    if (kind == "glue") {
      in.params =
          json::object{{"JobName", GetString(r.handle.as_object(), "job").value_or("")}, {"RunId", id}};
      auto out = Call(x, r, "glue", "GetJobRun", in, "Glue");
      if (!out) return Failed(ErrorName("Glue", out.error()), out.error().message);
      const json::object* run = GetObject(out->result.as_object(), "JobRun");
      const std::string state = run ? GetString(*run, "JobRunState").value_or("") : "";
      if (state == "SUCCEEDED") return Succeeded(*run);
      if (state == "FAILED" || state == "ERROR" || state == "TIMEOUT" || state == "STOPPED") {
        return Failed("States.TaskFailed", asl::ToJsonText(*run));
      }
      return Again(r.handle);
    }
    if (kind == "states") {
      in.params = json::object{{"executionArn", id}};
      auto out = Call(x, r, "states", "DescribeExecution", in, "StepFunctions");
      if (!out) return Failed(ErrorName("StepFunctions", out.error()), out.error().message);
      json::object d = RecaseKeys(out->result, false).as_object();
      const std::string state = GetString(d, "Status").value_or("");
      if (state == "RUNNING") return Again(r.handle);
      // .sync:2 answers the child's Output as JSON; .sync as the string DescribeExecution holds.
      if (GetBool(r.handle.as_object(), "json").value_or(false) && d.contains("Output") &&
          d["Output"].is_string()) {
        boost::system::error_code ec;
        json::value v = json::parse(d["Output"].get_string(), ec);
        if (!ec) d["Output"] = std::move(v);
      }
      if (state == "SUCCEEDED") return Succeeded(d);
      return Failed("States.TaskFailed", asl::ToJsonText(d));
    }
    return Failed("States.Runtime", "Unknown .sync job");
  }

 private:
  TaskOutcome Again(const json::value& handle) const {
    TaskOutcome o;
    o.kind = TaskOutcome::Kind::kPoll;
    o.handle = handle;
    o.poll_after_ms = env_.Now() + env_.options.sync_poll_ms;
    return o;
  }
  TaskOutcome Submitted(json::value output, json::object handle) const {
    TaskOutcome o = Again(std::move(handle));
    o.submitted = true;
    o.output = std::move(output);
    return o;
  }

  Result<aws::OperationOutput> Call(const asl::ExecutionInfo& x, const TaskRequest& r,
                                    std::string_view service, std::string_view operation,
                                    aws::OperationInput& in, std::string_view) {
    auto p = ParseArn(x.execution_arn);
    aws::Caller caller;
    const std::string role = r.credentials_role.empty() ? x.role_arn : r.credentials_role;
    caller.principal = iam::RoleSessionPrincipal(role, "states-" + RandomHex(8), p ? p->account : "");
    caller.region = p ? p->region : "";
    caller.invoked_by = std::string(kServicePrincipal);
    return env_.invoker->Call(caller, service, operation, in);
  }

  TaskOutcome FromLambda(Result<aws::OperationOutput> out, bool optimized) {
    if (!out) return Failed(ErrorName("Lambda", out.error()), out.error().message);
    const json::object& res = out->result.as_object();
    const std::string payload = GetString(res, "Payload").value_or("");
    boost::system::error_code ec;
    json::value parsed = payload.empty() ? json::value(nullptr) : json::parse(payload, ec);
    if (ec) parsed = json::value(payload);
    if (auto fe = GetString(res, "FunctionError")) {
      std::string error = "Lambda.Unknown";
      if (parsed.is_object()) {
        if (auto t = GetString(parsed.as_object(), "errorType")) error = *t;
      }
      return Failed(error, payload);
    }
    if (!optimized) return Succeeded(parsed);
    return Succeeded(json::object{{"ExecutedVersion", GetString(res, "ExecutedVersion").value_or("$LATEST")},
                                  {"Payload", parsed},
                                  {"StatusCode", GetInt(res, "StatusCode").value_or(200)}});
  }

  TaskOutcome Direct(const asl::ExecutionInfo& x, const TaskRequest& r, std::string_view service,
                     std::string_view operation, json::object params, std::string_view error_service) {
    aws::OperationInput in;
    in.params = std::move(params);
    auto out = Call(x, r, service, operation, in, error_service);
    if (!out) return Failed(ErrorName(error_service, out.error()), out.error().message);
    return Succeeded(out->result);
  }

  TaskOutcome Optimized(const asl::ExecutionInfo& x, const TaskRequest& r, const std::string& rest,
                        const std::string& pattern) {
    json::object p = r.parameters.is_object() ? r.parameters.as_object() : json::object{};
    const bool sync = pattern.starts_with(".sync");
    if (rest == "lambda:invoke") {
      if (p.contains("Payload")) p["Payload"] = Text(p["Payload"]);
      aws::OperationInput in;
      in.params = std::move(p);
      return FromLambda(Call(x, r, "lambda", "Invoke", in, "Lambda"), true);
    }
    if (rest == "sqs:sendMessage") {
      if (p.contains("MessageBody")) p["MessageBody"] = Text(p["MessageBody"]);
      return Direct(x, r, "sqs", "SendMessage", std::move(p), "SQS");
    }
    if (rest == "sns:publish") {
      if (p.contains("Message")) p["Message"] = Text(p["Message"]);
      return Direct(x, r, "sns", "Publish", std::move(p), "SNS");
    }
    if (rest == "events:putEvents") {
      if (json::array* entries =
              p.contains("Entries") && p["Entries"].is_array() ? &p["Entries"].as_array() : nullptr) {
        for (auto& e : *entries) {
          if (e.is_object() && e.as_object().contains("Detail"))
            e.as_object()["Detail"] = Text(e.as_object()["Detail"]);
        }
      }
      TaskOutcome o = Direct(x, r, "events", "PutEvents", std::move(p), "EventBridge");
      if (o.kind == TaskOutcome::Kind::kSucceeded && o.output.is_object() &&
          GetInt(o.output.as_object(), "FailedEntryCount").value_or(0) > 0) {
        return Failed("EventBridge.FailedEntry", asl::ToJsonText(o.output));
      }
      return o;
    }
    if (rest == "kinesis:putRecord") {
      if (p.contains("Data")) p["Data"] = Text(p["Data"]);
      return Direct(x, r, "kinesis", "PutRecord", std::move(p), "Kinesis");
    }
    if (rest == "firehose:putRecord") {
      if (json::object* rec =
              p.contains("Record") && p["Record"].is_object() ? &p["Record"].as_object() : nullptr) {
        if (rec->contains("Data")) (*rec)["Data"] = Text((*rec)["Data"]);
      }
      return Direct(x, r, "firehose", "PutRecord", std::move(p), "Firehose");
    }
    if (rest == "glue:startCrawler") return Direct(x, r, "glue", "StartCrawler", std::move(p), "Glue");
    if (rest == "glue:startJobRun") {
      const std::string job = GetString(p, "JobName").value_or("");
      TaskOutcome o = Direct(x, r, "glue", "StartJobRun", std::move(p), "Glue");
      if (!sync || o.kind != TaskOutcome::Kind::kSucceeded) return o;
      return Submitted(o.output,
                       json::object{{"kind", "glue"},
                                    {"job", job},
                                    {"id", GetString(o.output.as_object(), "JobRunId").value_or("")}});
    }
    if (rest == "athena:startQueryExecution") {
      TaskOutcome o = Direct(x, r, "athena", "StartQueryExecution", std::move(p), "Athena");
      if (!sync || o.kind != TaskOutcome::Kind::kSucceeded) return o;
      return Submitted(
          o.output, json::object{{"kind", "athena"},
                                 {"id", GetString(o.output.as_object(), "QueryExecutionId").value_or("")}});
    }
    if (rest == "athena:getQueryResults")
      return Direct(x, r, "athena", "GetQueryResults", std::move(p), "Athena");
    if (rest == "athena:getQueryExecution")
      return Direct(x, r, "athena", "GetQueryExecution", std::move(p), "Athena");
    if (rest == "athena:stopQueryExecution")
      return Direct(x, r, "athena", "StopQueryExecution", std::move(p), "Athena");
    if (rest == "states:startExecution") {
      if (p.contains("Input")) p["Input"] = Text(p["Input"]);
      json::object lower = RecaseKeys(p, true).as_object();
      if (lower.contains("input") && !p.contains("Input")) lower.erase("input");
      if (p.contains("Input")) lower["input"] = Text(p["Input"]);
      TaskOutcome o = Direct(x, r, "states", "StartExecution", std::move(lower), "StepFunctions");
      if (o.kind != TaskOutcome::Kind::kSucceeded) return o;
      o.output = RecaseKeys(o.output, false);
      if (!sync) return o;
      return Submitted(o.output,
                       json::object{{"kind", "states"},
                                    {"json", pattern == ".sync:2"},
                                    {"id", GetString(o.output.as_object(), "ExecutionArn").value_or("")}});
    }
    if (rest.starts_with("dynamodb:")) {
      return Failed("DynamoDB.AmazonDynamoDBException", "Amazon DynamoDB is not available on this server");
    }
    return Failed("States.Runtime", "The resource arn:aws:states:::" + rest + pattern + " is not supported");
  }

  TaskOutcome Sdk(const asl::ExecutionInfo& x, const TaskRequest& r, const std::string& rest) {
    const std::size_t colon = rest.find(':');
    if (colon == std::string::npos) return Failed("States.Runtime", "Invalid resource " + r.resource);
    const std::string service = rest.substr(0, colon);
    const std::string action = Upper1(rest.substr(colon + 1));
    auto it = SdkServices().find(service);
    if (it == SdkServices().end()) {
      return Failed(Upper1(service) + ".ServiceException",
                    "The service " + service + " is not available on this server");
    }
    const bool camel = it->second.prefix == "states" || it->second.prefix == "logs";
    aws::OperationInput in;
    in.params = camel ? RecaseKeys(r.parameters, true) : r.parameters;
    if (!in.params.is_object()) in.params = json::object{};
    auto out = Call(x, r, it->second.prefix, action, in, it->second.error_name);
    if (!out) return Failed(ErrorName(it->second.error_name, out.error()), out.error().message);
    return Succeeded(camel ? RecaseKeys(out->result, false) : out->result);
  }

  Env& env_;

 public:
  Result<std::pair<std::string, bool>> StartMapRun(const asl::ExecutionInfo& x,
                                                   const asl::MapRunRequest& r) override {
    return states::StartMapRun(env_, x, r);
  }
  asl::MapRunStatus MapRunState(const asl::ExecutionInfo& x, const std::string& arn) override {
    (void)x;
    return states::MapRunState(env_, arn);
  }
  Result<json::array> ReadItems(const asl::ExecutionInfo& x, const TaskRequest& r,
                                const json::object& config) override {
    const std::int64_t max_items = GetInt(config, "MaxItems").value_or(0);
    json::array items;
    const json::object params = r.parameters.is_object() ? r.parameters.as_object() : json::object{};
    auto full = [&] { return max_items > 0 && static_cast<std::int64_t>(items.size()) >= max_items; };
    if (r.resource == "arn:aws:states:::s3:listObjectsV2") {
      // Every page of the listing; each object as Distributed Map items show it (LastModified in seconds).
      std::string token;
      do {
        aws::OperationInput in;
        json::object p = params;
        if (!token.empty()) p["ContinuationToken"] = token;
        in.params = std::move(p);
        auto out = Call(x, r, "s3", "ListObjectsV2", in, "S3");
        if (!out)
          return MakeError("States.ItemReaderFailed",
                           ErrorName("S3", out.error()) + ": " + out.error().message);
        const json::object& res = out->result.as_object();
        if (const json::array* contents = GetArray(res, "Contents")) {
          for (const auto& c : *contents) {
            if (full()) break;
            const json::object& o = c.as_object();
            json::object item{{"Etag", GetString(o, "ETag").value_or("")},
                              {"Key", GetString(o, "Key").value_or("")},
                              {"LastModified", GetInt(o, "LastModified").value_or(0) / 1000},
                              {"Size", GetInt(o, "Size").value_or(0)},
                              {"StorageClass", GetString(o, "StorageClass").value_or("STANDARD")}};
            items.push_back(std::move(item));
          }
        }
        token = GetBool(res, "IsTruncated").value_or(false)
                    ? GetString(res, "NextContinuationToken").value_or("")
                    : "";
      } while (!token.empty() && !full());
      return items;
    }
    if (r.resource != "arn:aws:states:::s3:getObject") {
      return MakeError("States.ItemReaderFailed",
                       "The ItemReader resource " + r.resource + " is not supported");
    }
    aws::OperationInput in;
    in.params = params;
    auto out = Call(x, r, "s3", "GetObject", in, "S3");
    if (!out)
      return MakeError("States.ItemReaderFailed", ErrorName("S3", out.error()) + ": " + out.error().message);
    std::string body;
    if (out->body) {
      char buf[65536];
      while (true) {
        CENOTE_ASSIGN_OR_RETURN(std::size_t n, out->body->Read(buf, sizeof(buf)));
        if (n == 0) break;
        body.append(buf, n);
        if (body.size() > 256ull * 1024 * 1024) {
          return MakeError("States.ItemReaderFailed", "The item source is larger than 256 MiB");
        }
      }
    }
    const std::string type = GetString(config, "InputType").value_or("JSON");
    if (type == "JSON") {
      boost::system::error_code ec;
      json::value v = json::parse(body, ec);
      if (ec || !v.is_array()) {
        return MakeError("States.ItemReaderFailed", "The object's content is not a JSON array");
      }
      for (auto& e : v.as_array()) {
        if (full()) break;
        items.push_back(std::move(e));
      }
      return items;
    }
    if (type == "JSONL") {
      std::size_t at = 0;
      while (at < body.size() && !full()) {
        std::size_t nl = body.find('\n', at);
        if (nl == std::string::npos) nl = body.size();
        std::string_view line(body.data() + at, nl - at);
        at = nl + 1;
        if (TrimAsciiSpace(line).empty()) continue;
        boost::system::error_code ec;
        json::value v = json::parse(line, ec);
        if (ec) return MakeError("States.ItemReaderFailed", "A line of the object is not JSON");
        items.push_back(std::move(v));
      }
      return items;
    }
    if (type == "CSV") {
      std::vector<std::vector<std::string>> rows =
          ParseCsv(body, GetString(config, "CSVDelimiter").value_or("COMMA"));
      std::vector<std::string> header;
      std::size_t first = 0;
      if (GetString(config, "CSVHeaderLocation").value_or("FIRST_ROW") == "GIVEN") {
        if (const json::array* h = GetArray(config, "CSVHeaders")) {
          for (const auto& v : *h) header.emplace_back(v.is_string() ? v.get_string() : "");
        }
      } else if (!rows.empty()) {
        header = rows[0];
        first = 1;
      }
      for (std::size_t i = first; i < rows.size() && !full(); ++i) {
        json::object item;
        for (std::size_t c = 0; c < header.size(); ++c)
          item[header[c]] = c < rows[i].size() ? rows[i][c] : "";
        items.push_back(std::move(item));
      }
      return items;
    }
    return MakeError("States.ItemReaderFailed", "The ReaderConfig InputType " + type + " is not supported");
  }

 private:
  // RFC 4180: quoted fields with "" escapes, CRLF or LF rows; blank lines skipped.
  static std::vector<std::vector<std::string>> ParseCsv(const std::string& text,
                                                        const std::string& delimiter) {
    const char d = delimiter == "TAB"         ? '\t'
                   : delimiter == "SEMICOLON" ? ';'
                   : delimiter == "PIPE"      ? '|'
                                              : ',';
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, any = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (quoted) {
        if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else if (c == '"') {
          quoted = false;
        } else {
          field += c;
        }
        continue;
      }
      if (c == '"') {
        quoted = true;
        any = true;
      } else if (c == d) {
        row.push_back(std::move(field));
        field.clear();
        any = true;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        if (any || !field.empty()) {
          row.push_back(std::move(field));
          rows.push_back(std::move(row));
        }
        row.clear();
        field.clear();
        any = false;
      } else {
        field += c;
        any = true;
      }
    }
    if (any || !field.empty()) {
      row.push_back(std::move(field));
      rows.push_back(std::move(row));
    }
    return rows;
  }
};

}  // namespace

std::unique_ptr<asl::TaskRunner> MakeTaskRunner(Env& env) { return std::make_unique<Integrations>(env); }

}  // namespace cenote::states
