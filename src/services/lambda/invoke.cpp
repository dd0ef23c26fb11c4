// Invoke: synchronous invocations on execution environments, the durable asynchronous queue (retries,
// maximum event age, destinations), event invoke configs, and the function logs sent to CloudWatch Logs.
#include <spdlog/spdlog.h>

#include <thread>

#include "aws/protocol/event_stream.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "iam/directory.hpp"
#include "services/lambda/internal.hpp"

namespace cenote::lambda {

namespace {

Result<ParsedName> NameParam(const RequestContext& ctx, const json::object& params) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName p, ParseFunctionName(GetString(params, "FunctionName").value_or(""),
                                                          ctx.account_id(), ctx.region));
  if (auto q = GetString(params, "Qualifier"); q && !q->empty()) p.qualifier = *q;
  return p;
}

Error Throttled(const std::string& reason) {
  Error e = services::MakeError(errors::kThrottled);
  // TooManyRequestsException carries Reason and Type (the model's members): the wire shows them.
  e.With("Reason", reason).With("Type", "User");
  e.headers.emplace_back("Retry-After", "1");
  return e;
}

// Sends an invocation's log lines to CloudWatch Logs as the execution role (a role without logs permissions
// writes no logs, as on AWS). Failures are counted, never fail the invocation.
void SendLogs(Env& env, const Target& t, const std::string& role, const std::string& group,
              const InvocationResult& r) {
  if (r.log_events.empty()) return;
  aws::Caller caller;
  caller.principal = iam::RoleSessionPrincipal(role, t.key.name, t.key.account);
  caller.region = t.key.region;
  caller.invoked_by = std::string(kServicePrincipal);
  auto call = [&](const char* op, json::object params) {
    OperationInput in;
    in.params = std::move(params);
    return env.invoker->Call(caller, "logs", op, in);
  };
  if (r.cold) {
    auto g = call("CreateLogGroup", json::object{{"logGroupName", group}});
    if (!g && g.error().code != "ResourceAlreadyExistsException") {
      env.log_failures++;
      return;
    }
    auto s = call("CreateLogStream", json::object{{"logGroupName", group}, {"logStreamName", r.log_stream}});
    if (!s && s.error().code != "ResourceAlreadyExistsException") {
      env.log_failures++;
      return;
    }
  }
  json::array events;
  for (const auto& [ms, line] : r.log_events)
    events.push_back(json::object{{"timestamp", ms}, {"message", line}});
  if (!call("PutLogEvents",
            json::object{{"logGroupName", group}, {"logStreamName", r.log_stream}, {"logEvents", events}})) {
    env.log_failures++;
  }
}

std::string LastBytes(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

}  // namespace

