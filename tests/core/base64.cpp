// base64 (RFC 4648 §4), strict: the §10 vectors both ways, every decode error with its offset,
// the size functions, and round trips of random buffers.
#include "rtwire/core/base64.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "catch.hpp"

namespace {

namespace base64 = rtwire::base64;
using base64::error;

std::string encode(std::string_view bytes) {
  std::string out;
  base64::encode_append(rtwire::as_bytes(bytes), out);
  return out;
}

struct decoded {
  std::string bytes;
  std::error_code ec;
  std::size_t offset;
};

/// Decodes into a buffer of decoded_size(text) bytes (or `room` bytes when given).
decoded decode(std::string_view text, std::size_t room = static_cast<std::size_t>(-1)) {
  std::vector<std::byte> out(room == static_cast<std::size_t>(-1) ? base64::decoded_size(text)
                                                                  : room);
  const base64::decode_result r = base64::decode(text, out);
  return {std::string(reinterpret_cast<const char*>(out.data()), r.size), r.ec, r.error_offset};
}

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

static_assert(base64::encoded_size(0) == 0);
static_assert(base64::encoded_size(1) == 4);
static_assert(base64::encoded_size(2) == 4);
static_assert(base64::encoded_size(3) == 4);
static_assert(base64::encoded_size(4) == 8);
static_assert(base64::encoded_size(16) == 24);
static_assert(base64::encoded_size(20) == 28);
static_assert(base64::max_decoded_size(0) == 0);
static_assert(base64::max_decoded_size(3) == 0);
static_assert(base64::max_decoded_size(4) == 3);
static_assert(base64::max_decoded_size(24) == 18);
static_assert(base64::decoded_size("") == 0);
static_assert(base64::decoded_size("Zg==") == 1);
static_assert(base64::decoded_size("Zm8=") == 2);
static_assert(base64::decoded_size("Zm9v") == 3);
static_assert(base64::decoded_size("Zm9vYg==") == 4);
static_assert(base64::decoded_size("Zm9vY") == 3);  // not a multiple of 4: max_decoded_size
static_assert(base64::decoded_size("Z===") == 1);   // at most two '=' are counted
// The size of the largest input encoded_size() accepts.
static_assert(base64::encoded_size(SIZE_MAX / 4 * 3) == SIZE_MAX / 4 * 4);

TEST_CASE("error category, messages and conditions", "[base64]") {
  const std::error_code ec = error::invalid_character;
  CHECK(std::string_view(ec.category().name()) == "rtwire.base64");
  CHECK(&ec.category() == &base64::error_category());
  for (error e : {error::invalid_character, error::invalid_padding, error::invalid_length,
                  error::non_canonical}) {
    const std::error_code code = e;
    CHECK(code == rtwire::condition::bad_input);
    CHECK_FALSE(code.message().empty());
    CHECK(code.message().find("unknown") == std::string::npos);
  }
  const std::error_code small = error::output_too_small;
  CHECK(small == rtwire::condition::api_misuse);
  CHECK(small != rtwire::condition::bad_input);
  CHECK(rtwire::is_error_enum_v<error>);
}

TEST_CASE("RFC 4648 §10 test vectors, both ways", "[base64]") {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [bytes, text] : vectors) {
    INFO("bytes \"" << bytes << "\"");
    CHECK(encode(bytes) == text);
    CHECK(base64::encoded_size(bytes.size()) == text.size());
    CHECK(base64::decoded_size(text) == bytes.size());
    const decoded d = decode(text);
    CHECK_FALSE(d.ec);
    CHECK(d.bytes == bytes);
    CHECK(d.offset == 0);
  }
}

TEST_CASE("encode writes exactly encoded_size characters and returns the end", "[base64]") {
  std::array<char, 12> buf;
  buf.fill('#');
  const std::string_view in = "foob";
  char* end = base64::encode(rtwire::as_bytes(in), buf.data() + 1);
  CHECK(end == buf.data() + 1 + 8);
  CHECK(std::string_view(buf.data(), buf.size()) == "#Zm9vYg==###");
  // Empty input writes nothing.
  CHECK(base64::encode(rtwire::bytes_view(), buf.data()) == buf.data());
  CHECK(buf[0] == '#');
}

TEST_CASE("encode_append appends to any output buffer", "[base64]") {
  const std::string_view in = "fooba";
  std::string s = "key: ";
  base64::encode_append(rtwire::as_bytes(in), s);
  CHECK(s == "key: Zm9vYmE=");
  std::vector<unsigned char> u{'>'};
  base64::encode_append(rtwire::as_bytes(in), u);
  CHECK(std::string(u.begin(), u.end()) == ">Zm9vYmE=");
  std::vector<std::byte> b;
  base64::encode_append(rtwire::as_bytes(in), b);
  CHECK(rtwire::as_chars(b) == "Zm9vYmE=");
  base64::encode_append(rtwire::bytes_view(), b);
  CHECK(b.size() == 8);
}

