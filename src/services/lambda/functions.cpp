// Functions, versions, aliases, concurrency, permissions, tags and layers.
#include <algorithm>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "http/message.hpp"
#include "services/lambda/internal.hpp"
#include "services/lambda/zip.hpp"

namespace cenote::lambda {

namespace {

constexpr std::uint64_t kUnzippedLimit = 262'144'000;

const std::set<std::string>& RunnableRuntimes() {
  static const std::set<std::string> k = {"python3.9",    "python3.10",      "python3.11", "python3.12",
                                          "python3.13",   "nodejs18.x",      "nodejs20.x", "nodejs22.x",
                                          "provided.al2", "provided.al2023", "provided"};
  return k;
}

FunctionKey KeyOf(const ParsedName& p) { return FunctionKey{p.account, p.region, p.name}; }

Result<ParsedName> NameParam(const RequestContext& ctx, const json::object& params) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName p, ParseFunctionName(GetString(params, "FunctionName").value_or(""),
                                                          ctx.account_id(), ctx.region));
  if (auto q = GetString(params, "Qualifier"); q && !q->empty()) p.qualifier = *q;
  return p;
}

Error Invalid(const std::string& message) {
  return services::MakeError(errors::kInvalidParameter, {message});
}

// The execution role's session, assumed by Lambda's service principal through STS so that the role's trust
// policy decides (AWS: "The role defined for the function cannot be assumed by Lambda.").
Result<json::object> AssumeExecutionRole(Env& env, const std::string& role, const std::string& account,
                                         const std::string& region, const std::string& function_name,
                                         const std::string& function_arn) {
  OperationInput in;
  in.params = json::object{{"RoleArn", role}, {"RoleSessionName", SessionName(function_name)}};
  auto out = env.invoker->Call(aws::ServiceCaller(kServicePrincipal, account, region, function_arn), "sts",
                               "AssumeRole", in);
  if (!out || !out->result.is_object()) return services::MakeError(errors::kRoleCannotBeAssumed);
  const json::object* creds = GetObject(out->result.as_object(), "Credentials");
  if (creds == nullptr) return services::MakeError(errors::kRoleCannotBeAssumed);
  return *creds;
}

// The zip of a Code / Content member: ZipFile bytes, or an S3 object read as the caller.
Result<std::string> ReadPackage(Env& env, const RequestContext& ctx, const json::object& code) {
  if (auto zip = GetString(code, "ZipFile")) return *zip;
  auto bucket = GetString(code, "S3Bucket");
  auto key = GetString(code, "S3Key");
  if (GetString(code, "ImageUri")) {
    return Invalid("Cenote runs Zip packages; container images (ImageUri) are not supported.");
  }
  if (!bucket || !key) return Invalid("Please provide a source for function code.");
  aws::Caller caller;
  caller.principal = ctx.principal;
  caller.region = ctx.region;
  caller.invoked_by = std::string(kServicePrincipal);
  caller.parent_request_id = ctx.request_id;
  caller.forwarded = true;
  OperationInput in;
  json::object params{{"Bucket", *bucket}, {"Key", *key}};
  if (auto v = GetString(code, "S3ObjectVersion")) params["VersionId"] = *v;
  in.params = std::move(params);
  auto out = env.invoker->Call(caller, "s3", "GetObject", in);
  if (!out) {
    if (out.error().code == "AccessDenied") {
      return Invalid(
          "Your access has been denied by S3, please make sure your request credentials have permission "
          "to GetObject for " +
          *bucket + "/" + *key +
          ". S3 Error Code: AccessDenied. S3 Error Message: "
          "Access Denied");
    }
    return Invalid("Error occurred while GetObject. S3 Error Code: " + out.error().code +
                   ". S3 Error Message: " + out.error().message);
  }
  if (out->body) {
    std::string bytes;
    char buf[65536];
    while (true) {
      auto n = out->body->Read(buf, sizeof(buf));
      if (!n) return n.error();
      if (*n == 0) break;
      bytes.append(buf, *n);
      if (bytes.size() > kUnzippedLimit) return Invalid("Unzipped size must be smaller than 262144000 bytes");
    }
    return bytes;
  }
  if (out->result.is_object()) {
    if (auto b = GetString(out->result.as_object(), "Body")) return *b;
  }
  return Invalid("Error occurred while GetObject.");
}

// Checks a package, stores it, returns (key, CodeSha256 base64, size).
struct StoredCode {
  std::string key, sha_b64;
  std::int64_t size = 0;
};
Result<StoredCode> Store(Env& env, const std::string& zip) {
  CENOTE_ASSIGN_OR_RETURN(std::uint64_t unzipped, CheckZip(zip));
  if (unzipped > kUnzippedLimit) return Invalid("Unzipped size must be smaller than 262144000 bytes");
  StoredCode c;
  CENOTE_ASSIGN_OR_RETURN(c.key, env.StoreCode(zip));
  c.sha_b64 = Base64Encode(*HexDecode(c.key));
  c.size = static_cast<std::int64_t>(zip.size());
  return c;
}

Result<json::array> LayersOf(Env& env, const json::object& params) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  json::array out;
  const json::array* layers = GetArray(params, "Layers");
  if (layers == nullptr) return out;
  if (layers->size() > 5) return Invalid("Cannot reference more than 5 layers.");
  for (const auto& l : *layers) {
    if (!l.is_string()) continue;
    const std::string arn(l.as_string());
    // arn:aws:lambda:<region>:<account>:layer:<name>:<version>
    std::vector<std::string> parts;
    std::size_t at = 0;
    while (true) {
      std::size_t c = arn.find(':', at);
      parts.push_back(arn.substr(at, c == std::string::npos ? std::string::npos : c - at));
      if (c == std::string::npos) break;
      at = c + 1;
    }
    const LayerVersion* found = nullptr;
    if (parts.size() == 8 && parts[5] == "layer") {
      auto it = env.layers.find(LayerKey{parts[4], parts[3], parts[6]});
      if (it != env.layers.end()) {
        auto v = it->second.find(std::atoll(parts[7].c_str()));
        if (v != it->second.end()) found = &v->second;
      }
    }
    if (found == nullptr) return Invalid("Layer version " + arn + " does not exist.");
    const json::object* content = GetObject(found->doc, "Content");
    out.push_back(
        json::object{{"Arn", arn}, {"CodeSize", content ? GetInt(*content, "CodeSize").value_or(0) : 0}});
  }
  return out;
}

