#pragma once
// The model work of one scheduler step, for all busy slots together: each evaluates
// the tokens the plan gave it (Slot::planned(): a chunk of its prompt, or the one
// token it sampled last step), leaving the logits of its last token in its generator.
//
// This is where continuous batching plugs in. Today the body evaluates the slots one
// after another, one forward pass each. A batched forward pass (one pass over every
// slot's tokens at once, each token with its own slot's KV cache and position, the
// weights read once for all of them) replaces that loop; the scheduler, the plan and
// the slots do not change. A slot whose evaluation fails is ended with the error; the
// others go on.
#include <span>

namespace edgelm::server {

class Slot;

void decode_step(std::span<Slot* const> slots);

}  // namespace edgelm::server
