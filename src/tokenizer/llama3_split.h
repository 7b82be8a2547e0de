#pragma once
// The Llama 3 pre-tokenizer: splits text into the pieces BPE merges never cross.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace edgelm {

// Splits `cps` into the consecutive matches of Llama 3's pattern
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//    ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// (alternatives tried in order at each position, each greedy) and returns the end
// index of each piece. Contractions are matched for ASCII letters only, as the
// reference runtime does.
std::vector<size_t> split_llama3(std::span<const uint32_t> cps);

}  // namespace edgelm
