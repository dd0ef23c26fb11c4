// Trino (Athena engine v3) functions on DuckDB: renames, __cenote_ macros and argument rewrites over
// DuckDB's syntax tree (statement.hpp RewriteDialect). docs/athena-dialect.md lists what is covered.
#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "query/dialect_datetime.hpp"
#include "query/dialect_functions.hpp"
#include "query/dialect_nodes.hpp"
#include "query/dialect_overloads.hpp"
#include "query/statement.hpp"

namespace cenote::query::internal {
namespace {

namespace json = boost::json;

// Same arguments, DuckDB's name (a __cenote_ name is a macro from DialectMacros()).
struct Rename {
  const char* trino;
  int min_args;
  int max_args;
  const char* duckdb;
};

constexpr Rename kRenames[] = {
    {"approx_distinct", 1, 1, "approx_count_distinct"},
    {"approx_percentile", 2, 2, "approx_quantile"},
    {"arbitrary", 1, 1, "any_value"},
    {"every", 1, 1, "bool_and"},
    {"cardinality", 1, 1, "__cenote_cardinality"},
    {"element_at", 2, 2, "__cenote_element_at"},
    {"array_join", 2, 2, "array_to_string"},
    {"array_join", 3, 3, "__cenote_array_join"},
    {"contains", 2, 2, "list_contains"},
    {"regexp_like", 2, 2, "regexp_matches"},
    {"regexp_extract", 2, 2, "__cenote_regexp_extract"},
    {"regexp_extract", 3, 3, "__cenote_regexp_extract_group"},
    {"regexp_split", 2, 2, "regexp_split_to_array"},
    {"json_extract_scalar", 2, 2, "__cenote_json_extract_scalar"},
    {"json_format", 1, 1, "__cenote_json_format"},
    {"json_parse", 1, 1, "__cenote_json_parse"},
    {"json_array_get", 2, 2, "__cenote_json_array_get"},
    {"json_size", 2, 2, "__cenote_json_size"},
    {"split", 2, 2, "string_split"},
    {"if", 2, 2, "__cenote_if"},
    {"day_of_week", 1, 1, "isodow"},
    {"dow", 1, 1, "isodow"},
    {"day_of_year", 1, 1, "dayofyear"},
    {"doy", 1, 1, "dayofyear"},
    {"day_of_month", 1, 1, "dayofmonth"},
    {"year_of_week", 1, 1, "isoyear"},
    {"yow", 1, 1, "isoyear"},
    {"week_of_year", 1, 1, "week"},
    {"typeof", 1, 1, "__cenote_typeof"},
    {"zstd_compress", 1, 1, "__cenote_zstd_compress"},
    {"word_stem", 1, 2, "__cenote_word_stem"},
    {"zstd_decompress", 1, 1, "__cenote_zstd_decompress"},
    {"split_part", 3, 3, "__cenote_split_part"},
    {"sequence", 2, 3, "__cenote_sequence"},
    {"to_hex", 1, 1, "hex"},
    {"md5", 1, 1, "__cenote_md5"},
    {"sha1", 1, 1, "__cenote_sha1"},
    {"sha256", 1, 1, "__cenote_sha256"},
    {"sha512", 1, 1, "__cenote_sha512"},  // C functions: trino_functions.cpp
    {"crc32", 1, 1, "__cenote_crc32"},
    {"xxhash64", 1, 1, "__cenote_xxhash64"},
    {"from_hex", 1, 1, "unhex"},
    {"to_utf8", 1, 1, "encode"},
    {"from_utf8", 1, 1, "decode"},
    {"levenshtein_distance", 2, 2, "levenshtein"},
    {"truncate", 1, 1, "trunc"},
    {"truncate", 2, 2, "__cenote_truncate"},
    {"round", 2, 2, "__cenote_round"},
    {"is_nan", 1, 1, "isnan"},
    {"is_finite", 1, 1, "isfinite"},
    {"is_infinite", 1, 1, "isinf"},
    {"rand", 0, 0, "random"},
    {"infinity", 0, 0, "__cenote_infinity"},
    {"nan", 0, 0, "__cenote_nan"},
    {"format", 1, 100, "printf"},
    {"last_day_of_month", 1, 1, "last_day"},
    {"codepoint", 1, 1, "unicode"},
    {"date", 1, 1, "__cenote_date"},
    {"array_distinct", 1, 1, "__cenote_array_distinct"},
    {"array_max", 1, 1, "__cenote_array_max"},
    {"array_min", 1, 1, "__cenote_array_min"},
    {"array_sum", 1, 1, "list_sum"},
    {"array_average", 1, 1, "list_avg"},
    {"bitwise_and", 2, 2, "__cenote_bitwise_and"},
    {"bitwise_or", 2, 2, "__cenote_bitwise_or"},
    {"bitwise_xor", 2, 2, "xor"},
    {"bitwise_not", 1, 1, "__cenote_bitwise_not"},
    {"width_bucket", 4, 4, "__cenote_width_bucket"},
    {"split_to_map", 3, 3, "__cenote_split_to_map"},
    {"to_milliseconds", 1, 1, "__cenote_to_milliseconds"},
    {"hamming_distance", 2, 2, "hamming"},
    {"normalize", 1, 1, "nfc_normalize"},
    {"regexp_count", 2, 2, "__cenote_regexp_count"},
    {"is_json_scalar", 1, 1, "__cenote_is_json_scalar"},
    {"url_extract_host", 1, 1, "__cenote_url_extract_host"},
    {"url_extract_protocol", 1, 1, "__cenote_url_extract_protocol"},
    {"url_extract_path", 1, 1, "__cenote_url_extract_path"},
    {"url_extract_query", 1, 1, "__cenote_url_extract_query"},
    {"url_extract_fragment", 1, 1, "__cenote_url_extract_fragment"},
    {"url_extract_port", 1, 1, "__cenote_url_extract_port"},
    {"url_extract_parameter", 2, 2, "__cenote_url_extract_parameter"},
    {"array_sort", 1, 1, "list_sort"},
    {"array_intersect", 2, 2, "__cenote_array_intersect"},
    {"array_union", 2, 2, "__cenote_array_union"},
    {"array_except", 2, 2, "__cenote_array_except"},
    {"array_position", 2, 2, "__cenote_array_position"},
    {"array_remove", 2, 2, "__cenote_array_remove"},
    {"transform", 2, 2, "list_transform"},
    {"filter", 2, 2, "list_filter"},
    {"slice", 3, 3, "__cenote_slice"},
    {"replace", 2, 2, "__cenote_replace"},
    {"strrev", 1, 1, "reverse"},
    {"map_concat", 2, 2, "map_concat"},
    {"array_first", 1, 1, "__cenote_array_first"},
    {"array_last", 1, 1, "__cenote_array_last"},
    {"trim_array", 2, 2, "__cenote_trim_array"},
    {"arrays_overlap", 2, 2, "__cenote_arrays_overlap"},
    {"contains_sequence", 2, 2, "__cenote_contains_sequence"},
    {"ngrams", 2, 2, "__cenote_ngrams"},
    {"array_histogram", 1, 1, "__cenote_array_histogram"},
    {"euclidean_distance", 2, 2, "list_distance"},
    {"dot_product", 2, 2, "list_dot_product"},
    {"cosine_similarity", 2, 2, "__cenote_cosine_similarity"},
    {"cosine_distance", 2, 2, "__cenote_cosine_distance"},
    {"bitwise_left_shift", 2, 2, "__cenote_bitwise_left_shift"},
    {"bitwise_right_shift", 2, 2, "__cenote_bitwise_right_shift"},
    {"bitwise_right_shift_arithmetic", 2, 2, "__cenote_bitwise_right_shift_arithmetic"},
    {"bitwise_and_agg", 1, 1, "bit_and"},
    {"bitwise_or_agg", 1, 1, "bit_or"},
    {"bitwise_xor_agg", 1, 1, "bit_xor"},
    {"e", 0, 0, "__cenote_e"},
    {"from_base", 2, 2, "__cenote_from_base"},
    {"to_base", 2, 2, "__cenote_to_base"},
    {"regexp_position", 2, 4, "__cenote_regexp_position"},
    {"luhn_check", 1, 1, "__cenote_luhn_check"},
    {"overlay", 3, 4, "__cenote_overlay"},
    {"split", 3, 3, "__cenote_split_limit"},
    {"concat_ws", 2, 2, "__cenote_concat_ws"},
    {"url_encode", 1, 1, "__cenote_url_encode"},
    {"url_decode", 1, 1, "__cenote_url_decode"},
    {"map_agg", 2, 2, "__cenote_map_agg"},
    {"set_agg", 1, 1, "__cenote_set_agg"},
    {"millisecond", 1, 1, "__cenote_millisecond"},
    {"current_timezone", 0, 0, "__cenote_current_timezone"},
    {"json_exists", 2, 2, "__cenote_json_exists"},
    {"json_value", 2, 2, "__cenote_json_value"},
    {"json_query", 2, 2, "__cenote_json_query"},
    {"parse_data_size", 1, 1, "__cenote_parse_data_size"},
    {"parse_duration", 1, 1, "__cenote_parse_duration"},
    {"human_readable_seconds", 1, 1, "__cenote_human_readable_seconds"},
    {"length", 1, 1, "__cenote_length"},
    {"reverse", 1, 1, "__cenote_reverse"},
    {"repeat", 2, 2, "__cenote_repeat"},
    {"random", 1, 2, "__cenote_random"},
    {"wilson_interval_lower", 3, 3, "__cenote_wilson_interval_lower"},
    {"wilson_interval_upper", 3, 3, "__cenote_wilson_interval_upper"},
    {"multimap_from_entries", 1, 1, "__cenote_multimap_from_entries"},
    {"sign", 1, 1, "__cenote_sign"},
    {"ceil", 1, 1, "__cenote_ceil"},
    {"ceiling", 1, 1, "__cenote_ceil"},
    {"floor", 1, 1, "__cenote_floor"},
    {"strpos", 3, 3, "__cenote_strpos"},
    {"width_bucket", 2, 2, "__cenote_width_bucket_bins"},
    {"to_base64url", 1, 1, "__cenote_to_base64url"},
    {"title_case", 1, 1, "__cenote_title_case"},
    {"from_base64url", 1, 1, "__cenote_from_base64url"},
    {"from_big_endian_32", 1, 1, "__cenote_from_big_endian_32"},
    {"from_big_endian_64", 1, 1, "__cenote_from_big_endian_64"},
    {"to_big_endian_32", 1, 1, "__cenote_to_big_endian_32"},
    {"to_big_endian_64", 1, 1, "__cenote_to_big_endian_64"},
    {"substr", 2, 3, "__cenote_substr"},
    {"substring", 2, 3, "__cenote_substr"},
    {"lpad", 3, 3, "__cenote_lpad"},
    {"rpad", 3, 3, "__cenote_rpad"},
    {"split_to_multimap", 3, 3, "__cenote_split_to_multimap"},
};

const std::vector<std::string> kMacros = {
    // Result rendering (csv_format.cpp): doubles and reals as Java's Double.toString / Float.toString
    // print them, which is how Athena writes them: the shortest digits that read back to the same value
    // (DuckDB's CAST to VARCHAR gives those), plain for magnitudes in [1e-3, 1e7) ("100.0", "0.001"),
    // otherwise d.dddE<n> ("1.0E7", "1.23456789E-5"). __cenote_jd_body gets the sign, the significant
    // digits d and the decimal point position p (value = 0.d x 10^p).
    "CREATE MACRO __cenote_jd_body(sign, d, p, plain) AS sign || CASE WHEN plain THEN (CASE WHEN p <= 0 THEN "
    "'0.' || repeat('0', -p) || d WHEN p >= length(d) THEN d || repeat('0', p - length(d)) || '.0' ELSE "
    "substr(d, 1, p) || '.' || substr(d, p + 1) END) ELSE substr(d, 1, 1) || '.' || (CASE WHEN length(d) > 1 "
    "THEN substr(d, 2) ELSE '0' END) || 'E' || CAST(p - 1 AS VARCHAR) END",
    "CREATE MACRO __cenote_jd_digits(s) AS regexp_extract(s, '^-?([0-9]*)', 1) || regexp_extract(s, "
    "'\\.([0-9]*)', 1)",
    "CREATE MACRO __cenote_jd_text(s, plain) AS __cenote_jd_body(regexp_extract(s, '^(-?)', 1), "
    "rtrim(ltrim(__cenote_jd_digits(s), '0'), '0'), length(regexp_extract(s, '^-?([0-9]*)', 1)) + "
    "coalesce(TRY_CAST(regexp_extract(s, '[eE]([-+]?[0-9]+)$', 1) AS INTEGER), 0) - "
    "(length(__cenote_jd_digits(s)) - length(ltrim(__cenote_jd_digits(s), '0'))), plain)",
    // s: x's shortest digits as text (DuckDB's CAST for doubles; for reals, which DuckDB prints exactly,
    // the fewest printf digits that read back to the same real).
    "CREATE MACRO __cenote_java_number(x, s) AS CASE WHEN x IS NULL THEN NULL WHEN isnan(x) THEN 'NaN' WHEN "
    "isinf(x) THEN (CASE WHEN x > 0 THEN 'Infinity' ELSE '-Infinity' END) WHEN x = 0 THEN (CASE WHEN "
    "starts_with(CAST(x AS VARCHAR), '-') THEN '-0.0' ELSE '0.0' END) ELSE __cenote_jd_text(s, abs(x) >= "
    "0.001 "
    "AND abs(x) < 10000000) END",
    // DuckDB already prints doubles in [1e-3, 1e7) as Java does ("100.0", "0.001").
    "CREATE MACRO __cenote_java_double(x) AS CASE WHEN abs(x) >= 0.001 AND abs(x) < 10000000 THEN CAST(x AS "
    "VARCHAR) ELSE __cenote_java_number(x, CAST(x AS VARCHAR)) END",
    "CREATE MACRO __cenote_java_real(x) AS __cenote_java_number(x, printf('%.' || CAST(list_filter(range(0, "
    "9), lambda __cenote_fq: CAST(printf('%.' || __cenote_fq || 'e', x) AS FLOAT) = x)[1] AS VARCHAR) || "
    "'e', "
    "x))",
    // CAST(x AS VARCHAR) as Trino casts (RewriteVarcharCast): a double or real in the SQL standard's
    // scientific form ("3.77E1", "1.0E0", "0E0"; a real keeps at most 7 significant digits, "1.234568E7"),
    // timestamps, times and intervals as Athena prints them ("2024-05-01 10:00:00.000 UTC"), the rest as
    // DuckDB casts them. Typed overloads, picked while DuckDB binds: nothing is added for other types.
    "CREATE MACRO __cenote_trino_float_text(x, s) AS CASE WHEN x IS NULL THEN NULL WHEN isnan(x) THEN 'NaN' "
    "WHEN isinf(x) THEN (CASE WHEN x > 0 THEN 'Infinity' ELSE '-Infinity' END) WHEN x = 0 THEN (CASE WHEN "
    "starts_with(CAST(x AS VARCHAR), '-') THEN '-0E0' ELSE '0E0' END) ELSE __cenote_jd_text(s, false) END",
    "CREATE MACRO __cenote_interval_text(i) AS CASE WHEN i IS NULL THEN NULL WHEN "
    "__cenote_interval_months(i) <> 0 AND __cenote_interval_micros(i) = 0 THEN (CASE WHEN "
    "__cenote_interval_months(i) < 0 THEN '-' ELSE '' END) || CAST(abs(__cenote_interval_months(i)) // 12 AS "
    "VARCHAR) || '-' || CAST(abs(__cenote_interval_months(i)) % 12 AS VARCHAR) ELSE (CASE WHEN "
    "__cenote_interval_micros(i) < 0 THEN '-' ELSE '' END) || CAST(abs(__cenote_interval_micros(i)) // "
    "86400000000 AS VARCHAR) || ' ' || lpad(CAST(abs(__cenote_interval_micros(i)) % 86400000000 // "
    "3600000000 AS VARCHAR), 2, '0') || ':' || lpad(CAST(abs(__cenote_interval_micros(i)) % 3600000000 // "
    "60000000 AS VARCHAR), 2, '0') || ':' || lpad(CAST(abs(__cenote_interval_micros(i)) % 60000000 // "
    "1000000 AS VARCHAR), 2, '0') || '.' || lpad(CAST(abs(__cenote_interval_micros(i)) % 1000000 // 1000 AS "
    "VARCHAR), 3, '0') END",
    // A value's type name, folded while DuckDB binds even for a NULL-typed value (a VALUES column of NULLs):
    // typeof itself stays a function of its argument for that type, and a kind macro's struct_extract key
    // must be a constant. typeof of a one-element list always folds ("DOUBLE[]", "NULL[]").
    "CREATE MACRO __cenote_tn(x) AS regexp_replace(typeof([x]), '\\[\\]$', '')",
    // The overload is picked by the kind's type (a struct field chosen by typeof, which folds while DuckDB
    // binds; [x] keeps CREATE MACRO from binding the bodies without x's type).
    "CREATE MACRO __cenote_varchar_kind(x) AS struct_extract(struct_pack(o := true, d := CAST(0 AS DOUBLE), "
    "f := CAST(0 AS FLOAT), t := TIMESTAMP '2000-01-01', z := CAST(TIMESTAMP '2000-01-01' AS TIMESTAMP WITH "
    "TIME ZONE), c := TIME '00:00:00', i := INTERVAL 0 DAY, n := DATE '2000-01-01', w := CAST(0 AS BIGINT), "
    "x := CAST('00000000-0000-0000-0000-000000000000' AS UUID), v := [x]), CASE WHEN __cenote_tn(x) = "
    "'DOUBLE' "
    "THEN 'd' WHEN __cenote_tn(x) = 'FLOAT' THEN 'f' WHEN __cenote_tn(x) IN ('TIMESTAMP', 'TIMESTAMP_NS', "
    "'TIMESTAMP_MS', 'TIMESTAMP_S') THEN 't' WHEN __cenote_tn(x) = 'TIMESTAMP WITH TIME ZONE' THEN 'z' WHEN "
    "__cenote_tn(x) = 'TIME' THEN 'c' WHEN __cenote_tn(x) = 'INTERVAL' THEN 'i' WHEN __cenote_tn(x) = '" +
        std::string(kZonedTimestampType) + "' THEN 'n' WHEN __cenote_tn(x) = '" +
        std::string(kZonedTimestampNanosType) +
        "' THEN 'w' WHEN __cenote_tn(x) = 'BLOB' OR __cenote_tn(x) LIKE '%]' OR __cenote_tn(x) LIKE 'MAP(%' "
        "OR __cenote_tn(x) "
        "LIKE 'STRUCT(%' THEN 'x' ELSE 'o' END)",
    // pos: "<offset>|CAST" for a refused cast's position (__cenote_cast_check, trino_functions_types.cpp).
    "CREATE MACRO __cenote_varchar_of(k BOOLEAN, x, pos) AS CAST(x AS VARCHAR), (k DOUBLE, x, pos) AS "
    "__cenote_trino_float_text(x, CAST(x AS VARCHAR)), (k FLOAT, x, pos) AS __cenote_trino_float_text(x, "
    "printf('%.' || CAST(least(list_filter(range(0, 9), lambda __cenote_fq: CAST(printf('%.' || "
    "__cenote_fq || 'e', x) AS FLOAT) = x)[1], 6) AS VARCHAR) || 'e', x)), (k TIMESTAMP, x, pos) AS "
    "strftime(x, '%Y-%m-%d %H:%M:%S.%g'), (k TIMESTAMP WITH TIME ZONE, x, pos) AS strftime(x, '%Y-%m-%d "
    "%H:%M:%S.%g UTC'), (k TIME, x, pos) AS strftime(DATE '1970-01-01' + x, '%H:%M:%S.%g'), (k INTERVAL, x, "
    "pos) AS __cenote_interval_text(x), (k DATE, x, pos) AS __cenote_tz_text3(x), (k BIGINT, x, pos) AS "
    "__cenote_tz_text9(x), (k UUID, x, pos) AS __cenote_cast_check(x, pos)",
    "CREATE MACRO __cenote_varchar(x, pos) AS __cenote_varchar_of(__cenote_varchar_kind(x), x, pos)",
    // Arrays and maps alike (DuckDB's len takes only lists, its cardinality only maps): counted through
    // the value's JSON form, which binds for both.
    "CREATE MACRO __cenote_cardinality(x) AS CAST(CASE json_type(to_json(x)) WHEN 'ARRAY' THEN "
    "json_array_length(to_json(x)) WHEN 'OBJECT' THEN len(json_keys(to_json(x))) END AS BIGINT)",
    // x[k]: 1-based (negative from the end) for arrays, key lookup for maps.
    "CREATE MACRO __cenote_element_at(x, k) AS x[k]",
    // Trino's digests return varbinary (to_hex(md5(to_utf8(s))) is the usual idiom); DuckDB's return hex
    // text.
    "CREATE MACRO __cenote_md5(x) AS unhex(md5(x))",
    "CREATE MACRO __cenote_sha1(x) AS unhex(sha1(x))",
    "CREATE MACRO __cenote_sha256(x) AS unhex(sha256(x))",
    "CREATE MACRO __cenote_array_join(a, sep, r) AS array_to_string(list_transform(a, lambda __cenote_v: "
    "coalesce(CAST(__cenote_v AS VARCHAR), r)), sep)",
    // Trino returns NULL when the pattern does not match (DuckDB: '').
    "CREATE MACRO __cenote_regexp_extract(s, p) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p) "
    "END",
    "CREATE MACRO __cenote_regexp_extract_group(s, p, g) AS CASE WHEN regexp_matches(s, p) THEN "
    "regexp_extract(s, p, g) END",
    // Trino returns NULL for objects and arrays (DuckDB: their JSON text).
    "CREATE MACRO __cenote_json_extract_scalar(j, p) AS CASE WHEN json_type(CAST(j AS JSON), p) IN "
    "('OBJECT', "
    "'ARRAY') THEN NULL ELSE json_extract_string(CAST(j AS JSON), p) END",
    "CREATE MACRO __cenote_json_format(j) AS CAST(json(j) AS VARCHAR)",
    "CREATE MACRO __cenote_json_parse(s) AS json(s)",
    "CREATE MACRO __cenote_json_array_get(j, i) AS json_extract(CAST(j AS JSON), CAST(i AS BIGINT))",
    "CREATE MACRO __cenote_json_size(j, p) AS CASE json_type(CAST(j AS JSON), p) WHEN 'ARRAY' THEN "
    "json_array_length(CAST(j AS JSON), p) WHEN 'OBJECT' THEN len(json_keys(CAST(j AS JSON), p)) ELSE 0 END",
    "CREATE MACRO __cenote_if(c, a) AS CASE WHEN c THEN a END",
    // Trino divides decimals (and a decimal by an integer, or the other way round) exactly: decimal(xp, xs) /
    // decimal(yp, ys) is a decimal(min(38, xp + ys + max(0, ys - xs)), max(xs, ys)) rounded half up, where
    // an integer is a decimal(10, 0) (tinyint 3, smallint 5, bigint 19); DuckDB gives a double. typeof folds
    // to a constant while DuckDB binds: __cenote_division_kind(a, b) is a BOOLEAN, a DATE (decimal) or a
    // TIME (an interval divided by a number, dialect_datetime.cpp's __cenote_interval_divide) by the
    // operands'
    // types (a struct field chosen by a constant name), which picks __cenote_divide's overload, so other
    // operands keep DuckDB's division (integer_division = true) with nothing added to the plan. The result's
    // type: a decimal(p, p) field chosen by name, rounded to scale s (round keeps the width). ([a] in the
    // structs keeps CREATE MACRO from binding the bodies without the operands' types.)
    "CREATE MACRO __cenote_decimal_p(t) AS CASE WHEN t LIKE 'DECIMAL(%' THEN CAST(regexp_extract(t, "
    "'\\((\\d+),', 1) AS INTEGER) WHEN t = 'TINYINT' THEN 3 WHEN t = 'SMALLINT' THEN 5 WHEN t = 'INTEGER' "
    "THEN 10 WHEN t = 'BIGINT' THEN 19 ELSE 0 END",
    "CREATE MACRO __cenote_decimal_s(t) AS CASE WHEN t LIKE 'DECIMAL(%' THEN CAST(regexp_extract(t, "
    "',(\\d+)\\)', 1) AS INTEGER) ELSE 0 END",
    "CREATE MACRO __cenote_decimal_division(ta, tb) AS (ta LIKE 'DECIMAL(%' OR tb LIKE 'DECIMAL(%') AND "
    "__cenote_decimal_p(ta) > 0 AND __cenote_decimal_p(tb) > 0",
    "CREATE MACRO __cenote_decimal_quotient_p(ta, tb) AS greatest(1, least(38, __cenote_decimal_p(ta) + "
    "__cenote_decimal_s(tb) + greatest(0, __cenote_decimal_s(tb) - __cenote_decimal_s(ta))))",
    "CREATE MACRO __cenote_decimal_quotient_s(ta, tb) AS CAST(least(greatest(__cenote_decimal_s(ta), "
    "__cenote_decimal_s(tb)), __cenote_decimal_quotient_p(ta, tb)) AS INTEGER)",
    "CREATE MACRO __cenote_division_kind(a, b) AS struct_extract(struct_pack(n := true, d := DATE "
    "'2000-01-01', i := TIME '00:00:00', z := [a]), CASE WHEN __cenote_tn(a) = 'INTERVAL' THEN 'i' WHEN "
    "__cenote_decimal_division(__cenote_tn(a), __cenote_tn(b)) THEN 'd' ELSE 'n' END)",
    "CREATE MACRO __cenote_divide(k BOOLEAN, a, b) AS CASE WHEN b = 0 THEN error('Division by zero') ELSE a "
    "/ b "
    "END, (k TIME, a, b) AS __cenote_interval_divide(a, b), (k DATE, a, b) AS CASE WHEN b = 0 THEN "
    "error('Division by zero') ELSE "
    "cast_to_type(__cenote_decimal_divide(CAST(a AS VARCHAR), CAST(b AS VARCHAR), "
    "__cenote_decimal_quotient_s(typeof(a), typeof(b))), round(struct_extract(struct_pack(d1 := CAST(0 AS "
    "DECIMAL(1,1)), d2 := CAST(0 AS DECIMAL(2,2)), d3 := CAST(0 AS DECIMAL(3,3)), d4 := CAST(0 AS "
    "DECIMAL(4,4)), d5 := CAST(0 AS DECIMAL(5,5)), d6 := CAST(0 AS DECIMAL(6,6)), d7 := CAST(0 AS "
    "DECIMAL(7,7)), d8 := CAST(0 AS DECIMAL(8,8)), d9 := CAST(0 AS DECIMAL(9,9)), d10 := CAST(0 AS "
    "DECIMAL(10,10)), d11 := CAST(0 AS DECIMAL(11,11)), d12 := CAST(0 AS DECIMAL(12,12)), d13 := CAST(0 AS "
    "DECIMAL(13,13)), d14 := CAST(0 AS DECIMAL(14,14)), d15 := CAST(0 AS DECIMAL(15,15)), d16 := CAST(0 AS "
    "DECIMAL(16,16)), d17 := CAST(0 AS DECIMAL(17,17)), d18 := CAST(0 AS DECIMAL(18,18)), d19 := CAST(0 AS "
    "DECIMAL(19,19)), d20 := CAST(0 AS DECIMAL(20,20)), d21 := CAST(0 AS DECIMAL(21,21)), d22 := CAST(0 AS "
    "DECIMAL(22,22)), d23 := CAST(0 AS DECIMAL(23,23)), d24 := CAST(0 AS DECIMAL(24,24)), d25 := CAST(0 AS "
    "DECIMAL(25,25)), d26 := CAST(0 AS DECIMAL(26,26)), d27 := CAST(0 AS DECIMAL(27,27)), d28 := CAST(0 AS "
    "DECIMAL(28,28)), d29 := CAST(0 AS DECIMAL(29,29)), d30 := CAST(0 AS DECIMAL(30,30)), d31 := CAST(0 AS "
    "DECIMAL(31,31)), d32 := CAST(0 AS DECIMAL(32,32)), d33 := CAST(0 AS DECIMAL(33,33)), d34 := CAST(0 AS "
    "DECIMAL(34,34)), d35 := CAST(0 AS DECIMAL(35,35)), d36 := CAST(0 AS DECIMAL(36,36)), d37 := CAST(0 AS "
    "DECIMAL(37,37)), d38 := CAST(0 AS DECIMAL(38,38)), z := [a]), 'd' || "
    "CAST(__cenote_decimal_quotient_p(typeof(a), typeof(b)) AS VARCHAR)), "
    "__cenote_decimal_quotient_s(typeof(a), "
    "typeof(b)))) END",
    "CREATE MACRO __cenote_divide_plain(a, b) AS CASE WHEN b = 0 THEN error('Division by zero') ELSE a / b "
    "END",
    "CREATE MACRO __cenote_divide_try(k BOOLEAN, a, b) AS a / b, (k TIME, a, b) AS "
    "__cenote_interval_divide_try(a, b), (k DATE, a, b) AS a / b",
    // a * b: 'l' when a is an interval, 'r' when b is, as the types TIME and DATE (see above).
    "CREATE MACRO __cenote_product_kind(a, b) AS struct_extract(struct_pack(n := true, l := TIME "
    "'00:00:00', r := DATE '2000-01-01', z := [a], y := [b]), CASE WHEN __cenote_tn(a) = 'INTERVAL' THEN 'l' "
    "WHEN __cenote_tn(b) = 'INTERVAL' THEN 'r' ELSE 'n' END)",
    "CREATE MACRO __cenote_multiply(k, a, b) AS a * b, (k TIME, a, b) AS __cenote_interval_times(a, "
    "b), (k DATE, a, b) AS __cenote_interval_times(b, a)",
    "CREATE MACRO __cenote_multiply_try(k, a, b) AS a * b, (k TIME, a, b) AS "
    "__cenote_interval_times_try(a, b), (k DATE, a, b) AS __cenote_interval_times_try(b, a)",
    // Trino's two interval types, told apart by the value (a year-to-month one has only months).
    "CREATE MACRO __cenote_interval_type(x INTERVAL) AS CASE WHEN __cenote_interval_months(x) <> 0 AND "
    "__cenote_interval_micros(x) = 0 THEN 'interval year to month' ELSE 'interval day to second' END, (x) "
    "AS 'interval'",
    // Trino's type names.
    "CREATE MACRO __cenote_typeof(x) AS CASE typeof(x) WHEN 'TIMESTAMP' THEN 'timestamp(3)' "
    "WHEN 'TIMESTAMP WITH TIME ZONE' THEN 'timestamp(3) with time zone' WHEN '" +
        std::string(kZonedTimestampType) + "' THEN 'timestamp(3) with time zone' WHEN '" +
        std::string(kZonedTimestampNanosType) +
        "' THEN 'timestamp(9) with time zone' WHEN 'FLOAT' THEN 'real' "
        "WHEN 'BLOB' THEN 'varbinary' WHEN 'INTERVAL' THEN __cenote_interval_type(x) WHEN '\"NULL\"' THEN "
        "'unknown' ELSE lower(typeof(x)) END",
    // Trino: NULL when the index is past the last field (DuckDB: '').
    "CREATE MACRO __cenote_split_part(s, d, i) AS CASE WHEN i <= len(string_split(s, d)) THEN split_part(s, "
    "d, i) "
    "END",
    "CREATE MACRO __cenote_infinity() AS CAST('inf' AS DOUBLE)",
    // Arrays: NULL for an empty array (array_first/array_last), n-grams of adjacent elements (the whole
    // array when n is larger), element counts without NULLs (an empty map when nothing is counted).
    "CREATE MACRO __cenote_array_first(a) AS a[1]",
    "CREATE MACRO __cenote_array_last(a) AS a[-1]",
    "CREATE MACRO __cenote_trim_array(a, n) AS a[1:len(a) - n]",
    // Trino: true for a common non-NULL element; otherwise NULL when either array holds a NULL.
    "CREATE MACRO __cenote_arrays_overlap(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN "
    "list_has_any(a, b) THEN true WHEN list_contains(list_transform(a, lambda __cenote_v: __cenote_v IS "
    "NULL), true) OR list_contains(list_transform(b, lambda __cenote_v: __cenote_v IS NULL), true) THEN "
    "NULL ELSE false END",
    "CREATE MACRO __cenote_contains_sequence(x, s) AS len(s) = 0 OR coalesce(list_bool_or(list_transform("
    "range(1, len(x) - len(s) + 2), lambda __cenote_i: x[__cenote_i:__cenote_i + len(s) - 1] = s)), false)",
    "CREATE MACRO __cenote_ngrams(a, n) AS list_transform(range(1, greatest(len(a) - n + 1, 1) + 1), lambda "
    "__cenote_i: a[__cenote_i:__cenote_i + n - 1])",
    "CREATE MACRO __cenote_array_histogram(a) AS CASE WHEN a IS NOT NULL THEN coalesce(list_aggregate(a, "
    "'histogram'), map()) END",
    "CREATE MACRO __cenote_cosine_similarity(a, b) AS list_cosine_similarity(a, b)",
    "CREATE MACRO __cenote_cosine_distance(a, b) AS list_cosine_distance(a, b)",
    // Shifts on 64 bits, as Trino: 0 (or -1 for a negative arithmetic shift) from 64 bits on; the
    // logical right shift moves zeros into a negative value.
    "CREATE MACRO __cenote_bitwise_left_shift(v, s) AS CASE WHEN s >= 64 THEN 0 ELSE CAST(v AS BIGINT) << s "
    "END",
    "CREATE MACRO __cenote_bitwise_right_shift(v, s) AS CASE WHEN s >= 64 THEN 0 WHEN v >= 0 OR s = 0 THEN "
    "CAST(v AS BIGINT) >> s ELSE CAST((CAST(v AS HUGEINT) + CAST('18446744073709551616' AS HUGEINT)) >> s "
    "AS BIGINT) END",
    "CREATE MACRO __cenote_bitwise_right_shift_arithmetic(v, s) AS CASE WHEN s >= 64 THEN (CASE WHEN v < 0 "
    "THEN -1 ELSE 0 END) ELSE CAST(v AS BIGINT) >> s END",
    "CREATE MACRO __cenote_e() AS CAST(2.718281828459045 AS DOUBLE)",
    "CREATE MACRO __cenote_from_base(s, r) AS list_reduce(list_transform(string_split(lower(s), ''), lambda "
    "__cenote_c: CAST(strpos('0123456789abcdefghijklmnopqrstuvwxyz', __cenote_c) - 1 AS BIGINT)), lambda "
    "__cenote_a, __cenote_b: __cenote_a * r + __cenote_b)",
    "CREATE MACRO __cenote_to_base(x, r) AS lower(to_base(x, r))",
    // regexp_position: 1-based position of the occurrence-th match at or after start; -1 when none.
    "CREATE MACRO __cenote_regexp_position_at(s, p, st, occ) AS CASE WHEN s IS NULL OR p IS NULL OR st IS "
    "NULL OR occ IS NULL THEN NULL WHEN regexp_matches(substr(s, st), '^((?s:(?:.*?(?:' || p || ')){' || "
    "CAST(occ - 1 AS VARCHAR) || '}.*?))(?:' || p || ')') THEN length(regexp_extract(substr(s, st), "
    "'^((?s:(?:.*?(?:' || p || ')){' || CAST(occ - 1 AS VARCHAR) || '}.*?))(?:' || p || ')', 1)) + st ELSE "
    "-1 END",
    "CREATE MACRO __cenote_regexp_position(s, p) AS __cenote_regexp_position_at(s, p, 1, 1), (s, p, st) AS "
    "__cenote_regexp_position_at(s, p, st, 1), (s, p, st, occ) AS __cenote_regexp_position_at(s, p, st, occ)",
    // Luhn: every second digit from the right doubled (minus 9 above 9), the sum a multiple of 10.
    "CREATE MACRO __cenote_luhn_check(s) AS list_sum(list_transform(range(0, length(s)), lambda __cenote_i: "
    "CASE WHEN __cenote_i % 2 = 0 THEN CAST(substr(reverse(s), __cenote_i + 1, 1) AS INTEGER) WHEN "
    "CAST(substr(reverse(s), __cenote_i + 1, 1) AS INTEGER) * 2 > 9 THEN CAST(substr(reverse(s), "
    "__cenote_i + 1, 1) AS INTEGER) * 2 - 9 ELSE CAST(substr(reverse(s), __cenote_i + 1, 1) AS INTEGER) * 2 "
    "END)) % 10 = 0",
    "CREATE MACRO __cenote_overlay(s, r, st) AS substr(s, 1, st - 1) || r || substr(s, st + length(r)), (s, "
    "r, st, n) AS substr(s, 1, st - 1) || r || substr(s, st + greatest(n, 0))",
    // split(s, d, limit): at most limit fields, the last one holding the rest of the string.
    "CREATE MACRO __cenote_split_limit(s, d, l) AS CASE WHEN len(string_split(s, d)) <= l THEN "
    "string_split(s, d) ELSE list_concat(string_split(s, d)[1:l - 1], [array_to_string(string_split(s, "
    "d)[l:], d)]) END",
    "CREATE MACRO __cenote_concat_ws(s, a VARCHAR[]) AS CASE WHEN s IS NOT NULL THEN "
    "coalesce(list_reduce(list_filter(a, lambda __cenote_v: __cenote_v IS NOT NULL), lambda __cenote_x, "
    "__cenote_y: __cenote_x || s || __cenote_y), '') END, (s, a) AS concat_ws(s, a)",
    // Java's URLEncoder/URLDecoder: space is '+', '*' is kept, '~' is encoded.
    "CREATE MACRO __cenote_url_encode(s) AS replace(replace(replace(url_encode(s), '%20', '+'), '%2A', '*'), "
    "'~', '%7E')",
    "CREATE MACRO __cenote_url_decode(s) AS url_decode(replace(s, '+', ' '))",
    "CREATE MACRO __cenote_map_agg(k, v) AS map_from_entries(list(struct_pack(key := k, value := v)))",
    "CREATE MACRO __cenote_set_agg(x) AS list(DISTINCT x)",
    // DuckDB's millisecond() counts the seconds too.
    "CREATE MACRO __cenote_millisecond(x) AS millisecond(x) % 1000",
    // Trino's sequence(a, b) counts down when b < a; over dates it steps by a day.
    "CREATE MACRO __cenote_sequence(a DATE, b DATE) AS list_transform(generate_series(CAST(a AS TIMESTAMP), "
    "CAST(b AS TIMESTAMP), to_days(CASE WHEN a <= b THEN 1 ELSE -1 END)), lambda __cenote_t: CAST(__cenote_t "
    "AS DATE)), "
    "(a, b) AS generate_series(a, b, CASE WHEN a <= b THEN 1 ELSE -1 END), "
    // With a step over dates the k-th element is start + k * step (a month step from the 31st gives the
    // last day of each shorter month and the 31st again), not the previous element plus the step.
    "(a DATE, b DATE, st) AS CASE WHEN CAST(a + st AS DATE) = a THEN error('INVALID_FUNCTION_ARGUMENT: "
    "sequence step must be a day interval if start and end values are dates') ELSE "
    "list_filter(list_transform(range(0, abs(date_diff('day', a, b)) + 1), lambda __cenote_k: CAST(a + "
    "__cenote_k * st AS DATE)), lambda __cenote_d: CASE WHEN CAST(a + st AS DATE) > a THEN __cenote_d <= b "
    "ELSE __cenote_d >= b END) END, "
    "(a, b, st) AS generate_series(a, b, st)",
    // length and reverse of a varbinary count and reverse bytes; reverse of an array reverses it.
    "CREATE MACRO __cenote_length(x BLOB) AS octet_length(x), (x) AS length(x)",
    "CREATE MACRO __cenote_reverse(x BLOB) AS unhex(array_to_string(list_reverse(regexp_extract_all(hex(x), "
    "'..')), '')), (x VARCHAR) AS reverse(x), (x) AS list_reverse(x)",
    // substr/lpad/rpad of a varbinary work on bytes (through their hex digits, two per byte).
    "CREATE MACRO __cenote_substr(x BLOB, st) AS unhex(substr(hex(x), ((CASE WHEN st < 0 THEN "
    "octet_length(x) "
    "+ st + 1 ELSE st END) - 1) * 2 + 1)), (x BLOB, st, n) AS unhex(substr(hex(x), ((CASE WHEN st < 0 THEN "
    "octet_length(x) + st + 1 ELSE st END) - 1) * 2 + 1, n * 2)), (x, st) AS substr(x, st), (x, st, n) AS "
    "substr(x, st, n)",
    "CREATE MACRO __cenote_lpad(x BLOB, n, p BLOB) AS unhex(lpad(hex(x), n * 2, hex(p))), (x, n, p) AS "
    "lpad(x, "
    "n, p)",
    "CREATE MACRO __cenote_rpad(x BLOB, n, p BLOB) AS unhex(rpad(hex(x), n * 2, hex(p))), (x, n, p) AS "
    "rpad(x, "
    "n, p)",
    // Trino keeps the argument's type: sign of a double is a double (NaN for NaN), ceiling and floor of an
    // integer are that integer.
    "CREATE MACRO __cenote_sign(x TINYINT) AS sign(x), (x SMALLINT) AS sign(x), (x INTEGER) AS sign(x), (x "
    "BIGINT) AS sign(x), (x DOUBLE) AS CASE WHEN isnan(x) THEN x ELSE CAST(sign(x) AS DOUBLE) END, (x "
    "FLOAT) AS CASE WHEN isnan(x) THEN x ELSE CAST(sign(x) AS FLOAT) END, (x) AS sign(x)",
    "CREATE MACRO __cenote_ceil(x TINYINT) AS x, (x SMALLINT) AS x, (x INTEGER) AS x, (x BIGINT) AS x, (x) "
    "AS "
    "ceil(x)",
    "CREATE MACRO __cenote_floor(x TINYINT) AS x, (x SMALLINT) AS x, (x INTEGER) AS x, (x BIGINT) AS x, (x) "
    "AS "
    "floor(x)",
    // Trino keeps the argument's type: round(decimal(p, s), n) is a decimal(p + 1, s) (x + x has that type in
    // DuckDB, and an integer's or a double's own type), truncate(x, n) has x's type; DuckDB's round and trunc
    // round half away from zero and cut as Trino does. (A DECIMAL macro parameter would cast the argument to
    // DECIMAL(18,3); a DOUBLE one would catch decimals: hence no typed overloads here.)
    "CREATE MACRO __cenote_round(x, n) AS cast_to_type(round(x, n), x + x)",
    "CREATE MACRO __cenote_truncate(x, n) AS cast_to_type(trunc(x, n), x)",
    // avg of a decimal(p, s) is a decimal(p, s) in Trino, the exact quotient rounded half up: the sum's
    // unscaled digits (DuckDB sums decimals exactly as DECIMAL(38, s)) divided by the count in HUGEINT.
    "CREATE MACRO __cenote_decimal_quotient(t, n) AS CASE WHEN t IS NULL OR n = 0 THEN NULL ELSE "
    "__cenote_decimal_text(sign(CAST(replace(t, '.', '') AS HUGEINT)) * ((2 * abs(CAST(replace(t, '.', '') "
    "AS HUGEINT)) + n) // (2 * n)), CASE WHEN contains(t, '.') THEN length(t) - strpos(t, '.') ELSE 0 END) "
    "END",
    "CREATE MACRO __cenote_decimal_text(q, k) AS (CASE WHEN q < 0 THEN '-' ELSE '' END) || CASE WHEN k = 0 "
    "THEN CAST(abs(q) AS VARCHAR) ELSE __cenote_decimal_point(repeat('0', CAST(greatest(k + 1 - "
    "length(CAST(abs(q) AS VARCHAR)), 0) AS BIGINT)) || CAST(abs(q) AS VARCHAR), k) END",
    "CREATE MACRO __cenote_decimal_point(t, k) AS left(t, CAST(length(t) - k AS INTEGER)) || '.' || right(t, "
    "CAST(k AS INTEGER))",
    // Integers and doubles average to a double, intervals to an interval (DuckDB's avg); a real to a real; a
    // decimal exactly, in its own type. __cenote_avg_kind(x) is a BOOLEAN, a DATE or a BLOB by x's type
    // (typeof folds to a constant while DuckDB binds), which picks __cenote_avg's overload: avg(double) plans
    // as DuckDB's avg alone. ([x] keeps CREATE MACRO from binding the body without x's type.)
    "CREATE MACRO __cenote_avg_kind(x) AS struct_extract(struct_pack(p := true, d := DATE '2000-01-01', r := "
    "BLOB '', z := [x]), CASE WHEN __cenote_tn(x) LIKE 'DECIMAL(%' THEN 'd' WHEN __cenote_tn(x) = 'FLOAT' "
    "THEN 'r' "
    "ELSE "
    "'p' END)",
    "CREATE MACRO __cenote_avg(k BOOLEAN, x) AS avg(x), (k BLOB, x) AS CAST(avg(x) AS FLOAT), (k DATE, x) AS "
    "cast_to_type(__cenote_decimal_quotient(CAST(sum(x) AS VARCHAR), count(x)), any_value(x))",
    // strpos(s, sub, n): the n-th occurrence (from the end when n < 0); 0 when there are fewer.
    "CREATE MACRO __cenote_strpos(s, sub, n) AS CASE WHEN n > 0 AND len(string_split(s, sub)) - 1 >= n THEN "
    "list_sum(list_transform(string_split(s, sub)[1:n], lambda __cenote_p: length(__cenote_p))) + (n - 1) * "
    "length(sub) + 1 WHEN n < 0 AND len(string_split(s, sub)) - 1 >= -n THEN "
    "list_sum(list_transform(string_split(s, sub)[1:len(string_split(s, sub)) + n], lambda __cenote_p: "
    "length(__cenote_p))) + (len(string_split(s, sub)) + n - 1) * length(sub) + 1 WHEN n = 0 THEN error('"
    "INVALID_FUNCTION_ARGUMENT: ''instance'' must be a positive or negative number.') ELSE 0 END",
    // width_bucket(x, bins): how many of the (ascending) bins are at or below x.
    "CREATE MACRO __cenote_width_bucket_bins(x, bins) AS len(list_filter(bins, lambda __cenote_b: __cenote_b "
    "<= x))",
    // title_case(s): each letter after a character that is not a letter or digit (or first) upper-cased,
    // every
    // other letter lower-cased (Trino's string functions page).
    "CREATE MACRO __cenote_title_case(s) AS CASE WHEN length(s) = 0 THEN s ELSE "
    "array_to_string(list_transform(generate_series(1, length(s)), "
    "lambda __cenote_i: CASE WHEN __cenote_i = 1 OR NOT regexp_matches(substring(s, __cenote_i - 1, 1), "
    "'[\\pL\\pN]') THEN upper(substring(s, __cenote_i, 1)) ELSE lower(substring(s, __cenote_i, 1)) END), '') "
    "END",
    // Base64 with the URL-safe alphabet (RFC 4648 section 5).
    "CREATE MACRO __cenote_to_base64url(x) AS replace(replace(to_base64(x), '+', '-'), '/', '_')",
    "CREATE MACRO __cenote_from_base64url(s) AS from_base64(replace(replace(s, '-', '+'), '_', '/'))",
    // Two's complement big-endian integers; the input must be exactly 4 (8) bytes.
    "CREATE MACRO __cenote_from_big_endian_32(b) AS CASE WHEN octet_length(b) <> 4 THEN error('"
    "INVALID_FUNCTION_ARGUMENT: expected 4-byte input, but got instead: ' || octet_length(b)) ELSE "
    "CAST(CAST(CAST('0x' || hex(b) AS UINTEGER) AS BIGINT) - CASE WHEN CAST('0x' || hex(b) AS UINTEGER) >= "
    "2147483648 THEN 4294967296 ELSE 0 END AS INTEGER) END",
    "CREATE MACRO __cenote_from_big_endian_64(b) AS CASE WHEN octet_length(b) <> 8 THEN error('"
    "INVALID_FUNCTION_ARGUMENT: expected 8-byte input, but got instead: ' || octet_length(b)) ELSE "
    "CAST(CAST(CAST('0x' || hex(b) AS UBIGINT) AS HUGEINT) - CASE WHEN CAST('0x' || hex(b) AS UBIGINT) >= "
    "9223372036854775808 THEN CAST('18446744073709551616' AS HUGEINT) ELSE 0 END AS BIGINT) END",
    "CREATE MACRO __cenote_to_big_endian_32(i) AS unhex(lpad(hex(CAST(i AS BIGINT) & 4294967295), 8, '0'))",
    "CREATE MACRO __cenote_to_big_endian_64(i) AS unhex(lpad(hex(CAST(i AS BIGINT)), 16, '0'))",
    // Trino's repeat(element, count) builds an array.
    "CREATE MACRO __cenote_repeat(x, n) AS list_transform(range(n), lambda __cenote_i: x)",
    "CREATE MACRO __cenote_random(n) AS CAST(floor(random() * n) AS BIGINT), (m, n) AS CAST(m + "
    "floor(random() "
    "* (n - m)) AS BIGINT)",
    // Wilson score interval bounds for s successes in n trials at z.
    "CREATE MACRO __cenote_wilson_interval_lower(s, n, z) AS (CAST(s AS DOUBLE) / n + z * z / (2.0 * n) - z "
    "* "
    "sqrt(CAST(s AS DOUBLE) / n * (1 - CAST(s AS DOUBLE) / n) / n + z * z / (4.0 * n * n))) / (1 + z * z / "
    "n)",
    "CREATE MACRO __cenote_wilson_interval_upper(s, n, z) AS (CAST(s AS DOUBLE) / n + z * z / (2.0 * n) + z "
    "* "
    "sqrt(CAST(s AS DOUBLE) / n * (1 - CAST(s AS DOUBLE) / n) / n + z * z / (4.0 * n * n))) / (1 + z * z / "
    "n)",
    "CREATE MACRO __cenote_current_timezone() AS 'UTC'",
    // SQL/JSON path modes: lax is what DuckDB's paths do; the mode word is dropped.
    "CREATE MACRO __cenote_json_path(p) AS regexp_replace(p, '^\\s*(lax|strict)\\s+', '')",
    "CREATE MACRO __cenote_json_exists(j, p) AS json_exists(j, __cenote_json_path(p))",
    "CREATE MACRO __cenote_json_value(j, p) AS json_value(j, __cenote_json_path(p)) ->> '$'",
    "CREATE MACRO __cenote_json_query(j, p) AS CAST(json_extract(CAST(j AS JSON), __cenote_json_path(p)) AS "
    "VARCHAR)",
    // parse_data_size('2.3MB'): bytes as decimal(38), the fraction of a byte dropped.
    "CREATE MACRO __cenote_parse_data_size(s) AS CAST(floor(CAST(regexp_extract(s, "
    "'^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(B|kB|MB|GB|TB|PB|EB|ZB|YB)\\s*$', 1) AS DECIMAL(38, 10)) * "
    "CAST(pow(1024, list_position(['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'], regexp_extract(s, "
    "'^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(B|kB|MB|GB|TB|PB|EB|ZB|YB)\\s*$', 2)) - 1) AS DECIMAL(38, 0))) "
    "AS DECIMAL(38, 0))",
    // parse_duration('3.81 d'): an interval day to second, rounded to the millisecond.
    "CREATE MACRO __cenote_parse_duration(s) AS to_milliseconds(CAST(round(CAST(regexp_extract(s, "
    "'^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(ns|us|ms|s|m|h|d)\\s*$', 1) AS DOUBLE) * [0.000001, 0.001, 1, "
    "1000, 60000, 3600000, 86400000][list_position(['ns', 'us', 'ms', 's', 'm', 'h', 'd'], regexp_extract(s, "
    "'^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(ns|us|ms|s|m|h|d)\\s*$', 2))]) AS BIGINT))",
    "CREATE MACRO __cenote_hrs_part(n, unit) AS CASE WHEN n = 0 THEN NULL WHEN n = 1 THEN '1 ' || unit ELSE "
    "CAST(n AS VARCHAR) || ' ' || unit || 's' END",
    "CREATE MACRO __cenote_human_readable_seconds(x) AS CASE WHEN x IS NULL THEN NULL WHEN CAST(round(x) AS "
    "BIGINT) = 0 THEN '0 seconds' ELSE array_to_string(list_filter([__cenote_hrs_part(CAST(round(x) AS "
    "BIGINT) "
    "// 604800, 'week'), __cenote_hrs_part(CAST(round(x) AS BIGINT) % 604800 // 86400, 'day'), "
    "__cenote_hrs_part(CAST(round(x) AS BIGINT) % 86400 // 3600, 'hour'), __cenote_hrs_part(CAST(round(x) AS "
    "BIGINT) % 3600 // 60, 'minute'), __cenote_hrs_part(CAST(round(x) AS BIGINT) % 60, 'second')], lambda "
    "__cenote_v: __cenote_v IS NOT NULL), ', ') END",
    "CREATE MACRO __cenote_nan() AS CAST('nan' AS DOUBLE)",
    "CREATE MACRO __cenote_date(x) AS CAST(x AS DATE)",
    // Trino keeps the first occurrence of each element, in order, and one NULL (DuckDB's list_distinct
    // does neither); union, intersect and except build on it.
    "CREATE MACRO __cenote_array_distinct(a) AS list_filter(a, lambda __cenote_v, __cenote_i: CASE WHEN "
    "__cenote_v IS NULL THEN __cenote_i = list_position(list_transform(a, lambda __cenote_w: __cenote_w IS "
    "NULL), true) ELSE list_position(a, __cenote_v) = __cenote_i END)",
    "CREATE MACRO __cenote_array_union(a, b) AS __cenote_array_distinct(list_concat(a, b))",
    "CREATE MACRO __cenote_array_intersect(a, b) AS __cenote_array_distinct(list_filter(a, lambda "
    "__cenote_v: "
    "list_contains(b, __cenote_v)))",
    "CREATE MACRO __cenote_array_except(a, b) AS __cenote_array_distinct(list_filter(a, lambda __cenote_v: "
    "NOT "
    "list_contains(b, __cenote_v)))",
    // Trino: NULL when the array holds a NULL.
    "CREATE MACRO __cenote_array_max(a) AS CASE WHEN list_bool_or(list_transform(a, lambda __cenote_v: "
    "__cenote_v IS NULL)) THEN NULL ELSE list_max(a) END",
    "CREATE MACRO __cenote_array_min(a) AS CASE WHEN list_bool_or(list_transform(a, lambda __cenote_v: "
    "__cenote_v IS NULL)) THEN NULL ELSE list_min(a) END",
    // Trino's parse_datetime returns a timestamp with time zone.
    "CREATE MACRO __cenote_parse_datetime(s, f) AS CAST(strptime(s, f) AS TIMESTAMP WITH TIME ZONE)",
    "CREATE MACRO __cenote_bitwise_and(a, b) AS a & b",
    "CREATE MACRO __cenote_split_to_map(s, entry, kv) AS map_from_entries(list_transform(string_split(s, "
    "entry), "
    "lambda __cenote_e: {'k': split_part(__cenote_e, kv, 1), 'v': split_part(__cenote_e, kv, 2)}))",
    "CREATE MACRO __cenote_to_milliseconds(i) AS CAST(epoch(i) * 1000 AS BIGINT)",
    "CREATE MACRO __cenote_regexp_count(s, p) AS len(regexp_extract_all(s, p))",
    "CREATE MACRO __cenote_bitwise_or(a, b) AS a | b",
    "CREATE MACRO __cenote_bitwise_not(a) AS ~a",
    "CREATE MACRO __cenote_width_bucket(x, lo, hi, n) AS CASE WHEN x < lo THEN 0 WHEN x >= hi THEN n + 1 "
    "ELSE "
    "CAST(floor((x - lo) / (hi - lo) * n) AS BIGINT) + 1 END",
    "CREATE MACRO __cenote_is_json_scalar(j) AS json_type(CAST(j AS JSON)) NOT IN ('OBJECT', 'ARRAY')",
    // URL parts (RFC 3986 layout: scheme://host:port/path?query#fragment); NULL when absent, as Trino.
    "CREATE MACRO __cenote_url_part(u, g) AS nullif(regexp_extract(u, "
    "'^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?://([^/?#:]*)(?::([0-9]+))?)?([^?#]*)(?:\\?([^#]*))?(?:#(.*))?$', "
    "g), "
    "'')",
    "CREATE MACRO __cenote_url_extract_protocol(u) AS __cenote_url_part(u, 1)",
    "CREATE MACRO __cenote_url_extract_host(u) AS __cenote_url_part(u, 2)",
    "CREATE MACRO __cenote_url_extract_port(u) AS CAST(__cenote_url_part(u, 3) AS BIGINT)",
    "CREATE MACRO __cenote_url_extract_path(u) AS coalesce(__cenote_url_part(u, 4), '')",
    "CREATE MACRO __cenote_url_extract_query(u) AS __cenote_url_part(u, 5)",
    "CREATE MACRO __cenote_url_extract_fragment(u) AS __cenote_url_part(u, 6)",
    "CREATE MACRO __cenote_url_extract_parameter(u, name) AS CASE WHEN regexp_matches(__cenote_url_part(u, "
    "5), "
    "'(?:^|&)' || regexp_escape(name) || '=') THEN url_decode(regexp_extract(__cenote_url_part(u, 5), "
    "'(?:^|&)' || regexp_escape(name) || '=([^&]*)', 1)) END",
    // Trino: 0 when absent (DuckDB: NULL).
    "CREATE MACRO __cenote_array_position(a, x) AS coalesce(list_position(a, x), 0)",
    "CREATE MACRO __cenote_array_remove(a, x) AS list_filter(a, lambda __cenote_v: __cenote_v IS DISTINCT "
    "FROM x)",
    "CREATE MACRO __cenote_slice(a, s, n) AS list_slice(a, s, s + n - 1)",
    "CREATE MACRO __cenote_replace(s, x) AS replace(s, x, '')",
    // A map from each distinct key (first-occurrence order) to its values in order.
    "CREATE MACRO __cenote_multimap_from_entries(a) AS map_from_entries(list_transform("
    "__cenote_array_distinct(list_transform(a, lambda __cenote_e: __cenote_e[1])), lambda __cenote_k: "
    "struct_pack(key := __cenote_k, value := list_transform(list_filter(a, lambda __cenote_e: __cenote_e[1] "
    "= "
    "__cenote_k), lambda __cenote_e: __cenote_e[2]))))",
    "CREATE MACRO __cenote_split_to_multimap(s, d, kv) AS __cenote_multimap_from_entries(list_transform("
    "string_split(s, d), lambda __cenote_p: (split_part(__cenote_p, kv, 1), substr(__cenote_p, "
    "strpos(__cenote_p, kv) + length(kv)))))",
};

// The string of a VARCHAR constant argument, or nullptr.
json::string* ConstantString(json::value& arg) {
  json::object* o = arg.if_object();
  if (o == nullptr) return nullptr;
  json::value* cls = o->if_contains("class");
  if (cls == nullptr || !cls->is_string() || cls->get_string() != "CONSTANT") return nullptr;
  json::value* value = o->if_contains("value");
  if (value == nullptr || !value->is_object()) return nullptr;
  json::value* is_null = value->get_object().if_contains("is_null");
  if (is_null != nullptr && is_null->is_bool() && is_null->get_bool()) return nullptr;
  json::value* v = value->get_object().if_contains("value");
  return v != nullptr && v->is_string() ? &v->get_string() : nullptr;
}

// Trino's regexp_replace replacement uses $1 for groups and replaces every match.
std::string ConvertReplacement(const std::string& r) {
  std::string out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i] == '\\' && i + 1 < r.size()) {
      // Trino: \$ is a literal dollar, \\ a literal backslash.
      out += r[i + 1] == '\\' ? "\\\\" : std::string(1, r[i + 1]);
      ++i;
    } else if (r[i] == '$' && i + 1 < r.size() && std::isdigit(static_cast<unsigned char>(r[i + 1]))) {
      out += '\\';
      out += r[i + 1];
      ++i;
    } else if (r[i] == '\\') {
      out += "\\\\";
    } else {
      out += r[i];
    }
  }
  return out;
}

