// GetQueryResults: pages of the result file in the output location. The first page of a SELECT starts
// with the header row (the file's first line), as Athena's does; NextToken is the byte offset of the
// next row, bound to the execution.
#include <filesystem>

#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

bool IsCaseSensitive(const std::string& type) {
  return type == "varchar" || type == "char" || type == "string";
}

json::object ColumnInfo(const query::ResultColumn& c) {
  return json::object{{"CatalogName", "hive"},    {"SchemaName", ""},
                      {"TableName", ""},          {"Name", c.name},
                      {"Label", c.name},          {"Type", c.type},
                      {"Precision", c.precision}, {"Scale", c.scale},
                      {"Nullable", "UNKNOWN"},    {"CaseSensitive", IsCaseSensitive(c.type)}};
}

}  // namespace

Result<json::object> AthenaImpl::GetQueryResults(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string id = GetString(in, "QueryExecutionId").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto max, MaxResults(in, 1, 1000, 1000));
  if (auto type = GetString(in, "QueryResultType"); type && *type == "DATA_MANIFEST") {
    return errors::InvalidRequest("DATA_MANIFEST results are not available for this query",
                                  errors::kCodeInvalidInput);
  }
  CENOTE_ASSIGN_OR_RETURN(auto loaded, LoadExecution(ns, id));
  if (!loaded)
    return errors::InvalidRequest("QueryExecution " + id + " was not found", errors::kCodeInvalidInput);
  json::object& doc = *loaded;
  // The result objects are read as the caller of GetQueryResults.
  std::unique_ptr<s3::LakeAccess> lake = lake_.For(CallerOf(ctx));
  std::string state = "QUEUED";
  if (auto* st = GetObject(doc, "Status")) state = GetString(*st, "State").value_or(state);
  if (state == "QUEUED" || state == "RUNNING") {
    return errors::InvalidRequest("Query has not yet finished. Current state: " + state,
                                  errors::kCodeInvalidInput);
  }
  if (state != "SUCCEEDED") {
    std::string reason;
    if (auto* st = GetObject(doc, "Status")) reason = GetString(*st, "StateChangeReason").value_or("");
    return errors::InvalidRequest("Query did not finish successfully. Final query state: " + state +
                                      (reason.empty() ? "" : "\n" + reason),
                                  errors::kCodeInvalidInput);
  }
  std::string result_url;
  if (auto* rc = GetObject(doc, "ResultConfiguration"))
    result_url = GetString(*rc, "OutputLocation").value_or("");
  auto url = ParseS3Url(result_url);
  if (!url) return errors::InternalServer("The query result location is not valid");

  // CSE_KMS results are decrypted here, their data keys asked of KMS as the caller (kms:Decrypt).
  bool client_side = false;
  if (auto* rc = GetObject(doc, "ResultConfiguration")) {
    if (auto* enc = GetObject(*rc, "EncryptionConfiguration"))
      client_side = GetString(*enc, "EncryptionOption").value_or("") == "CSE_KMS";
  }
  auto decrypt = [&](const std::string& key, Result<std::string> sealed) -> Result<std::string> {
    if (!client_side || !sealed) return sealed;
    if (options_.invoker == nullptr) return InternalError("no KMS to decrypt the results with");
    CENOTE_ASSIGN_OR_RETURN(auto metadata, lake->ObjectMetadata(url->bucket, key));
    auto plain = DecryptClientSide(*options_.invoker, CallerOf(ctx), metadata, *sealed);
    if (!plain) {
      return errors::InvalidRequest(
          "Unable to decrypt query results s3://" + url->bucket + "/" + key + ": " + plain.error().message,
          errors::kCodeInvalidInput);
    }
    return plain;
  };
  auto meta_text =
      decrypt(url->key + ".metadata", lake->GetObject(url->bucket, url->key + ".metadata", 16 * 1024 * 1024));
  if (!meta_text) {
    if (meta_text.error().code == "InvalidRequestException") return meta_text.error();
    return errors::InvalidRequest("Unable to read query results metadata from " + result_url +
                                      ".metadata: " + meta_text.error().message,
                                  errors::kCodeInvalidInput);
  }
  auto meta = ParseResultMetadata(*meta_text);
  if (!meta) return errors::InternalServer(meta.error().message);

  std::uint64_t offset = 0;
  if (auto token = GetString(in, "NextToken")) {
    auto decoded = DecodeResultToken(id, *token);
    if (!decoded)
      return errors::InvalidRequest("The NextToken provided is not valid.", errors::kCodeInvalidInput);
    offset = *decoded;
  }
  // A small result is read whole from S3; a large one through its local file, from the token's offset.
  constexpr std::uint64_t kReadWholeBytes = 1 << 20;
  Result<ResultPage> page = ResultPage{};
  // (A client-side encrypted result is read whole and decrypted, whatever its size.)
  constexpr std::uint64_t kReadSealedBytes = std::uint64_t{1} << 30;
  auto whole = decrypt(
      url->key, lake->GetObject(url->bucket, url->key, client_side ? kReadSealedBytes : kReadWholeBytes));
  if (client_side && !whole) return whole.error();
  if (whole) {
    if (offset > whole->size())
      return errors::InvalidRequest("The NextToken provided is not valid.", errors::kCodeInvalidInput);
    page = ReadResultRowsFrom(*whole, meta->format, static_cast<int>(meta->columns.size()), offset, max);
  } else {
    auto path = lake->LocalPath(url->bucket, url->key);
    if (!path) {
      return errors::InvalidRequest(
          "Unable to read query results from " + result_url + ": " + path.error().message,
          errors::kCodeInvalidInput);
    }
    std::error_code ec;
    auto size = std::filesystem::file_size(*path, ec);
    if (ec) return errors::InternalServer("Unable to read query results: " + ec.message());
    if (offset > size)
      return errors::InvalidRequest("The NextToken provided is not valid.", errors::kCodeInvalidInput);
    page = ReadResultRows(*path, meta->format, static_cast<int>(meta->columns.size()), offset, max);
  }
  if (!page) return std::move(page).error();

  json::array rows;
  for (const auto& r : page->rows) {
    json::array data;
    for (const auto& v : r) {
      json::object datum;
      if (v) datum["VarCharValue"] = *v;  // a NULL is a Datum without VarCharValue
      data.push_back(std::move(datum));
    }
    rows.push_back(json::object{{"Data", std::move(data)}});
  }
  json::array columns;
  for (const auto& c : meta->columns) columns.push_back(ColumnInfo(c));
  json::object out{
      {"ResultSet", json::object{{"Rows", std::move(rows)},
                                 {"ResultSetMetadata", json::object{{"ColumnInfo", std::move(columns)}}}}}};
  if (meta->update_count >= 0) out["UpdateCount"] = meta->update_count;
  if (!page->at_end) out["NextToken"] = EncodeResultToken(id, page->next_offset);
  return out;
}

}  // namespace cenote::athena
