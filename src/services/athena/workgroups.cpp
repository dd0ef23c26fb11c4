// Workgroups: "primary" always exists and cannot be deleted; others are created, updated (configuration
// updates merge into the stored configuration), listed by name and deleted (RecursiveDeleteOption drops
// their named queries and query history). Tags live with the workgroup.
#include "common/clock.hpp"
#include "common/strings.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

json::object DefaultEngineVersion() {
  return json::object{{"SelectedEngineVersion", "AUTO"},
                      {"EffectiveEngineVersion", "Athena engine version 3"}};
}

Status ValidateResultConfiguration(const json::object& rc) {
  if (auto loc = GetString(rc, "OutputLocation")) {
    if (!ParseS3Url(*loc)) {
      return errors::InvalidRequest("outputLocation is not a valid S3 path: " + *loc,
                                    errors::kCodeInvalidInput);
    }
  }
  return Status::Ok();
}

Status ValidateTags(const json::object& in) {
  if (auto* tags = in.if_contains("Tags"); tags && tags->is_array()) {
    for (const auto& t : tags->as_array()) {
      if (!t.is_object() || !GetString(t.as_object(), "Key") || GetString(t.as_object(), "Key")->empty()) {
        return errors::InvalidRequest("Tag keys must not be empty", errors::kCodeInvalidInput);
      }
    }
  }
  return Status::Ok();
}

// Merges `tags` (array of {Key, Value}) into `into`, replacing values of existing keys.
void MergeTags(json::array& into, const json::array& tags) {
  for (const auto& t : tags) {
    if (!t.is_object()) continue;
    auto key = GetString(t.as_object(), "Key");
    if (!key) continue;
    bool replaced = false;
    for (auto& existing : into) {
      if (existing.is_object() && GetString(existing.as_object(), "Key") == key) {
        existing = t;
        replaced = true;
      }
    }
    if (!replaced) into.push_back(t);
  }
}

}  // namespace

std::string AthenaImpl::WorkGroupArn(const Namespace& ns, const std::string& name) const {
  return "arn:aws:athena:" + ns.region + ":" + ns.account + ":workgroup/" + name;
}

Result<json::object> AthenaImpl::LoadWorkGroup(const Namespace& ns, const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn->QueryOne("SELECT doc FROM athena_workgroups WHERE account = ? AND region = ? AND name = ?",
                    {ns.account, ns.region, name}));
  if (!row) return errors::WorkGroupNotFound();
  return ParseObject(store::AsText((*row)[0]));
}

