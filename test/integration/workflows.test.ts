import { randomUUID } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import type { WorkflowView } from '../../src/contract/views.ts';
import { scanAll } from '../helpers/job-table.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client, countJobs, waitForJob, dynamodb, deployment } = testStack();

/** Polls `GET /workflows/{id}` until the workflow has ended. */
const waitUntilEnded = (id: string, timeoutMs = 60_000) =>
  waitFor(
    () => client.getWorkflow(id),
    (workflow) => workflow.status !== 'RUNNING',
    { timeoutMs, what: `workflow ${id} to end` },
  );

const stepOf = (workflow: WorkflowView, name: string) => workflow.steps.find((step) => step.name === name)!;

describe('workflows', () => {
  it('runs a diamond a → (b, c) → d: d only after both b and c, with both their results', async () => {
    // Act
    const { id } = await client.submitWorkflow({
      steps: [
        { name: 'a', type: 'echo', payload: { from: 'a' } },
        { name: 'b', type: 'echo', payload: { from: 'b' }, dependsOn: ['a'] },
        { name: 'c', type: 'echo', payload: { from: 'c' }, dependsOn: ['a'] },
        { name: 'd', type: 'collect', dependsOn: ['b', 'c'] },
      ],
    });
    const workflow = await waitUntilEnded(id);
    // Assess
    expect(workflow.status).toBe('SUCCEEDED');
    expect(workflow.steps.map((step) => [step.name, step.status, step.attempts])).toEqual([
      ['a', 'SUCCEEDED', 1],
      ['b', 'SUCCEEDED', 1],
      ['c', 'SUCCEEDED', 1],
      ['d', 'SUCCEEDED', 1],
    ]);
    expect(stepOf(workflow, 'd').result).toEqual({
      payload: null,
      parents: {
        b: { status: 'SUCCEEDED', result: { from: 'b' } },
        c: { status: 'SUCCEEDED', result: { from: 'c' } },
      },
    });
    const [b, c, d] = await Promise.all(['b', 'c', 'd'].map((name) => client.get(stepOf(workflow, name).jobId)));
    const dStarted = Date.parse(d!.startedAt!);
    expect(dStarted).toBeGreaterThanOrEqual(Date.parse(b!.finishedAt!));
    expect(dStarted).toBeGreaterThanOrEqual(Date.parse(c!.finishedAt!));
    expect(d!.tenant).toBe('default');
    // The view's run times are its jobs' (the dashboard's critical path reads them), and a job names its step.
    expect(stepOf(workflow, 'd')).toMatchObject({ startedAt: d!.startedAt, finishedAt: d!.finishedAt });
    expect(d!.workflow).toEqual({ id, step: 'd' });
  });

  it('fails a workflow whose step fails, and skips its dependents: they never run', async () => {
    // Act
    const { id } = await client.submitWorkflow({
      tenant: 'acme',
      steps: [
        { name: 'broken', type: 'fail', maxAttempts: 1 },
        { name: 'after', type: 'noop', dependsOn: ['broken'] },
        { name: 'last', type: 'noop', dependsOn: ['after'] },
        { name: 'aside', type: 'noop' },
      ],
    });
    const workflow = await waitUntilEnded(id);
    // Assess
    expect(workflow).toMatchObject({ status: 'FAILED', tenant: 'acme' });
    expect(workflow.steps.map((step) => [step.name, step.status])).toEqual([
      ['broken', 'DEAD'],
      ['after', 'SKIPPED'],
      ['last', 'SKIPPED'],
      ['aside', 'SUCCEEDED'],
    ]);
    for (const name of ['after', 'last']) {
      expect(stepOf(workflow, name).attempts).toBe(0);
      expect((await client.raw('GET', `jobs/${stepOf(workflow, name).jobId}`)).status).toBe(404);
    }
  });

  it('cancels a workflow with a running sleep step: every step ends', async () => {
    // Prepare
    const { id } = await client.submitWorkflow({
      steps: [
        { name: 'long', type: 'sleep', payload: { ms: 600_000 }, speculation: false },
        { name: 'next', type: 'noop', dependsOn: ['long'] },
      ],
    });
    const started = await waitFor(
      () => client.getWorkflow(id),
      (workflow) => stepOf(workflow, 'long').status === 'RUNNING',
      { timeoutMs: 60_000, what: 'the sleep step to run' },
    );
    await waitForJob(stepOf(started, 'long').jobId, (job) => job.status === 'RUNNING', 'running');
    // Act
    const response = await client.raw('POST', `workflows/${id}/cancel`);
    const workflow = await waitUntilEnded(id);
    // Assess
    expect([200, 202]).toContain(response.status);
    expect(workflow.status).toBe('CANCELLED');
    expect(workflow.steps.map((step) => [step.name, step.status])).toEqual([
      ['long', 'CANCELLED'],
      ['next', 'CANCELLED'],
    ]);
    expect((await client.raw('POST', `workflows/${id}/cancel`)).status).toBe(409);
  });

  it('is moved on by the reaper when its step ended and nobody advanced it (a worker killed after the write)', async () => {
    // Prepare: a root that runs until its job is ended behind its worker's back, as if the worker had
    // written SUCCEEDED and died before advancing the workflow.
    const { id } = await client.submitWorkflow({
      steps: [
        { name: 'root', type: 'sleep', payload: { ms: 600_000 }, speculation: false },
        { name: 'next', type: 'noop', dependsOn: ['root'] },
      ],
    });
    const running = await waitFor(
      () => client.getWorkflow(id),
      (workflow) => stepOf(workflow, 'root').status === 'RUNNING',
      { timeoutMs: 60_000, what: 'the root to run' },
    );
    // Act
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: deployment.jobsTable,
        Key: { id: { S: stepOf(running, 'root').jobId } },
        UpdateExpression: 'SET #status = :done, #version = #version + :one REMOVE leases',
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: { ':done': { S: 'SUCCEEDED' }, ':one': { N: '1' } },
      }),
    );
    // Assess: within the reaper's grace (5 s here) and a pass, the dependent ran and the workflow ended.
    const workflow = await waitUntilEnded(id);
    expect(workflow.status).toBe('SUCCEEDED');
    expect(workflow.steps.map((step) => [step.name, step.status])).toEqual([
      ['root', 'SUCCEEDED'],
      ['next', 'SUCCEEDED'],
    ]);
  });

  it.each([
    [
      'a cycle',
      [
        { name: 'x', type: 'noop', dependsOn: ['z'] },
        { name: 'y', type: 'noop', dependsOn: ['x'] },
        { name: 'z', type: 'noop', dependsOn: ['y'] },
      ],
      /cycle: x → z → y → x/,
    ],
    ['an unknown parent', [{ name: 'x', type: 'noop', dependsOn: ['ghost'] }], /step x depends on unknown step ghost/],
    [
      'a duplicate name',
      [
        { name: 'x', type: 'noop' },
        { name: 'x', type: 'echo' },
      ],
      /step x is declared twice/,
    ],
    [
      'a name a spawn gives',
      [
        { name: 'split', type: 'split', payload: { n: 1 } },
        { name: 'split.join', type: 'noop', dependsOn: ['split'] },
      ],
      /steps\.1\.name.*step split\.join is named as spawned steps are/,
    ],
  ])('refuses %s with a 400 naming the step, and writes nothing', async (_what, steps, message) => {
    // Prepare
    const before = await countJobs();
    // Act
    const response = await client.raw('POST', 'workflows', JSON.stringify({ steps }));
    // Assess
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toMatch(message);
    expect(await countJobs()).toBe(before);
  });

  it("keeps its tenant's maxQueued: roots past it are a 429 with nothing written, and leave the count at their start", async () => {
    // Prepare: a tenant of this run may have 2 jobs waiting; a delayed job waits.
    const tenant = `wf-capped-${randomUUID().slice(0, 8)}`;
    await client.putTenant(tenant, { maxQueued: 2 });
    const waiting = await client.submit({ type: 'noop', tenant, delaySeconds: 600 });
    const twoRoots = {
      tenant,
      steps: [
        { name: 'a', type: 'noop' },
        { name: 'b', type: 'noop' },
        { name: 'join', type: 'collect', dependsOn: ['a', 'b'] },
      ],
    };
    const workflowsOf = async () =>
      (await scanAll<{ tenant?: string; stepNames?: string[] }>(dynamodb, deployment.jobsTable)).filter(
        (item) => item.tenant === tenant && item.stepNames !== undefined,
      );

    // Act
    const refused = await client.raw('POST', 'workflows', JSON.stringify(twoRoots));
    const writtenWhenRefused = await workflowsOf();
    await client.cancel(waiting.body.id);
    const { id } = await client.submitWorkflow(twoRoots);
    const workflow = await waitUntilEnded(id);
    // Its roots left the count at their start: the tenant has its 2 places again.
    const after = await Promise.all([1, 2].map(() => client.submit({ type: 'noop', tenant, delaySeconds: 600 })));

    // Assess
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'TENANT_QUEUE_FULL' } } });
    expect(writtenWhenRefused).toEqual([]);
    expect(workflow.status).toBe('SUCCEEDED');
    expect(after.map((response) => response.status)).toEqual([201, 201]);
    await Promise.all(after.map((response) => client.cancel(response.body.id)));
  }, 120_000);

  it('answers a retried POST with its idempotency key with the same workflow, and a different body under it with 409', async () => {
    // Prepare
    const tenant = `wf-keyed-${randomUUID().slice(0, 8)}`;
    const key = `wf-${randomUUID()}`;
    const definition = { tenant, steps: [{ name: 'only', type: 'noop' }] };
    const post = (body: object) => client.raw('POST', 'workflows', JSON.stringify(body), { 'Idempotency-Key': key });
    // Act
    const first = await post(definition);
    const retried = await post(definition);
    const throughClient = await client.submitWorkflow(definition, { idempotencyKey: key });
    const conflicting = await post({ ...definition, steps: [{ name: 'other', type: 'noop' }] });
    const workflow = await waitUntilEnded((first.body as { id: string }).id);
    // Assess
    expect(first.status).toBe(201);
    expect(retried).toMatchObject({ status: 200, body: first.body });
    expect(throughClient).toEqual(first.body);
    expect(conflicting).toMatchObject({
      status: 409,
      body: { error: { code: 'IDEMPOTENCY_KEY_REUSED', details: [{ path: 'idempotencyKey' }] } },
    });
    const items = await scanAll<{ tenant?: string; stepNames?: string[] }>(dynamodb, deployment.jobsTable);
    expect(items.filter((item) => item.tenant === tenant && item.stepNames !== undefined)).toHaveLength(1);
    expect(workflow.status).toBe('SUCCEEDED');
  });

  it('answers 404 for a workflow that does not exist', async () => {
    expect((await client.raw('GET', 'workflows/4f1c3a9e-8d2b-4c6a-9e1f-2b3c4d5e6f70')).status).toBe(404);
  });
});
