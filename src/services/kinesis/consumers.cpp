// Enhanced fan-out consumers: registration, description, listing, deregistration. SubscribeToShard is in
// subscribe.cpp. A consumer lives in its stream; its ARN extends the stream's, so it names the stream's
// account and region.
#include <algorithm>

#include "common/strings.hpp"
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

Result<Located> Locate(Env& env, const RequestContext& ctx, const json::object& p) {
  auto consumer_arn = GetString(p, "ConsumerARN");
  auto stream_arn = GetString(p, "StreamARN");
  auto name = GetString(p, "ConsumerName");
  Located loc;
  if (consumer_arn) {
    auto parts = SplitConsumerArn(*consumer_arn);
    if (!parts)
      return Validation(
          "'" + *consumer_arn + "'", "consumerARN",
          "satisfy regular expression pattern: ^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+"
          "\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+");
    CENOTE_ASSIGN_OR_RETURN(loc.stream, env.FindStream(ctx, json::object{{"StreamARN", parts->first}}));
    loc.consumer_name = parts->second;
    loc.consumer_arn = *consumer_arn;
    return loc;
  }
  if (!stream_arn || !name)
    return InvalidArgument("Either ConsumerARN or both StreamARN and ConsumerName must be provided.");
  CENOTE_ASSIGN_OR_RETURN(loc.stream, env.FindStream(ctx, json::object{{"StreamARN", *stream_arn}}));
  loc.consumer_name = *name;
  return loc;
}

ConsumerState* FindConsumer(const Env& env, StreamState& s, const Located& loc) SHARED_LOCKS_REQUIRED(s.mu) {
  for (auto& c : s.consumers) {
    if (c.name != loc.consumer_name || env.EffectiveStatus(c).empty()) continue;
    if (loc.consumer_arn && c.arn != *loc.consumer_arn) continue;
    return &c;
  }
  return nullptr;
}

}  // namespace

Result<OperationOutput> RegisterStreamConsumer(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto stream_arn = GetString(p, "StreamARN");
  if (!stream_arn) return Validation("null", "streamARN", "not be null");
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "ConsumerName", "consumerName", 1, 128, true));
  std::string name = *GetString(p, "ConsumerName");
  for (char c : name)
    if (!(IsAsciiAlnum(c) || c == '_' || c == '.' || c == '-'))
      return Validation("'" + name + "'", "consumerName",
                        "satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, json::object{{"StreamARN", *stream_arn}}));
  StreamState& s = *stream;
  WriterLock lock(s.mu);
  std::size_t live = 0;
  for (const auto& c : s.consumers) {
    if (env.EffectiveStatus(c).empty()) continue;
    ++live;
    if (c.name == name) return services::MakeError(errors::kConsumerExists, {name, s.arn, s.account});
  }
  if (live >= static_cast<std::size_t>(env.options.max_consumers_per_stream))
    return services::MakeError(errors::kLimitExceeded,
                               {"Consumer limit of " + std::to_string(env.options.max_consumers_per_stream) +
                                " for stream " + s.arn + " reached."});
  ConsumerState c;
  c.name = name;
  c.created_ms = env.Now();
  c.status = "CREATING";
  c.status_ms = c.created_ms;
  c.arn = ConsumerArn(s.arn, name, c.created_ms);
  // A consumer deregistered earlier under the same name is replaced for good.
  std::erase_if(s.consumers, [&](const ConsumerState& old) { return old.name == name; });
  s.consumers.push_back(c);
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  json::object doc = ConsumerDocument(env, c);
  doc["ConsumerStatus"] = env.options.transition_ms > 0 ? "CREATING" : "ACTIVE";
  return json::object{{"Consumer", std::move(doc)}};
}

Result<OperationOutput> DescribeStreamConsumer(Env& env, const RequestContext& ctx, OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(Located loc, Locate(env, ctx, input.params.as_object()));
  StreamState& s = *loc.stream;
  ReaderLock lock(s.mu);
  ConsumerState* c = FindConsumer(env, s, loc);
  if (!c) return services::MakeError(errors::kConsumerNotFound, {loc.consumer_name, s.arn, s.account});
  json::object doc = ConsumerDocument(env, *c);
  doc["StreamARN"] = s.arn;
  return json::object{{"ConsumerDescription", std::move(doc)}};
}

Result<OperationOutput> ListStreamConsumers(Env& env, const RequestContext& ctx, OperationInput& input) {
  const auto& p = input.params.as_object();
  auto stream_arn = GetString(p, "StreamARN");
  if (!stream_arn) return Validation("null", "streamARN", "not be null");
  CENOTE_RETURN_IF_ERROR(CheckRange(p, "MaxResults", "maxResults", 1, 10000));
  std::optional<std::string> after;
  if (auto token = GetString(p, "NextToken")) {
    CENOTE_ASSIGN_OR_RETURN(json::object t, ReadToken(env, *token));
    after = GetString(t, "after");
  }
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, json::object{{"StreamARN", *stream_arn}}));
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
  if (auto created = GetInt(p, "StreamCreationTimestamp"); created && *created != s.created_ms)
    return StreamNotFound(s.key());
  std::vector<const ConsumerState*> live;
  for (const auto& c : s.consumers)
    if (!env.EffectiveStatus(c).empty()) live.push_back(&c);
  std::sort(live.begin(), live.end(), [](auto* a, auto* b) { return a->name < b->name; });
  const std::size_t max = static_cast<std::size_t>(GetInt(p, "MaxResults").value_or(100));
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
  return r;
}

Result<OperationOutput> DeregisterStreamConsumer(Env& env, const RequestContext& ctx, OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(Located loc, Locate(env, ctx, input.params.as_object()));
  StreamState& s = *loc.stream;
  WriterLock lock(s.mu);
  ConsumerState* c = FindConsumer(env, s, loc);
  if (!c) return services::MakeError(errors::kConsumerNotFound, {loc.consumer_name, s.arn, s.account});
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
