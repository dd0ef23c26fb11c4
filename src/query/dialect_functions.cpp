// Trino functions rewritten over DuckDB's syntax tree (dialect_functions.hpp): array_sort with a
// comparator, regexp_replace with a lambda, reduce_agg, Trino's JSON-to-varchar cast and path brackets,
// nth_value's offset check, and renames onto the macros below and the C functions of
// trino_functions_binary.cpp / trino_functions_math.cpp.
#include "query/dialect_functions.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "query/dialect_datetime.hpp"
#include "query/dialect_nodes.hpp"
#include "query/statement.hpp"

namespace cenote::query::internal {
namespace {

namespace json = boost::json;

struct Rename {
  const char* trino;
  int min_args;
  int max_args;
  const char* duckdb;
};

constexpr Rename kRenames[] = {
    {"hmac_md5", 2, 2, "__cenote_hmac_md5"},  // C functions: trino_functions_binary.cpp
    {"hmac_sha1", 2, 2, "__cenote_hmac_sha1"},
    {"hmac_sha256", 2, 2, "__cenote_hmac_sha256"},
    {"hmac_sha512", 2, 2, "__cenote_hmac_sha512"},
    {"to_base32", 1, 1, "__cenote_to_base32"},
    {"from_base32", 1, 1, "__cenote_from_base32"},
    {"to_ieee754_32", 1, 1, "__cenote_to_ieee754_32"},
    {"to_ieee754_64", 1, 1, "__cenote_to_ieee754_64"},
    {"from_ieee754_32", 1, 1, "__cenote_from_ieee754_32"},
    {"from_ieee754_64", 1, 1, "__cenote_from_ieee754_64"},
    {"murmur3", 1, 1, "__cenote_murmur3"},
    {"from_utf8", 1, 2, "__cenote_from_utf8"},
    {"soundex", 1, 1, "__cenote_soundex"},
    {"cbrt", 1, 1, "__cenote_cbrt"},  // C functions: trino_functions_math.cpp
    {"normal_cdf", 3, 3, "__cenote_normal_cdf"},
    {"inverse_normal_cdf", 3, 3, "__cenote_inverse_normal_cdf"},
    {"beta_cdf", 3, 3, "__cenote_beta_cdf"},
    {"inverse_beta_cdf", 3, 3, "__cenote_inverse_beta_cdf"},
    {"t_pdf", 2, 2, "__cenote_t_pdf"},
    {"t_cdf", 2, 2, "__cenote_t_cdf"},
    {"combinations", 2, 2, "__cenote_combinations"},  // macros: kMacros below
    {"shuffle", 1, 1, "__cenote_shuffle"},
    {"zip", 2, 5, "list_zip"},
    {"map_entries", 1, 1, "__cenote_map_entries"},
    {"map_union", 1, 1, "__cenote_map_union"},
    {"multimap_agg", 2, 2, "__cenote_multimap_agg"},
    {"approx_most_frequent", 3, 3, "__cenote_approx_most_frequent"},
    {"approx_set", 1, 1, "__cenote_approx_set"},
    {"set_union", 1, 1, "__cenote_set_union"},
    {"checksum", 1, 1, "__cenote_checksum"},
    {"bit_count", 2, 2, "__cenote_bit_count"},
    {"greatest", 2, 10, "__cenote_greatest"},
    {"least", 2, 10, "__cenote_least"},
    {"concat", 2, 6, "__cenote_concat"},
    {"json_array_contains", 2, 2, "__cenote_json_array_contains"},
    {"json_array_get", 2, 2, "__cenote_json_array_element"},
    {"json_parse", 1, 1, "__cenote_json_parse_checked"},
    {"format_number", 1, 1, "__cenote_format_number"},
    {"from_base64", 1, 1, "__cenote_from_base64"},
    {"cosine_similarity", 2, 2, "__cenote_sparse_cosine"},
    {"cosine_distance", 2, 2, "__cenote_sparse_cosine_distance"},
};

// greatest/least return NULL when any argument is NULL (DuckDB's skip NULLs); concat of varbinary values
// is varbinary (DuckDB's is varchar). One macro overload per argument count.
std::vector<std::string> VariadicMacros() {
  std::vector<std::string> out;
  // Built with append: GCC 12 reports a false -Wrestrict on chains of string concatenations.
  auto list = [](int n, const char* separator, const char* suffix) {
    std::string out;
    for (int i = 1; i <= n; ++i) {
      if (i > 1) out.append(separator);
      out.append("a").append(std::to_string(i)).append(suffix);
    }
    return out;
  };
  for (const char* fn : {"greatest", "least"}) {
    std::string m = "CREATE MACRO __cenote_";
    m.append(fn);
    for (int n = 2; n <= 10; ++n) {
      const std::string params = list(n, ", ", "");
      m.append(n > 2 ? ", (" : "(").append(params).append(") AS CASE WHEN ");
      m.append(list(n, " OR ", " IS NULL")).append(" THEN NULL ELSE ").append(fn);
      m.append("(").append(params).append(") END");
    }
    out.push_back(std::move(m));
  }
  std::string concat = "CREATE MACRO __cenote_concat";
  for (int n = 2; n <= 6; ++n) {
    const std::string params = list(n, ", ", "");
    concat.append(n > 2 ? ", (" : "(").append(list(n, ", ", " BLOB")).append(") AS ");
    concat.append(list(n, " || ", "")).append(", (").append(params).append(") AS concat(");
    concat.append(params).append(")");
  }
  out.push_back(std::move(concat));
  return out;
}

const std::vector<std::string> kMacros = {
    // combinations(a, n): the n-element subsets of the positions of a, in lexicographic order (Trino
    // allows n up to 5).
    "CREATE MACRO __cenote_combination_positions(m, n) AS CASE WHEN n < 0 THEN error('"
    "INVALID_FUNCTION_ARGUMENT: combination size must not be negative: ' || n) WHEN n > 5 THEN error('"
    "INVALID_FUNCTION_ARGUMENT: combination size must not exceed 5: ' || n) WHEN n = 0 THEN [CAST([] AS "
    "BIGINT[])] WHEN n = 1 THEN list_transform(range(1, m + 1), lambda __cenote_a: [__cenote_a]) WHEN n = 2 "
    "THEN flatten(list_transform(range(1, m + 1), lambda __cenote_a: list_transform(range(__cenote_a + 1, "
    "m + 1), lambda __cenote_b: [__cenote_a, __cenote_b]))) WHEN n = 3 THEN flatten(flatten(list_transform("
    "range(1, m + 1), lambda __cenote_a: list_transform(range(__cenote_a + 1, m + 1), lambda __cenote_b: "
    "list_transform(range(__cenote_b + 1, m + 1), lambda __cenote_c: [__cenote_a, __cenote_b, "
    "__cenote_c]))))) WHEN n = 4 THEN flatten(flatten(flatten(list_transform(range(1, m + 1), lambda "
    "__cenote_a: list_transform(range(__cenote_a + 1, m + 1), lambda __cenote_b: list_transform(range("
    "__cenote_b + 1, m + 1), lambda __cenote_c: list_transform(range(__cenote_c + 1, m + 1), lambda "
    "__cenote_d: [__cenote_a, __cenote_b, __cenote_c, __cenote_d]))))))) ELSE flatten(flatten(flatten("
    "flatten(list_transform(range(1, m + 1), lambda __cenote_a: list_transform(range(__cenote_a + 1, m + "
    "1), lambda __cenote_b: list_transform(range(__cenote_b + 1, m + 1), lambda __cenote_c: "
    "list_transform(range(__cenote_c + 1, m + 1), lambda __cenote_d: list_transform(range(__cenote_d + 1, m "
    "+ 1), lambda __cenote_e: [__cenote_a, __cenote_b, __cenote_c, __cenote_d, __cenote_e]))))))))) END",
    "CREATE MACRO __cenote_combinations(a, n) AS list_transform(__cenote_combination_positions(len(a), n), "
    "lambda __cenote_c: list_transform(__cenote_c, lambda __cenote_i: a[__cenote_i]))",
    "CREATE MACRO __cenote_shuffle(a) AS list_transform(list_sort(list_transform(a, lambda __cenote_v: "
    "{'r': random(), 'v': __cenote_v})), lambda __cenote_s: __cenote_s.v)",
    // Trino's map_entries gives anonymous rows (printed {field0=k, field1=v}); the map rewrites of
    // dialect.cpp read DuckDB's named entries through __cenote_named_map_entries.
    "CREATE MACRO __cenote_map_entries(m) AS list_transform(map_entries(m), lambda __cenote_e: "
    "row(__cenote_e.key, __cenote_e.value))",
    "CREATE MACRO __cenote_named_map_entries(m) AS map_entries(m)",
    // map_union: the first value seen for a key wins (Trino: an arbitrary one).
    "CREATE MACRO __cenote_map_union(m) AS map_from_entries(list_filter(flatten(list(map_entries(m))), "
    "lambda __cenote_e, __cenote_i: list_position(list_transform(flatten(list(map_entries(m))), lambda "
    "__cenote_f: __cenote_f.key), __cenote_e.key) = __cenote_i))",
    "CREATE MACRO __cenote_multimap_agg(k, v) AS __cenote_multimap_from_entries(list(row(k, v)))",
    // approx_most_frequent(n, x, capacity): the n most frequent values with their counts (exact here).
    "CREATE MACRO __cenote_approx_most_frequent(n, x, capacity) AS map_from_entries(list_transform("
    "list_slice(list_sort(list_transform(map_entries(histogram(x)), lambda __cenote_e: {'c': "
    "-CAST(__cenote_e.value AS BIGINT), 'k': __cenote_e.key})), 1, n), lambda __cenote_e: {'key': "
    "__cenote_e.k, 'value': -__cenote_e.c}))",
    // approx_set: the exact set of distinct non-NULL values (cardinality() counts it; an exact count is
    // within any error bound).
    "CREATE MACRO __cenote_approx_set(x) AS list_filter(list(DISTINCT x), lambda __cenote_v: __cenote_v IS "
    "NOT NULL)",
    "CREATE MACRO __cenote_set_union(a) AS __cenote_array_distinct(flatten(list(a)))",
    // checksum: an order-insensitive 8-byte checksum (the sum of the values' hashes, modulo 2^64); equal
    // inputs give equal checksums, but the bytes are not Trino's.
    "CREATE MACRO __cenote_checksum(x) AS unhex(lpad(hex(CAST(sum(CAST(hash(x) AS HUGEINT)) % "
    "CAST('18446744073709551616' AS HUGEINT) AS UBIGINT)), 16, '0'))",
    // bit_count(x, bits): the 1 bits of x's two's complement in `bits` bits.
    "CREATE MACRO __cenote_bit_count(x, bits) AS CASE WHEN bits < 2 OR bits > 64 THEN error('"
    "INVALID_FUNCTION_ARGUMENT: Bits specified in bit_count must be between 2 and 64, got ' || bits) WHEN "
    "bits < 64 AND (CAST(x AS HUGEINT) >= CAST(1 AS HUGEINT) << (bits - 1) OR CAST(x AS HUGEINT) < -(CAST(1 "
    "AS HUGEINT) << (bits - 1))) THEN error('INVALID_FUNCTION_ARGUMENT: Number must be representable with "
    "the "
    "bits specified. ' || x || ' cannot be represented with ' || bits || ' bits') WHEN bits = 64 THEN "
    "CAST(bit_count(CAST(x AS BIGINT)) AS BIGINT) ELSE CAST(bit_count(CAST(x AS BIGINT) & ((CAST(1 AS "
    "BIGINT) << bits) - 1)) AS BIGINT) END",
    // json_array_contains: numbers compare as numbers, anything else by its JSON text.
    "CREATE MACRO __cenote_json_array_contains(j, v) AS CASE WHEN json_type(CAST(j AS JSON)) = 'ARRAY' THEN "
    "coalesce(list_bool_or(list_transform(json_extract(CAST(j AS JSON), '$[*]'), lambda __cenote_e: CASE "
    "WHEN json_type(__cenote_e) IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND json_type(to_json(v)) IN ('BIGINT', "
    "'UBIGINT', 'DOUBLE') THEN CAST(CAST(__cenote_e AS VARCHAR) AS DOUBLE) = CAST(v AS DOUBLE) ELSE "
    "CAST(__cenote_e AS VARCHAR) = CAST(to_json(v) AS VARCHAR) END)), false) END",
    // json_array_get(j, i): 0-based, negative from the end; a string element comes back unquoted (Trino's
    // documented quirk).
    "CREATE MACRO __cenote_json_array_element_text(e) AS CASE WHEN json_type(e) = 'VARCHAR' THEN e ->> '$' "
    "ELSE CAST(e AS VARCHAR) END",
    "CREATE MACRO __cenote_json_array_element(j, i) AS CASE WHEN json_type(CAST(j AS JSON)) = 'ARRAY' THEN "
    "__cenote_json_array_element_text(json_extract(CAST(j AS JSON), CAST(i AS BIGINT))) END",
    "CREATE MACRO __cenote_json_parse_checked(s) AS CASE WHEN s IS NULL THEN NULL WHEN json_valid(s) THEN "
    "json(s) ELSE error('INVALID_FUNCTION_ARGUMENT: Cannot convert value to JSON: ''' || s || '''') END",
    "CREATE MACRO __cenote_json_to_varchar(j) AS CASE json_type(j) WHEN 'NULL' THEN NULL WHEN 'OBJECT' THEN "
    "error('INVALID_CAST_ARGUMENT: Cannot cast ''' || CAST(j AS VARCHAR) || ''' to varchar') WHEN 'ARRAY' "
    "THEN error('INVALID_CAST_ARGUMENT: Cannot cast ''' || CAST(j AS VARCHAR) || ''' to varchar') ELSE j ->> "
    "'$' END",
    // cosine_similarity / cosine_distance also take sparse vectors, map(varchar, double): the keys missing
    // from one map count as 0.
    "CREATE MACRO __cenote_sparse_cosine(a MAP(VARCHAR, DOUBLE), b MAP(VARCHAR, DOUBLE)) AS "
    "list_sum(list_transform(map_keys(a), lambda __cenote_k: coalesce(a[__cenote_k] * b[__cenote_k], 0))) / "
    "(sqrt(list_sum(list_transform(map_values(a), lambda __cenote_v: __cenote_v * __cenote_v))) * "
    "sqrt(list_sum(list_transform(map_values(b), lambda __cenote_v: __cenote_v * __cenote_v)))), (a, b) AS "
    "list_cosine_similarity(a, b)",
    "CREATE MACRO __cenote_sparse_cosine_distance(a MAP(VARCHAR, DOUBLE), b MAP(VARCHAR, DOUBLE)) AS 1 - "
    "__cenote_sparse_cosine(a, b), (a, b) AS list_cosine_distance(a, b)",
    // format(): each argument as its type's tag and text (trino_functions_format.cpp).
    "CREATE MACRO __cenote_format_arg(x TINYINT) AS coalesce('i' || CAST(x AS VARCHAR), 'n'), (x SMALLINT) "
    "AS "
    "coalesce('i' || CAST(x AS VARCHAR), 'n'), (x INTEGER) AS coalesce('i' || CAST(x AS VARCHAR), 'n'), (x "
    "BIGINT) AS coalesce('i' || CAST(x AS VARCHAR), 'n'), (x DOUBLE) AS coalesce('f' || "
    "__cenote_java_double(x), "
    "'n'), (x FLOAT) AS coalesce('f' || __cenote_java_real(x), 'n'), (x BOOLEAN) AS coalesce('b' || CAST(x "
    "AS "
    "VARCHAR), 'n'), (x VARCHAR) AS coalesce('s' || x, 'n'), (x DATE) AS coalesce('d' || strftime(x, "
    "'%Y-%m-%d'), 'n'), (x TIMESTAMP) AS coalesce('t' || strftime(x, '%Y-%m-%d %H:%M:%S.%g'), 'n'), (x "
    "TIMESTAMP WITH TIME "
    "ZONE) AS coalesce('z' || strftime(x, '%Y-%m-%d %H:%M:%S.%g') || '|UTC|+00:00', 'n'), (x " +
        std::string(kZonedTimestampType) +
        ") AS coalesce('z' || strftime(__cenote_tz_local(x), '%Y-%m-%d %H:%M:%S.%g') || '|' || "
        "x.__cenote_zone "
        "|| '|' || CASE WHEN __cenote_tz_offset_minutes(x) = 0 THEN '+00:00' ELSE "
        "__cenote_tz_offset_text(__cenote_tz_offset_minutes(x)) END, 'n'), (x) AS coalesce('v' || "
        "__cenote_varchar(x, ''), 'n')",
    // format_number: K, M, B, T, Q steps of 1000, three significant digits (rounded half up), as Trino.
    "CREATE MACRO __cenote_format_number_scaled(f, unit) AS rtrim(rtrim(CASE WHEN f < 10 THEN printf('%.2f', "
    "round(f, 2)) WHEN f < 100 THEN printf('%.1f', round(f, 1)) ELSE printf('%.0f', round(f, 0)) || "
    "'.' END, '0'), '.') || unit",
    "CREATE MACRO __cenote_format_number_of(n) AS CASE WHEN abs(n) < 1000 THEN "
    "__cenote_format_number_scaled(n, "
    "'') WHEN abs(n) < 1000000 THEN __cenote_format_number_scaled(n / 1000, 'K') WHEN abs(n) < 1000000000 "
    "THEN "
    "__cenote_format_number_scaled(n / 1000000, 'M') WHEN abs(n) < 1000000000000 THEN "
    "__cenote_format_number_scaled(n / 1000000000, 'B') WHEN abs(n) < 1000000000000000 THEN "
    "__cenote_format_number_scaled(n / 1000000000000, 'T') ELSE __cenote_format_number_scaled(n / "
    "1000000000000000, 'Q') END",
    "CREATE MACRO __cenote_format_number(x) AS __cenote_format_number_of(CAST(CAST(trunc(x) AS BIGINT) AS "
    "DOUBLE))",
    // CAST(json AS ROW(...)) of a JSON array (RewriteCastOfJson): the array as an object of the row's fields.
    "CREATE MACRO __cenote_json_row_object(j, names) AS CASE WHEN json_type(j) = 'ARRAY' THEN "
    "to_json(map_from_entries(list_transform(range(len(names)), lambda __cenote_i: {'k': names[__cenote_i + "
    "1], 'v': json_extract(j, __cenote_i)}))) ELSE j END",
    // array_sort(a, comparator) (RewriteArraySort): the elements ordered by their ranks.
    "CREATE MACRO __cenote_positions(a) AS range(1, len(a) + 1)",
    // An element is never before itself; ties of an inconsistent comparator (x IS NULL -> -1 both ways)
    // keep the input order.
    "CREATE MACRO __cenote_sorts_before(c, j, i) AS j <> i AND (c < 0 OR (c = 0 AND j < i))",
    "CREATE MACRO __cenote_order_by_ranks(a, r) AS list_transform(list_sort(list_zip(r, range(len(a)), a)), "
    "lambda __cenote_z: __cenote_z[3])",
    // Trino decodes base64 without its '=' padding too.
    "CREATE MACRO __cenote_from_base64(s) AS from_base64(s || repeat('=', (4 - length(s) % 4) % 4))",
    // Result printing (csv_format.cpp): a map prints in the order of the java.util.HashMap Athena prints
    // it from: by bucket (the key's Java hashCode, spread as HashMap does, masked by the table size, which
    // starts at 16 and doubles past a 0.75 load), then in insertion order.
    "CREATE MACRO __cenote_java_string_hash(s) AS list_reduce(list_transform(range(1, length(s) + 1), lambda "
    "__cenote_i: CAST(unicode(substr(s, CAST(__cenote_i AS BIGINT), 1)) AS BIGINT)), lambda __cenote_h, "
    "__cenote_c: CASE WHEN __cenote_c < 65536 THEN (__cenote_h * 31 + __cenote_c) % 4294967296 ELSE "
    "((__cenote_h * 31 + 55296 + ((__cenote_c - 65536) >> 10)) % 4294967296 * 31 + 56320 + ((__cenote_c - "
    "65536) & 1023)) % 4294967296 END, CAST(0 AS BIGINT))",
    "CREATE MACRO __cenote_java_long_hash(v) AS xor(CAST(v AS BIGINT), CAST(v AS BIGINT) >> 32) & 4294967295",
    "CREATE MACRO __cenote_java_int_hash(v) AS CAST(v AS BIGINT) & 4294967295",
    "CREATE MACRO __cenote_hashmap_capacity(n) AS CASE WHEN n <= 12 THEN 16 ELSE CAST(pow(2, ceil(log2(n / "
    "0.75))) AS BIGINT) END",
    "CREATE MACRO __cenote_java_map_entries(m, hashes) AS list_transform(list_sort(list_zip(list_transform("
    "hashes, lambda __cenote_h: xor(__cenote_h, __cenote_h >> 16) & (__cenote_hashmap_capacity(len(hashes)) "
    "- "
    "1)), range(len(hashes)), map_entries(m))), lambda __cenote_z: __cenote_z[3])",
    // regexp_replace(s, p, lambda) (RewriteRegexpReplaceLambda): the text between matches, each match
    // followed by its replacement.
    "CREATE MACRO __cenote_regexp_join(pieces, replacements) AS array_to_string(list_transform(pieces, "
    "lambda __cenote_p, __cenote_i: __cenote_p || coalesce(replacements[__cenote_i], '')), '')",
};

json::object Column(std::string_view name) {
  return json::object{{"class", "COLUMN_REF"},
                      {"type", "COLUMN_REF"},
                      {"alias", ""},
                      {"query_location", 0},
                      {"column_names", json::array{json::string(name)}}};
}

json::object Lambda(std::string_view param, json::value body) {
  return json::object{{"class", "LAMBDA"},   {"type", "LAMBDA"},     {"alias", ""},
                      {"query_location", 0}, {"lhs", Column(param)}, {"expr", std::move(body)}};
}

// The value of a constant of type `type_id` (VARCHAR, INTEGER, ...), or nullptr.
const json::value* ConstantValue(const json::value& node, std::string_view type_id) {
  const json::object* o = node.if_object();
  if (o == nullptr || StringField(*o, "class") != "CONSTANT") return nullptr;
  const json::value* value = o->if_contains("value");
  if (value == nullptr || !value->is_object()) return nullptr;
  const json::value* type = value->get_object().if_contains("type");
  if (type == nullptr || !type->is_object() || StringField(type->get_object(), "id") != type_id)
    return nullptr;
  const json::value* is_null = value->get_object().if_contains("is_null");
  if (is_null != nullptr && is_null->is_bool() && is_null->get_bool()) return nullptr;
  return value->get_object().if_contains("value");
}

// The lambda's parameter names (lower-case), or an empty list when `node` is not a lambda of plain names.
std::vector<std::string> LambdaParams(const json::value& node) {
  const json::object* lambda = node.if_object();
  if (lambda == nullptr || StringField(*lambda, "class") != "LAMBDA") return {};
  const json::value* lhs = lambda->if_contains("lhs");
  if (lhs == nullptr || !lhs->is_object()) return {};
  std::vector<const json::value*> params;
  if (StringField(lhs->get_object(), "class") == "COLUMN_REF") {
    params.push_back(lhs);
  } else if (const json::value* c = lhs->get_object().if_contains("children");
             c != nullptr && c->is_array()) {
    for (const json::value& p : c->get_array()) params.push_back(&p);
  }
  std::vector<std::string> names;
  for (const json::value* p : params) {
    const json::value* n = p->is_object() ? p->get_object().if_contains("column_names") : nullptr;
    if (n == nullptr || !n->is_array() || n->get_array().size() != 1 || !n->get_array()[0].is_string())
      return {};
    names.push_back(Lower(n->get_array()[0].get_string()));
  }
  return names;
}

// Replaces references to the named lambda parameters by the given expressions (a nested lambda that
// declares the same name hides it).
void Substitute(json::value& v, const std::vector<std::pair<std::string, json::value>>& params) {
  if (v.is_array()) {
    for (json::value& item : v.get_array()) Substitute(item, params);
    return;
  }
  if (!v.is_object()) return;
  json::object& o = v.get_object();
  const std::string cls = StringField(o, "class");
  if (cls == "COLUMN_REF") {
    const json::value* names = o.if_contains("column_names");
    if (names == nullptr || !names->is_array() || names->get_array().size() != 1 ||
        !names->get_array()[0].is_string())
      return;
    const std::string name = Lower(names->get_array()[0].get_string());
    for (const auto& [param, replacement] : params) {
      if (name != param) continue;
      json::value alias = o["alias"];
      v = replacement;
      v.get_object()["alias"] = std::move(alias);
      return;
    }
    return;
  }
  if (cls == "LAMBDA") {
    std::vector<std::string> own = LambdaParams(v);
    std::vector<std::pair<std::string, json::value>> visible;
    for (const auto& p : params) {
      bool hidden = false;
      for (const std::string& n : own) hidden = hidden || n == p.first;
      if (!hidden) visible.push_back(p);
    }
    if (json::value* expr = o.if_contains("expr"); expr != nullptr) Substitute(*expr, visible);
    return;
  }
  for (auto& [key, child] : o) Substitute(child, params);
}

void KeepAlias(json::object& fn, json::object replacement) {
  json::value alias = fn["alias"];
  replacement["alias"] = std::move(alias);
  fn = std::move(replacement);
}

// array_sort(a, (x, y) -> c): element i's rank is the number of elements j that sort before it
// (c(a[j], a[i]) < 0, or 0 with j before i, which keeps the sort stable); the elements are then ordered
// by rank. O(n^2) comparisons.
Status RewriteArraySort(json::object& fn) {
  json::array& args = *Children(fn);
  std::vector<std::string> params = LambdaParams(args[1]);
  if (params.size() != 2)
    return NotSupported("array_sort needs a comparator of two parameters, (x, y) -> ...");
  const json::value array = args[0];
  json::value c = args[1].get_object()["expr"];
  Substitute(c, {{params[0], NewFunction("array_extract", json::array{array, Column("__cenote_sj")})},
                 {params[1], NewFunction("array_extract", json::array{array, Column("__cenote_si")})}});
  json::object before = NewFunction("__cenote_sorts_before",
                                    json::array{std::move(c), Column("__cenote_sj"), Column("__cenote_si")});
  json::object count =
      NewFunction("len", json::array{NewFunction(
                             "list_filter", json::array{NewFunction("__cenote_positions", json::array{array}),
                                                        Lambda("__cenote_sj", std::move(before))})});
  json::object ranks =
      NewFunction("list_transform", json::array{NewFunction("__cenote_positions", json::array{array}),
                                                Lambda("__cenote_si", std::move(count))});
  KeepAlias(fn, NewFunction("__cenote_order_by_ranks", json::array{array, std::move(ranks)}));
  return Status::Ok();
}

// The number of capturing groups of a regular expression (RE2/Java syntax).
int CapturingGroups(const std::string& p) {
  int groups = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
    } else if (in_class) {
      in_class = p[i] != ']';
    } else if (p[i] == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;  // a leading ']' is a member
    } else if (p[i] == '(') {
      if (i + 1 < p.size() && p[i + 1] == '?') {
        // Named groups capture: (?P<name>...) and (?<name>...), but not the lookbehinds (?<= and (?<!.
        const bool named = (i + 2 < p.size() && p[i + 2] == 'P') ||
                           (i + 3 < p.size() && p[i + 2] == '<' && p[i + 3] != '=' && p[i + 3] != '!');
        if (named) ++groups;
      } else {
        ++groups;
      }
    }
  }
  return groups;
}

