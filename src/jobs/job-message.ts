import { z } from 'zod';

/**
 * What a queue message carries: the job id (the job itself lives in the jobs table), and for a
 * speculative backup, `backup: true`.
 */
export const JobMessageSchema = z.object({ jobId: z.uuid(), backup: z.boolean().optional() });
export type JobMessage = z.infer<typeof JobMessageSchema>;

export const encodeJobMessage = (jobId: string, backup = false): string =>
  JSON.stringify((backup ? { jobId, backup } : { jobId }) satisfies JobMessage);
