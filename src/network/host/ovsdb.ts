/**
 * A small OVSDB client (RFC 7047: JSON-RPC 1.0 over ovsdb-server's unix socket): one
 * request/answer (transact: the bridge listing in ovs.ts) and a monitor (the live view hears
 * `ovs-vsctl add-br` by hand). One client for both, so there is one framing and one socket path.
 * OVSDB sends JSON objects back to back with no delimiter: JsonFramer cuts them apart.
 */
import { connect, type Socket } from 'node:net';

export const OVSDB_SOCKET = '/var/run/openvswitch/db.sock';

/** The OVS database: minictr only reads Open_vSwitch's tables. */
const DB = 'Open_vSwitch';

export interface JsonRpcMessage {
  id?: unknown;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: unknown;
}

/**
 * Cuts a byte stream of back-to-back JSON texts into messages: counts brackets outside
 * strings (with their escapes), so a `}` inside a bridge's name does not end a message.
 */
export class JsonFramer {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** how far buf has been scanned */
  private scanned = 0;

  /** At most this much of one message is kept (a database dump of a big switch is far less). */
  constructor(private readonly maxBytes = 16 << 20) {}

  push(chunk: string): JsonRpcMessage[] {
    this.buf += chunk;
    const out: JsonRpcMessage[] = [];
    let start = 0;
    for (let i = this.scanned; i < this.buf.length; i++) {
      const ch = this.buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
      } else if (ch === '"') this.inString = true;
      else if (ch === '{' || ch === '[') this.depth++;
      else if (ch === '}' || ch === ']') {
        if (--this.depth === 0) {
          out.push(JSON.parse(this.buf.slice(start, i + 1)) as JsonRpcMessage);
          start = i + 1;
        } else if (this.depth < 0) throw new Error('ovsdb: unbalanced JSON from the server');
      } else if (this.depth === 0 && !/\s/.test(ch)) throw new Error(`ovsdb: unexpected ${JSON.stringify(ch)} between messages`);
    }
    this.buf = this.buf.slice(start);
    this.scanned = this.buf.length;
    if (this.buf.length > this.maxBytes) throw new Error('ovsdb: message too long');
    return out;
  }
}

/** The rows of one select on an Open_vSwitch table, in one transact, within 3 s. */
export function ovsdbSelect(table: string, columns: string[], socketPath = OVSDB_SOCKET): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const framer = new JsonFramer();
    const timer = setTimeout(() => sock.destroy(new Error('ovsdb: timeout')), 3000);
    const done = (err?: Error, rows?: Record<string, unknown>[]): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(rows!);
    };
    sock.on('error', (e) => done(e));
    sock.on('connect', () => sock.write(JSON.stringify({ id: 0, method: 'transact', params: [DB, { op: 'select', table, where: [], columns }] })));
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      let msgs: JsonRpcMessage[];
      try {
        msgs = framer.push(d);
      } catch (e) {
        return done(e as Error);
      }
      const answer = msgs.find((m) => m.id === 0);
      if (!answer) return;
      const rows = (answer.result as { rows?: Record<string, unknown>[] }[] | undefined)?.[0]?.rows;
      if (answer.error || !rows) done(new Error('ovsdb: bad answer'));
      else done(undefined, rows);
    });
  });
}

/** How long the monitor waits before connecting again (ovsdb-server not started yet, or restarted). */
const RETRY_MS = 1000;

/**
 * Calls onChange on every change of the given tables' columns (an `update` notification), from
 * the first connect on; connects again every RETRY_MS while ovsdb-server is absent, and calls
 * onChange on each (re)connect, since what changed while it was away was not heard.
 */
export class OvsdbMonitor {
  private sock?: Socket;
  private closed = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly tables: Record<string, string[]>,
    private readonly onChange: () => void,
    private readonly socketPath = OVSDB_SOCKET,
  ) {}

  start(): void {
    if (this.closed) return;
    const sock = connect(this.socketPath);
    this.sock = sock;
    const framer = new JsonFramer();
    const requests = Object.fromEntries(Object.entries(this.tables).map(([t, columns]) => [t, { columns }]));
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ id: 'minictr-view', method: 'monitor', params: [DB, null, requests] })));
    sock.on('data', (d: string) => {
      let msgs: JsonRpcMessage[];
      try {
        msgs = framer.push(d);
      } catch {
        sock.destroy();
        return;
      }
      for (const m of msgs) {
        // the server's keep-alive: answered, or it hangs up
        if (m.method === 'echo') sock.write(JSON.stringify({ id: m.id, result: m.params ?? [], error: null }));
        else if (m.method === 'update' || m.id === 'minictr-view') this.onChange();
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (this.closed) return;
      this.retry = setTimeout(() => this.start(), RETRY_MS);
      this.retry.unref();
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.sock?.destroy();
  }
}
