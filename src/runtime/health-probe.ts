/**
 * `minictr health-probe ID` (hidden): one health check, run by minictr-monitor every
 * interval while the container runs (native/monitor/monitor.c). The monitor keeps the
 * timer and runs one probe at a time, so this is the only writer of health.json: the check
 * runs in the container as `minictr exec` runs a command (same namespaces, cgroup, user),
 * with its output in a file and its timeout, and the result goes into State.Health by
 * Docker's rules (healthcheck.ts applyProbe).
 */
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonFileSync } from '../util/json-file.js';
import { execInContainer } from './exec.js';
import { applyProbe, healthArgv, healthTiming, INITIAL_HEALTH, MAX_OUTPUT } from './healthcheck.js';
import { findContainer, healthFile, isRunning, readHealth } from './store.js';

export async function probeHealth(id: string): Promise<void> {
  const c = findContainer(id);
  const hc = c.config.healthcheck;
  if (!hc || !isRunning(c)) return;
  const { timeoutMs } = healthTiming(hc);
  const outPath = join(c.dir, 'health-output');
  const out = openSync(outPath, 'w+', 0o600);
  const start = new Date();
  let exitCode: number;
  let output: string;
  try {
    exitCode = await execInContainer(id, healthArgv(hc), { interactive: false, tty: false, env: [], explain: false, output: out, timeoutMs });
    output = readFileSync(outPath, 'utf8').slice(0, MAX_OUTPUT);
    if (exitCode === -1) output = `Health check exceeded timeout (${timeoutMs < 1000 ? `${timeoutMs}ms` : `${timeoutMs / 1000}s`})`;
  } catch (err) {
    // the check could not start (no such command, the container just exited): a failure
    exitCode = 1;
    output = err instanceof Error ? err.message : String(err);
  } finally {
    closeSync(out);
    rmSync(outPath, { force: true });
  }
  const result = { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: exitCode, Output: output };
  const now = findContainer(id);
  if (!isRunning(now) || now.state.pid !== c.state.pid) return; // another run's record by now
  writeJsonFileSync(healthFile(c.dir), applyProbe(readHealth(now) ?? INITIAL_HEALTH, result, hc, Date.parse(now.state.startedAt ?? start.toISOString())));
}
