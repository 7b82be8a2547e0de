#!/usr/bin/env bash
# `edgelm chat` driven through tmux the way a person uses it: type a message, read the
# screen, Ctrl-C a long answer, /reset, /exit. Usage: chat_tmux.sh EDGELM_BINARY WORKDIR
# The model is a synthetic tiny Gemma 4 with the real Gemma 4 vocabulary and template
# (random weights: the answers are gibberish; what is checked is the behaviour).
set -euo pipefail
bin="$1"; work="$2"
mkdir -p "$work"
model="$work/chat-tiny.gguf"
[ -f "$model" ] || "$bin" synth --preset tiny --quant q4_0 -o "$model" >/dev/null
session="edgelm-chat-test-$$"
screen() { tmux capture-pane -p -t "$session" -S -200; }
fail() {
  echo "FAIL: $*" >&2
  echo "----- screen -----" >&2
  screen >&2 || true
  tmux kill-session -t "$session" 2>/dev/null || true
  exit 1
}
# Waits until the screen matches the extended regex $1 (at most $2 seconds).
wait_for() {
  local pattern="$1" limit="${2:-60}" i=0
  while ! screen | grep -Eq -- "$pattern"; do
    i=$((i + 1)); [ "$i" -le $((limit * 5)) ] || fail "timed out waiting for /$pattern/"
    sleep 0.2
  done
}
count() { screen | grep -Ec -- "$1" || true; }
# Waits until $1 matches on at least $2 lines (at most $3 seconds).
wait_count() {
  local i=0
  while [ "$(count "$1")" -lt "$2" ]; do
    i=$((i + 1)); [ "$i" -le $(($3 * 5)) ] || fail "timed out waiting for $2 lines matching /$1/"
    sleep 0.2
  done
}

tmux kill-session -t "$session" 2>/dev/null || true
# -n -1: answers run until the model ends its turn or the context fills (a long time
# for random weights), so Ctrl-C has something to stop; --temp 0 keeps it repeatable.
tmux new-session -d -s "$session" -x 160 -y 50 \
  "$bin chat -m $model -t 2 -c 2048 --temp 0 -n 12 --verbose --system 'You are terse.'; echo CHAT-EXITED status=\$?; sleep 30"
wait_for '^>' 60
screen | grep -q 'edgelm chat' || fail "no banner"

# Turn 1: an answer of at most 12 tokens, its speed line (--verbose), the prompt again.
tmux send-keys -t "$session" "Hello there" Enter
wait_count 'reused tokens' 1 120
wait_count '^>' 2 10
# Turn 2 reuses the first turn's KV cache (the prompt prefix).
tmux send-keys -t "$session" "And again?" Enter
wait_count 'reused tokens' 2 120
reused=$(screen | grep -Eo '\+ [0-9]+ reused' | tail -1 | grep -Eo '[0-9]+')
[ "${reused:-0}" -gt 0 ] || fail "turn 2 did not reuse the cache (reused=${reused:-none})"
screen | grep -q 'Hello there' || fail "the typed message is not on the screen"

# /reset clears the history: the next turn reuses only the system prompt's prefix.
tmux send-keys -t "$session" "/reset" Enter
wait_for '\(conversation cleared\)' 10

# Ctrl-C at the prompt does not quit.
tmux send-keys -t "$session" C-c
wait_for 'type /exit or press Ctrl-D to quit' 10

tmux send-keys -t "$session" "/exit" Enter
wait_for 'CHAT-EXITED status=0' 20
tmux kill-session -t "$session"

# Ctrl-C during a long answer stops the answer, not the program.
tmux new-session -d -s "$session" -x 160 -y 50 \
  "$bin chat -m $model -t 2 -c 4096 --temp 0 -n -1; echo CHAT-EXITED status=\$?; sleep 30"
wait_for '^>' 60
tmux send-keys -t "$session" "Tell me a long story" Enter
sleep 3
tmux send-keys -t "$session" C-c
wait_for '\[stopped\]' 20
wait_for '^>$' 10
screen | grep -q CHAT-EXITED && fail "Ctrl-C ended the program"
tmux send-keys -t "$session" "/exit" Enter
wait_for 'CHAT-EXITED status=0' 20
tmux kill-session -t "$session"
echo "chat through tmux: ok"
