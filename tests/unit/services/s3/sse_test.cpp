// The encrypted piece format and the keys of server-side encryption (sse.hpp).
#include "services/s3/sse.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include <sys/stat.h>

#include "common/random.hpp"

namespace cenote::s3 {
namespace {

namespace fs = std::filesystem;

// A piece held in memory, read like a blob.
class MemoryReader final : public store::BlobReader {
 public:
  explicit MemoryReader(std::string bytes) : bytes_(std::move(bytes)) {}
  std::uint64_t size() const override { return bytes_.size(); }
  Result<std::size_t> ReadAt(std::uint64_t offset, char* buf, std::size_t n) override {
    if (offset >= bytes_.size()) return std::size_t{0};
    n = std::min<std::size_t>(n, bytes_.size() - offset);
    // Short reads, as a file may give: at most 10,000 bytes a call.
    n = std::min<std::size_t>(n, 10000);
    std::copy_n(bytes_.data() + offset, n, buf);
    return n;
  }
  int fd() const override { return 42; }

 private:
  std::string bytes_;
};

std::unique_ptr<store::BlobReader> Reader(const std::string& piece, std::uint64_t plaintext_size,
                                          const DataKey& key) {
  return MakeDecryptingReader(std::make_shared<MemoryReader>(piece), plaintext_size, key);
}

Result<std::string> ReadRange(store::BlobReader& r, std::uint64_t offset, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  for (int i = 0; i < 100000 && got < n; ++i) {
    CENOTE_ASSIGN_OR_RETURN(auto k, r.ReadAt(offset + got, out.data() + got, n - got));
    if (k == 0) break;
    got += k;
  }
  out.resize(got);
  return out;
}

TEST(Sse, PiecesRoundTripAtEverySegmentBoundary) {
  const DataKey key = DataKey::Random();
  const std::size_t s = kSseSegmentSize;
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{13}, s - 1, s, s + 1, 3 * s, 3 * s + 7}) {
    const std::string plain = RandomBytes(size);
    const std::string piece = EncryptPiece(key, plain).value();
    EXPECT_EQ(piece.size(), SseCiphertextSize(size)) << size;
    if (size >= 16) {
      EXPECT_EQ(piece.find(plain.substr(0, 16)), std::string::npos) << "plaintext in the piece";
    }
    auto r = Reader(piece, size, key);
    EXPECT_EQ(r->size(), size);
    EXPECT_EQ(r->fd(), -1);
    auto all = ReadRange(*r, 0, size);
    ASSERT_TRUE(all.ok()) << all.error().message;
    EXPECT_EQ(*all, plain) << size;
  }
}

TEST(Sse, StreamedAndWholeEncryptionReadTheSame) {
  const DataKey key = DataKey::Random();
  const std::string plain = RandomBytes(5 * kSseSegmentSize + 123);
  EncryptingSink sink(key);
  std::string piece;
  std::mt19937 rng(7);
  for (std::size_t at = 0; at < plain.size();) {
    const std::size_t n = std::min<std::size_t>(plain.size() - at, rng() % 100000);
    ASSERT_TRUE(sink.Update(plain.data() + at, n, piece).ok());
    at += n;
  }
  ASSERT_TRUE(sink.Finish(piece).ok());
  EXPECT_EQ(piece.size(), SseCiphertextSize(plain.size()));
  auto r = Reader(piece, plain.size(), key);
  auto all = ReadRange(*r, 0, plain.size());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, plain);
}

TEST(Sse, AnyRangeReadsOnlyWhatItAsksFor) {
  const DataKey key = DataKey::Random();
  const std::string plain = RandomBytes(4 * kSseSegmentSize + 999);
  const std::string piece = EncryptPiece(key, plain).value();
  auto r = Reader(piece, plain.size(), key);
  std::mt19937 rng(11);
  for (int i = 0; i < 200; ++i) {
    const std::uint64_t offset = rng() % plain.size();
    const std::size_t n = rng() % (2 * kSseSegmentSize);
    auto got = ReadRange(*r, offset, n);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, plain.substr(offset, n)) << offset << "+" << n;
  }
  auto past = ReadRange(*r, plain.size(), 10);
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(*past, "");
}

TEST(Sse, AlteredTruncatedOrForeignPiecesAreRefused) {
  const DataKey key = DataKey::Random();
  const std::string plain = RandomBytes(2 * kSseSegmentSize + 5);
  const std::string piece = EncryptPiece(key, plain).value();
  std::string flipped = piece;
  flipped[kSseHeaderSize + kSseSegmentSize + kSseTagSize + 3] ^= 1;  // a byte of the second segment
  auto r = Reader(flipped, plain.size(), key);
  EXPECT_TRUE(ReadRange(*r, 0, 100).ok());  // the first segment is intact
  EXPECT_FALSE(ReadRange(*r, kSseSegmentSize, 100).ok());
  auto truncated = Reader(piece.substr(0, piece.size() - 1), plain.size(), key);
  EXPECT_FALSE(ReadRange(*truncated, 2 * kSseSegmentSize, 5).ok());
  auto wrong_key = Reader(piece, plain.size(), DataKey::Random());
  EXPECT_FALSE(ReadRange(*wrong_key, 0, 1).ok());
  // Segments swapped: the index in the nonce catches it.
  std::string swapped = piece;
  const std::size_t seg = kSseSegmentSize + kSseTagSize;
  std::swap_ranges(swapped.begin() + kSseHeaderSize, swapped.begin() + kSseHeaderSize + seg,
                   swapped.begin() + kSseHeaderSize + seg);
  auto reordered = Reader(swapped, plain.size(), key);
  EXPECT_FALSE(ReadRange(*reordered, 0, 1).ok());
  auto no_header = Reader(std::string(piece.size(), 'x'), plain.size(), key);
  EXPECT_FALSE(ReadRange(*no_header, 0, 1).ok());
}

TEST(Sse, TwoEncryptionsOfTheSameBytesDiffer) {
  const DataKey key = DataKey::Random();
  const std::string plain(1000, 'A');
  EXPECT_NE(EncryptPiece(key, plain).value(),
            EncryptPiece(key, plain).value());  // a random nonce prefix per piece
}

TEST(Sse, WrappedKeysUnwrapOnlyUnderTheirKey) {
  const DataKey kek = DataKey::Random();
  const DataKey key = DataKey::Random();
  const std::string wrapped = WrapKey(kek, key).value();
  ASSERT_FALSE(wrapped.empty());
  auto back = UnwrapKey(kek, wrapped);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(back->data()), 32),
            std::string(reinterpret_cast<const char*>(key.data()), 32));
  EXPECT_FALSE(UnwrapKey(DataKey::Random(), wrapped).has_value());
  EXPECT_FALSE(UnwrapKey(kek, "not base64 at all!").has_value());
  EXPECT_FALSE(UnwrapKey(kek, wrapped.substr(0, wrapped.size() - 4)).has_value());
}

TEST(Sse, TheRootKeyIsMadeOnceInAPrivateFile) {
  const fs::path dir = fs::temp_directory_path() / ("cenote_sse_test_" + RandomHex(8));
  fs::create_directories(dir);
  const std::string path = (dir / "sse-root.key").string();
  auto first = RootKey::Load(path);
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto again = RootKey::Load(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->id(), again->id());
  const DataKey key = DataKey::Random();
  EXPECT_TRUE(UnwrapKey(again->key(), WrapKey(first->key(), key).value()).has_value());
  // A damaged key file is an error, never a new key that would orphan every encrypted object.
  fs::resize_file(path, 31);
  EXPECT_FALSE(RootKey::Load(path).ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cenote::s3
