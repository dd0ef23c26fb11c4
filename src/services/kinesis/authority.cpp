// Kinesis's side of authorization: the action map's lookups (src/services/kinesis/iam_actions.json). Shard
// iterators and ListShards tokens are opaque and signed by this provider, so only it can say which stream
// one names; a consumer named by StreamARN + ConsumerName is found to name its ARN (which carries its
// creation time). Kinesis resources have no resource-based policies here (PutResourcePolicy is not
// supported), so Facts reports none.
#include "services/kinesis/internal.hpp"
#include "services/kinesis/kinesis_provider.hpp"

namespace cenote::kinesis {

namespace {

class KinesisAuthority final : public iam::ResourceAuthority {
 public:
  explicit KinesisAuthority(Env& env) : env_(env) {}
  std::string_view service() const override { return "kinesis"; }

  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal&, std::string_view,
                                   std::string_view) const override {
    return iam::ResourceFacts{};
  }

  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override {
    if (name == "ShardIteratorStreamARN" && args.size() == 1) {
      // The handler checks the region and the expiry again; an invalid iterator is refused here already.
      CENOTE_ASSIGN_OR_RETURN(IteratorPosition pos, DecodeIterator(env_, args[0], nullptr));
      return StreamArn(pos.stream);
    }
    if (name == "ListShardsTokenStreamARN" && args.size() == 1) {
      CENOTE_ASSIGN_OR_RETURN(json::object t, ReadToken(env_, args[0]));
      StreamKey key{GetString(t, "account").value_or(env_.options.default_account),
                    GetString(t, "region").value_or(env_.options.default_region),
                    GetString(t, "stream").value_or("")};
      return StreamArn(key);
    }
    if (name == "StreamConsumerARN" && args.size() == 2) {
      std::optional<StreamKey> key = ParseStreamArn(args[0]);
      if (!key) return InvalidArgument("StreamARN " + args[0] + " is not a stream ARN.");
      CENOTE_ASSIGN_OR_RETURN(auto stream, env_.FindStream(*key));
      ReaderLock lock(stream->mu);
      for (const ConsumerState& c : stream->consumers) {
        if (c.name == args[1] && !env_.EffectiveStatus(c).empty()) return c.arn;
      }
      return services::MakeError(errors::kConsumerNotFound, {args[1], stream->arn, stream->account});
    }
    return iam::ResourceAuthority::Lookup(name, args);
  }

 private:
  Env& env_;
};

}  // namespace

std::unique_ptr<iam::ResourceAuthority> KinesisProvider::MakeAuthority() {
  return std::make_unique<KinesisAuthority>(*env_);
}

}  // namespace cenote::kinesis
