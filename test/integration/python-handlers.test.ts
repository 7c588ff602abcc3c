import { describe, expect, it } from 'vitest';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { client, waitForJob, waitUntilFinished } = testStack();

/**
 * Python handlers (test/fixtures/python_handlers.py) through the deployed stack: the gpu-class
 * workers run them in long-lived Python processes (workers/python), while claim, lease, heartbeats,
 * retries and cancellation stay the Node worker's.
 */
describe('Python handlers on gpu workers', () => {
  const submit = async (type: string, extra: Record<string, unknown> = {}) =>
    (await client.submit({ type, capacity: 'gpu', speculation: false, ...extra })).body;

  it('runs a handler and stores its result, from a process that outlives the job, telling it the tenant', async () => {
    const first = await submit('py-echo', { payload: { text: 'hello' }, tenant: 'acme' });
    const second = await submit('py-echo', { payload: { text: 'again' } });

    const [done1, done2] = await Promise.all([first, second].map((job) => waitUntilFinished(job.id, 60_000)));

    expect(done1).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 1,
      result: { payload: { text: 'hello' }, attempt: 1, tenant: 'acme' },
    });
    expect(done2).toMatchObject({ status: 'SUCCEEDED', result: { payload: { text: 'again' }, tenant: 'default' } });
  });

  it("gives a workflow step its parents' results by step name (ctx.parents)", async () => {
    const { id } = await client.submitWorkflow({
      steps: [
        { name: 'fetch', type: 'echo', payload: { rows: 3 } },
        { name: 'load', type: 'py-parents', capacity: 'gpu', speculation: false, dependsOn: ['fetch'] },
      ],
    });

    const workflow = await waitFor(
      () => client.getWorkflow(id),
      (w) => w.status !== 'RUNNING',
      { timeoutMs: 60_000, what: `workflow ${id} to end` },
    );

    expect(workflow.status).toBe('SUCCEEDED');
    expect(workflow.steps.find((step) => step.name === 'load')?.result).toEqual({
      parents: { fetch: { status: 'SUCCEEDED', result: { rows: 3 } } },
    });
  });

  it('ends a job DEAD after one attempt when the handler raises NonRetryableError', async () => {
    const job = await submit('py-poison');

    const done = await waitUntilFinished(job.id, 60_000);

    expect(done).toMatchObject({ status: 'DEAD', attempts: 1, error: { name: 'NonRetryableError', retryable: false } });
  });

  it('retries an ordinary Python exception with backoff until the handler succeeds', async () => {
    const job = await submit('py-flaky', { payload: { failures: 1 }, backoff: { baseSeconds: 0.1, jitter: 'none' } });

    const done = await waitUntilFinished(job.id, 60_000);

    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2, result: 'recovered' });
  });

  it('fails an attempt whose process crashed as retryable, and runs later jobs on a fresh process', async () => {
    const job = await submit('py-crash', { maxAttempts: 2, backoff: { baseSeconds: 0.1, jitter: 'none' } });

    const done = await waitUntilFinished(job.id, 60_000);
    const after = await waitUntilFinished((await submit('py-echo')).id, 60_000);

    expect(done).toMatchObject({ status: 'DEAD', attempts: 2, error: { retryable: true } });
    expect(after.status).toBe('SUCCEEDED');
  });

  it('cancels a running handler through the API: the handler sees ctx.cancelled and stops', async () => {
    const job = await submit('py-cooperative');
    await waitForJob(
      job.id,
      (j) => j.status === 'RUNNING' && j.progress !== null,
      'the handler to report it runs',
      60_000,
    );

    expect((await client.raw('POST', `jobs/${job.id}/cancel`)).status).toBe(202);
    const done = await waitUntilFinished(job.id, 60_000);

    expect(done).toMatchObject({ status: 'CANCELLED', attempts: 1 });
  });

  it('times out a handler that ignores the cancel: its process is killed and the next job runs', async () => {
    const job = await submit('py-stubborn', { timeoutSeconds: 1, maxAttempts: 1 });

    const done = await waitUntilFinished(job.id, 60_000);
    const after = await waitUntilFinished((await submit('py-echo')).id, 60_000);

    expect(done).toMatchObject({ status: 'DEAD', attempts: 1, error: { name: 'JobTimeoutError' } });
    expect(after.status).toBe('SUCCEEDED');
  });
});
