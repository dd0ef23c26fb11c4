"""Athena's and Glue's model constraints answered at the boundary, in AWS's words, with boto3's own
client-side validation off (as a client in another language, or a hand-written request, would send them).

The parse stage checks every request against the model before the provider runs; Athena's overlay names
InvalidRequestException for it, Glue answers ValidationException. The providers no longer repeat these checks.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_validation.py [-v]
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import harness  # noqa: E402

SERVER = None
ATHENA = GLUE = None


def setUpModule():
    global SERVER, ATHENA, GLUE
    SERVER = harness.Server()
    SERVER.start()
    ATHENA = harness.boto3_client(SERVER, "athena", parameter_validation=False)
    GLUE = harness.boto3_client(SERVER, "glue", parameter_validation=False)


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class ModelConstraints(unittest.TestCase):
    def refused(self, client, code, call, member, constraint):
        with self.assertRaises(client.exceptions.ClientError) as cm:
            call()
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], code)
        self.assertTrue(err["Message"].startswith("1 validation error detected: "), err["Message"])
        self.assertIn(f"at '{member}' failed to satisfy constraint: {constraint}", err["Message"])

    def test_athena(self):
        self.refused(ATHENA, "InvalidRequestException", lambda: ATHENA.create_work_group(Name="bad name!"), "name",
                     "Member must satisfy regular expression pattern")
        self.refused(ATHENA, "InvalidRequestException",
                     lambda: ATHENA.update_work_group(WorkGroup="primary", State="BOGUS"), "state",
                     "Member must satisfy enum value set")
        self.refused(ATHENA, "InvalidRequestException",
                     lambda: ATHENA.start_query_execution(QueryString="SELECT 1", ClientRequestToken="abc"),
                     "clientRequestToken", "Member must have length greater than or equal to 32")
        self.refused(ATHENA, "InvalidRequestException",
                     lambda: ATHENA.get_query_results(QueryExecutionId="x", MaxResults=1001), "maxResults",
                     "Member must have value less than or equal to 1000")
        self.refused(ATHENA, "InvalidRequestException",
                     lambda: ATHENA.create_prepared_statement(StatementName="bad name", WorkGroup="primary",
                                                              QueryStatement="SELECT 1"),
                     "statementName", "Member must satisfy regular expression pattern")
        self.refused(ATHENA, "InvalidRequestException", lambda: ATHENA.batch_get_named_query(NamedQueryIds=[]),
                     "namedQueryIds", "Member must have length greater than or equal to 1")

    def test_glue(self):
        self.refused(GLUE, "ValidationException", lambda: GLUE.get_databases(MaxResults=101), "maxResults",
                     "Member must have value less than or equal to 100")
        self.refused(GLUE, "ValidationException", lambda: GLUE.get_database(Name=""), "name",
                     "Member must have length greater than or equal to 1")
        self.refused(GLUE, "ValidationException",
                     lambda: GLUE.create_crawler(Name="n" * 256, Role="r",
                                                 Targets={"S3Targets": [{"Path": "s3://l/x"}]}),
                     "name", "Member must have length less than or equal to 255")
        self.refused(GLUE, "ValidationException", lambda: GLUE.get_crawlers(MaxResults=0), "maxResults",
                     "Member must have value greater than or equal to 1")


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
