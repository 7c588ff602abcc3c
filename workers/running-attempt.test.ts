import { once } from 'node:events';
import { Logger } from '@aws-lambda-powertools/logger';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import {
  type Job,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  WorkerShutdownError,
} from '../src/jobs/model/index.ts';
import { readable } from '../test/helpers/readable-update.ts';
import { conditionFailed, lease, mockedStoreAtNow, NOW, runningOn } from '../test/helpers/store-fixtures.ts';
import { Heartbeats } from './heartbeats.ts';
import type { QueuePoller } from './queue-poller.ts';
import { RunningAttempt, type RunningAttemptDeps } from './running-attempt.ts';

const { db, store, onlyUpdate } = mockedStoreAtNow();
const running = runningOn(NOW + 30_000);
const message = {
  queue: 'cpu-default' as const,
  queueUrl: 'q',
  body: '{}',
  receiptHandle: 'r1',
  receiveCount: 1,
  sentAt: NOW,
};

const slot = { names: ['render'], holder: 'h1' };

function attemptOf(
  job: Job = running,
  onProgress?: RunningAttemptDeps['onProgress'],
  limiter?: RunningAttemptDeps['limiter'],
) {
  const poller = { setVisibility: vi.fn(async () => {}) };
  const heartbeats = new Heartbeats(60_000);
  const run = new RunningAttempt(
    job,
    { claimId: 'c1', index: 0, lease: lease('w1', NOW + 30_000) },
    message,
    limiter ? slot : undefined,
    {
      limiter,
      store,
      poller: poller as unknown as QueuePoller,
      heartbeats,
      logger: new Logger({ logLevel: 'SILENT' }),
      leaseSeconds: 30,
      ...(onProgress ? { onProgress } : {}),
    },
  );
  return { run, poller, heartbeats };
}

describe('RunningAttempt.beat', () => {
  it("renews the lease with the handler's progress, and the message's visibility with it", async () => {
    // Prepare
    db.on(UpdateCommand).resolves({ Attributes: running });
    const { run, poller } = attemptOf();
    run.reportProgress(0.25);
    // Act
    await run.beat();
    // Assess
    expect(readable(onlyUpdate()).set).toMatchObject({
      'leases.c1.expiresAt': NOW + 30_000,
      'leases.c1.progress': 0.25,
    });
    expect(poller.setVisibility).toHaveBeenCalledWith(message, 30);
    expect(run.signal.aborted).toBe(false);
  });

  it('ends the attempt when the job was cancelled through the API', async () => {
    // Prepare
    db.on(UpdateCommand).resolves({ Attributes: { ...running, cancelRequested: true } });
    const { run } = attemptOf();
    // Act
    await run.beat();
    // Assess
    expect(run.signal.reason).toBeInstanceOf(JobCancelledError);
  });

  it('ends the attempt once it lost its lease', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(conditionFailed());
    const { run } = attemptOf();
    // Act
    await run.beat();
    // Assess
    expect(run.signal.reason).toBeInstanceOf(LeaseLostError);
  });

  it("renews the lease and the limit slot when the message's visibility cannot be changed", async () => {
    // Prepare: the message was received again after a late beat, so its receipt handle is gone for good.
    db.on(UpdateCommand).resolves({ Attributes: running });
    const limiter = { renew: vi.fn(async () => true) };
    const { run, poller } = attemptOf(running, undefined, limiter as unknown as RunningAttemptDeps['limiter']);
    poller.setVisibility.mockRejectedValue(new Error('The input receipt handle is invalid.'));
    // Act
    await run.beat();
    // Assess
    expect(readable(onlyUpdate()).set).toMatchObject({ 'leases.c1.expiresAt': NOW + 30_000 });
    expect(limiter.renew).toHaveBeenCalledWith(slot);
    expect(run.signal.aborted).toBe(false);
  });

  it('outlives a heartbeat that failed for another reason: the lease lasts several intervals', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(new Error('network'));
    const { run } = attemptOf();
    // Act
    await run.beat();
    // Assess
    expect(run.signal.aborted).toBe(false);
  });
});

describe('RunningAttempt.start', () => {
  it("ends the attempt at the job's timeout", async () => {
    // Prepare
    const { run } = attemptOf({ ...running, timeoutSeconds: 0.01 });
    // Act
    run.start(new AbortController().signal);
    await once(run.signal, 'abort');
    // Assess
    expect(run.signal.reason).toBeInstanceOf(JobTimeoutError);
    run.end();
  });

  it('ends the attempt when the worker shuts down, and no longer once it has ended', async () => {
    // Prepare
    const [shutdown, later] = [new AbortController(), new AbortController()];
    const { run } = attemptOf();
    const { run: ended } = attemptOf();
    run.start(shutdown.signal);
    ended.start(later.signal);
    // Act
    ended.end();
    shutdown.abort();
    later.abort();
    // Assess
    expect(run.signal.reason).toBeInstanceOf(WorkerShutdownError);
    expect(ended.signal.aborted).toBe(false);
    run.end();
  });

  it("joins the worker's heartbeats while it runs and leaves them when it ends", async () => {
    // Prepare
    const { run, heartbeats } = attemptOf();
    const add = vi.spyOn(heartbeats, 'add');
    const remove = vi.spyOn(heartbeats, 'delete');
    // Act
    run.start(new AbortController().signal);
    const ranFor = run.end();
    // Assess
    expect(add).toHaveBeenCalledWith(run);
    expect(remove).toHaveBeenCalledWith(run);
    expect(ranFor.durationMs).toBeGreaterThanOrEqual(0);
  });
});

describe('RunningAttempt.reportProgress', () => {
  it('tells the worker each report, with the job’s type and class and the attempt’s start, to read its pace', () => {
    const observed = vi.fn();
    const { run } = attemptOf(running, observed);
    run.reportProgress(0.1);
    run.reportProgress(0.3);
    expect(observed).toHaveBeenCalledTimes(2);
    const [{ type, capacity, startedAt, report }] = observed.mock.calls[1]!;
    expect({ type, capacity }).toEqual({ type: running.type, capacity: running.capacity });
    expect(startedAt).toBeLessThanOrEqual(report.at);
    expect(report.fraction).toBe(0.3);
  });
});
