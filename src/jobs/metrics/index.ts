export { JobMetricsRecorder } from './job-metrics-recorder.ts';
export { JobMetric, METRICS_NAMESPACE } from './job-metrics.ts';