// regexp_replace(s, p, x -> body): every match replaced by body, x being the array of the match's
// groups (x[1] the first). The text is cut at the matches (regexp_split_to_array); match k's group g is
// regexp_extract_all(s, p, g)[k].
Status RewriteRegexpReplaceLambda(json::object& fn) {
  json::array& args = *Children(fn);
  std::vector<std::string> params = LambdaParams(args[2]);
  if (params.size() != 1) return NotSupported("regexp_replace needs a lambda of one parameter, x -> ...");
  const json::value* pattern = ConstantValue(args[1], "VARCHAR");
  if (pattern == nullptr || !pattern->is_string())
    return NotSupported("regexp_replace with a lambda and a pattern that is not a constant string");
  const int groups = CapturingGroups(std::string(pattern->get_string()));
  const json::value s = args[0], p = args[1];
  json::array group_values;
  for (int g = 1; g <= groups; ++g) {
    group_values.push_back(NewFunction(
        "array_extract",
        json::array{NewFunction("regexp_extract_all", json::array{s, p, NewConstant("INTEGER", g)}),
                    Column("__cenote_rk")}));
  }
  json::value body = args[2].get_object()["expr"];
  Substitute(body, {{params[0], NewFunction("list_value", std::move(group_values))}});
  json::object matches = NewFunction("regexp_extract_all", json::array{s, p});
  json::object replacements = NewFunction(
      "list_transform", json::array{NewFunction("__cenote_positions", json::array{std::move(matches)}),
                                    Lambda("__cenote_rk", std::move(body))});
  KeepAlias(fn, NewFunction("__cenote_regexp_join",
                            json::array{NewFunction("regexp_split_to_array", json::array{s, p}),
                                        std::move(replacements)}));
  return Status::Ok();
}

