import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DISPATCH_QUEUES, queueTopology } from '../../../test/helpers/queue-fixtures.ts';
import { cancelled, mockedStore, NOW } from '../../../test/helpers/store-fixtures.ts';
import { JobDispatcher } from '../dispatch/index.ts';
import type { FairDispatch } from '../fairness/index.ts';
import { EnqueueFailedError, IdempotencyKeyReusedError, TenantQueueFullError } from '../model/index.ts';
import { JobRequestSchema } from './job-request.ts';
import type { QueuedCap } from './queued-cap.ts';
import { hashRequest, submitJob } from './submit-job.ts';

const hash = (body: object) => hashRequest(JobRequestSchema.parse(body));

describe('hashRequest', () => {
  it('ignores the idempotency key itself and key order', () => {
    // Act / Assess
    expect(hash({ type: 'a', payload: { x: 1, y: 2 }, idempotencyKey: 'k1' })).toBe(
      hash({ idempotencyKey: 'k2', payload: { y: 2, x: 1 }, type: 'a' }),
    );
  });

  it('treats omitted and explicit defaults alike', () => {
    // Act / Assess
    expect(hash({ type: 'a' })).toBe(hash({ type: 'a', priority: 'default', maxAttempts: 4, backoff: {} }));
  });

  it('differs when anything that defines the job differs', () => {
    // Act / Assess
    const base = hash({ type: 'a', payload: [1, 2] });
    expect(hash({ type: 'a', payload: [2, 1] })).not.toBe(base);
    expect(hash({ type: 'a', payload: [1, 2], priority: 'low' })).not.toBe(base);
    expect(hash({ type: 'b', payload: [1, 2] })).not.toBe(base);
  });
});

