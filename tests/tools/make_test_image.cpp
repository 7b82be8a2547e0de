// make_test_image OUT FORMAT WIDTH HEIGHT [SEED]: writes a synthetic test image (see
// test_images.h) for tests that need image files, e.g. the llama.cpp parity test.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tools/test_images.h"

int main(int argc, char** argv) {
  if (argc < 5 || argc > 6) {
    std::fprintf(stderr, "usage: %s OUT png|jpeg|bmp|webp WIDTH HEIGHT [SEED]\n", argv[0]);
    return 2;
  }
  const int w = std::atoi(argv[3]), h = std::atoi(argv[4]);
  const auto seed = static_cast<uint32_t>(argc == 6 ? std::strtoul(argv[5], nullptr, 10) : 1);
  if (w <= 0 || h <= 0) {
    std::fprintf(stderr, "bad size %sx%s\n", argv[3], argv[4]);
    return 2;
  }
  try {
    const auto bytes = edgelm::test::encode_image(edgelm::test::synthetic_image(w, h, seed), argv[2]);
    std::ofstream out(argv[1], std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error(std::string("cannot write ") + argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
