#include "services/athena/iceberg/avro.hpp"

#include <zlib.h>

#include <cstring>

#include "common/random.hpp"

namespace cenote::athena::avro {

namespace json = boost::json;

namespace {

Error AvroError(const std::string& message) { return MakeError("AVRO_ERROR", "Avro: " + message); }

struct ParseState {
  std::map<std::string, SchemaPtr> named;
};

Result<Type> PrimitiveType(std::string_view name) {
  if (name == "null") return Type::kNull;
  if (name == "boolean") return Type::kBoolean;
  if (name == "int") return Type::kInt;
  if (name == "long") return Type::kLong;
  if (name == "float") return Type::kFloat;
  if (name == "double") return Type::kDouble;
  if (name == "bytes") return Type::kBytes;
  if (name == "string") return Type::kString;
  return AvroError("unknown type '" + std::string(name) + "'");
}

std::string FullName(const json::object& o, const std::string& enclosing_ns) {
  std::string name;
  if (auto* n = o.if_contains("name"); n && n->is_string()) name = std::string(n->as_string());
  if (name.find('.') != std::string::npos) return name;
  std::string ns = enclosing_ns;
  if (auto* n = o.if_contains("namespace"); n && n->is_string()) ns = std::string(n->as_string());
  return ns.empty() ? name : ns + "." + name;
}

std::string NamespaceOf(const std::string& full) {
  auto dot = full.rfind('.');
  return dot == std::string::npos ? "" : full.substr(0, dot);
}

Result<SchemaPtr> Parse(const json::value& v, ParseState& st, const std::string& ns, int depth) {
  if (depth > 64) return AvroError("schema nested too deeply");
  if (v.is_string()) {
    std::string name(v.as_string());
    auto prim = PrimitiveType(name);
    if (prim) {
      auto s = std::make_shared<Schema>();
      s->type = *prim;
      return SchemaPtr(s);
    }
    auto it = st.named.find(name);
    if (it == st.named.end() && !ns.empty()) it = st.named.find(ns + "." + name);
    if (it == st.named.end()) return AvroError("unknown type '" + name + "'");
    return it->second;
  }
  if (v.is_array()) {
    auto s = std::make_shared<Schema>();
    s->type = Type::kUnion;
    for (const auto& b : v.as_array()) {
      CENOTE_ASSIGN_OR_RETURN(auto branch, Parse(b, st, ns, depth + 1));
      if (branch->type == Type::kUnion) return AvroError("a union may not contain a union");
      s->branches.push_back(std::move(branch));
    }
    if (s->branches.empty()) return AvroError("empty union");
    return SchemaPtr(s);
  }
  if (!v.is_object()) return AvroError("a schema is a string, an array or an object");
  const json::object& o = v.as_object();
  const json::value* t = o.if_contains("type");
  if (t == nullptr) return AvroError("schema object without a type");
  if (!t->is_string()) {
    // {"type": {...}} or {"type": [...]}: the nested schema, attributes aside.
    return Parse(*t, st, ns, depth + 1);
  }
  std::string type(t->as_string());
  auto s = std::make_shared<Schema>();
  for (const auto& [k, val] : o) {
    if (k != "type" && k != "fields" && k != "items" && k != "values" && k != "symbols" && k != "name" &&
        k != "namespace" && k != "size") {
      s->attributes[k] = val;
    }
  }
  if (type == "record" || type == "error") {
    s->type = Type::kRecord;
    s->name = FullName(o, ns);
    if (s->name.empty()) return AvroError("record without a name");
    st.named[s->name] = s;  // recursive references see the record being built
    const json::value* fields = o.if_contains("fields");
    if (fields == nullptr || !fields->is_array()) return AvroError("record '" + s->name + "' without fields");
    for (const auto& f : fields->as_array()) {
      if (!f.is_object()) return AvroError("record field is not an object");
      const auto& fo = f.as_object();
      Field field;
      auto* n = fo.if_contains("name");
      auto* ft = fo.if_contains("type");
      if (n == nullptr || !n->is_string() || ft == nullptr)
        return AvroError("record field without name or type");
      field.name = std::string(n->as_string());
      CENOTE_ASSIGN_OR_RETURN(field.schema, Parse(*ft, st, NamespaceOf(s->name), depth + 1));
      for (const auto& [k, val] : fo) {
        if (k != "name" && k != "type") field.attributes[k] = val;
      }
      s->fields.push_back(std::move(field));
    }
    return SchemaPtr(s);
  }
  if (type == "enum") {
    s->type = Type::kEnum;
    s->name = FullName(o, ns);
    if (auto* sy = o.if_contains("symbols"); sy && sy->is_array()) {
      for (const auto& x : sy->as_array()) {
        if (x.is_string()) s->symbols.emplace_back(x.as_string());
      }
    }
    if (s->symbols.empty()) return AvroError("enum without symbols");
    st.named[s->name] = s;
    return SchemaPtr(s);
  }
  if (type == "fixed") {
    s->type = Type::kFixed;
    s->name = FullName(o, ns);
    auto* sz = o.if_contains("size");
    if (sz == nullptr || !sz->is_int64() || sz->as_int64() < 0) return AvroError("fixed without a size");
    s->size = static_cast<std::size_t>(sz->as_int64());
    st.named[s->name] = s;
    return SchemaPtr(s);
  }
  if (type == "array") {
    s->type = Type::kArray;
    auto* items = o.if_contains("items");
    if (items == nullptr) return AvroError("array without items");
    CENOTE_ASSIGN_OR_RETURN(s->items, Parse(*items, st, ns, depth + 1));
    return SchemaPtr(s);
  }
  if (type == "map") {
    s->type = Type::kMap;
    auto* values = o.if_contains("values");
    if (values == nullptr) return AvroError("map without values");
    CENOTE_ASSIGN_OR_RETURN(s->items, Parse(*values, st, ns, depth + 1));
    return SchemaPtr(s);
  }
  CENOTE_ASSIGN_OR_RETURN(s->type, PrimitiveType(type));
  return SchemaPtr(s);
}

bool Matches(const Schema& s, const Value& v) {
  switch (s.type) {
    case Type::kNull:
      return v.type == Type::kNull;
    case Type::kBoolean:
      return v.type == Type::kBoolean;
    case Type::kInt:
    case Type::kLong:
      return v.type == Type::kInt || v.type == Type::kLong;
    case Type::kFloat:
    case Type::kDouble:
      return v.type == Type::kFloat || v.type == Type::kDouble;
    case Type::kBytes:
    case Type::kFixed:
      return v.type == Type::kBytes || v.type == Type::kFixed;
    case Type::kString:
    case Type::kEnum:
      return v.type == Type::kString || v.type == Type::kEnum;
    case Type::kRecord:
    case Type::kMap:
      return v.type == s.type;
    case Type::kArray:
      return v.type == Type::kArray;
    case Type::kUnion:
      return false;
  }
  return false;
}

Result<std::string_view> Take(std::string_view data, std::size_t& pos, std::size_t n) {
  if (n > data.size() - pos) return AvroError("unexpected end of data");
  auto out = data.substr(pos, n);
  pos += n;
  return out;
}

Result<std::string> RawInflate(std::string_view in) {
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) return AvroError("inflate init failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return AvroError("corrupt deflate block");
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;  // input exhausted without an end
    if (out.size() > (std::size_t{1} << 31)) {
      inflateEnd(&zs);
      return AvroError("deflate block too large");
    }
  }
  inflateEnd(&zs);
  return out;
}

Result<std::string> RawDeflate(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return AvroError("deflate init failed");
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return AvroError("deflate failed");
  out.resize(zs.total_out);
  return out;
}

constexpr char kMagic[4] = {'O', 'b', 'j', 1};

}  // namespace

