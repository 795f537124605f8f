// Tests for rtwire/sse/scan.hpp: the window-classifying line-ending scanner must agree with a
// byte-by-byte reference for every position, word and window boundary and chunk tail.
#include <rtwire/sse/scan.hpp>

#include <string>

#include "catch.hpp"

namespace {

struct expected_t {
  std::size_t end;
  bool non_ascii;
};

expected_t reference(const std::string& s, std::size_t from) {
  bool high = false;
  for (std::size_t i = from; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n' || c == '\r') return {i - from, high};
    high = high || c >= 0x80;
  }
  return {s.size() - from, high};
}

}  // namespace

TEST_CASE("eol_scanner agrees with a byte-by-byte scan", "[sse][scan]") {
  // Line endings and non-ASCII bytes at every distance, across 64-byte block boundaries, with
  // tails shorter than a block.
  std::string text;
  for (std::size_t i = 0; i < 700; ++i) {
    const std::size_t r = (i * 7919) % 113;
    text += r < 6 ? '\n' : r < 9 ? '\r' : r < 14 ? static_cast<char>(0xC3 + r % 3) : 'a';
  }
  text += std::string(130, 'b');  // a long tail without any line ending
  for (std::size_t len : {text.size(), std::size_t{1}, std::size_t{63}, std::size_t{64},
                          std::size_t{65}, std::size_t{200}}) {
    const std::string chunk = text.substr(0, len);
    rtwire::sse::detail::eol_scanner scanner;
    std::size_t pos = 0;
    while (pos < chunk.size()) {
      INFO("len " << len << " pos " << pos);
      const auto got = scanner.find(chunk.data() + pos, chunk.data() + chunk.size());
      const auto want = reference(chunk, pos);
      REQUIRE(got.end == want.end);
      REQUIRE(got.non_ascii == want.non_ascii);
      pos += got.end + 1;
    }
  }
}

TEST_CASE("eol_scanner from every start, across words and windows, searching again",
          "[sse][scan]") {
  // The scanner classifies 512-byte windows (eol_scanner::window_bytes) into 64-bit words. Lines
  // are consumed as the decoder does (a CRLF skips two bytes, possibly across a word or window
  // boundary), from every start offset; every third line is searched twice from the same start,
  // as the decoder does when it leaves a found line to its general step.
  static_assert(rtwire::sse::detail::eol_scanner::window_bytes == 512);
  std::string text;
  for (std::size_t i = 0; i < 1300; ++i) {
    const std::size_t r = (i * 7919) % 97;
    text += r < 5 ? '\n' : r < 9 ? '\r' : r < 12 ? static_cast<char>(0xE2) : 'a';
  }
  // A line of 700 bytes (it spans a whole window) with one non-ASCII byte in its first window.
  text.replace(520, 700, std::string(700, 'l'));
  text[530] = static_cast<char>(0xC3);
  for (std::size_t len :
       {std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{65}, std::size_t{128},
        std::size_t{511}, std::size_t{512}, std::size_t{513}, std::size_t{1025}, text.size()}) {
    const std::string chunk = text.substr(0, len);
    for (std::size_t first = 0; first < len; ++first) {
      rtwire::sse::detail::eol_scanner scanner;
      std::size_t pos = first, lines = 0;
      while (pos < chunk.size()) {
        INFO("len " << len << " first " << first << " pos " << pos);
        const auto want = reference(chunk, pos);
        for (int again = 0; again < (++lines % 3 == 0 ? 2 : 1); ++again) {
          const auto got = scanner.find(chunk.data() + pos, chunk.data() + chunk.size());
          REQUIRE(got.end == want.end);
          REQUIRE(got.non_ascii == want.non_ascii);
        }
        pos += want.end + 1;
        if (pos < chunk.size() && chunk[pos - 1] == '\r' && chunk[pos] == '\n') ++pos;
      }
    }
  }
}

TEST_CASE("eol_scanner: restart after reset on new memory, empty ranges", "[sse][scan]") {
  rtwire::sse::detail::eol_scanner scanner;
  std::string buf(100, 'x');
  buf[70] = '\n';
  auto r = scanner.find(buf.data(), buf.data() + buf.size());
  CHECK(r.end == 70);
  CHECK_FALSE(r.non_ascii);
  // The same memory now holds other bytes (a reused receive buffer): reset() forgets the block.
  buf[70] = 'x';
  buf[10] = '\r';
  buf[5] = static_cast<char>(0xE2);
  scanner.reset();
  r = scanner.find(buf.data(), buf.data() + buf.size());
  CHECK(r.end == 10);
  CHECK(r.non_ascii);
  r = scanner.find(buf.data() + 11, buf.data() + buf.size());
  CHECK(r.end == 89);
  CHECK_FALSE(r.non_ascii);
  r = scanner.find(buf.data() + 100, buf.data() + 100);
  CHECK(r.end == 0);
}

TEST_CASE("find_eol", "[sse][scan]") {
  using rtwire::sse::detail::find_eol;
  const std::string s = std::string(40, 'a') + "\r" + std::string(10, 'b') + "\n";
  CHECK(find_eol(s.data(), s.size()) == 40);
  CHECK(find_eol(s.data() + 41, s.size() - 41) == 10);
  CHECK(find_eol(s.data(), 40) == 40);
  CHECK(find_eol(s.data(), 0) == 0);
}

TEST_CASE("find_first_of and contains_byte agree with a byte loop at every length and position",
          "[sse][scan]") {
  // Lengths around the 8- and 16-byte paths (the overlapping last load, the SWAR words, the byte
  // loop below 8), one target byte at every position or none; the bytes just outside the range
  // are targets too, and must not be found.
  using rtwire::detail::contains_byte;
  using rtwire::detail::find_first_of;
  for (std::size_t n = 0; n <= 70; ++n) {
    for (std::size_t hit = 0; hit <= n; ++hit) {
      for (const char target : {'\n', '\r', '\0'}) {
        std::string buf(n + 2, 'x');
        buf.front() = buf.back() = '\n';  // outside [1, n + 1)
        if (hit < n) buf[1 + hit] = target;
        buf[1 + n / 2] = hit < n && n / 2 == hit ? target : static_cast<char>(0x80 + n % 64);
        INFO("n " << n << " hit " << hit << " byte " << static_cast<int>(target));
        CHECK(find_first_of<'\n', '\r', '\0'>(buf.data() + 1, n) == hit);
        CHECK(find_first_of<'\n', '\r'>(buf.data() + 1, n) == (target == '\0' ? n : hit));
        CHECK(find_first_of<'\r'>(buf.data() + 1, n) == (target == '\r' ? hit : n));
        CHECK(contains_byte<'\0'>(buf.data() + 1, n) == (target == '\0' && hit < n));
      }
    }
  }
}
