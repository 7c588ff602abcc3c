import { describe, expect, it, vi } from 'vitest';
import type { FailureLog, FairDispatch } from '../fairness/index.ts';
import type { QueuedCap } from '../intake/index.ts';
import { IdempotencyKeyReusedError, type Job, type JobStatus, TenantQueueFullError } from '../model/index.ts';
import type { JobStore, KeyRecord, TransactWriteItem } from '../store/index.ts';
import { advanceAll, advanceStalled, advanceStep } from './advance.ts';
import { cancelWorkflow } from './cancel-workflow.ts';
import { type CreatedWorkflow, type CreateWorkflowDeps, createWorkflow } from './create-workflow.ts';
import { type SpawnRequestInput, spawnWrites } from './spawn.ts';
import {
  joinedParent,
  type SpawnRecord,
  type StepItem,
  spawnPageId,
  stepItemId,
  stepJobId,
  type WorkflowItem,
  workflowItemId,
} from './workflow.ts';
import { type StepStatus, stepStatusesBefore, type WorkflowStatus } from './workflow-lifecycle.ts';
import { parseWorkflowRequest, type WorkflowRequestInput } from './workflow-request.ts';
import type { StartOutcome, WorkflowStore } from './workflow-store.ts';

/**
 * The workflow items and jobs in memory, each method one atomic step behind an await, as DynamoDB
 * serializes writes of one item: concurrent advances interleave between them, as they would.
 */
class Table {
  readonly items = new Map<string, WorkflowItem | StepItem>();
  readonly jobs = new Map<string, Job>();
  /** Job ids in the order their messages were sent (a spare message shows twice). */
  readonly sent: string[] = [];
  /** Job ids sent holding a place in their tenant's window. */
  readonly placed: string[] = [];
  readonly started: string[] = [];
  /** Spawn pages' children (JSON text) by item id. */
  readonly pages = new Map<string, string>();
  /** Idempotency keys' records, by key. */
  readonly keys = new Map<string, KeyRecord>();
  /** Step items a spawn's expansion asked to write (those that existed included). */
  stepWrites = 0;

  /** `fairness` and `queuedCap`: the tenants' windows and caps, as the intake and the advance take them. */
  constructor(
    private readonly tenants: {
      fairness?: Pick<FairDispatch, 'admit' | 'afterHold' | 'unhold' | 'giveBack'>;
      queuedCap?: QueuedCap;
      log?: FailureLog;
    } = {},
  ) {}

  private step(workflowId: string, name: string) {
    return this.items.get(stepItemId(workflowId, name)) as StepItem;
  }
  private workflow(workflowId: string) {
    return this.items.get(workflowItemId(workflowId)) as WorkflowItem;
  }
  private async tick() {
    await new Promise((resolve) => setImmediate(resolve));
  }

  readonly workflows = {
    putSteps: async (steps: StepItem[]) => {
      for (const step of steps) this.items.set(step.id, structuredClone(step));
    },
    putWorkflow: async (workflow: WorkflowItem) => {
      this.items.set(workflow.id, structuredClone(workflow));
    },
    workflowPut: (workflow: WorkflowItem) => ({ Put: { TableName: 'jobs', Item: workflow } }),
    getWorkflow: async (id: string) => {
      await this.tick();
      return structuredClone(this.workflow(id));
    },
    getStep: async (id: string, name: string) => {
      await this.tick();
      return structuredClone(this.step(id, name));
    },
    getSteps: async (id: string, names: string[]) => {
      await this.tick();
      return names.flatMap((name) => structuredClone(this.step(id, name)) ?? []);
    },
    putStepsOnce: async (steps: StepItem[]) => {
      await this.tick();
      const created = steps.filter((step) => !this.items.has(step.id));
      for (const step of created) this.items.set(step.id, structuredClone(step));
      this.stepWrites += steps.length;
      return created;
    },
    getSpawnPage: async (id: string, parent: string, page: number) => {
      await this.tick();
      return this.pages.get(spawnPageId(id, parent, page));
    },
    markPageSpawned: async (id: string, parent: string, page: number) => {
      await this.tick();
      const step = this.step(id, parent);
      step.spawnedPages = new Set([...(step.spawnedPages ?? []), page]);
    },
    setStepStatus: async (id: string, name: string, to: StepStatus) => {
      await this.tick();
      const step = this.step(id, name);
      if (!stepStatusesBefore(to).includes(step.status)) return false;
      step.status = to;
      return true;
    },
    markDone: async (id: string, name: string) => {
      await this.tick();
      const workflow = this.workflow(id);
      workflow.doneSteps = new Set([...(workflow.doneSteps ?? []), name]);
      return structuredClone(workflow);
    },
    tellChild: async (id: string, child: string, parent: string, succeeded: boolean, _at?: string, join?: string) => {
      await this.tick();
      const step = this.step(id, child);
      step.finishedParents = new Set([...(step.finishedParents ?? []), parent]);
      if (!succeeded) step.failedParents = new Set([...(step.failedParents ?? []), parent]);
      if (join) step.joinedParents = new Set([...(step.joinedParents ?? []), joinedParent(parent, join)]);
      return structuredClone(step);
    },
    startStep: async (job: Job, id: string, name: string): Promise<StartOutcome> => {
      await this.tick();
      const workflow = this.workflow(id);
      if (this.jobs.has(job.id)) return 'jobExists';
      if (this.step(id, name).status !== 'PENDING') return 'stepMoved';
      if (workflow.status !== 'RUNNING' || workflow.cancelRequested) return 'workflowClosed';
      this.jobs.set(job.id, structuredClone(job));
      this.step(id, name).status = 'STARTED';
      this.started.push(name);
      return 'started';
    },
    finish: async (id: string, status: WorkflowStatus) => {
      await this.tick();
      const workflow = this.workflow(id);
      if (workflow.status !== 'RUNNING') return false;
      workflow.status = status;
      return true;
    },
    requestCancel: async (id: string) => {
      await this.tick();
      const workflow = this.workflow(id);
      if (workflow.status !== 'RUNNING') return false;
      workflow.cancelRequested = true;
      return true;
    },
    touch: async () => {},
    stalled: async () =>
      [...this.items.values()].filter((item): item is WorkflowItem => 'stepNames' in item && item.status === 'RUNNING'),
  };

