#!/usr/bin/env bash
# Density: start N detached `sleep` containers and remove them, side by side with crun and
# runc doing the same. Reports wall time and the host memory each container costs (the
# drop in MemAvailable, with the free pages on per-cpu lists, while all N run, divided by N).
#   bench/density.sh [N]    (default 200; run as root from the repository)
#   ROWS="replicas crun" bench/density.sh 200    only those rows (replicas loop crun runc)
#   bench/density.sh --other DIR 200    the replicas row also with DIR's minictr (a checkout,
#                                       built), right after ours: before/after in one run
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
OTHER=
if [ "${1:-}" = --other ]; then OTHER=$(cd "$2" && pwd); shift 2; fi
N=${1:-200}
ROWS=${ROWS:-replicas loop crun runc}
row() { [[ " $ROWS " == *" $1 "* ]]; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/minictr-density.XXXXXX")
export MINICTR_ROOT=$WORK/lib MINICTR_RUN=$WORK/run
# like runc's and crun's default spec: a network namespace with only lo
NET=(--network none)
trap 'bin/minictr rm -f $(bin/minictr ps -aq) >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

# every reading after drop_caches, with the free pages on per-cpu lists (bench/lib.sh), each row's first after the last row's
# removal has settled; readings are never inside a timed span
avail_kib() { drop_caches; echo $(($(awk '/MemAvailable/ {print $2}' /proc/meminfo) + $(pcp_free_kib))); }
before_kib() { settle_memory >/dev/null; avail_kib; }
now() { date +%s.%N; }
report() { # name start started remove-start removed mem_before mem_during
  printf '%-28s start %6.2f s   remove %6.2f s   %6.2f MiB/container\n' "$1" \
    "$(echo "$3 - $2" | bc)" "$(echo "$5 - $4" | bc)" "$(echo "($6 - $7) / 1024 / $N" | bc -l)"
}

bin/minictr run --rm --network none busybox true  # build the image once (no bridge left on the host)
ROOTFS=$(node --input-type=module -e "
  const r = await import('./dist/image/resolve.js');
  const s = await import('./dist/image/store.js');
  console.log(s.layerDirs(await r.resolveImage('busybox')).at(-1));")

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# minictr --replicas N: one CLI process (and the same with --other's minictr)
replicas_row() { # minictr label
  local m0 t0 t1 m1 ids tr t2
  m0=$(before_kib); t0=$(now)
  "$1" run -d "${NET[@]}" --replicas "$N" --name rep busybox sleep 600 >/dev/null
  t1=$(now); m1=$(avail_kib)
  ids=$("$1" ps -q) # crun and runc are given names they know: the listing is not timed
  tr=$(now)
  "$1" rm -f $ids >/dev/null
  t2=$(now)
  report "$2" "$t0" "$t1" "$tr" "$t2" "$m0" "$m1"
}
if row replicas; then
  replicas_row bin/minictr "minictr run -d --replicas $N"
  [ -z "$OTHER" ] || replicas_row "$OTHER/bin/minictr" "  the same, $(basename "$OTHER")"
fi

# minictr: a loop of run -d (one CLI process per container)
if row loop; then
m0=$(before_kib); t0=$(now)
for i in $(seq "$N"); do bin/minictr run -d "${NET[@]}" busybox sleep 600 >/dev/null; done
t1=$(now); m1=$(avail_kib)
ids=$(bin/minictr ps -q)
tr=$(now)
bin/minictr rm -f $ids >/dev/null
t2=$(now)
report "minictr run -d (loop)" "$t0" "$t1" "$tr" "$t2" "$m0" "$m1"
fi

# crun and runc: detached containers from one bundle per runtime
for rt in crun runc; do
  row "$rt" || continue
  B=$WORK/bundle-$rt; mkdir -p "$B"; (cd "$B" && runc spec)
  node -e "
    const fs = require('fs'); const f = process.argv[1];
    const s = JSON.parse(fs.readFileSync(f, 'utf8'));
    s.process.args = ['sleep', '600']; s.process.terminal = false;
    s.root = { path: process.argv[2], readonly: true };
    fs.writeFileSync(f, JSON.stringify(s));" "$B/config.json" "$ROOTFS"
  STATE=$WORK/state-$rt
  wrap=(); [ "$rt" = crun ] && [ -d /sys/fs/cgroup/unified ] && wrap=(unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' sh)
  m0=$(before_kib); t0=$(now)
  for i in $(seq "$N"); do "${wrap[@]}" $rt --root "$STATE" run -d --bundle "$B" "$rt-$i" >/dev/null 2>&1 </dev/null; done
  t1=$(now); m1=$(avail_kib); tr=$(now)
  for i in $(seq "$N"); do "${wrap[@]}" $rt --root "$STATE" delete -f "$rt-$i" >/dev/null 2>&1; done
  t2=$(now)
  report "$rt run -d (loop)" "$t0" "$t1" "$tr" "$t2" "$m0" "$m1"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
