// rtwire — permessage-deflate compression (RFC 7692 §7.2) on zlib: the rtwire::ws::compression a
// connection runs once negotiate_deflate() / accept_deflate_response() (rtwire/ws/deflate.hpp)
// agreed parameters. The one rtwire header that needs zlib: link rtwire::deflate, not just
// rtwire::rtwire (which never pulls zlib).
//
//   // params: deflate_answer::params (server) or from accept_deflate_response() (client)
//   std::unique_ptr<compression> codec = make_deflate_codec(params, role::server);
//   connection conn(role::server, {}, std::move(codec));
//
// Receiving (§7.2.2): the payloads of a compressed message are inflated as they arrive, then
// 00 00 ff ff is appended; the connection hands out at most limits::max_message_size inflated
// bytes, so a 1 KiB "bomb" that inflates to 1 GiB costs the configured limit and the time to
// inflate that much, then fails with 1009. Sending (§7.2.1): each message is deflated with
// Z_SYNC_FLUSH and the trailing 00 00 ff ff removed (an empty last piece becomes the single byte
// 00 of §7.2.3.6). Context takeover (§7.1.1) is kept or the stream reset after every message, as
// negotiated. Inflating always uses a 15-bit (32 KiB) window, whatever the peer promised: zlib
// resolves distances into the output of the current call as well as into its window, so with a
// smaller inflate window a peer that overshoots its promised window would be accepted or refused
// depending on how its bytes were split into reads (found by fuzz/ws_deflate.cpp); with 32 KiB,
// every valid DEFLATE stream reads the same at any split. The agreed window still bounds what a
// conforming peer's compressor uses.
//
// Memory per connection (zlib 1.2.x, measured by allocated_bytes(); tests/ws/deflate_codec.cpp):
// inflating holds zlib's inflate state (~7 KiB) plus its 32 KiB window, allocated at the first
// compressed message, and the connection a 16 KiB output chunk; deflating holds (2^(w+2) +
// 2^(memLevel+9)) bytes plus ~6 KiB, 256 KiB at the defaults (w = 15, memLevel 8) and 8 KiB + 6 KiB
// at w = 9, memLevel 1. Smaller windows and memLevel trade ratio for memory. With no context
// takeover on a side, that side's stream can be released after each message
// (options::release_between_messages): memory is then only held while a message is being compressed
// or inflated, for one allocation per message. libdeflate is not a substitute: it has no streaming
// or sync-flush mode, and permessage-deflate needs both (a message arrives in pieces; messages
// share one stream under context takeover).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/ws/compression.hpp"
#include "rtwire/ws/connection_options.hpp"
#include "rtwire/ws/deflate.hpp"

namespace rtwire::ws {

/// zlib settings for the compressing side and memory policy.
struct deflate_codec_options {
  /// zlib compression level, 0 (store) to 9; 6 is zlib's default.
  int level = 6;
  /// zlib memLevel, 1..9: 8 is zlib's default (128 KiB of hash tables), 1 the smallest.
  int mem_level = 8;
  /// Messages shorter than this are sent uncompressed (RFC 7692 §6: compression is per message).
  std::size_t min_size = 0;
  /// With no context takeover on a side, free that side's zlib stream after each message.
  bool release_between_messages = false;
};

/// permessage-deflate on zlib for one connection. Neither copyable nor movable (zlib streams
/// point to themselves): hold it through the connection's std::unique_ptr<compression>.
class deflate_codec final : public compression {
 public:
  deflate_codec(const deflate_params& params, role r, const deflate_codec_options& opts = {})
      : opts_(opts),
        // Always a 15-bit inflate window (see the comment at the top): the verdict on a peer's
        // stream must not depend on how its bytes were split (DESIGN.md §1.5).
        inflate_bits_(15),
        deflate_bits_(params.deflate_window_bits(r)),
        inflate_resets_(params.inflate_resets(r)),
        deflate_resets_(params.deflate_resets(r)) {
    opts_.level = std::clamp(opts_.level, 0, 9);
    opts_.mem_level = std::clamp(opts_.mem_level, 1, 9);
    init_stream(in_);
    init_stream(out_);
  }
  deflate_codec(const deflate_codec&) = delete;
  deflate_codec& operator=(const deflate_codec&) = delete;
  ~deflate_codec() override {
    if (in_ready_) inflateEnd(&in_);
    if (out_ready_) deflateEnd(&out_);
  }

