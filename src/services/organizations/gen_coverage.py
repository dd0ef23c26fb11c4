#!/usr/bin/env python3
"""Generates docs/organizations-coverage.md from the pinned Organizations model and the provider's table.

Usage: python3 src/services/organizations/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/organizations/organizations_provider.cpp. The error table comes from
src/services/organizations/errors.hpp. The unit test OrganizationsCoverage.DocMatchesProvider fails when the
doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateOrganization": "FeatureSet ALL (default) or CONSOLIDATED_BILLING; only the data directory's root account "
                          "may create the one organization; AlreadyInOrganizationException",
    "DescribeOrganization": "management and member accounts; AWSOrganizationsNotInUseException outside",
    "DeleteOrganization": "only without member accounts (OrganizationNotEmptyException)",
    "CreateAccount": "new 12-digit account (counting up from a random base), `car-` request id; answers IN_PROGRESS, "
                     "then creates RoleName (default OrganizationAccountAccessRole) in the new account through IAM "
                     "(CreateRole trusting the management account, AttachRolePolicy AdministratorAccess) as the new "
                     "account's root, invoked by organizations.amazonaws.com; SUCCEEDED, or FAILED with "
                     "INTERNAL_FAILURE when IAM refuses, EMAIL_ALREADY_EXISTS for a used email; quota of 10 accounts",
    "DescribeCreateAccountStatus": "IN_PROGRESS / SUCCEEDED / FAILED with AccountId, CompletedTimestamp, FailureReason",
    "ListCreateAccountStatus": "States filter, newest first",
    "RemoveAccountFromOrganization": "the account becomes standalone (keeps existing); never the management account",
    "CloseAccount": "Status SUSPENDED at once (AWS passes through PENDING_CLOSURE); the account can no longer make "
                    "requests; never the management account",
    "CreateOrganizationalUnit": "`ou-<root>-<8>` ids, unique names per parent, 5 levels deep, 1,000 OUs",
    "DeleteOrganizationalUnit": "only when empty (OrganizationalUnitNotEmptyException)",
    "EnablePolicyType": "SERVICE_CONTROL_POLICY and RESOURCE_CONTROL_POLICY: attaches FullAWSAccess / "
                        "RCPFullAWSAccess to the root and every OU and account",
    "DisablePolicyType": "detaches every policy of the type (they stay)",
    "CreatePolicy": "SERVICE_CONTROL_POLICY and RESOURCE_CONTROL_POLICY, parsed by the IAM policy grammar of the "
                    "kind; 5,120 characters without whitespace (POLICY_CONTENT_LIMIT_EXCEEDED); 1,000 per type",
    "AttachPolicy": "the type must be enabled; at most 5 of a type per target",
    "DetachPolicy": "never the last policy of a type (MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED)",
    "DeletePolicy": "PolicyInUseException while attached; AWS-managed policies are immutable",
    "UpdatePolicy": "Name, Description, Content; AWS-managed policies are immutable (IMMUTABLE_POLICY)",
    "TagResource": "roots, OUs, accounts and customer policies; 50 tags; no `aws:` keys",
}

GAPS = [
    "Handshakes (InviteAccountToOrganization, AcceptHandshake, LeaveOrganization, EnableAllFeatures, ...), delegated "
    "administrators, trusted service access, resource policies and effective policies are not implemented.",
    "Policy types other than SCPs and RCPs (tag, backup, AI opt-out, chatbot, declarative policies) are refused "
    "(PolicyTypeNotAvailableForOrganizationException): their documents have grammars Cenote does not check.",
    "RCPs are stored, attached and listed; the authorizer consults SCPs only (iam::Organizations::ScpLayers).",
    "The management account's name and email are placeholders (`Management account`, "
    "`account-<id>@cenote.invalid`): the data directory's account has neither.",
    "CloseAccount's quotas (10% of accounts per 30 days) and the 90-day closure period are not modelled.",
    "Input checks follow the model's patterns and lengths with Organizations' own InvalidInputException reasons; "
    "the messages are Cenote's.",
]

ACCESS = [
    "Organizations is global: requests signed for any region reach the one organization.",
    "Only the management account may call the management operations; member accounts get `AccessDeniedException` "
    "(`DescribeOrganization` excepted), accounts outside the organization `AWSOrganizationsNotInUseException`.",
    "The authorizer gets each member account's SCP layers (root, each OU, the account), compiled, from an in-memory "
    "snapshot rebuilt on every change; the management account is never bound by SCPs. `aws:PrincipalOrgID` and "
    "`aws:PrincipalOrgPaths` (`o-.../r-.../ou-.../`) come from the same snapshot.",
]

STORAGE = [
    "One JSON document per object (organization and root, account, OU, policy with its attachments, create-account "
    "request) in the metadata store (component `organizations`); every change is one write transaction of the "
    "documents it changed. A create-account request a crash leaves IN_PROGRESS is finished by a background round "
    "(an existing role counts as created).",
]


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Access and SCPs", coverage_doc.bullets(ACCESS)),
                coverage_doc.errors_section("organizations"), ("Storage", STORAGE)]
    coverage_doc.write("organizations", "organizations-2016-11-28", "AWS Organizations coverage",
                       protocol_in_intro=True, notes=NOTES, sections=sections)


if __name__ == "__main__":
    main()
