"""End-to-end test harness: starts a real server (Cenote, or moto as a stand-in) and runs unittest suites.

Standard library only: it must run under Debian's /usr/bin/python3 and under a pyenv Python alike.

Environment:
  CENOTE_BIN          path to the `cenote` binary (required unless CENOTE_E2E_TARGET=moto)
  CENOTE_E2E_TARGET   `cenote` (default) or `moto`: run the same tests against moto's server mode, so the
                      tests themselves can be validated without Cenote. Tests that moto cannot pass
                      (signature checks, kill -9 durability) are skipped in moto mode only.
  CENOTE_MOTO_PYTHON  interpreter that has moto installed (default: the first of this interpreter,
                      ~/.pyenv/shims/python3 and python3 on PATH that can import moto.server)
  CENOTE_E2E_VERBOSE  1 to print every test name as it runs

Every server is bound to 127.0.0.1 on a free port, gets a fresh temp data dir and fixed root credentials,
and is stopped by PID (SIGTERM, then SIGKILL after a bound). Every wait is bounded.
"""

import contextlib
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

ACCESS_KEY_ID = "AKIACENOTEE2ETEST001"
SECRET_ACCESS_KEY = "cenote-e2e-secret-access-key-0000000000"
REGION = "us-east-1"

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def target():
    value = os.environ.get("CENOTE_E2E_TARGET", "cenote").strip().lower() or "cenote"
    if value not in ("cenote", "moto"):
        raise SystemExit(f"CENOTE_E2E_TARGET must be 'cenote' or 'moto', got {value!r}")
    return value


def is_moto():
    return target() == "moto"


def skip_on_moto(reason):
    """Decorator: the test checks something moto does not implement (signatures, durability)."""
    return unittest.skipIf(is_moto(), f"moto cannot pass this: {reason}")


