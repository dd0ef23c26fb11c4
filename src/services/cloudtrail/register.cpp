// CloudTrail's entry in the platform's list of services (src/platform/service_list.cpp).
//
// Options come from the environment (a server flag would need the platform's option parsing):
//   CENOTE_CLOUDTRAIL_DELIVERY_SECONDS  log file delivery cadence (default 300, AWS's "about 5 minutes")
//   CENOTE_CLOUDTRAIL_DIGEST_SECONDS    digest file cadence (default 3600, AWS's hourly digests)
//   CENOTE_CLOUDTRAIL_RECORDING=off     no events at all (benchmarks; LookupEvents then finds nothing)
//   CENOTE_CLOUDTRAIL_SYNC=always       a call waits for its event's fdatasync (power-loss durable); by
//                                       default it waits for the journal write (kill -9 durable)
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>

#include "iam/directory.hpp"
#include "services/cloudtrail/cloudtrail_provider.hpp"
#include "services/common/secret_sealer.hpp"
#include "services/common/service_deps.hpp"

namespace cenote::cloudtrail {

namespace {

// Seconds (fractions allowed) from the environment as milliseconds, or `fallback`.
std::int64_t MillisFromEnv(const char* name, std::int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  try {
    double seconds = std::stod(v);
    if (seconds > 0) return static_cast<std::int64_t>(seconds * 1000);
  } catch (const std::exception&) {
  }
  spdlog::warn("cloudtrail: ignoring {}={} (expected a positive number of seconds)", name, v);
  return fallback;
}

}  // namespace

Status Register(services::ServiceDeps& deps) {
  CloudTrailOptions options;
  options.event_dir = deps.data_dir + "/cloudtrail/events";
  options.lake_dir = deps.data_dir + "/cloudtrail/lake";
  options.secrets = deps.Find<services::SecretSealer>();
  deps.AllowEngineReads(options.lake_dir);
  services::ServiceDeps* d = &deps;
  options.engine = [d] { return d->Engine(); };
  if (const char* s = std::getenv("CENOTE_CLOUDTRAIL_SYNC"); s != nullptr && std::string(s) == "always") {
    options.sync_always = true;
  }
  options.default_account = deps.account_id;
  options.clock = deps.clock;
  options.delivery_interval_ms =
      MillisFromEnv("CENOTE_CLOUDTRAIL_DELIVERY_SECONDS", options.delivery_interval_ms);
  options.digest_interval_ms = MillisFromEnv("CENOTE_CLOUDTRAIL_DIGEST_SECONDS", options.digest_interval_ms);
  if (const char* r = std::getenv("CENOTE_CLOUDTRAIL_RECORDING"); r != nullptr && std::string(r) == "off") {
    options.recording = false;
    spdlog::info("cloudtrail: recording is off (CENOTE_CLOUDTRAIL_RECORDING=off)");
  }
  CENOTE_ASSIGN_OR_RETURN(auto provider,
                          CloudTrailProvider::Open(deps.metadata, deps.invoker, deps.tasks,
                                                   deps.Find<iam::Organizations>(), std::move(options)));
  if (deps.add_after_hook) deps.add_after_hook(&provider->recorder());
  iam::ResourceAuthority& authority = deps.Keep(provider->MakeAuthority());
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  CloudTrailProvider* p = provider.get();
  // What is recorded but not yet delivered goes out at a clean shutdown, as AWS's last delivery would.
  deps.OnShutdown([p] { (void)p->Deliver(false); });
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::cloudtrail
