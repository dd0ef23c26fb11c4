// Connections to the engine's DuckDB instance and the answers cached across them (connections.hpp).
#include "query/connections.hpp"

#include <boost/json.hpp>

#include "query/engine_errors.hpp"

namespace cenote::query::internal {

namespace json = boost::json;

namespace {

// Materialized result -> rows of text (values as DuckDB prints them; NULL -> nullopt).
QueryEngine::Rows ToRows(duckdb_result& result) {
  QueryEngine::Rows rows;
  idx_t columns = duckdb_column_count(&result);
  idx_t count = duckdb_row_count(&result);
  rows.reserve(count);
  for (idx_t r = 0; r < count; ++r) {
    std::vector<std::optional<std::string>> row;
    row.reserve(columns);
    for (idx_t c = 0; c < columns; ++c) {
      if (duckdb_value_is_null(&result, c, r)) {
        row.emplace_back(std::nullopt);
        continue;
      }
      char* text = duckdb_value_varchar(&result, c, r);
      row.emplace_back(text != nullptr ? std::optional<std::string>(text) : std::nullopt);
      duckdb_free(text);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// Runs `*stmt` (prepared from `sql` on first use) with one VARCHAR parameter; returns the single
// VARCHAR value of its first row.
Result<std::string> RunPreparedScalar(duckdb_connection con, duckdb_prepared_statement* stmt, const char* sql,
                                      const std::string& param) {
  if (*stmt == nullptr && duckdb_prepare(con, sql, stmt) != DuckDBSuccess) {
    Error e = EngineError(duckdb_prepare_error(*stmt));
    duckdb_destroy_prepare(stmt);
    return e;
  }
  if (duckdb_bind_varchar_length(*stmt, 1, param.data(), param.size()) != DuckDBSuccess)
    return EngineError("cannot bind parameter");
  ResultGuard res;
  if (duckdb_execute_prepared(*stmt, &res.result) != DuckDBSuccess)
    return ErrorFromDuckDb(duckdb_result_error(&res.result));
  if (duckdb_row_count(&res.result) != 1 || duckdb_value_is_null(&res.result, 0, 0))
    return EngineError("unexpected empty result");
  char* text = duckdb_value_varchar(&res.result, 0, 0);
  std::string out = text != nullptr ? text : "";
  duckdb_free(text);
  return out;
}

}  // namespace

Result<QueryEngine::Rows> QueryRows(duckdb_connection con, const std::string& sql) {
  ResultGuard res;
  if (duckdb_query(con, sql.c_str(), &res.result) != DuckDBSuccess)
    return ErrorFromDuckDb(duckdb_result_error(&res.result));
  return ToRows(res.result);
}

PooledConnection::~PooledConnection() {
  duckdb_destroy_prepare(&serialize);
  duckdb_destroy_prepare(&deserialize);
  if (con != nullptr) duckdb_disconnect(&con);
}

Lease::~Lease() {
  if (con_ != nullptr) pool_->Release(std::move(con_));
}

Result<Lease> ConnectionPool::Acquire() {
  {
    MutexLock lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<PooledConnection> con = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(con));
    }
  }
  // Connecting takes DuckDB's own locks: outside the pool's.
  auto con = std::make_unique<PooledConnection>();
  if (duckdb_connect(db_, &con->con) != DuckDBSuccess) return EngineError("cannot open a DuckDB connection");
  return Lease(this, std::move(con));
}

void ConnectionPool::Release(std::unique_ptr<PooledConnection> con) {
  MutexLock lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(con));
}

Result<json::value> ConnectionHost::Parse(const std::string& sql) {
  // Parsing is a pure function of the text: the parse tree of a statement seen before is reused.
  std::string key = 'P' + sql;
  std::optional<std::string> text = caches_.texts.Find(key);
  if (!text) {
    CENOTE_ASSIGN_OR_RETURN(text, RunPreparedScalar(pooled_.con, &pooled_.serialize,
                                                    "SELECT json_serialize_sql($1::VARCHAR)", sql));
    caches_.texts.Put(std::move(key), *text, sql.size() + text->size() + 64);
  }
  json::value doc;
  try {
    // DuckDB's trees nest deeply (each expression several levels); the walkers bound depth themselves
    // (NOT_SUPPORTED "nested too deeply" at 400), so the reader's default of 32 must not decide first.
    json::parse_options options;
    options.max_depth = 1024;
    doc = json::parse(*text, {}, options);
  } catch (const std::exception& e) {
    return EngineError(std::string("cannot read the parse tree: ") + e.what());
  }
  const json::object* obj = doc.if_object();
  if (obj == nullptr) return EngineError("unexpected parse tree");
  const json::value* err = obj->if_contains("error");
  if (err != nullptr && err->is_bool() && err->get_bool()) {
    std::string message;
    if (const json::value* m = obj->if_contains("error_message"); m != nullptr && m->is_string())
      message = std::string(m->get_string());
    const json::value* type = obj->if_contains("error_type");
    std::string type_text = type != nullptr && type->is_string() ? std::string(type->get_string()) : "";
    if (type_text == "not implemented") {
      // json_serialize_sql only serializes SELECT statements: everything else (COPY, ATTACH, SET,
      // PRAGMA, INSERT, CREATE, ...) lands here.
      return Refused("Only SELECT statements can run; this statement");
    }
    std::size_t position = 0;
    if (const json::value* p = obj->if_contains("position"); p != nullptr && p->is_string()) {
      try {
        position = std::stoul(std::string(p->get_string()));
      } catch (...) {
        position = 0;
      }
    }
    return SyntaxErrorAt(sql, position, message);
  }
  return doc;
}

Result<std::string> ConnectionHost::Deparse(const json::value& document) {
  std::string tree = json::serialize(document);
  std::string key = 'D' + tree;
  if (auto hit = caches_.texts.Find(key)) return std::move(*hit);
  auto sql =
      RunPreparedScalar(pooled_.con, &pooled_.deserialize, "SELECT json_deserialize_sql($1::JSON)", tree);
  if (sql) caches_.texts.Put(std::move(key), *sql, tree.size() + sql->size() + 64);
  return sql;
}

Result<QueryEngine::Rows> ConnectionHost::Query(const std::string& sql) {
  return QueryRows(pooled_.con, sql);
}

Result<QueryEngine::Rows> ConnectionHost::QueryImmutable(const std::string& sql) {
  if (auto hit = caches_.immutable.Find(sql)) return std::move(*hit);
  auto rows = QueryRows(pooled_.con, sql);
  if (rows) {
    std::size_t bytes = sql.size();
    for (const auto& row : *rows)
      for (const auto& v : row) bytes += v ? v->size() + 16 : 16;
    caches_.immutable.Put(sql, *rows, bytes);
  }
  return rows;
}

}  // namespace cenote::query::internal
