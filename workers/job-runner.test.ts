import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobDispatcher } from '../src/jobs/dispatch/index.ts';
import { JobLimiter } from '../src/jobs/limits/index.ts';
import type { JobMetricsRecorder } from '../src/jobs/metrics/index.ts';
import type { Job } from '../src/jobs/model/index.ts';
import { RateWindows, Semaphores } from '../src/jobs/store/index.ts';
import { WorkflowStore } from '../src/jobs/workflows/index.ts';
import { mockedStore, queued } from '../test/helpers/store-fixtures.ts';
import { HandlerRegistry, type JobContext, type JobHandler } from './job-handler.ts';
import { JobRunner, MISSING_JOB_GRACE_MS } from './job-runner.ts';
import type { QueuePoller, ReceivedMessage } from './queue-poller.ts';
import type { ObservedAttempt } from './speed-meter.ts';

const { db, store } = mockedStore();
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const limiter = new JobLimiter(
  { render: { concurrency: 1 } },
  { semaphores: new Semaphores(client, 'coordination'), rateWindows: new RateWindows(client, 'coordination') },
  { leaseMs: 6000 },
);
const JOB_ID = '6f1c7a52-0d2e-4c43-9a55-3f8f8f0b8c11';
const render: Job = { ...queued, id: JOB_ID, type: 'render' };
const message: ReceivedMessage = {
  queue: 'cpu-default',
  queueUrl: 'q',
  body: JSON.stringify({ jobId: JOB_ID }),
  receiptHandle: 'r1',
  receiveCount: 1,
  sentAt: Date.now(),
};

function runnerFor(
  handler: JobHandler,
  {
    fairness,
    queuedCounts,
    workflows,
    onProgress,
  }: {
    fairness?: { giveBack: () => Promise<number> };
    queuedCounts?: { release: (job: Job) => Promise<boolean> };
    workflows?: WorkflowStore;
    onProgress?: (attempt: ObservedAttempt, others: ObservedAttempt[]) => void;
  } = {},
) {
  const poller = {
    delete: vi.fn(),
    handBack: vi.fn(async () => {}),
    setVisibility: vi.fn(async () => {}),
  };
  const runner = new JobRunner(
    {
      store,
      poller: poller as unknown as QueuePoller,
      dispatcher: {} as JobDispatcher,
      registry: new HandlerRegistry().register('render', handler),
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: { started() {}, finished() {}, wasted() {} } as unknown as JobMetricsRecorder,
      limiter,
      // A claim only gives places back: a workflow's dependent (admit, afterHold, unhold) is not started here.
      fairness: fairness && { admit: vi.fn(), afterHold: vi.fn(), unhold: vi.fn(), ...fairness },
      queuedCounts,
      workflows,
      onProgress,
    },
    { workerId: 'w1', leaseSeconds: 6, heartbeatSeconds: 0.02 },
  );
  return { runner, poller };
}

/** The writes, in order, as the table and what each did. */
const writes = () =>
  db.commandCalls(UpdateCommand).map(({ args: [{ input }] }) => `${input.TableName}: ${input.UpdateExpression}`);

beforeEach(() => {
  db.reset();
  db.onAnyCommand().resolves({});
  db.on(GetCommand).resolves({ Item: render });
});

