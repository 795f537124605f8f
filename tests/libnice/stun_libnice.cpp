// rtwire's STUN against libnice's own STUN agent (libnice-dev: stun/stunagent.h, no GLib):
//  1. libnice's Binding request → rtwire's binding_responder → the answer validates in libnice
//     (STUN_VALIDATION_SUCCESS) and gives libnice the source address;
//  2. libnice's ICE connectivity check → rtwire's ice_responder → success validates in libnice
//     with the password, and a role conflict comes back as one (487);
//  3. rtwire's ICE check and Binding request → validate in libnice (and in rtwire's parser), and
//     libnice's reply to rtwire's check validates in rtwire (integrity, fingerprint, address);
//  4. with a PORT argument, libnice's Binding requests over UDP to examples/stun_server.
// A plain program (libnice's headers are C): prints one line per check, exits non-zero on the
// first failure.
//
//   rtwire_test_stun_libnice [PORT]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stun/stunagent.h>
#include <stun/usages/bind.h>
#include <stun/usages/ice.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "rtwire/stun.hpp"

namespace stun = rtwire::stun;

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

const uint16_t known_attributes[] = {STUN_ATTRIBUTE_MAPPED_ADDRESS,
                                     STUN_ATTRIBUTE_USERNAME,
                                     STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
                                     STUN_ATTRIBUTE_ERROR_CODE,
                                     STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES,
                                     STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
                                     STUN_ATTRIBUTE_PRIORITY,
                                     STUN_ATTRIBUTE_USE_CANDIDATE,
                                     STUN_ATTRIBUTE_SOFTWARE,
                                     STUN_ATTRIBUTE_FINGERPRINT,
                                     STUN_ATTRIBUTE_ICE_CONTROLLED,
                                     STUN_ATTRIBUTE_ICE_CONTROLLING,
                                     0};

/// 192.0.2.1:32853 as both a sockaddr and a STUN address.
sockaddr_in client_sockaddr() {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(32853);
  a.sin_addr.s_addr = htonl(0xc0000201);
  return a;
}
const stun::address client = stun::address::v4(192, 0, 2, 1, 32853);

bool same_address(const sockaddr_storage& s) {
  const auto* in = reinterpret_cast<const sockaddr_in*>(&s);
  return in->sin_family == AF_INET && ntohs(in->sin_port) == 32853 &&
         ntohl(in->sin_addr.s_addr) == 0xc0000201;
}

rtwire::bytes_view bytes(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const std::byte*>(p), n};
}

void libnice_binding_to_rtwire() {
  StunAgent agent;
  stun_agent_init(&agent, known_attributes, STUN_COMPATIBILITY_RFC5389,
                  StunAgentUsageFlags(STUN_AGENT_USAGE_USE_FINGERPRINT));
  StunMessage req;
  std::array<uint8_t, 1024> req_buf{};
  const size_t req_len = stun_usage_bind_create(&agent, &req, req_buf.data(), req_buf.size());
  expect(req_len > 0, "libnice builds a Binding request");
  expect(static_cast<bool>(stun::parse(bytes(req_buf.data(), req_len))),
         "rtwire parses libnice's Binding request");

  stun::binding_responder responder;
  std::array<std::byte, 576> out{};
  const size_t n = responder.respond(bytes(req_buf.data(), req_len), client, out);
  expect(n > 0, "rtwire answers libnice's Binding request");
  StunMessage resp;
  const StunValidationStatus v = stun_agent_validate(
      &agent, &resp, reinterpret_cast<const uint8_t*>(out.data()), n, nullptr, nullptr);
  expect(v == STUN_VALIDATION_SUCCESS, "libnice validates rtwire's Binding response");
  sockaddr_storage mapped{}, alternate{};
  socklen_t mapped_len = sizeof mapped, alternate_len = sizeof alternate;
  const StunUsageBindReturn b =
      stun_usage_bind_process(&resp, reinterpret_cast<sockaddr*>(&mapped), &mapped_len,
                              reinterpret_cast<sockaddr*>(&alternate), &alternate_len);
  expect(b == STUN_USAGE_BIND_RETURN_SUCCESS && same_address(mapped),
         "libnice reads the mapped address from rtwire's response");
}

constexpr char rtwire_ufrag[] = "RTWR";
constexpr char nice_ufrag[] = "NICE";
constexpr char rtwire_pwd[] = "rtwire-password-000000";
constexpr char nice_pwd[] = "libnice-password-00000";

