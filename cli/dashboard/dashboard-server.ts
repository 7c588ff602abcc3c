import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { TailguardClient } from '../../src/client/index.ts';
import { packageRoot } from '../../src/package-root.ts';
import { type ApiAnswer, errorAnswer, forward } from './api-proxy.ts';

/** Only loopback: the page acts with the operator's credentials, so it is never served to the network. */
export const DASHBOARD_HOST = '127.0.0.1';
export const DEFAULT_DASHBOARD_PORT = 8799;

/** Largest request body forwarded (a redrive's is a few dozen bytes). */
const MAX_BODY_BYTES = 16 * 1024;

/**
 * From source the page's files sit beside this module; the published CLI (dist/cli.mjs) reads the
 * copies scripts/build-package.ts makes in dist/dashboard/.
 */
const root = packageRoot(import.meta.url);
const STATIC_DIR = import.meta.url.endsWith('.ts') ? `${root}cli/dashboard/static/` : `${root}dist/dashboard/`;
const resolveModule = createRequire(import.meta.url).resolve;

/** Every file the dashboard serves, by URL path: a fixed table, so no request can name another file. */
const ASSETS: Record<string, { file: () => string; type: string }> = {
  '/': { file: () => `${STATIC_DIR}index.html`, type: 'text/html; charset=utf-8' },
  '/app.js': { file: () => `${STATIC_DIR}app.js`, type: 'text/javascript; charset=utf-8' },
  '/critical-path.js': { file: () => `${STATIC_DIR}critical-path.js`, type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: () => `${STATIC_DIR}style.css`, type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': {
    file: () => resolveModule('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uPlot.min.css': { file: () => resolveModule('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** Sent with every answer: the page loads only its own files, and no other site may frame its buttons. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface DashboardOptions {
  /** The CLI's client: signs every forwarded call as the operator. */
  client: TailguardClient;
  /** The API the client talks to, shown on the page. */
  apiUrl: string;
  /** 0: any free port. */
  port: number;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

/**
 * `tailguard dashboard`: a small HTTP server on 127.0.0.1 that serves the static page and forwards
 * its `/api/*` calls to the Tailguard API through the CLI's own signed client.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  // Read once at start: a missing file fails the command now, not the first page load.
  const files = new Map(Object.entries(ASSETS).map(([path, asset]) => [path, readFileSync(asset.file())]));
  /** `host:port` the page may be addressed by; known once the server listens. */
  let ownHosts = new Set<string>();
  const server = createServer((request, response) => {
    void answer(request, response).catch((error: unknown) => {
      send(response, errorAnswer(500, 'INTERNAL', (error as Error).message));
    });
  });

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // A page of another site reaching this port through a rebound DNS name carries its own Host.
    const host = request.headers.host ?? '';
    if (!ownHosts.has(host)) {
      return send(response, errorAnswer(403, 'WRONG_HOST', 'the dashboard answers only on its own address'));
    }
    const url = new URL(request.url ?? '/', `http://${host}`);
    if (url.pathname.startsWith('/api/')) {
      // Browsers send Origin with every POST: one from another site must not press the buttons.
      if (request.method !== 'GET' && request.headers.origin !== `http://${host}`) {
        return send(response, errorAnswer(403, 'CROSS_ORIGIN', 'actions are accepted from the dashboard page only'));
      }
      const body = request.method === 'POST' ? await readBody(request) : undefined;
      if (body === null) return send(response, errorAnswer(413, 'PAYLOAD_TOO_LARGE', 'request body too large'));
      const call = {
        method: request.method ?? 'GET',
        path: url.pathname.slice('/api/'.length),
        search: url.search,
        body,
      };
      return send(response, await forward(options.client, call));
    }
    if (url.pathname === '/dashboard.json') return send(response, { status: 200, body: { apiUrl: options.apiUrl } });
    const asset = ASSETS[url.pathname];
    const content = files.get(url.pathname);
    if (request.method !== 'GET' || !asset || !content) {
      return send(response, errorAnswer(404, 'NOT_FOUND', `no ${url.pathname} here`));
    }
    response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type });
    response.end(content);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, DASHBOARD_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  ownHosts = new Set([`${DASHBOARD_HOST}:${port}`, `localhost:${port}`]);
  return {
    url: `http://${DASHBOARD_HOST}:${port}/`,
    close: () =>
      new Promise((resolve, reject) => {
        // A polling page keeps connections alive; without this, close waits for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function send(response: ServerResponse, answer: ApiAnswer): void {
  response.writeHead(answer.status, { ...SECURITY_HEADERS, 'content-type': 'application/json' });
  response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
}

/** The body as text, or null past MAX_BODY_BYTES. */
async function readBody(request: IncomingMessage): Promise<string | undefined | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return size === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}
