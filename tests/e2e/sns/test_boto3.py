"""Amazon SNS end to end with boto3 (Debian's and a current one; SNS speaks the query protocol to both): topics
and their attributes, tags and permissions; delivery to SQS enveloped (signature verified with the certificate
fetched from SigningCertURL, versions 1 and 2) and raw; the queue policy deciding as on AWS; an HTTP endpoint of
the test (subscription confirmation through the SubscribeURL, signed notifications with AWS's headers, retries by
the delivery policy, the UnsubscribeURL); FIFO ordering and deduplication under concurrent producers; filter
policies on attributes and on the body; MessageStructure=json; PublishBatch; email-json into the file sink;
dead-letter queues; AWS's errors.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/sns/test_boto3.py [-v]
"""

import json
import os
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import sns_common  # noqa: E402
from sns_common import Endpoint, allow_sns, receive_all, verify_signature  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def sns():
    return harness.boto3_client(SERVER, "sns")


def sqs():
    return harness.boto3_client(SERVER, "sqs")


def name(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def code_of(fn, **kwargs):
    return harness.error_of(fn, **kwargs)[1]


def message_of(fn, **kwargs):
    from botocore.exceptions import ClientError
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError("succeeded")


class Topics(unittest.TestCase):
    def test_lifecycle_attributes_tags(self):
        c = sns()
        n = name()
        arn = c.create_topic(Name=n, Attributes={"DisplayName": "Orders"},
                             Tags=[{"Key": "team", "Value": "data"}])["TopicArn"]
        self.assertEqual(arn, f"arn:aws:sns:us-east-1:000000000000:{n}")
        self.assertEqual(c.create_topic(Name=n, Attributes={"DisplayName": "Orders"})["TopicArn"], arn)
        a = c.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual(a["DisplayName"], "Orders")
        self.assertEqual(a["Owner"], "000000000000")
        policy = json.loads(a["Policy"])
        self.assertEqual(policy["Statement"][0]["Sid"], "__default_statement_ID")
        self.assertIn("SNS:Publish", policy["Statement"][0]["Action"])
        self.assertEqual(json.loads(a["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"]["numRetries"], 3)
        for k in ("SubscriptionsConfirmed", "SubscriptionsPending", "SubscriptionsDeleted"):
            self.assertEqual(a[k], "0")
        c.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
        c.set_topic_attributes(TopicArn=arn, AttributeName="TracingConfig", AttributeValue="Active")
        c.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="alias/aws/sns")
        a = c.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual((a["SignatureVersion"], a["TracingConfig"], a["KmsMasterKeyId"]), ("2", "Active", "alias/aws/sns"))
        self.assertEqual(c.list_tags_for_resource(ResourceArn=arn)["Tags"], [{"Key": "team", "Value": "data"}])
        c.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "test"}])
        c.untag_resource(ResourceArn=arn, TagKeys=["team"])
        self.assertEqual(c.list_tags_for_resource(ResourceArn=arn)["Tags"], [{"Key": "env", "Value": "test"}])
        self.assertIn(arn, [t["TopicArn"] for t in c.list_topics()["Topics"]])
        c.add_permission(TopicArn=arn, Label="partner", AWSAccountId=["111122223333"], ActionName=["Publish"])
        statements = json.loads(c.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
        self.assertEqual(statements[-1]["Principal"], {"AWS": "arn:aws:iam::111122223333:root"})
        c.remove_permission(TopicArn=arn, Label="partner")
        c.delete_topic(TopicArn=arn)
        c.delete_topic(TopicArn=arn)  # idempotent
        self.assertEqual(code_of(c.get_topic_attributes, TopicArn=arn), "NotFound")

    def test_fifo_topic_attributes_and_errors(self):
        c = sns()
        n = name() + ".fifo"
        arn = c.create_topic(Name=n, Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
        a = c.get_topic_attributes(TopicArn=arn)["Attributes"]
        self.assertEqual((a["FifoTopic"], a["ContentBasedDeduplication"]), ("true", "true"))
        self.assertEqual(message_of(c.create_topic, Name="bad name"), ("InvalidParameter", "Invalid parameter: Topic Name"))
        self.assertEqual(code_of(c.create_topic, Name=name() + ".fifo"), "InvalidParameter")
        self.assertEqual(code_of(c.set_topic_attributes, TopicArn=arn, AttributeName="Nope", AttributeValue="x"),
                         "InvalidParameter")
        self.assertEqual(code_of(c.get_topic_attributes, TopicArn="arn:aws:sns:us-east-1:000000000000:none"), "NotFound")
        with self.assertRaises(c.exceptions.NotFoundException):
            c.get_topic_attributes(TopicArn="arn:aws:sns:us-east-1:000000000000:none")


class ToSqs(unittest.TestCase):
    def setUp(self):
        self.sns, self.sqs = sns(), sqs()
        self.topic = self.sns.create_topic(Name=name())["TopicArn"]

    def queue(self, fifo=False, policy=True):
        attrs = {"FifoQueue": "true"} if fifo else {}
        url = self.sqs.create_queue(QueueName=name("q") + (".fifo" if fifo else ""), Attributes=attrs)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        if policy:
            allow_sns(self.sqs, url, self.topic)
        return url, arn

    def test_enveloped_signed_and_raw(self):
        url, arn = self.queue()
        raw_url, raw_arn = self.queue()
        sub = self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=raw_arn,
                           Attributes={"RawMessageDelivery": "true"})
        out = self.sns.publish(TopicArn=self.topic, Message="hello", Subject="greeting",
                               MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"},
                                                  "n": {"DataType": "Number", "StringValue": "42"},
                                                  "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
        [m] = receive_all(self.sqs, url, 1)
        env = json.loads(m["Body"])
        self.assertEqual(env["Type"], "Notification")
        self.assertEqual(env["MessageId"], out["MessageId"])
        self.assertEqual((env["TopicArn"], env["Subject"], env["Message"]), (self.topic, "greeting", "hello"))
        self.assertEqual(env["MessageAttributes"]["color"], {"Type": "String", "Value": "blue"})
        self.assertEqual(env["MessageAttributes"]["n"], {"Type": "Number", "Value": "42"})
        self.assertEqual(env["MessageAttributes"]["b"], {"Type": "Binary", "Value": "AAE="})
        self.assertTrue(env["Timestamp"].endswith("Z"))
        self.assertEqual(env["SignatureVersion"], "1")
        self.assertTrue(env["UnsubscribeURL"].endswith(f"?Action=Unsubscribe&SubscriptionArn={sub}"))
        verify_signature(env)
        forged = dict(env, Message="forged")
        with self.assertRaises(Exception):
            verify_signature(forged)
        [r] = receive_all(self.sqs, raw_url, 1)
        self.assertEqual(r["Body"], "hello")
        self.assertEqual(r["MessageAttributes"]["color"], {"StringValue": "blue", "DataType": "String"})
        self.assertEqual(r["MessageAttributes"]["b"]["BinaryValue"], b"\x00\x01")
        # SignatureVersion 2: SHA256withRSA.
        self.sns.set_topic_attributes(TopicArn=self.topic, AttributeName="SignatureVersion", AttributeValue="2")
        self.sns.publish(TopicArn=self.topic, Message="v2")
        env = json.loads(receive_all(self.sqs, url, 1)[0]["Body"])
        self.assertEqual(env["SignatureVersion"], "2")
        self.assertNotIn("Subject", env)
        verify_signature(env)

    def test_the_queue_policy_decides(self):
        # No policy allowing sns.amazonaws.com: AWS's SNS cannot deliver; the message goes to the dead-letter
        # queue (whose policy allows SNS) with the error.
        url, arn = self.queue(policy=False)
        dlq_url, dlq_arn = self.queue()
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=arn,
                           Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
        self.sns.publish(TopicArn=self.topic, Message="refused")
        [m] = receive_all(self.sqs, dlq_url, 1)
        self.assertEqual(json.loads(m["Body"])["Message"], "refused")
        self.assertIn("ErrorCode", m["MessageAttributes"])
        self.assertEqual(self.sqs.receive_message(QueueUrl=url).get("Messages", []), [])
        # A policy for another topic does not help either.
        allow_sns(self.sqs, url, self.topic + "-other")
        self.sns.publish(TopicArn=self.topic, Message="still refused")
        self.assertEqual(len(receive_all(self.sqs, dlq_url, 1)), 1)

    def test_message_structure_json_and_batch(self):
        url, arn = self.queue()
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        self.sns.publish(TopicArn=self.topic, MessageStructure="json",
                         Message=json.dumps({"default": "d", "sqs": "for queues", "http": "for web"}))
        self.assertEqual(receive_all(self.sqs, url, 1)[0]["Body"], "for queues")
        self.assertEqual(code_of(self.sns.publish, TopicArn=self.topic, MessageStructure="json",
                                 Message=json.dumps({"sqs": "x"})), "InvalidParameter")
        r = self.sns.publish_batch(TopicArn=self.topic, PublishBatchRequestEntries=[
            {"Id": "a", "Message": "one"}, {"Id": "b", "Message": "two"},
            {"Id": "c", "Message": "three", "MessageAttributes": {"x": {"DataType": "Number", "StringValue": "nan"}}}])
        self.assertEqual(sorted(s["Id"] for s in r["Successful"]), ["a", "b"])
        self.assertEqual([(f["Id"], f["Code"], f["SenderFault"]) for f in r["Failed"]], [("c", "ParameterValueInvalid", True)])
        self.assertEqual(sorted(m["Body"] for m in receive_all(self.sqs, url, 2)), ["one", "two"])
        self.assertEqual(code_of(self.sns.publish_batch, TopicArn=self.topic, PublishBatchRequestEntries=[
            {"Id": str(i), "Message": "m"} for i in range(11)]), "TooManyEntriesInBatchRequest")
        self.assertEqual(code_of(self.sns.publish_batch, TopicArn=self.topic, PublishBatchRequestEntries=[
            {"Id": "x", "Message": "m"}, {"Id": "x", "Message": "m"}]), "BatchEntryIdsNotDistinct")
        self.assertEqual(code_of(self.sns.publish_batch, TopicArn=self.topic, PublishBatchRequestEntries=[
            {"Id": "x", "Message": "m" * 200_000}, {"Id": "y", "Message": "m" * 100_000}]), "BatchRequestTooLong")

    def test_filter_policies(self):
        attr_url, attr_arn = self.queue()
        body_url, body_arn = self.queue()
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=attr_arn, Attributes={
            "RawMessageDelivery": "true",
            "FilterPolicy": json.dumps({
                "store": [{"prefix": "eu-"}],
                "price": [{"numeric": [">=", 100, "<", 200]}],
                "tags": ["sale"],
                "$or": [{"ip": [{"cidr": "10.0.0.0/8"}]}, {"vip": [{"exists": True}]}]})})
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=body_arn, Attributes={
            "RawMessageDelivery": "true", "FilterPolicyScope": "MessageBody",
            "FilterPolicy": json.dumps({"order": {"status": [{"anything-but": {"prefix": "test"}}],
                                                  "country": [{"equals-ignore-case": "de"}]}})})

        def attrs(store, price, tags, ip=None, vip=False):
            a = {"store": {"DataType": "String", "StringValue": store},
                 "price": {"DataType": "Number", "StringValue": str(price)},
                 "tags": {"DataType": "String.Array", "StringValue": json.dumps(tags)}}
            if ip:
                a["ip"] = {"DataType": "String", "StringValue": ip}
            if vip:
                a["vip"] = {"DataType": "String", "StringValue": "yes"}
            return a

        self.sns.publish(TopicArn=self.topic, Message="match-ip", MessageAttributes=attrs("eu-1", 150, ["sale", "x"], ip="10.1.2.3"))
        self.sns.publish(TopicArn=self.topic, Message="match-vip", MessageAttributes=attrs("eu-2", 100, ["sale"], vip=True))
        self.sns.publish(TopicArn=self.topic, Message="wrong-store", MessageAttributes=attrs("us-1", 150, ["sale"], vip=True))
        self.sns.publish(TopicArn=self.topic, Message="wrong-price", MessageAttributes=attrs("eu-1", 200, ["sale"], vip=True))
        self.sns.publish(TopicArn=self.topic, Message="no-or", MessageAttributes=attrs("eu-1", 150, ["sale"], ip="11.0.0.1"))
        self.sns.publish(TopicArn=self.topic, Message=json.dumps({"order": {"status": "paid", "country": "DE"}}))
        self.sns.publish(TopicArn=self.topic, Message=json.dumps({"order": {"status": "test-1", "country": "de"}}))
        self.sns.publish(TopicArn=self.topic, Message=json.dumps({"order": {"status": "paid", "country": "fr"}}))
        self.assertEqual(sorted(m["Body"] for m in receive_all(self.sqs, attr_url, 2)), ["match-ip", "match-vip"])
        self.assertEqual([json.loads(m["Body"])["order"]["status"] for m in receive_all(self.sqs, body_url, 1)], ["paid"])
        time.sleep(0.5)
        self.assertEqual(self.sqs.receive_message(QueueUrl=attr_url).get("Messages", []), [])
        # AWS's validation.
        sub = self.sns.list_subscriptions_by_topic(TopicArn=self.topic)["Subscriptions"][0]["SubscriptionArn"]
        code, msg = message_of(self.sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="FilterPolicy",
                               AttributeValue=json.dumps({k: ["v"] for k in "abcdef"}))
        self.assertEqual(code, "InvalidParameter")
        self.assertTrue(msg.startswith("Invalid parameter: FilterPolicy"), msg)
        code, msg = message_of(self.sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="FilterPolicy",
                               AttributeValue=json.dumps({"a": [{"numeric": ["<", "x"]}]}))
        self.assertEqual(code, "InvalidParameter")


