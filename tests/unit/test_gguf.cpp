// GGUF reader and writer: round trips of every value type, typed accessors, the
// shared vocab files, and robustness against truncated and corrupted input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "test_support.h"
#include "util/error.h"

namespace edgelm {
namespace {

using test::TempDir;

// Writes a small file exercising every metadata type and a few tensors.
std::string write_sample(const TempDir& dir, uint32_t alignment = 32) {
  const std::string path = dir.file("sample.gguf");
  GgufWriter w(path);
  if (alignment != 32) w.set_alignment(alignment);
  w.add_string("general.architecture", "gemma4");
  w.add_u32("gemma4.block_count", 3);
  w.add_i32("test.i32", -7);
  w.add_u64("test.u64", 1ull << 40);
  w.add_f32("test.f32", 0.25f);
  w.add_bool("test.bool", true);
  w.add_string("test.utf8", "h\xc3\xa9llo \xe2\x96\x81");
  const uint32_t ff[] = {10, 20, 30};
  w.add_u32_array("gemma4.feed_forward_length", ff);
  w.add_u32("gemma4.attention.head_count", 8);
  const std::vector<bool> pattern = {true, false, true};
  w.add_bool_array("gemma4.attention.sliding_window_pattern", pattern);
  const float fs[] = {1.5f, -2.0f};
  w.add_f32_array("test.f32s", fs);
  const int32_t is[] = {-1, 0, 1};
  w.add_i32_array("test.i32s", is);
  const std::string_view strs[] = {"a", "", "<bos>"};
  w.add_string_array("test.strings", strs);
  // A nested array (array of arrays of u32), built as a Value.
  Value nested;
  nested.type = ValueType::ARRAY;
  nested.elem_type = ValueType::ARRAY;
  nested.count = 2;
  static const uint32_t inner0[] = {1, 2}, inner1[] = {3};
  for (const auto& [ptr, n] : {std::pair{inner0, 2}, std::pair{inner1, 1}}) {
    Value inner;
    inner.type = ValueType::ARRAY;
    inner.elem_type = ValueType::U32;
    inner.count = static_cast<uint64_t>(n);
    inner.raw = reinterpret_cast<const uint8_t*>(ptr);
    nested.items.push_back(inner);
  }
  w.add_value("test.nested", nested);

  const int64_t d0[] = {4, 2};
  const int64_t d1[] = {64};
  w.add_tensor("a.weight", TensorType::F32, d0);
  w.add_tensor("b.weight", TensorType::Q8_0, d1);
  w.write_header();
  const float a[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  w.write_tensor_data(a, 3 * sizeof(float));  // in two chunks
  w.write_tensor_data(a + 3, 5 * sizeof(float));
  std::vector<uint8_t> b(68);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 7);
  w.write_tensor_data(b.data(), b.size());
  w.finish();
  return path;
}

TEST(Gguf, RoundTripsEveryValueType) {
  TempDir dir;
  const GgufFile f = GgufFile::open(write_sample(dir));
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.architecture(), "gemma4");
  EXPECT_EQ(f.get_u32("gemma4.block_count"), 3u);
  EXPECT_EQ(f.find("test.i32")->i, -7);
  EXPECT_EQ(f.get_u64("test.u64"), 1ull << 40);
  EXPECT_FLOAT_EQ(f.get_f32("test.f32"), 0.25f);
  EXPECT_TRUE(f.get_bool("test.bool"));
  EXPECT_EQ(f.get_string("test.utf8"), "h\xc3\xa9llo \xe2\x96\x81");
  EXPECT_EQ(f.get_f32_array("test.f32s"), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(f.get_int_array("test.i32s"), (std::vector<int64_t>{-1, 0, 1}));
  const auto& strs = f.get_string_array("test.strings");
  ASSERT_EQ(strs.size(), 3u);
  EXPECT_EQ(strs[0], "a");
  EXPECT_EQ(strs[1], "");
  EXPECT_EQ(strs[2], "<bos>");
  const Value* nested = f.find("test.nested");
  ASSERT_NE(nested, nullptr);
  ASSERT_EQ(nested->items.size(), 2u);
  EXPECT_EQ(nested->items[0].element(1).u, 2u);
  EXPECT_EQ(nested->items[1].element(0).u, 3u);
  EXPECT_EQ(f.get_bool_array("gemma4.attention.sliding_window_pattern"), (std::vector<bool>{true, false, true}));
}

TEST(Gguf, TensorInfosAndDataAreExact) {
  TempDir dir;
  const GgufFile f = GgufFile::open(write_sample(dir));
  ASSERT_EQ(f.tensors().size(), 2u);
  const TensorInfo& a = f.tensor("a.weight");
  EXPECT_EQ(a.n_dims, 2u);
  EXPECT_EQ(a.ne[0], 4);
  EXPECT_EQ(a.ne[1], 2);
  EXPECT_EQ(a.n_bytes, 32u);
  EXPECT_EQ(a.offset % f.alignment(), 0u);
  EXPECT_EQ(f.data_offset() % f.alignment(), 0u);
  float back[8];
  std::memcpy(back, a.data, sizeof back);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(back[i], static_cast<float>(i));
  const TensorInfo& b = f.tensor("b.weight");
  EXPECT_EQ(b.type, TensorType::Q8_0);
  EXPECT_EQ(b.n_bytes, 68u);  // 2 blocks of 34 bytes
  for (size_t i = 0; i < 68; ++i) EXPECT_EQ(b.data[i], static_cast<uint8_t>(i * 7));
  EXPECT_EQ(b.shape_string(), "[64]");
}

TEST(Gguf, HonoursCustomAlignment) {
  TempDir dir;
  const GgufFile f = GgufFile::open(write_sample(dir, 64));
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.data_offset() % 64, 0u);
  for (const auto& t : f.tensors()) EXPECT_EQ(t.offset % 64, 0u);
}

TEST(Gguf, PerLayerAccessorReadsScalarAndArrayForms) {
  TempDir dir;
  const GgufFile f = GgufFile::open(write_sample(dir));
  EXPECT_EQ(f.get_u32_per_layer("gemma4.feed_forward_length", 3), (std::vector<uint32_t>{10, 20, 30}));
  EXPECT_EQ(f.get_u32_per_layer("gemma4.attention.head_count", 3), (std::vector<uint32_t>{8, 8, 8}));
  try {
    f.get_u32_per_layer("gemma4.feed_forward_length", 4);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'gemma4.feed_forward_length' has 3 entries but the model has 4 layers"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(f.get_u32_per_layer_opt("gemma4.missing", 3).has_value());
}

TEST(Gguf, AccessorErrorsNameTheKey) {
  TempDir dir;
  const GgufFile f = GgufFile::open(write_sample(dir));
  auto message = [&](auto&& call) -> std::string {
    try {
      call();
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message([&] { f.get_u32("nope"); }).find("missing metadata key 'nope'"), std::string::npos);
  EXPECT_NE(message([&] { f.get_u32("test.utf8"); }).find("'test.utf8' has type string, expected an integer"),
            std::string::npos);
  EXPECT_NE(message([&] { f.get_u32("test.i32"); }).find("out of range"), std::string::npos);
  EXPECT_NE(message([&] { f.get_string("test.f32s"); }).find("array of f32"), std::string::npos);
  EXPECT_NE(message([&] { f.tensor("c.weight"); }).find("missing tensor 'c.weight'"), std::string::npos);
  EXPECT_EQ(f.get_u32_or("nope", 5), 5u);
}

TEST(Gguf, ReadsTheSharedVocabFiles) {
  const auto vocab_dir = test::shared_testdata() / "vocab";
  for (const char* name : {"ggml-vocab-gemma-4.gguf", "ggml-vocab-llama-bpe.gguf", "ggml-vocab-llama-spm.gguf"}) {
    SCOPED_TRACE(name);
    const GgufFile f = GgufFile::open((vocab_dir / name).string());
    const auto& tokens = f.get_string_array("tokenizer.ggml.tokens");
    EXPECT_GT(tokens.size(), 1000u);
    EXPECT_TRUE(f.tensors().empty());
    // Every token's type and score arrays line up with the token list.
    if (f.has("tokenizer.ggml.token_type")) {
      EXPECT_EQ(f.find("tokenizer.ggml.token_type")->count, tokens.size());
    }
  }
  // Spec §7: Gemma 4's <bos> is id 2 and <eos> id 1.
  const GgufFile g = GgufFile::open((vocab_dir / "ggml-vocab-gemma-4.gguf").string());
  const auto& tokens = g.get_string_array("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens[2], "<bos>");
  EXPECT_EQ(tokens[1], "<eos>");
  EXPECT_EQ(g.get_string("tokenizer.ggml.model"), "gemma4");
}

TEST(Gguf, WriterCopiesValuesFromAnotherFileExactly) {
  TempDir dir;
  const GgufFile src = GgufFile::open(write_sample(dir));
  const std::string copy = dir.file("copy.gguf");
  {
    GgufWriter w(copy);
    for (const KeyValue& kv : src.metadata()) w.add_value(kv.key, kv.value);
    w.finish();
  }
  const GgufFile f = GgufFile::open(copy);
  ASSERT_EQ(f.metadata().size(), src.metadata().size());
  for (size_t k = 0; k < f.metadata().size(); ++k) {
    EXPECT_EQ(f.metadata()[k].key, src.metadata()[k].key);
    EXPECT_EQ(f.metadata()[k].value.to_display(100), src.metadata()[k].value.to_display(100));
  }
}

TEST(Gguf, WriterRefusesIncompleteDataAndLeavesNoFile) {
  TempDir dir;
  const std::string path = dir.file("incomplete.gguf");
  {
    GgufWriter w(path);
    const int64_t dims[] = {8};
    w.add_tensor("t", TensorType::F32, dims);
    w.write_header();
    const float x[4] = {};
    w.write_tensor_data(x, sizeof x);
    EXPECT_THROW(w.finish(), Error);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
}

TEST(Gguf, WriterRejectsBadDeclarations) {
  TempDir dir;
  GgufWriter w(dir.file("bad.gguf"));
  const int64_t odd[] = {33};
  EXPECT_THROW(w.add_tensor("q", TensorType::Q4_0, odd), Error);  // not a multiple of 32
  w.add_u32("k", 1);
  EXPECT_THROW(w.add_u32("k", 2), Error);  // duplicate key
  const int64_t ok[] = {32};
  w.add_tensor("q", TensorType::Q4_0, ok);
  EXPECT_THROW(w.add_tensor("q", TensorType::Q4_0, ok), Error);  // duplicate tensor
}

// Every prefix of a valid file that cuts into the header or the tensor data is refused
// with an Error, never a crash. (Only the trailing alignment padding may be missing.)
TEST(Gguf, EveryTruncationIsAnError) {
  TempDir dir;
  const auto bytes = test::read_bytes(write_sample(dir));
  const GgufFile whole = GgufFile::parse(bytes.data(), bytes.size(), "whole");
  uint64_t data_end = 0;
  for (const auto& t : whole.tensors()) data_end = std::max(data_end, whole.data_offset() + t.offset + t.n_bytes);
  ASSERT_LT(data_end, bytes.size());  // the sample ends with padding
  for (size_t n = 0; n < data_end; ++n) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_THROW(GgufFile::parse(prefix.data(), prefix.size(), "prefix"), Error) << "prefix length " << n;
  }
  EXPECT_NO_THROW(GgufFile::parse(bytes.data(), data_end, "without final padding"));
}

// Random byte corruption either parses or throws Error (ASan/UBSan builds check
// that nothing reads outside the buffer).
TEST(Gguf, RandomCorruptionNeverCrashes) {
  TempDir dir;
  const auto bytes = test::read_bytes(write_sample(dir));
  std::mt19937 rng(1234);
  int refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    auto copy = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) copy[rng() % copy.size()] = static_cast<uint8_t>(rng());
    try {
      const GgufFile f = GgufFile::parse(copy.data(), copy.size(), "corrupt");
      for (const auto& t : f.tensors()) {
        ASSERT_LE(t.data + t.n_bytes, copy.data() + copy.size());
        ASSERT_GE(t.data, copy.data());
      }
    } catch (const Error& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "messages are one line";
    }
  }
  EXPECT_GT(refused, 100);  // corruption of the header region must be noticed
}

}  // namespace
}  // namespace edgelm
