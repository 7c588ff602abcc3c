import { DEFAULT_DETECTOR_SETTINGS, type DetectorSettings } from '../../src/jobs/speculation/straggler-detector.ts';
import { DEFAULT_SPEED_METER_OPTIONS, type SpeedMeterOptions } from '../../workers/speed-meter.ts';
import { TAIL_LOOP } from '../lib/tail-loop.ts';

/**
 * How a run schedules: which of Tailguard's mechanisms run (the real code, see simulation.ts),
 * or which textbook rule stands in for them.
 */
export interface Policy {
  name: string;
  description: string;
  /** Workers measure their speed (SpeedMeter), write it on their leases, and go on probation below `probationSpeed`. */
  speedMeter?: SpeedMeterOptions;
  /** The straggler detector's passes (detectionPass) with these settings. */
  detector?: DetectorSettings;
  /** A backup once an attempt has run `factor` × the `quantile` of its type's run times, on any free other worker, no budget. */
  hedge?: { quantile: number; factor: number };
}

const hedge = (percent: number): Policy => ({
  name: `hedge-p${percent}`,
  description: `a backup once an attempt ran past its type's p${percent}, on any free worker`,
  hedge: { quantile: percent / 100, factor: 1 },
});

export const POLICIES: Policy[] = [
  { name: 'off', description: 'no backups, no probation' },
  {
    name: 'probation',
    description: 'speed meter and probation only (no backups)',
    speedMeter: DEFAULT_SPEED_METER_OPTIONS,
  },
  hedge(90),
  hedge(95),
  hedge(99),
  {
    name: 'spark',
    description:
      'Spark speculation (quantile 0.9, multiplier 3): a backup once an attempt ran 3 × its type’s median; in an open stream the 0.9 quantile (tasks done before speculating) is met once the median is known',
    hedge: { quantile: 0.5, factor: 3 },
  },
  {
    name: 'tailguard',
    description:
      'defaults (speed meter, probation, straggler detector with its budget), at bench:tail’s loop speed (TAIL_LOOP)',
    speedMeter: DEFAULT_SPEED_METER_OPTIONS,
    detector: { ...DEFAULT_DETECTOR_SETTINGS, minElapsedMs: TAIL_LOOP.stragglerMinElapsedMs },
  },
];
