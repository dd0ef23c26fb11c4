#!/usr/bin/env python3
"""Generates docs/lambda-coverage.md from the pinned AWS Lambda model and the provider's table.

Usage: python3 src/services/lambda/gen_coverage.py   (from anywhere)
An operation is supported when it appears in the Operations() table of src/services/lambda/lambda_provider.cpp.
The unit test LambdaCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateFunction": "Zip packages (ZipFile, or S3Bucket/S3Key/S3ObjectVersion read from S3 as the caller); runtimes "
                      "python3.9-3.13 (the machine's python3), nodejs18.x-22.x (the machine's node), provided.al2 / "
                      "provided.al2023 (the zip's executable `bootstrap`); the Role must trust lambda.amazonaws.com "
                      "(assumed through STS at creation and at each cold start); State Pending in the answer, Active after",
    "Invoke": "RequestResponse (X-Amz-Function-Error, X-Amz-Executed-Version, LogType=Tail), Event (durable queue, "
              "202; retries 0-2 one and two minutes apart, MaximumEventAgeInSeconds, destinations SQS/SNS/Lambda/"
              "EventBridge), DryRun (204); 6 MB sync and 256 KB async payload limits; reserved and account "
              "concurrency (TooManyRequestsException with its Reason)",
    "AddPermission": "the function policy is the resource policy the authorizer evaluates (service principals with "
                     "AWS:SourceArn / AWS:SourceAccount, other accounts)",
    "CreateAlias": "RoutingConfig AdditionalVersionWeights route that share of invocations to the other version",
    "PublishLayerVersion": "layer zips are merged (in the function's order) and mounted at /opt",
    "CreateEventSourceMapping": "SQS (BatchSize up to 10000 within MaximumBatchingWindowInSeconds, "
                                "ReportBatchItemFailures, successful messages deleted, failed ones left to the queue's "
                                "visibility timeout and redrive policy) and Kinesis (TRIM_HORIZON / LATEST / "
                                "AT_TIMESTAMP, BatchSize, MaximumRetryAttempts, BisectBatchOnFunctionError, "
                                "checkpoints kept across restarts, OnFailure destination with AWS's KinesisBatchInfo "
                                "record), polled as the function's execution role; FilterCriteria is stored, not "
                                "applied; ParallelizationFactor is 1",
    "CreateFunctionUrlConfig": "AuthType NONE or AWS_IAM, Cors, InvokeMode BUFFERED or RESPONSE_STREAM (the body "
                               "chunked to the client as the handler writes it, status/headers/cookies from "
                               "awslambda.HttpResponseStream.from's prelude); for $LATEST or an alias (not a version); the URL is "
                               "https://<url-id>.lambda-url.<region>.on.aws/ as on AWS, served locally (see Function URLs)",
    "InvokeFunctionUrl": "not an API operation (Cenote's name for a request to a function URL, added to the model by "
                         "an overlay): the IAM action lambda:InvokeFunctionUrl; see Function URLs",
    "InvokeWithResponseStream": "RequestResponse and DryRun; a streaming handler's writes (awslambda.streamifyResponse "
                                "in Cenote's Node runtime or aws-lambda-ric; any runtime using the Runtime API's "
                                "streaming response mode) as PayloadChunk events as they arrive, a buffered handler's "
                                "response at its end (32 KB chunks), then InvokeComplete (ErrorCode/ErrorDetails for a "
                                "function error, also one raised after some chunks through the error trailers; "
                                "LogResult with LogType=Tail); up to 20 MiB streamed",
    "AddLayerVersionPermission": "Action lambda:GetLayerVersion for an account, its root ARN, or * with OrganizationId "
                                 "(aws:PrincipalOrgID); RevisionId checked; the layer version policy is the resource "
                                 "policy the authorizer evaluates for lambda:GetLayerVersion, which CreateFunction and "
                                 "UpdateFunctionConfiguration require on each of their Layers",
    "PutProvisionedConcurrencyConfig": "on a published version or an alias without weights ($LATEST is refused); the "
                                       "environments are started and initialized ahead of time "
                                       "(AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency), IN_PROGRESS until "
                                       "all are, then READY (FAILED with the init error); within the function's "
                                       "reserved concurrency, else the account's unreserved pool keeps 100; "
                                       "invocations of that version use them (REPORT without Init Duration)",
    "GetFunction": "Code.Location is an S3-style URL that is not served (the CLI only prints it)",
}

GAPS = [
    "Code signing, recursion and runtime management configs, InvokeAsync, container images and SnapStart are not "
    "supported (their operations answer UnknownOperationException).",
    "Response streaming: Invoke of a streaming handler answers its streamed bytes buffered (at most 20 MiB); the "
    "Python runtime has no streaming handlers (as on AWS).",
    "Provisioned environments' init logs (INIT_START, the init output, INIT_REPORT on failure) go to the environment's "
    "log stream when it starts; provisioned concurrency is re-initialized "
    "after a restart (IN_PROGRESS, then READY); Application Auto Scaling of provisioned concurrency is not supported.",
    "AWS's Node.js runtime interface client (aws-lambda-ric 3.3.0, built by scripts/bootstrap.sh into "
    ".deps/aws-lambda-ric) is tested on the Runtime API (tests/e2e/lambda/test_ric.py); the Python one (awslambdaric) "
    "is not installed.",
    "Other runtimes of the model (java, dotnet, ruby) are refused at CreateFunction.",
    "The Invoke authorization is on the unqualified function ARN (a policy on function:name:alias does not match).",
]

RUNTIME = [
    "Each execution environment is a sandboxed process (src/services/common/sandbox.hpp): user, mount, PID, IPC and UTS "
    "namespaces where the host allows (else a plain process, logged once), code read-only at /var/task, layers at "
    "/opt, a private 512 MB tmpfs /tmp, the data and scratch directories hidden, memory limited by a cgroup (v1 or v2) "
    "or RLIMIT_AS. A timeout kills the environment (Sandbox.Timedout, \"Task timed out after N.NN seconds\"); a "
    "memory-cgroup kill is Runtime.OutOfMemory.",
    "The Lambda Runtime API is served to each environment on a loopback port of its own; AWS_LAMBDA_RUNTIME_API is "
    "127.0.0.1:<port>, as AWS gives it. Environment variables as AWS sets them, the execution role's temporary "
    "credentials, and AWS_ENDPOINT_URL (CENOTE_ENDPOINT_URL, else the Host of the last Lambda request) so SDKs inside "
    "call Cenote.",
    "Warm environments are reused (one invocation at a time each) and reaped after CENOTE_LAMBDA_IDLE_SECONDS (300).",
    "START / END / REPORT lines as AWS prints them; sent to CloudWatch Logs (/aws/lambda/<name>, stream "
    "YYYY/MM/DD/[version]<hex>) as the execution role: failures are counted, never fail an invocation.",
]


URLS = [
    "A function URL is https://<url-id>.lambda-url.<region>.on.aws/ (url-id: 32 lowercase hex digits). Cenote serves "
    "it on its own endpoint for any request whose Host is that name (`curl -H 'Host: <url-id>.lambda-url.us-east-1."
    "on.aws' http://127.0.0.1:4566/path`, or `curl --resolve <url-id>.lambda-url.us-east-1.on.aws:4566:127.0.0.1 "
    "http://<url-id>.lambda-url.us-east-1.on.aws:4566/path`), and at http://<url-id>.lambda-url.<region>.localhost:"
    "<port>/ (curl and browsers resolve *.localhost to the loopback address). Plain HTTP unless Cenote serves TLS.",
    "The function gets AWS's payload format 2.0 event: version, routeKey, rawPath, rawQueryString, cookies (from the "
    "Cookie header), headers (lower-case, repeated ones joined by commas, plus x-forwarded-for/-proto and "
    "x-amzn-trace-id), queryStringParameters (decoded, repeated ones joined by commas), requestContext (accountId, "
    "apiId, domainName, domainPrefix, http{method, path, protocol, sourceIp, userAgent}, requestId, routeKey, stage, "
    "time, timeEpoch, and authorizer.iam for AWS_IAM), body (base64 with isBase64Encoded unless the content type is "
    "textual and the bytes UTF-8), isBase64Encoded.",
    "The result maps as on AWS: an object with statusCode is the response (headers, multiValueHeaders, cookies as "
    "Set-Cookie, body, isBase64Encoded; content-type application/json by default); any other JSON is a 200 "
    "application/json response whose body is the result as returned. A function error is 502 Internal Server Error, "
    "throttling 429; a body over 6 MB is 413.",
    "AuthType AWS_IAM: the request must be SigV4-signed for the service `lambda` (else 403 {\"Message\":\"Forbidden\"}) "
    "and allowed lambda:InvokeFunctionUrl (identity policies, the function policy with lambda:FunctionUrlAuthType "
    "AWS_IAM) by the authorizer. AuthType NONE: the function policy must allow lambda:InvokeFunctionUrl to Principal * "
    "(AddPermission --principal '*' --function-url-auth-type NONE), else 403, whatever `--iam-mode` says. AWS's newer "
    "additional lambda:InvokeFunction requirement for URL calls is not applied.",
    "Cors: preflights (OPTIONS with Origin and Access-Control-Request-Method) are answered from the config without "
    "invoking the function; actual requests get Access-Control-Allow-Origin / -Allow-Credentials / -Expose-Headers, "
    "which win over the function's own. Without a Cors config an OPTIONS request invokes the function.",
    "An alias's URL goes with the alias (DeleteAlias); an unknown URL id answers 403 Forbidden.",
]


def main():
    statuses = dict.fromkeys(coverage_doc.table_operations("src/services/lambda/lambda_provider.cpp"),
                             coverage_doc.SUPPORTED)
    statuses["InvokeFunctionUrl"] = coverage_doc.SUPPORTED
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Function URLs", coverage_doc.bullets(URLS)),
                ("Execution environments", RUNTIME),
                coverage_doc.errors_section("lambda")]
    coverage_doc.write("lambda", "lambda-2015-03-31", "AWS Lambda coverage", notes=NOTES, statuses=statuses,
                       sections=sections)


if __name__ == "__main__":
    main()
