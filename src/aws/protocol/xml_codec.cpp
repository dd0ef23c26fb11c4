// XML bodies for rest-xml and the query protocol's responses.
#include <pugixml.hpp>

#include "aws/protocol/wire.hpp"
#include "common/encoding.hpp"

namespace cenote::aws::protocol::wire {

using model::Member;
using model::Shape;
using model::ShapeType;

namespace {

constexpr int kMaxDepth = 64;

std::string_view LocalName(std::string_view name) {
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

bool NameMatches(std::string_view element, std::string_view wire) {
  return element == wire || LocalName(element) == LocalName(wire);
}

// Element name of one item of a flattened list. Requests (botocore's serializer) use the member's
// name; botocore's parser prefers the list member's locationName, so accept both and write the latter.
std::string_view FlatItemName(const Member& member) {
  const Member& item = member.shape->member;
  if (!item.xml_name.empty()) return item.xml_name;
  return item.has_location_name ? std::string_view(item.location_name) : std::string_view(member.XmlName());
}

std::optional<Document> ReadNode(const Member& member, const pugi::xml_node& node, DecodeError& why,
                                 int depth);

std::optional<Document> ReadScalar(const Member& member, const pugi::xml_node& node, DecodeError& why) {
  std::string text;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) text += c.value();
  }
  auto v = ScalarFromText(member, text, Wire::kXmlBody);
  if (!v && why.reason.empty()) why.reason = "invalid value '" + text.substr(0, 64) + "'";
  return v;
}

std::optional<Document> ReadList(const Member& member, const std::vector<pugi::xml_node>& items,
                                 DecodeError& why, int depth) {
  boost::json::array out;
  for (const auto& item : items) {
    auto v = ReadNode(member.shape->member, item, why, depth + 1);
    if (!v) return std::nullopt;
    out.push_back(std::move(*v));
  }
  return Document(std::move(out));
}

std::optional<Document> ReadMapEntries(const Member& member, const std::vector<pugi::xml_node>& entries,
                                       DecodeError& why, int depth) {
  const Shape& shape = *member.shape;
  boost::json::object out;
  for (const auto& entry : entries) {
    pugi::xml_node k, v;
    for (pugi::xml_node c = entry.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      if (NameMatches(c.name(), shape.key.location_name))
        k = c;
      else if (NameMatches(c.name(), shape.value.location_name))
        v = c;
    }
    if (!k) continue;
    std::string key = k.text().get();
    if (!v) continue;
    auto value = ReadNode(shape.value, v, why, depth + 1);
    if (!value) return std::nullopt;
    out[key] = std::move(*value);
  }
  return Document(std::move(out));
}

std::optional<Document> ReadStructure(const Shape& shape, const pugi::xml_node& node, DecodeError& why,
                                      int depth) {
  boost::json::object out;
  for (const Member& m : shape.members) {
    if (m.location != model::Location::kBody) continue;
    std::optional<Document> value;
    if (m.xml_attribute) {
      for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
        if (NameMatches(a.name(), m.location_name)) {
          value = ScalarFromText(m, a.value(), Wire::kXmlBody);
          if (!value) {
            why.path = m.name;
            why.reason = "invalid attribute value";
            return std::nullopt;
          }
          break;
        }
      }
      if (value) out.emplace(m.name, std::move(*value));
      continue;
    }
    bool flat_list = m.shape->type == ShapeType::kList && m.flattened;
    bool flat_map = m.shape->type == ShapeType::kMap && m.flattened;
    if (flat_list || flat_map) {
      std::vector<pugi::xml_node> items;
      std::string_view alt = flat_list ? FlatItemName(m) : std::string_view(m.location_name);
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element &&
            (NameMatches(c.name(), m.location_name) || NameMatches(c.name(), alt))) {
          items.push_back(c);
        }
      }
      if (items.empty()) continue;
      value = flat_list ? ReadList(m, items, why, depth) : ReadMapEntries(m, items, why, depth);
    } else {
      pugi::xml_node child;
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element && NameMatches(c.name(), m.location_name)) {
          child = c;
          break;
        }
      }
      if (!child) continue;
      value = ReadNode(m, child, why, depth + 1);
    }
    if (!value) {
      why.path = m.name + (why.path.empty() ? "" : "." + why.path);
      return std::nullopt;
    }
    out.emplace(m.name, std::move(*value));
  }
  return Document(std::move(out));
}

