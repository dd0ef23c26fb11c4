// AWS service models: shapes, operations and service metadata, loaded from the aws-sdk v2
// `*.min.json` API models embedded in the binary (plus the overlays in src/aws/model/overlay/).
//
// Everything here is immutable once loaded: pointers and references handed out by a ServiceModel or
// the ModelRegistry stay valid for the lifetime of the model (for ModelRegistry::Embedded(), the
// process) and may be read from any thread without locking. One exception, written once: the input
// constraints of the shapes (Shape::min, max, pattern, enum_values, sensitive) are filled in by
// ServiceModel::LoadConstraints(), on first use rather than at start; read them only after calling it.
//
// min.json quirks the loader absorbs (so that consumers see the full model's meaning):
//   - shapes are referenced as {"shape":"Sxx", <member traits>} or inlined (shape + member traits mixed);
//   - a shape or member without "type" is a string;
//   - "http" omits method POST and requestUri "/" when they are the defaults;
//   - output root element names (S3) and error shapes are stripped (the overlay restores the former).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::aws::model {

enum class ShapeType {
  kStructure,
  kList,
  kMap,
  kString,
  kInteger,
  kLong,
  kFloat,
  kDouble,
  kBoolean,
  kTimestamp,
  kBlob,
};

// Where an input/output member is bound in a REST request or response.
enum class Location { kBody, kUri, kQueryString, kHeader, kHeaders, kStatusCode };

// kDefault: the protocol's default for the member's location.
enum class TimestampFormat { kDefault, kIso8601, kRfc822, kUnixTimestamp };

struct Shape;

// A reference to a shape from a structure, list or map, with the traits of the reference.
struct Member {
  std::string name;  // the model's member name: the Document key
  const Shape* shape = nullptr;
  Location location = Location::kBody;
  // Wire name: header name, query key, uri label, header prefix (kHeaders), XML element/attribute or
  // JSON key. Equal to `name` when the model gives none.
  std::string location_name;
  bool has_location_name = false;  // true when the model gave locationName explicitly
  // The member's name in query requests and XML bodies when it is not location_name: the query names of a
  // json model that also speaks query (awsQueryCompatible SQS; overlay key "queryName", a Cenote extension).
  // "" otherwise. XmlName() is the name those wires use.
  std::string xml_name;
  const std::string& XmlName() const { return xml_name.empty() ? location_name : xml_name; }
  bool required = false;
  bool xml_attribute = false;
  bool flattened = false;  // list/map flattened at this reference (or on the shape itself)
  bool streaming = false;
  bool idempotency_token = false;
  bool json_value = false;  // JSON document carried in a header (base64 encoded)
  bool host_label = false;
  bool deprecated = false;
  TimestampFormat timestamp_format = TimestampFormat::kDefault;  // reference's or shape's explicit format
  std::string xml_namespace_uri;
  std::string xml_namespace_prefix;
};

struct Shape {
  ShapeType type = ShapeType::kString;
  std::string name;  // "" for shapes inlined in the min.json
  // Structure: members in model order.
  std::vector<Member> members;
  std::string payload;                     // structure: name of the payload member, or ""
  const Member* payload_member = nullptr;  // structure: the payload member, or null
  // List: the element reference. Map: key and value references.
  Member member;
  Member key;
  Member value;
  bool flattened = false;
  bool streaming = false;  // blob streamed outside the document
  bool sensitive = false;  // a constraint (see below): validation errors do not echo the value
  bool document = false;   // free-form JSON document (kept as-is in the Document)
  bool exception = false;
  bool event_stream = false;
  TimestampFormat timestamp_format = TimestampFormat::kDefault;
  std::string location_name;  // XML root element name, when the model gives one (output root)
  std::string xml_namespace_uri;
  std::string xml_namespace_prefix;
  // Input constraints: botocore's validation traits, which min.json strips, from the overlay
  // <uid>.constraints.json; set by ServiceModel::LoadConstraints(). min and max bound the length of a
  // string (in UTF-16 code units, as AWS's Java services count) or of a blob (bytes), the number of
  // elements of a list or map, or the value of a number.
  std::optional<double> min;
  std::optional<double> max;
  std::string pattern;                   // Java regular expression the whole string must match; "" = none
  std::vector<std::string> enum_values;  // the allowed strings; empty = any

