// rtwire — the hook through which rtwire::ws::connection runs a per-message compression extension
// (RFC 7692 §6, a "PMCE"): an interface, so the connection needs no compression library. The one
// implementation rtwire ships is permessage-deflate on zlib (rtwire/ws/deflate_codec.hpp, target
// rtwire::deflate); tests use a trivial one to exercise the connection without zlib.
//
//   // After negotiating (rtwire/ws/deflate.hpp), give the connection its codec:
//   connection conn(role::server, {}, make_codec());
//   // conn then accepts RSV1 on a message's first frame, inflates those messages (bounded by
//   // limits::max_message_size), and compresses what send_text()/send_binary() send.
//
// Contract for implementers. One object per connection, used only by it. decompress() is called
// with the compressed payload of one message in order, piece by piece, and `last` set on (and
// after) the pieces that end the message; compress() likewise with the pieces of a message to
// send. Neither may keep a pointer into `in` or `out` after returning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtwire/core/bytes.hpp"

namespace rtwire::ws {

class compression {
 public:
  virtual ~compression() = default;

  enum class status : std::uint8_t {
    /// Progress (possibly none): call again with the rest of `in`, more room, or the next piece.
    progress,
    /// `last` was set and the message is complete: every byte of it has been written out.
    message_end,
    /// The input is not valid compressed data (the connection fails with 1007).
    bad_data,
  };

  struct result {
    std::size_t consumed;  ///< bytes of `in` used
    std::size_t produced;  ///< bytes written to the start of `out`
    compression::status status;
  };

  /// Inflates the next compressed bytes of the current message from `in` into `out`. `last`:
  /// `in` holds the end of the message (an extension that appends a trailer, like RFC 7692
  /// §7.2.2's 00 00 ff ff, does it once `in` is used up). Writes at most out.size() bytes, so
  /// the caller bounds memory. Returns message_end only with `last`; when produced < out.size()
  /// and all of `in` was consumed without `last`, everything available has been written.
  virtual result decompress(bytes_view in, mutable_bytes_view out, bool last) noexcept = 0;

  /// Appends the compressed form of the next piece `in` of a message being sent to `out`
  /// (`last`: the message ends with it). Returns false if the data cannot be compressed (an
  /// allocation failure inside the library): the caller sends the message uncompressed, which
  /// RFC 7692 §6 allows per message, if nothing of it was sent yet.
  virtual bool compress(bytes_view in, bool last, std::vector<std::byte>& out) = 0;

  /// Whether to compress a message of `size` bytes at all (RFC 7692 §6: per message; tiny
  /// messages may grow). Defaults to always.
  virtual bool worth_compressing(std::size_t size) const noexcept {
    (void)size;
    return true;
  }

  /// Non-zero when every message this codec sends is compressed on its own, from an empty
  /// context (RFC 7692 §7.1.1.1: a server that agreed to server_no_context_takeover), so that
  /// the bytes another codec answering the same value produced for a message are exactly what
  /// the peer can inflate here: a prepared message (rtwire/ws/prepared.hpp) compressed once is
  /// then shared by every such connection. The value names the settings the peer's inflater
  /// depends on (for permessage-deflate, the LZ77 window bits). 0, the default: a message
  /// depends on the ones before it (context takeover) and this codec must compress each one.
  virtual std::uint32_t shared_context_key() const noexcept { return 0; }

 protected:
  compression() = default;
  compression(const compression&) = default;
  compression& operator=(const compression&) = default;
};

}  // namespace rtwire::ws
