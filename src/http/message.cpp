#include "http/message.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>

namespace cenote::http {

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (EqualsIgnoreAsciiCase(e.name, name)) return std::string_view(e.value);
  }
  return std::nullopt;
}

std::vector<std::string_view> Headers::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const Entry& e : entries_) {
    if (EqualsIgnoreAsciiCase(e.name, name)) out.emplace_back(e.value);
  }
  return out;
}

void Headers::Add(std::string name, std::string value) {
  entries_.push_back(Entry{std::move(name), std::move(value)});
}

void Headers::Set(std::string name, std::string value) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return EqualsIgnoreAsciiCase(e.name, name); });
  if (it == entries_.end()) {
    Add(std::move(name), std::move(value));
    return;
  }
  it->name = std::move(name);
  it->value = std::move(value);
  // Later duplicates go; the first position is kept so the header order stays stable.
  std::string_view kept = it->name;
  auto first_dup = std::remove_if(it + 1, entries_.end(),
                                  [&](const Entry& e) { return EqualsIgnoreAsciiCase(e.name, kept); });
  entries_.erase(first_dup, entries_.end());
}

void Headers::Remove(std::string_view name) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return EqualsIgnoreAsciiCase(e.name, name); }),
                 entries_.end());
}

Result<std::string> ReadAll(BodyReader& body, std::size_t limit, const char* too_large_code) {
  std::string out;
  if (auto len = body.Length(); len && *len <= limit) out.reserve(static_cast<std::size_t>(*len));
  char buf[64 * 1024];
  while (true) {
    Result<std::size_t> n = body.Read(buf, sizeof(buf));
    if (!n) return std::move(n).error();
    if (*n == 0) break;
    if (out.size() + *n > limit) {
      return MakeError(too_large_code, "Your request was too large.", 400);
    }
    out.append(buf, *n);
  }
  return out;
}

Result<std::size_t> StringBody::Read(char* buf, std::size_t n) {
  std::size_t count = std::min(n, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, count);
  pos_ += count;
  return count;
}

Result<std::size_t> StringReader::Read(char* buf, std::size_t n) {
  std::size_t count = std::min(n, data_.size() - pos_);
  if (count > 0) std::memcpy(buf, data_.data() + pos_, count);
  pos_ += count;
  return count;
}

std::string_view HttpRequest::Path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::Query() const {
  std::string_view t = target;
  std::size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

const std::string& HttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached.assign(buf, n);
    cached_second = now;
  }
  return cached;
}

}  // namespace cenote::http
