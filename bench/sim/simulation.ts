import { mayRunBackup } from '../../src/jobs/attempts/index.ts';
import type { JobDispatcher } from '../../src/jobs/dispatch/index.ts';
import type { Job, Lease } from '../../src/jobs/model/index.ts';
import type { LatencyStatsStore } from '../../src/jobs/speculation/latency-stats.ts';
import { projectedTotalMs } from '../../src/jobs/speculation/progress-estimate.ts';
import { type DetectorDeps, detectionPass } from '../../src/jobs/speculation/straggler-detector.ts';
import type { WorkerReport } from '../../src/jobs/speculation/worker-registry.ts';
import { type JobStore, statusKey } from '../../src/jobs/store/index.ts';
import { SpeedMeter } from '../../workers/speed-meter.ts';
import { EventQueue } from './event-queue.ts';
import { emptyMetrics, type RunMetrics } from './metrics.ts';
import type { Policy } from './policies.ts';
import { mulberry32, type Random } from './random.ts';
import { SimLatencyStats } from './stats.ts';
import type { WorkerConditions, Workload } from './workloads.ts';

/** The loop's timing: bench:tail's (detector passes and heartbeats every 0.25 s), the workers' report interval. */
export interface SimTiming {
  detectorIntervalMs: number;
  heartbeatMs: number;
  /** Workers review their probation and report this often. */
  reportMs: number;
  /** On probation a worker short-polls for work that waited this often. */
  probationPollMs: number;
  /** An attempt running this long is aborted and the job retried (the job's `timeoutSeconds`). */
  timeoutMs: number;
}

export const DEFAULT_TIMING: SimTiming = {
  detectorIntervalMs: 250,
  heartbeatMs: 250,
  reportMs: 10_000,
  probationPollMs: 1000,
  timeoutMs: 120_000,
};

export interface RunOptions {
  workload: Workload;
  policy: Policy;
  /** Jobs a second (Poisson arrivals). */
  ratePerSecond: number;
  /** Measured jobs, after `warmUpJobs` unmeasured ones (the statistics and meters learn on those). */
  jobs: number;
  warmUpJobs: number;
  seed: number;
  timing?: SimTiming;
}

const TYPE = 'sim';
const PRIORITY = 'default' as const;
/** The virtual clock starts at a real-looking epoch so the latency windows behave as in production. */
const EPOCH = Date.UTC(2026, 0, 1);

interface SimAttempt {
  claimId: string;
  worker: SimWorker;
  startedAt: number;
  /** Run time it needs in all (Infinity: a hang). */
  totalMs: number;
  backup: boolean;
  over: boolean;
}

interface SimJob {
  index: number;
  job: Job;
  size: number;
  /** The first attempt's fault: drawn with the job, so every policy meets the same stalls. */
  firstFault: number;
  arrivedAt: number;
  attempts: SimAttempt[];
  done: boolean;
}

interface Message {
  job: SimJob;
  backup: boolean;
}

export class SimWorker {
  running = 0;
  readonly meter: SpeedMeter | undefined;
  onProbation = false;

  constructor(
    readonly id: string,
    readonly index: number,
    private readonly baseSlots: number,
    clock: () => number,
    stats: SimLatencyStats,
    policy: Policy,
  ) {
    this.meter = policy.speedMeter ? new SpeedMeter(stats, policy.speedMeter, clock) : undefined;
  }

  get slots(): number {
    return this.onProbation ? 1 : this.baseSlots;
  }

  get free(): boolean {
    return this.running < this.slots;
  }
}

/**
 * One run: open arrivals of one workload on a simulated fleet under one policy, on a virtual
 * clock. Tailguard's mechanisms are its own code: the straggler detector's pass (detectionPass,
 * with the job store, dispatcher and worker registry in memory), the workers' SpeedMeter and
 * probation, the backup claim rule (mayRunBackup) and the latency statistics' percentiles.
 */
