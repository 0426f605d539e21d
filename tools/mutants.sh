#!/usr/bin/env bash
# Mutation testing of one exercise's checks: how many wrong learner crates do they catch?
#
#   tools/mutants.sh NAME            e.g. tools/mutants.sh identity   (or 01-identity)
#
# It copies the handbook (without target folders and git) to a scratch folder outside
# the work tree, puts the reference solution's src/ in the exercise's place there, and
# runs cargo-mutants on that exercise crate: every mutant is a small wrong change to the
# reference-in-the-learner's-place, and the exercise's checks compare it against the
# untouched reference solution (a dev-dependency). A mutant the checks do not fail is
# "missed"; the book's instructor page (book/instructors/quality.md) lists each one
# with why it is equivalent or which assertion now kills it.
#
# Needs cargo-mutants (`cargo install cargo-mutants --locked`). Environment:
#   MUTANTS_WS       the scratch handbook            (default /tmp/mutants-ws)
#   MUTANTS_TARGET   its cargo target folder         (default target-mutants in the handbook,
#                    never the shared target/, so a long run never holds its lock)
#   MUTANTS_TIMEOUT  seconds one mutant's tests may run before it counts as a timeout
#                    (default: cargo-mutants's own, five times the unmutated run and at
#                    least 20 s; the exercises' checks take 1 to 20 s, and a mutant
#                    that makes a networking check hang would otherwise cost minutes)
# Mutants are tested one at a time (--in-place allows no other way): the handbook's
# machines are shared.
# Extra arguments after NAME go to cargo mutants (e.g. `--file src/varint.rs`, `--list`).
#
# Prints cargo-mutants's summary and the wall time, then the missed mutants; the whole
# output (outcomes.json, caught.txt, missed.txt, unviable.txt, timeout.txt, logs/) is
# kept in $MUTANTS_TARGET/out/NN-name/mutants.out.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name="${1:?usage: tools/mutants.sh NAME [cargo-mutants args...]}"
shift

dir=""
for candidate in "$root"/exercises/*/; do
    base="$(basename "$candidate")"
    if [[ "$base" == "$name" || "${base#*-}" == "$name" ]]; then
        dir="$base"
    fi
done
[[ -n "$dir" ]] || { echo "no exercise called $name under exercises/" >&2; exit 2; }
package="$(sed -n 's/^name = "\(.*\)"/\1/p' "$root/exercises/$dir/Cargo.toml" | head -n 1)"

cargo mutants --version >/dev/null 2>&1 || {
    echo "cargo-mutants is not installed: cargo install cargo-mutants --locked" >&2
    exit 2
}

ws="${MUTANTS_WS:-/tmp/mutants-ws}"
target="${MUTANTS_TARGET:-$root/target-mutants}"
timeout=()
[[ -n "${MUTANTS_TIMEOUT:-}" ]] && timeout=(--timeout "$MUTANTS_TIMEOUT")
case "$ws" in "$root"|"$root"/*) echo "MUTANTS_WS must be outside the handbook" >&2; exit 2 ;; esac

# The scratch handbook: the work tree as it is now, without build output and git.
# tar keeps every file's modification time, so cargo rebuilds only what changed since
# the last run.
rm -rf "$ws"
mkdir -p "$ws"
tar -C "$root" --exclude=./target --exclude='./target-*' --exclude=./.git --exclude=./.verify \
    --exclude=./book-html --exclude=./interop -cf - . | tar -C "$ws" -xf -

# The reference in the learner's place. Its tools (src/bin, such as the dht's UDP node)
# need dependencies the exercise crate lacks and are no part of what a learner writes;
# the solution names its own library NAME_solution, which in the learner's place is NAME.
rm -rf "$ws/exercises/$dir/src"
cp -a "$root/solutions/$dir/src" "$ws/exercises/$dir/src"
rm -rf "$ws/exercises/$dir/src/bin"
crate="${package//-/_}"
find "$ws/exercises/$dir/src" -name '*.rs' -exec perl -pi -e "s/\\b${crate}_solution\\b/${crate}/g" {} +

out="$target/out/$dir"
mkdir -p "$out"
echo "mutants of $package ($dir): scratch $ws, target $target, timeout ${MUTANTS_TIMEOUT:-auto}"
start=$(date +%s)
status=0
(
    cd "$ws"
    CARGO_TARGET_DIR="$target" cargo mutants --in-place --no-shuffle \
        --package "$package" --test-package "$package" \
        "${timeout[@]}" --output "$out" "$@"
) || status=$?
end=$(date +%s)
echo "wall time: $((end - start)) s ($dir, $(nproc) cores, cargo-mutants $(cargo mutants --version | cut -d' ' -f2))"

results="$out/mutants.out"
if [[ -f "$results/outcomes.json" ]]; then
    for kind in caught missed unviable timeout; do
        count=0
        [[ -f "$results/$kind.txt" ]] && count=$(grep -c . "$results/$kind.txt" || true)
        printf '%-9s %s\n' "$kind" "$count"
    done
    echo "missed mutants ($results/missed.txt):"
    sed 's/^/  /' "$results/missed.txt" 2>/dev/null || true
fi
# cargo-mutants exits 2 when some mutants were missed and 3 on timeouts: that is the
# result being reported, not a failure of this script. Other codes are passed on.
case "$status" in 0|2|3) exit 0 ;; *) exit "$status" ;; esac
