// rtwire — encode a WebSocket message once, send it to many connections (issue #14 "encode once,
// send to many").
//
// A chat room of 10 000 members gets one message: send_text() per connection would frame (and,
// with permessage-deflate, compress) the same payload 10 000 times and copy it into 10 000
// output buffers. prepare_text()/prepare_binary() build the unmasked server frame once (RFC 6455
// §5.1: servers do not mask, so one frame suits every connection) into an immutable,
// reference-counted buffer; connection::send(prepared) queues a reference to it (a counter
// increment, no copy of the payload) between the connection's own frames, in order. The caller
// writes a connection's pieces with one gathering write (writev, an Asio buffer sequence).
//
//   rtwire::ws::prepared_message msg;
//   if (auto ec = rtwire::ws::prepare_text(msg, text)) return ec;  // not UTF-8: text_not_utf8
//   for (auto& c : members) c.send(msg);                // one reference each, errors as send_text
//   std::array<rtwire::bytes_view, 16> iov;
//   const std::size_t n = members[0].gather_output(iov);  // the first n pieces, in order
//   members[0].consume_output(sent);                      // after writev() sent `sent` bytes
//
// Fragmentation: a connection whose options.fragment_size splits the message writes each
// fragment's header (2-10 bytes) into its own output and references the payload's slices, so
// every connection keeps its own options and still copies no payload byte.
//
// permessage-deflate (RFC 7692): give prepare an options.codec that compresses every message
// from an empty context (server_no_context_takeover, compression::shared_context_key() != 0, e.g.
// make_deflate_codec(params_with_server_no_context_takeover, role::server)): the message is
// compressed once and the compressed frame is shared by every connection whose codec answers
// the same shared_context_key(). A connection that keeps its compression context between
// messages (context takeover, the RFC's default) cannot use bytes compressed elsewhere (they
// would not continue its peer's LZ77 window): send() compresses the payload for it alone, as
// send_text() does, and copies the compressed bytes into its output. Sharing is an
// optimisation the server opts into at negotiation (deflate_policy); the results are the same.
//
// Lifetimes: a prepared_message's bytes are immutable and live as long as any prepared_message
// or connection output refers to them (the count is atomic: connections on several threads may
// share one message). The views gather_output() gives stay valid until the next non-const call
// on that connection. Memory: allocation failure is not reported (like std::vector, it ends the
// program).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/utf8.hpp"
#include "rtwire/ws/compression.hpp"
#include "rtwire/ws/error.hpp"
#include "rtwire/ws/frame.hpp"

namespace rtwire::ws {

/// How prepare() builds a message.
struct prepare_options {
  /// When set, also compress the message once with this codec (RFC 7692 §7.2.1), which must
  /// compress each message from an empty context (shared_context_key() != 0; otherwise
  /// error::compression_not_shareable). Used only during prepare(); it may be shared by every
  /// prepare() call of one thread, and must not be a connection's own codec.
  compression* codec = nullptr;
};

class prepared_message;
[[nodiscard]] inline std::error_code prepare(prepared_message& out, opcode kind, bytes_view payload,
                                             const prepare_options& opts = {});

/// One text or binary message framed once as an unmasked, unfragmented server frame (and, with
/// prepare_options::codec, compressed once as an RSV1 frame), shared by reference. Copying a
/// prepared_message copies a reference, never the bytes. A default-constructed one is empty.
/// connection::send() references frames longer than 256 bytes and copies shorter ones (a copy
/// that small costs less than the reference count).
class prepared_message {
 public:
  prepared_message() = default;

  bool empty() const noexcept { return body_ == nullptr; }
  /// opcode::text or opcode::binary (text for an empty message).
  opcode kind() const noexcept { return body_ ? body_->kind : opcode::text; }
  /// The message as given to prepare().
  bytes_view payload() const noexcept {
    return body_ ? bytes_view(body_->bytes).subspan(body_->plain_header, body_->plain_size)
                 : bytes_view();
  }
  /// The whole frame: header (FIN, the opcode, no mask, the minimal length) and payload.
  bytes_view frame() const noexcept {
    return body_ ? bytes_view(body_->bytes).first(body_->plain_header + body_->plain_size)
                 : bytes_view();
  }
  /// The header's size in frame() (2, 4 or 10 bytes).
  std::size_t header_size() const noexcept { return body_ ? body_->plain_header : 0; }

