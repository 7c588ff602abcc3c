import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { TailguardClient } from '../../src/client/index.ts';
import { type FakeApi, jobView, startFakeApi } from '../../src/client/testing/fake-api.ts';
import { type Dashboard, startDashboard } from './dashboard-server.ts';

let api: FakeApi | undefined;
let dashboard: Dashboard | undefined;
afterEach(async () => {
  await dashboard?.close();
  await api?.close();
  dashboard = api = undefined;
});

/** A dashboard in front of a fake API answering every call with the job view. */
async function start(): Promise<{ api: FakeApi; dashboard: Dashboard }> {
  api = await startFakeApi(() => ({ status: 200, body: jobView() }));
  dashboard = await startDashboard({ client: new TailguardClient({ baseUrl: api.url }), apiUrl: api.url, port: 0 });
  return { api, dashboard };
}

/** A raw request (fetch would not send another Host), answered with status and parsed body. */
function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; body: { error?: { code: string } } }>((resolve, reject) => {
    const outgoing = request(url, { method: options.method ?? 'GET', headers: options.headers }, (incoming) => {
      let text = '';
      incoming.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('dashboard server', () => {
  it('forwards the page’s reads and actions to the API, with their query and body', async () => {
    // Prepare
    const { api, dashboard } = await start();
    const origin = dashboard.url.slice(0, -1);
    // Act
    const read = await send(`${dashboard.url}api/jobs?status=RUNNING&capacity=gpu`);
    const redrive = await send(`${dashboard.url}api/dlq/redrive`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: '{"capacity":"cpu","priority":"low"}',
    });
    // Assess
    expect([read.status, redrive.status]).toEqual([200, 200]);
    expect(api.requests.map((r) => [r.method, r.path, r.query.toString(), r.body])).toEqual([
      ['GET', 'jobs', 'status=RUNNING&capacity=gpu', undefined],
      ['POST', 'dlq/redrive', '', { capacity: 'cpu', priority: 'low' }],
    ]);
  });

  it.each([
    ['a submit', 'POST', 'api/jobs', 'NOT_FORWARDED'],
    ['a route the page does not use', 'GET', 'api/openapi.json', 'NOT_FORWARDED'],
    ['a path climbing out of a job id', 'POST', 'api/dlq/..%2Fredrive/requeue', 'NOT_FORWARDED'],
  ])('refuses %s (403) without calling the API', async (_what, method, path, code) => {
    // Prepare
    const { api, dashboard } = await start();
    // Act
    const answer = await send(`${dashboard.url}${path}`, { method, headers: { origin: dashboard.url.slice(0, -1) } });
    // Assess
    expect(answer).toMatchObject({ status: 403, body: { error: { code } } });
    expect(api.requests).toEqual([]);
  });

  it('refuses an action sent from another site, and any request addressed to another host name', async () => {
    // Prepare
    const { api, dashboard } = await start();
    const { port } = new URL(dashboard.url);
    // Act
    const crossSite = await send(`${dashboard.url}api/dlq/redrive`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    });
    const rebound = await send(`${dashboard.url}api/stats`, { headers: { host: `evil.example:${port}` } });
    const localhost = await send(`${dashboard.url}api/stats`, { headers: { host: `localhost:${port}` } });
    // Assess
    expect(crossSite).toMatchObject({ status: 403, body: { error: { code: 'CROSS_ORIGIN' } } });
    expect(rebound).toMatchObject({ status: 403, body: { error: { code: 'WRONG_HOST' } } });
    expect(localhost.status).toBe(200);
    expect(api.requests.map((r) => r.path)).toEqual(['stats']);
  });

  it('answers 502 in the API’s error shape when the API does not answer', async () => {
    // Prepare: an API that is gone.
    const { dashboard } = await start();
    await api?.close();
    api = undefined;
    // Act
    const answer = await send(`${dashboard.url}api/stats`);
    // Assess
    expect(answer).toMatchObject({ status: 502, body: { error: { code: 'API_UNREACHABLE' } } });
  });

  it('serves the page and its files, and nothing else', async () => {
    // Prepare
    const { dashboard } = await start();
    // Act
    const statuses = await Promise.all(
      [
        '',
        'app.js',
        'critical-path.js',
        'style.css',
        'vendor/uPlot.iife.min.js',
        'vendor/uPlot.min.css',
        'package.json',
      ].map(async (path) => (await fetch(`${dashboard.url}${path}`)).status),
    );
    // Assess
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 404]);
  });
});
