#!/usr/bin/env bash
# Start-up cost of one container, side by side in one hyperfine run:
#   minictr run --rm --network none busybox true (what runc and crun do with their default spec)
#   the same with --security-opt seccomp=unconfined (what Docker's seccomp filter costs: the
#     profile converted and compiled with libseccomp, and loaded by the child)
#   minictr run --rm --network bridge busybox true (the default: + veth, address, NAT)
#   minictr run --rm --network none -m 64m --cpus 0.5 --pids-limit 100 (+ cgroup limits)
#   runc run / crun run on the same busybox rootfs
#   unshare ... chroot ROOTFS true (namespaces alone, no runtime)
#   node -e 0 (the floor of any Node CLI)
# Run as root from the repository: bench/run.sh [--runs N] [--other DIR] [--export-markdown FILE]
#   --other DIR   the --network none and bridge rows for another checkout too (DIR/bin/minictr,
#                 built), with its own state dirs and bridge, in the same hyperfine run
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=30
OTHER=
HF_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2;;
    --other) OTHER=$(cd "$2" && pwd)/bin/minictr; shift 2;;
    *) HF_ARGS+=("$1"); shift;;
  esac
done

WORK=$(mktemp -d /tmp/minictr-bench.XXXXXX)
export MINICTR_ROOT=$WORK/lib MINICTR_RUN=$WORK/run
# BENCH_SUBNET: another one when a second bench runs on the same machine
export MINICTR_BRIDGE_NAME=mbench$$ MINICTR_BRIDGE_SUBNET=${BENCH_SUBNET:-10.87.0.0/16}
# the other checkout: its own state dirs and bridge (another subnet), so neither sees the other's
OTHER_ENV="env MINICTR_ROOT=$WORK/other-lib MINICTR_RUN=$WORK/other-run MINICTR_BRIDGE_NAME=mbencho$$ MINICTR_BRIDGE_SUBNET=${BENCH_OTHER_SUBNET:-10.88.0.0/16}"
cleanup() {
  bin/minictr network rm -f bridge >/dev/null 2>&1 || true
  [ -z "$OTHER" ] || $OTHER_ENV "$OTHER" network rm -f bridge >/dev/null 2>&1 || true
  for id in $(ls "$WORK/bundle-state" 2>/dev/null); do runc --root "$WORK/bundle-state" delete -f "$id" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# the busybox image's rootfs, as minictr stores it (built on first use)
bin/minictr run --rm busybox true
ROOTFS=$(node --input-type=module -e "
  const r = await import('./dist/image/resolve.js');
  const s = await import('./dist/image/store.js');
  console.log(s.layerDirs(await r.resolveImage('busybox')).at(-1));")

# an OCI bundle on the same rootfs for runc and crun (their default spec, command 'true')
BUNDLE=$WORK/bundle
make_runc_bundle "$BUNDLE" "$ROOTFS"

cmds=(
  "bin/minictr run --rm --network none busybox true"
  "bin/minictr run --rm --network none --security-opt seccomp=unconfined busybox true"
  "bin/minictr run --rm --network bridge busybox true"
  "bin/minictr run --rm --network none -m 64m --cpus 0.5 --pids-limit 100 busybox true"
  "runc --root $WORK/runc-state run --bundle $BUNDLE bench-runc"
  # crun refuses a hybrid host's empty cgroup2 mount: hide it in a private mount namespace
  "unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root $WORK/crun-state run --bundle $BUNDLE bench-crun'"
  "unshare --pid --fork --mount --uts --ipc --net --mount-proc chroot $ROOTFS true"
  "node -e 0"
)
if [ -n "$OTHER" ]; then
  $OTHER_ENV "$OTHER" run --rm busybox true
  cmds+=("$OTHER_ENV $OTHER run --rm --network none busybox true" "$OTHER_ENV $OTHER run --rm --network bridge busybox true")
fi
load_average
hyperfine -N --warmup 3 --runs "$RUNS" "${HF_ARGS[@]}" "${cmds[@]}" 2>/dev/null || \
  hyperfine --warmup 3 --runs "$RUNS" "${HF_ARGS[@]}" "${cmds[@]}"
load_average
