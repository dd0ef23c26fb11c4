// Map Runs: a Distributed Map's child executions, started at most MaxConcurrency at a time, counted against
// the tolerated failures, their results written to S3 by ResultWriter; DescribeMapRun, ListMapRuns,
// UpdateMapRun and ListExecutions(mapRunArn).
//
// Storage: a Map Run is a row of states_map_runs (its doc: DescribeMapRun's settings, the child definition,
// the ResultWriter's target) and one row per child input in states_map_run_items (the child execution's ARN
// once started). Child executions are ordinary rows of states_executions (machine_arn: the Map Run's ARN),
// so they advance, survive kill -9 and answer DescribeExecution like any other.
//
// Order of an advance (one thread per Map Run, as ExecutionLock gives executions): the run, its parent's
// status and each item's child status are read -> the run ends (its parent stopped: ABORTED; the tolerated
// failures exceeded: FAILED, running children stopped; every item done: SUCCEEDED), or more children start
// up to MaxConcurrency -> at its end the ResultWriter's files are put (as the state machine's role) -> the
// new children, the stop deliveries and the run's status commit in one transaction -> the children, and at
// its end the parent, are armed. A crash before the commit repeats the advance (the S3 puts write the same
// keys).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/random.hpp"
#include "http/message.hpp"
#include "iam/directory.hpp"
#include "services/states/asl/json_path.hpp"
#include "services/states/internal.hpp"
#include "services/states/result_files.hpp"

