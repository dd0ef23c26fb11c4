"""SQL sandbox escapes through the Athena API: every attempt to reach the server's filesystem, its settings,
its environment or DuckDB's own extension/secret machinery must end as a FAILED query execution (or an API
error), and nothing on disk may change.

Canary files live in a temp dir that the attempts name by absolute path; a snapshot of that tree (paths,
sizes, mtimes), of the /tmp entries the attempts name, and of the server's data dir outside s3/ and the
metadata db is compared before and after.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_security.py [-v]
"""

import os
import shutil
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import duck  # noqa: E402
import harness  # noqa: E402
import lake  # noqa: E402

SERVER = None
S3 = ATHENA = None
BUCKET = f"lake-sec-{uuid.uuid4().hex[:10]}"
DB = f"sec_{uuid.uuid4().hex[:8]}"
CANARY = None
TMP_TARGETS = [f"/tmp/cenote-e2e-escape-{uuid.uuid4().hex[:8]}{suffix}" for suffix in (".csv", ".parquet", "-dir")]
SECRET_TEXT = "canary-secret-7f3a9c"


def _make_canary():
    d = tempfile.mkdtemp(prefix="cenote-e2e-canary-")
    with open(os.path.join(d, "secret.csv"), "w") as f:
        f.write(f"name,value\n{SECRET_TEXT},1\n")
    with open(os.path.join(d, "secret.json"), "w") as f:
        f.write(f'{{"name": "{SECRET_TEXT}"}}\n')
    os.makedirs(os.path.join(d, "sub"))
    with open(os.path.join(d, "sub", "other.txt"), "w") as f:
        f.write(SECRET_TEXT)
    duck.write_parquet(os.path.join(d, "secret.parquet"), [("name", "VARCHAR")], [(SECRET_TEXT,)])
    return d


def snapshot_tree(root):
    """{relative path: (is_dir, size, mtime_ns)} of everything under root (root itself included)."""
    snap = {}
    if not os.path.lexists(root):
        return snap
    st = os.lstat(root)
    snap["."] = (os.path.isdir(root), st.st_size if not os.path.isdir(root) else 0, st.st_mtime_ns)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            is_dir = os.path.isdir(p)
            snap[os.path.relpath(p, root)] = (is_dir, 0 if is_dir else st.st_size, st.st_mtime_ns)
    return snap


def data_dir_files(root):
    """Files in the data dir outside s3/ and the metadata database (which change legitimately)."""
    out = set()
    for dirpath, _, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == "s3" or rel_dir.startswith("s3" + os.sep):
            continue
        for name in filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel.startswith("metadata.db"):
                continue
            out.add(rel)
    return out


def blob_files(root):
    found = []
    for dirpath, _, filenames in os.walk(os.path.join(root, "s3")):
        found += [os.path.join(dirpath, n) for n in filenames]
    return found


def setUpModule():
    try:
        _setup()
    except BaseException:
        tearDownModule()  # unittest does not call it when setUpModule fails
        raise


def _setup():
    global SERVER, S3, ATHENA, CANARY
    CANARY = _make_canary()
    SERVER = harness.Server()
    SERVER.start()
    S3 = harness.boto3_client(SERVER, "s3")
    ATHENA = harness.boto3_client(SERVER, "athena")
    S3.create_bucket(Bucket=BUCKET)
    S3.put_object(Bucket=BUCKET, Key="t/data.csv", Body=b"1,one\n2,two\n3,three\n")
    a = lake.Athena(ATHENA, f"s3://{BUCKET}/results/")
    a.execute(f"CREATE DATABASE IF NOT EXISTS {DB}")
    a.execute(f"CREATE EXTERNAL TABLE {DB}.t (x int, s string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
              f"LOCATION 's3://{BUCKET}/t/'")


def tearDownModule():
    if SERVER is not None:
        SERVER.close()
    if CANARY:
        shutil.rmtree(CANARY, ignore_errors=True)
    for p in TMP_TARGETS:
        if os.path.isdir(p):
            shutil.rmtree(p, ignore_errors=True)
        elif os.path.lexists(p):
            os.unlink(p)


