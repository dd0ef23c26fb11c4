// ActionMap: which IAM actions, on which resource ARNs, with which condition keys, an operation's input
// requires (the Service Authorization Reference of each service, and S3's "Required permissions for
// Amazon S3 API operations"), kept as data next to each service (src/services/<service>/iam_actions.json,
// embedded into the binary at build time) and applied to a parsed input document here.
//
// The data file (one per service):
//
//   {
//     "service": "s3",                        // the endpoint prefix Resolve is called with; every action
//                                             // in the file is "<service>:<Name>"
//     "unsigned": "anonymous",                // optional; see UnsignedRequests
//     "resources": {                          // named resource templates (optional)
//       "object": "arn:${Partition}:s3:::${Bucket}/${Key}",
//       "stream": ["${StreamARN}", "arn:${Partition}:kinesis:${Region}:${Account}:stream/${StreamName}"]
//     },                                      // a list is alternatives: the first whose members are present
//     "operations": {
//       "<Operation>": {                      // the model's operation name
//         "conditionKeys": {"s3:prefix": "Prefix"},   // condition key -> input value (below); optional
//         "authorizations": [                 // all are required, in order
//           {"action": "s3:GetObject", "resource": "object", "when": "!VersionId"},
//           {"action": "glue:GetTable", "resource": ["catalog", "database", "table"]},
//           {"action": "s3:DeleteObject", "forEach": "Delete.Objects", "as": "Object",
//            "resource": "arn:${Partition}:s3:::${Bucket}/${Object.Key}"},
//           {"action": "kinesis:ListStreams", "resource": "*"}
//         ],
//         "authorizer": "evaluate",           // optional; see AuthorizerMode
//         "note": "why the mapping is what it is, where it is not obvious"   // optional
//       }
//     }
//   }
//
// - "resource": a named template, an inline template, "*" (the action has no resource type), or a list of
//   those: one authorization per element (Glue's GetTable needs the catalog, database and table ARNs).
// - Values (in templates as ${...}, in "when", in "conditionKeys", in "forEach"):
//     Partition ("aws"), Region and Account (the request's), CallerArn (the caller's own ARN: an IAM user's
//       with its path, a root user's; absent when the caller gave none): the context;
//     a dotted input member path (Delete.Objects, TableInput.Name), or a forEach variable (Object.Key);
//     A|B|'literal': the first present of alternatives (${CatalogId|Account}, ${WorkGroup|'primary'});
//     Name(arg, ...): a transform of members. Built in: CopySourceBucket, CopySourceKey,
//       CopySourceVersionId (S3's x-amz-copy-source, "bucket/key?versionId=v", URL-encoded); RoleArn (a
//       role's ARN, or its name (with an optional path) made this account's role ARN). Any other name
//       is a lookup the caller supplies (state the input alone does not carry: the workgroup of an Athena
//       query execution, the stream of a Kinesis shard iterator); without one, resolution fails.
//   A value is present when the member exists and is not null, "", false or an empty list.
// - "when": a value that must be present ("ACL|GrantRead": any of them), "!value" (must be absent),
//   "value=text" (equal), or a list of those (all must hold). Authorizations whose condition fails are left
//   out.
// - "forEach"/"as": one authorization per element of a list member, with the element bound to the "as"
//   name (DeleteObjects: one s3:DeleteObject per key). A missing or empty list is an error, unless the
//   authorization's "when" names the list itself ("forEach": "logGroupNames", "when": "logGroupNames"): then
//   an absent list skips it.
// - "conditionKeys" (per operation, and optionally per authorization): a key ending in "/" or ":" expands
//   per entry of a map or a [{Key, Value}] list (aws:RequestTag/ -> aws:RequestTag/team = "data";
//   kms:EncryptionContext: -> kms:EncryptionContext:dept = "it"); other keys take a string, number or boolean
//   as one value, a list of strings or a map's or [{Key}] list's keys as several. Lists may spell their
//   entries {TagKey, TagValue} (KMS). Absent values set no key.
//
// - Every action is the map's service's, except `iam:PassRole`: an operation that hands a role to the
//   service (a rule target's RoleArn, a crawler's Role) also needs iam:PassRole on that role, with
//   iam:PassedToService = "<service>.amazonaws.com", as AWS checks it. The authorizer evaluates it against
//   the caller's policies only (a role has no resource policy for it; its trust policy is checked when the
//   service assumes it).
//
// A template whose member is absent (and has no alternative) is an error naming the operation, the action
// and the member: never a partial or guessed ARN.
//
// Thread safety: the embedded maps are parsed once, on first use, and immutable afterwards; Find and
// Resolve may be called concurrently from any thread.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "common/result.hpp"
#include "iam/context_keys.hpp"

