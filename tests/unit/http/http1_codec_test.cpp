#include "http/http1_codec.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cenote::http {
namespace {

constexpr std::size_t kMaxLine = 8192;

// The status ParseRequestHead answers for `head`: 0 when it parses.
int Status(std::string_view head) {
  auto r = ParseRequestHead(head);
  return r ? 0 : r.error().http_status;
}

RequestHead Parse(std::string_view head) {
  auto r = ParseRequestHead(head);
  EXPECT_TRUE(r.ok()) << head << ": " << (r ? "" : r.error().message);
  return r ? std::move(r).value() : RequestHead{};
}

struct Decoded {
  std::string body;
  Headers trailers;
  std::optional<Error> error;
};

// Decodes one body from `in` with reads of `read_size` bytes.
Decoded DecodeBody(RequestBodyDecoder& decoder, ConnectionInput& in, std::size_t read_size = 4096) {
  Decoded out;
  std::vector<char> buf(read_size);
  for (int guard = 0; guard < 1'000'000; ++guard) {
    auto r = decoder.Read(in, buf.data(), buf.size());
    if (!r) {
      out.error = r.error();
      return out;
    }
    if (*r == 0) break;
    out.body.append(buf.data(), *r);
  }
  if (const Headers* t = decoder.Trailers()) out.trailers = *t;
  return out;
}

Decoded DecodeChunked(std::string wire, std::vector<std::size_t> pieces = {}, std::size_t read_size = 4096,
                      std::size_t max_line = kMaxLine) {
  MemoryInput in(std::move(wire), std::move(pieces));
  RequestBodyDecoder decoder(BodyKind::kChunked, 0, max_line);
  return DecodeBody(decoder, in, read_size);
}

// Piece sizes that split a stream at every kind of boundary.
const std::vector<std::vector<std::size_t>> kSplits = {{}, {1}, {2}, {3}, {1, 7}, {5, 1, 2}};

// ---- Request line ----

TEST(Http1CodecTest, ParsesRequestLineAndFields) {
  RequestHead h = Parse("GET /b/k?list-type=2&x=%2F HTTP/1.1\r\nHost: example.com\r\nX-A:  v  \r\n\r\n");
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/b/k?list-type=2&x=%2F");
  EXPECT_EQ(h.version, 11);
  EXPECT_EQ(h.headers.Get("host"), "example.com");
  EXPECT_EQ(h.headers.Get("x-a"), "v");  // optional whitespace trimmed on both sides
  EXPECT_EQ(h.body_kind, BodyKind::kNone);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.expect_continue);
}

TEST(Http1CodecTest, MethodsAreTokensKeptAsSent) {
  for (const char* method : {"GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH", "M-SEARCH", "get"}) {
    EXPECT_EQ(Parse(std::string(method) + " / HTTP/1.1\r\n\r\n").method, method);
  }
  for (const char* method : {"GE(T", "G\"T", "G/T", "G:T", "G\x01T", "G\x7fT", "G\xc3\xa9T"}) {
    EXPECT_EQ(Status(std::string(method) + " / HTTP/1.1\r\n\r\n"), 400) << method;
  }
}

TEST(Http1CodecTest, TargetsInEveryFormAreKeptRaw) {
  for (const char* target :
       {"/", "*", "http://h:4566/b/k?q", "h:443", "/a//b/../c/", "/k%20%E2%9C%93", "/\xe2\x9c\x93", "/?"}) {
    EXPECT_EQ(Parse(std::string("OPTIONS ") + target + " HTTP/1.1\r\n\r\n").target, target);
  }
  // Controls (including a bare CR or a tab) and DEL are not part of any target.
  for (const char* target : {"/a\tb", "/a\rb", "/a\x01", "/a\x7f"}) {
    EXPECT_EQ(Status(std::string("GET ") + target + " HTTP/1.1\r\n\r\n"), 400);
  }
}

TEST(Http1CodecTest, MalformedRequestLinesAre400) {
  for (const char* line : {"", "GET", "GET /", "GET / ", " GET / HTTP/1.1", "GET  / HTTP/1.1",
                           "GET /  HTTP/1.1", "GET / HTTP/1.1 ", "GET / HTTP/1.1 x", "GET /a b HTTP/1.1",
                           "GET / http/1.1", "GET / HTTP/1.10", "GET / HTTP/1", "GET / HTTP/1.1\r"}) {
    EXPECT_EQ(Status(std::string(line) + "\r\n\r\n"), 400) << line;
  }
}

