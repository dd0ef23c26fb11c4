#include "services/glue/jobs/executor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "common/clock.hpp"
#include "iam/directory.hpp"
#include "services/common/params.hpp"
#include "services/common/sandbox.hpp"

namespace cenote::glue::jobs {

namespace json = boost::json;
namespace fs = std::filesystem;
using services::GetObject;
using services::GetString;

namespace {

constexpr const char* kService = "glue.amazonaws.com";
constexpr const char* kSession = "GlueJobRunnerSession";
constexpr const char* kOutputGroup = "/aws-glue/python-jobs/output";
constexpr const char* kErrorGroup = "/aws-glue/python-jobs/error";
constexpr std::size_t kMaxLogBytes = 16u << 20;  // kept per stream and run
constexpr std::int64_t kMaxScriptBytes = 64LL << 20;

std::int64_t NowMs() { return UnixNowMs(); }

struct LogLine {
  std::int64_t ts = 0;
  std::string message;
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return s.substr(i);
}

// Splits an s3://bucket/key location.
bool ParseS3(const std::string& location, std::string* bucket, std::string* key) {
  if (!location.starts_with("s3://")) return false;
  std::string rest = location.substr(5);
  auto slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= rest.size()) return false;
  *bucket = rest.substr(0, slash);
  *key = rest.substr(slash + 1);
  return true;
}

std::string FindPython() {
  static const std::string found = [] {
    for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
      std::error_code ec;
      fs::path p = fs::path(dir) / "python3";
      if (fs::exists(p, ec)) return fs::weakly_canonical(p, ec).string();
    }
    return std::string();
  }();
  return found;
}

class RealExecutor {
 public:
  RealExecutor(aws::Invoker& invoker, ExecutorOptions options)
      : invoker_(invoker), options_(std::move(options)) {}

  RunOutcome Run(const RunRequest& r, const std::atomic<bool>& stop) {
    if (r.command == "pythonshell") return PythonShell(r, stop);
    if (r.command == "athenasql") return AthenaSql(r, stop);
    return {
        .state = "FAILED", .error_message = "Cenote cannot run jobs of type " + r.command, .bookmark = {}};
  }

 private:
  aws::Caller RoleCaller(const RunRequest& r) const {
    aws::Caller c;
    c.principal = iam::RoleSessionPrincipal(RoleArn(r.role, r.account), kSession, r.account);
    c.region = r.region;
    c.invoked_by = kService;
    return c;
  }

  // ---- CloudWatch Logs, written as the job's role (as Glue's runner does): one stream per run, sent while
  // the run goes (every second) and at its end.
  struct LogSink {
    const char* group;
    std::vector<LogLine> lines;
    std::size_t sent = 0;
    bool created = false;
  };

  void Flush(const RunRequest& r, LogSink& sink) {
    if (sink.sent >= sink.lines.size()) return;
    const aws::Caller caller = RoleCaller(r);
    if (!sink.created) {
      aws::OperationInput g;
      g.params = json::object{{"logGroupName", sink.group}};
      (void)invoker_.Call(caller, "logs", "CreateLogGroup", g);
      aws::OperationInput s;
      s.params = json::object{{"logGroupName", sink.group}, {"logStreamName", r.run_id}};
      (void)invoker_.Call(caller, "logs", "CreateLogStream", s);
      sink.created = true;
    }
    json::array batch;
    std::size_t bytes = 0;
    auto put = [&] {
      if (batch.empty()) return;
      aws::OperationInput p;
      p.params =
          json::object{{"logGroupName", sink.group}, {"logStreamName", r.run_id}, {"logEvents", batch}};
      auto out = invoker_.Call(caller, "logs", "PutLogEvents", p);
      if (!out) spdlog::debug("glue job {}: logs not written: {}", r.job_name, out.error().message);
      batch.clear();
      bytes = 0;
    };
    for (; sink.sent < sink.lines.size(); ++sink.sent) {
      const LogLine& l = sink.lines[sink.sent];
      std::string m = l.message.empty() ? " " : l.message;
      if (m.size() > 256 * 1024 - 26) m.resize(256 * 1024 - 26);
      if (batch.size() >= 10000 || bytes + m.size() + 26 > 1000000) put();
      bytes += m.size() + 26;
      batch.push_back(json::object{{"timestamp", l.ts}, {"message", m}});
    }
    put();
  }

