// Stop strings over streamed pieces: what is released when, that the result does not
// depend on how the text is split, and that released chunks are whole UTF-8 characters.
#include <gtest/gtest.h>

#include <random>

#include "sample/stop_strings.h"
#include "util/error.h"

namespace edgelm {
namespace {

struct Streamed {
  std::vector<std::string> chunks;  // released by each feed
  std::string text;                 // everything released, flush included
  bool stopped = false;
  std::string stop;
};

Streamed stream(const std::vector<std::string>& stops, const std::vector<std::string>& pieces) {
  StopMatcher m(stops);
  Streamed r;
  for (const std::string& p : pieces) {
    StopMatcher::Step s = m.feed(p);
    r.chunks.push_back(s.text);
    r.text += s.text;
    if (s.stopped && !r.stopped) {
      r.stopped = true;
      r.stop = s.stop;
    }
  }
  r.text += m.flush();
  return r;
}

std::vector<std::string> bytes_of(const std::string& s) {
  std::vector<std::string> out;
  for (char c : s) out.emplace_back(1, c);
  return out;
}

TEST(StopMatcher, StopSplitAcrossManyPieces) {
  const auto r = stream({"<end>"}, {"Hello <", "e", "n", "d", "> and more"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.stop, "<end>");
  EXPECT_EQ(r.text, "Hello ");
  // "Hello " goes out at once, "<" waits; the rest is never released.
  EXPECT_EQ(r.chunks, (std::vector<std::string>{"Hello ", "", "", "", ""}));
}

TEST(StopMatcher, FalseStartIsReleasedOnceItCannotMatch) {
  const auto r = stream({"<end>"}, {"a <en", "ter> b"});
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.chunks, (std::vector<std::string>{"a ", "<enter> b"}));
  EXPECT_EQ(r.text, "a <enter> b");
  // A held-back tail with no more pieces comes out at flush.
  StopMatcher m({"<end>"});
  EXPECT_EQ(m.feed("x <e").text, "x ");
  EXPECT_EQ(m.flush(), "<e");
}

TEST(StopMatcher, OverlappingPrefixes) {
  // "aab" inside "aaab": the first 'a' is released once "aaa" shows it cannot start a match.
  const auto r = stream({"aab"}, bytes_of("aaab tail"));
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "a");
  EXPECT_EQ(r.chunks[2], "a");
  // Stops sharing a prefix: the one that completes first wins.
  EXPECT_EQ(stream({"<|end|>", "<|e"}, {"x<|", "end|>"}).stop, "<|e");
  EXPECT_EQ(stream({"abcd", "bc"}, bytes_of("xabcd")).text, "xa");   // "bc" ends before "abcd"
  EXPECT_EQ(stream({"abcd", "bc"}, {"xabcd"}).text, "xa");           // whatever the split
  EXPECT_EQ(stream({"bc", "abc"}, {"xabc"}).text, "x");              // same end: the earlier start
}

TEST(StopMatcher, MultiByteUtf8) {
  const std::string stop = "\xE3\x80\x82";  // "。"
  const auto r = stream({stop}, bytes_of("d\xC3\xA9j\xC3\xA0" + stop + "x"));
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "d\xC3\xA9j\xC3\xA0");
  // A character split across pieces is released whole, with its last byte.
  EXPECT_EQ(r.chunks[0], "d");
  EXPECT_EQ(r.chunks[1], "");
  EXPECT_EQ(r.chunks[2], "\xC3\xA9");
  // Without stop strings too; flush releases an unfinished character as it is.
  StopMatcher m({});
  EXPECT_EQ(m.feed("a\xE2\x82").text, "a");
  EXPECT_EQ(m.feed("\xAC!").text, "\xE2\x82\xAC!");
  EXPECT_EQ(m.feed("\xF0\x9F").text, "");
  EXPECT_EQ(m.flush(), "\xF0\x9F");
  // Bytes that are not UTF-8 are not held for ever.
  StopMatcher n({});
  EXPECT_EQ(n.feed("\xC3" "a").text, "\xC3" "a");
  EXPECT_EQ(incomplete_utf8_tail("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_tail("\xF0\x9F\x98\x80"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("\x80\x80"), 0u);
}

TEST(StopMatcher, AfterAStopEverythingIsDropped) {
  StopMatcher m({"STOP"});
  const auto s = m.feed("abSTOPcd");
  EXPECT_TRUE(s.stopped);
  EXPECT_EQ(s.text, "ab");
  const auto t = m.feed("more");
  EXPECT_TRUE(t.stopped);
  EXPECT_EQ(t.text, "");
  EXPECT_EQ(m.flush(), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_THROW(StopMatcher({"a", ""}), Error);
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 4;
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// Random texts over a small alphabet of 1-3 byte characters, random stop strings and
// random splits (inside characters too): the output is the text up to the stop string
// that ends first, as found on the whole text, and every released chunk is valid UTF-8.
TEST(StopMatcher, AnySplitGivesTheWholeTextAnswer) {
  const std::vector<std::string> alphabet = {"a", "b", "\xC3\xA9", "\xE2\x82\xAC"};
  std::mt19937 rng(11);
  auto random_text = [&](size_t chars) {
    std::string s;
    for (size_t i = 0; i < chars; ++i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  int stopped = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<std::string> stops;
    for (size_t k = 0, n = 1 + rng() % 3; k < n; ++k) stops.push_back(random_text(2 + rng() % 3));
    const std::string text = random_text(rng() % 30);
    size_t best_end = std::string::npos, best_pos = 0;
    for (const std::string& s : stops) {
      const size_t pos = text.find(s);
      if (pos != std::string::npos && (pos + s.size() < best_end || (pos + s.size() == best_end && pos < best_pos))) {
        best_end = pos + s.size();
        best_pos = pos;
      }
    }
    const bool want_stop = best_end != std::string::npos;
    const std::string want = want_stop ? text.substr(0, best_pos) : text;
    std::vector<std::string> pieces;
    for (size_t i = 0; i < text.size();) {
      const size_t n = std::min<size_t>(text.size() - i, rng() % 5);
      pieces.push_back(text.substr(i, n));
      i += n;
    }
    const Streamed r = stream(stops, pieces);
    ASSERT_EQ(r.stopped, want_stop) << text;
    ASSERT_EQ(r.text, want) << text;
    for (const std::string& c : r.chunks) ASSERT_TRUE(valid_utf8(c)) << text;
    stopped += want_stop;
  }
  EXPECT_GT(stopped, 200);  // both outcomes well represented
  EXPECT_LT(stopped, 1800);
}

}  // namespace
}  // namespace edgelm
