#include "services/states/result_files.hpp"

namespace cenote::states {

std::vector<std::string> ResultFileBodies(const boost::json::array& entries, bool jsonl,
                                          std::uint64_t limit) {
  std::vector<std::string> files;
  std::string body;
  std::size_t in_body = 0;
  auto close = [&] {
    if (in_body == 0) return;
    if (!jsonl) body.push_back(']');
    files.push_back(std::move(body));
    body.clear();
    in_body = 0;
  };
  for (const auto& e : entries) {
    const std::string text = boost::json::serialize(e);
    // What the file grows by with this entry: its text and a newline, or a separator (the brackets are
    // counted with the first entry).
    const std::uint64_t growth = text.size() + (jsonl ? 1 : (in_body == 0 ? 2 : 1));
    if (in_body > 0 && body.size() + growth > limit) close();
    if (jsonl) {
      body.append(text).push_back('\n');
    } else {
      body.push_back(in_body == 0 ? '[' : ',');
      body.append(text);
    }
    ++in_body;
  }
  close();
  return files;
}

}  // namespace cenote::states
