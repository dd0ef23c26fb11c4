#!/usr/bin/env python3
"""Generates docs/iam-coverage.md from the pinned IAM model and the provider's operation table.

Usage: python3 src/services/iam/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/iam/iam_provider.cpp. The error table comes from src/services/iam/errors.hpp.
The unit test IamCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateUser": "Path, PermissionsBoundary, Tags (50, keys case-insensitive); UserId AIDA + 16",
    "GetUser": "no UserName: the calling IAM user; the root user as AWS answers it (account id, root ARN, no name)",
    "ListUsers": "PathPrefix, Marker / MaxItems (IsTruncated + Marker)",
    "UpdateUser": "NewUserName (group membership follows), NewPath",
    "DeleteUser": "DeleteConflict while the user has access keys, inline or attached policies or groups",
    "CreateAccessKey": "AKIA + 16, 40-character secret; at most 2 per user (LimitExceeded); the root user without "
                       "UserName gets a root access key (at most 2, besides the server's own root key)",
    "ListAccessKeys": "the root caller without UserName gets its root access keys made through the API (not the "
                      "server's own root key)",
    "UpdateAccessKey": "Active / Inactive: an inactive key no longer authenticates",
    "DeleteAccessKey": "the key stops authenticating at once",
    "GetAccessKeyLastUsed": "recorded by SigV4 on every authenticated request (in memory, written every 10 s and at "
                            "shutdown); N/A before the first use",
    "GetGroup": "members with Marker / MaxItems",
    "AddUserToGroup": "at most 10 groups per user",
    "UpdateGroup": "NewGroupName, NewPath",
    "DeleteGroup": "DeleteConflict while the group has members or policies",
    "CreateRole": "AssumeRolePolicyDocument parsed as a trust policy (2,048-character quota), MaxSessionDuration "
                  "3600..43200, PermissionsBoundary, Description, Tags; RoleId AROA + 16",
    "GetRole": "RoleLastUsed is empty",
    "DeleteRole": "DeleteConflict while the role is in an instance profile or has policies",
    "PutUserPolicy": "MalformedPolicyDocument in IAM's words; 2,048-character aggregate quota",
    "PutGroupPolicy": "5,120-character aggregate quota",
    "PutRolePolicy": "10,240-character aggregate quota",
    "GetUserPolicy": "PolicyDocument URL-encoded as IAM returns it",
    "GetGroupPolicy": "PolicyDocument URL-encoded",
    "GetRolePolicy": "PolicyDocument URL-encoded",
    "CreatePolicy": "6,144-character quota; PolicyId ANPA + 16; Tags",
    "GetPolicy": "customer-managed and AWS-managed (arn:aws:iam::aws:policy/...); AttachmentCount, "
                 "PermissionsBoundaryUsageCount, IsAttachable",
    "ListPolicies": "Scope All / AWS / Local, OnlyAttached, PathPrefix, PolicyUsageFilter (with OnlyAttached), "
                    "Marker / MaxItems",
    "DeletePolicy": "DeleteConflict while attached or used as a boundary, or with non-default versions; AWS-managed "
                    "policies are UnmodifiableEntity",
    "CreatePolicyVersion": "SetAsDefault; at most 5 versions (LimitExceeded)",
    "GetPolicyVersion": "Document URL-encoded",
    "DeletePolicyVersion": "not the default version (DeleteConflict)",
    "AttachUserPolicy": "customer- or AWS-managed; at most 10 per user",
    "AttachGroupPolicy": "at most 10 per group",
    "AttachRolePolicy": "at most 10 per role",
    "ListEntitiesForPolicy": "EntityFilter User / Group / Role, PathPrefix, PolicyUsageFilter",
    "AddRoleToInstanceProfile": "one role per instance profile (LimitExceeded)",
    "CreateOpenIDConnectProvider": "https URL (stored and answered without the scheme), ClientIDList, "
                                   "ThumbprintList (optional), Tags; offered to STS as iam::OidcProviders",
    "RemoveClientIDFromOpenIDConnectProvider": "idempotent, as AWS",
    "GetAccountAuthorizationDetails": "Filter User / Group / Role / LocalManagedPolicy / AWSManagedPolicy (the "
                                      "AWS-managed policies the account uses), Marker / MaxItems across the lists",
    "GetAccountSummary": "the SummaryMap keys AWS returns, with the default quotas",
    "CreateAccountAlias": "one alias per account, unique across the server's accounts",
    "GetAccountPasswordPolicy": "NoSuchEntity until UpdateAccountPasswordPolicy; the policy is stored, not enforced "
                                "(there are no login profiles)",
    "SimulatePrincipalPolicy": "iam::Evaluate over the user's (and its groups'), group's or role's policies plus "
                               "PolicyInputList, PermissionsBoundaryPolicyInputList, ResourcePolicy, ResourceOwner, "
                               "CallerArn, ContextEntries; EvalDecision allowed / explicitDeny / implicitDeny, "
                               "MatchedStatements (SourcePolicyId, SourcePolicyType; no positions), "
                               "MissingContextValues, PermissionsBoundaryDecisionDetail",
    "SimulateCustomPolicy": "as SimulatePrincipalPolicy over the given policies",
    "GetContextKeysForPrincipalPolicy": "condition keys of the policies (lower-cased)",
    "GetContextKeysForCustomPolicy": "condition keys of the policies (lower-cased)",
}

GAPS = [
    "Login profiles (passwords), MFA devices, SSH keys, signing and server certificates, service-specific "
    "credentials, SAML providers, service-linked roles, credential reports and access-advisor reports are not "
    "implemented.",
    "AWS-managed policies: the embedded catalog (src/services/iam/aws_managed_policies.json) holds AdministratorAccess, "
    "ReadOnlyAccess (v140), PowerUserAccess, IAMFullAccess, IAMReadOnlyAccess, AmazonS3FullAccess, AmazonS3ReadOnlyAccess, "
    "AmazonKinesisFullAccess, AmazonKinesisReadOnlyAccess, AmazonKinesisFirehoseFullAccess, AmazonAthenaFullAccess "
    "(v13) and service-role/AWSGlueServiceRole, with the documents and default version ids AWS publishes. "
    "AWSGlueConsoleFullAccess and AWSLakeFormationDataAdmin are not in it yet.",
    "RoleLastUsed is always empty; MatchedStatements carry no StartPosition / EndPosition.",
    "Without UserName, GetUser / CreateAccessKey / ListAccessKeys / UpdateAccessKey / DeleteAccessKey act on the "
    "calling user and are authorized on the caller's own ARN (a policy naming "
    "arn:aws:iam::*:user/${aws:username} matches them, as on AWS).",
]

MODEL = [
    "IAM is global: one namespace per account (the caller's), whatever region a request is signed for; ARNs have "
    "no region (`arn:aws:iam::123456789012:user/path/name`). Names of users, groups, roles, policies and instance "
    "profiles are unique case-insensitively and keep their case.",
    "Every change is written to the metadata store (component `iam`) before it is answered and is seen by the next "
    "request's authorization: the provider republishes an immutable snapshot of the account's compiled policies, "
    "roles, managed policies and access keys, from which the identity seams (iam::Directory, the credential source "
    "of IAM users' access keys, iam::OidcProviders) answer without touching the store.",
]


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Model", coverage_doc.bullets(MODEL)),
                coverage_doc.errors_section("iam")]
    coverage_doc.write("iam", "iam-2010-05-08", "IAM coverage", notes=NOTES, sections=sections)


if __name__ == "__main__":
    main()
