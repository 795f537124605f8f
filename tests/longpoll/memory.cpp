// memory_usage() of rtwire/longpoll/queue.hpp is exact: this program replaces the global
// allocator with one that counts live bytes, and checks after each kind of operation that the
// queue's heap footprint equals memory_usage().
#include <rtwire/longpoll.hpp>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/allocation_counter.hpp"

using namespace std::chrono_literals;
namespace lp = rtwire::longpoll;

TEST_CASE("memory_usage() equals the heap bytes the queue holds", "[longpoll][memory]") {
  if constexpr (!rtwire::test::allocation_counting) {
    WARN("allocation counting is disabled under AddressSanitizer");
    return;
  }
  const auto live_bytes = [] { return rtwire::test::live_bytes.load(); };
  std::vector<lp::completion> out;
  out.reserve(4096);
  std::vector<lp::poll_result> results;
  results.reserve(4096);
  std::vector<lp::topic_id> topics;
  topics.reserve(20);
  const std::string text(100, 'x');
  const std::size_t base = live_bytes();
  bool exact = true;
  std::size_t checks = 0, first_bad = 0, heap_at_bad = 0, usage_at_bad = 0;
  {
    lp::queue q({.max_session_waiters = 3, .on_duplicate = lp::duplicate_poll::allow_concurrent});
    // Compare outside Catch's assertion macros (they allocate); record the first mismatch.
    auto check = [&] {
      ++checks;
      if (exact && live_bytes() - base != q.memory_usage()) {
        exact = false;
        first_bad = checks;
        heap_at_bad = live_bytes() - base;
        usage_at_bad = q.memory_usage();
      }
    };
    check();
    for (std::uint64_t i = 0; i < 20; ++i) {
      topics.push_back(*q.add_topic(i + 1, {.max_messages = 50}));
      check();
    }
    for (std::uint64_t i = 0; i < 2000; ++i) {
      results.push_back(q.poll({.topic = topics[i % 20],
                                .token = i,
                                .session = std::optional<std::uint64_t>(i % 300),
                                .timeout = std::chrono::milliseconds(i % 500)},
                               0ms));
      if (i % 7 == 0) check();
    }
    results.clear();
    check();
    for (std::uint64_t i = 0; i < 3000; ++i) {
      const std::string_view payload = std::string_view(text).substr(0, i % 97);
      (void)q.publish(topics[i % 20], payload, std::chrono::milliseconds(i / 10), out);
      out.clear();
      if (i % 5 == 0) check();
    }
    (void)q.expire(10'000ms, out);
    out.clear();
    (void)q.next_deadline();
    check();
    (void)q.reset_topic(topics[3], 99, out);
    out.clear();
    check();
  }
  const std::size_t after = live_bytes();
  REQUIRE(checks > 100);
  INFO("check #" << first_bad << ": heap " << heap_at_bad << ", memory_usage " << usage_at_bad);
  CHECK(exact);
  CHECK(after == base);
}