Result<PreparedSpec> PrepareSpec(Env& env, const Target& target) {
  PreparedSpec prepared;
  EnvironmentSpec& spec = prepared.spec;
  std::string& role = prepared.role;
  std::optional<std::int64_t>& reserved = prepared.reserved;
  std::vector<std::string> layer_codes;
  std::string& function_arn = prepared.function_arn;
  std::int64_t& reserved_elsewhere = prepared.reserved_elsewhere;
  {
    MutexLock lock(env.mu);
    CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, target.key));
    const Version* v = VersionOf(*f, target.version);
    if (v == nullptr) return services::MakeError(errors::kFunctionNotFound, {f->arn + ":" + target.version});
    const json::object& c = v->config;
    function_arn = f->arn;
    reserved = f->reserved;
    for (const auto& [k, other] : env.functions) {
      if (k != target.key && other.reserved) reserved_elsewhere += *other.reserved;
    }
    role = GetString(c, "Role").value_or("");
    spec.key = f->arn + ":" + target.version + ":" + GetString(c, "RevisionId").value_or("");
    spec.function_name = f->key.name;
    spec.function_arn = f->arn;
    spec.version = target.version;
    spec.runtime = GetString(c, "Runtime").value_or("");
    spec.handler = GetString(c, "Handler").value_or("");
    spec.memory_mb = GetInt(c, "MemorySize").value_or(128);
    spec.timeout_s = GetInt(c, "Timeout").value_or(3);
    spec.region = f->key.region;
    const json::object* lc = GetObject(c, "LoggingConfig");
    spec.log_group =
        lc ? GetString(*lc, "LogGroup").value_or("/aws/lambda/" + f->key.name) : "/aws/lambda/" + f->key.name;
    if (const json::object* e = GetObject(c, "Environment")) {
      if (const json::object* vars = GetObject(*e, "Variables")) {
        for (const auto& [k, val] : *vars) {
          if (val.is_string()) spec.variables[std::string(k)] = std::string(val.as_string());
        }
      }
    }
    if (const json::array* layers = GetArray(c, "Layers")) {
      for (const auto& l : *layers) {
        if (!l.is_object()) continue;
        const std::string arn = GetString(l.as_object(), "Arn").value_or("");
        auto colon = arn.rfind(':');
        auto parsed = arn.substr(0, colon);
        for (const auto& [lk, versions] : env.layers) {
          if (LayerArn(lk) != parsed) continue;
          auto it = versions.find(std::atoll(arn.substr(colon + 1).c_str()));
          if (it != versions.end()) layer_codes.push_back(it->second.code);
        }
      }
    }
    CENOTE_ASSIGN_OR_RETURN(spec.code_dir, env.CodeDir(v->code));
  }
  for (const std::string& code : layer_codes) {
    CENOTE_ASSIGN_OR_RETURN(std::string dir, env.CodeDir(code));
    spec.layer_dirs.push_back(dir);
  }
  // A provisioned environment's init goes to its log stream when it happens, as the execution role.
  spec.init_log = [&env, target, role, group = spec.log_group](const InvocationResult& r) {
    SendLogs(env, target, role, group, r);
  };
  const std::string endpoint = env.Endpoint();
  const std::string account = target.key.account, region = target.key.region, name = target.key.name;
  spec.session = [&env, role, account, region, name, function_arn,
                  endpoint]() -> Result<std::map<std::string, std::string>> {
    OperationInput in;
    in.params = json::object{{"RoleArn", role}, {"RoleSessionName", SessionName(name)}};
    auto out = env.invoker->Call(aws::ServiceCaller(kServicePrincipal, account, region, function_arn), "sts",
                                 "AssumeRole", in);
    std::map<std::string, std::string> vars{{"AWS_ENDPOINT_URL", endpoint}};
    if (!out || !out->result.is_object())
      return vars;  // the function runs without credentials, as AWS would fail
    if (const json::object* c = GetObject(out->result.as_object(), "Credentials")) {
      vars["AWS_ACCESS_KEY_ID"] = GetString(*c, "AccessKeyId").value_or("");
      vars["AWS_SECRET_ACCESS_KEY"] = GetString(*c, "SecretAccessKey").value_or("");
      vars["AWS_SESSION_TOKEN"] = GetString(*c, "SessionToken").value_or("");
    }
    return vars;
  };
  return prepared;
}

Result<InvokeOutcome> InvokeTarget(Env& env, const Target& target, const std::string& payload,
                                   const std::string& client_context, bool tail,
                                   const std::string& request_id, const ResponseSink* sink) {
  CENOTE_ASSIGN_OR_RETURN(PreparedSpec prepared, PrepareSpec(env, target));
  const EnvironmentSpec& spec = prepared.spec;
  const std::string& role = prepared.role;
  // Concurrency: a function's reservation, or the account's unreserved pool (1000 less all reservations).
  if (prepared.reserved) {
    if (*prepared.reserved == 0 || env.runtimes->Busy(prepared.function_arn) >= *prepared.reserved) {
      return Throttled("ReservedFunctionConcurrentInvocationLimitExceeded");
    }
  } else if (env.runtimes->BusyTotal() >= kAccountConcurrency - prepared.reserved_elsewhere) {
    return Throttled("ConcurrentInvocationLimitExceeded");
  }
  CENOTE_ASSIGN_OR_RETURN(InvocationResult r, env.runtimes->Invoke(spec, request_id, payload, client_context,
                                                                   target.invoked_arn, sink));
  SendLogs(env, target, role, spec.log_group, r);
  InvokeOutcome out;
  out.payload = r.payload;
  out.streamed = r.streamed;
  out.content_type = r.content_type;
  out.function_error = r.function_error ? "Unhandled" : "";
  out.executed_version = target.version;
  if (tail) out.log_tail = Base64Encode(LastBytes(r.log, 4096));
  return out;
}

