#!/usr/bin/env bash
# Runs `edgelm info` on every file of the GGUF robustness corpus.
#
#   bash tests/corpus/check_corpus.sh EDGELM_BINARY CORPUS_ROOT
#
# malformed/*.gguf: exit code 1, and stderr is exactly one line that starts with
#   "error: ", names the file, holds no raw control bytes, and contains the fragment
#   CORPUS_ROOT/expected_errors.tsv lists for the file (when it lists one). No crash,
#   no timeout, no sanitizer report, no "terminate called".
# valid/*.gguf: exit code 0, empty stderr, and stdout free of raw control bytes
#   (C0 other than newline, DEL, C1) and of invalid UTF-8.
# Prints one line per file and ends with "N passed, M failed"; exits 1 if any failed.
set -u

if [[ $# -ne 2 ]]; then
  echo "usage: $0 EDGELM_BINARY CORPUS_ROOT" >&2
  exit 2
fi
bin=$1
root=${2%/}
if [[ ! -x $bin ]]; then
  echo "error: $bin is not an executable" >&2
  exit 2
fi

export LC_ALL=C
tmp=$(mktemp -d "${TMPDIR:-/tmp}/edgelm-corpus.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

# Bytes that must never reach the terminal raw: C0 controls except \n, and DEL.
count_control_bytes() { tr -dc '\000-\011\013-\037\177' <"$1" | wc -c; }
# C1 controls (U+0080..U+009F) encoded as UTF-8; U+009B alone starts an escape sequence.
has_c1_controls() { grep -q $'\xc2[\x80-\x9f]' "$1"; }

# The fragment expected_errors.tsv gives for a file name, or "" when none.
expected_fragment() {
  [[ -f $root/expected_errors.tsv ]] || return 0
  awk -F '\t' -v name="$1" '$1 == name { print $2; exit }' "$root/expected_errors.tsv"
}

# Prints a captured stream, indented and with control bytes made visible, after a failure.
show() {
  [[ -s $2 ]] || return 0
  echo "     $1:"
  head -c 4000 "$2" | cat -v | head -n 20 | sed 's/^/       /'
}

report() {  # report STATUS LABEL TEXT
  if [[ $1 == ok ]]; then
    passed=$((passed + 1))
    printf 'ok   %s: %s\n' "$2" "$3"
  else
    failed=$((failed + 1))
    printf 'FAIL %s: %s\n' "$2" "$3"
    show stderr "$tmp/err"
    show stdout "$tmp/out"
  fi
}

run_info() {  # run_info FILE -> sets rc; output in $tmp/out and $tmp/err
  timeout -k 5 20 "$bin" info "$1" >"$tmp/out" 2>"$tmp/err" </dev/null
  rc=$?
}

describe_rc() {
  case $1 in
    124 | 137) echo "timed out (exit $1)" ;;
    13[0-9] | 1[4-9][0-9]) echo "killed by signal $(($1 - 128)) (exit $1)" ;;
    *) echo "exit code $1" ;;
  esac
}

shopt -s nullglob
malformed=("$root"/malformed/*.gguf)
valid=("$root"/valid/*.gguf)
if [[ ${#malformed[@]} -eq 0 || ${#valid[@]} -eq 0 ]]; then
  echo "error: no corpus files under $root/malformed or $root/valid (run make_corpus.py)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

for f in "${malformed[@]}"; do
  label=malformed/${f##*/}
  run_info "$f"
  first=$(head -n 1 "$tmp/err" | cut -c 1-400)
  lines=$(wc -l <"$tmp/err")
  last_byte=$(tail -c 1 "$tmp/err" | od -An -c | tr -d ' ')
  fragment=$(expected_fragment "${f##*/}")
  if [[ $rc -ne 1 ]]; then
    report FAIL "$label" "expected exit code 1, got $(describe_rc "$rc"): $first"
  elif [[ $first != "error: "* ]]; then
    report FAIL "$label" "stderr does not start with 'error: '"
  elif [[ $lines -ne 1 || $last_byte != '\n' ]]; then
    report FAIL "$label" "stderr is not exactly one line ($lines newlines): $first"
  elif [[ $(count_control_bytes "$tmp/err") -ne 0 ]]; then
    report FAIL "$label" "error message holds raw control bytes: $(cat -v "$tmp/err")"
  elif has_c1_controls "$tmp/err"; then
    report FAIL "$label" "error message holds raw C1 control characters: $(cat -v "$tmp/err")"
  elif [[ $first != *"$f"* ]]; then
    report FAIL "$label" "error message does not name the file: $first"
  elif [[ -n $fragment && $first != *"$fragment"* ]]; then
    report FAIL "$label" "error message lacks expected '$fragment': $first"
  else
    report ok "$label" "$first"
  fi
done

for f in "${valid[@]}"; do
  label=valid/${f##*/}
  run_info "$f"
  if [[ $rc -ne 0 ]]; then
    report FAIL "$label" "expected exit code 0, got $(describe_rc "$rc"): $(head -n 1 "$tmp/err" | cut -c 1-400)"
  elif [[ -s $tmp/err ]]; then
    report FAIL "$label" "exit 0 but wrote to stderr: $(head -n 1 "$tmp/err" | cut -c 1-400)"
  elif [[ $(count_control_bytes "$tmp/out") -ne 0 ]]; then
    report FAIL "$label" "output holds raw control bytes"
  elif has_c1_controls "$tmp/out"; then
    report FAIL "$label" "output holds raw C1 control characters"
  elif ! iconv -f UTF-8 -t UTF-8 <"$tmp/out" >/dev/null 2>&1; then
    report FAIL "$label" "output is not valid UTF-8"
  else
    report ok "$label" "exit 0, $(wc -l <"$tmp/out") lines"
  fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
