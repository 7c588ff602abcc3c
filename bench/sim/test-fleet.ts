import { steady } from './conditions.ts';
import type { Workload } from './workloads.ts';

/** A test fleet of 4 workers × 2 slots running 1-second jobs, each worker `speeds[i]` times normal speed. */
export function testFleet(name: string, speeds: readonly [number, number, number, number]): Workload {
  return {
    name,
    description: 'test fleet',
    capacity: 'cpu',
    workers: 4,
    slots: 2,
    reportsProgress: true,
    jobSize: () => 1000,
    attemptFault: () => 1,
    meanFault: 1,
    conditions: () => steady((worker) => 1 / speeds[worker]!),
    averageSpeeds: [...speeds],
  };
}
