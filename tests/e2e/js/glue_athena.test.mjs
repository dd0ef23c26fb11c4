// Glue Data Catalog + Athena end to end with the AWS SDK for JavaScript v3 (node's built-in test runner).
//
// Started by run.py (tests/e2e/harness.py) with CENOTE_E2E_ENDPOINT, CENOTE_E2E_ACCESS_KEY_ID,
// CENOTE_E2E_SECRET_ACCESS_KEY and CENOTE_E2E_REGION. Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py glue_athena.test.mjs
// The data set is generated here from a fixed seed; expected answers are computed here, never by an engine.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, DeleteObjectsCommand,
  DeleteBucketCommand,
} from '@aws-sdk/client-s3';
import {
  GlueClient, CreateDatabaseCommand, GetDatabaseCommand, GetTablesCommand, GetPartitionsCommand, DeleteDatabaseCommand,
} from '@aws-sdk/client-glue';
import {
  AthenaClient, StartQueryExecutionCommand, GetQueryExecutionCommand, GetQueryResultsCommand, paginateGetQueryResults,
} from '@aws-sdk/client-athena';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');
const common = {
  endpoint, region, maxAttempts: 1,
  credentials: {
    accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
    secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
  },
};
const s3 = new S3Client({ ...common, forcePathStyle: true });
const glue = new GlueClient(common);
const athena = new AthenaClient(common);

const POLL_TIMEOUT_MS = 60_000;
const bucket = `lake-js-${randomUUID().slice(0, 12)}`;
const database = `js_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
const output = `s3://${bucket}/athena-results/`;

// Deterministic data: 3 partitions x 40 rows of (id, customer, amount_cents, product).
const PRODUCTS = ['apple', 'banana', 'cherry'];
const PARTITIONS = [['2024', '01'], ['2024', '02'], ['2025', '01']];
let seed = 12345;
const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const rows = [];
for (const [year, month] of PARTITIONS) {
  for (let i = 0; i < 40; i += 1) {
    rows.push({ id: rows.length + 1, customer: 1 + rand(10), cents: 100 + rand(100000), product: PRODUCTS[rand(3)],
      year, month });
  }
}
const csvFor = (year, month) => 'id,customer,amount,product\n' + rows.filter((r) => r.year === year && r.month === month)
  .map((r) => `${r.id},${r.customer},${(r.cents / 100).toFixed(2)},${r.product}`).join('\n') + '\n';
const close = (a, b) => Math.abs(Number(a) - b) <= 1e-6 * Math.max(1, Math.abs(b));

async function startQuery(sql, { withOutput = true } = {}) {
  const input = { QueryString: sql, QueryExecutionContext: { Database: database } };
  if (withOutput) input.ResultConfiguration = { OutputLocation: output };
  return (await athena.send(new StartQueryExecutionCommand(input))).QueryExecutionId;
}

async function waitQuery(id) {
  const deadline = Date.now() + POLL_TIMEOUT_MS;
  let delay = 50;
  for (;;) {
    const { QueryExecution: qe } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(qe.Status.State)) return qe;
    if (Date.now() > deadline) throw new Error(`query ${id} still ${qe.Status.State} after ${POLL_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 1.5, 500);
  }
}

async function run(sql) {
  const qe = await waitQuery(await startQuery(sql));
  assert.equal(qe.Status.State, 'SUCCEEDED', `${sql}: ${qe.Status.StateChangeReason}`);
  return qe;
}

async function select(sql) {
  const qe = await run(sql);
  const res = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: qe.QueryExecutionId }));
  const all = res.ResultSet.Rows.map((r) => r.Data.map((d) => d.VarCharValue ?? null));
  const names = res.ResultSet.ResultSetMetadata.ColumnInfo.map((c) => c.Name);
  assert.deepEqual(all[0], names, 'first row is the header');
  return all.slice(1);
}

before(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const [year, month] of PARTITIONS) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `sales/year=${year}/month=${month}/part-0.csv`,
      Body: csvFor(year, month) }));
  }
});

after(async () => {
  try {
    for (let i = 0; i < 20; i += 1) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
      if (keys.length === 0) break;
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch { /* cleanup only */ }
  s3.destroy(); glue.destroy(); athena.destroy();
});

test('Glue CreateDatabase and GetDatabase', async () => {
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: database, Description: 'js e2e' } }));
  const { Database: db } = await glue.send(new GetDatabaseCommand({ Name: database }));
  assert.equal(db.Name, database);
  assert.equal(db.Description, 'js e2e');
  await assert.rejects(glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: database } })), (err) => {
    assert.equal(err.name, 'AlreadyExistsException');
    return true;
  });
});

test('CREATE EXTERNAL TABLE + MSCK REPAIR TABLE via Athena, visible in GetTables', async () => {
  const create = await run(`CREATE EXTERNAL TABLE sales (id bigint, customer int, amount double, product string)
    PARTITIONED BY (year string, month string)
    ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
    LOCATION 's3://${bucket}/sales/'
    TBLPROPERTIES ('skip.header.line.count'='1')`);
  assert.equal(create.StatementType, 'DDL');
  await run('MSCK REPAIR TABLE sales');
  const { TableList } = await glue.send(new GetTablesCommand({ DatabaseName: database }));
  const t = TableList.find((x) => x.Name === 'sales');
  assert.ok(t, `sales not in ${TableList.map((x) => x.Name)}`);
  assert.deepEqual(t.StorageDescriptor.Columns.map((c) => [c.Name, c.Type]),
    [['id', 'bigint'], ['customer', 'int'], ['amount', 'double'], ['product', 'string']]);
  assert.deepEqual(t.PartitionKeys.map((k) => k.Name), ['year', 'month']);
  assert.equal(t.StorageDescriptor.Location.replace(/\/$/, ''), `s3://${bucket}/sales`);
  const { Partitions } = await glue.send(new GetPartitionsCommand({ DatabaseName: database, TableName: 'sales' }));
  assert.deepEqual(Partitions.map((p) => p.Values.join('/')).sort(), PARTITIONS.map((p) => p.join('/')).sort());
});