namespace cenote::iam {

// One evaluator request's worth of what an operation needs: hand action, resource and context to
// iam::Evaluate (after adding the principal's and the request's global keys to `context`).
struct RequiredAuthorization {
  std::string action;    // "s3:GetObject"
  std::string resource;  // "arn:aws:s3:::bucket/key", or "*"
  ContextKeys context;   // the operation's condition keys from its input (s3:prefix, aws:RequestTag/k, ...)
};

// Answers a named lookup (see the header comment) with the value it stands for, or the error to refuse the
// request with (an invalid shard iterator, an unknown query execution id).
using ActionLookup =
    std::function<Result<std::string>(std::string_view name, std::span<const std::string> args)>;

// What the service does with requests that carry no credentials (the map's "unsigned" field).
enum class UnsignedRequests {
  kRefused,      // absent (the default): authentication refuses them (MissingAuthenticationToken)
  kAnonymous,    // "anonymous": they are the anonymous principal, evaluated like any other (S3's public data)
  kHandlerOnly,  // "handler": only operations whose "authorizer" is "handler" accept them
                 // (STS's AssumeRoleWithWebIdentity); any other is refused as unauthenticated
};

// How the authorizer decides an operation (the operation's "authorizer" field).
enum class AuthorizerMode {
  kEvaluate,     // "evaluate" (the default): every authorization is evaluated
  kAllowSigned,  // "allow-signed": every authenticated caller, whatever its policies (sts:GetCallerIdentity)
  kHandler,      // "handler": the operation decides itself and accepts unsigned calls
                 // (sts:AssumeRoleWithWebIdentity evaluates the role's trust policy for the token)
  kEvaluateSigned,  // "evaluate-signed": signed calls are evaluated; unsigned ones are the handler's to
                    // decide (sns:Unsubscribe and sns:ConfirmSubscription, which AWS serves from links in
                    // messages)
};

class ActionMap {
 public:
  ~ActionMap();
  ActionMap(ActionMap&&) noexcept;
  ActionMap& operator=(ActionMap&&) noexcept;

  // Parses and validates a data file (the schema above): unknown fields, malformed templates, actions of
  // another service and unknown named resources are errors.
  static Result<ActionMap> Parse(std::string_view json);

  // The embedded map of a service by endpoint prefix ("s3", "glue"), or nullptr when there is none.
  // An embedded map that fails to parse is left out (nullptr here) and named in EmbeddedErrors(); the unit
  // tests require that list to be empty.
  static const ActionMap* Find(std::string_view service);
  // The endpoint prefixes of every embedded map, sorted.
  static std::vector<std::string_view> Services();
  static const std::vector<std::string>& EmbeddedErrors();

  std::string_view service() const;
  // The mapped operation names, sorted.
  std::vector<std::string_view> Operations() const;
  UnsignedRequests Unsigned() const;
  // How the authorizer decides `operation` (kEvaluate for operations the map does not name).
  AuthorizerMode Mode(std::string_view operation) const;
  // The actions an operation may require (every authorization, whatever its condition), or empty.
  std::vector<std::string_view> Actions(std::string_view operation) const;

  // The authorizations `operation` requires for the input `params` (an object), in the map's order.
  // Errors: the operation is not mapped (AccessDenied, 403: nothing runs unmapped); a template's member is
  // absent, a forEach list is empty or CopySource names no object (InvalidRequest / InvalidArgument, 400);
  // a lookup is needed but `lookup` is empty (InternalError, 500: the caller's wiring is incomplete); or the
  // lookup's own error.
  Result<std::vector<RequiredAuthorization>> Resolve(std::string_view operation,
                                                     const boost::json::value& params,
                                                     std::string_view region, std::string_view account,
                                                     const ActionLookup& lookup = {},
                                                     std::string_view caller_arn = {}) const;

 private:
  struct Impl;
  explicit ActionMap(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ActionMap::Find(service)->Resolve(...), or an error when the service has no map.
Result<std::vector<RequiredAuthorization>> Resolve(std::string_view service, std::string_view operation,
                                                   const boost::json::value& params, std::string_view region,
                                                   std::string_view account, const ActionLookup& lookup = {},
                                                   std::string_view caller_arn = {});

}  // namespace cenote::iam
