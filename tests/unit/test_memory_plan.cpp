// The memory plan against arithmetic done here from the spec (gemma4.md §9 and the
// presets' dimensions), not from the code's own output: E2B and E4B KV bytes at 128K
// for every KV type, and `edgelm mem --json` / `run --mem` on a tiny file.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "models/gemma4/gemma4_memory.h"
#include "models/gemma4/gemma4_model.h"
#include "runtime/memory_plan.h"
#include "synth_support.h"
#include "test_support.h"

namespace edgelm {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

MemoryPlan kv_plan(const std::string& preset, uint32_t n_ctx, uint32_t n_ubatch, TensorType k, TensorType v,
                   KvPolicy policy = KvPolicy::none) {
  const Gemma4Config c = gemma4_preset(preset).config;
  KvCache cache(gemma4_kv_layout(c, n_ctx, n_ubatch), n_ctx, n_ubatch);
  KvCacheOptions o;
  o.k_type = k;
  o.v_type = v;
  o.policy.policy = policy;
  cache.configure(o);
  MemoryPlan plan;
  plan_kv_memory(cache, plan);
  return plan;
}

// Bytes of one K or V row of `dims` elements: f16/bf16 2 per element; q8_0 34 and
// q4_0 18 per block of 32.
uint64_t row(TensorType t, uint64_t dims) {
  switch (t) {
    case TensorType::Q8_0: return dims / 32 * 34;
    case TensorType::Q4_0: return dims / 32 * 18;
    default: return dims * 2;
  }
}

// E2B (spec §9): 3 full layers own KV (4, 9, 14), 1 KV head x 512 dims, K + V, f16:
// 2 KiB per token per layer -> 768 MiB at 131072. 12 sliding layers own KV, 256 dims;
// their ring holds the window (512) plus a micro-batch, rounded up to 256 cells.
TEST(MemoryPlan, E2bKvBytesFollowTheSpec) {
  const MemoryPlan f16 = kv_plan("e2b", 131072, 512, TensorType::F16, TensorType::F16);
  EXPECT_EQ(f16.kv.full, 768 * kMiB);
  EXPECT_EQ(f16.kv.sliding, 12ull * 1024 * 256 * 2 * 2);  // 12 MiB (the spec's 6 MiB is 512 cells: no micro-batch room)
  EXPECT_EQ(f16.kv.sliding, 12 * kMiB);
  // Micro-batches of one token: 512 + 1 -> 768 cells.
  EXPECT_EQ(kv_plan("e2b", 131072, 1, TensorType::F16, TensorType::F16).kv.sliding, 9 * kMiB);
  for (TensorType k : {TensorType::F16, TensorType::BF16, TensorType::Q8_0, TensorType::Q4_0}) {
    for (TensorType v : {TensorType::F16, TensorType::Q8_0, TensorType::Q4_0}) {
      const MemoryPlan p = kv_plan("e2b", 131072, 512, k, v);
      EXPECT_EQ(p.kv.full, 3ull * 131072 * (row(k, 512) + row(v, 512))) << type_name(k) << "/" << type_name(v);
      EXPECT_EQ(p.kv.sliding, 12ull * 1024 * (row(k, 256) + row(v, 256))) << type_name(k) << "/" << type_name(v);
    }
  }
  // q8_0: 34/64 of f16 = 53 % (spec §9): 408 MiB.
  EXPECT_EQ(kv_plan("e2b", 131072, 512, TensorType::Q8_0, TensorType::Q8_0).kv.full, 408 * kMiB);
  // A short context: full layers scale with it, rings stop at the context.
  const MemoryPlan small = kv_plan("e2b", 4096, 512, TensorType::F16, TensorType::F16);
  EXPECT_EQ(small.kv.full, 3ull * 4096 * 2048);
  const MemoryPlan tiny_ctx = kv_plan("e2b", 256, 512, TensorType::F16, TensorType::F16);
  EXPECT_EQ(tiny_ctx.kv.sliding, 12ull * 256 * 1024);
  // ... unless an evicting policy lets the sequence run past it: then the ring holds
  // its window behind a micro-batch again, the policy's largest: 256 - 4 sinks - 32
  // recent = 220; 512 + 220 -> 768 cells.
  const MemoryPlan evicting = kv_plan("e2b", 256, 512, TensorType::F16, TensorType::F16, KvPolicy::window);
  EXPECT_EQ(evicting.kv.sliding, 12ull * 768 * 1024);
  // Positions per cell (4 bytes), plus a score per full-layer cell with the attention policy.
  EXPECT_EQ(f16.kv_metadata, (3ull * 131072 + 12ull * 1024) * 4);
  EXPECT_EQ(kv_plan("e2b", 131072, 512, TensorType::F16, TensorType::F16, KvPolicy::attention).kv_metadata,
            (3ull * 131072 * 2 + 12ull * 1024) * 4);
}

// E4B (spec §9): 4 full layers own KV with 2 KV heads: 16 KiB per token -> 2 GiB at
// 131072; 20 sliding layers with 2 heads of 256 dims.
TEST(MemoryPlan, E4bKvBytesFollowTheSpec) {
  const MemoryPlan p = kv_plan("e4b", 131072, 512, TensorType::F16, TensorType::F16);
  EXPECT_EQ(p.kv.full, 2048 * kMiB);
  EXPECT_EQ(p.kv.sliding, 20ull * 1024 * 2 * 256 * 2 * 2);  // 40 MiB
}

class MemoryCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    test::synth_tiny_gemma4(*dir_, 42);
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model() { return dir_->file("tiny.gguf"); }

