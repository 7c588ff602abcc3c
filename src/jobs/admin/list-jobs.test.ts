import { describe, expect, it } from 'vitest';
import { queued } from '../../../test/helpers/store-fixtures.ts';
import { InvalidInputError, type Job, tenantOf } from '../model/index.ts';
import { type JobStore, statusShardKey } from '../store/index.ts';
import { type JobListDeps, JobListQuerySchema, listJobs } from './list-jobs.ts';

/** The byStatusShard index over `jobs`, paged like DynamoDB, and running jobs as workers report them. */
function deploymentOf(jobs: Job[]): JobListDeps & { keys: string[] } {
  const keys: string[] = [];
  const store: Pick<JobStore, 'listByStatus' | 'getMany'> = {
    getMany: async (ids) => jobs.filter((j) => ids.includes(j.id)),
    async listByStatus(key, limit, startKey, tenant) {
      keys.push(key);
      const all = jobs.filter((job) => statusShardKey(job) === key);
      const from = startKey ? all.findIndex((j) => j.id === startKey.id) + 1 : 0;
      const page = all.slice(from, from + limit);
      const last = page.at(-1)!;
      const nextKey = { id: last?.id, statusShard: key, updatedAt: last?.updatedAt };
      // A tenant filters what was read, as DynamoDB's FilterExpression does: the next key stays the last read.
      const kept = page.filter((j) => tenant === undefined || tenantOf(j) === tenant);
      return { jobs: kept, ...(from + limit < all.length && { nextKey }) };
    },
  };
  const running = async (capacity: Job['capacity']) =>
    jobs.filter((job) => job.status === 'RUNNING' && job.capacity === capacity);
  // One schedule's fire log: the jobs of `job-of-` ids, newest fire first.
  const fires = {
    read: async (schedule: string) =>
      schedule === 'nightly'
        ? jobs
            .filter((j) => j.schedule === 'nightly')
            .map((j) => ({ fireTime: j.fireTime!, outcome: 'made' as const, jobId: j.id }))
        : [],
  };
  return { keys, store, running, fires };
}

const job = (id: string, fields: Partial<Job>): Job => ({ ...queued, id, ...fields });

