import type { ProgressReport } from '../src/jobs/model/index.ts';
import {
  classHostPaceMs,
  classSpeed,
  DEFAULT_PROBATION_SPEED,
  jobsAlike,
  type LatencyStatsStore,
  MIN_WORKERS_TO_COMPARE,
  median,
  type PeerReport,
  probationAffordable,
  type RunTimes,
  reportProjectedTotalMs,
  typeKey,
} from '../src/jobs/speculation/index.ts';

export interface SpeedMeterOptions {
  /** Recent attempts the speed is the median of. @default 20 */
  window: number;
  /** Attempts measured before the speed is reported at all. @default 5 */
  minSamples: number;
  /** Below this speed, relative to its class's workers, the worker is on probation (0 turns probation off). @default 0.5 */
  probationSpeed: number;
  /** Attempts of a type on the class before its median counts as the normal. @default 20 */
  minNormalSamples: number;
  /** How long a type's class median is reused before it is read again. @default 30000 */
  normalTtlMs: number;
  /**
   * Types whose normal run time is below this are not measured: a few milliseconds of run time
   * are mostly the worker's own overhead and timer noise, not its speed. @default 100
   */
  minNormalMs: number;
  /**
   * On probation, this many attempts in a row nearer normal speed than the probation line end the slow spell: the
   * slow samples before them are forgotten, so a worker that was slow for a while (a noisy
   * neighbour, a throttled burst) comes back at once instead of after a window of fast attempts
   * run one at a time. Two: at high load the fleet needs a recovered host's slots back soon (tail
   * suite, `transient-30s`@0.85), and a host still 2× slow runs two such attempts in a row about
   * once in a hundred pairs (log-normal sizes, σ 0.3). @default 2
   */
  recoverAfter: number;
  /**
   * An attempt of alike jobs whose reported pace projects it below this speed against its type's
   * median shows a slow spell as it happens: the worker is on probation at once (see observe); 0
   * turns this off (as does a `probationSpeed` of 0). Far below the probation line, so only a host slowed several times over trips
   * it, never a healthy one's big job (log-normal sizes, σ 0.3: 1 in 5,000 runs 2.9× the median).
   * @default 0.35
   */
  slowNowSpeed: number;
  /** How long one such report keeps the worker on probation; each further one renews it. @default 2000 */
  slowNowHoldMs: number;
}

const UNKNOWN_NORMAL_TTL_MS = 2000;

export const DEFAULT_SPEED_METER_OPTIONS: SpeedMeterOptions = {
  window: 20,
  minSamples: 5,
  probationSpeed: DEFAULT_PROBATION_SPEED,
  minNormalSamples: 20,
  normalTtlMs: 30_000,
  minNormalMs: 100,
  recoverAfter: 2,
  slowNowSpeed: 0.35,
  slowNowHoldMs: 2000,
};

/** Progress an attempt must have reported before its pace is read: a first step is mostly start-up. */
const MIN_OBSERVED_PROGRESS = 0.1;
/** A type is read for slow spells only if its p90 is within this × its median (see jobsAlike): else a slow pace may be a big job. */
const SLOW_NOW_ALIKE_FACTOR = 2;

/** A running attempt as its worker sees it: its job's type and class, its start, its handler's latest report. */
export interface ObservedAttempt {
  type: string;
  capacity: string;
  startedAt: number;
  report: ProgressReport | undefined;
}

/**
 * How fast this worker runs jobs compared with the rest of its capacity class. Each measured
 * attempt gives one sample, the class's median run time for the job's type divided by the
 * attempt's run time, and the speed is the median of the recent samples: 1 is normal, 0.2 five
 * times slower (a noisy neighbour, a throttled CPU, a cold GPU). The speed goes on every lease the
 * worker takes, so the straggler detector knows what a backup elsewhere would gain; below
 * `probationSpeed` the worker is on probation and takes less work (see Worker).
 */
