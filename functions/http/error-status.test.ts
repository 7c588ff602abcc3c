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
} from '../../src/jobs/model/index.ts';
import { httpStatusOf } from './error-status.ts';

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
    [new EnqueueFailedError(new Error('queue unreachable')), 503],
  ])('answers %s with %i', (error, status) => {
    expect(httpStatusOf(error)).toBe(status);
  });

  it('gives no status to errors a request cannot cause, so they answer 500', () => {
    expect(httpStatusOf(new LeaseLostError('j1'))).toBeUndefined();
    expect(httpStatusOf(new TypeError('bug'))).toBeUndefined();
  });

  it('keeps the class name on the error, as jobs store and the API shows it', () => {
    expect(new JobNotFoundError('j1').name).toBe('JobNotFoundError');
  });
});
