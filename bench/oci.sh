#!/usr/bin/env bash
# minictr-oci against runc and crun on one bundle, side by side (hyperfine):
#   `run` of a container that runs `true` (create + start + wait + delete)
#   `state` and `kill ID SIGCONT` of a running container, `delete` of a created one: what
#   engines call most often, beside `node -e 0` (the floor of any Node program)
#   podman run --rm with --runtime minictr-oci, runc and crun (crun where it accepts the host)
# Run as root from the repository: bench/oci.sh [--runs N] [--other DIR] [--export-markdown FILE]
#   --other DIR   the minictr-oci rows for another checkout too (DIR/bin/minictr-oci, built):
#                 before and after in one run
# NODE_EXTRA_CA_CERTS is unset: with it node parses every certificate of the bundle it names
# at start-up (~400 M instructions, ~50 ms, for Debian's ca-certificates), in `node -e 0` too;
# engines start their runtime without it (conmon keeps almost no environment).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
unset NODE_EXTRA_CA_CERTS
RUNS=30
OTHER=
HF_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2;;
    --other) OTHER=$(cd "$2" && pwd)/bin/minictr-oci; shift 2;;
    *) HF_ARGS+=("$1"); shift;;
  esac
done
[ -f dist/bundle/oci-main.cjs ] || npm run build >/dev/null

WORK=$(mktemp -d /tmp/minictr-bench.XXXXXX)
OCI="$PWD/bin/minictr-oci"
PODMAN=(podman --root "$WORK/pm/root" --runroot "$WORK/pm/run" --tmpdir "$WORK/pm/tmp" --storage-driver overlay
        --cgroup-manager cgroupfs --events-backend file)
# under set -e a failing delete (a container that is not there) would end the trap before
# the rest of the cleanup: each step may fail
cleanup() {
  for r in "$WORK/oci" "$WORK/oci-other" "$WORK/runc" "$WORK/crun"; do
    for id in long-m long-r del-m del-r; do
      "$OCI" --root "$r" delete -f "$id" >/dev/null 2>&1 || true
      [ -z "$OTHER" ] || "$OTHER" --root "$r" delete -f "$id" >/dev/null 2>&1 || true
      runc --root "$r" delete -f "$id" >/dev/null 2>&1 || true
    done
  done
  "${PODMAN[@]}" rm -af >/dev/null 2>&1 || true
  "${PODMAN[@]}" system reset -f >/dev/null 2>&1 || true
  umount -R "$WORK/pm" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# a busybox rootfs and runc's default spec for it, with `true` and no terminal
ROOTFS=$WORK/rootfs
mkdir -p "$ROOTFS/bin" && cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
# relative links: `busybox --install -s` would point them at the host's path of this copy
for a in $(busybox --list); do [ "$a" = busybox ] || ln -s busybox "$ROOTFS/bin/$a"; done
mkdir -p "$ROOTFS"/{proc,sys,dev,etc,tmp}
spec() { # $1: bundle dir, $2: command
  mkdir -p "$1" && (cd "$1" && runc spec)
  node -e "
    const fs = require('fs'); const f = process.argv[1];
    const s = JSON.parse(fs.readFileSync(f, 'utf8'));
    s.process.args = process.argv[3].split(' '); s.process.terminal = false;
    s.root = { path: process.argv[2], readonly: true };
    fs.writeFileSync(f, JSON.stringify(s, null, 2));" "$1/config.json" "$ROOTFS" "$2"
}
spec "$WORK/true" true
spec "$WORK/sleep" 'sleep 3600'
# crun refuses a hybrid host's empty cgroup2 mount: hide it in a private mount namespace
CRUN="unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun \"\$@\"' crun"

echo "## run (create + start + wait + delete) of \`true\`"
hyperfine -N --warmup 3 --runs "$RUNS" "${HF_ARGS[@]}" \
  "$OCI --root $WORK/oci run --bundle $WORK/true bench-m" \
  "runc --root $WORK/runc run --bundle $WORK/true bench-r" \
  "$CRUN --root $WORK/crun run --bundle $WORK/true bench-c" \
  "node -e 0" 2>/dev/null || true

echo "## state and kill of a running container, delete of a created one"
ocis=("$OCI")
[ -z "$OTHER" ] || ocis+=("$OTHER")
verbs=()
for o in "${ocis[@]}"; do
  r=$WORK/oci; [ "$o" = "$OCI" ] || r=$WORK/oci-other
  "$o" --root "$r" create --bundle "$WORK/sleep" long-m </dev/null >/dev/null 2>&1 && "$o" --root "$r" start long-m
  verbs+=("$o --root $r state long-m" "$o --root $r kill long-m SIGCONT")
done
runc --root "$WORK/runc" create --bundle "$WORK/sleep" long-r </dev/null >/dev/null 2>&1 && runc --root "$WORK/runc" start long-r
load_average
hyperfine -N --warmup 3 --runs "$RUNS" "${HF_ARGS[@]}" "${verbs[@]}" \
  "runc --root $WORK/runc state long-r" \
  "runc --root $WORK/runc kill long-r SIGCONT" \
  "node -e 0" 2>/dev/null || true
# delete: each run removes a container created (not started) by --prepare
dels=()
for o in "${ocis[@]}"; do
  r=$WORK/oci; [ "$o" = "$OCI" ] || r=$WORK/oci-other
  dels+=(--prepare "$o --root $r create --bundle $WORK/sleep del-m" "$o --root $r delete del-m")
done
load_average
hyperfine -N --warmup 3 --runs "$RUNS" "${HF_ARGS[@]}" "${dels[@]}" \
  --prepare "runc --root $WORK/runc create --bundle $WORK/sleep del-r" "runc --root $WORK/runc delete del-r" \
  --prepare true "node -e 0" 2>/dev/null || true

echo "## podman run --rm"
tar -C "$ROOTFS" -c . | "${PODMAN[@]}" import - localhost/bench:1 >/dev/null
prun() { echo "${PODMAN[*]} --runtime $1 run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 localhost/bench:1 true"; }
cmds=("$(prun "$OCI")" "$(prun /usr/sbin/runc)")
# crun only where it accepts the host's cgroups (not on this hybrid one)
if "${PODMAN[@]}" --runtime /usr/bin/crun run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 localhost/bench:1 true >/dev/null 2>&1; then
  cmds+=("$(prun /usr/bin/crun)")
else
  echo "(podman --runtime crun fails on this host: crun refuses its hybrid cgroups)"
fi
hyperfine --warmup 2 --runs "$(( RUNS / 3 > 5 ? RUNS / 3 : 5 ))" "${HF_ARGS[@]}" "${cmds[@]}" 2>/dev/null || true
