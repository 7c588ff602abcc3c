import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { readable } from '../../../test/helpers/readable-update.ts';
import { lease, mockedStoreAtNow, NOW, queued, runningOn } from '../../../test/helpers/store-fixtures.ts';
import { type Job, NonRetryableError, StaleJobError } from '../model/index.ts';
import type { JobStore, TransactWriteItem } from '../store/index.ts';
import { type Attempt, cancelRunning, claim, fail, mayRunBackup, release, succeed } from './attempts.ts';

const AT = new Date(NOW).toISOString();
const { db, store, onlyUpdate } = mockedStoreAtNow();
const running = runningOn(NOW + 30_000);
const attempt1: Attempt = { claimId: 'c1', index: 0, lease: lease('w1', NOW + 30_000) };
/** `running` raced by a live speculative backup (claim `c2`, worker `w2`). */
const raced: Job = {
  ...running,
  attemptLog: [...running.attemptLog, { attempt: 1, claimId: 'c2', workerId: 'w2', startedAt: AT, speculative: true }],
  leases: { ...running.leases, c2: lease('w2', NOW + 30_000, true) },
  speculation: { requestedAt: NOW - 1000, against: 'c1', avoidWorker: 'w1', claimedBy: 'c2' },
};
const backup2: Attempt = { claimId: 'c2', index: 1, lease: lease('w2', NOW + 30_000, true) };
const claimAt = { workerId: 'w9', leaseSeconds: 30, now: NOW };

/** The one update sent, as plain UpdateCommand: a decision writes at most once. */
const theUpdate = () => readable(onlyUpdate());

/** The job as `store.get` will read it (fail and release re-read the job before settling). */
function stored(job: Job): void {
  db.on(GetCommand).resolves({ Item: job });
}

/** A running job whose straggling attempt (on worker `slow`) asked for a backup. */
const straggling = {
  id: 'j1',
  status: 'RUNNING',
  attempts: 1,
  attemptLog: [],
  leases: { c1: { workerId: 'slow', attempt: 1, startedAt: NOW - 2000, expiresAt: NOW + 10_000 } },
  speculation: { requestedAt: NOW - 100, against: 'c1', avoidWorker: 'slow' },
} as unknown as Job;
/** Any write would throw: these decisions must be made without touching the table. */
const untouchable = {} as JobStore;

describe('claiming a backup', () => {
  it('runs only on another worker than the straggler, and not on one on probation', () => {
    // Prepare
    const speculation = { avoidWorker: 'w1' };
    // Act
    const allowed = [
      mayRunBackup(speculation, { workerId: 'w1' }),
      mayRunBackup(speculation, { workerId: 'w2', onProbation: true }),
      mayRunBackup(speculation, { workerId: 'w2', onProbation: false }),
    ];
    // Assess
    expect(allowed).toEqual([false, false, true]);
  });

  it("hands it back when this is the straggler's own worker", async () => {
    const decision = await claim(untouchable, straggling, {
      workerId: 'slow',
      leaseSeconds: 30,
      backup: true,
      now: NOW,
    });
    expect(decision).toMatchObject({ action: 'defer' });
  });

  it('hands it back when this worker is on probation: a backup there could straggle too', async () => {
    const decision = await claim(untouchable, straggling, {
      workerId: 'other',
      leaseSeconds: 30,
      backup: true,
      onProbation: true,
      now: NOW,
    });
    expect(decision).toMatchObject({ action: 'defer' });
  });

  it('drops it once the straggler is gone or another backup runs', async () => {
    const finished = { ...straggling, status: 'SUCCEEDED' } as Job;
    const taken = { ...straggling, speculation: { ...straggling.speculation!, claimedBy: 'c2' } } as Job;
    for (const job of [finished, taken]) {
      expect(
        await claim(untouchable, job, { workerId: 'other', leaseSeconds: 30, backup: true, now: NOW }),
      ).toMatchObject({ action: 'drop' });
    }
  });
});