describe('JobRunner with type limits', () => {
  it('hands a job over its limit back to its queue, unclaimed, with its attempts untouched', async () => {
    // Prepare: the type's one slot is held.
    db.on(UpdateCommand, { TableName: 'coordination' }).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: marshall({ name: 'limit#render', holders: { other: Date.now() + 5000 } }),
      }),
    );
    const { runner, poller } = runnerFor(async () => ({ ok: true }));
    // Act
    await runner.process(message, new AbortController().signal);
    // Assess
    expect(poller.handBack).toHaveBeenCalledWith(
      [message],
      expect.toSatisfy((s: number) => s === 1 || s === 2),
    );
    expect(db.commandCalls(UpdateCommand).every(({ args: [{ input }] }) => input.TableName === 'coordination')).toBe(
      true,
    );
  });

  it('holds the slot from before the claim until the attempt has settled, renewing it with each heartbeat', async () => {
    // Prepare: heartbeats see the job still running.
    db.on(UpdateCommand, { ReturnValues: 'ALL_NEW' }).resolves({ Attributes: { ...render, status: 'RUNNING' } });
    const { runner, poller } = runnerFor(() => sleep(70).then(() => ({ ok: true })));
    // Act
    await runner.process(message, new AbortController().signal);
    // Assess
    const order = writes();
    const jobWrites = order.flatMap((w, i) => (w.startsWith('jobs: ') ? [i] : []));
    expect(order[0]).toBe('coordination: SET holders.#holder = :until');
    // Every job write (claim, heartbeats, success) falls between taking the slot and giving it back.
    expect(jobWrites.length).toBeGreaterThan(2);
    expect(order.indexOf('coordination: REMOVE holders.#holder')).toBeGreaterThan(Math.max(...jobWrites));
    expect(order.filter((w) => w === 'coordination: SET holders.#holder = :until').length).toBeGreaterThan(1);
    expect(poller.delete).toHaveBeenCalledWith(message);
    expect(poller.handBack).not.toHaveBeenCalled();
  });

  it("tells the handler the job's tenant, and `default` for a job written without one", async () => {
    // Prepare: heartbeats see the job still running.
    db.on(UpdateCommand, { ReturnValues: 'ALL_NEW' }).resolves({ Attributes: { ...render, status: 'RUNNING' } });
    const tenants: string[] = [];
    const { runner } = runnerFor(async (_payload: unknown, context: JobContext) => tenants.push(context.tenant));
    // Act
    db.on(GetCommand).resolves({ Item: { ...render, tenant: 'acme' } });
    await runner.process(message, new AbortController().signal);
    db.on(GetCommand).resolves({ Item: render });
    await runner.process(message, new AbortController().signal);
    // Assess
    expect(tenants).toEqual(['acme', 'default']);
  });

  it('gives the slot straight back when the claim does not run the job', async () => {
    // Prepare: a duplicate message of a job another worker runs under a live lease.
    db.on(GetCommand).resolves({
      Item: {
        ...render,
        status: 'RUNNING',
        attempts: 1,
        leases: { c1: { workerId: 'w0', attempt: 1, startedAt: Date.now(), expiresAt: Date.now() + 5000 } },
      },
    });
    const { runner, poller } = runnerFor(async () => ({ ok: true }));
    // Act
    await runner.process(message, new AbortController().signal);
    // Assess
    expect(writes()).toEqual(['coordination: SET holders.#holder = :until', 'coordination: REMOVE holders.#holder']);
    expect(poller.handBack).toHaveBeenCalledWith([message], 5);
  });
});

describe('JobRunner and the speed meter', () => {
  it("tells each progress report the worker's other attempts running now, and no longer those that ended", async () => {
    // Prepare: heartbeats see the job still running; the first attempt reports half done, then waits for the second's report.
    db.on(UpdateCommand, { ReturnValues: 'ALL_NEW' }).resolves({ Attributes: { ...render, status: 'RUNNING' } });
    const reports: { fraction?: number; others: (number | undefined)[] }[] = [];
    let secondReported!: () => void;
    const reported = new Promise<void>((done) => {
      secondReported = done;
    });
    let calls = 0;
    const { runner } = runnerFor(
      async (_payload: unknown, context: JobContext) => {
        if (calls++ === 0) {
          context.reportProgress(0.5);
          await reported;
        } else {
          context.reportProgress(0.2);
          secondReported();
        }
        return { ok: true };
      },
      {
        onProgress: (attempt, others) =>
          reports.push({ fraction: attempt.report?.fraction, others: others.map((o) => o.report?.fraction) }),
      },
    );
    // Act
    const first = runner.process(message, new AbortController().signal);
    await vi.waitFor(() => expect(reports).toHaveLength(1));
    await Promise.all([first, runner.process({ ...message, receiptHandle: 'r2' }, new AbortController().signal)]);
    await runner.process(message, new AbortController().signal);
    // Assess: the second saw the first beside it; the third ran alone.
    expect(reports).toEqual([
      { fraction: 0.5, others: [] },
      { fraction: 0.2, others: [0.5] },
      { fraction: 0.2, others: [] },
    ]);
  });
});

