export type { CapacityProvisioner } from './capacity.ts';
export { EcsCapacity, LocalCapacityHook } from './capacity.ts';
export type { PeerReport } from './class-speed.ts';
export {
  classHostPaceMs,
  classSpeed,
  DEFAULT_PROBATION_SPEED,
  MIN_WORKERS_TO_COMPARE,
  median,
  probationAffordable,
} from './class-speed.ts';
export { LatencyStatsRecorder, LatencyStatsStore, type RunTimes, typeKey, workerKey } from './latency-stats.ts';
export { leaseProjectedTotalMs, nextReport, reportProjectedTotalMs } from './progress-estimate.ts';
export { type RunningJobsOf, reportedJobIds, runningJobsFromReports, runningReportDelayMs } from './running-jobs.ts';
export { jobsAlike } from './running-peers.ts';
export type { DetectorSettings } from './straggler-detector.ts';
export { DEFAULT_DETECTOR_INTERVAL_MS, DEFAULT_DETECTOR_SETTINGS, detectStragglers } from './straggler-detector.ts';
export type { WorkerReport } from './worker-registry.ts';
export { WorkerRegistry } from './worker-registry.ts';
