"""Glue Data Catalog encryption at rest, end to end with boto3 and the AWS CLI v2: Put/GetDataCatalogEncryption
Settings as Glue validates them; with SSE-KMS, databases, tables, versions and partitions are stored sealed under
a KMS data key (a column name is nowhere in the metadata files of the data directory), callers need kms:Decrypt /
kms:GenerateDataKey on the key (GlueEncryptionException otherwise, carrying KMS's AccessDeniedException or
DisabledException), Athena queries still run on the encrypted catalog, and switching back to DISABLED keeps the
encrypted objects readable while new ones are written in clear.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_catalog_encryption.py [-v]
     (CENOTE_AWS_CLI=/usr/bin/aws for the CLI step; skipped when no CLI is found)
"""

import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import uuid

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
# Data keys are reused for 5 s per caller and key (src/services/glue/register.cpp): a disabled key or a removed
# permission takes effect within that period.
KEY_REUSE_S = 5.5


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def client_as(service, key):
    import boto3
    from botocore.config import Config
    return boto3.session.Session().client(
        service, endpoint_url=SERVER.endpoint, region_name=SERVER.region,
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


def metadata_files_hold(needle):
    """Whether a file of the data directory outside CloudTrail's event store (which records request
    parameters, as AWS's trail does) holds `needle`; returns the paths that do."""
    found = []
    for root, _dirs, files in os.walk(SERVER.data_dir):
        if "cloudtrail" in os.path.relpath(root, SERVER.data_dir).split(os.sep):
            continue
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(os.path.relpath(path, SERVER.data_dir))
            except OSError:
                pass
    return found


def table_input(name, column, location):
    return {"Name": name, "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "StorageDescriptor": {
                "Columns": [{"Name": column, "Type": "string"}, {"Name": "n", "Type": "int"}],
                "Location": location,
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                              "Parameters": {"field.delim": ","}}},
            "PartitionKeys": [{"Name": "dt", "Type": "string"}]}


