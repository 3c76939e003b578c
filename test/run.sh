#!/usr/bin/env bash
# `npm test`: the static checks (npm run lint), the unit layer (test/unit/: pure code, no
# root, a few seconds), the host suite (vitest, on this machine's kernel) and the VM suite
# (test/vm/run-vm-tests.sh, the kernel-dependent files again under Debian's kernel with
# cgroup v2 only). The VM is an emulated CPU that keeps one core busy for minutes, so it runs
# while the rest does; its output is shown after the host suite's. Exit status: 0 when all
# passed. Each alone: npm run lint, npm run test:unit, npm run test:host, npm run test:vm.
set -uo pipefail
cd "$(dirname "$0")/.."
vm_log=$(mktemp)
# a process group of its own (job control on), so an interrupted run stops the whole VM suite
# and its QEMU with it
set -m
test/vm/run-vm-tests.sh > "$vm_log" 2>&1 < /dev/null &
vm_pid=$!
set +m
stop_vm() { kill -TERM -- "-$vm_pid" 2>/dev/null; wait "$vm_pid" 2>/dev/null; }
trap 'stop_vm; rm -f "$vm_log"; exit 130' INT TERM
trap 'rm -f "$vm_log"' EXIT

# the static checks (typescript-eslint, import circles, types) and the unit layer cost
# nothing extra here: the VM suite is the longest part of the run
npm run --silent lint
lint_rc=$?
node node_modules/vitest/vitest.mjs run --config test/unit/vitest.config.ts
unit_rc=$?
node node_modules/vitest/vitest.mjs run "$@"
host_rc=$?

echo
echo "==== the VM suite (test/vm/run-vm-tests.sh: Debian's kernel, cgroup v2 only) ===="
tail -n +1 -f "$vm_log" &
tail_pid=$!
wait "$vm_pid"
vm_rc=$?
sleep 0.5; kill "$tail_pid" 2>/dev/null; wait "$tail_pid" 2>/dev/null

left=$(pgrep -a -f 'qemu-system-x86_64 .*minictr-vm\.' || true)
if [ -n "$left" ]; then
  echo "test/run.sh: the suite leaked a VM: $left" >&2
  vm_rc=1
fi
echo "test/run.sh: lint exit $lint_rc, unit layer exit $unit_rc, host suite exit $host_rc, VM suite exit $vm_rc"
[ "$lint_rc" = 0 ] && [ "$unit_rc" = 0 ] && [ "$host_rc" = 0 ] && [ "$vm_rc" = 0 ]
