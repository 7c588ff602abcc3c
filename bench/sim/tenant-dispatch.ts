/**
 * Models of how one lane (a capacity and priority's queue) hands its jobs to workers when several
 * tenants share it, on the simulator's virtual clock: no fairness, Amazon SQS fair queues, and
 * Tailguard's per-tenant windows. A model is told of each submit and each start; a free worker
 * slot asks it for the next job.
 */
export interface SimTenantJob {
  id: number;
  tenant: string;
  /** Virtual ms. */
  createdAt: number;
}

export interface TenantDispatch {
  readonly name: string;
  submit(job: SimTenantJob): void;
  /** The job a free worker slot receives now, if any; it starts at once. */
  next(): SimTenantJob | undefined;
  /** A started job finished (its message deleted). */
  finished(job: SimTenantJob): void;
}

/** Runs `run` after `delayMs` of virtual time (the event queue's `after`). */
export type Schedule = (delayMs: number, run: () => void) => void;

/** The virtual clock as a model sees it. */
export interface SimClock {
  now: () => number;
  schedule: Schedule;
}

/** A FIFO of jobs that pops in O(1) amortized (an array with a moving head). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/** (a) No fairness: one queue, jobs out in arrival order whoever they are for. */
export class FifoDispatch implements TenantDispatch {
  readonly name = 'fifo';
  private readonly queue = new Fifo<SimTenantJob>();

  submit(job: SimTenantJob): void {
    this.queue.push(job);
  }

  next(): SimTenantJob | undefined {
    return this.queue.shift();
  }

  finished(): void {}
}

/** What the SQS fair queue model assumes (AWS's documented detection, with "recent" made concrete). */
export interface SqsFairOptions {
  /** A group is noisy once it holds more than this share of the in-flight messages… */
  concurrencyShare: number;
  /** …and at least this many of its own… */
  minInFlight: number;
  /** …or more than this share of the recent processing time… */
  processingShare: number;
  /** …over this long (AWS says "recent"; assumed here). */
  recentMs: number;
}

/** AWS's documented thresholds: > 10 % of in-flight with ≥ 30 in flight, or > 10 % of processing time. */
export const SQS_FAIR_DEFAULTS: SqsFairOptions = {
  concurrencyShare: 0.1,
  minInFlight: 30,
  processingShare: 0.1,
  recentMs: 60_000,
};

/**
 * (b) A model of Amazon SQS fair queues: a standard queue whose messages carry MessageGroupId =
 * tenant. As AWS documents it, a tenant is flagged noisy when it holds > 10 % of the in-flight
 * messages and at least 30 of its own, or > 10 % of the consumers' recent processing time, and stays
 * noisy until its backlog is gone; while quiet tenants' messages wait, receives return theirs
 * (oldest first: a standard queue is roughly FIFO); when only noisy tenants wait, the one with the
 * fewest in flight goes first. Idealized: one exact view of the queue (the real service is
 * distributed and its thresholds approximate), so it is the best SQS could do. Every job here runs
 * equally long, so the processing-time share is the share of recent starts.
 */
export class SqsFairDispatch implements TenantDispatch {
  readonly name = 'sqs-fair';
  private readonly groups = new Map<string, Fifo<SimTenantJob>>();
  private readonly inFlight = new Map<string, number>();
  private totalInFlight = 0;
  private readonly noisy = new Set<string>();
  /** Starts of the recent window, oldest first, and their count per tenant. */
  private readonly recent = new Fifo<{ at: number; tenant: string }>();
  private readonly recentStarts = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly options: SqsFairOptions = SQS_FAIR_DEFAULTS,
  ) {}

  submit(job: SimTenantJob): void {
    const group = this.groups.get(job.tenant) ?? new Fifo<SimTenantJob>();
    group.push(job);
    this.groups.set(job.tenant, group);
  }

  next(): SimTenantJob | undefined {
    this.forgetOldStarts();
    let quietHead: SimTenantJob | undefined;
    let noisyHead: SimTenantJob | undefined;
    for (const [tenant, group] of this.groups) {
      const head = group.peek();
      if (!head) continue;
      if (this.isNoisy(tenant)) {
        if (!noisyHead || this.fewerInFlight(head, noisyHead)) noisyHead = head;
      } else if (!quietHead || head.id < quietHead.id) quietHead = head;
    }
    const job = quietHead ?? noisyHead;
    if (!job) return undefined;
    const group = this.groups.get(job.tenant)!;
    group.shift();
    if (group.size === 0) this.noisy.delete(job.tenant);
    this.inFlight.set(job.tenant, (this.inFlight.get(job.tenant) ?? 0) + 1);
    this.totalInFlight++;
    this.recent.push({ at: this.now(), tenant: job.tenant });
    this.recentStarts.set(job.tenant, (this.recentStarts.get(job.tenant) ?? 0) + 1);
    return job;
  }

  finished(job: SimTenantJob): void {
    this.inFlight.set(job.tenant, this.inFlight.get(job.tenant)! - 1);
    this.totalInFlight--;
  }

  /** Flags the tenant once it crosses a threshold; the flag stays until its backlog is gone. */
  private isNoisy(tenant: string): boolean {
    if (this.noisy.has(tenant)) return true;
    const o = this.options;
    const own = this.inFlight.get(tenant) ?? 0;
    const starts = this.recentStarts.get(tenant) ?? 0;
    const crossed =
      (own >= o.minInFlight && own > o.concurrencyShare * this.totalInFlight) ||
      (starts > 0 && starts > o.processingShare * this.recent.size);
    if (crossed) this.noisy.add(tenant);
    return crossed;
  }

  private fewerInFlight(a: SimTenantJob, b: SimTenantJob): boolean {
    const [inA, inB] = [this.inFlight.get(a.tenant) ?? 0, this.inFlight.get(b.tenant) ?? 0];
    return inA < inB || (inA === inB && a.id < b.id);
  }

  private forgetOldStarts(): void {
    const since = this.now() - this.options.recentMs;
    for (let start = this.recent.peek(); start && start.at < since; start = this.recent.peek()) {
      this.recent.shift();
      this.recentStarts.set(start.tenant, this.recentStarts.get(start.tenant)! - 1);
    }
  }
}

