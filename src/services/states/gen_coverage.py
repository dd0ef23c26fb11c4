#!/usr/bin/env python3
"""Generates docs/states-coverage.md from the pinned Step Functions model and the provider's table.

Usage: python3 src/services/states/gen_coverage.py   (from anywhere)
An operation is supported when it appears in the Operations() table of src/services/states/states_provider.cpp.
The unit test StatesCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateStateMachine": "STANDARD and EXPRESS; the definition is validated as AWS does (InvalidDefinition with "
                          "SCHEMA_VALIDATION_FAILED / MISSING_TRANSITION_TARGET diagnostics and their locations); "
                          "roleArn must be an IAM role that trusts states.amazonaws.com (AccessDeniedException "
                          "otherwise); loggingConfiguration, tracingConfiguration and tags are stored; publish "
                          "creates version 1; idempotent for the same definition, role and type",
    "StartExecution": "a state machine, version or alias ARN (alias routing by weight); the same name and input "
                      "as a running execution answers it again, otherwise ExecutionAlreadyExists",
    "StartSyncExecution": "EXPRESS only (StateMachineTypeNotSupported otherwise); runs in memory on the request "
                          "(at most five minutes), no history, as on AWS",
    "GetExecutionHistory": "AWS's event types and *EventDetails; ids, previousEventId, reverseOrder, "
                           "includeExecutionData, paging",
    "RedriveExecution": "restarts the state that failed (a Map or Parallel state runs again whole); 14 days",
    "TestState": "one state with its Next targets stubbed; Task states call their integration as roleArn; "
                 "status SUCCEEDED / FAILED / RETRIABLE / CAUGHT_ERROR; inspectionData at DEBUG and TRACE",
    "ListExecutions": "statusFilter, redriveFilter, version/alias ARNs, paging; mapRunArn lists a Map Run's child "
                      "executions (with mapRunArn and itemCount)",
    "DescribeMapRun": "status, maxConcurrency, toleratedFailureCount/Percentage, itemCounts and executionCounts "
                      "(pending, running, succeeded, failed, timedOut, aborted, total, resultsWritten), redriveCount",
    "ListMapRuns": "the Map Runs of an execution, newest first, paging",
    "UpdateMapRun": "maxConcurrency and tolerated failures of a running Map Run take effect at its next advance",
    "SendTaskSuccess": "the token names its execution; an outcome is committed and consumed by the execution's "
                       "next transition; TaskTimedOut once the task is no longer awaited",
    "TagResource": "state machines and activities",
    "CreateActivity": "idempotent by name (the existing activity is answered); tags; 10,000 per account and region",
    "GetActivityTask": "the oldest queued task of the activity whose execution still awaits it (durable queue); "
                       "long poll up to 60 s, then an answer without taskToken; the worker is recorded as "
                       "ActivityStarted (workerName) and starts the heartbeat clock",
    "DeleteActivity": "queued tasks go with it; deleting a missing activity succeeds, as on AWS",
    "DescribeExecution": "includedData METADATA_ONLY leaves input and output out",
}

LANGUAGE = [
    "States: Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map (inline; `ItemProcessor` or `Iterator`, "
    "`ItemsPath`, `ItemSelector`/`Parameters` with `$$.Map.Item.Index`/`Value`, `MaxConcurrency`, "
    "`ToleratedFailureCount`/`Percentage`); Distributed Map's `ItemReader` (arn:aws:states:::s3:listObjectsV2 over "
    "every page, arn:aws:states:::s3:getObject with ReaderConfig InputType JSON, JSONL or CSV with FIRST_ROW or "
    "GIVEN headers, MaxItems) and `ItemBatcher` (MaxItemsPerBatch(Path), MaxInputBytesPerBatch(Path) up to 256 KiB, "
    "BatchInput; ItemSelector shapes each item before it is batched).",
    "Distributed Map (ItemProcessor.ProcessorConfig Mode DISTRIBUTED) starts a Map Run "
    "(arn:aws:states:<region>:<account>:mapRun:<machine>/<Label or state name>:<id>) whose iterations are child "
    "executions (ExecutionType STANDARD or EXPRESS) of the ItemProcessor as the state machine <machine>/<label>, "
    "at most MaxConcurrency(Path) at a time, the failures counted against ToleratedFailureCount/Percentage(Path) "
    "(none tolerated by default; exceeded: States.ExceedToleratedFailureThreshold and running children "
    "aborted); the parent's history has MapRunStarted / MapRunSucceeded / MapRunFailed / MapRunAborted; "
    "stopping the parent aborts the Map Run and its children; redriving the parent redrives its failed Map Run "
    "(MapRunRedriven: failed Standard children are redriven in place, Express ones run again as new children). `ResultWriter` (arn:aws:states:::s3:putObject "
    "with Bucket and Prefix) writes <Prefix>/<id>/manifest.json and SUCCEEDED_0.json / FAILED_0.json / "
    "PENDING_0.json as the state machine's role (past 5 GB a status's results go on in SUCCEEDED_1.json, "
    "SUCCEEDED_2.json ..., every file listed in the manifest), and the Map's result is {MapRunArn, "
    "ResultWriterDetails}; "
    "its `WriterConfig` formats the results: Transformation NONE (each child with its metadata, the default "
    "when exporting), COMPACT (the outputs only, the default otherwise) or FLATTEN (array outputs spread into "
    "the list; failed children stay as NONE writes them), OutputType JSON (arrays) or JSONL (a value per line, "
    "files named *_0.jsonl); WriterConfig alone formats the Map's output without an export. "
    "Express workflows run with StartSyncExecution and TestState run a Distributed Map's iterations inline.",
    "JSONPath processing: `InputPath`, `Parameters` (`key.$` paths, context object `$$.` and intrinsics), "
    "`ResultSelector`, `ResultPath`, `OutputPath`; the context object's Execution, State, StateMachine, Task.Token "
    "and Map.Item.",
    "Paths: `$`, `.name`, `['name']`, `[n]`, `[-n]`, `[*]`, `.*`, `[a,b]`, `[start:end]`, `..name`, filters "
    "`[?(@.a op literal)]`.",
    "Intrinsic functions: States.Format, StringToJson, JsonToString, Array, ArrayPartition, ArrayContains, "
    "ArrayRange, ArrayGetItem, ArrayLength, ArrayUnique, Base64Encode, Base64Decode, Hash (MD5, SHA-1, SHA-256, "
    "SHA-384, SHA-512), JsonMerge (shallow), MathRandom, MathAdd, StringSplit, UUID.",
    "Choice: every String*, Numeric*, Boolean*, Timestamp* operator and its *Path form, StringMatches, IsNull, "
    "IsPresent, IsNumeric, IsString, IsBoolean, IsTimestamp, And, Or, Not.",
    "The JSONata query language (QueryLanguage JSONata at the top or per state): `{% %}` expressions in "
    "Arguments, Output, Assign (workflow variables, copied into Parallel branches and Map iterations), Choice "
    "Condition (with rule-level Output/Assign), Map Items and ItemSelector, Wait Seconds/Timestamp, Fail "
    "Error/Cause, Catcher Output/Assign with $states.errorOutput; $states.input, .result, .context. The "
    "expression language (src/services/states/asl/jsonata.hpp): paths, wildcards (* and **), predicates and "
    "indexes (applied to each step's values, as JSONata's location paths do), the parent operator (%, also "
    "through blocks and inner paths: `(a.b)[%.c]`), positional (#$i) and context (@$v, joins) variable "
    "bindings, order-by clauses (`a.b^(>c, d)`: a stable sort; T2007/T2008 for mixed or non-sortable keys), "
    "group-by clauses (`a.b{key: value}`: values over each group, joined bindings in tuple streams; T1003, "
    "D1009), the root input `$$`, constructors, arithmetic, &, comparisons, "
    "and/or, ?:, in, blocks with `$x := ...` bindings, lambdas (closures, recursion, `function`/`λ`, signatures "
    "read but not type-checked, called where defined), functions as values, partial application ($f(?, 2)) "
    "and composition ($f ~> $g), /* comments */, the "
    "chain operator ~>, ranges ([1..5]), transforms (| location | update, delete |), regular expressions (/re/i, "
    "/re/m), and the "
    "functions $string $number $boolean $not $exists $count $sum $max $min $average $length "
    "$substring(Before/After) $uppercase $lowercase $trim $pad $contains $split $join $replace $match $keys $lookup "
    "$merge $append $reverse $shuffle $sort (with a comparator) $distinct $zip $spread $round $floor $ceil $abs $power $sqrt "
    "$formatBase $formatNumber (XPath pictures and decimal-format options) $formatInteger (digits, grouping, "
    "roman, words, letters, ordinals) $parseInteger $type $now $millis $toMillis $fromMillis (ISO 8601 or XPath "
    "date/time pictures with a timezone; week-based components [W] [X] [w] [x] formatted, and parsed as "
    "JSONata's reference implementation does: read beside a year-month-day date, D3136 for a date given by "
    "week) $eval $map $filter $reduce $single $sift $each $error $assert "
    "$base64encode $base64decode $encodeUrl(Component) $decodeUrl(Component), and Step Functions' $partition $range "
    "$hash $random $uuid $parse; the built-ins' arguments are checked against JSONata's signatures (T0410, T0412).",
    "Retry (ErrorEquals with States.ALL / States.TaskFailed / names, IntervalSeconds, MaxAttempts, BackoffRate, "
    "MaxDelaySeconds, JitterStrategy FULL) and Catch (ResultPath); TimeoutSeconds(Path), HeartbeatSeconds(Path); "
    "the execution's TimeoutSeconds; States.Runtime, States.Timeout, States.HeartbeatTimeout, "
    "States.NoChoiceMatched, States.IntrinsicFailure, States.ExceedToleratedFailureThreshold.",
]

INTEGRATIONS = [
    "Task states call through the in-process invoker as a session of the state machine's role (or "
    "Credentials.RoleArn), invoked_by states.amazonaws.com: the role's trust policy and permissions decide, and "
    "CloudTrail records the calls.",
    "Optimized: lambda:invoke (and function ARNs as the Resource, with LambdaFunction* history events), "
    "sqs:sendMessage, sns:publish, events:putEvents (EventBridge.FailedEntry), glue:startCrawler, "
    "glue:startJobRun(.sync), athena:startQueryExecution(.sync: polled until the query ends), "
    "athena:getQueryResults / getQueryExecution / stopQueryExecution, kinesis:putRecord, firehose:putRecord, "
    "states:startExecution(.sync, .sync:2); `.waitForTaskToken` on any of them.",
    "AWS SDK: arn:aws:states:::aws-sdk:<service>:<action> for s3, sqs, sns, kms, iam, sts, glue, athena, "
    "kinesis, firehose, eventbridge, sfn, cloudtrail, organizations, scheduler (and lambda, cloudwatchlogs once "
    "served); errors are `<Service>.<ErrorCode>Exception` as AWS names them.",
    "dynamodb integrations fail with DynamoDB.AmazonDynamoDBException: the service is not served here.",
]

DURABILITY = [
    "A running Standard execution is one interpreter document (every branch's position, timers, awaited tokens) "
    "in the MetadataStore; each transition batch commits with its history events in one transaction, so kill -9 "
    "resumes every execution where it was: a Wait ends at its time, a task token is still awaited.",
    "A Task's call is made before the transition that records its result commits: a crash in between repeats the "
    "call (at least once).",
    "Executions start, end and are stopped with an \"Step Functions Execution Status Change\" event (source "
    "aws.states) on the account's default EventBridge bus.",
]

GAPS = [
    "ResultWriter: ReaderConfig InputType MANIFEST (S3 inventory) is not read; a Map Run's Express "
    "children keep a history like Standard ones.",
    "Express workflows started with StartExecution run like Standard ones (with history); their logs are not "
    "sent to CloudWatch Logs (loggingConfiguration is stored only).",
    "A Map or Parallel state that fails is redriven whole, not only its failed iterations.",
]


def main():
    sections = [("States language", coverage_doc.bullets(LANGUAGE)),
                ("Integrations", coverage_doc.bullets(INTEGRATIONS)),
                ("Durability", coverage_doc.bullets(DURABILITY)),
                ("Not yet", coverage_doc.bullets(GAPS)),
                coverage_doc.errors_section("states")]
    coverage_doc.write("states", "states-2016-11-23", "AWS Step Functions coverage", notes=NOTES, sections=sections)


if __name__ == "__main__":
    main()
