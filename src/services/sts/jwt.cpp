#include "services/sts/jwt.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <boost/json.hpp>
#include <memory>

#include "common/encoding.hpp"
#include "common/strings.hpp"

namespace cenote::sts {

namespace json = boost::json;

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::optional<std::string> B64Url(std::string_view text) {
  Base64DecodeOptions options;
  options.standard = false;
  options.url_safe = true;
  options.canonical = false;
  return Base64Decode(text, options);
}

std::string Str(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

struct Algorithm {
  bool rsa = false;
  const EVP_MD* md = nullptr;
  const char* curve = nullptr;  // EC: the group name
  std::string_view crv;         // EC: the JWK "crv"
  std::size_t coordinate = 0;   // EC: bytes per coordinate (r, s)
};

std::optional<Algorithm> AlgorithmOf(std::string_view alg) {
  if (alg == "RS256") return Algorithm{true, EVP_sha256(), nullptr, "", 0};
  if (alg == "RS384") return Algorithm{true, EVP_sha384(), nullptr, "", 0};
  if (alg == "RS512") return Algorithm{true, EVP_sha512(), nullptr, "", 0};
  if (alg == "ES256") return Algorithm{false, EVP_sha256(), "prime256v1", "P-256", 32};
  if (alg == "ES384") return Algorithm{false, EVP_sha384(), "secp384r1", "P-384", 48};
  if (alg == "ES512") return Algorithm{false, EVP_sha512(), "secp521r1", "P-521", 66};
  return std::nullopt;
}

Pkey FromData(const char* type, OSSL_PARAM* params) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return nullptr;
  }
  return Pkey(key);
}

Pkey RsaKey(const json::object& jwk) {
  auto n = B64Url(Str(jwk, "n"));
  auto e = B64Url(Str(jwk, "e"));
  if (!n || !e || n->empty() || e->empty()) return nullptr;
  std::unique_ptr<BIGNUM, BnFree> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  return params ? FromData("RSA", params.get()) : nullptr;
}

Pkey EcKey(const json::object& jwk, const Algorithm& alg) {
  if (Str(jwk, "crv") != alg.crv) return nullptr;
  auto x = B64Url(Str(jwk, "x"));
  auto y = B64Url(Str(jwk, "y"));
  if (!x || !y || x->size() != alg.coordinate || y->size() != alg.coordinate) return nullptr;
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, alg.curve, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  return params ? FromData("EC", params.get()) : nullptr;
}

// JWS's ECDSA signature (r||s, fixed width) as the DER that OpenSSL verifies.
std::optional<std::string> EcdsaDer(std::string_view raw, std::size_t coordinate) {
  if (raw.size() != 2 * coordinate) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  BIGNUM* r =
      BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(coordinate), nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + coordinate),
                        static_cast<int>(coordinate), nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

bool Verify(EVP_PKEY* key, const EVP_MD* md, std::string_view input, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

}  // namespace

Result<Jwt> ParseJwt(std::string_view token) {
  const Error invalid = MakeError("InvalidIdentityToken", "The ID Token provided is not a valid JWT.", 400);
  auto first = token.find('.');
  if (first == std::string_view::npos) return invalid;
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return invalid;
  auto header = B64Url(token.substr(0, first));
  auto payload = B64Url(token.substr(first + 1, second - first - 1));
  auto signature = B64Url(token.substr(second + 1));
  if (!header || !payload || !signature) return invalid;
  json::error_code ec1, ec2;
  json::value h = json::parse(*header, ec1);
  json::value c = json::parse(*payload, ec2);
  if (ec1 || ec2 || !h.is_object() || !c.is_object()) return invalid;
  Jwt jwt;
  jwt.header = std::move(h.get_object());
  jwt.claims = std::move(c.get_object());
  jwt.signing_input = std::string(token.substr(0, second));
  jwt.signature = std::move(*signature);
  return jwt;
}

Status VerifyJwtSignature(const Jwt& jwt, std::string_view jwks) {
  const std::string alg_name = Str(jwt.header, "alg");
  std::optional<Algorithm> alg = AlgorithmOf(alg_name);
  if (!alg) {
    return MakeError("InvalidIdentityToken",
                     "The token's signing algorithm " + TruncateForEcho(alg_name, 32) + " is not supported.",
                     400);
  }
  json::error_code ec;
  json::value set = json::parse(jwks, ec);
  const json::value* keys = !ec && set.is_object() ? set.get_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    return MakeError("InvalidIdentityToken", "The identity provider's JWKS is not a valid key set.", 400);
  }
  const std::string kid = Str(jwt.header, "kid");
  std::string signature = jwt.signature;
  if (!alg->rsa) {
    auto der = EcdsaDer(signature, alg->coordinate);
    if (!der) return MakeError("InvalidIdentityToken", "The token's signature is invalid.", 400);
    signature = std::move(*der);
  }
  bool found = false;
  for (const json::value& k : keys->get_array()) {
    if (!k.is_object()) continue;
    const json::object& jwk = k.get_object();
    if (!kid.empty() && Str(jwk, "kid") != kid) continue;
    if (std::string use = Str(jwk, "use"); !use.empty() && use != "sig") continue;
    if (std::string a = Str(jwk, "alg"); !a.empty() && a != alg_name) continue;
    const std::string kty = Str(jwk, "kty");
    Pkey key = alg->rsa ? (kty == "RSA" ? RsaKey(jwk) : nullptr) : (kty == "EC" ? EcKey(jwk, *alg) : nullptr);
    if (!key) continue;
    found = true;
    if (Verify(key.get(), alg->md, jwt.signing_input, signature)) return Status::Ok();
  }
  if (!found) {
    return MakeError("InvalidIdentityToken",
                     "Couldn't find a key in the identity provider's JWKS that matches the token's key id.",
                     400);
  }
  return MakeError("InvalidIdentityToken", "The token's signature is invalid.", 400);
}

std::vector<std::string> ClaimStrings(const json::object& claims, std::string_view name) {
  std::vector<std::string> out;
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return out;
  if (v->is_string()) out.emplace_back(v->get_string());
  if (v->is_array()) {
    for (const json::value& e : v->get_array()) {
      if (e.is_string()) out.emplace_back(e.get_string());
    }
  }
  return out;
}

std::optional<std::int64_t> ClaimSeconds(const json::object& claims, std::string_view name) {
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return std::nullopt;
}

}  // namespace cenote::sts
