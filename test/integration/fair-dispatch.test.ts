import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import type { JobRequestInput } from '../../src/client/index.ts';
import { DEFAULT_WINDOW_PER_WEIGHT } from '../../src/jobs/fairness/index.ts';
import type { Job } from '../../src/jobs/model/index.ts';
import { mostAtOnce } from '../helpers/attempt-overlap.ts';
import { testStack } from '../helpers/stack.ts';
import { waitForJobs } from '../helpers/wait-for-jobs.ts';

const { client, deployment, dynamodb } = testStack();
// Generous for 2 busy cores: thousands of jobs; every wait is for a condition.
const TIMEOUT_MS = 900_000;
/** The test deployment's cpu slots (global-setup.ts): 3 cpu workers × 8. */
const CPU_SLOTS = 24;

const firstStart = (job: Job) => Date.parse(job.attemptLog[0]!.startedAt);

/** Jobs a batch request carries: small enough for a busy emulator's intake to answer in time. */
const BATCH = 100;

/** Submits `count` jobs of `tenant` through the batch route; their ids. */
async function flood(tenant: string, count: number, job: JobRequestInput): Promise<string[]> {
  const ids: string[] = [];
  for (let sent = 0; sent < count; sent += BATCH) {
    const items = await client.submitBatch(
      Array.from({ length: Math.min(BATCH, count - sent) }, () => ({ ...job, tenant })),
    );
    expect(items.every((item) => item.status === 201)).toBe(true);
    ids.push(...items.flatMap((item) => ('job' in item ? [item.job.id] : [])));
  }
  return ids;
}

/** Waits until every job has finished (each read straight from the table: thousands of jobs). */
const finished = (ids: string[], label: string) =>
  waitForJobs(dynamodb, deployment.jobsTable, ids, { label, timeoutMs: TIMEOUT_MS - 60_000, onProgress: () => {} });

/** A runtime override of the tenant's settings, as the admin route stores it (item `tenant#<id>`). */
async function setWeight(tenant: string, weight: number): Promise<void> {
  await dynamodb.send(
    new PutItemCommand({
      TableName: deployment.coordinationTable,
      Item: marshall({ name: `tenant#${tenant}`, settings: { weight } }),
    }),
  );
}

// Each test's tenants are its own (a run id), so a rerun on the same stack starts from empty windows.
const run = Date.now().toString(36);

describe('fair dispatch', () => {
  it(
    'gives two backlogged tenants of weights 3:1 their starts within 10 % of 3:1 over a minute',
    async () => {
      // Prepare: the weights, stored as runtime overrides.
      const heavy = `heavy-${run}`;
      const light = `light-${run}`;
      await Promise.all([setWeight(heavy, 3), setWeight(light, 1)]);
      // Three seconds each: the 24 cpu slots start ≤ 8 a second, so the backlogs last minutes and the
      // slots, not a busy emulator's requests per second, are what the tenants share (at 2 s, two
      // busy cores started a third of what the slots could, and the shares drifted with the releases).
      const job = { type: 'sleep', payload: { ms: 3000 }, capacity: 'cpu' } as const;
      // Act: both backlogged, well beyond what a minute starts.
      const [heavyIds, lightIds] = await Promise.all([flood(heavy, 900, job), flood(light, 300, job)]);
      const jobs = await finished([...heavyIds, ...lightIds], 'weighted backlogs');
      // Assess: first attempts' starts in one minute from 10 s after the first start, while both had jobs waiting.
      const begin = Math.min(...jobs.map(firstStart)) + 10_000;
      const end = begin + 60_000;
      const startsIn = (tenant: string) =>
        jobs.filter((j) => j.tenant === tenant && firstStart(j) >= begin && firstStart(j) < end).length;
      const stillWaiting = (tenant: string) => jobs.some((j) => j.tenant === tenant && firstStart(j) >= end);
      expect(stillWaiting(heavy) && stillWaiting(light), 'both tenants backlogged for the whole minute').toBe(true);
      const ratio = startsIn(heavy) / startsIn(light);
      expect(ratio, `${startsIn(heavy)} : ${startsIn(light)} starts`).toBeGreaterThan(3 * 0.9);
      expect(ratio, `${startsIn(heavy)} : ${startsIn(light)} starts`).toBeLessThan(3 * 1.1);
      expect(jobs.every((j) => j.status === 'SUCCEEDED')).toBe(true);
    },
    TIMEOUT_MS,
  );

  it(
    'lets a tenant alone use every cpu slot',
    async () => {
      // Act: a backlog several times the slots, of jobs long enough that all slots fill at once.
      const ids = await flood(`alone-${run}`, 6 * CPU_SLOTS, { type: 'sleep', payload: { ms: 3000 }, capacity: 'cpu' });
      const jobs = await finished(ids, 'the lone tenant');
      // Assess: at some instant every slot ran one of its attempts (a lease taken over on a busy
      // emulator can add an attempt whose worker has not stopped yet: at least, not exactly).
      expect(jobs.every((j) => j.status === 'SUCCEEDED')).toBe(true);
      expect(mostAtOnce(jobs.flatMap((job) => job.attemptLog))).toBeGreaterThanOrEqual(CPU_SLOTS);
    },
    TIMEOUT_MS,
  );
  it(
    'starts a quiet tenant’s job behind a 2,000-job flood before the flood has drained; a held job cancelled never runs',
    async () => {
      // Prepare: the flood, all on the cpu class; a second each, so it outlasts its own submission.
      const floodIds = await flood(`flood-${run}`, 2000, { type: 'sleep', payload: { ms: 1000 }, capacity: 'cpu' });
      // Act: the flood's last job, held behind all the others, cancelled; then the quiet tenant's job.
      const extra = await client.get(floodIds.at(-1)!);
      expect(extra.status).toBe('HELD');
      expect((await client.cancel(extra.id)).status).toBe('CANCELLED');
      const { body: quiet } = await client.submit({ type: 'noop', tenant: `quiet-${run}`, capacity: 'cpu' });
      expect(quiet.status).toBe('QUEUED');
      const [quietJob] = await finished([quiet.id], 'the quiet job');
      // The flood drains too, so the next test file finds an idle stack.
      const floodJobs = (await finished(floodIds, 'the flood')).filter((j) => j.id !== extra.id);
      // Assess: the flood was still backlogged when the quiet job came.
      const waitingAt = (at: number) => floodJobs.filter((j) => firstStart(j) > at).length;
      const atSubmit = waitingAt(Date.parse(quietJob!.createdAt));
      const atStart = waitingAt(firstStart(quietJob!));
      expect(quietJob!.status).toBe('SUCCEEDED');
      expect(atSubmit, 'flood jobs waiting when the quiet job came').toBeGreaterThan(floodIds.length / 4);
      // Behind at most the flood's window and what was already running: not behind its backlog.
      expect(atSubmit - atStart, 'flood jobs started while it waited').toBeLessThanOrEqual(
        DEFAULT_WINDOW_PER_WEIGHT + CPU_SLOTS,
      );
      const [cancelled] = await finished([extra.id], 'the cancelled job');
      expect(cancelled).toMatchObject({ status: 'CANCELLED', attempts: 0, attemptLog: [] });
    },
    TIMEOUT_MS,
  );
});
