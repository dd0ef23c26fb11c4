#!/usr/bin/env python3
"""The upstream S3 conformance suite (ceph/s3-tests, pinned in ../shared/third_party/s3-tests) against the real
binary, judged by a checked-in list of expected passes that only grows.

Runs test_s3.py, test_headers.py and test_iam.py with Debian's pytest, deselecting `fails_on_aws` (behaviour real
S3 does not have) and `iam_tenant` (test_iam.py's tests that use one id as both an S3 canonical user id and an IAM
user name, as Ceph does; on AWS they differ, and test_s3.py's ACL tests need the canonical id). A newer botocore
(for request members Debian's 2022 botocore lacks) comes first on PYTHONPATH when --new-python names an
interpreter that has one. The suite's `alt` and `tenant` users are real second identities: IAM users of accounts
of their own, made through Organizations, IAM and STS as a user would (second_identities). `iam root` is the data
directory's root user and `iam alt root` the root user of another account, whose key the server is given with
--account-root-keys. Clients the suite makes with region_name='' sign for the server's region (s3tests_region.py).
test_sts.py is not run: its tests assume Ceph's account-less ARNs (arn:aws:iam:::role/...), Ceph's
`sts:authentication` condition key, identity policies with a Principal (which IAM refuses) and a Keycloak server.
Tests that use the `iam` section (Ceph's user-id-is-user-name semantics; needs-second-identity.txt) are given the
root credentials and are not judged.

Lifecycle days last 10 seconds (cenote serve --lifecycle-day-seconds, given to the suite as lc_debug_interval,
as Ceph's rgw_lc_debug_interval does), and the suite's extra storage classes are INTELLIGENT_TIERING and GLACIER_IR.

New buckets get AWS's pre-April-2023 defaults (CENOTE_S3_NEW_BUCKET_DEFAULTS=legacy: ACLs in force, no public
access block), which the suite assumes.

Tests that real S3 fails too, though the suite does not mark them fails_on_aws, are listed in exclusions.txt
with the reason, deselected and not judged.

Verdict: a test on expected-pass.txt that does not pass fails the run; a test off the list that passes is
reported, to be added (`--update` rewrites the list from this run's passes). The closing line is
`N passed, N failed` (failed = expected passes that did not pass).

Usage: run_s3tests.py [--suite DIR] [--new-python PATH] [--update] [-k EXPR]   (CENOTE_BIN names the binary)
"""
import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
DEFAULT_SUITE = os.path.join(os.path.dirname(ROOT), "shared", "third_party", "s3-tests")
FILES = ["s3tests/functional/test_s3.py", "s3tests/functional/test_headers.py", "s3tests/functional/test_iam.py"]
# The other account whose root user is `iam alt root` (not in the organization: any account may be another's).
ALT_ROOT_ACCOUNT = "222222222222"
ALT_ROOT_KEY = ("AKIACENOTEALTROOT001", "cenote-s3tests-alt-root-secret")
EXPECTED = os.path.join(HERE, "expected-pass.txt")
EXCLUSIONS = os.path.join(HERE, "exclusions.txt")
SECOND_IDENTITY_LIST = os.path.join(HERE, "needs-second-identity.txt")
# The suite's lifecycle tests wait a few lc_debug_interval seconds for days to pass (Ceph's rgw_lc_debug_interval):
# the server's lifecycle day lasts as long.
LC_DAY_SECONDS = 10
EXTRA_STORAGE_CLASSES = "INTELLIGENT_TIERING, GLACIER_IR"

# The suite's accessors of the identity of its `iam` section (s3tests/functional/__init__.py), which gets the
# root's credentials here: tests that use them are not judged. (`alt`, `tenant`, `iam root` and `iam alt root`
# are real identities.)
SECOND_IDENTITY = {"get_alt_iam_client", "get_tenant_iam_client", "get_iam_client", "get_iam_s3client"}


def needs_second_identity(path):
    """Names of the test functions in `path` that use the `iam` identity, directly or through a helper of the
    same module (the closure over the module's call graph). A call of an accessor that passes its own
    aws_access_key_id (a key the test just created) is not a use of it."""
    tree = ast.parse(open(path).read(), filename=path)
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    calls = {}
    uses = set()
    for name, f in functions.items():
        calls[name] = {n.id for n in ast.walk(f) if isinstance(n, ast.Name)}
        for n in ast.walk(f):
            if (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in SECOND_IDENTITY
                    and not any(k.arg == "aws_access_key_id" for k in n.keywords)):
                uses.add(name)
    marked = set(uses)
    for _ in range(len(functions)):  # bounded fixpoint
        grown = {name for name, used in calls.items() if used & marked} - marked
        if not grown:
            break
        marked |= grown
    return {name for name in marked if name.startswith("test_")}


