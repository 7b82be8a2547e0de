#include "tokenizer/llama3_split.h"

#include "tokenizer/unicode_class.h"

namespace edgelm {

namespace {

uint32_t ascii_lower(uint32_t cp) { return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp; }

// Length of a contraction ('s 't 'm 'd 're 've 'll, any case) at `pos`, or 0.
size_t contraction_length(std::span<const uint32_t> cps, size_t pos) {
  const size_t n = cps.size();
  if (cps[pos] != '\'' || pos + 1 >= n) return 0;
  const uint32_t c1 = ascii_lower(cps[pos + 1]);
  if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
  if (pos + 2 >= n) return 0;
  const uint32_t c2 = ascii_lower(cps[pos + 2]);
  if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
  return 0;
}

}  // namespace

std::vector<size_t> split_llama3(std::span<const uint32_t> cps) {
  const size_t n = cps.size();
  std::vector<CharClass> cls(n);
  for (size_t i = 0; i < n; ++i) cls[i] = classify(cps[i]);

  // Past the end every predicate is false, which is how the pattern sees the end.
  auto letter = [&](size_t i) { return i < n && cls[i].letter; };
  auto number = [&](size_t i) { return i < n && cls[i].number; };
  auto space = [&](size_t i) { return i < n && cls[i].whitespace; };
  auto line_break = [&](size_t i) { return i < n && (cps[i] == '\r' || cps[i] == '\n'); };
  auto other = [&](size_t i) { return i < n && !cls[i].whitespace && !cls[i].letter && !cls[i].number; };

  std::vector<size_t> ends;
  ends.reserve(n / 3 + 1);
  size_t pos = 0;
  while (pos < n) {
    size_t end = pos;
    if (const size_t len = contraction_length(cps, pos); len > 0) {
      end = pos + len;
    } else if (!line_break(pos) && !number(pos) && (letter(pos) || letter(pos + 1))) {
      // [^\r\n\p{L}\p{N}]?\p{L}+ : one optional non-letter prefix, then letters.
      end = pos + 1;
      while (letter(end)) ++end;
    } else if (number(pos)) {
      while (number(end) && end - pos < 3) ++end;
    } else if (const size_t start = pos + (cps[pos] == ' ' ? 1 : 0); other(start)) {
      // " ?[^\s\p{L}\p{N}]+[\r\n]*"
      end = start;
      while (other(end)) ++end;
      while (line_break(end)) ++end;
    } else {
      size_t run_end = pos;
      size_t after_last_break = 0;
      while (space(run_end)) {
        if (line_break(run_end)) after_last_break = run_end + 1;
        ++run_end;
      }
      if (after_last_break > 0) {
        end = after_last_break;  // \s*[\r\n]+
      } else if (run_end - pos > 1 && run_end < n) {
        end = run_end - 1;  // \s+(?!\S): leave the last space to prefix the next word
      } else if (run_end > pos) {
        end = run_end;  // \s+
      } else {
        end = pos + 1;  // nothing matches: the character stands alone
      }
    }
    ends.push_back(end);
    pos = end;
  }
  return ends;
}

}  // namespace edgelm
