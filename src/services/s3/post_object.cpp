// PostObject: uploads from HTML forms ("POST Object" and "Browser-based uploads using POST", S3 API
// Reference). A POST to a bucket with a multipart/form-data body: form fields say what PutObject's headers
// say (key, acl, Content-Type, x-amz-meta-*, ...), the last field is the file. The authenticate stage has
// checked the form's signature (aws/sigv4) and hands the body over from its first byte; here the policy is
// checked against the fields and the file is streamed into the write path PutObject uses.
#include <pugixml.hpp>

#include "aws/protocol/wire.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "http/multipart.hpp"
#include "services/s3/checksums.hpp"
#include "services/s3/env.hpp"
#include "services/s3/post_policy.hpp"

namespace cenote::s3 {

namespace {

// AWS limits the fields before the file to 20 KB (MaxPostPreDataLengthExceededError); the authenticate
// stage, which reads them first, holds them to the same limit.
constexpr std::size_t kMaxFieldBytes = 20 * 1024;

// Form fields that set what PutObject's headers set, as PutObject's members.
constexpr std::pair<std::string_view, std::string_view> kFieldMembers[] = {
    {"acl", "ACL"},
    {"cache-control", "CacheControl"},
    {"content-type", "ContentType"},
    {"content-disposition", "ContentDisposition"},
    {"content-encoding", "ContentEncoding"},
    {"content-language", "ContentLanguage"},
    {"x-amz-storage-class", "StorageClass"},
    {"x-amz-website-redirect-location", "WebsiteRedirectLocation"},
    {"x-amz-checksum-algorithm", "ChecksumAlgorithm"},
    {"x-amz-server-side-encryption", "ServerSideEncryption"},
    {"x-amz-server-side-encryption-aws-kms-key-id", "SSEKMSKeyId"},
    {"x-amz-server-side-encryption-customer-algorithm", "SSECustomerAlgorithm"},
    {"x-amz-server-side-encryption-customer-key-md5", "SSECustomerKeyMD5"},
};

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// The `tagging` field: a Tagging document, as PutObjectTagging's body.
Result<json::array> TagsFromXml(const std::string& xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return MakeError(errors::kMalformedXML);
  pugi::xml_node tag_set = doc.child("Tagging").child("TagSet");
  if (!tag_set) return MakeError(errors::kMalformedXML);
  json::array tags;
  for (pugi::xml_node tag : tag_set.children("Tag")) {
    pugi::xml_node key = tag.child("Key");
    if (!key) return MakeError(errors::kMalformedXML);
    tags.push_back(json::object{{"Key", key.text().get()}, {"Value", tag.child("Value").text().get()}});
  }
  return ValidateTags(tags, 10);
}

// PutObject's members from the form's fields (names lower-cased).
json::object ParamsFromFields(const PostFormFields& fields, const std::string& bucket,
                              const std::string& key) {
  json::object p;
  p["Bucket"] = bucket;
  p["Key"] = key;
  for (const auto& [field, member] : kFieldMembers) {
    if (auto it = fields.find(std::string(field)); it != fields.end()) p[member] = it->second;
  }
  for (const std::string& name : ChecksumNames()) {
    if (auto it = fields.find(AsciiLower(ChecksumHeader(name))); it != fields.end()) {
      p["Checksum" + name] = it->second;
    }
  }
  // The customer's key is a blob member: the form carries it in base64, as the header does. A field that is
  // not base64 is passed as it is, and refused as a key of the wrong length.
  if (auto it = fields.find("x-amz-server-side-encryption-customer-key"); it != fields.end()) {
    p["SSECustomerKey"] = Base64Decode(it->second).value_or(it->second);
  }
  json::object metadata;
  for (const auto& [name, value] : fields) {
    if (name.starts_with("x-amz-meta-") && name.size() > 11) metadata[name.substr(11)] = value;
  }
  if (!metadata.empty()) p["Metadata"] = std::move(metadata);
  return p;
}

// The object's URL, as the Location header and PostResponse give it: path style, or virtual-hosted when
// the request was.
std::string ObjectUrl(const RequestContext& ctx, const std::string& bucket, const std::string& key) {
  const std::string host = RawHeader(ctx, "Host").value_or("localhost");
  const std::string scheme = ctx.tls ? "https://" : "http://";
  if (AsciiLower(host).starts_with(bucket + ".")) return scheme + host + "/" + UriEncode(key, false);
  return scheme + host + "/" + bucket + "/" + UriEncode(key, false);
}

}  // namespace

Result<OperationOutput> PostObject(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(const std::string bucket, BucketParam(in));
  const std::optional<std::string> content_type = RawHeader(ctx, "Content-Type");
  std::optional<std::string> boundary = content_type ? http::FormDataBoundary(*content_type) : std::nullopt;
  if (!boundary) {
    return MakeError(errors::kPreconditionFailed)
        .With("Condition", "Bucket POST must be of the enclosure-type multipart/form-data");
  }
  if (in.body == nullptr) return MakeError(errors::kMalformedPOSTRequest);
  http::MultipartReader reader(*in.body, std::move(*boundary), MakeError(errors::kMalformedPOSTRequest));
  CENOTE_ASSIGN_OR_RETURN(
      http::FormHead head,
      http::ReadFormHead(reader, "file", kMaxFieldBytes, MakeError(errors::kMaxPostPreDataLengthExceeded)));
  // Field names are case-insensitive; the first of a repeated field counts.
  PostFormFields fields;
  for (auto& f : head.fields) fields.emplace(AsciiLower(f.name), std::move(f.value));
  auto key_field = fields.find("key");
  if (key_field == fields.end() || key_field->second.empty()) {
    return MakeError(errors::kPostMissingField, {"key"})
        .With("ArgumentName", "key")
        .With("ArgumentValue", "");
  }
  // Fields after the file are ignored, as on AWS: the file is the form's last field.
  if (!head.file) return InvalidArgumentError(errors::kPostWithoutFile, "file", "0");
  // "${filename}" in the key stands for the name of the uploaded file, before the policy sees the key.
  const std::string key = head.file->filename
                              ? ReplaceAll(key_field->second, "${filename}", *head.file->filename)
                              : key_field->second;
  key_field->second = key;
  CENOTE_RETURN_IF_ERROR(CheckObjectKey(key));
  // The bucket is a field of every form, whatever the form says: a policy must name it.
  fields["bucket"] = bucket;

  PostSizeRange sizes;
  if (!ctx.principal.anonymous) {
    // A signed form: the authenticate stage verified the signature of this policy field.
    auto policy_field = fields.find("policy");
    if (policy_field == fields.end()) {
      return MakeError(errors::kPostMissingField, {"Policy"})
          .With("ArgumentName", "Policy")
          .With("ArgumentValue", "");
    }
    CENOTE_ASSIGN_OR_RETURN(PostPolicy policy, ParsePostPolicy(policy_field->second));
    CENOTE_RETURN_IF_ERROR(CheckPostPolicy(policy, fields, UnixNowMs()));
    sizes = PolicySizeRange(policy);
  }
  // Unsigned forms are anonymous requests, which the authorize stage refuses until anonymous access to
  // public buckets lands with the identity issue: none reaches this point yet.

  json::array tags;
  if (auto tagging = fields.find("tagging"); tagging != fields.end()) {
    CENOTE_ASSIGN_OR_RETURN(tags, TagsFromXml(tagging->second));
  }
  const json::object params = ParamsFromFields(fields, bucket, key);
  http::PartReader file(reader);
  CENOTE_ASSIGN_OR_RETURN(
      WrittenObject written,
      WriteObject(env, ctx,
                  ObjectWrite{.params = params,
                              .bucket = bucket,
                              .key = key,
                              .tags = std::move(tags),
                              .body = &file,
                              .min_size = sizes.min,
                              .max_size = std::min(sizes.max, env.options.max_object_size),
                              .event = "ObjectCreated:Post"}));

  OperationOutput out;
  auto& r = out.result.as_object();
  const std::string etag = Quote(written.version.etag);
  const std::string url = ObjectUrl(ctx, bucket, key);
  r["ETag"] = etag;
  r["Location"] = url;
  if (written.version.version_id != "null") r["VersionId"] = written.version.version_id;
  // success_action_redirect (or the older `redirect`): 303 to that URL with the bucket, key and ETag added;
  // a value that is not a URL counts as absent, as on AWS.
  auto redirect = fields.find("success_action_redirect");
  if (redirect == fields.end()) redirect = fields.find("redirect");
  if (redirect != fields.end() && redirect->second.find("://") != std::string::npos) {
    std::string target = redirect->second;
    target += target.find('?') == std::string::npos ? "?" : "&";
    for (const auto& [name, value] :
         {std::pair<const char*, const std::string&>{"bucket=", bucket}, {"&key=", key}, {"&etag=", etag}}) {
      target.append(name).append(UriEncode(value, true));
    }
    r["Location"] = target;
    out.http_status = 303;
    return out;
  }
  // success_action_status: 200 and 201 as asked (201 with a PostResponse document); anything else 204.
  auto status = fields.find("success_action_status");
  const std::string asked = status == fields.end() ? "" : status->second;
  if (asked == "200") {
    out.http_status = 200;
  } else if (asked == "201") {
    out.http_status = 201;
    // The document as S3 answers it: an XML declaration and <PostResponse> without a namespace.
    std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse>";
    for (const auto& [name, value] : {std::pair<std::string_view, const std::string&>{"Location", url},
                                      {"Bucket", bucket},
                                      {"Key", key},
                                      {"ETag", etag}}) {
      doc.append("<").append(name).append(">").append(aws::protocol::wire::XmlEscape(value));
      doc.append("</").append(name).append(">");
    }
    doc.append("</PostResponse>");
    r["ContentType"] = "application/xml";
    r["PostResponse"] = doc;
  }
  return out;
}

}  // namespace cenote::s3
