// Trino's binary and text functions DuckDB lacks (dialect_functions.cpp maps the Trino names onto them):
// hmac_md5/sha1/sha256/sha512, to_base32/from_base32, to/from_ieee754_32/64, murmur3, from_utf8 with a
// replacement, soundex; and Iceberg's bucket transform for the Iceberg writer and partition pruning.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/murmur3.hpp"
#include "common/utf8.hpp"
#include "query/trino_function_rows.hpp"
#include "query/trino_functions.hpp"

namespace cenote::query::internal {
namespace {

template <const EVP_MD* (*kDigest)()>
void HmacFunction(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    std::string_view data = a.Text(0, row), key = a.Text(1, row);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(kDigest(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
    SetText(output, row, std::string_view(reinterpret_cast<const char*>(mac), len));
  });
}

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// RFC 4648 base32 with '=' padding, as Trino's to_base32.
void ToBase32Function(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    std::string_view in = a.Text(0, row);
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char c : in) {
      buffer = (buffer << 8) | c;
      bits += 8;
      while (bits >= 5) {
        out += kBase32[(buffer >> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
    while (out.size() % 8 != 0) out += '=';
    SetText(output, row, out);
  });
}

void FromBase32Function(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    std::string_view in = a.Text(0, row);
    while (!in.empty() && in.back() == '=') in.remove_suffix(1);
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : in) {
      const char* at = std::strchr(kBase32, c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
      if (c == '\0' || at == nullptr) {
        duckdb_scalar_function_set_error(info, "INVALID_FUNCTION_ARGUMENT: Invalid input for base32");
        return;
      }
      buffer = (buffer << 5) | static_cast<std::uint32_t>(at - kBase32);
      bits += 5;
      if (bits >= 8) {
        out += static_cast<char>((buffer >> (bits - 8)) & 0xFF);
        bits -= 8;
      }
    }
    SetText(output, row, out);
  });
}

template <typename T>
std::string BigEndian(T value) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  std::string out(sizeof(T), '\0');
  for (std::size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<char>(bits >> (8 * (sizeof(T) - 1 - i)));
  return out;
}

void ToIeee754_32Function(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  EachRow(input, output,
          [&](const ArgRows& a, idx_t row) { SetText(output, row, BigEndian<float>(a.Float(0, row))); });
}

void ToIeee754_64Function(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  EachRow(input, output,
          [&](const ArgRows& a, idx_t row) { SetText(output, row, BigEndian<double>(a.Double(0, row))); });
}

template <typename T>
void FromIeee754Function(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  auto* out = static_cast<T*>(duckdb_vector_get_data(output));
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    std::string_view in = a.Text(0, row);
    if (in.size() != sizeof(T)) {
      duckdb_scalar_function_set_error(info, sizeof(T) == 4
                                                 ? "INVALID_FUNCTION_ARGUMENT: Input floating-point "
                                                   "value must be exactly 4 bytes long"
                                                 : "INVALID_FUNCTION_ARGUMENT: Input floating-point "
                                                   "value must be exactly 8 bytes long");
      return;
    }
    std::uint64_t bits = 0;
    for (unsigned char c : in) bits = (bits << 8) | c;
    if constexpr (sizeof(T) == 4) {
      std::uint32_t b32 = static_cast<std::uint32_t>(bits);
      std::memcpy(&out[row], &b32, 4);
    } else {
      std::memcpy(&out[row], &bits, 8);
    }
  });
}

void Murmur3Function(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  EachRow(input, output,
          [&](const ArgRows& a, idx_t row) { SetText(output, row, Murmur3_128(a.Text(0, row))); });
}

// Iceberg's bucket transform (common/murmur3.hpp): __cenote_iceberg_bucket(value, N) of a long (ints, days,
// micros), of a string's UTF-8 bytes or of binary bytes; __cenote_iceberg_bucket_unscaled(digits, N) of a
// decimal's unscaled value written as decimal digits (the SQL removes the point).
template <int kKind>  // 0 long, 1 bytes
void IcebergBucketFunction(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  auto* out = static_cast<std::int32_t*>(duckdb_vector_get_data(output));
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    const std::int64_t n = a.Bigint(1, row);
    if (n <= 0 || n > 2147483647) {
      SetNullRow(output, row);
      return;
    }
    std::int32_t hash = kKind == 0 ? IcebergHashLong(a.Bigint(0, row)) : IcebergHashBytes(a.Text(0, row));
    out[row] = IcebergBucket(hash, static_cast<std::int32_t>(n));
  });
}

void IcebergBucketUnscaledFunction(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  auto* out = static_cast<std::int32_t*>(duckdb_vector_get_data(output));
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    std::string_view digits = a.Text(0, row);
    const std::int64_t n = a.Bigint(1, row);
    bool negative = !digits.empty() && digits.front() == '-';
    if (negative) digits.remove_prefix(1);
    __int128 v = 0;
    bool ok = !digits.empty() && digits.size() <= 38 && n > 0 && n <= 2147483647;
    for (char c : digits) {
      if (c < '0' || c > '9') ok = false;
      v = v * 10 + (c - '0');
    }
    if (!ok) {
      SetNullRow(output, row);
      return;
    }
    out[row] = IcebergBucket(IcebergHashUnscaled(negative ? -v : v), static_cast<std::int32_t>(n));
  });
}

