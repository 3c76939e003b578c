#!/usr/bin/env bash
# What --network bridge adds to `run --rm busybox true`, on a shared machine: the four commands
# (this checkout's none and bridge, and --other's) alternated in every round, so a load spike
# hits all four alike, and medians, which a few multi-second stalls do not move (hyperfine runs
# each command's runs back to back: one stall there moves one row).
# Run as root from the repository: bench/bridge.sh [--rounds N] [--other DIR]
# Wall time from date +%s%N around each run; CPU is /usr/bin/time's user + system of the
# command and the children it waits for (a detached child that outlives it is not counted).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS=20
OTHER=
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2;;
    --other) OTHER=$(cd "$2" && pwd)/bin/minictr; shift 2;;
    *) echo "usage: bench/bridge.sh [--rounds N] [--other DIR]" >&2; exit 2;;
  esac
done
unset NODE_EXTRA_CA_CERTS
WORK=$(mktemp -d /tmp/minictr-bench-bridge.XXXXXX)
# own state dirs and bridges (no fixed names): this checkout's and the other's
MINE="env MINICTR_ROOT=$WORK/lib MINICTR_RUN=$WORK/run MINICTR_BRIDGE_NAME=mbb$$ MINICTR_BRIDGE_SUBNET=${BENCH_SUBNET:-10.83.0.0/16} bin/minictr"
THEIRS="env MINICTR_ROOT=$WORK/other-lib MINICTR_RUN=$WORK/other-run MINICTR_BRIDGE_NAME=mbbo$$ MINICTR_BRIDGE_SUBNET=${BENCH_OTHER_SUBNET:-10.82.0.0/16} $OTHER"
cleanup() {
  $MINE network rm -f bridge >/dev/null 2>&1 || true
  [ -z "$OTHER" ] || $THEIRS network rm -f bridge >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
rows=("this none" "this bridge")
cmds=("$MINE run --rm --network none busybox true" "$MINE run --rm --network bridge busybox true")
if [ -n "$OTHER" ]; then
  rows+=("other none" "other bridge")
  cmds+=("$THEIRS run --rm --network none busybox true" "$THEIRS run --rm --network bridge busybox true")
fi
# warm-up: images, the bridges, page cache; bridge first: a checkout without a code cache for
# `run` (dist/bundle/cache) keeps the one its first short run writes, and a bridge run's holds
# the functions of both paths (a none run's would leave the bridge's to be compiled every time)
for i in 1 0 3 2; do [ -z "${cmds[$i]:-}" ] || { ${cmds[$i]}; ${cmds[$i]}; }; done
load_average
for r in $(seq "$ROUNDS"); do
  for i in "${!cmds[@]}"; do
    t0=$(date +%s%N)
    cpu=$(/usr/bin/time -f '%U %S' ${cmds[$i]} 2>&1 >/dev/null | tail -1)
    t1=$(date +%s%N)
    echo "$i $(( (t1 - t0) / 1000 )) $cpu"
  done
done > "$WORK/times"
cp "$WORK/times" "${BENCH_TIMES:-/dev/null}" 2>/dev/null || true
load_average
node -e '
  const rows = JSON.parse(process.argv[1]);
  const by = rows.map(() => ({ wall: [], cpu: [] }));
  for (const l of require("fs").readFileSync(process.argv[2], "utf8").trim().split("\n")) {
    const [i, us, u, s] = l.split(" ");
    by[+i].wall.push(us / 1000); by[+i].cpu.push((+u + +s) * 1000);
  }
  const med = (a) => { const b = [...a].sort((x, y) => x - y); return b.length % 2 ? b[b.length >> 1] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2; };
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  console.log("| run --rm ... busybox true | wall median [ms] | wall mean [ms] | CPU median [ms] |");
  console.log("|:---|---:|---:|---:|");
  rows.forEach((r, i) => console.log(`| ${r} | ${med(by[i].wall).toFixed(1)} | ${mean(by[i].wall).toFixed(1)} | ${med(by[i].cpu).toFixed(0)} |`));
  for (let i = 0; i + 1 < rows.length; i += 2) {
    const d = by[i + 1].wall.map((w, k) => w - by[i].wall[k]);
    console.log(`${rows[i].split(" ")[0]}: bridge - none, median of the per-round differences ${med(d).toFixed(1)} ms (wall), of the medians ${(med(by[i + 1].wall) - med(by[i].wall)).toFixed(1)} ms; CPU ${(med(by[i + 1].cpu) - med(by[i].cpu)).toFixed(0)} ms`);
  }' "$(printf '%s\n' "${rows[@]}" | node -e 'console.log(JSON.stringify(require("fs").readFileSync(0,"utf8").trim().split("\n")))')" "$WORK/times"
