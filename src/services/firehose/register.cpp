// Amazon Data Firehose's entry in the platform's list of services (src/platform/service_list.cpp). Needs
// the S3 lake (delivery), the Glue catalog and the query engine (format conversion) and Kinesis
// (KinesisStreamAsSource), all registered before it.
#include <filesystem>

#include "query/engine.hpp"
#include "services/common/service_deps.hpp"
#include "services/firehose/firehose_provider.hpp"
#include "services/glue/catalog.hpp"
#include "services/s3/lake_access.hpp"
#include "store/stream_log.hpp"

namespace cenote::firehose {

Status Register(services::ServiceDeps& deps) {
  s3::Lake* lake = deps.Find<s3::Lake>();
  if (lake == nullptr) return InternalError("firehose: the S3 lake is not registered");
  // Accepted records are buffered in Firehose's own logs until they are delivered.
  CENOTE_ASSIGN_OR_RETURN(store::StreamLog * log, deps.OpenStreamLog("firehose"));

  FirehoseOptions options;
  // Delivery streams are regional (each request's region); these only place the streams stored before that.
  options.default_account = deps.account_id;
  options.default_region = deps.default_region;
  options.clock = deps.clock;
  options.catalog = deps.Find<glue::Catalog>();
  CENOTE_ASSIGN_OR_RETURN(options.engine, deps.Engine());
  options.conversion_dir = deps.scratch_dir + "/firehose";
  // AWS_OWNED_CMK buffer encryption: Firehose's own key, beside its buffers.
  options.owned_key_file = deps.data_dir + "/firehose/sse-owned.key";
  std::error_code ec;
  std::filesystem::create_directories(options.conversion_dir, ec);
  if (ec) return InternalError("firehose: cannot create " + options.conversion_dir + ": " + ec.message());
  // Deliveries write through the lake and KinesisStreamAsSource reads through the invoker, each as the role
  // the stream is configured with.
  CENOTE_ASSIGN_OR_RETURN(
      auto provider, FirehoseProvider::Open(deps.metadata, *log, *lake, &deps.invoker, deps.tasks, options));
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::firehose
