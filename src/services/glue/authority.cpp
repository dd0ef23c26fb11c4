// The catalog resource policy for the authorizer (authority.hpp).
#include "services/glue/authority.hpp"

#include "common/strings.hpp"
#include "iam/policy_cache.hpp"
#include "services/common/params.hpp"

namespace cenote::glue {
namespace {

// Catalog resource types (arn:aws:glue:<region>:<account>:<type>[/...]): the ones the catalog policy covers.
bool IsCatalogResource(std::string_view resource) {
  for (std::string_view type : {"catalog", "database/", "table/", "userDefinedFunction/", "connection/"}) {
    if (resource.starts_with(type)) return true;
  }
  return false;
}

class CatalogAuthority final : public iam::ResourceAuthority {
 public:
  explicit CatalogAuthority(const Catalog& catalog) : catalog_(catalog) {}
  std::string_view service() const override { return "glue"; }

  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal&, std::string_view,
                                   std::string_view resource_arn) const override {
    iam::ResourceFacts facts;
    // arn:<partition>:glue:<region>:<account>:<resource>
    const std::vector<std::string_view> parts = SplitString(resource_arn, ':');
    if (parts.size() < 6 || parts[2] != "glue" || parts[3].empty() || parts[4].empty()) return facts;
    const std::size_t resource_at =
        parts[0].size() + parts[1].size() + parts[2].size() + parts[3].size() + parts[4].size() + 5;
    if (!IsCatalogResource(resource_arn.substr(resource_at))) return facts;
    CENOTE_ASSIGN_OR_RETURN(auto text,
                            CatalogPolicyText(catalog_, std::string(parts[4]), std::string(parts[3])));
    if (text.empty()) return facts;
    CENOTE_ASSIGN_OR_RETURN(auto policy, policies_.Get(text, iam::PolicyKind::kResource));
    facts.policy = iam::NamedPolicy{"catalog resource policy", std::move(policy)};
    return facts;
  }

 private:
  const Catalog& catalog_;
  mutable iam::PolicyCache policies_{256};
};

}  // namespace

std::unique_ptr<iam::ResourceAuthority> MakeCatalogAuthority(const Catalog& catalog) {
  return std::make_unique<CatalogAuthority>(catalog);
}

Result<std::string> CatalogPolicyText(const Catalog& catalog, const std::string& account,
                                      const std::string& region) {
  CENOTE_ASSIGN_OR_RETURN(auto doc, catalog.objects().Get(ObjectKey{.account = account,
                                                                    .region = region,
                                                                    .kind = kPolicyKind,
                                                                    .scope = ScopeOf({}),
                                                                    .name = kCatalogPolicyName}));
  if (!doc) return std::string();
  return std::string(services::GetString(*doc, "PolicyInJson").value_or(""));
}

}  // namespace cenote::glue
