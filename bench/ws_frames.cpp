// WebSocket frame layer throughput: rtwire against Boost.Beast, websocketpp and wslay in the same
// binary, with the memory-read ceiling of the same buffer (an OR reduction) as the limit; for
// in-place unmasking also the write ceiling (64-byte stores over the same buffer, no reads).
//
//   ws/unmask/<impl>/<size>         unmask in place at an odd address (16 B ... 1 MiB)
//   ws/decode_20B/<impl>            1,000,000 masked client text frames of 20 bytes (6-byte
//                                   header, 14 bytes of ASCII), full validation (UTF-8 included)
//   ws/decode_64KiB/<kind>/<impl>   1,000 masked client frames of 64 KiB, binary or text (mostly
//                                   ASCII with 2- and 3-byte sequences, validated as UTF-8)
//
// Decoders unmask in place (or copy), so every iteration starts from a fresh copy of the input,
// made with the timer paused. Items are frames, bytes are wire bytes.
//
// Run: rtwire_bench_ws_frames --benchmark_min_time=0.2
#include <rtwire/detail/cpu.hpp>
#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/decoder.hpp>
#include <rtwire/ws/frame.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "peers/peers.hpp"

#if defined(RTWIRE_BENCH_HAVE_BEAST)
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/detail/mask.hpp>
#endif

#if defined(RTWIRE_BENCH_HAVE_WSLAY)
#include <wslay/wslay.h>
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RTWIRE_BENCH_X86 1
#else
#define RTWIRE_BENCH_X86 0
#endif

namespace {

namespace cpu = rtwire::detail;
using namespace rtwire::ws;

constexpr masking_key bench_key{0x37, 0xFA, 0x21, 0x3D};

/// A 64-byte aligned buffer, so "offset 1" really is an odd address.
struct aligned_buffer {
  explicit aligned_buffer(std::size_t n)
      : storage(n + 128),
        data(storage.data() + (64 - (reinterpret_cast<std::uintptr_t>(storage.data()) & 63))) {}
  std::vector<unsigned char> storage;
  unsigned char* data;
};

void set_counts(benchmark::State& state, std::size_t bytes, std::size_t items) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items));
}

// ------------------------------------------------------------------------------------------------
// The limit: reading the same bytes once
// ------------------------------------------------------------------------------------------------

#if RTWIRE_BENCH_X86
__attribute__((target("avx512f,avx512bw"))) std::uint64_t or_reduce_avx512(const unsigned char* p,
                                                                           std::size_t n) {
  __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                    _mm512_setzero_si512()};
  std::size_t i = 0;
  for (; n - i >= 256; i += 256)
    for (int k = 0; k < 4; ++k)
      acc[k] = _mm512_or_si512(acc[k], _mm512_loadu_si512(p + i + 64 * k));
  for (; n - i >= 64; i += 64)
    acc[1] = _mm512_or_si512(acc[1], _mm512_loadu_si512(p + i));
  acc[2] = _mm512_or_si512(acc[2], _mm512_maskz_loadu_epi8((__mmask64{1} << (n - i)) - 1, p + i));
  for (int k = 1; k < 4; ++k)
    acc[0] = _mm512_or_si512(acc[0], acc[k]);
  return _mm512_movepi8_mask(acc[0]);
}

/// Overwrites p[0, n) with 64-byte AVX-512 stores (aligned inside, masked at the ends): the
/// write ceiling of in-place unmasking, which must write back every byte it reads.
__attribute__((target("avx512f,avx512bw"))) void fill_avx512(unsigned char* p, std::size_t n) {
  const __m512i v = _mm512_set1_epi8(0x3D);
  const std::size_t head =
      std::min<std::size_t>(n, (64 - (reinterpret_cast<std::uintptr_t>(p) & 63)) & 63);
  _mm512_mask_storeu_epi8(p, (__mmask64{1} << head) - 1, v);
  std::size_t i = head;
  for (; n - i >= 256; i += 256)
    for (int k = 0; k < 4; ++k)
      _mm512_store_si512(p + i + 64 * k, v);
  for (; n - i >= 64; i += 64)
    _mm512_store_si512(p + i, v);
  _mm512_mask_storeu_epi8(p + i, (__mmask64{1} << (n - i)) - 1, v);
}

/// As fill_avx512 with 32-byte AVX2 stores (on some cores they write back to L2 faster).
__attribute__((target("avx2"))) void fill_avx2(unsigned char* p, std::size_t n) {
  const __m256i v = _mm256_set1_epi8(0x3D);
  const std::size_t head =
      std::min<std::size_t>(n, (32 - (reinterpret_cast<std::uintptr_t>(p) & 31)) & 31);
  std::memset(p, 0x3D, head);
  std::size_t i = head;
  for (; n - i >= 128; i += 128)
    for (int k = 0; k < 4; ++k)
      _mm256_store_si256(reinterpret_cast<__m256i*>(p + i + 32 * k), v);
  std::memset(p + i, 0x3D, n - i);
}
#endif