def attempts():
    """(name, sql) pairs; {c} is the canary dir, {t0}/{t1}/{t2} /tmp targets, {d} the data dir, {blob} an
    object file of the data dir, {b} the bucket."""
    return [
        ("read_csv_etc_passwd", "SELECT * FROM read_csv('/etc/passwd')"),
        ("read_csv_auto_canary", "SELECT * FROM read_csv_auto('{c}/secret.csv')"),
        ("read_csv_list", "SELECT * FROM read_csv(['/etc/passwd', '{c}/secret.csv'])"),
        ("read_csv_file_uri", "SELECT * FROM read_csv('file:///etc/passwd')"),
        ("read_parquet_canary", "SELECT * FROM read_parquet('{c}/secret.parquet')"),
        ("read_text_etc_passwd", "SELECT content FROM read_text('/etc/passwd')"),
        ("read_blob_canary", "SELECT content FROM read_blob('{c}/secret.csv')"),
        ("glob_etc", "SELECT * FROM glob('/etc/*')"),
        ("glob_canary", "SELECT * FROM glob('{c}/**')"),
        ("replacement_scan_string", "SELECT * FROM '/etc/passwd'"),
        ("replacement_scan_quoted_identifier", 'SELECT * FROM "{c}/secret.csv"'),
        ("replacement_scan_s3_uri", "SELECT * FROM 's3://{b}/t/data.csv'"),
        ("copy_to_canary", "COPY (SELECT 1 AS x) TO '{c}/written.csv'"),
        ("copy_table_to_tmp", "COPY t TO '{t0}'"),
        ("copy_to_tmp_parquet", "COPY (SELECT * FROM t) TO '{t1}' (FORMAT PARQUET)"),
        ("copy_from_canary", "COPY t FROM '{c}/secret.csv'"),
        ("export_database", "EXPORT DATABASE '{t2}'"),
        ("import_database", "IMPORT DATABASE '{c}'"),
        ("attach_new_db", "ATTACH '{c}/attached.duckdb' AS escape_db"),
        ("attach_metadata_db", "ATTACH '{d}/metadata.db' AS meta (TYPE sqlite)"),
        ("install_httpfs", "INSTALL httpfs"),
        ("load_httpfs", "LOAD httpfs"),
        ("load_path", "LOAD '{c}/evil.duckdb_extension'"),
        ("pragma_database_list", "PRAGMA database_list"),
        ("pragma_enable_profiling", "PRAGMA enable_profiling = 'json'"),
        ("set_external_access", "SET enable_external_access = true"),
        ("set_allowed_directories", "SET allowed_directories = ['/']"),
        ("reset_lock_configuration", "RESET lock_configuration"),
        ("set_temp_directory", "SET temp_directory = '{t2}'"),
        ("call_duckdb_settings", "CALL duckdb_settings()"),
        ("create_secret", "CREATE SECRET escape_secret (TYPE S3, KEY_ID 'k', SECRET 's')"),
        ("create_macro", "CREATE MACRO escape_macro(p) AS TABLE SELECT * FROM read_csv(p)"),
        ("getenv_home", "SELECT getenv('HOME')"),
        ("current_setting", "SELECT current_setting('allowed_directories')"),
        ("duckdb_settings", "SELECT name, value FROM duckdb_settings()"),
        ("duckdb_extensions", "SELECT * FROM duckdb_extensions()"),
        ("duckdb_databases", "SELECT path FROM duckdb_databases()"),
        ("query_function", "SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')"),
        ("query_table_function", "SELECT * FROM query_table('{c}/secret.csv')"),
        ("cte_path", "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x"),
        ("comment_then_path", "SELECT * FROM /* harmless */ read_text('{c}/sub/other.txt') -- trailing"),
        ("nested_subquery", "SELECT * FROM t WHERE s IN (SELECT name FROM read_csv('{c}/secret.csv'))"),
        ("lateral_join", "SELECT * FROM t, LATERAL (SELECT * FROM read_text('/etc/hostname'))"),
        ("union_all", "SELECT s FROM t UNION ALL SELECT content FROM read_text('/etc/passwd')"),
        ("string_concat_path", "SELECT * FROM read_csv('/etc/' || 'passwd')"),
        ("multi_statement_copy", "SELECT 1; COPY (SELECT 1) TO '{c}/multi.csv'"),
        ("multi_statement_trailing", "SELECT * FROM t; ATTACH '{c}/multi.duckdb'"),
        ("sniff_csv", "SELECT * FROM sniff_csv('{c}/secret.csv')"),
        ("parquet_metadata", "SELECT * FROM parquet_metadata('{c}/secret.parquet')"),
        ("parquet_schema", "SELECT * FROM parquet_schema('{c}/secret.parquet')"),
        ("read_json_objects", "SELECT * FROM read_json_objects('{c}/secret.json')"),
        ("read_json_auto", "SELECT * FROM read_json_auto('{c}/secret.json')"),
        ("read_ndjson", "SELECT * FROM read_ndjson('{c}/secret.json')"),
        ("own_blob_file", "SELECT * FROM read_csv('{blob}')"),
        ("own_blob_glob", "SELECT * FROM read_blob('{d}/s3/**')"),
        ("own_metadata_db", "SELECT content FROM read_blob('{d}/metadata.db')"),
        ("checkpoint", "CHECKPOINT"),
        ("detach", "DETACH memory"),
        ("use_system", "USE system.main"),
        ("system_catalog", "SELECT * FROM system.main.duckdb_tables()"),
        ("ctas_without_location_reads_file",
         "CREATE TABLE escape_ctas AS SELECT * FROM read_csv('{c}/secret.csv')"),
        ("view_over_path", "CREATE VIEW escape_view AS SELECT * FROM read_csv('{c}/secret.csv')"),
        ("select_escape_view", "SELECT * FROM escape_view"),
        ("insert_from_file", "INSERT INTO t SELECT 9, name FROM read_csv('{c}/secret.csv')"),
        ("unnest_glob", "SELECT unnest(list_transform(['{c}/secret.csv'], f -> (SELECT 1 FROM read_csv(f))))"),
        # Spellings that a name-based filter might miss.
        ("upper_case_function", "SELECT * FROM READ_CSV('/etc/passwd')"),
        ("quoted_function_name", 'SELECT * FROM "read_csv"(\'/etc/passwd\')'),
        ("schema_qualified_function", "SELECT * FROM main.read_csv('/etc/passwd')"),
        ("catalog_qualified_function", "SELECT * FROM system.main.read_text('/etc/passwd')"),
        ("comment_inside_call", "SELECT * FROM read_text/**/('/etc/passwd')"),
        ("comma_join_function", "SELECT * FROM t, read_text('{c}/sub/other.txt')"),
        ("unicode_escape_path", "SELECT * FROM read_text(U&'\\002Fetc\\002Fpasswd')"),
        ("dollar_quoted_path", "SELECT * FROM read_text($$/etc/passwd$$)"),
        ("escape_string_path", "SELECT * FROM read_text(E'/etc/passwd')"),
        ("relative_path_table", "SELECT * FROM 'metadata.db'"),
        ("relative_quoted_identifier", 'SELECT * FROM "s3/blobs"'),
        ("from_first_query", "FROM '/etc/passwd' SELECT *"),
        ("from_first_subquery", "SELECT * FROM (FROM '{c}/secret.csv')"),
        ("describe_file", "DESCRIBE '/etc/passwd'"),
        ("summarize_file", "SUMMARIZE '{c}/secret.csv'"),
        ("show_file", "SHOW '/etc/passwd'"),
        ("explain_read", "EXPLAIN SELECT * FROM read_csv('/etc/passwd')"),
        ("explain_analyze_copy", "EXPLAIN ANALYZE COPY (SELECT 1) TO '{c}/explain.csv'"),
        ("pivot_file", "PIVOT '{c}/secret.csv' ON name USING count(*)"),
        ("ctas_from_file", "CREATE TABLE escape_ctas2 AS FROM '{c}/secret.csv'"),
        ("recursive_cte_file", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r, "
                               "read_text('/etc/passwd') WHERE n < 2) SELECT * FROM r"),
        ("table_function_in_select_list", "SELECT (SELECT content FROM read_text('/etc/passwd')) AS x"),
        ("scalar_file_size", "SELECT file_size FROM read_blob('/etc/passwd')"),
        ("values_then_copy", "VALUES (1); COPY (SELECT 1) TO '{c}/values.csv'"),
        ("trailing_semicolon_comment_attach", "SELECT 1; -- \nATTACH '{c}/x.duckdb'"),
        ("create_external_table_local_path",
         "CREATE EXTERNAL TABLE escape_local (name string, value int) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
         "LOCATION '{c}/'"),
        ("create_external_table_file_uri",
         "CREATE EXTERNAL TABLE escape_file_uri (line string) LOCATION 'file:///etc/'"),
    ]


class EscapeTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = lake.Athena(ATHENA, f"s3://{BUCKET}/results/", DB)
        # Positive control: the table works, so failures below are the sandbox, not a broken setup.
        assert cls.a.select("SELECT count(*) FROM t") == [["3"]]
        blobs = blob_files(SERVER.data_dir)
        cls.fmt = dict(c=CANARY, t0=TMP_TARGETS[0], t1=TMP_TARGETS[1], t2=TMP_TARGETS[2], d=SERVER.data_dir,
                       blob=blobs[0] if blobs else f"{SERVER.data_dir}/s3/blobs/none", b=BUCKET)
        cls.canary_before = snapshot_tree(CANARY)
        cls.tmp_before = {p: snapshot_tree(p) for p in TMP_TARGETS}
        cls.data_before = data_dir_files(SERVER.data_dir)

    def check_refused(self, sql):
        from botocore.exceptions import ClientError
        try:
            qid = self.a.start(sql)
        except ClientError as e:
            status = e.response["ResponseMetadata"]["HTTPStatusCode"]
            self.assertTrue(400 <= status < 500, e.response)
            self.assertEqual(e.response["Error"]["Code"], "InvalidRequestException", e.response)
            self.assertNotIn(SECRET_TEXT, e.response["Error"].get("Message", ""))
            return
        qe = self.a.wait(qid)
        state = qe["Status"]["State"]
        if state == "SUCCEEDED":
            _, rows, _ = self.a.results(qid)
            text = repr(rows)
            self.fail(f"escape attempt SUCCEEDED: {sql!r} -> {text[:300]}")
        self.assertEqual(state, "FAILED", qe["Status"])
        reason = qe["Status"].get("StateChangeReason", "")
        self.assertTrue(reason, qe["Status"])
        # The error must not leak what it refused to read (or where the server keeps its data).
        for leak in (SECRET_TEXT, "root:x:0:0", SERVER.data_dir + "/s3"):
            self.assertNotIn(leak, reason)

    def test_zz_nothing_changed_on_disk(self):
        # Named to run after every attempt (unittest sorts test names).
        time.sleep(0.2)
        self.assertEqual(snapshot_tree(CANARY), self.canary_before)
        for p in TMP_TARGETS:
            self.assertEqual(snapshot_tree(p), self.tmp_before[p], p)
            self.assertFalse(os.path.lexists(p), p)
        # Scratch files of the last queries may take a moment to go: wait a bounded time for them.
        deadline = time.monotonic() + 3.0
        while True:
            new = data_dir_files(SERVER.data_dir) - self.data_before
            if not new or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(sorted(new), [], "new files in the data dir outside s3/ and the metadata db")
        # And the server still answers, with the same data.
        self.assertEqual(self.a.select("SELECT sum(x), count(*) FROM t"), [["6", "3"]])

    def test_error_messages_leak_no_server_paths(self):
        # Queries that fail while reading objects must name the object (s3://...), never the server's files.
        bad = {
            "badutf8/data.csv": b"\xff\xfe\x00\x81 not utf-8,\xc3\x28\n" * 64,
            "badpq/data.parquet": b"PAR1" + os.urandom(512) + b"PAR1",
            "badgz/data.csv.gz": b"\x1f\x8b\x08\x00 truncated gzip",
        }
        for key, body in bad.items():
            S3.put_object(Bucket=BUCKET, Key=key, Body=body)
        tables = {
            "leak_csv": f"(a int, b string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
                        f"LOCATION 's3://{BUCKET}/badutf8/'",
            "leak_pq": f"(a int, b string) STORED AS PARQUET LOCATION 's3://{BUCKET}/badpq/'",
            "leak_gz": f"(a int, b string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
                       f"LOCATION 's3://{BUCKET}/badgz/'",
        }
        failed = 0
        for name, ddl in tables.items():
            self.a.execute(f"CREATE EXTERNAL TABLE IF NOT EXISTS {name} {ddl}")
            qe = self.a.wait(self.a.start(f"SELECT count(*), max(a) FROM {name}"))
            if qe["Status"]["State"] != "FAILED":
                continue
            failed += 1
            reason = qe["Status"].get("StateChangeReason", "") + repr(qe["Status"].get("AthenaError", {}))
            with self.subTest(table=name):
                for leak in (SERVER.data_dir, "/s3/blobs/", "/query/scratch"):
                    self.assertNotIn(leak, reason)
        self.assertGreaterEqual(failed, 1, "none of the broken objects failed a query")

    def test_information_schema_leaks_no_paths(self):
        # information_schema is part of Athena's dialect; if it answers, it must describe the catalog only.
        try:
            qid = self.a.start("SELECT * FROM information_schema.tables")
        except Exception:
            return
        qe = self.a.wait(qid)
        if qe["Status"]["State"] != "SUCCEEDED":
            return
        text = repr(self.a.results(qid)[1])
        for leak in (SERVER.data_dir, CANARY, "duckdb_", "temp"):
            self.assertNotIn(leak, text)


def _make_test(sql_template):
    def test(self):
        self.check_refused(sql_template.format(**self.fmt))
    return test


for _i, (_name, _sql) in enumerate(attempts()):
    setattr(EscapeTests, f"test_{_i:03d}_{_name}", _make_test(_sql))

assert len(attempts()) >= 30


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
