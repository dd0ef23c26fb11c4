#include "services/glue/crawler/layout.hpp"
#include "common/strings.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

namespace cenote::glue::crawler {

namespace {

// Matches a `[...]` class at pattern[0] against c; sets *len to the class's length (0 if malformed).
bool MatchClass(std::string_view p, char c, std::size_t* len) {
  std::size_t i = 1;
  bool negate = false;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  for (; i < p.size() && (p[i] != ']' || first); ++i) {
    first = false;
    char lo = p[i];
    if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
    char hi = lo;
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      hi = p[i + 2];
      i += 2;
    }
    if (c >= lo && c <= hi) matched = true;
  }
  if (i >= p.size()) {
    *len = 0;
    return false;
  }
  *len = i + 1;
  return matched != negate;
}

bool Glob(std::string_view p, std::string_view s, int depth) {
  if (depth > 64) return false;  // bounds pathological patterns
  while (!p.empty()) {
    char c = p[0];
    if (c == '*') {
      bool cross = p.size() > 1 && p[1] == '*';
      std::string_view rest = p.substr(cross ? 2 : 1);
      for (std::size_t i = 0; i <= s.size(); ++i) {
        if (Glob(rest, s.substr(i), depth + 1)) return true;
        if (i < s.size() && s[i] == '/' && !cross) return false;
      }
      return false;
    }
    if (c == '{') {
      std::size_t close = p.find('}');
      if (close == std::string_view::npos) return false;
      std::string_view alts = p.substr(1, close - 1);
      std::string_view rest = p.substr(close + 1);
      std::size_t start = 0;
      while (true) {
        std::size_t comma = alts.find(',', start);
        std::string candidate(
            alts.substr(start, comma == std::string_view::npos ? alts.npos : comma - start));
        candidate.append(rest);
        if (Glob(candidate, s, depth + 1)) return true;
        if (comma == std::string_view::npos) return false;
        start = comma + 1;
      }
    }
    if (s.empty()) return false;
    if (c == '?') {
      if (s[0] == '/') return false;
      p.remove_prefix(1);
    } else if (c == '[') {
      std::size_t len = 0;
      if (s[0] == '/' || !MatchClass(p, s[0], &len)) return false;
      p.remove_prefix(len);
    } else {
      if (c == '\\' && p.size() > 1) {
        p.remove_prefix(1);
        c = p[0];
      }
      if (c != s[0]) return false;
      p.remove_prefix(1);
    }
    s.remove_prefix(1);
  }
  return s.empty();
}

bool IsPartitionFolder(std::string_view name) {
  auto eq = name.find('=');
  return eq != std::string_view::npos && eq > 0;
}

int IntRank(const std::string& t) {
  if (t == "tinyint") return 1;
  if (t == "smallint") return 2;
  if (t == "int") return 3;
  if (t == "bigint") return 4;
  return 0;
}

struct Node {
  std::string name;
  std::string prefix;     // key prefix, '/'-ended ('' for the bucket root)
  int level = 1;          // absolute: the bucket is 1
  std::size_t depth = 0;  // folders below the include path
  std::map<std::string, Node> children;
  std::vector<std::size_t> direct;  // files lying directly here
};

class Grouper {
 public:
  Grouper(const S3Path& include, const std::vector<LayoutFile>& files, const GroupingOptions& options)
      : files_(files), options_(options) {
    root_.prefix = include.prefix;
    root_.level = 1 + static_cast<int>(std::count(include.prefix.begin(), include.prefix.end(), '/'));
    std::string_view trimmed = include.prefix;
    if (!trimmed.empty()) trimmed.remove_suffix(1);
    auto slash = trimmed.rfind('/');
    root_.name = trimmed.empty()
                     ? include.bucket
                     : std::string(slash == std::string_view::npos ? trimmed : trimmed.substr(slash + 1));
    // Folders where some sampled file was recognized: unsampled files elsewhere are left out.
    std::set<std::string> known_folders;
    for (const auto& f : files_) {
      if (f.sampled && f.schema) known_folders.insert(FolderOf(f.key));
    }
    for (std::size_t i = 0; i < files_.size(); ++i) {
      const auto& f = files_[i];
      if (f.sampled ? !f.schema : known_folders.count(FolderOf(f.key)) == 0) continue;
      Node* node = &root_;
      for (const auto& folder : f.folders) {
        auto [it, inserted] = node->children.try_emplace(folder);
        if (inserted) {
          it->second.name = folder;
          it->second.prefix = node->prefix + folder + "/";
          it->second.level = node->level + 1;
          it->second.depth = node->depth + 1;
        }
        node = &it->second;
      }
      node->direct.push_back(i);
    }
  }