// ------------------------------------------------------------------------------------------------
// Unmasking
// ------------------------------------------------------------------------------------------------

void rtwire_unmask(benchmark::State& state, std::size_t size, std::uint32_t features) {
  cpu::cpu_features_override(features);
  aligned_buffer buf(size + 1);
  std::memset(buf.data, 0x5A, size + 1);
  const rtwire::mutable_bytes_view view(reinterpret_cast<std::byte*>(buf.data + 1), size);
  for (auto _ : state) {
    mask(view, bench_key, 0);
    benchmark::ClobberMemory();
  }
  cpu::cpu_features_override(cpu::all_features);
  set_counts(state, size, 1);
}

#if defined(RTWIRE_BENCH_HAVE_BEAST)
void beast_unmask(benchmark::State& state, std::size_t size) {
  namespace detail = boost::beast::websocket::detail;
  aligned_buffer buf(size + 1);
  std::memset(buf.data, 0x5A, size + 1);
  for (auto _ : state) {
    detail::prepared_key key;
    detail::prepare_key(key, 0x3D21FA37u);
    detail::mask_inplace(boost::asio::mutable_buffer(buf.data + 1, size), key);
    benchmark::ClobberMemory();
  }
  set_counts(state, size, 1);
}
#endif

#if defined(RTWIRE_BENCH_HAVE_WEBSOCKETPP)
void websocketpp_unmask(benchmark::State& state, std::size_t size) {
  aligned_buffer buf(size + 1);
  std::memset(buf.data, 0x5A, size + 1);
  for (auto _ : state) {
    rtwire_bench::websocketpp_unmask(buf.data + 1, size, bench_key.data());
    benchmark::ClobberMemory();
  }
  set_counts(state, size, 1);
}
#endif

#if RTWIRE_BENCH_X86
void read_ceiling(benchmark::State& state, std::size_t size) {
  aligned_buffer buf(size + 1);
  std::memset(buf.data, 0x5A, size + 1);
  for (auto _ : state)
    benchmark::DoNotOptimize(or_reduce_avx512(buf.data + 1, size));
  set_counts(state, size, 1);
}

void write_ceiling(benchmark::State& state, std::size_t size,
                   void (*fill)(unsigned char*, std::size_t)) {
  aligned_buffer buf(size + 1);
  std::memset(buf.data, 0x5A, size + 1);
  for (auto _ : state) {
    fill(buf.data + 1, size);
    benchmark::ClobberMemory();
  }
  set_counts(state, size, 1);
}
#endif

// ------------------------------------------------------------------------------------------------
// Decoding streams of masked client frames
// ------------------------------------------------------------------------------------------------

struct stream_input {
  std::string wire;
  std::size_t frames;
};

/// `count` masked client frames of `payload` each, with varying keys.
stream_input make_stream(std::string_view payload, opcode op, std::size_t count) {
  stream_input in{{}, count};
  in.wire.reserve(count * (payload.size() + 14));
  for (std::size_t i = 0; i < count; ++i) {
    frame_header h{
        .op = op,
        .masked = true,
        .key = {static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8), 0x21, 0x3D}};
    write_frame(in.wire, h, rtwire::as_bytes(payload));
  }
  return in;
}

const stream_input& small_frames() {
  static const stream_input in = make_stream("Hello, world!!", opcode::text, 1'000'000);
  return in;
}

std::string text_payload(std::size_t n) {
  // Mostly ASCII prose with a 2-byte and a 3-byte sequence every few words.
  static constexpr std::string_view words[] = {"the ",
                                               "quick ",
                                               "brown ",
                                               "fox ",
                                               "caf\xC3\xA9 ",
                                               "jumps ",
                                               "over ",
                                               "\xE2\x82\xAC"
                                               "42 ",
                                               "lazy ",
                                               "dog. "};
  std::string s;
  for (std::size_t i = 0; s.size() < n; ++i)
    s += words[i % 10];
  s.resize(n);
  while (!rtwire::utf8::is_valid(s))
    s.back() = ' ';  // do not end inside a code point
  return s;
}

const stream_input& big_frames(bool text) {
  static const stream_input binary = [] {
    std::string p(64 * 1024, '\0');
    for (std::size_t i = 0; i < p.size(); ++i)
      p[i] = static_cast<char>(i * 131);
    return make_stream(p, opcode::binary, 1000);
  }();
  static const stream_input txt = make_stream(text_payload(64 * 1024), opcode::text, 1000);
  return text ? txt : binary;
}

