import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TailguardApiError } from '../../src/client/index.ts';
import { testStack } from '../helpers/stack.ts';

const { client, countJobs, waitUntilFinished } = testStack();

const MB = 1_000_000;

/**
 * Payloads and results of any size through the deployed stack (src/jobs/payloads): intake keeps
 * a payload over the inline threshold in the payload bucket, a caller uploads one over what a
 * request carries through `POST /uploads`, and a worker stores a large result there, served by a
 * presigned `resultUrl`.
 */
describe('payloads and results of any size', () => {
  it('runs echo on a 5 MB payload and serves its 5 MB result through the job view', async () => {
    // Prepare
    const text = 'x'.repeat(5 * MB);

    // Act
    const { body: submitted } = await client.submit({ type: 'echo', payload: { text } });
    const done = await waitUntilFinished(submitted.id, 60_000);
    const result = await client.result(done);

    // Assess
    expect(submitted.payload).toBeNull();
    expect(submitted.payloadObject).toEqual({ bytes: Buffer.byteLength(JSON.stringify({ text })), format: 'json' });
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: null });
    expect(done.resultObject).toEqual({ bytes: Buffer.byteLength(JSON.stringify({ text })), format: 'json' });
    expect(done.resultUrl).toMatch(/^https?:\/\//);
    expect(result).toEqual({ text });
  });

  it('hands a 50 MB upload to a Python handler as a file, whose sha256 matches', async () => {
    // Prepare
    const file = randomBytes(50 * MB);
    const payloadRef = await client.upload(file);

    // Act
    const { body: submitted } = await client.submit({ type: 'py-sha256', capacity: 'gpu', payloadRef });
    const done = await waitUntilFinished(submitted.id, 120_000);

    // Assess
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      payloadObject: { bytes: 50 * MB, format: 'bytes' },
      result: { sha256: createHash('sha256').update(file).digest('hex'), bytes: 50 * MB },
    });
  });

  it('gives a TypeScript handler an uploaded octet stream as a Buffer, and stores its bytes result', async () => {
    // Prepare
    const bytes = randomBytes(2048);

    // Act
    const { body: submitted } = await client.submit({ type: 'echo', payloadRef: await client.upload(bytes) });
    const done = await client.waitFor(submitted.id, { timeoutMs: 60_000, intervalMs: 100 });

    // Assess
    expect(done).toMatchObject({ status: 'SUCCEEDED', resultObject: { bytes: 2048, format: 'bytes' } });
    expect(Buffer.from((await client.result(done)) as Uint8Array)).toEqual(bytes);
  });

  it('refuses an upload over the maximum with a 413 before a byte is sent', async () => {
    // Act
    const refused = await client.raw('POST', 'uploads', JSON.stringify({ bytes: 2 * 1024 ** 3 }));

    // Assess
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE', details: [{ path: 'bytes' }] } });
  });

  it('refuses a payloadRef that was never uploaded, or is not one of this deployment, with a 400 and no job', async () => {
    // Prepare
    const jobsBefore = await countJobs();
    const missing = (await client.raw('POST', 'uploads', JSON.stringify({ bytes: 10 }))).body as { payloadRef: string };

    // Act
    const answers = await Promise.all(
      [missing.payloadRef, 'tgu_other-tenant_7d3f1c9e-4a7b-4c1e-9f0a-2b8c6d5e4f3a', 's3://bucket/key'].map(
        (payloadRef) => client.submit({ type: 'echo', payloadRef }).catch((error: unknown) => error),
      ),
    );

    // Assess
    for (const answer of answers) {
      expect(answer).toBeInstanceOf(TailguardApiError);
      expect(answer).toMatchObject({ status: 400, details: [{ path: 'payloadRef' }] });
    }
    expect(await countJobs()).toBe(jobsBefore);
  });

  it('replays a job submitted again with the same key and the same uploaded content', async () => {
    // Prepare
    const content = randomBytes(1024);
    const key = `payloads-${Date.now()}`;

    // Act
    const first = await client.submit({ type: 'echo', payloadRef: await client.upload(content), idempotencyKey: key });
    const again = await client.submit({ type: 'echo', payloadRef: await client.upload(content), idempotencyKey: key });
    const other = await client
      .submit({ type: 'echo', payloadRef: await client.upload(randomBytes(1024)), idempotencyKey: key })
      .catch((error: unknown) => error);

    // Assess
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id } });
    expect(other).toMatchObject({ status: 409 });
  });
});
