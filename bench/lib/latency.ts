import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Percentiles of millisecond samples through an HDR histogram (1 µs resolution, 3 digits). */
export function summarize(samplesMs: number[]): LatencySummary {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  for (const ms of samplesMs) histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  const at = (p: number) => round(histogram.getValueAtPercentile(p) / 1000);
  const summary = {
    count: samplesMs.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: round(histogram.maxValue / 1000),
    mean: round(histogram.mean / 1000),
  };
  histogram.destroy();
  return summary;
}

/** To a tenth: what the benches report. */
export const round = (n: number) => Math.round(n * 10) / 10;
