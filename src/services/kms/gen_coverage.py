#!/usr/bin/env python3
"""Generates docs/kms-coverage.md from the pinned KMS model and the provider's operation table.

Usage: python3 src/services/kms/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/kms/kms_provider.cpp. The error table comes from src/services/kms/errors.hpp.
The unit test KmsCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateKey": "KeySpec SYMMETRIC_DEFAULT (AES-256-GCM), RSA_2048/3072/4096 (ENCRYPT_DECRYPT or SIGN_VERIFY), "
                 "ECC_NIST_P256/P384/P521 and ECC_SECG_P256K1 (SIGN_VERIFY), HMAC_224/256/384/512; Origin AWS_KMS or "
                 "EXTERNAL (symmetric); MultiRegion (mrk- ids); Policy (default: AWS's key-default-1), Tags, Description",
    "DescribeKey": "key id, key ARN, alias name or alias ARN; MultiRegionConfiguration, DeletionDate, ValidTo; a "
                   "predefined alias (alias/aws/s3, ...) creates its AWS managed key",
    "ListKeys": "Limit (1-1000, default 100), Marker, Truncated",
    "Encrypt": "symmetric: Cenote's authenticated blob (key id + material version; encryption context is the GCM "
               "AAD); RSA: RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256; 4096-byte plaintext limit; DryRun",
    "Decrypt": "KeyId optional for symmetric ciphertexts (the blob names the key); IncorrectKeyException when KeyId "
               "names another key; wrong or missing context: InvalidCiphertextException; old material versions after "
               "rotation",
    "ReEncrypt": "kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination",
    "GenerateDataKey": "KeySpec AES_128 / AES_256 or NumberOfBytes 1-1024",
    "GenerateDataKeyPair": "RSA and ECC key pairs: PKCS#8 DER private key (plaintext and encrypted), DER "
                           "SubjectPublicKeyInfo public key",
    "GenerateRandom": "1-1024 bytes from OpenSSL's RAND_bytes",
    "Sign": "MessageType RAW (hashed) or DIGEST; RSASSA_PSS_SHA_* (salt = digest length), RSASSA_PKCS1_V1_5_SHA_*, "
            "ECDSA_SHA_* (DER signatures, as OpenSSL verifies them)",
    "Verify": "KMSInvalidSignatureException when the signature does not verify",
    "GetPublicKey": "DER SubjectPublicKeyInfo (openssl pkey -pubin -inform DER reads it)",
    "GenerateMac": "HMAC_SHA_224/256/384/512 matching the key spec",
    "VerifyMac": "KMSInvalidMacException when the MAC does not match (constant-time compare)",
    "CreateAlias": "alias/ prefix, 1-256 of [a-zA-Z0-9:/_-], alias/aws/ reserved; one key per alias, same account "
                   "and Region",
    "UpdateAlias": "the new key must have the same type and key usage",
    "ListAliases": "KeyId filter, Limit, Marker (customer aliases only; no AWS managed aliases are listed)",
    "EnableKey": "Disabled -> Enabled",
    "DisableKey": "cryptographic operations then answer DisabledException",
    "ScheduleKeyDeletion": "PendingWindowInDays 7-30 (default 30); PendingDeletion; the key and its aliases are "
                           "deleted when the date passes (background task, every minute)",
    "CancelKeyDeletion": "the key returns Disabled, as on AWS",
    "CreateGrant": "Operations, GranteePrincipal, RetiringPrincipal, Name (idempotent), Constraints "
                   "EncryptionContextSubset / EncryptionContextEquals; effective at once (grant tokens accepted)",
    "ListGrants": "GrantId, GranteePrincipal filters; Limit, Marker",
    "RetireGrant": "by GrantToken or KeyId + GrantId; by the retiring principal, the grantee (RetireGrant "
                   "operation) or the account's root user",
    "RevokeGrant": "kms:RevokeGrant on the key",
    "GetKeyPolicy": "PolicyName default",
    "PutKeyPolicy": "validated by the IAM policy parser (MalformedPolicyDocumentException), 32 KiB; the policy "
                    "lockout safety check unless BypassPolicyLockoutSafetyCheck",
    "EnableKeyRotation": "RotationPeriodInDays 90-2560 (default 365); symmetric keys with KMS material",
    "GetKeyRotationStatus": "KeyRotationEnabled, RotationPeriodInDays, NextRotationDate",
    "RotateKeyOnDemand": "immediate; at most 10 on-demand rotations per key",
    "ListKeyRotations": "AUTOMATIC and ON_DEMAND rotations with their dates",
    "ReplicateKey": "the replica has the primary's id and material: ciphertexts of one Region decrypt in the other",
    "GetParametersForImport": "WrappingAlgorithm RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256, WrappingKeySpec RSA_2048/"
                              "3072/4096; parameters valid 24 hours, for one import",
    "ImportKeyMaterial": "256-bit symmetric material; re-import must be the same material "
                         "(IncorrectKeyMaterialException); ExpirationModel and ValidTo (material deleted when due)",
    "DeleteImportedKeyMaterial": "the key goes PendingImport",
}

GAPS = [
    "Custom key stores (CloudHSM, external key stores), DeriveSharedSecret (KEY_AGREEMENT keys), SM2 keys and "
    "UpdatePrimaryRegion are not implemented; `Recipient` (Nitro Enclaves attestation) answers "
    "UnsupportedOperationException.",
    "The policy lockout safety check counts the caller's IAM policies as allowing: it refuses only a key policy "
    "that neither names the caller nor allows its account.",
    "kms:RetireGrant in a key policy or IAM policy does not allow retiring a grant: only the grant's retiring "
    "principal, its grantee (with the RetireGrant operation) and the account's root user may.",
    "Scheduling the deletion of a multi-Region primary key with replicas answers KMSInvalidStateException (AWS "
    "moves it to PendingReplicaDeletion).",
    "Rotation and import of asymmetric, HMAC and imported (EXTERNAL) keys are not supported.",
]

MANAGED = [
    "AWS managed keys (`alias/aws/s3`, `alias/aws/kinesis`, ... for the services AWS has them) are created on first "
    "use: DescribeKey, Encrypt, GenerateDataKey*, ReEncrypt or the authorizer's resolution of the alias. Their key "
    "policy is AWS's: any principal of the account may use the key through its service (`kms:ViaService`, "
    "`kms:CallerAccount`), the account may read its metadata; they rotate yearly and cannot be disabled, deleted, "
    "re-aliased or have their policy, description or tags changed (UnsupportedOperationException).",
    "ListAliases lists the AWS aliases whose keys exist, not every predefined one.",
]

CRYPTO = [
    "Key material is random (OpenSSL's RAND_bytes) or generated by OpenSSL (RSA, EC), and is stored sealed with "
    "AES-256-GCM under the root key (docs/kms.md).",
    "Symmetric ciphertext blob: version byte, account, key id, material version, 12-byte IV, AES-256-GCM ciphertext "
    "and tag; the header and the canonically encoded encryption context are the GCM additional data.",
]


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("AWS managed keys", coverage_doc.bullets(MANAGED)),
                ("Cryptography", coverage_doc.bullets(CRYPTO)),
                coverage_doc.errors_section("kms")]
    coverage_doc.write("kms", "kms-2014-11-01", "KMS coverage", protocol_in_intro=True, notes=NOTES,
                       sections=sections)


if __name__ == "__main__":
    main()