json::value VarcharConstant(const std::string& s) { return NewConstant("VARCHAR", json::string(s)); }

void SetName(json::object& fn, std::string_view name) { fn["function_name"] = json::string(name); }

// Joda-Time patterns (format_datetime, parse_datetime) -> strftime/strptime. Letters repeat for width:
// yyyy/yy, MMMM/MMM/MM/M, dd/d, HH/H, hh/h, mm/m, ss/s, SSS/SSSSSS, a, EEEE/EEE, DDD/D, Z, z, 'literal'.
Result<std::string> ConvertJodaFormat(const std::string& f) {
  std::string out;
  std::size_t i = 0;
  while (i < f.size()) {
    char c = f[i];
    if (c == '\'') {
      if (i + 1 < f.size() && f[i + 1] == '\'') {
        out += '\'';
        i += 2;
        continue;
      }
      std::size_t end = f.find('\'', i + 1);
      if (end == std::string::npos) return NotSupported("unterminated quote in the datetime format " + f);
      for (std::size_t k = i + 1; k < end; ++k) out += f[k] == '%' ? std::string("%%") : std::string(1, f[k]);
      i = end + 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      out += c == '%' ? std::string("%%") : std::string(1, c);
      ++i;
      continue;
    }
    std::size_t n = 1;
    while (i + n < f.size() && f[i + n] == c) ++n;
    i += n;
    auto pad = [&](const char* padded, const char* plain) { out += n >= 2 ? padded : plain; };
    switch (c) {
      case 'y':
      case 'Y':
        out += n == 2 ? "%y" : "%Y";
        break;
      case 'M':
        out += n >= 4 ? "%B" : n == 3 ? "%b" : n == 2 ? "%m" : "%-m";
        break;
      case 'd':
        pad("%d", "%-d");
        break;
      case 'H':
        pad("%H", "%-H");
        break;
      case 'h':
        pad("%I", "%-I");
        break;
      case 'm':
        pad("%M", "%-M");
        break;
      case 's':
        pad("%S", "%-S");
        break;
      case 'S':
        if (n == 3) {
          out += "%g";
        } else if (n == 6) {
          out += "%f";
        } else {
          return NotSupported("fraction of second with " + std::to_string(n) + " digits in " + f);
        }
        break;
      case 'a':
        out += "%p";
        break;
      case 'E':
        out += n >= 4 ? "%A" : "%a";
        break;
      case 'D':
        out += n >= 3 ? "%j" : "%-j";
        break;
      case 'Z':
        out += "%z";
        break;
      case 'z':
        out += "%Z";
        break;
      default:
        return NotSupported("the datetime pattern letter '" + std::string(1, c) + "' in " + f);
    }
  }
  return out;
}

