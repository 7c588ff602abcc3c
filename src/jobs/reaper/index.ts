export type { ReaperReport } from './reaper.ts';
export { DEFAULT_REAPER_INTERVAL_MS, DEFAULT_REAPER_SETTINGS, reap } from './reaper.ts';
export { SqsReaperQueues } from './reaper-queues.ts';
