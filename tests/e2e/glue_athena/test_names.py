"""Glue's name limits and messages, and renames, end to end with boto3 and the AWS CLI v2.

Every Glue name is the model's string: databases, tables, columns, connections, functions, crawlers, jobs,
triggers and workflows are 1-255 characters of the single-line pattern
[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]* (so '/', '-' and spaces are accepted), partition
values at most 1024, registry and schema names [a-zA-Z0-9-_$#.]+. Glue answers a violation with
ValidationException in the parse stage's words; databases, tables, columns and functions are folded to lower
case as Glue stores them. Renames: UpdateDatabase with another name is InvalidInputException "Database cannot
be renamed"; UpdateTable's TableInput.Name names the table to update (Glue has no rename); Athena's ALTER
TABLE RENAME TO on a Hive table fails with Glue's refusal as Athena reports it ("Table cannot be renamed"), and
Athena answers Glue's validation error for a DDL name Glue refuses.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_names.py [-v]
     (CENOTE_AWS_CLI=/usr/bin/aws for the CLI tests)
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import lake  # noqa: E402

LAKE = None
SERVER = None
GLUE = ATHENA = S3 = None
BUCKET = DB = None

SINGLE_LINE = "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*"
TOO_LONG = "Member must have length less than or equal to 255"


def setUpModule():
    global LAKE, SERVER, GLUE, ATHENA, S3, BUCKET, DB
    LAKE = lake.ModuleLake("names-e2e", "names")
    SERVER, S3, GLUE, ATHENA, BUCKET, DB = LAKE.server, LAKE.s3, LAKE.glue, LAKE.athena_client, LAKE.bucket, LAKE.db
    GLUE.create_table(DatabaseName=DB, TableInput={
        "Name": "events", "PartitionKeys": [{"Name": "day", "Type": "string"}],
        "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"}], "Location": f"s3://{BUCKET}/events/"}})


def tearDownModule():
    if LAKE is not None:
        LAKE.close()


def message(value, path, constraint):
    return f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"


class Limits(unittest.TestCase):
    def refused(self, call, expected_message=None, contains=None):
        with self.assertRaises(GLUE.exceptions.ClientError) as cm:
            call()
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "ValidationException", err)
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        if expected_message is not None:
            self.assertEqual(err["Message"], expected_message)
        for part in contains or ():
            self.assertIn(part, err["Message"])

    def test_256_characters_for_every_named_resource(self):
        long = "n" * 256
        targets = {"S3Targets": [{"Path": f"s3://{BUCKET}/x/"}]}
        cases = [
            ("databaseInput.name", lambda: GLUE.create_database(DatabaseInput={"Name": long})),
            ("tableInput.name", lambda: GLUE.create_table(DatabaseName=DB, TableInput={"Name": long})),
            ("tableInput.storageDescriptor.columns.2.member.name",
             lambda: GLUE.create_table(DatabaseName=DB, TableInput={"Name": "t", "StorageDescriptor": {
                 "Columns": [{"Name": "ok", "Type": "int"}, {"Name": long, "Type": "int"}]}})),
            ("tableInput.partitionKeys.1.member.name",
             lambda: GLUE.create_table(DatabaseName=DB, TableInput={"Name": "t", "PartitionKeys": [
                 {"Name": long, "Type": "string"}]})),
            ("connectionInput.name", lambda: GLUE.create_connection(ConnectionInput={
                "Name": long, "ConnectionType": "KAFKA",
                "ConnectionProperties": {"KAFKA_BOOTSTRAP_SERVERS": "b:9092"}})),
            ("functionInput.functionName", lambda: GLUE.create_user_defined_function(
                DatabaseName=DB, FunctionInput={"FunctionName": long, "ClassName": "c.F", "OwnerName": "o",
                                                "OwnerType": "USER"})),
            ("name", lambda: GLUE.create_crawler(Name=long, Role=lake.CRAWLER_ROLE, DatabaseName=DB,
                                                 Targets=targets)),
            ("name", lambda: GLUE.create_job(Name=long, Role=lake.CRAWLER_ROLE,
                                             Command={"Name": "pythonshell", "ScriptLocation": "s3://b/s.py"})),
            ("name", lambda: GLUE.create_trigger(Name=long, Type="ON_DEMAND", Actions=[{"JobName": "j"}])),
            ("name", lambda: GLUE.create_workflow(Name=long)),
        ]
        for path, call in cases:
            with self.subTest(path=path):
                self.refused(call, message(long, path, TOO_LONG))
        # 255 characters are accepted.
        GLUE.create_database(DatabaseInput={"Name": "d" * 255})
        self.assertEqual(GLUE.get_database(Name="D" * 255)["Database"]["Name"], "d" * 255)
        GLUE.create_workflow(Name="w" * 255)

    def test_registry_and_schema_names(self):
        self.refused(lambda: GLUE.create_registry(RegistryName="a/b"),
                     message("a/b", "registryName", "Member must satisfy regular expression pattern: "
                                                    "[a-zA-Z0-9-_$#.]+"))
        self.refused(lambda: GLUE.create_registry(RegistryName="r" * 256),
                     message("r" * 256, "registryName", TOO_LONG))
        self.refused(lambda: GLUE.create_schema(SchemaName="has space", DataFormat="AVRO",
                                                SchemaDefinition='{"type": "string"}'),
                     contains=["at 'schemaName' failed to satisfy constraint: Member must satisfy regular "
                               "expression pattern: [a-zA-Z0-9-_$#.]+"])

    def test_partition_values(self):
        self.refused(lambda: GLUE.create_partition(DatabaseName=DB, TableName="events", PartitionInput={
            "Values": ["v" * 1025]}),
                     contains=["Value '[vvv", "...(truncated)' at 'partitionInput.values' failed to satisfy "
                               "constraint: Member must satisfy constraint: [Member must have length less than or "
                               "equal to 1024, Member must have length greater than or equal to 1]"])
        GLUE.create_partition(DatabaseName=DB, TableName="events", PartitionInput={"Values": ["v" * 1024]})
        self.assertEqual(GLUE.get_partition(DatabaseName=DB, TableName="events",
                                            PartitionValues=["v" * 1024])["Partition"]["Values"], ["v" * 1024])

    def test_single_line_pattern(self):
        self.refused(lambda: GLUE.create_database(DatabaseInput={"Name": "a\nb"}),
                     message("a\nb", "databaseInput.name",
                             "Member must satisfy regular expression pattern: " + SINGLE_LINE))
        self.refused(lambda: GLUE.create_table(DatabaseName=DB, TableInput={"Name": "t\x01"}),
                     message("t\x01", "tableInput.name",
                             "Member must satisfy regular expression pattern: " + SINGLE_LINE))
        # '/', '-', spaces, tabs and non-ASCII letters are within the pattern.
        for name in ("a/b", "a-b c", "tab\there", "caf\u00e9"):
            with self.subTest(name=name):
                GLUE.create_database(DatabaseInput={"Name": name})
                self.assertEqual(GLUE.get_database(Name=name)["Database"]["Name"], name)

    def test_names_folded_to_lower_case_as_glue_stores_them(self):
        GLUE.create_database(DatabaseInput={"Name": "MixedCase_DB"})
        self.assertEqual(GLUE.get_database(Name="MIXEDCASE_DB")["Database"]["Name"], "mixedcase_db")
        GLUE.create_table(DatabaseName="MixedCase_DB", TableInput={
            "Name": "SalesTable", "StorageDescriptor": {"Columns": [{"Name": "OrderId", "Type": "int"}]},
            "PartitionKeys": [{"Name": "Day", "Type": "string"}]})
        t = GLUE.get_table(DatabaseName="mixedcase_db", Name="SALESTABLE")["Table"]
        self.assertEqual((t["Name"], t["DatabaseName"]), ("salestable", "mixedcase_db"))
        self.assertEqual(t["StorageDescriptor"]["Columns"][0]["Name"], "orderid")
        GLUE.create_user_defined_function(DatabaseName=DB, FunctionInput={
            "FunctionName": "MyFunc", "ClassName": "com.example.MyFunc", "OwnerName": "o", "OwnerType": "USER"})
        self.assertEqual(GLUE.get_user_defined_function(DatabaseName=DB, FunctionName="MYFUNC")
                         ["UserDefinedFunction"]["FunctionName"], "myfunc")
        # Crawlers and workflows keep their case: another case is another name.
        GLUE.create_workflow(Name="MyWorkflow")
        self.assertEqual(GLUE.get_workflow(Name="MyWorkflow")["Workflow"]["Name"], "MyWorkflow")
        with self.assertRaises(GLUE.exceptions.EntityNotFoundException):
            GLUE.get_workflow(Name="myworkflow")


class Renames(unittest.TestCase):
    def test_update_database_with_another_name(self):
        GLUE.create_database(DatabaseInput={"Name": "before_rename"})
        with self.assertRaises(GLUE.exceptions.InvalidInputException) as cm:
            GLUE.update_database(Name="before_rename", DatabaseInput={"Name": "after_rename"})
        self.assertEqual(cm.exception.response["Error"]["Message"], "Database cannot be renamed")
        # The same name in another case is the same database.
        GLUE.update_database(Name="before_rename", DatabaseInput={"Name": "BEFORE_RENAME", "Description": "d"})
        self.assertEqual(GLUE.get_database(Name="before_rename")["Database"]["Description"], "d")
        with self.assertRaises(GLUE.exceptions.EntityNotFoundException):
            GLUE.get_database(Name="after_rename")

    def test_update_table_names_the_table_to_update(self):
        with self.assertRaises(GLUE.exceptions.EntityNotFoundException) as cm:
            GLUE.update_table(DatabaseName=DB, TableInput={"Name": "events_renamed"})
        self.assertEqual(cm.exception.response["Error"]["Message"], "Table events_renamed not found.")
        version = GLUE.get_table(DatabaseName=DB, Name="events")["Table"]["VersionId"]
        GLUE.update_table(DatabaseName=DB, TableInput={"Name": "EVENTS", "Description": "updated",
                                                      "PartitionKeys": [{"Name": "day", "Type": "string"}]},
                          VersionId=version)
        with self.assertRaises(GLUE.exceptions.ConcurrentModificationException) as cm:
            GLUE.update_table(DatabaseName=DB, TableInput={"Name": "events"}, VersionId=version)
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "Update table failed due to concurrent modifications.")

    def test_update_connection_and_function_with_another_name_move_them(self):
        kafka = {"ConnectionType": "KAFKA", "ConnectionProperties": {"KAFKA_BOOTSTRAP_SERVERS": "b:9092"}}
        GLUE.create_connection(ConnectionInput={"Name": "conn_a", **kafka})
        GLUE.create_connection(ConnectionInput={"Name": "conn_b", **kafka})
        GLUE.update_connection(Name="conn_a", ConnectionInput={"Name": "conn_c", **kafka})
        with self.assertRaises(GLUE.exceptions.EntityNotFoundException):
            GLUE.get_connection(Name="conn_a")
        self.assertEqual(GLUE.get_connection(Name="conn_c")["Connection"]["Name"], "conn_c")
        with self.assertRaises(GLUE.exceptions.AlreadyExistsException):
            GLUE.update_connection(Name="conn_c", ConnectionInput={"Name": "conn_b", **kafka})
        self.assertEqual(sorted(c["Name"] for c in GLUE.get_connections()["ConnectionList"]
                                if c["Name"].startswith("conn_")), ["conn_b", "conn_c"])

        for name in ("fn_a", "fn_b"):
            GLUE.create_user_defined_function(DatabaseName=DB, FunctionInput={"FunctionName": name, "ClassName": name})
        GLUE.update_user_defined_function(DatabaseName=DB, FunctionName="fn_a",
                                          FunctionInput={"FunctionName": "fn_c", "ClassName": "c"})
        with self.assertRaises(GLUE.exceptions.EntityNotFoundException):
            GLUE.get_user_defined_function(DatabaseName=DB, FunctionName="fn_a")
        with self.assertRaises(GLUE.exceptions.AlreadyExistsException):
            GLUE.update_user_defined_function(DatabaseName=DB, FunctionName="fn_c",
                                              FunctionInput={"FunctionName": "fn_b", "ClassName": "x"})
        self.assertEqual(GLUE.get_user_defined_function(DatabaseName=DB, FunctionName="fn_b")[
            "UserDefinedFunction"]["ClassName"], "fn_b")
        self.assertEqual(GLUE.get_user_defined_function(DatabaseName=DB, FunctionName="fn_c")[
            "UserDefinedFunction"]["ClassName"], "c")

    def test_athena_alter_table_rename_is_unsupported_for_hive_tables(self):
        a = LAKE.athena()
        a.execute(f"CREATE EXTERNAL TABLE hive_t (id int) LOCATION 's3://{BUCKET}/hive_t/'")
        qe = a.execute("ALTER TABLE hive_t RENAME TO hive_u", expect="FAILED")
        self.assertIn("DDLTask. Table cannot be renamed (Service: AmazonDataCatalog; Status Code: 400; Error Code: "
                      "InvalidInputException;", qe["Status"]["StateChangeReason"])
        self.assertEqual(GLUE.get_table(DatabaseName=DB, Name="hive_t")["Table"]["Name"], "hive_t")


class AthenaDdlNames(unittest.TestCase):
    def test_glue_validation_error_from_ddl(self):
        a = LAKE.athena()
        long = "t" * 256
        qe = a.execute(f"CREATE EXTERNAL TABLE `{long}` (id int) LOCATION 's3://{BUCKET}/long/'", expect="FAILED")
        self.assertEqual(qe["Status"]["StateChangeReason"],
                         "FAILED: ValidationException: " + message(long, "tableInput.name", TOO_LONG))
        qe = a.execute(f"CREATE DATABASE `{'d' * 256}`", expect="FAILED")
        self.assertIn("at 'databaseInput.name' failed to satisfy constraint: " + TOO_LONG,
                      qe["Status"]["StateChangeReason"])
        # Upper case in DDL is folded, as Athena does.
        a.execute(f"CREATE EXTERNAL TABLE MixedDdl (OrderId int) LOCATION 's3://{BUCKET}/mixed/'")
        t = GLUE.get_table(DatabaseName=DB, Name="mixedddl")["Table"]
        self.assertEqual((t["Name"], t["StorageDescriptor"]["Columns"][0]["Name"]), ("mixedddl", "orderid"))


class Cli(harness.CliCase):
    def server(self):
        return SERVER

    def test_limits_and_renames_with_the_cli(self):
        long = "c" * 256
        r = self.aws("glue", "create-database", "--database-input", f'{{"Name": "{long}"}}', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("An error occurred (ValidationException) when calling the CreateDatabase operation: "
                      + message(long, "databaseInput.name", TOO_LONG), r.stderr)
        self.aws("glue", "create-database", "--database-input", '{"Name": "Cli_Named"}')
        self.assertEqual(self.aws_json("glue", "get-database", "--name", "CLI_NAMED")["Database"]["Name"],
                         "cli_named")
        r = self.aws("glue", "update-database", "--name", "cli_named", "--database-input", '{"Name": "cli_other"}',
                     check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("An error occurred (InvalidInputException) when calling the UpdateDatabase operation: "
                      "Database cannot be renamed", r.stderr)
        r = self.aws("glue", "create-registry", "--registry-name", "bad/name", check=False)
        self.assertIn("(ValidationException) when calling the CreateRegistry operation: "
                      + message("bad/name", "registryName",
                                "Member must satisfy regular expression pattern: [a-zA-Z0-9-_$#.]+"), r.stderr)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
