import { describe, expect, it } from 'vitest';
import { NOW, queued } from '../../../test/helpers/store-fixtures.ts';
import { encodeJobMessage } from '../dispatch/index.ts';
import { type Job, type JobStatus, type QueueKey, StaleJobError } from '../model/index.ts';
import { statusShardKey } from '../store/index.ts';
import { DEFAULT_REAPER_SETTINGS, type ReaperDeps, reap } from './reaper.ts';
import type { DeadLetteredMessage } from './reaper-queues.ts';

const GRACE = DEFAULT_REAPER_SETTINGS.graceMs;
const ids = Array.from({ length: 4 }, (_, n) => `00000000-0000-4000-8000-00000000010${n}`);

/** A job of cpu-default waiting since `since` (epoch ms). */
const waitingJob = (n: number, status: JobStatus, since: number, fields: Partial<Job> = {}): Job => ({
  ...queued,
  id: ids[n]!,
  status,
  runAt: new Date(since).toISOString(),
  updatedAt: new Date(since).toISOString(),
  ...fields,
});

/** Fakes of the reaper's ports: `indexed` is what the status index holds, `dlq` each queue's dead letters. */
function ports(options: {
  indexed?: Job[];
  jobs?: Job[];
  waiting?: number;
  dlq?: Partial<Record<QueueKey, string[]>>;
}) {
  const done = {
    dispatched: [] as string[],
    transitions: [] as [string, JobStatus][],
    changes: [] as unknown[],
    deleted: [] as string[],
    returnsCounted: [] as string[],
  };
  const jobs = new Map([...(options.indexed ?? []), ...(options.jobs ?? [])].map((job) => [job.id, job]));
  const dlq = new Map(Object.entries(options.dlq ?? {}).map(([key, bodies]) => [key, [...bodies!]]));
  const deps: ReaperDeps = {
    store: {
      unchangedSince: async (key: string) => (options.indexed ?? []).filter((job) => statusShardKey(job) === key),
      markRedispatched: async () => true,
      get: async (id: string) => jobs.get(id),
      countDeadLetterReturn: async (job: Job) => {
        done.returnsCounted.push(job.id);
        return true;
      },
      transition: async (job: Job, to: JobStatus, change?: unknown) => {
        done.transitions.push([job.id, to]);
        done.changes.push(change);
        return { ...job, status: to };
      },
    },
    dispatcher: {
      dispatch: async (job: Pick<Job, 'id'>) => {
        done.dispatched.push(job.id);
      },
    },
    queues: {
      waiting: async () => options.waiting ?? 0,
      held: async () => options.waiting ?? 0,
      receiveDeadLettered: async (key: QueueKey) =>
        (dlq.get(key)?.splice(0) ?? []).map((body, n) => ({ body, receiptHandle: `${key}-${n}` })),
      deleteDeadLettered: async (_key: QueueKey, messages: readonly DeadLetteredMessage[]) => {
        done.deleted.push(...messages.map((m) => m.body));
      },
    },
  };
  return { deps, done };
}

describe('reap: delayed and retrying jobs past due', () => {
  it('sends a fresh message to each stuck job its queue has no message for, oldest first', async () => {
    // Prepare: two jobs stuck past due and the grace, one message left in their queue.
    const older = waitingJob(0, 'SCHEDULED', NOW - 3 * GRACE);
    const newer = waitingJob(1, 'RETRYING', NOW - 2 * GRACE);
    const { deps, done } = ports({ indexed: [older, newer], waiting: 1 });
    // Act
    const report = await reap(deps, DEFAULT_REAPER_SETTINGS, NOW);
    // Assess
    expect(done.dispatched).toEqual([older.id]);
    expect(report.redispatched.map(({ jobId, status }) => [jobId, status])).toEqual([[older.id, 'SCHEDULED']]);
    expect(report.leftToBacklog).toBe(1);
    expect(report.oldestStuckMs).toBe(3 * GRACE);
  });

  it('leaves a job alone within the grace of its due time', async () => {
    const { deps, done } = ports({ indexed: [waitingJob(0, 'SCHEDULED', NOW - GRACE / 2)] });

    const report = await reap(deps, DEFAULT_REAPER_SETTINGS, NOW);

    expect(done.dispatched).toEqual([]);
    expect(report.oldestStuckMs).toBe(0);
  });
});

