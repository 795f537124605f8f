// UTF-8 validation throughput: rtwire (dispatched, and each kernel forced), Boost.Beast's
// check_utf8 / utf8_checker, websocketpp's utf8_validator, and the memory-read ceiling (an OR
// reduction over the same buffer), on ASCII, mixed Korean/Latin and emoji text of 1 KiB and
// 1 MiB. A second set feeds 64 KiB of Korean text in WebSocket-sized pieces (16, 64, 125 bytes)
// through each incremental validator to show the per-call overhead.
//
// Run: rtwire_bench_utf8 --benchmark_min_time=0.2
#include <rtwire/core/utf8.hpp>
#include <rtwire/detail/cpu.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "peers/peers.hpp"

#if defined(RTWIRE_BENCH_HAVE_BEAST)
#include <boost/beast/websocket/detail/utf8_checker.hpp>
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RTWIRE_BENCH_X86 1
#else
#define RTWIRE_BENCH_X86 0
#endif

namespace {

namespace cpu = rtwire::detail;

// ------------------------------------------------------------------------------------------------
// Corpora: words drawn with a fixed seed, so every run measures the same bytes.
// ------------------------------------------------------------------------------------------------

struct corpus {
  const char* name;
  std::vector<std::string_view> words;
};

const std::array<corpus, 3> corpora{{
    {"ascii",
     {"the",        "quick",   "brown",       "fox",          "jumps",    "over",
      "lazy",       "dog",     "WebSocket",   "frame",        "payload",  "message",
      "server",     "client",  "{\"id\":42,", "\"ok\":true}", "HTTP/1.1", "2024-05-01T12:00:00Z",
      "connection", "upgrade", "text,",       "binary."}},
    {"korean",  // Korean prose with Latin words, digits and punctuation mixed in (~80% 3-byte)
     {"안녕하세요", "세계",   "웹소켓", "메시지를", "서버가", "클라이언트에게",
      "보냅니다.",  "데이터", "검증",   "문자열은", "유효한", "UTF-8",
      "입니다",     "rtwire", "연결",   "2024년",   "5월",    "프레임",
      "(텍스트)",   "한국어", "Seoul",  "테스트,"}},
    {"emoji",  // emoji (4-byte), with ZWJ sequences and variation selectors (3-byte)
     {"😀", "🚀", "🎉", "👍🏽", "🌍", "🔥🔥", "❤️", "👨‍👩‍👧", "🏳️‍🌈",
      "🙂", "✨", "🎶", "🧪", "🦀", "ok", "🐧", "🍕", "💬"}},
}};

/// `size` bytes of valid UTF-8 built from the corpus's words separated by spaces.
std::string make_text(const corpus& c, std::size_t size) {
  std::mt19937 rng(20240501);
  std::uniform_int_distribution<std::size_t> pick(0, c.words.size() - 1);
  std::string text;
  text.reserve(size);
  for (;;) {
    const std::string_view word = c.words[pick(rng)];
    if (text.size() + word.size() + 1 > size) break;
    text += word;
    text += ' ';
  }
  text.resize(size, ' ');  // pad with ASCII: stays valid
  return text;
}

const std::string& text_for(std::size_t corpus_index, std::size_t size) {
  static std::array<std::array<std::string, 3>, 3> cache;
  const std::size_t slot = size == 1024 ? 0 : size == (1u << 20) ? 1 : 2;
  std::string& t = cache[corpus_index][slot];
  if (t.empty()) t = make_text(corpora[corpus_index], size);
  return t;
}

void set_bytes(benchmark::State& state, std::size_t bytes_per_iteration) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes_per_iteration));
}

// ------------------------------------------------------------------------------------------------
// rtwire
// ------------------------------------------------------------------------------------------------

struct forced_kernel {
  const char* name;
  std::uint32_t mask;  // cpu_features_override mask
  std::uint32_t needs;
};