// A FUNCTION node like `like` (its modifiers), named `name`, over `children`.
json::object FunctionLike(const json::object& like, std::string_view name, json::array children) {
  json::object f = like;
  f["function_name"] = json::string(name);
  f["schema"] = "";
  f["alias"] = "";
  f["children"] = std::move(children);
  return f;
}

json::object ColumnRef(std::initializer_list<std::string_view> names, std::string_view alias = "") {
  json::object c;
  c["class"] = "COLUMN_REF";
  c["type"] = "COLUMN_REF";
  c["alias"] = alias;
  c["query_location"] = 0;
  json::array n;
  for (auto name : names) n.push_back(json::string(name));
  c["column_names"] = std::move(n);
  return c;
}

// References to the lambda parameters k and v -> __cenote_e.key / __cenote_e.value (map entries).
void SubstituteEntryParams(json::value& v, const std::string& k, const std::string& val) {
  if (v.is_array()) {
    for (json::value& item : v.get_array()) SubstituteEntryParams(item, k, val);
    return;
  }
  if (!v.is_object()) return;
  json::object& o = v.get_object();
  if (StringField(o, "class") == "COLUMN_REF") {
    json::value* names = o.if_contains("column_names");
    if (names != nullptr && names->is_array() && !names->get_array().empty() &&
        names->get_array()[0].is_string()) {
      std::string first = Lower(names->get_array()[0].get_string());
      if (first == k || first == val) {
        json::array renamed{json::string("__cenote_e"), json::string(first == k ? "key" : "value")};
        for (std::size_t i = 1; i < names->get_array().size(); ++i) renamed.push_back(names->get_array()[i]);
        *names = std::move(renamed);
      }
    }
    return;
  }
  for (auto& [key, child] : o) SubstituteEntryParams(child, k, val);
}