// Applies the configuration members of CreateFunction / UpdateFunctionConfiguration to `c`.
Status ApplyConfig(Env& env, json::object& c, const json::object& params, bool create)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  for (const char* m : {"Runtime", "Role", "Handler", "Description", "KMSKeyArn"}) {
    if (auto v = GetString(params, m)) c[m] = *v;
  }
  if (auto v = GetInt(params, "Timeout")) c["Timeout"] = *v;
  if (auto v = GetInt(params, "MemorySize")) c["MemorySize"] = *v;
  if (const json::object* e = GetObject(params, "Environment")) {
    json::object vars;
    if (const json::object* v = GetObject(*e, "Variables")) vars = *v;
    std::size_t size = 0;
    for (const auto& [k, v] : vars) size += k.size() + (v.is_string() ? v.as_string().size() : 0);
    if (size > 4096) {
      return Invalid(
          "Lambda was unable to configure your environment variables because the environment variables "
          "you have provided exceeded the 4KB limit. String measured: " +
          json::serialize(vars));
    }
    static const std::set<std::string> kReserved = {"_HANDLER",
                                                    "AWS_REGION",
                                                    "AWS_DEFAULT_REGION",
                                                    "AWS_EXECUTION_ENV",
                                                    "AWS_LAMBDA_FUNCTION_NAME",
                                                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                                    "AWS_LAMBDA_FUNCTION_VERSION",
                                                    "AWS_LAMBDA_LOG_GROUP_NAME",
                                                    "AWS_LAMBDA_LOG_STREAM_NAME",
                                                    "AWS_ACCESS_KEY_ID",
                                                    "AWS_SECRET_ACCESS_KEY",
                                                    "AWS_SESSION_TOKEN",
                                                    "AWS_LAMBDA_RUNTIME_API",
                                                    "LAMBDA_TASK_ROOT",
                                                    "LAMBDA_RUNTIME_DIR"};
    for (const auto& [k, v] : vars) {
      if (kReserved.contains(std::string(k))) {
        return Invalid(
            "Lambda was unable to configure your environment variables because the environment variables "
            "you have provided contains reserved keys that are currently not supported for modification. "
            "Reserved keys used in this request: " +
            std::string(k));
      }
    }
    c["Environment"] = json::object{{"Variables", vars}};
  }
  if (params.contains("Layers")) {
    CENOTE_ASSIGN_OR_RETURN(json::array layers, LayersOf(env, params));
    if (layers.empty()) {
      c.erase("Layers");
    } else {
      c["Layers"] = layers;
    }
  }
  if (const json::object* t = GetObject(params, "TracingConfig")) {
    c["TracingConfig"] = json::object{{"Mode", GetString(*t, "Mode").value_or("PassThrough")}};
  }
  if (const json::object* d = GetObject(params, "DeadLetterConfig")) c["DeadLetterConfig"] = *d;
  if (const json::object* s = GetObject(params, "EphemeralStorage")) c["EphemeralStorage"] = *s;
  if (const json::object* l = GetObject(params, "LoggingConfig")) {
    json::object lc = GetObject(c, "LoggingConfig") ? *GetObject(c, "LoggingConfig") : json::object{};
    for (const auto& [k, v] : *l) lc[k] = v;
    c["LoggingConfig"] = lc;
  }
  const std::string runtime = GetString(c, "Runtime").value_or("");
  if (create || params.contains("Runtime")) {
    if (runtime.empty() || (!runtime.starts_with("provided") && !GetString(c, "Handler"))) {
      return Invalid(
          "Runtime and Handler are mandatory parameters for functions created with deployment packages.");
    }
    if (!RunnableRuntimes().contains(runtime)) {
      return Invalid(
          "The runtime parameter of " + runtime +
          " is not supported by Cenote (python3.9-3.13, nodejs18.x-22.x, provided.al2, provided.al2023).");
    }
  }
  return Status::Ok();
}

std::string RevisionId() { return NewUuidV4(); }

json::object Pending(json::object c, bool create) {
  if (create) {
    c["State"] = "Pending";
    c["StateReason"] = "The function is being created.";
    c["StateReasonCode"] = "Creating";
  } else {
    c["LastUpdateStatus"] = "InProgress";
    c["LastUpdateStatusReason"] = "The function is being created.";
    c["LastUpdateStatusReasonCode"] = "Creating";
  }
  return c;
}

Result<OperationOutput> Save(Env& env, const Function& f) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(env.SaveFunction(*txn, f));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return OperationOutput{};
}

json::object WithoutVolatile(json::object c) {
  for (const char* k : {"Version", "FunctionArn", "LastModified", "RevisionId", "State", "LastUpdateStatus"})
    c.erase(k);
  return c;
}

Result<OperationOutput> Publish(Env& env, Function& f, const std::string& description)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  // Nothing changed since the last version: AWS answers that version.
  if (!f.versions.empty()) {
    const Version& last = f.versions.rbegin()->second;
    if (last.code == f.latest.code && WithoutVolatile(last.config) == [&] {
          json::object c = WithoutVolatile(f.latest.config);
          if (!description.empty()) c["Description"] = description;
          return c;
        }()) {
      return OperationOutput(last.config);
    }
  }
  Version v = f.latest;
  const std::int64_t n = ++f.last_version;
  v.config["Version"] = std::to_string(n);
  v.config["FunctionArn"] = f.arn + ":" + std::to_string(n);
  v.config["RevisionId"] = RevisionId();
  if (!description.empty()) v.config["Description"] = description;
  f.versions[n] = v;
  CENOTE_RETURN_IF_ERROR(Save(env, f));
  return OperationOutput(v.config);
}

