import { z } from 'zod';

/** What a queue message carries: only the job id. The job itself lives in the jobs table. */
export const JobMessageSchema = z.object({ jobId: z.uuid() });
export type JobMessage = z.infer<typeof JobMessageSchema>;

export const encodeJobMessage = (jobId: string): string => JSON.stringify({ jobId } satisfies JobMessage);
