import { describe, expect, it } from 'vitest';
import {
  EnqueueFailedError,
  IdempotencyKeyReusedError,
  InvalidInputError,
  JobFinishedError,
  JobNotDeadError,
  JobNotFoundError,
  LeaseLostError,
  PayloadTooLargeError,
  ScheduleExistsError,
  ScheduleNotFoundError,
  TenantQueueFullError,
} from '../../src/jobs/model/index.ts';
import { httpStatusOf, retryAfterOf } from './error-status.ts';

describe('httpStatusOf', () => {
  it.each([
    [new InvalidInputError([{ path: 'cursor', message: 'not a cursor' }]), 400],
    [new JobNotFoundError('j1'), 404],
    [new ScheduleNotFoundError('nightly'), 404],
    [new ScheduleExistsError('nightly'), 409],
    [new JobFinishedError('j1', 'SUCCEEDED'), 409],
    [new JobNotDeadError('j1', 'QUEUED'), 409],
    [new IdempotencyKeyReusedError('key k was used for a different request'), 409],
    [new PayloadTooLargeError(300_000, 262_144, 'payload'), 413],
    [new TenantQueueFullError('acme', 100, 5), 429],
    [new EnqueueFailedError(new Error('queue unreachable')), 503],
  ])('answers %s with %i', (error, status) => {
    expect(httpStatusOf(error)).toBe(status);
  });

  it('says when to retry a tenant over its queued cap, naming the tenant, and nothing for other errors', () => {
    // Prepare
    const full = new TenantQueueFullError('acme', 100, 5);

    // Act
    const retryAfter = [retryAfterOf(full), retryAfterOf(new JobNotFoundError('j1')), retryAfterOf(new Error('bug'))];

    // Assess
    expect(retryAfter).toEqual([5, undefined, undefined]);
    expect(full.details).toEqual([{ path: 'tenant', message: expect.stringContaining('acme') }]);
  });

  it('gives no status to errors a request cannot cause, so they answer 500', () => {
    expect(httpStatusOf(new LeaseLostError('j1'))).toBeUndefined();
    expect(httpStatusOf(new TypeError('bug'))).toBeUndefined();
  });

  it('keeps the class name on the error, as jobs store and the API shows it', () => {
    expect(new JobNotFoundError('j1').name).toBe('JobNotFoundError');
  });
});
