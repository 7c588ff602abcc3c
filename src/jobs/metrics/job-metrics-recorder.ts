import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Job } from '../model/index.ts';
import { JobMetric } from './job-metrics.ts';

type QueueDimensions = { Capacity: string; Priority: string };

/**
 * Emits job metrics (from intake, workers and the straggler detector) as CloudWatch EMF lines on
 * stdout (ECS ships them to CloudWatch Logs, which extracts the metrics), with `Capacity` and
 * `Priority`: one document per event, or — given `perQueue`, as a worker does — one per queue and
 * `flush`, holding up to 100 values of each metric, so a busy worker logs a few bytes per job
 * instead of a document (log ingestion is priced per byte: docs/cost.md).
 */
export class JobMetricsRecorder {
  private readonly stored = new Map<string, Metrics>();

  constructor(
    private readonly metrics: Metrics,
    private readonly perQueue?: (dimensions: QueueDimensions) => Metrics,
  ) {}

  /**
   * Publishes what `perQueue` recorders hold (each also publishes by itself at 100 values of a
   * metric). A queue with nothing new is skipped: publishing it logs a warning, every flush.
   */
  flush(): void {
    for (const metrics of this.stored.values()) if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }

  /** Jobs of one class and priority were accepted (one for `POST /jobs`, a group of a batch). */
  submitted(job: Pick<Job, 'capacity' | 'priority'>, count = 1): void {
    this.emit(job, (m) => m.addMetric(JobMetric.submitted, MetricUnit.Count, count));
  }

  started(job: Pick<Job, 'capacity' | 'priority'>, readyAt: number, startedAt: number, lostBefore: boolean): void {
    this.emit(job, (m) => {
      m.addMetric(JobMetric.enqueueToStart, MetricUnit.Milliseconds, Math.max(0, startedAt - readyAt));
      if (lostBefore) m.addMetric(JobMetric.lost, MetricUnit.Count, 1);
    });
  }

  finished(job: Pick<Job, 'capacity' | 'priority' | 'status'>, runTimeMs: number, speculative: boolean): void {
    const counter = {
      SUCCEEDED: JobMetric.succeeded,
      RETRYING: JobMetric.retried,
      DEAD: JobMetric.dead,
      CANCELLED: JobMetric.cancelled,
    }[job.status as 'SUCCEEDED' | 'RETRYING' | 'DEAD' | 'CANCELLED'];
    this.emit(job, (m) => {
      m.addMetric(JobMetric.runTime, MetricUnit.Milliseconds, runTimeMs);
      if (counter) m.addMetric(counter, MetricUnit.Count, 1);
      if (speculative && job.status === 'SUCCEEDED') m.addMetric(JobMetric.speculativeWins, MetricUnit.Count, 1);
    });
  }

  /** The detector launched a backup for a straggling attempt that had run this long. */
  speculationLaunched(job: Pick<Job, 'capacity' | 'priority'>, detectedAfterMs: number): void {
    this.emit(job, (m) => {
      m.addMetric(JobMetric.speculativeLaunches, MetricUnit.Count, 1);
      m.addMetric(JobMetric.stragglerDetectedAfter, MetricUnit.Milliseconds, detectedAfterMs);
    });
  }

  /** An attempt that lost its race (or its lease): the worker time it spent is wasted. */
  wasted(job: Pick<Job, 'capacity' | 'priority'>, runTimeMs: number): void {
    this.emit(job, (m) => m.addMetric(JobMetric.wastedWorkSeconds, MetricUnit.Seconds, runTimeMs / 1000));
  }

  private emit(job: Pick<Job, 'capacity' | 'priority'>, add: (metrics: Metrics) => void): void {
    const dimensions = { Capacity: job.capacity, Priority: job.priority };
    if (this.perQueue) {
      const key = `${job.capacity}#${job.priority}`;
      const queue = this.stored.get(key) ?? this.perQueue(dimensions);
      this.stored.set(key, queue);
      add(queue);
      return;
    }
    // singleMetric: its own dimensions, and each metric published as it is added, so concurrent
    // events never mix their dimensions.
    const single = this.metrics.singleMetric();
    single.addDimensions(dimensions);
    add(single);
  }
}
