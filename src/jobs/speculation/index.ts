export { EcsCapacity, LocalCapacityHook } from './capacity.ts';
export type { CapacityProvisioner } from './capacity.ts';
export { MIN_WORKERS_TO_COMPARE, classSpeed, median } from './class-speed.ts';
export { LatencyStatsRecorder, LatencyStatsStore, typeKey, workerKey } from './latency-stats.ts';
export { projectedTotalMs } from './progress-estimate.ts';
export { DEFAULT_DETECTOR_SETTINGS, detectStragglers } from './straggler-detector.ts';
export type { DetectorSettings } from './straggler-detector.ts';
export { WorkerRegistry } from './worker-registry.ts';
export type { WorkerReport } from './worker-registry.ts';
