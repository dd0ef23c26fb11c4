// CBOR (RFC 8949) body coding for the json protocol: the AWS Java SDK and the KCL send Kinesis requests
// as `Content-Type: application/x-amz-cbor-1.1` and expect CBOR responses and errors back. Internal to
// src/aws/protocol (protocol.cpp chooses CBOR from the request's Content-Type); not a public API.
//
// Supported subset: unsigned/negative integers, byte and text strings (definite and indefinite length),
// arrays and maps (definite and indefinite), tags (tag 1 = epoch time; other tags are ignored and their
// content kept), false/true/null/undefined, half/single/double floats. All functions are pure, thread-safe
// and never throw.
#pragma once

#include <string>
#include <string_view>

#include "aws/model/model.hpp"
#include "aws/provider.hpp"
#include "common/result.hpp"

namespace cenote::aws::protocol::cbor {

inline constexpr std::string_view kContentType = "application/x-amz-cbor-1.1";

// Decodes exactly one CBOR data item (trailing bytes are an error) into the JSON text model the json
// protocol decoder (wire::JsonToDocument) understands: byte strings become base64 text (blob members),
// tag-1 epoch times become epoch seconds (timestamp members), map keys must be text. The AWS Java SDKs
// send tag 1 with integer epoch *milliseconds* (SdkCborGenerator: writeTag(1); writeNumber(toEpochMilli)),
// RFC 8949 says seconds: an integer of magnitude >= 1e11 (year 5138 in seconds) is read as milliseconds.
// Nesting deeper than 64 levels, truncated input, reserved additional-information values, non-text map
// keys and stray "break" bytes fail with SerializationException (400).
Result<Document> DecodeToJson(std::string_view bytes);

// Writes `value` (a Document shaped by `member`, see provider.hpp) as CBOR: structures as maps keyed by
// the members' wire names (skipping non-body members at the root when skip_non_body_members), blobs as
// byte strings, timestamps as tag 1 + integer epoch milliseconds (what the Java SDKs parse), documents
// and everything else by its JSON type.
void EncodeMember(std::string& out, const model::Member& member, const Document& value,
                  bool skip_non_body_members);

// Writes a plain JSON value as CBOR (strings as text strings). Used for error bodies.
void EncodeJson(std::string& out, const Document& value);

}  // namespace cenote::aws::protocol::cbor
