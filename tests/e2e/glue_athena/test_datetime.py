"""Athena date/time semantics end to end with boto3: zoned `timestamp with time zone` values, Trino's interval
result types and the zone functions, compared byte for byte with what Athena returns.

The expected values are the Athena user guide's own examples ("Use supported time zones") and answers worked
out by hand from Trino's documented rules (tz database offsets for the dates used); none comes from an engine.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_datetime.py [-v] [TestClass.test_name ...]
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

SERVER = None
BUCKET = None
S3 = ATHENA = None
DB = None

# Events with ISO-8601 times carrying their own offsets (a CSV table with string columns).
EVENTS = [
    ("1", "2024-03-09T12:00:00-05:00", "2024-03-09"),
    ("2", "2024-03-10T12:00:00+09:00", "2024-03-10"),
    ("3", "2024-03-11T00:30:00Z", "2024-03-11"),
]


def setUpModule():
    global SERVER, BUCKET, S3, ATHENA, DB
    SERVER = harness.Server()
    SERVER.start()
    try:
        S3 = harness.boto3_client(SERVER, "s3")
        ATHENA = harness.boto3_client(SERVER, "athena")
        BUCKET = f"datetime-e2e-{uuid.uuid4().hex[:10]}"
        S3.create_bucket(Bucket=BUCKET)
        body = "".join(",".join(row) + "\n" for row in EVENTS)
        S3.put_object(Bucket=BUCKET, Key="events/part-0.csv", Body=body.encode())
        DB = f"dt_{uuid.uuid4().hex[:8]}"
        a = athena()
        a.execute(f"CREATE DATABASE {DB}", database="")
        a.execute(f"CREATE EXTERNAL TABLE {DB}.events (id int, happened string, day string) ROW FORMAT DELIMITED "
                  f"FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/events/'")
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def athena():
    return lake.Athena(ATHENA, f"s3://{BUCKET}/results/", DB)


class ZonedTimestamps(unittest.TestCase):
    def test_user_guide_time_zone_examples(self):
        a = athena()
        # The Athena user guide's examples, with the results it documents.
        cases = [
            ("SELECT timestamp '2012-10-31 01:00 UTC' AT TIME ZONE 'America/Los_Angeles' AS la_time",
             "2012-10-30 18:00:00.000 America/Los_Angeles"),
            ("SELECT at_timezone(timestamp '2021-08-22 00:00 UTC', 'Canada/Newfoundland')",
             "2021-08-21 21:30:00.000 Canada/Newfoundland"),
            ("SELECT timezone_hour(timestamp '2021-08-22 04:00 UTC' AT TIME ZONE 'Canada/Newfoundland')", "-2"),
            ("SELECT timezone_minute(timestamp '2021-08-22 04:00 UTC' AT TIME ZONE 'Canada/Newfoundland')", "-30"),
            ("SELECT with_timezone(timestamp '2021-08-22 04:00', 'Canada/Newfoundland')",
             "2021-08-22 04:00:00.000 Canada/Newfoundland"),
        ]
        for sql, want in cases:
            with self.subTest(sql=sql):
                self.assertEqual(a.scalar(sql), want)

    def test_result_metadata_and_csv_object(self):
        a = athena()
        qe = a.execute("SELECT timestamp '2012-10-31 01:00 UTC' AT TIME ZONE 'America/Los_Angeles' AS la_time, "
                       "from_iso8601_timestamp('2020-05-11T11:15:05.055+01:00') AS iso, current_timestamp AS now")
        info, rows, _ = a.results(qe["QueryExecutionId"])
        self.assertEqual([c["Type"] for c in info], ["timestamp with time zone"] * 3)
        self.assertEqual(rows[1][:2], ["2012-10-30 18:00:00.000 America/Los_Angeles",
                                       "2020-05-11 11:15:05.055 +01:00"])
        self.assertTrue(rows[1][2].endswith(" UTC"), rows[1][2])
        key = f"results/{qe['QueryExecutionId']}.csv"
        body = S3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        self.assertEqual(body.splitlines()[1].rsplit(",", 1)[0],
                         '"2012-10-30 18:00:00.000 America/Los_Angeles","2020-05-11 11:15:05.055 +01:00"')

    def test_offsets_kept_from_table_strings(self):
        a = athena()
        rows = a.select("SELECT id, from_iso8601_timestamp(happened), hour(from_iso8601_timestamp(happened)), "
                        "to_unixtime(from_iso8601_timestamp(happened)) FROM events ORDER BY id")
        self.assertEqual(rows, [
            ["1", "2024-03-09 12:00:00.000 -05:00", "12", "1.7100036E9"],
            ["2", "2024-03-10 12:00:00.000 +09:00", "12", "1.7100396E9"],
            ["3", "2024-03-11 00:30:00.000 UTC", "0", "1.710117E9"],
        ])
        # Zoned values compare by instant: 2024-03-10 03:00Z is the only one before 2024-03-10 04:00 UTC
        # after the first (17:00Z on the 9th).
        self.assertEqual(a.select("SELECT id FROM events WHERE from_iso8601_timestamp(happened) "
                                  "BETWEEN timestamp '2024-03-09 18:00 UTC' AND timestamp '2024-03-10 04:00 UTC'"),
                         [["2"]])
        self.assertEqual(a.select("SELECT id FROM events WHERE from_iso8601_timestamp(happened) > "
                                  "timestamp '2024-03-10 04:00 UTC' ORDER BY id"), [["3"]])

    def test_interval_result_types(self):
        a = athena()
        rows = a.select("SELECT typeof(date(day) + interval '1' day), date(day) + interval '1' month, "
                        "date_add('day', 1, from_iso8601_timestamp(happened) AT TIME ZONE 'America/New_York') "
                        "FROM events WHERE id = 1")
        # 2024-03-09 12:00 EST plus one calendar day is 12:00 EDT on the 10th (the clocks moved at 02:00).
        self.assertEqual(rows, [["date", "2024-04-09", "2024-03-10 12:00:00.000 America/New_York"]])
        self.assertEqual(a.scalar("SELECT timestamp '2024-03-09 12:00 America/New_York' + interval '1' day"),
                         "2024-03-10 13:00:00.000 America/New_York")  # a day-to-second interval is 24 hours

    def test_errors_as_athena_words_them(self):
        a = athena()
        qe = a.execute("SELECT date '2024-01-01' + interval '2' hour", expect="FAILED")
        self.assertTrue(qe["Status"]["StateChangeReason"].startswith("INVALID_FUNCTION_ARGUMENT"),
                        qe["Status"]["StateChangeReason"])
        qe = a.execute("SELECT timestamp '2024-01-01 00:00 UTC' AT TIME ZONE 'Mars/Olympus_Mons'", expect="FAILED")
        self.assertIn("Time zone not supported: Mars/Olympus_Mons", qe["Status"]["StateChangeReason"])


if __name__ == "__main__":
    harness.main()
