// Invoker: how one service calls another in-process (DESIGN.md "Architecture": Firehose writing to S3,
// Athena reading tables and writing results, crawlers reading the lake, Firehose reading Kinesis).
//
// A call names the target service and operation, carries the operation's input document (and, where
// bytes must not be copied, a body stream) and a Caller: the principal the call is made as (the original
// caller's, or the role the calling resource is configured with) and the calling service. It passes the
// same stages as a call from the network except those that only make sense on the wire: no HTTP, no
// SigV4, no (de)serialization. So authorize decides on it and the after-hooks (audit, metrics, access
// log) record it exactly as they would a network call, marked with the calling service.
//
// Implemented by the request pipeline (aws/pipeline/pipeline.hpp). Thread-safe: any thread may call.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "aws/provider.hpp"
#include "common/result.hpp"
#include "iam/principal.hpp"

namespace cenote::aws {

struct Caller {
  iam::Principal principal;
  std::string region;      // the region the call is made in (the calling resource's)
  std::string invoked_by;  // the calling service's principal: "firehose.amazonaws.com"
  // The request that caused this call, when one did (for logs and audit correlation); "" otherwise.
  std::string parent_request_id;
  // A service principal acting for a resource (S3 log delivery for a logged bucket): the resource and its
  // account, as the aws:SourceArn and aws:SourceAccount condition keys. Empty otherwise.
  std::string source_arn;
  std::string source_account;
  // The call carries the original caller's own credentials (AWS's forward access sessions: Athena reading
  // the caller's tables, S3 asking KMS for an object's data key): the authorizer sets aws:CalledVia,
  // aws:ViaAWSService and kms:ViaService, and CloudTrail records the caller with invokedBy. False when the
  // service acts as itself or as a role it assumed (a delivery stream's role, a crawler's role).
  bool forwarded = false;
};

// An AWS service principal acting on its own (S3 delivering an event notification, SNS a message, CloudTrail
// a log file): `service_principal` ("sns.amazonaws.com") in `account` and `region`; when it acts for a
// resource, `source_arn` (and the account) become aws:SourceArn / aws:SourceAccount for the target's resource
// policy.
inline Caller ServiceCaller(std::string_view service_principal, const std::string& account,
                            const std::string& region, const std::string& source_arn = "") {
  Caller caller;
  caller.principal.type = iam::PrincipalType::kService;
  caller.principal.account_id = account;
  caller.principal.arn = std::string(service_principal);
  caller.principal.user_id = std::string(service_principal);
  caller.region = region;
  caller.invoked_by = std::string(service_principal);
  if (!source_arn.empty()) {
    caller.source_arn = source_arn;
    caller.source_account = account;
  }
  return caller;
}

class Invoker {
 public:
  virtual ~Invoker() = default;

  // Calls `operation` of `service` (endpoint prefix): authorize -> the provider -> after-hooks.
  // `input.params` is the operation's input document (model member names, provider.hpp conventions).
  // Errors are the provider's, AccessDenied from authorize, or the service's unsupported-operation
  // error; exceptions never escape.
  virtual Result<OperationOutput> Call(const Caller& caller, std::string_view service,
                                       std::string_view operation, OperationInput& input) = 0;

  // For work that no provider operation can carry as a document (a local file for the query engine,
  // several objects published in one transaction): authorizes `operation` of `service` on `params`
  // exactly as Call would, runs `perform` only if allowed, then runs the after-hooks with its outcome.
  // `perform` runs on the calling thread; its exceptions are caught and answered as Call answers them.
  virtual Status CallWith(const Caller& caller, std::string_view service, std::string_view operation,
                          const Document& params, const std::function<Status()>& perform) = 0;
};

}  // namespace cenote::aws
