// CloudTrail's per-service rules, as data: which operations are data events (AWS's "Logging data events"
// resource types: S3 object-level operations, the Kinesis and SQS data planes, Lambda Invoke, ...), which
// are read-only beyond the Get/List/Describe/Head/... naming rule, which CloudTrail does not record, and
// which members it leaves out of requestParameters / responseElements (AWS omits secrets: secret access
// keys, passwords, KMS plaintexts, record payloads). Member names are the model's, removed at any depth.
#include "services/cloudtrail/event_rules.hpp"

#include <boost/json.hpp>

namespace cenote::cloudtrail {

namespace {

constexpr std::string_view kRules = R"json({
  "s3": {
    "data": ["AbortMultipartUpload", "CompleteMultipartUpload", "CopyObject", "CreateMultipartUpload",
             "DeleteObject", "DeleteObjects", "DeleteObjectTagging", "GetObject", "GetObjectAcl",
             "GetObjectAttributes", "GetObjectLegalHold", "GetObjectRetention", "GetObjectTagging",
             "GetObjectTorrent", "HeadObject", "ListMultipartUploads", "ListObjects", "ListObjectsV2",
             "ListObjectVersions", "ListParts", "PostObject", "PutObject", "PutObjectAcl", "PutObjectLegalHold",
             "PutObjectRetention", "PutObjectTagging", "RestoreObject", "SelectObjectContent", "UploadPart",
             "UploadPartCopy", "WriteGetObjectResponse"],
    "readOnly": ["SelectObjectContent"],
    "responseNull": true,
    "redact": {"request": ["SSECustomerKey", "CopySourceSSECustomerKey", "Body"], "response": ["Body"]}
  },
  "kinesis": {
    "data": ["PutRecord", "PutRecords", "GetRecords", "GetShardIterator", "SubscribeToShard"],
    "redact": {"request": ["Data"], "response": ["Records"]}
  },
  "firehose": {
    "data": ["PutRecord", "PutRecordBatch"],
    "redact": {"request": ["Record", "Records"]}
  },
  "sqs": {
    "data": ["SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
             "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"],
    "readOnly": ["ReceiveMessage"],
    "redact": {"request": ["MessageBody"], "response": ["Messages", "Body"]}
  },
  "lambda": {"data": ["Invoke", "InvokeWithResponseStream"], "notRecorded": ["InvokeFunctionUrl"],
             "redact": {"request": ["Payload"], "response": ["Payload"]}},
  "sns": {
    "data": ["Publish", "PublishBatch"],
    "notRecorded": ["GetSigningCertificate"],
    "redact": {"request": ["Message", "Subject", "MessageAttributes"]}
  },
  "iam": {
    "redact": {"request": ["Password", "OldPassword", "NewPassword", "PrivateKey", "CertificateBody"],
               "response": ["SecretAccessKey", "Password", "PrivateKey", "ServicePassword"]}
  },
  "sts": {
    "notReadOnly": [],
    "redact": {"request": ["WebIdentityToken", "SAMLAssertion", "TokenCode"], "response": ["SecretAccessKey"]}
  },
  "kms": {
    "readOnly": ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
                 "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac",
                 "GenerateRandom", "ReEncrypt", "Sign", "Verify", "VerifyMac"],
    "redact": {"request": ["Plaintext", "CiphertextBlob", "Message", "EncryptedKeyMaterial", "ImportToken"],
               "response": ["Plaintext", "PrivateKeyPlaintext", "CiphertextBlob", "PrivateKeyCiphertextBlob",
                            "CiphertextForRecipient", "Signature", "Mac"]}
  },
  "glue": {"redact": {"request": ["PASSWORD", "ENCRYPTED_PASSWORD"], "response": ["PASSWORD", "ENCRYPTED_PASSWORD"]}},
  "secretsmanager": {"redact": {"request": ["SecretString", "SecretBinary"], "response": ["SecretString", "SecretBinary"]}},
  "cloudtrail": {"readOnly": ["LookupEvents", "ListPublicKeys"]}
})json";

}  // namespace

const std::map<std::string, ServiceRules, std::less<>>& Rules() {
  static const auto* rules = [] {
    auto* out = new std::map<std::string, ServiceRules, std::less<>>();
    boost::json::value doc = boost::json::parse(kRules);
    auto strings = [](const boost::json::object& o, std::string_view name) {
      std::set<std::string, std::less<>> set;
      if (const auto* a = o.if_contains(name); a != nullptr && a->is_array()) {
        for (const auto& v : a->as_array()) set.emplace(v.as_string());
      }
      return set;
    };
    for (const auto& [service, value] : doc.as_object()) {
      const auto& o = value.as_object();
      ServiceRules r;
      r.data = strings(o, "data");
      r.read_only = strings(o, "readOnly");
      r.not_read_only = strings(o, "notReadOnly");
      r.not_recorded = strings(o, "notRecorded");
      if (const auto* n = o.if_contains("responseNull")) r.response_null = n->as_bool();
      if (const auto* red = o.if_contains("redact"); red != nullptr) {
        r.redact_request = strings(red->as_object(), "request");
        r.redact_response = strings(red->as_object(), "response");
      }
      out->emplace(std::string(service), std::move(r));
    }
    return out;
  }();
  return *rules;
}

}  // namespace cenote::cloudtrail