// Trino's JSON path brackets DuckDB reads otherwise: $.a[b] and $.a["b c"] are members ($.a."b c").
std::string MemberBrackets(const std::string& path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '[') {
      out += path[i];
      continue;
    }
    const std::size_t close = path.find(']', i);
    if (close == std::string::npos) return path;
    std::string inner = path.substr(i + 1, close - i - 1);
    bool index = !inner.empty();
    for (char c : inner)
      index = index && (std::isdigit(static_cast<unsigned char>(c)) || c == '*' || c == '#' || c == '-');
    if (index) {
      out += path.substr(i, close - i + 1);
    } else {
      if (inner.size() >= 2 && (inner.front() == '"' || inner.front() == '\'') &&
          inner.back() == inner.front())
        inner = inner.substr(1, inner.size() - 2);
      if (inner.find('"') != std::string::npos) return path;
      out += ".\"" + inner + "\"";
    }
    i = close;
  }
  return out;
}

// How deeply a literal nests arrays: 0 for a constant, 1 + its first element's for an array
// constructor; -1 when unknown (anything else).
int LiteralDepth(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return -1;
  const std::string cls = StringField(*o, "class");
  if (cls == "CONSTANT") return 0;
  const bool array = (cls == "OPERATOR" && StringField(*o, "type") == "ARRAY_CONSTRUCTOR") ||
                     (cls == "FUNCTION" && Lower(StringField(*o, "function_name")) == "list_value");
  if (!array) return -1;
  const json::value* c = o->if_contains("children");
  if (c == nullptr || !c->is_array() || c->get_array().empty()) return -1;
  const int inner = LiteralDepth(c->get_array()[0]);
  return inner < 0 ? -1 : inner + 1;
}

