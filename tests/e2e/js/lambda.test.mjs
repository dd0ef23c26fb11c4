// AWS Lambda with the AWS SDK for JavaScript v3 (@aws-sdk/client-lambda): a Node function created from a zip,
// invoked sync (with the log tail) and async, a function error, and the error classes the SDK maps Lambda's
// codes to.
//
// The server is started by run.py (tests/e2e/harness.py); the role comes from lambda_setup in run.py. Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py lambda.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import zlib from 'node:zlib';

import {
  LambdaClient, CreateFunctionCommand, InvokeCommand, GetFunctionCommand, DeleteFunctionCommand,
  InvokeWithResponseStreamCommand,
  ResourceNotFoundException, waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');
const credentials = {
  accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
};
const role = process.env.CENOTE_E2E_LAMBDA_ROLE;
const lambda = new LambdaClient({ endpoint, region, credentials, maxAttempts: 1 });

// A stored (uncompressed) zip archive of {name: text}.
function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const nameBuf = Buffer.from(name);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE((3 << 8) | 20, 4); central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16); central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28); central.writeUInt32LE(((0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10); end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const code = `
export const handler = async (event, context) => {
  console.log('js event', JSON.stringify(event));
  if (event.fail) throw new Error('js failure');
  return { sum: (event.a ?? 0) + (event.b ?? 0), name: context.functionName };
};
`;

test('a Node function: create, wait, invoke sync and async, errors', async () => {
  const name = `js-${randomUUID().slice(0, 8)}`;
  const created = await lambda.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'nodejs20.x', Role: role, Handler: 'index.handler',
    Code: { ZipFile: zip({ 'index.mjs': code }) },
  }));
  assert.equal(created.State, 'Pending');
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30 }, { FunctionName: name });
  const got = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
  assert.equal(got.Configuration.State, 'Active');
  const r = await lambda.send(new InvokeCommand({
    FunctionName: name, Payload: Buffer.from(JSON.stringify({ a: 2, b: 3 })), LogType: 'Tail',
  }));
  assert.equal(r.StatusCode, 200);
  assert.equal(r.FunctionError, undefined);
  assert.deepEqual(JSON.parse(Buffer.from(r.Payload).toString()), { sum: 5, name });
  const log = Buffer.from(r.LogResult, 'base64').toString();
  assert.match(log, /START RequestId: /);
  assert.match(log, /js event/);
  assert.match(log, /REPORT RequestId: .*Init Duration/);
  const failed = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"fail": true}') }));
  assert.equal(failed.FunctionError, 'Unhandled');
  const err = JSON.parse(Buffer.from(failed.Payload).toString());
  assert.equal(err.errorType, 'Error');
  assert.equal(err.errorMessage, 'js failure');
  const queued = await lambda.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: Buffer.from('{}') }));
  assert.equal(queued.StatusCode, 202);
  await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
  await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: name })), ResourceNotFoundException);
});

test('InvokeWithResponseStream: the buffered response as PayloadChunk events, then InvokeComplete', async () => {
  const name = `js-stream-${randomUUID().slice(0, 8)}`;
  await lambda.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'nodejs20.x', Role: role, Handler: 'index.handler',
    Code: { ZipFile: zip({ 'index.mjs': code }) },
  }));
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30 }, { FunctionName: name });
  const r = await lambda.send(new InvokeWithResponseStreamCommand({
    FunctionName: name, Payload: Buffer.from(JSON.stringify({ a: 4, b: 5 })),
  }));
  assert.equal(r.StatusCode, 200);
  const chunks = [];
  let complete;
  for await (const event of r.EventStream) {
    if (event.PayloadChunk) chunks.push(Buffer.from(event.PayloadChunk.Payload));
    if (event.InvokeComplete) complete = event.InvokeComplete;
  }
  assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString()), { sum: 9, name });
  assert.ok(complete);
  assert.equal(complete.ErrorCode, undefined);
  const failed = await lambda.send(new InvokeWithResponseStreamCommand({
    FunctionName: name, Payload: Buffer.from('{"fail": true}'),
  }));
  let error;
  for await (const event of failed.EventStream) if (event.InvokeComplete) error = event.InvokeComplete;
  assert.equal(error.ErrorCode, 'Unhandled');
  assert.equal(JSON.parse(error.ErrorDetails).errorMessage, 'js failure');
  await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
});