  /** The jobs table as the intake, the advance and the cancel use it. */
  readonly store = {
    get: async (id: string) => structuredClone(this.jobs.get(id)),
    getMany: async (ids: string[]) => ids.flatMap((id) => structuredClone(this.jobs.get(id)) ?? []),
    create: async (job: Job) => {
      this.jobs.set(job.id, structuredClone(job));
      if (job.workflow) this.started.push(job.workflow.step);
      return { created: true as const };
    },
    idempotencyRecord: async (key: string) => structuredClone(this.keys.get(key)),
    /** The key's record and the item (a workflow's) in one step, as the transaction writes them. */
    createKeyed: async (put: TransactWriteItem, record: KeyRecord) => {
      await this.tick();
      const existing = this.keys.get(record.key);
      if (existing) return { created: false as const, existing: structuredClone(existing) };
      this.keys.set(record.key, structuredClone(record));
      const item = put.Put!.Item as WorkflowItem;
      this.items.set(item.id, structuredClone(item));
      return { created: true as const };
    },
    transition: async (job: Job, to: JobStatus) => {
      this.jobs.get(job.id)!.status = to;
      return { ...job, status: to };
    },
    requestCancel: async (job: Job) => {
      this.jobs.get(job.id)!.cancelRequested = true;
      return { ...job, cancelRequested: true };
    },
  };

  readonly dispatcher = {
    dispatch: async (job: { id: string }, _notBefore: number, { place }: { place?: boolean } = {}) => {
      this.sent.push(job.id);
      if (place) this.placed.push(job.id);
    },
  };

  get deps() {
    return {
      workflows: this.workflows as unknown as WorkflowStore,
      store: this.store as unknown as JobStore,
      dispatcher: this.dispatcher,
      fairness: this.tenants.fairness,
      log: this.tenants.log,
    };
  }

  async create(request: WorkflowRequestInput): Promise<string> {
    return (await this.submit(request)).workflowId;
  }

  /** `POST /workflows`, as its handler calls it: new, or replayed by its idempotency key. */
  submit(request: WorkflowRequestInput): Promise<CreatedWorkflow> {
    const intake = { store: this.deps.store, dispatcher: this.dispatcher as never, ...this.tenants };
    return createWorkflow(
      { workflows: this.deps.workflows, intake: intake as CreateWorkflowDeps['intake'] },
      parseWorkflowRequest(request),
    );
  }

  /** The workflows' own items (not their steps). */
  workflowItems(): WorkflowItem[] {
    return [...this.items.values()].filter((item): item is WorkflowItem => 'stepNames' in item);
  }

  /** A step's job ends (as a worker's settle writes it), without advancing its workflow. */
  end(workflowId: string, name: string, status: JobStatus, result?: unknown): Job {
    const job = this.jobs.get(stepJobId(workflowId, name));
    if (!job) throw new Error(`step ${name} has no job`);
    job.status = status;
    if (result !== undefined) job.result = JSON.stringify(result);
    return job;
  }

  /** A step's job ends and the worker advances its workflow, as its settle does. */
  async finish(workflowId: string, name: string, status: 'SUCCEEDED' | 'DEAD' | 'CANCELLED' = 'SUCCEEDED') {
    const job = this.end(workflowId, name, status);
    await advanceStep(this.deps, job.workflow!, status);
  }

  /**
   * Step `name`'s job succeeds having spawned `request`: the writes its success transaction
   * commits (spawnWrites) applied here, then the worker's advance.
   */
  async spawn(workflowId: string, name: string, request: SpawnRequestInput, { advance = true } = {}) {
    for (const write of spawnWrites('jobs', { id: workflowId, step: name }, 'acme', request, 'now')) {
      if (write.Put) this.pages.set(write.Put.Item!.id as string, write.Put.Item!.children as string);
      const values = write.Update?.ExpressionAttributeValues ?? {};
      if (values[':spawn']) this.step(workflowId, name).spawn = values[':spawn'] as SpawnRecord;
      if (values[':join']) this.workflow(workflowId).stepNames.push(...(values[':join'] as string[]));
    }
    const job = this.end(workflowId, name, 'SUCCEEDED');
    if (advance) await advanceStep(this.deps, job.workflow!, 'SUCCEEDED');
  }