std::int64_t ReservedElsewhere(Env& env, const Function& except) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  std::int64_t sum = 0;
  for (const auto& [k, f] : env.functions) {
    if (k.account == except.key.account && k.region == except.key.region && k.name != except.key.name &&
        f.reserved) {
      sum += *f.reserved;
    }
  }
  return sum;
}

void RememberEndpoint(Env& env, const RequestContext& ctx) {
  if (ctx.headers == nullptr) return;
  auto host = ctx.headers->Get("host");
  if (!host) return;
  MutexLock lock(env.mu);
  env.endpoint = std::string(ctx.tls ? "https://" : "http://") + std::string(*host);
}

}  // namespace

// ---- functions

Result<OperationOutput> CreateFunction(Env& env, const RequestContext& ctx, OperationInput& in) {
  RememberEndpoint(env, ctx);
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, ParseFunctionName(GetString(params, "FunctionName").value_or(""),
                                                             ctx.account_id(), ctx.region));
  const FunctionKey key = KeyOf(name);
  if (GetString(params, "PackageType").value_or("Zip") != "Zip") {
    return Invalid("Cenote runs Zip packages; container images (PackageType Image) are not supported.");
  }
  {
    MutexLock lock(env.mu);
    if (env.functions.contains(key)) return services::MakeError(errors::kFunctionExists, {key.name});
  }
  const std::string role = GetString(params, "Role").value_or("");
  CENOTE_RETURN_IF_ERROR(AssumeExecutionRole(env, role, key.account, key.region, key.name, FunctionArn(key)));
  const json::object* code = GetObject(params, "Code");
  CENOTE_ASSIGN_OR_RETURN(std::string zip, ReadPackage(env, ctx, code ? *code : json::object{}));
  CENOTE_ASSIGN_OR_RETURN(StoredCode stored, Store(env, zip));
  MutexLock lock(env.mu);
  if (env.functions.contains(key)) return services::MakeError(errors::kFunctionExists, {key.name});
  Function f;
  f.key = key;
  f.arn = FunctionArn(key);
  json::object c{
      {"FunctionName", key.name},
      {"FunctionArn", f.arn},
      {"Timeout", 3},
      {"MemorySize", 128},
      {"Description", ""},
      {"Version", "$LATEST"},
      {"TracingConfig", json::object{{"Mode", "PassThrough"}}},
      {"PackageType", "Zip"},
      {"Architectures", json::array{"x86_64"}},
      {"EphemeralStorage", json::object{{"Size", 512}}},
      {"SnapStart", json::object{{"ApplyOn", "None"}, {"OptimizationStatus", "Off"}}},
      {"LoggingConfig", json::object{{"LogFormat", "Text"}, {"LogGroup", "/aws/lambda/" + key.name}}},
      {"State", "Active"},
      {"LastUpdateStatus", "Successful"}};
  if (const json::array* a = GetArray(params, "Architectures"); a && !a->empty()) c["Architectures"] = *a;
  CENOTE_RETURN_IF_ERROR(ApplyConfig(env, c, params, true));
  c["CodeSha256"] = stored.sha_b64;
  c["CodeSize"] = stored.size;
  c["LastModified"] = IsoTime(env.Now());
  c["RevisionId"] = RevisionId();
  f.latest = Version{.config = c, .code = stored.key};
  if (const json::object* tags = GetObject(params, "Tags")) {
    for (const auto& [k, v] : *tags) {
      if (v.is_string()) f.tags[std::string(k)] = std::string(v.as_string());
    }
  }
  Function& stored_f = env.functions[key] = std::move(f);
  json::object answer = Pending(stored_f.latest.config, true);
  if (GetBool(params, "Publish").value_or(false)) {
    auto published = Publish(env, stored_f, "");
    if (!published) {
      env.functions.erase(key);
      return published.error();
    }
    answer = Pending(published->result.as_object(), true);
  } else {
    auto saved = Save(env, stored_f);
    if (!saved) {
      env.functions.erase(key);
      return saved.error();
    }
  }
  return OperationOutput(answer);
}

Result<OperationOutput> GetFunctionConfiguration(Env& env, const RequestContext& ctx, OperationInput& in) {
  RememberEndpoint(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Target t, Resolve(env, name, false));
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, t.key));
  return OperationOutput(VersionOf(*f, t.version)->config);
}

Result<OperationOutput> GetFunction(Env& env, const RequestContext& ctx, OperationInput& in) {
  RememberEndpoint(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Target t, Resolve(env, name, false));
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, t.key));
  const Version* v = VersionOf(*f, t.version);
  json::object out{
      {"Configuration", v->config},
      {"Code", json::object{{"RepositoryType", "S3"},
                            {"Location", "https://awslambda-" + f->key.region + "-tasks.s3." + f->key.region +
                                             ".amazonaws.com/snapshots/" + f->key.account + "/" +
                                             f->key.name + "-" + v->code}}}};
  json::object tags;
  for (const auto& [k, val] : f->tags) tags[k] = val;
  if (!tags.empty()) out["Tags"] = tags;
  if (f->reserved) out["Concurrency"] = json::object{{"ReservedConcurrentExecutions", *f->reserved}};
  return OperationOutput(out);
}

