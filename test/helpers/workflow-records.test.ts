import { describe, expect, it } from 'vitest';
import type { AttemptRecord, Job } from '../../src/jobs/model/index.ts';
import { type StepItem, stepJobId, type WorkflowItem } from '../../src/jobs/workflows/index.ts';
import type { WorkflowStatus } from '../../src/jobs/workflows/workflow-lifecycle.ts';
import { allStepsEnded, type WorkflowRecord, workflowRecords, workflowViolations } from './workflow-records.ts';

const WF = 'wf-1';
/** Second `s` of the fixtures' clock. */
const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();

const workflowItem = (status: WorkflowStatus, stepNames: string[]): WorkflowItem => ({
  id: `wf#${WF}`,
  workflowId: WF,
  status,
  tenant: 'default',
  stepNames,
  createdAt: at(0),
  updatedAt: at(0),
});

const step = (name: string, fields: Partial<StepItem> = {}): StepItem => ({
  id: `wf#${WF}#${name}`,
  workflowId: WF,
  name,
  jobId: stepJobId(WF, name),
  request: { type: 'noop' } as StepItem['request'],
  dependsOn: [],
  children: [],
  onParentFailure: 'fail',
  status: 'SUCCEEDED',
  createdAt: at(0),
  updatedAt: at(0),
  ...fields,
});

const attempt = (outcome: AttemptRecord['outcome'], s: number): AttemptRecord => ({
  attempt: 1,
  claimId: `c${s}`,
  workerId: 'w',
  startedAt: at(s),
  finishedAt: at(s + 1),
  outcome,
});

/** The job of step `name`, created at second `created` and ended a second later with one successful attempt. */
const job = (name: string, created: number, fields: Partial<Job> = {}): Job =>
  ({
    id: stepJobId(WF, name),
    type: 'noop',
    status: 'SUCCEEDED',
    attempts: 1,
    createdAt: at(created),
    updatedAt: at(created + 1),
    finishedAt: at(created + 1),
    attemptLog: [attempt('succeeded', created)],
    workflow: { id: WF, step: name },
    ...fields,
  }) as Job;

/** Step `s`, which spawned 2 children and their join `s.join`. */
const spawner = () =>
  step('s', {
    spawn: { count: 2, pages: 1, join: { request: { type: 'sum' } as StepItem['request'], onParentFailure: 'fail' } },
  });

const recordOf = (status: WorkflowStatus, steps: StepItem[], jobs: Job[]): WorkflowRecord =>
  workflowRecords(
    [
      workflowItem(
        status,
        steps.map((s) => s.name),
      ),
      ...steps,
      ...jobs,
    ],
    new Set([WF]),
  ).get(WF)!;

const diamondSteps = () => [
  step('a', { children: ['b', 'c'] }),
  step('b', { dependsOn: ['a'], children: ['d'] }),
  step('c', { dependsOn: ['a'], children: ['d'] }),
  step('d', { dependsOn: ['b', 'c'] }),
];
/** a ends at 1, b at 3, c at 5, d created at 6. */
const diamondJobs = () => [job('a', 0), job('b', 2), job('c', 4), job('d', 6)];

