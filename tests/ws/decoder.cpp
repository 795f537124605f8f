// The incremental frame decoder: every stream is decoded whole, byte by byte and split at every
// point, and must give the same frames (header, payload, stream offsets) or the same error at the
// same offset. Payload pieces must be views into the fed chunk, unmasked in place.
#include <rtwire/ws/decoder.hpp>

#include <cstddef>
#include <cstdint>
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
      if (r.st == status::failed) {
        out.error = dec.error().code;
        out.error_offset = dec.error().offset;
        // Sticky: again, with or without input.
        CHECK(dec.decode(in).st == status::failed);
        CHECK(dec.decode({}).st == status::failed);
        return out;
      }
      if (r.st == status::need_more) {
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
  REQUIRE(r.st == status::piece);
  CHECK(r.frame_started);
  CHECK_FALSE(r.frame_finished);
  CHECK(r.payload.empty());
  CHECK(dec.remaining() == 1ull << 30);
  std::vector<std::byte> chunk(1 << 16, std::byte{0x5A});
  for (int i = 0; i < 3; ++i) {
    r = dec.decode(chunk);
    REQUIRE(r.st == status::piece);
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
  CHECK(r.st == status::failed);
  dec.reset();
  CHECK_FALSE(dec.error());
  CHECK(dec.offset() == 0);
  r = dec.decode(std::as_writable_bytes(std::span(bad)));
  CHECK(r.st == status::failed);
  CHECK(dec.error().code == error::masked_frame);
}
