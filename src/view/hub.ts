/**
 * The view's state: the last snapshot, re-read when watch.ts reports a change (debounced, one
 * read at a time, only the namespaces and containers that changed) and pushed to every open
 * page. With no page open nothing is read; with nothing changing nothing runs. A container's
 * cgroup usage changes all the time: it is not in the snapshot, but read when a page shows
 * that container (usage()).
 */
import type { Container } from '../runtime/store.js';
import { usageDetails } from './describe.js';
import { placeGraph, diffIds, type ViewSnapshot } from './model.js';
import { CachedReader, ContainerFactsCache, ContainerNetReader, containerUsage, netnsUnseenFromHost, readLive } from './snapshot.js';
import { ChangeWatcher, netnsPath, type Change } from './watch.js';
import { namedNamespaces } from '../network/host/state.js';

/** Events closer than this are read once: `net up` of a lab is hundreds of kernel events. */
const DEBOUNCE_MS = 120;
/** At most one read per this long while changes keep coming (a busy machine sends hundreds
 * of link and address events a second): a change is still on the page within a second. */
const MIN_GAP_MS = 500;

export type Push = { event: 'snapshot'; data: ViewSnapshot };
export type Listener = (p: Push) => void;

export class ViewHub {
  private readonly reader = new CachedReader();
  private readonly facts = new ContainerFactsCache();
  private readonly nets = new ContainerNetReader();
  private readonly watcher = new ChangeWatcher((c) => this.changed(c));
  private readonly listeners = new Set<Listener>();
  private readonly pendingNsids = new Set<number>();
  private snapshot?: ViewSnapshot;
  private reading?: Promise<ViewSnapshot>;
  private dirty = true;
  private timer?: NodeJS.Timeout;
  private version = 0;
  private lastRead = 0;
  private running: Container[] = [];

  constructor(private readonly planned?: ViewSnapshot['planned']) {}

  start(): void {
    // listening first, then the first read: nothing that changes between the two is missed
    // (the first read of a big lab takes seconds, one ip per namespace: done before a page asks)
    void this.watcher
      .start()
      .then(() => this.read())
      .catch(() => undefined);
  }

  close(): void {
    this.watcher.close();
    clearTimeout(this.timer);
  }

  /** The current snapshot (read now if something changed since the last one). */
  async current(): Promise<ViewSnapshot> {
    if (!this.dirty && this.snapshot) return this.snapshot;
    return this.read();
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private changed(c: Change): void {
    if ('space' in c) this.reader.invalidate(c.space);
    else if ('nsid' in c) this.pendingNsids.add(c.nsid);
    else if ('pid' in c) this.nets.invalidate(c.pid);
    this.dirty = true;
    if (!this.listeners.size || this.timer) return;
    const wait = Math.max(DEBOUNCE_MS, this.lastRead + MIN_GAP_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.read().catch((err: unknown) => {
        // say so where the view was started, and try again: the page keeps the last picture
        process.stderr.write(`minictr view: reading what the kernel has failed (${(err as Error).message.split('\n')[0]}); trying again\n`);
        this.changed({ state: true });
      });
    }, wait);
  }

  private read(): Promise<ViewSnapshot> {
    if (this.reading) {
      // one read at a time; a change during it is read right after
      return this.reading.then(() => (this.dirty ? this.read() : this.snapshot!));
    }
    this.reading = this.readOnce().finally(() => {
      this.reading = undefined;
      this.lastRead = Date.now();
    });
    return this.reading;
  }

  private async readOnce(): Promise<ViewSnapshot> {
    this.dirty = false;
    try {
      return await this.readNow();
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }

  private async readNow(): Promise<ViewSnapshot> {
    if (this.pendingNsids.size) {
      // an event from a namespace the host numbers: which name that is, from the host's list;
      // an nsid the last list lacks is a new one: the host's list is read again (one ip), not
      // every namespace (at 200 namespaces that was seconds for a first `ip netns add`)
      let names = await this.reader.hostNsids();
      if ([...this.pendingNsids].some((id) => !names.has(id))) {
        this.reader.invalidate('');
        names = await this.reader.hostNsids();
      }
      // still unknown: an unnamed namespace (a container's on a bridge), whose host end is
      // the host's own event
      for (const id of this.pendingNsids) {
        const name = names.get(id);
        if (name !== undefined) this.reader.invalidate(name);
      }
      this.pendingNsids.clear();
    }
    const live = await readLive(this.reader, this.facts, this.nets);
    this.running = live.running;
    this.watcher.refreshWatches();
    this.watcher.listenIn(await this.unnumbered());
    const ids = new Set(live.objects.map((o) => o.id));
    const { appeared, gone } = diffIds(this.snapshot ? new Set(this.snapshot.objects.map((o) => o.id)) : undefined, ids);
    const same = this.snapshot && !appeared.length && !gone.length && JSON.stringify(this.snapshot.objects) === JSON.stringify(live.objects);
    if (same) return this.snapshot!;
    this.snapshot = { version: ++this.version, at: new Date().toISOString(), live: placeGraph(live.graph), objects: live.objects, appeared, gone, planned: this.planned };
    for (const l of this.listeners) l({ event: 'snapshot', data: this.snapshot });
    return this.snapshot;
  }

  /**
   * The namespaces whose events the host does not hear: named ones with no nsid in the host,
   * and the namespaces of containers with no veth to the host (--network none, or sharing
   * one of those). minictr-netwatch listens in these.
   */
  private async unnumbered(): Promise<Set<string>> {
    const numbered = new Set((await this.reader.hostNsids()).values());
    const want = new Set<string>();
    // a name is one line of the helper's input: printable, no space (`ip netns add` allows more)
    for (const space of namedNamespaces()) if (!numbered.has(space) && /^[!-~]+$/.test(space)) want.add(netnsPath({ space }));
    for (const c of this.running) if (c.state.pid && netnsUnseenFromHost(c)) want.add(netnsPath({ pid: c.state.pid }));
    return want;
  }

  /** A running container's usage lines, by its object id (undefined: not a running one). */
  usage(objectId: string): string[] | undefined {
    const c = this.running.find((x) => `container:${x.config.id}` === objectId);
    return c ? usageDetails(containerUsage(c)) : undefined;
  }
}