  static std::string run(const std::string& args, int* status = nullptr) {
    const std::string cmd = std::string(EDGELM_BINARY) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    const int rc = pclose(p);
    if (status) *status = WEXITSTATUS(rc);
    return out;
  }
  static test::TempDir* dir_;
};
test::TempDir* MemoryCliTest::dir_ = nullptr;

// tiny: full layers 2 and 5 own KV (1 head x 128 dims), sliding layers 0, 1, 3, 4 (2
// heads x 64 dims); at --ctx 4096 -u 512 the rings have 32 + 512 -> 768 cells.
TEST_F(MemoryCliTest, MemJsonGivesThePlan) {
  int status = 0;
  const std::string out = run("mem -m " + model() + " --ctx 4096 -u 512 -t 2 --kv-type q8_0 --kv-type-v f16 --json",
                              &status);
  ASSERT_EQ(status, 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["kv_bytes_full"].get<uint64_t>(), 2ull * 4096 * (row(TensorType::Q8_0, 128) + 128 * 2));
  EXPECT_EQ(j["kv_bytes_sliding"].get<uint64_t>(), 4ull * 768 * 2 * (row(TensorType::Q8_0, 64) + 64 * 2));
  EXPECT_EQ(j["kv_type_k"], "q8_0");
  EXPECT_EQ(j["kv_type_v"], "f16");
  EXPECT_EQ(j["kv_layers_shared"], 2);
  EXPECT_GT(j["weights_resident_bytes"].get<uint64_t>(), 0u);
  EXPECT_LT(j["weights_resident_bytes"].get<uint64_t>(), j["weights_mapped_bytes"].get<uint64_t>());
  EXPECT_GT(j["scratch_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["total_bytes"].get<uint64_t>(),
            j["weights_resident_bytes"].get<uint64_t>() + j["kv_bytes_full"].get<uint64_t>() +
                j["kv_bytes_sliding"].get<uint64_t>() + j["kv_metadata_bytes"].get<uint64_t>() +
                j["scratch_bytes"].get<uint64_t>());
  // The scratch does not depend on how long a prompt will be, only on the micro-batch.
  const auto small = nlohmann::json::parse(run("mem -m " + model() + " --ctx 4096 -u 64 -t 2 --json"));
  EXPECT_LT(small["scratch_bytes"].get<uint64_t>(), j["scratch_bytes"].get<uint64_t>());
}

TEST_F(MemoryCliTest, RunMemReportsWhatWasUsed) {
  int status = 0;
  const std::string out =
      run("run -m " + model() + " --prompt-ids '1 5 9 13' -n 300 --ctx 128 -t 2 --kv-policy window --mem", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("memory: weights"), std::string::npos) << out;
  EXPECT_NE(out.find("KV cache f16/f16"), std::string::npos) << out;
  EXPECT_NE(out.find("303 positions"), std::string::npos) << out;  // 4 prompt + 299 evaluated
  EXPECT_EQ(out.find(" 0 evictions"), std::string::npos) << out;
}

}  // namespace
}  // namespace edgelm