describe('listJobs', () => {
  it("lists a schedule's jobs, newest fire first, in pages, and none of a schedule that made none", async () => {
    // Prepare
    const made = ['03', '02', '01'].map((m) =>
      job(`n-${m}`, { schedule: 'nightly', fireTime: `2026-12-0${m.slice(1)}T02:00:00.000Z` }),
    );
    const deployment = deploymentOf([...made, job('other', {})]);
    // Act
    const first = await listJobs(deployment, JobListQuerySchema.parse({ schedule: 'nightly', limit: 2 }));
    const second = await listJobs(deployment, JobListQuerySchema.parse({ schedule: 'nightly', cursor: first.cursor! }));
    const none = await listJobs(deployment, JobListQuerySchema.parse({ schedule: 'weekly' }));
    // Assess
    expect([...first.jobs, ...second.jobs].map((j) => j.id)).toEqual(['n-03', 'n-02', 'n-01']);
    expect(second.cursor).toBeNull();
    expect(none).toEqual({ jobs: [], cursor: null });
  });

  it('takes status or schedule, exactly one', () => {
    // Act / Assess
    for (const query of [{}, { status: 'RUNNING', schedule: 'nightly' }]) {
      expect(JobListQuerySchema.safeParse(query).error?.issues[0]).toMatchObject({
        path: ['status'],
        message: 'give status or schedule, exactly one',
      });
    }
  });

  it('pages through a waiting state across queues and shards, each job exactly once, the cursor carrying on where a page ended', async () => {
    // Prepare: ids spread over shards.
    const retrying = ['a', 'b', 'c', 'd', 'e'].map((id, n) =>
      job(`${id}-0000-4000-8000-00000000000${n}`, { status: 'RETRYING', priority: n % 2 ? 'low' : 'critical' }),
    );
    const deployment = deploymentOf([...retrying, job('f', { status: 'RETRYING', capacity: 'gpu' })]);
    const query = JobListQuerySchema.parse({ status: 'RETRYING', capacity: 'cpu', limit: '2' });
    // Act
    const pages: Job[][] = [];
    let cursor: string | undefined;
    do {
      const page = await listJobs(deployment, { ...query, cursor });
      pages.push(page.jobs);
      cursor = page.cursor ?? undefined;
    } while (cursor);
    // Assess
    expect(
      pages
        .flat()
        .map((j) => j.id)
        .sort(),
    ).toEqual(retrying.map((j) => j.id).sort());
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    expect(deployment.keys.every((key) => key.startsWith('RETRYING#cpu#'))).toBe(true);
  });

  it('lists running jobs from the workers’ reports, by queue, with a cursor into that view', async () => {
    // Prepare
    const deployment = deploymentOf([
      job('a', { status: 'RUNNING', priority: 'low' }),
      job('b', { status: 'RUNNING', priority: 'critical' }),
      job('c', { status: 'RUNNING', capacity: 'gpu' }),
    ]);
    const query = JobListQuerySchema.parse({ status: 'RUNNING', limit: 2 });
    // Act
    const first = await listJobs(deployment, query);
    const second = await listJobs(deployment, { ...query, cursor: first.cursor! });
    // Assess: cpu before gpu, critical before low; the index is never read.
    expect(first.jobs.map((j) => j.id)).toEqual(['b', 'a']);
    expect(second.jobs.map((j) => j.id)).toEqual(['c']);
    expect(second.cursor).toBeNull();
    expect(deployment.keys).toEqual([]);
  });

  it("lists one tenant's jobs only, waiting, running or a schedule's, across pages; `default` takes the jobs without one", async () => {
    // Prepare: acme's jobs among others', in every listed way.
    const deployment = deploymentOf([
      ...['a', 'b', 'c', 'd'].map((id, n) =>
        job(`${id}-0000-4000-8000-00000000000${n}`, { status: 'SCHEDULED', ...(n % 2 === 0 && { tenant: 'acme' }) }),
      ),
      job('r1', { status: 'RUNNING', tenant: 'acme' }),
      job('r2', { status: 'RUNNING', tenant: 'globex' }),
      job('r3', { status: 'RUNNING' }),
      job('n1', { schedule: 'nightly', fireTime: '2026-12-01T02:00:00.000Z', tenant: 'acme' }),
      job('n2', { schedule: 'nightly', fireTime: '2026-12-02T02:00:00.000Z' }),
    ]);
    const all = async (query: Record<string, string | number>) => {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listJobs(deployment, JobListQuerySchema.parse({ ...query, limit: 1, cursor }));
        ids.push(...page.jobs.map((j) => j.id));
        cursor = page.cursor ?? undefined;
      } while (cursor);
      return ids;
    };
    // Act
    const scheduled = await all({ status: 'SCHEDULED', tenant: 'acme' });
    const running = await all({ status: 'RUNNING', tenant: 'acme' });
    const runningDefault = await all({ status: 'RUNNING', tenant: 'default' });
    const fired = await all({ schedule: 'nightly', tenant: 'acme' });
    // Assess
    expect(scheduled.sort()).toEqual(['a-0000-4000-8000-000000000000', 'c-0000-4000-8000-000000000002']);
    expect(running).toEqual(['r1']);
    expect(runningDefault).toEqual(['r3']);
    expect(fired).toEqual(['n1']);
  });

  it('refuses a tenant that is not an id, naming the field', () => {
    for (const tenant of ['', 'a b', 'x'.repeat(65)]) {
      const parsed = JobListQuerySchema.safeParse({ status: 'RUNNING', tenant });
      expect(parsed.error?.issues[0]?.path).toEqual(['tenant']);
    }
  });

  it('refuses QUEUED, naming the field: queued jobs are their queues’ messages', () => {
    const parsed = JobListQuerySchema.safeParse({ status: 'QUEUED' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['status']);
  });

  it('refuses a cursor of another query rather than reading from the wrong queue', async () => {
    // Prepare: a cursor into the gpu queues, which a cpu-only query does not have.
    const deployment = deploymentOf([
      job('d', { status: 'SCHEDULED', capacity: 'gpu' }),
      job('f', { status: 'SCHEDULED', capacity: 'gpu' }),
    ]);
    const { cursor } = await listJobs(deployment, JobListQuerySchema.parse({ status: 'SCHEDULED', limit: 1 }));
    // Act
    const listing = listJobs(deployment, JobListQuerySchema.parse({ status: 'SCHEDULED', capacity: 'cpu', cursor }));
    // Assess
    await expect(listing).rejects.toBeInstanceOf(InvalidInputError);
    await expect(listing).rejects.toMatchObject({ details: [{ path: 'cursor' }] });
  });

  it.each([
    ['a key of another queue', { statusShard: 'SCHEDULED#gpu#default#0' }],
    ['a key with other fields', { statusShard: 'SCHEDULED#cpu#default#0', role: 'admin' }],
    ['a key without its id', { statusShard: 'SCHEDULED#cpu#default#0', id: undefined }],
  ])('refuses a forged cursor holding %s before reading anything', async (_, forged) => {
    // Prepare: a well-formed cursor whose start key this query never handed out.
    const deployment = deploymentOf([]);
    const key = { id: 'x', updatedAt: '2026-01-01T00:00:00.000Z', ...forged };
    const cursor = Buffer.from(JSON.stringify({ p: 16, k: key })).toString('base64url');
    // Act
    const listing = listJobs(deployment, JobListQuerySchema.parse({ status: 'SCHEDULED', capacity: 'cpu', cursor }));
    // Assess
    await expect(listing).rejects.toMatchObject({ details: [{ path: 'cursor' }] });
    expect(deployment.keys).toEqual([]);
  });

  it('refuses a running-list cursor that is not one', async () => {
    const listing = listJobs(deploymentOf([]), JobListQuerySchema.parse({ status: 'RUNNING', cursor: 'bm9wZQ' }));
    await expect(listing).rejects.toMatchObject({ details: [{ path: 'cursor' }] });
  });
});