Result<json::object> AthenaImpl::CreateWorkGroup(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string name = GetString(in, "Name").value_or("");
  json::object config;
  if (auto* c = GetObject(in, "Configuration")) config = *c;
  if (auto* rc = GetObject(config, "ResultConfiguration"))
    CENOTE_RETURN_IF_ERROR(ValidateResultConfiguration(*rc));
  CENOTE_RETURN_IF_ERROR(ValidateTags(in));
  if (!config.contains("EnforceWorkGroupConfiguration")) config["EnforceWorkGroupConfiguration"] = false;
  if (!config.contains("PublishCloudWatchMetricsEnabled")) config["PublishCloudWatchMetricsEnabled"] = false;
  if (!config.contains("RequesterPaysEnabled")) config["RequesterPaysEnabled"] = false;
  if (!config.contains("EnableMinimumEncryptionConfiguration"))
    config["EnableMinimumEncryptionConfiguration"] = false;
  json::object ev = DefaultEngineVersion();
  if (auto* e = GetObject(config, "EngineVersion")) {
    if (auto sel = GetString(*e, "SelectedEngineVersion")) ev["SelectedEngineVersion"] = *sel;
  }
  config["EngineVersion"] = std::move(ev);

  std::int64_t now = UnixNowMs();
  json::object wg{
      {"Name", name}, {"State", "ENABLED"}, {"Configuration", std::move(config)}, {"CreationTime", now}};
  if (auto d = GetString(in, "Description")) wg["Description"] = *d;
  json::array tags;
  if (auto* t = in.if_contains("Tags"); t && t->is_array()) MergeTags(tags, t->as_array());

  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn->QueryOne("SELECT name FROM athena_workgroups WHERE account = ? AND region = ? AND name = ?",
                    {ns.account, ns.region, name}));
  if (row)
    return errors::InvalidRequest("WorkGroup " + name + " is already created", errors::kCodeAlreadyExists);
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO athena_workgroups (account, region, name, created_ms, doc, tags) VALUES (?, ?, "
                "?, ?, ?, ?)",
                {ns.account, ns.region, name, now, json::serialize(wg), json::serialize(tags)}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<json::object> AthenaImpl::GetWorkGroup(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  CENOTE_ASSIGN_OR_RETURN(auto wg, LoadWorkGroup(ns, GetString(in, "WorkGroup").value_or("")));
  return json::object{{"WorkGroup", std::move(wg)}};
}

Result<json::object> AthenaImpl::ListWorkGroups(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  CENOTE_ASSIGN_OR_RETURN(auto max, MaxResults(in, 1, 50, 50));
  std::int64_t offset = 0;
  if (auto token = GetString(in, "NextToken")) {
    auto pos = DecodeListToken("workgroups", *token);
    if (!pos) return errors::InvalidRequest("Invalid NextToken", errors::kCodeInvalidInput);
    offset = *pos;
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
  CENOTE_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query(
          "SELECT doc FROM athena_workgroups WHERE account = ? AND region = ? ORDER BY name LIMIT ? OFFSET ?",
          {ns.account, ns.region, static_cast<std::int64_t>(max + 1), offset}));
  json::array list;
  json::object out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<int>(i) == max) {
      out["NextToken"] = EncodeListToken("workgroups", offset + max);
      break;
    }
    json::object wg = ParseObject(store::AsText(rows[i][0]));
    json::object summary{{"Name", wg["Name"]}, {"State", wg["State"]}, {"CreationTime", wg["CreationTime"]}};
    if (wg.contains("Description")) summary["Description"] = wg["Description"];
    if (auto* c = GetObject(wg, "Configuration"); c && c->contains("EngineVersion")) {
      summary["EngineVersion"] = c->at("EngineVersion");
    }
    list.push_back(std::move(summary));
  }
  out["WorkGroups"] = std::move(list);
  return out;
}

