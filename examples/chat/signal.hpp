// chat: validation of relayed WebRTC signals with rtwire's own parsers (issue §3).
//
// `data.description.sdp` must parse as SDP (lenient mode: what browsers emit) and be at most
// `max_sdp` bytes; `data.candidate.candidate` must parse as an ICE candidate (lenient), the empty
// string meaning "end of candidates". On failure the reason is "<line>:<col> <reason>".
#pragma once

#include <rtwire/sdp.hpp>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace chat {

/// nullopt when `data` may be relayed; otherwise the `bad-signal` message.
inline std::optional<std::string> validate_signal(const nlohmann::json& data, std::size_t max_sdp) {
  if (!data.is_object()) return "1:1 data is not an object";
  if (const auto d = data.find("description"); d != data.end() && !d->is_null()) {
    if (!d->is_object()) return "1:1 description is not an object";
    const auto sdp = d->find("sdp");
    if (sdp == d->end() || !sdp->is_string()) return "1:1 description.sdp is not a string";
    const std::string& text = sdp->get_ref<const std::string&>();
    if (text.size() > max_sdp)
      return "1:1 description.sdp is " + std::to_string(text.size()) + " bytes, more than " +
             std::to_string(max_sdp);
    rtwire::sdp::session parsed;
    const auto err =
        rtwire::sdp::parse(text, parsed, {.mode = rtwire::sdp::mode::lenient, .limits = {}});
    if (err)
      return std::to_string(err.line) + ":" + std::to_string(err.column) + " " + err.message();
  }
  if (const auto c = data.find("candidate"); c != data.end() && !c->is_null()) {
    if (!c->is_object()) return "1:1 candidate is not an object";
    const auto cand = c->find("candidate");
    if (cand == c->end() || !cand->is_string()) return "1:1 candidate.candidate is not a string";
    const std::string& text = cand->get_ref<const std::string&>();
    if (text.empty()) return std::nullopt;  // end of candidates
    rtwire::sdp::candidate parsed;
    const auto err =
        rtwire::sdp::parse_candidate(text, parsed, {.mode = rtwire::sdp::mode::lenient});
    if (err)
      return std::to_string(err.line == 0 ? 1 : err.line) + ":" + std::to_string(err.column) + " " +
             err.message();
  }
  return std::nullopt;
}

}  // namespace chat