std::optional<Document> ReadNode(const Member& member, const pugi::xml_node& node, DecodeError& why,
                                 int depth) {
  if (depth > kMaxDepth) {
    why.reason = "nesting too deep";
    return std::nullopt;
  }
  const Shape& shape = *member.shape;
  switch (shape.type) {
    case ShapeType::kStructure:
      return ReadStructure(shape, node, why, depth);
    case ShapeType::kList: {
      std::vector<pugi::xml_node> items;
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element) items.push_back(c);
      }
      return ReadList(member, items, why, depth);
    }
    case ShapeType::kMap: {
      std::vector<pugi::xml_node> entries;
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element) entries.push_back(c);
      }
      return ReadMapEntries(member, entries, why, depth);
    }
    default:
      return ReadScalar(member, node, why);
  }
}

void AppendNamespaceAttr(std::string& out, const std::string& uri, const std::string& prefix) {
  if (uri.empty()) return;
  out += prefix.empty() ? " xmlns=\"" : " xmlns:" + prefix + "=\"";
  out += XmlEscape(uri);
  out += '"';
}

void WriteValue(std::string& out, std::string_view name, const Member& member, const Document& value,
                bool with_namespace, int depth);

void WriteStructureBody(std::string& out, const Shape& shape, const Document& value, bool skip_non_body,
                        int depth) {
  if (!value.is_object()) return;
  const auto& obj = value.as_object();
  for (const Member& m : shape.members) {
    if (m.xml_attribute) continue;
    if (skip_non_body && m.location != model::Location::kBody) continue;
    const auto* v = obj.if_contains(m.name);
    if (!v || v->is_null()) continue;
    if (m.shape->type == ShapeType::kList && m.flattened) {
      if (!v->is_array()) continue;
      for (const auto& item : v->as_array())
        WriteValue(out, FlatItemName(m), m.shape->member, item, true, depth + 1);
    } else if (m.shape->type == ShapeType::kMap && m.flattened) {
      if (!v->is_object()) continue;
      const Shape& ms = *m.shape;
      for (const auto& [k, mv] : v->as_object()) {
        out += '<' + m.XmlName() + '>';
        out += '<' + ms.key.XmlName() + '>' + XmlEscape(k) + "</" + ms.key.XmlName() + '>';
        WriteValue(out, ms.value.XmlName(), ms.value, mv, true, depth + 1);
        out += "</" + m.XmlName() + '>';
      }
    } else {
      WriteValue(out, m.XmlName(), m, *v, true, depth + 1);
    }
  }
}

void WriteStartTag(std::string& out, std::string_view name, const Member& member, const Document& value,
                   bool with_namespace, std::string_view override_xmlns) {
  out += '<';
  out += name;
  if (!override_xmlns.empty()) {
    AppendNamespaceAttr(out, std::string(override_xmlns), "");
  } else if (with_namespace) {
    AppendNamespaceAttr(out, member.xml_namespace_uri, member.xml_namespace_prefix);
  }
  const Shape& shape = *member.shape;
  if (shape.type == ShapeType::kStructure && value.is_object()) {
    for (const Member& m : shape.members) {
      if (!m.xml_attribute) continue;
      const auto* v = value.as_object().if_contains(m.name);
      if (!v) continue;
      if (auto text = ScalarToText(m, *v, Wire::kXmlBody)) {
        out += ' ' + m.location_name + "=\"" + XmlEscape(*text) + '"';
      }
    }
  }
  out += '>';
}

