export { JobMetric, METRICS_NAMESPACE } from './job-metrics.ts';
export { JobMetricsRecorder } from './job-metrics-recorder.ts';
export { TENANT_DIMENSION, TENANT_METRICS_TOP, TenantMetricsRecorder } from './tenant-metrics-recorder.ts';