describe('submitJob', () => {
  const { db, store } = mockedStore();
  const sqs = mockClient(SQSClient);
  const JOB_ID = '6f1c7a52-0d2e-4c43-9a55-3f8f8f0b8c11';
  const deps = {
    store,
    dispatcher: new JobDispatcher(new SQSClient({}), queueTopology(), DISPATCH_QUEUES),
    now: () => new Date(NOW),
    newId: () => JOB_ID,
  };
  const keyed = JobRequestSchema.parse({ type: 'email', idempotencyKey: 'k1' });
  /** The record an earlier request left under key k1, pointing at job j0. */
  const earlier = (request: object) => ({
    key: 'k1',
    jobId: 'j0',
    requestHash: hashRequest(JobRequestSchema.parse(request)),
    expiresAt: 1,
  });
  const job0 = { id: 'j0', type: 'email', status: 'SUCCEEDED' };
  /** A concurrent identical request took key k1 (for job j0) between this one's check and its write. */
  const keyTakenMeanwhile = () => {
    const taken = cancelled('None', 'ConditionalCheckFailed');
    taken.CancellationReasons![1]!.Item = marshall(earlier({ type: 'email', idempotencyKey: 'k1' }));
    db.on(TransactWriteCommand).rejects(taken);
    db.on(GetCommand, { TableName: 'jobs' }).resolves({ Item: job0 });
  };

  beforeEach(() => {
    db.reset();
    sqs.reset();
    db.onAnyCommand().resolves({});
    sqs.onAnyCommand().resolves({});
  });

  it('sends the message before it writes the job, so no job is ever without its message', async () => {
    // Prepare
    const calls: string[] = [];
    sqs.on(SendMessageCommand).callsFake(() => calls.push('send'));
    db.on(PutCommand).callsFake(() => calls.push('write'));
    // Act
    const { job, replayed } = await submitJob(deps, JobRequestSchema.parse({ type: 'email' }));
    // Assess
    expect(calls).toEqual(['send', 'write']);
    expect(job).toMatchObject({ id: JOB_ID, status: 'QUEUED', attempts: 0 });
    expect(replayed).toBe(false);
  });

  it('replays the job an identical earlier request created, sending and writing nothing', async () => {
    // Prepare
    db.on(GetCommand, { TableName: 'idempotency' }).resolves({
      Item: earlier({ type: 'email', idempotencyKey: 'k1' }),
    });
    db.on(GetCommand, { TableName: 'jobs' }).resolves({ Item: job0 });
    // Act
    const result = await submitJob(deps, keyed);
    // Assess
    expect(result).toEqual({ job: job0, replayed: true });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('refuses a key an earlier, different request used, sending nothing', async () => {
    // Prepare
    db.on(GetCommand, { TableName: 'idempotency' }).resolves({
      Item: earlier({ type: 'email', idempotencyKey: 'k1', priority: 'low' }),
    });
    // Act
    const submitted = submitJob(deps, keyed);
    // Assess
    await expect(submitted).rejects.toThrow(IdempotencyKeyReusedError);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('replays the job of a concurrent identical request that took the key between the check and the write', async () => {
    // Prepare
    keyTakenMeanwhile();
    // Act
    const result = await submitJob(deps, keyed);
    // Assess: its own message went out first; the worker drops it, as its job was never written.
    expect(result).toEqual({ job: job0, replayed: true });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('fails with EnqueueFailedError and writes nothing when the message cannot be sent', async () => {
    // Prepare
    sqs.on(SendMessageCommand).rejects(new Error('SQS is down'));
    // Act
    const submitted = submitJob(deps, keyed);
    // Assess
    await expect(submitted).rejects.toThrow(EnqueueFailedError);
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
    expect(db.commandCalls(PutCommand)).toHaveLength(0);
  });

  describe('with a tenant capped on waiting jobs', () => {
    /** acme may have 2 jobs waiting; `waiting` of them are counted now. Everyone else has no cap. */
    const capped = (waiting: number): QueuedCap => ({
      capOf: async (tenant) => (tenant === 'acme' ? 2 : undefined),
      waiting: async () => waiting,
      count: (tenant, cap) => ({
        Update: { TableName: 'coordination', Key: { name: tenant }, UpdateExpression: `cap ${cap}` },
      }),
      retryAfterSeconds: 5,
    });
    const acme = JobRequestSchema.parse({ type: 'email', tenant: 'acme' });

    it('writes and counts the job in one transaction, marked counted', async () => {
      // Act
      const { job } = await submitJob({ ...deps, queuedCap: capped(1) }, acme);

      // Assess
      expect(job.queuedCounted).toBe(true);
      const [write] = db.commandCalls(TransactWriteCommand);
      expect(write?.args[0].input.TransactItems).toMatchObject([
        { Put: { TableName: 'jobs', Item: { id: JOB_ID, queuedCounted: true } } },
        { Update: { TableName: 'coordination', UpdateExpression: 'cap 2' } },
      ]);
    });

    it('refuses a tenant at its cap before sending or writing anything, naming the tenant', async () => {
      // Act
      const submitted = submitJob({ ...deps, queuedCap: capped(2) }, { ...acme, idempotencyKey: 'k1' });

      // Assess
      await expect(submitted).rejects.toThrow(TenantQueueFullError);
      await expect(submitted).rejects.toMatchObject({ tenant: 'acme', retryAfterSeconds: 5 });
      expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
      expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
      expect(db.commandCalls(PutCommand)).toHaveLength(0);
    });

    it('refuses a job whose count a concurrent submit filled between the check and the write', async () => {
      // Prepare: the count is the transaction's third write, after the job's and its key's.
      db.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'));

      // Act
      const submitted = submitJob({ ...deps, queuedCap: capped(1) }, { ...acme, idempotencyKey: 'k1' });

      // Assess: its message went out; the worker drops it, as its job was never written.
      await expect(submitted).rejects.toThrow(TenantQueueFullError);
    });

    it('costs a tenant without a cap nothing more than before', async () => {
      // Act
      const { job } = await submitJob({ ...deps, queuedCap: capped(99) }, JobRequestSchema.parse({ type: 'email' }));

      // Assess
      expect(job.queuedCounted).toBeUndefined();
      expect(db.commandCalls(PutCommand)).toHaveLength(1);
      expect(db.commandCalls(TransactWriteCommand)).toHaveLength(0);
    });
  });

  describe('with fair dispatch', () => {
    const fairness = { admit: vi.fn(), afterHold: vi.fn(), unhold: vi.fn(), giveBack: vi.fn() };
    // The real clock: the dispatcher's delay is measured from it.
    const fairDeps = { ...deps, now: () => new Date(), fairness: fairness as unknown as FairDispatch };
    const sent = () =>
      sqs
        .commandCalls(SendMessageCommand)
        .filter(({ args: [{ input }] }) => input.QueueUrl !== DISPATCH_QUEUES.checksQueueUrl);

    beforeEach(() => {
      fairness.admit.mockReset().mockResolvedValue(new Set([JOB_ID]));
      fairness.afterHold.mockReset().mockResolvedValue(undefined);
      fairness.unhold.mockReset().mockResolvedValue(undefined);
      fairness.giveBack.mockReset().mockResolvedValue(0);
    });

    it('sends a job that took a place in its tenant’s window saying so, and writes it QUEUED', async () => {
      // Act
      const { job } = await submitJob(fairDeps, JobRequestSchema.parse({ type: 'email', tenant: 'acme' }));
      // Assess
      expect(job.status).toBe('QUEUED');
      expect(fairness.admit).toHaveBeenCalledWith([expect.objectContaining({ id: JOB_ID, tenant: 'acme' })]);
      expect(JSON.parse(sent()[0]!.args[0].input.MessageBody!)).toMatchObject({ place: true, tenant: 'acme' });
    });

    it('writes a job its window holds HELD under its tenant, sends nothing, then releases', async () => {
      // Prepare
      fairness.admit.mockResolvedValue(new Set());
      // Act
      const { job } = await submitJob(fairDeps, JobRequestSchema.parse({ type: 'email', tenant: 'acme' }));
      // Assess
      expect(job.status).toBe('HELD');
      expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
      expect(db.commandCalls(PutCommand)[0]!.args[0].input.Item).toMatchObject({
        status: 'HELD',
        statusShard: 'HELD#cpu#default#acme',
      });
      expect(fairness.afterHold).toHaveBeenCalledWith([expect.objectContaining({ id: JOB_ID, status: 'HELD' })]);
    });

    it('uncounts the hold of a job a concurrent identical request wrote first, and replays that job', async () => {
      // Prepare
      fairness.admit.mockResolvedValue(new Set());
      keyTakenMeanwhile();
      // Act
      const result = await submitJob(fairDeps, keyed);
      // Assess
      expect(result).toEqual({ job: job0, replayed: true });
      expect(fairness.unhold).toHaveBeenCalledWith([expect.objectContaining({ id: JOB_ID, status: 'HELD' })]);
      expect(fairness.afterHold).not.toHaveBeenCalled();
    });

    it('passes a delayed job by the windows: it is admitted when due', async () => {
      // Act
      await submitJob(fairDeps, JobRequestSchema.parse({ type: 'email', delaySeconds: 30 }));
      // Assess
      expect(fairness.admit).not.toHaveBeenCalled();
      expect(JSON.parse(sent()[0]!.args[0].input.MessageBody!)).not.toHaveProperty('place');
    });

    it('gives the place back when the message cannot be sent', async () => {
      // Prepare
      sqs.on(SendMessageCommand).rejects(new Error('SQS is down'));
      // Act / Assess
      await expect(submitJob(fairDeps, JobRequestSchema.parse({ type: 'email' }))).rejects.toThrow(EnqueueFailedError);
      expect(fairness.giveBack).toHaveBeenCalledWith(
        { capacity: 'cpu', priority: 'default', tenant: 'default' },
        JOB_ID,
      );
    });

    describe('when window bookkeeping fails after the job was decided', () => {
      const log = { warn: vi.fn() };
      const loggedDeps = { ...fairDeps, log };
      beforeEach(() => log.warn.mockReset());

      it('still answers with the HELD job, and logs the release it could not make', async () => {
        // Prepare
        fairness.admit.mockResolvedValue(new Set());
        fairness.afterHold.mockRejectedValue(new Error('throttled'));
        // Act
        const { job } = await submitJob(loggedDeps, JobRequestSchema.parse({ type: 'email', tenant: 'acme' }));
        // Assess
        expect(job.status).toBe('HELD');
        expect(db.commandCalls(PutCommand)).toHaveLength(1);
        expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('releasing after a hold failed'), {
          error: new Error('throttled'),
        });
      });

      it('still reports the failed send, not the failed give-back, and logs that the place stays until its lease ends', async () => {
        // Prepare
        sqs.on(SendMessageCommand).rejects(new Error('SQS is down'));
        fairness.giveBack.mockRejectedValue(new Error('throttled'));
        // Act / Assess
        await expect(submitJob(loggedDeps, JobRequestSchema.parse({ type: 'email' }))).rejects.toThrow(
          EnqueueFailedError,
        );
        expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('giving back an unsent job’s place failed'), {
          error: new Error('throttled'),
        });
      });
    });
  });
});
