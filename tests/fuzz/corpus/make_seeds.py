#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/<target>/ (a handful of small, valid-looking inputs per target,
in each target's input format; see the comment at the top of each tests/fuzz/<target>.cpp).

The fuzz.* tests start from these seeds and write what they find to a temp dir, so the seeds only change
when this script does: edit it and run `python3 tests/fuzz/corpus/make_seeds.py`."""

import base64
import hashlib
import os
import shutil
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, seeds):
    d = os.path.join(HERE, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())


# ---- CBOR (RFC 8949), just what the seeds need ----
def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | extra]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, bytes):
        return _head(2, len(v)) + v
    if isinstance(v, str):
        return _head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return _head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    if isinstance(v, tuple) and v[0] == "tag":
        return _head(6, v[1]) + cbor(v[2])
    raise TypeError(v)


def crc32_b64(data):
    return base64.b64encode(struct.pack(">I", zlib.crc32(data))).decode()


def main():
    write("xml_parse_fuzz", {
        "delete_objects": "<Delete><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>v1</VersionId>"
                          "</Object><Quiet>true</Quiet></Delete>",
        "complete_multipart": '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e1"</ETag>'
                              "<ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber>"
                              '<ETag>"e2"</ETag></Part></CompleteMultipartUpload>',
        "lifecycle": "<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>logs/</Prefix></Filter><Status>"
                     "Enabled</Status><Expiration><Days>30</Days></Expiration></Rule></LifecycleConfiguration>",
        "acl": '<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID></Owner>'
               '<AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
               'xsi:type="CanonicalUser"><ID>o</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>'
               "</AccessControlList></AccessControlPolicy>",
        "entities": '<?xml version="1.0" encoding="UTF-8"?><Delete><Object><Key>&lt;a&amp;b&gt;&#x41;&#66;'
                    "<![CDATA[c]]></Key></Object></Delete>",
    })
    write("json_parse_fuzz", {
        "glue_create_table": '{"DatabaseName":"db","TableInput":{"Name":"t","StorageDescriptor":{"Columns":'
                             '[{"Name":"a","Type":"int"}],"Location":"s3://b/p/"},"PartitionKeys":[{"Name":"dt",'
                             '"Type":"string"}],"Parameters":{"classification":"csv"}}}',
        "sqs_send_batch": '{"QueueUrl":"http://q","Entries":[{"Id":"1","MessageBody":"x","DelaySeconds":0,'
                          '"MessageAttributes":{"a":{"DataType":"String","StringValue":"v"}}}]}',
        "states_start": '{"stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:s","name":"e",'
                        '"input":"{\\"k\\":1.5e3}"}',
        "lambda_create": '{"FunctionName":"fn","Runtime":"python3.12","Role":"arn:aws:iam::000000000000:role/r",'
                         '"Handler":"h.h","Code":{"ZipFile":"UEsDBA=="},"Timeout":3,"MemorySize":128}',
        "escapes_and_numbers": '{"DatabaseName":"d\\u00e9\\ud83d\\ude00","TableInput":{"Name":"t","Parameters":{}},'
                               '"x":[null,true,false,-0.0,1e308,123456789012345678901234567890]}',
    })
    write("query_parse_fuzz", {
        "iam_create_user": "Action=CreateUser&UserName=alice&Path=%2Fdev%2F&Version=2010-05-08",
        "sns_publish": "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Message=hi"
                       "&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String"
                       "&MessageAttributes.entry.1.Value.StringValue=v",
        "put_metric_data": "Action=PutMetricData&Namespace=App&MetricData.member.1.MetricName=Latency"
                           "&MetricData.member.1.Value=1.5&MetricData.member.1.Unit=Milliseconds"
                           "&MetricData.member.1.Dimensions.member.1.Name=Host"
                           "&MetricData.member.1.Dimensions.member.1.Value=a",
        "s3_list_v2": "b?list-type=2&prefix=a%2F&delimiter=%2F&max-keys=10&encoding-type=url",
        "s3_key_upload": "b/k%20%E2%9C%93/../x?uploadId=u&partNumber=3",
    })
    write("cbor_parse_fuzz", {
        "put_records": cbor({"StreamName": "s", "Records": [{"Data": b"hello", "PartitionKey": "p"},
                                                              {"Data": b"", "PartitionKey": "q",
                                                               "ExplicitHashKey": "1"}]}),
        "get_shard_iterator": cbor({"StreamName": "s", "ShardId": "shardId-000000000000",
                                    "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": ("tag", 1, 1700000000.5)}),
        "list_shards": cbor({"StreamName": "s", "MaxResults": 100, "StreamCreationTimestamp": ("tag", 1, 0)}),
        "indefinite_lengths": b"\xbf" + cbor("StreamName") + b"\x7f" + cbor("st") + cbor("ream") + b"\xff"
                              + cbor("Limit") + cbor(2 ** 40) + b"\xff",
    })

    sig = "0" * 64
    write("sigv4_header_fuzz", {
        # Raw form: <authorization>\n<target>\n<headers>\n<body>; a first byte % 4 != 0.
        "v4_header": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, "
                     f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}\n/b/k?x=1\n"
                     "Host:localhost\nX-Amz-Date:20150830T123600Z\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n",
        "v4_far_future": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/99991231/us-east-1/s3/aws4_request, "
                         f"SignedHeaders=host, Signature={sig}\n/\nHost:localhost\nX-Amz-Date:99991231T235959Z\n",
        "v4_presigned": "\n/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F"
                        "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60"
                        f"&X-Amz-SignedHeaders=host&X-Amz-Signature={sig}\nHost:localhost\n",
        "v2_header": "AWS AKIDEXAMPLE:c2lnbmF0dXJl\n/b/k\nHost:b.localhost\nDate:Sun, 30 Aug 2015 12:36:00 GMT\n",
        "v2_presigned": "\n/b/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=c2ln%2B&Expires=99999999999\nHost:localhost\n",
        # Signed form: <control, % 4 == 0><target>\n<headers>\n<body>, signed by the harness.
        "signed_hash": b"\x00/bucket/key?tagging\nContent-Type:text/plain\nx-amz-meta-a:  b  \nhello world",
        "signed_streaming": b"\x80/b/k\nx-amz-storage-class:STANDARD\n" + b"streaming payload " * 8,
        "signed_presigned_token": b"\xe0/b/k%20x\n\n",
        "signed_json_service": b"\x50/\nX-Amz-Target:Kinesis_20131202.ListStreams\n"
                               b"Content-Type:application/x-amz-json-1.1\n{}",
    })

    data = b"hello"
    write("aws_chunked_fuzz", {
        # <control><framing><body>; framing even: the body as it is.
        "signed_raw": b"\x00\x00" + f"5;chunk-signature={sig}\r\nhello\r\n0;chunk-signature={sig}\r\n\r\n".encode(),
        "unsigned_trailer_raw": b"\x06\x00" + b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:"
                                + crc32_b64(data).encode() + b"\r\n\r\n",
        # framing odd: the rest is a payload the harness frames and signs.
        "framed_signed_trailer": b"\x0d\x41" + b"the quick brown fox jumps over the lazy dog",
        "framed_signed": b"\x30\x05" + bytes(range(200)),
        "framed_changed": b"\x01\x13" + b"\x07Xabcdefghijklmnopqrstuvwxyz",
    })

    write("http1_codec_fuzz", {
        # <split><limits><stream>
        "get": b"\x00\xff" + b"GET /b/k?list-type=2 HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n",
        "pipelined": b"\x2a\xff" + b"PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                     b"\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nDELETE /c HTTP/1.1\r\nConnection: close\r\n\r\n",
        "chunked_trailers": b"\x13\x7f" + b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nx-amz-checksum-crc32: NhCmhg==\r\n\r\n",
        "expect_empty_and_http10": b"\x07\xf3" + b"PUT /e HTTP/1.1\nHost: x\nExpect: 100-continue\nContent-Length: 0\n\n"
                                   b"GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "smuggling": b"\xff\xff" + b"POST / HTTP/1.1\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"0\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
        "folded_and_duplicates": b"\x55\x31" + b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\nX-B: one\r\n two\r\n\r\n",
    })

    def part(disposition, content, extra=""):
        return (f"--XyZ\r\nContent-Disposition: form-data; {disposition}\r\n{extra}\r\n").encode() + content + b"\r\n"

    write("multipart_form_fuzz", {
        # <sizes><body with boundary XyZ>
        "post_form": b"\x35" + part('name="key"', b"uploads/${filename}") + part('name="policy"', b"eyJ9")
                     + part('name="file"; filename="a.txt"', b"hello\r\n--XyZa not a delimiter",
                            "Content-Type: text/plain\r\n") + b"--XyZ--\r\n",
        "preamble_padding_epilogue": b"\x02" + b"preamble\r\n--XyZ \t\r\n\r\nbare\r\n" + part('name=x', b"")
                                     + b"--XyZ--epilogue",
        "unterminated": b"\xf0" + part('name="a"', b"value")[:-2],
        "quoted_params": b"\x81" + part('name="f\\"ile"; filename="C:\\dir\\x.bin"; other=1', b"\x00\xff" * 50)
                         + b"--XyZ--",
    })


if __name__ == "__main__":
    main()