export class Simulation {
  readonly clock = new EventQueue(EPOCH);
  readonly metrics: RunMetrics = emptyMetrics();
  readonly workers: SimWorker[] = [];
  private readonly stats = new SimLatencyStats(() => this.clock.now);
  private readonly queue: Message[] = [];
  private readonly running = new Set<SimJob>();
  private readonly byId = new Map<string, SimJob>();
  /** Workers on probation whose short-poll loop is running. */
  private readonly shortPolling = new Set<SimWorker>();
  private readonly timing: SimTiming;
  private readonly conditions: WorkerConditions;
  private readonly dispatchRandom: Random;
  private readonly faultRandom: Random;
  private claims = 0;
  private finishedMeasured = 0;
  private addedWorkers = 0;

  constructor(private readonly options: RunOptions) {
    this.timing = options.timing ?? DEFAULT_TIMING;
    const { workload, seed } = options;
    const horizonMs = ((options.jobs + options.warmUpJobs) / options.ratePerSecond) * 3000;
    this.conditions = workload.conditions(mulberry32(seed * 7919 + 1), horizonMs);
    this.dispatchRandom = mulberry32(seed * 7919 + 2);
    this.faultRandom = mulberry32(seed * 7919 + 3);
    for (let w = 0; w < workload.workers; w++) this.addWorker();
  }

  /** Runs until every measured job is done; returns what it measured. */
  async run(): Promise<RunMetrics> {
    const { workload, policy, seed } = this.options;
    const jobRandom = mulberry32(seed * 7919 + 4);
    const total = this.options.jobs + this.options.warmUpJobs;
    let arrivedAt = this.clock.now;
    for (let index = 0; index < total; index++) {
      arrivedAt += -Math.log(1 - jobRandom()) * (1000 / this.options.ratePerSecond);
      const size = workload.jobSize(jobRandom);
      const firstFault = workload.attemptFault(jobRandom);
      const at = arrivedAt;
      this.clock.at(at, () => this.arrive(index, size, firstFault));
    }
    if (policy.detector) this.every(this.timing.detectorIntervalMs, () => this.detect());
    if (policy.speedMeter)
      for (const worker of this.workers)
        this.clock.after(this.dispatchRandom() * this.timing.reportMs, () => this.review(worker));
    await this.clock.run(() => this.finishedMeasured >= this.options.jobs);
    this.metrics.addedWorkers = this.addedWorkers;
    return this.metrics;
  }

  private every(intervalMs: number, run: () => unknown): void {
    const tick = async () => {
      await run();
      if (this.finishedMeasured < this.options.jobs) this.clock.after(intervalMs, tick);
    };
    this.clock.after(intervalMs, tick);
  }

  private addWorker(): SimWorker {
    const index = this.workers.length;
    const worker = new SimWorker(
      `w${index}`,
      index,
      this.options.workload.slots,
      () => this.clock.now,
      this.stats,
      this.options.policy,
    );
    this.workers.push(worker);
    return worker;
  }

  private slowdown(worker: SimWorker): number {
    return this.conditions(worker.index, this.clock.now - EPOCH);
  }

  private arrive(index: number, size: number, firstFault: number): void {
    const id = `job-${index}`;
    const now = new Date(this.clock.now).toISOString();
    const job: Job = {
      id,
      type: TYPE,
      priority: PRIORITY,
      capacity: this.options.workload.capacity,
      status: 'QUEUED',
      version: 1,
      attempts: 0,
      maxAttempts: 1000,
      backoff: { type: 'fixed', delaySeconds: 0 } as unknown as Job['backoff'],
      timeoutSeconds: this.timing.timeoutMs / 1000,
      createdAt: now,
      updatedAt: now,
      attemptLog: [],
    };
    const simJob: SimJob = { index, job, size, firstFault, arrivedAt: this.clock.now, attempts: [], done: false };
    this.byId.set(id, simJob);
    this.queue.push({ job: simJob, backup: false });
    this.pump();
  }

  /** Hands waiting messages to workers polling with free slots, in queue order (SQS-like: a random free worker). */
  private pump(): void {
    for (let i = 0; i < this.queue.length; ) {
      const message = this.queue[i]!;
      if (message.backup && !this.backupWanted(message.job)) {
        this.queue.splice(i, 1);
        continue;
      }
      const worker = this.pickWorker(message);
      if (worker === 'wait') return;
      if (worker === undefined) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.start(message, worker);
    }
  }