describe('JobRunner with a message whose job is not there', () => {
  it('reads again, then hands a young message back: its job may still be on the way (the intake sends first)', async () => {
    // Prepare: the job is written only after the first read.
    db.on(GetCommand).resolvesOnce({}).resolves({});
    const { runner, poller } = runnerFor(async () => 'done');
    // Act
    await runner.process({ ...message, sentAt: Date.now() }, new AbortController().signal);
    // Assess: read again after each pause, then left in its queue for a few seconds, not dropped.
    expect(db.commandCalls(GetCommand).length).toBeGreaterThan(1);
    // The message itself (not a fresh copy, whose send time would restart the grace).
    expect(poller.setVisibility).toHaveBeenCalledWith(expect.objectContaining({ receiptHandle: 'r1' }), 5);
    expect(poller.handBack).not.toHaveBeenCalled();
    expect(poller.delete).not.toHaveBeenCalled();
  });

  it('drops a message whose job was never written once the intake that sent it cannot be writing any more', async () => {
    // Prepare
    db.on(GetCommand).resolves({});
    const { runner, poller } = runnerFor(async () => 'done');
    // Act
    await runner.process({ ...message, sentAt: Date.now() - MISSING_JOB_GRACE_MS - 1 }, new AbortController().signal);
    // Assess
    expect(db.commandCalls(GetCommand)).toHaveLength(1);
    expect(poller.delete).toHaveBeenCalledOnce();
    expect(poller.handBack).not.toHaveBeenCalled();
  });

  it('runs a job written while the message waited for it', async () => {
    // Prepare
    db.on(GetCommand).resolvesOnce({}).resolves({ Item: render });
    const { runner, poller } = runnerFor(async () => 'done');
    // Act
    await runner.process({ ...message, sentAt: Date.now() }, new AbortController().signal);
    // Assess
    expect(writes().some((w) => w.startsWith('jobs:'))).toBe(true);
    expect(poller.handBack).not.toHaveBeenCalled();
  });
});

describe('JobRunner starting a job from its message', () => {
  const startMessage = {
    ...message,
    body: JSON.stringify({ jobId: JOB_ID, attempts: 0, type: 'render', tenant: 'default', due: Date.now() }),
  };
  const startWrite = () =>
    db.commandCalls(UpdateCommand).find(({ args: [{ input }] }) => input.TableName === 'jobs')?.args[0].input;

  it('starts the job in one conditional write and reads nothing, taking the limit slot by the message’s type and tenant', async () => {
    // Prepare: the write returns the job as started.
    const started = {
      ...render,
      status: 'RUNNING',
      attempts: 1,
      attemptLog: [{ attempt: 1, claimId: 'c1', workerId: 'w1', startedAt: 'now' }],
    };
    db.on(UpdateCommand, { TableName: 'jobs', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }).resolves({
      Attributes: started,
    });
    const { runner, poller } = runnerFor(async () => 'done');
    // Act
    await runner.process(startMessage, new AbortController().signal);
    // Assess: waiting, as many attempts as the message said, and due; the job came back with the write.
    expect(db.commandCalls(GetCommand)).toHaveLength(0);
    expect(writes()[0]).toBe('coordination: SET holders.#holder = :until');
    expect(startWrite()?.ConditionExpression).toMatch(/IN \(.*\) AND .* = :v\d+ AND \(attribute_not_exists/);
    expect(startWrite()?.ReturnValues).toBe('ALL_NEW');
    expect(poller.delete).toHaveBeenCalledOnce();
  });

  it('decides on the job the failed write returned when the job moved on since its message', async () => {
    // Prepare: the job already succeeded (a duplicate message).
    db.on(UpdateCommand, { TableName: 'jobs', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: marshall({ ...render, status: 'SUCCEEDED' }, { removeUndefinedValues: true }),
      }),
    );
    const handler = vi.fn(async () => 'done');
    const { runner, poller } = runnerFor(handler);
    // Act
    await runner.process(startMessage, new AbortController().signal);
    // Assess: dropped without a read and without running; the slot is given back.
    expect(db.commandCalls(GetCommand)).toHaveLength(0);
    expect(handler).not.toHaveBeenCalled();
    expect(poller.delete).toHaveBeenCalledOnce();
    expect(writes().at(-1)).toBe('coordination: REMOVE holders.#holder');
  });
});

