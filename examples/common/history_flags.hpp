// Shared by the SSE and long-poll example servers: the message history each topic keeps, as
// command-line flags, and the caller's clock the history's age limit is measured with.
//
//   rtwire_examples::history_flags history;   // --max-messages, --max-bytes, --max-age, --epoch
//   history.add_to(app);
//   ...parse...
//   rtwire::log::message_log log(history.epoch_or_boot_id(), history.retention());
//
// Not part of the library.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "rtwire/core/log.hpp"

namespace rtwire_examples {

/// The caller's monotonic clock for log ages and poll deadlines (rtwire itself reads no clock).
inline rtwire::log::millis mono_now() {
  return std::chrono::duration_cast<rtwire::log::millis>(
      std::chrono::steady_clock::now().time_since_epoch());
}

struct history_flags {
  std::size_t max_messages = 10'000;
  std::size_t max_bytes = std::size_t{16} << 20;
  std::int64_t max_age_s = 0;
  std::uint64_t epoch = 0;  // 0: a boot id from the clock, see epoch_or_boot_id()

  void add_to(CLI::App& app) {
    app.add_option("--max-messages", max_messages, "Messages kept per topic")
        ->capture_default_str();
    app.add_option("--max-bytes", max_bytes, "Message bytes kept per topic")->capture_default_str();
    app.add_option("--max-age", max_age_s, "Seconds a message is kept (0: no limit)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--epoch", epoch, "Topic epoch (default: a boot id from the clock)");
  }

  rtwire::log::retention retention() const {
    rtwire::log::retention keep;
    keep.max_messages = max_messages;
    keep.max_bytes = max_bytes;
    keep.max_age = std::chrono::seconds(max_age_s);
    return keep;
  }

  /// --epoch, or else a boot id: the history lives in memory and is lost with the process, so
  /// cursors of a previous run must resume as epoch_mismatch instead of pointing silently into
  /// this run's history.
  std::uint64_t epoch_or_boot_id() const {
    if (epoch != 0) return epoch;
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  }
};

}  // namespace rtwire_examples
