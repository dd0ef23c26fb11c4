#include "services/lambda/lambda_provider.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/lambda/internal.hpp"
#include "services/lambda/zip.hpp"

namespace cenote::lambda {

// Schema of component "lambda": one statement per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE lambda_functions (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      "CREATE TABLE lambda_layers (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "version INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account, region, name, version))",
      "CREATE TABLE lambda_events (id INTEGER PRIMARY KEY, due_ms INTEGER NOT NULL, doc TEXT NOT NULL)",
      "CREATE TABLE lambda_mappings (uuid TEXT PRIMARY KEY, doc TEXT NOT NULL)",
  };
}

namespace {

const LambdaProvider::Table& Operations() {
  static const LambdaProvider::Table kOps = {
      {"AddLayerVersionPermission", AddLayerVersionPermission},
      {"AddPermission", AddPermission},
      {"CreateAlias", CreateAlias},
      {"CreateEventSourceMapping", CreateEventSourceMapping},
      {"CreateFunction", CreateFunction},
      {"CreateFunctionUrlConfig", CreateFunctionUrlConfig},
      {"DeleteAlias", DeleteAlias},
      {"DeleteEventSourceMapping", DeleteEventSourceMapping},
      {"DeleteFunction", DeleteFunction},
      {"DeleteFunctionConcurrency", DeleteFunctionConcurrency},
      {"DeleteFunctionEventInvokeConfig", DeleteFunctionEventInvokeConfig},
      {"DeleteFunctionUrlConfig", DeleteFunctionUrlConfig},
      {"DeleteLayerVersion", DeleteLayerVersion},
      {"GetAccountSettings", GetAccountSettings},
      {"GetAlias", GetAlias},
      {"GetEventSourceMapping", GetEventSourceMapping},
      {"GetFunction", GetFunction},
      {"GetFunctionConcurrency", GetFunctionConcurrency},
      {"GetFunctionConfiguration", GetFunctionConfiguration},
      {"GetFunctionEventInvokeConfig", GetFunctionEventInvokeConfig},
      {"GetFunctionUrlConfig", GetFunctionUrlConfig},
      {"GetLayerVersion", GetLayerVersion},
      {"GetLayerVersionByArn", GetLayerVersionByArn},
      {"GetLayerVersionPolicy", GetLayerVersionPolicy},
      {"GetPolicy", GetPolicy},
      {"Invoke", Invoke},
      {"InvokeWithResponseStream", InvokeWithResponseStream},
      {"ListAliases", ListAliases},
      {"ListEventSourceMappings", ListEventSourceMappings},
      {"ListFunctionUrlConfigs", ListFunctionUrlConfigs},
      {"ListFunctions", ListFunctions},
      {"ListLayerVersions", ListLayerVersions},
      {"ListLayers", ListLayers},
      {"ListTags", ListTags},
      {"ListVersionsByFunction", ListVersionsByFunction},
      {"PublishLayerVersion", PublishLayerVersion},
      {"PublishVersion", PublishVersion},
      {"PutFunctionConcurrency", PutFunctionConcurrency},
      {"PutProvisionedConcurrencyConfig", PutProvisionedConcurrencyConfig},
      {"GetProvisionedConcurrencyConfig", GetProvisionedConcurrencyConfig},
      {"DeleteProvisionedConcurrencyConfig", DeleteProvisionedConcurrencyConfig},
      {"ListProvisionedConcurrencyConfigs", ListProvisionedConcurrencyConfigs},
      {"ListFunctionEventInvokeConfigs", ListFunctionEventInvokeConfigs},
      {"PutFunctionEventInvokeConfig", PutFunctionEventInvokeConfig},
      {"UpdateFunctionEventInvokeConfig", UpdateFunctionEventInvokeConfig},
      {"RemoveLayerVersionPermission", RemoveLayerVersionPermission},
      {"RemovePermission", RemovePermission},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"UpdateAlias", UpdateAlias},
      {"UpdateEventSourceMapping", UpdateEventSourceMapping},
      {"UpdateFunctionCode", UpdateFunctionCode},
      {"UpdateFunctionConfiguration", UpdateFunctionConfiguration},
      {"UpdateFunctionUrlConfig", UpdateFunctionUrlConfig},
  };
  return kOps;
}

