#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install dependencies, build Release, write
# a synthetic Gemma 4 model with the real Gemma 4 vocabulary and chat template, describe
# it, then generate from it: text through the chat template (streamed), and token ids.
# The weights are random, so the reply is gibberish — the point is the whole pipeline
# (tokenizer, template, forward pass, sampler, detokenizer) running.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
mkdir -p models
./build/bin/edgelm synth --preset tiny --quant q4_0 -o models/gemma4-tiny-q4_0.gguf
./build/bin/edgelm info --no-tensors models/gemma4-tiny-q4_0.gguf
echo "== the prompt the chat template makes of one user turn =="
printf '{"messages":[{"role":"user","content":"Why is the sky blue?"}]}' > models/demo-convo.json
./build/bin/edgelm template -m models/gemma4-tiny-q4_0.gguf --messages models/demo-convo.json
echo
echo "== edgelm run -p 'Why is the sky blue?' -n 24 (streamed text) =="
./build/bin/edgelm run -m models/gemma4-tiny-q4_0.gguf -p "Why is the sky blue?" -n 24 --seed 1
echo "== greedy generation of 16 tokens after <bos> Hello world (ids 2 9259 1902) =="
./build/bin/edgelm run -m models/gemma4-tiny-q4_0.gguf --prompt-ids "2 9259 1902" -n 16 --temp 0 --ids
echo "== try it: ./build/bin/edgelm chat -m models/gemma4-tiny-q4_0.gguf =="
