"""KMS durability and key custody: keys acknowledged before kill -9 still decrypt after restart; the data
directory holds neither data-key plaintexts nor key material; with --kms-root-key-file outside it, a copy of the
data directory with another root key decrypts nothing (the server refuses it), while the right root key opens it.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/kms/test_crash.py [-v]
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402


def kms(server):
    return harness.boto3_client(server, "kms")


def data_dir_contains(data_dir, needle):
    for root, _, files in os.walk(data_dir):
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as f:
                    if needle in f.read():
                        return os.path.join(root, name)
            except OSError:
                pass
    return None


class Crash(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="cenote-e2e-kms-crash-")
        self.addCleanup(shutil.rmtree, self.work, True)

    def test_kill9_after_create_and_encrypt(self):
        server = harness.Server(data_dir=os.path.join(self.work, "data"), keep_data_dir=True).start()
        try:
            c = kms(server)
            key = c.create_key()["KeyMetadata"]["KeyId"]
            c.create_alias(AliasName="alias/durable", TargetKeyId=key)
            blob = c.encrypt(KeyId="alias/durable", Plaintext=b"survives", EncryptionContext={"k": "v"})["CiphertextBlob"]
            dk = c.generate_data_key(KeyId=key, KeySpec="AES_256")
            server.restart(crash=True)
            c = kms(server)
            self.assertEqual(c.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"], b"survives")
            self.assertEqual(c.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"], dk["Plaintext"])
            self.assertEqual(c.describe_key(KeyId="alias/durable")["KeyMetadata"]["KeyId"], key)
        finally:
            server.close()

    def test_data_dir_holds_no_plaintext_key_material(self):
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        data = os.path.join(self.work, "data")
        server = harness.Server(data_dir=data, keep_data_dir=True).start()
        try:
            c = kms(server)
            dk = c.generate_data_key(KeyId=c.create_key()["KeyMetadata"]["KeyId"], KeySpec="AES_256")
            # Imported material: bytes we know, so we can look for them.
            key = c.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
            params = c.get_parameters_for_import(KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                 WrappingKeySpec="RSA_2048")
            material = os.urandom(32)
            wrapped = serialization.load_der_public_key(params["PublicKey"]).encrypt(
                material, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
            c.import_key_material(KeyId=key, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                                  ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
            c.encrypt(KeyId=key, Plaintext=b"x")
        finally:
            server.stop()
        self.assertIsNone(data_dir_contains(data, dk["Plaintext"]))
        self.assertIsNone(data_dir_contains(data, material))
        server.close()

    def test_root_key_file_outside_the_data_dir(self):
        data = os.path.join(self.work, "data")
        root_key = os.path.join(self.work, "secrets", "kms-root.key")
        server = harness.Server(data_dir=data, keep_data_dir=True,
                                extra_args=["--kms-root-key-file", root_key]).start()
        try:
            c = kms(server)
            key = c.create_key()["KeyMetadata"]["KeyId"]
            blob = c.encrypt(KeyId=key, Plaintext=b"custody")["CiphertextBlob"]
        finally:
            server.stop()
        self.assertTrue(os.path.exists(root_key))
        self.assertEqual(os.stat(root_key).st_mode & 0o777, 0o600)
        self.assertFalse(os.path.exists(os.path.join(data, "kms", "root.key")))
        with open(root_key, "rb") as f:
            self.assertIsNone(data_dir_contains(data, f.read()))
        # A copy of the data directory with another root key: refused, nothing decrypts.
        copy = os.path.join(self.work, "copy")
        shutil.copytree(data, copy)
        env = dict(os.environ, CENOTE_ROOT_ACCESS_KEY_ID=harness.ACCESS_KEY_ID,
                   CENOTE_ROOT_SECRET_ACCESS_KEY=harness.SECRET_ACCESS_KEY)
        r = subprocess.run([os.environ["CENOTE_BIN"], "serve", "--port", str(harness.free_port()), "--data-dir", copy,
                            "--kms-root-key-file", os.path.join(self.work, "other.key")],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("root key", r.stderr + r.stdout)
        # The copy with the right root key decrypts.
        again = harness.Server(data_dir=copy, keep_data_dir=True, extra_args=["--kms-root-key-file", root_key]).start()
        try:
            self.assertEqual(kms(again).decrypt(CiphertextBlob=blob)["Plaintext"], b"custody")
        finally:
            again.close()


if __name__ == "__main__":
    harness.main()
