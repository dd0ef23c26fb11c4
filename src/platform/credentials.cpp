#include "platform/credentials.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/encoding.hpp"
#include "store/durable_file.hpp"

namespace cenote::platform {

namespace {

std::string RandomString(std::size_t n, std::string_view alphabet) {
  std::string out(n, '\0');
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    std::abort();  // no entropy: refuse to create guessable credentials
  }
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
  const char* env_id = std::getenv("CENOTE_ROOT_ACCESS_KEY_ID");
  const char* env_secret = std::getenv("CENOTE_ROOT_SECRET_ACCESS_KEY");
  if (env_id && env_secret && *env_id && *env_secret) {
    return RootCredentials{env_id, env_secret, false, true};
  }
  const std::string path = data_dir + "/root-credentials.json";
  std::ifstream in(path);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(ss.str(), ec);
    if (ec || !v.is_object() || !v.as_object().contains("AccessKeyId") ||
        !v.as_object().contains("SecretAccessKey")) {
      return InternalError("The root credentials file " + path +
                           " is corrupt; remove it to create new ones.");
    }
    return RootCredentials{std::string(v.at("AccessKeyId").as_string()),
                           std::string(v.at("SecretAccessKey").as_string()), false, false};
  }
  RootCredentials creds;
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
  principal_.account_id = account_id;
  principal_.arn = "arn:aws:iam::" + account_id + ":root";
  principal_.user_id = account_id;
  principal_.access_key_id = root_.access_key_id;
  principal_.display_name = "cenote";
  principal_.canonical_id = Sha256Hex("cenote-canonical-user:" + account_id);
  principal_.is_root = true;
}

std::optional<aws::sigv4::SecretRecord> RootCredentialProvider::Lookup(std::string_view access_key_id) const {
  if (access_key_id != root_.access_key_id) return std::nullopt;
  return aws::sigv4::SecretRecord{root_.secret_access_key, "", principal_};
}

}  // namespace cenote::platform
