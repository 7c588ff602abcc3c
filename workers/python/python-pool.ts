import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobContext } from '../job-handler.ts';
import { PythonProcessError } from './errors.ts';
import { PythonProcess, type PythonProcessOptions } from './python-process.ts';

/** Delay before starting a process again after one failed to start, doubling up to the maximum. */
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 60_000;

interface Waiter {
  take: (child: PythonProcess) => void;
  refuse: (error: unknown) => void;
}

/**
 * A fixed number of Python handler processes, each running one job at a time. A job waits for an
 * idle process; a process that ends (crashed, killed after a cancel) is replaced by a fresh one.
 */
export class PythonPool {
  private readonly live = new Set<PythonProcess>();
  private readonly idle: PythonProcess[] = [];
  private readonly waiting: Waiter[] = [];
  private started = false;
  private closed = false;
  private restartDelayMs = FIRST_RESTART_DELAY_MS;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: PythonProcessOptions & { processes: number },
    private readonly logger: Logger,
  ) {}

  /** Starts the processes and resolves with the job types they serve; fails if any ends before it is ready. */
  async start(): Promise<readonly string[]> {
    const children = Array.from({ length: this.options.processes }, () => this.spawn());
    try {
      const [types = []] = await Promise.all(children.map((child) => child.ready));
      if (types.length === 0) throw new PythonProcessError('the Python handler process registered no job types');
      this.started = true;
      for (const child of children) this.release(child);
      return types;
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Runs a job on the next idle process. */
  async run(type: string, payload: unknown, context: JobContext): Promise<unknown> {
    const child = await this.acquire(context.signal);
    try {
      return await child.run(type, payload, context);
    } finally {
      if (child.alive) this.release(child);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    for (const waiter of this.waiting.splice(0))
      waiter.refuse(new PythonProcessError('the Python handlers are closed'));
    await Promise.all([...this.live].map((child) => child.close()));
  }

  private acquire(signal: AbortSignal): Promise<PythonProcess> {
    if (this.closed) return Promise.reject(new PythonProcessError('the Python handlers are closed'));
    if (signal.aborted) return Promise.reject(signal.reason);
    const child = this.idle.pop();
    if (child) return Promise.resolve(child);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        take: (child) => {
          signal.removeEventListener('abort', onAbort);
          resolve(child);
        },
        refuse: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(child: PythonProcess): void {
    if (this.closed) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter.take(child);
    else this.idle.push(child);
  }

  private spawn(): PythonProcess {
    const child = new PythonProcess(this.options);
    this.live.add(child);
    const startFailure = child.ready.then(
      () => undefined,
      (error: unknown) => error,
    );
    void Promise.all([startFailure, child.exited]).then(([failure, how]) => this.onExit(child, how, failure));
    return child;
  }

  private onExit(child: PythonProcess, how: string, startFailure: unknown): void {
    this.live.delete(child);
    const idleAt = this.idle.indexOf(child);
    if (idleAt >= 0) this.idle.splice(idleAt, 1);
    if (this.closed || !this.started) return;
    if (startFailure === undefined) {
      this.logger.warn('a Python handler process ended: starting a fresh one', { how });
      this.replace();
      return;
    }
    // Try again later, so a handler module that cannot load (a GPU gone bad) is not restarted in a tight loop.
    this.logger.error('a Python handler process failed to start: trying again', {
      error: startFailure as Error,
      delayMs: this.restartDelayMs,
    });
    this.restartTimer = setTimeout(() => this.replace(), this.restartDelayMs);
    this.restartDelayMs = Math.min(2 * this.restartDelayMs, MAX_RESTART_DELAY_MS);
  }

  private replace(): void {
    const child = this.spawn();
    // A process that fails to start is dealt with when it exits.
    void child.ready.then(
      () => {
        this.restartDelayMs = FIRST_RESTART_DELAY_MS;
        this.release(child);
      },
      () => undefined,
    );
  }
}