  stepStatus(workflowId: string, name: string): StepStatus | undefined {
    return this.step(workflowId, name)?.status;
  }

  stepStatuses(workflowId: string): Record<string, StepStatus> {
    const workflow = this.workflow(workflowId);
    return Object.fromEntries(workflow.stepNames.map((name) => [name, this.step(workflowId, name).status]));
  }

  status(workflowId: string): WorkflowStatus {
    return this.workflow(workflowId).status;
  }
}

const diamond: WorkflowRequestInput = {
  tenant: 'acme',
  steps: [
    { name: 'a', type: 'noop' },
    { name: 'b', type: 'noop', dependsOn: ['a'] },
    { name: 'c', type: 'noop', dependsOn: ['a'] },
    { name: 'd', type: 'noop', dependsOn: ['b', 'c'] },
  ],
};

describe('advancing a workflow', () => {
  it('starts the roots through the intake, each dependent once its parents are done, and ends SUCCEEDED', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create(diamond);
    expect(table.stepStatuses(id)).toEqual({ a: 'STARTED', b: 'PENDING', c: 'PENDING', d: 'PENDING' });
    // Act
    await table.finish(id, 'a');
    await table.finish(id, 'b');
    const beforeC = table.stepStatuses(id).d;
    await table.finish(id, 'c');
    const afterC = table.stepStatuses(id).d;
    await table.finish(id, 'd');
    // Assess
    expect([beforeC, afterC]).toEqual(['PENDING', 'STARTED']);
    expect(table.started).toEqual(['a', 'b', 'c', 'd']);
    const d = table.jobs.get(stepJobId(id, 'd'))!;
    expect(d).toMatchObject({
      tenant: 'acme',
      status: 'SUCCEEDED',
      workflow: { id, step: 'd', parents: { b: stepJobId(id, 'b'), c: stepJobId(id, 'c') } },
    });
    expect(table.status(id)).toBe('SUCCEEDED');
  });

  it('creates a join once when its 20 parents finish at the same instant', async () => {
    // Prepare
    const table = new Table();
    const parents = Array.from({ length: 20 }, (_, i) => ({ name: `p${i}`, type: 'noop' }));
    const id = await table.create({
      steps: [...parents, { name: 'join', type: 'noop', dependsOn: parents.map((p) => p.name) }],
    });
    // Act
    await Promise.all(parents.map((p) => table.finish(id, p.name)));
    // Assess
    expect(table.started.filter((name) => name === 'join')).toHaveLength(1);
    expect(table.sent.filter((jobId) => jobId === stepJobId(id, 'join'))).toHaveLength(1);
    expect(table.stepStatuses(id).join).toBe('STARTED');
  });

  it("tells and starts a step's dependents at once, not each after the other's start", async () => {
    // Prepare: a with three dependents; the tells in flight together are counted.
    const table = new Table();
    const dependents = ['b', 'c', 'e'].map((name) => ({ name, type: 'noop', dependsOn: ['a'] }));
    const id = await table.create({ steps: [{ name: 'a', type: 'noop' }, ...dependents] });
    const tell = table.workflows.tellChild;
    let [inFlight, most] = [0, 0];
    table.workflows.tellChild = async (...args) => {
      most = Math.max(most, ++inFlight);
      try {
        return await tell(...args);
      } finally {
        inFlight--;
      }
    };
    // Act
    await table.finish(id, 'a');
    // Assess
    expect(most).toBe(3);
    expect(table.stepStatuses(id)).toEqual({ a: 'SUCCEEDED', b: 'STARTED', c: 'STARTED', e: 'STARTED' });
  });

  it('changes nothing when the same end is advanced again (a replayed settle, the reaper)', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create(diamond);
    await table.finish(id, 'a');
    await table.finish(id, 'b');
    // Act
    await Promise.all([table.finish(id, 'b'), table.finish(id, 'b'), advanceAll(table.deps, id)]);
    // Assess: d still waits for c, and b and c started once each.
    expect(table.stepStatuses(id)).toEqual({ a: 'SUCCEEDED', b: 'SUCCEEDED', c: 'STARTED', d: 'PENDING' });
    expect(table.started).toEqual(['a', 'b', 'c']);
  });

  it("skips a failed step's dependents, runs the branches beside it, and ends FAILED", async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({
      steps: [
        { name: 'a', type: 'noop' },
        { name: 'b', type: 'noop', dependsOn: ['a'] },
        { name: 'c', type: 'noop', dependsOn: ['b'] },
        { name: 'aside', type: 'noop' },
      ],
    });
    // Act
    await table.finish(id, 'a', 'DEAD');
    const whileAsideRuns = table.status(id);
    await table.finish(id, 'aside');
    // Assess
    expect(table.stepStatuses(id)).toEqual({ a: 'DEAD', b: 'SKIPPED', c: 'SKIPPED', aside: 'SUCCEEDED' });
    expect(table.jobs.has(stepJobId(id, 'b'))).toBe(false);
    expect(table.jobs.has(stepJobId(id, 'c'))).toBe(false);
    expect([whileAsideRuns, table.status(id)]).toEqual(['RUNNING', 'FAILED']);
  });

  it('runs a continue step after a failed parent, and ends SUCCEEDED when it does', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({
      steps: [
        { name: 'a', type: 'noop' },
        { name: 'b', type: 'noop' },
        { name: 'join', type: 'noop', dependsOn: ['a', 'b'], onParentFailure: 'continue' },
      ],
    });
    // Act
    await table.finish(id, 'a', 'DEAD');
    await table.finish(id, 'b');
    await table.finish(id, 'join');
    // Assess
    expect(table.stepStatuses(id)).toEqual({ a: 'DEAD', b: 'SUCCEEDED', join: 'SUCCEEDED' });
    expect(table.status(id)).toBe('SUCCEEDED');
  });

  it('records the end of a root whose job ended before its step was marked STARTED', async () => {
    // Prepare: the root's job exists, its step still PENDING (as between the intake's write and the step's).
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'a', type: 'noop' }] });
    (table.items.get(stepItemId(id, 'a')) as StepItem).status = 'PENDING';
    // Act
    await table.finish(id, 'a');
    // Assess
    expect(table.stepStatuses(id)).toEqual({ a: 'SUCCEEDED' });
    expect(table.status(id)).toBe('SUCCEEDED');
  });
});

