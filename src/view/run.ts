/**
 * `minictr view`: start the hub (what the kernel has, re-read on its events) and the web
 * server, print the URL, and serve until Ctrl-C or SIGTERM. Read-only throughout.
 */
import { UsageError } from '../errors.js';
import { fromTopology } from '../network/lab/graph/from-topology.js';
import { loadTopology } from '../network/lab/topology/schema.js';
import { labLimits } from '../network/lab/topology/limits.js';
import { describePlanned } from './describe.js';
import { checkListen } from './guard.js';
import { ViewHub } from './hub.js';
import { placeGraph, type ViewSnapshot } from './model.js';
import { startViewServer } from './server.js';

export interface ViewOptions {
  port: string;
  listen: string;
  token?: string;
  /** a topology file, drawn as planned beside the live picture */
  file?: string;
}

export function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port ${JSON.stringify(text)} is not a port number (0-65535; 0 picks a free one)`);
  return port;
}

export async function runView(opts: ViewOptions): Promise<void> {
  const port = parsePort(opts.port);
  checkListen(opts.listen, opts.token);
  let planned: ViewSnapshot['planned'];
  if (opts.file) {
    const g = fromTopology(await loadTopology(opts.file, labLimits()));
    planned = { picture: placeGraph(g), objects: describePlanned(g, opts.file) };
  }
  const hub = new ViewHub(planned);
  hub.start();
  let server;
  try {
    server = await startViewServer(hub, { listen: opts.listen, port, token: opts.token });
  } catch (err) {
    hub.close();
    throw err;
  }
  process.stdout.write(`minictr view: ${server.url} (read-only; Ctrl-C stops it)\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve(s));
  });
  void signal;
  hub.close();
  await server.close();
}
