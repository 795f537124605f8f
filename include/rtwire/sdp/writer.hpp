// rtwire — SDP writers: the byte-exact writer for parsed sessions and the owning model for
// building (or editing) descriptions in code, which serialises canonically.
//
//   std::string same = rtwire::sdp::to_string(parsed);        // == the parsed text, byte for byte
//   rtwire::sdp::owned_session o = rtwire::sdp::to_owned(parsed);
//   o.media[0].attributes.push_back({"end-of-candidates", std::nullopt});
//   std::string edited = rtwire::sdp::to_string(o);           // canonical: RFC order, CRLF
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/sdp/detail/text.hpp"
#include "rtwire/sdp/session.hpp"

namespace rtwire::sdp {

/// Appends a parsed session to `out` byte for byte: every line as it was read, in order, with its
/// own line ending (and no line ending where the input had none). For any text that parse()
/// accepted, the result equals that text.
template <output_buffer B>
void format(const session& s, B& out) {
  for (const auto& l : s.lines)
    rtwire::detail::append(out, l.raw);
}

/// The parsed session as text (see format()).
inline std::string to_string(const session& s) {
  std::string text;
  text.reserve(s.text.size());
  format(s, text);
  return text;
}

// ------------------------------------------------------------------------------------------------
// The owning model
// ------------------------------------------------------------------------------------------------

/// o= with owned strings (see sdp::origin).
struct owned_origin {
  std::string username = "-";
  std::string session_id = "0";
  std::string session_version = "0";
  std::string nettype = "IN";
  std::string addrtype = "IP4";
  std::string address = "127.0.0.1";
  friend bool operator==(const owned_origin&, const owned_origin&) = default;
};

/// c= with owned strings (see sdp::connection).
struct owned_connection {
  std::string nettype = "IN";
  std::string addrtype = "IP4";
  std::string address;
  friend bool operator==(const owned_connection&, const owned_connection&) = default;
};

/// b= with owned strings (see sdp::bandwidth).
struct owned_bandwidth {
  std::string type;
  std::uint64_t value = 0;
  friend bool operator==(const owned_bandwidth&, const owned_bandwidth&) = default;
};

/// A time description with owned strings (see sdp::timing).
struct owned_timing {
  std::uint64_t start = 0;
  std::uint64_t stop = 0;
  std::vector<std::string> repeats;
  std::optional<std::string> zone_adjustments;
  friend bool operator==(const owned_timing&, const owned_timing&) = default;
};

/// a= with owned strings (see sdp::attribute); no value = a property attribute.
struct owned_attribute {
  std::string name;
  std::optional<std::string> value;
  friend bool operator==(const owned_attribute&, const owned_attribute&) = default;
};

/// A line of a type this library does not model (kept from a lenient parse).
struct owned_line {
  char type = 'x';
  std::string value;
  friend bool operator==(const owned_line&, const owned_line&) = default;
};

/// A media description with owned strings (see sdp::media).
struct owned_media {
  std::string type;
  std::uint16_t port = 9;
  std::optional<std::uint32_t> port_count;
  std::string protocol;
  std::vector<std::string> formats;
  std::optional<std::string> information;
  std::vector<owned_connection> connections;
  std::vector<owned_bandwidth> bandwidths;
  std::optional<std::string> key;
  std::vector<owned_attribute> attributes;
  std::vector<owned_line> unknown_lines;  // written after the attributes
  friend bool operator==(const owned_media&, const owned_media&) = default;
};

/// A session description that owns its strings: build one in code, or convert a parsed session
/// with to_owned() to edit it. Serialised canonically by format(): the RFC 8866 §5 line order,
/// single spaces, CRLF after every line. The defaults give "v=0", "o=- 0 0 IN IP4 127.0.0.1",
/// "s=-" and one "t=0 0".
struct owned_session {
  std::uint32_t version = 0;
  owned_origin origin{};
  std::string session_name = "-";
  std::optional<std::string> information;
  std::optional<std::string> uri;
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  std::optional<owned_connection> connection;
  std::vector<owned_bandwidth> bandwidths;
  std::vector<owned_timing> timings{owned_timing{}};
  std::optional<std::string> key;
  std::vector<owned_attribute> attributes;
  std::vector<owned_line> unknown_lines;  // written after the session-level attributes
  std::vector<owned_media> media;
  friend bool operator==(const owned_session&, const owned_session&) = default;
};

namespace detail {

inline std::optional<std::string> own(const std::optional<std::string_view>& v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}

inline std::vector<std::string> own(std::span<const std::string_view> v) {
  return {v.begin(), v.end()};
}

inline owned_connection own(const connection& c) {
  return {std::string(c.nettype), std::string(c.addrtype), std::string(c.address)};
}

inline std::vector<owned_connection> own(std::span<const connection> v) {
  std::vector<owned_connection> r;
  r.reserve(v.size());
  for (const auto& c : v)
    r.push_back(own(c));
  return r;
}

inline std::vector<owned_bandwidth> own(std::span<const bandwidth> v) {
  std::vector<owned_bandwidth> r;
  r.reserve(v.size());
  for (const auto& b : v)
    r.push_back({std::string(b.type), b.value});
  return r;
}

inline std::vector<owned_attribute> own(std::span<const attribute> v) {
  std::vector<owned_attribute> r;
  r.reserve(v.size());
  for (const auto& a : v)
    r.push_back({std::string(a.name), own(a.value)});
  return r;
}

inline std::vector<owned_line> own(std::span<const line> v) {
  std::vector<owned_line> r;
  r.reserve(v.size());
  for (const auto& l : v)
    r.push_back({l.type, std::string(l.value)});
  return r;
}

template <output_buffer B>
struct line_writer {
  B& out;
  void put(std::string_view s) { rtwire::detail::append(out, s); }
  void num(std::uint64_t v) {
    append_uint([this](std::string_view s) { put(s); }, v);
  }
  void begin(char type) {
    const char head[2] = {type, '='};
    put(std::string_view(head, 2));
  }
  void end() { put("\r\n"); }
  void text(char type, std::string_view value) {
    begin(type);
    put(value);
    end();
  }
  void connection(const owned_connection& c) {
    begin('c');
    put(c.nettype);
    put(" ");
    put(c.addrtype);
    put(" ");
    put(c.address);
    end();
  }
  void bandwidths(const std::vector<owned_bandwidth>& v) {
    for (const auto& b : v) {
      begin('b');
      put(b.type);
      put(":");
      num(b.value);
      end();
    }
  }
  void attributes(const std::vector<owned_attribute>& v) {
    for (const auto& a : v) {
      begin('a');
      put(a.name);
      if (a.value) {
        put(":");
        put(*a.value);
      }
      end();
    }
  }
  void unknown(const std::vector<owned_line>& v) {
    for (const auto& l : v)
      text(l.type, l.value);
  }
};

}  // namespace detail

/// Copies a parsed session into the owning model (every field, unknown attributes and lenient
/// unknown lines included). The result no longer depends on the parsed text.
inline owned_session to_owned(const session& s) {
  using detail::own;
  owned_session o;
  o.version = s.version;
  o.origin = {std::string(s.origin.username),        std::string(s.origin.session_id),
              std::string(s.origin.session_version), std::string(s.origin.nettype),
              std::string(s.origin.addrtype),        std::string(s.origin.address)};
  o.session_name = std::string(s.session_name);
  o.information = own(s.information);
  o.uri = own(s.uri);
  o.emails = own(s.emails);
  o.phones = own(s.phones);
  if (s.connection) o.connection = own(*s.connection);
  o.bandwidths = own(s.bandwidths);
  o.timings.clear();
  for (const auto& t : s.timings)
    o.timings.push_back({t.start, t.stop, own(t.repeats), own(t.zone_adjustments)});
  o.key = own(s.key);
  o.attributes = own(s.attributes);
  o.unknown_lines = own(s.unknown_lines);
  o.media.reserve(s.media.size());
  for (const auto& m : s.media) {
    owned_media om;
    om.type = std::string(m.type);
    om.port = m.port;
    om.port_count = m.port_count;
    om.protocol = std::string(m.protocol);
    om.formats = own(m.formats);
    om.information = own(m.information);
    om.connections = own(m.connections);
    om.bandwidths = own(m.bandwidths);
    om.key = own(m.key);
    om.attributes = own(m.attributes);
    om.unknown_lines = own(m.unknown_lines);
    o.media.push_back(std::move(om));
  }
  return o;
}

/// Appends the owning session to `out` canonically: the RFC 8866 §5 order (v o s i u e* p* c b*
/// (t r* z)+ k a* then per media m i c* b* k a*), fields separated by single spaces, CRLF after
/// every line, unknown lines after the attributes of their section. Writes what it is given: an
/// owned_session that breaks the grammar (say, an empty session name) gives text that parse()
/// rejects. For an SDP that a browser produced (canonical already), format(to_owned(parse(x)))
/// == x.
template <output_buffer B>
void format(const owned_session& s, B& out) {
  detail::line_writer<B> w{out};
  w.begin('v');
  w.num(s.version);
  w.end();
  w.begin('o');
  for (const std::string* f : {&s.origin.username, &s.origin.session_id, &s.origin.session_version,
                               &s.origin.nettype, &s.origin.addrtype}) {
    w.put(*f);
    w.put(" ");
  }
  w.put(s.origin.address);
  w.end();
  w.text('s', s.session_name);
  if (s.information) w.text('i', *s.information);
  if (s.uri) w.text('u', *s.uri);
  for (const auto& e : s.emails)
    w.text('e', e);
  for (const auto& p : s.phones)
    w.text('p', p);
  if (s.connection) w.connection(*s.connection);
  w.bandwidths(s.bandwidths);
  for (const auto& t : s.timings) {
    w.begin('t');
    w.num(t.start);
    w.put(" ");
    w.num(t.stop);
    w.end();
    for (const auto& r : t.repeats)
      w.text('r', r);
    if (t.zone_adjustments) w.text('z', *t.zone_adjustments);
  }
  if (s.key) w.text('k', *s.key);
  w.attributes(s.attributes);
  w.unknown(s.unknown_lines);
  for (const auto& m : s.media) {
    w.begin('m');
    w.put(m.type);
    w.put(" ");
    w.num(m.port);
    if (m.port_count) {
      w.put("/");
      w.num(*m.port_count);
    }
    w.put(" ");
    w.put(m.protocol);
    for (const auto& f : m.formats) {
      w.put(" ");
      w.put(f);
    }
    w.end();
    if (m.information) w.text('i', *m.information);
    for (const auto& c : m.connections)
      w.connection(c);
    w.bandwidths(m.bandwidths);
    if (m.key) w.text('k', *m.key);
    w.attributes(m.attributes);
    w.unknown(m.unknown_lines);
  }
}

/// The owning session as canonical text (see format()).
inline std::string to_string(const owned_session& s) {
  std::string text;
  format(s, text);
  return text;
}

}  // namespace rtwire::sdp