Result<json::object> AthenaImpl::UpdateWorkGroup(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string name = GetString(in, "WorkGroup").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn->QueryOne("SELECT doc FROM athena_workgroups WHERE account = ? AND region = ? AND name = ?",
                    {ns.account, ns.region, name}));
  if (!row) return errors::WorkGroupNotFound();
  json::object wg = ParseObject(store::AsText((*row)[0]));
  if (auto d = GetString(in, "Description")) wg["Description"] = *d;
  if (auto state = GetString(in, "State")) {
    wg["State"] = *state;
  }
  if (auto* updates = GetObject(in, "ConfigurationUpdates")) {
    json::object config;
    if (auto* c = GetObject(wg, "Configuration")) config = *c;
    for (const char* flag : {"EnforceWorkGroupConfiguration", "PublishCloudWatchMetricsEnabled",
                             "RequesterPaysEnabled", "EnableMinimumEncryptionConfiguration"}) {
      if (auto b = GetBool(*updates, flag)) config[flag] = *b;
    }
    if (auto cutoff = GetInt(*updates, "BytesScannedCutoffPerQuery"))
      config["BytesScannedCutoffPerQuery"] = *cutoff;
    if (GetBool(*updates, "RemoveBytesScannedCutoffPerQuery").value_or(false))
      config.erase("BytesScannedCutoffPerQuery");
    for (const char* member :
         {"AdditionalConfiguration", "ExecutionRole", "CustomerContentEncryptionConfiguration",
          "QueryResultsS3AccessGrantsConfiguration", "MonitoringConfiguration", "EngineConfiguration"}) {
      if (auto* v = updates->if_contains(member)) config[member] = *v;
    }
    if (GetBool(*updates, "RemoveCustomerContentEncryptionConfiguration").value_or(false)) {
      config.erase("CustomerContentEncryptionConfiguration");
    }
    if (auto* e = GetObject(*updates, "EngineVersion")) {
      json::object ev = DefaultEngineVersion();
      if (auto sel = GetString(*e, "SelectedEngineVersion")) ev["SelectedEngineVersion"] = *sel;
      config["EngineVersion"] = std::move(ev);
    }
    if (auto* rcu = GetObject(*updates, "ResultConfigurationUpdates")) {
      CENOTE_RETURN_IF_ERROR(ValidateResultConfiguration(*rcu));
      json::object rc;
      if (auto* existing = GetObject(config, "ResultConfiguration")) rc = *existing;
      struct Pair {
        const char* member;
        const char* remove;
      };
      for (const Pair& p : {Pair{"OutputLocation", "RemoveOutputLocation"},
                            Pair{"EncryptionConfiguration", "RemoveEncryptionConfiguration"},
                            Pair{"ExpectedBucketOwner", "RemoveExpectedBucketOwner"},
                            Pair{"AclConfiguration", "RemoveAclConfiguration"}}) {
        if (auto* v = rcu->if_contains(p.member)) rc[p.member] = *v;
        if (GetBool(*rcu, p.remove).value_or(false)) rc.erase(p.member);
      }
      if (rc.empty()) {
        config.erase("ResultConfiguration");
      } else {
        config["ResultConfiguration"] = std::move(rc);
      }
    }
    wg["Configuration"] = std::move(config);
  }
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE athena_workgroups SET doc = ? WHERE account = ? AND region = ? AND name = ?",
                {json::serialize(wg), ns.account, ns.region, name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<json::object> AthenaImpl::DeleteWorkGroup(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string name = GetString(in, "WorkGroup").value_or("");
  if (name == kPrimaryWorkGroup) {
    return errors::InvalidRequest("Primary workgroup cannot be deleted", errors::kCodeInvalidInput);
  }
  bool recursive = GetBool(in, "RecursiveDeleteOption").value_or(false);
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn->QueryOne("SELECT name FROM athena_workgroups WHERE account = ? AND region = ? AND name = ?",
                    {ns.account, ns.region, name}));
  if (!row) return errors::WorkGroupNotFound();
  if (!recursive) {
    CENOTE_ASSIGN_OR_RETURN(
        auto named,
        txn->QueryOne(
            "SELECT COUNT(*) FROM athena_named_queries WHERE account = ? AND region = ? AND workgroup = ?",
            {ns.account, ns.region, name}));
    if (named && store::AsInt((*named)[0]) > 0) {
      return errors::InvalidRequest(
          "WorkGroup " + name + " is not empty. Use RecursiveDeleteOption to delete it with its contents.",
          errors::kCodeInvalidInput);
    }
  }
  for (const char* sql :
       {"DELETE FROM athena_named_queries WHERE account = ? AND region = ? AND workgroup = ?",
        "DELETE FROM athena_executions WHERE account = ? AND region = ? AND workgroup = ? AND state NOT IN "
        "('QUEUED', 'RUNNING')",
        "DELETE FROM athena_workgroups WHERE account = ? AND region = ? AND name = ?"}) {
    CENOTE_RETURN_IF_ERROR(txn->Exec(sql, {ns.account, ns.region, name}));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  {
    MutexLock lock(mu_);
    for (auto it = finals_order_.begin(); it != finals_order_.end();) {
      auto final = finals_.find(*it);
      if (final != finals_.end() && final->second.first == ns &&
          GetString(final->second.second, "WorkGroup").value_or("") == name) {
        finals_.erase(final);
        it = finals_order_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return json::object{};
}

namespace {

// "arn:aws:athena:region:account:workgroup/name" -> name; nullopt for other resources.
std::optional<std::string> WorkGroupFromArn(const std::string& arn) {
  static constexpr std::string_view kMarker = ":workgroup/";
  if (arn.rfind("arn:", 0) != 0) return std::nullopt;
  auto pos = arn.find(kMarker);
  if (pos == std::string::npos) return std::nullopt;
  return arn.substr(pos + kMarker.size());
}

// The namespace an ARN names (its region and account), the request's where the ARN leaves them empty: a
// workgroup named by ARN is looked up in its own region.
Namespace ArnNamespace(const std::string& arn, Namespace ns) {
  const std::vector<std::string_view> parts = SplitString(arn, ':');
  if (parts.size() >= 6 && !parts[3].empty()) ns.region = std::string(parts[3]);
  if (parts.size() >= 6 && !parts[4].empty()) ns.account = std::string(parts[4]);
  return ns;
}

// The tags stored with workgroup `name` of `ns` (named by `arn`), read in `txn`.
Result<json::array> StoredTags(store::Transaction& txn, const Namespace& ns, const std::string& name,
                               const std::string& arn) {
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn.QueryOne("SELECT tags FROM athena_workgroups WHERE account = ? AND region = ? AND name = ?",
                   {ns.account, ns.region, name}));
  if (!row) return errors::ResourceNotFound("Resource " + arn + " was not found", arn);
  boost::system::error_code ec;
  json::value stored = json::parse(store::AsText((*row)[0]), ec);
  return (!ec && stored.is_array()) ? stored.as_array() : json::array{};
}

}  // namespace

Result<json::object> AthenaImpl::TagResource(const aws::RequestContext& ctx, const json::object& in) {
  std::string arn = GetString(in, "ResourceARN").value_or("");
  const Namespace ns = ArnNamespace(arn, NamespaceOf(ctx));
  auto name = WorkGroupFromArn(arn);
  if (!name) return errors::ResourceNotFound("Resource " + arn + " was not found", arn);
  CENOTE_RETURN_IF_ERROR(ValidateTags(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  CENOTE_ASSIGN_OR_RETURN(json::array tags, StoredTags(*txn, ns, *name, arn));
  if (auto* t = in.if_contains("Tags"); t && t->is_array()) MergeTags(tags, t->as_array());
  if (tags.size() > 50)
    return errors::InvalidRequest("A resource can have at most 50 tags", errors::kCodeInvalidInput);
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE athena_workgroups SET tags = ? WHERE account = ? AND region = ? AND name = ?",
                {json::serialize(tags), ns.account, ns.region, *name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<json::object> AthenaImpl::UntagResource(const aws::RequestContext& ctx, const json::object& in) {
  std::string arn = GetString(in, "ResourceARN").value_or("");
  const Namespace ns = ArnNamespace(arn, NamespaceOf(ctx));
  auto name = WorkGroupFromArn(arn);
  if (!name) return errors::ResourceNotFound("Resource " + arn + " was not found", arn);
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  CENOTE_ASSIGN_OR_RETURN(json::array tags, StoredTags(*txn, ns, *name, arn));
  json::array kept;
  const json::array* keys = nullptr;
  if (auto* k = in.if_contains("TagKeys"); k && k->is_array()) keys = &k->as_array();
  for (const auto& t : tags) {
    bool drop = false;
    if (keys && t.is_object()) {
      for (const auto& k : *keys)
        drop = drop || (k.is_string() && GetString(t.as_object(), "Key") == std::string(k.as_string()));
    }
    if (!drop) kept.push_back(t);
  }
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE athena_workgroups SET tags = ? WHERE account = ? AND region = ? AND name = ?",
                {json::serialize(kept), ns.account, ns.region, *name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<json::object> AthenaImpl::ListTagsForResource(const aws::RequestContext& ctx, const json::object& in) {
  std::string arn = GetString(in, "ResourceARN").value_or("");
  const Namespace ns = ArnNamespace(arn, NamespaceOf(ctx));
  auto name = WorkGroupFromArn(arn);
  if (!name) return errors::ResourceNotFound("Resource " + arn + " was not found", arn);
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
  CENOTE_ASSIGN_OR_RETURN(json::array tags, StoredTags(*txn, ns, *name, arn));
  return json::object{{"Tags", std::move(tags)}};
}

Result<json::object> AthenaImpl::ListEngineVersions(const aws::RequestContext& /*ctx*/,
                                                    const json::object& /*in*/) {
  return json::object{
      {"EngineVersions", json::array{json::object{{"SelectedEngineVersion", "Athena engine version 3"},
                                                  {"EffectiveEngineVersion", "Athena engine version 3"}}}}};
}

}  // namespace cenote::athena
