// rtwire — the field grammar of one event-stream line (WHATWG HTML §9.2.6), for the SSE decoder
// (internal to rtwire::sse): how a line splits into a field name and value, the names the
// decoder's fast path recognises with one 8-byte compare, and the `retry` value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "rtwire/detail/byte_blocks.hpp"

namespace rtwire::sse::detail {

/// The fields §9.2.6 processes; every other name is ignored.
enum class field_name { data, event, id, retry, ignored };

/// A non-empty line that is not a comment, split into its field.
struct field {
  field_name name;
  std::string_view value;  // raw bytes, after the colon and the optional space
};

/// "If value starts with a U+0020 SPACE character, remove it from value."
constexpr std::string_view strip_space(std::string_view value) noexcept {
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return value;
}

/// Splits a line that is neither empty (a blank line dispatches) nor starts with ':' (a comment):
/// "If the line contains a U+003A COLON character: collect the characters on the line before the
/// first colon, and let field be that string; collect the characters after it, and let value be
/// that string. If value starts with a U+0020 SPACE character, remove it." "Otherwise, ... using
/// the whole line as the field name, and the empty string as the field value." (The colon and the
/// space are ASCII, so splitting the raw bytes is the same as splitting the decoded text.)
constexpr field split_field(std::string_view line) noexcept {
  // Every field this algorithm knows ("data", "event", "id", "retry") is at most five characters
  // long, so the colon only matters within the first six bytes: a line with no colon there names
  // an unknown field and is ignored without searching further.
  const std::size_t probe = line.size() < 6 ? line.size() : 6;
  std::size_t at = 0;
  while (at < probe && line[at] != ':')
    ++at;
  std::string_view name = line, value;
  if (at < probe) {
    name = line.substr(0, at);
    value = strip_space(line.substr(at + 1));
  } else if (line.size() > 5) {
    return {field_name::ignored, {}};  // an unknown field of 6+ characters
  }
  // "Process the field": the name must match exactly (case-sensitive).
  if (name == "data") return {field_name::data, value};
  if (name == "event") return {field_name::event, value};
  if (name == "id") return {field_name::id, value};
  if (name == "retry") return {field_name::retry, value};
  return {field_name::ignored, {}};  // "Otherwise: The field is ignored."
}

/// The `retry` field: "If the field value consists of only ASCII digits, then interpret the field
/// value as an integer in base ten ... Otherwise, ignore the field." An empty value is not a
/// number (WPT eventsource/format-field-retry-empty). Beyond 2^64-1 the value saturates.
constexpr std::optional<std::uint64_t> retry_value(std::string_view value) noexcept {
  if (value.empty()) return std::nullopt;
  std::uint64_t ms = 0;
  constexpr std::uint64_t max = ~std::uint64_t{0};
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    ms = ms > (max - d) / 10 ? max : ms * 10 + d;
  }
  return ms;
}

/// The field names the decoder's fast path recognises with one compare (colon included): a name
/// and its colon contain no CR or LF, so a match cannot reach past the line's end.
inline constexpr rtwire::detail::word_prefix word_data = rtwire::detail::make_word_prefix("data:");
inline constexpr rtwire::detail::word_prefix word_id = rtwire::detail::make_word_prefix("id:");
inline constexpr rtwire::detail::word_prefix word_event =
    rtwire::detail::make_word_prefix("event:");

}  // namespace rtwire::sse::detail
