// Data files Athena reads that DuckDB cannot read itself, turned into files it can, for one statement.
//
//   Avro object container files (AvroSerDe)  -> JSON lines: one object per record, field names lower-case,
//       values as Athena maps the Avro types (see ConvertAvroToJsonLines).
//   ORC files (OrcSerde)                      -> JSON lines the same way (ConvertOrcToJsonLines).
//   Text compressed with a codec DuckDB lacks -> the plain text: bzip2 (.bz2), Hadoop snappy (.snappy, both
//       Hadoop's block framing and the snappy framing format), Hadoop LZ4 (.lz4) and zlib (.deflate).
//
// Both stream: the input is mapped, the output written as it is produced; neither holds a whole file's
// decoded rows. The outputs are scratch files owned by the caller (CatalogTableResolver removes them when
// the statement ends).
//
// Errors: HIVE_BAD_DATA for a file that is not what its table or extension says it is (with the reason),
// HIVE_UNKNOWN_ERROR when the output cannot be written, NOT_SUPPORTED for what Cenote cannot read (LZO,
// Avro codecs other than null, deflate, snappy, bzip2, zstandard; unions of several non-null types; ORC
// files compressed with LZO or holding unions).
//
// Thread safety: plain functions, no shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::athena {

// The codec of a text object from its key, as Athena picks it (by extension): "gzip" and "zstd" (which
// DuckDB reads itself), "bzip2", "snappy", "lz4", "deflate", "lzo", or "none".
std::string TextCodecOfKey(std::string_view key);

// True for the codecs DecompressText handles (DuckDB does not read them).
bool NeedsDecompression(std::string_view codec);

// Writes the decompressed bytes of `in_path` (compressed with `codec`, one of NeedsDecompression's) to
// `out_path`. `name` is what messages call the file (its s3:// URL).
Status DecompressText(const std::string& in_path, std::string_view codec, const std::string& out_path,
                      const std::string& name);

// Writes one JSON object per record of the Avro container file `in_path` to `out_path`: record fields by
// lower-case name; null for a null union branch; enums as their symbol; bytes and fixed as base64 (the
// binder decodes them for varbinary columns); decimal (bytes or fixed) as its exact decimal text; date as
// 'YYYY-MM-DD'; timestamp-millis/-micros (and local-timestamp-*) as 'YYYY-MM-DD HH:MM:SS.fff[fff]'; maps as
// objects; NaN and infinities as the strings "NaN", "Infinity", "-Infinity".
// `reader_schema`: the table's avro.schema.literal (may be empty). A field of its top-level record that the
// file's schema lacks reads as the field's default when it has a non-null default of a plain type (boolean,
// int, long, float, double, string; not logical types or bytes), as Avro schema resolution does; otherwise
// as NULL.
Status ConvertAvroToJsonLines(const std::string& in_path, const std::string& out_path,
                              const std::string& name, const std::string& reader_schema = "");

// Writes one JSON object per row of the ORC file `in_path` (orc_file.cpp) to `out_path`, with the same value
// forms as ConvertAvroToJsonLines: struct fields by lower-case name, binary as base64, decimals as exact
// text, dates, timestamps as the wall-clock time written (microseconds; the writer's time zone is not
// applied), maps as objects. Compression none, zlib, snappy, zstd and LZ4; LZO and union types are
// NOT_SUPPORTED. `column_names` non-empty: the file's top-level columns are matched by position, as Athena
// reads ORC by default (orc.column.index.access true): the k-th is written under column_names[k] (columns
// beyond the list are dropped). Empty: by the file's own names (lower-case).
Status ConvertOrcToJsonLines(const std::string& in_path, const std::string& out_path, const std::string& name,
                             const std::vector<std::string>& column_names = {});

}  // namespace cenote::athena
