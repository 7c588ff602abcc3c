import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../contract/views.ts';
import { TailguardApiError, TailguardTimeoutError } from './errors.ts';
import { TailguardClient } from './tailguard-client.ts';
import { type FakeApi, type FakeRoute, inTurn, JOB_ID, jobView, startFakeApi } from './testing/fake-api.ts';

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function clientFor(route: FakeRoute): Promise<{ client: TailguardClient; api: FakeApi }> {
  api = await startFakeApi(route);
  return { client: new TailguardClient({ baseUrl: api.url }), api };
}

/** Fast polls: the tests wait for answers, not for time. */
const quick = { intervalMs: 1, maxIntervalMs: 5 };

describe('TailguardClient', () => {
  it('submits a job with an idempotency key and tells a new job from a replay', async () => {
    const { client, api } = await clientFor(inTurn({ status: 201, body: jobView() }, { status: 200, body: jobView() }));

    const first = await client.submit({ type: 'noop', priority: 'high' }, { idempotencyKey: 'order-1234' });
    const replay = await client.submit({ type: 'noop', priority: 'high' }, { idempotencyKey: 'order-1234' });

    expect([first.status, replay.status]).toEqual([201, 200]);
    expect(first.body).toMatchObject({ id: JOB_ID, status: 'QUEUED' });
    expect(api.requests[0]).toMatchObject({
      method: 'POST',
      path: 'jobs',
      body: { type: 'noop', priority: 'high' },
      headers: { 'idempotency-key': 'order-1234', 'content-type': 'application/json' },
    });
  });

  it('sends a keyed submission again after a 5xx or throttling; the replay answers the same job', async () => {
    const { client, api } = await clientFor(
      inTurn(
        { status: 502, body: { message: 'Internal server error' } },
        { status: 429, body: { message: 'Too Many Requests' } },
        { status: 200, body: jobView() },
      ),
    );

    const submitted = await client.submit({ type: 'noop' }, { idempotencyKey: 'order-1', retryDelayMs: 1 });

    expect(submitted).toMatchObject({ status: 200, body: { id: JOB_ID } });
    expect(api.requests.map((r) => r.headers['idempotency-key'])).toEqual(['order-1', 'order-1', 'order-1']);
  });

  it('sends a submission without a key once, and a keyed one at most 1 + retries times', async () => {
    const { client, api } = await clientFor(() => ({ status: 503, body: { message: 'Service Unavailable' } }));

    await expect(client.submit({ type: 'noop' })).rejects.toMatchObject({ status: 503 });
    expect(api.requests).toHaveLength(1);
    await expect(
      client.submit({ type: 'noop' }, { idempotencyKey: 'k', retries: 2, retryDelayMs: 1 }),
    ).rejects.toBeInstanceOf(TailguardApiError);
    expect(api.requests).toHaveLength(1 + 3);
  });

  it('submits a workflow with its idempotency key as the header, sending it again after a 5xx; without a key, once', async () => {
    const id = '9a1c3a9e-8d2b-4c6a-9e1f-2b3c4d5e6f70';
    const { client, api } = await clientFor(
      inTurn(
        { status: 502, body: { message: 'Internal server error' } },
        { status: 200, body: { id } },
        { status: 503, body: { message: 'Service Unavailable' } },
      ),
    );
    const request = { steps: [{ name: 'a', type: 'noop' }] };

    const created = await client.submitWorkflow(request, { idempotencyKey: 'nightly-1', retryDelayMs: 1 });
    await expect(client.submitWorkflow(request)).rejects.toMatchObject({ status: 503 });

    expect(created).toEqual({ id });
    expect(api.requests.map((r) => [r.method, r.path, r.headers['idempotency-key']])).toEqual([
      ['POST', 'workflows', 'nightly-1'],
      ['POST', 'workflows', 'nightly-1'],
      ['POST', 'workflows', undefined],
    ]);
    expect(api.requests[0]!.body).toEqual(request);
  });

  it("throws a tenant's full queue (429 TENANT_QUEUE_FULL) at once, naming the tenant, without a retry", async () => {
    const { client, api } = await clientFor(() => ({
      status: 429,
      body: {
        error: {
          code: 'TENANT_QUEUE_FULL',
          message: 'tenant acme has 3 jobs waiting to start',
          details: [{ path: 'tenant', message: 'acme has 3 jobs waiting (maxQueued); retry later' }],
        },
      },
    }));

    await expect(
      client.submit({ type: 'noop', tenant: 'acme' }, { idempotencyKey: 'k', retryDelayMs: 1 }),
    ).rejects.toMatchObject({ status: 429, code: 'TENANT_QUEUE_FULL', details: [{ path: 'tenant' }] });
    expect(api.requests).toHaveLength(1);
  });

  it("reads, stores and drops a tenant's settings through the /tenants routes", async () => {
    const acme = { tenant: 'acme', settings: { weight: 1, concurrency: 2 }, stored: { concurrency: 2 } };
    const { client, api } = await clientFor((request) => ({
      status: 200,
      body: request.path === 'tenants' ? { tenants: [acme] } : acme,
    }));

    expect(await client.putTenant('acme', { concurrency: 2 })).toEqual(acme);
    expect(await client.getTenant('acme')).toEqual(acme);
    expect(await client.listTenants()).toEqual([acme]);
    await client.deleteTenant('acme');
    expect(api.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ['PUT', 'tenants/acme', { concurrency: 2 }],
      ['GET', 'tenants/acme', undefined],
      ['GET', 'tenants', undefined],
      ['DELETE', 'tenants/acme', undefined],
    ]);
  });

  it('does not send a keyed submission again after an answer another try would not change (4xx)', async () => {
    const { client, api } = await clientFor(() => ({
      status: 400,
      body: { error: { code: 'VALIDATION', message: 'bad' } },
    }));

    await expect(client.submit({ type: 'noop' }, { idempotencyKey: 'k', retryDelayMs: 1 })).rejects.toMatchObject({
      status: 400,
    });
    expect(api.requests).toHaveLength(1);
  });

  it('submits a batch in calls of at most 1,000 jobs, results in request order, progress after each call', async () => {
    const { client, api } = await clientFor((request) => {
      const { jobs } = request.body as { jobs: { type: string }[] };
      // Answer each job by its type, so the order of results is visible.
      return { status: 200, body: { items: jobs.map((job) => ({ status: 201, job: jobView({ type: job.type }) })) } };
    });
    const requests = Array.from({ length: 2500 }, (_, n) => ({ type: `t${n}` }));
    const progress: number[] = [];

    const results = await client.submitBatch(requests, { onProgress: (sent) => progress.push(sent) });

    expect(api.requests.map((r) => `${r.method} ${r.path} ${(r.body as { jobs: unknown[] }).jobs.length}`)).toEqual([
      'POST jobs/batch 1000',
      'POST jobs/batch 1000',
      'POST jobs/batch 500',
    ]);
    expect(results.map((r) => ('job' in r ? r.job.type : r.status))).toEqual(requests.map((r) => r.type));
    expect(progress).toEqual([1000, 2000, 2500]);
  });

  it('splits a batch by size too, so no call carries more than 5 MiB', async () => {
    const { client, api } = await clientFor((request) => ({
      status: 200,
      body: { items: (request.body as { jobs: unknown[] }).jobs.map(() => ({ status: 201, job: jobView() })) },
    }));
    // 30 jobs of 250 KB: 7.5 MB in all.
    const big = { type: 'noop', payload: 'x'.repeat(250_000) };

    await client.submitBatch(Array.from({ length: 30 }, () => big));

    expect(api.requests.map((r) => (r.body as { jobs: unknown[] }).jobs.length)).toEqual([20, 10]);
  });

  it('gets a job by id, also through the stage URL given without its trailing slash', async () => {
    api = await startFakeApi(() => ({ status: 200, body: jobView({ status: 'SUCCEEDED' }) }));
    const client = new TailguardClient({ baseUrl: api.url.replace(/\/$/, '') });

    expect(await client.get(JOB_ID)).toMatchObject({ id: JOB_ID, status: 'SUCCEEDED' });
    expect((await client.getJob(JOB_ID)).status).toBe(200);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET jobs/${JOB_ID}`, `GET jobs/${JOB_ID}`]);
  });

  describe('waitFor', () => {
    it('polls until the job finishes, reporting every update', async () => {
      const { client, api } = await clientFor(
        inTurn(
          { status: 200, body: jobView({ status: 'RUNNING', attempts: 1 }) },
          { status: 200, body: jobView({ status: 'RUNNING', attempts: 1 }) },
          { status: 200, body: jobView({ status: 'SUCCEEDED', attempts: 1, result: '{"ok":true}' }) },
        ),
      );
      const seen: string[] = [];

      const job = await client.waitFor(JOB_ID, { ...quick, onUpdate: (update) => seen.push(update.status) });

      expect(job).toMatchObject({ status: 'SUCCEEDED', result: { ok: true } });
      expect(seen).toEqual(['RUNNING', 'RUNNING', 'SUCCEEDED']);
      expect(api.requests).toHaveLength(3);
    });

    it('polls through throttling and a briefly failing gateway', async () => {
      const { client } = await clientFor(
        inTurn(
          { status: 429, body: { message: 'Too Many Requests' } },
          { status: 503, body: { message: 'Service Unavailable' } },
          { status: 200, body: jobView({ status: 'DEAD' }) },
        ),
      );

      expect(await client.waitFor(JOB_ID, quick)).toMatchObject({ status: 'DEAD' });
    });

    it('gives up after timeoutMs with a TailguardTimeoutError', async () => {
      // Never finishes, so only the deadline can end the wait.
      const { client } = await clientFor(() => ({ status: 200, body: jobView({ status: 'RUNNING' }) }));

      const error = await client.waitFor(JOB_ID, { ...quick, timeoutMs: 50 }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TailguardTimeoutError);
      expect(error).toMatchObject({ code: 'TIMEOUT', jobId: JOB_ID, timeoutMs: 50 });
      expect((error as Error).message).toMatch(new RegExp(`^job ${JOB_ID} did not finish within 50 ms`));
    });

    it('stops when its signal is aborted, with the signal’s reason, and polls no more', async () => {
      const { client, api } = await clientFor(() => ({ status: 200, body: jobView({ status: 'RUNNING' }) }));
      const controller = new AbortController();
      const reason = new Error('user pressed Ctrl-C');

      const waiting = client.waitFor(JOB_ID, {
        ...quick,
        signal: controller.signal,
        onUpdate: () => controller.abort(reason),
      });

      await expect(waiting).rejects.toBe(reason);
      expect(api.requests).toHaveLength(1);
    });

    it('ends on an error that polling again would not fix', async () => {
      const { client } = await clientFor(() => ({
        status: 404,
        body: { error: { code: 'JOB_NOT_FOUND', message: `job ${JOB_ID} not found`, details: [] } },
      }));

      await expect(client.waitFor(JOB_ID, quick)).rejects.toMatchObject({ status: 404, code: 'JOB_NOT_FOUND' });
    });
  });

  describe('errors', () => {
    it('maps the API’s error body to a TailguardApiError with its code and details', async () => {
      const details = [
        { path: 'priority', message: 'Invalid option: expected one of "critical"|"high"|"default"|"low"' },
        { path: 'colour', message: 'unknown field' },
      ];
      const { client } = await clientFor(() => ({
        status: 400,
        body: { error: { code: 'VALIDATION_FAILED', message: 'invalid request: …', details } },
      }));

      const error = await client.submit({ type: 'noop' }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(TailguardApiError);
      expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', message: 'invalid request: …', details });
    });

    it('names an answer without the API’s error shape by its HTTP status', async () => {
      const { client } = await clientFor(() => ({ status: 403, body: { message: 'Missing Authentication Token' } }));

      await expect(client.stats()).rejects.toMatchObject({
        status: 403,
        code: 'HTTP_403',
        message: 'Missing Authentication Token',
        details: [],
      });
    });
  });

  describe('dead letters and operations', () => {
    it('lists one page of the jobs in one state on GET /jobs, with the query and cursor in the URL', async () => {
      // Prepare
      const running = jobView({ status: 'RUNNING' });
      const { client, api } = await clientFor(() => ({ status: 200, body: { items: [running], cursor: null } }));
      // Act
      const page = await client.listJobs({
        status: 'RUNNING',
        capacity: 'gpu',
        tenant: 'acme',
        limit: 50,
        cursor: 'c2',
      });
      // Assess
      expect(page).toEqual({ items: [running], cursor: null });
      expect(api.requests.map((r) => [r.method, r.path])).toEqual([['GET', 'jobs']]);
      expect(Object.fromEntries(api.requests[0]!.query)).toEqual({
        status: 'RUNNING',
        capacity: 'gpu',
        tenant: 'acme',
        limit: '50',
        cursor: 'c2',
      });
    });

    it('lists one page of dead jobs with the query in the URL', async () => {
      const { client, api } = await clientFor(() => ({ status: 200, body: { items: [jobView()], cursor: 'next' } }));

      const page = await client.listDeadLetters({ capacity: 'gpu', priority: 'high', limit: 10 });

      expect(page).toMatchObject({ items: [{ id: JOB_ID }], cursor: 'next' });
      expect(Object.fromEntries(api.requests[0]!.query)).toEqual({ capacity: 'gpu', priority: 'high', limit: '10' });
    });

    it('iterates over every page of dead jobs, following the cursor', async () => {
      const dead = (n: number) => jobView({ id: `00000000-0000-4000-8000-00000000000${n}`, status: 'DEAD' });
      const pages: Record<string, { items: JobView[]; cursor: string | null }> = {
        first: { items: [dead(1), dead(2)], cursor: 'c2' },
        c2: { items: [dead(3)], cursor: 'c3' },
        c3: { items: [], cursor: null },
      };
      const { client, api } = await clientFor((request) => ({
        status: 200,
        body: pages[request.query.get('cursor') ?? 'first'],
      }));

      const ids: string[] = [];
      for await (const job of client.allDeadLetters({ capacity: 'cpu', limit: 2 })) ids.push(job.id.slice(-1));

      expect(ids).toEqual(['1', '2', '3']);
      expect(api.requests.map((r) => r.query.toString())).toEqual([
        'capacity=cpu&limit=2',
        'capacity=cpu&limit=2&cursor=c2',
        'capacity=cpu&limit=2&cursor=c3',
      ]);
    });

    it('cancels, requeues and redrives on their routes', async () => {
      const { client, api } = await clientFor((request) => {
        if (request.path.endsWith('/cancel'))
          return { status: 202, body: { ...jobView({ status: 'RUNNING' }), cancelRequested: true } };
        if (request.path === 'dlq/redrive')
          return { status: 200, body: { requeued: 2, messagesMoved: 1, remaining: false } };
        return { status: 200, body: jobView() };
      });

      expect(await client.cancel(JOB_ID)).toMatchObject({ status: 'RUNNING', cancelRequested: true });
      expect(await client.requeue(JOB_ID)).toMatchObject({ status: 'QUEUED' });
      expect(await client.redrive({ capacity: 'gpu', priority: 'low' })).toEqual({
        requeued: 2,
        messagesMoved: 1,
        remaining: false,
      });
      expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `POST jobs/${JOB_ID}/cancel`,
        `POST dlq/${JOB_ID}/requeue`,
        'POST dlq/redrive',
      ]);
      expect(api.requests[2]!.body).toEqual({ capacity: 'gpu', priority: 'low' });
    });

    it('returns a degraded health answer (503) instead of throwing', async () => {
      const degraded = { status: 'degraded', checks: { jobsTable: 'ok', queues: 'failing' } };
      const { client } = await clientFor(() => ({ status: 503, body: degraded }));

      expect(await client.health()).toEqual(degraded);
    });
  });
});