  std::vector<TableLayout> Run() {
    Decide(root_);
    return std::move(tables_);
  }

 private:
  static std::string FolderOf(const std::string& key) {
    auto slash = key.rfind('/');
    return slash == std::string::npos ? "" : key.substr(0, slash + 1);
  }

  void CollectFiles(const Node& node, std::vector<std::size_t>* out) const {
    out->insert(out->end(), node.direct.begin(), node.direct.end());
    for (const auto& [name, child] : node.children) CollectFiles(child, out);
  }

  bool AllCompatible(const std::vector<std::size_t>& indexes) const {
    std::optional<FileSchema> merged;
    for (auto i : indexes) {
      const auto& s = files_[i].schema;
      if (!s) continue;
      if (!merged) {
        merged = *s;
      } else if (!Compatible(*merged, *s, options_.combine_compatible_schemas)) {
        return false;
      } else {
        merged = MergeSchemas(*merged, *s);
      }
    }
    return true;
  }

  void Decide(const Node& node) {
    std::vector<std::size_t> all;
    CollectFiles(node, &all);
    if (all.empty()) return;
    if (options_.table_level > 0) {
      if (node.level >= options_.table_level) {
        MakeTable(node, all);
        return;
      }
    } else if (AllCompatible(all)) {
      // A bucket holding one folder of data gets a table named after the folder, not the bucket.
      const Node* table = &node;
      if (node.level == 1 && node.direct.empty() && node.children.size() == 1 &&
          !IsPartitionFolder(node.children.begin()->first)) {
        table = &node.children.begin()->second;
      }
      MakeTable(*table, all);
      return;
    }
    for (const auto& [name, child] : node.children) Decide(child);
    // Files lying among incompatible folders: one table per group of compatible files, named after the
    // group's first file.
    std::vector<std::vector<std::size_t>> groups;
    for (auto i : node.direct) {
      const auto& s = files_[i].schema;
      bool placed = false;
      for (auto& g : groups) {
        const auto& head = files_[g.front()].schema;
        if (!s || !head || Compatible(*head, *s, options_.combine_compatible_schemas)) {
          g.push_back(i);
          placed = true;
          break;
        }
      }
      if (!placed) groups.push_back({i});
    }
    for (auto& g : groups) {
      // Unsampled files first in a group would leave it without a schema: put a sampled one first.
      std::stable_partition(g.begin(), g.end(), [&](std::size_t i) { return files_[i].schema.has_value(); });
      if (!files_[g.front()].schema) continue;
      const auto& key = files_[g.front()].key;
      TableLayout t;
      t.name = key.substr(key.rfind('/') + 1);
      t.prefix = key;
      t.single_file = true;
      t.files = g;
      t.partitions.push_back(PartitionLayout{{}, t.prefix, g});
      t.schema = MergeAll(g);
      tables_.push_back(std::move(t));
    }
  }

  FileSchema MergeAll(const std::vector<std::size_t>& indexes) const {
    std::optional<FileSchema> merged;
    for (auto i : indexes) {
      const auto& s = files_[i].schema;
      if (!s) continue;
      merged = merged ? MergeSchemas(*merged, *s) : *s;
    }
    return merged.value_or(FileSchema{});
  }

