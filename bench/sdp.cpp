// SDP and ICE candidate benchmarks: parse and format a real Chrome audio + video + data channel
// offer (tests/sdp/fixtures/chrome_offer.sdp, ~6 KB) in view and owning forms, parse and
// serialise a Chrome candidate. Peer in the same binary: sofia-sip's sdp_parse / sdp_print
// (when RTWIRE_BENCH_HAVE_SOFIA_SIP). Baseline: one memchr pass over the same buffer (the cost
// of merely finding the line ends).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <rtwire/sdp.hpp>
#include <string>
#include <string_view>

#if defined(RTWIRE_BENCH_HAVE_SOFIA_SIP)
#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>
#endif

namespace {

const std::string& chrome_offer() {
  static const std::string text = [] {
    const auto path = std::filesystem::path(__FILE__).parent_path() / ".." / "tests" / "sdp" /
                      "fixtures" / "chrome_offer.sdp";
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }();
  return text;
}

constexpr std::string_view chrome_candidate =
    "candidate:3406113286 1 udp 2122260223 192.168.1.14 56143 typ host generation 0 ufrag EsAw "
    "network-id 1 network-cost 10";

void count(benchmark::State& state, std::size_t bytes_per_item) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes_per_item));
}

bool have_offer(benchmark::State& state) {
  if (chrome_offer().empty()) {
    state.SkipWithError("tests/sdp/fixtures/chrome_offer.sdp not found");
    return false;
  }
  return true;
}

// ---- baseline ----

void BM_baseline_memchr_lines(benchmark::State& state) {
  if (!have_offer(state)) return;
  const std::string& text = chrome_offer();
  for (auto _ : state) {
    std::size_t lines = 0;
    const char* p = text.data();
    const char* end = p + text.size();
    while (const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
      ++lines;
      p = static_cast<const char*>(nl) + 1;
    }
    benchmark::DoNotOptimize(lines);
  }
  count(state, text.size());
}
BENCHMARK(BM_baseline_memchr_lines);

// ---- rtwire ----

void BM_rtwire_sdp_parse_view(benchmark::State& state) {
  if (!have_offer(state)) return;
  const std::string& text = chrome_offer();
  rtwire::sdp::session s;  // reused: steady state performs no allocation
  for (auto _ : state) {
    const auto err = rtwire::sdp::parse(text, s);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(s.media.data());
  }
  if (rtwire::sdp::parse(text, s)) state.SkipWithError("rtwire rejected the offer");
  count(state, text.size());
}
BENCHMARK(BM_rtwire_sdp_parse_view);

void BM_rtwire_sdp_parse_lenient_view(benchmark::State& state) {
  if (!have_offer(state)) return;
  const std::string& text = chrome_offer();
  rtwire::sdp::session s;
  const rtwire::sdp::parse_options options{rtwire::sdp::mode::lenient, {}};
  for (auto _ : state) {
    const auto err = rtwire::sdp::parse(text, s, options);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(s.media.data());
  }
  count(state, text.size());
}
BENCHMARK(BM_rtwire_sdp_parse_lenient_view);

void BM_rtwire_sdp_parse_owned(benchmark::State& state) {
  if (!have_offer(state)) return;
  const std::string& text = chrome_offer();
  rtwire::sdp::session s;
  for (auto _ : state) {
    rtwire::sdp::parse(text, s);
    auto owned = rtwire::sdp::to_owned(s);
    benchmark::DoNotOptimize(owned.media.data());
  }
  count(state, text.size());
}
BENCHMARK(BM_rtwire_sdp_parse_owned);

void BM_rtwire_sdp_format_view(benchmark::State& state) {
  if (!have_offer(state)) return;
  const std::string& text = chrome_offer();
  rtwire::sdp::session s;
  rtwire::sdp::parse(text, s);
  std::string out;
  out.reserve(text.size());
  for (auto _ : state) {
    out.clear();
    rtwire::sdp::format(s, out);
    benchmark::DoNotOptimize(out.data());
  }
  if (out != text) state.SkipWithError("view format is not byte-exact");
  count(state, text.size());
}
BENCHMARK(BM_rtwire_sdp_format_view);

void BM_rtwire_sdp_format_owned(benchmark::State& state) {
  if (!have_offer(state)) return;
  const std::string& text = chrome_offer();
  rtwire::sdp::session s;
  rtwire::sdp::parse(text, s);
  const auto owned = rtwire::sdp::to_owned(s);
  std::string out;
  out.reserve(text.size());
  for (auto _ : state) {
    out.clear();
    rtwire::sdp::format(owned, out);
    benchmark::DoNotOptimize(out.data());
  }
  if (out != text) state.SkipWithError("owned format differs from the Chrome offer");
  count(state, text.size());
}
BENCHMARK(BM_rtwire_sdp_format_owned);

void BM_rtwire_candidate_parse(benchmark::State& state) {
  rtwire::sdp::candidate c;
  for (auto _ : state) {
    const auto err = rtwire::sdp::parse_candidate(chrome_candidate, c);
    benchmark::DoNotOptimize(err);
    benchmark::DoNotOptimize(c.priority);
  }
  count(state, chrome_candidate.size());
}
BENCHMARK(BM_rtwire_candidate_parse);

void BM_rtwire_candidate_serialize(benchmark::State& state) {
  rtwire::sdp::candidate c;
  rtwire::sdp::parse_candidate(chrome_candidate, c);
  std::string out;
  out.reserve(256);
  for (auto _ : state) {
    out.clear();
    rtwire::sdp::serialize(c, out);
    benchmark::DoNotOptimize(out.data());
  }
  if (out != chrome_candidate) state.SkipWithError("candidate serialisation is not exact");
  count(state, chrome_candidate.size());
}
BENCHMARK(BM_rtwire_candidate_serialize);

// ---- sofia-sip ----

#if defined(RTWIRE_BENCH_HAVE_SOFIA_SIP)

void BM_sofia_sdp_parse(benchmark::State& state) {
  if (!have_offer(state)) return;
  const std::string& text = chrome_offer();
  su_home_t home[1] = {SU_HOME_INIT(home)};
  su_home_init(home);
  for (auto _ : state) {
    sdp_parser_t* p = sdp_parse(home, text.data(), static_cast<issize_t>(text.size()), 0);
    benchmark::DoNotOptimize(sdp_session(p));
    sdp_parser_free(p);
  }
  sdp_parser_t* p = sdp_parse(home, text.data(), static_cast<issize_t>(text.size()), 0);
  if (sdp_session(p) == nullptr) state.SkipWithError(sdp_parsing_error(p));
  sdp_parser_free(p);
  su_home_deinit(home);
  count(state, text.size());
}
BENCHMARK(BM_sofia_sdp_parse);

void BM_sofia_sdp_print(benchmark::State& state) {
  if (!have_offer(state)) return;
  const std::string& text = chrome_offer();
  su_home_t home[1] = {SU_HOME_INIT(home)};
  su_home_init(home);
  sdp_parser_t* p = sdp_parse(home, text.data(), static_cast<issize_t>(text.size()), 0);
  const sdp_session_t* session = sdp_session(p);
  if (session == nullptr) {
    state.SkipWithError(sdp_parsing_error(p));
  } else {
    for (auto _ : state) {
      sdp_printer_t* printer = sdp_print(home, session, nullptr, 0, 0);
      benchmark::DoNotOptimize(sdp_message(printer));
      sdp_printer_free(printer);
    }
  }
  sdp_parser_free(p);
  su_home_deinit(home);
  count(state, text.size());
}
BENCHMARK(BM_sofia_sdp_print);

#endif

}  // namespace
