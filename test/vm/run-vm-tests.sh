#!/usr/bin/env bash
# The VM suite: the test files this host's kernel cannot run, under Debian's kernel in a QEMU
# guest (test/vm/vm.sh): the cgroup tests with cgroup v2 only (clone3 CLONE_INTO_CGROUP,
# subtree_control, cgroup.freeze, memory.events), so the v2 code path is tested for real on
# a hybrid or v1 host, the netem link delay (this host's kernel has no netem), and the lab
# across machines with Open vSwitch on the kernel datapath and GRE (this host has neither).
# A file belongs here when its result depends on the kernel; it runs on the host too.
# Needs root, a build (npm ci) and what vm.sh names (scripts/setup.sh installs it all).
#   test/vm/run-vm-tests.sh [vitest args]      exit status: vitest's
set -euo pipefail
cd "$(dirname "$0")/../.."
# test/userns.test.ts (idmapped overlay layers) passes under Debian's 6.1 too, but takes 5-7 min
# under TCG, so it is not listed; run it there by hand when idmap.c changes:
#   test/vm/vm.sh --rw "$PWD" -- env MINICTR_TEST_TMP=/run/tmp node node_modules/vitest/vitest.mjs run --testTimeout 180000 test/userns.test.ts
VM_TESTS=(test/cgroup-enforce.test.ts test/cgroup-limits.test.ts test/cgroup-devices.test.ts test/net-delay.test.ts test/net-tunnels-ovs.test.ts)
[ -f build/Release/minictr_native.node ] && [ -f dist/bundle/main.cjs ] ||
  { echo "run-vm-tests: build first (npm ci)" >&2; exit 2; }
# Under emulation (TCG) everything runs ~10-25x slower: hence the long test timeout. vitest runs
# without npx (npm's own start-up costs ~20 s there). The test state lives on the guest's tmpfs
# /run/tmp: overlayfs cannot take the guest's overlay root as an upper dir.
cmd=(env MINICTR_TEST_TMP=/run/tmp node node_modules/vitest/vitest.mjs run --testTimeout 180000 "${VM_TESTS[@]}" "$@")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# ip_gre before the suite starts: loading it makes gre0, gretap0 and erspan0 in every namespace,
# which the suite's leak check would otherwise count as made by a test
run() { test/vm/vm.sh -m "${VM_MEMORY_MB:-2048}" -c "${VM_CPUS:-1}" --modprobe sch_netem,ip_gre --rw "$PWD" -- "${cmd[@]}" 2>&1 | tee "$log"; return "${PIPESTATUS[0]}"; }
# Node itself crashing under emulation (SIGILL, or a wasm "unreachable" trap in vitest's bundler)
# is not a test failure: it is told apart by its signature and retried, at most twice.
set +e
run; rc=$?
for attempt in 2 3; do
  [ "$rc" -ne 0 ] && grep -qE 'Illegal instruction|SIGILL|RuntimeError: unreachable' "$log" || break
  echo "run-vm-tests: node crashed under emulation, not a test failure; attempt $attempt of 3" >&2
  run; rc=$?
done
exit "$rc"
