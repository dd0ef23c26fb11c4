#!/usr/bin/env python3
"""Parses serialize_dump's responses with botocore's own parsers and checks the values round-trip.

Usage: serialize_dump | python3 botocore_check.py   (exit status 1 on any mismatch)
"""
import base64, datetime, json, sys
import botocore.session
from botocore import handlers, parsers
from botocore.awsrequest import HeadersDict

session = botocore.session.get_session()
EXPECT = {
    # EncodingType=url keys are decoded by a botocore handler, not by the parser: the raw key is expected here.
    "s3-list-v2": lambda r: r["Contents"][0]["Key"] == "p/a%20b.txt" and r["IsTruncated"] is True
    and r["Contents"][0]["LastModified"].timestamp() == 1255369830
    and [p["Prefix"] for p in r["CommonPrefixes"]] == ["p/d/", "p/e/"] and r["KeyCount"] == 2
    and r["Contents"][0]["ChecksumAlgorithm"] == ["CRC32"] and r["Contents"][0]["Owner"]["ID"] == "o"
    and r["Contents"][0]["ChecksumType"] == "FULL_OBJECT" and r["NextContinuationToken"] == "tok",
    "s3-list-buckets": lambda r: r["Buckets"][0]["Name"] == "a" and r["Owner"]["DisplayName"] == "me"
    and r["Buckets"][0]["CreationDate"].microsecond == 123000,
    "s3-complete-mpu": lambda r: r["ETag"] == '"abc-2"' and r["VersionId"] == "v" and r["Location"] == "http://x/b/k"
    and r["ChecksumCRC64NVME"] == "AAAAAAAAAAA=" and r["ChecksumType"] == "COMPOSITE"
    and r["ServerSideEncryption"] == "AES256",
    "s3-delete-objects": lambda r: [d["Key"] for d in r["Deleted"]] == ["a", "b"] and r["Deleted"][1]["DeleteMarker"] is True
    and r["Errors"][0]["Code"] == "AccessDenied",
    "s3-head-object": lambda r: r["ContentType"] == "text/csv" and r["LastModified"].timestamp() == 1445412480
    and r["Metadata"] == {"color": "blue"} and r["ChecksumCRC64NVME"] == "AAAAAAAAAAA=",
    "s3-get-acl": lambda r: r["Grants"][0]["Grantee"]["Type"] == "CanonicalUser" and r["Grants"][0]["Permission"] == "FULL_CONTROL",
    "s3-location": lambda r: r["LocationConstraint"] == "eu-west-1",
    "s3-tagging": lambda r: r["TagSet"] == [{"Key": "a", "Value": "1"}] and r["VersionId"] == "v",
    "s3-create-mpu": lambda r: r["UploadId"] == "u1",
    "s3-error": lambda r: r["Error"]["Code"] == "NoSuchKey" and r["ResponseMetadata"]["RequestId"] == "REQ123",
    "glue-get-table": lambda r: r["Table"]["CreateTime"].timestamp() == 1700000000
    and r["Table"]["UpdateTime"].timestamp() == 1700000000.25 and r["Table"]["StorageDescriptor"]["NumberOfBuckets"] == -1,
    "glue-error": lambda r: r["Error"]["Code"] == "EntityNotFoundException" and r["Error"]["Message"] == "something went wrong",
    "iam-get-user": lambda r: r["User"]["UserName"] == "alice" and r["User"]["Tags"] == [{"Key": "a", "Value": "b"}]
    and r["User"]["CreateDate"].timestamp() == 1700000000 and r["ResponseMetadata"]["RequestId"] == "REQ123",
    "iam-error": lambda r: r["Error"]["Code"] == "NoSuchEntity" and r["Error"]["Type"] == "Sender",
    "sts-caller": lambda r: r["Account"] == "000000000000",
    "sqs-receive": lambda r: r["Messages"][0]["MessageAttributes"]["a"]["BinaryValue"] == b"\x00\x01",
    "sqs-error": lambda r: r["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue",
    "lambda-invoke": lambda r: r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled" and r["Payload"] == b'{"x":1}',
    "lambda-get": lambda r: r["Configuration"]["MemorySize"] == 128 and r["Tags"] == {"a": "b"},
    "lambda-error": lambda r: r["Error"]["Code"] == "ResourceNotFoundException",
    "cw-get-metric-stats": lambda r: r["Datapoints"][0]["Average"] == 1.5 and r["Datapoints"][0]["Timestamp"].timestamp() == 1700000000,
}

failures = 0
for line in sys.stdin:
    c = json.loads(line)
    model = session.get_service_model({"monitoring": "cloudwatch"}.get(c["service"], c["service"]))
    op = model.operation_model(c["op"])
    protocol = model.metadata["protocol"]
    if c["headers"].get("Content-Type") == "text/xml" and "query" in model.metadata.get("protocols", []):
        protocol = "query"  # CloudWatch: current botocore prefers CBOR; Cenote's pinned model speaks query
    parser = parsers.create_parser(protocol)
    body = c["body"].encode()
    response = {"status_code": c["status"], "headers": HeadersDict(c["headers"]), "body": body}
    payload = op.output_shape.serialization.get("payload") if op.output_shape is not None else None
    if c["status"] < 300 and (op.has_streaming_output or (payload and op.output_shape.members[payload].type_name == "blob")):
        import io
        from botocore.response import StreamingBody
        response["body"] = StreamingBody(io.BytesIO(body), len(body))
    try:
        result = parser.parse(response, op.output_shape if c["status"] < 300 else None)
        if c["case"] == "s3-location":
            # botocore parses GetBucketLocation in a handler, from the raw body.
            class Raw:
                content = body
                raw = b""
            handlers.parse_get_bucket_location(result, Raw())
        if "Payload" in result and hasattr(result["Payload"], "read"):
            result["Payload"] = result["Payload"].read()
        ok = EXPECT[c["case"]](result)
    except Exception as e:  # noqa: BLE001
        result, ok = repr(e), False
    print(("ok    " if ok else "FAIL  ") + c["case"] + ("" if ok else "  " + str(result)[:600] + "\n      body: " + c["body"][:400]))
    failures += not ok
sys.exit(1 if failures else 0)
