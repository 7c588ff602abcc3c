export { JobMetric, METRICS_NAMESPACE } from './job-metrics.ts';
export { JobMetricsRecorder } from './job-metrics-recorder.ts';
