#pragma once
// The model work of one scheduler step, for all busy slots together: each evaluates
// the tokens the plan gave it (Slot::planned(): a chunk of its prompt, or the one
// token it sampled last step), leaving the logits of its last token in its generator.
//
// Continuous batching: the slots' text tokens go through the model in one forward
// pass (Generator::evaluate_pending_together), so each weight byte is read once per
// step for all of them, and each token attends over its own slot's KV cache at its
// own position. An image is evaluated on its own. A slot whose evaluation fails is
// ended with the error; the others go on.
#include <span>

namespace edgelm::server {

class Slot;

void decode_step(std::span<Slot* const> slots);

}  // namespace edgelm::server
