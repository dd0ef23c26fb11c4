// Prepared statements: saved parameterized SQL per workgroup, managed through the API
// (Create/Get/List/Update/Delete/BatchGetPreparedStatement) or SQL (PREPARE name FROM ...,
// EXECUTE name [USING v1, ...], DEALLOCATE PREPARE name). EXECUTE fills the statement's `?` placeholders
// with the USING values or the execution's ExecutionParameters (SubstituteParameters).
#include <cctype>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

constexpr std::size_t kMaxStatementName = 256;

// [a-zA-Z_][a-zA-Z0-9_@:]*, 1..256 characters (the API's StatementName; PREPARE/EXECUTE/DEALLOCATE names).
bool ValidStatementName(const std::string& name) {
  if (name.empty() || name.size() > kMaxStatementName) return false;
  if (!std::isalpha(static_cast<unsigned char>(name[0])) && name[0] != '_') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '@' && c != ':') return false;
  }
  return true;
}

Error StatementNotFound(const std::string& name, const std::string& workgroup) {
  return errors::ResourceNotFound(
      "Prepared statement " + name + " was not found in workgroup " + workgroup + ".", name);
}

// A cursor over statement text for the three prepared-statement forms.
class Words {
 public:
  explicit Words(std::string_view text) : text_(text) {}
  void Skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Keyword(std::string_view word) {
    Skip();
    std::size_t end = pos_;
    while (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_'))
      ++end;
    if (AsciiUpper(text_.substr(pos_, end - pos_)) != word) return false;
    pos_ = end;
    return true;
  }
  std::string Name() {
    Skip();
    std::size_t end = pos_;
    while (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_' ||
                                  text_[end] == '@' || text_[end] == ':'))
      ++end;
    std::string name(text_.substr(pos_, end - pos_));
    pos_ = end;
    return name;
  }
  std::string_view Rest() {
    Skip();
    return text_.substr(pos_);
  }
  bool AtEnd() {
    Skip();
    return pos_ >= text_.size();
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// USING values: split at commas outside quotes and parentheses.
Result<std::vector<std::string>> SplitValues(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      while (j < text.size() && !(text[j] == c && (j + 1 >= text.size() || text[j + 1] != c)))
        j += text[j] == c ? 2 : 1;
      if (j >= text.size())
        return MakeError("PARSE", "FAILED: ParseException unterminated quoted value in USING");
      current.append(text.substr(i, j + 1 - i));
      i = j;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(std::move(current));
      current.clear();
      continue;
    }
    current += c;
  }
  out.push_back(std::move(current));
  for (auto& v : out) {
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    std::size_t b = v.find_first_not_of(" \t\r\n");
    v = b == std::string::npos ? "" : v.substr(b);
    if (v.empty()) return MakeError("PARSE", "FAILED: ParseException empty value in USING");
  }
  return out;
}

}  // namespace

Result<PreparedCommand> ParsePreparedCommand(const std::string& sql) {
  std::string text = StripSqlComments(sql);
  PreparedCommand cmd;
  Words w(text);
  auto bad = [](const std::string& what) {
    return MakeError("PARSE", "FAILED: ParseException line 1:1: " + what);
  };
  if (w.Keyword("PREPARE")) {
    cmd.kind = PreparedCommand::kPrepare;
    cmd.name = w.Name();
    if (!ValidStatementName(cmd.name)) return bad("PREPARE needs a statement name");
    if (!w.Keyword("FROM")) return bad("PREPARE " + cmd.name + " needs FROM <statement>");
    cmd.body = std::string(w.Rest());
    if (cmd.body.empty()) return bad("PREPARE " + cmd.name + " FROM needs a statement");
    return cmd;
  }
  if (w.Keyword("DEALLOCATE")) {
    if (!w.Keyword("PREPARE")) return bad("DEALLOCATE needs PREPARE <statement name>");
    cmd.kind = PreparedCommand::kDeallocate;
    cmd.name = w.Name();
    if (!ValidStatementName(cmd.name) || !w.AtEnd()) return bad("DEALLOCATE PREPARE needs a statement name");
    return cmd;
  }
  if (w.Keyword("EXECUTE")) {
    cmd.kind = PreparedCommand::kExecute;
    cmd.name = w.Name();
    if (!ValidStatementName(cmd.name)) return bad("EXECUTE needs a statement name");
    if (w.AtEnd()) return cmd;
    if (!w.Keyword("USING")) return bad("EXECUTE " + cmd.name + " may only be followed by USING <values>");
    CENOTE_ASSIGN_OR_RETURN(auto values, SplitValues(w.Rest()));
    cmd.using_values = std::move(values);
    cmd.has_using = true;
    return cmd;
  }
  return cmd;  // kNone
}

