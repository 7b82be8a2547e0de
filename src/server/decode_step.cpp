#include "server/decode_step.h"

#include <exception>

#include "server/slot.h"

namespace edgelm::server {

void decode_step(std::span<Slot* const> slots) {
  for (Slot* slot : slots) {
    if (slot->planned() == 0) continue;
    try {
      slot->evaluate_planned();
    } catch (const std::exception& e) {
      slot->abort(Finish::error, e.what());
    }
  }
}

}  // namespace edgelm::server
