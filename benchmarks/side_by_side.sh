#!/usr/bin/env bash
# The adapter benchmark for a previous commit and for this checkout, alternating in one run so
# machine drift hits both: previous (BASE), this checkout with sandboxed machines (the default),
# this checkout with --unsandboxed-machines. One JSON line per run, prefixed with round and side;
# each run's full report is kept in OUT_DIR.
#
#   bash benchmarks/side_by_side.sh BASE_REF [N] [ROUNDS] [OUT_DIR]
#
# CONCURRENCY (default 16) is the number of executions in flight (the benchmark's -c).
# BASE_REF's tree is checked out in a temporary git worktree (removed at the end) and run with
# this checkout's virtualenv; both sides start their own dev server (benchmarks/temporal_adapter.py).
set -euo pipefail
base=${1:?usage: side_by_side.sh BASE_REF [N] [ROUNDS] [OUT_DIR]}
n=${2:-200}
rounds=${3:-3}
out=${4:-$(mktemp -d)}
concurrency=${CONCURRENCY:-16}
mkdir -p "$out"
here=$(cd "$(dirname "$0")/.." && pwd)
python="$here/.venv/bin/python"
tree=$(mktemp -d)
git -C "$here" worktree add --detach -q "$tree" "$base"
trap 'git -C "$here" worktree remove --force "$tree"' EXIT
for round in $(seq 1 "$rounds"); do
  for side in base sandboxed unsandboxed; do
    case $side in
      base) dir=$tree; extra=();;
      sandboxed) dir=$here; extra=();;
      unsandboxed) dir=$here; extra=(--unsandboxed-machines);;
    esac
    report="$out/round${round}-${side}.txt"
    # The previous commit's script may abort at interpreter exit after printing its figures.
    (cd "$dir" && "$python" -m benchmarks.temporal_adapter "$n" -c "$concurrency" "${extra[@]}" >"$report" 2>&1) || true
    echo "round=$round side=$side $(tail -n 1 "$report")"
  done
done
echo "reports in $out"
