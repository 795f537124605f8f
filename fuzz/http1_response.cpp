// Fuzz target: rtwire::http1::response_parser (see http1_head_fuzz.hpp for the invariants).
#include <cstddef>
#include <cstdint>

#include "http1_head_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return rtwire_fuzz::fuzz_head_parser<rtwire::http1::response_parser>(data, size);
}
