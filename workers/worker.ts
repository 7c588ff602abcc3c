import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import { WorkerShutdownError } from '../src/jobs/model/index.ts';
import type { JobRunner } from './job-runner.ts';
import type { QueuePoller, ReceivedMessage } from './queue-poller.ts';

export interface WorkerOptions {
  /** Attempts run at once by this process. @default 4 (`--concurrency`) */
  concurrency: number;
  /**
   * While measured slow: how often the worker looks for work that waited (it never long-polls then),
   * and how long a message must have waited for it to take it. @default 1000
   */
  probationPollMs: number;
  /** After SIGTERM, how long running attempts may take to finish before they are released. @default 25 (`--shutdown-grace-seconds`; 100 on ECS) */
  shutdownGraceSeconds: number;
}

/**
 * The worker loop: keeps up to `concurrency` attempts running, receiving only as many messages as
 * it has free slots. `stop()` stops receiving, lets running attempts finish within the grace
 * period, then aborts the rest, which hand their jobs back to the queue.
 *
 * A worker measured slow is on probation ("The Tail at Scale"): it only takes work that has been
 * waiting, one message a poll, so it straggles on few jobs while the healthy workers keep up, yet
 * fills its slots with waited work when they do not (a backlog: then a slow slot beats none; tail
 * suite, `transient-5s`@0.85), keeps measuring itself and leaves probation once it is fast again.
 * Its short polls see fresh arrivals as soon as the healthy workers' long polls do (SQS favours
 * neither), so it hands back what arrived less than a poll interval ago: a healthy worker with a
 * free slot takes that first. One message a poll keeps those hand-backs to one a poll interval.
 */
export class Worker {
  private stopping = false;
  private readonly shutdown = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly poller: QueuePoller,
    private readonly runner: JobRunner,
    private readonly logger: Logger,
    private readonly options: WorkerOptions,
    private readonly health: { readonly onProbation: boolean } = { onProbation: false },
  ) {}

  start(): Promise<void> {
    this.loop ??= this.receiveLoop();
    return this.loop;
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.loop;
    this.stopping = true;
    this.logger.info('stopping', { inFlight: this.inFlight.size, graceSeconds: this.options.shutdownGraceSeconds });
    const grace = setTimeout(
      () => this.shutdown.abort(new WorkerShutdownError()),
      this.options.shutdownGraceSeconds * 1000,
    );
    await this.loop;
    clearTimeout(grace);
  }

  /** Attempts it takes at once, how many are running, and the jobs they run. */
  get load(): { slots: number; running: number; jobIds: string[] } {
    return {
      slots: this.options.concurrency,
      running: this.inFlight.size,
      jobIds: [...this.runner.runningJobs().keys()],
    };
  }

  private async receiveLoop(): Promise<void> {
    let errorBackoffMs = 100;
    let wasOnProbation = false;
    while (!this.stopping) {
      const onProbation = this.health.onProbation;
      if (onProbation !== wasOnProbation)
        this.logger.warn(onProbation ? 'measured slow: on probation' : 'back to normal speed: probation over');
      wasOnProbation = onProbation;
      const free = this.options.concurrency - this.inFlight.size;
      if (free <= 0) {
        await Promise.race(this.inFlight);
        continue;
      }
      try {
        const received = await this.poller.receive(onProbation ? 1 : free, { longPoll: !onProbation });
        const messages = onProbation ? await this.waitedOnly(received) : received;
        errorBackoffMs = 100;
        if (messages.length === 0 && onProbation) await sleep(this.options.probationPollMs);
        if (this.stopping) {
          await this.poller.handBack(messages);
          break;
        }
        for (const message of messages) {
          const attempt: Promise<void> = this.runner
            .process(message, this.shutdown.signal)
            .finally(() => this.inFlight.delete(attempt));
          this.inFlight.add(attempt);
        }
      } catch (error) {
        this.logger.error('receive failed; backing off', { error: error as Error, backoffMs: errorBackoffMs });
        await sleep(errorBackoffMs);
        errorBackoffMs = Math.min(errorBackoffMs * 2, 5000);
      }
    }
    await Promise.allSettled([...this.inFlight]);
    await this.poller.flushDeletes();
    this.logger.info('stopped');
  }

  /** The messages that waited a probation poll interval; the others go back to the queue for healthy workers. */
  private async waitedOnly(messages: ReceivedMessage[]): Promise<ReceivedMessage[]> {
    const waitedSince = Date.now() - this.options.probationPollMs;
    const fresh = messages.filter((m) => m.sentAt > waitedSince);
    if (fresh.length > 0) await this.poller.handBack(fresh);
    return messages.filter((m) => m.sentAt <= waitedSince);
  }
}
