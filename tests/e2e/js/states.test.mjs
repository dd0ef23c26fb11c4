// AWS Step Functions with the AWS SDK for JavaScript v3 (@aws-sdk/client-sfn, client-sqs): a state machine with
// Choice, Map and an SQS task token completed by SendTaskSuccess; StartSyncExecution on an Express machine; the
// error classes the SDK maps Step Functions' codes to.
//
// The server is started by run.py (tests/e2e/harness.py); the role comes from states_setup in run.py. Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py states.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  SFNClient, CreateStateMachineCommand, StartExecutionCommand, DescribeExecutionCommand, SendTaskSuccessCommand,
  StartSyncExecutionCommand, GetExecutionHistoryCommand, InvalidDefinition, ExecutionDoesNotExist,
} from '@aws-sdk/client-sfn';
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');
const credentials = {
  accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
};
const roleArn = process.env.CENOTE_E2E_STATES_ROLE;
// StartSyncExecution's model names the host prefix "sync-": a local endpoint turns the injection off.
const sfn = new SFNClient({ endpoint, region, credentials, maxAttempts: 1, disableHostPrefix: true });
const sqs = new SQSClient({ endpoint, region, credentials, maxAttempts: 1 });

async function finished(executionArn) {
  for (let i = 0; i < 100; i++) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING') return d;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${executionArn} still running`);
}

test('Choice, Map and a task token', async () => {
  const name = `js-${randomUUID().slice(0, 8)}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const definition = {
    StartAt: 'Items',
    States: {
      Items: { Type: 'Pass', Parameters: { 'items.$': 'States.ArrayRange(1, 10, 1)' }, Next: 'Double' },
      Double: {
        Type: 'Map', ItemsPath: '$.items', ResultPath: '$.doubled',
        ItemProcessor: { StartAt: 'Twice', States: { Twice: { Type: 'Pass', Parameters: { 'v.$': 'States.MathAdd($, $)' }, OutputPath: '$.v', End: true } } },
        Next: 'Big?',
      },
      'Big?': { Type: 'Choice', Choices: [{ Variable: '$.doubled[9]', NumericEquals: 20, Next: 'Ask' }], Default: 'Nope' },
      Nope: { Type: 'Fail', Error: 'Wrong' },
      Ask: {
        Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', ResultPath: '$.answer',
        Parameters: { QueueUrl, MessageBody: { 'token.$': '$$.Task.Token' } }, End: true,
      },
    },
  };
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
    name, roleArn, definition: JSON.stringify(definition),
  }));
  const { executionArn, startDate } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
  assert.ok(startDate instanceof Date);
  let token;
  for (let i = 0; i < 10 && !token; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    if (r.Messages?.length) token = JSON.parse(r.Messages[0].Body).token;
  }
  assert.ok(token);
  await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"ok":true}' }));
  const d = await finished(executionArn);
  assert.equal(d.status, 'SUCCEEDED');
  const out = JSON.parse(d.output);
  assert.deepEqual(out.doubled, [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  assert.deepEqual(out.answer, { ok: true });
  const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
  assert.equal(h.events[0].type, 'ExecutionSucceeded');
  assert.ok(h.events[0].timestamp instanceof Date);
});

test('StartSyncExecution on an Express machine', async () => {
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
    name: `js-express-${randomUUID().slice(0, 8)}`, roleArn, type: 'EXPRESS',
    definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { 'h.$': "States.Hash($.s, 'SHA-256')" }, End: true } } }),
  }));
  const r = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn, input: '{"s":"abc"}' }));
  assert.equal(r.status, 'SUCCEEDED');
  assert.equal(JSON.parse(r.output).h, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('errors map to the SDK classes', async () => {
  await assert.rejects(sfn.send(new CreateStateMachineCommand({
    name: 'js-bad', roleArn, definition: '{"StartAt":"A","States":{}}',
  })), InvalidDefinition);
  await assert.rejects(sfn.send(new DescribeExecutionCommand({
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:none:none',
  })), ExecutionDoesNotExist);
});