// References to lambda parameters (by name) -> the given expressions.
void SubstituteParams(json::value& v, const std::vector<std::pair<std::string, json::value>>& params) {
  if (v.is_array()) {
    for (json::value& item : v.get_array()) SubstituteParams(item, params);
    return;
  }
  if (!v.is_object()) return;
  json::object& o = v.get_object();
  if (StringField(o, "class") == "COLUMN_REF") {
    json::value* names = o.if_contains("column_names");
    if (names != nullptr && names->is_array() && names->get_array().size() == 1 &&
        names->get_array()[0].is_string()) {
      std::string name = Lower(names->get_array()[0].get_string());
      for (const auto& [param, replacement] : params) {
        if (name == param) {
          json::value alias = o["alias"];
          v = replacement;
          v.get_object()["alias"] = std::move(alias);
          return;
        }
      }
    }
    return;
  }
  for (auto& [key, child] : o) SubstituteParams(child, params);
}

// zip_with(a, b, (x, y) -> body): list_transform over list_zip(a, b) (the shorter array padded with NULLs,
// as Trino), x and y the zipped pair's fields.
Status RewriteZipWith(json::object& fn) {
  json::array* args = Children(fn);
  if (args == nullptr || args->size() != 3 || !(*args)[2].is_object()) return Status::Ok();
  json::object& lambda = (*args)[2].get_object();
  json::value* lhs = lambda.if_contains("lhs");
  json::array* params = lhs != nullptr && lhs->is_object() ? Children(lhs->get_object()) : nullptr;
  if (StringField(lambda, "class") != "LAMBDA" || params == nullptr || params->size() != 2)
    return NotSupported("zip_with needs a lambda of two parameters, (x, y) -> ...");
  std::vector<std::pair<std::string, json::value>> substitutions;
  for (std::size_t i = 0; i < 2; ++i) {
    const json::value& p = (*params)[i];
    const json::value* n = p.is_object() ? p.get_object().if_contains("column_names") : nullptr;
    if (n == nullptr || !n->is_array() || n->get_array().size() != 1 || !n->get_array()[0].is_string())
      return NotSupported("zip_with needs a lambda of two parameters, (x, y) -> ...");
    json::object index = NewConstant("INTEGER", static_cast<std::int64_t>(i + 1));
    substitutions.emplace_back(
        Lower(n->get_array()[0].get_string()),
        NewFunction("array_extract", json::array{ColumnRef({"__cenote_z"}), std::move(index)}));
  }
  json::value body = lambda["expr"];
  SubstituteParams(body, substitutions);
  lambda["lhs"] = ColumnRef({"__cenote_z"});
  lambda["expr"] = std::move(body);
  json::value zipped =
      FunctionLike(fn, "list_zip", json::array{std::move((*args)[0]), std::move((*args)[1])});
  json::value transform = std::move((*args)[2]);
  fn = FunctionLike(fn, "list_transform", json::array{std::move(zipped), std::move(transform)});
  return Status::Ok();
}

