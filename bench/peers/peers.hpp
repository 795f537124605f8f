// Plain-function entry points into peer libraries whose headers cannot share a translation unit
// with rtwire (websocketpp needs C++17). Each is defined in peers/<peer>_<topic>.cpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rtwire_bench {

/// websocketpp: parses `request`, validates it as a WebSocket upgrade, builds the 101 response
/// (subprotocol "chat") into `response`. Returns the bytes consumed, 0 on any failure.
std::size_t websocketpp_server_handshake(std::string_view request, std::string& response);

}  // namespace rtwire_bench

namespace rtwire_bench {

/// websocketpp: validates `text` with websocketpp::utf8_validator, fed in pieces of `chunk` bytes
/// (0: all at once) through one validator. True when it is complete, valid UTF-8.
bool websocketpp_utf8_valid(std::string_view text, std::size_t chunk);

}  // namespace rtwire_bench

namespace rtwire_bench {

/// websocketpp: the Sec-WebSocket-Accept value for `key`, computed the way websocketpp's hybi13
/// processor does it (key + GUID in a std::string, websocketpp::sha1::calc, base64_encode).
std::string websocketpp_accept_key(std::string_view key);

/// websocketpp: SHA-1 of data[0..size) into digest[0..20) with websocketpp::sha1::calc.
void websocketpp_sha1(const void* data, std::size_t size, unsigned char* digest);

}  // namespace rtwire_bench

namespace rtwire_bench {

/// websocketpp: unmasks data[0..size) in place with websocketpp::frame::word_mask_exact.
void websocketpp_unmask(unsigned char* data, std::size_t size, const unsigned char key[4]);

/// websocketpp: decodes the masked client frames in data[0..size) with a server-side
/// processor::hybi13 (header validation, unmasking, UTF-8 validation of text, one message object
/// per message). Returns the number of messages, 0 on any error.
std::size_t websocketpp_decode_frames(unsigned char* data, std::size_t size);

}  // namespace rtwire_bench
