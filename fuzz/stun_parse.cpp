// Fuzz target: STUN parse() never reads out of bounds, its view agrees with a re-encoding
// through the writer (every counted attribute, same type and value, same order), the typed
// accessors and checks run on every valid message, and the Binding and ICE responders answer or
// discard anything without crashing, their answers always parsing.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "rtwire/stun.hpp"

namespace {

namespace stun = rtwire::stun;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void touch_typed(const stun::message_view& m) {
  volatile std::size_t sink = 0;
  if (auto a = stun::xor_mapped_address(m)) sink = sink + a->port;
  if (auto a = stun::mapped_address(m)) sink = sink + a->port;
  if (auto a = stun::alternate_server(m)) sink = sink + a->port;
  if (auto e = stun::error_code(m)) {
    check(e->code >= 300 && e->code <= 699);
    sink = sink + e->reason.size();
  }
  if (auto u = stun::username(m)) sink = sink + u->size();
  if (auto p = stun::password_algorithm(m)) sink = sink + p->parameters.size();
  if (auto p = stun::priority(m)) sink = sink + *p;
  if (auto t = stun::ice_controlling(m)) sink = sink + static_cast<std::size_t>(*t);
  if (auto n = stun::nonce(m)) sink = sink + (stun::nonce_security_features(*n) ? 1 : 0);
  if (auto u = m.find(stun::attr::unknown_attributes)) {
    for (std::size_t i = 0; i < stun::unknown_attribute_count(*u); ++i)
      sink = sink + stun::unknown_attribute_at(*u, i);
  }
  if (auto a = m.find(stun::attr::password_algorithms)) {
    stun::for_each_password_algorithm(*a, [&](const stun::password_algorithm_value& v) {
      sink = sink + v.algorithm + v.parameters.size();
    });
  }
  static const stun::key k = stun::key::short_term("fuzz");
  sink = sink + static_cast<std::size_t>(stun::verify_integrity(m, k));
  sink = sink + static_cast<std::size_t>(stun::verify_fingerprint(m));
  (void)sink;
}

/// Re-encodes the counted attributes raw and checks the result parses to the same list.
void round_trip(const stun::message_view& m) {
  static std::array<std::byte, 70000> buf;
  stun::writer w(buf, m.type(), m.transaction_id());
  for (const stun::attribute a : m.attributes())
    w.add(a.type, a.value);
  const auto n = w.seal();
  check(n.ok());
  const auto again = stun::parse(rtwire::bytes_view(buf.data(), n.value));
  check(again.ok());
  const stun::message_view& r = again.value;
  check(r.type() == m.type());
  check(r.has_magic_cookie() == m.has_magic_cookie());
  check(r.attributes().size() == m.attributes().size());
  for (std::size_t i = 0; i < m.attributes().size(); ++i) {
    const stun::attribute x = m.attributes()[i];
    const stun::attribute y = r.attributes()[i];
    check(x.type == y.type && x.value.size() == y.value.size());
    check(x.value.empty() || std::memcmp(x.value.data(), y.value.data(), x.value.size()) == 0);
  }
  check(r.unknown_required().size() == m.unknown_required().size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const rtwire::bytes_view in(reinterpret_cast<const std::byte*>(data), size);
  const auto r = stun::parse(in);
  if (r) {
    const stun::message_view& m = r.value;
    check(m.bytes().size() == size);
    for (const stun::attribute a : m.attributes()) {
      check(a.offset >= stun::header_size && a.offset + 4 + a.value.size() <= size);
    }
    touch_typed(m);
    round_trip(m);
  } else {
    check(r.error.offset <= size);
  }
  // The responders: an answer, when there is one, is a valid STUN message.
  std::array<std::byte, 1024> out{};
  static stun::binding_responder binding;
  if (const std::size_t n = binding.respond(in, stun::address::v4(10, 0, 0, 1, 5), out); n != 0)
    check(stun::parse(rtwire::bytes_view(out.data(), n)).ok());
  static stun::ice_responder ice("fuzz", "fuzz", stun::ice_role::controlled, 7);
  if (const auto c = ice.respond(in, stun::address::v4(10, 0, 0, 1, 5), out); c.size != 0)
    check(stun::parse(rtwire::bytes_view(out.data(), c.size)).ok());
  return 0;
}
