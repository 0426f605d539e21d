#!/usr/bin/env bash
# What an idle room chat costs: N peers of the release build, each with the full-screen
# interface in a tmux window of its own, finding each other by mDNS on loopback, left
# alone for SECS seconds. Prints each peer's CPU time as a share of one core (user and
# system, from /proc/PID/stat) and their mean, and how many wakeups the kernel counted
# (voluntary context switches). Linux only; needs tmux. The book's capstone chapter
# quotes its figures.
#
#   tools/idle-cpu.sh [N=10] [SECS=30]
set -euo pipefail
cd "$(dirname "$0")/.."
peers=${1:-10}
secs=${2:-30}
session="idle-cpu-$$"
state=$(mktemp -d)
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    rm -rf "$state"
}
trap cleanup EXIT

cargo build --release --quiet -p chat-solution
bin="$PWD/target/release/chat-solution"
room="idle-$$"

tmux new-session -d -s "$session" -x 120 -y 40 "$bin idle0 --room $room --keys $state"
for i in $(seq 1 $((peers - 1))); do
    tmux new-window -t "$session" "$bin idle$i --room $room --keys $state"
done
# Let discovery, the dials and the first history sync finish: the figure is the idle cost.
sleep 15

pids=()
for i in $(seq 0 $((peers - 1))); do
    pid=$(pgrep -f "^$bin idle$i --room $room" | head -n 1)
    [ -n "$pid" ] || { echo "peer idle$i is not running" >&2; exit 1; }
    pids+=("$pid")
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Summed over the process's threads (the UI, mDNS and tokio each have their own).
switches() { cat /proc/"$1"/task/*/status | awk '/^voluntary_ctxt_switches/ {n += $2} END {print n}'; }
declare -A cpu0 sw0
for pid in "${pids[@]}"; do
    cpu0[$pid]=$(ticks "$pid")
    sw0[$pid]=$(switches "$pid")
done
sleep "$secs"
hz=$(getconf CLK_TCK)
total=0
for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    used=$(( $(ticks "$pid") - ${cpu0[$pid]} ))
    woke=$(( $(switches "$pid") - ${sw0[$pid]} ))
    pct=$(awk -v t="$used" -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.2f", 100 * t / hz / s }')
    printf 'idle%-3d %6s%% of a core   %6d wakeups/s\n' "$i" "$pct" "$(( woke / secs ))"
    total=$(( total + used ))
done
awk -v t="$total" -v hz="$hz" -v s="$secs" -v n="$peers" \
    'BEGIN { printf "mean: %.2f%% of a core per idle peer (%d peers, %d s, release build)\n", 100 * t / hz / s / n, n, s }'