Result<OperationOutput> Invoke(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  const std::string type = GetString(params, "InvocationType").value_or("RequestResponse");
  std::string payload = GetString(params, "Payload").value_or("");
  if (type == "Event" ? payload.size() > kAsyncPayloadLimit : payload.size() > kSyncPayloadLimit) {
    return services::MakeError(
        errors::kRequestTooLarge,
        {std::to_string(type == "Event" ? kAsyncPayloadLimit : kSyncPayloadLimit), "Invoke"});
  }
  if (!payload.empty()) {
    boost::system::error_code ec;
    json::parse(payload, ec);
    if (ec) return services::MakeError(errors::kInvalidRequestContent, {ec.message()});
  } else {
    payload = "{}";
  }
  Target target;
  {
    MutexLock lock(env.mu);
    CENOTE_ASSIGN_OR_RETURN(target, Resolve(env, name, true));
  }
  json::object out;
  if (type == "DryRun") {
    OperationOutput o(out);
    o.result.as_object()["StatusCode"] = 204;
    return o;
  }
  if (type == "Event") {
    // Queued durably before the 202: the event survives kill -9.
    json::object doc{{"account", target.key.account},
                     {"region", target.key.region},
                     {"name", target.key.name},
                     {"version", target.version},
                     {"invoked_arn", target.invoked_arn},
                     {"alias", target.alias},
                     {"payload", payload},
                     {"attempts", 0},
                     {"first_ms", env.Now()},
                     {"request_id", ctx.request_id}};
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_RETURN_IF_ERROR(txn->Exec("INSERT INTO lambda_events (due_ms, doc) VALUES (?, ?)",
                                     {env.Now(), json::serialize(doc)}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    if (env.wake) env.wake();
    out["StatusCode"] = 202;
    return OperationOutput(out);
  }
  const bool tail = GetString(params, "LogType").value_or("None") == "Tail";
  CENOTE_ASSIGN_OR_RETURN(InvokeOutcome r,
                          InvokeTarget(env, target, payload, GetString(params, "ClientContext").value_or(""),
                                       tail, ctx.request_id));
  out["StatusCode"] = 200;
  out["Payload"] = r.payload;
  out["ExecutedVersion"] = r.executed_version;
  if (!r.function_error.empty()) out["FunctionError"] = r.function_error;
  if (tail) out["LogResult"] = r.log_tail;
  return OperationOutput(out);
}

// ---- InvokeWithResponseStream

void InvocationStream::WaitStarted() {
  MutexLock lock(mu_);
  cv_.Wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(mu_) { return started_ || over_; });
}

std::string InvocationStream::Take(bool& over) {
  MutexLock lock(mu_);
  cv_.Wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !pending_.empty() || over_; });
  over = over_;
  return std::exchange(pending_, std::string());
}

bool InvocationStream::Over() const {
  MutexLock lock(mu_);
  return over_;
}

std::string InvocationStream::content_type() const {
  MutexLock lock(mu_);
  return content_type_;
}

void InvocationStream::Begin(const std::string& content_type) {
  MutexLock lock(mu_);
  started_ = true;
  content_type_ = content_type;
  cv_.SignalAll();
}

void InvocationStream::Write(std::string_view bytes) {
  MutexLock lock(mu_);
  started_ = true;
  pending_.append(bytes);
  cv_.SignalAll();
}

void InvocationStream::Finish(Result<InvokeOutcome> outcome) {
  outcome_ = std::move(outcome);
  MutexLock lock(mu_);
  over_ = true;
  cv_.SignalAll();
}

std::shared_ptr<InvocationStream> StartStreamedInvocation(Env& env, const Target& target, std::string payload,
                                                          std::string client_context, bool tail,
                                                          std::string request_id) {
  auto stream = std::make_shared<InvocationStream>();
  std::thread([&env, stream, target, payload = std::move(payload), client_context = std::move(client_context),
               tail, request_id = std::move(request_id)] {
    ResponseSink sink;
    sink.begin = [stream](const std::string& type) { stream->Begin(type); };
    sink.write = [stream](std::string_view bytes) { stream->Write(bytes); };
    stream->Finish(InvokeTarget(env, target, payload, client_context, tail, request_id, &sink));
  }).detach();
  return stream;
}