// map_zip_with(m1, m2, (k, v1, v2) -> body): over the keys of both maps (m1's first), NULL for a key
// missing from one of them.
Status RewriteMapZipWith(json::object& fn) {
  json::array* args = Children(fn);
  if (args == nullptr || args->size() != 3 || !(*args)[2].is_object()) return Status::Ok();
  json::object& lambda = (*args)[2].get_object();
  json::value* lhs = lambda.if_contains("lhs");
  json::array* params = lhs != nullptr && lhs->is_object() ? Children(lhs->get_object()) : nullptr;
  if (StringField(lambda, "class") != "LAMBDA" || params == nullptr || params->size() != 3)
    return NotSupported("map_zip_with needs a lambda of three parameters, (k, v1, v2) -> ...");
  std::vector<std::string> names;
  for (const json::value& p : *params) {
    const json::value* n = p.is_object() ? p.get_object().if_contains("column_names") : nullptr;
    if (n == nullptr || !n->is_array() || n->get_array().size() != 1 || !n->get_array()[0].is_string())
      return NotSupported("map_zip_with needs a lambda of three parameters, (k, v1, v2) -> ...");
    names.push_back(Lower(n->get_array()[0].get_string()));
  }
  json::value m1 = (*args)[0], m2 = (*args)[1];
  std::vector<std::pair<std::string, json::value>> substitutions;
  substitutions.emplace_back(names[0], ColumnRef({"__cenote_k"}));
  substitutions.emplace_back(names[1],
                             NewFunction("map_extract_value", json::array{m1, ColumnRef({"__cenote_k"})}));
  substitutions.emplace_back(names[2],
                             NewFunction("map_extract_value", json::array{m2, ColumnRef({"__cenote_k"})}));
  json::value body = lambda["expr"];
  SubstituteParams(body, substitutions);
  body.get_object()["alias"] = "value";
  json::value key = ColumnRef({"__cenote_k"}, "key");
  lambda["lhs"] = ColumnRef({"__cenote_k"});
  lambda["expr"] = NewFunction("struct_pack", json::array{std::move(key), std::move(body)});
  json::value keys =
      NewFunction("__cenote_array_distinct",
                  json::array{NewFunction("list_concat",
                                          json::array{NewFunction("map_keys", json::array{std::move(m1)}),
                                                      NewFunction("map_keys", json::array{std::move(m2)})})});
  json::value entries = NewFunction("list_transform", json::array{std::move(keys), std::move((*args)[2])});
  fn = FunctionLike(fn, "map_from_entries", json::array{std::move(entries)});
  return Status::Ok();
}