test('queries: count, group by, partition filter', async () => {
  assert.deepEqual(await select('SELECT count(*) FROM sales'), [[String(rows.length)]]);
  const got = await select('SELECT product, count(*), sum(amount) FROM sales GROUP BY product ORDER BY product');
  const want = PRODUCTS.slice().sort().map((p) => {
    const rs = rows.filter((r) => r.product === p);
    return [p, rs.length, rs.reduce((s, r) => s + r.cents / 100, 0)];
  });
  assert.equal(got.length, want.length);
  got.forEach((g, i) => {
    assert.equal(g[0], want[i][0]);
    assert.equal(Number(g[1]), want[i][1]);
    assert.ok(close(g[2], want[i][2]), `${g} vs ${want[i]}`);
  });
  const feb = await select("SELECT count(*) FROM sales WHERE year = '2024' AND month = '02'");
  assert.deepEqual(feb, [[String(rows.filter((r) => r.year === '2024' && r.month === '02').length)]]);
});

test('paginateGetQueryResults pages through every row, header first', async () => {
  const qe = await run('SELECT id, product FROM sales ORDER BY id');
  const seen = [];
  let pages = 0;
  for await (const page of paginateGetQueryResults({ client: athena, pageSize: 17 },
    { QueryExecutionId: qe.QueryExecutionId })) {
    pages += 1;
    assert.ok(pages <= 50, 'paginator does not terminate');
    assert.ok(page.ResultSet.Rows.length <= 17);
    seen.push(...page.ResultSet.Rows.map((r) => r.Data.map((d) => d.VarCharValue ?? null)));
  }
  assert.deepEqual(seen[0], ['id', 'product']);
  assert.deepEqual(seen.slice(1), rows.map((r) => [String(r.id), r.product]));
  assert.ok(pages >= Math.ceil((rows.length + 1) / 17));
  // The result CSV in S3 holds the same rows.
  const key = qe.ResultConfiguration.OutputLocation.replace(`s3://${bucket}/`, '');
  assert.equal(key, `athena-results/${qe.QueryExecutionId}.csv`);
  const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body.transformToString();
  const lines = body.trim().split('\n').map((l) => l.split(',').map((v) => v.replace(/^"|"$/g, '')));
  assert.deepEqual(lines, seen);
});

test('errors map to named exceptions', async () => {
  await assert.rejects(athena.send(new GetQueryExecutionCommand({
    QueryExecutionId: '00000000-0000-0000-0000-000000000000' })), (err) => {
    assert.equal(err.name, 'InvalidRequestException');
    assert.equal(err.$metadata.httpStatusCode, 400);
    return true;
  });
  await assert.rejects(startQuery('SELECT 1', { withOutput: false }), (err) => {
    assert.equal(err.name, 'InvalidRequestException');
    return true;
  });
  const bad = await waitQuery(await startQuery('SELECT * FROM no_such_table_js'));
  assert.equal(bad.Status.State, 'FAILED');
  assert.match(bad.Status.StateChangeReason, /no_such_table_js/i);
  await assert.rejects(glue.send(new GetDatabaseCommand({ Name: `${database}_missing` })), (err) => {
    assert.equal(err.name, 'EntityNotFoundException');
    return true;
  });
});

test('DROP TABLE and DeleteDatabase', async () => {
  await run('DROP TABLE sales');
  const { TableList } = await glue.send(new GetTablesCommand({ DatabaseName: database }));
  assert.equal(TableList.length, 0);
  await glue.send(new DeleteDatabaseCommand({ Name: database }));
});
