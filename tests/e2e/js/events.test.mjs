// EventBridge with the AWS SDK for JavaScript v3 (@aws-sdk/client-eventbridge, client-sqs): a rule routes
// PutEvents to an SQS queue through an input transformer; TestEventPattern; the error classes the SDK maps
// EventBridge's codes to.
//
// The server is started by run.py (tests/e2e/harness.py). Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py events.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  EventBridgeClient, PutRuleCommand, PutTargetsCommand, PutEventsCommand, TestEventPatternCommand,
  DescribeRuleCommand, ResourceNotFoundException, InvalidEventPatternException,
} from '@aws-sdk/client-eventbridge';
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
const eb = new EventBridgeClient({ endpoint, region, credentials, maxAttempts: 1 });
const sqs = new SQSClient({ endpoint, region, credentials, maxAttempts: 1 });

test('a rule routes PutEvents through an input transformer to SQS', async () => {
  const name = `js-${randomUUID().slice(0, 8)}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage',
                  Resource: Attributes.QueueArn }],
  }) } }));
  const { RuleArn } = await eb.send(new PutRuleCommand({
    Name: name, EventPattern: JSON.stringify({ source: ['js.app'], detail: { kind: [{ prefix: 'order' }] } }),
  }));
  assert.match(RuleArn, new RegExp(`:rule/${name}$`));
  await eb.send(new PutTargetsCommand({ Rule: name, Targets: [{
    Id: 'q', Arn: Attributes.QueueArn,
    InputTransformer: { InputPathsMap: { kind: '$.detail.kind' }, InputTemplate: '{"kind": <kind>, "rule": "<aws.events.rule-name>"}' },
  }] }));
  const put = await eb.send(new PutEventsCommand({ Entries: [
    { Source: 'js.app', DetailType: 'x', Detail: JSON.stringify({ kind: 'order-created' }) },
    { Source: 'js.app', DetailType: 'x', Detail: JSON.stringify({ kind: 'refund' }) },
  ] }));
  assert.equal(put.FailedEntryCount, 0);
  let body;
  for (let i = 0; i < 10 && !body; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    if (r.Messages?.length) body = JSON.parse(r.Messages[0].Body);
  }
  assert.deepEqual(body, { kind: 'order-created', rule: name });
});

test('TestEventPattern and errors', async () => {
  const event = JSON.stringify({ id: '1', source: 'a', 'detail-type': 'b', account: '123456789012',
                                 region: 'us-east-1', time: '2024-01-01T00:00:00Z', resources: [], detail: { n: 5 } });
  const yes = await eb.send(new TestEventPatternCommand({ EventPattern: '{"detail": {"n": [{"numeric": [">", 4]}]}}', Event: event }));
  assert.equal(yes.Result, true);
  await assert.rejects(eb.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"a": []}' })),
                       (e) => e instanceof InvalidEventPatternException);
  await assert.rejects(eb.send(new DescribeRuleCommand({ Name: 'no-such-rule' })),
                       (e) => e instanceof ResourceNotFoundException);
});
