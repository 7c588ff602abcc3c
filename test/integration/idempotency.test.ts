import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testStack } from '../helpers/stack.ts';

const { client, countJobs } = testStack();

describe('idempotency keys', () => {
  it('replays the same request with 200 and the same job', async () => {
    // Prepare
    const key = `replay-${randomUUID()}`;
    // Act
    const first = await client.submit({ type: 'noop', idempotencyKey: key });
    const second = await client.submit({ type: 'noop', idempotencyKey: key });
    // Assess
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
  });

  it('treats the Idempotency-Key header like the body field', async () => {
    const key = `header-${randomUUID()}`;
    const first = await client.submit({ type: 'noop' }, { idempotencyKey: key });
    const second = await client.submit({ type: 'noop', idempotencyKey: key });
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body.id).toBe(first.body.id);
    expect(first.body.idempotencyKey).toBe(key);
  });

  it('counts defaults as part of the request: explicit defaults replay', async () => {
    const key = `defaults-${randomUUID()}`;
    const first = await client.submit({ type: 'noop', idempotencyKey: key });
    const second = await client.submit({
      type: 'noop',
      idempotencyKey: key,
      priority: 'default',
      capacity: 'cpu',
      maxAttempts: 4,
    });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
  });

  it('refuses the same key with a different body with 409 and creates nothing', async () => {
    const key = `conflict-${randomUUID()}`;
    await client.submit({ type: 'noop', idempotencyKey: key });
    const before = await countJobs();
    const conflict = await client.raw(
      'POST',
      'jobs',
      JSON.stringify({ type: 'sleep', payload: { ms: 1 }, idempotencyKey: key }),
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      error: { code: 'IDEMPOTENCY_KEY_REUSED', details: [{ path: 'idempotencyKey' }] },
    });
    expect(await countJobs()).toBe(before);
  });

  it('creates one job for 50 concurrent requests with one key', async () => {
    const key = `concurrent-${randomUUID()}`;
    const before = await countJobs();
    // 50 cold starts at once can outlast a function's time on two busy cores; the client sends a
    // keyed submission again then, as any client of an idempotent API should.
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => client.submit({ type: 'noop', idempotencyKey: key })),
    );
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(await countJobs()).toBe(before + 1);
    // One answer says it created the job, unless the request that did lost its answer and its retry replayed it.
    expect(responses.filter((r) => r.status === 201).length).toBeLessThanOrEqual(1);
    expect(responses.every((r) => r.status === 201 || r.status === 200)).toBe(true);
  });
});