describe('reap: dead-lettered messages', () => {
  it("deletes a finished job's message, sends an unfinished one's back, and leaves one it cannot read", async () => {
    // Prepare
    const finished = waitingJob(0, 'SUCCEEDED', NOW);
    const unfinished = waitingJob(1, 'QUEUED', NOW);
    const { deps, done } = ports({
      jobs: [finished, unfinished],
      dlq: { 'cpu-default': [encodeJobMessage(finished.id), encodeJobMessage(unfinished.id), 'not a job message'] },
    });
    // Act
    const report = await reap(deps, DEFAULT_REAPER_SETTINGS, NOW);
    // Assess
    expect(report).toMatchObject({ deadLettersSpent: 1, deadLettersReturned: 1, endedDead: [] });
    expect(done.dispatched).toEqual([unfinished.id]);
    expect(done.returnsCounted).toEqual([unfinished.id]);
    expect(done.deleted).toEqual([encodeJobMessage(finished.id), encodeJobMessage(unfinished.id)]);
  });

  it('ends a job DEAD once its messages reached the dead-letter queue too often', async () => {
    const worn = waitingJob(0, 'QUEUED', NOW, { deadLetterReturns: DEFAULT_REAPER_SETTINGS.maxDeadLetterReturns });
    const { deps, done } = ports({ jobs: [worn], dlq: { 'cpu-default': [encodeJobMessage(worn.id)] } });

    const report = await reap(deps, DEFAULT_REAPER_SETTINGS, NOW);

    expect(report.endedDead).toEqual([worn.id]);
    expect(done.transitions).toEqual([[worn.id, 'DEAD']]);
    expect(done.dispatched).toEqual([]);
  });

  it("takes a job it ends DEAD before any start out of its tenant's count, in the same write", async () => {
    // Prepare
    const worn = waitingJob(0, 'QUEUED', NOW, {
      deadLetterReturns: DEFAULT_REAPER_SETTINGS.maxDeadLetterReturns,
      queuedCounted: true,
    });
    const { deps, done } = ports({ jobs: [worn], dlq: { 'cpu-default': [encodeJobMessage(worn.id)] } });
    const countDown = { Update: { TableName: 'coordination', Key: { name: 'count' }, UpdateExpression: 'ADD' } };

    // Act
    await reap(
      {
        ...deps,
        onEndUnstarted: (job) => (job.queuedCounted ? { remove: ['queuedCounted'], alsoWrite: [countDown] } : {}),
      },
      DEFAULT_REAPER_SETTINGS,
      NOW,
    );

    // Assess
    expect(done.changes).toEqual([
      expect.objectContaining({ remove: ['leases', 'speculation', 'queuedCounted'], alsoWrite: [countDown] }),
    ]);
  });

  it('leaves a job a worker took meanwhile to that worker', async () => {
    // Prepare: the DEAD write finds the job moved on.
    const worn = waitingJob(0, 'QUEUED', NOW, { deadLetterReturns: DEFAULT_REAPER_SETTINGS.maxDeadLetterReturns });
    const { deps, done } = ports({ jobs: [worn], dlq: { 'cpu-default': [encodeJobMessage(worn.id)] } });
    deps.store.transition = async () => {
      throw new StaleJobError(worn.id);
    };
    // Act
    const report = await reap(deps, DEFAULT_REAPER_SETTINGS, NOW);
    // Assess: not counted as ended; the message is spent.
    expect(report.endedDead).toEqual([]);
    expect(done.deleted).toEqual([encodeJobMessage(worn.id)]);
  });
});

describe('reap: workflows', () => {
  it('advances the workflows unchanged for the grace period, after the jobs, and reports each', async () => {
    // Prepare
    const { deps } = ports({});
    const asked: [string, number][] = [];
    const failure = new Error('throttled');
    deps.advanceStalledWorkflows = async (before, limit) => {
      asked.push([before, limit]);
      return { advanced: ['w1'], failed: [{ workflowId: 'w2', error: failure }] };
    };
    // Act
    const report = await reap(deps, DEFAULT_REAPER_SETTINGS, NOW);
    // Assess
    expect(asked).toEqual([[new Date(NOW - GRACE).toISOString(), DEFAULT_REAPER_SETTINGS.maxPerQueue]]);
    expect(report.workflowsAdvanced).toEqual(['w1']);
    expect(report.workflowsFailed).toEqual([{ workflowId: 'w2', error: failure }]);
  });
});
