// websocketpp's server handshake (parse + validate + build the 101), compiled as C++17 because
// websocketpp does not build as C++20. Declared in peers.hpp.
#include <websocketpp/config/core.hpp>
#include <websocketpp/http/request.hpp>
#include <websocketpp/http/response.hpp>
#include <websocketpp/processors/hybi13.hpp>

#include <memory>
#include <string>

#include "peers.hpp"

namespace rtwire_bench {

std::size_t websocketpp_server_handshake(std::string_view request, std::string& response) {
  using config = websocketpp::config::core;
  static config::rng_type rng;
  static websocketpp::processor::hybi13<config> processor(
      false, true, std::make_shared<config::con_msg_manager_type>(), rng);

  websocketpp::http::parser::request req;
  const std::size_t consumed = req.consume(request.data(), request.size());
  if (!req.ready() || !websocketpp::processor::is_websocket_handshake(req) ||
      websocketpp::processor::get_websocket_version(req) != processor.get_version() ||
      processor.validate_handshake(req)) {
    return 0;
  }
  websocketpp::http::parser::response res;
  res.set_status(websocketpp::http::status_code::switching_protocols);
  if (processor.process_handshake(req, "chat", res)) return 0;
  response = res.raw();
  return consumed;
}

}  // namespace rtwire_bench
