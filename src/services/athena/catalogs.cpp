// Data catalogs, databases and table metadata: Athena's read-only view of the Glue Data Catalog
// ("AwsDataCatalog", type GLUE). Table parameters include the storage descriptor's location, formats and
// SerDe, as Athena reports them.
#include "common/strings.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

Status CheckCatalog(const json::object& in, const char* member) {
  std::string name = GetString(in, member).value_or("");
  if (AsciiLower(name) != AsciiLower(kDefaultCatalog)) {
    return errors::InvalidRequest("Catalog " + name + " is not found.", errors::kCodeResourceNotFound);
  }
  return Status::Ok();
}

Error MetadataError(const Error& glue_error) {
  return services::MakeError(errors::kMetadata, {glue_error.message});
}

json::array AthenaColumns(const json::value* columns) {
  json::array out;
  if (columns == nullptr || !columns->is_array()) return out;
  for (const auto& c : columns->as_array()) {
    if (!c.is_object()) continue;
    json::object col{{"Name", GetString(c.as_object(), "Name").value_or("")}};
    if (auto t = GetString(c.as_object(), "Type")) col["Type"] = *t;
    if (auto cm = GetString(c.as_object(), "Comment")) col["Comment"] = *cm;
    out.push_back(std::move(col));
  }
  return out;
}

json::object TableMetadata(const json::object& table) {
  json::object out{{"Name", GetString(table, "Name").value_or("")}};
  if (auto t = GetInt(table, "CreateTime")) out["CreateTime"] = *t;
  if (auto t = GetInt(table, "LastAccessTime")) out["LastAccessTime"] = *t;
  if (auto t = GetString(table, "TableType")) out["TableType"] = *t;
  const json::object* sd = GetObject(table, "StorageDescriptor");
  out["Columns"] = AthenaColumns(sd ? sd->if_contains("Columns") : nullptr);
  out["PartitionKeys"] = AthenaColumns(table.if_contains("PartitionKeys"));
  json::object params;
  if (auto* p = GetObject(table, "Parameters")) params = *p;
  if (sd) {
    if (auto v = GetString(*sd, "Location")) params["location"] = *v;
    if (auto v = GetString(*sd, "InputFormat")) params["inputformat"] = *v;
    if (auto v = GetString(*sd, "OutputFormat")) params["outputformat"] = *v;
    if (auto* serde = GetObject(*sd, "SerdeInfo")) {
      if (auto v = GetString(*serde, "SerializationLibrary")) params["serde.serialization.lib"] = *v;
      if (auto* sp = GetObject(*serde, "Parameters")) {
        for (const auto& [k, v] : *sp) {
          if (v.is_string()) params["serde.param." + std::string(k)] = v;
        }
      }
    }
  }
  out["Parameters"] = std::move(params);
  return out;
}

json::object DatabaseOf(const json::object& db) {
  json::object out{{"Name", GetString(db, "Name").value_or("")}};
  if (auto d = GetString(db, "Description")) out["Description"] = *d;
  json::object params;
  if (auto* p = GetObject(db, "Parameters")) params = *p;
  if (auto loc = GetString(db, "LocationUri")) params["location"] = *loc;
  if (!params.empty()) out["Parameters"] = std::move(params);
  return out;
}

}  // namespace

Result<json::object> AthenaImpl::ListDataCatalogs(const aws::RequestContext& ctx,
                                                  const json::object& /*in*/) {
  const Namespace ns = NamespaceOf(ctx);
  return json::object{
      {"DataCatalogsSummary", json::array{json::object{{"CatalogName", kDefaultCatalog}, {"Type", "GLUE"}}}}};
}

Result<json::object> AthenaImpl::GetDataCatalog(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  CENOTE_RETURN_IF_ERROR(CheckCatalog(in, "Name"));
  return json::object{
      {"DataCatalog", json::object{{"Name", kDefaultCatalog},
                                   {"Description", "AWS Glue Data Catalog"},
                                   {"Type", "GLUE"},
                                   {"Parameters", json::object{{"catalog-id", options_.account_id}}}}}};
}

Result<json::object> AthenaImpl::ListDatabases(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  CENOTE_RETURN_IF_ERROR(CheckCatalog(in, "CatalogName"));
  CENOTE_ASSIGN_OR_RETURN(auto max, MaxResults(in, 1, 50, 50));
  auto page = catalog_.ForRegion(ns.account, ns.region, glue::AccessorOf(ctx))
                  ->GetDatabases(GetString(in, "NextToken").value_or(""), max);
  if (!page) return MetadataError(page.error());
  json::array list;
  for (const auto& db : page->items) list.push_back(DatabaseOf(db));
  json::object out{{"DatabaseList", std::move(list)}};
  if (!page->next_token.empty()) out["NextToken"] = page->next_token;
  return out;
}

Result<json::object> AthenaImpl::GetDatabase(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  CENOTE_RETURN_IF_ERROR(CheckCatalog(in, "CatalogName"));
  auto db = catalog_.ForRegion(ns.account, ns.region, glue::AccessorOf(ctx))
                ->GetDatabase(GetString(in, "DatabaseName").value_or(""));
  if (!db) return MetadataError(db.error());
  return json::object{{"Database", DatabaseOf(*db)}};
}

Result<json::object> AthenaImpl::ListTableMetadata(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  CENOTE_RETURN_IF_ERROR(CheckCatalog(in, "CatalogName"));
  CENOTE_ASSIGN_OR_RETURN(auto max, MaxResults(in, 1, 50, 50));
  auto page =
      catalog_.ForRegion(ns.account, ns.region, glue::AccessorOf(ctx))
          ->GetTables(GetString(in, "DatabaseName").value_or(""), GetString(in, "Expression").value_or(""),
                      GetString(in, "NextToken").value_or(""), max);
  if (!page) return MetadataError(page.error());
  json::array list;
  for (const auto& t : page->items) list.push_back(TableMetadata(t));
  json::object out{{"TableMetadataList", std::move(list)}};
  if (!page->next_token.empty()) out["NextToken"] = page->next_token;
  return out;
}

Result<json::object> AthenaImpl::GetTableMetadata(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  CENOTE_RETURN_IF_ERROR(CheckCatalog(in, "CatalogName"));
  auto t =
      catalog_.ForRegion(ns.account, ns.region, glue::AccessorOf(ctx))
          ->GetTable(GetString(in, "DatabaseName").value_or(""), GetString(in, "TableName").value_or(""));
  if (!t) return MetadataError(t.error());
  return json::object{{"TableMetadata", TableMetadata(*t)}};
}

}  // namespace cenote::athena
