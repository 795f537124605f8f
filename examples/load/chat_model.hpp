// rtwire_load's chat mode, its vocabulary: reading chat_server's events (the fields of one JSON
// event; cursors are rtwire::log::parse_cursor's) and what a run keeps per message, client and
// room. The driver is chat_run.hpp. Part of examples/load (see main.cpp); not part of the library.
#pragma once

#include <rtwire/core/log_cursor.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat_client.hpp"

namespace rtwire_load {

// ---------------------------------------------------------------------------------------------
// 9. Reading the server's events: chat_server writes each event as one JSON object with plain
// string values ({"type":"message","room":R,"id":CURSOR,"from",...}). A top-level string field
// is found by `{"key":"` or `,"key":"`: inside a JSON string every `"` is escaped, so that
// pattern cannot start inside one. A value holding an escape is not expected from this run's
// clients and is refused (nullopt), never half-read.
// ---------------------------------------------------------------------------------------------

inline std::optional<std::string_view> json_field(std::string_view text, std::string_view key) {
  for (std::size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    if (at < 2 || text[at - 1] != '"' || (text[at - 2] != '{' && text[at - 2] != ',')) continue;
    const std::size_t value = at + key.size();
    if (text.compare(value, 3, "\":\"") != 0) continue;
    const std::size_t begin = value + 3;
    const std::size_t end = text.find_first_of("\"\\", begin);
    if (end == std::string_view::npos || text[end] != '"') return std::nullopt;
    return text.substr(begin, end - begin);
  }
  return std::nullopt;
}

// What the driver (chat_run.hpp, section 10) keeps per message, client and room.

/// One message the run sent: its text carries "<seq> <send time ns> ", so every receipt names it.
struct chat_message {
  std::uint32_t room = 0;
  std::uint32_t sender = 0;
  std::int64_t sent_ns = 0;
  std::optional<std::uint64_t> offset;  // the room log's offset, from the first receipt
  bool refused = false;                 // the sender got an `error` for it
};

/// One client: stays in its room for the whole run, across the storm's reconnect.
struct chat_member {
  enum class state { idle, connecting, joining, ready, dropped, dead };
  state now = state::idle;
  std::uint32_t room = 0;
  std::size_t url = 0;
  std::string client_id;
  std::string token;
  std::optional<std::uint64_t> epoch;   // of the first cursor it saw
  std::optional<std::uint64_t> joined;  // the first `joined` cursor's offset
  std::string last_cursor;              // of the last event with an id
  std::uint64_t last_offset = 0;
  std::uint64_t last_message_offset = 0;
  std::vector<std::uint8_t> got;          // per offset: message receipts
  std::deque<std::uint64_t> pending;      // seqs sent and not seen back (nor refused)
  std::vector<std::uint64_t> duplicates;  // offsets received twice
  // The storm: the cursor at the drop, and the re-join's cursor.
  std::optional<std::uint64_t> storm_from;
  std::optional<std::uint64_t> storm_to;
  std::shared_ptr<chat_conn> conn;
};

struct chat_room {
  std::string name;
  std::vector<std::uint32_t> members;
  std::uint64_t sent = 0;
  std::size_t next_sender = 0;
  std::uint64_t messages_seen = 0;  // distinct offsets of this run's messages
};

}  // namespace rtwire_load