/**
 * (c) Tailguard's windows: each tenant has W = weight × windowPerWeight places in the lane. A job
 * is sent to the lane's FIFO queue only while its tenant has a free place and nothing held before
 * it; otherwise it waits in the tenant's own FIFO backlog. A start gives the place back, and the
 * starting worker releases the tenant's oldest held job into it, which reaches the lane
 * `releaseMs` later (a DynamoDB query, the send and the write); the place stays taken meanwhile,
 * so a tenant never has more than W jobs sent or on their way.
 */
export class WindowDispatch implements TenantDispatch {
  readonly name = 'windows';
  private readonly lane = new Fifo<SimTenantJob>();
  /** Each tenant's held jobs, oldest first; the first `releasing` of them are on their way to the lane. */
  private readonly held = new Map<string, Fifo<SimTenantJob>>();
  private readonly releasing = new Map<string, number>();
  /** Places taken per tenant: jobs in the lane plus releases on their way. */
  private readonly taken = new Map<string, number>();

  constructor(
    private readonly schedule: Schedule,
    private readonly options: { windowPerWeight: number; releaseMs: number; weightOf: (tenant: string) => number },
  ) {}

  submit(job: SimTenantJob): void {
    if (this.heldCount(job.tenant) === 0 && this.placesTaken(job.tenant) < this.window(job.tenant)) {
      this.taken.set(job.tenant, this.placesTaken(job.tenant) + 1);
      this.lane.push(job);
      return;
    }
    const backlog = this.held.get(job.tenant) ?? new Fifo<SimTenantJob>();
    backlog.push(job);
    this.held.set(job.tenant, backlog);
    // Intake's release pass: a place may have freed while releases were on their way.
    this.release(job.tenant);
  }

  next(): SimTenantJob | undefined {
    const job = this.lane.shift();
    if (!job) return undefined;
    this.taken.set(job.tenant, this.placesTaken(job.tenant) - 1);
    this.release(job.tenant);
    return job;
  }

  finished(): void {}

  /** Places a tenant holds now (for the invariant's tests). */
  placesTaken(tenant: string): number {
    return this.taken.get(tenant) ?? 0;
  }

  /** Jobs a tenant has held back now, those on their way to the lane included. */
  heldCount(tenant: string): number {
    return this.held.get(tenant)?.size ?? 0;
  }

  window(tenant: string): number {
    return Math.max(1, Math.round(this.options.weightOf(tenant) * this.options.windowPerWeight));
  }

  /** Sends the tenant's oldest held jobs not yet on their way into its free places. */
  private release(tenant: string): void {
    const releasing = () => this.releasing.get(tenant) ?? 0;
    while (this.placesTaken(tenant) < this.window(tenant) && this.heldCount(tenant) > releasing()) {
      this.taken.set(tenant, this.placesTaken(tenant) + 1);
      this.releasing.set(tenant, releasing() + 1);
      // Releases land in the order they were made (same latency), so each takes the oldest held job.
      this.schedule(this.options.releaseMs, () => {
        this.lane.push(this.held.get(tenant)!.shift()!);
        this.releasing.set(tenant, releasing() - 1);
      });
    }
  }
}
