// Trino's word_stem(word[, lang]) for English: the Snowball English ("Porter2") stemmer, as Trino runs it
// through Lucene's Snowball stemmers, written from the algorithm's published description
// (snowballstem.org/algorithms/english/stemmer.html). Other languages are refused (word_stem.hpp).
#include "query/word_stem.hpp"

#include <array>
#include <string>
#include <string_view>
#include <utility>

namespace cenote::query::internal {
namespace {

bool Vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'; }

bool EndsWith(const std::string& w, std::string_view s) {
  return w.size() >= s.size() && w.compare(w.size() - s.size(), s.size(), s) == 0;
}

// The longest of `suffixes` that `w` ends with, or "" (Snowball's `among` picks the longest match; when its
// condition then fails, the step does nothing).
template <std::size_t N>
std::string_view Longest(const std::string& w, const std::array<std::string_view, N>& suffixes) {
  std::string_view best;
  for (std::string_view s : suffixes)
    if (s.size() > best.size() && EndsWith(w, s)) best = s;
  return best;
}

class Stemmer {
 public:
  explicit Stemmer(std::string w) : w_(std::move(w)) {}

  std::string Run() {
    if (Exception1()) return w_;
    if (w_.size() < 3) return w_;
    Prelude();
    MarkRegions();
    Step1a();
    if (!Exception2()) {
      Step1b();
      Step1c();
      Step2();
      Step3();
      Step4();
      Step5();
    }
    for (char& c : w_)
      if (c == 'Y') c = 'y';
    return w_;
  }

 private:
  bool Exception1() {
    static constexpr std::pair<std::string_view, std::string_view> kForms[] = {
        {"skis", "ski"},      {"skies", "sky"},    {"dying", "die"},  {"lying", "lie"},   {"tying", "tie"},
        {"idly", "idl"},      {"gently", "gentl"}, {"ugly", "ugli"},  {"early", "earli"}, {"only", "onli"},
        {"singly", "singl"},  {"sky", "sky"},      {"news", "news"},  {"howe", "howe"},   {"atlas", "atlas"},
        {"cosmos", "cosmos"}, {"bias", "bias"},    {"andes", "andes"}};
    for (const auto& [word, stem] : kForms) {
      if (w_ == word) {
        w_.assign(stem.begin(), stem.end());
        return true;
      }
    }
    return false;
  }

  bool Exception2() const {
    for (std::string_view word :
         {"inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed"})
      if (w_ == word) return true;
    return false;
  }

  void Prelude() {
    if (!w_.empty() && w_[0] == '\'') w_.erase(0, 1);
    if (!w_.empty() && w_[0] == 'y') w_[0] = 'Y';
    for (std::size_t i = 1; i < w_.size(); ++i)
      if (w_[i] == 'y' && Vowel(w_[i - 1])) w_[i] = 'Y';
  }

  // The end of the first vowel-then-non-vowel run at or after `from`: R1's (R2's) start.
  std::size_t RegionAfter(std::size_t from) const {
    std::size_t i = from;
    while (i < w_.size() && !Vowel(w_[i])) ++i;
    while (i < w_.size() && Vowel(w_[i])) ++i;
    return i < w_.size() ? i + 1 : w_.size();
  }

  void MarkRegions() {
    p1_ = std::string::npos;
    for (std::string_view prefix : {"gener", "commun", "arsen"})
      if (w_.compare(0, prefix.size(), prefix) == 0) p1_ = prefix.size();
    if (p1_ == std::string::npos) p1_ = RegionAfter(0);
    p2_ = RegionAfter(p1_);
  }

  bool InR1(std::size_t suffix) const { return w_.size() - suffix >= p1_; }
  bool InR2(std::size_t suffix) const { return w_.size() - suffix >= p2_; }
  void Replace(std::size_t suffix, std::string_view with) {
    std::string out(w_.data(), w_.size() - suffix);
    out.append(with.data(), with.size());
    w_.swap(out);
  }

  // A short syllable ending at `end` (exclusive): non-vowel (not w, x, Y), vowel, non-vowel; or a vowel
  // at the word's start followed by a non-vowel.
  bool ShortSyllableEndingAt(std::size_t end) const {
    if (end >= 3 && !Vowel(w_[end - 1]) && w_[end - 1] != 'w' && w_[end - 1] != 'x' && w_[end - 1] != 'Y' &&
        Vowel(w_[end - 2]) && !Vowel(w_[end - 3]))
      return true;
    return end == 2 && Vowel(w_[0]) && !Vowel(w_[1]);
  }

  bool HasVowel(std::size_t end) const {
    for (std::size_t i = 0; i < end; ++i)
      if (Vowel(w_[i])) return true;
    return false;
  }

