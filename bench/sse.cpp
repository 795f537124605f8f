// Benchmarks for the SSE codec (rtwire/sse/decoder.hpp, encoder.hpp).
//
// Workload (issue 4): a 64 MiB stream of typical events, each with an id (a log cursor), an
// event type and 1-3 data lines of ~100 bytes, decoded in 4 KiB chunks and encoded from the
// same events. The limit is a plain newline scan of the same buffer (memchr for every LF): no
// parser that looks at every line can beat it. A raw read of the buffer is reported too.
#include <benchmark/benchmark.h>

#include <rtwire/core/log.hpp>
#include <rtwire/sse/decoder.hpp>
#include <rtwire/sse/encoder.hpp>
#include <rtwire/sse/prepared.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t stream_bytes = std::size_t{64} << 20;
constexpr std::size_t chunk_bytes = 4096;

struct corpus {
  std::string stream;
  std::vector<std::string> ids, types, datas;  // the events, for the encoder
  std::size_t events = 0;
};

// Deterministic pseudo-random numbers (the benchmark must be reproducible). The generator and the
// stream layout are the same as in tests/integration/sse/bench.mjs, so both measure the same bytes.
struct lcg {
  std::uint64_t s = 0x2545F491u;
  std::uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(s >> 33);
  }
};

const corpus& typical() {
  static const corpus c = [] {
    corpus out;
    lcg rng;
    const char* types[] = {"update", "price", "chat-message", "presence"};
    std::string data;
    while (out.stream.size() < stream_bytes) {
      const std::string id = rtwire::log::to_string({0x5f3e2a, out.events + 1});
      const unsigned lines = 1 + rng.next() % 3;
      const std::string type = types[rng.next() % 4];
      data.clear();
      for (unsigned l = 0; l < lines; ++l) {
        if (l) data += '\n';
        std::string text;
        const unsigned n = 80 + rng.next() % 21;  // ~100 bytes per data line in all
        for (unsigned k = 0; k < n; ++k)
          text += static_cast<char>('a' + rng.next() % 26);
        data += "{\"seq\":" + std::to_string(out.events) + ",\"user\":\"u" +
                std::to_string(rng.next() % 10000) + "\",\"text\":\"" + text + "\"}";
      }
      if (rtwire::sse::write_event(out.stream, {.id = id, .type = type, .data = data})) {
        std::abort();  // the corpus is made of encodable events
      }
      out.ids.push_back(id);
      out.types.push_back(type);
      out.datas.push_back(data);
      ++out.events;
    }
    return out;
  }();
  return c;
}

std::size_t iterations(const benchmark::State& state) {
  return static_cast<std::size_t>(state.iterations());
}

void BM_sse_decode_4k_chunks(benchmark::State& state) {
  const corpus& c = typical();
  const std::string_view all = c.stream;
  std::size_t events = 0, checksum = 0;
  for (auto _ : state) {
    rtwire::sse::decoder dec;
    for (std::size_t at = 0; at < all.size(); at += chunk_bytes) {
      if (dec.feed(all.substr(at, chunk_bytes))) state.SkipWithError("feed failed");
      for (auto r = dec.next(); r.status == rtwire::sse::status::event; r = dec.next()) {
        checksum += r.event.data.size() + r.event.last_event_id.size();
        ++events;
      }
    }
    benchmark::DoNotOptimize(checksum);
  }
  if (events != c.events * iterations(state)) state.SkipWithError("wrong event count");
  state.counters["stream_bytes"] = static_cast<double>(all.size());
  state.counters["stream_events"] = static_cast<double>(c.events);
  state.SetBytesProcessed(static_cast<std::int64_t>(all.size() * iterations(state)));
  state.SetItemsProcessed(static_cast<std::int64_t>(c.events * iterations(state)));
}
BENCHMARK(BM_sse_decode_4k_chunks)->Unit(benchmark::kMillisecond);

void BM_sse_decode_whole(benchmark::State& state) {
  const corpus& c = typical();
  std::size_t checksum = 0;
  for (auto _ : state) {
    rtwire::sse::decoder dec;
    if (dec.feed(c.stream)) state.SkipWithError("feed failed");
    for (auto r = dec.next(); r.status == rtwire::sse::status::event; r = dec.next()) {
      checksum += r.event.data.size();
    }
    benchmark::DoNotOptimize(checksum);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(c.stream.size() * iterations(state)));
  state.SetItemsProcessed(static_cast<std::int64_t>(c.events * iterations(state)));
}
BENCHMARK(BM_sse_decode_whole)->Unit(benchmark::kMillisecond);

