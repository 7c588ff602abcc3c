import { describe, expect, it } from 'vitest';
import type { StatsView } from '../../src/client/index.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client, request, waitUntilFinished } = testStack();

/** A tenant as `GET /stats` lists it, if it does. */
const tenantIn = (stats: StatsView, tenant: string) => stats.tenants.find((t) => t.tenant === tenant);

/**
 * Seeing each tenant: `GET /stats`' tenants section from the workers' reports, `GET /jobs?tenant=`,
 * and the tenant on a TypeScript handler's context (the Python one: python-handlers.test.ts).
 */
describe('tenants seen', () => {
  it("shows a tenant's running attempts, then the recent wait of two tenants' jobs, in GET /stats", async () => {
    // Act: two long jobs of one tenant, three short ones of another.
    const long = await Promise.all(
      [1, 2].map(
        async () => (await client.submit({ type: 'sleep', payload: { ms: 8000 }, tenant: 'stats-acme' })).body,
      ),
    );
    const short = await Promise.all(
      [1, 2, 3].map(async () => (await client.submit({ type: 'noop', tenant: 'stats-globex' })).body),
    );
    // Assess: acme's attempts are seen running while they run (workers report a start within seconds).
    const running = await waitFor(
      () => client.stats(),
      (stats) => (tenantIn(stats, 'stats-acme')?.running ?? 0) >= 1,
      { timeoutMs: 60_000, intervalMs: 500, what: "stats-acme's running attempts in GET /stats" },
    );
    expect(tenantIn(running, 'stats-acme')).toMatchObject({ queued: 0 });
    const finished = await Promise.all([...long, ...short].map((job) => waitUntilFinished(job.id, 120_000)));
    expect(finished.map((job) => job.status)).toEqual(finished.map(() => 'SUCCEEDED'));
    // Both tenants' waits reach the stats with the workers' next reports; none waited more than it took to start.
    const waited = await waitFor(
      () => client.stats(),
      (stats) => ['stats-acme', 'stats-globex'].every((t) => typeof tenantIn(stats, t)?.waitP99Ms === 'number'),
      { timeoutMs: 60_000, intervalMs: 1000, what: "both tenants' wait p99 in GET /stats" },
    );
    const longestWait = (jobs: typeof finished) =>
      Math.max(...jobs.map((job) => Date.parse(job.attemptHistory[0]!.startedAt) - Date.parse(job.createdAt)));
    for (const [tenant, jobs] of [
      ['stats-acme', finished.slice(0, 2)],
      ['stats-globex', finished.slice(2)],
    ] as const) {
      // Recorded to 2 significant digits, from the worker's clock: within 1 % and a second (the claim) of the jobs' own times.
      expect(tenantIn(waited, tenant)!.waitP99Ms).toBeLessThanOrEqual(longestWait(jobs) * 1.01 + 1000);
    }
    expect(waited.tenants.length).toBeLessThanOrEqual(20);
  });

  it("lists only one tenant's jobs with GET /jobs?tenant=, and names a bad tenant in a 400", async () => {
    // Prepare: scheduled jobs of two tenants, due in 10 minutes.
    const submit = async (tenant: string) => (await client.submit({ type: 'noop', tenant, delaySeconds: 600 })).body.id;
    const mine = await Promise.all([submit('list-mine'), submit('list-mine')]);
    const theirs = await submit('list-theirs');
    try {
      // Act
      const listed: string[] = [];
      for await (const job of client.allJobs({ status: 'SCHEDULED', tenant: 'list-mine', limit: 100 }))
        listed.push(job.id);
      const refused = await request('jobs?status=SCHEDULED&tenant=not%20a%20tenant', { method: 'GET' });
      // Assess
      expect(listed.sort()).toEqual([...mine].sort());
      expect(listed).not.toContain(theirs);
      expect(refused.status).toBe(400);
      const body = (await refused.json()) as { error: { details: { path: string }[] } };
      expect(body.error.details.map((d) => d.path)).toContain('tenant');
    } finally {
      await Promise.all([...mine, theirs].map((id) => client.cancel(id)));
    }
  });

  it("tells a TypeScript handler its job's tenant, and `default` for a job without one", async () => {
    // Act
    const [acme, none] = await Promise.all(
      [{ tenant: 'acme' }, {}].map(async (fields) => (await client.submit({ type: 'whoami', ...fields })).body),
    );
    const [acmeDone, noneDone] = await Promise.all([acme!, none!].map((job) => waitUntilFinished(job.id, 60_000)));
    // Assess
    expect(acmeDone).toMatchObject({ status: 'SUCCEEDED', tenant: 'acme', result: { tenant: 'acme', type: 'whoami' } });
    expect(noneDone).toMatchObject({ status: 'SUCCEEDED', tenant: 'default', result: { tenant: 'default' } });
  });
});