  void Step1a() {
    static constexpr std::array<std::string_view, 3> kApostrophe = {"'", "'s", "'s'"};
    if (std::string_view s = Longest(w_, kApostrophe); !s.empty()) Replace(s.size(), "");
    static constexpr std::array<std::string_view, 6> kSuffixes = {"sses", "ied", "ies", "s", "us", "ss"};
    const std::string_view s = Longest(w_, kSuffixes);
    if (s == "sses") {
      Replace(4, "ss");
    } else if (s == "ied" || s == "ies") {
      Replace(3, w_.size() - 3 >= 2 ? "i" : "ie");
    } else if (s == "s") {
      // A vowel before the letter preceding the s.
      if (w_.size() >= 2 && HasVowel(w_.size() - 2)) Replace(1, "");
    }
  }

  void Step1b() {
    static constexpr std::array<std::string_view, 6> kSuffixes = {"eed",  "eedly", "ed",
                                                                  "edly", "ing",   "ingly"};
    const std::string_view s = Longest(w_, kSuffixes);
    if (s.empty()) return;
    if (s == "eed" || s == "eedly") {
      if (InR1(s.size())) Replace(s.size(), "ee");
      return;
    }
    if (!HasVowel(w_.size() - s.size())) return;
    Replace(s.size(), "");
    if (EndsWith(w_, "at") || EndsWith(w_, "bl") || EndsWith(w_, "iz")) {
      w_ += 'e';
      return;
    }
    for (std::string_view d : {"bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt"}) {
      if (EndsWith(w_, d)) {
        w_.pop_back();
        return;
      }
    }
    if (w_.size() == p1_ && ShortSyllableEndingAt(w_.size())) w_ += 'e';
  }

  void Step1c() {
    if (w_.size() < 3 || (w_.back() != 'y' && w_.back() != 'Y')) return;
    if (!Vowel(w_[w_.size() - 2])) w_.back() = 'i';
  }

  void Step2() {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kRules = {{
        {"tional", "tion"}, {"enci", "ence"},   {"anci", "ance"},   {"abli", "able"},   {"entli", "ent"},
        {"izer", "ize"},    {"ization", "ize"}, {"ational", "ate"}, {"ation", "ate"},   {"ator", "ate"},
        {"alism", "al"},    {"aliti", "al"},    {"alli", "al"},     {"fulness", "ful"}, {"ousli", "ous"},
        {"ousness", "ous"}, {"iveness", "ive"}, {"iviti", "ive"},   {"biliti", "ble"},  {"bli", "ble"},
        {"ogi", "og"},      {"fulli", "ful"},   {"lessli", "less"}, {"li", ""},
    }};
    const std::pair<std::string_view, std::string_view>* best = nullptr;
    for (const auto& rule : kRules)
      if (EndsWith(w_, rule.first) && (best == nullptr || rule.first.size() > best->first.size()))
        best = &rule;
    if (best == nullptr || !InR1(best->first.size())) return;
    const auto& [suffix, with] = *best;
    const std::size_t before = w_.size() - suffix.size();
    if (suffix == "ogi" && (before == 0 || w_[before - 1] != 'l')) return;
    if (suffix == "li") {
      static constexpr std::string_view kLiEndings = "cdeghkmnrt";
      if (before == 0 || kLiEndings.find(w_[before - 1]) == std::string_view::npos) return;
    }
    Replace(suffix.size(), with);
  }

  void Step3() {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kRules = {{
        {"tional", "tion"},
        {"ational", "ate"},
        {"alize", "al"},
        {"icate", "ic"},
        {"iciti", "ic"},
        {"ical", "ic"},
        {"ful", ""},
        {"ness", ""},
        {"ative", ""},
    }};
    const std::pair<std::string_view, std::string_view>* best = nullptr;
    for (const auto& rule : kRules)
      if (EndsWith(w_, rule.first) && (best == nullptr || rule.first.size() > best->first.size()))
        best = &rule;
    if (best == nullptr || !InR1(best->first.size())) return;
    if (best->first == "ative" && !InR2(best->first.size())) return;
    Replace(best->first.size(), best->second);
  }

  void Step4() {
    static constexpr std::array<std::string_view, 18> kSuffixes = {
        "al",   "ance", "ence", "er",  "ic",  "able", "ible", "ant", "ement",
        "ment", "ent",  "ism",  "ate", "iti", "ous",  "ive",  "ize", "ion"};
    const std::string_view s = Longest(w_, kSuffixes);
    if (s.empty() || !InR2(s.size())) return;
    if (s == "ion") {
      const std::size_t before = w_.size() - 3;
      if (before == 0 || (w_[before - 1] != 's' && w_[before - 1] != 't')) return;
    }
    Replace(s.size(), "");
  }

  void Step5() {
    if (EndsWith(w_, "e")) {
      if (InR2(1) || (InR1(1) && !ShortSyllableEndingAt(w_.size() - 1))) w_.pop_back();
    } else if (EndsWith(w_, "l")) {
      if (InR2(1) && w_.size() >= 2 && w_[w_.size() - 2] == 'l') w_.pop_back();
    }
  }

  std::string w_;
  std::size_t p1_ = 0;
  std::size_t p2_ = 0;
};

}  // namespace

std::string EnglishStem(const std::string& word) { return Stemmer(word).Run(); }

}  // namespace cenote::query::internal