class CatalogEncryptionTest(unittest.TestCase):
    # One ordered scenario on one catalog (the settings are the account's in the region).
    state = {}

    @classmethod
    def setUpClass(cls):
        cls.glue = harness.boto3_client(SERVER, "glue")
        cls.kms = harness.boto3_client(SERVER, "kms")
        cls.s3 = harness.boto3_client(SERVER)
        cls.athena = harness.boto3_client(SERVER, "athena")
        cls.iam = harness.boto3_client(SERVER, "iam")

    def glue_error(self, fn, **kw):
        with self.assertRaises(ClientError) as e:
            fn(**kw)
        return e.exception.response["Error"]

    def query(self, athena, sql, database):
        qid = athena.start_query_execution(
            QueryString=sql, QueryExecutionContext={"Database": database},
            ResultConfiguration={"OutputLocation": f"s3://{self.state['bucket']}/results/"})["QueryExecutionId"]
        deadline = time.time() + 60
        while True:
            ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            if ex["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED") or time.time() > deadline:
                return ex
            time.sleep(0.1)

    def user(self, actions):
        name = "cat-" + uuid.uuid4().hex[:8]
        self.iam.create_user(UserName=name)
        self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
        return self.iam.create_access_key(UserName=name)["AccessKey"]

    def test_01_settings_validate_and_default(self):
        got = self.glue.get_data_catalog_encryption_settings()["DataCatalogEncryptionSettings"]
        self.assertEqual(got, {"EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"},
                               "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": False}})
        err = self.glue_error(self.glue.put_data_catalog_encryption_settings, DataCatalogEncryptionSettings={
            "EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS-WITH-SERVICE-ROLE"}})
        self.assertEqual(err["Code"], "InvalidInputException")
        err = self.glue_error(self.glue.put_data_catalog_encryption_settings, CatalogId="111122223333",
                              DataCatalogEncryptionSettings={"EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"}})
        self.assertEqual(err["Code"], "AccessDeniedException")

    def test_02_encrypted_objects_are_not_in_clear(self):
        key = self.kms.create_key(Description="catalog")["KeyMetadata"]
        self.state["key"] = key
        self.glue.put_data_catalog_encryption_settings(DataCatalogEncryptionSettings={
            "EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": key["Arn"]},
            "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": True, "AwsKmsKeyId": key["Arn"]}})
        got = self.glue.get_data_catalog_encryption_settings()["DataCatalogEncryptionSettings"]
        self.assertEqual(got["EncryptionAtRest"], {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": key["Arn"]})
        self.assertTrue(got["ConnectionPasswordEncryption"]["ReturnConnectionPasswordEncrypted"])

        bucket = "catenc-" + uuid.uuid4().hex[:10]
        self.s3.create_bucket(Bucket=bucket)
        self.s3.put_object(Bucket=bucket, Key="t/dt=2024-01-01/a.csv",
                           Body=b"name,n\nalpha,1\nbeta,2\n")
        db = "encdb_" + uuid.uuid4().hex[:8]
        column = "zqsecretcolumnx"
        self.state.update(bucket=bucket, db=db, column=column)
        self.glue.create_database(DatabaseInput={"Name": db, "Description": "zqsecretdescription"})
        self.glue.create_table(DatabaseName=db, TableInput=table_input("events", column, f"s3://{bucket}/t/"))
        self.glue.create_partition(DatabaseName=db, TableName="events", PartitionInput={
            "Values": ["2024-01-01"], "StorageDescriptor": {"Location": f"s3://{bucket}/t/dt=2024-01-01/"}})
        updated = table_input("events", column, f"s3://{bucket}/t/")
        updated["Description"] = "second version"
        self.glue.update_table(DatabaseName=db, TableInput=updated)

        table = self.glue.get_table(DatabaseName=db, Name="events")["Table"]
        self.assertEqual(table["StorageDescriptor"]["Columns"][0]["Name"], column)
        self.assertEqual(len(self.glue.get_table_versions(DatabaseName=db, TableName="events")["TableVersions"]), 2)
        self.assertEqual(len(self.glue.get_partitions(DatabaseName=db, TableName="events")["Partitions"]), 1)
        self.assertEqual(self.glue.get_database(Name=db)["Database"]["Description"], "zqsecretdescription")
        # The column name and the description are nowhere in the metadata store (its database and WAL).
        self.assertEqual(metadata_files_hold(column.encode()), [])
        self.assertEqual(metadata_files_hold(b"zqsecretdescription"), [])

    def test_03_athena_queries_the_encrypted_catalog(self):
        # (The query names no secret column: query strings and result headers are not catalog objects.)
        ex = self.query(self.athena, "SELECT count(*) AS c, sum(n) AS s FROM events WHERE dt = '2024-01-01'",
                        self.state["db"])
        self.assertEqual(ex["Status"]["State"], "SUCCEEDED", ex["Status"])
        rows = self.athena.get_query_results(QueryExecutionId=ex["QueryExecutionId"])["ResultSet"]["Rows"]
        self.assertEqual([d["VarCharValue"] for d in rows[1]["Data"]], ["2", "3"])
        meta = self.athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=self.state["db"],
                                              TableName="events")["TableMetadata"]
        self.assertEqual(meta["Columns"][0]["Name"], self.state["column"])

    def test_04_callers_without_the_key_are_refused(self):
        db = self.state["db"]
        key = self.user(["glue:*", "athena:*", "s3:*"])  # no kms:*
        glue = client_as("glue", key)
        err = self.glue_error(glue.get_table, DatabaseName=db, Name="events")
        self.assertEqual(err["Code"], "GlueEncryptionException")
        self.assertIn("kms:Decrypt", err["Message"])
        self.assertIn("AccessDeniedException", err["Message"])
        err = self.glue_error(glue.create_database, DatabaseInput={"Name": db + "_x"})
        self.assertEqual(err["Code"], "GlueEncryptionException")
        self.assertIn("kms:GenerateDataKey", err["Message"])
        ex = self.query(client_as("athena", key), "SELECT count(*) FROM events", db)
        self.assertEqual(ex["Status"]["State"], "FAILED", ex["Status"])
        # With kms:Decrypt the same user reads (and GenerateDataKey lets it write).
        reader = self.user(["glue:*", "kms:Decrypt", "kms:GenerateDataKey"])
        glue = client_as("glue", reader)
        self.assertEqual(glue.get_table(DatabaseName=db, Name="events")["Table"]["Name"], "events")
        glue.create_database(DatabaseInput={"Name": db + "_y"})
        self.glue.delete_database(Name=db + "_y")

    def test_05_disabled_key_is_a_kms_error(self):
        key_id = self.state["key"]["KeyId"]
        self.kms.disable_key(KeyId=key_id)
        try:
            time.sleep(KEY_REUSE_S)
            err = self.glue_error(self.glue.get_table, DatabaseName=self.state["db"], Name="events")
            self.assertEqual(err["Code"], "GlueEncryptionException")
            self.assertIn("DisabledException", err["Message"])
        finally:
            self.kms.enable_key(KeyId=key_id)

    def test_06_disabled_again_keeps_objects_readable(self):
        db = self.state["db"]
        self.glue.put_data_catalog_encryption_settings(DataCatalogEncryptionSettings={
            "EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"}})
        self.assertEqual(self.glue.get_table(DatabaseName=db, Name="events")["Table"]["Name"], "events")
        self.glue.create_table(DatabaseName=db, TableInput=table_input("clear", "zqclearcolumnx",
                                                                       f"s3://{self.state['bucket']}/c/"))
        self.assertNotEqual(metadata_files_hold(b"zqclearcolumnx"), [])  # new objects are in clear
        self.assertEqual(metadata_files_hold(self.state["column"].encode()), [])  # old ones stay sealed
        ex = self.query(self.athena, "SELECT count(*) FROM events", db)
        self.assertEqual(ex["Status"]["State"], "SUCCEEDED", ex["Status"])

    def test_07_cli_v2(self):
        cli = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws")
        if not cli:
            self.skipTest("no AWS CLI")
        env = SERVER.client_env()

        def aws(*args):
            r = subprocess.run([cli, "--endpoint-url", SERVER.endpoint, "--no-cli-pager", "--output", "json", *args],
                               capture_output=True, text=True, env=env, timeout=120)
            return r

        r = aws("glue", "put-data-catalog-encryption-settings", "--data-catalog-encryption-settings",
                json.dumps({"EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS",
                                                 "SseAwsKmsKeyId": self.state["key"]["KeyId"]}}))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = aws("glue", "get-data-catalog-encryption-settings")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["DataCatalogEncryptionSettings"]["EncryptionAtRest"]["CatalogEncryptionMode"],
                         "SSE-KMS")
        r = aws("glue", "create-database", "--database-input", json.dumps({"Name": self.state["db"] + "_cli",
                                                                           "Description": "zqclidescription"}))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = aws("glue", "get-database", "--name", self.state["db"] + "_cli")
        self.assertEqual(json.loads(r.stdout)["Database"]["Description"], "zqclidescription")
        self.assertEqual(metadata_files_hold(b"zqclidescription"), [])
        r = aws("glue", "put-data-catalog-encryption-settings", "--data-catalog-encryption-settings",
                json.dumps({"EncryptionAtRest": {"CatalogEncryptionMode": "BOGUS"}}))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ValidationException", r.stderr)  # the model's enum, checked at the boundary
        aws("glue", "put-data-catalog-encryption-settings", "--data-catalog-encryption-settings",
            json.dumps({"EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"}}))


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