json::object ParseObject(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec || !v.is_object() ? json::object{} : v.as_object();
}

json::object VersionDoc(const Version& v) { return json::object{{"config", v.config}, {"code", v.code}}; }
Version VersionFrom(const json::object& o) {
  Version v;
  if (const json::object* c = GetObject(o, "config")) v.config = *c;
  v.code = GetString(o, "code").value_or("");
  return v;
}

Status Load(Env& env) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT account, region, name, doc FROM lambda_functions"));
  MutexLock lock(env.mu);
  for (const auto& r : rows) {
    json::object d = ParseObject(store::AsText(r[3]));
    Function f;
    f.key = FunctionKey{store::AsText(r[0]), store::AsText(r[1]), store::AsText(r[2])};
    f.arn = FunctionArn(f.key);
    if (const json::object* l = GetObject(d, "latest")) f.latest = VersionFrom(*l);
    if (const json::object* vs = GetObject(d, "versions")) {
      for (const auto& [k, v] : *vs) {
        if (v.is_object()) f.versions[std::atoll(std::string(k).c_str())] = VersionFrom(v.as_object());
      }
    }
    f.last_version = GetInt(d, "last_version").value_or(0);
    if (const json::object* a = GetObject(d, "aliases")) {
      for (const auto& [k, v] : *a) {
        if (v.is_object()) f.aliases[std::string(k)] = v.as_object();
      }
    }
    if (const json::object* t = GetObject(d, "tags")) {
      for (const auto& [k, v] : *t) {
        if (v.is_string()) f.tags[std::string(k)] = std::string(v.get_string());
      }
    }
    if (const json::array* s = GetArray(d, "statements")) f.statements = *s;
    if (auto n = GetInt(d, "reserved")) f.reserved = *n;
    if (const json::object* u = GetObject(d, "urls")) {
      for (const auto& [k, v] : *u) {
        if (v.is_object()) f.urls[std::string(k)] = v.as_object();
      }
    }
    if (const json::object* pc = GetObject(d, "provisioned")) {
      for (const auto& [k, v] : *pc) {
        if (v.is_object()) f.provisioned[std::string(k)] = v.as_object();
      }
    }
    if (const json::object* c = GetObject(d, "invoke_configs")) {
      for (const auto& [k, v] : *c) {
        if (v.is_object()) f.invoke_configs[std::string(k)] = v.as_object();
      }
    }
    (void)RecompilePolicy(f);
    env.functions[f.key] = std::move(f);
  }
  CENOTE_ASSIGN_OR_RETURN(auto layers,
                          txn->Query("SELECT account, region, name, version, doc FROM lambda_layers"));
  for (const auto& r : layers) {
    json::object d = ParseObject(store::AsText(r[4]));
    LayerVersion v;
    if (const json::object* doc = GetObject(d, "doc")) v.doc = *doc;
    v.code = GetString(d, "code").value_or("");
    if (const json::array* st = GetArray(d, "statements")) v.statements = *st;
    v.revision = GetString(d, "revision").value_or("");
    (void)RecompileLayerPolicy(v);
    env.layers[LayerKey{store::AsText(r[0]), store::AsText(r[1]), store::AsText(r[2])}][store::AsInt(r[3])] =
        std::move(v);
  }
  return Status::Ok();
}

