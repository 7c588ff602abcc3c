import { z } from 'zod';

/**
 * What a queue message carries: the job id (the job itself lives in the jobs table), and for a
 * speculative backup, `backup: true`.
 */
export const JobMessageSchema = z.object({ jobId: z.uuid(), backup: z.boolean().optional() });
export type JobMessage = z.infer<typeof JobMessageSchema>;

export const encodeJobMessage = (jobId: string, backup = false): string =>
  JSON.stringify((backup ? { jobId, backup } : { jobId }) satisfies JobMessage);

/** A message body as a job message, or why it is not one (not JSON, or not of this shape). */
export function parseJobMessage(body: string): ReturnType<typeof JobMessageSchema.safeParse> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return JobMessageSchema.safeParse(json);
}
