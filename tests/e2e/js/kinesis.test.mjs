// Kinesis with the AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis), whose default request handler is
// HTTP/2: PutRecords/GetRecords across shards and enhanced fan-out with SubscribeToShard, an HTTP/2 event
// stream (application/vnd.amazon.eventstream) that pushes records as they arrive.
//
// The server is started by run.py (tests/e2e/harness.py). Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py kinesis.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, DeleteStreamCommand, ListShardsCommand,
  PutRecordsCommand, PutRecordCommand, GetShardIteratorCommand, GetRecordsCommand, RegisterStreamConsumerCommand,
  DescribeStreamConsumerCommand, SubscribeToShardCommand, ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');
const credentials = {
  accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
};

const client = new KinesisClient({ endpoint, region, credentials, maxAttempts: 1 });
const stream = `e2e-js-${randomUUID().slice(0, 8)}`;
let streamArn;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const text = (bytes) => Buffer.from(bytes).toString('utf8');

async function waitFor(check, what) {
  for (let i = 0; i < 100; ++i) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

before(async () => {
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
  await waitFor(async () => {
    const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    streamArn = d.StreamDescriptionSummary.StreamARN;
    return d.StreamDescriptionSummary.StreamStatus === 'ACTIVE';
  }, 'the stream to be ACTIVE');
});

after(async () => {
  try {
    await client.send(new DeleteStreamCommand({ StreamName: stream, EnforceConsumerDeletion: true }));
  } catch { /* cleanup only */ }
  client.destroy();
});

test('PutRecords spreads records over the shards and GetRecords reads them all back', async () => {
  const entries = Array.from({ length: 40 }, (_, i) => ({ Data: Buffer.from(`rec-${i}`), PartitionKey: `pk-${i}` }));
  const put = await client.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
  assert.equal(put.FailedRecordCount, 0);
  assert.equal(put.Records.length, 40);
  const usedShards = new Set(put.Records.map((r) => r.ShardId));
  assert.equal(usedShards.size, 2, 'MD5 hash keys of 40 partition keys land on both shards');

  const { Shards } = await client.send(new ListShardsCommand({ StreamName: stream }));
  assert.equal(Shards.length, 2);
  const seen = [];
  for (const shard of Shards) {
    let { ShardIterator } = await client.send(new GetShardIteratorCommand({
      StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON',
    }));
    for (let i = 0; i < 20 && ShardIterator; ++i) {
      const got = await client.send(new GetRecordsCommand({ ShardIterator, Limit: 7 }));
      for (const r of got.Records) {
        assert.ok(r.ApproximateArrivalTimestamp instanceof Date);
        assert.match(r.SequenceNumber, /^\d{56}$/);
        seen.push(text(r.Data));
      }
      if (got.Records.length === 0 && got.MillisBehindLatest === 0) break;
      ShardIterator = got.NextShardIterator;
    }
  }
  assert.deepEqual(seen.sort(), entries.map((e) => text(e.Data)).sort());
});

test('SubscribeToShard pushes existing and new records over an HTTP/2 event stream', async () => {
  const { Consumer } = await client.send(new RegisterStreamConsumerCommand({
    StreamARN: streamArn, ConsumerName: 'efo-app',
  }));
  await waitFor(async () => {
    const d = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
    return d.ConsumerDescription.ConsumerStatus === 'ACTIVE';
  }, 'the consumer to be ACTIVE');

  // ExplicitHashKey 0 -> the first shard.
  const first = await client.send(new PutRecordCommand({
    StreamName: stream, Data: Buffer.from('before-subscribe'), PartitionKey: 'x', ExplicitHashKey: '0',
  }));
  const abort = new AbortController();
  const resp = await client.send(new SubscribeToShardCommand({
    ConsumerARN: Consumer.ConsumerARN, ShardId: first.ShardId,
    StartingPosition: { Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: first.SequenceNumber },
  }), { abortSignal: abort.signal });

  const received = [];
  let continuation;
  let wroteLive = false;
  const deadline = Date.now() + 30000;
  try {
    for await (const event of resp.EventStream) {
      assert.ok(Date.now() < deadline, 'records arrive within 30 s');
      const e = event.SubscribeToShardEvent;
      assert.ok(e, `unexpected event ${JSON.stringify(Object.keys(event))}`);
      assert.equal(typeof e.MillisBehindLatest, 'number');
      continuation = e.ContinuationSequenceNumber;
      for (const r of e.Records) received.push(text(r.Data));
      if (received.includes('before-subscribe') && !wroteLive) {
        wroteLive = true;
        await client.send(new PutRecordCommand({
          StreamName: stream, Data: Buffer.from('live'), PartitionKey: 'x', ExplicitHashKey: '0',
        }));
      }
      if (received.includes('live')) break;
    }
  } finally {
    abort.abort();
  }
  assert.equal(received[0], 'before-subscribe');
  assert.ok(received.includes('live'), `live record pushed (got ${JSON.stringify(received)})`);
  assert.match(continuation, /^\d{56}$/);
});

test('SubscribeToShard with an unknown consumer is ResourceNotFoundException', async () => {
  await assert.rejects(
    client.send(new SubscribeToShardCommand({
      ConsumerARN: `${streamArn}/consumer/nobody:1700000000`, ShardId: 'shardId-000000000000',
      StartingPosition: { Type: 'LATEST' },
    })),
    (err) => err instanceof ResourceNotFoundException || err.name === 'ResourceNotFoundException',
  );
});
