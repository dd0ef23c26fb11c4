// The Snowball English ("Porter2") stemmer behind Trino's word_stem (word_stem.cpp). Internal to src/query.
#pragma once

#include <string>

namespace cenote::query::internal {

// The stem of a lower-case English word, as Snowball's English stemmer gives it ("running" -> "run",
// "generously" -> "generous"); words of fewer than three letters are returned as they are.
std::string EnglishStem(const std::string& word);

}  // namespace cenote::query::internal