namespace cenote::states {

namespace {

// AWS runs at most 10,000 child executions of a Map Run in parallel (MaxConcurrency 0).
constexpr std::int64_t kMaxChildren = 10'000;
// Children started by one advance (the rest start at the next one).
constexpr std::int64_t kStartsPerAdvance = 1'000;

struct Item {
  std::int64_t idx = 0, count = 1;
  std::string execution, status;  // status: "" while pending
};

struct Counts {
  std::int64_t pending = 0, running = 0, succeeded = 0, failed = 0, timed_out = 0, aborted = 0, total = 0;
  std::int64_t Failures() const { return failed + timed_out + aborted; }
  void Add(const std::string& status, std::int64_t n) {
    total += n;
    if (status.empty()) {
      pending += n;
    } else if (status == "RUNNING") {
      running += n;
    } else if (status == "SUCCEEDED") {
      succeeded += n;
    } else if (status == "FAILED") {
      failed += n;
    } else if (status == "TIMED_OUT") {
      timed_out += n;
    } else {
      aborted += n;
    }
  }
  json::object ToJson(std::int64_t results_written, std::int64_t pending_redrive) const {
    return json::object{{"pending", pending},
                        {"running", running},
                        {"succeeded", succeeded},
                        {"failed", failed},
                        {"timedOut", timed_out},
                        {"aborted", aborted},
                        {"total", total},
                        {"resultsWritten", results_written},
                        {"failuresNotRedrivable", 0},
                        {"pendingRedrive", pending_redrive}};
  }
};

Result<std::vector<Item>> LoadItems(store::Transaction& txn, const std::string& arn) {
  CENOTE_ASSIGN_OR_RETURN(
      auto rows, txn.Query("SELECT i.idx, i.n, i.execution, e.status FROM states_map_run_items i "
                           "LEFT JOIN states_executions e ON e.arn = i.execution WHERE i.map_run = ? "
                           "ORDER BY i.idx",
                           {arn}));
  std::vector<Item> items;
  items.reserve(rows.size());
  for (const auto& r : rows) {
    Item it;
    it.idx = store::AsInt(r[0]);
    it.count = store::AsInt(r[1]);
    if (!store::IsNull(r[2])) it.execution = store::AsText(r[2]);
    if (!store::IsNull(r[3])) it.status = store::AsText(r[3]);
    if (!it.execution.empty() && it.status.empty()) it.status = "ABORTED";  // (a child row that went)
    items.push_back(std::move(it));
  }
  return items;
}

// Whether the failures exceed the run's tolerance: either threshold that is set; none tolerated when neither
// is (AWS's default).
bool Exceeded(const json::object& doc, const Counts& items) {
  const std::int64_t failures = items.Failures();
  if (failures == 0) return false;
  const auto count = GetInt(doc, "toleratedFailureCount");
  std::optional<double> pct;
  if (auto it = doc.find("toleratedFailurePercentage"); it != doc.end() && it->value().is_number())
    pct = it->value().to_number<double>();
  if (!count && !pct) return true;
  if (count && failures > *count) return true;
  return pct && items.total > 0 &&
         100.0 * static_cast<double>(failures) / static_cast<double>(items.total) > *pct;
}

// Arms `arn` at `due` unless it is already due earlier.
void ArmBy(Env& env, const std::string& arn, std::int64_t due) {
  {
    MutexLock lock(env.mu);
    if (auto it = env.due_of.find(arn); it != env.due_of.end() && it->second <= due) return;
  }
  env.Arm(arn, due);
}

std::string Uuid(const std::string& arn) {
  auto p = ParseArn(arn);
  return p ? p->qualifier : "";
}

// PutObject as the state machine's role (a session of it, as Task states call), invoked by Step Functions.
Status PutJson(Env& env, const json::object& doc, const std::string& bucket, const std::string& key,
               const std::string& bytes) {
  if (env.invoker == nullptr) return MakeError("States.ResultWriterFailed", "No S3 is available");
  auto p = ParseArn(GetString(doc, "executionArn").value_or(""));
  aws::Caller caller;
  caller.principal = iam::RoleSessionPrincipal(GetString(doc, "roleArn").value_or(""),
                                               "states-" + RandomHex(8), p ? p->account : "");
  caller.region = p ? p->region : "";
  caller.invoked_by = std::string(kServicePrincipal);
  http::StringReader body(bytes);
  aws::OperationInput in;
  in.params = json::object{{"Bucket", bucket}, {"Key", key}, {"ContentType", "application/json"}};
  in.body = &body;
  auto out = env.invoker->Call(caller, "s3", "PutObject", in);
  if (!out) return MakeError("States.ResultWriterFailed", out.error().code + ": " + out.error().message);
  return Status::Ok();
}

// The ResultWriter's WriterConfig: Transformation NONE (each child execution with its metadata; the
// default when exporting), COMPACT (the outputs only; the default otherwise) or FLATTEN (the outputs, an
// array output spread into the list); OutputType JSON (an array) or JSONL (a value per line).
struct WriterConfig {
  std::string transformation;
  bool jsonl = false;
};

WriterConfig WriterConfigOf(const json::object& doc, bool exporting) {
  WriterConfig c{.transformation = exporting ? "NONE" : "COMPACT", .jsonl = false};
  if (auto it = doc.find("writerConfig"); it != doc.end() && it->value().is_object()) {
    const json::object& w = it->value().as_object();
    if (auto t = GetString(w, "Transformation")) c.transformation = *t;
    c.jsonl = GetString(w, "OutputType") == "JSONL";
  }
  return c;
}

// A succeeded child's output as the transformation writes it: appended to `out` (spread when FLATTEN and
// an array).
void AppendOutput(const std::string& transformation, const std::string& output_text, json::array& out) {
  boost::system::error_code ec;
  json::value v = json::parse(output_text, ec);
  if (ec) v = nullptr;
  if (transformation == "FLATTEN" && v.is_array()) {
    for (auto& e : v.as_array()) out.push_back(std::move(e));
  } else {
    out.push_back(std::move(v));
  }
}

// ResultWriter: <Prefix>/<Map Run id>/manifest.json and SUCCEEDED_0.json / FAILED_0.json / PENDING_0.json
// (.jsonl with OutputType JSONL; written when they have entries; _1, _2 ... when a status's entries exceed
// the size of one file, see result_files.hpp), each entry a child execution as AWS
// writes it (or, with COMPACT or FLATTEN, a succeeded child's output; failed ones stay as they are).
// Returns the ResultWriterDetails.
Result<json::object> WriteResults(Env& env, const json::object& doc, const std::vector<Item>& items,
                                  const std::map<std::string, json::object>& children,
                                  const std::vector<std::string>& pending_inputs) {
  const json::object& rw = doc.at("resultWriter").as_object();
  const std::string bucket = GetString(rw, "Bucket").value_or("");
  std::string prefix = GetString(rw, "Prefix").value_or("");
  while (prefix.ends_with('/')) prefix.pop_back();
  const std::string map_run = GetString(doc, "mapRunArn").value_or("");
  const std::string dir = (prefix.empty() ? "" : prefix + "/") + Uuid(map_run) + "/";
  const WriterConfig config = WriterConfigOf(doc, true);
  json::array succeeded, failed, pending;
  for (const auto& it : items) {
    if (it.execution.empty()) continue;
    auto c = children.find(it.execution);
    if (c == children.end()) continue;
    const json::object& d = c->second;
    const std::string status = GetString(d, "status").value_or("");
    if (status == "RUNNING") continue;
    json::object e{{"ExecutionArn", it.execution},
                   {"Input", GetString(d, "input").value_or("{}")},
                   {"InputDetails", json::object{{"Included", true}}},
                   {"Name", GetString(d, "name").value_or("")},
                   {"RedriveCount", GetInt(d, "redriveCount").value_or(0)},
                   {"StartDate", asl::FormatTimestamp(GetInt(d, "startDate").value_or(0))},
                   {"StateMachineArn", GetString(d, "stateMachineArn").value_or("")},
                   {"Status", status},
                   {"StopDate", asl::FormatTimestamp(GetInt(d, "stopDate").value_or(0))}};
    if (status == "SUCCEEDED" && config.transformation != "NONE") {
      AppendOutput(config.transformation, GetString(d, "output").value_or("null"), succeeded);
    } else if (status == "SUCCEEDED") {
      e["Output"] = GetString(d, "output").value_or("null");
      e["OutputDetails"] = json::object{{"Included", true}};
      e["RedriveStatus"] = "NOT_REDRIVABLE";
      e["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven";
      succeeded.push_back(std::move(e));
    } else {
      if (auto er = GetString(d, "error")) e["Error"] = *er;
      if (auto ca = GetString(d, "cause")) e["Cause"] = *ca;
      e["RedriveStatus"] = GetString(d, "type") == "EXPRESS" ? "NOT_REDRIVABLE" : "REDRIVABLE";
      failed.push_back(std::move(e));
    }
  }
  for (const auto& input : pending_inputs) {
    pending.push_back(json::object{{"Input", input}, {"InputDetails", json::object{{"Included", true}}}});
  }
  json::object files{{"FAILED", json::array{}}, {"PENDING", json::array{}}, {"SUCCEEDED", json::array{}}};
  for (auto [name, entries] :
       {std::pair{"SUCCEEDED", &succeeded}, std::pair{"FAILED", &failed}, std::pair{"PENDING", &pending}}) {
    const std::vector<std::string> bodies =
        ResultFileBodies(*entries, config.jsonl, env.options.result_file_bytes);
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      std::string key = dir;
      key.append(name).append("_").append(std::to_string(i)).append(config.jsonl ? ".jsonl" : ".json");
      CENOTE_RETURN_IF_ERROR(PutJson(env, doc, bucket, key, bodies[i]));
      files[name].as_array().push_back(
          json::object{{"Key", key}, {"Size", static_cast<std::int64_t>(bodies[i].size())}});
    }
  }
  const std::string manifest_key = dir + "manifest.json";
  json::object manifest{
      {"DestinationBucket", bucket}, {"MapRunArn", map_run}, {"ResultFiles", std::move(files)}};
  CENOTE_RETURN_IF_ERROR(PutJson(env, doc, bucket, manifest_key, json::serialize(manifest)));
  return json::object{{"Bucket", bucket}, {"Key", manifest_key}};
}

Result<json::object> MapRunRow(store::Transaction& txn, const std::string& arn) {
  auto p = ParseArn(arn);
  if (!p || p->type != "mapRun" || p->qualifier.empty()) return InvalidArn(arn);
  CENOTE_ASSIGN_OR_RETURN(auto row, txn.QueryOne("SELECT doc FROM states_map_runs WHERE arn = ?", {arn}));
  if (!row) return services::MakeError(errors::kResourceNotFound, {"Resource not found: '" + arn + "'"});
  return ParseDoc((*row)[0]);
}

std::string LabelFor(const asl::MapRunRequest& r) {
  if (!r.label.empty()) return r.label;
  // Without a Label, the state's name when it can name an ARN part; else a generated one.
  std::string name = r.state_name;
  const bool ok = !name.empty() && name.size() <= 40 && ValidName(name);
  return ok ? name : RandomHex(8);
}

}  // namespace

Result<std::pair<std::string, bool>> StartMapRun(Env& env, const asl::ExecutionInfo& x,
                                                 const asl::MapRunRequest& r) {
  auto p = ParseArn(x.execution_arn);
  if (!p) return MakeError("States.Runtime", "Invalid execution ARN " + x.execution_arn);
  const std::int64_t now = env.Now();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto existing, txn->Query("SELECT arn, doc, status FROM states_map_runs WHERE "
                                                    "execution = ?",
                                                    {x.execution_arn}));
  for (const auto& row : existing) {
    json::object doc = ParseDoc(row[1]);
    if (GetString(doc, "key") != r.key) continue;
    const std::string arn = store::AsText(row[0]);
    const std::string status = store::AsText(row[2]);
    if ((status != "FAILED" && status != "ABORTED") ||
        x.redrive_count <= GetInt(doc, "redriveCount").value_or(0))
      return std::pair{arn, false};
    // The parent's redrive redrives its Map Run: the items that did not succeed run again, a Standard child
    // redriven (the same execution, its redriveCount counted), an Express one (or one that cannot be) as a
    // new child execution.
    CENOTE_ASSIGN_OR_RETURN(std::vector<Item> items, LoadItems(*txn, arn));
    std::vector<std::string> redriven;
    for (const auto& it : items) {
      if (it.status == "SUCCEEDED" || it.execution.empty()) continue;
      if (GetString(doc, "executionType") != "EXPRESS") {
        CENOTE_ASSIGN_OR_RETURN(
            auto child, txn->QueryOne("SELECT doc FROM states_executions WHERE arn = ?", {it.execution}));
        if (child && RedriveRow(env, *txn, it.execution, ParseDoc((*child)[0]), now)) {
          redriven.push_back(it.execution);
          continue;
        }
      }
      CENOTE_RETURN_IF_ERROR(Status::FromResult(txn->Exec(
          "UPDATE states_map_run_items SET execution = NULL WHERE map_run = ? AND idx = ?", {arn, it.idx})));
    }
    doc["status"] = "RUNNING";
    doc["redriveCount"] = x.redrive_count;
    doc["redriveDate"] = now;
    for (std::string_view k : {"stopDate", "error", "cause", "output"}) doc.erase(k);
    CENOTE_RETURN_IF_ERROR(
        Status::FromResult(txn->Exec("UPDATE states_map_runs SET status = 'RUNNING', doc = ? WHERE arn = ?",
                                     {json::serialize(doc), arn})));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    for (const auto& c : redriven) env.Arm(c, now);
    env.Arm(arn, now);
    return std::pair{arn, true};
  }
  const std::string label = LabelFor(r);
  const std::string child_machine = x.state_machine_name + "/" + label;
  const std::string arn =
      "arn:aws:states:" + p->region + ":" + p->account + ":mapRun:" + child_machine + ":" + NewUuidV4();
  std::int64_t total = 0;
  for (auto n : r.item_counts) total += n;
  json::object doc{{"mapRunArn", arn},
                   {"executionArn", x.execution_arn},
                   {"stateMachineArn", MachineArn(p->region, p->account, child_machine)},
                   {"machineName", child_machine},
                   {"key", r.key},
                   {"status", "RUNNING"},
                   {"startDate", now},
                   {"maxConcurrency", r.max_concurrency},
                   {"definition", json::serialize(r.processor)},
                   {"roleArn", x.role_arn},
                   {"executionType", r.execution_type.empty() ? "STANDARD" : r.execution_type},
                   {"itemTotal", total},
                   {"redriveCount", 0}};
  if (r.tolerated_count >= 0) doc["toleratedFailureCount"] = r.tolerated_count;
  if (r.tolerated_percentage >= 0) doc["toleratedFailurePercentage"] = r.tolerated_percentage;
  if (!r.result_writer.is_null()) doc["resultWriter"] = r.result_writer;
  if (!r.writer_config.is_null()) doc["writerConfig"] = r.writer_config;
  CENOTE_RETURN_IF_ERROR(Status::FromResult(txn->Exec(
      "INSERT INTO states_map_runs (arn, execution, status, start_ms, doc) VALUES (?, ?, 'RUNNING', "
      "?, ?)",
      {arn, x.execution_arn, now, json::serialize(doc)})));
  for (std::size_t i = 0; i < r.inputs.size(); ++i) {
    CENOTE_RETURN_IF_ERROR(Status::FromResult(
        txn->Exec("INSERT INTO states_map_run_items (map_run, idx, n, input, execution) VALUES (?, ?, ?, ?, "
                  "NULL)",
                  {arn, static_cast<std::int64_t>(i), i < r.item_counts.size() ? r.item_counts[i] : 1,
                   asl::ToJsonText(r.inputs[i])})));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.Arm(arn, now);
  return std::pair{arn, false};
}

asl::MapRunStatus MapRunState(Env& env, const std::string& arn) {
  auto txn = env.metadata.Begin(store::MetadataStore::Mode::kRead);
  if (!txn) return asl::MapRunStatus{"RUNNING", nullptr, "", ""};  // (looked at again)
  auto doc = MapRunRow(**txn, arn);
  if (!doc) return asl::MapRunStatus{"FAILED", nullptr, "States.Runtime", "The Map Run " + arn + " is gone"};
  asl::MapRunStatus s;
  s.status = GetString(*doc, "status").value_or("RUNNING");
  if (doc->contains("output")) s.output = doc->at("output");
  s.error = GetString(*doc, "error").value_or("");
  s.cause = GetString(*doc, "cause").value_or("");
  return s;
}

Status AdvanceMapRun(Env& env, const std::string& arn) {
  ExecutionLock hold(env, arn);
  env.Arm(arn, -1);  // children that end from now on arm it again
  const std::int64_t now = env.Now();
  json::object doc;
  std::string parent_status;
  std::vector<Item> items;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(auto row,
                            txn->QueryOne("SELECT doc, status FROM states_map_runs WHERE arn = ?", {arn}));
    if (!row || store::AsText((*row)[1]) != "RUNNING") return Status::Ok();
    doc = ParseDoc((*row)[0]);
    CENOTE_ASSIGN_OR_RETURN(auto parent, txn->QueryOne("SELECT status FROM states_executions WHERE arn = ?",
                                                       {GetString(doc, "executionArn").value_or("")}));
    parent_status = parent ? store::AsText((*parent)[0]) : "ABORTED";
    CENOTE_ASSIGN_OR_RETURN(items, LoadItems(*txn, arn));
  }
  Counts counts;
  std::int64_t running_children = 0;
  for (const auto& it : items) {
    counts.Add(it.status, it.count);
    if (it.status == "RUNNING") ++running_children;
  }
  std::string final_status, error, cause;
  if (parent_status != "RUNNING") {
    final_status = "ABORTED";
  } else if (Exceeded(doc, counts)) {
    final_status = "FAILED";
    error = "States.ExceedToleratedFailureThreshold";
    cause = "The specified tolerated failure threshold was exceeded";
  } else if (counts.pending == 0 && counts.running == 0) {
    final_status = "SUCCEEDED";
  }
  // Children to start (pending items, in order, up to MaxConcurrency) or to stop (the run ended).
  std::vector<const Item*> start, stop;
  if (final_status.empty()) {
    std::int64_t limit = GetInt(doc, "maxConcurrency").value_or(0);
    if (limit <= 0 || limit > kMaxChildren) limit = kMaxChildren;
    std::int64_t slots = std::min(limit - running_children, kStartsPerAdvance);
    for (const auto& it : items) {
      if (slots <= 0) break;
      if (!it.execution.empty()) continue;
      start.push_back(&it);
      --slots;
    }
  } else {
    for (const auto& it : items) {
      if (it.status == "RUNNING") stop.push_back(&it);
    }
  }
  // The end: the Map's output (the children's outputs in item order) or the ResultWriter's files.
  if (!final_status.empty() && final_status != "ABORTED") {
    std::map<std::string, json::object> children;
    std::vector<std::string> pending_inputs;
    {
      CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
      CENOTE_ASSIGN_OR_RETURN(
          auto rows, txn->Query("SELECT arn, doc FROM states_executions WHERE machine_arn = ?", {arn}));
      for (const auto& r : rows) children.emplace(store::AsText(r[0]), ParseDoc(r[1]));
      CENOTE_ASSIGN_OR_RETURN(auto pend,
                              txn->Query("SELECT input FROM states_map_run_items WHERE map_run = ? "
                                         "AND execution IS NULL ORDER BY idx",
                                         {arn}));
      for (const auto& r : pend) pending_inputs.push_back(store::AsText(r[0]));
    }
    if (doc.contains("resultWriter") && doc.at("resultWriter").is_object()) {
      auto details = WriteResults(env, doc, items, children, pending_inputs);
      if (!details) {
        final_status = "FAILED";
        error = "States.ResultWriterFailed";
        cause = details.error().message;
      } else {
        doc["resultsWritten"] = counts.succeeded + counts.Failures();
        doc["output"] = json::object{{"MapRunArn", arn}, {"ResultWriterDetails", std::move(*details)}};
      }
    } else if (final_status == "SUCCEEDED") {
      // Without an export the Map's output is the children's outputs in item order (COMPACT), spread
      // (FLATTEN) or with each child's metadata (NONE, as the exported entries).
      const WriterConfig config = WriterConfigOf(doc, false);
      json::array out;
      for (const auto& it : items) {
        auto c = children.find(it.execution);
        const std::string output =
            c != children.end() ? GetString(c->second, "output").value_or("null") : "null";
        if (config.transformation == "NONE" && c != children.end()) {
          const json::object& d = c->second;
          out.push_back(json::object{{"ExecutionArn", it.execution},
                                     {"Input", GetString(d, "input").value_or("{}")},
                                     {"InputDetails", json::object{{"Included", true}}},
                                     {"Name", GetString(d, "name").value_or("")},
                                     {"Output", output},
                                     {"OutputDetails", json::object{{"Included", true}}},
                                     {"StartDate", asl::FormatTimestamp(GetInt(d, "startDate").value_or(0))},
                                     {"StateMachineArn", GetString(d, "stateMachineArn").value_or("")},
                                     {"Status", GetString(d, "status").value_or("")},
                                     {"StopDate", asl::FormatTimestamp(GetInt(d, "stopDate").value_or(0))}});
        } else {
          AppendOutput(config.transformation, output, out);
        }
      }
      doc["output"] = std::move(out);
    }
  }
  if (!final_status.empty()) {
    doc["status"] = final_status;
    doc["stopDate"] = now;
    if (!error.empty()) doc["error"] = error;
    if (!cause.empty()) doc["cause"] = cause;
  }
  auto parts = ParseArn(arn);
  std::vector<std::string> started;
  Status st = [&]() -> Status {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
    const std::string type = GetString(doc, "executionType").value_or("STANDARD");
    const std::string machine = GetString(doc, "machineName").value_or("");
    for (const Item* it : start) {
      CENOTE_ASSIGN_OR_RETURN(
          auto in_row, txn->QueryOne("SELECT input FROM states_map_run_items WHERE map_run = ? AND idx = ?",
                                     {arn, it->idx}));
      const std::string input = in_row ? store::AsText((*in_row)[0]) : "{}";
      boost::system::error_code ec;
      json::value input_v = json::parse(input, ec);
      if (ec) input_v = json::object{};
      const std::string name = NewUuidV4();
      const std::string child = "arn:aws:states:" + parts->region + ":" + parts->account + ":" +
                                (type == "EXPRESS" ? "express:" + machine + ":" + name + ":" + NewUuidV4()
                                                   : "execution:" + machine + ":" + name);
      json::object cdoc{{"executionArn", child},
                        {"stateMachineArn", doc["stateMachineArn"]},
                        {"machineName", machine},
                        {"name", name},
                        {"status", "RUNNING"},
                        {"startDate", now},
                        {"input", input},
                        {"definition", doc["definition"]},
                        {"roleArn", doc["roleArn"]},
                        {"type", type},
                        {"redriveCount", 0},
                        {"mapRunArn", arn},
                        {"itemCount", it->count}};
      CENOTE_RETURN_IF_ERROR(Status::FromResult(txn->Exec(
          "INSERT INTO states_executions (arn, account, region, machine_arn, name, status, start_ms, "
          "stop_ms, doc, run, due_ms) VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, NULL, ?, ?, ?)",
          {child, parts->account, parts->region, arn, name, now, json::serialize(cdoc),
           json::serialize(asl::Interpreter::NewRun(input_v)), now})));
      CENOTE_RETURN_IF_ERROR(Status::FromResult(
          txn->Exec("UPDATE states_map_run_items SET execution = ? WHERE map_run = ? AND idx = ?",
                    {child, arn, it->idx})));
      started.push_back(child);
    }
    for (const Item* it : stop) {
      CENOTE_RETURN_IF_ERROR(Status::FromResult(txn->Exec(
          "INSERT INTO states_deliveries (execution, token, doc) VALUES (?, '', ?)",
          {it->execution, json::serialize(json::object{{"stop", true}, {"error", ""}, {"cause", ""}})})));
    }
    CENOTE_RETURN_IF_ERROR(Status::FromResult(
        txn->Exec("UPDATE states_map_runs SET status = ?, doc = ? WHERE arn = ?",
                  {GetString(doc, "status").value_or("RUNNING"), json::serialize(doc), arn})));
    return txn->Commit();
  }();
  if (!st) {
    env.Arm(arn, now + 1000);
    return st;
  }
  for (const auto& c : started) env.Arm(c, now);
  for (const Item* it : stop) env.Arm(it->execution, now);
  if (!final_status.empty()) {
    env.Arm(GetString(doc, "executionArn").value_or(""), now);
  } else {
    // Children that end arm the run; this is the fallback.
    ArmBy(env, arn, now + (started.empty() ? 5'000 : 1'000));
  }
  return Status::Ok();
}

