import type { Logger } from '@aws-lambda-powertools/logger';

/** What a handler learns about the attempt it runs. */
export interface JobContext {
  jobId: string;
  type: string;
  attempt: number;
  workerId: string;
  /** Aborted on timeout, cancellation, lost lease or worker shutdown: stop work and return soon. */
  signal: AbortSignal;
  logger: Logger;
}

/** A job handler: gets the payload, returns a JSON-serializable result or throws. */
export type JobHandler = (payload: unknown, context: JobContext) => Promise<unknown>;

/** Job handlers by `type`. A worker only takes job types it has a handler for. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, JobHandler>();

  register(type: string, handler: JobHandler): this {
    if (this.handlers.has(type)) throw new Error(`a handler for ${type} is already registered`);
    this.handlers.set(type, handler);
    return this;
  }

  get(type: string): JobHandler | undefined {
    return this.handlers.get(type);
  }

  get types(): string[] {
    return [...this.handlers.keys()];
  }
}
