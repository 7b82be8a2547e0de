// open_model(): the architecture named in the file picks the implementation, and a
// file edgelm cannot run is refused with its name and architecture.
#include <gtest/gtest.h>

#include <string>

#include "gguf/gguf_writer.h"
#include "models/model.h"
#include "synth_support.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

std::string error_of(const std::string& path) {
  try {
    open_model(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(OpenModel, LoadsGemma4ThroughTheInterface) {
  test::TempDir dir;
  const auto model = open_model(test::synth_tiny_gemma4(dir, 42));
  EXPECT_EQ(model->architecture(), "gemma4");
  EXPECT_EQ(model->n_vocab(), 32000u);
  EXPECT_EQ(model->n_layers(), gemma4_preset("tiny").config.n_layers);
  EXPECT_EQ(model->context_length(), gemma4_preset("tiny").config.context_length);
  EXPECT_EQ(model->file().architecture(), "gemma4");
}

TEST(OpenModel, NamesAnUnsupportedArchitecture) {
  test::TempDir dir;
  const std::string path = dir.file("bert.gguf");
  GgufWriter w(path);
  w.add_string("general.architecture", "bert");
  w.write_header();
  w.finish();
  const std::string message = error_of(path);
  EXPECT_NE(message.find("bert.gguf"), std::string::npos) << message;
  EXPECT_NE(message.find("architecture 'bert' is not supported"), std::string::npos) << message;
}

TEST(OpenModel, NamesAFileWithoutArchitecture) {
  test::TempDir dir;
  const std::string path = dir.file("none.gguf");
  GgufWriter w(path);
  w.add_u32("some.key", 1);
  w.write_header();
  w.finish();
  EXPECT_NE(error_of(path).find("architecture '(none)' is not supported"), std::string::npos) << error_of(path);
}

}  // namespace
}  // namespace edgelm
