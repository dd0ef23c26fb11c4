"""The Glue Schema Registry with the AWS CLI v2: a registry, an Avro schema from a file, a compatible and a
breaking version (Status FAILURE), get-schema-version by number and latest, the diff, metadata, and errors as the
CLI prints them.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/glue_schemas/test_cli.py [-v]
"""

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None

V1 = {"type": "record", "name": "Reading", "fields": [{"name": "sensor", "type": "string"},
                                                      {"name": "value", "type": "double"}]}
V2 = {"type": "record", "name": "Reading", "fields": [{"name": "sensor", "type": "string"},
                                                      {"name": "value", "type": "double"},
                                                      {"name": "unit", "type": ["null", "string"], "default": None}]}
BREAKING = {"type": "record", "name": "Reading", "fields": [{"name": "sensor", "type": "long"},
                                                            {"name": "value", "type": "double"}]}


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class SchemaRegistryCli(harness.CliCase):
    def server(self):
        return SERVER

    def test_registry_schema_versions(self):
        reg = self.aws_json("glue", "create-registry", "--registry-name", "iot", "--description", "sensors",
                            "--tags", "env=test")
        self.assertEqual(reg["RegistryName"], "iot")
        with tempfile.NamedTemporaryFile("w", suffix=".avsc", delete=False) as f:
            json.dump(V1, f, indent=2)
        self.addCleanup(os.unlink, f.name)
        s = self.aws_json("glue", "create-schema", "--registry-id", "RegistryName=iot", "--schema-name", "reading",
                          "--data-format", "AVRO", "--compatibility", "BACKWARD",
                          "--schema-definition", f"file://{f.name}")
        self.assertEqual(s["SchemaVersionStatus"], "AVAILABLE")
        sid = "RegistryName=iot,SchemaName=reading"
        v2 = self.aws_json("glue", "register-schema-version", "--schema-id", sid,
                           "--schema-definition", json.dumps(V2))
        self.assertEqual((v2["VersionNumber"], v2["Status"]), (2, "AVAILABLE"))
        bad = self.aws_json("glue", "register-schema-version", "--schema-id", sid,
                            "--schema-definition", json.dumps(BREAKING))
        self.assertEqual((bad["VersionNumber"], bad["Status"]), (3, "FAILURE"))
        latest = self.aws_json("glue", "get-schema-version", "--schema-id", sid,
                               "--schema-version-number", "LatestVersion=true")
        self.assertEqual(latest["VersionNumber"], 2)
        self.assertEqual(json.loads(latest["SchemaDefinition"]), V2)
        one = self.aws_json("glue", "get-schema-version", "--schema-id", sid,
                            "--schema-version-number", "VersionNumber=1")
        self.assertEqual(one["SchemaVersionId"], s["SchemaVersionId"])
        diff = self.aws_json("glue", "get-schema-versions-diff", "--schema-id", sid,
                             "--first-schema-version-number", "VersionNumber=1",
                             "--second-schema-version-number", "VersionNumber=2", "--schema-diff-type", "SYNTAX_DIFF")
        self.assertEqual(json.loads(diff["Diff"])[0]["path"], "/fields/2")
        listed = self.aws_json("glue", "list-schema-versions", "--schema-id", sid)["Schemas"]
        self.assertEqual([v["Status"] for v in listed], ["AVAILABLE", "AVAILABLE", "FAILURE"])
        self.aws_json("glue", "put-schema-version-metadata", "--schema-version-id", v2["SchemaVersionId"],
                      "--metadata-key-value", "MetadataKey=source,MetadataValue=plant-7")
        q = self.aws_json("glue", "query-schema-version-metadata", "--schema-version-id", v2["SchemaVersionId"])
        self.assertEqual(q["MetadataInfoMap"]["source"]["MetadataValue"], "plant-7")
        tags = self.aws_json("glue", "get-tags", "--resource-arn", reg["RegistryArn"])["Tags"]
        self.assertEqual(tags, {"env": "test"})
        valid = self.aws_json("glue", "check-schema-version-validity", "--data-format", "PROTOBUF",
                              "--schema-definition", 'syntax = "proto3"; message M { int32 a = 1; }')
        self.assertTrue(valid["Valid"])

    def test_errors_as_the_cli_prints_them(self):
        r = self.aws("glue", "get-registry", "--registry-id", "RegistryName=missing", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("EntityNotFoundException", r.stderr)
        self.assertIn("Registry is not found. RegistryName: missing", r.stderr)
        r = self.aws("glue", "create-schema", "--schema-name", "broken", "--data-format", "JSON",
                     "--schema-definition", '{"type": "objekt"}', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InvalidInputException", r.stderr)
        self.assertIn("Schema definition of JSON data format is invalid", r.stderr)


if __name__ == "__main__":
    harness.main()