// map_filter / transform_values / transform_keys (map, (k, v) -> body) over map_entries(map).
Status RewriteMapLambda(json::object& fn, const std::string& name) {
  json::array* args = Children(fn);
  if (args == nullptr || args->size() != 2 || !(*args)[1].is_object()) return Status::Ok();
  json::object& lambda = (*args)[1].get_object();
  json::value* lhs = lambda.if_contains("lhs");
  json::array* params = lhs != nullptr && lhs->is_object() ? Children(lhs->get_object()) : nullptr;
  if (StringField(lambda, "class") != "LAMBDA" || params == nullptr || params->size() != 2)
    return NotSupported(name + " needs a lambda of two parameters, (k, v) -> ...");
  std::string k, v;
  for (int i = 0; i < 2; ++i) {
    const json::value& p = (*params)[static_cast<std::size_t>(i)];
    const json::value* n = p.is_object() ? p.get_object().if_contains("column_names") : nullptr;
    if (n == nullptr || !n->is_array() || n->get_array().size() != 1 || !n->get_array()[0].is_string())
      return NotSupported(name + " needs a lambda of two parameters, (k, v) -> ...");
    (i == 0 ? k : v) = Lower(n->get_array()[0].get_string());
  }
  json::value body = lambda["expr"];
  SubstituteEntryParams(body, k, v);
  if (name == "transform_values" || name == "transform_keys") {
    json::value entry_key = ColumnRef({"__cenote_e", "key"}, "key");
    json::value entry_value = ColumnRef({"__cenote_e", "value"}, "value");
    body.get_object()["alias"] = name == "transform_values" ? "value" : "key";
    json::array fields = name == "transform_values" ? json::array{std::move(entry_key), std::move(body)}
                                                    : json::array{std::move(body), std::move(entry_value)};
    body = FunctionLike(fn, "struct_pack", std::move(fields));
  }
  lambda["lhs"] = ColumnRef({"__cenote_e"});
  lambda["expr"] = std::move(body);
  json::value entries = FunctionLike(fn, "__cenote_named_map_entries", json::array{std::move((*args)[0])});
  json::value mapped = FunctionLike(fn, name == "map_filter" ? "list_filter" : "list_transform",
                                    json::array{std::move(entries), std::move((*args)[1])});
  fn = FunctionLike(fn, "map_from_entries", json::array{std::move(mapped)});
  return Status::Ok();
}

// Replaces references to the column `name` by `with` (reduce's output function).
void SubstituteColumn(json::value& v, const std::string& name, const json::value& with) {
  if (v.is_array()) {
    for (json::value& item : v.get_array()) SubstituteColumn(item, name, with);
    return;
  }
  if (!v.is_object()) return;
  json::object& o = v.get_object();
  if (StringField(o, "class") == "COLUMN_REF") {
    const json::value* names = o.if_contains("column_names");
    if (names != nullptr && names->is_array() && !names->get_array().empty() &&
        names->get_array()[0].is_string() && Lower(names->get_array()[0].get_string()) == name) {
      // s -> the expression; s.field (and deeper) -> struct_extract of it.
      json::value replaced = with;
      const json::array& n = names->get_array();
      for (std::size_t i = 1; i < n.size(); ++i) {
        if (!n[i].is_string()) return;
        replaced =
            NewFunction("struct_extract",
                        json::array{std::move(replaced), VarcharConstant(std::string(n[i].get_string()))});
      }
      json::value alias = o["alias"];
      v = std::move(replaced);
      v.get_object()["alias"] = alias;
    }
    return;
  }
  for (auto& [key, child] : o) SubstituteColumn(child, name, with);
}

// reduce(array, initial, (s, x) -> step, s -> output) -> output with s := the state list_reduce folds.
// DuckDB's list_reduce needs the state to have the elements' type; Trino's state may be of any type. So the
// fold runs over pairs {__cenote_s, __cenote_x}: each element x becomes {NULL, x}, the initial state
// {initial, NULL}, and the step (a, e) -> {step(a.__cenote_s, e.__cenote_x), NULL}.
Status RewriteReduce(json::object& fn) {
  json::array* args = Children(fn);
  if (args == nullptr || args->size() != 4 || !(*args)[2].is_object() || !(*args)[3].is_object())
    return Status::Ok();
  json::object& output = (*args)[3].get_object();
  const json::value* lhs = output.if_contains("lhs");
  const json::value* names =
      lhs != nullptr && lhs->is_object() ? lhs->get_object().if_contains("column_names") : nullptr;
  if (StringField(output, "class") != "LAMBDA" || names == nullptr || !names->is_array() ||
      names->get_array().size() != 1 || !names->get_array()[0].is_string())
    return NotSupported("reduce needs an output function of one parameter, s -> ...");
  std::string state = Lower(names->get_array()[0].get_string());

  json::object& step = (*args)[2].get_object();
  json::value* step_lhs = step.if_contains("lhs");
  json::array* params =
      step_lhs != nullptr && step_lhs->is_object() ? Children(step_lhs->get_object()) : nullptr;
  if (StringField(step, "class") != "LAMBDA" || params == nullptr || params->size() != 2)
    return NotSupported("reduce needs an input function of two parameters, (s, x) -> ...");
  std::string step_names[2];
  for (int i = 0; i < 2; ++i) {
    const json::value& p = (*params)[static_cast<std::size_t>(i)];
    const json::value* n = p.is_object() ? p.get_object().if_contains("column_names") : nullptr;
    if (n == nullptr || !n->is_array() || n->get_array().size() != 1 || !n->get_array()[0].is_string())
      return NotSupported("reduce needs an input function of two parameters, (s, x) -> ...");
    step_names[i] = Lower(n->get_array()[0].get_string());
  }

  auto pair = [&](json::value s_value, json::value x_value) {
    s_value.get_object()["alias"] = "__cenote_s";
    x_value.get_object()["alias"] = "__cenote_x";
    return FunctionLike(fn, "struct_pack", json::array{std::move(s_value), std::move(x_value)});
  };
  auto lambda = [](json::value params_node, json::value body) {
    return json::object{{"class", "LAMBDA"},
                        {"type", "LAMBDA"},
                        {"alias", ""},
                        {"query_location", 0},
                        {"lhs", std::move(params_node)},
                        {"expr", std::move(body)}};
  };

  // Each element x -> {NULL, x}.
  json::value mapped = FunctionLike(
      fn, "list_transform",
      json::array{std::move((*args)[0]),
                  lambda(ColumnRef({"__cenote_v"}), pair(NullConstant(), ColumnRef({"__cenote_v"})))});
  // (a, e) -> {step with s := a.__cenote_s and x := e.__cenote_x, NULL}.
  json::value body = step["expr"];
  SubstituteColumn(body, step_names[0], ColumnRef({"__cenote_a", "__cenote_s"}));
  SubstituteColumn(body, step_names[1], ColumnRef({"__cenote_e", "__cenote_x"}));
  if (!body.is_object()) return NotSupported("reduce with this input function");
  json::value row =
      FunctionLike(fn, "row", json::array{ColumnRef({"__cenote_a"}), ColumnRef({"__cenote_e"})});
  json::value folded = FunctionLike(
      fn, "list_reduce",
      json::array{std::move(mapped), lambda(std::move(row), pair(std::move(body), NullConstant())),
                  pair(std::move((*args)[1]), NullConstant())});
  json::value reduced =
      FunctionLike(fn, "struct_extract", json::array{std::move(folded), VarcharConstant("__cenote_s")});

  json::value out = output["expr"];
  json::value alias = fn["alias"];
  SubstituteColumn(out, state, reduced);
  if (!out.is_object()) return NotSupported("reduce with this output function");
  out.get_object()["alias"] = alias;
  fn = std::move(out.get_object());
  return Status::Ok();
}

