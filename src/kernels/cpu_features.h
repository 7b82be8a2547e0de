#pragma once
// Which SIMD kernels this process uses. The CPU is probed once (cpuid + xgetbv on x86:
// the OS must also save the wide registers), and the best level whose instructions it
// has is chosen, unless EDGELM_CPU=scalar|avx2|avx512 forces one (tests and
// benchmarks compare levels this way). Every level computes bit-identical results: the
// scalar kernels are the reference the others are tested against.
//
// ARM: only the scalar level exists today; a NEON/dotprod level slots in as one more
// CpuLevel, one more kernel table (kernels/quant_kernels.h) and one more probe here.
#include <string>
#include <string_view>

namespace edgelm {

enum class CpuLevel {
  kScalar,  // portable C++, the reference
  kAvx2,    // AVX2 + FMA + F16C
  kAvx512,  // AVX-512 F/BW/VL + VNNI (plus everything kAvx2 needs)
};

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false;
  bool avx512bf16 = false, avx_vnni = false;  // reported, not used yet

  // The best level these features allow.
  CpuLevel best_level() const;
  bool supports(CpuLevel level) const;
  // "avx2 fma f16c avx512f ..." (the ones present).
  std::string names() const;
};

// The features of the CPU we run on (probed once).
const CpuFeatures& cpu_features();

// The level in use: EDGELM_CPU if set (fails with edgelm::Error when the CPU lacks it or
// the value is unknown), else the best supported one. Decided on first call.
CpuLevel cpu_level();

// Overrides the level for the rest of the process (tests); fails when unsupported.
void set_cpu_level(CpuLevel level);

std::string_view cpu_level_name(CpuLevel level);
// Parses "scalar" / "avx2" / "avx512"; fails on anything else.
CpuLevel parse_cpu_level(std::string_view name);

// One line for stats output: "avx512 (avx2 fma f16c avx512f avx512bw avx512vl avx512vnni ...)".
std::string cpu_kernels_description();

}  // namespace edgelm
