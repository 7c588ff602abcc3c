import { mayRunBackup } from '../../src/jobs/attempts/index.ts';
import type { JobDispatcher } from '../../src/jobs/dispatch/index.ts';
import type { Job, Lease, ProgressReport } from '../../src/jobs/model/index.ts';
import type { LatencyStatsStore } from '../../src/jobs/speculation/latency-stats.ts';
import { reportProjectedTotalMs } from '../../src/jobs/speculation/progress-estimate.ts';
import { type DetectorDeps, detectionPass } from '../../src/jobs/speculation/straggler-detector.ts';
import type { WorkerReport } from '../../src/jobs/speculation/worker-registry.ts';
import type { JobStore } from '../../src/jobs/store/index.ts';
import { SpeedMeter } from '../../workers/speed-meter.ts';
import { TAIL_LOOP } from '../lib/tail-loop.ts';
import type { WorkerConditions } from './conditions.ts';
import { EventQueue } from './event-queue.ts';
import { Heap } from './heap.ts';
import { emptyMetrics, type RunMetrics } from './metrics.ts';
import type { Policy } from './policies.ts';
import { mulberry32, type Random } from './random.ts';
import { SimLatencyStats } from './stats.ts';
import type { Workload } from './workloads.ts';

/** The loop's timing: detector passes, heartbeats, worker reports, probation polls and the job timeout. */
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

