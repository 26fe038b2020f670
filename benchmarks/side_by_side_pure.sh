#!/usr/bin/env bash
# The in-process and statechart benchmarks for a previous commit and for this checkout,
# alternating in one run so machine drift hits both sides alike (the pattern of
# side_by_side.sh, without a Temporal server). Each round runs each benchmark once per side, the
# side that goes first alternating between rounds. One line per run (round, benchmark, side, the
# 1-minute load average before it, the run's JSON line), then min / median / max per figure.
#
#   bash benchmarks/side_by_side_pure.sh BASE [ROUNDS] [INPROCESS_N] [STATECHART_N] [OUT_DIR]
#
# BASE is a directory holding the previous tree (e.g. a `git worktree` of main) or a git ref,
# checked out in a temporary worktree that is removed at the end. Both sides run with PYTHON
# (default: this checkout's .venv) from their own tree, so each imports its own arvo_temporal.
set -euo pipefail
base=${1:?usage: side_by_side_pure.sh BASE [ROUNDS] [INPROCESS_N] [STATECHART_N] [OUT_DIR]}
rounds=${2:-5}
inprocess_n=${3:-10000}
statechart_n=${4:-100000}
out=${5:-$(mktemp -d)}
mkdir -p "$out"
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$here/.venv/bin/python}
if [ -d "$base" ]; then
  tree=$(cd "$base" && pwd)
else
  tree=$(mktemp -d)
  git -C "$here" worktree add --detach -q "$tree" "$base"
  trap 'git -C "$here" worktree remove --force "$tree"' EXIT
fi
echo "base $(git -C "$tree" rev-parse --short HEAD), this $(git -C "$here" rev-parse --short HEAD)" \
  "(+ uncommitted: $(git -C "$here" status --porcelain --untracked-files=no | wc -l) files);" \
  "$(nproc) cores, $(uname -sm), $("$python" -V 2>&1)"
lines="$out/runs.txt"
: >"$lines"
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then sides="base this"; else sides="this base"; fi
  for bench in inprocess statechart; do
    if [ "$bench" = inprocess ]; then n=$inprocess_n; else n=$statechart_n; fi
    for side in $sides; do
      if [ "$side" = base ]; then dir=$tree; else dir=$here; fi
      report="$out/round${round}-${bench}-${side}.txt"
      load=$(cut -d' ' -f1 /proc/loadavg)
      (cd "$dir" && PYTHONPATH="$dir" nice -n 10 "$python" -m "benchmarks.$bench" "$n" \
        >"$report" 2>"$report.stderr")
      line="round=$round bench=$bench side=$side load=$load $(grep '^{' "$report" | tail -n 1)"
      echo "$line" | tee -a "$lines"
    done
  done
done
"$python" - "$lines" <<'PY'
import json, statistics, sys
figures = {}
for line in open(sys.argv[1]):
    head, _, body = line.partition(" {")
    fields = dict(part.split("=", 1) for part in head.split())
    for key, value in json.loads("{" + body).items():
        if isinstance(value, (int, float)) and key != "n":
            figures.setdefault((fields["bench"], key, fields["side"]), []).append(value)
print("figure: base min / median / max | this min / median / max | median ratio this/base")
for (bench, key, side), values in sorted(figures.items()):
    if side != "base":
        continue
    mine = figures[(bench, key, "this")]
    summary = [f"{min(v):,.1f} / {statistics.median(v):,.1f} / {max(v):,.1f}" for v in (values, mine)]
    ratio = statistics.median(mine) / statistics.median(values)
    print(f"{bench}.{key}: {summary[0]} | {summary[1]} | {ratio:.2f}")
PY
echo "reports in $out"
