// Fuzz target: the SSE decoder (rtwire/sse/decoder.hpp).
// Invariants: no crash or sanitizer report; the input fed whole, in three chunks (split points
// derived from the input) and byte by byte gives the same events, retries, end state, error and
// error offset; every dispatched type, data and id is valid UTF-8 and no id contains U+0000; and
// when no limit is hit the events equal those of a naive reference model that decodes the whole
// stream first and splits lines afterwards (WHATWG HTML §9.2.5-§9.2.6 read literally).
#include <rtwire/sse/decoder.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct trace {
  std::vector<std::string> items;
  std::string last_event_id;
  std::error_code error;
  std::size_t error_offset = 0;
  bool operator==(const trace&) const = default;
};

bool valid_utf8(std::string_view s) {
  return rtwire::sse::detail::first_invalid_utf8(s) == std::string_view::npos;
}

trace run(const std::vector<std::string_view>& chunks) {
  rtwire::sse::decoder_options opts;
  opts.limit.max_line_bytes = 300;  // small enough for the fuzzer to reach
  opts.limit.max_data_bytes = 500;
  opts.last_event_id = "carried";
  rtwire::sse::decoder dec(opts);
  trace t;
  auto drain = [&]() -> bool {
    for (;;) {
      const auto r = dec.next();
      switch (r.status) {
        case rtwire::sse::status::event:
          if (!valid_utf8(r.event.type) || !valid_utf8(r.event.data) ||
              !valid_utf8(r.event.last_event_id) ||
              r.event.last_event_id.find('\0') != std::string_view::npos || r.event.type.empty())
            __builtin_trap();
          // A char, not a one-character string, before the +: GCC 12 reports a bogus -Wrestrict at
          // -O2/-O3 for operator+(const char*, std::string&&) (GCC PR 105651).
          t.items.push_back('E' + std::string(r.event.type) + '\x01' + std::string(r.event.data) +
                            '\x01' + std::string(r.event.last_event_id));
          break;
        case rtwire::sse::status::retry:
          t.items.push_back('R' + std::to_string(r.retry));
          break;
        case rtwire::sse::status::need_more:
          return true;
        case rtwire::sse::status::end:
          return false;
        case rtwire::sse::status::error:
          t.error = dec.error().code;
          t.error_offset = dec.error().offset;
          return false;
      }
    }
  };
  bool more = true;
  for (const auto c : chunks) {
    if (!more) break;
    if (dec.feed(c)) __builtin_trap();  // drained, not finished: feed must succeed
    more = drain();
  }
  if (more) {
    dec.finish();
    if (drain()) __builtin_trap();  // after finish, next() must end
  }
  t.last_event_id = std::string(dec.last_event_id());
  return t;
}

// The spec read literally: decode everything, then split lines, then interpret.
trace model(std::string_view input) {
  trace t;
  std::string scratch;
  if (input.substr(0, 3) == "\xEF\xBB\xBF") input.remove_prefix(3);
  const std::string text(rtwire::sse::detail::decode_utf8(input, scratch));
  std::string data, type, id_buffer = "carried";
  bool has_data = false;
  t.last_event_id = "carried";
  std::size_t i = 0;
  while (true) {
    const std::size_t eol = text.find_first_of("\r\n", i);
    if (eol == std::string::npos) break;  // an unterminated last line is discarded
    const std::string line = text.substr(i, eol - i);
    i = eol + 1;
    if (text[eol] == '\r' && i < text.size() && text[i] == '\n') ++i;
    if (line.empty()) {
      t.last_event_id = id_buffer;
      if (has_data)
        t.items.push_back('E' + (type.empty() ? "message" : type) + '\x01' + data + '\x01' +
                          t.last_event_id);
      data.clear();
      type.clear();
      has_data = false;
      continue;
    }
    if (line[0] == ':') continue;
    std::string field = line, value;
    if (const auto colon = line.find(':'); colon != std::string::npos) {
      field = line.substr(0, colon);
      value = line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    }
    if (field == "data") {
      if (has_data) data += '\n';
      data += value;
      has_data = true;
    } else if (field == "event") {
      type = value;
    } else if (field == "id") {
      if (value.find('\0') == std::string::npos) id_buffer = value;
    } else if (field == "retry") {
      if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos &&
          value.size() <= 19)
        t.items.push_back("R" + std::to_string(std::stoull(value)));
      else if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos)
        t.items.push_back("R*");  // beyond 19 digits: compared loosely below
    }
  }
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  const trace whole = run({input});
  const std::size_t a = size == 0 ? 0 : bytes[0] % (size + 1);
  const std::size_t b = size == 0 ? 0 : a + (bytes[size - 1] % (size - a + 1));
  const trace three = run({input.substr(0, a), input.substr(a, b - a), input.substr(b)});
  std::vector<std::string_view> singles;
  for (std::size_t i = 0; i < size; ++i)
    singles.push_back(input.substr(i, 1));
  const trace bytewise = run(singles);
  if (!(whole == three) || !(whole == bytewise)) __builtin_trap();

  if (!whole.error) {
    trace expected = model(input);
    if (expected.items.size() != whole.items.size()) __builtin_trap();
    for (std::size_t i = 0; i < whole.items.size(); ++i) {
      if (expected.items[i] == "R*") {
        if (whole.items[i].empty() || whole.items[i][0] != 'R') __builtin_trap();
        continue;
      }
      if (expected.items[i] != whole.items[i]) __builtin_trap();
    }
    if (expected.last_event_id != whole.last_event_id) __builtin_trap();
  }
  return 0;
}
