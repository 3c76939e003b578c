/**
 * What tells the view that something changed, without polling the kernel:
 *   - minictr-netwatch (native/netwatch/netwatch.c), one small static process: the kernel's
 *     rtnetlink events of the host namespace and of every namespace that has an nsid in it
 *     (NETLINK_LISTEN_ALL_NSID, as `ip monitor all-nsid`), and of each namespace the view names
 *     to it (watch()): the ones with no nsid in the host, whose events the host never hears
 *     (`ip netns add X; ip -n X addr add ...`, a `--network none` container's)
 *   - an OVSDB monitor of the Bridge, Port and Interface tables (network/host/ovsdb.ts):
 *     `ovs-vsctl add-br` / `add-port` by hand; it connects again each second while
 *     ovsdb-server is not running (started after the view, or never: OVS not installed)
 *   - inotify (fs.watch) on /run/netns: `ip netns add` / `del`, by hand or by a lab
 *   - inotify on minictr's state dirs: containers (each one's dir: state.json), lab journals,
 *     network records
 * Each event names what to read again (a namespace, or everything); the caller debounces.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import { NETNS_DIR } from '../network/host/state.js';
import { OvsdbMonitor } from '../network/host/ovsdb.js';
import { netwatchBinaryPath } from '../native/index.js';
import { paths } from '../paths.js';

/** What changed: a named namespace, the host namespace (''), the nsid of one as the host
 * numbers it, a container's namespace (by its pid), or something outside the network (a
 * container, a lab: re-read the lists). */
export type Change = { space: string } | { nsid: number } | { pid: number } | { state: true };

/** One line of minictr-netwatch: a change, or `ready` (the namespaces asked for are heard). */
export type NetwatchLine = { change: Change } | { ready: true } | { failed: string };

const NAMED_PREFIX = `${NETNS_DIR}/`;

/** The path minictr-netwatch opens for a named namespace or a process's. */
export function netnsPath(of: { space: string } | { pid: number }): string {
  return 'space' in of ? NAMED_PREFIX + of.space : `/proc/${of.pid}/ns/net`;
}

export function parseNetwatchLine(line: string): NetwatchLine | undefined {
  if (line === 'ready') return { ready: true };
  if (line === 'host') return { change: { space: '' } };
  let m = /^nsid (\d+)$/.exec(line);
  if (m) return { change: { nsid: Number(m[1]) } };
  m = /^error (\S+) \d+$/.exec(line);
  if (m) return { failed: m[1]! };
  m = /^ns (\S+)$/.exec(line);
  if (!m) return undefined;
  const path = m[1]!;
  if (path.startsWith(NAMED_PREFIX) && !path.slice(NAMED_PREFIX.length).includes('/')) return { change: { space: path.slice(NAMED_PREFIX.length) } };
  const pid = /^\/proc\/(\d+)\/ns\/net$/.exec(path);
  return pid ? { change: { pid: Number(pid[1]) } } : undefined;
}

/** The files of a container's dir whose change is a change of what the page shows. */
const RECORDS = /^(state|config|exit)\.json/;

