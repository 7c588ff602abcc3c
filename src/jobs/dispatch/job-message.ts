import { z } from 'zod';

/**
 * What a queue message carries: the job id (the job itself lives in the jobs table), and for a
 * speculative backup, `backup: true`. A start's message also says what the job was when it was
 * sent — its attempts so far, its type and tenant, when it became due — so a worker can start it in one
 * conditional write without reading it first; the write fails, and the worker reads the job, when
 * the job changed since (see attempts.ts `startWaiting`).
 */
export const JobMessageSchema = z.object({
  jobId: z.uuid(),
  backup: z.boolean().optional(),
  attempts: z.int().min(0).optional(),
  type: z.string().min(1).optional(),
  /** The job's tenant (absent on messages from before tenants; also the message's `MessageGroupId`): its limits are taken before the claim. */
  tenant: z.string().min(1).optional(),
  /** Epoch ms the job became due: the start of its queue wait. */
  due: z.number().optional(),
  /** The job holds a place in its tenant's window (src/jobs/fairness), given back at its first claim. */
  place: z.literal(true).optional(),
});
export type JobMessage = z.infer<typeof JobMessageSchema>;

export const encodeJobMessage = (jobId: string, fields: Omit<JobMessage, 'jobId'> = {}): string =>
  JSON.stringify({ jobId, ...fields } satisfies JobMessage);

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