void WakeMapRuns(Env& env, const std::string& execution_arn) {
  auto txn = env.metadata.Begin(store::MetadataStore::Mode::kRead);
  if (!txn) return;
  auto rows = (*txn)->Query("SELECT arn FROM states_map_runs WHERE execution = ? AND status = 'RUNNING'",
                            {execution_arn});
  if (!rows) return;
  for (const auto& r : *rows) env.Arm(store::AsText(r[0]), env.Now());
}

Status LoadMapRunTimers(Env& env) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT arn FROM states_map_runs WHERE status = 'RUNNING'"));
  MutexLock lock(env.mu);
  for (const auto& r : rows) {
    const std::string arn = store::AsText(r[0]);
    env.timers.emplace(0, arn);
    env.due_of[arn] = 0;
  }
  return Status::Ok();
}

// ---- the API

Result<OperationOutput> DescribeMapRun(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "mapRunArn").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, MapRunRow(*txn, arn));
  auto p = ParseArn(arn);
  if (p->account != ctx.account_id() || p->region != ctx.region) {
    return services::MakeError(errors::kResourceNotFound, {"Resource not found: '" + arn + "'"});
  }
  CENOTE_ASSIGN_OR_RETURN(std::vector<Item> items, LoadItems(*txn, arn));
  Counts by_item, by_execution;
  for (const auto& it : items) {
    by_item.Add(it.status, it.count);
    by_execution.Add(it.status, 1);
  }
  const std::int64_t written = GetInt(doc, "resultsWritten").value_or(0);
  json::object out{
      {"mapRunArn", arn},
      {"executionArn", doc["executionArn"]},
      {"status", doc["status"]},
      {"startDate", doc["startDate"]},
      {"maxConcurrency", doc["maxConcurrency"]},
      {"toleratedFailurePercentage",
       doc.contains("toleratedFailurePercentage") ? doc["toleratedFailurePercentage"] : json::value(0.0)},
      {"toleratedFailureCount",
       doc.contains("toleratedFailureCount") ? doc["toleratedFailureCount"] : json::value(0)},
      {"itemCounts", by_item.ToJson(written, 0)},
      {"executionCounts",
       by_execution.ToJson(written > 0 ? by_execution.succeeded + by_execution.Failures() : 0, 0)},
      {"redriveCount", doc.contains("redriveCount") ? doc["redriveCount"] : json::value(0)}};
  if (doc.contains("stopDate")) out["stopDate"] = doc["stopDate"];
  if (doc.contains("redriveDate")) out["redriveDate"] = doc["redriveDate"];
  return out;
}