// Whether a node is a JSON value: a JSON literal or CAST(... AS JSON), json_parse, json_extract.
bool IsJsonExpression(const json::object& c) {
  if (StringField(c, "class") == "CAST") {
    const json::value* t = c.if_contains("cast_type");
    const json::value* info =
        t != nullptr && t->is_object() ? t->get_object().if_contains("type_info") : nullptr;
    return info != nullptr && info->is_object() && StringField(t->get_object(), "id") == "USER" &&
           Lower(StringField(info->get_object(), "user_type_name")) == "json";
  }
  if (StringField(c, "class") == "FUNCTION") {
    const std::string n = Lower(StringField(c, "function_name"));
    return n == "json_parse" || n == "json_extract";
  }
  return false;
}

// CAST(<json array> AS ROW(a T, b U)): Trino reads the fields by position; DuckDB's cast reads an object by
// name, so an array becomes the object {"a": j[0], "b": j[1]} first.
void RowFieldsByPosition(json::object& cast, json::value& child) {
  const json::value* type = cast.if_contains("cast_type");
  const json::value* info =
      type != nullptr && type->is_object() ? type->get_object().if_contains("type_info") : nullptr;
  const json::value* fields =
      info != nullptr && info->is_object() ? info->get_object().if_contains("child_types") : nullptr;
  if (fields == nullptr || !fields->is_array() || fields->get_array().empty()) return;
  json::array names;
  for (const json::value& f : fields->get_array()) {
    const json::value* name = f.is_object() ? f.get_object().if_contains("first") : nullptr;
    if (name == nullptr || !name->is_string() || name->get_string().empty()) return;
    names.push_back(NewConstant("VARCHAR", name->get_string()));
  }
  json::value wrapped = NewFunction(
      "__cenote_json_row_object", json::array{std::move(child), NewFunction("list_value", std::move(names))});
  child = std::move(wrapped);
}

}  // namespace

