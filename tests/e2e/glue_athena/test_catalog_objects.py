"""The rest of the Glue Data Catalog, end to end with boto3 (and the AWS CLI v2 where found): user-defined
functions, connections (HidePassword, filters, connection passwords KMS-encrypted under the catalog's
ConnectionPasswordEncryption and decrypted by the client with kms:Decrypt), the catalog resource policy
(PolicyHash, PolicyHashCondition, PolicyExistsCondition), partition indexes (limits, backfill),
column statistics of tables and partitions (every ColumnStatisticsData type, per-column errors) and the
GetUnfiltered* metadata calls; everything survives kill -9.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_catalog_objects.py [-v]
     (CENOTE_AWS_CLI=/usr/bin/aws for the CLI steps; skipped when no CLI is found)
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
import unittest

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
ACCOUNT = None


def setUpModule():
    global SERVER, ACCOUNT
    SERVER = harness.Server().start()
    ACCOUNT = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def metadata_files_hold(needle):
    """The files of the data directory outside CloudTrail's event store (which records request parameters, as
    AWS's trail does) that hold `needle`."""
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


def table_input(name):
    return {"Name": name, "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "amount", "Type": "double"},
                            {"Name": "product", "Type": "string"}, {"Name": "paid", "Type": "boolean"},
                            {"Name": "price", "Type": "decimal(10,2)"}, {"Name": "day", "Type": "date"},
                            {"Name": "raw", "Type": "binary"}],
                "Location": "s3://lake/sales/",
                "SerdeInfo": {"SerializationLibrary":
                              "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}},
            "PartitionKeys": [{"Name": "year", "Type": "int"}, {"Name": "region", "Type": "string"}]}


