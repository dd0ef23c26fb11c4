// SNS message signatures ("Verifying the signatures of Amazon SNS messages"): one RSA-2048 key and a
// self-signed X.509 certificate for it, served (PEM) at every message's SigningCertURL. SignatureVersion 1
// signs with SHA1withRSA, 2 with SHA256withRSA (PKCS#1 v1.5), base64 of the signature in the message's
// Signature field, over the canonical string of the message (CanonicalString).
//
// Like CloudTrail's digest-signing keys, the key lives in the metadata store (table sns_keys), made on the
// first start of a data directory and kept.
//
// Thread safety: a SigningKey is immutable once made; its methods may be called from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::sns {

class SigningKey {
 public:
  ~SigningKey();
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;

  // A new RSA-2048 key pair with a self-signed certificate (CN sns.amazonaws.com, 10 years).
  static Result<SigningKey> Generate();
  // A key from its PKCS#1 private-key DER and its certificate (PEM).
  static Result<SigningKey> Load(std::string_view private_der, std::string_view certificate_pem);

  std::string PrivateDer() const;
  const std::string& CertificatePem() const;
  // The name the certificate is served under: "SimpleNotificationService-<hex MD5 of the PEM>.pem".
  const std::string& CertificateName() const;
  // Base64 of SHA1withRSA (version 1) or SHA256withRSA (version 2) of `data`.
  Result<std::string> Sign(std::string_view data, int signature_version) const;

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The string an SNS message's signature covers: "Key\nValue\n" for each present key, in this order:
//   Notification:                                  Message, MessageId, Subject, Timestamp, TopicArn, Type
//   SubscriptionConfirmation/UnsubscribeConfirmation: Message, MessageId, SubscribeURL, Timestamp, Token,
//                                                  TopicArn, Type
std::string CanonicalString(const boost::json::object& message);

// Verifies a base64 signature under a PEM certificate's key (tests).
bool VerifySignature(std::string_view certificate_pem, std::string_view data, std::string_view signature_b64,
                     int signature_version);

}  // namespace cenote::sns
