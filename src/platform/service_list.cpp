#include "platform/service_list.hpp"

// Each service's Register (src/services/<service>/register.cpp).
namespace cenote {
namespace iam {
Status Register(services::ServiceDeps& deps);
}
namespace lambda {
Status Register(services::ServiceDeps& deps);
}
namespace s3 {
Status Register(services::ServiceDeps& deps);
}
namespace glue {
Status Register(services::ServiceDeps& deps);
}
namespace athena {
Status Register(services::ServiceDeps& deps);
}
namespace kinesis {
Status Register(services::ServiceDeps& deps);
}
namespace firehose {
Status Register(services::ServiceDeps& deps);
}
namespace sts {
Status Register(services::ServiceDeps& deps);
}
namespace organizations {
Status Register(services::ServiceDeps& deps);
}
namespace kms {
Status Register(services::ServiceDeps& deps);
}
namespace cloudtrail {
Status Register(services::ServiceDeps& deps);
}
namespace sqs {
Status Register(services::ServiceDeps& deps);
}
namespace sns {
Status Register(services::ServiceDeps& deps);
}
namespace events {
Status Register(services::ServiceDeps& deps);
}
namespace scheduler {
Status Register(services::ServiceDeps& deps);
}
namespace logs {
Status Register(services::ServiceDeps& deps);
}
namespace states {
Status Register(services::ServiceDeps& deps);
}
}  // namespace cenote

namespace cenote::platform {

std::span<const services::ServiceEntry> ServiceList() {
  static constexpr services::ServiceEntry kServices[] = {
      // Identity first: the services after it find IAM's directory and STS's sessions.
      {"iam", iam::Register},
      {"sts", sts::Register},
      {"organizations", organizations::Register},
      {"logs", logs::Register},
      {"lambda", lambda::Register},
      {"kms", kms::Register},
      {"cloudtrail", cloudtrail::Register},
      {"sqs", sqs::Register},
      {"sns", sns::Register},
      {"events", events::Register},
      {"scheduler", scheduler::Register},
      {"states", states::Register},
      {"s3", s3::Register},
      {"glue", glue::Register},
      {"athena", athena::Register},
      {"kinesis", kinesis::Register},
      {"firehose", firehose::Register},
  };
  return kServices;
}

}  // namespace cenote::platform