class CatalogObjectsTest(unittest.TestCase):
    state = {}

    @classmethod
    def setUpClass(cls):
        cls.clients()
        cls.glue.create_database(DatabaseInput={"Name": "objs"})
        cls.glue.create_table(DatabaseName="objs", TableInput=table_input("sales"))
        for year, region in (("2024", "eu"), ("2025", "us")):
            cls.glue.create_partition(DatabaseName="objs", TableName="sales", PartitionInput={
                "Values": [year, region], "StorageDescriptor": {"Location": f"s3://lake/sales/{year}/{region}/"}})

    @classmethod
    def clients(cls):
        cls.glue = harness.boto3_client(SERVER, "glue")
        cls.kms = harness.boto3_client(SERVER, "kms")

    def error(self, fn, **kw):
        with self.assertRaises(ClientError) as e:
            fn(**kw)
        return e.exception.response["Error"]

    def test_01_user_defined_functions(self):
        g = self.glue
        g.create_user_defined_function(DatabaseName="objs", FunctionInput={
            "FunctionName": "Geo_Hash", "ClassName": "com.example.GeoHash", "OwnerName": "data",
            "OwnerType": "ROLE", "ResourceUris": [{"ResourceType": "JAR", "Uri": "s3://lake/udf/geo.jar"}]})
        g.create_user_defined_function(DatabaseName="objs", FunctionInput={
            "FunctionName": "geo_dist", "ClassName": "com.example.GeoDist"})
        err = self.error(g.create_user_defined_function, DatabaseName="objs",
                         FunctionInput={"FunctionName": "geo_hash", "ClassName": "x"})
        self.assertEqual(err["Code"], "AlreadyExistsException")
        fn = g.get_user_defined_function(DatabaseName="objs", FunctionName="GEO_HASH")["UserDefinedFunction"]
        self.assertEqual(fn["FunctionName"], "geo_hash")
        self.assertEqual(fn["ClassName"], "com.example.GeoHash")
        self.assertEqual(fn["OwnerType"], "ROLE")
        self.assertEqual(fn["ResourceUris"], [{"ResourceType": "JAR", "Uri": "s3://lake/udf/geo.jar"}])
        self.assertIsInstance(fn["CreateTime"], datetime.datetime)
        names = [f["FunctionName"] for f in g.get_paginator("get_user_defined_functions").paginate(
            DatabaseName="objs", Pattern="geo*", PaginationConfig={"PageSize": 1}).build_full_result()[
                "UserDefinedFunctions"]]
        self.assertEqual(sorted(names), ["geo_dist", "geo_hash"])
        self.assertEqual(len(g.get_user_defined_functions(Pattern="*dist")["UserDefinedFunctions"]), 1)
        g.update_user_defined_function(DatabaseName="objs", FunctionName="geo_dist", FunctionInput={
            "FunctionName": "geo_dist", "ClassName": "com.example.GeoDist2"})
        self.assertEqual(g.get_user_defined_function(DatabaseName="objs", FunctionName="geo_dist")[
            "UserDefinedFunction"]["ClassName"], "com.example.GeoDist2")
        g.delete_user_defined_function(DatabaseName="objs", FunctionName="geo_dist")
        err = self.error(g.get_user_defined_function, DatabaseName="objs", FunctionName="geo_dist")
        self.assertEqual(err["Code"], "EntityNotFoundException")
        err = self.error(g.get_user_defined_function, DatabaseName="nodb", FunctionName="f")
        self.assertEqual(err["Code"], "EntityNotFoundException")

    def test_02_connections(self):
        g = self.glue
        status = g.create_connection(ConnectionInput={
            "Name": "warehouse", "ConnectionType": "JDBC", "MatchCriteria": ["prod"],
            "ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:postgresql://db.internal:5432/dw",
                                     "USERNAME": "etl", "PASSWORD": "s3cret"},
            "PhysicalConnectionRequirements": {"SubnetId": "subnet-1", "AvailabilityZone": "us-east-1a"}},
            Tags={"team": "data"})
        if "CreateConnectionStatus" in g.meta.service_model.operation_model("CreateConnection").output_shape.members:
            self.assertEqual(status["CreateConnectionStatus"], "READY")  # botocore that knows the member
        g.create_connection(ConnectionInput={"Name": "stream", "ConnectionType": "KAFKA",
                                             "ConnectionProperties": {"KAFKA_BOOTSTRAP_SERVERS": "k:9092"}})
        c = g.get_connection(Name="warehouse")["Connection"]
        self.assertEqual(c["ConnectionProperties"]["PASSWORD"], "s3cret")
        self.assertEqual(c["PhysicalConnectionRequirements"]["SubnetId"], "subnet-1")
        self.assertIsInstance(c["CreationTime"], datetime.datetime)
        hidden = g.get_connection(Name="warehouse", HidePassword=True)["Connection"]
        self.assertNotIn("PASSWORD", hidden["ConnectionProperties"])
        kafka = g.get_connections(Filter={"ConnectionType": "KAFKA"})["ConnectionList"]
        self.assertEqual([x["Name"] for x in kafka], ["stream"])
        prod = g.get_connections(Filter={"MatchCriteria": ["prod"]}, HidePassword=True)["ConnectionList"]
        self.assertEqual([x["Name"] for x in prod], ["warehouse"])
        self.assertNotIn("PASSWORD", prod[0]["ConnectionProperties"])
        err = self.error(g.create_connection, ConnectionInput={
            "Name": "warehouse", "ConnectionType": "KAFKA", "ConnectionProperties": {"KAFKA_BOOTSTRAP_SERVERS": "x"}})
        self.assertEqual(err["Code"], "AlreadyExistsException")
        err = self.error(g.get_connection, Name="nothing")
        self.assertEqual(err["Code"], "EntityNotFoundException")

        # The catalog's ConnectionPasswordEncryption: the password is stored and returned KMS-encrypted; the
        # client decrypts it with KMS.
        key = self.kms.create_key(Description="connection passwords")["KeyMetadata"]
        g.put_data_catalog_encryption_settings(DataCatalogEncryptionSettings={
            "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": True, "AwsKmsKeyId": key["Arn"]}})
        g.update_connection(Name="warehouse", ConnectionInput={
            "Name": "warehouse", "ConnectionType": "JDBC", "MatchCriteria": ["prod"],
            "ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:postgresql://db.internal:5432/dw",
                                     "USERNAME": "etl", "PASSWORD": "n3w-s3cret"}})
        props = g.get_connection(Name="warehouse")["Connection"]["ConnectionProperties"]
        self.assertNotIn("PASSWORD", props)
        import base64
        blob = base64.b64decode(props["ENCRYPTED_PASSWORD"])
        self.assertEqual(self.kms.decrypt(CiphertextBlob=blob)["Plaintext"], b"n3w-s3cret")
        self.assertEqual(metadata_files_hold(b"n3w-s3cret"), [])
        g.put_data_catalog_encryption_settings(DataCatalogEncryptionSettings={
            "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": False}})

        done = g.batch_delete_connection(ConnectionNameList=["stream", "missing"])
        self.assertEqual(done["Succeeded"], ["stream"])
        self.assertEqual(done["Errors"]["missing"]["ErrorCode"], "EntityNotFoundException")

        # A connection's tags go with it: one created again under its name starts untagged.
        account = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]
        arn = f"arn:aws:glue:{SERVER.region}:{account}:connection/tagged"
        kafka_input = {"Name": "tagged", "ConnectionType": "KAFKA",
                       "ConnectionProperties": {"KAFKA_BOOTSTRAP_SERVERS": "k:9092"}}
        g.create_connection(ConnectionInput=kafka_input, Tags={"team": "data"})
        self.assertEqual(g.get_tags(ResourceArn=arn)["Tags"], {"team": "data"})
        g.delete_connection(ConnectionName="tagged")
        g.create_connection(ConnectionInput=kafka_input)
        self.assertEqual(g.get_tags(ResourceArn=arn)["Tags"], {})
        g.delete_connection(ConnectionName="tagged")

    def test_03_resource_policy(self):
        g = self.glue
        member, creds = harness.member_account(SERVER)
        import boto3
        other = boto3.session.Session().client(
            "glue", endpoint_url=SERVER.endpoint, region_name=SERVER.region,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"])
        # Without a catalog policy another account cannot use the catalog.
        err = self.error(other.get_table, CatalogId=ACCOUNT, DatabaseName="objs", Name="sales")
        self.assertEqual(err["Code"], "AccessDeniedException")

        policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{member}:root"},
            "Action": ["glue:GetTable", "glue:GetDatabase"],
            "Resource": [f"arn:aws:glue:{SERVER.region}:{ACCOUNT}:catalog",
                         f"arn:aws:glue:{SERVER.region}:{ACCOUNT}:database/objs",
                         f"arn:aws:glue:{SERVER.region}:{ACCOUNT}:table/objs/*"]}]})
        err = self.error(g.get_resource_policy)
        self.assertEqual(err["Code"], "EntityNotFoundException")
        err = self.error(g.put_resource_policy, PolicyInJson=policy, PolicyExistsCondition="MUST_EXIST")
        self.assertEqual(err["Code"], "ConditionCheckFailureException")
        h = g.put_resource_policy(PolicyInJson=policy, PolicyExistsCondition="NOT_EXIST")["PolicyHash"]
        got = g.get_resource_policy()
        self.assertEqual(json.loads(got["PolicyInJson"]), json.loads(policy))
        self.assertEqual(got["PolicyHash"], h)
        self.assertIsInstance(got["CreateTime"], datetime.datetime)
        err = self.error(g.put_resource_policy, PolicyInJson=policy, PolicyHashCondition="not-the-hash")
        self.assertEqual(err["Code"], "ConditionCheckFailureException")
        err = self.error(g.put_resource_policy, PolicyInJson='{"Statement": "nope"}')
        self.assertEqual(err["Code"], "InvalidInputException")
        self.assertEqual(len(g.get_resource_policies()["GetResourcePoliciesResponseList"]), 1)
        self.state["policy_hash"] = h

        # The policy grants the member account what it names, and nothing else.
        t = other.get_table(CatalogId=ACCOUNT, DatabaseName="objs", Name="sales")["Table"]
        self.assertEqual(t["CatalogId"], ACCOUNT)
        self.assertEqual(other.get_database(CatalogId=ACCOUNT, Name="objs")["Database"]["Name"], "objs")
        err = self.error(other.delete_table, CatalogId=ACCOUNT, DatabaseName="objs", Name="sales")
        self.assertEqual(err["Code"], "AccessDeniedException")
        err = self.error(other.get_table, CatalogId=ACCOUNT, DatabaseName="other", Name="x")
        self.assertEqual(err["Code"], "AccessDeniedException")

    def test_04_partition_indexes(self):
        g = self.glue
        g.create_partition_index(DatabaseName="objs", TableName="sales",
                                 PartitionIndex={"IndexName": "by_region", "Keys": ["region"]})
        g.create_partition_index(DatabaseName="objs", TableName="sales",
                                 PartitionIndex={"IndexName": "by_year_region", "Keys": ["year", "region"]})
        err = self.error(g.create_partition_index, DatabaseName="objs", TableName="sales",
                         PartitionIndex={"IndexName": "bad", "Keys": ["amount"]})
        self.assertEqual(err["Code"], "InvalidInputException")
        g.create_partition_index(DatabaseName="objs", TableName="sales",
                                 PartitionIndex={"IndexName": "by_year", "Keys": ["year"]})
        err = self.error(g.create_partition_index, DatabaseName="objs", TableName="sales",
                         PartitionIndex={"IndexName": "fourth", "Keys": ["region", "year"]})
        self.assertEqual(err["Code"], "ResourceNumberLimitExceededException")
        indexes = g.get_partition_indexes(DatabaseName="objs", TableName="sales")["PartitionIndexDescriptorList"]
        self.assertEqual([i["IndexName"] for i in indexes], ["by_region", "by_year", "by_year_region"])
        self.assertEqual({i["IndexStatus"] for i in indexes}, {"ACTIVE"})
        self.assertEqual(indexes[2]["Keys"], [{"Name": "year", "Type": "int"}, {"Name": "region", "Type": "string"}])
        g.delete_partition_index(DatabaseName="objs", TableName="sales", IndexName="by_year")
        err = self.error(g.delete_partition_index, DatabaseName="objs", TableName="sales", IndexName="by_year")
        self.assertEqual(err["Code"], "EntityNotFoundException")
        # CreateTable's PartitionIndexes.
        t = table_input("events")
        g.create_table(DatabaseName="objs", TableInput=t,
                       PartitionIndexes=[{"IndexName": "ev_year", "Keys": ["year"]}])
        self.assertEqual([i["IndexName"] for i in g.get_partition_indexes(
            DatabaseName="objs", TableName="events")["PartitionIndexDescriptorList"]], ["ev_year"])

    def test_05_column_statistics(self):
        g = self.glue
        now = datetime.datetime(2024, 6, 1, tzinfo=datetime.timezone.utc)
        day = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)

        def stats(name, ctype, data):
            return {"ColumnName": name, "ColumnType": ctype, "AnalyzedTime": now, "StatisticsData": data}
        out = g.update_column_statistics_for_table(DatabaseName="objs", TableName="sales", ColumnStatisticsList=[
            stats("id", "bigint", {"Type": "LONG", "LongColumnStatisticsData": {
                "MinimumValue": 1, "MaximumValue": 500, "NumberOfNulls": 0, "NumberOfDistinctValues": 500}}),
            stats("amount", "double", {"Type": "DOUBLE", "DoubleColumnStatisticsData": {
                "MinimumValue": 0.5, "MaximumValue": 99.25, "NumberOfNulls": 4, "NumberOfDistinctValues": 120}}),
            stats("product", "string", {"Type": "STRING", "StringColumnStatisticsData": {
                "MaximumLength": 6, "AverageLength": 5.25, "NumberOfNulls": 0, "NumberOfDistinctValues": 4}}),
            stats("paid", "boolean", {"Type": "BOOLEAN", "BooleanColumnStatisticsData": {
                "NumberOfTrues": 300, "NumberOfFalses": 200, "NumberOfNulls": 0}}),
            stats("price", "decimal(10,2)", {"Type": "DECIMAL", "DecimalColumnStatisticsData": {
                "MinimumValue": {"UnscaledValue": b"\x00\x96", "Scale": 2},
                "MaximumValue": {"UnscaledValue": b"\xff\x27\x0f", "Scale": 2},
                "NumberOfNulls": 1, "NumberOfDistinctValues": 40}}),
            stats("day", "date", {"Type": "DATE", "DateColumnStatisticsData": {
                "MinimumValue": day, "MaximumValue": now, "NumberOfNulls": 0, "NumberOfDistinctValues": 150}}),
            stats("raw", "binary", {"Type": "BINARY", "BinaryColumnStatisticsData": {
                "MaximumLength": 512, "AverageLength": 100.5, "NumberOfNulls": 9}}),
            stats("missing", "bigint", {"Type": "LONG", "LongColumnStatisticsData": {
                "NumberOfNulls": 0, "NumberOfDistinctValues": 1}}),
            stats("product", "string", {"Type": "DOUBLE", "DoubleColumnStatisticsData": {
                "NumberOfNulls": 0, "NumberOfDistinctValues": 1}}),
        ])
        self.assertEqual([(e["ColumnStatistics"]["ColumnName"], e["Error"]["ErrorCode"]) for e in out["Errors"]],
                         [("missing", "EntityNotFoundException"), ("product", "InvalidInputException")])
        got = g.get_column_statistics_for_table(DatabaseName="objs", TableName="sales", ColumnNames=[
            "id", "amount", "product", "paid", "price", "day", "raw", "missing"])
        by = {s["ColumnName"]: s for s in got["ColumnStatisticsList"]}
        self.assertEqual(set(by), {"id", "amount", "product", "paid", "price", "day", "raw"})
        self.assertEqual(by["id"]["StatisticsData"]["LongColumnStatisticsData"]["MaximumValue"], 500)
        self.assertEqual(by["amount"]["StatisticsData"]["DoubleColumnStatisticsData"]["MaximumValue"], 99.25)
        self.assertEqual(by["product"]["StatisticsData"]["StringColumnStatisticsData"]["AverageLength"], 5.25)
        self.assertEqual(by["paid"]["StatisticsData"]["BooleanColumnStatisticsData"]["NumberOfFalses"], 200)
        dec = by["price"]["StatisticsData"]["DecimalColumnStatisticsData"]
        self.assertEqual(dec["MinimumValue"], {"UnscaledValue": b"\x00\x96", "Scale": 2})
        self.assertEqual(dec["MaximumValue"]["UnscaledValue"], b"\xff\x27\x0f")
        self.assertEqual(by["day"]["StatisticsData"]["DateColumnStatisticsData"]["MinimumValue"], day)
        self.assertEqual(by["raw"]["StatisticsData"]["BinaryColumnStatisticsData"]["MaximumLength"], 512)
        self.assertEqual(by["id"]["AnalyzedTime"], now)
        self.assertEqual([e["ColumnName"] for e in got["Errors"]], ["missing"])

        g.update_column_statistics_for_partition(
            DatabaseName="objs", TableName="sales", PartitionValues=["2024", "eu"], ColumnStatisticsList=[
                stats("id", "bigint", {"Type": "LONG", "LongColumnStatisticsData": {
                    "MinimumValue": 1, "MaximumValue": 250, "NumberOfNulls": 0, "NumberOfDistinctValues": 250}})])
        part = g.get_column_statistics_for_partition(DatabaseName="objs", TableName="sales",
                                                     PartitionValues=["2024", "eu"], ColumnNames=["id"])
        self.assertEqual(part["ColumnStatisticsList"][0]["StatisticsData"]["LongColumnStatisticsData"][
            "MaximumValue"], 250)
        err = self.error(g.get_column_statistics_for_partition, DatabaseName="objs", TableName="sales",
                         PartitionValues=["1999", "eu"], ColumnNames=["id"])
        self.assertEqual(err["Code"], "EntityNotFoundException")
        g.delete_column_statistics_for_table(DatabaseName="objs", TableName="sales", ColumnName="raw")
        err = self.error(g.delete_column_statistics_for_table, DatabaseName="objs", TableName="sales",
                         ColumnName="raw")
        self.assertEqual(err["Code"], "EntityNotFoundException")

    def test_06_unfiltered_metadata(self):
        g = self.glue
        t = g.get_unfiltered_table_metadata(CatalogId=ACCOUNT, DatabaseName="objs", Name="sales",
                                            SupportedPermissionTypes=["COLUMN_PERMISSION"])
        self.assertFalse(t["IsRegisteredWithLakeFormation"])
        self.assertEqual(t["AuthorizedColumns"],
                         ["id", "amount", "product", "paid", "price", "day", "raw", "year", "region"])
        self.assertEqual(t["Table"]["Name"], "sales")
        p = g.get_unfiltered_partition_metadata(CatalogId=ACCOUNT, DatabaseName="objs", TableName="sales",
                                                PartitionValues=["2025", "us"],
                                                SupportedPermissionTypes=["COLUMN_PERMISSION"])
        self.assertEqual(p["Partition"]["Values"], ["2025", "us"])
        ps = g.get_unfiltered_partitions_metadata(CatalogId=ACCOUNT, DatabaseName="objs", TableName="sales",
                                                  Expression="region = 'eu'",
                                                  SupportedPermissionTypes=["COLUMN_PERMISSION"])
        self.assertEqual([x["Partition"]["Values"] for x in ps["UnfilteredPartitions"]], [["2024", "eu"]])
        err = self.error(g.get_unfiltered_table_metadata, CatalogId="111122223333", DatabaseName="objs",
                         Name="sales", SupportedPermissionTypes=["COLUMN_PERMISSION"])
        self.assertEqual(err["Code"], "AccessDeniedException")

    def test_07_statistics_task_run_computes_with_the_engine(self):
        """StartColumnStatisticsTaskRun reads the table's files as the role with the query engine."""
        if not hasattr(self.glue, "start_column_statistics_task_run"):
            self.skipTest("this botocore predates column statistics task runs (run with a newer boto3)")
        import time
        import uuid
        g = self.glue
        s3 = harness.boto3_client(SERVER)
        bucket = "colstats-" + uuid.uuid4().hex[:8]
        s3.create_bucket(Bucket=bucket)
        rows = ["1,apple,1.50,2024-01-05,true,2.5", "2,banana,20.25,2024-02-01,false,\\N",
                "3,apple,-3.00,2024-01-01,true,7.25", "4,\\N,0.10,\\N,\\N,1.0"]
        s3.put_object(Bucket=bucket, Key="items/part-0.csv", Body=("\n".join(rows) + "\n").encode())
        g.create_table(DatabaseName="objs", TableInput={
            "Name": "items", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "csv"},
            "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "bigint"}, {"Name": "name", "Type": "string"},
                            {"Name": "price", "Type": "decimal(10,2)"}, {"Name": "day", "Type": "date"},
                            {"Name": "ok", "Type": "boolean"}, {"Name": "score", "Type": "double"}],
                "Location": f"s3://{bucket}/items/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                              "Parameters": {"field.delim": ","}}}})
        role = f"arn:aws:iam::{ACCOUNT}:role/stats-runner"
        harness.create_service_role(SERVER, role, "glue.amazonaws.com", actions=("s3:GetObject", "s3:ListBucket"))
        run_id = g.start_column_statistics_task_run(DatabaseName="objs", TableName="items",
                                                    Role=role)["ColumnStatisticsTaskRunId"]
        deadline = time.time() + 60
        while True:
            run = g.get_column_statistics_task_run(ColumnStatisticsTaskRunId=run_id)["ColumnStatisticsTaskRun"]
            if run["Status"] not in ("STARTING", "RUNNING") or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(run["Status"], "SUCCEEDED", run.get("ErrorMessage"))
        self.assertEqual(run["Role"], role)
        self.assertIn(run_id, g.list_column_statistics_task_runs()["ColumnStatisticsTaskRunIds"])
        got = g.get_column_statistics_for_table(DatabaseName="objs", TableName="items", ColumnNames=[
            "id", "name", "price", "day", "ok", "score"])
        by = {s["ColumnName"]: s["StatisticsData"] for s in got["ColumnStatisticsList"]}
        self.assertEqual(by["id"]["LongColumnStatisticsData"], {
            "MinimumValue": 1, "MaximumValue": 4, "NumberOfNulls": 0, "NumberOfDistinctValues": 4})
        self.assertEqual(by["name"]["StringColumnStatisticsData"]["NumberOfDistinctValues"], 2)
        self.assertEqual(by["name"]["StringColumnStatisticsData"]["MaximumLength"], 6)
        self.assertEqual(by["price"]["DecimalColumnStatisticsData"]["MinimumValue"],
                         {"UnscaledValue": (-300).to_bytes(2, "big", signed=True), "Scale": 2})
        self.assertEqual(by["price"]["DecimalColumnStatisticsData"]["MaximumValue"],
                         {"UnscaledValue": (2025).to_bytes(2, "big", signed=True), "Scale": 2})
        dates = by["day"]["DateColumnStatisticsData"]
        self.assertEqual((dates["MinimumValue"].date().isoformat(), dates["MaximumValue"].date().isoformat(),
                          dates["NumberOfNulls"]), ("2024-01-01", "2024-02-01", 1))
        self.assertEqual(by["ok"]["BooleanColumnStatisticsData"],
                         {"NumberOfTrues": 2, "NumberOfFalses": 1, "NumberOfNulls": 1})
        self.assertEqual(by["score"]["DoubleColumnStatisticsData"], {
            "MinimumValue": 1.0, "MaximumValue": 7.25, "NumberOfNulls": 1, "NumberOfDistinctValues": 3})
        err = self.error(g.stop_column_statistics_task_run, DatabaseName="objs", TableName="items")
        self.assertEqual(err["Code"], "ColumnStatisticsTaskNotRunningException")

    def test_09_survive_kill9(self):
        SERVER.restart(crash=True)
        type(self).clients()
        g = self.glue
        self.assertEqual(g.get_user_defined_function(DatabaseName="objs", FunctionName="geo_hash")[
            "UserDefinedFunction"]["ClassName"], "com.example.GeoHash")
        self.assertIn("ENCRYPTED_PASSWORD", g.get_connection(Name="warehouse")["Connection"]["ConnectionProperties"])
        self.assertEqual(g.get_resource_policy()["PolicyHash"], self.state["policy_hash"])
        self.assertEqual(len(g.get_partition_indexes(DatabaseName="objs", TableName="sales")[
            "PartitionIndexDescriptorList"]), 2)
        got = g.get_column_statistics_for_table(DatabaseName="objs", TableName="sales", ColumnNames=["id", "raw"])
        self.assertEqual([s["ColumnName"] for s in got["ColumnStatisticsList"]], ["id"])
        # Deleting the table takes its indexes and statistics with it.
        g.delete_table(DatabaseName="objs", Name="sales")
        g.create_table(DatabaseName="objs", TableInput=table_input("sales"))
        self.assertEqual(g.get_partition_indexes(DatabaseName="objs", TableName="sales")[
            "PartitionIndexDescriptorList"], [])
        got = g.get_column_statistics_for_table(DatabaseName="objs", TableName="sales", ColumnNames=["id"])
        self.assertEqual(got["ColumnStatisticsList"], [])


