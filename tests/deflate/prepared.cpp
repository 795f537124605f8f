// Prepared messages (rtwire/ws/prepared.hpp) with permessage-deflate on zlib: compressed once and
// shared when the connection agreed server_no_context_takeover (RFC 7692 §7.1.1.1), compressed
// per connection under context takeover; in every case the bytes equal send_text()'s on a twin
// connection with the same history, and a client inflates them to the original messages.
#include <rtwire/ws/prepared.hpp>

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "deflate/harness.hpp"

using namespace rtwire::test::deflate;
using rtwire::as_bytes;
using rtwire::as_chars;
using rtwire::bytes_view;

namespace {

const deflate_params takeover{};
const deflate_params no_takeover{.server_no_context_takeover = true};

// Letters from a fixed pseudo-random sequence: text that deflate cannot shrink much.
std::string noisy_text(std::size_t size) {
  std::string s;
  std::uint32_t x = 12345;
  while (s.size() < size) {
    x = x * 1103515245u + 12345u;
    s += static_cast<char>('a' + (x >> 16) % 26);
  }
  return s;
}

std::string room_text(std::size_t size) {
  static constexpr std::string_view words[] = {"alice ", "joined ", "the ", "room ",     "and ",
                                               "said ",  "hello ",  "to ",  "everyone ", "🙂 "};
  std::string s;
  for (std::size_t i = 0; s.size() < size; ++i)
    s += words[(i * 7 + i / 3) % 10];
  while (s.size() > size)
    s.pop_back();
  // Cut back to a code-point boundary (the emoji is 4 bytes).
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80)
    s.pop_back();
  if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
  return s;
}

std::string drain(connection& c) {
  std::string sent;
  while (c.pending_output() > 0) {
    std::array<bytes_view, 4> iov{};
    const std::size_t n = c.gather_output(iov);
    REQUIRE(n > 0);
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      sent += as_chars(iov[i]);
      total += iov[i].size();
    }
    c.consume_output(total);
  }
  return sent;
}

std::vector<std::string> client_reads(const deflate_params& p, const std::string& wire) {
  const outcome o = run(role::client, p, {wire});
  CHECK_FALSE(o.error);
  return o.messages;
}

}  // namespace

TEST_CASE("server_no_context_takeover: compressed once, the shared frame on every connection",
          "[deflate][prepared]") {
  auto once = make_deflate_codec(no_takeover, role::server);
  int referenced = 0;  // sizes whose compressed frame is long enough to be sent by reference
  for (std::size_t size : std::initializer_list<std::size_t>{0, 100, 125, 4096, 70000}) {
    const std::string text = room_text(size);
    INFO("size " << text.size());
    prepared_message m;
    REQUIRE_FALSE(prepare_text(m, text, {.codec = once.get()}));
    REQUIRE(m.compressed());
    CHECK(m.shared_context_key() == 15);
    for (std::size_t frag : std::initializer_list<std::size_t>{0, 50}) {
      INFO("fragment_size " << frag);
      // History before the message does not matter: each message starts from an empty window.
      connection c(role::server, {.fragment_size = frag}, codec_for(no_takeover, role::server));
      connection twin(role::server, {.fragment_size = frag}, codec_for(no_takeover, role::server));
      REQUIRE_FALSE(c.send_text("warm-up message, warm-up message"));
      REQUIRE_FALSE(twin.send_text("warm-up message, warm-up message"));
      REQUIRE_FALSE(c.send(m));
      REQUIRE_FALSE(c.send(m));
      REQUIRE_FALSE(twin.send_text(text));
      REQUIRE_FALSE(twin.send_text(text));
      if (frag == 0) {
        std::array<bytes_view, 4> iov{};
        if (m.compressed_frame().size() > 256) {
          ++referenced;
          REQUIRE(c.gather_output(iov) == 3);  // own warm-up frame, then the shared frame twice
          CHECK(iov[1].data() == m.compressed_frame().data());
          CHECK(iov[2].data() == m.compressed_frame().data());
        } else {
          // Short frames are copied from the shared one: all the connection's own bytes.
          REQUIRE(c.gather_output(iov) == 1);
          CHECK(m.use_count() == 1);
        }
      }
      const std::string wire = drain(c);
      CHECK(wire == std::string(as_chars(twin.output())));
      CHECK(client_reads(no_takeover, wire) ==
            std::vector<std::string>{"text:warm-up message, warm-up message", "text:" + text,
                                     "text:" + text});
    }
  }
  CHECK(referenced > 0);
}