Result<OperationOutput> UpdateFunctionCode(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  {
    MutexLock lock(env.mu);
    CENOTE_RETURN_IF_ERROR(FindFunction(env, KeyOf(name)));
  }
  CENOTE_ASSIGN_OR_RETURN(std::string zip, ReadPackage(env, ctx, params));
  CENOTE_ASSIGN_OR_RETURN(StoredCode stored, Store(env, zip));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  if (auto rev = GetString(params, "RevisionId");
      rev && *rev != GetString(f->latest.config, "RevisionId").value_or("")) {
    return services::MakeError(errors::kPreconditionFailed);
  }
  if (GetBool(params, "DryRun").value_or(false)) {
    json::object c = f->latest.config;
    c["CodeSha256"] = stored.sha_b64;
    c["CodeSize"] = stored.size;
    return OperationOutput(c);
  }
  Function before = *f;
  f->latest.code = stored.key;
  f->latest.config["CodeSha256"] = stored.sha_b64;
  f->latest.config["CodeSize"] = stored.size;
  f->latest.config["LastModified"] = IsoTime(env.Now());
  f->latest.config["RevisionId"] = RevisionId();
  json::object answer = Pending(f->latest.config, false);
  auto done = GetBool(params, "Publish").value_or(false) ? Publish(env, *f, "") : Save(env, *f);
  if (!done) {
    *f = std::move(before);
    return done.error();
  }
  if (GetBool(params, "Publish").value_or(false)) answer = Pending(done->result.as_object(), false);
  env.runtimes->Retire(f->arn);
  return OperationOutput(answer);
}

Result<OperationOutput> UpdateFunctionConfiguration(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  if (auto role = GetString(params, "Role")) {
    CENOTE_RETURN_IF_ERROR(
        AssumeExecutionRole(env, *role, name.account, name.region, name.name, FunctionArn(KeyOf(name))));
  }
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  if (auto rev = GetString(params, "RevisionId");
      rev && *rev != GetString(f->latest.config, "RevisionId").value_or("")) {
    return services::MakeError(errors::kPreconditionFailed);
  }
  json::object c = f->latest.config;
  CENOTE_RETURN_IF_ERROR(ApplyConfig(env, c, params, false));
  c["LastModified"] = IsoTime(env.Now());
  c["RevisionId"] = RevisionId();
  Function before = *f;
  f->latest.config = c;
  auto saved = Save(env, *f);
  if (!saved) {
    *f = std::move(before);
    return saved.error();
  }
  env.runtimes->Retire(f->arn);
  return OperationOutput(Pending(c, false));
}

Result<OperationOutput> DeleteFunction(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  if (!name.qualifier.empty() && name.qualifier != "$LATEST") {
    // Deleting one version: not one an alias points to.
    auto n = std::atoll(name.qualifier.c_str());
    if (!f->versions.contains(n))
      return services::MakeError(errors::kFunctionNotFound, {f->arn + ":" + name.qualifier});
    for (const auto& [alias, a] : f->aliases) {
      if (GetString(a, "FunctionVersion").value_or("") == name.qualifier) {
        return services::MakeError(
            errors::kConflict,
            {"Unable to delete version because the following aliases reference it: [" + alias + "]"});
      }
    }
    f->versions.erase(n);
    f->provisioned.erase(std::to_string(n));
    CENOTE_RETURN_IF_ERROR(env.SaveFunction(*txn, *f));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    return OperationOutput{};
  }
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM lambda_functions WHERE account = ? AND region = ? AND name = ?",
                {f->key.account, f->key.region, f->key.name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  const std::string arn = f->arn;
  env.functions.erase(KeyOf(name));
  env.runtimes->Retire(arn);
  return OperationOutput{};
}

Result<OperationOutput> ListFunctions(Env& env, const RequestContext& ctx, OperationInput& in) {
  RememberEndpoint(env, ctx);
  const json::object& params = in.params.as_object();
  const bool all = GetString(params, "FunctionVersion").value_or("") == "ALL";
  const std::int64_t max = std::clamp<std::int64_t>(GetInt(params, "MaxItems").value_or(50), 1, 50);
  const std::string marker = GetString(params, "Marker").value_or("");
  MutexLock lock(env.mu);
  std::vector<std::pair<std::string, json::object>> rows;  // (sort key, config)
  std::string last_sort;
  for (const auto& [k, f] : env.functions) {
    if (k.account != ctx.account_id() || k.region != ctx.region) continue;
    // Sort keys "<name> <version, 12 digits>" ($LATEST is 0): a space sorts before every character of a name.
    rows.push_back({k.name + " 000000000000", f.latest.config});
    if (all) {
      for (const auto& [n, v] : f.versions) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), " %012lld", static_cast<long long>(n));
        rows.push_back({k.name + buf, v.config});
      }
    }
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Rows sort by name (then version); NextMarker is the sort key of the last row answered, when more follow.
  json::array out;
  json::object answer;
  for (const auto& [sort, c] : rows) {
    if (!marker.empty() && sort <= marker) continue;
    if (static_cast<std::int64_t>(out.size()) == max) {
      answer["NextMarker"] = last_sort;
      break;
    }
    out.push_back(c);
    last_sort = sort;
  }
  answer["Functions"] = out;
  return OperationOutput(answer);
}

// ---- versions and aliases

Result<OperationOutput> PublishVersion(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  if (auto sha = GetString(params, "CodeSha256");
      sha && *sha != GetString(f->latest.config, "CodeSha256").value_or("")) {
    return Invalid("CodeSHA256 (" + *sha + ") is different from current CodeSHA256 in $LATEST (" +
                   GetString(f->latest.config, "CodeSha256").value_or("") +
                   "). Please try again with the CodeSHA256 in $LATEST.");
  }
  if (auto rev = GetString(params, "RevisionId");
      rev && *rev != GetString(f->latest.config, "RevisionId").value_or("")) {
    return services::MakeError(errors::kPreconditionFailed);
  }
  CENOTE_ASSIGN_OR_RETURN(OperationOutput out,
                          Publish(env, *f, GetString(params, "Description").value_or("")));
  return out;
}

Result<OperationOutput> ListVersionsByFunction(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  json::array out{f->latest.config};
  for (const auto& [n, v] : f->versions) out.push_back(v.config);
  return OperationOutput(json::object{{"Versions", out}});
}