class Fifo(unittest.TestCase):
    def test_order_and_dedup_under_concurrent_producers(self):
        c, q = sns(), sqs()
        topic = c.create_topic(Name=name() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        url = q.create_queue(QueueName=name("q") + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        arn = allow_sns(q, url, topic)
        c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        self.assertEqual(code_of(c.publish, TopicArn=topic, Message="m"), "InvalidParameter")
        self.assertEqual(code_of(c.publish, TopicArn=topic, Message="m", MessageGroupId="g"), "InvalidParameter")
        groups, per_group = 4, 15
        seqs = {}

        def producer(g):
            client = sns()
            for i in range(per_group):
                for _ in range(2):  # every message twice: deduplicated
                    r = client.publish(TopicArn=topic, Message=f"{g}:{i}", MessageGroupId=f"g{g}",
                                       MessageDeduplicationId=f"{g}-{i}")
                    seqs.setdefault((g, i), set()).add((r["MessageId"], r["SequenceNumber"]))

        threads = [threading.Thread(target=producer, args=(g,)) for g in range(groups)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(all(len(v) == 1 for v in seqs.values()), "a duplicate got a new id or sequence number")
        messages = receive_all(q, url, groups * per_group, timeout=30)
        bodies = [m["Body"] for m in messages]
        self.assertEqual(len(bodies), groups * per_group)
        self.assertEqual(len(set(bodies)), len(bodies))
        for g in range(groups):
            got = [int(b.split(":")[1]) for b in bodies if b.startswith(f"{g}:")]
            self.assertEqual(got, list(range(per_group)), f"group {g} out of order")
        for m in messages:
            self.assertTrue(m["Attributes"]["MessageGroupId"].startswith("g"))
        time.sleep(0.5)
        self.assertEqual(q.receive_message(QueueUrl=url).get("Messages", []), [])


class ToHttp(unittest.TestCase):
    def test_confirmation_signed_notifications_and_unsubscribe(self):
        c = sns()
        topic = c.create_topic(Name=name())["TopicArn"]
        ep = Endpoint()
        self.addCleanup(ep.close)
        r = c.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url)
        self.assertEqual(r["SubscriptionArn"], "pending confirmation")
        headers, conf, _ = ep.next(message_type="SubscriptionConfirmation")
        self.assertEqual(headers["x-amz-sns-topic-arn"], topic)
        self.assertEqual(headers["x-amz-sns-message-id"], conf["MessageId"])
        self.assertNotIn("x-amz-sns-subscription-arn", headers)
        self.assertEqual(headers["content-type"], "text/plain; charset=UTF-8")
        self.assertIn("Action=ConfirmSubscription", conf["SubscribeURL"])
        self.assertIn(conf["Token"], conf["SubscribeURL"])
        verify_signature(conf)
        # The endpoint followed the SubscribeURL (unsigned): the subscription is confirmed.
        deadline = time.monotonic() + 10
        subs = []
        while time.monotonic() < deadline:
            subs = c.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
            if subs and subs[0]["SubscriptionArn"] != "PendingConfirmation" and ep.confirmed:
                break
            time.sleep(0.1)
        sub = subs[0]["SubscriptionArn"]
        self.assertTrue(sub.startswith(topic + ":"), subs)
        self.assertIn(f"<SubscriptionArn>{sub}</SubscriptionArn>", ep.confirmed[0])
        a = c.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        self.assertEqual((a["PendingConfirmation"], a["ConfirmationWasAuthenticated"]), ("false", "false"))
        self.assertEqual(json.loads(a["EffectiveDeliveryPolicy"])["healthyRetryPolicy"]["numRetries"], 3)

        out = c.publish(TopicArn=topic, Message="to the web", Subject="s",
                        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
        headers, msg, _ = ep.next(message_type="Notification")
        self.assertEqual(headers["x-amz-sns-message-id"], out["MessageId"])
        self.assertEqual(headers["x-amz-sns-subscription-arn"], sub)
        self.assertEqual(headers["user-agent"], "Amazon Simple Notification Service Agent")
        self.assertEqual((msg["Message"], msg["Subject"]), ("to the web", "s"))
        self.assertEqual(msg["MessageAttributes"], {"k": {"Type": "String", "Value": "v"}})
        verify_signature(msg)

        # Raw delivery to HTTP: the body is the message, with x-amz-sns-rawdelivery.
        c.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
        c.publish(TopicArn=topic, Message="raw body")
        headers, body, _ = ep.next(message_type="Notification")
        self.assertEqual((body, headers.get("x-amz-sns-rawdelivery")), ("raw body", "true"))

        # The UnsubscribeURL, followed unsigned, unsubscribes; the endpoint gets an UnsubscribeConfirmation.
        with urllib.request.urlopen(msg["UnsubscribeURL"], timeout=10) as r:
            self.assertIn("UnsubscribeResponse", r.read().decode())
        headers, unsub, _ = ep.next(message_type="UnsubscribeConfirmation")
        verify_signature(unsub)
        self.assertEqual(c.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"], [])
        self.assertEqual(code_of(c.get_subscription_attributes, SubscriptionArn=sub), "NotFound")
        # Other unsigned calls are refused.
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{SERVER.endpoint}/?Action=ListTopics", timeout=10)
        self.assertEqual(e.exception.code, 403)

    def test_retries_by_the_delivery_policy(self):
        c = sns()
        topic = c.create_topic(Name=name())["TopicArn"]
        ep = Endpoint()
        self.addCleanup(ep.close)
        c.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url)
        ep.next(message_type="SubscriptionConfirmation")
        time.sleep(0.5)
        sub = c.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"]
        c.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps({
            "healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 3},
            "requestPolicy": {"headerContentType": "application/json"}}))
        ep.statuses = [500, 503]
        t0 = time.monotonic()
        c.publish(TopicArn=topic, Message="eventually")
        statuses = [ep.next(message_type="Notification")[2] for _ in range(3)]
        self.assertEqual(statuses, [500, 503, 200])
        self.assertGreaterEqual(time.monotonic() - t0, 1.5)  # two retries a second apart
        # A 4xx (not 429) is the endpoint refusing: not retried.
        ep.statuses = [404]
        c.publish(TopicArn=topic, Message="refused")
        headers, _, status = ep.next(message_type="Notification")
        self.assertEqual((status, headers["content-type"]), (404, "application/json"))
        with self.assertRaises(Exception):
            ep.next(timeout=2.5, message_type="Notification")


class Authorization(unittest.TestCase):
    def client_as(self, creds, service="sns"):
        import boto3
        return boto3.session.Session().client(
            service, endpoint_url=SERVER.endpoint, region_name=SERVER.region,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken"))

    def test_identity_policies_and_the_topic_policy(self):
        c = sns()
        topic = c.create_topic(Name=name())["TopicArn"]
        # An IAM user of the account: its identity policy decides.
        iam = harness.boto3_client(SERVER, "iam")
        user = name("u")
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="pub", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": topic}]}))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        as_user = self.client_as(key)
        deadline = time.monotonic() + 10
        while True:  # a new access key is usable at once on Cenote; bounded anyway
            try:
                as_user.publish(TopicArn=topic, Message="allowed")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        status, _ = harness.error_of(as_user.delete_topic, TopicArn=topic)
        self.assertEqual(status, 403)
        # Another account: refused until the topic policy grants it (AddPermission).
        account, creds = harness.member_account(SERVER, "sns-publisher")
        other = self.client_as(creds)
        status, _ = harness.error_of(other.publish, TopicArn=topic, Message="not yet")
        self.assertEqual(status, 403)
        c.add_permission(TopicArn=topic, Label="member", AWSAccountId=[account], ActionName=["Publish"])
        other.publish(TopicArn=topic, Message="granted")
        status, _ = harness.error_of(other.get_topic_attributes, TopicArn=topic)
        self.assertEqual(status, 403)


class ToFirehose(unittest.TestCase):
    def test_records_as_the_subscription_role(self):
        c = sns()
        topic = c.create_topic(Name=name())["TopicArn"]
        s3 = harness.boto3_client(SERVER, "s3")
        bucket = name("b")
        s3.create_bucket(Bucket=bucket)
        harness.create_service_role(SERVER, "arn:aws:iam::000000000000:role/fh-delivery", "firehose.amazonaws.com",
                                    actions=("s3:*",))
        # (Debian's botocore still holds IntervalInSeconds to 60, AWS's old minimum.)
        firehose = harness.boto3_client(SERVER, "firehose", parameter_validation=False)
        stream = name("fh")
        arn = firehose.create_delivery_stream(DeliveryStreamName=stream, ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::000000000000:role/fh-delivery", "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}})["DeliveryStreamARN"]
        deadline = time.monotonic() + 30
        while firehose.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"][
                "DeliveryStreamStatus"] != "ACTIVE":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        # The role SNS assumes to write to the stream (trusted by sns.amazonaws.com, allowed to PutRecord).
        role = "arn:aws:iam::000000000000:role/sns-to-firehose"
        harness.create_service_role(SERVER, role, "sns.amazonaws.com", actions=("firehose:PutRecord",))
        self.assertEqual(code_of(c.subscribe, TopicArn=topic, Protocol="firehose", Endpoint=arn), "InvalidParameter")
        c.subscribe(TopicArn=topic, Protocol="firehose", Endpoint=arn,
                    Attributes={"SubscriptionRoleArn": role, "RawMessageDelivery": "true"})
        c.publish(TopicArn=topic, Message="to the lake\n")
        deadline = time.monotonic() + 30
        keys = []
        while not keys and time.monotonic() < deadline:
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
            time.sleep(0.2)
        self.assertTrue(keys, "nothing delivered to S3")
        self.assertEqual(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read(), b"to the lake\n")


