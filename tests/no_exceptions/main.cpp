// Built with -fno-exceptions -fno-rtti: the library's entry points must compile and work without
// exceptions or RTTI (DESIGN.md §3). A plain program (Catch2 needs exceptions) that exits
// non-zero and names the check that failed.
#include <rtwire/rtwire.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "no-exceptions check failed: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  check(rtwire::condition_category().name() == std::string_view("rtwire"), "condition category");

  // base64 + SHA-1 through the accept key (RFC 6455 §1.3).
  check(rtwire::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        "accept key");
  std::array<std::byte, 8> raw{};
  const auto bad = rtwire::base64::decode("Zm9v!A==", raw);
  check(bad.ec == rtwire::base64::error::invalid_character && bad.error_offset == 4,
        "base64 error code and offset");

  // UTF-8: incremental, fail-fast on F4 90 (> U+10FFFF).
  rtwire::utf8::validator v;
  check(v.feed(std::string_view("h\xC3")).status == rtwire::utf8::status::incomplete,
        "utf8 incomplete");
  check(v.feed(std::string_view("\xA9")).status == rtwire::utf8::status::valid, "utf8 valid");
  const auto r = v.feed(std::string_view("\xF4\x90"));
  check(r.status == rtwire::utf8::status::invalid && r.error_offset == 4, "utf8 fail-fast");

  // HTTP head + WebSocket handshake, server and client wired together.
  rtwire::ws::client_handshake client;
  std::array<std::byte, 16> nonce{};
  std::string request;
  // permessage-deflate negotiated along (RFC 7692 §7.1; the codec itself needs zlib).
  const rtwire::ws::deflate_offer offer = rtwire::ws::make_deflate_offer({});
  check(!client.write_request(
            request, {.host = "example.com", .target = "/chat", .extensions = offer.text()}, nonce),
        "client request");
  rtwire::ws::server_handshake server;
  check(server.feed(request).status == rtwire::ws::server_handshake::state::request_ready,
        "server request_ready");
  const rtwire::ws::deflate_answer deflate_answer =
      rtwire::ws::negotiate_deflate(server.request().extensions, {.server_max_window_bits = 12});
  check(deflate_answer.accepted, "deflate negotiated");
  std::string response;
  check(!server.accept(response, {.extensions = deflate_answer.response()}), "server accept");
  check(client.feed(response).status == rtwire::ws::client_handshake::state::accepted,
        "client accepted");
  rtwire::ws::deflate_params agreed;
  bool compressed = false;
  check(!rtwire::ws::accept_deflate_response(client.extensions(), offer, agreed, compressed) &&
            compressed && agreed == deflate_answer.params && agreed.server_max_window_bits == 12,
        "deflate answer accepted");

  // WebSocket frames: a client's masked text message decoded by a server connection.
  std::uint8_t counter = 0;
  auto next_key = [&counter] {
    ++counter;
    return rtwire::ws::masking_key{counter, 0x5a, 0xa5, 0x33};
  };
  rtwire::ws::connection_options client_opts;
  client_opts.keys = rtwire::ws::key_source(next_key);
  rtwire::ws::connection ws_client(rtwire::ws::role::client, client_opts);
  rtwire::ws::connection ws_server(rtwire::ws::role::server);
  check(!ws_client.send_text("h\xC3\xA9llo"), "ws send_text");
  std::vector<std::byte> wire(ws_client.output().begin(), ws_client.output().end());
  ws_client.consume_output(wire.size());
  check(!ws_server.feed(rtwire::mutable_bytes_view(wire)), "ws feed");
  const auto ws_event = ws_server.next();
  check(ws_event.type == rtwire::ws::event_type::text && ws_event.text() == "h\xC3\xA9llo",
        "ws text event");

  rtwire::ws::server_handshake refused;
  refused.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  check(refused.rejection_status() == 400, "rejection status");
  check(refused.error().code == rtwire::condition::protocol_violation, "rejection condition");

  // SDP: parse and byte-exact format; an error with line and column; an ICE candidate.
  constexpr std::string_view sdp =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
      "a=rtpmap:111 opus/48000/2\r\n";
  rtwire::sdp::session session;
  const auto sdp_ok = rtwire::sdp::parse(sdp, session);
  if (sdp_ok)
    std::fprintf(stderr, "%zu:%zu: %s\n", sdp_ok.line, sdp_ok.column, sdp_ok.message().c_str());
  check(!sdp_ok, "sdp parse");
  check(rtwire::sdp::to_string(session) == sdp, "sdp round trip");
  const auto sdp_error = rtwire::sdp::parse("v=0\r\ns=-\r\n", session);
  check(sdp_error && sdp_error.line == 2, "sdp error line");
  rtwire::sdp::candidate cand;
  check(!rtwire::sdp::parse_candidate(
            "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host generation 0", cand),
        "ice candidate");
  check(cand.priority == 2122260223u && cand.port == 54400, "ice candidate fields");

  // SSE on the message log: append, resume from a Last-Event-ID, decode what replay() wrote.
  rtwire::log::message_log topic(0x1f);
  check(!topic.append("one", "", std::chrono::milliseconds(0)).error, "log append 1");
  check(!topic.append("two\nlines", "note", std::chrono::milliseconds(1)).error, "log append 2");
  std::string stream;
  const auto replayed = rtwire::sse::replay(stream, topic, std::string_view("1f-1"));
  check(!replayed.write_error && replayed.replayed == 1, "sse replay");
  rtwire::sse::decoder decoder;
  check(!decoder.feed(stream), "sse feed");
  const auto ev = decoder.next();
  check(ev.status == rtwire::sse::status::event && ev.event.type == "note" &&
            ev.event.data == "two\nlines" && ev.event.last_event_id == "1f-2",
        "sse replayed event");
  check(decoder.next().status == rtwire::sse::status::need_more, "sse need_more");
  // Encode once, queue by reference on two streams.
  rtwire::sse::prepared_event prepared;
  check(!rtwire::sse::prepare(prepared, {.id = "9", .data = "a\nb"}), "sse prepare");
  check(rtwire::sse::prepare(prepared, {.id = "\n"}) == rtwire::sse::error::id_has_line_break &&
            prepared.empty(),
        "sse prepare refuses");
  check(!rtwire::sse::prepare(prepared, {.data = "x"}), "sse prepare again");
  std::array<rtwire::sse::output_queue, 2> queues;
  for (auto& q : queues)
    q.push(prepared);
  std::array<std::string_view, 2> iov{};
  check(queues[1].gather(iov) == 1 && iov[0] == "data: x\n\n" && prepared.use_count() == 3,
        "sse queue shares the event");
  queues[1].consume(100);
  check(queues[1].empty() && prepared.use_count() == 2, "sse queue consumed");

  // Long polling: a parked poll is woken by a publish with exactly the new message.
  rtwire::longpoll::queue queue;
  const auto t = queue.add_topic(7);
  check(t.has_value(), "longpoll topic");
  if (t) {
    using rtwire::longpoll::poll_status;
    const auto parked = queue.poll({.topic = *t, .token = 42}, std::chrono::milliseconds(0));
    check(parked.status == poll_status::parked, "longpoll parked");
    std::vector<rtwire::longpoll::completion> done;
    check(static_cast<bool>(queue.publish(*t, "hi", std::chrono::milliseconds(1), done)),
          "longpoll publish");
    check(done.size() == 1 && done[0].token == 42 && done[0].messages.size() == 1 &&
              done[0].messages[0].payload() == "hi",
          "longpoll woken with the message");
  }

  // STUN: a Binding request answered, the answer parsed with its FINGERPRINT checked; an ICE
  // check with MESSAGE-INTEGRITY; a parse error with its offset; HMAC-SHA256 and CRC-32.
  {
    namespace stun = rtwire::stun;
    std::array<std::byte, 128> req{};
    const std::array<std::byte, 12> txid{};
    stun::writer w(req, stun::message_type(stun::message_class::request, stun::method::binding),
                   txid);
    const auto n = w.seal(nullptr, true);
    check(n.ok() && n.value == 28, "stun writer");
    stun::binding_responder responder;
    std::array<std::byte, 576> out{};
    const auto src = stun::address::v4(192, 0, 2, 1, 32853);
    const std::size_t size = responder.respond(rtwire::bytes_view(req.data(), n.value), src, out);
    const auto answer = stun::parse(rtwire::bytes_view(out.data(), size));
    check(answer.ok() && stun::xor_mapped_address(answer.value) == src &&
              stun::verify_fingerprint(answer.value) == stun::check::ok,
          "stun binding response");
    const auto short_msg = stun::parse(rtwire::bytes_view(req.data(), 21));
    check(short_msg.error.code == stun::error::length_mismatch && short_msg.error.offset == 2,
          "stun parse error offset");
    stun::ice_responder ice("L", "pw", stun::ice_role::controlled, 1);
    const auto k = stun::key::short_term("pw");
    stun::writer iw(req, stun::message_type(stun::message_class::request, stun::method::binding),
                    txid);
    iw.add_text(stun::attr::username, "L:R").add_u32(stun::attr::priority, 1);
    const auto in = iw.seal(&k, true);
    check(ice.respond(rtwire::bytes_view(req.data(), in.value), src, out).outcome ==
              stun::ice_outcome::success,
          "stun ice check");
    check(rtwire::crc32::compute(std::string_view("123456789")) == 0xcbf43926u, "crc32");
    check(rtwire::hmac_key<rtwire::hmac_sha256>(std::string_view("Jefe"))
                  .mac(std::string_view("what do ya want for nothing?"))[0] == 0x5b,
          "hmac-sha256");
  }

  {
    // TURN: an unauthenticated Allocate is answered 401 with a nonce; the peer policy denies
    // ::ffff:127.0.0.1; a CIDR error carries its offset.
    namespace stun = rtwire::stun;
    namespace turn = rtwire::turn;
    turn::options o;
    turn::server relay(o, rtwire::as_bytes("0123456789abcdef"));
    std::array<std::byte, 64> req{};
    const std::array<std::byte, 12> txid{};
    stun::writer w(req, stun::message_type(stun::message_class::request, stun::method::allocate),
                   txid);
    w.add(turn::attr::requested_transport, std::array<std::byte, 4>{std::byte{17}});
    const auto n = w.seal();
    relay.on_client_datagram(stun::address::v4(192, 0, 2, 1, 1),
                             stun::address::v4(192, 0, 2, 2, 3478),
                             rtwire::bytes_view(req.data(), n.value), turn::millis{0});
    const auto out = relay.next();
    const auto* s = out ? std::get_if<turn::send_client>(&*out) : nullptr;
    const auto answer = s ? stun::parse(s->data) : stun::result<stun::message_view>{};
    check(answer.ok() && stun::error_code(answer.value) &&
              stun::error_code(answer.value)->code == 401 && stun::nonce(answer.value),
          "turn 401");
    turn::peer_policy policy;
    check(!policy.permits(*turn::parse_ip("::ffff:127.0.0.1")), "turn policy");
    check(turn::parse_cidr("10.0.0.0/40").error.offset == 9, "turn cidr error");
  }

  if (failures == 0) std::puts("no-exceptions build: all checks passed");
  return failures == 0 ? 0 : 1;
}
