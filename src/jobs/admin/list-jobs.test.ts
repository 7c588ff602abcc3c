import { describe, expect, it } from 'vitest';
import { queued } from '../../../test/helpers/store-fixtures.ts';
import { InvalidInputError, type Job } from '../model/index.ts';
import type { JobStore } from '../store/index.ts';
import { JobListQuerySchema, listJobs } from './list-jobs.ts';

/** A byStatus index over `jobs`, paged like DynamoDB: `nextKey` after a full page. */
function indexOf(jobs: Job[]): Pick<JobStore, 'listByStatus'> & { keys: string[] } {
  const keys: string[] = [];
  return {
    keys,
    async listByStatus(key, limit, startKey) {
      keys.push(key);
      const all = jobs.filter((job) => `${job.status}#${job.capacity}#${job.priority}` === key);
      const from = startKey ? Number(startKey.at) : 0;
      const page = all.slice(from, from + limit);
      return { jobs: page, ...(from + limit < all.length && { nextKey: { at: from + limit } }) };
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
});