class ToHttps(unittest.TestCase):
    def test_self_signed_endpoint_needs_the_insecure_switch(self):
        import tempfile
        work = tempfile.mkdtemp(prefix="cenote-e2e-sns-tls-")
        ep = Endpoint(tls_dir=work)
        self.addCleanup(ep.close)
        # The shared server verifies certificates: a self-signed endpoint never gets the confirmation.
        c = sns()
        topic = c.create_topic(Name=name())["TopicArn"]
        c.subscribe(TopicArn=topic, Protocol="https", Endpoint=ep.url)
        with self.assertRaises(Exception):
            ep.next(timeout=2, message_type="SubscriptionConfirmation")
        # A server started with CENOTE_SNS_HTTPS_INSECURE=1 delivers to it.
        os.environ["CENOTE_SNS_HTTPS_INSECURE"] = "1"
        try:
            insecure = harness.Server().start()
        finally:
            del os.environ["CENOTE_SNS_HTTPS_INSECURE"]
        self.addCleanup(insecure.close)
        c = harness.boto3_client(insecure, "sns")
        topic = c.create_topic(Name=name())["TopicArn"]
        c.subscribe(TopicArn=topic, Protocol="https", Endpoint=ep.url)
        _, conf, _ = ep.next(message_type="SubscriptionConfirmation")
        verify_signature(conf)
        deadline = time.monotonic() + 10
        while c.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"] == \
                "PendingConfirmation":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        c.publish(TopicArn=topic, Message="over tls")
        _, msg, _ = ep.next(message_type="Notification")
        self.assertEqual(msg["Message"], "over tls")
        verify_signature(msg)