TEST(Http1CodecTest, OtherHttpVersionsAre505) {
  EXPECT_EQ(Parse("GET / HTTP/1.0\r\n\r\n").version, 10);
  EXPECT_EQ(Status("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(Status("GET / HTTP/1.2\r\n\r\n"), 505);
  EXPECT_EQ(Status("GET / HTTP/0.9\r\n\r\n"), 505);
}

// ---- Field lines ----

TEST(Http1CodecTest, DuplicateFieldsAreKeptInOrder) {
  RequestHead h = Parse("GET / HTTP/1.1\r\nX-Amz-Meta-A: 1\r\nx-amz-meta-a: 2\r\nAccept: a, b\r\n\r\n");
  auto all = h.headers.GetAll("X-AMZ-META-A");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], "1");
  EXPECT_EQ(all[1], "2");
  EXPECT_EQ(h.headers.Get("accept"), "a, b");  // lists are not split
  EXPECT_EQ(h.headers.size(), 3u);
}

TEST(Http1CodecTest, ObsoleteLineFoldingIsRefused) {
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n"), 400);
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nX-A: one\r\n\ttwo\r\n\r\n"), 400);
  EXPECT_EQ(Status("GET / HTTP/1.1\r\n X-A: one\r\n\r\n"), 400);
}

TEST(Http1CodecTest, MalformedFieldLinesAre400) {
  for (const char* field : {"X-A : v", "X A: v", ": v", "no-colon", "X-A\x01: v", "X-\xc3\xa9: v",
                            "X-A: a\x01", "X-A: a\rb", "X-A: a\x7f", "X-A: v\r"}) {
    EXPECT_EQ(Status(std::string("GET / HTTP/1.1\r\n") + field + "\r\n\r\n"), 400) << field;
  }
  // Tabs, empty values, obs-text and colons inside values are fine.
  RequestHead h = Parse("GET / HTTP/1.1\r\nX-A: a\tb\r\nX-B:\r\nX-C: caf\xc3\xa9\r\nX-D: a:b::\r\n\r\n");
  EXPECT_EQ(h.headers.Get("x-a"), "a\tb");
  EXPECT_EQ(h.headers.Get("x-b"), "");
  EXPECT_EQ(h.headers.Get("x-c"), "caf\xc3\xa9");
  EXPECT_EQ(h.headers.Get("x-d"), "a:b::");
}