  // ---- pythonshell
  Result<std::map<std::string, std::string>> Credentials(const RunRequest& r) {
    aws::OperationInput in;
    in.params = json::object{{"RoleArn", RoleArn(r.role, r.account)}, {"RoleSessionName", kSession}};
    auto out =
        invoker_.Call(aws::ServiceCaller(kService, r.account, r.region, r.job_arn), "sts", "AssumeRole", in);
    if (!out) return out.error();
    const json::object* c =
        out->result.is_object() ? GetObject(out->result.as_object(), "Credentials") : nullptr;
    if (c == nullptr) return InternalError("no credentials");
    return std::map<std::string, std::string>{
        {"AWS_ACCESS_KEY_ID", GetString(*c, "AccessKeyId").value_or("")},
        {"AWS_SECRET_ACCESS_KEY", GetString(*c, "SecretAccessKey").value_or("")},
        {"AWS_SESSION_TOKEN", GetString(*c, "SessionToken").value_or("")}};
  }

  Result<std::string> FetchScript(const RunRequest& r) {
    std::string bucket, key;
    if (!ParseS3(r.script_location, &bucket, &key)) {
      return MakeError("InvalidInputException",
                       "ScriptLocation " + r.script_location + " is not an s3://bucket/key location");
    }
    aws::OperationInput in;
    in.params = json::object{{"Bucket", bucket}, {"Key", key}};
    auto out = invoker_.Call(RoleCaller(r), "s3", "GetObject", in);
    if (!out) {
      return MakeError("InvalidInputException", "Failed to download the script " + r.script_location + ": " +
                                                    out.error().code + ": " + out.error().message);
    }
    std::string bytes;
    if (out->body) {
      char buf[65536];
      while (true) {
        auto n = out->body->Read(buf, sizeof(buf));
        if (!n) return n.error();
        if (*n == 0) break;
        bytes.append(buf, *n);
        if (static_cast<std::int64_t>(bytes.size()) > kMaxScriptBytes)
          return MakeError("InvalidInputException", "script too large");
      }
    } else if (out->result.is_object()) {
      bytes = GetString(out->result.as_object(), "Body").value_or("");
    }
    return bytes;
  }

