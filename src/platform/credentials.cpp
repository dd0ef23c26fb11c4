#include "platform/credentials.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "iam/directory.hpp"
#include "store/durable_file.hpp"

namespace cenote::platform {

namespace {

std::string RandomString(std::size_t n, std::string_view alphabet) {
  std::string out(n, '\0');
  const std::string bytes = RandomBytes(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = alphabet[static_cast<unsigned char>(bytes[i]) % alphabet.size()];
  }
  return out;
}

}  // namespace

std::string AccountId() {
  const char* v = std::getenv("CENOTE_ACCOUNT_ID");
  if (v && std::string_view(v).size() == 12) return v;
  return "000000000000";
}

Result<RootCredentials> LoadOrCreateRootCredentials(const std::string& data_dir) {
  const std::string path = data_dir + "/root-credentials.json";
  // The file's credentials, or nullopt when there is no file. InternalError when it is corrupt.
  auto read_file = [&]() -> Result<std::optional<RootCredentials>> {
    std::ifstream in(path);
    if (!in) return std::optional<RootCredentials>();
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(ss.str(), ec);
    if (ec || !v.is_object() || !v.as_object().contains("AccessKeyId") ||
        !v.as_object().contains("SecretAccessKey") || !v.at("AccessKeyId").is_string() ||
        !v.at("SecretAccessKey").is_string()) {
      return InternalError("The root credentials file " + path +
                           " is corrupt; remove it to create new ones.");
    }
    RootCredentials creds;
    creds.access_key_id = std::string(v.at("AccessKeyId").as_string());
    creds.secret_access_key = std::string(v.at("SecretAccessKey").as_string());
    creds.file = path;
    return std::optional<RootCredentials>(std::move(creds));
  };

  const char* env_id = std::getenv("CENOTE_ROOT_ACCESS_KEY_ID");
  const char* env_secret = std::getenv("CENOTE_ROOT_SECRET_ACCESS_KEY");
  const bool has_id = env_id != nullptr && *env_id != '\0';
  const bool has_secret = env_secret != nullptr && *env_secret != '\0';
  if (has_id && has_secret) {
    RootCredentials creds;
    creds.access_key_id = env_id;
    creds.secret_access_key = env_secret;
    creds.from_environment = true;
    creds.file = path;
    // Said once at start: the file's key stops working while the variables are set, and nothing else
    // would tell a user whose scripts still use it.
    auto file = read_file();
    if (file.ok() && file->has_value() && (*file)->access_key_id != creds.access_key_id) {
      spdlog::warn(
          "root credentials: CENOTE_ROOT_ACCESS_KEY_ID={} from the environment; the key in {} ({}) is "
          "not accepted while CENOTE_ROOT_ACCESS_KEY_ID/CENOTE_ROOT_SECRET_ACCESS_KEY are set",
          creds.access_key_id, path, (*file)->access_key_id);
    } else {
      spdlog::info("root credentials: CENOTE_ROOT_ACCESS_KEY_ID={} from the environment",
                   creds.access_key_id);
    }
    return creds;
  }
  if (has_id || has_secret) {
    spdlog::warn(
        "root credentials: {} is set but {} is not; both are needed, so the data directory's "
        "credentials are used",
        has_id ? "CENOTE_ROOT_ACCESS_KEY_ID" : "CENOTE_ROOT_SECRET_ACCESS_KEY",
        has_id ? "CENOTE_ROOT_SECRET_ACCESS_KEY" : "CENOTE_ROOT_ACCESS_KEY_ID");
  }
  CENOTE_ASSIGN_OR_RETURN(std::optional<RootCredentials> existing, read_file());
  if (existing) return std::move(*existing);
  RootCredentials creds;
  creds.file = path;
  creds.access_key_id = "AKIA" + RandomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
  creds.secret_access_key =
      RandomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  creds.generated = true;
  boost::json::object doc;
  doc["AccessKeyId"] = creds.access_key_id;
  doc["SecretAccessKey"] = creds.secret_access_key;
  CENOTE_RETURN_IF_ERROR(store::WriteFileDurably(path, boost::json::serialize(doc) + "\n", 0600));
  return creds;
}

RootCredentialProvider::RootCredentialProvider(RootCredentials root, std::string account_id)
    : root_(std::move(root)) {
  principal_ = iam::RootPrincipal(account_id);
  principal_.access_key_id = root_.access_key_id;
}

Result<std::vector<AccountRootKey>> LoadAccountRootKeys(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError("InvalidArgument", "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(ss.str(), ec);
  if (ec || !v.is_array()) {
    return MakeError(
        "InvalidArgument",
        path + ": expected a JSON list of {\"AccountId\", \"AccessKeyId\", \"SecretAccessKey\"}");
  }
  std::vector<AccountRootKey> out;
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < v.as_array().size(); ++i) {
    const boost::json::value& e = v.as_array()[i];
    auto field = [&](std::string_view name) -> std::string {
      if (!e.is_object()) return {};
      const boost::json::value* f = e.as_object().if_contains(name);
      return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
    };
    AccountRootKey key{field("AccountId"), field("AccessKeyId"), field("SecretAccessKey")};
    const auto all_of = [](std::string_view text, auto pred) {
      for (char c : text) {
        if (!pred(static_cast<unsigned char>(c))) return false;
      }
      return true;
    };
    const std::string where = fmt::format("{}: entry {}", path, i + 1);
    if (key.account_id.size() != 12 || !all_of(key.account_id, [](int c) { return std::isdigit(c) != 0; }))
      return MakeError("InvalidArgument", where + ": AccountId must be 12 digits");
    if (key.access_key_id.size() < 16 || key.access_key_id.size() > 128 ||
        !all_of(key.access_key_id, [](int c) { return std::isalnum(c) != 0; }))
      return MakeError("InvalidArgument", where + ": AccessKeyId must be 16 to 128 letters and digits");
    if (key.secret_access_key.empty())
      return MakeError("InvalidArgument", where + ": SecretAccessKey is empty");
    if (!seen.insert(key.access_key_id).second)
      return MakeError("InvalidArgument", where + ": AccessKeyId " + key.access_key_id + " is given twice");
    out.push_back(std::move(key));
  }
  return out;
}

Status RootCredentialProvider::AddAccountRoot(AccountRootKey key) {
  if (key.access_key_id == root_.access_key_id || other_roots_.contains(key.access_key_id)) {
    return MakeError("InvalidArgument", "the access key id " + key.access_key_id + " is already in use");
  }
  iam::Principal principal = iam::RootPrincipal(key.account_id);
  principal.access_key_id = key.access_key_id;
  other_roots_.emplace(std::move(key.access_key_id),
                       std::make_pair(std::move(key.secret_access_key), std::move(principal)));
  return Status::Ok();
}

std::optional<aws::sigv4::SecretRecord> RootCredentialProvider::Lookup(std::string_view access_key_id) const {
  if (auto other = other_roots_.find(access_key_id); other != other_roots_.end()) {
    return aws::sigv4::SecretRecord{other->second.first, "", other->second.second};
  }
  if (access_key_id != root_.access_key_id) {
    for (const iam::CredentialSource* source : sources_) {
      if (auto found = source->Lookup(access_key_id)) {
        return aws::sigv4::SecretRecord{std::move(found->secret_access_key), std::move(found->session_token),
                                        std::move(found->principal)};
      }
    }
    WarnUnknownKey(access_key_id);
    return std::nullopt;
  }
  return aws::sigv4::SecretRecord{root_.secret_access_key, "", principal_};
}

bool RootCredentialProvider::IsExpired(std::string_view access_key_id, std::string_view session_token) const {
  for (const iam::CredentialSource* source : sources_) {
    if (source->IsExpired(access_key_id, session_token)) return true;
  }
  return false;
}

void RootCredentialProvider::Used(std::string_view access_key_id, std::string_view service,
                                  std::string_view region) const {
  if (access_key_id == root_.access_key_id || access_key_id.empty() || other_roots_.contains(access_key_id))
    return;
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  for (const iam::CredentialSource* source : sources_)
    source->RecordUse(access_key_id, service, region, now_ms);
}

void RootCredentialProvider::WarnUnknownKey(std::string_view access_key_id) const {
  if (access_key_id.empty()) return;
  bool last = false;
  {
    // Once per key id, and a bounded set: a client cycling through random ids must not grow memory or
    // flood the log.
    MutexLock lock(warned_mu_);
    if (warned_.size() >= kMaxWarnedKeys || !warned_.emplace(access_key_id.substr(0, 128)).second) return;
    last = warned_.size() == kMaxWarnedKeys;
  }
  // The id comes from the request: printed escaped so that it cannot forge log lines.
  std::string shown;
  for (char c : access_key_id.substr(0, 128)) {
    if (std::isprint(static_cast<unsigned char>(c))) {
      shown.push_back(c);
    } else {
      shown += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  std::string where = "secret in " + root_.file;
  if (root_.from_environment) where = "set by CENOTE_ROOT_ACCESS_KEY_ID / CENOTE_ROOT_SECRET_ACCESS_KEY";
  if (!root_.from_environment && root_.file.empty()) where = "given at start";
  spdlog::warn(
      "request signed with an unknown access key id '{}' refused: this server accepts its root "
      "credentials, AWS_ACCESS_KEY_ID={} ({}); to accept other keys (test/test, say), start it with "
      "CENOTE_ROOT_ACCESS_KEY_ID and CENOTE_ROOT_SECRET_ACCESS_KEY set to them{}",
      shown, root_.access_key_id, where, last ? " (further unknown key ids are not logged)" : "");
}

}  // namespace cenote::platform