void libnice_check_to_rtwire(bool conflict) {
  StunAgent agent;
  stun_agent_init(&agent, known_attributes, STUN_COMPATIBILITY_RFC5389,
                  StunAgentUsageFlags(STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
                                      STUN_AGENT_USAGE_USE_FINGERPRINT));
  // libnice sends to rtwire: USERNAME "rtwire's ufrag:libnice's ufrag", rtwire's password.
  const std::string user = std::string(rtwire_ufrag) + ":" + nice_ufrag;
  StunMessage req;
  std::array<uint8_t, 1024> req_buf{};
  const uint64_t nice_tie = conflict ? 5 : 500;
  const size_t req_len = stun_usage_ice_conncheck_create(
      &agent, &req, req_buf.data(), req_buf.size(), reinterpret_cast<const uint8_t*>(user.data()),
      user.size(), reinterpret_cast<const uint8_t*>(rtwire_pwd), std::strlen(rtwire_pwd),
      /*cand_use=*/true, /*controlling=*/true, 0x6e0001ff, nice_tie, nullptr,
      STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
  expect(req_len > 0, "libnice builds an ICE check");

  // rtwire is controlling too: with tie-breaker 50 it wins against 5 (487) and loses against 500.
  stun::ice_responder ice(rtwire_ufrag, rtwire_pwd, stun::ice_role::controlling, 50);
  std::array<std::byte, 576> out{};
  const stun::ice_check c = ice.respond(bytes(req_buf.data(), req_len), client, out);
  StunMessage resp;
  const StunValidationStatus v = stun_agent_validate(
      &agent, &resp, reinterpret_cast<const uint8_t*>(out.data()), c.size, nullptr, nullptr);
  sockaddr_storage mapped{};
  socklen_t mapped_len = sizeof mapped;
  if (!conflict) {
    expect(c.outcome == stun::ice_outcome::success && c.use_candidate && c.priority == 0x6e0001ff &&
               c.remote_ufrag == nice_ufrag && c.role_switched,
           "rtwire accepts libnice's check (USE-CANDIDATE, PRIORITY, role switch)");
    expect(v == STUN_VALIDATION_SUCCESS, "libnice validates rtwire's check response");
    expect(stun_usage_ice_conncheck_process(&resp, &mapped, &mapped_len,
                                            STUN_USAGE_ICE_COMPATIBILITY_RFC5245) ==
                   STUN_USAGE_ICE_RETURN_SUCCESS &&
               same_address(mapped),
           "libnice reads the mapped address from rtwire's check response");
  } else {
    expect(c.outcome == stun::ice_outcome::role_conflict,
           "rtwire, with the larger tie-breaker, answers 487");
    expect(v == STUN_VALIDATION_SUCCESS, "libnice validates rtwire's 487");
    expect(stun_usage_ice_conncheck_process(&resp, &mapped, &mapped_len,
                                            STUN_USAGE_ICE_COMPATIBILITY_RFC5245) ==
               STUN_USAGE_ICE_RETURN_ROLE_CONFLICT,
           "libnice sees the role conflict");
  }
}

void rtwire_requests_to_libnice() {
  // rtwire → libnice: USERNAME "libnice's ufrag:rtwire's ufrag" under libnice's password.
  const std::string user = std::string(nice_ufrag) + ":" + rtwire_ufrag;
  const std::string txid = "rtwire-txid!";
  std::array<std::byte, 576> req{};
  stun::writer w(req, stun::message_type(stun::message_class::request, stun::method::binding),
                 rtwire::as_bytes(std::string_view(txid)));
  w.add_text(stun::attr::username, user)
      .add_u32(stun::attr::priority, 0x7e0000ff)
      .add_u64(stun::attr::ice_controlling, 0x1122334455667788ull)
      .add_flag(stun::attr::use_candidate);
  const auto rtwire_key = stun::key::short_term(nice_pwd);
  const auto n = w.seal(&rtwire_key, true);
  expect(n.ok(), "rtwire builds an ICE check");
  expect(static_cast<bool>(stun::parse(rtwire::bytes_view(req.data(), n.value))),
         "rtwire parses its own ICE check");

  StunAgent agent;
  stun_agent_init(&agent, known_attributes, STUN_COMPATIBILITY_RFC5389,
                  StunAgentUsageFlags(STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
                                      STUN_AGENT_USAGE_USE_FINGERPRINT));
  StunDefaultValidaterData creds[2] = {
      {reinterpret_cast<uint8_t*>(const_cast<char*>(user.data())), user.size(),
       reinterpret_cast<uint8_t*>(const_cast<char*>(nice_pwd)), std::strlen(nice_pwd)},
      {nullptr, 0, nullptr, 0}};
  StunMessage msg;
  const StunValidationStatus v =
      stun_agent_validate(&agent, &msg, reinterpret_cast<const uint8_t*>(req.data()), n.value,
                          stun_agent_default_validater, creds);
  expect(v == STUN_VALIDATION_SUCCESS, "libnice validates rtwire's ICE check");
  expect(stun_usage_ice_conncheck_use_candidate(&msg) &&
             stun_usage_ice_conncheck_priority(&msg) == 0x7e0000ff,
         "libnice reads USE-CANDIDATE and PRIORITY from rtwire's check");

  // libnice answers it; rtwire verifies the answer.
  const sockaddr_in src = client_sockaddr();
  sockaddr_storage src_storage{};
  std::memcpy(&src_storage, &src, sizeof src);
  bool control = false;
  StunMessage reply;
  std::array<uint8_t, 1024> reply_buf{};
  size_t reply_len = reply_buf.size();
  const StunUsageIceReturn r = stun_usage_ice_conncheck_create_reply(
      &agent, &msg, &reply, reply_buf.data(), &reply_len, &src_storage, sizeof src, &control, 1,
      STUN_USAGE_ICE_COMPATIBILITY_RFC5245);
  expect(r == STUN_USAGE_ICE_RETURN_SUCCESS && reply_len > 0, "libnice answers rtwire's check");
  const auto parsed = stun::parse(bytes(reply_buf.data(), reply_len));
  expect(parsed.ok() && parsed.value.cls() == stun::message_class::success_response,
         "rtwire parses libnice's check response");
  if (parsed.ok()) {
    expect(stun::verify_integrity(parsed.value, rtwire_key) == stun::check::ok,
           "rtwire verifies libnice's MESSAGE-INTEGRITY");
    expect(stun::verify_fingerprint(parsed.value) == stun::check::ok,
           "rtwire verifies libnice's FINGERPRINT");
    expect(stun::xor_mapped_address(parsed.value) == client,
           "rtwire reads libnice's XOR-MAPPED-ADDRESS");
  }

  // A plain Binding request from rtwire validates in an unauthenticated libnice agent.
  std::array<std::byte, 64> plain{};
  stun::writer pw(plain, stun::message_type(stun::message_class::request, stun::method::binding),
                  rtwire::as_bytes(std::string_view(txid)));
  const auto pn = pw.seal(nullptr, true);
  StunAgent server;
  stun_agent_init(
      &server, known_attributes, STUN_COMPATIBILITY_RFC5389,
      StunAgentUsageFlags(STUN_AGENT_USAGE_USE_FINGERPRINT | STUN_AGENT_USAGE_IGNORE_CREDENTIALS));
  StunMessage plain_msg;
  expect(stun_agent_validate(&server, &plain_msg, reinterpret_cast<const uint8_t*>(plain.data()),
                             pn.value, nullptr, nullptr) == STUN_VALIDATION_SUCCESS,
         "libnice validates rtwire's Binding request");
}

/// libnice's Binding requests over UDP to a running examples/stun_server on 127.0.0.1:port.
void libnice_against_server(unsigned short port) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
  socklen_t local_len = sizeof local;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  StunAgent agent;
  stun_agent_init(&agent, known_attributes, STUN_COMPATIBILITY_RFC5389,
                  StunAgentUsageFlags(STUN_AGENT_USAGE_USE_FINGERPRINT));
  bool answered = false;
  for (int attempt = 0; attempt < 5 && !answered; ++attempt) {
    StunMessage req;
    std::array<uint8_t, 1024> buf{};
    const size_t len = stun_usage_bind_create(&agent, &req, buf.data(), buf.size());
    sendto(fd, buf.data(), len, 0, reinterpret_cast<sockaddr*>(&server), sizeof server);
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) continue;
    std::array<uint8_t, 1024> in{};
    const ssize_t n = recv(fd, in.data(), in.size(), 0);
    if (n <= 0) continue;
    StunMessage resp;
    if (stun_agent_validate(&agent, &resp, in.data(), static_cast<size_t>(n), nullptr, nullptr) !=
        STUN_VALIDATION_SUCCESS)
      continue;
    sockaddr_storage mapped{}, alt{};
    socklen_t mapped_len = sizeof mapped, alt_len = sizeof alt;
    if (stun_usage_bind_process(&resp, reinterpret_cast<sockaddr*>(&mapped), &mapped_len,
                                reinterpret_cast<sockaddr*>(&alt),
                                &alt_len) != STUN_USAGE_BIND_RETURN_SUCCESS)
      continue;
    const auto* m = reinterpret_cast<const sockaddr_in*>(&mapped);
    answered = m->sin_port == local.sin_port && m->sin_addr.s_addr == local.sin_addr.s_addr;
  }
  close(fd);
  expect(answered, "libnice's Binding over UDP: stun_server's answer validates, address matches");
}

}  // namespace

int main(int argc, char** argv) {
  libnice_binding_to_rtwire();
  libnice_check_to_rtwire(false);
  libnice_check_to_rtwire(true);
  rtwire_requests_to_libnice();
  if (argc > 1) libnice_against_server(static_cast<unsigned short>(std::atoi(argv[1])));
  if (failures != 0) std::printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