// Lambda's side of authorization: a function's resource policy (AddPermission's statements) is the policy
// the authorizer evaluates for other accounts and for service principals (s3, sns, events with
// aws:SourceArn); its tags are aws:ResourceTag/...
class LambdaAuthority final : public iam::ResourceAuthority {
 public:
  explicit LambdaAuthority(Env& env) : env_(env) {}
  std::string_view service() const override { return "lambda"; }

  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal&, std::string_view,
                                   std::string_view resource_arn) const override {
    iam::ResourceFacts facts;
    // arn:aws:lambda:<region>:<account>:layer:<name>:<version>: the layer version's policy.
    if (resource_arn.find(":layer:") != std::string_view::npos) {
      std::vector<std::string> parts;
      std::size_t at = 0;
      const std::string arn(resource_arn);
      while (true) {
        std::size_t c = arn.find(':', at);
        parts.push_back(arn.substr(at, c == std::string::npos ? std::string::npos : c - at));
        if (c == std::string::npos) break;
        at = c + 1;
      }
      if (parts.size() != 8 || parts[5] != "layer") return facts;
      MutexLock lock(env_.mu);
      auto it = env_.layers.find(LayerKey{parts[4], parts[3], parts[6]});
      if (it == env_.layers.end()) return facts;
      facts.owner_account = parts[4];
      auto v = it->second.find(std::atoll(parts[7].c_str()));
      if (v != it->second.end() && v->second.policy) {
        facts.policy = iam::NamedPolicy{"layer version policy", v->second.policy};
      }
      return facts;
    }
    auto parsed = ParseFunctionName(resource_arn, "", "");
    if (!parsed) return facts;
    MutexLock lock(env_.mu);
    auto it = env_.functions.find(FunctionKey{parsed->account, parsed->region, parsed->name});
    if (it == env_.functions.end()) return facts;
    const Function& f = it->second;
    facts.owner_account = f.key.account;
    if (f.policy) facts.policy = iam::NamedPolicy{"function policy", f.policy};
    for (const auto& [k, v] : f.tags) facts.keys.Set("aws:ResourceTag/" + k, v);
    return facts;
  }

  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override {
    if (name == "FunctionArn" && args.size() == 3) {
      CENOTE_ASSIGN_OR_RETURN(ParsedName p, ParseFunctionName(args[0], args[2], args[1]));
      return FunctionArn(FunctionKey{p.account, p.region, p.name});
    }
    return iam::ResourceAuthority::Lookup(name, args);
  }

 private:
  Env& env_;
};

}  // namespace

std::string FunctionArn(const FunctionKey& key) {
  return "arn:aws:lambda:" + key.region + ":" + key.account + ":function:" + key.name;
}

std::string LayerArn(const LayerKey& key) {
  return "arn:aws:lambda:" + key.region + ":" + key.account + ":layer:" + key.name;
}

Result<ParsedName> ParseFunctionName(std::string_view text, const std::string& account,
                                     const std::string& region) {
  ParsedName p{.account = account, .region = region, .name = "", .qualifier = ""};
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (true) {
    std::size_t c = text.find(':', at);
    parts.emplace_back(text.substr(at, c == std::string_view::npos ? std::string_view::npos : c - at));
    if (c == std::string_view::npos) break;
    at = c + 1;
  }
  auto invalid = [&] {
    return services::MakeError(
        errors::kInvalidParameter,
        {"1 validation error detected: Value '" + std::string(text) +
         "' at 'functionName' failed to satisfy constraint: Member must satisfy regular "
         "expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-"
         "[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"});
  };
  if (parts[0] == "arn") {
    if (parts.size() < 7 || parts.size() > 8 || parts[2] != "lambda" || parts[5] != "function")
      return invalid();
    p.region = parts[3];
    p.account = parts[4];
    p.name = parts[6];
    if (parts.size() == 8) p.qualifier = parts[7];
  } else if (parts.size() >= 3 && parts[1] == "function") {
    if (parts.size() > 4) return invalid();
    p.account = parts[0];
    p.name = parts[2];
    if (parts.size() == 4) p.qualifier = parts[3];
  } else {
    if (parts.size() > 2) return invalid();
    p.name = parts[0];
    if (parts.size() == 2) p.qualifier = parts[1];
  }
  if (p.name.empty() || p.name.size() > 64) return invalid();
  for (char c : p.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return invalid();
  }
  return p;
}

