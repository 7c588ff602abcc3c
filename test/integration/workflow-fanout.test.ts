import { describe, expect, it } from 'vitest';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client } = testStack();

/** Polls `GET /workflows/{id}` until the workflow has ended. */
const waitUntilEnded = (id: string, timeoutMs: number) =>
  waitFor(
    () => client.getWorkflow(id),
    (workflow) => workflow.status !== 'RUNNING',
    { timeoutMs, what: `workflow ${id} to end`, intervalMs: 1000 },
  );

describe('a dynamic fan-out', () => {
  it('runs split with n = 1,000: 1,000 square children, then the sum join once, with their total', async () => {
    // Act
    const { id } = await client.submitWorkflow({ steps: [{ name: 'split', type: 'split', payload: { n: 1000 } }] });
    const workflow = await waitUntilEnded(id, 600_000);
    // Assess
    expect(workflow.status).toBe('SUCCEEDED');
    const children = workflow.steps.filter((step) => step.spawnedBy === 'split' && step.name !== 'split.join');
    expect(children).toHaveLength(1000);
    expect(children.every((step) => step.status === 'SUCCEEDED' && step.type === 'square')).toBe(true);
    expect(children[999]).toMatchObject({ name: 'split.999', result: { x2: 998_001 } });
    const join = workflow.steps.find((step) => step.name === 'split.join')!;
    expect(join).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: { total: 332_833_500 } });
    expect((await client.getJob(join.jobId)).body.attempts).toBe(1);
  }, 660_000);

  it("starts a step that depends on split only after split's join, and gives it the join's result", async () => {
    // Act
    const { id } = await client.submitWorkflow({
      steps: [
        { name: 'split', type: 'split', payload: { n: 10 } },
        { name: 'report', type: 'collect', dependsOn: ['split'] },
      ],
    });
    const workflow = await waitUntilEnded(id, 120_000);
    // Assess
    expect(workflow.status).toBe('SUCCEEDED');
    const report = workflow.steps.find((step) => step.name === 'report')!;
    expect(report.result).toEqual({
      payload: null,
      parents: { split: { status: 'SUCCEEDED', result: { total: 285 } } },
    });
    const join = workflow.steps.find((step) => step.name === 'split.join')!;
    const [joinJob, reportJob] = await Promise.all([client.get(join.jobId), client.get(report.jobId)]);
    expect(Date.parse(reportJob!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(joinJob!.finishedAt!));
  }, 180_000);

  it('fails the workflow when its children fail: the join is skipped and never runs', async () => {
    // Act
    const { id } = await client.submitWorkflow({
      steps: [{ name: 'split', type: 'split', payload: { n: 3, childType: 'poison' } }],
    });
    const workflow = await waitUntilEnded(id, 120_000);
    // Assess
    expect(workflow.status).toBe('FAILED');
    const join = workflow.steps.find((step) => step.name === 'split.join')!;
    expect(join).toMatchObject({ status: 'SKIPPED', attempts: 0 });
    expect((await client.raw('GET', `jobs/${join.jobId}`)).status).toBe(404);
  }, 180_000);
});
