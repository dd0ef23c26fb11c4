// The Organizations errors Cenote answers, with AWS's codes, statuses and messages, in one table so that the
// provider, the tests and docs/organizations-coverage.md use the same text. Templates take their arguments
// in order at each `{}` (services::MakeError). ConstraintViolationException and InvalidInputException also
// carry a `Reason` member (ConstraintViolation() / InvalidInput() in internal.hpp add it). Unsupported
// operations and internal failures are the request pipeline's to answer (aws/pipeline/service_errors.hpp).
#pragma once

#include <vector>

#include "services/common/error_spec.hpp"

namespace cenote::organizations {

using services::ErrorSpec;

namespace errors {
// Who may call.
inline constexpr ErrorSpec kNotInUse{"AWSOrganizationsNotInUseException",
                                     "Your account is not a member of an organization.", 400};
inline constexpr ErrorSpec kAccessDenied{"AccessDeniedException",
                                         "You don't have permissions to access this resource.", 400};
inline constexpr ErrorSpec kAlreadyInOrganization{"AlreadyInOrganizationException",
                                                  "The provided account is already a member of an "
                                                  "organization.",
                                                  400};
inline constexpr ErrorSpec kOrganizationNotEmpty{"OrganizationNotEmptyException",
                                                 "To delete an organization you must first remove all member "
                                                 "accounts (except the management account).",
                                                 400};
// Lookups.
inline constexpr ErrorSpec kAccountNotFound{"AccountNotFoundException",
                                            "You specified an account that doesn't exist.", 400};
inline constexpr ErrorSpec kCreateAccountStatusNotFound{
    "CreateAccountStatusNotFoundException",
    "We can't find an create account request with the CreateAccountRequestId that you specified.", 400};
inline constexpr ErrorSpec kOrganizationalUnitNotFound{"OrganizationalUnitNotFoundException",
                                                       "You specified an organizational unit that doesn't "
                                                       "exist.",
                                                       400};
inline constexpr ErrorSpec kParentNotFound{"ParentNotFoundException",
                                           "You specified a parent that doesn't exist.", 400};
inline constexpr ErrorSpec kSourceParentNotFound{"SourceParentNotFoundException",
                                                 "You specified a source parent that doesn't exist.", 400};
inline constexpr ErrorSpec kDestinationParentNotFound{
    "DestinationParentNotFoundException", "You specified a destination parent that doesn't exist.", 400};
inline constexpr ErrorSpec kChildNotFound{"ChildNotFoundException",
                                          "You specified a child that doesn't exist.", 400};
inline constexpr ErrorSpec kRootNotFound{"RootNotFoundException", "You specified a root that doesn't exist.",
                                         400};
inline constexpr ErrorSpec kPolicyNotFound{"PolicyNotFoundException",
                                           "You specified a policy that doesn't exist.", 400};
inline constexpr ErrorSpec kTargetNotFound{"TargetNotFoundException",
                                           "You specified a target that doesn't exist.", 400};
// State.
inline constexpr ErrorSpec kDuplicateAccount{
    "DuplicateAccountException", "That account is already present in the specified destination.", 400};
inline constexpr ErrorSpec kAccountAlreadyClosed{
    "AccountAlreadyClosedException", "You attempted to close an account that is already closed.", 400};
inline constexpr ErrorSpec kMasterCannotLeave{
    "MasterCannotLeaveOrganizationException",
    "You can't remove a management account from an organization. If "
    "you want the management account to become a member account in "
    "another organization, you must first delete the current "
    "organization of the management account.",
    400};
inline constexpr ErrorSpec kDuplicateOrganizationalUnit{"DuplicateOrganizationalUnitException",
                                                        "An OU with the same name already exists.", 400};
inline constexpr ErrorSpec kOrganizationalUnitNotEmpty{
    "OrganizationalUnitNotEmptyException",
    "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, "
    "and try the operation again.",
    400};
inline constexpr ErrorSpec kDuplicatePolicy{"DuplicatePolicyException",
                                            "A policy with the same name already exists.", 400};
inline constexpr ErrorSpec kDuplicatePolicyAttachment{
    "DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target.",
    400};
inline constexpr ErrorSpec kPolicyNotAttached{"PolicyNotAttachedException",
                                              "The policy isn't attached to the specified target in the "
                                              "specified root.",
                                              400};
inline constexpr ErrorSpec kPolicyInUse{"PolicyInUseException",
                                        "The policy is attached to one or more entities. You must detach it "
                                        "from all roots, OUs, and accounts before performing this operation.",
                                        400};
inline constexpr ErrorSpec kPolicyTypeAlreadyEnabled{"PolicyTypeAlreadyEnabledException",
                                                     "The specified policy type is already enabled in the "
                                                     "specified root.",
                                                     400};
inline constexpr ErrorSpec kPolicyTypeNotEnabled{"PolicyTypeNotEnabledException",
                                                 "This operation can be performed only for enabled policy "
                                                 "types.",
                                                 400};
inline constexpr ErrorSpec kPolicyTypeNotAvailable{
    "PolicyTypeNotAvailableForOrganizationException",
    "You can't use the specified policy type with the feature set currently enabled for this organization.",
    400};
inline constexpr ErrorSpec kMalformedPolicyDocument{
    "MalformedPolicyDocumentException",
    "The provided policy document doesn't meet the requirements "
    "of the specified policy type. {}",
    400};
// Input and limits: the message is the Reason's (ConstraintViolation() / InvalidInput() add the member).
inline constexpr ErrorSpec kConstraintViolation{"ConstraintViolationException", "{}", 400};
inline constexpr ErrorSpec kInvalidInput{"InvalidInputException", "{}", 400};
}  // namespace errors

// Every entry above, in declaration order.
const std::vector<ErrorSpec>& ErrorTable();

}  // namespace cenote::organizations