TEST(Http1CodecTest, MoreThanOneHostIsRefused) {
  EXPECT_EQ(Status("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
  EXPECT_EQ(Status("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\n\r\n").headers.Has("host"), false);  // absent: the router decides
}

TEST(Http1CodecTest, BareLfLineEndingsAreAccepted) {
  RequestHead h = Parse("PUT /k HTTP/1.1\nHost: x\r\nContent-Length: 3\n\n");
  EXPECT_EQ(h.target, "/k");
  EXPECT_EQ(h.headers.Get("host"), "x");
  EXPECT_EQ(h.body_kind, BodyKind::kLength);
  EXPECT_EQ(h.content_length, 3u);
}

TEST(Http1CodecTest, TerminatorMayBeLeftOff) {
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: x").headers.Get("host"), "x");
  EXPECT_EQ(Parse("GET / HTTP/1.1").method, "GET");
}

TEST(Http1CodecTest, LargeHeadsParseWhole) {
  // The size limit is the caller's (the server answers 431 past max_header_bytes); the parser itself
  // takes whatever complete head it is given.
  std::string head = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 2000; ++i) head += "X-H" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  head += "\r\n";
  EXPECT_EQ(Parse(head).headers.size(), 2000u);
}

// ---- Body framing ----

TEST(Http1CodecTest, ContentLength) {
  EXPECT_EQ(Parse("PUT / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").body_kind, BodyKind::kNone);
  RequestHead h = Parse("PUT / HTTP/1.1\r\nContent-Length: 999999999999999999\r\n\r\n");
  EXPECT_EQ(h.body_kind, BodyKind::kLength);
  EXPECT_EQ(h.content_length, 999999999999999999u);
  // RFC 9110 8.6: a list of identical values (or repeated identical fields) is that value.
  EXPECT_EQ(Parse("PUT / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n").content_length, 5u);
  EXPECT_EQ(Parse("PUT / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n").content_length, 5u);
  for (const char* value : {"", " ", "5, 6", "-1", "+5", "0x10", "5 5", "1e3", "1000000000000000000",
                            "99999999999999999999999", ","}) {
    EXPECT_EQ(Status(std::string("PUT / HTTP/1.1\r\nContent-Length: ") + value + "\r\n\r\n"), 400) << value;
  }
  EXPECT_EQ(Status("PUT / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
}

TEST(Http1CodecTest, TransferEncoding) {
  EXPECT_EQ(Parse("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").body_kind, BodyKind::kChunked);
  EXPECT_EQ(Parse("PUT / HTTP/1.1\r\nTransfer-Encoding: Chunked \r\n\r\n").body_kind, BodyKind::kChunked);
  // Codings we cannot decode: 501. Framing that cannot be trusted: 400.
  EXPECT_EQ(Status("PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(Status("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 501);
  EXPECT_EQ(Status("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"), 501);
  EXPECT_EQ(Status("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            501);
  EXPECT_EQ(Status("PUT / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n"), 501);
  EXPECT_EQ(Status("PUT / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n"), 400);
  // Both: the request smuggling vector of RFC 9112 6.3 / 11.2.
  EXPECT_EQ(Status("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 400);
  EXPECT_EQ(Status("PUT / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

TEST(Http1CodecTest, ConnectionPersistence) {
  EXPECT_TRUE(Parse("GET / HTTP/1.1\r\n\r\n").keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: TE, Close\r\n\r\n").keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
  // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is served, then the connection closes.
  RequestHead old = Parse("PUT / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(old.body_kind, BodyKind::kChunked);
  EXPECT_FALSE(old.keep_alive);
}

TEST(Http1CodecTest, ExpectContinue) {
  EXPECT_TRUE(Parse("PUT / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n").expect_continue);
  EXPECT_TRUE(Parse("PUT / HTTP/1.1\r\nexpect:  100-Continue \r\nContent-Length: 0\r\n\r\n").expect_continue);
  EXPECT_FALSE(Parse("PUT / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n").expect_continue);
  EXPECT_FALSE(Parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect_continue);  // no 1xx in 1.0
}

TEST(Http1CodecTest, ParseContentLengthValues) {
  EXPECT_EQ(ParseContentLength("0"), 0u);
  EXPECT_EQ(ParseContentLength(" 42\t"), 42u);
  EXPECT_EQ(ParseContentLength("000000000000000007"), 7u);
  EXPECT_EQ(ParseContentLength("0000000000000000007"), std::nullopt);  // 19 digits
  EXPECT_EQ(ParseContentLength(""), std::nullopt);
  EXPECT_EQ(ParseContentLength("4 2"), std::nullopt);
}

// ---- Finding heads ----

TEST(Http1CodecTest, FindHeadEndAcceptsEveryTerminator) {
  for (const char* head : {"GET / HTTP/1.1\r\nA: b\r\n\r\n", "GET / HTTP/1.1\nA: b\n\n",
                           "GET / HTTP/1.1\r\nA: b\n\r\n", "GET / HTTP/1.1\nA: b\r\n\n"}) {
    std::string buffered = std::string(head) + "NEXT";
    EXPECT_EQ(FindHeadEnd(buffered).end, std::string_view(head).size()) << head;
  }
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nA: b\r\r").end, 0u);  // CR alone ends nothing
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nA: b\r\n").end, 0u);
  EXPECT_EQ(FindHeadEnd("").end, 0u);
}

TEST(Http1CodecTest, FindHeadEndResumesAcrossPieces) {
  const std::string head = "PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n";
  const std::string wire = head + "abc";
  for (std::size_t step : {1u, 2u, 3u, 5u}) {
    std::size_t resume = 0;
    std::size_t end = 0;
    for (std::size_t have = step; end == 0 && have < wire.size() + step; have += step) {
      HeadSearch s = FindHeadEnd(std::string_view(wire).substr(0, std::min(have, wire.size())), resume);
      end = s.end;
      resume = s.resume;
    }
    EXPECT_EQ(end, head.size()) << step;
  }
}

TEST(Http1CodecTest, EmptyLinesBeforeARequestAreSkipped) {
  EXPECT_EQ(LeadingEmptyLines("\r\n\r\n\nGET / HTTP/1.1\r\n"), 5u);
  EXPECT_EQ(LeadingEmptyLines("GET"), 0u);
  EXPECT_EQ(LeadingEmptyLines("\r\r\n"), 3u);
  EXPECT_EQ(LeadingEmptyLines(""), 0u);
}

// ---- Bodies ----

TEST(Http1CodecTest, ContentLengthBodyStopsAtItsLength) {
  for (const auto& pieces : kSplits) {
    MemoryInput in("hello, worldGET /next", pieces);
    RequestBodyDecoder decoder(BodyKind::kLength, 12, kMaxLine);
    EXPECT_EQ(decoder.Length(), 12u);
    Decoded d = DecodeBody(decoder, in, 5);
    EXPECT_FALSE(d.error);
    EXPECT_EQ(d.body, "hello, world");
    EXPECT_TRUE(decoder.done());
    EXPECT_EQ(decoder.remaining(), 0u);
    // What follows the body stays for the next request.
    std::string rest(in.Buffered());
    while (in.Undelivered() > 0) {
      (void)in.Fill();
      rest = std::string(in.Buffered());
    }
    EXPECT_EQ(rest, "GET /next");
  }
}

TEST(Http1CodecTest, TruncatedContentLengthBodyIsIncomplete) {
  MemoryInput in("abc", {2});
  RequestBodyDecoder decoder(BodyKind::kLength, 10, kMaxLine);
  Decoded d = DecodeBody(decoder, in);
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->code, "IncompleteBody");
  EXPECT_EQ(d.body, "abc");
  // The failure is sticky.
  char c;
  auto again = decoder.Read(in, &c, 1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "IncompleteBody");
  EXPECT_TRUE(decoder.failed());
}

TEST(Http1CodecTest, EmptyBodyReadsNothing) {
  MemoryInput in("GET / HTTP/1.1\r\n\r\n");
  RequestBodyDecoder decoder(BodyKind::kNone, 0, kMaxLine);
  EXPECT_TRUE(decoder.done());
  EXPECT_EQ(decoder.Length(), 0u);
  const std::size_t undelivered = in.Undelivered();
  char buf[8];
  EXPECT_EQ(*decoder.Read(in, buf, sizeof buf), 0u);
  EXPECT_EQ(in.Undelivered(), undelivered);  // nothing filled or consumed
  EXPECT_EQ(in.Buffered(), "");
}

TEST(Http1CodecTest, ChunkedBodyAtEverySplit) {
  const std::string wire = "5\r\nhello\r\nA\r\n, chunked!\r\n0\r\n\r\n";
  for (const auto& pieces : kSplits) {
    for (std::size_t read_size : {1u, 3u, 4096u}) {
      Decoded d = DecodeChunked(wire, pieces, read_size);
      EXPECT_FALSE(d.error) << (d.error ? d.error->message : "");
      EXPECT_EQ(d.body, "hello, chunked!");
      EXPECT_EQ(d.trailers.size(), 0u);
    }
  }
}

TEST(Http1CodecTest, ChunkSizesInHexAnyCase) {
  EXPECT_EQ(DecodeChunked("a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n").body, "0123456789abcdefghijk");
  EXPECT_EQ(DecodeChunked("0003\r\nabc\r\n000\r\n\r\n").body, "abc");
  // 15 digits are accepted (the body then ends early); 16 would risk overflow and are refused.
  Decoded big = DecodeChunked("fffffffffffffff\r\nabc");
  ASSERT_TRUE(big.error);
  EXPECT_EQ(big.error->code, "IncompleteBody");
  EXPECT_EQ(big.body, "abc");
  Decoded overflow = DecodeChunked("10000000000000000\r\nabc");
  ASSERT_TRUE(overflow.error);
  EXPECT_EQ(overflow.error->code, "InvalidRequest");
  EXPECT_EQ(overflow.body, "");
  Decoded padded = DecodeChunked("0000000000000003\r\nabc\r\n0\r\n\r\n");  // 16 digits, even if small
  ASSERT_TRUE(padded.error);
  EXPECT_EQ(padded.error->code, "InvalidRequest");
}

TEST(Http1CodecTest, ChunkExtensionsAreSkipped) {
  Decoded d = DecodeChunked("5;name=value\r\nhello\r\n3 ; a ; b=\"q;x\"\r\nabc\r\n0;last\r\n\r\n");
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.body, "helloabc");
}

TEST(Http1CodecTest, BadChunkSizeLinesAreInvalid) {
  for (const char* line : {"", " 5", "zz", "0x5", "5x", "-5", "5 x", "+5", "\t5"}) {
    Decoded d = DecodeChunked(std::string(line) + "\r\nhello\r\n0\r\n\r\n");
    ASSERT_TRUE(d.error) << line;
    EXPECT_EQ(d.error->code, "InvalidRequest") << line;
    EXPECT_EQ(d.body, "");
  }
}

TEST(Http1CodecTest, ChunkDataMustEndWithALineEnd) {
  for (const char* wire :
       {"5\r\nhelloX\r\n0\r\n\r\n", "5\r\nhelloXY0\r\n\r\n", "5\r\nhello\r\r\n0\r\n\r\n"}) {
    Decoded d = DecodeChunked(wire);
    ASSERT_TRUE(d.error) << wire;
    EXPECT_EQ(d.error->code, "InvalidRequest");
  }
  // A bare LF is a line end here too.
  Decoded lf = DecodeChunked("5\nhello\n0\n\n", {1});
  EXPECT_FALSE(lf.error);
  EXPECT_EQ(lf.body, "hello");
}

TEST(Http1CodecTest, TrailersAreParsedAndKept) {
  for (const auto& pieces : kSplits) {
    Decoded d = DecodeChunked("3\r\nabc\r\n0\r\nx-amz-checksum-crc32: NSRBwg==\r\nX-B:\tz \r\n\r\n", pieces);
    EXPECT_FALSE(d.error);
    EXPECT_EQ(d.body, "abc");
    EXPECT_EQ(d.trailers.Get("X-Amz-Checksum-CRC32"), "NSRBwg==");
    EXPECT_EQ(d.trailers.Get("x-b"), "z");
  }
  for (const char* trailer : {"no-colon", " folded: x", "X A: b", "X-A: \x01"}) {
    Decoded d = DecodeChunked(std::string("3\r\nabc\r\n0\r\n") + trailer + "\r\n\r\n");
    ASSERT_TRUE(d.error) << trailer;
    EXPECT_EQ(d.error->code, "InvalidRequest");
  }
}

TEST(Http1CodecTest, TrailersAreNotAvailableBeforeTheEnd) {
  MemoryInput in("3\r\nabc\r\n0\r\nx: y\r\n\r\n");
  RequestBodyDecoder decoder(BodyKind::kChunked, 0, kMaxLine);
  EXPECT_EQ(decoder.Length(), std::nullopt);
  char buf[3];
  EXPECT_EQ(*decoder.Read(in, buf, sizeof buf), 3u);
  EXPECT_EQ(decoder.Trailers(), nullptr);
  EXPECT_EQ(*decoder.Read(in, buf, sizeof buf), 0u);
  ASSERT_NE(decoder.Trailers(), nullptr);
  EXPECT_EQ(decoder.Trailers()->Get("x"), "y");
}

TEST(Http1CodecTest, LinesAreBounded) {
  // A size line (extensions included) or a trailer section longer than max_line is refused before
  // the decoder buffers more of it.
  for (const auto& pieces : kSplits) {
    Decoded long_ext =
        DecodeChunked("5;" + std::string(200, 'e') + "\r\nhello\r\n0\r\n\r\n", pieces, 4096, 100);
    ASSERT_TRUE(long_ext.error);
    EXPECT_EQ(long_ext.error->code, "InvalidRequest");
  }
  std::string trailers;
  for (int i = 0; i < 10; ++i) trailers += "x-t" + std::to_string(i) + ": " + std::string(20, 'v') + "\r\n";
  Decoded long_trailers = DecodeChunked("0\r\n" + trailers + "\r\n", {}, 4096, 100);
  ASSERT_TRUE(long_trailers.error);
  EXPECT_EQ(long_trailers.error->code, "InvalidRequest");
  EXPECT_FALSE(DecodeChunked("0\r\n" + trailers + "\r\n", {}, 4096, 1000).error);
}

TEST(Http1CodecTest, TruncatedChunkedBodiesAreIncomplete) {
  const std::string wire = "5;x=y\r\nhello\r\n0\r\nx-t: v\r\n\r\n";
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    for (const auto& pieces : kSplits) {
      Decoded d = DecodeChunked(wire.substr(0, cut), pieces);
      ASSERT_TRUE(d.error) << cut;
      EXPECT_EQ(d.error->code, "IncompleteBody") << cut;
      EXPECT_EQ(std::string("hello").rfind(d.body, 0), 0u);  // what arrived before the cut, or less
    }
  }
}

TEST(Http1CodecTest, ReadLineHandlesEveryEnding) {
  MemoryInput in("a\r\nb\n\r\n\nlast", {1});
  EXPECT_EQ(*ReadLine(in, 10), "a");
  EXPECT_EQ(*ReadLine(in, 10), "b");
  EXPECT_EQ(*ReadLine(in, 10), "");
  EXPECT_EQ(*ReadLine(in, 10), "");
  auto last = ReadLine(in, 10);
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.error().code, "IncompleteBody");
  MemoryInput longer("0123456789\n");
  auto too_long = ReadLine(longer, 10);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, "InvalidRequest");
}

// ---- Pipelining: heads and bodies back to back, as the server walks them ----

struct Served {
  std::string method;
  std::string target;
  std::string body;
  int status = 0;  // non-zero: the head was refused with this status (the server then closes)
  std::string error;
};

// What the server's worker loop does with a buffer of pipelined requests: skip empty lines, find a
// head, parse it, decode its body, repeat.
std::vector<Served> ServeAll(std::string wire, std::vector<std::size_t> pieces) {
  std::vector<Served> out;
  MemoryInput in(std::move(wire), std::move(pieces));
  while (true) {
    std::size_t end = 0;
    std::size_t resume = 0;
    while (true) {
      std::size_t skip = LeadingEmptyLines(in.Buffered());
      in.Consume(skip);
      resume = resume > skip ? resume - skip : 0;
      HeadSearch found = FindHeadEnd(in.Buffered(), resume);
      if (found.end != 0) {
        end = found.end;
        break;
      }
      resume = found.resume;
      if (!in.Fill().value()) return out;
    }
    Served s;
    auto head = ParseRequestHead(in.Buffered().substr(0, end));
    in.Consume(end);
    if (!head) {
      s.status = head.error().http_status;
      out.push_back(s);
      return out;
    }
    s.method = head->method;
    s.target = head->target;
    RequestBodyDecoder decoder(head->body_kind, head->content_length, kMaxLine);
    Decoded d = DecodeBody(decoder, in, 7);
    s.body = d.body;
    if (d.error) s.error = d.error->code;
    out.push_back(s);
    if (d.error || !head->keep_alive) return out;
  }
}

TEST(Http1CodecTest, PipelinedRequestsAreSeparatedExactly) {
  const std::string wire =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nGET /c"
      "\r\n"  // an empty line between requests is allowed
      "POST /d HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n3\nxyz\n0\nt: v\n\n"
      "DELETE /e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
      "GET /never HTTP/1.1\r\n\r\n";
  for (const auto& pieces : kSplits) {
    std::vector<Served> served = ServeAll(wire, pieces);
    ASSERT_EQ(served.size(), 4u);
    EXPECT_EQ(served[0].target, "/a");
    EXPECT_EQ(served[0].body, "");
    EXPECT_EQ(served[1].target, "/b");
    EXPECT_EQ(served[1].body, "GET /c");  // a body that looks like a request is still a body
    EXPECT_EQ(served[2].method, "POST");
    EXPECT_EQ(served[2].body, "xyz");
    EXPECT_EQ(served[3].method, "DELETE");  // and Connection: close ends the stream
    for (const auto& s : served) EXPECT_EQ(s.error, "");
  }
}

TEST(Http1CodecTest, SmugglingAttemptsStopThePipeline) {
  // CL.TE and TE.CL: refused, and nothing after them is served.
  auto a = ServeAll(
      "POST / HTTP/1.1\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x "
      "HTTP/1.1\r\n\r\n",
      {});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].status, 400);
  // A chunk size that does not parse ends the stream instead of resynchronising on what follows.
  auto b = ServeAll("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nGET /x HTTP/1.1\r\n\r\n", {});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].error, "InvalidRequest");
  auto c = ServeAll("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\nGET /x HTTP/1.1\r\n\r\n", {});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].status, 501);
}

}  // namespace
}  // namespace cenote::http
