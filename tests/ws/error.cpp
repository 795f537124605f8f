// ws/error.hpp: both WebSocket error categories, their conditions and close codes.
#include "rtwire/ws/error.hpp"

#include <string>
#include <system_error>

#include "catch.hpp"

using rtwire::condition;
namespace ws = rtwire::ws;

TEST_CASE("ws::error: category, messages, conditions, close codes", "[ws][error]") {
  const std::error_code ec = ws::error::reserved_opcode;
  CHECK(&ec.category() == &ws::error_category());
  CHECK(std::string(ws::error_category().name()) == "rtwire.ws");
  CHECK(ec.message() == "reserved opcode (RFC 6455 §5.2)");
  CHECK(ec == condition::protocol_violation);
  CHECK(std::error_code(ws::error::message_too_big) == condition::limit_exceeded);
  CHECK(std::error_code(ws::error::input_pending) == condition::api_misuse);
  CHECK(ws::close_code_for(ws::error::invalid_utf8) == ws::close_code::invalid_payload);
  CHECK(ws::close_code_for(ws::error::input_pending) == ws::close_code::none);
  CHECK(rtwire::is_error_enum_v<ws::error>);
}

TEST_CASE("ws::handshake_error: its own category", "[ws][error]") {
  const std::error_code ec = ws::handshake_error::bad_key;
  CHECK(&ec.category() == &ws::handshake_error_category());
  CHECK(std::string(ec.category().name()) == "rtwire.ws.handshake");
  CHECK(ec == condition::protocol_violation);
  CHECK(std::error_code(ws::handshake_error::too_many_protocols) == condition::limit_exceeded);
  CHECK(std::error_code(ws::handshake_error::not_ready) == condition::api_misuse);
  CHECK(ec != std::error_code(ws::error::reserved_bits_set));
  CHECK(rtwire::is_error_enum_v<ws::handshake_error>);
}
