import { describe, expect, it } from 'vitest';
import { claim } from './attempts.ts';
import type { Job } from '../model/index.ts';
import type { JobStore } from '../store/index.ts';

const now = 1_000_000;
/** A running job whose straggling attempt (on worker `slow`) asked for a backup. */
const straggling = {
  id: 'j1',
  status: 'RUNNING',
  attempts: 1,
  attemptLog: [],
  leases: { c1: { workerId: 'slow', attempt: 1, startedAt: now - 2000, expiresAt: now + 10_000 } },
  speculation: { requestedAt: now - 100, against: 'c1', avoidWorker: 'slow' },
} as unknown as Job;
/** Any write would throw: these decisions must be made without touching the table. */
const untouchable = {} as JobStore;

describe('claiming a backup', () => {
  it('hands it back when this is the straggler\'s own worker', async () => {
    const decision = await claim(untouchable, straggling, { workerId: 'slow', leaseSeconds: 30, backup: true, now });
    expect(decision).toMatchObject({ action: 'defer' });
  });

  it('hands it back when this worker is on probation: a backup there could straggle too', async () => {
    const decision = await claim(untouchable, straggling, { workerId: 'other', leaseSeconds: 30, backup: true, onProbation: true, now });
    expect(decision).toMatchObject({ action: 'defer' });
  });

  it('drops it once the straggler is gone or another backup runs', async () => {
    const finished = { ...straggling, status: 'SUCCEEDED' } as Job;
    const taken = { ...straggling, speculation: { ...straggling.speculation!, claimedBy: 'c2' } } as Job;
    for (const job of [finished, taken]) {
      expect(await claim(untouchable, job, { workerId: 'other', leaseSeconds: 30, backup: true, now })).toMatchObject({ action: 'drop' });
    }
  });
});