Result<std::optional<json::object>> AthenaImpl::LoadPreparedStatement(const Namespace& ns,
                                                                      const std::string& workgroup,
                                                                      const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
  CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT doc FROM athena_prepared_statements WHERE account "
                                                  "= ? AND region = ? AND workgroup = ? AND name = ?",
                                                  {ns.account, ns.region, workgroup, name}));
  if (!row) return std::optional<json::object>();
  return std::optional<json::object>(ParseObject(store::AsText((*row)[0])));
}

Status AthenaImpl::SavePreparedStatement(const Namespace& ns, const std::string& workgroup,
                                         const std::string& name, const std::string& query,
                                         const std::optional<std::string>& description, SaveMode mode) {
  CENOTE_RETURN_IF_ERROR(LoadWorkGroup(ns, workgroup));
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT doc FROM athena_prepared_statements WHERE account "
                                                  "= ? AND region = ? AND workgroup = ? AND name = ?",
                                                  {ns.account, ns.region, workgroup, name}));
  if (row && mode == SaveMode::kCreate)
    return errors::InvalidRequest(
        "Prepared statement " + name + " already exists in workgroup " + workgroup + ".",
        errors::kCodeAlreadyExists);
  if (!row && mode == SaveMode::kUpdate) return StatementNotFound(name, workgroup);
  json::object doc{{"StatementName", name},
                   {"QueryStatement", query},
                   {"WorkGroupName", workgroup},
                   {"LastModifiedTime", UnixNowMs()}};
  if (description) doc["Description"] = *description;
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO athena_prepared_statements (account, region, workgroup, name, doc)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, region, workgroup, name) DO UPDATE SET doc = "
                "excluded.doc",
                {ns.account, ns.region, workgroup, name, json::serialize(doc)}));
  return txn->Commit();
}

