// Named queries: saved SQL per workgroup. Stored whole as the NamedQuery document.
#include "common/random.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

Error NamedQueryNotFound(const std::string& id) {
  return errors::InvalidRequest("NamedQuery " + id + " was not found.", errors::kCodeResourceNotFound);
}

}  // namespace

Result<json::object> AthenaImpl::CreateNamedQuery(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string workgroup = GetString(in, "WorkGroup").value_or(kPrimaryWorkGroup);
  CENOTE_RETURN_IF_ERROR(LoadWorkGroup(ns, workgroup));
  std::string token = GetString(in, "ClientRequestToken").value_or("");
  json::object doc{{"Name", GetString(in, "Name").value_or("")},
                   {"Database", GetString(in, "Database").value_or("")},
                   {"QueryString", GetString(in, "QueryString").value_or("")},
                   {"WorkGroup", workgroup}};
  if (auto d = GetString(in, "Description")) doc["Description"] = *d;

  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  if (!token.empty()) {
    CENOTE_ASSIGN_OR_RETURN(
        auto row,
        txn->QueryOne(
            "SELECT id, doc FROM athena_named_queries WHERE account = ? AND region = ? AND client_token = ?",
            {ns.account, ns.region, token}));
    if (row) {
      json::object earlier = ParseObject(store::AsText((*row)[1]));
      if (earlier["Name"] != doc["Name"] || earlier["QueryString"] != doc["QueryString"] ||
          earlier["Database"] != doc["Database"] || earlier["WorkGroup"] != doc["WorkGroup"]) {
        return errors::InvalidRequest("Idempotent parameters do not match", errors::kCodeInvalidInput);
      }
      return json::object{{"NamedQueryId", store::AsText((*row)[0])}};
    }
  }
  std::string id = NewUuidV4();
  doc["NamedQueryId"] = id;
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO athena_named_queries (account, region, id, seq, workgroup, client_token, doc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                {ns.account, ns.region, id, NextSeq(), workgroup, token, json::serialize(doc)}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{{"NamedQueryId", id}};
}

Result<json::object> AthenaImpl::GetNamedQuery(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string id = GetString(in, "NamedQueryId").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn->QueryOne("SELECT doc FROM athena_named_queries WHERE account = ? AND region = ? AND id = ?",
                    {ns.account, ns.region, id}));
  if (!row) return NamedQueryNotFound(id);
  return json::object{{"NamedQuery", ParseObject(store::AsText((*row)[0]))}};
}

Result<json::object> AthenaImpl::ListNamedQueries(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  return ListIdsByWorkGroup(ns, in, "athena_named_queries", "named", "NamedQueryIds");
}

Result<json::object> AthenaImpl::BatchGetNamedQuery(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  const json::array* ids = nullptr;
  if (auto* v = in.if_contains("NamedQueryIds"); v && v->is_array()) ids = &v->as_array();
  if (ids == nullptr)
    return json::object{{"NamedQueries", json::array()}, {"UnprocessedNamedQueryIds", json::array()}};
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
  json::array found;
  json::array unprocessed;
  for (const auto& v : *ids) {
    std::string id = v.is_string() ? std::string(v.as_string()) : "";
    CENOTE_ASSIGN_OR_RETURN(
        auto row,
        txn->QueryOne("SELECT doc FROM athena_named_queries WHERE account = ? AND region = ? AND id = ?",
                      {ns.account, ns.region, id}));
    if (row) {
      found.push_back(ParseObject(store::AsText((*row)[0])));
    } else {
      unprocessed.push_back(json::object{{"NamedQueryId", id},
                                         {"ErrorCode", "INVALID_INPUT"},
                                         {"ErrorMessage", "NamedQuery " + id + " was not found."}});
    }
  }
  return json::object{{"NamedQueries", std::move(found)},
                      {"UnprocessedNamedQueryIds", std::move(unprocessed)}};
}

Result<json::object> AthenaImpl::DeleteNamedQuery(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string id = GetString(in, "NamedQueryId").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  CENOTE_ASSIGN_OR_RETURN(
      auto del, txn->Exec("DELETE FROM athena_named_queries WHERE account = ? AND region = ? AND id = ?",
                          {ns.account, ns.region, id}));
  if (del == 0) return NamedQueryNotFound(id);
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<json::object> AthenaImpl::UpdateNamedQuery(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string id = GetString(in, "NamedQueryId").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn->QueryOne("SELECT doc FROM athena_named_queries WHERE account = ? AND region = ? AND id = ?",
                    {ns.account, ns.region, id}));
  if (!row) return NamedQueryNotFound(id);
  json::object doc = ParseObject(store::AsText((*row)[0]));
  if (auto name = GetString(in, "Name")) doc["Name"] = *name;
  if (auto q = GetString(in, "QueryString")) doc["QueryString"] = *q;
  if (auto d = GetString(in, "Description")) {
    doc["Description"] = *d;
  } else {
    doc.erase("Description");
  }
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE athena_named_queries SET doc = ? WHERE id = ?", {json::serialize(doc), id}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

}  // namespace cenote::athena
