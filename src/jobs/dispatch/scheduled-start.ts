import { z } from 'zod';
import { CAPACITIES, PRIORITIES } from '../model/index.ts';

/** A request to start a job's next attempt at `notBefore` (epoch ms), handled by the start scheduler. */
export const ScheduledStartSchema = z.object({
  jobId: z.uuid(),
  type: z.string().min(1).optional(),
  capacity: z.enum(CAPACITIES),
  priority: z.enum(PRIORITIES),
  /** Attempts made so far: names the schedule, so each attempt gets its own. */
  attempts: z.int().min(0),
  notBefore: z.int().positive(),
});
export type ScheduledStart = z.infer<typeof ScheduledStartSchema>;

export const encodeScheduledStart = (request: ScheduledStart): string => JSON.stringify(request);

/** One schedule per job and attempt, so a retry never collides with the schedule that started it. */
export const scheduleName = (job: { id: string; attempts: number }): string => `job-${job.id}-${job.attempts}`;