export class ChangeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private monitor?: ChildProcess;
  private closed = false;
  /** the namespace paths minictr-netwatch listens in */
  private readonly spaces = new Set<string>();
  private readyWaiters: (() => void)[] = [];
  private readonly ovs: OvsdbMonitor;

  constructor(private readonly onChange: (c: Change) => void) {
    // what the picture shows of OVS: bridges and their ports (the ports' names are their interfaces')
    this.ovs = new OvsdbMonitor({ Bridge: ['name', 'ports'], Port: ['name'] }, () => this.onChange({ state: true }));
  }

  /** Watching, from the moment the promise resolves: the first read after it misses nothing. */
  start(): Promise<void> {
    this.refreshWatches();
    this.ovs.start();
    return this.startMonitor();
  }

  private startMonitor(): Promise<void> {
    const child = spawn(netwatchBinaryPath(), [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.monitor = child;
    const ready = this.nextReady();
    let rest = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        const r = parseNetwatchLine(l);
        if (!r) continue;
        if ('change' in r) this.onChange(r.change);
        else if ('ready' in r) this.readyWaiters.splice(0).forEach((w) => w());
        else this.spaces.delete(r.failed); // gone before it was opened: the next read drops it
      }
    });
    child.stdin!.on('error', () => undefined);
    child.on('error', (err) => {
      process.stderr.write(`minictr view: ${netwatchBinaryPath()}: ${err.message} (run npm ci to build it); namespace changes are not heard\n`);
      this.readyWaiters.splice(0).forEach((w) => w());
    });
    child.on('exit', () => {
      this.readyWaiters.splice(0).forEach((w) => w());
      // it does not end on its own; if it is killed, start it again with the same namespaces
      // (and re-read everything: what changed meanwhile was not heard)
      if (this.closed) return;
      setTimeout(() => {
        if (this.closed) return;
        void this.startMonitor().then(() => this.onChange({ state: true }));
      }, 1000).unref();
    });
    if (this.spaces.size) child.stdin!.write([...this.spaces].map((p) => `add ${p}\n`).join(''));
    return ready;
  }

  private nextReady(): Promise<void> {
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Listen in exactly these namespaces (paths from netnsPath) besides the host's. Each socket
   * holds its namespace alive, so one that is deleted must be let go at once (unwatch()).
   */
  listenIn(want: ReadonlySet<string>): void {
    const lines: string[] = [];
    for (const p of this.spaces) if (!want.has(p)) lines.push(`del ${p}`);
    const added = [...want].filter((p) => !this.spaces.has(p));
    lines.push(...added.map((p) => `add ${p}`));
    if (!lines.length) return;
    for (const l of lines) {
      if (l.startsWith('del ')) this.spaces.delete(l.slice(4));
      else this.spaces.add(l.slice(4));
    }
    const ready = this.nextReady();
    this.monitor?.stdin?.write(lines.map((l) => `${l}\n`).join(''));
    // the namespace was read before its socket was bound: what changed in between was not
    // heard, so each one new is read again once the helper listens in it
    if (added.length) {
      void ready.then(() => {
        for (const p of added) {
          const c = this.spaces.has(p) ? parseNetwatchLine(`ns ${p}`) : undefined;
          if (c && 'change' in c) this.onChange(c.change);
        }
      });
    }
  }

  /** Stop listening in one namespace now (it was deleted: our socket must not keep it). */
  private unwatch(path: string): void {
    if (!this.spaces.delete(path)) return;
    this.monitor?.stdin?.write(`del ${path}\n`);
  }

  /** The dirs to watch now: the ones that exist (a missing one is watched for from its parent). */
  private wanted(): Map<string, (file: string | null) => Change | undefined> {
    const want = new Map<string, (file: string | null) => Change | undefined>();
    if (existsSync(NETNS_DIR)) {
      want.set(NETNS_DIR, (f) => {
        if (!f) return { state: true };
        if (!existsSync(netnsPath({ space: f }))) this.unwatch(netnsPath({ space: f }));
        return { space: f };
      });
    }
    else want.set(dirname(NETNS_DIR), () => ({ state: true }));
    for (const dir of [paths.containers(), paths.net(), paths.runContainers(), paths.networks()]) {
      if (existsSync(dir)) want.set(dir, () => ({ state: true }));
      else if (existsSync(dirname(dir))) want.set(dirname(dir), () => ({ state: true }));
    }
    // each container's own dir: its state.json is rewritten when it starts, stops or pauses
    // (its log, written as the container prints, is no change of the picture)
    const containers = paths.containers();
    if (existsSync(containers)) {
      for (const e of readdirSync(containers)) if (!e.startsWith('.')) want.set(join(containers, e), (f) => (f && !RECORDS.test(f) ? undefined : { state: true }));
    }
    return want;
  }

  /** Watch what exists now and stop watching what went; called after each re-read. */
  refreshWatches(): void {
    if (this.closed) return;
    const want = this.wanted();
    for (const [dir, w] of this.watchers) {
      if (!want.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const [dir, change] of want) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (_event, file) => {
          const c = change(file === null ? null : String(file));
          if (c) this.onChange(c);
        });
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
          this.onChange({ state: true });
        });
        this.watchers.set(dir, w);
      } catch {
        /* gone meanwhile: the next refresh sees it */
      }
    }
  }

  close(): void {
    this.closed = true;
    this.ovs.close();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.monitor?.stdin?.end();
    this.monitor?.kill('SIGTERM');
  }
}
