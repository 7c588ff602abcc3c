import type { Logger } from '@aws-lambda-powertools/logger';
import { type Capacity, tenantOf } from '../src/jobs/model/index.ts';
import {
  type PeerReport,
  runningReportDelayMs,
  type WorkerRegistry,
  type WorkerReport,
} from '../src/jobs/speculation/index.ts';
import type { TenantWaits } from '../src/jobs/tenant-stats/index.ts';
import type { JobRunner } from './job-runner.ts';
import type { PaceProbe } from './pace-probe.ts';
import type { SpeedMeter } from './speed-meter.ts';
import type { Worker } from './worker.ts';

/** Tenants whose waits a report carries, the busiest first: it stays a few kilobytes with any number of tenants. */
const TENANTS_REPORTED = 20;

/** The latest reports of the other live workers of this worker's class: what its probation is judged against. */
export const classPeers =
  (registry: Pick<WorkerRegistry, 'live'>, capacity: Capacity, workerId: string) => async (): Promise<PeerReport[]> =>
    (await registry.live()).filter((w) => w.capacity === capacity && w.workerId !== workerId);

/**
 * What a worker tells the registry about itself. Each report decides probation first (against
 * the class's other workers), then reports what this worker is, how fast it measures and how
 * loaded it is; the report expires unless renewed.
 */
export class WorkerReports {
  private readonly startedAt = new Date().toISOString();
  private reportedRunning = '';
  private runningReportDue = false;

  constructor(
    private readonly self: { workerId: string; capacity: Capacity; reportSeconds: number; concurrency: number },
    private readonly parts: {
      registry: WorkerRegistry;
      speed: SpeedMeter;
      runner: JobRunner;
      worker: Worker;
      tenantWaits: TenantWaits;
      paceProbe: PaceProbe;
    },
    private readonly logger: Logger,
  ) {}

  /** Reviews probation and reports; a failure is only logged (the next report comes an interval later). */
  report = (): Promise<void> => {
    const { workerId, capacity, reportSeconds, concurrency } = this.self;
    const { registry, speed, worker } = this.parts;
    return speed
      .review(classPeers(registry, capacity, workerId), concurrency)
      .then(() => {
        this.reportedRunning = this.runningKey();
        return registry.report(
          {
            workerId,
            capacity,
            speed: speed.speed,
            hostPaceMs: speed.hostPaceMs,
            onProbation: speed.onProbation,
            ...worker.load,
            tenants: this.tenantLoads(),
            startedAt: this.startedAt,
            lastSeenAt: new Date().toISOString(),
          },
          3 * reportSeconds,
        );
      })
      .catch((error: Error) => this.logger.warn('worker report failed', { error }));
  };

  /**
   * Reads the host pace probe (each heartbeat interval: a spell shows at once, see
   * SpeedMeter.observeHostPace) and reports at once when that changed the worker's probation, so
   * the other workers and the detector need not wait a report interval to know.
   */
  probeHostPace = (): Promise<void> => {
    const { workerId, capacity } = this.self;
    const { registry, speed, paceProbe } = this.parts;
    const wasOnProbation = speed.onProbation;
    return Promise.resolve()
      .then(paceProbe)
      .then((ms) => speed.observeHostPace(ms, classPeers(registry, capacity, workerId)))
      .then(() => (speed.onProbation === wasOnProbation ? undefined : this.report()))
      .catch((error: Error) => this.logger.warn('host pace probe failed', { error }));
  };

  /**
   * The report is the detector's view of what runs (no index holds RUNNING jobs): a new attempt is
   * reported soon, not a report interval later. One write covers every attempt started meanwhile,
   * and attempts over by then (most short jobs) cost none.
   */
  reportRunningSoon = (): void => {
    if (this.runningReportDue) return;
    this.runningReportDue = true;
    setTimeout(
      () => {
        this.runningReportDue = false;
        if (this.runningKey() !== this.reportedRunning) void this.report();
      },
      runningReportDelayMs(this.self.reportSeconds * 1000),
    ).unref();
  };

  /** Leaves the registry (a stopped worker). */
  async remove(): Promise<void> {
    await this.parts.registry
      .remove(this.self.workerId)
      .catch((error: Error) => this.logger.warn('worker deregistration failed', { error }));
  }

  private runningKey(): string {
    return [...this.parts.runner.runningJobs().keys()].sort().join();
  }

  /** Per tenant: its attempts running here now, and (the busiest ones') waits over the last minutes. */
  private tenantLoads(): NonNullable<WorkerReport['tenants']> {
    const loads: NonNullable<WorkerReport['tenants']> = {};
    for (const job of this.parts.runner.runningJobs().values()) {
      const tenant = tenantOf(job);
      loads[tenant] = { running: (loads[tenant]?.running ?? 0) + 1 };
    }
    for (const [tenant, waits] of Object.entries(this.parts.tenantWaits.encoded(TENANTS_REPORTED)))
      loads[tenant] = { running: loads[tenant]?.running ?? 0, waits };
    return loads;
  }
}
