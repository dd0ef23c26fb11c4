#include "services/lambda/runtime.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/mutex.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "http/server.hpp"
#include "services/common/sandbox.hpp"
#include "services/lambda/runtime_files.hpp"

namespace cenote::lambda {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t NowMs() { return UnixNowMs(); }

// The machine's interpreters, found once.
struct Interpreters {
  std::string python;          // real path of python3
  std::string python_prefix;   // sys.base_prefix
  std::string python_exe_rel;  // the executable relative to the prefix ("bin/python3.11")
  std::string node;
};

std::string RunCapture(const std::string& command) {
  std::string out;
  FILE* f = popen(command.c_str(), "r");
  if (f == nullptr) return out;
  std::array<char, 512> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), f)) out.append(buf.data(), n);
  pclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

const Interpreters& FindInterpreters() {
  static const Interpreters found = [] {
    Interpreters i;
    std::string py = RunCapture(
        "python3 -c 'import os,sys; print(os.path.realpath(sys.executable)); print(sys.base_prefix)' "
        "2>/dev/null");
    if (auto nl = py.find('\n'); nl != std::string::npos) {
      i.python = py.substr(0, nl);
      i.python_prefix = py.substr(nl + 1);
      if (i.python.starts_with(i.python_prefix + "/"))
        i.python_exe_rel = i.python.substr(i.python_prefix.size() + 1);
    }
    i.node = RunCapture("command -v node 2>/dev/null");
    if (!i.node.empty()) i.node = std::filesystem::weakly_canonical(i.node).string();
    return i;
  }();
  return found;
}

std::string Hex32() { return RandomHex(16); }

std::string LogStreamName(std::int64_t ms, const std::string& version) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[16];
  std::strftime(date, sizeof(date), "%Y/%m/%d", &tm);
  return std::string(date) + "/[" + version + "]" + Hex32();
}

std::string Fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

std::string IsoZ(std::int64_t ms) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string ErrorDoc(const std::string& type, const std::string& message) {
  boost::json::object o{{"errorType", type}, {"errorMessage", message}};
  return boost::json::serialize(o);
}

}  // namespace

struct ExecEnv {
  std::string token, key, function_arn, function_name, version, log_stream;
  std::int64_t timeout_s = 3, memory_mb = 128;
  services::SandboxProcess process;
  int output_fd = -1;
  std::thread reader;
  std::map<std::string, std::string> session;
  // The environment's own Runtime API endpoint (AWS_LAMBDA_RUNTIME_API = 127.0.0.1:<port>): stopped when the
  // environment goes, after its process (so no handler is still waiting on it).
  std::unique_ptr<http::Server> api;

  Mutex mu;
  CondVar cv{mu};
  bool busy GUARDED_BY(mu) = false;
  bool dead GUARDED_BY(mu) = false;
  bool ready GUARDED_BY(mu) = false;  // the runtime asked for its first invocation: init done
  bool init_error GUARDED_BY(mu) = false;
  std::string init_error_body GUARDED_BY(mu);
  services::SandboxExit exit GUARDED_BY(mu);
  // The current invocation.
  std::string request_id GUARDED_BY(mu), payload GUARDED_BY(mu), client_context GUARDED_BY(mu),
      invoked_arn GUARDED_BY(mu);
  std::int64_t deadline_ms GUARDED_BY(mu) = 0;
  bool pending GUARDED_BY(mu) = false;  // waiting for /next
  bool responded GUARDED_BY(mu) = false;
  bool response_error GUARDED_BY(mu) = false;
  std::string response GUARDED_BY(mu);
  // Response streaming: where the current invocation's streamed bytes go (a copy of the caller's sink, so
  // that a Runtime API thread still writing after the invocation gave up holds no dangling reference), and
  // whether the runtime streamed.
  std::shared_ptr<const ResponseSink> sink GUARDED_BY(mu);
  bool streamed GUARDED_BY(mu) = false;
  std::string content_type GUARDED_BY(mu);
  std::string output GUARDED_BY(mu);       // what the runtime printed since the last invocation began
  std::string init_output GUARDED_BY(mu);  // what it printed before its first /next (the init phase)
  bool reading GUARDED_BY(mu) = false;     // the reader holds bytes it has not appended yet
  bool output_open GUARDED_BY(mu) = true;  // output_fd is still open
  std::int64_t last_used_ms GUARDED_BY(mu) = 0;
  std::string provisioned_for GUARDED_BY(mu);  // the provisioned concurrency config keeping it ("": none)
};

class Runtimes::Impl {
 public:
  explicit Impl(RuntimesOptions options) : options_(std::move(options)) {}

  ~Impl() {
    std::vector<std::shared_ptr<ExecEnv>> all;
    std::vector<Provisioner> provisioners;
    {
      MutexLock lock(mu_);
      stopping_ = true;
      for (auto& [token, env] : envs_) all.push_back(env);
      envs_.clear();
      provisioners = std::move(provisioners_);
    }
    for (auto& env : all) Kill(*env);
    for (auto& p : provisioners) p.thread.join();
    for (auto& env : all) {
      if (env->reader.joinable()) env->reader.join();
      if (env->api) env->api->Stop();
    }
  }

