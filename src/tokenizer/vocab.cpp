#include "tokenizer/vocab.h"

namespace edgelm {

uint8_t attr_from_token_type(int64_t type) {
  switch (type) {
    case 1: return kAttrNormal;
    case 2: return kAttrUnknown;
    case 3: return kAttrControl;
    case 4: return kAttrUserDefined;
    case 5: return kAttrUnused;
    case 6: return kAttrByte;
    default: return kAttrUndefined;
  }
}

void Vocab::build_index() { index_.build(texts); }

}  // namespace edgelm
