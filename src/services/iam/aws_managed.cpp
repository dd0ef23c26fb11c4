// The catalog of AWS-managed policies (aws_managed_policies.json, embedded): the documents AWS publishes in
// its Managed Policy Reference, with their default version ids. Every account sees the same policies, under
// arn:aws:iam::aws:policy/<path><name>; they attach like customer-managed ones and are never changed or
// deleted.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "common/clock.hpp"
#include "common/encoding.hpp"

#include "services/iam/internal.hpp"

namespace cenote::iam {

namespace detail {
std::string_view AwsManagedPoliciesJson();
}  // namespace detail

namespace {

// "2015-02-06T18:40:00Z" -> milliseconds since the epoch (0 when malformed).
std::int64_t ParseDate(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (std::sscanf(std::string(s).c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6) return 0;
  std::int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60000 + sec * 1000;
}

}  // namespace

const std::map<std::string, PolicyEntity>& AwsManagedPolicies() {
  static const auto* catalog = [] {
    auto* out = new std::map<std::string, PolicyEntity>();
    boost::system::error_code ec;
    auto doc = json::parse(detail::AwsManagedPoliciesJson(), ec);
    if (ec || !doc.is_object()) {
      spdlog::error("iam: the embedded AWS-managed policy catalog does not parse");
      return out;
    }
    const auto* policies = GetArray(doc.as_object(), "policies");
    if (policies == nullptr) return out;
    for (const auto& v : *policies) {
      if (!v.is_object()) continue;
      const auto& o = v.as_object();
      PolicyEntity p;
      p.account = "aws";
      p.name = GetString(o, "name").value_or("");
      p.path = GetString(o, "path").value_or("/");
      p.id = GetString(o, "id").value_or("");
      if (p.id.empty()) {
        // A stable id of the AWS-managed policy (AWS's own are not published): ANPA + 16 of [A-Z2-7] from the
        // name's SHA-256.
        static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        std::string digest = Sha256Hex(p.name);
        p.id = "ANPA";
        for (std::size_t i = 0; i < 16; ++i)
          p.id.push_back(kAlphabet[std::stoi(digest.substr(2 * i, 2), nullptr, 16) % 32]);
      }
      p.description = GetString(o, "description").value_or("");
      p.created_ms = ParseDate(GetString(o, "created").value_or(""));
      p.updated_ms = ParseDate(GetString(o, "updated").value_or(""));
      p.default_version = GetString(o, "version").value_or("v1");
      const json::value* document = o.if_contains("document");
      if (document == nullptr) continue;
      // Stored as AWS shows it: the JSON text of the document.
      p.versions.push_back({p.default_version, json::serialize(*document), p.updated_ms});
      (*out)[p.Arn()] = std::move(p);
    }
    return out;
  }();
  return *catalog;
}

}  // namespace cenote::iam