TEST_CASE("the whole alphabet, every byte value", "[base64]") {
  // 64 characters = 48 bytes whose 6-bit groups count 0..63.
  const decoded d = decode(alphabet);
  REQUIRE_FALSE(d.ec);
  CHECK(d.bytes.size() == 48);
  CHECK(encode(d.bytes) == alphabet);

  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); ++n) {
    const std::string_view bytes = std::string_view(all).substr(all.size() - n);
    const std::string text = encode(bytes);
    const decoded back = decode(text);
    INFO("n = " << n);
    REQUIRE_FALSE(back.ec);
    CHECK(back.bytes == bytes);
  }
}

TEST_CASE("invalid_character at every position, for every byte outside the alphabet", "[base64]") {
  const std::string valid = "Zm9vYmFyYg==";  // "foobarb"
  // Positions 10 and 11 hold padding: there a bad character is caught as well, except that a
  // bad character after "=" at 10 is reported as the misplaced '=' (the lower offset).
  for (std::size_t pos = 0; pos < valid.size(); ++pos) {
    for (int c = 0; c < 256; ++c) {
      const char ch = static_cast<char>(c);
      if (alphabet.find(ch) != std::string_view::npos || ch == '=') continue;
      std::string text = valid;
      text[pos] = ch;
      const decoded d = decode(text);
      INFO("position " << pos << ", byte " << c);
      if (pos == 11) {
        CHECK(d.ec == error::invalid_padding);
        CHECK(d.offset == 10);
      } else {
        CHECK(d.ec == error::invalid_character);
        CHECK(d.offset == pos);
      }
      CHECK(d.bytes.empty());
    }
  }
  // The same in a final quantum without padding and with one '='.
  for (std::string_view text : {"Zm9vYmF!", "Zm9vYm!=", "Zm9v!mE=", "Zm9vY!E="}) {
    INFO(text);
    const decoded d = decode(text);
    CHECK(d.ec == error::invalid_character);
    CHECK(d.offset == text.find('!'));
  }
}

TEST_CASE("whitespace, line breaks and the URL-safe alphabet are rejected", "[base64]") {
  const struct {
    std::string_view text;
    error code;
    std::size_t offset;
  } cases[] = {
      {" Zm9", error::invalid_character, 0},
      {"Zm9v Yg=", error::invalid_character, 4},
      {"Zm9vYg=\n", error::invalid_padding, 6},  // '=' then a non-'='
      {"Zm\r\n", error::invalid_character, 2},
      {"Zm9vYmFy\r\n", error::invalid_length, 8},
      {"Zm\t9vYmE", error::invalid_character, 2},
      {"-_-_", error::invalid_character, 0},
      {std::string_view("Zm9v\0mFy", 8), error::invalid_character, 4},
  };
  for (const auto& c : cases) {
    INFO("text \"" << c.text << "\"");
    const decoded d = decode(c.text, 64);
    CHECK(d.ec == c.code);
    CHECK(d.offset == c.offset);
  }
}

TEST_CASE("'=' anywhere but the last one or two characters is invalid_padding", "[base64]") {
  const struct {
    std::string_view text;
    std::size_t offset;
  } cases[] = {
      {"=m9v", 0},
      {"Z=9v", 1},
      {"Zm=v", 2},
      {"Zm9=Zm9v", 3},
      {"Zg==Zm9v", 2},
      {"Zm9vYmFy=m9v", 8},
      {"Z===", 1},
      {"====", 0},
      {"Zg=a", 2},
      {"Zm9vZg=Y", 6},
      {"Zg=!", 2},   // the misplaced '=' comes before the
                     // bad character
      {"Zg==Z", 2},  // an earlier error wins over the incomplete final quantum
  };
  for (const auto& c : cases) {
    INFO("text \"" << c.text << "\"");
    const decoded d = decode(c.text, 64);
    CHECK(d.ec == error::invalid_padding);
    CHECK(d.offset == c.offset);
    CHECK(d.bytes.empty());
  }
}

TEST_CASE("an incomplete final quantum is invalid_length at its start", "[base64]") {
  const struct {
    std::string_view text;
    std::size_t offset;
  } cases[] = {
      {"Z", 0},      {"Zg", 0},      {"Zg=", 0},     {"Zm9", 0},        {"Zm9vY", 4},
      {"Zm9vYm", 4}, {"Zm9vYmF", 4}, {"Zm9vYg=", 4}, {"Zm9vZm9vY!", 8},  // before the '!'
  };
  for (const auto& c : cases) {
    INFO("text \"" << c.text << "\"");
    // Even with ample room: nothing is written.
    std::vector<std::byte> out(16, std::byte{0xee});
    const base64::decode_result r = base64::decode(c.text, out);
    CHECK(r.ec == error::invalid_length);
    CHECK(r.error_offset == c.offset);
    CHECK(r.size == 0);
    CHECK(out == std::vector<std::byte>(16, std::byte{0xee}));
  }
}