describe('workflowRecords', () => {
  it("groups a scan's items by workflow: its item, steps and jobs; spawn pages, other workflows and other jobs left out", () => {
    // Prepare
    const other = { ...workflowItem('RUNNING', ['x']), id: 'wf#wf-2', workflowId: 'wf-2' };
    const page = { id: `wf#${WF}#s.spawn#0`, workflowId: WF, page: 0, children: '[]' };
    const plainJob = { ...job('a', 0), id: 'j-plain', workflow: undefined };
    // Act
    const records = workflowRecords(
      [workflowItem('SUCCEEDED', ['a', 'b', 'c', 'd']), other, page, plainJob, ...diamondSteps(), ...diamondJobs()],
      new Set([WF, 'wf-3']),
    );
    // Assess
    expect([...records.keys()]).toEqual([WF]);
    const record = records.get(WF)!;
    expect(record.steps.map((s) => s.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(record.jobs.map((j) => j.workflow!.step)).toEqual(['a', 'b', 'c', 'd']);
    expect(record.view.steps.map((s) => [s.name, s.status])).toEqual([
      ['a', 'SUCCEEDED'],
      ['b', 'SUCCEEDED'],
      ['c', 'SUCCEEDED'],
      ['d', 'SUCCEEDED'],
    ]);
  });
});

describe('workflowViolations', () => {
  it('finds nothing wrong with a diamond that kept every rule, a lost attempt before its success included', () => {
    // Prepare
    const jobs = diamondJobs();
    jobs[3] = job('d', 6, { attempts: 2, attemptLog: [attempt('lost', 6), attempt('succeeded', 8)] });
    // Act
    const record = recordOf('SUCCEEDED', diamondSteps(), jobs);
    // Assess
    expect(workflowViolations(record)).toEqual([]);
    expect(allStepsEnded(record)).toBe(true);
  });

  it('names a dependent whose job was created before one of its parents ended', () => {
    // Act: d created at 4, c ended at 5.
    const jobs = [job('a', 0), job('b', 2), job('c', 4), job('d', 4)];
    // Assess
    expect(workflowViolations(recordOf('SUCCEEDED', diamondSteps(), jobs))).toEqual([
      `step d: job created at ${at(4)}, before parent c ended (${at(5)})`,
    ]);
  });

  it('names a step with a second job, a job under another id, and a job that succeeded twice', () => {
    // Prepare
    const jobs = [
      job('a', 0),
      job('b', 2),
      { ...job('b', 2), id: 'not-derived' },
      job('c', 4, { attemptLog: [attempt('succeeded', 4), attempt('succeeded', 5)] }),
      job('d', 6),
    ];
    // Act
    const violations = workflowViolations(recordOf('SUCCEEDED', diamondSteps(), jobs));
    // Assess
    expect(violations).toEqual([
      `step b: 2 jobs (${stepJobId(WF, 'b')}, not-derived)`,
      `step b: job not-derived is not its derived id ${stepJobId(WF, 'b')}`,
      'step c: job SUCCEEDED with 2 successful attempts',
    ]);
  });

  it('finds nothing wrong with a failed chain whose dependents were skipped and never ran', () => {
    // Prepare
    const steps = [
      step('broken', { status: 'DEAD', children: ['after'] }),
      step('after', { dependsOn: ['broken'], status: 'SKIPPED' }),
      step('aside'),
    ];
    const jobs = [job('broken', 0, { status: 'DEAD', attemptLog: [attempt('failed', 0)] }), job('aside', 0)];
    // Act
    const record = recordOf('FAILED', steps, jobs);
    // Assess
    expect(workflowViolations(record)).toEqual([]);
  });

  it('names a dependent of a failed step that ran, and one that was not skipped', () => {
    // Prepare
    const steps = [
      step('broken', { status: 'DEAD', children: ['after', 'other'] }),
      step('after', { dependsOn: ['broken'], status: 'SKIPPED' }),
      step('other', { dependsOn: ['broken'], status: 'PENDING' }),
    ];
    const jobs = [job('broken', 0, { status: 'DEAD', attemptLog: [attempt('failed', 0)] }), job('after', 3)];
    // Act
    const violations = workflowViolations(recordOf('FAILED', steps, jobs));
    // Assess
    expect(violations).toEqual([
      'step other: still PENDING',
      `step after: SKIPPED but has job ${stepJobId(WF, 'after')} (SUCCEEDED)`,
      'step other: PENDING although parent broken failed',
    ]);
  });

  it('names a step that did not succeed in a SUCCEEDED workflow, and a workflow still running', () => {
    // Prepare
    const jobs = [job('a', 0), job('b', 2), job('c', 4, { status: 'DEAD' }), job('d', 6)];
    // Act
    const ended = workflowViolations(recordOf('SUCCEEDED', diamondSteps(), jobs));
    const steps = diamondSteps();
    steps[3]!.status = 'STARTED';
    const running = recordOf('RUNNING', steps, diamondJobs().slice(0, 3));
    // Assess
    expect(ended).toContain('step c: DEAD in a SUCCEEDED workflow');
    expect(workflowViolations(running)).toContain('workflow: still RUNNING');
    expect(allStepsEnded(running)).toBe(false);
  });

  it("names a spawn's join created before one of its children ended", () => {
    // Prepare: children s.0 and s.1 end at 3 and 5; the join is created at 4.
    const steps = [
      spawner(),
      step('s.join', { spawnedBy: 's', childCount: 2 }),
      step('s.0', { spawnedBy: 's', spawnIndex: 0, children: ['s.join'] }),
      step('s.1', { spawnedBy: 's', spawnIndex: 1, children: ['s.join'] }),
    ];
    const jobs = [job('s', 0), job('s.0', 2), job('s.1', 4), job('s.join', 4)];
    // Act
    const violations = workflowViolations(recordOf('SUCCEEDED', steps, jobs));
    // Assess
    expect(violations).toEqual([`step s.join: job created at ${at(4)}, before parent s.1 ended (${at(5)})`]);
  });

  it('names the steps a workflow should hold and does not: a join and a child an expansion never wrote', () => {
    // Prepare: s succeeded with its spawn recorded; only child s.0 was written.
    const steps = [spawner(), step('s.0', { spawnedBy: 's', spawnIndex: 0, children: ['s.join'] })];
    const record = workflowRecords(
      [workflowItem('RUNNING', ['s', 's.join']), ...steps, job('s', 0), job('s.0', 2)],
      new Set([WF]),
    ).get(WF)!;
    // Act
    const violations = workflowViolations(record);
    // Assess
    expect(allStepsEnded(record)).toBe(false);
    expect(violations).toEqual(['workflow: still RUNNING', 'step s.join: no step item', 'step s.1: no step item']);
  });
});
