#!/usr/bin/env bash
# `npm test`: the host suite (vitest, on this machine's kernel, after the unit layer of
# test/unit/) and the VM suite (test/vm/run-vm-tests.sh, the kernel-dependent files again under
# Debian's kernel with cgroup v2 only) side by side. The VM is an emulated CPU that keeps one
# core busy for minutes, so it runs while the host suite does; its output is shown after the
# host suite's. Exit status: 0 when both passed. Either one alone: npm run test:host, npm run
# test:vm; the unit layer alone: npm run test:unit.
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

# the unit layer first (test/unit/: pure code, no root, a few seconds); the host suite's files
# ("$@": vitest args, e.g. a file filter) only when it passed, as `npm run test:host` does
node node_modules/vitest/vitest.mjs run --config test/unit/vitest.config.ts
unit_rc=$?
host_rc=$unit_rc
if [ "$unit_rc" = 0 ]; then
  node node_modules/vitest/vitest.mjs run "$@"
  host_rc=$?
else
  echo "test/run.sh: the unit layer failed (exit $unit_rc): the host suite was not run" >&2
fi

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
echo "test/run.sh: host suite exit $host_rc (unit layer exit $unit_rc), VM suite exit $vm_rc"
[ "$host_rc" = 0 ] && [ "$vm_rc" = 0 ]