  const Member* FindMember(std::string_view member_name) const;
  bool IsScalar() const {
    return type != ShapeType::kStructure && type != ShapeType::kList && type != ShapeType::kMap;
  }
};

// A REST URI template split at '?': "/{Bucket}/{Key+}?uploads" -> path "/{Bucket}/{Key+}" and the
// literal query keys {"uploads", ""}; "?list-type=2" -> {"list-type", "2"}.
struct QueryLiteral {
  std::string key;
  std::string value;  // "" when the template gives only the key
  bool has_value = false;
};

// One piece of a REST path template: literal text, a label ("{Bucket}") or a greedy label ("{Key+}").
struct PathToken {
  std::string text;  // literal text, or the label name without braces and '+'
  bool label = false;
  bool greedy = false;
};

struct Operation {
  std::string name;
  std::string http_method = "POST";
  std::string request_uri = "/";
  std::string path_template = "/";
  std::vector<PathToken> path_tokens;  // path_template, split for matching
  std::vector<QueryLiteral> query_literals;
  int response_code = 200;
  const Shape* input = nullptr;   // null when the operation has no input
  const Shape* output = nullptr;  // null when the operation has no output
  // Root element name of the XML body (rest-xml input payload root; S3 output roots from the overlay).
  std::string input_root_name;
  std::string output_root_name;
  std::string output_result_wrapper;  // query protocol: "<Op>Result"
  std::string input_xml_namespace;    // rest-xml request body namespace
  std::string output_xml_namespace;
  bool deprecated = false;
  std::string alias;     // e.g. "GetService" for S3 ListBuckets
  std::string authtype;  // "none", "v4-unsigned-body", ... ("" = the service default)
  bool http_checksum_required = false;
  bool unsigned_payload = false;

  // True when the input has a streaming blob payload (S3 PutObject, UploadPart): the protocol layer
  // leaves the body unread for the provider.
  bool HasStreamingInput() const;
  // True when the output has a streaming blob payload (S3 GetObject).
  bool HasStreamingOutput() const;
};

// The text a ServiceModel is built from.
struct ModelSource {
  std::string_view model;                  // the min.json
  std::vector<std::string_view> overlays;  // RFC 7386 merge patches, applied in this order at load
  std::string_view constraints;            // the constraint overlay (may be empty): see LoadConstraints
};

class ServiceModel {
 public:
  // Builds a model from min.json text with the overlays applied first. The constraint overlay is copied
  // and applied later, by LoadConstraints(). Fails with InternalError (code "InvalidModel") on
  // malformed JSON or dangling shape references.
  static Result<std::unique_ptr<ServiceModel>> Parse(const ModelSource& source);
  // Reads only the metadata (of the model and of the overlays) now; the shapes and operations are parsed
  // on the model's first use (FindOperation, operations(), FindShape, LoadConstraints, a rest-xml
  // xml_namespace()), once, thread-safely. `source`'s text must outlive the model (the embedded models
  // do). For the server's start: parsing every model up front cost most of its start time.
  static Result<std::unique_ptr<ServiceModel>> ParseLazily(const ModelSource& source);
  // The same as Parse with at most one overlay and no constraints.
  static Result<std::unique_ptr<ServiceModel>> Parse(std::string_view model_json,
                                                     std::string_view overlay_json = {});

  ServiceModel(const ServiceModel&) = delete;
  ServiceModel& operator=(const ServiceModel&) = delete;
  ~ServiceModel();

  const std::string& uid() const { return uid_; }                          // "s3-2006-03-01"
  const std::string& endpoint_prefix() const { return endpoint_prefix_; }  // "s3"
  const std::string& signing_name() const { return signing_name_; }        // endpoint prefix when absent
  const std::string& service_id() const { return service_id_; }            // "S3"
  const std::string& protocol() const { return protocol_; }  // "rest-xml", "rest-json", "json", "query"
  const std::vector<std::string>& protocols() const { return protocols_; }
  const std::string& json_version() const { return json_version_; }    // "1.0" / "1.1" / ""
  const std::string& target_prefix() const { return target_prefix_; }  // "AWSGlue"
  const std::string& api_version() const { return api_version_; }
  // Response namespace: metadata xmlNamespace (query services) or, for rest-xml, the namespace the
  // model's request payloads use (S3: http://s3.amazonaws.com/doc/2006-03-01/).
  const std::string& xml_namespace() const;
  bool aws_query_compatible() const { return aws_query_compatible_; }
  // The error code of input-constraint violations for json and rest-json requests: the overlay's
  // metadata "validationErrorCode" (a Cenote extension; Athena: "InvalidRequestException"), else
  // "ValidationException". (Query requests always get "ValidationError".)
  const std::string& validation_error_code() const { return validation_error_code_; }
  // For query requests: the error code of a missing required member when the service answers it alone,
  // before other constraints (the overlay's metadata "requiredMemberErrorCode", a Cenote extension; SQS:
  // "MissingParameter"), else "" (reported with the other violations, "Member must not be null").
  const std::string& required_member_error_code() const { return required_member_error_code_; }
  // The code of a denial when the service does not use its protocol's (the overlay's metadata
  // "accessDeniedCode", a Cenote extension; SNS: "AuthorizationError"), else "".
  const std::string& access_denied_code() const { return access_denied_code_; }

