// libFuzzer target for the GGUF reader: any input must either parse or throw
// edgelm::Error; a parsed file's tensors must lie inside the input, and every
// metadata accessor must be safe to call on whatever was parsed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "gguf/gguf_reader.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const edgelm::GgufFile f = edgelm::GgufFile::parse(data, size, "fuzz");
    for (const auto& t : f.tensors()) {
      if (t.data < data || t.data + t.n_bytes > data + size) std::abort();
    }
    for (const auto& kv : f.metadata()) {
      (void)kv.value.to_display();
      try {
        (void)f.get_u32_per_layer(kv.key, 4);
      } catch (const edgelm::Error&) {
      }
    }
  } catch (const edgelm::Error&) {
  }
  return 0;
}