describe('an idempotent POST /workflows', () => {
  const keyed = { ...diamond, idempotencyKey: 'nightly-2026-12-07' };

  it('answers a repeat with the same key with the workflow it created, creating nothing new', async () => {
    // Prepare
    const table = new Table();
    const first = await table.submit(keyed);
    // Act
    const repeat = await table.submit({
      ...keyed,
      steps: keyed.steps.map((step) => ({ ...step, priority: 'default' })),
    });
    // Assess: the defaults count as given, so the repeat is the same request.
    expect(first.replayed).toBe(false);
    expect(repeat).toEqual({ workflowId: first.workflowId, replayed: true });
    expect(table.workflowItems()).toHaveLength(1);
    expect(table.sent).toEqual([stepJobId(first.workflowId, 'a')]);
  });

  it('creates one workflow from concurrent requests with one key, each answered its id', async () => {
    // Prepare
    const table = new Table();
    // Act
    const answers = await Promise.all([table.submit(keyed), table.submit(keyed), table.submit(keyed)]);
    // Assess
    const [workflow] = table.workflowItems();
    expect(table.workflowItems()).toHaveLength(1);
    expect(answers.map((answer) => answer.workflowId)).toEqual(Array(3).fill(workflow!.workflowId));
    expect(answers.filter((answer) => !answer.replayed)).toHaveLength(1);
    expect(table.sent).toEqual([stepJobId(workflow!.workflowId, 'a')]);
  });

  it.each([
    ['a different workflow', { ...keyed, tenant: 'other' }],
    ["a job's key", { ...diamond, idempotencyKey: 'order-1' }],
  ])('refuses the key with %s (409), writing nothing', async (_what, request) => {
    // Prepare
    const table = new Table();
    await table.submit(keyed);
    table.keys.set('order-1', { key: 'order-1', requestHash: 'a job', expiresAt: 0 });
    const items = table.items.size;
    // Act
    const refusal = table.submit(request);
    // Assess
    await expect(refusal).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(table.items.size).toBe(items);
    expect(table.sent).toHaveLength(1);
  });
});

describe('the backstop (advanceAll, the reaper pass)', () => {
  it('moves a workflow whose worker died after its job ended, before advancing', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create(diamond);
    table.end(id, 'a', 'SUCCEEDED');
    // Act
    const { advanced } = await advanceStalled(table.deps, new Date().toISOString(), 100);
    // Assess
    expect(advanced).toEqual([id]);
    expect(table.stepStatuses(id)).toEqual({ a: 'SUCCEEDED', b: 'STARTED', c: 'STARTED', d: 'PENDING' });
  });

  it('starts a step whose last parent was told (a full set) by a process that died before the start', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({
      steps: [
        { name: 'a', type: 'noop' },
        { name: 'b', type: 'noop', dependsOn: ['a'] },
      ],
    });
    table.end(id, 'a', 'SUCCEEDED');
    await table.workflows.setStepStatus(id, 'a', 'SUCCEEDED');
    await table.workflows.tellChild(id, 'b', 'a', true);
    // Act
    await advanceAll(table.deps, id);
    await advanceAll(table.deps, id);
    // Assess
    expect(table.started).toEqual(['a', 'b']);
  });

  it('ends a workflow whose steps are all terminal but that never recorded its last step done', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'a', type: 'noop' }] });
    table.end(id, 'a', 'SUCCEEDED');
    await table.workflows.setStepStatus(id, 'a', 'SUCCEEDED');
    // Act
    await advanceAll(table.deps, id);
    // Assess
    expect(table.status(id)).toBe('SUCCEEDED');
  });

  it('starts a root that POST /workflows never submitted (it died after the workflow item)', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'a', type: 'noop' }] });
    table.jobs.clear();
    (table.items.get(stepItemId(id, 'a')) as StepItem).status = 'PENDING';
    // Act
    await advanceAll(table.deps, id);
    // Assess
    expect(table.stepStatuses(id)).toEqual({ a: 'STARTED' });
    expect(table.jobs.has(stepJobId(id, 'a'))).toBe(true);
  });
});

