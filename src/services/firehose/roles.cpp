// Who Firehose's in-process calls are made as, and where: the roles a delivery stream is configured with,
// as AWS's Firehose assumes them, in the region of the resource the work is for.
#include "iam/directory.hpp"
#include "services/firehose/internal.hpp"

namespace cenote::firehose {

std::string DeliveryStreamArn(const StreamKey& key) {
  return "arn:aws:firehose:" + key.region + ":" + key.account + ":deliverystream/" + key.name;
}

iam::Principal AssumedRolePrincipal(std::string_view role_arn, std::string_view session,
                                    const std::string& owner_account) {
  return iam::RoleSessionPrincipal(role_arn, session, owner_account);
}

std::string ArnRegion(std::string_view arn) {
  // arn:<partition>:<service>:<region>:...
  std::size_t at = 0;
  for (int field = 0; field < 3; ++field) {
    at = arn.find(':', at);
    if (at == std::string_view::npos) return "";
    ++at;
  }
  auto end = arn.find(':', at);
  return end == std::string_view::npos ? "" : std::string(arn.substr(at, end - at));
}

aws::Caller Env::KinesisSourceCaller(const DeliveryStreamState& s) const {
  const json::object* src = GetObject(s.source, "KinesisStreamSourceDescription");
  const std::string role = src ? GetString(*src, "RoleARN").value_or("") : "";
  const std::string stream_arn = src ? GetString(*src, "KinesisStreamARN").value_or("") : "";
  aws::Caller caller;
  caller.principal = AssumedRolePrincipal(role, kKinesisSourceSession, s.account);
  // The source stream's region: a Kinesis endpoint serves its own region's streams only.
  caller.region = ArnRegion(stream_arn);
  if (caller.region.empty()) caller.region = s.region;
  caller.invoked_by = kFirehoseServicePrincipal;
  return caller;
}

aws::Caller Env::S3DeliveryCaller(const DeliveryStreamState& s, const json::object& destination) const {
  aws::Caller caller;
  caller.principal =
      AssumedRolePrincipal(GetString(destination, "RoleARN").value_or(""), kS3DeliverySession, s.account);
  caller.region = s.region;
  caller.invoked_by = kFirehoseServicePrincipal;
  return caller;
}

}  // namespace cenote::firehose
