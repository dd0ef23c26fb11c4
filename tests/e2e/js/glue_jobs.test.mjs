// Glue jobs end to end with the AWS SDK for JavaScript v3: a pythonshell job from S3 run to SUCCEEDED with its
// output in CloudWatch Logs, a failing run's ErrorMessage, and Glue's errors by name with their message.
//
// Started by run.py (tests/e2e/harness.py); the job's role comes from glue_jobs_setup in run.py. Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py glue_jobs.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  GlueClient, CreateJobCommand, GetJobCommand, StartJobRunCommand, GetJobRunCommand, GetJobRunsCommand,
} from '@aws-sdk/client-glue';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
const role = process.env.CENOTE_E2E_GLUE_JOBS_ROLE;
if (!endpoint || !role) throw new Error('run this through tests/e2e/js/run.py');
const common = {
  endpoint, region, maxAttempts: 1,
  credentials: {
    accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
    secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
  },
};
const s3 = new S3Client({ ...common, forcePathStyle: true });
const glue = new GlueClient(common);
const logs = new CloudWatchLogsClient(common);
const bucket = `glue-jobs-js-${randomUUID().slice(0, 8)}`;

async function waitRun(JobName, RunId) {
  for (let i = 0; i < 300; i += 1) {
    const { JobRun } = await glue.send(new GetJobRunCommand({ JobName, RunId }));
    if (!['STARTING', 'RUNNING', 'STOPPING'].includes(JobRun.JobRunState)) return JobRun;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${JobName} ${RunId} did not end`);
}

test('a pythonshell job runs to SUCCEEDED and logs its output', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'hello.py',
    Body: 'import sys\nargs = sys.argv[1:]\nprint("hello", args[args.index("--who") + 1])\n',
  }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'fail.py', Body: 'raise SystemExit("no input")\n' }));
  const created = await glue.send(new CreateJobCommand({
    Name: 'js-hello', Role: role, DefaultArguments: { '--who': 'js' },
    Command: { Name: 'pythonshell', ScriptLocation: `s3://${bucket}/hello.py`, PythonVersion: '3.9' },
  }));
  assert.equal(created.Name, 'js-hello');
  const { Job } = await glue.send(new GetJobCommand({ JobName: 'js-hello' }));
  assert.equal(Job.MaxCapacity, 0.0625);
  const { JobRunId } = await glue.send(new StartJobRunCommand({ JobName: 'js-hello' }));
  const run = await waitRun('js-hello', JobRunId);
  assert.equal(run.JobRunState, 'SUCCEEDED', run.ErrorMessage);
  assert.ok(run.StartedOn instanceof Date && run.CompletedOn instanceof Date);
  const { events } = await logs.send(new GetLogEventsCommand({
    logGroupName: '/aws-glue/python-jobs/output', logStreamName: JobRunId, startFromHead: true,
  }));
  assert.ok(events.some((e) => e.message === 'hello js'), JSON.stringify(events));
  const { JobRuns } = await glue.send(new GetJobRunsCommand({ JobName: 'js-hello' }));
  assert.equal(JobRuns[0].Id, JobRunId);

  await glue.send(new CreateJobCommand({
    Name: 'js-fail', Role: role, Command: { Name: 'pythonshell', ScriptLocation: `s3://${bucket}/fail.py` },
  }));
  const failed = await waitRun('js-fail', (await glue.send(new StartJobRunCommand({ JobName: 'js-fail' }))).JobRunId);
  assert.equal(failed.JobRunState, 'FAILED');
  assert.equal(failed.ErrorMessage, 'no input');
});

test('errors carry Glue names and messages', async () => {
  await assert.rejects(glue.send(new GetJobCommand({ JobName: 'js-none' })), (err) => {
    assert.equal(err.name, 'EntityNotFoundException');
    assert.ok((err.Message ?? err.message).includes('js-none'));
    return true;
  });
  await glue.send(new CreateJobCommand({
    Name: 'js-etl', Role: role, Command: { Name: 'glueetl', ScriptLocation: `s3://${bucket}/etl.py` },
  }));
  await assert.rejects(glue.send(new StartJobRunCommand({ JobName: 'js-etl' })), (err) => {
    assert.equal(err.name, 'InvalidInputException');
    assert.match(err.Message ?? err.message, /pythonshell/);
    return true;
  });
});