class FromOtherServices(unittest.TestCase):
    def test_s3_notifications_and_eventbridge_rules_publish_through_the_topic_policy(self):
        c, q = sns(), sqs()
        topic = c.create_topic(Name=name())["TopicArn"]
        url = q.create_queue(QueueName=name("q"))["QueueUrl"]
        c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=allow_sns(q, url, topic),
                    Attributes={"RawMessageDelivery": "true"})
        s3 = harness.boto3_client(SERVER, "s3")
        bucket = name("b")
        s3.create_bucket(Bucket=bucket)
        # As on AWS, the topic policy must let S3 (for this bucket) and EventBridge (for this rule) publish.
        rule = name("r")
        rule_arn = f"arn:aws:events:us-east-1:000000000000:rule/{rule}"
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SNS:Publish",
             "Resource": topic, "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}}},
            {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
             "Resource": topic, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
        c.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"TopicConfigurations": [
            {"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]})
        s3.put_object(Bucket=bucket, Key="in/a.csv", Body=b"x")
        events = harness.boto3_client(SERVER, "events")
        events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["app.orders"]}))
        events.put_targets(Rule=rule, Targets=[{"Id": "topic", "Arn": topic}])
        events.put_events(Entries=[{"Source": "app.orders", "DetailType": "Order Placed", "Detail": "{}"}])
        bodies = [json.loads(m["Body"]) for m in receive_all(q, url, 3, timeout=20)]
        records = [b for b in bodies if "Records" in b]
        tests = [b for b in bodies if b.get("Event") == "s3:TestEvent"]
        rules = [b for b in bodies if b.get("source") == "app.orders"]
        self.assertEqual(len(tests), 1, bodies)
        self.assertEqual(records[0]["Records"][0]["s3"]["object"]["key"], "in/a.csv")
        self.assertEqual(rules[0]["detail-type"], "Order Placed")


