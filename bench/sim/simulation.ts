import { mayRunBackup } from '../../src/jobs/attempts/index.ts';
import type { JobDispatcher } from '../../src/jobs/dispatch/index.ts';
import type { Job, Lease, ProgressReport } from '../../src/jobs/model/index.ts';
import type { LatencyStatsStore } from '../../src/jobs/speculation/latency-stats.ts';
import { reportProjectedTotalMs } from '../../src/jobs/speculation/progress-estimate.ts';
import { runningReportDelayMs } from '../../src/jobs/speculation/running-jobs.ts';
import { type DetectorDeps, detectionPass } from '../../src/jobs/speculation/straggler-detector.ts';
import type { WorkerReport } from '../../src/jobs/speculation/worker-registry.ts';
import type { JobStore } from '../../src/jobs/store/index.ts';
import { SpeedMeter } from '../../workers/speed-meter.ts';
import { TAIL_LOOP } from '../lib/tail-loop.ts';
import { steady, type WorkerConditions } from './conditions.ts';
import { EventQueue } from './event-queue.ts';
import { emptyMetrics, type RunMetrics } from './metrics.ts';
import type { Policy } from './policies.ts';
import { mulberry32, normal, type Random } from './random.ts';
import { SimLatencyStats } from './stats.ts';
import type { Workload } from './workloads.ts';

/**
 * The loop's timing, as the real code paces it: detector passes, heartbeats, worker reports,
 * backup claims, probation polls and the job timeout.
 */
export interface SimTiming {
  /** The detector's loop sleeps this long between passes (functions/straggler-detector). */
  detectorIntervalMs: number;
  heartbeatMs: number;
  /** Workers review their probation and report this often. */
  reportMs: number;
  /** A new attempt is in its worker's report, the detector's view of what runs, this long after it starts. */
  runningReportMs: number;
  /** From the detector's dispatch to a worker's claim of the backup (SQS send and receive, the job read, the claim write). */
  backupClaimMs: number;
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
  runningReportMs: runningReportDelayMs(TAIL_LOOP.reportMs),
  // Read from the code, not timed: a few DynamoDB and SQS round trips on the local emulator.
  backupClaimMs: 100,
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
  /**
   * The twin: every slowdown, stall and hang removed (same arrivals, sizes and slots), with this
   * many more workers from the start — the ones Tailguard added in the same seed's run.
   */
  twin?: { addedWorkers: number };
  /** Told of each measured job as it ends (bench/tail-breakdown.ts: what the tail is made of). */
  onFinished?: (job: FinishedJob) => void;
}

/** A measured job as it ended: its latency, and what its first attempt met. */
export interface FinishedJob {
  latencyMs: number;
  /** From its arrival to its first attempt's start. */
  waitMs: number;
  /** Its first attempt's run time at normal speed (size and overhead). */
  healthyRunMs: number;
  /** Its first attempt's run time at its worker's speed (Infinity: a hang). */
  firstAttemptMs: number;
  /** How far into its first attempt its worker first ran slowed (0: from the start); undefined: never. */
  slowedAfterMs?: number;
  wonByBackup: boolean;
}

const TYPE = 'sim';
const PRIORITY = 'default' as const;
/** The virtual clock starts at a real-looking epoch so the latency windows behave as in production. */
const EPOCH = Date.UTC(2026, 0, 1);
/** A healthy host's pace probe reading (a SHA-256 of 1 MiB on one core). */
const HOST_PACE_MS = 0.5;

interface SimAttempt {
  claimId: string;
  worker: SimWorker;
  startedAt: number;
  /** Its work: the job's size × the attempt's fault (Infinity: a hang). */
  workMs: number;
  /** Run time it needs in all, at its worker's speed over that time (Infinity: a hang). */
  totalMs: number;
  /** When its worker's report lists it (see SimTiming.runningReportMs). */
  reportedAt: number;
  backup: boolean;
  over: boolean;
}