namespace {

Status CheckRouting(const Function& f, const std::string& version, const json::object& params) {
  if (VersionOf(f, version) == nullptr) {
    return services::MakeError(errors::kFunctionNotFound, {f.arn + ":" + version});
  }
  const json::object* rc = GetObject(params, "RoutingConfig");
  const json::object* w = rc ? GetObject(*rc, "AdditionalVersionWeights") : nullptr;
  if (w == nullptr) return Status::Ok();
  if (w->size() > 1) return Invalid("Number of items in AdditionalVersionWeights cannot be greater than 1");
  for (const auto& [v, weight] : *w) {
    if (VersionOf(f, std::string(v)) == nullptr || std::string(v) == "$LATEST") {
      return services::MakeError(errors::kFunctionNotFound, {f.arn + ":" + std::string(v)});
    }
    if (std::string(v) == version) {
      return Invalid("Invalid function version " + version + ". Function version " + version +
                     " is already included in routing configuration.");
    }
    (void)weight;
  }
  return Status::Ok();
}

}  // namespace

Result<OperationOutput> CreateAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  const std::string alias = GetString(params, "Name").value_or("");
  const std::string version = GetString(params, "FunctionVersion").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  if (f->aliases.contains(alias)) return services::MakeError(errors::kAliasExists, {f->arn + ":" + alias});
  CENOTE_RETURN_IF_ERROR(CheckRouting(*f, version, params));
  json::object a{{"AliasArn", f->arn + ":" + alias},
                 {"Name", alias},
                 {"FunctionVersion", version},
                 {"Description", GetString(params, "Description").value_or("")},
                 {"RevisionId", RevisionId()}};
  if (const json::object* rc = GetObject(params, "RoutingConfig")) a["RoutingConfig"] = *rc;
  f->aliases[alias] = a;
  auto saved = Save(env, *f);
  if (!saved) {
    f->aliases.erase(alias);
    return saved.error();
  }
  return OperationOutput(a);
}

Result<OperationOutput> GetAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  const std::string alias = GetString(params, "Name").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  auto it = f->aliases.find(alias);
  if (it == f->aliases.end()) return services::MakeError(errors::kAliasNotFound, {f->arn + ":" + alias});
  return OperationOutput(it->second);
}

Result<OperationOutput> UpdateAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  const std::string alias = GetString(params, "Name").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  auto it = f->aliases.find(alias);
  if (it == f->aliases.end()) return services::MakeError(errors::kAliasNotFound, {f->arn + ":" + alias});
  if (auto rev = GetString(params, "RevisionId");
      rev && *rev != GetString(it->second, "RevisionId").value_or("")) {
    return services::MakeError(errors::kPreconditionFailed);
  }
  json::object a = it->second;
  if (auto v = GetString(params, "FunctionVersion")) a["FunctionVersion"] = *v;
  if (auto d = GetString(params, "Description")) a["Description"] = *d;
  if (const json::object* rc = GetObject(params, "RoutingConfig")) a["RoutingConfig"] = *rc;
  CENOTE_RETURN_IF_ERROR(CheckRouting(*f, GetString(a, "FunctionVersion").value_or(""), a));
  a["RevisionId"] = RevisionId();
  json::object before = it->second;
  it->second = a;
  auto saved = Save(env, *f);
  if (!saved) {
    it->second = before;
    return saved.error();
  }
  return OperationOutput(a);
}

Result<OperationOutput> DeleteAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  f->aliases.erase(GetString(params, "Name").value_or(""));
  f->urls.erase(GetString(params, "Name").value_or(""));         // an alias's function URL goes with it
  f->provisioned.erase(GetString(params, "Name").value_or(""));  // and its provisioned concurrency
  CENOTE_RETURN_IF_ERROR(Save(env, *f));
  return OperationOutput{};
}

Result<OperationOutput> ListAliases(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  const auto version = GetString(params, "FunctionVersion");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  json::array out;
  for (const auto& [n, a] : f->aliases) {
    if (version && GetString(a, "FunctionVersion").value_or("") != *version) continue;
    out.push_back(a);
  }
  return OperationOutput(json::object{{"Aliases", out}});
}

// ---- concurrency

