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

/**
 * (b) A model of Amazon SQS fair queues: a standard queue whose messages carry MessageGroupId =
 * tenant. AWS documents that when one group holds a disproportionate share of the in-flight
 * messages (received, not yet deleted), SQS returns other groups' messages first; the issue quotes
 * the threshold as 10 %. Assumed here, as the best SQS could do: a group is noisy while it holds
 * more than `noisyShare` of the in-flight messages and more than one; a receive returns the oldest
 * message of a group that is not noisy, else the oldest of all (a standard queue is roughly FIFO).
 */
export class SqsFairDispatch implements TenantDispatch {
  readonly name = 'sqs-fair';
  private readonly groups = new Map<string, Fifo<SimTenantJob>>();
  private readonly inFlight = new Map<string, number>();
  private totalInFlight = 0;

  constructor(private readonly noisyShare = 0.1) {}

  submit(job: SimTenantJob): void {
    const group = this.groups.get(job.tenant) ?? new Fifo<SimTenantJob>();
    group.push(job);
    this.groups.set(job.tenant, group);
  }

  next(): SimTenantJob | undefined {
    let quietHead: SimTenantJob | undefined;
    let anyHead: SimTenantJob | undefined;
    for (const [tenant, group] of this.groups) {
      const head = group.peek();
      if (!head) continue;
      if (!anyHead || head.id < anyHead.id) anyHead = head;
      if (!this.isNoisy(tenant) && (!quietHead || head.id < quietHead.id)) quietHead = head;
    }
    const job = quietHead ?? anyHead;
    if (!job) return undefined;
    this.groups.get(job.tenant)!.shift();
    this.inFlight.set(job.tenant, (this.inFlight.get(job.tenant) ?? 0) + 1);
    this.totalInFlight++;
    return job;
  }

  finished(job: SimTenantJob): void {
    this.inFlight.set(job.tenant, this.inFlight.get(job.tenant)! - 1);
    this.totalInFlight--;
  }

  private isNoisy(tenant: string): boolean {
    const own = this.inFlight.get(tenant) ?? 0;
    return own > 1 && own > this.noisyShare * this.totalInFlight;
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
