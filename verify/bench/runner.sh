#!/usr/bin/env bash
# Measures the runner's speed as a learner meets it, from a fresh clone:
#   1. cold:   the first `cargo verify check EXERCISE` (builds every dependency)
#   2. warm:   `cargo verify check EXERCISE` after a one-line edit of its src/lib.rs
#   3. floor:  a bare `cargo test -p EXERCISE` after the same kind of edit, for scale
#   4. status: `cargo verify` with nothing changed (answered from the cache)
# Usage: verify/bench/runner.sh [EXERCISE] [RUNS]     (default: identity 5)
# It clones the current commit into a temporary folder; nothing here is touched.
set -euo pipefail
exercise=${1:-identity}
runs=${2:-5}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/handbook"
cd "$work/handbook"
export CARGO_TARGET_DIR="$work/target" NO_COLOR=1
lib=$(ls -d exercises/*-"$exercise")/src/lib.rs

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f\n", a - b }'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
edit() { echo "// edit $RANDOM$RANDOM" >> "$lib"; }

t=$(now); cargo verify check "$exercise" > /dev/null 2>&1 || true; cold=$(elapsed "$t")

warm=$(for _ in $(seq "$runs"); do edit; t=$(now); cargo verify check "$exercise" > /dev/null 2>&1 || true; elapsed "$t"; done | median)
floor=$(for _ in $(seq "$runs"); do edit; t=$(now); cargo test -q -p "$exercise" > /dev/null 2>&1 || true; elapsed "$t"; done | median)
cargo verify > /dev/null 2>&1   # record the current state once
status=$(for _ in $(seq "$runs"); do t=$(now); cargo verify > /dev/null 2>&1; elapsed "$t"; done | median)

printf 'runner benchmark (%s, %s cores, median of %s)\n' "$exercise" "$(nproc)" "$runs"
printf '  cold first check from a fresh clone   %6.1f s   (target <= 120 s)\n' "$cold"
printf '  warm re-check after a one-line edit   %6.2f s   (target <= 1 s)\n' "$warm"
printf '  bare cargo test -p after an edit      %6.2f s   (the floor)\n' "$floor"
printf '  cargo verify, nothing changed         %6.2f s   (target <= 0.3 s)\n' "$status"
