#include "kernels/cpu_features.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>

#include "util/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace edgelm {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// XCR0: which register files the OS saves on a context switch. A CPU may have AVX-512
// while the OS (or hypervisor) leaves it off; then using it would fault.
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return static_cast<uint64_t>(edx) << 32 | eax;
}

CpuFeatures probe() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;     // SSE + AVX state
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;   // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!os_ymm) return f;
  f.fma = (c >> 12) & 1;
  f.f16c = (c >> 29) & 1;
  unsigned max_leaf = 0;
  __get_cpuid(0, &max_leaf, &b, &c, &d);
  if (max_leaf < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  f.avx2 = (b >> 5) & 1;
  if (os_zmm) {
    f.avx512f = (b >> 16) & 1;
    f.avx512bw = (b >> 30) & 1;
    f.avx512vl = (b >> 31) & 1;
    f.avx512vnni = (c >> 11) & 1;
  }
  const unsigned subleaves = a;
  if (subleaves >= 1) {
    __cpuid_count(7, 1, a, b, c, d);
    f.avx_vnni = (a >> 4) & 1;
    f.avx512bf16 = os_zmm && ((a >> 5) & 1);
  }
  return f;
}
#else
CpuFeatures probe() { return {}; }
#endif

CpuLevel level_from_environment() {
  const char* env = std::getenv("EDGELM_CPU");
  if (env == nullptr || *env == '\0' || std::string_view(env) == "auto") return cpu_features().best_level();
  const CpuLevel level = parse_cpu_level(env);
  if (!cpu_features().supports(level)) {
    fail("EDGELM_CPU={}: this CPU lacks it (it has: {})", env, cpu_features().names());
  }
  return level;
}

std::atomic<int> g_level{-1};
std::mutex g_level_mutex;

}  // namespace

bool CpuFeatures::supports(CpuLevel level) const {
  switch (level) {
    case CpuLevel::kScalar: return true;
    case CpuLevel::kAvx2: return avx2 && fma && f16c;
    case CpuLevel::kAvx512: return supports(CpuLevel::kAvx2) && avx512f && avx512bw && avx512vl && avx512vnni;
  }
  return false;
}

CpuLevel CpuFeatures::best_level() const {
  for (CpuLevel l : {CpuLevel::kAvx512, CpuLevel::kAvx2}) {
    if (supports(l)) return l;
  }
  return CpuLevel::kScalar;
}

std::string CpuFeatures::names() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(avx2, "avx2");
  add(fma, "fma");
  add(f16c, "f16c");
  add(avx_vnni, "avx-vnni");
  add(avx512f, "avx512f");
  add(avx512bw, "avx512bw");
  add(avx512vl, "avx512vl");
  add(avx512vnni, "avx512vnni");
  add(avx512bf16, "avx512bf16");
  return s.empty() ? "none" : s;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = probe();
  return features;
}

CpuLevel cpu_level() {
  const int cached = g_level.load(std::memory_order_acquire);
  if (cached >= 0) return static_cast<CpuLevel>(cached);
  std::lock_guard lock(g_level_mutex);
  if (g_level.load(std::memory_order_relaxed) < 0) {
    g_level.store(static_cast<int>(level_from_environment()), std::memory_order_release);
  }
  return static_cast<CpuLevel>(g_level.load(std::memory_order_relaxed));
}

void set_cpu_level(CpuLevel level) {
  if (!cpu_features().supports(level)) {
    fail("CPU level {} is not supported here (features: {})", cpu_level_name(level), cpu_features().names());
  }
  std::lock_guard lock(g_level_mutex);
  g_level.store(static_cast<int>(level), std::memory_order_release);
}

std::string_view cpu_level_name(CpuLevel level) {
  switch (level) {
    case CpuLevel::kScalar: return "scalar";
    case CpuLevel::kAvx2: return "avx2";
    case CpuLevel::kAvx512: return "avx512";
  }
  return "?";
}

CpuLevel parse_cpu_level(std::string_view name) {
  for (CpuLevel l : {CpuLevel::kScalar, CpuLevel::kAvx2, CpuLevel::kAvx512}) {
    if (name == cpu_level_name(l)) return l;
  }
  fail("unknown CPU level '{}' (expected scalar, avx2 or avx512)", printable(name));
}

std::string cpu_kernels_description() {
  return fmt::format("{} ({})", cpu_level_name(cpu_level()), cpu_features().names());
}

}  // namespace edgelm
