#!/usr/bin/env bash
# The tests this host's kernel cannot run, under Debian's kernel in a VM: the cgroup tests
# (test/cgroup-*.test.ts) with cgroup v2 only, and the netem delay test of the network lab
# (this host's kernel has no netem qdisc). Debian's kernel
# boots under QEMU on this machine's own userland (../shared/vm/cgroup2-vm.sh, beside every
# clone of the project, CI's included; CGROUP2_VM names another copy) and runs vitest there, so the v2 code path (clone3
# CLONE_INTO_CGROUP, subtree_control, cgroup.freeze, memory.events) is tested for real even
# on a hybrid or v1 host. Needs root, a build (npm ci / npm run build) and:
#   apt-get install qemu-system-x86 linux-image-amd64 cpio busybox-static
# Usage: test/vm/run-vm-tests.sh      (exit status: vitest's)
set -euo pipefail
cd "$(dirname "$0")/../.."
VM=${CGROUP2_VM:-../shared/vm/cgroup2-vm.sh}
[ -x "$VM" ] || { echo "run-vm-tests: no VM script at $VM (set CGROUP2_VM)" >&2; exit 2; }
for tool in qemu-system-x86_64 cpio; do
  command -v "$tool" >/dev/null || { echo "run-vm-tests: $tool is missing: apt-get install qemu-system-x86 linux-image-amd64 cpio busybox-static" >&2; exit 2; }
done
[ -f build/Release/minictr_native.node ] && [ -f dist/bundle/main.js ] || { echo "run-vm-tests: build first (npm ci)" >&2; exit 2; }
# the guest's / is the host's, read-only with a tmpfs overlay; overlayfs cannot use that
# overlay as an upper dir, so the tests keep their state on the guest's tmpfs /run/tmp.
# QEMU without KVM (TCG) runs everything ~3-10x slower: hence the longer test timeout.
# Emulated CPUs (TCG, -cpu max, several vCPUs in threads) now and then crash node itself
# (SIGILL, or a wasm "unreachable" trap in vitest's bundler) before a test file even loads.
# One vCPU makes that rarer; such a crash is retried, up to twice.
TESTS='npx vitest run --testTimeout 180000 test/cgroup- && npx vitest run --testTimeout 180000 test/net-topology.test.ts -t "ms delay on a link"'
run() { "$VM" -m "${VM_MEMORY_MB:-2048}" -c "${VM_CPUS:-1}" --rw "$PWD" -- env MINICTR_TEST_TMP=/run/tmp sh -c "$TESTS"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
run 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
for attempt in 2 3; do
  [ "$rc" -ne 0 ] && grep -qE 'Illegal instruction|Error: unreachable|SIGILL' "$log" || break
  echo "run-vm-tests: node crashed under emulation (not a test failure): attempt $attempt" >&2
  run 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
done
exit "$rc"
