#!/usr/bin/env bash
# What the default seccomp filter costs the kernel, libseccomp's program (main's) against the
# short one (native/src/seccomp-short.c), both compiled by this checkout from Docker's profile:
#  - memory: N processes holding each filter (and N holding none), ROUNDS rounds alternating;
#    per process: VmallocUsed, Slab, kmalloc-8k/4k (the kernel's copy of the program);
#  - time: seccomp(SECCOMP_SET_MODE_FILTER) itself, in 50 fresh processes each, alternating;
#    and ns per call of a few syscalls under each filter (and none), 5 processes each, the median.
#   flock /tmp/minictr-fixed-names.lock bench/seccomp-filter.sh [N] [ROUNDS]  (root; defaults 200 3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}; R=${2:-3}
WORK=$(mktemp -d /tmp/minictr-scfilter.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cc -static -O2 -o "$WORK/hold" bench/seccomp-hold.c
PROFILE="const d = await import('$PWD/dist/security/docker-profile.js');
  const { native } = await import('$PWD/dist/native/index.js');
  const caps = ['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD','CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE'];
  const oci = d.toOciSeccomp(d.defaultSeccompProfile(), { capabilities: caps });"
node --input-type=module -e "$PROFILE
  const fs = await import('node:fs');
  fs.writeFileSync('$WORK/libseccomp.bpf', native().compileSeccomp(oci, false));
  fs.writeFileSync('$WORK/short.bpf', native().compileSeccomp(oci));"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $N processes a filter, $R rounds"
echo "instructions: libseccomp $(($(stat -c %s "$WORK/libseccomp.bpf") / 8)), short $(($(stat -c %s "$WORK/short.bpf") / 8))"

snap() { awk '/^(VmallocUsed|Slab):/ {print $1, $2}' /proc/meminfo; awk '$1 ~ /^kmalloc-(4k|8k)$/ {print $1, $2*$4/1024}' /proc/slabinfo; }
for r in $(seq "$R"); do
  for f in none libseccomp short; do
    sync; echo 3 > /proc/sys/vm/drop_caches; sleep 0.5
    a=$(snap); pids=()
    for i in $(seq "$N"); do
      if [ "$f" = none ]; then "$WORK/hold" >/dev/null & else "$WORK/hold" "$WORK/$f.bpf" >/dev/null & fi
      pids+=($!)
    done
    sleep 1; b=$(snap)
    kill "${pids[@]}"; wait 2>/dev/null || true
    echo "round $r, $f: $(paste <(echo "$a") <(echo "$b") | awk -v N="$N" '{printf "%s %.1f  ", $1, ($4-$2)/N}')KiB/process"
  done
done

for f in libseccomp short; do : > "$WORK/$f.us"; done
for i in $(seq 50); do for f in libseccomp short; do "$WORK/hold" "$WORK/$f.bpf" once >> "$WORK/$f.us"; done; done
for f in libseccomp short; do
  echo "$f: seccomp(SECCOMP_SET_MODE_FILTER) $(sort -n "$WORK/$f.us" | awk '{a[NR]=$1} END {printf "median %.0f us, min %.0f (50 processes)", a[int((NR+1)/2)], a[1]}')"
done
for i in 1 2 3 4 5; do for f in none libseccomp short; do
  if [ "$f" = none ]; then "$WORK/hold" none calls; else "$WORK/hold" "$WORK/$f.bpf" calls; fi | tail -n +2 | sed "s/^/$f /"
done; done > "$WORK/calls"
for f in none libseccomp short; do
  line="$f: ns per call, median of 5:"
  for k in 'read(-1)' getpid gettid 'getrandom(0)' 'keyctl(refused)'; do
    line="$line $k $(awk -v f="$f" -v k="$k" '$1 == f && $2 == k {print $3}' "$WORK/calls" | sort -n | sed -n 3p)"
  done
  echo "$line"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