void BM_sse_encode(benchmark::State& state) {
  const corpus& c = typical();
  // The output's pages are touched once here, so that a short run (few iterations) measures
  // the encoder, not the kernel's first-touch page faults on 64 MiB.
  std::string out = c.stream;
  for (auto _ : state) {
    out.clear();
    for (std::size_t i = 0; i < c.events; ++i) {
      if (rtwire::sse::write_event(out, {.id = c.ids[i], .type = c.types[i], .data = c.datas[i]}))
        state.SkipWithError("encode failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
  if (out != c.stream) state.SkipWithError("encoder output differs from the corpus");
  state.SetBytesProcessed(static_cast<std::int64_t>(c.stream.size() * iterations(state)));
  state.SetItemsProcessed(static_cast<std::int64_t>(c.events * iterations(state)));
}
BENCHMARK(BM_sse_encode)->Unit(benchmark::kMillisecond);

// Fan-out (issue #14 "encode once, send to many"): one event of range(0) data bytes to 10 000
// streams' output buffers, then each buffer sent (emptied). Naive: write_event() into every
// stream's own std::string (encode + copy per recipient). Prepared: prepare() once, then one
// reference per stream's output_queue. Items are recipients: ns per recipient = 1e9 / items/s.
constexpr std::size_t fanout_streams = 10000;

rtwire::sse::outgoing_event fanout_event(const std::string& data) {
  return {.id = "5f3e2a-1234", .type = "chat-message", .data = data};
}

void BM_sse_fanout_naive(benchmark::State& state) {
  const std::string data(static_cast<std::size_t>(state.range(0)), 'x');
  std::vector<std::string> outputs(fanout_streams);
  for (auto _ : state) {
    for (auto& out : outputs)
      if (rtwire::sse::write_event(out, fanout_event(data))) state.SkipWithError("encode failed");
    for (auto& out : outputs) {
      benchmark::DoNotOptimize(out.data());
      out.clear();  // sent
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(fanout_streams * iterations(state)));
}
BENCHMARK(BM_sse_fanout_naive)->Arg(100)->Arg(4096)->Unit(benchmark::kMicrosecond);

void BM_sse_fanout_prepared(benchmark::State& state) {
  const std::string data(static_cast<std::size_t>(state.range(0)), 'x');
  std::vector<rtwire::sse::output_queue> outputs(fanout_streams);
  for (auto _ : state) {
    rtwire::sse::prepared_event ev;
    if (rtwire::sse::prepare(ev, fanout_event(data))) state.SkipWithError("encode failed");
    for (auto& q : outputs)
      q.push(ev);
    for (auto& q : outputs) {
      std::array<std::string_view, 1> iov;
      benchmark::DoNotOptimize(q.gather(iov));
      q.consume(q.pending());  // sent
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(fanout_streams * iterations(state)));
}
BENCHMARK(BM_sse_fanout_prepared)->Arg(100)->Arg(4096)->Unit(benchmark::kMicrosecond);

// The limit: find every LF of the same buffer with memchr, in the same 4 KiB chunks.
void BM_limit_newline_scan(benchmark::State& state) {
  const corpus& c = typical();
  const std::string_view all = c.stream;
  std::size_t lines = 0;
  for (auto _ : state) {
    for (std::size_t at = 0; at < all.size(); at += chunk_bytes) {
      const std::string_view chunk = all.substr(at, chunk_bytes);
      const char* p = chunk.data();
      const char* end = p + chunk.size();
      while (const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p))) {
        p = static_cast<const char*>(nl) + 1;
        ++lines;
      }
    }
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(all.size() * iterations(state)));
  state.SetItemsProcessed(static_cast<std::int64_t>(c.events * iterations(state)));
}
BENCHMARK(BM_limit_newline_scan)->Unit(benchmark::kMillisecond);

// Memory read bandwidth on the same buffer (sum of 64-bit words).
void BM_limit_read(benchmark::State& state) {
  const corpus& c = typical();
  for (auto _ : state) {
    std::uint64_t sum = 0;
    const char* p = c.stream.data();
    const std::size_t words = c.stream.size() / 8;
    for (std::size_t i = 0; i < words; ++i) {
      std::uint64_t w;
      std::memcpy(&w, p + i * 8, 8);
      sum += w;
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(c.stream.size() * iterations(state)));
}
BENCHMARK(BM_limit_read)->Unit(benchmark::kMillisecond);

}  // namespace