  /** A worker for the message now, undefined to try the next message, 'wait' when no worker polls. */
  private pickWorker(message: Message): SimWorker | undefined | 'wait' {
    const polling = this.workers.filter((w) => w.free && !w.onProbation);
    if (polling.length === 0) return 'wait';
    const avoid = message.job.job.speculation?.avoidWorker;
    const eligible = message.backup
      ? polling.filter((w) =>
          mayRunBackup({ avoidWorker: avoid ?? '' }, { workerId: w.id, onProbation: w.onProbation }),
        )
      : polling;
    if (eligible.length === 0) return undefined;
    if (this.options.policy.oracle) return this.oraclePick(message, eligible);
    return eligible[Math.floor(this.dispatchRandom() * eligible.length)];
  }

  /**
   * The oracle puts a job on a healthy free worker; on a slowed one only when that ends it sooner
   * than waiting for the first healthy slot to free up (it knows every running attempt's end).
   */
  private oraclePick(message: Message, eligible: SimWorker[]): SimWorker | 'wait' {
    const healthy = eligible.filter((w) => this.slowdown(w) === 1);
    if (healthy.length > 0) return healthy[Math.floor(this.dispatchRandom() * healthy.length)]!;
    const now = this.clock.now;
    let healthyFreeAt = Number.POSITIVE_INFINITY;
    for (const job of this.running)
      for (const attempt of job.attempts)
        if (!attempt.over && this.slowdown(attempt.worker) === 1)
          healthyFreeAt = Math.min(healthyFreeAt, attempt.startedAt + attempt.totalMs);
    const fastest = eligible.reduce((best, w) => (this.slowdown(w) < this.slowdown(best) ? w : best));
    const size = message.job.size;
    return now + size * this.slowdown(fastest) < healthyFreeAt + size ? fastest : 'wait';
  }

  private backupWanted(simJob: SimJob): boolean {
    const speculation = simJob.job.speculation;
    if (simJob.done || !speculation || speculation.claimedBy) return false;
    return simJob.attempts.some((a) => !a.over && a.claimId === speculation.against);
  }

  private start(message: Message, worker: SimWorker): void {
    const simJob = message.job;
    const { job } = simJob;
    const now = this.clock.now;
    const claimId = `c${this.claims++}`;
    const first = simJob.attempts.length === 0;
    const fault = this.options.policy.oracle
      ? 1
      : first
        ? simJob.firstFault
        : this.options.workload.attemptFault(this.faultRandom);
    const attempt: SimAttempt = {
      claimId,
      worker,
      startedAt: now,
      totalMs: simJob.size * this.slowdown(worker) * fault,
      backup: message.backup,
      over: false,
    };
    simJob.attempts.push(attempt);
    worker.running++;
    if (this.slowdown(worker) > 1) this.metrics.slowedStarts++;
    const lease: Lease = {
      workerId: worker.id,
      attempt: message.backup ? job.attempts : job.attempts + 1,
      startedAt: now,
      expiresAt: Number.MAX_SAFE_INTEGER,
      ...(worker.meter?.speed === undefined ? {} : { speed: worker.meter.speed }),
      ...(message.backup ? { speculative: true } : {}),
    };
    if (message.backup) {
      job.speculation = { ...job.speculation!, claimedBy: claimId };
      job.leases = { ...job.leases, [claimId]: lease };
    } else {
      job.attempts++;
      job.leases = { [claimId]: lease };
      job.speculation = undefined;
    }
    job.status = 'RUNNING';
    this.running.add(simJob);
    if (attempt.totalMs < this.timing.timeoutMs) this.clock.after(attempt.totalMs, () => this.succeed(simJob, attempt));
    else this.clock.after(this.timing.timeoutMs, () => this.timeOut(simJob, attempt));
    const hedge = this.options.policy.hedge;
    if (hedge && !message.backup) {
      const threshold = this.stats.exactQuantile(this.typeKey(), hedge.quantile, 20);
      if (threshold !== undefined) this.clock.after(hedge.factor * threshold, () => this.hedge(simJob, attempt));
    }
  }

