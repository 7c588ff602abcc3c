import type { BackoffPolicy } from './backoff.ts';
import type { Capacity, Priority } from './classes.ts';
import type { JobStatus } from './lifecycle.ts';

export type AttemptOutcome =
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'lost'
  | 'released'
  | 'cancelled'
  /** The attempt's twin settled the job first; this one was aborted and its result discarded. */
  | 'superseded';

export interface AttemptRecord {
  attempt: number;
  /** Key of the attempt's lease while it runs. */
  claimId: string;
  workerId: string;
  startedAt: string;
  finishedAt?: string;
  outcome?: AttemptOutcome;
  error?: string;
  /** A backup launched against a straggling attempt. */
  speculative?: boolean;
  /** A backup's request by the straggler detector: its start minus this is how long the backup took to start. */
  requestedAt?: string;
  /** The attempt that settled the job, when two ran at once. */
  won?: boolean;
}

export interface JobError {
  message: string;
  name: string;
  retryable: boolean;
}

/** What a stored object holds: JSON text, or bytes handed to the handler as they are. */
export type ObjectFormat = 'json' | 'bytes';

/** A payload or result kept in the payload bucket rather than in the job's item. */
export interface StoredObject {
  /** Object key in the payload bucket. */
  key: string;
  bytes: number;
  format: ObjectFormat;
  /** The object's ETag when it was referenced: what idempotency compares for an uploaded payload. */
  etag?: string;
}

/** A job as stored in the jobs table (one item per job). */
export interface Job {
  id: string;
  type: string;
  /** Who the job is for (model/tenant.ts); absent on jobs written before tenants, which belong to `default`. */
  tenant?: string;
  /**
   * Counted among its tenant's jobs waiting for their first start (the tenant has a `maxQueued`):
   * removed, and the count taken down, in one transaction at its first start, or when it ends
   * without one (src/jobs/tenants/queued-counts.ts).
   */
  queuedCounted?: true;
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
  /** JSON text of the payload, kept as text so DynamoDB never reshapes it (a small payload). */
  payload?: string;
  /** Where a payload too large for the item is kept (S3): written by intake or uploaded through `POST /uploads`. */
  payloadObject?: StoredObject;
  idempotencyKey?: string;
  runAt?: string;
  /** The recurring schedule that made the job, and the fire time it made it for (src/jobs/schedules). */
  schedule?: string;
  fireTime?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** JSON text of the handler's result (a small result). */
  result?: string;
  /** Where a result too large for the item is kept (S3), written by the attempt that won. */
  resultObject?: StoredObject;
  error?: JobError;
  attemptLog: AttemptRecord[];
  /** Leases of the running attempts by claim id: one, or two while a backup races a straggler. */
  leases?: Record<string, Lease>;
  /** A backup attempt the straggler detector asked for (at most one per running period). */
  speculation?: Speculation;
  /** False when the job's handler must never run twice at once (request field `speculation`). */
  speculate?: boolean;
  /** Set by `POST /jobs/{id}/cancel` on a running job; its worker aborts the attempt. */
  cancelRequested?: boolean;
  /** Times the job was requeued from the dead-letter list. */
  requeues?: number;
  /** Epoch ms the reaper last sent the job a fresh message because it was stuck (at most once per grace period). */
  redispatchedAt?: number;
  /** Times the reaper sent the job a fresh message. */
  redispatches?: number;
  /** Times a message of the job reached its queue's SQS dead-letter queue while the job was not finished. */
  deadLetterReturns?: number;
  /** The workflow step the job is (src/jobs/workflows): its end advances that workflow. */
  workflow?: WorkflowLink;
}

/** A workflow step's job: which workflow, which step, and its parents' jobs by step name. */
export interface WorkflowLink {
  id: string;
  step: string;
  /** Parents' job ids by step name: the handler reads their results at claim. */
  parents?: Record<string, string>;
  /** On a spawn's join: the step that spawned its children and how many (their job ids are derived from it). */
  children?: { parent: string; count: number };
}

/** What a handler last said of its progress, and when. */
export interface ProgressReport {
  /** 0–1. */
  fraction: number;
  /** Epoch ms. */
  at: number;
  /** Fraction a second between the handler's last two reports that differed: how fast it goes now. */
  rate?: number;
}

/** Who runs an attempt, and until when unless a heartbeat extends it. */
export interface Lease {
  workerId: string;
  attempt: number;
  /** Epoch ms. */
  startedAt: number;
  expiresAt: number;
  /** Epoch ms of the last heartbeat. */
  heartbeatAt?: number;
  /** 0–1, reported by the handler through its context. */
  progress?: number;
  /** Epoch ms the handler reported `progress` (a heartbeat carries it later). */
  progressAt?: number;
  /** Fraction a second between the handler's last two reports (ProgressReport.rate). */
  progressRate?: number;
  /** The worker's measured speed against its class when it took the attempt (1 = normal). */
  speed?: number;
  speculative?: boolean;
}

export interface Speculation {
  /** Epoch ms the detector asked for the backup. */
  requestedAt: number;
  /** Claim id of the straggling attempt. */
  against: string;
  /** Its worker: the backup must run elsewhere. */
  avoidWorker: string;
  /** Claim id of the backup once a worker took it. */
  claimedBy?: string;
  /** Epoch ms the detector asked for another worker because no one took the backup. */
  capacityRequestedAt?: number;
}
