"""KMS end to end with boto3: symmetric round trips and their failures, data keys used with AES-GCM outside KMS,
grants and key policies deciding for a non-root IAM user, rotation, asymmetric signatures verified by `openssl`,
HMAC, multi-Region replicas.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/kms/test_boto3.py [-v]
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
ACCOUNT = "000000000000"


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def kms(region=None):
    if region is None:
        return harness.boto3_client(SERVER, "kms")
    import boto3
    from botocore.config import Config
    return boto3.session.Session().client(
        "kms", endpoint_url=SERVER.endpoint, region_name=region, aws_access_key_id=SERVER.access_key,
        aws_secret_access_key=SERVER.secret_key, config=Config(retries={"max_attempts": 1}))


def code_of(fn, **kwargs):
    return harness.error_of(fn, **kwargs)[1]


def new_user(name, policy_doc=None):
    """An IAM user with an access key (and an inline policy when given); a KMS client signed as it."""
    import boto3
    from botocore.config import Config
    iam = harness.boto3_client(SERVER, "iam")
    iam.create_user(UserName=name)
    if policy_doc is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy_doc))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    client = boto3.session.Session().client(
        "kms", endpoint_url=SERVER.endpoint, region_name=SERVER.region, aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"], config=Config(retries={"max_attempts": 1}))
    return f"arn:aws:iam::{ACCOUNT}:user/{name}", client


class Symmetric(unittest.TestCase):
    def test_round_trip_context_and_key_names(self):
        c = kms()
        key = c.create_key(Description="e2e")["KeyMetadata"]
        alias = f"alias/e2e-{uuid.uuid4().hex[:8]}"
        c.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        ctx = {"purpose": "test", "dept": "it"}
        for name in (key["KeyId"], key["Arn"], alias, f"arn:aws:kms:{SERVER.region}:{ACCOUNT}:{alias}"):
            blob = c.encrypt(KeyId=name, Plaintext=b"secret bytes", EncryptionContext=ctx)["CiphertextBlob"]
            out = c.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
            self.assertEqual(out["Plaintext"], b"secret bytes")
            self.assertEqual(out["KeyId"], key["Arn"])
        self.assertEqual(code_of(c.decrypt, CiphertextBlob=blob), "InvalidCiphertextException")
        self.assertEqual(code_of(c.decrypt, CiphertextBlob=blob, EncryptionContext={"purpose": "other", "dept": "it"}),
                         "InvalidCiphertextException")
        other = c.create_key()["KeyMetadata"]["KeyId"]
        self.assertEqual(code_of(c.decrypt, CiphertextBlob=blob, EncryptionContext=ctx, KeyId=other),
                         "IncorrectKeyException")
        re = c.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=ctx, DestinationKeyId=other)
        self.assertEqual(c.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"], b"secret bytes")
        self.assertEqual(code_of(c.encrypt, KeyId="alias/does-not-exist", Plaintext=b"x"), "NotFoundException")
        self.assertEqual(code_of(c.create_alias, AliasName="alias/aws/mine", TargetKeyId=other),
                         "InvalidAliasNameException")

    def test_disabled_key_and_deletion_window(self):
        c = kms()
        key = c.create_key()["KeyMetadata"]["KeyId"]
        blob = c.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]
        c.disable_key(KeyId=key)
        self.assertEqual(code_of(c.encrypt, KeyId=key, Plaintext=b"p"), "DisabledException")
        self.assertEqual(code_of(c.decrypt, CiphertextBlob=blob), "DisabledException")
        c.enable_key(KeyId=key)
        self.assertEqual(c.decrypt(CiphertextBlob=blob)["Plaintext"], b"p")
        self.assertEqual(code_of(c.schedule_key_deletion, KeyId=key, PendingWindowInDays=5), "ValidationException")
        r = c.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
        self.assertEqual(r["KeyState"], "PendingDeletion")
        self.assertEqual(c.describe_key(KeyId=key)["KeyMetadata"]["KeyState"], "PendingDeletion")
        self.assertEqual(code_of(c.decrypt, CiphertextBlob=blob), "KMSInvalidStateException")
        c.cancel_key_deletion(KeyId=key)
        self.assertEqual(c.describe_key(KeyId=key)["KeyMetadata"]["KeyState"], "Disabled")

    def test_data_key_encrypts_outside_kms(self):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        c = kms()
        key = c.create_key()["KeyMetadata"]["KeyId"]
        dk = c.generate_data_key(KeyId=key, KeySpec="AES_256", EncryptionContext={"file": "a.csv"})
        self.assertEqual(len(dk["Plaintext"]), 32)
        nonce = os.urandom(12)
        sealed = AESGCM(dk["Plaintext"]).encrypt(nonce, b"envelope-encrypted data", b"")
        # Later: only the encrypted data key is kept; KMS gives the key back.
        plain_key = c.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext={"file": "a.csv"})["Plaintext"]
        self.assertEqual(AESGCM(plain_key).decrypt(nonce, sealed, b""), b"envelope-encrypted data")
        without = c.generate_data_key_without_plaintext(KeyId=key, NumberOfBytes=16)
        self.assertNotIn("Plaintext", without)
        self.assertEqual(len(c.generate_random(NumberOfBytes=64)["Plaintext"]), 64)

    def test_rotation_keeps_old_ciphertexts(self):
        c = kms()
        key = c.create_key()["KeyMetadata"]["KeyId"]
        old = c.encrypt(KeyId=key, Plaintext=b"before")["CiphertextBlob"]
        if not hasattr(c, "rotate_key_on_demand"):  # botocore before 1.34.64 (Debian 12's) lacks these members
            c.enable_key_rotation(KeyId=key)
            self.assertTrue(c.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"])
            self.skipTest("this botocore has no RotateKeyOnDemand / RotationPeriodInDays")
        c.enable_key_rotation(KeyId=key, RotationPeriodInDays=180)
        status = c.get_key_rotation_status(KeyId=key)
        self.assertTrue(status["KeyRotationEnabled"])
        self.assertEqual(status["RotationPeriodInDays"], 180)
        c.rotate_key_on_demand(KeyId=key)
        new = c.encrypt(KeyId=key, Plaintext=b"after")["CiphertextBlob"]
        self.assertEqual(c.decrypt(CiphertextBlob=old)["Plaintext"], b"before")
        self.assertEqual(c.decrypt(CiphertextBlob=new)["Plaintext"], b"after")
        rotations = c.list_key_rotations(KeyId=key)["Rotations"]
        self.assertEqual([r["RotationType"] for r in rotations], ["ON_DEMAND"])

    def test_list_keys_pagination_and_tags(self):
        c = kms()
        created = [c.create_key(Tags=[{"TagKey": "suite", "TagValue": "e2e"}])["KeyMetadata"]["KeyId"]
                   for _ in range(3)]
        ids = set()
        for page in c.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}):
            ids.update(k["KeyId"] for k in page["Keys"])
        self.assertTrue(set(created) <= ids)
        # One of this test's keys: other tests leave keys whose policies do not let root tag them.
        some = created[0]
        c.tag_resource(KeyId=some, Tags=[{"TagKey": "x", "TagValue": "y"}])
        self.assertIn({"TagKey": "x", "TagValue": "y"}, c.list_resource_tags(KeyId=some)["Tags"])


class Authorization(unittest.TestCase):
    def test_grant_allows_a_user_without_policies_until_retired(self):
        c = kms()
        key = c.create_key()["KeyMetadata"]["KeyId"]
        arn, alice = new_user(f"alice-{uuid.uuid4().hex[:6]}")
        self.assertEqual(code_of(alice.encrypt, KeyId=key, Plaintext=b"x"), "AccessDeniedException")
        grant = c.create_grant(KeyId=key, GranteePrincipal=arn, RetiringPrincipal=arn,
                               Operations=["Encrypt", "Decrypt"],
                               Constraints={"EncryptionContextSubset": {"team": "a"}})
        blob = alice.encrypt(KeyId=key, Plaintext=b"granted", EncryptionContext={"team": "a"},
                             GrantTokens=[grant["GrantToken"]])["CiphertextBlob"]
        self.assertEqual(alice.decrypt(CiphertextBlob=blob, EncryptionContext={"team": "a"})["Plaintext"], b"granted")
        # The grant's constraint, and operations it does not name.
        self.assertEqual(code_of(alice.encrypt, KeyId=key, Plaintext=b"x", EncryptionContext={"team": "b"}),
                         "AccessDeniedException")
        self.assertEqual(code_of(alice.describe_key, KeyId=key), "AccessDeniedException")
        listed = c.list_grants(KeyId=key)["Grants"]
        self.assertEqual([g["GrantId"] for g in listed], [grant["GrantId"]])
        alice.retire_grant(GrantToken=grant["GrantToken"])
        self.assertEqual(code_of(alice.encrypt, KeyId=key, Plaintext=b"x", EncryptionContext={"team": "a"}),
                         "AccessDeniedException")
        self.assertEqual(c.list_grants(KeyId=key)["Grants"], [])

    def test_key_policy_decides_over_iam(self):
        c = kms()
        allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
        arn, bob = new_user(f"bob-{uuid.uuid4().hex[:6]}", allow_all)
        # Default key policy: delegates to IAM, so bob's IAM allow works.
        key = c.create_key()["KeyMetadata"]["KeyId"]
        bob.encrypt(KeyId=key, Plaintext=b"x")
        # A key policy that names only carol: bob's IAM allow is not enough (AWS: the key policy must allow).
        carol_arn, carol = new_user(f"carol-{uuid.uuid4().hex[:6]}")
        policy = {"Version": "2012-10-17", "Statement": [
            {"Sid": "root admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": ["kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:DescribeKey"], "Resource": "*"},
            {"Sid": "carol", "Effect": "Allow", "Principal": {"AWS": carol_arn},
             "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}
        locked = c.create_key(Policy=json.dumps(policy))["KeyMetadata"]["KeyId"]
        self.assertEqual(code_of(bob.encrypt, KeyId=locked, Plaintext=b"x"), "AccessDeniedException")
        blob = carol.encrypt(KeyId=locked, Plaintext=b"carol's")["CiphertextBlob"]
        self.assertEqual(carol.decrypt(CiphertextBlob=blob)["Plaintext"], b"carol's")
        # Root's own encrypt is not in the policy either.
        self.assertEqual(code_of(c.encrypt, KeyId=locked, Plaintext=b"x"), "AccessDeniedException")
        self.assertEqual(json.loads(c.get_key_policy(KeyId=locked, PolicyName="default")["Policy"]), policy)


class Asymmetric(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="cenote-e2e-kms-")
        self.addCleanup(shutil.rmtree, self.work, True)

    def openssl_verifies(self, public_der, message, signature, *extra):
        pub = os.path.join(self.work, "pub.der")
        msg = os.path.join(self.work, "msg")
        sig = os.path.join(self.work, "sig")
        for path, data in ((pub, public_der), (msg, message), (sig, signature)):
            with open(path, "wb") as f:
                f.write(data)
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-keyform", "DER", *extra,
                            "-signature", sig, msg], capture_output=True, text=True)
        return r.returncode == 0 and "Verified OK" in r.stdout

    def test_openssl_verifies_kms_signatures(self):
        if shutil.which("openssl") is None:
            self.skipTest("no openssl CLI")
        c = kms()
        for spec, alg, extra in (("ECC_NIST_P256", "ECDSA_SHA_256", ()),
                                 ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", ()),
                                 ("RSA_2048", "RSASSA_PSS_SHA_256",
                                  ("-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1"))):
            key = c.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            sig = c.sign(KeyId=key, Message=b"signed message", SigningAlgorithm=alg)["Signature"]
            public = c.get_public_key(KeyId=key)["PublicKey"]
            self.assertTrue(self.openssl_verifies(public, b"signed message", sig, *extra), f"{spec} {alg}")
            self.assertFalse(self.openssl_verifies(public, b"another message", sig, *extra))
            self.assertTrue(c.verify(KeyId=key, Message=b"signed message", Signature=sig,
                                     SigningAlgorithm=alg)["SignatureValid"])
            self.assertEqual(code_of(c.verify, KeyId=key, Message=b"x", Signature=sig, SigningAlgorithm=alg),
                             "KMSInvalidSignatureException")

    def test_rsa_encryption_hmac_and_key_pairs(self):
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        c = kms()
        key = c.create_key(KeySpec="RSA_3072", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
        public = serialization.load_der_public_key(c.get_public_key(KeyId=key)["PublicKey"])
        blob = public.encrypt(b"to kms", padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                                      label=None))
        out = c.decrypt(KeyId=key, CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
        self.assertEqual(out["Plaintext"], b"to kms")
        mac_key = c.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        mac = c.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
        self.assertTrue(c.verify_mac(KeyId=mac_key, Message=b"m", Mac=mac, MacAlgorithm="HMAC_SHA_256")["MacValid"])
        sym = c.create_key()["KeyMetadata"]["KeyId"]
        pair = c.generate_data_key_pair(KeyId=sym, KeyPairSpec="ECC_NIST_P384")
        private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
        self.assertEqual(private.public_key().public_bytes(serialization.Encoding.DER,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo),
                         pair["PublicKey"])
        self.assertEqual(c.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"],
                         pair["PrivateKeyPlaintext"])


class MultiRegionAndImport(unittest.TestCase):
    def test_replica_decrypts_primary_ciphertexts(self):
        east, west = kms(), kms("us-west-2")
        key = east.create_key(MultiRegion=True)["KeyMetadata"]
        self.assertTrue(key["KeyId"].startswith("mrk-"))
        replica = east.replicate_key(KeyId=key["KeyId"], ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]
        self.assertEqual(replica["Arn"], f"arn:aws:kms:us-west-2:{ACCOUNT}:key/{key['KeyId']}")
        blob = east.encrypt(KeyId=key["KeyId"], Plaintext=b"multi")["CiphertextBlob"]
        self.assertEqual(west.decrypt(CiphertextBlob=blob)["Plaintext"], b"multi")
        self.assertEqual(west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
                         ["MultiRegionKeyType"], "REPLICA")

    def test_import_key_material(self):
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        c = kms()
        key = c.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        params = c.get_parameters_for_import(KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                             WrappingKeySpec="RSA_2048")
        wrapping = serialization.load_der_public_key(params["PublicKey"])
        material = os.urandom(32)
        wrapped = wrapping.encrypt(material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                          algorithm=hashes.SHA256(), label=None))
        c.import_key_material(KeyId=key, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                              ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        self.assertEqual(c.describe_key(KeyId=key)["KeyMetadata"]["KeyState"], "Enabled")
        blob = c.encrypt(KeyId=key, Plaintext=b"imported")["CiphertextBlob"]
        self.assertEqual(c.decrypt(CiphertextBlob=blob)["Plaintext"], b"imported")


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