TEST_CASE("non-zero pad bits are non_canonical (RFC 4648 §3.5)", "[base64]") {
  // "Zh==" decodes to 'f' with a stray bit; "Zm9=" to "fo" with one.
  CHECK(decode("Zh==").ec == error::non_canonical);
  CHECK(decode("Zh==").offset == 1);
  CHECK(decode("Zm9=").ec == error::non_canonical);
  CHECK(decode("Zm9=").offset == 2);
  CHECK(decode("Zm9vZh==").offset == 5);

  // "x?==": of the second character only the values with 4 low zero bits (A, Q, g, w) are
  // canonical; "xx?=": only those with 2 low zero bits (16 of them).
  std::size_t canonical_1 = 0;
  std::size_t canonical_2 = 0;
  for (std::size_t v = 0; v < 64; ++v) {
    INFO("value " << v);
    std::string one = "Z?==";
    one[1] = alphabet[v];
    const decoded d1 = decode(one);
    if (v % 16 == 0) {
      CHECK_FALSE(d1.ec);
      CHECK(encode(d1.bytes) == one);
      ++canonical_1;
    } else {
      CHECK(d1.ec == error::non_canonical);
      CHECK(d1.offset == 1);
    }
    std::string two = "Zm?=";
    two[2] = alphabet[v];
    const decoded d2 = decode(two);
    if (v % 4 == 0) {
      CHECK_FALSE(d2.ec);
      CHECK(encode(d2.bytes) == two);
      ++canonical_2;
    } else {
      CHECK(d2.ec == error::non_canonical);
      CHECK(d2.offset == 2);
    }
  }
  CHECK(canonical_1 == 4);
  CHECK(canonical_2 == 16);
}

TEST_CASE("output_too_small: only for valid input, nothing written", "[base64]") {
  const struct {
    std::string_view text;
    std::size_t room;
    std::size_t offset;  // the first quantum whose bytes do not fit
  } cases[] = {
      {"Zm9vYmFy", 5, 4}, {"Zm9vYmFy", 0, 0}, {"Zm9vYmFy", 2, 0}, {"Zm9vYmFy", 3, 4},
      {"Zg==", 0, 0},     {"Zm9vYg==", 3, 4}, {"Zm9vYmE=", 4, 4}, {"Zm9vYmFyYmF6", 7, 8},
  };
  for (const auto& c : cases) {
    INFO("text \"" << c.text << "\" into " << c.room << " bytes");
    std::vector<std::byte> out(c.room + 4, std::byte{0xee});
    const base64::decode_result r = base64::decode(c.text, std::span(out).first(c.room));
    CHECK(r.ec == error::output_too_small);
    CHECK(r.error_offset == c.offset);
    CHECK(r.size == 0);
    CHECK(out == std::vector<std::byte>(c.room + 4, std::byte{0xee}));
  }
  // Exactly decoded_size() bytes is enough; more is fine too.
  CHECK_FALSE(decode("Zm9vYmE=", 5).ec);
  CHECK(decode("Zm9vYmE=", 100).bytes == "fooba");
  // A content error is reported even when the output is also too small.
  CHECK(decode("Zm9v!mFy", 1).ec == error::invalid_character);
  CHECK(decode("Zh==", 0).ec == error::non_canonical);
  CHECK(decode("Zm9vY", 0).ec == error::invalid_length);
}

TEST_CASE("round trip of random buffers", "[base64]") {
  std::mt19937 rng(4648);
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::size_t n = 0; n < 200; ++n) {
    for (int round = 0; round < 4; ++round) {
      std::string bytes(n, '\0');
      for (char& c : bytes)
        c = static_cast<char>(byte(rng));
      const std::string text = encode(bytes);
      INFO("bytes of size " << n << " -> " << text);
      REQUIRE(text.size() == base64::encoded_size(n));
      CHECK(base64::decoded_size(text) == n);
      const decoded d = decode(text);
      REQUIRE_FALSE(d.ec);
      CHECK(d.bytes == bytes);
      // Into a larger buffer: same size reported, the extra room untouched.
      std::vector<std::byte> big(n + 8, std::byte{0xee});
      const base64::decode_result r = base64::decode(text, big);
      CHECK(r.size == n);
      CHECK(big[n] == std::byte{0xee});
    }
  }
}
