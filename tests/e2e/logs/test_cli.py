"""CloudWatch Logs end to end with the AWS CLI v2 (Debian's /usr/bin/aws): create, put-log-events,
get-log-events (the CLI's paginator stops on the repeated token), filter-log-events, `aws logs tail` (once and
--follow, which polls FilterLogEvents), and start-query + get-query-results.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/logs/test_cli.py [-v]
"""

import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def now_ms():
    return int(time.time() * 1000)


class LogsCli(harness.CliCase):
    def server(self):
        return SERVER

    def setUp(self):
        super().setUp()
        self.group = f"/cli/{uuid.uuid4().hex[:10]}"
        self.aws("logs", "create-log-group", "--log-group-name", self.group)
        self.aws("logs", "create-log-stream", "--log-group-name", self.group, "--log-stream-name", "app")

    def put(self, *messages, stream="app"):
        t = now_ms() - len(messages)
        events = [{"timestamp": t + i, "message": m} for i, m in enumerate(messages)]
        return self.aws_json("logs", "put-log-events", "--log-group-name", self.group, "--log-stream-name", stream,
                             "--log-events", json.dumps(events))

    def test_put_get_filter(self):
        out = self.put(*[f"line {i}" for i in range(120)])
        self.assertIn("nextSequenceToken", out)
        # Paging forward with the CLI until the forward token repeats (the stop rule of AWS's paginators).
        messages, token = [], None
        for _ in range(10):
            args = ["logs", "get-log-events", "--log-group-name", self.group, "--log-stream-name", "app",
                    "--start-from-head", "--limit", "50"]
            if token:
                args += ["--next-token", token]
            got = self.aws_json(*args)
            messages += [e["message"] for e in got["events"]]
            if got["nextForwardToken"] == token:
                break
            token = got["nextForwardToken"]
        self.assertEqual(messages, [f"line {i}" for i in range(120)])
        filtered = self.aws_json("logs", "filter-log-events", "--log-group-name", self.group,
                                 "--filter-pattern", '"line 11"')
        self.assertEqual(sorted(e["message"] for e in filtered["events"]),
                         ["line 11", "line 110", "line 111", "line 112", "line 113", "line 114", "line 115",
                          "line 116", "line 117", "line 118", "line 119"])
        groups = self.aws_json("logs", "describe-log-groups", "--log-group-name-prefix", self.group)
        self.assertEqual([g["logGroupName"] for g in groups["logGroups"]], [self.group])
        bad = self.aws("logs", "filter-log-events", "--log-group-name", self.group, "--filter-pattern", "{ $.a = ",
                       check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("InvalidParameterException", bad.stderr)

    def test_tail(self):
        self.put("first event", "second event")
        once = self.aws("logs", "tail", self.group, "--since", "1h", "--format", "short")
        self.assertIn("first event", once.stdout)
        self.assertIn("second event", once.stdout)
        # --follow polls FilterLogEvents every 5 s: an event put while it runs shows up.
        cli = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws") or "aws"
        proc = subprocess.Popen([cli, "--endpoint-url", SERVER.endpoint, "logs", "tail", self.group, "--follow",
                                 "--since", "1m", "--format", "short"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)
        try:
            time.sleep(2)
            self.put("followed event")
            time.sleep(8)
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=30)
        self.assertIn("followed event", out, err)

    def test_insights(self):
        self.put(*[json.dumps({"level": "ERROR" if i % 2 else "INFO", "n": i}) for i in range(10)])
        start, end = now_ms() // 1000 - 600, now_ms() // 1000 + 60
        qid = self.aws_json("logs", "start-query", "--log-group-name", self.group, "--start-time", str(start),
                            "--end-time", str(end), "--query-string",
                            "filter level = 'ERROR' | stats count(*) as errors, max(n) as top")["queryId"]
        deadline = time.time() + 30
        while time.time() < deadline:
            r = self.aws_json("logs", "get-query-results", "--query-id", qid)
            if r["status"] == "Complete":
                break
            time.sleep(0.2)
        self.assertEqual(r["status"], "Complete")
        row = {f["field"]: f["value"] for f in r["results"][0]}
        self.assertEqual(row, {"errors": "5", "top": "9"})
        bad = self.aws("logs", "start-query", "--log-group-name", self.group, "--start-time", str(start),
                       "--end-time", str(end), "--query-string", "fields | nope", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("MalformedQueryException", bad.stderr)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
