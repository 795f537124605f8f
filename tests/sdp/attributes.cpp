// Typed accessors for the WebRTC SDP attributes, on real browser SDPs and on hand-made values
// (valid and malformed).
#include <rtwire/sdp.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "sdp/fixtures.hpp"

using namespace rtwire::sdp;
using sv = std::string_view;
using opt_sv = std::optional<std::string_view>;

namespace {

attribute a(sv name, opt_sv value = std::nullopt) {
  return {name, value};
}

std::vector<sv> tokens(const token_list& l) {
  return {l.begin(), l.end()};
}

template <class T>
bool rejects(opt_sv value) {
  return !get<T>(a(T::name, value)).has_value();
}

}  // namespace

TEST_CASE("typed attributes of a real Chrome offer", "[sdp][attributes][fixtures]") {
  const std::string text = rtwire_test::read_sdp_fixture("chrome_offer.sdp");
  session s;
  REQUIRE_FALSE(parse(text, s));

  const auto bundle = find<attr::group>(s.attributes);
  REQUIRE(bundle);
  CHECK(bundle->semantics == "BUNDLE");
  CHECK(tokens(bundle->mids) == std::vector<sv>{"0", "1", "2"});
  CHECK(has<attr::extmap_allow_mixed>(s.attributes));
  const auto wms = find<attr::msid_semantic>(s.attributes);
  REQUIRE(wms);
  CHECK(wms->semantic == "WMS");
  CHECK(wms->identifiers.size() == 1);

  const auto& audio = s.media[0];
  CHECK(find<attr::mid>(audio.attributes)->value == "0");
  CHECK(find<attr::ice_ufrag>(audio.attributes)->value.size() >= 4);
  CHECK(find<attr::ice_pwd>(audio.attributes)->value.size() >= 22);
  CHECK(tokens(find<attr::ice_options>(audio.attributes)->options) == std::vector<sv>{"trickle"});
  const auto fp = find<attr::fingerprint>(audio.attributes);
  REQUIRE(fp);
  CHECK(fp->hash_function == "sha-256");
  CHECK(fp->value.size() == 32 * 3 - 1);
  CHECK(find<attr::setup>(audio.attributes)->value == attr::setup::role::actpass);
  const auto rtcp = find<attr::rtcp>(audio.attributes);
  REQUIRE(rtcp);
  CHECK(rtcp->port == 9);
  REQUIRE(rtcp->address);
  CHECK(rtcp->address->address == "0.0.0.0");
  CHECK(direction_of(audio.attributes) == direction::sendrecv);
  CHECK(has<attr::rtcp_mux>(audio.attributes));
  CHECK(has<attr::rtcp_rsize>(audio.attributes));
  CHECK_FALSE(has<attr::rtcp_mux_only>(audio.attributes));

  std::vector<attr::rtpmap> rtpmaps;
  std::vector<attr::extmap> extmaps;
  std::size_t unknown = 0;
  for (const auto& at : audio.attributes) {
    if (auto r = get<attr::rtpmap>(at)) rtpmaps.push_back(*r);
    if (auto e = get<attr::extmap>(at)) extmaps.push_back(*e);
    if (at.name == "rtcp-xr") ++unknown;  // kept as name/value
  }
  REQUIRE(rtpmaps.size() == audio.formats.size());
  CHECK(rtpmaps[0].payload_type == 111);
  CHECK(rtpmaps[0].encoding_name == "opus");
  CHECK(rtpmaps[0].clock_rate == 48000);
  CHECK(rtpmaps[0].encoding_parameters == opt_sv("2"));
  CHECK_FALSE(rtpmaps[2].encoding_parameters.has_value());  // G722/8000
  REQUIRE(extmaps.size() == 4);
  CHECK(extmaps[0].id == 1);
  CHECK(extmaps[0].uri == "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  CHECK(unknown == 1);
  const auto opus = find<attr::fmtp>(audio.attributes);
  REQUIRE(opus);
  CHECK(opus->format == "111");
  CHECK(opus->parameters == "minptime=10;useinbandfec=1");
  CHECK(opus->params().find("useinbandfec") == opt_sv("1"));
  CHECK(count<attr::ssrc>(audio.attributes) == 2);
  const auto ssrc = find<attr::ssrc>(audio.attributes);
  REQUIRE(ssrc);
  CHECK(ssrc->attribute == "cname");
  const auto msid = find<attr::msid>(audio.attributes);
  REQUIRE(msid);
  CHECK(msid->track_id.has_value());
  CHECK(*wms->identifiers.begin() == msid->stream_id);

  const auto& video = s.media[1];
  const auto fid = find<attr::ssrc_group>(video.attributes);
  REQUIRE(fid);
  CHECK(fid->semantics == "FID");
  CHECK(fid->ssrcs.size() == 2);
  std::size_t feedback = 0;
  for (const auto& at : video.attributes)
    if (auto fb = get<attr::rtcp_fb>(at)) {
      ++feedback;
      if (fb->type == "nack" && fb->parameters) CHECK(*fb->parameters == "pli");
    }
  CHECK(feedback > 10);

  const auto& data = s.media[2];
  CHECK(find<attr::sctp_port>(data.attributes)->port == 5000);
  CHECK(find<attr::max_message_size>(data.attributes)->size == 262144);
}

TEST_CASE("typed attributes of the quirks fixtures", "[sdp][attributes][fixtures]") {
  const std::string text = rtwire_test::read_sdp_fixture("quirks_answer.sdp");
  session s;
  REQUIRE_FALSE(parse(text, s));
  // "a=msid-semantic: WMS" with the space and no identifier.
  const auto wms = find<attr::msid_semantic>(s.attributes);
  REQUIRE(wms);
  CHECK(wms->semantic == "WMS");
  CHECK(wms->identifiers.empty());
  const auto& audio = s.media[0];
  // mDNS names in c=.
  CHECK(audio.connections[0].address == "8dbb6d27-1a4e-4c8f-9e1e-3b6f1a2c9d0e.local");
  std::vector<rtwire::sdp::candidate> cands;
  for (const auto& at : audio.attributes)
    if (auto c = get<attr::ice_candidate>(at)) cands.push_back(c->value);
  REQUIRE(cands.size() == 4);
  CHECK(cands[0].address == "8dbb6d27-1a4e-4c8f-9e1e-3b6f1a2c9d0e.local");
  CHECK(cands[1].tcptype == "active");
  CHECK(cands[2].related_address == "0.0.0.0");
  CHECK(cands[3].type == "relay");
  CHECK(has<attr::end_of_candidates>(audio.attributes));
  CHECK(tokens(find<attr::ice_options>(audio.attributes)->options) ==
        std::vector<sv>{"trickle", "renomination"});
  CHECK(find<attr::setup>(audio.attributes)->value == attr::setup::role::active);
  CHECK(direction_of(audio.attributes) == direction::recvonly);
  CHECK(find<attr::ptime>(audio.attributes)->value == 20.0);
  CHECK(find<attr::maxptime>(audio.attributes)->value == 120.0);

  const auto& video = s.media[1];
  CHECK(video.port == 0);
  CHECK(find<attr::mid>(video.attributes)->value == "1");
  CHECK(direction_of(video.attributes) == direction::inactive);
  CHECK(has<attr::rtcp_mux_only>(video.attributes));
  CHECK(find<attr::framerate>(video.attributes)->text == "29.97");
  CHECK(find<attr::framerate>(video.attributes)->value == Approx(29.97));
  std::vector<attr::rid> rids;
  for (const auto& at : video.attributes)
    if (auto r = get<attr::rid>(at)) rids.push_back(*r);
  REQUIRE(rids.size() == 2);
  CHECK(rids[0].id == "hi");
  CHECK(rids[0].direction == attr::rid::rid_direction::send);
  CHECK(rids[0].params().find("max-width") == opt_sv("1280"));
  const auto sim = find<attr::simulcast>(video.attributes);
  REQUIRE(sim);
  CHECK(sim->send == opt_sv("hi;~lo"));
  CHECK_FALSE(sim->recv.has_value());
  CHECK(find<attr::tls_id>(video.attributes)->value == "1a2b3c4d5e6f7a8b9c0d1e2f");
  const auto map = find<attr::sctpmap>(video.attributes);
  REQUIRE(map);
  CHECK(map->number == 5000);
  CHECK(map->app == "webrtc-datachannel");
  CHECK(map->streams == std::optional<std::uint32_t>(1024));
  const auto rtx = find<attr::fmtp>(std::span(video.attributes).subspan(14));
  REQUIRE(rtx);
  CHECK(rtx->params().find("apt") == opt_sv("96"));

  // Firefox: a=msid-semantic:WMS * without the space, {uuid} msids, extmap with a direction.
  const std::string ff = rtwire_test::read_sdp_fixture("firefox_style_offer.sdp");
  REQUIRE_FALSE(parse(ff, s));
  const auto ffwms = find<attr::msid_semantic>(s.attributes);
  REQUIRE(ffwms);
  CHECK(tokens(ffwms->identifiers) == std::vector<sv>{"*"});
  const auto ffmsid = find<attr::msid>(s.media[0].attributes);
  REQUIRE(ffmsid);
  CHECK(ffmsid->stream_id == "{0f1cfb6e-37b7-4a5c-8dc3-0c7ce4d3e8a1}");
  CHECK(ffmsid->track_id == opt_sv("{b4a1f8d9-7c34-4c3f-9b3e-0e8a1c8e0f2d}"));
  std::vector<attr::extmap> ext;
  for (const auto& at : s.media[0].attributes)
    if (auto e = get<attr::extmap>(at)) ext.push_back(*e);
  REQUIRE(ext.size() == 3);
  CHECK_FALSE(ext[0].direction.has_value());
  CHECK(ext[1].direction == direction::recvonly);
  CHECK(ext[1].id == 2);
  const auto dtmf = get<attr::fmtp>(s.media[0].attributes[5]);
  REQUIRE(dtmf);
  const auto p = *dtmf->params().begin();
  CHECK(p.key == "0-15");
  CHECK_FALSE(p.value.has_value());
  CHECK(find<attr::max_message_size>(s.media[2].attributes)->size == 1073741823u);
}

TEST_CASE("malformed attribute values are rejected", "[sdp][attributes]") {
  CHECK(rejects<attr::rtpmap>(std::nullopt));
  CHECK(rejects<attr::rtpmap>("x opus/48000"));
  CHECK(rejects<attr::rtpmap>("128 opus/48000"));
  CHECK(rejects<attr::rtpmap>("111 opus"));
  CHECK(rejects<attr::rtpmap>("111 opus/x"));
  CHECK(rejects<attr::rtpmap>("111 opus/48000/"));
  CHECK(rejects<attr::fmtp>("111"));
  CHECK(rejects<attr::fmtp>(" minptime=10"));
  CHECK(rejects<attr::rtcp>("x"));
  CHECK(rejects<attr::rtcp>("9 IN IP4"));
  CHECK(rejects<attr::rtcp>("9 IN IP4 a b"));
  CHECK(rejects<attr::rtcp_fb>("96"));
  CHECK(rejects<attr::rtcp_fb>("9@ nack"));
  CHECK(rejects<attr::extmap>("0 urn:x"));
  CHECK(rejects<attr::extmap>("1/sideways urn:x"));
  CHECK(rejects<attr::extmap>("1"));
  CHECK(rejects<attr::ssrc>("x cname:a"));
  CHECK(rejects<attr::ssrc>("4294967296 cname:a"));
  CHECK(rejects<attr::ssrc>("1"));
  CHECK(rejects<attr::ssrc_group>("FID 1 x"));
  CHECK(rejects<attr::msid>(""));
  CHECK(rejects<attr::msid>("a b c"));
  CHECK(rejects<attr::msid_semantic>(" "));
  CHECK(rejects<attr::group>(""));
  CHECK(rejects<attr::group>("BUNDLE 0 1@"));
  CHECK(rejects<attr::mid>("a b"));
  CHECK(rejects<attr::mid>(std::nullopt));
  CHECK(rejects<attr::ice_ufrag>("abc"));
  CHECK(rejects<attr::ice_ufrag>("ab-cd"));
  CHECK(rejects<attr::ice_pwd>("tooshort"));
  CHECK(rejects<attr::ice_options>(""));
  CHECK(rejects<attr::fingerprint>("sha-256"));
  CHECK(rejects<attr::fingerprint>("sha-256 AB:C"));
  CHECK(rejects<attr::fingerprint>("sha-256 AB:CD:"));
  CHECK(rejects<attr::fingerprint>("sha-256 AB-CD"));
  CHECK(rejects<attr::setup>("both"));
  CHECK(rejects<attr::ice_candidate>("1 1 udp 1 10.0.0.1 1 typ"));
  CHECK(rejects<attr::ice_candidate>("candidate:1 1 udp 1 10.0.0.1 1 typ host"));
  CHECK(rejects<attr::rtcp_mux>(""));
  CHECK(rejects<attr::ice_lite>("yes"));
  CHECK(rejects<attr::end_of_candidates>("1"));
  CHECK(rejects<attr::sctp_port>("65536"));
  CHECK(rejects<attr::max_message_size>("-1"));
  CHECK(rejects<attr::sctpmap>("5000"));
  CHECK(rejects<attr::sctpmap>("5000 webrtc-datachannel x"));
  CHECK(rejects<attr::simulcast>(""));
  CHECK(rejects<attr::simulcast>("send"));
  CHECK(rejects<attr::simulcast>("send a send b"));
  CHECK(rejects<attr::simulcast>("up a"));
  CHECK(rejects<attr::rid>("hi"));
  CHECK(rejects<attr::rid>("hi both"));
  CHECK(rejects<attr::rid>("h.i send"));
  CHECK(rejects<attr::ptime>("20ms"));
  CHECK(rejects<attr::ptime>(".5"));
  CHECK(rejects<attr::maxptime>("1."));
  CHECK(rejects<attr::framerate>(""));
  CHECK(rejects<attr::tls_id>("short"));
  CHECK(rejects<attr::tls_id>("abcdefghijklmnopqrs!"));
  // A different name never matches.
  CHECK_FALSE(get<attr::mid>(a("msid", "0")).has_value());
  // find<> looks at the first attribute of that name only.
  const std::vector<attribute> two{a("mid", "a b"), a("mid", "0")};
  CHECK_FALSE(find<attr::mid>(two).has_value());
  CHECK(count<attr::mid>(two) == 2);
  CHECK(find_value(two, "mid") == opt_sv("a b"));
  CHECK_FALSE(find_value(two, "rid").has_value());
}

TEST_CASE("valid edge values", "[sdp][attributes]") {
  CHECK(get<attr::ice_lite>(a("ice-lite")).has_value());
  CHECK(get<attr::rtcp_fb>(a("rtcp-fb", "* ccm fir"))->payload_type == "*");
  const auto ext = get<attr::extmap>(a("extmap", "4096/sendonly urn:x attr1 attr2"));
  REQUIRE(ext);
  CHECK(ext->id == 4096);
  CHECK(ext->direction == direction::sendonly);
  CHECK(ext->extension_attributes == opt_sv("attr1 attr2"));
  CHECK(get<attr::rtcp>(a("rtcp", "53020"))->address == std::nullopt);
  CHECK(get<attr::rtcp>(a("rtcp", "9 IN IP4 abc.local"))->address->address == "abc.local");
  CHECK(get<attr::msid>(a("msid", "- 4e17"))->stream_id == "-");
  CHECK(get<attr::ssrc>(a("ssrc", "4294967295 foo"))->value == std::nullopt);
  CHECK(get<attr::simulcast>(a("simulcast", "recv 1,2;3 send 4"))->recv == opt_sv("1,2;3"));
  CHECK(get<attr::ptime>(a("ptime", "0.5"))->value == 0.5);
  CHECK(get<attr::setup>(a("setup", "holdconn"))->value == attr::setup::role::holdconn);
  CHECK(get<attr::setup>(a("setup", "passive"))->value == attr::setup::role::passive);
  for (const auto d :
       {direction::sendrecv, direction::sendonly, direction::recvonly, direction::inactive})
    CHECK(parse_direction(to_string(d)) == d);
  CHECK_FALSE(parse_direction("both").has_value());
  // A direction name with a value is not a direction attribute.
  const std::vector<attribute> v{a("sendonly", "x"), a("recvonly")};
  CHECK(direction_of(v) == direction::recvonly);
  CHECK_FALSE(direction_of({}).has_value());
  // Parameter lists skip blanks and spaces.
  const parameter_list params(" a=1; ;b ;c=;d=x=y ");
  std::vector<std::pair<sv, opt_sv>> got;
  for (const auto p : params)
    got.emplace_back(p.key, p.value);
  CHECK(got ==
        std::vector<std::pair<sv, opt_sv>>{
            {"a", opt_sv("1")}, {"b", std::nullopt}, {"c", opt_sv("")}, {"d", opt_sv("x=y")}});
  CHECK(params.find("b") == opt_sv(""));
  CHECK_FALSE(params.find("z").has_value());
  const token_list t("  a  b ");
  CHECK(tokens(t) == std::vector<sv>{"a", "b"});
  CHECK(t.contains("b"));
  CHECK_FALSE(t.contains("c"));
  CHECK(token_list("").empty());
}
