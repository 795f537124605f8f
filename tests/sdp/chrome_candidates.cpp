// Candidates trickled by headless Chromium (recorded by tests/sdp/capture/capture.mjs): every one
// parses strictly, serialises back byte for byte, and every field equals what the browser's own
// RTCIceCandidate reported.
#include <rtwire/sdp/candidate.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "catch.hpp"
#include "sdp/fixtures.hpp"

TEST_CASE("Chromium's trickled candidates match RTCIceCandidate", "[sdp][candidate][fixtures]") {
  const std::string text = rtwire_test::read_sdp_fixture("chrome_candidates.json");
  REQUIRE_FALSE(text.empty());
  const auto recorded = nlohmann::json::parse(text);
  REQUIRE(recorded.is_array());
  REQUIRE(recorded.size() >= 2);
  for (const auto& entry : recorded) {
    const std::string line = entry.at("candidate").get<std::string>();
    const auto& r = entry.at("reported");
    INFO(line);
    rtwire::sdp::candidate c;
    const auto err = rtwire::sdp::parse_candidate(line, c);
    INFO(err.message() << " at column " << err.column);
    REQUIRE_FALSE(err);
    CHECK(rtwire::sdp::to_string(c) == line);

    CHECK(c.foundation == r.at("foundation").get<std::string>());
    // RTCIceComponent: "rtp" is component 1, "rtcp" component 2.
    CHECK(c.component == (r.at("component") == "rtp" ? 1u : 2u));
    CHECK(rtwire::ascii::iequals(c.transport, r.at("protocol").get<std::string>()));
    CHECK(c.priority == r.at("priority").get<std::uint64_t>());
    CHECK(c.address == r.at("address").get<std::string>());
    CHECK(c.port == r.at("port").get<std::uint16_t>());
    CHECK(c.type == r.at("type").get<std::string>());
    if (r.at("relatedAddress").is_null()) {
      CHECK(c.related_address.empty());
    } else {
      CHECK(c.related_address == r.at("relatedAddress").get<std::string>());
    }
    if (r.at("relatedPort").is_null()) {
      CHECK_FALSE(c.related_port.has_value());
    } else {
      CHECK(c.related_port ==
            std::optional<std::uint16_t>(r.at("relatedPort").get<std::uint16_t>()));
    }
    if (r.at("tcpType").is_null()) {
      CHECK(c.tcptype.empty());
    } else {
      CHECK(c.tcptype == r.at("tcpType").get<std::string>());
    }
    if (r.at("usernameFragment").is_null()) {
      CHECK_FALSE(c.extension("ufrag").has_value());
    } else {
      CHECK(c.extension("ufrag") == std::optional<std::string_view>(
                                        r.at("usernameFragment").get_ref<const std::string&>()));
    }
    // The priority decomposes into the RFC 8445 parts and recomposes exactly.
    const auto parts = c.decomposed_priority();
    CHECK(rtwire::sdp::candidate_priority(parts.type_preference, parts.local_preference,
                                          parts.component) == c.priority);
    CHECK(parts.component == c.component);
  }
}
