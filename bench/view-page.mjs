// Drives the live view's page in headless chromium for bench/view.sh: how long the first
// full picture takes, how smooth panning and zooming is (frame times from requestAnimationFrame),
// and how long a namespace made with `ip netns add` takes to appear and to be marked gone, an
// address added inside a namespace the host has no nsid for, and an OVS bridge made by `ovs-vsctl add-br`.
//   node bench/view-page.mjs URL MIN_OBJECTS
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, minObjects = '1'] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'minictr-view-bench-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1600, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await ctx.newPage();
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction((n) => document.querySelectorAll('#lists li').length >= n, Number(minObjects), { timeout: 120_000, polling: 100 });
  const firstDraw = Date.now() - t0;
  const count = await page.locator('#lists li').count();

  // 4 s of continuous pan and zoom, one step per frame: the frame times the page achieves
  const frames = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const cy = window.minictrCy;
        const times = [];
        let last = performance.now();
        const start = last;
        const step = (now) => {
          times.push(now - last);
          last = now;
          const t = (now - start) / 1000;
          cy.panBy({ x: Math.sin(t * 3) * 8, y: Math.cos(t * 2) * 5 });
          cy.zoom({ level: cy.zoom() * (1 + Math.sin(t * 4) * 0.01), renderedPosition: { x: 800, y: 450 } });
          if (now - start < 4000) requestAnimationFrame(step);
          else resolve(times.slice(1));
        };
        requestAnimationFrame(step);
      }),
  );
  const sorted = [...frames].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

  const result = { objects: count, firstDrawMs: firstDraw, frames: frames.length, fps: +(frames.length / 4).toFixed(1), frameMs: { median: +pct(0.5).toFixed(1), p95: +pct(0.95).toFixed(1), max: +sorted.at(-1).toFixed(1) } };
  console.log(JSON.stringify(result));

  const ns = `vbench${process.pid}`;
  try {
    for (let i = 0; i < 3; i++) {
      const a0 = Date.now();
      execFileSync('ip', ['netns', 'add', ns]);
      await page.locator(`#lists li[data-id="ns:${ns}"]`).waitFor({ timeout: 60_000 });
      const appeared = Date.now() - a0;
      const d0 = Date.now();
      execFileSync('ip', ['netns', 'del', ns]);
      await page.waitForFunction((id) => document.querySelector(`#lists li[data-id="${id}"]`)?.dataset.state === 'gone', `ns:${ns}`, { timeout: 60_000, polling: 50 });
      console.log(JSON.stringify({ netnsAddSeenMs: appeared, netnsDelSeenMs: Date.now() - d0 }));
      // its ghost goes after a few seconds; the next round adds it again
      await page.locator(`#lists li[data-id="ns:${ns}"]`).waitFor({ state: 'detached', timeout: 60_000 });
    }
    // a change inside a namespace the host has no nsid for (minictr-netwatch's socket in it)
    execFileSync('ip', ['netns', 'add', ns]);
    // clicked from the page itself: on a busy machine the list is redrawn faster than a
    // locator's click waits for it to hold still
    await page.waitForFunction((id) => {
      const li = document.querySelector(`#lists li[data-id="${id}"]`);
      li?.click();
      return !!li;
    }, `ns:${ns}`, { timeout: 60_000, polling: 50 });
    execFileSync('ip', ['-n', ns, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0']);
    for (let i = 0; i < 3; i++) {
      const addr = `10.215.${i}.1/24`;
      const c0 = Date.now();
      execFileSync('ip', ['-n', ns, 'addr', 'add', addr, 'dev', 'a0']);
      // the interface's line lists every address it has: this round's is the new one
      await page.waitForFunction((a) => document.querySelector('#details')?.innerText.includes(a), addr, { timeout: 60_000, polling: 50 });
      console.log(JSON.stringify({ nsidLessChangeSeenMs: Date.now() - c0 }));
    }
    execFileSync('ip', ['netns', 'del', ns]);
    // an OVS bridge made by hand (the OVSDB monitor), when OVS runs
    let ovs = false;
    try {
      execFileSync('ovs-vsctl', ['--timeout=2', 'show'], { stdio: 'ignore' });
      ovs = true;
    } catch {}
    for (let i = 0; ovs && i < 3; i++) {
      const o0 = Date.now();
      execFileSync('ovs-vsctl', ['--timeout=10', 'add-br', ns, '--', 'set', 'bridge', ns, 'datapath_type=netdev']);
      await page.locator(`#lists li[data-id="ovs:${ns}"]`).waitFor({ timeout: 60_000 });
      console.log(JSON.stringify({ ovsAddBrSeenMs: Date.now() - o0 }));
      execFileSync('ovs-vsctl', ['--timeout=10', 'del-br', ns]);
      await page.locator(`#lists li[data-id="ovs:${ns}"]`).waitFor({ state: 'detached', timeout: 60_000 });
    }
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {}
    try {
      execFileSync('ovs-vsctl', ['--timeout=10', '--if-exists', 'del-br', ns], { stdio: 'ignore' });
    } catch {}
  }
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