TEST_CASE("context takeover: prepare refuses the codec; send compresses per connection",
          "[deflate][prepared]") {
  auto keeps = make_deflate_codec(takeover, role::server);
  prepared_message m;
  CHECK(prepare_text(m, "x", {.codec = keeps.get()}) == error::compression_not_shareable);
  CHECK(m.empty());
  // Prepared for no-takeover connections, sent on a takeover one: RFC 7692 §7.2.3.2's second
  // "Hello" refers back into the first, so it cannot be the shared bytes.
  auto once = make_deflate_codec(no_takeover, role::server);
  REQUIRE_FALSE(prepare_text(m, "Hello", {.codec = once.get()}));
  connection c(role::server, {}, codec_for(takeover, role::server));
  connection twin(role::server, {}, codec_for(takeover, role::server));
  REQUIRE_FALSE(c.send(m));
  REQUIRE_FALSE(c.send(m));
  REQUIRE_FALSE(twin.send_text("Hello"));
  REQUIRE_FALSE(twin.send_text("Hello"));
  CHECK(c.output_pieces() == 1);  // all its own bytes
  const std::string wire = drain(c);
  CHECK(wire == std::string(as_chars(twin.output())));
  // RFC 7692 §7.2.3.2: c1 07 f2 48 cd c9 c9 07 00, then c1 05 f2 00 11 00 00.
  CHECK(hex(wire) == "c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00");
  CHECK(hex(as_chars(m.compressed_frame())) == "c1 07 f2 48 cd c9 c9 07 00");
  CHECK(client_reads(takeover, wire) == std::vector<std::string>{"text:Hello", "text:Hello"});
}

TEST_CASE("another window: the shared bytes are not used, the connection compresses itself",
          "[deflate][prepared]") {
  const deflate_params small{.server_no_context_takeover = true, .server_max_window_bits = 10};
  auto once = make_deflate_codec(small, role::server);
  const std::string text = noisy_text(4096);
  prepared_message m;
  REQUIRE_FALSE(prepare_text(m, text, {.codec = once.get()}));
  CHECK(m.shared_context_key() == 10);
  connection c(role::server, {}, codec_for(no_takeover, role::server));  // 15 bits
  connection twin(role::server, {}, codec_for(no_takeover, role::server));
  REQUIRE_FALSE(c.send(m));
  REQUIRE_FALSE(twin.send_text(text));
  std::array<bytes_view, 2> iov{};
  REQUIRE(m.compressed_frame().size() > 256);  // long enough to be shared by reference
  REQUIRE(c.gather_output(iov) == 1);
  CHECK(iov[0].data() != m.compressed_frame().data());
  const std::string wire = drain(c);
  CHECK(wire == std::string(as_chars(twin.output())));
  CHECK(client_reads(no_takeover, wire) == std::vector<std::string>{"text:" + text});
  // And a window-10 connection shares them.
  connection same(role::server, {}, codec_for(small, role::server));
  REQUIRE_FALSE(same.send(m));
  REQUIRE(same.gather_output(iov) == 1);
  CHECK(iov[0].data() == m.compressed_frame().data());
  CHECK(client_reads(small, drain(same)) == std::vector<std::string>{"text:" + text});
}

TEST_CASE("binary and uncompressed connections in the same room", "[deflate][prepared]") {
  auto once = make_deflate_codec(no_takeover, role::server, {.min_size = 64});
  std::string data(300, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 37);
  prepared_message m;
  REQUIRE_FALSE(prepare_binary(m, as_bytes(data), {.codec = once.get()}));
  REQUIRE(m.compressed());
  connection plain(role::server);
  REQUIRE_FALSE(plain.send(m));
  std::array<bytes_view, 2> iov{};
  REQUIRE(plain.gather_output(iov) == 1);
  CHECK(iov[0].data() == m.frame().data());
  CHECK(run(role::client, {}, {drain(plain)}).messages ==
        std::vector<std::string>{"binary:" + data});
  // A short message is not worth compressing for the preparing codec: plain for everyone.
  REQUIRE_FALSE(prepare_text(m, "short", {.codec = once.get()}));
  CHECK_FALSE(m.compressed());
  connection deflating(role::server, {}, codec_for(no_takeover, role::server));
  REQUIRE_FALSE(deflating.send(m));  // this connection's codec finds it worth it: its own bytes
  connection twin(role::server, {}, codec_for(no_takeover, role::server));
  REQUIRE_FALSE(twin.send_text("short"));
  CHECK(drain(deflating) == std::string(as_chars(twin.output())));
}
