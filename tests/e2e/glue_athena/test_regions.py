"""Glue and Athena per region, with boto3 clients configured for two regions against one server.

As on AWS, the Data Catalog, crawlers, workgroups, named queries and query executions live in the namespace
of the account and the request's region: what is created in eu-west-1 is not seen from us-east-1 and the
other way round, the same name in both regions is two resources, and an Athena query runs against the
catalog of its own region.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_regions.py [-v] [TestClass.test_name ...]
"""

import os
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import lake  # noqa: E402

EU = "eu-west-1"
US = "us-east-1"

SERVER = None
CLIENTS = {}  # (service, region) -> boto3 client
BUCKET = None


def client(service, region):
    """A boto3 client for `service` signing for `region` (its SigV4 credential scope names the region)."""
    key = (service, region)
    if key not in CLIENTS:
        import boto3
        from botocore.config import Config
        cfg = dict(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)
        if service == "s3":
            cfg["s3"] = {"addressing_style": "path"}
            cfg["signature_version"] = "s3v4"
        CLIENTS[key] = boto3.session.Session().client(
            service, endpoint_url=SERVER.endpoint, region_name=region, verify=not SERVER.tls,
            aws_access_key_id=SERVER.access_key, aws_secret_access_key=SERVER.secret_key, config=Config(**cfg))
    return CLIENTS[key]


def setUpModule():
    global SERVER, BUCKET
    SERVER = harness.Server()
    SERVER.start()
    harness.create_service_role(SERVER, lake.CRAWLER_ROLE, "glue.amazonaws.com")
    try:
        BUCKET = f"regions-e2e-{uuid.uuid4().hex[:10]}"
        client("s3", EU).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": EU})
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


class GlueCatalogPerRegion(unittest.TestCase):
    def test_database_created_in_one_region_is_invisible_in_the_other(self):
        eu, us = client("glue", EU), client("glue", US)
        name = unique("regional")
        eu.create_database(DatabaseInput={"Name": name, "Description": "eu"})
        with self.assertRaises(us.exceptions.EntityNotFoundException):
            us.get_database(Name=name)
        self.assertNotIn(name, [d["Name"] for d in us.get_databases()["DatabaseList"]])
        self.assertIn(name, [d["Name"] for d in eu.get_databases()["DatabaseList"]])
        # CatalogId is the account, in every region.
        catalog_id = eu.get_database(Name=name)["Database"]["CatalogId"]
        self.assertRegex(catalog_id, r"^[0-9]{12}$")
        self.assertEqual(eu.get_database(Name=name, CatalogId=catalog_id)["Database"]["Name"], name)

        # The other way round: created in us-east-1, not seen from eu-west-1.
        other = unique("regional")
        us.create_database(DatabaseInput={"Name": other})
        with self.assertRaises(eu.exceptions.EntityNotFoundException):
            eu.get_database(Name=other)

    def test_same_name_in_both_regions_is_two_databases(self):
        eu, us = client("glue", EU), client("glue", US)
        name = unique("twin")
        eu.create_database(DatabaseInput={"Name": name, "Description": "in eu-west-1"})
        us.create_database(DatabaseInput={"Name": name, "Description": "in us-east-1"})
        self.assertEqual(eu.get_database(Name=name)["Database"]["Description"], "in eu-west-1")
        self.assertEqual(us.get_database(Name=name)["Database"]["Description"], "in us-east-1")
        table = {"Name": "t", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"}],
                                                      "Location": f"s3://{BUCKET}/twin/"}}
        eu.create_table(DatabaseName=name, TableInput=table)
        self.assertEqual([t["Name"] for t in eu.get_tables(DatabaseName=name)["TableList"]], ["t"])
        self.assertEqual(us.get_tables(DatabaseName=name)["TableList"], [])
        us.delete_database(Name=name)
        self.assertEqual(eu.get_table(DatabaseName=name, Name="t")["Table"]["Name"], "t")

    def test_crawlers_are_per_region(self):
        eu, us = client("glue", EU), client("glue", US)
        name = unique("crawler")
        eu.create_crawler(Name=name, Role=lake.CRAWLER_ROLE, DatabaseName="default",
                          Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/nothing/"}]})
        self.assertIn(name, eu.list_crawlers()["CrawlerNames"])
        self.assertNotIn(name, us.list_crawlers()["CrawlerNames"])
        with self.assertRaises(us.exceptions.EntityNotFoundException):
            us.get_crawler(Name=name)
        eu.delete_crawler(Name=name)


class AthenaPerRegion(unittest.TestCase):
    def test_workgroup_created_in_one_region_is_invisible_in_the_other(self):
        eu, us = client("athena", EU), client("athena", US)
        name = unique("wg")
        eu.create_work_group(Name=name, Description="eu")
        with self.assertRaises(us.exceptions.InvalidRequestException):
            us.get_work_group(WorkGroup=name)
        self.assertNotIn(name, [w["Name"] for w in us.list_work_groups()["WorkGroups"]])
        # "primary" exists in both.
        for c in (eu, us):
            self.assertIn("primary", [w["Name"] for w in c.list_work_groups()["WorkGroups"]])
        # The same name in us-east-1 is another workgroup.
        us.create_work_group(Name=name, Description="us")
        self.assertEqual(eu.get_work_group(WorkGroup=name)["WorkGroup"]["Description"], "eu")
        self.assertEqual(us.get_work_group(WorkGroup=name)["WorkGroup"]["Description"], "us")

    def test_default_database_in_every_region(self):
        for region in (EU, US):
            names = [d["Name"] for d in client("athena", region).list_databases(
                CatalogName="AwsDataCatalog")["DatabaseList"]]
            self.assertIn("default", names, region)

    def test_query_in_eu_west_1_over_an_eu_west_1_table(self):
        s3, glue = client("s3", EU), client("glue", EU)
        db = unique("eu_lake")
        s3.put_object(Bucket=BUCKET, Key=f"{db}/orders/part-0.csv", Body=b"id,amount\n1,2.5\n2,4.0\n3,1.5\n")
        glue.create_database(DatabaseInput={"Name": db})
        glue.create_table(DatabaseName=db, TableInput={
            "Name": "orders", "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "int"}, {"Name": "amount", "Type": "double"}],
                "Location": f"s3://{BUCKET}/{db}/orders/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                              "Parameters": {"field.delim": ","}}}})
        eu = lake.Athena(client("athena", EU), f"s3://{BUCKET}/results/eu/", database=db)
        self.assertEqual(eu.select("SELECT count(*) AS n, sum(amount) AS total FROM orders"), [["3", "8.0"]])
        # The execution is eu-west-1's: us-east-1 does not know it, and there the table does not exist.
        qid = eu.start("SELECT 1")
        eu.wait(qid)
        us_client = client("athena", US)
        with self.assertRaises(us_client.exceptions.InvalidRequestException):
            us_client.get_query_execution(QueryExecutionId=qid)
        us = lake.Athena(us_client, f"s3://{BUCKET}/results/us/")
        qe = us.execute(f"SELECT count(*) FROM {db}.orders", expect="FAILED")
        self.assertIn(db, qe["Status"].get("StateChangeReason", ""))

    def test_athena_ddl_in_one_region_writes_that_regions_catalog(self):
        db = unique("ddl_eu")
        lake.Athena(client("athena", EU), f"s3://{BUCKET}/results/ddl/").execute(f"CREATE DATABASE {db}")
        self.assertEqual(client("glue", EU).get_database(Name=db)["Database"]["Name"], db)
        with self.assertRaises(client("glue", US).exceptions.EntityNotFoundException):
            client("glue", US).get_database(Name=db)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
