import { describe, expect, it } from 'vitest';
import { queued } from '../../../test/helpers/store-fixtures.ts';
import { InvalidInputError, type Job } from '../model/index.ts';
import type { JobStore } from '../store/index.ts';
import { JobListQuerySchema, listJobs } from './list-jobs.ts';

/** A byStatus index over `jobs`, paged like DynamoDB: after a full page, `nextKey` is the last item's keys. */
function indexOf(jobs: Job[]): Pick<JobStore, 'listByStatus'> & { keys: string[] } {
  const keys: string[] = [];
  return {
    keys,
    async listByStatus(key, limit, startKey) {
      keys.push(key);
      const all = jobs.filter((job) => `${job.status}#${job.capacity}#${job.priority}` === key);
      const from = startKey ? all.findIndex((j) => j.id === startKey.id) + 1 : 0;
      const page = all.slice(from, from + limit);
      const last = page.at(-1)!;
      const nextKey = { id: last?.id, statusKey: key, updatedAt: last?.updatedAt };
      return { jobs: page, ...(from + limit < all.length && { nextKey }) };
    },
  };
}

const job = (id: string, fields: Partial<Job>): Job => ({ ...queued, id, ...fields });

describe('listJobs', () => {
  it('pages through one state across queues, each job exactly once, the cursor carrying on where a page ended', async () => {
    // Prepare
    const index = indexOf([
      job('a', { status: 'RUNNING', priority: 'critical' }),
      job('b', { status: 'RUNNING', priority: 'low' }),
      job('c', { status: 'RUNNING', priority: 'low' }),
      job('d', { status: 'RUNNING', capacity: 'gpu' }),
      job('e', { status: 'QUEUED', priority: 'low' }),
    ]);
    const query = JobListQuerySchema.parse({ status: 'RUNNING', capacity: 'cpu', limit: '2' });
    // Act
    const first = await listJobs(index, query);
    const second = await listJobs(index, { ...query, cursor: first.cursor! });
    // Assess
    expect(first.jobs.map((j) => j.id)).toEqual(['a', 'b']);
    expect(second.jobs.map((j) => j.id)).toEqual(['c']);
    expect(second.cursor).toBeNull();
    expect(index.keys.every((key) => key.startsWith('RUNNING#cpu#'))).toBe(true);
  });

  it('refuses a cursor of another query rather than reading from the wrong queue', async () => {
    // Prepare: a cursor into the gpu queues, which a cpu-only query does not have.
    const index = indexOf([
      job('d', { status: 'RUNNING', capacity: 'gpu' }),
      job('f', { status: 'RUNNING', capacity: 'gpu' }),
    ]);
    const { cursor } = await listJobs(index, JobListQuerySchema.parse({ status: 'RUNNING', limit: 1 }));
    // Act
    const listing = listJobs(index, JobListQuerySchema.parse({ status: 'RUNNING', capacity: 'cpu', cursor }));
    // Assess
    await expect(listing).rejects.toBeInstanceOf(InvalidInputError);
    await expect(listing).rejects.toMatchObject({ details: [{ path: 'cursor' }] });
  });

  it.each([
    ['a key of another queue', { statusKey: 'RUNNING#gpu#default' }],
    ['a key with other fields', { statusKey: 'RUNNING#cpu#default', role: 'admin' }],
    ['a key without its id', { statusKey: 'RUNNING#cpu#default', id: undefined }],
  ])('refuses a forged cursor holding %s before reading anything', async (_, forged) => {
    // Prepare: a well-formed cursor whose start key this query never handed out.
    const index = indexOf([]);
    const key = { id: 'x', updatedAt: '2026-01-01T00:00:00.000Z', ...forged };
    const cursor = Buffer.from(JSON.stringify({ p: 2, k: key })).toString('base64url');
    // Act
    const listing = listJobs(index, JobListQuerySchema.parse({ status: 'RUNNING', capacity: 'cpu', cursor }));
    // Assess
    await expect(listing).rejects.toMatchObject({ details: [{ path: 'cursor' }] });
    expect(index.keys).toEqual([]);
  });
});
