// A small Avro implementation for Iceberg's manifests and manifest lists: schemas parsed from their JSON
// form, datums in a generic tree, the binary encoding, and object container files (magic, file metadata,
// sync marker, blocks) with the "null" and "deflate" codecs. Specification: Apache Avro 1.11, "Binary
// Encoding" and "Object Container Files".
//
// Supported schema forms: the primitives (null, boolean, int, long, float, double, bytes, string), record,
// enum, array, map, union and fixed, named types referenced by (full) name, and attributes (field-id,
// logicalType, ...) kept on the schema for the caller. Logical types are read as their underlying type.
//
// Errors: code "AVRO_ERROR" (malformed schema, data that does not match it, truncated input, unknown codec).
//
// Thread safety: values only; no shared state.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace cenote::athena::avro {

enum class Type {
  kNull,
  kBoolean,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kBytes,
  kString,
  kRecord,
  kEnum,
  kArray,
  kMap,
  kUnion,
  kFixed
};

struct Schema;
using SchemaPtr = std::shared_ptr<const Schema>;

struct Field {
  std::string name;
  SchemaPtr schema;
  boost::json::object attributes;  // everything but name/type (field-id, doc, default, ...)
};

struct Schema {
  Type type = Type::kNull;
  std::string name;                  // full name of a named type (record, enum, fixed)
  std::vector<Field> fields;         // record
  std::vector<std::string> symbols;  // enum
  SchemaPtr items;                   // array items, map values
  std::vector<SchemaPtr> branches;   // union
  std::size_t size = 0;              // fixed
  boost::json::object attributes;    // logicalType, element-id, key-id, ...
};

// Parses a schema from its JSON text / value.
Result<SchemaPtr> ParseSchema(std::string_view json_text);
Result<SchemaPtr> ParseSchemaJson(const boost::json::value& json);

// A datum. Records and maps keep (name, value) pairs in order; a union's value is the chosen branch's
// datum with `branch` set to its index.
struct Value {
  Type type = Type::kNull;
  bool boolean = false;
  std::int64_t integer = 0;                           // int, long, enum (symbol index)
  double real = 0;                                    // float, double
  std::string bytes;                                  // bytes, string, fixed, enum (symbol)
  std::vector<Value> items;                           // array
  std::vector<std::pair<std::string, Value>> fields;  // record, map
  int branch = -1;                                    // which union branch produced this value

  // Declared here, defaulted after the struct: pair<string, Value> asks whether Value is implicitly default
  // constructible while Value is still incomplete (clang with libstdc++ 12 cannot answer that in the class).
  Value();
  static Value Null();
  static Value Bool(bool b);
  static Value Int(std::int64_t i);
  static Value Long(std::int64_t i);
  static Value Double(double d);
  static Value String(std::string s);
  static Value Bytes(std::string s);
  // The factories are defined after the struct: clang instantiates what they return and take in place.
  static Value Record(std::vector<std::pair<std::string, Value>> f);
  static Value Array(std::vector<Value> items);
  // A record's field (nullptr if absent).
  const Value* Get(std::string_view name) const;
  bool is_null() const { return type == Type::kNull; }
};

inline Value::Value() = default;

inline Value Value::Null() { return Value{}; }

inline Value Value::Bool(bool b) {
  Value v;
  v.type = Type::kBoolean;
  v.boolean = b;
  return v;
}

inline Value Value::Int(std::int64_t i) {
  Value v;
  v.type = Type::kInt;
  v.integer = i;
  return v;
}

inline Value Value::Long(std::int64_t i) {
  Value v;
  v.type = Type::kLong;
  v.integer = i;
  return v;
}

inline Value Value::Double(double d) {
  Value v;
  v.type = Type::kDouble;
  v.real = d;
  return v;
}

inline Value Value::String(std::string s) {
  Value v;
  v.type = Type::kString;
  v.bytes = std::move(s);
  return v;
}

inline Value Value::Bytes(std::string s) {
  Value v;
  v.type = Type::kBytes;
  v.bytes = std::move(s);
  return v;
}

inline Value Value::Record(std::vector<std::pair<std::string, Value>> f) {
  Value v;
  v.type = Type::kRecord;
  v.fields = std::move(f);
  return v;
}

inline Value Value::Array(std::vector<Value> items) {
  Value v;
  v.type = Type::kArray;
  v.items = std::move(items);
  return v;
}

// Binary encoding of one datum. Writing picks a union's branch by `branch` when set, else the first branch
// whose type matches the value's (null for a null value).
Status Encode(const Schema& schema, const Value& value, std::string& out);
// Decodes one datum from data[pos...], advancing pos.
Result<Value> Decode(const Schema& schema, std::string_view data, std::size_t& pos);

// Zig-zag varint encoding of an int or long.
void WriteLong(std::int64_t v, std::string& out);
Result<std::int64_t> ReadLong(std::string_view data, std::size_t& pos);

// ---- object container files

struct ContainerFile {
  SchemaPtr schema;
  std::string schema_json;                      // as stored in avro.schema
  std::map<std::string, std::string> metadata;  // the file metadata, avro.* included
  std::vector<Value> records;
};

// Writes a container file: `schema_json` is stored as avro.schema, `codec` "null" or "deflate", the user
// metadata after it; all records in blocks of at most `block_records`.
Result<std::string> WriteContainer(const std::string& schema_json, const std::vector<Value>& records,
                                   const std::map<std::string, std::string>& metadata,
                                   const std::string& codec = "deflate", std::size_t block_records = 4096);
// Reads a whole container file (every block; sync markers checked).
Result<ContainerFile> ReadContainer(std::string_view bytes);

}  // namespace cenote::athena::avro