void RewriteConcatOperator(json::object& fn) {
  json::array* args = Children(fn);
  if (args == nullptr || args->size() != 2) return;
  const int left = LiteralDepth((*args)[0]), right = LiteralDepth((*args)[1]);
  if (left < 0 || right < 0 || (left != right + 1 && right != left + 1)) return;
  fn["function_name"] = left > right ? "list_append" : "list_prepend";
  fn["is_operator"] = false;
}

Result<bool> RewriteFunctionCall(json::object& fn, const std::string& name) {
  json::array* args = Children(fn);
  const std::size_t argc = args != nullptr ? args->size() : 0;
  if (name == "array_sort" && argc == 2 && (*args)[1].is_object() &&
      StringField((*args)[1].get_object(), "class") == "LAMBDA") {
    CENOTE_RETURN_IF_ERROR(RewriteArraySort(fn));
    return true;
  }
  if (name == "regexp_replace" && argc == 3 && (*args)[2].is_object() &&
      StringField((*args)[2].get_object(), "class") == "LAMBDA") {
    CENOTE_RETURN_IF_ERROR(RewriteRegexpReplaceLambda(fn));
    return true;
  }
  if (name == "format" && argc >= 1) {
    // format(fmt, a, ...) -> __cenote_java_format(fmt, [tagged a, ...]) (trino_functions_format.cpp).
    json::array tagged;
    for (std::size_t i = 1; i < argc; ++i)
      tagged.push_back(NewFunction("__cenote_format_arg", json::array{(*args)[i]}));
    json::array call_args{(*args)[0]};
    if (argc > 1) call_args.push_back(NewFunction("list_value", std::move(tagged)));
    KeepAlias(fn, NewFunction("__cenote_java_format", std::move(call_args)));
    return true;
  }
  if (name == "typeof" && argc == 1) {
    // A varchar literal is varchar(n) in Trino, n its length in characters.
    if (const json::value* text = ConstantValue((*args)[0], "VARCHAR");
        text != nullptr && text->is_string()) {
      std::size_t chars = 0;
      for (char c : text->get_string()) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
      KeepAlias(fn, NewConstant("VARCHAR", json::string("varchar(" + std::to_string(chars) + ")")));
      return true;
    }
    // current_timestamp(p) and its kin have precision p in Trino (DuckDB's values carry none).
    if (json::object* call = (*args)[0].if_object();
        call != nullptr && StringField(*call, "class") == "FUNCTION" && Children(*call) != nullptr &&
        Children(*call)->size() == 1) {
      static const std::pair<const char*, const char*> kTyped[] = {
          {"current_timestamp", "timestamp(%) with time zone"},
          {"localtimestamp", "timestamp(%)"},
          {"current_time", "time(%) with time zone"},
          {"localtime", "time(%)"}};
      const json::value* p = ConstantValue((*Children(*call))[0], "INTEGER");
      const std::string called = Lower(StringField(*call, "function_name"));
      for (const auto& [function, type] : kTyped) {
        if (called != function || p == nullptr || !p->is_int64() || p->get_int64() < 0 || p->get_int64() > 12)
          continue;
        std::string text = type;
        text.replace(text.find('%'), 1, std::to_string(p->get_int64()));
        KeepAlias(fn, NewConstant("VARCHAR", json::string(text)));
        return true;
      }
    }
    return false;
  }
  if (name == "nth_value" && argc == 2) {
    const json::value* offset = ConstantValue((*args)[1], "INTEGER");
    if (offset != nullptr && offset->is_int64() && offset->get_int64() <= 0)
      return MakeError("INVALID_FUNCTION_ARGUMENT", "INVALID_FUNCTION_ARGUMENT: Offset must be at least 1");
    return false;
  }
  if ((name == "json_extract" || name == "json_extract_scalar" || name == "json_size") && argc == 2) {
    const json::value* path = ConstantValue((*args)[1], "VARCHAR");
    if (path != nullptr && path->is_string()) {
      std::string converted = MemberBrackets(std::string(path->get_string()));
      (*args)[1].get_object()["value"].get_object()["value"] = json::string(converted);
    }
    return false;
  }
  if (name == "normalize" && argc == 2) {
    // normalize(s, NFD): the form is a bare word, which the parser reads as a column.
    const json::object* form = (*args)[1].if_object();
    const json::value* names = form != nullptr ? form->if_contains("column_names") : nullptr;
    const std::string f = names != nullptr && names->is_array() && names->get_array().size() == 1 &&
                                  names->get_array()[0].is_string()
                              ? Lower(names->get_array()[0].get_string())
                              : "";
    if (f == "nfc") {
      args->pop_back();
      fn["function_name"] = "nfc_normalize";
      return true;
    }
    if (f != "nfd" && f != "nfkc" && f != "nfkd")
      return NotSupported("normalize with the form " + (f.empty() ? "given" : f));
    (*args)[1] = NewConstant("VARCHAR", json::string(f == "nfd" ? "NFD" : f == "nfkc" ? "NFKC" : "NFKD"));
    fn["function_name"] = "__cenote_normalize";
    fn["schema"] = "";
    return true;
  }
  for (const Rename& r : kRenames) {
    if (name == r.trino && static_cast<int>(argc) >= r.min_args && static_cast<int>(argc) <= r.max_args) {
      fn["function_name"] = r.duckdb;
      fn["schema"] = "";
      return true;
    }
  }
  return false;
}

