import { describe, expect, it } from 'vitest';
import { parseVariable } from '../../src/aws/environment/index.ts';
import type { Job } from '../../src/jobs/model/index.ts';
import { beforeAdvanceFault, FAULT_INJECTION } from './advance-fault.ts';

const ended = (payload?: unknown) =>
  ({
    id: 'j1',
    status: 'SUCCEEDED',
    workflow: { id: 'w1', step: 'b' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  }) as Job;

describe('beforeAdvanceFault', () => {
  it("stops the settle of a job marked for it, beside the handler's own payload", () => {
    expect(() => beforeAdvanceFault(ended({ ms: 10, fault: 'before-advance' }))).toThrow('fault injected');
  });

  it('lets every other job advance its workflow', () => {
    for (const payload of [undefined, { ms: 10 }, { fault: 'after-send' }, [1, 2], 'before-advance'])
      expect(() => beforeAdvanceFault(ended(payload))).not.toThrow();
  });
});

describe('FAULT_INJECTION', () => {
  it('is off unless turned on', () => {
    expect(parseVariable(FAULT_INJECTION, undefined)).toEqual({ ok: true, value: false });
    expect(parseVariable(FAULT_INJECTION, 'on')).toEqual({ ok: true, value: true });
    expect(parseVariable(FAULT_INJECTION, 'yes').ok).toBe(false);
  });
});