void WriteValue(std::string& out, std::string_view name, const Member& member, const Document& value,
                bool with_namespace, int depth) {
  if (depth > kMaxDepth) return;
  const Shape& shape = *member.shape;
  switch (shape.type) {
    case ShapeType::kStructure:
      WriteStartTag(out, name, member, value, with_namespace, {});
      WriteStructureBody(out, shape, value, false, depth);
      break;
    case ShapeType::kList:
      WriteStartTag(out, name, member, value, with_namespace, {});
      if (value.is_array()) {
        for (const auto& item : value.as_array()) {
          WriteValue(out, shape.member.XmlName(), shape.member, item, true, depth + 1);
        }
      }
      break;
    case ShapeType::kMap:
      WriteStartTag(out, name, member, value, with_namespace, {});
      if (value.is_object()) {
        for (const auto& [k, v] : value.as_object()) {
          out += "<entry><" + shape.key.XmlName() + '>' + XmlEscape(k) + "</" + shape.key.XmlName() + '>';
          WriteValue(out, shape.value.XmlName(), shape.value, v, true, depth + 1);
          out += "</entry>";
        }
      }
      break;
    default: {
      auto text = ScalarToText(member, value, Wire::kXmlBody);
      if (!text) return;  // a provider bug (wrong JSON type): omit rather than emit an invalid value
      WriteStartTag(out, name, member, value, with_namespace, {});
      out += XmlEscape(*text);
      break;
    }
  }
  out += "</";
  out += name;
  out += '>';
}

}  // namespace

Result<Document> ParseXmlStructure(const Shape& shape, std::string_view xml, DecodeError& why,
                                   bool& malformed) {
  malformed = false;
  // XML 1.0 section 4.3.3: bytes that are not in the document's encoding are a fatal error. pugixml reads
  // them as they come, so a DeleteObjects key (or a tag) could otherwise name bytes that no UTF-8 client can
  // ever list or send back.
  if (!IsValidUtf8(xml)) {
    malformed = true;
    return MakeError("MalformedXML", "the document is not UTF-8");
  }
  pugi::xml_document doc;
  // parse_ws_pcdata_single: an element whose whole text is whitespace keeps it (`<Key> </Key>` is the key
  // " "), while whitespace between elements is still dropped. parse_doctype: a document type declaration
  // becomes a node, so that it can be refused as S3 refuses it (MalformedXML). pugixml itself never loads
  // external entities or expands declared ones.
  pugi::xml_parse_result parsed = doc.load_buffer(
      xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_doctype,
      pugi::encoding_utf8);
  pugi::xml_node root = doc.document_element();
  if (!parsed || !root) {
    malformed = true;
    return MakeError("MalformedXML", parsed.description());
  }
  for (pugi::xml_node n = doc.first_child(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_doctype) {
      malformed = true;
      return MakeError("MalformedXML", "document type declaration");
    }
  }
  auto value = ReadStructure(shape, root, why, 0);
  if (!value) return MakeError("MalformedXML", why.path + ": " + why.reason);
  return std::move(*value);
}

void WriteXmlStructure(std::string& out, const Shape& shape, const Document& value,
                       std::string_view root_name, std::string_view xmlns, bool skip_non_body_members) {
  Member root = RootMember(&shape);
  root.xml_namespace_uri = shape.xml_namespace_uri;
  root.xml_namespace_prefix = shape.xml_namespace_prefix;
  WriteStartTag(out, root_name, root, value, true, xmlns);
  WriteStructureBody(out, shape, value, skip_non_body_members, 0);
  out += "</";
  out += root_name;
  out += '>';
}

void WriteXmlMember(std::string& out, const Member& member, const Document& value) {
  WriteValue(out, member.XmlName(), member, value, true, 0);
}

void WriteXmlMembers(std::string& out, const Shape& shape, const Document& value,
                     bool skip_non_body_members) {
  WriteStructureBody(out, shape, value, skip_non_body_members, 0);
}

}  // namespace cenote::aws::protocol::wire
