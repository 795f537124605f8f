// The SSE decoder's output as text lines, for tests that compare a decoded stream with an
// expected log (tests/sse/decoder.cpp, tests/sse/decoder_paths.cpp).
#pragma once

#include <rtwire/sse/decoder.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace rtwire::test {

/// Feeds `chunks` in order (draining after each), then finish(). One line per outcome:
/// `event <type> id=<id> data=<data>`, `retry <n>`, and a final `end id=<last event id>
/// retry=<n|none>` or `error <message> @<offset>` (or `feed error <message>`).
inline std::vector<std::string> sse_decode_log(const std::vector<std::string_view>& chunks,
                                               const rtwire::sse::decoder_options& opts = {}) {
  using rtwire::sse::status;
  rtwire::sse::decoder dec(opts);
  std::vector<std::string> log;
  auto drain = [&]() -> bool {
    for (;;) {
      const auto r = dec.next();
      switch (r.status) {
        case status::event:
          log.push_back("event " + std::string(r.event.type) + " id=" +
                        std::string(r.event.last_event_id) + " data=" + std::string(r.event.data));
          break;
        case status::retry:
          log.push_back("retry " + std::to_string(r.retry));
          break;
        case status::need_more:
          return true;
        case status::end:
          log.push_back("end id=" + std::string(dec.last_event_id()) + " retry=" +
                        (dec.reconnection_time() ? std::to_string(*dec.reconnection_time())
                                                 : std::string("none")));
          return false;
        case status::error:
          log.push_back("error " + dec.error().message() + " @" +
                        std::to_string(dec.error().offset));
          return false;
      }
    }
  };
  for (const auto chunk : chunks) {
    if (dec.feed(chunk)) {
      log.push_back("feed error " + dec.error().message());
      return log;
    }
    if (!drain()) return log;
  }
  dec.finish();
  drain();
  return log;
}

}  // namespace rtwire::test
