// The incremental frame decoder: every stream is decoded whole, byte by byte and split at every
// point, and must give the same frames (header, payload, stream offsets) or the same error at the
// same offset. Payload pieces must be views into the fed chunk, unmasked in place.
#include <rtwire/ws/decoder.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "support/splits.hpp"

using namespace rtwire::ws;
using status = frame_decoder::status;

namespace {

struct decoded_frame {
  frame_header header;
  std::string payload;  // unmasked
  std::size_t offset;   // stream offset of the frame's first byte
  friend bool operator==(const decoded_frame&, const decoded_frame&) = default;
};

struct outcome {
  std::vector<decoded_frame> frames;
  std::error_code error;
  std::size_t error_offset = rtwire::error_at::npos;
  std::size_t consumed = 0;
  bool at_boundary = false;
};

// Feeds `chunks` (views into `input`) to a decoder, each chunk copied into its own exactly-sized
// heap buffer so every payload view can be checked to lie inside the chunk it came from.
outcome run(const std::vector<std::string_view>& chunks, const frame_decoder::options& opts) {
  frame_decoder dec(opts);
  outcome out;
  bool in_frame = false;
  for (std::string_view chunk : chunks) {
    std::vector<std::byte> buf(chunk.size());
    if (!chunk.empty()) std::memcpy(buf.data(), chunk.data(), chunk.size());
    rtwire::mutable_bytes_view in(buf);
    for (;;) {
      const auto r = dec.decode(in);
      REQUIRE(r.consumed <= in.size());
      if (r.status == status::failed) {
        out.error = dec.error().code;
        out.error_offset = dec.error().offset;
        // Sticky: again, with or without input.
        CHECK(dec.decode(in).status == status::failed);
        CHECK(dec.decode({}).status == status::failed);
        return out;
      }
      if (r.status == status::need_more) {
        CHECK(r.consumed == in.size());
        break;
      }
      // A piece: inside this chunk, ending where the consumed bytes end.
      if (!r.payload.empty()) {
        CHECK(r.payload.data() >= buf.data());
        CHECK(r.payload.data() + r.payload.size() == in.data() + r.consumed);
      }
      if (r.frame_started) {
        CHECK_FALSE(in_frame);
        in_frame = true;
        out.frames.push_back({dec.header(), {}, dec.frame_offset()});
      }
      REQUIRE(in_frame);
      out.frames.back().payload.append(reinterpret_cast<const char*>(r.payload.data()),
                                       r.payload.size());
      if (r.frame_finished) {
        CHECK(dec.remaining() == 0);
        in_frame = false;
      }
      in = in.subspan(r.consumed);
    }
  }
  out.consumed = dec.offset();
  out.at_boundary = dec.at_frame_boundary();
  return out;
}

outcome run_all_splits(std::string_view input, const frame_decoder::options& opts = {}) {
  const outcome whole = run({input}, opts);
  for (const auto& split : rtwire::test::all_splits(input)) {
    INFO(split.label);
    const outcome o = run(split.chunks, opts);
    CHECK(o.frames == whole.frames);
    CHECK(o.error == whole.error);
    CHECK(o.error_offset == whole.error_offset);
    CHECK(o.consumed == whole.consumed);
    CHECK(o.at_boundary == whole.at_boundary);
  }
  return whole;
}

std::string frame(opcode op, std::string_view payload, bool fin = true,
                  const masking_key* key = nullptr) {
  std::string out;
  frame_header h{.fin = fin, .op = op};
  if (key) {
    h.masked = true;
    h.key = *key;
  }
  write_frame(out, h, rtwire::as_bytes(payload));
  return out;
}

constexpr masking_key key1{0x11, 0x22, 0x33, 0x44};
constexpr masking_key key2{0xFE, 0x01, 0x80, 0x7F};

}  // namespace

