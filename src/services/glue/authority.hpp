// Glue's side of authorization: the Data Catalog's resource policy (PutResourcePolicy) is the resource policy
// the authorizer evaluates for every catalog resource of that catalog (the catalog, its databases, tables,
// functions and connections), so another account's principal the policy allows may use the catalog by its
// CatalogId, as on AWS (cross-account access needs the caller's own IAM allow too).
#pragma once

#include <memory>

#include "iam/directory.hpp"
#include "services/glue/catalog.hpp"

namespace cenote::glue {

std::unique_ptr<iam::ResourceAuthority> MakeCatalogAuthority(const Catalog& catalog);

// The catalog resource policy of `account` in `region` ("" when none is put).
Result<std::string> CatalogPolicyText(const Catalog& catalog, const std::string& account,
                                      const std::string& region);

}  // namespace cenote::glue