describe('claim', () => {
  it('starts a queued job: RUNNING under its status and version, one more attempt, a lease and an attempt record', async () => {
    const decision = await claim(store, queued, { ...claimAt, speed: 1.2 });

    expect(decision.action).toBe('run');
    if (decision.action !== 'run') return;
    const { claimId } = decision.attempt;
    const expectedLease = { workerId: 'w9', attempt: 1, startedAt: NOW, expiresAt: NOW + 30_000, speed: 1.2 };
    expect(decision.attempt).toEqual({ claimId, index: 0, lease: expectedLease });
    const update = theUpdate();
    expect(update.condition).toBe('status = "QUEUED" AND version = 3');
    expect(update.set).toMatchObject({
      status: 'RUNNING',
      attempts: 1,
      leases: { [claimId]: expectedLease },
      startedAt: AT,
      attemptLog: [{ attempt: 1, claimId, workerId: 'w9', startedAt: AT }],
      version: 'version + 1',
    });
    expect(update.remove).toEqual(['statusShard', 'runAt', 'speculation']);
  });

  it('defers a job that is not due yet, without writing', async () => {
    const later = { ...queued, status: 'SCHEDULED' as const, runAt: new Date(NOW + 90_500).toISOString() };

    const decision = await claim(store, later, claimAt);

    expect(decision).toEqual({ action: 'defer', seconds: 91, reason: 'not due yet' });
    expect(db.calls()).toHaveLength(0);
  });

  it('defers a job running elsewhere under a live lease until that lease would expire', async () => {
    const decision = await claim(store, running, claimAt);

    expect(decision).toEqual({ action: 'defer', seconds: 30, reason: 'running elsewhere' });
    expect(db.calls()).toHaveLength(0);
  });

  it("takes over a job whose lease expired, writing the log whole with the dead worker's attempt lost", async () => {
    const abandoned = runningOn(NOW - 1);

    const decision = await claim(store, abandoned, claimAt);

    expect(decision.action).toBe('run');
    if (decision.action !== 'run') return;
    const update = theUpdate();
    expect(update.condition).toBe('status = "RUNNING" AND version = 3');
    expect(update.set).toMatchObject({
      attempts: 2,
      leases: { [decision.attempt.claimId]: { workerId: 'w9', attempt: 2 } },
      attemptLog: [
        { attempt: 1, outcome: 'lost', finishedAt: AT, error: 'worker stopped heartbeating' },
        { attempt: 2, claimId: decision.attempt.claimId, workerId: 'w9', startedAt: AT },
      ],
    });
    // DynamoDB refuses an update that sets a list and a path inside it: no indexed record paths.
    expect(Object.keys(update.set).filter((path) => path.startsWith('attemptLog['))).toEqual([]);
    expect(Object.keys(update.set.leases as object)).toEqual([decision.attempt.claimId]);
    expect(decision.attempt.index).toBe(1);
    // The job handed back to the worker carries its own record.
    expect(decision.job.attemptLog[1]).toMatchObject({ claimId: decision.attempt.claimId });
  });

  it('ends the job DEAD instead when the lost attempt was its last', async () => {
    const exhausted = { ...runningOn(NOW - 1), attempts: 3 };

    const decision = await claim(store, exhausted, claimAt);

    expect(decision).toEqual({ action: 'drop', reason: 'attempts exhausted by lost workers' });
    const update = theUpdate();
    expect(update.condition).toBe('status = "RUNNING" AND version = 3');
    expect(update.set).toMatchObject({
      status: 'DEAD',
      finishedAt: AT,
      error: { name: 'LeaseLostError', retryable: false },
      'attemptLog[0].outcome': 'lost',
    });
    // DEAD is listed (GET /dlq): the job enters the status index under one of its queue's shards.
    expect(update.set.statusShard).toMatch(/^DEAD#cpu#default#[0-7]$/);
    expect(update.remove).toEqual(['leases', 'speculation']);
  });

  it('starts a backup beside the straggler: a second lease, the speculation claimed, no attempt spent', async () => {
    const wanted: Job = { ...running, speculation: { requestedAt: NOW - 1000, against: 'c1', avoidWorker: 'w1' } };

    const decision = await claim(store, wanted, { ...claimAt, backup: true });

    expect(decision.action).toBe('run');
    if (decision.action !== 'run') return;
    const { claimId, lease: backupLease } = decision.attempt;
    expect(backupLease).toMatchObject({ attempt: 1, speculative: true });
    const update = theUpdate();
    expect(update.condition).toBe('status = "RUNNING" AND version = 3');
    expect(update.set).toMatchObject({
      leases: { c1: wanted.leases!.c1, [claimId]: backupLease },
      speculation: { against: 'c1', claimedBy: claimId },
      attemptLog: [
        wanted.attemptLog[0],
        {
          attempt: 1,
          claimId,
          workerId: 'w9',
          startedAt: AT,
          speculative: true,
          requestedAt: new Date(NOW - 1000).toISOString(),
        },
      ],
    });
    expect(update.set).not.toHaveProperty('attempts');
  });
});

describe('succeed', () => {
  it("settles SUCCEEDED under the holder's lease, committing the effects in the same transaction", async () => {
    const effect: TransactWriteItem = { Put: { TableName: 'effects', Item: { id: 'e1' } } };

    await succeed(store, raced, attempt1, { sent: true }, [effect]);

    expect(db.commandCalls(UpdateCommand)).toHaveLength(0);
    const calls = db.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(1);
    const [jobUpdate, sideEffect] = calls[0]!.args[0].input.TransactItems ?? [];
    expect(sideEffect).toEqual(effect);
    const update = readable(jobUpdate!.Update!);
    expect(update.condition).toBe('status = "RUNNING" AND attribute_exists(leases.c1)');
    expect(update.set).toMatchObject({
      status: 'SUCCEEDED',
      result: '{"sent":true}',
      'attemptLog[0].outcome': 'succeeded',
      'attemptLog[0].won': true,
      'attemptLog[1].outcome': 'superseded',
    });
    expect(update.remove).toEqual(['statusShard', 'leases', 'speculation', 'error', 'cancelRequested']);
  });

  it('throws StaleJobError when the attempt lost its lease before committing', async () => {
    db.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
    );

    await expect(succeed(store, running, attempt1, 'done')).rejects.toThrow(StaleJobError);
  });
});

