// Long-poll queue benchmarks (rtwire/longpoll/queue.hpp). Targets (issue): <= 100 ns per woken
// waiter, <= 128 bytes per parked waiter, publish with no waiters <= 50 ns.
//   BM_publish_wake/10000      publish into a topic with 10^4 parked waiters (items = waiters)
//   BM_publish_no_waiters      append only (retention evicting in steady state)
//   BM_poll_ready              the ready path of poll(): one message after the cursor
//   BM_replay_retained         a client replays 10^5 retained messages in batches of 100
//   BM_parked_waiter_memory*   memory_usage() growth per parked waiter, with and without a
//                              session (counter bytes_per_waiter)
#include <benchmark/benchmark.h>
#include <rtwire/longpoll.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace lp = rtwire::longpoll;
namespace lg = rtwire::log;

namespace {

const std::string payload(64, 'x');

void BM_publish_wake(benchmark::State& state) {
  const auto waiters = static_cast<std::uint64_t>(state.range(0));
  lp::queue q({.max_waiters = waiters});
  const auto t = *q.add_topic(1, {.max_messages = 1024});
  std::vector<lp::completion> out;
  out.reserve(waiters);
  for (auto _ : state) {
    state.PauseTiming();
    out.clear();
    for (std::uint64_t i = 0; i < waiters; ++i)
      (void)q.poll({.topic = t, .token = i, .timeout = 30'000ms}, 0ms);
    state.ResumeTiming();
    benchmark::DoNotOptimize(q.publish(t, payload, 0ms, out));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_publish_wake)->Arg(10'000)->Unit(benchmark::kMicrosecond);

void BM_publish_no_waiters(benchmark::State& state) {
  lp::queue q;
  const auto t = *q.add_topic(1, {.max_messages = 1024});
  std::vector<lp::completion> out;
  for (auto _ : state)
    benchmark::DoNotOptimize(q.publish(t, payload, 0ms, out));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(payload.size()));
}
BENCHMARK(BM_publish_no_waiters);

void BM_poll_ready(benchmark::State& state) {
  lp::queue q;
  const auto t = *q.add_topic(1, {.max_messages = 1024});
  std::vector<lp::completion> out;
  for (int i = 0; i < 1000; ++i)
    (void)q.publish(t, payload, 0ms, out);
  const lp::position from = lp::position::after({1, 999});
  for (auto _ : state) {
    auto r = q.poll({.topic = t, .from = from}, 0ms);
    benchmark::DoNotOptimize(r.next);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_poll_ready);

void BM_replay_retained(benchmark::State& state) {
  constexpr std::uint64_t n = 100'000;
  lp::queue q({.max_batch_messages = 100});
  const auto t = *q.add_topic(1, {.max_messages = n, .max_bytes = std::size_t{64} << 20});
  std::vector<lp::completion> out;
  for (std::uint64_t i = 0; i < n; ++i)
    (void)q.publish(t, payload, 0ms, out);
  for (auto _ : state) {
    lg::cursor c{1, 0};
    std::size_t bytes = 0;
    while (c.offset < n) {
      auto r = q.poll({.topic = t, .from = lp::position::after(c)}, 0ms);
      bytes += r.messages.bytes();
      c = r.next;
    }
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n * payload.size()));
}
BENCHMARK(BM_replay_retained)->Unit(benchmark::kMillisecond);

// Memory growth per parked poll, measured exactly by memory_usage(); `range(1)` = 1 calls
// reserve_waiters() first (no growth slack).
void parked_waiter_memory(benchmark::State& state, bool with_session) {
  const auto waiters = static_cast<std::uint64_t>(state.range(0));
  double per_waiter = 0;
  for (auto _ : state) {
    lp::queue q({.max_waiters = waiters});
    const auto t = *q.add_topic(1);
    const std::size_t before = q.memory_usage();
    if (state.range(1) != 0) q.reserve_waiters(waiters);
    for (std::uint64_t i = 0; i < waiters; ++i)
      (void)q.poll({.topic = t,
                    .token = i,
                    .session = with_session ? std::optional(i) : std::nullopt,
                    .timeout = 30'000ms},
                   0ms);
    per_waiter = static_cast<double>(q.memory_usage() - before) / static_cast<double>(waiters);
  }
  state.counters["bytes_per_waiter"] = per_waiter;
}

void BM_parked_waiter_memory(benchmark::State& state) {
  parked_waiter_memory(state, true);
}
BENCHMARK(BM_parked_waiter_memory)->Args({10'000, 0})->Args({100'000, 1})->Iterations(3);

void BM_parked_waiter_memory_no_session(benchmark::State& state) {
  parked_waiter_memory(state, false);
}
BENCHMARK(BM_parked_waiter_memory_no_session)
    ->Args({10'000, 0})
    ->Args({100'000, 0})
    ->Args({100'000, 1})
    ->Iterations(3);

}  // namespace