class CatalogObjectsCliTest(harness.CliCase):
    def server(self):
        return SERVER

    def setUp(self):
        cli = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws")
        if not cli:
            self.skipTest("no AWS CLI found")
        version = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=60)
        if not (version.stdout + version.stderr).startswith("aws-cli/2"):
            self.skipTest(f"{cli} is not the AWS CLI v2")
        super().setUp()

    def test_cli_functions_connections_policy(self):
        self.aws("glue", "create-database", "--database-input", json.dumps({"Name": "clidb"}))
        self.aws("glue", "create-user-defined-function", "--database-name", "clidb", "--function-input",
                 json.dumps({"FunctionName": "f1", "ClassName": "com.example.F1"}))
        got = self.aws_json("glue", "get-user-defined-functions", "--database-name", "clidb", "--pattern", "f*")
        self.assertEqual([f["FunctionName"] for f in got["UserDefinedFunctions"]], ["f1"])
        self.aws("glue", "create-connection", "--connection-input", json.dumps({
            "Name": "cli-conn", "ConnectionType": "NETWORK", "ConnectionProperties": {}}))
        got = self.aws_json("glue", "get-connection", "--name", "cli-conn")
        self.assertEqual(got["Connection"]["ConnectionType"], "NETWORK")
        r = self.aws("glue", "get-connection", "--name", "absent", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("EntityNotFoundException", r.stderr)
        self.aws("glue", "create-table", "--database-name", "clidb", "--table-input",
                 json.dumps(table_input("t")))
        self.aws("glue", "create-partition-index", "--database-name", "clidb", "--table-name", "t",
                 "--partition-index", json.dumps({"IndexName": "i", "Keys": ["region"]}))
        got = self.aws_json("glue", "get-partition-indexes", "--database-name", "clidb", "--table-name", "t")
        self.assertEqual(got["PartitionIndexDescriptorList"][0]["IndexStatus"], "ACTIVE")
        got = self.aws_json("glue", "get-unfiltered-table-metadata", "--catalog-id", ACCOUNT, "--database-name",
                            "clidb", "--name", "t", "--supported-permission-types", "COLUMN_PERMISSION")
        self.assertFalse(got["IsRegisteredWithLakeFormation"])


if __name__ == "__main__":
    harness.main()