TEST_CASE("a stream of masked frames decodes identically at every split", "[decoder]") {
  const std::string p200(200, 'm');
  const std::string p70k = [] {
    std::string s(70000, '\0');
    for (std::size_t i = 0; i < s.size(); ++i)
      s[i] = static_cast<char>(i * 13);
    return s;
  }();
  const std::string input = frame(opcode::text, "Hello", true, &key1) +
                            frame(opcode::binary, "", true, &key2) +
                            frame(opcode::text, "frag", false, &key1) +
                            frame(opcode::ping, "are you there", true, &key2) +
                            frame(opcode::continuation, p200, true, &key2);
  const outcome o = run_all_splits(input, {.rules = {.masking = mask_rule::required}});
  CHECK_FALSE(o.error);
  CHECK(o.at_boundary);
  CHECK(o.consumed == input.size());
  REQUIRE(o.frames.size() == 5);
  CHECK(o.frames[0].payload == "Hello");
  CHECK(o.frames[0].header.op == opcode::text);
  CHECK(o.frames[0].header.key == key1);
  CHECK(o.frames[0].offset == 0);
  CHECK(o.frames[1].payload.empty());
  CHECK(o.frames[1].offset == 11);
  CHECK(o.frames[2].header.fin == false);
  CHECK(o.frames[3].header.op == opcode::ping);
  CHECK(o.frames[3].payload == "are you there");
  CHECK(o.frames[4].payload == p200);
  CHECK(o.frames[4].offset == input.size() - 200 - 8);

  SECTION("a 70 KB frame with a 64-bit length, in pieces that continue the key phase") {
    const std::string big = frame(opcode::binary, p70k, true, &key2) + frame(opcode::pong, "");
    for (std::size_t piece : {1u, 7u, 1000u, 65536u}) {
      std::vector<std::string_view> chunks;
      for (std::size_t at = 0; at < big.size(); at += piece)
        chunks.push_back(std::string_view(big).substr(at, piece));
      const outcome b = run(chunks, {});
      REQUIRE(b.frames.size() == 2);
      CHECK(b.frames[0].payload == p70k);
      CHECK(b.frames[1].header.op == opcode::pong);
    }
  }
}

TEST_CASE("a huge frame is delivered in pieces, never buffered", "[decoder]") {
  // A 1 GiB frame header, then 3 chunks of payload: every piece is a view of its chunk.
  frame_header h{.op = opcode::binary, .payload_length = 1ull << 30};
  std::byte header[max_header_size];
  const std::size_t hs = encode_header(h, header);
  frame_decoder dec;
  auto r = dec.decode({header, hs});
  REQUIRE(r.status == status::piece);
  CHECK(r.frame_started);
  CHECK_FALSE(r.frame_finished);
  CHECK(r.payload.empty());
  CHECK(dec.remaining() == 1ull << 30);
  std::vector<std::byte> chunk(1 << 16, std::byte{0x5A});
  for (int i = 0; i < 3; ++i) {
    r = dec.decode(chunk);
    REQUIRE(r.status == status::piece);
    CHECK(r.payload.data() == chunk.data());
    CHECK(r.payload.size() == chunk.size());
    CHECK_FALSE(r.frame_started);
    CHECK_FALSE(r.frame_finished);
  }
  CHECK(dec.remaining() == (1ull << 30) - 3 * (1 << 16));
  CHECK(dec.offset() == hs + 3 * (1 << 16));
}