Result<OperationOutput> PutFunctionConcurrency(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  const std::int64_t n = GetInt(params, "ReservedConcurrentExecutions").value_or(0);
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  if (kAccountConcurrency - ReservedElsewhere(env, *f) - n < kMinimumUnreserved) {
    return Invalid(
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [" +
        std::to_string(kMinimumUnreserved) + "].");
  }
  std::int64_t provisioned = 0;
  for (const auto& [q, c] : f->provisioned) provisioned += GetInt(c, "Requested").value_or(0);
  if (n < provisioned) {
    return Invalid(
        "Specified ReservedConcurrentExecutions for function is less than the function's total "
        "provisioned concurrency [" +
        std::to_string(provisioned) + "].");
  }
  auto before = f->reserved;
  f->reserved = n;
  auto saved = Save(env, *f);
  if (!saved) {
    f->reserved = before;
    return saved.error();
  }
  return OperationOutput(json::object{{"ReservedConcurrentExecutions", n}});
}

Result<OperationOutput> GetFunctionConcurrency(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  json::object out;
  if (f->reserved) out["ReservedConcurrentExecutions"] = *f->reserved;
  return OperationOutput(out);
}

Result<OperationOutput> DeleteFunctionConcurrency(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  f->reserved.reset();
  CENOTE_RETURN_IF_ERROR(Save(env, *f));
  return OperationOutput{};
}

Result<OperationOutput> GetAccountSettings(Env& env, const RequestContext& ctx, OperationInput&) {
  MutexLock lock(env.mu);
  std::int64_t reserved = 0, count = 0, total = 0;
  for (const auto& [k, f] : env.functions) {
    if (k.account != ctx.account_id() || k.region != ctx.region) continue;
    ++count;
    reserved += f.reserved.value_or(0);
    total += GetInt(f.latest.config, "CodeSize").value_or(0);
    for (const auto& [n, v] : f.versions) total += GetInt(v.config, "CodeSize").value_or(0);
  }
  return OperationOutput(json::object{
      {"AccountLimit", json::object{{"TotalCodeSize", std::int64_t{80'530'636'800}},
                                    {"CodeSizeUnzipped", std::int64_t{262'144'000}},
                                    {"CodeSizeZipped", std::int64_t{52'428'800}},
                                    {"ConcurrentExecutions", kAccountConcurrency},
                                    {"UnreservedConcurrentExecutions", kAccountConcurrency - reserved}}},
      {"AccountUsage", json::object{{"TotalCodeSize", total}, {"FunctionCount", count}}}});
}

// ---- permissions

Result<OperationOutput> AddPermission(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  const std::string sid = GetString(params, "StatementId").value_or("");
  std::string action = GetString(params, "Action").value_or("");
  const std::string principal = GetString(params, "Principal").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  if (!name.qualifier.empty()) CENOTE_RETURN_IF_ERROR(Resolve(env, name, false));
  for (const auto& s : f->statements) {
    if (s.is_object() && GetString(s.as_object(), "Sid").value_or("") == sid) {
      return services::MakeError(errors::kStatementExists, {sid});
    }
  }
  json::object p;
  if (principal == "*") {
    p["AWS"] = "*";
  } else if (principal.find(".amazonaws.com") != std::string::npos ||
             principal.find(".amazon.com") != std::string::npos) {
    p["Service"] = principal;
  } else if (principal.size() == 12 && std::all_of(principal.begin(), principal.end(), ::isdigit)) {
    p["AWS"] = "arn:aws:iam::" + principal + ":root";
  } else {
    p["AWS"] = principal;
  }
  json::object st{{"Sid", sid},
                  {"Effect", "Allow"},
                  {"Principal", principal == "*" ? json::value("*") : json::value(p)},
                  {"Action", action},
                  {"Resource", f->arn + (name.qualifier.empty() ? "" : ":" + name.qualifier)}};
  json::object cond;
  if (auto a = GetString(params, "SourceArn")) cond["ArnLike"] = json::object{{"AWS:SourceArn", *a}};
  json::object eq;
  if (auto a = GetString(params, "SourceAccount")) eq["AWS:SourceAccount"] = *a;
  if (auto o = GetString(params, "PrincipalOrgID")) eq["aws:PrincipalOrgID"] = *o;
  if (auto t = GetString(params, "FunctionUrlAuthType")) eq["lambda:FunctionUrlAuthType"] = *t;
  if (!eq.empty()) cond["StringEquals"] = eq;
  if (!cond.empty()) st["Condition"] = cond;
  json::array before = f->statements;
  f->statements.push_back(st);
  if (Status s = RecompilePolicy(*f); !s) {
    f->statements = before;
    (void)RecompilePolicy(*f);
    return Invalid("The provided principal was invalid. Please check the principal and try again.");
  }
  auto saved = Save(env, *f);
  if (!saved) {
    f->statements = before;
    (void)RecompilePolicy(*f);
    return saved.error();
  }
  return OperationOutput(json::object{{"Statement", json::serialize(st)}});
}

Result<OperationOutput> RemovePermission(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, params));
  const std::string sid = GetString(params, "StatementId").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  json::array kept;
  bool found = false;
  for (const auto& s : f->statements) {
    if (s.is_object() && GetString(s.as_object(), "Sid").value_or("") == sid) {
      found = true;
    } else {
      kept.push_back(s);
    }
  }
  if (!found) return services::MakeError(errors::kStatementNotFound, {sid});
  json::array before = f->statements;
  f->statements = kept;
  (void)RecompilePolicy(*f);
  auto saved = Save(env, *f);
  if (!saved) {
    f->statements = before;
    (void)RecompilePolicy(*f);
    return saved.error();
  }
  return OperationOutput{};
}

Result<OperationOutput> GetPolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameParam(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, KeyOf(name)));
  if (f->statements.empty()) return services::MakeError(errors::kNoPolicy);
  json::object doc{{"Version", "2012-10-17"}, {"Id", "default"}, {"Statement", f->statements}};
  return OperationOutput(
      json::object{{"Policy", json::serialize(doc)},
                   {"RevisionId", GetString(f->latest.config, "RevisionId").value_or("")}});
}

// ---- tags

namespace {
Result<Function*> TaggedFunction(Env& env, const RequestContext& ctx, const json::object& params)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, ParseFunctionName(GetString(params, "Resource").value_or(""),
                                                             ctx.account_id(), ctx.region));
  return FindFunction(env, KeyOf(name));
}
}  // namespace

Result<OperationOutput> TagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, TaggedFunction(env, ctx, params));
  auto before = f->tags;
  if (const json::object* tags = GetObject(params, "Tags")) {
    for (const auto& [k, v] : *tags) {
      if (v.is_string()) f->tags[std::string(k)] = std::string(v.as_string());
    }
  }
  if (f->tags.size() > 50) {
    f->tags = before;
    return Invalid("Tags cannot exceed 50.");
  }
  CENOTE_RETURN_IF_ERROR(Save(env, *f));
  return OperationOutput{};
}

Result<OperationOutput> UntagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, TaggedFunction(env, ctx, params));
  if (const json::array* keys = GetArray(params, "TagKeys")) {
    for (const auto& k : *keys) {
      if (k.is_string()) f->tags.erase(std::string(k.as_string()));
    }
  }
  CENOTE_RETURN_IF_ERROR(Save(env, *f));
  return OperationOutput{};
}

Result<OperationOutput> ListTags(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, TaggedFunction(env, ctx, in.params.as_object()));
  json::object tags;
  for (const auto& [k, v] : f->tags) tags[k] = v;
  return OperationOutput(json::object{{"Tags", tags}});
}

// ---- layers

