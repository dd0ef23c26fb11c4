#include "services/common/sandbox.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/random.hpp"

namespace cenote::services {

namespace {

// Everything the child needs, prepared before fork(): after fork() in a threaded server the child may only
// make system calls (no allocation, no locks).
struct Prepared {
  std::vector<std::string> argv_s, env_s;
  std::vector<char*> argv, envp;
  struct Bind {
    int fd;
    std::string source;
    std::string target;
    unsigned long locked_flags;  // MS_NOSUID/MS_NODEV/MS_NOEXEC the source mount has (kept on remount)
  };
  std::vector<Bind> binds;
  std::vector<std::string> hide;
  std::string tmp_options;
  std::string cwd;
  std::string uid_map, gid_map;
  std::string cgroup_procs;
  bool drop_to_nobody = false;
  std::int64_t rlimit_as = 0;
  int output_fd = -1;
  int error_fd = -1;
  std::vector<int>
      keep_fds;  // what the child keeps of the server's descriptors (ascending), set by SpawnWith
};

bool WriteFile(const char* path, const char* data, std::size_t n) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, data, n) == static_cast<ssize_t>(n);
  close(fd);
  return ok;
}

bool WriteText(const std::string& path, const std::string& text) {
  return WriteFile(path.c_str(), text.data(), text.size());
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Formats a non-negative number without allocating (async-signal-safe).
std::size_t FormatInt(long v, char* buf) {
  char tmp[24];
  std::size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0 && n < sizeof(tmp));
  for (std::size_t i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
  return n;
}

[[noreturn]] void ChildFail(const char* what) {
  const char prefix[] = "cenote sandbox: ";
  (void)!write(2, prefix, sizeof(prefix) - 1);
  (void)!write(2, what, strlen(what));
  const char* err = strerror(errno);
  (void)!write(2, ": ", 2);
  (void)!write(2, err, strlen(err));
  (void)!write(2, "\n", 1);
  _exit(127);
}

void ChildStdio(const Prepared& p) {
  int null_fd = open("/dev/null", O_RDWR);
  if (null_fd >= 0) dup2(null_fd, 0);
  int out = p.output_fd >= 0 ? p.output_fd : null_fd;
  if (out >= 0) {
    dup2(out, 1);
    dup2(out, 2);
  }
  if (p.error_fd >= 0) dup2(p.error_fd, 2);
}

void ChildJoinCgroup(const Prepared& p) {
  if (p.cgroup_procs.empty()) return;
  char buf[24];
  std::size_t n = FormatInt(static_cast<long>(getpid()), buf);
  if (!WriteFile(p.cgroup_procs.c_str(), buf, n)) ChildFail("joining the memory cgroup");
}

void ChildLimits(const Prepared& p) {
  struct rlimit core {
    0, 0
  };
  setrlimit(RLIMIT_CORE, &core);
  if (p.rlimit_as > 0) {
    struct rlimit as {
      static_cast<rlim_t>(p.rlimit_as), static_cast<rlim_t>(p.rlimit_as)
    };
    setrlimit(RLIMIT_AS, &as);
  }
}

// Closes every descriptor above stderr: the server's (its data directory's lock, its stores, its listening
// socket) are not the sandboxed program's, whether or not they were opened close-on-exec, and a process that
// outlives the server must not keep them (the lock would refuse the next server on the same directory). A
// kernel without close_range (before 5.9) leaves the close-on-exec flags to do it at exec.
void CloseServerDescriptors() { (void)close_range(3, ~0U, 0); }

// The same at once after fork(), but for the descriptors the child still needs (`keep`, ascending): the
// child may live on a moment after a server killed with SIGKILL (until its parent-death signal is handled,
// or while the supervisor sets up its mounts), and must not hold the server's lock meanwhile.
void CloseServerDescriptorsBut(const std::vector<int>& keep) {
  unsigned from = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(from)) continue;
    if (static_cast<unsigned>(fd) > from) (void)close_range(from, static_cast<unsigned>(fd) - 1, 0);
    from = static_cast<unsigned>(fd) + 1;
  }
  (void)close_range(from, ~0U, 0);
}

