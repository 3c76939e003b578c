#!/usr/bin/env bash
# Where the time of `minictr run --rm --network none busybox true` goes: MINICTR_PROFILE=1
# makes minictr print a mark at each phase boundary (src/util/profile.ts, bin/run-bundle.js);
# this script runs it N times and prints each phase's median, then (unless --no-peers) times
# the whole command side by side with `node -e 0`, crun and runc in one hyperfine run.
# With --other DIR, the marks of another checkout too (DIR/bin/minictr, built), the two run
# alternately in one loop, each phase's median side by side: before and after a change.
# (A checkout that removes the shared parent cgroups after each run makes the other one
# create them again: compare the cgroup phases of such a pair in separate runs.)
# Run as root from the repository: bench/profile-run.sh [--runs N] [--no-peers] [--other DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=20
PEERS=1
OTHER=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2;;
    --no-peers) PEERS=0; shift;;
    --other) OTHER=$(cd "$2" && pwd); shift 2;;
    *) echo "usage: $0 [--runs N] [--no-peers] [--other DIR]" >&2; exit 2;;
  esac
done

WORK=$(mktemp -d /tmp/minictr-profile.XXXXXX)
export MINICTR_ROOT=$WORK/lib MINICTR_RUN=$WORK/run
trap 'rm -rf "$WORK"' EXIT
CMD=(bin/minictr run --rm --network none busybox true)
CHECKOUTS=("$PWD")
[ -z "$OTHER" ] || CHECKOUTS=("$OTHER" "$PWD")
for c in "${CHECKOUTS[@]}"; do
  # the busybox image (made on first use) and the V8 code cache of `run`
  "$c/${CMD[0]}" "${CMD[@]:1}"
  "$c/${CMD[0]}" "${CMD[@]:1}"
done

for i in $(seq "$RUNS"); do
  for c in "${CHECKOUTS[@]}"; do
    MINICTR_PROFILE=1 "$c/${CMD[0]}" "${CMD[@]:1}" 2>&1 >/dev/null | grep '^minictr-profile ' | sed "s|^|$c/$i |"
  done
done > "$WORK/marks"

# phase = from the previous mark to this one; the split named in issue 18
node - "$WORK/marks" "$RUNS" "${CHECKOUTS[@]}" <<'JS'
const fs = require('fs');
const [file, runs, ...checkouts] = process.argv.slice(2);
// checkout -> run -> mark -> ms
const by = new Map(checkouts.map((c) => [c, new Map()]));
for (const line of fs.readFileSync(file, 'utf8').trim().split('\n')) {
  const [key, , ms, mark] = line.split(' ');
  const c = key.slice(0, key.lastIndexOf('/'));
  const runsOf = by.get(c);
  if (!runsOf.has(key)) runsOf.set(key, new Map());
  runsOf.get(key).set(mark, Number(ms));
}
const phases = [
  ['Node start-up (bootstrap, to node\'s bootstrapComplete)', null, 'node-bootstrapped'],
  ['loading bin/minictr (CommonJS entry + run-bundle.js)', 'node-bootstrapped', 'entry-loaded'],
  ['loading our JavaScript (bundle + V8 code cache)', 'entry-loaded', 'bundle-loaded'],
  ['CLI: commander, parsing run\'s flags', 'bundle-loaded', 'run-loaded'],
  ['flags checked, image resolved', 'run-loaded', 'image-resolved'],
  ['container record (id, name, dirs, config.json)', 'image-resolved', 'container-created'],
  ['addon load (dlopen)', 'before-addon', 'addon-loaded'],
  ['/etc files, spec built and written', 'addon-loaded', 'spec-written'],
  ['seccomp profile converted and compiled', 'spec-written', 'seccomp-compiled'],
  ['cgroups made, spawn record built', 'seccomp-compiled', 'before-spawn'],
  ['C: clone3 into namespaces (child waits)', 'before-spawn', 'spawned'],
  ['host side while the child waits (cgroup v1 join, state.json)', 'spawned', 'before-start'],
  ['C: child mounts, pivot_root, caps, seccomp, execve', 'before-start', 'execed'],
  ['waiting for the command', 'execed', 'exited'],
  ['teardown (state, cgroups, container dir)', 'exited', 'torn-down'],
  ['exit', 'torn-down', 'exit'],
];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const cols = checkouts.length > 1 ? checkouts.map((c) => ` ${c} |`).join('') : ' ms |';
console.log(`| phase (median of ${runs} runs, MINICTR_PROFILE=1) |${cols}`);
console.log(`|:---|${checkouts.map(() => '---:|').join('')}`);
for (const [name, from, to] of phases) {
  const cells = checkouts.map((c) => {
    const d = [...by.get(c).values()].filter((m) => m.has(to) && (from === null || m.has(from))).map((m) => m.get(to) - (from === null ? 0 : m.get(from)));
    return d.length ? median(d).toFixed(1) : '';
  });
  if (cells.every((v) => v === '')) continue;
  console.log(`| ${name} |${cells.map((v) => ` ${v} |`).join('')}`);
}
// before-addon comes right after container-created: the gap is counted in neither
console.log(`| total (to process.exit) |${checkouts.map((c) => ` ${median([...by.get(c).values()].map((m) => m.get('exit'))).toFixed(1)} |`).join('')}`);
JS

[ "$PEERS" = 1 ] || exit 0
ROOTFS=$(ls -d "$MINICTR_ROOT"/layers/*/diff | head -1)
BUNDLE=$WORK/bundle
make_runc_bundle "$BUNDLE" "$ROOTFS"
echo
OTHER_ROW=()
[ -z "$OTHER" ] || OTHER_ROW=("$OTHER/${CMD[*]}")
hyperfine -N --warmup 3 --runs "$RUNS" --style basic --export-markdown "$WORK/peers.md" \
  "${OTHER_ROW[@]}" "${CMD[*]}" \
  "node -e 0" \
  "runc --root $WORK/runc-state run --bundle $BUNDLE bench-runc-$$" \
  "unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root $WORK/crun-state run --bundle $BUNDLE bench-crun-$$'" >/dev/null
sed "s|$WORK|\$WORK|g" "$WORK/peers.md"
