// SNS with the AWS SDK for JavaScript v3 (@aws-sdk/client-sns, @aws-sdk/client-sqs): a topic delivering to an SQS
// queue (the queue policy allowing SNS for the topic), the enveloped notification's signature verified by
// node:crypto with the certificate fetched from SigningCertURL, raw delivery with message attributes, a filter
// policy, PublishBatch, a FIFO topic's deduplication and sequence numbers, and the SDK's error classes.
//
// The server is started by run.py (tests/e2e/harness.py). Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py sns.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, createVerify } from 'node:crypto';

import {
  SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand, PublishBatchCommand, GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand, UnsubscribeCommand, DeleteTopicCommand, NotFoundException, InvalidParameterException,
} from '@aws-sdk/client-sns';
import {
  SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');
const credentials = {
  accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
};
const sns = new SNSClient({ endpoint, region, credentials, maxAttempts: 1 });
const sqs = new SQSClient({ endpoint, region, credentials, maxAttempts: 1 });

async function queueFor(topicArn, { fifo = false } = {}) {
  const name = `js-${randomUUID().slice(0, 8)}${fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: name, Attributes: fifo ? { FifoQueue: 'true' } : {},
  }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const policy = {
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage',
      Resource: Attributes.QueueArn, Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
    }],
  };
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
  return { url: QueueUrl, arn: Attributes.QueueArn };
}

async function receive(url, count) {
  const out = [];
  const deadline = Date.now() + 15000;
  while (out.length < count && Date.now() < deadline) {
    const r = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'],
    }));
    out.push(...(r.Messages || []));
  }
  return out;
}

function canonical(msg) {
  const keys = msg.Type === 'Notification'
    ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
    : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return keys.filter((k) => k in msg).map((k) => `${k}\n${msg[k]}\n`).join('');
}

test('a topic delivers to SQS: enveloped and signed, raw with attributes, filtered', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `js-${randomUUID().slice(0, 8)}` }));
  const enveloped = await queueFor(TopicArn);
  const raw = await queueFor(TopicArn);
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: enveloped.arn }));
  await sns.send(new SubscribeCommand({
    TopicArn, Protocol: 'sqs', Endpoint: raw.arn,
    Attributes: { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify({ level: ['error'] }) },
  }));
  const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  assert.equal(subs.Subscriptions.length, 2);
  const { MessageId } = await sns.send(new PublishCommand({
    TopicArn, Message: 'from javascript', Subject: 'js',
    MessageAttributes: { level: { DataType: 'String', StringValue: 'error' } },
  }));
  await sns.send(new PublishCommand({
    TopicArn, Message: 'filtered out', MessageAttributes: { level: { DataType: 'String', StringValue: 'info' } },
  }));
  const [m1, m2] = await receive(enveloped.url, 2);
  const env = JSON.parse(m1.Body);
  assert.equal(env.MessageId, MessageId);
  assert.equal(env.Message, 'from javascript');
  assert.deepEqual(env.MessageAttributes.level, { Type: 'String', Value: 'error' });
  assert.equal(JSON.parse(m2.Body).Message, 'filtered out');
  const pem = await (await fetch(env.SigningCertURL)).text();
  assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
  const verifier = createVerify('RSA-SHA1');
  verifier.update(canonical(env));
  assert.ok(verifier.verify(pem, env.Signature, 'base64'), 'signature verifies');
  const rawMessages = await receive(raw.url, 1);
  assert.equal(rawMessages.length, 1);
  assert.equal(rawMessages[0].Body, 'from javascript');
  assert.equal(rawMessages[0].MessageAttributes.level.StringValue, 'error');
  const batch = await sns.send(new PublishBatchCommand({
    TopicArn,
    PublishBatchRequestEntries: [{ Id: 'a', Message: 'one' }, { Id: 'b', Message: 'two' }],
  }));
  assert.deepEqual(batch.Successful.map((s) => s.Id).sort(), ['a', 'b']);
  assert.equal((await receive(enveloped.url, 2)).length, 2);
  const sub = subs.Subscriptions[0].SubscriptionArn;
  await sns.send(new UnsubscribeCommand({ SubscriptionArn: sub }));
  await sns.send(new DeleteTopicCommand({ TopicArn }));
  await assert.rejects(sns.send(new GetTopicAttributesCommand({ TopicArn })), (e) => e instanceof NotFoundException);
});

test('FIFO topic: deduplication, sequence numbers, order per group', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({
    Name: `js-${randomUUID().slice(0, 8)}.fifo`, Attributes: { FifoTopic: 'true' },
  }));
  const q = await queueFor(TopicArn, { fifo: true });
  await sns.send(new SubscribeCommand({
    TopicArn, Protocol: 'sqs', Endpoint: q.arn, Attributes: { RawMessageDelivery: 'true' },
  }));
  const seqs = [];
  for (let i = 0; i < 5; i++) {
    const r = await sns.send(new PublishCommand({
      TopicArn, Message: `m${i}`, MessageGroupId: 'g', MessageDeduplicationId: `d${i}`,
    }));
    seqs.push(BigInt(r.SequenceNumber));
  }
  const dup = await sns.send(new PublishCommand({
    TopicArn, Message: 'm0', MessageGroupId: 'g', MessageDeduplicationId: 'd0',
  }));
  assert.equal(BigInt(dup.SequenceNumber), seqs[0]);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1]);
  const got = await receive(q.url, 5);
  assert.deepEqual(got.map((m) => m.Body), ['m0', 'm1', 'm2', 'm3', 'm4']);
  await assert.rejects(sns.send(new PublishCommand({ TopicArn, Message: 'no group' })),
                       (e) => e instanceof InvalidParameterException);
});