std::string IsoTime(std::int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string IsoTimeZ(std::int64_t ms) {
  std::string s = IsoTime(ms);
  return s.substr(0, s.size() - 5) + "Z";
}

Result<Function*> FindFunction(Env& env, const FunctionKey& key) {
  auto it = env.functions.find(key);
  if (it == env.functions.end()) return services::MakeError(errors::kFunctionNotFound, {FunctionArn(key)});
  return &it->second;
}

const Version* VersionOf(const Function& f, const std::string& version) {
  if (version.empty() || version == "$LATEST") return &f.latest;
  auto it = f.versions.find(std::atoll(version.c_str()));
  if (it == f.versions.end() || std::to_string(it->first) != version) return nullptr;
  return &it->second;
}

Result<Target> Resolve(Env& env, const ParsedName& name, bool route) {
  FunctionKey key{name.account, name.region, name.name};
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, key));
  Target t;
  t.key = key;
  t.invoked_arn = f->arn + (name.qualifier.empty() ? "" : ":" + name.qualifier);
  if (name.qualifier.empty() || name.qualifier == "$LATEST") {
    t.version = "$LATEST";
    return t;
  }
  if (VersionOf(*f, name.qualifier) != nullptr) {
    t.version = name.qualifier;
    return t;
  }
  auto a = f->aliases.find(name.qualifier);
  if (a == f->aliases.end()) {
    return services::MakeError(errors::kFunctionNotFound, {f->arn + ":" + name.qualifier});
  }
  t.alias = name.qualifier;
  t.version = GetString(a->second, "FunctionVersion").value_or("$LATEST");
  if (route) {
    // RoutingConfig: AdditionalVersionWeights sends that share of invocations to another version.
    if (const json::object* rc = GetObject(a->second, "RoutingConfig")) {
      if (const json::object* w = GetObject(*rc, "AdditionalVersionWeights")) {
        double roll = static_cast<double>(std::stoull(RandomHex(4), nullptr, 16) % 1000000) / 1000000.0;
        for (const auto& [v, weight] : *w) {
          double p = weight.is_double()  ? weight.as_double()
                     : weight.is_int64() ? static_cast<double>(weight.as_int64())
                                         : 0;
          if (roll < p) {
            t.version = std::string(v);
            break;
          }
          roll -= p;
        }
      }
    }
  }
  return t;
}

Status RecompilePolicy(Function& f) {
  if (f.statements.empty()) {
    f.policy.reset();
    return Status::Ok();
  }
  json::object doc{{"Version", "2012-10-17"}, {"Id", "default"}, {"Statement", f.statements}};
  auto parsed = iam::ParsePolicy(json::serialize(doc), iam::PolicyKind::kResource);
  if (!parsed) return parsed.error();
  f.policy = std::make_shared<const iam::Policy>(std::move(*parsed));
  return Status::Ok();
}

Status Env::SaveFunction(store::Transaction& txn, const Function& f) {
  json::object versions;
  for (const auto& [n, v] : f.versions) versions[std::to_string(n)] = VersionDoc(v);
  json::object aliases;
  for (const auto& [n, a] : f.aliases) aliases[n] = a;
  json::object tags;
  for (const auto& [k, v] : f.tags) tags[k] = v;
  json::object configs;
  for (const auto& [k, v] : f.invoke_configs) configs[k] = v;
  json::object urls;
  for (const auto& [k, v] : f.urls) urls[k] = v;
  json::object doc{{"latest", VersionDoc(f.latest)},
                   {"versions", versions},
                   {"last_version", f.last_version},
                   {"aliases", aliases},
                   {"tags", tags},
                   {"statements", f.statements},
                   {"invoke_configs", configs},
                   {"urls", urls}};
  if (f.reserved) doc["reserved"] = *f.reserved;
  if (!f.provisioned.empty()) {
    json::object pc;
    for (const auto& [k, v] : f.provisioned) pc[k] = v;
    doc["provisioned"] = pc;
  }
  return Status::FromResult(
      txn.Exec("INSERT INTO lambda_functions (account, region, name, doc) VALUES (?, ?, ?, ?) ON CONFLICT "
               "(account, region, "
               "name) DO UPDATE SET doc = excluded.doc",
               {f.key.account, f.key.region, f.key.name, json::serialize(doc)}));
}