  private typeKey(): string {
    return `${TYPE}#${this.options.workload.capacity}`;
  }

  private hedge(simJob: SimJob, attempt: SimAttempt): void {
    if (attempt.over || simJob.job.speculation) return;
    simJob.job.speculation = { requestedAt: this.clock.now, against: attempt.claimId, avoidWorker: attempt.worker.id };
    this.requestBackup(simJob);
  }

  private requestBackup(simJob: SimJob): void {
    this.metrics.backups++;
    this.queue.push({ job: simJob, backup: true });
    this.pump();
  }

  /** The attempt's progress as its handler last reported it (the `sleep` handler's steps), or undefined. */
  private progressAt(attempt: SimAttempt, at: number): number | undefined {
    if (!this.options.workload.reportsProgress) return undefined;
    if (!Number.isFinite(attempt.totalMs)) return undefined;
    const steps = Math.max(1, Math.min(20, Math.floor(attempt.totalMs / 50)));
    const done = Math.floor(((at - attempt.startedAt) / attempt.totalMs) * steps);
    return done > 0 ? Math.min(1, done / steps) : undefined;
  }

  private endAttempt(simJob: SimJob, attempt: SimAttempt): void {
    attempt.over = true;
    attempt.worker.running--;
    const leases = { ...simJob.job.leases };
    delete leases[attempt.claimId];
    simJob.job.leases = leases;
  }

  private succeed(simJob: SimJob, attempt: SimAttempt): Promise<unknown> | undefined {
    if (attempt.over || simJob.done) return undefined;
    const now = this.clock.now;
    const runMs = now - attempt.startedAt;
    this.endAttempt(simJob, attempt);
    simJob.done = true;
    simJob.job.status = 'SUCCEEDED';
    this.running.delete(simJob);
    this.metrics.winnerSlotMs += runMs;
    if (attempt.backup) this.metrics.backupWins++;
    this.stats.record(this.typeKey(), runMs);
    const measuring: Promise<void>[] = [];
    if (attempt.worker.meter) measuring.push(attempt.worker.meter.record(TYPE, simJob.job.capacity, runMs));
    for (const other of simJob.attempts) {
      if (other.over) continue;
      const ranMs = now - other.startedAt;
      this.metrics.loserSlotMs += ranMs;
      this.endAttempt(simJob, other);
      // A superseded attempt measures its worker by the run time its progress pointed to.
      const projected = projectedTotalMs(ranMs, this.progressAt(other, now)) ?? ranMs;
      if (other.worker.meter) measuring.push(other.worker.meter.record(TYPE, simJob.job.capacity, projected));
    }
    if (simJob.index >= this.options.warmUpJobs) {
      this.metrics.latenciesMs.push(now - simJob.arrivedAt);
      this.finishedMeasured++;
    }
    this.pump();
    return measuring.length > 0 ? Promise.all(measuring) : undefined;
  }

  /** The job's timeout aborts the attempt; with no other attempt running, the job is retried. */
  private timeOut(simJob: SimJob, attempt: SimAttempt): void {
    if (attempt.over || simJob.done) return;
    this.metrics.loserSlotMs += this.clock.now - attempt.startedAt;
    this.endAttempt(simJob, attempt);
    if (!simJob.attempts.some((a) => !a.over)) {
      simJob.job.status = 'QUEUED';
      simJob.job.speculation = undefined;
      this.running.delete(simJob);
      this.queue.push({ job: simJob, backup: false });
    }
    this.pump();
  }

  private async review(worker: SimWorker): Promise<void> {
    if (!worker.meter || this.finishedMeasured >= this.options.jobs) return;
    const peers = this.workers.flatMap((w) => (w !== worker && w.meter?.speed !== undefined ? [w.meter.speed] : []));
    worker.onProbation = await worker.meter.review(async () => peers);
    this.clock.after(this.timing.reportMs, () => this.review(worker));
    if (worker.onProbation && !this.shortPolling.has(worker)) {
      this.shortPolling.add(worker);
      this.clock.after(this.timing.probationPollMs, () => this.probationPoll(worker));
    }
    this.pump();
  }