Status ReduceAggAsReduce(json::object& fn) {
  json::array& args = *Children(fn);
  std::vector<std::string> combine = LambdaParams(args[3]);
  if (LambdaParams(args[2]).size() != 2 || combine.size() != 2)
    return NotSupported("reduce_agg needs input and combine functions of two parameters, (a, b) -> ...");
  json::object values = NewFunction("list", json::array{std::move(args[0])});
  args[0] = std::move(values);
  args[3] = Lambda("__cenote_state", Column("__cenote_state"));
  fn["function_name"] = "reduce";
  return Status::Ok();
}

bool RewriteCastOfJson(json::value& v) {
  json::object& cast = v.get_object();
  const json::value* type = cast.if_contains("cast_type");
  if (type == nullptr || !type->is_object()) return false;
  const std::string target = StringField(type->get_object(), "id");
  json::value* child = cast.if_contains("child");
  if (child == nullptr || !child->is_object() || !IsJsonExpression(child->get_object())) return false;
  if (target == "STRUCT") {
    RowFieldsByPosition(cast, *child);
    return false;
  }
  const json::value* try_cast = cast.if_contains("try_cast");
  if (target != "VARCHAR" || (try_cast != nullptr && try_cast->is_bool() && try_cast->get_bool()))
    return false;
  json::object call = NewFunction("__cenote_json_to_varchar", json::array{std::move(*child)});
  call["alias"] = cast["alias"];
  v = std::move(call);
  return true;
}

const std::vector<std::string>& FunctionMacros() {
  static const std::vector<std::string> macros = [] {
    std::vector<std::string> all = kMacros;
    for (std::string& m : VariadicMacros()) all.push_back(std::move(m));
    return all;
  }();
  return macros;
}

}  // namespace cenote::query::internal
