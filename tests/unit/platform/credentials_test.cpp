#include "platform/credentials.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace cenote::platform {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("CENOTE_ROOT_ACCESS_KEY_ID");
    unsetenv("CENOTE_ROOT_SECRET_ACCESS_KEY");
    char tmpl[] = "/tmp/cenote-cred-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CredentialsTest, GeneratedOnceThenPersistedWithMode0600) {
  auto first = LoadOrCreateRootCredentials(dir_);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->generated);
  EXPECT_EQ(first->access_key_id.size(), 20u);
  EXPECT_EQ(first->access_key_id.substr(0, 4), "AKIA");
  EXPECT_EQ(first->secret_access_key.size(), 40u);
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/root-credentials.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto second = LoadOrCreateRootCredentials(dir_);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(second->access_key_id, first->access_key_id);
  EXPECT_EQ(second->secret_access_key, first->secret_access_key);
}

TEST_F(CredentialsTest, EnvironmentWins) {
  setenv("CENOTE_ROOT_ACCESS_KEY_ID", "AKIAENVENVENVENVENV1", 1);
  setenv("CENOTE_ROOT_SECRET_ACCESS_KEY", "secret-from-env", 1);
  auto creds = LoadOrCreateRootCredentials(dir_);
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->access_key_id, "AKIAENVENVENVENVENV1");
  EXPECT_TRUE(creds->from_environment);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/root-credentials.json"));
  unsetenv("CENOTE_ROOT_ACCESS_KEY_ID");
  unsetenv("CENOTE_ROOT_SECRET_ACCESS_KEY");
}

TEST_F(CredentialsTest, LookupResolvesOnlyTheRootKey) {
  RootCredentialProvider provider(RootCredentials{"AKIAROOTROOTROOTROOT", "s3cr3t", false, false, ""},
                                  "123456789012");
  auto found = provider.Lookup("AKIAROOTROOTROOTROOT");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->secret_access_key, "s3cr3t");
  EXPECT_TRUE(found->principal.is_root);
  EXPECT_EQ(found->principal.arn, "arn:aws:iam::123456789012:root");
  EXPECT_EQ(found->principal.canonical_id.size(), 64u);
  EXPECT_FALSE(provider.Lookup("AKIAOTHEROTHEROTHER1").has_value());
}

