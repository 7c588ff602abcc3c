import { describe, expect, it } from 'vitest';
import { queued } from '../../test/helpers/store-fixtures.ts';
import type { StepItem, WorkflowItem } from '../jobs/workflows/index.ts';
import { toWorkflowView } from './workflow-view.ts';

const workflow: WorkflowItem = {
  id: 'wf#w1',
  workflowId: 'w1',
  status: 'RUNNING',
  tenant: 'acme',
  stepNames: ['a', 'b', 'c', 'd'],
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
};

const step = (name: string, status: StepItem['status'], jobId: string): StepItem => ({
  id: `wf#w1#${name}`,
  workflowId: 'w1',
  name,
  jobId,
  request: { type: 'noop' } as StepItem['request'],
  dependsOn: name === 'a' ? [] : ['a'],
  children: [],
  onParentFailure: 'fail',
  status,
  createdAt: workflow.createdAt,
  updatedAt: workflow.createdAt,
});

describe('the workflow view', () => {
  it("shows a started step as its job's status, attempts, run times and result, and the others as recorded", () => {
    // Prepare
    const job = {
      ...queued,
      id: 'j-a',
      status: 'SUCCEEDED' as const,
      attempts: 2,
      result: '{"n":1}',
      startedAt: '2030-01-01T00:00:01.000Z',
      finishedAt: '2030-01-01T00:00:04.000Z',
    };
    // Act
    const view = toWorkflowView(
      workflow,
      [
        step('a', 'STARTED', 'j-a'),
        step('b', 'PENDING', 'j-b'),
        step('c', 'SKIPPED', 'j-c'),
        step('d', 'STARTED', 'j-d'),
      ],
      [job],
    );
    // Assess
    expect(view).toMatchObject({ id: 'w1', status: 'RUNNING', tenant: 'acme', finishedAt: null });
    expect(view.steps.map((s) => [s.name, s.status, s.attempts, s.result, s.startedAt, s.finishedAt])).toEqual([
      ['a', 'SUCCEEDED', 2, { n: 1 }, job.startedAt, job.finishedAt],
      ['b', 'PENDING', 0, null, null, null],
      ['c', 'SKIPPED', 0, null, null, null],
      // Its job not readable yet (an eventually consistent read): it waits in its queue.
      ['d', 'QUEUED', 0, null, null, null],
    ]);
  });

  it("shows a step whose job its tenant's window holds back as HELD", () => {
    // Prepare
    const held = { ...queued, id: 'j-a', status: 'HELD' as const };
    // Act
    const view = toWorkflowView(workflow, [step('a', 'STARTED', 'j-a')], [held]);
    // Assess
    expect(view.steps.map((s) => s.status)).toEqual(['HELD']);
  });

  it('names the step that spawned a child or a join, and none for a step of the request', () => {
    // Act
    const view = toWorkflowView(
      workflow,
      [step('a', 'SUCCEEDED', 'j-a'), { ...step('a.0', 'PENDING', 'j-a0'), spawnedBy: 'a' }],
      [],
    );
    // Assess
    expect(view.steps.map((s) => [s.name, s.spawnedBy])).toEqual([
      ['a', null],
      ['a.0', 'a'],
    ]);
  });
});