namespace {

// The event stream of InvokeWithResponseStream: PayloadChunk events as the function streams (a streaming
// handler's writes as they arrive; a buffered handler's payload at its end), then InvokeComplete
// (ErrorCode/ErrorDetails for a function error, LogResult when asked), as AWS streams it.
class ResponseStreamBody final : public aws::protocol::EventStreamBody {
 public:
  explicit ResponseStreamBody(std::shared_ptr<InvocationStream> stream) : stream_(std::move(stream)) {}

 protected:
  void Refill() override {
    bool over = false;
    std::string bytes = stream_->Take(over);
    QueueChunks(bytes);
    if (!over) return;
    json::object complete;
    if (const Result<InvokeOutcome>& r = stream_->outcome(); r) {
      if (!r->function_error.empty()) {
        // A function error ends the stream: InvokeComplete carries the error (after what was streamed).
        complete["ErrorCode"] = r->function_error;
        complete["ErrorDetails"] = r->payload;
      } else if (!r->streamed) {
        QueueChunks(r->payload);
      }
      if (!r->log_tail.empty()) complete["LogResult"] = r->log_tail;
    } else {
      complete["ErrorCode"] = r.error().code;
      complete["ErrorDetails"] = r.error().message;
    }
    Queue(aws::protocol::EventStreamMessage({{":event-type", "InvokeComplete"},
                                             {":content-type", "application/json"},
                                             {":message-type", "event"}},
                                            json::serialize(complete)));
    End();
  }

 private:
  void QueueChunks(std::string_view bytes) {
    for (std::size_t at = 0; at < bytes.size(); at += kChunk) {
      Queue(aws::protocol::EventStreamMessage({{":event-type", "PayloadChunk"},
                                               {":content-type", "application/octet-stream"},
                                               {":message-type", "event"}},
                                              bytes.substr(at, kChunk)));
    }
  }

  static constexpr std::size_t kChunk = 32 * 1024;
  std::shared_ptr<InvocationStream> stream_;
};

}  // namespace

Result<OperationOutput> InvokeWithResponseStream(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  const std::string type = GetString(params, "InvocationType").value_or("RequestResponse");
  if (type != "RequestResponse" && type != "DryRun") {
    return services::MakeError(
        errors::kInvalidParameter,
        {"1 validation error detected: Value '" + type +
         "' at 'invocationType' failed to satisfy constraint: Member must satisfy enum "
         "value set: [RequestResponse, DryRun]"});
  }
  std::string payload = GetString(params, "Payload").value_or("");
  if (payload.size() > kSyncPayloadLimit) {
    return services::MakeError(errors::kRequestTooLarge,
                               {std::to_string(kSyncPayloadLimit), "InvokeWithResponseStream"});
  }
  if (!payload.empty()) {
    boost::system::error_code ec;
    json::parse(payload, ec);
    if (ec) return services::MakeError(errors::kInvalidRequestContent, {ec.message()});
  } else {
    payload = "{}";
  }
  Target target;
  {
    MutexLock lock(env.mu);
    CENOTE_ASSIGN_OR_RETURN(target, Resolve(env, name, true));
  }
  if (type == "DryRun") {
    OperationOutput o(json::object{{"StatusCode", 204}});
    return o;
  }
  const bool tail = GetString(params, "LogType").value_or("None") == "Tail";
  // The invocation runs on a thread of its own: the answer (status, headers) goes out once the function
  // starts streaming, and its chunks follow as it writes them. Errors before that (throttling, no
  // environment) are the operation's.
  std::shared_ptr<InvocationStream> stream = StartStreamedInvocation(
      env, target, payload, GetString(params, "ClientContext").value_or(""), tail, ctx.request_id);
  stream->WaitStarted();
  if (stream->Over() && !stream->outcome()) return stream->outcome().error();
  OperationOutput out(json::object{{"StatusCode", 200}, {"ExecutedVersion", target.version}});
  out.body = std::make_unique<ResponseStreamBody>(std::move(stream));
  return out;
}

// ---- event invoke configs

namespace {

std::string ConfigQualifier(const ParsedName& n) { return n.qualifier.empty() ? "$LATEST" : n.qualifier; }

}  // namespace

