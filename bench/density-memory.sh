#!/usr/bin/env bash
# Where the host memory of a detached container goes: N `sleep` containers from minictr
# (run -d --replicas N) and from crun (a loop of run -d), each measured the same way:
#  - /proc/meminfo before/after (MemAvailable, MemFree, Slab, KernelStack, PageTables, Shmem,
#    Cached ...), each reading after sync and drop_caches, with the free pages on the per-cpu
#    lists added back (MemAvailable+pcp: the figure to read; bench/lib.sh);
#  - /proc/slabinfo: the caches that grew most (active objects x size);
#  - per process, summed by role: PSS (smaps_rollup), page tables (VmPTE), kernel stack.
# The machine is shared: meminfo deltas move with whatever else runs; the per-process
# figures are exact. Prints KiB per container, and the slab caches side by side.
# The runtime measured second reuses memory the kernel kept from the first one's removed
# containers (slab pages, populated per-cpu chunks): its meminfo deltas come out lower. For
# figures free of that, measure each alone on a fresh kernel (bench/vm.sh: one boot each).
#   bench/density-memory.sh [N]   (default 100; root, from the repository)
#   ROWS="crun minictr" bench/density-memory.sh 100
#                                 which runtimes, in that order (default "minictr crun")
#   MINICTR_OPTS="--security-opt seccomp=unconfined" bench/density-memory.sh 100
#                                 minictr's containers run with those flags too
#   CRUN_SECCOMP=1 bench/density-memory.sh 100
#                                 crun's containers get minictr's seccomp filter (runc's
#                                 default spec has none; minictr's is Docker's default)
# State lives under $TMPDIR (test/vm/vm.sh's guest: a tmpfs; its root is an overlay, which
# overlayfs cannot take as an upper dir).
#   BENCH_LIB=DIR bench/density-memory.sh 100
#                                 what a machine keeps on a disk goes under DIR instead, as
#                                 /var/lib is: minictr's MINICTR_ROOT (images, layers, container
#                                 dirs), crun's bundle (its rootfs is minictr's busybox layer);
#                                 MINICTR_RUN (locks) and crun's --root (state.json) stay under
#                                 $TMPDIR, as /run is a tmpfs (bench/vm.sh --disk sets it)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-100}
ROWS=${ROWS:-minictr crun}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/minictr-densmem.XXXXXX")
LIB=$WORK
[ -z "${BENCH_LIB:-}" ] || LIB=$(mktemp -d "$BENCH_LIB/minictr-densmem.XXXXXX")
export MINICTR_ROOT=$LIB/lib MINICTR_RUN=$WORK/run
trap 'bin/minictr rm -f $(bin/minictr ps -aq) >/dev/null 2>&1 || true; for i in $(seq "$N"); do crun --root "$WORK/state" delete -f "c-$i" >/dev/null 2>&1 || true; done; rm -rf "$WORK" "$LIB"' EXIT

