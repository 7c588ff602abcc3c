import type { BackoffPolicy } from '../api/job-request.ts';
import type { Capacity, Priority } from './classes.ts';
import type { JobStatus } from './lifecycle.ts';

export type AttemptOutcome = 'succeeded' | 'failed' | 'timed_out' | 'lost' | 'released' | 'cancelled';

export interface AttemptRecord {
  attempt: number;
  workerId: string;
  startedAt: string;
  finishedAt?: string;
  outcome?: AttemptOutcome;
  error?: string;
}

export interface JobError {
  message: string;
  name: string;
  retryable: boolean;
}

/** A job as stored in the jobs table (one item per job). */
export interface Job {
  id: string;
  type: string;
  priority: Priority;
  capacity: Capacity;
  status: JobStatus;
  /** Optimistic-concurrency counter: every transition requires the version it read. */
  version: number;
  /** Attempts that count against `maxAttempts`. */
  attempts: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  timeoutSeconds: number;
  /** JSON text of the payload, kept as text so DynamoDB never reshapes it. */
  payload?: string;
  idempotencyKey?: string;
  runAt?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** JSON text of the handler's result. */
  result?: string;
  error?: JobError;
  attemptLog: AttemptRecord[];
  lease?: Lease;
  /** Set by `POST /jobs/{id}/cancel` on a running job; its worker aborts the attempt. */
  cancelRequested?: boolean;
  /** Times the job was requeued from the dead-letter list. */
  requeues?: number;
}

/** Who runs the current attempt, and until when, unless a heartbeat extends it. */
export interface Lease {
  workerId: string;
  attempt: number;
  expiresAt: number;
}
