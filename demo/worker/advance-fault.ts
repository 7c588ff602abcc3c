import { z } from 'zod';
import type { Job } from '../../src/jobs/model/index.ts';

/**
 * Test-only: whether the demo worker honours the fault mark below (`--fault-injection on`). Off
 * unless given, so a payload alone never stops a worker's settle.
 */
export const FAULT_INJECTION = {
  name: 'WORKER_FAULT_INJECTION',
  schema: z
    .enum(['on', 'off'])
    .default('off')
    .transform((value) => value === 'on'),
};

/** The payload field that marks a workflow step's job for the fault, beside its handler's own fields. */
const Marked = z.object({ fault: z.literal('before-advance') });

/**
 * A worker's `beforeAdvance` (SettleDeps): a job whose payload carries `"fault": "before-advance"`
 * stops its settle after the job's end is written and before its workflow is advanced, as if the
 * worker died between the two writes. Its workflow stays open with the step ended until the
 * reaper's pass (docs/workflows.md, "Never stuck"); the message, left, is dropped at its next
 * claim since the job has ended.
 */
export function beforeAdvanceFault(job: Job): void {
  if (job.payload === undefined || !Marked.safeParse(JSON.parse(job.payload)).success) return;
  throw new Error('fault injected: the worker stopped after the job ended, before advancing its workflow');
}
