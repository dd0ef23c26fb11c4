// S3 over HTTP/2 (h2c with prior knowledge) with the AWS SDK for JavaScript v3 and NodeHttp2Handler:
// the transport the SDK's Kinesis client uses. Proves that SigV4 (which signs `host`, i.e. the
// :authority over HTTP/2) verifies end to end and that bodies stream both ways over h2.
//
// The server is started by run.py (tests/e2e/harness.py). Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py http2.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http2 from 'node:http2';

import {
  S3Client, CreateBucketCommand, DeleteBucketCommand, PutObjectCommand, GetObjectCommand, DeleteObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { NodeHttp2Handler } from '@smithy/node-http-handler';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');
const credentials = {
  accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
};

const handler = new NodeHttp2Handler({ requestTimeout: 30000, sessionTimeout: 30000 });
const client = new S3Client({
  endpoint, region, forcePathStyle: true, maxAttempts: 1, credentials, requestHandler: handler,
});

const MiB = 1024 * 1024;
const bucket = `e2e-h2-${randomUUID().slice(0, 12)}`;
const md5 = (buf) => createHash('md5').update(buf).digest('hex');

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

before(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

after(async () => {
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const o of listed.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch { /* cleanup only */ }
  client.destroy();
});

test('the server speaks h2c with prior knowledge (raw node:http2)', async () => {
  const session = http2.connect(endpoint);
  try {
    const { status, version } = await new Promise((resolve, reject) => {
      const req = session.request({ ':method': 'GET', ':path': '/' });
      req.on('response', (headers) => resolve({ status: headers[':status'], version: session.alpnProtocol }));
      req.on('error', reject);
      req.resume();
      req.end();
    });
    // Unsigned: S3 answers with an AWS error, but over HTTP/2 ("h2c" is node's name for cleartext h2).
    assert.ok(status >= 200 && status < 600, `status ${status}`);
    assert.equal(version, 'h2c');
  } finally {
    session.close();
  }
});

test('PutObject and GetObject of a small object over HTTP/2 (SigV4 with :authority signed)', async () => {
  const body = 'hello over HTTP/2 ✓';
  const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'small.txt', Body: body,
    ContentType: 'text/plain; charset=utf-8', Metadata: { transport: 'h2' } }));
  assert.equal(put.ETag, `"${md5(Buffer.from(body))}"`);
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'small.txt' }));
  assert.equal(await got.Body.transformToString(), body);
  assert.equal(got.ContentType, 'text/plain; charset=utf-8');
  assert.equal(got.Metadata.transport, 'h2');
});

test('a 24 MiB object streams both ways byte-exact over HTTP/2', async () => {
  const data = randomBytes(24 * MiB);
  const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'big.bin', Body: data,
    ContentLength: data.length }));
  assert.equal(put.ETag, `"${md5(data)}"`);
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
  assert.equal(got.ContentLength, data.length);
  const back = await readAll(got.Body);
  assert.equal(back.length, data.length);
  assert.ok(back.equals(data), 'downloaded bytes differ from the upload');
  const range = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin', Range: 'bytes=1000-1999' }));
  assert.ok((await readAll(range.Body)).equals(data.subarray(1000, 2000)));
});

test('concurrent requests multiplex on the HTTP/2 session and ListObjectsV2 sees them', async () => {
  const keys = Array.from({ length: 20 }, (_, i) => `many/key-${String(i).padStart(2, '0')}`);
  await Promise.all(keys.map((Key) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))));
  const bodies = await Promise.all(keys.map(async (Key) => {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
    return got.Body.transformToString();
  }));
  assert.deepEqual(bodies, keys);
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'many/', MaxKeys: 7 }));
  assert.equal(listed.KeyCount, 7);
  assert.equal(listed.IsTruncated, true);
  assert.deepEqual(listed.Contents.map((o) => o.Key), keys.slice(0, 7));
  const rest = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'many/',
    ContinuationToken: listed.NextContinuationToken }));
  assert.deepEqual(rest.Contents.map((o) => o.Key), keys.slice(7));
});

test('AWS errors arrive intact over HTTP/2', async () => {
  await assert.rejects(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing' })),
    (e) => e.name === 'NoSuchKey' && e.$metadata.httpStatusCode === 404);
  const bad = new S3Client({ endpoint, region, forcePathStyle: true, maxAttempts: 1, requestHandler: handler,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: 'not-the-secret' } });
  await assert.rejects(bad.send(new GetObjectCommand({ Bucket: bucket, Key: 'small.txt' })),
    (e) => e.name === 'SignatureDoesNotMatch' && e.$metadata.httpStatusCode === 403);
});