// Captures what is logged through spdlog's default logger while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }
  int Count(const std::string& needle) const {
    int n = 0;
    const std::string all = out_.str();
    for (auto at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(CredentialsTest, UnknownKeysAreLoggedOnceEachWithWhereTheRootKeyIs) {
  auto root = LoadOrCreateRootCredentials(dir_);
  ASSERT_TRUE(root.ok());
  RootCredentialProvider provider(*root, "000000000000");
  LogCapture log;
  EXPECT_FALSE(provider.Lookup("test").has_value());
  EXPECT_FALSE(provider.Lookup("test").has_value());
  EXPECT_TRUE(provider.Lookup(root->access_key_id).has_value());
  EXPECT_EQ(log.Count("unknown access key id 'test'"), 1) << log.text();
  EXPECT_NE(log.text().find("warning"), std::string::npos);
  EXPECT_NE(log.text().find(dir_ + "/root-credentials.json"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find(root->access_key_id), std::string::npos);
  EXPECT_NE(log.text().find("CENOTE_ROOT_ACCESS_KEY_ID"), std::string::npos);

  // Bounded: ids past the cap are refused without a word (and without memory).
  for (int i = 0; i < 200; ++i) provider.Lookup("AKIAUNKNOWN" + std::to_string(i));
  EXPECT_EQ(log.Count("unknown access key id"), static_cast<int>(RootCredentialProvider::kMaxWarnedKeys));
  EXPECT_EQ(log.Count("further unknown key ids are not logged"), 1);
}

TEST_F(CredentialsTest, UnknownKeyWarningNamesTheEnvironmentAndEscapesTheId) {
  setenv("CENOTE_ROOT_ACCESS_KEY_ID", "AKIAENVENVENVENVENV1", 1);
  setenv("CENOTE_ROOT_SECRET_ACCESS_KEY", "secret-from-env", 1);
  auto root = LoadOrCreateRootCredentials(dir_);
  unsetenv("CENOTE_ROOT_ACCESS_KEY_ID");
  unsetenv("CENOTE_ROOT_SECRET_ACCESS_KEY");
  ASSERT_TRUE(root.ok());
  RootCredentialProvider provider(*root, "000000000000");
  LogCapture log;
  EXPECT_FALSE(provider.Lookup("bad\nkey").has_value());
  EXPECT_NE(log.text().find("set by CENOTE_ROOT_ACCESS_KEY_ID"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("bad\\x0akey"), std::string::npos) << log.text();
}

TEST_F(CredentialsTest, EnvironmentOverridingTheFileSaysSoOnce) {
  ASSERT_TRUE(LoadOrCreateRootCredentials(dir_).ok());  // creates the file
  auto from_file = LoadOrCreateRootCredentials(dir_);
  ASSERT_TRUE(from_file.ok());
  setenv("CENOTE_ROOT_ACCESS_KEY_ID", "AKIAENVENVENVENVENV1", 1);
  setenv("CENOTE_ROOT_SECRET_ACCESS_KEY", "secret-from-env", 1);
  {
    LogCapture log;
    auto creds = LoadOrCreateRootCredentials(dir_);
    ASSERT_TRUE(creds.ok());
    EXPECT_TRUE(creds->from_environment);
    EXPECT_EQ(log.Count("warning"), 1) << log.text();
    EXPECT_NE(log.text().find(from_file->access_key_id), std::string::npos)
        << "names the key that stops working";
    EXPECT_NE(log.text().find("not accepted"), std::string::npos) << log.text();
  }
  // Half an override is ignored, with a warning.
  unsetenv("CENOTE_ROOT_SECRET_ACCESS_KEY");
  {
    LogCapture log;
    auto creds = LoadOrCreateRootCredentials(dir_);
    ASSERT_TRUE(creds.ok());
    EXPECT_FALSE(creds->from_environment);
    EXPECT_EQ(creds->access_key_id, from_file->access_key_id);
    EXPECT_NE(log.text().find("CENOTE_ROOT_SECRET_ACCESS_KEY is not"), std::string::npos) << log.text();
  }
  unsetenv("CENOTE_ROOT_ACCESS_KEY_ID");
}

TEST_F(CredentialsTest, CorruptFileIsAnError) {
  FILE* f = fopen((dir_ + "/root-credentials.json").c_str(), "w");
  fputs("{not json", f);
  fclose(f);
  auto creds = LoadOrCreateRootCredentials(dir_);
  EXPECT_FALSE(creds.ok());
}

TEST_F(CredentialsTest, OtherAccountsRootKeysFromAFile) {
  auto write = [&](const char* text) {
    FILE* f = fopen((dir_ + "/roots.json").c_str(), "w");
    fputs(text, f);
    fclose(f);
    return LoadAccountRootKeys(dir_ + "/roots.json");
  };
  auto keys =
      write(R"([{"AccountId":"222222222222","AccessKeyId":"AKIAALTROOT000000001","SecretAccessKey":"s"}])");
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  ASSERT_EQ(keys->size(), 1u);

  RootCredentialProvider provider(RootCredentials{"AKIAROOTROOTROOTROOT", "s3cr3t", false, false, ""},
                                  "123456789012");
  ASSERT_TRUE(provider.AddAccountRoot((*keys)[0]));
  auto found = provider.Lookup("AKIAALTROOT000000001");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->secret_access_key, "s");
  EXPECT_TRUE(found->principal.is_root);
  EXPECT_EQ(found->principal.arn, "arn:aws:iam::222222222222:root");
  EXPECT_EQ(found->principal.account_id, "222222222222");
  // The data directory's root key is still its own account's; a key cannot be given twice.
  EXPECT_EQ(provider.Lookup("AKIAROOTROOTROOTROOT")->principal.account_id, "123456789012");
  EXPECT_FALSE(provider.AddAccountRoot((*keys)[0]));
  EXPECT_FALSE(provider.AddAccountRoot({"333333333333", "AKIAROOTROOTROOTROOT", "x"}));

  // Malformed files name what is wrong.
  auto bad_account =
      write(R"([{"AccountId":"2222","AccessKeyId":"AKIAALTROOT000000001","SecretAccessKey":"s"}])");
  ASSERT_FALSE(bad_account.ok());
  EXPECT_NE(bad_account.error().message.find("entry 1: AccountId must be 12 digits"), std::string::npos);
  EXPECT_FALSE(write(R"({"AccountId":"222222222222"})").ok());
  EXPECT_FALSE(write(R"([{"AccountId":"222222222222","AccessKeyId":"AKIA","SecretAccessKey":"s"}])").ok());
  auto twice =
      write(R"([{"AccountId":"222222222222","AccessKeyId":"AKIAALTROOT000000001","SecretAccessKey":"s"},
                         {"AccountId":"333333333333","AccessKeyId":"AKIAALTROOT000000001","SecretAccessKey":"t"}])");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("given twice"), std::string::npos);
}

}  // namespace
}  // namespace cenote::platform