const std::array<forced_kernel, 6> kernels{{
    {"dispatch", cpu::all_features, 0},
    {"scalar", 0, 0},
    {"sse2", cpu::cpu_sse2, cpu::cpu_sse2},
    {"ssse3", cpu::cpu_sse2 | cpu::cpu_ssse3, cpu::cpu_sse2 | cpu::cpu_ssse3},
    {"avx2", cpu::cpu_sse2 | cpu::cpu_ssse3 | cpu::cpu_sse41 | cpu::cpu_avx2,
     cpu::cpu_avx2 | cpu::cpu_ssse3},
    {"avx512", cpu::all_features, cpu::cpu_avx512},
}};

void rtwire_validate(benchmark::State& state, std::size_t corpus_index, std::size_t size,
                     std::uint32_t mask) {
  const std::string& text = text_for(corpus_index, size);
  cpu::cpu_features_override(mask);
  for (auto _ : state) {
    const auto r = rtwire::utf8::validate(rtwire::as_bytes(text));
    benchmark::DoNotOptimize(r);
    if (r.status != rtwire::utf8::status::valid) state.SkipWithError("rejected valid text");
  }
  cpu::cpu_features_override(cpu::all_features);
  set_bytes(state, text.size());
}

void rtwire_feed_chunks(benchmark::State& state, std::size_t chunk) {
  const std::string& text = text_for(1, 1u << 16);
  rtwire::utf8::validator v;
  for (auto _ : state) {
    v.reset();
    for (std::size_t at = 0; at < text.size(); at += chunk) {
      const auto r = v.feed(std::string_view(text).substr(at, chunk));
      benchmark::DoNotOptimize(r);
    }
    if (v.finish().status != rtwire::utf8::status::valid) state.SkipWithError("rejected");
  }
  set_bytes(state, text.size());
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * ((text.size() + chunk - 1) / chunk)));
}

// ------------------------------------------------------------------------------------------------
// Peers
// ------------------------------------------------------------------------------------------------

#if defined(RTWIRE_BENCH_HAVE_BEAST)
void beast_check_utf8(benchmark::State& state, std::size_t corpus_index, std::size_t size) {
  const std::string& text = text_for(corpus_index, size);
  for (auto _ : state) {
    const bool ok = boost::beast::websocket::detail::check_utf8(text.data(), text.size());
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("rejected valid text");
  }
  set_bytes(state, text.size());
}

void beast_feed_chunks(benchmark::State& state, std::size_t chunk) {
  const std::string& text = text_for(1, 1u << 16);
  boost::beast::websocket::detail::utf8_checker checker;
  for (auto _ : state) {
    checker.reset();
    for (std::size_t at = 0; at < text.size(); at += chunk) {
      const std::size_t n = text.size() - at < chunk ? text.size() - at : chunk;
      const bool ok = checker.write(reinterpret_cast<const std::uint8_t*>(text.data() + at), n);
      benchmark::DoNotOptimize(ok);
    }
    if (!checker.finish()) state.SkipWithError("rejected");
  }
  set_bytes(state, text.size());
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * ((text.size() + chunk - 1) / chunk)));
}
#endif

#if defined(RTWIRE_BENCH_HAVE_WEBSOCKETPP)
void websocketpp_validate(benchmark::State& state, std::size_t corpus_index, std::size_t size) {
  const std::string& text = text_for(corpus_index, size);
  for (auto _ : state) {
    const bool ok = rtwire_bench::websocketpp_utf8_valid(text, 0);
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("rejected valid text");
  }
  set_bytes(state, text.size());
}

void websocketpp_feed_chunks(benchmark::State& state, std::size_t chunk) {
  const std::string& text = text_for(1, 1u << 16);
  for (auto _ : state) {
    const bool ok = rtwire_bench::websocketpp_utf8_valid(text, chunk);
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("rejected valid text");
  }
  set_bytes(state, text.size());
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * ((text.size() + chunk - 1) / chunk)));
}
#endif

// ------------------------------------------------------------------------------------------------
// Ceiling: read every byte once and nothing else.
// ------------------------------------------------------------------------------------------------

