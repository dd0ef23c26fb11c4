// IAM enforced, seen from the AWS SDK for JavaScript v3: an IAM user's key and a role session's temporary
// credentials (with their session token), each allowed some calls and denied others in the words the SDK
// turns into its exceptions.
//
// run.py starts the server and, for this file, makes the user (a policy reading one bucket and the Glue
// catalog, allowed to assume the role) and a session of the role (AmazonS3ReadOnlyAccess) with boto3 as
// root, and passes their credentials in CENOTE_E2E_USER_* / CENOTE_E2E_ROLE_*. Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py identity.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { S3Client, GetObjectCommand, PutObjectCommand, ListObjectsV2Command, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { GlueClient, GetDatabaseCommand, CreateDatabaseCommand } from '@aws-sdk/client-glue';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
const bucket = process.env.CENOTE_E2E_IDENTITY_BUCKET;
if (!endpoint || !bucket) throw new Error('run this through tests/e2e/js/run.py identity.test.mjs');

const user = {
  accessKeyId: process.env.CENOTE_E2E_USER_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_USER_SECRET_ACCESS_KEY,
};
const role = {
  accessKeyId: process.env.CENOTE_E2E_ROLE_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_ROLE_SECRET_ACCESS_KEY,
  sessionToken: process.env.CENOTE_E2E_ROLE_SESSION_TOKEN,
};
const options = (credentials) => ({ endpoint, region, credentials, maxAttempts: 1 });

async function denied(promise, name, status) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, name, `${e.name}: ${e.message}`);
    if (status !== undefined) assert.equal(e.$metadata.httpStatusCode, status);
    return true;
  });
}

test('an IAM user gets what its policy allows, and AccessDenied for the rest', async () => {
  const s3 = new S3Client({ ...options(user), forcePathStyle: true });
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'data/a.csv' }));
  assert.equal(await got.Body.transformToString(), 'id\n1\n');
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.equal(listed.KeyCount, 1);
  await denied(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'data/b.csv', Body: 'x' })), 'AccessDenied', 403);

  const glue = new GlueClient(options(user));
  const db = await glue.send(new GetDatabaseCommand({ Name: 'js_identity' }));
  assert.equal(db.Database.Name, 'js_identity');
  await assert.rejects(glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'js_nope' } })), (e) => {
    assert.equal(e.name, 'AccessDeniedException');
    assert.match(e.message, /arn:aws:iam::000000000000:user\/js-analyst is not authorized to perform: glue:CreateDatabase/);
    return true;
  });
  await denied(new KinesisClient(options(user)).send(new ListStreamsCommand({})), 'AccessDeniedException', 400);
});

test('a role session signs with its session token and gets the role\'s permissions', async () => {
  const s3 = new S3Client({ ...options(role), forcePathStyle: true });
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'data/a.csv' }));
  assert.equal(await got.Body.transformToString(), 'id\n1\n');
  await denied(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'data/a.csv' })), 'AccessDenied', 403);
  // The role has no Glue permissions at all.
  await denied(new GlueClient(options(role)).send(new GetDatabaseCommand({ Name: 'js_identity' })), 'AccessDeniedException', 400);
  // A session token that is not the session's is refused.
  const forged = new S3Client({ ...options({ ...role, sessionToken: role.sessionToken.slice(0, -4) + 'AAAA' }), forcePathStyle: true });
  await assert.rejects(forged.send(new GetObjectCommand({ Bucket: bucket, Key: 'data/a.csv' })), (e) => {
    assert.ok(['InvalidToken', 'InvalidAccessKeyId', 'AccessDenied'].includes(e.name), e.name);
    return true;
  });
});