Result<OperationOutput> ListMapRuns(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string execution = GetString(p, "executionArn").value_or("");
  auto parts = ParseArn(execution);
  if (!parts || parts->type != "execution" || parts->qualifier.empty()) return InvalidArn(execution);
  std::size_t offset = 0;
  if (auto t = GetString(p, "nextToken")) {
    if (t->empty() || t->find_first_not_of("0123456789") != std::string::npos) {
      return MakeError("InvalidToken", "Invalid Token: 'Invalid pagination token'");
    }
    offset = static_cast<std::size_t>(std::stoull(*t));
  }
  std::int64_t max = GetInt(p, "maxResults").value_or(0);
  if (max <= 0 || max > 1000) max = 100;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT 1 FROM states_executions WHERE arn = ?", {execution}));
  if (!row || parts->account != ctx.account_id() || parts->region != ctx.region) {
    return services::MakeError(errors::kExecutionDoesNotExist, {execution});
  }
  CENOTE_ASSIGN_OR_RETURN(
      auto rows, txn->Query("SELECT doc FROM states_map_runs WHERE execution = ? ORDER BY start_ms DESC, "
                            "arn LIMIT ? OFFSET ?",
                            {execution, max + 1, static_cast<std::int64_t>(offset)}));
  json::array runs;
  for (std::size_t i = 0; i < rows.size() && runs.size() < static_cast<std::size_t>(max); ++i) {
    json::object d = ParseDoc(rows[i][0]);
    json::object item{{"executionArn", d["executionArn"]},
                      {"mapRunArn", d["mapRunArn"]},
                      {"stateMachineArn", d["stateMachineArn"]},
                      {"startDate", d["startDate"]}};
    if (d.contains("stopDate")) item["stopDate"] = d["stopDate"];
    runs.push_back(std::move(item));
  }
  json::object out{{"mapRuns", std::move(runs)}};
  if (rows.size() > static_cast<std::size_t>(max))
    out["nextToken"] = std::to_string(offset + static_cast<std::size_t>(max));
  return out;
}