  result decompress(bytes_view in, mutable_bytes_view out, bool last) noexcept override {
    if (!in_ready_ && !start_inflate()) return {0, 0, status::bad_data};
    // A compressed message with no payload at all (RFC 7692 §7.2.3.6 sends 00, but the tail
    // alone would leave zlib inside a stored block): an empty message, the stream untouched.
    if (last && in.empty() && !in_message_) return {0, 0, status::message_end};
    in_message_ = true;
    std::size_t consumed = 0;
    std::size_t produced = 0;
    if (!run_inflate(in, out, consumed, produced)) return {consumed, produced, status::bad_data};
    if (!last || consumed < in.size() || produced == out.size())
      return {consumed, produced, status::progress};
    {
      // RFC 7692 §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the
      // payload of the message" and inflate it too.
      static constexpr std::byte tail[4] = {std::byte{0x00}, std::byte{0x00}, std::byte{0xff},
                                            std::byte{0xff}};
      std::size_t used = 0;
      std::size_t more = 0;
      const bool ok =
          run_inflate(bytes_view(tail).subspan(tail_fed_), out.subspan(produced), used, more);
      tail_fed_ += used;
      produced += more;
      if (!ok) return {consumed, produced, status::bad_data};
      if (produced == out.size()) return {consumed, produced, status::progress};
      // The tail completes the empty stored block the sender's sync flush began: all of it is
      // used and the inflater waits at a block boundary (zlib's data_type bit 128). Anything
      // else means the payload did not end where RFC 7692 §7.2.1 says it must, and the next
      // message would be read from inside a block. After a BFINAL block (§7.2.3.4) the tail
      // only pads a stream that is over and is reset anyway.
      if (tail_fed_ < sizeof tail || ((in_.data_type & 128) == 0 && !ended_))
        return {consumed, produced, status::bad_data};
    }
    end_message();
    return {consumed, produced, status::message_end};
  }

  bool compress(bytes_view in, bool last, std::vector<std::byte>& out) override {
    if (!out_ready_ && !start_deflate()) return false;
    const std::size_t start = out.size();
    const auto* p = reinterpret_cast<const Bytef*>(in.data());
    std::size_t left = in.size();
    for (;;) {
      const auto take = static_cast<uInt>(std::min<std::size_t>(left, UINT_MAX));
      out_.next_in = const_cast<Bytef*>(p);  // zlib's API is not const-correct; it only reads
      out_.avail_in = take;
      left -= take;
      // RFC 7692 §7.2.1: compress with a sync flush, so the piece ends on a byte boundary
      // with an empty stored block.
      const int flush = left == 0 ? Z_SYNC_FLUSH : Z_NO_FLUSH;
      do {
        const std::size_t room = deflateBound(&out_, out_.avail_in) + 16;
        const std::size_t old = out.size();
        out.resize(old + room);
        out_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
        out_.avail_out = static_cast<uInt>(std::min<std::size_t>(room, UINT_MAX));
        const int rc = deflate(&out_, flush);
        out.resize(old + room - out_.avail_out);
        // Z_BUF_ERROR: nothing to do (no new input after a flush): not an error.
        if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
      } while (out_.avail_out == 0 || out_.avail_in != 0);
      p += take;
      if (left == 0) break;
    }
    if (last) {
      // RFC 7692 §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end".
      const std::size_t n = out.size() - start;
      static constexpr unsigned char tail[4] = {0x00, 0x00, 0xff, 0xff};
      if (n >= 4 && std::memcmp(out.data() + out.size() - 4, tail, 4) == 0) {
        out.resize(out.size() - 4);
      } else if (n == 0) {
        // Nothing new since the last flush: an empty stored block without its LEN/NLEN (which
        // the receiver appends), as in RFC 7692 §7.2.3.6.
        out.push_back(std::byte{0x00});
      }
      // RFC 7692 §7.1.1: without context takeover the next message starts a fresh stream.
      if (deflate_resets_) {
        if (opts_.release_between_messages) {
          deflateEnd(&out_);
          out_ready_ = false;
        } else {
          deflateReset(&out_);
        }
      }
    }
    return true;
  }

  bool worth_compressing(std::size_t size) const noexcept override {
    return size >= opts_.min_size;
  }

  /// RFC 7692 §7.1.1: without context takeover on our side every message starts from an empty
  /// window, so bytes compressed by any codec with the same window are valid here (the level
  /// and memLevel change the bytes, not their validity). With takeover: 0, never shared.
  std::uint32_t shared_context_key() const noexcept override {
    return deflate_resets_ ? static_cast<std::uint32_t>(deflate_bits_) : 0u;
  }

  /// Bytes zlib holds right now for this connection (both directions).
  std::size_t allocated_bytes() const noexcept { return allocated_; }