export class SpeedMeter {
  private readonly samples: number[] = [];
  private readonly normals = new Map<string, { runTimes?: RunTimes; readAt: number }>();
  private probation = false;
  /** Until when an attempt's pace keeps the worker on probation (see observe). */
  private slowUntil = Number.NEGATIVE_INFINITY;
  /** The other workers' reports as last read for a slow pace, and when (see observe). */
  private peersRead: { reports: PeerReport[]; at: number } | undefined;
  /** The host pace probe's two latest readings, newest last (see observeHostPace). */
  private hostReadings: number[] = [];
  /** Whether those readings put the worker on probation. */
  private hostSlow = false;
  /** Attempts in a row nearer normal speed than the probation line, while on probation. */
  private fastInARow = 0;

  constructor(
    private readonly stats: Pick<LatencyStatsStore, 'runTimes'>,
    private readonly options: SpeedMeterOptions = DEFAULT_SPEED_METER_OPTIONS,
    /** Epoch ms now; a simulation passes its virtual clock (bench/sim). */
    private readonly now: () => number = Date.now,
  ) {}

  /** Measured speed, or undefined until enough attempts were measured against a known normal. */
  get speed(): number | undefined {
    if (this.samples.length < this.options.minSamples) return undefined;
    return Math.round(median(this.samples) * 100) / 100;
  }

  /** As decided by the last `review`, by an attempt's pace within the hold (see observe), or by the host's (observeHostPace). */
  get onProbation(): boolean {
    return this.probation || this.hostSlow || this.now() < this.slowUntil;
  }

  /** The host pace probe's latest reading, for the worker's report: the class's normal is the median of these. */
  get hostPaceMs(): number | undefined {
    return this.hostReadings.at(-1);
  }

  /**
   * Reads the host pace probe (workers/pace-probe.ts) against the median of its class's latest
   * readings. A host slowed several times over shows it in every reading, before its attempts have
   * run long enough to show their pace: two readings in a row below `slowNowSpeed` of the normal
   * (several times slower: a 1.5× slow host, or a reading's noise, is left to the attempts'
   * measures) put the worker on probation, and the first reading back above it ends that, so new
   * work neither goes to a slowed host nor stays away once the spell is over (tail suite,
   * `transient-*`: a spell seen at the next reading instead of at an attempt's next progress step,
   * or after it ended). Whether the others have room is not asked: on probation the worker still
   * takes work that waited (see Worker), which there is when they have none.
   */
  async observeHostPace(probeMs: number, peers: () => Promise<PeerReport[]>): Promise<void> {
    this.hostReadings = [...this.hostReadings.slice(-1), probeMs];
    const { probationSpeed, slowNowSpeed } = this.options;
    if (probationSpeed === 0 || slowNowSpeed === 0) return;
    const reports = await this.recentPeers(peers);
    const normal = classHostPaceMs([{ hostPaceMs: probeMs }, ...reports]);
    this.hostSlow =
      normal !== undefined &&
      this.hostReadings.length === 2 &&
      this.hostReadings.every((ms) => normal / ms < slowNowSpeed);
  }

  /**
   * Reads a running attempt's pace from its latest progress report. The measured speed is
   * history: a median of recent attempts moves only after several have ended, long after a spell
   * of seconds is over. The attempts running now show a spell as it happens: one of a type of alike
   * jobs projecting below `slowNowSpeed`, and beyond its type's p99, puts the worker on probation for `slowNowHoldMs` (renewed
   * by each such report), so it stops taking work that a healthy worker would run several times
   * faster while the straggler detector races the attempts it has — where the other workers have
   * room for the slots it gives up (as review decides), read at most once a hold. Not while one of
   * the worker's `others` (its other attempts running now) paces at least at the probation line: a
   * slowed host slows all its attempts, so the slow one is a big or a stuck job (tail suite: healthy
   * workers went on probation in the hang and stall rows). Only types whose normal is already known
   * are read: this runs on every progress report.
   */
  async observe(
    attempt: ObservedAttempt,
    peers: () => Promise<PeerReport[]>,
    slots: number,
    others: readonly ObservedAttempt[] = [],
  ): Promise<void> {
    const { probationSpeed, slowNowSpeed } = this.options;
    if (probationSpeed === 0 || slowNowSpeed === 0) return;
    const speed = this.paceSpeed(attempt);
    // Past its type's p99 too: a p90 at the edge of a mode (90 % short jobs, 10 % long) calls a bimodal type alike.
    if (speed === undefined || speed.speed >= slowNowSpeed || speed.projectedMs <= speed.p99) return;
    // Another attempt here at a healthy pace says the host is fine: this one is a big or a stuck job.
    if (others.some((other) => (this.paceSpeed(other)?.speed ?? 0) >= probationSpeed)) return;
    const until = speed.at + this.options.slowNowHoldMs;
    if (this.now() >= this.slowUntil && !probationAffordable(await this.recentPeers(peers), slots - 1)) return;
    this.slowUntil = Math.max(this.slowUntil, until);
  }