  RunOutcome PythonShell(const RunRequest& r, const std::atomic<bool>& stop) {
    RunOutcome o;
    LogSink out{.group = kOutputGroup, .lines = {}, .sent = 0, .created = false};
    LogSink err{.group = kErrorGroup, .lines = {}, .sent = 0, .created = false};
    std::vector<LogLine>& out_lines = out.lines;
    std::vector<LogLine>& err_lines = err.lines;
    auto fail = [&](std::string state, std::string message) {
      o.state = std::move(state);
      o.error_message = std::move(message);
      err_lines.push_back({NowMs(), o.error_message});
      Flush(r, err);
      Flush(r, out);
      return o;
    };
    const std::string python = FindPython();
    if (python.empty()) return fail("ERROR", "python3 is not installed on this host");
    auto creds = Credentials(r);
    if (!creds) {
      return fail("FAILED", "Failed to assume the job's role " + r.role + ": " + creds.error().message);
    }
    auto script = FetchScript(r);
    if (!script) return fail("FAILED", script.error().message);
    const std::string dir = options_.scratch_dir + "/" + r.run_id;
    std::error_code ec;
    fs::create_directories(dir, ec);
    fs::permissions(dir, fs::perms(0755), ec);
    std::string name = r.script_location.substr(r.script_location.rfind('/') + 1);
    if (name.empty() || name.find_first_of("\\\"'") != std::string::npos) name = "script.py";
    {
      std::ofstream f(dir + "/" + name, std::ios::binary);
      f << *script;
    }
    fs::permissions(dir + "/" + name, fs::perms(0644), ec);
    const bool ns = services::Sandbox::Probe() == services::Sandbox::Mode::kNamespaces;
    const std::string task = ns ? "/var/task" : dir;
    services::SandboxSpec sb;
    sb.hide = options_.hide;
    if (ns) sb.binds.push_back({.source = dir, .target = "/var/task"});
    sb.memory_bytes = r.max_capacity >= 1.0 ? (16LL << 30) : (1LL << 30);
    sb.address_space_limit = false;
    sb.argv = {python, "-u", task + "/" + name};
    for (const auto& [k, v] : r.arguments) {
      sb.argv.push_back(k);
      sb.argv.push_back(v);
    }
    std::map<std::string, std::string> vars{{"PATH", "/usr/local/bin:/usr/bin:/bin"},
                                            {"LANG", "C.UTF-8"},
                                            {"TZ", ":UTC"},
                                            {"HOME", "/tmp"},
                                            {"PYTHONUNBUFFERED", "1"},
                                            {"PYTHONDONTWRITEBYTECODE", "1"},
                                            {"AWS_REGION", r.region},
                                            {"AWS_DEFAULT_REGION", r.region},
                                            {"GLUE_JOB_NAME", r.job_name},
                                            {"GLUE_JOB_RUN_ID", r.run_id}};
    std::string endpoint = options_.endpoint;
    if (endpoint.empty() && options_.endpoint_fallback) endpoint = options_.endpoint_fallback();
    if (endpoint.empty()) endpoint = "http://127.0.0.1:4566";
    if (!endpoint.empty()) vars["AWS_ENDPOINT_URL"] = endpoint;
    if (r.bookmark) vars[kBookmarkEnv] = *r.bookmark;
    for (const auto& [k, v] : *creds) vars[k] = v;
    for (const auto& [k, v] : vars) sb.env.push_back(k + "=" + v);
    sb.cwd = task;
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) return fail("ERROR", "pipe failed");
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
      close(out_pipe[0]);
      close(out_pipe[1]);
      return fail("ERROR", "pipe failed");
    }
    sb.output_fd = out_pipe[1];
    sb.error_fd = err_pipe[1];
    auto process = services::Sandbox::Spawn(sb);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (!process) {
      close(out_pipe[0]);
      close(err_pipe[0]);
      fs::remove_all(dir, ec);
      return fail("ERROR", "The job's process could not be started: " + process.error().message);
    }
    const std::int64_t deadline = NowMs() + r.timeout_ms;
    bool timed_out = false, stopped = false, killed = false;
    std::string partial[2];
    std::size_t kept[2] = {0, 0};
    std::vector<LogLine>* sinks[2] = {&out_lines, &err_lines};
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    std::int64_t last_flush = NowMs();
    while (open_fds > 0) {
      if (NowMs() - last_flush >= 1000) {
        Flush(r, out);
        Flush(r, err);
        last_flush = NowMs();
      }
      if (!killed && (stop.load() || NowMs() >= deadline)) {
        if (stop.load())
          stopped = true;
        else
          timed_out = true;
        services::Sandbox::Kill(*process);
        killed = true;
      }
      int n = poll(fds, 2, 100);
      if (n < 0 && errno != EINTR) break;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        char buf[65536];
        ssize_t got = read(fds[i].fd, buf, sizeof(buf));
        if (got <= 0) {
          close(fds[i].fd);
          fds[i].fd = -1;
          --open_fds;
          continue;
        }
        partial[i].append(buf, static_cast<std::size_t>(got));
        std::size_t nl;
        while ((nl = partial[i].find('\n')) != std::string::npos) {
          std::string line = partial[i].substr(0, nl);
          partial[i].erase(0, nl + 1);
          if (i == 0 && line.starts_with(kBookmarkMarker))
            o.bookmark = line.substr(std::string(kBookmarkMarker).size());
          if (kept[i] + line.size() <= kMaxLogBytes) {
            kept[i] += line.size();
            sinks[i]->push_back({NowMs(), std::move(line)});
          }
        }
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0) close(fds[i].fd);
      if (!partial[i].empty()) sinks[i]->push_back({NowMs(), partial[i]});
    }
    services::SandboxExit exit = services::Sandbox::Wait(*process);
    fs::remove_all(dir, ec);
    if (stopped) {
      o.state = "STOPPED";
    } else if (timed_out) {
      o.state = "TIMEOUT";
      o.error_message = "Job run timed out after " + std::to_string(r.timeout_minutes) + " minutes";
    } else if (exit.out_of_memory) {
      o.state = "FAILED";
      o.error_message = "Command failed with exit code 137: the job ran out of memory";
    } else if (exit.exited && exit.code == 0) {
      o.state = "SUCCEEDED";
    } else {
      o.state = "FAILED";
      std::string last;
      for (auto it = err_lines.rbegin(); it != err_lines.rend() && last.empty(); ++it)
        last = Trim(it->message);
      const int code = exit.exited ? exit.code : 128 + exit.signal;
      o.error_message = last.empty() ? "Command failed with exit code " + std::to_string(code) : last;
    }
    if (o.state != "SUCCEEDED") o.bookmark.reset();
    if (!o.error_message.empty() && o.state != "FAILED") err_lines.push_back({NowMs(), o.error_message});
    Flush(r, out);
    Flush(r, err);
    return o;
  }

  // ---- athenasql
  RunOutcome AthenaSql(const RunRequest& r, const std::atomic<bool>& stop) {
    RunOutcome o;
    LogSink out{.group = kOutputGroup, .lines = {}, .sent = 0, .created = false};
    LogSink err{.group = kErrorGroup, .lines = {}, .sent = 0, .created = false};
    std::vector<LogLine>& out_lines = out.lines;
    std::vector<LogLine>& err_lines = err.lines;
    auto finish = [&](std::string state, std::string message) {
      o.state = std::move(state);
      o.error_message = std::move(message);
      if (!o.error_message.empty()) err_lines.push_back({NowMs(), o.error_message});
      Flush(r, out);
      Flush(r, err);
      return o;
    };
    auto script = FetchScript(r);
    if (!script) return finish("FAILED", script.error().message);
    std::string database, output, workgroup;
    for (const auto& [k, v] : r.arguments) {
      if (k == "--database") database = v;
      if (k == "--output-location") output = v;
      if (k == "--workgroup") workgroup = v;
    }
    const aws::Caller caller = RoleCaller(r);
    const std::int64_t deadline = NowMs() + r.timeout_ms;
    const auto statements = SplitStatements(*script);
    int i = 0;
    for (const std::string& sql : statements) {
      ++i;
      json::object params{{"QueryString", sql}};
      if (!database.empty()) params["QueryExecutionContext"] = json::object{{"Database", database}};
      if (!output.empty()) params["ResultConfiguration"] = json::object{{"OutputLocation", output}};
      if (!workgroup.empty()) params["WorkGroup"] = workgroup;
      aws::OperationInput in;
      in.params = std::move(params);
      auto started = invoker_.Call(caller, "athena", "StartQueryExecution", in);
      if (!started) {
        return finish("FAILED", "Statement " + std::to_string(i) + " failed: " + started.error().code + ": " +
                                    started.error().message);
      }
      const std::string id = GetString(started->result.as_object(), "QueryExecutionId").value_or("");
      out_lines.push_back({NowMs(), "Statement " + std::to_string(i) + ": query " + id + ": " + sql});
      Flush(r, out);
      while (true) {
        if (stop.load() || NowMs() >= deadline) {
          aws::OperationInput c;
          c.params = json::object{{"QueryExecutionId", id}};
          (void)invoker_.Call(caller, "athena", "StopQueryExecution", c);
          if (stop.load()) return finish("STOPPED", "");
          return finish("TIMEOUT",
                        "Job run timed out after " + std::to_string(r.timeout_minutes) + " minutes");
        }
        aws::OperationInput g;
        g.params = json::object{{"QueryExecutionId", id}};
        auto got = invoker_.Call(caller, "athena", "GetQueryExecution", g);
        if (!got) return finish("FAILED", got.error().code + ": " + got.error().message);
        const json::object* qe = GetObject(got->result.as_object(), "QueryExecution");
        const json::object* status = qe ? GetObject(*qe, "Status") : nullptr;
        const std::string state = status ? GetString(*status, "State").value_or("") : "";
        if (state == "SUCCEEDED") {
          out_lines.push_back({NowMs(), "Statement " + std::to_string(i) + ": query " + id + " SUCCEEDED"});
          break;
        }
        if (state == "FAILED" || state == "CANCELLED") {
          const std::string reason = status ? GetString(*status, "StateChangeReason").value_or(state) : state;
          return finish("FAILED",
                        "Statement " + std::to_string(i) + " (query " + id + ") " + state + ": " + reason);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(options_.poll_ms));
      }
    }
    return finish("SUCCEEDED", "");
  }

  aws::Invoker& invoker_;
  ExecutorOptions options_;
};

}  // namespace