  void MakeTable(const Node& node, std::vector<std::size_t> files) {
    // Files outside `node` (the chain above it has none) cannot occur: they were collected from it.
    TableLayout t;
    t.name = node.name;
    t.prefix = node.prefix;
    std::sort(files.begin(), files.end());
    t.files = files;
    t.schema = MergeAll(files);
    std::size_t levels = SIZE_MAX;
    for (auto i : files) levels = std::min(levels, files_[i].folders.size() - node.depth);
    if (levels == SIZE_MAX) levels = 0;
    // Key names per level: `key=value` everywhere with one key -> that key; otherwise partition_<i>.
    std::vector<bool> named_levels;
    for (std::size_t l = 0; l < levels; ++l) {
      std::optional<std::string> key;
      bool named = true;
      for (auto i : files) {
        const std::string& folder = files_[i].folders[node.depth + l];
        auto eq = folder.find('=');
        if (eq == std::string::npos || eq == 0 || (key && *key != AsciiLower(folder.substr(0, eq)))) {
          named = false;
          break;
        }
        key = AsciiLower(folder.substr(0, eq));
      }
      named_levels.push_back(named && key);
      t.partition_keys.push_back(named_levels.back() ? *key : "partition_" + std::to_string(l));
    }
    std::map<std::vector<std::string>, PartitionLayout> partitions;
    for (auto i : files) {
      std::vector<std::string> values;
      std::string prefix = node.prefix;
      for (std::size_t l = 0; l < levels; ++l) {
        const std::string& folder = files_[i].folders[node.depth + l];
        prefix += folder + "/";
        values.push_back(named_levels[l] ? folder.substr(folder.find('=') + 1) : folder);
      }
      auto& p = partitions[values];
      p.values = values;
      p.prefix = prefix;
      p.files.push_back(i);
    }
    for (auto& [values, p] : partitions) t.partitions.push_back(std::move(p));
    // A data column named like a partition key (Hive-style writers sometimes repeat it) would clash.
    std::erase_if(t.schema.columns, [&](const Column& c) {
      return std::find(t.partition_keys.begin(), t.partition_keys.end(), c.name) != t.partition_keys.end();
    });
    tables_.push_back(std::move(t));
  }

  const std::vector<LayoutFile>& files_;
  GroupingOptions options_;
  Node root_;
  std::vector<TableLayout> tables_;
};

}  // namespace

std::optional<S3Path> ParseS3Path(std::string_view path) {
  std::string_view scheme = "s3://";
  if (path.size() < scheme.size() || AsciiLower(path.substr(0, scheme.size())) != scheme) return std::nullopt;
  path.remove_prefix(scheme.size());
  auto slash = path.find('/');
  S3Path out;
  out.bucket = std::string(path.substr(0, slash));
  if (out.bucket.empty()) return std::nullopt;
  if (slash != std::string_view::npos) {
    std::string_view prefix = path.substr(slash + 1);
    while (!prefix.empty() && prefix.front() == '/') prefix.remove_prefix(1);
    out.prefix = std::string(prefix);
    if (!out.prefix.empty() && out.prefix.back() != '/') out.prefix.push_back('/');
  }
  return out;
}

bool GlobMatch(std::string_view pattern, std::string_view relative_key) {
  return Glob(pattern, relative_key, 0);
}

bool IsIgnoredKey(std::string_view relative_key, std::uint64_t size) {
  if (relative_key.empty()) return true;
  if (relative_key.back() == '/' && size == 0) return true;
  if (relative_key.ends_with("_$folder$")) return true;
  std::size_t start = 0;
  while (start < relative_key.size()) {
    auto slash = relative_key.find('/', start);
    std::string_view part =
        relative_key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!part.empty() && (part.front() == '_' || part.front() == '.')) return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

std::string TableName(std::string_view table_prefix, std::string_view name) {
  std::string out = AsciiLower(std::string(table_prefix) + std::string(name));
  for (char& c : out) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) c = '_';
  }
  return out;
}

bool Compatible(const FileSchema& a, const FileSchema& b, bool format_only) {
  if (a.signature != b.signature) return false;
  if (format_only) return true;
  std::set<std::string> names;
  for (const auto& c : a.columns) names.insert(c.name);
  std::size_t shared = 0;
  for (const auto& c : b.columns) shared += names.count(c.name);
  std::size_t smaller = std::min(a.columns.size(), b.columns.size());
  if (smaller == 0) return true;
  return shared * 10 >= smaller * 7;
}

std::string WidenType(const std::string& a, const std::string& b) {
  if (a == b) return a;
  int ra = IntRank(a), rb = IntRank(b);
  if (ra > 0 && rb > 0) return ra >= rb ? a : b;
  auto floating = [](const std::string& t) { return t == "double" || t == "float"; };
  if ((ra > 0 || floating(a)) && (rb > 0 || floating(b))) return "double";
  return "string";
}

FileSchema MergeSchemas(const FileSchema& a, const FileSchema& b) {
  FileSchema out = a;
  for (const auto& col : b.columns) {
    auto it = std::find_if(out.columns.begin(), out.columns.end(),
                           [&](const Column& c) { return c.name == col.name; });
    if (it == out.columns.end()) {
      out.columns.push_back(col);
    } else {
      it->type = WidenType(it->type, col.type);
    }
  }
  return out;
}

std::vector<TableLayout> GroupTables(const S3Path& include, const std::vector<LayoutFile>& files,
                                     const GroupingOptions& options) {
  return Grouper(include, files, options).Run();
}

}  // namespace cenote::glue::crawler