  /// The windows in use: 15 (inflate, see above), ours (deflate).
  int inflate_window_bits() const noexcept { return inflate_bits_; }
  int deflate_window_bits() const noexcept { return deflate_bits_; }

 private:
  // zlib allocation through these hooks, to count the memory (allocated_bytes()).
  static voidpf alloc(voidpf self, uInt items, uInt size) noexcept {
    const std::size_t n = std::size_t{items} * size;
    auto* p = static_cast<std::max_align_t*>(std::malloc(n + sizeof(std::max_align_t)));
    if (p == nullptr) return Z_NULL;
    *reinterpret_cast<std::size_t*>(p) = n;
    static_cast<deflate_codec*>(self)->allocated_ += n;
    return p + 1;
  }
  static void release(voidpf self, voidpf address) noexcept {
    if (address == Z_NULL) return;
    auto* p = static_cast<std::max_align_t*>(address) - 1;
    static_cast<deflate_codec*>(self)->allocated_ -= *reinterpret_cast<std::size_t*>(p);
    std::free(p);
  }
  void init_stream(z_stream& s) noexcept {
    std::memset(&s, 0, sizeof s);
    s.zalloc = &deflate_codec::alloc;
    s.zfree = &deflate_codec::release;
    s.opaque = this;
  }

  bool start_inflate() noexcept {
    init_stream(in_);
    // Raw DEFLATE (negative windowBits): RFC 7692 §7.2 uses no zlib header or trailer.
    in_ready_ = inflateInit2(&in_, -inflate_bits_) == Z_OK;
    return in_ready_;
  }
  bool start_deflate() noexcept {
    init_stream(out_);
    out_ready_ = deflateInit2(&out_, opts_.level, Z_DEFLATED, -deflate_bits_, opts_.mem_level,
                              Z_DEFAULT_STRATEGY) == Z_OK;
    return out_ready_;
  }

  /// One inflate(Z_SYNC_FLUSH) over `in` into `out` (chunked to zlib's 32-bit counts); false on
  /// corrupt data. Sets ended_ (and restarts the stream) at the end of a BFINAL block.
  bool run_inflate(bytes_view in, mutable_bytes_view out, std::size_t& consumed,
                   std::size_t& produced) noexcept {
    consumed = 0;
    produced = 0;
    for (;;) {
      const auto in_take = static_cast<uInt>(std::min<std::size_t>(in.size() - consumed, UINT_MAX));
      const auto out_take =
          static_cast<uInt>(std::min<std::size_t>(out.size() - produced, UINT_MAX));
      in_.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(in.data() + consumed));
      in_.avail_in = in_take;
      in_.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      in_.avail_out = out_take;
      const int rc = inflate(&in_, Z_SYNC_FLUSH);
      consumed += in_take - in_.avail_in;
      produced += out_take - in_.avail_out;
      if (rc == Z_STREAM_END) {
        // RFC 7692 §7.2.3.4: a sender may end with a BFINAL block; what follows (the 0x00 the
        // RFC shows, the appended tail) starts a new stream, without the old window.
        ended_ = true;
        inflateReset(&in_);
        if (consumed == in.size() || produced == out.size()) return true;
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) return false;  // Z_DATA_ERROR, Z_NEED_DICT, memory
      if (consumed == in.size() || produced == out.size() ||
          (in_take == in_.avail_in && out_take == in_.avail_out))
        return true;
    }
  }

  void end_message() noexcept {
    tail_fed_ = 0;
    in_message_ = false;
    // A stream that ended (BFINAL) cannot continue; without context takeover the peer starts
    // the next message from an empty window anyway (RFC 7692 §7.1.1), so the window may go.
    if (ended_ || inflate_resets_) {
      if (inflate_resets_ && opts_.release_between_messages) {
        inflateEnd(&in_);
        in_ready_ = false;
      } else {
        inflateReset(&in_);
      }
    }
    ended_ = false;
  }

  deflate_codec_options opts_;
  int inflate_bits_;
  int deflate_bits_;
  bool inflate_resets_;
  bool deflate_resets_;
  z_stream in_{};
  z_stream out_{};
  bool in_ready_ = false;
  bool out_ready_ = false;
  bool ended_ = false;
  bool in_message_ = false;  // decompress() has seen bytes of the current message
  std::size_t tail_fed_ = 0;
  std::size_t allocated_ = 0;
};

/// The codec for `params` as seen from role `r`, ready for connection's constructor.
inline std::unique_ptr<compression> make_deflate_codec(const deflate_params& params, role r,
                                                       const deflate_codec_options& opts = {}) {
  return std::make_unique<deflate_codec>(params, r, opts);
}

}  // namespace rtwire::ws
