import { Logger } from '@aws-lambda-powertools/logger';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobDispatcher } from '../src/jobs/dispatch/index.ts';
import { JobRequestSchema } from '../src/jobs/intake/index.ts';
import type { JobMetricsRecorder } from '../src/jobs/metrics/index.ts';
import { JobCancelledError, LeaseLostError, NonRetryableError, WorkerShutdownError } from '../src/jobs/model/index.ts';
import type { WorkflowStore } from '../src/jobs/workflows/index.ts';
import { conditionFailed, lease, mockedStoreAtNow, NOW, runningOn } from '../test/helpers/store-fixtures.ts';
import { Heartbeats } from './heartbeats.ts';
import { JobEffects } from './job-handler.ts';
import type { QueuePoller } from './queue-poller.ts';
import { RunningAttempt } from './running-attempt.ts';
import { settle } from './settle.ts';

const { db, store } = mockedStoreAtNow();
const running = runningOn(NOW + 30_000);
const ran = { durationMs: 120, projectedMs: 150 };
const succeeded = { ok: true as const, result: 'done', effects: new JobEffects() };
const failed = (error: unknown) => ({ ok: false as const, error });

function settling(job = running) {
  const deps = {
    store,
    dispatcher: { dispatch: vi.fn(async () => {}) } as unknown as JobDispatcher,
    metrics: { finished: vi.fn(), wasted: vi.fn() } as unknown as JobMetricsRecorder,
    onAttemptFinished: vi.fn(),
  };
  const run = new RunningAttempt(
    job,
    { claimId: 'c1', index: 0, lease: lease('w1', NOW + 30_000) },
    { queue: 'cpu-default', queueUrl: 'q', body: '{}', receiptHandle: 'r1', receiveCount: 1, sentAt: NOW },
    undefined,
    {
      store,
      poller: {} as QueuePoller,
      heartbeats: new Heartbeats(1000),
      logger: new Logger({ logLevel: 'SILENT' }),
      leaseSeconds: 30,
    },
  );
  return { deps, run };
}

beforeEach(() => {
  // fail and release read the job again before they settle it.
  db.on(GetCommand).resolves({ Item: running });
});

