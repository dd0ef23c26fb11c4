// word_stem (word_stem.cpp), Trino's normalize(s, form) for the forms DuckDB has no function for (NFD, NFKC,
// NFKD; NFC is DuckDB's nfc_normalize) and zstd_compress / zstd_decompress (dialect_functions.cpp maps the
// Trino names onto them). Normalization uses the utf8proc that libduckdb carries and exports (its ICU has the
// NFC/NFD data only); zstd is Debian's libzstd.
#include <zstd.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "query/trino_function_rows.hpp"
#include "query/trino_functions.hpp"
#include "query/word_stem.hpp"

namespace duckdb {
// utf8proc's normalizers as libduckdb exports them: a malloc'ed, NUL-terminated result, or null.
unsigned char* utf8proc_NFD(const unsigned char* str, long length);
unsigned char* utf8proc_NFKC(const unsigned char* str, long length);
unsigned char* utf8proc_NFKD(const unsigned char* str, long length);
}  // namespace duckdb

namespace cenote::query::internal {
namespace {

// normalize(s, form): form is 'NFD', 'NFKC' or 'NFKD' (the rewrite passes only these).
void NormalizeFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    const std::string_view text = a.Text(0, row);
    const std::string_view form = a.Text(1, row);
    auto* in = reinterpret_cast<const unsigned char*>(text.data());
    const long n = static_cast<long>(text.size());
    unsigned char* out = form == "NFD"    ? duckdb::utf8proc_NFD(in, n)
                         : form == "NFKC" ? duckdb::utf8proc_NFKC(in, n)
                         : form == "NFKD" ? duckdb::utf8proc_NFKD(in, n)
                                          : nullptr;
    if (out == nullptr) {
      duckdb_scalar_function_set_error(info, "INVALID_FUNCTION_ARGUMENT: cannot normalize the string");
      return;
    }
    SetText(output, row, reinterpret_cast<const char*>(out));
    std::free(out);
  });
}

// zstd_compress(varbinary): one zstd frame (level 3, libzstd's default), with the content size.
void ZstdCompressFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    const std::string_view data = a.Text(0, row);
    std::string out(ZSTD_compressBound(data.size()), '\0');
    const std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
    if (ZSTD_isError(n)) {
      duckdb_scalar_function_set_error(info, "GENERIC_INTERNAL_ERROR: zstd compression failed");
      return;
    }
    SetText(output, row, std::string_view(out.data(), n));
  });
}

// zstd_decompress(varbinary): every frame of the input, concatenated; malformed input fails the query.
void ZstdDecompressFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    const std::string_view data = a.Text(0, row);
    std::string out;
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    char buffer[1 << 14];
    std::size_t last = 0;
    bool failed = ctx == nullptr;
    constexpr std::size_t kLimit = std::size_t{1} << 30;  // a decompression bomb fails, not the server
    while (!failed && in.pos < in.size) {
      ZSTD_outBuffer o{buffer, sizeof(buffer), 0};
      last = ZSTD_decompressStream(ctx, &o, &in);
      if (ZSTD_isError(last)) failed = true;
      out.append(buffer, o.pos);
      if (out.size() > kLimit) failed = true;
      if (!failed && o.pos == 0 && last != 0 && in.pos == in.size) break;
    }
    // Flush what the last frame still holds.
    while (!failed && last != 0) {
      ZSTD_outBuffer o{buffer, sizeof(buffer), 0};
      last = ZSTD_decompressStream(ctx, &o, &in);
      if (ZSTD_isError(last) || o.pos == 0) {
        failed = true;
        break;
      }
      out.append(buffer, o.pos);
      if (out.size() > kLimit) failed = true;
    }
    if (ctx != nullptr) ZSTD_freeDCtx(ctx);
    if (failed || data.empty()) {
      duckdb_scalar_function_set_error(info, "INVALID_FUNCTION_ARGUMENT: Malformed zstd input");
      return;
    }
    SetText(output, row, out);
  });
}

// word_stem(word[, lang]): English through Snowball's English stemmer; the other languages Trino has
// stemmers for are refused by name, an unknown one as Trino does.
void WordStemFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  const bool has_language = duckdb_data_chunk_get_column_count(input) > 1;
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    const std::string language = has_language ? std::string(a.Text(1, row)) : "en";
    if (language == "en") {
      SetText(output, row, EnglishStem(std::string(a.Text(0, row))));
      return;
    }
    static constexpr std::pair<std::string_view, std::string_view> kOthers[] = {
        {"ca", "Catalan"},  {"da", "Danish"},    {"de", "German"},     {"es", "Spanish"},
        {"eu", "Basque"},   {"fi", "Finnish"},   {"fr", "French"},     {"hu", "Hungarian"},
        {"hy", "Armenian"}, {"ir", "Irish"},     {"it", "Italian"},    {"lt", "Lithuanian"},
        {"nl", "Dutch"},    {"no", "Norwegian"}, {"pt", "Portuguese"}, {"ro", "Romanian"},
        {"ru", "Russian"},  {"sv", "Swedish"},   {"tr", "Turkish"}};
    for (const auto& [code, name] : kOthers) {
      if (language == code) {
        const std::string message = "NOT_SUPPORTED: word_stem for the language '" + language + "' (" +
                                    std::string(name) + "): only English ('en') is supported";
        duckdb_scalar_function_set_error(info, message.c_str());
        return;
      }
    }
    const std::string message = "INVALID_FUNCTION_ARGUMENT: Unknown stemmer language: " + language;
    duckdb_scalar_function_set_error(info, message.c_str());
  });
}

}  // namespace

bool RegisterTrinoTextFunctions(duckdb_connection con) {
  constexpr duckdb_type V = DUCKDB_TYPE_VARCHAR, B = DUCKDB_TYPE_BLOB;
  return RegisterOverloads(con, "__cenote_normalize", {{{V, V}, V, NormalizeFunction}}) &&
         RegisterOverloads(con, "__cenote_zstd_compress", {{{B}, B, ZstdCompressFunction}}) &&
         RegisterOverloads(con, "__cenote_zstd_decompress", {{{B}, B, ZstdDecompressFunction}}) &&
         RegisterOverloads(con, "__cenote_word_stem",
                           {{{V}, V, WordStemFunction}, {{V, V}, V, WordStemFunction}});
}

}  // namespace cenote::query::internal
