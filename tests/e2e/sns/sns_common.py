"""Helpers of the SNS end-to-end tests: an HTTP endpoint of the test (a local http.server thread) that records
what SNS POSTs and can follow SubscribeURLs, and the signature check every SNS consumer does ("Verifying the
signatures of Amazon SNS messages"), with the certificate fetched from SigningCertURL.

Standard library plus `cryptography` (Debian's python3-cryptography; any current Python's).
"""
import base64
import json
import queue
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def canonical_string(msg):
    keys = NOTIFICATION_KEYS if msg["Type"] == "Notification" else CONFIRMATION_KEYS
    return "".join(f"{k}\n{msg[k]}\n" for k in keys if k in msg)


_certs = {}


def verify_signature(msg, rewrite_host=None):
    """Raises unless msg's Signature verifies with the certificate at its SigningCertURL. `rewrite_host`
    ("127.0.0.1:port") replaces the URL's host when the server moved (a restart on another port)."""
    url = msg["SigningCertURL"]
    if rewrite_host:
        scheme, rest = url.split("://", 1)
        url = f"{scheme}://{rewrite_host}/{rest.split('/', 1)[1]}"
    if url not in _certs:
        with urllib.request.urlopen(url, timeout=10) as r:
            _certs[url] = x509.load_pem_x509_certificate(r.read())
    digest = hashes.SHA256() if msg["SignatureVersion"] == "2" else hashes.SHA1()
    _certs[url].public_key().verify(base64.b64decode(msg["Signature"]), canonical_string(msg).encode(),
                                    padding.PKCS1v15(), digest)


class Endpoint:
    """An HTTP endpoint for SNS subscriptions: every POST is recorded (headers, body) in `received`; answers
    `statuses` in turn (then 200); with `confirm`, it GETs the SubscribeURL of a SubscriptionConfirmation (as a
    real endpoint's owner would, unsigned)."""

    def __init__(self, confirm=True, port=0, tls_dir=None):
        self.received = queue.Queue()
        self.confirm = confirm
        self.statuses = []
        self.confirmed = []
        self.notification_delay = 0.0  # seconds a Notification POST waits before its answer (a slow endpoint)
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                if headers.get("x-amz-sns-message-type") == "Notification" and endpoint.notification_delay:
                    time.sleep(endpoint.notification_delay)
                status = endpoint.statuses.pop(0) if endpoint.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                endpoint.received.put((headers, body, status))
                if status == 200 and endpoint.confirm and headers.get("x-amz-sns-message-type") == \
                        "SubscriptionConfirmation":
                    url = json.loads(body)["SubscribeURL"]
                    threading.Thread(target=endpoint._confirm, args=(url,), daemon=True).start()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/sns"
        if tls_dir:
            # https with a self-signed certificate for 127.0.0.1.
            import ssl
            cert, key = self_signed(tls_dir)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}/sns"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _confirm(self, url):
        with urllib.request.urlopen(url, timeout=10) as r:
            self.confirmed.append(r.read().decode())

    def next(self, timeout=15.0, message_type=None):
        """The next (headers, message dict, status) POSTed, optionally of one x-amz-sns-message-type."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {message_type or 'POST'} within {timeout}s")
            headers, body, status = self.received.get(timeout=left)
            if message_type is None or headers.get("x-amz-sns-message-type") == message_type:
                try:
                    msg = json.loads(body)
                except ValueError:
                    msg = body
                return headers, msg, status

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def self_signed(directory):
    """(cert path, key path) of a new self-signed certificate for 127.0.0.1."""
    import datetime
    import ipaddress
    import os
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(directory, "endpoint.pem"), os.path.join(directory, "endpoint.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def allow_sns(sqs, queue_url, topic_arn):
    """The queue policy SNS needs to deliver (as on AWS): sns.amazonaws.com may SendMessage for this topic."""
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    return arn


def receive_all(sqs, queue_url, count, timeout=15.0, delete=True):
    """`count` messages from the queue (long polls until then), in receive order."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < count and time.monotonic() < deadline:
        r = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                MessageAttributeNames=["All"], AttributeNames=["All"])
        for m in r.get("Messages", []):
            out.append(m)
            if delete:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return out