namespace {

Result<LayerKey> LayerKeyOf(const RequestContext& ctx, const std::string& name) {
  if (name.starts_with("arn:")) {
    std::vector<std::string> parts;
    std::size_t at = 0;
    while (true) {
      std::size_t c = name.find(':', at);
      parts.push_back(name.substr(at, c == std::string::npos ? std::string::npos : c - at));
      if (c == std::string::npos) break;
      at = c + 1;
    }
    if (parts.size() < 7 || parts[5] != "layer") return Invalid("Invalid layer ARN: " + name);
    return LayerKey{parts[4], parts[3], parts[6]};
  }
  return LayerKey{ctx.account_id(), ctx.region, name};
}

json::object ListItem(const LayerVersion& v) {
  json::object item;
  for (const char* k : {"LayerVersionArn", "Version", "Description", "CreatedDate", "CompatibleRuntimes",
                        "LicenseInfo", "CompatibleArchitectures"}) {
    if (const auto* x = v.doc.if_contains(k)) item[k] = *x;
  }
  return item;
}

}  // namespace

Result<OperationOutput> PublishLayerVersion(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(LayerKey key, LayerKeyOf(ctx, GetString(params, "LayerName").value_or("")));
  const json::object* content = GetObject(params, "Content");
  CENOTE_ASSIGN_OR_RETURN(std::string zip, ReadPackage(env, ctx, content ? *content : json::object{}));
  CENOTE_ASSIGN_OR_RETURN(StoredCode stored, Store(env, zip));
  MutexLock lock(env.mu);
  auto& versions = env.layers[key];
  const std::int64_t n = versions.empty() ? 1 : versions.rbegin()->first + 1;
  LayerVersion v;
  v.code = stored.key;
  v.doc =
      json::object{{"Content", json::object{{"Location", "https://awslambda-" + key.region + "-layers.s3." +
                                                             key.region + ".amazonaws.com/snapshots/" +
                                                             key.account + "/" + key.name + "-" + stored.key},
                                            {"CodeSha256", stored.sha_b64},
                                            {"CodeSize", stored.size}}},
                   {"LayerArn", LayerArn(key)},
                   {"LayerVersionArn", LayerArn(key) + ":" + std::to_string(n)},
                   {"Description", GetString(params, "Description").value_or("")},
                   {"CreatedDate", IsoTime(env.Now())},
                   {"Version", n}};
  for (const char* k : {"CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"}) {
    if (const auto* x = params.if_contains(k)) v.doc[k] = *x;
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(env.SaveLayer(*txn, key, n, v));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  versions[n] = v;
  return OperationOutput(v.doc);
}

Result<OperationOutput> GetLayerVersion(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(LayerKey key, LayerKeyOf(ctx, GetString(params, "LayerName").value_or("")));
  MutexLock lock(env.mu);
  auto it = env.layers.find(key);
  if (it == env.layers.end()) return services::MakeError(errors::kLayerNotFound);
  auto v = it->second.find(GetInt(params, "VersionNumber").value_or(0));
  if (v == it->second.end()) return services::MakeError(errors::kLayerNotFound);
  return OperationOutput(v->second.doc);
}

// GetLayerVersionByArn: arn:aws:lambda:<region>:<account>:layer:<name>:<version>.
Result<OperationOutput> GetLayerVersionByArn(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "Arn").value_or("");
  CENOTE_ASSIGN_OR_RETURN(LayerKey key, LayerKeyOf(ctx, arn));
  const std::size_t colon = arn.rfind(':');
  std::int64_t version = 0;
  const std::string digits = colon == std::string::npos ? "" : arn.substr(colon + 1);
  if (!arn.starts_with("arn:") || digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return Invalid("1 validation error detected: Value '" + arn +
                   "' at 'arn' failed to satisfy constraint: Member must satisfy regular expression pattern: "
                   "arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:layer:"
                   "[a-zA-Z0-9-_]+:[0-9]+");
  version = std::stoll(digits);
  MutexLock lock(env.mu);
  auto it = env.layers.find(key);
  if (it == env.layers.end()) return services::MakeError(errors::kLayerNotFound);
  auto v = it->second.find(version);
  if (v == it->second.end()) return services::MakeError(errors::kLayerNotFound);
  return OperationOutput(v->second.doc);
}

Result<OperationOutput> ListLayerVersions(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(LayerKey key, LayerKeyOf(ctx, GetString(params, "LayerName").value_or("")));
  MutexLock lock(env.mu);
  json::array out;
  auto it = env.layers.find(key);
  if (it != env.layers.end()) {
    for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) out.push_back(ListItem(v->second));
  }
  return OperationOutput(json::object{{"LayerVersions", out}});
}

Result<OperationOutput> ListLayers(Env& env, const RequestContext& ctx, OperationInput&) {
  MutexLock lock(env.mu);
  json::array out;
  for (const auto& [key, versions] : env.layers) {
    if (key.account != ctx.account_id() || key.region != ctx.region || versions.empty()) continue;
    out.push_back(json::object{{"LayerName", key.name},
                               {"LayerArn", LayerArn(key)},
                               {"LatestMatchingVersion", ListItem(versions.rbegin()->second)}});
  }
  return OperationOutput(json::object{{"Layers", out}});
}

Result<OperationOutput> DeleteLayerVersion(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(LayerKey key, LayerKeyOf(ctx, GetString(params, "LayerName").value_or("")));
  const std::int64_t n = GetInt(params, "VersionNumber").value_or(0);
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM lambda_layers WHERE account = ? AND region = ? AND name = ? AND version = ?",
                {key.account, key.region, key.name, n}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  auto it = env.layers.find(key);
  if (it != env.layers.end()) it->second.erase(n);
  return OperationOutput{};
}

// ---- layer version permissions

namespace {

Result<LayerVersion*> FindLayerVersion(Env& env, const RequestContext& ctx, const json::object& params)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  CENOTE_ASSIGN_OR_RETURN(LayerKey key, LayerKeyOf(ctx, GetString(params, "LayerName").value_or("")));
  auto it = env.layers.find(key);
  if (it == env.layers.end()) return services::MakeError(errors::kLayerNotFound);
  auto v = it->second.find(GetInt(params, "VersionNumber").value_or(0));
  if (v == it->second.end()) return services::MakeError(errors::kLayerNotFound);
  return &v->second;
}

