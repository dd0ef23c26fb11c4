#!/usr/bin/env python3
"""Generates docs/sts-coverage.md from the pinned STS model and the provider's operation table.

Usage: python3 src/services/sts/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/sts/sts_provider.cpp. The error table comes from src/services/sts/errors.hpp.
The unit test StsCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "AssumeRole": "RoleArn must name an IAM role (else AccessDenied, as AWS answers for a role that does not exist); "
                  "the authorizer evaluates sts:AssumeRole (and sts:TagSession, sts:SetSourceIdentity) against the "
                  "role's trust policy; DurationSeconds 900..MaxSessionDuration, at most 3600 for role chaining; "
                  "Policy (2,048 characters) and PolicyArns (10) as session policies; Tags (50), TransitiveTagKeys, "
                  "inherited transitive tags; ExternalId; SourceIdentity (kept along a chain); PackedPolicySize",
    "AssumeRoleWithWebIdentity": "OpenID Connect ID tokens signed RS256/384/512 or ES256/384/512, verified against the "
                                 "IAM OIDC provider of the role's account (iss, aud among its client ids, exp, nbf); "
                                 "the handler evaluates the trust policy for Principal Federated and the token's "
                                 "claims as <provider>:sub/:aud/:oaud/:amr/:azp; session tags and source identity "
                                 "from the token's https://aws.amazon.com claims",
    "DecodeAuthorizationMessage": "decodes the messages the authorizer encodes (AES-256-GCM under a key in the data "
                                  "directory); anything else is InvalidAuthorizationMessageException",
    "GetCallerIdentity": "Account, Arn, UserId for root, IAM users, role sessions and federated users, as AWS formats "
                         "them; never denied",
    "GetFederationToken": "IAM users (and root, at most an hour); Name 2..32; a session without session policies has no "
                          "permissions; federated-user ARN and FederatedUserId <account>:<name>; Tags",
    "GetSessionToken": "IAM users (900..129600 s, default 43200) and root (at most 3600 s); same identity and "
                       "permissions; refused with session credentials",
}

GAPS = [
    "AssumeRoleWithSAML, AssumeRoot and GetAccessKeyInfo are not implemented (InvalidAction).",
    "MFA: no MFA device can be registered, so SerialNumber/TokenCode always fail with AccessDenied "
    "(\"MultiFactorAuthentication failed with invalid MFA one time pass code.\"), and aws:MultiFactorAuthPresent is "
    "never true.",
    "RegionDisabledException is never answered: STS is active in every region.",
    "AssumeRoleWithWebIdentity never reaches the internet: a provider's keys come from a local file, a file:// URL, or "
    "an http:// URL on the loopback (its issuer's OpenID configuration when the issuer itself is on the loopback). "
    "OAuth 2.0 access tokens (ProviderId) are not accepted.",
    "PackedPolicySize is Cenote's own measure (deflated session policies, ARNs and tags against 2,048 bytes); AWS "
    "does not document its packing.",
]

CREDENTIALS = [
    "Access key ids are `ASIA` + 16 characters, secrets 40 characters, session tokens opaque (344 characters). A "
    "session is committed to the metadata store (component `sts`) before the call answers, so it survives a restart "
    "and kill -9; SigV4 finds it in memory until it expires, then answers ExpiredToken for a day, then forgets it "
    "(pruned every minute).",
]


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Credentials", CREDENTIALS),
                coverage_doc.errors_section("sts")]
    coverage_doc.write("sts", "sts-2011-06-15", "AWS STS coverage", notes=NOTES, sections=sections)


if __name__ == "__main__":
    main()