TEST_CASE("frame rule violations give the same error and offset at every split", "[decoder]") {
  const std::string ok = frame(opcode::text, "ok", true, &key1);  // 8 bytes
  struct violation {
    const char* what;
    std::string wire;
    header_rules rules;
    error err;
    std::size_t offset;
  };
  const violation cases[] = {
      {"RSV1 on the second frame",
       ok + "\xC1\x80" + std::string(4, '\0'),
       {.masking = mask_rule::required},
       error::reserved_bits_set,
       8},
      {"reserved opcode", ok + "\x85\x80" + std::string(4, '\0'), {}, error::reserved_opcode, 8},
      {"fragmented ping",
       ok + std::string("\x09\x80", 2) + std::string(4, '\0'),
       {},
       error::fragmented_control_frame,
       8},
      {"unmasked frame to a server",
       ok + "\x81\x02hi",
       {.masking = mask_rule::required},
       error::unmasked_frame,
       9},
      {"masked frame to a client",
       "\x81\x82" + std::string(4, 'k') + "hi",
       {.masking = mask_rule::forbidden},
       error::masked_frame,
       1},
      {"close of 126 bytes", ok + "\x88\xFE\x00\x7E", {}, error::control_frame_too_long, 9},
      {"non-minimal 16-bit length",
       ok + std::string("\x82\x7E\x00\x05", 4) + "12345",
       {},
       error::non_minimal_length,
       10},
      {"64-bit length MSB",
       ok + "\x82\x7F\x80" + std::string(7, '\0'),
       {},
       error::length_msb_set,
       10},
      {"frame over the limit",
       ok + std::string("\x82\x7E\x01\x00", 4),
       {.max_payload = 255},
       error::frame_too_big,
       10},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const outcome o = run_all_splits(c.wire, {.rules = c.rules});
    CHECK(o.error == c.err);
    CHECK(o.error_offset == c.offset);
  }
}

TEST_CASE("an incomplete stream leaves the decoder mid-frame, not failed", "[decoder]") {
  const std::string input = frame(opcode::text, "abc", true, &key1);
  for (std::size_t cut = 1; cut < input.size(); ++cut) {
    const outcome o = run({std::string_view(input).substr(0, cut)}, {});
    CHECK_FALSE(o.error);
    CHECK_FALSE(o.at_boundary);
    CHECK(o.consumed == cut);
  }
}

TEST_CASE("reset() starts a new stream and keeps the rules", "[decoder]") {
  frame_decoder dec({.rules = {.masking = mask_rule::forbidden}});
  std::string bad = "\x81\x80" + std::string(4, '\0');
  auto r = dec.decode(std::as_writable_bytes(std::span(bad)));
  CHECK(r.status == status::failed);
  dec.reset();
  CHECK_FALSE(dec.error());
  CHECK(dec.offset() == 0);
  r = dec.decode(std::as_writable_bytes(std::span(bad)));
  CHECK(r.status == status::failed);
  CHECK(dec.error().code == error::masked_frame);
}

