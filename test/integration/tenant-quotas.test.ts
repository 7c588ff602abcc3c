import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JobRequestInput } from '../../src/client/index.ts';
import type { JobView } from '../../src/contract/job-view.ts';
import type { Job } from '../../src/jobs/model/index.ts';
import { atPeak, mostAtOnce } from '../helpers/attempt-overlap.ts';
import { scanAll } from '../helpers/job-table.ts';
import { mapLimit } from '../helpers/map-limit.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client, request, dynamodb, deployment } = testStack();
// Generous for 2 busy cores: 200 jobs two at a time, each message refused many times on the way.
const TIMEOUT_MS = 400_000;

/** A tenant of this run only: the settings it gets at run time act on no other test's jobs. */
const freshTenant = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

const post = (path: string, body: unknown) => request(path, { method: 'POST', body: JSON.stringify(body) });

/** The stored jobs of `tenant` (a scan: fine for the test tables). */
const jobsOf = async (tenant: string) =>
  (await scanAll<Job>(dynamodb, deployment.jobsTable)).filter((job) => job.tenant === tenant);

function untilFinished(ids: readonly string[], timeoutMs: number): Promise<JobView[]> {
  return waitFor(
    () => mapLimit(ids, 16, (id) => client.get(id)),
    (jobs) => jobs.every((job) => job.status === 'SUCCEEDED' || job.status === 'DEAD'),
    { timeoutMs, intervalMs: 2000, what: `${ids.length} jobs to finish` },
  );
}

describe('tenant settings', () => {
  it('round-trips PUT and GET, lists the tenant, and falls back to the defaults once deleted', async () => {
    // Prepare
    const tenant = freshTenant('settings');

    // Act
    const put = await client.putTenant(tenant, { weight: 3, concurrency: 2, perSecond: 5, maxQueued: 100 });
    const read = await client.getTenant(tenant);
    const listed = await client.listTenants();
    const deleted = await client.deleteTenant(tenant);
    const after = await client.getTenant(tenant);

    // Assess
    const settings = { weight: 3, concurrency: 2, perSecond: 5, maxQueued: 100 };
    expect(put).toEqual({ tenant, settings, stored: settings });
    expect(read).toEqual(put);
    expect(listed).toContainEqual(put);
    expect(deleted).toEqual({ tenant, settings: { weight: 1 }, deleted: true });
    expect(after).toEqual({ tenant, settings: { weight: 1 } });
  });

  it('answers a bad tenant id 400 naming `tenant`: POST /jobs, a batch item, PUT /tenants/{tenant}', async () => {
    // Act
    const single = await client.raw('POST', 'jobs', JSON.stringify({ type: 'noop', tenant: 'no spaces' }));
    const batch = await client.submitBatch([{ type: 'noop', tenant: 'x'.repeat(65) }, { type: 'noop' }]);
    const put = await client.raw('PUT', 'tenants/bad%20id', JSON.stringify({ weight: 2 }));
    const field = await client.raw('PUT', `tenants/${freshTenant('field')}`, JSON.stringify({ concurrency: 0 }));

    // Assess
    const namesTenant = {
      error: { code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'tenant' })] },
    };
    expect(single).toMatchObject({ status: 400, body: namesTenant });
    expect(batch[0]).toMatchObject({ status: 400, ...namesTenant });
    expect(batch[1]).toMatchObject({ status: 201 });
    expect(put).toMatchObject({ status: 400, body: namesTenant });
    expect(field).toMatchObject({ status: 400, body: { error: { details: [{ path: 'concurrency' }] } } });
  });
});

describe('tenant quotas', () => {
  it(
    'never runs 3 of a tenant limited to 2 at run time in a 200-job burst, each job on its first attempt',
    async () => {
      // Prepare: the limit is set at run time, no redeploy.
      const tenant = freshTenant('burst');
      await client.putTenant(tenant, { concurrency: 2 });

      // Act
      const requests: JobRequestInput[] = Array.from({ length: 200 }, () => ({
        type: 'sleep',
        tenant,
        payload: { ms: 100 },
      }));
      const items = await client.submitBatch(requests);
      const ids = items.flatMap((item) => ('job' in item ? [item.job.id] : []));
      const jobs = await untilFinished(ids, TIMEOUT_MS - 20_000);

      // Assess
      expect(ids).toHaveLength(200);
      for (const job of jobs) expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1, tenant });
      const attempts = jobs.flatMap((job) => job.attemptHistory.map((attempt) => ({ jobId: job.id, ...attempt })));
      expect(mostAtOnce(attempts), atPeak(attempts)).toBe(2);
    },
    TIMEOUT_MS,
  );

  it('refuses a submit past the queued cap 429 with Retry-After, writing no job; a cancel makes room', async () => {
    // Prepare: 3 jobs may wait; they are delayed, so they stay waiting.
    const tenant = freshTenant('capped');
    await client.putTenant(tenant, { maxQueued: 3 });
    const waiting = { type: 'noop', tenant, delaySeconds: 600 };
    const accepted = await Promise.all([1, 2, 3].map(() => client.submit(waiting)));

    // Act
    const refused = await post('jobs', { ...waiting, idempotencyKey: `refused-${tenant}` });
    const refusedBody = (await refused.json()) as { error: { code: string; details: { path: string }[] } };
    const batch = await client.submitBatch([waiting, waiting]);
    const stored = await jobsOf(tenant);
    const keys = await scanAll<{ key: string }>(dynamodb, deployment.idempotencyTable);
    await client.cancel(accepted[0]!.body.id);
    const afterCancel = await client.submit(waiting);

    // Assess
    expect(accepted.map((response) => response.status)).toEqual([201, 201, 201]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refusedBody.error).toMatchObject({ code: 'TENANT_QUEUE_FULL', details: [{ path: 'tenant' }] });
    expect(batch.map((item) => item.status)).toEqual([429, 429]);
    expect(stored.map((job) => job.id).sort()).toEqual(accepted.map((response) => response.body.id).sort());
    expect(keys.map((record) => record.key)).not.toContain(`refused-${tenant}`);
    expect(afterCancel.status).toBe(201);
  }, 60_000);
});