namespace {

// Put (`merge` false: the configuration is replaced) and Update (`merge` true: the members given replace
// those of the existing configuration; a missing one is created, as AWS does).
Result<OperationOutput> StoreEventInvokeConfig(Env& env, const RequestContext& ctx,
                                               const json::object& params, bool merge) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  MutexLock lock(env.mu);
  CENOTE_RETURN_IF_ERROR(Resolve(env, name, false));
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  const std::string q = ConfigQualifier(name);
  auto before = f->invoke_configs;
  json::object c = merge && f->invoke_configs.contains(q) ? f->invoke_configs[q] : json::object{};
  c["FunctionArn"] = f->arn + ":" + q;
  c["LastModified"] = env.Now();
  for (const char* k : {"MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"}) {
    if (const auto* v = params.if_contains(k)) c[k] = *v;
  }
  f->invoke_configs[q] = c;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  if (Status s = env.SaveFunction(*txn, *f); !s) {
    f->invoke_configs = before;
    return s.error();
  }
  if (Status s = txn->Commit(); !s) {
    f->invoke_configs = before;
    return s.error();
  }
  return OperationOutput(c);
}

}  // namespace

Result<OperationOutput> PutFunctionEventInvokeConfig(Env& env, const RequestContext& ctx,
                                                     OperationInput& in) {
  return StoreEventInvokeConfig(env, ctx, in.params.as_object(), false);
}

Result<OperationOutput> UpdateFunctionEventInvokeConfig(Env& env, const RequestContext& ctx,
                                                        OperationInput& in) {
  return StoreEventInvokeConfig(env, ctx, in.params.as_object(), true);
}

// ListFunctionEventInvokeConfigs: every qualifier's configuration, paged by Marker / MaxItems (1-50).
Result<OperationOutput> ListFunctionEventInvokeConfigs(Env& env, const RequestContext& ctx,
                                                       OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  std::int64_t max = GetInt(params, "MaxItems").value_or(50);
  if (max < 1 || max > 50) max = 50;
  const std::string marker = GetString(params, "Marker").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  json::array out;
  std::string next;
  for (const auto& [qualifier, config] : f->invoke_configs) {  // ordered by qualifier
    if (!marker.empty() && qualifier < marker) continue;
    if (static_cast<std::int64_t>(out.size()) == max) {
      next = qualifier;
      break;
    }
    out.push_back(config);
  }
  json::object result{{"FunctionEventInvokeConfigs", std::move(out)}};
  if (!next.empty()) result["NextMarker"] = next;
  return OperationOutput(result);
}

Result<OperationOutput> GetFunctionEventInvokeConfig(Env& env, const RequestContext& ctx,
                                                     OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  auto it = f->invoke_configs.find(ConfigQualifier(name));
  if (it == f->invoke_configs.end()) {
    return services::MakeError(errors::kNoEventInvokeConfig, {f->arn + ":" + ConfigQualifier(name)});
  }
  return OperationOutput(it->second);
}

