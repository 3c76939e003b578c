/**
 * bin/run-bundle.js ends a command that loaded the addon with its exitNow (_exit) once every
 * 'exit' listener has run, instead of node's teardown (BENCHMARKS.md, "The CLI's own
 * start-up"). What node's exit would have done must still happen: the listeners, the status,
 * an async write in flight finished (exitNow is then not used), and stdio's O_NONBLOCK put back
 * as it was at start (node leaves a pipe it wrote to non-blocking, and a pipe's end is shared
 * with the shell's next command). MINICTR_PROFILE's `exit-now` mark says exitNow was used.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'minictr-unit-exit-now-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** node running body after run-bundle.js's exit hook and the addon's load, under sh (whose
 * `then` runs after node, on the same stdout) */
function exitOf(body: string, then = '') {
  const script = [
    `require(${JSON.stringify(join(repo, 'bin/run-bundle.js'))}).exitWithoutTeardown();`,
    `globalThis[Symbol.for('minictr.native')] = require(${JSON.stringify(join(repo, 'build/Release/minictr_native.node'))});`,
    body,
  ].join('\n');
  const sh = `${JSON.stringify(process.execPath)} -e "$0"; s=$?; ${then} exit $s`;
  return spawnSync('/bin/sh', ['-c', sh, script], { env: { ...process.env, MINICTR_PROFILE: '1' }, encoding: 'utf8' });
}

describe("exitNow after the 'exit' listeners (bin/run-bundle.js)", () => {
  it('keeps the status, process.exitCode set by a listener included, and runs every listener first', () => {
    const p = exitOf("process.on('exit', () => { require('fs').writeSync(1, 'listener ran\\n'); process.exitCode = 9; }); process.exit(7);");
    expect(p.stderr).toMatch(/ exit-now\n/);
    expect(p.stdout).toBe('listener ran\n');
    expect(p.status).toBe(9);
    expect(exitOf('process.exit(7);').status).toBe(7);
  });

  it('is not used while an async write is in flight, which node lets finish', () => {
    const file = join(scratch, 'big');
    const size = 64 * 1024 * 1024;
    // handed to the thread pool, which node's exit joins after its queue (a bare _exit here
    // left 2-4 MB of the 64)
    const p = exitOf(`const fs = require('fs'); fs.write(fs.openSync(${JSON.stringify(file)}, 'w'), Buffer.alloc(${size}, 120), () => {}); process.exit(3);`);
    expect(p.status).toBe(3);
    expect(p.stderr).not.toMatch(/exit-now/);
    expect(statSync(file).size).toBe(size);
  });

  it('gives a pipe that node made non-blocking its blocking mode back', () => {
    // process.stdout on a pipe: node sets O_NONBLOCK on the fd it shares with the shell
    const p = exitOf("process.stdout.write('x\\n'); process.exit(0);", 'grep ^flags: /proc/self/fdinfo/1;');
    expect(p.stderr).toMatch(/ exit-now\n/);
    const flags = /^flags:\s*([0-7]+)$/m.exec(p.stdout);
    expect(flags, p.stdout).not.toBeNull();
    expect(parseInt(flags![1]!, 8) & 0o4000).toBe(0);
  });
});