/// Copies the input into `work` with the timer paused.
void refresh(benchmark::State& state, const stream_input& in, std::vector<char>& work) {
  state.PauseTiming();
  std::memcpy(work.data(), in.wire.data(), in.wire.size());
  state.ResumeTiming();
}

void rtwire_connection_decode(benchmark::State& state, const stream_input* in, delivery mode) {
  std::vector<char> work(in->wire.size());
  for (auto _ : state) {
    refresh(state, *in, work);
    connection conn(role::server, {.mode = mode});
    if (conn.feed(work.data(), work.size())) std::abort();
    std::size_t messages = 0;
    for (event ev = conn.next(); ev.type != event_type::need_more; ev = conn.next()) {
      if (ev.type != event_type::text && ev.type != event_type::binary) std::abort();
      benchmark::DoNotOptimize(ev.data.data());
      messages += ev.message_finished;
    }
    if (messages != in->frames) std::abort();
  }
  set_counts(state, in->wire.size(), in->frames);
}

void rtwire_frame_decoder(benchmark::State& state, const stream_input* in) {
  std::vector<char> work(in->wire.size());
  for (auto _ : state) {
    refresh(state, *in, work);
    frame_decoder dec({.rules = {.masking = mask_rule::required}});
    rtwire::mutable_bytes_view input(reinterpret_cast<std::byte*>(work.data()), work.size());
    std::size_t frames = 0;
    for (;;) {
      const auto r = dec.decode(input);
      input = input.subspan(r.consumed);
      if (r.status != frame_decoder::status::piece) break;
      benchmark::DoNotOptimize(r.payload.data());
      frames += r.frame_finished;
    }
    if (frames != in->frames) std::abort();
  }
  set_counts(state, in->wire.size(), in->frames);
}

#if RTWIRE_BENCH_X86
void decode_ceiling(benchmark::State& state, const stream_input* in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in->wire.data());
  for (auto _ : state)
    benchmark::DoNotOptimize(or_reduce_avx512(p, in->wire.size()));
  set_counts(state, in->wire.size(), in->frames);
}
#endif

#if defined(RTWIRE_BENCH_HAVE_BEAST)
constexpr std::string_view upgrade_request =
    "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

void beast_decode(benchmark::State& state, const stream_input* in) {
  namespace beast = boost::beast;
  boost::asio::io_context ioc;
  for (auto _ : state) {
    state.PauseTiming();
    beast::websocket::stream<beast::test::stream> ws(ioc);
    beast::test::stream remote(ioc);
    ws.next_layer().connect(remote);
    ws.next_layer().append(upgrade_request);
    beast::error_code ec;
    ws.accept(ec);
    if (ec) std::abort();
    ws.read_message_max(std::size_t{64} << 20);
    ws.next_layer().append(in->wire);  // Beast reads from the stream, validates, unmasks, UTF-8
    beast::flat_buffer buffer;
    state.ResumeTiming();
    for (std::size_t i = 0; i < in->frames; ++i) {
      ws.read(buffer, ec);
      if (ec) std::abort();
      benchmark::DoNotOptimize(buffer.data().data());
      buffer.consume(buffer.size());
    }
  }
  set_counts(state, in->wire.size(), in->frames);
}
#endif

#if defined(RTWIRE_BENCH_HAVE_WEBSOCKETPP)
void websocketpp_decode(benchmark::State& state, const stream_input* in) {
  std::vector<char> work(in->wire.size());
  for (auto _ : state) {
    refresh(state, *in, work);
    const std::size_t messages = rtwire_bench::websocketpp_decode_frames(
        reinterpret_cast<unsigned char*>(work.data()), work.size());
    if (messages != in->frames) std::abort();
  }
  set_counts(state, in->wire.size(), in->frames);
}
#endif

#if defined(RTWIRE_BENCH_HAVE_WSLAY)
struct wslay_source {
  const char* data;
  std::size_t size;
  std::size_t at;
  std::size_t messages;
};

ssize_t wslay_recv(wslay_event_context_ptr ctx, std::uint8_t* buf, std::size_t len, int,
                   void* user) {
  auto* s = static_cast<wslay_source*>(user);
  if (s->at == s->size) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  const std::size_t n = len < s->size - s->at ? len : s->size - s->at;
  std::memcpy(buf, s->data + s->at, n);
  s->at += n;
  return static_cast<ssize_t>(n);
}

ssize_t wslay_send(wslay_event_context_ptr, const std::uint8_t*, std::size_t len, int, void*) {
  return static_cast<ssize_t>(len);
}

