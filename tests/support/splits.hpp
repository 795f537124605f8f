// Split-invariance helpers (DESIGN.md §1.5): every parser test runs its input whole, byte by
// byte, and split in two at every point. Each function calls `run(chunks)` with the chunks to
// feed in order, and a label that says which split it is (for Catch2's INFO).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rtwire::test {

struct split {
  std::string label;
  std::vector<std::string_view> chunks;
};

/// Whole, byte by byte, and every two-way split (`input.size() + 3` splits in all, fewer for
/// empty input). Views point into `input`.
inline std::vector<split> all_splits(std::string_view input) {
  std::vector<split> out;
  out.push_back({"whole", {input}});
  split bytes{"byte by byte", {}};
  for (std::size_t i = 0; i < input.size(); ++i)
    bytes.chunks.push_back(input.substr(i, 1));
  out.push_back(std::move(bytes));
  for (std::size_t at = 0; at <= input.size(); ++at) {
    out.push_back({"split at " + std::to_string(at), {input.substr(0, at), input.substr(at)}});
  }
  return out;
}

}  // namespace rtwire::test
