// The chat tests' sink (records every event a session is delivered, as parsed JSON, and checks
// that the event's type and id agree with its JSON) and reply recorder. Shared by tests/chat/*.cpp
// and tests/chat/redis/*.cpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"
#include "hub.hpp"

namespace chat_test {

using json = chat::json;

struct recorder : chat::sink {
  std::vector<json> events;
  int evictions = 0;

  void deliver(const chat::event& ev) override {
    json j = json::parse(ev.json);
    CHECK(j["type"] == std::string(ev.type));
    if (!ev.id.empty()) CHECK(j["id"] == std::string(ev.id));
    events.push_back(std::move(j));
  }
  void evicted() override { ++evictions; }

  std::vector<json> of(const std::string& type) const {
    std::vector<json> out;
    for (const auto& e : events)
      if (e["type"] == type) out.push_back(e);
    return out;
  }
  /// Events of `type` about client `id` (user-joined, user-left).
  std::size_t about(const std::string& type, const std::string& id) const {
    std::size_t n = 0;
    for (const auto& e : of(type))
      if (e.value("clientId", "") == id) ++n;
    return n;
  }
  /// Every event's type, with the id (logged events) or cursor (joined, reset) after a space.
  std::vector<std::string> trace() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      std::string t = e["type"];
      if (e.contains("id"))
        t += " " + e["id"].get<std::string>();
      else if (e.contains("cursor"))
        t += " " + e["cursor"].get<std::string>();
      out.push_back(t);
    }
    return out;
  }
  void clear() { events.clear(); }
};

/// What a client message's reply_fn was called with, and how often (exactly once is the rule).
struct answer {
  int calls = 0;
  std::optional<chat::error> err;
};
inline chat::reply_fn reply_to(answer& a) {
  return [&a](std::optional<chat::error> e) {
    ++a.calls;
    a.err = std::move(e);
  };
}

}  // namespace chat_test