describe('fail', () => {
  it('schedules a retry after the backoff when the error is retryable and attempts remain', async () => {
    stored(running);

    const outcome = await fail(store, running, attempt1, new Error('timeout talking to SMTP'));

    expect(outcome.retryAt).toBe(NOW + 2000);
    const update = theUpdate();
    expect(update.condition).toBe('status = "RUNNING" AND attribute_exists(leases.c1)');
    expect(update.set).toMatchObject({
      status: 'RETRYING',
      runAt: new Date(NOW + 2000).toISOString(),
      error: { name: 'Error', message: 'timeout talking to SMTP', retryable: true },
      'attemptLog[0].outcome': 'failed',
      'attemptLog[0].error': 'timeout talking to SMTP',
    });
    expect(update.remove).toEqual(['leases', 'speculation']);
  });

  it('ends the job DEAD on a non-retryable error', async () => {
    stored(running);

    const outcome = await fail(store, running, attempt1, new NonRetryableError('bad address'));

    expect(outcome.retryAt).toBeUndefined();
    const update = theUpdate();
    expect(update.condition).toBe('status = "RUNNING" AND attribute_exists(leases.c1)');
    expect(update.set).toMatchObject({
      status: 'DEAD',
      finishedAt: AT,
      error: { name: 'NonRetryableError', retryable: false },
    });
  });

  it('ends the job DEAD when its attempt budget is spent', async () => {
    const lastTry = { ...running, attempts: 3 };
    stored(lastTry);

    await fail(store, lastTry, attempt1, new Error('flaky'));

    expect(theUpdate().set).toMatchObject({ status: 'DEAD', error: { retryable: true } });
  });

  it('ends only this attempt while a live twin runs: the job stays RUNNING', async () => {
    stored(raced);

    const outcome = await fail(store, raced, attempt1, new Error('flaky'));

    expect(outcome.twinContinues).toBe(true);
    expect(theUpdate()).toEqual({
      set: { 'attemptLog[0].finishedAt': AT, 'attemptLog[0].outcome': 'failed', 'attemptLog[0].error': 'flaky' },
      remove: ['leases.c1'],
      condition: 'status = "RUNNING" AND attribute_exists(leases.c1)',
    });
  });

  it('throws StaleJobError without writing once the attempt no longer holds its lease', async () => {
    stored({ ...running, leases: {} });

    await expect(fail(store, running, attempt1, new Error('flaky'))).rejects.toThrow(StaleJobError);
    expect(db.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});

describe('release', () => {
  it('hands the job back QUEUED and returns the attempt to the budget', async () => {
    stored(running);

    await release(store, running, attempt1);

    const update = theUpdate();
    expect(update.condition).toBe('status = "RUNNING" AND attribute_exists(leases.c1)');
    expect(update.set).toMatchObject({ status: 'QUEUED', attempts: 0, 'attemptLog[0].outcome': 'released' });
    expect(update.remove).toEqual(['statusShard', 'leases', 'speculation']);
  });

  it('gives no budget back for a speculative attempt, which never took any', async () => {
    const strandedBackup = { ...raced, leases: { c1: lease('w1', NOW - 1), c2: lease('w2', NOW + 30_000, true) } };
    stored(strandedBackup);

    await release(store, strandedBackup, backup2);

    const update = theUpdate();
    expect(update.condition).toBe('status = "RUNNING" AND attribute_exists(leases.c2)');
    expect(update.set).toMatchObject({ status: 'QUEUED', attempts: 1, 'attemptLog[1].outcome': 'released' });
  });
});

describe('cancelRunning', () => {
  it("settles CANCELLED under the holder's lease, closing every open attempt it knows of", async () => {
    await cancelRunning(store, raced, attempt1);

    const update = theUpdate();
    expect(update.condition).toBe('status = "RUNNING" AND attribute_exists(leases.c1)');
    expect(update.set).toMatchObject({
      status: 'CANCELLED',
      finishedAt: AT,
      'attemptLog[0].outcome': 'cancelled',
      'attemptLog[1].outcome': 'cancelled',
      'attemptLog[1].error': 'cancelled through the API',
    });
    expect(update.remove).toEqual(['statusShard', 'leases', 'speculation', 'cancelRequested']);
  });
});