  /** An attempt's pace as a speed against its type's median, where its type is measured and alike. */
  private paceSpeed(
    attempt: ObservedAttempt,
  ): { speed: number; projectedMs: number; p99: number; at: number } | undefined {
    const { report } = attempt;
    if (!report || report.fraction < MIN_OBSERVED_PROGRESS) return undefined;
    const normal = this.normals.get(typeKey(attempt.type, attempt.capacity))?.runTimes;
    if (!normal || normal.median < this.options.minNormalMs || !jobsAlike(normal, SLOW_NOW_ALIKE_FACTOR))
      return undefined;
    const projectedMs = reportProjectedTotalMs(attempt.startedAt, report, report.at);
    if (projectedMs === undefined) return undefined;
    return { speed: normal.median / projectedMs, projectedMs, p99: normal.p99, at: report.at };
  }

  private async recentPeers(peers: () => Promise<PeerReport[]>): Promise<PeerReport[]> {
    const now = this.now();
    if (!this.peersRead || now - this.peersRead.at >= this.options.slowNowHoldMs)
      this.peersRead = { reports: await peers(), at: now };
    return this.peersRead.reports;
  }

  /**
   * Decides probation: slow against the normal *and* against the class's speed now (see
   * classSpeed), asking `peers` for the other workers' reports only when this one measures slow.
   * A whole fleet that measures slow is not put on probation: that would stall the queue. In a
   * class too small to tell a slow host from slow jobs, nobody is; nor while the other workers
   * have no room for the `slots` − 1 slots probation would leave idle (see probationAffordable).
   */
  async review(peers: () => Promise<PeerReport[]>, slots: number): Promise<boolean> {
    const speed = this.speed;
    if (speed === undefined || speed >= this.options.probationSpeed) {
      this.probation = false;
    } else {
      const reports = await peers();
      const speeds = [speed, ...reports.flatMap((w) => (w.speed === undefined ? [] : [w.speed]))];
      this.probation =
        speeds.length >= MIN_WORKERS_TO_COMPARE &&
        speed / classSpeed(speeds) < this.options.probationSpeed &&
        probationAffordable(reports, slots - 1);
    }
    return this.probation;
  }

  /**
   * Measures one attempt: its run time, or for an attempt cut short (it lost a race) the run time
   * its progress pointed to. The first attempts of a type only fetch its normal; attempts of a
   * type shorter than `minNormalMs` are not measured.
   */
  async record(type: string, capacity: string, runTimeMs: number): Promise<void> {
    const normal = (await this.normal(typeKey(type, capacity)))?.median;
    if (normal === undefined || normal < this.options.minNormalMs || runTimeMs <= 0) return;
    const sample = normal / runTimeMs;
    this.samples.push(sample);
    if (this.samples.length > this.options.window) this.samples.shift();
    // "Normal" here: nearer normal than the probation line, as half of a healthy worker's samples are below 1.
    const recovered = sample >= (1 + this.options.probationSpeed) / 2;
    this.fastInARow = this.probation && recovered ? this.fastInARow + 1 : 0;
    if (this.fastInARow >= this.options.recoverAfter) this.samples.splice(0, this.samples.length - this.fastInARow);
  }

  private async normal(key: string): Promise<RunTimes | undefined> {
    const cached = this.normals.get(key);
    // A type without a trusted normal yet is asked about again sooner: it may have one any moment.
    const ttl = cached?.runTimes === undefined ? UNKNOWN_NORMAL_TTL_MS : this.options.normalTtlMs;
    if (cached && this.now() - cached.readAt < ttl) return cached.runTimes;
    const runTimes = await this.stats.runTimes(key, this.options.minNormalSamples);
    this.normals.set(key, { runTimes, readAt: this.now() });
    return runTimes;
  }
}
