#!/usr/bin/env bash
# What the device allowlist costs at start-up: Docker's default rules (src/cgroup/devices.ts
# DEFAULT_DEVICE_RULES) made a fresh cgroup's allowlist N times, in-process, the way every
# `minictr run` does it: on the v1 devices controller (devices.deny "a", then one
# devices.allow write per rule) and, on the same host's cgroup2 mount, as the eBPF program
# (BPF_PROG_TYPE_CGROUP_DEVICE, built and attached by the addon) that cgroup v2 hosts get.
# Each cgroup is minictr's own (minictr/bench-devices-*) and removed again.
# Run as root from the repository after npm ci: bench/devices.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
node --input-type=module -e "
  const { createCgroup, removeCgroup } = await import('./dist/cgroup/cgroup.js');
  const { applyDeviceRules, DEFAULT_DEVICE_RULES, devicesV1Root } = await import('./dist/cgroup/devices.js');
  const { silent } = await import('./dist/util/explain.js');
  const N = Number(process.argv[1]);
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const measure = async (label, targetOf) => {
    const times = [];
    for (let i = 0; i < N; i++) {
      const name = 'minictr/bench-devices-' + process.pid + '-' + i;
      const cg = createCgroup(name, silent);
      try {
        const target = targetOf(cg);
        if (!target) return console.log(label + ': not on this host');
        const t0 = process.hrtime.bigint();
        const r = applyDeviceRules(target, DEFAULT_DEVICE_RULES);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (i === 0) console.log(label + ': ' + (r.via === 'v1' ? r.writes.length + ' writes' : r.instructions + ' BPF instructions'));
      } finally {
        cg.release();
        await removeCgroup(name);
      }
    }
    console.log('  median ' + median(times).toFixed(3) + ' ms, min ' + Math.min(...times).toFixed(3) + ' ms over ' + N);
  };
  const v1 = devicesV1Root();
  await measure('v1 devices controller', (cg) => v1 && { v1Dir: v1 + '/' + cg.paths.name });
  await measure('cgroup2 eBPF device program', (cg) => cg.v2Path && { v2Dir: cg.v2Path });
" "$N"
