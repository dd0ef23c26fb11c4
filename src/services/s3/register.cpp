// S3's entry in the platform's list of services (src/platform/service_list.cpp).
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string_view>

#include "services/common/service_deps.hpp"
#include "services/organizations/accounts.hpp"
#include "services/s3/access_logs.hpp"
#include "services/s3/lake_access.hpp"
#include "services/s3/s3_provider.hpp"
#include "store/blob_store.hpp"

namespace cenote::s3 {

Status Register(services::ServiceDeps& deps) {
  // S3's own blob directory: its crash recovery removes every blob its tables do not reference. Spare temp
  // files take the create+open off small PUTs' path.
  store::BlobStoreOptions blob_options;
  blob_options.spare_files = 4;
  blob_options.reserve = deps.reserve;
  blob_options.tasks = &deps.tasks;
  CENOTE_ASSIGN_OR_RETURN(auto blobs, store::BlobStore::OpenLocal(deps.data_dir + "/s3/blobs", blob_options));
  store::BlobStore& blob_store = deps.Keep(std::move(blobs));

  S3Options options;
  options.default_region = deps.default_region;
  options.account_id = deps.account_id;
  if (const char* defaults = std::getenv("CENOTE_S3_NEW_BUCKET_DEFAULTS")) {
    const std::string_view value(defaults);
    if (value == "legacy") {
      options.legacy_bucket_defaults = true;
      spdlog::warn(
          "s3: new buckets get the defaults of AWS before April 2023 (ACLs in force, no public access "
          "block): CENOTE_S3_NEW_BUCKET_DEFAULTS=legacy");
    } else if (value != "aws") {
      return MakeError("InvalidConfiguration",
                       "CENOTE_S3_NEW_BUCKET_DEFAULTS must be 'aws' (the default) or 'legacy', not '" +
                           std::string(value) + "'");
    }
  }
  options.lifecycle_day_ms = deps.day_ms;
  if (const organizations::Accounts* accounts = deps.Find<organizations::Accounts>()) {
    options.accounts = [accounts] {
      std::vector<std::string> ids;
      for (const organizations::AccountInfo& a : accounts->ListAllAccounts()) {
        if (a.status == "ACTIVE") ids.push_back(a.id);
      }
      return ids;
    };
  }
  CENOTE_ASSIGN_OR_RETURN(auto provider, S3Provider::Open(deps.metadata, blob_store, options));
  provider->StartLifecycle(deps.tasks);
  provider->SetInvoker(&deps.invoker);
  provider->StartNotifications(deps.tasks, deps.invoker);
  provider->StartReplication(deps.tasks, deps.invoker);
  // The engine reads bound objects from S3's own files (blobs, the multipart cache) and nothing else.
  for (const std::string& dir : provider->LocalDirectories()) deps.AllowEngineReads(dir);
  // S3 Select runs on the shared engine (opened lazily: DuckDB starts on the first query). Without one, S3
  // still serves everything else.
  if (auto engine = deps.Engine()) {
    provider->SetQueryEngine(*engine);
  } else {
    spdlog::warn("s3: no query engine, SelectObjectContent is not available: {}", engine.error().message);
  }
  // Other services read and write the lake through the pipeline (authorize, after-hooks), as a caller.
  Lake& lake = deps.Keep(provider->MakeLake(deps.invoker));
  deps.Offer<Lake>(lake);
  // Bucket policies, ACLs and owners for the authorizer.
  iam::ResourceAuthority& authority = deps.Keep(provider->MakeAuthority());
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  // Server access logs: recorded by an after-hook, delivered every few seconds and at shutdown.
  if (deps.add_after_hook) {
    CENOTE_ASSIGN_OR_RETURN(auto made, provider->MakeAccessLogs(lake));
    ServerAccessLogs& logs = deps.Keep(std::move(made));
    deps.add_after_hook(&logs);
    logs.Start(deps.tasks, std::chrono::seconds(5));
    deps.OnShutdown([&logs] { (void)logs.Flush(); });
  }
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::s3
