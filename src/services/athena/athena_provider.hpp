// AthenaProvider: Amazon Athena (json 1.1, "athena"): workgroups (with "primary" always present),
// query executions run asynchronously on a bounded pool over the QueryEngine, results written to the
// output location in S3 as CSV plus metadata (as Athena does) and served by GetQueryResults with
// pagination, named queries, and the DDL Athena users write (Hive DDL, SHOW, DESCRIBE, MSCK REPAIR
// TABLE, ALTER TABLE ADD/DROP PARTITION, views, CTAS, INSERT INTO), which maintains the Glue Catalog.
//
// State (workgroups, named queries, query executions with their status and statistics) is stored in
// the MetadataStore (component "athena"), per account and region as on AWS: each region has its own
// "primary" workgroup and "default" database, and a query runs against its own region's catalog. A query that
// was QUEUED or RUNNING when the server died is FAILED after a restart, with the reason.
//
// Thread safety: Invoke may be called concurrently from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "query/engine.hpp"
#include "services/common/operation_table.hpp"
#include "services/glue/catalog.hpp"
#include "services/s3/lake_access.hpp"
#include "store/metadata_store.hpp"

namespace cenote::athena {

struct AthenaOptions {
  // Checks the Glue permissions of the tables a query reads as its caller (CallWith "glue" "GetTable");
  // null: no check (tests without a pipeline).
  aws::Invoker* invoker = nullptr;
  // Workgroups, named queries, prepared statements and executions stored before they were regional belong
  // to this account and region.
  std::string account_id;
  std::string region;
  int max_concurrent_queries = 4;  // the pool; more queries wait QUEUED
  std::string scratch_dir;         // local temp files (result CSV before upload, CTAS output)
  // GetQueryExecution of a QUEUED or RUNNING query answers when the query finishes or after this long,
  // whichever comes first, so a client polling in a loop finds out at once and spends neither its CPU
  // nor the engine's on empty polls (AWS answers a poll in tens of milliseconds anyway). 0: answer at once.
  int poll_wait_ms = 100;
  // A waiting poll holds one of the server's request threads: at most this many wait at once, the others
  // answer at once.
  int max_waiting_polls = 16;
  // Put AWS's "Athena Query State Change" events (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED) on
  // EventBridge's default bus of the query's account and region, through `invoker`, as athena.amazonaws.com.
  bool state_change_events = false;
};

class AthenaImpl;

// The provider is its operation table (services::TableProvider) over the implementation's state.
class AthenaProvider : public services::TableProvider<AthenaImpl> {
 public:
  // The stores, catalog, lake and engine must outlive the provider. Every query reads and writes the lake
  // as its StartQueryExecution caller (`lake.For`), in the catalog of that request's region.
  static Result<std::unique_ptr<AthenaProvider>> Open(store::MetadataStore& metadata,
                                                      const glue::Catalog& catalog, s3::Lake& lake,
                                                      query::QueryEngine& engine, AthenaOptions options);

  std::string_view service() const override { return "athena"; }
  std::string_view internal_error_code() const override { return "InternalServerException"; }

  static const std::vector<std::string_view>& SupportedOperations();

  // Cancels running queries and waits for the pool (server shutdown).
  virtual void Shutdown() = 0;

  // The action map's lookups for the authorizer (the workgroup of a query execution or a named query):
  // iam::ResourceAuthority "athena". The provider must outlive it.
  virtual std::unique_ptr<iam::ResourceAuthority> MakeAuthority() = 0;
};

}  // namespace cenote::athena
