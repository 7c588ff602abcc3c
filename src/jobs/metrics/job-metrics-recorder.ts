import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Job } from '../model/index.ts';
import { JobMetric } from './job-metrics.ts';

/**
 * Emits job metrics (from intake, workers and the straggler detector) as CloudWatch EMF lines on stdout (ECS ships them to CloudWatch
 * Logs, which extracts the metrics), one document per event with `Capacity` and `Priority`.
 */
export class JobMetricsRecorder {
  constructor(private readonly metrics: Metrics) {}

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
    // singleMetric: its own dimensions, and each metric published as it is added, so concurrent
    // attempts never mix their dimensions.
    const single = this.metrics.singleMetric();
    single.addDimensions({ Capacity: job.capacity, Priority: job.priority });
    add(single);
  }
}