def free_port():
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _moto_python():
    env = os.environ.get("CENOTE_MOTO_PYTHON")
    candidates = [env] if env else []
    candidates += [sys.executable, os.path.expanduser("~/.pyenv/shims/python3"), shutil.which("python3")]
    for c in candidates:
        if not c or not os.path.exists(c):
            continue
        try:
            r = subprocess.run([c, "-c", "import moto.server"], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            return c
    raise RuntimeError("no Python with moto found (set CENOTE_MOTO_PYTHON)")


class Server:
    """One server process. `endpoint`, `access_key`, `secret_key`, `region`, `data_dir` are for clients."""

    def __init__(self, data_dir=None, keep_data_dir=False, tls=False, extra_args=()):
        self.kind = target()
        self.tls = tls  # HTTPS with a self-signed certificate (clients must not verify it)
        self.extra_args = list(extra_args)  # more `cenote serve` flags (ignored for moto)
        self.access_key = ACCESS_KEY_ID
        self.secret_key = SECRET_ACCESS_KEY
        self.region = REGION
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="cenote-e2e-")
        self._keep = keep_data_dir
        self.log_path = os.path.join(tempfile.gettempdir(), f"cenote-e2e-{os.getpid()}-{id(self)}.log")
        self.proc = None
        self.port = None
        self.endpoint = None
        self.start_seconds = None  # wall time from spawn to ready, for benchmarks/diagnostics
        self._log = None
        self._reader = None
        self._ready = threading.Event()
        self._ready_url = None

    # ---------------------------------------------------------------- lifecycle
    def start(self):
        if self.proc is not None:
            raise RuntimeError("server already running")
        self.port = free_port()
        env = dict(os.environ)
        if self.kind == "cenote":
            binary = os.environ.get("CENOTE_BIN")
            if not binary or not os.access(binary, os.X_OK):
                raise RuntimeError(f"CENOTE_BIN is not an executable file: {binary!r}")
            env["CENOTE_ROOT_ACCESS_KEY_ID"] = self.access_key
            env["CENOTE_ROOT_SECRET_ACCESS_KEY"] = self.secret_key
            env["CENOTE_REGION"] = self.region
            argv = [binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", self.data_dir]
            if self.tls:
                argv.append("--tls-self-signed")
            argv += self.extra_args
        else:
            argv = [_moto_python(), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
            if self.tls:
                argv.append("-s")
            env["AWS_ACCESS_KEY_ID"] = self.access_key
            env["AWS_SECRET_ACCESS_KEY"] = self.secret_key
            env["AWS_DEFAULT_REGION"] = self.region
        self._ready.clear()
        self._ready_url = None
        self._log = open(self.log_path, "ab")
        self._log.write(f"==== start {' '.join(argv)}\n".encode())
        self._log.flush()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log,
                                     env=env, start_new_session=True)
        self._reader = threading.Thread(target=self._read_stdout, args=(self.proc, self._log), daemon=True)
        self._reader.start()
        try:
            self._wait_ready(t0)
        except Exception:
            self.kill9()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def _read_stdout(self, proc, log):
        for raw in iter(proc.stdout.readline, b""):
            with contextlib.suppress(ValueError):
                log.write(raw)
                log.flush()
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith("cenote ready on "):
                self._ready_url = line[len("cenote ready on "):].strip()
                self._ready.set()

    def _wait_ready(self, t0):
        deadline = t0 + START_TIMEOUT_S
        if self.kind == "cenote":
            while time.monotonic() < deadline:
                if self._ready.wait(0.05):
                    self.endpoint = self._ready_url.rstrip("/")
                    port = self.endpoint.rsplit(":", 1)[-1]
                    self.port = int(port) if port.isdigit() else self.port
                    return
                if self.proc.poll() is not None:
                    break
        else:
            self.endpoint = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"
            ctx = None
            if self.tls:
                import ssl
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1, context=ctx).read()
                    return
                except urllib.error.HTTPError:
                    return  # it answered
                except OSError:
                    time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not become ready within {START_TIMEOUT_S}s "
                           f"(exit code {self.proc.poll()}); log tail:\n{self.log_tail()}")

    def stop(self):
        """SIGTERM, then SIGKILL after STOP_TIMEOUT_S. Returns the exit code."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait(STOP_TIMEOUT_S)
        self._finish(proc)
        return proc.returncode

    def kill9(self):
        """Crash the server (SIGKILL to its PID), as a power cut would, minus the page cache."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(STOP_TIMEOUT_S)
        self._finish(proc)

    def _finish(self, proc):
        if self._reader is not None:
            self._reader.join(5)
            self._reader = None
        with contextlib.suppress(Exception):
            proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self, crash=True):
        """kill -9 (or a clean stop) and start again on the same data dir, on a new free port."""
        if crash:
            self.kill9()
        else:
            self.stop()
        return self.start()

    def close(self):
        self.stop()
        if self._own_dir and not self._keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def rss_kib(self):
        """Resident set size of the server process (KiB), or None."""
        if self.proc is None:
            return None
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    # ---------------------------------------------------------------- client helpers
    def client_env(self, config_file=None):
        """Environment for AWS CLI subprocesses: env-only configuration, nothing read from ~/.aws."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_PAGER": "",
            "AWS_EC2_METADATA_DISABLED": "true",
        })
        if config_file:
            env["AWS_CONFIG_FILE"] = config_file
            env["AWS_SHARED_CREDENTIALS_FILE"] = config_file
        return env

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


def marked_bytes(size, marker):
    """`size` bytes made of `marker` + a counter, so that a scan of the data directory finds them if stored in
    the clear."""
    out = bytearray()
    n = 0
    while len(out) < size:
        out += marker + str(n).encode() + b";"
        n += 1
    return bytes(out[:size])


def data_dir_holds(server, needle):
    """Whether any file of `server`'s data directory (blobs, metadata, WAL, caches) contains `needle`."""
    for root, _dirs, files in os.walk(server.data_dir):
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as f:
                    if needle in f.read():
                        return True
            except OSError:
                pass
    return False


def member_account(server, account_name="member"):
    """(account id, credentials) of a new member account of the server's organization (created if need be),
    reached as a user would: an administrator user of the management account assumes the new account's
    OrganizationAccountAccessRole (the management account's root may not assume roles, as on AWS)."""
    import json
    import time
    import uuid
    import boto3
    from botocore.exceptions import ClientError
    org = boto3_client(server, "organizations")
    try:
        org.create_organization(FeatureSet="ALL")
    except ClientError as e:
        if e.response["Error"]["Code"] != "AlreadyInOrganizationException":
            raise
    status = org.create_account(Email=f"{uuid.uuid4().hex[:8]}@example.com",
                                AccountName=account_name)["CreateAccountStatus"]
    for _ in range(100):  # bounded
        status = org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
        if status["State"] != "IN_PROGRESS":
            break
        time.sleep(0.1)
    if status["State"] != "SUCCEEDED":
        raise AssertionError(f"CreateAccount: {status}")
    account = status["AccountId"]
    iam = boto3_client(server, "iam")
    admin = "org-admin-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=admin)
    iam.put_user_policy(UserName=admin, PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Resource": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}]}))
    key = iam.create_access_key(UserName=admin)["AccessKey"]
    sts = boto3.session.Session().client("sts", endpoint_url=server.endpoint, region_name=server.region,
                                         aws_access_key_id=key["AccessKeyId"],
                                         aws_secret_access_key=key["SecretAccessKey"])
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                            RoleSessionName="admin")["Credentials"]
    return account, creds