Result<OperationOutput> UpdateMapRun(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "mapRunArn").value_or("");
  const auto max = GetInt(p, "maxConcurrency");
  const auto count = GetInt(p, "toleratedFailureCount");
  std::optional<double> pct;
  if (auto it = p.find("toleratedFailurePercentage"); it != p.end() && it->value().is_number())
    pct = it->value().to_number<double>();
  if (!max && !count && !pct) {
    return services::MakeError(
        errors::kValidation,
        {"Must provide at least one of maxConcurrency, toleratedFailurePercentage or toleratedFailureCount"});
  }
  if (max && *max < 0) {
    return services::MakeError(errors::kValidation,
                               {"1 validation error detected: Value at 'maxConcurrency' failed to satisfy "
                                "constraint: Member must have value greater than or equal to 0"});
  }
  if (count && *count < 0) {
    return services::MakeError(errors::kValidation,
                               {"1 validation error detected: Value at 'toleratedFailureCount' failed to "
                                "satisfy constraint: Member must have value greater than or equal to 0"});
  }
  if (pct && (*pct < 0 || *pct > 100)) {
    return services::MakeError(
        errors::kValidation, {"1 validation error detected: Value at 'toleratedFailurePercentage' failed to "
                              "satisfy constraint: Member must have value between 0 and 100"});
  }
  ExecutionLock hold(env, arn);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, MapRunRow(*txn, arn));
  auto parts = ParseArn(arn);
  if (parts->account != ctx.account_id() || parts->region != ctx.region) {
    return services::MakeError(errors::kResourceNotFound, {"Resource not found: '" + arn + "'"});
  }
  if (max) doc["maxConcurrency"] = *max;
  if (count) doc["toleratedFailureCount"] = *count;
  if (pct) doc["toleratedFailurePercentage"] = *pct;
  CENOTE_RETURN_IF_ERROR(Status::FromResult(
      txn->Exec("UPDATE states_map_runs SET doc = ? WHERE arn = ?", {json::serialize(doc), arn})));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  if (GetString(doc, "status") == "RUNNING") env.Arm(arn, env.Now());
  return json::object{};
}

Result<bool> MapRunExists(Env& env, const RequestContext& ctx, const std::string& arn) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_RETURN_IF_ERROR(Status::FromResult(MapRunRow(*txn, arn)));
  auto parts = ParseArn(arn);
  if (parts->account != ctx.account_id() || parts->region != ctx.region) {
    return services::MakeError(errors::kResourceNotFound, {"Resource not found: '" + arn + "'"});
  }
  return true;
}

}  // namespace cenote::states
