// KMS with the AWS SDK for JavaScript v3 (@aws-sdk/client-kms): keys and aliases, an encrypt/decrypt round trip
// with an encryption context (and its failure without it), data keys, signatures, and the error classes the SDK
// maps KMS's codes to.
//
// The server is started by run.py (tests/e2e/harness.py). Run:
//   CENOTE_BIN=build/cenote python3 tests/e2e/js/run.py kms.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, createPublicKey, createVerify } from 'node:crypto';

import {
  KMSClient, CreateKeyCommand, CreateAliasCommand, DescribeKeyCommand, EncryptCommand, DecryptCommand,
  GenerateDataKeyCommand, SignCommand, GetPublicKeyCommand, DisableKeyCommand, ListAliasesCommand,
  InvalidCiphertextException, DisabledException, NotFoundException,
} from '@aws-sdk/client-kms';

const endpoint = process.env.CENOTE_E2E_ENDPOINT;
const region = process.env.CENOTE_E2E_REGION || 'us-east-1';
if (!endpoint) throw new Error('CENOTE_E2E_ENDPOINT is not set: run this through tests/e2e/js/run.py');
const credentials = {
  accessKeyId: process.env.CENOTE_E2E_ACCESS_KEY_ID,
  secretAccessKey: process.env.CENOTE_E2E_SECRET_ACCESS_KEY,
};
const kms = new KMSClient({ endpoint, region, credentials, maxAttempts: 1 });

test('encrypt and decrypt through an alias, with an encryption context', async () => {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'js' }));
  const alias = `alias/js-${randomUUID().slice(0, 8)}`;
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata.KeyId }));
  const aliases = await kms.send(new ListAliasesCommand({ KeyId: KeyMetadata.KeyId }));
  assert.deepEqual(aliases.Aliases.map((a) => a.AliasName), [alias]);
  const context = { app: 'js', stage: 'test' };
  const enc = await kms.send(new EncryptCommand({
    KeyId: alias, Plaintext: Buffer.from('from javascript'), EncryptionContext: context,
  }));
  assert.equal(enc.KeyId, KeyMetadata.Arn);
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }));
  assert.equal(Buffer.from(dec.Plaintext).toString(), 'from javascript');
  await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
                       (e) => e instanceof InvalidCiphertextException);
  await kms.send(new DisableKeyCommand({ KeyId: KeyMetadata.KeyId }));
  await assert.rejects(kms.send(new EncryptCommand({ KeyId: alias, Plaintext: Buffer.from('x') })),
                       (e) => e instanceof DisabledException);
  await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: 'alias/none-such' })),
                       (e) => e instanceof NotFoundException);
});

test('data keys and signatures verified by node:crypto', async () => {
  const sym = (await kms.send(new CreateKeyCommand({}))).KeyMetadata.KeyId;
  const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: sym, KeySpec: 'AES_256' }));
  assert.equal(dk.Plaintext.length, 32);
  const back = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }));
  assert.deepEqual(Buffer.from(back.Plaintext), Buffer.from(dk.Plaintext));

  const ec = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata;
  const message = Buffer.from('signed in KMS, verified in node');
  const { Signature } = await kms.send(new SignCommand({
    KeyId: ec.KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256',
  }));
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: ec.KeyId }));
  const key = createPublicKey({ key: Buffer.from(PublicKey), format: 'der', type: 'spki' });
  assert.ok(createVerify('SHA256').update(message).verify(key, Buffer.from(Signature)));
});
