"""Runs docs/lake-walkthrough.md (or $CENOTE_WALKTHROUGH_DOC: docs/streaming-walkthrough.md runs as
e2e.firehose.walkthrough): its ```sh blocks in order, in one bash, against a fresh server, with the AWS
CLI at $CENOTE_AWS_CLI (default: `aws` on PATH), and compares each block's output with the plain ``` block
that follows it in the document (`<QID>` there matches any query execution id).

The first ```sh block (starting the server) is skipped: the harness starts it. The endpoint and credentials in
the document are replaced by the harness's. Bounded: the whole script has a time limit.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/glue_athena/test_walkthrough.py [-v]
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import harness  # noqa: E402

DOC = os.environ.get("CENOTE_WALKTHROUGH_DOC") or os.path.normpath(
    os.path.join(HERE, "..", "..", "..", "docs", "lake-walkthrough.md"))
CLI = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
SCRIPT_TIMEOUT_S = 600
DOC_KEY = "AKIAWALKTHROUGH00001"
DOC_SECRET = "walkthrough-secret-key-000000000000000"
DOC_ENDPOINT = "http://127.0.0.1:4566"


def blocks(text):
    """[(lang, body)] of the fenced code blocks, in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```\s*$", text, re.M | re.S)]


def pairs(text):
    """[(sh_body, expected_output or None)] for the ```sh blocks, the first (server start) excluded."""
    out = []
    for lang, body in blocks(text):
        if lang == "sh":
            out.append([body, None])
        elif lang == "" and out:
            out[-1][1] = body
    return [tuple(p) for p in out[1:]]


def matches(expected, actual):
    exp = [l.rstrip() for l in expected.strip("\n").splitlines()]
    act = [l.rstrip() for l in actual.strip("\n").splitlines()]
    if len(exp) != len(act):
        return False
    for e, a in zip(exp, act):
        pattern = "^" + re.escape(e).replace(re.escape("<QID>"), "[0-9a-fA-F-]+") + "$"
        if not re.match(pattern, a):
            return False
    return True


class WalkthroughTests(unittest.TestCase):
    def test_walkthrough_commands_and_outputs(self):
        with open(DOC) as f:
            steps = pairs(f.read())
        self.assertGreaterEqual(len(steps), 5)
        work = tempfile.mkdtemp(prefix="cenote-e2e-walkthrough-")
        server = harness.Server()
        try:
            server.start()
            os.makedirs(os.path.join(work, "bin"))
            os.symlink(os.path.abspath(shutil.which(CLI) or CLI), os.path.join(work, "bin", "aws"))
            empty = os.path.join(work, "empty-config")
            open(empty, "w").close()
            script = ["set -euo pipefail"]
            for i, (body, _) in enumerate(steps):
                body = body.replace(DOC_ENDPOINT, server.endpoint).replace(DOC_KEY, server.access_key)
                body = body.replace(DOC_SECRET, server.secret_key)
                script += [f"echo '@@step {i}@@'", f"echo '@@step {i}@@' >&2", body]
            script.append("echo '@@end@@'")
            env = server.client_env(config_file=empty)
            env["PATH"] = os.path.join(work, "bin") + os.pathsep + env.get("PATH", "")
            try:
                r = subprocess.run(["bash", "-c", "\n".join(script)], cwd=work, env=env, capture_output=True,
                                   text=True, timeout=SCRIPT_TIMEOUT_S)
            except subprocess.TimeoutExpired as e:
                self.fail(f"walkthrough did not finish within {SCRIPT_TIMEOUT_S}s; stdout so far:\n{e.stdout}")
            outputs = re.split(r"^@@step (\d+)@@\n", r.stdout, flags=re.M)
            by_step = {int(outputs[k]): outputs[k + 1] for k in range(1, len(outputs) - 1, 2)}
            last = max(by_step) if by_step else -1
            self.assertEqual(r.returncode, 0, f"step {last} failed:\n{steps[last][0] if last >= 0 else ''}\n"
                                              f"stdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-3000:]}")
            self.assertIn("@@end@@", by_step.get(len(steps) - 1, ""))
            by_step[len(steps) - 1] = by_step[len(steps) - 1].replace("@@end@@\n", "")
            for i, (body, expected) in enumerate(steps):
                if expected is None:
                    continue
                with self.subTest(step=i):
                    self.assertTrue(matches(expected, by_step.get(i, "")),
                                    f"step {i}:\n{body}\nexpected:\n{expected}\nactual:\n{by_step.get(i, '')}")
        finally:
            server.close()
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    harness.main()
