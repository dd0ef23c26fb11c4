// Shared helpers for the sigv4 tests.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aws/sigv4/sigv4.hpp"
#include "http/message.hpp"

namespace cenote::aws::sigv4::testing {

// Serves `data` in reads of at most sizes[i % sizes.size()] bytes (the inner HTTP reader may return any
// size).
class ChoppyReader final : public http::BodyReader {
 public:
  ChoppyReader(std::string data, std::vector<std::size_t> sizes)
      : data_(std::move(data)), sizes_(std::move(sizes)) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    std::size_t limit = sizes_.empty() ? n : sizes_[calls_++ % sizes_.size()];
    std::size_t k = std::min({n, limit, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  std::optional<std::uint64_t> Length() const override { return data_.size(); }

 private:
  std::string data_;
  std::vector<std::size_t> sizes_;
  std::size_t pos_ = 0;
  std::size_t calls_ = 0;
};

class FakeCredentials final : public CredentialProvider {
 public:
  void Add(std::string akid, std::string secret, std::string token = "") {
    SecretRecord r;
    r.secret_access_key = std::move(secret);
    r.session_token = std::move(token);
    r.principal.account_id = "000000000000";
    r.principal.arn = "arn:aws:iam::000000000000:root";
    r.principal.is_root = true;
    r.principal.type = iam::PrincipalType::kRoot;
    records_[akid] = r;
  }
  std::optional<SecretRecord> Lookup(std::string_view akid) const override {
    auto it = records_.find(std::string(akid));
    if (it == records_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, SecretRecord> records_;
};

inline http::HttpRequest MakeRequest(std::string method, std::string target,
                                     std::vector<std::pair<std::string, std::string>> headers,
                                     std::string body = "", std::vector<std::size_t> read_sizes = {}) {
  http::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  for (auto& [k, v] : headers) r.headers.Add(k, v);
  r.body = std::make_unique<ChoppyReader>(std::move(body), std::move(read_sizes));
  return r;
}

// Reads the whole (possibly decoded) body with reads of `chunk` bytes.
inline Result<std::string> Drain(http::BodyReader& body, std::size_t chunk = 8192) {
  std::string out;
  std::vector<char> buf(chunk);
  for (int guard = 0; guard < 10'000'000; ++guard) {
    auto r = body.Read(buf.data(), buf.size());
    if (!r) return r.error();
    if (*r == 0) return out;
    out.append(buf.data(), *r);
  }
  return InternalError("runaway read loop");
}

inline std::chrono::system_clock::time_point At(int y, int mo, int d, int h, int mi, int s) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

inline AuthOptions OptionsAt(std::chrono::system_clock::time_point now, ErrorStyle style) {
  AuthOptions o;
  o.now = [now] { return now; };
  o.style = style;
  return o;
}

}  // namespace cenote::aws::sigv4::testing