[[noreturn]] void ChildExec(const Prepared& p) {
  if (!p.cwd.empty() && chdir(p.cwd.c_str()) != 0) ChildFail("chdir");
  CloseServerDescriptors();
  execve(p.argv[0], p.argv.data(), p.envp.data());
  ChildFail("execve");
}

// The namespaced child: supervisor in new namespaces, then PID 1 of the new PID namespace runs the program.
// The server writes the child's uid/gid maps (it may map more than its own uid), then lets it go on: ns root
// is the server's user while the mounts are made (so it reaches the bind sources), and the program runs as
// ns uid 1, the unprivileged outside user, when the server is root.
[[noreturn]] void NamespacedChild(const Prepared& p, int ready_fd, int go_fd) {
  setsid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  ChildStdio(p);
  ChildJoinCgroup(p);
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) != 0) {
    ChildFail("unshare");
  }
  char byte = 1;
  if (write(ready_fd, &byte, 1) != 1) ChildFail("sync");
  if (read(go_fd, &byte, 1) != 1 || byte != 1) ChildFail("uid map");
  close(ready_fd);
  close(go_fd);
  if (setgid(0) != 0 || setuid(0) != 0) ChildFail("setuid");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ChildFail("private mounts");
  // Binds first, under a fresh /var (their sources may lie in hidden paths), then the hidden paths are
  // covered.
  if (mount("tmpfs", "/var", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0) ChildFail("/var");
  for (const Prepared::Bind& b : p.binds) {
    mkdir(b.target.c_str(), 0755);
    if (mount(b.source.c_str(), b.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      ChildFail("bind mount");
    }
    if (mount(nullptr, b.target.c_str(), nullptr,
              MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | b.locked_flags, nullptr) != 0) {
      ChildFail("read-only remount");
    }
    close(b.fd);
  }
  for (const std::string& h : p.hide) {
    mount("tmpfs", h.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0755");
  }
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, p.tmp_options.c_str()) != 0) ChildFail("/tmp");
  pid_t pid = fork();
  if (pid < 0) ChildFail("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // A fresh /proc shows only this namespace's processes; hosts that mask parts of /proc refuse it, and the
    // host's stays (its other processes are then listed but not reachable: another user, another namespace).
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    if (p.drop_to_nobody) {
      if (setgroups(0, nullptr) != 0 || setgid(1) != 0 || setuid(1) != 0) ChildFail("setuid");
    }
    ChildLimits(p);
    ChildExec(p);
  }
  // The supervisor never execs: it only waits, and must not hold the server's descriptors meanwhile (a
  // supervisor killed with the server dies a moment after it, and the data directory's lock would outlive
  // the server by that moment).
  CloseServerDescriptors();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  _exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

[[noreturn]] void PlainChild(const Prepared& p) {
  setsid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  ChildStdio(p);
  ChildJoinCgroup(p);
  ChildLimits(p);
  ChildExec(p);
}

std::string CgroupBase() {
  static const std::string base = [] {
    // cgroup v1's memory controller, else v2 with memory delegated to our subtree.
    const std::string v1 = "/sys/fs/cgroup/memory/cenote-sandbox";
    if ((mkdir(v1.c_str(), 0755) == 0 || errno == EEXIST) &&
        access((v1 + "/cgroup.procs").c_str(), W_OK) == 0) {
      return v1;
    }
    const std::string v2 = "/sys/fs/cgroup/cenote-sandbox";
    if (ReadText("/sys/fs/cgroup/cgroup.controllers").find("memory") != std::string::npos &&
        WriteText("/sys/fs/cgroup/cgroup.subtree_control", "+memory") &&
        (mkdir(v2.c_str(), 0755) == 0 || errno == EEXIST) &&
        WriteText(v2 + "/cgroup.subtree_control", "+memory")) {
      return v2;
    }
    return std::string();
  }();
  return base;
}

bool IsV1(const std::string& dir) { return dir.find("/memory/") != std::string::npos; }

Result<std::string> MakeCgroup(std::int64_t memory_bytes) {
  const std::string base = CgroupBase();
  if (base.empty() || memory_bytes <= 0) return std::string();
  std::string dir = base + "/" + RandomHex(8);
  if (mkdir(dir.c_str(), 0755) != 0) return std::string();
  const std::string limit = std::to_string(memory_bytes);
  bool ok =
      IsV1(dir) ? WriteText(dir + "/memory.limit_in_bytes", limit) : WriteText(dir + "/memory.max", limit);
  if (IsV1(dir)) {
    WriteText(dir + "/memory.memsw.limit_in_bytes", limit);  // absent without swap accounting
  } else {
    WriteText(dir + "/memory.swap.max", "0");
  }
  if (!ok) {
    rmdir(dir.c_str());
    return std::string();
  }
  return dir;
}

bool CgroupOomKilled(const std::string& dir) {
  const std::string text = ReadText(dir + (IsV1(dir) ? "/memory.oom_control" : "/memory.events"));
  auto at = text.find("oom_kill ");
  if (at != std::string::npos) return std::atol(text.c_str() + at + 9) > 0;
  if (IsV1(dir)) return std::atol(ReadText(dir + "/memory.failcnt").c_str()) > 0;
  return false;
}

Result<Prepared> Prepare(const SandboxSpec& spec, Sandbox::Mode mode, const std::string& cgroup) {
  Prepared p;
  p.argv_s = spec.argv;
  p.env_s = spec.env;
  for (auto& a : p.argv_s) p.argv.push_back(a.data());
  p.argv.push_back(nullptr);
  for (auto& e : p.env_s) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  p.cwd = spec.cwd;
  p.output_fd = spec.output_fd;
  p.error_fd = spec.error_fd;
  if (!cgroup.empty()) p.cgroup_procs = cgroup + "/cgroup.procs";
  if (cgroup.empty() && spec.address_space_limit) p.rlimit_as = spec.memory_bytes;
  if (mode == Sandbox::Mode::kNamespaces) {
    const uid_t uid = geteuid();
    const gid_t gid = getegid();
    p.drop_to_nobody = uid == 0;
    p.uid_map = "0 " + std::to_string(uid) + " 1\n" + (p.drop_to_nobody ? "1 65534 1\n" : "");
    p.gid_map = "0 " + std::to_string(gid) + " 1\n" + (p.drop_to_nobody ? "1 65534 1\n" : "");
    p.tmp_options = "size=" + std::to_string(spec.tmp_bytes) + ",mode=1777";
    p.hide = spec.hide;
    for (const SandboxBind& b : spec.binds) {
      int fd = open(b.source.c_str(), O_PATH | O_CLOEXEC | O_DIRECTORY);
      if (fd < 0) {
        for (auto& done : p.binds) close(done.fd);
        return MakeError("InternalError", "sandbox bind source missing: " + b.source, 500);
      }
      struct statvfs vfs {};
      unsigned long locked = 0;
      if (fstatvfs(fd, &vfs) == 0) {
        if (vfs.f_flag & ST_NOSUID) locked |= MS_NOSUID;
        if (vfs.f_flag & ST_NODEV) locked |= MS_NODEV;
        if (vfs.f_flag & ST_NOEXEC) locked |= MS_NOEXEC;
      }
      p.binds.push_back(
          Prepared::Bind{.fd = fd, .source = b.source, .target = b.target, .locked_flags = locked});
    }
  }
  return p;
}

Result<SandboxProcess> SpawnWith(const SandboxSpec& spec, Sandbox::Mode mode) {
  SandboxProcess process;
  CENOTE_ASSIGN_OR_RETURN(process.cgroup, MakeCgroup(spec.memory_bytes));
  CENOTE_ASSIGN_OR_RETURN(Prepared p, Prepare(spec, mode, process.cgroup));
  int ready[2], go[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return InternalError("pipe failed");
  if (pipe2(go, O_CLOEXEC) != 0) {
    close(ready[0]);
    close(ready[1]);
    return InternalError("pipe failed");
  }
  p.keep_fds = {ready[1], go[0], p.output_fd, p.error_fd};
  for (const Prepared::Bind& b : p.binds) p.keep_fds.push_back(b.fd);
  std::sort(p.keep_fds.begin(), p.keep_fds.end());
  pid_t pid = fork();
  if (pid == 0) {
    CloseServerDescriptorsBut(p.keep_fds);
    close(ready[0]);
    close(go[1]);
    if (mode == Sandbox::Mode::kNamespaces) NamespacedChild(p, ready[1], go[0]);
    PlainChild(p);
  }
  close(ready[1]);
  close(go[0]);
  if (pid > 0 && mode == Sandbox::Mode::kNamespaces) {
    // The child has its user namespace: map it (an unprivileged server may only map its own ids, after
    // denying setgroups), then let it go on.
    char byte = 0;
    bool ok = read(ready[0], &byte, 1) == 1;
    const std::string proc = "/proc/" + std::to_string(pid);
    if (ok && !p.drop_to_nobody) WriteText(proc + "/setgroups", "deny");
    ok = ok && WriteText(proc + "/uid_map", p.uid_map) && WriteText(proc + "/gid_map", p.gid_map);
    byte = ok ? 1 : 0;
    (void)!write(go[1], &byte, 1);
  }
  close(ready[0]);
  close(go[1]);
  for (auto& b : p.binds) close(b.fd);
  if (pid < 0) {
    if (!process.cgroup.empty()) rmdir(process.cgroup.c_str());
    return MakeError("InternalError", std::string("fork failed: ") + strerror(errno), 500);
  }
  process.pid = pid;
  process.supervised = mode == Sandbox::Mode::kNamespaces;
  return process;
}

Sandbox::Mode ProbeOnce() {
  SandboxSpec spec;
  spec.argv = {"/bin/true"};
  spec.cwd = "/";
  auto process = SpawnWith(spec, Sandbox::Mode::kNamespaces);
  if (process) {
    SandboxExit exit = Sandbox::Wait(*process);
    if (exit.exited && exit.code == 0) {
      spdlog::info("sandbox: user, mount and PID namespaces available; memory limits by {}",
                   CgroupBase().empty() ? "RLIMIT_AS" : "cgroup " + CgroupBase());
      return Sandbox::Mode::kNamespaces;
    }
  }
  spdlog::warn(
      "sandbox: user namespaces are not available on this host; sandboxed programs run as plain "
      "processes with rlimits (no filesystem isolation); memory limits by {}",
      CgroupBase().empty() ? "RLIMIT_AS" : "cgroup " + CgroupBase());
  return Sandbox::Mode::kPlain;
}

}  // namespace

Sandbox::Mode Sandbox::Probe() {
  static const Mode mode = ProbeOnce();
  return mode;
}

bool Sandbox::HasMemoryCgroup() { return !CgroupBase().empty(); }

Result<SandboxProcess> Sandbox::Spawn(const SandboxSpec& spec) {
  if (spec.argv.empty()) return MakeError("InternalError", "sandbox: no program", 500);
  return SpawnWith(spec, Probe());
}

void Sandbox::Kill(const SandboxProcess& process) {
  if (process.pid > 0) {
    kill(-process.pid, SIGKILL);  // the session (kPlain: the program and its children)
    kill(process.pid, SIGKILL);
  }
  if (!process.cgroup.empty() && IsV1(process.cgroup) == false) {
    WriteText(process.cgroup + "/cgroup.kill", "1");
  }
}

SandboxExit Sandbox::Wait(SandboxProcess& process) {
  SandboxExit exit;
  if (process.pid <= 0) return exit;
  int status = 0;
  while (waitpid(process.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    exit.exited = true;
    exit.code = WEXITSTATUS(status);
    if (process.supervised && exit.code > 128) {  // the supervisor reports its child's signal
      exit.exited = false;
      exit.signal = exit.code - 128;
    }
  } else if (WIFSIGNALED(status)) {
    exit.signal = WTERMSIG(status);
  }
  process.pid = -1;
  if (!process.cgroup.empty()) {
    exit.out_of_memory = CgroupOomKilled(process.cgroup);
    for (int i = 0; i < 50 && rmdir(process.cgroup.c_str()) != 0 && errno == EBUSY; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    process.cgroup.clear();
  }
  return exit;
}

}  // namespace cenote::services
