"""Distributed Map end to end with boto3: Map Runs of child executions over 1,000 S3 objects with ResultWriter
(manifest.json and SUCCEEDED_0.json read back from S3), MaxConcurrency respected (the children's run times never
overlap more than it allows), tolerated failures (within: SUCCEEDED with FAILED_0.json; beyond: MapRunFailed),
UpdateMapRun, DescribeMapRun / ListMapRuns / ListExecutions(mapRunArn) / DescribeExecution of a child, and the
errors of the Map Run API, ResultWriter's WriterConfig (COMPACT / FLATTEN, JSON / JSONL, with or without an
export), and result files split as AWS splits them past 5 GB (shown with a 100-byte split size).

Run: CENOTE_BIN=build/cenote python3 tests/e2e/states/test_map_run.py [-v]
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
import states_fixture  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/service-role/cenote-e2e-maprun"
BUCKET = "cenote-e2e-maprun"
SERVER = None


def setUpModule():
    global SERVER
    SERVER = states_fixture.start_server(ROLE, actions=("s3:*", "states:*"), bucket=BUCKET)


def tearDownModule():
    if SERVER:
        SERVER.close()


def sfn():
    return states_fixture.client(SERVER)


def wait_done(client, arn, timeout=120):
    return states_fixture.wait_done(client, arn, timeout=timeout, poll=0.25)


def history(client, arn):
    return states_fixture.history(client, arn, page=500)


children = states_fixture.map_run_children


def get_json(s3, key):
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def distributed(processor, execution_type="STANDARD", **map_fields):
    state = {"Type": "Map", "ItemProcessor": dict(processor, ProcessorConfig={
        "Mode": "DISTRIBUTED", "ExecutionType": execution_type}), "End": True}
    state.update(map_fields)
    return {"StartAt": "Each", "States": {"Each": state}}


class MapRuns(unittest.TestCase):
    def test_map_run_over_1000_s3_objects_with_result_writer(self):
        s3 = harness.boto3_client(SERVER, "s3")
        for i in range(1000):
            s3.put_object(Bucket=BUCKET, Key=f"objects/{i:04d}.txt", Body=str(i).encode())
        definition = distributed(
            {"StartAt": "Head", "States": {"Head": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
                "Parameters": {"Bucket": BUCKET, "Key.$": "$.key"},
                "ResultSelector": {"size.$": "$.ContentLength"}, "End": True}}},
            Label="Objects", MaxConcurrency=100,
            ItemReader={"Resource": "arn:aws:states:::s3:listObjectsV2",
                        "Parameters": {"Bucket": BUCKET, "Prefix": "objects/"}},
            ItemSelector={"key.$": "$$.Map.Item.Value.Key"},
            ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                          "Parameters": {"Bucket": BUCKET, "Prefix": "results"}})
        c = sfn()
        sm = c.create_state_machine(name="objects", definition=json.dumps(definition), roleArn=ROLE)
        t0 = time.time()
        e = c.start_execution(stateMachineArn=sm["stateMachineArn"])["executionArn"]
        d = wait_done(c, e, timeout=300)
        elapsed = time.time() - t0
        self.assertEqual(d["status"], "SUCCEEDED", d.get("cause"))
        out = json.loads(d["output"])
        runs = c.list_map_runs(executionArn=e)["mapRuns"]
        self.assertEqual(len(runs), 1)
        run = runs[0]["mapRunArn"]
        self.assertRegex(run, r"^arn:aws:states:us-east-1:000000000000:mapRun:objects/Objects:[0-9a-f-]{36}$")
        self.assertEqual(runs[0]["executionArn"], e)
        self.assertEqual(runs[0]["stateMachineArn"],
                         "arn:aws:states:us-east-1:000000000000:stateMachine:objects/Objects")
        run_id = run.rsplit(":", 1)[1]
        self.assertEqual(out, {"MapRunArn": run, "ResultWriterDetails": {
            "Bucket": BUCKET, "Key": f"results/{run_id}/manifest.json"}})
        m = c.describe_map_run(mapRunArn=run)
        self.assertEqual((m["status"], m["maxConcurrency"], m["executionArn"]), ("SUCCEEDED", 100, e))
        self.assertEqual(m["itemCounts"]["total"], 1000)
        self.assertEqual(m["itemCounts"]["succeeded"], 1000)
        self.assertEqual(m["itemCounts"]["resultsWritten"], 1000)
        self.assertEqual(m["executionCounts"]["succeeded"], 1000)
        self.assertEqual(m["itemCounts"]["failed"] + m["itemCounts"]["pending"] + m["itemCounts"]["running"], 0)
        self.assertIn("stopDate", m)
        # The child executions: listed by mapRunArn, each described with its Map Run.
        kids = children(c, run)
        self.assertEqual(len(kids), 1000)
        self.assertTrue(all(k["status"] == "SUCCEEDED" and k["mapRunArn"] == run for k in kids))
        self.assertTrue(kids[0]["executionArn"].startswith(
            "arn:aws:states:us-east-1:000000000000:execution:objects/Objects:"))
        kid = c.describe_execution(executionArn=kids[0]["executionArn"])
        self.assertEqual(kid["mapRunArn"], run)
        self.assertIn(json.loads(kid["output"])["size"], (1, 2, 3))
        # The parent's history names the Map Run.
        events = history(c, e)
        types = [ev["type"] for ev in events]
        for t in ("MapStateStarted", "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded"):
            self.assertIn(t, types)
        self.assertLess(types.index("MapRunStarted"), types.index("MapRunSucceeded"))
        started = [ev for ev in events if ev["type"] == "MapRunStarted"][0]
        self.assertEqual(started["mapRunStartedEventDetails"]["mapRunArn"], run)
        self.assertNotIn("MapIterationStarted", types)
        # ResultWriter: the manifest and the SUCCEEDED file, read back from S3.
        manifest = get_json(s3, f"results/{run_id}/manifest.json")
        self.assertEqual(manifest["DestinationBucket"], BUCKET)
        self.assertEqual(manifest["MapRunArn"], run)
        self.assertEqual(manifest["ResultFiles"]["FAILED"], [])
        self.assertEqual(manifest["ResultFiles"]["PENDING"], [])
        [succeeded_file] = manifest["ResultFiles"]["SUCCEEDED"]
        self.assertEqual(succeeded_file["Key"], f"results/{run_id}/SUCCEEDED_0.json")
        body = s3.get_object(Bucket=BUCKET, Key=succeeded_file["Key"])["Body"].read()
        self.assertEqual(succeeded_file["Size"], len(body))
        results = json.loads(body)
        self.assertEqual(len(results), 1000)
        r0 = results[0]
        self.assertEqual(r0["Status"], "SUCCEEDED")
        self.assertEqual(r0["StateMachineArn"], "arn:aws:states:us-east-1:000000000000:stateMachine:objects/Objects")
        self.assertTrue(r0["ExecutionArn"].startswith("arn:aws:states:us-east-1:000000000000:execution:"))
        self.assertEqual(json.loads(r0["Input"]), {"key": "objects/0000.txt"})
        self.assertEqual(json.loads(r0["Output"]), {"size": 1})
        for k in ("Name", "StartDate", "StopDate", "InputDetails", "OutputDetails", "RedriveCount"):
            self.assertIn(k, r0)
        keys = sorted(json.loads(r["Input"])["key"] for r in results)
        self.assertEqual(keys, [f"objects/{i:04d}.txt" for i in range(1000)])
        print(f"map run over 1000 objects: {elapsed:.2f}s", file=sys.stderr)

    def test_max_concurrency_is_respected(self):
        definition = distributed(
            {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 1, "End": True}}},
            MaxConcurrency=3, ItemsPath="$.items")
        c = sfn()
        sm = c.create_state_machine(name="concurrency", definition=json.dumps(definition), roleArn=ROLE)
        e = c.start_execution(stateMachineArn=sm["stateMachineArn"],
                              input=json.dumps({"items": list(range(9))}))["executionArn"]
        d = wait_done(c, e)
        self.assertEqual(d["status"], "SUCCEEDED", d.get("cause"))
        self.assertEqual(json.loads(d["output"]), list(range(9)))
        run = c.list_map_runs(executionArn=e)["mapRuns"][0]["mapRunArn"]
        kids = [c.describe_execution(executionArn=k["executionArn"]) for k in children(c, run)]
        self.assertEqual(len(kids), 9)
        # At no moment were more than 3 children running.
        points = sorted([(k["startDate"].timestamp(), 1) for k in kids] +
                        [(k["stopDate"].timestamp(), -1) for k in kids])
        running = peak = 0
        for _, delta in points:
            running += delta
            peak = max(peak, running)
        self.assertLessEqual(peak, 3)
        self.assertGreaterEqual(peak, 2)

    def test_tolerated_failures(self):
        processor = {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.bad", "BooleanEquals": True, "Next": "Boom"}],
                      "Default": "Fine"},
            "Boom": {"Type": "Fail", "Error": "Item.Bad", "Cause": "a bad item"},
            "Fine": {"Type": "Pass", "Parameters": {"ok.$": "$.n"}, "End": True}}}
        items = [{"n": i, "bad": i in (2, 5, 7)} for i in range(10)]
        s3 = harness.boto3_client(SERVER, "s3")
        c = sfn()
        within = c.create_state_machine(name="tolerant", roleArn=ROLE, definition=json.dumps(distributed(
            processor, execution_type="EXPRESS", ItemsPath="$.items", ToleratedFailureCount=3,
            ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                          "Parameters": {"Bucket": BUCKET, "Prefix": "tolerant/"}})))
        e = c.start_execution(stateMachineArn=within["stateMachineArn"],
                              input=json.dumps({"items": items}))["executionArn"]
        d = wait_done(c, e)
        self.assertEqual(d["status"], "SUCCEEDED", d.get("cause"))
        key = json.loads(d["output"])["ResultWriterDetails"]["Key"]
        manifest = get_json(s3, key)
        failed = get_json(s3, manifest["ResultFiles"]["FAILED"][0]["Key"])
        self.assertEqual(sorted(json.loads(f["Input"])["n"] for f in failed), [2, 5, 7])
        self.assertEqual({(f["Status"], f["Error"], f["Cause"]) for f in failed},
                         {("FAILED", "Item.Bad", "a bad item")})
        self.assertEqual(len(get_json(s3, manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])), 7)
        run = c.list_map_runs(executionArn=e)["mapRuns"][0]["mapRunArn"]
        m = c.describe_map_run(mapRunArn=run)
        self.assertEqual((m["status"], m["toleratedFailureCount"]), ("SUCCEEDED", 3))
        self.assertEqual((m["itemCounts"]["failed"], m["itemCounts"]["succeeded"]), (3, 7))
        self.assertTrue(children(c, run)[0]["executionArn"].startswith(
            "arn:aws:states:us-east-1:000000000000:express:tolerant/Each:"))

        strict = c.create_state_machine(name="strict", roleArn=ROLE, definition=json.dumps(distributed(
            processor, ItemsPath="$.items", ToleratedFailurePercentage=10, MaxConcurrency=1)))
        e = c.start_execution(stateMachineArn=strict["stateMachineArn"],
                              input=json.dumps({"items": items}))["executionArn"]
        d = wait_done(c, e)
        self.assertEqual((d["status"], d["error"]), ("FAILED", "States.ExceedToleratedFailureThreshold"))
        events = history(c, e)
        failed_run = [ev for ev in events if ev["type"] == "MapRunFailed"]
        self.assertEqual(len(failed_run), 1)
        self.assertEqual(failed_run[0]["mapRunFailedEventDetails"]["error"],
                         "States.ExceedToleratedFailureThreshold")
        run = c.list_map_runs(executionArn=e)["mapRuns"][0]["mapRunArn"]
        m = c.describe_map_run(mapRunArn=run)
        self.assertEqual(m["status"], "FAILED")
        self.assertAlmostEqual(m["toleratedFailurePercentage"], 10.0)
        # Two failures of ten exceed 10 %: the items after the second failure never started.
        self.assertEqual(m["itemCounts"]["failed"], 2)
        self.assertGreater(m["itemCounts"]["pending"], 0)

    def test_update_map_run_and_errors(self):
        definition = distributed(
            {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 1, "End": True}}},
            MaxConcurrency=1, ItemsPath="$.items")
        c = sfn()
        sm = c.create_state_machine(name="updatable", definition=json.dumps(definition), roleArn=ROLE)
        e = c.start_execution(stateMachineArn=sm["stateMachineArn"],
                              input=json.dumps({"items": list(range(12))}))["executionArn"]
        deadline = time.time() + 10
        runs = []
        while not runs and time.time() < deadline:
            runs = c.list_map_runs(executionArn=e)["mapRuns"]
            time.sleep(0.1)
        run = runs[0]["mapRunArn"]
        m = c.describe_map_run(mapRunArn=run)
        self.assertEqual((m["status"], m["maxConcurrency"]), ("RUNNING", 1))
        self.assertLessEqual(m["executionCounts"]["running"], 1)
        c.update_map_run(mapRunArn=run, maxConcurrency=12, toleratedFailureCount=2)
        m = c.describe_map_run(mapRunArn=run)
        self.assertEqual((m["maxConcurrency"], m["toleratedFailureCount"]), (12, 2))
        t0 = time.time()
        d = wait_done(c, e)
        self.assertEqual(d["status"], "SUCCEEDED")
        # With 12 at a time the remaining children ran together, not one a second.
        self.assertLess(time.time() - t0, 6)
        err = harness.error_of(c.update_map_run, mapRunArn=run)
        self.assertEqual(err, (400, "ValidationException"))
        missing = run.rsplit(":", 1)[0] + ":00000000-0000-0000-0000-000000000000"
        self.assertEqual(harness.error_of(c.describe_map_run, mapRunArn=missing)[1], "ResourceNotFound")
        self.assertEqual(harness.error_of(c.describe_map_run, mapRunArn="arn:nope")[1], "InvalidArn")
        self.assertEqual(harness.error_of(c.list_executions, mapRunArn=missing)[1], "ResourceNotFound")
        self.assertEqual(harness.error_of(c.list_map_runs, executionArn=e + "x")[1], "ExecutionDoesNotExist")
        # A Map Run's children are not executions of the parent's state machine.
        listed = c.list_executions(stateMachineArn=sm["stateMachineArn"])["executions"]
        self.assertEqual([x["executionArn"] for x in listed], [e])

    def test_stopping_the_parent_aborts_the_map_run(self):
        definition = distributed(
            {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 30, "End": True}}},
            MaxConcurrency=2, ItemsPath="$.items")
        c = sfn()
        sm = c.create_state_machine(name="stoppable", definition=json.dumps(definition), roleArn=ROLE)
        e = c.start_execution(stateMachineArn=sm["stateMachineArn"],
                              input=json.dumps({"items": list(range(5))}))["executionArn"]
        deadline = time.time() + 10
        kids = []
        while len(kids) < 2 and time.time() < deadline:
            runs = c.list_map_runs(executionArn=e)["mapRuns"]
            kids = children(c, runs[0]["mapRunArn"]) if runs else []
            time.sleep(0.1)
        c.stop_execution(executionArn=e, error="Stop", cause="enough")
        run = runs[0]["mapRunArn"]
        deadline = time.time() + 10
        while time.time() < deadline and c.describe_map_run(mapRunArn=run)["status"] == "RUNNING":
            time.sleep(0.1)
        m = c.describe_map_run(mapRunArn=run)
        self.assertEqual(m["status"], "ABORTED")
        self.assertEqual(m["itemCounts"]["pending"], 3)
        deadline = time.time() + 10
        while time.time() < deadline and any(k["status"] == "RUNNING" for k in children(c, run)):
            time.sleep(0.1)
        self.assertEqual({k["status"] for k in children(c, run)}, {"ABORTED"})

    def test_result_writer_writes_as_the_role(self):
        # A role that may read S3 but not write it: the Map Run's results cannot be written, and the Map fails
        # with States.ResultWriterFailed naming S3's AccessDenied.
        reader = "arn:aws:iam::000000000000:role/service-role/cenote-e2e-maprun-reader"
        harness.create_service_role(SERVER, reader, "states.amazonaws.com", actions=("s3:GetObject", "s3:ListBucket"))
        c = sfn()
        sm = c.create_state_machine(name="no-put", roleArn=reader, definition=json.dumps(distributed(
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, ItemsPath="$",
            ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                          "Parameters": {"Bucket": BUCKET, "Prefix": "denied"}})))
        e = c.start_execution(stateMachineArn=sm["stateMachineArn"], input="[1, 2]")["executionArn"]
        d = wait_done(c, e)
        self.assertEqual((d["status"], d["error"]), ("FAILED", "States.ResultWriterFailed"))
        self.assertIn("AccessDenied", d["cause"])
        run = c.list_map_runs(executionArn=e)["mapRuns"][0]["mapRunArn"]
        self.assertEqual(c.describe_map_run(mapRunArn=run)["status"], "FAILED")
        listed = harness.boto3_client(SERVER, "s3").list_objects_v2(Bucket=BUCKET, Prefix="denied/")
        self.assertEqual(listed.get("KeyCount", 0), 0)

    def test_redriving_the_parent_redrives_the_map_run(self):
        c = sfn()
        if not hasattr(c, "redrive_execution"):
            self.skipTest("this botocore predates RedriveExecution")
        s3 = harness.boto3_client(SERVER, "s3")
        s3.put_object(Bucket=BUCKET, Key="redrive/a", Body=b"a")
        sm = c.create_state_machine(name="redrive-run", roleArn=ROLE, definition=json.dumps(distributed(
            {"StartAt": "Get", "States": {"Get": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject",
                "Parameters": {"Bucket": BUCKET, "Key.$": "States.Format('redrive/{}', $)"},
                "ResultSelector": {"size.$": "$.ContentLength"}, "End": True}}},
            ItemsPath="$", Label="Heads")))
        e = c.start_execution(stateMachineArn=sm["stateMachineArn"], input='["a", "b"]')["executionArn"]
        d = wait_done(c, e)
        self.assertEqual((d["status"], d["error"]), ("FAILED", "States.ExceedToleratedFailureThreshold"))
        run = c.list_map_runs(executionArn=e)["mapRuns"][0]["mapRunArn"]
        self.assertEqual(c.describe_map_run(mapRunArn=run)["status"], "FAILED")
        s3.put_object(Bucket=BUCKET, Key="redrive/b", Body=b"bb")
        c.redrive_execution(executionArn=e)
        d = wait_done(c, e)
        self.assertEqual(d["status"], "SUCCEEDED", d.get("cause"))
        self.assertEqual(json.loads(d["output"]), [{"size": 1}, {"size": 2}])
        m = c.describe_map_run(mapRunArn=run)
        self.assertEqual((m["status"], m["redriveCount"], m["itemCounts"]["succeeded"]), ("SUCCEEDED", 1, 2))
        self.assertIn("redriveDate", m)
        types = [ev["type"] for ev in history(c, e)]
        self.assertIn("MapRunRedriven", types)
        # The failed child was redriven in place; the one that succeeded was not run again.
        kids = children(c, run)
        self.assertEqual(len(kids), 2)
        self.assertEqual(sorted(c.describe_execution(executionArn=k["executionArn"]).get("redriveCount", 0)
                                for k in kids), [0, 1])

    def test_writer_config_formats_the_results(self):
        # Children return arrays; one fails. COMPACT keeps each output, FLATTEN spreads the arrays, JSONL writes
        # a value per line; failed children stay as NONE writes them; WriterConfig alone formats the Map's output.
        processor = {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 3, "Next": "Boom"}],
                      "Default": "Pair"},
            "Boom": {"Type": "Fail", "Error": "Item.Three", "Cause": "no threes"},
            "Pair": {"Type": "Pass", "Parameters": {"pair.$": "States.Array($, $)"}, "OutputPath": "$.pair",
                     "End": True}}}
        s3 = harness.boto3_client(SERVER, "s3")
        c = sfn()

        def run(name, writer, items):
            sm = c.create_state_machine(name=name, roleArn=ROLE, definition=json.dumps(distributed(
                processor, ItemsPath="$", ToleratedFailureCount=1, MaxConcurrency=1, ResultWriter=writer)))
            e = c.start_execution(stateMachineArn=sm["stateMachineArn"], input=json.dumps(items))["executionArn"]
            d = wait_done(c, e)
            self.assertEqual(d["status"], "SUCCEEDED", d.get("cause"))
            return json.loads(d["output"])

        export = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": "wc"}}
        out = run("flatten-jsonl", dict(export, WriterConfig={"Transformation": "FLATTEN", "OutputType": "JSONL"}),
                  [1, 2, 3])
        manifest = get_json(s3, out["ResultWriterDetails"]["Key"])
        [ok] = manifest["ResultFiles"]["SUCCEEDED"]
        self.assertTrue(ok["Key"].endswith("/SUCCEEDED_0.jsonl"), ok["Key"])
        body = s3.get_object(Bucket=BUCKET, Key=ok["Key"])["Body"].read().decode()
        self.assertEqual(len(body), ok["Size"])
        self.assertEqual(body, "1\n1\n2\n2\n")
        [bad] = manifest["ResultFiles"]["FAILED"]
        lines = s3.get_object(Bucket=BUCKET, Key=bad["Key"])["Body"].read().decode().splitlines()
        self.assertEqual(len(lines), 1)
        failed = json.loads(lines[0])
        self.assertEqual((failed["Status"], failed["Error"], json.loads(failed["Input"])), ("FAILED", "Item.Three", 3))

        out = run("compact-json", dict(export, WriterConfig={"Transformation": "COMPACT", "OutputType": "JSON"}),
                  [1, 2])
        manifest = get_json(s3, out["ResultWriterDetails"]["Key"])
        self.assertTrue(manifest["ResultFiles"]["SUCCEEDED"][0]["Key"].endswith("/SUCCEEDED_0.json"))
        self.assertEqual(get_json(s3, manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]), [[1, 1], [2, 2]])

        # Without Resource and Parameters nothing is exported: the Map's output is formatted.
        self.assertEqual(run("flatten-only", {"WriterConfig": {"Transformation": "FLATTEN"}}, [1, 2]), [1, 1, 2, 2])
        self.assertEqual(run("compact-only", {"WriterConfig": {"Transformation": "COMPACT"}}, [1, 2]), [[1, 1], [2, 2]])

        for bad_writer in ({"WriterConfig": {"Transformation": "SQUASH"}}, {"WriterConfig": {"OutputType": "CSV"}},
                           {"WriterConfig": {"Other": 1}}, {}):
            with self.assertRaises(c.exceptions.InvalidDefinition, msg=json.dumps(bad_writer)):
                c.create_state_machine(name="bad-writer", roleArn=ROLE, definition=json.dumps(distributed(
                    processor, ItemsPath="$", ResultWriter=bad_writer)))

    def test_result_writer_is_validated(self):
        c = sfn()
        inline = {"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET}},
            "End": True}}}
        with self.assertRaises(c.exceptions.InvalidDefinition):
            c.create_state_machine(name="inline-writer", definition=json.dumps(inline), roleArn=ROLE)


SPLIT_BYTES = 100  # the split size the next server runs with (AWS's is 5 GB)


class ResultFileSplitting(unittest.TestCase):
    """ResultWriter files split as AWS splits them past 5 GB (SUCCEEDED_0, SUCCEEDED_1, ...), shown with the
    server's test hook CENOTE_STATES_RESULT_FILE_BYTES making a file at most 100 bytes."""

    @classmethod
    def setUpClass(cls):
        os.environ["CENOTE_STATES_RESULT_FILE_BYTES"] = str(SPLIT_BYTES)
        try:
            cls.server = states_fixture.start_server(ROLE, actions=("s3:*", "states:*"), bucket=BUCKET)
        finally:
            del os.environ["CENOTE_STATES_RESULT_FILE_BYTES"]

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def run_map(self, name, writer_config, items):
        c = states_fixture.client(self.server)
        processor = {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 3, "Next": "Boom"}],
                      "Default": "Echo"},
            "Boom": {"Type": "Fail", "Error": "Item.Three", "Cause": "no threes"},
            "Echo": {"Type": "Pass", "Parameters": {"n.$": "$.n", "pad": "xxxxxxxxxxxxxxxxxxxx"}, "End": True}}}
        writer = {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": BUCKET, "Prefix": name},
                  "WriterConfig": writer_config}
        sm = c.create_state_machine(name=name, roleArn=ROLE, definition=json.dumps(distributed(
            processor, ItemsPath="$", ToleratedFailureCount=1, MaxConcurrency=4, ResultWriter=writer)))
        e = c.start_execution(stateMachineArn=sm["stateMachineArn"], input=json.dumps(items))["executionArn"]
        d = states_fixture.wait_done(c, e, timeout=120, poll=0.25)
        self.assertEqual(d["status"], "SUCCEEDED", d.get("cause"))
        s3 = harness.boto3_client(self.server, "s3")
        out = json.loads(d["output"])
        manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=out["ResultWriterDetails"]["Key"])["Body"].read())
        # Every object under the Map Run's prefix is the manifest or a file it lists.
        run_id = out["MapRunArn"].split(":")[-1]
        listed = {f["Key"] for files in manifest["ResultFiles"].values() for f in files}
        stored = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{name}/{run_id}/")["Contents"]}
        self.assertEqual(stored, listed | {f"{name}/{run_id}/manifest.json"})
        return s3, run_id, manifest

    def bodies(self, s3, files):
        out = []
        for f in files:
            body = s3.get_object(Bucket=BUCKET, Key=f["Key"])["Body"].read().decode()
            self.assertEqual(len(body.encode()), f["Size"], f["Key"])
            out.append(body)
        return out

    def test_json_results_split_into_numbered_files(self):
        items = [{"n": n} for n in range(12)]
        s3, run_id, manifest = self.run_map("split-json", {"Transformation": "COMPACT", "OutputType": "JSON"},
                                            items)
        files = manifest["ResultFiles"]["SUCCEEDED"]
        self.assertGreater(len(files), 2)
        self.assertEqual([f["Key"] for f in files],
                         [f"split-json/{run_id}/SUCCEEDED_{i}.json" for i in range(len(files))])
        outputs = []
        for body in self.bodies(s3, files):
            entries = json.loads(body)
            self.assertIsInstance(entries, list)
            if len(entries) > 1:
                self.assertLessEqual(len(body.encode()), SPLIT_BYTES)
            outputs += entries
        # Every succeeded child's output once, in item order; the failed one in FAILED_0.json.
        self.assertEqual(outputs, [{"n": n, "pad": "x" * 20} for n in range(12) if n != 3])
        [failed_file] = manifest["ResultFiles"]["FAILED"]
        self.assertEqual(failed_file["Key"], f"split-json/{run_id}/FAILED_0.json")
        [failed] = json.loads(self.bodies(s3, [failed_file])[0])
        self.assertEqual((failed["Status"], json.loads(failed["Input"])), ("FAILED", {"n": 3}))
        self.assertEqual(manifest["ResultFiles"]["PENDING"], [])

    def test_jsonl_results_split_into_numbered_files(self):
        items = [{"n": n} for n in range(10)]
        s3, run_id, manifest = self.run_map("split-jsonl", {"Transformation": "COMPACT", "OutputType": "JSONL"},
                                            items)
        files = manifest["ResultFiles"]["SUCCEEDED"]
        self.assertGreater(len(files), 2)
        self.assertEqual([f["Key"] for f in files],
                         [f"split-jsonl/{run_id}/SUCCEEDED_{i}.jsonl" for i in range(len(files))])
        outputs = []
        for body in self.bodies(s3, files):
            self.assertTrue(body.endswith("\n"))
            lines = body.splitlines()
            if len(lines) > 1:
                self.assertLessEqual(len(body.encode()), SPLIT_BYTES)
            outputs += [json.loads(line) for line in lines]
        self.assertEqual(outputs, [{"n": n, "pad": "x" * 20} for n in range(10) if n != 3])


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