Status RecompileLayerPolicy(LayerVersion& v) {
  if (v.statements.empty()) {
    v.policy.reset();
    return Status::Ok();
  }
  json::object doc{{"Version", "2012-10-17"}, {"Id", "default"}, {"Statement", v.statements}};
  auto parsed = iam::ParsePolicy(json::serialize(doc), iam::PolicyKind::kResource);
  if (!parsed) return parsed.error();
  v.policy = std::make_shared<const iam::Policy>(std::move(*parsed));
  return Status::Ok();
}

Status Env::SaveLayer(store::Transaction& txn, const LayerKey& key, std::int64_t version,
                      const LayerVersion& v) {
  json::object doc{{"doc", v.doc}, {"code", v.code}};
  if (!v.statements.empty()) doc["statements"] = v.statements;
  if (!v.revision.empty()) doc["revision"] = v.revision;
  return Status::FromResult(
      txn.Exec("INSERT INTO lambda_layers (account, region, name, version, doc) VALUES (?, ?, ?, ?, ?) ON "
               "CONFLICT (account, region, name, version) DO UPDATE SET doc = excluded.doc",
               {key.account, key.region, key.name, version, json::serialize(doc)}));
}

// Write order: temp file -> fsync -> rename -> fsync dir; the metadata naming the key commits after.
Result<std::string> Env::StoreCode(const std::string& zip) {
  const std::string key = Sha256Hex(zip);
  const std::string dir = options.data_dir + "/code";
  const std::string path = dir + "/" + key + ".zip";
  if (std::filesystem::exists(path)) return key;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string tmp = path + ".tmp" + RandomHex(4);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return InternalError("cannot write the code store");
  std::size_t done = 0;
  while (done < zip.size()) {
    ssize_t n = write(fd, zip.data() + done, zip.size() - done);
    if (n <= 0) {
      close(fd);
      return InternalError("cannot write the code store");
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0) {
    close(fd);
    return InternalError("fsync failed");
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) return InternalError("rename failed");
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return key;
}

Result<std::string> Env::LoadCode(const std::string& key) const {
  std::ifstream in(options.data_dir + "/code/" + key + ".zip", std::ios::binary);
  if (!in) return InternalError("code package " + key + " is missing");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> Env::CodeDir(const std::string& key) {
  const std::string dir = options.scratch_dir + "/code/" + key;
  // The marker sits next to the directory (the function sees its directory as /var/task, nothing else).
  if (std::filesystem::exists(dir + ".extracted")) return dir;
  CENOTE_ASSIGN_OR_RETURN(std::string zip, LoadCode(key));
  const std::string tmp = dir + ".tmp" + RandomHex(4);
  CENOTE_RETURN_IF_ERROR(ExtractZip(zip, tmp));
  std::error_code ec;
  std::filesystem::rename(tmp, dir, ec);
  if (ec) std::filesystem::remove_all(tmp, ec);  // another invocation extracted it first
  std::ofstream(dir + ".extracted").close();
  return dir;
}

std::string Env::Endpoint() const {
  MutexLock lock(mu);
  if (!options.endpoint.empty()) return options.endpoint;
  return endpoint.empty() ? "http://127.0.0.1:4566" : endpoint;
}

LambdaProvider::LambdaProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

LambdaProvider::~LambdaProvider() {
  async_task_.reset();
  pollers_.reset();
  reaper_.reset();
  provisioner_.reset();
  // Async events still being invoked hold the Env: kill their environments and let them finish.
  env_->stopping = true;
  env_->runtimes->StopAll();
  for (int i = 0; i < 3000; ++i) {
    {
      MutexLock lock(env_->mu);
      if (env_->queued_running.empty() && env_->polling.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  env_->runtimes.reset();
}

Result<std::unique_ptr<LambdaProvider>> LambdaProvider::Open(store::MetadataStore& metadata,
                                                             aws::Invoker* invoker, BackgroundTasks& tasks,
                                                             LambdaOptions options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("lambda", Migrations()));
  if (!options.clock) options.clock = UnixNowMs;
  std::error_code ec;
  std::filesystem::create_directories(options.scratch_dir, ec);
  std::filesystem::permissions(options.scratch_dir, std::filesystem::perms(0755), ec);
  auto env = std::make_unique<Env>(metadata, invoker, options);
  RuntimesOptions ro;
  ro.scratch_dir = options.scratch_dir;
  ro.hide = options.hide;
  ro.idle_ms = options.idle_ms;
  CENOTE_ASSIGN_OR_RETURN(env->runtimes, Runtimes::Start(ro));
  CENOTE_RETURN_IF_ERROR(Load(*env));
  CENOTE_RETURN_IF_ERROR(LoadMappings(*env));
  std::unique_ptr<LambdaProvider> provider(new LambdaProvider(std::move(env)));
  if (provider->env_->options.background) {
    Env* e = provider->env_.get();
    provider->async_task_ = tasks.Start(
        "lambda.async",
        [e]() -> BackgroundTask::Clock::duration {
          std::int64_t next = 1000;
          try {
            const std::int64_t due = RunAsyncRound(*e);
            if (due >= 0) next = std::min(next, due);
          } catch (const std::exception& ex) {
            spdlog::error("lambda async round failed: {}", ex.what());
          }
          return std::chrono::milliseconds(std::max<std::int64_t>(next, 5));
        },
        std::chrono::milliseconds(0));
    BackgroundTask* task = provider->async_task_.get();
    provider->env_->wake = [task] { task->Wake(); };
    provider->pollers_ = tasks.Every("lambda.event-source-mappings", std::chrono::milliseconds(100),
                                     [e] { RunMappingsRound(*e); });
    provider->reaper_ =
        tasks.Every("lambda.reaper", std::chrono::milliseconds(10'000), [e] { e->runtimes->Reap(e->Now()); });
    provider->provisioner_ = tasks.Every("lambda.provisioned-concurrency", std::chrono::milliseconds(500),
                                         [e] { RunProvisionRound(*e); });
  }
  return provider;
}

const LambdaProvider::Table& LambdaProvider::table() const { return Operations(); }

const std::vector<std::string_view>& LambdaProvider::SupportedOperations() { return Operations().names(); }

std::unique_ptr<iam::ResourceAuthority> LambdaProvider::MakeAuthority() {
  return std::make_unique<LambdaAuthority>(*env_);
}

std::vector<aws::UnsignedRoute> LambdaProvider::UnsignedRoutes() {
  std::vector<aws::UnsignedRoute> routes;
  // AWS's host, and the local form that resolves to the loopback address without any DNS set-up
  // (curl, browsers: *.localhost); any client can also send AWS's Host header to Cenote's own address.
  for (const char* host : {"*.lambda-url.*.on.aws", "*.lambda-url.*.localhost"}) {
    aws::UnsignedRoute url;
    url.host = host;
    url.operation = "InvokeFunctionUrl";
    Env* env = env_.get();
    url.handler = [env](aws::RawRequest& request) { return ServeFunctionUrl(*env, request); };
    routes.push_back(std::move(url));
  }
  return routes;
}

std::int64_t LambdaProvider::RunAsync() { return RunAsyncRound(*env_); }

}  // namespace cenote::lambda