TEST_CASE("max_piece caps pieces; continue_payload leaves unmasking to the caller", "[decoder]") {
  std::string payload(1000, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(i * 7 + 3);
  const std::string wire = frame(opcode::binary, payload, true, &key2) + frame(opcode::text, "ok");
  for (const std::size_t cap :
       {std::size_t{1}, std::size_t{3}, std::size_t{64}, std::size_t{999}}) {
    INFO("cap " << cap);
    for (const bool caller_unmasks : {false, true}) {
      std::string buf = wire;
      rtwire::mutable_bytes_view in(reinterpret_cast<std::byte*>(buf.data()), buf.size());
      frame_decoder dec;
      std::string got;
      std::size_t pieces = 0;
      std::size_t calls = 0;  // of the caller's unmask
      auto r = dec.decode(in, cap);
      for (;;) {
        REQUIRE(r.status == status::piece);
        CHECK(r.payload.size() <= cap);
        CHECK(r.frame_started == (pieces == 0));
        got.append(reinterpret_cast<const char*>(r.payload.data()), r.payload.size());
        ++pieces;
        in = in.subspan(r.consumed);
        if (r.frame_finished) break;
        if (!caller_unmasks) {
          r = dec.decode(in, cap);
          continue;
        }
        // The word is the key from the piece's first byte on (phase = bytes so far mod 4).
        r = dec.continue_payload(in, cap, [&](rtwire::mutable_bytes_view piece, std::uint32_t w) {
          ++calls;
          unsigned char k[4];
          std::memcpy(k, &w, 4);
          CHECK(k[0] == key2[got.size() & 3]);
          CHECK(k[1] == key2[(got.size() + 1) & 3]);
          for (std::size_t i = 0; i < piece.size(); ++i)
            piece[i] ^= std::byte{k[i & 3]};
        });
      }
      CHECK(got == payload);
      CHECK(pieces == (payload.size() + cap - 1) / cap);
      CHECK(calls == (caller_unmasks ? pieces - 1 : 0));
      // Outside a frame's payload, continue_payload is decode(): the next frame, unmasked.
      const auto next =
          dec.continue_payload(in, cap, [](rtwire::mutable_bytes_view, std::uint32_t) {
            FAIL("not called for an unmasked frame");
          });
      REQUIRE(next.status == status::piece);
      CHECK(next.frame_started);
      CHECK(dec.header().op == opcode::text);
    }
  }
}

TEST_CASE("small_frame takes exactly the whole small data frames decode() accepts", "[decoder]") {
  // Every first byte, second byte (mask bit, 7-bit length) and masking rule, with the frame whole
  // or cut short: small_frame either declines without a trace or agrees with decode().
  const masking_key key{0xA1, 0x02, 0xC3, 0x44};
  for (const mask_rule rule : {mask_rule::any, mask_rule::required, mask_rule::forbidden}) {
    for (unsigned b0 = 0; b0 < 256; ++b0) {
      for (const unsigned b1 : {0u, 5u, 64u, 125u, 126u, 127u, 0x80u, 0x85u, 0xFDu, 0xFEu, 0xFFu}) {
        for (const std::size_t bound : {std::size_t{0}, std::size_t{6}, std::size_t{126}}) {
          const std::size_t length = b1 & 0x7F;
          std::string wire{static_cast<char>(b0), static_cast<char>(b1)};
          if (b1 & 0x80) wire.append(reinterpret_cast<const char*>(key.data()), 4);
          if (length < 126) wire.append(length, 'x');
          for (const std::size_t size : {wire.size(), wire.size() - 1}) {
            INFO("b0 " << b0 << " b1 " << b1 << " bound " << bound << " size " << size);
            const frame_decoder::options opts{.rules = {.masking = rule, .max_payload = 100}};
            // A whole frame has more input after it; a cut-short one ends the input.
            const std::string rest = size == wire.size() ? "tail" : "";
            std::string a = wire.substr(0, size) + rest;
            std::string b = a;
            frame_decoder fast(opts);
            frame_decoder slow(opts);
            rtwire::mutable_bytes_view payload;
            const std::size_t used = fast.small_frame(
                {reinterpret_cast<std::byte*>(a.data()), a.size()}, bound, payload);
            const auto r = slow.decode({reinterpret_cast<std::byte*>(b.data()), b.size()});
            if (used == 0) {
              CHECK(fast.offset() == 0);
              CHECK(fast.at_frame_boundary());
              CHECK(a == wire.substr(0, size) + rest);  // untouched
              continue;
            }
            // Taken: only FIN text/binary without RSV, within the bound, whole, obeying the rules.
            CHECK((b0 == 0x81 || b0 == 0x82));
            CHECK(length < bound);
            CHECK(size == wire.size());
            REQUIRE(r.status == status::piece);
            CHECK(r.frame_started);
            CHECK(r.frame_finished);
            CHECK(used == r.consumed);
            CHECK(fast.header() == slow.header());
            CHECK(fast.offset() == slow.offset());
            CHECK(fast.frame_offset() == slow.frame_offset());
            CHECK(fast.at_frame_boundary());
            CHECK(payload.data() == reinterpret_cast<std::byte*>(a.data()) + (used - length));
            CHECK(a == b);  // unmasked the same way
          }
        }
      }
    }
  }
}
