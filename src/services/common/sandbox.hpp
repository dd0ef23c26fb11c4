// Sandbox: runs untrusted code (a Lambda function's runtime, later a Glue pythonshell job) as a child
// process isolated from the server and from other sandboxes as far as the host allows.
//
// Isolation, probed once per process (Probe()) and logged once:
//   - kNamespaces: the child gets its own user, mount, PID, IPC and UTS namespaces (unshare(2)). The server
//     writes its uid/gid maps: namespace root is the server's own user while the mounts are made (so it
//     reaches the bind sources), and, when the server runs as root, the program then runs as namespace uid 1,
//     mapped to the unprivileged outside user 65534, so host files are reached only through "other"
//     permissions (an unprivileged server's sandbox stays its own user). Its mount namespace binds each
//     SandboxSpec::binds source read-only at its target under a fresh /var (/var/task, /var/runtime,
//     /var/lang) or elsewhere
//     (/opt), covers each `hide` path with an empty read-only tmpfs (the data directory, other sandboxes'
//     code) and gives it a private size-limited tmpfs /tmp and, where the host allows, its own /proc. The
//     program is PID 1 of its PID namespace and dies with the sandbox's supervisor, so killing the sandbox
//     kills everything it started.
//   - kPlain: no namespaces (user namespaces refused by the host): a plain child process in its own
//     session, no binds (the caller passes the sources' real paths in argv and env instead), rlimits only.
// Memory: a cgroup (v2, or v1's memory controller) per sandbox when the server may create one, with
// memory.max / memory.limit_in_bytes = memory_bytes; otherwise RLIMIT_AS (when `address_space_limit`).
//
// Thread safety: Spawn, Kill and Wait may be called from any thread; a SandboxProcess is owned by one caller.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace cenote::services {

struct SandboxBind {
  std::string source;  // host path
  std::string target;  // path inside the sandbox (kNamespaces)
};

struct SandboxSpec {
  std::vector<std::string> argv;  // argv[0] is the program's path as seen inside the sandbox
  std::vector<std::string> env;   // "NAME=value"
  std::vector<SandboxBind> binds;
  std::vector<std::string> hide;  // host paths the sandbox must not see
  std::string cwd;                // inside the sandbox
  std::int64_t tmp_bytes = 512LL << 20;
  std::int64_t memory_bytes = 0;    // 0: no limit
  bool address_space_limit = true;  // without a cgroup: RLIMIT_AS = memory_bytes (not for V8's reservations)
  int output_fd = -1;               // the child's stdout and stderr (both), or /dev/null when -1
  int error_fd = -1;                // the child's stderr alone when >= 0 (Glue's separate error log)
};

struct SandboxProcess {
  pid_t pid = -1;      // the supervisor (kNamespaces) or the program (kPlain)
  std::string cgroup;  // the cgroup directory, "" when none
  bool supervised =
      false;  // kNamespaces: pid is the supervisor, which exits 128+N when the program got signal N
};

struct SandboxExit {
  bool exited = false;  // exit(2) called; else killed by `signal`
  int code = 0;
  int signal = 0;
  bool out_of_memory = false;  // the memory cgroup killed it
};

class Sandbox {
 public:
  enum class Mode { kNamespaces, kPlain };

  // The isolation this host allows (probed on first call by starting `true` in namespaces); logged once.
  static Mode Probe();
  static bool HasMemoryCgroup();

  // Starts the sandboxed program. The program's own path and every bind source must exist.
  static Result<SandboxProcess> Spawn(const SandboxSpec& spec);
  // SIGKILL to the sandbox (and so to everything in it).
  static void Kill(const SandboxProcess& process);
  // Waits for the sandbox to end, then removes its cgroup.
  static SandboxExit Wait(SandboxProcess& process);
};

}  // namespace cenote::services
