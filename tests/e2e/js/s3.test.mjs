// S3 end to end with the AWS SDK for JavaScript v3 (node's built-in test runner).
//
// The server is started by run.py (tests/e2e/harness.py), which passes CENOTE_E2E_ENDPOINT,
// CENOTE_E2E_ACCESS_KEY_ID, CENOTE_E2E_SECRET_ACCESS_KEY and CENOTE_E2E_REGION. Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py
// The closing `# pass N` / `# fail N` lines of node's TAP output are what CI reads.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';

import {
  S3Client, CreateBucketCommand, DeleteBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  DeleteObjectsCommand, ListObjectsV2Command, paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');

const client = new S3Client({
  endpoint,
  region,
  forcePathStyle: true,
  maxAttempts: 1,
  credentials: {
    accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
    secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
  },
});

const MiB = 1024 * 1024;
const bucket = `e2e-js-${randomUUID().slice(0, 12)}`;
const md5 = (buf) => createHash('md5').update(buf).digest('hex');
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function allKeys(prefix) {
  const keys = [];
  for await (const page of paginateListObjectsV2({ client, pageSize: 1000 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) keys.push(o.Key);
  }
  return keys;
}

before(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

after(async () => {
  // Best-effort cleanup (bounded: at most a few thousand keys exist).
  try {
    const keys = await allKeys('');
    for (let i = 0; i < keys.length; i += 1000) {
      await client.send(new DeleteObjectsCommand({
        Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
      }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch { /* cleanup only */ }
  client.destroy();
});

test('PutObject with a string body and default checksums', async () => {
  const body = 'hello from the JS SDK ✓';
  const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'str/hello.txt', Body: body,
    ContentType: 'text/plain; charset=utf-8', Metadata: { origin: 'js' } }));
  assert.equal(put.ETag, `"${md5(Buffer.from(body))}"`);
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'str/hello.txt' }));
  assert.equal(await got.Body.transformToString(), body);
  assert.equal(got.ContentType, 'text/plain; charset=utf-8');
  assert.equal(got.Metadata.origin, 'js');
});

// A stream body needs ContentLength in PutObject (the SDK cannot send x-amz-decoded-content-length otherwise);
// with it, the SDK sends an aws-chunked body with a trailing CRC32 checksum.
test('PutObject with a stream body (aws-chunked with a trailing checksum)', async () => {
  const parts = [randomBytes(100 * 1024), randomBytes(70 * 1024), randomBytes(3)];
  const whole = Buffer.concat(parts);
  const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'stream/body.bin',
    Body: Readable.from(parts), ContentLength: whole.length }));
  assert.equal(put.ETag, `"${md5(whole)}"`);
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'stream/body.bin' }));
  assert.equal(head.ContentLength, whole.length);
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'stream/body.bin' }));
  assert.equal(sha256(Buffer.from(await got.Body.transformToByteArray())), sha256(whole));
});

test('lib-storage Upload: 12 MiB in 5 MiB parts, streaming GetObject', async () => {
  const data = randomBytes(12 * MiB);
  const upload = new Upload({ client, params: { Bucket: bucket, Key: 'big/upload.bin', Body: Readable.from([data]) },
    partSize: 5 * MiB, queueSize: 3 });
  const done = await upload.done();
  const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
  const expected = md5(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))) + '-3';
  assert.equal(done.ETag, `"${expected}"`);
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/upload.bin' }));
  assert.equal(got.ContentLength, data.length);
  const back = await readAll(got.Body);
  assert.equal(back.length, data.length);
  assert.equal(sha256(back), sha256(data));
});

test('ranged GetObject', async () => {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'range.txt', Body: '0123456789abcdef' }));
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'range.txt', Range: 'bytes=5-9' }));
  assert.equal(got.$metadata.httpStatusCode, 206);
  assert.equal(got.ContentRange, 'bytes 5-9/16');
  assert.equal(got.ContentLength, 5);
  assert.equal(await got.Body.transformToString(), '56789');
});

test('ListObjectsV2 paginator over 1200 keys', async () => {
  const keys = Array.from({ length: 1200 }, (_, i) => `many/${String(i).padStart(5, '0')}`);
  for (let i = 0; i < keys.length; i += 24) {  // 24 requests in flight at a time
    await Promise.all(keys.slice(i, i + 24).map((Key) =>
      client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))));
  }
  let pages = 0;
  const listed = [];
  for await (const page of paginateListObjectsV2({ client, pageSize: 500 }, { Bucket: bucket, Prefix: 'many/' })) {
    pages += 1;
    assert.ok(pages <= 10, 'paginator does not terminate');
    for (const o of page.Contents ?? []) listed.push(o.Key);
  }
  assert.equal(pages, 3);
  assert.deepEqual(listed, keys);
  const first = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'many/' }));
  assert.equal(first.KeyCount, 1000);
  assert.equal(first.IsTruncated, true);
});

test('presigned GET and PUT used with fetch', async () => {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'presigned/ü file.txt', Body: 'presigned!' }));
  const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: 'presigned/ü file.txt' }),
    { expiresIn: 300 });
  assert.match(url, /X-Amz-Signature=/);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'presigned!');
  const putUrl = await getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key: 'presigned/put.txt' }),
    { expiresIn: 300 });
  const putRes = await fetch(putUrl, { method: 'PUT', body: 'put via fetch' });
  assert.equal(putRes.status, 200, await putRes.text());
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'presigned/put.txt' }));
  assert.equal(await got.Body.transformToString(), 'put via fetch');
});

test('errors are mapped to named exceptions', async () => {
  await assert.rejects(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'does/not/exist' })), (err) => {
    assert.equal(err.name, 'NoSuchKey');
    assert.equal(err.$metadata.httpStatusCode, 404);
    return true;
  });
  await assert.rejects(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'does/not/exist' })), (err) => {
    assert.equal(err.name, 'NotFound');
    assert.equal(err.$metadata.httpStatusCode, 404);
    return true;
  });
  await assert.rejects(client.send(new ListObjectsV2Command({ Bucket: `${bucket}-missing` })), (err) => {
    assert.equal(err.name, 'NoSuchBucket');
    return true;
  });
  await assert.rejects(client.send(new DeleteBucketCommand({ Bucket: bucket })), (err) => {
    assert.equal(err.name, 'BucketNotEmpty');
    assert.equal(err.$metadata.httpStatusCode, 409);
    return true;
  });
});
