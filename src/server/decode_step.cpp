#include "server/decode_step.h"

#include <string>
#include <vector>

#include "server/slot.h"

namespace edgelm::server {

void decode_step(std::span<Slot* const> slots) {
  std::vector<Slot*> stepping;
  std::vector<Generator*> generators;
  std::vector<size_t> planned;
  for (Slot* slot : slots) {
    if (slot->planned() == 0) continue;
    stepping.push_back(slot);
    generators.push_back(&slot->generator());
    planned.push_back(slot->planned());
    slot->set_planned(0);
  }
  const std::vector<std::string> errors = Generator::evaluate_pending_together(generators, planned);
  for (size_t i = 0; i < stepping.size(); ++i) {
    if (!errors[i].empty()) stepping[i]->abort(Finish::error, errors[i]);
  }
}

}  // namespace edgelm::server
