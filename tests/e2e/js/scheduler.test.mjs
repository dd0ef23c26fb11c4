// EventBridge Scheduler with the AWS SDK for JavaScript v3 (@aws-sdk/client-scheduler, client-sqs): a one-time
// schedule invokes an SQS queue as its role; get/list; the error classes the SDK maps Scheduler's codes to.
//
// The server is started by run.py (tests/e2e/harness.py); the role comes from scheduler_setup in run.py. Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py scheduler.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  SchedulerClient, CreateScheduleCommand, GetScheduleCommand, ListSchedulesCommand, CreateScheduleGroupCommand,
  ResourceNotFoundException, ConflictException,
} from '@aws-sdk/client-scheduler';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');
const credentials = {
  accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
};
const role = process.env.CENOTE_E2E_SCHEDULER_ROLE;
const scheduler = new SchedulerClient({ endpoint, region, credentials, maxAttempts: 1 });
const sqs = new SQSClient({ endpoint, region, credentials, maxAttempts: 1 });

test('an at() schedule sends to SQS on time', async () => {
  const name = `js-${randomUUID().slice(0, 8)}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const when = new Date(Date.now() + 3000);
  const at = `at(${when.toISOString().slice(0, 19)})`;
  const { ScheduleArn } = await scheduler.send(new CreateScheduleCommand({
    Name: name, ScheduleExpression: at, FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: Attributes.QueueArn, RoleArn: role, Input: '{"from": "js"}' },
  }));
  assert.match(ScheduleArn, new RegExp(`:schedule/default/${name}$`));
  const got = await scheduler.send(new GetScheduleCommand({ Name: name }));
  assert.equal(got.ScheduleExpression, at);
  assert.ok(got.CreationDate instanceof Date);
  const listed = await scheduler.send(new ListSchedulesCommand({ NamePrefix: name }));
  assert.deepEqual(listed.Schedules.map((s) => s.Name), [name]);
  let body;
  for (let i = 0; i < 12 && !body; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    if (r.Messages?.length) body = JSON.parse(r.Messages[0].Body);
  }
  assert.deepEqual(body, { from: 'js' });
});

test('errors', async () => {
  await assert.rejects(scheduler.send(new GetScheduleCommand({ Name: 'no-such-schedule' })),
                       (e) => e instanceof ResourceNotFoundException);
  const group = `js-${randomUUID().slice(0, 8)}`;
  await scheduler.send(new CreateScheduleGroupCommand({ Name: group }));
  await assert.rejects(scheduler.send(new CreateScheduleGroupCommand({ Name: group })),
                       (e) => e instanceof ConflictException);
});
