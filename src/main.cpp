// The `cenote` command.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "platform/serve.hpp"

#ifndef CENOTE_VERSION
#define CENOTE_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  CLI::App app{"Cenote: a self-hosted, AWS-compatible data platform"};
  app.require_subcommand(1);

  cenote::platform::ServeConfig config;
  if (const char* region = std::getenv("CENOTE_REGION"); region && *region) config.region = region;

  CLI::App* serve = app.add_subcommand("serve", "Start the server");
  serve->add_option("--host", config.host, "Address to listen on (loopback by default)")
      ->capture_default_str();
  serve->add_option("--port", config.port, "Port to listen on")->capture_default_str();
  serve->add_option("--data-dir", config.data_dir, "Where all state lives")->capture_default_str();
  serve->add_option("--region", config.region, "Region reported by the services (env CENOTE_REGION)")
      ->capture_default_str();
  serve->add_option("--tls-cert", config.tls_cert, "PEM certificate: serve HTTPS");
  serve->add_option("--tls-key", config.tls_key, "PEM private key for --tls-cert");
  serve->add_flag("--tls-self-signed", config.tls_self_signed,
                  "Serve HTTPS with a self-signed certificate generated into the data directory");
  serve->add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  serve->add_option("--io-threads", config.io_threads, "Network threads (0 = one per core)");
  serve->add_option("--worker-threads", config.worker_threads, "Request worker threads (0 = automatic)");
  serve
      ->add_option("--iam-mode", config.iam_mode,
                   "enforce: IAM and resource policies decide every call; audit: allow, and log what would "
                   "have been denied and why; off: allow everything (for test suites written against "
                   "permissive emulators)")
      ->capture_default_str()
      ->check(CLI::IsMember({"enforce", "audit", "off"}));
  serve
      ->add_option("--account-root-keys", config.account_root_keys,
                   "JSON file of other accounts' root access keys, [{\"AccountId\", \"AccessKeyId\", "
                   "\"SecretAccessKey\"}]: sign as the root user of those accounts (multi-account tests)")
      ->check(CLI::ExistingFile);
  serve
      ->add_option("--lifecycle-day-seconds", config.lifecycle_day_seconds,
                   "Length of a day in S3 lifecycle rules, in seconds (for tests: objects expire in seconds)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400}));
  serve->add_option(
      "--kms-root-key-file", config.kms_root_key_file,
      "File holding KMS's 32-byte root key, which seals all KMS key material (created on first "
      "start when missing; default <data-dir>/kms/root.key). Keep it outside the data directory "
      "so that a copy of the data directory alone decrypts nothing");
  std::string min_free_space = "auto";
  serve
      ->add_option("--min-free-space", min_free_space,
                   "Free space kept on the data directory's filesystem for deletes and metadata: writes that "
                   "would cross it are refused (507 InsufficientStorage). A size (512MiB, 2G, 0 = none), a "
                   "percentage of the filesystem (2%) or auto (" +
                       cenote::store::MinFreeSpace::Default().ToString() + ")")
      ->capture_default_str()
      ->check([](const std::string& value) -> std::string {
        auto parsed = cenote::store::ParseMinFreeSpace(value);
        return parsed ? std::string() : parsed.error().message;
      });

  CLI::App* version = app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);
  if (version->parsed()) {
    std::printf("cenote %s\n", CENOTE_VERSION);
    return 0;
  }
  config.min_free_space = cenote::store::ParseMinFreeSpace(min_free_space).value();  // checked above
  if (!config.tls_cert.empty() != !config.tls_key.empty()) {
    std::fprintf(stderr, "--tls-cert and --tls-key go together\n");
    return 2;
  }
  return cenote::platform::Serve(config);
}