  // Applies the constraint overlay (min, max, pattern, enum, sensitive of input shapes) on the first call;
  // later calls return its outcome at once. Thread-safe. Deferred because parsing every model's constraints
  // at start would cost more than the whole server start is allowed (DESIGN.md: ready in <= 20 ms), while a
  // service's first request pays only for its own. Fails with InvalidModel when the overlay is malformed
  // or names an operation, shape or member the model lacks; the shapes then carry no constraints.
  Status LoadConstraints() const;

  const Operation* FindOperation(std::string_view name) const;
  const std::vector<const Operation*>& operations() const;
  const Shape* FindShape(std::string_view name) const;

 private:
  ServiceModel() = default;
  class Builder;

  Status ApplyConstraints();
  // Builds the shapes and operations of a lazily parsed model (once; see ParseLazily).
  void EnsureBody() const;

  std::string uid_, endpoint_prefix_, signing_name_, service_id_, protocol_, json_version_, target_prefix_,
      api_version_, xml_namespace_;
  std::string validation_error_code_ = "ValidationException";
  std::string required_member_error_code_;
  std::string access_denied_code_;
  std::vector<std::string> protocols_;
  bool aws_query_compatible_ = false;
  std::deque<Shape> shapes_;  // named and inline shapes; deque keeps addresses stable
  std::map<std::string, const Shape*, std::less<>> named_shapes_;
  std::deque<Operation> operation_storage_;
  std::map<std::string, const Operation*, std::less<>> operations_by_name_;
  std::vector<const Operation*> operation_list_;
  // ParseLazily's text, parsed by EnsureBody; body_once_ is done at once for models parsed eagerly.
  ModelSource lazy_source_;
  mutable std::once_flag body_once_;
  // The constraint overlay until LoadConstraints applies it (then released).
  std::string constraints_json_;
  mutable std::once_flag constraints_once_;
  mutable Status constraints_status_;
};

class ModelRegistry {
 public:
  // The models embedded in the binary, loaded on first use (thread-safe), immutable afterwards.
  // A model that fails to load is logged and skipped (it cannot: CI loads them all in a test).
  static const ModelRegistry& Embedded();

  // Builds a registry from (min.json, overlay) text pairs, e.g. for tests. Fails on the first bad model.
  static Result<std::unique_ptr<ModelRegistry>> FromSources(
      const std::vector<std::pair<std::string_view, std::string_view>>& sources);

  const ServiceModel* ByEndpointPrefix(std::string_view prefix) const;
  // Exact target prefix ("AWSGlue"); CloudTrail's short form "CloudTrail_20131101" is accepted too.
  const ServiceModel* ByTargetPrefix(std::string_view prefix) const;
  const ServiceModel* BySigningName(std::string_view name) const;
  const std::vector<const ServiceModel*>& services() const { return service_list_; }

  // How long Embedded() took to parse every model, in microseconds (for logs and the report). Constraint
  // overlays are not part of it: each is applied on its model's first LoadConstraints().
  std::int64_t load_micros() const { return load_micros_; }

 private:
  void Add(std::unique_ptr<ServiceModel> model);

  std::vector<std::unique_ptr<ServiceModel>> models_;
  std::vector<const ServiceModel*> service_list_;
  std::map<std::string, const ServiceModel*, std::less<>> by_endpoint_prefix_, by_target_prefix_,
      by_signing_name_;
  std::int64_t load_micros_ = 0;
};

}  // namespace cenote::aws::model