  Status StartServer() {
    runtime_dir_ = options_.scratch_dir + "/runtime";
    std::error_code ec;
    std::filesystem::create_directories(runtime_dir_, ec);
    for (const RuntimeFile& f : EmbeddedRuntimeFiles()) {
      std::ofstream out(runtime_dir_ + "/" + std::string(f.name), std::ios::binary | std::ios::trunc);
      out.write(f.data.data(), static_cast<std::streamsize>(f.data.size()));
    }
    std::filesystem::permissions(runtime_dir_, std::filesystem::perms(0755), ec);
    for (const auto& e : std::filesystem::directory_iterator(runtime_dir_, ec)) {
      std::filesystem::permissions(e.path(), std::filesystem::perms(0644), ec);
    }
    services::Sandbox::Probe();
    // Finding the interpreters runs them once (slow behind shims such as pyenv's): off the start-up path, and
    // before the first cold start (which waits for it if it comes first).
    std::thread([] { FindInterpreters(); }).detach();
    return Status::Ok();
  }

  Result<InvocationResult> Invoke(const EnvironmentSpec& spec, const std::string& request_id,
                                  const std::string& payload, const std::string& client_context,
                                  const std::string& invoked_arn, const ResponseSink* sink) {
    InvocationResult result;
    std::shared_ptr<ExecEnv> env = TakeWarm(spec.key);
    const auto started = Clock::now();
    if (!env) {
      CENOTE_ASSIGN_OR_RETURN(env, StartEnvironment(spec));
      result.cold = true;
    }
    result.log_stream = env->log_stream;
    result.session = env->session;
    const std::int64_t start_ms = NowMs();
    std::string init_output;
    {
      MutexLock lock(env->mu);
      env->request_id = request_id;
      env->payload = payload;
      env->client_context = client_context;
      env->invoked_arn = invoked_arn;
      env->responded = false;
      env->response_error = false;
      env->response.clear();
      env->sink = sink != nullptr ? std::make_shared<const ResponseSink>(*sink) : nullptr;
      env->streamed = false;
      env->content_type.clear();
      env->pending = true;
      if (!result.cold) env->output.clear();
      env->cv.SignalAll();
    }
    // Init: until the runtime asks for its first invocation (AWS gives the init phase 10 s).
    Clock::time_point invoke_start = started;
    if (result.cold) {
      MutexLock lock(env->mu);
      bool done = env->cv.WaitUntil(
          lock, started + std::chrono::seconds(10),
          [&]() EXCLUSIVE_LOCKS_REQUIRED(env->mu) { return env->ready || env->init_error || env->dead; });
      result.init_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      invoke_start = Clock::now();
      // Past init, Next split the output at the first /next: the handler may already be printing.
      if (env->ready) {
        init_output = std::move(env->init_output);
      } else {
        init_output = std::move(env->output);
        env->output.clear();
      }
      if (!done || env->init_error || (env->dead && !env->ready)) {
        std::string body =
            env->init_error ? env->init_error_body
            : !done         ? ErrorDoc("Sandbox.Timedout",
                                       "RequestId: " + request_id + " Error: Task timed out after 10.00 seconds")
                            : ExitError(*env, request_id);
        lock.Unlock();
        Kill(*env);
        Forget(*env);
        result.function_error = true;
        result.payload = body;
        FinishLog(result, spec, request_id, init_output, "", start_ms, 0, true);
        return result;
      }
    }
    // The invocation: until the runtime answers, exits, or the function's timeout.
    const auto deadline = invoke_start + std::chrono::milliseconds(spec.timeout_s * 1000);
    bool timed_out = false;
    std::string output;
    {
      MutexLock lock(env->mu);
      bool done = env->cv.WaitUntil(
          lock, deadline, [&]() EXCLUSIVE_LOCKS_REQUIRED(env->mu) { return env->responded || env->dead; });
      timed_out = !done;
      if (env->responded) {
        result.payload = env->response;
        result.function_error = env->response_error;
      }
      result.streamed = env->streamed;
      result.content_type = env->content_type;
      env->sink.reset();
    }
    result.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - invoke_start).count();
    if (!timed_out) DrainOutput(*env);
    bool killed = false;
    {
      MutexLock lock(env->mu);
      output = std::move(env->output);
      env->output.clear();
      if (timed_out) {
        result.function_error = true;
        result.payload =
            ErrorDoc("Sandbox.Timedout", "RequestId: " + request_id + " Error: Task timed out after " +
                                             Fixed2(static_cast<double>(spec.timeout_s)) + " seconds");
        output += IsoZ(NowMs()) + " " + request_id + " Task timed out after " +
                  Fixed2(static_cast<double>(spec.timeout_s)) + " seconds\n";
        killed = true;
      } else if (!env->responded) {
        result.function_error = true;
        result.payload = ExitError(*env, request_id);
        output += "RequestId: " + request_id + " Error: " + ExitText(*env) + "\n" +
                  (env->exit.out_of_memory ? "Runtime.OutOfMemory\n" : "Runtime.ExitError\n");
        killed = true;
      } else {
        env->busy = false;
        env->pending = false;
        env->last_used_ms = NowMs();
      }
    }
    if (killed) {
      Kill(*env);
      Forget(*env);
    }
    FinishLog(result, spec, request_id, init_output, output, start_ms, PeakMemoryMb(*env), false);
    return result;
  }

  std::map<std::string, Runtimes::ProvisionState> Provision(
      const std::map<std::string, Runtimes::ProvisionTarget>& targets) {
    std::map<std::string, Runtimes::ProvisionState> states;
    std::map<std::string, int> alive;
    MutexLock lock(mu_);
    if (stopping_) return states;
    for (auto it = provisioners_.begin(); it != provisioners_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = provisioners_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [token, env] : envs_) {
      MutexLock l(env->mu);
      if (env->provisioned_for.empty() || env->dead) continue;
      auto it = targets.find(env->provisioned_for);
      if (it == targets.end() || it->second.spec.key != env->key) {
        env->provisioned_for.clear();  // back to on-demand: reaped when idle
        env->last_used_ms = NowMs();
        continue;
      }
      ++alive[env->provisioned_for];
      if (env->ready) ++states[env->provisioned_for].ready;
    }
    for (const auto& [id, target] : targets) {
      Runtimes::ProvisionState& state = states[id];
      state.error = provision_errors_[id];
      // After an init failure, retried every 10 s (not every round).
      const bool backoff = provision_failed_ms_.contains(id) && NowMs() - provision_failed_ms_[id] < 10'000;
      const int missing = backoff ? 0 : target.count - alive[id] - starting_[id];
      for (int i = 0; i < missing; ++i) {
        ++starting_[id];
        EnvironmentSpec spec = target.spec;
        spec.initialization_type = "provisioned-concurrency";
        spec.key = target.spec.key;
        auto done = std::make_shared<std::atomic<bool>>(false);
        provisioners_.push_back(Provisioner{std::thread([this, id = id, spec = std::move(spec), done] {
                                              PreStart(id, spec);
                                              done->store(true);
                                            }),
                                            done});
      }
    }
    for (auto it = provision_errors_.begin(); it != provision_errors_.end();) {
      it = targets.contains(it->first) ? std::next(it) : provision_errors_.erase(it);
    }
    for (auto it = provision_failed_ms_.begin(); it != provision_failed_ms_.end();) {
      it = targets.contains(it->first) ? std::next(it) : provision_failed_ms_.erase(it);
    }
    return states;
  }

  int Busy(const std::string& function_arn) const {
    MutexLock lock(mu_);
    int n = 0;
    for (const auto& [token, env] : envs_) {
      if (env->function_arn != function_arn) continue;
      MutexLock l(env->mu);
      n += env->busy ? 1 : 0;
    }
    return n;
  }

  int BusyTotal() const {
    MutexLock lock(mu_);
    int n = 0;
    for (const auto& [token, env] : envs_) {
      MutexLock l(env->mu);
      n += env->busy ? 1 : 0;
    }
    return n;
  }

  void StopAll() {
    std::vector<std::shared_ptr<ExecEnv>> all;
    {
      MutexLock lock(mu_);
      stopping_ = true;
      for (auto& [token, env] : envs_) all.push_back(env);
    }
    for (auto& env : all) Kill(*env);
  }

  void Reap(std::int64_t now_ms, const std::string& retire_arn) {
    std::vector<std::shared_ptr<ExecEnv>> gone;
    {
      MutexLock lock(mu_);
      for (auto it = envs_.begin(); it != envs_.end();) {
        ExecEnv& e = *it->second;
        MutexLock l(e.mu);
        const bool kept = !e.provisioned_for.empty();  // provisioned: versions, unchanged by updates
        bool reap = !e.busy && (e.dead || (!kept && now_ms - e.last_used_ms > options_.idle_ms) ||
                                (!kept && !retire_arn.empty() && e.function_arn == retire_arn));
        if (reap) {
          gone.push_back(it->second);
          it = envs_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& e : gone) {
      Kill(*e);
      JoinLater(e);
    }
  }

 private:
  // Starts one provisioned environment of `id` and runs its init (up to 10 s, as AWS's init phase).
  void PreStart(const std::string& id, const EnvironmentSpec& spec) {
    std::string error;
    auto started = StartEnvironment(spec);
    if (!started) {
      error = started.error().message;
    } else {
      std::shared_ptr<ExecEnv> env = *started;
      bool ok = false;
      const std::int64_t start_ms = NowMs();
      const auto init_start = Clock::now();
      std::string init_output;
      {
        MutexLock l(env->mu);
        env->provisioned_for = id;
        env->cv.WaitUntil(l, init_start + std::chrono::seconds(10), [&]() EXCLUSIVE_LOCKS_REQUIRED(env->mu) {
          return env->ready || env->init_error || env->dead;
        });
        ok = env->ready && !env->init_error && !env->dead;
      }
      if (!ok) DrainOutput(*env);  // what a failed init printed last
      {
        MutexLock l(env->mu);
        init_output = std::move(env->ready ? env->init_output : env->output);
        env->init_output.clear();
        if (ok) {
          env->busy = false;
          env->last_used_ms = NowMs();
        } else {
          env->output.clear();
          error =
              env->init_error ? env->init_error_body : "the runtime did not finish its init in 10 seconds";
        }
      }
      if (spec.init_log) {
        const double init_ms = std::chrono::duration<double, std::milli>(Clock::now() - init_start).count();
        spec.init_log(InitLog(spec, *env, start_ms, init_output, ok ? "" : error, init_ms));
      }
      if (!ok) {
        Kill(*env);
        Forget(*env);
      }
    }
    MutexLock lock(mu_);
    --starting_[id];
    if (!error.empty()) {
      provision_errors_[id] = error;
      provision_failed_ms_[id] = NowMs();
    }
  }

  // The log of a provisioned environment's init, as AWS writes it to the environment's log stream when the
  // environment starts (not at its first invocation): INIT_START, what the runtime printed, and for a
  // failed init the error and INIT_REPORT.
  static InvocationResult InitLog(const EnvironmentSpec& spec, ExecEnv& env, std::int64_t start_ms,
                                  const std::string& init_output, const std::string& error, double init_ms) {
    InvocationResult r;
    r.cold = true;
    r.init_ms = init_ms;
    r.log_stream = env.log_stream;
    r.session = env.session;
    r.log_events.push_back({start_ms, "INIT_START Runtime Version: " + spec.runtime + ".cenote"});
    std::size_t at = 0;
    while (at < init_output.size()) {
      std::size_t nl = init_output.find('\n', at);
      if (nl == std::string::npos) nl = init_output.size();
      r.log_events.push_back({start_ms, init_output.substr(at, nl - at)});
      at = nl + 1;
    }
    const std::int64_t end_ms = NowMs();
    if (!error.empty()) {
      boost::system::error_code ec;
      boost::json::value doc = boost::json::parse(error, ec);
      std::string type = "Runtime.Unknown";
      if (!ec && doc.is_object()) {
        if (const auto* t = doc.as_object().if_contains("errorType"); t && t->is_string())
          type = std::string(t->get_string());
      }
      r.log_events.push_back({end_ms, "INIT_REPORT Init Duration: " + Fixed2(init_ms) +
                                          " ms\tPhase: init\tStatus: error\tError Type: " + type});
    }
    return r;
  }

  std::shared_ptr<ExecEnv> TakeWarm(const std::string& key) {
    MutexLock lock(mu_);
    for (auto& [token, env] : envs_) {
      if (env->key != key) continue;
      MutexLock l(env->mu);
      if (!env->busy && !env->dead && env->ready) {
        env->busy = true;
        return env;
      }
    }
    return nullptr;
  }

  Result<std::shared_ptr<ExecEnv>> StartEnvironment(const EnvironmentSpec& spec) {
    {
      MutexLock lock(mu_);
      if (stopping_) return MakeError("ServiceException", "Lambda is shutting down.", 500);
    }
    auto env = std::make_shared<ExecEnv>();
    env->token = RandomHex(16);
    env->key = spec.key;
    env->function_arn = spec.function_arn;
    env->function_name = spec.function_name;
    env->version = spec.version;
    env->timeout_s = spec.timeout_s;
    env->memory_mb = spec.memory_mb;
    env->log_stream = LogStreamName(NowMs(), spec.version);
    std::map<std::string, std::string> session;
    if (spec.session) {
      CENOTE_ASSIGN_OR_RETURN(session, spec.session());
    }
    env->session = session;
    const bool ns = services::Sandbox::Probe() == services::Sandbox::Mode::kNamespaces;
    services::SandboxSpec sb;
    sb.memory_bytes = spec.memory_mb * 1024 * 1024;
    sb.hide = options_.hide;
    std::string opt_dir = ns ? "/opt" : "";
    std::string task = ns ? "/var/task" : spec.code_dir;
    std::string runtime_dir = ns ? "/var/runtime" : runtime_dir_;
    if (ns) {
      sb.binds.push_back({.source = spec.code_dir, .target = "/var/task"});
      sb.binds.push_back({.source = runtime_dir_, .target = "/var/runtime"});
    }
    // Layers: merged into one directory (later layers win), bound at /opt.
    if (!spec.layer_dirs.empty()) {
      std::string merged = options_.scratch_dir + "/opt/" + env->token;
      std::error_code ec;
      std::filesystem::create_directories(merged, ec);
      std::filesystem::permissions(merged, std::filesystem::perms(0755), ec);
      for (const std::string& dir : spec.layer_dirs) {
        std::filesystem::copy(dir, merged,
                              std::filesystem::copy_options::recursive |
                                  std::filesystem::copy_options::overwrite_existing |
                                  std::filesystem::copy_options::copy_symlinks,
                              ec);
      }
      if (ns) {
        sb.binds.push_back({.source = merged, .target = "/opt"});
      } else {
        opt_dir = merged;
      }
    }
    std::map<std::string, std::string> vars;
    const Interpreters& interp = FindInterpreters();
    std::vector<std::string> argv;
    std::string path = "/usr/local/bin:/usr/bin:/bin:/opt/bin";
    if (spec.runtime.starts_with("python")) {
      if (interp.python.empty()) return MakeError("InternalError", "no python3 on this host", 500);
      std::string exe = interp.python;
      if (ns && !interp.python_exe_rel.empty()) {
        sb.binds.push_back({.source = interp.python_prefix, .target = "/var/lang"});
        exe = "/var/lang/" + interp.python_exe_rel;
        vars["LD_LIBRARY_PATH"] = "/var/lang/lib:/opt/lib";
        path = "/var/lang/bin:" + path;
      }
      argv = {exe, "-u", runtime_dir + "/python_ric.py"};
      vars["PYTHONUNBUFFERED"] = "1";
      vars["PYTHONDONTWRITEBYTECODE"] = "1";
      std::string opt = opt_dir.empty() ? "" : opt_dir + "/python:";
      vars["PYTHONPATH"] = opt + task;
    } else if (spec.runtime.starts_with("nodejs")) {
      if (interp.node.empty()) return MakeError("InternalError", "no node on this host", 500);
      sb.address_space_limit = false;  // V8 reserves far more address space than it uses
      argv = {interp.node,
              "--max-old-space-size=" + std::to_string(std::max<std::int64_t>(spec.memory_mb * 9 / 10, 16)),
              runtime_dir + "/node_ric.mjs"};
      std::string opt =
          opt_dir.empty() ? "" : opt_dir + "/nodejs/node_modules:" + opt_dir + "/nodejs/node20/node_modules:";
      vars["NODE_PATH"] = opt + task + "/node_modules";
    } else {
      argv = {task + "/bootstrap"};
      if (!std::filesystem::exists(spec.code_dir + "/bootstrap")) {
        // AWS: the init fails (Runtime.InvalidEntrypoint) when the custom runtime has no bootstrap.
        return MakeError("InvalidRuntimeException",
                         "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]", 502);
      }
    }
    for (const auto& [k, v] : spec.variables) vars[k] = v;
    // The variables Lambda sets (reserved: they win over the function's own).
    vars["PATH"] = path;
    vars["LANG"] = "en_US.UTF-8";
    vars["TZ"] = ":UTC";
    vars["_HANDLER"] = spec.handler;
    vars["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + spec.runtime;
    vars["AWS_LAMBDA_FUNCTION_NAME"] = spec.function_name;
    vars["AWS_LAMBDA_FUNCTION_VERSION"] = spec.version;
    vars["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(spec.memory_mb);
    vars["AWS_LAMBDA_LOG_GROUP_NAME"] = spec.log_group;
    vars["AWS_LAMBDA_LOG_STREAM_NAME"] = env->log_stream;
    vars["AWS_LAMBDA_INITIALIZATION_TYPE"] = spec.initialization_type;
    vars["AWS_REGION"] = spec.region;
    vars["AWS_DEFAULT_REGION"] = spec.region;
    vars["LAMBDA_TASK_ROOT"] = task;
    vars["LAMBDA_RUNTIME_DIR"] = runtime_dir;
    {
      // One loopback endpoint per environment, so that clients that take AWS_LAMBDA_RUNTIME_API as host:port
      // (AWS's runtime interface clients) work, and an environment reaches only its own invocations.
      http::ServerOptions so;
      so.host = "127.0.0.1";
      so.port = 0;
      so.io_threads = 1;
      so.worker_threads = 2;  // the long-polling /next, and a response or error
      so.idle_timeout_seconds = 3600;
      std::weak_ptr<ExecEnv> weak = env;
      CENOTE_ASSIGN_OR_RETURN(env->api, http::Server::Create(so, [this, weak](http::HttpRequest& r) {
                                return Serve(weak.lock(), r);
                              }));
      CENOTE_ASSIGN_OR_RETURN(std::uint16_t port, env->api->Start());
      vars["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:" + std::to_string(port);
    }
    vars["HOME"] = "/tmp";
    for (const auto& [k, v] : session) vars[k] = v;
    sb.argv = argv;
    for (const auto& [k, v] : vars) sb.env.push_back(k + "=" + v);
    sb.cwd = task;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return InternalError("pipe failed");
    sb.output_fd = fds[1];
    auto process = services::Sandbox::Spawn(sb);
    close(fds[1]);
    if (!process) {
      close(fds[0]);
      return process.error();
    }
    env->process = *process;
    env->output_fd = fds[0];
    {
      MutexLock l(env->mu);
      env->busy = true;
      env->last_used_ms = NowMs();
    }
    bool stopping = false;
    {
      MutexLock lock(mu_);
      stopping = stopping_;
      envs_[env->token] = env;
    }
    if (stopping) Kill(*env);
    ExecEnv* raw = env.get();
    env->reader = std::thread([raw] { ReadOutput(*raw); });
    return env;
  }

  // Reads the runtime's output until it exits, then reaps it.
  static void ReadOutput(ExecEnv& env) {
    std::array<char, 8192> buf{};
    while (true) {
      // Bytes are always either in the pipe, in flight (read but not yet appended), or in `output`:
      // DrainOutput tells the three apart.
      pollfd p{.fd = env.output_fd, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      {
        MutexLock lock(env.mu);
        env.reading = true;
      }
      ssize_t n = read(env.output_fd, buf.data(), buf.size());
      MutexLock lock(env.mu);
      env.reading = false;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        env.output_open = false;
        break;
      }
      if (env.output.size() < (8u << 20)) env.output.append(buf.data(), static_cast<std::size_t>(n));
    }
    {
      MutexLock lock(env.mu);
      env.output_open = false;
      close(env.output_fd);
    }
    services::SandboxExit exit = services::Sandbox::Wait(env.process);
    MutexLock lock(env.mu);
    env.exit = exit;
    env.dead = true;
    env.cv.SignalAll();
  }

  // The runtime flushes before it answers; wait the little it takes for its output to be read.
  static void DrainOutput(ExecEnv& env) {
    for (int i = 0; i < 50; ++i) {
      {
        MutexLock lock(env.mu);
        int pending = 0;
        if (!env.output_open) return;
        if (!env.reading && (ioctl(env.output_fd, FIONREAD, &pending) != 0 || pending == 0)) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  static std::string ExitText(ExecEnv& env) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
    if (env.exit.exited) return "Runtime exited with error: exit status " + std::to_string(env.exit.code);
    return "Runtime exited with error: signal: " +
           std::string(env.exit.signal == 9 ? "killed" : strsignal(env.exit.signal));
  }

  static std::string ExitError(ExecEnv& env, const std::string& request_id) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
    return ErrorDoc(env.exit.out_of_memory ? "Runtime.OutOfMemory" : "Runtime.ExitError",
                    "RequestId: " + request_id + " Error: " + ExitText(env));
  }

  static std::int64_t PeakMemoryMb(const ExecEnv& env) {
    if (env.process.cgroup.empty()) return 0;
    std::ifstream in(env.process.cgroup + (env.process.cgroup.find("/memory/") != std::string::npos
                                               ? "/memory.max_usage_in_bytes"
                                               : "/memory.peak"));
    std::int64_t bytes = 0;
    in >> bytes;
    return bytes / (1024 * 1024);
  }

  void Kill(ExecEnv& env) {
    services::Sandbox::Kill(env.process);
    MutexLock lock(env.mu);
    env.dead = true;
    env.cv.SignalAll();
  }

  void Forget(ExecEnv& env) {
    std::shared_ptr<ExecEnv> keep;
    {
      MutexLock lock(mu_);
      auto it = envs_.find(env.token);
      if (it == envs_.end()) return;
      keep = it->second;
      envs_.erase(it);
    }
    JoinLater(keep);
  }

  // The reader thread ends once the process is gone; it is joined off the caller's path, and the environment
  // goes with the last reference.
  static void JoinLater(std::shared_ptr<ExecEnv> env) {
    std::thread([env] {
      if (env->reader.joinable()) env->reader.join();
      if (env->api) env->api->Stop();
    }).detach();
  }

  static void FinishLog(InvocationResult& r, const EnvironmentSpec& spec, const std::string& request_id,
                        const std::string& init_output, const std::string& output, std::int64_t start_ms,
                        std::int64_t max_mb, bool init_failed) {
    std::vector<std::string> lines;
    auto add_text = [&lines](const std::string& text) {
      std::size_t at = 0;
      while (at < text.size()) {
        std::size_t nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        lines.push_back(text.substr(at, nl - at));
        at = nl + 1;
      }
    };
    add_text(init_output);
    if (r.cold && !init_failed) {
      lines.push_back("INIT_START Runtime Version: " + spec.runtime + ".cenote");
    }
    lines.push_back("START RequestId: " + request_id + " Version: " + spec.version);
    add_text(output);
    lines.push_back("END RequestId: " + request_id);
    const double billed = std::max(1.0, std::ceil(r.duration_ms));
    std::string report = "REPORT RequestId: " + request_id + "\tDuration: " + Fixed2(r.duration_ms) +
                         " ms\tBilled Duration: " + std::to_string(static_cast<std::int64_t>(billed)) +
                         " ms\tMemory Size: " + std::to_string(spec.memory_mb) +
                         " MB\tMax Memory Used: " + std::to_string(std::max<std::int64_t>(max_mb, 1)) + " MB";
    if (r.cold) report += "\tInit Duration: " + Fixed2(r.init_ms) + " ms";
    lines.push_back(report + "\t");
    r.log.clear();
    const std::int64_t end_ms = NowMs();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      r.log += lines[i] + "\n";
      r.log_events.push_back({i + 2 >= lines.size() ? end_ms : start_ms, lines[i]});
    }
  }

  // ---- the Runtime API

  http::HttpResponse Answer(int status, std::string body, const char* type = "application/json") {
    http::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers.Set("Content-Type", type);
    return r;
  }

  http::HttpResponse Serve(const std::shared_ptr<ExecEnv>& env, http::HttpRequest& req) {
    std::string_view rest = req.Path();
    if (!env) return Answer(403, ErrorDoc("Forbidden", "unknown execution environment"));
    constexpr std::string_view kPrefix = "/2018-06-01/runtime/";
    if (!rest.starts_with(kPrefix)) return Answer(404, ErrorDoc("NotFound", "unknown path"));
    rest.remove_prefix(kPrefix.size());
    if (req.method == "GET" && rest == "invocation/next") return Next(*env);
    if (req.method == "POST" && rest == "init/error") {
      auto body = http::ReadAll(*req.body, 1 << 20);
      MutexLock lock(env->mu);
      env->init_error = true;
      env->init_error_body = body ? *body : ErrorDoc("Runtime.Unknown", "init error");
      env->cv.SignalAll();
      return Answer(202, "{\"status\":\"OK\"}");
    }
    constexpr std::string_view kInvocation = "invocation/";
    if (req.method == "POST" && rest.starts_with(kInvocation)) {
      rest.remove_prefix(kInvocation.size());
      std::size_t s = rest.find('/');
      if (s == std::string_view::npos) return Answer(404, ErrorDoc("NotFound", "unknown path"));
      std::string id(rest.substr(0, s));
      std::string_view what = rest.substr(s + 1);
      if (what != "response" && what != "error") return Answer(404, ErrorDoc("NotFound", "unknown path"));
      if (what == "response" &&
          AsciiLower(req.headers.Get("Lambda-Runtime-Function-Response-Mode").value_or("")) == "streaming") {
        return StreamResponse(*env, id, req);
      }
      auto body = http::ReadAll(*req.body, 6 * 1024 * 1024 + 1);
      MutexLock lock(env->mu);
      if (id != env->request_id || env->responded || env->pending) {
        return Answer(400, ErrorDoc("InvalidStateTransition",
                                    "State transition from Ready to InvocationResponse failed for runtime. "
                                    "Error: State transition is not allowed"));
      }
      env->responded = true;
      if (!body || body->size() > 6 * 1024 * 1024) {
        env->response_error = true;
        env->response =
            ErrorDoc("Function.ResponseSizeTooLarge",
                     "Response payload size exceeded maximum allowed payload size (6291556 bytes).");
        env->cv.SignalAll();
        return Answer(413, ErrorDoc("RequestEntityTooLarge", "payload too large"));
      }
      env->response_error = what == "error";
      env->response = *body;
      if (env->response_error) {
        // An error document without a type gets the one of the header (Lambda-Runtime-Function-Error-Type).
        boost::system::error_code ec;
        auto v = boost::json::parse(*body, ec);
        if (ec || !v.is_object()) {
          auto type = req.headers.Get("Lambda-Runtime-Function-Error-Type");
          env->response = ErrorDoc(type ? std::string(*type) : "Runtime.Unknown", *body);
        }
      }
      env->cv.SignalAll();
      return Answer(202, "{\"status\":\"OK\"}");
    }
    return Answer(404, ErrorDoc("NotFound", "unknown path"));
  }

  // A streamed response
  // (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming):
  // the body's bytes go to the invocation's sink as they arrive (or are kept, up to the 20 MiB AWS streams,
  // for a caller that buffers); a function error comes in the trailers Lambda-Runtime-Function-Error-Type and
  // Lambda-Runtime-Function-Error-Body (its error document, base64), after whatever was streamed.
  http::HttpResponse StreamResponse(ExecEnv& env, const std::string& id, http::HttpRequest& req) {
    constexpr std::size_t kStreamLimit = 20 * 1024 * 1024;
    std::shared_ptr<const ResponseSink> sink;
    std::string content_type(req.headers.Get("Content-Type").value_or("application/octet-stream"));
    {
      MutexLock lock(env.mu);
      if (id != env.request_id || env.responded || env.pending || env.streamed) {
        return Answer(400, ErrorDoc("InvalidStateTransition",
                                    "State transition from Ready to InvocationResponse failed for runtime. "
                                    "Error: State transition is not allowed"));
      }
      env.streamed = true;
      env.content_type = content_type;
      sink = env.sink;
    }
    if (sink && sink->begin) sink->begin(content_type);
    std::string kept;
    std::size_t total = 0;
    std::array<char, 16384> buf{};
    Status read = Status::Ok();
    while (true) {
      auto n = req.body->Read(buf.data(), buf.size());
      if (!n) {
        read = n.error();
        break;
      }
      if (*n == 0) break;
      total += *n;
      if (total > kStreamLimit) {
        read = MakeError("Function.ResponseSizeTooLarge",
                         "Response payload size exceeded maximum allowed payload size (20971520 bytes).");
        break;
      }
      if (sink) {
        if (sink->write) sink->write(std::string_view(buf.data(), *n));
      } else {
        kept.append(buf.data(), *n);
      }
    }
    std::string error_type, error_body;
    if (const http::Headers* trailers = req.body->Trailers(); read && trailers != nullptr) {
      error_type = std::string(trailers->Get("Lambda-Runtime-Function-Error-Type").value_or(""));
      const std::string encoded(trailers->Get("Lambda-Runtime-Function-Error-Body").value_or(""));
      if (!error_type.empty()) {
        auto decoded = Base64Decode(encoded);
        boost::system::error_code ec;
        if (decoded) {
          auto doc = boost::json::parse(*decoded, ec);
          if (!ec && doc.is_object()) error_body = *decoded;
        }
        if (error_body.empty()) error_body = ErrorDoc(error_type, decoded ? *decoded : encoded);
      }
    } else if (!read) {
      error_type = read.error().code == "Function.ResponseSizeTooLarge" ? read.error().code
                                                                        : "Runtime.TruncatedResponse";
      error_body = ErrorDoc(error_type, read.error().message);
    }
    MutexLock lock(env.mu);
    if (id != env.request_id || env.responded) return Answer(410, ErrorDoc("Gone", "invocation over"));
    env.responded = true;
    env.response_error = !error_type.empty();
    env.response = env.response_error ? error_body : std::move(kept);
    env.cv.SignalAll();
    if (!read && read.error().code == "Function.ResponseSizeTooLarge") {
      return Answer(413, ErrorDoc("RequestEntityTooLarge", "payload too large"));
    }
    return Answer(202, "{\"status\":\"OK\"}");
  }

  http::HttpResponse Next(ExecEnv& env) {
    // What the runtime wrote before its first /next is the init phase's log: read it all before the handler
    // can print (the runtime is blocked on this request, so the pipe holds nothing newer).
    bool first = false;
    {
      MutexLock lock(env.mu);
      first = !env.ready;
    }
    if (first) DrainOutput(env);
    MutexLock lock(env.mu);
    if (first) {
      env.init_output = std::move(env.output);
      env.output.clear();
    }
    env.ready = true;
    env.cv.SignalAll();
    env.cv.Wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(env.mu) { return env.pending || env.dead; });
    if (env.dead) return Answer(410, ErrorDoc("Gone", "environment stopped"));
    env.pending = false;
    env.deadline_ms = NowMs() + env.timeout_s * 1000;
    http::HttpResponse r = Answer(200, env.payload);
    r.headers.Set("Lambda-Runtime-Aws-Request-Id", env.request_id);
    r.headers.Set("Lambda-Runtime-Deadline-Ms", std::to_string(env.deadline_ms));
    r.headers.Set("Lambda-Runtime-Invoked-Function-Arn", env.invoked_arn);
    r.headers.Set("Lambda-Runtime-Trace-Id", "Root=1-" + RandomHex(4) + "-" + RandomHex(12) + ";Sampled=0");
    if (!env.client_context.empty()) {
      auto decoded = Base64Decode(env.client_context);
      r.headers.Set("Lambda-Runtime-Client-Context", decoded ? *decoded : env.client_context);
    }
    return r;
  }

  RuntimesOptions options_;
  std::string runtime_dir_;
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<ExecEnv>> envs_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::map<std::string, int> starting_ GUARDED_BY(mu_);  // provisioned environments being started, by id
  std::map<std::string, std::string> provision_errors_ GUARDED_BY(mu_);
  std::map<std::string, std::int64_t> provision_failed_ms_ GUARDED_BY(mu_);
  struct Provisioner {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Provisioner> provisioners_ GUARDED_BY(mu_);
};

Runtimes::Runtimes(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtimes::~Runtimes() = default;

Result<std::unique_ptr<Runtimes>> Runtimes::Start(RuntimesOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  CENOTE_RETURN_IF_ERROR(impl->StartServer());
  return std::unique_ptr<Runtimes>(new Runtimes(std::move(impl)));
}

Result<InvocationResult> Runtimes::Invoke(const EnvironmentSpec& spec, const std::string& request_id,
                                          const std::string& payload, const std::string& client_context,
                                          const std::string& invoked_arn, const ResponseSink* sink) {
  return impl_->Invoke(spec, request_id, payload, client_context, invoked_arn, sink);
}
int Runtimes::Busy(const std::string& function_arn) const { return impl_->Busy(function_arn); }
int Runtimes::BusyTotal() const { return impl_->BusyTotal(); }
void Runtimes::Reap(std::int64_t now_ms) { impl_->Reap(now_ms, ""); }
void Runtimes::Retire(const std::string& function_arn) { impl_->Reap(NowMs(), function_arn); }
void Runtimes::StopAll() { impl_->StopAll(); }
std::map<std::string, Runtimes::ProvisionState> Runtimes::Provision(
    const std::map<std::string, ProvisionTarget>& targets) {
  return impl_->Provision(targets);
}

}  // namespace cenote::lambda
