import type { Logger } from '@aws-lambda-powertools/logger';
import { type JobStatus, NonRetryableError } from '../src/jobs/model/index.ts';
import type { TransactWriteItem } from '../src/jobs/store/index.ts';
import type { SpawnRequestInput } from '../src/jobs/workflows/index.ts';
import type { PayloadFile } from './job-payloads.ts';

/** DynamoDB's transaction limit, less the job's own update. */
export const MAX_EFFECTS = 99;

/**
 * DynamoDB writes a handler wants committed together with its success: they are written in the
 * same transaction that marks the job SUCCEEDED, so they happen exactly once per job even when
 * an attempt is lost, retried or raced — an attempt that does not win commits none of them.
 */
export class JobEffects {
  private readonly items: TransactWriteItem[] = [];

  add(item: TransactWriteItem): void {
    if (this.items.length >= MAX_EFFECTS)
      throw new NonRetryableError(`a job can commit at most ${MAX_EFFECTS} effects`);
    this.items.push(item);
  }

  get all(): readonly TransactWriteItem[] {
    return this.items;
  }
}

/** What a handler learns about the attempt it runs. */
export interface JobContext {
  jobId: string;
  type: string;
  /** Who the job is for (`default` when it was submitted without one): quotas, shares and stats key on it. */
  tenant: string;
  attempt: number;
  /** This attempt is a backup racing a straggling one: only the first to finish counts. */
  speculative: boolean;
  workerId: string;
  /** Reports progress (0–1); heartbeats carry it to the straggler detector. */
  reportProgress: (fraction: number) => void;
  /** Aborted on timeout, cancellation, lost lease or worker shutdown: stop work and return soon. */
  signal: AbortSignal;
  logger: Logger;
  /** Writes committed atomically with the job's success (exactly-once side effects). */
  effects: JobEffects;
  /**
   * Only for handlers registered with `{ payloadFile: true }` (the Python bridge): a payload kept in
   * the payload bucket, downloaded to this file instead of passed as the `payload` argument.
   */
  payloadFile?: PayloadFile;
  /** A workflow step's parents by step name, each as its job ended (docs/workflows.md). */
  parents?: Record<string, ParentOutcome>;
  /**
   * Spawns children and their join as steps of this step's workflow (docs/workflows.md, "Dynamic
   * fan-out"), committed with this attempt's success: the handler returns, and its slot is free
   * while the children run. Throws NonRetryableError outside a workflow, on a second call, or for
   * a spawn that cannot be written.
   */
  spawn: (request: SpawnRequestInput) => void;
  /** Only on a spawn's join: its children as they ended, in order, read a page at a time. */
  children?: () => AsyncIterable<ChildOutcome>;
}

/** How a spawned child ended, with its index among its spawn's children. */
export interface ChildOutcome extends ParentOutcome {
  index: number;
}

/** How a workflow step's parent ended: its status, and its result or its error. */
export interface ParentOutcome {
  status: JobStatus;
  result?: unknown;
  error?: string;
}

/**
 * A job handler: gets the payload (any JSON; a Buffer for an upload of bytes), returns a
 * JSON-serializable result or a Buffer/Uint8Array of bytes, or throws.
 */
export type JobHandler = (payload: unknown, context: JobContext) => Promise<unknown>;

/** Job handlers by `type`. A worker only takes job types it has a handler for. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly fileReaders = new Set<string>();

  /** `payloadFile`: a stored payload reaches the handler as `context.payloadFile`, not in memory. */
  register(type: string, handler: JobHandler, options: { payloadFile?: boolean } = {}): this {
    if (this.handlers.has(type)) throw new Error(`a handler for ${type} is already registered`);
    this.handlers.set(type, handler);
    if (options.payloadFile) this.fileReaders.add(type);
    return this;
  }

  /** True when the type's handler takes a stored payload as a file. */
  readsPayloadFile(type: string): boolean {
    return this.fileReaders.has(type);
  }

  get(type: string): JobHandler | undefined {
    return this.handlers.get(type);
  }

  get types(): string[] {
    return [...this.handlers.keys()];
  }
}