class Audit(unittest.TestCase):
    def test_cloudtrail_records_management_events_not_messages(self):
        c = sns()
        n = name()
        topic = c.create_topic(Name=n)["TopicArn"]
        c.publish(TopicArn=topic, Message="secret body")
        ct = harness.boto3_client(SERVER, "cloudtrail")
        deadline = time.monotonic() + 10
        events = []
        while time.monotonic() < deadline:
            events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateTopic"}],
                                      MaxResults=50)["Events"]
            events = [json.loads(e["CloudTrailEvent"]) for e in events]
            events = [e for e in events if n in json.dumps(e.get("requestParameters"))]
            if events:
                break
            time.sleep(0.2)
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0]["eventSource"], "sns.amazonaws.com")
        # Publish is a data event (not in LookupEvents), and no message body is ever recorded.
        published = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Publish"}])
        self.assertEqual(published["Events"], [])


class SlowEndpoints(unittest.TestCase):
    def test_a_slow_http_endpoint_holds_up_no_queue(self):
        server = harness.Server().start()  # its own: the slow endpoint keeps this server's HTTP tasks busy
        self.addCleanup(server.close)
        c, q = harness.boto3_client(server, "sns"), harness.boto3_client(server, "sqs")
        topic = c.create_topic(Name=name())["TopicArn"]
        url = q.create_queue(QueueName=name("q"))["QueueUrl"]
        c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=allow_sns(q, url, topic),
                    Attributes={"RawMessageDelivery": "true"})
        ep = Endpoint()
        self.addCleanup(ep.close)
        c.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url)
        ep.next(message_type="SubscriptionConfirmation")
        deadline = time.monotonic() + 10
        while any(s["SubscriptionArn"] == "PendingConfirmation"
                  for s in c.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        ep.notification_delay = 4.0
        t0 = time.monotonic()
        for i in range(8):
            c.publish(TopicArn=topic, Message=f"m{i}")
        got = receive_all(q, url, 8, timeout=10)
        self.assertEqual(sorted(m["Body"] for m in got), [f"m{i}" for i in range(8)])
        self.assertLess(time.monotonic() - t0, 3.5, "queue deliveries waited for the slow endpoint")


class EmailAndErrors(unittest.TestCase):
    def test_email_json_sink(self):
        c = sns()
        topic = c.create_topic(Name=name())["TopicArn"]
        addr = f"{uuid.uuid4().hex[:8]}@example.com"
        c.subscribe(TopicArn=topic, Protocol="email-json", Endpoint=addr)
        sink = os.path.join(SERVER.data_dir, "sns", "email", "messages.jsonl")

        def mails(kind):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if os.path.exists(sink):
                    with open(sink) as f:
                        got = [json.loads(line) for line in f if line.strip()]
                    got = [m for m in got if m["to"] == addr and m["type"] == kind]
                    if got:
                        return got
                time.sleep(0.1)
            raise AssertionError(f"no {kind} mail to {addr}")

        conf = json.loads(mails("SubscriptionConfirmation")[0]["body"])
        verify_signature(conf)
        # Unsigned, AuthenticateOnUnsubscribe is refused (it needs an AWS signature).
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(conf["SubscribeURL"] + "&AuthenticateOnUnsubscribe=true", timeout=10)
        self.assertEqual(e.exception.code, 403)
        sub = c.confirm_subscription(TopicArn=topic, Token=conf["Token"],
                                     AuthenticateOnUnsubscribe="true")["SubscriptionArn"]
        self.assertTrue(sub.startswith(topic))
        self.assertEqual(c.get_subscription_attributes(SubscriptionArn=sub)["Attributes"][
            "ConfirmationWasAuthenticated"], "true")
        c.publish(TopicArn=topic, Message="by mail", Subject="Hi")
        mail = mails("Notification")[0]
        self.assertEqual(mail["subject"], "Hi")
        body = json.loads(mail["body"])
        self.assertEqual(body["Message"], "by mail")
        # Its UnsubscribeURL, unsigned, is refused now; a signed Unsubscribe by the owner works.
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(body["UnsubscribeURL"], timeout=10)
        self.assertEqual(e.exception.code, 403)
        c.unsubscribe(SubscriptionArn=sub)
        self.assertEqual(code_of(c.confirm_subscription, TopicArn=topic, Token="bogus"), "InvalidParameter")

    def test_subscribe_and_publish_errors(self):
        c = sns()
        topic = c.create_topic(Name=name())["TopicArn"]
        self.assertEqual(message_of(c.subscribe, TopicArn=topic, Protocol="pigeon", Endpoint="x"),
                         ("InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: pigeon"))
        self.assertEqual(code_of(c.subscribe, TopicArn=topic, Protocol="sqs", Endpoint="nope"), "InvalidParameter")
        self.assertEqual(code_of(c.subscribe, TopicArn=topic, Protocol="sms", Endpoint="+15555550100"), "InvalidParameter")
        self.assertEqual(code_of(c.subscribe, TopicArn=topic + "x", Protocol="sqs",
                                 Endpoint="arn:aws:sqs:us-east-1:000000000000:q"), "NotFound")
        self.assertEqual(message_of(c.publish, TopicArn=topic, Message="x" * (256 * 1024 + 1)),
                         ("InvalidParameter", "Invalid parameter: Message too long"))
        self.assertEqual(code_of(c.publish, PhoneNumber="+15555550100", Message="hi"), "InvalidParameter")
        self.assertEqual(code_of(c.publish, TopicArn=topic, Message="m", MessageDeduplicationId="d"), "InvalidParameter")
        self.assertEqual(code_of(c.publish, TopicArn=topic, Message="m",
                                 MessageAttributes={"a": {"DataType": "Weird", "StringValue": "x"}}), "ParameterValueInvalid")
        # Platform applications and SMS settings are not implemented: InvalidAction.
        self.assertEqual(code_of(c.list_platform_applications), "InvalidAction")


if __name__ == "__main__":
    harness.main()
