"""The Glue Schema Registry end to end with boto3: registries, schemas in AVRO, JSON and PROTOBUF, versions that
pass and fail each compatibility mode, GetSchemaVersion by id / number / latest, GetSchemaByDefinition,
SYNTAX_DIFF, DeleteSchemaVersions ranges, version metadata, tags, pagination, Glue's errors, IAM on registry and
schema ARNs, and everything acknowledged surviving kill -9.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_schemas/test_boto3.py [-v]
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
ACCOUNT = None

AVRO_V1 = json.dumps({"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "long"}, {"name": "amount", "type": "double"}]})
AVRO_V2 = json.dumps({"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "long"}, {"name": "amount", "type": "double"},
    {"name": "currency", "type": "string", "default": "EUR"}]})
# A new field without a default: old data cannot be read with it (not BACKWARD).
AVRO_BREAKING = json.dumps({"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "long"}, {"name": "amount", "type": "double"}, {"name": "customer", "type": "string"}]})

JSON_V1 = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                      "properties": {"id": {"type": "integer"}}, "required": ["id"]})
JSON_V2_OPTIONAL = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                               "properties": {"id": {"type": "integer"}, "note": {"type": "string"}},
                               "required": ["id"]})
JSON_V3_REQUIRED = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                               "properties": {"id": {"type": "integer"}, "note": {"type": "string"}},
                               "required": ["id", "note"]})

PROTO_V1 = 'syntax = "proto3";\npackage shop;\nmessage Order {\n  int64 id = 1;\n  double amount = 2;\n}\n'
PROTO_V2 = 'syntax = "proto3";\npackage shop;\nmessage Order {\n  int64 id = 1;\n  double amount = 2;\n  string note = 3;\n}\n'
PROTO_RETYPED = 'syntax = "proto3";\npackage shop;\nmessage Order {\n  string id = 1;\n  double amount = 2;\n}\n'


def setUpModule():
    global SERVER, ACCOUNT
    SERVER = harness.Server().start()
    ACCOUNT = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def glue(server=None):
    return harness.boto3_client(server or SERVER, "glue")


def error(fn, **kwargs):
    from botocore.exceptions import ClientError
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError(f"{fn.__name__} succeeded")


class SchemaRegistryTest(unittest.TestCase):
    def test_avro_schema_lifecycle_and_compatibility(self):
        g = glue()
        reg = g.create_registry(RegistryName="orders", Description="order events", Tags={"team": "shop"})
        arn = reg["RegistryArn"]
        self.assertEqual(arn, f"arn:aws:glue:{SERVER.region}:{ACCOUNT}:registry/orders")
        self.assertEqual(g.get_tags(ResourceArn=arn)["Tags"], {"team": "shop"})
        got = g.get_registry(RegistryId={"RegistryName": "orders"})
        self.assertEqual((got["Description"], got["Status"]), ("order events", "AVAILABLE"))

        s = g.create_schema(RegistryId={"RegistryArn": arn}, SchemaName="order", DataFormat="AVRO",
                            Compatibility="BACKWARD", SchemaDefinition=AVRO_V1)
        self.assertEqual((s["SchemaCheckpoint"], s["LatestSchemaVersion"], s["NextSchemaVersion"]), (1, 1, 2))
        self.assertEqual(s["SchemaVersionStatus"], "AVAILABLE")
        self.assertEqual(s["SchemaArn"], f"arn:aws:glue:{SERVER.region}:{ACCOUNT}:schema/orders/order")
        sid = {"RegistryName": "orders", "SchemaName": "order"}
        self.assertEqual(error(g.create_schema, RegistryId={"RegistryName": "orders"}, SchemaName="order",
                               DataFormat="AVRO", SchemaDefinition=AVRO_V1)[0], "AlreadyExistsException")

        v2 = g.register_schema_version(SchemaId=sid, SchemaDefinition=AVRO_V2)
        self.assertEqual((v2["VersionNumber"], v2["Status"]), (2, "AVAILABLE"))
        # The same definition, laid out differently, is the same version.
        same = g.register_schema_version(SchemaId=sid, SchemaDefinition=json.dumps(json.loads(AVRO_V2), indent=2))
        self.assertEqual(same["SchemaVersionId"], v2["SchemaVersionId"])
        bad = g.register_schema_version(SchemaId=sid, SchemaDefinition=AVRO_BREAKING)
        self.assertEqual((bad["VersionNumber"], bad["Status"]), (3, "FAILURE"))
        self.assertEqual(g.get_schema_version(SchemaVersionId=bad["SchemaVersionId"])["Status"], "FAILURE")

        latest = g.get_schema_version(SchemaId=sid, SchemaVersionNumber={"LatestVersion": True})
        self.assertEqual((latest["VersionNumber"], latest["SchemaDefinition"]), (2, AVRO_V2))
        first = g.get_schema_version(SchemaId={"SchemaArn": s["SchemaArn"]}, SchemaVersionNumber={"VersionNumber": 1})
        self.assertEqual(first["SchemaVersionId"], s["SchemaVersionId"])
        self.assertEqual(first["DataFormat"], "AVRO")
        schema = g.get_schema(SchemaId=sid)
        self.assertEqual((schema["LatestSchemaVersion"], schema["NextSchemaVersion"]), (2, 4))

        by_def = g.get_schema_by_definition(SchemaId=sid, SchemaDefinition=AVRO_V1)
        self.assertEqual(by_def["SchemaVersionId"], s["SchemaVersionId"])
        diff = json.loads(g.get_schema_versions_diff(
            SchemaId=sid, FirstSchemaVersionNumber={"VersionNumber": 1},
            SecondSchemaVersionNumber={"VersionNumber": 2}, SchemaDiffType="SYNTAX_DIFF")["Diff"])
        self.assertEqual(diff, [{"op": "add", "path": "/fields/2",
                                 "value": {"name": "currency", "type": "string", "default": "EUR"}}])

        versions = g.list_schema_versions(SchemaId=sid)["Schemas"]
        self.assertEqual([(v["VersionNumber"], v["Status"]) for v in versions],
                         [(1, "AVAILABLE"), (2, "AVAILABLE"), (3, "FAILURE")])
        # FORWARD now: the breaking version is readable by version 2's readers.
        g.update_schema(SchemaId=sid, Compatibility="FORWARD", SchemaVersionNumber={"LatestVersion": True})
        fwd = g.register_schema_version(SchemaId=sid, SchemaDefinition=AVRO_BREAKING.replace("customer", "buyer"))
        self.assertEqual(fwd["Status"], "AVAILABLE")
        self.assertEqual(g.get_schema(SchemaId=sid)["SchemaCheckpoint"], 2)

        # Deleting versions: the checkpoint cannot go; a range deletes what exists.
        self.assertEqual(error(g.delete_schema_versions, SchemaId=sid, Versions="2-3")[0],
                         "ConcurrentModificationException")
        out = g.delete_schema_versions(SchemaId=sid, Versions="3-4")
        self.assertEqual(out["SchemaVersionErrors"], [])
        self.assertEqual([v["VersionNumber"] for v in g.list_schema_versions(SchemaId=sid)["Schemas"]], [1, 2])

        g.delete_schema(SchemaId=sid)
        self.assertEqual(error(g.get_schema, SchemaId=sid)[0], "EntityNotFoundException")
        d = g.delete_registry(RegistryId={"RegistryName": "orders"})
        self.assertEqual(d["Status"], "DELETING")
        code, message = error(g.get_registry, RegistryId={"RegistryName": "orders"})
        self.assertEqual((code, message), ("EntityNotFoundException", "Registry is not found. RegistryName: orders"))

    def test_json_schema_and_protobuf(self):
        g = glue()
        g.create_registry(RegistryName="formats")
        js = {"RegistryName": "formats", "SchemaName": "event"}
        g.create_schema(RegistryId={"RegistryName": "formats"}, SchemaName="event", DataFormat="JSON",
                        Compatibility="BACKWARD", SchemaDefinition=JSON_V1)
        self.assertEqual(g.register_schema_version(SchemaId=js, SchemaDefinition=JSON_V2_OPTIONAL)["Status"],
                         "AVAILABLE")
        self.assertEqual(g.register_schema_version(SchemaId=js, SchemaDefinition=JSON_V3_REQUIRED)["Status"],
                         "FAILURE")
        code, message = error(g.register_schema_version, SchemaId=js,
                              SchemaDefinition='{"type": "object", "required": "id"}')
        self.assertEqual(code, "InvalidInputException")
        self.assertIn("Schema definition of JSON data format is invalid", message)

        pb = {"RegistryName": "formats", "SchemaName": "order-pb"}
        g.create_schema(RegistryId={"RegistryName": "formats"}, SchemaName="order-pb", DataFormat="PROTOBUF",
                        Compatibility="FULL_ALL", SchemaDefinition=PROTO_V1)
        self.assertEqual(g.register_schema_version(SchemaId=pb, SchemaDefinition=PROTO_V2)["Status"], "AVAILABLE")
        self.assertEqual(g.register_schema_version(SchemaId=pb, SchemaDefinition=PROTO_RETYPED)["Status"], "FAILURE")
        # Comments and layout do not make another definition.
        found = g.get_schema_by_definition(SchemaId=pb, SchemaDefinition="// v1\n" + PROTO_V1.replace("\n", " "))
        self.assertEqual(found["Status"], "AVAILABLE")
        code, message = error(g.create_schema, RegistryId={"RegistryName": "formats"}, SchemaName="bad-pb",
                              DataFormat="PROTOBUF",
                              SchemaDefinition='syntax = "proto3"; message M { required int32 a = 1; }')
        self.assertEqual(code, "InvalidInputException")
        self.assertIn("Required fields are not allowed in proto3", message)

        ok = g.check_schema_version_validity(DataFormat="PROTOBUF", SchemaDefinition=PROTO_V2)
        self.assertEqual(ok["Valid"], True)
        bad = g.check_schema_version_validity(DataFormat="AVRO", SchemaDefinition='{"type": "record", "name": "R"}')
        self.assertEqual(bad["Valid"], False)
        self.assertIn("Record has no fields", bad["Error"])

        listed = g.list_schemas(RegistryId={"RegistryName": "formats"})["Schemas"]
        self.assertEqual(sorted(s["SchemaName"] for s in listed), ["event", "order-pb"])

    def test_default_registry_disabled_metadata_and_pagination(self):
        g = glue()
        s = g.create_schema(SchemaName="clicks", DataFormat="AVRO", Compatibility="DISABLED",
                            SchemaDefinition='"string"')
        self.assertEqual(s["RegistryName"], "default-registry")
        sid = {"SchemaName": "clicks"}
        code, message = error(g.register_schema_version, SchemaId={"RegistryName": "default-registry",
                                                                   "SchemaName": "clicks"},
                              SchemaDefinition='"bytes"')
        self.assertEqual(code, "InvalidInputException")
        self.assertIn("Compatibility DISABLED does not allow versioning", message)

        vid = s["SchemaVersionId"]
        put = g.put_schema_version_metadata(SchemaVersionId=vid,
                                            MetadataKeyValue={"MetadataKey": "owner", "MetadataValue": "web"})
        self.assertEqual((put["VersionNumber"], put["LatestVersion"]), (1, True))
        g.put_schema_version_metadata(SchemaId=sid, SchemaVersionNumber={"LatestVersion": True},
                                      MetadataKeyValue={"MetadataKey": "owner", "MetadataValue": "mobile"})
        self.assertEqual(error(g.put_schema_version_metadata, SchemaVersionId=vid,
                               MetadataKeyValue={"MetadataKey": "owner", "MetadataValue": "web"})[0],
                         "AlreadyExistsException")
        q = g.query_schema_version_metadata(SchemaVersionId=vid)["MetadataInfoMap"]
        self.assertEqual(sorted([q["owner"]["MetadataValue"]] +
                                [o["MetadataValue"] for o in q["owner"]["OtherMetadataValueList"]]),
                         ["mobile", "web"])
        g.remove_schema_version_metadata(SchemaVersionId=vid,
                                         MetadataKeyValue={"MetadataKey": "owner", "MetadataValue": "web"})
        q = g.query_schema_version_metadata(SchemaVersionId=vid)["MetadataInfoMap"]
        self.assertEqual(q["owner"]["MetadataValue"], "mobile")
        self.assertNotIn("OtherMetadataValueList", q["owner"])

        for i in range(7):
            g.create_registry(RegistryName=f"page-{i}")
        names = []
        token = None
        for _ in range(10):
            kw = {"MaxResults": 3}
            if token:
                kw["NextToken"] = token
            page = g.list_registries(**kw)
            names += [r["RegistryName"] for r in page["Registries"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual([n for n in names if n.startswith("page-")], [f"page-{i}" for i in range(7)])
        paginated = [r["RegistryName"] for p in g.get_paginator("list_registries").paginate(
            PaginationConfig={"PageSize": 2}) for r in p["Registries"]]
        self.assertEqual(paginated, names)

    def test_errors_in_glue_words(self):
        g = glue()
        code, message = error(g.get_schema, SchemaId={"RegistryName": "nope", "SchemaName": "x"})
        self.assertEqual((code, message), ("EntityNotFoundException",
                                           "Schema is not found. RegistryName: nope, SchemaName: x, SchemaArn: null"))
        code, message = error(g.get_registry, RegistryId={"RegistryName": "a", "RegistryArn":
                                                          f"arn:aws:glue:us-east-1:{ACCOUNT}:registry/a"})
        self.assertEqual(code, "InvalidInputException")
        self.assertIn("both cannot be provided", message)
        code, _ = error(g.create_registry, RegistryName="white space")
        # The model's pattern, answered at the boundary.
        self.assertIn(code, ("InvalidInputException", "ValidationException"))
        self.assertEqual(error(g.get_schema_version, SchemaVersionId="00000000-0000-4000-8000-000000000000")[0],
                         "EntityNotFoundException")


class IamTest(unittest.TestCase):
    def test_a_user_allowed_one_registry(self):
        iam = harness.boto3_client(SERVER, "iam")
        g = glue()
        g.create_registry(RegistryName="allowed")
        g.create_registry(RegistryName="secret")
        iam.create_user(UserName="schema-reader")
        iam.put_user_policy(UserName="schema-reader", PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["glue:GetRegistry"],
                "Resource": f"arn:aws:glue:{SERVER.region}:{ACCOUNT}:registry/allowed"}]}))
        key = iam.create_access_key(UserName="schema-reader")["AccessKey"]
        import boto3
        user = boto3.session.Session().client(
            "glue", endpoint_url=SERVER.endpoint, region_name=SERVER.region,
            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        self.assertEqual(user.get_registry(RegistryId={"RegistryName": "allowed"})["RegistryName"], "allowed")
        self.assertEqual(error(user.get_registry, RegistryId={"RegistryName": "secret"})[0], "AccessDeniedException")
        self.assertEqual(error(user.delete_registry, RegistryId={"RegistryName": "allowed"})[0],
                         "AccessDeniedException")


class DurabilityTest(unittest.TestCase):
    def test_acknowledged_writes_survive_kill9(self):
        server = harness.Server().start()
        try:
            g = glue(server)
            g.create_registry(RegistryName="durable", Tags={"k": "v"})
            s = g.create_schema(RegistryId={"RegistryName": "durable"}, SchemaName="s", DataFormat="PROTOBUF",
                                SchemaDefinition=PROTO_V1)
            v2 = g.register_schema_version(SchemaId={"RegistryName": "durable", "SchemaName": "s"},
                                           SchemaDefinition=PROTO_V2)
            g.put_schema_version_metadata(SchemaVersionId=v2["SchemaVersionId"],
                                          MetadataKeyValue={"MetadataKey": "a", "MetadataValue": "b"})
            server.restart(crash=True)
            g = glue(server)
            self.assertEqual(g.get_schema_version(SchemaVersionId=s["SchemaVersionId"])["SchemaDefinition"], PROTO_V1)
            self.assertEqual(g.get_schema_version(SchemaId={"RegistryName": "durable", "SchemaName": "s"},
                                                  SchemaVersionNumber={"LatestVersion": True})["VersionNumber"], 2)
            q = g.query_schema_version_metadata(SchemaVersionId=v2["SchemaVersionId"])["MetadataInfoMap"]
            self.assertEqual(q["a"]["MetadataValue"], "b")
            arn = g.get_registry(RegistryId={"RegistryName": "durable"})["RegistryArn"]
            self.assertEqual(g.get_tags(ResourceArn=arn)["Tags"], {"k": "v"})
        finally:
            server.close()


if __name__ == "__main__":
    harness.main()
