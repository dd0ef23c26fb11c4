// Test-only stand-in for src/http's message.cpp, compiled only while cenote_http is still a placeholder
// (INTERFACE) library, so that the protocol tests link on their own. Same contracts as message.hpp.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "http/message.hpp"

namespace cenote::http {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& e : entries_) {
    if (EqualsIgnoreCase(e.name, name)) return std::string_view(e.value);
  }
  return std::nullopt;
}

std::vector<std::string_view> Headers::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& e : entries_) {
    if (EqualsIgnoreCase(e.name, name)) out.emplace_back(e.value);
  }
  return out;
}

void Headers::Add(std::string name, std::string value) {
  entries_.push_back({std::move(name), std::move(value)});
}

void Headers::Set(std::string name, std::string value) {
  Remove(name);
  Add(std::move(name), std::move(value));
}

void Headers::Remove(std::string_view name) {
  std::erase_if(entries_, [&](const Entry& e) { return EqualsIgnoreCase(e.name, name); });
}

Result<std::size_t> StringBody::Read(char* buf, std::size_t n) {
  std::size_t k = std::min(n, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

std::string_view HttpRequest::Path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::Query() const {
  std::string_view t = target;
  auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

}  // namespace cenote::http