def error_of(fn, **kwargs):
    """(HTTP status, error code) of a boto3 call that must fail; AssertionError when it succeeds."""
    from botocore.exceptions import ClientError
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    raise AssertionError(f"{getattr(fn, '__name__', fn)} succeeded")


def boto3_client(server, service="s3", addressing_style="path", **config_kwargs):
    """A boto3 client for `server` (boto3 is imported here so this module stays standard-library only)."""
    import boto3
    from botocore.config import Config
    cfg = dict(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)
    if service == "s3":
        cfg["s3"] = {"addressing_style": addressing_style}
        cfg["signature_version"] = "s3v4"
    cfg.update(config_kwargs)
    return boto3.session.Session().client(
        service, endpoint_url=server.endpoint, region_name=server.region, verify=not server.tls,
        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
        config=Config(**cfg))


def aws_cli():
    """The AWS CLI the tests drive: `CENOTE_AWS_CLI`, else `aws` on PATH."""
    return os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws") or "aws"


@functools.lru_cache(maxsize=None)
def aws_cli_major():
    """The CLI's major version (1 or 2; 0 when it does not say)."""
    out = subprocess.run([aws_cli(), "--version"], capture_output=True, text=True, timeout=60)
    text = (out.stdout + out.stderr).strip()
    return int(text.split("/", 1)[1].split(".", 1)[0]) if text.startswith("aws-cli/") else 0


class CliCase(unittest.TestCase):
    """A test case that drives the AWS CLI (`CENOTE_AWS_CLI`, else `aws` on PATH) against the server its module
    names in `server()`, configured by environment variables only (an empty config file, nothing from ~/.aws)
    and --endpoint-url on every call."""

    timeout_s = 120

    def server(self):
        raise NotImplementedError("a CliCase subclass names its server")

    def setUp(self):
        self._cli_dir = tempfile.mkdtemp(prefix="cenote-e2e-cli-")
        config = os.path.join(self._cli_dir, "empty-config")
        open(config, "w").close()
        self.env = self.server().client_env(config_file=config)
        self.addCleanup(shutil.rmtree, self._cli_dir, True)

    def aws(self, *args, check=True, env=None):
        """The finished process; with `check`, a non-zero exit fails the test with the CLI's stderr."""
        r = subprocess.run([aws_cli(), "--endpoint-url", self.server().endpoint, "--no-cli-pager", *args],
                           capture_output=True, text=True, env=env or self.env, timeout=self.timeout_s)
        if check and r.returncode != 0:
            self.fail(f"aws {' '.join(args)}: exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def aws_json(self, *args, env=None):
        """The call's JSON output ({} when it prints nothing)."""
        r = self.aws(*args, "--output", "json", env=env)
        return json.loads(r.stdout) if r.stdout.strip() else {}


def create_service_role(server, role_arn, service, actions=("s3:*", "glue:*", "kinesis:*")):
    """Creates the IAM role `role_arn` names ("arn:aws:iam::<account>:role/<path/>name"), trusted by the AWS
    service `service` ("firehose.amazonaws.com", "glue.amazonaws.com") and allowed `actions` on every resource,
    as a user sets up a delivery stream's or a crawler's role before using it. Idempotent."""
    from botocore.exceptions import ClientError
    path_and_name = role_arn.split(":role/", 1)[1]
    path, _, name = path_and_name.rpartition("/")
    iam = boto3_client(server, "iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    try:
        iam.create_role(RoleName=name, Path=f"/{path}/" if path else "/", AssumeRolePolicyDocument=json.dumps(trust))
    except ClientError as e:
        if e.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
    iam.put_role_policy(RoleName=name, PolicyName="access", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))


# ---------------------------------------------------------------- running suites
class _CountingResult(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main(module_name="__main__", server_holder=None):
    """Runs the unittest tests of `module_name`, prints `N passed, N failed` last, exits non-zero on failure.

    Skips count as neither (they are listed with their reason). If `server_holder` has a `server` attribute
    and something failed, the tail of the server's log is printed to help diagnose.
    """
    verbosity = 2 if os.environ.get("CENOTE_E2E_VERBOSE") or "-v" in sys.argv else 1
    argv = [a for a in sys.argv[1:] if a != "-v"]
    loader = unittest.TestLoader()
    module = sys.modules[module_name]
    suite = loader.loadTestsFromNames(argv, module) if argv else loader.loadTestsFromModule(module)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=verbosity, resultclass=_CountingResult)
    print(f"target: {target()}  python: {sys.executable}", flush=True)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    if result.skipped:
        for test, reason in result.skipped:
            print(f"skipped {test.id()}: {reason}")
    print(f"{result.passed} passed, {failed} failed, {len(result.skipped)} skipped", flush=True)
    sys.exit(1 if failed or result.testsRun == 0 else 0)