#if RTWIRE_BENCH_X86
/// ORs every byte of the buffer together: aligned 64-byte loads into 4 independent
/// accumulators, the unaligned head and tail through masked loads.
__attribute__((target("avx512f,avx512bw"))) std::uint64_t or_reduce_avx512(const unsigned char* p,
                                                                           std::size_t n) {
  const std::size_t misalign = reinterpret_cast<std::uintptr_t>(p) & 63;
  std::size_t head = misalign == 0 ? 0 : 64 - misalign;
  if (head > n) head = n;
  __m512i acc[4];
  for (auto& a : acc)
    a = _mm512_setzero_si512();
  acc[0] = _mm512_maskz_loadu_epi8((__mmask64{1} << head) - 1, p);
  std::size_t i = head;
  for (; n - i >= 256; i += 256) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm512_or_si512(acc[k], _mm512_load_si512(p + i + 64 * k));
    }
  }
  for (; n - i >= 64; i += 64)
    acc[1] = _mm512_or_si512(acc[1], _mm512_load_si512(p + i));
  acc[2] = _mm512_or_si512(acc[2], _mm512_maskz_loadu_epi8((__mmask64{1} << (n - i)) - 1, p + i));
  for (int k = 1; k < 4; ++k)
    acc[0] = _mm512_or_si512(acc[0], acc[k]);
  return _mm512_movepi8_mask(acc[0]);
}

void memory_read_ceiling(benchmark::State& state, std::size_t corpus_index, std::size_t size) {
  const std::string& text = text_for(corpus_index, size);
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (auto _ : state)
    benchmark::DoNotOptimize(or_reduce_avx512(p, text.size()));
  set_bytes(state, text.size());
}
#endif

// ------------------------------------------------------------------------------------------------
// Registration
// ------------------------------------------------------------------------------------------------

[[maybe_unused]] const bool registered = [] {
  const std::uint32_t have = cpu::detect_cpu_features();
  const std::array<std::pair<const char*, std::size_t>, 2> sizes{
      {{"1KiB", 1024}, {"1MiB", 1u << 20}}};
  for (std::size_t ci = 0; ci < corpora.size(); ++ci) {
    for (const auto& [size_name, size] : sizes) {
      const std::string suffix = std::string("/") + corpora[ci].name + "/" + size_name;
      for (const forced_kernel& k : kernels) {
        if ((have & k.needs) != k.needs) continue;
        benchmark::RegisterBenchmark(("utf8/rtwire/" + std::string(k.name) + suffix).c_str(),
                                     rtwire_validate, ci, size, k.mask);
      }
#if defined(RTWIRE_BENCH_HAVE_BEAST)
      benchmark::RegisterBenchmark(("utf8/beast" + suffix).c_str(), beast_check_utf8, ci, size);
#endif
#if defined(RTWIRE_BENCH_HAVE_WEBSOCKETPP)
      benchmark::RegisterBenchmark(("utf8/websocketpp" + suffix).c_str(), websocketpp_validate, ci,
                                   size);
#endif
#if RTWIRE_BENCH_X86
      if (have & cpu::cpu_avx512) {
        benchmark::RegisterBenchmark(("utf8/ceiling_read_avx512" + suffix).c_str(),
                                     memory_read_ceiling, ci, size);
      }
#endif
    }
  }
  for (const std::size_t chunk : {16, 64, 125}) {
    const std::string suffix = "/korean/64KiB/chunk:" + std::to_string(chunk);
    benchmark::RegisterBenchmark(("utf8_feed/rtwire" + suffix).c_str(), rtwire_feed_chunks, chunk);
#if defined(RTWIRE_BENCH_HAVE_BEAST)
    benchmark::RegisterBenchmark(("utf8_feed/beast" + suffix).c_str(), beast_feed_chunks, chunk);
#endif
#if defined(RTWIRE_BENCH_HAVE_WEBSOCKETPP)
    benchmark::RegisterBenchmark(("utf8_feed/websocketpp" + suffix).c_str(),
                                 websocketpp_feed_chunks, chunk);
#endif
  }
  return true;
}();

}  // namespace
