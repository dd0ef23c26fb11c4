// Internal helpers shared by the protocol codecs: scalar wire formats, percent/base64 coding and the
// codec entry points used by protocol.cpp. Not part of the public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/model/model.hpp"
#include "aws/provider.hpp"
#include "common/result.hpp"
#include "http/message.hpp"

namespace cenote::aws::protocol::wire {

// ---- protocol of a request ------------------------------------------------------------------------
enum class WireProtocol { kRestXml, kRestJson, kJson, kQuery };

// The protocol a request to `service` uses (and its response must use): the model's, except that json
// services that also speak query (SQS, CloudWatch) get query when the request has no X-Amz-Target and no
// JSON body (protocol.hpp). `headers` may be null (the model's protocol).
WireProtocol RequestProtocol(const model::ServiceModel& service, const http::Headers* headers);

// ---- encodings --------------------------------------------------------------------------------
// Percent-decodes; '+' becomes a space only when plus_is_space (form bodies and query strings).
std::string PercentDecode(std::string_view in, bool plus_is_space);
// RFC 3986 unreserved characters stay; everything else is %XX.
std::string PercentEncode(std::string_view in);
// Splits "a=1&b&c=%20" into decoded pairs, in order ("b" -> {"b", ""}).
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view query);
std::string XmlEscape(std::string_view in);

// ---- timestamps (milliseconds since the epoch) ------------------------------------------------
std::string FormatIso8601(std::int64_t ms);  // "2009-10-12T17:50:30.000Z"
std::string FormatRfc822(std::int64_t ms);   // "Wed, 21 Oct 2015 07:28:00 GMT"
// Accepts ISO 8601 (with or without fraction, 'Z' or offset), RFC 822/1123 and epoch seconds.
std::optional<std::int64_t> ParseTimestamp(std::string_view text);

// ---- scalars ------------------------------------------------------------------------------------
// Which kind of wire carries a scalar: decides the default timestamp format and blob/JSON coding.
enum class Wire { kXmlBody, kJsonBody, kHeader, kQueryString, kUri, kQueryForm };

model::TimestampFormat EffectiveFormat(const model::Member& member, Wire wire);

// Text (header, query, XML text, uri label) -> Document value for a scalar shape.
// Returns nullopt when the text does not fit the type.
std::optional<Document> ScalarFromText(const model::Member& member, std::string_view text, Wire wire);
// Document scalar -> text for the same wires. Returns nullopt when the value has the wrong JSON type.
std::optional<std::string> ScalarToText(const model::Member& member, const Document& value, Wire wire);

// ---- codecs ---------------------------------------------------------------------------------------
// A failure while decoding a body: which member path, and why (for the protocol's error message).
struct DecodeError {
  std::string path;
  std::string reason;
};

// XML body (rest-xml payloads and body members). `root` is the structure whose members are the
// children of the document element.
Result<Document> ParseXmlStructure(const model::Shape& shape, std::string_view xml, DecodeError& why,
                                   bool& malformed);
// Writes `value` (a structure) as <root_name ...>members</root_name>.
void WriteXmlStructure(std::string& out, const model::Shape& shape, const Document& value,
                       std::string_view root_name, std::string_view xmlns, bool skip_non_body_members);
void WriteXmlMember(std::string& out, const model::Member& member, const Document& value);
void WriteXmlMembers(std::string& out, const model::Shape& shape, const Document& value,
                     bool skip_non_body_members);

// JSON body <-> Document. `value` must match `shape`; unknown keys are ignored on input.
std::optional<Document> JsonToDocument(const model::Member& member, const Document& json, DecodeError& why,
                                       int depth = 0);
Document DocumentToJson(const model::Member& member, const Document& value, bool skip_non_body_members);

// query protocol: form parameters -> Document.
std::optional<Document> QueryToDocument(const model::Shape& shape,
                                        const std::vector<std::pair<std::string, std::string>>& params,
                                        DecodeError& why);

// Checks required members recursively. Returns the path of the first missing one, or "".
std::string FindMissingRequired(const model::Shape& shape, const Document& value,
                                std::string_view prefix = {}, int depth = 0);

// A Member describing `shape` as a root value (name "", no location).
model::Member RootMember(const model::Shape* shape);

}  // namespace cenote::aws::protocol::wire
