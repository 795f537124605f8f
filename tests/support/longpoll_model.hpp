// Shared by the long-poll tests: the plain reference model of one topic the model-based tests
// check the queue against, batch helpers, and the reproducible seed.
#pragma once

#include <rtwire/longpoll.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace rtwire_test::longpoll {

namespace lp = rtwire::longpoll;
namespace lg = rtwire::log;

/// Everything published to a topic in its current epoch, and the retention window computed the
/// plain way (O(n), no ring, no running totals).
struct model_topic {
  lg::retention keep;
  std::uint64_t epoch = 0;
  std::vector<std::string> payloads{};  // offset i + 1
  std::vector<lp::millis> times{};
  std::uint64_t first = 1;  // oldest retained offset
  std::size_t bytes = 0;    // retained bytes

  std::uint64_t last() const { return payloads.size(); }
  lp::cursor head() const { return {epoch, last()}; }

  /// Applies retention at `now`; returns how many messages it evicted.
  std::size_t evict(lp::millis now) {
    std::size_t n = 0;
    while (first <= last() &&
           (last() - first + 1 > keep.max_messages || bytes > keep.max_bytes ||
            (keep.max_age.count() > 0 && now - times[first - 1] > keep.max_age))) {
      bytes -= payloads[first - 1].size();
      ++first;
      ++n;
    }
    return n;
  }

  /// Payload bytes after offset `after`.
  std::uint64_t backlog(std::uint64_t after) const {
    std::uint64_t n = 0;
    for (std::uint64_t o = after + 1; o <= last(); ++o)
      n += payloads[o - 1].size();
    return n;
  }
};

/// The payloads of a batch, in order.
inline std::vector<std::string> texts(const lp::batch& b) {
  std::vector<std::string> out;
  for (const auto& m : b)
    out.emplace_back(m.payload());
  return out;
}

/// The offsets of a batch, in order.
inline std::vector<std::uint64_t> offsets(const lp::batch& b) {
  std::vector<std::uint64_t> out;
  for (const auto& m : b)
    out.push_back(m.offset());
  return out;
}

/// RTWIRE_LONGPOLL_SEED, or a fixed default: every randomized run is reproducible.
inline std::uint64_t seed_from_env() {
  if (const char* s = std::getenv("RTWIRE_LONGPOLL_SEED")) return std::strtoull(s, nullptr, 10);
  return 20240601;
}

}  // namespace rtwire_test::longpoll
