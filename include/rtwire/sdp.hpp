// rtwire — SDP (RFC 8866) and ICE candidates (RFC 8839 / RFC 8445): the one header an SDP-only
// user includes.
//
//   #include <rtwire/sdp.hpp>
//
//   rtwire::sdp::session s;                                  // reuse: no allocation per parse
//   if (auto err = rtwire::sdp::parse(offer, s, {.mode = rtwire::sdp::mode::lenient}))
//     report(err.line, err.column, err.message());           // 1-based line and column
//   auto mid = rtwire::sdp::find<rtwire::sdp::attr::mid>(s.media[0].attributes);
//   std::string same = rtwire::sdp::to_string(s);            // byte for byte
//
//   rtwire::sdp::candidate c;                                // trickled candidates
//   rtwire::sdp::parse_candidate(init.candidate, c);
#pragma once

#include "rtwire/sdp/attributes.hpp"
#include "rtwire/sdp/candidate.hpp"
#include "rtwire/sdp/error.hpp"
#include "rtwire/sdp/mode.hpp"
#include "rtwire/sdp/session.hpp"
#include "rtwire/sdp/writer.hpp"
