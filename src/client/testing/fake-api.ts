import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type JobView, toJobView } from '../../contract/job-view.ts';
import type { Job } from '../../jobs/model/index.ts';

/** A request as the fake API saw it; `path` is relative to the stage, e.g. `jobs/<id>`. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export type FakeRoute = (request: SeenRequest) => { status: number; body?: unknown };

export interface FakeApi {
  /** Stage URL, ending in `/`, as the API's invoke URL does. */
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

const STAGE = '/v1/';

/**
 * A real HTTP server on a free local port answering as `route` says: the client and the CLI are
 * tested over HTTP, with no fetch or SDK mocks between them and the wire.
 */
export async function startFakeApi(route: FakeRoute): Promise<FakeApi> {
  const requests: SeenRequest[] = [];
  const server = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(incoming.url ?? '/', 'http://fake');
    const request: SeenRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname.startsWith(STAGE) ? url.pathname.slice(STAGE.length) : url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    requests.push(request);
    const { status, body } = route(request);
    outgoing.writeHead(status, { 'content-type': 'application/json' });
    outgoing.end(body === undefined ? '' : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${STAGE}`,
    requests,
    close: () =>
      new Promise((resolve, reject) => {
        // fetch keeps connections alive; without this, close waits for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export const JOB_ID = '40bcbc1a-8f2e-4c36-9d57-2a1f0e6b7c11';

/** A job as the API shows it, made by the API's own view function. */
export function jobView(fields: Partial<Job> = {}): JobView {
  return toJobView({
    id: JOB_ID,
    type: 'noop',
    priority: 'default',
    capacity: 'cpu',
    status: 'QUEUED',
    version: 1,
    attempts: 0,
    maxAttempts: 4,
    backoff: { strategy: 'exponential', baseSeconds: 2, maxSeconds: 300, jitter: 'full' },
    timeoutSeconds: 300,
    createdAt: '2026-05-01T10:00:00.000Z',
    updatedAt: '2026-05-01T10:00:00.000Z',
    attemptLog: [],
    ...fields,
  });
}

/** Answers each call with the next of `answers`, then keeps answering the last. */
export function inTurn<T>(...answers: [T, ...T[]]): () => T {
  let next = 0;
  return () => answers[Math.min(next++, answers.length - 1)]!;
}
