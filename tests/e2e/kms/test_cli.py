"""KMS end to end with the AWS CLI v2: keys and aliases, encrypt/decrypt with an encryption context (and the
errors the CLI prints), disabled keys, grants, and a signature verified by `openssl pkeyutl` with the public key
the CLI fetched.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/kms/test_cli.py [-v]
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class Cli(harness.CliCase):
    def server(self):
        return SERVER

    def setUp(self):
        super().setUp()
        self.work = tempfile.mkdtemp(prefix="cenote-e2e-kms-cli-")
        self.addCleanup(shutil.rmtree, self.work, True)

    def path(self, name, data=None):
        p = os.path.join(self.work, name)
        if data is not None:
            with open(p, "wb") as f:
                f.write(data)
        return p

    def test_encrypt_decrypt_and_errors(self):
        key = self.aws_json("kms", "create-key", "--description", "cli")["KeyMetadata"]
        self.aws("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", key["KeyId"])
        aliases = self.aws_json("kms", "list-aliases", "--key-id", key["KeyId"])["Aliases"]
        self.assertEqual([a["AliasName"] for a in aliases], ["alias/cli"])
        plain = self.path("plain", b"cli secret\n")
        out = self.aws_json("kms", "encrypt", "--key-id", "alias/cli", "--plaintext", f"fileb://{plain}",
                            "--encryption-context", "app=cli,stage=test")
        self.assertEqual(out["KeyId"], key["Arn"])
        blob = self.path("blob", base64.b64decode(out["CiphertextBlob"]))
        dec = self.aws_json("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}",
                            "--encryption-context", "app=cli,stage=test")
        self.assertEqual(base64.b64decode(dec["Plaintext"]), b"cli secret\n")
        r = self.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InvalidCiphertextException", r.stderr)
        self.aws("kms", "disable-key", "--key-id", key["KeyId"])
        r = self.aws("kms", "encrypt", "--key-id", key["KeyId"], "--plaintext", f"fileb://{plain}", check=False)
        self.assertIn("DisabledException", r.stderr)
        self.aws("kms", "enable-key", "--key-id", key["KeyId"])
        r = self.aws("kms", "describe-key", "--key-id", "alias/nope", check=False)
        self.assertIn("NotFoundException", r.stderr)
        state = self.aws_json("kms", "schedule-key-deletion", "--key-id", key["KeyId"],
                              "--pending-window-in-days", "7")
        self.assertEqual(state["KeyState"], "PendingDeletion")

    def test_grants(self):
        key = self.aws_json("kms", "create-key")["KeyMetadata"]["KeyId"]
        grantee = "arn:aws:iam::000000000000:user/someone"
        g = self.aws_json("kms", "create-grant", "--key-id", key, "--grantee-principal", grantee,
                          "--operations", "Encrypt", "Decrypt", "--name", "g1")
        again = self.aws_json("kms", "create-grant", "--key-id", key, "--grantee-principal", grantee,
                              "--operations", "Encrypt", "Decrypt", "--name", "g1")
        self.assertEqual(g["GrantId"], again["GrantId"])
        grants = self.aws_json("kms", "list-grants", "--key-id", key)["Grants"]
        self.assertEqual(grants[0]["GranteePrincipal"], grantee)
        self.aws("kms", "revoke-grant", "--key-id", key, "--grant-id", g["GrantId"])
        self.assertEqual(self.aws_json("kms", "list-grants", "--key-id", key)["Grants"], [])

    def test_openssl_verifies_a_signature(self):
        if shutil.which("openssl") is None:
            self.skipTest("no openssl CLI")
        key = self.aws_json("kms", "create-key", "--key-spec", "ECC_NIST_P256", "--key-usage",
                            "SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        message = b"release v1.0 checksum"
        digest = self.path("digest", hashlib.sha256(message).digest())
        sig = self.aws_json("kms", "sign", "--key-id", key, "--message", f"fileb://{digest}", "--message-type",
                            "DIGEST", "--signing-algorithm", "ECDSA_SHA_256")
        sig_path = self.path("sig", base64.b64decode(sig["Signature"]))
        pub = self.aws_json("kms", "get-public-key", "--key-id", key)
        pub_path = self.path("pub.der", base64.b64decode(pub["PublicKey"]))
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", pub_path,
                            "-in", digest, "-sigfile", sig_path], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Signature Verified Successfully", r.stdout)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