std::string RoleArn(const std::string& role, const std::string& account) {
  if (role.starts_with("arn:")) return role;
  return "arn:aws:iam::" + account + ":role/" + role;
}

std::vector<std::string> SplitStatements(const std::string& script) {
  std::vector<std::string> out;
  std::string cur;
  char quote = 0;
  for (std::size_t i = 0; i < script.size(); ++i) {
    const char c = script[i];
    if (quote != 0) {
      cur += c;
      if (c == quote) {
        if (i + 1 < script.size() && script[i + 1] == quote) {
          cur += script[++i];
        } else {
          quote = 0;
        }
      }
      continue;
    }
    if (c == '-' && i + 1 < script.size() && script[i + 1] == '-') {
      while (i < script.size() && script[i] != '\n') ++i;
      cur += '\n';
      continue;
    }
    if (c == '/' && i + 1 < script.size() && script[i + 1] == '*') {
      auto end = script.find("*/", i + 2);
      i = end == std::string::npos ? script.size() : end + 1;
      cur += ' ';
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') quote = c;
    if (c == ';') {
      std::string t = Trim(cur);
      if (!t.empty()) out.push_back(t);
      cur.clear();
      continue;
    }
    cur += c;
  }
  std::string t = Trim(cur);
  if (!t.empty()) out.push_back(t);
  return out;
}

Executor MakeExecutor(aws::Invoker& invoker, ExecutorOptions options) {
  auto impl = std::make_shared<RealExecutor>(invoker, std::move(options));
  return [impl](const RunRequest& r, const std::atomic<bool>& stop) { return impl->Run(r, stop); };
}

}  // namespace cenote::glue::jobs