def root_owner(server):
    """The root principal's canonical user id and display name, as S3 reports owners (the suite compares ACL
    grantees and owners with its configured user_id and display_name)."""
    owner = harness.boto3_client(server).list_buckets()["Owner"]
    return owner["ID"], owner["DisplayName"]


def exclusions():
    """{"test_s3.py::name": reason} from exclusions.txt: tests real S3 fails too, not judged."""
    out = {}
    if os.path.exists(EXCLUSIONS):
        for line in open(EXCLUSIONS):
            if line.strip() and not line.startswith("#"):
                test, _, reason = line.strip().partition(" ")
                out[test] = reason.strip()
    return out


def second_identities(server, names):
    """{name: (access key, secret, canonical id, display name)}: for each name, an IAM user with S3 rights in an
    account of its own, made as a user would: Organizations' CreateAccount, then OrganizationAccountAccessRole
    assumed by an administrator of the management account, then IAM in the new account."""
    import json
    import time
    import boto3
    from botocore.config import Config
    cfg = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}, signature_version="s3v4")

    def client(service, creds):
        return boto3.session.Session().client(
            service, endpoint_url=server.endpoint, region_name=server.region, config=cfg,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken"))

    iam = harness.boto3_client(server, "iam")
    iam.create_user(UserName="s3tests-admin")
    iam.put_user_policy(UserName="s3tests-admin", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Resource": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}]}))
    admin = iam.create_access_key(UserName="s3tests-admin")["AccessKey"]
    org = harness.boto3_client(server, "organizations")
    org.create_organization(FeatureSet="ALL")
    out = {}
    for name in names:
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
        for _ in range(200):  # bounded
            status = org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
            if status["State"] != "IN_PROGRESS":
                break
            time.sleep(0.05)
        if status["State"] != "SUCCEEDED":
            raise RuntimeError(f"CreateAccount for {name}: {status}")
        role = f"arn:aws:iam::{status['AccountId']}:role/OrganizationAccountAccessRole"
        session = client("sts", admin).assume_role(RoleArn=role, RoleSessionName="s3tests")["Credentials"]
        member_iam = client("iam", session)
        member_iam.create_user(UserName=name)
        member_iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
        key = member_iam.create_access_key(UserName=name)["AccessKey"]
        owner = client("s3", key).list_buckets()["Owner"]
        out[name] = (key["AccessKeyId"], key["SecretAccessKey"], owner["ID"], owner.get("DisplayName", name))
    return out


def write_config(path, server):
    main_id, main_display = root_owner(server)
    others = second_identities(server, ["alt", "tenant"])

    def user(section, display, user_id, email, extra="", key=None):
        access, secret = key or (server.access_key, server.secret_key)
        return (f"[{section}]\ndisplay_name = {display}\nuser_id = {user_id}\nemail = {email}\n"
                f"access_key = {access}\nsecret_key = {secret}\n{extra}")
    with open(path, "w") as f:
        f.write(f"[DEFAULT]\nhost = 127.0.0.1\nport = {server.port}\nis_secure = False\nssl_verify = False\n"
                "[fixtures]\nbucket prefix = s3t-{random}-\niam name prefix = s3-tests-\n"
                "iam path prefix = /s3-tests/\n")
        # The suite's SSE-KMS tests encrypt under two customer keys of the main account.
        kms = harness.boto3_client(server, "kms")
        key1 = kms.create_key(Description="s3-tests kms_keyid")["KeyMetadata"]["Arn"]
        key2 = kms.create_key(Description="s3-tests kms_keyid2")["KeyMetadata"]["Arn"]
        # Lifecycle days last LC_DAY_SECONDS (the server's --lifecycle-day-seconds, the suite's lc_debug_interval);
        # the extra storage classes are ones S3 transitions to with no minimum number of days and reads
        # without a restore.
        f.write(user("s3 main", main_display, main_id, "main@example.com",
                     f"api_name = default\nkms_keyid = {key1}\nkms_keyid2 = {key2}\n"
                     f"lc_debug_interval = {LC_DAY_SECONDS}\nstorage_classes = {EXTRA_STORAGE_CLASSES}\n"))
        # Second identities: IAM users of accounts of their own (second_identities).
        a_key, a_secret, a_id, a_display = others["alt"]
        f.write(user("s3 alt", a_display, a_id, "alt@example.com", key=(a_key, a_secret)))
        t_key, t_secret, t_id, t_display = others["tenant"]
        f.write(user("s3 tenant", t_display, t_id, "tenant@example.com", "tenant = tenant\n", key=(t_key, t_secret)))
        f.write(user("iam", "iam", "iam", "iam@example.com"))
        # The root users of two accounts: user_id is what S3 ACL grants name them by (the canonical user id).
        f.write(user("iam root", main_display, main_id, "main@example.com"))
        alt_id = alt_root_canonical_id(server)
        f.write(user("iam alt root", "iam alt root", alt_id, "altroot@example.com", key=ALT_ROOT_KEY))


def alt_root_canonical_id(server):
    """The canonical user id of the `iam alt root` account, as S3 reports its owner."""
    import boto3
    s3 = boto3.session.Session().client("s3", endpoint_url=server.endpoint, region_name=server.region,
                                        aws_access_key_id=ALT_ROOT_KEY[0], aws_secret_access_key=ALT_ROOT_KEY[1])
    return s3.list_buckets()["Owner"]["ID"]


def newer_botocore_path(new_python, work):
    """A directory holding only boto3, botocore and s3transfer of `new_python`, to put first on PYTHONPATH."""
    if not new_python or not os.access(new_python, os.X_OK):
        return None
    out = subprocess.run([new_python, "-c", "import boto3, botocore, s3transfer, os; "
                          "print('\\n'.join(os.path.dirname(m.__file__) for m in (boto3, botocore, s3transfer)))"],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        return None
    shim = os.path.join(work, "newer-botocore")
    os.makedirs(shim, exist_ok=True)
    for package_dir in out.stdout.split():
        os.symlink(package_dir, os.path.join(shim, os.path.basename(package_dir)))
    return shim


def outcomes(junit_path):
    """{"test_s3.py::name": "passed" | "failed" | "error" | "skipped"} from pytest's JUnit XML."""
    result = {}
    for case in ET.parse(junit_path).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        key = f"{module}.py::{case.get('name')}"
        state = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                state = "failed" if child.tag == "failure" else child.tag
        result[key] = state
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", default=DEFAULT_SUITE)
    ap.add_argument("--new-python", default=os.environ.get("CENOTE_E2E_NEW_PYTHON", ""))
    ap.add_argument("--update", action="store_true", help="rewrite expected-pass.txt from this run's passes")
    ap.add_argument("-k", default=None, help="pytest -k expression (a partial run; never --update with it)")
    ap.add_argument("--files", default=None,
                    help="comma-separated subset of test_s3,test_headers,test_iam (a partial run, like -k)")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.suite, "s3tests")):
        print(f"s3-tests not found at {args.suite}", file=sys.stderr)
        return 2

    second = set()
    for rel in FILES:
        module = os.path.splitext(os.path.basename(rel))[0]
        second |= {f"{module}.py::{name}" for name in needs_second_identity(os.path.join(args.suite, rel))}

    work = tempfile.mkdtemp(prefix="cenote-s3tests-")
    # The suite predates AWS's April 2023 bucket defaults (ACLs disabled, public access blocked) and mostly
    # assumes the old ones (it marks the few tests of the new ones fails_on_aws), so its server makes new
    # buckets the old way; Cenote's default is AWS's current one, covered by tests/e2e/s3/test_bucket_configs.py.
    os.environ["CENOTE_S3_NEW_BUCKET_DEFAULTS"] = "legacy"
    import json
    keys = os.path.join(work, "account-root-keys.json")
    with open(keys, "w") as f:
        json.dump([{"AccountId": ALT_ROOT_ACCOUNT, "AccessKeyId": ALT_ROOT_KEY[0],
                    "SecretAccessKey": ALT_ROOT_KEY[1]}], f)
    server = harness.Server(extra_args=("--account-root-keys", keys, "--lifecycle-day-seconds", str(LC_DAY_SECONDS)))
    server.start()
    try:
        conf = os.path.join(work, "s3tests.conf")
        write_config(conf, server)
        env = dict(os.environ, S3TEST_CONF=conf, PYTHONDONTWRITEBYTECODE="1", S3TESTS_SIGNING_REGION=server.region)
        # s3tests_region.py (a pytest plugin, -p below): clients the suite makes with region_name='' sign for the
        # server's region.
        env["PYTHONPATH"] = HERE + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        shim = newer_botocore_path(args.new_python, work)
        if shim:
            env["PYTHONPATH"] = shim + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        junit = os.path.join(work, "junit.xml")
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "s3tests_region", "-q", "--timeout", "120",
                "-m", "not fails_on_aws and not iam_tenant", "--junitxml", junit, "-o", "junit_family=xunit1"]
        if args.k:
            argv += ["-k", args.k]
        excluded = exclusions()
        # Exact node ids, deselected by the plugin (pytest's --deselect would also drop every test whose name
        # starts with an excluded one's).
        env["S3TESTS_EXCLUDED"] = "\n".join("s3tests/functional/" + test for test in excluded)
        print(f"{len(excluded)} tests excluded (exclusions.txt, each with its reason)", flush=True)
        files = FILES
        if args.files:
            wanted = {f.strip() + ".py" for f in args.files.split(",")}
            files = [f for f in FILES if os.path.basename(f) in wanted]
        argv += files
        print(f"botocore: {'newer, from ' + args.new_python if shim else 'Debian'}", flush=True)
        with open(os.path.join(work, "pytest.log"), "w") as log:
            rc = subprocess.run(argv, cwd=args.suite, env=env, stdout=log, stderr=subprocess.STDOUT,
                                timeout=3000).returncode
        if rc not in (0, 1):  # 0: all passed, 1: some failed; anything else: the run itself broke
            print(f"pytest exited {rc}; see {os.path.join(work, 'pytest.log')}")
            print("0 passed, 1 failed")
            return 1
        ran = outcomes(junit)
    finally:
        server.close()

    judged = {k: v for k, v in ran.items() if k not in second}
    passed = {k for k, v in judged.items() if v == "passed"}
    expected = set()
    if os.path.exists(EXPECTED):
        expected = {line.strip() for line in open(EXPECTED) if line.strip() and not line.startswith("#")}
    partial = bool(args.k or args.files)
    if partial:
        expected &= set(ran)
    regressed = sorted(k for k in expected if ran.get(k) != "passed")
    new = sorted(passed - expected)

    second = {k for k in second if k in ran}  # the others were deselected (iam_tenant)
    second_passed = sum(1 for k, v in ran.items() if k in second and v == "passed")
    print(f"s3-tests ({', '.join(os.path.basename(f) for f in FILES)}, not fails_on_aws, not iam_tenant): "
          f"{len(ran)} ran; {len(second)} use the suite's `iam` section, not judged ({second_passed} of those ran and passed with "
          f"the root's credentials); of the other {len(judged)}, {len(passed)} passed "
          f"({100.0 * len(passed) / max(1, len(judged)):.1f}%)")
    for k in regressed:
        print(f"EXPECTED TO PASS, {ran.get(k, 'did not run')}: {k}")
    if new:
        print(f"{len(new)} passed that are not on expected-pass.txt (add them, or run with --update):")
        for k in new:
            print(f"  {k}")
    not_passed = sorted(k for k, v in judged.items() if v != "passed")
    if not_passed:  # what does not pass yet, each with its outcome: the work left
        print(f"{len(not_passed)} judged tests did not pass:")
        for k in not_passed:
            print(f"  {judged[k]}: {k}")
    if regressed or partial:
        print(f"pytest output: {os.path.join(work, 'pytest.log')}")
    if args.update and not partial:
        with open(EXPECTED, "w") as f:
            f.write("# Tests of ceph/s3-tests that pass against Cenote; a test here that fails fails CI.\n"
                    "# Written by run_s3tests.py --update; the list only grows.\n")
            for k in sorted(expected | passed):  # a test that regressed stays: fix it, do not drop it
                f.write(k + "\n")
        print(f"wrote {len(expected | passed)} tests to {EXPECTED}")
        with open(SECOND_IDENTITY_LIST, "w") as f:
            f.write("# Tests of ceph/s3-tests that use the suite's `iam` section (Ceph's user id that is also an IAM user\n"
                    "# name), given the root's credentials, so not judged. Written by run_s3tests.py --update.\n")
            for k in sorted(k for k in second if k in ran):
                f.write(k + "\n")
    # The bar: the share of test_s3.py and test_headers.py (not fails_on_aws, less the exclusions) that pass.
    core = {k: v for k, v in judged.items() if k.startswith(("test_s3.py::", "test_headers.py::"))}
    if core:
        core_passed = sum(1 for v in core.values() if v == "passed")
        print(f"test_s3.py + test_headers.py: {core_passed} of {len(core)} passed "
              f"({100.0 * core_passed / len(core):.1f}%; the bar is 95%)")
    print(f"{len(expected) - len(regressed)} passed, {len(regressed)} failed")
    if regressed:
        return 1
    if not partial:
        shutil.rmtree(work, ignore_errors=True)  # kept above for a failed run's pytest.log
    return 0


if __name__ == "__main__":
    sys.exit(main())