void wslay_on_message(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg*, void* user) {
  ++static_cast<wslay_source*>(user)->messages;
}

void wslay_decode(benchmark::State& state, const stream_input* in) {
  for (auto _ : state) {
    // wslay copies from the source in its recv callback: no fresh copy needed.
    wslay_source src{in->wire.data(), in->wire.size(), 0, 0};
    wslay_event_callbacks callbacks{wslay_recv, wslay_send, nullptr,         nullptr,
                                    nullptr,    nullptr,    wslay_on_message};
    wslay_event_context_ptr ctx = nullptr;
    if (wslay_event_context_server_init(&ctx, &callbacks, &src) != 0) std::abort();
    wslay_event_config_set_max_recv_msg_length(ctx, std::uint64_t{64} << 20);
    if (wslay_event_recv(ctx) != 0) std::abort();
    wslay_event_context_free(ctx);
    if (src.messages != in->frames) std::abort();
  }
  set_counts(state, in->wire.size(), in->frames);
}
#endif

// ------------------------------------------------------------------------------------------------
// Registration
// ------------------------------------------------------------------------------------------------

template <class... Args>
void add(const std::string& name, void (*fn)(benchmark::State&, Args...), Args... args) {
  benchmark::RegisterBenchmark(name.c_str(), fn, args...)->UseRealTime();
}

[[maybe_unused]] const bool registered = [] {
  const std::uint32_t have = cpu::detect_cpu_features();
  struct path {
    const char* name;
    std::uint32_t mask;
    std::uint32_t needs;
  };
  const path paths[] = {{"rtwire", cpu::all_features, 0},
                        {"rtwire_scalar", 0, 0},
                        {"rtwire_sse2", cpu::cpu_sse2, cpu::cpu_sse2},
                        {"rtwire_avx2", cpu::cpu_sse2 | cpu::cpu_avx2, cpu::cpu_avx2},
                        {"rtwire_avx512", cpu::all_features, cpu::cpu_avx512}};
  const std::pair<const char*, std::size_t> sizes[] = {
      {"16B", 16}, {"125B", 125}, {"1KiB", 1024}, {"16KiB", 16384}, {"1MiB", 1u << 20}};
  for (const auto& [size_name, size] : sizes) {
    const std::string suffix = std::string("/") + size_name;
    for (const path& p : paths)
      if ((have & p.needs) == p.needs)
        add("ws/unmask/" + std::string(p.name) + suffix, rtwire_unmask, size, p.mask);
#if defined(RTWIRE_BENCH_HAVE_BEAST)
    add("ws/unmask/beast" + suffix, beast_unmask, size);
#endif
#if defined(RTWIRE_BENCH_HAVE_WEBSOCKETPP)
    add("ws/unmask/websocketpp" + suffix, websocketpp_unmask, size);
#endif
#if RTWIRE_BENCH_X86
    if (have & cpu::cpu_avx512) {
      add("ws/unmask/read_ceiling" + suffix, read_ceiling, size);
      add("ws/unmask/write_ceiling" + suffix, write_ceiling, size, fill_avx512);
      if (size >= 16 * 1024)  // (its byte-wise ends dominate short buffers)
        add("ws/unmask/write_ceiling_32B_stores" + suffix, write_ceiling, size, fill_avx2);
    }
#endif
  }

  struct stream_case {
    std::string name;
    const stream_input* in;
  };
  const stream_case streams[] = {{"ws/decode_20B", &small_frames()},
                                 {"ws/decode_64KiB/binary", &big_frames(false)},
                                 {"ws/decode_64KiB/text", &big_frames(true)}};
  for (const auto& s : streams) {
    add(s.name + "/rtwire", rtwire_connection_decode, s.in, delivery::whole_message);
    add(s.name + "/rtwire_streaming", rtwire_connection_decode, s.in, delivery::streaming);
    add(s.name + "/rtwire_frame_decoder", rtwire_frame_decoder, s.in);
#if defined(RTWIRE_BENCH_HAVE_BEAST)
    add(s.name + "/beast", beast_decode, s.in);
#endif
#if defined(RTWIRE_BENCH_HAVE_WEBSOCKETPP)
    add(s.name + "/websocketpp", websocketpp_decode, s.in);
#endif
#if defined(RTWIRE_BENCH_HAVE_WSLAY)
    add(s.name + "/wslay", wslay_decode, s.in);
#endif
#if RTWIRE_BENCH_X86
    if (have & cpu::cpu_avx512) add(s.name + "/read_ceiling", decode_ceiling, s.in);
#endif
  }
  return true;
}();

}  // namespace
