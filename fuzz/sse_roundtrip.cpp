// Fuzz target: SSE encoder -> decoder round trip (rtwire/sse/encoder.hpp, decoder.hpp).
// The input is cut at 0x1F bytes into groups of four fields (id, type, data, flags); each group
// becomes an outgoing_event (flags choose which members are present and the retry value).
// Invariants: write_event() fails exactly when validate() does, and then writes nothing; the
// stream it writes decodes to exactly the events written, with data line breaks (CR, LF, CRLF)
// turned into LF, the type "message" when absent or empty, invalid UTF-8 replaced as the WHATWG
// decoder does, the last event ID tracking the ids, and every retry reported.
#include <rtwire/sse/decoder.hpp>
#include <rtwire/sse/encoder.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::string utf8(std::string_view s) {
  std::string scratch;
  return std::string(rtwire::sse::detail::decode_utf8(s, scratch));
}

std::string lf_only(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= size; ++i) {
    if (i == size || input[i] == '\x1F') {
      fields.push_back(input.substr(start, i - start));
      start = i + 1;
    }
  }
  std::string stream;
  std::vector<std::string> expected;
  std::string last_id;
  for (std::size_t g = 0; g + 4 <= fields.size(); g += 4) {
    const std::uint8_t flags =
        fields[g + 3].empty() ? 0 : static_cast<std::uint8_t>(fields[g + 3][0]);
    rtwire::sse::outgoing_event ev;
    if (flags & 1) ev.id = fields[g];
    if (flags & 2) ev.type = fields[g + 1];
    if (flags & 4) ev.data = fields[g + 2];
    if (flags & 8) ev.retry = static_cast<std::uint64_t>(flags) * 1000003u;
    const std::size_t before = stream.size();
    const std::error_code ec = rtwire::sse::write_event(stream, ev);
    if (ec != rtwire::sse::validate(ev)) __builtin_trap();
    if (ec) {
      if (stream.size() != before) __builtin_trap();
      continue;
    }
    if (ev.retry) expected.push_back("R" + std::to_string(*ev.retry));
    if (ev.id) last_id = utf8(*ev.id);
    if (ev.data) {
      const std::string type = ev.type ? utf8(*ev.type) : std::string();
      expected.push_back("E" + (type.empty() ? std::string("message") : type) + '\x01' +
                         utf8(lf_only(*ev.data)) + '\x01' + last_id);
    }
  }
  rtwire::sse::decoder dec;
  if (dec.feed(stream)) __builtin_trap();
  dec.finish();
  std::vector<std::string> got;
  for (auto r = dec.next(); r.status != rtwire::sse::status::end; r = dec.next()) {
    if (r.status == rtwire::sse::status::event) {
      got.push_back("E" + std::string(r.event.type) + '\x01' + std::string(r.event.data) + '\x01' +
                    std::string(r.event.last_event_id));
    } else if (r.status == rtwire::sse::status::retry) {
      got.push_back("R" + std::to_string(r.retry));
    } else {
      __builtin_trap();  // default limits are far above what the fuzzer writes
    }
  }
  if (got != expected) __builtin_trap();
  if (dec.last_event_id() != last_id) __builtin_trap();
  return 0;
}
