#include "platform/credentials.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

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
  RootCredentialProvider provider(RootCredentials{"AKIAROOTROOTROOTROOT", "s3cr3t", false, false},
                                  "123456789012");
  auto found = provider.Lookup("AKIAROOTROOTROOTROOT");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->secret_access_key, "s3cr3t");
  EXPECT_TRUE(found->principal.is_root);
  EXPECT_EQ(found->principal.arn, "arn:aws:iam::123456789012:root");
  EXPECT_EQ(found->principal.canonical_id.size(), 64u);
  EXPECT_FALSE(provider.Lookup("AKIAOTHEROTHEROTHER1").has_value());
}

TEST_F(CredentialsTest, CorruptFileIsAnError) {
  FILE* f = fopen((dir_ + "/root-credentials.json").c_str(), "w");
  fputs("{not json", f);
  fclose(f);
  auto creds = LoadOrCreateRootCredentials(dir_);
  EXPECT_FALSE(creds.ok());
}

}  // namespace
}  // namespace cenote::platform
