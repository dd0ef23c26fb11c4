// CloudWatch Logs with the AWS SDK for JavaScript v3 (@aws-sdk/client-cloudwatch-logs): groups and streams,
// PutLogEvents and its rejected events, GetLogEvents and FilterLogEvents with their paginators, a Logs Insights
// query, and the error classes the SDK maps the service's codes to.
//
// The server is started by run.py (tests/e2e/harness.py). Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py logs.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand, GetLogEventsCommand,
  DescribeLogStreamsCommand, DescribeLogGroupsCommand, StartQueryCommand, GetQueryResultsCommand, DeleteLogGroupCommand,
  paginateFilterLogEvents, ResourceNotFoundException, ResourceAlreadyExistsException, InvalidParameterException,
  MalformedQueryException,
} from '@aws-sdk/client-cloudwatch-logs';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');
const credentials = {
  accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
};
const logs = new CloudWatchLogsClient({ endpoint, region, credentials, maxAttempts: 1 });

async function group() {
  const name = `/js/${randomUUID().slice(0, 8)}`;
  await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: { sdk: 'js' }, logGroupClass: 'INFREQUENT_ACCESS' }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName: 'app' }));
  return name;
}

test('put, get and filter log events', async () => {
  const name = await group();
  await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: name })), ResourceAlreadyExistsException);
  const t = Date.now() - 100;
  const put = await logs.send(new PutLogEventsCommand({
    logGroupName: name, logStreamName: 'app',
    logEvents: [
      { timestamp: t - 20 * 86400000, message: 'too old' },
      ...Array.from({ length: 30 }, (_, i) => ({ timestamp: t + i, message: i % 10 === 0 ? `ERROR ${i}` : `ok ${i}` })),
    ],
  }));
  assert.deepEqual(put.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 0 });
  const got = await logs.send(new GetLogEventsCommand({ logGroupName: name, logStreamName: 'app', startFromHead: true }));
  assert.equal(got.events.length, 30);
  assert.match(got.nextForwardToken, /^f\/\d{56}$/);
  const again = await logs.send(new GetLogEventsCommand({
    logGroupName: name, logStreamName: 'app', nextToken: got.nextForwardToken,
  }));
  assert.equal(again.events.length, 0);
  assert.equal(again.nextForwardToken, got.nextForwardToken);
  const errors = [];
  for await (const page of paginateFilterLogEvents({ client: logs, pageSize: 2 }, {
    logGroupName: name, filterPattern: 'ERROR',
  })) {
    errors.push(...page.events.map((e) => e.message));
  }
  assert.deepEqual(errors, ['ERROR 0', 'ERROR 10', 'ERROR 20']);
  const { logGroups } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  assert.equal(logGroups[0].logGroupClass, 'INFREQUENT_ACCESS');
  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: name }));
  assert.equal(streams.logStreams[0].lastEventTimestamp, t + 29);
  await assert.rejects(logs.send(new PutLogEventsCommand({
    logGroupName: name, logStreamName: 'nope', logEvents: [{ timestamp: t, message: 'x' }],
  })), ResourceNotFoundException);
  await assert.rejects(logs.send(new PutLogEventsCommand({
    logGroupName: name, logStreamName: 'app',
    logEvents: [{ timestamp: t, message: 'b' }, { timestamp: t - 1, message: 'a' }],
  })), InvalidParameterException);
  await logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
});

test('a Logs Insights query', async () => {
  const name = await group();
  const t = Date.now() - 1000;
  await logs.send(new PutLogEventsCommand({
    logGroupName: name, logStreamName: 'app',
    logEvents: Array.from({ length: 6 }, (_, i) => ({ timestamp: t + i, message: JSON.stringify({ ms: i * 10 }) })),
  }));
  const window = { startTime: Math.floor(t / 1000) - 60, endTime: Math.floor(Date.now() / 1000) + 60 };
  await assert.rejects(logs.send(new StartQueryCommand({ logGroupName: name, ...window, queryString: 'stats (' })),
    MalformedQueryException);
  const { queryId } = await logs.send(new StartQueryCommand({
    logGroupName: name, ...window, queryString: 'stats avg(ms) as mean, count(*) as n',
  }));
  let r;
  for (let i = 0; i < 100; i++) {
    r = await logs.send(new GetQueryResultsCommand({ queryId }));
    if (r.status === 'Complete') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(r.status, 'Complete');
  assert.deepEqual(r.results[0], [{ field: 'mean', value: '25' }, { field: 'n', value: '6' }]);
  assert.equal(r.statistics.recordsScanned, 6);
});