// The length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are not one.
std::size_t Utf8SequenceAt(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n;
  std::uint32_t cp;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
    cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    cp = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are invalid.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

// from_utf8(binary[, replace]): each invalid byte becomes the replacement (U+FFFD by default; a string
// argument gives its first character, or nothing when empty; a number gives that code point).
void FromUtf8Rows(duckdb_data_chunk input, duckdb_vector output, int mode) {
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    std::string_view in = a.Text(0, row);
    std::string replacement = "\xEF\xBF\xBD";
    if (mode == 1) {
      std::string_view r = a.Text(1, row);
      replacement.assign(r.substr(0, r.empty() ? 0 : (Utf8SequenceAt(r, 0) > 0 ? Utf8SequenceAt(r, 0) : 1)));
    } else if (mode == 2) {
      replacement.clear();
      AppendUtf8(replacement, static_cast<std::uint32_t>(a.Bigint(1, row)));
    }
    std::string out;
    for (std::size_t i = 0; i < in.size();) {
      std::size_t n = Utf8SequenceAt(in, i);
      if (n == 0) {
        out.append(replacement);
        ++i;
      } else {
        out.append(in.substr(i, n));
        i += n;
      }
    }
    SetText(output, row, out);
  });
}

void FromUtf8Function(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  FromUtf8Rows(input, output, 0);
}
void FromUtf8TextFunction(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  FromUtf8Rows(input, output, 1);
}
void FromUtf8CodePointFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  ArgRows a(input);
  for (idx_t row = 0; row < a.rows(); ++row) {
    if (!a.AllValid(row)) continue;
    std::int64_t cp = a.Bigint(1, row);
    if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      duckdb_scalar_function_set_error(info, "INVALID_FUNCTION_ARGUMENT: Invalid replacement character");
      return;
    }
  }
  FromUtf8Rows(input, output, 2);
}

// American Soundex: the first letter, then the codes of the following consonants (a repeat of the
// previous code collapses, H and W do not separate repeats, vowels do), padded with 0 to four characters.
void SoundexFunction(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  static constexpr char kCodes[] = "01230120022455012623010202";  // A..Z
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    std::string_view in = a.Text(0, row);
    std::string out;
    char last = 0;
    for (char raw : in) {
      char c = raw >= 'a' && raw <= 'z' ? static_cast<char>(raw - 'a' + 'A') : raw;
      if (c < 'A' || c > 'Z') continue;
      char code = kCodes[c - 'A'];
      if (out.empty()) {
        out += c;
        last = code;
        continue;
      }
      if (c == 'H' || c == 'W') continue;
      if (code == '0') {
        last = 0;
        continue;
      }
      if (code != last) out += code;
      last = code;
      if (out.size() == 4) break;
    }
    if (!out.empty()) out.resize(4, '0');
    SetText(output, row, out);
  });
}

}  // namespace

bool RegisterTrinoBinaryFunctions(duckdb_connection con) {
  constexpr auto B = DUCKDB_TYPE_BLOB;
  constexpr auto V = DUCKDB_TYPE_VARCHAR;
  return RegisterOverloads(con, "__cenote_hmac_md5", {{{B, B}, B, HmacFunction<EVP_md5>}}) &&
         RegisterOverloads(con, "__cenote_hmac_sha1", {{{B, B}, B, HmacFunction<EVP_sha1>}}) &&
         RegisterOverloads(con, "__cenote_hmac_sha256", {{{B, B}, B, HmacFunction<EVP_sha256>}}) &&
         RegisterOverloads(con, "__cenote_hmac_sha512", {{{B, B}, B, HmacFunction<EVP_sha512>}}) &&
         RegisterOverloads(con, "__cenote_to_base32", {{{B}, V, ToBase32Function}}) &&
         RegisterOverloads(con, "__cenote_from_base32", {{{V}, B, FromBase32Function}}) &&
         RegisterOverloads(con, "__cenote_to_ieee754_32", {{{DUCKDB_TYPE_FLOAT}, B, ToIeee754_32Function}}) &&
         RegisterOverloads(con, "__cenote_to_ieee754_64",
                           {{{DUCKDB_TYPE_DOUBLE}, B, ToIeee754_64Function}}) &&
         RegisterOverloads(con, "__cenote_from_ieee754_32",
                           {{{B}, DUCKDB_TYPE_FLOAT, FromIeee754Function<float>}}) &&
         RegisterOverloads(con, "__cenote_from_ieee754_64",
                           {{{B}, DUCKDB_TYPE_DOUBLE, FromIeee754Function<double>}}) &&
         RegisterOverloads(con, "__cenote_murmur3", {{{B}, B, Murmur3Function}}) &&
         RegisterOverloads(
             con, "__cenote_iceberg_bucket",
             {{{DUCKDB_TYPE_BIGINT, DUCKDB_TYPE_BIGINT}, DUCKDB_TYPE_INTEGER, IcebergBucketFunction<0>},
              {{V, DUCKDB_TYPE_BIGINT}, DUCKDB_TYPE_INTEGER, IcebergBucketFunction<1>},
              {{B, DUCKDB_TYPE_BIGINT}, DUCKDB_TYPE_INTEGER, IcebergBucketFunction<1>}}) &&
         RegisterOverloads(con, "__cenote_iceberg_bucket_unscaled",
                           {{{V, DUCKDB_TYPE_BIGINT}, DUCKDB_TYPE_INTEGER, IcebergBucketUnscaledFunction}}) &&
         RegisterOverloads(con, "__cenote_from_utf8",
                           {{{B}, V, FromUtf8Function},
                            {{B, V}, V, FromUtf8TextFunction},
                            {{B, DUCKDB_TYPE_BIGINT}, V, FromUtf8CodePointFunction}}) &&
         RegisterOverloads(con, "__cenote_soundex", {{{V}, V, SoundexFunction}});
}

}  // namespace cenote::query::internal
