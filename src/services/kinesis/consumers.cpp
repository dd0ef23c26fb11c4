// Enhanced fan-out consumers: registration, description, listing, deregistration. SubscribeToShard is in
// subscribe.cpp.
#include "services/kinesis/internal.hpp"

namespace cenote::kinesis {

namespace {

json::object ConsumerDocument(const Env& env, const ConsumerState& c) {
  return json::object{{"ConsumerName", c.name},
                      {"ConsumerARN", c.arn},
                      {"ConsumerStatus", env.EffectiveStatus(c)},
                      {"ConsumerCreationTimestamp", c.created_ms}};
}

// The stream and consumer named by ConsumerARN or by StreamARN + ConsumerName.
struct Located {
  std::shared_ptr<StreamState> stream;
  std::string consumer_name;
  std::optional<std::string> consumer_arn;
};

Result<Located> Locate(Env& env, const json::object& p) {
  auto consumer_arn = Str(p, "ConsumerARN");
  auto stream_arn = Str(p, "StreamARN");
  auto name = Str(p, "ConsumerName");
  Located loc;
  if (consumer_arn) {
    auto parts = SplitConsumerArn(*consumer_arn);
    if (!parts)
      return Validation(
          "'" + *consumer_arn + "'", "consumerARN",
          "satisfy regular expression pattern: ^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+"
          "\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+");
    json::object q{{"StreamARN", parts->first}};
    auto s = env.FindStream(q);
    if (!s) return std::move(s).error();
    loc.stream = *s;
    loc.consumer_name = parts->second;
    loc.consumer_arn = *consumer_arn;
    return loc;
  }
  if (!stream_arn || !name)
    return InvalidArgument("Either ConsumerARN or both StreamARN and ConsumerName must be provided.");
  json::object q{{"StreamARN", *stream_arn}};
  auto s = env.FindStream(q);
  if (!s) return std::move(s).error();
  loc.stream = *s;
  loc.consumer_name = *name;
  return loc;
}

ConsumerState* FindConsumer(const Env& env, StreamState& s, const Located& loc) {
  for (auto& c : s.consumers) {
    if (c.name != loc.consumer_name || env.EffectiveStatus(c).empty()) continue;
    if (loc.consumer_arn && c.arn != *loc.consumer_arn) continue;
    return &c;
  }
  return nullptr;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> SplitConsumerArn(const std::string& arn) {
  auto pos = arn.find("/consumer/");
  if (pos == std::string::npos) return std::nullopt;
  std::string stream_arn = arn.substr(0, pos);
  std::string rest = arn.substr(pos + 10);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(stream_arn, rest.substr(0, colon));
}

Result<OperationOutput> RegisterStreamConsumer(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  if (!Str(p, "StreamARN")) return Validation("null", "streamARN", "not be null");
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ConsumerName", "consumerName", 1, 128, true));
  std::string name = *Str(p, "ConsumerName");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return Validation("'" + name + "'", "consumerName",
                        "satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  auto found = env.FindStream(json::object{{"StreamARN", *Str(p, "StreamARN")}});
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  std::size_t live = 0;
  for (const auto& c : s.consumers) {
    if (env.EffectiveStatus(c).empty()) continue;
    ++live;
    if (c.name == name) return MakeKinesisError(errors::kConsumerExists, {name, s.arn, env.Account()});
  }
  if (live >= static_cast<std::size_t>(env.options.max_consumers_per_stream))
    return MakeKinesisError(errors::kLimitExceeded,
                            {"Consumer limit of " + std::to_string(env.options.max_consumers_per_stream) +
                             " for stream " + s.arn + " reached."});
  ConsumerState c;
  c.name = name;
  c.created_ms = env.Now();
  c.status = "CREATING";
  c.status_ms = c.created_ms;
  c.arn = s.arn + "/consumer/" + name + ":" + std::to_string(c.created_ms / 1000);
  // A consumer deregistered earlier under the same name is replaced for good.
  std::erase_if(s.consumers, [&](const ConsumerState& old) { return old.name == name; });
  s.consumers.push_back(c);
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  json::object doc = ConsumerDocument(env, c);
  doc["ConsumerStatus"] = env.options.transition_ms > 0 ? "CREATING" : "ACTIVE";
  OperationOutput out;
  out.result = json::object{{"Consumer", std::move(doc)}};
  return out;
}

Result<OperationOutput> DescribeStreamConsumer(Env& env, const RequestContext&, OperationInput& input) {
  auto loc = Locate(env, input.params.as_object());
  if (!loc) return std::move(loc).error();
  StreamState& s = *loc->stream;
  std::shared_lock<std::shared_mutex> lk(s.mu);
  ConsumerState* c = FindConsumer(env, s, *loc);
  if (!c) return MakeKinesisError(errors::kConsumerNotFound, {loc->consumer_name, s.arn, env.Account()});
  json::object doc = ConsumerDocument(env, *c);
  doc["StreamARN"] = s.arn;
  OperationOutput out;
  out.result = json::object{{"ConsumerDescription", std::move(doc)}};
  return out;
}

Result<OperationOutput> ListStreamConsumers(Env& env, const RequestContext&, OperationInput& input) {
  const auto& p = input.params.as_object();
  if (!Str(p, "StreamARN")) return Validation("null", "streamARN", "not be null");
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "MaxResults", "maxResults", 1, 10000));
  std::optional<std::string> after;
  if (auto token = Str(p, "NextToken")) {
    auto t = ReadToken(env, *token);
    if (!t) return std::move(t).error();
    after = Str(*t, "after");
  }
  auto found = env.FindStream(json::object{{"StreamARN", *Str(p, "StreamARN")}});
  if (!found) return std::move(found).error();
  StreamState& s = **found;
  std::shared_lock<std::shared_mutex> lk(s.mu);
  if (auto created = Int(p, "StreamCreationTimestamp"); created && *created != s.created_ms)
    return StreamNotFound(env, s.name);
  std::vector<const ConsumerState*> live;
  for (const auto& c : s.consumers)
    if (!env.EffectiveStatus(c).empty()) live.push_back(&c);
  std::sort(live.begin(), live.end(), [](auto* a, auto* b) { return a->name < b->name; });
  const std::size_t max = static_cast<std::size_t>(Int(p, "MaxResults").value_or(100));
  json::array consumers;
  std::string last;
  bool more = false;
  for (const ConsumerState* c : live) {
    if (after && c->name <= *after) continue;
    if (consumers.size() == max) {
      more = true;
      break;
    }
    consumers.push_back(ConsumerDocument(env, *c));
    last = c->name;
  }
  json::object r{{"Consumers", std::move(consumers)}};
  if (more) r["NextToken"] = MakeToken(env, json::object{{"after", last}});
  OperationOutput out;
  out.result = std::move(r);
  return out;
}

Result<OperationOutput> DeregisterStreamConsumer(Env& env, const RequestContext&, OperationInput& input) {
  auto loc = Locate(env, input.params.as_object());
  if (!loc) return std::move(loc).error();
  StreamState& s = *loc->stream;
  std::unique_lock<std::shared_mutex> lk(s.mu);
  ConsumerState* c = FindConsumer(env, s, *loc);
  if (!c) return MakeKinesisError(errors::kConsumerNotFound, {loc->consumer_name, s.arn, env.Account()});
  if (env.options.transition_ms > 0) {
    c->status = "DELETING";
    c->status_ms = env.Now();
  } else {
    std::string name = c->name;
    std::erase_if(s.consumers, [&](const ConsumerState& x) { return x.name == name; });
  }
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return OperationOutput{};
}

}  // namespace cenote::kinesis
