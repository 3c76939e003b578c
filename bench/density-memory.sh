#!/usr/bin/env bash
# Where the host memory of a detached container goes: N `sleep` containers from minictr
# (run -d --replicas N) and from crun (a loop of run -d), each measured the same way:
#  - /proc/meminfo before/after (MemAvailable, Slab, KernelStack, PageTables, Shmem, Cached);
#  - /proc/slabinfo: the caches that grew most (active objects x size);
#  - per process, summed by role: PSS (smaps_rollup), page tables (VmPTE), kernel stack.
# The machine is shared: meminfo deltas move with whatever else runs; the per-process
# figures are exact. Prints KiB per container, and the slab caches side by side.
#   bench/density-memory.sh [N]   (default 100; root, from the repository)
#   MINICTR_OPTS="--security-opt seccomp=unconfined" bench/density-memory.sh 100
#                                 minictr's containers run with those flags too
#   CRUN_SECCOMP=1 bench/density-memory.sh 100
#                                 crun's containers get minictr's seccomp filter (runc's
#                                 default spec has none; minictr's is Docker's default)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
WORK=$(mktemp -d /tmp/minictr-densmem.XXXXXX)
export MINICTR_ROOT=$WORK/lib MINICTR_RUN=$WORK/run
trap 'bin/minictr rm -f $(bin/minictr ps -aq) >/dev/null 2>&1 || true; for i in $(seq "$N"); do crun --root "$WORK/state" delete -f "c-$i" >/dev/null 2>&1 || true; done; rm -rf "$WORK"' EXIT

snap() { cat /proc/meminfo > "$1.mem"; tail -n +3 /proc/slabinfo > "$1.slab"; }
meminfo() { # before after
  awk -v N="$N" 'FNR==NR {a[$1]=$2; next}
    $1 ~ /^(MemAvailable|Slab|SUnreclaim|KernelStack|PageTables|Percpu|VmallocUsed|Shmem|Cached|Buffers|AnonPages):$/ {
      printf "  %-14s %8.1f KiB/container\n", $1, ($2-a[$1])/N }' "$1.mem" "$2.mem"
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

bin/minictr run --rm --network none busybox true >/dev/null # the image, once
ROOTFS=$(node --input-type=module -e "
  const r = await import('./dist/image/resolve.js');
  const s = await import('./dist/image/store.js');
  console.log(s.layerDirs(await r.resolveImage('busybox')).at(-1));")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); N=$N"

sync; echo 3 > /proc/sys/vm/drop_caches
snap "$WORK/m0"
# shellcheck disable=SC2086 # MINICTR_OPTS: words, as typed
bin/minictr run -d --network none ${MINICTR_OPTS:-} --replicas "$N" --name dm busybox sleep 600 >/dev/null
sleep 1
snap "$WORK/m1"
echo "minictr run -d --replicas $N ${MINICTR_OPTS:-}"
meminfo "$WORK/m0" "$WORK/m1"; slabs "$WORK/m0" "$WORK/m1"; slab_delta "$WORK/m0" "$WORK/m1" > "$WORK/m.slabs"
# CRUN_SECCOMP: the filter minictr's containers run with, from one's OCI spec
dirs=("$MINICTR_ROOT"/containers/*/)
node -e "const s=JSON.parse(require('fs').readFileSync(process.argv[1]+'spec.json','utf8')); console.log(JSON.stringify(s.linux.seccomp ?? null))" "${dirs[0]}" > "$WORK/seccomp.json"
mons=$(pgrep -x minictr-monitor | while read -r p; do grep -q "$MINICTR_ROOT" /proc/$p/cmdline 2>/dev/null && echo "$p"; done || true)
inits=$(for m in $mons; do pgrep -P "$m"; done)
payload=$(for i in $inits; do pgrep -P "$i"; done)
procs minictr-monitor $mons; procs minictr-init $inits; procs sleep $payload
echo "  mounts in a container: $(wc -l < /proc/$(echo "$payload" | head -1)/mountinfo)"
echo "  cgroups of a container: $(wc -l < /proc/$(echo "$payload" | head -1)/cgroup)"
bin/minictr rm -f $(bin/minictr ps -q) >/dev/null

B=$WORK/bundle; mkdir -p "$B"; (cd "$B" && runc spec)
node -e "
  const fs = require('fs'); const f = process.argv[1];
  const s = JSON.parse(fs.readFileSync(f, 'utf8'));
  s.process.args = ['sleep', '600']; s.process.terminal = false;
  s.root = { path: process.argv[2], readonly: true };
  fs.writeFileSync(f, JSON.stringify(s));" "$B/config.json" "$ROOTFS"
wrap=(); [ -d /sys/fs/cgroup/unified ] && wrap=(unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' sh)
sync; echo 3 > /proc/sys/vm/drop_caches
snap "$WORK/c0"
for i in $(seq "$N"); do "${wrap[@]}" crun --root "$WORK/state" run -d --bundle "$B" "c-$i" >/dev/null 2>&1 </dev/null; done
sleep 1
snap "$WORK/c1"
echo "crun run -d (loop)$([ "${CRUN_SECCOMP:-0}" = 1 ] && echo ", with minictr's seccomp filter")"
meminfo "$WORK/c0" "$WORK/c1"; slabs "$WORK/c0" "$WORK/c1"; slab_delta "$WORK/c0" "$WORK/c1" > "$WORK/c.slabs"
cpids=$(for i in $(seq "$N"); do crun --root "$WORK/state" state "c-$i" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pid))'; done)
procs sleep $cpids
echo "  mounts in a container: $(wc -l < /proc/$(echo "$cpids" | head -1)/mountinfo)"
echo "  cgroups of a container: $(wc -l < /proc/$(echo "$cpids" | head -1)/cgroup)"
echo "slab caches, KiB/container: minictr, crun, difference (the 15 largest differences)"
awk 'FNR==NR {m[$1]=$2; next} {c[$1]=$2} END {for (k in m) if (!(k in c)) c[k]=0; for (k in c) printf "  %-24s %7.1f %7.1f %+7.1f\n", k, m[k], c[k], m[k]-c[k]}' \
  "$WORK/m.slabs" "$WORK/c.slabs" | sort -k4 -g -r | head -15
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