describe('JobRunner with fair dispatch', () => {
  const placed = { ...message, body: JSON.stringify({ jobId: JOB_ID, tenant: 'acme', place: true }) };

  it("gives the job's place in its tenant's window back once the claim has decided", async () => {
    // Prepare
    const fairness = { giveBack: vi.fn(async () => 0) };
    const { runner } = runnerFor(async () => ({ ok: true }), { fairness });
    // Act
    await runner.process(placed, new AbortController().signal);
    // Assess
    expect(fairness.giveBack).toHaveBeenCalledWith({ capacity: 'cpu', priority: 'default', tenant: 'acme' }, JOB_ID);
  });

  it('keeps the place while the job is not written yet, and gives none back for a message without one', async () => {
    // Prepare
    const fairness = { giveBack: vi.fn(async () => 0) };
    const { runner } = runnerFor(async () => ({ ok: true }), { fairness });
    // Act
    db.on(GetCommand).resolves({});
    await runner.process(placed, new AbortController().signal);
    db.on(GetCommand).resolves({ Item: render });
    await runner.process(message, new AbortController().signal);
    // Assess
    expect(fairness.giveBack).not.toHaveBeenCalled();
  });
});

describe("JobRunner and tenants' counts of waiting jobs", () => {
  const started = (job: Job) => ({
    ...job,
    status: 'RUNNING',
    attempts: 1,
    attemptLog: [{ attempt: 1, claimId: 'c1', workerId: 'w1', startedAt: 'now' }],
  });
  const startMessage = {
    ...message,
    body: JSON.stringify({ jobId: JOB_ID, attempts: 0, type: 'render', tenant: 'acme', due: Date.now() }),
  };

  it('takes a counted job out of its count at its start, before its handler runs, and an uncounted one never', async () => {
    // Prepare
    const calls: string[] = [];
    const release = vi.fn(async () => calls.push('release') > 0);
    db.on(UpdateCommand, { TableName: 'jobs', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })
      .resolvesOnce({ Attributes: started({ ...render, tenant: 'acme', queuedCounted: true }) })
      .resolves({ Attributes: started(render) });
    const { runner } = runnerFor(async () => calls.push('handler'), { queuedCounts: { release } });

    // Act
    await runner.process(startMessage, new AbortController().signal);
    await runner.process(startMessage, new AbortController().signal);

    // Assess
    expect(calls).toEqual(['release', 'handler', 'handler']);
    expect(release).toHaveBeenCalledWith(expect.objectContaining({ id: JOB_ID, queuedCounted: true }));
  });
});

describe('JobRunner with a workflow step', () => {
  it("hands the handler its parents' outcomes by step name, read at claim", async () => {
    // Prepare
    const parentIds = ['00000000-0000-8000-8000-00000000000a', '00000000-0000-8000-8000-00000000000b'];
    const step: Job = {
      ...render,
      workflow: { id: 'w1', step: 'join', parents: { a: parentIds[0]!, b: parentIds[1]! } },
    };
    db.on(GetCommand).resolves({ Item: step });
    db.on(BatchGetCommand).resolves({
      Responses: {
        jobs: [
          { ...queued, id: parentIds[0], status: 'SUCCEEDED', result: '{"n":1}' },
          { ...queued, id: parentIds[1], status: 'DEAD', error: { name: 'Error', message: 'boom', retryable: false } },
        ],
      },
    });
    let seen: unknown;
    const { runner } = runnerFor(async (_payload: unknown, context: { parents?: unknown }) => {
      seen = context.parents;
      return 'ok';
    });
    // Act
    await runner.process(message, new AbortController().signal);
    // Assess
    expect(seen).toEqual({ a: { status: 'SUCCEEDED', result: { n: 1 } }, b: { status: 'DEAD', error: 'boom' } });
  });

  it("commits a handler's spawn in the transaction that writes its job SUCCEEDED", async () => {
    // Prepare
    const step: Job = { ...render, workflow: { id: 'w1', step: 'split' } };
    db.on(GetCommand).resolves({ Item: step });
    const { runner } = runnerFor(
      async (_payload: unknown, { spawn }: JobContext) => {
        spawn({ children: [{ type: 'square', payload: { x: 0 } }], join: { type: 'sum' } });
        return { spawned: 1 };
      },
      { workflows: new WorkflowStore(client, 'jobs') },
    );
    // Act
    await runner.process(message, new AbortController().signal);
    // Assess
    const [transaction] = db.commandCalls(TransactWriteCommand).map(({ args: [{ input }] }) => input.TransactItems!);
    expect(transaction!.map((item) => item.Update?.Key?.id ?? item.Put?.Item?.id)).toEqual([
      JOB_ID,
      'wf#w1#split',
      'wf#w1',
      'wf#w1#split.spawn#0',
    ]);
    expect(Object.values(transaction![0]!.Update!.ExpressionAttributeValues!)).toContain('SUCCEEDED');
  });
});
