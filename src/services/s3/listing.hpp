// The delimiter-aware paginator behind every S3 listing.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "services/s3/internal.hpp"

namespace cenote::s3 {

// Rows in listing order, read in bounded batches. Next() continues after the last row it returned;
// SkipTo() moves the position to the first row whose key is >= `key` (used to jump past a common prefix).
template <typename Row>
class ListCursor {
 public:
  virtual ~ListCursor() = default;
  virtual Result<std::vector<Row>> Next(std::size_t limit) = 0;
  virtual void SkipTo(const std::string& key) = 0;
  virtual const std::string& KeyOf(const Row& row) const = 0;
};

template <typename Row>
struct ListPage {
  std::vector<Row> items;
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string last;  // key (or common prefix) of the last entry returned: the next page's marker
  bool last_is_prefix = false;
};

// Groups keys containing `delimiter` after `prefix` into common prefixes and returns up to `max` entries
// (rows + prefixes). A common prefix that sorts at or before `marker` was returned by an earlier page and
// is skipped, as S3 does when a NextMarker / continuation token names a common prefix.
template <typename Row>
Result<ListPage<Row>> Paginate(ListCursor<Row>& cursor, const std::string& prefix,
                               const std::string& delimiter, const std::string& marker, std::int64_t max) {
  ListPage<Row> page;
  if (max <= 0) return page;
  std::size_t count = 0;
  for (;;) {
    const std::size_t limit =
        std::min<std::size_t>(static_cast<std::size_t>(max) - std::min<std::size_t>(count, max) + 1, 1000);
    auto rows = cursor.Next(limit);
    if (!rows) return std::move(rows).error();
    if (rows->empty()) return page;
    bool skipped = false;
    for (auto& row : *rows) {
      const std::string& key = cursor.KeyOf(row);
      if (!delimiter.empty()) {
        auto pos = key.find(delimiter, prefix.size());
        if (pos != std::string::npos) {
          std::string cp = key.substr(0, pos + delimiter.size());
          if (cp > marker) {
            if (count == static_cast<std::size_t>(max)) {
              page.truncated = true;
              return page;
            }
            page.prefixes.push_back(cp);
            ++count;
            page.last = cp;
            page.last_is_prefix = true;
          }
          std::string next = PrefixSuccessor(cp);
          if (next.empty()) return page;
          cursor.SkipTo(next);
          skipped = true;
          break;
        }
      }
      if (count == static_cast<std::size_t>(max)) {
        page.truncated = true;
        return page;
      }
      page.last = key;
      page.last_is_prefix = false;
      page.items.push_back(std::move(row));
      ++count;
    }
    if (!skipped && rows->size() < limit) return page;
  }
}

}  // namespace cenote::s3
