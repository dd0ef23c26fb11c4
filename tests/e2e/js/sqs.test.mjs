// SQS with the AWS SDK for JavaScript v3 (@aws-sdk/client-sqs, which speaks the JSON 1.0 protocol and verifies
// the MD5s of bodies and message attributes itself): standard and FIFO queues, batches, message attributes,
// long polling woken by a send, visibility, a dead-letter queue after maxReceiveCount, and the SDK's error
// classes.
//
// The server is started by run.py (tests/e2e/harness.py). Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py sqs.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, GetQueueAttributesCommand, SendMessageCommand,
  SendMessageBatchCommand, ReceiveMessageCommand, DeleteMessageCommand, DeleteMessageBatchCommand,
  ChangeMessageVisibilityCommand, SetQueueAttributesCommand, ListQueuesCommand, DeleteQueueCommand,
  QueueDoesNotExist, ReceiptHandleIsInvalid,
} from '@aws-sdk/client-sqs';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');
const credentials = {
  accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
};
// The SDK checks MD5OfMessageBody / MD5OfMessageAttributes of every send and receive (md5 option on).
const sqs = new SQSClient({ endpoint, region, credentials, maxAttempts: 1 });

const name = (p) => `${p}-${randomUUID().slice(0, 8)}`;

test('standard queue: batches, attributes, visibility, delete', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: name('js'), Attributes: { VisibilityTimeout: '1' },
  }));
  const { QueueUrl: found } = await sqs.send(new GetQueueUrlCommand({ QueueName: QueueUrl.split('/').pop() }));
  assert.equal(found, QueueUrl);
  const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'js-' }));
  assert.ok(listed.QueueUrls.includes(QueueUrl));
  const sent = await sqs.send(new SendMessageBatchCommand({
    QueueUrl,
    Entries: [0, 1, 2].map((i) => ({
      Id: `m${i}`, MessageBody: `body ${i} ✓`,
      MessageAttributes: {
        n: { DataType: 'Number', StringValue: String(i) },
        bin: { DataType: 'Binary', BinaryValue: Buffer.from([i, 255]) },
      },
    })),
  }));
  assert.equal(sent.Successful.length, 3);
  const got = [];
  for (let i = 0; i < 10 && got.length < 3; i++) {  // bounded
    const r = await sqs.send(new ReceiveMessageCommand({
      QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }));
    got.push(...(r.Messages || []));
  }
  assert.deepEqual(got.map((m) => m.Body).sort(), ['body 0 ✓', 'body 1 ✓', 'body 2 ✓']);
  for (const m of got) {
    assert.equal(m.Attributes.ApproximateReceiveCount, '1');
    const i = Number(m.MessageAttributes.n.StringValue);
    assert.deepEqual(Buffer.from(m.MessageAttributes.bin.BinaryValue), Buffer.from([i, 255]));
  }
  // One is made visible again at once; the others are deleted in a batch.
  await sqs.send(new ChangeMessageVisibilityCommand({
    QueueUrl, ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: 0,
  }));
  const del = await sqs.send(new DeleteMessageBatchCommand({
    QueueUrl, Entries: got.slice(1).map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
  }));
  assert.equal(del.Successful.length, 2);
  const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
  assert.equal(again.Messages.length, 1);
  assert.equal(again.Messages[0].Body, got[0].Body);
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.Messages[0].ReceiptHandle }));
  await assert.rejects(sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'not-a-handle' })),
    (e) => e instanceof ReceiptHandleIsInvalid);
  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: QueueUrl.split('/').pop() })),
    (e) => e instanceof QueueDoesNotExist);
});

test('long poll answers as soon as a message is sent', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name('js-poll') }));
  const t0 = Date.now();
  const waiting = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
  await new Promise((r) => setTimeout(r, 300));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'wake up' }));
  const r = await waiting;
  assert.equal(r.Messages[0].Body, 'wake up');
  assert.ok(Date.now() - t0 < 5000, `the long poll took ${Date.now() - t0} ms`);
});

test('FIFO queue keeps group order and deduplicates by content', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: `${name('js')}.fifo`,
    Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
  }));
  for (const body of ['a1', 'a2', 'a1', 'a3']) {  // the second a1 is a duplicate
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: 'a' }));
  }
  const bodies = [];
  for (let i = 0; i < 10 && bodies.length < 3; i++) {  // bounded
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of r.Messages || []) {
      bodies.push(m.Body);
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  assert.deepEqual(bodies, ['a1', 'a2', 'a3']);
});

test('a message received maxReceiveCount times moves to the dead-letter queue', async () => {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: name('js-dlq') }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'],
  }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name('js-src') }));
  await sqs.send(new SetQueueAttributesCommand({
    QueueUrl,
    Attributes: {
      VisibilityTimeout: '0',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes.QueueArn, maxReceiveCount: 2 }),
    },
  }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
  for (let i = 0; i < 2; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
    assert.equal(r.Messages[0].Body, 'poison');
  }
  // The third receive finds it past maxReceiveCount: moved, not delivered.
  const left = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
  assert.equal((left.Messages || []).length, 0);
  const moved = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, WaitTimeSeconds: 3 }));
  assert.equal(moved.Messages[0].Body, 'poison');
});
