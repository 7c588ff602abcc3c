import { z } from 'zod';
import { ALL_QUEUE_KEYS, type Job, type QueueKey } from '../model/index.ts';

/**
 * A check on jobs' messages, due a grace period after they were sent: the checks queue holds it
 * back (its delivery delay), and the reaper then reads the jobs it names (reaper/message-checks.ts).
 * A job that still waits for its message by then may have lost it to a purge, an expiry or a
 * foreign delete; the reaper counts the queue's messages and sends a fresh one where it is sure
 * (or nearly so) that it is gone. One check names many jobs of a queue (a batch's), so it costs a
 * single job a send, and a batch one send a hundred jobs.
 */
export const MessageCheckSchema = z.object({
  queue: z.enum(ALL_QUEUE_KEYS as [QueueKey, ...QueueKey[]]),
  /** `[jobId, sentAt (epoch ms), type]` per job: when its message went, and its type (to compare like with like). */
  jobs: z.array(z.tuple([z.uuid(), z.number(), z.string()])).min(1),
});
export type MessageCheck = z.infer<typeof MessageCheckSchema>;
export type CheckedJob = MessageCheck['jobs'][number];

/** Jobs named in one check: well under SQS's 256 KiB a message (≈ 60 bytes each). */
export const MAX_JOBS_PER_CHECK = 1000;

export const checkedJob = (job: Pick<Job, 'id'> & Partial<Pick<Job, 'type'>>, sentAt: number): CheckedJob => [
  job.id,
  sentAt,
  job.type ?? '',
];

export const encodeMessageCheck = (check: MessageCheck): string => JSON.stringify(check);

/** A message body as a check, or undefined when it is not one. */
export function parseMessageCheck(body: string): MessageCheck | undefined {
  try {
    const parsed = MessageCheckSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
