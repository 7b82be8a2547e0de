#pragma once
// Which tokens each busy slot evaluates in one scheduler step, and which idle slot
// takes a new request. Pure functions, so the policies are tested on their own.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace edgelm::server {

// `pending[i]`: tokens slot i has not evaluated yet, slots in the order they took
// their requests. A slot with one pending token (the one it sampled last step) always
// evaluates it: decoding slots never wait. Slots with a prompt to evaluate take
// chunks of up to `n_ubatch` tokens, first come first served, while the step's budget
// of `n_batch` tokens (decode tokens included) lasts; the first of them always gets a
// chunk, so every prompt progresses and no slot starves. Returns the tokens per slot.
std::vector<uint32_t> plan_step(std::span<const size_t> pending, uint32_t n_ubatch, uint32_t n_batch);

struct SlotCandidate {
  bool idle = false;
  size_t shared_prefix = 0;  // leading prompt tokens the slot's sequence holds
  size_t cached_tokens = 0;  // tokens the slot's sequence holds
  uint64_t last_started = 0; // 0: never used
};

// The idle slot for a new request. A slot the request continues (the same
// conversation's earlier turn: the shared prefix is at least half of what the slot
// holds) is preferred, the longest shared prefix first; otherwise the slot unused for
// longest is taken, so that a request sharing only the chat template's first tokens
// does not overwrite another conversation's cache while an older one is there. Ties go
// to the slot used longer ago. Returns -1 when no slot is idle.
int choose_slot(std::span<const SlotCandidate> slots);

}  // namespace edgelm::server
