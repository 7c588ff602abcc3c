import type { Logger } from '@aws-lambda-powertools/logger';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerShutdownError } from '../src/jobs/job-errors.ts';
import type { JobRunner } from './job-runner.ts';
import type { QueuePoller } from './queue-poller.ts';

export interface WorkerOptions {
  /** Attempts run at once by this process. */
  concurrency: number;
  /** After SIGTERM, how long running attempts may take to finish before they are released. */
  shutdownGraceSeconds: number;
}

/**
 * The worker loop: keeps up to `concurrency` attempts running, receiving only as many messages as
 * it has free slots. `stop()` stops receiving, lets running attempts finish within the grace
 * period, then aborts the rest, which hand their jobs back to the queue.
 */
export class Worker {
  private stopping = false;
  private readonly shutdown = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  /** Share of `concurrency` this worker takes on: lowered while its attempts lose races. */
  private intakeShare = 1;

  constructor(
    private readonly poller: QueuePoller,
    private readonly runner: JobRunner,
    private readonly logger: Logger,
    private readonly options: WorkerOptions,
  ) {}

  start(): Promise<void> {
    this.loop ??= this.receiveLoop();
    return this.loop;
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.loop;
    this.stopping = true;
    this.logger.info('stopping', { inFlight: this.inFlight.size, graceSeconds: this.options.shutdownGraceSeconds });
    const grace = setTimeout(() => this.shutdown.abort(new WorkerShutdownError()), this.options.shutdownGraceSeconds * 1000);
    await this.loop;
    clearTimeout(grace);
  }

  /**
   * One of this worker's attempts was overtaken by a backup elsewhere: this host is slow now
   * (noisy neighbour, thermal throttling, a bad disk). Halve its intake, down to one slot, so it
   * straggles on fewer jobs; successes win the slots back gradually.
   */
  slowDownIntake(): void {
    this.intakeShare = Math.max(1 / this.options.concurrency, this.intakeShare / 2);
    this.logger.info('intake reduced: this worker lost a race to a backup', { slots: this.slots });
  }

  recoverIntake(): void {
    this.intakeShare = Math.min(1, this.intakeShare + 1 / (4 * this.options.concurrency));
  }

  private get slots(): number {
    return Math.max(1, Math.floor(this.options.concurrency * this.intakeShare));
  }

  private async receiveLoop(): Promise<void> {
    let errorBackoffMs = 100;
    while (!this.stopping) {
      const free = this.slots - this.inFlight.size;
      if (free <= 0) {
        await Promise.race(this.inFlight);
        continue;
      }
      try {
        const messages = await this.poller.receive(free);
        errorBackoffMs = 100;
        if (this.stopping) {
          await Promise.all(messages.map((m) => this.poller.setVisibility(m, 0)));
          break;
        }
        for (const message of messages) {
          const attempt: Promise<void> = this.runner.process(message, this.shutdown.signal).finally(() => this.inFlight.delete(attempt));
          this.inFlight.add(attempt);
        }
      } catch (error) {
        this.logger.error('receive failed; backing off', { error: error as Error, backoffMs: errorBackoffMs });
        await sleep(errorBackoffMs);
        errorBackoffMs = Math.min(errorBackoffMs * 2, 5000);
      }
    }
    await Promise.allSettled([...this.inFlight]);
    this.logger.info('stopped');
  }
}
