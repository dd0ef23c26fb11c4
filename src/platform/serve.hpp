// `cenote serve`: opens the data directory, wires stores, providers and the router into the HTTP
// server, prints the ready line and runs until SIGINT/SIGTERM.
#pragma once

#include <cstdint>
#include <string>

#include "store/free_space.hpp"

namespace cenote::platform {

struct ServeConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4566;
  std::string data_dir = "./.cenote";
  std::string region = "us-east-1";
  std::string tls_cert;  // with tls_key: serve HTTPS
  std::string tls_key;
  bool tls_self_signed = false;  // generate <data-dir>/tls/{cert,key}.pem on first start and serve HTTPS
  std::string log_level = "info";
  // Writes on clients' behalf stop when they would leave less free space than this (--min-free-space).
  store::MinFreeSpace min_free_space = store::MinFreeSpace::Default();
  // The length of a "day" in S3 lifecycle rules (--lifecycle-day-seconds): tests make days pass in seconds.
  std::int64_t lifecycle_day_seconds = 86'400;
  // --kms-root-key-file: the KMS root key's file ("": <data-dir>/kms/root.key).
  std::string kms_root_key_file;
  // --iam-mode: enforce (default), audit or off (aws/pipeline/iam_authorizer.hpp).
  std::string iam_mode = "enforce";
  // --account-root-keys: a JSON file of other accounts' root users' access keys (credentials.hpp), for
  // multi-account work; "" for none.
  std::string account_root_keys;
  int io_threads = 0;
  int worker_threads = 0;
};

// Returns the process exit code.
int Serve(const ServeConfig& config);

}  // namespace cenote::platform