Status RewriteFunction(json::object& fn) {
  json::value* name_value = fn.if_contains("function_name");
  if (name_value == nullptr || !name_value->is_string()) return Status::Ok();
  // Read-only lookups only while name_value is held: json::object::operator[] may rehash the object
  // (even for an existing key) and invalidate pointers into it.
  const json::value* schema_value = fn.if_contains("schema");
  const std::string schema = Lower(schema_value != nullptr && schema_value->is_string()
                                       ? std::string_view(schema_value->get_string())
                                       : std::string_view());
  if (!schema.empty() && schema != "main") return Status::Ok();
  const std::string name = Lower(name_value->get_string());
  json::array* args = Children(fn);
  const int argc = args != nullptr ? static_cast<int>(args->size()) : 0;
  if (name == "reduce_agg" && argc == 4) {
    CENOTE_RETURN_IF_ERROR(ReduceAggAsReduce(fn));
    return RewriteReduce(fn);
  }
  CENOTE_ASSIGN_OR_RETURN(bool rewritten, RewriteFunctionCall(fn, name));
  if (rewritten) return Status::Ok();

  if (name == "date_format" || name == "date_parse") {
    if (argc != 2) return Status::Ok();
    json::string* format = ConstantString((*args)[1]);
    if (format == nullptr) return NotSupported(name + " with a format that is not a constant string");
    CENOTE_ASSIGN_OR_RETURN(*format, ConvertDateFormat(std::string(*format)));
    SetName(fn, name == "date_format" ? "strftime" : "strptime");
    return Status::Ok();
  }
  if ((name == "format_datetime" || name == "parse_datetime") && argc == 2) {
    json::string* format = ConstantString((*args)[1]);
    if (format == nullptr) return NotSupported(name + " with a format that is not a constant string");
    CENOTE_ASSIGN_OR_RETURN(*format, ConvertJodaFormat(std::string(*format)));
    SetName(fn, name == "format_datetime" ? "strftime" : "__cenote_parse_datetime");
    if (name == "parse_datetime") fn["schema"] = "";
    return Status::Ok();
  }
  if (name == "zip_with" && argc == 3) return RewriteZipWith(fn);
  if (name == "map_zip_with" && argc == 3) return RewriteMapZipWith(fn);
  if (name == "date_part" && argc == 2) {
    // extract(field FROM x): Trino's field names; DOW is the ISO day of the week (Monday = 1).
    if (json::string* field = ConstantString((*args)[0]); field != nullptr) {
      static const std::pair<const char*, const char*> kFields[] = {{"year_of_week", "isoyear"},
                                                                    {"yow", "isoyear"},
                                                                    {"day_of_week", "isodow"},
                                                                    {"dow", "isodow"},
                                                                    {"day_of_year", "doy"},
                                                                    {"day_of_month", "day"},
                                                                    {"timezone_hour", "timezone_hour"},
                                                                    {"timezone_minute", "timezone_minute"}};
      std::string f = Lower(std::string_view(*field));
      for (const auto& [trino, duckdb] : kFields)
        if (f == trino) *field = duckdb;
    }
    return Status::Ok();
  }
  if (name == "regexp_replace" && (argc == 2 || argc == 3)) {
    if (argc == 2) {
      args->push_back(VarcharConstant(""));
    } else if (json::string* r = ConstantString((*args)[2]); r != nullptr) {
      *r = ConvertReplacement(std::string(*r));
    }
    args->push_back(VarcharConstant("g"));
    return Status::Ok();
  }
  if ((name == "any_match" || name == "all_match" || name == "none_match") && argc == 2) {
    // list_reduce(list_transform(a, predicate), (x, y) -> x OR y, false), AND/true for all_match, NOT-ed for
    // none_match: SQL's three-valued OR/AND give Trino's answers (a NULL decides only when no element
    // decides otherwise; an empty array gives false / true / true; a NULL array gives NULL). Built as a tree:
    // macros cannot take lambdas.
    const bool all = name == "all_match";
    json::object transform = fn;
    SetName(transform, "list_transform");
    transform["schema"] = "";
    json::object params =
        NewFunction("row", json::array{ColumnRef({"__cenote_x"}), ColumnRef({"__cenote_y"})});
    json::object combine{{"class", "CONJUNCTION"},
                         {"type", all ? "CONJUNCTION_AND" : "CONJUNCTION_OR"},
                         {"alias", ""},
                         {"query_location", 0},
                         {"children", json::array{ColumnRef({"__cenote_x"}), ColumnRef({"__cenote_y"})}}};
    json::object lambda{{"class", "LAMBDA"},   {"type", "LAMBDA"},         {"alias", ""},
                        {"query_location", 0}, {"lhs", std::move(params)}, {"expr", std::move(combine)}};
    json::object initial{{"class", "CAST"},
                         {"type", "OPERATOR_CAST"},
                         {"alias", ""},
                         {"query_location", 0},
                         {"child", VarcharConstant(all ? "t" : "f")},
                         {"cast_type", json::object{{"id", "BOOLEAN"}, {"type_info", nullptr}}},
                         {"try_cast", false}};
    json::object reduce = fn;
    SetName(reduce, "list_reduce");
    reduce["schema"] = "";
    reduce["children"] = json::array{std::move(transform), std::move(lambda), std::move(initial)};
    if (name == "none_match") {
      fn = json::object{{"class", "OPERATOR"},
                        {"type", "OPERATOR_NOT"},
                        {"alias", ""},
                        {"query_location", 0},
                        {"children", json::array{std::move(reduce)}}};
    } else {
      fn = std::move(reduce);
    }
    return Status::Ok();
  }
  if (name == "reduce" && argc == 4) return RewriteReduce(fn);
  if ((name == "map_filter" || name == "transform_values" || name == "transform_keys") && argc == 2)
    return RewriteMapLambda(fn, name);
  if (name == "approx_distinct" && argc == 2) {
    args->pop_back();  // Trino's maximum standard error; DuckDB's HyperLogLog has a fixed one.
    SetName(fn, "approx_count_distinct");
    return Status::Ok();
  }
  if (name == "avg" && argc == 1 && StringField(fn, "class") == "FUNCTION" &&
      fn.erase("__cenote_outer") == 0) {
    // Trino's avg of a decimal keeps its type (__cenote_avg); DISTINCT, FILTER and ORDER BY stay DuckDB's.
    const json::value* distinct = fn.if_contains("distinct");
    const json::value* filter = fn.if_contains("filter");
    const json::value* orders = fn.if_contains("order_bys");
    const json::value* order_list =
        orders != nullptr && orders->is_object() ? orders->get_object().if_contains("orders") : nullptr;
    if ((distinct == nullptr || (distinct->is_bool() && !distinct->get_bool())) &&
        (filter == nullptr || filter->is_null()) &&
        (order_list == nullptr || (order_list->is_array() && order_list->get_array().empty()))) {
      SetName(fn, "__cenote_avg");
      fn["schema"] = "";
      if (json::array* args = Children(fn); args != nullptr && args->size() == 1)
        args->insert(args->begin(), NewFunction("__cenote_avg_kind", json::array{(*args)[0]}));
    }
    return Status::Ok();
  }
  for (const Rename& r : kRenames) {
    if (name == r.trino && argc >= r.min_args && argc <= r.max_args) {
      SetName(fn, r.duckdb);
      if (std::string_view(r.duckdb).rfind("__cenote_", 0) == 0) fn["schema"] = "";
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// A typed literal DECIMAL '12.50' (a CAST without a position in the text) has the literal's own precision
// and scale in Trino: decimal(4,2); DuckDB gives every DECIMAL without arguments (18,3).
void RewriteDecimalLiteral(json::object& cast) {
  const json::value* location = cast.if_contains("query_location");
  if (location == nullptr || !location->is_uint64() || location->get_uint64() != ~std::uint64_t{0}) return;
  json::value* type = cast.if_contains("cast_type");
  if (type == nullptr || !type->is_object() || StringField(type->get_object(), "id") != "DECIMAL") return;
  json::value* child = cast.if_contains("child");
  json::string* text = child != nullptr ? ConstantString(*child) : nullptr;
  if (text == nullptr) return;
  std::string t(text->c_str());
  std::size_t b = t.find_first_not_of(' '), e = t.find_last_not_of(' ');
  if (b == std::string::npos) return;
  t = t.substr(b, e - b + 1);
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) t = t.substr(1);
  int digits = 0, scale = 0;
  bool point = false;
  for (char c : t) {
    if (c == '.' && !point) {
      point = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      ++digits;
      if (point) ++scale;
    } else {
      return;  // not a plain decimal number: DuckDB's cast reports it
    }
  }
  if (digits == 0 || digits > 38) return;
  json::value* info = type->get_object().if_contains("type_info");
  if (info == nullptr || !info->is_object()) return;
  info->get_object()["width"] = digits;
  info->get_object()["scale"] = scale;
}

// Trino's JSON type: a literal JSON '[1, 2]' is parsed (and printed compact, [1,2]); CAST(x AS JSON)
// turns the SQL value into JSON (a varchar becomes a JSON string, an array a JSON array), where DuckDB
// would parse a varchar as JSON text. Returns whether the node was replaced.
bool RewriteJsonCast(json::value& v) {
  json::object& cast = v.get_object();
  json::value* type = cast.if_contains("cast_type");
  if (type == nullptr || !type->is_object() || StringField(type->get_object(), "id") != "USER") return false;
  json::value* info = type->get_object().if_contains("type_info");
  if (info == nullptr || !info->is_object() ||
      Lower(StringField(info->get_object(), "user_type_name")) != "json")
    return false;
  json::value* child = cast.if_contains("child");
  if (child == nullptr) return false;
  const json::value* location = cast.if_contains("query_location");
  bool literal = location != nullptr && location->is_uint64() && location->get_uint64() == ~std::uint64_t{0};
  if (literal && ConstantString(*child) == nullptr) return false;
  json::object fn = NewFunction(literal ? "json" : "to_json", json::array{std::move(*child)});
  fn["alias"] = cast["alias"];
  v = std::move(fn);
  return true;
}

// CAST(x AS VARCHAR) as Trino's cast: __cenote_varchar's overloads (a double in scientific form, timestamps
// and intervals as Athena prints them), inside lambdas too (the kind folds once DuckDB types the parameter).
// Constants other than doubles cast as DuckDB does them; a zoned value is wrapped by RewriteDatetimeCast.
// Returns whether the node was replaced.
bool RewriteVarcharCast(json::value& v) {
  json::object& cast = v.get_object();
  if (cast.erase("__cenote_outer") > 0) return false;
  const json::value* type = cast.if_contains("cast_type");
  if (type == nullptr || !type->is_object() || StringField(type->get_object(), "id") != "VARCHAR")
    return false;
  json::value* child = cast.if_contains("child");
  if (child == nullptr || !child->is_object()) return false;
  const std::string cls = StringField(child->get_object(), "class");
  if (cls == "CONSTANT") {
    const json::value* value = child->get_object().if_contains("value");
    const json::value* value_type =
        value != nullptr && value->is_object() ? value->get_object().if_contains("type") : nullptr;
    if (value_type == nullptr || !value_type->is_object() ||
        StringField(value_type->get_object(), "id") != "DOUBLE")
      return false;
  }
  if (cls == "FUNCTION" && StringField(child->get_object(), "function_name") == "__cenote_tz_varchar")
    return false;
  // The same text for every cast, so that GROUP BY CAST(x AS VARCHAR) matches the select list's (a refused
  // cast's message names no position: the cast's offset would make each one a different expression).
  const json::value* try_value = cast.if_contains("try_cast");
  const std::string at =
      try_value != nullptr && try_value->is_bool() && try_value->get_bool() ? "|TRY_CAST" : "|CAST";
  json::object fn = NewFunction("__cenote_varchar", json::array{std::move(*child), VarcharConstant(at)});
  fn["alias"] = cast["alias"];
  v = std::move(fn);
  return true;
}

// A DECIMAL, DOUBLE or REAL constant (1.5, 2.5E0, REAL '0.5'), or a cast of a constant to one.
bool IsFractionalConstant(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return false;
  auto fractional = [](const std::string& id) { return id == "DECIMAL" || id == "DOUBLE" || id == "FLOAT"; };
  if (StringField(*o, "class") == "CAST") {
    const json::value* type = o->if_contains("cast_type");
    const json::value* child = o->if_contains("child");
    return type != nullptr && type->is_object() && fractional(StringField(type->get_object(), "id")) &&
           child != nullptr && child->is_object() && StringField(child->get_object(), "class") == "CONSTANT";
  }
  if (StringField(*o, "class") != "CONSTANT") return false;
  const json::value* value = o->if_contains("value");
  const json::value* type =
      value != nullptr && value->is_object() ? value->get_object().if_contains("type") : nullptr;
  return type != nullptr && type->is_object() && fractional(StringField(type->get_object(), "id"));
}

// in_lambda: inside a lambda, whose parameters have no type while DuckDB binds a macro, so the date/time
// rewrites that rely on typed macro overloads stay out (dialect_datetime.hpp).
// The names a FROM clause makes visible to its SELECT (aliases, else table names), joins and nested
// derived tables included.
void CollectFromNames(const json::value& v, std::unordered_set<std::string>& names, int depth) {
  if (depth > 400 || !v.is_object()) return;
  const json::object& o = v.get_object();
  const std::string type(StringField(o, "type"));
  if (type == "JOIN") {
    if (const json::value* l = o.if_contains("left")) CollectFromNames(*l, names, depth + 1);
    if (const json::value* r = o.if_contains("right")) CollectFromNames(*r, names, depth + 1);
    return;
  }
  std::string alias(StringField(o, "alias"));
  if (alias.empty()) alias = StringField(o, "table_name");
  if (!alias.empty()) names.insert(Lower(alias));
}

// Whether `v` (not looking into nested subqueries) names a column that may belong to an enclosing query:
// one qualified by a name its SELECT's FROM does not make visible, or, inside an expression subquery, an
// unqualified one.
bool NamesOuterColumn(const json::value& v, const std::unordered_set<std::string>& visible, bool in_subquery,
                      int depth) {
  if (depth > 400) return false;
  if (v.is_array()) {
    for (const json::value& item : v.get_array()) {
      if (NamesOuterColumn(item, visible, in_subquery, depth + 1)) return true;
    }
    return false;
  }
  if (!v.is_object()) return false;
  const json::object& o = v.get_object();
  const std::string cls = StringField(o, "class");
  if (cls == "SUBQUERY") return false;
  if (cls == "COLUMN_REF") {
    const json::value* n = o.if_contains("column_names");
    if (n == nullptr || !n->is_array()) return false;
    const json::array& names = n->get_array();
    if (names.size() == 1) return in_subquery;
    const json::value& qualifier = names[names.size() - 2];
    return !qualifier.is_string() || visible.count(Lower(qualifier.get_string())) == 0;
  }
  for (const auto& [key, child] : o) {
    if (NamesOuterColumn(child, visible, in_subquery, depth + 1)) return true;
  }
  return false;
}

// Marks ("__cenote_outer") the divisions, products, avg calls and casts to varchar whose operands may name an
// enclosing query's column (a correlated subquery's, a LATERAL table's): DuckDB binds such a column without
// its type, so the typed overloads of __cenote_divide / __cenote_multiply / __cenote_avg /
// __cenote_varchar_of cannot be chosen ("multiple overloads"); Walk gives them the plain operator, avg or
// cast (Trino's division by zero kept; DuckDB's result type and text). RemoveOuterMarks drops what is left.
void MarkOuterArithmetic(json::value& v, const std::unordered_set<std::string>& visible, bool in_subquery,
                         int depth) {
  if (depth > 400) return;
  if (v.is_array()) {
    for (json::value& item : v.get_array()) MarkOuterArithmetic(item, visible, in_subquery, depth + 1);
    return;
  }
  if (!v.is_object()) return;
  json::object& o = v.get_object();
  if (StringField(o, "type") == "SELECT_NODE") {
    std::unordered_set<std::string> names;
    if (const json::value* from = o.if_contains("from_table")) CollectFromNames(*from, names, depth + 1);
    for (auto& [key, child] : o) MarkOuterArithmetic(child, names, in_subquery, depth + 1);
    return;
  }
  if (StringField(o, "class") == "SUBQUERY") {
    for (auto& [key, child] : o)
      MarkOuterArithmetic(child, visible, key == "subquery" || in_subquery, depth + 1);
    return;
  }
  if (StringField(o, "class") == "FUNCTION") {
    const std::string name = Lower(StringField(o, "function_name"));
    if (const json::value* args = o.if_contains("children");
        (name == "/" || name == "*" || name == "avg") && args != nullptr &&
        NamesOuterColumn(*args, visible, in_subquery, depth + 1)) {
      o["__cenote_outer"] = true;
    }
  } else if (StringField(o, "class") == "CAST") {
    const json::value* type = o.if_contains("cast_type");
    if (const json::value* child = o.if_contains("child");
        type != nullptr && type->is_object() && StringField(type->get_object(), "id") == "VARCHAR" &&
        child != nullptr && NamesOuterColumn(*child, visible, in_subquery, depth + 1)) {
      o["__cenote_outer"] = true;
    }
  }
  for (auto& [key, child] : o) MarkOuterArithmetic(child, visible, in_subquery, depth + 1);
}

void RemoveOuterMarks(json::value& v, int depth) {
  if (depth > 400) return;
  if (v.is_array()) {
    for (json::value& item : v.get_array()) RemoveOuterMarks(item, depth + 1);
  } else if (v.is_object()) {
    v.get_object().erase("__cenote_outer");
    for (auto& [key, child] : v.get_object()) RemoveOuterMarks(child, depth + 1);
  }
}

Status Walk(json::value& v, int depth, bool in_try = false, bool in_lambda = false) {
  if (depth > 400) return NotSupported("The query is nested too deeply");
  if (v.is_array()) {
    for (json::value& item : v.get_array()) CENOTE_RETURN_IF_ERROR(Walk(item, depth + 1, in_try, in_lambda));
    return Status::Ok();
  }
  if (!v.is_object()) return Status::Ok();
  json::object& o = v.get_object();
  if (StringField(o, "class") == "CONSTANT") {
    // A DOUBLE literal (1.2E0) must stay a DOUBLE when the tree is printed back as SQL (1.2 would read
    // as a DECIMAL).
    json::value* value = o.if_contains("value");
    json::value* type =
        value != nullptr && value->is_object() ? value->get_object().if_contains("type") : nullptr;
    if (type != nullptr && type->is_object() && StringField(type->get_object(), "id") == "DOUBLE") {
      json::value alias = o["alias"];
      json::value location = o["query_location"];
      o["alias"] = "";
      json::object cast{
          {"class", "CAST"},           {"type", "OPERATOR_CAST"},
          {"alias", std::move(alias)}, {"query_location", std::move(location)},
          {"child", std::move(o)},     {"cast_type", json::object{{"id", "DOUBLE"}, {"type_info", nullptr}}},
          {"try_cast", false}};
      v = std::move(cast);
    }
    return Status::Ok();
  }
  if (StringField(o, "class") == "CAST" && RewriteCastOfJson(v)) return Walk(v, depth + 1, in_try);
  if (StringField(o, "class") == "CAST") {
    RewriteDecimalLiteral(o);
    if (RewriteJsonCast(v)) return Walk(v, depth + 1, in_try, in_lambda);
    CENOTE_ASSIGN_OR_RETURN(bool replaced, RewriteDatetimeCast(v, in_lambda));
    if (replaced) return Walk(v, depth + 1, in_try, in_lambda);
    if (RewriteVarcharCast(v)) return Walk(v, depth + 1, in_try, in_lambda);
  }
  if ((StringField(o, "class") == "COMPARISON" || StringField(o, "class") == "BETWEEN") && !in_lambda)
    RewriteDatetimeComparison(o);
  if (StringField(o, "class") == "LAMBDA") in_lambda = true;
  // Inside TRY a division by zero is NULL, which is what DuckDB's own division gives.
  if (StringField(o, "class") == "OPERATOR" && StringField(o, "type") == "OPERATOR_TRY") in_try = true;
  if (json::value* cls = o.if_contains("class"); cls != nullptr && cls->is_string()) {
    bool datetime_done = false;
    if (cls->get_string() == "FUNCTION")
      CENOTE_RETURN_IF_ERROR(RewriteDatetimeFunction(o, in_lambda, in_try, datetime_done));
    if ((cls->get_string() == "FUNCTION" || cls->get_string() == "WINDOW") && !datetime_done) {
      json::value* op = o.if_contains("is_operator");
      if (op == nullptr || !op->is_bool() || !op->get_bool()) {
        CENOTE_RETURN_IF_ERROR(RewriteFunction(o));
      } else if (StringField(o, "function_name") == "||") {
        RewriteConcatOperator(o);
      } else if (json::value* name = o.if_contains("function_name");
                 name != nullptr && name->is_string() && name->get_string() == "/") {
        // Trino fails integer and decimal division by zero (DuckDB: NULL).
        json::array* args = Children(o);
        // Inside TRY an integer or decimal division stays DuckDB's (NULL for a division by zero); an
        // interval divided by a number is Trino's operator with NULL where it fails.
        if (o.erase("__cenote_outer") > 0) {
          // An enclosing query's column (MarkOuterArithmetic): the plain division.
          if (!in_try) {
            SetName(o, "__cenote_divide_plain");
            o["is_operator"] = false;
          }
        } else if (args != nullptr && args->size() == 2) {
          json::object kind = NewFunction("__cenote_division_kind", json::array{(*args)[0], (*args)[1]});
          args->insert(args->begin(), std::move(kind));
          SetName(o, in_try ? "__cenote_divide_try" : "__cenote_divide");
          o["is_operator"] = false;
        }
      } else if (json::value* times = o.if_contains("function_name");
                 times != nullptr && times->is_string() && times->get_string() == "*" && !in_lambda) {
        // An interval (a column, a CTE's value) times a number: Trino's operator (dialect_datetime.cpp's
        // __cenote_interval_times), picked while DuckDB binds; other operands keep DuckDB's product.
        // Only by a fractional constant (an interval times an integer is DuckDB's product already): the
        // overload cannot be picked for a correlated column, which DuckDB binds without its type.
        json::array* args = Children(o);
        if (o.erase("__cenote_outer") == 0 && args != nullptr && args->size() == 2 &&
            (IsFractionalConstant((*args)[0]) || IsFractionalConstant((*args)[1]))) {
          json::object kind = NewFunction("__cenote_product_kind", json::array{(*args)[0], (*args)[1]});
          args->insert(args->begin(), std::move(kind));
          SetName(o, in_try ? "__cenote_multiply_try" : "__cenote_multiply");
          o["is_operator"] = false;
        }
      }
    }
  }
  for (auto& [key, child] : o) {
    if (key == "cast_type") continue;
    CENOTE_RETURN_IF_ERROR(Walk(child, depth + 1, in_try, in_lambda));
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& DialectMacros() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> out = DatetimeMacros();
    out.insert(out.end(), kMacros.begin(), kMacros.end());
    out.insert(out.end(), FunctionMacros().begin(), FunctionMacros().end());
    return out;
  }();
  return all;
}

Result<std::string> ConvertDateFormat(const std::string& f) {
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out += f[i];
      continue;
    }
    if (i + 1 >= f.size()) return NotSupported("date format ends with '%'");
    char c = f[++i];
    switch (c) {
      case 'a':
        out += "%a";
        break;
      case 'b':
        out += "%b";
        break;
      case 'c':
        out += "%-m";
        break;
      case 'd':
        out += "%d";
        break;
      case 'e':
        out += "%-d";
        break;
      case 'f':
        out += "%f";
        break;
      case 'H':
        out += "%H";
        break;
      case 'h':
      case 'I':
        out += "%I";
        break;
      case 'i':
        out += "%M";
        break;
      case 'j':
        out += "%j";
        break;
      case 'k':
        out += "%-H";
        break;
      case 'l':
        out += "%-I";
        break;
      case 'M':
        out += "%B";
        break;
      case 'm':
        out += "%m";
        break;
      case 'p':
        out += "%p";
        break;
      case 'r':
        out += "%I:%M:%S %p";
        break;
      case 'S':
      case 's':
        out += "%S";
        break;
      case 'T':
        out += "%H:%M:%S";
        break;
      case 'v':
        out += "%V";
        break;
      case 'W':
        out += "%A";
        break;
      case 'w':
        out += "%w";
        break;
      case 'Y':
        out += "%Y";
        break;
      case 'y':
        out += "%y";
        break;
      case '%':
        out += "%%";
        break;
      default:
        return MakeError(
            "INVALID_FUNCTION_ARGUMENT",
            std::string("INVALID_FUNCTION_ARGUMENT: date format specifier %") + c + " is not supported");
    }
  }
  return out;
}

Status RewriteDialect(json::value& statement) {
  MarkOuterArithmetic(statement, {}, false, 0);
  CENOTE_RETURN_IF_ERROR(Walk(statement, 0));
  GuardOverloadedMacroArguments(statement);
  RemoveOuterMarks(statement, 0);
  return Status::Ok();
}

}  // namespace cenote::query::internal
