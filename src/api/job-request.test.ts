import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.ts';
import { DEFAULT_BACKOFF, JobRequestSchema } from './job-request.ts';

describe('JobRequestSchema', () => {
  it('fills in the documented defaults', () => {
    // Act
    const request = JobRequestSchema.parse({ type: 'noop' });
    // Assess
    expect(request).toEqual({
      type: 'noop',
      priority: 'default',
      capacity: 'cpu',
      maxAttempts: 4,
      backoff: { strategy: 'exponential', baseSeconds: 2, maxSeconds: 300, jitter: 'full' },
      timeoutSeconds: 300,
      speculation: true,
    });
    expect(DEFAULT_BACKOFF).toEqual(request.backoff);
  });

  it('accepts every field at its limits', () => {
    const request = JobRequestSchema.parse({
      type: 'a'.repeat(128),
      payload: { nested: [1, 'two', null, { three: true }] },
      priority: 'critical',
      capacity: 'gpu',
      idempotencyKey: 'k'.repeat(255),
      maxAttempts: 25,
      backoff: { strategy: 'linear', baseSeconds: 0.5, maxSeconds: 86_400, jitter: 'none' },
      timeoutSeconds: 43_200,
      delaySeconds: 365 * 86_400,
    });
    expect(request.maxAttempts).toBe(25);
  });

  it('names each unknown field in the error details', () => {
    const result = JobRequestSchema.safeParse({ type: 'noop', color: 1, size: 2 });
    expect(result.success).toBe(false);
    const error = ApiError.fromZod(result.error!);
    expect(error.statusCode).toBe(400);
    expect(error.details.map((d) => d.path).sort()).toEqual(['color', 'size']);
  });

  it('fuzz: any object either parses into a valid request or fails with named details', () => {
    const field = fc.constantFrom('type', 'payload', 'priority', 'capacity', 'idempotencyKey', 'maxAttempts', 'backoff', 'timeoutSeconds', 'delaySeconds', 'runAt', 'extra');
    fc.assert(
      fc.property(fc.dictionary(field, fc.jsonValue(), { maxKeys: 6 }), (body) => {
        const result = JobRequestSchema.safeParse(body);
        if (result.success) {
          expect(result.data.type).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
          expect(result.data.maxAttempts).toBeGreaterThanOrEqual(1);
          return;
        }
        const error = ApiError.fromZod(result.error);
        expect(error.details.length).toBeGreaterThan(0);
        for (const detail of error.details) expect(detail.message).not.toBe('');
      }),
      { numRuns: 2000 },
    );
  });
});