Result<OperationOutput> DeleteFunctionEventInvokeConfig(Env& env, const RequestContext& ctx,
                                                        OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  if (f->invoke_configs.erase(ConfigQualifier(name)) == 0) {
    return services::MakeError(errors::kNoEventInvokeConfig, {f->arn + ":" + ConfigQualifier(name)});
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(env.SaveFunction(*txn, *f));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return OperationOutput{};
}

// ---- the asynchronous queue

// Sends AWS's destination record (the invocation record of "Configuring destinations for asynchronous
// invocation") to an SQS queue, SNS topic, Lambda function or EventBridge bus, as the execution role.
void SendToDestination(Env& env, const json::object& doc, const std::string& destination,
                       const std::string& role, const json::object& record, bool success) {
  aws::Caller caller;
  caller.principal = iam::RoleSessionPrincipal(role, GetString(doc, "name").value_or(""),
                                               GetString(doc, "account").value_or(""));
  caller.region = GetString(doc, "region").value_or("");
  caller.invoked_by = std::string(kServicePrincipal);
  const std::string body = json::serialize(record);
  // arn:aws:<service>:<region>:<account>:<resource>
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (true) {
    std::size_t c = destination.find(':', at);
    parts.push_back(destination.substr(at, c == std::string::npos ? std::string::npos : c - at));
    if (c == std::string::npos) break;
    at = c + 1;
  }
  if (parts.size() < 6) return;
  const std::string& service = parts[2];
  OperationInput in;
  Result<OperationOutput> out = MakeError("InvalidParameterValueException", "unsupported destination", 400);
  if (service == "sqs") {
    in.params =
        json::object{{"QueueUrl", "https://sqs." + parts[3] + ".amazonaws.com/" + parts[4] + "/" + parts[5]},
                     {"MessageBody", body}};
    out = env.invoker->Call(caller, "sqs", "SendMessage", in);
  } else if (service == "sns") {
    in.params = json::object{{"TopicArn", destination}, {"Message", body}};
    out = env.invoker->Call(caller, "sns", "Publish", in);
  } else if (service == "lambda") {
    in.params = json::object{{"FunctionName", destination}, {"InvocationType", "Event"}, {"Payload", body}};
    out = env.invoker->Call(caller, "lambda", "Invoke", in);
  } else if (service == "events") {
    in.params = json::object{
        {"Entries",
         json::array{json::object{
             {"Source", "lambda"},
             {"DetailType", success ? "Lambda Function Invocation Result - Success"
                                    : "Lambda Function Invocation Result - Failure"},
             {"Detail", body},
             {"EventBusName", destination},
             {"Resources", json::array{GetString(record.at("requestContext").as_object(), "functionArn")
                                           .value_or("")}}}}}};
    out = env.invoker->Call(caller, "events", "PutEvents", in);
  }
  if (!out)
    spdlog::warn("lambda: destination {} refused the invocation record: {}", destination,
                 out.error().message);
}

namespace {

struct QueuedEvent {
  std::int64_t id = 0;
  json::object doc;
};

// Whether the event is still queued and due, read afresh: a round may have read it just before the attempt
// that processed it committed.
bool StillDue(Env& env, std::int64_t id) {
  auto txn = env.metadata.Begin(store::MetadataStore::Mode::kRead);
  if (!txn) return false;
  auto row = (*txn)->QueryOne("SELECT due_ms FROM lambda_events WHERE id = ?", {id});
  return row && *row && store::AsInt((**row)[0]) <= env.Now();
}

void ProcessEvent(Env& env, QueuedEvent ev) {
  if (!StillDue(env, ev.id)) {
    MutexLock lock(env.mu);
    env.queued_running.erase(ev.id);
    return;
  }
  json::object& doc = ev.doc;
  Target t;
  t.key = FunctionKey{GetString(doc, "account").value_or(""), GetString(doc, "region").value_or(""),
                      GetString(doc, "name").value_or("")};
  t.version = GetString(doc, "version").value_or("$LATEST");
  t.invoked_arn = GetString(doc, "invoked_arn").value_or("");
  t.alias = GetString(doc, "alias").value_or("");
  const std::string payload = GetString(doc, "payload").value_or("{}");
  const std::int64_t attempts = GetInt(doc, "attempts").value_or(0) + 1;
  const std::int64_t first_ms = GetInt(doc, "first_ms").value_or(env.Now());
  const std::string request_id = GetString(doc, "request_id").value_or(NewUuidV4());
  json::object config;
  std::string role;
  bool exists = false;
  {
    MutexLock lock(env.mu);
    auto it = env.functions.find(t.key);
    if (it != env.functions.end()) {
      exists = true;
      const std::string q = t.alias.empty() ? t.version : t.alias;
      auto c = it->second.invoke_configs.find(q);
      if (c != it->second.invoke_configs.end()) config = c->second;
      if (const Version* v = VersionOf(it->second, t.version))
        role = GetString(v->config, "Role").value_or("");
    }
  }
  const std::int64_t max_retries = GetInt(config, "MaximumRetryAttempts").value_or(2);
  const std::int64_t max_age_s = GetInt(config, "MaximumEventAgeInSeconds").value_or(21600);
  Result<InvokeOutcome> r =
      exists ? InvokeTarget(env, t, payload, "", false, request_id)
             : Result<InvokeOutcome>(services::MakeError(errors::kFunctionNotFound, {t.invoked_arn}));
  const bool throttled = !r && r.error().code == "TooManyRequestsException";
  const bool ok = r && r->function_error.empty();
  const std::int64_t now = env.Now();
  const std::int64_t unit = env.options.retry_ms_per_second;
  std::string condition;
  std::int64_t retry_at = -1;
  if (!ok && exists) {
    const bool aged = now - first_ms >= max_age_s * 1000;
    if (aged) {
      condition = "EventAgeExceeded";
    } else if (throttled) {
      retry_at = now + std::min<std::int64_t>(300, 1LL << std::min<std::int64_t>(attempts, 8)) * unit;
    } else if (attempts <= max_retries) {
      // AWS waits one minute before the first retry and two before the second.
      retry_at = now + (attempts == 1 ? 60 : 120) * unit;
    } else {
      condition = "RetriesExhausted";
    }
  }
  if (retry_at >= 0 && retry_at - first_ms > max_age_s * 1000) {
    retry_at = -1;
    condition = "EventAgeExceeded";
  }
  if (retry_at < 0 && exists) {
    const json::object* dc = GetObject(config, "DestinationConfig");
    const json::object* dest = dc ? GetObject(*dc, ok ? "OnSuccess" : "OnFailure") : nullptr;
    std::string destination = dest ? GetString(*dest, "Destination").value_or("") : "";
    if (!destination.empty()) {
      json::value request_payload;
      boost::system::error_code ec;
      request_payload = json::parse(payload, ec);
      if (ec) request_payload = json::string(payload);
      json::object response_context{{"statusCode", 200}, {"executedVersion", t.version}};
      json::value response_payload = nullptr;
      if (r) {
        if (!r->function_error.empty()) response_context["functionError"] = r->function_error;
        response_payload = json::parse(r->payload, ec);
        if (ec) response_payload = json::string(r->payload);
      } else {
        response_context["statusCode"] = 429;
      }
      json::object record{
          {"version", "1.0"},
          {"timestamp", IsoTimeZ(now)},
          {"requestContext", json::object{{"requestId", request_id},
                                          {"functionArn", FunctionArn(t.key) + ":" + t.version},
                                          {"condition", ok ? "Success" : condition},
                                          {"approximateInvokeCount", attempts}}},
          {"requestPayload", request_payload},
          {"responseContext", response_context}};
      if (r) record["responsePayload"] = response_payload;
      SendToDestination(env, doc, destination, role, record, ok);
    }
  }
  // Done with this attempt: the row goes (or comes back due later) in one transaction.
  auto txn = env.metadata.Begin(store::MetadataStore::Mode::kWrite);
  if (txn) {
    if (retry_at >= 0) {
      doc["attempts"] = attempts;
      (void)(*txn)->Exec("UPDATE lambda_events SET due_ms = ?, doc = ? WHERE id = ?",
                         {retry_at, json::serialize(doc), ev.id});
    } else {
      (void)(*txn)->Exec("DELETE FROM lambda_events WHERE id = ?", {ev.id});
    }
    (void)(*txn)->Commit();
  }
  MutexLock lock(env.mu);
  env.queued_running.erase(ev.id);
}

}  // namespace

std::int64_t RunAsyncRound(Env& env) {
  const std::int64_t now = env.Now();
  auto txn = env.metadata.Begin(store::MetadataStore::Mode::kRead);
  if (!txn) return 1000;
  auto rows = (*txn)->Query("SELECT id, due_ms, doc FROM lambda_events ORDER BY due_ms LIMIT 256");
  if (!rows) return 1000;
  std::int64_t next = -1;
  for (const auto& r : *rows) {
    const std::int64_t id = store::AsInt(r[0]);
    const std::int64_t due = store::AsInt(r[1]);
    if (due > now) {
      next = next < 0 ? due - now : std::min(next, due - now);
      continue;
    }
    {
      MutexLock lock(env.mu);
      if (env.queued_running.size() >= 64 || env.queued_running.contains(id)) continue;
      env.queued_running.insert(id);
    }
    QueuedEvent ev;
    ev.id = id;
    boost::system::error_code ec;
    json::value v = json::parse(store::AsText(r[2]), ec);
    if (!ec && v.is_object()) ev.doc = v.as_object();
    std::thread([&env, ev = std::move(ev)]() mutable { ProcessEvent(env, std::move(ev)); }).detach();
  }
  return next;
}

}  // namespace cenote::lambda
