/**
 * `minictr view`'s web server: Hono on Node's http server (@hono/node-server), in the same
 * process that reads the kernel (hub.ts). Routes, all GET:
 *   /                 the page (src/view/page/), drawing with cytoscape from node_modules
 *   /api/snapshot     what the kernel has now (JSON)
 *   /api/events       the same, pushed on every change (server-sent events)
 *   /api/routes?ns=N  the routing table of a named namespace (ip -n N route), when clicked
 *   /api/usage?id=ID  a running container's cgroup usage and processes, while it is shown
 * Every request passes guard.ts first: GET/HEAD only, the Host header, the token.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { serve } from '@hono/node-server';
import { MinictrError } from '../errors.js';
import { namedNamespaces } from '../network/host/state.js';
import { runTool } from '../util/tool.js';
import { allowedHosts, checkRequest, cookieToken, TOKEN_COOKIE } from './guard.js';
import type { Push, ViewHub } from './hub.js';

const PAGE_DIR = new URL('../../src/view/page/', import.meta.url);

interface Asset {
  body: string;
  type: string;
}

function assets(): Map<string, Asset> {
  const require = createRequire(import.meta.url);
  const file = (name: string): string => readFileSync(new URL(name, PAGE_DIR), 'utf8');
  return new Map<string, Asset>([
    ['/', { body: file('index.html'), type: 'text/html; charset=utf-8' }],
    ['/app.js', { body: file('app.js'), type: 'text/javascript; charset=utf-8' }],
    ['/app.css', { body: file('app.css'), type: 'text/css; charset=utf-8' }],
    ['/vendor/cytoscape.min.js', { body: readFileSync(require.resolve('cytoscape/dist/cytoscape.min.js'), 'utf8'), type: 'text/javascript; charset=utf-8' }],
  ]);
}

export interface ViewServerOptions {
  listen: string;
  port: number;
  token?: string;
}

export interface ViewServer {
  url: string;
  close(): Promise<void>;
}

const HEADERS = {
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export function viewApp(hub: ViewHub, opts: ViewServerOptions, port: () => number): Hono {
  const files = assets();
  const app = new Hono();
  app.use('*', async (c, next) => {
    const refusal = checkRequest({ method: c.req.method, host: c.req.header('host'), token: c.req.query('token') ?? cookieToken(c.req.header('cookie')) }, allowedHosts(opts.listen, port()), opts.token);
    if (refusal) {
      const headers: Record<string, string> = { ...HEADERS };
      if (refusal.status === 405) headers.Allow = 'GET, HEAD';
      return c.text(`${refusal.message}\n`, refusal.status, headers);
    }
    await next();
    for (const [k, v] of Object.entries(HEADERS)) c.header(k, v);
  });
  for (const [path, a] of files) {
    app.get(path, (c) => {
      // the token in the URL becomes a cookie, so the page's own requests carry it
      if (opts.token && path === '/') c.header('Set-Cookie', `${TOKEN_COOKIE}=${opts.token}; Path=/; HttpOnly; SameSite=Strict`);
      return c.body(a.body, 200, { 'Content-Type': a.type });
    });
  }
  app.get('/api/snapshot', async (c) => c.json(await hub.current()));
  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      let queue = Promise.resolve();
      const send = (p: Push): void => {
        queue = queue.then(() => stream.writeSSE({ event: p.event, data: JSON.stringify(p.data) })).catch(() => undefined);
      };
      const unsubscribe = hub.subscribe(send);
      send({ event: 'snapshot', data: await hub.current() });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      unsubscribe();
    }),
  );
  app.get('/api/usage', (c) => {
    const lines = hub.usage(c.req.query('id') ?? '');
    return lines ? c.json(lines) : c.text('no such running container\n', 404);
  });
  app.get('/api/routes', async (c) => {
    const ns = c.req.query('ns') ?? '';
    // only a namespace that exists by that name: the name is never taken from the request
    const known = ns === '' ? '' : namedNamespaces().find((n) => n === ns);
    if (known === undefined) return c.text('no such namespace\n', 404);
    const r = await runTool('ip', [...(known ? ['-n', known] : []), 'route', 'show'], { allowFailure: true });
    return c.text(r.exitCode === 0 ? r.stdout : `ip route failed: ${r.stderr}`);
  });
  return app;
}

export function startViewServer(hub: ViewHub, opts: ViewServerOptions): Promise<ViewServer> {
  let port = opts.port;
  const app = viewApp(hub, opts, () => port);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: opts.listen, port: opts.port }, (info: AddressInfo) => {
      port = info.port;
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${port}/${opts.token ? `?token=${opts.token}` : ''}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            // open pages hold their event streams: end them, or close waits for ever
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.on('error', (err: NodeJS.ErrnoException) => {
      reject(new MinictrError(err.code === 'EADDRINUSE' ? `port ${opts.port} on ${opts.listen} is in use: choose another with --port` : `cannot listen on ${opts.listen}:${opts.port}: ${err.message}`));
    });
  });
}