describe('cancelling a workflow', () => {
  it('cancels its waiting jobs at once, asks running ones to stop, and cancels pending steps', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({
      steps: [
        { name: 'queued', type: 'noop' },
        { name: 'running', type: 'sleep' },
        { name: 'next', type: 'noop', dependsOn: ['running'] },
      ],
    });
    table.jobs.get(stepJobId(id, 'running'))!.status = 'RUNNING';
    // Act
    await cancelWorkflow({ ...table.deps, onJobCancelled: async () => {} }, id);
    const whileRunning = table.status(id);
    await table.finish(id, 'running', 'CANCELLED');
    // Assess
    expect(table.jobs.get(stepJobId(id, 'running'))!.cancelRequested).toBe(true);
    expect(table.stepStatuses(id)).toEqual({ queued: 'CANCELLED', running: 'CANCELLED', next: 'CANCELLED' });
    expect(table.jobs.has(stepJobId(id, 'next'))).toBe(false);
    expect([whileRunning, table.status(id)]).toEqual(['RUNNING', 'CANCELLED']);
  });

  it("takes a cancelled root that never started out of its tenant's count of waiting jobs", async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'a', type: 'noop' }] });
    const onEndUnstarted = vi.fn(() => ({}));
    // Act
    await cancelWorkflow({ ...table.deps, onJobCancelled: async () => {}, onEndUnstarted }, id);
    // Assess
    expect(onEndUnstarted).toHaveBeenCalledWith(expect.objectContaining({ id: stepJobId(id, 'a'), status: 'QUEUED' }));
  });

  it('refuses a workflow that has ended', async () => {
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'a', type: 'noop' }] });
    await table.finish(id, 'a');
    await expect(cancelWorkflow({ ...table.deps, onJobCancelled: async () => {} }, id)).rejects.toThrow(
      'is SUCCEEDED and cannot be cancelled',
    );
  });
});

describe("a workflow's tenant", () => {
  /** Windows with `free` places in all (none given back): the jobs past them are to be written HELD. */
  const windows = (free: number, onAdmit = () => {}) => {
    let left = free;
    return {
      admit: vi.fn(async (jobs: Job[]) => {
        onAdmit();
        const ids = jobs.slice(0, left).map((job) => job.id);
        left -= ids.length;
        return new Set(ids);
      }),
      afterHold: vi.fn(async () => {}),
      unhold: vi.fn(async () => {}),
      giveBack: vi.fn(async () => 0),
    };
  };
  /** A cap of `cap` waiting jobs, `waiting` of them counted at each read in turn (the last one after). */
  const capped = (cap: number, ...waiting: number[]): QueuedCap => ({
    capOf: async () => cap,
    waiting: async () => (waiting.length > 1 ? waiting.shift()! : waiting[0]!),
    count: () => ({}),
    retryAfterSeconds: 5,
  });

  it("writes a step HELD without a message when its tenant's window is full, and sends one with its place", async () => {
    // Prepare
    const fairness = windows(1);
    const table = new Table({ fairness });
    const id = await table.create(diamond);
    // Act
    await table.finish(id, 'a');
    // Assess: a took the one place; b and c are held (their release sends them), yet their steps started.
    expect(table.placed).toEqual([stepJobId(id, 'a')]);
    expect(table.sent).toEqual([stepJobId(id, 'a')]);
    expect([table.jobs.get(stepJobId(id, 'b'))!.status, table.jobs.get(stepJobId(id, 'c'))!.status]).toEqual([
      'HELD',
      'HELD',
    ]);
    expect(table.stepStatuses(id)).toEqual({ a: 'SUCCEEDED', b: 'STARTED', c: 'STARTED', d: 'PENDING' });
    expect(fairness.afterHold).toHaveBeenCalledTimes(2);
  });

  it('starts held steps all the same when the release after their hold fails, and logs it', async () => {
    // Prepare
    const fairness = windows(1);
    fairness.afterHold.mockRejectedValue(new Error('throttled'));
    const log = { warn: vi.fn() };
    const table = new Table({ fairness, log });
    const id = await table.create(diamond);
    // Act
    await table.finish(id, 'a');
    // Assess
    expect(table.stepStatuses(id)).toEqual({ a: 'SUCCEEDED', b: 'STARTED', c: 'STARTED', d: 'PENDING' });
    expect(log.warn).toHaveBeenCalledTimes(2);
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('releasing after a hold failed'), {
      error: new Error('throttled'),
    });
  });

  /**
   * A one-step workflow whose step is PENDING again with no job, in windows of `free` places,
   * cancelled between the step's place (or hold) and its job's write.
   */
  async function cancelledBeforeTheWrite(free: number) {
    let cancelling: WorkflowItem | undefined;
    const fairness = windows(free, () => {
      if (cancelling) cancelling.cancelRequested = true;
    });
    const table = new Table({ fairness });
    const id = await table.create({ steps: [{ name: 'a', type: 'noop' }] });
    (table.items.get(stepItemId(id, 'a')) as StepItem).status = 'PENDING';
    table.jobs.clear();
    cancelling = table.items.get(workflowItemId(id)) as WorkflowItem;
    return { fairness, table, id };
  }

  it('gives back the place a step took when its workflow was cancelled before its job was written', async () => {
    // Prepare
    const { fairness, table, id } = await cancelledBeforeTheWrite(10);
    // Act
    await advanceAll(table.deps, id);
    // Assess
    expect(table.jobs.has(stepJobId(id, 'a'))).toBe(false);
    expect(fairness.giveBack).toHaveBeenCalledWith(
      { capacity: 'cpu', priority: 'default', tenant: 'default' },
      stepJobId(id, 'a'),
    );
  });

  it('uncounts the hold of a step whose workflow was cancelled before its held job was written', async () => {
    // Prepare: no free place; the root's hold at the create is not this one.
    const { fairness, table, id } = await cancelledBeforeTheWrite(0);
    fairness.afterHold.mockClear();
    // Act
    await advanceAll(table.deps, id);
    // Assess
    expect(table.jobs.has(stepJobId(id, 'a'))).toBe(false);
    expect(fairness.unhold).toHaveBeenCalledWith([expect.objectContaining({ id: stepJobId(id, 'a'), status: 'HELD' })]);
    expect(fairness.afterHold).not.toHaveBeenCalled();
  });

  it("refuses a workflow whose roots would pass its tenant's maxQueued, writing nothing", async () => {
    // Prepare
    const table = new Table({ queuedCap: capped(3, 2) });
    // Act
    const created = table.create({
      steps: [
        { name: 'a', type: 'noop' },
        { name: 'b', type: 'noop' },
      ],
    });
    // Assess
    await expect(created).rejects.toBeInstanceOf(TenantQueueFullError);
    expect(table.items.size + table.jobs.size).toBe(0);
  });

  it('leaves a root that other submits crowded out PENDING, and the backstop starts it', async () => {
    // Prepare: room at the workflow's check, none at its root's submit.
    const table = new Table({ queuedCap: capped(3, 2, 3) });
    const id = await table.create({ steps: [{ name: 'a', type: 'noop' }] });
    const before = table.stepStatuses(id);
    // Act
    await advanceAll(table.deps, id);
    // Assess
    expect(before).toEqual({ a: 'PENDING' });
    expect(table.stepStatuses(id)).toEqual({ a: 'STARTED' });
  });
});

