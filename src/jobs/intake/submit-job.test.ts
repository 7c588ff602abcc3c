import { describe, expect, it } from 'vitest';
import { JobRequestSchema } from './job-request.ts';
import { hashRequest } from './submit-job.ts';

const hash = (body: object) => hashRequest(JobRequestSchema.parse(body));

describe('hashRequest', () => {
  it('ignores the idempotency key itself and key order', () => {
    expect(hash({ type: 'a', payload: { x: 1, y: 2 }, idempotencyKey: 'k1' })).toBe(
      hash({ idempotencyKey: 'k2', payload: { y: 2, x: 1 }, type: 'a' }),
    );
  });

  it('treats omitted and explicit defaults alike', () => {
    expect(hash({ type: 'a' })).toBe(hash({ type: 'a', priority: 'default', maxAttempts: 4, backoff: {} }));
  });

  it('differs when anything that defines the job differs', () => {
    const base = hash({ type: 'a', payload: [1, 2] });
    expect(hash({ type: 'a', payload: [2, 1] })).not.toBe(base);
    expect(hash({ type: 'a', payload: [1, 2], priority: 'low' })).not.toBe(base);
    expect(hash({ type: 'b', payload: [1, 2] })).not.toBe(base);
  });
});
