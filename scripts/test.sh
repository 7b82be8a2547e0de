#!/usr/bin/env bash
# The whole test suite: unit tests (Release, g++), the same tests under ASan+UBSan
# (clang), the malformed-GGUF corpus, a short libFuzzer run, and the oracle tests
# against llama.cpp (node-llama-cpp, installed into a cache on first use).
#   EDGELM_SKIP_ORACLE=1   skip the llama.cpp oracle tests
#   EDGELM_REQUIRE_ORACLE=1  fail (instead of skipping) when the oracle cannot run (CI sets it)
#   EDGELM_FUZZ_SECONDS=N  fuzz for N seconds (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs="$(nproc)"

echo "== Release build (g++) =="
scripts/build.sh release
echo "== ASan+UBSan build (clang) =="
scripts/build.sh asan

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

labels="unit|corpus|interactive"
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
# The server tests (real OpenAI client, the chat page in Chromium, a load test) need
# Node >= 20 and the pinned clients, installed into a cache on first use.
server_label=""
if [ "$node_major" -ge 20 ]; then
  tests/server/install-clients.sh
  server_label="|server"
else
  echo "** server tests need Node.js >= 20; this machine has ${node_major}." >&2
  [ "${EDGELM_REQUIRE_ORACLE:-0}" = "1" ] && exit 1
fi
if [ "${EDGELM_SKIP_ORACLE:-0}" = "1" ]; then
  echo "** oracle tests skipped (EDGELM_SKIP_ORACLE=1)"
elif [ "$node_major" -lt 20 ]; then
  echo "** oracle tests need Node.js >= 20 (node-llama-cpp); this machine has ${node_major}." >&2
  [ "${EDGELM_REQUIRE_ORACLE:-0}" = "1" ] && exit 1
  echo "** skipping the oracle tests" >&2
else
  tests/oracle/install-oracle.sh
  labels="unit|corpus|interactive|oracle"
fi

echo "== ASan+UBSan: unit tests and malformed corpus =="
ctest --test-dir build-asan -L 'unit|corpus' -j "$jobs" --output-on-failure

echo "== fuzzing the GGUF reader for ${EDGELM_FUZZ_SECONDS:-60} s =="
mkdir -p build-asan/fuzz-corpus
./build-asan/fuzz/fuzz_gguf_reader -max_total_time="${EDGELM_FUZZ_SECONDS:-60}" -max_len=65536 \
  -print_final_stats=1 build-asan/fuzz-corpus tests/corpus/malformed tests/corpus/valid 2>&1 | tail -n 4

echo "== fuzzing the chat-template engine for ${EDGELM_FUZZ_SECONDS:-60} s =="
mkdir -p build-asan/fuzz-corpus-templates
./build-asan/fuzz/fuzz_chat_template -max_total_time="${EDGELM_FUZZ_SECONDS:-60}" -max_len=32768 -timeout=10 \
  -print_final_stats=1 build-asan/fuzz-corpus-templates ../shared/testdata/templates 2>&1 | tail -n 4

echo "== Release: all tests =="
ctest --test-dir build -L "${labels}${server_label}" -j "$jobs" --output-on-failure