describe('settle', () => {
  it('deletes the message of a success, and counts the attempt as finished', async () => {
    // Prepare
    const { deps, run } = settling();
    // Act
    const action = await settle(deps, run, succeeded, ran);
    // Assess
    expect(action).toEqual({ kind: 'delete' });
    expect(deps.onAttemptFinished).toHaveBeenCalledWith(
      expect.objectContaining({ status: 'SUCCEEDED' }),
      120,
      'succeeded',
    );
  });

  it('leaves the message of an attempt that lost the race, and counts its time as wasted', async () => {
    // Prepare
    db.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    const { deps, run } = settling();
    // Act
    const action = await settle(deps, run, succeeded, ran);
    // Assess
    expect(action).toEqual({ kind: 'leave' });
    expect(deps.metrics.wasted).toHaveBeenCalledWith(running, 120);
    expect(deps.onAttemptFinished).toHaveBeenCalledWith(running, 150, 'superseded');
  });

  it('fails the attempt when its success cannot be written for another reason than a lost race', async () => {
    // Prepare
    db.on(UpdateCommand)
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }))
      .resolves({});
    const { deps, run } = settling();
    // Act
    const action = await settle(deps, run, succeeded, ran);
    // Assess: retried later, with its own message deleted and a fresh one sent.
    expect(action).toEqual({ kind: 'delete' });
    expect(deps.dispatcher.dispatch).toHaveBeenCalledWith(
      expect.objectContaining({ status: 'RETRYING' }),
      expect.any(Number),
    );
  });

  it('ends a job that cannot be retried as DEAD, and deletes its message', async () => {
    // Prepare
    const { deps, run } = settling();
    // Act
    const action = await settle(deps, run, failed(new NonRetryableError('bad input')), ran);
    // Assess
    expect(action).toEqual({ kind: 'delete' });
    expect(deps.dispatcher.dispatch).not.toHaveBeenCalled();
    expect(deps.onAttemptFinished).toHaveBeenCalledWith(expect.objectContaining({ status: 'DEAD' }), 120, 'failed');
  });

  it('deletes the message of an attempt cancelled through the API', async () => {
    // Prepare
    const { deps, run } = settling();
    // Act
    const action = await settle(deps, run, failed(new JobCancelledError(running.id)), ran);
    // Assess
    expect(action).toEqual({ kind: 'delete' });
    expect(deps.onAttemptFinished).toHaveBeenCalledWith(
      expect.objectContaining({ status: 'CANCELLED' }),
      120,
      'failed',
    );
  });

  it('hands the message of an attempt released at shutdown back at once, for another worker', async () => {
    // Prepare
    const { deps, run } = settling();
    // Act
    const action = await settle(deps, run, failed(new WorkerShutdownError()), ran);
    // Assess
    expect(action).toEqual({ kind: 'handBack', delaySeconds: 0 });
  });

  it('leaves the message of an attempt that lost its lease, writing only its closed record', async () => {
    // Prepare
    const { deps, run } = settling();
    // Act
    const action = await settle(deps, run, failed(new LeaseLostError(running.id)), ran);
    // Assess
    expect(action).toEqual({ kind: 'leave' });
    const [close] = db.commandCalls(UpdateCommand);
    expect(close?.args[0].input.ConditionExpression).toContain('attribute_not_exists');
    expect(deps.metrics.finished).not.toHaveBeenCalled();
  });

  describe('a workflow step', () => {
    const step = { ...running, workflow: { id: 'w1', step: 'b' } };
    /** Workflow items that record the step's end and know no children (the advance stops there). */
    const workflowItems = (setStepStatus = vi.fn(async () => true)) => ({
      setStepStatus,
      getStep: vi.fn(async () => undefined),
    });

    it("advances its workflow right after the job's end is written", async () => {
      // Prepare
      const { deps, run } = settling(step);
      const workflows = workflowItems();
      // Act
      await settle({ ...deps, workflows: workflows as unknown as WorkflowStore }, run, succeeded, ran);
      // Assess
      expect(workflows.setStepStatus).toHaveBeenCalledWith('w1', 'b', 'SUCCEEDED', expect.any(String));
    });

    it('leaves its workflow to the reaper when the advance fails: the job stays settled', async () => {
      // Prepare
      const { deps, run } = settling(step);
      const workflows = workflowItems(vi.fn(async () => Promise.reject(new Error('throttled'))));
      // Act
      const action = await settle({ ...deps, workflows: workflows as unknown as WorkflowStore }, run, succeeded, ran);
      // Assess
      expect(action).toEqual({ kind: 'delete' });
    });

    it('stops after the end is written when an injected fault dies there: no advance, the message left', async () => {
      // Prepare
      const { deps, run } = settling(step);
      const workflows = workflowItems();
      const beforeAdvance = vi.fn(() => {
        throw new Error('fault injected');
      });
      // Act
      const settled = settle(
        { ...deps, workflows: workflows as unknown as WorkflowStore, beforeAdvance },
        run,
        succeeded,
        ran,
      );
      // Assess: the hook saw the job as its end was written (SUCCEEDED), and nothing moved the workflow.
      await expect(settled).rejects.toThrow('fault injected');
      expect(beforeAdvance).toHaveBeenCalledWith(expect.objectContaining({ id: step.id, status: 'SUCCEEDED' }));
      expect(workflows.setStepStatus).not.toHaveBeenCalled();
    });

    it("starts a dependent through its tenant's window: held, without a message, when the window is full", async () => {
      // Prepare: b's only child c has all its parents done once b is told.
      const { deps, run } = settling(step);
      const child = {
        workflowId: 'w1',
        name: 'c',
        jobId: '00000000-0000-8000-8000-00000000000c',
        request: JobRequestSchema.parse({ type: 'noop', tenant: 'acme' }),
        dependsOn: ['b'],
        finishedParents: new Set(['b']),
        children: [],
        onParentFailure: 'fail',
        status: 'PENDING',
      };
      const workflows = {
        ...workflowItems(),
        getStep: vi.fn(async () => ({ status: 'SUCCEEDED', children: ['c'] })),
        tellChild: vi.fn(async () => child),
        startStep: vi.fn(async () => 'started'),
        markDone: vi.fn(async () => ({ doneSteps: new Set(['b']), stepNames: ['b', 'c'] })),
      };
      const fairness = {
        admit: vi.fn(async () => new Set<string>()),
        afterHold: vi.fn(async () => {}),
        unhold: vi.fn(async () => {}),
        giveBack: vi.fn(),
      };
      // Act
      await settle({ ...deps, workflows: workflows as unknown as WorkflowStore, fairness }, run, succeeded, ran);
      // Assess
      expect(workflows.startStep).toHaveBeenCalledWith(
        expect.objectContaining({ id: child.jobId, tenant: 'acme', status: 'HELD' }),
        'w1',
        'c',
        expect.any(String),
      );
      expect(deps.dispatcher.dispatch).not.toHaveBeenCalled();
      expect(fairness.afterHold).toHaveBeenCalledWith([expect.objectContaining({ id: child.jobId })]);
    });

    it('does not advance on a retry: the job has not ended', async () => {
      // Prepare
      const { deps, run } = settling(step);
      const workflows = workflowItems();
      // Act
      await settle({ ...deps, workflows: workflows as unknown as WorkflowStore }, run, failed(new Error('x')), ran);
      // Assess
      expect(workflows.setStepStatus).not.toHaveBeenCalled();
    });
  });
});
