// AuthorizationMessageCodec: the server side of iam/authorization_message.hpp. Encode seals AWS's decoded
// authorization-failure document (the JSON shown there) with AES-256-GCM under a 32-byte key kept in
// <data-dir>/sts/authorization-message.key (mode 0600, created on first start, never replaced while it
// exists); the opaque text is base64url (no padding) of: version byte 0x01, 12-byte random nonce,
// ciphertext, 16-byte tag, with the version byte as additional authenticated data. Decode reverses it and
// answers nullopt for anything this key did not seal (altered, truncated, from another data directory).
//
// Thread safety: immutable after Open; Encode and Decode may be called concurrently.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "iam/authorization_message.hpp"

namespace cenote::sts {

class AuthorizationMessageCodec final : public iam::AuthorizationMessageEncoder {
 public:
  // Loads (or creates, durably) the key file at `key_path`.
  static Result<std::unique_ptr<AuthorizationMessageCodec>> Open(const std::string& key_path);
  // A codec with a key of its own that no file holds (tests).
  static std::unique_ptr<AuthorizationMessageCodec> Ephemeral();
  ~AuthorizationMessageCodec() override;

  std::string Encode(const iam::AuthorizationFailure& failure) const override;
  // Seals any document (Encode's JSON, or a test's).
  std::string Seal(std::string_view document) const;
  // The sealed document, or nullopt when `encoded` is not one this key sealed.
  std::optional<std::string> Decode(std::string_view encoded) const;

  // AWS's decoded-message JSON for `failure` (the header of iam/authorization_message.hpp).
  static std::string DocumentOf(const iam::AuthorizationFailure& failure);

 private:
  explicit AuthorizationMessageCodec(std::string key) : key_(std::move(key)) {}
  std::string key_;  // 32 bytes
};

}  // namespace cenote::sts