/** bench:tail's loop (see TAIL_LOOP). */
export const DEFAULT_TIMING: SimTiming = {
  detectorIntervalMs: TAIL_LOOP.detectorIntervalMs,
  heartbeatMs: TAIL_LOOP.heartbeatMs,
  reportMs: TAIL_LOOP.reportMs,
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
  /** Its work: the job's size × the attempt's fault (Infinity: a hang). */
  workMs: number;
  /** Run time it needs in all, at its worker's speed over that time (Infinity: a hang). */
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
  /** Of those, the ones whose loop waits for an attempt of theirs to end. */
  private readonly pollWhenFree = new Set<SimWorker>();
  /** Each worker's latest report (see review). */
  private readonly reports = new Map<SimWorker, WorkerReport>();
  /** Workers that were ever on probation. */
  private readonly probationWorkers = new Set<string>();
  private readonly timing: SimTiming;
  private readonly conditions: WorkerConditions;
  private readonly dispatchRandom: Random;
  private readonly faultRandom: Random;
  private readonly overheadRandom: Random;
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
    this.overheadRandom = mulberry32(seed * 7919 + 5);
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
    if (this.reporting)
      for (const worker of this.workers)
        this.clock.after(this.dispatchRandom() * this.timing.reportMs, () => this.review(worker));
    await this.clock.run(() => this.finishedMeasured >= this.options.jobs);
    this.metrics.addedWorkers = this.addedWorkers;
    this.metrics.probationWorkers = this.probationWorkers.size;
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
    return this.conditions.slowdown(worker.index, this.clock.now - EPOCH);
  }

  /** When `workMs` of work started now on the worker is done. */
  private finishAt(worker: SimWorker, workMs: number, from = this.clock.now): number {
    return EPOCH + this.conditions.finishAt(worker.index, from - EPOCH, workMs);
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
    if (this.options.policy.oracle) {
      this.oraclePump();
      return;
    }
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
    return eligible[Math.floor(this.dispatchRandom() * eligible.length)];
  }

  /**
   * The oracle's placement, earliest finish first: it knows every worker's speed to come, every
   * job's size and every running attempt's end. In queue order, a job goes to the free worker
   * that would end it soonest, unless the first healthy slot to free up (after the jobs ahead of
   * it have taken theirs) would end it sooner still; then it waits for that slot, keeping its
   * place, and later jobs may still go to a slowed worker.
   */
  private oraclePump(): void {
    const healthy = (w: SimWorker) => this.slowdown(w) === 1;
    const now = this.clock.now;
    const healthyFreeAt = new Heap<number>((a, b) => a < b);
    for (const worker of this.workers)
      if (healthy(worker)) for (let slot = worker.running; slot < worker.slots; slot++) healthyFreeAt.push(now);
    for (const job of this.running)
      for (const attempt of job.attempts)
        if (!attempt.over && healthy(attempt.worker)) healthyFreeAt.push(attempt.startedAt + attempt.totalMs);
    for (let i = 0; i < this.queue.length; ) {
      const message = this.queue[i]!;
      const size = message.job.size;
      const start = healthyFreeAt.pop() ?? Number.POSITIVE_INFINITY;
      let best: { worker: SimWorker; finish: number } | undefined;
      for (const worker of this.workers) {
        if (!worker.free) continue;
        const finish = this.finishAt(worker, size);
        if (!best || finish < best.finish) best = { worker, finish };
      }
      if (best && best.finish <= start + size) {
        // A free healthy worker took the slot that was free now; a slowed one leaves it for the next job.
        healthyFreeAt.push(healthy(best.worker) ? best.finish : start);
        this.queue.splice(i, 1);
        this.start(message, best.worker);
        continue;
      }
      healthyFreeAt.push(start + size);
      i++;
    }
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
    const workMs = simJob.size * fault;
    const attempt: SimAttempt = {
      claimId,
      worker,
      startedAt: now,
      workMs,
      totalMs: this.finishAt(worker, workMs) - now + (this.options.workload.overhead?.draw(this.overheadRandom) ?? 0),
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

  /** The attempt's progress as its handler last reported it by `at` (the `sleep` handler's steps), or undefined. */
  private progressAt(attempt: SimAttempt, at: number): ProgressReport | undefined {
    if (!this.options.workload.reportsProgress) return undefined;
    const { workMs, startedAt, worker } = attempt;
    if (!Number.isFinite(workMs)) return undefined;
    const steps = Math.max(1, Math.min(20, Math.floor(workMs / 50)));
    const workDone = this.conditions.workDone(worker.index, startedAt - EPOCH, at - EPOCH);
    const done = Math.min(steps, Math.floor((workDone / workMs) * steps));
    if (done === 0) return undefined;
    const stepAt = (step: number) => this.finishAt(worker, (step * workMs) / steps, startedAt);
    const reachedAt = stepAt(done);
    const rate = done > 1 ? 1000 / steps / (reachedAt - stepAt(done - 1)) : undefined;
    return { fraction: done / steps, at: reachedAt, ...(rate === undefined ? {} : { rate }) };
  }

  private endAttempt(simJob: SimJob, attempt: SimAttempt): void {
    attempt.over = true;
    attempt.worker.running--;
    if (this.pollWhenFree.delete(attempt.worker)) this.clock.after(0, () => this.probationPoll(attempt.worker));
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
      const projected = reportProjectedTotalMs(other.startedAt, this.progressAt(other, now), now) ?? ranMs;
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

  /** Whether workers review their probation and report (the worker registry's records; see review). */
  private get reporting(): boolean {
    return this.options.policy.speedMeter !== undefined || this.options.policy.detector !== undefined;
  }

  /**
   * A worker's report loop (workers/create-worker.ts): it decides its probation, then writes its
   * report, which the detector reads until the next one; a worker reports as it starts.
   */
  private async review(worker: SimWorker): Promise<void> {
    if (this.finishedMeasured >= this.options.jobs) return;
    if (worker.meter) {
      const peers = this.workers.flatMap((w) => (w !== worker && w.meter?.speed !== undefined ? [w.meter.speed] : []));
      worker.onProbation = await worker.meter.review(async () => peers);
    }
    if (worker.onProbation) this.probationWorkers.add(worker.id);
    this.reports.set(worker, {
      workerId: worker.id,
      capacity: this.options.workload.capacity,
      ...(worker.meter?.speed === undefined ? {} : { speed: worker.meter.speed }),
      onProbation: worker.onProbation,
      slots: worker.slots,
      running: worker.running,
      startedAt: '',
      lastSeenAt: '',
    });
    this.clock.after(this.timing.reportMs, () => this.review(worker));
    if (worker.onProbation && !this.shortPolling.has(worker)) {
      this.shortPolling.add(worker);
      this.probationPoll(worker);
    }
    this.pump();
  }

  /**
   * On probation a worker short-polls, as its receive loop does (workers/worker.ts): with a slot
   * free it takes as many waiting messages as it has free slots (never a backup), and sleeps
   * `probationPollMs` only when it found none; when full, it polls again as soon as an attempt ends.
   */
  private probationPoll(worker: SimWorker): void {
    if (!worker.onProbation) {
      this.shortPolling.delete(worker);
      return;
    }
    for (
      let i = this.queue.findIndex((m) => !m.backup);
      worker.free && i >= 0;
      i = this.queue.findIndex((m) => !m.backup)
    )
      this.start(this.queue.splice(i, 1)[0]!, worker);
    if (worker.free) this.clock.after(this.timing.probationPollMs, () => this.probationPoll(worker));
    else this.pollWhenFree.add(worker);
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
        lease.heartbeatAt = lastBeat;
        if (progress !== undefined) {
          lease.progress = progress.fraction;
          lease.progressAt = progress.at;
          lease.progressRate = progress.rate;
        }
      }
    await detectionPass(this.detectorDeps(), this.options.workload.capacity, this.options.policy.detector!, now);
  }

  private detectorDeps(): DetectorDeps {
    const store = {
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
                this.pump();
                return this.reporting ? this.review(worker) : undefined;
              });
              return 'added' as const;
            },
          };
    // What the workers last reported, as the registry holds it: up to `reportMs` old.
    const workers = { live: async (): Promise<WorkerReport[]> => [...this.reports.values()] };
    return {
      store: store as unknown as JobStore,
      // Workers report a new attempt within a second (bench:tail's loop: half a second): modelled as at once.
      running: async () => [...this.running].map((j) => j.job),
      turns: undefined as unknown as DetectorDeps['turns'],
      stats: this.stats as unknown as LatencyStatsStore,
      dispatcher: dispatcher as unknown as JobDispatcher,
      ...(capacity ? { capacity } : {}),
      workers,
    };
  }
}
