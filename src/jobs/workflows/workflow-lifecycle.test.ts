import { describe, expect, it } from 'vitest';
import {
  canStepTransition,
  isStepTerminal,
  STEP_STATUSES,
  stepEndOf,
  stepStatusesBefore,
  workflowEnd,
} from './workflow-lifecycle.ts';

describe('step lifecycle', () => {
  it('ends in SUCCEEDED, DEAD, CANCELLED or SKIPPED, and never leaves them', () => {
    const terminal = STEP_STATUSES.filter(isStepTerminal);
    expect(terminal).toEqual(['SUCCEEDED', 'DEAD', 'CANCELLED', 'SKIPPED']);
    for (const from of terminal) for (const to of STEP_STATUSES) expect(canStepTransition(from, to)).toBe(false);
  });

  it('skips only a step that never started, and starts only a pending one', () => {
    expect(stepStatusesBefore('SKIPPED')).toEqual(['PENDING']);
    expect(stepStatusesBefore('STARTED')).toEqual(['PENDING']);
  });

  it("records a job's end from PENDING too (a root's job may end before its step is marked STARTED)", () => {
    expect(stepStatusesBefore('SUCCEEDED')).toEqual(['PENDING', 'STARTED']);
    expect(stepStatusesBefore('DEAD')).toEqual(['PENDING', 'STARTED']);
  });

  it("maps a finished job's status to its step's end, and an unfinished one to none", () => {
    expect(stepEndOf('SUCCEEDED')).toBe('SUCCEEDED');
    expect(stepEndOf('DEAD')).toBe('DEAD');
    expect(stepEndOf('CANCELLED')).toBe('CANCELLED');
    expect(stepEndOf('RETRYING')).toBeUndefined();
  });
});

describe('workflow end', () => {
  const step = (status: (typeof STEP_STATUSES)[number], children: string[] = []) => ({ status, children });

  it('succeeds when every sink succeeded, even after a failure a continue step absorbed', () => {
    expect(workflowEnd([step('SUCCEEDED', ['b']), step('SUCCEEDED')], false)).toBe('SUCCEEDED');
    expect(workflowEnd([step('DEAD', ['join']), step('SUCCEEDED')], false)).toBe('SUCCEEDED');
  });

  it('fails when a sink did not succeed', () => {
    expect(workflowEnd([step('DEAD', ['b']), step('SKIPPED')], false)).toBe('FAILED');
    expect(workflowEnd([step('SUCCEEDED'), step('DEAD')], false)).toBe('FAILED');
  });

  it('is CANCELLED when a cancel was asked, whatever the steps did', () => {
    expect(workflowEnd([step('SUCCEEDED')], true)).toBe('CANCELLED');
  });
});