describe('a dynamic fan-out (spawn)', () => {
  const squares = (n: number, join: Partial<SpawnRequestInput['join']> = {}): SpawnRequestInput => ({
    children: Array.from({ length: n }, (_, x) => ({ type: 'square', payload: { x } })),
    join: { type: 'sum', ...join },
  });

  it('starts every child once the spawning step succeeds, and the join once they are all done', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ tenant: 'acme', steps: [{ name: 'split', type: 'split' }] });
    // Act
    await table.spawn(id, 'split', squares(3));
    const whileChildrenRun = [table.stepStatus(id, 'split.join'), table.status(id)];
    await table.finish(id, 'split.0');
    await table.finish(id, 'split.1');
    const beforeLast = table.stepStatus(id, 'split.join');
    await table.finish(id, 'split.2');
    const afterLast = table.stepStatus(id, 'split.join');
    await table.finish(id, 'split.join');
    // Assess
    expect(whileChildrenRun).toEqual(['PENDING', 'RUNNING']);
    expect([beforeLast, afterLast]).toEqual(['PENDING', 'STARTED']);
    expect(table.started).toEqual(['split', 'split.0', 'split.1', 'split.2', 'split.join']);
    expect(table.jobs.get(stepJobId(id, 'split.1'))).toMatchObject({
      type: 'square',
      tenant: 'acme',
      payload: JSON.stringify({ x: 1 }),
    });
    expect(table.jobs.get(stepJobId(id, 'split.join'))!.workflow).toEqual({
      id,
      step: 'split.join',
      children: { parent: 'split', count: 3 },
    });
    expect(table.status(id)).toBe('SUCCEEDED');
  });

  it('creates the join once when two children finish at the same instant', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    await table.spawn(id, 'split', squares(2));
    // Act
    await Promise.all([table.finish(id, 'split.0'), table.finish(id, 'split.1')]);
    // Assess
    expect(table.started.filter((name) => name === 'split.join')).toHaveLength(1);
    expect(table.sent.filter((jobId) => jobId === stepJobId(id, 'split.join'))).toHaveLength(1);
  });

  it('skips the join after a failed child and ends FAILED (the default)', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    await table.spawn(id, 'split', squares(2));
    // Act
    await table.finish(id, 'split.0', 'DEAD');
    // Assess
    expect(table.stepStatus(id, 'split.join')).toBe('SKIPPED');
    expect(table.jobs.has(stepJobId(id, 'split.join'))).toBe(false);
    expect(table.status(id)).toBe('FAILED');
  });

  it("runs the join after a failed child with onParentFailure 'continue', and ends as the join does", async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    await table.spawn(id, 'split', squares(2, { onParentFailure: 'continue' }));
    // Act
    await table.finish(id, 'split.0', 'DEAD');
    const afterFailure = table.stepStatus(id, 'split.join');
    await table.finish(id, 'split.1');
    await table.finish(id, 'split.join');
    // Assess
    expect(afterFailure).toBe('PENDING');
    expect(table.started).toContain('split.join');
    expect(table.status(id)).toBe('SUCCEEDED');
  });

  it('writes the children of payloads too large for one page in several pages, each child once', async () => {
    // Prepare: 200 KB payloads, one child a page.
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    const big = 'x'.repeat(200_000);
    // Act
    await table.spawn(id, 'split', {
      children: [0, 1, 2].map((x) => ({ type: 'echo', payload: { x, big } })),
      join: { type: 'sum' },
    });
    // Assess
    expect(table.pages.size).toBe(3);
    expect(table.started).toEqual(['split', 'split.0', 'split.1', 'split.2']);
    expect(JSON.parse(table.jobs.get(stepJobId(id, 'split.2'))!.payload!)).toEqual({ x: 2, big });
  });

  it('writes and starts each child once when its pages are expanded twice at once (a replayed advance, the backstop)', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    await table.spawn(id, 'split', squares(5), { advance: false });
    // Act
    await Promise.all([
      advanceStep(table.deps, { id, step: 'split' }, 'SUCCEEDED'),
      advanceStep(table.deps, { id, step: 'split' }, 'SUCCEEDED'),
      advanceAll(table.deps, id),
    ]);
    // Assess
    const children = table.started.filter((name) => name.startsWith('split.'));
    expect(children.sort()).toEqual(['split.0', 'split.1', 'split.2', 'split.3', 'split.4']);
  });

  it('skips the pages recorded spawned when the spawning step is passed on again', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    await table.spawn(id, 'split', squares(5));
    const written = table.stepWrites;
    // Act
    await advanceStep(table.deps, { id, step: 'split' }, 'SUCCEEDED');
    // Assess
    expect(table.stepWrites).toBe(written);
    expect(table.started.filter((name) => name === 'split.0')).toHaveLength(1);
  });

  it('starts the children an advance wrote but died before starting, from the backstop', async () => {
    // Prepare: the spawn expanded, then split.0 put back as a crash after its write would leave it.
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    await table.spawn(id, 'split', squares(3));
    table.started.length = 0;
    (table.items.get(stepItemId(id, 'split.0')) as StepItem).status = 'PENDING';
    table.jobs.delete(stepJobId(id, 'split.0'));
    (table.items.get(stepItemId(id, 'split')) as StepItem).spawnedPages = undefined;
    // Act
    const { advanced } = await advanceStalled(table.deps, new Date().toISOString(), 100);
    // Assess
    expect(advanced).toEqual([id]);
    expect(table.started).toEqual(['split.0']);
    expect(table.stepStatus(id, 'split.0')).toBe('STARTED');
  });

  it('expands a spawn whose job succeeded but was never advanced (its worker died), from the backstop', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    await table.spawn(id, 'split', squares(2), { advance: false });
    // Act
    await advanceAll(table.deps, id);
    // Assess
    expect(table.started).toEqual(['split', 'split.0', 'split.1']);
    expect(table.stepStatuses(id)).toEqual({ split: 'SUCCEEDED', 'split.join': 'PENDING' });
  });

  it('ends a workflow whose last child ended without advancing, from the backstop', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    await table.spawn(id, 'split', squares(2));
    await table.finish(id, 'split.0');
    table.end(id, 'split.1', 'SUCCEEDED');
    // Act
    await advanceAll(table.deps, id);
    await table.finish(id, 'split.join');
    // Assess
    expect(table.stepStatus(id, 'split.1')).toBe('SUCCEEDED');
    expect(table.status(id)).toBe('SUCCEEDED');
  });

  it("passes on again only the children its join had not counted (the backstop's pass over a long fan-out)", async () => {
    // Prepare: split.0 counted by the join, split.1 ended without its advance.
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    await table.spawn(id, 'split', squares(3));
    await table.finish(id, 'split.0');
    table.end(id, 'split.1', 'SUCCEEDED');
    const getStep = vi.spyOn(table.workflows, 'getStep');
    // Act
    await advanceAll(table.deps, id);
    // Assess
    const passedOn = getStep.mock.calls.map(([, name]) => name).filter((name) => name.startsWith('split.'));
    expect(passedOn).toEqual(['split.1']);
    expect(table.stepStatus(id, 'split.1')).toBe('SUCCEEDED');
  });

  describe("a declared dependent of a spawning step (it waits for the spawn's join)", () => {
    const splitThenAfter = (onParentFailure: 'fail' | 'continue' = 'fail'): WorkflowRequestInput => ({
      tenant: 'acme',
      steps: [
        { name: 'split', type: 'split' },
        { name: 'after', type: 'collect', dependsOn: ['split'], onParentFailure },
      ],
    });

    it('starts once the join has ended, reading the join as its parent, and ends the workflow after it', async () => {
      // Prepare
      const table = new Table();
      const id = await table.create(splitThenAfter());
      // Act
      await table.spawn(id, 'split', squares(2));
      const atSpawn = table.stepStatus(id, 'after');
      await table.finish(id, 'split.0');
      await table.finish(id, 'split.1');
      const whileJoinRuns = table.stepStatus(id, 'after');
      await table.finish(id, 'split.join');
      const afterJoin = table.stepStatus(id, 'after');
      const statusBeforeAfter = table.status(id);
      await table.finish(id, 'after');
      // Assess
      expect([atSpawn, whileJoinRuns, afterJoin]).toEqual(['PENDING', 'PENDING', 'STARTED']);
      expect(table.started).toEqual(['split', 'split.0', 'split.1', 'split.join', 'after']);
      expect(table.jobs.get(stepJobId(id, 'after'))!.workflow!.parents).toEqual({
        split: stepJobId(id, 'split.join'),
      });
      expect(statusBeforeAfter).toBe('RUNNING');
      expect(table.status(id)).toBe('SUCCEEDED');
    });

    it("is skipped when the join is (a child failed), and the workflow fails (onParentFailure 'fail')", async () => {
      // Prepare
      const table = new Table();
      const id = await table.create(splitThenAfter());
      await table.spawn(id, 'split', squares(2));
      // Act
      await table.finish(id, 'split.0', 'DEAD');
      // Assess
      expect(table.stepStatus(id, 'split.join')).toBe('SKIPPED');
      expect(table.stepStatus(id, 'after')).toBe('SKIPPED');
      expect(table.jobs.has(stepJobId(id, 'after'))).toBe(false);
      expect(table.status(id)).toBe('FAILED');
    });

    it("runs after a join that died when it says onParentFailure 'continue'", async () => {
      // Prepare
      const table = new Table();
      const id = await table.create(splitThenAfter('continue'));
      await table.spawn(id, 'split', squares(1));
      await table.finish(id, 'split.0');
      // Act
      await table.finish(id, 'split.join', 'DEAD');
      await table.finish(id, 'after');
      // Assess
      expect(table.started).toContain('after');
      expect(table.status(id)).toBe('SUCCEEDED');
    });

    it("starts as before when its parent's handler spawned nothing", async () => {
      // Prepare
      const table = new Table();
      const id = await table.create(splitThenAfter());
      // Act
      await table.finish(id, 'split');
      // Assess
      expect(table.stepStatus(id, 'after')).toBe('STARTED');
      expect(table.jobs.get(stepJobId(id, 'after'))!.workflow!.parents).toEqual({ split: stepJobId(id, 'split') });
    });

    it("waits for the last join when the join spawns in turn, and reads that join's outcome", async () => {
      // Prepare
      const table = new Table();
      const id = await table.create(splitThenAfter());
      await table.spawn(id, 'split', squares(1));
      await table.finish(id, 'split.0');
      // Act
      await table.spawn(id, 'split.join', squares(1));
      const atSecondSpawn = table.stepStatus(id, 'after');
      await table.finish(id, 'split.join.0');
      await table.finish(id, 'split.join.join');
      // Assess
      expect(atSecondSpawn).toBe('PENDING');
      expect(table.jobs.get(stepJobId(id, 'after'))!.workflow!.parents).toEqual({
        split: stepJobId(id, 'split.join.join'),
      });
    });

    it("does not start it when the backstop passes on the spawning step (the reaper's reconciliation)", async () => {
      // Prepare: split succeeded having spawned, its worker died before advancing.
      const table = new Table();
      const id = await table.create(splitThenAfter());
      await table.spawn(id, 'split', squares(2), { advance: false });
      // Act
      await advanceAll(table.deps, id);
      await advanceAll(table.deps, id);
      // Assess
      expect(table.stepStatuses(id)).toEqual({ split: 'SUCCEEDED', after: 'PENDING', 'split.join': 'PENDING' });
      expect(table.started).toEqual(['split', 'split.0', 'split.1']);
    });

    /** split spawned one child, which ended; the join's job then succeeded and its worker died before advancing. */
    async function joinEndedUnadvanced() {
      const table = new Table();
      const id = await table.create(splitThenAfter());
      await table.spawn(id, 'split', squares(1));
      await table.finish(id, 'split.0');
      table.end(id, 'split.join', 'SUCCEEDED');
      return { table, id };
    }

    it('starts it from the backstop when the join ended without advancing (its worker died)', async () => {
      // Prepare
      const { table, id } = await joinEndedUnadvanced();
      // Act
      await advanceAll(table.deps, id);
      // Assess
      expect(table.stepStatus(id, 'after')).toBe('STARTED');
      expect(table.jobs.get(stepJobId(id, 'after'))!.workflow!.parents).toEqual({
        split: stepJobId(id, 'split.join'),
      });
    });

    it('starts it from the backstop when the join told it (a full set) and died before the start', async () => {
      // Prepare: the join's end recorded and 'after' told, then the process died before starting it.
      const { table, id } = await joinEndedUnadvanced();
      await table.workflows.setStepStatus(id, 'split.join', 'SUCCEEDED');
      await table.workflows.tellChild(id, 'after', 'split', true, 'now', 'split.join');
      // Act
      await advanceAll(table.deps, id);
      // Assess
      expect(table.started.filter((name) => name === 'after')).toHaveLength(1);
      expect(table.jobs.get(stepJobId(id, 'after'))!.workflow!.parents).toEqual({
        split: stepJobId(id, 'split.join'),
      });
    });
  });

  it('cancels the spawned children with their workflow', async () => {
    // Prepare
    const table = new Table();
    const id = await table.create({ steps: [{ name: 'split', type: 'split' }] });
    await table.spawn(id, 'split', squares(2));
    table.jobs.get(stepJobId(id, 'split.1'))!.status = 'RUNNING';
    // Act
    await cancelWorkflow({ ...table.deps, onJobCancelled: async () => {} }, id);
    await table.finish(id, 'split.1', 'CANCELLED');
    // Assess
    expect(table.stepStatus(id, 'split.0')).toBe('CANCELLED');
    expect(table.jobs.get(stepJobId(id, 'split.1'))!.cancelRequested).toBe(true);
    expect(table.stepStatus(id, 'split.join')).toBe('SKIPPED');
    expect(table.status(id)).toBe('CANCELLED');
  });
});