# a reading: /proc/meminfo, the free pages on per-cpu lists (PcpFree, bench/lib.sh) and
# MemAvailable with them (the figure to read), the slab caches
snap() {
  drop_caches
  local pcp; pcp=$(pcp_free_kib)
  { cat /proc/meminfo; echo "PcpFree: $pcp kB"
    awk -v p="$pcp" '/^MemAvailable:/ {printf "MemAvailable+pcp: %d kB\n", $2 + p}' /proc/meminfo; } > "$1.mem"
  tail -n +3 /proc/slabinfo > "$1.slab"
}
meminfo() { # before after
  awk -v N="$N" 'FNR==NR {a[$1]=$2; next}
    $1 ~ /^(MemAvailable\+pcp|MemAvailable|MemFree|PcpFree|Slab|SUnreclaim|KernelStack|PageTables|Percpu|VmallocUsed|Shmem|Cached|Buffers|AnonPages):$/ {
      printf "  %-16s %8.1f KiB/container\n", $1, ($2-a[$1])/N }' "$1.mem" "$2.mem"
}
slab_delta() { # before after: "cache KiB/container" for every cache that grew
  awk -v N="$N" 'FNR==NR {a[$1]=$2*$4; next} { d=$2*$4-a[$1]; if (d>0) printf "%s %.1f\n", $1, d/1024/N }' "$1.slab" "$2.slab"
}
slabs() { # before after
  awk -v N="$N" 'FNR==NR {a[$1]=$2*$4; next} { d=$2*$4-a[$1]; if (d>0) printf "  %8.1f KiB/container  %s\n", d/1024/N, $1 }' \
    "$1.slab" "$2.slab" | sort -rn | head -12
}
procs() { # label pids...: PSS + page tables + kernel stack (16 KiB a task), per container
  local label=$1; shift
  local pss=0 pte=0 n=0
  for p in "$@"; do
    pss=$((pss + $(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup)))
    pte=$((pte + $(awk '/^VmPTE:/ {print $2}' /proc/$p/status)))
    n=$((n + 1))
  done
  printf '  %-16s %4d processes  PSS %6.1f  page tables %6.1f  kernel stack %5.1f KiB/container\n' \
    "$label" "$n" "$(echo "$pss / $N" | bc -l)" "$(echo "$pte / $N" | bc -l)" "$(echo "$n * 16 / $N" | bc -l)"
}
container_facts() { # pid: its mounts, and its cgroups (the cgroup2 one with its controllers)
  local rel dir=/sys/fs/cgroup
  rel=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
  [ -d /sys/fs/cgroup/unified ] && dir=/sys/fs/cgroup/unified
  echo "  mounts in a container: $(wc -l < "/proc/$1/mountinfo")"
  echo "  cgroups of a container: $(wc -l < "/proc/$1/cgroup"); cgroup2: $rel (controllers: $(cat "$dir$rel/cgroup.controllers" 2>/dev/null))"
}
removed() { # label first-reading: wait for the kernel's deferred frees, say how far back it came
  local s; s=$(settle_memory)
  snap "$WORK/after"
  echo "  after the removal (settled in $s s): MemAvailable+pcp $(awk 'FNR==NR && /^MemAvailable\+pcp:/ {m0=$2} FNR!=NR && /^MemAvailable\+pcp:/ {printf "%+.1f", ($2 - m0) / 1024}' "$2.mem" "$WORK/after.mem") MiB from before $1's containers"
}