Result<bool> AthenaImpl::RemovePreparedStatement(const Namespace& ns, const std::string& workgroup,
                                                 const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  CENOTE_ASSIGN_OR_RETURN(auto del, txn->Exec("DELETE FROM athena_prepared_statements WHERE account = ? AND "
                                              "region = ? AND workgroup = ? AND name = ?",
                                              {ns.account, ns.region, workgroup, name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return del > 0;
}

Result<json::object> AthenaImpl::CreatePreparedStatement(const aws::RequestContext& ctx,
                                                         const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  return SavePreparedStatementRequest(ns, in, SaveMode::kCreate);
}

Result<json::object> AthenaImpl::UpdatePreparedStatement(const aws::RequestContext& ctx,
                                                         const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  return SavePreparedStatementRequest(ns, in, SaveMode::kUpdate);
}

Result<json::object> AthenaImpl::SavePreparedStatementRequest(const Namespace& ns, const json::object& in,
                                                              SaveMode mode) {
  CENOTE_RETURN_IF_ERROR(SavePreparedStatement(
      ns, GetString(in, "WorkGroup").value_or(""), GetString(in, "StatementName").value_or(""),
      GetString(in, "QueryStatement").value_or(""), GetString(in, "Description"), mode));
  return json::object{};
}

Result<json::object> AthenaImpl::GetPreparedStatement(const aws::RequestContext& ctx,
                                                      const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string workgroup = GetString(in, "WorkGroup").value_or("");
  std::string name = GetString(in, "StatementName").value_or("");
  CENOTE_RETURN_IF_ERROR(LoadWorkGroup(ns, workgroup));
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadPreparedStatement(ns, workgroup, name));
  if (!doc) return StatementNotFound(name, workgroup);
  return json::object{{"PreparedStatement", std::move(*doc)}};
}

Result<json::object> AthenaImpl::DeletePreparedStatement(const aws::RequestContext& ctx,
                                                         const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string workgroup = GetString(in, "WorkGroup").value_or("");
  std::string name = GetString(in, "StatementName").value_or("");
  CENOTE_RETURN_IF_ERROR(LoadWorkGroup(ns, workgroup));
  CENOTE_ASSIGN_OR_RETURN(auto removed, RemovePreparedStatement(ns, workgroup, name));
  if (!removed) return StatementNotFound(name, workgroup);
  return json::object{};
}

Result<json::object> AthenaImpl::ListPreparedStatements(const aws::RequestContext& ctx,
                                                        const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  CENOTE_ASSIGN_OR_RETURN(auto max, MaxResults(in, 1, 50, 50));
  std::string workgroup = GetString(in, "WorkGroup").value_or("");
  CENOTE_RETURN_IF_ERROR(LoadWorkGroup(ns, workgroup));
  std::string after;
  if (auto token = GetString(in, "NextToken")) {
    auto decoded = Base64Decode(*token);
    if (!decoded || decoded->rfind(workgroup + "\n", 0) != 0)
      return errors::InvalidRequest("Invalid NextToken", errors::kCodeInvalidInput);
    after = decoded->substr(workgroup.size() + 1);
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
  CENOTE_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query("SELECT name, doc FROM athena_prepared_statements WHERE account = ? AND region = ? AND "
                 "workgroup = ? AND name > ? ORDER BY name LIMIT "
                 "?",
                 {ns.account, ns.region, workgroup, after, static_cast<std::int64_t>(max + 1)}));
  json::array list;
  json::object out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<int>(i) == max) {
      out["NextToken"] = Base64Encode(workgroup + "\n" + store::AsText(rows[i - 1][0]));
      break;
    }
    json::object doc = ParseObject(store::AsText(rows[i][1]));
    list.push_back(
        json::object{{"StatementName", doc["StatementName"]}, {"LastModifiedTime", doc["LastModifiedTime"]}});
  }
  out["PreparedStatements"] = std::move(list);
  return out;
}

Result<json::object> AthenaImpl::BatchGetPreparedStatement(const aws::RequestContext& ctx,
                                                           const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  const json::array* names = nullptr;
  if (auto* v = in.if_contains("PreparedStatementNames"); v && v->is_array()) names = &v->as_array();
  if (names == nullptr || names->empty() || names->size() > 100)
    // Not in the model's constraints (the API reference gives 1..100): the validation wording of AWS.
    return errors::InvalidRequest(
        "1 validation error detected: Value '" + std::to_string(names ? names->size() : 0) +
        "' at 'preparedStatementNames' failed to satisfy constraint: Member must have "
        "length between 1 and 100");
  std::string workgroup = GetString(in, "WorkGroup").value_or("");
  CENOTE_RETURN_IF_ERROR(LoadWorkGroup(ns, workgroup));
  json::array found;
  json::array unprocessed;
  for (const auto& v : *names) {
    std::string name = v.is_string() ? std::string(v.as_string()) : "";
    if (!ValidStatementName(name)) {
      unprocessed.push_back(
          json::object{{"StatementName", name},
                       {"ErrorCode", "INVALID_INPUT"},
                       {"ErrorMessage", "The name of the prepared statement is not valid."}});
      continue;
    }
    CENOTE_ASSIGN_OR_RETURN(auto doc, LoadPreparedStatement(ns, workgroup, name));
    if (doc) {
      found.push_back(std::move(*doc));
    } else {
      unprocessed.push_back(
          json::object{{"StatementName", name},
                       {"ErrorCode", "STATEMENT_NOT_FOUND"},
                       {"ErrorMessage", "A prepared statement with the name provided could not be found."}});
    }
  }
  return json::object{{"PreparedStatements", std::move(found)},
                      {"UnprocessedPreparedStatementNames", std::move(unprocessed)}};
}

}  // namespace cenote::athena
