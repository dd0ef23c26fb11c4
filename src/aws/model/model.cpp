#include "aws/model/model.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>

#include "aws/model/embedded.hpp"

namespace cenote::aws::model {

namespace json = boost::json;

namespace {

Error ModelError(std::string message) { return MakeError("InvalidModel", std::move(message), 500); }

std::string StringOr(const json::object& o, std::string_view key, std::string fallback = {}) {
  if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return fallback;
}

bool BoolOf(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

// RFC 7386 JSON merge patch.
void MergePatch(json::value& target, const json::value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  json::object& t = target.as_object();
  for (const auto& [key, value] : patch.as_object()) {
    if (value.is_null()) {
      t.erase(key);
    } else {
      MergePatch(t[key], value);
    }
  }
}

Result<ShapeType> ParseType(std::string_view type) {
  static const std::pair<std::string_view, ShapeType> kTypes[] = {
      {"structure", ShapeType::kStructure},
      {"list", ShapeType::kList},
      {"map", ShapeType::kMap},
      {"string", ShapeType::kString},
      {"integer", ShapeType::kInteger},
      {"long", ShapeType::kLong},
      {"float", ShapeType::kFloat},
      {"double", ShapeType::kDouble},
      {"boolean", ShapeType::kBoolean},
      {"timestamp", ShapeType::kTimestamp},
      {"blob", ShapeType::kBlob},
      {"byte", ShapeType::kInteger},
      {"short", ShapeType::kInteger},
      {"character", ShapeType::kString},
      {"bigdecimal", ShapeType::kDouble},
      {"biginteger", ShapeType::kLong},
  };
  for (const auto& [name, t] : kTypes) {
    if (name == type) return t;
  }
  return ModelError("unknown shape type " + std::string(type));
}

TimestampFormat ParseTimestampFormat(std::string_view f) {
  if (f == "iso8601") return TimestampFormat::kIso8601;
  if (f == "rfc822") return TimestampFormat::kRfc822;
  if (f == "unixTimestamp") return TimestampFormat::kUnixTimestamp;
  return TimestampFormat::kDefault;
}

Location ParseLocation(std::string_view l) {
  if (l == "uri") return Location::kUri;
  if (l == "querystring") return Location::kQueryString;
  if (l == "header") return Location::kHeader;
  if (l == "headers") return Location::kHeaders;
  if (l == "statusCode") return Location::kStatusCode;
  return Location::kBody;
}

std::vector<PathToken> TokenizePath(std::string_view tpl) {
  std::vector<PathToken> tokens;
  while (!tpl.empty()) {
    auto open = tpl.find('{');
    if (open != 0) {
      tokens.push_back({std::string(tpl.substr(0, open)), false, false});
      if (open == std::string_view::npos) break;
      tpl.remove_prefix(open);
    }
    auto close = tpl.find('}');
    if (close == std::string_view::npos) {
      tokens.push_back({std::string(tpl), false, false});
      break;
    }
    std::string name(tpl.substr(1, close - 1));
    bool greedy = !name.empty() && name.back() == '+';
    if (greedy) name.pop_back();
    tokens.push_back({std::move(name), true, greedy});
    tpl.remove_prefix(close + 1);
  }
  return tokens;
}

void SplitRequestUri(Operation& op) {
  std::string_view uri = op.request_uri;
  auto q = uri.find('?');
  op.path_template = std::string(uri.substr(0, q));
  op.path_tokens = TokenizePath(op.path_template);
  if (q == std::string_view::npos) return;
  std::string_view rest = uri.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    if (!part.empty()) {
      QueryLiteral lit;
      auto eq = part.find('=');
      lit.key = std::string(part.substr(0, eq));
      if (eq != std::string_view::npos) {
        lit.value = std::string(part.substr(eq + 1));
        lit.has_value = true;
      }
      op.query_literals.push_back(std::move(lit));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
}

}  // namespace

const Member* Shape::FindMember(std::string_view member_name) const {
  for (const Member& m : members) {
    if (m.name == member_name) return &m;
  }
  return nullptr;
}

bool Operation::HasStreamingInput() const {
  return input && input->payload_member && input->payload_member->shape->type == ShapeType::kBlob &&
         (input->payload_member->streaming || input->payload_member->shape->streaming);
}

bool Operation::HasStreamingOutput() const {
  return output && output->payload_member && output->payload_member->shape->type == ShapeType::kBlob &&
         (output->payload_member->streaming || output->payload_member->shape->streaming);
}

// Turns the raw JSON into shapes. Named shapes are allocated first so that references (including
// recursive ones) resolve to stable addresses, then filled.
class ServiceModel::Builder {
 public:
  explicit Builder(ServiceModel& m) : m_(m) {}

  // Everything (eager parsing): the metadata, then the shapes and operations.
  Status Build(const json::object& root) {
    const json::object* metadata = root.contains("metadata") ? root.at("metadata").if_object() : nullptr;
    if (!metadata) return ModelError("model has no metadata");
    CENOTE_RETURN_IF_ERROR(ReadMetadata(*metadata));
    return BuildBody(root);
  }

  // The metadata only: what the registry indexes and the pipeline reads before it needs an operation.
  Status ReadMetadata(const json::object& metadata_object) {
    const json::object* metadata = &metadata_object;
    m_.uid_ = StringOr(*metadata, "uid");
    m_.endpoint_prefix_ = StringOr(*metadata, "endpointPrefix");
    m_.signing_name_ = StringOr(*metadata, "signingName", m_.endpoint_prefix_);
    m_.service_id_ = StringOr(*metadata, "serviceId");
    m_.protocol_ = StringOr(*metadata, "protocol");
    m_.json_version_ = StringOr(*metadata, "jsonVersion");
    m_.target_prefix_ = StringOr(*metadata, "targetPrefix");
    m_.api_version_ = StringOr(*metadata, "apiVersion");
    m_.xml_namespace_ = StringOr(*metadata, "xmlNamespace");
    m_.validation_error_code_ = StringOr(*metadata, "validationErrorCode", "ValidationException");
    m_.required_member_error_code_ = StringOr(*metadata, "requiredMemberErrorCode");
    m_.access_denied_code_ = StringOr(*metadata, "accessDeniedCode");
    m_.aws_query_compatible_ = metadata->contains("awsQueryCompatible");
    if (const auto* p = metadata->if_contains("protocols"); p && p->is_array()) {
      for (const auto& v : p->as_array()) {
        if (v.is_string()) m_.protocols_.emplace_back(v.as_string());
      }
    }
    if (m_.protocols_.empty()) m_.protocols_.push_back(m_.protocol_);
    if (m_.endpoint_prefix_.empty() || m_.protocol_.empty())
      return ModelError("model lacks endpointPrefix/protocol");
    return Status::Ok();
  }

  // The shapes and operations (lazily, on the model's first use; the metadata is already read).
  Status BuildBody(const json::object& root) {
    static const json::object kEmpty;
    const json::object* shapes = root.contains("shapes") ? root.at("shapes").if_object() : &kEmpty;
    if (!shapes) return ModelError("shapes is not an object");
    shapes_json_ = shapes;
    for (const auto& [name, def] : *shapes) {
      Shape& s = m_.shapes_.emplace_back();
      s.name = std::string(name);
      m_.named_shapes_.emplace(s.name, &s);
      (void)def;
    }
    // Two passes: a reference copies traits (flattened, xmlNamespace, timestampFormat, ...) from the
    // shape it names, so every named shape's own traits must be known before any members resolve.
    for (bool traits_only : {true, false}) {
      for (const auto& [name, def] : *shapes) {
        if (!def.is_object()) return ModelError("shape " + std::string(name) + " is not an object");
        Shape* s = const_cast<Shape*>(m_.named_shapes_.at(name));
        CENOTE_RETURN_IF_ERROR(FillShape(*s, def.as_object(), traits_only));
      }
    }

    const json::object* ops = root.contains("operations") ? root.at("operations").if_object() : nullptr;
    if (!ops) return ModelError("model has no operations");
    for (const auto& [name, def] : *ops) {
      if (!def.is_object()) return ModelError("operation " + std::string(name) + " is not an object");
      CENOTE_RETURN_IF_ERROR(AddOperation(std::string(name), def.as_object()));
    }
    if (m_.xml_namespace_.empty() && m_.protocol_ == "rest-xml") {
      for (const Operation* op : m_.operation_list_) {
        if (!op->input_xml_namespace.empty()) {
          m_.xml_namespace_ = op->input_xml_namespace;
          break;
        }
      }
    }
    return Status::Ok();
  }

 private:
  Status AddOperation(std::string name, const json::object& def) {
    Operation& op = m_.operation_storage_.emplace_back();
    op.name = std::move(name);
    if (const auto* http = def.if_contains("http"); http && http->is_object()) {
      const auto& h = http->as_object();
      op.http_method = StringOr(h, "method", "POST");
      op.request_uri = StringOr(h, "requestUri", "/");
      if (const auto* rc = h.if_contains("responseCode"); rc && rc->is_int64()) {
        op.response_code = static_cast<int>(rc->as_int64());
      }
    }
    SplitRequestUri(op);
    op.deprecated = BoolOf(def, "deprecated");
    op.alias = StringOr(def, "alias");
    op.authtype = StringOr(def, "authtype");
    op.unsigned_payload = BoolOf(def, "unsignedPayload");
    if (const auto* hc = def.if_contains("httpChecksum"); hc && hc->is_object()) {
      op.http_checksum_required = BoolOf(hc->as_object(), "requestChecksumRequired");
    }
    if (const auto* in = def.if_contains("input"); in && in->is_object()) {
      Member ref;
      CENOTE_RETURN_IF_ERROR(ResolveRef(ref, in->as_object()));
      op.input = ref.shape;
      op.input_root_name = ref.has_location_name ? ref.location_name : ref.shape->location_name;
      op.input_xml_namespace =
          !ref.xml_namespace_uri.empty() ? ref.xml_namespace_uri : ref.shape->xml_namespace_uri;
      // rest-xml input roots live on the payload member ("CompleteMultipartUpload").
      if (op.input->payload_member && op.input->payload_member->shape->type == ShapeType::kStructure) {
        const Member& pm = *op.input->payload_member;
        op.input_root_name = pm.location_name;
        if (!pm.xml_namespace_uri.empty()) op.input_xml_namespace = pm.xml_namespace_uri;
      }
    }
    if (const auto* out = def.if_contains("output"); out && out->is_object()) {
      Member ref;
      CENOTE_RETURN_IF_ERROR(ResolveRef(ref, out->as_object()));
      op.output = ref.shape;
      op.output_root_name = ref.has_location_name ? ref.location_name : ref.shape->location_name;
      op.output_xml_namespace =
          !ref.xml_namespace_uri.empty() ? ref.xml_namespace_uri : ref.shape->xml_namespace_uri;
      op.output_result_wrapper = StringOr(out->as_object(), "resultWrapper");
    }
    m_.operations_by_name_.emplace(op.name, &op);
    m_.operation_list_.push_back(&op);
    return Status::Ok();
  }

  // Resolves a member reference: {"shape": "Sxx", traits...} or an inline shape with traits mixed in.
  Status ResolveRef(Member& member, const json::object& def) {
    if (++depth_ > 64) return ModelError("inline shapes nested too deeply");
    struct DepthGuard {
      int& d;
      ~DepthGuard() { --d; }
    } guard{depth_};
    if (const auto* ref = def.if_contains("shape")) {
      if (!ref->is_string()) return ModelError("shape reference is not a string");
      auto it = m_.named_shapes_.find(std::string_view(ref->as_string()));
      if (it == m_.named_shapes_.end())
        return ModelError("dangling shape reference " + std::string(ref->as_string()));
      member.shape = it->second;
    } else {
      Shape& s = m_.shapes_.emplace_back();
      CENOTE_RETURN_IF_ERROR(FillShape(s, def));
      member.shape = &s;
    }
    const Shape& s = *member.shape;
    member.location = ParseLocation(StringOr(def, "location"));
    if (const auto* ln = def.if_contains("locationName"); ln && ln->is_string()) {
      member.location_name = std::string(ln->as_string());
      member.has_location_name = true;
    }
    member.xml_name = StringOr(def, "queryName");
    member.xml_attribute = BoolOf(def, "xmlAttribute");
    member.flattened = BoolOf(def, "flattened") || s.flattened;
    member.streaming = BoolOf(def, "streaming") || s.streaming;
    member.idempotency_token = BoolOf(def, "idempotencyToken");
    member.json_value = BoolOf(def, "jsonvalue");
    member.host_label = BoolOf(def, "hostLabel");
    member.deprecated = BoolOf(def, "deprecated");
    TimestampFormat tf = ParseTimestampFormat(StringOr(def, "timestampFormat"));
    member.timestamp_format = tf != TimestampFormat::kDefault ? tf : s.timestamp_format;
    if (const auto* ns = def.if_contains("xmlNamespace"); ns && ns->is_object()) {
      member.xml_namespace_uri = StringOr(ns->as_object(), "uri");
      member.xml_namespace_prefix = StringOr(ns->as_object(), "prefix");
    } else {
      member.xml_namespace_uri = s.xml_namespace_uri;
      member.xml_namespace_prefix = s.xml_namespace_prefix;
    }
    return Status::Ok();
  }

  Status FillShape(Shape& s, const json::object& def, bool traits_only = false) {
    if (const auto* t = def.if_contains("type"); t && t->is_string()) {
      auto type = ParseType(t->as_string());
      if (!type) return std::move(type).error();
      s.type = *type;
    } else if (def.contains("members")) {
      s.type = ShapeType::kStructure;
    } else {
      s.type = ShapeType::kString;
    }
    s.flattened = BoolOf(def, "flattened");
    s.streaming = BoolOf(def, "streaming");
    s.sensitive = BoolOf(def, "sensitive");
    s.document = BoolOf(def, "document");
    s.exception = BoolOf(def, "exception");
    s.event_stream = BoolOf(def, "eventstream");
    s.timestamp_format = ParseTimestampFormat(StringOr(def, "timestampFormat"));
    s.location_name = StringOr(def, "locationName");
    if (const auto* ns = def.if_contains("xmlNamespace"); ns && ns->is_object()) {
      s.xml_namespace_uri = StringOr(ns->as_object(), "uri");
      s.xml_namespace_prefix = StringOr(ns->as_object(), "prefix");
    }
    s.enum_values.clear();
    if (const auto* e = def.if_contains("enum"); e && e->is_array()) {
      for (const auto& v : e->as_array()) {
        if (v.is_string()) s.enum_values.emplace_back(v.as_string());
      }
    }
    if (traits_only) return Status::Ok();
    switch (s.type) {
      case ShapeType::kStructure: {
        std::set<std::string, std::less<>> required;
        if (const auto* r = def.if_contains("required"); r && r->is_array()) {
          for (const auto& v : r->as_array()) {
            if (v.is_string()) required.emplace(v.as_string());
          }
        }
        if (const auto* ms = def.if_contains("members"); ms && ms->is_object()) {
          s.members.reserve(ms->as_object().size());
          for (const auto& [name, mdef] : ms->as_object()) {
            if (!mdef.is_object()) return ModelError("member " + std::string(name) + " is not an object");
            Member m;
            m.name = std::string(name);
            CENOTE_RETURN_IF_ERROR(ResolveRef(m, mdef.as_object()));
            if (!m.has_location_name) m.location_name = m.name;
            m.required = required.contains(m.name);
            s.members.push_back(std::move(m));
          }
        }
        s.payload = StringOr(def, "payload");
        if (!s.payload.empty()) s.payload_member = s.FindMember(s.payload);
        break;
      }
      case ShapeType::kList: {
        const auto* md = def.if_contains("member");
        if (!md || !md->is_object()) return ModelError("list shape without member");
        CENOTE_RETURN_IF_ERROR(ResolveRef(s.member, md->as_object()));
        s.member.name = "member";
        if (!s.member.has_location_name) s.member.location_name = "member";
        break;
      }
      case ShapeType::kMap: {
        const auto* kd = def.if_contains("key");
        const auto* vd = def.if_contains("value");
        if (!kd || !kd->is_object() || !vd || !vd->is_object())
          return ModelError("map shape without key/value");
        CENOTE_RETURN_IF_ERROR(ResolveRef(s.key, kd->as_object()));
        CENOTE_RETURN_IF_ERROR(ResolveRef(s.value, vd->as_object()));
        s.key.name = "key";
        s.value.name = "value";
        if (!s.key.has_location_name) s.key.location_name = "key";
        if (!s.value.has_location_name) s.value.location_name = "value";
        break;
      }
      default:
        break;
    }
    return Status::Ok();
  }

  ServiceModel& m_;
  const json::object* shapes_json_ = nullptr;
  int depth_ = 0;
};

ServiceModel::~ServiceModel() = default;

namespace {

// The whole model: the min.json with the overlays merged in.
Result<json::value> ParseSource(const ModelSource& source) {
  boost::system::error_code ec;
  json::value root = json::parse(source.model, ec);
  if (ec || !root.is_object()) return ModelError("model is not valid JSON: " + ec.message());
  for (std::string_view overlay : source.overlays) {
    if (overlay.empty()) continue;
    json::value patch = json::parse(overlay, ec);
    if (ec) return ModelError("overlay is not valid JSON: " + ec.message());
    if (patch.is_object()) patch.as_object().erase("//");  // the overlay's documentation key
    MergePatch(root, patch);
  }
  return root;
}

// The raw text of the top-level member `key` of the JSON object `text`, found without parsing the rest:
// a model's "metadata" comes before its large "operations" and "shapes", so this reads a few hundred bytes
// of a 300 KB model. nullopt when absent or when the text is not an object this scanner can follow.
std::optional<std::string_view> TopLevelMember(std::string_view text, std::string_view key) {
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) ++i;
  };
  // Past a JSON string starting at text[i] == '"'; returns its raw contents.
  auto read_string = [&]() -> std::optional<std::string_view> {
    std::size_t start = ++i;
    while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
    if (i >= text.size()) return std::nullopt;
    return text.substr(start, i++ - start);
  };
  // Past any JSON value starting at text[i].
  auto skip_value = [&]() -> bool {
    int depth = 0;
    do {
      if (i >= text.size()) return false;
      char c = text[i];
      if (c == '"') {
        if (!read_string()) return false;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') --depth;
      if (depth < 0) return false;
      ++i;
      if (depth == 0 && c != '{' && c != '[' && c != '}' && c != ']') {
        // a scalar: up to the next delimiter
        while (i < text.size() && text[i] != ',' && text[i] != '}' && text[i] != ']') ++i;
      }
    } while (depth > 0);
    return true;
  };
  skip_space();
  if (i >= text.size() || text[i] != '{') return std::nullopt;
  ++i;
  while (true) {
    skip_space();
    if (i >= text.size() || text[i] != '"') return std::nullopt;
    auto name = read_string();
    if (!name) return std::nullopt;
    skip_space();
    if (i >= text.size() || text[i] != ':') return std::nullopt;
    ++i;
    skip_space();
    std::size_t value_start = i;
    if (!skip_value()) return std::nullopt;
    if (*name == key) return text.substr(value_start, i - value_start);
    skip_space();
    if (i >= text.size() || text[i] != ',') return std::nullopt;
    ++i;
  }
}

}  // namespace

Result<std::unique_ptr<ServiceModel>> ServiceModel::Parse(const ModelSource& source) {
  CENOTE_ASSIGN_OR_RETURN(json::value root, ParseSource(source));
  std::unique_ptr<ServiceModel> model(new ServiceModel());
  Builder builder(*model);
  CENOTE_RETURN_IF_ERROR(builder.Build(root.as_object()));
  model->constraints_json_ = std::string(source.constraints);
  std::call_once(model->body_once_, [] {});  // the body is built: EnsureBody() has nothing to do
  return model;
}

Result<std::unique_ptr<ServiceModel>> ServiceModel::ParseLazily(const ModelSource& source) {
  // The metadata of the model and of its overlays (an overlay may add Cenote's metadata keys).
  auto metadata_text = TopLevelMember(source.model, "metadata");
  if (!metadata_text) return ModelError("model has no metadata object at its top level");
  boost::system::error_code ec;
  json::value metadata = json::parse(*metadata_text, ec);
  if (ec || !metadata.is_object()) return ModelError("model metadata is not valid JSON: " + ec.message());
  for (std::string_view overlay : source.overlays) {
    if (overlay.empty()) continue;
    json::value patch = json::parse(overlay, ec);  // overlays are small; only the base ones are here
    if (ec) return ModelError("overlay is not valid JSON: " + ec.message());
    if (const auto* m = patch.is_object() ? patch.as_object().if_contains("metadata") : nullptr) {
      MergePatch(metadata, *m);
    }
  }
  std::unique_ptr<ServiceModel> model(new ServiceModel());
  Builder builder(*model);
  CENOTE_RETURN_IF_ERROR(builder.ReadMetadata(metadata.as_object()));
  model->lazy_source_ = source;
  model->constraints_json_ = std::string(source.constraints);
  return model;
}

void ServiceModel::EnsureBody() const {
  std::call_once(body_once_, [this] {
    // The shapes and operations are this model's own (non-const) members; building them once, here, before
    // any caller of the accessors that wait for them reads them, is what the header's note promises.
    ServiceModel& self = const_cast<ServiceModel&>(*this);
    Result<json::value> root = ParseSource(lazy_source_);
    Status st = root ? Builder(self).BuildBody(root->as_object()) : Status(root.error());
    if (!st) {
      // Cannot happen for the pinned models (ModelTest.AllEmbeddedModelsLoad); the model then has no
      // operations, so its requests are answered as unknown operations.
      std::fprintf(stderr, "cenote: model %s failed to load: %s\n", uid_.c_str(), st.error().message.c_str());
      self.shapes_.clear();
      self.named_shapes_.clear();
      self.operation_storage_.clear();
      self.operations_by_name_.clear();
      self.operation_list_.clear();
    }
  });
}

const std::string& ServiceModel::xml_namespace() const {
  // For rest-xml the namespace comes from the operations' payloads.
  if (protocol_ == "rest-xml") EnsureBody();
  return xml_namespace_;
}

const std::vector<const Operation*>& ServiceModel::operations() const {
  EnsureBody();
  return operation_list_;
}

Result<std::unique_ptr<ServiceModel>> ServiceModel::Parse(std::string_view model_json,
                                                          std::string_view overlay_json) {
  ModelSource source;
  source.model = model_json;
  source.overlays.push_back(overlay_json);
  return Parse(source);
}

namespace {

// Applies one node of a constraint overlay to the shape it describes (see ServiceModel::ApplyConstraints).
Status ApplyConstraintNode(Shape& shape, const json::object& node, const std::string& where) {
  // Constraints reach a shared (named) shape only through the overlay's "shapes" section: a node below a
  // member that references one would silently constrain every other use of it.
  auto child = [&](const Member& ref, const json::value& sub, const std::string& sub_where) -> Status {
    if (!sub.is_object()) return ModelError("constraints: " + sub_where + " is not an object");
    if (!ref.shape->name.empty()) {
      return ModelError("constraints: " + sub_where + " patches shared shape " + ref.shape->name +
                        " through a reference");
    }
    return ApplyConstraintNode(const_cast<Shape&>(*ref.shape), sub.as_object(), sub_where);
  };
  for (const auto& [key, value] : node) {
    if (key == "min" || key == "max") {
      if (!value.is_number()) return ModelError("constraints: " + where + "." + std::string(key));
      (key == "min" ? shape.min : shape.max) = value.to_number<double>();
    } else if (key == "pattern") {
      if (!value.is_string()) return ModelError("constraints: " + where + ".pattern");
      shape.pattern = std::string(value.as_string());
    } else if (key == "enum") {
      if (!value.is_array()) return ModelError("constraints: " + where + ".enum");
      shape.enum_values.clear();
      for (const auto& v : value.as_array()) {
        if (v.is_string()) shape.enum_values.emplace_back(v.as_string());
      }
    } else if (key == "sensitive") {
      shape.sensitive = value.is_bool() && value.as_bool();
    } else if (key == "members") {
      if (!value.is_object()) return ModelError("constraints: " + where + ".members");
      for (const auto& [name, sub] : value.as_object()) {
        const Member* m = shape.FindMember(name);
        if (!m) return ModelError("constraints: " + where + " has no member " + std::string(name));
        CENOTE_RETURN_IF_ERROR(child(*m, sub, where + "." + std::string(name)));
      }
    } else if (key == "member" || key == "key" || key == "value") {
      bool fits = key == "member" ? shape.type == ShapeType::kList : shape.type == ShapeType::kMap;
      if (!fits) return ModelError("constraints: " + where + " has no " + std::string(key));
      const Member& ref = key == "member" ? shape.member : key == "key" ? shape.key : shape.value;
      CENOTE_RETURN_IF_ERROR(child(ref, value, where + "." + std::string(key)));
    } else {
      return ModelError("constraints: unknown key " + std::string(key) + " at " + where);
    }
  }
  return Status::Ok();
}

}  // namespace

// The overlay mirrors min.json (an RFC 7386 merge patch of it: merging it before the build would give
// the same shapes), but is applied to the built model: "operations"."Op"."input" is the operation's
// input shape, "shapes"."Sxx" the named shape, and below them "members"/"member"/"key"/"value" lead to
// the inline shapes that carry min/max/pattern/enum/sensitive.
Status ServiceModel::ApplyConstraints() {
  if (constraints_json_.empty()) return Status::Ok();
  boost::system::error_code ec;
  json::value root = json::parse(constraints_json_, ec);
  std::string().swap(constraints_json_);
  if (ec || !root.is_object()) return ModelError("constraint overlay is not valid JSON: " + ec.message());
  for (const auto& [section, body] : root.as_object()) {
    if (section == "//") continue;
    if (!body.is_object()) return ModelError("constraints: " + std::string(section) + " is not an object");
    for (const auto& [name, node] : body.as_object()) {
      if (!node.is_object()) return ModelError("constraints: " + std::string(name) + " is not an object");
      if (section == "shapes") {
        const Shape* shape = FindShape(name);
        if (!shape) return ModelError("constraints: no shape " + std::string(name));
        CENOTE_RETURN_IF_ERROR(
            ApplyConstraintNode(const_cast<Shape&>(*shape), node.as_object(), std::string(name)));
      } else if (section == "operations") {
        const Operation* op = FindOperation(name);
        const auto* input = node.as_object().if_contains("input");
        if (!op || !op->input || !input || !input->is_object() || node.as_object().size() != 1) {
          return ModelError("constraints: operation " + std::string(name) + " has no such input");
        }
        if (!op->input->name.empty()) {
          return ModelError("constraints: operation " + std::string(name) + " patches shared shape " +
                            op->input->name + " through a reference");
        }
        CENOTE_RETURN_IF_ERROR(ApplyConstraintNode(const_cast<Shape&>(*op->input), input->as_object(),
                                                   std::string(name) + ".input"));
      } else {
        return ModelError("constraints: unknown section " + std::string(section));
      }
    }
  }
  return Status::Ok();
}

Status ServiceModel::LoadConstraints() const {
  EnsureBody();
  std::call_once(constraints_once_, [this] {
    // The shapes are this model's own (non-const) objects; writing them once, here, before any caller of
    // LoadConstraints reads them, is what the header's thread-safety note promises.
    constraints_status_ = const_cast<ServiceModel*>(this)->ApplyConstraints();
    if (!constraints_status_) {
      std::fprintf(stderr, "cenote: constraints of model %s failed to load: %s\n", uid_.c_str(),
                   constraints_status_.error().message.c_str());
    }
  });
  return constraints_status_;
}

const Operation* ServiceModel::FindOperation(std::string_view name) const {
  EnsureBody();
  auto it = operations_by_name_.find(name);
  return it == operations_by_name_.end() ? nullptr : it->second;
}

const Shape* ServiceModel::FindShape(std::string_view name) const {
  EnsureBody();
  auto it = named_shapes_.find(name);
  return it == named_shapes_.end() ? nullptr : it->second;
}

void ModelRegistry::Add(std::unique_ptr<ServiceModel> model) {
  const ServiceModel* m = model.get();
  models_.push_back(std::move(model));
  service_list_.push_back(m);
  by_endpoint_prefix_.emplace(m->endpoint_prefix(), m);
  by_signing_name_.emplace(m->signing_name(), m);
  if (!m->target_prefix().empty()) {
    by_target_prefix_.emplace(m->target_prefix(), m);
    // CloudTrail clients send either the long "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101" or
    // the short "CloudTrail_20131101" form; accept the last dotted component as an alias.
    auto dot = m->target_prefix().rfind('.');
    if (dot != std::string::npos) by_target_prefix_.emplace(m->target_prefix().substr(dot + 1), m);
  }
}

Result<std::unique_ptr<ModelRegistry>> ModelRegistry::FromSources(
    const std::vector<std::pair<std::string_view, std::string_view>>& sources) {
  auto registry = std::make_unique<ModelRegistry>();
  for (const auto& [model_json, overlay] : sources) {
    auto model = ServiceModel::Parse(model_json, overlay);
    if (!model) return std::move(model).error();
    registry->Add(std::move(model).value());
  }
  return registry;
}

const ModelRegistry& ModelRegistry::Embedded() {
  static const ModelRegistry* registry = [] {
    auto started = std::chrono::steady_clock::now();
    auto* r = new ModelRegistry();
    for (const EmbeddedFile& file : EmbeddedModels()) {
      // Overlays named "<uid>.json" first, then "<uid>.<kind>.json" in name order (the table is sorted);
      // "<uid>.constraints.json" is the deferred constraint overlay.
      const std::string base = std::string(file.uid) + ".json";
      const std::string constraints = std::string(file.uid) + ".constraints.json";
      ModelSource source;
      source.model = file.data;
      for (const EmbeddedFile& o : EmbeddedOverlays()) {
        if (o.name == base) source.overlays.push_back(o.data);
      }
      for (const EmbeddedFile& o : EmbeddedOverlays()) {
        if (o.uid != file.uid || o.name == base) continue;
        if (o.name == constraints) {
          source.constraints = o.data;
        } else {
          source.overlays.push_back(o.data);
        }
      }
      auto model = ServiceModel::ParseLazily(source);
      if (model) {
        r->Add(std::move(model).value());
      } else {
        // Cannot happen for the pinned models (ModelTest.AllEmbeddedModelsLoad); keep serving the others.
        std::fprintf(stderr, "cenote: model %s failed to load: %s\n", std::string(file.uid).c_str(),
                     model.error().message.c_str());
      }
    }
    r->load_micros_ =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
            .count();
    return r;
  }();
  return *registry;
}

const ServiceModel* ModelRegistry::ByEndpointPrefix(std::string_view prefix) const {
  auto it = by_endpoint_prefix_.find(prefix);
  return it == by_endpoint_prefix_.end() ? nullptr : it->second;
}

const ServiceModel* ModelRegistry::ByTargetPrefix(std::string_view prefix) const {
  auto it = by_target_prefix_.find(prefix);
  return it == by_target_prefix_.end() ? nullptr : it->second;
}

const ServiceModel* ModelRegistry::BySigningName(std::string_view name) const {
  auto it = by_signing_name_.find(name);
  return it == by_signing_name_.end() ? nullptr : it->second;
}

}  // namespace cenote::aws::model