# the image, once; one exited container gives minictr's seccomp filter (its OCI spec's) for CRUN_SECCOMP
# shellcheck disable=SC2086 # MINICTR_OPTS: words, as typed
bin/minictr run -d --network none ${MINICTR_OPTS:-} busybox true >/dev/null
dirs=("$MINICTR_ROOT"/containers/*/)
node -e "const s=JSON.parse(require('fs').readFileSync(process.argv[1]+'spec.json','utf8')); console.log(JSON.stringify(s.linux.seccomp ?? null))" "${dirs[0]}" > "$WORK/seccomp.json"
bin/minictr rm -f $(bin/minictr ps -aq) >/dev/null
ROOTFS=$(node --input-type=module -e "
  const r = await import('./dist/image/resolve.js');
  const s = await import('./dist/image/store.js');
  console.log(s.layerDirs(await r.resolveImage('busybox')).at(-1));")
echo "load average: $(load_avg); N=$N; kernel $(uname -r); $(nproc) CPUs; MemTotal $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) KiB"
echo "state: MINICTR_ROOT and crun's bundle on $(stat -f -c %T "$LIB"), MINICTR_RUN and crun's --root on $(stat -f -c %T "$WORK")"

minictr_row() {
  snap "$WORK/m0"
  # shellcheck disable=SC2086 # MINICTR_OPTS: words, as typed
  bin/minictr run -d --network none ${MINICTR_OPTS:-} --replicas "$N" --name dm busybox sleep 600 >/dev/null
  sleep 1
  snap "$WORK/m1"
  echo "minictr run -d --replicas $N ${MINICTR_OPTS:-}"
  meminfo "$WORK/m0" "$WORK/m1"; slabs "$WORK/m0" "$WORK/m1"; slab_delta "$WORK/m0" "$WORK/m1" > "$WORK/m.slabs"
  local mons inits payload
  mons=$(pgrep -x minictr-monitor | while read -r p; do grep -q "$MINICTR_ROOT" /proc/$p/cmdline 2>/dev/null && echo "$p"; done || true)
  inits=$(for m in $mons; do pgrep -P "$m"; done)
  payload=$(for i in $inits; do pgrep -P "$i"; done)
  procs minictr-monitor $mons; procs minictr-init $inits; procs sleep $payload
  container_facts "$(echo "$payload" | head -1)"
  bin/minictr rm -f $(bin/minictr ps -q) >/dev/null
  removed minictr "$WORK/m0"
}

crun_row() {
  local B=$LIB/bundle wrap=() cpids i
  mkdir -p "$B"; (cd "$B" && runc spec)
  CRUN_SECCOMP=${CRUN_SECCOMP:-0} node -e "
    const fs = require('fs'); const f = process.argv[1];
    const s = JSON.parse(fs.readFileSync(f, 'utf8'));
    s.process.args = ['sleep', '600']; s.process.terminal = false;
    s.root = { path: process.argv[2], readonly: true };
    if (process.env.CRUN_SECCOMP === '1') s.linux.seccomp = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
    fs.writeFileSync(f, JSON.stringify(s));" "$B/config.json" "$ROOTFS" "$WORK/seccomp.json"
  # crun on a hybrid host: a cgroup2 mount beside v1 ones confuses its cgroup manager
  [ -d /sys/fs/cgroup/unified ] && wrap=(unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' sh)
  snap "$WORK/c0"
  for i in $(seq "$N"); do "${wrap[@]}" crun --root "$WORK/state" run -d --bundle "$B" "c-$i" >/dev/null 2>&1 </dev/null; done
  sleep 1
  snap "$WORK/c1"
  echo "crun run -d (loop)$([ "${CRUN_SECCOMP:-0}" = 1 ] && echo ", with minictr's seccomp filter")"
  meminfo "$WORK/c0" "$WORK/c1"; slabs "$WORK/c0" "$WORK/c1"; slab_delta "$WORK/c0" "$WORK/c1" > "$WORK/c.slabs"
  cpids=$(for i in $(seq "$N"); do crun --root "$WORK/state" state "c-$i" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pid))'; done)
  [ "$(echo "$cpids" | grep -c .)" = "$N" ] || { echo "density-memory: crun started $(echo "$cpids" | grep -c .) of $N containers" >&2; exit 1; }
  procs sleep $cpids
  container_facts "$(echo "$cpids" | head -1)"
  for i in $(seq "$N"); do crun --root "$WORK/state" delete -f "c-$i" >/dev/null 2>&1 || true; done
  removed crun "$WORK/c0"
}

for row in $ROWS; do
  case "$row" in
    minictr) minictr_row;;
    crun) crun_row;;
    *) echo "density-memory: ROWS takes minictr and crun, not $row" >&2; exit 2;;
  esac
done
if [ -f "$WORK/m.slabs" ] && [ -f "$WORK/c.slabs" ]; then
  echo "slab caches, KiB/container: minictr, crun, difference (the 15 largest differences)"
  awk 'FNR==NR {m[$1]=$2; next} {c[$1]=$2} END {for (k in m) if (!(k in c)) c[k]=0; for (k in c) printf "  %-24s %7.1f %7.1f %+7.1f\n", k, m[k], c[k], m[k]-c[k]}' \
    "$WORK/m.slabs" "$WORK/c.slabs" | sort -k4 -g -r | head -15
fi
load_average
