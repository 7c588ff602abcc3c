import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from './errors.ts';
import { assertTransition, CLAIMABLE_STATUSES, canTransition, isTerminal, JOB_STATUSES } from './lifecycle.ts';

describe('job lifecycle', () => {
  it('ends in SUCCEEDED, DEAD or CANCELLED', () => {
    expect(JOB_STATUSES.filter(isTerminal)).toEqual(['SUCCEEDED', 'DEAD', 'CANCELLED']);
  });

  it('never leaves SUCCEEDED or CANCELLED', () => {
    for (const to of JOB_STATUSES) {
      expect(canTransition('SUCCEEDED', to)).toBe(false);
      expect(canTransition('CANCELLED', to)).toBe(false);
    }
  });

  it('lets only a requeue revive a dead job', () => {
    expect(JOB_STATUSES.filter((to) => canTransition('DEAD', to))).toEqual(['QUEUED']);
  });

  it('lets workers claim held, queued, scheduled, retrying and lease-expired running jobs', () => {
    expect([...CLAIMABLE_STATUSES].sort()).toEqual(['HELD', 'QUEUED', 'RETRYING', 'RUNNING', 'SCHEDULED']);
  });

  it('releases a held job to its queue, or ends it cancelled without a run', () => {
    expect(JOB_STATUSES.filter((to) => canTransition('HELD', to))).toEqual(['QUEUED', 'RUNNING', 'CANCELLED']);
    expect(canTransition('QUEUED', 'HELD')).toBe(false);
  });

  it('lets every non-terminal job be cancelled', () => {
    for (const from of JOB_STATUSES.filter((s) => !isTerminal(s))) expect(canTransition(from, 'CANCELLED')).toBe(true);
  });

  it('throws a named error for an illegal move', () => {
    expect(() => assertTransition('SUCCEEDED', 'RUNNING')).toThrow(IllegalTransitionError);
    expect(() => assertTransition('QUEUED', 'SUCCEEDED')).toThrow('a job cannot go from QUEUED to SUCCEEDED');
  });
});
