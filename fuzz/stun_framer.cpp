// Fuzz target: the STUN stream framer gives the same frames and the same error (code and
// offset) for the whole input as for the input cut into pieces whose lengths come from the
// input itself, and never consumes more than it is given.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rtwire/stun/framer.hpp"

namespace {

namespace stun = rtwire::stun;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct outcome {
  std::vector<std::string> frames;
  int error = 0;
  std::size_t offset = 0;
  bool operator==(const outcome&) const = default;
};

outcome run(const std::uint8_t* data, std::size_t size, bool pieces) {
  outcome o;
  stun::stream_framer::options opts;
  opts.max_frame_bytes = 4096;
  stun::stream_framer f(opts);
  std::size_t at = 0;
  while (at < size) {
    std::size_t n = pieces ? 1 + data[at] % 37u : size - at;
    if (n > size - at) n = size - at;
    rtwire::bytes_view in(reinterpret_cast<const std::byte*>(data + at), n);
    at += n;
    for (;;) {
      const auto r = f.next(in);
      check(r.consumed <= in.size());
      in = in.subspan(r.consumed);
      if (r.status == stun::stream_framer::status::need_more) {
        check(in.empty());
        break;
      }
      if (r.status == stun::stream_framer::status::failed) {
        o.error = f.error().code.value();
        o.offset = f.error().offset;
        return o;
      }
      o.frames.emplace_back(reinterpret_cast<const char*>(r.frame.data()), r.frame.size());
      o.frames.back() += r.kind == stun::frame_kind::stun ? 'S' : 'C';
    }
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(run(data, size, false) == run(data, size, true));
  return 0;
}
