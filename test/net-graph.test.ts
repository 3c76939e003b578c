/**
 * `minictr net graph`: pictures of topology files, and of the live kernel including objects
 * made by hand with `ip`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minictr, uniq } from './helpers/cli.js';
import { leftovers, sh } from './net-helpers.js';

const ROUTER = join(import.meta.dirname, '../examples/router.yaml');
const out = (name: string): string => join(process.env.MINICTR_TEST_BASE!, name);

describe('net graph', () => {
  it('--live finds a namespace, a veth pair and a bridge made by hand with ip', async () => {
    const p = uniq('g', 5);
    const ns = `${p}ns`;
    try {
      await sh('ip', ['netns', 'add', ns]);
      await sh('ip', ['link', 'add', `${p}br`, 'type', 'bridge']);
      await sh('ip', ['link', 'add', `${p}v1`, 'type', 'veth', 'peer', 'name', `${p}v2`, 'netns', ns]);
      await sh('ip', ['link', 'set', `${p}v1`, 'master', `${p}br`]);
      await sh('ip', ['-n', ns, 'addr', 'add', '10.123.45.6/24', 'dev', `${p}v2`]);
      // A second pair straight from the host namespace into the namespace.
      await sh('ip', ['link', 'add', `${p}h1`, 'type', 'veth', 'peer', 'name', `${p}h2`, 'netns', ns]);

      const dot = await minictr(['net', 'graph', '--live', '-o', out(`${p}.dot`)]);
      expect(dot.exitCode, dot.stderr).toBe(0);
      const text = readFileSync(out(`${p}.dot`), 'utf8');
      expect(text).toContain(`"ns:${ns}" [label="${ns}\\n(namespace)`);
      expect(text).toContain(`${p}v2 10.123.45.6/24`);
      expect(text).toContain(`"br:/${p}br" -- "ns:${ns}" [taillabel="${p}v1", headlabel="${p}v2 10.123.45.6/24"]`);
      expect(text).toContain(`"host" -- "ns:${ns}" [taillabel="${p}h1", headlabel="${p}h2"]`);

      const mmd = await minictr(['net', 'graph', '--live', '-o', out(`${p}.mmd`)]);
      expect(mmd.exitCode).toBe(0);
      expect(readFileSync(out(`${p}.mmd`), 'utf8')).toMatch(new RegExp(`^flowchart LR[\\s\\S]*${p}v1 — ${p}v2 10\\.123\\.45\\.6/24`));

      const svg = await minictr(['net', 'graph', '--live']);
      expect(svg.stdout).toMatch(/^<svg /);
      expect(svg.stdout).toContain(`>${ns}</text>`);
    } finally {
      await sh('ip', ['link', 'del', `${p}v1`]);
      await sh('ip', ['link', 'del', `${p}h1`]);
      await sh('ip', ['link', 'del', `${p}br`]);
      await sh('ip', ['netns', 'del', ns]);
    }
    expect(await leftovers(p)).toEqual([]);
  });

  it('draws a topology file as SVG, DOT and Mermaid without touching the kernel', async () => {
    const svg = await minictr(['net', 'graph', ROUTER, '-o', out('router.svg')]);
    expect(svg.exitCode, svg.stderr).toBe(0);
    const s = readFileSync(out('router.svg'), 'utf8');
    expect(s).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
    expect(s.match(/<line class="cable"/g)).toHaveLength(4);
    expect(s.match(/<g class="node"/g)).toHaveLength(5);
    for (const w of ['h1', 'h2', '>r<', 's1', 'eth1 10.0.2.1/24']) expect(s).toContain(w);
    const dot = await minictr(['net', 'graph', ROUTER, '-f', 'dot']);
    expect(dot.stdout).toContain('"r" -- "s2" [taillabel="eth1", headlabel="s2-r"]');
    const mmd = await minictr(['net', 'graph', ROUTER, '-o', out('router.mmd')]);
    expect(mmd.exitCode).toBe(0);
    expect(readFileSync(out('router.mmd'), 'utf8')).toContain('flowchart LR');
    const bad = await minictr(['net', 'graph', ROUTER, '-o', out('router.png')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('unknown picture format ".png"');
  });
});