const Value* Value::Get(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return &v;
  }
  return nullptr;
}

Result<SchemaPtr> ParseSchemaJson(const json::value& v) {
  ParseState st;
  return Parse(v, st, "", 0);
}

Result<SchemaPtr> ParseSchema(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return AvroError("schema is not JSON");
  return ParseSchemaJson(v);
}

void WriteLong(std::int64_t v, std::string& out) {
  std::uint64_t z = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  while (z >= 0x80) {
    out += static_cast<char>((z & 0x7f) | 0x80);
    z >>= 7;
  }
  out += static_cast<char>(z);
}

Result<std::int64_t> ReadLong(std::string_view data, std::size_t& pos) {
  std::uint64_t z = 0;
  int shift = 0;
  while (true) {
    if (pos >= data.size()) return AvroError("unexpected end of data");
    auto b = static_cast<unsigned char>(data[pos++]);
    if (shift >= 64) return AvroError("varint too long");
    z |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
    shift += 7;
  }
  return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

Status Encode(const Schema& s, const Value& v, std::string& out) {
  switch (s.type) {
    case Type::kNull:
      if (!v.is_null()) return AvroError("expected null");
      return Status::Ok();
    case Type::kBoolean:
      if (v.type != Type::kBoolean) return AvroError("expected boolean");
      out += v.boolean ? '\1' : '\0';
      return Status::Ok();
    case Type::kInt:
    case Type::kLong:
      if (v.type != Type::kInt && v.type != Type::kLong) return AvroError("expected an integer");
      if (s.type == Type::kInt && (v.integer < INT32_MIN || v.integer > INT32_MAX))
        return AvroError("int out of range");
      WriteLong(v.integer, out);
      return Status::Ok();
    case Type::kFloat: {
      if (v.type != Type::kFloat && v.type != Type::kDouble) return AvroError("expected float");
      float f = static_cast<float>(v.real);
      char b[4];
      std::memcpy(b, &f, 4);  // little-endian host (x86-64, aarch64)
      out.append(b, 4);
      return Status::Ok();
    }
    case Type::kDouble: {
      if (v.type != Type::kFloat && v.type != Type::kDouble) return AvroError("expected double");
      char b[8];
      std::memcpy(b, &v.real, 8);
      out.append(b, 8);
      return Status::Ok();
    }
    case Type::kBytes:
    case Type::kString:
      if (v.type != Type::kBytes && v.type != Type::kString && v.type != Type::kFixed)
        return AvroError("expected bytes or string");
      WriteLong(static_cast<std::int64_t>(v.bytes.size()), out);
      out += v.bytes;
      return Status::Ok();
    case Type::kFixed:
      if (v.bytes.size() != s.size) return AvroError("fixed value of the wrong size");
      out += v.bytes;
      return Status::Ok();
    case Type::kEnum: {
      for (std::size_t i = 0; i < s.symbols.size(); ++i) {
        if ((v.type == Type::kEnum && static_cast<std::size_t>(v.integer) == i && v.bytes.empty()) ||
            s.symbols[i] == v.bytes) {
          WriteLong(static_cast<std::int64_t>(i), out);
          return Status::Ok();
        }
      }
      return AvroError("unknown enum symbol '" + v.bytes + "'");
    }
    case Type::kRecord: {
      if (v.type != Type::kRecord) return AvroError("expected record " + s.name);
      for (const auto& f : s.fields) {
        const Value* fv = v.Get(f.name);
        static const Value kNull;
        CENOTE_RETURN_IF_ERROR(Encode(*f.schema, fv ? *fv : kNull, out));
      }
      return Status::Ok();
    }
    case Type::kArray:
      if (v.type != Type::kArray) return AvroError("expected array");
      if (!v.items.empty()) {
        WriteLong(static_cast<std::int64_t>(v.items.size()), out);
        for (const auto& item : v.items) CENOTE_RETURN_IF_ERROR(Encode(*s.items, item, out));
      }
      out += '\0';
      return Status::Ok();
    case Type::kMap:
      if (v.type != Type::kMap) return AvroError("expected map");
      if (!v.fields.empty()) {
        WriteLong(static_cast<std::int64_t>(v.fields.size()), out);
        for (const auto& [k, item] : v.fields) {
          WriteLong(static_cast<std::int64_t>(k.size()), out);
          out += k;
          CENOTE_RETURN_IF_ERROR(Encode(*s.items, item, out));
        }
      }
      out += '\0';
      return Status::Ok();
    case Type::kUnion: {
      int chosen = -1;
      if (v.branch >= 0 && static_cast<std::size_t>(v.branch) < s.branches.size()) {
        chosen = v.branch;
      } else {
        for (std::size_t i = 0; i < s.branches.size(); ++i) {
          if (Matches(*s.branches[i], v)) {
            chosen = static_cast<int>(i);
            break;
          }
        }
      }
      if (chosen < 0) return AvroError("no union branch matches the value");
      WriteLong(chosen, out);
      return Encode(*s.branches[chosen], v, out);
    }
  }
  return AvroError("unknown schema type");
}

Result<Value> Decode(const Schema& s, std::string_view data, std::size_t& pos) {
  Value v;
  v.type = s.type;
  switch (s.type) {
    case Type::kNull:
      return v;
    case Type::kBoolean: {
      CENOTE_ASSIGN_OR_RETURN(auto b, Take(data, pos, 1));
      v.boolean = b[0] != 0;
      return v;
    }
    case Type::kInt:
    case Type::kLong: {
      CENOTE_ASSIGN_OR_RETURN(v.integer, ReadLong(data, pos));
      return v;
    }
    case Type::kFloat: {
      CENOTE_ASSIGN_OR_RETURN(auto b, Take(data, pos, 4));
      float f;
      std::memcpy(&f, b.data(), 4);
      v.real = f;
      return v;
    }
    case Type::kDouble: {
      CENOTE_ASSIGN_OR_RETURN(auto b, Take(data, pos, 8));
      std::memcpy(&v.real, b.data(), 8);
      return v;
    }
    case Type::kBytes:
    case Type::kString: {
      CENOTE_ASSIGN_OR_RETURN(auto n, ReadLong(data, pos));
      if (n < 0) return AvroError("negative length");
      CENOTE_ASSIGN_OR_RETURN(auto b, Take(data, pos, static_cast<std::size_t>(n)));
      v.bytes = std::string(b);
      return v;
    }
    case Type::kFixed: {
      CENOTE_ASSIGN_OR_RETURN(auto b, Take(data, pos, s.size));
      v.bytes = std::string(b);
      return v;
    }
    case Type::kEnum: {
      CENOTE_ASSIGN_OR_RETURN(v.integer, ReadLong(data, pos));
      if (v.integer < 0 || static_cast<std::size_t>(v.integer) >= s.symbols.size())
        return AvroError("enum index out of range");
      v.bytes = s.symbols[static_cast<std::size_t>(v.integer)];
      return v;
    }
    case Type::kRecord:
      for (const auto& f : s.fields) {
        CENOTE_ASSIGN_OR_RETURN(auto fv, Decode(*f.schema, data, pos));
        v.fields.emplace_back(f.name, std::move(fv));
      }
      return v;
    case Type::kArray:
    case Type::kMap:
      while (true) {
        CENOTE_ASSIGN_OR_RETURN(auto n, ReadLong(data, pos));
        if (n == 0) break;
        if (n < 0) {
          n = -n;
          CENOTE_RETURN_IF_ERROR(ReadLong(data, pos));  // the block's size in bytes
        }
        if (static_cast<std::uint64_t>(n) > data.size() - pos + 1) return AvroError("block count too large");
        for (std::int64_t i = 0; i < n; ++i) {
          if (s.type == Type::kMap) {
            CENOTE_ASSIGN_OR_RETURN(auto klen, ReadLong(data, pos));
            if (klen < 0) return AvroError("negative length");
            CENOTE_ASSIGN_OR_RETURN(auto k, Take(data, pos, static_cast<std::size_t>(klen)));
            CENOTE_ASSIGN_OR_RETURN(auto item, Decode(*s.items, data, pos));
            v.fields.emplace_back(std::string(k), std::move(item));
          } else {
            CENOTE_ASSIGN_OR_RETURN(auto item, Decode(*s.items, data, pos));
            v.items.push_back(std::move(item));
          }
        }
      }
      return v;
    case Type::kUnion: {
      CENOTE_ASSIGN_OR_RETURN(auto b, ReadLong(data, pos));
      if (b < 0 || static_cast<std::size_t>(b) >= s.branches.size())
        return AvroError("union index out of range");
      CENOTE_ASSIGN_OR_RETURN(auto out, Decode(*s.branches[static_cast<std::size_t>(b)], data, pos));
      out.branch = static_cast<int>(b);
      return out;
    }
  }
  return AvroError("unknown schema type");
}

Result<std::string> WriteContainer(const std::string& schema_json, const std::vector<Value>& records,
                                   const std::map<std::string, std::string>& metadata,
                                   const std::string& codec, std::size_t block_records) {
  if (codec != "null" && codec != "deflate") return AvroError("unsupported codec '" + codec + "'");
  CENOTE_ASSIGN_OR_RETURN(auto schema, ParseSchema(schema_json));
  std::string out(kMagic, 4);
  std::map<std::string, std::string> meta = metadata;
  meta["avro.schema"] = schema_json;
  meta["avro.codec"] = codec;
  WriteLong(static_cast<std::int64_t>(meta.size()), out);
  for (const auto& [k, v] : meta) {
    WriteLong(static_cast<std::int64_t>(k.size()), out);
    out += k;
    WriteLong(static_cast<std::int64_t>(v.size()), out);
    out += v;
  }
  out += '\0';
  std::string sync = RandomBytes(16);
  out += sync;
  if (block_records == 0) block_records = 1;
  for (std::size_t i = 0; i < records.size(); i += block_records) {
    std::size_t n = std::min(block_records, records.size() - i);
    std::string block;
    for (std::size_t j = i; j < i + n; ++j) CENOTE_RETURN_IF_ERROR(Encode(*schema, records[j], block));
    if (codec == "deflate") {
      CENOTE_ASSIGN_OR_RETURN(block, RawDeflate(block));
    }
    WriteLong(static_cast<std::int64_t>(n), out);
    WriteLong(static_cast<std::int64_t>(block.size()), out);
    out += block;
    out += sync;
  }
  return out;
}

Result<ContainerFile> ReadContainer(std::string_view bytes) {
  if (bytes.size() < 4 || std::memcmp(bytes.data(), kMagic, 4) != 0)
    return AvroError("not an Avro container file");
  std::size_t pos = 4;
  ContainerFile file;
  while (true) {
    CENOTE_ASSIGN_OR_RETURN(auto n, ReadLong(bytes, pos));
    if (n == 0) break;
    if (n < 0) {
      n = -n;
      CENOTE_RETURN_IF_ERROR(ReadLong(bytes, pos));
    }
    for (std::int64_t i = 0; i < n; ++i) {
      CENOTE_ASSIGN_OR_RETURN(auto klen, ReadLong(bytes, pos));
      if (klen < 0) return AvroError("negative length");
      CENOTE_ASSIGN_OR_RETURN(auto k, Take(bytes, pos, static_cast<std::size_t>(klen)));
      CENOTE_ASSIGN_OR_RETURN(auto vlen, ReadLong(bytes, pos));
      if (vlen < 0) return AvroError("negative length");
      CENOTE_ASSIGN_OR_RETURN(auto v, Take(bytes, pos, static_cast<std::size_t>(vlen)));
      file.metadata[std::string(k)] = std::string(v);
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto sync, Take(bytes, pos, 16));
  auto it = file.metadata.find("avro.schema");
  if (it == file.metadata.end()) return AvroError("container file without avro.schema");
  file.schema_json = it->second;
  CENOTE_ASSIGN_OR_RETURN(file.schema, ParseSchema(file.schema_json));
  std::string codec = "null";
  if (auto c = file.metadata.find("avro.codec"); c != file.metadata.end() && !c->second.empty())
    codec = c->second;
  if (codec != "null" && codec != "deflate") return AvroError("unsupported codec '" + codec + "'");
  while (pos < bytes.size()) {
    CENOTE_ASSIGN_OR_RETURN(auto count, ReadLong(bytes, pos));
    CENOTE_ASSIGN_OR_RETURN(auto size, ReadLong(bytes, pos));
    if (count < 0 || size < 0) return AvroError("negative block header");
    CENOTE_ASSIGN_OR_RETURN(auto raw, Take(bytes, pos, static_cast<std::size_t>(size)));
    std::string inflated;
    std::string_view block = raw;
    if (codec == "deflate") {
      CENOTE_ASSIGN_OR_RETURN(inflated, RawInflate(raw));
      block = inflated;
    }
    std::size_t bpos = 0;
    for (std::int64_t i = 0; i < count; ++i) {
      CENOTE_ASSIGN_OR_RETURN(auto v, Decode(*file.schema, block, bpos));
      file.records.push_back(std::move(v));
    }
    CENOTE_ASSIGN_OR_RETURN(auto marker, Take(bytes, pos, 16));
    if (marker != sync) return AvroError("sync marker mismatch");
  }
  return file;
}

}  // namespace cenote::athena::avro