  /** On probation a worker short-polls: it takes one message that waited (never a backup), one at a time. */
  private probationPoll(worker: SimWorker): void {
    if (!worker.onProbation) {
      this.shortPolling.delete(worker);
      return;
    }
    if (worker.free) {
      const i = this.queue.findIndex((m) => !m.backup);
      if (i >= 0) this.start(this.queue.splice(i, 1)[0]!, worker);
    }
    this.clock.after(this.timing.probationPollMs, () => this.probationPoll(worker));
  }

  /** One pass of the real straggler detector over the class, with the store, queues and registry in memory. */
  private async detect(): Promise<void> {
    const now = this.clock.now;
    const heartbeat = this.timing.heartbeatMs;
    for (const simJob of this.running)
      for (const attempt of simJob.attempts) {
        if (attempt.over) continue;
        const lease = simJob.job.leases?.[attempt.claimId];
        if (!lease) continue;
        const lastBeat = attempt.startedAt + Math.floor((now - attempt.startedAt) / heartbeat) * heartbeat;
        const progress = this.progressAt(attempt, lastBeat);
        if (progress !== undefined) lease.progress = progress;
      }
    await detectionPass(this.detectorDeps(), this.options.workload.capacity, this.options.policy.detector!, now);
  }

  private detectorDeps(): DetectorDeps {
    const running = statusKey({ status: 'RUNNING', capacity: this.options.workload.capacity, priority: PRIORITY });
    const store = {
      allByStatus: async (key: string) => (key === running ? [...this.running].map((j) => j.job) : []),
      requestSpeculation: async (job: Job, speculation: NonNullable<Job['speculation']>, staleBefore: number) => {
        const current = job.speculation;
        const allowed =
          job.status === 'RUNNING' &&
          job.leases?.[speculation.against] !== undefined &&
          (!current || (current.requestedAt < staleBefore && !current.claimedBy));
        if (allowed) job.speculation = speculation;
        return allowed;
      },
      markCapacityRequested: async (job: Job, now: number) => {
        const allowed =
          job.status === 'RUNNING' &&
          !!job.speculation &&
          !job.speculation.claimedBy &&
          !job.speculation.capacityRequestedAt;
        if (allowed) job.speculation = { ...job.speculation!, capacityRequestedAt: now };
        return allowed;
      },
    };
    const dispatcher = {
      dispatchBackup: async (job: Pick<Job, 'id'>) => this.requestBackup(this.byId.get(job.id)!),
      dispatch: async () => undefined,
    };
    const { workload } = this.options;
    const capacity =
      workload.coldStartMs === undefined
        ? undefined
        : {
            addWorker: async () => {
              if (this.addedWorkers >= (workload.maxAddedWorkers ?? 0)) return 'at-maximum' as const;
              this.addedWorkers++;
              this.clock.after(workload.coldStartMs!, () => {
                const worker = this.addWorker();
                if (this.options.policy.speedMeter) this.clock.after(this.timing.reportMs, () => this.review(worker));
                this.pump();
              });
              return 'added' as const;
            },
          };
    const workers = {
      live: async (): Promise<WorkerReport[]> =>
        this.workers.map((w) => ({
          workerId: w.id,
          capacity: workload.capacity,
          ...(w.meter?.speed === undefined ? {} : { speed: w.meter.speed }),
          onProbation: w.onProbation,
          slots: w.slots,
          running: w.running,
          startedAt: '',
          lastSeenAt: '',
        })),
    };
    return {
      store: store as unknown as JobStore,
      turns: undefined as unknown as DetectorDeps['turns'],
      stats: this.stats as unknown as LatencyStatsStore,
      dispatcher: dispatcher as unknown as JobDispatcher,
      ...(capacity ? { capacity } : {}),
      workers,
    };
  }
}