  /// True when prepare() compressed the message (prepare_options::codec was given and found it
  /// worth compressing).
  bool compressed() const noexcept { return body_ && body_->key != 0; }
  /// The compressed frame (RSV1 set, RFC 7692 §6.1), empty unless compressed().
  bytes_view compressed_frame() const noexcept {
    return compressed() ? bytes_view(body_->bytes).subspan(body_->plain_header + body_->plain_size)
                        : bytes_view();
  }
  /// The compressed frame's header size (0 unless compressed()).
  std::size_t compressed_header_size() const noexcept {
    return compressed() ? body_->packed_header : 0;
  }
  /// The codec's compression::shared_context_key() (0 unless compressed()): connections whose
  /// codec answers the same value send compressed_frame().
  std::uint32_t shared_context_key() const noexcept { return body_ ? body_->key : 0; }

  /// How many prepared_messages and queued connection pieces refer to these bytes (0 when
  /// empty).
  long use_count() const noexcept { return body_.use_count(); }

  /// Who owns the bytes, for a connection's output to hold (an atomic count increment).
  std::shared_ptr<const void> owner() const noexcept { return body_; }

 private:
  friend std::error_code prepare(prepared_message& out, opcode kind, bytes_view payload,
                                 const prepare_options& opts);
  struct body {
    // [plain header][payload][compressed header][compressed payload], in one buffer (two
    // allocations per prepare(): this and the count with the body).
    std::vector<std::byte> bytes;
    std::size_t plain_header = 0;
    std::size_t plain_size = 0;
    std::size_t packed_header = 0;
    std::uint32_t key = 0;  // shared_context_key() of the codec that compressed it, or 0
    opcode kind = opcode::text;
  };
  std::shared_ptr<const body> body_;
};

/// Frames `payload` once as one message of `kind` (opcode::text or opcode::binary) into `out`,
/// replacing what it held. Returns {} on success, or, leaving `out` empty:
/// - error::invalid_argument: `kind` is not text or binary;
/// - error::text_not_utf8: text that is not UTF-8 (RFC 6455 §5.6: a text frame's payload is
///   UTF-8; checked once here, where send_text() leaves it to the caller);
/// - error::compression_not_shareable: opts.codec keeps its context between messages.
/// `payload` is copied once; it need not outlive the call.
inline std::error_code prepare(prepared_message& out, opcode kind, bytes_view payload,
                               const prepare_options& opts) {
  out.body_.reset();
  if (kind != opcode::text && kind != opcode::binary)
    return make_error_code(ws::error::invalid_argument);
  // RFC 6455 §5.6: "the 'Payload data' is text data encoded as UTF-8".
  if (kind == opcode::text && !utf8::is_valid(as_chars(payload)))
    return make_error_code(ws::error::text_not_utf8);
  std::uint32_t key = 0;
  if (opts.codec != nullptr) {
    key = opts.codec->shared_context_key();
    // RFC 7692 §7.1.1: only a message compressed from an empty context inflates on any
    // connection; with context takeover it continues one connection's window.
    if (key == 0) return make_error_code(ws::error::compression_not_shareable);
  }
  std::vector<std::byte> z;
  if (key != 0 && opts.codec->worth_compressing(payload.size())) {
    // RFC 7692 §7.2.1: one sync-flushed DEFLATE run, the 00 00 ff ff tail removed; the codec
    // resets its context afterwards (no context takeover). If it fails (zlib could not
    // allocate) there is no shared compressed form: connections with a codec compress the
    // message themselves, as send_text() does.
    if (!opts.codec->compress(payload, true, z)) {
      key = 0;
      z.clear();
    }
  } else {
    key = 0;
  }
  auto b = std::make_shared<prepared_message::body>();
  b->kind = kind;
  b->plain_size = payload.size();
  b->plain_header = ws::header_size(payload.size(), false);
  b->key = key;
  b->packed_header = key != 0 ? ws::header_size(z.size(), false) : 0;
  b->bytes.reserve(b->plain_header + payload.size() + (key != 0 ? b->packed_header + z.size() : 0));
  // RFC 6455 §5.1: "A server MUST NOT mask any frames that it sends to the client."
  write_frame(b->bytes, {.fin = true, .op = kind}, payload);
  // RFC 7692 §6.1: RSV1 on the (only) frame of a compressed message.
  if (key != 0) write_frame(b->bytes, {.fin = true, .rsv = rsv1, .op = kind}, z);
  out.body_ = std::move(b);
  return {};
}

/// prepare() for a text message (UTF-8 checked: error::text_not_utf8).
[[nodiscard]] inline std::error_code prepare_text(prepared_message& out, std::string_view text,
                                                  const prepare_options& opts = {}) {
  return prepare(out, opcode::text, as_bytes(text), opts);
}

/// prepare() for a binary message.
[[nodiscard]] inline std::error_code prepare_binary(prepared_message& out, bytes_view data,
                                                    const prepare_options& opts = {}) {
  return prepare(out, opcode::binary, data, opts);
}

}  // namespace rtwire::ws