interface SimJob {
  index: number;
  job: Job;
  size: number;
  /** The first attempt's fault and overhead: drawn with the job, so every policy meets the same stalls. */
  firstFault: number;
  firstOverheadMs: number;
  arrivedAt: number;
  attempts: SimAttempt[];
  done: boolean;
}

interface Message {
  job: SimJob;
  backup: boolean;
  sentAt: number;
}

/** A job as drawn before the run: the same under every policy. */
interface JobDraw {
  size: number;
  fault: number;
  overheadMs: number;
}

export class SimWorker {
  running = 0;
  readonly meter: SpeedMeter | undefined;
  /** When its pending report of new attempts is written, and when it last wrote its periodic one. */
  runningReportAt = Number.NEGATIVE_INFINITY;
  lastReportAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly id: string,
    readonly index: number,
    readonly slots: number,
    clock: () => number,
    stats: SimLatencyStats,
    policy: Policy,
  ) {
    this.meter = policy.speedMeter ? new SpeedMeter(stats, policy.speedMeter, clock) : undefined;
  }

  /** As its speed meter last decided, or as an attempt's pace just told it (SpeedMeter.observe). */
  get onProbation(): boolean {
    return this.meter?.onProbation ?? false;
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
  private readonly probeRandom: Random;
  private claims = 0;
  private finishedMeasured = 0;
  /** When each worker added for a backup was asked for. */
  private readonly addedAt: number[] = [];
  /** Slots probation leaves idle while work waits now, and since when (see accountIdle). */
  private idleSlots = 0;
  private idleSince: number;

  constructor(private readonly options: RunOptions) {
    this.timing = options.timing ?? DEFAULT_TIMING;
    const { workload, seed, twin } = options;
    const horizonMs = ((options.jobs + options.warmUpJobs) / options.ratePerSecond) * 3000;
    this.conditions = twin ? steady(() => 1) : workload.conditions(mulberry32(seed * 7919 + 1), horizonMs);
    this.dispatchRandom = mulberry32(seed * 7919 + 2);
    this.faultRandom = mulberry32(seed * 7919 + 3);
    this.overheadRandom = mulberry32(seed * 7919 + 5);
    this.probeRandom = mulberry32(seed * 7919 + 11);
    this.idleSince = this.clock.now;
    for (let w = 0; w < workload.workers + (twin?.addedWorkers ?? 0); w++) this.addWorker();
  }

  /** The run's jobs: arrival gaps, sizes, first faults and overheads, from the seed alone. */
  private drawJobs(): { gapMs: number; draw: JobDraw }[] {
    const { workload, seed } = this.options;
    const jobRandom = mulberry32(seed * 7919 + 4);
    const firstOverheadRandom = mulberry32(seed * 7919 + 7);
    return Array.from({ length: this.options.jobs + this.options.warmUpJobs }, () => ({
      gapMs: -Math.log(1 - jobRandom()) * (1000 / this.options.ratePerSecond),
      draw: {
        size: workload.jobSize(jobRandom),
        fault: workload.attemptFault(jobRandom),
        overheadMs: workload.overhead?.draw(firstOverheadRandom) ?? 0,
      },
    }));
  }

  /** Runs until every measured job is done; returns what it measured. */
  async run(): Promise<RunMetrics> {
    const { policy } = this.options;
    let arrivedAt = this.clock.now;
    for (const [index, { gapMs, draw }] of this.drawJobs().entries()) {
      arrivedAt += gapMs;
      this.clock.at(arrivedAt, () => this.arrive(index, draw));
      if (index >= this.options.warmUpJobs) this.metrics.healthyRunMs.push(draw.size + draw.overheadMs);
    }
    if (policy.detector) this.clock.after(this.timing.detectorIntervalMs, () => this.detectLoop());
    if (this.reporting)
      for (const worker of this.workers) {
        this.clock.after(this.dispatchRandom() * this.timing.reportMs, () => this.review(worker));
        this.observePaceEachBeat(worker);
      }
    await this.clock.run(() => this.finishedMeasured >= this.options.jobs);
    this.accountIdle();
    const end = this.clock.now;
    this.metrics.addedWorkers = this.addedAt.length;
    this.metrics.addedWorkerSlotMs = this.addedAt.reduce(
      (sum, at) => sum + (end - at) * this.options.workload.slots,
      0,
    );
    this.metrics.probationWorkers = this.probationWorkers.size;
    return this.metrics;
  }

  /**
   * A pass each `detectorIntervalMs`: the class's turn is free as soon as a pass ends (its reads
   * are strongly consistent), so a detector loop passes at its own interval; where two loops
   * overlap (one each minute) a pass is at most that far behind, never later.
   */
  private async detectLoop(): Promise<void> {
    await this.detect();
    if (this.finishedMeasured < this.options.jobs)
      this.clock.after(this.timing.detectorIntervalMs, () => this.detectLoop());
  }

  /**
   * Adds up the slots that probation left idle while work waited since the last call, then takes
   * the count now; called after each change of the queue, of running attempts or of probation.
   */
  private accountIdle(): void {
    const now = this.clock.now;
    this.metrics.probationIdleSlotMs += (now - this.idleSince) * this.idleSlots;
    this.idleSince = now;
    const { slots } = this.options.workload;
    this.idleSlots = this.queue.some((m) => !m.backup)
      ? this.workers.reduce((idle, w) => idle + (w.onProbation ? Math.max(0, slots - w.running) : 0), 0)
      : 0;
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

  private arrive(index: number, draw: JobDraw): void {
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
    const simJob: SimJob = {
      index,
      job,
      size: draw.size,
      firstFault: this.options.twin ? 1 : draw.fault,
      firstOverheadMs: draw.overheadMs,
      arrivedAt: this.clock.now,
      attempts: [],
      done: false,
    };
    this.byId.set(id, simJob);
    this.queue.push({ job: simJob, backup: false, sentAt: this.clock.now });
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
    this.accountIdle();
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
    const { workload, twin } = this.options;
    const fault = first ? simJob.firstFault : twin ? 1 : workload.attemptFault(this.faultRandom);
    const overheadMs = first ? simJob.firstOverheadMs : (workload.overhead?.draw(this.overheadRandom) ?? 0);
    const workMs = simJob.size * fault;
    this.reportRunningSoon(worker);
    const attempt: SimAttempt = {
      claimId,
      worker,
      startedAt: now,
      workMs,
      totalMs: this.finishAt(worker, workMs) - now + overheadMs,
      reportedAt: worker.runningReportAt,
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
    this.clock.after(this.timing.backupClaimMs, () => {
      this.queue.push({ job: simJob, backup: true, sentAt: this.clock.now });
      this.pump();
    });
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

  /** The attempt is over for its job now; its worker's slot is free now, or at `freeAt` (a loser's next heartbeat). */
  private endAttempt(simJob: SimJob, attempt: SimAttempt, freeAt = this.clock.now): void {
    attempt.over = true;
    const leases = { ...simJob.job.leases };
    delete leases[attempt.claimId];
    simJob.job.leases = leases;
    if (freeAt <= this.clock.now) this.freeSlot(attempt.worker);
    else
      this.clock.at(freeAt, () => {
        this.freeSlot(attempt.worker);
        this.pump();
      });
  }

  /** As WorkerReports.reportRunningSoon: one write soon lists every change of its attempts meanwhile. */
  private reportRunningSoon(worker: SimWorker): void {
    const now = this.clock.now;
    if (worker.runningReportAt >= now) return;
    worker.runningReportAt = now + this.timing.runningReportMs;
    if (this.reporting) this.clock.at(worker.runningReportAt, () => this.writeReport(worker));
  }

  private freeSlot(worker: SimWorker): void {
    worker.running--;
    if (this.pollWhenFree.delete(worker)) this.clock.after(0, () => this.probationPoll(worker));
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
    const { heartbeatMs } = this.timing;
    for (const other of simJob.attempts) {
      if (other.over) continue;
      // A loser learns at its next heartbeat that the job moved on (job-runner.ts), and stops then.
      const stopAt = other.startedAt + (Math.floor((now - other.startedAt) / heartbeatMs) + 1) * heartbeatMs;
      const ranMs = stopAt - other.startedAt;
      this.metrics.loserSlotMs += ranMs;
      this.endAttempt(simJob, other, stopAt);
      // A superseded attempt measures its worker by the run time its progress pointed to.
      const meter = other.worker.meter;
      if (meter)
        this.clock.at(stopAt, () =>
          meter.record(
            TYPE,
            simJob.job.capacity,
            reportProjectedTotalMs(other.startedAt, this.progressAt(other, stopAt), stopAt) ?? ranMs,
          ),
        );
    }
    if (simJob.index >= this.options.warmUpJobs) {
      this.metrics.latenciesMs.push(now - simJob.arrivedAt);
      this.finishedMeasured++;
      this.options.onFinished?.(this.finished(simJob, attempt));
    }
    this.pump();
    return measuring.length > 0 ? Promise.all(measuring) : undefined;
  }

  private finished(simJob: SimJob, winner: SimAttempt): FinishedJob {
    const first = simJob.attempts[0]!;
    const from = first.startedAt - EPOCH;
    const slowedAt = this.conditions.slowFrom(first.worker.index, from, from + first.totalMs);
    return {
      latencyMs: this.clock.now - simJob.arrivedAt,
      waitMs: first.startedAt - simJob.arrivedAt,
      healthyRunMs: simJob.size + simJob.firstOverheadMs,
      firstAttemptMs: first.totalMs,
      ...(slowedAt === undefined ? {} : { slowedAfterMs: slowedAt - from }),
      wonByBackup: winner.backup,
    };
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
      this.queue.push({ job: simJob, backup: false, sentAt: this.clock.now });
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
    worker.lastReportAt = this.clock.now;
    if (worker.meter) await worker.meter.review(async () => this.peersOf(worker), this.options.workload.slots);
    this.writeReport(worker);
    this.clock.after(this.timing.reportMs, () => this.review(worker));
    this.probationReviewed(worker);
  }

  private writeReport(worker: SimWorker): void {
    const { meter } = worker;
    this.reports.set(worker, {
      workerId: worker.id,
      capacity: this.options.workload.capacity,
      ...(meter?.speed === undefined ? {} : { speed: meter.speed }),
      ...(meter?.hostPaceMs === undefined ? {} : { hostPaceMs: meter.hostPaceMs }),
      onProbation: worker.onProbation,
      slots: worker.slots,
      running: worker.running,
      startedAt: '',
      lastSeenAt: '',
    });
  }

  /**
   * A host pace probe's reading (workers/pace-probe.ts): half a millisecond on a healthy host,
   * times the worker's slowdown now where the workload's slowdowns are the host's, with the
   * reading-to-reading noise of a real one (σ 10 %).
   */
  private hostPaceMs(worker: SimWorker): number {
    const slowdown = this.options.workload.hostSlowdowns ? this.slowdown(worker) : 1;
    return HOST_PACE_MS * slowdown * Math.exp(0.1 * normal(this.probeRandom));
  }

  /** What the registry holds of the other workers: their latest reports. */
  private peersOf(worker: SimWorker): WorkerReport[] {
    return [...this.reports.values()].filter((report) => report.workerId !== worker.id);
  }

  /**
   * Each heartbeat interval a worker probes its host's pace (WorkerReports.probeHostPace), and it
   * reads its attempts' pace as their handlers report progress (SpeedMeter.observe, called
   * from RunningAttempt.reportProgress); here once a heartbeat interval, from each attempt's latest
   * report: at most an interval later than the worker would.
   */
  private async observePaceEachBeat(worker: SimWorker): Promise<void> {
    const { meter } = worker;
    if (!meter || this.finishedMeasured >= this.options.jobs) return;
    const { capacity, slots } = this.options.workload;
    const wasOnProbation = worker.onProbation;
    await meter.observeHostPace(this.hostPaceMs(worker), async () => this.peersOf(worker));
    // As WorkerReports.probeHostPace: a probation the probe changed is reported at once.
    if (worker.onProbation !== wasOnProbation) this.writeReport(worker);
    const observed = [...this.running].flatMap((simJob) =>
      simJob.attempts.flatMap((attempt) =>
        !attempt.over && attempt.worker === worker
          ? [{ type: TYPE, capacity, startedAt: attempt.startedAt, report: this.progressAt(attempt, this.clock.now) }]
          : [],
      ),
    );
    for (const attempt of observed)
      await meter.observe(
        attempt,
        async () => this.peersOf(worker),
        slots,
        observed.filter((other) => other !== attempt),
      );
    this.probationReviewed(worker);
    this.clock.after(this.timing.heartbeatMs, () => this.observePaceEachBeat(worker));
  }

  /** After its probation may have changed: a worker on probation short-polls; one off it takes work again. */
  private probationReviewed(worker: SimWorker): void {
    if (worker.onProbation) this.probationWorkers.add(worker.id);
    if (worker.onProbation && !this.shortPolling.has(worker)) {
      this.shortPolling.add(worker);
      this.probationPoll(worker);
    }
    this.pump();
  }

  /**
   * On probation a worker short-polls, as its receive loop does (workers/worker.ts): with a slot
   * free it takes as many messages that waited a poll interval as it has free slots (never a
   * backup), and sleeps `probationPollMs` only when it found none; when full, it polls again as
   * soon as an attempt ends.
   */
  private probationPoll(worker: SimWorker): void {
    if (!worker.onProbation) {
      this.shortPolling.delete(worker);
      return;
    }
    const waitedSince = this.clock.now - this.timing.probationPollMs;
    const waited = (m: Message) => !m.backup && m.sentAt <= waitedSince;
    for (let i = this.queue.findIndex(waited); worker.free && i >= 0; i = this.queue.findIndex(waited))
      this.start(this.queue.splice(i, 1)[0]!, worker);
    this.accountIdle();
    if (worker.free) this.clock.after(this.timing.probationPollMs, () => this.probationPoll(worker));
    else this.pollWhenFree.add(worker);
  }

  /** Whether the attempt's worker has reported it by now. */
  private reported(attempt: SimAttempt): boolean {
    const now = this.clock.now;
    return attempt.reportedAt <= now || attempt.worker.lastReportAt >= attempt.startedAt;
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
              if (this.addedAt.length >= (workload.maxAddedWorkers ?? 0)) return 'at-maximum' as const;
              this.addedAt.push(this.clock.now);
              this.clock.after(workload.coldStartMs!, () => {
                const worker = this.addWorker();
                this.pump();
                if (!this.reporting) return undefined;
                this.observePaceEachBeat(worker);
                return this.review(worker);
              });
              return 'added' as const;
            },
          };
    // What the workers last reported, as the registry holds it: up to `reportMs` old.
    const workers = { live: async (): Promise<WorkerReport[]> => [...this.reports.values()] };
    return {
      store: store as unknown as JobStore,
      // What the workers' reports list: an attempt from its worker's first report after it started.
      running: async () =>
        [...this.running].flatMap((j) => (j.attempts.some((a) => !a.over && this.reported(a)) ? [j.job] : [])),
      turns: undefined as unknown as DetectorDeps['turns'],
      stats: this.stats as unknown as LatencyStatsStore,
      dispatcher: dispatcher as unknown as JobDispatcher,
      ...(capacity ? { capacity } : {}),
      workers,
    };
  }
}