// Writes a layer version whose statements changed, with a new RevisionId; restores it on failure.
Status SaveLayerPolicy(Env& env, const std::string& layer_version_arn, LayerVersion& v, json::array before)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  const std::string old_revision = v.revision;
  auto restore = [&] {
    v.statements = std::move(before);
    v.revision = old_revision;
    (void)RecompileLayerPolicy(v);
  };
  if (Status s = RecompileLayerPolicy(v); !s) {
    restore();
    return Invalid("The provided principal was invalid. Please check the principal and try again.");
  }
  v.revision = RevisionId();
  // arn:aws:lambda:<region>:<account>:layer:<name>:<version>
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (true) {
    std::size_t c = layer_version_arn.find(':', at);
    parts.push_back(layer_version_arn.substr(at, c == std::string::npos ? std::string::npos : c - at));
    if (c == std::string::npos) break;
    at = c + 1;
  }
  if (parts.size() != 8) {
    restore();
    return InternalError("layer version ARN " + layer_version_arn);
  }
  Status saved = [&]() -> Status {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_RETURN_IF_ERROR(
        env.SaveLayer(*txn, LayerKey{parts[4], parts[3], parts[6]}, std::atoll(parts[7].c_str()), v));
    return txn->Commit();
  }();
  if (!saved) restore();
  return saved;
}

bool MatchesPattern(const std::string& text, std::size_t min, std::size_t max, std::string_view extra) {
  if (text.size() < min || text.size() > max) return false;
  for (char ch : text) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && extra.find(ch) == std::string_view::npos)
      return false;
  }
  return true;
}

}  // namespace

Result<OperationOutput> AddLayerVersionPermission(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  const std::string sid = GetString(params, "StatementId").value_or("");
  const std::string action = GetString(params, "Action").value_or("");
  const std::string principal = GetString(params, "Principal").value_or("");
  const std::string org = GetString(params, "OrganizationId").value_or("");
  if (!MatchesPattern(sid, 1, 100, "-_")) {
    return Invalid("1 validation error detected: Value '" + sid +
                   "' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression "
                   "pattern: ([a-zA-Z0-9-_]+)");
  }
  if (action != "lambda:GetLayerVersion") {
    return Invalid("1 validation error detected: Value '" + action +
                   "' at 'action' failed to satisfy constraint: Member must satisfy regular expression "
                   "pattern: lambda:GetLayerVersion");
  }
  const bool account_id =
      principal.size() == 12 && std::all_of(principal.begin(), principal.end(), ::isdigit);
  const bool root_arn = principal.starts_with("arn:aws:iam::") && principal.ends_with(":root") &&
                        principal.size() == std::string("arn:aws:iam::123456789012:root").size();
  if (!account_id && !root_arn && principal != "*") {
    return Invalid("1 validation error detected: Value '" + principal +
                   "' at 'principal' failed to satisfy constraint: Member must satisfy regular expression "
                   "pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root");
  }
  if (!org.empty() && (!org.starts_with("o-") || !MatchesPattern(org.substr(2), 10, 32, ""))) {
    return Invalid(
        "1 validation error detected: Value '" + org +
        "' at 'organizationId' failed to satisfy constraint: Member must satisfy regular expression "
        "pattern: o-[a-z0-9]{10,32}");
  }
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(LayerVersion * v, FindLayerVersion(env, ctx, params));
  if (auto rev = GetString(params, "RevisionId"); rev && *rev != v->revision) {
    return services::MakeError(errors::kLayerPreconditionFailed);
  }
  for (const auto& st : v->statements) {
    if (st.is_object() && GetString(st.as_object(), "Sid").value_or("") == sid) {
      return services::MakeError(errors::kStatementExists, {sid});
    }
  }
  const std::string arn = GetString(v->doc, "LayerVersionArn").value_or("");
  json::object st{{"Sid", sid}, {"Effect", "Allow"}};
  if (principal == "*") {
    st["Principal"] = "*";
  } else {
    st["Principal"] = json::object{{"AWS", account_id ? "arn:aws:iam::" + principal + ":root" : principal}};
  }
  st["Action"] = action;
  st["Resource"] = arn;
  if (!org.empty()) {
    st["Condition"] = json::object{{"StringEquals", json::object{{"aws:PrincipalOrgID", org}}}};
  }
  json::array before = v->statements;
  v->statements.push_back(st);
  CENOTE_RETURN_IF_ERROR(SaveLayerPolicy(env, arn, *v, std::move(before)));
  return OperationOutput(json::object{{"Statement", json::serialize(st)}, {"RevisionId", v->revision}});
}

Result<OperationOutput> GetLayerVersionPolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(LayerVersion * v, FindLayerVersion(env, ctx, in.params.as_object()));
  if (v->statements.empty()) return services::MakeError(errors::kNoPolicy);
  json::object doc{{"Version", "2012-10-17"}, {"Id", "default"}, {"Statement", v->statements}};
  return OperationOutput(json::object{{"Policy", json::serialize(doc)}, {"RevisionId", v->revision}});
}

Result<OperationOutput> RemoveLayerVersionPermission(Env& env, const RequestContext& ctx,
                                                     OperationInput& in) {
  const json::object& params = in.params.as_object();
  const std::string sid = GetString(params, "StatementId").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(LayerVersion * v, FindLayerVersion(env, ctx, params));
  if (auto rev = GetString(params, "RevisionId"); rev && *rev != v->revision) {
    return services::MakeError(errors::kLayerPreconditionFailed);
  }
  json::array kept;
  bool found = false;
  for (const auto& st : v->statements) {
    if (st.is_object() && GetString(st.as_object(), "Sid").value_or("") == sid) {
      found = true;
    } else {
      kept.push_back(st);
    }
  }
  if (!found) return services::MakeError(errors::kStatementNotFound, {sid});
  json::array before = std::move(v->statements);
  v->statements = std::move(kept);
  CENOTE_RETURN_IF_ERROR(
      SaveLayerPolicy(env, GetString(v->doc, "LayerVersionArn").value_or(""), *v, std::move(before)));
  return OperationOutput{};
}

}  // namespace cenote::lambda
